/* rtcp.h - RTCP sender and receiver reports (RFC 3550 section 6.4): parsing
 * what a peer sends, building what the gateway sends on a leg it terminates,
 * and the report interval (section 6.3).
 *
 * Pure functions over (buf, len): no I/O, no allocation, no global state.
 * rtcp_parse() is fed datagrams from the network and is fuzzed
 * (tests/fuzz/fuzz_rtcp.c); it accepts only what rtcp_validate() (rtp.h)
 * accepts.
 */
#ifndef TANDEM_MEDIA_RTCP_H
#define TANDEM_MEDIA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define RTCP_MAX_RB 4               /* report blocks kept from one compound */
#define RTCP_MAX_OWN 128            /* longest compound rtcp_build() writes */

/* One report block: what the sender of the report receives from 'ssrc'. */
struct rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction;           /* lost since the previous report, 1/256 units */
	int32_t lost;               /* cumulative, 24-bit signed */
	uint32_t ext_seq;           /* extended highest sequence number received */
	uint32_t jitter;            /* interarrival jitter, RTP clock units */
	uint32_t lsr;               /* middle 32 bits of the last SR's NTP time, 0: none */
	uint32_t dlsr;              /* delay since that SR, 1/65536 s */
};

/* The reports of one compound packet (the first SR or RR; its report
 * blocks, at most RTCP_MAX_RB). */
struct rtcp_report {
	bool sr;                    /* a sender report: the sender fields are valid */
	uint32_t ssrc;              /* sender of the report */
	uint64_t ntp;               /* SR: NTP timestamp (32.32) */
	uint32_t rtp_ts;            /* SR: the same instant in the RTP clock */
	uint32_t packets, octets;   /* SR: sender's packet and payload octet counts */
	unsigned nrb;
	struct rtcp_rb rb[RTCP_MAX_RB];
};

/* Parse a compound packet. Returns 1 with *r filled when it holds an SR or
 * RR, 0 when it is valid RTCP without one (r->nrb = 0), -EINVAL when
 * rtcp_validate() refuses it. */
int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_report *r);

/* Write a compound packet: an SR (r->sr) or RR with r->nrb report blocks,
 * then an SDES with the CNAME 'cname' (1..64 bytes; RFC 3550 requires one in
 * every compound). Returns its length, or -ENOSPC / -EINVAL. */
int rtcp_build(uint8_t *buf, size_t cap, const struct rtcp_report *r, const char *cname);

/* The middle 32 bits of an NTP timestamp (LSR/DLSR arithmetic). */
static inline uint32_t rtcp_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* Round-trip time in 1/65536 s from a report block received at NTP time
 * 'now' (RFC 3550 6.4.1: A - LSR - DLSR). -1 when the block refers to no SR
 * of ours (lsr 0) or the result is not plausible (negative by more than
 * 10 ms; less is rounding on a fast link and counts as 0). */
int64_t rtcp_rtt(const struct rtcp_rb *rb, uint64_t now_ntp);

/* The time until the next report, in ms: the RFC 3550 deterministic
 * interval for a two-party session at audio rates is its minimum, 'min_ms'
 * (5000; half of it before the first report, 'initial'), randomised over
 * [0.5, 1.5] and divided by e - 3/2 (section 6.3.1). 'rnd' is any random
 * 32-bit value. */
uint32_t rtcp_interval_ms(uint32_t min_ms, bool initial, uint32_t rnd);

#endif
