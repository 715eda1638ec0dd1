/* worker.h - one media worker thread: a libevent base, a command queue
 * registered with it, and the packet-path scratch buffers shared by every
 * session the worker owns (the worker runs one callback at a time, so one set
 * is enough and the packet path never allocates).
 *
 * Threads: mworker_start/stop/post and the load counter are for the control
 * side (any thread); everything else in the struct belongs to the worker
 * thread. Counters written by the worker are single-writer atomics read by
 * anyone (media_core_stats).
 *
 * Ownership: the core owns its workers; mworker_stop() joins the thread and
 * frees the worker; messages still queued are dropped through their drop
 * callbacks.
 */
#ifndef TANDEM_MEDIA_WORKER_H
#define TANDEM_MEDIA_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/queue.h"
#include "media/netaddr.h"

#define MW_BATCH 16                 /* packets per recvmmsg/sendmmsg */
#define MW_BUFSZ 2048               /* larger datagrams are dropped (MSG_TRUNC) */

struct event_base;
struct event;
struct xticker;

struct mworker {
	unsigned idx;
	pthread_t thread;
	struct event_base *base;
	tq_t *q;
	struct event *qev;
	struct xticker *xt;         /* 20 ms period clock of transcoded sessions (xticker.h) */
	atomic_uint load;           /* sessions pinned here (control side) */

	/* Written by the worker only. */
	_Atomic uint64_t pkts_out, bytes_out, dropped;

	/* Packet path scratch: worker thread only. */
	uint64_t now_ms;            /* monotonic ms, refreshed per batch */
	struct mmsghdr rmsg[MW_BATCH], smsg[MW_BATCH];
	struct iovec riov[MW_BATCH], siov[MW_BATCH];
	na_addr_t rname[MW_BATCH];
	uint8_t buf[MW_BATCH][MW_BUFSZ];
};

int mworker_start(unsigned idx, struct mworker **out);
void mworker_stop(struct mworker *w);
/* Run fn(arg) on the worker thread (see tq_post for 'drop'). */
int mworker_post(struct mworker *w, tq_fn fn, tq_fn drop, void *arg);

/* Monotonic milliseconds (coarse clock: cheap enough for once per batch). */
uint64_t mworker_clock_ms(void);

/* Add to a single-writer counter without a locked instruction. */
static inline void mw_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t mw_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
