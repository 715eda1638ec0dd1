/* xpairs.c - see xpairs.h. */
#include "config.h"
#include "media/xpairs.h"

#include <stdio.h>
#include <string.h>

void xpairs_init(struct xpairs *t)
{
	memset(t, 0, sizeof *t);
	pthread_mutex_init(&t->lock, NULL);
}

void xpairs_fini(struct xpairs *t)
{
	pthread_mutex_destroy(&t->lock);
}

static int find(struct xpairs *t, const char *a, const char *b)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->p[i].codec_a, a) && !strcmp(t->p[i].codec_b, b))
			return (int)i;
	return -1;
}

/* The pair's index, added when new; "other" when the table is full. */
static int lookup(struct xpairs *t, const char *a, const char *b)
{
	int i = find(t, a, b);
	if (i >= 0)
		return i;
	if (t->n == XPAIRS_MAX - 1 || t->n == XPAIRS_MAX) {
		a = b = "other";
		if ((i = find(t, a, b)) >= 0)
			return i;
	}
	struct media_xpair *p = &t->p[t->n];
	snprintf(p->codec_a, sizeof p->codec_a, "%s", a);
	snprintf(p->codec_b, sizeof p->codec_b, "%s", b);
	p->sessions = 0;
	return (int)t->n++;
}

int xpairs_set(struct xpairs *t, int cur, const char *a, const char *b)
{
	int next = -1;
	pthread_mutex_lock(&t->lock);
	if (a && b)
		next = lookup(t, a, b);
	if (next != cur) {
		if (cur >= 0 && (size_t)cur < t->n && t->p[cur].sessions)
			t->p[cur].sessions--;
		if (next >= 0)
			t->p[next].sessions++;
	}
	pthread_mutex_unlock(&t->lock);
	return next;
}

size_t xpairs_snapshot(struct xpairs *t, struct media_xpair *out, size_t max)
{
	pthread_mutex_lock(&t->lock);
	size_t n = t->n < max ? t->n : max;
	memcpy(out, t->p, n * sizeof *out);
	pthread_mutex_unlock(&t->lock);
	return n;
}
