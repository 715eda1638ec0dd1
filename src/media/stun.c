/* stun.c - STUN Binding messages for ICE-lite (see stun.h). */
#include "config.h"

#include "media/stun.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define FP_XOR 0x5354554eu
#define MI_LEN 20                   /* HMAC-SHA1 */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		c ^= buf[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void parse_xor_addr(const uint8_t *v, uint16_t alen, const uint8_t *hdr, struct stun_msg *m)
{
	memset(&m->mapped, 0, sizeof(m->mapped));
	uint16_t port = (uint16_t)(rd16(v + 2) ^ (STUN_MAGIC >> 16));
	if (alen >= 8 && v[1] == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&m->mapped;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(rd32(v + 4) ^ STUN_MAGIC);
		m->has_xor_mapped = true;
	} else if (alen >= 20 && v[1] == 2) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&m->mapped;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		for (int i = 0; i < 16; i++)
			s6->sin6_addr.s6_addr[i] = v[4 + i] ^ hdr[4 + i];  /* cookie + tid */
		m->has_xor_mapped = true;
	}
}

/* One attribute; -EINVAL when its length is wrong for its type. */
static int parse_attr(const uint8_t *buf, size_t off, uint16_t at, uint16_t alen, struct stun_msg *m)
{
	const uint8_t *v = buf + off + 4;

	switch (at) {
	case STUN_A_USERNAME:
		if (alen > 513)
			return -EINVAL;
		m->username = (const char *)v;
		m->username_len = alen;
		break;
	case STUN_A_MESSAGE_INTEGRITY:
		if (alen != MI_LEN)
			return -EINVAL;
		m->integrity_off = off;
		break;
	case STUN_A_FINGERPRINT:
		if (alen != 4)
			return -EINVAL;
		m->fingerprint_off = off;
		break;
	case STUN_A_PRIORITY:
		if (alen != 4)
			return -EINVAL;
		m->has_priority = true;
		m->priority = rd32(v);
		break;
	case STUN_A_USE_CANDIDATE:
		m->use_candidate = true;
		break;
	case STUN_A_ICE_CONTROLLING:
	case STUN_A_ICE_CONTROLLED:
		if (alen != 8)
			return -EINVAL;
		m->tiebreaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
		if (at == STUN_A_ICE_CONTROLLING)
			m->controlling = true;
		else
			m->controlled = true;
		break;
	case STUN_A_XOR_MAPPED_ADDRESS:
		if (alen < 4)
			return -EINVAL;
		parse_xor_addr(v, alen, buf, m);
		break;
	default:
		if (at < 0x8000 && !m->unknown_required)
			m->unknown_required = at;
		break;
	}
	return 0;
}

int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (len < STUN_HDR_LEN || (buf[0] & 0xc0) || rd32(buf + 4) != STUN_MAGIC)
		return -EINVAL;
	uint16_t blen = rd16(buf + 2);
	if ((blen & 3) || (size_t)blen + STUN_HDR_LEN != len)
		return -EINVAL;
	out->type = rd16(buf);
	out->len = blen;
	memcpy(out->tid, buf + 8, 12);

	size_t off = STUN_HDR_LEN;
	while (off < len) {
		if (len - off < 4 || out->fingerprint_off)
			return -EINVAL;     /* truncated, or something after FINGERPRINT */
		uint16_t at = rd16(buf + off), alen = rd16(buf + off + 2);
		size_t padded = ((size_t)alen + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return -EINVAL;
		if (out->integrity_off && at != STUN_A_FINGERPRINT)
			return -EINVAL;     /* only FINGERPRINT may follow MESSAGE-INTEGRITY */
		if (parse_attr(buf, off, at, alen, out) < 0)
			return -EINVAL;
		off += 4 + padded;
	}
	return 0;
}

bool stun_fingerprint_ok(const uint8_t *buf, size_t len, const struct stun_msg *m)
{
	uint8_t tmp[STUN_MAX_MSG];
	size_t fo = m->fingerprint_off;

	if (!fo || fo + 8 != len || len > sizeof(tmp))
		return false;
	/* The header length at computation time already covers FINGERPRINT,
	 * which is the last attribute: it is the real length. */
	memcpy(tmp, buf, fo);
	uint32_t crc = stun_crc32(tmp, fo) ^ FP_XOR;
	return crc == rd32(buf + fo + 4);
}

bool stun_integrity_ok(const uint8_t *buf, size_t len, const struct stun_msg *m,
		       const char *key, size_t keylen)
{
	uint8_t tmp[STUN_MAX_MSG], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	size_t mo = m->integrity_off;

	if (!mo || mo + 4 + MI_LEN > len || len > sizeof(tmp) || !key)
		return false;
	/* HMAC over everything before the attribute, with the header length
	 * covering up to and including MESSAGE-INTEGRITY (RFC 5389 15.4). */
	memcpy(tmp, buf, mo);
	wr16(tmp + 2, (uint16_t)(mo + 4 + MI_LEN - STUN_HDR_LEN));
	if (!HMAC(EVP_sha1(), key, (int)keylen, tmp, mo, mac, &maclen) || maclen != MI_LEN)
		return false;
	return CRYPTO_memcmp(mac, buf + mo + 4, MI_LEN) == 0;
}

/* Append MESSAGE-INTEGRITY and FINGERPRINT to a message of 'n' bytes. */
static int finish(uint8_t *out, size_t outsz, size_t n, const char *key, size_t keylen)
{
	unsigned maclen = 0;

	if (n + 24 + 8 > outsz)
		return -ENOSPC;
	wr16(out + 2, (uint16_t)(n + 24 - STUN_HDR_LEN));
	if (!HMAC(EVP_sha1(), key, (int)keylen, out, n, out + n + 4, &maclen) || maclen != MI_LEN)
		return -EINVAL;
	wr16(out + n, STUN_A_MESSAGE_INTEGRITY);
	wr16(out + n + 2, MI_LEN);
	n += 24;
	wr16(out + 2, (uint16_t)(n + 8 - STUN_HDR_LEN));
	uint32_t crc = stun_crc32(out, n) ^ FP_XOR;
	wr16(out + n, STUN_A_FINGERPRINT);
	wr16(out + n + 2, 4);
	wr32(out + n + 4, crc);
	return (int)(n + 8);
}

static void header(uint8_t *out, uint16_t type, const uint8_t tid[12])
{
	wr16(out, type);
	wr16(out + 2, 0);
	wr32(out + 4, STUN_MAGIC);
	memcpy(out + 8, tid, 12);
}

int stun_binding_success(uint8_t *out, size_t outsz, const uint8_t tid[12],
			 const struct sockaddr *from, const char *key, size_t keylen)
{
	size_t n = STUN_HDR_LEN;

	if (outsz < STUN_HDR_LEN + 24)
		return -ENOSPC;
	header(out, STUN_BINDING_SUCCESS, tid);
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
		wr16(out + n, STUN_A_XOR_MAPPED_ADDRESS);
		wr16(out + n + 2, 8);
		out[n + 4] = 0;
		out[n + 5] = 1;
		wr16(out + n + 6, (uint16_t)(ntohs(sin->sin_port) ^ (STUN_MAGIC >> 16)));
		wr32(out + n + 8, ntohl(sin->sin_addr.s_addr) ^ STUN_MAGIC);
		n += 12;
	} else if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)from;
		wr16(out + n, STUN_A_XOR_MAPPED_ADDRESS);
		wr16(out + n + 2, 20);
		out[n + 4] = 0;
		out[n + 5] = 2;
		wr16(out + n + 6, (uint16_t)(ntohs(s6->sin6_port) ^ (STUN_MAGIC >> 16)));
		for (int i = 0; i < 16; i++)
			out[n + 8 + i] = s6->sin6_addr.s6_addr[i] ^ out[4 + i];
		n += 24;
	} else {
		return -EAFNOSUPPORT;
	}
	return finish(out, outsz, n, key, keylen);
}

int stun_binding_request(uint8_t *out, size_t outsz, const uint8_t tid[12],
			 const char *username, uint32_t priority, bool nominate,
			 uint64_t tiebreaker, const char *key, size_t keylen)
{
	size_t ulen = strlen(username), upad = (ulen + 3) & ~(size_t)3;
	size_t n = STUN_HDR_LEN;

	if (ulen > 512)
		return -EINVAL;
	if (n + 4 + upad + 8 + 12 + 4 + 32 > outsz)
		return -ENOSPC;
	header(out, STUN_BINDING_REQUEST, tid);
	wr16(out + n, STUN_A_USERNAME);
	wr16(out + n + 2, (uint16_t)ulen);
	memset(out + n + 4, 0, upad);
	memcpy(out + n + 4, username, ulen);
	n += 4 + upad;
	wr16(out + n, STUN_A_PRIORITY);
	wr16(out + n + 2, 4);
	wr32(out + n + 4, priority);
	n += 8;
	wr16(out + n, STUN_A_ICE_CONTROLLING);
	wr16(out + n + 2, 8);
	wr32(out + n + 4, (uint32_t)(tiebreaker >> 32));
	wr32(out + n + 8, (uint32_t)tiebreaker);
	n += 12;
	if (nominate) {
		wr16(out + n, STUN_A_USE_CANDIDATE);
		wr16(out + n + 2, 0);
		n += 4;
	}
	return finish(out, outsz, n, key, keylen);
}
