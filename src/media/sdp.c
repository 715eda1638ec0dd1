/* sdp.c - the SDP model: lifetime (clear/copy), directions, codec look-ups
 * and the attribute pass-through rule. Parsing is in sdp_parse.c, printing
 * in sdp_print.c, anchoring in sdp_anchor.c, local-endpoint models in
 * sdp_g711.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/sdp.h"
#include "media/sdp_priv.h"

bool msdp_copy_fit(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (size == 0)
		return false;
	if (n >= size) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

bool msdp_text_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

void msdp_clear(struct msdp *s)
{
	if (!s)
		return;
	free_strv(s->sess_extra, s->nsess_extra < MSDP_MAX_EXTRA ? s->nsess_extra : MSDP_MAX_EXTRA);
	for (size_t i = 0; i < s->nstreams && i < MSDP_MAX_STREAMS; i++) {
		struct msdp_stream *st = &s->streams[i];
		free_strv(st->extra, st->nextra < MSDP_MAX_EXTRA ? st->nextra : MSDP_MAX_EXTRA);
	}
	memset(s, 0, sizeof(*s));
}

/* Duplicate n strings of 'from' into 'to' (which already holds the same
 * pointers after the struct copy). On failure the remaining slots are set
 * to NULL so msdp_clear() frees only what we own. */
static int dup_strv(char **to, char *const *from, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		to[i] = from[i] ? strdup(from[i]) : NULL;
		if (from[i] && !to[i]) {
			for (size_t j = i + 1; j < n; j++)
				to[j] = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

int msdp_copy(struct msdp *dst, const struct msdp *src)
{
	int rc;

	if (dst == src)
		return 0;
	memcpy(dst, src, sizeof(*dst));
	if (dst->nstreams > MSDP_MAX_STREAMS)
		dst->nstreams = MSDP_MAX_STREAMS;
	if (dst->nsess_extra > MSDP_MAX_EXTRA)
		dst->nsess_extra = MSDP_MAX_EXTRA;
	/* Null every pointer first: a failure part-way leaves a value that
	 * msdp_clear() can free without touching src's strings. */
	for (size_t i = 0; i < dst->nstreams; i++) {
		struct msdp_stream *st = &dst->streams[i];
		if (st->nextra > MSDP_MAX_EXTRA)
			st->nextra = MSDP_MAX_EXTRA;
		memset(st->extra, 0, sizeof(st->extra));
	}
	memset(dst->sess_extra, 0, sizeof(dst->sess_extra));

	rc = dup_strv(dst->sess_extra, src->sess_extra, dst->nsess_extra);
	for (size_t i = 0; rc == 0 && i < dst->nstreams; i++)
		rc = dup_strv(dst->streams[i].extra, src->streams[i].extra,
			      dst->streams[i].nextra);
	if (rc)
		msdp_clear(dst);
	return rc;
}

enum msdp_dir msdp_dir_reverse(enum msdp_dir d)
{
	switch (d) {
	case MSDP_SENDONLY: return MSDP_RECVONLY;
	case MSDP_RECVONLY: return MSDP_SENDONLY;
	default:            return d;
	}
}

const char *msdp_dir_name(enum msdp_dir d)
{
	switch (d) {
	case MSDP_SENDONLY: return "sendonly";
	case MSDP_RECVONLY: return "recvonly";
	case MSDP_INACTIVE: return "inactive";
	default:            return "sendrecv";
	}
}

enum msdp_dir msdp_stream_dir(const struct msdp_stream *st)
{
	if (!st->hold_zero_addr)
		return st->dir;
	/* The peer gave no address to send to: whatever it says, it does not
	 * receive. */
	switch (st->dir) {
	case MSDP_SENDRECV: return MSDP_SENDONLY;
	case MSDP_RECVONLY: return MSDP_INACTIVE;
	default:            return st->dir;
	}
}

bool msdp_proto_is_rtp(const char *proto)
{
	return proto && (strcasestr(proto, "RTP/AVP") || strcasestr(proto, "RTP/SAVP"));
}

const struct msdp_codec *msdp_codec_by_pt(const struct msdp_stream *st, unsigned pt)
{
	for (size_t i = 0; i < st->ncodecs && i < MSDP_MAX_CODECS; i++)
		if (st->codecs[i].pt == pt)
			return &st->codecs[i];
	return NULL;
}

const struct msdp_codec *msdp_codec_by_name(const struct msdp_stream *st,
					    const char *name, uint32_t rate)
{
	for (size_t i = 0; i < st->ncodecs && i < MSDP_MAX_CODECS; i++) {
		const struct msdp_codec *c = &st->codecs[i];
		if (strcasecmp(c->name, name) == 0 && (rate == 0 || c->rate == rate))
			return c;
	}
	return NULL;
}

/* Transport and topology attributes: the gateway terminates transport, so
 * what one peer says about its candidates, keys, SSRCs, RTP header
 * extensions or bundling is meaningless (or harmful) to the other peer.
 * rtcp-fb and rtcp-xr are here too: the gateway rewrites SSRC/sequence and may
 * transcode, so feedback cannot be honoured end to end, and rtcp-fb is only
 * valid with AVPF profiles while the other leg may be plain AVP. The last
 * group is what the model holds in fields, printed from there. */
static const char *const dropped_attrs[] = {
	"candidate", "remote-candidates", "end-of-candidates",
	"ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch", "ice-pacing",
	"fingerprint", "setup", "connection", "tls-id", "dtls-id",
	"crypto", "key-mgmt", "zrtp-hash",
	"rtcp", "rtcp-mux", "rtcp-mux-only", "rtcp-rsize", "rtcp-fb", "rtcp-xr",
	"ssrc", "ssrc-group", "mid", "group", "msid", "msid-semantic",
	"extmap", "extmap-allow-mixed", "rid", "simulcast", "bundle-only",
	"sctp-port", "sctpmap", "max-message-size",
	"rtpmap", "fmtp", "ptime", "maxptime",
	"sendrecv", "sendonly", "recvonly", "inactive",
};

bool msdp_attr_passes(const char *name)
{
	if (!name || !*name)
		return false;
	for (size_t i = 0; i < sizeof(dropped_attrs) / sizeof(dropped_attrs[0]); i++)
		if (strcasecmp(name, dropped_attrs[i]) == 0)
			return false;
	/* Families we do not list one by one. */
	if (strncasecmp(name, "ice-", 4) == 0 || strncasecmp(name, "x-google-", 9) == 0)
		return false;
	return true;
}
