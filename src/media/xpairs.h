/* xpairs.h - how many media sessions transcode each codec pair (leg A's
 * codec, leg B's), for /metrics (media_core_xpairs in media.h).
 *
 * Counted on owner threads when a session's media plan changes (after each
 * completed offer/answer, session.c) and when the session is destroyed:
 * never on the packet path. A mutex guards the table, taken a few times per
 * call by owner threads and once per scrape by the metrics collector.
 *
 * A pair once seen stays listed (at 0 when no session uses it), so a graph
 * falls to 0 instead of stopping. The table holds XPAIRS_MAX pairs; past
 * that, sessions count under codec_a = codec_b = "other".
 *
 * Lives inside the media core (xpairs_init/xpairs_fini with it).
 */
#ifndef TANDEM_MEDIA_XPAIRS_H
#define TANDEM_MEDIA_XPAIRS_H

#include <pthread.h>
#include <stddef.h>

#include "media/media.h"

#define XPAIRS_MAX 64

struct xpairs {
	pthread_mutex_t lock;
	size_t n;
	struct media_xpair p[XPAIRS_MAX];
};

void xpairs_init(struct xpairs *t);
void xpairs_fini(struct xpairs *t);

/* Move one session from the pair it is counted under ('cur', -1: none) to
 * (a, b) (a NULL: to none). Returns the index it is counted under now (keep
 * it for the next call), or -1. */
int xpairs_set(struct xpairs *t, int cur, const char *a, const char *b);

/* Copy up to 'max' pairs into out; returns how many. */
size_t xpairs_snapshot(struct xpairs *t, struct media_xpair *out, size_t max);

#endif
