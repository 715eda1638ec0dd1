/* config_value.c - see config_value.h. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/config_value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD(base, k, T) ((T *)(void *)((char *)(base) + (k)->offset))
#define CFIELD(base, k, T) ((const T *)(const void *)((const char *)(base) + (k)->offset))

/* Field types as single names, so that CFIELD's const applies to the field. */
typedef const char *cstr;
typedef const char **cstrv;

int tcv_parse_uint(const char *text, unsigned *out)
{
	unsigned long v = 0;
	if (!*text)
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT_MAX)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_bool(const char *t, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(t, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(t, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static void enum_list(const struct tcs_enum *e, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (; e->name && off < len; e++) {
		int n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", e->name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Split a comma list into trimmed elements in the arena; *n gets the count.
 * Returns NULL (and *n = 0) for an empty list, (void *)-1 on an empty element. */
static const char **split_list(struct tca *a, const char *t, size_t *n, int *bad)
{
	*n = 0;
	*bad = 0;
	if (!*t)
		return NULL;
	size_t cap = 1;
	for (const char *p = t; *p; p++)
		cap += *p == ',';
	const char **v = tca_alloc(a, (cap + 1) * sizeof *v);
	if (!v) {
		*bad = -1;
		return NULL;
	}
	const char *p = t;
	for (;;) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *s = p, *e = end;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e) {
			*bad = 1;
			return NULL;
		}
		if (!(v[(*n)++] = tca_strndup(a, s, (size_t)(e - s)))) {
			*bad = -1;
			return NULL;
		}
		if (!*end)
			break;
		p = end + 1;
	}
	v[*n] = NULL;
	return v;
}

static bool is_ip(const char *t)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, t, buf) == 1 || inet_pton(AF_INET6, t, buf) == 1;
}

static bool is_hostname(const char *t)
{
	size_t len = strlen(t), label = 0;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		if (c == '.') {
			if (label == 0 || t[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	/* A trailing dot (FQDN) is fine; a trailing hyphen is not. */
	return t[len - 1] != '-';
}

static int parse_string(const struct tcs_key *k, const char *t, void *base, struct tca *a,
			const char *basedir, char *why, size_t wl)
{
	const char **dst = FIELD(base, k, const char *);
	if (!*t) {
		*dst = NULL;
		return 0;
	}
	if (k->type == TCS_ADDRESS && !is_ip(t)) {
		snprintf(why, wl, "'%s' is not an IPv4 or IPv6 address", t);
		return -1;
	}
	if (k->type == TCS_DIGITS && (strspn(t + (t[0] == '+'), "0123456789*#") != strlen(t + (t[0] == '+')) ||
				      strlen(t) > 32)) {
		snprintf(why, wl, "'%s' is not a dial string (digits, * and #, an optional leading +, "
			 "at most 32)", t);
		return -1;
	}
	if (k->type == TCS_HOST && !is_ip(t) && !is_hostname(t)) {
		snprintf(why, wl, "'%s' is not an IP address or host name", t);
		return -1;
	}
	if ((k->flags & TCS_PATH) && t[0] != '/' && basedir)
		*dst = tca_printf(a, "%s/%s", basedir, t);
	else
		*dst = tca_strdup(a, t);
	if (!*dst) {
		snprintf(why, wl, "out of memory");
		return -1;
	}
	return 0;
}

static int parse_number(const struct tcs_key *k, const char *t, void *base, char *why, size_t wl)
{
	unsigned v;
	if (k->type == TCS_PORT && !k->def && !*t) {
		*FIELD(base, k, uint16_t) = 0;      /* a port without a default may stay unset */
		return 0;
	}
	if (tcv_parse_uint(t, &v) < 0) {
		snprintf(why, wl, "'%s' is not a number (%u..%u)", t, k->min, k->max);
		return -1;
	}
	if (v < k->min || v > k->max) {
		snprintf(why, wl, "%s is out of range (%u..%u)", t, k->min, k->max);
		return -1;
	}
	if (k->type == TCS_PORT)
		*FIELD(base, k, uint16_t) = (uint16_t)v;
	else
		*FIELD(base, k, unsigned) = v;
	return 0;
}

static int parse_mode(const struct tcs_key *k, const char *t, void *base, char *why, size_t wl)
{
	unsigned v = 0;
	size_t len = strlen(t);
	bool ok = len >= 1 && len <= 4;
	for (size_t i = 0; ok && i < len; i++) {
		ok = t[i] >= '0' && t[i] <= '7';
		v = v * 8 + (unsigned)(t[i] - '0');
	}
	if (!ok || v > k->max) {
		snprintf(why, wl, "'%s' is not an octal mode (0000..0%o)", t, k->max);
		return -1;
	}
	*FIELD(base, k, unsigned) = v;
	return 0;
}

static int parse_enums(const struct tcs_key *k, const char *t, void *base, struct tca *a,
		       char *why, size_t wl)
{
	char allowed[256];
	enum_list(k->enums, allowed, sizeof allowed);
	if (k->type == TCS_ENUM) {
		int v = tcs_enum_value(k->enums, t);
		if (v < 0) {
			snprintf(why, wl, "'%s' is not one of: %s", t, allowed);
			return -1;
		}
		*FIELD(base, k, int) = v;
		return 0;
	}
	size_t n;
	int bad;
	const char **v = split_list(a, t, &n, &bad);
	if (!v) {
		if (bad < 0)
			snprintf(why, wl, "out of memory");
		else
			snprintf(why, wl, "empty element in list (allowed: %s)", allowed);
		return -1;
	}
	unsigned mask = 0;
	for (size_t i = 0; i < n; i++) {
		int b = tcs_enum_value(k->enums, v[i]);
		if (b < 0) {
			snprintf(why, wl, "'%s' is not one of: %s", v[i], allowed);
			return -1;
		}
		mask |= (unsigned)b;
	}
	*FIELD(base, k, unsigned) = mask;
	return 0;
}

static int parse_list(const struct tcs_key *k, const char *t, void *base, struct tca *a,
		      char *why, size_t wl)
{
	size_t n;
	int bad;
	const char **v = split_list(a, t, &n, &bad);
	if (bad) {
		snprintf(why, wl, bad < 0 ? "out of memory" : "empty element in list '%s'", t);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		for (const char *p = v[i]; *p; p++) {
			if (isspace((unsigned char)*p) || *p == '"') {
				snprintf(why, wl, "list element '%s' contains a space or quote", v[i]);
				return -1;
			}
		}
	}
	*FIELD(base, k, const char **) = v;
	return 0;
}

int tcv_parse(const struct tcs_key *k, const char *text, void *base, struct tca *a,
	      const char *basedir, char *why, size_t whylen)
{
	switch (k->type) {
	case TCS_BOOL:
		if (parse_bool(text, FIELD(base, k, bool)) < 0) {
			snprintf(why, whylen, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)", text);
			return -1;
		}
		return 0;
	case TCS_UINT:
	case TCS_PORT:
		return parse_number(k, text, base, why, whylen);
	case TCS_MODE:
		return parse_mode(k, text, base, why, whylen);
	case TCS_STRING:
	case TCS_ADDRESS:
	case TCS_HOST:
	case TCS_DIGITS:
		return parse_string(k, text, base, a, basedir, why, whylen);
	case TCS_ENUM:
	case TCS_ENUMSET:
		if (!*text) {
			char allowed[256];
			enum_list(k->enums, allowed, sizeof allowed);
			snprintf(why, whylen, "empty value (allowed: %s)", allowed);
			return -1;
		}
		return parse_enums(k, text, base, a, why, whylen);
	case TCS_LIST:
		return parse_list(k, text, base, a, why, whylen);
	}
	snprintf(why, whylen, "internal error: unknown type");
	return -1;
}

/* ---- printing ---- */

void tcv_print_string(const char *s, FILE *out)
{
	size_t len = strlen(s);
	bool quote = len == 0 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]) ||
		     strpbrk(s, ";#\"\\") != NULL;
	if (!quote) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void tcv_print(const struct tcs_key *k, const void *base, FILE *out)
{
	switch (k->type) {
	case TCS_BOOL:
		fputs(*CFIELD(base, k, bool) ? "yes" : "no", out);
		break;
	case TCS_UINT:
		fprintf(out, "%u", *CFIELD(base, k, unsigned));
		break;
	case TCS_PORT:
		if (*CFIELD(base, k, uint16_t))     /* 0: unset, printed as nothing */
			fprintf(out, "%u", (unsigned)*CFIELD(base, k, uint16_t));
		break;
	case TCS_MODE:
		fprintf(out, "%04o", *CFIELD(base, k, unsigned));
		break;
	case TCS_STRING:
	case TCS_ADDRESS:
	case TCS_HOST:
	case TCS_DIGITS: {
		const char *s = *CFIELD(base, k, cstr);
		if (s)
			tcv_print_string(s, out);
		break;
	}
	case TCS_ENUM: {
		const char *name = tcs_enum_name(k->enums, *CFIELD(base, k, int));
		fputs(name ? name : "?", out);
		break;
	}
	case TCS_ENUMSET: {
		unsigned mask = *CFIELD(base, k, unsigned);
		int first = 1;
		for (const struct tcs_enum *e = k->enums; e->name; e++) {
			if (mask & (unsigned)e->value) {
				fprintf(out, "%s%s", first ? "" : ", ", e->name);
				first = 0;
			}
		}
		break;
	}
	case TCS_LIST: {
		const char *const *v = *CFIELD(base, k, cstrv);
		for (size_t i = 0; v && v[i]; i++)
			fprintf(out, "%s%s", i ? ", " : "", v[i]);
		break;
	}
	}
}

void tcv_format(const struct tcs_key *k, const void *base, char *buf, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	if (!len)
		return;
	buf[0] = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return;
	tcv_print(k, base, f);
	if (fclose(f) != 0 || !text)
		return;
	snprintf(buf, len, "%s", text);
	if (n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);  /* show that it was cut */
	free(text);
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool tcv_equal(const struct tcs_key *k, const void *a, const void *b)
{
	switch (k->type) {
	case TCS_BOOL:
		return *CFIELD(a, k, bool) == *CFIELD(b, k, bool);
	case TCS_PORT:
		return *CFIELD(a, k, uint16_t) == *CFIELD(b, k, uint16_t);
	case TCS_UINT:
	case TCS_MODE:
	case TCS_ENUMSET:
		return *CFIELD(a, k, unsigned) == *CFIELD(b, k, unsigned);
	case TCS_ENUM:
		return *CFIELD(a, k, int) == *CFIELD(b, k, int);
	case TCS_STRING:
	case TCS_ADDRESS:
	case TCS_HOST:
	case TCS_DIGITS:
		return str_eq(*CFIELD(a, k, cstr), *CFIELD(b, k, cstr));
	case TCS_LIST: {
		const char *const *x = *CFIELD(a, k, cstrv);
		const char *const *y = *CFIELD(b, k, cstrv);
		size_t i = 0;
		for (; x && y && x[i] && y[i]; i++)
			if (strcmp(x[i], y[i]))
				return false;
		return (!x || !x[i]) && (!y || !y[i]);
	}
	}
	return false;
}
