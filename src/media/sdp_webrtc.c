/* sdp_webrtc.c - transport attributes of secure and WebRTC legs (see
 * sdp_webrtc.h). */
#include "config.h"

#include "media/sdp_webrtc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Next line of [p, end): sets *eol past its terminator, returns its length
 * without CR/LF. */
static size_t next_line(const char *p, const char *end, const char **eol)
{
	const char *q = p;
	while (q < end && *q != '\n' && *q != '\r')
		q++;
	size_t n = (size_t)(q - p);
	if (q < end && *q == '\r')
		q++;
	if (q < end && *q == '\n')
		q++;
	*eol = q;
	return n;
}

static bool attr_is(const char *l, size_t n, const char *name, const char **val, size_t *vlen)
{
	size_t k = strlen(name);
	if (n < 2 + k || strncmp(l, "a=", 2) != 0 || strncasecmp(l + 2, name, k) != 0)
		return false;
	if (n == 2 + k) {
		*val = l + n;
		*vlen = 0;
		return true;
	}
	if (l[2 + k] != ':')
		return false;
	*val = l + 3 + k;
	*vlen = n - 3 - k;
	return true;
}

static void copy_val(char *dst, size_t dstsz, const char *v, size_t n)
{
	if (n >= dstsz)
		return;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* Does the BUNDLE group value list 'mid'? */
static bool group_has(const char *g, size_t gl, const char *mid)
{
	size_t ml = strlen(mid);
	if (gl < 7 || strncasecmp(g, "BUNDLE", 6) != 0 || !ml)
		return false;
	const char *p = g + 6, *end = g + gl;
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		const char *t = p;
		while (p < end && *p != ' ')
			p++;
		if ((size_t)(p - t) == ml && memcmp(t, mid, ml) == 0)
			return true;
	}
	return false;
}

int wsdp_remote_parse(const char *sdp, size_t len, int idx, struct wsdp_remote *out)
{
	const char *p = sdp, *end = sdp + len, *eol, *v;
	const char *group = NULL;
	size_t glen = 0, vl;
	int sec = -1;

	memset(out, 0, sizeof(*out));
	for (; p < end; p = eol) {
		size_t n = next_line(p, end, &eol);
		if (n >= 2 && p[0] == 'm' && p[1] == '=') {
			sec++;
			continue;
		}
		if (sec < 0) {
			if (attr_is(p, n, "group", &v, &vl) && !group) {
				group = v;
				glen = vl;
			} else if (attr_is(p, n, "ice-lite", &v, &vl)) {
				out->ice_lite = true;
			}
			continue;
		}
		if (sec != idx)
			continue;
		if (attr_is(p, n, "crypto", &v, &vl)) {
			if (out->ncrypto < WSDP_MAX_CRYPTO && vl < sizeof(out->crypto[0]))
				copy_val(out->crypto[out->ncrypto++], sizeof(out->crypto[0]), v, vl);
		} else if (attr_is(p, n, "mid", &v, &vl)) {
			copy_val(out->mid, sizeof(out->mid), v, vl);
		}
	}
	if (sec < idx || idx < 0)
		return -EINVAL;
	out->bundle = group && group_has(group, glen, out->mid);
	return 0;
}

struct sbuf {
	char *b;
	size_t n, cap;
	bool oom;
};

static void put(struct sbuf *s, const char *p, size_t n)
{
	if (s->oom)
		return;
	if (s->n + n + 1 > s->cap) {
		size_t cap = (s->n + n + 1) * 2;
		char *b = realloc(s->b, cap);
		if (!b) {
			s->oom = true;
			return;
		}
		s->b = b;
		s->cap = cap;
	}
	memcpy(s->b + s->n, p, n);
	s->n += n;
	s->b[s->n] = '\0';
}

static void putf(struct sbuf *s, const char *a, const char *b)
{
	put(s, a, strlen(a));
	if (b)
		put(s, b, strlen(b));
	put(s, "\r\n", 2);
}

static void session_attrs(struct sbuf *s, const struct wsdp_local *w)
{
	if (w->ice_ufrag && w->ice_ufrag[0])
		putf(s, "a=ice-lite", NULL);
	if (w->bundle && w->mid && w->mid[0])
		putf(s, "a=group:BUNDLE ", w->mid);
}

static void media_attrs(struct sbuf *s, const struct wsdp_local *w)
{
	char cand[160];
	if (w->mid && w->mid[0])
		putf(s, "a=mid:", w->mid);
	for (size_t i = 0; i < WSDP_MAX_CRYPTO; i++)
		if (w->crypto[i] && w->crypto[i][0])
			putf(s, "a=crypto:", w->crypto[i]);
	if (w->ice_ufrag && w->ice_ufrag[0]) {
		putf(s, "a=ice-ufrag:", w->ice_ufrag);
		putf(s, "a=ice-pwd:", w->ice_pwd);
		if (w->cand_addr) {
			/* One host candidate, component 1 (rtcp-mux), highest
			 * type preference. */
			snprintf(cand, sizeof(cand), "1 1 udp 2130706431 %s %u typ host", w->cand_addr,
				 w->cand_port);
			putf(s, "a=candidate:", cand);
			putf(s, "a=end-of-candidates", NULL);
		}
	}
	if (w->fingerprint && w->fingerprint[0])
		putf(s, "a=fingerprint:", w->fingerprint);
	if (w->setup && w->setup[0])
		putf(s, "a=setup:", w->setup);
	if (w->rtcp_mux)
		putf(s, "a=rtcp-mux", NULL);
}

/* "m=audio 1234 RTP/AVP 0 8" with the profile replaced. */
static void m_line(struct sbuf *s, const char *l, size_t n, const char *proto)
{
	const char *sp1 = memchr(l, ' ', n);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l)) : NULL;
	const char *sp3 = sp2 ? memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - l)) : NULL;
	if (!proto || !sp2) {
		put(s, l, n);
		put(s, "\r\n", 2);
		return;
	}
	put(s, l, (size_t)(sp2 + 1 - l));
	put(s, proto, strlen(proto));
	if (sp3)
		put(s, sp3, n - (size_t)(sp3 - l));
	put(s, "\r\n", 2);
}

static bool m_active(const char *l, size_t n)
{
	const char *sp = memchr(l, ' ', n);
	return sp && (size_t)(sp + 1 - l) < n && sp[1] != '0';
}

char *wsdp_decorate(const char *sdp, size_t len, const struct wsdp_local *w, size_t *outlen)
{
	struct sbuf s = { 0 };
	const char *p = sdp, *end = sdp + len, *eol;
	bool in_media = false, in_active = false, done = false;

	for (; p < end; p = eol) {
		size_t n = next_line(p, end, &eol);
		bool is_m = n >= 2 && p[0] == 'm' && p[1] == '=';
		if (is_m && !in_media)
			session_attrs(&s, w);
		if (is_m && in_active)
			media_attrs(&s, w);
		if (is_m) {
			in_media = true;
			in_active = !done && m_active(p, n);
			if (in_active) {
				done = true;
				m_line(&s, p, n, w->proto);
				continue;
			}
		}
		if (n) {
			put(&s, p, n);
			put(&s, "\r\n", 2);
		}
	}
	if (in_active)
		media_attrs(&s, w);
	/* no active stream (every port 0: a refusal): nothing to decorate */
	if (s.oom) {
		free(s.b);
		return NULL;
	}
	if (outlen)
		*outlen = s.n;
	return s.b;
}
