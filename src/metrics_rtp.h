/* metrics_rtp.h - the RTP quality families of /metrics (media_quality.h):
 * loss, jitter, round trip and MOS of ended call legs, RTCP reports. */
#ifndef TANDEM_METRICS_RTP_H
#define TANDEM_METRICS_RTP_H

#include "core/metrics.h"
#include "media/media.h"

void tandemd_metrics_rtp(struct tmetrics_out *o, media_core_t *mc);

#endif
