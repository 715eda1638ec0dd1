/* test_rtcp_flow.c - RTCP through the media API over real UDP:
 *   - rtcp-mux (RFC 5761): offered and answered through, RTCP on the RTP
 *     ports both ways; and with one leg muxing and the other on port + 1;
 *   - a transcoded PCMU <-> PCMA call: the gateway's own SRs on each leg,
 *     their report blocks showing the loss the phone's stream had (every
 *     10th packet missing), packet counts of what the gateway sent; the
 *     phone's RR on the gateway's SR giving the round trip and the remote
 *     view of loss in media_session_stats, with a MOS below the clean leg's.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/modules.h"
#include "media/media.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "mtest.h"

#define PMIN 38600
#define PMAX 38999

static struct mt_conf g_conf;
static struct mt_owner g_owner;
static media_core_t *g_mc;
static tmodules_t *g_mods;

static void setup(void)
{
	const char *env = getenv("builddir");
	static const char *const g711[] = { "mod_g711", NULL };
	char dir[PATH_MAX], err[512];

	snprintf(dir, sizeof dir, "%s/modules", env && *env ? env : ".");
	ck_assert_msg(tmodules_load(dir, g711, &g_mods, err, sizeof err) == 0, "%s", err);
	mt_conf_init(&g_conf, PMIN, PMAX);
	g_conf.conf.media.rtcp_interval = 300;
	mt_owner_init(&g_owner);
	ck_assert_int_eq(media_core_new(&g_conf.conf, 1, &g_mc), 0);
	media_core_set_codecs(g_mc, g_mods);
}

static void teardown(void)
{
	media_core_free(g_mc);
	g_mc = NULL;
	mt_owner_fini(&g_owner);
	tmodules_free(g_mods);
	g_mods = NULL;
}

static const char *sdp(uint16_t port, const char *fmts, const char *maps, bool mux)
{
	static char buf[2][1024];
	static int turn;
	char *b = buf[turn++ % 2];
	snprintf(b, sizeof buf[0],
		 "v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP %s\r\n%s%sa=ptime:20\r\na=sendrecv\r\n", (unsigned)port, fmts,
		 maps, mux ? "a=rtcp-mux\r\n" : "");
	return b;
}

#define PCMU "a=rtpmap:0 PCMU/8000\r\n"
#define PCMA "a=rtpmap:8 PCMA/8000\r\n"

/* A receiver report from 'ssrc' on 'reportee' (+ SDES). */
static size_t make_rr(uint8_t *p, uint32_t ssrc, uint32_t reportee, int32_t lost, uint32_t lsr)
{
	struct rtcp_report r = { .ssrc = ssrc, .nrb = 1 };
	r.rb[0].ssrc = reportee;
	r.rb[0].lost = lost;
	r.rb[0].lsr = lsr;
	int n = rtcp_build(p, 256, &r, "phone");
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static void mux_call(bool b_mux)
{
	struct media_session_opts o;
	struct mt_call c;
	struct media_sdp out;
	uint8_t pkt[256], buf[2048];
	uint16_t from;
	int at_b, at_a;

	memset(&c, 0, sizeof c);
	mt_opts(&o, &g_conf, &g_owner);
	mt_phone_open(&c.a);
	mt_phone_open(&c.b);
	ck_assert_int_eq(media_session_new(g_mc, &o, &c.s), 0);
	const char *sa = sdp(c.a.port, "0", PCMU, true);
	ck_assert_int_eq(media_session_offer(c.s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "a=rtcp-mux\r\n"));   /* offered on */
	c.gb = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	const char *sb = sdp(c.b.port, "0", PCMU, b_mux);
	ck_assert_int_eq(media_session_answer(c.s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "a=rtcp-mux\r\n"));   /* A offered it */
	c.ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	mt_exchange(&c, &g_owner, 10, 5, &at_b, &at_a);
	ck_assert_int_ge(at_b, 9);
	ck_assert_int_ge(at_a, 9);

	/* A's RTCP on its RTP port reaches B: on B's RTP port with mux, else
	 * on B's RTCP port. */
	size_t n = make_rr(pkt, 0xaaaa0001, 0xbbbb0001, 0, 0);
	mt_send_raw(c.a.rtp, c.ga, pkt, n);
	int r = mt_recv(b_mux ? c.b.rtp : c.b.rtcp, buf, sizeof buf, 500, &from);
	ck_assert_int_eq(r, (int)n);
	ck_assert_mem_eq(buf, pkt, n);
	ck_assert_uint_eq(from, b_mux ? c.gb : c.gb + 1);
	/* B's RTCP reaches A on A's RTP port. */
	n = make_rr(pkt, 0xbbbb0001, 0xaaaa0001, 0, 0);
	mt_send_raw(b_mux ? c.b.rtp : c.b.rtcp, b_mux ? c.gb : (uint16_t)(c.gb + 1), pkt, n);
	r = mt_recv(c.a.rtp, buf, sizeof buf, 500, &from);
	ck_assert_int_eq(r, (int)n);
	ck_assert_uint_eq(from, c.ga);
	ck_assert_int_lt(mt_recv(c.a.rtcp, buf, sizeof buf, 50, NULL), 0);
	/* RTP still flows, and the RTCP is not counted as lost RTP. */
	mt_exchange(&c, &g_owner, 10, 5, &at_b, &at_a);
	ck_assert_int_ge(at_b, 9);
	ck_assert_int_ge(at_a, 9);
	struct media_leg_stats st[2];
	media_session_stats(c.s, st);
	ck_assert_uint_eq(st[0].rtp_expected, 10);  /* the second exchange repeats 1000..1009 */
	ck_assert_uint_eq(st[0].rtp_lost, 0);
	ck_assert_uint_eq(st[0].rtcp_received, 1);
	ck_assert_uint_eq(st[1].rtcp_received, 1);
	mt_call_teardown(&c);
}

START_TEST(rtcp_mux_both)
{
	mux_call(true);
}
END_TEST

START_TEST(rtcp_mux_one_leg)
{
	mux_call(false);
}
END_TEST

/* B's answer names its RTCP port (a=rtcp, RFC 3605), not RTP + 1: A's RTCP
 * goes there. */
START_TEST(rtcp_attribute)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone x;
	struct media_sdp out;
	uint8_t pkt[256], buf[2048];
	char attr[64];
	int at_b, at_a;

	memset(&c, 0, sizeof c);
	mt_opts(&o, &g_conf, &g_owner);
	mt_phone_open(&c.a);
	mt_phone_open(&c.b);
	mt_phone_open(&x);
	ck_assert_int_eq(media_session_new(g_mc, &o, &c.s), 0);
	const char *sa = sdp(c.a.port, "0", PCMU, false);
	ck_assert_int_eq(media_session_offer(c.s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	ck_assert_ptr_null(strstr(out.sdp, "a=rtcp-mux"));       /* A did not offer it */
	c.gb = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	snprintf(attr, sizeof attr, PCMU "a=rtcp:%u\r\n", (unsigned)(x.port + 1));
	const char *sb = sdp(c.b.port, "0", attr, false);
	ck_assert_int_eq(media_session_answer(c.s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	c.ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	mt_exchange(&c, &g_owner, 5, 5, &at_b, &at_a);
	size_t n = make_rr(pkt, 0xaaaa0001, 0xbbbb0001, 0, 0);
	mt_send_raw(c.a.rtcp, (uint16_t)(c.ga + 1), pkt, n);
	ck_assert_int_eq(mt_recv(x.rtcp, buf, sizeof buf, 500, NULL), (int)n);
	ck_assert_int_lt(mt_recv(c.b.rtcp, buf, sizeof buf, 50, NULL), 0);
	mt_phone_close(&x);
	mt_call_teardown(&c);
}
END_TEST

/* Reports the gateway sent to one phone. */
struct seen {
	int n, sr;
	struct rtcp_report last;
};

static void collect(int fd, struct seen *s)
{
	uint8_t buf[2048];
	ssize_t r;
	while ((r = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
		struct rtcp_report rep;
		ck_assert_int_eq(rtcp_parse(buf, (size_t)r, &rep), 1);
		s->n++;
		s->sr += rep.sr;
		s->last = rep;
	}
}

START_TEST(transcoded_reports)
{
	static const char *const pcma_only[] = { "PCMA", NULL };
	struct media_session_opts o;
	struct mt_call c;
	struct media_sdp out;
	uint8_t payload[160], buf[2048];
	struct seen sa = { 0 }, sb = { 0 };
	int got_a = 0, got_b = 0;

	memset(&c, 0, sizeof c);
	mt_opts(&o, &g_conf, &g_owner);
	o.leg[1].codecs = pcma_only;
	mt_phone_open(&c.a);
	mt_phone_open(&c.b);
	ck_assert_int_eq(media_session_new(g_mc, &o, &c.s), 0);
	const char *a = sdp(c.a.port, "0", PCMU, false);
	ck_assert_int_eq(media_session_offer(c.s, MEDIA_LEG_A, a, strlen(a), &out), 0);
	c.gb = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	const char *b = sdp(c.b.port, "8", PCMA, false);
	ck_assert_int_eq(media_session_answer(c.s, MEDIA_LEG_B, b, strlen(b), &out), 0);
	c.ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);

	/* 2 s each way; A's packets 5, 15, 25, ... never sent (10 %). */
	memset(payload, 0xff, sizeof payload);
	for (int i = 0; i < 100; i++) {
		if (i % 10 != 5)
			mt_send_rtp(c.a.rtp, c.ga, 0, (uint16_t)(65500 + i), 160u * (unsigned)i,
				    0xaaaa0001, payload, sizeof payload);
		mt_send_rtp(c.b.rtp, c.gb, 8, (uint16_t)(100 + i), 160u * (unsigned)i, 0xbbbb0001,
			    payload, sizeof payload);
		uint64_t end = mt_now_ms() + 20;
		while (mt_now_ms() < end) {
			if (mt_recv(c.a.rtp, buf, sizeof buf, 1, NULL) > 0)
				got_a++;
			if (mt_recv(c.b.rtp, buf, sizeof buf, 0, NULL) > 0)
				got_b++;
			collect(c.a.rtcp, &sa);
			collect(c.b.rtcp, &sb);
		}
		tq_drain(g_owner.q);
	}
	/* Wait for a report after the last packet. */
	for (uint64_t end = mt_now_ms() + 1000; mt_now_ms() < end;) {
		while (mt_recv(c.a.rtp, buf, sizeof buf, 0, NULL) > 0)
			got_a++;
		while (mt_recv(c.b.rtp, buf, sizeof buf, 0, NULL) > 0)
			got_b++;
		collect(c.a.rtcp, &sa);
		collect(c.b.rtcp, &sb);
		usleep(5000);
	}
	/* ~2.8 s at 300 ms x [0.5, 1.5] / 1.22: 6 or more reports per leg. */
	ck_assert_int_ge(sa.n, 6);
	ck_assert_int_ge(sb.n, 6);
	ck_assert_int_ge(sa.sr, sa.n - 1);      /* the first may be an RR */
	ck_assert(sa.last.sr && sb.last.sr);
	/* Leg A: the block on A's stream: 100 expected across the seq wrap, 10 lost. */
	ck_assert_uint_eq(sa.last.nrb, 1);
	ck_assert_uint_eq(sa.last.rb[0].ssrc, 0xaaaa0001);
	ck_assert_int_eq(sa.last.rb[0].lost, 10);
	ck_assert_uint_eq(sa.last.rb[0].ext_seq, 65599);   /* 65500 + 99, one wrap */
	/* Leg B: nothing lost; the SR counts what the gateway sent B. */
	ck_assert_uint_eq(sb.last.rb[0].ssrc, 0xbbbb0001);
	ck_assert_int_eq(sb.last.rb[0].lost, 0);
	ck_assert_uint_le(sb.last.packets, (uint32_t)got_b);
	ck_assert_uint_ge(sb.last.packets, (uint32_t)got_b * 8 / 10);
	ck_assert_uint_le(sa.last.packets, (uint32_t)got_a);

	/* A reports on the gateway's stream against its last SR: round trip
	 * and remote loss show up in the stats. */
	uint8_t pkt[256];
	size_t n = make_rr(pkt, 0xaaaa0001, sa.last.ssrc, 3, rtcp_ntp_mid(sa.last.ntp));
	mt_send_raw(c.a.rtcp, (uint16_t)(c.ga + 1), pkt, n);
	struct media_leg_stats st[2];
	for (int i = 0; i < 50; i++) {
		media_session_stats(c.s, st);
		if (st[0].have_remote)
			break;
		usleep(10000);
	}
	ck_assert(st[0].have_remote);
	ck_assert_int_eq(st[0].remote_lost, 3);
	ck_assert(st[0].rtt_ms >= 0 && st[0].rtt_ms < 2000);  /* DLSR 0: the time since that SR */
	ck_assert_uint_eq(st[0].rtp_expected, 100);
	ck_assert_uint_eq(st[0].rtp_lost, 10);
	ck_assert_uint_eq(st[1].rtp_lost, 0);
	ck_assert(st[0].mos > 3.0 && st[0].mos < st[1].mos);
	ck_assert(st[1].rtt_ms < 0);            /* B sent no report */
	ck_assert(st[0].rtcp_sent >= (uint64_t)sa.n);
	ck_assert(st[0].transcoded);
	mt_call_teardown(&c);
}
END_TEST

static Suite *rtcp_flow_suite(void)
{
	Suite *s = suite_create("rtcp_flow");
	TCase *tc = tcase_create("rtcp_flow");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rtcp_mux_both);
	tcase_add_test(tc, rtcp_mux_one_leg);
	tcase_add_test(tc, rtcp_attribute);
	tcase_add_test(tc, transcoded_reports);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rtcp_flow_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
