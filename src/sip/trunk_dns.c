/* trunk_dns.c - see trunk_dns.h. */
#include "config.h"

struct tdns_q;
#define SRES_CONTEXT_T struct tdns_q

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "sip/sip_internal.h"

#include <sofia-sip/sresolv.h>
#include <sofia-resolv/sres_record.h>

#include "core/log.h"
#include "sip/srv_order.h"
#include "sip/trunk_dns.h"

#define TICK_MS 1000
#define RETRY_S 10              /* after a failed resolution */
#define MAX_SRV 8

struct tdns_target {
	char ip[48];
	uint16_t port;
	char name[256];             /* the SRV target (or host) it came from */
};

/* One trunk's resolution. Heap-allocated so queries can point at it; freed
 * only when no query is pending. */
struct tdns {
	char host[256];
	enum tconf_transport tp;
	uint16_t port;              /* 0: NAPTR/SRV */
	bool wanted, dead;
	bool failing;               /* the last resolution found nothing (warned once) */
	/* published */
	struct tdns_target cur[TDNS_MAX_TARGETS];
	size_t ncur;
	time_t expires, next_try;
	/* in progress */
	bool busy;
	unsigned pending;
	uint32_t min_ttl;
	struct srv_rr srv[MAX_SRV];
	size_t nsrv;
	struct tdns_target found[MAX_SRV][4];
	size_t nfound[MAX_SRV];
	struct tsip *s;
};

/* A query's context: which entry, which SRV target (or -1). */
struct tdns_q {
	struct tdns *d;
	int srv;
};

struct tdns_table {
	sres_resolver_t *res;
	struct tdns **v;
	size_t n, cap;
	su_timer_t *tick;
};

static bool is_ip(const char *h)
{
	unsigned char b[16];
	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

static uint16_t default_port(enum tconf_transport tp) { return tp == TCONF_TP_TLS ? 5061 : 5060; }

void trunk_uri_host(const struct tconf_trunk *t, char *buf, size_t len)
{
	bool v6 = strchr(t->host, ':') != NULL;
	if (!is_ip(t->host) && !t->port)
		snprintf(buf, len, "%s", t->host);
	else
		snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", t->host, v6 ? "]" : "",
			 t->port ? t->port : default_port(t->transport));
}

static struct tdns *find(struct tsip *s, const struct tconf_trunk *t, bool add)
{
	struct tdns_table *tab = s->dns;
	for (size_t i = 0; tab && i < tab->n; i++) {
		struct tdns *d = tab->v[i];
		if (!d->dead && !strcasecmp(d->host, t->host) && d->tp == t->transport && d->port == t->port)
			return d;
	}
	if (!add || !tab)
		return NULL;
	if (tab->n == tab->cap) {
		size_t cap = tab->cap ? tab->cap * 2 : 8;
		struct tdns **v = realloc(tab->v, cap * sizeof *v);
		if (!v)
			return NULL;
		tab->v = v;
		tab->cap = cap;
	}
	struct tdns *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	snprintf(d->host, sizeof d->host, "%s", t->host);
	d->tp = t->transport;
	d->port = t->port;
	d->s = s;
	tab->v[tab->n++] = d;
	return d;
}

static void note_ttl(struct tdns *d, const sres_record_t *r)
{
	if (r->sr_record->r_ttl < d->min_ttl)
		d->min_ttl = r->sr_record->r_ttl;
}

static void on_answer(struct tdns_q *q, sres_query_t *query, sres_record_t **answers);

static int ask(struct tdns *d, uint16_t type, const char *name, int srv)
{
	struct tdns_q *q = malloc(sizeof *q);
	if (!q)
		return -ENOMEM;
	q->d = d;
	q->srv = srv;
	d->pending++;
	if (!sres_query(d->s->dns->res, on_answer, q, type, name)) {
		d->pending--;
		free(q);
		return -EIO;
	}
	return 0;
}

/* Addresses of one name into found[srv]: A and AAAA. */
static void ask_addresses(struct tdns *d, const char *name, int srv)
{
	ask(d, sres_type_a, name, srv);
	ask(d, sres_type_aaaa, name, srv);
}

static const char *srv_prefix(enum tconf_transport tp)
{
	return tp == TCONF_TP_TLS ? "_sips._tcp" : tp == TCONF_TP_TCP ? "_sip._tcp" : "_sip._udp";
}

static const char *naptr_service(enum tconf_transport tp)
{
	return tp == TCONF_TP_TLS ? "SIPS+D2T" : tp == TCONF_TP_TCP ? "SIP+D2T" : "SIP+D2U";
}

static void got_naptr(struct tdns *d, sres_record_t **ans)
{
	const sres_naptr_record_t *best = NULL;
	for (size_t i = 0; ans && ans[i]; i++) {
		const sres_naptr_record_t *na = ans[i]->sr_naptr;
		if (na->na_record->r_status || na->na_record->r_type != sres_type_naptr ||
		    !na->na_flags || strcasecmp(na->na_flags, "s") || !na->na_services ||
		    strcasecmp(na->na_services, naptr_service(d->tp)) || !na->na_replace)
			continue;
		if (!best || na->na_order < best->na_order ||
		    (na->na_order == best->na_order && na->na_prefer < best->na_prefer))
			best = na;
	}
	char name[300];
	if (best) {
		note_ttl(d, (const sres_record_t *)best);
		snprintf(name, sizeof name, "%s", best->na_replace);
	} else {
		snprintf(name, sizeof name, "%s.%s", srv_prefix(d->tp), d->host);
	}
	ask(d, sres_type_srv, name, -1);
}

static uint32_t rnd32(void *arg)
{
	uint32_t v = 0;
	(void)arg;
	if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
		v = (uint32_t)rand();
	return v;
}

static void got_srv(struct tdns *d, sres_record_t **ans)
{
	d->nsrv = 0;
	for (size_t i = 0; ans && ans[i] && d->nsrv < MAX_SRV; i++) {
		const sres_srv_record_t *sr = ans[i]->sr_srv;
		if (sr->srv_record->r_status || sr->srv_record->r_type != sres_type_srv || !sr->srv_target ||
		    !strcmp(sr->srv_target, ".") || !*sr->srv_target)
			continue;
		note_ttl(d, ans[i]);
		struct srv_rr *r = &d->srv[d->nsrv++];
		r->priority = sr->srv_priority;
		r->weight = sr->srv_weight;
		r->port = sr->srv_port;
		snprintf(r->target, sizeof r->target, "%s", sr->srv_target);
		size_t l = strlen(r->target);
		if (l && r->target[l - 1] == '.')
			r->target[l - 1] = 0;
	}
	if (d->nsrv == 0) {         /* no SRV: the host itself */
		struct srv_rr *r = &d->srv[d->nsrv++];
		memset(r, 0, sizeof *r);
		r->port = default_port(d->tp);
		snprintf(r->target, sizeof r->target, "%s", d->host);
	}
	srv_order(d->srv, d->nsrv, rnd32, NULL);
	for (size_t i = 0; i < d->nsrv; i++) {
		d->nfound[i] = 0;
		ask_addresses(d, d->srv[i].target, (int)i);
	}
}

static void got_address(struct tdns *d, int srv, sres_record_t **ans)
{
	for (size_t i = 0; ans && ans[i] && d->nfound[srv] < 4; i++) {
		const sres_record_t *r = ans[i];
		if (r->sr_record->r_status)
			continue;
		struct tdns_target *tg = &d->found[srv][d->nfound[srv]];
		if (r->sr_record->r_type == sres_type_a)
			inet_ntop(AF_INET, &r->sr_a->a_addr, tg->ip, sizeof tg->ip);
		else if (r->sr_record->r_type == sres_type_aaaa)
			inet_ntop(AF_INET6, &r->sr_aaaa->aaaa_addr, tg->ip, sizeof tg->ip);
		else
			continue;
		note_ttl(d, r);
		tg->port = d->port ? d->port : d->srv[srv].port;
		memcpy(tg->name, d->srv[srv].target, sizeof tg->name);
		d->nfound[srv]++;
	}
}

/* All answers are in: publish the new list (or keep the old one). */
static void finish(struct tdns *d)
{
	struct tdns_target list[TDNS_MAX_TARGETS];
	size_t n = 0;
	for (size_t i = 0; i < d->nsrv; i++)
		for (size_t j = 0; j < d->nfound[i] && n < TDNS_MAX_TARGETS; j++)
			list[n++] = d->found[i][j];
	d->busy = false;
	time_t now = time(NULL);
	if (n == 0) {
		tlog(d->failing ? TLOG_INFO : TLOG_WARN,
		     "dns: %s (%s) did not resolve to any address%s; trying again in %d s", d->host,
		     d->port ? "A/AAAA" : "NAPTR/SRV/A", d->ncur ? ", keeping the last answer" : "",
		     RETRY_S);
		d->failing = true;
		d->next_try = now + RETRY_S;
		return;
	}
	d->failing = false;
	bool changed = n != d->ncur || memcmp(list, d->cur, n * sizeof *list);
	memcpy(d->cur, list, n * sizeof *list);
	d->ncur = n;
	uint32_t ttl = d->min_ttl < TDNS_MIN_TTL ? TDNS_MIN_TTL : d->min_ttl;
	d->expires = now + ttl;
	if (changed) {
		char desc[512];
		size_t off = 0;
		for (size_t i = 0; i < n && off < sizeof desc; i++)
			off += (size_t)snprintf(desc + off, sizeof desc - off, "%s%s:%u", i ? ", " : "",
						list[i].ip, list[i].port);
		LOG_INFO("dns: %s -> %s (for %u s)", d->host, desc, ttl);
	}
}

static void on_answer(struct tdns_q *q, sres_query_t *query, sres_record_t **answers)
{
	struct tdns *d = q->d;
	(void)query;
	if (!d->dead) {             /* a failed query gives error records: skipped */
		if (q->srv == -2)
			got_naptr(d, answers);
		else if (q->srv == -1)
			got_srv(d, answers);
		else
			got_address(d, q->srv, answers);
	}
	if (answers)
		sres_free_answers(d->s->dns->res, answers);
	free(q);
	if (--d->pending == 0 && !d->dead)
		finish(d);
}

static void start(struct tdns *d)
{
	d->busy = true;
	d->min_ttl = UINT32_MAX;
	d->nsrv = 0;
	if (d->port) {              /* explicit port: addresses only */
		struct srv_rr *r = &d->srv[d->nsrv++];
		memset(r, 0, sizeof *r);
		r->port = d->port;
		snprintf(r->target, sizeof r->target, "%s", d->host);
		d->nfound[0] = 0;
		ask_addresses(d, d->host, 0);
	} else {
		ask(d, sres_type_naptr, d->host, -2);
	}
	if (d->pending == 0)
		finish(d);
}

static void tick(su_root_magic_t *m, su_timer_t *timer, su_timer_arg_t *arg)
{
	struct tsip *s = arg;
	struct tdns_table *tab = s->dns;
	time_t now = time(NULL);
	(void)m;
	(void)timer;
	for (size_t i = 0; i < tab->n; i++)
		tab->v[i]->wanted = false;
	for (size_t i = 0; !s->stopping && i < s->conf->ntrunks; i++) {
		const struct tconf_trunk *t = &s->conf->trunks[i];
		if (is_ip(t->host))
			continue;
		struct tdns *d = find(s, t, true);
		if (!d)
			continue;
		d->wanted = true;
		/* resolve again when the answer runs out (or after a failure) */
		if (!d->busy && now >= d->next_try && (!d->ncur || now >= d->expires))
			start(d);
	}
	for (size_t i = 0; i < tab->n;) {
		struct tdns *d = tab->v[i];
		if (!d->wanted)
			d->dead = true;
		if (d->dead && d->pending == 0) {
			free(d);
			tab->v[i] = tab->v[--tab->n];
		} else {
			i++;
		}
	}
}

int tdns_target(struct tsip *s, const struct tconf_trunk *t, size_t idx,
		char *url, size_t ulen, char *label, size_t llen)
{
	if (is_ip(t->host))
		return -EAGAIN;
	struct tdns *d = find(s, t, false);
	if (!d || !d->ncur)
		return -EAGAIN;
	if (idx >= d->ncur)
		return -ENOENT;
	const struct tdns_target *tg = &d->cur[idx];
	bool v6 = strchr(tg->ip, ':') != NULL;
	const char *tp = t->transport == TCONF_TP_TCP ? "tcp" : t->transport == TCONF_TP_TLS ? "tls" : "udp";
	/* (for TLS, sofia checks the certificate against the Request-URI's
	 * host, the SIP domain, as RFC 5922 wants, not against this address) */
	snprintf(url, ulen, "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "", tg->ip, v6 ? "]" : "", tg->port, tp);
	snprintf(label, llen, "%s -> %s%s%s:%u", tg->name, v6 ? "[" : "", tg->ip, v6 ? "]" : "", tg->port);
	return 0;
}

size_t tdns_count(struct tsip *s, const struct tconf_trunk *t)
{
	struct tdns *d = is_ip(t->host) ? NULL : find(s, t, false);
	return d ? d->ncur : 0;
}

int tdns_init(struct tsip *s)
{
	s->dns = calloc(1, sizeof *s->dns);
	if (!s->dns)
		return -ENOMEM;
	/* NULL: /etc/resolv.conf (sofia also reads RES_OPTIONS/SRES_OPTIONS) */
	s->dns->res = sres_resolver_create(s->root, NULL, TAG_END());
	if (!s->dns->res) {
		LOG_WARN("dns: cannot create a resolver (%s): trunks given by name are left to sofia",
			 strerror(errno));
		return 0;
	}
	s->dns->tick = su_timer_create(su_root_task(s->root), TICK_MS);
	if (s->dns->tick)
		su_timer_set_for_ever(s->dns->tick, tick, s);
	tick(NULL, NULL, s);        /* the first answers before the first calls */
	return 0;
}

void tdns_free(struct tsip *s)
{
	struct tdns_table *tab = s->dns;
	if (!tab)
		return;
	if (tab->tick)
		su_timer_destroy(tab->tick);
	/* pending queries die with the resolver; their contexts with them */
	if (tab->res)
		sres_resolver_destroy(tab->res);
	for (size_t i = 0; i < tab->n; i++)
		free(tab->v[i]);
	free(tab->v);
	free(tab);
	s->dns = NULL;
}
