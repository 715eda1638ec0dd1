/* prack.h - reliable provisional responses (RFC 3262, 100rel) on each leg.
 *
 * sofia's nua does the protocol: it sends a 18x reliably (RSeq, retransmitted
 * until PRACKed) when the response carries Require: 100rel, answers the
 * caller's PRACK itself, and PRACKs a trunk's reliable 18x by itself. What is
 * decided here is when to ask for it:
 *   - leg A: every 18x relayed to a caller whose INVITE said Supported or
 *     Require: 100rel is sent reliably (early media SDP included);
 *   - leg B: per trunk, prack = no (nothing said), supported (Supported:
 *     100rel, the trunk chooses) or required (Require: 100rel).
 * SIP thread only; nothing here owns memory.
 */
#ifndef TANDEM_SIP_PRACK_H
#define TANDEM_SIP_PRACK_H

#include <stdbool.h>

#include "sip/sip_internal.h"

/* Did the caller's INVITE offer or demand 100rel? */
bool prack_caller_wants(sip_t const *invite);

/* The Supported header value for a new leg toward trunk 't' (or for the
 * stack's defaults when t is NULL): "100rel" as configured, "timer" when
 * session timers run on the leg. Never NULL. */
const char *prack_supported(const struct tconf_trunk *t, bool timer);

/* The Require header value for the trunk's INVITE, or NULL. */
const char *prack_require(const struct tconf_trunk *t);

#endif
