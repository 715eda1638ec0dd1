/* transcode_rs.c - see transcode_rs.h.
 *
 * Output sample j sits at upsampled position t = j*M. With x upsampled by L
 * (zeros between samples) and filtered by h (length L*taps), only every L-th
 * tap meets a real sample:
 *     y[j] = sum_{m < taps} h[p + m*L] * x[i - m],  i = t / L, p = t % L
 * so each phase p has its own 'taps' coefficients, stored together. */
#include "config.h"
#include "media/transcode_rs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RS_TAPS_PER_DECIM 16
#define RS_MAX_TAPS 128
#define RS_MAX_RATIO 12
#define RS_CUTOFF 0.45              /* of the lower rate */

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static void make_coef(struct xrs *r)
{
	unsigned n = r->L * r->taps;
	/* Cut-off as a fraction of the upsampled rate (in_rate * L). */
	double fc = RS_CUTOFF / (double)(r->L > r->M ? r->L : r->M);
	double mid = (n - 1) / 2.0;

	for (unsigned k = 0; k < n; k++) {
		double x = k - mid;
		double s = x == 0 ? 2 * fc : sin(2 * M_PI * fc * x) / (M_PI * x);
		double w = 0.42 - 0.5 * cos(2 * M_PI * k / (n - 1)) + 0.08 * cos(4 * M_PI * k / (n - 1));
		/* Tap k belongs to phase k % L, position k / L; the gain L makes
		 * up for the zeros of the upsampling. */
		r->coef[(k % r->L) * r->taps + k / r->L] = (float)(s * w * r->L);
	}
}

int xrs_init(struct xrs *r, uint32_t in_rate, uint32_t out_rate, size_t max_in)
{
	memset(r, 0, sizeof *r);
	if (!in_rate || !out_rate || !max_in)
		return -EINVAL;
	uint32_t g = gcd32(in_rate, out_rate);
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	r->L = out_rate / g;
	r->M = in_rate / g;
	if (r->L > RS_MAX_RATIO * r->M || r->M > RS_MAX_RATIO * r->L || r->L > 1000 || r->M > 1000)
		return -EINVAL;
	unsigned decim = (r->M + r->L - 1) / r->L;
	r->taps = RS_TAPS_PER_DECIM * decim;
	if (r->taps > RS_MAX_TAPS)
		r->taps = RS_MAX_TAPS;
	r->max_in = max_in;
	r->coef = calloc((size_t)r->L * r->taps, sizeof *r->coef);
	r->buf = calloc(r->taps - 1 + max_in, sizeof *r->buf);
	if (!r->coef || !r->buf) {
		xrs_free(r);
		return -ENOMEM;
	}
	make_coef(r);
	return 0;
}

void xrs_free(struct xrs *r)
{
	free(r->coef);
	free(r->buf);
	r->coef = NULL;
	r->buf = NULL;
}

static int16_t clip16(float v)
{
	if (v > 32767.0f)
		return 32767;
	if (v < -32768.0f)
		return -32768;
	return (int16_t)lrintf(v);
}

size_t xrs_process(struct xrs *r, const int16_t *in, size_t n, int16_t *out, size_t cap)
{
	size_t hist = r->taps - 1, done = 0;

	if (n > r->max_in)
		n = r->max_in;
	float *x = r->buf + hist;       /* x[-hist .. n-1] */
	for (size_t i = 0; i < n; i++)
		x[i] = in[i];
	uint64_t end = (uint64_t)n * r->L;
	while (r->t < end && done < cap) {
		size_t i = (size_t)(r->t / r->L);
		const float *h = r->coef + (r->t % r->L) * r->taps;
		const float *xp = x + i;
		float acc = 0;
		for (unsigned m = 0; m < r->taps; m++)
			acc += h[m] * xp[-(ptrdiff_t)m];
		out[done++] = clip16(acc);
		r->t += r->M;
	}
	/* Keep the last 'hist' samples for the next block. */
	memmove(r->buf, r->buf + n, hist * sizeof *r->buf);
	r->t = r->t >= end ? r->t - end : 0;
	return done;
}
