/* g729.c - mod_g729: G.729 (static PT 18) through bcg729.
 *
 * 8 kHz mono. A G.729 frame is 10 ms = 80 samples = 10 bytes; the default
 * packet (frame_ms 20) carries two. encode() takes any whole number of
 * frames. decode() takes N voice frames optionally followed by one 2-byte
 * Annex B SID frame (RFC 3551 4.5.6: the SID frame, if any, comes last), so a
 * valid payload is 10*N or 10*N + 2 bytes; every other length is -EBADMSG.
 * bcg729 implements G.729 Annex A (the reduced-complexity coder) and Annex B;
 * Annex A shares the G.729 bitstream, so "G729" peers of either kind interwork.
 *
 * Annex B (VAD/DTX/CNG): our offers say annexb=no (default_fmtp), and our
 * encoder never uses VAD: a continuous stream costs a little bandwidth but
 * works with every peer and keeps packetisation simple (a SID frame may only
 * end a packet). The decoder fully supports Annex B, so an explicit
 * annexb=yes in an offer is answered annexb=yes: SID frames decode into
 * comfort noise, and plc() during the DTX gaps that follow continues the
 * comfort noise (bcg729's erasure path does that by itself when the last
 * frame was a SID, as G.729 Annex B.27 specifies). Answer rules in
 * g729_fmtp.c.
 *
 * Loss: plc() runs bcg729's frame erasure concealment (G.729 4.4: repeat the
 * last frame's parameters with decaying gains and random fixed-codebook
 * pulses), in 10 ms steps, so it takes a multiple of 80 samples.
 *
 * Cost per 20 ms packet (two frames) on the 2-vCPU Debian 12 build machine
 * (bcg729 1.1.1, -O2): encode 38 us, decode 7 us, plc 6.5 us.
 */
#include "config.h"

#include <tandem/codec.h>
#include <tandem/module.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#include "g729_fmtp.h"

#define G729_RATE       8000
#define G729_FRAME_MS   20
#define G729_SAMPLES    80      /* per 10 ms G.729 frame */
#define G729_BYTES      10      /* per voice frame */
#define G729_SID_BYTES  2       /* per Annex B SID frame */

struct tandem_codec_state {
	bcg729EncoderChannelContextStruct *enc;         /* NULL if not encoding */
	bcg729DecoderChannelContextStruct *dec;         /* NULL if not decoding */
};

static const struct tandem_codec g729_codec;

static void mg729_destroy(struct tandem_codec_state *st)
{
	if (!st)
		return;
	if (st->enc)
		closeBcg729EncoderChannel(st->enc);
	if (st->dec)
		closeBcg729DecoderChannel(st->dec);
	free(st);
}

static int mg729_create(const struct tandem_codec *codec, const char *fmtp,
			uint32_t sample_rate, unsigned dir, struct tandem_codec_state **out)
{
	struct tandem_codec_state *st;

	if (codec != &g729_codec || dir == 0 || (dir & ~(unsigned)TANDEM_CODEC_BOTH) ||
	    sample_rate == 0)
		return -EINVAL;
	if (sample_rate != G729_RATE)
		return -ENOTSUP;
	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	/* VAD off whatever annexb says: see the header comment. */
	if ((dir & TANDEM_CODEC_ENCODE) && !(st->enc = initBcg729EncoderChannel(0)))
		goto nomem;
	if ((dir & TANDEM_CODEC_DECODE) && !(st->dec = initBcg729DecoderChannel()))
		goto nomem;
	*out = st;
	return 0;
nomem:
	mg729_destroy(st);
	return -ENOMEM;
}

static int mg729_encode(struct tandem_codec_state *st, const int16_t *pcm, size_t samples,
			uint8_t *out, size_t out_size)
{
	size_t frames = samples / G729_SAMPLES;

	if (!st->enc || samples % G729_SAMPLES || samples > INT_MAX)
		return -EINVAL;
	if (frames * G729_BYTES > out_size)
		return -ENOBUFS;
	for (size_t f = 0; f < frames; f++) {
		uint8_t len = 0;
		bcg729Encoder(st->enc, pcm + f * G729_SAMPLES, out + f * G729_BYTES, &len);
		if (len != G729_BYTES)          /* cannot happen without VAD */
			return -EINVAL;
	}
	return (int)(frames * G729_BYTES);
}

static int mg729_decode(struct tandem_codec_state *st, const uint8_t *payload, size_t len,
			int16_t *pcm, size_t max_samples)
{
	size_t voice = len / G729_BYTES, rest = len % G729_BYTES;
	size_t frames = voice + (rest ? 1 : 0);

	if (!st->dec)
		return -EINVAL;
	if (len == 0 || len > INT_MAX / G729_SAMPLES || (rest != 0 && rest != G729_SID_BYTES))
		return -EBADMSG;
	if (frames * G729_SAMPLES > max_samples)
		return -ENOBUFS;
	for (size_t f = 0; f < voice; f++)
		bcg729Decoder(st->dec, payload + f * G729_BYTES, G729_BYTES, 0, 0, 0,
			      pcm + f * G729_SAMPLES);
	if (rest)
		bcg729Decoder(st->dec, payload + voice * G729_BYTES, G729_SID_BYTES, 0, 1, 0,
			      pcm + voice * G729_SAMPLES);
	return (int)(frames * G729_SAMPLES);
}

static int mg729_plc(struct tandem_codec_state *st, int16_t *pcm, size_t samples)
{
	if (!st->dec || samples % G729_SAMPLES || samples > INT_MAX)
		return -EINVAL;
	for (size_t off = 0; off < samples; off += G729_SAMPLES)
		bcg729Decoder(st->dec, NULL, 0, 1, 0, 0, pcm + off);
	return (int)samples;
}

static const struct tandem_codec_engine g729_engine = {
	.struct_size = sizeof(struct tandem_codec_engine),
	.create = mg729_create,
	.encode = mg729_encode,
	.decode = mg729_decode,
	.plc = mg729_plc,
	.destroy = mg729_destroy,
};

static const struct tandem_codec_negotiation g729_negotiation = {
	.struct_size = sizeof(struct tandem_codec_negotiation),
	.default_fmtp = "annexb=no",
	.fmtp_answer = mg729_fmtp_answer,
	.fmtp_compatible = mg729_fmtp_compatible,
};

static const struct tandem_codec g729_codec = {
	.struct_size = sizeof(struct tandem_codec),
	.name = "G729",
	.clock_rate = G729_RATE,
	.channels = 1,
	.payload_type = 18,
	.sample_rate = G729_RATE,
	.frame_ms = G729_FRAME_MS,
	.negotiation = &g729_negotiation,
	.engine = &g729_engine,
};

static const struct tandem_codec *const g729_codecs[] = { &g729_codec, NULL };

TANDEM_MODULE_DEFINE(
	.name = "g729",
	.version = "1.0.0",
	.description = "G.729 (Annex A coder, Annex B SID decode) via bcg729",
	.codecs = g729_codecs,
);
