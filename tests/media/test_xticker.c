/* test_xticker - the worker's shared 20 ms clock (src/media/xticker.h):
 * sessions spread evenly over the slots, each runs once per period at its
 * slot's phase, turns missed by a stalled loop run once (not once per
 * period missed), a session may leave from inside a turn, an idle ticker
 * leaves the loop with nothing to do. */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

#include "media/xticker.h"

#define N 25

struct sess {
	struct xt_entry e;
	struct xticker *t;
	unsigned turns;
	uint64_t first_us, last_us, min_gap, max_gap;
	bool leave_at_3;
};

static void on_turn(void *arg, uint64_t now)
{
	struct sess *s = arg;

	if (s->turns) {
		uint64_t gap = now - s->last_us;
		if (gap < s->min_gap)
			s->min_gap = gap;
		if (gap > s->max_gap)
			s->max_gap = gap;
	}
	s->last_us = now;
	if (++s->turns == 3 && s->leave_at_3)
		xticker_del(s->t, &s->e);
}

static void stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static void run_ms(struct event_base *b, unsigned ms)
{
	struct timeval tv = { 0, (suseconds_t)ms * 1000 };
	struct event *ev = evtimer_new(b, stop, b);
	evtimer_add(ev, &tv);
	event_base_dispatch(b);
	event_free(ev);
}

START_TEST(spreads_and_keeps_period)
{
	struct event_base *b = event_base_new();
	struct xticker *t;
	static struct sess s[N];

	ck_assert_int_eq(xticker_new(b, &t), 0);
	for (int i = 0; i < N; i++) {
		s[i] = (struct sess){ .e.fn = on_turn, .e.arg = &s[i], .t = t, .min_gap = UINT64_MAX };
		ck_assert_int_eq(xticker_add(t, &s[i].e, &s[i].first_us), 0);
	}
	s[7].leave_at_3 = true;
	/* 25 sessions on 10 slots: 2 or 3 each. */
	for (unsigned k = 0; k < XT_SLOTS; k++) {
		ck_assert_uint_ge(xticker_load(t, k), N / XT_SLOTS);
		ck_assert_uint_le(xticker_load(t, k), N / XT_SLOTS + 1);
	}
	/* Phases differ by slot: first turns spread over one period. */
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < N; i++) {
		lo = s[i].first_us < lo ? s[i].first_us : lo;
		hi = s[i].first_us > hi ? s[i].first_us : hi;
	}
	ck_assert_uint_eq(hi - lo, (XT_SLOTS - 1) * XT_SLOT_US);

	run_ms(b, 205);
	for (int i = 0; i < N; i++) {
		if (i == 7) {
			ck_assert_uint_eq(s[i].turns, 3);   /* left inside its turn */
			ck_assert(!s[i].e.on);
			continue;
		}
		/* 10 periods, give or take one at either end of the run. */
		ck_assert_uint_ge(s[i].turns, 9);
		ck_assert_uint_le(s[i].turns, 11);
		/* Once a period: never two turns in one (gap ~0); a turn
		 * run late and the next on time are less than 20 ms apart,
		 * hence the margins for a loaded machine. */
		ck_assert_uint_ge(s[i].min_gap, XT_PERIOD_US / 2);
		ck_assert_uint_le(s[i].max_gap, 3 * XT_PERIOD_US);
	}

	/* A loop stalled for 5 periods: each session runs once when it
	 * resumes, not five times (plus the turns that fall due while the
	 * loop then runs: 1 ms, longer on a loaded machine). */
	unsigned before[N], extra = 0;
	for (int i = 0; i < N; i++)
		before[i] = s[i].turns;
	usleep(5 * XT_PERIOD_US);
	uint64_t t0 = xticker_now_us();
	run_ms(b, 1);
	uint64_t ran = xticker_now_us() - t0;
	unsigned more = (unsigned)(ran / XT_PERIOD_US) + 1;     /* turns a session may add */
	for (int i = 0; i < N; i++) {
		if (i == 7)
			continue;
		ck_assert_uint_ge(s[i].turns - before[i], 1);
		ck_assert_uint_le(s[i].turns - before[i], 1 + more);
		extra += s[i].turns - before[i] - 1;
	}
	ck_assert_uint_le(extra, (unsigned)(ran / XT_SLOT_US + 1) * (N / XT_SLOTS + 1));
	ck_assert_uint_lt(extra, 4 * (N - 1));  /* replaying the stall would be 4 more each */

	for (int i = 0; i < N; i++)
		xticker_del(t, &s[i].e);
	/* Nothing left: the loop has no event and returns at once. */
	ck_assert_int_eq(event_base_loop(b, EVLOOP_NONBLOCK), 1);
	xticker_free(t);
	event_base_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("xticker");
	TCase *tc = tcase_create("ticker");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, spreads_and_keeps_period);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
