/* opus.c - mod_opus: Opus (RFC 7587) through libopus.
 *
 * SDP identity is fixed by RFC 7587: "opus/48000/2", dynamic payload type,
 * whatever the audio really is. The engine is mono and runs at the PCM rate
 * create() is asked for: 8000, 12000, 16000, 24000 or 48000 Hz, which libopus
 * encodes and decodes natively (no resampler), so a bridge to G.711 works at
 * 8 kHz end to end. tandem_codec.pcm_channels = 1 says so (ABI 1.1).
 *
 * RTP timestamps: the Opus RTP clock is ALWAYS 48000. A 20 ms packet advances
 * the timestamp by 960 whatever the engine's rate: at 8 kHz that is 160 PCM
 * samples but 960 ticks (x6), at 16 kHz 320 samples (x3). Stamping PCM sample
 * counts is a classic bug (audio plays 6x too fast, the jitter buffer thinks
 * 5 of 6 packets are missing). Convert with clock_rate / sample_rate.
 *
 * create() takes the PEER's fmtp: every RFC 7587 parameter describes what its
 * sender wants to receive, so it shapes our encoder:
 *   maxaveragebitrate  caps our bitrate (default by rate: see default_bitrate),
 *                      and also each packet's size: libopus' VBR overshoots
 *                      its target on steady sounds (measured: 16.2 kbit/s
 *                      over 10 s of two tones for a 12 kbit/s target), so a
 *                      per-packet ceiling of cap x duration is what makes the
 *                      average a promise (11.1 kbit/s on the same audio)
 *   maxplaybackrate    caps our audio bandwidth (OPUS_SET_MAX_BANDWIDTH)
 *   useinbandfec=1     we add in-band FEC (and tell libopus to expect 10% loss,
 *                      without which it sends no redundancy)
 *   usedtx=1           we use DTX: in silence encode() returns 1-2 byte
 *                      payloads, which the caller may skip sending (the
 *                      timestamp still advances)
 *   cbr=1              constant bitrate
 * For a decoder the fmtp changes nothing: libopus decodes every mode, and a
 * stereo stream is downmixed to mono.
 *
 * Encoder complexity (libopus default is 10) depends on the rate:
 *   8 and 12 kHz (narrowband legs, e.g. against G.711): 1. Measured with
 *     tests/bench/bench_opus_cx (speech-like signal and a chirp, 16 kbit/s
 *     with FEC): encode 23-26 us per 20 ms frame against 50 at 5 and 91 at
 *     10, for about 0.9 dB (speech) and 1.7 dB (chirp) less
 *     frequency-weighted segmental SNR than 5, 1.6 / 2.4 dB less than 10;
 *     waveform SNR does not fall (6.6 dB against 6.1). The encoder is most
 *     of a transcoded call's CPU, so this is what sets calls per core.
 *   16 kHz and up: 5. At 48 kHz that halves the CPU of 10 for a quality
 *     difference no telephone hears.
 * TANDEM_OPUS_COMPLEXITY=0..10 in tandemd's environment overrides both
 * (read once, in init()).
 *
 * Loss: plc() runs libopus' concealment (opus_decode with no data);
 * decode_fec() (ABI 1.1) rebuilds the lost frame from the LBRR data of the
 * packet that followed it, as libopus documents: decode_fec=1 for the gap,
 * then the caller decodes that packet normally. libopus falls back to plain
 * concealment when that packet carries no FEC.
 *
 * encode() takes one Opus frame: 2.5, 5, 10, 20, 40 or 60 ms of samples.
 * plc() and decode_fec() fill a multiple of 2.5 ms.
 *
 * Cost per 20 ms mono frame on the 2-vCPU Debian 12 build machine (libopus
 * 1.3.1, -O2, tones + noise, default VBR bitrate), in microseconds:
 *      rate    encode cx5  encode cx10   decode   plc
 *      8 kHz       47-54       86-100       5.5    4.4
 *     16 kHz      95-106                   10      11
 *     48 kHz         115          207      24      21
 */
#include "config.h"

#include <tandem/codec.h>
#include <tandem/module.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#include "opus_fmtp.h"

#define OPUS_CLOCK          48000
#define OPUS_FRAME_MS       20
#define OPUS_MAX_FRAME_MS   60
#define OPUS_MAX_PACKET     (3 * 1275 + 7)       /* 60 ms, any bitrate */
#define OPUS_FEC_LOSS_PERC  10
#define OPUS_DEFAULT_CX     5       /* 16 kHz and up */
#define OPUS_DEFAULT_CX_NB  1       /* 8 and 12 kHz */

static int g_complexity = -1;   /* TANDEM_OPUS_COMPLEXITY, -1: by rate; written in init() only */

struct tandem_codec_state {
	OpusEncoder *enc;       /* NULL if not encoding */
	OpusDecoder *dec;       /* NULL if not decoding */
	uint32_t rate;          /* PCM rate of both */
	int32_t max_bitrate;    /* the peer's maxaveragebitrate, 0 = none */
};

static bool valid_rate(uint32_t rate)
{
	return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

/* Good mono speech at each rate; at most what the peer allows. */
static int32_t default_bitrate(uint32_t rate)
{
	switch (rate) {
	case 8000:
		return 16000;
	case 12000:
		return 20000;
	case 16000:
		return 24000;
	case 24000:
		return 28000;
	default:
		return 32000;
	}
}

static int bandwidth_for(int32_t playback_rate)
{
	if (playback_rate <= 8000)
		return OPUS_BANDWIDTH_NARROWBAND;
	if (playback_rate <= 12000)
		return OPUS_BANDWIDTH_MEDIUMBAND;
	if (playback_rate <= 16000)
		return OPUS_BANDWIDTH_WIDEBAND;
	if (playback_rate <= 24000)
		return OPUS_BANDWIDTH_SUPERWIDEBAND;
	return OPUS_BANDWIDTH_FULLBAND;
}

static int make_encoder(struct tandem_codec_state *st, const char *fmtp)
{
	struct mopus_fmtp f;
	int32_t bitrate = default_bitrate(st->rate);
	int err = OPUS_OK;

	mopus_fmtp_parse(fmtp, &f);
	st->enc = opus_encoder_create((opus_int32)st->rate, 1, OPUS_APPLICATION_VOIP, &err);
	if (!st->enc || err != OPUS_OK)
		return err == OPUS_ALLOC_FAIL ? -ENOMEM : -EINVAL;
	st->max_bitrate = f.maxaveragebitrate;
	if (f.maxaveragebitrate > 0 && f.maxaveragebitrate < bitrate)
		bitrate = f.maxaveragebitrate;
	int cx = g_complexity >= 0 ? g_complexity : st->rate <= 12000 ? OPUS_DEFAULT_CX_NB : OPUS_DEFAULT_CX;
	if (opus_encoder_ctl(st->enc, OPUS_SET_COMPLEXITY(cx)) != OPUS_OK ||
	    opus_encoder_ctl(st->enc, OPUS_SET_BITRATE(bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(st->enc, OPUS_SET_INBAND_FEC(f.useinbandfec == 1)) != OPUS_OK ||
	    opus_encoder_ctl(st->enc, OPUS_SET_PACKET_LOSS_PERC(
				     f.useinbandfec == 1 ? OPUS_FEC_LOSS_PERC : 0)) != OPUS_OK ||
	    opus_encoder_ctl(st->enc, OPUS_SET_DTX(f.usedtx == 1)) != OPUS_OK ||
	    opus_encoder_ctl(st->enc, OPUS_SET_VBR(f.cbr != 1)) != OPUS_OK)
		return -EINVAL;
	if (f.maxplaybackrate > 0 &&
	    opus_encoder_ctl(st->enc, OPUS_SET_MAX_BANDWIDTH(bandwidth_for(f.maxplaybackrate)))
		    != OPUS_OK)
		return -EINVAL;
	return 0;
}

static void mopus_destroy(struct tandem_codec_state *st)
{
	if (!st)
		return;
	if (st->enc)
		opus_encoder_destroy(st->enc);
	if (st->dec)
		opus_decoder_destroy(st->dec);
	free(st);
}

static const struct tandem_codec opus_codec;

static int mopus_create(const struct tandem_codec *codec, const char *fmtp,
			uint32_t sample_rate, unsigned dir, struct tandem_codec_state **out)
{
	struct tandem_codec_state *st;
	int rc = 0, err = OPUS_OK;

	if (codec != &opus_codec || dir == 0 || (dir & ~(unsigned)TANDEM_CODEC_BOTH) ||
	    sample_rate == 0)
		return -EINVAL;
	if (!valid_rate(sample_rate))
		return -ENOTSUP;
	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->rate = sample_rate;
	if ((dir & TANDEM_CODEC_ENCODE) && (rc = make_encoder(st, fmtp)) < 0)
		goto fail;
	if (dir & TANDEM_CODEC_DECODE) {
		st->dec = opus_decoder_create((opus_int32)sample_rate, 1, &err);
		if (!st->dec || err != OPUS_OK) {
			rc = err == OPUS_ALLOC_FAIL || !st->dec ? -ENOMEM : -EINVAL;
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	mopus_destroy(st);
	return rc;
}

static int mopus_encode(struct tandem_codec_state *st, const int16_t *pcm, size_t samples,
			uint8_t *out, size_t out_size)
{
	unsigned char pkt[OPUS_MAX_PACKET];
	opus_int32 room = (opus_int32)sizeof pkt;

	if (!st->enc || samples == 0 || samples > st->rate / 1000 * OPUS_MAX_FRAME_MS)
		return -EINVAL;
	if (st->max_bitrate > 0) {
		/* The peer's ceiling (see the header); at least a TOC and a bit. */
		room = (opus_int32)((int64_t)st->max_bitrate * (int64_t)samples / st->rate / 8);
		if (room < 3)
			room = 3;
	}
	/* Into our own buffer: libopus would silently squeeze a frame into a
	 * short out buffer (lower bitrate); the ABI wants -ENOBUFS instead. The
	 * frame is consumed either way (the encoder's state has moved on). */
	opus_int32 n = opus_encode(st->enc, pcm, (int)samples, pkt, room);
	if (n < 0)
		return -EINVAL;         /* OPUS_BAD_ARG: not an Opus frame length */
	if ((size_t)n > out_size)
		return -ENOBUFS;
	memcpy(out, pkt, (size_t)n);
	return (int)n;
}

static int mopus_decode(struct tandem_codec_state *st, const uint8_t *payload, size_t len,
			int16_t *pcm, size_t max_samples)
{
	if (!st->dec)
		return -EINVAL;
	/* len 0 would mean "conceal" to libopus: that is plc()'s job. */
	if (len == 0 || len > INT_MAX)
		return -EBADMSG;
	int n = opus_decoder_get_nb_samples(st->dec, payload, (opus_int32)len);
	if (n < 0)
		return -EBADMSG;
	if ((size_t)n > max_samples)
		return -ENOBUFS;
	n = opus_decode(st->dec, payload, (opus_int32)len, pcm, n, 0);
	return n < 0 ? -EBADMSG : n;
}

/* Whole multiples of 2.5 ms only: libopus conceals in those steps, and the
 * decoder must be told exactly how much was lost to stay in step. */
static bool conceal_len_ok(const struct tandem_codec_state *st, size_t samples)
{
	size_t step = st->rate / 400;
	return samples > 0 && samples % step == 0 && samples <= INT_MAX;
}

static int mopus_plc(struct tandem_codec_state *st, int16_t *pcm, size_t samples)
{
	if (!st->dec || !conceal_len_ok(st, samples))
		return -EINVAL;
	/* In 20 ms steps: libopus' concealment works frame by frame anyway. */
	for (size_t done = 0, chunk = st->rate / 50; done < samples; done += chunk) {
		if (chunk > samples - done)
			chunk = samples - done;
		int n = opus_decode(st->dec, NULL, 0, pcm + done, (int)chunk, 0);
		if (n != (int)chunk)
			return -EINVAL;
	}
	return (int)samples;
}

static int mopus_decode_fec(struct tandem_codec_state *st, const uint8_t *next,
			    size_t next_len, int16_t *pcm, size_t samples)
{
	if (!st->dec || !conceal_len_ok(st, samples))
		return -EINVAL;
	if (next_len == 0 || next_len > INT_MAX ||
	    opus_decoder_get_nb_samples(st->dec, next, (opus_int32)next_len) < 0)
		return -EBADMSG;
	/* libopus conceals the part of the gap before the FEC frame itself, and
	 * recovers the last frame from 'next' when its LBRR data is there. */
	int n = opus_decode(st->dec, next, (opus_int32)next_len, pcm, (int)samples, 1);
	if (n == OPUS_INVALID_PACKET)
		return -EBADMSG;
	return n == (int)samples ? n : -EINVAL;
}

static const struct tandem_codec_engine opus_engine = {
	.struct_size = sizeof(struct tandem_codec_engine),
	.create = mopus_create,
	.encode = mopus_encode,
	.decode = mopus_decode,
	.plc = mopus_plc,
	.destroy = mopus_destroy,
	.decode_fec = mopus_decode_fec,
};

/* Opus parameters are declarative (each side states what it wants to
 * receive), so any two fmtps can talk: fmtp_compatible is NULL. */
static const struct tandem_codec_negotiation opus_negotiation = {
	.struct_size = sizeof(struct tandem_codec_negotiation),
	.default_fmtp = "minptime=10;useinbandfec=1",
	.fmtp_answer = mopus_fmtp_answer,
};

static const struct tandem_codec opus_codec = {
	.struct_size = sizeof(struct tandem_codec),
	.name = "opus",
	.clock_rate = OPUS_CLOCK,
	.channels = 2,
	.payload_type = TANDEM_CODEC_PT_DYNAMIC,
	.sample_rate = OPUS_CLOCK,
	.frame_ms = OPUS_FRAME_MS,
	.negotiation = &opus_negotiation,
	.engine = &opus_engine,
	.pcm_channels = 1,
};

static const struct tandem_codec *const opus_codecs[] = { &opus_codec, NULL };

static int mopus_init(const struct tandem_host *host)
{
	const char *cx = getenv("TANDEM_OPUS_COMPLEXITY");
	bool log = host && host->log;

	g_complexity = -1;
	if (cx && *cx) {
		char *end;
		long v = strtol(cx, &end, 10);
		if (*end || v < 0 || v > 10) {
			if (log)
				host->log(TANDEM_LOG_WARN, "opus: ignoring TANDEM_OPUS_COMPLEXITY=%s "
					  "(want 0..10), using %d at 8/12 kHz and %d above", cx,
					  OPUS_DEFAULT_CX_NB, OPUS_DEFAULT_CX);
		} else {
			g_complexity = (int)v;
		}
	}
	if (log && g_complexity >= 0)
		host->log(TANDEM_LOG_DEBUG, "opus: %s, encoder complexity %d",
			  opus_get_version_string(), g_complexity);
	else if (log)
		host->log(TANDEM_LOG_DEBUG, "opus: %s, encoder complexity %d at 8/12 kHz, %d above",
			  opus_get_version_string(), OPUS_DEFAULT_CX_NB, OPUS_DEFAULT_CX);
	return 0;
}

TANDEM_MODULE_DEFINE(
	.name = "opus",
	.version = "1.0.0",
	.description = "Opus (RFC 7587) via libopus, mono at 8/12/16/24/48 kHz, FEC and PLC",
	.init = mopus_init,
	.codecs = opus_codecs,
);
