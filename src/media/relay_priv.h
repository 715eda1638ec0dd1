/* relay_priv.h - internals of the worker-side session, shared by rsess.c
 * (lifecycle, configuration, timers, events), relay.c (packet path) and
 * endpoint.c (local endpoints). Everything here belongs to the worker thread
 * except the counters (single-writer atomics). */
#ifndef TANDEM_MEDIA_RELAY_PRIV_H
#define TANDEM_MEDIA_RELAY_PRIV_H

#include <event2/event.h>
#include <stdatomic.h>

#include "media/dtmf.h"
#include "media/dtmf_info.h"
#include "media/relay.h"
#include "media/rtcp_leg.h"
#include "media/relay_sec.h"
#include "media/rtp.h"
#include "media/xticker.h"

enum rlatch { RL_NONE = 0, RL_ANY, RL_SIGNALLED };

/* Pending owner events of a leg (bits). */
enum {
	RP_FIRST = 1 << 0,
	RP_LATCHED = 1 << 1,
	RP_CHANGED = 1 << 2,
	RP_TIMEOUT = 1 << 3,
	RP_SECURE = 1 << 4,         /* reason in pend_why: the SRTP suite */
	RP_SECFAIL = 1 << 5,        /* reason in pend_why */
	RP_CONSENT = 1 << 6,
};

#define RL_IDLE_TAKEOVER_MS 500     /* a silent NAT latch may move inside the window */

struct rsess;

/* Receive mode of one socket (see recv_batch in relay.c). */
struct rsock_rx {
	bool batchy;                /* the last batch had more than one datagram */
	uint64_t last_ms;           /* last read */
};

/* Field order matters: the packet path touches the first part of both legs
 * for every datagram (about three cache lines each); with hundreds of
 * sessions per worker these lines are usually cold, so they are kept
 * together. Everything after 'conf' is control path. */
struct rleg {
	/* -- hot -- */
	struct mworker *w;
	struct rleg *peer;                  /* the other leg of the session */
	enum media_endpoint ep;
	int fd_rtp;
	bool latch;
	bool got_first;
	enum rlatch lstate;
	na_addr_t src;                      /* latched RTP source */
	uint64_t window_end;
	uint64_t last_rtp, last_any;        /* activity (ms, monotonic) */
	struct rsock_rx rx_rtp;
	_Atomic uint64_t pin, pout, bin, bout, drop;
	struct rtp_outmap out;              /* the stream we send toward this leg's peer */
	struct rpk *rp;                     /* ptime conversion of what arrives here, or NULL */
	struct rsec *sec;                   /* secure transport (relay_sec.h), NULL: plain */
	struct rleg_conf conf;              /* hot head, cold tail (payload types) */

	/* -- control path -- */
	struct rsess *s;
	int idx;
	int fd_rtcp;
	struct event *ev_rtp, *ev_rtcp;
	struct rsock_rx rx_rtcp;
	struct mpool *pool;
	uint16_t port;
	na_addr_t rtcp_src;                 /* RTCP source learnt */
	bool have_rtcp_src;
	na_addr_t rtcp_dst;                 /* derived RTCP target */
	bool have_rtcp_dst;
	uint64_t ref_ms;                    /* start of the current timeout reference */
	/* Pending events for the owner, and the address they refer to. */
	unsigned pend;
	na_addr_t pend_addr;
	char pend_why[48];
	/* The media plan for packets arriving on this leg (relay.h). */
	struct rmap map;
	struct rtcp_leg rc;                 /* reception stats, RTCP (rtcp_leg.h) */
};

/* The stream a transcoded direction sends (from leg i, toward leg !i; it is
 * that leg's rtp_outmap, continued): timestamps follow the 20 ms period
 * clock, ts(k) = base_ts + (k - base_k) * step. */
struct xout {
	bool started;
	uint64_t base_k, last_k;
	uint32_t base_ts;
	struct dtmf_map dm;
	uint32_t det_ts;                    /* start of the event detected in-band */
};

struct rsess {
	struct mworker *w;
	struct rleg leg[2];
	unsigned rtp_timeout, hold_timeout, latch_window;
	struct event *ev_tick, *ev_notify, *ev_tone;
	bool timed_out;

	/* Transcoding (transcode_relay.c): the engine, its turn on the worker's
	 * 20 ms clock (xticker.h; period k starts at x_t0_us + k * 20 ms),
	 * per-direction output. */
	struct xcode *xc;
	struct xt_entry xt;
	uint64_t x_t0_us, x_k;
	struct xout xo[2];

	/* DTMF by SIP INFO (dtmf_info.c). */
	struct dinfo di;

	/* Milliwatt generator. */
	const uint8_t *tone_tab[2];
	uint32_t tone_ssrc, tone_ts;
	uint16_t tone_seq;
	unsigned tone_frame;
	bool tone_started;

	void *owner;
	void (*notify)(void *owner, const struct media_event *ev);
	void (*release)(void *owner);
};

/* relay.c */
void relay_on_rtp(evutil_socket_t fd, short what, void *arg);
void relay_on_rtcp(evutil_socket_t fd, short what, void *arg);
/* Where we send RTP toward leg l's peer; NULL when unknown. */
const na_addr_t *relay_rtp_target(const struct rleg *l);
/* Where RTCP for leg l's peer goes (*fd: the socket to send it from): the
 * RTP target with rtcp-mux, else the RTCP target; NULL when unknown. */
const na_addr_t *relay_rtcp_target(const struct rleg *l, int *fd);
/* A datagram on leg in's RTP socket with rtcp-mux: true when it was RTCP
 * (handled: relayed or consumed), false when it is to be parsed as RTP. */
bool relay_mux_rtcp(struct rleg *in, uint8_t *buf, size_t len, const na_addr_t *from,
		    uint64_t now);
/* Recompute l->rtcp_dst after a latch or configuration change. */
void relay_update_rtcp_dst(struct rleg *l);

/* Send one packet of our own (transcoded audio, events) toward leg l's
 * peer, counted like relayed ones. */
void relay_send_own(struct rleg *l, const uint8_t *buf, size_t len);

/* rsess.c */
void rsess_pend(struct rleg *l, unsigned what, const na_addr_t *addr);
uint32_t rsess_rand32(void);

/* transcode_relay.c (worker thread) */
/* Install the new plan's transcoder ('xc' taken over; NULL with keep: keep
 * the current one; NULL without: none), start or stop the period timer. */
void xrelay_apply(struct rsess *s, struct xcode *xc, bool keep);
/* Free the transcoder and its timer (session going away). */
void xrelay_stop(struct rsess *s);
/* An RFC 4733 packet from leg 'in' on a transcoded call: rewrite it into
 * the outgoing stream and send it. */
void xrelay_event(struct rleg *in, uint8_t *buf, const struct rtp_hdr *h);
/* Monotonic microseconds. */
uint64_t xrelay_now_us(void);

/* endpoint.c */
void endpoint_tone_update(struct rsess *s);
void endpoint_tone_stop(struct rsess *s);

#endif
