/* config_print.c - print a snapshot as INI (tandemd -t) and compare two
 * snapshots for a reload. Both walk the schema table, so a new key needs no
 * code here. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/config_priv.h"
#include "core/config_schema.h"
#include "core/config_value.h"

#include <string.h>

static void print_keys(FILE *out, enum tcs_kind kind, const void *base)
{
	for (size_t i = 0; i < tcs_nkeys; i++) {
		const struct tcs_key *k = &tcs_keys[i];
		if (k->kind != kind || (k->flags & (TCS_PATTERN | TCS_NOSTORE)))
			continue;
		fprintf(out, "%s = ", k->name);
		tcv_print(k, base, out);
		bool unset = (k->type == TCS_STRING || k->type == TCS_ADDRESS || k->type == TCS_HOST ||
			      k->type == TCS_DIGITS ||
			      k->type == TCS_LIST) &&
			     !*(const void *const *)(const void *)((const char *)base + k->offset);
		if (k->type == TCS_PORT)
			unset = !*(const uint16_t *)(const void *)((const char *)base + k->offset);
		if (unset && k->unset_doc)
			fprintf(out, "; unset: %s", k->unset_doc);  /* after "key = " */
		fputc('\n', out);
	}
}

void tconf_print(const tconf_t *c, FILE *out)
{
	fprintf(out, "; effective configuration of %s (generation %u)\n", c->path, c->generation);
	fputs("\n[general]\n", out);
	print_keys(out, TCS_GENERAL, &c->general);
	fputs("\n[media]\n", out);
	print_keys(out, TCS_MEDIA, &c->media);
	fputs("\n[calls]\n", out);
	print_keys(out, TCS_CALLS, &c->calls);
	fputs("\n[auth]\n", out);
	print_keys(out, TCS_AUTH, &c->auth);
	fputs("\n[registrar]\n", out);
	print_keys(out, TCS_REGISTRAR, &c->registrar);
	fputs("\n[websocket]\n", out);
	print_keys(out, TCS_WEBSOCKET, &c->websocket);
	for (size_t i = 0; i < c->ninterfaces; i++) {
		fprintf(out, "\n[%s]\ntype = interface\n", c->interfaces[i].name);
		print_keys(out, TCS_INTERFACE, &c->interfaces[i]);
	}
	for (size_t i = 0; i < c->ntrunks; i++) {
		fprintf(out, "\n[%s]\ntype = trunk\n", c->trunks[i].name);
		print_keys(out, TCS_TRUNK, &c->trunks[i]);
	}
	/* Users with their passwords: this is the admin's own file, printed
	 * for the admin (like nginx -T); it is never logged. */
	for (size_t i = 0; i < c->nusers; i++) {
		fprintf(out, "\n[%s]\ntype = user\n", c->users[i].name);
		print_keys(out, TCS_USER, &c->users[i]);
	}
	for (size_t i = 0; i < c->nroute_defs; i++) {
		fprintf(out, "\n[%s]\ntype = route\n", c->route_defs[i].name);
		print_keys(out, TCS_ROUTE, &c->route_defs[i]);
	}
	fputs("\n[limits]\n", out);
	print_keys(out, TCS_LIMITS, &c->limits);
	/* the route file's lines too: this is the table in effect */
	fputs("\n[routes]\n", out);
	for (size_t i = 0; i < c->nroutes; i++) {
		const struct tconf_route *r = &c->routes[i];
		fprintf(out, "%s =", r->prefix[0] ? r->prefix : "default");
		/* once a list says priority= or weight= anywhere, a target without a
		 * priority is at 1: then every priority is written out */
		bool expl = false;
		for (size_t t = 0; t < r->ntargets; t++)
			expl |= r->targets[t].priority != t + 1 || r->targets[t].weight != 1;
		for (size_t t = 0; t < r->ntargets; t++) {
			const struct tconf_target *tg = &r->targets[t];
			fprintf(out, "%s%s%s", t ? ", " : " ", tg->kind == TCONF_TARGET_USER ? "user:" : "",
				tconf_target_name(tg));
			if (expl)
				fprintf(out, " priority=%u", tg->priority);
			if (tg->weight != 1)
				fprintf(out, " weight=%u", tg->weight);
		}
		fputc('\n', out);
	}
	fputs("\n[response_map]\n", out);
	for (size_t i = 0; i < c->nrespmap; i++)
		fprintf(out, "%u = %u\n", c->respmap[i].from, c->respmap[i].to);
}

/* Where to point a reload note: the key in the new files, else its section. */
static void note_loc(const tconf_t *next, const char *section, const char *key,
		     const char **file, unsigned *line)
{
	const struct tconf_origin *o = tconf_origin(next, section, key);
	if (!o)
		o = tconf_origin(next, section, NULL);
	*file = o ? o->file : next->path;
	*line = o ? o->line : 0;
}

static size_t diff_keys(struct tconf_diag *d, const tconf_t *next, const char *section,
			enum tcs_kind kind, const void *run, const void *nxt)
{
	size_t n = 0;
	for (size_t i = 0; i < tcs_nkeys; i++) {
		const struct tcs_key *k = &tcs_keys[i];
		if (k->kind != kind || !(k->flags & TCS_RESTART) || (k->flags & (TCS_PATTERN | TCS_NOSTORE)))
			continue;
		if (tcv_equal(k, run, nxt))
			continue;
		char value[128];
		const char *file;
		unsigned line;
		tcv_format(k, run, value, sizeof value);
		note_loc(next, section, k->name, &file, &line);
		tconf_diag(d, file, line, "[%s] %s requires restart (running value %s kept)", section,
			   k->name, value[0] ? value : "unset");
		n++;
	}
	return n;
}

size_t tconf_check_reload(const tconf_t *running, const tconf_t *next, struct tconf_errors *notes)
{
	struct tconf_diag d = { .errs = notes };
	size_t n = 0;
	n += diff_keys(&d, next, "general", TCS_GENERAL, &running->general, &next->general);
	n += diff_keys(&d, next, "media", TCS_MEDIA, &running->media, &next->media);
	n += diff_keys(&d, next, "calls", TCS_CALLS, &running->calls, &next->calls);
	n += diff_keys(&d, next, "auth", TCS_AUTH, &running->auth, &next->auth);
	n += diff_keys(&d, next, "registrar", TCS_REGISTRAR, &running->registrar, &next->registrar);
	n += diff_keys(&d, next, "limits", TCS_LIMITS, &running->limits, &next->limits);
	n += diff_keys(&d, next, "websocket", TCS_WEBSOCKET, &running->websocket, &next->websocket);
	for (size_t i = 0; i < next->ninterfaces; i++) {
		const struct tconf_interface *nif = &next->interfaces[i];
		const struct tconf_interface *rif = tconf_interface(running, nif->name);
		if (rif) {
			n += diff_keys(&d, next, nif->name, TCS_INTERFACE, rif, nif);
			continue;
		}
		const char *file;
		unsigned line;
		note_loc(next, nif->name, NULL, &file, &line);
		tconf_diag(&d, file, line, "[%s] new interface requires restart (not listening until then)",
			   nif->name);
		n++;
	}
	for (size_t i = 0; i < running->ninterfaces; i++) {
		if (tconf_interface(next, running->interfaces[i].name))
			continue;
		tconf_diag(&d, next->path, 0, "interface [%s] removed: requires restart (still listening until then)",
			   running->interfaces[i].name);
		n++;
	}
	return n;
}
