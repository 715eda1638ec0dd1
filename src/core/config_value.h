/* config_value.h - parse, print and compare one value by its schema row.
 *
 * Values are stored into the struct field the row names (base + offset).
 * Strings and lists are copied into the snapshot's arena; nothing here frees.
 */
#ifndef TANDEM_CORE_CONFIG_VALUE_H
#define TANDEM_CORE_CONFIG_VALUE_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config_schema.h"
#include "core/config_util.h"

/* Parse 'text' into the field of 'base'. Relative TCS_PATH values are joined
 * to 'basedir' (unless it is NULL). Returns 0, or -1 with the reason in 'why'
 * (e.g. "'100' is out of range (1..64)"). */
int tcv_parse(const struct tcs_key *k, const char *text, void *base, struct tca *a,
	      const char *basedir, char *why, size_t whylen);

/* Parse an unsigned decimal number; -1 if not one (no sign, no spaces). */
int tcv_parse_uint(const char *text, unsigned *out);

/* Write the value in the syntax tcv_parse reads back (quoted when needed). */
void tcv_print(const struct tcs_key *k, const void *base, FILE *out);
/* The same into a buffer, truncated with "..." if longer. */
void tcv_format(const struct tcs_key *k, const void *base, char *buf, size_t len);
/* Print a string value, quoted if it needs quotes. */
void tcv_print_string(const char *s, FILE *out);

bool tcv_equal(const struct tcs_key *k, const void *a, const void *b);

#endif
