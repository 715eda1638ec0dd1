/* test_transcode_neg.c - negotiation without sockets: what an offer relayed
 * to a leg lists (filtered by the leg's preference, pass-through first, then
 * codecs to transcode to, telephone-event at 8000 and 48000, payload types
 * per leg), the answer built back, and the payload type / event maps of the
 * plan. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"
#include "media/transcode_neg.h"
#include "test_transcode.h"

static struct xcat g_cat;

static void cat_setup(void)
{
	tt_mods_load();
	xcat_build(&g_cat, g_mods);
}

/* One audio stream "m=audio 4000 RTP/AVP <fmts>" with the given rtpmap /
 * fmtp lines. */
static struct msdp *sdp_of(const char *fmts, const char *attrs)
{
	char buf[2048];
	struct msdp *m = calloc(1, sizeof *m);
	snprintf(buf, sizeof buf,
		 "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP %s\r\n%s", fmts, attrs);
	ck_assert_int_eq(msdp_parse(buf, strlen(buf), m, NULL, 0), 0);
	return m;
}

static void sdp_free(struct msdp *m)
{
	msdp_clear(m);
	free(m);
}

static const struct msdp_codec *by_name(const struct msdp_codec *c, size_t n, const char *name,
					uint32_t rate)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0 && (!rate || c[i].rate == rate))
			return &c[i];
	return NULL;
}

#define TE "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"

/* G.711 caller to an Opus-only trunk: Opus added (explicit fmtp, 48000/2),
 * telephone-event at 8000 (the caller's PT) and 48000. */
START_TEST(offer_to_opus_leg)
{
	if (!g_have_opus)
		return;
	static const char *const opus_only[] = { "opus", NULL };
	struct msdp *a = sdp_of("0 8 101", TE);
	struct xneg_target t = { .prefs = opus_only };
	struct xneg_offer o;

	ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o), 0);
	ck_assert_uint_eq(o.npass, 0);
	ck_assert_uint_eq(o.nextra, 1);
	ck_assert_uint_eq(o.n, 3);
	ck_assert_str_eq(o.codecs[0].name, "opus");
	ck_assert_uint_eq(o.codecs[0].rate, 48000);
	ck_assert_uint_eq(o.codecs[0].channels, 2);
	ck_assert_uint_ge(o.codecs[0].pt, 96);
	ck_assert_ptr_nonnull(strstr(o.codecs[0].fmtp, "stereo=0"));
	ck_assert_ptr_nonnull(strstr(o.codecs[0].fmtp, "sprop-stereo=0"));
	const struct msdp_codec *te8 = by_name(o.codecs, o.n, "telephone-event", 8000);
	const struct msdp_codec *te48 = by_name(o.codecs, o.n, "telephone-event", 48000);
	ck_assert_ptr_nonnull(te8);
	ck_assert_ptr_nonnull(te48);
	ck_assert_uint_eq(te8->pt, 101);
	ck_assert_str_eq(te8->fmtp, "0-15");
	ck_assert_uint_ne(te48->pt, o.codecs[0].pt);

	/* At the cap: pass-through only, and here there is none. */
	ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_NONE, &o),
			 -ENOTSUP);
	sdp_free(a);
}
END_TEST

/* Pass-through first, in the offerer's order, then additions in the leg's
 * preference order; codecs the leg does not allow are left out. */
START_TEST(offer_filtered_and_ordered)
{
	static const char *const prefs[] = { "G722", "PCMA", "PCMU", NULL };
	struct msdp *a = sdp_of("0 8 18 101", TE);
	struct xneg_target t = { .prefs = prefs };
	struct xneg_offer o;

	ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o), 0);
	ck_assert_uint_eq(o.npass, 2);
	ck_assert_str_eq(o.codecs[0].name, "PCMU");
	ck_assert_uint_eq(o.codecs[0].pt, 0);
	ck_assert_str_eq(o.codecs[1].name, "PCMA");
	ck_assert_uint_eq(o.codecs[1].pt, 8);
	ck_assert_ptr_null(by_name(o.codecs, o.n, "G729", 0));       /* not allowed */
	if (g_have_g722) {
		ck_assert_uint_eq(o.nextra, 1);
		ck_assert_str_eq(o.codecs[2].name, "G722");
		ck_assert_uint_eq(o.codecs[2].pt, 9);               /* its static number */
	}
	ck_assert_ptr_null(by_name(o.codecs, o.n, "telephone-event", 48000));

	/* Without a list the leg gets what was offered, nothing added. */
	t.prefs = NULL;
	ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o), 0);
	ck_assert_uint_eq(o.npass, 3);
	ck_assert_uint_eq(o.nextra, 0);
	sdp_free(a);
}
END_TEST

/* Payload types are per leg: the leg keeps its own number for a codec, and
 * a number it uses for something else is not reused. */
START_TEST(offer_payload_types_per_leg)
{
	if (!g_have_opus)
		return;
	static const char *const prefs[] = { "opus", "PCMU", NULL };
	struct msdp *a = sdp_of("0 96 101", "a=rtpmap:96 G722/8000\r\n" TE);
	struct msdp *cur = sdp_of("120 96", "a=rtpmap:120 opus/48000/2\r\na=rtpmap:96 iLBC/8000\r\n");
	struct xneg_target t = { .prefs = prefs, .cur = &cur->streams[0] };
	struct xneg_offer o;

	ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o), 0);
	const struct msdp_codec *op = by_name(o.codecs, o.n, "opus", 0);
	ck_assert_ptr_nonnull(op);
	ck_assert_uint_eq(op->pt, 120);                             /* the leg's own number */
	for (size_t i = 0; i < o.n; i++)
		ck_assert_uint_ne(o.codecs[i].pt, 96);              /* bound to iLBC there */
	ck_assert_uint_eq(by_name(o.codecs, o.n, "PCMU", 0)->pt, 0);
	sdp_free(cur);
	sdp_free(a);
}
END_TEST

/* No module to transcode with: -ENOTSUP, and the codecs are named. */
START_TEST(offer_missing_module)
{
	static const char *const want[] = { "G729", "opus", NULL };
	struct xcat bare;
	struct msdp *a = sdp_of("0 101", TE);
	struct xneg_target t = { .prefs = want };
	struct xneg_offer o;

	xcat_build(&bare, NULL);                    /* G.711 known, no engines */
	ck_assert_int_eq(xneg_offer_codecs(&bare, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o),
			 -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(o.missing, "G729"));
	ck_assert_ptr_nonnull(strstr(o.missing, "opus"));
	static const char *const pcma[] = { "PCMA", NULL };
	t.prefs = pcma;
	ck_assert_int_eq(xneg_offer_codecs(&bare, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o),
			 -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(o.missing, "PCMA"));
	/* With mod_g711 it works. */
	ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o), 0);
	ck_assert_str_eq(o.codecs[0].name, "PCMA");
	sdp_free(a);
}
END_TEST

/* The offer to T carries telephone-event even when F offered none, if
 * whatever T picks lets T's events be played in-band to F (G.711 with an
 * engine, or a codec we transcode to); not for an Opus pass-through. */
START_TEST(offer_te_for_interworking)
{
	struct xneg_target t = { 0 };
	struct xneg_offer o;
	struct msdp *a = sdp_of("0", "");

	ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o), 0);
	const struct msdp_codec *te8 = by_name(o.codecs, o.n, "telephone-event", 8000);
	ck_assert_ptr_nonnull(te8);
	ck_assert_str_eq(te8->fmtp, "0-16");
	ck_assert_ptr_null(by_name(o.codecs, o.n, "telephone-event", 48000));
	sdp_free(a);
	if (g_have_opus) {
		static const char *const opus_only[] = { "opus", NULL };
		struct xneg_target t2 = { .prefs = opus_only };
		a = sdp_of("0", "");
		ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t2, XNEG_EXTRAS_PREFS,
						   &o), 0);
		ck_assert_ptr_nonnull(by_name(o.codecs, o.n, "telephone-event", 8000));
		ck_assert_ptr_nonnull(by_name(o.codecs, o.n, "telephone-event", 48000));
		sdp_free(a);
		a = sdp_of("111", "a=rtpmap:111 opus/48000/2\r\n");
		ck_assert_int_eq(xneg_offer_codecs(&g_cat, &a->streams[0], NULL, &t, XNEG_EXTRAS_PREFS, &o),
				 0);
		ck_assert_ptr_null(by_name(o.codecs, o.n, "telephone-event", 0));
		sdp_free(a);
	}
}
END_TEST

/* The answer built for the offerer: pass-through in its numbers, or one
 * transcodable codec with its module's fmtp answer; telephone-event when
 * the other leg took it, or when F's events can be played in-band to it
 * (transcoded, or G.711), not for an Opus pass-through. */
START_TEST(answer_pass_and_transcode)
{
	struct msdp *off = sdp_of("0 8 111 101", "a=rtpmap:111 opus/48000/2\r\n"
				  "a=fmtp:111 useinbandfec=1\r\n" TE);
	struct msdp *ans = sdp_of("8 101", TE);
	struct xneg_answer o;

	ck_assert_int_eq(xneg_answer_codecs(&g_cat, &off->streams[0], NULL, &ans->streams[0], &o), 0);
	ck_assert(!o.xcode);
	ck_assert_uint_eq(o.n, 2);
	ck_assert_uint_eq(o.codecs[0].pt, 8);
	ck_assert_str_eq(o.codecs[1].name, "telephone-event");
	sdp_free(ans);

	/* The trunk answered a codec the caller did not offer (G.722 here, added
	 * by us): transcode, answer the caller's first transcodable codec. */
	if (g_have_g722) {
		struct msdp *off2 = sdp_of("18 0 101", TE);
		ans = sdp_of("9", "");
		ck_assert_int_eq(xneg_answer_codecs(&g_cat, &off2->streams[0], NULL, &ans->streams[0], &o), 0);
		ck_assert(o.xcode);
		ck_assert_uint_eq(o.n, 2);                  /* B took none: played in-band */
		ck_assert_str_eq(o.codecs[0].name, "PCMU");  /* G729: no mod_g729 loaded here */
		ck_assert_uint_eq(o.codecs[0].pt, 0);
		ck_assert_str_eq(o.codecs[1].name, "telephone-event");
		ck_assert_uint_eq(o.codecs[1].pt, 101);
		sdp_free(ans);
		sdp_free(off2);
	}
	if (g_have_opus) {
		struct msdp *off3 = sdp_of("0 101", TE);
		ans = sdp_of("96 97", "a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/48000\r\n");
		ck_assert_int_eq(xneg_answer_codecs(&g_cat, &off3->streams[0], NULL, &ans->streams[0], &o), 0);
		ck_assert(o.xcode);
		ck_assert_uint_eq(o.n, 2);
		ck_assert_uint_eq(o.codecs[0].pt, 0);
		ck_assert_uint_eq(o.codecs[1].pt, 101);     /* the caller's own event PT */
		sdp_free(ans);
		sdp_free(off3);
		/* Opus pass-through, B without events: none for A (not decoded). */
		off3 = sdp_of("111 101", "a=rtpmap:111 opus/48000/2\r\n" TE);
		ans = sdp_of("111", "a=rtpmap:111 opus/48000/2\r\n");
		ck_assert_int_eq(xneg_answer_codecs(&g_cat, &off3->streams[0], NULL, &ans->streams[0], &o), 0);
		ck_assert(!o.xcode);
		ck_assert_uint_eq(o.n, 1);
		sdp_free(ans);
		sdp_free(off3);
	}
	/* PCMU pass-through, B without events: A keeps them (played in-band). */
	ans = sdp_of("0", "");
	ck_assert_int_eq(xneg_answer_codecs(&g_cat, &off->streams[0], NULL, &ans->streams[0], &o), 0);
	ck_assert(!o.xcode);
	ck_assert_uint_eq(o.n, 2);
	ck_assert_str_eq(o.codecs[1].name, "telephone-event");
	sdp_free(ans);
	sdp_free(off);
}
END_TEST

static void leg_of(const char *fmts, const char *attrs, struct xleg *x)
{
	struct msdp *m = sdp_of(fmts, attrs);
	struct xcodec ours[MSDP_MAX_CODECS];
	for (size_t i = 0; i < m->streams[0].ncodecs; i++)
		xcodec_of(&m->streams[0].codecs[i], &ours[i]);
	xleg_build(&g_cat, &m->streams[0], ours, m->streams[0].ncodecs, NULL, true, x);
	sdp_free(m);
}

/* The plan's maps: PTs renumbered per leg in pass-through, events mapped
 * with their clock rates, or dropped toward a leg without telephone-event. */
START_TEST(plan_maps)
{
	struct xleg a, b;
	struct xplan p;
	char why[200];

	leg_of("111 101", "a=rtpmap:111 opus/48000/2\r\n" TE, &a);
	leg_of("96 97", "a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/48000\r\n", &b);
	ck_assert_int_eq(xplan_make(&a, &b, &p, why, sizeof why), 0);
	ck_assert(!p.xcode);
	ck_assert(p.map[0].on && p.map[1].on);
	ck_assert_uint_eq(p.map[0].act[111], RM_PASS);
	ck_assert_uint_eq(p.map[0].out_pt[111], 96);
	ck_assert_uint_eq(p.map[1].act[96], RM_PASS);
	ck_assert_uint_eq(p.map[1].out_pt[96], 111);
	ck_assert_uint_eq(p.map[0].act[101], RM_EVENT);
	ck_assert_uint_eq(p.map[0].out_pt[101], 97);
	ck_assert_uint_eq(p.map[0].ev_out_rate, 48000);
	ck_assert_uint_eq(p.map[1].ev_out_rate, 8000);
	ck_assert_uint_eq(p.map[0].act[0], RM_DROP);            /* never negotiated */

	/* B took no telephone-event: A's events are dropped, never sent. */
	leg_of("96", "a=rtpmap:96 opus/48000/2\r\n", &b);
	ck_assert_int_eq(xplan_make(&a, &b, &p, why, sizeof why), 0);
	ck_assert_uint_eq(p.map[0].act[101], RM_DROP);

	ck_assert(!p.dtmf);                                     /* Opus: not decoded for DTMF */

	/* Different codecs: transcoding, audio into the engine; A's events
	 * are played in-band to B, which took none; B's in-band digits are
	 * detected and sent to A as events. */
	leg_of("0 101", TE, &a);
	ck_assert_int_eq(xplan_make(&a, &b, &p, why, sizeof why), g_have_opus ? 0 : -ENOTSUP);
	if (g_have_opus) {
		ck_assert(p.xcode);
		ck_assert_uint_eq(p.map[0].act[0], RM_AUDIO);
		ck_assert_uint_eq(p.map[0].audio_out_pt, 96);
		ck_assert_uint_eq(p.map[1].act[96], RM_AUDIO);
		ck_assert_uint_eq(p.map[1].audio_out_pt, 0);
		ck_assert_uint_eq(p.map[0].act[101], RM_TONE);
		ck_assert(p.cfg.dir[0].dtmf_tones && !p.cfg.dir[0].dtmf_detect);
		ck_assert(!p.cfg.dir[1].dtmf_tones && p.cfg.dir[1].dtmf_detect);
		ck_assert_uint_eq(p.map[1].ev_out_pt, 101);
		/* The reverse: B has events, A none: A's in-band digits detected. */
		struct xleg a2, b2;
		leg_of("0", "", &a2);
		leg_of("96 97", "a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/48000\r\n", &b2);
		ck_assert_int_eq(xplan_make(&a2, &b2, &p, why, sizeof why), 0);
		ck_assert(p.cfg.dir[0].dtmf_detect && !p.cfg.dir[0].dtmf_tones);
		ck_assert(p.cfg.dir[1].dtmf_tones && !p.cfg.dir[1].dtmf_detect);
		ck_assert_uint_eq(p.map[0].ev_out_pt, 97);
		ck_assert_uint_eq(p.map[1].act[97], RM_TONE);
	}
	/* G.711 pass-through, B without events: A->B decoded to play them
	 * in-band (no slot), B->A untouched. */
	struct xleg a3, b3;
	leg_of("0 101", TE, &a3);
	leg_of("0", "", &b3);
	ck_assert_int_eq(xplan_make(&a3, &b3, &p, why, sizeof why), 0);
	ck_assert(!p.xcode && p.dtmf);
	ck_assert(p.map[0].xcode && !p.map[1].xcode);
	ck_assert_uint_eq(p.map[0].act[0], RM_AUDIO);
	ck_assert_uint_eq(p.map[0].act[101], RM_TONE);
	ck_assert_uint_eq(p.map[1].act[0], RM_PASS);
	ck_assert(p.cfg.dir[0].dtmf_tones && !p.cfg.dir[1].dtmf_tones);
	ck_assert(!p.cfg.dir[0].dtmf_detect && !p.cfg.dir[1].dtmf_detect);
	/* A codec no module knows cannot be transcoded. */
	leg_of("3", "", &b);                                        /* GSM */
	ck_assert_int_eq(xplan_make(&a, &b, &p, why, sizeof why), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "GSM"));
}
END_TEST

/* The gateway's own offer: what the catalogue knows, G.711 first. */
START_TEST(local_offer_known_codecs)
{
	struct xneg_offer o;
	static const char *const bogus[] = { "nosuch", NULL };

	ck_assert_int_eq(xneg_local_codecs(&g_cat, NULL, &o), 0);
	ck_assert_str_eq(o.codecs[0].name, "PCMU");
	ck_assert_uint_eq(o.codecs[0].pt, 0);
	ck_assert_str_eq(o.codecs[1].name, "PCMA");
	ck_assert_ptr_nonnull(by_name(o.codecs, o.n, "telephone-event", 8000));
	if (g_have_opus)
		ck_assert_ptr_nonnull(by_name(o.codecs, o.n, "telephone-event", 48000));
	ck_assert_int_eq(xneg_local_codecs(&g_cat, bogus, &o), -ENOTSUP);
}
END_TEST

TCase *tt_neg_tcase(void)
{
	TCase *tc = tcase_create("negotiation");
	tcase_add_checked_fixture(tc, cat_setup, tt_mods_free);
	tcase_add_test(tc, offer_to_opus_leg);
	tcase_add_test(tc, offer_filtered_and_ordered);
	tcase_add_test(tc, offer_payload_types_per_leg);
	tcase_add_test(tc, offer_missing_module);
	tcase_add_test(tc, offer_te_for_interworking);
	tcase_add_test(tc, answer_pass_and_transcode);
	tcase_add_test(tc, plan_maps);
	tcase_add_test(tc, local_offer_known_codecs);
	return tc;
}
