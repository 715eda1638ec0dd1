/* cidr.c - see cidr.h. */
#include <config.h>
#include "core/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Text to (family, 16 bytes); a mapped IPv6 address becomes IPv4. */
static int parse_ip(const char *s, int *family, uint8_t out[16])
{
	struct in6_addr a6;
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return -EINVAL;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(a6.s6_addr, mapped, 12)) {
		memcpy(out, a6.s6_addr + 12, 4);
		*family = AF_INET;
	} else {
		memcpy(out, a6.s6_addr, 16);
		*family = AF_INET6;
	}
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

int tcidr_parse(const char *text, struct tcidr *out)
{
	char buf[64];
	size_t n = strlen(text);
	if (!n || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, text, n + 1);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (parse_ip(buf, &out->family, out->addr) < 0)
		return -EINVAL;
	unsigned max = out->family == AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end;
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		unsigned long b = strtoul(slash + 1, &end, 10);
		if (*end || b > max)
			return -EINVAL;
		out->bits = (unsigned)b;
		/* 192.0.2.1/24 is most likely a typo for .0/24 or /32: refuse it */
		uint8_t zero[16] = { 0 };
		uint8_t host[16];
		memcpy(host, out->addr, 16);
		for (unsigned i = 0; i < 16; i++) {
			unsigned lo = i * 8;
			if (lo + 8 <= out->bits)
				host[i] = 0;
			else if (lo < out->bits)
				host[i] &= (uint8_t)(0xff >> (out->bits - lo));
		}
		if (memcmp(host, zero, 16))
			return -EINVAL;
	}
	return 0;
}

bool tcidr_match(const struct tcidr *range, const char *ip)
{
	int family;
	uint8_t a[16];
	if (!ip || parse_ip(ip, &family, a) < 0 || family != range->family)
		return false;
	return prefix_equal(a, range->addr, range->bits);
}
