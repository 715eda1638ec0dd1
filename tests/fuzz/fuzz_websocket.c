/* fuzz_websocket.c - everything the WebSocket shim parses from the network:
 * frames (ws_reader over a byte stream), the HTTP upgrade request, SIP
 * messages in both directions, and the signed source header.
 *
 * The first byte picks the parser. Besides "no crash", it checks contracts:
 * a message the shim forwards to sofia is framed exactly by its own
 * Content-Length (ws_sip_frame() finds it whole), outputs stay in their
 * buffers, and a reader never reports a message larger than its limit.
 */
/* fuzz-sources: src/sip/ws_frame.c src/sip/ws_handshake.c src/sip/ws_sipmsg.c src/sip/ws_source.c */
/* fuzz-pkgs: openssl */
#include "config.h"
#include "sip/ws_frame.h"
#include "sip/ws_handshake.h"
#include "sip/ws_sipmsg.h"
#include "sip/ws_source.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void frames(const uint8_t *p, size_t n)
{
	struct ws_reader r;
	ws_reader_init(&r, 300);
	while (n) {
		size_t used;
		int ev = ws_reader_next(&r, p, n, &used);
		if (ev == WS_EV_MESSAGE && r.msg_len > 300)
			abort();
		if (ev < 0 || used == 0)
			break;
		p += used;
		n -= used;
	}
	ws_reader_free(&r);
}

static void handshake(const uint8_t *p, size_t n)
{
	struct ws_handshake h;
	const char *why;
	int hl = ws_handshake_complete((const char *)p, n);
	if (hl > 0 && ws_handshake_parse((const char *)p, (size_t)hl, &h, &why) == 0) {
		char acc[32];
		if (ws_accept_value(h.key, acc, sizeof acc) < 0)
			abort();
		ws_origin_allowed("http://a https://b", h.origin);
	}
}

static void sip(const uint8_t *p, size_t n, int dir)
{
	static char out[70000];
	struct ws_alias a = { .local = "127.0.0.1:40000" };
	if (dir == 0) {
		int r = ws_sip_inbound((const char *)p, n, &a, "1.2.3.4:5;proto=ws;via=x;sig=y", out, sizeof out);
		if (r > 0) {
			size_t skip;
			int f = ws_sip_frame(out, (size_t)r, sizeof out, &skip);
			if (f != r || skip != 0)
				abort();    /* forwarded bytes must frame as one whole message */
		}
		return;
	}
	strcpy(a.orig_host, "abc.invalid");
	strcpy(a.orig_via, "SIP/2.0/WSS abc.invalid");
	strcpy(a.users[0], "u1");
	a.nusers = 1;
	size_t skip;
	int f = ws_sip_frame((const char *)p, n, 65536, &skip);
	if (f > 0) {
		if ((size_t)f + skip > n)
			abort();
		ws_sip_outbound((const char *)p + skip, (size_t)f, &a, out, sizeof out);
		ws_sip_reply((const char *)p + skip, (size_t)f, 480, "Temporarily Unavailable", out, sizeof out);
	}
}

static void source(const uint8_t *p, size_t n)
{
	static const uint8_t secret[WS_SECRET_LEN] = { 1, 2, 3 };
	char v[WS_SOURCE_MAX + 8], real[64], proto[8];
	if (n >= sizeof v)
		n = sizeof v - 1;
	memcpy(v, p, n);
	v[n] = '\0';
	ws_source_verify(secret, v, "127.0.0.1:40000", real, sizeof real, proto, sizeof proto);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 5) {
	case 0: frames(p, n); break;
	case 1: handshake(p, n); break;
	case 2: sip(p, n, 0); break;
	case 3: sip(p, n, 1); break;
	default: source(p, n); break;
	}
	return 0;
}
