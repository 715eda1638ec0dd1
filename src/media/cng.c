/* cng.c - see cng.h. */
#include "config.h"
#include "media/cng.h"

#include <errno.h>
#include <math.h>
#include <spandsp/telephony.h>
#include <spandsp/noise.h>

#define CNG_QUALITY 7               /* sums of this many random numbers (spandsp) */
#define CNG_SEED 1234567

int cng_init(struct cng *c)
{
	c->active = false;
	c->level = CNG_MAX_DBOV;
	c->periods = 0;
	c->ns = noise_init_dbov(NULL, CNG_SEED, -(float)CNG_MAX_DBOV, NOISE_CLASS_HOTH, CNG_QUALITY);
	return c->ns ? 0 : -ENOMEM;
}

void cng_free(struct cng *c)
{
	if (c->ns)
		noise_free(c->ns);
	c->ns = NULL;
}

int cng_level_of(const uint8_t *payload, size_t len)
{
	/* The first byte's low 7 bits; the spectral coefficients after it
	 * are not used (Hoth noise is a fair stand-in for a room). */
	return len ? payload[0] & 0x7f : -1;
}

int cng_level_pcm(const int16_t *pcm, size_t n, size_t step)
{
	int64_t e = 0;
	size_t k = 0;

	if (!step)
		step = 1;
	for (size_t i = 0; i < n; i += step, k++)
		e += (int32_t)pcm[i] * pcm[i];
	if (!k || e <= 0)
		return 127;
	double dbov = 20 * log10(sqrt((double)e / (double)k) / 32768.0);
	return dbov < -127 ? 127 : (int)lrint(-dbov);
}

void cng_start(struct cng *c, int level)
{
	if (level < CNG_MIN_DBOV)
		level = CNG_MIN_DBOV;
	if (level > CNG_MAX_DBOV)
		level = CNG_MAX_DBOV;
	if (!c->active || level != c->level)
		noise_init_dbov(c->ns, CNG_SEED, -(float)level, NOISE_CLASS_HOTH, CNG_QUALITY);
	c->level = level;
	c->active = true;
}

void cng_stop(struct cng *c)
{
	c->active = false;
}

void cng_fill(struct cng *c, int16_t *pcm, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = noise(c->ns);
	c->periods++;
}
