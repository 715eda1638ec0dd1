/* tandem/cdr.h - call record backends (public: CDR modules include this).
 *
 * A CDR backend stores call records somewhere else than the built-in CSV file
 * (a billing database). A module offers one by pointing its descriptor's `cdr`
 * field (module ABI 1.2, see tandem/module.h) at a `struct tandem_cdr_backend`.
 * ABI 1.3 appended the record's per-leg quality, source and caller_out (the
 * CSV file's later columns) and the backend's record_size.
 *
 * What the daemon does, so a backend does not have to: the SIP thread never
 * calls a backend. It hands each record to a writer thread of the daemon, one
 * per backend, which appends it to a spool file on disk (fdatasync'ed once per
 * batch) before calling write(). A record leaves the spool only after write()
 * returned 0 for it; while write() fails, records stay spooled and are offered
 * again, in the order they were made, with growing pauses (1 s to 10 s), also
 * across a restart of tandemd. So a backend may block in write() (it runs in
 * its own thread) and may see a record again after a crash: every record
 * carries `attempt_uid`, unique across nodes and restarts, and write() must
 * be idempotent on it (SQL: INSERT ... ON CONFLICT (attempt_uid) DO NOTHING).
 *
 * Threads: open(), write() and close() are called from the backend's writer
 * thread only, one at a time. Ownership: records and their strings are
 * borrowed for the duration of write(); the state returned by open() belongs to
 * the module and is freed by close().
 */
#ifndef TANDEM_CDR_H
#define TANDEM_CDR_H

#include <stddef.h>
#include <stdint.h>

/* Call quality of one leg (ABI 1.3), as the CSV file's a_/b_ columns have it.
 * "Received" is the RTP the gateway got from the leg's peer. */
struct tandem_cdr_quality {
	uint64_t rtp_expected;      /* RTP packets expected (RFC 3550 sequence numbers) */
	uint64_t rtp_lost;          /* ... and lost */
	double jitter_ms;           /* interarrival jitter at the end */
	double rtt_ms;              /* round trip from RTCP; < 0: unknown */
	int64_t remote_lost;        /* the peer's cumulative loss on what the gateway sent */
	uint32_t have_remote;       /* 0: the peer sent no report: remote_lost unknown */
	double mos;                 /* E-model estimate of the received audio; 0: no RTP */
};

/* One call attempt. Times are UTC microseconds since the epoch. Strings are
 * never NULL ("" when unknown).
 *
 * Versions: fields are only ever appended. struct_size says how much of this
 * record is filled in: a field that ends past it is absent (unknown), e.g. a
 * record spooled by a tandemd older than ABI 1.3 replayed by a newer one has
 * struct_size TANDEM_CDR_RECORD_SIZE_1_2. Test with TANDEM_CDR_HAS(). The
 * records of one write() are backend->record_size bytes apart (the size the
 * module was built with), so a module built for an older minor reads an
 * array laid out for it. */
struct tandem_cdr_record {
	uint32_t struct_size;       /* bytes of this record filled in (see above) */
	const char *attempt_uid;    /* unique key: NODE/RUN/CALLID-ATTEMPT */
	const char *node;
	const char *call_id;        /* shared by every attempt of one call */
	unsigned attempt;           /* 1, 2, ... (failover) */
	int64_t start_us;
	int64_t answer_us;          /* 0: not answered */
	int64_t end_us;
	const char *caller, *called_in, *called_out, *target;
	int final_code;             /* SIP final response code */
	int q850;                   /* Q.850 cause, 0 when unknown */
	const char *disposition;    /* ANSWERED, BUSY, NOANSWER, CANCELLED, FAILED, FAILOVER, REJECTED */
	const char *codec_a, *codec_b;
	uint64_t a_pkts_in, a_pkts_out, b_pkts_in, b_pkts_out, a_dropped, b_dropped;

	/* ABI 1.3 */
	struct tandem_cdr_quality qa, qb;   /* legs a (caller side) and b */
	const char *source;         /* trunk or user the call came from, "" if neither */
	const char *caller_out;     /* calling number as sent to the trunk ("anonymous": hidden) */
};

#define TANDEM_CDR_RECORD_END_(field) \
	(offsetof(struct tandem_cdr_record, field) + sizeof(((struct tandem_cdr_record *)0)->field))
/* Bytes of a record that carries the fields of each ABI minor. */
#define TANDEM_CDR_RECORD_SIZE_1_2 TANDEM_CDR_RECORD_END_(b_dropped)
#define TANDEM_CDR_RECORD_SIZE_1_3 TANDEM_CDR_RECORD_END_(caller_out)
/* Does record r carry 'field'? */
#define TANDEM_CDR_HAS(r, field) ((r)->struct_size >= TANDEM_CDR_RECORD_END_(field))

/* What the admin configured for the backend ([general] cdr_* keys). */
struct tandem_cdr_params {
	uint32_t struct_size;       /* sizeof(struct tandem_cdr_params) in the daemon */
	const char *database;       /* cdr_database: backend-specific (libpq conninfo) */
	const char *table;          /* cdr_table */
};

struct tandem_cdr_backend {
	uint32_t struct_size;       /* sizeof(struct tandem_cdr_backend) */
	const char *name;           /* "pgsql": names the spool file and log lines */
	/* Prepare (need not connect yet: write() may connect lazily). 0 or a
	 * negative errno; an error here stops tandemd from starting. */
	int (*open)(const struct tandem_cdr_params *params, void **state);
	/* Store n records, in order, all or nothing. 0 when stored (or already
	 * there); -EINVAL when the data itself is refused (the daemon then sets
	 * that record aside in a .rejected file); any other negative errno when
	 * the store is unreachable (the daemon retries later). */
	int (*write)(void *state, const struct tandem_cdr_record *recs, size_t n);
	void (*close)(void *state);

	/* ABI 1.3: sizeof(struct tandem_cdr_record) as the module was built; the
	 * daemon lays out write()'s array with this stride. A backend of ABI 1.2
	 * (struct_size TANDEM_CDR_BACKEND_SIZE_1_2) gets TANDEM_CDR_RECORD_SIZE_1_2. */
	uint32_t record_size;
};

#define TANDEM_CDR_BACKEND_SIZE_1_2 \
	(offsetof(struct tandem_cdr_backend, close) + sizeof(void (*)(void *)))
#define TANDEM_CDR_BACKEND_SIZE_1_3 \
	(offsetof(struct tandem_cdr_backend, record_size) + sizeof(uint32_t))

#endif
