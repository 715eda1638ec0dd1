/* cdr.h - call detail records: one CSV line per call attempt.
 *
 * Every attempt gets a record: answered ones, failed ones, and attempts given
 * up on for failover (all attempts of one call share its call id, and each has
 * its own attempt id "CALLID-N"). A record is written with a single write(2)
 * on an O_APPEND file as soon as the attempt ends: nothing is buffered, so a
 * clean shutdown (or a crash) loses nothing already ended.
 *
 * Columns (a header line starts every new or empty file):
 *   node, call_id, attempt_id, start, answer, end (UTC, ISO 8601 with ms;
 *   answer empty when not answered), caller, called_in (as received),
 *   called_out (as sent to the trunk), target (trunk or endpoint), final_code,
 *   q850_cause, disposition (ANSWERED, BUSY, NOANSWER, CANCELLED, FAILED,
 *   FAILOVER, REJECTED), duration_s (connected time), codec_a, codec_b,
 *   a_pkts_in, a_pkts_out, b_pkts_in, b_pkts_out, a_dropped, b_dropped,
 *   then per leg (a_ then b_): rtp_expected, rtp_lost (RTP from the leg's
 *   peer, RFC 3550 counting), jitter_ms (interarrival jitter at the end),
 *   rtt_ms (round trip from RTCP; empty when unknown), remote_lost (the
 *   peer's cumulative loss on what the gateway sent it, from its RTCP;
 *   empty without a report), mos (E-model estimate of the received audio;
 *   empty without RTP); then source (trunk or user the call came from, empty if neither),
 *   caller_out (calling number as sent to the trunk; "anonymous" when hidden).
 * Columns are only ever added at the end, so scripts that read by position
 * keep working; read by the header's names where possible.
 * Fields are quoted RFC 4180 style when they contain a comma, quote or
 * control character (which is replaced).
 *
 * Threads: tcdr_write() from any one thread at a time per writer (the SIP
 * thread); tcdr_reopen() from another (main, on SIGUSR1) is safe.
 * Ownership: tcdr_open() returns a writer owned by the caller; tcdr_close()
 * frees it. Records are borrowed for the duration of the call.
 */
#ifndef TANDEM_CORE_CDR_H
#define TANDEM_CORE_CDR_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct tcdr tcdr_t;

struct tcdr_record {
	const char *node;
	const char *call_id;
	unsigned attempt;
	struct timespec start, answer, end;   /* answer.tv_sec == 0: not answered */
	const char *caller, *called_in, *called_out, *target;
	int final_code;
	int q850;                   /* 0 when unknown */
	const char *disposition;
	const char *codec_a, *codec_b;
	uint64_t a_in, a_out, b_in, b_out, a_dropped, b_dropped;
	struct tcdr_quality {
		uint64_t expected, lost;
		double jitter_ms;
		bool have_rtt;
		double rtt_ms;
		bool have_remote;
		int64_t remote_lost;
		double mos;             /* 0: none */
	} qa, qb;                   /* legs a and b */
	const char *source, *caller_out;
};

int tcdr_open(const char *path, tcdr_t **out);
int tcdr_reopen(tcdr_t *w);
void tcdr_close(tcdr_t *w);
const char *tcdr_path(const tcdr_t *w);
int tcdr_write(tcdr_t *w, const struct tcdr_record *r);

/* Format one record (no trailing newline) into buf; returns its length or
 * -ENOSPC. Pure: used by tcdr_write and the tests. */
int tcdr_format(const struct tcdr_record *r, char *buf, size_t len);

/* The Q.850 cause for a SIP final response (RFC 3398 section 8.2 in reverse,
 * as gateways use it); 16 (normal clearing) for 2xx. */
int tcdr_q850_from_sip(int code);

#endif
