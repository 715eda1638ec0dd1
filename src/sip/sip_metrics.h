/* sip_metrics.h - the SIP side's Prometheus metrics (see core/metrics.h).
 *
 * The counters are atomics in struct tsip (sip_internal.h), bumped on the SIP
 * thread where responses go out; tsip_metrics_write() reads them from any
 * thread without stopping the SIP thread. Per-trunk state is not here: it is
 * read through tsip_trunks_json() by the daemon's collector.
 */
#ifndef TANDEM_SIP_SIP_METRICS_H
#define TANDEM_SIP_SIP_METRICS_H

#include "core/metrics.h"
#include "sip/sip_thread.h"

/* Write the SIP and call families: requests, OPTIONS, attempts, active and
 * answered calls, final responses by code, setup latency histograms. */
void tsip_metrics_write(const tsip_t *s, struct tmetrics_out *o);

#endif
