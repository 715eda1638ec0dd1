/* sec_neg.h - the owner side of a leg's transport security: which of plain
 * RTP, SDES-SRTP (RFC 4568) and DTLS-SRTP with ICE-lite (RFC 5763/5764,
 * RFC 8445 2.5) a leg uses, given its media_security policy and the SDP
 * exchanged on it; the attributes the gateway's SDP carries on that leg
 * (sdp_webrtc.h); the struct rsec_conf the worker gets (relay_sec.h).
 *
 * A struct osec is a plain value inside the owner-side leg (session.c),
 * used on the owner thread only. Our ICE credentials and SDES keys are made
 * once per leg (osec_init) and stay for the session: re-offers keep their
 * keys (RFC 4568 allows it) so hold/resume keeps the SRTP context.
 */
#ifndef TANDEM_MEDIA_SEC_NEG_H
#define TANDEM_MEDIA_SEC_NEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/media.h"
#include "media/relay_sec.h"
#include "media/sdp.h"
#include "media/sdp_webrtc.h"

struct osec {
	enum media_security policy;
	const struct mdtls_cert *cert;
	char label[80];                 /* "call-id leg A", for logs */
	char lufrag[ICE_UFRAG_LEN + 1], lpwd[ICE_PWD_LEN + 1];
	struct msrtp_crypto sdes[2];    /* ours: tag 1 AES_CM_128_HMAC_SHA1_80, tag 2 AEAD_AES_128_GCM */
	struct rsec_conf cur, pend;     /* committed / being negotiated */
	bool have_pend;
	uint32_t gen;
	char mid[32];                   /* the peer's a=mid, kept for our re-offers */
	bool bundle;
	/* What the gateway's next SDP on this leg carries. */
	struct {
		char proto[32];
		char crypto[2][128];
		size_t ncrypto;
		char setup[16];
		bool dtls, ice, mux, bundle;
		char mid[32];
	} dec;
};

/* Credentials and keys for a leg. 0 or -EIO. */
int osec_init(struct osec *o, enum media_security policy, const struct mdtls_cert *cert,
	      const char *label, int leg);

/* The leg's peer offered stream 'st' (with the attributes 'r' of that
 * section): choose the transport, prepare our answer's attributes.
 * -ENOTSUP (logged: which policy refused what) when the policy refuses it. */
int osec_remote_offer(struct osec *o, const struct msdp_stream *st, const struct wsdp_remote *r);
/* We are about to offer on the leg, from a stream whose profile is
 * 'src_proto': prepare our offer's attributes from the policy (optional:
 * the transport the leg already uses, so a re-offer to a browser stays
 * DTLS-SRTP with the same keys and credentials). */
void osec_local_offer(struct osec *o, const char *src_proto);
/* The peer answered our offer with 'st'/'r'. -ENOTSUP when the answer
 * lacks the transport we offered or names keys we never offered. */
int osec_remote_answer(struct osec *o, const struct msdp_stream *st, const struct wsdp_remote *r);
/* The exchange completed / was abandoned. */
void osec_commit(struct osec *o);
void osec_rollback(struct osec *o);

/* Add the prepared attributes to SDP the gateway prints for the leg
 * (advertised address and port for the ICE candidate). NULL on ENOMEM. */
char *osec_decorate(const struct osec *o, const char *sdp, size_t len, const char *addr,
		    uint16_t port, size_t *outlen);
/* What the worker needs (the committed state). */
void osec_conf(const struct osec *o, struct rsec_conf *out);

/* "optional", "none", "sdes", "dtls". */
const char *osec_policy_name(enum media_security p);

#endif
