/* trunk_register.h - outbound registration of the gateway with its trunks
 * (SIP thread): `register = yes` in a trunk's section.
 *
 * Each registering trunk has one registration: REGISTER to host:port with
 * To/From sip:username@host, one Call-ID for its lifetime and a rising CSeq.
 * Challenges are answered with trunk_auth.h (MD5 or SHA-256), also those to
 * the refreshes sofia sends by itself on the registration's handle (between
 * 1/4 and 3/4 of the granted time; 30..60 s before the end when 90 s < granted
 * < 300 s); after a failure the REGISTER is retried after 2, 4, 8 ... at most
 * 300 s. The registration keeps one nua handle for its lifetime (sofia
 * un-registers a registered handle when it is destroyed). State
 * changes are logged; the state shows in `tandemctl trunks`. On a clean stop
 * every registration is removed (Expires: 0) before the stack shuts down.
 *
 * Ownership: the table belongs to struct tsip (trunk_reg_init/trunk_reg_free).
 */
#ifndef TANDEM_SIP_TRUNK_REGISTER_H
#define TANDEM_SIP_TRUNK_REGISTER_H

#include "sip/sip_internal.h"

struct json_t;

int trunk_reg_init(struct tsip *s);
void trunk_reg_free(struct tsip *s);

/* nua_r_register: true when nh was one of ours (then it is handled). */
bool trunk_reg_on_response(struct tsip *s, nua_handle_t *nh, int status, char const *phrase,
		      sip_t const *sip);

/* Stopping: un-register everything; returns how many REGISTERs are still in
 * flight (trunk_reg_busy() says when they are done). */
unsigned trunk_reg_stop(struct tsip *s);
unsigned trunk_reg_busy(const struct tsip *s);

/* "registered", "registering", "failed", "unregistered", or NULL when the
 * trunk does not register; *expires_in: s left of the registration. */
const char *trunk_reg_state(struct tsip *s, const char *trunk, long *expires_in);

#endif
