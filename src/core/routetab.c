/* routetab.c - prefix table, route match, target order. See routetab.h. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/routetab.h"
#include "core/config_util.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prefix is kept in the node: a lookup touches no other memory until it
 * has found its node. */
struct rt_node {
	char prefix[TROUTE_MAX_PREFIX + 1];
	uint32_t len;
	int32_t parent;             /* longest proper prefix in the table, or -1 */
	uint32_t first, count;      /* its routes in tab->routes */
};

/* Index on the first IDX_CHARS characters of a number ('+' and digits: 11
 * symbols, in strcmp order): the binary search runs only among the prefixes
 * that start with the same characters. */
#define IDX_CHARS 4
#define IDX_SIZE (11 * 11 * 11 * 11)

struct troutetab {
	struct rt_node *nodes;
	size_t nnodes;
	const struct tconf_route **routes;   /* grouped by prefix */
	size_t nroutes;
	uint32_t *idx;              /* [IDX_SIZE + 1]: first node >= each 4-symbol key */
};

static int sym(char ch)
{
	return ch == '+' ? 0 : ch >= '0' && ch <= '9' ? ch - '0' + 1 : -1;
}

/* The index slot of a number's first characters, or -1 (short or odd). */
static long idx_key(const char *n)
{
	long k = 0;
	for (int i = 0; i < IDX_CHARS; i++) {
		int v = sym(n[i]);
		if (v < 0)
			return -1;
		k = k * 11 + v;
	}
	return k;
}

/* First node whose prefix is >= the 4 symbols of key k. */
static uint32_t lower_bound_key(const struct troutetab *t, long k)
{
	char s[IDX_CHARS + 1];
	for (int i = IDX_CHARS; i-- > 0; k /= 11)
		s[i] = (char)(k % 11 == 0 ? '+' : '0' + k % 11 - 1);
	s[IDX_CHARS] = 0;
	size_t lo = 0, hi = t->nnodes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->nodes[mid].prefix, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

/* ---- build ---- */

struct rt_sort {
	const struct tconf_route *r;
	size_t seq;
};

static bool has_conditions(const struct tconf_route *r)
{
	return r->def && (r->def->caller || r->def->source);
}

static int rt_sort_cmp(const void *a, const void *b)
{
	const struct rt_sort *x = a, *y = b;
	int c = strcmp(x->r->prefix, y->r->prefix);
	if (c)
		return c;
	/* at one prefix: routes with conditions first, then file order */
	bool cx = has_conditions(x->r), cy = has_conditions(y->r);
	if (cx != cy)
		return cx ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

struct troutetab *troutetab_build(struct tca *a, const struct tconf_route *const *routes, size_t n)
{
	struct troutetab *t = tca_alloc(a, sizeof *t);
	struct rt_sort *s = malloc((n ? n : 1) * sizeof *s);
	int32_t *stack = NULL;
	if (!t || !s)
		goto fail;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!routes[i]->re)
			s[m++] = (struct rt_sort){ routes[i], i };
	qsort(s, m, sizeof *s, rt_sort_cmp);
	size_t nn = 0;
	for (size_t i = 0; i < m; i++)
		nn += i == 0 || strcmp(s[i].r->prefix, s[i - 1].r->prefix);
	t->nodes = tca_alloc(a, (nn ? nn : 1) * sizeof *t->nodes);
	t->routes = tca_alloc(a, (m ? m : 1) * sizeof *t->routes);
	stack = malloc((nn ? nn : 1) * sizeof *stack);
	if (!t->nodes || !t->routes || !stack)
		goto fail;
	/* Sorted prefixes are a depth-first walk of the prefix tree: the parent
	 * of each is the nearest entry on the stack that is a prefix of it. */
	size_t depth = 0;
	for (size_t i = 0; i < m; i++) {
		t->routes[i] = s[i].r;
		if (i && !strcmp(s[i].r->prefix, s[i - 1].r->prefix)) {
			t->nodes[t->nnodes - 1].count++;
			continue;
		}
		struct rt_node *nd = &t->nodes[t->nnodes];
		snprintf(nd->prefix, sizeof nd->prefix, "%s", s[i].r->prefix);
		nd->len = (uint32_t)strlen(nd->prefix);
		nd->first = (uint32_t)i;
		nd->count = 1;
		while (depth) {
			const struct rt_node *top = &t->nodes[stack[depth - 1]];
			if (top->len < nd->len && !strncmp(top->prefix, nd->prefix, top->len))
				break;
			depth--;
		}
		nd->parent = depth ? stack[depth - 1] : -1;
		stack[depth++] = (int32_t)t->nnodes++;
	}
	t->nroutes = m;
	/* The index orders symbols as strcmp does only for '+' and digits: a
	 * prefix with * or # among its first characters turns it off. */
	for (size_t i = 0; i < t->nnodes; i++)
		for (uint32_t k = 0; k < t->nodes[i].len && k < IDX_CHARS; k++)
			if (sym(t->nodes[i].prefix[k]) < 0)
				goto done;
	if (!(t->idx = tca_alloc(a, (IDX_SIZE + 1) * sizeof *t->idx)))
		goto fail;
	for (long k = 0; k < IDX_SIZE; k++)
		t->idx[k] = lower_bound_key(t, k);
	t->idx[IDX_SIZE] = (uint32_t)t->nnodes;
done:
	free(s);
	free(stack);
	return t;
fail:
	free(s);
	free(stack);
	return NULL;
}

size_t troutetab_bytes(const struct troutetab *t)
{
	return t ? sizeof *t + t->nnodes * sizeof *t->nodes + t->nroutes * sizeof *t->routes +
		   (t->idx ? (IDX_SIZE + 1) * sizeof *t->idx : 0) : 0;
}

size_t troutetab_prefixes(const struct troutetab *t) { return t ? t->nnodes : 0; }

/* ---- lookup ---- */

const struct tconf_route *troutetab_lookup(const struct troutetab *t, const char *number,
					   troute_accept_fn accept, void *arg)
{
	if (!t || !t->nnodes || !number)
		return NULL;
	/* greatest prefix <= number: among those sharing its first symbols, or
	 * else the last one before them */
	size_t lo = 0, hi = t->nnodes;
	long k = idx_key(number);
	if (k >= 0 && t->idx) {
		lo = t->idx[k];
		hi = t->idx[k + 1];
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->nodes[mid].prefix, number) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	for (int32_t i = (int32_t)lo - 1; i >= 0; i = t->nodes[i].parent) {
		const struct rt_node *nd = &t->nodes[i];
		if (strncmp(nd->prefix, number, nd->len))
			continue;
		for (uint32_t j = 0; j < nd->count; j++) {
			const struct tconf_route *r = t->routes[nd->first + j];
			if (accept ? accept(r, arg) : !has_conditions(r))
				return r;
		}
	}
	return NULL;
}

/* ---- full match ---- */

static bool conditions_hold(const struct tconf_route *r, void *arg)
{
	const struct troute_query *q = arg;
	const struct tconf_route_def *d = r->def;
	if (!d)
		return true;
	if (d->caller && strncmp(q->caller ? q->caller : "", d->caller, strlen(d->caller)))
		return false;
	if (d->source && (!q->source || strcmp(q->source, d->source)))
		return false;
	return true;
}

/* \0..\9 in tpl are the regex groups of 'subject'. */
static int expand(const char *tpl, const char *subject, const regmatch_t *m, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = tpl; *p; p++) {
		const char *src = p;
		size_t sl = 1;
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '9') {
			const regmatch_t *g = &m[p[1] - '0'];
			p++;
			if (g->rm_so < 0)
				continue;
			src = subject + g->rm_so;
			sl = (size_t)(g->rm_eo - g->rm_so);
		}
		if (n + sl >= len)
			return -ENOSPC;
		memcpy(out + n, src, sl);
		n += sl;
	}
	out[n] = '\0';
	return 0;
}

static int manipulate(const struct tconf_route *r, const char *called, const regmatch_t *m,
		      char *out, size_t len)
{
	char tmp[128];
	const struct tconf_route_def *d = r->def;
	if (d && d->rewrite && m) {
		if (expand(d->rewrite, called, m, tmp, sizeof tmp) < 0)
			return -ENOSPC;
	} else {
		snprintf(tmp, sizeof tmp, "%s", called);
	}
	size_t tl = strlen(tmp), strip = d && d->strip < tl ? d->strip : d ? tl : 0;
	int w = snprintf(out, len, "%s%s", d && d->prepend ? d->prepend : "", tmp + strip);
	return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
}

const struct tconf_route *troute_match(const tconf_t *c, const struct troute_query *q,
				       char *out, size_t outlen)
{
	const char *called = q->called ? q->called : "";
	size_t clen = strlen(called);
	for (size_t i = 0; i < c->nxroutes; i++) {
		const struct tconf_route *r = &c->xroutes[i];
		regmatch_t m[10];
		if (!r->re || regexec(r->re, called, 10, m, 0) || m[0].rm_so != 0 ||
		    (size_t)m[0].rm_eo != clen || !conditions_hold(r, (void *)q))
			continue;
		if (manipulate(r, called, m, out, outlen) == 0)
			return r;
	}
	const struct tconf_route *r = troutetab_lookup(c->rtab, called, conditions_hold, (void *)q);
	if (r && manipulate(r, called, NULL, out, outlen) == 0)
		return r;
	return NULL;
}

/* ---- target order ---- */

size_t troute_order(const struct tconf_route *r, uint32_t (*rnd)(void *), void *arg,
		    uint8_t order[TROUTE_MAX_TARGETS])
{
	size_t n = r->ntargets < TROUTE_MAX_TARGETS ? r->ntargets : TROUTE_MAX_TARGETS;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint8_t)i;
	/* stable insertion sort by priority (lists are short) */
	for (size_t i = 1; i < n; i++) {
		uint8_t v = order[i];
		size_t j = i;
		for (; j && r->targets[order[j - 1]].priority > r->targets[v].priority; j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
	/* weighted draw without replacement within each priority group */
	for (size_t g = 0; g < n;) {
		size_t e = g + 1;
		while (e < n && r->targets[order[e]].priority == r->targets[order[g]].priority)
			e++;
		for (size_t i = g; i + 1 < e; i++) {
			uint64_t sum = 0;
			for (size_t k = i; k < e; k++)
				sum += r->targets[order[k]].weight;
			if (!sum)
				break;
			uint64_t x = (uint64_t)rnd(arg) % sum;
			size_t k = i;
			for (; k < e; k++) {
				uint64_t w = r->targets[order[k]].weight;
				if (x < w)
					break;
				x -= w;
			}
			uint8_t v = order[k];
			memmove(&order[i + 1], &order[i], k - i);
			order[i] = v;
		}
		g = e;
	}
	return n;
}

/* ---- targets and regexes ---- */

static int target_opt(const char *word, struct tconf_target *t, char *why, size_t whylen)
{
	const char *eq = strchr(word, '=');
	unsigned long v;
	char *end;
	if (!eq || eq[1] < '0' || eq[1] > '9' || (v = strtoul(eq + 1, &end, 10), *end) || v > 1000000) {
		snprintf(why, whylen, "'%s': expected priority=N or weight=N (N a number up to 1000000)", word);
		return -1;
	}
	if (!strncmp(word, "priority=", 9))
		t->priority = (unsigned)v;
	else if (!strncmp(word, "weight=", 7))
		t->weight = (unsigned)v;
	else {
		snprintf(why, whylen, "'%.*s': unknown target option (priority or weight)", (int)(eq - word), word);
		return -1;
	}
	return 0;
}

/* One "name [opt=N]..." item (modified in place) into *t; *explicit gets
 * bit 1 for a priority, bit 2 for a weight written. */
static int parse_item(const tconf_t *c, char *item, size_t pos, struct tconf_target *t,
		      unsigned *explicit, char *why, size_t whylen)
{
	char *save = NULL, *name = strtok_r(item, " \t", &save);
	if (!name) {
		snprintf(why, whylen, "empty target in the list");
		return -1;
	}
	*t = (struct tconf_target){ .kind = TCONF_TARGET_TRUNK, .priority = (unsigned)pos + 1, .weight = 1 };
	if (!strcmp(name, "echo"))
		t->kind = TCONF_TARGET_ECHO;
	else if (!strcmp(name, "milliwatt"))
		t->kind = TCONF_TARGET_MILLIWATT;
	else if (!strncmp(name, "user:", 5)) {
		t->kind = TCONF_TARGET_USER;
		if (!(t->user = tconf_user(c, name + 5))) {
			snprintf(why, whylen, "no user named '%s' (users.conf)", name + 5);
			return -1;
		}
	} else if (!(t->trunk = tconf_trunk(c, name))) {
		struct tconf_suggest sg;
		tconf_suggest_init(&sg, name);
		tconf_suggest_try(&sg, "echo");
		tconf_suggest_try(&sg, "milliwatt");
		for (size_t i = 0; i < c->ntrunks; i++)
			tconf_suggest_try(&sg, c->trunks[i].name);
		const char *best = tconf_suggest_result(&sg);
		snprintf(why, whylen, "unknown target '%s' (not a trunk, echo, milliwatt or user:NAME)%s%s%s", name,
			 best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
		return -1;
	}
	for (char *w; (w = strtok_r(NULL, " \t", &save));) {
		if (target_opt(w, t, why, whylen) < 0)
			return -1;
		*explicit |= !strncmp(w, "priority=", 9) ? 1 : 2;
	}
	return 0;
}

long troute_parse_targets(const tconf_t *c, struct tca *a, const char *text,
			  struct tconf_target **out, char *why, size_t whylen)
{
	size_t cap = 1;
	for (const char *p = text; *p; p++)
		cap += *p == ',';
	if (cap > TROUTE_MAX_TARGETS) {
		snprintf(why, whylen, "more than %d targets", TROUTE_MAX_TARGETS);
		return -1;
	}
	struct tconf_target *t = tca_alloc(a, cap * sizeof *t);
	char *list = strdup(text);
	unsigned expl[TROUTE_MAX_TARGETS] = { 0 }, any = 0;
	long n = 0;
	if (!t || !list) {
		snprintf(why, whylen, "out of memory");
		free(list);
		return -1;
	}
	for (char *item = list, *comma;; item = comma + 1) {
		if ((comma = strchr(item, ',')))
			*comma = 0;
		if (!item[strspn(item, " \t")]) {
			snprintf(why, whylen, "empty target in list '%s'", text);
			n = -1;
			break;
		}
		if (parse_item(c, item, (size_t)n, &t[n], &expl[n], why, whylen) < 0) {
			n = -1;
			break;
		}
		for (long i = 0; i < n; i++)
			if (t[i].kind == t[n].kind && t[i].trunk == t[n].trunk && t[i].user == t[n].user) {
				snprintf(why, whylen, "target '%s' is listed twice", tconf_target_name(&t[n]));
				free(list);
				return -1;
			}
		n++;
		if (!comma)
			break;
	}
	free(list);
	/* A list that says priority or weight anywhere is one group unless told
	 * otherwise (a plain list keeps its order: priority = position). */
	for (long i = 0; i < n; i++)
		any |= expl[i];
	for (long i = 0; any && i < n; i++)
		if (!(expl[i] & 1))
			t[i].priority = 1;
	*out = t;
	return n;
}

int troute_compile(struct tconf_route *r, const char *pattern, char *why, size_t whylen)
{
	regex_t *re = malloc(sizeof *re);
	if (!re) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	int rc = regcomp(re, pattern, REG_EXTENDED);
	if (rc) {
		char err[128];
		regerror(rc, re, err, sizeof err);
		snprintf(why, whylen, "bad regular expression '%s': %s", pattern, err);
		free(re);
		return -1;
	}
	if (re->re_nsub > 9) {
		snprintf(why, whylen, "regular expression '%s' has more than 9 groups", pattern);
		regfree(re);
		free(re);
		return -1;
	}
	r->re = re;
	return 0;
}

void troutes_release(tconf_t *c)
{
	for (size_t i = 0; c && i < c->nxroutes; i++) {
		regex_t *re = (regex_t *)(uintptr_t)c->xroutes[i].re;
		if (re) {
			regfree(re);
			free(re);
		}
	}
}
