/* sdp_ops.c - see sdp_ops.h. */
#include "config.h"
#include "media/sdp_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Codecs the gateway can put in an offer of its own: static payload types
 * where RFC 3551 assigns one, our conventional dynamic numbers otherwise. */
static const struct known_codec {
	const char *name;
	uint8_t pt;
	uint32_t rate;
	uint8_t channels;
	const char *fmtp;
} known[] = {
	{ "PCMU", 0, 8000, 1, "" },
	{ "GSM", 3, 8000, 1, "" },
	{ "G723", 4, 8000, 1, "" },
	{ "PCMA", 8, 8000, 1, "" },
	{ "G722", 9, 8000, 1, "" },
	{ "G729", 18, 8000, 1, "" },
	{ "opus", 111, 48000, 2, "useinbandfec=1" },
	{ "telephone-event", 101, 8000, 1, "0-16" },
};
static const char *const default_prefs[] = { "PCMU", "PCMA", "G722", "opus", NULL };

/* UDP RTP profiles: plain, or secure ones the gateway terminates (the leg's
 * media_security decides whether it accepts them: sec_neg.h). */
static bool is_rtp_proto(const char *proto)
{
	return strcmp(proto, "RTP/AVP") == 0 || strcmp(proto, "RTP/AVPF") == 0 ||
	       strcmp(proto, "RTP/SAVP") == 0 || strcmp(proto, "RTP/SAVPF") == 0 ||
	       strcmp(proto, "UDP/TLS/RTP/SAVP") == 0 || strcmp(proto, "UDP/TLS/RTP/SAVPF") == 0;
}

static bool is_aux(const struct msdp_codec *c)
{
	return strcasecmp(c->name, "telephone-event") == 0 || strcasecmp(c->name, "CN") == 0;
}

int sdpo_pick_stream(const struct msdp *m)
{
	int any = -1;
	for (size_t i = 0; i < m->nstreams; i++) {
		const struct msdp_stream *st = &m->streams[i];
		if (!st->port || !is_rtp_proto(st->proto) || !st->ncodecs)
			continue;
		if (strcmp(st->media, "audio") == 0)
			return (int)i;
		if (any < 0)
			any = (int)i;
	}
	return any;
}

int sdpo_pick_image(const struct msdp *m)
{
	for (size_t i = 0; i < m->nstreams; i++) {
		const struct msdp_stream *st = &m->streams[i];
		if (st->port && !strcasecmp(st->media, "image") && !strcasecmp(st->proto, "udptl"))
			return (int)i;
	}
	return -1;
}

void sdpo_only_stream(struct msdp *m, int keep)
{
	for (size_t i = 0; i < m->nstreams; i++)
		if ((int)i != keep)
			m->streams[i].port = 0;
}

bool sdpo_codec_matches(const struct msdp_codec *c, const char *pref)
{
	char name[32];
	unsigned rate = 0, ch = 0;
	size_t n = strcspn(pref, "/");

	if (n >= sizeof name)
		return false;
	memcpy(name, pref, n);
	name[n] = '\0';
	if (pref[n] == '/' && sscanf(pref + n + 1, "%u/%u", &rate, &ch) < 1)
		return false;
	if (strcasecmp(name, c->name) != 0)
		return false;
	if (rate && rate != c->rate)
		return false;
	return !ch || ch == (c->channels ? c->channels : 1);
}

int sdpo_filter_codecs(struct msdp_stream *st, const char *const *prefs)
{
	size_t out = 0, real = 0;

	for (size_t i = 0; i < st->ncodecs; i++) {
		const struct msdp_codec *c = &st->codecs[i];
		bool keep = !prefs || is_aux(c);
		for (size_t k = 0; prefs && !keep && prefs[k]; k++)
			keep = sdpo_codec_matches(c, prefs[k]);
		if (!keep)
			continue;
		if (!is_aux(c))
			real++;
		if (out != i)
			st->codecs[out] = *c;
		out++;
	}
	st->ncodecs = out;
	return real ? 0 : -ENOTSUP;
}

static void add_codec(struct msdp_stream *st, const struct known_codec *k)
{
	if (st->ncodecs >= MSDP_MAX_CODECS)
		return;
	for (size_t i = 0; i < st->ncodecs; i++)
		if (st->codecs[i].pt == k->pt)
			return;
	struct msdp_codec *c = &st->codecs[st->ncodecs++];
	memset(c, 0, sizeof *c);
	c->pt = k->pt;
	snprintf(c->name, sizeof c->name, "%s", k->name);
	c->rate = k->rate;
	c->channels = k->channels;
	snprintf(c->fmtp, sizeof c->fmtp, "%s", k->fmtp);
}

int sdpo_local_offer(struct msdp *m, const char *const *prefs)
{
	memset(m, 0, sizeof *m);
	snprintf(m->origin_user, sizeof m->origin_user, "tandem");
	snprintf(m->session_name, sizeof m->session_name, "tandem");
	m->nstreams = 1;
	struct msdp_stream *st = &m->streams[0];
	snprintf(st->media, sizeof st->media, "audio");
	snprintf(st->proto, sizeof st->proto, "RTP/AVP");
	snprintf(st->addr, sizeof st->addr, "0.0.0.0");
	st->port = 9;               /* replaced by the leg's port when anchored */
	st->rtcp_port = 10;
	st->dir = MSDP_SENDRECV;
	st->ptime = 20;
	if (!prefs)
		prefs = default_prefs;
	for (size_t i = 0; prefs[i]; i++) {
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
			struct msdp_codec probe = { .rate = known[k].rate, .channels = known[k].channels };
			snprintf(probe.name, sizeof probe.name, "%s", known[k].name);
			if (sdpo_codec_matches(&probe, prefs[i]) && strcmp(known[k].name, "telephone-event"))
				add_codec(st, &known[k]);
		}
	}
	if (!st->ncodecs)
		return -ENOTSUP;
	add_codec(st, &known[sizeof known / sizeof known[0] - 1]);
	return 0;
}

static const struct msdp_codec *find_g711(const struct msdp_stream *st, int *law)
{
	for (size_t i = 0; i < st->ncodecs; i++) {
		const struct msdp_codec *c = &st->codecs[i];
		if (c->rate != 8000)
			continue;
		if (strcasecmp(c->name, "PCMU") == 0) {
			*law = 0;
			return c;
		}
		if (strcasecmp(c->name, "PCMA") == 0) {
			*law = 1;
			return c;
		}
	}
	return NULL;
}

/* Choose the endpoint's codecs from 'from' into 'to'. */
static int endpoint_codecs(const struct msdp_stream *from, enum media_endpoint ep,
			   struct msdp_stream *to, int *ep_pt, int *ep_law)
{
	const struct msdp_codec *main = NULL;

	*ep_law = 0;
	if (ep == MEDIA_ENDPOINT_MILLIWATT) {
		main = find_g711(from, ep_law);
	} else {
		for (size_t i = 0; i < from->ncodecs && !main; i++)
			if (!is_aux(&from->codecs[i]))
				main = &from->codecs[i];
	}
	if (!main)
		return -ENOTSUP;
	*ep_pt = main->pt;
	struct msdp_codec keep[2];
	size_t n = 0;
	keep[n++] = *main;
	/* Echo reflects DTMF events too: keep telephone-event at the codec's rate. */
	const struct msdp_codec *te = msdp_codec_by_name(from, "telephone-event", main->rate);
	if (ep == MEDIA_ENDPOINT_ECHO && te)
		keep[n++] = *te;
	for (size_t i = 0; i < n; i++)
		to->codecs[i] = keep[i];
	to->ncodecs = n;
	return 0;
}

static int first_active(const struct msdp *m)
{
	for (size_t i = 0; i < m->nstreams; i++)
		if (m->streams[i].port)
			return (int)i;
	return -1;
}

static int echo_answer(const struct msdp *offer, struct msdp *ans, int idx, int *ep_pt)
{
	int law;

	memset(ans, 0, sizeof *ans);
	snprintf(ans->origin_user, sizeof ans->origin_user, "tandem");
	snprintf(ans->session_name, sizeof ans->session_name, "tandem");
	ans->nstreams = offer->nstreams;
	for (size_t i = 0; i < offer->nstreams; i++) {
		struct msdp_stream *st = &ans->streams[i];
		const struct msdp_stream *os = &offer->streams[i];
		snprintf(st->media, sizeof st->media, "%s", os->media);
		snprintf(st->proto, sizeof st->proto, "%s", os->proto);
		snprintf(st->addr, sizeof st->addr, "%s", os->addr);
		snprintf(st->fmt_raw, sizeof st->fmt_raw, "%s", os->fmt_raw);
		st->ipv6 = os->ipv6;
		st->ncodecs = os->ncodecs;
		memcpy(st->codecs, os->codecs, os->ncodecs * sizeof os->codecs[0]);
		st->port = 0;
		st->dir = MSDP_INACTIVE;
	}
	struct msdp_stream *st = &ans->streams[idx];
	const struct msdp_stream *os = &offer->streams[idx];
	int rc = endpoint_codecs(os, MEDIA_ENDPOINT_ECHO, st, ep_pt, &law);
	if (rc)
		return rc;
	st->port = os->port;        /* placeholder: msdp_anchor() puts ours */
	st->rtcp_port = (uint16_t)(os->port + 1);
	st->ptime = os->ptime;
	st->dir = msdp_dir_reverse(msdp_stream_dir(os));
	return 0;
}

int sdpo_endpoint_answer(const struct msdp *offer, enum media_endpoint ep, struct msdp *ans,
			 int *idx, int *ep_pt, int *ep_law, bool *ep_send)
{
	int rc;

	*ep_law = 0;
	if (ep == MEDIA_ENDPOINT_MILLIWATT) {
		rc = msdp_answer_g711(offer, ans, ep_pt);
		*idx = rc ? -1 : first_active(ans);
		if (*idx >= 0) {
			const struct msdp_codec *c = msdp_codec_by_pt(&ans->streams[*idx], (unsigned)*ep_pt);
			*ep_law = c && strcasecmp(c->name, "PCMA") == 0;
		}
	} else {
		*idx = sdpo_pick_stream(offer);
		rc = *idx < 0 ? -ENOTSUP : echo_answer(offer, ans, *idx, ep_pt);
	}
	if (rc == 0 && *idx < 0)
		rc = -ENOTSUP;
	if (rc)
		return rc;
	enum msdp_dir d = ans->streams[*idx].dir;
	*ep_send = d == MSDP_SENDRECV || d == MSDP_SENDONLY;
	return 0;
}

int sdpo_endpoint_from_answer(const struct msdp_stream *ans, enum media_endpoint ep,
			      int *ep_pt, int *ep_law, bool *ep_send)
{
	struct msdp_stream tmp;
	int rc;

	if (!ans->port)
		return -ENOTSUP;
	tmp.ncodecs = 0;
	rc = endpoint_codecs(ans, ep, &tmp, ep_pt, ep_law);
	if (rc)
		return rc;
	enum msdp_dir d = msdp_stream_dir(ans);
	*ep_send = d == MSDP_SENDRECV || d == MSDP_RECVONLY;
	return 0;
}
