/* rtpstats.h - reception statistics of one RTP stream (RFC 3550 A.1, A.3,
 * A.8) and the call quality estimate made from them (ITU-T G.107 E-model,
 * simplified).
 *
 * The receive side is on the packet path: rtpstats_rx_put() costs a few
 * integer operations and never fails, allocates or logs. The report-block and
 * quality functions run at report or read time. Pure: no I/O, no clock (the
 * caller passes arrival times), no global state. One writer (the worker that
 * owns the leg); readers on other threads get copies the worker publishes.
 */
#ifndef TANDEM_MEDIA_RTPSTATS_H
#define TANDEM_MEDIA_RTPSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "media/rtcp.h"

#define RTPSTATS_MAX_DROPOUT 3000   /* a forward jump larger than this is a restart */
#define RTPSTATS_MAX_MISORDER 100   /* a backward jump up to this is a late packet */

struct rtpstats_rx {
	bool started;
	bool have_transit;
	uint8_t jpt;                /* payload type the transit time refers to */
	uint16_t max_seq;
	uint32_t ssrc;
	uint32_t cycles;            /* wraps of the sequence number, << 16 */
	uint32_t base_seq;
	uint32_t bad_seq;           /* a restart candidate (RFC 3550 A.1) */
	uint32_t received;          /* of the current source */
	uint32_t expected_prior, received_prior;  /* at the last report block */
	uint32_t transit;
	uint32_t jitter16;          /* interarrival jitter x 16, RTP clock units */
	/* Earlier sources of this leg (SSRC changes, restarts). */
	uint64_t done_expected, done_received;
};

/* One RTP packet of the stream: its SSRC, sequence number and timestamp,
 * its payload type, and its arrival time in the RTP clock of that payload
 * type ('arrival'). 'timed' false: count it but leave the jitter alone (an
 * RFC 4733 event, whose timestamp is that of the event's start). */
void rtpstats_rx_put(struct rtpstats_rx *st, uint32_t ssrc, uint16_t seq, uint32_t ts,
		     uint8_t pt, uint32_t arrival, bool timed);

/* Expected and lost packets over the whole leg (every source so far). Lost
 * is expected - received and may be negative with duplicates; it is clamped
 * to 0 here. */
void rtpstats_rx_totals(const struct rtpstats_rx *st, uint64_t *expected, uint64_t *lost);

/* Extended highest sequence number of the current source. */
uint32_t rtpstats_ext_max(const struct rtpstats_rx *st);

/* Interarrival jitter in RTP clock units (RFC 3550 A.8). */
static inline uint32_t rtpstats_jitter(const struct rtpstats_rx *st)
{
	return st->jitter16 >> 4;
}

/* Fill a report block for the current source (ssrc, fraction lost since the
 * previous block, cumulative lost, extended highest sequence number,
 * jitter); lsr/dlsr are the caller's. Moves the 'prior' counts on. false when
 * nothing has been received yet. */
bool rtpstats_rx_block(struct rtpstats_rx *st, struct rtcp_rb *rb);

/* --- quality estimate ------------------------------------------------------ */

/* E-model inputs of a codec (ITU-T G.113 Appendix I values, on the
 * narrowband scale): equipment impairment Ie and packet-loss robustness Bpl. */
struct rtpstats_codec_q {
	double ie, bpl;
};
/* By codec name ("PCMU", "opus", "G729", ... case-insensitive); unknown
 * codecs get G.711 without concealment (Ie 0, Bpl 4.3). */
struct rtpstats_codec_q rtpstats_codec_quality(const char *codec);

/* R-factor from loss (percent, random), one-way delay (ms) and the codec:
 * R = 93.2 - Id - Ie,eff with Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl + Bpl) and
 * Id = 0.024 d + 0.11 (d - 177.3) for d > 177.3 ms. */
double rtpstats_r_factor(double loss_pct, double delay_ms, const struct rtpstats_codec_q *q);
/* MOS (1.0 .. 4.5) from R (G.107 Annex B), never under 1. */
double rtpstats_mos(double r);
/* The one-way delay used for a leg: half the round trip (when known, else
 * 'rtt_ms' < 0 counts as 0) plus a jitter buffer of 20 ms + 2 x jitter. */
double rtpstats_delay_ms(double rtt_ms, double jitter_ms);

#endif
