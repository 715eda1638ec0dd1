/* test_sdp.c - SDP parse and print tests, and the suite's main (anchoring and
 * local-endpoint models are in test_sdp_anchor.c).
 *
 * Sample bodies live in tests/media/sdp/ (LF line ends in git; the loader
 * turns them into CRLF, as they travel in SIP).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"
#include "test_sdp.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

const char *const samples[NSAMPLES] = {
	"sipp", "asterisk", "freeswitch", "chrome", "ipv6", "t38", "hold_old", "multi",
};

/* ---- helpers ---------------------------------------------------------- */

char *load_sample(const char *name, size_t *len)
{
	const char *dir = getenv("srcdir");
	char path[512], line[1024];
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/media/sdp/%s.sdp", dir && *dir ? dir : TEST_SRCDIR,
		 name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		size_t l = strcspn(line, "\r\n");
		ck_assert(n + l + 3 < cap);
		memcpy(buf + n, line, l);
		n += l;
		memcpy(buf + n, "\r\n", 3);
		n += 2;
	}
	fclose(f);
	*len = n;
	return buf;
}

void parse_ok(const char *text, struct msdp *out)
{
	char why[128];
	int rc = msdp_parse(text, strlen(text), out, why, sizeof(why));
	ck_assert_msg(rc == 0, "parse failed: %s", why);
}

void parse_sample(const char *name, struct msdp *out)
{
	size_t len;
	char *buf = load_sample(name, &len);
	char why[128];
	int rc = msdp_parse(buf, len, out, why, sizeof(why));
	ck_assert_msg(rc == 0, "%s: %s", name, why);
	free(buf);
}

bool has_extra(const struct msdp_stream *st, const char *prefix)
{
	for (size_t i = 0; i < st->nextra; i++)
		if (strncmp(st->extra[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

int count_substr(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

bool lines_are_crlf(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return false;
		if (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n'))
			return false;
	}
	return len >= 2 && s[len - 2] == '\r' && s[len - 1] == '\n';
}

void assert_codec(const struct msdp_stream *st, size_t i, unsigned pt, const char *name,
			 uint32_t rate, unsigned ch, const char *fmtp)
{
	ck_assert_uint_gt(st->ncodecs, i);
	ck_assert_uint_eq(st->codecs[i].pt, pt);
	ck_assert_str_eq(st->codecs[i].name, name);
	ck_assert_uint_eq(st->codecs[i].rate, rate);
	ck_assert_uint_eq(st->codecs[i].channels, ch);
	ck_assert_str_eq(st->codecs[i].fmtp, fmtp);
}

static void assert_equal_model(const struct msdp *a, const struct msdp *b)
{
	ck_assert_str_eq(a->origin_user, b->origin_user);
	ck_assert(a->sess_id == b->sess_id && a->sess_version == b->sess_version);
	ck_assert_str_eq(a->session_name, b->session_name);
	ck_assert_uint_eq(a->nstreams, b->nstreams);
	ck_assert_uint_eq(a->nsess_extra, b->nsess_extra);
	for (size_t i = 0; i < a->nsess_extra; i++)
		ck_assert_str_eq(a->sess_extra[i], b->sess_extra[i]);
	for (size_t i = 0; i < a->nstreams; i++) {
		const struct msdp_stream *x = &a->streams[i], *y = &b->streams[i];
		ck_assert_str_eq(x->media, y->media);
		ck_assert_uint_eq(x->port, y->port);
		ck_assert_str_eq(x->proto, y->proto);
		ck_assert_str_eq(x->fmt_raw, y->fmt_raw);
		ck_assert_uint_eq(x->ncodecs, y->ncodecs);
		for (size_t k = 0; k < x->ncodecs; k++)
			ck_assert_uint_eq(x->codecs[k].pt, y->codecs[k].pt);
		if (!x->port)
			continue; /* a rejected stream's address and attributes are not printed */
		ck_assert(memcmp(x->codecs, y->codecs, x->ncodecs * sizeof(x->codecs[0])) == 0);
		ck_assert_str_eq(x->addr, y->addr);
		ck_assert(x->ipv6 == y->ipv6 && x->rtcp_mux == y->rtcp_mux);
		ck_assert_uint_eq(x->rtcp_port, y->rtcp_port);
		ck_assert_str_eq(x->rtcp_addr, y->rtcp_addr);
		ck_assert_int_eq(x->dir, y->dir);
		ck_assert(x->hold_zero_addr == y->hold_zero_addr);
		ck_assert(x->ptime == y->ptime && x->maxptime == y->maxptime);
		ck_assert_str_eq(x->ice_ufrag, y->ice_ufrag);
		ck_assert_str_eq(x->ice_pwd, y->ice_pwd);
		ck_assert_str_eq(x->fingerprint, y->fingerprint);
		ck_assert_str_eq(x->setup, y->setup);
		ck_assert_uint_eq(x->nextra, y->nextra);
		for (size_t k = 0; k < x->nextra; k++)
			ck_assert_str_eq(x->extra[k], y->extra[k]);
	}
}

/* ---- parsing real bodies ---------------------------------------------- */

START_TEST(parse_sipp)
{
	struct msdp s;
	parse_sample("sipp", &s);
	ck_assert_str_eq(s.origin_user, "user1");
	ck_assert(s.sess_id == 53655765 && s.sess_version == 2353687637ULL);
	ck_assert_uint_eq(s.nstreams, 1);
	ck_assert_str_eq(s.streams[0].media, "audio");
	ck_assert_uint_eq(s.streams[0].port, 6000);
	ck_assert_str_eq(s.streams[0].proto, "RTP/AVP");
	ck_assert_str_eq(s.streams[0].addr, "127.0.0.1");
	ck_assert_uint_eq(s.streams[0].rtcp_port, 6001);
	ck_assert_int_eq(s.streams[0].dir, MSDP_SENDRECV);
	assert_codec(&s.streams[0], 0, 0, "PCMU", 8000, 1, "");
	msdp_clear(&s);
}
END_TEST

START_TEST(parse_asterisk)
{
	struct msdp s;
	parse_sample("asterisk", &s);
	const struct msdp_stream *st = &s.streams[0];
	ck_assert_uint_eq(st->ncodecs, 5);
	assert_codec(st, 0, 0, "PCMU", 8000, 1, "");
	assert_codec(st, 2, 9, "G722", 8000, 1, "");
	assert_codec(st, 3, 3, "GSM", 8000, 1, "");
	assert_codec(st, 4, 101, "telephone-event", 8000, 1, "0-16");
	ck_assert_uint_eq(st->ptime, 20);
	ck_assert_uint_eq(st->maxptime, 150);
	ck_assert_uint_eq(st->nextra, 0);
	ck_assert_str_eq(s.session_name, "Asterisk");
	msdp_clear(&s);
}
END_TEST

START_TEST(parse_freeswitch)
{
	struct msdp s;
	parse_sample("freeswitch", &s);
	ck_assert_uint_eq(s.nstreams, 2);
	const struct msdp_stream *st = &s.streams[0];
	assert_codec(st, 0, 102, "opus", 48000, 2,
		     "useinbandfec=1; maxplaybackrate=16000; sprop-maxcapturerate=16000");
	assert_codec(st, 4, 18, "G729", 8000, 1, "annexb=no");
	assert_codec(st, 6, 13, "CN", 8000, 1, "");
	ck_assert(has_extra(st, "silenceSupp:off - - - -"));
	ck_assert_uint_eq(s.streams[1].port, 0);
	ck_assert_str_eq(s.streams[1].media, "video");
	assert_codec(&s.streams[1], 0, 96, "VP8", 90000, 1, "");
	msdp_clear(&s);
}
END_TEST

START_TEST(parse_chrome_savpf)
{
	struct msdp s;
	parse_sample("chrome", &s);
	const struct msdp_stream *st = &s.streams[0];
	ck_assert_str_eq(st->proto, "UDP/TLS/RTP/SAVPF");
	ck_assert_uint_eq(st->ncodecs, 8);
	/* Sofia leaves these in raw attributes for SAVPF: read from there. */
	assert_codec(st, 0, 111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
	assert_codec(st, 1, 63, "red", 48000, 2, "111/111");
	assert_codec(st, 2, 9, "G722", 8000, 1, "");
	assert_codec(st, 6, 110, "telephone-event", 48000, 1, "");
	assert_codec(st, 7, 126, "telephone-event", 8000, 1, "");
	ck_assert(st->rtcp_mux);
	ck_assert_uint_eq(st->rtcp_port, 9);
	ck_assert_str_eq(st->rtcp_addr, "0.0.0.0");
	ck_assert_str_eq(st->ice_ufrag, "Xp0a");
	ck_assert_str_eq(st->ice_pwd, "3Zl0V7nGz5QnMZbqz0Zg0U1y");
	ck_assert(strncmp(st->fingerprint, "sha-256 9C:0E:", 14) == 0);
	ck_assert_str_eq(st->setup, "actpass");
	ck_assert(!st->hold_zero_addr);
	/* Transport/topology attributes never become extras. */
	ck_assert_uint_eq(st->nextra, 0);
	ck_assert_uint_eq(s.nsess_extra, 0);
	msdp_clear(&s);
}
END_TEST

START_TEST(parse_ipv6)
{
	struct msdp s;
	parse_sample("ipv6", &s);
	ck_assert(s.streams[0].ipv6);
	ck_assert_str_eq(s.streams[0].addr, "2001:db8::1");
	ck_assert_str_eq(s.origin_addr, "2001:db8::1");
	assert_codec(&s.streams[0], 2, 97, "iLBC", 8000, 1, "mode=30");
	msdp_clear(&s);
}
END_TEST

START_TEST(parse_t38)
{
	struct msdp s;
	parse_sample("t38", &s);
	const struct msdp_stream *st = &s.streams[0];
	ck_assert_str_eq(st->media, "image");
	ck_assert_str_eq(st->proto, "udptl");
	ck_assert_str_eq(st->fmt_raw, "t38");
	ck_assert_uint_eq(st->ncodecs, 0);
	ck_assert_uint_eq(st->nextra, 6);
	ck_assert(has_extra(st, "T38FaxUdpEC:t38UDPRedundancy"));
	msdp_clear(&s);
}
END_TEST

START_TEST(static_pt_names)
{
	/* Same static list in a sofia-handled profile and in one we read raw. */
	static const char *const protos[] = { "RTP/AVP", "RTP/AVPF", "UDP/TLS/RTP/SAVPF" };
	static const struct { unsigned pt; const char *name; uint32_t rate; } want[] = {
		{ 0, "PCMU", 8000 }, { 8, "PCMA", 8000 }, { 9, "G722", 8000 },
		{ 18, "G729", 8000 }, { 3, "GSM", 8000 }, { 13, "CN", 8000 },
	};
	for (size_t p = 0; p < 3; p++) {
		char body[512];
		struct msdp s;
		snprintf(body, sizeof(body), HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 %s 0 8 9 18 3 13 96\r\n",
			 protos[p]);
		parse_ok(body, &s);
		ck_assert_uint_eq(s.streams[0].ncodecs, 7);
		for (size_t i = 0; i < 6; i++)
			assert_codec(&s.streams[0], i, want[i].pt, want[i].name, want[i].rate, 1, "");
		/* A dynamic payload type without rtpmap has no name to give. */
		assert_codec(&s.streams[0], 6, 96, "", 0, 1, "");
		msdp_clear(&s);
	}
}
END_TEST

START_TEST(direction_precedence)
{
	struct msdp s;
	parse_sample("multi", &s);
	ck_assert_int_eq(s.streams[0].dir, MSDP_SENDONLY); /* session a=sendonly */
	ck_assert_int_eq(s.streams[1].dir, MSDP_RECVONLY); /* stream overrides */
	ck_assert_str_eq(s.streams[1].addr, "192.0.2.51"); /* stream c= overrides */
	ck_assert_str_eq(s.streams[0].addr, "192.0.2.50");
	ck_assert_uint_eq(s.streams[2].port, 0);
	msdp_clear(&s);

	parse_ok(HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", &s);
	ck_assert_int_eq(s.streams[0].dir, MSDP_SENDRECV); /* default */
	msdp_clear(&s);
	parse_ok(HDR "c=IN IP4 192.0.2.1\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n", &s);
	ck_assert_int_eq(s.streams[0].dir, MSDP_SENDRECV);
	msdp_clear(&s);
}
END_TEST

START_TEST(old_style_hold)
{
	struct msdp s;
	parse_sample("hold_old", &s);
	ck_assert(s.streams[0].hold_zero_addr);
	ck_assert_int_eq(s.streams[0].dir, MSDP_SENDRECV); /* as signalled */
	ck_assert_int_eq(msdp_stream_dir(&s.streams[0]), MSDP_SENDONLY);
	msdp_clear(&s);

	parse_ok(HDR "c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n", &s);
	ck_assert_int_eq(msdp_stream_dir(&s.streams[0]), MSDP_INACTIVE);
	msdp_clear(&s);

	/* With ICE, 0.0.0.0 means "see the candidates", not hold. */
	parse_ok(HDR "c=IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
		 "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=rtpmap:111 opus/48000/2\r\n", &s);
	ck_assert(!s.streams[0].hold_zero_addr);
	ck_assert_int_eq(msdp_stream_dir(&s.streams[0]), MSDP_SENDRECV);
	msdp_clear(&s);
}
END_TEST

START_TEST(rtcp_attribute)
{
	struct msdp s;
	parse_sample("multi", &s);
	ck_assert_uint_eq(s.streams[0].rtcp_port, 30011);
	ck_assert_str_eq(s.streams[0].rtcp_addr, "");
	ck_assert_uint_eq(s.streams[1].rtcp_port, 30003); /* port + 1 */
	ck_assert(!s.streams[1].rtcp_mux);
	msdp_clear(&s);

	parse_ok(HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:5001 IN IP6 2001:db8::5\r\n", &s);
	ck_assert_uint_eq(s.streams[0].rtcp_port, 5001);
	ck_assert_str_eq(s.streams[0].rtcp_addr, "2001:db8::5");
	msdp_clear(&s);
}
END_TEST

/* Table-driven: each malformed body must be refused with a reason. */
static const struct { const char *body; const char *why_has; } bad[] = {
	{ "", "empty" },
	{ "hello world", "unparsable" },
	{ "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n", "unparsable" },
	{ "v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n", "o=" },
	{ HDR "c=IN IP4 192.0.2.1\r\n", "no m=" },
	{ HDR "m=audio 4000 RTP/AVP 0\r\n", "without c=" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 70000 RTP/AVP 0\r\n", "out of range" },
	{ HDR "c=IN IP6 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", "IP6" },
	{ HDR "c=IN IP4 2001:db8::1\r\nm=audio 4000 RTP/AVP 0\r\n", "IP4" },
	{ HDR "c=IN IP4 999.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\n", "IP4" },
	{ HDR "c=IN IP4 media.example.com\r\nm=audio 4000 RTP/AVP 0\r\n", "literal" },
	{ HDR "c=IN IP4 224.2.1.1/127\r\nm=audio 4000 RTP/AVP 0\r\n", "multicast" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/SAVPF 0 abc\r\n", "payload type" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVPF 200\r\n", "payload type" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:99999\r\n", "rtcp" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:5001 IN IP4 nothere\r\n", "rtcp" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\n"
	  "m=audio 3 RTP/AVP 0\r\nm=audio 4 RTP/AVP 0\r\nm=audio 5 RTP/AVP 0\r\n", "m= lines" },
	{ HDR "c=XX IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", "unparsable" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 udptl\r\n", "formats" },
	/* These made Debian's sofia-sip 1.12.11 allocate forever (fuzz finding). */
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 1 RT:/AVP 0\r\n", "m= line" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 @\r\n", "m= line" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio/1 2 /0\r\n", "m= line" },
	{ HDR "c=IN IP4 192.0.2.1\r\n  m=image 4000 udptl /t38", "m= line" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 1 R/\t\t\r\n", "m= line" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 1 X/Y \t\r\n", "m= line" },
	/* Sofia reads "4 /127/SAVP" as port 4, count 127, proto "/SAVP": what we
	 * would print from that does not parse again (fuzz finding). */
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 4 /127/SAVP 0\r\n", "m= line" },
	{ HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n \r\nm=video 4002 RTP/AVP 96\r\n", "blank line" },
};

START_TEST(malformed_rejected)
{
	struct msdp s;
	char why[128] = "unset";
	int rc;

	memset(&s, 0xab, sizeof(s));
	rc = msdp_parse(bad[_i].body, strlen(bad[_i].body), &s, why, sizeof(why));
	ck_assert_msg(rc == -EINVAL, "body %d accepted", _i);
	ck_assert_msg(strstr(why, bad[_i].why_has) != NULL, "body %d: reason '%s' lacks '%s'", _i,
		      why, bad[_i].why_has);
	ck_assert_uint_eq(s.nstreams, 0); /* left cleared */
	ck_assert_uint_eq(s.nsess_extra, 0);
}
END_TEST

START_TEST(size_and_nul_limits)
{
	struct msdp s;
	char why[128];
	size_t n = MSDP_MAX_BODY + 1;
	char *big = malloc(n);
	static const char body[] = HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n";

	memset(big, 'a', n);
	ck_assert_int_eq(msdp_parse(big, n, &s, why, sizeof(why)), -EINVAL);
	ck_assert(strstr(why, "bytes") != NULL);
	free(big);
	/* A NUL in the middle: what follows must not be silently ignored. */
	ck_assert_int_eq(msdp_parse(body, sizeof(body), &s, why, sizeof(why)), -EINVAL);
	ck_assert(strstr(why, "NUL") != NULL);
	/* NULL reason buffer is allowed. */
	ck_assert_int_eq(msdp_parse("x", 1, &s, NULL, 0), -EINVAL);
	/* LF-only line ends are accepted. */
	parse_ok("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 8\n", &s);
	assert_codec(&s.streams[0], 0, 8, "PCMA", 8000, 1, "");
	msdp_clear(&s);
}
END_TEST

START_TEST(codec_and_extra_limits)
{
	char body[4096];
	size_t n;
	struct msdp s;

	n = (size_t)snprintf(body, sizeof(body), HDR "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP");
	for (int pt = 96; pt < 116; pt++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, " %d", pt);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "a=x-attr%d:v\r\n", i);
	parse_ok(body, &s);
	ck_assert_uint_eq(s.streams[0].ncodecs, MSDP_MAX_CODECS);
	ck_assert_uint_eq(s.streams[0].codecs[MSDP_MAX_CODECS - 1].pt, 96 + MSDP_MAX_CODECS - 1);
	ck_assert_uint_eq(s.streams[0].nextra, MSDP_MAX_EXTRA);
	ck_assert_str_eq(s.streams[0].extra[0], "x-attr0:v");
	msdp_clear(&s);
}
END_TEST

START_TEST(fmtp_truncated_on_parameter)
{
	char body[2048], fmtp[700];
	size_t n = 0;
	struct msdp s;

	for (int i = 0; n < 600; i++)
		n += (size_t)snprintf(fmtp + n, sizeof(fmtp) - n, "%sparam%02d=value%02d", i ? ";" : "", i, i);
	snprintf(body, sizeof(body), HDR "c=IN IP4 192.0.2.1\r\nm=video 4000 RTP/AVPF 96\r\n"
		 "a=rtpmap:96 H264/90000\r\na=fmtp:96 %s\r\n", fmtp);
	parse_ok(body, &s);
	const char *f = s.streams[0].codecs[0].fmtp;
	size_t fl = strlen(f);
	ck_assert_uint_gt(fl, 200);
	ck_assert_uint_lt(fl, sizeof(s.streams[0].codecs[0].fmtp));
	ck_assert(strncmp(f, fmtp, fl) == 0);
	ck_assert_int_eq(fmtp[fl], ';'); /* cut exactly before a parameter */
	msdp_clear(&s);
}
END_TEST

/* ---- printing --------------------------------------------------------- */

START_TEST(print_layout)
{
	struct msdp s;
	size_t len;
	parse_sample("asterisk", &s);
	char *out = msdp_print(&s, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), len);
	ck_assert(lines_are_crlf(out, len));
	static const char head[] = "v=0\r\no=- 1700000000 1700000000 IN IP4 192.0.2.10\r\n"
		"s=Asterisk\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 14562 RTP/AVP 0 8 9 3 101\r\n";
	ck_assert_msg(strncmp(out, head, sizeof(head) - 1) == 0, "got:\n%s", out);
	/* rtpmap for static payload types too, fmtp, ptime, explicit direction. */
	ck_assert(strstr(out, "a=rtpmap:0 PCMU/8000\r\n") && strstr(out, "a=rtpmap:3 GSM/8000\r\n"));
	ck_assert(strstr(out, "a=fmtp:101 0-16\r\n"));
	ck_assert(strstr(out, "a=ptime:20\r\na=maxptime:150\r\n"));
	ck_assert(strstr(out, "a=sendrecv\r\n"));
	ck_assert(!strstr(out, "a=rtcp:")); /* RTCP is port+1 */
	free(out);
	msdp_clear(&s);
}
END_TEST

START_TEST(print_rejected_and_rtcp)
{
	struct msdp s;
	parse_sample("multi", &s);
	char *out = msdp_print(&s, NULL);
	ck_assert_ptr_nonnull(out);
	/* The rejected stream is the last: nothing after its m= line. */
	const char *m = strstr(out, "m=audio 0 RTP/AVP 0\r\n");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, "m=audio 0 RTP/AVP 0\r\n");
	ck_assert(strstr(out, "a=rtcp:30011\r\n"));
	ck_assert(strstr(out, "c=IN IP4 192.0.2.51\r\n"));       /* per-stream c= */
	ck_assert(strstr(out, "a=sendonly\r\n") && strstr(out, "a=recvonly\r\n"));
	ck_assert_int_eq(count_substr(out, "c=IN IP4 192.0.2.50\r\n"), 1);
	free(out);
	msdp_clear(&s);
}
END_TEST

START_TEST(round_trip)
{
	struct msdp a, b;
	char why[128];
	size_t len, len2;

	parse_sample(samples[_i], &a);
	char *text = msdp_print(&a, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(msdp_parse(text, len, &b, why, sizeof(why)) == 0, "%s: %s", samples[_i], why);
	assert_equal_model(&a, &b);
	char *text2 = msdp_print(&b, &len2);
	ck_assert_str_eq(text, text2); /* printing is a fixed point */
	free(text);
	free(text2);
	msdp_clear(&a);
	msdp_clear(&b);
}
END_TEST

START_TEST(copy_is_deep)
{
	struct msdp a, b;
	parse_sample("freeswitch", &a);
	ck_assert_int_eq(msdp_copy(&b, &a), 0);
	ck_assert_ptr_ne(b.streams[0].extra[0], a.streams[0].extra[0]);
	msdp_clear(&a); /* b must not depend on a */
	ck_assert_str_eq(b.streams[0].extra[0], "silenceSupp:off - - - -");
	msdp_clear(&b);
	ck_assert_uint_eq(b.nstreams, 0);
}
END_TEST

/* Mutated samples (deterministic): parse + anchor + print never crash or
 * leak, and whatever parses prints something that parses again. */
START_TEST(mutation_smoke)
{
	uint32_t rng = 12345;
	int parsed = 0;
	for (int s = 0; s < NSAMPLES; s++) {
		size_t len;
		char *orig = load_sample(samples[s], &len);
		char *buf = malloc(len + 1);
		for (int iter = 0; iter < 1500; iter++) {
			memcpy(buf, orig, len);
			for (int k = 0; k < 4; k++) {
				rng = rng * 1103515245u + 12345u;
				size_t pos = (rng >> 8) % len;
				rng = rng * 1103515245u + 12345u;
				buf[pos] = (char)(" 0:9/\r\n=a-.mc"[(rng >> 16) % 14]);
			}
			struct msdp m, again;
			struct msdp_origin o;
			struct msdp_local loc = { .advertise = "10.0.0.1", .ports = { 2000, 2002, 2004, 2006 } };
			if (msdp_parse(buf, len, &m, NULL, 0) != 0)
				continue;
			parsed++;
			msdp_origin_init(&o);
			size_t plen;
			char *p = msdp_print(&m, &plen);
			char *a = msdp_anchor(&m, &loc, &o, NULL);
			ck_assert(p && a);
			ck_assert_msg(msdp_parse(a, strlen(a), &again, NULL, 0) == 0, "anchored:\n%s", a);
			msdp_clear(&again);
			free(p);
			free(a);
			msdp_clear(&m);
		}
		free(buf);
		free(orig);
	}
	ck_assert_int_gt(parsed, 1000); /* the loop did exercise print and anchor */
}
END_TEST

static Suite *sdp_suite(void)
{
	Suite *s = suite_create("sdp");
	TCase *tp = tcase_create("parse");
	TCase *tw = tcase_create("print");

	tcase_add_test(tp, parse_sipp);
	tcase_add_test(tp, parse_asterisk);
	tcase_add_test(tp, parse_freeswitch);
	tcase_add_test(tp, parse_chrome_savpf);
	tcase_add_test(tp, parse_ipv6);
	tcase_add_test(tp, parse_t38);
	tcase_add_test(tp, static_pt_names);
	tcase_add_test(tp, direction_precedence);
	tcase_add_test(tp, old_style_hold);
	tcase_add_test(tp, rtcp_attribute);
	tcase_add_loop_test(tp, malformed_rejected, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tp, size_and_nul_limits);
	tcase_add_test(tp, codec_and_extra_limits);
	tcase_add_test(tp, fmtp_truncated_on_parameter);
	tcase_add_test(tp, mutation_smoke);
	tcase_set_timeout(tp, 60);

	tcase_add_test(tw, print_layout);
	tcase_add_test(tw, print_rejected_and_rtcp);
	tcase_add_loop_test(tw, round_trip, 0, NSAMPLES);
	tcase_add_test(tw, copy_is_deep);

	suite_add_tcase(s, tp);
	suite_add_tcase(s, tw);
	suite_add_tcase(s, sdp_anchor_tcase());
	suite_add_tcase(s, sdp_local_tcase());
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sdp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
