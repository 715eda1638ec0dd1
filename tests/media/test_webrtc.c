/* test_webrtc.c - the WebRTC media building blocks, without sockets:
 * STUN (RFC 5769 test vector, integrity, fingerprint), the ICE-lite
 * responder (wrong password, bad fingerprint and wrong ufrag ignored,
 * nomination, peer-reflexive source, consent expiry), SDES a=crypto
 * parse/print and SRTP both ways, DTLS-SRTP handshakes between two
 * in-memory endpoints (keys agree, fingerprint mismatch fails, a silent
 * peer runs out of retransmissions). */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtls.h"
#include "media/ice.h"
#include "media/srtp.h"
#include "media/stun.h"

/* RFC 5769 section 2.1: sample request (short-term credentials). */
static const uint8_t rfc5769_req[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};
#define RFC5769_PWD "VOkJxbRl1RmTxUk/WvJxBt"

START_TEST(stun_rfc5769)
{
	struct stun_msg m;
	ck_assert_int_eq(stun_parse(rfc5769_req, sizeof(rfc5769_req), &m), 0);
	ck_assert_uint_eq(m.type, STUN_BINDING_REQUEST);
	ck_assert_uint_eq(m.username_len, 9);
	ck_assert(memcmp(m.username, "evtj:h6vY", 9) == 0);
	ck_assert(m.has_priority);
	ck_assert_uint_eq(m.priority, 0x6e0001ff);
	ck_assert(m.controlled);
	ck_assert(stun_fingerprint_ok(rfc5769_req, sizeof(rfc5769_req), &m));
	ck_assert(stun_integrity_ok(rfc5769_req, sizeof(rfc5769_req), &m, RFC5769_PWD, strlen(RFC5769_PWD)));
	ck_assert(!stun_integrity_ok(rfc5769_req, sizeof(rfc5769_req), &m, "wrong", 5));
	uint8_t bad[sizeof(rfc5769_req)];
	memcpy(bad, rfc5769_req, sizeof(bad));
	bad[sizeof(bad) - 1] ^= 1;
	ck_assert(!stun_fingerprint_ok(bad, sizeof(bad), &m));
	/* Truncations and garbage are refused, never read past the end. */
	for (size_t l = 0; l < sizeof(rfc5769_req); l++)
		ck_assert_int_eq(stun_parse(rfc5769_req, l, &m), -EINVAL);
}
END_TEST

START_TEST(stun_response_roundtrip)
{
	uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, out[STUN_MAX_MSG];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(40000) };
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	int n = stun_binding_success(out, sizeof(out), tid, (struct sockaddr *)&sin, "pass", 4);
	ck_assert_int_gt(n, 0);
	struct stun_msg m;
	ck_assert_int_eq(stun_parse(out, (size_t)n, &m), 0);
	ck_assert_uint_eq(m.type, STUN_BINDING_SUCCESS);
	ck_assert(memcmp(m.tid, tid, 12) == 0);
	ck_assert(m.has_xor_mapped);
	const struct sockaddr_in *got = (const struct sockaddr_in *)&m.mapped;
	ck_assert_uint_eq(ntohs(got->sin_port), 40000);
	ck_assert_uint_eq(got->sin_addr.s_addr, sin.sin_addr.s_addr);
	ck_assert(stun_integrity_ok(out, (size_t)n, &m, "pass", 4));
	ck_assert(stun_fingerprint_ok(out, (size_t)n, &m));
	ck_assert_int_eq(stun_binding_success(out, 30, tid, (struct sockaddr *)&sin, "pass", 4), -ENOSPC);
}
END_TEST

/* A browser-like check toward 'ice' from 'from'. */
static int check(struct ice_lite *ice, const char *user, const char *pwd, bool nominate,
		 const na_addr_t *from, uint64_t now, unsigned *ev, int corrupt)
{
	uint8_t req[STUN_MAX_MSG], resp[STUN_MAX_MSG], tid[12] = { 9 };
	int n = stun_binding_request(req, sizeof(req), tid, user, 12345, nominate, 42, pwd, strlen(pwd));
	ck_assert_int_gt(n, 0);
	if (corrupt)
		req[n - 1] ^= 0x55;     /* FINGERPRINT */
	int r = ice_lite_on_stun(ice, req, (size_t)n, from, now, resp, sizeof(resp), ev);
	if (r > 0) {
		struct stun_msg m;
		ck_assert_int_eq(stun_parse(resp, (size_t)r, &m), 0);
		ck_assert(stun_integrity_ok(resp, (size_t)r, &m, ice->lpwd, strlen(ice->lpwd)));
		ck_assert(stun_fingerprint_ok(resp, (size_t)r, &m));
		ck_assert(m.has_xor_mapped);
	}
	return r;
}

START_TEST(ice_lite_checks)
{
	struct ice_lite ice;
	na_addr_t a, b;
	unsigned ev;
	char user[64];
	ck_assert_int_eq(ice_lite_init(&ice, 1000), 0);
	ck_assert_uint_eq(strlen(ice.lufrag), ICE_UFRAG_LEN);
	ck_assert_uint_eq(strlen(ice.lpwd), ICE_PWD_LEN);
	ice_lite_set_remote(&ice, "brwsr", 1000);
	na_from_str(&a, "127.0.0.1", 5000);
	na_from_str(&b, "127.0.0.2", 6000);
	snprintf(user, sizeof(user), "%s:brwsr", ice.lufrag);

	/* Wrong password, bad FINGERPRINT, wrong ufrag: ignored, no selection. */
	ck_assert_int_eq(check(&ice, user, "not-the-password-at-all", false, &a, 1100, &ev, 0), 0);
	ck_assert_int_eq(check(&ice, user, ice.lpwd, false, &a, 1100, &ev, 1), 0);
	ck_assert_int_eq(check(&ice, "xxxxxxxx:brwsr", ice.lpwd, false, &a, 1100, &ev, 0), 0);
	ck_assert_uint_eq(ice.checks_ignored, 3);
	ck_assert(!ice.have_selected);

	/* A valid check selects its source; a nomination from another source
	 * (peer-reflexive) moves media there and sticks. */
	ck_assert_int_gt(check(&ice, user, ice.lpwd, false, &a, 2000, &ev, 0), 0);
	ck_assert_uint_eq(ev, ICE_EV_SELECTED);
	ck_assert(na_equal(&ice.selected, &a));
	ck_assert_int_gt(check(&ice, user, ice.lpwd, true, &b, 3000, &ev, 0), 0);
	ck_assert_uint_eq(ev, ICE_EV_SELECTED);
	ck_assert(ice.nominated && na_equal(&ice.selected, &b));
	ck_assert_int_gt(check(&ice, user, ice.lpwd, false, &a, 4000, &ev, 0), 0);
	ck_assert_uint_eq(ev, 0);
	ck_assert(na_equal(&ice.selected, &b));

	/* Consent: checks keep it; 30 s without one expires it. */
	ck_assert(!ice_lite_consent_expired(&ice, 33999, ICE_CONSENT_TIMEOUT_MS));
	ck_assert(ice_lite_consent_expired(&ice, 34000, ICE_CONSENT_TIMEOUT_MS));
	/* Invalid checks do not refresh consent. */
	check(&ice, user, "bad-password-0123456789", false, &b, 33000, &ev, 0);
	ck_assert(ice_lite_consent_expired(&ice, 34000, ICE_CONSENT_TIMEOUT_MS));
	/* ICE restart: new peer ufrag forgets the selection. */
	ice_lite_set_remote(&ice, "other", 35000);
	ck_assert(!ice.have_selected && !ice.nominated);
	ck_assert(!ice_lite_consent_expired(&ice, 35000, ICE_CONSENT_TIMEOUT_MS));
}
END_TEST

START_TEST(sdes_parse_print)
{
	struct msrtp_crypto c;
	const char *l = "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20";
	ck_assert_int_eq(msrtp_crypto_parse(l, strlen(l), &c), 0);
	ck_assert_uint_eq(c.tag, 1);
	ck_assert_int_eq(c.keys.suite, MSRTP_AES_CM_128_HMAC_SHA1_80);
	ck_assert(memcmp(c.keys.key, "YS___semctl () {", 16) == 0);
	char out[128];
	ck_assert_int_gt(msrtp_crypto_format(&c, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz");

	struct msrtp_crypto g, g2;
	ck_assert_int_eq(msrtp_keys_random(MSRTP_AEAD_AES_128_GCM, &g.keys), 0);
	g.tag = 2;
	ck_assert_int_gt(msrtp_crypto_format(&g, out, sizeof(out)), 0);
	ck_assert_int_eq(msrtp_crypto_parse(out, strlen(out), &g2), 0);
	ck_assert_int_eq(g2.keys.suite, MSRTP_AEAD_AES_128_GCM);
	ck_assert(memcmp(g.keys.key, g2.keys.key, 28) == 0);

	static const char *unsupported[] = {
		"1 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTP",
	};
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(msrtp_crypto_parse(unsupported[i], strlen(unsupported[i]), &c), -ENOTSUP);
	static const char *bad[] = {
		"", "x AES_CM_128_HMAC_SHA1_80 inline:WVNf", "1 AES_CM_128_HMAC_SHA1_80 inline:",
		"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVu",
		"1 AES_CM_128_HMAC_SHA1_80 key:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
	};
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(msrtp_crypto_parse(bad[i], strlen(bad[i]), &c), -EINVAL);
}
END_TEST

static size_t rtp_pkt(uint8_t *p, uint16_t seq)
{
	memset(p, 0, 12 + 160);
	p[0] = 0x80; p[2] = (uint8_t)(seq >> 8); p[3] = (uint8_t)seq;
	p[8] = 0x11; p[11] = 0x22;
	for (int i = 0; i < 160; i++)
		p[12 + i] = (uint8_t)i;
	return 172;
}

/* a protects, b unprotects; tampering and replays fail. */
static void srtp_pair_check(struct msrtp *a, struct msrtp *b)
{
	uint8_t pkt[256], ref[256];
	for (uint16_t seq = 1; seq < 20; seq++) {
		size_t len = rtp_pkt(pkt, seq);
		memcpy(ref, pkt, len);
		ck_assert_int_eq(msrtp_protect(a, pkt, &len, sizeof(pkt)), 0);
		ck_assert_uint_gt(len, 172);
		ck_assert(memcmp(pkt + 12, ref + 12, 160) != 0);
		uint8_t copy[256];
		size_t clen = len;
		memcpy(copy, pkt, len);
		ck_assert_int_eq(msrtp_unprotect(b, pkt, &len), 0);
		ck_assert_uint_eq(len, 172);
		ck_assert(memcmp(pkt, ref, 172) == 0);
		ck_assert_int_eq(msrtp_unprotect(b, copy, &clen), -EACCES);  /* replay */
	}
	size_t len = rtp_pkt(pkt, 100);
	ck_assert_int_eq(msrtp_protect(a, pkt, &len, sizeof(pkt)), 0);
	pkt[50] ^= 1;
	ck_assert_int_eq(msrtp_unprotect(b, pkt, &len), -EACCES);
	/* RTCP: an empty RR. */
	uint8_t rr[64] = { 0x80, 201, 0, 1, 0, 0, 0x11, 0x22 };
	len = 8;
	ck_assert_int_eq(msrtp_protect_rtcp(a, rr, &len, sizeof(rr)), 0);
	ck_assert_int_eq(msrtp_unprotect_rtcp(b, rr, &len), 0);
	ck_assert_uint_eq(len, 8);
	len = 172;
	ck_assert_int_eq(msrtp_protect(a, pkt, &len, 180), -ENOSPC);
}

START_TEST(srtp_sdes_both_suites)
{
	enum msrtp_suite s[] = { MSRTP_AES_CM_128_HMAC_SHA1_80, MSRTP_AEAD_AES_128_GCM };
	for (int i = 0; i < 2; i++) {
		struct msrtp_keys k1, k2;
		struct msrtp *a, *b;
		ck_assert_int_eq(msrtp_keys_random(s[i], &k1), 0);
		ck_assert_int_eq(msrtp_keys_random(s[i], &k2), 0);
		ck_assert_int_eq(msrtp_new(&k1, &k2, &a), 0);
		ck_assert_int_eq(msrtp_new(&k2, &k1, &b), 0);
		srtp_pair_check(a, b);
		srtp_pair_check(b, a);
		msrtp_free(a);
		msrtp_free(b);
	}
}
END_TEST

static struct mdtls_cert *cert_a, *cert_b;

static void certs(void)
{
	if (!cert_a) {
		ck_assert_int_eq(mdtls_cert_new(NULL, NULL, &cert_a), 0);
		ck_assert_int_eq(mdtls_cert_new(NULL, NULL, &cert_b), 0);
	}
}

/* Shuttle datagrams between two handshakes until both settle. */
static void pump(struct mdtls *c, struct mdtls *s, int max_rounds)
{
	uint8_t buf[1500];
	for (int r = 0; r < max_rounds; r++) {
		size_t n;
		bool moved = false;
		while ((n = mdtls_output(c, buf, sizeof(buf))) > 0) {
			ck_assert_uint_le(n, 1200);
			ck_assert(mdtls_is_candidate(buf, n));
			mdtls_input(s, buf, n);
			moved = true;
		}
		while ((n = mdtls_output(s, buf, sizeof(buf))) > 0) {
			mdtls_input(c, buf, n);
			moved = true;
		}
		if (!moved)
			break;
	}
}

START_TEST(dtls_handshake_keys)
{
	certs();
	const char *fpa = mdtls_cert_fingerprint(cert_a), *fpb = mdtls_cert_fingerprint(cert_b);
	ck_assert_uint_eq(strlen(fpa), 8 + 32 * 3 - 1);
	ck_assert(strncmp(fpa, "sha-256 ", 8) == 0);
	struct mdtls *c, *s;
	ck_assert_int_eq(mdtls_new(cert_a, true, fpb, &c), 0);
	ck_assert_int_eq(mdtls_new(cert_b, false, fpa, &s), 0);
	/* The passive side never speaks first. */
	uint8_t buf[1500];
	ck_assert_int_eq(mdtls_start(s), 0);
	ck_assert_uint_eq(mdtls_output(s, buf, sizeof(buf)), 0);
	ck_assert_int_eq(mdtls_start(c), 0);
	pump(c, s, 10);
	ck_assert_int_eq(mdtls_state(c), MDTLS_CONNECTED);
	ck_assert_int_eq(mdtls_state(s), MDTLS_CONNECTED);
	struct msrtp_keys ctx, crx, stx, srx;
	ck_assert_int_eq(mdtls_srtp_keys(c, &ctx, &crx), 0);
	ck_assert_int_eq(mdtls_srtp_keys(s, &stx, &srx), 0);
	ck_assert_int_eq(ctx.suite, MSRTP_AEAD_AES_128_GCM);    /* our preference */
	ck_assert(memcmp(&ctx, &srx, sizeof(ctx)) == 0);
	ck_assert(memcmp(&crx, &stx, sizeof(crx)) == 0);
	ck_assert(memcmp(&ctx, &crx, sizeof(ctx)) != 0);
	struct msrtp *a, *b;
	ck_assert_int_eq(msrtp_new(&ctx, &crx, &a), 0);
	ck_assert_int_eq(msrtp_new(&stx, &srx, &b), 0);
	srtp_pair_check(a, b);
	srtp_pair_check(b, a);
	msrtp_free(a);
	msrtp_free(b);
	mdtls_free(c);
	mdtls_free(s);
}
END_TEST

START_TEST(dtls_fingerprint_mismatch)
{
	certs();
	struct mdtls *c, *s;
	/* The server expects cert_b's fingerprint but the client shows cert_a. */
	ck_assert_int_eq(mdtls_new(cert_a, true, mdtls_cert_fingerprint(cert_b), &c), 0);
	ck_assert_int_eq(mdtls_new(cert_b, false, mdtls_cert_fingerprint(cert_b), &s), 0);
	ck_assert_int_eq(mdtls_start(c), 0);
	pump(c, s, 10);
	ck_assert_int_eq(mdtls_state(s), MDTLS_FAILED);
	ck_assert_str_eq(mdtls_error(s), "fingerprint mismatch");
	ck_assert_int_ne(mdtls_state(c), MDTLS_CONNECTED);
	struct msrtp_keys tx, rx;
	ck_assert_int_eq(mdtls_srtp_keys(s, &tx, &rx), -ENOTSUP);
	mdtls_free(c);
	mdtls_free(s);
	/* Malformed or non-sha-256 fingerprints are refused up front. */
	ck_assert_int_eq(mdtls_new(cert_a, true, "sha-1 AB:CD", &c), -ENOTSUP);
	ck_assert_int_eq(mdtls_new(cert_a, true, "sha-256 AB:CD", &c), -EINVAL);
}
END_TEST

START_TEST(dtls_silent_peer)
{
	certs();
	struct mdtls *c;
	uint8_t buf[1500];
	ck_assert_int_eq(mdtls_new(cert_a, true, mdtls_cert_fingerprint(cert_b), &c), 0);
	ck_assert_int_eq(mdtls_start(c), 0);
	ck_assert_uint_gt(mdtls_output(c, buf, sizeof(buf)), 0);
	long t = mdtls_timeout_ms(c);
	ck_assert(t > 0 && t <= 1000);
	/* Nobody answers: the caller's own handshake deadline ends the call;
	 * the timer keeps retransmitting the ClientHello until then. */
	mdtls_on_timer(c);
	ck_assert_int_eq(mdtls_state(c), MDTLS_HANDSHAKING);
	mdtls_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("webrtc");
	TCase *tc = tcase_create("units");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, stun_rfc5769);
	tcase_add_test(tc, stun_response_roundtrip);
	tcase_add_test(tc, ice_lite_checks);
	tcase_add_test(tc, sdes_parse_print);
	tcase_add_test(tc, srtp_sdes_both_suites);
	tcase_add_test(tc, dtls_handshake_keys);
	tcase_add_test(tc, dtls_fingerprint_mismatch);
	tcase_add_test(tc, dtls_silent_peer);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mdtls_cert_free(cert_a);
	mdtls_cert_free(cert_b);
	return failed ? 1 : 0;
}
