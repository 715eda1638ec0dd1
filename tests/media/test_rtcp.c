/* test_rtcp.c - RTCP reports and reception statistics: the RFC 3550 jitter
 * estimator against a sequence computed by hand, loss counting across a
 * sequence-number wrap, restarts and SSRC changes, SR/RR build and parse
 * round trips, round trip from LSR/DLSR, the report interval, and the
 * E-model estimate (monotone in loss and delay, ordered by codec). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/rtpstats.h"

static void put(struct rtpstats_rx *st, uint16_t seq, uint32_t ts, uint32_t arrival)
{
	rtpstats_rx_put(st, 0x1111, seq, ts, 0, arrival, true);
}

/* Transit times 1000, 1000, 1080, 1000, 1000 (RTP units): |D| = 0, 80, 80,
 * 0. J = J + (|D| - J) / 16 in x16 integers (RFC 3550 A.8):
 *   0 + 0 - 0 = 0;  0 + 80 - (0+8)/16 = 80;  80 + 80 - (88/16 = 5) = 155;
 *   155 + 0 - (163/16 = 10) = 145   ->  reported J = 145 / 16 = 9
 * (floating point: 0, 5, 9.69, 9.08). */
START_TEST(jitter_hand_computed)
{
	struct rtpstats_rx st;
	memset(&st, 0, sizeof st);
	put(&st, 1, 0, 1000);
	ck_assert_uint_eq(st.jitter16, 0);
	put(&st, 2, 160, 1160);
	ck_assert_uint_eq(st.jitter16, 0);
	put(&st, 3, 320, 1400);
	ck_assert_uint_eq(st.jitter16, 80);
	ck_assert_uint_eq(rtpstats_jitter(&st), 5);
	put(&st, 4, 480, 1480);
	ck_assert_uint_eq(st.jitter16, 155);
	put(&st, 5, 640, 1640);
	ck_assert_uint_eq(st.jitter16, 145);
	ck_assert_uint_eq(rtpstats_jitter(&st), 9);
	/* An event packet (untimed) leaves the jitter alone but is counted. */
	rtpstats_rx_put(&st, 0x1111, 6, 640, 101, 5000, false);
	ck_assert_uint_eq(st.jitter16, 145);
	ck_assert_uint_eq(st.received, 6);
	/* Transit wraps around 2^32 without a jump. */
	memset(&st, 0, sizeof st);
	put(&st, 1, 0xffffff00u, 0x10);
	put(&st, 2, 0xffffffa0u, 0xb0);
	ck_assert_uint_eq(st.jitter16, 0);
}
END_TEST

START_TEST(loss_across_seq_wrap)
{
	struct rtpstats_rx st;
	struct rtcp_rb rb;
	uint64_t e, l;
	memset(&st, 0, sizeof st);
	ck_assert(!rtpstats_rx_block(&st, &rb));
	/* 65530 .. 65535, 0 .. 9: 16 packets; 65534, 3 and 4 lost. */
	for (uint32_t i = 0; i < 16; i++) {
		uint16_t seq = (uint16_t)(65530 + i);
		if (seq == 65534 || seq == 3 || seq == 4)
			continue;
		put(&st, seq, i * 160, i * 160);
	}
	ck_assert_uint_eq(rtpstats_ext_max(&st), 65536 + 9);
	rtpstats_rx_totals(&st, &e, &l);
	ck_assert_uint_eq(e, 16);
	ck_assert_uint_eq(l, 3);
	ck_assert(rtpstats_rx_block(&st, &rb));
	ck_assert_uint_eq(rb.ssrc, 0x1111);
	ck_assert_uint_eq(rb.fraction, 3 * 256 / 16);
	ck_assert_int_eq(rb.lost, 3);
	ck_assert_uint_eq(rb.ext_seq, 65545);
	/* Next interval: 10 .. 19 all there, one late duplicate of 9. */
	for (uint16_t s = 10; s < 20; s++)
		put(&st, s, s * 160u, s * 160u);
	put(&st, 9, 9 * 160, 20 * 160);
	ck_assert(rtpstats_rx_block(&st, &rb));
	ck_assert_uint_eq(rb.fraction, 0);
	ck_assert_int_eq(rb.lost, 2);       /* the duplicate offsets one loss (RFC 3550) */
	ck_assert_uint_eq(rb.ext_seq, 65536 + 19);
}
END_TEST

START_TEST(restart_and_new_source)
{
	struct rtpstats_rx st;
	uint64_t e, l;
	memset(&st, 0, sizeof st);
	for (uint16_t s = 100; s < 110; s++)
		if (s != 105)
			put(&st, s, 0, 0);
	/* A jump of 5000: ignored once, a restart when the next follows. */
	put(&st, 5100, 0, 0);
	rtpstats_rx_totals(&st, &e, &l);
	ck_assert_uint_eq(e, 10);
	ck_assert_uint_eq(l, 1);
	put(&st, 5101, 0, 0);
	put(&st, 5103, 0, 0);
	rtpstats_rx_totals(&st, &e, &l);
	ck_assert_uint_eq(e, 10 + 3);
	ck_assert_uint_eq(l, 1 + 1);
	/* Another SSRC: a new source, the totals carry on. */
	rtpstats_rx_put(&st, 0x2222, 7, 0, 0, 0, true);
	rtpstats_rx_put(&st, 0x2222, 9, 0, 0, 0, true);
	rtpstats_rx_totals(&st, &e, &l);
	ck_assert_uint_eq(e, 13 + 3);
	ck_assert_uint_eq(l, 2 + 1);
	ck_assert_uint_eq(st.ssrc, 0x2222);
}
END_TEST

START_TEST(sr_rr_round_trip)
{
	uint8_t buf[RTCP_MAX_OWN];
	struct rtcp_report r = {
		.sr = true, .ssrc = 0xabcdef01, .ntp = 0xe8f0123456789abcull, .rtp_ts = 0x11223344,
		.packets = 1500, .octets = 240000, .nrb = 2,
		.rb = {
			{ .ssrc = 0x01020304, .fraction = 12, .lost = 4567, .ext_seq = 0x1ffff,
			  .jitter = 77, .lsr = 0x12345678, .dlsr = 0x00018000 },
			{ .ssrc = 0x0a0b0c0d, .fraction = 0, .lost = -3, .ext_seq = 5, .jitter = 0 },
		},
	}, back;
	int n = rtcp_build(buf, sizeof buf, &r, "tandemd");
	/* SR 8 + 20 + 2 x 24 = 76, SDES 8 + 2 + 7 + END -> 20. */
	ck_assert_int_eq(n, 76 + 20);
	ck_assert_int_eq(rtcp_validate(buf, (size_t)n), 2);
	ck_assert_int_eq(rtcp_parse(buf, (size_t)n, &back), 1);
	ck_assert(back.sr);
	ck_assert_uint_eq(back.ssrc, r.ssrc);
	ck_assert(back.ntp == r.ntp);
	ck_assert_uint_eq(back.rtp_ts, r.rtp_ts);
	ck_assert_uint_eq(back.packets, r.packets);
	ck_assert_uint_eq(back.octets, r.octets);
	ck_assert_uint_eq(back.nrb, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(back.rb[i].ssrc, r.rb[i].ssrc);
		ck_assert_uint_eq(back.rb[i].fraction, r.rb[i].fraction);
		ck_assert_int_eq(back.rb[i].lost, r.rb[i].lost);
		ck_assert_uint_eq(back.rb[i].ext_seq, r.rb[i].ext_seq);
		ck_assert_uint_eq(back.rb[i].jitter, r.rb[i].jitter);
		ck_assert_uint_eq(back.rb[i].lsr, r.rb[i].lsr);
		ck_assert_uint_eq(back.rb[i].dlsr, r.rb[i].dlsr);
	}
	ck_assert_mem_eq(buf + 76 + 10, "tandemd", 7);

	/* An RR without blocks; an RR with one. */
	memset(&r, 0, sizeof r);
	r.ssrc = 42;
	n = rtcp_build(buf, sizeof buf, &r, "x");
	ck_assert_int_eq(n, 8 + 12);
	ck_assert_int_eq(rtcp_parse(buf, (size_t)n, &back), 1);
	ck_assert(!back.sr);
	ck_assert_uint_eq(back.ssrc, 42);
	ck_assert_uint_eq(back.nrb, 0);
	r.nrb = 1;
	r.rb[0].ssrc = 7;
	r.rb[0].lost = 0x7fffff + 10;        /* clamped to the 24-bit field */
	n = rtcp_build(buf, sizeof buf, &r, "x");
	ck_assert_int_eq(rtcp_parse(buf, (size_t)n, &back), 1);
	ck_assert_int_eq(back.rb[0].lost, 0x7fffff);
	ck_assert_uint_eq(buf[1], RTCP_RR);

	/* Bounds: too small a buffer, a bad CNAME, a truncated packet, an
	 * SDES-only compound. */
	ck_assert_int_eq(rtcp_build(buf, 20, &r, "x"), -ENOSPC);
	ck_assert_int_eq(rtcp_build(buf, sizeof buf, &r, ""), -EINVAL);
	ck_assert_int_eq(rtcp_parse(buf, (size_t)n - 4, &back), -EINVAL);
	ck_assert_int_eq(rtcp_parse(buf + 32, (size_t)n - 32, &back), 0);
}
END_TEST

START_TEST(round_trip_time)
{
	struct rtcp_rb rb = { .lsr = 0x12340000, .dlsr = 0x00008000 };  /* 0.5 s held */
	uint64_t now = (uint64_t)(0x12340000u + 0x8000u + 0x1000u) << 16;  /* + 1/16 s */
	ck_assert_int_eq(rtcp_rtt(&rb, now), 0x1000);
	rb.lsr = 0;
	ck_assert_int_eq(rtcp_rtt(&rb, now), -1);
	rb.lsr = 0x12350000;                 /* from the future: implausible */
	ck_assert_int_eq(rtcp_rtt(&rb, now), -1);
	/* a LAN round trip under the peer's DLSR rounding: about 0, not unknown */
	rb.lsr = 0x12340000;
	rb.dlsr = 0x00008000 + 0x1000 + 40;  /* 0.6 ms too much */
	ck_assert_int_eq(rtcp_rtt(&rb, now), 0);
}
END_TEST

START_TEST(report_interval)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	for (uint32_t r = 0; r < 5000; r += 7) {
		uint32_t t = rtcp_interval_ms(5000, false, r * 2654435761u);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	/* 5 s x [0.5, 1.5] / 1.218 = [2.05, 6.16] s, spread over the range. */
	ck_assert_uint_ge(lo, 2052);
	ck_assert_uint_le(lo, 2200);
	ck_assert_uint_le(hi, 6158);
	ck_assert_uint_ge(hi, 6000);
	ck_assert_uint_le(rtcp_interval_ms(5000, true, 1000), 3080);   /* first: half */
}
END_TEST

START_TEST(mos_monotone)
{
	const char *codecs[] = { "PCMU/8000", "G729/8000", "opus/48000/2", "unknown/8000" };
	for (size_t c = 0; c < 4; c++) {
		struct rtpstats_codec_q q = rtpstats_codec_quality(codecs[c]);
		double prev = 5;
		for (double loss = 0; loss <= 40; loss += 0.25) {
			double mos = rtpstats_mos(rtpstats_r_factor(loss, 60, &q));
			ck_assert(mos < prev || (mos == 1.0 && prev == 1.0));
			ck_assert(mos >= 1.0 && mos <= 4.5);
			prev = mos;
		}
		prev = 5;
		for (double d = 0; d < 500; d += 10) {
			double mos = rtpstats_mos(rtpstats_r_factor(1, d, &q));
			ck_assert(mos < prev);
			prev = mos;
		}
	}
	struct rtpstats_codec_q pcmu = rtpstats_codec_quality("PCMU"),
				g729 = rtpstats_codec_quality("g729/8000");
	/* G.711, no loss, 40 ms: R = 93.2 - 0.96 = 92.24 -> MOS 4.39. */
	double r = rtpstats_r_factor(0, 40, &pcmu);
	ck_assert_double_eq_tol(r, 92.24, 0.01);
	ck_assert_double_eq_tol(rtpstats_mos(r), 4.39, 0.01);
	/* 5 % loss: Ie,eff = 95 x 5 / 30.1 = 15.78 -> R 76.46 -> MOS 3.88. */
	ck_assert_double_eq_tol(rtpstats_mos(rtpstats_r_factor(5, 40, &pcmu)), 3.88, 0.02);
	ck_assert(rtpstats_r_factor(1, 40, &g729) < rtpstats_r_factor(1, 40, &pcmu));
	ck_assert_double_eq_tol(rtpstats_delay_ms(100, 5), 80, 1e-9);
	ck_assert_double_eq_tol(rtpstats_delay_ms(-1, 0), 20, 1e-9);
}
END_TEST

static Suite *rtcp_suite(void)
{
	Suite *s = suite_create("rtcp");
	TCase *tc = tcase_create("rtcp");

	tcase_add_test(tc, jitter_hand_computed);
	tcase_add_test(tc, loss_across_seq_wrap);
	tcase_add_test(tc, restart_and_new_source);
	tcase_add_test(tc, sr_rr_round_trip);
	tcase_add_test(tc, round_trip_time);
	tcase_add_test(tc, report_interval);
	tcase_add_test(tc, mos_monotone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rtcp_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
