/* ws_source.h - the real source of a request that came through the
 * WebSocket shim.
 *
 * Every browser reaches sofia from 127.0.0.1, so the shim adds
 * `X-Tandem-Source: IP:PORT;proto=wss;via=127.0.0.1:LPORT;sig=HEX` to each
 * request (after removing any such header the client sent). sig is an
 * HMAC-SHA256 under a per-process secret over the rest of the value, and
 * `via` must equal the address sofia saw the message come from, so the
 * header can neither be forged by a client nor replayed over another
 * connection. Pure functions; the caller owns every buffer.
 */
#ifndef TANDEM_SIP_WS_SOURCE_H
#define TANDEM_SIP_WS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#define WS_SECRET_LEN 32
#define WS_SOURCE_MAX 192   /* longest header value */

/* Build the header value into out (>= WS_SOURCE_MAX). Returns 0 or -ENOSPC. */
int ws_source_sign(const uint8_t secret[WS_SECRET_LEN], const char *real, const char *proto,
		   const char *local, char *out, size_t outlen);

/* Check a header value against the address the message came from
 * (msg_src, "127.0.0.1:PORT"). On success copies the real "IP:PORT" and the
 * protocol ("ws"/"wss") and returns 0; -EPERM when the signature or the
 * connection does not match, -EINVAL when malformed. */
int ws_source_verify(const uint8_t secret[WS_SECRET_LEN], const char *value, const char *msg_src,
		     char *real, size_t reallen, char *proto, size_t protolen);

#endif
