/* config_ini.h - the INI reader: text to a list of sections and keys.
 *
 * Knows only syntax: sections, template markers and parent lists, keys and
 * values, comments, includes. Nothing about what keys mean (config.c and the
 * schema do that). Every section and key carries the file and line it was
 * written at. Errors go to a struct tconf_diag; the reader goes on after an
 * error so that one load reports all of them.
 *
 * Syntax: see tandem.conf(5). An #include is read in place: the current
 * section continues into the included file and after it.
 *
 * Ownership: everything (names, values, file names) lives in doc->arena,
 * which the caller creates and frees.
 */
#ifndef TANDEM_CORE_CONFIG_INI_H
#define TANDEM_CORE_CONFIG_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config_util.h"

#define INI_MAX_LINE 4096         /* bytes, without the newline */
#define INI_MAX_INCLUDE_DEPTH 8   /* nested includes below the main file */
#define INI_MAX_FILE (64u << 20)  /* bytes per file */

struct ini_key {
	const char *name;
	const char *value;          /* unquoted, trimmed; "" if empty */
	const char *file;
	unsigned line;
	const char *section;        /* name of the section it was written in */
	struct ini_key *next;
};

struct ini_section {
	const char *name;
	const char *file;
	unsigned line;
	bool is_template;           /* [name](!...) */
	const char **parents;       /* templates named in (...), in order */
	size_t nparents;
	struct ini_key *keys, **ktail;
	size_t nkeys;
	struct ini_section *next;
	/* Scratch for config.c while it expands templates. */
	int state;
	bool dead;                  /* duplicate: ignored after its error */
	struct ini_key **eff;       /* effective keys (own + inherited) */
	size_t neff;
};

struct ini_doc {
	struct tca *arena;          /* caller's */
	struct ini_section *first, **tail;
	size_t nsections;
};

enum { INI_NO_INCLUDE = 1u << 0 };

/* doc must have arena set and first/tail zeroed (tail is set on first use).
 * Return 0, or -ENOMEM; syntax and file errors go to 'd' only. */
int ini_parse_file(struct ini_doc *doc, const char *path, struct tconf_diag *d);
/* Includes are relative to the current directory. */
int ini_parse_string(struct ini_doc *doc, const char *name, const char *text, size_t len,
		     unsigned flags, struct tconf_diag *d);

#endif
