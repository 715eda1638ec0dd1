/* test_transcode_dtmf.c - DTMF interworking through the media API over real
 * UDP (dtmf_iw.h): "0123456789*#ABCD" sent as RFC 4733 events by one leg is
 * decoded in-band with spandsp's dtmf_rx on a leg that took no
 * telephone-event (transcoded, G.711 pass-through, and from an Opus leg's
 * telephone-event/48000); in-band digits from a leg without
 * telephone-event arrive as events on the other, and never also as tones
 * (dtmf_rx on the audio finds none). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>
#include <spandsp/logging.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

#include "media/dtmf_iw.h"
#include "test_transcode.h"

#define DIGITS "0123456789*#ABCD"
#define LEAD 10                     /* audio periods before the first digit */
#define CYCLE 8                     /* periods per digit (events or tones) */
#define NPER (LEAD + 16 * CYCLE + 10)

#define TE8 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"

/* Events: per digit 4 packets (80 ms, the last flagged end), the end
 * repeated twice, then 2 periods of audio; audio before and after. */
struct evd_gen {
	uint8_t pt;
	uint32_t rate;                  /* the leg's RTP clock = event clock here */
	gen_fn audio;
	void *actx;
};

static size_t gen_event_digits(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	struct evd_gen *g = ctx;
	int j = k - LEAD, d = j / CYCLE, p = j % CYCLE;

	if (j < 0 || d >= 16 || p >= 6)
		return g->audio(g->actx, k, pl, pt, ts);
	uint32_t dur = (uint32_t)(p < 4 ? p + 1 : 4) * g->rate / 50;
	pl[0] = (uint8_t)dtmf_code_of(DIGITS[d]);
	pl[1] = (uint8_t)((p >= 3 ? 0x80 : 0) | 10);
	pl[2] = (uint8_t)(dur >> 8);
	pl[3] = (uint8_t)dur;
	*pt = g->pt;
	*ts = (uint32_t)(LEAD + d * CYCLE) * g->rate / 50;
	return 4;
}

/* In-band: spandsp's dtmf_tx, 80 ms on / 80 ms off, into G.711. */
struct inband_gen {
	dtmf_tx_state_t *tx;
	bool alaw;
	uint8_t pt;
};

static size_t gen_inband(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	struct inband_gen *g = ctx;
	int16_t pcm[160] = { 0 };

	if (k >= LEAD)
		dtmf_tx(g->tx, pcm, 160);
	for (int i = 0; i < 160; i++)
		pl[i] = g->alaw ? linear_to_alaw(pcm[i]) : linear_to_ulaw(pcm[i]);
	*pt = g->pt;
	*ts = 160u * (unsigned)k;
	return 160;
}

static void inband_init(struct inband_gen *g, bool alaw, uint8_t pt)
{
	g->tx = dtmf_tx_init(NULL);
	ck_assert_ptr_nonnull(g->tx);
	dtmf_tx_set_timing(g->tx, 80, 80);
	ck_assert_int_eq(dtmf_tx_put(g->tx, DIGITS, -1), 0);
	g->alaw = alaw;
	g->pt = pt;
}

/* dtmf_rx over the G.711 audio of PT 'pt' that arrived (other PTs skipped). */
static void detect_inband(const struct rx *rx, uint8_t pt, bool alaw, char *out, size_t size)
{
	dtmf_rx_state_t *drx = dtmf_rx_init(NULL, NULL, NULL);
	int16_t pcm[1500];

	ck_assert_ptr_nonnull(drx);
	for (int i = 0; i < rx->n; i++) {
		const struct rtp_hdr *h = &rx->pk[i].h;
		if (h->pt != pt)
			continue;
		size_t n = h->payload_len < 1500 ? h->payload_len : 1500;
		for (size_t k = 0; k < n; k++) {
			uint8_t c = rx->pk[i].buf[h->hdr_len + k];
			pcm[k] = alaw ? alaw_to_linear(c) : ulaw_to_linear(c);
		}
		dtmf_rx(drx, pcm, (int)n);
	}
	int16_t quiet[800] = { 0 };
	dtmf_rx(drx, quiet, 800);
	size_t got = dtmf_rx_get(drx, out, (int)size - 1);
	out[got] = '\0';
	dtmf_rx_free(drx);
}

/* Digits of the events of PT 'pt' (a new event per start timestamp); every
 * event ends (E bit), its durations never shrink and are multiples of
 * 'tick'. */
static void events_digits(const struct rx *rx, uint8_t pt, uint32_t tick, char *out, size_t size)
{
	size_t n = 0;
	bool have = false, ended = true;
	uint32_t ts = 0, last_dur = 0;

	for (int i = 0; i < rx->n; i++) {
		const struct rtp_hdr *h = &rx->pk[i].h;
		if (h->pt != pt)
			continue;
		const uint8_t *p = rx->pk[i].buf + h->hdr_len;
		ck_assert_uint_eq(h->payload_len, 4);
		uint32_t dur = (uint32_t)(p[2] << 8 | p[3]);
		if (!have || h->ts != ts) {
			ck_assert_msg(ended, "event %zu never ended", n);
			ck_assert(h->marker);
			have = true;
			ended = false;
			ts = h->ts;
			last_dur = 0;
			if (n + 1 < size)
				out[n++] = dtmf_char_of(p[0]);
		}
		ck_assert_uint_ge(dur, last_dur);
		ck_assert_uint_eq(dur % tick, 0);
		last_dur = dur;
		ended |= (p[1] & 0x80) != 0;
	}
	ck_assert(ended);
	out[n] = '\0';
}

static int count_pt(const struct rx *rx, uint8_t pt)
{
	int n = 0;
	for (int i = 0; i < rx->n; i++)
		n += rx->pk[i].h.pt == pt;
	return n;
}

/* PCMU + events caller, PCMA-only trunk without events (transcoded): the
 * digits arrive as tones, and nothing but PCMA reaches the trunk. */
START_TEST(events_to_tones_transcoded)
{
	static const char *const pcma[] = { "PCMA", NULL };
	static struct rx at_a, at_b;
	struct tcall c;
	char got[64];

	ck_assert_int_eq(call_offer(&c, pcma, "0 101", TE8), 0);
	call_answer(&c, "8", "");
	ck_assert_ptr_nonnull(strstr(c.answer_a_txt, "telephone-event"));
	struct g711_gen audio = { false, 0, 400 };
	struct evd_gen ga = { 101, 8000, gen_g711, &audio };
	exchange(&c, NPER, gen_event_digits, &ga, NULL, NULL, &at_a, &at_b);
	ck_assert_int_eq(count_pt(&at_b, 8), at_b.n);
	ck_assert_int_ge(at_b.n, NPER * 9 / 10);
	detect_inband(&at_b, 8, true, got, sizeof got);
	ck_assert_str_eq(got, DIGITS);
	call_end(&c);
}
END_TEST

/* Same codec (PCMU) both legs, the trunk without events: that direction is
 * decoded to play them; the other stays a pass-through. */
START_TEST(events_to_tones_passthrough)
{
	static struct rx at_a, at_b;
	struct tcall c;
	char got[64];

	ck_assert_int_eq(call_offer(&c, NULL, "0 101", TE8), 0);
	call_answer(&c, "0", "");
	struct g711_gen audio = { false, 0, 400 };
	struct evd_gen ga = { 101, 8000, gen_g711, &audio };
	struct g711_gen bgen = { false, 0, 700 };
	exchange(&c, NPER, gen_event_digits, &ga, gen_g711, &bgen, &at_a, &at_b);
	ck_assert_int_eq(count_pt(&at_b, 0), at_b.n);
	detect_inband(&at_b, 0, false, got, sizeof got);
	ck_assert_str_eq(got, DIGITS);
	/* B -> A untouched: B's own SSRC and sequence numbers. */
	ck_assert_int_ge(at_a.n, NPER * 9 / 10);
	for (int i = 0; i < at_a.n; i++)
		ck_assert_uint_eq(at_a.pk[i].h.ssrc, 0xb0b);
	struct media_leg_stats st[2];
	media_session_stats(c.s, st);
	ck_assert(!st[0].transcoded);
	call_end(&c);
}
END_TEST

/* PCMU caller without events, PCMA trunk with them (transcoded): in-band
 * digits arrive as events, and their tones are muted (no digit twice). */
START_TEST(tones_to_events_transcoded)
{
	static const char *const pcma[] = { "PCMA", NULL };
	static struct rx at_a, at_b;
	struct tcall c;
	char got[64], dup[64];

	ck_assert_int_eq(call_offer(&c, pcma, "0", ""), 0);
	const struct msdp_codec *te = offered(&c.offer_b, "telephone-event", 8000);
	ck_assert_ptr_nonnull(te);                          /* offered for interworking */
	char fmts[16], attrs[128];
	snprintf(fmts, sizeof fmts, "8 %u", te->pt);
	snprintf(attrs, sizeof attrs, "a=rtpmap:%u telephone-event/8000\r\n", te->pt);
	uint8_t tpt = te->pt;
	call_answer(&c, fmts, attrs);
	ck_assert_ptr_null(strstr(c.answer_a_txt, "telephone-event"));   /* A offered none */
	struct inband_gen ga;
	inband_init(&ga, false, 0);
	exchange(&c, NPER, gen_inband, &ga, NULL, NULL, &at_a, &at_b);
	dtmf_tx_free(ga.tx);
	events_digits(&at_b, tpt, 160, got, sizeof got);
	ck_assert_str_eq(got, DIGITS);
	detect_inband(&at_b, 8, true, dup, sizeof dup);
	ck_assert_msg(dup[0] == '\0', "digits also in-band: \"%s\"", dup);
	ck_assert_int_ge(count_pt(&at_b, 8), NPER * 8 / 10);
	call_end(&c);
}
END_TEST

/* The same with a trunk that wants SIP INFO: the detected digits are
 * reported (MEDIA_EV_DTMF, in order, once each), neither sent as events nor
 * left in the audio. */
START_TEST(tones_to_info_transcoded)
{
	static const char *const pcma[] = { "PCMA", NULL };
	static struct rx at_a, at_b;
	struct tcall c;
	char got[64] = "", dup[64];
	size_t n = 0;

	g_b_dtmf_info = true;
	ck_assert_int_eq(call_offer(&c, pcma, "0", ""), 0);
	const struct msdp_codec *te = offered(&c.offer_b, "telephone-event", 8000);
	ck_assert_ptr_nonnull(te);
	char fmts[16], attrs[128];
	snprintf(fmts, sizeof fmts, "8 %u", te->pt);
	snprintf(attrs, sizeof attrs, "a=rtpmap:%u telephone-event/8000\r\n", te->pt);
	uint8_t tpt = te->pt;
	call_answer(&c, fmts, attrs);
	struct inband_gen ga;
	inband_init(&ga, false, 0);
	exchange(&c, NPER, gen_inband, &ga, NULL, NULL, &at_a, &at_b);
	dtmf_tx_free(ga.tx);
	mt_pump(tt_owner(), 50);
	const struct mt_owner *ow = tt_owner();
	for (int i = 0; i < ow->nev && n + 1 < sizeof got; i++)
		if (ow->ev[i].ev.type == MEDIA_EV_DTMF) {
			ck_assert_int_eq(ow->ev[i].ev.leg, MEDIA_LEG_B);
			ck_assert_uint_ge(ow->ev[i].ev.duration_ms, 40);
			got[n++] = ow->ev[i].ev.digit;
		}
	got[n] = '\0';
	ck_assert_str_eq(got, DIGITS);
	ck_assert_int_eq(count_pt(&at_b, tpt), 0);
	detect_inband(&at_b, 8, true, dup, sizeof dup);
	ck_assert_msg(dup[0] == '\0', "digits also in-band: \"%s\"", dup);
	call_end(&c);
	g_b_dtmf_info = false;
}
END_TEST

/* PCMU caller without events, Opus trunk with telephone-event/48000 (the
 * baresip case), both ways at once: the trunk's events (48 kHz clock) play
 * as tones to the caller, the caller's tones arrive as 48 kHz events. */
START_TEST(opus_both_ways)
{
	if (!g_have_opus)
		return;
	static const char *const opus[] = { "opus", NULL };
	const struct tandem_codec *op = tt_codec("opus", 48000, 2);
	static struct rx at_a, at_b;
	struct tcall c;
	char got[64], attrs[256], fmts[32];

	ck_assert_int_eq(call_offer(&c, opus, "0", ""), 0);
	uint8_t opt = offered(&c.offer_b, "opus", 48000)->pt;
	const struct msdp_codec *te = offered(&c.offer_b, "telephone-event", 48000);
	ck_assert_ptr_nonnull(te);
	ck_assert_ptr_nonnull(offered(&c.offer_b, "telephone-event", 8000));
	uint8_t tpt = te->pt;
	snprintf(attrs, sizeof attrs, "a=rtpmap:%u opus/48000/2\r\na=rtpmap:%u telephone-event/48000\r\n",
		 opt, tpt);
	snprintf(fmts, sizeof fmts, "%u %u", opt, tpt);
	call_answer(&c, fmts, attrs);

	struct inband_gen ga;
	inband_init(&ga, false, 0);
	struct opus_gen gb_audio = { NULL, opt, 300 };
	ck_assert_int_eq(op->engine->create(op, NULL, 48000, TANDEM_CODEC_ENCODE, &gb_audio.enc), 0);
	struct evd_gen gb = { tpt, 48000, gen_opus, &gb_audio };
	exchange(&c, NPER, gen_inband, &ga, gen_event_digits, &gb, &at_a, &at_b);
	op->engine->destroy(gb_audio.enc);
	dtmf_tx_free(ga.tx);

	detect_inband(&at_a, 0, false, got, sizeof got);
	ck_assert_str_eq(got, DIGITS);
	ck_assert_int_eq(count_pt(&at_a, 0), at_a.n);       /* A: no events, ever */
	events_digits(&at_b, tpt, 960, got, sizeof got);
	ck_assert_str_eq(got, DIGITS);
	call_end(&c);
}
END_TEST

/* Units: the generator's tones are the digit's (dtmf_rx at 8 kHz), as long
 * as the event (at least DTMF_GEN_MIN_MS), one tone per event however
 * often its packets repeat, and a lost end stops it. */
START_TEST(gen_units)
{
	struct dtmf_gen g;
	int16_t pcm[160];
	char got[8];
	dtmf_rx_state_t *drx = dtmf_rx_init(NULL, NULL, NULL);

	dtmf_gen_init(&g, 8000);
	uint8_t ev[4] = { 11, 10, 0, 160 };                 /* '#', 20 ms so far */
	int tone = 0;
	for (int k = 0; k < 20; k++) {
		if (k < 3)
			dtmf_gen_event(&g, ev, 4, 1234, 8000);      /* repeats: one event */
		if (k == 3) {
			ev[1] |= 0x80;
			ev[3] = 0;
			ev[2] = 3;                              /* 768 ticks = 96 ms */
			for (int r = 0; r < 3; r++)
				dtmf_gen_event(&g, ev, 4, 1234, 8000);
		}
		for (int i = 0; i < 160; i++)
			pcm[i] = 1;
		dtmf_gen_frame(&g, pcm, 160);
		for (int i = 0; i < 160; i++)
			tone += pcm[i] != 1 && pcm[i] != 0;
		dtmf_rx(drx, pcm, 160);
	}
	ck_assert_int_eq((int)g.digits, 1);
	ck_assert_msg(tone >= 750 && tone <= 790, "tone samples %d", tone);  /* 768, a few samples cross 0 */
	ck_assert(!dtmf_gen_busy(&g));
	ck_assert_int_eq((int)dtmf_rx_get(drx, got, 7), 1);
	ck_assert_int_eq(got[0], '#');
	/* No end: stops DTMF_GEN_IDLE_MS after the last packet. */
	ev[0] = 1;
	ev[1] = 10;
	dtmf_gen_event(&g, ev, 4, 5000, 8000);
	int frames = 0;
	while (dtmf_gen_busy(&g) && frames < 100) {
		dtmf_gen_frame(&g, pcm, 160);
		frames++;
	}
	ck_assert_int_le(frames, (DTMF_GEN_IDLE_MS + DTMF_GEN_GAP_MS) / 20 + 1);
	/* Bad input is ignored. */
	uint8_t bad[4] = { 200, 0x80, 0, 10 };
	dtmf_gen_event(&g, bad, 4, 9, 8000);
	dtmf_gen_event(&g, ev, 3, 9, 8000);
	ck_assert(!dtmf_gen_busy(&g));
	ck_assert_int_eq(dtmf_code_of('*'), 10);
	ck_assert_int_eq(dtmf_code_of('D'), 15);
	ck_assert_int_eq(dtmf_code_of('x'), -1);
	ck_assert_int_eq(dtmf_char_of(11), '#');
	dtmf_rx_free(drx);
}
END_TEST

TCase *tt_dtmf_tcase(void)
{
	TCase *tc = tcase_create("dtmf");
	tcase_add_checked_fixture(tc, tt_setup, tt_teardown);
	tcase_add_test(tc, gen_units);
	tcase_add_test(tc, events_to_tones_transcoded);
	tcase_add_test(tc, events_to_tones_passthrough);
	tcase_add_test(tc, tones_to_events_transcoded);
	tcase_add_test(tc, tones_to_info_transcoded);
	tcase_add_test(tc, opus_both_ways);
	tcase_set_timeout(tc, 30);
	return tc;
}
