/* test_ws.c - the WebSocket shim's pure parts: frames (RFC 6455), the
 * upgrade handshake, SIP rewriting between browser and sofia (RFC 7118
 * aliasing), and the signed source header. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/ws_frame.h"
#include "sip/ws_handshake.h"
#include "sip/ws_sipmsg.h"
#include "sip/ws_source.h"

/* A masked client frame with payload p. */
static size_t mkframe(uint8_t *out, int fin, int op, const char *p, size_t n)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t hl;
	out[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (n < 126) {
		out[1] = (uint8_t)(0x80 | n);
		hl = 2;
	} else {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
		hl = 4;
	}
	memcpy(out + hl, key, 4);
	for (size_t i = 0; i < n; i++)
		out[hl + 4 + i] = (uint8_t)p[i] ^ key[i & 3];
	return hl + 4 + n;
}

START_TEST(frame_masked_text)
{
	uint8_t b[64];
	size_t n = mkframe(b, 1, WS_OP_TEXT, "Hello", 5), used;
	struct ws_reader r;
	ws_reader_init(&r, 100);
	ck_assert_int_eq(ws_reader_next(&r, b, n - 1, &used), 0);   /* incomplete */
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(ws_reader_next(&r, b, n, &used), WS_EV_MESSAGE);
	ck_assert_uint_eq(used, n);
	ck_assert_uint_eq(r.msg_len, 5);
	ck_assert(!memcmp(r.msg, "Hello", 5));
	ws_reader_free(&r);
}
END_TEST

START_TEST(frame_fragments_and_control_between)
{
	uint8_t b[256];
	size_t n = 0, used;
	n += mkframe(b + n, 0, WS_OP_TEXT, "OPT", 3);
	n += mkframe(b + n, 1, WS_OP_PING, "p", 1);             /* control inside a message */
	n += mkframe(b + n, 1, WS_OP_CONT, "IONS", 4);
	struct ws_reader r;
	ws_reader_init(&r, 100);
	size_t off = 0;
	ck_assert_int_eq(ws_reader_next(&r, b, n, &used), 0);
	off += used;
	ck_assert_int_eq(ws_reader_next(&r, b + off, n - off, &used), WS_EV_PING);
	ck_assert_uint_eq(r.ctl_len, 1);
	off += used;
	ck_assert_int_eq(ws_reader_next(&r, b + off, n - off, &used), WS_EV_MESSAGE);
	ck_assert_uint_eq(r.msg_len, 7);
	ck_assert(!memcmp(r.msg, "OPTIONS", 7));
	ws_reader_free(&r);
}
END_TEST

START_TEST(frame_violations)
{
	uint8_t b[512];
	size_t used;
	struct ws_reader r;
	ws_reader_init(&r, 100);
	uint8_t unmasked[] = { 0x81, 0x02, 'h', 'i' };
	ck_assert_int_eq(ws_reader_next(&r, unmasked, sizeof unmasked, &used), -EPROTO);
	uint8_t rsv[] = { 0xc1, 0x80, 0, 0, 0, 0 };
	ck_assert_int_eq(ws_reader_next(&r, rsv, sizeof rsv, &used), -EPROTO);
	uint8_t badop[] = { 0x83, 0x80, 0, 0, 0, 0 };
	ck_assert_int_eq(ws_reader_next(&r, badop, sizeof badop, &used), -EPROTO);
	uint8_t fragping[] = { 0x09, 0x80, 0, 0, 0, 0 };
	ck_assert_int_eq(ws_reader_next(&r, fragping, sizeof fragping, &used), -EPROTO);
	uint8_t nonmin[] = { 0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0 };
	ck_assert_int_eq(ws_reader_next(&r, nonmin, sizeof nonmin, &used), -EPROTO);
	size_t n = mkframe(b, 1, WS_OP_CONT, "x", 1);
	ck_assert_int_eq(ws_reader_next(&r, b, n, &used), -EPROTO);  /* continuation of nothing */
	char big[200];
	memset(big, 'a', sizeof big);
	n = mkframe(b, 1, WS_OP_TEXT, big, sizeof big);
	ck_assert_int_eq(ws_reader_next(&r, b, n, &used), -EMSGSIZE);
	/* Fragments that add up past the limit. */
	struct ws_reader r2;
	ws_reader_init(&r2, 100);
	n = mkframe(b, 0, WS_OP_TEXT, big, 60);
	ck_assert_int_eq(ws_reader_next(&r2, b, n, &used), 0);
	n = mkframe(b, 1, WS_OP_CONT, big, 60);
	ck_assert_int_eq(ws_reader_next(&r2, b, n, &used), -EMSGSIZE);
	ws_reader_free(&r2);
	ws_reader_free(&r);
}
END_TEST

START_TEST(frame_close_and_write)
{
	uint8_t b[32];
	size_t used;
	struct ws_reader r;
	ws_reader_init(&r, 100);
	size_t n = mkframe(b, 1, WS_OP_CLOSE, "\x03\xe9", 2);
	ck_assert_int_eq(ws_reader_next(&r, b, n, &used), WS_EV_CLOSE);
	ck_assert_uint_eq(r.close_code, 1001);
	ws_reader_free(&r);
	ck_assert_uint_eq(ws_frame_write_header(b, WS_OP_TEXT, 5), 2);
	ck_assert_uint_eq(b[0], 0x81);
	ck_assert_uint_eq(b[1], 5);
	ck_assert_uint_eq(ws_frame_write_header(b, WS_OP_BINARY, 300), 4);
	ck_assert_uint_eq(b[1], 126);
	ck_assert_uint_eq(ws_frame_write_header(b, WS_OP_TEXT, 70000), 10);
	ck_assert_uint_eq(b[1], 127);
}
END_TEST

static const char hs_ok[] =
	"GET /ws HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
	"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Origin: https://phone.example.com\r\nSec-WebSocket-Protocol: chat, sip\r\n"
	"Sec-WebSocket-Version: 13\r\n\r\n";

START_TEST(handshake_rfc6455_example)
{
	struct ws_handshake h;
	const char *why;
	char acc[32];
	ck_assert_int_eq(ws_handshake_complete(hs_ok, sizeof hs_ok - 1), (int)sizeof hs_ok - 1);
	ck_assert_int_eq(ws_handshake_complete(hs_ok, 20), 0);
	ck_assert_int_eq(ws_handshake_parse(hs_ok, sizeof hs_ok - 1, &h, &why), 0);
	ck_assert_str_eq(h.origin, "https://phone.example.com");
	ck_assert(h.proto_sip);
	ck_assert_int_eq(ws_accept_value(h.key, acc, sizeof acc), 0);
	ck_assert_str_eq(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");   /* RFC 6455 1.3 */
	ck_assert(ws_origin_allowed("http://x, https://phone.example.com", h.origin));
	ck_assert(!ws_origin_allowed("https://phone.example.com.evil", h.origin));
	ck_assert(ws_origin_allowed(NULL, h.origin));
}
END_TEST

START_TEST(handshake_refusals)
{
	struct ws_handshake h;
	const char *why;
	static const char post[] = "POST / HTTP/1.1\r\nHost: x\r\n\r\n";
	ck_assert_int_eq(ws_handshake_parse(post, sizeof post - 1, &h, &why), 405);
	static const char nokey[] = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
	ck_assert_int_eq(ws_handshake_parse(nokey, sizeof nokey - 1, &h, &why), 400);
	static const char v8[] = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
	ck_assert_int_eq(ws_handshake_parse(v8, sizeof v8 - 1, &h, &why), 426);
	static const char http10[] = "GET / HTTP/1.0\r\n\r\n";
	ck_assert_int_eq(ws_handshake_parse(http10, sizeof http10 - 1, &h, &why), 400);
	static const char folded[] = "GET / HTTP/1.1\r\nUpgrade: websocket\r\n x\r\n\r\n";
	ck_assert_int_eq(ws_handshake_parse(folded, sizeof folded - 1, &h, &why), 400);
	char big[WS_HANDSHAKE_MAX + 10];
	memset(big, 'a', sizeof big);
	ck_assert_int_eq(ws_handshake_complete(big, sizeof big), -EMSGSIZE);
}
END_TEST

static const char reg[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf;rport\r\n"
	"From: <sip:alice@example.com>;tag=65bnmj.34asd\r\nTo: <sip:alice@example.com>\r\n"
	"Call-ID: aiuy7k9njasd\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
	"X-Tandem-Source: 10.9.9.9:1;proto=wss;via=x;sig=forged\r\n"
	"Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>;+sip.instance=\"<urn:uuid:1>\";expires=300\r\n\r\n";

START_TEST(sip_inbound_aliases)
{
	char out[2048];
	struct ws_alias a = { .local = "127.0.0.1:40000" };
	int n = ws_sip_inbound(reg, sizeof reg - 1, &a, "SRC", out, sizeof out);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert_ptr_nonnull(strstr(out, "\r\nX-Tandem-Source: SRC\r\n"));
	ck_assert_ptr_null(strstr(out, "forged"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nVia: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bKasudf;rport\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "<sip:alice@127.0.0.1:40000;transport=tcp>;+sip.instance"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Length: 0\r\n\r\n"));
	ck_assert_str_eq(a.orig_host, "df7jal23ls0d.invalid");
	ck_assert_str_eq(a.orig_via, "SIP/2.0/WSS df7jal23ls0d.invalid");
	ck_assert_uint_eq(a.nusers, 1);
	ck_assert_str_eq(a.users[0], "alice");
	size_t skip;
	ck_assert_int_eq(ws_sip_frame(out, (size_t)n, 65536, &skip), n);
	/* A body without Content-Length gets one; a wrong one is corrected. */
	static const char msg[] = "MESSAGE sip:b@x SIP/2.0\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bK1\r\n"
				  "Content-Length: 99\r\nContent-Type: text/plain\r\n\r\nhello";
	n = ws_sip_inbound(msg, sizeof msg - 1, &a, NULL, out, sizeof out);
	out[n] = '\0';
	ck_assert_ptr_nonnull(strstr(out, "Content-Length: 5\r\n\r\nhello"));
	ck_assert_ptr_null(strstr(out, ": 99"));
	ck_assert_int_eq(ws_sip_inbound("garbage", 7, &a, NULL, out, sizeof out), -EINVAL);
	ck_assert_int_eq(ws_sip_inbound(reg, sizeof reg - 1, &a, NULL, out, 100), -ENOSPC);
}
END_TEST

START_TEST(sip_outbound_maps_back)
{
	char out[2048];
	struct ws_alias a = { .local = "127.0.0.1:40000", .orig_host = "df7jal23ls0d.invalid",
			      .orig_via = "SIP/2.0/WSS df7jal23ls0d.invalid", .nusers = 1 };
	strcpy(a.users[0], "alice");
	static const char inv[] =
		"INVITE sip:alice@127.0.0.1:40000;transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK77\r\nFrom: <sip:b@x>;tag=1\r\n"
		"To: <sip:alice@x>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:127.0.0.1:5060;transport=tcp>\r\nContent-Length: 3\r\n\r\nv=0";
	int n = ws_sip_outbound(inv, sizeof inv - 1, &a, out, sizeof out);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert(!strncmp(out, "INVITE sip:alice@df7jal23ls0d.invalid;transport=ws SIP/2.0\r\n", 60));
	ck_assert_ptr_nonnull(strstr(out, "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK77"));
	ck_assert_ptr_nonnull(strstr(out, "\r\n\r\nv=0"));
	/* Another user on a reused port is never delivered. */
	static const char stale[] = "INVITE sip:mallory@127.0.0.1:40000;transport=tcp SIP/2.0\r\n"
				    "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK78\r\nCall-ID: c2\r\n"
				    "From: <sip:b@x>;tag=1\r\nTo: <sip:m@x>\r\nCSeq: 1 INVITE\r\n\r\n";
	ck_assert_int_eq(ws_sip_outbound(stale, sizeof stale - 1, &a, out, sizeof out), -EACCES);
	n = ws_sip_reply(stale, sizeof stale - 1, 480, "Temporarily Unavailable", out, sizeof out);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert(!strncmp(out, "SIP/2.0 480 Temporarily Unavailable\r\n", 37));
	ck_assert_ptr_nonnull(strstr(out, "To: <sip:m@x>;tag="));
	ck_assert_ptr_nonnull(strstr(out, "Call-ID: c2\r\n"));
	/* A response to the browser gets its own Via back; the port prefix is not confused. */
	static const char ok[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bKasudf;"
				 "received=127.0.0.1\r\nContact: <sip:alice@127.0.0.1:40000;transport=tcp>"
				 ";expires=300, <sip:alice@127.0.0.1:400001;transport=tcp>\r\n"
				 "Content-Length: 0\r\n\r\n";
	n = ws_sip_outbound(ok, sizeof ok - 1, &a, out, sizeof out);
	out[n] = '\0';
	ck_assert_ptr_nonnull(strstr(out, "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf;"));
	ck_assert_ptr_nonnull(strstr(out, "<sip:alice@df7jal23ls0d.invalid;transport=ws>;expires=300"));
	ck_assert_ptr_nonnull(strstr(out, "<sip:alice@127.0.0.1:400001;transport=tcp>"));
}
END_TEST

START_TEST(sip_stream_framing)
{
	static const char two[] = "\r\n\r\nOPTIONS sip:x SIP/2.0\r\nl: 2\r\n\r\nabSIP/2.0 200 OK\r\n";
	size_t skip;
	int n = ws_sip_frame(two, sizeof two - 1, 65536, &skip);
	ck_assert_uint_eq(skip, 4);
	ck_assert_int_eq(n, (int)strlen("OPTIONS sip:x SIP/2.0\r\nl: 2\r\n\r\nab"));
	static const char nolen[] = "OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n";
	ck_assert_int_eq(ws_sip_frame(nolen, sizeof nolen - 1, 65536, &skip), -EPROTO);
	static const char big[] = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 999999\r\n\r\n";
	ck_assert_int_eq(ws_sip_frame(big, sizeof big - 1, 65536, &skip), -EMSGSIZE);
	ck_assert_int_eq(ws_sip_frame("\r\n", 2, 65536, &skip), 0);
	ck_assert_uint_eq(skip, 2);
}
END_TEST

START_TEST(source_sign_verify)
{
	uint8_t secret[WS_SECRET_LEN] = { 7 }, other[WS_SECRET_LEN] = { 8 };
	char v[WS_SOURCE_MAX], real[64], proto[8];
	ck_assert_int_eq(ws_source_sign(secret, "198.51.100.7:53211", "wss", "127.0.0.1:40000", v, sizeof v), 0);
	ck_assert_int_eq(ws_source_verify(secret, v, "127.0.0.1:40000", real, sizeof real, proto, sizeof proto), 0);
	ck_assert_str_eq(real, "198.51.100.7:53211");
	ck_assert_str_eq(proto, "wss");
	/* Replayed over another connection, under another secret, or edited: refused. */
	ck_assert_int_eq(ws_source_verify(secret, v, "127.0.0.1:40001", real, sizeof real, proto, sizeof proto), -EPERM);
	ck_assert_int_eq(ws_source_verify(other, v, "127.0.0.1:40000", real, sizeof real, proto, sizeof proto), -EPERM);
	v[2] = '9';
	ck_assert_int_eq(ws_source_verify(secret, v, "127.0.0.1:40000", real, sizeof real, proto, sizeof proto), -EPERM);
	ck_assert_int_eq(ws_source_verify(secret, "1.2.3.4:5", "127.0.0.1:40000", real, sizeof real, proto, sizeof proto), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("websocket");
	TCase *tc = tcase_create("frames");
	tcase_add_test(tc, frame_masked_text);
	tcase_add_test(tc, frame_fragments_and_control_between);
	tcase_add_test(tc, frame_violations);
	tcase_add_test(tc, frame_close_and_write);
	suite_add_tcase(s, tc);
	tc = tcase_create("handshake");
	tcase_add_test(tc, handshake_rfc6455_example);
	tcase_add_test(tc, handshake_refusals);
	suite_add_tcase(s, tc);
	tc = tcase_create("sip");
	tcase_add_test(tc, sip_inbound_aliases);
	tcase_add_test(tc, sip_outbound_maps_back);
	tcase_add_test(tc, sip_stream_framing);
	tcase_add_test(tc, source_sign_verify);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
