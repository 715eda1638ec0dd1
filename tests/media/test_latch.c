/* test_latch.c - who may send media into a session, and how long it may stay
 * silent, through the media API with real UDP on 127.0.0.1: latching behind
 * NAT, preference for the signalled address, the latch window closing,
 * RTP-bleed protection (strangers dropped and counted), latch off, the RTP
 * timeout and the hold timeout. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/media.h"
#include "media/rtp.h"
#include "mtest.h"

#define PMIN 35000
#define PMAX 35999

static struct mt_conf g_conf;
static struct mt_owner g_owner;
static media_core_t *g_mc;

static void setup(void)
{
	mt_conf_init(&g_conf, PMIN, PMAX);
	mt_owner_init(&g_owner);
	ck_assert_int_eq(media_core_new(&g_conf.conf, 2, &g_mc), 0);
}

static void teardown(void)
{
	media_core_free(g_mc);
	g_mc = NULL;
	mt_owner_fini(&g_owner);
}

/* A sends from another port than its SDP says (NAT): B's media must reach
 * the real source. */
START_TEST(latch_nat_source)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone nat;
	uint8_t payload[160] = { 0 }, buf[2048];
	uint16_t from;

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	mt_phone_open(&nat);
	for (int i = 0; i < 5; i++) {
		mt_send_rtp(nat.rtp, c.ga, 0, (uint16_t)i, 160u * (unsigned)i, 0x1234, payload, 160);
		usleep(5000);
	}
	int i = mt_wait_event(&g_owner, MEDIA_EV_LATCHED, 0, 1000);
	ck_assert_int_ge(i, 0);
	char want[64];
	snprintf(want, sizeof want, "127.0.0.1:%u", nat.port);
	ck_assert_str_eq(g_owner.ev[i].ev.addr, want);

	int got_nat = 0;
	for (int k = 0; k < 20; k++) {
		mt_send_rtp(c.b.rtp, c.gb, 0, (uint16_t)k, 160u * (unsigned)k, 0x5678, payload, 160);
		if (mt_recv(nat.rtp, buf, sizeof buf, 100, &from) > 0 && from == c.ga)
			got_nat++;
	}
	ck_assert_int_ge(got_nat, 19);
	ck_assert_int_eq(mt_drain(c.a.rtp), 0);      /* nothing to the signalled port */
	struct media_leg_stats st[2];
	media_session_stats(c.s, st);
	ck_assert_str_eq(st[0].remote, want);
	mt_phone_close(&nat);
	mt_call_teardown(&c);
}
END_TEST

/* Inside the window a source that is not the signalled one latches first
 * (NAT), but the signalled address wins as soon as it shows up; from then on
 * the first source is a stranger. */
START_TEST(latch_prefers_signalled)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone nat;
	uint8_t payload[160] = { 0 }, buf[2048];
	char want[64];

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	mt_phone_open(&nat);
	mt_send_rtp(nat.rtp, c.ga, 0, 1, 160, 0x1, payload, 160);
	int i = mt_wait_event(&g_owner, MEDIA_EV_LATCHED, 0, 1000);
	ck_assert_int_ge(i, 0);
	snprintf(want, sizeof want, "127.0.0.1:%u", nat.port);
	ck_assert_str_eq(g_owner.ev[i].ev.addr, want);

	mt_send_rtp(c.a.rtp, c.ga, 0, 2, 320, 0x1, payload, 160);
	i = mt_wait_event(&g_owner, MEDIA_EV_SOURCE_CHANGED, 0, 1000);
	ck_assert_int_ge(i, 0);
	snprintf(want, sizeof want, "127.0.0.1:%u", c.a.port);
	ck_assert_str_eq(g_owner.ev[i].ev.addr, want);
	mt_drain(c.b.rtp);

	struct media_leg_stats before[2], after[2];
	media_session_stats(c.s, before);
	mt_send_rtp(c.b.rtp, c.gb, 0, 1, 160, 0x2, payload, 160);
	ck_assert_int_gt(mt_recv(c.a.rtp, buf, sizeof buf, 500, NULL), 0);
	ck_assert_int_eq(mt_drain(nat.rtp), 0);
	for (int k = 0; k < 10; k++)
		mt_send_rtp(nat.rtp, c.ga, 0, (uint16_t)(10 + k), 160, 0x1, payload, 160);
	usleep(100000);
	media_session_stats(c.s, after);
	ck_assert_uint_eq(after[0].dropped - before[0].dropped, 10);
	ck_assert_int_eq(mt_drain(c.b.rtp), 0);
	mt_phone_close(&nat);
	mt_call_teardown(&c);
}
END_TEST

/* After the window closes, the NAT latch stays; nobody else gets in, not
 * even the signalled address. */
START_TEST(latch_window_closes)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone nat, other;
	uint8_t payload[160] = { 0 }, buf[2048];

	mt_opts(&o, &g_conf, &g_owner);
	o.latch_window = 1;
	mt_call_setup(&c, g_mc, &o);
	mt_phone_open(&nat);
	mt_phone_open(&other);
	for (int k = 0; k < 15; k++) {
		mt_send_rtp(nat.rtp, c.ga, 0, (uint16_t)k, 160u * (unsigned)k, 0x1, payload, 160);
		usleep(100000);
	}
	ck_assert_int_ge(mt_wait_event(&g_owner, MEDIA_EV_LATCHED, 0, 100), 0);
	mt_drain(c.b.rtp);
	struct media_leg_stats before[2], after[2];
	media_session_stats(c.s, before);
	for (int k = 0; k < 5; k++) {
		mt_send_rtp(other.rtp, c.ga, 0, (uint16_t)k, 160, 0x9, payload, 160);
		mt_send_rtp(c.a.rtp, c.ga, 0, (uint16_t)k, 160, 0x8, payload, 160);
	}
	usleep(100000);
	media_session_stats(c.s, after);
	ck_assert_uint_eq(after[0].dropped - before[0].dropped, 10);
	ck_assert_int_eq(mt_drain(c.b.rtp), 0);
	mt_pump(&g_owner, 50);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_SOURCE_CHANGED, -1), 0);
	mt_send_rtp(c.b.rtp, c.gb, 0, 1, 160, 0x2, payload, 160);
	ck_assert_int_gt(mt_recv(nat.rtp, buf, sizeof buf, 500, NULL), 0);
	mt_phone_close(&nat);
	mt_phone_close(&other);
	mt_call_teardown(&c);
}
END_TEST

/* RTP bleed: after latching, packets from anyone else are dropped and
 * counted, never relayed. */
START_TEST(stranger_dropped)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone stranger;
	int at_b, at_a;

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	mt_exchange(&c, &g_owner, 20, 5, &at_b, &at_a);
	ck_assert_int_ge(at_b, 19);
	mt_phone_open(&stranger);

	struct media_leg_stats before[2], after[2];
	media_session_stats(c.s, before);
	uint8_t payload[160];
	memset(payload, 0x42, sizeof payload);
	for (int i = 0; i < 30; i++)
		mt_send_rtp(stranger.rtp, c.ga, 0, (uint16_t)i, 160u * (unsigned)i, 0xbad, payload, 160);
	usleep(200000);
	ck_assert_int_eq(mt_drain(c.b.rtp), 0);
	media_session_stats(c.s, after);
	ck_assert_uint_eq(after[0].dropped - before[0].dropped, 30);
	ck_assert_uint_eq(after[0].packets_in, before[0].packets_in);
	ck_assert_uint_eq(after[1].packets_out, before[1].packets_out);
	mt_pump(&g_owner, 50);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_SOURCE_CHANGED, -1), 0);

	/* Garbage (not RTP) is dropped as well. */
	mt_send_raw(stranger.rtp, c.ga, "hello", 5);
	mt_send_raw(c.a.rtp, c.ga, "hello", 5);
	usleep(100000);
	media_session_stats(c.s, after);
	ck_assert_uint_eq(after[0].dropped - before[0].dropped, 32);
	ck_assert_int_eq(mt_drain(c.b.rtp), 0);
	mt_phone_close(&stranger);
	mt_call_teardown(&c);
}
END_TEST

/* Latch off: send to the SDP address only, accept only from its IP. */
START_TEST(no_latch_trusts_sdp)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone other;
	uint8_t payload[160] = { 0 }, buf[2048];

	mt_opts(&o, &g_conf, &g_owner);
	o.leg[0].latch = o.leg[1].latch = false;
	mt_call_setup(&c, g_mc, &o);
	mt_phone_open(&other);
	/* From another port of the same host: accepted, but B's media still
	 * goes to the SDP address. */
	mt_send_rtp(other.rtp, c.ga, 0, 1, 160, 0x1, payload, 160);
	ck_assert_int_gt(mt_recv(c.b.rtp, buf, sizeof buf, 500, NULL), 0);
	mt_send_rtp(c.b.rtp, c.gb, 0, 1, 160, 0x2, payload, 160);
	ck_assert_int_gt(mt_recv(c.a.rtp, buf, sizeof buf, 500, NULL), 0);
	ck_assert_int_eq(mt_drain(other.rtp), 0);
	mt_pump(&g_owner, 50);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_LATCHED, -1), 0);
	mt_phone_close(&other);
	mt_call_teardown(&c);
}
END_TEST

START_TEST(timeout_event)
{
	struct media_session_opts o;
	struct mt_call c;

	mt_opts(&o, &g_conf, &g_owner);
	o.rtp_timeout = 1;
	o.hold_timeout = 3;
	uint64_t t0 = mt_now_ms();
	mt_call_setup(&c, g_mc, &o);
	int i = mt_wait_event(&g_owner, MEDIA_EV_TIMEOUT, -1, 3000);
	uint64_t dt = mt_now_ms() - t0;
	ck_assert_int_ge(i, 0);
	ck_assert_uint_ge(dt, 900);
	ck_assert_uint_le(dt, 2000);
	/* Once only. */
	mt_pump(&g_owner, 1500);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_TIMEOUT, -1), 1);
	mt_call_teardown(&c);
}
END_TEST

/* Media keeps the timeout away; when it stops the timeout fires. */
START_TEST(timeout_after_media_stops)
{
	struct media_session_opts o;
	struct mt_call c;
	int at_b, at_a;

	mt_opts(&o, &g_conf, &g_owner);
	o.rtp_timeout = 1;
	mt_call_setup(&c, g_mc, &o);
	mt_exchange(&c, &g_owner, 100, 20, &at_b, &at_a);     /* 2 s of media */
	mt_pump(&g_owner, 10);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_TIMEOUT, -1), 0);
	ck_assert_int_ge(mt_wait_event(&g_owner, MEDIA_EV_TIMEOUT, -1, 2500), 0);
	mt_call_teardown(&c);
}
END_TEST

/* A puts B on hold (sendonly): rtp_timeout (1 s) no longer applies, the
 * hold_timeout (3 s) does. */
START_TEST(hold_uses_hold_timeout)
{
	struct media_session_opts o;
	struct mt_call c;
	struct media_sdp out;

	mt_opts(&o, &g_conf, &g_owner);
	o.rtp_timeout = 1;
	o.hold_timeout = 3;
	mt_call_setup(&c, g_mc, &o);
	const char *hold = mt_sdp(c.a.port, "0 101", "sendonly", 2);
	ck_assert_int_eq(media_session_offer(c.s, MEDIA_LEG_A, hold, strlen(hold), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "a=sendonly"));
	media_sdp_clear(&out);
	const char *held = mt_sdp(c.b.port, "0 101", "recvonly", 2);
	ck_assert_int_eq(media_session_answer(c.s, MEDIA_LEG_B, held, strlen(held), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "a=recvonly"));
	media_sdp_clear(&out);
	uint64_t t0 = mt_now_ms();

	struct media_leg_stats st[2];
	media_session_stats(c.s, st);
	ck_assert(st[0].on_hold);

	mt_pump(&g_owner, 2300);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_TIMEOUT, -1), 0);
	int i = mt_wait_event(&g_owner, MEDIA_EV_TIMEOUT, -1, 3000);
	uint64_t dt = mt_now_ms() - t0;
	ck_assert_int_ge(i, 0);
	ck_assert_uint_ge(dt, 2900);
	ck_assert_uint_le(dt, 4200);
	mt_call_teardown(&c);
}
END_TEST

static Suite *latch_suite(void)
{
	Suite *s = suite_create("latch");
	TCase *tc = tcase_create("latch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, latch_nat_source);
	tcase_add_test(tc, latch_prefers_signalled);
	tcase_add_test(tc, latch_window_closes);
	tcase_add_test(tc, stranger_dropped);
	tcase_add_test(tc, no_latch_trusts_sdp);
	tcase_add_test(tc, timeout_event);
	tcase_add_test(tc, timeout_after_media_stops);
	tcase_add_test(tc, hold_uses_hold_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(latch_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
