/* session_timer.c - see session_timer.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_util.h>

#include "core/log.h"
#include "sip/sdp_origin.h"
#include "sip/session_timer.h"

#define REASON_EXPIRED "Q.850;cause=102;text=\"Session timer expired\""
#define RETRY_SOON_S 2          /* after glare (491) or while an offer is relayed */

enum refreshing { RF_IDLE, RF_UPDATE, RF_INVITE };

struct stimer {
	char *tx;                   /* SDP last sent on the leg (malloc'd) */
	char *rx;                   /* SDP last received from the leg (malloc'd) */
	bool allow_update;          /* the peer takes UPDATE */
	bool peer_timer;            /* the peer said it supports timers (RFC 4028) */
	unsigned interval;          /* negotiated session interval, s; 0 = none */
	bool we_refresh;
	enum refreshing refreshing; /* our refresh in flight */
	su_timer_t *t;
};

static struct stimer *st_of(struct tcall_leg *leg)
{
	if (!leg->st)
		leg->st = calloc(1, sizeof *leg->st);
	return leg->st;
}

void stimer_leg_free(struct tcall_leg *leg)
{
	struct stimer *st = leg->st;
	if (!st)
		return;
	if (st->t)
		su_timer_destroy(st->t);
	free(st->tx);
	free(st->rx);
	free(st);
	leg->st = NULL;
}

unsigned stimer_interval_for(const struct call *c, const struct tconf_trunk *t)
{
	if (t && !t->session_timer)
		return 0;
	unsigned se = c->conf->calls.session_expires;
	return se && se < c->conf->calls.min_se ? c->conf->calls.min_se : se;
}

static char *dup_len(const char *s, size_t len)
{
	char *d = malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

void stimer_note_tx(struct tcall_leg *leg, const char *sdp)
{
	struct stimer *st = sdp ? st_of(leg) : NULL;
	char *d = st ? strdup(sdp) : NULL;
	if (d) {
		free(st->tx);
		st->tx = d;
	}
}

void stimer_note_rx(struct tcall_leg *leg, const char *sdp, size_t len)
{
	struct stimer *st = sdp ? st_of(leg) : NULL;
	char *d = st ? dup_len(sdp, len) : NULL;
	if (d) {
		free(st->rx);
		st->rx = d;
	}
}

void stimer_note_allow(struct tcall_leg *leg, sip_t const *sip)
{
	struct stimer *st = sip ? st_of(leg) : NULL;
	if (st)
		st->allow_update = sip->sip_allow &&
				   sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE");
}

bool stimer_answer_refresh(struct call *c, struct tcall_leg *leg, nua_handle_t *nh,
			   const char *sdp, size_t len, bool update)
{
	struct stimer *st = leg->st;
	if (!st || !st->tx || !st->rx || c->reinvite_from || c->state != CS_CONFIRMED ||
	    !sdp_same_session(sdp, len, st->rx, strlen(st->rx)))
		return false;
	LOG_DEBUG("call %s: leg %c refreshed the session (%s): answered here", c->id,
		  leg == &c->a ? 'A' : 'B', update ? "UPDATE" : "re-INVITE");
	nua_respond(nh, SIP_200_OK, TAG_IF(update, NUTAG_WITH_THIS(c->sip->nua)),
		    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(st->tx),
		    TAG_END());
	return true;
}

void stimer_negotiate(struct call *c, struct tcall_leg *leg, sip_t const *msg, bool uas)
{
	unsigned local = stimer_interval_for(c, leg == &c->b ? c->trunk : NULL);
	struct stimer *st = msg ? st_of(leg) : NULL;
	if (!st)
		return;
	if (!local) {
		st->interval = 0;
		return;
	}
	sip_session_expires_t const *x = msg->sip_session_expires;
	/* once a peer said it does timers it does (a refresh need not repeat it) */
	st->peer_timer |= sip_has_feature(msg->sip_supported, "timer") ||
			  sip_has_feature(msg->sip_require, "timer");
	bool peer_timer = st->peer_timer;
	const char *who = x ? x->x_refresher : NULL;
	/* a 2xx states the interval (RFC 4028 7.2); a request may be lowered */
	unsigned iv = x && x->x_delta && (!uas || x->x_delta < local) ? (unsigned)x->x_delta : local;
	unsigned floor = c->conf->calls.min_se;
	if (msg->sip_min_se && msg->sip_min_se->min_delta > floor)
		floor = (unsigned)msg->sip_min_se->min_delta;
	st->interval = iv < floor ? floor : iv;
	/* RFC 4028 9: a peer without timers leaves the refreshing to us; else
	 * the refresher parameter decides; a UAS without one lets the UAC do it */
	if (!peer_timer)
		st->we_refresh = true;
	else if (who)
		st->we_refresh = !strcasecmp(who, uas ? "uas" : "uac");
	else
		st->we_refresh = !uas;
}

static void refresh(struct call *c, struct tcall_leg *leg);

static void on_timer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m; (void)t;
	struct tcall_leg *leg = arg;
	if (leg->call)
		refresh(leg->call, leg);
}

static void arm_in(struct call *c, struct tcall_leg *leg, unsigned seconds)
{
	struct stimer *st = leg->st;
	if (!st->t)
		st->t = su_timer_create(su_root_task(c->sip->root), 1000);
	if (st->t)
		su_timer_set_interval(st->t, on_timer, leg, seconds * 1000u);
}

void stimer_arm(struct call *c, struct tcall_leg *leg)
{
	struct stimer *st = leg->st;
	if (!st)
		return;
	if (st->t)
		su_timer_reset(st->t);
	if (st->interval && st->we_refresh)
		arm_in(c, leg, st->interval / 3 ? st->interval / 3 : 1);
}

static void refresh(struct call *c, struct tcall_leg *leg)
{
	struct stimer *st = leg->st;
	if (!leg->nh || leg->gone || leg->bye_sent || c->state != CS_CONFIRMED)
		return;
	if (c->reinvite_from || st->refreshing) {
		/* an offer is being relayed on the call: it refreshes too */
		arm_in(c, leg, RETRY_SOON_S);
		return;
	}
	if (st->allow_update || !st->tx) {
		st->refreshing = RF_UPDATE;
		nua_update(leg->nh, TAG_END());
	} else {
		/* exactly what the leg has: the media do not change */
		st->refreshing = RF_INVITE;
		nua_invite(leg->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			   SIPTAG_PAYLOAD_STR(st->tx), TAG_END());
	}
	LOG_DEBUG("call %s: refreshing leg %c's session (%s)", c->id, leg == &c->a ? 'A' : 'B',
		  st->refreshing == RF_UPDATE ? "UPDATE" : "re-INVITE");
}

bool stimer_on_response(struct call *c, struct tcall_leg *leg, nua_event_t ev, int status)
{
	struct stimer *st = leg->st;
	if (!st || st->refreshing == RF_IDLE ||
	    (ev == nua_r_update) != (st->refreshing == RF_UPDATE))
		return false;
	if (status < 200)
		return true;
	enum refreshing was = st->refreshing;
	st->refreshing = RF_IDLE;
	if (status < 300) {
		stimer_negotiate(c, leg, c->ev.sip, false);
		stimer_arm(c, leg);
	} else if (status == 408 || status == 481) {
		LOG_NOTICE("call %s: leg %c's session refresh failed (%d): ending the call", c->id,
			   leg == &c->a ? 'A' : 'B', status);
		stimer_expired(c, leg);
	} else if (was == RF_UPDATE && (status == 405 || status == 501)) {
		st->allow_update = false;       /* try a re-INVITE next */
		arm_in(c, leg, 1);
	} else {
		LOG_INFO("call %s: leg %c's session refresh got %d: retrying", c->id,
			 leg == &c->a ? 'A' : 'B', status);
		arm_in(c, leg, status == 491 ? RETRY_SOON_S : (st->interval / 6 ? st->interval / 6 : 1));
	}
	return true;
}

void stimer_expired(struct call *c, struct tcall_leg *leg)
{
	if (leg->bye_sent)
		return;
	if (leg->gone) {
		c->q850 = 102;      /* the call is ending already: just say why */
		return;
	}
	LOG_NOTICE("call %s: leg %c's session expired (its peer stopped refreshing, RFC 4028): "
		   "ending the call", c->id, leg == &c->a ? 'A' : 'B');
	leg->bye_sent = true;       /* nua ends that dialog itself */
	c->q850 = 102;              /* recovery on timer expiry */
	snprintf(c->reason, sizeof c->reason, "%s", REASON_EXPIRED);
	c->ev.sip = NULL;
	c->ev.sdp = NULL;
	c->ev.leg = NULL;
	c->ev.status = 0;
	call_fsm_feed(c, EV_HANGUP);
}
