/* media_quality.h - call quality over the media core's life, for metrics:
 * every leg with a real peer adds its final figures (media_leg_stats) when
 * its session is destroyed.
 *
 * Counters are totals of ended legs, so they only grow. Histograms follow
 * Prometheus' cumulative-bucket model with fixed bounds per quantity.
 * "in" is the RTP the gateway receives from a leg's peer (as it measures it),
 * "out" what the gateway sends to the peer (as the peer reports it in RTCP).
 *
 * Threads: observed on owner threads (the SIP thread), read on any (the
 * metrics collector); relaxed atomics, a reader may see a sum one
 * observation away from the buckets. Lives inside the core (zeroed with it).
 */
#ifndef TANDEM_MEDIA_MEDIA_QUALITY_H
#define TANDEM_MEDIA_MEDIA_QUALITY_H

#include <stdatomic.h>
#include <stdint.h>

#include "media/media.h"

#define MQ_NBOUNDS 10

enum mq_hist_kind { MQ_JITTER, MQ_LOSS, MQ_RTT, MQ_MOS, MQ_NKINDS };
enum mq_dir { MQ_IN = 0, MQ_OUT = 1 };

struct mq_hist {
	atomic_uint_fast64_t bucket[MQ_NBOUNDS + 1];   /* last: above every bound */
	atomic_uint_fast64_t sum_micro;                 /* sum x 1e6 */
};

struct media_quality {
	struct mq_hist hist[MQ_NKINDS][2];             /* [kind][dir]; RTT and MOS: [MQ_IN] */
	atomic_uint_fast64_t expected_in, lost_in, lost_out;
	atomic_uint_fast64_t rtcp_sent, rtcp_received;
	atomic_uint_fast64_t legs;
};

/* Bucket upper bounds of a kind (MQ_NBOUNDS each; seconds, ratio, MOS). */
const double *mq_bounds(enum mq_hist_kind k);

/* Add the final stats of a session's two legs (legs with no RTP are left
 * out). */
void mq_observe(struct media_quality *q, const struct media_leg_stats st[2]);

/* The core's figures (owned by the core; valid until media_core_free). */
const struct media_quality *media_core_quality(media_core_t *mc);

#endif
