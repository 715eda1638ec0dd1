/* opus_pack.h - Opus frames joined into longer RTP packets (RFC 6716
 * section 3.2.5, "code 3": a TOC byte, a frame count byte, the lengths of
 * all frames but the last, then the frames), so that a transcoded direction
 * whose encoder makes 20 ms packets can send the 40, 60 ... 120 ms packets
 * the receiving leg's a=ptime asks for. Pure byte work: no libopus (codecs
 * live in modules); the packets come from our own encoder.
 *
 * Only single-frame packets ("code 0") with the same configuration and
 * stereo flag are joined; a packet of another configuration (the encoder
 * switched bandwidth or mode), a timestamp that does not continue (DTX, a
 * period without output) or a marker sends what is pending first, as it is
 * when it is one frame, joined when it is more. Timestamps are in the Opus
 * RTP clock (48000 always); a packet's timestamp is its first frame's.
 *
 * Memory: a fixed struct, no allocation; one per direction, worker thread.
 */
#ifndef TANDEM_MEDIA_OPUS_PACK_H
#define TANDEM_MEDIA_OPUS_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPACK_MAX_FRAMES 6          /* 120 ms of 20 ms frames */
#define OPACK_MAX_OUT 1500

/* Duration of one frame of TOC byte 'toc', in 48 kHz ticks. */
uint32_t opack_frame_ticks(uint8_t toc);

struct opack_pkt {
	const uint8_t *data;        /* valid until the next opack_put/flush */
	size_t len;
	uint32_t ts;
	bool marker;
};

struct opack_out {
	size_t len;
	uint32_t ts;
	bool marker;
	uint8_t data[OPACK_MAX_OUT];
};

struct opack {
	uint32_t target;            /* ticks per packet out */
	unsigned n;                 /* frames pending */
	uint8_t toc;                /* their TOC (code 0) */
	uint32_t ts, next_ts;       /* first frame's timestamp, the one after the last */
	bool marker;
	uint16_t off[OPACK_MAX_FRAMES], len[OPACK_MAX_FRAMES];
	size_t used;
	uint8_t frames[OPACK_MAX_OUT];
	/* Packets made, at most two at a time (a flushed one, then a full one). */
	unsigned nout, taken;
	struct opack_out out[2];
};

/* Packets of 'ms' ms (a multiple of 20, 40..120); -EINVAL otherwise. */
int opack_init(struct opack *p, unsigned ms);
/* One encoded packet in. 0, or -EINVAL when it cannot be joined (not a
 * single frame, too long): what was pending is made into a packet (pop it),
 * then send this one as it is. */
int opack_put(struct opack *p, uint32_t ts, bool marker, const uint8_t *pkt, size_t len);
/* The next packet made; false when none. */
bool opack_pop(struct opack *p, struct opack_pkt *out);

#endif
