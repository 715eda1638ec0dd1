/* refer.c - see refer.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "sip/prack.h"
#include "sip/refer.h"
#include "sip/session_timer.h"
#include "sip/trunks.h"

#define REASON_XFER "SIP;cause=200;text=\"Call transferred\""

struct xfer {
	struct tcall_leg leg;       /* the new leg (hmagic of its handle) */
	struct tcall_leg *referrer; /* &c->a or &c->b */
	sip_event_t *event;         /* Event of the NOTIFYs (in the referrer handle's home) */
	const struct tconf_trunk *trunk;
	const char *held;           /* trunk channel the new leg holds, or NULL */
	const char *held_a;         /* channel of a leg that replaced leg A (the call's
				     * own is leg B's), released with the call */
	char number[64], called_out[100];
	bool pending;               /* the new leg's INVITE is under way */
	bool referrer_gone;         /* the referrer hung up meanwhile */
};

static struct tcall_leg *other(struct call *c, struct tcall_leg *l)
{
	return l == &c->a ? &c->b : &c->a;
}

bool refer_pending(const struct call *c)
{
	return c->xfer && c->xfer->pending;
}

/* NOTIFY the referrer how the transfer goes (RFC 3515 2.4.5: message/sipfrag
 * with the status line). */
static void notify(nua_handle_t *nh, sip_event_t const *ev, int status, const char *phrase,
		   bool final)
{
	char frag[96];
	if (!nh)
		return;
	snprintf(frag, sizeof frag, "SIP/2.0 %d %s\r\n", status,
		 phrase && *phrase ? phrase : sip_status_phrase(status) ? sip_status_phrase(status) : "");
	for (char *p = frag; *p && p[1]; p++)
		if ((unsigned char)*p < 0x20 && !(p[0] == '\r' && p[1] == '\n'))
			*p = ' ';
	nua_notify(nh, NUTAG_SUBSTATE(final ? nua_substate_terminated : nua_substate_active),
		   TAG_IF(ev, SIPTAG_EVENT(ev)), TAG_IF(!ev, SIPTAG_EVENT_STR("refer")),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(frag),
		   TAG_END());
}

static void copy_number(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
	for (char *p = dst; *p; p++)
		if (!(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !strchr("+-_.*#", *p))
			*p = '_';
}

/* The first trunk of the number's route that can take a call, as for a new
 * call; the status to refuse with otherwise. */
static int route_target(struct call *c, struct tcall_leg *slot, const char *number,
			const struct tconf_trunk **out, const char **why)
{
	const struct tconf_route *r = tconf_route_lookup(c->conf, number);
	const char *busy = NULL;
	*why = "no route";
	if (!r || !r->ntargets)
		return 404;
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct tconf_target *tg = &r->targets[i];
		if (tg->kind != TCONF_TARGET_TRUNK) {
			*why = "the route ends on a local endpoint";
			return 403;
		}
		if (!trunk_usable(c->sip, tg->trunk, &busy))
			continue;
		/* the slot's media sockets stay: the trunk must use their interface */
		const char *cur = slot == &c->b && c->trunk ? c->trunk->interface : NULL;
		const char *nif = tg->trunk->interface;
		if (slot == &c->a && nif && strcmp(nif, c->conf->interfaces[0].name))
			continue;
		if (slot == &c->b && (cur || nif) && (!cur || !nif || strcmp(cur, nif)))
			continue;
		*out = tg->trunk;
		return 0;
	}
	*why = busy ? busy : "no usable trunk on this interface";
	return 503;
}

static int invite_target(struct call *c, struct xfer *x, const struct media_sdp *offer)
{
	const struct tconf_trunk *tr = x->trunk;
	const struct tconf_interface *ifc = &c->conf->interfaces[0];
	const char *adv = ifc->advertise ? ifc->advertise : ifc->address;
	const char *tp = tr->transport == TCONF_TP_TCP ? ";transport=tcp" :
			 tr->transport == TCONF_TP_TLS ? ";transport=tls" : "";
	bool v6 = strchr(tr->host, ':') != NULL;
	char to[256], from[256], ruri[256];
	/* the transferee calls the target: its number is the caller */
	const char *who = x->referrer == &c->b ? c->caller : c->called;
	const char *from_user = tr->caller_id ? tr->caller_id : who[0] ? who : "anonymous";
	size_t len = strlen(x->number), strip = tr->strip < len ? tr->strip : len;

	snprintf(x->called_out, sizeof x->called_out, "%s%s", tr->prepend ? tr->prepend : "",
		 x->number + strip);
	snprintf(ruri, sizeof ruri, "sip:%s@%s%s%s:%u%s", x->called_out, v6 ? "[" : "", tr->host,
		 v6 ? "]" : "", tr->port, tp);
	snprintf(to, sizeof to, "<sip:%s@%s%s%s:%u>", x->called_out, v6 ? "[" : "", tr->host,
		 v6 ? "]" : "", tr->port);
	snprintf(from, sizeof from, "<sip:%s@%s>", from_user, adv);
	x->leg.nh = nua_handle(c->sip->nua, &x->leg, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
			       TAG_END());
	if (!x->leg.nh)
		return -ENOMEM;
	unsigned se = stimer_interval_for(c, tr);
	nua_set_hparams(x->leg.nh, SIPTAG_SUPPORTED_STR(prack_supported(tr, se > 0)),
			NUTAG_SESSION_TIMER(se), NUTAG_MIN_SE(c->conf->calls.min_se), TAG_END());
	stimer_note_tx(&x->leg, offer->sdp);
	const char *req = prack_require(tr);
	nua_invite(x->leg.nh, NUTAG_URL(ruri), TAG_IF(req, SIPTAG_REQUIRE_STR(req)),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer->sdp),
		   TAG_END());
	trunk_acquire(c->sip, tr->name);
	x->held = tr->name;
	LOG_INFO("call %s: transfer: %s -> %s via trunk %s (%s)", c->id, from_user, x->called_out,
		 tr->name, ruri);
	return 0;
}

/* Why a REFER cannot be carried out, as a status (0: it can). */
static int refer_check(struct call *c, struct tcall_leg *leg, sip_t const *sip, const char **why)
{
	sip_refer_to_t const *rt = sip ? sip->sip_refer_to : NULL;
	bool allowed = leg == &c->a ? c->conf->calls.allow_refer : c->trunk && c->trunk->allow_refer;
	if (!allowed) {
		*why = leg == &c->a ? "callers may not transfer ([calls] allow_refer = no)" :
				      "the trunk may not transfer (allow_refer = no)";
		return 403;
	}
	if (!rt || !rt->r_url->url_user) {
		*why = "no number in Refer-To";
		return 400;
	}
	if (rt->r_url->url_headers && strcasestr(rt->r_url->url_headers, "replaces")) {
		*why = "attended transfer (Replaces) is not supported";
		return 501;
	}
	if (c->state != CS_CONFIRMED || refer_pending(c) || c->reinvite_from ||
	    c->endpoint != MEDIA_ENDPOINT_NONE) {
		*why = "the call is busy with another change";
		return 491;
	}
	return 0;
}

void refer_on_request(struct call *c, struct tcall_leg *leg, nua_handle_t *nh, sip_t const *sip,
		      tagi_t tags[])
{
	sip_event_t const *ev = NULL;
	const struct tconf_trunk *tr = NULL;
	const char *why = "";
	char number[64];
	tl_gets(tags, NUTAG_REFER_EVENT_REF(ev), TAG_END());
	sip_event_t *evd = ev ? sip_event_dup(nua_handle_home(nh), ev) : NULL;
	/* nua has answered 202 (REFER is not an application method): a
	 * refusal is the final NOTIFY */
	LOG_DEBUG("call %s: REFER from leg %c (Refer-To user %s)", c->id, leg == &c->a ? 'A' : 'B',
		  sip && sip->sip_refer_to && sip->sip_refer_to->r_url->url_user ?
		  sip->sip_refer_to->r_url->url_user : "none");
	int st = refer_check(c, leg, sip, &why);
	if (!st) {
		copy_number(number, sizeof number, sip->sip_refer_to->r_url->url_user);
		st = route_target(c, leg, number, &tr, &why);
	}
	struct media_sdp out = { 0 };
	struct xfer *x = NULL;
	if (!st && media_session_local_offer(c->media, leg->which, &out) < 0) {
		st = 488;
		why = "no offer can be made for the new leg";
	}
	if (!st) {
		x = c->xfer ? c->xfer : calloc(1, sizeof *x);
		if (x && x->leg.nh) {
			nua_handle_bind(x->leg.nh, NULL);   /* a failed earlier transfer's */
			nua_handle_destroy(x->leg.nh);
		}
		if (x) {
			const char *held_a = x->held_a;
			stimer_leg_free(&x->leg);
			memset(x, 0, sizeof *x);
			x->held_a = held_a;
		}
		c->xfer = x;
	}
	if (!st && !x) {
		st = 500;
		why = "out of memory";
	}
	if (!st) {
		x->leg.call = c;
		x->leg.which = leg->which;
		x->referrer = leg;
		x->event = evd;
		x->trunk = tr;
		snprintf(x->number, sizeof x->number, "%s", number);
		if (invite_target(c, x, &out) < 0) {
			st = 500;
			why = "cannot create the new leg";
			media_session_offer_rejected(c->media, leg->which);
		} else {
			x->pending = true;
		}
	}
	media_sdp_clear(&out);
	if (st) {
		LOG_NOTICE("call %s: REFER from leg %c refused: %d (%s)", c->id, leg == &c->a ? 'A' : 'B',
			   st, why);
		notify(nh, evd, st, NULL, true);
		return;
	}
	/* nua has answered 202 but (Debian's 1.12.11) sends no NOTIFY of its own */
	notify(nh, evd, 100, "Trying", false);
	LOG_INFO("call %s: leg %c transfers leg %c to %s", c->id, leg == &c->a ? 'A' : 'B',
		 leg == &c->a ? 'B' : 'A', x->number);
}

/* The new leg answered: it takes the referrer's place. */
static void joined(struct call *c, struct xfer *x, sip_t const *sip)
{
	struct tcall_leg *r = x->referrer;
	struct media_sdp out = { 0 };
	int rc = c->ev.sdp ? media_session_answer(c->media, x->leg.which, c->ev.sdp, c->ev.sdp_len, &out)
			   : -EINVAL;
	media_sdp_clear(&out);
	x->pending = false;
	if (rc < 0) {
		LOG_WARN("call %s: transfer target answered with %s SDP: giving up on it", c->id,
			 c->ev.sdp ? "unusable" : "no");
		nua_bye(x->leg.nh, SIPTAG_REASON_STR("SIP;cause=488;text=\"Unusable SDP\""), TAG_END());
		media_session_offer_rejected(c->media, x->leg.which);
		notify(x->referrer_gone ? NULL : r->nh, x->event, 488, NULL, true);
		if (x->held)
			trunk_release(c->sip, x->held);
		x->held = NULL;
		if (x->referrer_gone)
			call_bye(c, other(c, r), "SIP;cause=488;text=\"Transfer failed\"");
		return;
	}
	notify(x->referrer_gone ? NULL : r->nh, x->event, 200, NULL, true);
	/* the part of the call before the transfer */
	call_cdr(c, "TRANSFERRED", 200);
	LOG_INFO("call %s: transfer to %s answered: leg %c joined, the referrer released", c->id,
		 x->number, r == &c->a ? 'A' : 'B');
	call_release_leg(c, r, x->referrer_gone ? NULL : REASON_XFER);
	*r = x->leg;
	nua_handle_bind(r->nh, r);
	memset(&x->leg, 0, sizeof x->leg);
	c->attempt++;
	clock_gettime(CLOCK_REALTIME, &c->ts_attempt);
	c->q850 = 0;
	snprintf(c->called, sizeof c->called, "%s", x->number);
	snprintf(c->called_out, sizeof c->called_out, "%s", x->called_out);
	if (r == &c->b) {
		if (c->trunk_held)
			trunk_release(c->sip, c->trunk_held);
		c->trunk_held = x->held;
		c->trunk = x->trunk;
	} else {
		if (x->held_a)
			trunk_release(c->sip, x->held_a);   /* an earlier transfer's leg A */
		x->held_a = x->held;
	}
	x->held = NULL;     /* leg A replaced: c->trunk stays leg B's, which stays */
	stimer_note_allow(r, sip);
	stimer_negotiate(c, r, sip, false);
	stimer_arm(c, r);
}

static void failed(struct call *c, struct xfer *x, int status, const char *phrase)
{
	struct tcall_leg *r = x->referrer;
	x->pending = false;
	media_session_offer_rejected(c->media, x->leg.which);
	if (x->held)
		trunk_release(c->sip, x->held);
	x->held = NULL;
	LOG_INFO("call %s: transfer to %s failed: %d %s", c->id, x->number, status, phrase ? phrase : "");
	notify(x->referrer_gone ? NULL : r->nh, x->event, status, phrase, true);
	if (x->referrer_gone) {
		/* nobody left to talk to: release the transferee */
		c->state = CS_TERMINATING;
		call_bye(c, other(c, r), "SIP;cause=480;text=\"Transfer failed\"");
	}
}

void refer_abort(struct call *c)
{
	struct xfer *x = c->xfer;
	if (!x || !x->pending)
		return;
	x->pending = false;
	if (x->leg.nh)
		nua_cancel(x->leg.nh, TAG_END());
	media_session_offer_rejected(c->media, x->leg.which);
	if (x->held)
		trunk_release(c->sip, x->held);
	x->held = NULL;
	notify(x->referrer_gone ? NULL : x->referrer->nh, x->event, 487, NULL, true);
}

static int callstate(tagi_t tags[])
{
	int st = -1;
	tl_gets(tags, NUTAG_CALLSTATE_REF(st), TAG_END());
	return st;
}

bool refer_on_event(struct call *c, nua_event_t event, int status, char const *phrase,
		    struct tcall_leg *leg, sip_t const *sip, tagi_t tags[])
{
	struct xfer *x = c->xfer;
	if (!x)
		return false;
	if (leg == &x->leg) {
		if (event == nua_r_invite && status >= 200 && x->pending) {
			if (status < 300)
				joined(c, x, sip);
			else
				failed(c, x, status, phrase);
		} else if (event == nua_r_invite && status >= 200 && status < 300) {
			/* answered after we gave up on it */
			nua_bye(leg->nh, SIPTAG_REASON_STR("SIP;cause=487;text=\"Transfer abandoned\""),
				TAG_END());
		} else if (event == nua_i_state && callstate(tags) == nua_callstate_terminated) {
			nua_handle_bind(leg->nh, NULL);
			nua_handle_destroy(leg->nh);
			leg->nh = NULL;
		} else if (nua_event_is_incoming_request(event) && event != nua_i_prack &&
			   event != nua_i_ack && event != nua_i_bye) {
			nua_respond(leg->nh, SIP_491_REQUEST_PENDING, NUTAG_WITH_THIS(c->sip->nua),
				    TAG_END());
		}
		return true;
	}
	if (!x->pending)
		return false;
	if (leg == x->referrer && event == nua_i_bye) {
		/* a blind transferor may leave at once: the transfer goes on */
		x->referrer_gone = true;
		leg->bye_sent = true;
		return true;
	}
	if (leg == x->referrer && event == nua_i_state && callstate(tags) == nua_callstate_terminated &&
	    x->referrer_gone) {
		nua_handle_bind(leg->nh, NULL);
		nua_handle_destroy(leg->nh);
		leg->nh = NULL;
		leg->gone = true;
		return true;
	}
	if ((event == nua_i_invite || event == nua_i_update) && c->ev.sdp) {
		nua_respond(leg->nh, SIP_491_REQUEST_PENDING,
			    TAG_IF(event == nua_i_update, NUTAG_WITH_THIS(c->sip->nua)), TAG_END());
		return true;
	}
	if (event == nua_i_bye)
		refer_abort(c);     /* the transferee left: the state machine ends the call */
	return false;
}

void refer_free(struct call *c)
{
	struct xfer *x = c->xfer;
	if (!x)
		return;
	if (x->leg.nh) {
		nua_handle_bind(x->leg.nh, NULL);
		nua_handle_destroy(x->leg.nh);
	}
	stimer_leg_free(&x->leg);
	if (x->held)
		trunk_release(c->sip, x->held);
	if (x->held_a)
		trunk_release(c->sip, x->held_a);
	free(x);
	c->xfer = NULL;
}
