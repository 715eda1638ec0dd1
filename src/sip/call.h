/* call.h - the B2BUA call object and its state machine (SIP thread only).
 *
 * A call has two legs, each its own SIP dialog on its own nua handle: leg A
 * is the incoming INVITE, leg B the gateway's own INVITE towards the routed
 * target (a trunk), or nothing when the target is a local endpoint (echo,
 * milliwatt) terminated by the media plane. Nothing of one leg's topology
 * (Call-ID, tags, Via, Contact) is copied to the other.
 *
 * Every SIP, timer and media happening is turned into one enum call_event and
 * fed to call_fsm_feed(), which looks up the (state, event) cell of one
 * transition table (call_fsm.c). A cell names an action and the next state;
 * an empty cell means the event is ignored in that state (logged at debug).
 *
 * Ownership: the call table (call.c) owns every call. A call owns its media
 * session, its timers and a reference to the config snapshot it started with.
 * nua handles are owned by nua; each leg holds its handle until nua reports
 * the dialog terminated, then destroys it. The call is freed when both legs
 * are gone (call_maybe_free).
 */
#ifndef TANDEM_SIP_CALL_H
#define TANDEM_SIP_CALL_H

#include "sip/call_route.h"
#include "sip/sip_internal.h"

#include <sofia-sip/su_wait.h>

enum call_state {
	CS_NEW,          /* INVITE received on A, nothing sent on B yet */
	CS_TRYING,       /* INVITE sent on B, no provisional yet */
	CS_RINGING,      /* provisional relayed to A */
	CS_EARLY,        /* early media: 18x with SDP relayed to A */
	CS_ANSWERED,     /* 2xx sent to A, waiting for its ACK */
	CS_CONFIRMED,    /* both dialogs established */
	CS_CANCELLING,   /* A gave up (CANCEL/timeout); waiting for B's final */
	CS_TERMINATING,  /* BYEs sent; waiting for the dialogs to end */
	CS_DONE,         /* both legs gone; about to be freed */
	CS__COUNT
};

enum call_event {
	EV_B_PROGRESS,       /* 18x without SDP from B */
	EV_B_EARLY_MEDIA,    /* 18x with SDP from B */
	EV_B_ANSWER,         /* 2xx from B to the initial INVITE */
	EV_B_REJECT,         /* final >= 300 from B to the initial INVITE */
	EV_A_CANCEL,         /* CANCEL from A */
	EV_ACK,              /* ACK received on a leg (may carry a late answer) */
	EV_A_BYE, EV_B_BYE,  /* BYE received on a leg */
	EV_A_REINVITE, EV_B_REINVITE,   /* re-INVITE / UPDATE with an offer */
	EV_REINVITE_DONE,    /* final response to the gateway's re-INVITE */
	EV_T_SETUP,          /* no provisional from B within setup_timeout */
	EV_T_NOANSWER,       /* ringing for longer than no_answer_timeout */
	EV_T_MAXDUR,         /* max_duration reached */
	EV_MEDIA_TIMEOUT,    /* no RTP (media plane) */
	EV_HANGUP,           /* shutdown or administrative hang-up */
	EV_LEG_GONE,         /* nua says a leg's dialog terminated */
	EV__COUNT
};

struct call;
struct fork_set;
struct stimer;
struct xfer;

struct tcall_leg {
	struct call *call;
	enum media_leg which;       /* MEDIA_LEG_A or MEDIA_LEG_B */
	nua_handle_t *nh;           /* NULL once gone */
	bool gone;
	bool bye_sent;              /* the leg is ending: BYE/CANCEL sent or received, or
				     * its INVITE failed; nothing more is sent on it */
	bool got_provisional;
	bool fork;                  /* one of several parallel B legs (fork.c) */
	char tag_early[64];         /* To-tag of the dialog that sent early media */
	struct stimer *st;          /* session timer and SDP memory (session_timer.h), or NULL */
	struct tcall_leg *onext, *oprev; /* in the orphan list when call == NULL */
};

struct call {
	struct call *next, *prev;   /* in the table's list */
	struct tsip *sip;
	tconf_t *conf;              /* snapshot this call started with */
	char id[16];
	enum call_state state;
	struct tcall_leg a, b;
	bool b_used;                /* a B leg dialog was created */
	enum media_endpoint endpoint;
	const struct tconf_trunk *trunk;
	const struct tconf_user *callee;  /* target user (its phones ring in parallel), or NULL */
	const struct tconf_user *from_user; /* the authenticated caller, or NULL (trusted source) */
	struct fork_set *forks;     /* while a user's phones ring (fork.c), else NULL */
	const struct tconf_route *route;  /* in c->conf; targets tried in rt.order */
	size_t target;              /* position in rt.order of the target being tried */
	struct call_routing rt;     /* source, route, numbers, identity (call_route.h) */
	char caller_out[100];       /* the calling number as sent to the current trunk */
	const char *trunk_held;     /* trunk whose channel this call holds, or NULL */
	char *a_offer;              /* A's offer (malloc'd), re-offered on failover */
	size_t a_offer_len;
	media_session_t *media;
	char called[64], caller[64];
	char called_out[100];       /* the number as sent to the current trunk */
	time_t t_start, t_answer;
	struct timespec ts_start, ts_attempt, ts_answer;   /* for the call records */
	unsigned attempt;           /* 1 for the first target tried */
	int q850;                   /* cause from a Q.850 Reason the far end sent, or 0 */
	bool noanswer;              /* ended by the no-answer timer */

	/* the event being handled: its SIP message, status and SDP body */
	struct {
		sip_t const *sip;
		int status;
		char const *phrase;
		const char *sdp;
		size_t sdp_len;
		struct tcall_leg *leg;
	} ev;

	/* a re-offer in flight through the gateway (hold, resume, new address) */
	struct tcall_leg *reinvite_from;   /* leg whose offer we relay, or NULL */
	bool a_late_offer;          /* A's INVITE had no SDP */
	bool a_100rel;              /* A's INVITE offered 100rel: its 18x go reliably (prack.h) */
	bool reoffer_update;        /* the offer being relayed came in an UPDATE */
	/* An UPDATE is answered after the callback that brought it returned, so
	 * sofia needs it saved (nua_save_event) and named when we respond. */
	nua_saved_event_t upd_saved[1];
	bool upd_saved_valid;
	bool reinvite_local;        /* re-INVITE from a leg without SDP: we offered */
	bool a_final_sent;          /* A has had its final response */
	bool a_provisional_sent;    /* A has had a 18x (setup metrics) */
	bool cancel_pending;        /* CANCEL B as soon as it sends a provisional */
	int final_code;             /* what A was told (for the listing and counters) */
	char *a_sdp;                /* last SDP sent to A (malloc'd) */
	struct xfer *xfer;          /* a blind transfer (refer.h), or NULL; freed with the call */
	char reason[64];

	su_timer_t *t_setup, *t_noanswer, *t_maxdur;

	/* outbound digest toward the current trunk (trunk_auth.h) */
	char *b_auth;               /* credentials for B's next INVITE (malloc'd), or NULL */
	bool b_auth_proxy;          /* ... as Proxy-Authorization */
	unsigned b_auth_tries;      /* challenges answered for the current target */
	char b_ruri[512];           /* Request-URI of B's INVITE (the digest uri) */
	char b_call_id[128];        /* the challenged INVITE's Call-ID, kept for the answer */
	uint32_t b_cseq;            /* CSeq for the answer; 0 = sofia's own */
	size_t dns_idx;             /* which DNS target of the trunk (trunk_dns.h) */
	unsigned b_bye_auth_tries;  /* challenges to our BYE answered */
};

/* call_fsm.c */
void call_fsm_feed(struct call *c, enum call_event ev);
const char *call_state_name(enum call_state s);
const char *call_event_name(enum call_event e);

/* call.c: helpers the actions use */
const char *call_phrase(nua_handle_t *nh, int status, const char *phrase);
void call_respond_a(struct call *c, int status, const char *phrase, const char *sdp,
		    size_t sdp_len);
void call_fail_a(struct call *c, int status, const char *phrase, const char *why);
void call_bye(struct call *c, struct tcall_leg *leg, const char *reason);
void call_cancel_b(struct call *c);
int call_invite_b(struct call *c, const struct media_sdp *offer);
void call_send_sdp(struct call *c, struct tcall_leg *to, const struct media_sdp *m,
		   int status);
/* Answer the re-offer (re-INVITE or UPDATE) received on leg 'to', with SDP
 * when m is given. */
void call_respond_reoffer(struct call *c, struct tcall_leg *to, int status, const char *phrase,
			  const struct media_sdp *m);
void call_timers_stop(struct call *c);
/* The call is ending: an UPDATE still waiting for the other leg's answer
 * gets 503 now (its saved sofia event must not outlive the stack). */
void call_drop_reoffer(struct call *c);
void call_timer_start(struct call *c, su_timer_t **t, unsigned seconds, enum call_event ev);
void call_maybe_free(struct call *c);
/* Give up on the current B leg and try the route's next trunk. Returns 0 when
 * a new INVITE went out, -ENOENT when no target is left. */
int call_failover(struct call *c, const char *why);
/* Offer again (A's offer, or ours for a local offer) and INVITE c->trunk
 * on a new B leg; starts the setup timer. 0 or <0. */
int call_reoffer_b(struct call *c);

/* call_auth.c: the trunk's digest challenges on the B leg (trunk_auth.h).
 * B's INVITE got 401/407 (c->ev, handle nh): answered with a new INVITE, or
 * the trunk has failed (the FSM sees EV_B_REJECT). */
void call_b_challenged(struct call *c, struct tcall_leg *leg, nua_handle_t *nh);
/* Our BYE on B got 401/407: answered once (MD5, by nua), else the leg is
 * let go (nua would wait for credentials for ever). */
void call_b_bye_challenged(struct call *c, struct tcall_leg *leg, nua_handle_t *nh);

/* A B-side handle nobody wants any more: CANCEL it as soon as it may be,
 * ACK+BYE a late 2xx, destroy it when its dialog ends (the orphan list). */
void call_orphan_handle(struct tsip *s, nua_handle_t *nh, bool got_provisional, bool bye_sent);
int call_map_status(const struct call *c, int status);
/* B (or the endpoint) answered: counters and times. */
void call_answered(struct call *c);
/* Hand a leg that is done with (its dialog confirmed) to the orphan list:
 * BYE it with 'reason' unless it is ending already; the orphan frees itself
 * when nua says the dialog ended. The leg is left empty. */
void call_release_leg(struct call *c, struct tcall_leg *leg, const char *reason);
/* Write the call record of the current attempt (see core/cdr.h). */
void call_cdr(struct call *c, const char *disposition, int code);

#endif
