/* rtcp_leg.h - RTCP and reception quality of one leg, on the worker side.
 *
 * Every leg with a real peer measures what it receives (rtpstats.h: loss,
 * jitter) and reads the peer's RTCP reports (what the peer says it receives
 * from us). On a transcoded call the gateway terminates RTCP per leg: the
 * peer's reports stop here (relay.c) and the gateway sends its own compound
 * packet on each leg at RFC 3550 intervals: an SR for the stream it sends
 * toward the leg (NTP and RTP time of the same instant, packet and octet
 * counts) or an RR when it has sent nothing yet, with a report block on the
 * stream it receives from the leg, and a CNAME. The LSR/DLSR of the peer's
 * reports on our SR give the round trip. On a relayed call RTCP passes
 * through (relay.c maps its SSRCs); the gateway still reads it for the
 * peer's view of loss, but no round trip (the SRs are not ours).
 *
 * Threads: everything here runs on the leg's worker, except the published
 * values (struct rtcp_pub: single-writer atomics), which the owner thread
 * reads with rtcpleg_read(). The worker publishes after every receive batch
 * and every report, so a reader is at most one batch behind.
 */
#ifndef TANDEM_MEDIA_RTCP_LEG_H
#define TANDEM_MEDIA_RTCP_LEG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"
#include "media/rtpstats.h"

#define RTCPLEG_MIN_INTERVAL_MS 5000    /* RFC 3550 Tmin */

/* Published for the owner thread. */
struct rtcp_pub {
	_Atomic uint64_t expected, lost;    /* RTP from the peer */
	_Atomic uint64_t jitter_us;         /* interarrival jitter of what we receive */
	_Atomic uint64_t rtt_us1;           /* round trip + 1; 0: unknown */
	_Atomic uint64_t rem_lost1;         /* peer's cumulative lost + 1; 0: no report */
	_Atomic uint64_t rem_fraction;      /* peer's fraction lost, 1/256 */
	_Atomic uint64_t rem_jitter_us;     /* peer's jitter on our stream */
	_Atomic uint64_t sent, received;    /* RTCP compounds sent by us / read from the peer */
};

/* The worker-side state of one leg (embedded in struct rleg). */
struct rtcp_leg {
	struct rtpstats_rx rx;              /* what the peer sends us */
	uint8_t rate_pt;                    /* payload type 'rate' is for */
	uint32_t rate;                      /* its RTP clock */
	uint32_t tx_packets, tx_octets;     /* own RTP sent toward the peer (SR) */
	uint32_t own_ssrc;                  /* RR sender before any stream went out */
	uint32_t interval_ms;               /* Tmin for this session */
	uint64_t next_ms;                   /* next report; 0: not scheduled */
	uint32_t peer_sr_mid;               /* LSR for our next report block */
	uint64_t peer_sr_us;                /* when that SR arrived */
	struct rtcp_pub pub;
};

/* Both in relay_priv.h. */
struct rleg;
struct rsess;

/* Set up (rsess_new): 'interval_ms' 0 means RTCPLEG_MIN_INTERVAL_MS. */
void rtcpleg_init(struct rtcp_leg *rc, uint32_t interval_ms, uint32_t own_ssrc);

/* Packet path: an accepted RTP packet from l's peer at 'now_us'. */
void rtcpleg_rtp_in(struct rleg *l, const struct rtp_hdr *h, uint64_t now_us);
/* After a receive batch: publish loss and jitter. */
void rtcpleg_publish(struct rleg *l);
/* An own RTP packet of 'len' bytes (12-byte header) went toward l's peer. */
static inline void rtcpleg_sent(struct rtcp_leg *rc, size_t len)
{
	rc->tx_packets++;
	rc->tx_octets += (uint32_t)(len - RTP_HDR_MIN);
}
/* A valid compound RTCP packet from l's peer; 'terminated' when the gateway
 * terminates RTCP on this call (transcoding). */
void rtcpleg_rtcp_in(struct rleg *l, const uint8_t *buf, size_t len, bool terminated);
/* Transcoded sessions, every period: send the reports that are due. */
void rtcpleg_tick(struct rsess *s);

/* Owner thread: the leg's published values. */
struct rtcp_leg_view {
	uint64_t expected, lost;
	double jitter_ms;
	double rtt_ms;                      /* -1: unknown */
	bool have_remote;
	int64_t rem_lost;
	double rem_fraction;                /* 0..1 */
	double rem_jitter_ms;
	uint64_t sent, received;
};
void rtcpleg_read(struct rtcp_leg *rc, struct rtcp_leg_view *v);
/* Owner thread, like rsess_leg_counters: the quality fields of 'out' (those
 * after 'transcoded' in media.h) for leg 'leg'; out->codec names the codec
 * for the E-model. */
struct media_leg_stats;
void rsess_leg_quality(struct rsess *rs, int leg, struct media_leg_stats *out);

#endif
