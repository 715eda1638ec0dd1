/* transcode_sess.h - the owner-side transcoding state of a media session
 * (session.c embeds one struct xsess): its slot under the core's
 * max_transcoded cap, the offer codecs for a leg with the cap applied, and
 * the media plan pushed to the worker after each completed exchange.
 *
 * Owner thread only, like the session. The slot count lives in the core
 * (atomics, media_priv.h).
 */
#ifndef TANDEM_MEDIA_TRANSCODE_SESS_H
#define TANDEM_MEDIA_TRANSCODE_SESS_H

#include <stdbool.h>

#include "media/media.h"
#include "media/relay.h"
#include "media/transcode_neg.h"

struct xsess {
	media_core_t *mc;
	const char *label;          /* the session's, for logs */
	bool slot;                  /* holds one of the core's transcoding slots */
	bool xcoding;               /* the worker transcodes, with engines for 'sig' */
	char sig[XPLAN_SIG];
};

/* Hold a slot exactly when 'want'; false when one is wanted and the cap is
 * reached. */
bool xsess_slot_sync(struct xsess *x, bool want);

/* The offer codecs for leg 'to' from leg 'from''s stream 'src' (see
 * xneg_offer_codecs). When codecs to transcode to would be added and no slot
 * is held, takes one; at the cap offers pass-through codecs only, and
 * returns -EBUSY when there are none. -ENOTSUP (no codec, missing modules)
 * is logged with the codecs named. */
int xsess_offer(struct xsess *x, int from, const struct msdp_stream *src,
		const char *const *from_prefs, const struct xneg_target *to,
		enum xneg_extras extras, struct xneg_offer *out);

/* The gateway's own offer model (no SDP to start from: late offer) in *m
 * (uninitialised): the leg's list ('prefs', NULL = every codec known), or
 * G.711 only for a milliwatt's partner. */
int xsess_own_offer(struct xsess *x, const char *const *prefs, bool g711_only, struct msdp *m);

/* The plan for agreed legs a and b (codec_a/b: their names for logs) into
 * c->map / c->xc / c->xc_keep. Sets x->xcoding. A plan that cannot be
 * carried out (no engine, cap reached, engine failure) is logged and drops
 * the audio rather than relay one codec's bytes as another's. */
void xsess_plan(struct xsess *x, const struct xleg *a, const struct xleg *b,
		const char *codec_a, const char *codec_b, struct rsess_conf *c);

#endif
