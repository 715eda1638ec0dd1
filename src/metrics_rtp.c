/* metrics_rtp.c - see metrics_rtp.h. Families (Prometheus naming: base
 * units, _total on counters, direction as a label):
 *   tandem_rtp_packets_expected_total{direction="in"}
 *   tandem_rtp_packets_lost_total{direction="in"|"out"}
 *   tandem_rtp_jitter_seconds{direction="in"|"out"}        histogram
 *   tandem_rtp_loss_ratio{direction="in"}                   histogram
 *   tandem_rtp_rtt_seconds                                   histogram
 *   tandem_rtp_mos                                           histogram
 *   tandem_rtcp_reports_total{direction="sent"|"received"}
 * All over call legs that have ended ("in": what the gateway received from
 * a leg's peer; "out": what the peer reports of what the gateway sent it). */
#include "config.h"
#include "metrics_rtp.h"

#include <stdio.h>

#include "media/media_quality.h"

static uint64_t get(const atomic_uint_fast64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void hist(struct tmetrics_out *o, const char *name, const char *labels,
		 const struct mq_hist *h, const double *bounds)
{
	char n[128], l[128];
	uint64_t cum = 0;

	snprintf(n, sizeof n, "%s_bucket", name);
	for (unsigned i = 0; i <= MQ_NBOUNDS; i++) {
		char le[32];
		cum += get(&h->bucket[i]);
		if (i < MQ_NBOUNDS)
			snprintf(le, sizeof le, "%g", bounds[i]);
		else
			snprintf(le, sizeof le, "+Inf");
		snprintf(l, sizeof l, "%s", labels ? labels : "");
		if (tmetrics_label(l, sizeof l, "le", le) == 0)
			tmetrics_u64(o, n, l, cum);
	}
	snprintf(n, sizeof n, "%s_sum", name);
	tmetrics_f64(o, n, labels, (double)get(&h->sum_micro) / 1e6);
	snprintf(n, sizeof n, "%s_count", name);
	tmetrics_u64(o, n, labels, cum);
}

void tandemd_metrics_rtp(struct tmetrics_out *o, media_core_t *mc)
{
	const struct media_quality *q = media_core_quality(mc);
	const char *in = "direction=\"in\"", *out = "direction=\"out\"";

	tmetrics_family(o, "tandem_rtp_packets_expected_total", "counter",
			"RTP packets expected from peers (RFC 3550 sequence numbers) on ended legs.");
	tmetrics_u64(o, "tandem_rtp_packets_expected_total", in, get(&q->expected_in));
	tmetrics_family(o, "tandem_rtp_packets_lost_total", "counter",
			"RTP packets lost on ended legs: direction=\"in\" measured by tandemd on what "
			"peers sent, \"out\" as peers reported in RTCP on what tandemd sent.");
	tmetrics_u64(o, "tandem_rtp_packets_lost_total", in, get(&q->lost_in));
	tmetrics_u64(o, "tandem_rtp_packets_lost_total", out, get(&q->lost_out));
	tmetrics_family(o, "tandem_rtp_jitter_seconds", "histogram",
			"Interarrival jitter (RFC 3550) at the end of each leg, by direction.");
	hist(o, "tandem_rtp_jitter_seconds", in, &q->hist[MQ_JITTER][MQ_IN], mq_bounds(MQ_JITTER));
	hist(o, "tandem_rtp_jitter_seconds", out, &q->hist[MQ_JITTER][MQ_OUT], mq_bounds(MQ_JITTER));
	tmetrics_family(o, "tandem_rtp_loss_ratio", "histogram",
			"Fraction of RTP packets lost over each ended leg (what tandemd received).");
	hist(o, "tandem_rtp_loss_ratio", in, &q->hist[MQ_LOSS][MQ_IN], mq_bounds(MQ_LOSS));
	tmetrics_family(o, "tandem_rtp_rtt_seconds", "histogram",
			"Round trip to the peer from RTCP (legs where tandemd terminates RTCP).");
	hist(o, "tandem_rtp_rtt_seconds", NULL, &q->hist[MQ_RTT][MQ_IN], mq_bounds(MQ_RTT));
	tmetrics_family(o, "tandem_rtp_mos", "histogram",
			"E-model (ITU-T G.107, simplified) MOS estimate of the audio received on each ended leg.");
	hist(o, "tandem_rtp_mos", NULL, &q->hist[MQ_MOS][MQ_IN], mq_bounds(MQ_MOS));
	tmetrics_family(o, "tandem_rtcp_reports_total", "counter",
			"RTCP compound packets tandemd sent on legs it terminates, and read from peers.");
	tmetrics_u64(o, "tandem_rtcp_reports_total", "direction=\"sent\"", get(&q->rtcp_sent));
	tmetrics_u64(o, "tandem_rtcp_reports_total", "direction=\"received\"", get(&q->rtcp_received));
}
