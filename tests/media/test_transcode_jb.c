/* test_transcode_jb.c - the jitter buffer at the edges of its arithmetic:
 * sequence numbers across 65535 -> 0 (in order, reordered, with a loss on
 * the wrap), timestamps across 2^32, both at once, and clock skew between
 * sender and player (1 % fast: latency stays bounded by dropping a packet
 * now and then; 1 % slow: single underruns, nothing lost). The basic cases
 * (reorder, duplicates, late, gaps, resync) are in test_transcode_units.c. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/jitter.h"
#include "test_transcode.h"

static struct jbuf *jb_new(void)
{
	struct jbuf *jb = calloc(1, sizeof *jb);
	ck_assert_ptr_nonnull(jb);
	jb_init(jb, 8000, 20);
	return jb;
}

/* Packet k of a stream starting at seq0 / ts0, arriving at at_us. */
static void put_k(struct jbuf *jb, uint16_t seq0, uint32_t ts0, unsigned k, uint64_t at_us)
{
	uint8_t pl[4] = { (uint8_t)k, (uint8_t)(k >> 8), 0, 0 };
	jb_put(jb, 0xfeed, (uint16_t)(seq0 + k), ts0 + 160u * k, pl, sizeof pl, at_us);
}

/* Pop one; returns the packet's k (from its payload), -1 lost, -2 gap,
 * -3 empty. */
static int pop_k(struct jbuf *jb)
{
	const struct jb_pkt *p;
	uint32_t ticks;
	enum jb_res r = jb_pop(jb, &p, &ticks);
	if (r == JB_PACKET) {
		jb_duration(jb, 160);
		return p->data[0] | p->data[1] << 8;
	}
	return r == JB_LOST ? -1 : r == JB_GAP ? -2 : -3;
}

/* 'n' packets from (seq0, ts0), delivered in 'order' (NULL: in order),
 * except those in 'lost'; everything plays in sequence, losses as losses. */
static void run_order(uint16_t seq0, uint32_t ts0, unsigned n, const unsigned *order,
		      int lost)
{
	struct jbuf *jb = jb_new();

	for (unsigned i = 0; i < n; i++) {
		unsigned k = order ? order[i] : i;
		if ((int)k != lost)
			put_k(jb, seq0, ts0, k, 20000u * (i + 1));
	}
	ck_assert(jb_period(jb));
	for (unsigned k = 0; k < n; k++)
		ck_assert_int_eq(pop_k(jb), (int)k == lost ? -1 : (int)k);
	ck_assert_int_eq(pop_k(jb), -3);
	ck_assert_uint_eq(jb->st.resync, 0);
	ck_assert_uint_eq(jb->st.late, 0);
	ck_assert_uint_eq(jb->st.lost, lost >= 0);
	ck_assert_uint_eq(jb->st.played, n - (lost >= 0));
	free(jb);
}

START_TEST(jb_seq_wrap)
{
	static const unsigned swapped[] = { 0, 1, 2, 3, 4, 6, 5, 7, 8, 9, 10, 11 };
	run_order(65530, 1000, 12, NULL, -1);           /* 65530..65535, 0..5 */
	run_order(65530, 1000, 12, swapped, -1);        /* 65535 after 0 */
	run_order(65530, 1000, 12, NULL, 6);            /* seq 0 lost */
	run_order(65535, 1000, 12, NULL, 1);            /* 65535 plays, 0 lost */
}
END_TEST

START_TEST(jb_ts_wrap)
{
	static const unsigned swapped[] = { 0, 1, 3, 2, 4, 5, 6, 7 };
	run_order(100, 0xfffffc00u, 8, NULL, -1);       /* 2^32 between k 6 and 7 */
	run_order(100, 0xfffffe00u, 8, swapped, -1);
	run_order(100, 0xffffff00u, 8, NULL, 2);
	/* Both wrap at once, a loss between. */
	run_order(65533, 0xfffffd00u, 10, NULL, 3);
	/* A gap across the wrap plays as a gap of its length. */
	struct jbuf *jb = jb_new();
	uint8_t pl[4] = { 0 };
	const struct jb_pkt *p;
	uint32_t ticks;
	jb_put(jb, 9, 65535, 0xffffff60u, pl, 4, 20000);
	jb_put(jb, 9, 0, 0xffffff60u + 160 + 800, pl, 4, 140000);
	ck_assert(jb_period(jb));
	ck_assert_int_eq(jb_pop(jb, &p, &ticks), JB_PACKET);
	jb_duration(jb, 160);
	ck_assert_int_eq(jb_pop(jb, &p, &ticks), JB_GAP);
	ck_assert_uint_eq(ticks, 800);
	jb_skip(jb, 800);
	ck_assert_int_eq(jb_pop(jb, &p, &ticks), JB_PACKET);
	ck_assert_uint_eq(p->seq, 0);
	free(jb);
}
END_TEST

/* 60 s of a sender whose clock runs 'ppm' fast (> 0) or slow against the
 * player's 20 ms periods, starting near both wraps. */
struct skew_res {
	unsigned sent, played, lost, underruns, dropped;
	uint32_t depth_end, target_end;
};

static void run_skew(int ppm, struct skew_res *r)
{
	struct jbuf *jb = jb_new();
	double ival_us = 20000.0 * 1e6 / (1e6 + ppm);   /* the sender's 20 ms, in our time */
	unsigned k = 0;

	memset(r, 0, sizeof *r);
	for (unsigned period = 1; period <= 3000; period++) {
		uint64_t now = 20000ull * period + 5000;
		while ((uint64_t)(ival_us * (k + 1)) <= now) {
			put_k(jb, 65000, 0xfff00000u, k, (uint64_t)(ival_us * (k + 1)));
			k++;
		}
		if (!jb_period(jb))
			continue;
		int got = pop_k(jb);
		r->played += got >= 0;
		r->lost += got == -1;
	}
	r->sent = k;
	r->underruns = (unsigned)jb->st.underruns;
	r->dropped = (unsigned)jb->st.dropped;
	r->depth_end = jb_depth(jb);
	r->target_end = jb_target(jb);
	ck_assert_uint_eq(jb->st.resync, 0);
	free(jb);
	fprintf(stderr, "skew %+d ppm: sent %u, played %u, dropped %u, underruns %u, lost %u, "
		"depth at the end %u ticks (target %u)\n", ppm, r->sent, r->played, r->dropped,
		r->underruns, r->lost, r->depth_end, r->target_end);
}

START_TEST(jb_clock_skew)
{
	struct skew_res r;

	/* 1 % fast: 30 packets too many over 60 s. The buffer does not grow
	 * with them: about one is dropped each time a second had more than
	 * target + a period buffered, nothing is lost, nothing runs dry. */
	run_skew(10000, &r);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.underruns, 0);
	ck_assert_msg(r.dropped >= 20 && r.dropped <= 40, "dropped %u of %u", r.dropped, r.sent);
	ck_assert_msg(r.depth_end <= r.target_end + 2 * 160, "depth %u, target %u", r.depth_end,
		      r.target_end);
	ck_assert_uint_eq(r.played + r.dropped + r.depth_end / 160, r.sent);
	/* 1 % slow: 30 packets too few. Each shortfall is one underrun (the
	 * receiver conceals 20 ms); every packet still plays. */
	run_skew(-10000, &r);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.dropped, 0);
	ck_assert_msg(r.underruns >= 20 && r.underruns <= 40, "underruns %u", r.underruns);
	ck_assert_msg(r.played + 2 >= r.sent, "played %u of %u", r.played, r.sent);
}
END_TEST

TCase *tt_jb_tcase(void)
{
	TCase *tc = tcase_create("jitter");
	tcase_set_tags(tc, "stream");   /* run as media/stream (tests/TESTS) */
	tcase_add_test(tc, jb_seq_wrap);
	tcase_add_test(tc, jb_ts_wrap);
	tcase_add_test(tc, jb_clock_skew);
	return tc;
}
