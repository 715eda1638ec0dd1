/* stun.h - STUN messages (RFC 5389 / RFC 8489) as ICE-lite needs them:
 * parse a Binding request, check its MESSAGE-INTEGRITY (short-term
 * credentials) and FINGERPRINT, build the success response (and, for
 * tests and peers, a Binding request).
 *
 * Pure functions over (buf, len): no sockets, no state, no allocation, safe
 * on any thread and fuzzed (tests/fuzz/fuzz_stun.c). A parsed message points
 * into the caller's buffer (struct stun_msg borrows, owns nothing).
 */
#ifndef TANDEM_MEDIA_STUN_H
#define TANDEM_MEDIA_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HDR_LEN 20
#define STUN_MAGIC 0x2112A442u
#define STUN_MAX_MSG 548            /* larger datagrams are not STUN we answer */

/* Message types (method | class). */
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111
#define STUN_BINDING_INDICATION 0x0011

/* Attributes we read or write. */
#define STUN_A_MAPPED_ADDRESS 0x0001
#define STUN_A_USERNAME 0x0006
#define STUN_A_MESSAGE_INTEGRITY 0x0008
#define STUN_A_ERROR_CODE 0x0009
#define STUN_A_XOR_MAPPED_ADDRESS 0x0020
#define STUN_A_PRIORITY 0x0024
#define STUN_A_USE_CANDIDATE 0x0025
#define STUN_A_FINGERPRINT 0x8028
#define STUN_A_ICE_CONTROLLED 0x8029
#define STUN_A_ICE_CONTROLLING 0x802A

struct stun_msg {
	uint16_t type;
	uint16_t len;                /* body length from the header */
	uint8_t tid[12];
	const char *username;        /* not NUL-terminated; NULL when absent */
	size_t username_len;
	bool has_priority, use_candidate, controlling, controlled;
	uint32_t priority;
	uint64_t tiebreaker;
	/* Offsets of the attribute headers, 0 when absent. */
	size_t integrity_off, fingerprint_off;
	uint16_t unknown_required;   /* first comprehension-required attribute
	                              * we do not know, 0 if none */
	bool has_xor_mapped;         /* responses: the address in mapped */
	struct sockaddr_storage mapped;
};

/* RFC 7983: a datagram on a media port whose first byte is 0..3 is STUN. */
static inline bool stun_is_candidate(const uint8_t *buf, size_t len)
{
	return len >= STUN_HDR_LEN && buf[0] < 4;
}

/* Parse one STUN message. 0, or -EINVAL when it is not well-formed STUN
 * (bad cookie, length, attribute overrun, attributes after FINGERPRINT,
 * anything but FINGERPRINT after MESSAGE-INTEGRITY). Integrity and
 * fingerprint are located, not checked. */
int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *out);

/* The FINGERPRINT attribute is present and matches (CRC-32 ^ 0x5354554e). */
bool stun_fingerprint_ok(const uint8_t *buf, size_t len, const struct stun_msg *m);
/* MESSAGE-INTEGRITY is present and is HMAC-SHA1 under 'key' (the short-term
 * password, as bytes). */
bool stun_integrity_ok(const uint8_t *buf, size_t len, const struct stun_msg *m,
		       const char *key, size_t keylen);

/* Build a Binding success response to 'tid' with XOR-MAPPED-ADDRESS 'from',
 * MESSAGE-INTEGRITY under 'key' and FINGERPRINT. Returns its length, or
 * -ENOSPC when out is too small (STUN_MAX_MSG is always enough), -EAFNOSUPPORT
 * for a non-IP address. */
int stun_binding_success(uint8_t *out, size_t outsz, const uint8_t tid[12],
			 const struct sockaddr *from, const char *key, size_t keylen);

/* A Binding request as an ICE agent sends it: USERNAME, PRIORITY, ICE-
 * CONTROLLING (tiebreaker) and USE-CANDIDATE when 'nominate', then
 * MESSAGE-INTEGRITY under 'key' and FINGERPRINT. Returns its length or
 * -ENOSPC / -EINVAL (username over 512 bytes). */
int stun_binding_request(uint8_t *out, size_t outsz, const uint8_t tid[12],
			 const char *username, uint32_t priority, bool nominate,
			 uint64_t tiebreaker, const char *key, size_t keylen);

/* CRC-32 (IEEE 802.3), as FINGERPRINT uses it. */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

#endif
