/* plc16.c - mod_g722 packet loss concealment at 16 kHz (see plc16.h). */
#include "config.h"

#include "plc16.h"

#include <math.h>
#include <string.h>

#define MIN_LAG     32          /* 2 ms: 500 Hz */
#define MAX_LAG     320         /* 20 ms: 50 Hz */
#define CORR_LEN    160         /* 10 ms compared per candidate lag */
#define HOLD        320         /* 20 ms at full level */
#define FADE        640         /* then 40 ms down to silence */
#define XFADE       64          /* 4 ms into the real audio after a loss */

_Static_assert(PLC16_HIST >= MAX_LAG + CORR_LEN, "history too short for the pitch search");

void mg722_plc_init(struct plc16 *p)
{
	memset(p, 0, sizeof *p);
}

/* The lag whose window best matches the newest CORR_LEN samples. On silence
 * every lag scores 0 and MAX_LAG stays (repeating silence is right). */
static size_t find_pitch(const int16_t *h)
{
	const int16_t *x = h + PLC16_HIST - CORR_LEN;
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
static int16_t synth(const struct plc16 *p, size_t pos, size_t k)
{
	double gain = k < HOLD ? 1.0 : k < HOLD + FADE ? 1.0 - (double)(k - HOLD) / FADE : 0.0;
	return (int16_t)lrint(gain * p->hist[PLC16_HIST - p->lag + pos]);
}

void mg722_plc_conceal(struct plc16 *p, int16_t *pcm, size_t n)
{
	if (p->lost == 0) {
		p->lag = find_pitch(p->hist);
		p->pos = 0;
	}
	for (size_t i = 0; i < n; i++) {
		pcm[i] = synth(p, p->pos, p->lost + i);
		p->pos = (p->pos + 1) % p->lag;
	}
	p->lost += n;
}

void mg722_plc_good(struct plc16 *p, int16_t *pcm, size_t n)
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
	if (n >= PLC16_HIST) {
		memcpy(p->hist, pcm + n - PLC16_HIST, sizeof p->hist);
	} else {
		memmove(p->hist, p->hist + n, (PLC16_HIST - n) * sizeof p->hist[0]);
		memcpy(p->hist + PLC16_HIST - n, pcm, n * sizeof pcm[0]);
	}
}
