/* sdp_parse.c - SDP text to struct msdp, on top of sofia-sip's sdp_parse().
 *
 * Sofia does the tokenising; we turn its tree into our fixed-size model and
 * apply the checks that decide whether the gateway can use the SDP at all.
 * Sofia is run with sdp_f_mode_manual (direction attributes stay in the
 * attribute lists, so we apply one precedence rule ourselves) and
 * sdp_f_c_missing (we check for c= ourselves, to give our own reason).
 *
 * Sofia fills m_rtpmaps only for RTP/AVP and RTP/SAVP; for the other RTP
 * profiles (RTP/AVPF, UDP/TLS/RTP/SAVPF, ...) it leaves the formats in
 * m_format and a=rtpmap/a=fmtp in the raw attributes, which we read here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>

#include "media/sdp.h"
#include "media/sdp_priv.h"

/* RFC 4566 token characters: what an encoding name may be made of. */
#define TOKEN_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" \
	"!#$%&'*+-.^_`{|}~"

struct pctx {
	char *why;
	size_t whylen;
};

/* Session-level values that streams inherit. */
struct sess_defaults {
	const sdp_connection_t *conn;
	enum msdp_dir dir;
	const sdp_attribute_t *attrs;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct pctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why && c->whylen) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool parse_dir(const char *name, enum msdp_dir *dir)
{
	static const struct { const char *name; enum msdp_dir dir; } dirs[] = {
		{ "sendrecv", MSDP_SENDRECV }, { "sendonly", MSDP_SENDONLY },
		{ "recvonly", MSDP_RECVONLY }, { "inactive", MSDP_INACTIVE },
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (strcasecmp(name, dirs[i].name) == 0) {
			*dir = dirs[i].dir;
			return true;
		}
	}
	return false;
}

/* Strict unsigned decimal: digits only, at most 'max'. *end gets the first
 * byte after the digits. */
static bool parse_uint(const char *s, unsigned long max, unsigned long *out, const char **end)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return false;
	}
	*out = v;
	if (end)
		*end = p;
	return true;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "PT rest" with PT matching 'pt': returns rest, or NULL. */
static const char *attr_for_pt(const char *value, unsigned pt)
{
	unsigned long v;
	const char *end;

	if (!value || !parse_uint(skip_ws(value), 127, &v, &end) || v != pt)
		return NULL;
	if (*end != ' ' && *end != '\t')
		return NULL;
	return skip_ws(end);
}

static const char *find_raw(const sdp_attribute_t *a, const char *name, unsigned pt)
{
	for (; a; a = a->a_next) {
		const char *rest;
		if (a->a_name && strcasecmp(a->a_name, name) == 0 &&
		    (rest = attr_for_pt(a->a_value, pt)))
			return rest;
	}
	return NULL;
}

static void set_channels(struct msdp_codec *c, const char *params)
{
	unsigned long ch;
	const char *end;

	if (params && parse_uint(params, 255, &ch, &end) && *end == '\0' && ch > 0)
		c->channels = (uint8_t)ch;
}

/* "name/rate[/channels]" from a raw a=rtpmap. Malformed: codec keeps no name. */
static void parse_raw_rtpmap(struct msdp_codec *c, const char *s)
{
	const char *slash = strchr(s, '/');
	unsigned long rate;
	const char *end;
	size_t n;

	if (!slash || slash == s)
		return;
	n = (size_t)(slash - s);
	if (n >= sizeof(c->name) || strspn(s, TOKEN_CHARS) < n ||
	    !parse_uint(slash + 1, UINT32_MAX, &rate, &end))
		return;
	if (*end != '\0' && *end != '/' && *end != ' ' && *end != '\t')
		return;
	memcpy(c->name, s, n);
	c->name[n] = '\0';
	c->rate = (uint32_t)rate;
	if (*end == '/')
		set_channels(c, end + 1);
}

/* Keep as many whole ';'-separated parameters as fit: a parameter cut in the
 * middle could mean something else (a shorter profile-level-id, a broken
 * sprop-parameter-sets), a missing one only means "default". */
static void set_fmtp(struct msdp_codec *c, const char *fmtp)
{
	size_t n = strlen(fmtp);

	while (n > 0 && (fmtp[n - 1] == ' ' || fmtp[n - 1] == '\t'))
		n--;
	if (n >= sizeof(c->fmtp)) {
		n = sizeof(c->fmtp) - 1;
		while (n > 0 && fmtp[n] != ';')
			n--;
		while (n > 0 && (fmtp[n - 1] == ' ' || fmtp[n - 1] == ';'))
			n--;
	}
	memcpy(c->fmtp, fmtp, n);
	c->fmtp[n] = '\0';
	if (!msdp_text_clean(c->fmtp))
		c->fmtp[0] = '\0';
}

static const sdp_rtpmap_t *find_rm(const sdp_media_t *m, unsigned pt)
{
	for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next)
		if (rm->rm_pt == pt && !rm->rm_any)
			return rm;
	return NULL;
}

static void fill_codec(const sdp_media_t *m, unsigned pt, struct msdp_codec *c)
{
	const sdp_rtpmap_t *rm = find_rm(m, pt);
	const char *raw;

	memset(c, 0, sizeof(*c));
	c->pt = (uint8_t)pt;
	c->channels = 1;
	if (rm && !rm->rm_predef && rm->rm_encoding && *rm->rm_encoding &&
	    msdp_copy_fit(c->name, sizeof(c->name), rm->rm_encoding)) {
		c->rate = rm->rm_rate > UINT32_MAX ? 0 : (uint32_t)rm->rm_rate;
		set_channels(c, rm->rm_params);
	} else if ((raw = find_raw(m->m_attributes, "rtpmap", pt))) {
		parse_raw_rtpmap(c, raw);
	}
	if (!c->name[0] && pt < 128 && sdp_rtpmap_well_known[pt]) {
		const sdp_rtpmap_t *wk = sdp_rtpmap_well_known[pt];
		msdp_copy_fit(c->name, sizeof(c->name), wk->rm_encoding);
		c->rate = (uint32_t)wk->rm_rate;
		set_channels(c, wk->rm_params);
	}
	if (!msdp_text_clean(c->name))
		c->name[0] = '\0';
	if (rm && rm->rm_fmtp)
		set_fmtp(c, rm->rm_fmtp);
	else if ((raw = find_raw(m->m_attributes, "fmtp", pt)))
		set_fmtp(c, raw);
}

static bool have_pt(const struct msdp_stream *st, unsigned pt)
{
	return msdp_codec_by_pt(st, pt) != NULL;
}

static void add_pt(const sdp_media_t *m, struct msdp_stream *st, unsigned pt)
{
	if (st->ncodecs >= MSDP_MAX_CODECS || have_pt(st, pt))
		return;
	fill_codec(m, pt, &st->codecs[st->ncodecs++]);
}

/* Formats of an RTP profile: payload types 0..127. */
static int parse_rtp_formats(const sdp_media_t *m, struct msdp_stream *st, size_t idx,
			     struct pctx *c)
{
	if (m->m_rtpmaps) {
		for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next)
			if (!rm->rm_any)
				add_pt(m, st, rm->rm_pt);
		return 0;
	}
	for (const sdp_list_t *l = m->m_format; l; l = l->l_next) {
		unsigned long pt;
		const char *end;
		if (!l->l_text || !parse_uint(l->l_text, 127, &pt, &end) || *end)
			return fail(c, "m= line %zu: bad RTP payload type '%.16s'", idx + 1,
				    l->l_text ? l->l_text : "");
		add_pt(m, st, (unsigned)pt);
	}
	return 0;
}

/* Formats of anything else (udptl t38, TCP/MSRP *, ...): kept as text, whole
 * tokens only. */
static void parse_raw_formats(const sdp_media_t *m, struct msdp_stream *st)
{
	size_t used = 0;

	for (const sdp_list_t *l = m->m_format; l; l = l->l_next) {
		size_t n = l->l_text ? strlen(l->l_text) : 0;
		if (n == 0 || !msdp_text_clean(l->l_text))
			continue;
		if (used + (used ? 1 : 0) + n >= sizeof(st->fmt_raw))
			break;
		if (used)
			st->fmt_raw[used++] = ' ';
		memcpy(st->fmt_raw + used, l->l_text, n + 1);
		used += n;
	}
}

static bool addr_is_any(const char *addr, bool ipv6)
{
	unsigned char b[16];
	static const unsigned char zero[16];

	if (inet_pton(ipv6 ? AF_INET6 : AF_INET, addr, b) != 1)
		return false;
	return memcmp(b, zero, ipv6 ? 16 : 4) == 0;
}

/* An IP literal of the family c= says. Host names are refused: the media
 * side needs an address to send to and must not resolve names per call. */
static int check_addr(const char *what, unsigned addrtype, const char *addr,
		      size_t idx, struct pctx *c)
{
	unsigned char b[16];
	int af = addrtype == sdp_addr_ip6 ? AF_INET6 : AF_INET;

	if (addrtype != sdp_addr_ip4 && addrtype != sdp_addr_ip6)
		return fail(c, "m= line %zu: %s is not IN IP4/IP6", idx + 1, what);
	if (!addr || inet_pton(af, addr, b) != 1)
		return fail(c, "m= line %zu: %s address '%.46s' is not an %s literal", idx + 1,
			    what, addr ? addr : "", af == AF_INET6 ? "IP6" : "IP4");
	return 0;
}

static int parse_conn(const sdp_connection_t *conn, struct msdp_stream *st, size_t idx,
		      struct pctx *c)
{
	int rc;

	if (conn->c_mcast || conn->c_groups > 1)
		return fail(c, "m= line %zu: multicast c= is not supported", idx + 1);
	rc = check_addr("c=", conn->c_addrtype, conn->c_address, idx, c);
	if (rc)
		return rc;
	st->ipv6 = conn->c_addrtype == sdp_addr_ip6;
	msdp_copy_fit(st->addr, sizeof(st->addr), conn->c_address);
	return 0;
}

/* a=rtcp:PORT [IN IP4|IP6 addr] (RFC 3605). */
static int parse_rtcp(const char *v, struct msdp_stream *st, size_t idx, struct pctx *c)
{
	unsigned long port;
	const char *end;
	char net[8], type[8], addr[64];
	int rc;

	if (!v || !parse_uint(skip_ws(v), 65535, &port, &end) || port == 0 ||
	    (*end && *end != ' ' && *end != '\t'))
		return fail(c, "m= line %zu: bad a=rtcp '%.20s'", idx + 1, v ? v : "");
	st->rtcp_port = (uint16_t)port;
	end = skip_ws(end);
	if (!*end)
		return 0;
	if (sscanf(end, "%7s %7s %63s", net, type, addr) != 3 || strcasecmp(net, "IN") != 0)
		return fail(c, "m= line %zu: bad a=rtcp address", idx + 1);
	if (strcasecmp(type, "IP4") == 0)
		rc = check_addr("a=rtcp", sdp_addr_ip4, addr, idx, c);
	else if (strcasecmp(type, "IP6") == 0)
		rc = check_addr("a=rtcp", sdp_addr_ip6, addr, idx, c);
	else
		rc = fail(c, "m= line %zu: a=rtcp address is not IN IP4/IP6", idx + 1);
	if (rc == 0)
		msdp_copy_fit(st->rtcp_addr, sizeof(st->rtcp_addr), addr);
	return rc;
}

static void parse_time_attr(const char *v, unsigned *out)
{
	unsigned long t;

	/* Some peers write "20.0"; the integer part is what matters. */
	if (v && parse_uint(skip_ws(v), 10000, &t, NULL) && t > 0)
		*out = (unsigned)t;
}

/* name or name:value into a malloc'd extra line, when it is clean and short.
 * Returns -ENOMEM only; anything else unfit is silently dropped. */
static int add_extra(char **v, size_t *n, const sdp_attribute_t *a)
{
	size_t nl = strlen(a->a_name), vl = a->a_value ? strlen(a->a_value) : 0;
	char *s;

	if (*n >= MSDP_MAX_EXTRA || nl + 1 + vl > MSDP_MAX_ATTR ||
	    !msdp_text_clean(a->a_name) || (a->a_value && !msdp_text_clean(a->a_value)))
		return 0;
	s = malloc(nl + 1 + vl + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, a->a_name, nl);
	if (a->a_value) {
		s[nl] = ':';
		memcpy(s + nl + 1, a->a_value, vl + 1);
	} else {
		s[nl] = '\0';
	}
	v[(*n)++] = s;
	return 0;
}

/* ICE/DTLS parameters: stream value overrides the session one. Returns true
 * when 'a' was one of them. */
static bool take_transport(const sdp_attribute_t *a, struct msdp_stream *st)
{
	static const struct { const char *name; size_t off, size; } tp[] = {
		{ "ice-ufrag", offsetof(struct msdp_stream, ice_ufrag), sizeof(((struct msdp_stream *)0)->ice_ufrag) },
		{ "ice-pwd", offsetof(struct msdp_stream, ice_pwd), sizeof(((struct msdp_stream *)0)->ice_pwd) },
		{ "fingerprint", offsetof(struct msdp_stream, fingerprint), sizeof(((struct msdp_stream *)0)->fingerprint) },
		{ "setup", offsetof(struct msdp_stream, setup), sizeof(((struct msdp_stream *)0)->setup) },
	};
	for (size_t i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
		if (strcasecmp(a->a_name, tp[i].name) != 0)
			continue;
		char *dst = (char *)st + tp[i].off;
		if (!a->a_value || !msdp_text_clean(a->a_value) ||
		    !msdp_copy_fit(dst, tp[i].size, skip_ws(a->a_value)))
			dst[0] = '\0';
		return true;
	}
	return false;
}

static int parse_stream_attrs(const sdp_media_t *m, struct msdp_stream *st, size_t idx,
			      struct pctx *c)
{
	for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next) {
		const char *n = a->a_name;
		int rc = 0;

		if (!n || parse_dir(n, &st->dir) || take_transport(a, st))
			continue;
		if (strcasecmp(n, "ptime") == 0)
			parse_time_attr(a->a_value, &st->ptime);
		else if (strcasecmp(n, "maxptime") == 0)
			parse_time_attr(a->a_value, &st->maxptime);
		else if (strcasecmp(n, "rtcp") == 0)
			rc = st->port ? parse_rtcp(a->a_value, st, idx, c) : 0;
		else if (strcasecmp(n, "rtcp-mux") == 0)
			st->rtcp_mux = true;
		else if (msdp_attr_passes(n))
			rc = add_extra(st->extra, &st->nextra, a);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_stream(const sdp_media_t *m, const struct sess_defaults *sd,
			struct msdp_stream *st, size_t idx, struct pctx *c)
{
	const sdp_connection_t *conn = m->m_connections ? m->m_connections : sd->conn;
	int rc;

	if (!m->m_type_name || !msdp_copy_fit(st->media, sizeof(st->media), m->m_type_name) ||
	    !msdp_text_clean(st->media))
		return fail(c, "m= line %zu: bad media type", idx + 1);
	if (!m->m_proto_name || !msdp_copy_fit(st->proto, sizeof(st->proto), m->m_proto_name) ||
	    !msdp_text_clean(st->proto))
		return fail(c, "m= line %zu: bad transport protocol", idx + 1);
	if (m->m_port > 65535)
		return fail(c, "m= line %zu: port %lu out of range", idx + 1, m->m_port);
	st->port = (uint16_t)m->m_port;
	st->dir = sd->dir;

	/* Session-level ICE/DTLS parameters first; stream ones override. */
	for (const sdp_attribute_t *a = sd->attrs; a; a = a->a_next)
		if (a->a_name)
			take_transport(a, st);

	if (msdp_proto_is_rtp(st->proto)) {
		rc = parse_rtp_formats(m, st, idx, c);
		if (rc)
			return rc;
	} else {
		parse_raw_formats(m, st);
	}
	if (st->port && st->ncodecs == 0 && !st->fmt_raw[0])
		return fail(c, "m= line %zu: no usable formats", idx + 1);

	if (st->port) {
		if (!conn)
			return fail(c, "m= line %zu: active stream without c= address", idx + 1);
		rc = parse_conn(conn, st, idx, c);
		if (rc)
			return rc;
		st->rtcp_port = st->port < 65535 ? (uint16_t)(st->port + 1) : 0;
	} else if (conn && conn->c_address) {
		/* A rejected stream's address is informative only. */
		st->ipv6 = conn->c_addrtype == sdp_addr_ip6;
		if (msdp_text_clean(conn->c_address))
			msdp_copy_fit(st->addr, sizeof(st->addr), conn->c_address);
	}

	rc = parse_stream_attrs(m, st, idx, c);
	if (rc)
		return rc;
	/* With ICE, c=0.0.0.0 (port 9) means "see the candidates" (RFC 8839),
	 * not an RFC 2543 hold. */
	st->hold_zero_addr = st->port && !st->ice_ufrag[0] && addr_is_any(st->addr, st->ipv6);
	return 0;
}

static int parse_session(const sdp_session_t *sdp, struct msdp *out, struct pctx *c)
{
	struct sess_defaults sd = { sdp->sdp_connection, MSDP_SENDRECV, sdp->sdp_attributes };
	const sdp_origin_t *o = sdp->sdp_origin;
	size_t n = 0;
	int rc;

	if (o) {
		if (o->o_username && msdp_text_clean(o->o_username))
			msdp_copy_fit(out->origin_user, sizeof(out->origin_user), o->o_username);
		out->sess_id = o->o_id;
		out->sess_version = o->o_version;
		if (o->o_address && o->o_address->c_address &&
		    msdp_text_clean(o->o_address->c_address))
			msdp_copy_fit(out->origin_addr, sizeof(out->origin_addr),
				      o->o_address->c_address);
	}
	if (sdp->sdp_subject && msdp_text_clean(sdp->sdp_subject))
		msdp_copy_fit(out->session_name, sizeof(out->session_name), sdp->sdp_subject);

	for (const sdp_attribute_t *a = sdp->sdp_attributes; a; a = a->a_next) {
		if (!a->a_name || parse_dir(a->a_name, &sd.dir))
			continue;
		if (msdp_attr_passes(a->a_name) &&
		    add_extra(out->sess_extra, &out->nsess_extra, a) < 0)
			return -ENOMEM;
	}

	for (const sdp_media_t *m = sdp->sdp_media; m; m = m->m_next)
		n++;
	if (n == 0)
		return fail(c, "no m= line");
	if (n > MSDP_MAX_STREAMS)
		return fail(c, "%zu m= lines (at most %d supported)", n, MSDP_MAX_STREAMS);

	n = 0;
	for (const sdp_media_t *m = sdp->sdp_media; m; m = m->m_next, n++) {
		out->nstreams = n + 1; /* so msdp_clear() frees this stream's extras */
		rc = parse_stream(m, &sd, &out->streams[n], n, c);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- pre-scan ----------------------------------------------------------
 * Debian's sofia-sip 1.12.11 never returns from sdp_parse() on an m= line
 * whose format list holds a token that starts with a non-token character,
 * e.g. "m=audio 9 UDP/TLS/RTP/SAVPF 111 @" or "m=audio 1 RT:/AVP 0": its
 * format loop for profiles other than RTP/AVP and RTP/SAVP does not check
 * token() for failure, so it allocates list nodes until memory runs out
 * (found by tests/fuzz/fuzz_sdp.c). Newer upstreams check it. So every m=
 * line is checked here first, with sofia's own line splitting (any run of
 * CR/LF, leading blanks stripped): media is a token, port is digits with an
 * optional "/count", proto is tokens and '/' (not first), formats are tokens, fields
 * are separated by spaces only (a tab after the proto loops too). Sofia also
 * stops silently at a blank line, ignoring the rest of the body; we refuse a
 * blank line that has anything after it instead. */

static size_t span(const char *s, size_t n, const char *set)
{
	size_t i = 0;

	while (i < n && s[i] && strchr(set, s[i]))
		i++;
	return i;
}

static bool mline_ok(const char *s, size_t n)
{
	size_t i = 0, field = 0;

	/* RFC 4566 separates m= fields with single spaces. Sofia's proto token
	 * skips only spaces after itself, so a tab there (even trailing) sends
	 * it into the same endless loop: no tabs at all. */
	if (memchr(s, '\t', n))
		return false;
	while (i < n) {
		size_t start, flen;
		i += span(s + i, n - i, " ");
		if (i >= n)
			break;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		flen = i - start;
		switch (field++) {
		case 0:  /* media */
			if (span(s + start, flen, TOKEN_CHARS) != flen)
				return false;
			break;
		case 1: { /* port ["/" count] */
			size_t d = span(s + start, flen, "0123456789");
			if (d == 0 || (d < flen && (s[start + d] != '/' ||
				       span(s + start + d + 1, flen - d - 1, "0123456789") != flen - d - 1 ||
				       flen - d - 1 == 0)))
				return false;
			break;
		}
		case 2:  /* proto; a leading '/' would be read as the port count */
			if (s[start] == '/' || span(s + start, flen, TOKEN_CHARS "/") != flen)
				return false;
			break;
		default: /* formats */
			if (span(s + start, flen, TOKEN_CHARS) != flen)
				return false;
			break;
		}
	}
	return true;
}

static int prescan(const char *buf, size_t len, struct pctx *c)
{
	size_t i = 0, lineno = 0;

	while (i < len) {
		size_t start, end;
		i += span(buf + i, len - i, "\r\n");
		if (i >= len)
			break;
		lineno++;
		start = i + span(buf + i, len - i, " \t");
		end = start;
		while (end < len && buf[end] != '\r' && buf[end] != '\n')
			end++;
		if (end == start) {
			if (span(buf + end, len - end, " \t\r\n") != len - end)
				return fail(c, "blank line %zu inside SDP", lineno);
			break;
		}
		if (end - start >= 2 && buf[start] == 'm' && buf[start + 1] == '=' &&
		    !mline_ok(buf + start + 2, end - start - 2))
			return fail(c, "line %zu: malformed m= line", lineno);
		i = end;
	}
	return 0;
}

int msdp_parse(const char *buf, size_t len, struct msdp *out, char *why, size_t whylen)
{
	struct pctx c = { why, whylen };
	su_home_t home[1];
	sdp_parser_t *p;
	sdp_session_t *sdp;
	int rc;

	memset(out, 0, sizeof(*out));
	if (why && whylen)
		why[0] = '\0';
	if (!buf || len == 0)
		return fail(&c, "empty SDP body");
	if (len > MSDP_MAX_BODY)
		return fail(&c, "SDP body of %zu bytes (at most %d)", len, MSDP_MAX_BODY);
	/* Sofia stops at a NUL; what follows it would be silently ignored. */
	if (memchr(buf, '\0', len))
		return fail(&c, "NUL byte in SDP body");
	rc = prescan(buf, len, &c);
	if (rc)
		return rc;

	if (su_home_init(home) < 0)
		return -ENOMEM;
	p = sdp_parse(home, buf, (issize_t)len, sdp_f_mode_manual | sdp_f_c_missing);
	sdp = sdp_session(p);
	if (!sdp) {
		const char *e = sdp_parsing_error(p);
		rc = fail(&c, "unparsable SDP: %s", e ? e : "unknown error");
	} else {
		rc = parse_session(sdp, out, &c);
	}
	sdp_parser_free(p);
	su_home_deinit(home);
	if (rc)
		msdp_clear(out);
	return rc;
}
