/* test_sdp_anchor.c - anchoring (msdp_anchor), the attribute rule and the
 * local-endpoint models (msdp_answer_g711, msdp_offer_g711).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"
#include "test_sdp.h"

/* ---- anchoring -------------------------------------------------------- */

static char *anchor_sample(const char *name, const char *adv, struct msdp_origin *o, size_t *len)
{
	struct msdp s;
	struct msdp_local loc = { .advertise = adv, .ports = { 40000, 40002, 40004, 40006 } };
	parse_sample(name, &s);
	char *out = msdp_anchor(&s, &loc, o, len);
	msdp_clear(&s);
	ck_assert_ptr_nonnull(out);
	return out;
}

START_TEST(anchor_only_gateway_address)
{
	static const char *const remote_ips[][3] = {
		{ "127.0.0.1", NULL, NULL }, { "192.0.2.10", NULL, NULL },
		{ "192.0.2.20", NULL, NULL }, { "198.51.100.7", "203.0.113.50", "0.0.0.0" },
		{ "2001:db8::1", NULL, NULL }, { "192.0.2.30", NULL, NULL },
		{ "0.0.0.0", "192.0.2.40", NULL }, { "192.0.2.50", "192.0.2.51", NULL },
	};
	struct msdp_origin o;
	size_t len;
	msdp_origin_init(&o);
	char *out = anchor_sample(samples[_i], "10.9.8.7", &o, &len);
	ck_assert(lines_are_crlf(out, len));
	for (int k = 0; k < 3; k++)
		if (remote_ips[_i][k])
			ck_assert_msg(!strstr(out, remote_ips[_i][k]), "%s leaks %s:\n%s", samples[_i],
				      remote_ips[_i][k], out);
	ck_assert(strstr(out, " IN IP4 10.9.8.7\r\n"));
	ck_assert(strstr(out, "\r\nc=IN IP4 10.9.8.7\r\n"));
	ck_assert(strstr(out, "o=tandem "));
	ck_assert(!strstr(out, "a=rtcp:") && !strstr(out, "a=rtcp-mux"));
	free(out);
}
END_TEST

START_TEST(anchor_ports_and_codecs)
{
	struct msdp_origin o;
	struct msdp back;
	size_t len;
	msdp_origin_init(&o);
	char *out = anchor_sample("chrome", "10.9.8.7", &o, &len);
	ck_assert(strstr(out, "m=audio 40000 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"));
	ck_assert(strstr(out, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"));
	parse_ok(out, &back);
	ck_assert_uint_eq(back.streams[0].port, 40000);
	ck_assert_uint_eq(back.streams[0].rtcp_port, 40001);
	ck_assert_uint_eq(back.streams[0].ncodecs, 8);
	ck_assert_str_eq(back.streams[0].codecs[7].name, "telephone-event");
	msdp_clear(&back);
	free(out);

	/* A WebRTC offer relayed to a plain SIP leg: the leg's own profile. */
	struct msdp s;
	struct msdp_local loc = { .advertise = "10.9.8.7", .ports = { 40000 }, .rtp_proto = "RTP/AVP" };
	parse_sample("chrome", &s);
	out = msdp_anchor(&s, &loc, &o, NULL);
	ck_assert(strstr(out, "m=audio 40000 RTP/AVP 111 63 9 0 8 13 110 126\r\n"));
	free(out);
	msdp_clear(&s);
	parse_sample("t38", &s); /* not RTP: profile untouched */
	out = msdp_anchor(&s, &loc, &o, NULL);
	ck_assert(strstr(out, "m=image 40000 udptl t38\r\n"));
	free(out);
	msdp_clear(&s);
}
END_TEST

START_TEST(anchor_drops_transport_attrs)
{
	static const char *const dropped[] = {
		"candidate", "ice-", "fingerprint", "setup", "a=mid", "group", "msid", "extmap",
		"ssrc", "rtcp-fb", "rtcp-rsize", "a=rtcp", "crypto",
	};
	struct msdp s;
	struct msdp_origin o;
	struct msdp_local loc = { .advertise = "10.9.8.7", .ports = { 40000 } };
	msdp_origin_init(&o);
	/* Use a model whose extras still hold those attributes (as if built by
	 * other code): the anchor must filter on its own. */
	parse_sample("chrome", &s);
	static char a1[] = "candidate:1 1 udp 1 198.51.100.7 1 typ host";
	static char a2[] = "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abcd";
	static char a3[] = "label:1";
	char *ex[] = { a1, a2, a3 };
	for (int i = 0; i < 3; i++)
		s.streams[0].extra[s.streams[0].nextra++] = ex[i];
	char *out = msdp_anchor(&s, &loc, &o, NULL);
	s.streams[0].nextra = 0; /* borrowed strings: do not free them */
	msdp_clear(&s);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		ck_assert_msg(!strstr(out, dropped[i]), "'%s' passed:\n%s", dropped[i], out);
	ck_assert(strstr(out, "a=label:1\r\n"));
	free(out);

	/* Content attributes pass: T.38 parameters and silenceSupp. */
	out = anchor_sample("t38", "10.9.8.7", &o, NULL);
	ck_assert(strstr(out, "m=image 40000 udptl t38\r\n"));
	ck_assert(strstr(out, "a=T38FaxMaxDatagram:176\r\n"));
	free(out);
}
END_TEST

START_TEST(anchor_origin_versioning)
{
	struct msdp s;
	struct msdp_origin o;
	struct msdp_local loc = { .advertise = "10.9.8.7", .ports = { 40000 } };
	char o1[128], o2[128], o3[128], o4[128];
	unsigned long long id1, v1, id2, v2, id3, v3, id4, v4;

	msdp_origin_init(&o);
	parse_sample("asterisk", &s);
	char *a = msdp_anchor(&s, &loc, &o, NULL);
	char *b = msdp_anchor(&s, &loc, &o, NULL);      /* same input */
	s.streams[0].dir = MSDP_SENDONLY;
	char *c = msdp_anchor(&s, &loc, &o, NULL);      /* changed direction */
	s.sess_version += 7;                             /* remote version alone */
	char *d = msdp_anchor(&s, &loc, &o, NULL);
	ck_assert(a && b && c && d);
	ck_assert_int_eq(sscanf(strstr(a, "o="), "o=%127s %llu %llu", o1, &id1, &v1), 3);
	ck_assert_int_eq(sscanf(strstr(b, "o="), "o=%127s %llu %llu", o2, &id2, &v2), 3);
	ck_assert_int_eq(sscanf(strstr(c, "o="), "o=%127s %llu %llu", o3, &id3, &v3), 3);
	ck_assert_int_eq(sscanf(strstr(d, "o="), "o=%127s %llu %llu", o4, &id4, &v4), 3);
	ck_assert(id1 == o.sess_id && id2 == id1 && id3 == id1 && id4 == id1);
	ck_assert(id1 != 1700000000ULL);               /* the leg's own id, not the remote's */
	ck_assert(v2 == v1);                           /* same body: same version */
	ck_assert(v3 == v1 + 1);                       /* changed body: +1 */
	ck_assert(v4 == v3);                           /* remote o= version is not our body */
	ck_assert_str_eq(a, b);
	free(a); free(b); free(c); free(d);

	/* Another leg has its own id. */
	struct msdp_origin o_other;
	msdp_origin_init(&o_other);
	ck_assert(o_other.sess_id != o.sess_id);
	ck_assert(o.sess_id < (1ULL << 62));
	msdp_clear(&s);
}
END_TEST

START_TEST(anchor_hold_resume)
{
	struct msdp s;
	struct msdp_origin o;
	struct msdp_local loc = { .advertise = "10.9.8.7", .ports = { 40000 } };
	msdp_origin_init(&o);

	/* Old-style hold: our address, hold kept as sendonly. */
	parse_sample("hold_old", &s);
	char *held = msdp_anchor(&s, &loc, &o, NULL);
	ck_assert(!strstr(held, "0.0.0.0"));
	ck_assert(strstr(held, "c=IN IP4 10.9.8.7\r\n"));
	ck_assert(strstr(held, "a=sendonly\r\n"));
	msdp_clear(&s);

	/* Modern hold: sendonly relayed as sendonly; inactive as inactive. */
	parse_ok(HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n", &s);
	char *inact = msdp_anchor(&s, &loc, &o, NULL);
	ck_assert(strstr(inact, "a=inactive\r\n"));
	msdp_clear(&s);
	parse_ok(HDR "c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n", &s);
	char *inact2 = msdp_anchor(&s, &loc, &o, NULL);
	ck_assert(strstr(inact2, "a=inactive\r\n"));
	msdp_clear(&s);

	/* Resume. */
	parse_ok(HDR "c=IN IP4 192.0.2.40\r\nm=audio 20000 RTP/AVP 8 101\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n", &s);
	char *resumed = msdp_anchor(&s, &loc, &o, NULL);
	ck_assert(strstr(resumed, "a=sendrecv\r\n"));
	unsigned long long vh, vr;
	ck_assert_int_eq(sscanf(strstr(held, "o="), "o=%*s %*u %llu", &vh), 1);
	ck_assert_int_eq(sscanf(strstr(resumed, "o="), "o=%*s %*u %llu", &vr), 1);
	/* held -> inactive (+1) -> inactive again, same body (+0) -> resumed (+1) */
	ck_assert(vr == vh + 2);
	ck_assert_str_eq(inact, inact2);
	free(held); free(inact); free(inact2); free(resumed);
	msdp_clear(&s);
}
END_TEST

START_TEST(anchor_rejected_streams)
{
	struct msdp s;
	struct msdp_origin o;
	struct msdp_local loc = { .advertise = "10.9.8.7", .ports = { 40000, 0, 40004 } };
	msdp_origin_init(&o);
	parse_sample("multi", &s);
	char *out = msdp_anchor(&s, &loc, &o, NULL);
	msdp_clear(&s);
	ck_assert(strstr(out, "m=audio 40000 RTP/AVP 0 101\r\n"));
	/* Local port 0: the gateway does not carry the video, it goes out rejected. */
	ck_assert(strstr(out, "m=video 0 RTP/AVPF 96 97\r\nm=audio 0 RTP/AVP 0\r\n"));
	/* Remote port 0 stays 0 even though we had a port for it. */
	ck_assert(!strstr(out, "40004"));
	ck_assert(!strstr(out, "a=label"));       /* rejected: no attributes */
	free(out);
}
END_TEST

START_TEST(anchor_ipv6_advertise)
{
	struct msdp_origin o;
	msdp_origin_init(&o);
	char *out = anchor_sample("asterisk", "2001:db8:ffff::7", &o, NULL);
	ck_assert(strstr(out, " IN IP6 2001:db8:ffff::7\r\n"));
	ck_assert(strstr(out, "c=IN IP6 2001:db8:ffff::7\r\n"));
	ck_assert(!strstr(out, "IP4"));
	free(out);
	/* and a v6 remote anchored on a v4 side */
	out = anchor_sample("ipv6", "10.9.8.7", &o, NULL);
	ck_assert(!strstr(out, "IP6") && !strstr(out, "2001:db8"));
	free(out);
	/* No advertise address: nothing to send. */
	struct msdp s;
	struct msdp_local loc = { .advertise = NULL, .ports = { 1 } };
	parse_sample("sipp", &s);
	ck_assert_ptr_null(msdp_anchor(&s, &loc, &o, NULL));
	msdp_clear(&s);
}
END_TEST

/* ---- rules and helpers ------------------------------------------------ */

START_TEST(attr_rule)
{
	static const char *const pass[] = { "silenceSupp", "label", "T38FaxVersion", "content",
					    "x-vendor-thing", "framerate", "tool" };
	static const char *const drop[] = { "candidate", "ice-ufrag", "ICE-PWD", "ice-whatever",
					    "fingerprint", "setup", "crypto", "rtcp", "rtcp-mux",
					    "ssrc", "ssrc-group", "mid", "group", "msid", "extmap",
					    "rtcp-fb", "rtpmap", "fmtp", "ptime", "sendonly", "" };
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		ck_assert_msg(msdp_attr_passes(pass[i]), "%s", pass[i]);
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		ck_assert_msg(!msdp_attr_passes(drop[i]), "%s", drop[i]);
	ck_assert(!msdp_attr_passes(NULL));
}
END_TEST

START_TEST(dir_helpers)
{
	ck_assert_int_eq(msdp_dir_reverse(MSDP_SENDONLY), MSDP_RECVONLY);
	ck_assert_int_eq(msdp_dir_reverse(MSDP_RECVONLY), MSDP_SENDONLY);
	ck_assert_int_eq(msdp_dir_reverse(MSDP_INACTIVE), MSDP_INACTIVE);
	ck_assert_int_eq(msdp_dir_reverse(MSDP_SENDRECV), MSDP_SENDRECV);
	ck_assert_str_eq(msdp_dir_name(MSDP_INACTIVE), "inactive");
	ck_assert(msdp_proto_is_rtp("UDP/TLS/RTP/SAVPF") && msdp_proto_is_rtp("RTP/AVP"));
	ck_assert(!msdp_proto_is_rtp("udptl") && !msdp_proto_is_rtp("TCP/MSRP"));
	struct msdp s;
	parse_sample("chrome", &s);
	ck_assert_uint_eq(msdp_codec_by_name(&s.streams[0], "TELEPHONE-EVENT", 8000)->pt, 126);
	ck_assert_uint_eq(msdp_codec_by_name(&s.streams[0], "telephone-event", 0)->pt, 110);
	ck_assert_ptr_null(msdp_codec_by_name(&s.streams[0], "G729", 0));
	ck_assert_str_eq(msdp_codec_by_pt(&s.streams[0], 8)->name, "PCMA");
	msdp_clear(&s);
}
END_TEST

START_TEST(answer_g711)
{
	struct msdp offer, ans, back;
	struct msdp_origin o;
	struct msdp_local loc = { .advertise = "10.9.8.7", .ports = { 41000, 41002 } };
	int pt = -1;

	msdp_origin_init(&o);
	parse_sample("freeswitch", &offer); /* opus first, then G722, PCMU, PCMA */
	ck_assert_int_eq(msdp_answer_g711(&offer, &ans, &pt), 0);
	ck_assert_int_eq(pt, 0);
	char *out = msdp_anchor(&ans, &loc, &o, NULL);
	ck_assert(strstr(out, "m=audio 41000 RTP/AVP 0 101\r\n"));
	ck_assert(strstr(out, "a=fmtp:101 0-16\r\n") && strstr(out, "a=ptime:20\r\n"));
	ck_assert(strstr(out, "m=video 0 RTP/AVP 96\r\n"));
	ck_assert(!strstr(out, "192.0.2.20"));
	parse_ok(out, &back);
	ck_assert_uint_eq(back.streams[0].ncodecs, 2);
	ck_assert_int_eq(back.streams[0].dir, MSDP_SENDRECV);
	msdp_clear(&back);
	free(out);
	msdp_clear(&ans);
	msdp_clear(&offer);

	/* PCMA offered first; sendonly offer -> recvonly answer; no te. */
	parse_ok(HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 8 0\r\na=sendonly\r\n", &offer);
	ck_assert_int_eq(msdp_answer_g711(&offer, &ans, &pt), 0);
	ck_assert_int_eq(pt, 8);
	ck_assert_uint_eq(ans.streams[0].ncodecs, 1);
	ck_assert_int_eq(ans.streams[0].dir, MSDP_RECVONLY);
	msdp_clear(&ans);
	msdp_clear(&offer);

	/* Old-style hold offer -> recvonly. */
	parse_sample("hold_old", &offer);
	ck_assert_int_eq(msdp_answer_g711(&offer, &ans, NULL), 0);
	ck_assert_int_eq(ans.streams[0].dir, MSDP_RECVONLY);
	msdp_clear(&ans);
	msdp_clear(&offer);
}
END_TEST

START_TEST(answer_g711_unsupported)
{
	static const char *const bodies[] = {
		HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n",
		HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 TCP/RTP/AVP 0\r\n",   /* not UDP */
		HDR "c=IN IP4 192.0.2.1\r\nm=audio 0 RTP/AVP 0\r\nm=video 4000 RTP/AVP 0\r\n",
	};
	for (size_t i = 0; i < 3; i++) {
		struct msdp offer, ans;
		int pt = -1;
		parse_ok(bodies[i], &offer);
		ck_assert_int_eq(msdp_answer_g711(&offer, &ans, &pt), -ENOTSUP);
		ck_assert_int_eq(pt, -1);
		ck_assert_uint_eq(ans.nstreams, 0);
		msdp_clear(&offer);
	}
}
END_TEST

START_TEST(offer_g711)
{
	struct msdp model, back;
	struct msdp_origin o;
	struct msdp_local loc = { .advertise = "10.9.8.7", .ports = { 42000 } };

	msdp_origin_init(&o);
	ck_assert_int_eq(msdp_offer_g711(&model), 0);
	char *out = msdp_anchor(&model, &loc, &o, NULL);
	ck_assert_ptr_nonnull(out);
	ck_assert(strstr(out, "m=audio 42000 RTP/AVP 0 8 101\r\n"));
	parse_ok(out, &back);
	assert_codec(&back.streams[0], 0, 0, "PCMU", 8000, 1, "");
	assert_codec(&back.streams[0], 1, 8, "PCMA", 8000, 1, "");
	assert_codec(&back.streams[0], 2, 101, "telephone-event", 8000, 1, "0-16");
	ck_assert_uint_eq(back.streams[0].ptime, 20);
	ck_assert_int_eq(back.streams[0].dir, MSDP_SENDRECV);
	ck_assert_str_eq(back.streams[0].addr, "10.9.8.7");
	msdp_clear(&back);
	msdp_clear(&model);
	free(out);
}
END_TEST

TCase *sdp_anchor_tcase(void)
{
	TCase *ta = tcase_create("anchor");

	tcase_add_loop_test(ta, anchor_only_gateway_address, 0, NSAMPLES);
	tcase_add_test(ta, anchor_ports_and_codecs);
	tcase_add_test(ta, anchor_drops_transport_attrs);
	tcase_add_test(ta, anchor_origin_versioning);
	tcase_add_test(ta, anchor_hold_resume);
	tcase_add_test(ta, anchor_rejected_streams);
	tcase_add_test(ta, anchor_ipv6_advertise);
	return ta;
}

TCase *sdp_local_tcase(void)
{
	TCase *tl = tcase_create("local");

	tcase_add_test(tl, attr_rule);
	tcase_add_test(tl, dir_helpers);
	tcase_add_test(tl, answer_g711);
	tcase_add_test(tl, answer_g711_unsupported);
	tcase_add_test(tl, offer_g711);
	return tl;
}
