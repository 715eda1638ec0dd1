/* media_quality.c - see media_quality.h. */
#include "config.h"

#include "media/media_priv.h"
#include "media/media_quality.h"

static const double bounds[MQ_NKINDS][MQ_NBOUNDS] = {
	[MQ_JITTER] = { 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5 },
	[MQ_LOSS] = { 0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5 },
	[MQ_RTT] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2 },
	[MQ_MOS] = { 1.5, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.3, 4.5 },
};

const double *mq_bounds(enum mq_hist_kind k)
{
	return bounds[k];
}

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void observe(struct media_quality *q, enum mq_hist_kind k, int dir, double v)
{
	struct mq_hist *h = &q->hist[k][dir];
	unsigned i = 0;
	if (v < 0)
		v = 0;
	while (i < MQ_NBOUNDS && v > bounds[k][i])
		i++;
	add(&h->bucket[i], 1);
	add(&h->sum_micro, (uint64_t)(v * 1e6 + 0.5));
}

void mq_observe(struct media_quality *q, const struct media_leg_stats st[2])
{
	for (int i = 0; i < 2; i++) {
		const struct media_leg_stats *l = &st[i];
		if (!l->rtp_expected)
			continue;
		add(&q->legs, 1);
		add(&q->expected_in, l->rtp_expected);
		add(&q->lost_in, l->rtp_lost);
		add(&q->rtcp_sent, l->rtcp_sent);
		add(&q->rtcp_received, l->rtcp_received);
		observe(q, MQ_JITTER, MQ_IN, l->jitter_ms / 1000);
		observe(q, MQ_LOSS, MQ_IN, (double)l->rtp_lost / (double)l->rtp_expected);
		observe(q, MQ_MOS, MQ_IN, l->mos);
		if (l->rtt_ms >= 0)
			observe(q, MQ_RTT, MQ_IN, l->rtt_ms / 1000);
		if (l->have_remote) {
			add(&q->lost_out, l->remote_lost > 0 ? (uint64_t)l->remote_lost : 0);
			observe(q, MQ_JITTER, MQ_OUT, l->remote_jitter_ms / 1000);
		}
	}
}

const struct media_quality *media_core_quality(media_core_t *mc)
{
	return &mc->quality;
}
