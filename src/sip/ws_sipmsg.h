/* ws_sipmsg.h - rewriting SIP messages between a WebSocket client and the
 * internal sofia TCP listener (RFC 7118 bridging; see doc/websocket.md).
 *
 * Each WebSocket connection has one TCP connection to sofia, whose local
 * address ("127.0.0.1:PORT") stands in for the browser: the browser's Contact
 * (sip:x@rand.invalid;transport=ws) becomes sip:x@127.0.0.1:PORT;transport=tcp
 * towards sofia, so sofia sends requests for that binding over this very
 * connection, and is mapped back on the way out. Pure text functions over
 * caller buffers: no allocation, no I/O. Malformed input gives -EINVAL.
 */
#ifndef TANDEM_SIP_WS_SIPMSG_H
#define TANDEM_SIP_WS_SIPMSG_H

#include <stdbool.h>
#include <stddef.h>

#define WS_SIP_HEAD_MAX 16384      /* longest header block accepted */
#define WS_ALIAS_USERS 8

struct ws_alias {
	char local[64];          /* "127.0.0.1:PORT" of the TCP connection to sofia */
	char orig_host[128];     /* host[:port] of the browser's Contact ("" until seen) */
	char orig_via[192];      /* "SIP/2.0/WSS host" of the browser's last request */
	char users[WS_ALIAS_USERS][64];  /* Contact user parts seen on this connection */
	unsigned nusers;
};

/* Length of the first SIP message in a TCP byte stream from sofia, after
 * *skip leading CRLFs (keep-alives). Returns > 0, 0 when incomplete (or only
 * CRLFs so far), -EPROTO when the head is malformed or has no Content-Length,
 * -EMSGSIZE when the message exceeds max. */
int ws_sip_frame(const char *buf, size_t len, size_t max, size_t *skip);

/* Browser -> sofia: write the rewritten message into out. Drops any
 * X-Tandem-Source header the client sent, inserts `X-Tandem-Source: src_hdr`
 * (when non-NULL) after the start line, rewrites the top Via of a request
 * and the ws/wss Contact URIs (learning a->orig_via, orig_host, users), and
 * recomputes Content-Length from the body actually present. Returns the
 * length written, -EINVAL for a message that is not SIP, -ENOSPC. */
int ws_sip_inbound(const char *in, size_t inlen, struct ws_alias *a, const char *src_hdr,
		   char *out, size_t outlen);

/* Sofia -> browser: maps a->local back to the browser's Contact in the
 * Request-URI and Contact headers and restores the top Via of responses.
 * Returns the length written, -EINVAL, -ENOSPC, or -EACCES for a request
 * whose Request-URI names a user that never registered over this connection
 * (a stale binding on a reused port: never deliver it). */
int ws_sip_outbound(const char *in, size_t inlen, const struct ws_alias *a, char *out, size_t outlen);

/* A response `code reason` to the request in[0..inlen) (Via, From, To,
 * Call-ID, CSeq copied), for answering sofia when the shim refuses a
 * request. Returns the length, or negative as above. */
int ws_sip_reply(const char *in, size_t inlen, int code, const char *reason, char *out, size_t outlen);

#endif
