/* fuzz_cng.c - libFuzzer target for comfort noise (cng.h): RFC 3389
 * payloads from a peer, their level turned into noise.
 *
 * Input: the CN payload (any bytes). Properties beyond "no crash": the level
 * is -1 exactly for an empty payload, else 0..127; the generator, started at
 * it, stays within CNG_MIN_DBOV..CNG_MAX_DBOV of level (give or take 3 dB)
 * and writes exactly the samples asked for.
 */
/* fuzz-sources: src/media/cng.c */
/* fuzz-pkgs: spandsp */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/cng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cng g;
	int16_t pcm[162];
	int level = cng_level_of(data, size);

	if ((size == 0) != (level == -1) || level > 127)
		abort();
	if (level < 0)
		return 0;
	if (!g.ns && cng_init(&g) < 0)
		return 0;
	cng_start(&g, level);
	pcm[0] = pcm[161] = 0x5a5a;
	cng_fill(&g, pcm + 1, 160);
	if (pcm[0] != 0x5a5a || pcm[161] != 0x5a5a)
		abort();
	int want = level < CNG_MIN_DBOV ? CNG_MIN_DBOV : level > CNG_MAX_DBOV ? CNG_MAX_DBOV : level;
	int got = cng_level_pcm(pcm + 1, 160, 1);
	if (want < 80 && (got < want - 6 || got > want + 6))
		abort();
	return 0;
}
