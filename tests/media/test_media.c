/* test_media.c - the media plane through its API with real UDP on 127.0.0.1:
 * relay both ways, port exhaustion, re-offer to a new address, a second
 * answer, RTCP relay, SSRC continuity, late offer and the SDP state machine,
 * destroy with events in flight. Latching and timeouts are in test_latch.c,
 * local endpoints in test_endpoints.c. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "media/media.h"
#include "media/rtp.h"
#include "mtest.h"

#define PMIN 37000
#define PMAX 37999

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

static bool within(int got, int sent, double pct)
{
	return got >= sent * (1.0 - pct / 100.0) && got <= sent;
}

START_TEST(relay_both_ways)
{
	struct media_session_opts o;
	struct mt_call c;
	int at_b, at_a;

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	mt_exchange(&c, &g_owner, 150, 10, &at_b, &at_a);
	ck_assert_msg(within(at_b, 150, 5), "A->B: %d of 150", at_b);
	ck_assert_msg(within(at_a, 150, 5), "B->A: %d of 150", at_a);

	struct media_leg_stats st[2];
	media_session_stats(c.s, st);
	ck_assert_uint_ge(st[0].packets_in, 143);
	ck_assert_uint_ge(st[1].packets_out, (uint64_t)at_b);
	ck_assert_uint_ge(st[1].packets_in, 143);
	ck_assert_uint_ge(st[0].packets_out, (uint64_t)at_a);
	ck_assert_uint_eq(st[0].bytes_in, st[0].packets_in * 172);
	ck_assert_str_eq(st[0].codec, "PCMU/8000");
	ck_assert(!st[0].on_hold && !st[1].on_hold);

	struct media_core_stats cs;
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.sessions, 1);
	ck_assert_uint_eq(cs.workers, 2);
	ck_assert_uint_eq(cs.ports_in_use, 4);
	ck_assert_uint_eq(cs.ports_total, PMAX - PMIN + 1);
	ck_assert_uint_ge(cs.packets_relayed, (uint64_t)(at_a + at_b));

	/* Both legs reported their first packet and latched to the signalled
	 * address. */
	ck_assert_int_ge(mt_wait_event(&g_owner, MEDIA_EV_FIRST_PACKET, 0, 500), 0);
	ck_assert_int_ge(mt_wait_event(&g_owner, MEDIA_EV_FIRST_PACKET, 1, 500), 0);
	int i = mt_wait_event(&g_owner, MEDIA_EV_LATCHED, 0, 500);
	ck_assert_int_ge(i, 0);
	char want[64];
	snprintf(want, sizeof want, "127.0.0.1:%u", c.a.port);
	ck_assert_str_eq(g_owner.ev[i].ev.addr, want);
	mt_call_teardown(&c);
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.sessions, 0);
}
END_TEST

START_TEST(port_exhaustion)
{
	struct mt_conf small;
	media_core_t *mc;
	media_session_t *s1, *s2;
	struct media_session_opts o;
	struct media_core_stats cs;

	/* 2 pairs: one session of two legs. */
	mt_conf_init(&small, 36990, 36993);
	ck_assert_int_eq(media_core_new(&small.conf, 1, &mc), 0);
	mt_opts(&o, &small, &g_owner);
	ck_assert_int_eq(media_session_new(mc, &o, &s1), 0);
	ck_assert_int_eq(media_session_new(mc, &o, &s2), -ENOSPC);
	ck_assert_int_eq(media_session_new(mc, &o, &s2), -ENOSPC);
	media_core_stats(mc, &cs);
	ck_assert_uint_eq(cs.ports_in_use, 4);
	ck_assert_uint_eq(cs.ports_total, 4);
	ck_assert_uint_eq(cs.sessions, 1);
	media_session_destroy(s1);
	ck_assert_int_eq(media_session_new(mc, &o, &s2), 0);
	media_session_destroy(s2);
	media_core_free(mc);
}
END_TEST

/* Ports someone else holds are skipped. */
START_TEST(port_in_use_skipped)
{
	struct mt_conf small;
	media_core_t *mc;
	media_session_t *s;
	struct media_session_opts o;
	struct media_sdp out;
	uint16_t got;

	/* Take 36980 (the first RTP port) ourselves. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(36980) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	mt_conf_init(&small, 36980, 36989);
	ck_assert_int_eq(media_core_new(&small.conf, 1, &mc), 0);
	mt_opts(&o, &small, &g_owner);
	ck_assert_int_eq(media_session_new(mc, &o, &s), 0);
	const char *sa_sdp = mt_sdp(40000, "0", "sendrecv", 1);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa_sdp, strlen(sa_sdp), &out), 0);
	got = mt_sdp_port(out.sdp);
	ck_assert_uint_ne(got, 36980);
	ck_assert_uint_eq(got % 2, 0);
	ck_assert(got >= 36980 && got <= 36988);
	media_sdp_clear(&out);
	media_session_destroy(s);
	media_core_free(mc);
	close(fd);
}
END_TEST

/* B re-offers with a new address: media goes there, not to the old one. */
START_TEST(reoffer_new_address)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone b2;
	struct media_sdp out;
	int at_b, at_a;
	uint8_t payload[160] = { 0 }, buf[2048];

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	mt_exchange(&c, &g_owner, 10, 5, &at_b, &at_a);
	ck_assert_int_ge(at_b, 9);

	mt_phone_open(&b2);
	const char *re = mt_sdp(b2.port, "0 101", "sendrecv", 2);
	ck_assert_int_eq(media_session_offer(c.s, MEDIA_LEG_B, re, strlen(re), &out), 0);
	ck_assert(out.is_offer);
	ck_assert_uint_eq(mt_sdp_port(out.sdp), c.ga);      /* same gateway port toward A */
	media_sdp_clear(&out);
	const char *ans = mt_sdp(c.a.port, "0 101", "sendrecv", 2);
	ck_assert_int_eq(media_session_answer(c.s, MEDIA_LEG_A, ans, strlen(ans), &out), 0);
	ck_assert(!out.is_offer);
	ck_assert_uint_eq(mt_sdp_port(out.sdp), c.gb);
	media_sdp_clear(&out);

	int got_new = 0;
	for (int i = 0; i < 20; i++) {
		mt_send_rtp(c.a.rtp, c.ga, 0, (uint16_t)(100 + i), 160u * (unsigned)i, 0xaaaa0001,
			    payload, 160);
		if (mt_recv(b2.rtp, buf, sizeof buf, 100, NULL) > 0)
			got_new++;
	}
	ck_assert_int_ge(got_new, 19);
	ck_assert_int_eq(mt_drain(c.b.rtp), 0);
	/* And B's new socket is accepted (signalled, inside the new window). */
	mt_send_rtp(b2.rtp, c.gb, 0, 1, 160, 0xb2, payload, 160);
	ck_assert_int_gt(mt_recv(c.a.rtp, buf, sizeof buf, 500, NULL), 0);
	mt_phone_close(&b2);
	mt_call_teardown(&c);
}
END_TEST

/* A second answer to the same offer (the 200 came from another fork than
 * the 183): it replaces the first, nothing goes to A. */
START_TEST(answer_update_fork)
{
	struct media_session_opts o;
	struct mt_call c;
	struct mt_phone fork2;
	struct media_sdp out;
	uint8_t payload[160] = { 0 }, buf[2048];

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	mt_phone_open(&fork2);
	const char *ans = mt_sdp(fork2.port, "0", "sendrecv", 7);
	ck_assert_int_eq(media_session_answer(c.s, MEDIA_LEG_B, ans, strlen(ans), &out), 0);
	ck_assert_ptr_null(out.sdp);
	mt_send_rtp(c.a.rtp, c.ga, 0, 1, 160, 0xa, payload, 160);
	ck_assert_int_gt(mt_recv(fork2.rtp, buf, sizeof buf, 500, NULL), 0);
	ck_assert_int_eq(mt_drain(c.b.rtp), 0);
	/* A's answer was already given: A cannot "answer" anything. */
	ck_assert_int_eq(media_session_answer(c.s, MEDIA_LEG_A, ans, strlen(ans), &out), -EPROTO);
	mt_phone_close(&fork2);
	mt_call_teardown(&c);
}
END_TEST

static size_t make_rr(uint8_t *p, uint32_t ssrc, uint32_t reportee)
{
	/* RR with one report block, then an SDES with a CNAME. */
	memset(p, 0, 64);
	p[0] = 0x81;
	p[1] = 201;
	rtp_put16(p + 2, 7);
	rtp_put32(p + 4, ssrc);
	rtp_put32(p + 8, reportee);
	p[32] = 0x81;
	p[33] = 202;
	rtp_put16(p + 34, 2);
	rtp_put32(p + 36, ssrc);
	p[40] = 1;                  /* CNAME */
	p[41] = 2;
	p[42] = 'a';
	p[43] = 'b';
	return 44;
}

START_TEST(rtcp_relayed)
{
	struct media_session_opts o;
	struct mt_call c;
	int at_b, at_a;
	uint8_t pkt[64], buf[2048];
	uint16_t from;

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	mt_exchange(&c, &g_owner, 10, 5, &at_b, &at_a);
	size_t n = make_rr(pkt, 0xaaaa0001, 0xbbbb0001);
	mt_send_raw(c.a.rtcp, (uint16_t)(c.ga + 1), pkt, n);
	int r = mt_recv(c.b.rtcp, buf, sizeof buf, 500, &from);
	ck_assert_int_eq(r, (int)n);
	ck_assert_uint_eq(from, c.gb + 1);
	ck_assert_mem_eq(buf, pkt, n);          /* no rewriting needed */
	n = make_rr(pkt, 0xbbbb0001, 0xaaaa0001);
	mt_send_raw(c.b.rtcp, (uint16_t)(c.gb + 1), pkt, n);
	r = mt_recv(c.a.rtcp, buf, sizeof buf, 500, &from);
	ck_assert_int_eq(r, (int)n);
	ck_assert_uint_eq(from, c.ga + 1);
	/* Invalid RTCP is not relayed. */
	mt_send_raw(c.a.rtcp, (uint16_t)(c.ga + 1), "junkjunk", 8);
	ck_assert_int_lt(mt_recv(c.b.rtcp, buf, sizeof buf, 200, NULL), 0);
	mt_call_teardown(&c);
}
END_TEST

/* A's source changes SSRC mid-call (another fork, a re-INVITE): B keeps
 * seeing one continuous stream, and A's RTCP follows the rewritten SSRC. */
START_TEST(ssrc_change_continuity)
{
	struct media_session_opts o;
	struct mt_call c;
	uint8_t payload[160] = { 0 }, buf[2048];
	struct rtp_hdr h;
	uint32_t ssrc0 = 0, last_ts = 0;
	uint16_t last_seq = 0;
	int got = 0;

	mt_opts(&o, &g_conf, &g_owner);
	mt_call_setup(&c, g_mc, &o);
	for (int i = 0; i < 100; i++) {
		bool second = i >= 50;
		uint32_t ssrc = second ? 0x22222222 : 0x11111111;
		uint16_t seq = second ? (uint16_t)(60000 + i) : (uint16_t)(100 + i);
		uint32_t ts = second ? 0xfffff000u + 160u * (unsigned)i : 1000u + 160u * (unsigned)i;
		mt_send_rtp(c.a.rtp, c.ga, 0, seq, ts, ssrc, payload, 160);
		int r = mt_recv(c.b.rtp, buf, sizeof buf, 200, NULL);
		if (r <= 0)
			continue;
		ck_assert_int_eq(rtp_parse(buf, (size_t)r, &h), 0);
		if (got == 0) {
			ssrc0 = h.ssrc;
			ck_assert_uint_eq(ssrc0, 0x11111111);     /* untouched while continuous */
			ck_assert_uint_eq(h.seq, 100);
		} else {
			ck_assert_uint_eq(h.ssrc, ssrc0);
			ck_assert_uint_eq(h.seq, (uint16_t)(last_seq + 1));
			ck_assert_msg((int32_t)(h.ts - last_ts) > 0, "ts went back at %d", i);
			ck_assert_uint_le(h.ts - last_ts, 8000);  /* no wild jump */
		}
		if (i == 50)
			ck_assert(h.marker);
		last_seq = h.seq;
		last_ts = h.ts;
		got++;
		usleep(2000);
	}
	ck_assert_int_ge(got, 99);

	/* RTCP from the new source: its SSRC is mapped to the one B knows. */
	uint8_t pkt[64];
	size_t n = make_rr(pkt, 0x22222222, 0xbbbb0001);
	mt_send_raw(c.a.rtcp, (uint16_t)(c.ga + 1), pkt, n);
	int r = mt_recv(c.b.rtcp, buf, sizeof buf, 500, NULL);
	ck_assert_int_eq(r, (int)n);
	ck_assert_uint_eq(rtp_get32(buf + 4), 0x11111111);
	mt_call_teardown(&c);
}
END_TEST

/* Late offer: A sent no SDP; the gateway offers to B, B answers, the
 * gateway offers B's choice to A, A answers, nothing more goes to B. */
START_TEST(late_offer_flow)
{
	struct media_session_opts o;
	struct mt_phone a, b;
	media_session_t *s;
	struct media_sdp out;
	uint8_t payload[160] = { 0 }, buf[2048];

	mt_opts(&o, &g_conf, &g_owner);
	mt_phone_open(&a);
	mt_phone_open(&b);
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	ck_assert_int_eq(media_session_local_offer(s, MEDIA_LEG_B, &out), 0);
	ck_assert(out.is_offer);
	ck_assert_ptr_nonnull(strstr(out.sdp, "PCMU/8000"));
	uint16_t gb = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	/* Wrong order: A has no offer to answer. */
	const char *sa = mt_sdp(a.port, "8", "sendrecv", 1);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_A, sa, strlen(sa), &out), -EPROTO);
	const char *sb = mt_sdp(b.port, "8 101", "sendrecv", 1);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	ck_assert(out.is_offer);
	ck_assert_ptr_nonnull(strstr(out.sdp, "PCMA/8000"));
	ck_assert_ptr_null(strstr(out.sdp, "PCMU"));
	uint16_t ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	ck_assert_ptr_null(out.sdp);
	mt_send_rtp(a.rtp, ga, 8, 1, 160, 0xa, payload, 160);
	ck_assert_int_gt(mt_recv(b.rtp, buf, sizeof buf, 500, NULL), 0);
	mt_send_rtp(b.rtp, gb, 8, 1, 160, 0xb, payload, 160);
	ck_assert_int_gt(mt_recv(a.rtp, buf, sizeof buf, 500, NULL), 0);
	media_session_destroy(s);
	mt_phone_close(&a);
	mt_phone_close(&b);
}
END_TEST

static unsigned long long o_field(const char *sdp, int which)
{
	unsigned long long id = 0, ver = 0;
	const char *o = strstr(sdp, "o=");
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(sscanf(o, "o=%*s %llu %llu", &id, &ver), 2);
	return which ? ver : id;
}

START_TEST(sdp_state_machine)
{
	struct media_session_opts o;
	media_session_t *s;
	struct media_sdp out;
	const char *sa = mt_sdp(40000, "0 8", "sendrecv", 1);
	const char *sb = mt_sdp(40010, "0", "sendrecv", 1);

	mt_opts(&o, &g_conf, &g_owner);
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, sb, strlen(sb), &out), -EPROTO);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, "garbage", 7, &out), -EINVAL);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	unsigned long long id_b = o_field(out.sdp, 0), ver_b = o_field(out.sdp, 1);
	media_sdp_clear(&out);
	/* Glare: an offer while one is pending. */
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_B, sb, strlen(sb), &out), -EPROTO);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa, strlen(sa), &out), -EPROTO);
	ck_assert_int_eq(media_session_local_offer(s, MEDIA_LEG_A, &out), -EPROTO);
	/* B rejects: back to the agreed (empty) state, A may offer again and
	 * B's o= keeps its id. */
	media_session_offer_rejected(s, MEDIA_LEG_B);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	ck_assert_uint_eq(o_field(out.sdp, 0), id_b);
	media_sdp_clear(&out);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	unsigned long long id_a = o_field(out.sdp, 0), ver_a = o_field(out.sdp, 1);
	ck_assert_uint_ne(id_a, id_b);
	media_sdp_clear(&out);
	/* The same re-offer: same o= on B (version unchanged). */
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	ck_assert_uint_eq(o_field(out.sdp, 0), id_b);
	ck_assert_uint_eq(o_field(out.sdp, 1), ver_b);
	media_sdp_clear(&out);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	ck_assert_uint_eq(o_field(out.sdp, 1), ver_a);
	media_sdp_clear(&out);
	/* A changed offer (hold): B's version goes up by one. */
	const char *hold = mt_sdp(40000, "0 8", "sendonly", 2);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, hold, strlen(hold), &out), 0);
	ck_assert_uint_eq(o_field(out.sdp, 0), id_b);
	ck_assert_uint_eq(o_field(out.sdp, 1), ver_b + 1);
	media_sdp_clear(&out);
	media_session_offer_rejected(s, MEDIA_LEG_B);
	/* No codec in common with B's preference. */
	media_session_destroy(s);
	static const char *const only_g722[] = { "G722", NULL };
	o.leg[1].codecs = only_g722;
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa, strlen(sa), &out), -ENOTSUP);
	ck_assert_ptr_null(out.sdp);
	media_session_destroy(s);
}
END_TEST

static const char *t38_sdp(unsigned port, unsigned ver)
{
	static char buf[2][512];
	static int k;
	char *b = buf[k++ & 1];
	snprintf(b, sizeof buf[0],
		 "v=0\r\no=peer 7 %u IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio 0 RTP/AVP 0\r\nm=image %u udptl t38\r\na=T38FaxVersion:0\r\n"
		 "a=T38MaxBitRate:14400\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n", ver, port);
	return b;
}

/* T.38 (media.h): a re-offer with only m=image udptl is relayed with its
 * attributes; a refusal (port 0) goes back and keeps the audio; accepted, a
 * local offer on the leg repeats m=image; the legs report codec t38. */
START_TEST(t38_reoffer)
{
	struct media_session_opts o;
	media_session_t *s;
	struct media_sdp out;
	struct media_leg_stats st[2];
	const char *sa = mt_sdp(40000, "0", "sendrecv", 1);
	const char *sb = mt_sdp(40010, "0", "sendrecv", 1);

	mt_opts(&o, &g_conf, &g_owner);
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa, strlen(sa), &out), 0);
	media_sdp_clear(&out);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	media_sdp_clear(&out);

	/* refused: the answer goes back with m=image 0, the audio stays */
	const char *fa = t38_sdp(40100, 2);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, fa, strlen(fa), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "m=audio 0 "));
	ck_assert_ptr_nonnull(strstr(out.sdp, "a=T38FaxVersion:0"));
	ck_assert_ptr_null(strstr(out.sdp, "m=image 0 "));
	media_sdp_clear(&out);
	const char *no = "v=0\r\no=b 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			 "m=audio 0 RTP/AVP 0\r\nm=image 0 udptl t38\r\n";
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, no, strlen(no), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "m=image 0 udptl t38"));
	media_sdp_clear(&out);
	media_session_stats(s, st);
	ck_assert_str_eq(st[0].codec, "PCMU/8000");
	ck_assert_str_eq(st[1].codec, "PCMU/8000");

	/* accepted */
	fa = t38_sdp(40100, 3);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, fa, strlen(fa), &out), 0);
	media_sdp_clear(&out);
	const char *fb = t38_sdp(40110, 2);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, fb, strlen(fb), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "m=image "));
	ck_assert_ptr_null(strstr(out.sdp, "m=image 0 "));
	ck_assert_ptr_nonnull(strstr(out.sdp, "a=T38MaxBitRate:14400"));
	media_sdp_clear(&out);
	media_session_stats(s, st);
	ck_assert_str_eq(st[0].codec, "t38");
	ck_assert_str_eq(st[1].codec, "t38");
	/* an offer without SDP from A (a refresh re-INVITE) gets m=image */
	ck_assert_int_eq(media_session_local_offer(s, MEDIA_LEG_A, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "udptl t38"));
	media_sdp_clear(&out);
	media_session_offer_rejected(s, MEDIA_LEG_A);
	/* and back to audio */
	const char *sa2 = mt_sdp(40000, "0", "sendrecv", 4);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa2, strlen(sa2), &out), 0);
	media_sdp_clear(&out);
	const char *sb2 = mt_sdp(40010, "0", "sendrecv", 3);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, sb2, strlen(sb2), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "m=audio "));
	media_sdp_clear(&out);
	media_session_stats(s, st);
	ck_assert_str_eq(st[0].codec, "PCMU/8000");
	media_session_destroy(s);
}
END_TEST

static int g_cb_after_destroy;

static void counting_cb(media_session_t *s, const struct media_event *ev, void *arg)
{
	g_cb_after_destroy++;
}

/* Events already queued for the owner are dropped once the session is
 * destroyed (run under ASan: no use after free either). */
START_TEST(no_callback_after_destroy)
{
	struct media_session_opts o;
	struct mt_call c;
	uint8_t payload[160] = { 0 };

	mt_opts(&o, &g_conf, &g_owner);
	o.cb = counting_cb;
	mt_call_setup(&c, g_mc, &o);
	for (int i = 0; i < 5; i++) {
		mt_send_rtp(c.a.rtp, c.ga, 0, (uint16_t)i, 160u * (unsigned)i, 1, payload, 160);
		mt_send_rtp(c.b.rtp, c.gb, 0, (uint16_t)i, 160u * (unsigned)i, 2, payload, 160);
	}
	usleep(300000);             /* events are now in the owner queue, undrained */
	media_session_destroy(c.s);
	c.s = NULL;
	mt_pump(&g_owner, 300);
	ck_assert_int_eq(g_cb_after_destroy, 0);
	mt_phone_close(&c.a);
	mt_phone_close(&c.b);

	/* And the same session kept alive delivers them. */
	mt_call_setup(&c, g_mc, &o);
	mt_send_rtp(c.a.rtp, c.ga, 0, 1, 160, 1, payload, 160);
	usleep(100000);
	mt_pump(&g_owner, 100);
	ck_assert_int_ge(g_cb_after_destroy, 2);    /* first packet + latched */
	mt_call_teardown(&c);
}
END_TEST

/* Many sessions spread over the workers; everything comes back. */
START_TEST(many_sessions)
{
	struct media_session_opts o;
	media_session_t *s[50];
	struct media_core_stats cs;

	mt_opts(&o, &g_conf, &g_owner);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 50; i++)
			ck_assert_int_eq(media_session_new(g_mc, &o, &s[i]), 0);
		media_core_stats(g_mc, &cs);
		ck_assert_uint_eq(cs.sessions, 50);
		ck_assert_uint_eq(cs.ports_in_use, 200);
		for (int i = 0; i < 50; i++)
			media_session_destroy(s[i]);
		media_core_stats(g_mc, &cs);
		ck_assert_uint_eq(cs.sessions, 0);
		/* Workers give the ports back asynchronously, promptly. */
		uint64_t t0 = mt_now_ms();
		while (cs.ports_in_use && mt_now_ms() - t0 < 1000) {
			usleep(1000);
			media_core_stats(g_mc, &cs);
		}
		ck_assert_msg(cs.ports_in_use == 0, "round %d: %u ports still in use", round,
			      cs.ports_in_use);
	}
}
END_TEST

static Suite *media_suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("relay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, relay_both_ways);
	tcase_add_test(tc, port_exhaustion);
	tcase_add_test(tc, port_in_use_skipped);
	tcase_add_test(tc, reoffer_new_address);
	tcase_add_test(tc, answer_update_fork);
	tcase_add_test(tc, rtcp_relayed);
	tcase_add_test(tc, ssrc_change_continuity);
	tcase_add_test(tc, late_offer_flow);
	tcase_add_test(tc, sdp_state_machine);
	tcase_add_test(tc, t38_reoffer);
	tcase_add_test(tc, no_callback_after_destroy);
	tcase_add_test(tc, many_sessions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(media_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
