/* call_route.h - routing of a new call and what its outbound leg carries
 * (SIP thread only): source, loop check, route match, limits, target order,
 * numbers and identity headers toward each trunk.
 *
 * A call_routing lives inside struct call (call.h) and points into the
 * call's config snapshot; it owns nothing but its own arrays.
 */
#ifndef TANDEM_SIP_CALL_ROUTE_H
#define TANDEM_SIP_CALL_ROUTE_H

#include "core/routetab.h"
#include "sip/hdrpolicy.h"
#include "sip/sip_internal.h"

struct call_routing {
	const struct tconf_route *route;
	uint8_t order[TROUTE_MAX_TARGETS];  /* route->targets indices, in the order tried */
	size_t norder;
	char called_norm[64];       /* called number in E.164 when the source trunk has a
				     * number format, else as received: what is routed */
	char caller_norm[64];       /* the same for the calling number */
	char routed[100];           /* the called number after the route's changes */
	char src_ip[48];            /* where the INVITE came from */
	const struct tconf_trunk *src_trunk;   /* the trunk it came from, or NULL */
	const char *source;         /* trunk or user name it came from, or NULL */
	const struct tconf_user *user;  /* the user it is counted against, or NULL */
	const struct tconf_user *callee;  /* a user dialled by number or name, or NULL */
	struct tconf_target direct;     /* the target for callee (kind user) */
	bool user_held;             /* holds one of the user's max_calls */
	bool emergency;
	struct hdr_identity ident;
};

/* Route a new INVITE from an authenticated user (from_user, NULL for a
 * trusted source: then a trunk is recognised by its address, and otherwise
 * the From user counts for user limits). A called number that is a user's
 * number or name rings that user (rt->callee, rt->route NULL) unless a route
 * has exactly that prefix. On success returns 0 with rt filled and *first
 * the position (in rt->order) of the first usable target. Otherwise returns
 * the SIP status to refuse it with (404 no route, 480 no registered phone,
 * limits, 503 nothing usable), *phrase and *why set (nothing held). */
int call_route_new(struct tsip *s, sip_t const *sip, const char *called, const char *caller,
		   const struct tconf_user *from_user, struct call_routing *rt, size_t *first,
		   const char **phrase, char *why, size_t whylen);

/* The target being tried at position i of rt->order (or rt->direct). */
const struct tconf_target *call_route_target(const struct call_routing *rt, size_t i);

/* The first usable target position after 'from' (trunk down, full or over its
 * max_cps, users without a registered phone are skipped, and logged);
 * rt->norder when none is left. */
size_t call_route_next(struct tsip *s, const char *call_id, const struct call_routing *rt, size_t from);

/* What the B leg toward trunk tr carries: the called number, the calling
 * user part of From (NULL: anonymous), and extra headers. */
void call_route_outbound(const struct call_routing *rt, const struct tconf_trunk *tr, const char *caller,
			 char *called_out, size_t clen, char *caller_out, size_t calen, bool *anon,
			 char *headers, size_t hlen);

/* The call ends: give back what it holds (user slot). */
void call_route_release(struct tsip *s, struct call_routing *rt);

#endif
