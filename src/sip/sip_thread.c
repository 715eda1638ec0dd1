/* sip_thread.c - see sip_thread.h. */
#include "config.h"

#include "sip/sip_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su_log.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/tport_tag.h>

#include "core/cdr.h"
#include "core/cdr_sink.h"
#include "core/log.h"
#include "sip/trunk_dns.h"
#include "sip/trunk_register.h"
#include "sip/auth.h"
#include "sip/regsip.h"
#include "sip/prack.h"
#include "sip/trunks.h"
#include "sip/ws_glue.h"

#define TSIP_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK, REFER, REGISTER"

/* Outbound TLS: the peer's chain must verify against cafile.pem, and its
 * certificate (CN or subjectAltName) must name the Request-URI's host, i.e.
 * the trunk's host (the SIP domain, also when SRV points elsewhere, as RFC
 * 5922 says): sofia 1.12 matches that name against the certificate's
 * subjects with this policy. */
#define TLS_VERIFY_POLICY TPTLS_VERIFY_SUBJECTS_OUT

/* How long SIGTERM waits for BYEs to be answered before nua_shutdown. */
#define STOP_GRACE_MS 3000

static void nua_callback(nua_event_t event, int status, char const *phrase,
			 nua_t *nua, struct tsip *s, nua_handle_t *nh,
			 struct tcall_leg *leg, sip_t const *sip, tagi_t tags[]);

static int queue_wakeup(struct tsip *s, su_wait_t *w, su_wakeup_arg_t *arg)
{
	(void)w;
	(void)arg;
	tq_drain(s->q);
	return 0;
}

/* Sofia's own logging goes to stderr through its own printf; route it into
 * our log at debug level so a confused admin sees one format. */
static void sofia_logger(void *stream, char const *fmt, va_list ap)
{
	static int tls_lines;       /* lines still to come of a certificate error */
	char msg[512];
	(void)stream;
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\r\n")] = 0;
	/* sofia says why it refused a TLS peer's certificate only at its debug
	 * level: an admin must see it (the depth, issuer, subject and OpenSSL's
	 * reason lines; or a name that does not match) */
	if (strstr(msg, "Error with certificate at depth"))
		tls_lines = 4;
	if (tls_lines > 0 || strstr(msg, "Peer Subject Mismatch")) {
		const char *p = msg + strspn(msg, " -");
		LOG_WARN("sip: TLS peer certificate refused: %s", p);
		if (tls_lines > 0)
			tls_lines--;
		return;
	}
	tlog(TLOG_DEBUG, "%s", msg);
}

/* user_agent = none: no User-Agent or Server header at all. */
static bool tsip_ua_hidden(const tconf_t *c)
{
	return c->general.user_agent && !strcmp(c->general.user_agent, "none");
}

static void answer_options(struct tsip *s, nua_handle_t *nh)
{
	const char *ua = tsip_ua_hidden(s->conf) ? NULL : s->conf->general.user_agent;
	/* A draining node answers 503 so a load balancer's dispatcher (Kamailio
	 * probes with OPTIONS) takes it out while its calls finish. */
	bool draining = atomic_load(&s->draining);
	nua_respond(nh, draining ? 503 : 200, draining ? "Service Unavailable (draining)" : "OK",
		    NUTAG_WITH_THIS(s->nua),
		    TAG_IF(draining, SIPTAG_RETRY_AFTER_STR(TSIP_RETRY_AFTER)),
		    SIPTAG_ALLOW_STR(TSIP_ALLOW),
		    SIPTAG_ACCEPT_STR("application/sdp"),
		    TAG_IF(ua && *ua, SIPTAG_SERVER_STR(ua)),
		    TAG_END());
	nua_handle_destroy(nh);
	atomic_fetch_add(&s->n.options_answered, 1);
}

static void nua_callback(nua_event_t event, int status, char const *phrase,
			 nua_t *nua, struct tsip *s, nua_handle_t *nh,
			 struct tcall_leg *leg, sip_t const *sip, tagi_t tags[])
{
	(void)nua;
	if (nua_event_is_incoming_request(event))
		atomic_fetch_add(&s->n.requests_in, 1);
	if (s->ws_internal[0] && tsip_ws_check_request(s, event, nh, sip) < 0)
		return;
	if (tregsip_on_event(s, event, status, nh, leg))
		return;

	switch (event) {
	case nua_i_options:
		answer_options(s, nh);
		return;
	case nua_r_options:
		if (trunks_on_options(s, nh, status))
			return;
		break;
	case nua_r_register:
	case nua_r_unregister:
		if (trunk_reg_on_response(s, nh, status, phrase, sip))
			return;
		break;
	case nua_i_register:
		tregsip_on_register(s, nh, sip);
		return;
	case nua_r_shutdown:
		if (status >= 200) {
			LOG_INFO("sip: stack shut down (%d %s)", status, phrase);
			su_root_break(s->root);
		}
		return;
	case nua_i_error:
		LOG_WARN("sip: stack error %d %s", status, phrase ? phrase : "");
		return;
	default:
		break;
	}
	tcall_on_event(s, event, status, phrase, nh, leg, sip, tags);
}

/* The listener URL for an interface: the advertised address goes into Via and
 * Contact, the bind address into maddr (sofia binds to maddr when given). */
static void listener_url(const struct tconf_interface *ifc, char *buf, size_t len)
{
	const char *adv = ifc->advertise ? ifc->advertise : ifc->address;
	bool v6 = strchr(adv, ':') != NULL;
	bool v6b = strchr(ifc->address, ':') != NULL;
	const char *tp = "";
	if ((ifc->transports & (TCONF_TP_UDP | TCONF_TP_TCP)) == TCONF_TP_UDP)
		tp = ";transport=udp";
	else if ((ifc->transports & (TCONF_TP_UDP | TCONF_TP_TCP)) == TCONF_TP_TCP)
		tp = ";transport=tcp";
	if (strcmp(adv, ifc->address))
		snprintf(buf, len, "sip:%s%s%s:%u;maddr=%s%s%s%s", v6 ? "[" : "", adv, v6 ? "]" : "",
			 ifc->sip_port, v6b ? "[" : "", ifc->address, v6b ? "]" : "", tp);
	else
		snprintf(buf, len, "sip:%s%s%s:%u%s", v6 ? "[" : "", adv, v6 ? "]" : "",
			 ifc->sip_port, tp);
}

/* The TLS listener: sips:ADVERTISE:TLS_PORT[;maddr=BIND]. */
static void tls_listener_url(const struct tconf_interface *ifc, char *buf, size_t len)
{
	const char *adv = ifc->advertise ? ifc->advertise : ifc->address;
	bool v6 = strchr(adv, ':') != NULL, v6b = strchr(ifc->address, ':') != NULL;
	if (strcmp(adv, ifc->address))
		snprintf(buf, len, "sips:%s%s%s:%u;maddr=%s%s%s", v6 ? "[" : "", adv, v6 ? "]" : "",
			 ifc->tls_port, v6b ? "[" : "", ifc->address, v6b ? "]" : "");
	else
		snprintf(buf, len, "sips:%s%s%s:%u", v6 ? "[" : "", adv, v6 ? "]" : "", ifc->tls_port);
}

static int stack_create(struct tsip *s)
{
	const tconf_t *c = s->conf;
	if (c->ninterfaces == 0)
		return -EINVAL;
	const struct tconf_interface *ifc = &c->interfaces[0];
	char url[256];
	listener_url(ifc, url, sizeof url);
	if (c->ninterfaces > 1)
		LOG_WARN("sip: only interface '%s' carries SIP in this version; "
			 "the other %zu interfaces are used for media only", ifc->name, c->ninterfaces - 1);

	/* SIP over TLS: a sips listener; outbound TLS (trunks) uses its context */
	bool tls = (ifc->transports & TCONF_TP_TLS) && ifc->tls_certificate_dir;
	char sips[300] = "";
	if (tls) {
		tls_listener_url(ifc, sips, sizeof sips);
		if (!ifc->tls_verify_server)
			LOG_WARN("sip: tls_verify_server = no on interface %s: certificates of TLS trunks are "
				 "NOT checked; anyone on the path can pose as the carrier (use only for tests)",
				 ifc->name);
	}
	s->nua = nua_create(s->root, nua_callback, s,
			    NUTAG_URL(url),
			    TAG_IF(tls, NUTAG_SIPS_URL(sips)),
			    TAG_IF(tls, NUTAG_CERTIFICATE_DIR(ifc->tls_certificate_dir)),
			    TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(ifc->tls_verify_server ?
							       TLS_VERIFY_POLICY : TPTLS_VERIFY_NONE)),
			    TAG_IF(tls, TPTAG_TLS_VERIFY_DEPTH(9)),
			    /* REGISTER needs no entry here: nua hands every REGISTER to
			     * us (nua_i_register). Adding it made sofia 1.12.11's
			     * msg_params_join read past its list (seen under ASan). */
			    NUTAG_APPL_METHOD("OPTIONS, UPDATE"),
			    NUTAG_MEDIA_ENABLE(0),       /* SDP is ours, not soa's */
			    NUTAG_AUTOANSWER(0),
			    NUTAG_AUTOACK(1),
			    NUTAG_ENABLEINVITE(1),
			    /* exactly what we do, and no stack version: a carrier's
			     * peers learn nothing about what runs behind this node */
			    SIPTAG_ALLOW_STR(TSIP_ALLOW),
			    TAG_IF(!tsip_ua_hidden(c), SIPTAG_USER_AGENT_STR(c->general.user_agent &&
						  *c->general.user_agent ? c->general.user_agent : "tandem")),
			    /* SIP_NONE: no header at all (NULL would mean sofia's own) */
			    TAG_IF(tsip_ua_hidden(c), SIPTAG_USER_AGENT(SIP_NONE)),
			    /* defaults for callers' INVITEs (each leg sets its own,
			     * prack.h, session_timer.h); Min-SE answers 422 */
			    SIPTAG_SUPPORTED_STR(prack_supported(NULL, c->calls.session_expires > 0)),
			    NUTAG_SESSION_TIMER(c->calls.session_expires),
			    NUTAG_MIN_SE(c->calls.min_se),
			    NTATAG_UDP_MTU(65535),
			    /* registered phones' TCP connections stay open for calls to
			     * them; with keepalive = crlf they are pinged (RFC 5626) */
			    TPTAG_IDLE(UINT_MAX),
			    TAG_IF(c->registrar.keepalive == TCONF_KA_CRLF,
				   TPTAG_KEEPALIVE(c->registrar.keepalive_interval * 1000u)),
			    TAG_END());
	if (!s->nua) {
		LOG_ERR("sip: cannot listen on %s: %s (is another process using port %u on %s?)",
			url, strerror(errno), ifc->sip_port, ifc->address);
		return errno ? -errno : -EADDRINUSE;
	}
	LOG_NOTICE("sip: listening on %s%s%s (interface %s)", url, tls ? " and " : "", sips, ifc->name);
	return 0;
}

/* The call record file follows the configuration (cdr_file is reloadable). */
static void cdr_follow_conf(struct tsip *s)
{
	const char *want = s->conf->general.cdr_file;
	const char *have = s->cdr ? tcdr_path(s->cdr) : NULL;
	if ((!want && !have) || (want && have && !strcmp(want, have)))
		return;
	tcdr_close(s->cdr);
	s->cdr = NULL;
	if (!want)
		return;
	int rc = tcdr_open(want, &s->cdr);
	if (rc < 0)
		LOG_ERR("cannot open cdr_file %s: %s; no call records are written", want, strerror(-rc));
	else
		LOG_INFO("call records go to %s", want);
}

static void stop_timers_free(struct tsip *s);

static void set_start_state(struct tsip *s, int st)
{
	pthread_mutex_lock(&s->start_lock);
	s->start_state = st;
	pthread_cond_signal(&s->start_cond);
	pthread_mutex_unlock(&s->start_lock);
}

static void *sip_main(void *arg)
{
	struct tsip *s = arg;
	int rc = 0;

	su_home_init(s->home);
	s->root = su_root_create(s);
	if (!s->root) {
		set_start_state(s, -ENOMEM);
		return NULL;
	}
	/* No helper thread inside sofia: this thread is its only user. */
	su_root_threading(s->root, 0);

	su_wait_create(s->q_wait, tq_fd(s->q), SU_WAIT_IN);
	s->q_reg = su_root_register(s->root, s->q_wait, queue_wakeup, NULL, 0);
	cdr_follow_conf(s);
	if (s->q_reg < 0 || (rc = tcall_table_new(s)) < 0 || (rc = stack_create(s)) < 0 ||
	    (rc = tsip_ws_listen(s)) < 0 ||
	    (rc = trunks_init(s)) < 0 || (rc = trunk_reg_init(s)) < 0 ||
	    (rc = tdns_init(s)) < 0 || (rc = tauth_init(s)) < 0 || (rc = tregsip_init(s)) < 0) {
		set_start_state(s, s->q_reg < 0 ? -ENOMEM : rc);
		goto out;
	}
	set_start_state(s, 1);
	su_root_run(s->root);

out:
	stop_timers_free(s);
	/* calls still there (a peer that never answered our CANCEL or BYE) go
	 * first: freeing them releases trunk channels and nua handles */
	tcall_table_free(s);
	trunk_reg_free(s);
	tdns_free(s);
	tregsip_free(s);
	tauth_free(s);
	trunks_free(s);
	if (s->nua)
		nua_destroy(s->nua);
	s->nua = NULL;
	tcdr_close(s->cdr);
	s->cdr = NULL;
	if (s->q_reg >= 0)
		su_root_deregister(s->root, s->q_reg);
	su_root_destroy(s->root);
	s->root = NULL;
	su_home_deinit(s->home);
	return NULL;
}

int tsip_start(tconf_t *conf, media_core_t *mc, tsip_t **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct tsip *s;
	int rc;

	pthread_once(&once, (void (*)(void))su_init);
	su_log_redirect(NULL, sofia_logger, NULL);

	s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->q = tq_new();
	if (!s->q) {
		free(s);
		return -ENOMEM;
	}
	s->conf = tconf_ref(conf);
	s->media = mc;
	s->q_reg = -1;
	pthread_mutex_init(&s->start_lock, NULL);
	pthread_cond_init(&s->start_cond, NULL);

	rc = pthread_create(&s->thread, NULL, sip_main, s);
	if (rc) {
		rc = -rc;
		goto fail;
	}
	pthread_mutex_lock(&s->start_lock);
	while (s->start_state == 0)
		pthread_cond_wait(&s->start_cond, &s->start_lock);
	rc = s->start_state;
	pthread_mutex_unlock(&s->start_lock);
	if (rc < 0) {
		pthread_join(s->thread, NULL);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	tconf_unref(s->conf);
	tq_free(s->q);
	free(s);
	return rc;
}

/* --- stopping ----------------------------------------------------------- */

static void shutdown_now(struct tsip *s)
{
	if (s->shutdown_sent)
		return;
	s->shutdown_sent = true;
	nua_shutdown(s->nua);
}

static void stop_timers_free(struct tsip *s)
{
	/* a timer keeps sofia's port alive: destroy them all before the root */
	if (s->stop_grace)
		su_timer_destroy(s->stop_grace);
	if (s->stop_poll)
		su_timer_destroy(s->stop_poll);
	s->stop_grace = s->stop_poll = NULL;
}

static void stop_grace_expired(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	struct tsip *s = arg;
	(void)m;
	(void)t;
	stop_timers_free(s);
	shutdown_now(s);
}

static void stop_poll(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	struct tsip *s = arg;
	(void)m;
	if (tcall_count(s) == 0 && trunk_reg_busy(s) == 0) {
		stop_timers_free(s);
		shutdown_now(s);
	} else {
		su_timer_set(t, stop_poll, s);
	}
}

static void msg_stop(void *arg)
{
	struct tsip *s = arg;
	if (s->stopping)
		return;
	s->stopping = true;
	unsigned left = tcall_hangup_all(s);
	unsigned regs = trunk_reg_stop(s);   /* un-REGISTER from the trunks */
	if (left == 0 && regs == 0) {
		shutdown_now(s);
		return;
	}
	if (left)
		LOG_NOTICE("sip: hanging up %u call(s) before shutting down", left);
	s->stop_grace = su_timer_create(su_root_task(s->root), STOP_GRACE_MS);
	s->stop_poll = su_timer_create(su_root_task(s->root), 50);
	su_timer_set(s->stop_grace, stop_grace_expired, s);
	su_timer_set(s->stop_poll, stop_poll, s);
}

void tsip_stop(tsip_t *s)
{
	if (!s)
		return;
	tq_post(s->q, msg_stop, NULL, s);
	pthread_join(s->thread, NULL);
	tconf_unref(s->conf);
	tq_free(s->q);
	pthread_mutex_destroy(&s->start_lock);
	pthread_cond_destroy(&s->start_cond);
	free(s);
}

/* --- configuration and control ------------------------------------------- */

struct conf_swap {
	struct tsip *s;
	tconf_t *next;
};

static void do_set_conf(void *arg)
{
	struct conf_swap *cs = arg;
	tconf_t *old = cs->s->conf;
	cs->s->conf = cs->next;
	tconf_unref(old);
	cdr_follow_conf(cs->s);
	tauth_follow_conf(cs->s);
	tregsip_follow_conf(cs->s);
	free(cs);
}

static void drop_set_conf(void *arg)
{
	struct conf_swap *cs = arg;
	tconf_unref(cs->next);
	free(cs);
}

int tsip_set_conf(tsip_t *s, tconf_t *next)
{
	struct conf_swap *cs = malloc(sizeof *cs);
	if (!cs)
		return -ENOMEM;
	cs->s = s;
	cs->next = tconf_ref(next);
	int rc = tq_post(s->q, do_set_conf, drop_set_conf, cs);
	if (rc < 0)
		drop_set_conf(cs);
	return rc;
}

void tsip_cdr_emit(struct tsip *s, const struct tcdr_record *r)
{
	if (s->cdr && tcdr_write(s->cdr, r) < 0)
		LOG_ERR("call %s: cannot write its call record to %s", r->call_id, tcdr_path(s->cdr));
	for (struct tcdr_sink *const *k = s->cdr_sinks; k && *k; k++)
		tcdr_sink_submit(*k, r);
}

static void do_set_sinks(tsip_t *s, void *arg)
{
	s->cdr_sinks = arg;
}

int tsip_set_cdr_sinks(tsip_t *s, struct tcdr_sink *const *sinks)
{
	return tsip_call_sync(s, do_set_sinks, (void *)sinks);
}

static void do_reopen(void *arg)
{
	struct tsip *s = arg;
	if (s->cdr && tcdr_reopen(s->cdr) < 0)
		LOG_ERR("cannot reopen cdr_file %s", tcdr_path(s->cdr));
}

int tsip_reopen_files(tsip_t *s)
{
	return tq_post(s->q, do_reopen, NULL, s);
}

struct sync_call {
	struct tsip *s;
	void (*fn)(tsip_t *, void *);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void do_sync_call(void *arg)
{
	struct sync_call *sc = arg;
	sc->fn(sc->s, sc->arg);
	pthread_mutex_lock(&sc->lock);
	sc->done = true;
	pthread_cond_signal(&sc->cond);
	pthread_mutex_unlock(&sc->lock);
}

int tsip_call_sync(tsip_t *s, void (*fn)(tsip_t *s, void *arg), void *arg)
{
	struct sync_call sc = { .s = s, .fn = fn, .arg = arg };
	pthread_mutex_init(&sc.lock, NULL);
	pthread_cond_init(&sc.cond, NULL);
	int rc = tq_post(s->q, do_sync_call, NULL, &sc);
	if (rc == 0) {
		pthread_mutex_lock(&sc.lock);
		while (!sc.done)
			pthread_cond_wait(&sc.cond, &sc.lock);
		pthread_mutex_unlock(&sc.lock);
	}
	pthread_mutex_destroy(&sc.lock);
	pthread_cond_destroy(&sc.cond);
	return rc;
}

void tsip_set_draining(tsip_t *s, bool on)
{
	atomic_store(&s->draining, on);
}

bool tsip_draining(const tsip_t *s)
{
	return atomic_load(&s->draining);
}

void tsip_stats(const tsip_t *s, struct tsip_stats *o)
{
	o->requests_in = atomic_load(&s->n.requests_in);
	o->options_answered = atomic_load(&s->n.options_answered);
	o->calls_total = atomic_load(&s->n.calls_total);
	o->calls_active = atomic_load(&s->n.calls_active);
	o->calls_answered = atomic_load(&s->n.calls_answered);
	o->calls_failed = atomic_load(&s->n.calls_failed);
	o->calls_rejected = atomic_load(&s->n.calls_rejected);
}
