/* repack_relay.c - ptime conversion of a session's directions: the plan on
 * the owner thread, the packet path on the worker (see repack_relay.h). */
#include "config.h"
#include "media/repack_relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "media/relay_priv.h"
#include "media/sdp.h"
#include "media/transcode.h"
#include "media/transcode_neg.h"

int rpk_new(const char *name, uint32_t clock, uint8_t pt, unsigned out_ms, bool xcode,
	    struct rpk **out)
{
	struct repack_unit u;
	struct rpk *k;
	int rc;
	bool opus = xcode && strcasecmp(name, "opus") == 0 && clock == 48000;

	*out = NULL;
	if (!opus && repack_unit_of(name, clock, &u) < 0)
		return -ENOTSUP;
	if (opus && (out_ms < 40 || out_ms > 120 || out_ms % 20))
		return -ENOTSUP;                /* Opus frames come in 20 ms */
	if (out_ms < REPACK_MIN_MS)
		return -EINVAL;
	k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	k->opus = opus;
	rc = opus ? opack_init(&k->op, out_ms) : repack_init(&k->rp, &u, clock, out_ms);
	if (rc) {
		free(k);
		return rc;
	}
	k->pt = pt;
	k->out_ms = out_ms;
	*out = k;
	return 0;
}

void rpk_free(struct rpk *k)
{
	free(k);
}

struct rpk *rpk_replace(struct rpk *cur, struct rpk *next)
{
	if (cur && next && cur->pt == next->pt && cur->out_ms == next->out_ms &&
	    cur->opus == next->opus &&
	    (cur->opus || (cur->rp.clock == next->rp.clock && cur->rp.u.bytes == next->rp.u.bytes &&
			   cur->rp.u.ticks == next->rp.u.ticks))) {
		rpk_free(next);
		return cur;
	}
	rpk_free(cur);
	return next;
}

/* ---- the plan (owner thread) ---- */

static const struct xcodec *main_of(const struct xleg *l)
{
	return l->valid && l->main >= 0 ? &l->c[l->main].c : NULL;
}

void rpk_plan(const struct xleg *a, const struct xleg *b, struct rsess_conf *c, const char *label)
{
	const struct xcodec *m[2] = { main_of(a), main_of(b) };
	unsigned want[2];

	c->rp[0] = c->rp[1] = NULL;
	if (!m[0] || !m[1])
		return;
	for (int i = 0; i < 2; i++)
		want[i] = repack_leg_ptime(c->leg[i].ptime, c->leg[i].maxptime);
	for (int i = 0; i < 2; i++) {
		const struct rmap *map = &c->map[i];
		const struct xcodec *out = m[!i];
		/* What leg i's direction produces: its packets as they come
		 * (pass-through), or the transcoder's 20 ms frames. */
		bool differs = map->xcode ? want[!i] != XCODE_PERIOD_MS : want[!i] != want[i];
		if (!map->on || !differs || !c->leg[!i].have_addr)
			continue;
		if (!map->xcode && map->act[m[i]->pt & 0x7f] != RM_PASS)
			continue;               /* the audio is dropped anyway */
		int rc = rpk_new(out->name, out->rate, out->pt, want[!i], map->xcode, &c->rp[i]);
		if (rc == -ENOTSUP)
			LOG_INFO("media: %s: leg %c asks for %u ms packets; %s cannot be "
				 "repacketised, it gets what comes", label, 'A' + !i, want[!i], out->name);
		else if (rc < 0)
			LOG_WARN("media: %s: no ptime conversion toward leg %c (%s)", label, 'A' + !i,
				 rc == -ENOMEM ? "out of memory" : "bad ptime");
		else
			LOG_INFO("media: %s: %s toward leg %c repacketised to %u ms%s", label, out->name,
				 'A' + !i, want[!i], map->xcode ? " (transcoded)" : "");
	}
}

void rpk_answer_ptime(const struct msdp_stream *off, struct msdp_stream *ans, bool xcode)
{
	struct repack_unit u;

	if (!ans->ncodecs)
		return;
	if (!xcode && repack_unit_of(ans->codecs[0].name, ans->codecs[0].rate, &u) < 0)
		return;
	ans->ptime = repack_leg_ptime(off->ptime, off->maxptime);
	ans->maxptime = 0;
}

/* ---- the packet path (worker thread) ---- */

static void send_pkt(struct rleg *dst, struct rpk *k, uint8_t *buf, size_t len, uint32_t ts,
		     bool marker, uint64_t now)
{
	struct rtp_outmap *om = &dst->out;

	om->last_seq++;
	rtp_put16(buf + 2, om->last_seq);
	rtp_put32(buf + 4, ts);
	rtp_put32(buf + 8, om->out_ssrc);
	if (marker)
		buf[1] |= 0x80;
	if ((int32_t)(ts - om->last_ts) > 0)
		om->last_ts = ts;
	om->last_ms = now;
	relay_send_own(dst, buf, len);
}

/* Send every packet the repacketiser has made. */
static void send_made(struct rleg *dst, struct rpk *k, uint64_t now)
{
	struct repack_pkt p;

	while (repack_pop(&k->rp, &p)) {
		rtp_write_hdr(k->out, k->pt, false, 0, 0, 0);
		memcpy(k->out + RTP_HDR_MIN, p.data, p.len);
		send_pkt(dst, k, k->out, RTP_HDR_MIN + p.len, p.ts + k->ts_off, p.marker, now);
	}
}

/* A new source (or the first): what is pending of the old one goes out, and
 * the stream toward dst continues from where it is. */
static void new_source(struct rleg *dst, struct rpk *k, const struct rtp_hdr *h, uint64_t now)
{
	struct rtp_outmap *om = &dst->out;

	repack_flush(&k->rp);
	send_made(dst, k, now);
	repack_reset(&k->rp);
	if (!om->started) {
		om->started = true;
		om->out_ssrc = h->ssrc;
		om->last_seq = (uint16_t)(h->seq - 1);
		om->last_ts = h->ts;
		k->ts_off = 0;
	} else {
		uint64_t dms = now > om->last_ms ? now - om->last_ms : 0;
		uint32_t dts = (uint32_t)(dms * k->rp.clock / 1000);
		if (dts < k->rp.clock / 50)
			dts = k->rp.clock / 50;
		k->ts_off = om->last_ts + dts - h->ts;
		om->changes += k->started;
	}
	/* When plain relaying resumes, it sees a new source and continues. */
	om->rewriting = true;
	om->src_ssrc = ~om->out_ssrc;
	k->started = true;
	k->src_ssrc = h->ssrc;
}

void rpk_relay(struct rleg *in, struct rleg *dst, uint8_t *buf, const struct rtp_hdr *h,
	       uint64_t now)
{
	struct rpk *k = in->rp;
	bool fresh = !k->started || h->ssrc != k->src_ssrc;
	uint8_t pt = buf[1] & 0x7f;

	if (fresh)
		new_source(dst, k, h, now);
	if (pt == k->pt) {
		int rc = repack_put(&k->rp, h->ts, h->marker || fresh, buf + h->hdr_len, h->payload_len);
		if (rc == -EAGAIN) {
			mw_add(&in->drop, 1);   /* late or duplicate: its audio went out */
			mw_add(&in->w->dropped, 1);
			return;
		}
		send_made(dst, k, now);
		if (rc == 0)
			return;
	} else if (pt == RTP_PT_CN) {
		repack_flush(&k->rp);           /* silence: what is pending goes now */
		send_made(dst, k, now);
	}
	/* As it came (events, comfort noise, what cannot be cut), in sequence. */
	send_pkt(dst, k, buf, h->hdr_len + h->payload_len + h->pad, h->ts + k->ts_off,
		 h->marker || fresh, now);
}
