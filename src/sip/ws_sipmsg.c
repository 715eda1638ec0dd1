/* ws_sipmsg.c - SIP text rewriting for the WebSocket shim; see ws_sipmsg.h.
 *
 * Works line by line on the header block; the body is copied untouched. Only
 * three things are rewritten: the top Via of a browser's request, the
 * Contact URIs that carry transport=ws/wss (and their mirror images on the
 * way out), and Content-Length, which RFC 7118 lets WebSocket clients omit
 * but sofia's stream parser needs. */
#include "sip/ws_sipmsg.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct wbuf {
	char *p;
	size_t len, cap;
	bool err;
};

static void put(struct wbuf *w, const char *s, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void puts_(struct wbuf *w, const char *s) { put(w, s, strlen(s)); }

/* Offset just past the blank line ending the head, 0 if none within limits. */
static size_t head_end(const char *buf, size_t len)
{
	size_t lim = len < WS_SIP_HEAD_MAX ? len : WS_SIP_HEAD_MAX;
	for (size_t i = 3; i < lim; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

enum hname { H_OTHER, H_VIA, H_CONTACT, H_CLEN, H_XSRC, H_KEEP_REPLY };

static enum hname classify(const char *p, size_t nl)
{
#define IS(s) (nl == sizeof(s) - 1 && !strncasecmp(p, s, nl))
	if (IS("Via") || IS("v"))
		return H_VIA;
	if (IS("Contact") || IS("m"))
		return H_CONTACT;
	if (IS("Content-Length") || IS("l"))
		return H_CLEN;
	if (IS("X-Tandem-Source"))
		return H_XSRC;
	if (IS("From") || IS("f") || IS("To") || IS("t") || IS("Call-ID") || IS("i") || IS("CSeq"))
		return H_KEEP_REPLY;
#undef IS
	return H_OTHER;
}

/* One header line [p, e) (without CRLF): its name length and value start. */
static int split_header(const char *p, const char *e, size_t *nl, const char **v)
{
	const char *c = memchr(p, ':', (size_t)(e - p));
	if (!c || c == p)
		return -EINVAL;
	const char *ne = c;
	while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	*nl = (size_t)(ne - p);
	c++;
	while (c < e && (*c == ' ' || *c == '\t'))
		c++;
	*v = c;
	return 0;
}

static bool is_request(const char *line, size_t n)
{
	return !(n >= 8 && !memcmp(line, "SIP/2.0 ", 8));
}

static int parse_clen(const char *v, const char *e, size_t *out)
{
	size_t n = 0, digits = 0;
	while (v < e && isdigit((unsigned char)*v)) {
		if (++digits > 9)
			return -EPROTO;
		n = n * 10 + (size_t)(*v++ - '0');
	}
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	if (!digits || v != e)
		return -EPROTO;
	*out = n;
	return 0;
}

int ws_sip_frame(const char *buf, size_t len, size_t max, size_t *skip)
{
	size_t s = 0;
	while (len - s >= 2 && buf[s] == '\r' && buf[s + 1] == '\n')
		s += 2;
	*skip = s;
	buf += s;
	len -= s;
	if (len == 0)
		return 0;
	size_t he = head_end(buf, len);
	if (!he)
		return len >= WS_SIP_HEAD_MAX ? -EPROTO : 0;
	const char *p = buf, *end = buf + he - 2;
	bool have = false;
	size_t clen = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl && nl > p && nl[-1] == '\r' ? nl - 1 : NULL;
		if (!e)
			return -EPROTO;
		size_t hn;
		const char *v;
		if (p != buf && *p != ' ' && *p != '\t' && split_header(p, e, &hn, &v) == 0 &&
		    classify(p, hn) == H_CLEN) {
			if (parse_clen(v, e, &clen) < 0)
				return -EPROTO;
			have = true;
		}
		p = nl + 1;
	}
	if (!have)
		return -EPROTO;
	if (clen > max || he + clen > max)
		return -EMSGSIZE;
	return len >= he + clen ? (int)(he + clen) : 0;
}

/* Case-insensitive search of needle in [p, e). */
static const char *find_ci(const char *p, const char *e, const char *needle)
{
	size_t n = strlen(needle);
	for (; (size_t)(e - p) >= n; p++)
		if (!strncasecmp(p, needle, n))
			return p;
	return NULL;
}

static void copy_str(char *dst, size_t dlen, const char *s, size_t n)
{
	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void remember_user(struct ws_alias *a, const char *u, size_t n)
{
	if (n == 0 || n >= sizeof a->users[0])
		return;
	for (unsigned i = 0; i < a->nusers; i++)
		if (strlen(a->users[i]) == n && !memcmp(a->users[i], u, n))
			return;
	unsigned slot = a->nusers < WS_ALIAS_USERS ? a->nusers++ : WS_ALIAS_USERS - 1;
	copy_str(a->users[slot], sizeof a->users[slot], u, n);
}

/* "Via: SIP/2.0/WS(S) sent-by;params" -> "Via: SIP/2.0/TCP local;params". */
static void via_in(struct wbuf *w, struct ws_alias *a, const char *p, const char *v, const char *e)
{
	const char *proto_end = v;
	while (proto_end < e && *proto_end != ' ' && *proto_end != '\t')
		proto_end++;
	size_t pl = (size_t)(proto_end - v);
	bool ws = (pl == 10 && !strncasecmp(v, "SIP/2.0/WS", 10)) ||
		  (pl == 11 && !strncasecmp(v, "SIP/2.0/WSS", 11));
	const char *sb = proto_end;
	while (sb < e && (*sb == ' ' || *sb == '\t'))
		sb++;
	const char *sbe = sb;
	while (sbe < e && !strchr(";, \t", *sbe))
		sbe++;
	if (!ws || sbe == sb || (size_t)(sbe - v) >= sizeof a->orig_via) {
		put(w, p, (size_t)(e - p));
		return;
	}
	memcpy(a->orig_via, v, pl);
	a->orig_via[pl] = ' ';
	copy_str(a->orig_via + pl + 1, sizeof a->orig_via - pl - 1, sb, (size_t)(sbe - sb));
	puts_(w, "Via: SIP/2.0/TCP ");
	puts_(w, a->local);
	put(w, sbe, (size_t)(e - sbe));
}

/* One <sip:...> URI body [u, ue) of a Contact: aliased when its transport is ws/wss. */
static void contact_uri_in(struct wbuf *w, struct ws_alias *a, const char *u, const char *ue)
{
	const char *params = u;
	while (params < ue && *params != ';' && *params != '?')
		params++;
	const char *at = memchr(u, '@', (size_t)(params - u));
	const char *host = at ? at + 1 : u;
	const char *tp = find_ci(params, ue, ";transport=ws");
	size_t tl = 0;
	if (tp) {
		const char *t = tp + 13;
		if (t < ue && (*t == 's' || *t == 'S'))
			t++;
		if (t == ue || *t == ';' || *t == '?')
			tl = (size_t)(t - tp);
	}
	if (!tl || host == params || (size_t)(params - host) >= sizeof a->orig_host) {
		put(w, u, (size_t)(ue - u));
		return;
	}
	if (at)
		remember_user(a, u, (size_t)(at - u));
	copy_str(a->orig_host, sizeof a->orig_host, host, (size_t)(params - host));
	put(w, u, (size_t)(host - u));
	puts_(w, a->local);
	put(w, params, (size_t)(tp - params));
	puts_(w, ";transport=tcp");
	put(w, tp + tl, (size_t)(ue - tp - tl));
}

static void contact_in(struct wbuf *w, struct ws_alias *a, const char *p, const char *v, const char *e)
{
	put(w, p, (size_t)(v - p));
	while (v < e) {
		const char *lt = memchr(v, '<', (size_t)(e - v));
		if (!lt)
			break;
		const char *gt = memchr(lt, '>', (size_t)(e - lt));
		if (!gt)
			break;
		put(w, v, (size_t)(lt + 1 - v));
		const char *u = lt + 1;
		if (gt - u > 4 && !strncasecmp(u, "sip:", 4)) {
			put(w, u, 4);
			contact_uri_in(w, a, u + 4, gt);
		} else {
			put(w, u, (size_t)(gt - u));
		}
		v = gt;
	}
	put(w, v, (size_t)(e - v));
}

int ws_sip_inbound(const char *in, size_t inlen, struct ws_alias *a, const char *src_hdr,
		   char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };
	size_t he = head_end(in, inlen);
	if (!he || memchr(in, '\0', he))
		return -EINVAL;
	const char *p = in, *end = in + he - 2;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl == p || nl[-1] != '\r' || nl - 1 == p)
		return -EINVAL;
	bool req = is_request(p, (size_t)(nl - 1 - p));
	if (req && (nl - 1 - p < 10 || memcmp(nl - 8, "SIP/2.0", 7)))
		return -EINVAL;
	put(&w, p, (size_t)(nl + 1 - p));
	if (req && src_hdr) {
		puts_(&w, "X-Tandem-Source: ");
		puts_(&w, src_hdr);
		puts_(&w, "\r\n");
	}
	bool via_done = false, dropping = false;
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || nl == p || nl[-1] != '\r')
			return -EINVAL;
		const char *e = nl - 1;
		if (*p == ' ' || *p == '\t') {     /* folded continuation */
			if (!dropping)
				put(&w, p, (size_t)(nl + 1 - p));
			continue;
		}
		size_t hn;
		const char *v;
		if (split_header(p, e, &hn, &v) < 0)
			return -EINVAL;
		enum hname h = classify(p, hn);
		dropping = h == H_XSRC || h == H_CLEN;
		if (dropping)
			continue;
		if (h == H_VIA && req && !via_done) {
			via_done = true;
			via_in(&w, a, p, v, e);
		} else if (h == H_CONTACT) {
			contact_in(&w, a, p, v, e);
		} else {
			put(&w, p, (size_t)(e - p));
		}
		put(&w, "\r\n", 2);
	}
	char cl[48];
	snprintf(cl, sizeof cl, "Content-Length: %zu\r\n\r\n", inlen - he);
	puts_(&w, cl);
	put(&w, in + he, inlen - he);
	return w.err ? -ENOSPC : (int)w.len;
}

/* Copy [p, e) mapping "local[;transport=tcp]" back to "orig_host;transport=ws". */
static void map_back(struct wbuf *w, const struct ws_alias *a, const char *p, const char *e)
{
	size_t ll = strlen(a->local);
	while (p < e) {
		const char *m = a->orig_host[0] ? find_ci(p, e, a->local) : NULL;
		if (m && m + ll < e && isdigit((unsigned char)m[ll])) {
			put(w, p, (size_t)(m + ll - p));
			p = m + ll;
			continue;
		}
		if (!m) {
			put(w, p, (size_t)(e - p));
			return;
		}
		put(w, p, (size_t)(m - p));
		puts_(w, a->orig_host);
		p = m + ll;
		if ((size_t)(e - p) >= 14 && !strncasecmp(p, ";transport=tcp", 14)) {
			puts_(w, ";transport=ws");
			p += 14;
		}
	}
}

/* May a request for this Request-URI go to this connection? Only when it
 * names the connection and a user that registered or called over it. */
static bool ruri_allowed(const struct ws_alias *a, const char *u, const char *ue)
{
	if (!find_ci(u, ue, a->local))
		return true;                /* not one of ours: sofia chose the tport */
	const char *c = memchr(u, ':', (size_t)(ue - u));
	const char *at = c ? memchr(c, '@', (size_t)(ue - c)) : NULL;
	if (!at)
		return false;
	size_t n = (size_t)(at - c - 1);
	for (unsigned i = 0; i < a->nusers; i++)
		if (strlen(a->users[i]) == n && !memcmp(a->users[i], c + 1, n))
			return true;
	return false;
}

int ws_sip_outbound(const char *in, size_t inlen, const struct ws_alias *a, char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };
	size_t he = head_end(in, inlen);
	if (!he)
		return -EINVAL;
	const char *p = in, *end = in + he - 2;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl == p || nl[-1] != '\r')
		return -EINVAL;
	bool req = is_request(p, (size_t)(nl - 1 - p));
	if (req) {
		const char *sp = memchr(p, ' ', (size_t)(nl - p));
		const char *ue = sp ? memchr(sp + 1, ' ', (size_t)(nl - sp - 1)) : NULL;
		if (!ue)
			return -EINVAL;
		if (!ruri_allowed(a, sp + 1, ue))
			return -EACCES;
		map_back(&w, a, p, nl + 1);
	} else {
		put(&w, p, (size_t)(nl + 1 - p));
	}
	size_t ll = strlen(a->local);
	bool via_done = false;
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || nl == p || nl[-1] != '\r')
			return -EINVAL;
		const char *e = nl - 1;
		size_t hn = 0;
		const char *v = NULL;
		enum hname h = H_OTHER;
		if (*p != ' ' && *p != '\t' && split_header(p, e, &hn, &v) == 0)
			h = classify(p, hn);
		if (h == H_VIA && !req && !via_done) {
			via_done = true;
			const char *sb = v + 12;
			if ((size_t)(e - v) >= 12 + ll && !strncasecmp(v, "SIP/2.0/TCP ", 12) &&
			    !strncmp(sb, a->local, ll) && (sb + ll == e || strchr(";, \t", sb[ll])) &&
			    a->orig_via[0]) {
				puts_(&w, "Via: ");
				puts_(&w, a->orig_via);
				put(&w, sb + ll, (size_t)(nl + 1 - sb - ll));
				continue;
			}
		}
		if (h == H_CONTACT)
			map_back(&w, a, p, nl + 1);
		else
			put(&w, p, (size_t)(nl + 1 - p));
	}
	put(&w, "\r\n", 2);
	put(&w, in + he, inlen - he);
	return w.err ? -ENOSPC : (int)w.len;
}

int ws_sip_reply(const char *in, size_t inlen, int code, const char *reason, char *out, size_t outlen)
{
	struct wbuf w = { out, 0, outlen, false };
	size_t he = head_end(in, inlen);
	if (!he || inlen < 4 || !strncmp(in, "ACK ", 4) || !is_request(in, inlen))
		return -EINVAL;
	char sl[96];
	snprintf(sl, sizeof sl, "SIP/2.0 %03d %s\r\n", code, reason);
	puts_(&w, sl);
	const char *p = memchr(in, '\n', he), *end = in + he - 2, *nl;
	if (!p)
		return -EINVAL;
	for (p++; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || nl == p || nl[-1] != '\r')
			return -EINVAL;
		size_t hn;
		const char *v;
		if (*p == ' ' || *p == '\t' || split_header(p, nl - 1, &hn, &v) < 0)
			continue;
		enum hname h = classify(p, hn);
		if (h != H_VIA && h != H_KEEP_REPLY)
			continue;
		bool to = (hn == 2 && !strncasecmp(p, "To", 2)) || (hn == 1 && (*p == 't' || *p == 'T'));
		put(&w, p, (size_t)(nl - 1 - p));
		if (to && !find_ci(v, nl - 1, ";tag="))
			puts_(&w, ";tag=ws-refused");
		puts_(&w, "\r\n");
	}
	puts_(&w, "Content-Length: 0\r\n\r\n");
	return w.err ? -ENOSPC : (int)w.len;
}
