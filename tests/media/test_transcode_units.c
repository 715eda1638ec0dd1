/* test_transcode_units.c - the transcoding parts without sockets: jitter
 * buffer, resampler, RFC 4733 rescaling, and the engine pipeline driven by
 * hand (tone through PCMU -> Opus -> PCMU, timestamps, CPU per frame). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "media/dtmf.h"
#include "media/jitter.h"
#include "media/transcode.h"
#include "media/transcode_rs.h"
#include "test_transcode.h"

static double pcmu_to_double(uint8_t c)
{
	return ulaw_to_linear(c);
}

/* ---- jitter buffer ---- */

static struct jbuf *jb_new8k(void)
{
	struct jbuf *jb = calloc(1, sizeof *jb);
	ck_assert_ptr_nonnull(jb);
	jb_init(jb, 8000, 20);
	return jb;
}

static void put(struct jbuf *jb, uint16_t seq, uint64_t at_ms)
{
	uint8_t pl[4] = { (uint8_t)seq, 0, 0, 0 };
	jb_put(jb, 0x1234, seq, 160u * seq, pl, sizeof pl, at_ms * 1000);
}

static int pop_seq(struct jbuf *jb)
{
	const struct jb_pkt *p;
	uint32_t ticks;
	enum jb_res r = jb_pop(jb, &p, &ticks);
	if (r == JB_PACKET)
		return p->seq;
	return r == JB_LOST ? -1 : r == JB_GAP ? -2 : -3;
}

START_TEST(jb_reorders)
{
	struct jbuf *jb = jb_new8k();
	uint16_t order[] = { 2, 1, 3, 5, 4, 6 };

	for (int i = 0; i < 6; i++)
		put(jb, order[i], 20u * order[i]);
	ck_assert(jb_period(jb));
	for (int s = 1; s <= 6; s++)
		ck_assert_int_eq(pop_seq(jb), s);
	ck_assert_int_eq(pop_seq(jb), -3);          /* empty: underrun */
	ck_assert_uint_eq(jb->st.underruns, 1);
	ck_assert_uint_eq(jb->st.played, 6);
	free(jb);
}
END_TEST

START_TEST(jb_loss_late_dup)
{
	struct jbuf *jb = jb_new8k();

	put(jb, 1, 20);
	put(jb, 2, 40);
	put(jb, 2, 41);                             /* duplicate */
	put(jb, 4, 80);
	ck_assert(jb_period(jb));
	ck_assert_int_eq(pop_seq(jb), 1);
	ck_assert_int_eq(pop_seq(jb), 2);
	const struct jb_pkt *p;
	uint32_t ticks;
	ck_assert_int_eq(jb_pop(jb, &p, &ticks), JB_LOST);
	ck_assert_uint_eq(ticks, 160);
	ck_assert_ptr_nonnull(jb_peek(jb));         /* 4 is there: FEC source */
	ck_assert_int_eq(pop_seq(jb), 4);
	put(jb, 3, 100);                            /* too late now */
	ck_assert_int_eq(pop_seq(jb), -3);
	ck_assert_uint_eq(jb->st.dup, 1);
	ck_assert_uint_eq(jb->st.late, 1);
	ck_assert_uint_eq(jb->st.lost, 1);
	free(jb);
}
END_TEST

/* Steady arrivals: the target is one period; jittery ones raise it (within
 * 20..60 ms), and the player waits for that depth before it starts. */
START_TEST(jb_target_adapts)
{
	struct jbuf *jb = jb_new8k();

	for (int s = 1; s <= 50; s++)
		put(jb, (uint16_t)s, 20u * (unsigned)s);
	ck_assert_uint_eq(jb_target(jb), 160);
	jb_reset(jb);
	jb->jitter16 = 0;
	for (int s = 1; s <= 200; s++)
		put(jb, (uint16_t)s, 20u * (unsigned)s + (s % 2 ? 0 : 12));
	uint32_t t = jb_target(jb);
	ck_assert_msg(t > 160 + 8 * 8 && t <= 480, "target %u ticks", t);
	jb_reset(jb);
	put(jb, 1000, 5000);                        /* 20 ms buffered: not enough */
	ck_assert(!jb_period(jb));
	put(jb, 1001, 5020);
	put(jb, 1002, 5040);
	ck_assert(jb_period(jb));
	free(jb);
}
END_TEST

/* A second with more buffered than target + one period: one packet goes. */
START_TEST(jb_latency_drop)
{
	struct jbuf *jb = jb_new8k();
	uint16_t next = 1;

	for (; next <= 8; next++)
		put(jb, next, 20u * next);              /* a burst: 160 ms */
	int got = 0;
	for (int period = 0; period < 120; period++) {
		put(jb, next, 20u * next);
		next++;
		ck_assert(jb_period(jb));
		if (pop_seq(jb) > 0)
			got++;
	}
	ck_assert_uint_ge(jb->st.dropped, 2);
	ck_assert_uint_lt(jb_depth(jb), 8 * 160);
	ck_assert_int_ge(got, 118);
	free(jb);
}
END_TEST

/* A timestamp jump (silence suppression) plays as a gap; a new SSRC or a
 * huge sequence jump starts over. */
START_TEST(jb_gap_and_resync)
{
	struct jbuf *jb = jb_new8k();
	uint8_t pl[4] = { 0 };
	const struct jb_pkt *p;
	uint32_t ticks;

	jb_put(jb, 7, 1, 160, pl, 4, 20000);
	jb_put(jb, 7, 2, 160 + 160 + 800, pl, 4, 140000);
	ck_assert(jb_period(jb));
	ck_assert_int_eq(pop_seq(jb), 1);
	ck_assert_int_eq(jb_pop(jb, &p, &ticks), JB_GAP);
	ck_assert_uint_eq(ticks, 800);
	jb_skip(jb, 800);
	ck_assert_int_eq(pop_seq(jb), 2);
	jb_put(jb, 8, 500, 9999, pl, 4, 160000);    /* new SSRC */
	ck_assert_uint_eq(jb->st.resync, 1);
	ck_assert_uint_eq(jb->count, 1);
	jb_put(jb, 8, 5000, 99999, pl, 4, 180000);  /* sequence jump */
	ck_assert_uint_eq(jb->st.resync, 2);
	jb_put(jb, 8, 5001, 99999 + 160, pl, 2000, 200000);
	ck_assert_uint_eq(jb->st.toobig, 1);
	free(jb);
}
END_TEST

/* ---- resampler ---- */

static void resample_tone(uint32_t from, uint32_t to)
{
	struct xrs rs;
	size_t blk = from / 50, nout = 0;
	int16_t in[960], out[1000];
	static double y[48000];

	ck_assert_int_eq(xrs_init(&rs, from, to, blk), 0);
	for (size_t off = 0; off < from; off += blk) {
		tt_tone(in, blk, off, from, 1000, -10);
		size_t n = xrs_process(&rs, in, blk, out, sizeof out / sizeof out[0]);
		ck_assert_uint_le(n, blk * to / from + 1);
		for (size_t i = 0; i < n && nout < to; i++)
			y[nout++] = out[i];
	}
	xrs_free(&rs);
	ck_assert_uint_ge(nout, to - 2);
	/* Skip the filter's start. */
	double f = tt_peak_freq(y + to / 10, (int)(nout - to / 10), to, 900, 1100);
	double lvl = tt_level_dbfs(y + to / 10, (int)(nout - to / 10));
	ck_assert_msg(fabs(f - 1000) <= 2, "%u->%u: %.1f Hz", from, to, f);
	ck_assert_msg(fabs(lvl + 10) <= 0.3, "%u->%u: %.2f dBFS", from, to, lvl);
}

/* Payloads share one ring (JB_ARENA): what comes out is what went in,
 * across many wraps of the ring and with payloads of every size; when big
 * payloads outgrow the ring, the oldest buffered ones go (overflow), never
 * a newer one's bytes. */
START_TEST(jb_arena_payloads)
{
	struct jbuf *jb = jb_new8k();
	uint8_t pl[JB_MAX_PAYLOAD];
	const struct jb_pkt *p;
	uint32_t ticks;

	for (uint16_t seq = 1; seq < 400; seq++) {
		size_t len = 1 + (seq * 37u) % 300;
		for (size_t i = 0; i < len; i++)
			pl[i] = (uint8_t)(seq + i);
		jb_put(jb, 9, seq, 160u * seq, pl, len, 20000u * seq);
		if (seq < 2)
			continue;
		ck_assert(jb_period(jb));
		ck_assert_int_eq(jb_pop(jb, &p, &ticks), JB_PACKET);
		uint16_t want = (uint16_t)(seq - 1);
		ck_assert_uint_eq(p->seq, want);
		ck_assert_uint_eq(p->len, 1 + (want * 37u) % 300);
		for (size_t i = 0; i < p->len; i++)
			ck_assert_uint_eq(p->data[i], (uint8_t)(want + i));
	}
	ck_assert_uint_eq(jb->st.overflow, 0);
	ck_assert_uint_eq(jb->st.lost, 0);

	/* Six 1,200-byte payloads buffered: the ring holds three. */
	jb_reset(jb);
	jb_init(jb, 8000, 20);
	for (uint16_t seq = 1; seq <= 6; seq++) {
		memset(pl, seq, sizeof pl);
		jb_put(jb, 9, seq, 160u * seq, pl, sizeof pl, 1000u * seq);
	}
	ck_assert_uint_eq(jb->count, JB_ARENA / JB_MAX_PAYLOAD);
	ck_assert_uint_eq(jb->st.overflow, 6 - JB_ARENA / JB_MAX_PAYLOAD);
	ck_assert(jb_period(jb));
	int got = 0;
	for (int i = 0; i < 6; i++) {
		enum jb_res r = jb_pop(jb, &p, &ticks);
		if (r != JB_PACKET)
			continue;
		for (size_t k = 0; k < p->len; k++)
			ck_assert_uint_eq(p->data[k], p->seq);
		ck_assert_uint_gt(p->seq, 6 - JB_ARENA / JB_MAX_PAYLOAD);
		got++;
	}
	ck_assert_int_eq(got, JB_ARENA / JB_MAX_PAYLOAD);
	free(jb);
}
END_TEST

START_TEST(resampler_keeps_tone)
{
	resample_tone(16000, 8000);
	resample_tone(8000, 16000);
	resample_tone(8000, 48000);
	resample_tone(48000, 8000);
	struct xrs rs;
	ck_assert_int_eq(xrs_init(&rs, 8000, 0, 160), -EINVAL);
	ck_assert_int_eq(xrs_init(&rs, 8000, 192000, 160), -EINVAL);
}
END_TEST

/* ---- RFC 4733 ---- */

START_TEST(dtmf_rescaling)
{
	uint8_t ev[8] = { 5, 10, 0x03, 0x20, 5, 0x80 | 10, 0x4e, 0x20 };   /* 800, 20000 */

	ck_assert_int_eq(dtmf_rescale(ev, 8, 8000, 48000), 0);
	ck_assert_uint_eq((unsigned)(ev[2] << 8 | ev[3]), 4800);
	ck_assert_uint_eq((unsigned)(ev[6] << 8 | ev[7]), 0xffff);  /* saturates */
	ck_assert(dtmf_is_end(ev + 4));
	ck_assert_int_eq(dtmf_rescale(ev, 4, 48000, 8000), 0);
	ck_assert_uint_eq((unsigned)(ev[2] << 8 | ev[3]), 800);
	ck_assert_int_eq(dtmf_rescale(ev, 3, 8000, 48000), -EINVAL);
	ck_assert_int_eq(dtmf_rescale(ev, 0, 8000, 48000), -EINVAL);

	struct dtmf_map m = { 0 };
	ck_assert_uint_eq(dtmf_map_ts(&m, 1000, 777), 777);
	ck_assert_uint_eq(dtmf_map_ts(&m, 1000, 999), 777);         /* same event */
	ck_assert_uint_eq(dtmf_map_ts(&m, 2000, 999), 999);         /* a new one */
}
END_TEST

/* ---- the engine, driven by hand ---- */

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A: PCMU, B: Opus. 1 kHz from A goes out as Opus (timestamps +960), comes
 * back through B's direction as PCMU with the tone intact. */
START_TEST(engine_pcmu_opus_roundtrip)
{
	if (!g_have_opus)
		return;
	const struct tandem_codec *pcmu = tt_codec("PCMU", 8000, 1), *opus = tt_codec("opus", 48000, 2);
	struct xcode_cfg cfg = { .dir = {
		{ pcmu, NULL, opus, "useinbandfec=1" },
		{ opus, "useinbandfec=1", pcmu, NULL },
	} };
	struct xcode *x;
	char why[128];
	struct tandem_codec_state *enc;
	const int frames = 500;
	static double y[500 * 160];
	int ny = 0, produced[2] = { 0, 0 };

	ck_assert_int_eq(xcode_new(&cfg, &x, why, sizeof why), 0);
	ck_assert_uint_eq(xcode_ts_step(x, 0), 960);    /* Opus clock, whatever the PCM rate */
	ck_assert_uint_eq(xcode_ts_step(x, 1), 160);
	ck_assert_int_eq(pcmu->engine->create(pcmu, NULL, 8000, TANDEM_CODEC_ENCODE, &enc), 0);
	double spent = 0;
	for (int k = 0; k < frames; k++) {
		int16_t pcm[160];
		uint8_t ulaw[160], op[1500], back[1500];
		tt_tone(pcm, 160, 160u * (unsigned)k, 8000, 1000, -10);
		ck_assert_int_eq(pcmu->engine->encode(enc, pcm, 160, ulaw, sizeof ulaw), 160);
		uint64_t at = 20000u * (unsigned)k;
		double t0 = cpu_us();
		xcode_put(x, 0, 1, (uint16_t)k, 160u * (unsigned)k, ulaw, 160, at);
		int n = xcode_period(x, 0, op, sizeof op);
		int m = 0;
		if (n > 0) {
			produced[0]++;
			xcode_put(x, 1, 2, (uint16_t)k, 960u * (unsigned)k, op, (size_t)n, at);
			m = xcode_period(x, 1, back, sizeof back);
		}
		spent += cpu_us() - t0;
		if (m > 0) {
			produced[1]++;
			for (int i = 0; i < m && ny < frames * 160; i++)
				y[ny++] = pcmu_to_double(back[i]);
		}
	}
	pcmu->engine->destroy(enc);
	struct xcode_stats st;
	xcode_stats(x, 0, &st);
	ck_assert_uint_eq(st.pcm_rate, 8000);           /* Opus at 8 kHz: no resampling */
	ck_assert(!st.resampling);
	xcode_free(x);
	ck_assert_int_ge(produced[0], frames - 2);
	ck_assert_int_ge(produced[1], frames - 3);
	double f = tt_peak_freq(y + 800, ny - 800, 8000, 900, 1100);
	double lvl = tt_level_dbfs(y + 800, ny - 800);
	ck_assert_msg(fabs(f - 1000) <= 10, "round trip at %.1f Hz", f);
	ck_assert_msg(fabs(lvl + 10) <= 2, "round trip level %.2f dBFS", lvl);
	printf("transcode bench: PCMU -> Opus -> PCMU, %.1f us CPU per 20 ms frame pair "
	       "(both directions, jitter buffer included)\n", spent / produced[1]);
}
END_TEST

/* G.722 (16 kHz) against PCMU (8 kHz): the one pair that resamples. */
START_TEST(engine_g722_pcmu_resamples)
{
	if (!g_have_g722)
		return;
	const struct tandem_codec *pcmu = tt_codec("PCMU", 8000, 1), *g722 = tt_codec("G722", 8000, 1);
	struct xcode_cfg cfg = { .dir = { { g722, NULL, pcmu, NULL }, { pcmu, NULL, g722, NULL } } };
	struct xcode *x;
	char why[128];
	struct tandem_codec_state *enc;
	static double y[300 * 160];
	int ny = 0;

	ck_assert_int_eq(xcode_new(&cfg, &x, why, sizeof why), 0);
	ck_assert_uint_eq(xcode_ts_step(x, 0), 160);
	ck_assert_uint_eq(xcode_ts_step(x, 1), 160);   /* G.722's 8000 Hz RTP clock */
	ck_assert_int_eq(g722->engine->create(g722, NULL, 16000, TANDEM_CODEC_ENCODE, &enc), 0);
	for (int k = 0; k < 300; k++) {
		int16_t pcm[320];
		uint8_t pl[200], out[200];
		tt_tone(pcm, 320, 320u * (unsigned)k, 16000, 1000, -10);
		ck_assert_int_eq(g722->engine->encode(enc, pcm, 320, pl, sizeof pl), 160);
		xcode_put(x, 0, 1, (uint16_t)k, 160u * (unsigned)k, pl, 160, 20000u * (unsigned)k);
		int n = xcode_period(x, 0, out, sizeof out);
		for (int i = 0; i < n && ny < 300 * 160; i++)
			y[ny++] = pcmu_to_double(out[i]);
	}
	g722->engine->destroy(enc);
	struct xcode_stats st;
	xcode_stats(x, 0, &st);
	ck_assert(st.resampling);
	xcode_free(x);
	ck_assert_int_ge(ny, 295 * 160);
	double f = tt_peak_freq(y + 800, ny - 800, 8000, 900, 1100);
	double lvl = tt_level_dbfs(y + 800, ny - 800);
	ck_assert_msg(fabs(f - 1000) <= 10, "G.722 -> PCMU at %.1f Hz", f);
	ck_assert_msg(fabs(lvl + 10) <= 1.5, "G.722 -> PCMU level %.2f dBFS", lvl);
}
END_TEST

/* Loss: a missing packet is concealed, the output keeps its pace. */
/* The PCM FIFO is sized by time (XCODE_MAX_PKT_MS), no longer by the ABI's
 * largest decode: 120 ms G.711 packets (960 bytes; the jitter buffer takes
 * packet durations up to 120 ms from the decoder) still decode whole and
 * play out period by period, nothing concealed or cut. */
START_TEST(engine_longest_packets)
{
	const struct tandem_codec *pcmu = tt_codec("PCMU", 8000, 1), *pcma = tt_codec("PCMA", 8000, 1);
	struct xcode_cfg cfg = { .dir = { { pcmu, NULL, pcma, NULL }, { pcma, NULL, pcmu, NULL } } };
	struct xcode *x;
	char why[128];
	uint8_t pl[960], out[200];
	int frames = 0, next = 0;

	ck_assert_int_le(120, XCODE_MAX_PKT_MS);
	ck_assert_int_eq(xcode_new(&cfg, &x, why, sizeof why), 0);
	for (int k = 0; k < 300; k++) {                 /* 6 s of 20 ms periods */
		for (; next < 50 && next * 120 <= k * 20; next++) {
			memset(pl, 0x80 + next, sizeof pl);
			xcode_put(x, 0, 5, (uint16_t)next, 960u * (unsigned)next, pl, sizeof pl,
				  120000u * (unsigned)next);
		}
		if (xcode_period(x, 0, out, sizeof out) == 160)
			frames++;
	}
	struct xcode_stats st;
	xcode_stats(x, 0, &st);
	ck_assert_uint_eq(st.decode_errors, 0);
	ck_assert_uint_eq(st.concealed, 0);
	ck_assert_uint_ge(st.decoded, 49);
	ck_assert_int_ge(frames, 290);
	xcode_free(x);
}
END_TEST

START_TEST(engine_conceals_loss)
{
	const struct tandem_codec *pcmu = tt_codec("PCMU", 8000, 1), *pcma = tt_codec("PCMA", 8000, 1);
	struct xcode_cfg cfg = { .dir = { { pcmu, NULL, pcma, NULL }, { pcma, NULL, pcmu, NULL } } };
	struct xcode *x;
	char why[128];
	uint8_t pl[160], out[200];
	int out_n = 0;

	memset(pl, 0xff, sizeof pl);
	ck_assert_int_eq(xcode_new(&cfg, &x, why, sizeof why), 0);
	for (int k = 0; k < 100; k++) {
		if (k % 10 != 5)
			xcode_put(x, 0, 1, (uint16_t)k, 160u * (unsigned)k, pl, 160, 20000u * (unsigned)k);
		if (xcode_period(x, 0, out, sizeof out) == 160)
			out_n++;
	}
	struct xcode_stats st;
	xcode_stats(x, 0, &st);
	ck_assert_int_ge(out_n, 98);
	ck_assert_uint_ge(st.concealed, 9);
	ck_assert_uint_ge(st.decoded, 89);
	xcode_free(x);

	/* No engine for the codec: refused with a reason. */
	struct tandem_codec fake = *pcmu;
	fake.engine = NULL;
	cfg.dir[0].dec = &fake;
	ck_assert_int_eq(xcode_new(&cfg, &x, why, sizeof why), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "PCMU"));
}
END_TEST

TCase *tt_units_tcase(void)
{
	TCase *tc = tcase_create("units");
	tcase_add_checked_fixture(tc, tt_mods_load, tt_mods_free);
	tcase_add_test(tc, jb_reorders);
	tcase_add_test(tc, jb_loss_late_dup);
	tcase_add_test(tc, jb_target_adapts);
	tcase_add_test(tc, jb_latency_drop);
	tcase_add_test(tc, jb_gap_and_resync);
	tcase_add_test(tc, jb_arena_payloads);
	tcase_add_test(tc, resampler_keeps_tone);
	tcase_add_test(tc, dtmf_rescaling);
	tcase_add_test(tc, engine_pcmu_opus_roundtrip);
	tcase_add_test(tc, engine_g722_pcmu_resamples);
	tcase_add_test(tc, engine_conceals_loss);
	tcase_add_test(tc, engine_longest_packets);
	tcase_set_timeout(tc, 30);
	return tc;
}
