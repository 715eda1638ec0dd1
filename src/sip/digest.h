/* digest.h - HTTP Digest authentication, server side (RFC 7616, RFC 8760).
 *
 * What sofia-sip's auth module lacks: SHA-256. This module owns the parse of
 * an Authorization / Proxy-Authorization value, the HA1 and response
 * computation for MD5 and SHA-256 (and their -sess variants), the challenge
 * header values, and the whole verdict on one response (with nonce.h).
 *
 * Everything here is pure and allocation-free; nothing keeps a pointer to its
 * inputs. Hashes are OpenSSL EVP; response comparison is constant-time.
 *
 * How a request is checked (what the SIP side does with this):
 *   1. source banned (banlist.h)?            -> 403, nothing else is done
 *   2. no credentials for our realm           -> 401 with two challenges,
 *      SHA-256 first, then MD5 (RFC 8760 s.2.4), fresh nonces (nonce.h)
 *   3. tdigest_parse() fails                  -> 400
 *   4. digest uri != Request-URI              -> 400 (caller's check)
 *   5. tdigest_verify() with the user's HA1 for r.alg (NULL if no such user):
 *        TDIGEST_OK        -> go on
 *        TDIGEST_STALE     -> 401, new challenges with stale=true
 *        TDIGEST_BADNONCE  -> 401, new challenges (not a failure: forged,
 *                             other source, from before a restart, evicted)
 *        TDIGEST_FAIL      -> 403 and tban_fail() (wrong password/unknown user)
 *        TDIGEST_REPLAY    -> 403 and tban_fail() (nonce-count reused)
 */
#ifndef TANDEM_SIP_DIGEST_H
#define TANDEM_SIP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tnonce;

enum tdigest_alg {
	TDIGEST_MD5,
	TDIGEST_SHA256,
	TDIGEST_NALGS
};

/* Hex digest of the longest algorithm (SHA-256) plus NUL. */
#define TDIGEST_HEX_MAX 65

/* Field limits of a parsed response: longer values are refused (-E2BIG). */
#define TDIGEST_USER_MAX 128
#define TDIGEST_REALM_MAX 128
#define TDIGEST_NONCE_MAX 128
#define TDIGEST_URI_MAX 512
#define TDIGEST_CNONCE_MAX 128
#define TDIGEST_OPAQUE_MAX 128

/* A parsed credentials value. Strings are unquoted and NUL-terminated
 * copies; 'response' is lowercased. */
struct tdigest_resp {
	enum tdigest_alg alg;       /* MD5 when no algorithm was given */
	bool sess;                  /* MD5-sess / SHA-256-sess */
	bool qop;                   /* qop=auth present (then cnonce and nc are set) */
	uint32_t nc;                /* nonce-count, when qop */
	char nc_text[9];            /* as received: 8 hex digits, used in the hash */
	char username[TDIGEST_USER_MAX + 1];
	char realm[TDIGEST_REALM_MAX + 1];
	char nonce[TDIGEST_NONCE_MAX + 1];
	char uri[TDIGEST_URI_MAX + 1];
	char response[TDIGEST_HEX_MAX];
	char cnonce[TDIGEST_CNONCE_MAX + 1];
	char opaque[TDIGEST_OPAQUE_MAX + 1];
};

/* Parse a header value "Digest username=..., ..." of 'len' bytes (need not be
 * NUL-terminated). Returns 0, or -EINVAL (syntax, missing or duplicate
 * parameter, bad nc, response of the wrong length), -E2BIG (a value longer
 * than its limit), -ENOTSUP (another scheme, qop other than auth,
 * unknown algorithm, userhash=true). On error *out is unspecified. */
int tdigest_parse(const char *buf, size_t len, struct tdigest_resp *out);

/* "MD5" / "SHA-256"; the -sess names when sess. */
const char *tdigest_alg_name(enum tdigest_alg alg, bool sess);
/* Hex length of a digest of 'alg' (32 or 64). */
size_t tdigest_hex_len(enum tdigest_alg alg);

/* HA1 = H(username:realm:password), lowercase hex into out. 0 or -EINVAL. */
int tdigest_ha1(enum tdigest_alg alg, const char *username, const char *realm,
		const char *password, char out[TDIGEST_HEX_MAX]);

/* The response the client should have sent for 'r' and a request 'method',
 * given the user's plain HA1 (hex) for r->alg. 0 or -EINVAL. */
int tdigest_expected(const struct tdigest_resp *r, const char *method, const char *ha1,
		     char out[TDIGEST_HEX_MAX]);

/* True when r->response is right (constant-time comparison). */
bool tdigest_check(const struct tdigest_resp *r, const char *method, const char *ha1);

/* A WWW-Authenticate / Proxy-Authenticate value:
 *   Digest realm="R", nonce="N", [opaque="O", ]algorithm=A, qop="auth"[, stale=true]
 * opaque may be NULL. Returns the length written (NUL-terminated), -EINVAL for
 * a realm/nonce/opaque with control characters, or -ENOSPC. */
int tdigest_challenge(enum tdigest_alg alg, const char *realm, const char *nonce,
		      const char *opaque, bool stale, char *buf, size_t len);

enum tdigest_verdict {
	TDIGEST_OK,
	TDIGEST_FAIL,       /* wrong response, unknown user or wrong realm */
	TDIGEST_STALE,      /* right response, but the nonce has expired */
	TDIGEST_BADNONCE,   /* nonce not ours, not for this source/realm, or forgotten */
	TDIGEST_REPLAY,     /* right response, but its nonce-count was seen already */
};

/* The verdict on a parsed response to a challenge of 'realm' sent to
 * 'src_ip'. ha1: the user's HA1 (hex) for r->alg; NULL when there is no such
 * user (the work done is the same, so the timing does not tell). On
 * TDIGEST_OK the nonce-count is recorded (a second use is TDIGEST_REPLAY).
 * A response without qop is refused (TDIGEST_FAIL): it has no nonce-count,
 * so it cannot be protected against replay. 'now' as for nonce.h. */
enum tdigest_verdict tdigest_verify(const struct tdigest_resp *r, const char *method,
				    const char *ha1, const char *realm, struct tnonce *nonces,
				    const char *src_ip, uint64_t now);

const char *tdigest_verdict_name(enum tdigest_verdict v);

#endif
