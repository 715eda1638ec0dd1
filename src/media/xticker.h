/* xticker.h - the 20 ms period clock of a media worker, shared by all its
 * transcoded sessions.
 *
 * Why one clock per worker rather than a timer per session: with a timer
 * each, sessions set up together (a burst of calls, a restart) keep their
 * phases together for their whole life, so the worker runs hundreds of
 * encoders back to back and then idles: a frame of the last session in the
 * burst leaves 10-15 ms after the first, and a little scheduling noise on
 * top pushes frames past the receiver's jitter buffer. Here the period is
 * cut into XT_SLOTS slots of XT_SLOT_US; a session joins the slot with the
 * fewest sessions, and the worker's one timer runs one slot at a time, so
 * the encoding load is spread evenly over the period whatever the order
 * calls arrived in. It also takes 500 wakeups a second per worker at most,
 * where a timer per session took 50 per session.
 *
 * The timer is one-shot, re-armed for the next slot that has sessions (none:
 * not armed), so an idle worker does not wake up. Slot times are absolute
 * (epoch + n * XT_SLOT_US): a late firing runs every slot it passed, once.
 * What a session does with its turn, and how it catches up on periods it
 * missed, is its own business (transcode_relay.c computes its periods from
 * the phase xticker_add() gives it).
 *
 * Threads: the worker's only. Ownership: the worker owns its ticker
 * (xticker_new at start, xticker_free at stop, after every session left);
 * entries are embedded in their sessions, which must leave (xticker_del)
 * before they are freed.
 */
#ifndef TANDEM_MEDIA_XTICKER_H
#define TANDEM_MEDIA_XTICKER_H

#include <stdbool.h>
#include <stdint.h>

#define XT_PERIOD_US 20000u
#define XT_SLOTS 10
#define XT_SLOT_US (XT_PERIOD_US / XT_SLOTS)

struct event_base;
struct xticker;
struct xt_entry;

typedef void (*xt_fn)(void *arg, uint64_t now_us);

struct xt_entry {
	struct xt_entry *next, *prev;
	xt_fn fn;
	void *arg;
	unsigned slot;
	bool on;                    /* in a slot's list */
};

int xticker_new(struct event_base *base, struct xticker **out);
void xticker_free(struct xticker *t);
/* Join (e->fn, e->arg set by the caller): fn(arg, now) runs once per period, in the
 * least loaded slot. Returns the monotonic time (us) of that slot's next
 * turn; the turns after it are 20 ms apart. -ENOMEM/-EINVAL (timer) */
int xticker_add(struct xticker *t, struct xt_entry *e, uint64_t *first_us);
/* Leave; no-op when not in. */
void xticker_del(struct xticker *t, struct xt_entry *e);
/* Sessions per slot (tests, logs). */
unsigned xticker_load(const struct xticker *t, unsigned slot);
/* Monotonic microseconds (the clock slot times are in). */
uint64_t xticker_now_us(void);

#endif
