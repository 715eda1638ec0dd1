/* transcode_plan.c - the media plan of two agreed legs: pass-through payload
 * type maps, or transcoding, and the telephone-event mapping of either (see
 * transcode_neg.h). */
#include "config.h"
#include "media/transcode_neg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct xleg_codec *leg_main(const struct xleg *l)
{
	return l->main >= 0 ? &l->c[l->main] : NULL;
}

static bool fmtp_compatible(const struct xleg_codec *a, const char *fa, const char *fb)
{
	const struct tandem_codec_negotiation *n = a->cat && a->cat->tc ? a->cat->tc->negotiation : NULL;

	if (!n || !n->fmtp_compatible)     /* part of ABI 1.0 */
		return true;
	return n->fmtp_compatible(fa, fb);
}

static void set_act(struct rmap *m, uint8_t pt, enum rmap_act act, uint8_t out_pt)
{
	if (pt >= 128)
		return;
	m->act[pt] = (uint8_t)act;
	m->out_pt[pt] = out_pt;
}

/* Both payload types a leg may use for a codec: the one it asked to receive
 * and the one we told it to send (they differ only with sloppy peers). The
 * latter wins a conflict. */
static void set_both(struct rmap *m, const struct xleg_codec *c, enum rmap_act act, uint8_t out_pt)
{
	if (c->c.pt < 128 && m->act[c->c.pt] == RM_DROP)
		set_act(m, c->c.pt, act, out_pt);
	set_act(m, c->rpt, act, out_pt);
}

/* The other leg's telephone-event: the one at its audio clock, else any. */
static const struct xleg_codec *pick_te(const struct xleg *o)
{
	const struct xleg_codec *m = leg_main(o), *any = NULL;

	for (size_t i = 0; i < o->n; i++) {
		if (!xcodec_is_te(&o->c[i].c))
			continue;
		if (m && o->c[i].c.rate == m->c.rate)
			return &o->c[i];
		if (!any)
			any = &o->c[i];
	}
	return any;
}

static void add_ev_in(struct rmap *m, uint8_t pt, uint32_t rate)
{
	for (unsigned i = 0; i < m->nev; i++)
		if (m->ev_in[i].pt == pt)
			return;
	if (m->nev < RMAP_MAX_EV) {
		m->ev_in[m->nev].pt = pt;
		m->ev_in[m->nev].rate = rate;
		m->nev++;
	}
}

/* Decoding only for DTMF is worth it for G.711 (a table lookup), not for
 * codecs that lose quality and cost a core's share at every re-encode. */
static bool is_g711(const struct xcodec *c)
{
	return c->rate == 8000 && (strcasecmp(c->name, "PCMU") == 0 || strcasecmp(c->name, "PCMA") == 0);
}

static bool has_te(const struct xleg *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (xcodec_is_te(&l->c[i].c))
			return true;
	return false;
}

/* 'out' took no telephone-event: with 'tones' (the direction is decoded)
 * in's events are played in-band, else they are dropped (RM_DROP). */
static void map_tones(struct rmap *m, const struct xleg *in, bool tones)
{
	for (size_t i = 0; tones && i < in->n; i++) {
		const struct xleg_codec *c = &in->c[i];
		if (!xcodec_is_te(&c->c))
			continue;
		set_both(m, c, RM_TONE, 0);
		add_ev_in(m, c->rpt, c->c.rate);
		add_ev_in(m, c->c.pt, c->c.rate);
	}
}

/* Events from 'in' to 'out': mapped when 'out' accepted telephone-event,
 * else played in-band (tones) or left at RM_DROP (never sent with a PT the
 * receiver did not accept). */
static void map_events(struct rmap *m, const struct xleg *in, const struct xleg *out, bool tones)
{
	const struct xleg_codec *te = pick_te(out);

	if (!te) {
		map_tones(m, in, tones);
		return;
	}
	m->ev_out_pt = te->c.pt;
	m->ev_out_rate = te->c.rate;
	for (size_t i = 0; i < in->n; i++) {
		const struct xleg_codec *c = &in->c[i];
		if (!xcodec_is_te(&c->c))
			continue;
		set_both(m, c, RM_EVENT, te->c.pt);
		add_ev_in(m, c->rpt, c->c.rate);
		add_ev_in(m, c->c.pt, c->c.rate);
	}
}

/* Transcoded: comfort noise from 'in' feeds the transcoder's noise (cng.h):
 * the CN it agreed, and static PT 13 unless the leg bound it to another
 * codec (a peer may send CN it was not offered). */
static void map_cn(struct rmap *m, const struct xleg *in)
{
	bool pt13_other = false;

	for (size_t i = 0; i < in->n; i++) {
		const struct xleg_codec *c = &in->c[i];
		bool cn = strcasecmp(c->c.name, "CN") == 0;
		if (cn)
			set_both(m, c, RM_CN, 0);
		else if (c->c.pt == 13 || c->rpt == 13)
			pt13_other = true;
	}
	if (!pt13_other && m->act[13] == RM_DROP)
		set_act(m, 13, RM_CN, 0);
}

/* Pass-through: every codec both legs agreed (CN included), by PT. */
static void map_pass(struct rmap *m, const struct xleg *in, const struct xleg *out)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct xleg_codec *c = &in->c[i];
		if (xcodec_is_te(&c->c))
			continue;
		for (size_t k = 0; k < out->n; k++)
			if (xcodec_same(&c->c, &out->c[k].c)) {
				set_both(m, c, RM_PASS, out->c[k].c.pt);
				break;
			}
	}
}

static void make_sig(struct xplan *p, const struct xleg *a, const struct xleg *b)
{
	const struct xcodec *ca = &a->c[a->main].c, *cb = &b->c[b->main].c;
	/* The DTMF flags first: a long fmtp may truncate the rest. */
	snprintf(p->sig, sizeof p->sig, "%d%d%d%d|%s/%u/%u;%s>%s/%u/%u;%s", p->cfg.dir[0].dtmf_tones,
		 p->cfg.dir[0].dtmf_detect, p->cfg.dir[1].dtmf_tones, p->cfg.dir[1].dtmf_detect,
		 ca->name, (unsigned)ca->rate, (unsigned)ca->channels, a->fmtp, cb->name,
		 (unsigned)cb->rate, (unsigned)cb->channels, b->fmtp);
}

int xplan_make(const struct xleg *a, const struct xleg *b, struct xplan *p, char *why,
	       size_t whylen)
{
	const struct xleg *leg[2] = { a, b };
	const struct xleg_codec *ma = leg_main(a), *mb = leg_main(b);

	memset(p, 0, sizeof *p);
	if (whylen)
		why[0] = '\0';
	if (!a->valid || !b->valid || !ma || !mb)
		return 0;                       /* no media on a leg: nothing to plan */
	p->xcode = !(xcodec_same(&ma->c, &mb->c) && fmtp_compatible(ma, a->agreed_fmtp, b->agreed_fmtp));
	/* DTMF interworking: a direction from a leg with telephone-event to one
	 * without plays the events in-band, so it is decoded even when the
	 * codecs match (p->dtmf); the reverse direction detects in-band digits
	 * only when it is transcoded anyway (pass-through keeps the tones,
	 * which the codec carries, untouched). */
	bool tones[2], detect[2];
	for (int i = 0; i < 2; i++) {
		tones[i] = has_te(leg[i]) && !has_te(leg[!i]);
		detect[i] = !has_te(leg[i]) && has_te(leg[!i]) && p->xcode;
	}
	if (!p->xcode && (tones[0] || tones[1])) {
		p->dtmf = is_g711(&ma->c) && xcat_engine(ma->cat) && xcat_engine(mb->cat);
		tones[0] &= p->dtmf;
		tones[1] &= p->dtmf;
	}
	if (p->xcode || p->dtmf) {
		if (!xcat_engine(ma->cat) || !xcat_engine(mb->cat)) {
			snprintf(why, whylen, "%s/%u <-> %s/%u needs transcoding, and no module can "
				 "transcode %s", ma->c.name, (unsigned)ma->c.rate, mb->c.name,
				 (unsigned)mb->c.rate, xcat_engine(ma->cat) ? mb->c.name : ma->c.name);
			return -ENOTSUP;
		}
		p->cfg.dir[0] = (struct xcode_dir_cfg){ ma->cat->tc, a->fmtp, mb->cat->tc, b->fmtp,
							tones[0], detect[0] };
		p->cfg.dir[1] = (struct xcode_dir_cfg){ mb->cat->tc, b->fmtp, ma->cat->tc, a->fmtp,
							tones[1], detect[1] };
		make_sig(p, a, b);
	}
	for (int i = 0; i < 2; i++) {
		struct rmap *m = &p->map[i];
		const struct xleg *in = leg[i], *out = leg[!i];
		const struct xleg_codec *om = leg_main(out);
		m->on = true;
		m->xcode = p->xcode || (p->dtmf && tones[i]);
		m->audio_out_clock = om->c.rate;
		if (m->xcode) {
			set_both(m, leg_main(in), RM_AUDIO, om->c.pt);
			m->audio_out_pt = om->c.pt;
			map_cn(m, in);
		} else {
			map_pass(m, in, out);
		}
		map_events(m, in, out, tones[i]);
	}
	return 0;
}
