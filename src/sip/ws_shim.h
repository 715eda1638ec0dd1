/* ws_shim.h - SIP over WebSocket (RFC 7118) in front of sofia-sip.
 *
 * Debian's sofia-sip has no WebSocket transport, so a shim thread with its
 * own libevent loop terminates WS and WSS and opens, per WebSocket
 * connection, one TCP connection to sofia's internal loopback listener. SIP
 * text is rewritten at the boundary (ws_sipmsg.h): Content-Length fixed,
 * Contact aliased to that TCP connection so sofia sends requests for the
 * browser over it, and a signed X-Tandem-Source header (ws_source.h) tells
 * the SIP side who really sent each request. Design notes: doc/websocket.md.
 *
 * Ownership: ws_shim_start() copies everything it needs from the conf (no
 * pointer is kept) and returns a shim owned by the caller; ws_shim_stop()
 * closes every connection, joins the thread and frees it. on_closed is
 * called on the shim thread with the connection's loopback address
 * ("127.0.0.1:PORT") when a WebSocket that reached sofia closes, so the SIP
 * side can drop that connection's registrations at once; it must not block.
 */
#ifndef TANDEM_SIP_WS_SHIM_H
#define TANDEM_SIP_WS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "sip/ws_source.h"

struct ws_shim_conf {
	const char *ws_listen;        /* "IP:PORT" / "[IPv6]:PORT", or NULL: no plain WS */
	const char *wss_listen;       /* NULL: no WSS */
	const char *certificate;      /* PEM chain for WSS */
	const char *private_key;
	const char *origins;          /* allowed Origin values; NULL/"" = any */
	unsigned max_per_ip;          /* concurrent connections per source IP; 0 = no cap */
	unsigned max_connections;     /* in all; 0 = no cap */
	size_t max_message;           /* largest WebSocket message (and SIP message) */
	unsigned handshake_timeout;   /* s to complete the TCP/TLS/HTTP handshake */
	unsigned ping_interval;       /* s between pings; the peer is gone after 2 silent ones */
	const char *sofia;            /* "127.0.0.1:PORT": sofia's internal TCP listener */
	uint8_t secret[WS_SECRET_LEN];
};

typedef struct ws_shim ws_shim_t;
typedef void (*ws_closed_fn)(void *arg, const char *local);

int ws_shim_start(const struct ws_shim_conf *c, ws_closed_fn on_closed, void *arg, ws_shim_t **out);
void ws_shim_stop(ws_shim_t *s);

/* Load a new certificate and key for new WSS connections (any thread). On
 * error the old ones stay in use and the reason is logged. */
int ws_shim_set_tls(ws_shim_t *s, const char *certificate, const char *private_key);

struct ws_shim_stats {
	uint64_t accepted;     /* WebSocket handshakes completed */
	uint64_t refused;      /* connections refused: caps, bad handshake, origin */
	uint64_t active;
	uint64_t msgs_in, msgs_out;
	uint64_t closed_oversize;
};
void ws_shim_stats(const ws_shim_t *s, struct ws_shim_stats *out);

/* Bound addresses ("IP:PORT"), for tests that listen on port 0. */
const char *ws_shim_ws_addr(const ws_shim_t *s);
const char *ws_shim_wss_addr(const ws_shim_t *s);

#endif
