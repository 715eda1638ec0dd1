/* g711.c - mod_g711: G.711 mu-law (PCMU, PT 0) and A-law (PCMA, PT 8).
 *
 * 8000 Hz mono, 20 ms frames, no fmtp. The engine is a table lookup: one
 * 64K-entry table per law maps every 16-bit sample to its code, and one
 * 256-entry table per law maps a code back to linear. The tables are built
 * once (init() or the first create(), whichever comes first) from the
 * segment/mantissa rules of ITU-T G.711 written out below, and are read-only
 * afterwards, so any number of threads may use them.
 *
 * Both laws work on the magnitude of the sample. For a negative sample the
 * mu-law magnitude is -x and the A-law magnitude is -x - 1 (so -32768 fits);
 * this is the common convention (spandsp, and the classic reference code it
 * descends from), which keeps our codes bit-identical to every peer and test
 * tool using those, and test_modules checks all 65536 inputs against spandsp.
 *
 * Packet loss concealment is modules/common/plc (pitch-period repetition,
 * 20 ms at full level then a 40 ms fade), fed with every decoded frame; not
 * spandsp 0.0.6's plc_fillin(), which memcpy()s overlapping ranges.
 *
 * encode() accepts any number of samples (one byte per sample); decode()
 * yields one sample per payload byte.
 */
#include "config.h"

#include <tandem/codec.h>
#include <tandem/module.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "../common/plc.h"

#define G711_RATE       8000
#define G711_FRAME_MS   20

#define ULAW_BIAS       0x84    /* 33 on G.711's 14-bit scale, shifted to 16 bits */
#define ULAW_MAX        0x7FFF  /* biased magnitude at which mu-law saturates */

/* Lookup tables, written only inside build_tables() under pthread_once. */
static uint8_t ulaw_enc[65536];
static uint8_t alaw_enc[65536];
static int16_t ulaw_dec[256];
static int16_t alaw_dec[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* Segment of a magnitude: the number of doublings above 'base' (0..7). */
static unsigned segment(unsigned mag, unsigned base)
{
	unsigned seg = 0;
	while (seg < 7 && mag >= (base << (seg + 1)))
		seg++;
	return seg;
}

/* mu-law: bias the magnitude so every segment starts on a power of two, then
 * keep the segment number and the 4 bits below the leading one. All bits are
 * inverted on the wire. */
static uint8_t ulaw_from_linear(int16_t x)
{
	unsigned sign = x < 0 ? 0x80 : 0x00;
	unsigned mag = (unsigned)(x < 0 ? -(int)x : x) + ULAW_BIAS;
	if (mag > ULAW_MAX)
		mag = ULAW_MAX;
	unsigned seg = segment(mag, 128);       /* biased mag >= 128 always */
	unsigned mant = (mag >> (seg + 3)) & 0x0F;
	return (uint8_t)~(sign | seg << 4 | mant);
}

/* The middle of the interval the code stands for, minus the bias. */
static int16_t ulaw_to_linear(uint8_t code)
{
	unsigned u = (uint8_t)~code;
	unsigned seg = (u >> 4) & 0x07, mant = u & 0x0F;
	int mag = (int)(((mant << 3) + ULAW_BIAS) << seg) - ULAW_BIAS;
	return (int16_t)(u & 0x80 ? -mag : mag);
}

/* A-law: no bias; segments 0 and 1 share the same step (16 on the 16-bit
 * scale), each later segment doubles it. Positive samples carry the sign bit
 * set, and even bits are inverted on the wire (XOR 0x55). */
static uint8_t alaw_from_linear(int16_t x)
{
	unsigned sign = x >= 0 ? 0x80 : 0x00;
	unsigned mag = (unsigned)(x < 0 ? ~x : x);      /* 0..32767 */
	unsigned seg = mag < 256 ? 0 : 1 + segment(mag, 256);
	unsigned mant = seg == 0 ? mag >> 4 : (mag >> (seg + 3)) & 0x0F;
	return (uint8_t)((sign | seg << 4 | mant) ^ 0x55);
}

static int16_t alaw_to_linear(uint8_t code)
{
	unsigned a = code ^ 0x55u;
	unsigned seg = (a >> 4) & 0x07, mant = a & 0x0F;
	int mag = seg == 0 ? (int)(mant << 4) + 8
			   : (int)((mant + 16) << (seg + 3)) + (1 << (seg + 2));
	return (int16_t)(a & 0x80 ? mag : -mag);
}

static void build_tables(void)
{
	for (unsigned i = 0; i < 65536; i++) {
		int16_t x = (int16_t)(i < 32768 ? (int)i : (int)i - 65536);
		ulaw_enc[i] = ulaw_from_linear(x);
		alaw_enc[i] = alaw_from_linear(x);
	}
	for (unsigned c = 0; c < 256; c++) {
		ulaw_dec[c] = ulaw_to_linear((uint8_t)c);
		alaw_dec[c] = alaw_to_linear((uint8_t)c);
	}
}

struct tandem_codec_state {
	const uint8_t *enc;     /* law's encode table, NULL if not encoding */
	const int16_t *dec;     /* law's decode table, NULL if not decoding */
	bool decoding;
	struct tplc plc;        /* decode only */
};

static const struct tandem_codec pcmu_codec, pcma_codec;

static int g711_create(const struct tandem_codec *codec, const char *fmtp,
		       uint32_t sample_rate, unsigned dir,
		       struct tandem_codec_state **out)
{
	struct tandem_codec_state *st;
	bool ulaw = codec == &pcmu_codec;

	if ((!ulaw && codec != &pcma_codec) || dir == 0 || (dir & ~(unsigned)TANDEM_CODEC_BOTH))
		return -EINVAL;
	if (sample_rate != G711_RATE)
		return -ENOTSUP;
	pthread_once(&tables_once, build_tables);
	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	if (dir & TANDEM_CODEC_ENCODE)
		st->enc = ulaw ? ulaw_enc : alaw_enc;
	if (dir & TANDEM_CODEC_DECODE) {
		st->dec = ulaw ? ulaw_dec : alaw_dec;
		st->decoding = true;
		tplc_init(&st->plc, G711_RATE);
	}
	*out = st;
	return 0;
}

static int g711_encode(struct tandem_codec_state *st, const int16_t *pcm, size_t samples,
		       uint8_t *out, size_t out_size)
{
	if (!st->enc || samples > INT_MAX)
		return -EINVAL;
	if (samples > out_size)
		return -ENOBUFS;
	for (size_t i = 0; i < samples; i++)
		out[i] = st->enc[(uint16_t)pcm[i]];
	return (int)samples;
}

static int g711_decode(struct tandem_codec_state *st, const uint8_t *payload, size_t len,
		       int16_t *pcm, size_t max_samples)
{
	if (!st->dec || len > INT_MAX)
		return -EINVAL;
	if (len > max_samples)
		return -ENOBUFS;
	for (size_t i = 0; i < len; i++)
		pcm[i] = st->dec[payload[i]];
	/* Keeps the history the concealer repeats; after a loss it also
	 * blends the first real samples with the synthetic ones. */
	tplc_good(&st->plc, pcm, len);
	return (int)len;
}

static int g711_plc(struct tandem_codec_state *st, int16_t *pcm, size_t samples)
{
	if (!st->decoding || samples > INT_MAX)
		return -EINVAL;
	tplc_conceal(&st->plc, pcm, samples);
	return (int)samples;
}

static void g711_destroy(struct tandem_codec_state *st)
{
	if (!st)
		return;
	free(st);
}

static const struct tandem_codec_engine g711_engine = {
	.struct_size = sizeof(struct tandem_codec_engine),
	.create = g711_create,
	.encode = g711_encode,
	.decode = g711_decode,
	.plc = g711_plc,
	.destroy = g711_destroy,
};

/* G.711 has no fmtp: negotiation is NULL (always compatible, no answer). */
static const struct tandem_codec pcmu_codec = {
	.struct_size = sizeof(struct tandem_codec),
	.name = "PCMU",
	.clock_rate = G711_RATE,
	.channels = 1,
	.payload_type = 0,
	.sample_rate = G711_RATE,
	.frame_ms = G711_FRAME_MS,
	.engine = &g711_engine,
};

static const struct tandem_codec pcma_codec = {
	.struct_size = sizeof(struct tandem_codec),
	.name = "PCMA",
	.clock_rate = G711_RATE,
	.channels = 1,
	.payload_type = 8,
	.sample_rate = G711_RATE,
	.frame_ms = G711_FRAME_MS,
	.engine = &g711_engine,
};

static const struct tandem_codec *const g711_codecs[] = { &pcmu_codec, &pcma_codec, NULL };

static int g711_init(const struct tandem_host *host)
{
	pthread_once(&tables_once, build_tables);
	if (host && host->log)
		host->log(TANDEM_LOG_DEBUG, "g711: lookup tables ready");
	return 0;
}

TANDEM_MODULE_DEFINE(
	.name = "g711",
	.version = "1.0.0",
	.description = "G.711 mu-law (PCMU) and A-law (PCMA), table driven, pitch-repeat PLC",
	.init = g711_init,
	.codecs = g711_codecs,
);
