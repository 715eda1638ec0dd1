/* nonce.h - digest nonces: issued, verified, and protected against replay.
 *
 * A nonce is 64 hex characters: a timestamp (8 bytes), 8 random bytes and an
 * HMAC-SHA256 (truncated to 16 bytes) over timestamp|random|realm|source IP,
 * keyed with a random secret made when the table is created. So a nonce can be
 * checked without state: it is ours, for this realm and this source, and not
 * older than the ttl (else it is stale, and the client is asked again with
 * stale=true, without a new password prompt).
 *
 * Replay protection needs state: every nonce handed out is remembered with
 * the highest nonce-count used with it, in a table of bounded size with LRU
 * eviction. A nonce that is not (or no longer) in the table is refused as
 * unknown, so an evicted nonce can never be replayed; the client just gets a
 * fresh challenge. A flood of challenges can evict the nonces of honest
 * clients, which then re-authenticate: degraded, never unsafe.
 *
 * Nonces do not survive a restart (the secret is per process): clients are
 * challenged again.
 *
 * 'now' everywhere is in seconds from a monotonic clock (CLOCK_MONOTONIC).
 * Threads: one table belongs to one thread (the SIP thread); no locking.
 * Ownership: tnonce_new() returns a table owned by the caller; tnonce_free().
 */
#ifndef TANDEM_SIP_NONCE_H
#define TANDEM_SIP_NONCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tnonce tnonce_t;

#define TNONCE_LEN 64               /* hex characters, without the NUL */
#define TNONCE_TTL_DEFAULT 300
#define TNONCE_MAX_DEFAULT 4096

struct tnonce_params {
	unsigned ttl;               /* s a nonce is valid; 0 = TNONCE_TTL_DEFAULT */
	size_t max_nonces;          /* remembered nonces; 0 = TNONCE_MAX_DEFAULT */
};

/* p may be NULL for the defaults. 0, -ENOMEM, or -EIO (no random secret). */
int tnonce_new(const struct tnonce_params *p, tnonce_t **out);
void tnonce_free(tnonce_t *n);

/* A new nonce for a challenge of 'realm' to 'src_ip' (any text that names
 * the source; the IP without port, so a rebound NAT port does not matter).
 * Writes TNONCE_LEN hex characters and a NUL. 0 or -EIO. */
int tnonce_make(tnonce_t *n, const char *realm, const char *src_ip, uint64_t now,
		char out[TNONCE_LEN + 1]);

enum tnonce_state {
	TNONCE_VALID,
	TNONCE_STALE,               /* ours, but older than the ttl */
	TNONCE_INVALID,             /* not ours, or not for this realm/source, or from the future */
	TNONCE_UNKNOWN,             /* ours and fresh, but no longer remembered */
};

enum tnonce_state tnonce_check(tnonce_t *n, const char *nonce, const char *realm,
			       const char *src_ip, uint64_t now);

/* Record that 'nc' was used with 'nonce' (after the response was verified).
 * 0; -EALREADY when nc is not above every count used before (a replay);
 * -ENOENT when the nonce is not remembered; -EINVAL for nc 0 or a malformed
 * nonce. */
int tnonce_use(tnonce_t *n, const char *nonce, uint32_t nc);

/* A reload: nonces issued from now on and those already out expire after
 * 'ttl' s (0 = TNONCE_TTL_DEFAULT). The table size stays. */
void tnonce_set_ttl(tnonce_t *n, unsigned ttl);

/* Nonces remembered now (for tests and metrics). */
size_t tnonce_count(const tnonce_t *n);

#endif
