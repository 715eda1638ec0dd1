/* worker.c - see worker.h. */
#include "config.h"
#include "media/worker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "media/xticker.h"

static void on_queue(evutil_socket_t fd, short what, void *arg)
{
	struct mworker *w = arg;
	tq_drain(w->q);
}

static void *worker_main(void *arg)
{
	struct mworker *w = arg;
	char name[16];

	snprintf(name, sizeof name, "tmedia-w%u", w->idx);
	pthread_setname_np(pthread_self(), name);
	event_base_dispatch(w->base);
	return NULL;
}

static void do_stop(void *arg)
{
	struct mworker *w = arg;
	event_base_loopbreak(w->base);
}

uint64_t mworker_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void worker_free(struct mworker *w)
{
	if (w->qev)
		event_free(w->qev);
	tq_free(w->q);          /* drop callbacks may still leave the ticker */
	xticker_free(w->xt);
	if (w->base)
		event_base_free(w->base);
	free(w);
}

int mworker_start(unsigned idx, struct mworker **out)
{
	int rc = -ENOMEM;
	struct mworker *w = calloc(1, sizeof *w);
	struct event_config *cfg = event_config_new();

	*out = NULL;
	if (!w || !cfg)
		goto fail;
	w->idx = idx;
	/* The base is touched by its own thread only: no libevent locking. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	w->base = event_base_new_with_config(cfg);
	w->q = tq_new();
	if (!w->base || !w->q)
		goto fail;
	w->qev = event_new(w->base, tq_fd(w->q), EV_READ | EV_PERSIST, on_queue, w);
	if (!w->qev || event_add(w->qev, NULL) < 0 || xticker_new(w->base, &w->xt) < 0)
		goto fail;
	w->now_ms = mworker_clock_ms();
	for (int i = 0; i < MW_BATCH; i++) {
		w->riov[i].iov_base = w->buf[i];
		w->riov[i].iov_len = MW_BUFSZ;
		w->rmsg[i].msg_hdr.msg_name = &w->rname[i];
		w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
		w->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	int e = pthread_create(&w->thread, NULL, worker_main, w);
	if (e) {
		rc = -e;
		goto fail;
	}
	event_config_free(cfg);
	*out = w;
	return 0;
fail:
	LOG_ERR("media: cannot start worker %u: %s", idx, rc == -ENOMEM ? "out of memory" : "thread");
	if (cfg)
		event_config_free(cfg);
	if (w)
		worker_free(w);
	return rc;
}

void mworker_stop(struct mworker *w)
{
	if (!w)
		return;
	/* The stop message must get through, or the thread would outlive w. */
	while (mworker_post(w, do_stop, NULL, w) < 0)
		usleep(1000);
	pthread_join(w->thread, NULL);
	worker_free(w);
}

int mworker_post(struct mworker *w, tq_fn fn, tq_fn drop, void *arg)
{
	return tq_post(w->q, fn, drop, arg);
}
