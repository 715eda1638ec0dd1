/* numplan.c - see numplan.h. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/numplan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int put(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s%s", a, b);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static size_t starts(const char *s, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;
	return n && !strncmp(s, prefix, n) ? n : 0;
}

int tnum_to_e164(const struct tnum_plan *p, const char *in, char *out, size_t len)
{
	size_t n;
	if (in[0] == '+')
		return put(out, len, "", in);
	if (p && p->cc && (n = starts(in, p->intp)) && in[n])
		return put(out, len, "+", in + n);
	if (p && p->cc && (n = starts(in, p->natp)) && in[n]) {
		char cc[16];
		snprintf(cc, sizeof cc, "+%s", p->cc);
		return put(out, len, cc, in + n);
	}
	int rc = put(out, len, "", in);
	return rc ? rc : -EINVAL;
}

int tnum_format(const struct tnum_plan *p, enum tnum_format f, const char *in, char *out, size_t len)
{
	char e[128];
	if (f == TNUM_ASIS || !p || !p->cc || tnum_to_e164(p, in, e, sizeof e) < 0)
		return put(out, len, "", in);
	const char *intp = p->intp && *p->intp ? p->intp : "00";
	size_t ccl = strlen(p->cc);
	switch (f) {
	case TNUM_E164:
		return put(out, len, "", e);
	case TNUM_INTERNATIONAL:
		return put(out, len, intp, e + 1);
	case TNUM_NATIONAL:
		if (!strncmp(e + 1, p->cc, ccl) && e[1 + ccl])
			return put(out, len, p->natp ? p->natp : "", e + 1 + ccl);
		return put(out, len, intp, e + 1);
	default:
		return put(out, len, "", in);
	}
}

int tnum_is_international(const struct tnum_plan *p, const char *number)
{
	const char *intp = p && p->intp && *p->intp ? p->intp : "00";
	return number[0] == '+' || starts(number, intp) > 0;
}
