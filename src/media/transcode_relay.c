/* transcode_relay.c - the worker side of a transcoded session: its turn on
 * the worker's 20 ms period clock (xticker.h), which runs both directions of
 * the xcode (transcode.h), the RTP headers of what it produces, and
 * telephone-events carried into that stream.
 *
 * The stream sent toward a leg stays one stream whatever the plan: when
 * transcoding starts on a call that was relayed, it keeps the SSRC the leg
 * already sees, its sequence numbers continue +1 and its timestamp jumps by
 * the time elapsed (marker bit set); when relaying resumes, rtp_outmap sees a
 * "new source" and continues the same way. Timestamps of transcoded audio
 * follow the period clock in the outgoing codec's RTP clock (Opus: 960 per
 * period), so a period without output (not playing yet, DTX, underrun) leaves
 * a gap of exactly its length; the packet after a gap carries the marker.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "media/dtmf_iw.h"
#include "media/relay_priv.h"
#include "media/repack_relay.h"
#include "media/transcode.h"

#define XR_PERIOD_US (XCODE_PERIOD_MS * 1000u)
_Static_assert(XR_PERIOD_US == XT_PERIOD_US, "the worker's clock runs transcoder periods");
#define XR_MAX_CATCHUP 5            /* periods produced at once after a late timer */

uint64_t xrelay_now_us(void)
{
	return xticker_now_us();
}

/* Start the outgoing stream of direction d (toward leg !d) at period k:
 * continue what the leg received so far, or begin an own stream. */
static void xout_start(struct rsess *s, int d, uint64_t k, uint32_t clock)
{
	struct xout *xo = &s->xo[d];
	struct rtp_outmap *om = &s->leg[!d].out;
	uint64_t now = s->w->now_ms;

	if (!om->started) {
		om->out_ssrc = rsess_rand32();
		om->last_seq = (uint16_t)rsess_rand32();
		om->last_ts = rsess_rand32();
		xo->base_ts = om->last_ts;
	} else {
		uint64_t dms = now > om->last_ms ? now - om->last_ms : 0;
		uint32_t dts = (uint32_t)(dms * clock / 1000);
		if (dts < clock / 50)
			dts = clock / 50;
		xo->base_ts = om->last_ts + dts;
	}
	om->started = true;
	om->rewriting = true;
	/* Never equal to the stream it used to relay (if that was untouched,
	 * out_ssrc is its SSRC): relaying again is seen as a change. */
	om->src_ssrc = ~om->out_ssrc;
	xo->started = true;
	xo->base_k = k;
	xo->last_k = k - 1;
}

static uint32_t xout_ts(const struct xout *xo, uint64_t k, uint32_t step)
{
	return xo->base_ts + (uint32_t)((k - xo->base_k) * step);
}

/* Write the header of an own packet toward leg !d for period k and send it. */
static void xout_send(struct rsess *s, int d, uint8_t *buf, size_t len, uint8_t pt, uint32_t ts,
		      bool marker)
{
	struct rtp_outmap *om = &s->leg[!d].out;

	om->last_seq++;
	rtp_write_hdr(buf, pt, marker, om->last_seq, ts, om->out_ssrc);
	if ((int32_t)(ts - om->last_ts) > 0)
		om->last_ts = ts;
	om->last_ms = s->w->now_ms;
	relay_send_own(&s->leg[!d], buf, len);
}

/* An event detected in-band on direction d (dtmf_iw.h), sent toward leg !d
 * in its telephone-event (the end packet three times, RFC 4733). */
static void send_detected(struct rsess *s, int d, uint64_t k, uint32_t step,
			  const struct dtmf_det_ev *ev)
{
	const struct rmap *m = &s->leg[d].map;
	struct xout *xo = &s->xo[d];
	uint8_t *buf = s->w->buf[0];
	uint32_t dur = (uint32_t)((uint64_t)ev->dur_ms * m->ev_out_rate / 1000);

	if (ev->start)
		xo->det_ts = xout_ts(xo, k, step);
	if (dur > 0xffff)
		dur = 0xffff;
	for (int i = 0; i < (ev->end ? 3 : 1); i++) {
		uint8_t *p = buf + RTP_HDR_MIN;
		p[0] = ev->code;
		p[1] = (uint8_t)((ev->end ? 0x80 : 0) | 10);
		p[2] = (uint8_t)(dur >> 8);
		p[3] = (uint8_t)dur;
		xout_send(s, d, buf, RTP_HDR_MIN + 4, m->ev_out_pt, xo->det_ts, ev->start && i == 0);
	}
}

/* Transcoded audio toward leg !d, cut to that leg's ptime when it asked for
 * another than 20 ms (repack_relay.h). */
static void send_audio(struct rsess *s, int d, uint8_t *buf, size_t n, uint8_t pt, uint32_t ts,
		       bool marker)
{
	struct rpk *rk = s->leg[d].rp;
	struct repack_pkt p;

	if (!rk) {
		xout_send(s, d, buf, n + RTP_HDR_MIN, pt, ts, marker);
		return;
	}
	if (rk->opus) {
		struct opack_pkt op;
		int orc = opack_put(&rk->op, ts, marker, buf + RTP_HDR_MIN, n);
		while (opack_pop(&rk->op, &op)) {
			memcpy(rk->out + RTP_HDR_MIN, op.data, op.len);
			xout_send(s, d, rk->out, op.len + RTP_HDR_MIN, pt, op.ts, op.marker);
		}
		if (orc == -EINVAL)
			xout_send(s, d, buf, n + RTP_HDR_MIN, pt, ts, marker);
		return;
	}
	int rc = repack_put(&rk->rp, ts, marker, buf + RTP_HDR_MIN, n);
	while (repack_pop(&rk->rp, &p)) {
		memcpy(rk->out + RTP_HDR_MIN, p.data, p.len);
		xout_send(s, d, rk->out, p.len + RTP_HDR_MIN, pt, p.ts, p.marker);
	}
	if (rc == -EINVAL)
		xout_send(s, d, buf, n + RTP_HDR_MIN, pt, ts, marker);
}

static void produce(struct rsess *s, int d, uint64_t k)
{
	struct rleg *in = &s->leg[d];
	struct xout *xo = &s->xo[d];
	uint8_t *buf = s->w->buf[0];
	int n = xcode_period(s->xc, d, buf + RTP_HDR_MIN, MW_BUFSZ - RTP_HDR_MIN);
	struct dtmf_det_ev ev;
	bool evd = xcode_dtmf_out(s->xc, d, &ev);

	if ((n <= 0 && !evd) || !in->map.xcode || !relay_rtp_target(&s->leg[!d]))
		return;
	uint32_t step = xcode_ts_step(s->xc, d);
	if (!xo->started)
		xout_start(s, d, k, step * (1000 / XCODE_PERIOD_MS));
	if (n > 0) {
		bool marker = k != xo->last_k + 1;
		xo->last_k = k;
		send_audio(s, d, buf, (size_t)n, in->map.audio_out_pt, xout_ts(xo, k, step), marker);
	}
	if (evd && in->map.ev_info) {
		if (ev.end)             /* the leg wants SIP INFO (dtmf_info.h) */
			dinfo_queue(s, !d, dtmf_char_of(ev.code), ev.dur_ms);
	} else if (evd && in->map.ev_out_rate) {
		send_detected(s, d, k, step, &ev);
	}
}

static void on_xtick(void *arg, uint64_t now)
{
	struct rsess *s = arg;
	uint64_t due = (now - s->x_t0_us) / XR_PERIOD_US;      /* periods completed */

	s->w->now_ms = mworker_clock_ms();
	if (due - s->x_k > XR_MAX_CATCHUP)
		s->x_k = due - XR_MAX_CATCHUP;  /* a stalled worker: skip, don't burst */
	for (; s->x_k < due; s->x_k++)
		for (int d = 0; d < 2; d++)
			produce(s, d, s->x_k);
	rtcpleg_tick(s);
}

void xrelay_event(struct rleg *in, uint8_t *buf, const struct rtp_hdr *h)
{
	struct rsess *s = in->s;
	const struct rmap *m = &in->map;
	int d = in->idx;
	struct xout *xo = &s->xo[d];
	uint32_t in_rate = 0;

	if (!s->xc || !relay_rtp_target(&s->leg[!d]))
		return;
	for (unsigned i = 0; i < m->nev; i++)
		if (m->ev_in[i].pt == h->pt)
			in_rate = m->ev_in[i].rate;
	uint8_t *pl = buf + h->hdr_len;
	if (dtmf_rescale(pl, h->payload_len, in_rate, m->ev_out_rate) < 0)
		return;
	uint32_t step = xcode_ts_step(s->xc, d);
	if (!xo->started)
		xout_start(s, d, s->x_k, step * (1000 / XCODE_PERIOD_MS));
	uint32_t ts = dtmf_map_ts(&xo->dm, h->ts, xout_ts(xo, s->x_k, step));
	/* Header of our own (no CSRC/extension), the payload moved up to it. */
	if (h->hdr_len != RTP_HDR_MIN)
		memmove(buf + RTP_HDR_MIN, pl, h->payload_len);
	xout_send(s, d, buf, RTP_HDR_MIN + h->payload_len, m->ev_out_pt, ts, h->marker);
}

static void ticker_stop(struct rsess *s)
{
	xticker_del(s->w->xt, &s->xt);
}

void xrelay_stop(struct rsess *s)
{
	ticker_stop(s);
	xcode_free(s->xc);
	s->xc = NULL;
}

void xrelay_apply(struct rsess *s, struct xcode *xc, bool keep)
{
	if (keep && !xc && s->xc)
		return;
	xcode_free(s->xc);
	s->xc = xc;
	memset(s->xo, 0, sizeof s->xo);
	if (!xc) {
		ticker_stop(s);
		return;
	}
	if (s->xt.on)
		return;
	uint64_t first;
	s->xt.fn = on_xtick;
	s->xt.arg = s;
	if (xticker_add(s->w->xt, &s->xt, &first) < 0) {
		LOG_ERR("media: worker %u: cannot start a transcoder's timer; its audio is lost",
			s->w->idx);
		ticker_stop(s);
		return;
	}
	/* Its first turn completes period 0, the next period 1, ...: the
	 * period boundaries sit half a period away from the turns, so that a
	 * turn a little early or late still completes exactly one period
	 * (with the boundaries on the turns, timer jitter alternates 0 and 2
	 * periods a turn: a frame in two leaves 20 ms late). */
	s->x_t0_us = first - XR_PERIOD_US - XR_PERIOD_US / 2;
	s->x_k = 0;
}
