/* endpoint.h - local endpoints: legs that end on the gateway.
 *
 *   echo       every RTP packet received is sent back to where the leg's media
 *              comes from (the latched source), payload untouched, as a stream
 *              of the gateway's own: its own SSRC, sequence numbers and
 *              timestamps offset by a constant chosen at random, so gaps,
 *              reordering and timing of the caller's stream are preserved and
 *              the caller never receives its own SSRC back (RFC 3550 collision
 *              detection would make some phones change SSRC).
 *   milliwatt  1004 Hz at 0 dBm0 (the digital milliwatt) in G.711 (PCMU or PCMA as negotiated),
 *              20 ms frames paced by a libevent timer on the worker; it sends
 *              only while its answer allows (not when the peer says recvonly
 *              or inactive). 1004 Hz rather than 1000 Hz so the tone does not
 *              alias onto the 8 kHz sampling grid (ITU-T O.151 practice).
 *
 * Received media and RTCP are consumed. The SDP side lives in sdp_ops.h
 * (sdpo_endpoint_answer).
 */
#ifndef TANDEM_MEDIA_ENDPOINT_H
#define TANDEM_MEDIA_ENDPOINT_H

#include <stdint.h>

#define TONE_HZ 1004
#define TONE_DBM0 (0.0)   /* the digital milliwatt is 0 dBm0 (G.711), as test sets expect */
#define TONE_TABLE_LEN 8000         /* 1 s at 8 kHz: 251 whole periods, 50 frames */
#define TONE_FRAME 160              /* 20 ms */

/* Fill one second of the milliwatt tone in mu-law and A-law. */
void endpoint_tone_tables(uint8_t ulaw[TONE_TABLE_LEN], uint8_t alaw[TONE_TABLE_LEN]);

/* Peak amplitude (16-bit linear) of a 0 dBm0 sine for each law (G.711
 * Table 5/6: T_max = +3.17 dBm0 for mu-law, +3.14 dBm0 for A-law). */
double endpoint_0dbm0_peak(int alaw);

#endif
