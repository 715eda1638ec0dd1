/* trunks.h - live state of the trunks (SIP thread only): channels in use and
 * OPTIONS health.
 *
 * State is kept by trunk name, so it survives a reload that keeps the trunk
 * (its channel count and health carry over to the new snapshot's trunk).
 * A trunk with options_interval > 0 is probed with OPTIONS: any response but
 * 503 (or 408/no answer) is alive; two failures in a row mark it down, one
 * answer marks it up again. A down trunk is skipped by routing, and so is a
 * trunk whose max_channels are all in use.
 *
 * Ownership: the table belongs to struct tsip (trunks_init/trunks_free);
 * entries are never handed out beyond one call of these functions.
 */
#ifndef TANDEM_SIP_TRUNKS_H
#define TANDEM_SIP_TRUNKS_H

#include "sip/sip_internal.h"

struct json_t;

int trunks_init(struct tsip *s);
void trunks_free(struct tsip *s);

/* Can a new call go to this trunk now? If not, *why says why (static text). */
bool trunk_usable(struct tsip *s, const struct tconf_trunk *t, const char **why);
/* A call's B leg starts / stops using a channel of the trunk. */
void trunk_acquire(struct tsip *s, const char *name);
void trunk_release(struct tsip *s, const char *name);

/* nua_r_options for a probe; returns true when nh was one of ours. */
bool trunks_on_options(struct tsip *s, nua_handle_t *nh, int status);

/* The trunks of the current configuration with their state (tandemctl trunks). */
struct json_t *tsip_trunks_json(tsip_t *s);

#endif
