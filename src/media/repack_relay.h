/* repack_relay.h - the worker side of ptime conversion (repack.h): a
 * repacketised direction of a session, from leg i toward leg !i.
 *
 * Pass-through: the packets of the codec in use are cut to the ptime of the
 * receiving leg; everything else of the stream (telephone-events, comfort
 * noise, payloads that cannot be cut) goes out as it came, numbered in the
 * same outgoing sequence (a CN packet first sends what is pending). The
 * outgoing stream keeps the source's SSRC and timestamps while the source
 * keeps its SSRC (a new stream starts transparent); sequence numbers are
 * its own, +1 a packet out. A new source continues the stream as
 * rtp_outmap does (same SSRC, seq +1, timestamp by the time elapsed, marker).
 * Transcoded: the encoder's 20 ms payloads are cut the same way
 * (transcode_relay.c), under the transcoder's own numbering; Opus ones are
 * joined into packets of the leg's ptime (40..120 ms, opus_pack.h).
 * RTCP of a repacketised call is not relayed (relay.c consumes it, as on
 * transcoded calls): packet counts and sequence numbers differ per leg, so
 * one leg's reports would mislead the other.
 *
 * Ownership: made on the owner thread (rpk_new, after the plan), handed to
 * the worker in struct rsess_conf (rp[i]), freed there by rpk_free when a
 * new configuration replaces it or the session ends.
 */
#ifndef TANDEM_MEDIA_REPACK_RELAY_H
#define TANDEM_MEDIA_REPACK_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "media/opus_pack.h"
#include "media/repack.h"
#include "media/rtp.h"

struct rpk {
	bool opus;                  /* Opus frames joined (transcoded only), else cut */
	union {
		struct repack rp;
		struct opack op;
	};
	uint8_t pt;                 /* outgoing PT of the cut codec */
	unsigned out_ms;
	bool started;               /* a packet of the current source went out */
	uint32_t src_ssrc;
	uint32_t ts_off;            /* outgoing = incoming timestamp + ts_off */
	uint8_t out[RTP_HDR_MIN + OPACK_MAX_OUT];   /* >= REPACK_MAX_OUT */
};

struct msdp_stream;
struct rleg;
struct rsess_conf;
struct xleg;

/* Owner thread: a repacketiser for codec 'name'/'clock' sent as 'pt' in
 * packets of 'out_ms'; 'xcode': it packs a transcoder's output (then Opus
 * too). -ENOTSUP (the codec cannot be cut), -EINVAL, -ENOMEM. */
int rpk_new(const char *name, uint32_t clock, uint8_t pt, unsigned out_ms, bool xcode,
	    struct rpk **out);
void rpk_free(struct rpk *k);
/* Worker: a new configuration brings 'next' (may be NULL) where 'cur' runs:
 * returns the one to use. The running one is kept (its pending audio and
 * stream state with it) when 'next' cuts the same way; the other is freed. */
struct rpk *rpk_replace(struct rpk *cur, struct rpk *next);

/* Owner thread, after the media plan is in c->map: the repacketiser of each
 * direction into c->rp[] (NULL where none is needed). A pass-through
 * direction gets one when the two legs ask for different ptimes
 * (c->leg[].ptime/maxptime, repack_leg_ptime) and the codec can be cut; a
 * transcoded one when the receiving leg asks for another ptime than the
 * transcoder's 20 ms and its codec can be cut, or is Opus and the ptime a
 * multiple of 20 ms up to 120.
 * 'label' names the session in the log line. */
void rpk_plan(const struct xleg *a, const struct xleg *b, struct rsess_conf *c, const char *label);

/* Owner thread: the a=ptime of the answer relayed to the offerer F ('ans':
 * T's answer, already in F's codecs; 'off': F's offer). When the gateway
 * takes any packet size from F - transcoded (the jitter buffer) or a codec
 * it can cut - F is asked for the ptime it asked for itself, stated
 * explicitly, and T's a=maxptime is not passed on: each leg gets its own
 * ptime. Otherwise (Opus, codecs that cannot be cut) T's a=ptime and
 * a=maxptime pass as they are. */
void rpk_answer_ptime(const struct msdp_stream *off, struct msdp_stream *ans, bool xcode);

/* Worker: an accepted RTP packet from 'in' (payload type already mapped by
 * the plan) toward 'dst', on a direction with in->rp. */
void rpk_relay(struct rleg *in, struct rleg *dst, uint8_t *buf, const struct rtp_hdr *h,
	       uint64_t now_ms);

#endif
