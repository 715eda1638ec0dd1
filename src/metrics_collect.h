/* metrics_collect.h - what tandemd's /metrics shows, gathered at scrape time.
 *
 * Reads the SIP counters (sip/sip_metrics.h), the media core's counters, the
 * trunks' live state (tsip_trunks_json), the reload counters and the process's
 * own figures from /proc. Runs on the main thread (the metrics server's
 * event_base); nothing is cached between scrapes.
 *
 * Ownership: everything in struct tandemd_metrics_src is borrowed for the
 * duration of one call.
 */
#ifndef TANDEM_METRICS_COLLECT_H
#define TANDEM_METRICS_COLLECT_H

#include <time.h>

#include "core/cdr_sink.h"
#include "core/config.h"
#include "core/metrics.h"
#include "media/media.h"
#include "sip/sip_thread.h"

struct tandemd_metrics_src {
	tsip_t *sip;
	media_core_t *media;
	const tconf_t *conf;        /* the running snapshot */
	time_t started;             /* process start */
	time_t conf_loaded;         /* last successful (re)load */
	unsigned reloads_ok, reloads_failed;
	struct tcdr_sink *const *cdr_sinks; /* CDR modules' writers, NULL-terminated */
};

void tandemd_metrics_collect(struct tmetrics_out *o, const struct tandemd_metrics_src *src);

#endif
