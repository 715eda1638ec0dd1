/* relay_sec.c - secure transport on the worker (see relay_sec.h). */
#include "config.h"

#include "media/relay_sec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/log.h"
#include "media/relay_priv.h"
#include "media/stun.h"

#define TICK_FAST_MS 100            /* while a DTLS handshake runs */
#define TICK_SLOW_MS 1000           /* consent checks */

struct rsec {
	struct rsec_conf c;
	struct msrtp *srtp;             /* non-NULL: keys in place */
	struct mdtls *dtls;
	struct ice_lite ice;
	struct event *ev_timer;
	bool fast;
	uint64_t dtls_deadline;
	bool dead;                      /* failed or consent lost: nothing flows */
	bool have_dtls_peer;
	na_addr_t dtls_peer;            /* where DTLS records go without ICE */
};

/* Counted like the relay's own drops: per leg and per worker. */
static void drop(struct rleg *l)
{
	mw_add(&l->drop, 1);
	mw_add(&l->w->dropped, 1);
}

static void fail(struct rleg *l, unsigned what, const char *why)
{
	struct rsec *s = l->sec;
	if (s->dead)
		return;
	s->dead = true;
	snprintf(l->pend_why, sizeof(l->pend_why), "%s", why);
	rsess_pend(l, what, NULL);
}

static const na_addr_t *dtls_dest(const struct rleg *l)
{
	const struct rsec *s = l->sec;
	if (s->c.ice)
		return s->ice.have_selected ? &s->ice.selected : NULL;
	if (s->have_dtls_peer)
		return &s->dtls_peer;
	return l->conf.have_addr ? &l->conf.rtp : NULL;
}

static void dtls_flush(struct rleg *l)
{
	struct rsec *s = l->sec;
	const na_addr_t *to = dtls_dest(l);
	uint8_t buf[1500];
	size_t n;

	if (!s->dtls || !to)
		return;                 /* stays queued until we know where */
	while ((n = mdtls_output(s->dtls, buf, sizeof(buf))) > 0)
		if (sendto(l->fd_rtp, buf, n, MSG_DONTWAIT, &to->sa, na_len(to)) < 0)
			drop(l);
}

static void set_tick(struct rleg *l, bool fast)
{
	struct rsec *s = l->sec;
	unsigned ms = fast ? TICK_FAST_MS : TICK_SLOW_MS;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	s->fast = fast;
	event_add(s->ev_timer, &tv);
}

static void dtls_settle(struct rleg *l, enum mdtls_state st)
{
	struct rsec *s = l->sec;
	struct msrtp_keys tx, rx;

	if (st == MDTLS_FAILED) {
		fail(l, RP_SECFAIL, mdtls_error(s->dtls));
		return;
	}
	if (st != MDTLS_CONNECTED || s->srtp)
		return;
	if (mdtls_srtp_keys(s->dtls, &tx, &rx) < 0 || msrtp_new(&tx, &rx, &s->srtp) < 0) {
		fail(l, RP_SECFAIL, "no SRTP profile agreed in DTLS");
		return;
	}
	snprintf(l->pend_why, sizeof(l->pend_why), "%s", msrtp_suite_name(tx.suite));
	rsess_pend(l, RP_SECURE, NULL);
	memset(&tx, 0, sizeof(tx));
	memset(&rx, 0, sizeof(rx));
	set_tick(l, false);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rleg *l = arg;
	struct rsec *s = l->sec;
	uint64_t now = mworker_clock_ms();

	if (s->dead)
		return;
	if (s->dtls && !s->srtp) {
		if (now >= s->dtls_deadline) {
			fail(l, RP_SECFAIL, "DTLS handshake timeout");
			return;
		}
		if (mdtls_timeout_ms(s->dtls) == 0) {
			mdtls_on_timer(s->dtls);
			dtls_flush(l);
			dtls_settle(l, mdtls_state(s->dtls));
		}
	}
	if (s->c.ice && ice_lite_consent_expired(&s->ice, now, ICE_CONSENT_TIMEOUT_MS))
		fail(l, RP_CONSENT, "no ICE consent check for 30 s");
	if (!s->dead)
		set_tick(l, s->dtls && !s->srtp);
}

void rsec_free(struct rleg *l)
{
	struct rsec *s = l->sec;
	if (!s)
		return;
	if (s->ev_timer)
		event_free(s->ev_timer);
	mdtls_free(s->dtls);
	msrtp_free(s->srtp);
	memset(&s->c, 0, sizeof(s->c));
	free(s);
	l->sec = NULL;
}

static int build(struct rleg *l, const struct rsec_conf *c, uint64_t now)
{
	struct rsec *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	l->sec = s;
	s->c = *c;
	s->ev_timer = event_new(l->w->base, -1, 0, on_timer, l);
	if (!s->ev_timer)
		return -ENOMEM;
	if (c->ice) {
		ice_lite_init(&s->ice, now);
		/* The credentials are the ones the owner put in our SDP. */
		memcpy(s->ice.lufrag, c->lufrag, sizeof(s->ice.lufrag));
		memcpy(s->ice.lpwd, c->lpwd, sizeof(s->ice.lpwd));
		ice_lite_set_remote(&s->ice, c->rufrag, now);
	}
	if (c->kind == RSEC_SDES)
		return msrtp_new(&c->tx, &c->rx, &s->srtp);
	if (c->kind == RSEC_DTLS) {
		int rc = mdtls_new(c->cert, c->dtls_client, c->remote_fp, &s->dtls);
		if (rc < 0)
			return rc;
		s->dtls_deadline = now + RSEC_DTLS_TIMEOUT_MS;
		if ((rc = mdtls_start(s->dtls)) < 0)
			return rc;
		dtls_flush(l);
		set_tick(l, true);
		return 0;
	}
	set_tick(l, false);
	return 0;
}

/* Same transport but for the ICE credentials: an ICE restart. */
static bool ice_restart_only(const struct rsec_conf *a, const struct rsec_conf *b)
{
	struct rsec_conf x = *a, y = *b;
	if (!a->ice || !b->ice)
		return false;
	x.gen = y.gen = 0;
	struct rsec_conf *v[2] = { &x, &y };
	for (int i = 0; i < 2; i++) {
		memset(v[i]->lufrag, 0, sizeof(v[i]->lufrag));
		memset(v[i]->lpwd, 0, sizeof(v[i]->lpwd));
		memset(v[i]->rufrag, 0, sizeof(v[i]->rufrag));
	}
	return memcmp(&x, &y, sizeof(x)) == 0;
}

void rsec_apply(struct rleg *l, const struct rsec_conf *c, uint64_t now)
{
	if (l->sec && l->sec->c.gen == c->gen)
		return;
	if (l->sec && !l->sec->dead && ice_restart_only(&l->sec->c, c)) {
		/* New credentials, the selection forgotten until the peer's new
		 * checks; DTLS and SRTP keys carry on. */
		struct rsec *s = l->sec;
		s->c = *c;
		memcpy(s->ice.lufrag, c->lufrag, sizeof(s->ice.lufrag));
		memcpy(s->ice.lpwd, c->lpwd, sizeof(s->ice.lpwd));
		ice_lite_set_remote(&s->ice, c->rufrag, now);
		return;
	}
	rsec_free(l);
	if (!c->gen)
		return;
	int rc = build(l, c, now);
	if (rc < 0) {
		LOG_ERR("media: cannot set up %s on a leg: %s", c->kind == RSEC_DTLS ? "DTLS-SRTP" : "SRTP",
			rc == -ENOMEM ? "out of memory" : "bad keys or fingerprint");
		if (l->sec) {
			fail(l, RP_SECFAIL, "secure transport set-up failed");
		} else {
			snprintf(l->pend_why, sizeof(l->pend_why), "secure transport set-up failed");
			rsess_pend(l, RP_SECFAIL, NULL);
		}
	}
}

static void on_stun(struct rleg *l, const uint8_t *buf, size_t len, const na_addr_t *from, uint64_t now)
{
	struct rsec *s = l->sec;
	uint8_t resp[STUN_MAX_MSG];
	unsigned ev = 0;

	if (!s->c.ice || s->dead) {
		drop(l);
		return;
	}
	int n = ice_lite_on_stun(&s->ice, buf, len, from, now, resp, sizeof(resp), &ev);
	if (n <= 0) {
		drop(l);
		return;
	}
	if (sendto(l->fd_rtp, resp, (size_t)n, MSG_DONTWAIT, &from->sa, na_len(from)) < 0)
		drop(l);
	if (ev & ICE_EV_SELECTED) {
		rsess_pend(l, l->got_first ? RP_CHANGED : RP_LATCHED, from);
		dtls_flush(l);          /* a ClientHello waiting for a path */
	}
}

static void on_dtls(struct rleg *l, const uint8_t *buf, size_t len, const na_addr_t *from)
{
	struct rsec *s = l->sec;
	if (!s->dtls || s->dead) {
		drop(l);
		return;
	}
	if (!s->c.ice) {
		s->dtls_peer = *from;
		s->have_dtls_peer = true;
	}
	enum mdtls_state st = mdtls_input(s->dtls, buf, len);
	dtls_flush(l);
	dtls_settle(l, st);
}

int rsec_in(struct rleg *l, uint8_t *buf, size_t *len, const na_addr_t *from, uint64_t now)
{
	struct rsec *s = l->sec;
	uint8_t b0 = buf[0];

	if (*len == 0 || !l->conf.negotiated) {
		drop(l);
		return 0;
	}
	if (b0 < 4) {
		on_stun(l, buf, *len, from, now);
		return 0;
	}
	if (b0 >= 20 && b0 <= 63) {
		on_dtls(l, buf, *len, from);
		return 0;
	}
	if (b0 < 128 || b0 > 191 || *len < 12 || !s->srtp || s->dead) {
		drop(l);
		return 0;
	}
	if (buf[1] >= 192 && buf[1] <= 223) {   /* RTCP (RFC 5761 4) */
		if (!s->c.mux || msrtp_unprotect_rtcp(s->srtp, buf, len) < 0) {
			drop(l);
		} else {
			mw_add(&l->pin, 1);
			mw_add(&l->bin, *len);
			l->last_any = now;
		}
		return 0;
	}
	if (msrtp_unprotect(s->srtp, buf, len) < 0) {
		drop(l);
		return 0;
	}
	return 1;
}

void rsec_in_rtcp(struct rleg *l, uint8_t *buf, size_t len, const na_addr_t *from, uint64_t now)
{
	struct rsec *s = l->sec;
	if (s->srtp && !s->dead && len >= 8 && msrtp_unprotect_rtcp(s->srtp, buf, &len) == 0) {
		mw_add(&l->pin, 1);
		mw_add(&l->bin, len);
		l->last_any = now;
		return;
	}
	drop(l);
}

int rsec_out(struct rleg *l, uint8_t *buf, size_t *len, size_t cap)
{
	struct rsec *s = l->sec;
	if (!s->srtp || s->dead)
		return -EAGAIN;
	return msrtp_protect(s->srtp, buf, len, cap);
}

const na_addr_t *rsec_ice_target(const struct rleg *l)
{
	const struct rsec *s = l->sec;
	return s->ice.have_selected && !s->dead ? &s->ice.selected : NULL;
}

bool rsec_has_ice(const struct rleg *l)
{
	return l->sec && l->sec->c.ice;
}
