/* sip_metrics.c - see sip_metrics.h. */
#include "config.h"
#include "sip/sip_metrics.h"
#include "sip/sip_internal.h"

#include <stdio.h>

/* Always written, so that rate() over them starts from 0 rather than from
 * the first time a code happens; other codes appear once they have been sent. */
static const int common_codes[] = { 200, 404, 480, 486, 487, 503 };

void tsip_count_final(struct tsip *s, int code)
{
	if (code >= 200 && code < 200 + TSIP_NRESULTS)
		atomic_fetch_add_explicit(&s->n.results[code - 200], 1, memory_order_relaxed);
}

void tsip_count_setup(struct tmetrics_hist *h, const struct timespec *since)
{
	tmetrics_hist_observe_since(h, since);
}

static uint64_t get(const atomic_uint_fast64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void results(const struct tsip *s, struct tmetrics_out *o)
{
	tmetrics_family(o, "tandem_call_results_total", "counter",
			"Final responses sent to callers' INVITEs, by SIP status code "
			"(487 includes calls the caller cancelled).");
	for (int i = 0; i < TSIP_NRESULTS; i++) {
		uint64_t v = get(&s->n.results[i]);
		int code = 200 + i;
		bool common = false;
		for (size_t k = 0; k < sizeof common_codes / sizeof common_codes[0]; k++)
			common = common || common_codes[k] == code;
		if (!v && !common)
			continue;
		char l[32];
		snprintf(l, sizeof l, "code=\"%d\"", code);
		tmetrics_u64(o, "tandem_call_results_total", l, v);
	}
}

void tsip_metrics_write(const tsip_t *s, struct tmetrics_out *o)
{
	tmetrics_family(o, "tandem_sip_requests_total", "counter",
			"SIP requests handed to the application (retransmissions absorbed by the stack excluded).");
	tmetrics_u64(o, "tandem_sip_requests_total", NULL, get(&s->n.requests_in));
	tmetrics_family(o, "tandem_options_answered_total", "counter",
			"OPTIONS requests answered (200, or 503 while draining).");
	tmetrics_u64(o, "tandem_options_answered_total", NULL, get(&s->n.options_answered));
	tmetrics_family(o, "tandem_call_attempts_total", "counter",
			"INVITEs that started a new call attempt, those refused at once included.");
	tmetrics_u64(o, "tandem_call_attempts_total", NULL, get(&s->n.attempts));
	tmetrics_family(o, "tandem_calls_active", "gauge",
			"Calls in progress (from INVITE to the end of both legs).");
	tmetrics_u64(o, "tandem_calls_active", NULL, get(&s->n.calls_active));
	tmetrics_family(o, "tandem_calls_answered_total", "counter",
			"Calls answered (by a trunk or a local endpoint).");
	tmetrics_u64(o, "tandem_calls_answered_total", NULL, get(&s->n.calls_answered));
	results(s, o);
	tmetrics_family(o, "tandem_call_setup_seconds", "histogram",
			"Time from a caller's INVITE to the first provisional response relayed to it "
			"(stage=\"provisional\", post-dial delay) and to the 200 OK (stage=\"answer\").");
	tmetrics_hist(o, "tandem_call_setup_seconds", "stage=\"provisional\"", &s->n.setup_provisional);
	tmetrics_hist(o, "tandem_call_setup_seconds", "stage=\"answer\"", &s->n.setup_answer);
	static const char *const limits[TSIP_NLIMITS] = {
		[TSIP_LIMIT_TRUNK_CHANNELS] = "trunk_channels",
		[TSIP_LIMIT_RTP_PORTS] = "rtp_ports",
		[TSIP_LIMIT_TRANSCODING] = "transcoding",
	};
	tmetrics_family(o, "tandem_limit_hits_total", "counter",
			"Calls a limit refused (503) or moved on: limit=\"trunk_channels\" counts trunks "
			"skipped because all their max_channels were in use, \"rtp_ports\" calls with no "
			"RTP ports left, \"transcoding\" calls refused at max_transcoded.");
	for (int i = 0; i < TSIP_NLIMITS; i++) {
		char l[40];
		snprintf(l, sizeof l, "limit=\"%s\"", limits[i]);
		tmetrics_u64(o, "tandem_limit_hits_total", l, get(&s->n.limit_hits[i]));
	}
}
