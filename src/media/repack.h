/* repack.h - ptime conversion without transcoding: one RTP stream's audio
 * cut into packets of another duration.
 *
 * Only codecs whose payload is a plain run of fixed-size units can be cut and
 * joined at will (repack_unit_of): G.711 (one byte a sample), G.722 (one byte
 * per 8 kHz clock tick at 64 kbit/s), G.729 (10-byte frames of 80 ticks).
 * Opus packs its frames with a table of contents (RFC 6716 section 3), so a
 * relayed Opus stream keeps its packets; a transcoder's Opus frames are
 * joined by opus_pack.h instead.
 *
 * The repacketiser works on arrival, without a timer, so it adds no delay
 * beyond what the target duration needs: audio is appended to a pending run
 * and every whole packet of the target duration goes out at once. 20 -> 30 ms
 * sends a packet after the 2nd, 3rd, 5th, 6th... input packet (intervals of
 * 20 and 40 ms, 30 on average), 30 -> 20 sends one or two per input packet.
 * The timestamp of a packet out is the timestamp of its first sample in, so
 * timestamps never drift: a lost packet (a timestamp that does not continue
 * the pending run) sends what is pending as a shorter packet and starts a new
 * run at the new timestamp; the gap stays a gap. A marker bit (talkspurt
 * start) does the same and goes out on the first packet of the new run. A
 * packet older than the pending run (late or duplicate) is dropped; one more
 * than 1 s older is taken as a restarted stream. A payload that is not a
 * whole number of units (G.729 Annex B SID frames, corrupt data) is not
 * repacketised: the caller flushes and sends it as it is.
 *
 * Sequence numbers and SSRC are the caller's (repack_relay.c): packets out
 * are numbered afresh, so their count may differ from the packets in.
 *
 * Memory: a fixed struct, no allocation after repack_init(); one per
 * repacketised direction, owned by the worker thread that runs it.
 */
#ifndef TANDEM_MEDIA_REPACK_H
#define TANDEM_MEDIA_REPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPACK_MAX_OUT 1200         /* largest payload made (150 ms of G.711) */
#define REPACK_MAX_IN 1500          /* larger payloads are not repacketised */
#define REPACK_MIN_MS 10
#define REPACK_DEFAULT_MS 20        /* a leg that states no ptime (RFC 3551) */

/* The cutting grain of a codec. */
struct repack_unit {
	uint16_t bytes;             /* bytes per unit */
	uint16_t ticks;             /* RTP clock ticks per unit */
};

/* The unit of codec 'name' at RTP clock 'clock'; -ENOTSUP if it cannot be
 * repacketised. */
int repack_unit_of(const char *name, uint32_t clock, struct repack_unit *u);

/* The packet duration a leg asks for: its a=ptime (0: absent, the default
 * of 20 ms), no longer than its a=maxptime (0: absent). */
unsigned repack_leg_ptime(unsigned ptime, unsigned maxptime);

struct repack_stats {
	uint64_t in, out, partial, late, opaque;
};

struct repack {
	struct repack_unit u;
	uint32_t out_bytes;         /* payload per packet out (whole units) */
	uint32_t clock;
	bool have_next;             /* next_ts is known */
	uint32_t next_ts;           /* timestamp that continues the pending run */
	/* A short packet made by a flush, waiting to be taken. */
	uint32_t fl_len, fl_ts;
	bool fl_marker;
	/* The pending run: blen bytes starting at timestamp bts. */
	uint32_t blen, bts;
	bool bmarker;
	uint32_t taken;             /* bytes of the run already taken */
	struct repack_stats st;
	uint8_t fl[REPACK_MAX_OUT];
	uint8_t buf[REPACK_MAX_OUT + REPACK_MAX_IN];
};

/* Packets of 'out_ms' ms at RTP clock 'clock' (rounded down to whole units,
 * at least one; at most REPACK_MAX_OUT bytes). -EINVAL for a bad unit or
 * clock. */
int repack_init(struct repack *r, const struct repack_unit *u, uint32_t clock, unsigned out_ms);
/* Forget the pending run (a new source); counters are kept. */
void repack_reset(struct repack *r);

/* One packet in. Returns 0 (take the packets made with repack_pop), -EAGAIN
 * when it was dropped (late or duplicate, counted), or -EINVAL when its
 * payload cannot be cut (the pending run was flushed: pop, then send the
 * packet as it is). */
int repack_put(struct repack *r, uint32_t ts, bool marker, const uint8_t *payload, size_t len);
/* Send what is pending as a shorter packet now (comfort noise or an event
 * follows, the stream pauses). */
void repack_flush(struct repack *r);

struct repack_pkt {
	const uint8_t *data;        /* valid until the next repack_put/flush/reset */
	size_t len;
	uint32_t ts;
	bool marker;
};

/* The next packet made, oldest first; false when there is none. */
bool repack_pop(struct repack *r, struct repack_pkt *p);

#endif
