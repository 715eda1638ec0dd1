/* sdp_print.c - struct msdp to SDP text (CRLF lines).
 *
 * We print ourselves rather than through sofia's sdp_print(): the model is
 * ours, and the layout rules (rtpmap for static payload types, explicit
 * direction, when a=rtcp appears) are decisions documented in sdp.h.
 * Every line is scrubbed of control characters, so a model filled by any
 * code can never inject a line into the output.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static bool sb_reserve(struct sbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* Append one formatted line plus CRLF; control characters inside the line
 * become spaces. */
__attribute__((format(printf, 2, 3)))
static void sb_line(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_reserve(b, (size_t)n + 2)) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b->p[b->len + (size_t)i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			b->p[b->len + (size_t)i] = ' ';
	}
	b->len += (size_t)n;
	memcpy(b->p + b->len, "\r\n", 3);
	b->len += 2;
}

static const char *ipver(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

/* The session c= address: the first active stream's, else the origin's. */
static const char *session_addr(const struct msdp *s, size_t nstreams)
{
	for (size_t i = 0; i < nstreams; i++)
		if (s->streams[i].port && s->streams[i].addr[0])
			return s->streams[i].addr;
	return s->origin_addr[0] ? s->origin_addr : "0.0.0.0";
}

/* The m= format list into buf (always NUL-terminated, whole tokens). */
static void format_list(const struct msdp_stream *st, char *buf, size_t size)
{
	size_t used = 0;
	size_t nc = st->ncodecs < MSDP_MAX_CODECS ? st->ncodecs : MSDP_MAX_CODECS;

	buf[0] = '\0';
	if (msdp_proto_is_rtp(st->proto) && nc) {
		for (size_t i = 0; i < nc; i++) {
			int n = snprintf(buf + used, size - used, "%s%u", used ? " " : "",
					 (unsigned)st->codecs[i].pt);
			if (n < 0 || (size_t)n >= size - used) {
				buf[used] = '\0';
				break;
			}
			used += (size_t)n;
		}
	} else if (st->fmt_raw[0]) {
		snprintf(buf, size, "%.*s", (int)sizeof(st->fmt_raw), st->fmt_raw);
	}
	if (!buf[0])
		snprintf(buf, size, "%s", msdp_proto_is_rtp(st->proto) ? "0" : "*");
}

static void print_codecs(struct sbuf *b, const struct msdp_stream *st)
{
	size_t nc = st->ncodecs < MSDP_MAX_CODECS ? st->ncodecs : MSDP_MAX_CODECS;

	if (!msdp_proto_is_rtp(st->proto))
		return;
	for (size_t i = 0; i < nc; i++) {
		const struct msdp_codec *c = &st->codecs[i];
		if (c->name[0]) {
			if (c->channels > 1)
				sb_line(b, "a=rtpmap:%u %.*s/%" PRIu32 "/%u", (unsigned)c->pt,
					(int)sizeof(c->name), c->name, c->rate, (unsigned)c->channels);
			else
				sb_line(b, "a=rtpmap:%u %.*s/%" PRIu32, (unsigned)c->pt,
					(int)sizeof(c->name), c->name, c->rate);
		}
		if (c->fmtp[0])
			sb_line(b, "a=fmtp:%u %.*s", (unsigned)c->pt, (int)sizeof(c->fmtp), c->fmtp);
	}
}

static void print_transport(struct sbuf *b, const struct msdp_stream *st)
{
	if ((st->rtcp_port && st->rtcp_port != (uint16_t)(st->port + 1)) || st->rtcp_addr[0]) {
		uint16_t rp = st->rtcp_port ? st->rtcp_port : (uint16_t)(st->port + 1);
		if (st->rtcp_addr[0])
			sb_line(b, "a=rtcp:%u IN %s %.*s", (unsigned)rp, ipver(st->rtcp_addr),
				(int)sizeof(st->rtcp_addr), st->rtcp_addr);
		else
			sb_line(b, "a=rtcp:%u", (unsigned)rp);
	}
	if (st->rtcp_mux)
		sb_line(b, "a=rtcp-mux");
	if (st->ice_ufrag[0])
		sb_line(b, "a=ice-ufrag:%.*s", (int)sizeof(st->ice_ufrag), st->ice_ufrag);
	if (st->ice_pwd[0])
		sb_line(b, "a=ice-pwd:%.*s", (int)sizeof(st->ice_pwd), st->ice_pwd);
	if (st->fingerprint[0])
		sb_line(b, "a=fingerprint:%.*s", (int)sizeof(st->fingerprint), st->fingerprint);
	if (st->setup[0])
		sb_line(b, "a=setup:%.*s", (int)sizeof(st->setup), st->setup);
}

static void print_stream(struct sbuf *b, const struct msdp_stream *st, const char *sess_addr)
{
	char fmts[MSDP_MAX_CODECS * 4 + sizeof(st->fmt_raw) + 8];
	size_t ne = st->nextra < MSDP_MAX_EXTRA ? st->nextra : MSDP_MAX_EXTRA;

	format_list(st, fmts, sizeof(fmts));
	sb_line(b, "m=%.*s %u %.*s %s", (int)sizeof(st->media), st->media[0] ? st->media : "audio",
		(unsigned)st->port, (int)sizeof(st->proto), st->proto[0] ? st->proto : "RTP/AVP",
		fmts);
	if (st->port == 0)
		return; /* rejected: the m= line says it all */
	if (st->addr[0] && strncmp(st->addr, sess_addr, sizeof(st->addr)) != 0)
		sb_line(b, "c=IN %s %.*s", ipver(st->addr), (int)sizeof(st->addr), st->addr);
	print_codecs(b, st);
	if (st->ptime)
		sb_line(b, "a=ptime:%u", st->ptime);
	if (st->maxptime)
		sb_line(b, "a=maxptime:%u", st->maxptime);
	print_transport(b, st);
	sb_line(b, "a=%s", msdp_dir_name(st->dir));
	for (size_t i = 0; i < ne; i++)
		if (st->extra[i] && st->extra[i][0])
			sb_line(b, "a=%s", st->extra[i]);
}

char *msdp_print(const struct msdp *s, size_t *len)
{
	struct sbuf b = { 0 };
	size_t ns = s->nstreams < MSDP_MAX_STREAMS ? s->nstreams : MSDP_MAX_STREAMS;
	size_t ne = s->nsess_extra < MSDP_MAX_EXTRA ? s->nsess_extra : MSDP_MAX_EXTRA;
	const char *caddr = session_addr(s, ns);
	const char *oaddr = s->origin_addr[0] ? s->origin_addr : caddr;

	sb_line(&b, "v=0");
	sb_line(&b, "o=%.*s %" PRIu64 " %" PRIu64 " IN %s %.*s",
		(int)sizeof(s->origin_user), s->origin_user[0] ? s->origin_user : "-",
		s->sess_id, s->sess_version, ipver(oaddr), (int)sizeof(s->origin_addr), oaddr);
	sb_line(&b, "s=%.*s", (int)sizeof(s->session_name),
		s->session_name[0] ? s->session_name : "-");
	sb_line(&b, "c=IN %s %.*s", ipver(caddr), (int)sizeof(s->origin_addr), caddr);
	sb_line(&b, "t=0 0");
	for (size_t i = 0; i < ne; i++)
		if (s->sess_extra[i] && s->sess_extra[i][0])
			sb_line(&b, "a=%s", s->sess_extra[i]);
	for (size_t i = 0; i < ns; i++)
		print_stream(&b, &s->streams[i], caddr);

	if (b.oom || !b.p) {
		free(b.p);
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.p;
}
