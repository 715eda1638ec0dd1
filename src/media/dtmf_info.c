/* dtmf_info.c - see dtmf_info.h. */
#include "config.h"
#include "media/dtmf_info.h"

#include <event2/event.h>
#include <string.h>

#include "core/log.h"
#include "media/dtmf_iw.h"
#include "media/relay_priv.h"
#include "media/transcode_neg.h"

/* ---- the plan (owner) ---- */

static void ev_in(struct rmap *m, uint8_t pt, uint32_t rate)
{
	for (unsigned i = 0; i < m->nev; i++)
		if (m->ev_in[i].pt == pt)
			return;
	if (m->nev < RMAP_MAX_EV) {
		m->ev_in[m->nev].pt = pt;
		m->ev_in[m->nev].rate = rate;
		m->nev++;
	}
}

void dinfo_plan(const struct xleg *in, struct rmap *m)
{
	m->ev_info = true;
	for (size_t i = 0; in->valid && i < in->n; i++) {
		const struct xleg_codec *c = &in->c[i];
		if (!xcodec_is_te(&c->c))
			continue;
		uint8_t pts[2] = { c->c.pt, c->rpt };
		for (int k = 0; k < 2; k++) {
			if (pts[k] >= 128)
				continue;
			m->act[pts[k]] = RM_INFO;
			ev_in(m, pts[k], c->c.rate);
		}
	}
}

/* ---- RFC 4733 -> INFO (worker) ---- */

void dinfo_event(struct rleg *in, const uint8_t *payload, size_t len, uint32_t ts, uint32_t rate)
{
	struct dinfo *d = &in->s->di;
	int i = in->idx;
	uint8_t code;
	unsigned ms;

	if (!dtmf_event_end(payload, len, rate, &code, &ms))
		return;                         /* not an end, or not DTMF (flash...) */
	if (d->have_end[i] && d->end_ts[i] == ts)
		return;                         /* a retransmitted end */
	d->have_end[i] = true;
	d->end_ts[i] = ts;
	dinfo_queue(in->s, !i, dtmf_char_of(code), ms);
}

void dinfo_queue(struct rsess *s, int to, char digit, unsigned dur_ms)
{
	struct dinfo *d = &s->di;

	if (!digit)
		return;                         /* flash and other events: not DTMF */
	if (d->qn >= DINFO_QUEUE) {
		d->dropped++;
		return;
	}
	d->q[d->qn].digit = digit;
	d->q[d->qn].leg = (uint8_t)to;
	d->q[d->qn].dur_ms = (uint16_t)(dur_ms > DINFO_MAX_MS ? DINFO_MAX_MS : dur_ms);
	d->qn++;
	rsess_pend(&s->leg[!to], 0, NULL);      /* wakes the notify callback */
}

void dinfo_flush(struct rsess *s)
{
	struct dinfo *d = &s->di;

	for (unsigned k = 0; k < d->qn; k++) {
		struct media_event ev = { .type = MEDIA_EV_DTMF, .leg = (enum media_leg)d->q[k].leg,
					  .digit = d->q[k].digit, .duration_ms = d->q[k].dur_ms };
		s->notify(s->owner, &ev);
	}
	d->qn = 0;
}

/* ---- INFO -> RFC 4733 (worker) ---- */

/* The next sequence number of an own packet in the stream toward a leg:
 * relayed packets after it move up by one. */
static uint16_t own_seq(struct rtp_outmap *om)
{
	if (!om->rewriting) {
		/* Untouched so far: rewrite from now on, with no offset yet. */
		om->rewriting = true;
		om->seq_off = 0;
		om->ts_off = 0;
	}
	om->seq_off++;
	return ++om->last_seq;
}

static void send_ev(struct rsess *s, bool marker, bool end, uint32_t dur)
{
	struct dinfo *d = &s->di;
	struct rleg *l = &s->leg[d->to];
	uint8_t pkt[RTP_HDR_MIN + 4];

	if (dur > 0xffff)
		dur = 0xffff;
	rtp_write_hdr(pkt, d->pt, marker, own_seq(&l->out), d->ts, l->out.out_ssrc);
	pkt[RTP_HDR_MIN] = d->code;
	pkt[RTP_HDR_MIN + 1] = (uint8_t)((end ? 0x80 : 0) | 10);
	pkt[RTP_HDR_MIN + 2] = (uint8_t)(dur >> 8);
	pkt[RTP_HDR_MIN + 3] = (uint8_t)dur;
	l->out.last_ms = s->w->now_ms;
	relay_send_own(l, pkt, sizeof pkt);
}

static void finish(struct rsess *s)
{
	struct dinfo *d = &s->di;

	for (int i = 0; i < 3; i++)
		send_ev(s, false, true, d->dur_ticks);
	d->busy = false;
	if (d->ev)
		event_del(d->ev);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct rsess *s = arg;
	struct dinfo *d = &s->di;
	uint64_t now = s->w->now_ms = mworker_clock_ms();

	if (!d->busy)
		return;
	if (now - d->t0_ms >= d->dur_ms) {
		finish(s);
		return;
	}
	send_ev(s, false, false, (uint32_t)((now - d->t0_ms) * d->rate / 1000));
}

/* Where the event starts in the stream toward leg 'to': where that stream
 * is now, or a new stream of our own when nothing went there yet. */
static uint32_t start_ts(struct rtp_outmap *om, uint64_t now, uint32_t rate)
{
	if (!om->started) {
		om->started = true;
		om->rewriting = true;
		om->out_ssrc = rsess_rand32();
		om->src_ssrc = ~om->out_ssrc;   /* a relayed source later is a change */
		om->last_seq = (uint16_t)rsess_rand32();
		om->last_ts = rsess_rand32();
		om->last_ms = now;
		return om->last_ts;
	}
	uint64_t dms = now > om->last_ms ? now - om->last_ms : 0;
	return om->last_ts + (uint32_t)(dms * rate / 1000);
}

void dinfo_inject(struct rsess *s, int from, char digit, unsigned dur_ms)
{
	struct dinfo *d = &s->di;
	const struct rmap *m = &s->leg[from].map;
	int code = dtmf_code_of(digit);
	uint64_t now = s->w->now_ms = mworker_clock_ms();

	if (code < 0)
		return;
	if (!m->on || !m->ev_out_rate || !relay_rtp_target(&s->leg[!from])) {
		LOG_INFO("media: worker %u: digit %c from SIP INFO on leg %c is dropped: leg %c "
			 "took no telephone-event (or has no media yet)", s->w->idx, digit, 'A' + from,
			 'A' + !from);
		return;
	}
	if (d->busy)
		finish(s);
	if (!d->ev) {
		struct timeval tv = { 0, DINFO_UPDATE_MS * 1000 };
		d->ev = event_new(s->w->base, -1, EV_PERSIST, on_tick, s);
		if (!d->ev || event_add(d->ev, &tv) < 0) {
			LOG_ERR("media: worker %u: cannot start a DTMF timer; digit %c is lost",
				s->w->idx, digit);
			return;
		}
	} else {
		struct timeval tv = { 0, DINFO_UPDATE_MS * 1000 };
		event_add(d->ev, &tv);
	}
	d->to = !from;
	d->code = (uint8_t)code;
	d->pt = m->ev_out_pt;
	d->rate = m->ev_out_rate;
	d->dur_ms = dur_ms;
	d->dur_ticks = (uint32_t)((uint64_t)dur_ms * d->rate / 1000);
	d->t0_ms = now;
	d->ts = start_ts(&s->leg[d->to].out, now, d->rate);
	d->busy = true;
	send_ev(s, true, false, 0);
}

void dinfo_stop(struct rsess *s)
{
	if (s->di.ev)
		event_free(s->di.ev);
	s->di.ev = NULL;
	s->di.busy = false;
}
