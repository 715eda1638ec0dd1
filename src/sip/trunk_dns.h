/* trunk_dns.h - where a trunk given by DNS name is reached (SIP thread):
 * RFC 3263 with sofia's asynchronous resolver (sres), and our own list of
 * targets so that calls fail over from one SRV target to the next.
 *
 * For a trunk whose host is a name:
 *   port set     -> A/AAAA of the host, that port;
 *   port unset   -> NAPTR of the host: the first record (order, preference)
 *                   with flag "s" and the trunk's transport (SIP+D2U, SIP+D2T,
 *                   SIPS+D2T) names the SRV; without one, _sip._udp.HOST,
 *                   _sip._tcp.HOST or _sips._tcp.HOST; SRV targets ordered by
 *                   priority and weight (srv_order.h), each target's A and AAAA
 *                   records in turn; no SRV at all -> A/AAAA, port 5060 (5061
 *                   for TLS).
 * The list is kept for the smallest TTL of the records it came from (at least
 * TDNS_MIN_TTL s) and resolved again in the background when that runs out;
 * calls meanwhile use the old list. A name that does not resolve is logged
 * and retried; calls to it then leave the name to sofia.
 *
 * The Request-URI keeps the name (sip:NUMBER@carrier.example); the chosen
 * target is the request's outbound proxy (NUTAG_PROXY on the call's handle).
 *
 * Ownership: the table belongs to struct tsip (tdns_init/tdns_free).
 */
#ifndef TANDEM_SIP_TRUNK_DNS_H
#define TANDEM_SIP_TRUNK_DNS_H

#include <stddef.h>

#include "sip/sip_internal.h"

#define TDNS_MIN_TTL 1
#define TDNS_MAX_TARGETS 16

int tdns_init(struct tsip *s);
void tdns_free(struct tsip *s);

/* The host part of the trunk's URIs: "carrier.example" (a name without a
 * port, for NAPTR/SRV), "carrier.example:5070", "192.0.2.1:5060",
 * "[2001:db8::1]:5060". */
void trunk_uri_host(const struct tconf_trunk *t, char *buf, size_t len);

/* The idx-th target (0 = first choice) of trunk t as a proxy URL
 * "sip:IP:PORT;transport=X", and in *label "name -> IP:PORT" for logs.
 * Returns 0; -ENOENT when there are fewer targets; -EAGAIN when t's host is
 * an IP literal or its name is not resolved (yet): then send to the name. */
int tdns_target(struct tsip *s, const struct tconf_trunk *t, size_t idx,
		char *url, size_t ulen, char *label, size_t llen);

/* Count of targets known for the trunk (0 if none / IP literal). */
size_t tdns_count(struct tsip *s, const struct tconf_trunk *t);

#endif
