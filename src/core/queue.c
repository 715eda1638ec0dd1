/* queue.c - see queue.h. A mutex-protected singly linked list: the lock is held
 * only to splice nodes, never while a message runs. */
#include "config.h"
#include "core/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct tq_node {
	struct tq_node *next;
	tq_fn fn, drop;
	void *arg;
};

struct tq {
	pthread_mutex_t lock;
	struct tq_node *head, *tail;
	int efd;
};

tq_t *tq_new(void)
{
	tq_t *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void tq_free(tq_t *q)
{
	if (!q)
		return;
	struct tq_node *n = q->head;
	while (n) {
		struct tq_node *next = n->next;
		if (n->drop)
			n->drop(n->arg);
		free(n);
		n = next;
	}
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int tq_fd(const tq_t *q) { return q->efd; }

int tq_post(tq_t *q, tq_fn fn, tq_fn drop, void *arg)
{
	struct tq_node *n = malloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	n->next = NULL;
	n->fn = fn;
	n->drop = drop;
	n->arg = arg;
	pthread_mutex_lock(&q->lock);
	int was_empty = q->head == NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	pthread_mutex_unlock(&q->lock);
	if (was_empty) {
		uint64_t one = 1;
		ssize_t w = write(q->efd, &one, sizeof one);
		(void)w;
	}
	return 0;
}

void tq_drain(tq_t *q)
{
	uint64_t v;
	ssize_t r = read(q->efd, &v, sizeof v);
	(void)r;
	pthread_mutex_lock(&q->lock);
	struct tq_node *n = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	while (n) {
		struct tq_node *next = n->next;
		n->fn(n->arg);
		free(n);
		n = next;
	}
}
