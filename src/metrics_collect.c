/* metrics_collect.c - see metrics_collect.h.
 *
 * Naming follows Prometheus conventions: tandem_ prefix, base units (seconds,
 * bytes), _total on counters, one family per measured quantity with labels
 * for its dimensions; process_* are the standard process metrics.
 *
 * Transcoding: tandem_media_transcoding counts the slots held under
 * max_transcoded (also by an offer pending with codecs to transcode to);
 * tandem_media_transcoded_sessions{codec_a,codec_b} the sessions actually
 * transcoding, by the pair of codecs their legs agreed.
 *
 * TODO (each comes with its own issue; left out rather than shown as 0):
 *   - media-thread load beyond CPU time (loop latency, sessions per worker)
 */
#include "config.h"
#include "metrics_collect.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "metrics_rtp.h"
#include "sip/sip_metrics.h"

#define MAX_WORKERS 64              /* media_workers' upper bound in the schema */

static void one_u64(struct tmetrics_out *o, const char *name, const char *type,
		    const char *help, uint64_t v)
{
	tmetrics_family(o, name, type, help);
	tmetrics_u64(o, name, NULL, v);
}

static void one_f64(struct tmetrics_out *o, const char *name, const char *type,
		    const char *help, double v)
{
	tmetrics_family(o, name, type, help);
	tmetrics_f64(o, name, NULL, v);
}

/* --- daemon and configuration ------------------------------------------------ */

static void daemon_metrics(struct tmetrics_out *o, const struct tandemd_metrics_src *src)
{
	char l[128] = "";
	tmetrics_label(l, sizeof l, "version", PACKAGE_VERSION);
	tmetrics_family(o, "tandem_build_info", "gauge", "Always 1; the version as a label.");
	tmetrics_u64(o, "tandem_build_info", l, 1);
	one_u64(o, "tandem_uptime_seconds", "gauge", "Seconds since tandemd started.",
		(uint64_t)(time(NULL) - src->started));
	one_u64(o, "tandem_draining", "gauge",
		"1 while draining (new calls and OPTIONS get 503), else 0.",
		tsip_draining(src->sip) ? 1 : 0);
	one_u64(o, "tandem_config_generation", "gauge",
		"Generation of the running configuration (1 at start, +1 per successful reload).",
		src->conf->generation);
	one_u64(o, "tandem_config_loaded_timestamp_seconds", "gauge",
		"Unix time the running configuration was loaded.", (uint64_t)src->conf_loaded);
	tmetrics_family(o, "tandem_config_reloads_total", "counter",
			"Configuration reloads (SIGHUP or tandemctl reload) by result; "
			"a failed one leaves the running configuration in force.");
	tmetrics_u64(o, "tandem_config_reloads_total", "result=\"ok\"", src->reloads_ok);
	tmetrics_u64(o, "tandem_config_reloads_total", "result=\"failed\"", src->reloads_failed);
}

/* --- media ---------------------------------------------------------------------- */

struct worker_cpu {
	unsigned idx;
	double seconds;
};

static int by_idx(const void *a, const void *b)
{
	const struct worker_cpu *x = a, *y = b;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* CPU time of one thread from /proc/self/task/TID/stat (utime + stime). */
static int thread_cpu(const char *tid, double *seconds)
{
	char path[300], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%s/stat", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');  /* comm may hold spaces and parentheses */
	unsigned long ut, st;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	*seconds = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

/* The media workers name their threads "tmedia-wN" (media/worker.c). */
static size_t worker_cpu(struct worker_cpu *w, size_t max)
{
	DIR *dir = opendir("/proc/self/task");
	size_t n = 0;
	if (!dir)
		return 0;
	for (struct dirent *e; (e = readdir(dir)) && n < max;) {
		char path[300], comm[32];
		unsigned idx;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		bool ok = fgets(comm, sizeof comm, f) && sscanf(comm, "tmedia-w%u", &idx) == 1;
		fclose(f);
		if (ok && thread_cpu(e->d_name, &w[n].seconds) == 0)
			w[n++].idx = idx;
	}
	closedir(dir);
	qsort(w, n, sizeof *w, by_idx);
	return n;
}

/* Sessions transcoding by codec pair (media_core_xpairs); no series before
 * the first transcoded call. */
static void xpair_metrics(struct tmetrics_out *o, media_core_t *mc)
{
	struct media_xpair p[64];
	size_t n = media_core_xpairs(mc, p, sizeof p / sizeof p[0]);
	if (!n)
		return;
	tmetrics_family(o, "tandem_media_transcoded_sessions", "gauge",
			"Media sessions transcoding, by codec pair (codec_a: the caller's leg, "
			"codec_b: the far leg).");
	for (size_t i = 0; i < n; i++) {
		char l[192] = "";
		if (tmetrics_label(l, sizeof l, "codec_a", p[i].codec_a) == 0 &&
		    tmetrics_label(l, sizeof l, "codec_b", p[i].codec_b) == 0)
			tmetrics_u64(o, "tandem_media_transcoded_sessions", l, p[i].sessions);
	}
}

static void media_metrics(struct tmetrics_out *o, const struct tandemd_metrics_src *src)
{
	struct media_core_stats ms;
	media_core_stats(src->media, &ms);
	one_u64(o, "tandem_media_sessions", "gauge", "Media sessions (one per call with media).",
		ms.sessions);
	one_u64(o, "tandem_media_workers", "gauge", "Media worker threads.", ms.workers);
	one_u64(o, "tandem_rtp_packets_relayed_total", "counter",
		"RTP and RTCP packets sent by the media workers (relayed or generated).",
		ms.packets_relayed);
	one_u64(o, "tandem_rtp_bytes_relayed_total", "counter",
		"Bytes of RTP and RTCP payload sent by the media workers (UDP payload).",
		ms.bytes_relayed);
	one_u64(o, "tandem_rtp_packets_dropped_total", "counter",
		"Packets received but not relayed (unknown source, invalid, no destination yet) "
		"or refused by the kernel on sending.", ms.packets_dropped);
	one_u64(o, "tandem_rtp_ports_in_use", "gauge",
		"RTP and RTCP ports allocated to sessions, all interfaces.", ms.ports_in_use);
	one_u64(o, "tandem_rtp_ports_capacity", "gauge",
		"RTP and RTCP ports in the configured ranges, all interfaces.", ms.ports_total);
	tandemd_metrics_rtp(o, src->media);
	one_u64(o, "tandem_media_transcoding", "gauge",
		"Media sessions transcoding (holding a max_transcoded slot).", ms.transcoding);
	one_u64(o, "tandem_media_transcoding_limit", "gauge",
		"max_transcoded: most sessions transcoding at once (0 = unlimited).", ms.max_transcoded);
	xpair_metrics(o, src->media);

	struct worker_cpu w[MAX_WORKERS];
	size_t n = worker_cpu(w, MAX_WORKERS);
	if (!n)
		return;
	tmetrics_family(o, "tandem_media_worker_cpu_seconds_total", "counter",
			"CPU time used by each media worker thread (rate() is its load, 1 = one core).");
	for (size_t i = 0; i < n; i++) {
		char l[32];
		snprintf(l, sizeof l, "worker=\"%u\"", w[i].idx);
		tmetrics_f64(o, "tandem_media_worker_cpu_seconds_total", l, w[i].seconds);
	}
}

/* --- trunks --------------------------------------------------------------------- */

static const char *const trunk_states[] = { "up", "down", "unknown", "unmonitored" };

/* One family over every trunk of 'arr'; 'key' is an integer field of the
 * trunk objects (tsip_trunks_json); trunks without it are left out. */
static void trunk_family(struct tmetrics_out *o, json_t *arr, const char *name, const char *type,
			 const char *help, const char *key, double scale)
{
	size_t i;
	json_t *t;
	bool any = false;
	json_array_foreach(arr, i, t) {
		json_t *name_j = json_object_get(t, "name"), *v = json_object_get(t, key);
		char l[256] = "";
		if (!json_is_string(name_j) || !json_is_integer(v) || json_integer_value(v) < 0 ||
		    tmetrics_label(l, sizeof l, "trunk", json_string_value(name_j)) < 0)
			continue;
		if (!any)
			tmetrics_family(o, name, type, help);
		any = true;
		if (scale == 1)
			tmetrics_u64(o, name, l, (uint64_t)json_integer_value(v));
		else
			tmetrics_f64(o, name, l, (double)json_integer_value(v) * scale);
	}
}

static void trunk_metrics(struct tmetrics_out *o, const struct tandemd_metrics_src *src)
{
	json_t *arr = tsip_trunks_json(src->sip);
	if (!arr)
		return;
	trunk_family(o, arr, "tandem_trunk_channels_active", "gauge",
		     "Calls with a live outbound leg on the trunk.", "channels", 1);
	trunk_family(o, arr, "tandem_trunk_channels_limit", "gauge",
		     "The trunk's max_channels (0 = unlimited).", "max_channels", 1);
	trunk_family(o, arr, "tandem_trunk_calls_total", "counter",
		     "Outbound call attempts sent to the trunk.", "calls_total", 1);
	trunk_family(o, arr, "tandem_trunk_options_rtt_seconds", "gauge",
		     "Round trip of the trunk's last answered OPTIONS health check.",
		     "options_rtt_ms", 0.001);
	size_t i;
	json_t *t;
	bool any = false;
	json_array_foreach(arr, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *state = json_string_value(json_object_get(t, "state"));
		char l[256] = "";
		if (!name || !state || tmetrics_label(l, sizeof l, "trunk", name) < 0)
			continue;
		if (!any)
			tmetrics_family(o, "tandem_trunk_state", "gauge",
					"1 for the trunk's current state (OPTIONS health), 0 for the others.");
		any = true;
		for (size_t k = 0; k < sizeof trunk_states / sizeof trunk_states[0]; k++) {
			char ls[288];
			snprintf(ls, sizeof ls, "%s", l);
			if (tmetrics_label(ls, sizeof ls, "state", trunk_states[k]) == 0)
				tmetrics_u64(o, "tandem_trunk_state", ls, !strcmp(state, trunk_states[k]));
		}
	}
	json_decref(arr);
}

/* --- the process (standard process_* names) ---------------------------------------- */

static void process_metrics(struct tmetrics_out *o, const struct tandemd_metrics_src *src)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		one_f64(o, "process_cpu_seconds_total", "counter", "User and system CPU time, seconds.",
			(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long vsz, rss;
	if (f) {
		if (fscanf(f, "%lu %lu", &vsz, &rss) == 2) {
			long page = sysconf(_SC_PAGESIZE);
			one_u64(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
				(uint64_t)vsz * (uint64_t)page);
			one_u64(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
				(uint64_t)rss * (uint64_t)page);
		}
		fclose(f);
	}
	DIR *dir = opendir("/proc/self/fd");
	if (dir) {
		uint64_t n = 0;
		for (struct dirent *e; (e = readdir(dir));)
			n += e->d_name[0] != '.';
		closedir(dir);
		one_u64(o, "process_open_fds", "gauge", "Open file descriptors.", n ? n - 1 : 0);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		one_u64(o, "process_max_fds", "gauge", "Limit of open file descriptors.",
			(uint64_t)rl.rlim_cur);
	one_u64(o, "process_start_time_seconds", "gauge", "Start time of the process, Unix seconds.",
		(uint64_t)src->started);
}

/* --- call record modules --------------------------------------------------------- */

static void cdr_metrics(struct tmetrics_out *o, const struct tandemd_metrics_src *src)
{
	static const struct { const char *name, *type, *help; } fam[] = {
		{ "tandem_cdr_records_written_total", "counter",
		  "Call records a CDR module stored, by backend." },
		{ "tandem_cdr_records_pending", "gauge",
		  "Call records queued or spooled on disk, not yet stored by the backend." },
		{ "tandem_cdr_records_rejected_total", "counter",
		  "Call records the backend refused as bad data (kept in the spool's .rejected file)." },
		{ "tandem_cdr_write_failures_total", "counter",
		  "Failed deliveries to the backend (database unreachable); records stay spooled." },
		{ "tandem_cdr_backend_up", "gauge", "1 when the last delivery to the backend worked." },
	};
	if (!src->cdr_sinks || !src->cdr_sinks[0])
		return;
	for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
		tmetrics_family(o, fam[f].name, fam[f].type, fam[f].help);
		for (size_t i = 0; src->cdr_sinks[i]; i++) {
			struct tcdr_sink_stats st;
			char l[96] = "";
			tcdr_sink_stats(src->cdr_sinks[i], &st);
			tmetrics_label(l, sizeof l, "backend", st.backend);
			uint64_t v[] = { st.written, st.pending, st.rejected, st.failures, st.up };
			tmetrics_u64(o, fam[f].name, l, v[f]);
		}
	}
}

void tandemd_metrics_collect(struct tmetrics_out *o, const struct tandemd_metrics_src *src)
{
	daemon_metrics(o, src);
	tsip_metrics_write(src->sip, o);
	trunk_metrics(o, src);
	media_metrics(o, src);
	process_metrics(o, src);
	cdr_metrics(o, src);
}
