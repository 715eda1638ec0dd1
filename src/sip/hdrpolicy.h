/* hdrpolicy.h - which identity and history headers cross the gateway
 * (RFC 3323 privacy, RFC 3325 P-Asserted-Identity).
 *
 * The B2BUA builds every outbound request itself, so nothing of the caller's
 * request leaks by default (User-Agent, Via, Contact, unknown headers). What
 * may cross is decided here, per trunk:
 *   - P-Asserted-Identity is believed only from a trunk with trust_pai = yes;
 *     from anyone else it is dropped. It is sent only to trunks with
 *     trust_pai = yes (the trust domain), with the caller's Privacy header.
 *   - Privacy: id (or header/user) from the caller: toward a peer outside the
 *     trust domain From becomes anonymous and no identity is sent.
 *   - Diversion and History-Info are relayed to trunks with pass_diversion /
 *     pass_history_info = yes.
 * Pure functions over a parsed message; SIP thread. Values are bounded
 * (longer ones are dropped whole, never cut).
 */
#ifndef TANDEM_SIP_HDRPOLICY_H
#define TANDEM_SIP_HDRPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

struct sip_s;

#define HDR_ANON_FROM "\"Anonymous\" <sip:anonymous@anonymous.invalid>"

struct hdr_identity {
	bool privacy;               /* caller asked for id, header or user privacy */
	char privacy_value[64];     /* the Privacy header as received, or "" */
	char pai[256];              /* trusted P-Asserted-Identity value(s), or "" */
	char diversion[512];        /* Diversion values, comma-joined, or "" */
	char history[768];          /* History-Info values, or "" */
};

/* Read the caller's INVITE; 'src' is the trunk it came from (NULL: none). */
void hdr_inbound(const struct tconf_trunk *src, struct sip_s const *sip, struct hdr_identity *id);

/* Extra headers toward trunk t ("Name: value" lines joined by CRLF, no
 * trailing CRLF; "" for none) into buf. *anon_from: From must be anonymous. */
int hdr_outbound(const struct hdr_identity *id, const struct tconf_trunk *t, char *buf, size_t len,
		 bool *anon_from);

#endif
