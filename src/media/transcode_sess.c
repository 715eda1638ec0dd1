/* transcode_sess.c - see transcode_sess.h. */
#include "config.h"
#include "media/transcode_sess.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/media_priv.h"
#include "media/sdp_ops.h"
#include "media/transcode.h"

bool xsess_slot_sync(struct xsess *x, bool want)
{
	if (want && !x->slot)
		x->slot = mcore_slot_take(x->mc);
	else if (!want && x->slot) {
		mcore_slot_give(x->mc);
		x->slot = false;
	}
	return x->slot || !want;
}

/* "PCMU, opus" from a stream's real codecs, or a preference list. */
static void names_of(const struct msdp_stream *st, const char *const *prefs, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; st && i < st->ncodecs && used < size; i++)
		if (!xneg_is_aux(&st->codecs[i]) && xneg_allowed(prefs, &st->codecs[i]))
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "",
						 st->codecs[i].name[0] ? st->codecs[i].name : "?");
	for (size_t i = 0; !st && prefs && prefs[i] && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", prefs[i]);
	if (!out[0])
		snprintf(out, size, "%s", st ? "nothing" : "any");
}

int xsess_offer(struct xsess *x, int from, const struct msdp_stream *src,
		const char *const *from_prefs, const struct xneg_target *to,
		enum xneg_extras extras, struct xneg_offer *out)
{
	int rc = xneg_offer_codecs(&x->mc->cat, src, from_prefs, to, extras, out);

	if (rc == 0 && out->nextra && !x->slot && !xsess_slot_sync(x, true)) {
		rc = xneg_offer_codecs(&x->mc->cat, src, from_prefs, to, XNEG_EXTRAS_NONE, out);
		if (rc) {
			LOG_WARN("media: %s: leg %c needs transcoding and max_transcoded (%u) is reached",
				 x->label, 'A' + !from, atomic_load(&x->mc->max_transcoded));
			return -EBUSY;
		}
	}
	if (rc == -ENOTSUP) {
		char offered[160], allowed[160];
		names_of(src, from_prefs, offered, sizeof offered);
		names_of(NULL, to->prefs, allowed, sizeof allowed);
		LOG_WARN("media: %s: cannot bridge: leg %c offers %s, leg %c allows %s%s%s", x->label,
			 'A' + from, offered, 'A' + !from, allowed,
			 out->missing[0] ? "; transcoding needs a codec module for " : "; no codec in common",
			 out->missing);
	}
	return rc;
}

int xsess_own_offer(struct xsess *x, const char *const *prefs, bool g711_only, struct msdp *m)
{
	static const char *const g711[] = { "PCMU", "PCMA", NULL };
	int rc = sdpo_local_offer(m, g711);

	if (rc == 0 && g711_only)
		return sdpo_filter_codecs(&m->streams[0], prefs);
	struct xneg_offer *xo = rc == 0 ? malloc(sizeof *xo) : NULL;
	if (rc == 0 && !xo)
		rc = -ENOMEM;
	if (rc == 0)
		rc = xneg_local_codecs(&x->mc->cat, prefs, xo);
	if (rc == 0) {
		struct msdp_stream *st = &m->streams[0];
		st->ncodecs = xo->n;
		memcpy(st->codecs, xo->codecs, xo->n * sizeof xo->codecs[0]);
	}
	free(xo);
	return rc;
}

/* Silence beats one codec's bytes played as another's. */
static void plan_drop(struct rsess_conf *c)
{
	for (int i = 0; i < 2; i++) {
		memset(&c->map[i], 0, sizeof c->map[i]);
		c->map[i].on = true;
	}
}

/* Once per plan: which way digits are converted (dtmf_iw.h). */
static void log_dtmf(const struct xsess *x, const struct xplan *p)
{
	for (int i = 0; i < 2 && (p->xcode || p->dtmf); i++) {
		if (p->cfg.dir[i].dtmf_tones)
			LOG_INFO("media: %s: leg %c's telephone-events are played in-band to leg %c, "
				 "which took none", x->label, 'A' + i, 'A' + !i);
		if (p->cfg.dir[i].dtmf_detect)
			LOG_INFO("media: %s: leg %c's in-band digits are sent to leg %c as "
				 "telephone-events", x->label, 'A' + i, 'A' + !i);
	}
}

void xsess_plan(struct xsess *x, const struct xleg *a, const struct xleg *b,
		const char *codec_a, const char *codec_b, struct rsess_conf *c)
{
	struct xplan p;
	char why[256];
	bool was = x->xcoding;

	x->xcoding = false;
	if (xplan_make(a, b, &p, why, sizeof why) < 0) {
		LOG_WARN("media: %s: %s; the call's audio is dropped", x->label, why);
		plan_drop(c);
		goto out;
	}
	c->map[0] = p.map[0];
	c->map[1] = p.map[1];
	log_dtmf(x, &p);
	if (!p.xcode && p.dtmf) {
		/* G.711 both ways; a leg's events are played in-band to the other. */
		if (xcode_new(&p.cfg, &c->xc, why, sizeof why) < 0) {
			LOG_WARN("media: %s: cannot decode %s for DTMF interworking: %s; the "
				 "call's audio is dropped", x->label, codec_a, why);
			plan_drop(c);
		}
		goto out;
	}
	if (!p.xcode)
		goto out;
	if (!xsess_slot_sync(x, true)) {
		LOG_WARN("media: %s: the legs agreed %s and %s, which needs transcoding, but "
			 "max_transcoded (%u) is reached; the call's audio is dropped", x->label,
			 codec_a, codec_b, atomic_load(&x->mc->max_transcoded));
		plan_drop(c);
		goto out;
	}
	if (was && strcmp(x->sig, p.sig) == 0) {
		c->xc_keep = true;      /* same engines: keep their state */
		x->xcoding = true;
		goto out;
	}
	int rc = xcode_new(&p.cfg, &c->xc, why, sizeof why);
	if (rc < 0) {
		LOG_WARN("media: %s: cannot transcode %s <-> %s: %s; the call's audio is dropped",
			 x->label, codec_a, codec_b, rc == -ENOMEM ? "out of memory" : why);
		plan_drop(c);
		goto out;
	}
	x->xcoding = true;
	snprintf(x->sig, sizeof x->sig, "%s", p.sig);
	LOG_INFO("media: %s: transcoding %s <-> %s", x->label, codec_a, codec_b);
out:
	if (!x->xcoding) {
		x->sig[0] = '\0';
		if (was)
			LOG_INFO("media: %s: transcoding ends (%s <-> %s)", x->label, codec_a, codec_b);
	}
}
