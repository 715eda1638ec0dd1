/* jitter.h - the adaptive jitter buffer in front of a transcoder's decoder.
 *
 * One buffer per transcoded direction, owned by that direction (transcode.h)
 * and used only on the session's worker thread. Memory is fixed: the struct
 * holds JB_SLOTS packet slots and a JB_ARENA-byte ring for their payloads,
 * allocated with the transcoder at negotiation time; putting and taking
 * packets never allocates.
 *
 * Packets are kept by sequence number (slot = seq mod JB_SLOTS), so reordering
 * within the buffer's depth is undone for free. Payloads are written one
 * after the other into the ring (a payload that does not fit before its end
 * starts again at the beginning); since packets are played in about the
 * order they arrive, the bytes being overwritten are normally played ones. A
 * packet whose bytes are needed while still buffered is dropped (counted as
 * overflow): 4 kB hold the whole 320 ms of slots up to 100 kbit/s, and a
 * transcoded stream rarely carries a fifth of that. (Fixed 1,200-byte slots
 * cost 19 kB per direction, most of a transcoded call's memory after the
 * codecs.)
 *
 * The player takes packets once per playout period (20 ms) through jb_pop():
 *   - it starts playing when the buffered audio (newest timestamp + one packet
 *     - play position) reaches the target depth;
 *   - the target is 20..60 ms: one period plus three times the RFC 3550
 *     interarrival jitter, so a steady loopback stream plays at once and a
 *     jittery one waits for what it needs;
 *   - a packet missing while later ones are buffered is lost (JB_LOST: the
 *     caller conceals, with FEC from the next packet when the codec has it);
 *   - nothing buffered while playing is an underrun (JB_EMPTY): the play
 *     position does not move, so a late packet is still played and the
 *     buffer has grown by a period; after JB_MAX_UNDERRUN periods the caller
 *     stops (jb_stop) and the buffer waits for the target depth again (end of
 *     a talkspurt, DTX, hold);
 *   - a timestamp jump between consecutive packets (silence suppression) is
 *     played as a gap (JB_GAP) of that length, up to 1 s; longer jumps resync;
 *   - latency: over each second of playing, if the buffer never held less
 *     than target + one period, the oldest packet is dropped (clock drift,
 *     a burst after a network stall).
 * A new SSRC, or a sequence jump of more than 100 packets either way, flushes
 * the buffer and starts over.
 *
 * A struct jbuf holds pointers into itself: initialise it in place and never
 * copy it.
 *
 * All time is in RTP clock ticks of the incoming stream ('clock'), except
 * arrival times (microseconds of a monotonic clock).
 */
#ifndef TANDEM_MEDIA_JITTER_H
#define TANDEM_MEDIA_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_SLOTS 16                 /* packets (320 ms at 20 ms); power of two */
#define JB_MAX_PAYLOAD 1200         /* bigger payloads are dropped (counted) */
#define JB_ARENA 4096               /* payload bytes buffered, >= 3 x JB_MAX_PAYLOAD */
#define JB_MIN_TARGET_MS 20
#define JB_MAX_TARGET_MS 60
#define JB_MAX_UNDERRUN 3           /* periods concealed before the player stops */
#define JB_LATENCY_WINDOW 50        /* periods (1 s) per latency check */

enum jb_res {
	JB_EMPTY = 0,               /* nothing to play (not started, or underrun) */
	JB_PACKET,                  /* *pkt is the next packet */
	JB_LOST,                    /* the next packet is missing: conceal *ticks */
	JB_GAP,                     /* silence in the stream: conceal *ticks, then jb_skip() */
};

struct jb_pkt {
	bool used;
	uint16_t seq;
	uint32_t ts;
	uint16_t len;
	uint16_t off;               /* payload: arena[off, off + len) */
	const uint8_t *data;        /* = arena + off */
};

struct jb_stats {
	uint64_t in, played, lost, late, dup, toobig, overflow, resync, dropped, underruns;
};

struct jbuf {
	uint32_t clock;             /* ticks per second */
	uint32_t period;            /* playout period, ticks */
	uint32_t min_target, max_target;
	bool have_ssrc;
	uint32_t ssrc;
	bool primed;                /* next_seq / next_ts are set */
	bool fresh;                 /* primed, nothing taken yet: may move back */
	bool playing;
	uint16_t next_seq;          /* the next packet to play */
	uint32_t next_ts;           /* its timestamp (play position) */
	bool have_newest;
	uint16_t newest_seq;
	uint32_t newest_ts;
	uint32_t pkt_ticks;         /* packet duration, as the decoder last found it */
	unsigned count;             /* packets buffered */
	/* RFC 3550 6.4.1 interarrival jitter, in ticks scaled by 16. */
	bool have_prev;
	uint64_t prev_arrival;      /* ticks */
	uint32_t prev_ts;
	uint32_t jitter16;
	/* Latency control. */
	uint32_t depth_min;
	unsigned depth_n;
	struct jb_stats st;
	struct jb_pkt slot[JB_SLOTS];
	unsigned head;              /* arena write position */
	uint8_t arena[JB_ARENA];
};

/* Set up for a stream with RTP clock 'clock' played every 'period_ms'. */
void jb_init(struct jbuf *jb, uint32_t clock, unsigned period_ms);
/* Forget every packet and the stream (statistics are kept). */
void jb_reset(struct jbuf *jb);
/* A packet arrived (payload copied). */
void jb_put(struct jbuf *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, const uint8_t *payload,
	    size_t len, uint64_t arrival_us);
/* Once per playout period, before the jb_pop() calls of that period: starts
 * the player when the target depth is buffered, runs the latency control.
 * Returns true while playing. */
bool jb_period(struct jbuf *jb);
/* The next thing to play (see enum jb_res). JB_PACKET: *pkt stays valid
 * until the next jb_put(). JB_LOST / JB_GAP: *ticks to conceal. */
enum jb_res jb_pop(struct jbuf *jb, const struct jb_pkt **pkt, uint32_t *ticks);
/* After JB_PACKET: the packet decoded into 'ticks' of audio. Packet
 * durations come from the decoder, not from timestamp differences, which
 * cannot tell a long packet from a short one followed by silence. */
void jb_duration(struct jbuf *jb, uint32_t ticks);
/* After JB_GAP: 'ticks' of the gap were concealed. */
void jb_skip(struct jbuf *jb, uint32_t ticks);
/* The packet now at the play position, if buffered (for FEC after JB_LOST). */
const struct jb_pkt *jb_peek(const struct jbuf *jb);
/* Stop playing (too many underruns); wait for the target depth again. */
void jb_stop(struct jbuf *jb);

/* Current target depth and jitter estimate, in ticks. */
uint32_t jb_target(const struct jbuf *jb);
uint32_t jb_jitter(const struct jbuf *jb);
/* Audio buffered ahead of the play position, in ticks. */
uint32_t jb_depth(const struct jbuf *jb);

#endif
