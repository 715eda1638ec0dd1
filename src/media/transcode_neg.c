/* transcode_neg.c - the codec catalogue and the offer/answer codec lists
 * (see transcode_neg.h). The plan is in transcode_plan.c. */
#include "config.h"
#include "media/transcode_neg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "media/sdp_ops.h"

#define TE_NAME "telephone-event"
#define TE_FMTP "0-16"

/* ---- catalogue ---- */

static struct xcat_codec *cat_find(struct xcat *cat, const char *name, uint32_t clock, uint8_t ch)
{
	for (size_t i = 0; i < cat->n; i++) {
		struct xcat_codec *e = &cat->c[i];
		if (strcasecmp(e->name, name) == 0 && e->clock == clock && e->channels == ch)
			return e;
	}
	return NULL;
}

static void cat_add(struct xcat *cat, const char *name, uint32_t clock, uint8_t ch, int spt,
		    const struct tandem_codec *tc)
{
	struct xcat_codec *e = cat_find(cat, name, clock, ch);

	if (e) {
		if (tc)
			e->tc = tc;
		return;
	}
	if (cat->n >= XCAT_MAX || strlen(name) >= sizeof e->name)
		return;
	e = &cat->c[cat->n++];
	snprintf(e->name, sizeof e->name, "%s", name);
	e->clock = clock;
	e->channels = ch;
	e->static_pt = spt;
	e->tc = tc;
}

void xcat_build(struct xcat *cat, const tmodules_t *mods)
{
	memset(cat, 0, sizeof *cat);
	cat_add(cat, "PCMU", 8000, 1, 0, NULL);
	cat_add(cat, "PCMA", 8000, 1, 8, NULL);
	for (size_t i = 0; i < tmodules_count(mods); i++) {
		const struct tmodule_info *m = tmodules_get(mods, i);
		for (size_t k = 0; k < m->ncodecs; k++) {
			const struct tandem_codec *c = m->codecs[k];
			int spt = c->payload_type >= 0 && c->payload_type < 96 ? c->payload_type : -1;
			cat_add(cat, c->name, c->clock_rate, (uint8_t)(c->channels ? c->channels : 1), spt, c);
		}
	}
}

const struct xcat_codec *xcat_of(const struct xcat *cat, const struct msdp_codec *c)
{
	if (!cat || !c->name[0])
		return NULL;
	return cat_find((struct xcat *)cat, c->name, c->rate, c->channels ? c->channels : 1);
}

bool xcat_engine(const struct xcat_codec *e)
{
	return e && e->tc && e->tc->engine;
}

/* ---- codec identity ---- */

bool xneg_same(const struct msdp_codec *a, const struct msdp_codec *b)
{
	return a->name[0] && strcasecmp(a->name, b->name) == 0 && a->rate == b->rate &&
	       (a->channels ? a->channels : 1) == (b->channels ? b->channels : 1);
}

bool xneg_is_te(const struct msdp_codec *c)
{
	return strcasecmp(c->name, TE_NAME) == 0;
}

bool xneg_is_cn(const struct msdp_codec *c)
{
	return strcasecmp(c->name, "CN") == 0;
}

bool xneg_is_aux(const struct msdp_codec *c)
{
	return xneg_is_te(c) || xneg_is_cn(c);
}

bool xneg_allowed(const char *const *prefs, const struct msdp_codec *c)
{
	if (!prefs || xneg_is_aux(c))
		return true;
	for (size_t k = 0; prefs[k]; k++)
		if (sdpo_codec_matches(c, prefs[k]))
			return true;
	return false;
}

static const struct msdp_codec *find_same(const struct msdp_codec *list, size_t n,
					  const struct msdp_codec *c)
{
	for (size_t i = 0; i < n; i++)
		if (xneg_same(&list[i], c))
			return &list[i];
	return NULL;
}

static const struct msdp_codec *stream_find(const struct msdp_stream *st, const struct msdp_codec *c)
{
	return st ? find_same(st->codecs, st->ncodecs, c) : NULL;
}

/* A real codec of F's offer that F allows. */
static bool usable(const struct msdp_codec *c, const char *const *prefs)
{
	return c->name[0] && !xneg_is_aux(c) && xneg_allowed(prefs, c);
}

/* ---- the offer ---- */

struct offer_build {
	struct xneg_offer *o;
	bool blocked;                   /* T wants a codec we could encode, F has no engine */
	int want_pt[MSDP_MAX_CODECS];   /* the number each entry would like, -1: none */
};

static bool push(struct offer_build *b, const struct msdp_codec *c, int want_pt)
{
	struct xneg_offer *o = b->o;
	if (o->n >= MSDP_MAX_CODECS || find_same(o->codecs, o->n, c))
		return false;
	b->want_pt[o->n] = want_pt;
	o->codecs[o->n++] = *c;
	return true;
}

static void note_missing(struct xneg_offer *o, const char *name)
{
	size_t used = strlen(o->missing);
	if (strstr(o->missing, name))
		return;
	snprintf(o->missing + used, sizeof o->missing - used, "%s%s", used ? ", " : "", name);
}

/* The fmtp we put in an offer of our own: the module's default, stated
 * explicitly through its own answer rules. */
static void offer_fmtp(const struct tandem_codec *tc, char *out, size_t size)
{
	const struct tandem_codec_negotiation *n = tc ? tc->negotiation : NULL;
	char buf[TANDEM_CODEC_MAX_FMTP];

	out[0] = '\0';
	if (!n)
		return;
	if (n->fmtp_answer && n->fmtp_answer(n->default_fmtp, buf, sizeof buf) >= 0) {
		snprintf(out, size, "%s", buf);
		return;
	}
	if (n->default_fmtp)
		snprintf(out, size, "%s", n->default_fmtp);
}

static void codec_of(const struct xcat_codec *e, struct msdp_codec *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", e->name);
	c->rate = e->clock;
	c->channels = e->channels;
	offer_fmtp(e->tc, c->fmtp, sizeof c->fmtp);
}

static void consider(struct offer_build *b, const struct xcat_codec *e, bool src_engine,
		     const char *const *tprefs)
{
	struct msdp_codec c;

	codec_of(e, &c);
	if (find_same(b->o->codecs, b->o->n, &c) || !xneg_allowed(tprefs, &c))
		return;
	if (!xcat_engine(e)) {
		note_missing(b->o, e->name);
		return;
	}
	if (!src_engine)
		b->blocked = true;
	else if (push(b, &c, e->static_pt))
		b->o->nextra++;
}

static void add_extras(struct offer_build *b, const struct xcat *cat, const struct xneg_target *t,
		       enum xneg_extras extras, bool src_engine)
{
	if (extras == XNEG_EXTRAS_NONE)
		return;
	if (t->prefs) {
		for (size_t k = 0; t->prefs[k]; k++) {
			bool known = false;
			for (size_t i = 0; i < cat->n; i++) {
				struct msdp_codec probe;
				codec_of(&cat->c[i], &probe);
				if (!sdpo_codec_matches(&probe, t->prefs[k]))
					continue;
				known = true;
				consider(b, &cat->c[i], src_engine, t->prefs);
			}
			if (!known)
				note_missing(b->o, t->prefs[k]);    /* no module knows it */
		}
	} else if (extras == XNEG_EXTRAS_ALL) {
		for (size_t i = 0; i < cat->n; i++)
			if (xcat_engine(&cat->c[i]))
				consider(b, &cat->c[i], src_engine, NULL);
	} else if (t->cur_main) {
		const struct xcat_codec *e = xcat_of(cat, t->cur_main);
		if (e)
			consider(b, e, src_engine, NULL);
	}
}

static void te_codec(const struct msdp_stream *src, uint32_t rate, struct msdp_codec *c, int *want)
{
	const struct msdp_codec *have = msdp_codec_by_name(src, TE_NAME, rate);
	const struct msdp_codec *any = msdp_codec_by_name(src, TE_NAME, 0);

	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, TE_NAME);
	c->rate = rate;
	c->channels = 1;
	snprintf(c->fmtp, sizeof c->fmtp, "%s", have ? have->fmtp : any && any->fmtp[0] ? any->fmtp : TE_FMTP);
	*want = have ? have->pt : -1;
}

/* Can a call on this codec play events in-band to F whatever T picks: a
 * codec T would transcode to, or G.711 with an engine (decoding G.711 just
 * for DTMF is cheap; other codecs are not decoded for it, transcode_plan.c). */
static bool iw_ok(const struct xcat *cat, const struct msdp_codec *c, bool passed)
{
	const struct xcat_codec *e = xcat_of(cat, c);
	if (!passed)
		return true;
	return xcat_engine(e) && e->clock == 8000 &&
	       (strcasecmp(e->name, "PCMU") == 0 || strcasecmp(e->name, "PCMA") == 0);
}

/* telephone-event goes to T when F offered it, and also when F did not but
 * whatever T picks lets T's events be played in-band to F (dtmf_iw.h). */
static void add_aux(struct offer_build *b, const struct xcat *cat, const struct msdp_stream *src)
{
	struct msdp_codec c;
	int want;
	bool iw = b->o->n > 0;

	for (size_t i = 0; i < b->o->n; i++)
		iw &= xneg_is_aux(&b->o->codecs[i]) || iw_ok(cat, &b->o->codecs[i], i < b->o->npass);
	if (msdp_codec_by_name(src, TE_NAME, 0) || iw) {
		bool wide = false;
		for (size_t i = 0; i < b->o->n; i++)
			wide |= b->o->codecs[i].rate == 48000;
		te_codec(src, 8000, &c, &want);
		push(b, &c, want);
		if (wide) {
			te_codec(src, 48000, &c, &want);
			push(b, &c, want);
		}
	}
	for (size_t i = 0; i < src->ncodecs; i++)
		if (xneg_is_cn(&src->codecs[i]))
			push(b, &src->codecs[i], src->codecs[i].pt);
}

/* Is 'pt' bound on T's side to another codec than 'c'? */
static bool bound_other(const struct msdp_stream *cur, unsigned pt, const struct msdp_codec *c)
{
	const struct msdp_codec *b = cur ? msdp_codec_by_pt(cur, pt) : NULL;
	return b && !xneg_same(b, c);
}

/* Payload types: T's existing binding, else the wanted number when T has not
 * bound it elsewhere, else the lowest free dynamic one. */
static void assign_pts(struct offer_build *b, const struct msdp_stream *cur)
{
	struct xneg_offer *o = b->o;
	bool used[128] = { false }, done[MSDP_MAX_CODECS] = { false };

	for (size_t i = 0; i < o->n; i++) {
		const struct msdp_codec *bc = stream_find(cur, &o->codecs[i]);
		if (bc && bc->pt < 128 && !used[bc->pt]) {
			o->codecs[i].pt = bc->pt;
			used[bc->pt] = done[i] = true;
		}
	}
	for (size_t i = 0; i < o->n; i++) {
		int w = b->want_pt[i];
		if (done[i] || w < 0 || w > 127 || used[w] || bound_other(cur, (unsigned)w, &o->codecs[i]))
			continue;
		o->codecs[i].pt = (uint8_t)w;
		used[w] = done[i] = true;
	}
	size_t k = 0;
	for (size_t i = 0; i < o->n; i++) {
		for (unsigned p = 96; !done[i] && p < 128; p++)
			if (!used[p] && !bound_other(cur, p, &o->codecs[i])) {
				o->codecs[i].pt = (uint8_t)p;
				used[p] = done[i] = true;
			}
		for (unsigned p = 96; !done[i] && p < 128; p++)
			if (!used[p]) {
				o->codecs[i].pt = (uint8_t)p;
				used[p] = done[i] = true;
			}
		if (done[i])
			o->codecs[k++] = o->codecs[i];  /* else: no number left, leave it out */
	}
	o->n = k;
}

int xneg_offer_codecs(const struct xcat *cat, const struct msdp_stream *src,
		      const char *const *src_prefs, const struct xneg_target *t,
		      enum xneg_extras extras, struct xneg_offer *o)
{
	struct offer_build b = { .o = o };
	bool src_engine = false;

	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < src->ncodecs; i++) {
		const struct msdp_codec *c = &src->codecs[i];
		if (!usable(c, src_prefs))
			continue;
		src_engine |= xcat_engine(xcat_of(cat, c));
		if (xneg_allowed(t->prefs, c) && push(&b, c, c->pt))
			o->npass++;
	}
	add_extras(&b, cat, t, extras, src_engine);
	if (!o->nextra && (b.blocked || o->missing[0])) {
		/* Name what F offered that no engine can take, too. */
		for (size_t i = 0; i < src->ncodecs; i++)
			if (usable(&src->codecs[i], src_prefs) &&
			    !xcat_engine(xcat_of(cat, &src->codecs[i])))
				note_missing(o, src->codecs[i].name);
	}
	if (!o->npass && !o->nextra) {
		o->n = 0;
		return -ENOTSUP;
	}
	add_aux(&b, cat, src);
	assign_pts(&b, t->cur);
	return 0;
}

int xneg_local_codecs(const struct xcat *cat, const char *const *prefs, struct xneg_offer *o)
{
	static const char *const defaults[] = { "PCMU", "PCMA", "G722", "opus", NULL };
	struct offer_build b = { .o = o };
	const char *const *order = prefs ? prefs : defaults;
	struct msdp_codec c;

	memset(o, 0, sizeof *o);
	for (size_t k = 0; order[k]; k++)
		for (size_t i = 0; i < cat->n; i++) {
			codec_of(&cat->c[i], &c);
			if (sdpo_codec_matches(&c, order[k]) && push(&b, &c, cat->c[i].static_pt))
				o->npass++;
		}
	for (size_t i = 0; !prefs && i < cat->n; i++) {
		codec_of(&cat->c[i], &c);
		if (push(&b, &c, cat->c[i].static_pt))
			o->npass++;
	}
	if (!o->npass)
		return -ENOTSUP;
	bool wide = false;
	for (size_t i = 0; i < o->n; i++)
		wide |= o->codecs[i].rate == 48000;
	memset(&c, 0, sizeof c);
	snprintf(c.name, sizeof c.name, TE_NAME);
	c.rate = 8000;
	c.channels = 1;
	snprintf(c.fmtp, sizeof c.fmtp, TE_FMTP);
	push(&b, &c, 101);
	if (wide) {
		c.rate = 48000;
		push(&b, &c, -1);
	}
	assign_pts(&b, NULL);
	return 0;
}

/* ---- the answer ---- */

static const struct msdp_codec *first_real(const struct msdp_stream *st)
{
	for (size_t i = 0; i < st->ncodecs; i++)
		if (st->codecs[i].name[0] && !xneg_is_aux(&st->codecs[i]))
			return &st->codecs[i];
	return NULL;
}

static const struct msdp_codec *find_usable(const struct msdp_stream *off, const char *const *prefs,
					    const struct msdp_codec *c)
{
	for (size_t i = 0; i < off->ncodecs; i++)
		if (usable(&off->codecs[i], prefs) && xneg_same(&off->codecs[i], c))
			return &off->codecs[i];
	return NULL;
}

static void apush(struct xneg_answer *o, const struct msdp_codec *c, const char *fmtp)
{
	if (o->n >= MSDP_MAX_CODECS || find_same(o->codecs, o->n, c))
		return;
	o->codecs[o->n] = *c;
	if (fmtp)
		snprintf(o->codecs[o->n].fmtp, sizeof o->codecs[0].fmtp, "%s", fmtp);
	o->n++;
}

/* The first codec of F's offer we can transcode, with the fmtp its module
 * answers to F's. */
static int pick_xcode(const struct xcat *cat, const struct msdp_stream *off,
		      const char *const *prefs, struct xneg_answer *o)
{
	for (size_t i = 0; i < off->ncodecs; i++) {
		const struct msdp_codec *c = &off->codecs[i];
		const struct xcat_codec *e = usable(c, prefs) ? xcat_of(cat, c) : NULL;
		if (!xcat_engine(e))
			continue;
		const struct tandem_codec_negotiation *n = e->tc->negotiation;
		char fmtp[TANDEM_CODEC_MAX_FMTP] = "";
		if (n && n->fmtp_answer && n->fmtp_answer(c->fmtp, fmtp, sizeof fmtp) < 0)
			continue;
		apush(o, c, fmtp);
		return 0;
	}
	return -ENOTSUP;
}

/* F gets telephone-event when T accepted it, and also when T did not but
 * F's events can be played in-band to T (transcoded, or G.711). */
static void answer_aux(const struct xcat *cat, const struct msdp_stream *off,
		       const struct msdp_stream *ans, struct xneg_answer *o)
{
	const struct msdp_codec *ate = msdp_codec_by_name(ans, TE_NAME, 0);
	if (o->n && (ate || o->xcode || iw_ok(cat, &o->codecs[0], true))) {
		const struct msdp_codec *te = msdp_codec_by_name(off, TE_NAME, o->codecs[0].rate);
		if (!te)
			te = msdp_codec_by_name(off, TE_NAME, 8000);
		if (!te)
			te = msdp_codec_by_name(off, TE_NAME, 0);
		if (te)
			apush(o, te, ate && ate->fmtp[0] ? ate->fmtp : NULL);
	}
	for (size_t i = 0; !o->xcode && i < ans->ncodecs; i++) {
		const struct msdp_codec *cn = &ans->codecs[i];
		const struct msdp_codec *fc = xneg_is_cn(cn) ? find_same(off->codecs, off->ncodecs, cn) : NULL;
		if (fc)
			apush(o, fc, NULL);
	}
	/* Transcoded: F's comfort noise becomes noise in T's stream (cng.h),
	 * so F may keep its CN whatever T said. */
	const struct msdp_codec *fcn = o->xcode ? msdp_codec_by_name(off, "CN", 8000) : NULL;
	if (fcn)
		apush(o, fcn, NULL);
}

int xneg_answer_codecs(const struct xcat *cat, const struct msdp_stream *off,
		       const char *const *off_prefs, const struct msdp_stream *ans,
		       struct xneg_answer *o)
{
	memset(o, 0, sizeof *o);
	if (!ans->port) {
		/* Rejected: F gets a rejection; any one of its formats will do. */
		if (off->ncodecs)
			apush(o, &off->codecs[0], NULL);
		return 0;
	}
	const struct msdp_codec *mt = first_real(ans);
	if (!mt)
		return -ENOTSUP;
	if (find_usable(off, off_prefs, mt)) {
		for (size_t i = 0; i < ans->ncodecs; i++) {
			const struct msdp_codec *a = &ans->codecs[i];
			const struct msdp_codec *f = xneg_is_aux(a) ? NULL : find_usable(off, off_prefs, a);
			if (f)
				apush(o, f, a->fmtp);
		}
	} else {
		if (!xcat_engine(xcat_of(cat, mt)) || pick_xcode(cat, off, off_prefs, o) < 0)
			return -ENOTSUP;
		o->xcode = true;
	}
	answer_aux(cat, off, ans, o);
	return 0;
}

/* ---- what a leg agreed ---- */

void xcodec_of(const struct msdp_codec *c, struct xcodec *out)
{
	memset(out, 0, sizeof *out);
	out->pt = c->pt;
	out->channels = c->channels ? c->channels : 1;
	out->rate = c->rate;
	memcpy(out->name, c->name, sizeof out->name);
	out->name[sizeof out->name - 1] = '\0';
}

bool xcodec_same(const struct xcodec *a, const struct xcodec *b)
{
	return a->name[0] && strcasecmp(a->name, b->name) == 0 && a->rate == b->rate &&
	       a->channels == b->channels;
}

bool xcodec_is_te(const struct xcodec *c)
{
	return strcasecmp(c->name, TE_NAME) == 0;
}

static const struct xcodec *xfind(const struct xcodec *list, size_t n, const struct xcodec *c)
{
	for (size_t i = 0; i < n; i++)
		if (xcodec_same(&list[i], c))
			return &list[i];
	return NULL;
}

void xleg_build(const struct xcat *cat, const struct msdp_stream *own,
		const struct xcodec *ours, size_t nours, const char *ours_main_fmtp,
		bool own_is_answer, struct xleg *out)
{
	memset(out, 0, sizeof *out);
	out->valid = true;
	out->main = -1;
	if (!own || !own->port)
		return;
	size_t n = own_is_answer ? own->ncodecs : nours;
	for (size_t i = 0; i < n && out->n < MSDP_MAX_CODECS; i++) {
		const struct msdp_codec *oc = NULL;
		const struct xcodec *wc;
		struct xcodec tmp;
		if (own_is_answer) {
			oc = &own->codecs[i];
			xcodec_of(oc, &tmp);
			wc = xfind(ours, nours, &tmp);
		} else {
			wc = &ours[i];
			for (size_t k = 0; k < own->ncodecs && !oc; k++) {
				xcodec_of(&own->codecs[k], &tmp);
				if (xcodec_same(&tmp, wc))
					oc = &own->codecs[k];
			}
		}
		if (!oc || !wc)
			continue;
		struct xleg_codec *x = &out->c[out->n];
		xcodec_of(oc, &x->c);
		x->rpt = wc->pt;
		x->cat = xcat_of(cat, oc);
		if (out->main < 0 && !xneg_is_aux(oc)) {
			out->main = (int)out->n;
			snprintf(out->fmtp, sizeof out->fmtp, "%s", oc->fmtp);
			snprintf(out->agreed_fmtp, sizeof out->agreed_fmtp, "%s",
				 own_is_answer ? oc->fmtp : ours_main_fmtp ? ours_main_fmtp : "");
		}
		out->n++;
	}
}

bool xleg_main(const struct xleg *x, struct msdp_codec *out)
{
	if (!x->valid || x->main < 0)
		return false;
	const struct xcodec *c = &x->c[x->main].c;
	memset(out, 0, sizeof *out);
	out->pt = c->pt;
	out->rate = c->rate;
	out->channels = c->channels;
	memcpy(out->name, c->name, sizeof c->name);
	snprintf(out->fmtp, sizeof out->fmtp, "%s", x->fmtp);
	return true;
}

void xleg_name(const struct xleg *x, char *out, size_t size)
{
	out[0] = '\0';
	if (x->valid && x->main >= 0)
		snprintf(out, size, "%s/%u", x->c[x->main].c.name, (unsigned)x->c[x->main].c.rate);
}

void xleg_restrict(const struct xleg *x, struct msdp_stream *st)
{
	size_t k = 0;

	if (!x->valid || !x->n)
		return;
	for (size_t i = 0; i < st->ncodecs; i++) {
		struct xcodec c;
		xcodec_of(&st->codecs[i], &c);
		for (size_t a = 0; a < x->n; a++)
			if (xcodec_same(&c, &x->c[a].c)) {
				st->codecs[k++] = st->codecs[i];
				break;
			}
	}
	st->ncodecs = k;
}
