/* dtls.h - DTLS-SRTP (RFC 5763/5764) on OpenSSL for one media leg.
 *
 * struct mdtls_cert is the process's identity: a certificate and key loaded
 * from files, or an ECDSA P-256 self-signed certificate generated at start,
 * with its SHA-256 fingerprint as a=fingerprint wants it. It is immutable
 * once made, shared read-only by every worker (SSL_CTX is thread-safe for
 * SSL_new), and freed by mdtls_cert_free() after the last leg.
 *
 * struct mdtls is one handshake, owned by the worker of its leg. It does no
 * I/O: datagrams the peer sent go in with mdtls_input(), records to send
 * come out of mdtls_output(), the retransmission timer is driven with
 * mdtls_timeout_ms()/mdtls_on_timer(). The role is fixed at creation
 * (RFC 5763: a=setup:passive answer -> server, never a client), so a
 * ClientHello is only ever sent by an active (client) leg. The peer's
 * certificate must match the a=fingerprint of its SDP, else the handshake
 * fails (MDTLS_FAILED, reason "fingerprint mismatch").
 */
#ifndef TANDEM_MEDIA_DTLS_H
#define TANDEM_MEDIA_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/srtp.h"

#define MDTLS_FP_MAX 112            /* "sha-256 " + 32 * 3 hex */

struct mdtls_cert;

/* cert_file/key_file NULL: generate. 0, -EINVAL (unreadable or mismatched
 * files: a log line names them), -ENOMEM, -EIO. */
int mdtls_cert_new(const char *cert_file, const char *key_file, struct mdtls_cert **out);
void mdtls_cert_free(struct mdtls_cert *c);
/* "sha-256 AB:CD:..." */
const char *mdtls_cert_fingerprint(const struct mdtls_cert *c);

/* RFC 7983: a datagram whose first byte is 20..63 is DTLS. */
static inline bool mdtls_is_candidate(const uint8_t *buf, size_t len)
{
	return len >= 13 && buf[0] >= 20 && buf[0] <= 63;
}

enum mdtls_state { MDTLS_HANDSHAKING = 0, MDTLS_CONNECTED, MDTLS_FAILED };

struct mdtls;
/* client: we send the ClientHello (we answered or offered a=setup:active).
 * remote_fp: the peer's a=fingerprint value ("sha-256 AB:..."); only
 * sha-256 is accepted (-ENOTSUP otherwise). */
int mdtls_new(const struct mdtls_cert *cert, bool client, const char *remote_fp,
	      struct mdtls **out);
void mdtls_free(struct mdtls *d);

/* Client: queue the ClientHello (then mdtls_output). Server: nothing. */
int mdtls_start(struct mdtls *d);
/* One datagram from the peer. Returns the state after it. */
enum mdtls_state mdtls_input(struct mdtls *d, const uint8_t *buf, size_t len);
/* Next datagram to send (records cut at record boundaries to stay under
 * the MTU). Returns its length, 0 when nothing is pending. */
size_t mdtls_output(struct mdtls *d, uint8_t *out, size_t cap);
/* Milliseconds until the retransmission timer fires, -1 when none runs. */
long mdtls_timeout_ms(struct mdtls *d);
/* The retransmission timer fired: queues the flight again. */
void mdtls_on_timer(struct mdtls *d);

enum mdtls_state mdtls_state(const struct mdtls *d);
/* Why the handshake failed ("fingerprint mismatch", the OpenSSL reason...). */
const char *mdtls_error(const struct mdtls *d);

/* After MDTLS_CONNECTED: the SRTP keys negotiated by the use_srtp
 * extension, exported with "EXTRACTOR-dtls_srtp" (RFC 5764 4.2): 'tx' for
 * what we send, 'rx' for what the peer sends. 0, -ENOTSUP (no SRTP profile
 * we support was negotiated), -EIO. */
int mdtls_srtp_keys(struct mdtls *d, struct msrtp_keys *tx, struct msrtp_keys *rx);

#endif
