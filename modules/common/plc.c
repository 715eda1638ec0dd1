/* plc.c - packet loss concealment for the codec modules (see plc.h). */
#include "config.h"

#include "plc.h"

#include <math.h>
#include <string.h>

/* All in milliseconds, scaled by the rate (p->ms samples per ms). */
#define MIN_LAG     (2 * p->ms)     /* 500 Hz */
#define MAX_LAG     (20 * p->ms)    /* 50 Hz */
#define CORR_LEN    (10 * p->ms)    /* compared per candidate lag */
#define HOLD        (20 * p->ms)    /* at full level */
#define FADE        (40 * p->ms)    /* then down to silence */
#define XFADE       (4 * p->ms)     /* into the real audio after a loss */
#define HIST        (p->hist_len)   /* 40 ms >= MAX_LAG + CORR_LEN */

void tplc_init(struct tplc *p, unsigned rate_hz)
{
	memset(p, 0, sizeof *p);
	p->ms = rate_hz >= 16000 ? 16 : 8;
	p->hist_len = 40 * p->ms;
}

/* The lag whose window best matches the newest CORR_LEN samples. On silence
 * every lag scores 0 and MAX_LAG stays (repeating silence is right). */
static size_t find_pitch(const struct tplc *p)
{
	const int16_t *x = p->hist + HIST - CORR_LEN;
	size_t best = MAX_LAG;
	double best_score = 0;

	for (size_t lag = MIN_LAG; lag <= MAX_LAG; lag++) {
		const int16_t *y = x - lag;
		double c = 0, e = 0;
		for (size_t i = 0; i < CORR_LEN; i++) {
			c += (double)x[i] * y[i];
			e += (double)y[i] * y[i];
		}
		if (c <= 0 || e <= 0)
			continue;
		double score = c / sqrt(e);
		/* Prefer the shortest of near-equal lags (multiples of the true
		 * period score the same on steady sounds). */
		if (score > best_score * 1.02) {
			best_score = score;
			best = lag;
		}
	}
	return best;
}

/* Sample number 'k' of the loss, 'pos' within the repeated period. */
static int16_t synth(const struct tplc *p, size_t pos, size_t k)
{
	double gain = k < HOLD ? 1.0 : k < HOLD + FADE ? 1.0 - (double)(k - HOLD) / FADE : 0.0;
	return (int16_t)lrint(gain * p->hist[HIST - p->lag + pos]);
}

void tplc_conceal(struct tplc *p, int16_t *pcm, size_t n)
{
	if (p->lost == 0) {
		p->lag = find_pitch(p);
		p->pos = 0;
	}
	for (size_t i = 0; i < n; i++) {
		pcm[i] = synth(p, p->pos, p->lost + i);
		p->pos = (p->pos + 1) % p->lag;
	}
	p->lost += n;
}

void tplc_good(struct tplc *p, int16_t *pcm, size_t n)
{
	if (p->lost > 0) {
		size_t m = n < XFADE ? n : XFADE, pos = p->pos;
		for (size_t i = 0; i < m; i++) {
			double w = (double)(i + 1) / (XFADE + 1);
			pcm[i] = (int16_t)lrint((1.0 - w) * synth(p, pos, p->lost + i) + w * pcm[i]);
			pos = (pos + 1) % p->lag;
		}
		p->lost = 0;
	}
	if (n >= HIST) {
		memcpy(p->hist, pcm + n - HIST, HIST * sizeof p->hist[0]);
	} else {
		memmove(p->hist, p->hist + n, (HIST - n) * sizeof p->hist[0]);
		memcpy(p->hist + HIST - n, pcm, n * sizeof pcm[0]);
	}
}
