/* test_endpoints.c - local endpoints through the media API with real UDP:
 * the milliwatt tone is decoded and measured (frequency by a Goertzel scan,
 * level against the G.711 0 dBm0 reference), the echo returns exactly what
 * was sent. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "media/media.h"
#include "media/rtp.h"
#include "mtest.h"

#define PMIN 36000
#define PMAX 36499

static struct mt_conf g_conf;
static struct mt_owner g_owner;
static media_core_t *g_mc;

static void setup(void)
{
	mt_conf_init(&g_conf, PMIN, PMAX);
	mt_owner_init(&g_owner);
	ck_assert_int_eq(media_core_new(&g_conf.conf, 1, &g_mc), 0);
}

static void teardown(void)
{
	media_core_free(g_mc);
	mt_owner_fini(&g_owner);
}

/* Power of 'f' Hz in x[0..n) sampled at 8 kHz (Goertzel). */
static double goertzel(const double *x, int n, double f)
{
	double w = 2.0 * M_PI * f / 8000.0, c = 2.0 * cos(w), s1 = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* G.711's reference: a sine of 0 dBm0 has a peak 3.17 dB (mu-law) / 3.14 dB
 * (A-law) below the coder's full-scale decision value (8159 << 2 / 4096 << 3
 * in 16-bit units). Independent of the code under test. */
static double level_dbm0(const double *x, int n, bool alaw)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += x[i] * x[i];
	double rms = sqrt(sum / n);
	double peak0 = alaw ? 32768.0 * pow(10, -3.14 / 20) : 32636.0 * pow(10, -3.17 / 20);
	return 20 * log10(rms * sqrt(2.0) / peak0);
}

static void milliwatt(const char *fmts, uint8_t want_pt, bool alaw)
{
	struct media_session_opts o;
	struct mt_phone a;
	media_session_t *s;
	struct media_sdp out;
	uint8_t buf[2048];
	static double x[8000 + 160];
	int nsamp = 0, npk = 0;
	uint16_t last_seq = 0;
	struct rtp_hdr h;

	mt_opts(&o, &g_conf, &g_owner);
	o.leg[1].endpoint = MEDIA_ENDPOINT_MILLIWATT;
	o.leg[1].iface = NULL;
	mt_phone_open(&a);
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	const char *sdp = mt_sdp(a.port, fmts, "sendrecv", 1);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sdp, strlen(sdp), &out), 0);
	ck_assert(!out.is_offer);
	ck_assert_ptr_nonnull(out.sdp);
	uint16_t ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);

	uint64_t t0 = mt_now_ms();
	uint16_t from;
	while (nsamp < 8000 && mt_now_ms() - t0 < 3000) {
		int r = mt_recv(a.rtp, buf, sizeof buf, 100, &from);
		if (r <= 0)
			continue;
		ck_assert_uint_eq(from, ga);
		ck_assert_int_eq(rtp_parse(buf, (size_t)r, &h), 0);
		ck_assert_uint_eq(h.pt, want_pt);
		ck_assert_uint_eq(h.payload_len, 160);
		if (npk)
			ck_assert_uint_eq(h.seq, (uint16_t)(last_seq + 1));
		last_seq = h.seq;
		npk++;
		for (size_t i = 0; i < h.payload_len && nsamp < 8000; i++) {
			uint8_t c = buf[h.hdr_len + i];
			x[nsamp++] = alaw ? alaw_to_linear(c) : ulaw_to_linear(c);
		}
	}
	uint64_t dt = mt_now_ms() - t0;
	ck_assert_int_eq(nsamp, 8000);
	/* Paced at 20 ms: 50 packets take about a second, not a burst. */
	ck_assert_uint_ge(dt, 850);

	double best_f = 0, best_p = 0;
	for (double f = 900; f <= 1100; f += 0.5) {
		double p = goertzel(x, nsamp, f);
		if (p > best_p) {
			best_p = p;
			best_f = f;
		}
	}
	ck_assert_msg(fabs(best_f - 1004) <= 5, "tone at %.1f Hz", best_f);
	double lvl = level_dbm0(x, nsamp, alaw);
	ck_assert_msg(fabs(lvl - 0.0) <= 0.5, "level %.2f dBm0", lvl);

	/* Hold (sendonly from A): the endpoint answers recvonly and goes quiet. */
	const char *hold = mt_sdp(a.port, fmts, "sendonly", 2);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, hold, strlen(hold), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "a=recvonly"));
	media_sdp_clear(&out);
	usleep(100000);
	mt_drain(a.rtp);
	ck_assert_int_lt(mt_recv(a.rtp, buf, sizeof buf, 300, NULL), 0);
	media_session_destroy(s);
	mt_phone_close(&a);
}

START_TEST(milliwatt_pcmu)
{
	milliwatt("0 8 101", 0, false);
}
END_TEST

START_TEST(milliwatt_pcma)
{
	milliwatt("8 0 101", 8, true);
}
END_TEST

START_TEST(milliwatt_needs_g711)
{
	struct media_session_opts o;
	media_session_t *s;
	struct media_sdp out;

	mt_opts(&o, &g_conf, &g_owner);
	o.leg[1].endpoint = MEDIA_ENDPOINT_MILLIWATT;
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	const char *sdp = mt_sdp(40000, "9 111", "sendrecv", 1);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sdp, strlen(sdp), &out), -ENOTSUP);
	ck_assert_ptr_null(out.sdp);
	media_session_destroy(s);
}
END_TEST

START_TEST(echo_returns_payload)
{
	struct media_session_opts o;
	struct mt_phone a;
	media_session_t *s;
	struct media_sdp out;
	uint8_t payload[160], buf[2048];
	struct rtp_hdr h;
	uint32_t essrc = 0;
	uint16_t eseq = 0;
	int got = 0;

	mt_opts(&o, &g_conf, &g_owner);
	o.leg[1].endpoint = MEDIA_ENDPOINT_ECHO;
	o.leg[1].iface = NULL;
	mt_phone_open(&a);
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	/* Echo takes any codec: offer G.722 first. */
	const char *sdp = mt_sdp(a.port, "9 0 101", "sendrecv", 1);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sdp, strlen(sdp), &out), 0);
	ck_assert_ptr_nonnull(strstr(out.sdp, "G722/8000"));
	ck_assert_ptr_nonnull(strstr(out.sdp, "telephone-event/8000"));
	uint16_t ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);

	for (int i = 0; i < 60; i++) {
		for (size_t k = 0; k < sizeof payload; k++)
			payload[k] = (uint8_t)(i * 7 + k);
		mt_send_rtp(a.rtp, ga, 9, (uint16_t)(300 + i), 160u * (unsigned)i, 0xabcdef01,
			    payload, sizeof payload);
		uint16_t from;
		int r = mt_recv(a.rtp, buf, sizeof buf, 200, &from);
		if (r <= 0)
			continue;
		ck_assert_uint_eq(from, ga);
		ck_assert_int_eq(r, 12 + (int)sizeof payload);
		ck_assert_int_eq(rtp_parse(buf, (size_t)r, &h), 0);
		ck_assert_mem_eq(buf + 12, payload, sizeof payload);
		ck_assert_uint_eq(h.pt, 9);
		/* The echo's own stream: never the caller's SSRC back. */
		ck_assert_uint_ne(h.ssrc, 0xabcdef01);
		if (got) {
			ck_assert_uint_eq(h.ssrc, essrc);
			ck_assert_uint_eq(h.seq, (uint16_t)(eseq + 1));
		}
		essrc = h.ssrc;
		eseq = h.seq;
		got++;
		usleep(5000);
	}
	ck_assert_int_ge(got, 57);
	struct media_leg_stats st[2];
	media_session_stats(s, st);
	ck_assert_uint_ge(st[0].packets_in, 60);
	ck_assert_uint_ge(st[0].packets_out, (uint64_t)got);
	ck_assert_str_eq(st[1].codec, "G722/8000");
	media_session_destroy(s);
	mt_phone_close(&a);
}
END_TEST

/* Late offer toward an endpoint: A sent no SDP, the gateway offers G.711. */
START_TEST(milliwatt_late_offer)
{
	struct media_session_opts o;
	struct mt_phone a;
	media_session_t *s;
	struct media_sdp out;
	uint8_t buf[2048];
	struct rtp_hdr h;

	mt_opts(&o, &g_conf, &g_owner);
	o.leg[1].endpoint = MEDIA_ENDPOINT_MILLIWATT;
	mt_phone_open(&a);
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	ck_assert_int_eq(media_session_local_offer(s, MEDIA_LEG_A, &out), 0);
	ck_assert(out.is_offer);
	ck_assert_ptr_nonnull(strstr(out.sdp, "PCMU/8000"));
	ck_assert_ptr_null(strstr(out.sdp, "opus"));
	uint16_t ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	const char *ans = mt_sdp(a.port, "8", "sendrecv", 1);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_A, ans, strlen(ans), &out), 0);
	ck_assert_ptr_null(out.sdp);
	uint16_t from;
	int r = mt_recv(a.rtp, buf, sizeof buf, 500, &from);
	ck_assert_int_gt(r, 0);
	ck_assert_uint_eq(from, ga);
	ck_assert_int_eq(rtp_parse(buf, (size_t)r, &h), 0);
	ck_assert_uint_eq(h.pt, 8);
	media_session_destroy(s);
	mt_phone_close(&a);
}
END_TEST

static Suite *endpoint_suite(void)
{
	Suite *s = suite_create("endpoints");
	TCase *tc = tcase_create("endpoints");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, milliwatt_pcmu);
	tcase_add_test(tc, milliwatt_pcma);
	tcase_add_test(tc, milliwatt_needs_g711);
	tcase_add_test(tc, echo_returns_payload);
	tcase_add_test(tc, milliwatt_late_offer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(endpoint_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
