/* ws_handshake.c - WebSocket opening handshake; see ws_handshake.h. */
#include "sip/ws_handshake.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

int ws_handshake_complete(const char *buf, size_t len)
{
	size_t lim = len < WS_HANDSHAKE_MAX ? len : WS_HANDSHAKE_MAX;
	for (size_t i = 3; i < lim; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return (int)(i + 1);
	return len >= WS_HANDSHAKE_MAX ? -EMSGSIZE : 0;
}

/* Copy [p, e) trimmed into out (truncation is an error: -1). */
static int copy_trim(char *out, size_t outlen, const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* Does the comma-separated header value [p, e) hold token tok? */
static bool has_token(const char *p, const char *e, const char *tok)
{
	size_t tl = strlen(tok);
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		const char *s = p;
		while (p < e && *p != ',')
			p++;
		const char *t = p;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - s) == tl && !strncasecmp(s, tok, tl))
			return true;
	}
	return false;
}

struct hs_flags { bool upgrade, connection, version, key; };

static int header_line(struct ws_handshake *h, struct hs_flags *f, const char *p, const char *e)
{
	const char *colon = memchr(p, ':', (size_t)(e - p));
	if (!colon || colon == p)
		return -1;
	size_t nl = (size_t)(colon - p);
	const char *v = colon + 1;
#define IS(name) (nl == sizeof(name) - 1 && !strncasecmp(p, name, nl))
	if (IS("Host"))
		return copy_trim(h->host, sizeof h->host, v, e);
	if (IS("Origin"))
		return copy_trim(h->origin, sizeof h->origin, v, e);
	if (IS("Sec-WebSocket-Key")) {
		f->key = true;
		return copy_trim(h->key, sizeof h->key, v, e);
	}
	if (IS("Upgrade"))
		f->upgrade = f->upgrade || has_token(v, e, "websocket");
	else if (IS("Connection"))
		f->connection = f->connection || has_token(v, e, "upgrade");
	else if (IS("Sec-WebSocket-Version"))
		f->version = has_token(v, e, "13");
	else if (IS("Sec-WebSocket-Protocol"))
		h->proto_sip = h->proto_sip || has_token(v, e, "sip");
	else if (IS("X-Forwarded-For") && !h->forwarded[0]) {
		const char *c = memchr(v, ',', (size_t)(e - v));
		copy_trim(h->forwarded, sizeof h->forwarded, v, c ? c : e);
	}
#undef IS
	return 0;
}

/* A base64 key that decodes to 16 bytes is 24 characters ending in "==". */
static bool key_valid(const char *k)
{
	if (strlen(k) != 24 || k[22] != '=' || k[23] != '=')
		return false;
	for (int i = 0; i < 22; i++) {
		char c = k[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}

static int request_line(struct ws_handshake *h, const char *p, const char *e, const char **why)
{
	if ((size_t)(e - p) < 4 || memcmp(p, "GET ", 4)) {
		*why = "method is not GET";
		return 405;
	}
	p += 4;
	const char *sp = memchr(p, ' ', (size_t)(e - p));
	if (!sp || copy_trim(h->path, sizeof h->path, p, sp) < 0 || h->path[0] != '/') {
		*why = "bad request target";
		return 400;
	}
	sp++;
	if ((size_t)(e - sp) != 8 || memcmp(sp, "HTTP/1.1", 8)) {
		*why = "not HTTP/1.1";
		return 400;
	}
	return 0;
}

int ws_handshake_parse(const char *buf, size_t len, struct ws_handshake *h, const char **why)
{
	memset(h, 0, sizeof *h);
	struct hs_flags f = { 0 };
	const char *p = buf, *end = buf + len;
	bool first = true;
	*why = "malformed request";
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || nl == p || nl[-1] != '\r')
			return 400;
		const char *e = nl - 1;
		if (e == p)
			break;                  /* the blank line */
		if (memchr(p, '\0', (size_t)(e - p)))
			return 400;
		if (first) {
			int rc = request_line(h, p, e, why);
			if (rc)
				return rc;
			first = false;
		} else if (*p == ' ' || *p == '\t' || header_line(h, &f, p, e) < 0) {
			*why = "malformed or oversized header";
			return 400;         /* obsolete line folding is refused too */
		}
		p = nl + 1;
	}
	if (first)
		return 400;
	if (!f.upgrade || !f.connection) {
		*why = "not a WebSocket upgrade";
		return 426;
	}
	if (!f.version) {
		*why = "Sec-WebSocket-Version is not 13";
		return 426;
	}
	if (!f.key || !key_valid(h->key)) {
		*why = "missing or malformed Sec-WebSocket-Key";
		return 400;
	}
	if (!h->proto_sip) {
		*why = "subprotocol 'sip' not requested";
		return 400;
	}
	return 0;
}

int ws_accept_value(const char *key, char *out, size_t outlen)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char md[SHA_DIGEST_LENGTH];
	char cat[64 + sizeof guid];
	size_t kl = strlen(key);
	if (kl > 64 || outlen < 29)
		return -EINVAL;
	memcpy(cat, key, kl);
	memcpy(cat + kl, guid, sizeof guid - 1);
	SHA1((const unsigned char *)cat, kl + sizeof guid - 1, md);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
	return 0;
}

bool ws_origin_allowed(const char *list, const char *origin)
{
	if (!list || !*list)
		return true;
	size_t ol = strlen(origin);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != ',' && *p != '\t')
			p++;
		if ((size_t)(p - s) == ol && ol && !strncasecmp(s, origin, ol))
			return true;
	}
	return false;
}
