/* routetab.h - the routing table: which route a call takes, and in which
 * order its targets are tried.
 *
 * Routes come from three places (loaded by config_routes.c):
 *   [routes]  `prefix = targets`           unconditional prefix routes
 *   [routes] file = routes.csv              the same, one `prefix,targets` a line
 *   [NAME] type = route                     a route with conditions (caller-number
 *                                           prefix, source trunk/user) or a regex,
 *                                           and number changes (rewrite, strip,
 *                                           prepend, caller_id)
 * A call is matched in two steps:
 *   1. regex routes, in file order: the first whose regex matches the whole
 *      called number (and whose caller/source conditions hold) wins;
 *   2. the prefix table: the longest prefix of the called number that has a
 *      route whose conditions hold. At one prefix, routes with conditions are
 *      tried before the unconditional one, in file order.
 *
 * The prefix table is one sorted array of distinct prefixes; each knows its
 * longest proper prefix in the table (its parent). A lookup is one binary
 * search for the greatest prefix <= the number, then a walk up the parents
 * (at most the number's length): O(log n + length), no allocation. An index
 * on the first four characters narrows the search to the prefixes that share
 * them. Memory: 40 bytes per prefix and a 58 kB index.
 *
 * Target order: by priority (lower first); a plain list is tried in order
 * (priority = position); a list that writes priority= or weight= anywhere
 * puts targets without a priority at 1. Among equal priorities a weighted
 * random order (a target with weight 3 comes first three times as often as
 * one with weight 1; weight 0 comes last).
 *
 * Ownership: the table lives in the snapshot's arena and is freed with it;
 * compiled regexes are freed by troutes_release() (tconf_unref calls it).
 * Lookups only read: any thread, as long as it holds the snapshot.
 */
#ifndef TANDEM_CORE_ROUTETAB_H
#define TANDEM_CORE_ROUTETAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

struct tca;
struct troutetab;

#define TROUTE_MAX_TARGETS 32
#define TROUTE_MAX_PREFIX 23        /* characters of a prefix (E.164: 16 with '+') */

/* Build the prefix table over n routes (pointers into the snapshot). Routes
 * with a regex are left out. Returns NULL when out of memory. */
struct troutetab *troutetab_build(struct tca *a, const struct tconf_route *const *routes, size_t n);

/* The longest-prefix route for 'number' that 'accept' takes (accept NULL:
 * unconditional routes only). */
typedef bool (*troute_accept_fn)(const struct tconf_route *r, void *arg);
const struct tconf_route *troutetab_lookup(const struct troutetab *t, const char *number,
					   troute_accept_fn accept, void *arg);
/* Bytes the table uses (not counting the routes themselves). */
size_t troutetab_bytes(const struct troutetab *t);
size_t troutetab_prefixes(const struct troutetab *t);

struct troute_query {
	const char *called;         /* as received */
	const char *caller;         /* caller number, "" if none */
	const char *source;         /* trunk or user name the call came from; NULL = unknown */
};

/* Full match (regex routes, then prefixes with conditions). On a match, 'out'
 * gets the called number after the route's rewrite, strip and prepend; the
 * route is returned. NULL when nothing matches. */
const struct tconf_route *troute_match(const tconf_t *c, const struct troute_query *q,
				       char *out, size_t outlen);

/* The order in which to try r's targets: order[0..n) are indices into
 * r->targets; returns n (r->ntargets, at most TROUTE_MAX_TARGETS). rnd gives
 * 32 random bits (tests pass a deterministic one). */
size_t troute_order(const struct tconf_route *r, uint32_t (*rnd)(void *), void *arg,
		    uint8_t order[TROUTE_MAX_TARGETS]);

/* Parse a target list "name [priority=N] [weight=N], ..." into an array in
 * arena 'a'. Returns the count, or -1 with 'why' set. */
long troute_parse_targets(const tconf_t *c, struct tca *a, const char *text,
			  struct tconf_target **out, char *why, size_t whylen);

/* Compile a regex route's pattern (REG_EXTENDED); 0 or -1 with 'why'. The
 * regex_t is malloc'd; troutes_release frees those of a snapshot. */
int troute_compile(struct tconf_route *r, const char *pattern, char *why, size_t whylen);
void troutes_release(tconf_t *c);

#endif
