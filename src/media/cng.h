/* cng.h - comfort noise for a transcoded direction whose source went
 * quiet: RFC 3389 comfort noise (CN) packets, or Opus DTX (packets of one
 * or two bytes, then none for up to 400 ms), turned into a continuous
 * stream for the other leg, which then gets a packet every period instead
 * of silence gaps (a leg that negotiated no CN expects one).
 *
 * The noise is spandsp's Hoth noise generator (noise.h: the spectrum of
 * indoor ambient noise, IEEE 269) at the level the source signalled: the
 * CN packet's level byte (-dBov, RFC 3389 section 3), or for Opus DTX the
 * level of the last audio before it (the background the encoder heard when
 * it stopped sending; what libopus makes of the DTX frame itself fades to
 * nothing).
 *
 * Ownership: cng_init() allocates the generator (owner thread, with the
 * transcoder); everything else runs on the worker and never allocates.
 * cng_free() frees it.
 */
#ifndef TANDEM_MEDIA_CNG_H
#define TANDEM_MEDIA_CNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CNG_MIN_DBOV 30             /* louder "comfort noise" is capped here */
#define CNG_MAX_DBOV 90             /* quieter is this (inaudible) */

struct noise_state_s;

struct cng {
	struct noise_state_s *ns;
	bool active;                /* the source is quiet: fill with noise */
	int level;                  /* -dBov of the noise */
	uint64_t periods;           /* periods filled */
};

int cng_init(struct cng *c);
void cng_free(struct cng *c);

/* The noise level of an RFC 3389 payload (untrusted): -dBov in 0..127,
 * or -1 when the payload is empty. Pure. */
int cng_level_of(const uint8_t *payload, size_t len);
/* The level of PCM 'pcm[n]' as -dBov, from every 'step'th sample (1: all),
 * 127 for silence. */
int cng_level_pcm(const int16_t *pcm, size_t n, size_t step);

/* The source is quiet at -'level' dBov (clamped to CNG_MIN..MAX_DBOV). */
void cng_start(struct cng *c, int level);
/* Real audio again. */
void cng_stop(struct cng *c);
/* n samples of the noise. */
void cng_fill(struct cng *c, int16_t *pcm, size_t n);

#endif
