/* session_timer.h - session timers (RFC 4028) per leg, and the SDP memory
 * that lets the gateway answer a peer's refresh by itself.
 *
 * Each leg negotiates its own session interval with its own peer; nothing of
 * one leg's Session-Expires reaches the other. sofia's nua adds and reads the
 * headers (Session-Expires, Min-SE, Supported/Require: timer), answers a too
 * short interval with 422 and retries our INVITE after a 422; it also sends
 * BYE when the peer was to refresh and did not (stimer_expired() then ends
 * the call). What nua cannot do with the SDP in our hands is refresh: its own
 * refresh would re-offer a stale SDP (or none). So when the gateway is the
 * refresher it refreshes first, at a third of the interval (nua's own timer,
 * at half, never fires): an UPDATE without SDP when the peer allows UPDATE,
 * else a re-INVITE carrying exactly the SDP last sent on that leg (same
 * o= version, RFC 3264 8: nothing changes, an m=image T.38 stream included).
 *
 * A refresh from a peer (re-INVITE or UPDATE whose SDP is the one the leg
 * last sent, or none) is answered here and never relayed to the other leg.
 *
 * Ownership: struct stimer hangs off a tcall_leg (leg->st), allocated on first
 * use, freed with stimer_leg_free() (call.c, when the call or the leg goes).
 * SIP thread only.
 */
#ifndef TANDEM_SIP_SESSION_TIMER_H
#define TANDEM_SIP_SESSION_TIMER_H

#include <stdbool.h>
#include <stddef.h>

#include "sip/call.h"

/* Handle parameters for a new leg: session interval and Min-SE to ask for
 * (0 when timers are off for it). */
unsigned stimer_interval_for(const struct call *c, const struct tconf_trunk *t);

/* The SDP sent on / received from a leg (any offer or answer). */
void stimer_note_tx(struct tcall_leg *leg, const char *sdp);
void stimer_note_rx(struct tcall_leg *leg, const char *sdp, size_t len);

/* The peer's Allow said UPDATE (its INVITE for leg A, its 2xx for leg B). */
void stimer_note_allow(struct tcall_leg *leg, sip_t const *sip);

/* A re-INVITE (update = false) or UPDATE with SDP arrived on 'leg': when it
 * only repeats what the leg agreed (a refresh), answer it with the SDP last
 * sent on the leg and return true; the call core then does nothing more. */
bool stimer_answer_refresh(struct call *c, struct tcall_leg *leg, nua_handle_t *nh,
			   const char *sdp, size_t len, bool update);

/* What the peer said about the session interval: its request (uas = true:
 * leg A's INVITE, a re-INVITE or UPDATE from either peer) or its 2xx to ours
 * (uas = false). Works out the interval and who refreshes, as RFC 4028 9
 * and nua do. */
void stimer_negotiate(struct call *c, struct tcall_leg *leg, sip_t const *msg, bool uas);

/* The leg's session is established or was just refreshed: (re)arm the
 * refresh when the gateway is the refresher. */
void stimer_arm(struct call *c, struct tcall_leg *leg);

/* A response on a leg: true when it answers the gateway's own refresh (then
 * it is handled here and must not reach the state machine). */
bool stimer_on_response(struct call *c, struct tcall_leg *leg, nua_event_t ev, int status);

/* nua ended a leg's dialog by itself (BYE not asked for by the call core):
 * the peer stopped refreshing. Ends the other leg, notes the cause. */
void stimer_expired(struct call *c, struct tcall_leg *leg);

void stimer_leg_free(struct tcall_leg *leg);

#endif
