/* limits.c - see limits.h. */
#include "config.h"
#include "sip/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/numplan.h"

#define PROBE 16                    /* slots looked at per key */

struct slot {
	char key[72];               /* "s:IP", "t:TRUNK", "u:USER"; "" = free */
	double tokens, last;        /* bucket; last = when it was last used (s) */
	unsigned count;             /* concurrent calls (users); never evicted while > 0 */
};

struct tlimits {
	struct slot *slots;
	uint32_t seed;
};

static const char *const names[TLIMIT__COUNT] = {
	[TLIMIT_SOURCE_CPS] = "source_cps", [TLIMIT_TRUNK_CPS] = "trunk_cps",
	[TLIMIT_TRUNK_CHANNELS] = "trunk_channels", [TLIMIT_USER_CALLS] = "user_calls",
	[TLIMIT_INTERNATIONAL] = "international", [TLIMIT_TRUNK_CPS_IN] = "trunk_cps_in",
	[TLIMIT_RTP_PORTS] = "rtp_ports", [TLIMIT_TRANSCODING] = "transcoding",
};

const char *tlimit_name(enum tlimit l) { return (unsigned)l < TLIMIT__COUNT ? names[l] : "?"; }

int tlimits_new(struct tlimits **out)
{
	struct tlimits *l = calloc(1, sizeof *l);
	if (!l || !(l->slots = calloc(TLIMITS_SLOTS, sizeof *l->slots))) {
		free(l);
		return -ENOMEM;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	l->seed = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec;   /* keys are remote addresses */
	*out = l;
	return 0;
}

void tlimits_free(struct tlimits *l)
{
	if (l)
		free(l->slots);
	free(l);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t hash(const struct tlimits *l, const char *k)
{
	uint32_t h = 2166136261u ^ l->seed;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

/* The slot of 'key', made (fresh: full bucket) when 'create'. */
static struct slot *find(struct tlimits *l, const char *key, bool create, double now, double burst)
{
	uint32_t h = hash(l, key);
	struct slot *victim = NULL;
	for (unsigned i = 0; i < PROBE; i++) {
		struct slot *s = &l->slots[(h + i) % TLIMITS_SLOTS];
		if (!strcmp(s->key, key))
			return s;
		if (!s->key[0]) {
			if (!victim || victim->key[0])
				victim = s;
		} else if (!s->count && (!victim || (victim->key[0] && s->last < victim->last))) {
			victim = s;
		}
	}
	if (!create || !victim)
		return NULL;
	snprintf(victim->key, sizeof victim->key, "%s", key);
	victim->tokens = burst;
	victim->last = now;
	victim->count = 0;
	return victim;
}

bool tlimits_bucket_take(double *tokens, double *last, double rate, double burst, double now)
{
	if (now > *last) {
		*tokens += (now - *last) * rate;
		if (*tokens > burst)
			*tokens = burst;
	}
	*last = now;
	if (*tokens < 1.0)
		return false;
	*tokens -= 1.0;
	return true;
}

static bool take(struct tlimits *l, const char *key, unsigned cps)
{
	double now = now_s(), burst = cps < 1 ? 1 : cps;
	struct slot *s = find(l, key, true, now, burst);
	if (!s)
		return true;            /* table full of busy users: do not refuse for that */
	return tlimits_bucket_take(&s->tokens, &s->last, cps, burst, now);
}

void tlimits_hit(struct tsip *s, enum tlimit l, const char *who)
{
	atomic_fetch_add_explicit(&s->n.limit_hits[l], 1, memory_order_relaxed);
	LOG_NOTICE("limit %s reached by %s", tlimit_name(l), who);
}

bool tlimits_emergency(const tconf_t *c, const char *called)
{
	for (const char **e = c->limits.emergency; e && *e; e++)
		if (!strcmp(*e, called))
			return true;
	return false;
}

const struct tconf_user *tlimits_user_of(const tconf_t *c, sip_t const *sip)
{
	/* TODO(auth): prefer the user digest authentication established. */
	const char *from = sip && sip->sip_from && sip->sip_from->a_url->url_user ?
			   sip->sip_from->a_url->url_user : NULL;
	if (!from)
		return NULL;
	const struct tconf_user *u = tconf_user(c, from);
	return u ? u : tconf_user_by_number(c, from);
}

int tlimits_admit(struct tsip *s, const char *src_ip, const struct tconf_trunk *src_trunk,
		  const struct tconf_user *u, const char *called, enum tlimit *hit)
{
	const tconf_t *c = s->conf;
	char key[72], who[96];
	if (tlimits_emergency(c, called))
		return 0;
	if (src_trunk && src_trunk->max_cps_in) {
		snprintf(key, sizeof key, "i:%s", src_trunk->name);
		if (!take(s->limits, key, src_trunk->max_cps_in)) {
			*hit = TLIMIT_TRUNK_CPS_IN;
			snprintf(who, sizeof who, "trunk %s (max_cps_in %u)", src_trunk->name, src_trunk->max_cps_in);
			goto refused;
		}
	} else if (!src_trunk && c->limits.source_cps && src_ip && *src_ip) {
		snprintf(key, sizeof key, "s:%s", src_ip);
		if (!take(s->limits, key, c->limits.source_cps)) {
			*hit = TLIMIT_SOURCE_CPS;
			snprintf(who, sizeof who, "source %s (source_cps %u)", src_ip, c->limits.source_cps);
			goto refused;
		}
	}
	if (!u)
		return 0;
	if (!u->allow_international && tnum_is_international(NULL, called)) {
		*hit = TLIMIT_INTERNATIONAL;
		snprintf(who, sizeof who, "user %s calling %s (allow_international = no)", u->name, called);
		goto refused;
	}
	if (u->max_calls) {
		snprintf(key, sizeof key, "u:%s", u->name);
		struct slot *sl = find(s->limits, key, true, now_s(), 1);
		if (sl && sl->count >= u->max_calls) {
			*hit = TLIMIT_USER_CALLS;
			snprintf(who, sizeof who, "user %s (max_calls %u)", u->name, u->max_calls);
			goto refused;
		}
		if (sl)
			sl->count++;
	}
	return 0;
refused:
	tlimits_hit(s, *hit, who);
	return -1;
}

void tlimits_user_release(struct tsip *s, const char *user)
{
	char key[72];
	snprintf(key, sizeof key, "u:%s", user);
	struct slot *sl = find(s->limits, key, false, 0, 0);
	if (sl && sl->count)
		sl->count--;
}

bool tlimits_trunk_take(struct tsip *s, const struct tconf_trunk *t)
{
	if (!t->max_cps)
		return true;
	char key[72];
	snprintf(key, sizeof key, "t:%s", t->name);
	if (take(s->limits, key, t->max_cps))
		return true;
	char who[96];
	snprintf(who, sizeof who, "trunk %s (max_cps %u)", t->name, t->max_cps);
	tlimits_hit(s, TLIMIT_TRUNK_CPS, who);
	return false;
}
