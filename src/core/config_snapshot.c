/* config_snapshot.c - a loaded snapshot: references and lookups.
 * Everything here only reads the snapshot, from any thread. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/config_priv.h"
#include "core/routetab.h"

#include <stdlib.h>
#include <string.h>

/* ---- references ---- */

tconf_t *tconf_ref(tconf_t *c)
{
	if (c)
		atomic_fetch_add_explicit(&c->priv->refs, 1, memory_order_relaxed);
	return c;
}

void tconf_unref(tconf_t *c)
{
	if (!c)
		return;
	/* Release our writes, and acquire everyone's before freeing. */
	if (atomic_fetch_sub_explicit(&c->priv->refs, 1, memory_order_acq_rel) == 1) {
		troutes_release(c);
		tca_free(c->priv->arena);
	}
}

/* ---- lookups ---- */

const struct tconf_interface *tconf_interface(const tconf_t *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->ninterfaces; i++)
		if (!strcmp(c->interfaces[i].name, name))
			return &c->interfaces[i];
	return NULL;
}

const struct tconf_trunk *tconf_trunk(const tconf_t *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->ntrunks; i++)
		if (!strcmp(c->trunks[i].name, name))
			return &c->trunks[i];
	return NULL;
}

const struct tconf_user *tconf_user(const tconf_t *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->nusers; i++)
		if (!strcmp(c->users[i].name, name))
			return &c->users[i];
	return NULL;
}

const struct tconf_user *tconf_user_by_number(const tconf_t *c, const char *number)
{
	for (size_t i = 0; c && number && i < c->nusers; i++)
		if (c->users[i].number && !strcmp(c->users[i].number, number))
			return &c->users[i];
	return NULL;
}

/* Unconditional routes only; routetab.h has the full match. */
const struct tconf_route *tconf_route_lookup(const tconf_t *c, const char *number)
{
	return c ? troutetab_lookup(c->rtab, number, NULL, NULL) : NULL;
}

int tconf_map_response(const tconf_t *c, int code)
{
	for (size_t i = 0; c && i < c->nrespmap; i++)
		if (c->respmap[i].from == code)
			return c->respmap[i].to;
	return code;
}

const char *tconf_target_name(const struct tconf_target *t)
{
	switch (t->kind) {
	case TCONF_TARGET_ECHO: return "echo";
	case TCONF_TARGET_MILLIWATT: return "milliwatt";
	case TCONF_TARGET_TRUNK: return t->trunk ? t->trunk->name : "?";
	case TCONF_TARGET_USER: return t->user ? t->user->name : "?";
	}
	return "?";
}

const struct tconf_origin *tconf_origin(const tconf_t *c, const char *section, const char *key)
{
	for (const struct tconf_origin *o = c->priv->origins; o; o = o->next)
		if (!strcmp(o->section, section) && (key ? o->key && !strcmp(o->key, key) : !o->key))
			return o;
	return NULL;
}
