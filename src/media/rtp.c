/* rtp.c - see rtp.h. */
#include "config.h"
#include "media/rtp.h"

#include <errno.h>

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	if (len < RTP_HDR_MIN || (buf[0] >> 6) != 2)
		return -EINVAL;
	h->cc = buf[0] & 0x0f;
	h->ext = (buf[0] & 0x10) != 0;
	h->marker = (buf[1] & 0x80) != 0;
	h->pt = buf[1] & 0x7f;
	/* RTCP (200..204) read as RTP looks like PT 72..76 with the marker;
	 * those payload types are never used for RTP (RFC 5761 section 4), and
	 * relaying one would let the marker we set turn it into "RTCP". */
	if (h->pt >= 72 && h->pt <= 76)
		return -EINVAL;
	h->seq = rtp_get16(buf + 2);
	h->ts = rtp_get32(buf + 4);
	h->ssrc = rtp_get32(buf + 8);

	size_t off = RTP_HDR_MIN + (size_t)h->cc * 4;
	if (off > len)
		return -EINVAL;
	if (h->ext) {
		if (off + 4 > len)
			return -EINVAL;
		size_t xlen = (size_t)rtp_get16(buf + off + 2) * 4;
		off += 4 + xlen;
		if (off > len)
			return -EINVAL;
	}
	h->hdr_len = off;
	h->pad = 0;
	if (buf[0] & 0x20) {
		uint8_t pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return -EINVAL;
		h->pad = pad;
	}
	h->payload_len = len - off - h->pad;
	return 0;
}

int rtcp_validate(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	int n = 0;

	if (len < 4)
		return -EINVAL;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t rest = len - off;
		if (rest < 4 || (p[0] >> 6) != 2 || p[1] < 192 || p[1] > 223)
			return -EINVAL;
		size_t plen = ((size_t)rtp_get16(p + 2) + 1) * 4;
		if (plen > rest)
			return -EINVAL;
		size_t body = plen;
		if (p[0] & 0x20) {
			/* Padding is allowed on the last sub-packet only. */
			if (plen != rest)
				return -EINVAL;
			uint8_t pad = p[plen - 1];
			if (pad == 0 || pad > plen - 4)
				return -EINVAL;
			body = plen - pad;
		}
		unsigned rc = p[0] & 0x1f;
		if (p[1] == 200 && body < 28 + (size_t)rc * 24)
			return -EINVAL;
		if (p[1] == 201 && body < 8 + (size_t)rc * 24)
			return -EINVAL;
		off += plen;
		n++;
	}
	return n;
}

static unsigned map32(uint8_t *p, uint32_t from, uint32_t to)
{
	if (from == to || rtp_get32(p) != from)
		return 0;
	rtp_put32(p, to);
	return 1;
}

unsigned rtcp_map_ssrc(uint8_t *buf, size_t len, uint32_t snd_from, uint32_t snd_to,
		       uint32_t rep_from, uint32_t rep_to)
{
	size_t off = 0;
	unsigned changed = 0;

	while (off + 8 <= len) {
		uint8_t *p = buf + off;
		size_t plen = ((size_t)rtp_get16(p + 2) + 1) * 4;
		if (plen > len - off)
			break;
		if (p[1] == 200 || p[1] == 201) {
			size_t blocks = p[1] == 200 ? 28 : 8;
			unsigned rc = p[0] & 0x1f;
			changed += map32(p + 4, snd_from, snd_to);
			for (unsigned i = 0; i < rc && blocks + 24 * (i + 1) <= plen; i++)
				changed += map32(p + blocks + 24 * i, rep_from, rep_to);
		}
		off += plen;
	}
	return changed;
}

void rtp_write_hdr(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
		   uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	rtp_put16(buf + 2, seq);
	rtp_put32(buf + 4, ts);
	rtp_put32(buf + 8, ssrc);
}

void rtp_outmap_init(struct rtp_outmap *m)
{
	*m = (struct rtp_outmap){ 0 };
}

void rtp_outmap_init_own(struct rtp_outmap *m, uint32_t ssrc, uint16_t seq_off, uint32_t ts_off)
{
	*m = (struct rtp_outmap){ .rewriting = true, .out_ssrc = ssrc,
				  .seq_off = seq_off, .ts_off = ts_off };
}

/* Remember the highest sequence number and timestamp sent (serial number
 * arithmetic), so a late reordered packet does not pull the continuation
 * point backwards. */
static void note_last(struct rtp_outmap *m, uint16_t seq, uint32_t ts, bool reset)
{
	if (reset || (int16_t)(uint16_t)(seq - m->last_seq) > 0)
		m->last_seq = seq;
	if (reset || (int32_t)(ts - m->last_ts) > 0)
		m->last_ts = ts;
}

bool rtp_outmap_apply(struct rtp_outmap *m, uint8_t *buf, const struct rtp_hdr *h,
		      uint64_t now_ms, uint32_t rate)
{
	bool changed = false;
	bool first = !m->started;

	if (first) {
		/* First packet: an 'own' stream keeps its preset offsets,
		 * a relayed one passes untouched. */
		m->started = true;
		m->src_ssrc = h->ssrc;
		if (!m->rewriting)
			m->out_ssrc = h->ssrc;
	} else if (h->ssrc != m->src_ssrc) {
		uint64_t dms = now_ms > m->last_ms ? now_ms - m->last_ms : 0;
		uint32_t r = rate ? rate : 8000;
		uint32_t dts = (uint32_t)(dms * r / 1000);
		if (dts < r / 50)
			dts = r / 50;
		m->src_ssrc = h->ssrc;
		m->seq_off = (uint16_t)(m->last_seq + 1 - h->seq);
		m->ts_off = m->last_ts + dts - h->ts;
		m->rewriting = true;
		m->changes++;
		changed = true;
	}
	if (m->rewriting) {
		uint16_t seq = (uint16_t)(h->seq + m->seq_off);
		uint32_t ts = h->ts + m->ts_off;
		rtp_put16(buf + 2, seq);
		rtp_put32(buf + 4, ts);
		rtp_put32(buf + 8, m->out_ssrc);
		if (changed)
			buf[1] |= 0x80;
		note_last(m, seq, ts, changed || first);
	} else {
		note_last(m, h->seq, h->ts, first);
	}
	m->last_ms = now_ms;
	return changed;
}
