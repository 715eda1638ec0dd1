/* fork.c - see fork.h. */
#include "config.h"

#include "sip/fork.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sip/regsip.h"

#define FORK_MAX 16                 /* contacts rung at once */

struct fork_set {
	struct tcall_leg *legs[FORK_MAX];
	size_t n;                   /* slots used; a slot is NULL once its fork is gone */
	struct tcall_leg *early;    /* the fork whose early media the caller hears */
	int best;                   /* best final response of the failed forks */
	char best_phrase[64];
};

size_t fork_count(const struct call *c)
{
	size_t live = 0;
	for (size_t i = 0; c->forks && i < c->forks->n; i++)
		live += c->forks->legs[i] && !c->forks->legs[i]->bye_sent;
	return live;
}

static int start_one(struct call *c, const struct treg_binding *b, const struct media_sdp *offer,
		     const char *to, const char *from, const char *mf)
{
	struct fork_set *fs = c->forks;
	struct tcall_leg *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	l->call = c;
	l->which = MEDIA_LEG_B;
	l->fork = true;
	l->nh = nua_handle(c->sip->nua, l, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from), TAG_END());
	if (!l->nh) {
		free(l);
		return -ENOMEM;
	}
	char hop[128];
	tregsip_next_hop(b, hop, sizeof hop);
	fs->legs[fs->n++] = l;
	nua_invite(l->nh, NUTAG_URL(b->contact), NUTAG_PROXY(hop), SIPTAG_MAX_FORWARDS_STR(mf),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer->sdp), TAG_END());
	LOG_INFO("call %s: %s -> user %s at %s (via %s)", c->id, c->caller, c->callee->name,
		 b->contact, hop);
	return 0;
}

int fork_start(struct call *c, const struct media_sdp *offer)
{
	const struct treg_binding *b[FORK_MAX];
	size_t n = tregsip_lookup(c->sip, c->callee, b, FORK_MAX);
	if (n > FORK_MAX)
		n = FORK_MAX;
	if (n == 0)
		return -ENOENT;
	c->forks = calloc(1, sizeof *c->forks);
	if (!c->forks)
		return -ENOMEM;
	const struct tconf_interface *ifc = &c->conf->interfaces[0];
	const char *adv = ifc->advertise ? ifc->advertise : ifc->address;
	bool v6 = strchr(adv, ':') != NULL;
	char to[256], from[256], mfs[16];
	sip_t const *sip = c->ev.sip;
	const char *display = sip && sip->sip_from && sip->sip_from->a_display ?
			      sip->sip_from->a_display : NULL;
	unsigned mf = sip && sip->sip_max_forwards ? sip->sip_max_forwards->mf_count : 70;
	snprintf(mfs, sizeof mfs, "%u", mf > 70 ? 69 : (mf ? mf - 1 : 0));
	snprintf(to, sizeof to, "<sip:%s@%s%s%s>", c->callee->number ? c->callee->number : c->callee->name,
		 v6 ? "[" : "", adv, v6 ? "]" : "");
	snprintf(from, sizeof from, "%s%s<sip:%s@%s%s%s>", display ? display : "", display ? " " : "",
		 c->caller[0] ? c->caller : "anonymous", v6 ? "[" : "", adv, v6 ? "]" : "");
	/* copy the bindings' strings out first: sending may not change the
	 * store, but keep the rule of registrar.h anyway */
	size_t started = 0;
	for (size_t i = 0; i < n; i++)
		if (start_one(c, b[i], offer, to, from, mfs) == 0)
			started++;
	if (!started) {
		free(c->forks);
		c->forks = NULL;
		return -ENOMEM;
	}
	c->b_used = true;
	return (int)started;
}

static void fork_free(struct call *c, struct tcall_leg *l)
{
	struct fork_set *fs = c->forks;
	for (size_t i = 0; fs && i < fs->n; i++)
		if (fs->legs[i] == l)
			fs->legs[i] = NULL;
	if (fs && fs->early == l)
		fs->early = NULL;
	free(l);
}

void fork_abandon_all(struct call *c)
{
	struct fork_set *fs = c->forks;
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct tcall_leg *l = fs->legs[i];
		if (!l)
			continue;
		if (l->nh)
			call_orphan_handle(c->sip, l->nh, l->got_provisional, l->bye_sent);
		free(l);
	}
	free(fs);
	c->forks = NULL;
}

/* RFC 3261 s.16.7: a 6xx ends the search; otherwise the lowest class wins. */
static void note_final(struct fork_set *fs, int status, const char *phrase)
{
	bool better = !fs->best || (status >= 600 && fs->best < 600) ||
		      (fs->best < 600 && status < 600 && status / 100 < fs->best / 100);
	if (!better)
		return;
	fs->best = status;
	snprintf(fs->best_phrase, sizeof fs->best_phrase, "%s", phrase ? phrase : "");
}

static void on_answer(struct call *c, struct tcall_leg *l)
{
	/* the winner becomes the call's B leg; the others are CANCELled */
	c->b.nh = l->nh;
	c->b.got_provisional = true;
	c->b.bye_sent = false;
	c->b.gone = false;
	nua_handle_bind(l->nh, &c->b);
	l->nh = NULL;
	fork_free(c, l);
	fork_abandon_all(c);
	c->ev.leg = &c->b;
	call_fsm_feed(c, EV_B_ANSWER);
}

static void on_final(struct call *c, struct tcall_leg *l, int status)
{
	struct fork_set *fs = c->forks;
	l->bye_sent = true;         /* its INVITE failed: the dialog ends by itself */
	note_final(fs, status, c->ev.phrase);
	if (fs->early == l)
		fs->early = NULL;
	LOG_INFO("call %s: a contact of %s answered %d (%zu still ringing)", c->id, c->callee->name,
		 status, fork_count(c));
	if (fork_count(c))
		return;
	c->ev.status = fs->best;
	c->ev.phrase = fs->best_phrase[0] ? fs->best_phrase : NULL;
	if (!c->route && (fs->best == 408 || (fs->best >= 500 && fs->best < 600))) {
		/* phones that cannot be reached are unavailable, not a gateway
		 * failure: a 503 would take this node out of a dispatcher. With
		 * a route the code is kept, so that the next target is tried. */
		c->ev.status = 480;
		c->ev.phrase = NULL;
	}
	c->ev.leg = &c->b;
	call_fsm_feed(c, EV_B_REJECT);
}

void fork_on_event(struct call *c, struct tcall_leg *l, nua_event_t event, int status,
		   tagi_t tags[])
{
	struct fork_set *fs = c->forks;
	int st = -1;

	switch (event) {
	case nua_r_invite:
		if (status < 101 || l->bye_sent || !fs)
			return;
		l->got_provisional = true;
		if (status >= 300) {
			on_final(c, l, status);
		} else if (status >= 200) {
			on_answer(c, l);
		} else if (c->ev.sdp && (!fs->early || fs->early == l)) {
			fs->early = l;
			call_fsm_feed(c, EV_B_EARLY_MEDIA);
		} else {
			/* ringing, or early media from a fork the caller does not hear */
			c->ev.sdp = NULL;
			call_fsm_feed(c, EV_B_PROGRESS);
		}
		return;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(st), TAG_END());
		if (st == nua_callstate_terminated) {
			nua_handle_bind(l->nh, NULL);
			nua_handle_destroy(l->nh);
			l->nh = NULL;
			fork_free(c, l);
		}
		return;
	default:
		if (nua_event_is_incoming_request(event) && event != nua_i_prack && l->nh)
			nua_respond(l->nh, SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(c->sip->nua), TAG_END());
		return;
	}
}
