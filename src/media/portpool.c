/* portpool.c - see portpool.h. A bitmap of pairs under one mutex; sockets are
 * bound outside the lock (the pair is reserved first). */
#include "config.h"
#include "media/portpool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define DSCP_EF_TOS 0xb8
#define WARN_INTERVAL_S 10
#define PENDING_WAIT_MS 200

struct mpool {
	pthread_mutex_t lock;
	pthread_cond_t released;
	char *name, *advertise;
	struct sockaddr_storage bind;
	socklen_t bind_len;
	uint16_t min;               /* even */
	unsigned npairs, used, cursor, pending;
	uint8_t *map;               /* 1 bit per pair */
	time_t last_warn;
};

static bool map_get(const struct mpool *p, unsigned i) { return p->map[i / 8] & (1u << (i % 8)); }
static void map_set(struct mpool *p, unsigned i) { p->map[i / 8] |= (uint8_t)(1u << (i % 8)); }
static void map_clr(struct mpool *p, unsigned i) { p->map[i / 8] &= (uint8_t)~(1u << (i % 8)); }

static int parse_bind(struct mpool *p, const char *addr)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&p->bind;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->bind;

	memset(&p->bind, 0, sizeof p->bind);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		p->bind_len = sizeof *s4;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		p->bind_len = sizeof *s6;
		return 0;
	}
	return -EINVAL;
}

int mpool_new(const char *name, const char *bind_addr, const char *advertise,
	      uint16_t min, uint16_t max, struct mpool **out)
{
	int rc = -ENOMEM;
	struct mpool *p = calloc(1, sizeof *p);

	*out = NULL;
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->released, NULL);
	if (!bind_addr || parse_bind(p, bind_addr) < 0) {
		rc = -EINVAL;
		goto fail;
	}
	p->min = (uint16_t)((min + 1u) & ~1u);
	if (p->min == 0 || max < p->min + 1u) {
		rc = -EINVAL;
		goto fail;
	}
	p->npairs = (unsigned)(max - p->min + 1) / 2;
	p->name = strdup(name ? name : "");
	p->advertise = strdup(advertise && *advertise ? advertise : bind_addr);
	p->map = calloc((p->npairs + 7) / 8, 1);
	if (!p->name || !p->advertise || !p->map)
		goto fail;
	*out = p;
	return 0;
fail:
	mpool_free(p);
	return rc;
}

void mpool_free(struct mpool *p)
{
	if (!p)
		return;
	if (p->used)
		LOG_ERR("media: port pool '%s' freed with %u pairs in use", p->name, p->used);
	pthread_cond_destroy(&p->released);
	pthread_mutex_destroy(&p->lock);
	free(p->name);
	free(p->advertise);
	free(p->map);
	free(p);
}

static int bind_one(const struct mpool *p, uint16_t port)
{
	struct sockaddr_storage sa = p->bind;
	int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
	int tos = DSCP_EF_TOS;
	if (sa.ss_family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
	else
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
	if (bind(fd, (struct sockaddr *)&sa, p->bind_len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Reserve the next free pair from the cursor; -1 when none. Lock held. */
static int reserve(struct mpool *p)
{
	for (unsigned n = 0; n < p->npairs; n++) {
		unsigned i = (p->cursor + n) % p->npairs;
		if (!map_get(p, i)) {
			map_set(p, i);
			p->used++;
			p->cursor = (i + 1) % p->npairs;
			return (int)i;
		}
	}
	return -1;
}

static void unreserve(struct mpool *p, unsigned i)
{
	pthread_mutex_lock(&p->lock);
	map_clr(p, i);
	p->used--;
	pthread_mutex_unlock(&p->lock);
}

/* Lock held. A pool that is full only because releases are in flight waits
 * for them (bounded), so destroy-then-create does not fail spuriously. */
static int reserve_or_wait(struct mpool *p)
{
	int i = reserve(p);
	if (i >= 0 || !p->pending)
		return i;
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += PENDING_WAIT_MS * 1000000L;
	dl.tv_sec += dl.tv_nsec / 1000000000L;
	dl.tv_nsec %= 1000000000L;
	while (i < 0 && p->pending) {
		if (pthread_cond_timedwait(&p->released, &p->lock, &dl) == ETIMEDOUT)
			break;
		i = reserve(p);
	}
	return i;
}

int mpool_alloc(struct mpool *p, uint16_t *port, int *fd_rtp, int *fd_rtcp)
{
	for (unsigned tries = 0; tries < p->npairs; tries++) {
		pthread_mutex_lock(&p->lock);
		int i = reserve_or_wait(p);
		pthread_mutex_unlock(&p->lock);
		if (i < 0)
			break;
		uint16_t rtp = (uint16_t)(p->min + 2 * (unsigned)i);
		int a = bind_one(p, rtp);
		int b = a >= 0 ? bind_one(p, (uint16_t)(rtp + 1)) : 0;
		if (a >= 0 && b >= 0) {
			*port = rtp;
			*fd_rtp = a;
			*fd_rtcp = b;
			return 0;
		}
		if (a >= 0)
			close(a);
		unreserve(p, (unsigned)i);
		if (a != -EADDRINUSE && b != -EADDRINUSE && a != -EACCES && b != -EACCES)
			return a < 0 ? a : b;   /* EMFILE, ENOBUFS...: no point trying on */
	}
	pthread_mutex_lock(&p->lock);
	time_t now = time(NULL);
	bool warn = now - p->last_warn >= WARN_INTERVAL_S;
	if (warn)
		p->last_warn = now;
	unsigned used = p->used;
	pthread_mutex_unlock(&p->lock);
	if (warn)
		LOG_WARN("media: RTP port pool of interface '%s' exhausted (%u of %u pairs in use)",
			 p->name, used, p->npairs);
	return -ENOSPC;
}

void mpool_release_pending(struct mpool *p)
{
	pthread_mutex_lock(&p->lock);
	p->pending++;
	pthread_mutex_unlock(&p->lock);
}

void mpool_release(struct mpool *p, uint16_t port, int pending)
{
	unsigned i = (unsigned)(port - p->min) / 2;
	pthread_mutex_lock(&p->lock);
	if (i < p->npairs && map_get(p, i)) {
		map_clr(p, i);
		p->used--;
	}
	if (pending && p->pending)
		p->pending--;
	pthread_cond_broadcast(&p->released);
	pthread_mutex_unlock(&p->lock);
}

void mpool_counts(struct mpool *p, unsigned *ports_in_use, unsigned *ports_total)
{
	pthread_mutex_lock(&p->lock);
	*ports_in_use = p->used * 2;
	*ports_total = p->npairs * 2;
	pthread_mutex_unlock(&p->lock);
}

const char *mpool_name(const struct mpool *p) { return p->name; }
const char *mpool_advertise(const struct mpool *p) { return p->advertise; }
int mpool_family(const struct mpool *p) { return p->bind.ss_family; }
