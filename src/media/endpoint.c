/* endpoint.c - local endpoints: the milliwatt generator (the echo is part of
 * the relay path, relay.c). See endpoint.h. */
#include "config.h"
#include "media/endpoint.h"

#include <event2/event.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "media/netaddr.h"
#include "media/relay_priv.h"

double endpoint_0dbm0_peak(int alaw)
{
	/* Full-scale decision value in 16-bit units, minus T_max. */
	return alaw ? 32768.0 * pow(10.0, -3.14 / 20.0) : 32636.0 * pow(10.0, -3.17 / 20.0);
}

void endpoint_tone_tables(uint8_t ulaw[TONE_TABLE_LEN], uint8_t alaw[TONE_TABLE_LEN])
{
	double gain = pow(10.0, TONE_DBM0 / 20.0);
	double au = endpoint_0dbm0_peak(0) * gain, aa = endpoint_0dbm0_peak(1) * gain;

	for (int n = 0; n < TONE_TABLE_LEN; n++) {
		double v = sin(2.0 * M_PI * TONE_HZ * n / 8000.0);
		ulaw[n] = linear_to_ulaw((int)lrint(au * v));
		alaw[n] = linear_to_alaw((int)lrint(aa * v));
	}
}

static struct rleg *tone_leg(struct rsess *s)
{
	for (int i = 0; i < 2; i++)
		if (s->leg[i].ep == MEDIA_ENDPOINT_MILLIWATT)
			return &s->leg[i];
	return NULL;
}

static void on_tone(evutil_socket_t fd, short what, void *arg)
{
	struct rsess *s = arg;
	struct rleg *e = tone_leg(s);
	struct rleg *p = &s->leg[!e->idx];
	struct mworker *w = s->w;
	const na_addr_t *to = relay_rtp_target(p);
	int pt = e->conf.ep_pt;

	if (!to || p->fd_rtp < 0)
		return;
	const uint8_t *tab = s->tone_tab[e->conf.ep_law ? 1 : 0];
	uint8_t *buf = w->buf[0];
	size_t len = RTP_HDR_MIN + TONE_FRAME;
	rtp_write_hdr(buf, (uint8_t)pt, !s->tone_started, s->tone_seq++, s->tone_ts, s->tone_ssrc);
	memcpy(buf + RTP_HDR_MIN, tab + (s->tone_frame % (TONE_TABLE_LEN / TONE_FRAME)) * TONE_FRAME,
	       TONE_FRAME);
	s->tone_frame++;
	s->tone_ts += TONE_FRAME;
	s->tone_started = true;
	if (p->sec && rsec_out(p, buf, &len, MW_BUFSZ) < 0) {
		mw_add(&p->drop, 1);        /* SRTP keys not in place yet */
		mw_add(&w->dropped, 1);
		return;
	}
	if (sendto(p->fd_rtp, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, na_len(to)) < 0) {
		mw_add(&p->drop, 1);
		mw_add(&w->dropped, 1);
		return;
	}
	mw_add(&p->pout, 1);
	mw_add(&p->bout, len);
	mw_add(&w->pkts_out, 1);
	mw_add(&w->bytes_out, len);
}

void endpoint_tone_update(struct rsess *s)
{
	struct rleg *e = tone_leg(s);
	bool want = e && e->conf.negotiated && e->conf.ep_send &&
		    e->conf.ep_pt >= 0 && e->conf.ep_pt < 128;

	if (!want) {
		endpoint_tone_stop(s);
		return;
	}
	if (s->ev_tone)
		return;
	struct timeval tv = { 0, TONE_FRAME * 125 };    /* 160 samples at 8 kHz = 20 ms */
	s->ev_tone = event_new(s->w->base, -1, EV_PERSIST, on_tone, s);
	if (s->ev_tone && event_add(s->ev_tone, &tv) < 0) {
		event_free(s->ev_tone);
		s->ev_tone = NULL;
	}
}

void endpoint_tone_stop(struct rsess *s)
{
	if (s->ev_tone) {
		event_free(s->ev_tone);
		s->ev_tone = NULL;
	}
}
