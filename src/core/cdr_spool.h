/* cdr_spool.h - an append-only on-disk queue of call records for one backend.
 *
 * Files in the spool directory, for backend NAME:
 *   cdr-NAME.spool     one record a line, appended; never rewritten in place
 *   cdr-NAME.offset    byte offset of the first record not yet delivered
 *                      (20 digits and a newline, overwritten in place)
 *   cdr-NAME.rejected  records the backend refused as bad data, kept for an admin
 *
 * Durability: append() writes the batch with one writev(2) and fdatasync()s
 * it before returning: once append() returned 0 the records survive a crash
 * of tandemd or of the machine. The offset is not synced: after a crash it
 * may lag, so records are delivered again (backends insert idempotently). When
 * everything has been delivered the spool is truncated to empty.
 *
 * open() creates the directory (not its parents) when it is missing.
 * Recovery at open: a torn last line (a crash during append) is cut off; an
 * offset past the end or not on a line start is reset to 0 (replay all).
 *
 * Threads: one thread uses a spool (the sink's writer thread).
 * Ownership: open() returns a spool the caller frees with close(). peek()
 * fills caller-owned arrays with lines the caller frees (free()).
 */
#ifndef TANDEM_CORE_CDR_SPOOL_H
#define TANDEM_CORE_CDR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct tcdr_spool tcdr_spool_t;

int tcdr_spool_open(const char *dir, const char *name, tcdr_spool_t **out);
void tcdr_spool_close(tcdr_spool_t *sp);
const char *tcdr_spool_path(const tcdr_spool_t *sp);

/* Append n lines (no newline inside; one is added), then fdatasync. */
int tcdr_spool_append(tcdr_spool_t *sp, char *const *lines, size_t n);

/* Up to max undelivered lines, oldest first, into lines[] (malloc'd, no
 * newline); *bytes gets their size on disk. Returns the count (0 = none). */
int tcdr_spool_peek(tcdr_spool_t *sp, size_t max, char **lines, size_t *bytes);

/* The first 'bytes' (from peek) are delivered: move the offset past them;
 * truncate the spool when nothing is left. */
int tcdr_spool_commit(tcdr_spool_t *sp, size_t bytes, size_t nrecs);

/* Keep a refused line in cdr-NAME.rejected. */
int tcdr_spool_reject(tcdr_spool_t *sp, const char *line);

/* Records appended and not yet committed. */
uint64_t tcdr_spool_pending(const tcdr_spool_t *sp);

#endif
