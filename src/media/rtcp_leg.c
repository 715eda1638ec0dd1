/* rtcp_leg.c - per-leg RTCP on the worker: reception statistics, reading the
 * peer's reports, and the reports the gateway sends on transcoded calls
 * (see rtcp_leg.h). */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "media/relay_priv.h"
#include "media/rtcp.h"
#include "media/rtcp_leg.h"
#include "media/transcode.h"

#define NTP_UNIX_OFFSET 2208988800u     /* 1900 -> 1970 */
#define CNAME "tandemd"

static uint64_t ntp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000u;
	return ((uint64_t)(ts.tv_sec + NTP_UNIX_OFFSET) << 32) | frac;
}

static void pub_set(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

static uint64_t pub_get(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

void rtcpleg_init(struct rtcp_leg *rc, uint32_t interval_ms, uint32_t own_ssrc)
{
	memset(&rc->rx, 0, sizeof rc->rx);
	rc->rate_pt = 0xff;
	rc->rate = 8000;
	rc->own_ssrc = own_ssrc;
	rc->interval_ms = interval_ms ? interval_ms : RTCPLEG_MIN_INTERVAL_MS;
}

static uint32_t leg_rate(const struct rleg *l, uint8_t pt)
{
	for (unsigned i = 0; i < l->conf.npt; i++)
		if (l->conf.pts[i].pt == pt)
			return l->conf.pts[i].rate ? l->conf.pts[i].rate : 8000;
	return 8000;
}

void rtcpleg_rtp_in(struct rleg *l, const struct rtp_hdr *h, uint64_t now_us)
{
	struct rtcp_leg *rc = &l->rc;

	if (h->pt != rc->rate_pt) {
		rc->rate_pt = h->pt;
		rc->rate = leg_rate(l, h->pt);
	}
	/* Events carry the timestamp of their start: no transit time. */
	bool timed = !(l->map.on && (l->map.act[h->pt & 0x7f] == RM_EVENT ||
				     l->map.act[h->pt & 0x7f] == RM_TONE));
	uint32_t arrival = (uint32_t)(now_us * rc->rate / 1000000u);
	rtpstats_rx_put(&rc->rx, h->ssrc, h->seq, h->ts, h->pt, arrival, timed);
}

void rtcpleg_publish(struct rleg *l)
{
	struct rtcp_leg *rc = &l->rc;
	uint64_t e, lost;

	rtpstats_rx_totals(&rc->rx, &e, &lost);
	pub_set(&rc->pub.expected, e);
	pub_set(&rc->pub.lost, lost);
	pub_set(&rc->pub.jitter_us, (uint64_t)rtpstats_jitter(&rc->rx) * 1000000u / rc->rate);
}

void rtcpleg_rtcp_in(struct rleg *l, const uint8_t *buf, size_t len, bool terminated)
{
	struct rtcp_leg *rc = &l->rc;
	struct rtcp_report r;

	if (rtcp_parse(buf, len, &r) <= 0)
		return;
	pub_set(&rc->pub.received, pub_get(&rc->pub.received) + 1);
	uint64_t now_ntp = ntp_now();
	if (r.sr && terminated) {
		rc->peer_sr_mid = rtcp_ntp_mid(r.ntp);
		rc->peer_sr_us = xrelay_now_us();
	}
	/* The block on the stream we send toward this peer. */
	uint32_t ours = l->out.started ? l->out.out_ssrc : rc->own_ssrc;
	for (unsigned i = 0; i < r.nrb; i++) {
		const struct rtcp_rb *rb = &r.rb[i];
		if (rb->ssrc != ours)
			continue;
		pub_set(&rc->pub.rem_lost1, (uint64_t)(rb->lost < 0 ? 0 : rb->lost) + 1);
		pub_set(&rc->pub.rem_fraction, rb->fraction);
		/* Jitter is in the clock of what we send toward this peer. */
		uint32_t rate = terminated && l->s->xc ?
				xcode_ts_step(l->s->xc, !l->idx) * (1000 / XCODE_PERIOD_MS) :
				l->peer->rc.rate;
		pub_set(&rc->pub.rem_jitter_us, (uint64_t)rb->jitter * 1000000u / (rate ? rate : 8000));
		int64_t rtt = terminated ? rtcp_rtt(rb, now_ntp) : -1;
		if (rtt >= 0)
			pub_set(&rc->pub.rtt_us1, (uint64_t)rtt * 1000000u / 65536u + 1);
	}
}

/* The compound report for leg l (we terminate its RTCP). */
static int build_report(struct rsess *s, struct rleg *l, uint8_t *buf, size_t cap)
{
	struct rtcp_leg *rc = &l->rc;
	const struct rtp_outmap *om = &l->out;
	struct rtcp_report r;

	memset(&r, 0, sizeof r);
	r.ssrc = om->started ? om->out_ssrc : rc->own_ssrc;
	if (om->started && rc->tx_packets && s->xc) {
		/* The RTP time of this instant in the stream we send: the last
		 * timestamp moved on by the time since it went out. */
		uint64_t now_ms = mworker_clock_ms();
		uint32_t clock = xcode_ts_step(s->xc, !l->idx) * (1000 / XCODE_PERIOD_MS);
		uint64_t dms = now_ms > om->last_ms ? now_ms - om->last_ms : 0;
		r.sr = true;
		r.ntp = ntp_now();
		r.rtp_ts = om->last_ts + (uint32_t)(dms * clock / 1000);
		r.packets = rc->tx_packets;
		r.octets = rc->tx_octets;
	}
	if (rtpstats_rx_block(&rc->rx, &r.rb[0])) {
		r.nrb = 1;
		if (rc->peer_sr_mid) {
			uint64_t d = xrelay_now_us() - rc->peer_sr_us;
			r.rb[0].lsr = rc->peer_sr_mid;
			r.rb[0].dlsr = (uint32_t)(d * 65536u / 1000000u);
		}
	}
	return rtcp_build(buf, cap, &r, CNAME);
}

static void send_report(struct rsess *s, struct rleg *l)
{
	uint8_t buf[RTCP_MAX_OWN];
	int fd = -1;
	int n = build_report(s, l, buf, sizeof buf);
	const na_addr_t *to = relay_rtcp_target(l, &fd);

	if (n <= 0 || !to || fd < 0)
		return;
	if (sendto(fd, buf, (size_t)n, MSG_DONTWAIT, &to->sa, na_len(to)) < 0) {
		mw_add(&l->drop, 1);
		return;
	}
	mw_add(&l->pout, 1);
	mw_add(&l->bout, (uint64_t)n);
	pub_set(&l->rc.pub.sent, pub_get(&l->rc.pub.sent) + 1);
}

void rtcpleg_tick(struct rsess *s)
{
	uint64_t now = s->w->now_ms;

	for (int i = 0; i < 2; i++) {
		struct rleg *l = &s->leg[i];
		struct rtcp_leg *rc = &l->rc;
		if (l->ep != MEDIA_ENDPOINT_NONE || !l->conf.negotiated || !l->conf.have_addr)
			continue;
		if (!rc->next_ms) {
			rc->next_ms = now + rtcp_interval_ms(rc->interval_ms, true, rsess_rand32());
			continue;
		}
		if (now < rc->next_ms)
			continue;
		send_report(s, l);
		rc->next_ms = now + rtcp_interval_ms(rc->interval_ms, false, rsess_rand32());
		rtcpleg_publish(l);
	}
}

void rtcpleg_read(struct rtcp_leg *rc, struct rtcp_leg_view *v)
{
	struct rtcp_pub *p = &rc->pub;
	uint64_t rtt1 = pub_get(&p->rtt_us1), rem1 = pub_get(&p->rem_lost1);

	memset(v, 0, sizeof *v);
	v->expected = pub_get(&p->expected);
	v->lost = pub_get(&p->lost);
	v->jitter_ms = (double)pub_get(&p->jitter_us) / 1000.0;
	v->rtt_ms = rtt1 ? (double)(rtt1 - 1) / 1000.0 : -1;
	v->have_remote = rem1 != 0;
	v->rem_lost = rem1 ? (int64_t)(rem1 - 1) : 0;
	v->rem_fraction = (double)pub_get(&p->rem_fraction) / 256.0;
	v->rem_jitter_ms = (double)pub_get(&p->rem_jitter_us) / 1000.0;
	v->sent = pub_get(&p->sent);
	v->received = pub_get(&p->received);
}

void rsess_leg_quality(struct rsess *rs, int leg, struct media_leg_stats *out)
{
	struct rtcp_leg_view v;

	rtcpleg_read(&rs->leg[leg].rc, &v);
	out->rtp_expected = v.expected;
	out->rtp_lost = v.lost;
	out->jitter_ms = v.jitter_ms;
	out->rtt_ms = v.rtt_ms;
	out->have_remote = v.have_remote;
	out->remote_lost = v.rem_lost;
	out->remote_fraction = v.rem_fraction;
	out->remote_jitter_ms = v.rem_jitter_ms;
	out->rtcp_sent = v.sent;
	out->rtcp_received = v.received;
	out->r_factor = out->mos = 0;
	if (!v.expected)
		return;
	struct rtpstats_codec_q q = rtpstats_codec_quality(out->codec);
	double loss = 100.0 * (double)v.lost / (double)v.expected;
	out->r_factor = rtpstats_r_factor(loss, rtpstats_delay_ms(v.rtt_ms, v.jitter_ms), &q);
	out->mos = rtpstats_mos(out->r_factor);
}
