/* xticker.c - see xticker.h. */
#include "config.h"
#include "media/xticker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <time.h>

struct xticker {
	struct event *ev;
	uint64_t epoch;             /* turn n is due at epoch + n * XT_SLOT_US */
	uint64_t next_n;            /* the first turn not run yet */
	bool running;               /* inside on_timer: it re-arms at the end */
	unsigned total;
	unsigned count[XT_SLOTS];
	struct xt_entry *first[XT_SLOTS];
	struct xt_entry *cursor;    /* the entry on_timer runs next (del moves it on) */
};

uint64_t xticker_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The last turn due at 'now'. */
static uint64_t turn_at(const struct xticker *t, uint64_t now)
{
	return (now - t->epoch) / XT_SLOT_US;
}

/* Arm the timer for the next turn whose slot has sessions; none: disarm.
 * 'idle': the ticker had no session, the turns passed meanwhile are not
 * owed (otherwise they are: on_timer runs them, late, rather than let a
 * session miss its period). */
static void arm(struct xticker *t, bool idle)
{
	uint64_t now = xticker_now_us();

	event_del(t->ev);
	if (!t->total)
		return;
	if (idle && t->next_n <= turn_at(t, now))
		t->next_n = turn_at(t, now) + 1;
	uint64_t m = t->next_n;
	while (!t->count[m % XT_SLOTS])
		m++;
	uint64_t at = t->epoch + m * XT_SLOT_US;
	uint64_t d = at > now ? at - now : 0;
	struct timeval tv = { (time_t)(d / 1000000u), (suseconds_t)(d % 1000000u) };
	event_add(t->ev, &tv);
}

static void run_slot(struct xticker *t, unsigned slot, uint64_t now)
{
	for (struct xt_entry *e = t->first[slot]; e; e = t->cursor) {
		t->cursor = e->next;
		e->fn(e->arg, now);
	}
	t->cursor = NULL;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct xticker *t = arg;
	uint64_t now = xticker_now_us(), last = turn_at(t, now);

	(void)fd;
	(void)what;
	/* Late by more than a period: every slot once, not every turn missed. */
	if (last >= t->next_n + XT_SLOTS)
		t->next_n = last - XT_SLOTS + 1;
	t->running = true;
	for (; t->next_n <= last; t->next_n++)
		run_slot(t, (unsigned)(t->next_n % XT_SLOTS), now);
	t->running = false;
	arm(t, false);
}

int xticker_new(struct event_base *base, struct xticker **out)
{
	struct xticker *t = calloc(1, sizeof *t);

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->ev = evtimer_new(base, on_timer, t);
	if (!t->ev) {
		free(t);
		return -ENOMEM;
	}
	t->epoch = xticker_now_us();
	t->next_n = 1;
	*out = t;
	return 0;
}

void xticker_free(struct xticker *t)
{
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

int xticker_add(struct xticker *t, struct xt_entry *e, uint64_t *first_us)
{
	unsigned slot = 0;

	if (e->on)
		xticker_del(t, e);
	for (unsigned i = 1; i < XT_SLOTS; i++)
		if (t->count[i] < t->count[slot])
			slot = i;
	e->prev = NULL;
	e->next = t->first[slot];
	if (e->next)
		e->next->prev = e;
	t->first[slot] = e;
	e->slot = slot;
	e->on = true;
	t->count[slot]++;
	if (!t->running)
		arm(t, t->total++ == 0);
	else
		t->total++;
	/* The slot's next turn: not before next_n (the turns before it have
	 * run, or are running now and this slot's came before). */
	uint64_t m = t->next_n;
	while (m % XT_SLOTS != slot)
		m++;
	*first_us = t->epoch + m * XT_SLOT_US;
	return event_pending(t->ev, EV_TIMEOUT, NULL) || t->running ? 0 : -EINVAL;
}

void xticker_del(struct xticker *t, struct xt_entry *e)
{
	if (!e->on)
		return;
	if (t->cursor == e)
		t->cursor = e->next;
	if (e->prev)
		e->prev->next = e->next;
	else
		t->first[e->slot] = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->next = e->prev = NULL;
	e->on = false;
	t->count[e->slot]--;
	if (--t->total == 0 && !t->running)
		event_del(t->ev);
}

unsigned xticker_load(const struct xticker *t, unsigned slot)
{
	return slot < XT_SLOTS ? t->count[slot] : 0;
}
