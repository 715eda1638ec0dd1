/* relay.c - the packet path: receive a batch, check the source, map the
 * stream, send the batch. Runs on the worker thread. No allocation, no lock,
 * no logging here: anything unusual is counted and, when the owner must know,
 * flagged for the deferred notify callback (rsess.c). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "media/dtmf.h"
#include "media/netaddr.h"
#include "media/relay_priv.h"
#include "media/repack_relay.h"
#include "media/transcode.h"

/* Receive into the worker's buffers. A socket read less than 2 ms ago, or
 * whose last batch was more than one datagram, is backlogged: it is read
 * with recvmmsg. Otherwise (the normal case: 50 packets/s per leg) one
 * recvfrom costs the kernel less than recvmmsg looking for a second datagram
 * that is not there. Level-triggered events make either way lossless.
 * Returns the number of datagrams. */
static int recv_batch(struct mworker *w, int fd, struct rsock_rx *rx, uint64_t now)
{
	bool batch = rx->batchy || now - rx->last_ms < 2;

	rx->last_ms = now;
	if (!batch) {
		socklen_t sl = sizeof w->rname[0];
		ssize_t r = recvfrom(fd, w->buf[0], MW_BUFSZ, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&w->rname[0], &sl);
		if (r < 0)
			return -1;
		/* MSG_TRUNC: r is the real length; oversized datagrams are
		 * dropped by the caller. */
		w->rmsg[0].msg_len = (unsigned)(r > MW_BUFSZ ? MW_BUFSZ : r);
		w->rmsg[0].msg_hdr.msg_flags = r > MW_BUFSZ ? MSG_TRUNC : 0;
		return 1;
	}
	for (int i = 0; i < MW_BATCH; i++)
		w->rmsg[i].msg_hdr.msg_namelen = sizeof w->rname[i];
	int n = recvmmsg(fd, w->rmsg, MW_BATCH, MSG_DONTWAIT, NULL);
	rx->batchy = n > 1;
	return n;
}

/* Send smsg[0..n) on fd; failed datagrams are counted as dropped on 'l'. */
static void send_batch(struct mworker *w, int fd, struct rleg *l, int n)
{
	int sent = 0;

	if (n == 1) {
		const struct msghdr *h = &w->smsg[0].msg_hdr;
		if (sendto(fd, h->msg_iov->iov_base, h->msg_iov->iov_len, MSG_DONTWAIT,
			   h->msg_name, h->msg_namelen) < 0) {
			mw_add(&l->drop, 1);
			mw_add(&w->dropped, 1);
		} else {
			mw_add(&l->pout, 1);
			mw_add(&l->bout, h->msg_iov->iov_len);
			mw_add(&w->pkts_out, 1);
			mw_add(&w->bytes_out, h->msg_iov->iov_len);
		}
		return;
	}
	while (sent < n) {
		int r = sendmmsg(fd, w->smsg + sent, (unsigned)(n - sent), MSG_DONTWAIT);
		if (r <= 0) {
			/* Skip the datagram that failed; the next may succeed. */
			mw_add(&l->drop, 1);
			mw_add(&w->dropped, 1);
			sent++;
			continue;
		}
		for (int i = sent; i < sent + r; i++) {
			mw_add(&l->pout, 1);
			mw_add(&l->bout, w->siov[i].iov_len);
			mw_add(&w->bytes_out, w->siov[i].iov_len);
		}
		mw_add(&w->pkts_out, (uint64_t)r);
		sent += r;
	}
}

static void queue_send(struct mworker *w, int i, int slot, size_t len,
		       const na_addr_t *to)
{
	w->siov[slot].iov_base = w->buf[i];
	w->siov[slot].iov_len = len;
	w->smsg[slot].msg_hdr = (struct msghdr){
		.msg_name = (void *)to, .msg_namelen = na_len(to),
		.msg_iov = &w->siov[slot], .msg_iovlen = 1,
	};
}

const na_addr_t *relay_rtp_target(const struct rleg *l)
{
	if (l->sec && rsec_has_ice(l))
		return rsec_ice_target(l);
	if (l->latch && l->lstate != RL_NONE)
		return &l->src;
	return l->conf.have_addr ? &l->conf.rtp : NULL;
}

const na_addr_t *relay_rtcp_target(const struct rleg *l, int *fd)
{
	if (l->conf.rtcp_mux) {
		*fd = l->fd_rtp;
		return relay_rtp_target(l);
	}
	*fd = l->fd_rtcp;
	return l->have_rtcp_dst ? &l->rtcp_dst : NULL;
}

void relay_update_rtcp_dst(struct rleg *l)
{
	l->have_rtcp_dst = true;
	if (l->latch && l->have_rtcp_src) {
		l->rtcp_dst = l->rtcp_src;
	} else if (l->latch && l->lstate == RL_ANY) {
		/* NAT: the RTCP mapping is unknown until RTCP arrives; the
		 * usual guess is the port next to the RTP one. */
		l->rtcp_dst = l->src;
		na_set_port(&l->rtcp_dst, (uint16_t)(na_port(&l->src) + 1));
	} else if (l->conf.have_addr) {
		l->rtcp_dst = l->conf.rtcp;
	} else {
		l->have_rtcp_dst = false;
	}
}

static void latch_to(struct rleg *l, const na_addr_t *from, enum rlatch how)
{
	bool had = l->lstate != RL_NONE;
	l->src = *from;
	l->lstate = how;
	relay_update_rtcp_dst(l);
	rsess_pend(l, had ? RP_CHANGED : RP_LATCHED, from);
}

/* Is an RTP packet from 'from' acceptable on leg l? May latch. */
static bool accept_rtp(struct rleg *l, const na_addr_t *from, uint64_t now)
{
	if (!l->conf.negotiated)
		return false;
	if (!l->latch)
		return l->conf.have_addr && na_ip_equal(from, &l->conf.rtp);
	if (l->lstate != RL_NONE && na_equal(from, &l->src))
		return true;

	bool sig = l->conf.have_addr && na_equal(from, &l->conf.rtp);
	if (now < l->window_end) {
		if (sig || l->lstate == RL_NONE) {
			latch_to(l, from, sig ? RL_SIGNALLED : RL_ANY);
			return true;
		}
		if (l->lstate == RL_ANY && now - l->last_rtp >= RL_IDLE_TAKEOVER_MS) {
			latch_to(l, from, RL_ANY);
			return true;
		}
		return false;
	}
	if (l->lstate == RL_NONE && sig) {
		latch_to(l, from, RL_SIGNALLED);
		return true;
	}
	return false;
}

static uint32_t pt_rate(const struct rleg *l, uint8_t pt)
{
	for (unsigned i = 0; i < l->conf.npt; i++)
		if (l->conf.pts[i].pt == pt)
			return l->conf.pts[i].rate;
	return 8000;
}

static void count_drop(struct rleg *l, struct mworker *w)
{
	mw_add(&l->drop, 1);
	mw_add(&w->dropped, 1);
}

void relay_send_own(struct rleg *l, const uint8_t *buf, size_t len)
{
	struct mworker *w = l->w;
	const na_addr_t *to = relay_rtp_target(l);
	uint8_t sbuf[MW_BUFSZ];

	if (l->sec && to) {
		/* SRTP: protect a copy (the caller's buffer may be shared). */
		if (len > sizeof sbuf - MSRTP_TRAILER) {
			count_drop(l, w);
			return;
		}
		memcpy(sbuf, buf, len);
		if (rsec_out(l, sbuf, &len, sizeof sbuf) < 0) {
			count_drop(l, w);
			return;
		}
		buf = sbuf;
	}
	if (!to || l->fd_rtp < 0 ||
	    sendto(l->fd_rtp, buf, len, MSG_DONTWAIT, &to->sa, na_len(to)) < 0) {
		count_drop(l, w);
		return;
	}
	mw_add(&l->pout, 1);
	mw_add(&l->bout, len);
	mw_add(&w->pkts_out, 1);
	mw_add(&w->bytes_out, len);
	rtcpleg_sent(&l->rc, len);
}

static uint32_t ev_rate(const struct rmap *m, uint8_t pt)
{
	for (unsigned i = 0; i < m->nev; i++)
		if (m->ev_in[i].pt == pt)
			return m->ev_in[i].rate;
	return 0;
}

/* The media plan for one accepted packet from 'in' (in->map.on). true: it
 * goes on down the relay path (its payload type, maybe its event durations,
 * rewritten); false: consumed by the transcoder, or dropped (counted). */
static bool apply_plan(struct rleg *in, struct mworker *w, uint8_t *buf, struct rtp_hdr *h)
{
	const struct rmap *m = &in->map;

	switch (m->act[h->pt]) {
	case RM_PASS:
		buf[1] = (uint8_t)((buf[1] & 0x80) | m->out_pt[h->pt]);
		return true;
	case RM_AUDIO:
		if (!in->s->xc)
			break;
		xcode_put(in->s->xc, in->idx, h->ssrc, h->seq, h->ts, buf + h->hdr_len,
			  h->payload_len, xrelay_now_us());
		return false;
	case RM_EVENT:
		if (m->xcode) {
			xrelay_event(in, buf, h);
			return false;
		}
		if (dtmf_rescale(buf + h->hdr_len, h->payload_len, ev_rate(m, h->pt), m->ev_out_rate) < 0)
			break;
		buf[1] = (uint8_t)((buf[1] & 0x80) | m->out_pt[h->pt]);
		return true;
	case RM_TONE:
		if (!in->s->xc)
			break;
		xcode_dtmf_in(in->s->xc, in->idx, buf + h->hdr_len, h->payload_len, h->ts,
			      ev_rate(m, h->pt));
		return false;
	case RM_INFO:
		dinfo_event(in, buf + h->hdr_len, h->payload_len, h->ts, ev_rate(m, h->pt));
		return false;
	case RM_CN:
		if (!in->s->xc)
			break;
		xcode_cn_in(in->s->xc, in->idx, buf + h->hdr_len, h->payload_len, h->ts);
		return false;
	default:
		break;
	}
	count_drop(in, w);
	return false;
}

/* Opaque datagrams (T.38 UDPTL, relay.h 'raw'): the source is checked and
 * latched as for RTP, the payload is relayed as it came. */
static void relay_raw(struct rleg *in, struct rleg *o, int n, uint64_t now)
{
	struct mworker *w = in->w;
	const na_addr_t *to = relay_rtp_target(o);
	int nsend = 0;

	for (int i = 0; i < n; i++) {
		size_t len = w->rmsg[i].msg_len;
		if ((w->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) || !accept_rtp(in, &w->rname[i], now) ||
		    !to) {
			count_drop(in, w);
			continue;
		}
		mw_add(&in->pin, 1);
		mw_add(&in->bin, len);
		in->last_rtp = in->last_any = now;
		if (!in->got_first) {
			in->got_first = true;
			rsess_pend(in, RP_FIRST, &w->rname[i]);
		}
		queue_send(w, i, nsend++, len, to);
	}
	if (nsend)
		send_batch(w, o->fd_rtp, o, nsend);
}

void relay_on_rtp(evutil_socket_t fd, short what, void *arg)
{
	struct rleg *in = arg;
	struct mworker *w = in->w;
	struct rleg *o = in->peer;
	uint64_t now = w->now_ms = mworker_clock_ms();
	int n = recv_batch(w, fd, &in->rx_rtp, now);
	if (n <= 0)
		return;
	if (in->conf.raw && o->ep == MEDIA_ENDPOINT_NONE) {
		relay_raw(in, o, n, now);
		return;
	}
	uint64_t now_us = xrelay_now_us();  /* arrival time for the jitter */

	/* Echo sends back out of the same leg; a relay out of the other one. */
	bool echo = o->ep == MEDIA_ENDPOINT_ECHO;
	struct rleg *dst = echo ? in : o;
	int nsend = 0;

	for (int i = 0; i < n; i++) {
		size_t len = w->rmsg[i].msg_len;
		struct rtp_hdr h;
		bool ice = false;
		if (w->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			count_drop(in, w);
			continue;
		}
		if (in->sec) {
			/* STUN, DTLS and SRTCP stop here; SRTP comes out plain. ICE
			 * legs take media from any source that authenticates: the
			 * target is the pair the checks selected. */
			if (rsec_in(in, w->buf[i], &len, &w->rname[i], now) <= 0)
				continue;
			ice = rsec_has_ice(in);
		} else if (in->conf.rtcp_mux && relay_mux_rtcp(in, w->buf[i], len, &w->rname[i], now)) {
			continue;
		}
		if (rtp_parse(w->buf[i], len, &h) < 0 ||
		    (!ice && !accept_rtp(in, &w->rname[i], now))) {
			count_drop(in, w);
			continue;
		}
		mw_add(&in->pin, 1);
		mw_add(&in->bin, len);
		rtcpleg_rtp_in(in, &h, now_us);
		in->last_rtp = in->last_any = now;
		if (!in->got_first) {
			in->got_first = true;
			rsess_pend(in, RP_FIRST, &w->rname[i]);
		}
		if (o->ep == MEDIA_ENDPOINT_MILLIWATT)
			continue;               /* consumed by the endpoint */
		if (in->map.on && !apply_plan(in, w, w->buf[i], &h))
			continue;
		if (in->rp && !in->map.xcode) {
			rpk_relay(in, dst, w->buf[i], &h, now);     /* ptime conversion */
			continue;
		}
		const na_addr_t *to = relay_rtp_target(dst);
		if (!to) {
			count_drop(in, w);
			continue;
		}
		/* The clock rate matters only when the source changes. */
		uint32_t rate = dst->out.started && h.ssrc == dst->out.src_ssrc ? 0 : pt_rate(in, h.pt);
		rtp_outmap_apply(&dst->out, w->buf[i], &h, now, rate);
		if (dst->sec && rsec_out(dst, w->buf[i], &len, MW_BUFSZ) < 0) {
			count_drop(in, w);
			continue;
		}
		queue_send(w, i, nsend++, len, to);
	}
	rtcpleg_publish(in);
	if (nsend)
		send_batch(w, dst->fd_rtp, dst, nsend);
}

static bool accept_rtcp(struct rleg *l, const na_addr_t *from)
{
	if (!l->conf.negotiated)
		return false;
	const na_addr_t *peer = relay_rtp_target(l);
	if (!(peer && na_ip_equal(from, peer)) &&
	    !(l->conf.have_addr && na_equal(from, &l->conf.rtcp)))
		return false;
	if (l->latch && (!l->have_rtcp_src || !na_equal(from, &l->rtcp_src))) {
		l->rtcp_src = *from;
		l->have_rtcp_src = true;
		relay_update_rtcp_dst(l);
	}
	return true;
}

/* One RTCP compound from leg 'in''s peer: accepted and counted, read
 * (rtcp_leg.h), and when relayed its SSRCs mapped. Returns where it goes
 * (and through *fd), or NULL when it stops here (dropped, or consumed by an
 * endpoint or a transcoded call, which terminate RTCP). */
static const na_addr_t *rtcp_in(struct rleg *in, uint8_t *buf, size_t len, const na_addr_t *from,
				uint64_t now, int *fd)
{
	struct mworker *w = in->w;
	struct rleg *o = in->peer;

	if (rtcp_validate(buf, len) <= 0 || !accept_rtcp(in, from)) {
		count_drop(in, w);
		return NULL;
	}
	mw_add(&in->pin, 1);
	mw_add(&in->bin, len);
	in->last_any = now;
	rtcpleg_rtcp_in(in, buf, len, in->map.xcode);
	/* Endpoints, transcoders and secure legs consume RTCP; so does ptime
	 * conversion, whose packet counts and sequence numbers differ per leg. */
	if (o->ep != MEDIA_ENDPOINT_NONE || in->map.xcode || in->rp || o->rp || o->sec)
		return NULL;
	const na_addr_t *to = relay_rtcp_target(o, fd);
	if (!to) {
		count_drop(in, w);
		return NULL;
	}
	/* Sender SSRCs: our view of in's stream as o receives it; report
	 * blocks: the stream in receives, back to its real SSRC. */
	rtcp_map_ssrc(buf, len,
		      o->out.src_ssrc, o->out.rewriting ? o->out.out_ssrc : o->out.src_ssrc,
		      in->out.out_ssrc, in->out.rewriting ? in->out.src_ssrc : in->out.out_ssrc);
	return to;
}

bool relay_mux_rtcp(struct rleg *in, uint8_t *buf, size_t len, const na_addr_t *from, uint64_t now)
{
	/* RFC 5761 4: RTCP packet types 200..204 are RTP payload types 72..76
	 * with the marker bit, which RTP never uses. */
	if (len < 8 || buf[1] < 192 || buf[1] > 223)
		return false;
	int fd;
	const na_addr_t *to = rtcp_in(in, buf, len, from, now, &fd);
	if (!to)
		return true;
	struct rleg *o = in->peer;
	if (sendto(fd, buf, len, MSG_DONTWAIT, &to->sa, na_len(to)) < 0) {
		count_drop(o, in->w);
	} else {
		mw_add(&o->pout, 1);
		mw_add(&o->bout, len);
		mw_add(&in->w->pkts_out, 1);
		mw_add(&in->w->bytes_out, len);
	}
	return true;
}

void relay_on_rtcp(evutil_socket_t fd, short what, void *arg)
{
	struct rleg *in = arg;
	struct mworker *w = in->w;
	struct rleg *o = in->peer;
	uint64_t now = w->now_ms = mworker_clock_ms();
	int n = recv_batch(w, fd, &in->rx_rtcp, now);
	if (n <= 0)
		return;
	int nsend = 0, ofd = -1;

	for (int i = 0; i < n; i++) {
		size_t len = w->rmsg[i].msg_len;
		if (w->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			count_drop(in, w);
			continue;
		}
		if (in->sec) {
			rsec_in_rtcp(in, w->buf[i], len, &w->rname[i], now);
			continue;       /* SRTCP is terminated, not relayed */
		}
		const na_addr_t *to = rtcp_in(in, w->buf[i], len, &w->rname[i], now, &ofd);
		if (to)
			queue_send(w, i, nsend++, len, to);
	}
	if (nsend)
		send_batch(w, ofd, o, nsend);
}
