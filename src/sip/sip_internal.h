/* sip_internal.h - the SIP thread's state, shared by the files of src/sip/
 * (sip_thread.c, the call core). Not for use outside src/sip/.
 *
 * Everything here is touched only on the SIP thread, except the counters
 * (atomics, read by the main thread) and 'q' (posted to from any thread).
 */
#ifndef TANDEM_SIP_INTERNAL_H
#define TANDEM_SIP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct tsip;
struct tcall_leg;
#define SU_ROOT_MAGIC_T struct tsip
#define NUA_MAGIC_T struct tsip
#define NUA_HMAGIC_T struct tcall_leg

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/soa_tag.h>

#include "core/config.h"
#include "core/metrics.h"
#include "core/queue.h"
#include "media/media.h"
#include "sip/sip_thread.h"

struct tcall_table;
struct trunk_table;
struct trunk_reg_table;
struct tdns_table;
struct tcdr;
struct tauth;
struct tregsip;

#define TSIP_NRESULTS 500           /* final response codes 200..699 (metrics) */

/* Limits (limits.h), by name in tandem_limit_hits_total. */
enum tlimit {
	TLIMIT_SOURCE_CPS, TLIMIT_TRUNK_CPS, TLIMIT_TRUNK_CHANNELS, TLIMIT_USER_CALLS,
	TLIMIT_INTERNATIONAL, TLIMIT_TRUNK_CPS_IN,
	TLIMIT_RTP_PORTS,           /* no RTP ports left: 503 */
	TLIMIT_TRANSCODING,         /* max_transcoded reached: 503 */
	TLIMIT__COUNT
};
struct tlimits;

struct tsip {
	pthread_t thread;
	su_home_t home[1];
	su_root_t *root;
	nua_t *nua;
	tq_t *q;                    /* messages to the SIP thread */
	su_wait_t q_wait[1];
	int q_reg;                  /* su_root registration index */

	tconf_t *conf;              /* current snapshot (SIP thread's reference) */
	media_core_t *media;        /* borrowed */
	struct tcall_table *calls;  /* the call core's state */
	struct trunk_table *trunks; /* live trunk state (trunks.c) */
	struct trunk_reg_table *regs;    /* outbound registrations (trunk_register.c) */
	struct tdns_table *dns;     /* trunks' DNS targets (trunk_dns.c) */
	struct tcdr *cdr;           /* call records, or NULL (owned; follows conf) */
	struct tlimits *limits;     /* rate buckets and user counts (limits.c; owned) */
	struct tcdr_sink *const *cdr_sinks; /* CDR modules' writers, NULL-terminated, or NULL (borrowed) */
	struct tauth *auth;         /* nonces and bans (auth.c) */
	struct tregsip *reg;        /* registrar: bindings, keepalives (regsip.c) */

	/* start-up handshake with tsip_start() */
	pthread_mutex_t start_lock;
	pthread_cond_t start_cond;
	int start_state;            /* 0 starting, 1 running, <0 failed (errno) */

	bool stopping;
	su_timer_t *stop_grace, *stop_poll;  /* while stopping; each holds a port reference */
	atomic_bool draining;       /* set by the main thread: new calls and OPTIONS get 503 */
	bool shutdown_sent;

	/* WebSocket shim (ws_glue.c): internal listener and header secret */
	char ws_internal[64];        /* "127.0.0.1:PORT", "" when WebSocket is off */
	uint8_t ws_secret[32];

	struct {
		atomic_uint_fast64_t requests_in, options_answered;
		atomic_uint_fast64_t calls_total, calls_active, calls_answered;
		atomic_uint_fast64_t calls_failed, calls_rejected;
		/* for the metrics (sip_metrics.c) */
		atomic_uint_fast64_t attempts;     /* new INVITEs, rejected ones too */
		atomic_uint_fast64_t results[TSIP_NRESULTS]; /* final responses to callers, [code - 200] */
		struct tmetrics_hist setup_provisional, setup_answer; /* from the INVITE */
		atomic_uint_fast64_t limit_hits[TLIMIT__COUNT];
	} n;
};

/* Metrics (sip_metrics.c): a final response to a caller's INVITE (any code;
 * 200..699 are counted), and a call reaching a setup stage (first provisional
 * relayed to the caller, answer) 'since' its INVITE arrived (CLOCK_REALTIME). */
void tsip_count_final(struct tsip *s, int code);
/* A finished attempt's record: to the CSV file and every CDR module's writer
 * (never blocks: see core/cdr_sink.h). */
struct tcdr_record;
void tsip_cdr_emit(struct tsip *s, const struct tcdr_record *r);
void tsip_count_setup(struct tmetrics_hist *h, const struct timespec *since);

/* Retry-After on 503s while draining: long enough for a dispatcher to move on. */
#define TSIP_RETRY_AFTER "60"

/* The call core's entry points (src/sip/call*.c). */
int tcall_table_new(struct tsip *s);
void tcall_table_free(struct tsip *s);
void tcall_on_event(struct tsip *s, nua_event_t event, int status, char const *phrase,
		    nua_handle_t *nh, struct tcall_leg *leg, sip_t const *sip, tagi_t tags[]);
/* Hang up every call; returns the number still being torn down. */
unsigned tcall_hangup_all(struct tsip *s);
unsigned tcall_count(const struct tsip *s);

#endif
