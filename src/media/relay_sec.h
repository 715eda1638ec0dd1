/* relay_sec.h - the worker side of a leg's secure transport: RFC 7983
 * demultiplexing on the RTP port (STUN, DTLS, SRTP/SRTCP), the ICE-lite
 * responder, the DTLS-SRTP handshake and its timers, SRTP protect and
 * unprotect around the relay path, consent freshness.
 *
 * The owner (session.c through sec_neg.h) describes a leg's transport in a
 * struct rsec_conf carried by rsess_configure(); the worker keeps the live
 * state in a struct rsec hung off the leg (NULL for plain RTP legs, so the
 * plain fast path pays one pointer test). A new 'gen' rebuilds the state;
 * the same gen (re-INVITEs for hold, codec changes) keeps keys, handshake
 * and ICE selection. Everything here runs on the leg's worker thread and is
 * freed with the leg (rsec_free).
 */
#ifndef TANDEM_MEDIA_RELAY_SEC_H
#define TANDEM_MEDIA_RELAY_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/ice.h"
#include "media/netaddr.h"
#include "media/srtp.h"

enum rsec_kind { RSEC_NONE = 0, RSEC_SDES, RSEC_DTLS };

#define RSEC_DTLS_TIMEOUT_MS 10000  /* a handshake not done by then ends the call */

struct rsec_conf {
	uint32_t gen;                   /* 0: plain RTP on this leg */
	enum rsec_kind kind;
	bool ice;                       /* ICE-lite: media follows the checks */
	bool mux;                       /* RTCP on the RTP port */
	char lufrag[ICE_UFRAG_LEN + 1], lpwd[ICE_PWD_LEN + 1], rufrag[64];
	struct msrtp_keys tx, rx;       /* SDES */
	bool dtls_client;               /* DTLS: we send the ClientHello */
	char remote_fp[224];            /* the peer's a=fingerprint value */
	const struct mdtls_cert *cert;  /* the core's, outlives every session */
};

struct rleg;

/* Worker thread. Install, keep or drop the leg's secure state. */
void rsec_apply(struct rleg *l, const struct rsec_conf *c, uint64_t now);
void rsec_free(struct rleg *l);

/* A datagram that arrived on the leg's RTP port (l->sec != NULL). Returns
 * 1 when buf now holds plain RTP for the relay path (*len updated), 0 when
 * it was consumed (STUN answered, DTLS fed, SRTCP taken) or dropped
 * (counted). */
int rsec_in(struct rleg *l, uint8_t *buf, size_t *len, const na_addr_t *from, uint64_t now);
/* A datagram on the leg's RTCP port (no rtcp-mux): SRTCP taken, the rest
 * dropped. Always consumed. */
void rsec_in_rtcp(struct rleg *l, uint8_t *buf, size_t len, const na_addr_t *from, uint64_t now);
/* Protect RTP about to be sent toward the leg's peer (in place, cap is the
 * buffer size). 0, or <0: do not send (keys not ready, consent lost). */
int rsec_out(struct rleg *l, uint8_t *buf, size_t *len, size_t cap);
/* Where media goes on an ICE leg (the selected pair), NULL when none yet or
 * consent is lost. Only for legs with ICE. */
const na_addr_t *rsec_ice_target(const struct rleg *l);
bool rsec_has_ice(const struct rleg *l);

#endif
