/* banlist.c - see banlist.h.
 *
 * Fixed array of entries with a hash index (chains through the entries) and
 * an LRU list, all allocated in tban_new(). Addresses are kept as 16 bytes,
 * IPv4 as IPv4-mapped IPv6, so "192.0.2.1" and "::ffff:192.0.2.1" are one
 * source. The hash is keyed with a random seed per table so that a remote
 * attacker cannot pick addresses that share one chain.
 */
#include "config.h"
#include "sip/banlist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define NIL UINT32_MAX

struct entry {
	uint8_t addr[16];
	unsigned failures;
	uint64_t first;             /* start of the failure window */
	uint64_t until;             /* banned while now < until */
	uint32_t hnext, prev, next;
};

struct tban {
	struct tban_params p;
	uint64_t seed;
	struct entry *e;
	uint32_t cap, count, hmask;
	uint32_t *buckets;
	uint32_t head, tail;
};

int tban_new(const struct tban_params *p, tban_t **out)
{
	tban_t *b = calloc(1, sizeof *b);
	if (!b)
		return -ENOMEM;
	if (p)
		b->p = *p;
	else
		b->p = (struct tban_params){ TBAN_FAILURES_DEFAULT, TBAN_WINDOW_DEFAULT, TBAN_TIME_DEFAULT,
					     false, TBAN_MAX_DEFAULT };
	size_t max = b->p.max_entries ? b->p.max_entries : TBAN_MAX_DEFAULT;
	b->cap = (uint32_t)(max > (1u << 24) ? 1u << 24 : max);
	uint32_t nb = 1;
	while (nb < b->cap)
		nb <<= 1;
	b->hmask = nb - 1;
	b->e = calloc(b->cap, sizeof *b->e);
	b->buckets = malloc(nb * sizeof *b->buckets);
	if (!b->e || !b->buckets) {
		tban_free(b);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nb; i++)
		b->buckets[i] = NIL;
	b->head = b->tail = NIL;
	if (RAND_bytes((unsigned char *)&b->seed, sizeof b->seed) != 1)
		b->seed = (uint64_t)(uintptr_t)b ^ 0x9e3779b97f4a7c15u;
	*out = b;
	return 0;
}

void tban_free(tban_t *b)
{
	if (!b)
		return;
	free(b->e);
	free(b->buckets);
	free(b);
}

void tban_set_params(tban_t *b, const struct tban_params *p)
{
	size_t max = b->p.max_entries;
	b->p = *p;
	b->p.max_entries = max;
}

static int parse_addr(const char *ip, uint8_t out[16])
{
	struct in_addr a4;
	if (!ip)
		return -EINVAL;
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, ip, out) == 1 ? 0 : -EINVAL;
}

static bool is_loopback(const uint8_t a[16])
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	return !memcmp(a, v6lo, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
}

static uint32_t bucket_of(const tban_t *b, const uint8_t a[16])
{
	uint64_t h = b->seed ^ 0xcbf29ce484222325u;     /* FNV-1a, seeded */
	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 0x100000001b3u;
	return (uint32_t)(h ^ (h >> 32)) & b->hmask;
}

static void lru_unlink(tban_t *b, uint32_t i)
{
	struct entry *e = &b->e[i];
	if (e->prev != NIL)
		b->e[e->prev].next = e->next;
	else
		b->head = e->next;
	if (e->next != NIL)
		b->e[e->next].prev = e->prev;
	else
		b->tail = e->prev;
}

static void lru_push(tban_t *b, uint32_t i)
{
	struct entry *e = &b->e[i];
	e->prev = NIL;
	e->next = b->head;
	if (b->head != NIL)
		b->e[b->head].prev = i;
	b->head = i;
	if (b->tail == NIL)
		b->tail = i;
}

static void touch(tban_t *b, uint32_t i)
{
	if (b->head != i) {
		lru_unlink(b, i);
		lru_push(b, i);
	}
}

static uint32_t find(const tban_t *b, const uint8_t a[16])
{
	for (uint32_t i = b->buckets[bucket_of(b, a)]; i != NIL; i = b->e[i].hnext)
		if (!memcmp(b->e[i].addr, a, 16))
			return i;
	return NIL;
}

static uint32_t insert(tban_t *b, const uint8_t a[16])
{
	uint32_t i;
	if (b->count < b->cap) {
		i = b->count++;
	} else {
		i = b->tail;
		lru_unlink(b, i);
		uint32_t *pp = &b->buckets[bucket_of(b, b->e[i].addr)];
		while (*pp != i)
			pp = &b->e[*pp].hnext;
		*pp = b->e[i].hnext;
	}
	struct entry *e = &b->e[i];
	memset(e, 0, sizeof *e);
	memcpy(e->addr, a, 16);
	uint32_t h = bucket_of(b, a);
	e->hnext = b->buckets[h];
	b->buckets[h] = i;
	lru_push(b, i);
	return i;
}

bool tban_banned(tban_t *b, const char *ip, uint64_t now)
{
	uint8_t a[16];
	if (parse_addr(ip, a) < 0)
		return false;
	uint32_t i = find(b, a);
	if (i == NIL)
		return false;
	struct entry *e = &b->e[i];
	if (e->until && now < e->until) {
		touch(b, i);
		return true;
	}
	if (e->until) {             /* the ban is over: start afresh */
		e->until = 0;
		e->failures = 0;
	}
	return false;
}

bool tban_fail(tban_t *b, const char *ip, uint64_t now)
{
	uint8_t a[16];
	if (!b->p.failures || parse_addr(ip, a) < 0 || (is_loopback(a) && !b->p.ban_loopback))
		return false;
	uint32_t i = find(b, a);
	if (i == NIL)
		i = insert(b, a);
	else
		touch(b, i);
	struct entry *e = &b->e[i];
	if (e->until && now < e->until)
		return false;               /* already banned */
	if (e->until || e->failures == 0 || now - e->first >= b->p.window) {
		e->until = 0;
		e->failures = 0;
		e->first = now;
	}
	if (++e->failures < b->p.failures)
		return false;
	e->until = now + (b->p.ban_time ? b->p.ban_time : 1);
	return true;
}

void tban_success(tban_t *b, const char *ip)
{
	uint8_t a[16];
	if (parse_addr(ip, a) < 0)
		return;
	uint32_t i = find(b, a);
	if (i != NIL && !b->e[i].until)
		b->e[i].failures = 0;
}

size_t tban_count(const tban_t *b, uint64_t now)
{
	size_t n = 0;
	for (uint32_t i = 0; i < b->count; i++)
		n += b->e[i].until && now < b->e[i].until;
	return n;
}
