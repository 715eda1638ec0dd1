/* refer.h - blind transfer (REFER, RFC 3515) handled by the gateway.
 *
 * A REFER from either leg of a confirmed call (the referrer) names a number
 * in Refer-To. tandemd does not pass the REFER on: it routes that number the
 * way a new call from the referrer's side would be routed (first usable trunk
 * of the longest-prefix route; local endpoints are refused), answers 202
 * (nua does) and NOTIFY "100 Trying", and calls the target with an offer
 * made from what the other leg (the transferee) agreed. When the target
 * answers, the referrer gets NOTIFY "200 OK" (subscription terminated), its
 * leg is released (BYE) and the new leg takes its place. The transferee's
 * leg is not touched: its media already goes to the gateway's port, which
 * stays; the gateway relays to the new leg and transcodes if the target
 * chose another codec, so no re-INVITE toward the transferee is needed. On
 * failure the referrer gets NOTIFY with the final status and the call goes on
 * between the two original parties (RFC 5589 6), or, if the referrer has hung
 * up meanwhile, the transferee is released.
 *
 * Who may transfer: callers ([calls] allow_refer, default yes) and trunks
 * with allow_refer = yes (default no: a carrier cannot make the gateway place
 * calls for it). Others, and transfers that cannot be carried
 * out, get the 202 (the stack accepts every REFER) and then a final NOTIFY
 * with the reason: 403 not allowed or to a local endpoint, 404 no route, 503
 * no usable trunk, 491 during another transfer or offer, 501 for Refer-To
 * with Replaces (attended transfer), 400 without a number.
 *
 * The call records: the part before the transfer is written with disposition
 * TRANSFERRED when the new leg answers; the rest is the call's next attempt
 * (called number and target of the transfer).
 *
 * Ownership: struct xfer belongs to its call (c->xfer), freed by
 * refer_free() from call_free(). SIP thread only.
 */
#ifndef TANDEM_SIP_REFER_H
#define TANDEM_SIP_REFER_H

#include <stdbool.h>

#include "sip/call.h"

/* A REFER arrived on 'leg' (nua_i_refer; REFER is an application method). */
void refer_on_request(struct call *c, struct tcall_leg *leg, nua_handle_t *nh, sip_t const *sip,
		      tagi_t tags[]);

/* Events of the call while a transfer is under way. Returns true when the
 * event was the transfer's business (the new leg's, or the referrer hanging
 * up meanwhile) and must not reach the state machine. */
bool refer_on_event(struct call *c, nua_event_t event, int status, char const *phrase,
		    struct tcall_leg *leg, sip_t const *sip, tagi_t tags[]);

/* A transfer is under way (new offers wait: 491). */
bool refer_pending(const struct call *c);

/* The call ends: give up a transfer under way (CANCEL, NOTIFY 487). */
void refer_abort(struct call *c);

void refer_free(struct call *c);

#endif
