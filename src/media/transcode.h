/* transcode.h - the transcoder of one session: both directions of audio
 * between two legs whose negotiated codecs differ.
 *
 * Per direction (from leg i to leg !i):
 *     jitter buffer (jitter.h) -> decode, with PLC / FEC on loss
 *       -> mono at one PCM rate -> [resample] -> 20 ms frames -> encode
 * A packet lost (later ones buffered) is concealed by the decoder's PLC, or
 * rebuilt from the next packet's FEC (Opus). An underrun (nothing buffered:
 * a late packet, or the talkspurt ended) sends nothing that period, so the
 * late packet still plays next period and a stream that stops is not padded
 * with made-up audio; the receiver's own concealment covers the gap.
 * The PCM rate is chosen once, at creation, so that nothing is resampled
 * when it need not be: both engines at one rate when either module accepts
 * the other's native rate (Opus runs at 8 kHz against G.711, at 16 kHz
 * against G.722); only G.722 against an 8 kHz codec resamples
 * (transcode_rs.h).
 *
 * DTMF interworking (dtmf_iw.h): a direction whose cfg says dtmf_tones
 * replaces its audio with the tones of the events xcode_dtmf_in() gives it
 * (and sends while a tone plays even when no audio arrives); one that says
 * dtmf_detect runs dtmf_rx on the 8 kHz PCM (decoded, or resampled when the
 * decoder is not at 8 kHz), mutes the digits' audio and reports the events
 * to send through xcode_dtmf_out().
 *
 * Comfort noise (cng.h): a source that goes quiet with RFC 3389 CN packets
 * (xcode_cn_in) or Opus DTX gets noise at its level every period instead of
 * nothing, so the other leg, which never gets CN from a transcoder, receives
 * a continuous stream; audio arriving again ends it.
 *
 * Packetisation (SSRC, sequence, timestamp) is the caller's (relay side):
 * xcode_period() returns one payload per 20 ms period, and xcode_ts_step()
 * says how far that moves the outgoing timestamp in the outgoing codec's RTP
 * clock (Opus: 960 whatever the PCM rate; G.722: 160).
 *
 * Threads and ownership: xcode_new() runs on the control path (owner thread)
 * and allocates everything, engines included; the object then belongs to one
 * worker thread, where xcode_put()/xcode_period() never allocate. xcode_free()
 * may run on any thread that owns it, before the codec modules are unloaded.
 */
#ifndef TANDEM_MEDIA_TRANSCODE_H
#define TANDEM_MEDIA_TRANSCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tandem/codec.h>

#define XCODE_PERIOD_MS 20
/* The longest packet decoded: a packet of more audio (Opus allows 120 ms;
 * 150 ms is a 1,200-byte G.711 packet, the jitter buffer's largest) is a
 * decode error, concealed. Sizes the PCM FIFO of each direction by time,
 * not by the ABI's largest decode (TANDEM_CODEC_MAX_SAMPLES, 120 ms at
 * 48 kHz: 720 ms of audio at 8 kHz, 11 kB a direction never used). Note
 * that the jitter buffer learns packet durations only up to 120 ms
 * (jb_duration): packets of 120-150 ms decode, but play with gaps. */
#define XCODE_MAX_PKT_MS 150

struct xcode;

struct xcode_dir_cfg {
	const struct tandem_codec *dec;     /* codec arriving from leg i */
	const char *dec_fmtp;               /* leg i's fmtp for it, may be NULL */
	const struct tandem_codec *enc;     /* codec sent to leg !i */
	const char *enc_fmtp;               /* leg !i's fmtp for it (its wishes) */
	/* DTMF interworking (dtmf_iw.h), when one leg lacks telephone-event: */
	bool dtmf_tones;                    /* leg i's events play as tones to leg !i */
	bool dtmf_detect;                   /* leg i's in-band digits become events to
					     * leg !i, their tones muted (adds
					     * DTMF_DET_DELAY_MS of delay) */
};

struct xcode_cfg {
	struct xcode_dir_cfg dir[2];        /* dir[i]: from leg i */
};

/* Direction counters (worker-written, read for tests and logs). */
struct xcode_stats {
	uint64_t frames_out;                /* payloads produced */
	uint64_t decoded, concealed, fec, decode_errors, encode_errors, dtx;
	uint64_t dtmf_played, dtmf_detected; /* digits made in-band / heard in-band */
	uint64_t cng;                       /* periods of comfort noise (cng.h) */
	uint64_t dtx_in;                    /* Opus DTX packets received */
	uint32_t pcm_rate;                  /* the direction's PCM rate */
	bool resampling;
};

/* Make engines and buffers for both directions. Returns 0, -ENOTSUP when a
 * codec has no engine or refuses its own native rate (why[] says which),
 * -EINVAL, -ENOMEM. */
int xcode_new(const struct xcode_cfg *cfg, struct xcode **out, char *why, size_t whylen);
void xcode_free(struct xcode *x);

/* Worker: an RTP packet of the decoded codec arrived from leg 'from'
 * (payload only: 'payload', 'len'). */
void xcode_put(struct xcode *x, int from, uint32_t ssrc, uint16_t seq, uint32_t ts,
	       const uint8_t *payload, size_t len, uint64_t now_us);
/* Worker: one 20 ms period of the direction from leg 'from'. Writes the
 * payload to send to the other leg into out[cap] and returns its length; 0
 * when nothing goes out this period (not playing yet, stopped after an
 * underrun, or an Opus DTX frame). */
int xcode_period(struct xcode *x, int from, uint8_t *out, size_t cap);
/* Outgoing RTP timestamp advance per period for the direction from 'from'. */
uint32_t xcode_ts_step(const struct xcode *x, int from);
/* Is the direction from 'from' playing (its jitter buffer started)? */
bool xcode_playing(const struct xcode *x, int from);
/* Worker: an RFC 4733 payload from leg 'from' (a direction with
 * dtmf_tones) to play in-band; 'clock' is its telephone-event clock. */
void xcode_dtmf_in(struct xcode *x, int from, const uint8_t *payload, size_t len, uint32_t ts,
		   uint32_t clock);
/* Worker: an RFC 3389 comfort noise payload from leg 'from', timestamp
 * 'ts': until audio later than it comes again (audio still buffered before
 * it plays first), periods with nothing to play carry noise at its level
 * (cng.h). Opus DTX does the same by itself. */
void xcode_cn_in(struct xcode *x, int from, const uint8_t *payload, size_t len, uint32_t ts);
/* Worker, after xcode_period(): the event to send to leg !from this period
 * (a direction with dtmf_detect). true when one is due. */
struct dtmf_det_ev;
bool xcode_dtmf_out(struct xcode *x, int from, struct dtmf_det_ev *ev);
void xcode_stats(const struct xcode *x, int from, struct xcode_stats *out);

#endif
