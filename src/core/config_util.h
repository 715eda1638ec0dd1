/* config_util.h - small helpers shared by the configuration loader:
 * an allocation arena, the error collector and "did you mean" suggestions.
 *
 * Arena: every allocation of one snapshot (or of one parse) comes from one
 * arena and is freed at once by tca_free(); nothing is freed individually.
 * Allocations are zeroed and aligned for any type.
 *
 * Diagnostics: tconf_diag() formats "file:line: message" into the caller's
 * struct tconf_errors and counts it, even when the message itself could not
 * be stored (out of memory, or past the cap), so a load never succeeds after
 * an error was found.
 */
#ifndef TANDEM_CORE_CONFIG_UTIL_H
#define TANDEM_CORE_CONFIG_UTIL_H

#include <stddef.h>

#include "core/config.h"

struct tca;

struct tca *tca_new(void);
void tca_free(struct tca *a);
void *tca_alloc(struct tca *a, size_t n);
char *tca_strndup(struct tca *a, const char *s, size_t n);
char *tca_strdup(struct tca *a, const char *s);
char *tca_printf(struct tca *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The errors of one load. */
#define TCONF_MAX_ERRORS 100
struct tconf_diag {
	struct tconf_errors *errs;  /* may be NULL: count only */
	size_t count;               /* errors found by this load */
	size_t stored;              /* messages this load added to errs */
};

/* file NULL: no location; line 0: "file: message". Identical messages are
 * stored once (a bad key in a template used by many sections). */
void tconf_diag(struct tconf_diag *d, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Nearest-name suggestions: feed candidates, then take the best one that is
 * close enough to be a plausible typo (NULL otherwise). Case-insensitive;
 * a transposition counts as one edit. */
struct tconf_suggest {
	const char *word;
	const char *best;
	unsigned dist;
};
void tconf_suggest_init(struct tconf_suggest *s, const char *word);
void tconf_suggest_try(struct tconf_suggest *s, const char *candidate);
const char *tconf_suggest_result(const struct tconf_suggest *s);

/* Edit distance (optimal string alignment), case-insensitive; strings longer
 * than 64 bytes are "far" (UINT_MAX/2) to bound the cost. */
unsigned tconf_distance(const char *a, const char *b);

#endif
