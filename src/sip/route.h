/* route.h - where a new call goes (SIP thread only).
 *
 * A called number that is a user's `number` (or name) rings that user's
 * registered phones, unless a route has exactly that prefix (then the route
 * decides, e.g. `201 = user:alice, voicemail`). Anything else follows the
 * longest-prefix route; its first target that can take a call now is picked:
 * trunks that are down or full, and users with no registered phone, are
 * skipped (the call core fails over along the rest of the list).
 */
#ifndef TANDEM_SIP_ROUTE_H
#define TANDEM_SIP_ROUTE_H

#include "sip/sip_internal.h"

/* Pick the target of a call to 'called'. Returns 0 with *tgp set (either a
 * target of *rp, or 'direct' filled in for a user dialled by number, with
 * *rp NULL), or the SIP status to refuse with (404 no route, 480 user
 * without a registered phone, 503 no usable trunk) and *why (static text). */
int call_route(struct tsip *s, const char *called, const struct tconf_route **rp,
	       struct tconf_target *direct, const struct tconf_target **tgp, const char **why);

#endif
