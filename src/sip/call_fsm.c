/* call_fsm.c - the call state machine: one table of (state, event) cells.
 *
 * Read the table at the bottom first: it is the whole behaviour of a call.
 * Each action runs with c->ev describing the event (leg, status, SDP) and
 * returns the next state, or NEXT to take the one the cell names.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "sip/call.h"
#include "sip/refer.h"

#define NEXT (-1)

typedef int (*call_action)(struct call *c);

struct transition {
	call_action act;
	int next;                   /* enum call_state, or NEXT when the action decides */
};

static struct tcall_leg *other(struct call *c, struct tcall_leg *l)
{
	return l == &c->a ? &c->b : &c->a;
}

/* B leg responses to the initial INVITE ---------------------------------- */

/* B said something: the setup timer is done, the no-answer timer runs. */
static void progress_timers(struct call *c)
{
	if (c->t_setup) {
		su_timer_destroy(c->t_setup);
		c->t_setup = NULL;
	}
	if (!c->t_noanswer)
		call_timer_start(c, &c->t_noanswer, c->conf->calls.no_answer_timeout, EV_T_NOANSWER);
}

static int act_b_progress(struct call *c)
{
	progress_timers(c);
	/* 183 without SDP means nothing to A beyond ringing: relay as is. */
	call_respond_a(c, c->ev.status, c->ev.phrase, NULL, 0);
	return NEXT;
}

static int act_b_early_media(struct call *c)
{
	struct media_sdp out = { 0 };
	int rc = media_session_answer(c->media, MEDIA_LEG_B, c->ev.sdp, c->ev.sdp_len, &out);
	if (rc == 0 && !out.sdp && c->state == CS_EARLY) {
		/* the same early answer again, or another fork's: A keeps the
		 * SDP it has; relay the provisional without a body */
		act_b_progress(c);
		return NEXT;
	}
	if (rc < 0 || !out.sdp || out.is_offer) {
		/* Unusable early SDP, or A sent no offer (we must not put an
		 * offer in an unreliable 18x): A hears ringing, not media. */
		if (rc < 0)
			LOG_INFO("call %s: ignoring early media SDP from B: %s", c->id, strerror(-rc));
		media_sdp_clear(&out);
		act_b_progress(c);
		return CS_RINGING;
	}
	progress_timers(c);
	call_respond_a(c, c->ev.status == 180 ? 180 : 183, c->ev.status == 180 ? "Ringing" :
		       "Session Progress", out.sdp, out.len);
	media_sdp_clear(&out);
	return NEXT;
}

static int act_b_answer(struct call *c)
{
	struct media_sdp out = { 0 };
	int rc = 0;

	call_timers_stop(c);
	if (c->ev.sdp)
		rc = media_session_answer(c->media, MEDIA_LEG_B, c->ev.sdp, c->ev.sdp_len, &out);
	if (rc == -EPROTO && c->state == CS_EARLY)
		rc = 0;     /* an UPDATE settled the early session: no offer is open */
	else if (!c->ev.sdp && c->state != CS_EARLY)
		rc = -EINVAL;           /* B never answered our offer */
	/* After early media A already has its answer (a 200 from the same or
	 * another fork only updates B's side): the 200 repeats that SDP. */
	const char *sdp = out.sdp ? out.sdp : c->state == CS_EARLY ? c->a_sdp : NULL;
	if (rc < 0 || !sdp) {
		LOG_WARN("call %s: B answered with %s SDP (%s): hanging up", c->id,
			 c->ev.sdp ? "unusable" : "no", rc < 0 ? strerror(-rc) : "nothing to send");
		media_sdp_clear(&out);
		call_bye(c, &c->b, "SIP;cause=488;text=\"Unusable SDP\"");
		call_fail_a(c, 502, "Bad Gateway", "unusable answer from the far end");
		return CS_TERMINATING;
	}
	call_answered(c);
	call_respond_a(c, 200, "OK", sdp, strlen(sdp));
	media_sdp_clear(&out);
	if (c->conf->calls.max_duration)
		call_timer_start(c, &c->t_maxdur, c->conf->calls.max_duration, EV_T_MAXDUR);
	return NEXT;
}

/* Failover (routes with several trunks): on 408, 5xx, an unanswerable
 * 401/407 (no or refused credentials) or no response at all,
 * before any early media reached A. Never on 4xx/6xx answers such as 486,
 * 404 or 603: the callee was reached and said no. */
static bool should_fail_over(const struct call *c)
{
	int st = c->ev.status;
	return c->state != CS_EARLY && (st == 408 || (st >= 500 && st < 600) || !c->ev.sip ||
					/* a challenge we could not answer: that trunk is unusable */
					((st == 401 || st == 407) && c->trunk));
}

/* A Q.850 cause in a Reason header from B goes into the call record. */
static void note_reason(struct call *c)
{
	for (sip_reason_t const *r = c->ev.sip ? c->ev.sip->sip_reason : NULL; r; r = r->re_next)
		if (r->re_protocol && !strcasecmp(r->re_protocol, "Q.850") && r->re_cause)
			c->q850 = atoi(r->re_cause);
}

static int act_b_reject(struct call *c)
{
	c->b.bye_sent = true;       /* B's INVITE failed: its dialog ends by itself */
	note_reason(c);
	if (should_fail_over(c)) {
		char why[64];
		snprintf(why, sizeof why, "%d %s", c->ev.status, c->ev.sip ? "" : "no response");
		if (call_failover(c, why) == 0)
			return CS_TRYING;
	}
	call_timers_stop(c);
	c->b.bye_sent = true;       /* B's INVITE failed: its dialog ends by itself */
	media_session_offer_rejected(c->media, MEDIA_LEG_B);
	int code = call_map_status(c, c->ev.status);
	const char *phrase = code == c->ev.status ? c->ev.phrase : NULL;
	char why[160];
	/* sofia makes up a response when nothing came back (no message) */
	snprintf(why, sizeof why, "%s %s %d %s%s", c->trunk ? "trunk" : "far end",
		 c->trunk ? c->trunk->name : "", c->ev.status, c->ev.phrase ? c->ev.phrase : "",
		 c->ev.sip ? "" : ": no response (unreachable, transport error or timeout)");
	call_fail_a(c, code, phrase, why);
	return NEXT;
}

/* A gives up, or the gateway does ---------------------------------------- */

static int act_a_cancel(struct call *c)
{
	/* nua has already answered the CANCEL and sent 487 on A. */
	c->a_final_sent = true;
	c->final_code = 487;
	call_timers_stop(c);
	call_cancel_b(c);
	return NEXT;
}

static int act_setup_timeout(struct call *c)
{
	char why[64];
	snprintf(why, sizeof why, "no provisional within %us", c->conf->calls.setup_timeout);
	if (call_failover(c, why) == 0)
		return CS_TRYING;
	LOG_NOTICE("call %s: trunk %s sent no provisional within %us: giving up on it",
		   c->id, c->trunk ? c->trunk->name : "?", c->conf->calls.setup_timeout);
	call_fail_a(c, call_map_status(c, 408), NULL, "trunk did not answer");
	call_cancel_b(c);           /* deferred until B says anything, see call_cancel_b */
	return NEXT;
}

static int act_noanswer(struct call *c)
{
	LOG_INFO("call %s: no answer after %us", c->id, c->conf->calls.no_answer_timeout);
	c->noanswer = true;
	call_fail_a(c, 480, "No Answer", "no answer");
	call_cancel_b(c);
	return NEXT;
}

static int act_late_provisional(struct call *c)
{
	/* B woke up after we gave up: now CANCEL can be sent. */
	if (c->cancel_pending)
		call_cancel_b(c);
	return NEXT;
}

static int act_late_answer(struct call *c)
{
	/* CANCEL crossed B's 200, or B answered after we gave up on it: nua has
	 * ACKed the 200; end the dialog so no ghost call remains. */
	LOG_INFO("call %s: B answered after the call was given up: ACK and BYE", c->id);
	c->b.bye_sent = false;      /* the CANCEL we sent lost the race */
	call_bye(c, &c->b, "SIP;cause=487;text=\"Call already ended\"");
	return NEXT;
}

static int act_b_rejected_late(struct call *c)
{
	c->b.bye_sent = true;       /* 487 to our CANCEL, or the like */
	c->cancel_pending = false;
	return NEXT;
}

/* Established calls ------------------------------------------------------- */

static int act_ack(struct call *c)
{
	if (c->ev.leg == &c->a && c->a_late_offer && c->state == CS_ANSWERED) {
		struct media_sdp out = { 0 };
		int rc = c->ev.sdp ? media_session_answer(c->media, MEDIA_LEG_A, c->ev.sdp,
							  c->ev.sdp_len, &out) : -EINVAL;
		media_sdp_clear(&out);
		if (rc < 0) {
			LOG_WARN("call %s: ACK from A carried %s answer: hanging up", c->id,
				 c->ev.sdp ? "an unusable" : "no");
			call_bye(c, &c->a, "SIP;cause=488;text=\"No answer in ACK\"");
			call_bye(c, &c->b, "SIP;cause=488;text=\"No answer in ACK\"");
			return CS_TERMINATING;
		}
		return CS_CONFIRMED;
	}
	if (c->reinvite_local && c->reinvite_from == c->ev.leg) {
		/* answer to the offer we made in a 200 to an SDP-less re-INVITE */
		struct media_sdp out = { 0 };
		if (c->ev.sdp)
			media_session_answer(c->media, c->ev.leg->which, c->ev.sdp, c->ev.sdp_len, &out);
		else
			media_session_offer_rejected(c->media, c->ev.leg->which);
		media_sdp_clear(&out);
		c->reinvite_from = NULL;
		c->reinvite_local = false;
	}
	return c->state == CS_ANSWERED ? CS_CONFIRMED : NEXT;
}

static int act_reinvite(struct call *c)
{
	struct tcall_leg *from = c->ev.leg, *to = other(c, from);
	struct media_sdp out = { 0 };
	int rc;

	if (c->reinvite_from) {
		call_respond_reoffer(c, from, 491, NULL, NULL);
		return NEXT;
	}
	if (!c->ev.sdp) {
		/* re-INVITE without SDP: we offer in the 200, the ACK answers. */
		rc = media_session_local_offer(c->media, from->which, &out);
		if (rc < 0) {
			call_respond_reoffer(c, from, 500, NULL, NULL);
			return NEXT;
		}
		c->reinvite_from = from;
		c->reinvite_local = true;
		call_respond_reoffer(c, from, 200, NULL, &out);
		media_sdp_clear(&out);
		return NEXT;
	}
	rc = media_session_offer(c->media, from->which, c->ev.sdp, c->ev.sdp_len, &out);
	if (rc < 0) {
		call_respond_reoffer(c, from, rc == -ENOTSUP ? 488 : rc == -EBUSY ? 503 : 400,
				     rc == -ENOTSUP ? "Not Acceptable Here" :
				     rc == -EBUSY ? "Service Unavailable" : "Bad Session Description",
				     NULL);
		return NEXT;
	}
	if (!out.is_offer || c->endpoint != MEDIA_ENDPOINT_NONE || !to->nh) {
		/* the other side is the gateway itself: answer at once */
		call_respond_reoffer(c, from, 200, NULL, &out);
	} else {
		c->reinvite_from = from;
		c->reinvite_local = false;
		call_send_sdp(c, to, &out, 0);   /* status 0: send as a re-INVITE */
	}
	media_sdp_clear(&out);
	return NEXT;
}

static int act_reinvite_done(struct call *c)
{
	struct tcall_leg *from = c->reinvite_from, *to;
	if (!from || c->reinvite_local)
		return NEXT;
	to = other(c, from);
	c->reinvite_from = NULL;
	if (c->ev.status >= 300) {
		media_session_offer_rejected(c->media, to->which);
		/* relayed as is, 491 included: the offerer retries after its own
		 * random wait, which is what RFC 3261 14.1 asks of it */
		call_respond_reoffer(c, from, c->ev.status, c->ev.phrase, NULL);
		return NEXT;
	}
	struct media_sdp out = { 0 };
	int rc = c->ev.sdp ? media_session_answer(c->media, to->which, c->ev.sdp, c->ev.sdp_len, &out)
			   : -EINVAL;
	if (rc < 0 || !out.sdp) {
		media_sdp_clear(&out);
		call_respond_reoffer(c, from, 488, "Not Acceptable Here", NULL);
		return NEXT;
	}
	call_respond_reoffer(c, from, 200, NULL, &out);
	media_sdp_clear(&out);
	return NEXT;
}

static int act_bye(struct call *c)
{
	note_reason(c);
	struct tcall_leg *from = c->ev.leg, *to = other(c, from);
	const char *why = from == &c->a ? "caller hung up" : "callee hung up";
	call_drop_reoffer(c);
	from->bye_sent = true;      /* nua answered it; the dialog is ending */
	call_timers_stop(c);
	if (!c->a_final_sent && to == &c->a)
		call_fail_a(c, 480, NULL, why);
	else if (to == &c->b && c->state < CS_ANSWERED)
		call_cancel_b(c);
	else
		call_bye(c, to, NULL);
	return NEXT;
}

/* Ending the call from inside: max duration, RTP timeout, shutdown. */
static int act_hangup(struct call *c)
{
	call_timers_stop(c);
	call_drop_reoffer(c);
	refer_abort(c);
	const char *reason = c->reason[0] ? c->reason : NULL;
	if (!c->a_final_sent) {
		call_fail_a(c, 503, "Service Unavailable", reason ? reason : "gateway hang-up");
		call_cancel_b(c);
		return CS_CANCELLING;
	}
	call_bye(c, &c->a, reason);
	if (c->state < CS_ANSWERED)
		call_cancel_b(c);
	else
		call_bye(c, &c->b, reason);
	return CS_TERMINATING;
}

static int act_leg_gone(struct call *c)
{
	struct tcall_leg *l = c->ev.leg, *o = other(c, l);
	l->gone = true;
	l->nh = NULL;
	if (o->nh && !o->gone && !o->bye_sent) {
		/* one dialog died under us (ACK never came, transport error):
		 * end the other one too */
		if (o == &c->a && !c->a_final_sent)
			call_fail_a(c, call_map_status(c, 503), NULL, "far end lost");
		else if (o == &c->a || c->state == CS_ANSWERED || c->state == CS_CONFIRMED)
			call_bye(c, o, NULL);
		else
			call_cancel_b(c);
	}
	if ((c->a.gone || !c->a.nh) && (c->b.gone || !c->b.nh))
		return CS_DONE;
	return c->state == CS_CONFIRMED || c->state == CS_ANSWERED ? CS_TERMINATING : NEXT;
}

/* The table ---------------------------------------------------------------- */

#define T(a, n) { (a), (n) }
#define GONE [EV_LEG_GONE] = T(act_leg_gone, NEXT)

static const struct transition fsm[CS__COUNT][EV__COUNT] = {
	[CS_NEW] = {
		/* call.c routes the INVITE and moves to TRYING or ANSWERED */
		[EV_HANGUP] = T(act_hangup, NEXT),
		GONE,
	},
	[CS_TRYING] = {
		[EV_B_PROGRESS]    = T(act_b_progress, CS_RINGING),
		[EV_B_EARLY_MEDIA] = T(act_b_early_media, CS_EARLY),
		[EV_B_ANSWER]      = T(act_b_answer, CS_ANSWERED),
		[EV_B_REJECT]      = T(act_b_reject, CS_TERMINATING),
		[EV_A_CANCEL]      = T(act_a_cancel, CS_CANCELLING),
		[EV_T_SETUP]       = T(act_setup_timeout, CS_CANCELLING),
		[EV_HANGUP]        = T(act_hangup, NEXT),
		GONE,
	},
	[CS_RINGING] = {
		[EV_B_PROGRESS]    = T(act_b_progress, CS_RINGING),
		[EV_B_EARLY_MEDIA] = T(act_b_early_media, CS_EARLY),
		[EV_B_ANSWER]      = T(act_b_answer, CS_ANSWERED),
		[EV_B_REJECT]      = T(act_b_reject, CS_TERMINATING),
		[EV_A_CANCEL]      = T(act_a_cancel, CS_CANCELLING),
		[EV_T_NOANSWER]    = T(act_noanswer, CS_CANCELLING),
		[EV_HANGUP]        = T(act_hangup, NEXT),
		GONE,
	},
	[CS_EARLY] = {
		[EV_B_PROGRESS]    = T(act_b_progress, CS_EARLY),
		[EV_B_EARLY_MEDIA] = T(act_b_early_media, CS_EARLY),
		[EV_B_ANSWER]      = T(act_b_answer, CS_ANSWERED),
		[EV_B_REJECT]      = T(act_b_reject, CS_TERMINATING),
		[EV_A_CANCEL]      = T(act_a_cancel, CS_CANCELLING),
		[EV_T_NOANSWER]    = T(act_noanswer, CS_CANCELLING),
		[EV_MEDIA_TIMEOUT] = T(act_hangup, NEXT),
		[EV_HANGUP]        = T(act_hangup, NEXT),
		/* UPDATE in the early dialog (call.c lets only UPDATE through) */
		[EV_A_REINVITE]    = T(act_reinvite, CS_EARLY),
		[EV_B_REINVITE]    = T(act_reinvite, CS_EARLY),
		[EV_REINVITE_DONE] = T(act_reinvite_done, CS_EARLY),
		GONE,
	},
	[CS_ANSWERED] = {
		[EV_ACK]           = T(act_ack, CS_CONFIRMED),
		[EV_B_BYE]         = T(act_bye, CS_TERMINATING),
		[EV_A_BYE]         = T(act_bye, CS_TERMINATING),
		[EV_T_MAXDUR]      = T(act_hangup, NEXT),
		[EV_MEDIA_TIMEOUT] = T(act_hangup, NEXT),
		[EV_HANGUP]        = T(act_hangup, NEXT),
		GONE,
	},
	[CS_CONFIRMED] = {
		[EV_ACK]           = T(act_ack, CS_CONFIRMED),
		[EV_A_REINVITE]    = T(act_reinvite, CS_CONFIRMED),
		[EV_B_REINVITE]    = T(act_reinvite, CS_CONFIRMED),
		[EV_REINVITE_DONE] = T(act_reinvite_done, CS_CONFIRMED),
		[EV_A_BYE]         = T(act_bye, CS_TERMINATING),
		[EV_B_BYE]         = T(act_bye, CS_TERMINATING),
		[EV_T_MAXDUR]      = T(act_hangup, NEXT),
		[EV_MEDIA_TIMEOUT] = T(act_hangup, NEXT),
		[EV_HANGUP]        = T(act_hangup, NEXT),
		GONE,
	},
	[CS_CANCELLING] = {
		[EV_B_PROGRESS]    = T(act_late_provisional, CS_CANCELLING),
		[EV_B_EARLY_MEDIA] = T(act_late_provisional, CS_CANCELLING),
		[EV_B_ANSWER]      = T(act_late_answer, CS_TERMINATING),
		[EV_B_REJECT]      = T(act_b_rejected_late, CS_TERMINATING),
		[EV_B_BYE]         = T(act_b_rejected_late, CS_TERMINATING),
		GONE,
	},
	[CS_TERMINATING] = {
		[EV_B_ANSWER]      = T(act_late_answer, CS_TERMINATING),
		[EV_A_BYE]         = T(act_bye, CS_TERMINATING),
		[EV_B_BYE]         = T(act_bye, CS_TERMINATING),
		GONE,
	},
	[CS_DONE] = { { NULL, 0 } },
};

static const char *const state_names[CS__COUNT] = {
	"new", "trying", "ringing", "early", "answered", "confirmed",
	"cancelling", "terminating", "done",
};

static const char *const event_names[EV__COUNT] = {
	"b-progress", "b-early-media", "b-answer", "b-reject", "a-cancel", "ack",
	"a-bye", "b-bye", "a-reinvite", "b-reinvite", "reinvite-done", "setup-timeout",
	"noanswer-timeout", "maxdur-timeout", "media-timeout", "hangup", "leg-gone",
};

const char *call_state_name(enum call_state s) { return s < CS__COUNT ? state_names[s] : "?"; }
const char *call_event_name(enum call_event e) { return e < EV__COUNT ? event_names[e] : "?"; }

void call_fsm_feed(struct call *c, enum call_event ev)
{
	const struct transition *t = &fsm[c->state][ev];
	enum call_state before = c->state;

	if (!t->act && t->next == CS_NEW) {
		/* an empty cell (no transition goes back to CS_NEW): nothing to
		 * do in this state. An offer we cannot take now gets 491. */
		LOG_DEBUG("call %s: %s ignored in state %s", c->id, call_event_name(ev),
			  call_state_name(before));
		if ((ev == EV_A_REINVITE || ev == EV_B_REINVITE) && c->ev.leg->nh)
			nua_respond(c->ev.leg->nh, SIP_491_REQUEST_PENDING, TAG_END());
		return;
	}
	int next = t->act ? t->act(c) : NEXT;
	if (next == NEXT)
		next = t->next;
	if (next == NEXT)           /* neither the cell nor the action moves on */
		next = before;
	if (c->state == before)     /* an action may already have moved on */
		c->state = (enum call_state)next;
	if (c->state != before)
		LOG_DEBUG("call %s: %s -> %s on %s", c->id, call_state_name(before),
			  call_state_name(c->state), call_event_name(ev));
	call_maybe_free(c);
}
