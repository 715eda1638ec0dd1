/* tandemd.c - process start, signals, reload, and the startup/shutdown order.
 *
 * Threads: this (main) thread runs a libevent base for signals, the control
 * socket and reload; the SIP thread runs sofia-sip (sip/sip_thread.h); the
 * media core runs its own worker threads (media/media.h).
 *
 * Start order: config -> log -> file limits -> modules -> media -> SIP ->
 * control socket. Stop order is the reverse, and SIGTERM hangs up calls first.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "core/cdr_sink.h"
#include "core/config.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/modules.h"
#include "media/media.h"
#include "sip/sip_thread.h"
#include "sip/ws_shim.h"
#include "metrics_collect.h"

/* Each call holds about four descriptors (RTP+RTCP per leg) plus SIP. */
#define FDS_PER_CALL 4

struct daemon {
	const char *conf_path;
	tconf_t *conf;              /* current snapshot; main thread's reference */
	unsigned generation;
	time_t started, conf_loaded;
	struct tconf_errors last_reload_errors;
	struct tconf_errors last_reload_notes; /* "requires restart" of the last good reload */
	unsigned reloads_ok, reloads_failed;

	struct event_base *base;
	tmodules_t *modules;
	media_core_t *media;
	tsip_t *sip;
	ws_shim_t *ws;              /* NULL unless [websocket] is configured */
	tctl_t *ctl;
	tmetrics_server_t *metrics; /* NULL unless metrics_listen is set */
	tcdr_sink_t *cdr_sinks[9];  /* one writer per CDR module, NULL-terminated */
	struct event *sig_term, *sig_int, *sig_hup, *sig_usr1;
	struct event *drain_tick;   /* while draining: exit once the calls are gone */
	int64_t drain_deadline_ms;  /* CLOCK_MONOTONIC */
	rlim_t nofile;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tandemd [-c FILE] [-f] [-t] [-V]\n"
		"  -c FILE  main configuration file (default %s/tandem.conf)\n"
		"  -f       stay in the foreground and log to stderr\n"
		"  -t       test the configuration, print it with templates expanded, and exit\n"
		"  -V       print the version and exit\n",
		TANDEM_SYSCONFDIR);
}

static void print_errors(const struct tconf_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "%s\n", e->msgs[i]);
}

/* Raise RLIMIT_NOFILE as far as allowed towards 'want' and say what it means
 * for capacity when the hard limit stops us short. */
static rlim_t raise_nofile(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	rlim_t target = want;
	if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max) {
		/* root may raise the hard limit too */
		struct rlimit up = { target, target };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return target;
		target = rl.rlim_max;
	}
	if (rl.rlim_cur < target) {
		rl.rlim_cur = target;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		LOG_WARN("open file limit is %llu, below max_open_files = %u: at most about %llu "
			 "concurrent calls; raise the hard limit (LimitNOFILE= in the systemd unit, "
			 "or ulimit -Hn)", (unsigned long long)rl.rlim_cur, want,
			 (unsigned long long)(rl.rlim_cur / FDS_PER_CALL));
	return rl.rlim_cur;
}

/* --- reload ------------------------------------------------------------- */

static int do_reload(struct daemon *d)
{
	struct tconf_errors errs = { 0 };
	tconf_t *next = tconf_load(d->conf_path, d->generation + 1, &errs);

	tconf_errors_free(&d->last_reload_errors);
	if (!next) {
		d->reloads_failed++;
		LOG_ERR("reload of %s failed with %zu error(s); the running configuration "
			"(generation %u) stays in force:", d->conf_path, errs.n, d->generation);
		for (size_t i = 0; i < errs.n; i++)
			LOG_ERR("  %s", errs.msgs[i]);
		d->last_reload_errors = errs;
		return -EINVAL;
	}
	struct tconf_errors notes = { 0 };
	if (tconf_check_reload(d->conf, next, &notes))
		for (size_t i = 0; i < notes.n; i++)
			LOG_WARN("%s", notes.msgs[i]);
	tconf_errors_free(&d->last_reload_notes);
	d->last_reload_notes = notes;

	tsip_set_conf(d->sip, next);
	if (d->ws && next->websocket.wss_listen)   /* a renewed certificate, same paths or new */
		ws_shim_set_tls(d->ws, next->websocket.certificate, next->websocket.private_key);
	media_core_set_max_transcoded(d->media, next->media.max_transcoded);
	tlog_set_level((enum tlog_level)next->general.log_level);
	const char *of = d->conf->general.log_file, *nf = next->general.log_file;
	if ((of || nf) && (!of || !nf || strcmp(of, nf))) {
		if (tlog_set_file(nf) < 0)
			LOG_ERR("cannot open log_file %s: %s; logging stays where it was", nf, strerror(errno));
		else
			LOG_NOTICE("logging to %s", nf ? nf : "stderr/syslog");
	}
	tconf_unref(d->conf);
	d->conf = next;
	d->generation = next->generation;
	d->conf_loaded = time(NULL);
	d->reloads_ok++;
	LOG_NOTICE("configuration reloaded: generation %u", d->generation);
	return 0;
}

/* --- signals ------------------------------------------------------------ */

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	(void)what;
	LOG_NOTICE("%s received: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(d->base);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	LOG_NOTICE("SIGHUP received: reloading %s", ((struct daemon *)arg)->conf_path);
	do_reload(arg);
}

static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	(void)sig;
	(void)what;
	tsip_reopen_files(d->sip);
	if (tlog_reopen() < 0)
		LOG_ERR("SIGUSR1: cannot reopen the log file");
	else
		LOG_NOTICE("SIGUSR1: log file reopened (and the call record file)");
}

/* --- control commands ---------------------------------------------------- */

/* The CDR modules' writers, for `tandemctl status`. */
static json_t *cdr_status(struct daemon *d)
{
	json_t *a = json_array();
	for (size_t i = 0; d->cdr_sinks[i]; i++) {
		struct tcdr_sink_stats st;
		tcdr_sink_stats(d->cdr_sinks[i], &st);
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "backend",
						   st.backend, "state", st.up ? "up" : "down",
						   "written", (json_int_t)st.written,
						   "pending", (json_int_t)st.pending,
						   "rejected", (json_int_t)st.rejected,
						   "failures", (json_int_t)st.failures));
	}
	return a;
}

static int ctl_status(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	struct tsip_stats ss;
	struct media_core_stats ms;
	(void)argc;
	(void)argv;
	tsip_stats(d->sip, &ss);
	media_core_stats(d->media, &ms);

	json_t *mods = json_array();
	for (size_t i = 0; i < tmodules_count(d->modules); i++) {
		const struct tmodule_info *m = tmodules_get(d->modules, i);
		json_t *codecs = json_array();
		for (size_t k = 0; k < m->ncodecs; k++)
			json_array_append_new(codecs, json_string(m->codecs[k]->name));
		json_array_append_new(mods, json_pack("{s:s, s:s, s:s, s:o}", "name", m->name,
						      "version", m->version, "path", m->path,
						      "codecs", codecs));
	}
	*reply = json_pack(
		"{s:s, s:i, s:I, s:s, s:{s:s, s:i, s:I, s:i, s:i}, s:{s:i, s:i, s:i},"
		" s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
		" s:{s:i, s:i, s:i, s:I, s:I, s:I}, s:I}",
		"version", PACKAGE_VERSION,
		"pid", (int)getpid(),
		"uptime_s", (json_int_t)(time(NULL) - d->started),
		"node", d->conf->general.node_name ? d->conf->general.node_name : "",
		"config",
			"path", d->conf_path,
			"generation", (int)d->generation,
			"loaded_at", (json_int_t)d->conf_loaded,
			"reloads_ok", (int)d->reloads_ok,
			"reloads_failed", (int)d->reloads_failed,
		"threads", "main", 1, "sip", 1, "media_workers", (int)ms.workers,
		"modules", mods,
		"sip",
			"requests_in", (json_int_t)ss.requests_in,
			"options_answered", (json_int_t)ss.options_answered,
			"calls_total", (json_int_t)ss.calls_total,
			"calls_active", (json_int_t)ss.calls_active,
			"calls_answered", (json_int_t)ss.calls_answered,
			"calls_failed", (json_int_t)ss.calls_failed,
			"calls_rejected", (json_int_t)ss.calls_rejected,
		"media",
			"sessions", (int)ms.sessions,
			"ports_in_use", (int)ms.ports_in_use,
			"ports_total", (int)ms.ports_total,
			"packets_relayed", (json_int_t)ms.packets_relayed,
			"bytes_relayed", (json_int_t)ms.bytes_relayed,
			"packets_dropped", (json_int_t)ms.packets_dropped,
		"open_files_limit", (json_int_t)d->nofile);
	if (*reply)
		json_object_set_new(*reply, "draining", json_boolean(tsip_draining(d->sip)));
	if (*reply && d->cdr_sinks[0])
		json_object_set_new(*reply, "cdr", cdr_status(d));
	return *reply ? 0 : -ENOMEM;
}

/* A listing from the SIP thread as {"KEY": [...]}. */
static int reply_list(const char *key, json_t *list, json_t **reply)
{
	if (!list)
		return -ENOMEM;
	*reply = json_pack("{s:o}", key, list);
	return *reply ? 0 : -ENOMEM;
}

static int ctl_calls(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	(void)argc;
	(void)argv;
	return reply_list("calls", tsip_calls_json(d->sip), reply);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct tsip_stats ss;
	(void)fd;
	(void)what;
	tsip_stats(d->sip, &ss);
	if (ss.calls_active == 0) {
		LOG_NOTICE("drain: the last call has ended: exiting");
		event_base_loopbreak(d->base);
	} else if (mono_ms() >= d->drain_deadline_ms) {
		LOG_NOTICE("drain: time is up with %llu call(s) left: hanging them up and exiting",
			   (unsigned long long)ss.calls_active);
		event_base_loopbreak(d->base);
	}
}

static int ctl_drain(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	unsigned secs = d->conf->general.drain_timeout;
	if (argc > 1) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 10);
		if (*end || end == argv[1] || v > 604800) {
			*reply = json_pack("{s:s}", "error", "usage: drain [SECONDS] (0..604800)");
			return -EINVAL;
		}
		secs = (unsigned)v;
	}
	struct tsip_stats ss;
	tsip_stats(d->sip, &ss);
	d->drain_deadline_ms = mono_ms() + (int64_t)secs * 1000;
	tsip_set_draining(d->sip, true);
	if (!d->drain_tick) {
		d->drain_tick = event_new(d->base, -1, EV_PERSIST, on_drain_tick, d);
		struct timeval tv = { 0, 200000 };
		event_add(d->drain_tick, &tv);
	}
	LOG_NOTICE("drain: new calls and OPTIONS get 503; exiting when %llu call(s) have ended "
		   "or in %us", (unsigned long long)ss.calls_active, secs);
	*reply = json_pack("{s:b, s:I, s:i}", "draining", 1, "calls_active",
			   (json_int_t)ss.calls_active, "deadline_s", (int)secs);
	return 0;
}

static int ctl_undrain(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	(void)argc;
	(void)argv;
	tsip_set_draining(d->sip, false);
	if (d->drain_tick) {
		event_free(d->drain_tick);
		d->drain_tick = NULL;
	}
	LOG_NOTICE("undrain: taking new calls again");
	*reply = json_pack("{s:b}", "draining", 0);
	return 0;
}

static int ctl_trunks(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	(void)argc;
	(void)argv;
	return reply_list("trunks", tsip_trunks_json(d->sip), reply);
}

static int ctl_registrations(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	(void)argc;
	(void)argv;
	return reply_list("registrations", tsip_registrations_json(d->sip), reply);
}

static int ctl_call(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	if (argc != 3 || strcmp(argv[1], "hangup")) {
		*reply = json_pack("{s:s}", "error", "usage: call hangup ID (ids as 'calls' lists them)");
		return -EINVAL;
	}
	if (tsip_hangup_call(d->sip, argv[2]) < 0) {
		*reply = json_pack("{s:s}", "error", "no such call");
		return -ENOENT;
	}
	*reply = json_pack("{s:s}", "hungup", argv[2]);
	return 0;
}

static int ctl_log(void *arg, int argc, char **argv, json_t **reply)
{
	(void)arg;
	if (argc == 3 && !strcmp(argv[1], "level")) {
		int lvl = tlog_level_parse(argv[2]);
		if (lvl < 0) {
			*reply = json_pack("{s:s}", "error",
					   "unknown level (error, warn, notice, info, debug)");
			return -EINVAL;
		}
		tlog_set_level((enum tlog_level)lvl);
		LOG_NOTICE("log level set to %s over the control socket (until the next reload)",
			   tlog_level_name((enum tlog_level)lvl));
	} else if (argc != 1 && !(argc == 2 && !strcmp(argv[1], "level"))) {
		*reply = json_pack("{s:s}", "error", "usage: log level [LEVEL]");
		return -EINVAL;
	}
	*reply = json_pack("{s:s}", "level", tlog_level_name(tlog_get_level()));
	return 0;
}

static int ctl_reload(void *arg, int argc, char **argv, json_t **reply)
{
	struct daemon *d = arg;
	(void)argc;
	(void)argv;
	LOG_NOTICE("reload requested over the control socket");
	if (do_reload(d) == 0) {
		json_t *notes = json_array();
		for (size_t i = 0; i < d->last_reload_notes.n; i++)
			json_array_append_new(notes, json_string(d->last_reload_notes.msgs[i]));
		*reply = json_pack("{s:i, s:o}", "generation", (int)d->generation,
				   "requires_restart", notes);
		return 0;
	}
	json_t *errs = json_array();
	for (size_t i = 0; i < d->last_reload_errors.n; i++)
		json_array_append_new(errs, json_string(d->last_reload_errors.msgs[i]));
	*reply = json_pack("{s:s, s:o, s:i}", "error",
			   "reload failed; the running configuration stays in force",
			   "errors", errs, "generation", (int)d->generation);
	return -EINVAL;
}

/* --- metrics --------------------------------------------------------------- */

static void metrics_scrape(struct tmetrics_out *o, void *arg)
{
	struct daemon *d = arg;
	struct tandemd_metrics_src src = {
		.sip = d->sip, .media = d->media, .conf = d->conf, .started = d->started,
		.conf_loaded = d->conf_loaded, .reloads_ok = d->reloads_ok,
		.reloads_failed = d->reloads_failed, .cdr_sinks = d->cdr_sinks,
	};
	tandemd_metrics_collect(o, &src);
}

/* metrics_listen is a plain string in the schema: its form is checked here,
 * before anything starts (and by -t). */
static int check_metrics_listen(const tconf_t *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *l = c->general.metrics_listen;
	if (!l || tmetrics_parse_listen(l, &ss, &len) == 0)
		return 0;
	fprintf(stderr, "tandemd: %s: metrics_listen = %s: want IPV4:PORT or [IPV6]:PORT\n",
		c->path, l);
	return -EINVAL;
}

/* --- start and stop ------------------------------------------------------ */

static struct event *add_signal(struct daemon *d, int sig, event_callback_fn fn)
{
	struct event *ev = evsignal_new(d->base, sig, fn, d);
	if (ev)
		event_add(ev, NULL);
	return ev;
}

static int load_modules(const tconf_t *c, tmodules_t **out)
{
	char err[512];
	int rc = tmodules_load(c->general.modules_dir, c->general.modules, out, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "tandemd: %s\n", err);
	return rc;
}

/* One writer (core/cdr_sink.h) per loaded module that stores call records. */
static int start_cdr_sinks(struct daemon *d)
{
	const struct tconf_general *g = &d->conf->general;
	struct tandem_cdr_params p = {
		.struct_size = sizeof p, .database = g->cdr_database ? g->cdr_database : "",
		.table = g->cdr_table,
	};
	size_t n = 0;
	for (size_t i = 0; i < tmodules_count(d->modules); i++) {
		const struct tmodule_info *m = tmodules_get(d->modules, i);
		char err[512];
		if (!m->cdr)
			continue;
		if (n + 1 >= sizeof d->cdr_sinks / sizeof d->cdr_sinks[0]) {
			LOG_ERR("too many call record modules (at most %zu)", n);
			return -EINVAL;
		}
		int rc = tcdr_sink_new(m->cdr, &p, g->cdr_spool_dir, g->node_name, &d->cdr_sinks[n],
				       err, sizeof err);
		if (rc < 0) {
			LOG_ERR("%s: %s", m->path, err);
			return rc;
		}
		LOG_NOTICE("call records also go to module %s (spool in %s)", m->name, g->cdr_spool_dir);
		n++;
	}
	return 0;
}

static int start(struct daemon *d)
{
	int rc;
	d->nofile = raise_nofile(d->conf->general.max_open_files);
	if ((rc = load_modules(d->conf, &d->modules)) < 0)
		return rc;
	d->base = event_base_new();
	if (!d->base)
		return -ENOMEM;
	if ((rc = media_core_new(d->conf, d->conf->general.media_workers, &d->media)) < 0) {
		LOG_ERR("cannot start the media core: %s", strerror(-rc));
		return rc;
	}
	media_core_set_codecs(d->media, d->modules);
	if ((d->conf->media.dtls_cert || d->conf->media.dtls_key) &&
	    (rc = media_core_set_dtls_cert(d->media, d->conf->media.dtls_cert, d->conf->media.dtls_key)) < 0)
		return rc;
	if ((rc = start_cdr_sinks(d)) < 0)
		return rc;
	if ((rc = tsip_start(d->conf, d->media, &d->sip)) < 0)
		return rc;
	if (d->cdr_sinks[0])
		tsip_set_cdr_sinks(d->sip, d->cdr_sinks);
	if ((rc = tsip_ws_start(d->sip, d->conf, &d->ws)) < 0) {
		LOG_ERR("cannot start SIP over WebSocket: %s (check [websocket])", strerror(-rc));
		return rc;
	}
	if ((rc = tctl_new(d->base, d->conf->general.control_socket,
			   d->conf->general.control_socket_mode, &d->ctl)) < 0) {
		LOG_ERR("cannot open the control socket %s: %s (check control_socket in [general])",
			d->conf->general.control_socket, strerror(-rc));
		return rc;
	}
	tctl_register(d->ctl, "status", "version, uptime, threads, modules, config, counters",
		      ctl_status, d);
	tctl_register(d->ctl, "calls", "list the active calls", ctl_calls, d);
	tctl_register(d->ctl, "trunks", "trunks: state (OPTIONS health), channels in use/limit, RTT",
		      ctl_trunks, d);
	tctl_register(d->ctl, "registrations",
		      "registrations: registered phones (user, contact, received from, transport, "
		      "expires, user agent)", ctl_registrations, d);
	tctl_register(d->ctl, "call", "call hangup ID: end one call", ctl_call, d);
	tctl_register(d->ctl, "drain", "drain [SECONDS]: refuse new calls (503), exit when the last ends",
		      ctl_drain, d);
	tctl_register(d->ctl, "undrain", "take new calls again", ctl_undrain, d);
	tctl_register(d->ctl, "log", "log level [LEVEL]: show or set the log level", ctl_log, d);
	tctl_register(d->ctl, "reload", "re-read the configuration (like SIGHUP)", ctl_reload, d);
	const char *ml = d->conf->general.metrics_listen;
	if (ml && (rc = tmetrics_server_new(d->base, ml, metrics_scrape, d, &d->metrics)) < 0) {
		LOG_ERR("cannot serve metrics on %s: %s (check metrics_listen in [general])", ml,
			strerror(-rc));
		return rc;
	}
	if (ml)
		LOG_NOTICE("metrics: http://%s/metrics", ml);

	signal(SIGPIPE, SIG_IGN);
	d->sig_term = add_signal(d, SIGTERM, on_stop_signal);
	d->sig_int = add_signal(d, SIGINT, on_stop_signal);
	d->sig_hup = add_signal(d, SIGHUP, on_hup);
	d->sig_usr1 = add_signal(d, SIGUSR1, on_usr1);
	return 0;
}

static void stop(struct daemon *d)
{
	tmetrics_server_free(d->metrics);
	tctl_free(d->ctl);
	ws_shim_stop(d->ws);
	tsip_stop(d->sip);
	/* after the SIP thread: the hang-ups' records are queued by now */
	for (size_t i = 0; d->cdr_sinks[i]; i++)
		tcdr_sink_free(d->cdr_sinks[i]);
	if (d->media)
		media_core_free(d->media);
	struct event *evs[] = { d->sig_term, d->sig_int, d->sig_hup, d->sig_usr1, d->drain_tick };
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i])
			event_free(evs[i]);
	if (d->base)
		event_base_free(d->base);
	tmodules_free(d->modules);
	tconf_errors_free(&d->last_reload_errors);
	tconf_errors_free(&d->last_reload_notes);
	tconf_unref(d->conf);
}

int main(int argc, char **argv)
{
	struct daemon d = { .conf_path = TANDEM_SYSCONFDIR "/tandem.conf" };
	bool foreground = false, test_only = false;
	int opt;

	while ((opt = getopt(argc, argv, "c:ftVh")) != -1) {
		switch (opt) {
		case 'c': d.conf_path = optarg; break;
		case 'f': foreground = true; break;
		case 't': test_only = true; break;
		case 'V': printf("tandemd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	tlog_open("tandemd", foreground || test_only);
	struct tconf_errors errs = { 0 };
	d.generation = 1;
	d.conf = tconf_load(d.conf_path, d.generation, &errs);
	if (!d.conf) {
		print_errors(&errs);
		fprintf(stderr, "tandemd: %s: %zu error(s), configuration not valid\n",
			d.conf_path, errs.n);
		tconf_errors_free(&errs);
		return 1;
	}
	if (test_only) {
		tmodules_t *mods = NULL;
		int rc = check_metrics_listen(d.conf);
		if (rc == 0)
			rc = load_modules(d.conf, &mods);
		tmodules_free(mods);
		if (rc == 0) {
			tconf_print(d.conf, stdout);
			fprintf(stderr, "tandemd: %s: configuration OK\n", d.conf_path);
		}
		tconf_unref(d.conf);
		return rc == 0 ? 0 : 1;
	}
	if (check_metrics_listen(d.conf) < 0) {
		tconf_unref(d.conf);
		return 1;
	}
	tlog_set_level((enum tlog_level)d.conf->general.log_level);
	if (d.conf->general.log_file && tlog_set_file(d.conf->general.log_file) < 0)
		LOG_WARN("cannot open log_file %s; logging to %s", d.conf->general.log_file,
			 foreground ? "stderr" : "syslog");
	if (!foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "tandemd: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	d.started = d.conf_loaded = time(NULL);

	int rc = start(&d);
	if (rc == 0) {
		LOG_NOTICE("tandemd %s started (pid %d, config %s generation %u, %u media worker(s))",
			   PACKAGE_VERSION, (int)getpid(), d.conf_path, d.generation,
			   d.conf->general.media_workers);
		event_base_dispatch(d.base);
	}
	stop(&d);
	if (rc == 0)
		LOG_NOTICE("tandemd stopped");
	return rc == 0 ? 0 : 1;
}
