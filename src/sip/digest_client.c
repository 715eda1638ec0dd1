/* digest_client.c - see digest_client.h. */
#include "config.h"
#include "sip/digest_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { C_REALM, C_NONCE, C_OPAQUE, C_ALGORITHM, C_QOP, C_STALE, C_USERHASH, C_N };

static const char *const chal_params[C_N] = {
	"realm", "nonce", "opaque", "algorithm", "qop", "stale", "userhash",
};

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

struct cur {
	const char *p, *end;
};

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && is_ws(*c->p))
		c->p++;
}

/* A token or a quoted-string, unquoted into out[cap]. 0, -EINVAL, -E2BIG. */
static int value(struct cur *c, char *out, size_t cap)
{
	size_t n = 0;
	if (c->p < c->end && *c->p == '"') {
		for (c->p++;; n++) {
			if (c->p >= c->end)
				return -EINVAL;
			unsigned char ch = (unsigned char)*c->p++;
			if (ch == '"')
				break;
			if (ch == '\\' && c->p < c->end)
				ch = (unsigned char)*c->p++;
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return -EINVAL;
			if (n + 1 >= cap)
				return -E2BIG;
			out[n] = (char)ch;
		}
	} else {
		for (; c->p < c->end && is_tchar((unsigned char)*c->p); n++) {
			if (n + 1 >= cap)
				return -E2BIG;
			out[n] = *c->p++;
		}
		if (!n)
			return -EINVAL;
	}
	out[n] = 0;
	return 0;
}

/* qop="auth,auth-int": does the list hold "auth"? */
static bool qop_has_auth(const char *list)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t n = strcspn(p, " \t,");
		if (n == 4 && !strncasecmp(p, "auth", 4))
			return true;
		p += n;
	}
	return false;
}

static int set_alg(struct tdigest_chal *ch, const char *v)
{
	static const struct { const char *name; enum tdigest_alg alg; bool sess; } algs[] = {
		{ "MD5", TDIGEST_MD5, false }, { "MD5-sess", TDIGEST_MD5, true },
		{ "SHA-256", TDIGEST_SHA256, false }, { "SHA-256-sess", TDIGEST_SHA256, true },
	};
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (!strcasecmp(v, algs[i].name)) {
			ch->alg = algs[i].alg;
			ch->sess = algs[i].sess;
			return 0;
		}
	return -ENOTSUP;
}

static int finish(struct tdigest_chal *ch, unsigned seen, const char *alg, const char *qop,
		  const char *stale, const char *userhash)
{
	if (!(seen & 1u << C_REALM) || !(seen & 1u << C_NONCE) || !*ch->nonce)
		return -EINVAL;
	if ((seen & 1u << C_ALGORITHM) && set_alg(ch, alg) < 0)
		return -ENOTSUP;
	if ((seen & 1u << C_USERHASH) && strcasecmp(userhash, "false"))
		return -ENOTSUP;
	if (seen & 1u << C_QOP) {
		if (!qop_has_auth(qop))
			return -ENOTSUP;        /* auth-int only: we do not hash bodies */
		ch->qop_auth = true;
	} else if (ch->sess) {
		return -ENOTSUP;            /* RFC 7616: -sess goes with qop */
	}
	ch->stale = (seen & 1u << C_STALE) && !strcasecmp(stale, "true");
	ch->has_opaque = (seen & 1u << C_OPAQUE) != 0;
	return 0;
}

int tdigest_chal_parse(const char *buf, size_t len, struct tdigest_chal *ch)
{
	struct cur c = { buf, buf + len };
	char alg[32] = "", qop[64] = "", stale[16] = "", userhash[16] = "", skip[TDIGEST_NONCE_MAX + 1];
	unsigned seen = 0;
	memset(ch, 0, sizeof *ch);
	skip_ws(&c);
	if (c.end - c.p < 7 || strncasecmp(c.p, "Digest", 6) || !is_ws(c.p[6]))
		return -ENOTSUP;
	for (c.p += 6;;) {
		skip_ws(&c);
		while (c.p < c.end && *c.p == ',') {
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
		int idx = -1;
		for (int i = 0; i < C_N; i++)
			if (strlen(chal_params[i]) == nlen && !strncasecmp(chal_params[i], name, nlen))
				idx = i;
		struct { char *b; size_t cap; } dst[C_N] = {
			[C_REALM] = { ch->realm, sizeof ch->realm },
			[C_NONCE] = { ch->nonce, sizeof ch->nonce },
			[C_OPAQUE] = { ch->opaque, sizeof ch->opaque },
			[C_ALGORITHM] = { alg, sizeof alg }, [C_QOP] = { qop, sizeof qop },
			[C_STALE] = { stale, sizeof stale }, [C_USERHASH] = { userhash, sizeof userhash },
		};
		if (idx >= 0 && (seen & 1u << idx))
			return -EINVAL;
		if (idx >= 0)
			seen |= 1u << idx;
		int rc = idx < 0 ? value(&c, skip, sizeof skip) : value(&c, dst[idx].b, dst[idx].cap);
		if (rc < 0)
			return rc;
		skip_ws(&c);
		if (c.p < c.end && *c.p != ',')
			return -EINVAL;
	}
	return finish(ch, seen, alg, qop, stale, userhash);
}

bool tdigest_chal_better(const struct tdigest_chal *a, const struct tdigest_chal *b)
{
	return a->alg == TDIGEST_SHA256 && b->alg != TDIGEST_SHA256;
}

/* Append printf-style; -ENOSPC when it does not fit. */
static int put(char *buf, size_t len, size_t *off, const char *fmt, const char *a, const char *b)
{
	int n = snprintf(buf + *off, len - *off, fmt, a, b);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

/* A value we put between quotes must not need escaping. */
static bool quotable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' || *s == 0x7f)
			return false;
	return true;
}

int tdigest_answer(const struct tdigest_chal *ch, const char *method, const char *uri,
		   const char *username, const char *password, const char *cnonce,
		   uint32_t nc, char *buf, size_t len)
{
	struct tdigest_resp r;
	char ha1[TDIGEST_HEX_MAX], resp[TDIGEST_HEX_MAX];
	size_t off = 0;
	if (!ch)
		return -EINVAL;
	bool need_cnonce = ch->qop_auth || ch->sess;
	if (!method || !uri || !username || !password || !buf || !len ||
	    (need_cnonce && (!cnonce || !*cnonce)))
		return -EINVAL;
	if (strlen(uri) > TDIGEST_URI_MAX || (cnonce && strlen(cnonce) > TDIGEST_CNONCE_MAX) ||
	    !quotable(username) || !quotable(uri) || !quotable(ch->realm) || !quotable(ch->nonce) ||
	    !quotable(ch->opaque) || (cnonce && !quotable(cnonce)))
		return -EINVAL;
	memset(&r, 0, sizeof r);
	r.alg = ch->alg;
	r.sess = ch->sess;
	r.qop = ch->qop_auth;
	snprintf(r.nc_text, sizeof r.nc_text, "%08x", (unsigned)nc);
	snprintf(r.nonce, sizeof r.nonce, "%s", ch->nonce);
	snprintf(r.uri, sizeof r.uri, "%s", uri);
	snprintf(r.cnonce, sizeof r.cnonce, "%s", need_cnonce ? cnonce : "");
	if (tdigest_ha1(ch->alg, username, ch->realm, password, ha1) < 0 ||
	    tdigest_expected(&r, method, ha1, resp) < 0)
		return -EINVAL;
	int rc;
	if ((rc = put(buf, len, &off, "Digest username=\"%s\", realm=\"%s\"", username, ch->realm)) < 0 ||
	    (rc = put(buf, len, &off, ", nonce=\"%s\", uri=\"%s\"", ch->nonce, uri)) < 0 ||
	    (rc = put(buf, len, &off, ", response=\"%s\", algorithm=%s", resp,
		      tdigest_alg_name(ch->alg, ch->sess))) < 0)
		return rc;
	if (ch->qop_auth &&
	    ((rc = put(buf, len, &off, ", cnonce=\"%s\", qop=auth%s", cnonce, "")) < 0 ||
	     (rc = put(buf, len, &off, ", nc=%s%s", r.nc_text, "")) < 0))
		return rc;
	if (!ch->qop_auth && ch->sess && (rc = put(buf, len, &off, ", cnonce=\"%s\"%s", cnonce, "")) < 0)
		return rc;
	if (ch->has_opaque && (rc = put(buf, len, &off, ", opaque=\"%s\"%s", ch->opaque, "")) < 0)
		return rc;
	return (int)off;
}
