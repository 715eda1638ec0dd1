/* transcode_rs.h - a small polyphase resampler for the transcoder.
 *
 * Used only where the two codecs of a direction cannot meet at one PCM rate
 * (G.722's 16 kHz against G.711's or G.729's 8 kHz; Opus runs at whatever
 * rate its partner needs, so it never resamples). spandsp 0.0.6 has no
 * general resampler, so this is our own: a rational L/M converter (rates
 * reduced by their gcd) with a Blackman-windowed sinc low-pass cut at 0.45 of
 * the lower rate, 16 input taps per output sample per unit of decimation
 * (capped at 128), mono. Streaming: the tail of each block is kept, so
 * blocks of any length join without clicks.
 *
 * Ownership: xrs_init() allocates the coefficient table and history (control
 * path); xrs_process() never allocates; xrs_free() releases. One user at a
 * time.
 */
#ifndef TANDEM_MEDIA_TRANSCODE_RS_H
#define TANDEM_MEDIA_TRANSCODE_RS_H

#include <stddef.h>
#include <stdint.h>

struct xrs {
	uint32_t in_rate, out_rate;
	unsigned L, M;              /* out/in = L/M */
	unsigned taps;              /* input samples per output sample */
	float *coef;                /* L * taps, phase-major */
	float *buf;                 /* taps - 1 history + max_in new samples */
	size_t max_in;
	uint64_t t;                 /* position of the next output, in upsampled units,
	                             * relative to the first new sample of a block */
};

/* Prepare a converter from in_rate to out_rate for blocks of at most max_in
 * samples. Returns 0, -EINVAL (a rate of 0 or a ratio beyond 1:12) or
 * -ENOMEM. */
int xrs_init(struct xrs *r, uint32_t in_rate, uint32_t out_rate, size_t max_in);
void xrs_free(struct xrs *r);
/* Convert n samples (n <= max_in); writes at most 'cap' samples to out and
 * returns how many (about n * out_rate / in_rate). */
size_t xrs_process(struct xrs *r, const int16_t *in, size_t n, int16_t *out, size_t cap);

#endif
