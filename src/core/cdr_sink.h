/* cdr_sink.h - delivers call records to a module's backend (tandem/cdr.h)
 * from a writer thread, through an on-disk spool (core/cdr_spool.h).
 *
 * submit() is what the SIP thread calls when an attempt ends: it turns the
 * record into one JSON line, queues it in memory and wakes the writer thread.
 * It does no I/O and takes only the queue's mutex, so a slow or dead database
 * never holds up calls. The writer thread appends what is queued to the spool
 * (fdatasync per batch), then offers the spool's records to the backend in
 * order, in batches of up to 100, and moves the spool's offset past each
 * batch the backend took. When the backend fails, records stay spooled and
 * the thread retries after 1 s, 2 s, 4 s ... at most 10 s; records submitted
 * meanwhile queue up behind them. A record the backend refuses as bad data
 * (-EINVAL, even alone) goes to the spool's .rejected file with an error log.
 *
 * Each record gets attempt_uid = NODE/RUN/CALLID-ATTEMPT, where RUN is random
 * per sink (per start of tandemd): call ids restart with tandemd, the uid
 * does not repeat. The uid is in the spooled line, so a replay reuses it.
 *
 * Threads: submit() and stats() from any thread; new/free from the main
 * thread. free() stops the thread after one last delivery attempt (skipped
 * while the backend is failing: what is left stays spooled for the next
 * start). Ownership: the sink borrows the backend (the module stays loaded
 * until after free()); records passed to submit() are copied.
 */
#ifndef TANDEM_CORE_CDR_SINK_H
#define TANDEM_CORE_CDR_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tandem/cdr.h>

struct tcdr_record;
typedef struct tcdr_sink tcdr_sink_t;

struct tcdr_sink_stats {
	const char *backend;        /* backend name, valid while the sink lives */
	uint64_t submitted;         /* records handed to submit() */
	uint64_t written;           /* records the backend took */
	uint64_t rejected;          /* records set aside as bad data */
	uint64_t failures;          /* failed write() calls (outages) */
	uint64_t pending;           /* queued or spooled, not yet written */
	bool up;                    /* the last write() succeeded (or none yet) */
};

/* Open the spool (replaying what a previous run left), open the backend,
 * start the thread. On error returns a negative errno and a message. */
int tcdr_sink_new(const struct tandem_cdr_backend *be, const struct tandem_cdr_params *p,
		  const char *spool_dir, const char *node, tcdr_sink_t **out,
		  char *err, size_t errlen);
void tcdr_sink_free(tcdr_sink_t *s);

int tcdr_sink_submit(tcdr_sink_t *s, const struct tcdr_record *r);
void tcdr_sink_stats(tcdr_sink_t *s, struct tcdr_sink_stats *st);

/* The JSON line for a record (pure; used by submit and the tests); caller
 * frees. It carries every column of the CSV record; values the CSV leaves
 * empty (round trip, remote loss, MOS) are left out. And back: fills *out
 * with pointers into *holder (json_decref it); a line written before ABI 1.3
 * (no quality fields) gives a record of struct_size TANDEM_CDR_RECORD_SIZE_1_2. */
char *tcdr_sink_encode(const struct tcdr_record *r, const char *uid);
int tcdr_sink_decode(const char *line, struct tandem_cdr_record *out, void **holder);

#endif
