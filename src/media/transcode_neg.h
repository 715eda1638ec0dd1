/* transcode_neg.h - codec negotiation across the two legs of a session, and
 * the media plan that follows from it.
 *
 * The codec catalogue: the codecs the gateway knows. G.711 (PCMU/8000,
 * PCMA/8000) always, for pass-through; plus every codec the loaded modules
 * provide. A codec whose module has an engine can be transcoded.
 *
 * The rule, for an offer from leg F relayed to leg T (xneg_offer):
 *   1. F's codecs that F allows (its preference list; NULL = any) and T
 *      allows, in F's order: these pass through untouched;
 *   2. then, when transcoding is allowed (modules, the transcoding cap), the
 *      codecs T allows that F did not offer, in T's preference order, that we
 *      can transcode to from something F offered (engines on both sides). A
 *      leg without a preference list gets no such additions, except the
 *      codec it already uses (so a re-offer keeps a running transcoded call
 *      working), or every transcodable codec for the gateway's late offers;
 *   3. telephone-event/8000 when F offered telephone-event at any rate, or
 *      when F did not but whatever T picks lets T's events be played
 *      in-band to F (every codec passed through is G.711 with an engine;
 *      added codecs are transcoded anyway), and telephone-event/48000 as
 *      well when a 48 kHz codec (Opus) is offered: many phones only do
 *      events at 8000 Hz even next to Opus;
 *   4. F's comfort noise entries, as they are.
 * Payload types are per leg: a codec keeps the number T already uses for it
 * (its last agreed SDP), else F's number when T has not bound that number to
 * something else, else its static number, else the lowest free one of
 * 96..127. Added codecs carry the module's fmtp, made explicit by its own
 * fmtp_answer (Opus: stereo, sprop-stereo, useinbandfec, usedtx,
 * maxplaybackrate, maxaveragebitrate, all stated), and Opus is
 * always opus/48000/2.
 *
 * T's answer comes back (xneg_answer): its first codec decides. When F
 * offered it, the call passes through and F's answer lists, in F's numbers,
 * the codecs of T's answer that F offered (with T's fmtp). Otherwise the
 * call is transcoded and F's answer names one codec: the first F offered
 * that has an engine, with the fmtp its module answers to F's. F gets
 * telephone-event if T accepted it, or if F's events can be played in-band
 * to T (the call is transcoded, or F's codec is G.711 with an engine);
 * otherwise F signals digits in-band, which survive both pass-through and
 * transcoding. F keeps CN/8000 if it offered it and the call is transcoded
 * (or passes through and T accepted CN).
 *
 * After every completed exchange each leg is described by what it agreed
 * (struct xleg: codecs in the leg's own numbers, the first being the one in
 * use), and the plan (xplan_make) follows: same codec on both legs (fmtps
 * compatible per module) -> pass-through with per-PT maps; else transcoding
 * between the two codecs in use. Events are mapped to the telephone-event
 * the other leg accepted (the one at its audio clock if it took both), or
 * played in-band (RM_TONE, dtmf_iw.h) when it accepted none and the
 * direction is decoded (transcoding, or G.711 pass-through decoded for it:
 * xplan.dtmf), else dropped; a transcoded direction from a leg without
 * events to one with them detects in-band digits. CN passes in
 * pass-through when both legs agreed it; on a transcoded call it feeds the
 * transcoder (RM_CN), which sends the other leg comfort noise instead
 * (cng.h), so F's answer keeps the CN F offered.
 *
 * Pure functions over caller-owned values; nothing allocates.
 */
#ifndef TANDEM_MEDIA_TRANSCODE_NEG_H
#define TANDEM_MEDIA_TRANSCODE_NEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/modules.h"
#include "media/relay.h"
#include "media/sdp.h"
#include "media/transcode.h"

#define XCAT_MAX 32
#define XPLAN_SIG 700               /* 2 x (name, clock, channels, fmtp) */

struct xcat_codec {
	char name[32];
	uint32_t clock;
	uint8_t channels;
	int static_pt;                      /* -1: dynamic */
	const struct tandem_codec *tc;      /* NULL: pass-through only */
};

struct xcat {
	size_t n;
	struct xcat_codec c[XCAT_MAX];
};

/* G.711 plus the codecs of 'mods' (may be NULL). */
void xcat_build(struct xcat *cat, const tmodules_t *mods);
/* The catalogue entry for an SDP codec, or NULL. */
const struct xcat_codec *xcat_of(const struct xcat *cat, const struct msdp_codec *c);
/* Can 'e' be decoded and encoded? */
bool xcat_engine(const struct xcat_codec *e);

/* Same codec in SDP terms: name (case-insensitive), clock, channels. */
bool xneg_same(const struct msdp_codec *a, const struct msdp_codec *b);
bool xneg_is_te(const struct msdp_codec *c);
bool xneg_is_cn(const struct msdp_codec *c);
/* telephone-event and CN are "aux"; everything else is a real codec. */
bool xneg_is_aux(const struct msdp_codec *c);
/* Does a leg with preference list 'prefs' (NULL = any) allow 'c'? Aux
 * codecs are always allowed. */
bool xneg_allowed(const char *const *prefs, const struct msdp_codec *c);

enum xneg_extras {
	XNEG_EXTRAS_NONE,                   /* pass-through only (cap reached) */
	XNEG_EXTRAS_PREFS,                  /* T's list; without one, its current codec */
	XNEG_EXTRAS_ALL,                    /* T's list; without one, all transcodable */
};

struct xneg_target {
	const char *const *prefs;           /* T's preference list, NULL = any */
	const struct msdp_stream *cur;      /* T's last agreed SDP stream, or NULL */
	const struct msdp_codec *cur_main;  /* the codec T uses now, or NULL */
};

struct xneg_offer {
	struct msdp_codec codecs[MSDP_MAX_CODECS];
	size_t n;
	size_t npass, nextra;               /* real codecs passed / added */
	char missing[160];                  /* codecs left out for want of a module */
};

/* Codecs of the offer for T made from F's stream 'src'. Returns 0, or
 * -ENOTSUP when no real codec is left (o->missing says what a module would
 * have added, if anything). */
int xneg_offer_codecs(const struct xcat *cat, const struct msdp_stream *src,
		      const char *const *src_prefs, const struct xneg_target *t,
		      enum xneg_extras extras, struct xneg_offer *o);

/* The codecs of the gateway's own offer (no SDP to start from): those of
 * 'prefs' that the catalogue knows, in that order (NULL: PCMU, PCMA, G722,
 * opus, then every other known codec), then telephone-event/8000 (and
 * /48000 next to Opus). -ENOTSUP when none is known. */
int xneg_local_codecs(const struct xcat *cat, const char *const *prefs, struct xneg_offer *o);

struct xneg_answer {
	struct msdp_codec codecs[MSDP_MAX_CODECS];
	size_t n;
	bool xcode;                         /* the call is transcoded */
};

/* Codecs of the answer for F: 'off' is F's offer, 'ans' T's answer to the
 * offer made from it. -ENOTSUP when nothing F offered can carry T's codec. */
int xneg_answer_codecs(const struct xcat *cat, const struct msdp_stream *off,
		       const char *const *off_prefs, const struct msdp_stream *ans,
		       struct xneg_answer *o);

/* A codec as the plan needs it: identity and payload type, no fmtp (the
 * session keeps a few of these per leg; 300-byte msdp_codecs would be most
 * of a call's memory). */
struct xcodec {
	uint8_t pt;
	uint8_t channels;
	uint32_t rate;
	char name[32];
};

void xcodec_of(const struct msdp_codec *c, struct xcodec *out);
bool xcodec_same(const struct xcodec *a, const struct xcodec *b);
bool xcodec_is_te(const struct xcodec *c);

/* What one leg agreed. Codec entries use the leg's own SDP: c.pt is what the
 * leg receives (and so what we send it), rpt what we told it to send.
 * c[main] is the codec in use (-1: none, e.g. a rejected stream). */
struct xleg_codec {
	struct xcodec c;
	uint8_t rpt;
	const struct xcat_codec *cat;
};

struct xleg {
	bool valid;
	int main;
	size_t n;
	struct xleg_codec c[MSDP_MAX_CODECS];
	/* Of c[main]: the leg's fmtp (its wishes, for our encoder toward it),
	 * and the fmtp of the exchange's answer (the leg's when it answered,
	 * ours when we did: what both settled on, for fmtp_compatible()). */
	char fmtp[TANDEM_CODEC_MAX_FMTP];
	char agreed_fmtp[TANDEM_CODEC_MAX_FMTP];
};

/* 'own' is the leg's SDP stream, 'ours'/'nours' the codecs of the SDP we sent
 * it; own_is_answer: the leg answered our offer (its order rules), else we
 * answered its offer (ours rules, and ours_main_fmtp is the fmtp we answered
 * for the first codec). */
void xleg_build(const struct xcat *cat, const struct msdp_stream *own,
		const struct xcodec *ours, size_t nours, const char *ours_main_fmtp,
		bool own_is_answer, struct xleg *out);

/* The codec a leg uses as an SDP codec (no fmtp); false if none. */
bool xleg_main(const struct xleg *x, struct msdp_codec *out);
/* "PCMU/8000" for stats and logs; "" if none. */
void xleg_name(const struct xleg *x, char *out, size_t size);
/* Keep in 'st' (that leg's own stream) only the codecs it agreed. */
void xleg_restrict(const struct xleg *x, struct msdp_stream *st);

/* The media plan for two agreed legs. */
struct xplan {
	bool xcode;
	/* Same G.711 codec on both legs, but a direction is decoded and
	 * encoded again to play telephone-events in-band for a leg that took
	 * none (cfg says which; holds no transcoding slot: ~2 us a frame). */
	bool dtmf;
	struct rmap map[2];                 /* by incoming leg */
	struct xcode_cfg cfg;               /* xcode: engines (pointers into the xlegs) */
	char sig[XPLAN_SIG];                /* xcode: what the engines depend on */
};

/* Returns 0, or -ENOTSUP when the legs use different codecs and one has no
 * engine (why[] names them). */
int xplan_make(const struct xleg *a, const struct xleg *b, struct xplan *p, char *why,
	       size_t whylen);

#endif
