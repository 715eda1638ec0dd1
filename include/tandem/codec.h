/* tandem/codec.h - codec descriptors (public: modules include this).
 *
 * A codec is described in three parts, each its own struct with its own
 * struct_size so it can grow by appending (see tandem/module.h for the
 * versioning rules):
 *
 *   struct tandem_codec          identity: what the SDP calls it (rtpmap name,
 *                                clock rate, channels, static PT) and what the
 *                                engine eats (native PCM rate, frame length).
 *   struct tandem_codec_negotiation   fmtp only: the default offer, the answer
 *                                to an offer, and whether two fmtps can talk.
 *                                Pure string functions, no state, no engine.
 *   struct tandem_codec_engine   the transcoder: create/encode/decode/plc/
 *                                destroy on a per-direction state.
 *
 * The split lets the SDP side negotiate a codec without touching audio, and
 * lets a module describe a codec it can only pass through (engine == NULL).
 * tandemd runs without any codec module: then it only relays (pass-through)
 * and refuses to bridge calls whose legs share no codec.
 *
 * Ownership: every descriptor, string and table here is static data of the
 * module, valid while the module is loaded. A state made by create() is
 * owned by the caller, used by one thread at a time, and freed by destroy()
 * before the module is unloaded. Strings passed in (fmtp) are borrowed for the
 * duration of the call only. All functions return a count (bytes or samples)
 * or 0 on success, or a negative errno; they never abort on bad input.
 */
#ifndef TANDEM_CODEC_H
#define TANDEM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* payload_type for codecs without a static RTP payload type. */
#define TANDEM_CODEC_PT_DYNAMIC (-1)

/* Buffer sizes a caller may rely on: an encode output buffer of
 * TANDEM_CODEC_MAX_PAYLOAD bytes always holds one frame_ms frame, and a decode
 * output buffer of TANDEM_CODEC_MAX_SAMPLES samples per channel (120 ms at
 * 48 kHz) always holds one decoded packet. */
#define TANDEM_CODEC_MAX_PAYLOAD 1500
#define TANDEM_CODEC_MAX_SAMPLES 5760

/* Longest fmtp line (without "a=fmtp:PT ") a negotiation function writes. */
#define TANDEM_CODEC_MAX_FMTP 256

enum tandem_codec_dir {
	TANDEM_CODEC_ENCODE = 1 << 0,   /* PCM -> payload */
	TANDEM_CODEC_DECODE = 1 << 1,   /* payload -> PCM, and PLC */
	TANDEM_CODEC_BOTH = TANDEM_CODEC_ENCODE | TANDEM_CODEC_DECODE,
};

/* Engine state: defined by each module, opaque to the daemon. */
struct tandem_codec_state;

struct tandem_codec;

/* Negotiation: strings in, strings out. An fmtp string is the part after
 * "a=fmtp:PT " ("" or NULL = the SDP has no fmtp for this payload type). */
struct tandem_codec_negotiation {
	uint32_t struct_size;   /* sizeof(struct tandem_codec_negotiation) */
	/* fmtp to put in an offer, or NULL for none. */
	const char *default_fmtp;
	/* Write the fmtp to answer 'offer_fmtp' with into answer[answer_size]
	 * (NUL-terminated; "" = send no fmtp). Returns its strlen, -ENOBUFS if it
	 * does not fit, -ENOTSUP if no answer can accept that offer.
	 * NULL = answer with no fmtp. */
	int (*fmtp_answer)(const char *offer_fmtp, char *answer, size_t answer_size);
	/* true if a peer using fmtp 'a' and a peer using fmtp 'b' can exchange
	 * this codec without transcoding. NULL = always compatible. */
	bool (*fmtp_compatible)(const char *a, const char *b);
};

/* Engine. PCM is signed 16-bit host-endian, tandem_codec_pcm_channels()
 * channels interleaved; "samples" always counts samples per channel. */
struct tandem_codec_engine {
	uint32_t struct_size;   /* sizeof(struct tandem_codec_engine) */
	/* Make a state for the negotiated 'fmtp' (may be NULL) at PCM rate
	 * 'sample_rate', for 'dir' (a tandem_codec_dir mask). A module must
	 * accept the codec's native sample_rate and may refuse others with
	 * -ENOTSUP (the daemon then resamples). On success stores the state in
	 * *out and returns 0; the caller frees it with destroy(). Returns -ENOMEM,
	 * -EINVAL (bad fmtp or dir) or -ENOTSUP otherwise; *out is untouched. */
	int (*create)(const struct tandem_codec *codec, const char *fmtp,
		      uint32_t sample_rate, unsigned dir,
		      struct tandem_codec_state **out);
	/* Encode 'samples' samples per channel (a whole number of frames; codecs
	 * that can encode any length say so in their docs) into out[out_size].
	 * Returns bytes written, -ENOBUFS if out_size is too small, -EINVAL for a
	 * length it cannot encode or a state not made for encoding. */
	int (*encode)(struct tandem_codec_state *st, const int16_t *pcm, size_t samples,
		      uint8_t *out, size_t out_size);
	/* Decode one RTP payload (untrusted: any bytes, any length) into
	 * pcm[max_samples * channels]. Returns samples per channel written,
	 * -ENOBUFS if max_samples is too small, -EBADMSG for a malformed payload,
	 * -EINVAL for a state not made for decoding. */
	int (*decode)(struct tandem_codec_state *st, const uint8_t *payload, size_t len,
		      int16_t *pcm, size_t max_samples);
	/* Conceal a lost packet: fill exactly 'samples' samples per channel of
	 * pcm. Returns 'samples' or a negative errno. NULL = the daemon fills
	 * silence. Decode-direction states only. */
	int (*plc)(struct tandem_codec_state *st, int16_t *pcm, size_t samples);
	/* Free a state made by create(). NULL-safe. */
	void (*destroy)(struct tandem_codec_state *st);

	/* ABI 1.1 (absent when struct_size does not cover it: use
	 * TANDEM_ENGINE_HAS(e, decode_fec)). */
	/* Conceal a lost packet with the redundancy the packet after it carries
	 * (Opus in-band FEC, RFC 7587 useinbandfec). 'next' is that following
	 * payload (untrusted, borrowed for the call); fill exactly 'samples'
	 * samples per channel of pcm for the LOST interval. Nothing of 'next' is
	 * consumed: decode() it normally afterwards. Where 'next' carries no
	 * redundancy the module conceals as plc() would. Returns 'samples', or
	 * -EBADMSG if 'next' is malformed (call plc() instead), -EINVAL for a
	 * length it cannot conceal or a state not made for decoding.
	 * NULL = no FEC: call plc(). Decode-direction states only. */
	int (*decode_fec)(struct tandem_codec_state *st, const uint8_t *next, size_t next_len,
			  int16_t *pcm, size_t samples);
};

struct tandem_codec {
	uint32_t struct_size;     /* sizeof(struct tandem_codec) */
	/* Identity, as SDP sees it: a=rtpmap:PT NAME/CLOCK_RATE[/CHANNELS] */
	const char *name;         /* encoding name, e.g. "PCMU", "opus" */
	uint32_t clock_rate;      /* RTP clock rate, e.g. 8000, 48000 */
	uint32_t channels;        /* as in the rtpmap (1 when omitted) */
	int32_t payload_type;     /* static RTP PT, or TANDEM_CODEC_PT_DYNAMIC */
	/* What the engine works at. */
	uint32_t sample_rate;     /* native PCM rate (G.722: 16000, clock 8000) */
	uint32_t frame_ms;        /* frame duration = default ptime */
	/* The two halves; negotiation may be NULL (no fmtp: always compatible),
	 * engine may be NULL (negotiate and relay only, cannot transcode). */
	const struct tandem_codec_negotiation *negotiation;
	const struct tandem_codec_engine *engine;

	/* ABI 1.1 (read through tandem_codec_pcm_channels()). */
	/* Channels of the engine's PCM where they differ from the rtpmap's:
	 * Opus is always "opus/48000/2" in SDP while an engine may work in mono.
	 * 0 = same as 'channels'. */
	uint32_t pcm_channels;
};

/* True if *p, a 'type' that starts with struct_size, has field 'f': fields
 * appended in a later minor are absent from modules built before it. */
#define TANDEM_STRUCT_HAS(type, p, f) \
	((size_t)(p)->struct_size >= offsetof(type, f) + sizeof(((type *)0)->f))
/* True if engine 'e' has the optional function 'f' (e.g. decode_fec). */
#define TANDEM_ENGINE_HAS(e, f) \
	(TANDEM_STRUCT_HAS(struct tandem_codec_engine, (e), f) && (e)->f != NULL)

/* Channels of the PCM an engine of codec 'c' eats and produces. */
static inline uint32_t tandem_codec_pcm_channels(const struct tandem_codec *c)
{
	if (TANDEM_STRUCT_HAS(struct tandem_codec, c, pcm_channels) && c->pcm_channels != 0)
		return c->pcm_channels;
	return c->channels;
}

/* Bytes of each struct every ABI 1.x module must provide. */
#define TANDEM_CODEC_SIZE_1_0 \
	(offsetof(struct tandem_codec, engine) + sizeof(const struct tandem_codec_engine *))
#define TANDEM_CODEC_NEGOTIATION_SIZE_1_0                                   \
	(offsetof(struct tandem_codec_negotiation, fmtp_compatible) +         \
	 sizeof(bool (*)(const char *, const char *)))
#define TANDEM_CODEC_ENGINE_SIZE_1_0 \
	(offsetof(struct tandem_codec_engine, destroy) + sizeof(void (*)(void *)))

#endif
