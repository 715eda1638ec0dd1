/* dtmf_iw.h - DTMF interworking on one decoded direction of a call, when
 * exactly one of its legs accepted telephone-event (RFC 4733):
 *
 *   dtmf_gen: RFC 4733 events arriving from the leg that has them become
 *     in-band tones in the audio sent to the leg that has none. The tone
 *     replaces the audio while the event lasts (as long as the event's own
 *     duration, at least DTMF_GEN_MIN_MS), followed by DTMF_GEN_GAP_MS of
 *     silence, so two digits in a row stay two digits. The two sines are
 *     made here at the direction's PCM rate (8, 16 or 48 kHz): spandsp's
 *     dtmf_tx/tone_gen run at 8 kHz only, and the length must follow the
 *     event, not a fixed on/off cadence. An event whose end never arrives
 *     stops DTMF_GEN_IDLE_MS after its last packet.
 *   dtmf_det: in-band digits arriving from the leg without telephone-event
 *     are detected with spandsp's dtmf_rx (8 kHz PCM) and sent as RFC 4733
 *     events to the other leg; while a digit sounds the audio is muted, and
 *     the direction's audio is delayed by DTMF_DET_DELAY_MS so that the
 *     start of the tone, heard before dtmf_rx is sure, is muted too. A
 *     receiver therefore never gets a digit twice (event and tone).
 *
 * Event codes: 0-9, 10 '*', 11 '#', 12-15 'A'-'D'; other events are ignored.
 *
 * Threads and ownership: dtmf_det_init() allocates (control path) and
 * dtmf_det_free() frees; everything else runs on the worker that owns the
 * direction and never allocates. dtmf_gen has no resources.
 */
#ifndef TANDEM_MEDIA_DTMF_IW_H
#define TANDEM_MEDIA_DTMF_IW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_GEN_MIN_MS 60
#define DTMF_GEN_GAP_MS 50
#define DTMF_GEN_IDLE_MS 300
#define DTMF_DET_DELAY_MS 40

/* RFC 4733 event code of a DTMF character, or -1; and back ('\0' if none). */
int dtmf_code_of(char digit);
char dtmf_char_of(int code);

struct dtmf_gen {
	uint32_t rate;              /* PCM rate of the frames */
	bool active;                /* a tone (or its trailing gap) is playing */
	bool end_seen;
	bool have_last;
	uint8_t code;
	uint32_t ev_ts;             /* the playing event's RTP timestamp */
	uint32_t last_ts;           /* the last event played (its repeats are ignored) */
	uint8_t last_code;
	uint64_t played;            /* tone samples played */
	uint64_t target;            /* tone samples to play once the end is seen */
	uint64_t gap_left;          /* silence samples after the tone */
	uint64_t idle;              /* samples since the event's last packet */
	double k[2], y1[2], y2[2];  /* the two oscillators */
	uint64_t digits;            /* events played (stats, tests) */
};

void dtmf_gen_init(struct dtmf_gen *g, uint32_t rate);
/* An RFC 4733 payload (untrusted, 'len' bytes) with RTP timestamp 'ts' in
 * an event clock of 'clock' Hz. */
void dtmf_gen_event(struct dtmf_gen *g, const uint8_t *payload, size_t len, uint32_t ts,
		    uint32_t clock);
/* Is a tone or its gap playing (the next frame must go through
 * dtmf_gen_frame even when no audio arrived)? */
static inline bool dtmf_gen_busy(const struct dtmf_gen *g)
{
	return g->active;
}
/* Replace pcm[n] (mono) with the tone or its gap; no-op when idle. */
void dtmf_gen_frame(struct dtmf_gen *g, int16_t *pcm, size_t n);

struct dtmf_det_state;

/* One event to send this period, from dtmf_det_period(). */
struct dtmf_det_ev {
	uint8_t code;
	bool start;                 /* first packet of the event (new timestamp) */
	bool end;                   /* the end packet (send it three times) */
	uint32_t dur_ms;            /* duration so far */
};

struct dtmf_det {
	struct dtmf_det_state *st;
};

/* 0, -ENOMEM. */
int dtmf_det_init(struct dtmf_det *d);
void dtmf_det_free(struct dtmf_det *d);
/* Feed n samples of 8 kHz mono PCM. Returns true while a digit sounds (or
 * has just been heard): the caller mutes what it holds of the audio. */
bool dtmf_det_feed(struct dtmf_det *d, const int16_t *pcm, size_t n);
/* One 20 ms period elapsed: the event packet due, if any (true). */
bool dtmf_det_period(struct dtmf_det *d, struct dtmf_det_ev *ev);
/* Digits detected so far (stats, tests). */
uint64_t dtmf_det_digits(const struct dtmf_det *d);

#endif
