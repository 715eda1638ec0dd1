/* trunks.c - see trunks.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/log.h"
#include "sip/trunk_dns.h"
#include "sip/trunk_register.h"
#include "sip/trunks.h"

#define TICK_MS 500
#define FAILS_DOWN 2            /* failed probes in a row before a trunk is down */
#define PROBE_TIMEOUT_MS 5000   /* a probe unanswered this long has failed */

struct trunk_state {
	char name[64];
	unsigned active;            /* calls with a live B leg on the trunk */
	bool monitored, down;
	unsigned fails;             /* failed probes in a row */
	long rtt_ms;                /* last probe's round trip, -1 unknown */
	time_t since;               /* last up/down change */
	nua_handle_t *probe;        /* OPTIONS in flight, or NULL */
	struct timespec sent, next;
	uint64_t probes, calls;
};

struct trunk_table {
	struct trunk_state *v;
	size_t n, cap;
	su_timer_t *tick;
};

static struct trunk_state *find(struct tsip *s, const char *name, bool add)
{
	struct trunk_table *t = s->trunks;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	if (!add)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct trunk_state *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct trunk_state *ts = &t->v[t->n++];
	memset(ts, 0, sizeof *ts);
	snprintf(ts->name, sizeof ts->name, "%s", name);
	ts->rtt_ms = -1;
	ts->since = time(NULL);
	return ts;
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void set_down(struct trunk_state *ts, bool down, const char *why)
{
	if (ts->down == down)
		return;
	ts->down = down;
	ts->since = time(NULL);
	if (down)
		LOG_WARN("trunk %s is DOWN (%s): calls skip it until it answers OPTIONS again",
			 ts->name, why);
	else
		LOG_NOTICE("trunk %s is UP again (%s)", ts->name, why);
}

static void probe_failed(struct trunk_state *ts, const char *why)
{
	if (++ts->fails >= FAILS_DOWN)
		set_down(ts, true, why);
}

static void send_probe(struct tsip *s, const struct tconf_trunk *t, struct trunk_state *ts)
{
	const char *tp = t->transport == TCONF_TP_TCP ? ";transport=tcp" :
			 t->transport == TCONF_TP_TLS ? ";transport=tls" : "";
	char uri[320], hostport[280];
	trunk_uri_host(t, hostport, sizeof hostport);
	snprintf(uri, sizeof uri, "sip:%s%s", hostport, tp);
	ts->probe = nua_handle(s->nua, NULL, NUTAG_URL(uri), SIPTAG_TO_STR(uri), TAG_END());
	if (!ts->probe)
		return;
	nua_options(ts->probe, TAG_END());
	clock_gettime(CLOCK_MONOTONIC, &ts->sent);
	ts->probes++;
}

static void end_probe(struct trunk_state *ts)
{
	nua_handle_destroy(ts->probe);
	ts->probe = NULL;
}

static void tick(su_root_magic_t *m, su_timer_t *timer, su_timer_arg_t *arg)
{
	struct tsip *s = arg;
	struct timespec now;
	(void)m;
	(void)timer;
	if (s->stopping)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < s->conf->ntrunks; i++) {
		const struct tconf_trunk *t = &s->conf->trunks[i];
		struct trunk_state *ts = find(s, t->name, true);
		if (!ts)
			continue;
		ts->monitored = t->options_interval > 0;
		if (!ts->monitored) {
			if (ts->probe)
				end_probe(ts);
			set_down(ts, false, "health checks turned off");
			continue;
		}
		if (ts->probe && ms_between(&ts->sent, &now) > PROBE_TIMEOUT_MS) {
			end_probe(ts);
			probe_failed(ts, "no answer to OPTIONS");
		}
		if (!ts->probe && ms_between(&ts->next, &now) >= 0) {
			send_probe(s, t, ts);
			ts->next = now;
			ts->next.tv_sec += t->options_interval;
		}
	}
}

bool trunks_on_options(struct tsip *s, nua_handle_t *nh, int status)
{
	struct trunk_table *t = s->trunks;
	for (size_t i = 0; t && i < t->n; i++) {
		struct trunk_state *ts = &t->v[i];
		if (ts->probe != nh)
			continue;
		if (status < 200)
			return true;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ts->rtt_ms = ms_between(&ts->sent, &now);
		end_probe(ts);
		/* any answer proves the trunk alive, except "out of service" and the
		 * timeouts/transport errors sofia reports as 408/503 */
		if (status == 503 || status == 408 || status >= 600) {
			char why[48];
			snprintf(why, sizeof why, "OPTIONS answered %d", status);
			probe_failed(ts, why);
		} else {
			ts->fails = 0;
			char why[48];
			snprintf(why, sizeof why, "OPTIONS answered %d in %ld ms", status, ts->rtt_ms);
			set_down(ts, false, why);
		}
		return true;
	}
	return false;
}

int trunks_init(struct tsip *s)
{
	s->trunks = calloc(1, sizeof *s->trunks);
	if (!s->trunks)
		return -ENOMEM;
	s->trunks->tick = su_timer_create(su_root_task(s->root), TICK_MS);
	if (s->trunks->tick)
		su_timer_set_for_ever(s->trunks->tick, tick, s);
	return 0;
}

void trunks_free(struct tsip *s)
{
	struct trunk_table *t = s->trunks;
	if (!t)
		return;
	if (t->tick)
		su_timer_destroy(t->tick);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].probe)
			nua_handle_destroy(t->v[i].probe);
	free(t->v);
	free(t);
	s->trunks = NULL;
}

bool trunk_usable(struct tsip *s, const struct tconf_trunk *t, const char **why)
{
	struct trunk_state *ts = find(s, t->name, false);
	if (ts && ts->down && t->options_interval) {
		*why = "down (OPTIONS health check)";
		return false;
	}
	if (t->max_channels && ts && ts->active >= t->max_channels) {
		*why = "all max_channels in use";
		return false;
	}
	return true;
}

void trunk_acquire(struct tsip *s, const char *name)
{
	struct trunk_state *ts = find(s, name, true);
	if (ts) {
		ts->active++;
		ts->calls++;
	}
}

void trunk_release(struct tsip *s, const char *name)
{
	struct trunk_state *ts = find(s, name, false);
	if (ts && ts->active)
		ts->active--;
}

static void list_trunks(tsip_t *s, void *arg)
{
	json_t *arr = arg;
	time_t now = time(NULL);
	for (size_t i = 0; i < s->conf->ntrunks; i++) {
		const struct tconf_trunk *t = &s->conf->trunks[i];
		struct trunk_state *ts = find(s, t->name, false);
		const char *state = !t->options_interval ? "unmonitored" :
				    !ts || !ts->probes ? "unknown" : ts->down ? "down" : "up";
		char addr[300];
		trunk_uri_host(t, addr, sizeof addr);
		long reg_left;
		const char *reg = trunk_reg_state(s, t->name, &reg_left);
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:I}",
			"name", t->name, "address", addr,
			"transport", t->transport == TCONF_TP_TCP ? "tcp" :
				     t->transport == TCONF_TP_TLS ? "tls" : "udp",
			"state", state,
			"channels", ts ? (int)ts->active : 0, "max_channels", (int)t->max_channels,
			"options_rtt_ms", (json_int_t)(ts ? ts->rtt_ms : -1),
			"state_for_s", (json_int_t)(ts ? now - ts->since : 0),
			"calls_total", (json_int_t)(ts ? ts->calls : 0));
		if (o && reg) {
			json_object_set_new(o, "registration", json_string(reg));
			json_object_set_new(o, "registration_expires_s", json_integer(reg_left));
		}
		size_t nd = tdns_count(s, t);
		json_t *targets = o && nd ? json_array() : NULL;
		for (size_t k = 0; targets && k < nd; k++) {
			char url[320], label[320];
			if (tdns_target(s, t, k, url, sizeof url, label, sizeof label) == 0)
				json_array_append_new(targets, json_string(label));
		}
		if (targets)
			json_object_set_new(o, "dns_targets", targets);
		json_array_append_new(arr, o);
	}
}

json_t *tsip_trunks_json(tsip_t *s)
{
	json_t *arr = json_array();
	if (arr)
		tsip_call_sync(s, list_trunks, arr);
	return arr;
}
