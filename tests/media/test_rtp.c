/* test_rtp.c - pure functions of the media plane: RTP/RTCP validation,
 * RTCP SSRC mapping, stream continuity mapping, SDP operations of the
 * session (stream choice, codec filter, endpoint answers, local offers), and
 * the milliwatt table. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/endpoint.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/sdp_ops.h"

START_TEST(rtp_parse_valid)
{
	uint8_t p[64] = { 0 };
	struct rtp_hdr h;

	rtp_write_hdr(p, 8, true, 0x1234, 0xdeadbeef, 0xcafebabe);
	ck_assert_int_eq(rtp_parse(p, 12 + 20, &h), 0);
	ck_assert_uint_eq(h.pt, 8);
	ck_assert(h.marker);
	ck_assert_uint_eq(h.seq, 0x1234);
	ck_assert_uint_eq(h.ts, 0xdeadbeef);
	ck_assert_uint_eq(h.ssrc, 0xcafebabe);
	ck_assert_uint_eq(h.hdr_len, 12);
	ck_assert_uint_eq(h.payload_len, 20);

	/* Two CSRCs, a one-word extension, 3 bytes of padding. */
	p[0] = 0x80 | 0x20 | 0x10 | 2;
	rtp_put16(p + 20 + 2, 1);
	p[31] = 0;
	p[39] = 3;
	ck_assert_int_eq(rtp_parse(p, 40, &h), 0);
	ck_assert_uint_eq(h.cc, 2);
	ck_assert(h.ext);
	ck_assert_uint_eq(h.hdr_len, 12 + 8 + 4 + 4);
	ck_assert_uint_eq(h.pad, 3);
	ck_assert_uint_eq(h.payload_len, 40 - 28 - 3);
}
END_TEST

START_TEST(rtp_parse_invalid)
{
	uint8_t p[64] = { 0 };
	struct rtp_hdr h;

	rtp_write_hdr(p, 0, false, 1, 2, 3);
	ck_assert_int_eq(rtp_parse(p, 11, &h), -EINVAL);           /* short */
	p[0] = 0x40;
	ck_assert_int_eq(rtp_parse(p, 20, &h), -EINVAL);           /* version 1 */
	p[0] = 0x8f;
	ck_assert_int_eq(rtp_parse(p, 20, &h), -EINVAL);           /* 15 CSRCs > len */
	p[0] = 0x90;
	rtp_put16(p + 14, 100);
	ck_assert_int_eq(rtp_parse(p, 20, &h), -EINVAL);           /* extension > len */
	p[0] = 0xa0;
	p[19] = 0;
	ck_assert_int_eq(rtp_parse(p, 20, &h), -EINVAL);           /* padding 0 */
	p[19] = 9;
	ck_assert_int_eq(rtp_parse(p, 20, &h), -EINVAL);           /* padding into header */
	p[19] = 8;
	ck_assert_int_eq(rtp_parse(p, 20, &h), 0);                 /* exactly all payload */
	ck_assert_uint_eq(h.payload_len, 0);
	/* RTCP on the RTP port: 0x80 0xc8 reads as marker + PT 72. */
	p[0] = 0x80;
	p[1] = 0xc8;
	ck_assert_int_eq(rtp_parse(p, 28, &h), -EINVAL);
	p[1] = 75;                  /* and those PTs are never RTP, marker or not */
	ck_assert_int_eq(rtp_parse(p, 28, &h), -EINVAL);
	p[1] = 77;
	ck_assert_int_eq(rtp_parse(p, 28, &h), 0);
}
END_TEST

static size_t make_sr(uint8_t *p, uint32_t ssrc, uint32_t rep)
{
	memset(p, 0, 52);
	p[0] = 0x81;
	p[1] = 200;
	rtp_put16(p + 2, 12);
	rtp_put32(p + 4, ssrc);
	rtp_put32(p + 28, rep);
	return 52;
}

START_TEST(rtcp_validate_and_map)
{
	uint8_t p[128];
	size_t n = make_sr(p, 0x11, 0x22);

	/* Append a BYE. */
	p[n] = 0x81;
	p[n + 1] = 203;
	rtp_put16(p + n + 2, 1);
	rtp_put32(p + n + 4, 0x11);
	n += 8;
	ck_assert_int_eq(rtcp_validate(p, n), 2);
	ck_assert_int_eq(rtcp_validate(p, n - 1), -EINVAL);
	ck_assert_int_eq(rtcp_validate(p, 3), -EINVAL);
	ck_assert_uint_eq(rtcp_map_ssrc(p, n, 0x11, 0x99, 0x22, 0x88), 2);
	ck_assert_uint_eq(rtp_get32(p + 4), 0x99);
	ck_assert_uint_eq(rtp_get32(p + 28), 0x88);
	ck_assert_uint_eq(rtp_get32(p + 56), 0x11);     /* BYE untouched */
	ck_assert_uint_eq(rtcp_map_ssrc(p, n, 0x11, 0x11, 0x5, 0x5), 0);

	/* Report count larger than the length. */
	p[0] = 0x83;
	ck_assert_int_eq(rtcp_validate(p, n), -EINVAL);
	/* Padding on a packet that is not the last. */
	p[0] = 0xa1;
	ck_assert_int_eq(rtcp_validate(p, n), -EINVAL);
	/* Not RTCP at all. */
	p[0] = 0x81;
	p[1] = 100;
	ck_assert_int_eq(rtcp_validate(p, n), -EINVAL);
}
END_TEST

static void pkt(uint8_t *p, struct rtp_hdr *h, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	rtp_write_hdr(p, 0, false, seq, ts, ssrc);
	ck_assert_int_eq(rtp_parse(p, 172, h), 0);
}

START_TEST(outmap_passthrough_then_change)
{
	struct rtp_outmap m;
	uint8_t p[172] = { 0 };
	struct rtp_hdr h;

	rtp_outmap_init(&m);
	for (int i = 0; i < 10; i++) {
		pkt(p, &h, (uint16_t)(65530 + i), 4294967000u + 160u * (unsigned)i, 0xa);
		ck_assert(!rtp_outmap_apply(&m, p, &h, 1000 + 20u * (unsigned)i, 8000));
		ck_assert_uint_eq(rtp_get16(p + 2), (uint16_t)(65530 + i));   /* untouched */
		ck_assert_uint_eq(rtp_get32(p + 8), 0xa);
	}
	uint16_t last_seq = rtp_get16(p + 2);
	uint32_t last_ts = rtp_get32(p + 4);
	/* New source 100 ms later. */
	pkt(p, &h, 7, 123456, 0xb);
	ck_assert(rtp_outmap_apply(&m, p, &h, 1000 + 20 * 9 + 100, 8000));
	ck_assert_uint_eq(rtp_get32(p + 8), 0xa);
	ck_assert_uint_eq(rtp_get16(p + 2), (uint16_t)(last_seq + 1));
	ck_assert_uint_eq(rtp_get32(p + 4), last_ts + 800);
	ck_assert(p[1] & 0x80);
	pkt(p, &h, 8, 123456 + 160, 0xb);
	ck_assert(!rtp_outmap_apply(&m, p, &h, 1000 + 20 * 9 + 120, 8000));
	ck_assert_uint_eq(rtp_get16(p + 2), (uint16_t)(last_seq + 2));
	ck_assert_uint_eq(rtp_get32(p + 4), last_ts + 960);
	ck_assert(!(p[1] & 0x80));
	ck_assert_uint_eq(m.changes, 1);

	/* A change with no time elapsed still moves on by one frame. */
	pkt(p, &h, 500, 1, 0xc);
	ck_assert(rtp_outmap_apply(&m, p, &h, 1000 + 20 * 9 + 120, 48000));
	ck_assert_uint_eq(rtp_get32(p + 4), last_ts + 960 + 960);
}
END_TEST

START_TEST(outmap_own_stream)
{
	struct rtp_outmap m;
	uint8_t p[172] = { 0 };
	struct rtp_hdr h;

	rtp_outmap_init_own(&m, 0x77, 1000, 50000);
	pkt(p, &h, 10, 160, 0xa);
	rtp_outmap_apply(&m, p, &h, 5, 8000);
	ck_assert_uint_eq(rtp_get32(p + 8), 0x77);
	ck_assert_uint_eq(rtp_get16(p + 2), 1010);
	ck_assert_uint_eq(rtp_get32(p + 4), 50160);
	/* A late (reordered) packet does not move the continuation point back. */
	pkt(p, &h, 12, 480, 0xa);
	rtp_outmap_apply(&m, p, &h, 45, 8000);
	pkt(p, &h, 11, 320, 0xa);
	rtp_outmap_apply(&m, p, &h, 46, 8000);
	ck_assert_uint_eq(rtp_get16(p + 2), 1011);
	ck_assert_uint_eq(m.last_seq, 1012);
}
END_TEST

static const char *OFFER =
	"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	"m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
	"m=audio 4000 RTP/AVP 111 9 0 8 101\r\na=rtpmap:111 opus/48000/2\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";

START_TEST(sdp_ops_pick_filter)
{
	struct msdp *m = calloc(1, sizeof *m);
	static const char *const prefs[] = { "PCMA", "opus/48000/2", NULL };
	static const char *const none[] = { "GSM", NULL };

	ck_assert_int_eq(msdp_parse(OFFER, strlen(OFFER), m, NULL, 0), 0);
	ck_assert_int_eq(sdpo_pick_stream(m), 1);           /* audio over video */
	ck_assert_int_eq(sdpo_filter_codecs(&m->streams[1], prefs), 0);
	ck_assert_uint_eq(m->streams[1].ncodecs, 3);        /* opus, PCMA, telephone-event */
	ck_assert_uint_eq(m->streams[1].codecs[0].pt, 111);
	ck_assert_uint_eq(m->streams[1].codecs[1].pt, 8);
	ck_assert_uint_eq(m->streams[1].codecs[2].pt, 101);
	ck_assert_int_eq(sdpo_filter_codecs(&m->streams[1], none), -ENOTSUP);
	sdpo_only_stream(m, 1);
	ck_assert_uint_eq(m->streams[0].port, 0);
	msdp_clear(m);
	free(m);
}
END_TEST

START_TEST(sdp_ops_endpoint_answers)
{
	struct msdp *m = calloc(1, sizeof *m), *a = calloc(1, sizeof *a);
	int idx, pt, law;
	bool send;

	ck_assert_int_eq(msdp_parse(OFFER, strlen(OFFER), m, NULL, 0), 0);
	ck_assert_int_eq(sdpo_endpoint_answer(m, MEDIA_ENDPOINT_MILLIWATT, a, &idx, &pt, &law, &send), 0);
	ck_assert_int_eq(idx, 1);
	ck_assert_int_eq(pt, 0);
	ck_assert_int_eq(law, 0);
	ck_assert(!send);                                   /* offer sendonly -> recvonly */
	ck_assert_int_eq(a->streams[1].dir, MSDP_RECVONLY);
	ck_assert_uint_eq(a->streams[0].port, 0);
	msdp_clear(a);
	ck_assert_int_eq(sdpo_endpoint_answer(m, MEDIA_ENDPOINT_ECHO, a, &idx, &pt, &law, &send), 0);
	ck_assert_int_eq(idx, 1);
	ck_assert_int_eq(pt, 111);
	ck_assert_uint_eq(a->streams[1].ncodecs, 1);        /* no telephone-event at 48 kHz */
	ck_assert_uint_eq(a->streams[0].port, 0);
	msdp_clear(a);

	ck_assert_int_eq(sdpo_local_offer(a, NULL), 0);
	ck_assert_uint_eq(a->nstreams, 1);
	ck_assert_uint_eq(a->streams[0].codecs[0].pt, 0);
	ck_assert_str_eq(a->streams[0].codecs[a->streams[0].ncodecs - 1].name, "telephone-event");
	static const char *const bogus[] = { "nosuchcodec", NULL };
	ck_assert_int_eq(sdpo_local_offer(a, bogus), -ENOTSUP);
	msdp_clear(m);
	free(m);
	free(a);
}
END_TEST

START_TEST(tone_table)
{
	static uint8_t u[TONE_TABLE_LEN], a[TONE_TABLE_LEN];
	endpoint_tone_tables(u, a);
	/* A whole number of periods (1004) in the table: it loops without a click. */
	ck_assert_uint_eq((TONE_HZ * TONE_TABLE_LEN) % 8000, 0);
	ck_assert_uint_eq(TONE_TABLE_LEN % TONE_FRAME, 0);
	ck_assert_uint_ne(u[1], u[0]);
	ck_assert_uint_ne(a[1], a[0]);
	ck_assert(fabs(endpoint_0dbm0_peak(0) - 22657) < 5);
}
END_TEST

static Suite *rtp_suite(void)
{
	Suite *s = suite_create("rtp");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, rtp_parse_valid);
	tcase_add_test(tc, rtp_parse_invalid);
	tcase_add_test(tc, rtcp_validate_and_map);
	tcase_add_test(tc, outmap_passthrough_then_change);
	tcase_add_test(tc, outmap_own_stream);
	tcase_add_test(tc, sdp_ops_pick_filter);
	tcase_add_test(tc, sdp_ops_endpoint_answers);
	tcase_add_test(tc, tone_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rtp_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
