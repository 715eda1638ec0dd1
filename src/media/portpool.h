/* portpool.h - RTP port pool of one interface.
 *
 * Hands out even RTP ports in [min, max] with RTCP on port+1, both sockets
 * bound (UDP, non-blocking, close-on-exec, DSCP EF). A pair that someone else
 * already uses is skipped. Allocation walks a cursor round the range, so a
 * freed pair is not reused at once (late packets of the old call do not land
 * in the new one).
 *
 * Threads: every call is thread-safe (one mutex); control path only. Ports are
 * allocated on the owner thread and released on a worker thread after the
 * sockets are closed. A release announced with mpool_release_pending() but
 * not yet done makes an allocation that finds the pool full wait briefly for
 * it instead of failing: "destroy, then create" never sees -ENOSPC.
 *
 * Ownership: the pool copies its strings; mpool_free() requires that no pair
 * is in use.
 */
#ifndef TANDEM_MEDIA_PORTPOOL_H
#define TANDEM_MEDIA_PORTPOOL_H

#include <stdint.h>
#include <sys/socket.h>

struct mpool;

/* 'bind_addr' IPv4/IPv6 literal; 'advertise' (NULL: bind_addr) goes into SDP.
 * min is rounded up to even; -EINVAL for a bad address or empty range. */
int mpool_new(const char *name, const char *bind_addr, const char *advertise,
	      uint16_t min, uint16_t max, struct mpool **out);
void mpool_free(struct mpool *p);

/* Bind an RTP/RTCP pair. Returns 0 with *port (RTP) and both fds, -ENOSPC
 * when every pair is taken (a warning is logged at most every 10 s), or
 * another negative errno. */
int mpool_alloc(struct mpool *p, uint16_t *port, int *fd_rtp, int *fd_rtcp);
/* Announce that the pair of 'port' will be released soon (owner thread). */
void mpool_release_pending(struct mpool *p);
/* Give back a pair whose sockets are closed; 'pending' says whether it was
 * announced with mpool_release_pending(). */
void mpool_release(struct mpool *p, uint16_t port, int pending);

void mpool_counts(struct mpool *p, unsigned *ports_in_use, unsigned *ports_total);
const char *mpool_name(const struct mpool *p);
const char *mpool_advertise(const struct mpool *p);
int mpool_family(const struct mpool *p);      /* AF_INET or AF_INET6 */

#endif
