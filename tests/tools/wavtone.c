/* wavtone - measure the dominant frequency and level of a WAV recording.
 *
 *   wavtone FILE
 *
 * FILE is a 16-bit PCM WAV (any rate, any channel count; the first channel is
 * measured). Recordings cut short are accepted: a data chunk whose size is 0
 * or runs past the end of the file is read to the end of the file (a peer
 * killed mid-call never rewrites its header).
 *
 * Prints one line:
 *   rate=R channels=C secs=S active=A freq=F level=L
 *   secs    length of the recording in seconds
 *   active  seconds of it that are not silence (20 ms blocks above -50 dBFS)
 *   freq    dominant frequency in Hz of up to 2 s from the middle of the span
 *           between the first and the last active block (Goertzel scan with a
 *           Hann window; 0 when under 0.2 s is active)
 *   level   RMS in dBFS over that same span (-200 for digital silence)
 *
 * Exit status 0 when the file was measured (the caller judges the numbers),
 * 1 usage, 2 unreadable or not 16-bit PCM.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SILENCE_DBFS (-50.0)

struct wav {
	unsigned rate, channels;
	int16_t *pcm;           /* first channel only */
	size_t n;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 65536);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Walk the RIFF chunks of buf; fill w from "fmt " and "data". */
static int parse_wav(const uint8_t *buf, size_t len, struct wav *w)
{
	if (len < 12 || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4))
		return -EINVAL;
	unsigned bits = 0, format = 0;
	size_t off = 12;
	while (off + 8 <= len) {
		size_t csize = le32(buf + off + 4), body = off + 8;
		size_t avail = len - body;
		if (!memcmp(buf + off, "fmt ", 4) && csize >= 16 && avail >= 16) {
			format = le16(buf + body);
			w->channels = le16(buf + body + 2);
			w->rate = le32(buf + body + 4);
			bits = le16(buf + body + 14);
		} else if (!memcmp(buf + off, "data", 4)) {
			if (!w->rate || !w->channels || bits != 16 || (format != 1 && format != 0xfffe))
				return -ENOTSUP;
			if (csize == 0 || csize > avail)
				csize = avail;
			size_t frame = 2u * w->channels;
			w->n = csize / frame;
			w->pcm = malloc((w->n ? w->n : 1) * sizeof *w->pcm);
			if (!w->pcm)
				return -ENOMEM;
			for (size_t i = 0; i < w->n; i++)
				w->pcm[i] = (int16_t)le16(buf + body + i * frame);
			return 0;
		}
		off = body + csize + (csize & 1);
	}
	return -EINVAL;
}

static double goertzel_power(const double *x, size_t n, double f, unsigned rate)
{
	double coeff = 2.0 * cos(2.0 * M_PI * f / rate), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/* Hann-windowed copy of pcm[0, len) */
static double *hann(const int16_t *pcm, size_t len)
{
	double *x = malloc(len * sizeof *x);
	if (x)
		for (size_t i = 0; i < len; i++)
			x[i] = pcm[i] * (0.5 - 0.5 * cos(2.0 * M_PI * i / (len - 1)));
	return x;
}

/* Peak of the Goertzel power over [lo, hi] in steps of 'step' Hz. */
static double scan(const double *x, size_t n, unsigned rate, double lo, double hi, double step)
{
	double best = lo, bestp = -1;
	for (double f = lo; f <= hi; f += step) {
		double p = goertzel_power(x, n, f, rate);
		if (p > bestp) {
			bestp = p;
			best = f;
		}
	}
	return best;
}

/* Dominant frequency of up to 2 s from the middle of pcm[0, n). A coarse
 * scan in 10 Hz steps runs over 50 ms, whose Hann main lobe (+-40 Hz) cannot
 * fall between two steps; a fine 0.1 Hz scan around its peak then runs over
 * the whole stretch, where the lobe is a fraction of a hertz wide. */
static double dominant_freq(const int16_t *pcm, size_t n, unsigned rate)
{
	if (n < rate / 5)
		return 0;
	size_t len = n > 2 * (size_t)rate ? 2 * (size_t)rate : n;
	size_t slen = rate / 20;
	double *x = hann(pcm + (n - len) / 2, len), *xs = hann(pcm + (n - slen) / 2, slen);
	double best = 0;
	if (x && xs) {
		best = scan(xs, slen, rate, 50, rate / 2.0 - 50, 10);
		best = scan(x, len, rate, best - 25, best + 25, 0.1);
	}
	free(x);
	free(xs);
	return best;
}

static double level_dbfs(const int16_t *pcm, size_t n)
{
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)pcm[i] * pcm[i];
	double rms = n ? sqrt(e / n) : 0;
	return rms > 0 ? 20 * log10(rms / 32768.0) : -200;
}

static void measure(const struct wav *w)
{
	size_t blk = w->rate / 50, first = w->n, last = 0, active = 0;
	for (size_t i = 0; blk && i + blk <= w->n; i += blk) {
		if (level_dbfs(w->pcm + i, blk) > SILENCE_DBFS) {
			active++;
			if (first == w->n)
				first = i;
			last = i + blk;
		}
	}
	size_t span = first < last ? last - first : 0;
	const int16_t *p = w->pcm + (span ? first : 0);
	printf("rate=%u channels=%u secs=%.2f active=%.2f freq=%.1f level=%.1f\n",
	       w->rate, w->channels, (double)w->n / w->rate, active * 0.02,
	       active * blk >= w->rate / 5 ? dominant_freq(p, span, w->rate) : 0.0,
	       level_dbfs(p, span));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: wavtone FILE.wav\n");
		return 1;
	}
	size_t len = 0;
	uint8_t *buf = slurp(argv[1], &len);
	if (!buf) {
		fprintf(stderr, "wavtone: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	struct wav w = { 0 };
	int rc = parse_wav(buf, len, &w);
	free(buf);
	if (rc < 0) {
		fprintf(stderr, "wavtone: %s: not a 16-bit PCM WAV (%s)\n", argv[1], strerror(-rc));
		return 2;
	}
	measure(&w);
	free(w.pcm);
	return 0;
}
