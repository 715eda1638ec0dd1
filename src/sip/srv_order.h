/* srv_order.h - the order in which SRV targets are tried (RFC 2782): lowest
 * priority first; within one priority, a weighted random order (a target's
 * chance to come next is its weight over the weights left; weight 0 targets
 * get a small chance, as the RFC says, by being placed first in the list).
 * Pure: the random numbers come from the caller.
 */
#ifndef TANDEM_SIP_SRV_ORDER_H
#define TANDEM_SIP_SRV_ORDER_H

#include <stddef.h>
#include <stdint.h>

struct srv_rr {
	uint16_t priority, weight, port;
	char target[256];
};

/* Reorder v[0..n) in place. rnd() returns a uniform random 32-bit value. */
void srv_order(struct srv_rr *v, size_t n, uint32_t (*rnd)(void *arg), void *arg);

#endif
