/* config_schema.h - the table of every configuration key.
 *
 * One row per key: section kind, name, value type, bounds, default, flags and
 * a one-line doc. The loader (config.c), the value parser (config_value.c),
 * `tandemd -t` (tconf_print) and tandem.conf(5) (tconf_schema_man) all read
 * this table; nothing else lists keys. Pure static data: no allocation.
 */
#ifndef TANDEM_CORE_CONFIG_SCHEMA_H
#define TANDEM_CORE_CONFIG_SCHEMA_H

#include <stddef.h>

#include "core/config.h"

enum tcs_kind {
	TCS_GENERAL,
	TCS_MEDIA,
	TCS_CALLS,
	TCS_NAMED,       /* keys every [NAME] section has (type) */
	TCS_INTERFACE,
	TCS_TRUNK,
	TCS_ROUTES,
	TCS_RESPMAP,
	TCS_AUTH,
	TCS_REGISTRAR,
	TCS_USER,
	TCS_ROUTE,       /* [NAME] type=route */
	TCS_LIMITS,
	TCS_WEBSOCKET,
	TCS_NKINDS
};

enum tcs_type {
	TCS_BOOL,        /* bool */
	TCS_UINT,        /* unsigned, min..max */
	TCS_PORT,        /* uint16_t, min..max */
	TCS_STRING,      /* const char *; empty value = NULL */
	TCS_ENUM,        /* int, one of 'enums' */
	TCS_ENUMSET,     /* unsigned bit mask, comma list of 'enums' */
	TCS_LIST,        /* const char ** NULL-terminated; empty = NULL */
	TCS_MODE,        /* unsigned, octal file mode 0..0777 */
	TCS_ADDRESS,     /* const char *, IPv4 or IPv6 literal */
	TCS_HOST,        /* const char *, IP literal or DNS name */
	TCS_DIGITS,      /* const char *, a dial string: digits, optional leading +, * and # */
};

enum tcs_flags {
	TCS_RESTART  = 1 << 0,  /* a changed value needs a restart */
	TCS_REQUIRED = 1 << 1,  /* no default: must be set */
	TCS_PATH     = 1 << 2,  /* relative path: resolved against the main file's dir */
	TCS_NOSTORE  = 1 << 3,  /* validated but kept in no struct field (type) */
	TCS_PATTERN  = 1 << 4,  /* documents free-form keys ([routes], [response_map]) */
};

struct tcs_enum {
	const char *name;
	int value;
};

struct tcs_key {
	enum tcs_kind kind;
	const char *name;
	enum tcs_type type;
	unsigned flags;
	unsigned min, max;          /* TCS_UINT, TCS_PORT */
	const char *def;            /* default, parsed like a value; NULL = unset */
	const struct tcs_enum *enums;   /* NULL-name terminated */
	size_t offset, size;        /* field in the kind's struct */
	const char *unset_doc;      /* what an unset value means, if def is NULL */
	const char *doc;
};

extern const struct tcs_key tcs_keys[];
extern const size_t tcs_nkeys;

/* Section name as written for fixed kinds ("general"), else NULL. */
const char *tcs_kind_section(enum tcs_kind kind);
/* Readable name of a kind: "[general]", "interface", "trunk". */
const char *tcs_kind_label(enum tcs_kind kind);
/* Fixed section name -> kind; -1 for other names. */
int tcs_kind_of_section(const char *name);

/* Row for 'name' in 'kind' (for interface, trunk and user also the shared
 * named keys); NULL if there is none. Pattern rows are never returned. */
const struct tcs_key *tcs_find(enum tcs_kind kind, const char *name);
/* Nearest key name of 'kind' to a misspelt 'name', or NULL. */
const char *tcs_suggest(enum tcs_kind kind, const char *name);
/* The pattern row of [routes] / [response_map]. */
const struct tcs_key *tcs_pattern(enum tcs_kind kind);

/* Enum value <-> name (case-insensitive); -1 / NULL if unknown. */
int tcs_enum_value(const struct tcs_enum *e, const char *name);
const char *tcs_enum_name(const struct tcs_enum *e, int value);

extern const struct tcs_enum tcs_section_types[];  /* interface, trunk, user, route */

#endif
