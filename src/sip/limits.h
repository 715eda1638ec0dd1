/* limits.h - limits against fraud and overload (SIP thread only).
 *
 *   source_cps   new calls per second from one source address that is not a
 *                trunk ([limits])
 *   trunk_cps_in new calls per second from a trunk (trunk max_cps_in)
 *   trunk_cps    new calls per second sent to a trunk (trunk max_cps)
 *   trunk_channels  concurrent calls on a trunk (trunk max_channels; the
 *                count itself lives in trunks.c, only the hits are counted here)
 *   user_calls   concurrent calls of a user (user max_calls)
 *   international  a user without allow_international calling + or 00
 * Rates are token buckets: 'cps' tokens a second, at most 'cps' (at least 1)
 * saved up. Emergency numbers ([limits] emergency) pass every rate and user
 * limit (a trunk that is full or down is still skipped: it cannot take them).
 * A call over a limit is refused with [limits] reject_code (trunk limits first
 * try the route's next target), logged with the limit's name, and counted in
 * tandem_limit_hits_total{limit="..."}.
 *
 * State: a bounded hash table (TLIMITS_SLOTS entries) of buckets and user
 * counts; when full, the least recently used idle entry is reused, so a flood
 * of source addresses cannot grow memory. Ownership: struct tsip holds the
 * table (tlimits_new/tlimits_free); counters are atomics in tsip->n.
 */
#ifndef TANDEM_SIP_LIMITS_H
#define TANDEM_SIP_LIMITS_H

#include "sip/sip_internal.h"

#define TLIMITS_SLOTS 8192

struct tlimits;

int tlimits_new(struct tlimits **out);
void tlimits_free(struct tlimits *l);

const char *tlimit_name(enum tlimit l);

/* Is 'called' one of the configured emergency numbers? */
bool tlimits_emergency(const tconf_t *c, const char *called);

/* The user a call is counted against: the authenticated user when known,
 * else the user whose name or number is the From user part; NULL if none.
 * (The one place that decides it.) */
const struct tconf_user *tlimits_user_of(const tconf_t *c, sip_t const *sip);

/* Admission of a new call: CPS of its source (the trunk's max_cps_in when it
 * comes from one, else source_cps by address), the user's international permission
 * and concurrent calls. 0, or -1 with *hit set (the hit is logged and counted).
 * On 0 with a user that has max_calls, the call holds one of its slots:
 * release it with tlimits_user_release(). */
int tlimits_admit(struct tsip *s, const char *src_ip, const struct tconf_trunk *src_trunk,
		  const struct tconf_user *u, const char *called, enum tlimit *hit);
void tlimits_user_release(struct tsip *s, const char *user);

/* May one more call go to trunk t now (max_cps)? Takes a token when it may;
 * a refusal is logged and counted. */
bool tlimits_trunk_take(struct tsip *s, const struct tconf_trunk *t);

/* Count and log a hit found elsewhere (trunk_channels). */
void tlimits_hit(struct tsip *s, enum tlimit l, const char *who);

/* Token bucket (pure; for the tests): take one token at time 'now' (s);
 * refills 'rate' per second up to 'burst'. */
bool tlimits_bucket_take(double *tokens, double *last, double rate, double burst, double now);

#endif
