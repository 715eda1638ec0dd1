/* dtmf_iw.c - see dtmf_iw.h. */
#include "config.h"
#include "media/dtmf_iw.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp/telephony.h>
#include <spandsp/logging.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

/* Keypad by row (697, 770, 852, 941 Hz) and column (1209 .. 1633 Hz). */
static const char keypad[] = "123A456B789C*0#D";
static const double row_hz[4] = { 697, 770, 852, 941 };
static const double col_hz[4] = { 1209, 1336, 1477, 1633 };
static const char codes[] = "0123456789*#ABCD";

/* Each tone at about -9 dBm0 (0 dBm0 is a sine of peak 22776 in G.711's
 * 16-bit scale). */
#define DTMF_GEN_PEAK 8100.0

int dtmf_code_of(char digit)
{
	const char *p = digit ? strchr(codes, digit) : NULL;
	return p ? (int)(p - codes) : -1;
}

char dtmf_char_of(int code)
{
	return code >= 0 && code < 16 ? codes[code] : '\0';
}

/* ---- events -> tones ---- */

void dtmf_gen_init(struct dtmf_gen *g, uint32_t rate)
{
	memset(g, 0, sizeof *g);
	g->rate = rate ? rate : 8000;
}

static void osc_start(struct dtmf_gen *g, int code)
{
	int pos = (int)(strchr(keypad, dtmf_char_of(code)) - keypad);
	double f[2] = { row_hz[pos / 4], col_hz[pos % 4] };

	for (int i = 0; i < 2; i++) {
		double w = 2.0 * M_PI * f[i] / g->rate;
		g->k[i] = 2.0 * cos(w);
		g->y1[i] = -DTMF_GEN_PEAK * sin(w);             /* y[-1] */
		g->y2[i] = -DTMF_GEN_PEAK * sin(2.0 * w);       /* y[-2] */
	}
}

static uint64_t ms_samples(const struct dtmf_gen *g, unsigned ms)
{
	return (uint64_t)g->rate * ms / 1000;
}

static void set_end(struct dtmf_gen *g, uint32_t dur, uint32_t clock)
{
	uint64_t t = (uint64_t)dur * g->rate / clock, min = ms_samples(g, DTMF_GEN_MIN_MS);
	g->end_seen = true;
	g->target = t > min ? t : min;
}

void dtmf_gen_event(struct dtmf_gen *g, const uint8_t *pl, size_t len, uint32_t ts, uint32_t clock)
{
	if (len < 4 || !clock || pl[0] > 15)
		return;
	bool end = (pl[1] & 0x80) != 0;
	uint32_t dur = (uint32_t)pl[2] << 8 | pl[3];

	if (g->have_last && g->last_ts == ts && g->last_code == pl[0]) {
		/* More of the event playing (or repeats of one already done). */
		if (g->active && g->code == pl[0] && g->ev_ts == ts && !g->end_seen) {
			g->idle = 0;
			if (end)
				set_end(g, dur, clock);
		}
		return;
	}
	g->have_last = true;
	g->last_ts = g->ev_ts = ts;
	g->last_code = g->code = pl[0];
	g->active = true;
	g->end_seen = false;
	g->played = g->idle = 0;
	g->gap_left = ms_samples(g, DTMF_GEN_GAP_MS);
	if (end)
		set_end(g, dur, clock);
	osc_start(g, pl[0]);
	g->digits++;
}

void dtmf_gen_frame(struct dtmf_gen *g, int16_t *pcm, size_t n)
{
	if (!g->active)
		return;
	g->idle += n;
	if (!g->end_seen && g->idle >= ms_samples(g, DTMF_GEN_IDLE_MS)) {
		g->end_seen = true;         /* its end was lost: stop now */
		g->target = g->played;
	}
	for (size_t i = 0; i < n && g->active; i++) {
		if (!g->end_seen || g->played < g->target) {
			double s = 0;
			for (int t = 0; t < 2; t++) {
				double y = g->k[t] * g->y1[t] - g->y2[t];
				g->y2[t] = g->y1[t];
				g->y1[t] = y;
				s += y;
			}
			pcm[i] = (int16_t)lrint(s);
			g->played++;
		} else if (g->gap_left) {
			pcm[i] = 0;
			g->gap_left--;
		} else {
			g->active = false;  /* the rest of the frame is audio again */
		}
	}
	if (g->active && g->end_seen && g->played >= g->target && !g->gap_left)
		g->active = false;
}

/* ---- tones -> events ---- */

struct dtmf_det_state {
	dtmf_rx_state_t *rx;
	char cur;                   /* the digit sounding, '\0' none */
	bool touched;               /* a report came during this feed */
	bool start_pending, end_pending, sending;
	uint8_t code;
	uint32_t periods;
	uint64_t digits;
};

static void on_tone(void *arg, int code, int level, int delay)
{
	struct dtmf_det_state *st = arg;

	st->touched = true;
	if (code && dtmf_code_of((char)code) >= 0) {
		st->cur = (char)code;
		st->start_pending = true;
		st->end_pending = false;
	} else if (!code && st->cur) {
		st->cur = '\0';
		st->end_pending = true;
	}
}

int dtmf_det_init(struct dtmf_det *d)
{
	struct dtmf_det_state *st = calloc(1, sizeof *st);

	d->st = NULL;
	if (!st)
		return -ENOMEM;
	st->rx = dtmf_rx_init(NULL, NULL, NULL);
	if (!st->rx) {
		free(st);
		return -ENOMEM;
	}
	dtmf_rx_set_realtime_callback(st->rx, on_tone, st);
	d->st = st;
	return 0;
}

void dtmf_det_free(struct dtmf_det *d)
{
	if (!d->st)
		return;
	dtmf_rx_free(d->st->rx);
	free(d->st);
	d->st = NULL;
}

bool dtmf_det_feed(struct dtmf_det *d, const int16_t *pcm, size_t n)
{
	struct dtmf_det_state *st = d->st;
	bool was = st->cur != '\0';
	char sink[8];

	st->touched = false;
	dtmf_rx(st->rx, pcm, (int)n);
	/* Digits also queue inside dtmf_rx; drain them so it never overflows. */
	while (dtmf_rx_get(st->rx, sink, (int)sizeof sink) > 0)
		;
	/* 'x' ("maybe"): a digit may be starting; mute early rather than late. */
	return was || st->cur != '\0' || st->touched || dtmf_rx_status(st->rx) != 0;
}

bool dtmf_det_period(struct dtmf_det *d, struct dtmf_det_ev *ev)
{
	struct dtmf_det_state *st = d->st;

	memset(ev, 0, sizeof *ev);
	if (st->start_pending) {
		st->start_pending = false;
		st->sending = true;
		st->code = (uint8_t)dtmf_code_of(st->cur);
		st->periods = 0;
		st->digits++;
		ev->start = true;
	}
	if (!st->sending)
		return false;
	st->periods++;
	ev->code = st->code;
	ev->dur_ms = st->periods * 20;
	if (st->end_pending) {
		st->end_pending = false;
		st->sending = false;
		ev->end = true;
	}
	return true;
}

uint64_t dtmf_det_digits(const struct dtmf_det *d)
{
	return d->st ? d->st->digits : 0;
}
