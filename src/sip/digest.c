/* digest.c - see digest.h. */
#include "config.h"
#include "sip/digest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sip/nonce.h"

/* ---- parse ---- */

enum { P_USERNAME, P_REALM, P_NONCE, P_URI, P_RESPONSE, P_ALGORITHM, P_CNONCE, P_OPAQUE, P_QOP,
       P_NC, P_USERHASH, P_N };

static const char *const param_names[P_N] = {
	"username", "realm", "nonce", "uri", "response", "algorithm", "cnonce", "opaque", "qop",
	"nc", "userhash",
};

struct cursor {
	const char *p, *end;
};

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && is_ws(*c->p))
		c->p++;
}

/* RFC 7230 tchar */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A token or a quoted-string, unquoted into out[cap]. 0, -EINVAL, -E2BIG. */
static int parse_value(struct cursor *c, char *out, size_t cap)
{
	size_t n = 0;
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			if (c->p >= c->end)
				return -EINVAL;         /* unterminated */
			unsigned char ch = (unsigned char)*c->p++;
			if (ch == '"')
				break;
			if (ch == '\\') {
				if (c->p >= c->end)
					return -EINVAL;
				ch = (unsigned char)*c->p++;
			}
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return -EINVAL;
			if (n + 1 >= cap)
				return -E2BIG;
			out[n++] = (char)ch;
		}
	} else {
		while (c->p < c->end && is_tchar((unsigned char)*c->p)) {
			if (n + 1 >= cap)
				return -E2BIG;
			out[n++] = *c->p++;
		}
		if (n == 0)
			return -EINVAL;
	}
	out[n] = 0;
	return 0;
}

static int param_index(const char *name, size_t len)
{
	for (int i = 0; i < P_N; i++)
		if (strlen(param_names[i]) == len && !strncasecmp(param_names[i], name, len))
			return i;
	return -1;
}

static int set_algorithm(struct tdigest_resp *r, const char *v)
{
	static const struct { const char *name; enum tdigest_alg alg; bool sess; } algs[] = {
		{ "MD5", TDIGEST_MD5, false }, { "MD5-sess", TDIGEST_MD5, true },
		{ "SHA-256", TDIGEST_SHA256, false }, { "SHA-256-sess", TDIGEST_SHA256, true },
	};
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		if (!strcasecmp(v, algs[i].name)) {
			r->alg = algs[i].alg;
			r->sess = algs[i].sess;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* Values of the parameters that need a check after the whole parse. */
struct raw {
	char algorithm[32], qop[32], nc[16], userhash[16];
	char response[TDIGEST_HEX_MAX + 1];
};

static int store_param(struct tdigest_resp *r, struct raw *raw, int idx, struct cursor *c)
{
	struct { char *buf; size_t cap; } dst[P_N] = {
		[P_USERNAME] = { r->username, sizeof r->username },
		[P_REALM] = { r->realm, sizeof r->realm },
		[P_NONCE] = { r->nonce, sizeof r->nonce },
		[P_URI] = { r->uri, sizeof r->uri },
		[P_RESPONSE] = { raw->response, sizeof raw->response },
		[P_ALGORITHM] = { raw->algorithm, sizeof raw->algorithm },
		[P_CNONCE] = { r->cnonce, sizeof r->cnonce },
		[P_OPAQUE] = { r->opaque, sizeof r->opaque },
		[P_QOP] = { raw->qop, sizeof raw->qop },
		[P_NC] = { raw->nc, sizeof raw->nc },
		[P_USERHASH] = { raw->userhash, sizeof raw->userhash },
	};
	int rc = parse_value(c, dst[idx].buf, dst[idx].cap);
	/* A response or nc too long is malformed, not just big. */
	if (rc == -E2BIG && (idx == P_RESPONSE || idx == P_NC || idx == P_QOP || idx == P_ALGORITHM))
		rc = idx == P_RESPONSE || idx == P_NC ? -EINVAL : -ENOTSUP;
	return rc;
}

/* After the parameters: required ones, and the values with a grammar. */
static int finish(struct tdigest_resp *r, struct raw *raw, unsigned seen)
{
	const unsigned need = 1u << P_USERNAME | 1u << P_REALM | 1u << P_NONCE | 1u << P_URI |
			      1u << P_RESPONSE;
	if ((seen & need) != need)
		return -EINVAL;
	if ((seen & 1u << P_USERHASH) && strcasecmp(raw->userhash, "false"))
		return -ENOTSUP;
	if ((seen & 1u << P_ALGORITHM) && set_algorithm(r, raw->algorithm) < 0)
		return -ENOTSUP;
	if (seen & 1u << P_QOP) {
		if (strcasecmp(raw->qop, "auth"))
			return -ENOTSUP;
		if (!(seen & 1u << P_CNONCE) || !*r->cnonce || !(seen & 1u << P_NC) || strlen(raw->nc) != 8)
			return -EINVAL;
		for (int i = 0; i < 8; i++)
			if (!is_hex(raw->nc[i]))
				return -EINVAL;
		r->qop = true;
		memcpy(r->nc_text, raw->nc, sizeof r->nc_text);
		r->nc = (uint32_t)strtoul(raw->nc, NULL, 16);
	} else if (r->sess || (seen & (1u << P_NC))) {
		return -EINVAL;             /* -sess needs a cnonce; nc needs qop */
	}
	size_t len = strlen(raw->response);
	if (len != tdigest_hex_len(r->alg))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_hex(raw->response[i]))
			return -EINVAL;
		r->response[i] = (char)(raw->response[i] | 0x20);   /* lowercase hex */
	}
	r->response[len] = 0;
	return 0;
}

int tdigest_parse(const char *buf, size_t len, struct tdigest_resp *r)
{
	struct cursor c = { buf, buf + len };
	struct raw raw;
	unsigned seen = 0;
	memset(r, 0, sizeof *r);
	memset(&raw, 0, sizeof raw);
	skip_ws(&c);
	if (c.end - c.p < 7 || strncasecmp(c.p, "Digest", 6) || !is_ws(c.p[6]))
		return -ENOTSUP;
	c.p += 6;
	for (;;) {
		skip_ws(&c);
		while (c.p < c.end && *c.p == ',') {    /* empty list elements are allowed */
			c.p++;
			skip_ws(&c);
		}
		if (c.p >= c.end)
			break;
		const char *name = c.p;
		while (c.p < c.end && is_tchar((unsigned char)*c.p))
			c.p++;
		size_t nlen = (size_t)(c.p - name);
		skip_ws(&c);
		if (!nlen || c.p >= c.end || *c.p != '=')
			return -EINVAL;
		c.p++;
		skip_ws(&c);
		int idx = param_index(name, nlen);
		int rc;
		if (idx < 0) {
			char ignored[TDIGEST_URI_MAX + 1];  /* unknown parameters are skipped */
			if (nlen == 9 && !strncasecmp(name, "username*", 9))
				return -ENOTSUP;
			rc = parse_value(&c, ignored, sizeof ignored);
		} else {
			if (seen & (1u << idx))
				return -EINVAL;
			seen |= 1u << idx;
			rc = store_param(r, &raw, idx, &c);
		}
		if (rc < 0)
			return rc;
		skip_ws(&c);
		if (c.p < c.end && *c.p != ',')
			return -EINVAL;
	}
	return finish(r, &raw, seen);
}

/* ---- hashes ---- */

const char *tdigest_alg_name(enum tdigest_alg alg, bool sess)
{
	if (alg == TDIGEST_SHA256)
		return sess ? "SHA-256-sess" : "SHA-256";
	return sess ? "MD5-sess" : "MD5";
}

size_t tdigest_hex_len(enum tdigest_alg alg)
{
	return alg == TDIGEST_SHA256 ? 64 : 32;
}

/* H(parts[0]:parts[1]:...) as lowercase hex. */
static int hash_parts(enum tdigest_alg alg, const char *const *parts, size_t n, char out[TDIGEST_HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, alg == TDIGEST_SHA256 ? EVP_sha256() : EVP_md5(), NULL);
	for (size_t i = 0; ok && i < n; i++) {
		if (i)
			ok = EVP_DigestUpdate(ctx, ":", 1);
		if (ok)
			ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen * 2 != tdigest_hex_len(alg))
		return -EINVAL;
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = 0;
	return 0;
}

int tdigest_ha1(enum tdigest_alg alg, const char *username, const char *realm,
		const char *password, char out[TDIGEST_HEX_MAX])
{
	if ((unsigned)alg >= TDIGEST_NALGS || !username || !realm || !password)
		return -EINVAL;
	const char *parts[] = { username, realm, password };
	return hash_parts(alg, parts, 3, out);
}

int tdigest_expected(const struct tdigest_resp *r, const char *method, const char *ha1,
		     char out[TDIGEST_HEX_MAX])
{
	char sess_ha1[TDIGEST_HEX_MAX], ha2[TDIGEST_HEX_MAX];
	if (!ha1 || strlen(ha1) != tdigest_hex_len(r->alg) || !method)
		return -EINVAL;
	if (r->sess) {
		const char *p[] = { ha1, r->nonce, r->cnonce };
		if (hash_parts(r->alg, p, 3, sess_ha1) < 0)
			return -EINVAL;
		ha1 = sess_ha1;
	}
	const char *p2[] = { method, r->uri };
	if (hash_parts(r->alg, p2, 2, ha2) < 0)
		return -EINVAL;
	if (r->qop) {
		const char *p[] = { ha1, r->nonce, r->nc_text, r->cnonce, "auth", ha2 };
		return hash_parts(r->alg, p, 6, out);
	}
	const char *p[] = { ha1, r->nonce, ha2 };
	return hash_parts(r->alg, p, 3, out);
}

bool tdigest_check(const struct tdigest_resp *r, const char *method, const char *ha1)
{
	char want[TDIGEST_HEX_MAX];
	size_t n = tdigest_hex_len(r->alg);
	if (tdigest_expected(r, method, ha1, want) < 0 || strlen(r->response) != n)
		return false;
	return CRYPTO_memcmp(want, r->response, n) == 0;
}

/* ---- challenge ---- */

/* Append a quoted-string; -EINVAL for control characters, -ENOSPC. */
static int put_quoted(char *buf, size_t len, size_t *off, const char *s)
{
	if (*off + 1 >= len)
		return -ENOSPC;
	buf[(*off)++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f)
			return -EINVAL;
		if ((ch == '"' || ch == '\\') && *off + 1 < len)
			buf[(*off)++] = '\\';
		if (*off + 1 >= len)
			return -ENOSPC;
		buf[(*off)++] = (char)ch;
	}
	if (*off + 1 >= len)
		return -ENOSPC;
	buf[(*off)++] = '"';
	buf[*off] = 0;
	return 0;
}

static int put_text(char *buf, size_t len, size_t *off, const char *s)
{
	size_t n = strlen(s);
	if (*off + n >= len)
		return -ENOSPC;
	memcpy(buf + *off, s, n + 1);
	*off += n;
	return 0;
}

int tdigest_challenge(enum tdigest_alg alg, const char *realm, const char *nonce,
		      const char *opaque, bool stale, char *buf, size_t len)
{
	size_t off = 0;
	int rc;
	if (!buf || !len || !realm || !nonce || (unsigned)alg >= TDIGEST_NALGS)
		return -EINVAL;
	if ((rc = put_text(buf, len, &off, "Digest realm=")) < 0 ||
	    (rc = put_quoted(buf, len, &off, realm)) < 0 ||
	    (rc = put_text(buf, len, &off, ", nonce=")) < 0 ||
	    (rc = put_quoted(buf, len, &off, nonce)) < 0)
		return rc;
	if (opaque && ((rc = put_text(buf, len, &off, ", opaque=")) < 0 ||
		       (rc = put_quoted(buf, len, &off, opaque)) < 0))
		return rc;
	if ((rc = put_text(buf, len, &off, ", algorithm=")) < 0 ||
	    (rc = put_text(buf, len, &off, tdigest_alg_name(alg, false))) < 0 ||
	    (rc = put_text(buf, len, &off, ", qop=\"auth\"")) < 0 ||
	    (stale && (rc = put_text(buf, len, &off, ", stale=true")) < 0))
		return rc;
	return (int)off;
}

/* ---- verdict ---- */

enum tdigest_verdict tdigest_verify(const struct tdigest_resp *r, const char *method,
				    const char *ha1, const char *realm, struct tnonce *nonces,
				    const char *src_ip, uint64_t now)
{
	enum tnonce_state st = tnonce_check(nonces, r->nonce, realm, src_ip, now);
	if (st == TNONCE_INVALID || st == TNONCE_UNKNOWN)
		return TDIGEST_BADNONCE;
	/* An unknown user costs the same hashing as a known one. */
	static const char dummy[] = "0000000000000000000000000000000000000000000000000000000000000000";
	bool user_ok = ha1 != NULL && strlen(ha1) == tdigest_hex_len(r->alg);
	bool right = tdigest_check(r, method, user_ok ? ha1 : dummy + 64 - tdigest_hex_len(r->alg));
	if (!right || !user_ok || !r->qop || strcmp(r->realm, realm))
		return TDIGEST_FAIL;
	if (st == TNONCE_STALE)
		return TDIGEST_STALE;
	switch (tnonce_use(nonces, r->nonce, r->nc)) {
	case 0: return TDIGEST_OK;
	case -EALREADY: return TDIGEST_REPLAY;
	default: return TDIGEST_BADNONCE;
	}
}

const char *tdigest_verdict_name(enum tdigest_verdict v)
{
	switch (v) {
	case TDIGEST_OK: return "ok";
	case TDIGEST_FAIL: return "wrong credentials";
	case TDIGEST_STALE: return "stale nonce";
	case TDIGEST_BADNONCE: return "unknown nonce";
	case TDIGEST_REPLAY: return "replayed nonce-count";
	}
	return "?";
}
