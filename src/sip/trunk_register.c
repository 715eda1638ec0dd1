/* trunk_register.c - see trunk_register.h. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/log.h"
#include "sip/trunk_auth.h"
#include "sip/trunk_dns.h"
#include "sip/trunk_register.h"

#define TICK_MS 500
#define RETRY_MIN_S 2           /* first retry after a failure, doubled each time */
#define RETRY_MAX_S 300
#define FLIGHT_MAX_S 40         /* a REGISTER unanswered this long has failed (sofia times out at 32) */

enum trunk_reg_st { R_UNREGISTERED, R_REGISTERING, R_REGISTERED, R_FAILED };
static const char *const st_names[] = { "unregistered", "registering", "registered", "failed" };

struct trunk_reg {
	char name[64];
	nua_handle_t *nh;           /* the registration's handle, kept for its lifetime:
				     * destroying a registered handle un-registers */
	bool busy;                  /* a REGISTER is in flight */
	bool unreg;                 /* ... and it is an un-REGISTER */
	bool wanted;                /* the current configuration has register = yes */
	enum trunk_reg_st st;
	unsigned auth_tries, fails;
	char call_id[40];
	char *auth;                 /* credentials for the next REGISTER, or NULL */
	bool auth_proxy;
	unsigned expires;           /* asked for in the next REGISTER */
	time_t next, sent, until;   /* next REGISTER due; in flight since; registered until */
};

struct trunk_reg_table {
	struct trunk_reg *v;
	size_t n, cap;
	su_timer_t *tick;
};

static struct trunk_reg *find(struct tsip *s, const char *name, bool add)
{
	struct trunk_reg_table *t = s->regs;
	for (size_t i = 0; t && i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	if (!add || !t)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct trunk_reg *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct trunk_reg *r = &t->v[t->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", name);
	unsigned char rnd[12];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0x5a, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(r->call_id + 2 * i, 3, "%02x", rnd[i]);
	return r;
}

static void set_state(struct trunk_reg *r, enum trunk_reg_st st, const char *detail)
{
	enum trunk_reg_st was = r->st;
	r->st = st;
	if (st == R_REGISTERED && was != R_REGISTERED)
		LOG_NOTICE("trunk %s: registered (%s)", r->name, detail);
	else if (st == R_FAILED && was != R_FAILED)
		LOG_WARN("trunk %s: registration FAILED (%s)", r->name, detail);
	else if (st == R_FAILED)
		LOG_INFO("trunk %s: registration still failing (%s)", r->name, detail);
	else if (st == R_UNREGISTERED && was != R_UNREGISTERED)
		LOG_NOTICE("trunk %s: unregistered (%s)", r->name, detail);
}

static void end_flight(struct trunk_reg *r)
{
	r->busy = false;
}

static void drop_handle(struct trunk_reg *r)
{
	if (r->nh)
		nua_handle_destroy(r->nh);
	r->nh = NULL;
	r->busy = false;
}

/* sip:HOST:PORT;transport=X (uri) and sip:USER@HOST (aor) of a trunk. */
static void trunk_uris(const struct tconf_trunk *t, char *uri, size_t ulen, char *aor, size_t alen)
{
	bool v6 = strchr(t->host, ':') != NULL;
	const char *tp = t->transport == TCONF_TP_TCP ? ";transport=tcp" :
			 t->transport == TCONF_TP_TLS ? ";transport=tls" : "";
	char hostport[280];
	trunk_uri_host(t, hostport, sizeof hostport);
	snprintf(uri, ulen, "sip:%s%s", hostport, tp);
	snprintf(aor, alen, "<sip:%s@%s%s%s>", t->username, v6 ? "[" : "", t->host, v6 ? "]" : "");
}

static void send_register(struct tsip *s, const struct tconf_trunk *t, struct trunk_reg *r, bool unreg)
{
	char uri[300], aor[300], exp[16];
	trunk_uris(t, uri, sizeof uri, aor, sizeof aor);
	snprintf(exp, sizeof exp, "%u", unreg ? 0 : r->expires);
	/* one handle (so one Call-ID and a rising CSeq) for the registration */
	if (!r->nh)
		r->nh = nua_handle(s->nua, NULL, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor),
				   SIPTAG_CALL_ID_STR(r->call_id), TAG_END());
	if (!r->nh)
		return;
	r->busy = true;
	r->unreg = unreg;
	r->sent = time(NULL);
	if (!unreg && r->st != R_REGISTERED && r->st != R_FAILED)
		r->st = R_REGISTERING;
	/* sofia refreshes what this registers by itself; no outbound (RFC
	 * 5626) extras */
	if (unreg)
		nua_unregister(r->nh, NUTAG_REGISTRAR(uri), NUTAG_M_USERNAME(t->username),
			       TAG_IF(r->auth && !r->auth_proxy, SIPTAG_AUTHORIZATION_STR(r->auth)),
			       TAG_IF(r->auth && r->auth_proxy, SIPTAG_PROXY_AUTHORIZATION_STR(r->auth)),
			       TAG_END());
	else
		nua_register(r->nh, NUTAG_REGISTRAR(uri), NUTAG_M_USERNAME(t->username),
			     NUTAG_OUTBOUND("no-outbound no-validate no-natify no-options-keepalive"),
			     SIPTAG_EXPIRES_STR(exp),
			     TAG_IF(r->auth && !r->auth_proxy, SIPTAG_AUTHORIZATION_STR(r->auth)),
			     TAG_IF(r->auth && r->auth_proxy, SIPTAG_PROXY_AUTHORIZATION_STR(r->auth)),
			     TAG_END());
}

static void retry_later(struct trunk_reg *r, const char *why)
{
	unsigned delay = RETRY_MIN_S;
	for (unsigned i = 0; i < r->fails && delay < RETRY_MAX_S; i++)
		delay *= 2;
	if (delay > RETRY_MAX_S)
		delay = RETRY_MAX_S;
	r->fails++;
	r->next = time(NULL) + delay;
	free(r->auth);
	r->auth = NULL;
	r->auth_tries = 0;
	char d[160];
	snprintf(d, sizeof d, "%s; next try in %u s", why, delay);
	set_state(r, R_FAILED, d);
}

static void tick(su_root_magic_t *m, su_timer_t *timer, su_timer_arg_t *arg)
{
	struct tsip *s = arg;
	time_t now = time(NULL);
	(void)m;
	(void)timer;
	if (s->stopping)
		return;
	struct trunk_reg_table *tab = s->regs;
	for (size_t i = 0; i < tab->n; i++)
		tab->v[i].wanted = false;
	for (size_t i = 0; i < s->conf->ntrunks; i++) {
		const struct tconf_trunk *t = &s->conf->trunks[i];
		if (!t->do_register || !t->username)
			continue;
		struct trunk_reg *r = find(s, t->name, true);
		if (!r)
			continue;
		r->wanted = true;
		if (r->busy && now - r->sent > FLIGHT_MAX_S) {
			end_flight(r);
			retry_later(r, "no answer to REGISTER");
		}
		if (!r->busy && now >= r->next) {
			if (!r->expires || r->st != R_REGISTERED)
				r->expires = t->register_expiry;
			send_register(s, t, r, false);
		}
	}
	/* register turned off or trunk removed: remove the registration */
	for (size_t i = 0; i < tab->n; i++) {
		struct trunk_reg *r = &tab->v[i];
		const struct tconf_trunk *t = tconf_trunk(s->conf, r->name);
		if (!r->wanted && r->st == R_REGISTERED && !r->busy && t && t->username)
			send_register(s, t, r, true);
		else if (!r->wanted && r->st == R_REGISTERED && !t)
			set_state(r, R_UNREGISTERED, "trunk removed from the configuration");
	}
}

/* The time the registrar granted our binding: our Contact's expires, the
 * Expires header, or what we asked for. */
static unsigned granted(const struct trunk_reg *r, const struct tconf_trunk *t, sip_t const *sip)
{
	for (sip_contact_t const *m = sip->sip_contact; m; m = m->m_next)
		if (m->m_url->url_user && !strcmp(m->m_url->url_user, t->username) && m->m_expires)
			return (unsigned)strtoul(m->m_expires, NULL, 10);
	if (sip->sip_expires)
		return (unsigned)sip->sip_expires->ex_delta;
	return r->expires;
}

static void on_challenge(struct tsip *s, const struct tconf_trunk *t, struct trunk_reg *r,
			 sip_t const *sip, int status, char const *phrase)
{
	char hdr[1024], who[96], uri[300], aor[300];
	bool proxy;
	trunk_uris(t, uri, sizeof uri, aor, sizeof aor);
	snprintf(who, sizeof who, "trunk %s REGISTER", t->name);
	int rc = trunk_auth_answer(t, sip, "REGISTER", uri, r->auth_tries, who, hdr, sizeof hdr, &proxy);
	char *dup = rc == 0 ? strdup(hdr) : NULL;
	if (!dup) {
		char why[96];
		snprintf(why, sizeof why, "%d %s%s", status, phrase ? phrase : "",
			 rc == -EACCES ? ": credentials refused" : "");
		if (r->unreg) {
			set_state(r, R_UNREGISTERED, why);
			drop_handle(r);
		} else {
			retry_later(r, why);
		}
		return;
	}
	free(r->auth);
	r->auth = dup;
	r->auth_proxy = proxy;
	r->auth_tries++;
	send_register(s, t, r, r->unreg);
}

bool trunk_reg_on_response(struct tsip *s, nua_handle_t *nh, int status, char const *phrase,
		      sip_t const *sip)
{
	struct trunk_reg_table *tab = s->regs;
	struct trunk_reg *r = NULL;
	for (size_t i = 0; tab && i < tab->n && !r; i++)
		if (tab->v[i].nh == nh)    /* ours, or sofia's own refresh on our handle */
			r = &tab->v[i];
	if (!r)
		return false;
	if (status < 200)
		return true;
	const struct tconf_trunk *t = tconf_trunk(s->conf, r->name);
	end_flight(r);
	char why[160];
	snprintf(why, sizeof why, "%d %s", status, phrase ? phrase : "");
	if (!t || !t->username) {
		set_state(r, R_UNREGISTERED, "trunk no longer registers");
		return true;
	}
	if ((status == 401 || status == 407) && sip) {
		on_challenge(s, t, r, sip, status, phrase);
	} else if (status == 423 && sip && sip->sip_min_expires && !r->unreg) {
		r->expires = (unsigned)sip->sip_min_expires->me_delta;
		LOG_INFO("trunk %s: registrar wants at least %u s (423): asking for that", r->name, r->expires);
		send_register(s, t, r, false);
	} else if (status >= 300 || !sip) {
		if (r->unreg) {
			set_state(r, R_UNREGISTERED, why);
			drop_handle(r);
		} else {
			retry_later(r, why);
		}
	} else if (r->unreg) {
		set_state(r, R_UNREGISTERED, "removed (Expires: 0)");
		drop_handle(r);
	} else {
		unsigned g = sip ? granted(r, t, sip) : r->expires;
		r->fails = 0;
		r->auth_tries = 0;
		r->until = time(NULL) + g;
		/* sofia refreshes the binding on this handle by itself (between a
		 * quarter and three quarters of g, or 30..60 s before the end for
		 * 90 s < g < 300 s); ours is only the safety net, once it ran out
		 * without sofia saying anything (a failed refresh is reported) */
		r->next = r->until + 2;
		snprintf(why, sizeof why, "as %s@%s for %u s", t->username, t->host, g);
		if (r->st == R_REGISTERED)
			LOG_DEBUG("trunk %s: registration refreshed (%s)", r->name, why);
		set_state(r, R_REGISTERED, why);
	}
	return true;
}

unsigned trunk_reg_stop(struct tsip *s)
{
	struct trunk_reg_table *tab = s->regs;
	for (size_t i = 0; tab && i < tab->n; i++) {
		struct trunk_reg *r = &tab->v[i];
		const struct tconf_trunk *t = tconf_trunk(s->conf, r->name);
		if (r->st == R_REGISTERED && t && t->username) {
			r->auth_tries = 0;
			send_register(s, t, r, true);
		} else {
			drop_handle(r);
		}
	}
	return trunk_reg_busy(s);
}

unsigned trunk_reg_busy(const struct tsip *s)
{
	unsigned n = 0;
	for (size_t i = 0; s->regs && i < s->regs->n; i++)
		n += s->regs->v[i].busy;
	return n;
}

const char *trunk_reg_state(struct tsip *s, const char *trunk, long *expires_in)
{
	struct trunk_reg *r = find(s, trunk, false);
	const struct tconf_trunk *t = tconf_trunk(s->conf, trunk);
	*expires_in = 0;
	if (!t || !t->do_register)
		return r && r->st == R_REGISTERED ? st_names[R_REGISTERED] : NULL;
	if (!r)
		return st_names[R_UNREGISTERED];
	if (r->st == R_REGISTERED)
		*expires_in = (long)(r->until - time(NULL));
	return st_names[r->st];
}

int trunk_reg_init(struct tsip *s)
{
	s->regs = calloc(1, sizeof *s->regs);
	if (!s->regs)
		return -ENOMEM;
	s->regs->tick = su_timer_create(su_root_task(s->root), TICK_MS);
	if (s->regs->tick)
		su_timer_set_for_ever(s->regs->tick, tick, s);
	return 0;
}

void trunk_reg_free(struct tsip *s)
{
	struct trunk_reg_table *t = s->regs;
	if (!t)
		return;
	if (t->tick)
		su_timer_destroy(t->tick);
	for (size_t i = 0; i < t->n; i++) {
		drop_handle(&t->v[i]);
		free(t->v[i].auth);
	}
	free(t->v);
	free(t);
	s->regs = NULL;
}
