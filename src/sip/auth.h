/* auth.h - inbound access control (SIP thread only).
 *
 * Who may use the gateway: a request from a trusted source (an address in a
 * trunk's `acl`) is the trunk's; anyone else must prove to be a user of
 * users.conf with HTTP digest (RFC 3261 s.22, RFC 7616, RFC 8760): the
 * challenge offers SHA-256 first, then MD5; nonces expire (stale=true) and
 * cannot be replayed (nonce.h); a wrong password is 403, and a source that
 * fails too often is banned for a while (banlist.h). Nothing is trusted by
 * default, loopback included.
 *
 * Ownership: the state (nonces, bans) belongs to struct tsip (tauth_init /
 * tauth_free) and follows the config on reload (tauth_follow_conf).
 */
#ifndef TANDEM_SIP_AUTH_H
#define TANDEM_SIP_AUTH_H

#include "sip/sip_internal.h"

/* Where a request came from (the packet's source, RFC 3581), and how. */
struct tsip_src {
	char ip[46];                /* where the request came from: replies and NAT */
	uint16_t port;
	char transport[8];          /* "udp", "tcp" */
	/* Who sent it: the same, except for a browser behind the WebSocket shim
	 * (ws_glue.h), whose real address the shim vouches for. ACLs, bans,
	 * limits, records and logs use this one. */
	char peer[46];
	uint16_t peer_port;
	bool ws;
};

/* The source of the request being handled now (from nua's current message).
 * 0, -ENOENT when there is none, -EPERM for a forged shim header. */
int tsip_request_source(struct tsip *s, sip_t const *sip, struct tsip_src *out);

int tauth_init(struct tsip *s);
void tauth_free(struct tsip *s);
void tauth_follow_conf(struct tsip *s);

/* The trunk whose acl holds 'ip', or NULL. */
const struct tconf_trunk *tauth_trusted(const tconf_t *conf, const char *ip);

enum tauth_result {
	TAUTH_TRUSTED,              /* *trunk is set */
	TAUTH_USER,                 /* *user is set: the digest was right */
	TAUTH_ANSWERED,             /* challenged or refused: a response went out on nh */
};

/* Check an out-of-dialog request. 'trust' false: a trusted source must still
 * authenticate (REGISTER). INVITE is challenged with 407 and Proxy-
 * Authenticate, everything else with 401 and WWW-Authenticate. On
 * TAUTH_ANSWERED the response was sent (nh is not destroyed here). */
enum tauth_result tauth_check(struct tsip *s, nua_handle_t *nh, sip_t const *sip,
			      const struct tsip_src *src, bool trust,
			      const struct tconf_trunk **trunk, const struct tconf_user **user);

/* Sources banned now (for status). */
size_t tauth_banned_count(struct tsip *s);

#endif
