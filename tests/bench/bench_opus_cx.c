/* bench_opus_cx - what each Opus encoder complexity costs and what it buys,
 * for the narrowband leg of a transcoded call (Opus at 8 kHz against G.711).
 *
 *   bench_opus_cx [-s SECONDS] [-r ROUNDS] [-c MIN-MAX]
 *
 * Through the shipped module (mod_opus from $builddir/modules, loaded once
 * per complexity with TANDEM_OPUS_COMPLEXITY set, as tandemd would be): an
 * encoder at 8 kHz with the fmtp a browser sends (useinbandfec=1, so 16
 * kbit/s with in-band FEC, the module's default at that rate) and a decoder
 * at 8 kHz. Two reference signals generated here, 8 kHz mono:
 *   speech  a speech-like signal: voiced syllables (harmonics of a gliding
 *           110-240 Hz pitch, shaped by three formants that move from
 *           syllable to syllable, 4 Hz syllabic envelope), unvoiced bursts
 *           (high-passed noise) and short pauses;
 *   chirp   a logarithmic sweep 100 Hz -> 3.6 kHz at -12 dBFS, repeated.
 * Each is encoded and decoded 20 ms at a time; the decoder's output is
 * aligned with the input (the codec delay is found by cross-correlation)
 * and compared:
 *   SNR     10 log10(sum ref^2 / sum (ref - out)^2) over the whole signal;
 *   segSNR  the mean of per-20-ms SNRs, each clamped to [-10, 35] dB,
 *           over the frames that are not silence (ITU-T P-series habit);
 *   fwSNR   frequency-weighted segmental SNR (Hu and Loizou's fwSNRseg):
 *           per 20 ms frame and per critical band, the SNR of the
 *           magnitude spectra (phase ignored), weighted by the reference
 *           band's magnitude^0.2, clamped to [-10, 35] dB.
 * SILK (what Opus uses at 8 kHz) is a perceptual codec: it shapes its noise
 * under the signal rather than matching the waveform, so the waveform SNRs
 * are low and may even fall as complexity rises (better noise shaping);
 * fwSNR, which ignores phase, follows what a listener hears more closely.
 * Compare the figures across complexities, not with other codecs.
 * Time: microseconds of this thread's CPU time per 20 ms frame of encode
 * and of decode (time waiting for a CPU does not count), the median
 * over ROUNDS rounds (each round runs every complexity, so the machine's
 * load drifts over all of them alike), and the encode cost relative to
 * complexity 10 measured in the same round (a ratio is what survives a
 * shared machine).
 *
 * Prints a table and "RESULT passed=1 failed=0" when every complexity
 * encoded and decoded and the decoded tone is recognisable (SNR of the
 * chirp above 0 dB at some complexity); the figures are for the log.
 */
#include "config.h"

#include "benchutil.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tandem/codec.h>

#include "core/log.h"
#include "core/modules.h"

#define RATE 8000
#define FRAME 160                   /* 20 ms */
#define MAXCX 11
#define MAXROUNDS 15
#define MAXLAG 480                  /* codec delay searched, samples (60 ms) */

struct sig {
	const char *name;
	int16_t *pcm;
	size_t n;                   /* whole frames */
};

struct cxres {
	double enc_us[MAXROUNDS], dec_us[MAXROUNDS], ratio[MAXROUNDS];
	double snr[2], segsnr[2], fwsnr[2];
	size_t bytes;               /* payload bytes, speech signal */
	int lag[2];
	bool ok;
};

/* This thread's CPU time: time spent waiting for a CPU on a shared
 * machine does not count. */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/* Two-pole resonator gain at frequency f for a formant at fc, bandwidth bw. */
static double formant(double f, double fc, double bw)
{
	double d = (f - fc) / (bw / 2);
	return 1.0 / sqrt(1.0 + d * d);
}

static int16_t clip16(double v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
}

/* Syllables of 250 ms: 180 ms voiced, 40 ms unvoiced, 30 ms pause, with
 * formants moving between a few vowel-like sets. */
static void make_speech(struct sig *s, unsigned seconds)
{
	static const double vowels[5][3] = {
		{ 730, 1090, 2440 }, { 270, 2290, 3010 }, { 300, 870, 2240 },
		{ 530, 1840, 2480 }, { 570, 840, 2410 },
	};
	uint32_t seed = 12345;
	double phase = 0, hp = 0, prev = 0;

	s->name = "speech";
	s->n = (size_t)seconds * RATE;
	s->pcm = calloc(s->n, sizeof *s->pcm);
	if (!s->pcm)
		bench_die("calloc");
	for (size_t i = 0; i < s->n; i++) {
		double t = (double)i / RATE;
		size_t syl = i / (RATE / 4), pos = i % (RATE / 4);
		const double *fm = vowels[syl % 5];
		double v = 0;
		if (pos < RATE * 180 / 1000) {
			double f0 = 110 + 130 * (0.5 + 0.5 * sin(2 * M_PI * 0.37 * t)) *
				    (1.0 - 0.3 * (double)pos / (RATE * 0.18));
			double env = sin(M_PI * (double)pos / (RATE * 0.18));
			phase += 2 * M_PI * f0 / RATE;
			if (phase > 2 * M_PI)
				phase -= 2 * M_PI;
			for (int h = 1; h * f0 < 3700; h++) {
				double f = h * f0;
				double g = formant(f, fm[0], 90) + 0.6 * formant(f, fm[1], 120) +
					   0.3 * formant(f, fm[2], 160);
				v += g * sin(h * phase) / sqrt(h);
			}
			v *= 2600 * env;
		} else if (pos < RATE * 220 / 1000) {
			double w = (double)(lcg(&seed) & 0xffff) / 32768.0 - 1.0;
			hp = w - prev;      /* first difference: a hiss */
			prev = w;
			v = 2500 * hp * sin(M_PI * (double)(pos - RATE * 180 / 1000) / (RATE * 0.04));
		}
		s->pcm[i] = clip16(v);
	}
}

static void make_chirp(struct sig *s, unsigned seconds)
{
	const double f1 = 100, f2 = 3600, len = 2.0;
	double phase = 0;

	s->name = "chirp";
	s->n = (size_t)seconds * RATE;
	s->pcm = calloc(s->n, sizeof *s->pcm);
	if (!s->pcm)
		bench_die("calloc");
	for (size_t i = 0; i < s->n; i++) {
		double t = fmod((double)i / RATE, len);
		double f = f1 * pow(f2 / f1, t / len);
		phase += 2 * M_PI * f / RATE;
		if (phase > 2 * M_PI)
			phase -= 2 * M_PI;
		s->pcm[i] = clip16(8200 * sin(phase));
	}
}

/* The lag (samples the output trails the input) with the best correlation. */
static int best_lag(const int16_t *ref, const int16_t *out, size_t n)
{
	double best = -1e300;
	int lag = 0;

	for (int l = 0; l <= MAXLAG; l++) {
		double c = 0;
		for (size_t i = 0; i + (size_t)l < n; i += 2)
			c += (double)ref[i] * out[i + (size_t)l];
		if (c > best) {
			best = c;
			lag = l;
		}
	}
	return lag;
}

/* Critical band edges (Hz) up to 4 kHz. */
static const double bands[] = { 0, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480,
				1720, 2000, 2320, 2700, 3150, 3700, 4000 };
#define NBANDS (sizeof bands / sizeof bands[0] - 1)
#define NFFT 256

/* Magnitude spectrum per band of one Hann-windowed frame (direct DFT; the
 * bench is not about speed here). */
static void band_mag(const int16_t *x, double *mag)
{
	static double win[FRAME], cs[NFFT];
	static bool init;

	if (!init) {
		for (int i = 0; i < FRAME; i++)
			win[i] = 0.5 - 0.5 * cos(2 * M_PI * (i + 0.5) / FRAME);
		for (int i = 0; i < NFFT; i++)
			cs[i] = cos(2 * M_PI * i / NFFT);
		init = true;
	}
	for (size_t b = 0; b < NBANDS; b++)
		mag[b] = 0;
	for (int k = 1; k < NFFT / 2; k++) {
		double re = 0, im = 0, f = (double)k * RATE / NFFT;
		for (int i = 0; i < FRAME; i++) {
			double v = x[i] * win[i];
			re += v * cs[(k * i) % NFFT];
			im -= v * cs[(k * i + 3 * NFFT / 4) % NFFT];
		}
		size_t b = 0;
		while (b + 1 < NBANDS && f >= bands[b + 1])
			b++;
		mag[b] += sqrt(re * re + im * im);
	}
}

static double fw_frame(const int16_t *ref, const int16_t *out)
{
	double r[NBANDS], o[NBANDS], num = 0, den = 0;

	band_mag(ref, r);
	band_mag(out, o);
	for (size_t b = 0; b < NBANDS; b++) {
		double d = r[b] - o[b], w = pow(r[b], 0.2);
		double v = 10 * log10((r[b] * r[b] + 1e-9) / (d * d + 1e-9));
		num += w * (v < -10 ? -10 : v > 35 ? 35 : v);
		den += w;
	}
	return den > 0 ? num / den : 0;
}

static void quality(const struct sig *s, const int16_t *out, double *snr, double *seg, double *fw,
		    int *lagp)
{
	int lag = best_lag(s->pcm, out, s->n);
	size_t n = s->n - (size_t)lag;
	double es = 0, en = 0, segsum = 0, fwsum = 0;
	unsigned nseg = 0;

	for (size_t f = 0; f + FRAME <= n; f += FRAME) {
		double fs = 0, fn = 0;
		for (size_t i = f; i < f + FRAME; i++) {
			double r = s->pcm[i], d = r - out[i + (size_t)lag];
			fs += r * r;
			fn += d * d;
		}
		es += fs;
		en += fn;
		if (fs / FRAME < 100.0 * 100.0)         /* below -50 dBFS: silence */
			continue;
		double v = 10 * log10(fs / (fn > 1 ? fn : 1));
		segsum += v < -10 ? -10 : v > 35 ? 35 : v;
		fwsum += fw_frame(s->pcm + f, out + f + (size_t)lag);
		nseg++;
	}
	*snr = 10 * log10(es / (en > 1 ? en : 1));
	*seg = nseg ? segsum / nseg : 0;
	*fw = nseg ? fwsum / nseg : 0;
	*lagp = lag;
}

/* Encode and decode signal s at complexity cx through engines made by the
 * module as loaded; time both, and measure quality when 'measure'. */
static bool run_sig(const struct tandem_codec *op, const struct sig *s, double *enc_us,
		    double *dec_us, size_t *bytes, double *snr, double *seg, double *fw, int *lag)
{
	struct tandem_codec_state *e, *d;
	int16_t *out = calloc(s->n, sizeof *out);
	uint8_t pkt[TANDEM_CODEC_MAX_PAYLOAD];
	int16_t pcm[TANDEM_CODEC_MAX_SAMPLES];
	uint64_t te, td;
	size_t total = 0;
	bool ok = out != NULL;

	if (!ok || op->engine->create(op, "useinbandfec=1", RATE, TANDEM_CODEC_ENCODE, &e))
		bench_die("opus encoder");
	if (op->engine->create(op, NULL, RATE, TANDEM_CODEC_DECODE, &d))
		bench_die("opus decoder");
	size_t frames = s->n / FRAME;
	uint8_t *pkts = malloc(frames * sizeof pkt);
	size_t *lens = calloc(frames, sizeof *lens);
	if (!pkts || !lens)
		bench_die("malloc");
	/* All encodes, then all decodes: two clock reads per signal. */
	uint64_t t0 = now_ns();
	for (size_t f = 0; f < frames && ok; f++) {
		int len = op->engine->encode(e, s->pcm + f * FRAME, FRAME, pkts + f * sizeof pkt, sizeof pkt);
		ok = len > 0;
		lens[f] = ok ? (size_t)len : 0;
	}
	uint64_t t1 = now_ns();
	for (size_t f = 0; f < frames && ok; f++) {
		int n = op->engine->decode(d, pkts + f * sizeof pkt, lens[f], pcm, TANDEM_CODEC_MAX_SAMPLES);
		ok = n == FRAME;
		if (ok)
			memcpy(out + f * FRAME, pcm, FRAME * sizeof *pcm);
		total += lens[f];
	}
	uint64_t t2 = now_ns();
	te = t1 - t0;
	td = t2 - t1;
	free(pkts);
	free(lens);
	op->engine->destroy(e);
	op->engine->destroy(d);
	*enc_us = (double)te / 1000.0 / (double)frames;
	*dec_us = (double)td / 1000.0 / (double)frames;
	if (bytes)
		*bytes = total;
	if (ok && snr)
		quality(s, out, snr, seg, fw, lag);
	free(out);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double t[MAXROUNDS];
	memcpy(t, v, (size_t)n * sizeof *v);
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static const struct tandem_codec *load_cx(const char *dir, int cx, tmodules_t **mods)
{
	static const char *const names[] = { "mod_opus", NULL };
	char val[8], err[512];

	snprintf(val, sizeof val, "%d", cx);
	setenv("TANDEM_OPUS_COMPLEXITY", val, 1);
	if (tmodules_load(dir, names, mods, err, sizeof err)) {
		fprintf(stderr, "bench_opus_cx: %s\n", err);
		printf("RESULT passed=0 failed=1\n");
		exit(1);
	}
	const struct tandem_codec *op = tmodules_find_codec(*mods, "opus", 48000, 2);
	if (!op || !op->engine)
		bench_die("mod_opus has no opus engine");
	return op;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_opus_cx [-s SECONDS] [-r ROUNDS] [-c MIN-MAX]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned seconds = 10;
	int rounds = 5, cmin = 0, cmax = 10, opt;

	while ((opt = getopt(argc, argv, "s:r:c:h")) != -1) {
		switch (opt) {
		case 's': seconds = (unsigned)atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'c':
			if (sscanf(optarg, "%d-%d", &cmin, &cmax) != 2)
				usage();
			break;
		default: usage();
		}
	}
	if (seconds < 1 || seconds > 600 || rounds < 1 || rounds > MAXROUNDS || cmin < 0 ||
	    cmax > 10 || cmin > cmax)
		usage();
	tlog_open("bench_opus_cx", true);
	tlog_set_level(TLOG_WARN);

	const char *bd = getenv("builddir");
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/modules", bd && *bd ? bd : ".");
	struct sig sig[2];
	make_speech(&sig[0], seconds);
	make_chirp(&sig[1], seconds);
	static struct cxres res[MAXCX];

	/* Quality: deterministic, once per complexity. */
	for (int cx = cmin; cx <= cmax; cx++) {
		tmodules_t *mods;
		const struct tandem_codec *op = load_cx(dir, cx, &mods);
		double eu, du;
		res[cx].ok = true;
		for (int k = 0; k < 2; k++)
			res[cx].ok &= run_sig(op, &sig[k], &eu, &du, k == 0 ? &res[cx].bytes : NULL,
					      &res[cx].snr[k], &res[cx].segsnr[k], &res[cx].fwsnr[k],
					      &res[cx].lag[k]);
		tmodules_free(mods);
	}
	/* Time: every complexity once per round, the speech signal. */
	for (int r = 0; r < rounds; r++) {
		for (int cx = cmax; cx >= cmin; cx--) {
			tmodules_t *mods;
			const struct tandem_codec *op = load_cx(dir, cx, &mods);
			res[cx].ok &= run_sig(op, &sig[0], &res[cx].enc_us[r], &res[cx].dec_us[r], NULL,
					      NULL, NULL, NULL, NULL);
			tmodules_free(mods);
			res[cx].ratio[r] = res[cx].enc_us[r] / res[cmax].enc_us[r];
		}
	}

	printf("opus complexity bench: 8 kHz mono, 20 ms frames, fmtp useinbandfec=1 (module defaults), "
	       "%u s per signal, median of %d rounds\n", seconds, rounds);
	printf("%3s %7s %6s %6s %6s | %6s %6s %6s | %6s %6s %6s | %5s\n", "cx", "enc_us", "enc/10",
	       "dec_us", "kbit/s", "SNR", "segSNR", "fwSNR", "SNR", "segSNR", "fwSNR", "delay");
	printf("%3s %7s %6s %6s %6s | %20s | %20s |\n", "", "", "", "", "", "speech-like", "chirp");
	bool ok = true, heard = false;
	for (int cx = cmin; cx <= cmax; cx++) {
		struct cxres *c = &res[cx];
		printf("%3d %7.1f %6.2f %6.1f %6.1f | %6.2f %6.2f %6.2f | %6.2f %6.2f %6.2f | %5d%s\n",
		       cx, median(c->enc_us, rounds), median(c->ratio, rounds),
		       median(c->dec_us, rounds), (double)c->bytes * 8 / seconds / 1000.0, c->snr[0],
		       c->segsnr[0], c->fwsnr[0], c->snr[1], c->segsnr[1], c->fwsnr[1], c->lag[0],
		       c->ok ? "" : "  (FAILED)");
		ok &= c->ok;
		heard |= c->ok && c->snr[1] > 0;
	}
	printf("enc/10: encode time relative to complexity %d in the same round; SNRs in dB; "
	       "delay: codec delay in samples\n", cmax);
	free(sig[0].pcm);
	free(sig[1].pcm);
	ok &= heard;
	printf("RESULT passed=%d failed=%d\n", ok, !ok);
	return ok ? 0 : 1;
}
