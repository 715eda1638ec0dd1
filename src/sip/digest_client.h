/* digest_client.h - HTTP Digest, client side: answering a 401/407 challenge
 * from a trunk with MD5 or SHA-256 (RFC 7616, RFC 8760).
 *
 * sofia-sip's own client (auth_client) only does MD5, so the gateway answers
 * every challenge itself: tdigest_chal_parse() reads one WWW-Authenticate /
 * Proxy-Authenticate value, tdigest_chal_better() ranks the challenges of a
 * response (SHA-256 before MD5), tdigest_answer() writes the Authorization /
 * Proxy-Authorization value. Hashing is digest.c's.
 *
 * Pure and allocation-free; nothing keeps a pointer to its inputs.
 */
#ifndef TANDEM_SIP_DIGEST_CLIENT_H
#define TANDEM_SIP_DIGEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/digest.h"

/* A parsed challenge; strings unquoted and NUL-terminated. */
struct tdigest_chal {
	enum tdigest_alg alg;       /* MD5 when no algorithm was given */
	bool sess;                  /* MD5-sess / SHA-256-sess */
	bool qop_auth;              /* qop offered and includes "auth" */
	bool stale;                 /* stale=true: our last answer was right but late */
	char realm[TDIGEST_REALM_MAX + 1];
	char nonce[TDIGEST_NONCE_MAX + 1];
	char opaque[TDIGEST_OPAQUE_MAX + 1];
	bool has_opaque;
};

/* Parse a challenge value "Digest realm=..., nonce=..." of 'len' bytes (need
 * not be NUL-terminated). 0, or -EINVAL (syntax, no realm or nonce, duplicate
 * parameter), -E2BIG (value over its limit), -ENOTSUP (another scheme, an
 * unknown algorithm, a qop list without "auth", userhash=true).
 * On error *out is unspecified. */
int tdigest_chal_parse(const char *buf, size_t len, struct tdigest_chal *out);

/* True when 'a' is the better challenge to answer than 'b' (SHA-256 beats MD5). */
bool tdigest_chal_better(const struct tdigest_chal *a, const struct tdigest_chal *b);

/* The credentials value answering 'ch' for a request 'method' to 'uri':
 *   Digest username="U", realm="R", nonce="N", uri="URI", response="H",
 *   algorithm=A[, cnonce="C", qop=auth, nc=NC][, opaque="O"]
 * cnonce (printable, no quotes) is used when qop=auth was offered or for
 * -sess; nc is the nonce-count. Returns the length written, -EINVAL
 * (missing or bad input), -ENOSPC. */
int tdigest_answer(const struct tdigest_chal *ch, const char *method, const char *uri,
		   const char *username, const char *password, const char *cnonce,
		   uint32_t nc, char *buf, size_t len);

#endif
