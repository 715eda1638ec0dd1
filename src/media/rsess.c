/* rsess.c - lifecycle of the worker-side session: creation on the owner
 * thread, hand-over to the worker, configuration updates, the timeout timer,
 * deferred owner events, and removal. See relay.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/log.h"
#include "media/netaddr.h"
#include "media/portpool.h"
#include "media/relay_priv.h"
#include "media/repack_relay.h"
#include "media/transcode.h"

uint32_t rsess_rand32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v)
		v = (uint32_t)random();
	return v;
}

int rsess_new(const struct rsess_init *in, struct rsess **out)
{
	struct rsess *s = calloc(1, sizeof *s);

	*out = NULL;
	if (!s) {
		for (int i = 0; i < 2; i++) {
			if (in->fd_rtp[i] >= 0)
				close(in->fd_rtp[i]);
			if (in->fd_rtcp[i] >= 0)
				close(in->fd_rtcp[i]);
		}
		return -ENOMEM;
	}
	s->w = in->worker;
	s->rtp_timeout = in->rtp_timeout;
	s->hold_timeout = in->hold_timeout;
	s->latch_window = in->latch_window;
	s->owner = in->owner;
	s->notify = in->notify;
	s->release = in->release;
	s->tone_tab[0] = in->tone[0];
	s->tone_tab[1] = in->tone[1];
	s->tone_ssrc = rsess_rand32();
	s->tone_seq = (uint16_t)rsess_rand32();
	s->tone_ts = rsess_rand32();
	for (int i = 0; i < 2; i++) {
		struct rleg *l = &s->leg[i];
		l->s = s;
		l->w = s->w;
		l->peer = &s->leg[!i];
		l->idx = i;
		l->ep = in->ep[i];
		l->latch = in->latch[i];
		l->fd_rtp = in->fd_rtp[i];
		l->fd_rtcp = in->fd_rtcp[i];
		l->pool = in->pool[i];
		l->port = in->port[i];
		l->conf.ep_pt = -1;
		rtcpleg_init(&l->rc, in->rtcp_interval_ms, rsess_rand32());
		/* Echo answers with a stream of its own (see media.h). */
		if (in->ep[!i] == MEDIA_ENDPOINT_ECHO)
			rtp_outmap_init_own(&l->out, rsess_rand32(), (uint16_t)rsess_rand32(), rsess_rand32());
		else
			rtp_outmap_init(&l->out);
	}
	*out = s;
	return 0;
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	static const struct { unsigned bit; enum media_event_type type; } order[] = {
		{ RP_FIRST, MEDIA_EV_FIRST_PACKET },
		{ RP_LATCHED, MEDIA_EV_LATCHED },
		{ RP_CHANGED, MEDIA_EV_SOURCE_CHANGED },
		{ RP_TIMEOUT, MEDIA_EV_TIMEOUT },
		{ RP_SECURE, MEDIA_EV_SECURE },
		{ RP_SECFAIL, MEDIA_EV_SECURITY_FAILED },
		{ RP_CONSENT, MEDIA_EV_CONSENT_LOST },
	};
	struct rsess *s = arg;

	for (int i = 0; i < 2; i++) {
		struct rleg *l = &s->leg[i];
		unsigned pend = l->pend;
		l->pend = 0;
		for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
			if (!(pend & order[k].bit))
				continue;
			struct media_event ev = { .type = order[k].type, .leg = (enum media_leg)i };
			if (order[k].bit & (RP_SECURE | RP_SECFAIL | RP_CONSENT))
				snprintf(ev.addr, sizeof ev.addr, "%s", l->pend_why);
			else if (order[k].type != MEDIA_EV_TIMEOUT)
				na_format(&l->pend_addr, ev.addr, sizeof ev.addr);
			s->notify(s->owner, &ev);
		}
	}
	dinfo_flush(s);
}

void rsess_pend(struct rleg *l, unsigned what, const na_addr_t *addr)
{
	l->pend |= what;
	if (addr)
		l->pend_addr = *addr;
	if (l->s->ev_notify)
		event_active(l->s->ev_notify, 0, 0);
}

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* The timeout rule (see media.h): not on hold, a leg expected to send that
 * sent no RTP for rtp_timeout; on hold, no RTP or RTCP on any leg for
 * hold_timeout. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct rsess *s = arg;
	uint64_t now = mworker_clock_ms();
	bool hold = false;
	int holder = -1;

	if (s->timed_out)
		return;
	for (int i = 0; i < 2; i++) {
		const struct rleg *l = &s->leg[i];
		if (l->ep == MEDIA_ENDPOINT_NONE && l->conf.negotiated && l->conf.hold) {
			hold = true;
			if (holder < 0)
				holder = i;
		}
	}
	int fire = -1;
	if (hold && s->hold_timeout) {
		uint64_t newest = 0;
		for (int i = 0; i < 2; i++) {
			const struct rleg *l = &s->leg[i];
			if (l->ep == MEDIA_ENDPOINT_NONE && l->conf.negotiated)
				newest = max64(newest, max64(l->last_any, l->ref_ms));
		}
		if (now - newest >= (uint64_t)s->hold_timeout * 1000)
			fire = holder;
	} else if (!hold && s->rtp_timeout) {
		for (int i = 0; i < 2 && fire < 0; i++) {
			const struct rleg *l = &s->leg[i];
			if (l->ep != MEDIA_ENDPOINT_NONE || !l->conf.negotiated || !l->conf.sends)
				continue;
			if (now - max64(l->last_rtp, l->ref_ms) >= (uint64_t)s->rtp_timeout * 1000)
				fire = i;
		}
	}
	if (fire >= 0) {
		s->timed_out = true;
		rsess_pend(&s->leg[fire], RP_TIMEOUT, NULL);
	}
}

static void free_session(struct rsess *s)
{
	endpoint_tone_stop(s);
	xrelay_stop(s);
	dinfo_stop(s);
	if (s->ev_tick)
		event_free(s->ev_tick);
	if (s->ev_notify)
		event_free(s->ev_notify);
	for (int i = 0; i < 2; i++) {
		struct rleg *l = &s->leg[i];
		rsec_free(l);
		if (l->ev_rtp)
			event_free(l->ev_rtp);
		if (l->ev_rtcp)
			event_free(l->ev_rtcp);
		rpk_free(l->rp);
		if (l->fd_rtp >= 0)
			close(l->fd_rtp);
		if (l->fd_rtcp >= 0)
			close(l->fd_rtcp);
		if (l->pool)
			mpool_release(l->pool, l->port, 1);
	}
	atomic_fetch_sub(&s->w->load, 1);
	s->release(s->owner);
	free(s);
}

static int add_leg_events(struct rsess *s, struct rleg *l)
{
	struct event_base *base = s->w->base;

	if (l->fd_rtp < 0)
		return 0;
	l->ev_rtp = event_new(base, l->fd_rtp, EV_READ | EV_PERSIST, relay_on_rtp, l);
	l->ev_rtcp = event_new(base, l->fd_rtcp, EV_READ | EV_PERSIST, relay_on_rtcp, l);
	if (!l->ev_rtp || !l->ev_rtcp || event_add(l->ev_rtp, NULL) < 0 ||
	    event_add(l->ev_rtcp, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static void do_add(void *arg)
{
	struct rsess *s = arg;
	struct event_base *base = s->w->base;
	int rc = 0;

	s->ev_notify = event_new(base, -1, 0, on_notify, s);
	if (!s->ev_notify)
		rc = -ENOMEM;
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = add_leg_events(s, &s->leg[i]);
	unsigned t = s->rtp_timeout;
	if (s->hold_timeout && (!t || s->hold_timeout < t))
		t = s->hold_timeout;
	if (rc == 0 && t) {
		/* A quarter of the shortest timeout, between 100 ms and 1 s. */
		unsigned ms = t * 250;
		if (ms > 1000)
			ms = 1000;
		if (ms < 100)
			ms = 100;
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
		s->ev_tick = event_new(base, -1, EV_PERSIST, on_tick, s);
		if (!s->ev_tick || event_add(s->ev_tick, &tv) < 0)
			rc = -ENOMEM;
	}
	if (rc)
		LOG_ERR("media: worker %u: cannot register a session's events; its media is dead",
			s->w->idx);
}

/* Queue freed before the add ran (core freed with the session alive). */
static void drop_add(void *arg)
{
	free_session(arg);
}

int rsess_start(struct rsess *rs)
{
	/* On failure the caller still calls rsess_stop(), which undoes this. */
	atomic_fetch_add(&rs->w->load, 1);
	return mworker_post(rs->w, do_add, drop_add, rs);
}

struct conf_msg {
	struct rsess *s;
	struct rsess_conf c;
};

static void apply_leg(struct rsess *s, struct rleg *l, const struct rleg_conf *c, uint64_t now)
{
	struct rleg_conf old = l->conf;

	l->conf = *c;
	if (!c->negotiated)
		return;
	l->ref_ms = now;
	if (l->ep != MEDIA_ENDPOINT_NONE)
		return;
	bool moved = !old.negotiated || old.have_addr != c->have_addr ||
		     (c->have_addr && !na_equal(&old.rtp, &c->rtp));
	if (moved) {
		/* New peer address: forget the old source, listen afresh. */
		l->lstate = RL_NONE;
		l->have_rtcp_src = false;
		l->window_end = now + (uint64_t)s->latch_window * 1000;
	}
	relay_update_rtcp_dst(l);
}

static void do_conf(void *arg)
{
	struct conf_msg *m = arg;
	struct rsess *s = m->s;
	uint64_t now = mworker_clock_ms();

	for (int i = 0; i < 2; i++) {
		apply_leg(s, &s->leg[i], &m->c.leg[i], now);
		s->leg[i].map = m->c.map[i];
		s->leg[i].rp = rpk_replace(s->leg[i].rp, m->c.rp[i]);
		if (s->leg[i].ep == MEDIA_ENDPOINT_NONE)
			rsec_apply(&s->leg[i], &m->c.sec[i], now);
	}
	xrelay_apply(s, m->c.xc, m->c.xc_keep);
	s->timed_out = false;
	endpoint_tone_update(s);
	free(m);
}

static void drop_conf(void *arg)
{
	struct conf_msg *m = arg;
	xcode_free(m->c.xc);
	rpk_free(m->c.rp[0]);
	rpk_free(m->c.rp[1]);
	free(m);
}

int rsess_configure(struct rsess *rs, const struct rsess_conf *conf)
{
	struct conf_msg *m = malloc(sizeof *m);
	if (!m) {
		xcode_free(conf->xc);
		rpk_free(conf->rp[0]);
		rpk_free(conf->rp[1]);
		return -ENOMEM;
	}
	m->s = rs;
	m->c = *conf;
	int rc = mworker_post(rs->w, do_conf, drop_conf, m);
	if (rc)
		drop_conf(m);
	return rc;
}

struct dtmf_msg {
	struct rsess *s;
	int from;
	char digit;
	unsigned dur_ms;
};

static void do_dtmf(void *arg)
{
	struct dtmf_msg *m = arg;
	dinfo_inject(m->s, m->from, m->digit, m->dur_ms);
	free(m);
}

int rsess_dtmf(struct rsess *rs, int from, char digit, unsigned duration_ms)
{
	struct dtmf_msg *m = malloc(sizeof *m);
	if (!m)
		return -ENOMEM;
	*m = (struct dtmf_msg){ rs, from, digit, duration_ms };
	int rc = mworker_post(rs->w, do_dtmf, free, m);
	if (rc)
		free(m);
	return rc;
}

static void do_remove(void *arg)
{
	free_session(arg);
}

void rsess_stop(struct rsess *rs)
{
	for (int i = 0; i < 2; i++)
		if (rs->leg[i].pool)
			mpool_release_pending(rs->leg[i].pool);
	/* The removal must reach the worker, or sockets and ports leak. */
	while (mworker_post(rs->w, do_remove, do_remove, rs) < 0)
		usleep(1000);
}

void rsess_leg_counters(struct rsess *rs, int leg, struct rleg_counters *out)
{
	struct rleg *l = &rs->leg[leg];
	out->packets_in = mw_get(&l->pin);
	out->packets_out = mw_get(&l->pout);
	out->bytes_in = mw_get(&l->bin);
	out->bytes_out = mw_get(&l->bout);
	out->dropped = mw_get(&l->drop);
}
