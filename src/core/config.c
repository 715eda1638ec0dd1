/* config.c - load and validate a configuration into a snapshot.
 *
 * A load runs in three steps: the INI reader (config_ini.c) turns the files
 * into sections and keys; templates are expanded into each section's
 * effective keys; every section is then checked against the schema and its
 * values stored into the snapshot. Errors never stop a step: the load
 * carries on to report all of them, and returns NULL if there was any.
 *
 * The parse lives in its own arena, freed when the load ends; the snapshot
 * lives in another, freed by the last tconf_unref().
 */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/cidr.h"
#include "core/config_ini.h"
#include "core/config_priv.h"
#include "core/config_schema.h"
#include "core/config_value.h"
#include "core/routetab.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SCHEMA_ROWS 128

struct file_map {
	const char *from, *to;
	struct file_map *next;
};

struct loader {
	struct tconf_diag d;
	struct ini_doc doc;         /* parse; arena freed at the end of the load */
	struct tca *a;              /* snapshot arena */
	tconf_t *c;
	const char *mainfile;
	const char *basedir;        /* for relative paths; NULL: keep them relative */
	struct ini_section **sorted;    /* all sections by name, for template lookup */
	size_t nsorted;
	struct ini_section *fixed[TCS_NKINDS];
	struct file_map *files;     /* file names interned into the snapshot */
	bool oom;
	bool no_files;              /* TCONF_LOAD_NO_INCLUDE: no file access at all */
};

/* ---- small helpers ---- */

static void *l_alloc(struct loader *L, struct tca *a, size_t n)
{
	void *p = tca_alloc(a, n);
	if (!p && !L->oom) {
		L->oom = true;
		tconf_diag(&L->d, L->mainfile, 0, "out of memory");
	}
	return p;
}

static const char *intern_file(struct loader *L, const char *file)
{
	for (struct file_map *m = L->files; m; m = m->next)
		if (m->from == file)
			return m->to;
	struct file_map *m = l_alloc(L, L->doc.arena, sizeof *m);
	char *to = tca_strdup(L->a, file);
	if (!m || !to)
		return NULL;
	m->from = file;
	m->to = to;
	m->next = L->files;
	L->files = m;
	return to;
}

static void origin_add(struct loader *L, const char *section, const char *key,
		       const char *file, unsigned line)
{
	struct tconf_origin *o = l_alloc(L, L->a, sizeof *o);
	if (!o)
		return;
	o->section = tca_strdup(L->a, section);
	o->key = key ? tca_strdup(L->a, key) : NULL;
	o->file = intern_file(L, file);
	o->line = line;
	o->next = L->c->priv->origins;
	L->c->priv->origins = o;
}

static struct ini_key *eff_key(const struct ini_section *s, const char *name)
{
	for (size_t i = 0; s && i < s->neff; i++)
		if (!strcmp(s->eff[i]->name, name))
			return s->eff[i];
	return NULL;
}

/* Location of a key for messages: where it was written, else the header. */
static void key_loc(struct loader *L, const struct ini_section *s, const char *key,
		    const char **file, unsigned *line)
{
	const struct ini_key *k = eff_key(s, key);
	*file = k ? k->file : s ? s->file : L->mainfile;
	*line = k ? k->line : s ? s->line : 0;
}

/* ---- sections and templates ---- */

struct kref {
	struct ini_key *k;
	size_t idx;
};

static int kref_cmp(const void *a, const void *b)
{
	const struct kref *x = a, *y = b;
	int r = strcmp(x->k->name, y->k->name);
	return r ? r : (x->idx > y->idx) - (x->idx < y->idx);
}

static int sec_cmp(const void *a, const void *b)
{
	const struct ini_section *x = *(struct ini_section *const *)a;
	const struct ini_section *y = *(struct ini_section *const *)b;
	int r = strcmp(x->name, y->name);
	return r ? r : x->state - y->state;  /* state holds the file order here */
}

/* Sort sections by name; every later section of an already used name is an
 * error and is ignored from then on. */
static int index_sections(struct loader *L)
{
	size_t n = L->doc.nsections, i = 0;
	L->sorted = l_alloc(L, L->doc.arena, (n + 1) * sizeof *L->sorted);
	if (!L->sorted)
		return -1;
	for (struct ini_section *s = L->doc.first; s; s = s->next) {
		s->state = (int)i;
		L->sorted[i++] = s;
	}
	qsort(L->sorted, n, sizeof *L->sorted, sec_cmp);
	for (size_t g = 0, j = 1; j < n; j++) {
		const struct ini_section *first = L->sorted[g];
		struct ini_section *dup = L->sorted[j];
		if (strcmp(first->name, dup->name)) {
			g = j;
			continue;
		}
		dup->dead = true;
		tconf_diag(&L->d, dup->file, dup->line, "duplicate section [%s] (first defined at %s:%u)",
			   dup->name, first->file, first->line);
	}
	L->nsorted = n;
	for (struct ini_section *s = L->doc.first; s; s = s->next)
		s->state = 0;
	return 0;
}

static struct ini_section *find_section(struct loader *L, const char *name)
{
	for (size_t lo = 0, hi = L->nsorted; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		struct ini_section *s = L->sorted[mid];
		int r = strcmp(name, s->name);
		if (r == 0) {
			/* Among equal names, the live one is the first definition. */
			for (size_t j = mid; j < L->nsorted && !strcmp(L->sorted[j]->name, name); j++)
				if (!L->sorted[j]->dead)
					return L->sorted[j];
			for (size_t j = mid; j-- > 0 && !strcmp(L->sorted[j]->name, name);)
				if (!L->sorted[j]->dead)
					return L->sorted[j];
			return NULL;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A section's own keys, each name once: later duplicates are errors. */
static size_t own_keys(struct loader *L, struct ini_section *s, struct kref *out)
{
	size_t n = 0;
	for (struct ini_key *k = s->keys; k; k = k->next, n++)
		out[n] = (struct kref){ k, n };
	qsort(out, n, sizeof *out, kref_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (kept && !strcmp(out[kept - 1].k->name, out[i].k->name)) {
			const struct ini_key *first = out[kept - 1].k, *dup = out[i].k;
			tconf_diag(&L->d, dup->file, dup->line, "[%s] duplicate key '%s' (first set at %s:%u)",
				   s->name, dup->name, first->file, first->line);
			continue;
		}
		out[kept++] = out[i];
	}
	return kept;
}

static int idx_cmp(const void *a, const void *b)
{
	const struct kref *x = a, *y = b;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Append the parents' effective keys to 'refs'; unusable parents are errors
 * and are skipped. Returns the number of keys, or -1 when out of memory. */
static long parent_keys(struct loader *L, struct ini_section *s, struct kref **refs);

/* Effective keys: parents' (in order), then own; for each name the last wins,
 * at the position where the name first appeared. */
static int expand(struct loader *L, struct ini_section *s)
{
	if (s->state == 2)
		return 0;
	s->state = 1;
	struct kref *refs = NULL;
	long n = parent_keys(L, s, &refs);
	struct kref *own = l_alloc(L, L->doc.arena, (s->nkeys + 1) * sizeof *own);
	struct kref *all = l_alloc(L, L->doc.arena, ((size_t)(n > 0 ? n : 0) + s->nkeys + 1) * sizeof *all);
	if (n < 0 || !own || !all) {
		s->state = 2;
		return -1;
	}
	size_t nown = own_keys(L, s, own);
	qsort(own, nown, sizeof *own, idx_cmp);
	size_t total = 0;
	for (long i = 0; i < n; i++, total++)
		all[total] = (struct kref){ refs[i].k, total };
	for (size_t i = 0; i < nown; i++, total++)
		all[total] = (struct kref){ own[i].k, total };
	qsort(all, total, sizeof *all, kref_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < total; i++) {
		if (kept && !strcmp(all[kept - 1].k->name, all[i].k->name))
			all[kept - 1].k = all[i].k;
		else
			all[kept++] = all[i];
	}
	qsort(all, kept, sizeof *all, idx_cmp);
	s->eff = l_alloc(L, L->doc.arena, (kept + 1) * sizeof *s->eff);
	if (s->eff) {
		for (size_t i = 0; i < kept; i++)
			s->eff[i] = all[i].k;
		s->neff = kept;
	}
	s->state = 2;
	return s->eff ? 0 : -1;
}

static void suggest_template(struct loader *L, const struct ini_section *s, const char *name)
{
	struct tconf_suggest sg;
	tconf_suggest_init(&sg, name);
	for (struct ini_section *t = L->doc.first; t; t = t->next)
		if (t->is_template && !t->dead)
			tconf_suggest_try(&sg, t->name);
	const char *best = tconf_suggest_result(&sg);
	tconf_diag(&L->d, s->file, s->line, "[%s] uses unknown template [%s]%s%s%s", s->name, name,
		   best ? "; did you mean [" : "", best ? best : "", best ? "]?" : "");
}

static struct ini_section *usable_parent(struct loader *L, struct ini_section *s, const char *name)
{
	struct ini_section *t = find_section(L, name);
	if (!t) {
		suggest_template(L, s, name);
		return NULL;
	}
	if (!t->is_template) {
		tconf_diag(&L->d, s->file, s->line,
			   "[%s] uses [%s], which is not a template (define it as [%s](!))",
			   s->name, t->name, t->name);
		return NULL;
	}
	if (t->state == 1) {
		tconf_diag(&L->d, s->file, s->line, "template cycle: [%s] inherits from [%s], which inherits from it",
			   s->name, t->name);
		return NULL;
	}
	if (expand(L, t) < 0)
		return NULL;
	return t;
}

static long parent_keys(struct loader *L, struct ini_section *s, struct kref **refs)
{
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < s->nparents; i++) {
		struct ini_section *t = usable_parent(L, s, s->parents[i]);
		if (!t || !t->neff)
			continue;
		if (n + t->neff > cap) {
			size_t ncap = (n + t->neff) * 2 + 8;
			struct kref *r = l_alloc(L, L->doc.arena, ncap * sizeof *r);
			if (!r)
				return -1;
			if (n)
				memcpy(r, *refs, n * sizeof *r);
			*refs = r;
			cap = ncap;
		}
		for (size_t j = 0; j < t->neff; j++, n++)
			(*refs)[n] = (struct kref){ t->eff[j], n };
	}
	return (long)n;
}

/* ---- schema sections ---- */

static void unknown_key(struct loader *L, enum tcs_kind kind, const struct ini_key *k)
{
	const char *best = tcs_suggest(kind, k->name);
	bool named = kind == TCS_INTERFACE || kind == TCS_TRUNK || kind == TCS_USER || kind == TCS_ROUTE;
	const char *what = kind == TCS_INTERFACE ? "an interface" : kind == TCS_TRUNK ? "a trunk" :
			   kind == TCS_ROUTE ? "a route" : "a user";
	tconf_diag(&L->d, k->file, k->line, "[%s] unknown key '%s'%s%s%s%s%s", k->section, k->name,
		   named ? " for " : "", named ? what : "",
		   best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
}

/* Store the section's keys (and the defaults of the rest) into 'base'.
 * 's' may be NULL: an absent section gets all defaults. */
static void apply(struct loader *L, const struct ini_section *s, const char *name,
		  enum tcs_kind kind, void *base)
{
	unsigned char seen[MAX_SCHEMA_ROWS] = { 0 };
	char why[512];
	for (size_t i = 0; s && i < s->neff; i++) {
		const struct ini_key *k = s->eff[i];
		const struct tcs_key *row = tcs_find(kind, k->name);
		if (!row) {
			unknown_key(L, kind, k);
			continue;
		}
		seen[row - tcs_keys] = 1;
		if (row->flags & TCS_NOSTORE)
			continue;
		if (tcv_parse(row, k->value, base, L->a, L->basedir, why, sizeof why) < 0)
			tconf_diag(&L->d, k->file, k->line, "[%s] %s: %s", k->section, k->name, why);
		else
			origin_add(L, name, k->name, k->file, k->line);
	}
	for (size_t i = 0; i < tcs_nkeys; i++) {
		const struct tcs_key *row = &tcs_keys[i];
		if (row->kind != kind || seen[i] || (row->flags & TCS_PATTERN))
			continue;
		if (row->flags & TCS_REQUIRED)
			tconf_diag(&L->d, s ? s->file : L->mainfile, s ? s->line : 0,
				   "[%s] missing required key '%s'", name, row->name);
		else if (row->def && tcv_parse(row, row->def, base, L->a, L->basedir, why, sizeof why) < 0)
			tconf_diag(&L->d, NULL, 0, "internal error: default of [%s] %s: %s", name, row->name, why);
	}
	if (s)
		origin_add(L, name, NULL, s->file, s->line);
}

/* Kind of a named section from its effective 'type' key; -1 with an error. */
static int named_kind(struct loader *L, const struct ini_section *s)
{
	const struct ini_key *t = eff_key(s, "type");
	if (!t) {
		struct tconf_suggest sg;
		tconf_suggest_init(&sg, s->name);
		for (int k = 0; k < TCS_NKINDS; k++)
			tconf_suggest_try(&sg, tcs_kind_section(k));
		const char *best = tconf_suggest_result(&sg);
		if (best)
			tconf_diag(&L->d, s->file, s->line, "unknown section [%s]; did you mean [%s]?",
				   s->name, best);
		else
			tconf_diag(&L->d, s->file, s->line,
				   "[%s] has no 'type' (interface, trunk, user or route), so it defines nothing", s->name);
		return -1;
	}
	int kind = tcs_enum_value(tcs_section_types, t->value);
	if (kind < 0)
		tconf_diag(&L->d, t->file, t->line,
			   "[%s] type: unknown section type '%s' (allowed: interface, trunk, user, route)",
			   t->section, t->value);
	return kind;
}

static const char *hostname(struct loader *L)
{
	char buf[256];
	if (gethostname(buf, sizeof buf - 1) < 0 || !buf[0])
		return "tandem";
	buf[sizeof buf - 1] = 0;
	return tca_strdup(L->a, buf);
}

/* ---- interfaces and trunks ---- */

static void check_interface(struct loader *L, const struct ini_section *s, struct tconf_interface *ifc,
			    size_t idx)
{
	const char *file;
	unsigned line;
	if (!ifc->advertise)
		ifc->advertise = ifc->address;
	if (ifc->rtp_port_min % 2) {
		key_loc(L, s, "rtp_port_min", &file, &line);
		tconf_diag(&L->d, file, line, "[%s] rtp_port_min: %u is odd (RTP uses even ports, RTCP the next one)",
			   s->name, ifc->rtp_port_min);
	}
	if (ifc->rtp_port_min >= ifc->rtp_port_max) {
		key_loc(L, s, "rtp_port_max", &file, &line);
		tconf_diag(&L->d, file, line, "[%s] rtp_port_min %u must be below rtp_port_max %u",
			   s->name, ifc->rtp_port_min, ifc->rtp_port_max);
	}
	if ((ifc->transports & TCONF_TP_TLS) && !ifc->tls_certificate_dir)
		tconf_diag(&L->d, s->file, s->line, "[%s] transports has tls: set tls_certificate_dir "
			   "(a directory with agent.pem and cafile.pem)", s->name);
	const struct tconf_interface *all = L->c->interfaces;
	for (size_t i = 0; ifc->address && i < idx; i++) {
		if (all[i].address && !strcmp(all[i].address, ifc->address) &&
		    all[i].sip_port == ifc->sip_port && (all[i].transports & ifc->transports)) {
			key_loc(L, s, "sip_port", &file, &line);
			tconf_diag(&L->d, file, line, "[%s] listens on %s port %u like interface [%s]",
				   s->name, ifc->address, ifc->sip_port, all[i].name);
		}
	}
}

/* acl: addresses, ranges, or "host" (the trunk's host, an IP literal). */
static void check_acl(struct loader *L, const struct ini_section *s, const struct tconf_trunk *t)
{
	const char *file;
	unsigned line;
	struct tcidr r;
	for (size_t i = 0; t->acl && t->acl[i]; i++) {
		const char *e = t->acl[i];
		if (!strcmp(e, "host") ? t->host && tcidr_parse(t->host, &r) == 0 : tcidr_parse(e, &r) == 0)
			continue;
		key_loc(L, s, "acl", &file, &line);
		if (!strcmp(e, "host"))
			tconf_diag(&L->d, file, line, "[%s] acl: 'host' needs an IP address as host, not '%s'",
				   s->name, t->host ? t->host : "");
		else
			tconf_diag(&L->d, file, line,
				   "[%s] acl: '%s' is not an IP address or range (e.g. 192.0.2.0/24)", s->name, e);
	}
}

static void check_trunk(struct loader *L, const struct ini_section *s, struct tconf_trunk *t)
{
	const tconf_t *c = L->c;
	if (!strcmp(t->name, "echo") || !strcmp(t->name, "milliwatt"))
		tconf_diag(&L->d, s->file, s->line, "[%s] is the name of a built-in target; pick another trunk name",
			   t->name);
	if (!t->username != !t->password)
		tconf_diag(&L->d, s->file, s->line, "[%s] set both username and password (digest toward the trunk), or neither",
			   t->name);
	if (t->transport == TCONF_TP_TLS && c->ninterfaces && !(c->interfaces[0].transports & TCONF_TP_TLS))
		tconf_diag(&L->d, s->file, s->line, "[%s] transport = tls needs tls in the transports of "
			   "interface [%s] (SIP leaves from the first interface)", t->name, c->interfaces[0].name);
	if (t->do_register && !t->username)
		tconf_diag(&L->d, s->file, s->line, "[%s] register = yes needs username and password", t->name);
	check_acl(L, s, t);
	if (!t->interface) {
		t->interface = c->ninterfaces ? c->interfaces[0].name : NULL;
		return;
	}
	if (tconf_interface(c, t->interface))
		return;
	struct tconf_suggest sg;
	tconf_suggest_init(&sg, t->interface);
	for (size_t i = 0; i < c->ninterfaces; i++)
		tconf_suggest_try(&sg, c->interfaces[i].name);
	const char *best = tconf_suggest_result(&sg);
	const char *file;
	unsigned line;
	key_loc(L, s, "interface", &file, &line);
	tconf_diag(&L->d, file, line, "[%s] interface: no interface named '%s'%s%s%s", s->name, t->interface,
		   best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
}

/* A HA1 key: the right number of hex digits, stored lowercase. */
static void check_ha1(struct loader *L, const struct ini_section *s, const char *key, const char **v,
		      size_t len)
{
	if (!*v)
		return;
	size_t n = strlen(*v);
	char *low = tca_strdup(L->a, *v);
	bool ok = n == len && low;
	for (size_t i = 0; ok && i < n; i++) {
		char ch = low[i];
		ok = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
		low[i] = (char)(ch >= 'A' && ch <= 'F' ? ch | 0x20 : ch);
	}
	if (ok) {
		*v = low;
		return;
	}
	const char *file;
	unsigned line;
	key_loc(L, s, key, &file, &line);
	tconf_diag(&L->d, file, line, "[%s] %s: not %zu hex digits", s->name, key, len);
}

/* users[idx] against itself and the users before it. */
static void check_user(struct loader *L, const struct ini_section *s, struct tconf_user *users, size_t idx)
{
	struct tconf_user *u = &users[idx];
	const char *file;
	unsigned line;
	check_ha1(L, s, "ha1_md5", &u->ha1_md5, 32);
	check_ha1(L, s, "ha1_sha256", &u->ha1_sha256, 64);
	if (!u->password && !u->ha1_md5 && !u->ha1_sha256)
		tconf_diag(&L->d, s->file, s->line, "[%s] user has no password (nor ha1_md5 / ha1_sha256)",
			   s->name);
	if (u->password && (u->ha1_md5 || u->ha1_sha256)) {
		key_loc(L, s, u->ha1_md5 ? "ha1_md5" : "ha1_sha256", &file, &line);
		tconf_diag(&L->d, file, line, "[%s] set either password or the ha1_* keys, not both", s->name);
	}
	for (size_t i = 0; u->number && i < idx; i++) {
		if (!users[i].number || strcmp(users[i].number, u->number))
			continue;
		key_loc(L, s, "number", &file, &line);
		tconf_diag(&L->d, file, line, "[%s] number %s is already user [%s]'s", s->name, u->number,
			   users[i].name);
		break;
	}
}

/* Fill c->interfaces, c->trunks or c->users from the named sections of that kind. */
static void load_named(struct loader *L, enum tcs_kind kind, struct ini_section **secs, int *kinds,
		       size_t nsecs)
{
	size_t n = 0, i = 0;
	for (size_t j = 0; j < nsecs; j++)
		n += kinds[j] == (int)kind;
	size_t size = kind == TCS_INTERFACE ? sizeof(struct tconf_interface) :
		      kind == TCS_TRUNK ? sizeof(struct tconf_trunk) :
		      kind == TCS_ROUTE ? sizeof(struct tconf_route_def) : sizeof(struct tconf_user);
	char *arr = n ? l_alloc(L, L->a, n * size) : NULL;
	if (n && !arr)
		return;
	for (size_t j = 0; j < nsecs; j++) {
		if (kinds[j] != (int)kind)
			continue;
		void *base = arr + i * size;
		const char *name = tca_strdup(L->a, secs[j]->name);
		apply(L, secs[j], secs[j]->name, kind, base);
		if (kind == TCS_INTERFACE) {
			((struct tconf_interface *)base)->name = name;
			L->c->interfaces = (const struct tconf_interface *)(void *)arr;
			check_interface(L, secs[j], base, i);
		} else if (kind == TCS_TRUNK) {
			((struct tconf_trunk *)base)->name = name;
		} else if (kind == TCS_ROUTE) {
			struct tconf_route_def *rd = base;
			rd->name = name;
			rd->file = intern_file(L, secs[j]->file);
			rd->line = secs[j]->line;
		} else {
			((struct tconf_user *)base)->name = name;
		}
		i++;
	}
	if (kind == TCS_ROUTE) {
		L->c->route_defs = (const struct tconf_route_def *)(void *)arr;
		L->c->nroute_defs = n;
		return;
	}
	if (kind == TCS_USER) {
		L->c->users = (const struct tconf_user *)(void *)arr;
		L->c->nusers = n;
		for (size_t j = 0, u = 0; j < nsecs; j++)
			if (kinds[j] == (int)kind)
				check_user(L, secs[j], (struct tconf_user *)(void *)arr, u++);
		return;
	}
	if (kind == TCS_INTERFACE) {
		L->c->interfaces = (const struct tconf_interface *)(void *)arr;
		L->c->ninterfaces = n;
		return;
	}
	L->c->trunks = (const struct tconf_trunk *)(void *)arr;
	L->c->ntrunks = n;
	for (size_t j = 0, t = 0; j < nsecs; j++)
		if (kinds[j] == (int)kind)
			check_trunk(L, secs[j], (struct tconf_trunk *)(void *)(arr + t++ * size));
}

/* ---- response map ---- */

static int code_in(const struct tcs_key *row, const char *text, unsigned *code)
{
	return strlen(text) == 3 && tcv_parse_uint(text, code) == 0 && *code >= row->min &&
	       *code <= row->max ? 0 : -1;
}

static int respmap_cmp(const void *a, const void *b)
{
	const struct tconf_respmap *x = a, *y = b;
	return (int)x->from - (int)y->from;
}

static void load_respmap(struct loader *L, const struct ini_section *s)
{
	const struct tcs_key *row = tcs_pattern(TCS_RESPMAP);
	if (!s || !s->neff)
		return;
	struct tconf_respmap *m = l_alloc(L, L->a, s->neff * sizeof *m);
	if (!m)
		return;
	size_t n = 0;
	for (size_t i = 0; i < s->neff; i++) {
		const struct ini_key *k = s->eff[i];
		unsigned from, to;
		if (code_in(row, k->name, &from) < 0) {
			tconf_diag(&L->d, k->file, k->line, "[%s] '%s' is not a final response code to map (%u..%u)",
				   k->section, k->name, row->min, row->max);
			continue;
		}
		if (code_in(row, k->value, &to) < 0) {
			tconf_diag(&L->d, k->file, k->line, "[%s] %s: '%s' is not a final response code (%u..%u)",
				   k->section, k->name, k->value, row->min, row->max);
			continue;
		}
		m[n++] = (struct tconf_respmap){ (uint16_t)from, (uint16_t)to };
		origin_add(L, "response_map", k->name, k->file, k->line);
	}
	qsort(m, n, sizeof *m, respmap_cmp);
	L->c->respmap = m;
	L->c->nrespmap = n;
}

/* ---- the load ---- */

static void check_websocket(struct loader *L)
{
	const struct tconf_websocket *w = &L->c->websocket;
	const struct ini_section *s = L->fixed[TCS_WEBSOCKET];
	const char *file;
	unsigned line;
	if (w->wss_listen && (!w->certificate || !w->private_key)) {
		key_loc(L, s, "wss_listen", &file, &line);
		tconf_diag(&L->d, file, line, "[websocket] wss_listen needs certificate and private_key");
	}
	const struct tconf_interface *ifc = L->c->ninterfaces ? &L->c->interfaces[0] : NULL;
	if ((w->ws_listen || w->wss_listen) && ifc && !(ifc->transports & TCONF_TP_TCP)) {
		key_loc(L, s, w->ws_listen ? "ws_listen" : "wss_listen", &file, &line);
		tconf_diag(&L->d, file, line, "[websocket] needs tcp in the transports of interface %s "
			   "(the WebSocket shim hands browsers to SIP over TCP)", ifc->name);
	}
}

static void check_registrar(struct loader *L)
{
	const struct tconf_registrar *r = &L->c->registrar;
	const struct ini_section *s = L->fixed[TCS_REGISTRAR];
	const char *file;
	unsigned line;
	if (r->min_expires > r->max_expires) {
		key_loc(L, s, "min_expires", &file, &line);
		tconf_diag(&L->d, file, line, "[registrar] min_expires %u is above max_expires %u",
			   r->min_expires, r->max_expires);
	}
	if (r->default_expires < r->min_expires || r->default_expires > r->max_expires) {
		key_loc(L, s, "default_expires", &file, &line);
		tconf_diag(&L->d, file, line, "[registrar] default_expires %u is not within %u..%u",
			   r->default_expires, r->min_expires, r->max_expires);
	}
}

static void check_limits(struct loader *L)
{
	const struct tconf_limits *l = &L->c->limits;
	const char *file;
	unsigned line;
	if (l->reject_code != 403 && l->reject_code != 503) {
		key_loc(L, L->fixed[TCS_LIMITS], "reject_code", &file, &line);
		tconf_diag(&L->d, file, line, "[limits] reject_code: %u is neither 403 nor 503", l->reject_code);
	}
}

static void load_sections(struct loader *L)
{
	size_t n = L->doc.nsections, nnamed = 0;
	struct ini_section **named = l_alloc(L, L->doc.arena, (n + 1) * sizeof *named);
	int *kinds = l_alloc(L, L->doc.arena, (n + 1) * sizeof *kinds);
	if (!named || !kinds)
		return;
	for (struct ini_section *s = L->doc.first; s; s = s->next) {
		if (s->dead || s->is_template || expand(L, s) < 0)
			continue;
		int kind = tcs_kind_of_section(s->name);
		if (kind >= 0) {
			L->fixed[kind] = s;
			continue;
		}
		named[nnamed] = s;
		kinds[nnamed++] = named_kind(L, s);
	}
	tconf_t *c = L->c;
	apply(L, L->fixed[TCS_GENERAL], "general", TCS_GENERAL, &c->general);
	if (!c->general.node_name)
		c->general.node_name = hostname(L);
	apply(L, L->fixed[TCS_MEDIA], "media", TCS_MEDIA, &c->media);
	apply(L, L->fixed[TCS_CALLS], "calls", TCS_CALLS, &c->calls);
	apply(L, L->fixed[TCS_AUTH], "auth", TCS_AUTH, &c->auth);
	apply(L, L->fixed[TCS_REGISTRAR], "registrar", TCS_REGISTRAR, &c->registrar);
	apply(L, L->fixed[TCS_LIMITS], "limits", TCS_LIMITS, &c->limits);
	check_limits(L);
	check_registrar(L);
	apply(L, L->fixed[TCS_WEBSOCKET], "websocket", TCS_WEBSOCKET, &c->websocket);
	load_named(L, TCS_INTERFACE, named, kinds, nnamed);
	load_named(L, TCS_TRUNK, named, kinds, nnamed);
	load_named(L, TCS_USER, named, kinds, nnamed);
	check_websocket(L);
	load_named(L, TCS_ROUTE, named, kinds, nnamed);
	tconf_load_routes(c, L->a, &L->d, L->fixed[TCS_ROUTES], L->no_files ? NULL : L->basedir,
			  !L->no_files, c->route_defs, c->nroute_defs);
	load_respmap(L, L->fixed[TCS_RESPMAP]);
	/* (Not worth saying when the main file could not even be read.) */
	if (!c->ninterfaces && !(L->doc.nsections == 0 && L->d.count))
		tconf_diag(&L->d, L->mainfile, 0, "no interface defined: add a section with 'type = interface'");
}

static int loader_init(struct loader *L, struct tconf_errors *errs)
{
	memset(L, 0, sizeof *L);
	L->d.errs = errs;
	L->doc.arena = tca_new();
	L->a = tca_new();
	if (!L->doc.arena || !L->a)
		goto oom;
	L->c = tca_alloc(L->a, sizeof *L->c);
	if (!L->c || !(L->c->priv = tca_alloc(L->a, sizeof *L->c->priv)))
		goto oom;
	atomic_init(&L->c->priv->refs, 1);
	L->c->priv->arena = L->a;
	return 0;
oom:
	tca_free(L->doc.arena);
	tca_free(L->a);
	tconf_diag(&L->d, NULL, 0, "out of memory");
	return -ENOMEM;
}

/* After the parse: check everything, and hand out the snapshot or NULL. */
static tconf_t *loader_finish(struct loader *L, const char *name, unsigned generation)
{
	tconf_t *c = L->c;
	c->generation = generation;
	c->path = tca_strdup(L->a, name);
	if (!L->oom && index_sections(L) == 0)
		load_sections(L);
	tca_free(L->doc.arena);
	if (L->d.count || L->oom || !c->path) {
		troutes_release(c);
		tca_free(L->a);
		return NULL;
	}
	return c;
}

tconf_t *tconf_load(const char *path, unsigned generation, struct tconf_errors *errs)
{
	struct loader L;
	char dir[PATH_MAX];
	if (loader_init(&L, errs) < 0)
		return NULL;
	L.mainfile = path;
	/* Relative paths in values follow the main file, wherever the daemon's
	 * working directory is (it changes to / when it daemonizes). */
	const char *slash = strrchr(path, '/');
	char *d = slash ? tca_strndup(L.doc.arena, path, slash == path ? 1 : (size_t)(slash - path))
			: tca_strdup(L.doc.arena, ".");
	if (d && realpath(d, dir))
		L.basedir = tca_strdup(L.a, dir);
	if (ini_parse_file(&L.doc, path, &L.d) < 0)
		L.oom = true;
	return loader_finish(&L, path, generation);
}

tconf_t *tconf_load_buffer(const char *name, const char *text, size_t len,
			   unsigned generation, unsigned flags, struct tconf_errors *errs)
{
	struct loader L;
	if (loader_init(&L, errs) < 0)
		return NULL;
	L.mainfile = name;
	L.no_files = flags & TCONF_LOAD_NO_INCLUDE;
	unsigned ini_flags = (flags & TCONF_LOAD_NO_INCLUDE) ? INI_NO_INCLUDE : 0;
	if (ini_parse_string(&L.doc, name, text, len, ini_flags, &L.d) < 0)
		L.oom = true;
	return loader_finish(&L, name, generation);
}

tconf_t *tconf_load_string(const char *name, const char *text, size_t len,
			   unsigned generation, struct tconf_errors *errs)
{
	return tconf_load_buffer(name, text, len, generation, 0, errs);
}
