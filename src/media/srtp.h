/* srtp.h - SRTP and SRTCP for one media leg on libsrtp2, keyed either by
 * SDES (RFC 4568 a=crypto, parsed and printed here) or by DTLS-SRTP key
 * export (dtls.h hands over a struct msrtp_keys).
 *
 * Suites: AES_CM_128_HMAC_SHA1_80 (RFC 4568) and AEAD_AES_128_GCM (RFC 7714).
 * libsrtp2 is initialised once per process (msrtp_global_init, thread-safe).
 * A struct msrtp belongs to the worker that owns the leg; msrtp_free()
 * releases it. Packet functions never allocate once a stream has been seen
 * (libsrtp2 clones its template per SSRC on the first packet).
 */
#ifndef TANDEM_MEDIA_SRTP_H
#define TANDEM_MEDIA_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum msrtp_suite {
	MSRTP_NONE = 0,
	MSRTP_AES_CM_128_HMAC_SHA1_80,
	MSRTP_AEAD_AES_128_GCM,
};

#define MSRTP_MAX_KEY 46            /* master key + salt, the largest suite */
#define MSRTP_TRAILER 20            /* room a protected packet needs past its end
                                     * (auth tag, SRTCP index) */

struct msrtp_keys {
	enum msrtp_suite suite;
	uint8_t key[MSRTP_MAX_KEY];     /* master key then master salt */
};

/* One a=crypto line (RFC 4568 section 9.1): "TAG SUITE inline:KEY[|LIFETIME][|MKI:LEN]". */
struct msrtp_crypto {
	unsigned tag;
	struct msrtp_keys keys;
};

/* Master key + salt length of a suite (30 or 28), 0 for MSRTP_NONE. */
size_t msrtp_key_len(enum msrtp_suite s);
const char *msrtp_suite_name(enum msrtp_suite s);
/* By SDES name; MSRTP_NONE when unknown. */
enum msrtp_suite msrtp_suite_by_name(const char *name, size_t len);

/* Parse the value of an a=crypto attribute (after "crypto:"). Pure.
 * 0; -ENOTSUP for a well-formed line with a suite or parameter we do not
 * support (an MKI, a lifetime other than the default, session parameters,
 * more than one key); -EINVAL when malformed. */
int msrtp_crypto_parse(const char *val, size_t len, struct msrtp_crypto *out);
/* Print the value of an a=crypto attribute. Returns the length or -ENOSPC. */
int msrtp_crypto_format(const struct msrtp_crypto *c, char *out, size_t outsz);
/* Fresh random keys for 'suite'. 0 or -EIO. */
int msrtp_keys_random(enum msrtp_suite suite, struct msrtp_keys *out);

/* "libsrtp2 2.5.0 on openssl": the library version and the crypto backend
 * configure found (static string). */
const char *msrtp_describe(void);

/* libsrtp2 init, once per process. 0 or -EIO. */
int msrtp_global_init(void);

struct msrtp;
/* SRTP for one leg: 'tx' protects what we send, 'rx' unprotects what the
 * peer sends (any SSRC). Same suite both ways. 0, -EINVAL, -ENOMEM. */
int msrtp_new(const struct msrtp_keys *tx, const struct msrtp_keys *rx, struct msrtp **out);
void msrtp_free(struct msrtp *s);

/* In place. *len grows by at most MSRTP_TRAILER; cap is the buffer size.
 * 0, -ENOSPC (no room), -EACCES (authentication or replay failure on
 * unprotect), -EINVAL (not a packet libsrtp2 accepts). */
int msrtp_protect(struct msrtp *s, uint8_t *buf, size_t *len, size_t cap);
int msrtp_unprotect(struct msrtp *s, uint8_t *buf, size_t *len);
int msrtp_protect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len, size_t cap);
int msrtp_unprotect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len);

#endif
