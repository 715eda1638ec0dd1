/* call_route.c - see call_route.h. */
#include "config.h"
#include "sip/call_route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_addr.h>

#include "core/log.h"
#include "core/numplan.h"
#include "sip/auth.h"
#include "sip/limits.h"
#include "sip/regsip.h"
#include "sip/trunks.h"

static uint32_t rnd32(void *arg)
{
	(void)arg;
	return (uint32_t)random() ^ ((uint32_t)random() << 16);
}

static bool registered(struct tsip *s, const struct tconf_user *u)
{
	const struct treg_binding *b;
	return tregsip_lookup(s, u, &b, 1) > 0;
}

const struct tconf_target *call_route_target(const struct call_routing *rt, size_t i)
{
	return rt->callee ? &rt->direct : &rt->route->targets[rt->order[i]];
}

static bool is_number(const char *s)
{
	s += *s == '+';
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* Who sent the request being handled (a browser's own address behind the
 * WebSocket shim). */
static void source_of(struct tsip *s, sip_t const *sip, char *ip, size_t len, unsigned *port)
{
	struct tsip_src src;
	ip[0] = '\0';
	*port = 0;
	if (tsip_request_source(s, sip, &src) < 0)
		return;
	snprintf(ip, len, "%s", src.peer);
	*port = src.peer_port;
}

/* A trunk the request came from: its address, and its port too over UDP
 * (a TCP peer connects from any port). */
static const struct tconf_trunk *trunk_of(const tconf_t *c, const char *ip, unsigned port)
{
	for (size_t i = 0; ip[0] && i < c->ntrunks; i++) {
		const struct tconf_trunk *t = &c->trunks[i];
		if (strcmp(t->host, ip))
			continue;
		/* an unset port is SIP's default (5060) */
		if (t->transport == TCONF_TP_UDP && (t->port ? t->port : 5060) != port)
			continue;
		return t;
	}
	return NULL;
}

/* Did the request already pass through this node? (our own address and port
 * in one of its Vias: RFC 3261 16.3 step 4 for a B2BUA) */
static bool looped(const tconf_t *c, sip_t const *sip)
{
	for (sip_via_t const *v = sip->sip_via; v; v = v->v_next) {
		unsigned port = v->v_port ? (unsigned)atoi(v->v_port) : 5060;
		for (size_t i = 0; v->v_host && i < c->ninterfaces; i++) {
			const struct tconf_interface *ifc = &c->interfaces[i];
			if (port == ifc->sip_port && (!strcasecmp(v->v_host, ifc->address) ||
						      (ifc->advertise && !strcasecmp(v->v_host, ifc->advertise))))
				return true;
		}
	}
	return false;
}

size_t call_route_next(struct tsip *s, const char *call_id, const struct call_routing *rt, size_t from)
{
	for (size_t i = from; i < rt->norder; i++) {
		const struct tconf_target *tg = &rt->route->targets[rt->order[i]];
		if (tg->kind == TCONF_TARGET_USER && !registered(s, tg->user)) {
			LOG_INFO("call %s: skipping user %s: no registered phone", call_id, tg->user->name);
			continue;
		}
		if (tg->kind != TCONF_TARGET_TRUNK)
			return i;
		const char *why = NULL;
		if (!trunk_usable(s, tg->trunk, &why)) {
			LOG_INFO("call %s: skipping trunk %s: %s", call_id, tg->trunk->name, why);
			if (tg->trunk->max_channels && why && strstr(why, "max_channels"))
				tlimits_hit(s, TLIMIT_TRUNK_CHANNELS, tg->trunk->name);
			continue;
		}
		if (!rt->emergency && !tlimits_trunk_take(s, tg->trunk)) {
			LOG_INFO("call %s: skipping trunk %s: over its max_cps", call_id, tg->trunk->name);
			continue;
		}
		return i;
	}
	return rt->norder;
}

/* A user dialled by number or name (not when a route has exactly that
 * prefix: then the route decides). */
static const struct tconf_user *dialled_user(const tconf_t *c, const struct tconf_route *r, const char *called)
{
	if (r && r->prefix && !strcmp(r->prefix, called))
		return NULL;
	const struct tconf_user *u = tconf_user_by_number(c, called);
	return u ? u : tconf_user(c, called);
}

int call_route_new(struct tsip *s, sip_t const *sip, const char *called, const char *caller,
		   const struct tconf_user *from_user, struct call_routing *rt, size_t *first,
		   const char **phrase, char *why, size_t whylen)
{
	const tconf_t *c = s->conf;
	unsigned port;
	memset(rt, 0, sizeof *rt);
	if (looped(c, sip)) {
		*phrase = "Loop Detected";
		snprintf(why, whylen, "a Via of this node: the request has been here before");
		return 482;
	}
	source_of(s, sip, rt->src_ip, sizeof rt->src_ip, &port);
	rt->src_trunk = trunk_of(c, rt->src_ip, port);
	/* limits count against the authenticated user; a trusted source that is
	 * no trunk peer (a PBX) by its From user */
	rt->user = from_user ? from_user : rt->src_trunk ? NULL : tlimits_user_of(c, sip);
	rt->source = rt->src_trunk ? rt->src_trunk->name : rt->user ? rt->user->name : NULL;
	hdr_inbound(rt->src_trunk, sip, &rt->ident);
	/* numbers from a trunk with a number format are read in its plan and
	 * routed as E.164 */
	snprintf(rt->called_norm, sizeof rt->called_norm, "%s", called);
	snprintf(rt->caller_norm, sizeof rt->caller_norm, "%s", caller);
	const struct tconf_trunk *st = rt->src_trunk;
	if (st && st->country_code && st->number_format != TNUM_ASIS) {
		struct tnum_plan p = { st->country_code, st->national_prefix, st->international_prefix };
		tnum_to_e164(&p, called, rt->called_norm, sizeof rt->called_norm);
		if (is_number(caller))
			tnum_to_e164(&p, caller, rt->caller_norm, sizeof rt->caller_norm);
	}
	struct troute_query q = { rt->called_norm, rt->caller_norm, rt->source };
	rt->route = troute_match(c, &q, rt->routed, sizeof rt->routed);
	const struct tconf_user *u = dialled_user(c, rt->route, called);
	if (u) {
		if (!registered(s, u)) {
			*phrase = "Temporarily Unavailable";
			snprintf(why, whylen, "user %s has no registered phone", u->name);
			return 480;
		}
		rt->route = NULL;
		rt->callee = u;
		rt->direct = (struct tconf_target){ .kind = TCONF_TARGET_USER, .user = u, .priority = 1, .weight = 1 };
		snprintf(rt->routed, sizeof rt->routed, "%s", called);
	} else if (!rt->route || !rt->route->ntargets) {
		*phrase = "Not Found";
		snprintf(why, whylen, "no route");
		return 404;
	}
	rt->emergency = tlimits_emergency(c, called) || tlimits_emergency(c, rt->called_norm);
	enum tlimit hit;
	if (!rt->emergency && tlimits_admit(s, rt->src_ip, rt->src_trunk, rt->user, called, &hit) < 0) {
		*phrase = c->limits.reject_code == 403 ? "Forbidden" : "Service Unavailable";
		snprintf(why, whylen, "limit %s", tlimit_name(hit));
		return (int)c->limits.reject_code;
	}
	rt->user_held = rt->user && rt->user->max_calls;
	if (rt->callee) {
		rt->norder = 1;
		*first = 0;
		return 0;
	}
	rt->norder = troute_order(rt->route, rnd32, NULL, rt->order);
	*first = call_route_next(s, "new", rt, 0);
	if (*first == rt->norder) {
		call_route_release(s, rt);
		bool users = false;
		for (size_t i = 0; i < rt->route->ntargets; i++)
			users |= rt->route->targets[i].kind == TCONF_TARGET_USER;
		*phrase = users ? "Temporarily Unavailable" : "Service Unavailable";
		snprintf(why, whylen, users ? "no registered phone and no usable trunk"
					    : "no usable trunk (down, full or over max_cps)");
		return users ? 480 : 503;
	}
	return 0;
}

static void put_number(const struct tconf_trunk *tr, const char *in, unsigned strip, const char *prepend,
		       char *out, size_t len)
{
	char f[128];
	struct tnum_plan p = { tr->country_code, tr->national_prefix, tr->international_prefix };
	tnum_format(&p, (enum tnum_format)tr->number_format, in, f, sizeof f);
	size_t fl = strlen(f), st = strip < fl ? strip : fl;
	snprintf(out, len, "%s%s", prepend ? prepend : "", f + st);
}

void call_route_outbound(const struct call_routing *rt, const struct tconf_trunk *tr, const char *caller,
			 char *called_out, size_t clen, char *caller_out, size_t calen, bool *anon,
			 char *headers, size_t hlen)
{
	put_number(tr, rt->routed, tr->strip, tr->prepend, called_out, clen);
	const struct tconf_route_def *d = rt->route ? rt->route->def : NULL;
	const char *cid = tr->caller_id ? tr->caller_id : d && d->caller_id ? d->caller_id :
			  rt->caller_norm[0] ? rt->caller_norm : caller;
	if (tr->caller_id || !is_number(cid))
		snprintf(caller_out, calen, "%s", cid[0] ? cid : "anonymous");
	else
		put_number(tr, cid, 0, NULL, caller_out, calen);
	if (hdr_outbound(&rt->ident, tr, headers, hlen, anon) < 0)
		LOG_WARN("trunk %s: identity/history headers too long: some were left out", tr->name);
}

void call_route_release(struct tsip *s, struct call_routing *rt)
{
	if (rt->user_held && rt->user)
		tlimits_user_release(s, rt->user->name);
	rt->user_held = false;
}
