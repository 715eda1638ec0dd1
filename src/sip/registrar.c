/* registrar.c - see registrar.h.
 *
 * AORs live in a chained hash table; each holds a short list of bindings (at
 * most max_per_aor, so lists are scanned). A binding is one allocation: the
 * struct and copies of its strings. A refresh builds a new binding and swaps
 * it in, so that every allocation of a request happens before anything
 * changes and a request is applied whole or not at all.
 */
#include "config.h"
#include "sip/registrar.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct bind {
	struct treg_binding pub;
	struct bind *next;
	char strings[];
};

struct aor {
	char *name;
	struct bind *list;
	size_t n;
	struct aor *hnext;
};

struct treg {
	struct treg_params p;
	struct aor **buckets;
	size_t nbuckets;            /* power of two */
	size_t count;               /* bindings */
	uint64_t gen;
};

void treg_set_expires(treg_t *r, unsigned min_expires, unsigned max_expires, unsigned default_expires)
{
	struct treg_params *q = &r->p;
	q->min_expires = min_expires ? min_expires : TREG_MIN_EXPIRES_DEFAULT;
	q->max_expires = max_expires ? max_expires : TREG_MAX_EXPIRES_DEFAULT;
	q->default_expires = default_expires ? default_expires : TREG_DEFAULT_EXPIRES_DEFAULT;
	if (q->max_expires < q->min_expires)
		q->max_expires = q->min_expires;
	if (q->default_expires < q->min_expires)
		q->default_expires = q->min_expires;
	if (q->default_expires > q->max_expires)
		q->default_expires = q->max_expires;
}

int treg_new(const struct treg_params *p, treg_t **out)
{
	treg_t *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	if (p)
		r->p = *p;
	struct treg_params *q = &r->p;
	if (!q->max_bindings)
		q->max_bindings = TREG_MAX_BINDINGS_DEFAULT;
	if (!q->max_per_aor)
		q->max_per_aor = TREG_MAX_PER_AOR_DEFAULT;
	treg_set_expires(r, q->min_expires, q->max_expires, q->default_expires);
	r->nbuckets = 64;
	while (r->nbuckets < q->max_bindings && r->nbuckets < (1u << 20))
		r->nbuckets <<= 1;
	r->buckets = calloc(r->nbuckets, sizeof *r->buckets);
	if (!r->buckets) {
		free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

static void aor_free(struct aor *a)
{
	for (struct bind *b = a->list, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a->name);
	free(a);
}

void treg_free(treg_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nbuckets; i++)
		for (struct aor *a = r->buckets[i], *next; a; a = next) {
			next = a->hnext;
			aor_free(a);
		}
	free(r->buckets);
	free(r);
}

size_t treg_count(const treg_t *r) { return r->count; }
unsigned treg_min_expires(const treg_t *r) { return r->p.min_expires; }
uint64_t treg_generation(const treg_t *r) { return r->gen; }

/* ---- AORs ---- */

static size_t hash(const treg_t *r, const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return (size_t)(h ^ (h >> 29)) & (r->nbuckets - 1);
}

static struct aor *aor_find(const treg_t *r, const char *name)
{
	for (struct aor *a = r->buckets[hash(r, name)]; a; a = a->hnext)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

static struct aor *aor_new(treg_t *r, const char *name)
{
	struct aor *a = calloc(1, sizeof *a);
	if (!a || !(a->name = strdup(name))) {
		free(a);
		return NULL;
	}
	size_t h = hash(r, name);
	a->hnext = r->buckets[h];
	r->buckets[h] = a;
	return a;
}

static void aor_drop_if_empty(treg_t *r, struct aor *a)
{
	if (a->list)
		return;
	struct aor **pp = &r->buckets[hash(r, a->name)];
	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	aor_free(a);
}

/* ---- bindings ---- */

static bool str_ok(const char *s, size_t max, bool required)
{
	if (!s)
		return !required;
	size_t n = strnlen(s, max + 1);
	return n <= max && (n > 0 || !required);
}

/* A binding with copies of tpl's strings; aor is set by the caller. */
static struct bind *bind_alloc(const struct treg_binding *tpl)
{
	const char *src[] = { tpl->contact, tpl->instance, tpl->received_ip, tpl->transport,
			      tpl->call_id, tpl->user_agent };
	size_t len = 0;
	for (size_t i = 0; i < 6; i++)
		len += src[i] ? (i == 5 ? strnlen(src[i], TREG_UA_MAX) : strlen(src[i])) + 1 : 0;
	struct bind *b = calloc(1, sizeof *b + len);
	if (!b)
		return NULL;
	b->pub = *tpl;
	const char **dst[] = { &b->pub.contact, &b->pub.instance, &b->pub.received_ip,
			       &b->pub.transport, &b->pub.call_id, &b->pub.user_agent };
	char *p = b->strings;
	for (size_t i = 0; i < 6; i++) {
		if (!src[i]) {
			*dst[i] = NULL;
			continue;
		}
		/* only the User-Agent may be longer (it is cut): the others were checked */
		size_t n = i == 5 ? strnlen(src[i], TREG_UA_MAX) : strlen(src[i]);
		memcpy(p, src[i], n);
		p[n++] = 0;
		*dst[i] = p;
		p += n;
	}
	return b;
}

/* RFC 5626: with an instance, (instance, reg-id) names the binding; without,
 * the contact URI does (RFC 3261). */
static struct bind **bind_find(struct aor *a, const char *contact, const char *instance, unsigned reg_id)
{
	if (!a)
		return NULL;
	for (struct bind **pp = &a->list; *pp; pp = &(*pp)->next) {
		const struct treg_binding *b = &(*pp)->pub;
		if (instance ? (b->instance && !strcmp(b->instance, instance) && b->reg_id == reg_id) ||
			       (!b->instance && !strcmp(b->contact, contact))
			     : !strcmp(b->contact, contact))
			return pp;
	}
	return NULL;
}

static void bind_unlink(treg_t *r, struct aor *a, struct bind **pp)
{
	struct bind *b = *pp;
	*pp = b->next;
	free(b);
	a->n--;
	r->count--;
}

/* The AOR's least recently updated binding. */
static struct bind **bind_oldest(struct aor *a)
{
	struct bind **old = &a->list;
	for (struct bind **pp = &a->list; *pp; pp = &(*pp)->next)
		if ((*pp)->pub.updated < (*old)->pub.updated)
			old = pp;
	return old;
}

/* Put b in for *pp (a refresh) or as a new binding of a. */
static void bind_put(treg_t *r, struct aor *a, struct bind **pp, struct bind *b)
{
	b->pub.aor = a->name;
	if (pp) {
		b->next = (*pp)->next;
		free(*pp);
		*pp = b;
		return;
	}
	if (a->n >= r->p.max_per_aor)
		bind_unlink(r, a, bind_oldest(a));
	b->next = a->list;
	a->list = b;
	a->n++;
	r->count++;
}

/* ---- REGISTER ---- */

static bool request_ok(const struct treg_request *q)
{
	return q && str_ok(q->aor, TREG_URI_MAX, true) && str_ok(q->call_id, TREG_ID_MAX, true) &&
	       str_ok(q->received_ip, TREG_IP_MAX, true) && str_ok(q->transport, TREG_TRANSPORT_MAX, true);
}

/* The expiry a contact gets; -1 if below the minimum. */
static long grant(const treg_t *r, const struct treg_contact *c)
{
	long e = c->expires < 0 ? (long)r->p.default_expires : c->expires;
	if (e > 0 && e < (long)r->p.min_expires)
		return -1;
	return e > (long)r->p.max_expires ? (long)r->p.max_expires : e;
}

/* Every check of a request, before anything changes. */
static int register_check(const treg_t *r, const struct treg_request *q, struct aor *a,
			  const struct treg_contact *cs, size_t n)
{
	size_t adds = 0, removes = 0;
	if (!request_ok(q) || (n && !cs))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!str_ok(cs[i].contact, TREG_URI_MAX, true) || !str_ok(cs[i].instance, TREG_ID_MAX, false))
			return -EINVAL;
		long e = grant(r, &cs[i]);
		if (e < 0)
			return -ERANGE;
		struct bind **pp = bind_find(a, cs[i].contact, cs[i].instance, cs[i].reg_id);
		if (pp && !strcmp((*pp)->pub.call_id, q->call_id) && q->cseq <= (*pp)->pub.cseq)
			return -EALREADY;
		if (!pp && e > 0)
			adds++;
		if (pp && e == 0)
			removes++;
	}
	if (adds > r->p.max_per_aor)
		return -ENOSPC;
	size_t have = a ? a->n - removes : 0;
	size_t evicted = have + adds > r->p.max_per_aor ? have + adds - r->p.max_per_aor : 0;
	if (r->count - removes + adds - evicted > r->p.max_bindings)
		return -ENOSPC;
	return 0;
}

int treg_register(treg_t *r, const struct treg_request *q, const struct treg_contact *cs,
		  size_t n, int64_t now, unsigned *granted)
{
	struct aor *a = request_ok(q) ? aor_find(r, q->aor) : NULL;
	int rc = register_check(r, q, a, cs, n);
	if (rc < 0 || n == 0)
		return rc;
	struct bind **fresh = calloc(n, sizeof *fresh);
	bool new_aor = !a;
	if (!fresh || (new_aor && !(a = aor_new(r, q->aor)))) {
		free(fresh);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		long e = grant(r, &cs[i]);
		if (e == 0)
			continue;
		struct treg_binding tpl = {
			.contact = cs[i].contact, .instance = cs[i].instance, .reg_id = cs[i].reg_id,
			.received_ip = q->received_ip, .received_port = q->received_port,
			.transport = q->transport, .call_id = q->call_id, .cseq = q->cseq,
			.user_agent = q->user_agent, .expires_at = now + e, .updated = now,
		};
		if (!(fresh[i] = bind_alloc(&tpl))) {
			for (size_t j = 0; j < i; j++)
				free(fresh[j]);
			free(fresh);
			if (new_aor)
				aor_drop_if_empty(r, a);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct bind **pp = bind_find(a, cs[i].contact, cs[i].instance, cs[i].reg_id);
		if (!fresh[i]) {
			if (pp)
				bind_unlink(r, a, pp);
			if (granted)
				granted[i] = 0;
			continue;
		}
		bind_put(r, a, pp, fresh[i]);
		if (granted)
			granted[i] = (unsigned)(fresh[i]->pub.expires_at - now);
	}
	free(fresh);
	aor_drop_if_empty(r, a);
	r->gen++;
	return 0;
}

int treg_unregister_all(treg_t *r, const struct treg_request *q)
{
	if (!q || !str_ok(q->aor, TREG_URI_MAX, true) || !str_ok(q->call_id, TREG_ID_MAX, true))
		return -EINVAL;
	struct aor *a = aor_find(r, q->aor);
	if (!a)
		return 0;
	for (struct bind *b = a->list; b; b = b->next)
		if (!strcmp(b->pub.call_id, q->call_id) && q->cseq <= b->pub.cseq)
			return -EALREADY;
	int n = (int)a->n;
	while (a->list)
		bind_unlink(r, a, &a->list);
	aor_drop_if_empty(r, a);
	r->gen++;
	return n;
}

/* ---- reading ---- */

size_t treg_lookup(treg_t *r, const char *aor, int64_t now, const struct treg_binding **out,
		   size_t max)
{
	struct aor *a = aor ? aor_find(r, aor) : NULL;
	size_t n = 0, kept = 0;
	for (struct bind *b = a ? a->list : NULL; b; b = b->next) {
		if (b->pub.expires_at <= now)
			continue;
		n++;
		if (!out || !max)
			continue;
		/* insertion sort into out[], most recently updated first */
		size_t i = kept < max ? kept++ : max;
		if (i == max && b->pub.updated <= out[max - 1]->updated)
			continue;
		if (i == max)
			i = max - 1;
		for (; i > 0 && out[i - 1]->updated < b->pub.updated; i--)
			out[i] = out[i - 1];
		out[i] = &b->pub;
	}
	return n;
}

size_t treg_sweep(treg_t *r, int64_t now)
{
	size_t removed = 0;
	for (size_t i = 0; i < r->nbuckets; i++) {
		for (struct aor *a = r->buckets[i], *next; a; a = next) {
			next = a->hnext;
			for (struct bind **pp = &a->list; *pp;) {
				if ((*pp)->pub.expires_at <= now) {
					bind_unlink(r, a, pp);
					removed++;
				} else {
					pp = &(*pp)->next;
				}
			}
			aor_drop_if_empty(r, a);
		}
	}
	if (removed)
		r->gen++;
	return removed;
}

size_t treg_drop_received(treg_t *r, const char *ip, uint16_t port)
{
	size_t removed = 0;
	for (size_t i = 0; i < r->nbuckets; i++) {
		for (struct aor *a = r->buckets[i], *next; a; a = next) {
			next = a->hnext;
			for (struct bind **pp = &a->list; *pp;) {
				const struct treg_binding *b = &(*pp)->pub;
				if (b->received_port == port && b->received_ip && !strcmp(b->received_ip, ip)) {
					bind_unlink(r, a, pp);
					removed++;
				} else {
					pp = &(*pp)->next;
				}
			}
			aor_drop_if_empty(r, a);
		}
	}
	if (removed)
		r->gen++;
	return removed;
}

void treg_foreach(const treg_t *r, void (*cb)(const struct treg_binding *b, void *arg), void *arg)
{
	for (size_t i = 0; i < r->nbuckets; i++)
		for (const struct aor *a = r->buckets[i]; a; a = a->hnext)
			for (const struct bind *b = a->list; b; b = b->next)
				cb(&b->pub, arg);
}

int treg_restore(treg_t *r, const struct treg_binding *b, int64_t now)
{
	if (!b || !str_ok(b->aor, TREG_URI_MAX, true) || !str_ok(b->contact, TREG_URI_MAX, true) ||
	    !str_ok(b->instance, TREG_ID_MAX, false) || !str_ok(b->call_id, TREG_ID_MAX, true) ||
	    !str_ok(b->received_ip, TREG_IP_MAX, true) || !str_ok(b->transport, TREG_TRANSPORT_MAX, true))
		return -EINVAL;
	if (b->expires_at <= now)
		return 0;
	struct aor *a = aor_find(r, b->aor);
	struct bind **pp = bind_find(a, b->contact, b->instance, b->reg_id);
	if (!pp && r->count >= r->p.max_bindings && !(a && a->n >= r->p.max_per_aor))
		return -ENOSPC;
	struct treg_binding tpl = *b;
	/* never longer than the registrar would grant now */
	if (tpl.expires_at > now + (int64_t)r->p.max_expires)
		tpl.expires_at = now + (int64_t)r->p.max_expires;
	struct bind *nb = bind_alloc(&tpl);
	if (!nb || (!a && !(a = aor_new(r, b->aor)))) {
		free(nb);
		return -ENOMEM;
	}
	bind_put(r, a, pp, nb);
	r->gen++;
	return 1;
}
