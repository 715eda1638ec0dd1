/* config_routes.c - load routes into a snapshot: [routes] keys, the route
 * file it names, and [NAME] type=route sections; then build the lookup
 * table (routetab.h). Called by the loader (config.c) after the trunks. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/config_ini.h"
#include "core/config_priv.h"
#include "core/routetab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_FILE_LINE_MAX 4096

struct rload {
	tconf_t *c;
	struct tca *a;
	struct tconf_diag *d;
	struct tconf_route *plain;  /* [routes] keys and file lines */
	size_t nplain, capplain;
	const char *last_file, *last_copy;
	bool oom;
};

static const char *keep_file(struct rload *R, const char *file)
{
	if (file != R->last_file) {
		R->last_file = file;
		R->last_copy = tca_strdup(R->a, file);
	}
	return R->last_copy;
}

static bool valid_prefix(const char *k)
{
	const char *p = k + (*k == '+');
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == 0 && p > k && p - k <= TROUTE_MAX_PREFIX;
}

static struct tconf_route *plain_add(struct rload *R)
{
	if (R->nplain == R->capplain) {
		size_t ncap = R->capplain ? R->capplain * 2 : 64;
		struct tconf_route *n = realloc(R->plain, ncap * sizeof *n);
		if (!n) {
			R->oom = true;
			return NULL;
		}
		R->plain = n;
		R->capplain = ncap;
	}
	struct tconf_route *r = &R->plain[R->nplain];
	memset(r, 0, sizeof *r);
	return r;
}

/* prefix (or "default") and a target list, from a key or a file line */
static void add_plain(struct rload *R, const char *prefix, const char *targets, const char *file,
		      unsigned line, const char *what)
{
	char why[256];
	bool def = !strcmp(prefix, "default");
	if (!def && !valid_prefix(prefix)) {
		tconf_diag(R->d, file, line, "%s'%s' is not a number prefix (digits, optional leading '+', at most %d) or 'default'",
			   what, prefix, TROUTE_MAX_PREFIX);
		return;
	}
	if (!*targets) {
		tconf_diag(R->d, file, line, "%s%s: no target", what, prefix);
		return;
	}
	struct tconf_route *r = plain_add(R);
	if (!r)
		return;
	struct tconf_target *t;
	long n = troute_parse_targets(R->c, R->a, targets, &t, why, sizeof why);
	if (n < 0) {
		tconf_diag(R->d, file, line, "%s%s: %s", what, prefix, why);
		return;
	}
	r->prefix = def ? "" : tca_strdup(R->a, prefix);
	r->targets = t;
	r->ntargets = (size_t)n;
	r->file = keep_file(R, file);
	r->line = line;
	if (!r->prefix || !r->file)
		R->oom = true;
	else
		R->nplain++;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

/* The route file: `prefix,target[,target...]` a line; '#' or ';' comments. */
static void load_file(struct rload *R, const char *path, const char *kfile, unsigned kline)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		tconf_diag(R->d, kfile, kline, "[routes] file: cannot open '%s': %s", path, strerror(errno));
		return;
	}
	const char *fname = keep_file(R, path);
	char buf[ROUTE_FILE_LINE_MAX];
	unsigned line = 0;
	while (fgets(buf, sizeof buf, f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			tconf_diag(R->d, fname, line, "line longer than %d bytes", ROUTE_FILE_LINE_MAX - 2);
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		char *s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		char *comma = strchr(s, ',');
		if (!comma) {
			tconf_diag(R->d, fname, line, "expected 'prefix,target[,target...]', got '%.40s'", s);
			continue;
		}
		*comma = 0;
		add_plain(R, trim(s), trim(comma + 1), fname, line, "");
		if (R->oom)
			break;
	}
	fclose(f);
}

static int route_cmp(const void *a, const void *b)
{
	const struct tconf_route *x = a, *y = b;
	size_t lx = strlen(x->prefix), ly = strlen(y->prefix);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x->prefix, y->prefix);
}

/* A route section into xroutes[i]; -1 when it has errors (said). */
static int load_def(struct rload *R, const struct tconf_route_def *d, struct tconf_route *r)
{
	char why[256];
	const char *file = d->file;
	unsigned line = d->line;
	r->def = d;
	r->file = file;
	r->line = line;
	r->prefix = d->number ? d->number : "";
	if (!d->targets) {
		tconf_diag(R->d, file, line, "[%s] route has no targets", d->name);
		return -1;
	}
	if (d->number && d->regex) {
		tconf_diag(R->d, file, line, "[%s] set either number (a prefix) or regex, not both", d->name);
		return -1;
	}
	if (d->number && strlen(d->number) > TROUTE_MAX_PREFIX) {
		tconf_diag(R->d, file, line, "[%s] number: a prefix has at most %d characters", d->name,
			   TROUTE_MAX_PREFIX);
		return -1;
	}
	if (d->rewrite && !d->regex) {
		tconf_diag(R->d, file, line, "[%s] rewrite needs a regex (use strip and prepend with number)",
			   d->name);
		return -1;
	}
	if (d->source && !tconf_trunk(R->c, d->source) && !tconf_user(R->c, d->source)) {
		tconf_diag(R->d, file, line, "[%s] source: '%s' is neither a trunk nor a user", d->name, d->source);
		return -1;
	}
	struct tconf_target *t;
	long n = troute_parse_targets(R->c, R->a, d->targets, &t, why, sizeof why);
	if (n < 0) {
		tconf_diag(R->d, file, line, "[%s] targets: %s", d->name, why);
		return -1;
	}
	r->targets = t;
	r->ntargets = (size_t)n;
	if (d->regex && troute_compile(r, d->regex, why, sizeof why) < 0) {
		tconf_diag(R->d, file, line, "[%s] regex: %s", d->name, why);
		return -1;
	}
	return 0;
}

void tconf_load_routes(tconf_t *c, struct tca *a, struct tconf_diag *d, const struct ini_section *s,
		       const char *basedir, bool files, const struct tconf_route_def *defs, size_t ndefs)
{
	struct rload R = { .c = c, .a = a, .d = d };
	for (size_t i = 0; s && i < s->neff; i++) {
		const struct ini_key *k = s->eff[i];
		if (strcmp(k->name, "file")) {
			add_plain(&R, k->name, k->value, k->file, k->line, "[routes] ");
			continue;
		}
		const char *v = k->value;
		if (!files) {
			tconf_diag(d, k->file, k->line, "[routes] file: files are not read here");
			continue;
		}
		char *path = v[0] != '/' && basedir ? tca_printf(a, "%s/%s", basedir, v) : tca_strdup(a, v);
		if (path)
			load_file(&R, path, k->file, k->line);
	}
	/* unconditional prefixes: longest first (tconf_route_lookup's order), one each */
	if (R.nplain)
		qsort(R.plain, R.nplain, sizeof *R.plain, route_cmp);
	for (size_t i = 1; i < R.nplain; i++)
		if (!strcmp(R.plain[i].prefix, R.plain[i - 1].prefix))
			tconf_diag(d, R.plain[i].file, R.plain[i].line, "prefix '%s' is already routed at %s:%u",
				   R.plain[i].prefix[0] ? R.plain[i].prefix : "default",
				   R.plain[i - 1].file, R.plain[i - 1].line);
	struct tconf_route *plain = R.nplain ? tca_alloc(a, R.nplain * sizeof *plain) : NULL;
	struct tconf_route *x = ndefs ? tca_alloc(a, ndefs * sizeof *x) : NULL;
	const struct tconf_route **all = malloc((R.nplain + ndefs + 1) * sizeof *all);
	if ((R.nplain && !plain) || (ndefs && !x) || !all || R.oom) {
		tconf_diag(d, NULL, 0, "out of memory loading routes");
		free(R.plain);
		free(all);
		return;
	}
	if (R.nplain)
		memcpy(plain, R.plain, R.nplain * sizeof *plain);
	free(R.plain);
	c->routes = plain;
	c->nroutes = R.nplain;
	c->xroutes = x;             /* set now: troutes_release frees what compiled */
	c->nxroutes = ndefs;
	size_t n = 0;
	for (size_t i = 0; i < R.nplain; i++)
		all[n++] = &plain[i];
	for (size_t i = 0; i < ndefs; i++)
		if (load_def(&R, &defs[i], &x[i]) == 0)
			all[n++] = &x[i];
	c->rtab = troutetab_build(a, all, n);
	free(all);
	if (!c->rtab)
		tconf_diag(d, NULL, 0, "out of memory building the route table");
}
