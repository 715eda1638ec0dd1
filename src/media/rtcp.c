/* rtcp.c - RTCP SR/RR parse and build, report interval (see rtcp.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"

#define SR_INFO_LEN 20              /* NTP (8), RTP ts, packets, octets */
#define RB_LEN 24

static void read_rb(const uint8_t *p, struct rtcp_rb *rb)
{
	uint32_t w = rtp_get32(p + 4);
	int32_t lost = (int32_t)(w & 0xffffff);

	if (lost & 0x800000)
		lost -= 0x1000000;          /* sign-extend the 24-bit count */
	rb->ssrc = rtp_get32(p);
	rb->fraction = (uint8_t)(w >> 24);
	rb->lost = lost;
	rb->ext_seq = rtp_get32(p + 8);
	rb->jitter = rtp_get32(p + 12);
	rb->lsr = rtp_get32(p + 16);
	rb->dlsr = rtp_get32(p + 20);
}

/* One SR or RR sub-packet of length plen (validated) into *r. */
static void read_report(const uint8_t *p, size_t plen, struct rtcp_report *r)
{
	size_t off = 8;
	unsigned rc = p[0] & 0x1f;

	memset(r, 0, sizeof *r);
	r->ssrc = rtp_get32(p + 4);
	if (p[1] == RTCP_SR) {
		r->sr = true;
		r->ntp = ((uint64_t)rtp_get32(p + 8) << 32) | rtp_get32(p + 12);
		r->rtp_ts = rtp_get32(p + 16);
		r->packets = rtp_get32(p + 20);
		r->octets = rtp_get32(p + 24);
		off += SR_INFO_LEN;
	}
	for (unsigned i = 0; i < rc && r->nrb < RTCP_MAX_RB && off + RB_LEN <= plen; i++) {
		read_rb(p + off, &r->rb[r->nrb++]);
		off += RB_LEN;
	}
}

int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_report *r)
{
	size_t off = 0;

	memset(r, 0, sizeof *r);
	if (rtcp_validate(buf, len) <= 0)
		return -EINVAL;
	/* Validated: every sub-packet's length is inside the buffer. */
	while (off + 8 <= len) {
		const uint8_t *p = buf + off;
		size_t plen = ((size_t)rtp_get16(p + 2) + 1) * 4;
		if (plen > len - off)
			return -EINVAL;
		if (p[1] == RTCP_SR || p[1] == RTCP_RR) {
			read_report(p, plen, r);
			return 1;
		}
		off += plen;
	}
	return 0;
}

static void put_rb(uint8_t *p, const struct rtcp_rb *rb)
{
	int32_t lost = rb->lost;

	/* Clamp to the 24-bit signed field (RFC 3550 A.3). */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	rtp_put32(p, rb->ssrc);
	rtp_put32(p + 4, ((uint32_t)rb->fraction << 24) | ((uint32_t)lost & 0xffffff));
	rtp_put32(p + 8, rb->ext_seq);
	rtp_put32(p + 12, rb->jitter);
	rtp_put32(p + 16, rb->lsr);
	rtp_put32(p + 20, rb->dlsr);
}

int rtcp_build(uint8_t *buf, size_t cap, const struct rtcp_report *r, const char *cname)
{
	size_t clen = cname ? strlen(cname) : 0;
	unsigned nrb = r->nrb;

	if (clen == 0 || clen > 64 || nrb > RTCP_MAX_RB)
		return -EINVAL;
	size_t rlen = 8 + (r->sr ? SR_INFO_LEN : 0) + RB_LEN * nrb;
	/* SDES: header, SSRC, CNAME item (type, length, text), an END octet,
	 * padded to 32 bits. */
	size_t slen = (8 + 2 + clen + 1 + 3) & ~(size_t)3;
	if (rlen + slen > cap)
		return -ENOSPC;

	uint8_t *p = buf;
	p[0] = (uint8_t)(0x80 | nrb);
	p[1] = r->sr ? RTCP_SR : RTCP_RR;
	rtp_put16(p + 2, (uint16_t)(rlen / 4 - 1));
	rtp_put32(p + 4, r->ssrc);
	size_t off = 8;
	if (r->sr) {
		rtp_put32(p + 8, (uint32_t)(r->ntp >> 32));
		rtp_put32(p + 12, (uint32_t)r->ntp);
		rtp_put32(p + 16, r->rtp_ts);
		rtp_put32(p + 20, r->packets);
		rtp_put32(p + 24, r->octets);
		off += SR_INFO_LEN;
	}
	for (unsigned i = 0; i < nrb; i++, off += RB_LEN)
		put_rb(p + off, &r->rb[i]);

	p = buf + rlen;
	memset(p, 0, slen);
	p[0] = 0x81;                        /* one chunk */
	p[1] = RTCP_SDES;
	rtp_put16(p + 2, (uint16_t)(slen / 4 - 1));
	rtp_put32(p + 4, r->ssrc);
	p[8] = 1;                           /* CNAME */
	p[9] = (uint8_t)clen;
	memcpy(p + 10, cname, clen);        /* the END octet and padding stay 0 */
	return (int)(rlen + slen);
}

int64_t rtcp_rtt(const struct rtcp_rb *rb, uint64_t now_ntp)
{
	if (!rb->lsr)
		return -1;
	uint32_t a = rtcp_ntp_mid(now_ntp);
	int32_t rtt = (int32_t)(a - rb->lsr - rb->dlsr);
	/* On a LAN the round trip is below the peer's DLSR rounding and our
	 * clock reads: a few ms under zero is a round trip of about 0. */
	if (rtt < 0 && rtt > -(65536 / 100))
		return 0;
	return rtt < 0 ? -1 : rtt;
}

uint32_t rtcp_interval_ms(uint32_t min_ms, bool initial, uint32_t rnd)
{
	uint64_t td = initial ? min_ms / 2 : min_ms;
	/* td * [0.5, 1.5] / (e - 1.5): the factor in thousandths, over 1218. */
	uint64_t f = 500 + rnd % 1001;
	uint64_t t = td * f / 1218;
	return t ? (uint32_t)t : 1;
}
