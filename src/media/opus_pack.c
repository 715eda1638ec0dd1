/* opus_pack.c - see opus_pack.h. */
#include "config.h"
#include "media/opus_pack.h"

#include <errno.h>
#include <string.h>

uint32_t opack_frame_ticks(uint8_t toc)
{
	static const uint32_t silk[4] = { 480, 960, 1920, 2880 };    /* 10 20 40 60 ms */
	static const uint32_t hybrid[2] = { 480, 960 };
	static const uint32_t celt[4] = { 120, 240, 480, 960 };      /* 2.5 5 10 20 ms */
	unsigned config = toc >> 3;

	if (config < 12)
		return silk[config & 3];
	if (config < 16)
		return hybrid[config & 1];
	return celt[config & 3];
}

int opack_init(struct opack *p, unsigned ms)
{
	memset(p, 0, sizeof *p);
	if (ms < 40 || ms > 120 || ms % 20)
		return -EINVAL;
	p->target = ms * 48;
	return 0;
}

/* RFC 6716 3.2.1: a frame length in one byte below 252, else two. */
static size_t put_len(uint8_t *o, size_t n)
{
	if (n < 252) {
		o[0] = (uint8_t)n;
		return 1;
	}
	o[0] = (uint8_t)(252 + (n & 3));
	o[1] = (uint8_t)((n - o[0]) >> 2);
	return 2;
}

/* What is pending becomes a packet. */
static void make(struct opack *p)
{
	if (!p->n)
		return;
	struct opack_out *o = &p->out[p->nout++];
	size_t at = 0;

	o->ts = p->ts;
	o->marker = p->marker;
	if (p->n == 1) {
		o->data[at++] = p->toc;
	} else {
		o->data[at++] = (uint8_t)((p->toc & 0xfc) | 3);
		o->data[at++] = (uint8_t)(0x80 | p->n);         /* VBR, no padding, n frames */
		for (unsigned i = 0; i + 1 < p->n; i++)
			at += put_len(o->data + at, p->len[i]);
	}
	for (unsigned i = 0; i < p->n; i++) {
		memcpy(o->data + at, p->frames + p->off[i], p->len[i]);
		at += p->len[i];
	}
	o->len = at;
	p->n = 0;
	p->used = 0;
	p->marker = false;
}

int opack_put(struct opack *p, uint32_t ts, bool marker, const uint8_t *pkt, size_t len)
{
	p->nout = p->taken = 0;
	if (p->n && (ts != p->next_ts || marker || len == 0 || (pkt[0] & 0xfc) != (p->toc & 0xfc)))
		make(p);
	/* Room for a code-3 header (2 + 2 per length) and the frames. */
	if (len == 0 || (pkt[0] & 3) != 0 || len - 1 + p->used + 2 + 2 * OPACK_MAX_FRAMES > OPACK_MAX_OUT) {
		make(p);
		return -EINVAL;
	}
	uint32_t ticks = opack_frame_ticks(pkt[0]);
	if (!p->n) {
		p->toc = pkt[0];
		p->ts = ts;
		p->marker = marker;
	}
	p->off[p->n] = (uint16_t)p->used;
	p->len[p->n] = (uint16_t)(len - 1);
	memcpy(p->frames + p->used, pkt + 1, len - 1);
	p->used += len - 1;
	p->n++;
	p->next_ts = ts + ticks;
	if (p->next_ts - p->ts >= p->target || p->n == OPACK_MAX_FRAMES)
		make(p);
	return 0;
}

bool opack_pop(struct opack *p, struct opack_pkt *out)
{
	if (p->taken >= p->nout)
		return false;
	struct opack_out *o = &p->out[p->taken++];
	*out = (struct opack_pkt){ o->data, o->len, o->ts, o->marker };
	return true;
}
