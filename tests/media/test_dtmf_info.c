/* test_dtmf_info.c - DTMF for a leg that wants SIP INFO (leg B here), through
 * the media API over real UDP: A's RFC 4733 digit is reported once (not sent
 * to B) with its duration, its audio still relayed; a digit B got by INFO
 * reaches A as RFC 4733 events (start with marker, updates, three ends, the
 * right code and duration) inside A's stream (sequence numbers continuous
 * with B's relayed audio, one SSRC); a leg without telephone-event gets
 * none; bad digits are refused. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "media/dtmf_info.h"
#include "test_transcode.h"

#define TE8 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"

struct drx {
	int n, audio, events, ends, markers;
	uint8_t code;
	uint32_t ev_ts, last_dur;
	bool seq_ok, one_ssrc;
	uint16_t last_seq;
	uint32_t ssrc;
};

static void take(int fd, uint16_t from_port, struct drx *rx)
{
	uint8_t buf[1500];
	uint16_t from;
	int r;
	struct rtp_hdr h;

	while ((r = mt_recv(fd, buf, sizeof buf, 0, &from)) > 0) {
		if (from != from_port || rtp_parse(buf, (size_t)r, &h) < 0)
			continue;
		if (rx->n) {
			rx->seq_ok &= h.seq == (uint16_t)(rx->last_seq + 1);
			rx->one_ssrc &= h.ssrc == rx->ssrc;
		} else {
			rx->seq_ok = rx->one_ssrc = true;
			rx->ssrc = h.ssrc;
		}
		rx->last_seq = h.seq;
		rx->n++;
		if (h.pt != 101) {
			rx->audio++;
			continue;
		}
		const uint8_t *p = buf + h.hdr_len;
		ck_assert_uint_eq(h.payload_len, 4);
		if (!rx->events)
			rx->ev_ts = h.ts;
		ck_assert_uint_eq(h.ts, rx->ev_ts);
		rx->events++;
		rx->markers += h.marker;
		rx->code = p[0];
		rx->ends += (p[1] & 0x80) != 0;
		rx->last_dur = (uint32_t)p[2] << 8 | p[3];
	}
}

/* 1 s both ways at 20 ms; A's digit 7 (160 ms: 3 updates, 3 ends) at 300 ms;
 * B's '#' by INFO (200 ms) at 500 ms. */
static void run(struct tcall *c, bool inject, struct drx *at_a, struct drx *at_b)
{
	uint8_t pl[160];
	uint64_t t0 = mt_now_ms();

	memset(at_a, 0, sizeof *at_a);
	memset(at_b, 0, sizeof *at_b);
	memset(pl, 0xff, sizeof pl);
	for (int k = 0; k < 50; k++) {
		mt_send_rtp(c->a.rtp, c->ga, 0, (uint16_t)(100 + k + (k > 15 ? 6 : 0)), 160u * (unsigned)k,
			    0xa, pl, 160);
		mt_send_rtp(c->b.rtp, c->gb, 0, (uint16_t)(9000 + k), 5000 + 160u * (unsigned)k, 0xb, pl, 160);
		if (k == 15) {
			for (int e = 0; e < 6; e++) {
				unsigned dur = e < 3 ? 400u * (unsigned)(e + 1) : 1280;
				uint8_t ev[4] = { 7, (uint8_t)(e >= 3 ? 0x80 | 10 : 10), (uint8_t)(dur >> 8),
						  (uint8_t)dur };
				mt_send_rtp(c->a.rtp, c->ga, 101, (uint16_t)(116 + e), 160u * 15, 0xa, ev, 4);
			}
		}
		if (k == 25 && inject)
			ck_assert_int_eq(media_session_dtmf(c->s, MEDIA_LEG_B, '#', 200), 0);
		while (mt_now_ms() < t0 + 20u * (unsigned)(k + 1)) {
			take(c->a.rtp, c->ga, at_a);
			take(c->b.rtp, c->gb, at_b);
			usleep(500);
		}
		mt_pump(tt_owner(), 0);
	}
	for (uint64_t end = mt_now_ms() + 300; mt_now_ms() < end; usleep(1000)) {
		take(c->a.rtp, c->ga, at_a);
		take(c->b.rtp, c->gb, at_b);
	}
	mt_pump(tt_owner(), 50);
}

START_TEST(info_both_ways)
{
	struct tcall c;
	struct drx at_a, at_b;
	struct mt_owner *ow = tt_owner();

	g_b_dtmf_info = true;
	ck_assert_int_eq(call_offer(&c, NULL, "0 101", TE8), 0);
	call_answer(&c, "0 101", TE8);
	run(&c, true, &at_a, &at_b);

	/* A -> B: reported once, with its duration; no event packet to B. */
	ck_assert_int_eq(at_b.events, 0);
	ck_assert_msg(at_b.audio >= 47, "B got %d audio packets", at_b.audio);
	ck_assert_int_eq(mt_count_events(ow, MEDIA_EV_DTMF, -1), 1);
	int i = mt_wait_event(ow, MEDIA_EV_DTMF, MEDIA_LEG_B, 0);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(ow->ev[i].ev.digit, '7');
	ck_assert_uint_eq(ow->ev[i].ev.duration_ms, 160);

	/* B's INFO -> A: '#' (code 11) as events in A's stream. */
	ck_assert_int_eq(at_a.code, 11);
	ck_assert_int_eq(at_a.markers, 1);
	ck_assert_int_eq(at_a.ends, 3);
	ck_assert_msg(at_a.events >= 3 + 3 && at_a.events <= 3 + 5, "%d event packets", at_a.events);
	ck_assert_uint_eq(at_a.last_dur, 1600);
	ck_assert(at_a.seq_ok);
	ck_assert(at_a.one_ssrc);
	ck_assert_msg(at_a.audio >= 47, "A got %d audio packets", at_a.audio);
	call_end(&c);
	g_b_dtmf_info = false;
}
END_TEST

/* A took no telephone-event: B's INFO digit is dropped, nothing reaches A
 * but audio. */
START_TEST(info_no_te)
{
	struct tcall c;
	struct drx at_a, at_b;

	g_b_dtmf_info = true;
	ck_assert_int_eq(call_offer(&c, NULL, "0", ""), 0);
	call_answer(&c, "0", "");
	run(&c, true, &at_a, &at_b);
	ck_assert_int_eq(at_a.events, 0);
	ck_assert(at_a.seq_ok);
	ck_assert_int_eq(media_session_dtmf(c.s, MEDIA_LEG_B, 'x', 100), -EINVAL);
	ck_assert_int_eq(media_session_dtmf(c.s, MEDIA_LEG_B, 'd', 100), 0);
	call_end(&c);
	g_b_dtmf_info = false;
}
END_TEST

TCase *tt_dinfo_tcase(void)
{
	TCase *tc = tcase_create("dtmf_info");
	tcase_set_tags(tc, "stream");   /* run as media/stream (tests/TESTS) */
	tcase_add_checked_fixture(tc, tt_setup, tt_teardown);
	tcase_add_test(tc, info_both_ways);
	tcase_add_test(tc, info_no_te);
	tcase_set_timeout(tc, 30);
	return tc;
}
