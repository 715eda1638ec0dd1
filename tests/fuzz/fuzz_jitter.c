/* fuzz_jitter.c - libFuzzer target for what a transcoded call does with a
 * peer's RTP before any codec sees it: the jitter buffer (any sequence
 * numbers, timestamps, SSRCs, sizes, arrival times) and the RFC 4733 event
 * rescaling.
 *
 * Input: a list of records, each 1 op byte, then op-specific bytes:
 *   op % 4 == 0  put: ssrc8 seq16 ts32 dt8 len8 payload[len]
 *   op % 4 == 1  one playout period: jb_period, then jb_pop until it has
 *                what a 20 ms frame needs (at most 8 pops)
 *   op % 4 == 2  events: rate_in8 rate_out8 len8 payload[len] -> dtmf_rescale,
 *                then dtmf_event_end (an end is a code 0-15, its duration at
 *                most 0xffff ticks)
 *   op % 4 == 3  reset or stop
 * Properties beyond "no crash": never more packets buffered than slots,
 * packets come out in sequence order with their own payload, and rescaling
 * touches only the bytes it was given.
 */
/* fuzz-sources: src/media/jitter.c src/media/dtmf.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtmf.h"
#include "media/jitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t rates[] = { 8000, 16000, 48000, 0 };

static uint32_t get(const uint8_t **p, const uint8_t *end, int n)
{
	uint32_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | (*p < end ? *(*p)++ : 0);
	return v;
}

static void period(struct jbuf *jb)
{
	uint16_t last = 0;
	bool have = false;

	if (!jb_period(jb))
		return;
	for (int i = 0; i < 8; i++) {
		const struct jb_pkt *p;
		uint32_t ticks;
		enum jb_res r = jb_pop(jb, &p, &ticks);
		if (r == JB_EMPTY)
			break;
		if (r == JB_GAP)
			jb_skip(jb, ticks);
		if (r != JB_PACKET)
			continue;
		/* Payload byte 0 carries the low byte of its seq (see put). */
		if (p->len && p->data[0] != (uint8_t)p->seq)
			abort();
		if (have && (int16_t)(uint16_t)(p->seq - last) <= 0)
			abort();
		last = p->seq;
		have = true;
		jb_duration(jb, 160);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jbuf jb;
	const uint8_t *p = data, *end = data + size;
	uint64_t now = 0;
	uint8_t pl[300];

	jb_init(&jb, 8000, 20);
	while (p < end) {
		uint8_t op = *p++;
		switch (op % 4) {
		case 0: {
			uint32_t ssrc = get(&p, end, 1);
			uint16_t seq = (uint16_t)get(&p, end, 2);
			uint32_t ts = get(&p, end, 4);
			now += get(&p, end, 1) * 1000u;
			size_t len = get(&p, end, 1);
			size_t avail = (size_t)(end - p) < len ? (size_t)(end - p) : len;
			memset(pl, 0, sizeof pl);
			memcpy(pl, p, avail);
			p += avail;
			if (len)
				pl[0] = (uint8_t)seq;
			jb_put(&jb, ssrc, seq, ts, pl, op & 0x80 ? JB_MAX_PAYLOAD + 1 : len, now);
			break;
		}
		case 1:
			period(&jb);
			break;
		case 2: {
			uint32_t in = rates[get(&p, end, 1) % 4], out = rates[get(&p, end, 1) % 4];
			size_t len = get(&p, end, 1) % 64;
			uint8_t buf[64 + 4];
			memset(buf, 0xa5, sizeof buf);
			size_t avail = (size_t)(end - p) < len ? (size_t)(end - p) : len;
			memcpy(buf, p, avail);
			p += avail;
			dtmf_rescale(buf, len, in, out);
			uint8_t code;
			unsigned ms;
			if (dtmf_event_end(buf, len, out, &code, &ms) &&
			    (code > 15 || (out && ms > 0xffffu * 1000u / out)))
				abort();
			for (size_t i = len; i < sizeof buf; i++)
				if (buf[i] != 0xa5)
					abort();
			break;
		}
		default:
			if (op & 0x10)
				jb_reset(&jb);
			else
				jb_stop(&jb);
			break;
		}
		if (jb.count > JB_SLOTS)
			abort();
	}
	return 0;
}
