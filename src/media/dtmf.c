/* dtmf.c - see dtmf.h. */
#include "config.h"
#include "media/dtmf.h"

#include <errno.h>

int dtmf_rescale(uint8_t *payload, size_t len, uint32_t in_rate, uint32_t out_rate)
{
	if (len == 0 || len % DTMF_BLOCK)
		return -EINVAL;
	if (in_rate == out_rate || !in_rate || !out_rate)
		return 0;
	for (size_t off = 0; off < len; off += DTMF_BLOCK) {
		uint8_t *b = payload + off;
		uint64_t d = ((uint64_t)b[2] << 8 | b[3]) * out_rate / in_rate;
		if (d > 0xffff)
			d = 0xffff;
		b[2] = (uint8_t)(d >> 8);
		b[3] = (uint8_t)d;
	}
	return 0;
}

bool dtmf_event_end(const uint8_t *payload, size_t len, uint32_t rate, uint8_t *code,
		    unsigned *dur_ms)
{
	if (len < DTMF_BLOCK || !(payload[1] & 0x80) || payload[0] > 15)
		return false;
	uint32_t dur = (uint32_t)payload[2] << 8 | payload[3];
	*code = payload[0];
	*dur_ms = rate ? (unsigned)((uint64_t)dur * 1000 / rate) : 0;
	return true;
}

uint32_t dtmf_map_ts(struct dtmf_map *m, uint32_t in_ts, uint32_t now_out)
{
	if (!m->have || m->in_ts != in_ts) {
		m->have = true;
		m->in_ts = in_ts;
		m->out_ts = now_out;
	}
	return m->out_ts;
}
