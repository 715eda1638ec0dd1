/* config_priv.h - what config.c and config_print.c share about a snapshot:
 * its private part (reference count, arena, where each key was set).
 * Not for use outside src/core/config*.c.
 */
#ifndef TANDEM_CORE_CONFIG_PRIV_H
#define TANDEM_CORE_CONFIG_PRIV_H

#include <stdatomic.h>

#include "core/config.h"
#include "core/config_util.h"

/* Where a key (or, with key NULL, a section header) was written. */
struct tconf_origin {
	const char *section;
	const char *key;
	const char *file;
	unsigned line;
	struct tconf_origin *next;
};

struct tconf_priv {
	atomic_uint refs;
	struct tca *arena;          /* holds the tconf_t, this struct and all data */
	struct tconf_origin *origins;
};

/* Load [routes], its file (unless !files: then `file` is an error) and the
 * route sections into c (config_routes.c). */
struct ini_section;
struct tconf_diag;
void tconf_load_routes(tconf_t *c, struct tca *a, struct tconf_diag *d, const struct ini_section *routes,
		       const char *basedir, bool files, const struct tconf_route_def *defs, size_t ndefs);

/* Origin of [section] key (key NULL: the header); NULL if not written. */
const struct tconf_origin *tconf_origin(const tconf_t *c, const char *section, const char *key);

#endif
