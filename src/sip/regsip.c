/* regsip.c - see regsip.h. */
#include "config.h"

#include "sip/regsip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "core/log.h"
#include "sip/auth.h"
#include "sip/call.h"

#define TICK_MS 1000                /* sweep and save at most this often */
#define MAX_CONTACTS 32             /* Contacts handled in one REGISTER */

struct tregsip {
	treg_t *store;
	su_timer_t *tick;
	uint64_t saved_gen;
	bool save_failed;           /* said once until a save works again */
	time_t next_keepalive;
	unsigned ka_out;            /* keepalive OPTIONS in flight */
};

/* Keepalive OPTIONS handles are bound to this, so their events are known
 * (and never reach the call core, which would take it for a call's leg). */
static struct tcall_leg ka_magic;

static void tick(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg);

static void save(struct tsip *s)
{
	struct tregsip *r = s->reg;
	const char *path = s->conf->registrar.bindings_file;
	if (!path || treg_generation(r->store) == r->saved_gen)
		return;
	int rc = treg_save(r->store, path);
	r->saved_gen = treg_generation(r->store);   /* retried at the next change */
	if (rc < 0 && !r->save_failed)
		LOG_ERR("registrar: cannot save the bindings to %s: %s (registrations would be lost "
			"on restart; check the directory exists and is writable)", path, strerror(-rc));
	else if (rc == 0 && r->save_failed)
		LOG_NOTICE("registrar: bindings saved to %s again", path);
	r->save_failed = rc < 0;
}

int tregsip_init(struct tsip *s)
{
	const struct tconf_registrar *rc = &s->conf->registrar;
	struct tregsip *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	struct treg_params p = {
		.min_expires = rc->min_expires, .max_expires = rc->max_expires,
		.default_expires = rc->default_expires, .max_bindings = rc->max_bindings,
		.max_per_aor = rc->max_contacts,
	};
	int err = treg_new(&p, &r->store);
	if (err < 0) {
		free(r);
		return err;
	}
	s->reg = r;
	if (rc->bindings_file) {
		int n = treg_load(r->store, rc->bindings_file, (int64_t)time(NULL));
		if (n < 0)
			LOG_ERR("registrar: %s is not a bindings file (%s); starting with no registrations",
				rc->bindings_file, strerror(-n));
		else
			LOG_INFO("registrar: %d binding(s) restored from %s", n, rc->bindings_file);
		r->saved_gen = treg_generation(r->store);
	}
	r->next_keepalive = time(NULL) + rc->keepalive_interval;
	r->tick = su_timer_create(su_root_task(s->root), TICK_MS);
	if (r->tick)
		su_timer_set(r->tick, tick, s);
	return 0;
}

void tregsip_free(struct tsip *s)
{
	if (!s->reg)
		return;
	save(s);
	if (s->reg->tick)
		su_timer_destroy(s->reg->tick);
	treg_free(s->reg->store);
	free(s->reg);
	s->reg = NULL;
}

void tregsip_follow_conf(struct tsip *s)
{
	const struct tconf_registrar *rc = &s->conf->registrar;
	if (s->reg)
		treg_set_expires(s->reg->store, rc->min_expires, rc->max_expires, rc->default_expires);
	/* CRLF pings on TCP connections are tport's (set at start, and here on reload) */
	if (s->nua)
		nua_set_params(s->nua, TPTAG_KEEPALIVE(rc->keepalive == TCONF_KA_CRLF ?
						       rc->keepalive_interval * 1000u : 0),
			       TAG_END());
}

void tregsip_next_hop(const struct treg_binding *b, char *buf, size_t len)
{
	bool v6 = strchr(b->received_ip, ':') != NULL;
	snprintf(buf, len, "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "", b->received_ip, v6 ? "]" : "",
		 b->received_port, b->transport);
}

/* --- keepalives ---------------------------------------------------------- */

static void keepalive_one(const struct treg_binding *b, void *arg)
{
	struct tsip *s = arg;
	if (s->conf->registrar.keepalive == TCONF_KA_CRLF && strcmp(b->transport, "udp"))
		return;             /* tport pings TCP connections itself */
	if (s->reg->ka_out > 4 * treg_count(s->reg->store) + 16)
		return;             /* phones that never answer: do not pile up handles */
	char hop[128], to[TREG_URI_MAX + 8];
	tregsip_next_hop(b, hop, sizeof hop);
	snprintf(to, sizeof to, "<%s>", b->contact);
	nua_handle_t *nh = nua_handle(s->nua, &ka_magic, SIPTAG_TO_STR(to), TAG_END());
	if (!nh)
		return;
	s->reg->ka_out++;
	nua_options(nh, NUTAG_URL(b->contact), NUTAG_PROXY(hop), TAG_END());
}

bool tregsip_on_event(struct tsip *s, nua_event_t event, int status, nua_handle_t *nh,
		      struct tcall_leg *leg)
{
	if (!nh || leg != &ka_magic)
		return false;
	if (event != nua_r_options || status < 200)
		return true;
	LOG_DEBUG("registrar: keepalive answered %d", status);
	if (s->reg && s->reg->ka_out)
		s->reg->ka_out--;
	nua_handle_bind(nh, NULL);
	nua_handle_destroy(nh);
	return true;
}

static void tick(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	struct tsip *s = arg;
	struct tregsip *r = s->reg;
	time_t now = time(NULL);
	size_t gone = treg_sweep(r->store, (int64_t)now);
	if (gone)
		LOG_INFO("registrar: %zu registration(s) expired", gone);
	save(s);
	if (s->conf->registrar.keepalive != TCONF_KA_NONE && now >= r->next_keepalive && !s->stopping) {
		r->next_keepalive = now + s->conf->registrar.keepalive_interval;
		treg_foreach(r->store, keepalive_one, s);
	}
	su_timer_set(t, tick, s);
}

/* --- REGISTER ------------------------------------------------------------ */

size_t tregsip_lookup(struct tsip *s, const struct tconf_user *u, const struct treg_binding **out,
		      size_t max)
{
	if (!s->reg || !u)
		return 0;
	return treg_lookup(s->reg->store, u->name, (int64_t)time(NULL), out, max);
}

static void respond(struct tsip *s, nua_handle_t *nh, int status, const char *phrase, tag_type_t tag,
		    tag_value_t value, ...)
{
	ta_list ta;
	ta_start(ta, tag, value);
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(s->nua), ta_tags(ta));
	/* sofia's ta_end is a comma expression whose last value is unused */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-value"
	ta_end(ta);
#pragma GCC diagnostic pop
}

/* 200 OK lists every live contact of the user with its expiry (s.10.3 #8). */
static void respond_ok(struct tsip *s, nua_handle_t *nh, const char *aor)
{
	const struct treg_binding *b[MAX_CONTACTS];
	int64_t now = (int64_t)time(NULL);
	size_t n = treg_lookup(s->reg->store, aor, now, b, MAX_CONTACTS);
	if (n > MAX_CONTACTS)
		n = MAX_CONTACTS;
	size_t cap = 64, len = 0;
	char *list = NULL;
	for (size_t i = 0; i < n; i++)
		cap += strlen(b[i]->contact) + (b[i]->instance ? strlen(b[i]->instance) : 0) + 64;
	list = malloc(cap);
	if (!list) {
		respond(s, nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return;
	}
	list[0] = 0;
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(list + len, cap - len, "%s<%s>;expires=%lld", i ? ", " : "",
					b[i]->contact, (long long)(b[i]->expires_at - now));
		if (b[i]->instance)
			len += (size_t)snprintf(list + len, cap - len, ";+sip.instance=%s", b[i]->instance);
		if (b[i]->reg_id)
			len += (size_t)snprintf(list + len, cap - len, ";reg-id=%u", b[i]->reg_id);
	}
	respond(s, nh, SIP_200_OK, TAG_IF(n, SIPTAG_CONTACT_STR(list)), TAG_END());
	free(list);
}

static long contact_expires(sip_contact_t const *m, sip_t const *sip)
{
	if (m->m_expires)
		return strtol(m->m_expires, NULL, 10);
	if (sip->sip_expires)
		return (long)sip->sip_expires->ex_delta;
	return -1;
}

/* The user's name, or its number, in To (the address being registered). */
static bool to_is_user(sip_t const *sip, const struct tconf_user *u)
{
	const char *to = sip->sip_to ? sip->sip_to->a_url->url_user : NULL;
	return to && (!strcmp(to, u->name) || (u->number && !strcmp(to, u->number)));
}

/* Parse the Contacts into cs[] (strings in home); the count or -EINVAL. */
static int parse_contacts(struct tsip *s, su_home_t *home, sip_t const *sip, const char *tp,
			  struct treg_contact *cs)
{
	unsigned udp_max = s->conf->registrar.udp_max_expires;
	if (udp_max && udp_max < s->conf->registrar.min_expires)
		udp_max = s->conf->registrar.min_expires;
	int n = 0;
	for (sip_contact_t const *m = sip->sip_contact; m; m = m->m_next) {
		if (n == MAX_CONTACTS || m->m_url->url_type == url_any)
			return -EINVAL;
		url_t u = *m->m_url;
		u.url_headers = NULL;
		char *uri = url_as_string(home, &u);
		const char *inst = msg_params_find(m->m_params, "+sip.instance=");
		const char *rid = msg_params_find(m->m_params, "reg-id=");
		if (!uri)
			return -EINVAL;
		long e = contact_expires(m, sip);
		/* a short registration over UDP keeps the phone's NAT binding open */
		if (udp_max && !strcmp(tp, "udp") && e != 0 && (e < 0 || e > (long)udp_max))
			e = udp_max;
		cs[n++] = (struct treg_contact){
			.contact = uri, .instance = inst ? su_strdup(home, inst) : NULL,
			.reg_id = rid ? (unsigned)strtoul(rid, NULL, 10) : 0, .expires = e,
		};
	}
	return n;
}

static void apply_register(struct tsip *s, nua_handle_t *nh, sip_t const *sip,
			   const struct tconf_user *u, const struct tsip_src *src)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct treg_contact cs[MAX_CONTACTS];
	unsigned granted[MAX_CONTACTS];
	struct treg_request rq = {
		.aor = u->name, .call_id = sip->sip_call_id ? sip->sip_call_id->i_id : NULL,
		.cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0,
		.received_ip = src->ip, .received_port = src->port, .transport = src->transport,
		.user_agent = sip->sip_user_agent ? sip->sip_user_agent->g_string : NULL,
	};
	int rc;
	sip_contact_t const *m = sip->sip_contact;
	if (m && m->m_url->url_type == url_any) {
		/* Contact: * removes every binding, and only with Expires: 0 */
		if (m->m_next || !sip->sip_expires || sip->sip_expires->ex_delta != 0)
			rc = -EINVAL;
		else if ((rc = treg_unregister_all(s->reg->store, &rq)) >= 0)
			LOG_INFO("registrar: %s removed all %d contact(s) (from %s:%u)", u->name, rc,
				 src->ip, src->port);
	} else {
		int n = parse_contacts(s, home, sip, src->transport, cs);
		rc = n < 0 ? n : n == 0 ? 0 :
		     treg_register(s->reg->store, &rq, cs, (size_t)n, (int64_t)time(NULL), granted);
		for (int i = 0; rc >= 0 && i < n; i++)
			LOG_INFO("registrar: %s %s %s (from %s:%u/%s, %us)", u->name,
				 granted[i] ? "registered" : "unregistered", cs[i].contact, src->ip,
				 src->port, src->transport, granted[i]);
	}
	su_home_deinit(home);
	char minexp[16];
	switch (rc) {
	case -ERANGE:
		snprintf(minexp, sizeof minexp, "%u", treg_min_expires(s->reg->store));
		respond(s, nh, SIP_423_INTERVAL_TOO_BRIEF, SIPTAG_MIN_EXPIRES_STR(minexp), TAG_END());
		return;
	case -EINVAL:
		respond(s, nh, SIP_400_BAD_REQUEST, TAG_END());
		return;
	case -EALREADY:
		respond(s, nh, 500, "Out of order CSeq", TAG_END());
		return;
	case -ENOSPC:
		LOG_WARN("registrar: full (max_bindings = %u): %s could not register",
			 s->conf->registrar.max_bindings, u->name);
		respond(s, nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR("300"), TAG_END());
		return;
	default:
		if (rc < 0) {
			respond(s, nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
			return;
		}
	}
	respond_ok(s, nh, u->name);
}

void tregsip_on_register(struct tsip *s, nua_handle_t *nh, sip_t const *sip)
{
	struct tsip_src src;
	const struct tconf_trunk *trunk;
	const struct tconf_user *u;
	if (tsip_request_source(s, sip, &src) < 0) {
		respond(s, nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
	} else if (tauth_check(s, nh, sip, &src, false, &trunk, &u) == TAUTH_USER) {
		if (!to_is_user(sip, u)) {
			LOG_INFO("registrar: user %s may not register %s (from %s:%u)", u->name,
				 sip->sip_to && sip->sip_to->a_url->url_user ? sip->sip_to->a_url->url_user : "?",
				 src.ip, src.port);
			respond(s, nh, SIP_403_FORBIDDEN, TAG_END());
		} else {
			apply_register(s, nh, sip, u, &src);
		}
	}
	nua_handle_destroy(nh);
}

/* --- listing ------------------------------------------------------------- */

struct list_arg {
	json_t *arr;
	int64_t now;
};

static void list_one(const struct treg_binding *b, void *arg)
{
	struct list_arg *la = arg;
	if (b->expires_at <= la->now)
		return;
	char rcv[TREG_IP_MAX + 10];
	bool v6 = strchr(b->received_ip, ':') != NULL;
	snprintf(rcv, sizeof rcv, "%s%s%s:%u", v6 ? "[" : "", b->received_ip, v6 ? "]" : "",
		 b->received_port);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}",
			      "user", b->aor, "contact", b->contact, "received", rcv,
			      "transport", b->transport, "expires", (json_int_t)(b->expires_at - la->now),
			      "user_agent", b->user_agent ? b->user_agent : "");
	if (o && b->instance)
		json_object_set_new(o, "instance", json_string(b->instance));
	if (o && b->reg_id)
		json_object_set_new(o, "reg_id", json_integer(b->reg_id));
	if (o)
		json_array_append_new(la->arr, o);
}

static void list_bindings(tsip_t *s, void *arg)
{
	struct list_arg la = { arg, (int64_t)time(NULL) };
	if (s->reg)
		treg_foreach(s->reg->store, list_one, &la);
}

json_t *tsip_registrations_json(tsip_t *s)
{
	json_t *arr = json_array();
	if (arr)
		tsip_call_sync(s, list_bindings, arr);
	return arr;
}

void tregsip_drop_connection(struct tsip *s, const char *hostport)
{
	char ip[64];
	const char *colon = strrchr(hostport, ':');
	if (!s->reg || !colon || (size_t)(colon - hostport) >= sizeof ip)
		return;
	const char *h = hostport;
	size_t n = (size_t)(colon - hostport);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	memcpy(ip, h, n);
	ip[n] = '\0';
	size_t gone = treg_drop_received(s->reg->store, ip, (uint16_t)atoi(colon + 1));
	if (gone)
		LOG_INFO("registrar: connection %s closed: %zu registration(s) dropped", hostport, gone);
}
