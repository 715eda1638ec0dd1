/* route.c - see route.h. */
#include "config.h"

#include "sip/route.h"

#include <string.h>

#include "sip/regsip.h"
#include "sip/trunks.h"

static bool registered(struct tsip *s, const struct tconf_user *u)
{
	const struct treg_binding *b;
	return tregsip_lookup(s, u, &b, 1) > 0;
}

int call_route(struct tsip *s, const char *called, const struct tconf_route **rp,
	       struct tconf_target *direct, const struct tconf_target **tgp, const char **why)
{
	const tconf_t *conf = s->conf;
	const struct tconf_route *r = tconf_route_lookup(conf, called);
	bool exact = r && !strcmp(r->prefix, called);
	const struct tconf_user *u = NULL;
	if (!exact && !(u = tconf_user_by_number(conf, called)))
		u = tconf_user(conf, called);
	if (u) {
		if (!registered(s, u)) {
			*why = "the user has no registered phone";
			return 480;
		}
		direct->kind = TCONF_TARGET_USER;
		direct->user = u;
		*rp = NULL;
		*tgp = direct;
		return 0;
	}
	if (!r || r->ntargets == 0) {
		*why = "no route";
		return 404;
	}
	const char *busy = NULL;
	bool unregistered = false;
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct tconf_target *t = &r->targets[i];
		bool ok = t->kind == TCONF_TARGET_TRUNK ? trunk_usable(s, t->trunk, &busy) :
			  t->kind != TCONF_TARGET_USER || registered(s, t->user);
		if (ok) {
			*rp = r;
			*tgp = t;
			return 0;
		}
		unregistered |= t->kind == TCONF_TARGET_USER;
	}
	if (unregistered && !busy) {
		*why = "the user has no registered phone";
		return 480;
	}
	*why = busy ? busy : "no usable trunk";
	return 503;
}
