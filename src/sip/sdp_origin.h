/* sdp_origin.h - is a re-offer only a refresh? (RFC 3264 8, RFC 4028)
 *
 * A peer that refreshes a session with a re-INVITE or UPDATE repeats the
 * SDP it sent before, with the same o= line: an unchanged session keeps its
 * version. A new version is a new offer, even with the same body, and is
 * relayed. Pure functions over caller-owned bytes (network input: no NUL
 * needed, nothing read past len). */
#ifndef TANDEM_SIP_SDP_ORIGIN_H
#define TANDEM_SIP_SDP_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

/* The first o= line (at the start of a line) of sdp[0..len): its offset in
 * *at and its length without the line end; 0 when there is none. */
size_t sdp_origin_line(const char *sdp, size_t len, size_t *at);

/* Same session: both have an o= line and they are equal; when either has
 * none, the bodies are equal. */
bool sdp_same_session(const char *a, size_t alen, const char *b, size_t blen);

#endif
