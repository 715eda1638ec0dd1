/* repack.c - see repack.h. */
#include "config.h"
#include "media/repack.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

int repack_unit_of(const char *name, uint32_t clock, struct repack_unit *u)
{
	static const struct { const char *name; uint32_t clock; struct repack_unit u; } tab[] = {
		{ "PCMU", 8000, { 1, 1 } },
		{ "PCMA", 8000, { 1, 1 } },
		{ "G722", 8000, { 1, 1 } },        /* 64 kbit/s: a byte per clock tick */
		{ "G729", 8000, { 10, 80 } },
	};

	for (size_t i = 0; name && i < sizeof tab / sizeof tab[0]; i++)
		if (strcasecmp(name, tab[i].name) == 0 && clock == tab[i].clock) {
			*u = tab[i].u;
			return 0;
		}
	return -ENOTSUP;
}

unsigned repack_leg_ptime(unsigned ptime, unsigned maxptime)
{
	unsigned p = ptime ? ptime : REPACK_DEFAULT_MS;
	if (maxptime && maxptime < p)
		p = maxptime;
	return p;
}

static uint32_t ticks_of(const struct repack *r, uint32_t bytes)
{
	return bytes / r->u.bytes * r->u.ticks;
}

int repack_init(struct repack *r, const struct repack_unit *u, uint32_t clock, unsigned out_ms)
{
	memset(r, 0, sizeof *r);
	if (!u->bytes || !u->ticks || u->bytes > REPACK_MAX_OUT || clock < 1000 || !out_ms)
		return -EINVAL;
	uint64_t ticks = (uint64_t)clock * out_ms / 1000;
	uint64_t units = ticks / u->ticks;
	if (units == 0)
		units = 1;
	if (units * u->bytes > REPACK_MAX_OUT)
		units = REPACK_MAX_OUT / u->bytes;
	r->u = *u;
	r->clock = clock;
	r->out_bytes = (uint32_t)(units * u->bytes);
	return 0;
}

void repack_reset(struct repack *r)
{
	r->have_next = false;
	r->fl_len = r->blen = r->taken = 0;
	r->bmarker = r->fl_marker = false;
}

/* Drop what was taken from the front of the run. */
static void compact(struct repack *r)
{
	if (!r->taken)
		return;
	r->blen -= r->taken;
	memmove(r->buf, r->buf + r->taken, r->blen);
	r->bts += ticks_of(r, r->taken);
	r->bmarker = false;
	r->taken = 0;
}

void repack_flush(struct repack *r)
{
	compact(r);
	if (!r->blen)
		return;
	/* blen < out_bytes here: every whole packet was taken already. */
	memcpy(r->fl, r->buf, r->blen);
	r->fl_len = r->blen;
	r->fl_ts = r->bts;
	r->fl_marker = r->bmarker;
	r->blen = 0;
	r->bmarker = false;
	r->st.partial++;
}

int repack_put(struct repack *r, uint32_t ts, bool marker, const uint8_t *payload, size_t len)
{
	r->st.in++;
	r->fl_len = 0;
	compact(r);
	if (!len || len > REPACK_MAX_IN || len % r->u.bytes) {
		repack_flush(r);
		r->have_next = false;
		r->st.opaque++;
		return -EINVAL;
	}
	if (r->have_next) {
		int32_t d = (int32_t)(ts - r->next_ts);
		if (d < 0 && d > -(int32_t)r->clock) {
			r->st.late++;
			return -EAGAIN;
		}
		if (d != 0 || marker)
			repack_flush(r);        /* a gap (loss, silence) or a new talkspurt */
	}
	if (!r->blen) {
		r->bts = ts;
		r->bmarker = marker;
	}
	memcpy(r->buf + r->blen, payload, len);
	r->blen += (uint32_t)len;
	r->next_ts = ts + ticks_of(r, (uint32_t)len);
	r->have_next = true;
	return 0;
}

bool repack_pop(struct repack *r, struct repack_pkt *p)
{
	if (r->fl_len) {
		*p = (struct repack_pkt){ r->fl, r->fl_len, r->fl_ts, r->fl_marker };
		r->fl_len = 0;
		r->st.out++;
		return true;
	}
	if (r->blen - r->taken < r->out_bytes)
		return false;
	*p = (struct repack_pkt){ r->buf + r->taken, r->out_bytes, r->bts + ticks_of(r, r->taken),
				  r->bmarker && r->taken == 0 };
	r->taken += r->out_bytes;
	r->st.out++;
	return true;
}
