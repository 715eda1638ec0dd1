/* ws_source.c - signed source header of the WebSocket shim; see ws_source.h. */
#include "sip/ws_source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static void hmac_hex(const uint8_t *secret, const char *msg, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof md;
	HMAC(EVP_sha256(), secret, WS_SECRET_LEN, (const unsigned char *)msg, n, md, &mdlen);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int ws_source_sign(const uint8_t secret[WS_SECRET_LEN], const char *real, const char *proto,
		   const char *local, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s;proto=%s;via=%s", real, proto, local);
	if (n < 0 || (size_t)n + 70 >= outlen)
		return -ENOSPC;
	char hex[65];
	hmac_hex(secret, out, (size_t)n, hex);
	snprintf(out + n, outlen - (size_t)n, ";sig=%s", hex);
	return 0;
}

/* The value of param `name` in [p, e) (";name=value"), or NULL. */
static const char *param(const char *p, const char *e, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *s = p; s < e; s++) {
		if (*s != ';' || (size_t)(e - s - 1) <= nl || strncmp(s + 1, name, nl) || s[1 + nl] != '=')
			continue;
		const char *v = s + 2 + nl;
		const char *ve = memchr(v, ';', (size_t)(e - v));
		*len = (size_t)((ve ? ve : e) - v);
		return v;
	}
	return NULL;
}

static int copy_out(char *dst, size_t dlen, const char *s, size_t n)
{
	if (n == 0 || n >= dlen)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int ws_source_verify(const uint8_t secret[WS_SECRET_LEN], const char *value, const char *msg_src,
		     char *real, size_t reallen, char *proto, size_t protolen)
{
	size_t len = strnlen(value, WS_SOURCE_MAX + 1);
	if (len > WS_SOURCE_MAX)
		return -EINVAL;
	const char *e = value + len;
	const char *sig = NULL;
	size_t siglen = 0, vialen = 0, protol = 0;
	for (const char *s = value; s + 5 <= e; s++)
		if (!strncmp(s, ";sig=", 5))
			sig = s;
	if (!sig || (siglen = (size_t)(e - sig - 5)) != 64)
		return -EINVAL;
	const char *via = param(value, sig, "via", &vialen);
	const char *pr = param(value, sig, "proto", &protol);
	const char *semi = memchr(value, ';', (size_t)(sig - value) + 1);
	if (!via || !pr || !semi)
		return -EINVAL;
	char hex[65];
	hmac_hex(secret, value, (size_t)(sig - value), hex);
	if (CRYPTO_memcmp(hex, sig + 5, 64))
		return -EPERM;
	if (strlen(msg_src) != vialen || strncmp(via, msg_src, vialen))
		return -EPERM;
	if (copy_out(real, reallen, value, (size_t)(semi - value)) < 0 ||
	    copy_out(proto, protolen, pr, protol) < 0)
		return -EINVAL;
	return 0;
}
