/* call.c - the call table, translation of sofia events into call events,
 * routing of new INVITEs, and the SIP helpers the state machine's actions use.
 * See call.h for ownership; call_fsm.c for behaviour. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/cdr.h"
#include "core/log.h"
#include "sip/auth.h"
#include "sip/call.h"
#include "sip/limits.h"
#include "sip/dtmf_relay.h"
#include "sip/trunk_auth.h"
#include "sip/trunk_dns.h"
#include "sip/fork.h"
#include "sip/regsip.h"
#include "sip/prack.h"
#include "sip/refer.h"
#include "sip/session_timer.h"
#include "sip/trunks.h"

struct tcall_table {
	struct call *head;
	unsigned count;
	uint32_t next_id;
	struct tcall_leg *orphans;  /* B legs given up on, waiting for their end */
};

/* Reason headers (RFC 3326) for hang-ups the gateway decides itself. */
#define REASON_SHUTDOWN "Q.850;cause=41;text=\"Gateway shutting down\""
#define REASON_MAXDUR   "Q.850;cause=102;text=\"Maximum call duration reached\""
#define REASON_RTP      "Q.850;cause=102;text=\"RTP timeout\""
#define REASON_MEDIASEC "Q.850;cause=47;text=\"media security failed\""

/* --- table ----------------------------------------------------------------- */

int tcall_table_new(struct tsip *s)
{
	s->calls = calloc(1, sizeof *s->calls);
	if (!s->calls || tlimits_new(&s->limits) < 0) {
		free(s->calls);
		s->calls = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void call_free(struct call *c);

static void orphan_free(struct tsip *s, struct tcall_leg *o)
{
	if (o->oprev)
		o->oprev->onext = o->onext;
	else
		s->calls->orphans = o->onext;
	if (o->onext)
		o->onext->oprev = o->oprev;
	if (o->nh) {
		nua_handle_bind(o->nh, NULL);
		nua_handle_destroy(o->nh);
	}
	free(o);
}

void tcall_table_free(struct tsip *s)
{
	if (!s->calls)
		return;
	while (s->calls->head)
		call_free(s->calls->head);
	while (s->calls->orphans)
		orphan_free(s, s->calls->orphans);
	free(s->calls);
	s->calls = NULL;
	tlimits_free(s->limits);
	s->limits = NULL;
}

unsigned tcall_count(const struct tsip *s) { return s->calls ? s->calls->count : 0; }

unsigned tcall_hangup_all(struct tsip *s)
{
	struct call *c, *next;
	/* abandoned attempts that never heard back (a silent trunk, a refused
	 * TLS peer) would hold the stop for sofia's 32 s INVITE timeout */
	for (struct tcall_leg *o = s->calls->orphans, *on; o; o = on) {
		on = o->onext;
		if (!o->got_provisional)
			orphan_free(s, o);
	}
	for (c = s->calls->head; c; c = next) {
		next = c->next;
		snprintf(c->reason, sizeof c->reason, "%s", REASON_SHUTDOWN);
		call_fsm_feed(c, EV_HANGUP);
	}
	return s->calls->count;
}

static const char *final_disposition(const struct call *c)
{
	if (c->t_answer)
		return "ANSWERED";
	if (c->noanswer)
		return "NOANSWER";
	switch (c->final_code) {
	case 486: case 600: return "BUSY";
	case 487: return "CANCELLED";
	default: return "FAILED";
	}
}

static void call_free(struct call *c)
{
	struct tcall_table *t = c->sip->calls;
	fork_abandon_all(c);
	call_cdr(c, final_disposition(c), c->final_code);
	refer_free(c);
	if (c->trunk_held)
		trunk_release(c->sip, c->trunk_held);
	call_route_release(c->sip, &c->rt);
	call_timers_stop(c);
	if (c->media)
		media_session_destroy(c->media);
	struct tcall_leg *legs[2] = { &c->a, &c->b };
	for (int i = 0; i < 2; i++)
		stimer_leg_free(legs[i]);
	for (int i = 0; i < 2; i++)
		if (legs[i]->nh) {
			nua_handle_bind(legs[i]->nh, NULL);
			nua_handle_destroy(legs[i]->nh);
		}
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	t->count--;
	atomic_fetch_sub(&c->sip->n.calls_active, 1);
	LOG_INFO("call %s: ended (%s -> %s, final %d, %lds connected)", c->id, c->caller, c->called,
		 c->final_code, c->t_answer ? (long)(time(NULL) - c->t_answer) : 0L);
	if (c->upd_saved_valid)
		nua_destroy_event(c->upd_saved);
	tconf_unref(c->conf);
	free(c->b_auth);
	free(c->a_offer);
	free(c->a_sdp);
	free(c);
}

void call_maybe_free(struct call *c)
{
	if (c->state == CS_DONE)
		call_free(c);
}

/* --- call records ------------------------------------------------------------- */

void call_answered(struct call *c)
{
	c->t_answer = time(NULL);
	clock_gettime(CLOCK_REALTIME, &c->ts_answer);
	atomic_fetch_add(&c->sip->n.calls_answered, 1);
	tsip_count_setup(&c->sip->n.setup_answer, &c->ts_start);
}

static const char *node_name(const struct call *c)
{
	return c->conf->general.node_name ? c->conf->general.node_name : "";
}

static struct tcdr_quality cdr_quality(const struct media_leg_stats *st)
{
	return (struct tcdr_quality){
		.expected = st->rtp_expected, .lost = st->rtp_lost, .jitter_ms = st->jitter_ms,
		.have_rtt = st->rtt_ms >= 0, .rtt_ms = st->rtt_ms, .have_remote = st->have_remote,
		.remote_lost = st->remote_lost, .mos = st->mos,
	};
}

void call_cdr(struct call *c, const char *disposition, int code)
{
	struct media_leg_stats st[2];
	memset(st, 0, sizeof st);
	if (c->media)
		media_session_stats(c->media, st);
	const char *target = c->trunk ? c->trunk->name : c->callee ? c->callee->name :
			     c->endpoint == MEDIA_ENDPOINT_ECHO ? "echo" :
			     c->endpoint == MEDIA_ENDPOINT_MILLIWATT ? "milliwatt" : "";
	struct tcdr_record r = {
		.node = node_name(c), .call_id = c->id, .attempt = c->attempt ? c->attempt : 1,
		.start = c->attempt > 1 ? c->ts_attempt : c->ts_start, .answer = c->ts_answer,
		.caller = c->caller, .called_in = c->called,
		.called_out = c->trunk ? c->called_out : "", .target = target,
		.final_code = code ? code : (c->t_answer ? 200 : 0),
		.q850 = c->q850 ? c->q850 : c->t_answer ? 16 : tcdr_q850_from_sip(code),
		.disposition = disposition,
		.codec_a = st[0].codec, .codec_b = st[1].codec,
		.a_in = st[0].packets_in, .a_out = st[0].packets_out,
		.b_in = st[1].packets_in, .b_out = st[1].packets_out,
		.a_dropped = st[0].dropped, .b_dropped = st[1].dropped,
		.qa = cdr_quality(&st[0]), .qb = cdr_quality(&st[1]),
		.source = c->rt.source ? c->rt.source : "",
		.caller_out = c->trunk ? c->caller_out : "",
	};
	clock_gettime(CLOCK_REALTIME, &r.end);
	/* one line per attempt, with its outcome */
	LOG_INFO("call %s: attempt %u %s -> %s via %s: %s, final %d, %llds connected", c->id,
		 r.attempt, c->caller, c->called, *target ? target : "-", disposition, r.final_code,
		 r.answer.tv_sec ? (long long)(r.end.tv_sec - r.answer.tv_sec) : 0LL);
	tsip_cdr_emit(c->sip, &r);
}

/* --- helpers for actions -------------------------------------------------- */

/* nua_respond() runs later, from sofia's queue, and keeps the phrase pointer
 * (its tags are copied, the phrase is not). A phrase from a received message
 * dies with that message, so give nua one that lives as long as the handle. */
const char *call_phrase(nua_handle_t *nh, int status, const char *phrase)
{
	const char *std = sip_status_phrase(status);
	if (!phrase || !*phrase || (std && !strcmp(std, phrase)))
		return std ? std : "Unknown";
	char *p = su_strdup(nua_handle_home(nh), phrase);
	if (!p)
		return std ? std : "Unknown";
	/* a phrase is relayed to another network: keep it printable */
	for (char *q = p; *q; q++)
		if ((unsigned char)*q < 0x20)
			*q = ' ';
	return p;
}

int call_map_status(const struct call *c, int status)
{
	int code = tconf_map_response(c->conf, status);
	/* The far end's redirect target and its auth challenges are its own
	 * business: a caller must never see them (topology and credentials). */
	if (code >= 300 && code < 400)
		code = 480;
	else if (code == 401 || code == 407)
		code = 503;
	return code;
}

void call_respond_a(struct call *c, int status, const char *phrase, const char *sdp,
		    size_t sdp_len)
{
	(void)sdp_len;
	if (!c->a.nh || c->a_final_sent)
		return;
	if (status >= 200) {
		c->a_final_sent = true;
		c->final_code = status;
		tsip_count_final(c->sip, status);
	} else if (status > 100 && !c->a_provisional_sent) {
		c->a_provisional_sent = true;
		tsip_count_setup(&c->sip->n.setup_provisional, &c->ts_start);
	}
	if (sdp && sdp != c->a_sdp) {
		free(c->a_sdp);
		c->a_sdp = strdup(sdp);
	}
	stimer_note_tx(&c->a, sdp);
	nua_respond(c->a.nh, status, call_phrase(c->a.nh, status, phrase),
		    TAG_IF(status > 100 && status < 200 && c->a_100rel, SIPTAG_REQUIRE_STR("100rel")),
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)),
		    TAG_END());
}

void call_fail_a(struct call *c, int status, const char *phrase, const char *why)
{
	if (!c->a.nh || c->a_final_sent)
		return;
	c->a_final_sent = true;
	c->a.bye_sent = true;       /* a failed INVITE ends A's dialog by itself */
	c->final_code = status;
	atomic_fetch_add(&c->sip->n.calls_failed, 1);
	tsip_count_final(c->sip, status);
	sip_reason_t const *reason = c->ev.sip && c->ev.leg == &c->b ? c->ev.sip->sip_reason : NULL;
	LOG_INFO("call %s: %d %s to caller (%s)", c->id, status,
		 phrase ? phrase : sip_status_phrase(status), why ? why : "");
	nua_respond(c->a.nh, status, call_phrase(c->a.nh, status, phrase),
		    TAG_IF(reason, SIPTAG_REASON(reason)), TAG_END());
}

void call_bye(struct call *c, struct tcall_leg *leg, const char *reason)
{
	if (!leg->nh || leg->gone || leg->bye_sent)
		return;
	leg->bye_sent = true;
	/* With no reason of our own, carry the one the other leg's BYE gave
	 * (RFC 3326): billing on both sides then agrees on why the call ended. */
	sip_reason_t const *relayed = !reason && c->ev.sip && c->ev.leg && c->ev.leg != leg ?
				      c->ev.sip->sip_reason : NULL;
	nua_bye(leg->nh, TAG_IF(reason, SIPTAG_REASON_STR(reason)),
		TAG_IF(relayed, SIPTAG_REASON(relayed)), TAG_END());
}

/* CANCEL may only follow a provisional response (RFC 3261 9.1): until B has
 * said anything, remember to cancel and do it when it does. If it never
 * does, nua's transaction timeout ends the leg; a late 200 gets ACK+BYE. */
void call_cancel_b(struct call *c)
{
	fork_abandon_all(c);
	if (!c->b.nh || c->b.gone || c->b.bye_sent)
		return;
	if (!c->b.got_provisional) {
		c->cancel_pending = true;
		return;
	}
	c->cancel_pending = false;
	c->b.bye_sent = true;
	nua_cancel(c->b.nh, TAG_END());
}

/* The SDP A has last been sent: a 200 after early media repeats it (an
 * UPDATE in the early dialog may have changed it). */
static void note_a_sdp(struct call *c, struct tcall_leg *to, const char *sdp)
{
	char *d = to == &c->a && sdp ? strdup(sdp) : NULL;
	if (d) {
		free(c->a_sdp);
		c->a_sdp = d;
	}
}

void call_send_sdp(struct call *c, struct tcall_leg *to, const struct media_sdp *m, int status)
{
	if (!to->nh)
		return;
	stimer_note_tx(to, m->sdp);
	note_a_sdp(c, to, m->sdp);
	if (status == 0 && c->reoffer_update)
		nua_update(to->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			   SIPTAG_PAYLOAD_STR(m->sdp), TAG_END());
	else if (status == 0)
		nua_invite(to->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			   SIPTAG_PAYLOAD_STR(m->sdp), TAG_END());
	else
		nua_respond(to->nh, status, call_phrase(to->nh, status, NULL),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(m->sdp), TAG_END());
}

void call_respond_reoffer(struct call *c, struct tcall_leg *to, int status, const char *phrase,
			  const struct media_sdp *m)
{
	if (!to->nh)
		return;
	const char *ph = call_phrase(to->nh, status, phrase);
	const char *sdp = m ? m->sdp : NULL;
	stimer_note_tx(to, sdp);
	note_a_sdp(c, to, sdp);
	if (c->upd_saved_valid) {
		nua_respond(to->nh, status, ph, NUTAG_WITH_SAVED(c->upd_saved),
			    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
			    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
		nua_destroy_event(c->upd_saved);
		c->upd_saved_valid = false;
	} else {
		nua_respond(to->nh, status, ph,
			    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
			    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
	}
}

void call_drop_reoffer(struct call *c)
{
	if (c->upd_saved_valid && c->reinvite_from && c->reinvite_from->nh &&
	    !c->reinvite_from->bye_sent)
		call_respond_reoffer(c, c->reinvite_from, 503, NULL, NULL);
	else if (c->upd_saved_valid) {
		nua_destroy_event(c->upd_saved);
		c->upd_saved_valid = false;
	}
}

/* --- timers --------------------------------------------------------------- */

static void fire(struct call *c, su_timer_t **slot, enum call_event ev)
{
	su_timer_destroy(*slot);
	*slot = NULL;
	c->ev.sip = NULL;
	c->ev.status = 0;
	c->ev.sdp = NULL;
	c->ev.leg = NULL;
	if (ev == EV_T_MAXDUR)
		snprintf(c->reason, sizeof c->reason, "%s", REASON_MAXDUR);
	call_fsm_feed(c, ev);
}

static void on_t_setup(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m; (void)t;
	struct call *c = arg;
	fire(c, &c->t_setup, EV_T_SETUP);
}

static void on_t_noanswer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m; (void)t;
	struct call *c = arg;
	fire(c, &c->t_noanswer, EV_T_NOANSWER);
}

static void on_t_maxdur(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m; (void)t;
	struct call *c = arg;
	fire(c, &c->t_maxdur, EV_T_MAXDUR);
}

void call_timer_start(struct call *c, su_timer_t **t, unsigned seconds, enum call_event ev)
{
	if (!seconds)
		return;
	if (*t)
		su_timer_destroy(*t);
	*t = su_timer_create(su_root_task(c->sip->root), seconds * 1000u);
	su_timer_f fn = ev == EV_T_SETUP ? on_t_setup : ev == EV_T_NOANSWER ? on_t_noanswer : on_t_maxdur;
	su_timer_set(*t, fn, c);
}

void call_timers_stop(struct call *c)
{
	su_timer_t **ts[] = { &c->t_setup, &c->t_noanswer, &c->t_maxdur };
	for (size_t i = 0; i < 3; i++)
		if (*ts[i]) {
			su_timer_destroy(*ts[i]);
			*ts[i] = NULL;
		}
}

/* --- media events ----------------------------------------------------------- */

/* A digit for a leg whose trunk wants SIP INFO (dtmf = info). */
static void send_info_dtmf(struct call *c, const struct media_event *ev)
{
	nua_handle_t *nh = ev->leg == MEDIA_LEG_A ? c->a.nh : c->b.nh;
	char body[64];

	if (!nh || dtmf_relay_format(ev->digit, ev->duration_ms, body, sizeof body) < 0)
		return;
	LOG_DEBUG("call %s: digit %c (%u ms) to leg %c as SIP INFO", c->id, ev->digit, ev->duration_ms,
		  ev->leg == MEDIA_LEG_A ? 'A' : 'B');
	nua_info(nh, SIPTAG_CONTENT_TYPE_STR(DTMF_RELAY_TYPE), SIPTAG_PAYLOAD_STR(body), TAG_END());
}

/* A digit in an INFO from leg 'leg' (only a leg whose trunk wants INFO: a
 * peer that also sends RFC 4733 events would otherwise give each digit
 * twice), into the media as RFC 4733 events toward the other leg. */
static void recv_info_dtmf(struct call *c, bool is_a, sip_t const *sip)
{
	bool info_leg = !is_a && c->trunk && c->trunk->dtmf == TCONF_DTMF_INFO;
	const char *ctype = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	char digit;
	unsigned ms;

	if (!info_leg || !c->media || !sip || !sip->sip_payload ||
	    dtmf_relay_parse(ctype, sip->sip_payload->pl_data, sip->sip_payload->pl_len, &digit, &ms) < 0)
		return;
	LOG_DEBUG("call %s: digit %c (%u ms) by SIP INFO from leg B", c->id, digit, ms);
	media_session_dtmf(c->media, MEDIA_LEG_B, digit, ms);
}
_Static_assert((int)MEDIA_SEC_DTLS == (int)TCONF_MSEC_DTLS && (int)MEDIA_SEC_SDES == (int)TCONF_MSEC_SDES &&
	       (int)MEDIA_SEC_NONE == (int)TCONF_MSEC_NONE, "media_security enums differ");

static void on_media_event(media_session_t *ms, const struct media_event *ev, void *arg)
{
	struct call *c = arg;
	(void)ms;
	switch (ev->type) {
	case MEDIA_EV_TIMEOUT:
		LOG_NOTICE("call %s: no RTP from leg %c: hanging up", c->id, ev->leg == MEDIA_LEG_A ? 'A' : 'B');
		snprintf(c->reason, sizeof c->reason, "%s", REASON_RTP);
		c->ev.sip = NULL;
		c->ev.sdp = NULL;
		c->ev.leg = NULL;
		call_fsm_feed(c, EV_MEDIA_TIMEOUT);
		break;
	case MEDIA_EV_DTMF:
		send_info_dtmf(c, ev);
		break;
	case MEDIA_EV_SECURITY_FAILED:
	case MEDIA_EV_CONSENT_LOST:
		/* DTLS failed (fingerprint mismatch, handshake timeout) or the
		 * browser stopped its ICE consent checks: the media is gone. */
		LOG_NOTICE("call %s: leg %c: %s: %s: hanging up", c->id, ev->leg == MEDIA_LEG_A ? 'A' : 'B',
			   ev->type == MEDIA_EV_CONSENT_LOST ? "ICE consent lost" : "DTLS-SRTP failed", ev->addr);
		snprintf(c->reason, sizeof c->reason, "%s", REASON_MEDIASEC);
		c->ev.sip = NULL;
		c->ev.sdp = NULL;
		c->ev.leg = NULL;
		call_fsm_feed(c, EV_MEDIA_TIMEOUT);
		break;
	case MEDIA_EV_SECURE:
		LOG_INFO("call %s: leg %c: DTLS-SRTP up (%s)", c->id, ev->leg == MEDIA_LEG_A ? 'A' : 'B', ev->addr);
		break;
	case MEDIA_EV_LATCHED:
	case MEDIA_EV_SOURCE_CHANGED:
		LOG_INFO("call %s: leg %c media from %s%s", c->id, ev->leg == MEDIA_LEG_A ? 'A' : 'B',
			 ev->addr, ev->type == MEDIA_EV_SOURCE_CHANGED ? " (source changed)" : "");
		break;
	default:
		break;
	}
}

/* --- new calls ------------------------------------------------------------ */

static const char *body_sdp(sip_t const *sip, size_t *len)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_len)
		return NULL;
	if (sip->sip_content_type && sip->sip_content_type->c_type &&
	    strcasecmp(sip->sip_content_type->c_type, "application/sdp"))
		return NULL;
	*len = sip->sip_payload->pl_len;
	return sip->sip_payload->pl_data;
}

static void copy_user(char *dst, size_t len, const url_t *u);

/* An INVITE refused before it became a call still gets a call record
 * ('source': the trunk or user it came from, when known). */
static void reject_from(struct tsip *s, nua_handle_t *nh, sip_t const *sip, int status,
			const char *phrase, const char *why, const char *source)
{
	char id[16], caller[64], called[64];
	snprintf(id, sizeof id, "r%06" PRIx32, ++s->calls->next_id & 0xffffff);
	copy_user(caller, sizeof caller, sip && sip->sip_from ? sip->sip_from->a_url : NULL);
	copy_user(called, sizeof called, sip && sip->sip_request ? sip->sip_request->rq_url : NULL);
	atomic_fetch_add(&s->n.calls_rejected, 1);
	tsip_count_final(s, status);
	LOG_INFO("call %s: INVITE %s -> %s rejected: %d %s (%s)", id, caller, called, status, phrase, why);
	/* while draining, say when to come back (a dispatcher takes the hint) */
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(s->nua),
		    TAG_IF(status == 503 && (s->stopping || atomic_load(&s->draining)),
			   SIPTAG_RETRY_AFTER_STR(TSIP_RETRY_AFTER)), TAG_END());
	nua_handle_destroy(nh);
	{
		struct tcdr_record r = {
			.node = s->conf->general.node_name ? s->conf->general.node_name : "",
			.call_id = id, .attempt = 1, .caller = caller, .called_in = called,
			.final_code = status, .q850 = tcdr_q850_from_sip(status),
			.disposition = "REJECTED", .source = source,
		};
		clock_gettime(CLOCK_REALTIME, &r.start);
		r.end = r.start;
		tsip_cdr_emit(s, &r);
	}
}

static void reject(struct tsip *s, nua_handle_t *nh, sip_t const *sip, int status,
		   const char *phrase, const char *why)
{
	reject_from(s, nh, sip, status, phrase, why, NULL);
}

static void copy_user(char *dst, size_t len, const url_t *u)
{
	snprintf(dst, len, "%s", u && u->url_user ? u->url_user : "");
	/* keep log lines and the B leg's URIs clean of anything odd */
	for (char *p = dst; *p; p++)
		if (!(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !strchr("+-_.*#", *p))
			*p = '_';
}

static struct call *call_new(struct tsip *s, nua_handle_t *nh)
{
	struct call *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	struct tcall_table *t = s->calls;
	c->sip = s;
	c->conf = tconf_ref(s->conf);
	snprintf(c->id, sizeof c->id, "c%06" PRIx32, ++t->next_id & 0xffffff);
	c->a.call = c->b.call = c;
	c->a.which = MEDIA_LEG_A;
	c->b.which = MEDIA_LEG_B;
	c->a.nh = nh;
	nua_handle_bind(nh, &c->a);
	c->t_start = time(NULL);
	clock_gettime(CLOCK_REALTIME, &c->ts_start);
	c->ts_attempt = c->ts_start;
	c->attempt = 1;
	c->next = t->head;
	if (t->head)
		t->head->prev = c;
	t->head = c;
	t->count++;
	atomic_fetch_add(&s->n.calls_total, 1);
	atomic_fetch_add(&s->n.calls_active, 1);
	return c;
}

int call_invite_b(struct call *c, const struct media_sdp *offer)
{
	const struct tconf_trunk *tr = c->trunk;
	const struct tconf_interface *ifc = &c->conf->interfaces[0];
	const char *adv = ifc->advertise ? ifc->advertise : ifc->address;
	const char *tp = tr->transport == TCONF_TP_TCP ? ";transport=tcp" :
			 tr->transport == TCONF_TP_TLS ? ";transport=tls" : "";
	char to[512], from[256], ruri[512], hdrs[2048];
	bool anon;
	sip_t const *sip = c->ev.sip;
	const char *display = sip && sip->sip_from && sip->sip_from->a_display ? sip->sip_from->a_display : NULL;
	unsigned mf = sip && sip->sip_max_forwards ? sip->sip_max_forwards->mf_count : 70;

	/* numbers in the trunk's format, identity headers by its trust */
	call_route_outbound(&c->rt, tr, c->caller, c->called_out, sizeof c->called_out,
			    c->caller_out, sizeof c->caller_out, &anon, hdrs, sizeof hdrs);
	if (anon)
		snprintf(c->caller_out, sizeof c->caller_out, "anonymous");
	const char *from_user = c->caller_out;
	char hostport[280], proxy[320] = "", dest[320] = "";
	trunk_uri_host(tr, hostport, sizeof hostport);
	snprintf(ruri, sizeof ruri, "sip:%s@%s%s", c->called_out, hostport, tp);
	snprintf(c->b_ruri, sizeof c->b_ruri, "%s", ruri);
	snprintf(to, sizeof to, "<sip:%s@%s>", c->called_out, hostport);
	/* a trunk given by name: the resolved target this attempt goes to */
	if (tdns_target(c->sip, tr, c->dns_idx, proxy, sizeof proxy, dest, sizeof dest) < 0)
		proxy[0] = dest[0] = 0;
	if (anon)
		snprintf(from, sizeof from, "%s", HDR_ANON_FROM);
	else
		snprintf(from, sizeof from, "%s%s<sip:%s@%s>", display && !tr->caller_id ? display : "",
			 display && !tr->caller_id ? " " : "", from_user, adv);
	char cseq[32];
	snprintf(cseq, sizeof cseq, "%" PRIu32 " INVITE", c->b_cseq);
	c->b.nh = nua_handle(c->sip->nua, &c->b, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
			     TAG_IF(c->b_auth && c->b_call_id[0], SIPTAG_CALL_ID_STR(c->b_call_id)),
			     TAG_IF(c->b_auth && c->b_cseq, SIPTAG_CSEQ_STR(cseq)),
			     TAG_IF(proxy[0], NUTAG_PROXY(proxy)),
			     TAG_END());
	if (!c->b.nh)
		return -ENOMEM;
	c->b_used = true;
	/* this trunk's 100rel and session timer (prack.h, session_timer.h) */
	unsigned se = stimer_interval_for(c, tr);
	nua_set_hparams(c->b.nh, SIPTAG_SUPPORTED_STR(prack_supported(tr, se > 0)),
			NUTAG_SESSION_TIMER(se), NUTAG_MIN_SE(c->conf->calls.min_se), TAG_END());
	stimer_note_tx(&c->b, offer->sdp);
	char mfs[16];
	snprintf(mfs, sizeof mfs, "%u", mf > 70 ? 69 : (mf ? mf - 1 : 0));
	const char *req = prack_require(tr);
	nua_invite(c->b.nh, NUTAG_URL(ruri), SIPTAG_MAX_FORWARDS_STR(mfs),
		   TAG_IF(hdrs[0], SIPTAG_HEADER_STR(hdrs)),
		   TAG_IF(req, SIPTAG_REQUIRE_STR(req)),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer->sdp),
		   TAG_IF(c->b_auth && !c->b_auth_proxy, SIPTAG_AUTHORIZATION_STR(c->b_auth)),
		   TAG_IF(c->b_auth && c->b_auth_proxy, SIPTAG_PROXY_AUTHORIZATION_STR(c->b_auth)),
		   TAG_END());
	LOG_INFO("call %s: %s -> %s via trunk %s (%s%s%s)", c->id, from_user, c->called_out, tr->name, ruri,
		 dest[0] ? " to " : "", dest);
	trunk_acquire(c->sip, tr->name);
	c->trunk_held = tr->name;
	return 0;
}

void call_orphan_handle(struct tsip *s, nua_handle_t *nh, bool got_provisional, bool bye_sent)
{
	struct tcall_table *t = s->calls;
	struct tcall_leg *o = calloc(1, sizeof *o);
	if (!o) {
		nua_handle_bind(nh, NULL);
		nua_handle_destroy(nh);
		return;
	}
	o->which = MEDIA_LEG_B;
	o->nh = nh;
	o->got_provisional = got_provisional;
	o->bye_sent = bye_sent;
	nua_handle_bind(o->nh, o);
	if (o->got_provisional && !o->bye_sent) {
		o->bye_sent = true;
		nua_cancel(o->nh, TAG_END());
	}
	o->onext = t->orphans;
	if (t->orphans)
		t->orphans->oprev = o;
	t->orphans = o;
}

/* The current B leg (or every fork) is given up on but its INVITE may still
 * be answered: it lives on as an orphan that CANCELs as soon as it may and
 * ACK+BYEs a late 200, so no ghost call is left on the trunk or phone. */
static void orphan_b(struct call *c)
{
	if (c->trunk_held) {
		trunk_release(c->sip, c->trunk_held);
		c->trunk_held = NULL;
	}
	fork_abandon_all(c);
	if (c->b.nh)
		call_orphan_handle(c->sip, c->b.nh, c->b.got_provisional, c->b.bye_sent);
	stimer_leg_free(&c->b);
	memset(&c->b, 0, sizeof c->b);
	c->b.call = c;
	c->b.which = MEDIA_LEG_B;
	c->cancel_pending = false;
}

static void orphan_link(struct tcall_table *t, struct tcall_leg *o)
{
	o->onext = t->orphans;
	if (t->orphans)
		t->orphans->oprev = o;
	t->orphans = o;
}

void call_release_leg(struct call *c, struct tcall_leg *leg, const char *reason)
{
	enum media_leg which = leg->which;
	struct tcall_leg *o = leg->nh ? calloc(1, sizeof *o) : NULL;
	stimer_leg_free(leg);
	if (o) {
		o->which = which;
		o->nh = leg->nh;
		o->bye_sent = leg->bye_sent || leg->gone;
		nua_handle_bind(o->nh, o);
		if (!o->bye_sent) {
			o->bye_sent = true;
			nua_bye(o->nh, TAG_IF(reason, SIPTAG_REASON_STR(reason)), TAG_END());
		}
		orphan_link(c->sip->calls, o);
	} else if (leg->nh) {
		nua_handle_bind(leg->nh, NULL);
		nua_handle_destroy(leg->nh);
	}
	memset(leg, 0, sizeof *leg);
	leg->call = c;
	leg->which = which;
}

static void orphan_event(struct tsip *s, nua_event_t event, int status, nua_handle_t *nh,
			 struct tcall_leg *o, tagi_t tags[])
{
	(void)nh;
	if (event == nua_r_invite && status > 100 && status < 200 && !o->bye_sent) {
		o->bye_sent = true;
		nua_cancel(o->nh, TAG_END());
	} else if (event == nua_r_invite && status >= 200 && status < 300) {
		LOG_INFO("sip: late 200 on an abandoned attempt: ACK and BYE");
		nua_bye(o->nh, SIPTAG_REASON_STR("SIP;cause=487;text=\"Attempt abandoned\""), TAG_END());
	} else if (event == nua_r_bye && (status == 401 || status == 407)) {
		/* nua would wait for credentials for ever: let the attempt go */
		LOG_INFO("sip: BYE of an abandoned attempt challenged (%d): dropping it", status);
		orphan_free(s, o);
	} else if (event == nua_i_state) {
		int st = -1;
		tl_gets(tags, NUTAG_CALLSTATE_REF(st), TAG_END());
		if (st == nua_callstate_terminated)
			orphan_free(s, o);
	}
}

int call_reoffer_b(struct call *c)
{
	struct media_sdp out = { 0 };
	int rc = c->a_offer ? media_session_offer(c->media, MEDIA_LEG_A, c->a_offer, c->a_offer_len, &out)
			    : media_session_local_offer(c->media, MEDIA_LEG_B, &out);
	if (rc == 0 && out.sdp)
		rc = call_invite_b(c, &out);
	else if (rc == 0)
		rc = -EINVAL;
	media_sdp_clear(&out);
	if (rc < 0)
		return rc;
	call_timer_start(c, &c->t_setup, c->conf->calls.setup_timeout, EV_T_SETUP);
	return 0;
}

int call_failover(struct call *c, const char *why)
{
	const struct tconf_route *r = c->route;
	const struct tconf_interface *ifb = NULL;
	size_t i = 0;

	if (!r || c->endpoint != MEDIA_ENDPOINT_NONE)
		return -ENOENT;
	/* a trunk given by name first tries its other DNS targets (RFC 3263) */
	bool next_dns = c->trunk && c->dns_idx + 1 < tdns_count(c->sip, c->trunk);
	const char *cur_if = c->trunk ? c->trunk->interface : NULL;
	const struct tconf_target *tg = NULL;
	for (i = c->target + 1; !next_dns && (i = call_route_next(c->sip, c->id, &c->rt, i)) < c->rt.norder;
	     i++) {
		tg = &r->targets[c->rt.order[i]];
		if (tg->kind != TCONF_TARGET_TRUNK)
			continue;
		const char *nif = tg->trunk->interface;
		/* the B leg's media sockets are bound on one interface */
		if ((cur_if || nif) && (!cur_if || !nif || strcmp(cur_if, nif))) {
			LOG_WARN("call %s: not failing over to trunk %s: it is on another interface",
				 c->id, tg->trunk->name);
			continue;
		}
		break;
	}
	if (!next_dns && i >= c->rt.norder)
		return -ENOENT;
	(void)ifb;
	if (next_dns)
		LOG_NOTICE("call %s: trunk %s target %zu failed (%s): trying its next DNS target", c->id,
			   c->trunk->name, c->dns_idx + 1, why);
	else
		LOG_NOTICE("call %s: trunk %s failed (%s): failing over to trunk %s", c->id,
			   c->trunk ? c->trunk->name : "?", why, tg->trunk->name);
	call_cdr(c, "FAILOVER", c->ev.sip || c->ev.status ? c->ev.status : 408);
	c->q850 = 0;
	orphan_b(c);
	call_timers_stop(c);
	media_session_offer_rejected(c->media, MEDIA_LEG_B);
	if (next_dns) {
		c->dns_idx++;
	} else {
		c->target = i;
		c->trunk = tg->trunk;
		c->dns_idx = 0;
	}
	c->attempt++;
	clock_gettime(CLOCK_REALTIME, &c->ts_attempt);
	free(c->b_auth);            /* credentials were for the last target */
	c->b_auth = NULL;
	c->b_auth_tries = 0;
	return call_reoffer_b(c);
}

static int media_error_status(struct tsip *s, int rc, const char **phrase)
{
	if (rc == -ENOSPC || rc == -EBUSY)
		atomic_fetch_add(&s->n.limit_hits[rc == -ENOSPC ? TLIMIT_RTP_PORTS :
						  TLIMIT_TRANSCODING], 1);
	switch (rc) {
	case -ENOSPC: *phrase = "Service Unavailable"; return 503;
	case -EBUSY: *phrase = "Service Unavailable"; return 503;  /* max_transcoded reached */
	case -ENOTSUP: *phrase = "Not Acceptable Here"; return 488;
	case -EINVAL: *phrase = "Bad Session Description"; return 400;
	default: *phrase = "Server Internal Error"; return 500;
	}
}

static void start_call(struct call *c, const char *sdp, size_t sdp_len)
{
	struct media_sdp out = { 0 };
	const char *phrase;
	int rc;

	if (c->endpoint != MEDIA_ENDPOINT_NONE) {
		rc = sdp ? media_session_offer(c->media, MEDIA_LEG_A, sdp, sdp_len, &out)
			 : media_session_local_offer(c->media, MEDIA_LEG_A, &out);
		c->a_late_offer = !sdp;
		if (rc < 0 || !out.sdp)
			goto media_failed;
		call_answered(c);
		call_respond_a(c, 200, "OK", out.sdp, out.len);
		media_sdp_clear(&out);
		if (c->conf->calls.max_duration)
			call_timer_start(c, &c->t_maxdur, c->conf->calls.max_duration, EV_T_MAXDUR);
		c->state = CS_ANSWERED;
		return;
	}
	/* Early offer: relay it. Late offer: offer our own codecs on B. */
	rc = sdp ? media_session_offer(c->media, MEDIA_LEG_A, sdp, sdp_len, &out)
		 : media_session_local_offer(c->media, MEDIA_LEG_B, &out);
	c->a_late_offer = !sdp;
	if (rc < 0 || !out.sdp)
		goto media_failed;
	rc = c->callee ? fork_start(c, &out) : call_invite_b(c, &out);
	media_sdp_clear(&out);
	if (rc == -ENOENT) {
		call_fail_a(c, 480, NULL, "the user has no registered phone");
		c->state = CS_TERMINATING;
		return;
	}
	if (rc < 0) {
		call_fail_a(c, 500, NULL, "cannot create the outbound leg");
		c->state = CS_TERMINATING;
		return;
	}
	call_timer_start(c, &c->t_setup, c->conf->calls.setup_timeout, EV_T_SETUP);
	c->state = CS_TRYING;
	return;

media_failed:
	media_sdp_clear(&out);
	rc = rc < 0 ? rc : -EINVAL;
	int st = media_error_status(c->sip, rc, &phrase);
	LOG_INFO("call %s: caller's SDP refused: %s", c->id, strerror(-rc));
	call_fail_a(c, st, phrase, "media");
	c->state = CS_TERMINATING;
}

/* Every answer we give carries SDP: a caller whose Accept rules it out gets
 * 406 (RFC 3261 21.4.7; RFC 4475 sdp01). No Accept means application/sdp. */
static bool accepts_sdp(sip_accept_t const *ac)
{
	if (!ac)
		return true;
	for (; ac; ac = ac->ac_next) {
		const char *t = ac->ac_type;
		if (!t || !strcasecmp(t, "application/sdp") || !strcasecmp(t, "application/*") ||
		    !strcmp(t, "*/*"))
			return true;
	}
	return false;
}

/* Calls from or to user 'name' now (max_calls). */
static unsigned user_calls(struct tsip *s, const char *name)
{
	unsigned n = 0;
	for (struct call *c = s->calls->head; c; c = c->next)
		n += (c->from_user && !strcmp(c->from_user->name, name)) ||
		     (c->callee && !strcmp(c->callee->name, name));
	return n;
}

static void handle_new_invite(struct tsip *s, nua_handle_t *nh, sip_t const *sip)
{
	const tconf_t *conf = s->conf;
	char called[64];
	size_t sdp_len = 0;
	const char *sdp = body_sdp(sip, &sdp_len);

	atomic_fetch_add(&s->n.attempts, 1);
	if (s->stopping || atomic_load(&s->draining)) {
		/* a dispatcher in front (Kamailio) moves the call to another node */
		reject(s, nh, sip, 503, "Service Unavailable", s->stopping ? "shutting down" : "draining");
		return;
	}
	/* Never a free call: a source that is not trusted must be a user */
	struct tsip_src src;
	const struct tconf_trunk *from_trunk = NULL;
	const struct tconf_user *from_user = NULL;
	if (tsip_request_source(s, sip, &src) < 0) {
		reject(s, nh, sip, 500, "Server Internal Error", "no source address");
		return;
	}
	if (tauth_check(s, nh, sip, &src, true, &from_trunk, &from_user) == TAUTH_ANSWERED) {
		nua_handle_destroy(nh);
		return;
	}
	if (!sdp && sip->sip_payload && sip->sip_payload->pl_len && sip->sip_content_type) {
		/* a body we cannot read is not a late offer (RFC 3261 21.4.13) */
		atomic_fetch_add(&s->n.calls_rejected, 1);
		tsip_count_final(s, 415);
		LOG_INFO("INVITE rejected: 415 (body of type %s)", sip->sip_content_type->c_type ?
			 sip->sip_content_type->c_type : "?");
		nua_respond(nh, SIP_415_UNSUPPORTED_MEDIA, NUTAG_WITH_THIS(s->nua),
			    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	if (!accepts_sdp(sip->sip_accept)) {
		reject(s, nh, sip, 406, "Not Acceptable", "Accept does not include application/sdp");
		return;
	}
	if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
		reject(s, nh, sip, 483, "Too Many Hops", "Max-Forwards reached 0");
		return;
	}
	copy_user(called, sizeof called, sip->sip_request ? sip->sip_request->rq_url : NULL);
	if (!called[0]) {
		reject(s, nh, sip, 484, "Address Incomplete", "no number in the Request-URI");
		return;
	}
	char caller[64], why[96];
	const char *rphrase = NULL;
	struct call_routing rt;
	size_t ti;
	copy_user(caller, sizeof caller, sip->sip_from ? sip->sip_from->a_url : NULL);
	if (from_user)      /* a user calls as its own number: no spoofing of another's */
		snprintf(caller, sizeof caller, "%s", from_user->number ? from_user->number : from_user->name);
	int rst = call_route_new(s, sip, called, caller, from_user, &rt, &ti, &rphrase, why, sizeof why);
	if (rst) {
		reject_from(s, nh, sip, rst, rphrase, why, rt.source);
		return;
	}
	const struct tconf_route *r = rt.route;
	const struct tconf_target *tg = call_route_target(&rt, ti);
	if (tg->kind == TCONF_TARGET_USER && tg->user->max_calls &&
	    user_calls(s, tg->user->name) >= tg->user->max_calls) {
		call_route_release(s, &rt);
		reject(s, nh, sip, 486, "Busy Here", "the user's max_calls are in use");
		return;
	}

	struct call *c = call_new(s, nh);
	if (!c) {
		call_route_release(s, &rt);
		reject(s, nh, sip, 500, "Server Internal Error", "out of memory");
		return;
	}
	c->rt = rt;
	snprintf(c->called, sizeof c->called, "%s", called);
	copy_user(c->caller, sizeof c->caller, sip->sip_from ? sip->sip_from->a_url : NULL);
	if (from_user)
		/* a user calls as its own number: no spoofing of another's */
		snprintf(c->caller, sizeof c->caller, "%s",
			 from_user->number ? from_user->number : from_user->name);
	c->from_user = from_user;
	if (from_user) {
		/* a phone behind NAT: requests to it in this dialog (BYE, re-INVITE)
		 * go where its INVITE came from, not to its private Contact */
		char hop[96];
		bool v6 = strchr(src.ip, ':') != NULL;
		snprintf(hop, sizeof hop, "sip:%s%s%s:%u;transport=%s", v6 ? "[" : "", src.ip,
			 v6 ? "]" : "", src.port, src.transport);
		nua_set_hparams(nh, NUTAG_PROXY(hop), TAG_END());
	}
	c->a_100rel = prack_caller_wants(sip);
	unsigned se = stimer_interval_for(c, NULL);
	nua_set_hparams(nh, SIPTAG_SUPPORTED_STR(prack_supported(NULL, se > 0)),
			NUTAG_SESSION_TIMER(se), TAG_END());
	stimer_note_rx(&c->a, sdp, sdp_len);
	stimer_note_allow(&c->a, sip);
	stimer_negotiate(c, &c->a, sip, true);
	c->ev.sip = sip;
	c->ev.leg = &c->a;
	c->endpoint = tg->kind == TCONF_TARGET_ECHO ? MEDIA_ENDPOINT_ECHO :
		      tg->kind == TCONF_TARGET_MILLIWATT ? MEDIA_ENDPOINT_MILLIWATT : MEDIA_ENDPOINT_NONE;
	c->trunk = tg->kind == TCONF_TARGET_TRUNK ? tg->trunk : NULL;
	c->callee = tg->kind == TCONF_TARGET_USER ? tg->user : NULL;
	c->route = r;
	c->target = ti;
	if (sdp && (c->trunk || c->callee)) {
		c->a_offer = malloc(sdp_len + 1);
		if (c->a_offer) {
			memcpy(c->a_offer, sdp, sdp_len);
			c->a_offer[sdp_len] = '\0';
			c->a_offer_len = sdp_len;
		}
	}

	const struct tconf_interface *ifa = &conf->interfaces[0];
	const struct tconf_interface *ifb = c->trunk && c->trunk->interface ?
		tconf_interface(conf, c->trunk->interface) : NULL;
	struct media_session_opts mo = {
		.leg = {
			[MEDIA_LEG_A] = { .iface = ifa, .latch = true },
			[MEDIA_LEG_B] = { .iface = ifb ? ifb : ifa,
					  .latch = c->trunk ? c->trunk->latch : true,
					  .endpoint = c->endpoint,
					  .codecs = c->trunk ? c->trunk->codecs : NULL,
					  .dtmf_info = c->trunk && c->trunk->dtmf == TCONF_DTMF_INFO,
					  /* same order as enum tconf_media_security */
					  .security = c->trunk ? (enum media_security)c->trunk->media_security :
						      c->callee ? (enum media_security)c->callee->media_security :
								  MEDIA_SEC_OPTIONAL },
		},
		.rtp_timeout = conf->media.rtp_timeout,
		.hold_timeout = conf->media.hold_timeout,
		.latch_window = conf->media.latch_window,
		.owner_q = s->q,
		.cb = on_media_event,
		.cb_arg = c,
		.label = c->id,
	};
	int rc = media_session_new(s->media, &mo, &c->media);
	if (rc < 0) {
		const char *phrase;
		int st = media_error_status(c->sip, rc, &phrase);
		LOG_WARN("call %s: no media session: %s%s", c->id, strerror(-rc),
			 rc == -ENOSPC ? " (RTP port range exhausted: widen rtp_port_min/max)" : "");
		call_fail_a(c, st, phrase, "media");
		c->state = CS_TERMINATING;
		return;
	}
	LOG_INFO("call %s: INVITE %s -> %s (%s%s)", c->id, c->caller, c->called,
		 c->callee ? "user " : "", c->trunk ? c->trunk->name : c->callee ? c->callee->name :
		 c->endpoint == MEDIA_ENDPOINT_ECHO ? "echo" : "milliwatt");
	start_call(c, sdp, sdp_len);
}

/* --- sofia events -> call events ------------------------------------------------ */

static int callstate_of(tagi_t tags[])
{
	int st = -1;
	tl_gets(tags, NUTAG_CALLSTATE_REF(st), TAG_END());
	return st;
}

void tcall_on_event(struct tsip *s, nua_event_t event, int status, char const *phrase,
		    nua_handle_t *nh, struct tcall_leg *leg, sip_t const *sip, tagi_t tags[])
{
	if (!leg) {
		switch (event) {
		case nua_i_invite:
			handle_new_invite(s, nh, sip);
			return;
		case nua_i_state:
		case nua_i_terminated:
		case nua_r_bye:
		case nua_r_invite:
		case nua_i_ack:
		case nua_i_cancel:
		case nua_i_bye:
			/* a handle whose call is gone: just let it end */
			if (event == nua_i_state && callstate_of(tags) == nua_callstate_terminated)
				nua_handle_destroy(nh);
			return;
		case nua_i_update:
			/* an UPDATE for a dialog we do not have */
			nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(s->nua), TAG_END());
			nua_handle_destroy(nh);
			return;
		default:
			if (nua_event_is_incoming_request(event)) {
				nua_respond(nh, SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(s->nua), TAG_END());
				nua_handle_destroy(nh);
			}
			return;
		}
	}

	if (!leg->call) {
		orphan_event(s, event, status, nh, leg, tags);
		return;
	}
	struct call *c = leg->call;
	size_t sdp_len = 0;
	c->ev.sip = sip;
	c->ev.status = status;
	c->ev.phrase = phrase;
	c->ev.leg = leg;
	c->ev.sdp = body_sdp(sip, &sdp_len);
	c->ev.sdp_len = sdp_len;
	if (c->xfer && refer_on_event(c, event, status, phrase, leg, sip, tags))
		return;

	if (leg->fork) {
		fork_on_event(c, leg, event, status, tags);
		return;
	}
	bool is_a = leg == &c->a;
	bool peer_offer = event == nua_i_invite || event == nua_i_update;
	if (c->ev.sdp && !peer_offer)
		stimer_note_rx(leg, c->ev.sdp, sdp_len);
	if (peer_offer && c->state == CS_CONFIRMED) {
		/* a refresh (RFC 4028) is answered here, never relayed */
		stimer_negotiate(c, leg, sip, true);
		if (c->ev.sdp && stimer_answer_refresh(c, leg, nh, c->ev.sdp, sdp_len,
							event == nua_i_update)) {
			if (event == nua_i_update)
				stimer_arm(c, leg);     /* a re-INVITE: at its ACK */
			return;
		}
		if (c->ev.sdp)
			stimer_note_rx(leg, c->ev.sdp, sdp_len);
	}
	switch (event) {
	case nua_i_invite:
		if (c->state == CS_EARLY) {
			/* no re-INVITE before the dialog is confirmed (RFC 3261 14.2) */
			nua_respond(nh, SIP_491_REQUEST_PENDING, TAG_END());
			return;
		}
		c->reoffer_update = false;
		call_fsm_feed(c, is_a ? EV_A_REINVITE : EV_B_REINVITE);
		return;
	case nua_i_update:
		/* UPDATE (RFC 3311) without SDP only refreshes the dialog; with an
		 * offer it goes through the same path as a re-INVITE and is relayed
		 * as an UPDATE, so the other leg's dialog state moves the same way.
		 * One offer at a time: another crossing it gets 491 at once. */
		if (!c->ev.sdp) {
			nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(s->nua), TAG_END());
			stimer_arm(c, leg);
			return;
		}
		/* early dialogs too, once their offer/answer is done (RFC 3311 5.1:
		 * reliable 18x answered, PRACKed): relayed the same way */
		if ((c->state != CS_CONFIRMED && c->state != CS_EARLY) || c->reinvite_from ||
		    c->upd_saved_valid) {
			nua_respond(nh, SIP_491_REQUEST_PENDING, NUTAG_WITH_THIS(s->nua), TAG_END());
			return;
		}
		c->upd_saved_valid = nua_save_event(s->nua, c->upd_saved) != 0;
		c->reoffer_update = true;
		call_fsm_feed(c, is_a ? EV_A_REINVITE : EV_B_REINVITE);
		return;
	case nua_r_update:
		if (stimer_on_response(c, leg, event, status))
			return;
		if (c->reinvite_from && c->reinvite_from != leg && status >= 200) {
			if (status < 300)
				stimer_arm(c, leg);     /* the relayed offer refreshed the leg */
			call_fsm_feed(c, EV_REINVITE_DONE);
		}
		return;
	case nua_r_invite:
		if (stimer_on_response(c, leg, event, status))
			return;
		if (c->reinvite_from && c->reinvite_from != leg) {
			if (status >= 200 && status < 300) {
				stimer_negotiate(c, leg, sip, false);
				stimer_arm(c, leg);
			}
			if (status >= 200)
				call_fsm_feed(c, EV_REINVITE_DONE);
			return;
		}
		if (is_a || status < 101)
			return;
		if (status < 200) {
			leg->got_provisional = true;
			call_fsm_feed(c, c->ev.sdp ? EV_B_EARLY_MEDIA : EV_B_PROGRESS);
		} else {
			leg->got_provisional = true;
			if (status == 401 || status == 407) {
				call_b_challenged(c, leg, nh);
				return;
			}
			if (status < 300) {
				stimer_note_allow(leg, sip);
				stimer_negotiate(c, leg, sip, false);
				stimer_arm(c, leg);
			}
			call_fsm_feed(c, status < 300 ? EV_B_ANSWER : EV_B_REJECT);
		}
		return;
	case nua_r_bye:
		if (!is_a && (status == 401 || status == 407)) {
			call_b_bye_challenged(c, leg, nh);
			return;
		}
		/* a BYE the call core did not send: nua's session timer ran out */
		if (status >= 200 && !leg->bye_sent)
			stimer_expired(c, leg);
		return;
	case nua_i_ack:
		stimer_arm(c, leg);     /* the session (re)started on this leg */
		call_fsm_feed(c, EV_ACK);
		return;
	case nua_i_cancel:
		if (is_a && !c->a_final_sent)
			tsip_count_final(s, 487);   /* nua has answered the INVITE 487 */
		if (is_a)
			call_fsm_feed(c, EV_A_CANCEL);
		return;
	case nua_i_bye:
		call_fsm_feed(c, is_a ? EV_A_BYE : EV_B_BYE);
		return;
	case nua_i_state:
		if (callstate_of(tags) == nua_callstate_terminated) {
			nua_handle_bind(nh, NULL);
			nua_handle_destroy(nh);
			leg->nh = NULL;
			call_fsm_feed(c, EV_LEG_GONE);
		}
		return;
	case nua_i_refer:
		refer_on_request(c, leg, nh, sip, tags);
		return;
	case nua_i_info:
		/* DTMF from a trunk with dtmf = info; any other INFO is accepted
		 * and ignored. */
		recv_info_dtmf(c, is_a, sip);
		nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(s->nua), TAG_END());
		return;
	default:
		if (nua_event_is_incoming_request(event) && event != nua_i_prack)
			nua_respond(nh, SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(s->nua), TAG_END());
		return;
	}
}

/* --- listing (tandemctl calls) ----------------------------------------------- */

static json_t *leg_json(const struct media_leg_stats *st, const char *kind)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:s}",
			      "kind", kind, "codec", st->codec, "remote", st->remote, "local", st->local,
			      "packets_in", (json_int_t)st->packets_in, "packets_out", (json_int_t)st->packets_out,
			      "dropped", (json_int_t)st->dropped, "on_hold", st->on_hold,
			      "security", st->security);
	/* Quality (rtcp_leg.h); round trip and MOS only when known. */
	if (j && st->rtp_expected) {
		json_object_set_new(j, "rtp_lost", json_integer((json_int_t)st->rtp_lost));
		json_object_set_new(j, "jitter_ms", json_real(st->jitter_ms));
		json_object_set_new(j, "mos", json_real(st->mos));
	}
	if (j && st->rtt_ms >= 0)
		json_object_set_new(j, "rtt_ms", json_real(st->rtt_ms));
	return j;
}

static void list_calls(tsip_t *s, void *arg)
{
	json_t *arr = arg;
	time_t now = time(NULL);
	for (struct call *c = s->calls->head; c; c = c->next) {
		struct media_leg_stats st[2];
		memset(st, 0, sizeof st);
		if (c->media)
			media_session_stats(c->media, st);
		const char *target = c->trunk ? c->trunk->name : c->callee ? c->callee->name :
				     c->endpoint == MEDIA_ENDPOINT_ECHO ? "echo" : "milliwatt";
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o}",
			"id", c->id, "state", call_state_name(c->state), "caller", c->caller,
			"called", c->called, "target", target,
			"age_s", (json_int_t)(now - c->t_start),
			"connected_s", (json_int_t)(c->t_answer ? now - c->t_answer : 0),
			"codec", st[0].codec,
			"leg_a", leg_json(&st[0], "sip"),
			"leg_b", leg_json(&st[1], c->trunk || c->callee ? "sip" : target)));
	}
}

struct hangup_req {
	const char *id;
	bool found;
};

static void hangup_one(tsip_t *s, void *arg)
{
	struct hangup_req *h = arg;
	for (struct call *c = s->calls->head; c; c = c->next)
		if (!strcmp(c->id, h->id)) {
			h->found = true;
			LOG_NOTICE("call %s: hung up by the operator", c->id);
			snprintf(c->reason, sizeof c->reason, "%s",
				 "Q.850;cause=16;text=\"Hung up by the operator\"");
			c->ev.sip = NULL;
			c->ev.sdp = NULL;
			c->ev.leg = NULL;
			c->ev.status = 0;
			call_fsm_feed(c, EV_HANGUP);
			return;
		}
}

int tsip_hangup_call(tsip_t *s, const char *id)
{
	struct hangup_req h = { .id = id };
	tsip_call_sync(s, hangup_one, &h);
	return h.found ? 0 : -ENOENT;
}

json_t *tsip_calls_json(tsip_t *s)
{
	json_t *arr = json_array();
	if (arr)
		tsip_call_sync(s, list_calls, arr);
	return arr;
}
