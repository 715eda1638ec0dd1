/* nonce.c - see nonce.h.
 *
 * The table of remembered nonces is a fixed array of entries, a hash index
 * (chained through the entries, power-of-two buckets) and an LRU list; a full
 * table reuses its least recently used entry. Everything is allocated once in
 * tnonce_new(): issuing and checking never allocate.
 */
#include "config.h"
#include "sip/nonce.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define TS_LEN 8
#define RAND_LEN 8
#define MAC_LEN 16
#define RAW_LEN (TS_LEN + RAND_LEN + MAC_LEN)   /* TNONCE_LEN / 2 */
#define NIL UINT32_MAX

struct entry {
	uint8_t raw[RAW_LEN];
	uint32_t nc;                /* highest nonce-count used; 0 = none yet */
	uint32_t hnext;             /* hash chain */
	uint32_t prev, next;        /* LRU list: head is the most recent */
};

struct tnonce {
	unsigned ttl;
	uint8_t secret[32];
	struct entry *e;
	uint32_t cap, count, hmask;
	uint32_t *buckets;
	uint32_t head, tail;        /* LRU */
};

int tnonce_new(const struct tnonce_params *p, tnonce_t **out)
{
	size_t max = p && p->max_nonces ? p->max_nonces : TNONCE_MAX_DEFAULT;
	if (max > (1u << 24))
		max = 1u << 24;
	tnonce_t *n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	n->ttl = p && p->ttl ? p->ttl : TNONCE_TTL_DEFAULT;
	n->cap = (uint32_t)max;
	uint32_t nb = 1;
	while (nb < n->cap)
		nb <<= 1;
	n->hmask = nb - 1;
	n->e = calloc(n->cap, sizeof *n->e);
	n->buckets = malloc(nb * sizeof *n->buckets);
	if (!n->e || !n->buckets) {
		tnonce_free(n);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nb; i++)
		n->buckets[i] = NIL;
	n->head = n->tail = NIL;
	if (RAND_bytes(n->secret, sizeof n->secret) != 1) {
		tnonce_free(n);
		return -EIO;
	}
	*out = n;
	return 0;
}

void tnonce_free(tnonce_t *n)
{
	if (!n)
		return;
	OPENSSL_cleanse(n->secret, sizeof n->secret);
	free(n->e);
	free(n->buckets);
	free(n);
}

size_t tnonce_count(const tnonce_t *n) { return n->count; }

void tnonce_set_ttl(tnonce_t *n, unsigned ttl)
{
	n->ttl = ttl ? ttl : TNONCE_TTL_DEFAULT;
}

/* ---- encoding ---- */

static void mac(const tnonce_t *n, const uint8_t *ts_rand, const char *realm, const char *src_ip,
		uint8_t out[MAC_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t rl = strlen(realm), il = strlen(src_ip);
	/* ts|rand|realm|NUL|ip: the NUL keeps realm and ip apart */
	uint8_t stackbuf[512];
	size_t len = TS_LEN + RAND_LEN + rl + 1 + il;
	uint8_t *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
	if (!buf) {
		memset(out, 0, MAC_LEN);    /* matches nothing we issued (probability 2^-128) */
		return;
	}
	memcpy(buf, ts_rand, TS_LEN + RAND_LEN);
	memcpy(buf + TS_LEN + RAND_LEN, realm, rl + 1);
	memcpy(buf + TS_LEN + RAND_LEN + rl + 1, src_ip, il);
	if (!HMAC(EVP_sha256(), n->secret, sizeof n->secret, buf, len, md, &mdlen) || mdlen < MAC_LEN)
		memset(md, 0, MAC_LEN);
	memcpy(out, md, MAC_LEN);
	if (buf != stackbuf)
		free(buf);
}

static void to_hex(const uint8_t *raw, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;                  /* we only issue lowercase */
}

static int from_hex(const char *s, uint8_t raw[RAW_LEN])
{
	if (strlen(s) != TNONCE_LEN)
		return -EINVAL;
	for (size_t i = 0; i < RAW_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ---- table ---- */

static uint32_t bucket_of(const tnonce_t *n, const uint8_t raw[RAW_LEN])
{
	/* The MAC bytes are uniform and unknown to a client without the secret. */
	uint32_t h;
	memcpy(&h, raw + TS_LEN + RAND_LEN, sizeof h);
	return h & n->hmask;
}

static void lru_unlink(tnonce_t *n, uint32_t i)
{
	struct entry *e = &n->e[i];
	if (e->prev != NIL)
		n->e[e->prev].next = e->next;
	else
		n->head = e->next;
	if (e->next != NIL)
		n->e[e->next].prev = e->prev;
	else
		n->tail = e->prev;
}

static void lru_push(tnonce_t *n, uint32_t i)
{
	struct entry *e = &n->e[i];
	e->prev = NIL;
	e->next = n->head;
	if (n->head != NIL)
		n->e[n->head].prev = i;
	n->head = i;
	if (n->tail == NIL)
		n->tail = i;
}

static void hash_unlink(tnonce_t *n, uint32_t i)
{
	uint32_t *pp = &n->buckets[bucket_of(n, n->e[i].raw)];
	while (*pp != NIL && *pp != i)
		pp = &n->e[*pp].hnext;
	if (*pp == i)
		*pp = n->e[i].hnext;
}

static uint32_t find(const tnonce_t *n, const uint8_t raw[RAW_LEN])
{
	for (uint32_t i = n->buckets[bucket_of(n, raw)]; i != NIL; i = n->e[i].hnext)
		if (!memcmp(n->e[i].raw, raw, RAW_LEN))
			return i;
	return NIL;
}

static void remember(tnonce_t *n, const uint8_t raw[RAW_LEN])
{
	uint32_t i;
	if (n->count < n->cap) {
		i = n->count++;
	} else {                    /* evict the least recently used */
		i = n->tail;
		lru_unlink(n, i);
		hash_unlink(n, i);
	}
	struct entry *e = &n->e[i];
	memcpy(e->raw, raw, RAW_LEN);
	e->nc = 0;
	uint32_t b = bucket_of(n, raw);
	e->hnext = n->buckets[b];
	n->buckets[b] = i;
	lru_push(n, i);
}

/* ---- API ---- */

int tnonce_make(tnonce_t *n, const char *realm, const char *src_ip, uint64_t now,
		char out[TNONCE_LEN + 1])
{
	uint8_t raw[RAW_LEN];
	for (int i = 0; i < TS_LEN; i++)
		raw[i] = (uint8_t)(now >> (8 * (TS_LEN - 1 - i)));
	if (RAND_bytes(raw + TS_LEN, RAND_LEN) != 1)
		return -EIO;
	mac(n, raw, realm, src_ip, raw + TS_LEN + RAND_LEN);
	to_hex(raw, RAW_LEN, out);
	remember(n, raw);
	return 0;
}

enum tnonce_state tnonce_check(tnonce_t *n, const char *nonce, const char *realm,
			       const char *src_ip, uint64_t now)
{
	uint8_t raw[RAW_LEN], want[MAC_LEN];
	if (!nonce || from_hex(nonce, raw) < 0)
		return TNONCE_INVALID;
	mac(n, raw, realm, src_ip, want);
	if (CRYPTO_memcmp(want, raw + TS_LEN + RAND_LEN, MAC_LEN))
		return TNONCE_INVALID;
	uint64_t ts = 0;
	for (int i = 0; i < TS_LEN; i++)
		ts = ts << 8 | raw[i];
	if (ts > now)
		return TNONCE_INVALID;
	if (now - ts >= n->ttl)
		return TNONCE_STALE;
	return find(n, raw) == NIL ? TNONCE_UNKNOWN : TNONCE_VALID;
}

int tnonce_use(tnonce_t *n, const char *nonce, uint32_t nc)
{
	uint8_t raw[RAW_LEN];
	if (nc == 0 || !nonce || from_hex(nonce, raw) < 0)
		return -EINVAL;
	uint32_t i = find(n, raw);
	if (i == NIL)
		return -ENOENT;
	if (nc <= n->e[i].nc)
		return -EALREADY;
	n->e[i].nc = nc;
	lru_unlink(n, i);
	lru_push(n, i);
	return 0;
}
