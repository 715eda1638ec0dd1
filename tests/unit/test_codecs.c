/* test_codecs.c - mod_opus, mod_g722 and mod_g729 through the module loader.
 *
 * Each codec encodes and decodes a second of tones in 20 ms frames; the
 * decoded audio is measured (dominant frequency by a Goertzel/DFT scan, level
 * and SNR by fitting the expected sinusoids) after skipping 200 ms of codec
 * delay and start-up. Then loss (PLC, Opus FEC), negotiation (fmtp answers)
 * and error returns. Modules are loaded from BUILD/modules, BUILD being
 * $builddir or found from this binary's path (BUILD/tests/unit/test_codecs).
 */
#include "config.h"

#include "core/log.h"
#include "core/modules.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECOND_MAX 48000

static char g_moddir[PATH_MAX + 16];
static tmodules_t *g_mods;

struct tone {
	double hz, amp;
};

/* --- fixture and helpers ------------------------------------------------ */

static void load_modules(void)
{
	const char *names[] = { "mod_g711", "mod_opus", "mod_g722", "mod_g729", NULL };
	char err[512];
	int rc = tmodules_load(g_moddir, names, &g_mods, err, sizeof err);
	ck_assert_msg(rc == 0, "load failed (%d): %s", rc, err);
}

static void unload_modules(void)
{
	tmodules_free(g_mods);
	g_mods = NULL;
}

static const struct tandem_codec *codec(const char *name, unsigned clock, unsigned ch)
{
	const struct tandem_codec *c = tmodules_find_codec(g_mods, name, clock, ch);
	ck_assert_msg(c != NULL, "codec %s/%u/%u not loaded", name, clock, ch);
	ck_assert_ptr_nonnull(c->engine);
	return c;
}

#define OPUS() codec("opus", 48000, 2)
#define G722() codec("G722", 8000, 1)
#define G729() codec("G729", 8000, 1)

static struct tandem_codec_state *make(const struct tandem_codec *c, const char *fmtp,
				       uint32_t rate, unsigned dir)
{
	struct tandem_codec_state *st = NULL;
	int rc = c->engine->create(c, fmtp, rate, dir, &st);
	ck_assert_msg(rc == 0, "%s create at %u Hz: %d", c->name, rate, rc);
	ck_assert_ptr_nonnull(st);
	return st;
}

static void gen(int16_t *pcm, size_t n, uint32_t rate, const struct tone *t, size_t nt)
{
	for (size_t i = 0; i < n; i++) {
		double v = 0;
		for (size_t k = 0; k < nt; k++)
			v += t[k].amp * sin(2 * M_PI * t[k].hz * (double)i / rate);
		pcm[i] = (int16_t)lrint(v);
	}
}

/* Encode in[n] in 20 ms frames and decode each; out gets n samples. Returns
 * the payload bytes produced. */
static size_t roundtrip(const struct tandem_codec *c, const char *fmtp, uint32_t rate,
			const int16_t *in, int16_t *out, size_t n)
{
	struct tandem_codec_state *enc = make(c, fmtp, rate, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, NULL, rate, TANDEM_CODEC_DECODE);
	size_t frame = rate / 50, bytes = 0;
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];
	static int16_t pcm[TANDEM_CODEC_MAX_SAMPLES];

	for (size_t off = 0; off + frame <= n; off += frame) {
		int len = c->engine->encode(enc, in + off, frame, pay, sizeof pay);
		ck_assert_msg(len > 0, "%s encode: %d", c->name, len);
		bytes += (size_t)len;
		int got = c->engine->decode(dec, pay, (size_t)len, pcm, TANDEM_CODEC_MAX_SAMPLES);
		ck_assert_msg(got == (int)frame, "%s decode: %d, want %zu", c->name, got, frame);
		memcpy(out + off, pcm, frame * sizeof pcm[0]);
	}
	c->engine->destroy(enc);
	c->engine->destroy(dec);
	return bytes;
}

/* DFT of x[n] at 'hz': amplitude 2|X|/n and the complex coefficient. */
static double dft(const int16_t *x, size_t n, uint32_t rate, double hz, double *re, double *im)
{
	double w = 2 * M_PI * hz / rate, cr = 0, ci = 0;
	/* Goertzel recursion for the sums, then the exact end correction. */
	double k = 2 * cos(w), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	cr = s1 * cos(w) - s2;
	ci = s1 * sin(w);
	/* cr + j ci = X(w) e^{jwn}; undo the rotation to get the phase at 0. */
	double rot = -w * (double)n;
	double xr = cr * cos(rot) - ci * sin(rot), xi = cr * sin(rot) + ci * cos(rot);
	if (re)
		*re = 2 * xr / (double)n;
	if (im)
		*im = 2 * xi / (double)n;
	return 2 * hypot(xr, xi) / (double)n;
}

/* Strongest frequency in x[n]: 10 Hz scan on a 20 ms window, then 0.5 Hz
 * steps on the whole window around the winner. */
static double dominant(const int16_t *x, size_t n, uint32_t rate)
{
	size_t shortn = rate / 50;
	double best = 0, best_hz = 0;

	for (double hz = 40; hz < rate / 2.0 - 40; hz += 10) {
		double a = dft(x, shortn, rate, hz, NULL, NULL);
		if (a > best) {
			best = a;
			best_hz = hz;
		}
	}
	double lo = best_hz - 60, hi = best_hz + 60;
	best = 0;
	for (double hz = lo; hz <= hi; hz += 0.5) {
		double a = dft(x, n, rate, hz, NULL, NULL);
		if (a > best) {
			best = a;
			best_hz = hz;
		}
	}
	return best_hz;
}

/* Fit the tones t[] (integer cycles in the window) to x[n]: each one's level
 * relative to its input amplitude (dB) in lvl[], returns the SNR (dB) of the
 * fitted tones over everything else. */
static double fit(const int16_t *x, size_t n, uint32_t rate, const struct tone *t,
		  size_t nt, double *lvl)
{
	double re[4], im[4], sig = 0, noise = 0;

	for (size_t k = 0; k < nt; k++) {
		double a = dft(x, n, rate, t[k].hz, &re[k], &im[k]);
		lvl[k] = 20 * log10(a / t[k].amp);
	}
	for (size_t i = 0; i < n; i++) {
		double f = 0;
		for (size_t k = 0; k < nt; k++) {
			double w = 2 * M_PI * t[k].hz * (double)i / rate;
			f += re[k] * cos(w) - im[k] * sin(w);
		}
		sig += f * f;
		noise += (x[i] - f) * (x[i] - f);
	}
	return 10 * log10(sig / (noise + 1e-9));
}

static double rms(const int16_t *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return sqrt(s / (double)n);
}

/* A second of t[] through c at 'rate'; asserts the dominant tone (the first),
 * every tone's level within 3 dB and the SNR. Returns the payload bytes. */
static size_t check_tones(const struct tandem_codec *c, const char *fmtp, uint32_t rate,
			  const struct tone *t, size_t nt, double min_snr)
{
	static int16_t in[SECOND_MAX], out[SECOND_MAX];
	size_t skip = rate / 5, win = rate / 2;
	double lvl[4];

	gen(in, rate, rate, t, nt);
	size_t bytes = roundtrip(c, fmtp, rate, in, out, rate);
	double hz = dominant(out + skip, win, rate);
	double snr = fit(out + skip, win, rate, t, nt, lvl);
	ck_assert_msg(fabs(hz - t[0].hz) <= 10, "%s@%u: dominant %.1f Hz, want %.0f", c->name,
		      rate, hz, t[0].hz);
	for (size_t k = 0; k < nt; k++)
		ck_assert_msg(fabs(lvl[k]) <= 3, "%s@%u: %.0f Hz at %+.1f dB", c->name, rate,
			      t[k].hz, lvl[k]);
	ck_assert_msg(snr >= min_snr, "%s@%u: SNR %.1f dB < %.1f", c->name, rate, snr, min_snr);
	return bytes;
}

/* Ten frames of a 1 kHz tone, then one lost frame: the concealment is loud
 * and still the tone (within 50 Hz: concealers repeat a whole number of
 * samples per pitch period). */
static void check_plc(const struct tandem_codec *c, uint32_t rate)
{
	struct tandem_codec_state *enc = make(c, NULL, rate, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, NULL, rate, TANDEM_CODEC_DECODE);
	static int16_t in[SECOND_MAX], out[TANDEM_CODEC_MAX_SAMPLES];
	const struct tone t = { 1000, 8000 };
	size_t frame = rate / 50;
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];
	double before = 0;

	gen(in, rate, rate, &t, 1);
	for (size_t f = 0; f < 10; f++) {
		int len = c->engine->encode(enc, in + f * frame, frame, pay, sizeof pay);
		ck_assert_int_gt(len, 0);
		ck_assert_int_eq(c->engine->decode(dec, pay, (size_t)len, out, TANDEM_CODEC_MAX_SAMPLES),
				 (int)frame);
		before = rms(out, frame);
	}
	memset(out, 0, sizeof out);
	ck_assert_int_eq(c->engine->plc(dec, out, frame), (int)frame);
	double r = rms(out, frame), hz = dominant(out, frame, rate);
	ck_assert_msg(r > 0.3 * before, "%s PLC frame rms %.0f vs %.0f before", c->name, r, before);
	ck_assert_msg(fabs(hz - 1000) <= 50, "%s PLC frame at %.1f Hz", c->name, hz);
	/* Encode-only states conceal nothing. */
	ck_assert_int_eq(c->engine->plc(enc, out, frame), -EINVAL);
	c->engine->destroy(enc);
	c->engine->destroy(dec);
}

/* Every payload of garbage is refused or decoded within bounds. */
static void check_garbage(const struct tandem_codec *c, uint32_t rate)
{
	struct tandem_codec_state *dec = make(c, NULL, rate, TANDEM_CODEC_DECODE);
	static int16_t out[TANDEM_CODEC_MAX_SAMPLES];
	uint8_t pay[400];
	unsigned seed = 12345;

	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof pay);
		for (size_t k = 0; k < len; k++)
			pay[k] = (uint8_t)rand_r(&seed);
		int n = c->engine->decode(dec, pay, len, out, TANDEM_CODEC_MAX_SAMPLES);
		ck_assert_msg(n == -EBADMSG || (n > 0 && n <= TANDEM_CODEC_MAX_SAMPLES),
			      "%s: %zu garbage bytes -> %d", c->name, len, n);
	}
	c->engine->destroy(dec);
}

/* create() refusals, *out untouched. */
static void check_create_errors(const struct tandem_codec *c, uint32_t bad_rate,
				uint32_t good_rate)
{
	struct tandem_codec_state *st = (struct tandem_codec_state *)&st;
	const struct tandem_codec *other = codec("PCMU", 8000, 1);
	const struct tandem_codec_engine *e = c->engine;

	ck_assert_int_eq(e->create(c, NULL, bad_rate, TANDEM_CODEC_BOTH, &st), -ENOTSUP);
	ck_assert_int_eq(e->create(c, NULL, 0, TANDEM_CODEC_BOTH, &st), -EINVAL);
	ck_assert_int_eq(e->create(c, NULL, good_rate, 0, &st), -EINVAL);
	ck_assert_int_eq(e->create(c, NULL, good_rate, 4, &st), -EINVAL);
	ck_assert_int_eq(e->create(other, NULL, good_rate, TANDEM_CODEC_BOTH, &st), -EINVAL);
	ck_assert_ptr_eq(st, (struct tandem_codec_state *)&st);
	e->destroy(NULL);
}

/* --- identity ----------------------------------------------------------- */

START_TEST(test_identity)
{
	const struct tandem_codec *o = OPUS(), *g2 = G722(), *g9 = G729();

	ck_assert_str_eq(o->name, "opus");
	ck_assert_uint_eq(o->clock_rate, 48000);
	ck_assert_uint_eq(o->channels, 2);
	ck_assert_uint_eq(tandem_codec_pcm_channels(o), 1);
	ck_assert_int_eq(o->payload_type, TANDEM_CODEC_PT_DYNAMIC);
	ck_assert_uint_eq(o->sample_rate, 48000);
	ck_assert_uint_eq(o->frame_ms, 20);
	ck_assert(TANDEM_ENGINE_HAS(o->engine, decode_fec));
	ck_assert_ptr_null(tmodules_find_codec(g_mods, "opus", 48000, 1));

	/* RFC 3551 erratum: RTP clock 8000, audio 16000. */
	ck_assert_ptr_eq(tmodules_find_static_pt(g_mods, 9), g2);
	ck_assert_uint_eq(g2->clock_rate, 8000);
	ck_assert_uint_eq(g2->sample_rate, 16000);
	ck_assert_uint_eq(tandem_codec_pcm_channels(g2), 1);
	ck_assert_ptr_null(g2->negotiation);
	ck_assert(!TANDEM_ENGINE_HAS(g2->engine, decode_fec));

	ck_assert_ptr_eq(tmodules_find_static_pt(g_mods, 18), g9);
	ck_assert_uint_eq(g9->clock_rate, 8000);
	ck_assert_uint_eq(g9->sample_rate, 8000);
	ck_assert_str_eq(g9->negotiation->default_fmtp, "annexb=no");

	/* 0 (mod_g711 leaves it unset) means "as in the rtpmap". */
	ck_assert_uint_eq(tandem_codec_pcm_channels(codec("PCMA", 8000, 1)), 1);
	/* A module built against ABI 1.0 has no 1.1 fields, whatever the bytes
	 * after its structs hold. */
	struct tandem_codec old = *o;
	struct tandem_codec_engine old_engine = *o->engine;
	old.struct_size = TANDEM_CODEC_SIZE_1_0;
	old_engine.struct_size = TANDEM_CODEC_ENGINE_SIZE_1_0;
	ck_assert_uint_eq(tandem_codec_pcm_channels(&old), 2);
	ck_assert(!TANDEM_ENGINE_HAS(&old_engine, decode_fec));
	ck_assert(TANDEM_STRUCT_HAS(struct tandem_codec, o, pcm_channels));
}
END_TEST

/* --- Opus ---------------------------------------------------------------- */

START_TEST(test_opus_tone_8k)
{
	const struct tone t = { 1000, 10000 };
	size_t bytes = check_tones(OPUS(), NULL, 8000, &t, 1, 20);
	ck_assert_msg(bytes > 500 && bytes < 3000, "8 kHz: %zu bytes/s", bytes);
}
END_TEST

START_TEST(test_opus_tone_48k)
{
	const struct tone t = { 1000, 10000 };
	const struct tone mix[] = { { 300, 6000 }, { 3000, 5000 } };
	check_tones(OPUS(), NULL, 48000, &t, 1, 30);
	check_tones(OPUS(), NULL, 48000, mix, 2, 20);
	check_tones(OPUS(), NULL, 16000, mix, 2, 20);
}
END_TEST

/* A packet encoded at 8 kHz still lasts 960 ticks of the 48 kHz RTP clock:
 * a 48 kHz decoder gets 960 samples out of it. */
START_TEST(test_opus_timestamps)
{
	const struct tandem_codec *c = OPUS();
	struct tandem_codec_state *enc = make(c, NULL, 8000, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, NULL, 48000, TANDEM_CODEC_DECODE);
	static int16_t in[160], out[TANDEM_CODEC_MAX_SAMPLES];
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];
	const struct tone t = { 440, 5000 };

	gen(in, 160, 8000, &t, 1);
	int len = c->engine->encode(enc, in, 160, pay, sizeof pay);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(c->engine->decode(dec, pay, (size_t)len, out, TANDEM_CODEC_MAX_SAMPLES),
			 960);
	c->engine->destroy(enc);
	c->engine->destroy(dec);
}
END_TEST

/* maxplaybackrate=8000 limits us to narrowband: a 6 kHz tone disappears. */
START_TEST(test_opus_maxplaybackrate)
{
	const struct tandem_codec *c = OPUS();
	const struct tone mix[] = { { 300, 6000 }, { 6000, 6000 } };
	static int16_t in[48000], out[48000];
	double lvl[2];

	gen(in, 48000, 48000, mix, 2);
	roundtrip(c, NULL, 48000, in, out, 48000);
	fit(out + 9600, 24000, 48000, mix, 2, lvl);
	ck_assert_msg(fabs(lvl[1]) <= 3, "fullband: 6 kHz at %+.1f dB", lvl[1]);
	roundtrip(c, "maxplaybackrate=8000", 48000, in, out, 48000);
	fit(out + 9600, 24000, 48000, mix, 2, lvl);
	ck_assert_msg(fabs(lvl[0]) <= 3, "narrowband: 300 Hz at %+.1f dB", lvl[0]);
	ck_assert_msg(lvl[1] < -20, "narrowband: 6 kHz still at %+.1f dB", lvl[1]);
}
END_TEST

START_TEST(test_opus_maxaveragebitrate)
{
	const struct tandem_codec *c = OPUS();
	const struct tone mix[] = { { 300, 6000 }, { 3000, 5000 } };
	static int16_t in[96000], out[96000];
	double lvl[2];

	gen(in, 96000, 48000, mix, 2);
	/* cbr=1: every packet is exactly bitrate * 20 ms. */
	size_t dflt = roundtrip(c, "cbr=1", 48000, in, out, 48000);
	ck_assert_uint_eq(dflt, 32000 / 8);
	size_t capped = roundtrip(c, "cbr=1;maxaveragebitrate=12000", 48000, in, out, 48000);
	ck_assert_uint_eq(capped, 12000 / 8);
	/* A cap above our default changes nothing. */
	capped = roundtrip(c, "cbr=1;maxaveragebitrate=64000", 48000, in, out, 48000);
	ck_assert_uint_eq(capped, dflt);
	/* VBR stays under the cap too (libopus alone averages 17.6 kbit/s for
	 * a 12 kbit/s target on these tones), and once its rate control has
	 * settled (second 2) the audio is intact. */
	capped = roundtrip(c, "maxaveragebitrate=12000", 48000, in, out, 96000);
	ck_assert_msg(capped <= 2 * 12000 / 8, "VBR: %zu bytes in 2 s", capped);
	ck_assert_msg(capped >= 12000 / 8, "VBR: only %zu bytes in 2 s", capped);
	fit(out + 48000 + 9600, 24000, 48000, mix, 2, lvl);
	ck_assert_msg(fabs(lvl[0]) <= 3 && fabs(lvl[1]) <= 3, "at 12 kbit/s: %+.1f dB, %+.1f dB",
		      lvl[0], lvl[1]);
}
END_TEST

START_TEST(test_opus_plc)
{
	check_plc(OPUS(), 8000);
	check_plc(OPUS(), 48000);
}
END_TEST

/* The tone jumps from 500 to 1300 Hz exactly where packet 'lost' is lost.
 * PLC can only continue 500 Hz; FEC from the next packet knows the new tone.
 * How much of it depends on libopus' choices per frame (measured over 11
 * positions: 1300 Hz at 1200..6000 after FEC, ~100 after PLC), so the
 * thresholds are loose and the test runs at several positions. */
static void check_fec(size_t lost)
{
	const struct tandem_codec *c = OPUS();
	const uint32_t rate = 16000;
	const size_t frame = rate / 50;
	struct tandem_codec_state *enc = make(c, "useinbandfec=1", rate, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, NULL, rate, TANDEM_CODEC_DECODE);
	struct tandem_codec_state *dec2 = make(c, NULL, rate, TANDEM_CODEC_DECODE);
	static int16_t in[16000], out[TANDEM_CODEC_MAX_SAMPLES], plc[TANDEM_CODEC_MAX_SAMPLES];
	static uint8_t pay[50][TANDEM_CODEC_MAX_PAYLOAD];
	int len[50];
	const struct tone lo = { 500, 8000 }, hi = { 1300, 8000 };

	gen(in, lost * frame, rate, &lo, 1);
	gen(in + lost * frame, rate - lost * frame, rate, &hi, 1);
	for (size_t f = 0; f < 50; f++) {
		len[f] = c->engine->encode(enc, in + f * frame, frame, pay[f], sizeof pay[f]);
		ck_assert_int_gt(len[f], 0);
	}
	for (size_t f = 0; f < lost; f++) {
		ck_assert_int_eq(c->engine->decode(dec, pay[f], (size_t)len[f], out, frame), (int)frame);
		ck_assert_int_eq(c->engine->decode(dec2, pay[f], (size_t)len[f], out, frame), (int)frame);
	}
	ck_assert_int_eq(c->engine->decode_fec(dec, pay[lost + 1], (size_t)len[lost + 1], out, frame),
			 (int)frame);
	ck_assert_int_eq(c->engine->plc(dec2, plc, frame), (int)frame);
	double f_hi = dft(out, frame, rate, 1300, NULL, NULL);
	double p_hi = dft(plc, frame, rate, 1300, NULL, NULL);
	double p_lo = dft(plc, frame, rate, 500, NULL, NULL);
	ck_assert_msg(f_hi > 500 && f_hi > 5 * p_hi, "lost %zu: 1300 Hz after FEC %.0f, PLC %.0f",
		      lost, f_hi, p_hi);
	ck_assert_msg(p_lo > 2 * p_hi, "lost %zu: PLC 500 Hz %.0f, 1300 Hz %.0f", lost, p_lo, p_hi);
	/* The next packet itself decodes normally afterwards, louder after FEC
	 * than after PLC (whose decoder ramps up again). */
	ck_assert_int_eq(c->engine->decode(dec, pay[lost + 1], (size_t)len[lost + 1], out, frame),
			 (int)frame);
	ck_assert_int_eq(c->engine->decode(dec2, pay[lost + 1], (size_t)len[lost + 1], plc, frame),
			 (int)frame);
	f_hi = dft(out, frame / 4, rate, 1300, NULL, NULL);
	p_hi = dft(plc, frame / 4, rate, 1300, NULL, NULL);
	ck_assert_msg(f_hi > p_hi, "lost %zu, next packet: %.0f after FEC, %.0f after PLC", lost,
		      f_hi, p_hi);
	/* Bad input and bad lengths. */
	const uint8_t bad[2] = { 0x03, 0x00 };          /* code 3 with 0 frames */
	ck_assert_int_eq(c->engine->decode_fec(dec, bad, 2, out, frame), -EBADMSG);
	ck_assert_int_eq(c->engine->decode_fec(dec, pay[0], 0, out, frame), -EBADMSG);
	ck_assert_int_eq(c->engine->decode_fec(dec, pay[0], (size_t)len[0], out, 33), -EINVAL);
	ck_assert_int_eq(c->engine->decode_fec(enc, pay[0], (size_t)len[0], out, frame), -EINVAL);
	c->engine->destroy(enc);
	c->engine->destroy(dec);
	c->engine->destroy(dec2);
}

START_TEST(test_opus_fec)
{
	for (size_t lost = 20; lost <= 30; lost += 5)
		check_fec(lost);
}
END_TEST

static void assert_answer(const char *offer, const char *want)
{
	const struct tandem_codec_negotiation *n = OPUS()->negotiation;
	char ans[TANDEM_CODEC_MAX_FMTP];
	int rc = n->fmtp_answer(offer, ans, sizeof ans);
	ck_assert_msg(rc == (int)strlen(want), "answer to \"%s\": %d (%s)", offer ? offer : "(null)",
		      rc, ans);
	ck_assert_str_eq(ans, want);
	ck_assert_msg(strstr(ans, "ptime") == NULL, "ptime in fmtp: %s", ans);
}

START_TEST(test_opus_fmtp)
{
	const struct tandem_codec_negotiation *n = OPUS()->negotiation;
	char small[128];

	ck_assert_str_eq(n->default_fmtp, "minptime=10;useinbandfec=1");
	ck_assert_ptr_null(n->fmtp_compatible);         /* always compatible */
	/* Every parameter stated, whatever the offer says or leaves out. */
	assert_answer(NULL, "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=32000");
	assert_answer("", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=32000");
	/* A browser's offer. */
	assert_answer("minptime=10;useinbandfec=1", "stereo=0;sprop-stereo=0;useinbandfec=1;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=32000");
	/* A desk phone's: no stereo, wideband playback, so wideband back. */
	assert_answer("stereo=0;sprop-stereo=0;maxplaybackrate=16000", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=16000;maxaveragebitrate=20000");
	assert_answer("maxplaybackrate=8000", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=8000;maxaveragebitrate=12000");
	/* Stereo asked for: still mono, said so. */
	assert_answer("stereo=1;sprop-stereo=1;useinbandfec=0", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=32000");
	assert_answer("maxaveragebitrate=20000;usedtx=1;ptime=20;maxptime=40",
		      "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=1;maxplaybackrate=48000;maxaveragebitrate=20000");
	assert_answer("usedtx=0;maxplaybackrate=16000", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=16000;maxaveragebitrate=20000");
	assert_answer("maxaveragebitrate=999999", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=510000");
	assert_answer("maxaveragebitrate=100", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=6000");
	assert_answer("maxplaybackrate=96000;maxaveragebitrate=12k;useinbandfec=yes",
		      "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=32000");
	assert_answer(" USEINBANDFEC = 1 ;;;=;x;useinbandfec", "stereo=0;sprop-stereo=0;useinbandfec=1;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=32000");
	assert_answer("useinbandfec=1;useinbandfec=0", "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;maxplaybackrate=48000;maxaveragebitrate=32000");
	/* The answer must fit. */
	ck_assert_int_eq(n->fmtp_answer("useinbandfec=1", small, 93), -ENOBUFS);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(n->fmtp_answer(NULL, small, 93), -ENOBUFS);
	ck_assert_int_eq(n->fmtp_answer(NULL, small, 94), 93);
}
END_TEST

START_TEST(test_opus_errors)
{
	const struct tandem_codec *c = OPUS();
	const struct tandem_codec_engine *e = c->engine;
	static int16_t pcm[TANDEM_CODEC_MAX_SAMPLES];
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];
	const uint8_t bad[2] = { 0x03, 0x00 };

	check_create_errors(c, 44100, 48000);
	struct tandem_codec_state *enc = make(c, NULL, 8000, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, NULL, 8000, TANDEM_CODEC_DECODE);
	memset(pcm, 0, sizeof pcm);
	ck_assert_int_eq(e->encode(enc, pcm, 100, pay, sizeof pay), -EINVAL);    /* 12.5 ms */
	ck_assert_int_eq(e->encode(enc, pcm, 960, pay, sizeof pay), -EINVAL);    /* 120 ms */
	ck_assert_int_eq(e->encode(enc, pcm, 160, pay, 1), -ENOBUFS);
	int len = e->encode(enc, pcm, 160, pay, sizeof pay);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(e->decode(dec, pay, (size_t)len, pcm, 159), -ENOBUFS);
	ck_assert_int_eq(e->decode(dec, pay, (size_t)len, pcm, 160), 160);
	ck_assert_int_eq(e->decode(dec, bad, sizeof bad, pcm, 160), -EBADMSG);
	ck_assert_int_eq(e->decode(dec, pay, 0, pcm, 160), -EBADMSG);
	ck_assert_int_eq(e->decode(enc, pay, (size_t)len, pcm, 160), -EINVAL);
	ck_assert_int_eq(e->encode(dec, pcm, 160, pay, sizeof pay), -EINVAL);
	ck_assert_int_eq(e->plc(dec, pcm, 21), -EINVAL);                         /* not 2.5 ms */
	ck_assert_int_eq(e->plc(dec, pcm, 0), -EINVAL);
	ck_assert_int_eq(e->plc(dec, pcm, 60), 60);                              /* 7.5 ms */
	ck_assert_int_eq(e->plc(dec, pcm, 960), 960);                            /* 120 ms */
	e->destroy(enc);
	e->destroy(dec);
	check_garbage(c, 48000);
}
END_TEST

/* --- G.722 --------------------------------------------------------------- */

START_TEST(test_g722_tones)
{
	const struct tone t = { 1000, 10000 };
	const struct tone mix[] = { { 300, 6000 }, { 3000, 5000 } };
	const struct tone hi = { 6000, 8000 };    /* above G.711's 4 kHz Nyquist */
	const struct tandem_codec *c = G722();

	/* 64 kbit/s: 160 bytes per 20 ms, i.e. 8000 bytes per second. */
	ck_assert_uint_eq(check_tones(c, NULL, 16000, &t, 1, 35), 8000);
	check_tones(c, NULL, 16000, mix, 2, 25);
	check_tones(c, NULL, 16000, &hi, 1, 18);
}
END_TEST

START_TEST(test_g722_frame_sizes)
{
	const struct tandem_codec *c = G722();
	const struct tandem_codec_engine *e = c->engine;
	struct tandem_codec_state *st = make(c, NULL, 16000, TANDEM_CODEC_BOTH);
	static int16_t pcm[TANDEM_CODEC_MAX_SAMPLES];
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];

	memset(pcm, 0, sizeof pcm);
	/* 20 ms: 320 samples -> 160 bytes -> 160 RTP ticks (clock 8000). */
	ck_assert_int_eq(e->encode(st, pcm, 320, pay, sizeof pay), 160);
	ck_assert_uint_eq(320 * c->clock_rate / c->sample_rate, 160);
	ck_assert_int_eq(e->decode(st, pay, 160, pcm, TANDEM_CODEC_MAX_SAMPLES), 320);
	ck_assert_int_eq(e->encode(st, pcm, 2, pay, sizeof pay), 1);
	ck_assert_int_eq(e->encode(st, pcm, 321, pay, sizeof pay), -EINVAL);
	ck_assert_int_eq(e->encode(st, pcm, 320, pay, 159), -ENOBUFS);
	ck_assert_int_eq(e->decode(st, pay, 160, pcm, 319), -ENOBUFS);
	ck_assert_int_eq(e->decode(st, pay, 0, pcm, 320), -EBADMSG);
	e->destroy(st);
	check_create_errors(c, 8000, 16000);
	st = make(c, NULL, 16000, TANDEM_CODEC_ENCODE);
	ck_assert_int_eq(e->decode(st, pay, 160, pcm, 320), -EINVAL);
	e->destroy(st);
	st = make(c, NULL, 16000, TANDEM_CODEC_DECODE);
	ck_assert_int_eq(e->encode(st, pcm, 320, pay, sizeof pay), -EINVAL);
	e->destroy(st);
	check_garbage(c, 16000);
}
END_TEST

START_TEST(test_g722_plc)
{
	const struct tandem_codec *c = G722();
	struct tandem_codec_state *enc = make(c, NULL, 16000, TANDEM_CODEC_ENCODE);
	struct tandem_codec_state *dec = make(c, NULL, 16000, TANDEM_CODEC_DECODE);
	static int16_t in[16000], out[TANDEM_CODEC_MAX_SAMPLES];
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];
	const struct tone t = { 1000, 8000 };

	check_plc(c, 16000);
	/* A long loss fades out within 60 ms; recovery brings the tone back. */
	gen(in, 16000, 16000, &t, 1);
	for (size_t f = 0; f < 10; f++) {
		ck_assert_int_eq(c->engine->encode(enc, in + f * 320, 320, pay, sizeof pay), 160);
		ck_assert_int_eq(c->engine->decode(dec, pay, 160, out, 320), 320);
	}
	for (int f = 0; f < 4; f++)
		ck_assert_int_eq(c->engine->plc(dec, out, 320), 320);
	ck_assert_msg(rms(out, 320) < 1.0, "still %.1f rms after 80 ms of loss", rms(out, 320));
	for (size_t f = 14; f < 20; f++) {
		ck_assert_int_eq(c->engine->encode(enc, in + f * 320, 320, pay, sizeof pay), 160);
		ck_assert_int_eq(c->engine->decode(dec, pay, 160, out, 320), 320);
	}
	double lvl, snr = fit(out, 320, 16000, &t, 1, &lvl);
	ck_assert_msg(fabs(lvl) < 3 && snr > 15, "after loss: %+.1f dB, SNR %.1f", lvl, snr);
	c->engine->destroy(enc);
	c->engine->destroy(dec);
}
END_TEST

/* --- G.729 --------------------------------------------------------------- */

START_TEST(test_g729_tone)
{
	const struct tone t = { 1000, 10000 };
	/* 8 kbit/s: 20 bytes per 20 ms, 1000 bytes per second. */
	ck_assert_uint_eq(check_tones(G729(), NULL, 8000, &t, 1, 15), 1000);
}
END_TEST

START_TEST(test_g729_frames)
{
	const struct tandem_codec *c = G729();
	const struct tandem_codec_engine *e = c->engine;
	struct tandem_codec_state *st = make(c, "annexb=yes", 8000, TANDEM_CODEC_BOTH);
	static int16_t pcm[TANDEM_CODEC_MAX_SAMPLES], in[8000];
	uint8_t pay[TANDEM_CODEC_MAX_PAYLOAD];
	const struct tone t = { 700, 6000 };

	gen(in, 8000, 8000, &t, 1);
	/* Two 10-byte frames per 20 ms, even with annexb=yes (no VAD). */
	ck_assert_int_eq(e->encode(st, in, 160, pay, sizeof pay), 20);
	ck_assert_int_eq(e->encode(st, in, 80, pay, sizeof pay), 10);
	ck_assert_int_eq(e->encode(st, in, 800, pay, sizeof pay), 100);
	ck_assert_int_eq(e->decode(st, pay, 20, pcm, 160), 160);
	/* Voice + SID (Annex B, SID last), and SID alone. */
	pay[20] = 0x5a;
	pay[21] = 0xc0;
	ck_assert_int_eq(e->decode(st, pay, 22, pcm, 240), 240);
	ck_assert_int_eq(e->decode(st, pay + 20, 2, pcm, 80), 80);
	/* DTX gap after a SID: comfort noise, not a repeat of speech. */
	ck_assert_int_eq(e->plc(st, pcm, 160), 160);
	ck_assert_msg(rms(pcm, 160) < 3000, "CNG louder than speech: %.0f", rms(pcm, 160));
	/* Lengths that are neither 10*N nor 10*N + 2. */
	ck_assert_int_eq(e->decode(st, pay, 0, pcm, 160), -EBADMSG);
	ck_assert_int_eq(e->decode(st, pay, 1, pcm, 160), -EBADMSG);
	ck_assert_int_eq(e->decode(st, pay, 11, pcm, 160), -EBADMSG);
	ck_assert_int_eq(e->decode(st, pay, 15, pcm, 160), -EBADMSG);
	ck_assert_int_eq(e->decode(st, pay, 20, pcm, 159), -ENOBUFS);
	ck_assert_int_eq(e->encode(st, in, 100, pay, sizeof pay), -EINVAL);
	ck_assert_int_eq(e->encode(st, in, 160, pay, 19), -ENOBUFS);
	ck_assert_int_eq(e->plc(st, pcm, 100), -EINVAL);
	e->destroy(st);
	check_create_errors(c, 16000, 8000);
	check_garbage(c, 8000);
}
END_TEST

START_TEST(test_g729_plc)
{
	check_plc(G729(), 8000);
}
END_TEST

static void assert_g729_answer(const char *offer, const char *want)
{
	char ans[TANDEM_CODEC_MAX_FMTP];
	int rc = G729()->negotiation->fmtp_answer(offer, ans, sizeof ans);
	ck_assert_int_eq(rc, (int)strlen(want));
	ck_assert_str_eq(ans, want);
}

START_TEST(test_g729_fmtp)
{
	bool (*compat)(const char *, const char *) = G729()->negotiation->fmtp_compatible;
	char small[9];

	assert_g729_answer(NULL, "annexb=no");
	assert_g729_answer("", "annexb=no");
	assert_g729_answer("annexb=no", "annexb=no");
	assert_g729_answer("annexb=yes", "annexb=yes");
	assert_g729_answer(" AnnexB = YES ", "annexb=yes");
	assert_g729_answer("annexb=yes;annexb=no", "annexb=no");
	assert_g729_answer("annexb=maybe", "annexb=no");
	ck_assert_int_eq(G729()->negotiation->fmtp_answer("annexb=yes", small, sizeof small),
			 -ENOBUFS);
	/* Absent means yes (RFC 4856). */
	ck_assert(compat("annexb=no", "annexb=no"));
	ck_assert(compat("annexb=yes", NULL));
	ck_assert(compat("", "annexb=yes"));
	ck_assert(!compat(NULL, "annexb=no"));
	ck_assert(!compat("annexb=yes", "annexb=no"));
}
END_TEST

/* --- setup --------------------------------------------------------------- */

static void find_moddir(void)
{
	const char *env = getenv("builddir");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(g_moddir, sizeof g_moddir, "%s/modules", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		snprintf(g_moddir, sizeof g_moddir, "modules");
		return;
	}
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {        /* strip test_codecs, unit, tests */
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
	}
	snprintf(g_moddir, sizeof g_moddir, "%s/modules", exe);
}

static Suite *suite(void)
{
	Suite *s = suite_create("codecs");
	TCase *tc;
	struct {
		const char *name;
		const TTest *tests[8];
	} groups[] = {
		{ "identity", { test_identity } },
		{ "opus", { test_opus_tone_8k, test_opus_tone_48k, test_opus_timestamps,
			    test_opus_maxplaybackrate, test_opus_maxaveragebitrate, test_opus_plc,
			    test_opus_fec, test_opus_errors } },
		{ "opus_fmtp", { test_opus_fmtp } },
		{ "g722", { test_g722_tones, test_g722_frame_sizes, test_g722_plc } },
		{ "g729", { test_g729_tone, test_g729_frames, test_g729_plc, test_g729_fmtp } },
	};

	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
		tc = tcase_create(groups[g].name);
		tcase_add_checked_fixture(tc, load_modules, unload_modules);
		tcase_set_timeout(tc, 30);
		for (size_t i = 0; i < 8 && groups[g].tests[i]; i++)
			tcase_add_test(tc, groups[g].tests[i]);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	tlog_open("test_codecs", true);
	find_moddir();
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
