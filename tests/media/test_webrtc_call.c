/* test_webrtc_call.c - secure legs through the media API with real UDP on
 * 127.0.0.1, the far ends played by this test with the same libraries a
 * browser-side stack uses (OpenSSL DTLS, libsrtp2, STUN):
 *   - a WebRTC-style caller (UDP/TLS/RTP/SAVPF, ICE, DTLS actpass,
 *     rtcp-mux, BUNDLE) bridged to a plain RTP/AVP G.711 phone: the answer
 *     has the right profile and attributes, STUN checks are answered (and a
 *     wrong password or a corrupted FINGERPRINT is not), the handshake
 *     completes, and audio flows both ways (encrypted on the WebRTC leg,
 *     plain on the other, payload checked byte for byte);
 *   - a DTLS fingerprint that does not match the certificate ends the
 *     session (MEDIA_EV_SECURITY_FAILED "fingerprint mismatch");
 *   - a DTLS handshake that never starts ends it after the handshake
 *     timeout (MEDIA_EV_SECURITY_FAILED "DTLS handshake timeout");
 *   - SDES both ways (RTP/SAVP with a=crypto on both legs, AES_CM and GCM);
 *   - with WEBRTC_CONSENT set (slow tier), only: the browser stops its ICE
 *     checks, consent is lost after 30 s and nothing more is sent to it;
 *   - media_security policies refusing what they must. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/dtls.h"
#include "media/media.h"
#include "media/srtp.h"
#include "media/stun.h"
#include "mtest.h"

#define PMIN 33000
#define PMAX 33999

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
	g_mc = NULL;
	mt_owner_fini(&g_owner);
}

/* The value of the first "a=name:" line (or "a=name" flag: "") in sdp. */
static bool sdp_attr(const char *sdp, const char *name, char *out, size_t outsz)
{
	char key[64];
	snprintf(key, sizeof(key), "\na=%s", name);
	for (const char *p = strstr(sdp, key); p; p = strstr(p + 1, key)) {
		const char *v = p + strlen(key);
		if (*v != ':' && *v != '\r' && *v != '\n')
			continue;
		if (*v == ':')
			v++;
		size_t n = strcspn(v, "\r\n");
		if (out) {
			snprintf(out, outsz, "%.*s", (int)(n < outsz ? n : outsz - 1), v);
		}
		return true;
	}
	return false;
}

/* The WebRTC-side test peer. */
static const char *g_ufrag = "brws";   /* its ICE ufrag (changed by a restart) */
static const char *g_setup = "actpass"; /* its a=setup in offers */

struct peer {
	struct mt_phone ph;
	struct mdtls_cert *cert;
	struct mdtls *dtls;
	struct msrtp *srtp;
	char gw_ufrag[32], gw_pwd[64], gw_fp[128];
	uint16_t gw_port;
};

static void peer_open(struct peer *p)
{
	memset(p, 0, sizeof(*p));
	mt_phone_open(&p->ph);
	ck_assert_int_eq(mdtls_cert_new(NULL, NULL, &p->cert), 0);
}

static void peer_close(struct peer *p)
{
	mdtls_free(p->dtls);
	msrtp_free(p->srtp);
	mdtls_cert_free(p->cert);
	mt_phone_close(&p->ph);
}

/* A browser-like offer; 'fp' NULL: the peer's own certificate. */
static const char *peer_offer(struct peer *p, const char *fp)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
		 "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		 "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
		 "m=audio %u UDP/TLS/RTP/SAVPF 0 101\r\nc=IN IP4 127.0.0.1\r\n"
		 "a=rtcp:9 IN IP4 0.0.0.0\r\n"
		 "a=candidate:1 1 udp 2122260223 127.0.0.1 %u typ host generation 0\r\n"
		 "a=ice-ufrag:%s\r\na=ice-pwd:browserpassword0123456789\r\n"
		 "a=ice-options:trickle\r\na=fingerprint:%s\r\na=setup:%s\r\n"
		 "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"
		 "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		 "a=ssrc:1111 cname:peer\r\n",
		 p->ph.port, p->ph.port, g_ufrag, fp ? fp : mdtls_cert_fingerprint(p->cert), g_setup);
	return buf;
}

static void peer_take_answer(struct peer *p, const char *ans)
{
	char setup[32], mline[128];
	ck_assert_msg(sdp_attr(ans, "ice-ufrag", p->gw_ufrag, sizeof(p->gw_ufrag)), "%s", ans);
	ck_assert(sdp_attr(ans, "ice-pwd", p->gw_pwd, sizeof(p->gw_pwd)));
	ck_assert(sdp_attr(ans, "fingerprint", p->gw_fp, sizeof(p->gw_fp)));
	ck_assert(sdp_attr(ans, "setup", setup, sizeof(setup)));
	ck_assert_str_eq(setup, strcmp(g_setup, "passive") == 0 ? "active" : "passive");
	ck_assert(sdp_attr(ans, "ice-lite", NULL, 0));
	ck_assert(sdp_attr(ans, "rtcp-mux", NULL, 0));
	ck_assert(sdp_attr(ans, "mid", setup, sizeof(setup)));
	ck_assert_str_eq(setup, "0");
	ck_assert(sdp_attr(ans, "group", setup, sizeof(setup)));
	ck_assert_str_eq(setup, "BUNDLE 0");
	ck_assert(sdp_attr(ans, "candidate", NULL, 0));
	ck_assert(!sdp_attr(ans, "ssrc", NULL, 0));     /* no stale SSRC */
	ck_assert(!sdp_attr(ans, "crypto", NULL, 0));
	const char *m = strstr(ans, "m=audio ");
	ck_assert_ptr_nonnull(m);
	snprintf(mline, sizeof(mline), "%.*s", (int)strcspn(m, "\r\n"), m);
	ck_assert_msg(strstr(mline, " UDP/TLS/RTP/SAVPF "), "%s", mline);
	p->gw_port = mt_sdp_port(ans);
}

/* One Binding request; true when a valid response came back. */
static bool peer_check(struct peer *p, const char *pwd, bool nominate, bool corrupt_fp)
{
	uint8_t req[STUN_MAX_MSG], buf[2048], tid[12];
	char user[80];
	for (int i = 0; i < 12; i++)
		tid[i] = (uint8_t)rand();
	snprintf(user, sizeof(user), "%s:%s", p->gw_ufrag, g_ufrag);
	int n = stun_binding_request(req, sizeof(req), tid, user, 1845501695, nominate, 77, pwd, strlen(pwd));
	ck_assert_int_gt(n, 0);
	if (corrupt_fp)
		req[n - 2] ^= 0x40;
	mt_send_raw(p->ph.rtp, p->gw_port, req, (size_t)n);
	uint64_t end = mt_now_ms() + 400;
	while (mt_now_ms() < end) {
		int r = mt_recv(p->ph.rtp, buf, sizeof(buf), 50, NULL);
		struct stun_msg m;
		if (r <= 0 || !stun_is_candidate(buf, (size_t)r) || stun_parse(buf, (size_t)r, &m) < 0)
			continue;
		ck_assert_uint_eq(m.type, STUN_BINDING_SUCCESS);
		ck_assert(memcmp(m.tid, tid, 12) == 0);
		ck_assert(stun_integrity_ok(buf, (size_t)r, &m, p->gw_pwd, strlen(p->gw_pwd)));
		ck_assert(stun_fingerprint_ok(buf, (size_t)r, &m));
		ck_assert(m.has_xor_mapped);
		ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&m.mapped)->sin_port), p->ph.port);
		return true;
	}
	return false;
}

/* Run the DTLS client side until it settles or 'ms' pass. */
static enum mdtls_state peer_dtls(struct peer *p, const char *gw_fp, int ms)
{
	uint8_t buf[2048];
	size_t n;
	if (!p->dtls) {
		/* The peer is the DTLS client unless it offered passive. */
		ck_assert_int_eq(mdtls_new(p->cert, strcmp(g_setup, "passive") != 0, gw_fp, &p->dtls), 0);
		ck_assert_int_eq(mdtls_start(p->dtls), 0);
	}
	uint64_t end = mt_now_ms() + (uint64_t)ms;
	while (mt_now_ms() < end && mdtls_state(p->dtls) == MDTLS_HANDSHAKING) {
		while ((n = mdtls_output(p->dtls, buf, sizeof(buf))) > 0)
			mt_send_raw(p->ph.rtp, p->gw_port, buf, n);
		int r = mt_recv(p->ph.rtp, buf, sizeof(buf), 50, NULL);
		if (r > 0 && mdtls_is_candidate(buf, (size_t)r))
			mdtls_input(p->dtls, buf, (size_t)r);
		else if (mdtls_timeout_ms(p->dtls) == 0)
			mdtls_on_timer(p->dtls);
		mt_pump(&g_owner, 0);
	}
	while ((n = mdtls_output(p->dtls, buf, sizeof(buf))) > 0)
		mt_send_raw(p->ph.rtp, p->gw_port, buf, n);
	if (mdtls_state(p->dtls) == MDTLS_CONNECTED) {
		struct msrtp_keys tx, rx;
		ck_assert_int_eq(mdtls_srtp_keys(p->dtls, &tx, &rx), 0);
		ck_assert_int_eq(msrtp_new(&tx, &rx, &p->srtp), 0);
	}
	return mdtls_state(p->dtls);
}

static size_t make_rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ssrc)
{
	buf[0] = 0x80; buf[1] = pt;
	buf[2] = (uint8_t)(seq >> 8); buf[3] = (uint8_t)seq;
	uint32_t ts = seq * 160u;
	buf[4] = (uint8_t)(ts >> 24); buf[5] = (uint8_t)(ts >> 16); buf[6] = (uint8_t)(ts >> 8); buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24); buf[9] = (uint8_t)(ssrc >> 16); buf[10] = (uint8_t)(ssrc >> 8); buf[11] = (uint8_t)ssrc;
	for (int i = 0; i < 160; i++)
		buf[12 + i] = (uint8_t)(seq * 7 + i);    /* checked at the far end */
	return 172;
}

static bool payload_ok(const uint8_t *buf, size_t len)
{
	if (len != 172)
		return false;
	/* Independent of the header: the echo endpoint renumbers. */
	for (int i = 0; i < 160; i++)
		if (buf[12 + i] != (uint8_t)(buf[12] + i))
			return false;
	return true;
}

/* Secure peer <-> plain phone: n packets each way; counts of intact
 * payloads at each end. 'sp'/'sport': the secure side's socket and the
 * gateway port it talks to; the plain phone uses 'plain'/'pport'. */
static void exchange(int sfd, uint16_t sport, struct msrtp *srtp, int pfd, uint16_t pport,
		     struct msrtp *psrtp, int n, int *at_plain, int *at_secure)
{
	static uint16_t base = 100;     /* sequence numbers never repeat (SRTP replay checks) */
	uint8_t buf[2048];
	*at_plain = *at_secure = 0;
	uint16_t first = base;
	base = (uint16_t)(base + n);
	for (int k = 0; k < n; k++) {
		size_t len = make_rtp(buf, 0, (uint16_t)(first + k), 0xabc);
		ck_assert_int_eq(msrtp_protect(srtp, buf, &len, sizeof(buf)), 0);
		mt_send_raw(sfd, sport, buf, len);
		len = make_rtp(buf, 0, (uint16_t)(first + k), 0xdef);
		if (psrtp)
			ck_assert_int_eq(msrtp_protect(psrtp, buf, &len, sizeof(buf)), 0);
		mt_send_raw(pfd, pport, buf, len);
		usleep(10000);
		int r;
		while ((r = mt_recv(pfd, buf, sizeof(buf), 0, NULL)) > 0) {
			size_t l = (size_t)r;
			if (psrtp && msrtp_unprotect(psrtp, buf, &l) < 0)
				continue;
			*at_plain += payload_ok(buf, l);
		}
		while ((r = mt_recv(sfd, buf, sizeof(buf), 0, NULL)) > 0) {
			size_t l = (size_t)r;
			if (buf[0] < 128 || buf[0] > 191)
				continue;       /* STUN/DTLS leftovers */
			/* On the wire the payload must not be the plain one. */
			if (payload_ok(buf, l))
				continue;
			if (msrtp_unprotect(srtp, buf, &l) == 0)
				*at_secure += payload_ok(buf, l);
		}
		mt_pump(&g_owner, 0);
	}
	usleep(100000);
	int r;
	while ((r = mt_recv(pfd, buf, sizeof(buf), 50, NULL)) > 0) {
		size_t l = (size_t)r;
		if (!psrtp || msrtp_unprotect(psrtp, buf, &l) == 0)
			*at_plain += payload_ok(buf, l);
	}
	while ((r = mt_recv(sfd, buf, sizeof(buf), 50, NULL)) > 0) {
		size_t l = (size_t)r;
		if (buf[0] >= 128 && buf[0] <= 191 && !payload_ok(buf, l) && msrtp_unprotect(srtp, buf, &l) == 0)
			*at_secure += payload_ok(buf, l);
	}
}

/* Session: A = WebRTC peer (offer 'offer'), B = plain phone answering PCMU.
 * Returns the answer for A (static). */
static const char *webrtc_to_plain(struct peer *p, struct mt_phone *b, const char *offer,
				   media_session_t **s, uint16_t *gb)
{
	static char ans[4096];
	struct media_session_opts o;
	struct media_sdp out;
	mt_opts(&o, &g_conf, &g_owner);
	o.leg[MEDIA_LEG_A].security = MEDIA_SEC_DTLS;
	o.leg[MEDIA_LEG_B].security = MEDIA_SEC_NONE;
	ck_assert_int_eq(media_session_new(g_mc, &o, s), 0);
	ck_assert_int_eq(media_session_offer(*s, MEDIA_LEG_A, offer, strlen(offer), &out), 0);
	/* The carrier sees plain RTP/AVP and nothing of WebRTC. */
	ck_assert_msg(strstr(out.sdp, "RTP/AVP 0"), "%s", out.sdp);
	ck_assert(!strstr(out.sdp, "a=fingerprint") && !strstr(out.sdp, "a=ice-") &&
		  !strstr(out.sdp, "a=crypto") && !strstr(out.sdp, "a=mid") && !strstr(out.sdp, "a=group"));
	*gb = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	const char *sb = mt_sdp(b->port, "0 101", "sendrecv", 1);
	ck_assert_int_eq(media_session_answer(*s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	ck_assert_ptr_nonnull(out.sdp);
	snprintf(ans, sizeof(ans), "%s", out.sdp);
	media_sdp_clear(&out);
	peer_take_answer(p, ans);
	return ans;
}

START_TEST(webrtc_to_g711_both_ways)
{
	struct peer p;
	struct mt_phone b;
	media_session_t *s;
	uint16_t gb;
	peer_open(&p);
	mt_phone_open(&b);
	webrtc_to_plain(&p, &b, peer_offer(&p, NULL), &s, &gb);

	/* Bad checks are ignored: wrong password, corrupted FINGERPRINT. */
	ck_assert(!peer_check(&p, "wrong-password-0123456789", true, false));
	ck_assert(!peer_check(&p, p.gw_pwd, true, true));
	/* A good nominating check is answered and selects our address. */
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	ck_assert_int_ge(mt_wait_event(&g_owner, MEDIA_EV_LATCHED, MEDIA_LEG_A, 1000), 0);

	ck_assert_int_eq(peer_dtls(&p, p.gw_fp, 5000), MDTLS_CONNECTED);
	int i = mt_wait_event(&g_owner, MEDIA_EV_SECURE, MEDIA_LEG_A, 2000);
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(g_owner.ev[i].ev.addr, "AEAD_AES_128_GCM");

	int at_plain, at_secure;
	exchange(p.ph.rtp, p.gw_port, p.srtp, b.rtp, gb, NULL, 100, &at_plain, &at_secure);
	ck_assert_msg(at_plain >= 95, "WebRTC -> G.711: %d of 100", at_plain);
	ck_assert_msg(at_secure >= 95, "G.711 -> WebRTC: %d of 100", at_secure);
	/* DTMF from the browser (RFC 4733 over SRTP) reaches the carrier as
	 * plain telephone-events: digit 5, end bit on the last three. */
	int events = 0;
	for (int k = 0; k < 6; k++) {
		uint8_t ev[64] = { 0x80, 101, 0x30, (uint8_t)k, 0, 0, 0x10, 0, 0, 0, 0x0e, 0x0e,
				   5, k >= 3 ? 0x8a : 0x0a, 0, (uint8_t)(160 * (k + 1)) };
		size_t el = 16;
		ck_assert_int_eq(msrtp_protect(p.srtp, ev, &el, sizeof(ev)), 0);
		mt_send_raw(p.ph.rtp, p.gw_port, ev, el);
		int r = mt_recv(b.rtp, ev, sizeof(ev), 300, NULL);
		if (r == 16 && (ev[1] & 0x7f) == 101 && ev[12] == 5)
			events++;
	}
	ck_assert_msg(events == 6, "telephone-events at the carrier: %d of 6", events);

	/* The carrier re-offers (a re-INVITE): the browser is re-offered
	 * DTLS-SRTP with the same fingerprint and ICE credentials, answers
	 * active, and the keys in place keep working (no new handshake). */
	struct media_sdp out;
	const char *sb2 = mt_sdp(b.port, "0 101", "sendrecv", 2);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_B, sb2, strlen(sb2), &out), 0);
	ck_assert(out.is_offer);
	ck_assert_msg(strstr(out.sdp, " UDP/TLS/RTP/SAVPF "), "%s", out.sdp);
	char v[160];
	ck_assert(sdp_attr(out.sdp, "setup", v, sizeof(v)));
	ck_assert_str_eq(v, "actpass");
	ck_assert(sdp_attr(out.sdp, "fingerprint", v, sizeof(v)));
	ck_assert_str_eq(v, p.gw_fp);
	ck_assert(sdp_attr(out.sdp, "ice-ufrag", v, sizeof(v)));
	ck_assert_str_eq(v, p.gw_ufrag);
	ck_assert(sdp_attr(out.sdp, "mid", v, sizeof(v)));
	ck_assert_str_eq(v, "0");
	media_sdp_clear(&out);
	char reans[2048];
	snprintf(reans, sizeof(reans), "%s", peer_offer(&p, NULL));
	char *act = strstr(reans, "a=setup:actpass");
	snprintf(act, sizeof(reans) - (size_t)(act - reans), "a=setup:active\r\na=mid:0\r\na=sendrecv\r\n"
		 "a=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n");
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_A, reans, strlen(reans), &out), 0);
	media_sdp_clear(&out);
	exchange(p.ph.rtp, p.gw_port, p.srtp, b.rtp, gb, NULL, 50, &at_plain, &at_secure);
	struct media_leg_stats st[2];
	media_session_stats(s, st);
	ck_assert_msg(at_plain >= 47 && at_secure >= 47, "after the re-offer: %d / %d of 50 "
		      "(A in %lu out %lu drop %lu, B in %lu out %lu drop %lu)", at_plain, at_secure,
		      (unsigned long)st[0].packets_in, (unsigned long)st[0].packets_out, (unsigned long)st[0].dropped,
		      (unsigned long)st[1].packets_in, (unsigned long)st[1].packets_out, (unsigned long)st[1].dropped);
	/* ICE restart from the browser (a re-offer with a new ufrag): the
	 * answer has new credentials of ours and the same fingerprint; the old
	 * credentials stop working, the new ones select the path again, and the
	 * SRTP keys carry on without a new handshake. */
	char old_ufrag[32], old_pwd[64];
	snprintf(old_ufrag, sizeof(old_ufrag), "%s", p.gw_ufrag);
	snprintf(old_pwd, sizeof(old_pwd), "%s", p.gw_pwd);
	g_ufrag = "rst2";
	const char *ro = peer_offer(&p, NULL);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, ro, strlen(ro), &out), 0);
	media_sdp_clear(&out);
	const char *sb3 = mt_sdp(b.port, "0 101", "sendrecv", 3);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, sb3, strlen(sb3), &out), 0);
	char fp_before[128];
	snprintf(fp_before, sizeof(fp_before), "%s", p.gw_fp);
	peer_take_answer(&p, out.sdp);
	media_sdp_clear(&out);
	ck_assert_str_eq(p.gw_fp, fp_before);
	ck_assert_str_ne(p.gw_ufrag, old_ufrag);
	ck_assert_str_ne(p.gw_pwd, old_pwd);
	ck_assert(!peer_check(&p, old_pwd, true, false));
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	exchange(p.ph.rtp, p.gw_port, p.srtp, b.rtp, gb, NULL, 50, &at_plain, &at_secure);
	ck_assert_msg(at_plain >= 47 && at_secure >= 47, "after the ICE restart: %d / %d of 50", at_plain, at_secure);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_SECURE, MEDIA_LEG_A), 1);
	/* Consent keeps going with further checks (no event). */
	ck_assert(peer_check(&p, p.gw_pwd, false, false));
	g_ufrag = "brws";
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_SECURITY_FAILED, -1), 0);
	ck_assert_int_eq(mt_count_events(&g_owner, MEDIA_EV_CONSENT_LOST, -1), 0);
	media_session_destroy(s);
	mt_phone_close(&b);
	peer_close(&p);
}
END_TEST

START_TEST(webrtc_fingerprint_mismatch)
{
	struct peer p;
	struct mt_phone b;
	struct mdtls_cert *other;
	media_session_t *s;
	uint16_t gb;
	peer_open(&p);
	mt_phone_open(&b);
	ck_assert_int_eq(mdtls_cert_new(NULL, NULL, &other), 0);
	/* The SDP names another certificate than the one the peer shows. */
	webrtc_to_plain(&p, &b, peer_offer(&p, mdtls_cert_fingerprint(other)), &s, &gb);
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	ck_assert_int_ne(peer_dtls(&p, p.gw_fp, 3000), MDTLS_CONNECTED);
	int i = mt_wait_event(&g_owner, MEDIA_EV_SECURITY_FAILED, MEDIA_LEG_A, 2000);
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(g_owner.ev[i].ev.addr, "fingerprint mismatch");
	/* Nothing reaches the plain leg. */
	uint8_t buf[512];
	ck_assert_int_lt(mt_recv(b.rtp, buf, sizeof(buf), 100, NULL), 0);
	media_session_destroy(s);
	mdtls_cert_free(other);
	mt_phone_close(&b);
	peer_close(&p);
}
END_TEST

START_TEST(webrtc_dtls_never_completes)
{
	struct peer p;
	struct mt_phone b;
	media_session_t *s;
	uint16_t gb;
	peer_open(&p);
	mt_phone_open(&b);
	webrtc_to_plain(&p, &b, peer_offer(&p, NULL), &s, &gb);
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	/* No ClientHello ever: the handshake deadline ends it. */
	uint64_t t0 = mt_now_ms();
	int i = mt_wait_event(&g_owner, MEDIA_EV_SECURITY_FAILED, MEDIA_LEG_A, 15000);
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(g_owner.ev[i].ev.addr, "DTLS handshake timeout");
	ck_assert_uint_ge(mt_now_ms() - t0, 8000);
	media_session_destroy(s);
	mt_phone_close(&b);
	peer_close(&p);
}
END_TEST

/* Slow (30 s): the browser stops its consent checks. */
START_TEST(webrtc_consent_lost)
{
	struct peer p;
	struct mt_phone b;
	media_session_t *s;
	uint16_t gb;
	int at_plain, at_secure;
	peer_open(&p);
	mt_phone_open(&b);
	webrtc_to_plain(&p, &b, peer_offer(&p, NULL), &s, &gb);
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	ck_assert_int_eq(peer_dtls(&p, p.gw_fp, 5000), MDTLS_CONNECTED);
	exchange(p.ph.rtp, p.gw_port, p.srtp, b.rtp, gb, NULL, 20, &at_plain, &at_secure);
	ck_assert(at_plain >= 18 && at_secure >= 18);
	uint64_t t0 = mt_now_ms();
	int i = mt_wait_event(&g_owner, MEDIA_EV_CONSENT_LOST, MEDIA_LEG_A, 40000);
	ck_assert_int_ge(i, 0);
	uint64_t waited = mt_now_ms() - t0;
	ck_assert_msg(waited >= 28000 && waited <= 33000, "consent lost after %lu ms", (unsigned long)waited);
	/* The gateway stopped sending to the browser. */
	mt_drain(p.ph.rtp);
	exchange(p.ph.rtp, p.gw_port, p.srtp, b.rtp, gb, NULL, 10, &at_plain, &at_secure);
	ck_assert_int_eq(at_secure, 0);
	media_session_destroy(s);
	mt_phone_close(&b);
	peer_close(&p);
}
END_TEST

static const char *sdes_sdp(uint16_t port, const char *crypto, const char *crypto2)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\na=crypto:%s\r\n%s%s%sa=sendrecv\r\n",
		 port, crypto, crypto2 ? "a=crypto:" : "", crypto2 ? crypto2 : "", crypto2 ? "\r\n" : "");
	return buf;
}

/* A's crypto line 'suite'; B answers the tag of 'pick_suite' of the two
 * lines the gateway offers it. */
static void sdes_call(enum msrtp_suite suite, enum msrtp_suite pick_suite)
{
	struct mt_phone a, b;
	struct msrtp_crypto ka = { .tag = 3 }, kb;
	char la[160], lb[160], gwa[160], gwb[160];
	struct media_session_opts o;
	struct media_sdp out;
	media_session_t *s;
	mt_phone_open(&a);
	mt_phone_open(&b);
	mt_opts(&o, &g_conf, &g_owner);
	o.leg[MEDIA_LEG_A].security = MEDIA_SEC_SDES;
	o.leg[MEDIA_LEG_B].security = MEDIA_SEC_SDES;
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	ck_assert_int_eq(msrtp_keys_random(suite, &ka.keys), 0);
	msrtp_crypto_format(&ka, la, sizeof(la));
	const char *offer = sdes_sdp(a.port, la, NULL);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, offer, strlen(offer), &out), 0);
	/* B is offered RTP/SAVP with both suites, keys of the gateway's own. */
	ck_assert_msg(strstr(out.sdp, "RTP/SAVP 0"), "%s", out.sdp);
	ck_assert(strstr(out.sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	ck_assert(strstr(out.sdp, "a=crypto:2 AEAD_AES_128_GCM inline:"));
	ck_assert(!strstr(out.sdp, la + 2));    /* A's key never crosses */
	uint16_t gb = mt_sdp_port(out.sdp);
	const char *line = strstr(out.sdp, pick_suite == MSRTP_AEAD_AES_128_GCM ? "a=crypto:2 " : "a=crypto:1 ");
	snprintf(gwb, sizeof(gwb), "%.*s", (int)strcspn(line + 9, "\r\n"), line + 9);
	media_sdp_clear(&out);
	struct msrtp_crypto gkb;
	ck_assert_int_eq(msrtp_crypto_parse(gwb, strlen(gwb), &gkb), 0);
	kb.tag = gkb.tag;
	ck_assert_int_eq(msrtp_keys_random(pick_suite, &kb.keys), 0);
	msrtp_crypto_format(&kb, lb, sizeof(lb));
	const char *answer = sdes_sdp(b.port, lb, NULL);
	ck_assert_int_eq(media_session_answer(s, MEDIA_LEG_B, answer, strlen(answer), &out), 0);
	/* A gets one crypto line, its own tag and suite, the gateway's key. */
	ck_assert_msg(strstr(out.sdp, "RTP/SAVP 0"), "%s", out.sdp);
	ck_assert(sdp_attr(out.sdp, "crypto", gwa, sizeof(gwa)));
	uint16_t ga = mt_sdp_port(out.sdp);
	media_sdp_clear(&out);
	struct msrtp_crypto gka;
	ck_assert_int_eq(msrtp_crypto_parse(gwa, strlen(gwa), &gka), 0);
	ck_assert_uint_eq(gka.tag, 3);
	ck_assert_int_eq(gka.keys.suite, suite);

	struct msrtp *sa, *sb;
	ck_assert_int_eq(msrtp_new(&ka.keys, &gka.keys, &sa), 0);
	ck_assert_int_eq(msrtp_new(&kb.keys, &gkb.keys, &sb), 0);
	int at_b, at_a;
	exchange(a.rtp, ga, sa, b.rtp, gb, sb, 60, &at_b, &at_a);
	ck_assert_msg(at_b >= 57, "A -> B: %d of 60", at_b);
	ck_assert_msg(at_a >= 57, "B -> A: %d of 60", at_a);
	msrtp_free(sa);
	msrtp_free(sb);
	media_session_destroy(s);
	mt_phone_close(&a);
	mt_phone_close(&b);
}

START_TEST(sdes_both_legs_cm80)
{
	sdes_call(MSRTP_AES_CM_128_HMAC_SHA1_80, MSRTP_AES_CM_128_HMAC_SHA1_80);
}
END_TEST

START_TEST(sdes_both_legs_gcm_to_cm80)
{
	sdes_call(MSRTP_AEAD_AES_128_GCM, MSRTP_AES_CM_128_HMAC_SHA1_80);
}
END_TEST

START_TEST(policy_refusals)
{
	struct media_session_opts o;
	struct media_sdp out;
	media_session_t *s;
	struct peer p;
	peer_open(&p);
	const char *plain = mt_sdp(p.ph.port, "0", "sendrecv", 1);
	const char *webrtc = peer_offer(&p, NULL);
	const char *sdes = sdes_sdp(p.ph.port, "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", NULL);
	struct { enum media_security pol; const char *sdp; int rc; } cases[] = {
		{ MEDIA_SEC_DTLS, plain, -ENOTSUP },
		{ MEDIA_SEC_DTLS, sdes, -ENOTSUP },
		{ MEDIA_SEC_SDES, plain, -ENOTSUP },
		{ MEDIA_SEC_SDES, webrtc, -ENOTSUP },
		{ MEDIA_SEC_NONE, sdes, -ENOTSUP },
		{ MEDIA_SEC_NONE, webrtc, -ENOTSUP },
		{ MEDIA_SEC_NONE, plain, 0 },
		{ MEDIA_SEC_OPTIONAL, plain, 0 },
		{ MEDIA_SEC_OPTIONAL, sdes, 0 },
		{ MEDIA_SEC_OPTIONAL, webrtc, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mt_opts(&o, &g_conf, &g_owner);
		o.leg[MEDIA_LEG_A].security = cases[i].pol;
		ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
		int rc = media_session_offer(s, MEDIA_LEG_A, cases[i].sdp, strlen(cases[i].sdp), &out);
		ck_assert_msg(rc == cases[i].rc, "case %zu: %d", i, rc);
		media_sdp_clear(&out);
		media_session_destroy(s);
	}
	peer_close(&p);
}
END_TEST

START_TEST(webrtc_to_echo)
{
	struct peer p;
	struct media_session_opts o;
	struct media_sdp out;
	media_session_t *s;
	peer_open(&p);
	mt_opts(&o, &g_conf, &g_owner);
	o.leg[MEDIA_LEG_B].endpoint = MEDIA_ENDPOINT_ECHO;
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	const char *offer = peer_offer(&p, NULL);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, offer, strlen(offer), &out), 0);
	ck_assert(!out.is_offer);
	peer_take_answer(&p, out.sdp);
	media_sdp_clear(&out);
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	ck_assert_int_eq(peer_dtls(&p, p.gw_fp, 5000), MDTLS_CONNECTED);
	uint8_t buf[2048];
	int back = 0;
	for (int k = 0; k < 50; k++) {
		size_t len = make_rtp(buf, 0, (uint16_t)(900 + k), 0x77);
		ck_assert_int_eq(msrtp_protect(p.srtp, buf, &len, sizeof(buf)), 0);
		mt_send_raw(p.ph.rtp, p.gw_port, buf, len);
		int r;
		while ((r = mt_recv(p.ph.rtp, buf, sizeof(buf), 20, NULL)) > 0) {
			size_t l = (size_t)r;
			if (buf[0] >= 128 && buf[0] <= 191 && msrtp_unprotect(p.srtp, buf, &l) == 0)
				back += payload_ok(buf, l);
		}
	}
	struct media_leg_stats st[2];
	media_session_stats(s, st);
	ck_assert_msg(back >= 45, "echoed %d of 50 (in %lu out %lu drop %lu)", back,
		      (unsigned long)st[0].packets_in, (unsigned long)st[0].packets_out,
		      (unsigned long)st[0].dropped);
	media_session_destroy(s);
	peer_close(&p);
}
END_TEST

/* A peer that offers a=setup:passive: the gateway answers active and sends
 * the ClientHello, but only once ICE has selected a path. */
START_TEST(webrtc_peer_passive)
{
	struct peer p;
	struct mt_phone b;
	media_session_t *s;
	uint16_t gb;
	uint8_t buf[2048];
	int at_plain, at_secure;
	g_setup = "passive";
	peer_open(&p);
	mt_phone_open(&b);
	webrtc_to_plain(&p, &b, peer_offer(&p, NULL), &s, &gb);
	/* No ClientHello before a check selected where to send it. */
	ck_assert_int_lt(mt_recv(p.ph.rtp, buf, sizeof(buf), 300, NULL), 0);
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	ck_assert_int_eq(peer_dtls(&p, p.gw_fp, 5000), MDTLS_CONNECTED);
	ck_assert_int_ge(mt_wait_event(&g_owner, MEDIA_EV_SECURE, MEDIA_LEG_A, 2000), 0);
	exchange(p.ph.rtp, p.gw_port, p.srtp, b.rtp, gb, NULL, 40, &at_plain, &at_secure);
	ck_assert_msg(at_plain >= 37 && at_secure >= 37, "%d / %d of 40", at_plain, at_secure);
	media_session_destroy(s);
	mt_phone_close(&b);
	peer_close(&p);
	g_setup = "actpass";
}
END_TEST

START_TEST(webrtc_to_milliwatt)
{
	struct peer p;
	struct media_session_opts o;
	struct media_sdp out;
	media_session_t *s;
	peer_open(&p);
	mt_opts(&o, &g_conf, &g_owner);
	o.leg[MEDIA_LEG_B].endpoint = MEDIA_ENDPOINT_MILLIWATT;
	ck_assert_int_eq(media_session_new(g_mc, &o, &s), 0);
	const char *offer = peer_offer(&p, NULL);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, offer, strlen(offer), &out), 0);
	peer_take_answer(&p, out.sdp);
	media_sdp_clear(&out);
	ck_assert(peer_check(&p, p.gw_pwd, true, false));
	ck_assert_int_eq(peer_dtls(&p, p.gw_fp, 5000), MDTLS_CONNECTED);
	/* The tone arrives encrypted: 1 s of it, every frame authenticated,
	 * never in clear. */
	uint8_t buf[2048];
	int tone = 0, clear = 0;
	uint64_t end = mt_now_ms() + 1000;
	while (mt_now_ms() < end) {
		int r = mt_recv(p.ph.rtp, buf, sizeof(buf), 50, NULL);
		if (r <= 0 || buf[0] < 128 || buf[0] > 191)
			continue;
		size_t l = (size_t)r;
		if (l == 172)
			clear++;
		if (msrtp_unprotect(p.srtp, buf, &l) == 0 && l == 172 && (buf[1] & 0x7f) == 0)
			tone++;
	}
	ck_assert_msg(tone >= 40 && clear == 0, "milliwatt frames: %d decrypted, %d in clear", tone, clear);
	media_session_destroy(s);
	peer_close(&p);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("webrtc_call");
	TCase *tc = tcase_create("calls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 40);
	if (getenv("WEBRTC_CONSENT")) {
		/* The slow tier's run: consent freshness only. */
		tcase_set_timeout(tc, 60);
		tcase_add_test(tc, webrtc_consent_lost);
	} else {
		tcase_add_test(tc, webrtc_to_g711_both_ways);
		tcase_add_test(tc, webrtc_fingerprint_mismatch);
		tcase_add_test(tc, webrtc_dtls_never_completes);
		tcase_add_test(tc, sdes_both_legs_cm80);
		tcase_add_test(tc, sdes_both_legs_gcm_to_cm80);
		tcase_add_test(tc, policy_refusals);
		tcase_add_test(tc, webrtc_to_echo);
		tcase_add_test(tc, webrtc_to_milliwatt);
		tcase_add_test(tc, webrtc_peer_passive);
	}
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
