/* sdp_g711.c - SDP models for the gateway's own G.711 endpoints (echo,
 * milliwatt) and for its own late offers. The models carry no address or
 * port of ours: msdp_anchor() adds those and the leg's origin.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "media/sdp.h"
#include "media/sdp_priv.h"

#define LOCAL_USER "tandem"
#define LOCAL_PTIME 20
#define TE_PT 101

/* UDP RTP profiles. Secure ones are terminated on the caller's leg (its
 * keys are added by the session: sec_neg.h), so the endpoint itself only
 * ever sees plain RTP. */
static bool plain_rtp(const char *proto)
{
	return strcasecmp(proto, "RTP/AVP") == 0 || strcasecmp(proto, "RTP/AVPF") == 0 ||
	       strcasecmp(proto, "RTP/SAVP") == 0 || strcasecmp(proto, "RTP/SAVPF") == 0 ||
	       strcasecmp(proto, "UDP/TLS/RTP/SAVP") == 0 || strcasecmp(proto, "UDP/TLS/RTP/SAVPF") == 0;
}

static const struct msdp_codec *first_g711(const struct msdp_stream *st)
{
	size_t nc = st->ncodecs < MSDP_MAX_CODECS ? st->ncodecs : MSDP_MAX_CODECS;

	for (size_t i = 0; i < nc; i++) {
		const struct msdp_codec *c = &st->codecs[i];
		if ((strcasecmp(c->name, "PCMU") == 0 || strcasecmp(c->name, "PCMA") == 0) &&
		    c->rate == 8000 && c->channels <= 1)
			return c;
	}
	return NULL;
}

/* The transport-level part of a stream, without codecs or attributes. */
static void copy_shape(const struct msdp_stream *src, struct msdp_stream *dst)
{
	memcpy(dst->media, src->media, sizeof(dst->media));
	memcpy(dst->proto, src->proto, sizeof(dst->proto));
	memcpy(dst->addr, src->addr, sizeof(dst->addr));
	memcpy(dst->fmt_raw, src->fmt_raw, sizeof(dst->fmt_raw));
	dst->ipv6 = src->ipv6;
}

static void reject_stream(const struct msdp_stream *src, struct msdp_stream *dst)
{
	/* RFC 3264 6: a rejected stream keeps its m= line, port 0, and at
	 * least one of the offered formats. */
	copy_shape(src, dst);
	dst->ncodecs = src->ncodecs < MSDP_MAX_CODECS ? src->ncodecs : MSDP_MAX_CODECS;
	memcpy(dst->codecs, src->codecs, dst->ncodecs * sizeof(dst->codecs[0]));
	dst->port = 0;
	dst->dir = MSDP_INACTIVE;
}

static void accept_stream(const struct msdp_stream *src, struct msdp_stream *dst,
			  const struct msdp_codec *g711)
{
	const struct msdp_codec *te = msdp_codec_by_name(src, "telephone-event", 8000);

	copy_shape(src, dst);
	dst->port = src->port; /* placeholder: msdp_anchor() puts ours */
	dst->rtcp_port = src->port < 65535 ? (uint16_t)(src->port + 1) : 0;
	dst->codecs[dst->ncodecs++] = *g711;
	if (te)
		dst->codecs[dst->ncodecs++] = *te;
	dst->ptime = LOCAL_PTIME;
	dst->dir = msdp_dir_reverse(msdp_stream_dir(src));
}

int msdp_answer_g711(const struct msdp *offer, struct msdp *answer_model, int *pt_out)
{
	size_t ns = offer->nstreams < MSDP_MAX_STREAMS ? offer->nstreams : MSDP_MAX_STREAMS;
	int chosen = -1;

	memset(answer_model, 0, sizeof(*answer_model));
	strcpy(answer_model->origin_user, LOCAL_USER);
	strcpy(answer_model->session_name, LOCAL_USER);
	answer_model->nstreams = ns;
	for (size_t i = 0; i < ns; i++) {
		const struct msdp_stream *src = &offer->streams[i];
		const struct msdp_codec *g711 = NULL;

		if (chosen < 0 && src->port && strcasecmp(src->media, "audio") == 0 &&
		    plain_rtp(src->proto))
			g711 = first_g711(src);
		if (g711) {
			accept_stream(src, &answer_model->streams[i], g711);
			chosen = g711->pt;
		} else {
			reject_stream(src, &answer_model->streams[i]);
		}
	}
	if (chosen < 0) {
		msdp_clear(answer_model);
		return -ENOTSUP;
	}
	if (pt_out)
		*pt_out = chosen;
	return 0;
}

static void set_codec(struct msdp_codec *c, uint8_t pt, const char *name, const char *fmtp)
{
	memset(c, 0, sizeof(*c));
	c->pt = pt;
	msdp_copy_fit(c->name, sizeof(c->name), name);
	c->rate = 8000;
	c->channels = 1;
	msdp_copy_fit(c->fmtp, sizeof(c->fmtp), fmtp);
}

int msdp_offer_g711(struct msdp *model)
{
	struct msdp_stream *st = &model->streams[0];

	memset(model, 0, sizeof(*model));
	strcpy(model->origin_user, LOCAL_USER);
	strcpy(model->session_name, LOCAL_USER);
	model->nstreams = 1;
	strcpy(st->media, "audio");
	strcpy(st->proto, "RTP/AVP");
	st->port = 9;      /* placeholder (discard port): msdp_anchor() puts ours */
	st->rtcp_port = 10;
	set_codec(&st->codecs[0], 0, "PCMU", "");
	set_codec(&st->codecs[1], 8, "PCMA", "");
	set_codec(&st->codecs[2], TE_PT, "telephone-event", "0-16");
	st->ncodecs = 3;
	st->ptime = LOCAL_PTIME;
	st->dir = MSDP_SENDRECV;
	return 0;
}
