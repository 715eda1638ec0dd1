/* ws_handshake.h - the HTTP/1.1 upgrade request that opens a WebSocket
 * (RFC 6455 4.2) and the 101 answer. Pure functions; no I/O, no allocation.
 */
#ifndef TANDEM_SIP_WS_HANDSHAKE_H
#define TANDEM_SIP_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#define WS_HANDSHAKE_MAX 8192    /* a longer request head is refused */

struct ws_handshake {
	char path[256];
	char host[256];
	char origin[256];     /* "" when the client sent none (not a browser) */
	char key[64];         /* Sec-WebSocket-Key as sent */
	bool proto_sip;       /* "sip" is among Sec-WebSocket-Protocol */
	char forwarded[64];   /* X-Forwarded-For's first address, "" if none */
};

/* Length of the request head (through the blank line) in buf, 0 when it is
 * not complete yet, -EMSGSIZE when no end is found within WS_HANDSHAKE_MAX. */
int ws_handshake_complete(const char *buf, size_t len);

/* Parse a complete request head. Returns 0, or an HTTP status to answer
 * (400, 405, 426) with *why set to a static reason for the log. */
int ws_handshake_parse(const char *buf, size_t len, struct ws_handshake *h, const char **why);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)); out >= 29. */
int ws_accept_value(const char *key, char *out, size_t outlen);

/* Is origin in the comma/space separated allow-list? An empty or NULL list
 * allows every origin. Comparison is exact (scheme://host[:port]), case
 * insensitive. */
bool ws_origin_allowed(const char *list, const char *origin);

#endif
