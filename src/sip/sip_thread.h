/* sip_thread.h - the SIP thread: sofia-sip's su_root loop and the NUA stack.
 *
 * One thread owns every sofia-sip object (su_root, nua, handles) and all call
 * state; sofia is only ever called from it. Other threads talk to it through
 * its queue (core/queue.h), whose eventfd is registered with su_root, or
 * through tsip_call_sync() for control-path queries.
 *
 * It listens on the SIP port of each configured interface (UDP/TCP), answers
 * OPTIONS itself (application-handled, so draining can answer 503 later),
 * hands REGISTERs to the registrar (regsip.c) and INVITEs to the call core,
 * which checks who may call (auth.c) before routing.
 *
 * Ownership: tsip_start() returns a tsip_t owned by the caller (the main
 * thread); tsip_stop() ends calls, shuts the stack down, joins the thread and
 * frees it. The tsip_t holds its own reference to the config snapshot and the
 * media core is borrowed (it must outlive the tsip_t).
 */
#ifndef TANDEM_SIP_SIP_THREAD_H
#define TANDEM_SIP_SIP_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "media/media.h"

typedef struct tsip tsip_t;

/* Start the SIP thread and bind the listeners. Returns 0 once sofia listens,
 * or a negative errno (the reason was logged: e.g. address in use). */
int tsip_start(tconf_t *conf, media_core_t *mc, tsip_t **out);

/* Hang up every call (BYE on both legs), shut the SIP stack down, join the
 * thread and free. Waits at most a few seconds for peers to answer. */
void tsip_stop(tsip_t *s);

/* Give the SIP thread a new config snapshot (takes a reference of its own).
 * New calls use it; running calls keep theirs. */
int tsip_set_conf(tsip_t *s, tconf_t *next);

/* End one call (BYE on both legs, or CANCEL/503 before answer) by its id as
 * `tandemctl calls` lists it. -ENOENT when there is no such call. */
int tsip_hangup_call(tsip_t *s, const char *id);

/* Drain: new INVITEs and OPTIONS get 503 with Retry-After while running calls
 * go on (any thread). */
void tsip_set_draining(tsip_t *s, bool on);
bool tsip_draining(const tsip_t *s);

/* Reopen the call record file (SIGUSR1, after logrotate moved it). */
int tsip_reopen_files(tsip_t *s);

/* Hand call records to these writers as well (CDR modules), NULL-terminated;
 * borrowed until tsip_stop() returns. Set once, right after tsip_start(). */
struct tcdr_sink;
int tsip_set_cdr_sinks(tsip_t *s, struct tcdr_sink *const *sinks);
/* WebSocket shim wiring (sip/ws_glue.c), any thread after tsip_start():
 * sofia's internal listener for the shim ("" when [websocket] is off), the
 * secret that signs the shim's source headers (WS_SECRET_LEN bytes), and
 * the news that a WebSocket connection closed (its registrations go at once). */
const char *tsip_ws_internal(const tsip_t *s);
const uint8_t *tsip_ws_secret(const tsip_t *s);
void tsip_ws_closed(tsip_t *s, const char *local);
/* Start the WebSocket shim (sip/ws_shim.h) for the [websocket] section; *out
 * stays NULL when WebSocket is off. The caller stops it before tsip_stop(). */
struct ws_shim;
int tsip_ws_start(tsip_t *s, const tconf_t *c, struct ws_shim **out);

/* Run fn(arg) on the SIP thread and wait for it to finish (control path). */
int tsip_call_sync(tsip_t *s, void (*fn)(tsip_t *s, void *arg), void *arg);

struct tsip_stats {
	uint64_t requests_in;       /* requests the application saw */
	uint64_t options_answered;
	uint64_t calls_total;       /* INVITEs that started a call */
	uint64_t calls_active;
	uint64_t calls_answered;
	uint64_t calls_failed;
	uint64_t calls_rejected;    /* refused before routing: bad SDP, limits, no route */
};
/* Lock-free read of the counters (any thread). */
void tsip_stats(const tsip_t *s, struct tsip_stats *out);

/* The active calls as a JSON array (for `tandemctl calls`); the caller owns
 * the result. Runs on the SIP thread and waits for it. */
struct json_t;
struct json_t *tsip_calls_json(tsip_t *s);
/* The configured trunks with their live state (for `tandemctl trunks`). */
struct json_t *tsip_trunks_json(tsip_t *s);
/* The registered contacts of users (for `tandemctl registrations`). */
struct json_t *tsip_registrations_json(tsip_t *s);

#endif
