/* fork.h - parallel forking: one call rings every registered contact of a
 * user at once (SIP thread only).
 *
 * While the forks ring, the call's B leg (c->b) is empty and each fork is a
 * leg of its own (leg->fork set), with its own nua handle and INVITE sent to
 * the binding's contact through the address its REGISTER came from. The
 * fork set turns the forks' responses into the call's B events:
 *   - provisionals are relayed; early media (18x with SDP) is taken from one
 *     fork only, the first to send it: the caller hears that one;
 *   - the first 2xx wins: that fork becomes c->b (EV_B_ANSWER; the media
 *     session's B side switches to the winner's answer) and every other fork
 *     is abandoned: CANCELled as soon as it may be (a late 2xx gets ACK and
 *     BYE), through the call core's orphan list;
 *   - when every fork has failed, the best final response (RFC 3261 s.16.7:
 *     6xx first, then the lowest class) is the call's EV_B_REJECT.
 *
 * Ownership: the set belongs to the call (c->forks) and each fork leg to the
 * set; fork_abandon_all() hands live forks over to the orphan list and frees
 * the set (call_cancel_b, failover and call_free call it).
 */
#ifndef TANDEM_SIP_FORK_H
#define TANDEM_SIP_FORK_H

#include "sip/call.h"

/* INVITE every live contact of c->callee with 'offer'. Returns the number
 * of forks started, -ENOENT when the user has no contact, or -ENOMEM. */
int fork_start(struct call *c, const struct media_sdp *offer);

/* A sofia event on a fork leg (c->ev is already filled in). */
void fork_on_event(struct call *c, struct tcall_leg *leg, nua_event_t event, int status,
		   tagi_t tags[]);

/* Give up on every fork that is still ringing, and free the set. */
void fork_abandon_all(struct call *c);

/* Forks still ringing (for the listing). */
size_t fork_count(const struct call *c);

#endif
