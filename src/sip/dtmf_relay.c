/* dtmf_relay.c - see dtmf_relay.h. */
#include "config.h"
#include "sip/dtmf_relay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char digits[] = "0123456789*#ABCD";

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A digit, or an event code 0..15, in s[0..n) (trimmed); 0 if neither. */
static char digit_of(const char *s, size_t n)
{
	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && (is_space(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n == 1) {
		char c = s[0] >= 'a' && s[0] <= 'd' ? (char)(s[0] - 'a' + 'A') : s[0];
		return c && strchr(digits, c) ? c : 0;
	}
	if (n == 2 && s[0] == '1' && s[1] >= '0' && s[1] <= '5')
		return digits[10 + (s[1] - '0')];
	return 0;
}

/* A decimal number in s[0..n) (trimmed), capped; -1 if none. */
static long number_of(const char *s, size_t n)
{
	long v = 0;
	size_t k = 0;

	while (n && is_space(*s)) {
		s++;
		n--;
	}
	for (; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		if (v < 1000000)
			v = v * 10 + (s[k] - '0');
	for (size_t j = k; j < n; j++)
		if (!is_space(s[j]) && s[j] != '\r')
			return -1;
	return k ? v : -1;
}

static bool type_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);
	while (is_space(*ctype))
		ctype++;
	return strncasecmp(ctype, want, n) == 0 &&
	       (ctype[n] == '\0' || ctype[n] == ';' || is_space(ctype[n]));
}

int dtmf_relay_parse(const char *ctype, const char *body, size_t len, char *digit,
		     unsigned *duration_ms)
{
	bool relay = !ctype || type_is(ctype, DTMF_RELAY_TYPE);
	char d = 0;
	long dur = -1;

	if (!relay && !type_is(ctype, "application/dtmf"))
		return -ENOTSUP;
	if (!body || len > DTMF_RELAY_MAX_BODY)
		return -EINVAL;
	if (!relay) {
		d = digit_of(body, len);
	} else {
		for (size_t at = 0; at < len;) {
			const char *line = body + at;
			const char *nl = memchr(line, '\n', len - at);
			size_t ll = nl ? (size_t)(nl - line) : len - at;
			const char *eq = memchr(line, '=', ll);
			at += ll + (nl ? 1 : 0);
			if (!eq)
				continue;
			size_t kl = (size_t)(eq - line);
			while (kl && is_space(line[kl - 1]))
				kl--;
			size_t ks = 0;
			while (ks < kl && is_space(line[ks]))
				ks++;
			const char *v = eq + 1;
			size_t vl = ll - (size_t)(v - line);
			if (kl - ks == 6 && strncasecmp(line + ks, "Signal", 6) == 0)
				d = digit_of(v, vl);
			else if (kl - ks == 8 && strncasecmp(line + ks, "Duration", 8) == 0)
				dur = number_of(v, vl);
		}
	}
	if (!d)
		return -EINVAL;
	*digit = d;
	*duration_ms = dur < 0 ? DTMF_RELAY_DEFAULT_MS : dur > 60000 ? 60000 : (unsigned)dur;
	return 0;
}

int dtmf_relay_format(char digit, unsigned duration_ms, char *out, size_t size)
{
	char c = digit >= 'a' && digit <= 'd' ? (char)(digit - 'a' + 'A') : digit;
	if (!c || !strchr(digits, c))
		return -EINVAL;
	int n = snprintf(out, size, "Signal=%c\r\nDuration=%u\r\n", c, duration_ms);
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
}
