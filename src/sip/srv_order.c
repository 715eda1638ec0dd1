/* srv_order.c - see srv_order.h. */
#include "config.h"
#include "sip/srv_order.h"

#include <stdlib.h>
#include <string.h>

static int by_priority(const void *a, const void *b)
{
	const struct srv_rr *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	/* weight 0 first (RFC 2782), then keep the order stable enough */
	return (x->weight != 0) - (y->weight != 0);
}

/* One priority group v[0..n): pick by running sums of the weights left. */
static void order_group(struct srv_rr *v, size_t n, uint32_t (*rnd)(void *), void *arg)
{
	for (size_t done = 0; done + 1 < n; done++) {
		uint32_t sum = 0;
		for (size_t i = done; i < n; i++)
			sum += v[i].weight;
		uint32_t pick = sum ? rnd(arg) % (sum + 1) : 0;
		size_t chosen = done;
		uint32_t run = 0;
		for (size_t i = done; i < n; i++) {
			run += v[i].weight;
			if (run >= pick) {
				chosen = i;
				break;
			}
		}
		if (chosen != done) {   /* keep the others in order (weight 0 first) */
			struct srv_rr tmp = v[chosen];
			memmove(&v[done + 1], &v[done], (chosen - done) * sizeof *v);
			v[done] = tmp;
		}
	}
}

void srv_order(struct srv_rr *v, size_t n, uint32_t (*rnd)(void *arg), void *arg)
{
	if (n < 2)
		return;
	qsort(v, n, sizeof *v, by_priority);
	for (size_t start = 0; start < n;) {
		size_t end = start + 1;
		while (end < n && v[end].priority == v[start].priority)
			end++;
		order_group(v + start, end - start, rnd, arg);
		start = end;
	}
}
