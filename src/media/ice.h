/* ice.h - an ICE-lite agent (RFC 8445 section 2.5) for one media leg: it
 * never sends checks, it answers the peer's (a browser's) Binding requests
 * on the RTP port, follows the peer's nomination and peer-reflexive source,
 * and treats the peer's periodic checks as consent (RFC 7675).
 *
 * A request is answered only when it is well-formed STUN, its FINGERPRINT
 * matches, its USERNAME is "<our ufrag>:<peer ufrag>" and its
 * MESSAGE-INTEGRITY verifies under our password; everything else is
 * silently ignored (and counted). Pure state machine: no sockets, no clock
 * of its own (the caller passes the time), no allocation. struct ice_lite is
 * a plain value owned by its leg.
 */
#ifndef TANDEM_MEDIA_ICE_H
#define TANDEM_MEDIA_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/netaddr.h"

#define ICE_UFRAG_LEN 8             /* ours; RFC 8445 asks for at least 4 */
#define ICE_PWD_LEN 24              /* ours; at least 22 */
#define ICE_CONSENT_TIMEOUT_MS 30000  /* RFC 7675: consent expires after 30 s */

struct ice_lite {
	char lufrag[ICE_UFRAG_LEN + 1], lpwd[ICE_PWD_LEN + 1];
	char rufrag[64];            /* the peer's a=ice-ufrag ("" until known) */
	bool have_selected;         /* a source sent a valid check */
	bool nominated;             /* ... with USE-CANDIDATE */
	na_addr_t selected;         /* where media goes (the nominated source,
	                             * else the last source that checked) */
	uint64_t last_ok_ms;        /* last valid check, or when the agent started */
	uint32_t checks_ok, checks_ignored;
};

/* Fresh random credentials (OpenSSL RAND, ice-chars); consent clock starts
 * at now_ms. Returns 0 or -EIO when the RNG fails. */
int ice_lite_init(struct ice_lite *ice, uint64_t now_ms);
/* The peer's ufrag from its SDP (a new one is an ICE restart: the selection
 * is forgotten and the consent clock restarts). */
void ice_lite_set_remote(struct ice_lite *ice, const char *ufrag, uint64_t now_ms);

enum {
	ICE_EV_SELECTED = 1 << 0,   /* 'selected' changed (new nomination or source) */
};

/* A STUN datagram from 'from'. Returns the length of the response written to
 * resp (send it back to 'from'), or 0 when the datagram is ignored. *events
 * gets ICE_EV_* bits. */
int ice_lite_on_stun(struct ice_lite *ice, const uint8_t *buf, size_t len,
		     const na_addr_t *from, uint64_t now_ms,
		     uint8_t *resp, size_t respsz, unsigned *events);

/* No valid check for timeout_ms (RFC 7675: stop sending, end the call). */
bool ice_lite_consent_expired(const struct ice_lite *ice, uint64_t now_ms, unsigned timeout_ms);

#endif
