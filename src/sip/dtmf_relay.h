/* dtmf_relay.h - DTMF in SIP INFO bodies: parse what a peer sends, write
 * what we send.
 *
 * Two body types are read:
 *   application/dtmf-relay   "Signal=5\r\nDuration=160\r\n" (the de facto
 *                            format: keys case-insensitive, spaces around
 *                            '=' allowed, LF or CRLF, Signal may also be an
 *                            event code 10..15 for * # A-D, Duration in ms,
 *                            250 when absent)
 *   application/dtmf         the digit (or its event code) alone
 * and application/dtmf-relay is written.
 *
 * Pure functions over (buf, len) from the network: bounded, no allocation,
 * fuzzed (tests/fuzz/fuzz_dtmf_relay.c).
 */
#ifndef TANDEM_SIP_DTMF_RELAY_H
#define TANDEM_SIP_DTMF_RELAY_H

#include <stddef.h>

#define DTMF_RELAY_TYPE "application/dtmf-relay"
#define DTMF_RELAY_DEFAULT_MS 250
#define DTMF_RELAY_MAX_BODY 1024    /* longer bodies are refused */

/* Parse a body of content type 'ctype' ("type/subtype", parameters
 * ignored; NULL = dtmf-relay). Returns 0 with *digit ('0'-'9', '*', '#',
 * 'A'-'D') and *duration_ms (0..60000), -ENOTSUP for another content type,
 * -EINVAL for a body without a valid digit. */
int dtmf_relay_parse(const char *ctype, const char *body, size_t len, char *digit,
		     unsigned *duration_ms);

/* Write an application/dtmf-relay body. Returns its length, or -EINVAL for
 * a bad digit, -ENOBUFS when it does not fit. */
int dtmf_relay_format(char digit, unsigned duration_ms, char *out, size_t size);

#endif
