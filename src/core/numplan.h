/* numplan.h - telephone number forms: E.164 normalisation against a trunk's
 * numbering plan (country code, national and international prefixes), and
 * the form a trunk wants numbers in.
 *
 *   E.164          +442079460000
 *   international  00442079460000   (international_prefix + country + number)
 *   national       02079460000      (national_prefix + number, own country only)
 *
 * Reading a number: '+' is E.164 already; the international prefix means an
 * E.164 number follows; the national prefix means one of the plan's own
 * country. Anything else (short codes, extensions, unknown forms) is left
 * alone: a number that cannot be read is never guessed at.
 * Pure functions, no allocation; any thread.
 */
#ifndef TANDEM_CORE_NUMPLAN_H
#define TANDEM_CORE_NUMPLAN_H

#include <stddef.h>

enum tnum_format {
	TNUM_ASIS,           /* as routed */
	TNUM_E164,
	TNUM_INTERNATIONAL,
	TNUM_NATIONAL,
};

struct tnum_plan {
	const char *cc;             /* country code digits, e.g. "44"; NULL = no plan */
	const char *natp;           /* e.g. "0"; NULL or "" = none */
	const char *intp;           /* e.g. "00"; NULL or "" = none */
};

/* 'in' as E.164 into out. 0, -EINVAL when it cannot be read with this plan
 * (out then holds 'in' unchanged), -ENOSPC when out is too small. */
int tnum_to_e164(const struct tnum_plan *p, const char *in, char *out, size_t len);

/* 'in' in form f for this plan; as-is when f is TNUM_ASIS, the plan has no
 * country code, or the number cannot be read. 0 or -ENOSPC. */
int tnum_format(const struct tnum_plan *p, enum tnum_format f, const char *in, char *out, size_t len);

/* Is 'number' international for a caller in this plan: starting with '+'
 * or the plan's international prefix (default "00")? */
int tnum_is_international(const struct tnum_plan *p, const char *number);

#endif
