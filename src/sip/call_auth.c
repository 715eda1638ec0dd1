/* call_auth.c - a trunk's digest challenges on a call's B leg: the INVITE
 * (sent again with credentials, same Call-ID, next CSeq) and our BYE. The
 * credentials and the policy (one answer per challenge) are trunk_auth.h's.
 * See call.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sip/call.h"
#include "sip/session_timer.h"
#include "sip/trunk_auth.h"
#include "sip/trunks.h"

static int auth_retry(struct call *c)
{
	char hdr[1024];
	bool proxy;
	sip_t const *sip = c->ev.sip;
	if (!c->trunk || !sip || (c->state != CS_TRYING && c->state != CS_RINGING))
		return -EINVAL;
	int rc = trunk_auth_answer(c->trunk, sip, "INVITE", c->b_ruri, c->b_auth_tries, c->id,
				   hdr, sizeof hdr, &proxy);
	if (rc < 0)
		return rc;
	char *dup = strdup(hdr);
	if (!dup)
		return -ENOMEM;
	free(c->b_auth);
	c->b_auth = dup;
	c->b_auth_proxy = proxy;
	c->b_auth_tries++;
	/* the answer is the same request again: same Call-ID, next CSeq */
	snprintf(c->b_call_id, sizeof c->b_call_id, "%s",
		 sip->sip_call_id && sip->sip_call_id->i_id ? sip->sip_call_id->i_id : "");
	c->b_cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq + 1 : 0;
	/* the challenged INVITE is over (nta ACKed the 401/407): drop its handle */
	if (c->trunk_held) {
		trunk_release(c->sip, c->trunk_held);
		c->trunk_held = NULL;
	}
	if (c->b.nh) {
		nua_handle_bind(c->b.nh, NULL);
		nua_handle_destroy(c->b.nh);
	}
	stimer_leg_free(&c->b);     /* the session timer state of that attempt */
	memset(&c->b, 0, sizeof c->b);
	c->b.call = c;
	c->b.which = MEDIA_LEG_B;
	call_timers_stop(c);
	media_session_offer_rejected(c->media, MEDIA_LEG_B);
	return call_reoffer_b(c);
}

/* nua keeps a challenged request open waiting for credentials that will
 * never come: end the handle here. A rejected INVITE is a failure of the
 * trunk (EV_B_REJECT: failover or an answer to A); either way the leg is
 * gone. c may be freed on return. */
static void let_go(struct call *c, struct tcall_leg *leg, nua_handle_t *nh, bool reject)
{
	nua_handle_bind(nh, NULL);
	nua_handle_destroy(nh);
	leg->nh = NULL;
	if (reject) {
		leg->gone = true;
		bool a_gone = c->a.gone || !c->a.nh;
		call_fsm_feed(c, EV_B_REJECT);      /* never frees c: only EV_LEG_GONE does */
		if (!a_gone)
			return;                     /* A's end will end the call */
	}
	c->ev.leg = leg;
	call_fsm_feed(c, EV_LEG_GONE);
}

void call_b_challenged(struct call *c, struct tcall_leg *leg, nua_handle_t *nh)
{
	if (auth_retry(c) == 0)
		return;
	let_go(c, leg, nh, true);
}

void call_b_bye_challenged(struct call *c, struct tcall_leg *leg, nua_handle_t *nh)
{
	char creds[512];
	sip_t const *sip = c->ev.sip;
	/* nua does not send a second nua_bye(): it resends the BYE itself once
	 * given credentials, and its client does MD5 only */
	if (c->trunk && sip && c->b_bye_auth_tries == 0 &&
	    trunk_auth_nua_md5(c->trunk, sip, creds, sizeof creds) == 0) {
		c->b_bye_auth_tries++;
		LOG_INFO("call %s: answering trunk %s's %d challenge to our BYE (MD5)", c->id,
			 c->trunk->name, c->ev.status);
		nua_authenticate(nh, NUTAG_AUTH(creds), TAG_END());
		return;
	}
	LOG_WARN("call %s: trunk %s challenged our BYE%s: the call is ended on our side only", c->id,
		 c->trunk ? c->trunk->name : "?",
		 c->b_bye_auth_tries ? " again (credentials refused)" :
		 " and it cannot be answered (no credentials, or no MD5 challenge: sofia resends a BYE "
		 "with MD5 only)");
	let_go(c, leg, nh, false);
}
