/* trunk_auth.h - answering a trunk's 401/407 with the trunk's credentials
 * (SIP thread). The glue between sofia's parsed challenge headers and
 * digest_client.h; used for the B leg's INVITE (call.c) and for REGISTER
 * (trunk_register.c).
 *
 * Policy: the best challenge of the response is answered (SHA-256 before
 * MD5), and only for the trunk's realm when one is configured. An answer that
 * is challenged again is a wrong username or password unless the new
 * challenge says stale=true: then the caller gives up (one retry per
 * challenge, no loop) and the reason is logged once here.
 */
#ifndef TANDEM_SIP_TRUNK_AUTH_H
#define TANDEM_SIP_TRUNK_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "sip/sip_internal.h"

/* The credentials for response 'sip' (a 401 or 407) from trunk 't' to a
 * request 'method' sent to 'uri'. 'answered' is how many times this request
 * was already answered. On success out holds the header value and *proxy
 * says whether it is a Proxy-Authorization. 'who' names the request in logs.
 * Returns 0; -EPERM (the trunk has no credentials), -ENOENT (no challenge we
 * can answer), -EACCES (our answer was refused: wrong credentials), -ENOSPC. */
int trunk_auth_answer(const struct tconf_trunk *t, sip_t const *sip, const char *method,
		      const char *uri, unsigned answered, const char *who,
		      char *out, size_t len, bool *proxy);

/* For requests nua must resend itself (in-dialog BYE: a second nua_bye()
 * is not sent): the NUTAG_AUTH() string "Digest:\"REALM\":USER:PASSWORD"
 * for nua_authenticate(), from the response's first MD5 challenge for the
 * trunk (sofia's client does MD5 only). 0, -EPERM (no credentials), -ENOENT
 * (no MD5 challenge), -ENOSPC. */
int trunk_auth_nua_md5(const struct tconf_trunk *t, sip_t const *sip, char *out, size_t len);

#endif
