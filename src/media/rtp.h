/* rtp.h - RTP/RTCP headers: validation, field access and the SSRC/sequence/
 * timestamp mapping that keeps an outgoing stream continuous when its source
 * changes.
 *
 * Pure functions over (buf, len): no I/O, no allocation, no global state. The
 * parsers are the first code to touch bytes from the network and are fuzzed
 * (tests/fuzz/fuzz_rtp.c).
 */
#ifndef TANDEM_MEDIA_RTP_H
#define TANDEM_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_MIN 12
#define RTP_PT_CN 13                /* RFC 3389 comfort noise (static PT) */

struct rtp_hdr {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;                 /* CSRC count */
	bool ext;                   /* header extension present */
	uint8_t pad;                /* padding bytes at the end (0 if none) */
	size_t hdr_len;             /* fixed header + CSRCs + extension */
	size_t payload_len;         /* len - hdr_len - pad */
};

/* Validate an RTP packet and fill *h: version 2, length >= 12, CSRC list,
 * extension header and padding all inside the buffer, padding count >= 1 and
 * not eating into the header. Payload types 72..76 are rejected: with the
 * marker bit they are RTCP sent to an RTP port, and RTP never uses them
 * (RFC 5761 section 4).
 * Returns 0 or -EINVAL. */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);

/* Validate a compound RTCP packet: every sub-packet version 2 with a payload
 * type in 192..223 and a length inside the buffer, the lengths adding up
 * exactly to 'len' (padding only on the last one), and SR/RR report counts
 * fitting their length. Returns the number of sub-packets (> 0) or -EINVAL. */
int rtcp_validate(const uint8_t *buf, size_t len);

/* In a compound RTCP packet that passed rtcp_validate(), replace the sender
 * SSRC of SR/RR packets equal to 'snd_from' with 'snd_to', and report-block
 * SSRCs (the stream reported on) equal to 'rep_from' with 'rep_to'. Either
 * mapping is skipped when its from == to. Returns the number of fields
 * changed. */
unsigned rtcp_map_ssrc(uint8_t *buf, size_t len, uint32_t snd_from, uint32_t snd_to,
		       uint32_t rep_from, uint32_t rep_to);

static inline void rtp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void rtp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t rtp_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rtp_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Write a minimal RTP header (no CSRC, no extension, no padding) to buf[12]. */
void rtp_write_hdr(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
		   uint32_t ssrc);

/* The outgoing stream of one leg. While the source keeps its SSRC, packets
 * pass untouched. When a packet arrives with another SSRC (re-INVITE to a new
 * peer, another fork, a restarted phone), the outgoing stream keeps its SSRC,
 * its sequence number continues with +1 and its timestamp continues by the
 * wall-clock time elapsed since the last packet (at least one 20 ms frame);
 * from then on every packet is rewritten with those offsets, and the first
 * packet after the change carries the marker bit (RFC 3550: timestamp jump).
 *
 * 'own' streams (local endpoints) always rewrite: the SSRC and the initial
 * offsets are chosen by the caller, so the stream never reuses the peer's
 * SSRC. */
struct rtp_outmap {
	bool started;               /* a packet went out */
	bool rewriting;             /* offsets/SSRC applied to every packet */
	uint32_t src_ssrc;          /* current source SSRC */
	uint32_t out_ssrc;          /* SSRC the far side sees */
	uint16_t seq_off;
	uint32_t ts_off;
	uint16_t last_seq;          /* last sequence number sent (after mapping) */
	uint32_t last_ts;           /* last timestamp sent (after mapping) */
	uint64_t last_ms;           /* when, in ms of a monotonic clock */
	uint32_t changes;           /* number of source changes seen */
};

void rtp_outmap_init(struct rtp_outmap *m);
/* An 'own' stream with a fixed SSRC and initial offsets. */
void rtp_outmap_init_own(struct rtp_outmap *m, uint32_t ssrc, uint16_t seq_off, uint32_t ts_off);

/* Map one packet in place (h from rtp_parse on the same buf). 'rate' is the
 * RTP clock rate of h->pt (0: assume 8000). Returns true when this packet
 * started a new source (the caller may count it; no logging here). */
bool rtp_outmap_apply(struct rtp_outmap *m, uint8_t *buf, const struct rtp_hdr *h,
		      uint64_t now_ms, uint32_t rate);

#endif
