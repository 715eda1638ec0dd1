/* dtmf.h - RFC 4733 telephone-event packets between legs of different clocks.
 *
 * A telephone-event payload is one or more 4-byte blocks: event (8 bits),
 * E (end) | R | volume (6 bits), duration (16 bits, in ticks of the event's
 * RTP clock). All packets of one event carry the event's start timestamp.
 * When a G.711 leg (telephone-event/8000) meets an Opus leg
 * (telephone-event/48000), durations scale by the clock ratio, and the
 * start timestamp must be expressed in the outgoing stream's clock.
 *
 * Pure functions over caller-owned buffers; no allocation. dtmf_rescale()
 * touches bytes from the network and is fuzz-safe (bounded by len).
 */
#ifndef TANDEM_MEDIA_DTMF_H
#define TANDEM_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_BLOCK 4

/* Scale the duration of every block of an RFC 4733 payload from in_rate to
 * out_rate ticks, in place (saturating at 0xffff). Returns 0, or -EINVAL
 * when len is not a non-zero multiple of 4. */
int dtmf_rescale(uint8_t *payload, size_t len, uint32_t in_rate, uint32_t out_rate);

/* Is an RFC 4733 payload (untrusted, 'len' bytes) the end of a DTMF event:
 * its first block has the E bit and an event code 0-15? Then *code is the
 * code and *dur_ms the duration at clock 'rate' (0 when rate is 0). */
bool dtmf_event_end(const uint8_t *payload, size_t len, uint32_t rate, uint8_t *code,
		    unsigned *dur_ms);

/* Is this the end packet of an event (E bit of the first block)? Needs len >= 4. */
static inline bool dtmf_is_end(const uint8_t *payload)
{
	return (payload[1] & 0x80) != 0;
}

/* Start timestamps of events on one transcoded direction: all packets of an
 * event keep the outgoing start timestamp chosen for its first packet. */
struct dtmf_map {
	bool have;
	uint32_t in_ts;             /* start timestamp as received */
	uint32_t out_ts;            /* the same instant in the outgoing stream */
};

/* The outgoing start timestamp for an event packet with timestamp in_ts;
 * 'now_out' is the outgoing stream's current timestamp (used when in_ts
 * starts a new event). */
uint32_t dtmf_map_ts(struct dtmf_map *m, uint32_t in_ts, uint32_t now_out);

#endif
