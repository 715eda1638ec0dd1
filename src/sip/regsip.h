/* regsip.h - the registrar on the wire (SIP thread only): REGISTER requests
 * (RFC 3261 s.10.3) applied to the bindings store (registrar.h), the store
 * saved to bindings_file and loaded at start, expired bindings swept, and
 * NAT bindings of registered phones kept open (OPTIONS keepalives, or CRLF
 * pings on TCP, as [registrar] keepalive says).
 *
 * NAT (RFC 3581): a binding remembers where its REGISTER came from (source
 * address, port and transport); requests to the phone are sent there, over
 * the phone's own TCP connection when it registered over TCP (tport reuses
 * the open connection to that address).
 *
 * Ownership: the state belongs to struct tsip (tregsip_init/tregsip_free,
 * which saves the bindings one last time).
 */
#ifndef TANDEM_SIP_REGSIP_H
#define TANDEM_SIP_REGSIP_H

#include "sip/sip_internal.h"
#include "sip/registrar.h"

int tregsip_init(struct tsip *s);
void tregsip_free(struct tsip *s);
void tregsip_follow_conf(struct tsip *s);

/* An incoming REGISTER (nua_i_register): authenticated, applied, answered;
 * the handle is destroyed. */
void tregsip_on_register(struct tsip *s, nua_handle_t *nh, sip_t const *sip);

/* Any event: true when nh is one of our keepalive OPTIONS (then handled). */
bool tregsip_on_event(struct tsip *s, nua_event_t event, int status, nua_handle_t *nh,
		      struct tcall_leg *leg);

/* The live bindings of a user (at most max, most recent first); returns how
 * many there are. Pointers are valid until the SIP thread returns to sofia. */
size_t tregsip_lookup(struct tsip *s, const struct tconf_user *u, const struct treg_binding **out,
		      size_t max);

/* The connection at hostport ("IP:PORT", "[IPv6]:PORT") closed: its
 * registrations go now (a browser's WebSocket; ws_glue.h). */
void tregsip_drop_connection(struct tsip *s, const char *hostport);

/* "sip:IP:PORT;transport=T" of where a binding's REGISTER came from: the
 * next hop for requests to that phone. */
void tregsip_next_hop(const struct treg_binding *b, char *buf, size_t len);

#endif
