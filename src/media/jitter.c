/* jitter.c - see jitter.h. */
#include "config.h"
#include "media/jitter.h"

#include <string.h>

#define JB_MASK (JB_SLOTS - 1)
#define JB_RESYNC_SEQ 100           /* a sequence jump this big is a new stream */

_Static_assert((JB_SLOTS & JB_MASK) == 0, "JB_SLOTS must be a power of two");
_Static_assert(JB_ARENA >= 3 * JB_MAX_PAYLOAD && JB_ARENA <= UINT16_MAX, "JB_ARENA size");

static uint32_t ms_ticks(const struct jbuf *jb, unsigned ms)
{
	return (uint32_t)((uint64_t)jb->clock * ms / 1000);
}

void jb_init(struct jbuf *jb, uint32_t clock, unsigned period_ms)
{
	memset(jb, 0, sizeof *jb);
	jb->clock = clock ? clock : 8000;
	jb->period = ms_ticks(jb, period_ms);
	jb->min_target = ms_ticks(jb, JB_MIN_TARGET_MS);
	jb->max_target = ms_ticks(jb, JB_MAX_TARGET_MS);
	jb->pkt_ticks = jb->period;
}

void jb_reset(struct jbuf *jb)
{
	for (unsigned i = 0; i < JB_SLOTS; i++)
		jb->slot[i].used = false;
	jb->count = 0;
	jb->head = 0;
	jb->have_ssrc = jb->primed = jb->fresh = jb->playing = false;
	jb->have_newest = jb->have_prev = false;
	jb->pkt_ticks = jb->period;
}

uint32_t jb_jitter(const struct jbuf *jb)
{
	return jb->jitter16 >> 4;
}

uint32_t jb_target(const struct jbuf *jb)
{
	uint64_t t = (uint64_t)jb->period + 3u * (uint64_t)jb_jitter(jb);
	if (t < jb->min_target)
		t = jb->min_target;
	if (t > jb->max_target)
		t = jb->max_target;
	return (uint32_t)t;
}

static uint32_t depth_from(const struct jbuf *jb, uint32_t ts)
{
	if (!jb->count || !jb->have_newest)
		return 0;
	int32_t d = (int32_t)(jb->newest_ts + jb->pkt_ticks - ts);
	return d > 0 ? (uint32_t)d : 0;
}

uint32_t jb_depth(const struct jbuf *jb)
{
	return depth_from(jb, jb->next_ts);
}

/* RFC 3550 6.4.1: J += (|D| - J) / 16, kept as 16 J. */
static void note_jitter(struct jbuf *jb, uint32_t ts, uint64_t arrival_us)
{
	uint64_t a = arrival_us * jb->clock / 1000000u;

	if (jb->have_prev) {
		int64_t d = (int64_t)(a - jb->prev_arrival) - (int32_t)(ts - jb->prev_ts);
		if (d < 0)
			d = -d;
		if (d > (int64_t)jb->clock)
			d = jb->clock;          /* one wild packet must not blow the target */
		jb->jitter16 += (uint32_t)d - (jb->jitter16 >> 4);
	}
	jb->prev_arrival = a;
	jb->prev_ts = ts;
	jb->have_prev = true;
}

static void drop_slot(struct jbuf *jb, uint16_t seq)
{
	struct jb_pkt *s = &jb->slot[seq & JB_MASK];
	if (s->used && s->seq == seq) {
		s->used = false;
		jb->count--;
	}
}

/* The play position moved to 'seq': take the timestamp from the packet if
 * buffered, else extrapolate. */
static void move_to(struct jbuf *jb, uint16_t seq)
{
	const struct jb_pkt *s = &jb->slot[seq & JB_MASK];
	uint16_t n = (uint16_t)(seq - jb->next_seq);

	jb->next_ts = s->used && s->seq == seq ? s->ts : jb->next_ts + n * jb->pkt_ticks;
	jb->next_seq = seq;
}

/* Where a packet goes relative to the play position. false: drop it. */
static bool place(struct jbuf *jb, uint16_t seq, uint32_t ts)
{
	if (!jb->primed)
		return true;
	int diff = (int16_t)(uint16_t)(seq - jb->next_seq);
	if (diff > JB_RESYNC_SEQ || diff < -JB_RESYNC_SEQ) {
		uint32_t ssrc = jb->ssrc;
		jb_reset(jb);
		jb->st.resync++;
		jb->have_ssrc = true;
		jb->ssrc = ssrc;
		return true;
	}
	if (diff < 0) {
		if (jb->fresh && !jb->playing && diff > -JB_SLOTS) {
			/* Reordered before playout began: start earlier. */
			jb->next_seq = seq;
			jb->next_ts = ts;
			return true;
		}
		jb->st.late++;
		return false;
	}
	if (diff >= JB_SLOTS) {
		/* Far ahead of the player: give up the oldest packets. */
		uint16_t to = (uint16_t)(seq - JB_SLOTS + 1);
		for (uint16_t s = jb->next_seq; s != to; s++) {
			drop_slot(jb, s);
			jb->st.overflow++;
		}
		move_to(jb, to);
		jb->fresh = false;
	}
	return true;
}

/* Room for len payload bytes in the ring: at the write position, or at its
 * start when the end is too near. Buffered packets whose bytes are in the
 * way are dropped (overflow); normally those bytes belong to played ones. */
static uint16_t arena_take(struct jbuf *jb, size_t len)
{
	unsigned off = jb->head + len > JB_ARENA ? 0 : jb->head;

	for (unsigned i = 0; i < JB_SLOTS && jb->count; i++) {
		struct jb_pkt *o = &jb->slot[i];
		if (o->used && o->off < off + len && off < (unsigned)o->off + o->len) {
			o->used = false;
			jb->count--;
			jb->st.overflow++;
		}
	}
	jb->head = off + (unsigned)len;
	return (uint16_t)off;
}

void jb_put(struct jbuf *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, const uint8_t *payload,
	    size_t len, uint64_t arrival_us)
{
	if (len > JB_MAX_PAYLOAD) {
		jb->st.toobig++;
		return;
	}
	jb->st.in++;
	if (jb->have_ssrc && ssrc != jb->ssrc) {
		jb_reset(jb);
		jb->st.resync++;
	}
	jb->have_ssrc = true;
	jb->ssrc = ssrc;
	note_jitter(jb, ts, arrival_us);
	if (!place(jb, seq, ts))
		return;
	if (!jb->primed) {
		jb->next_seq = seq;
		jb->next_ts = ts;
		jb->primed = jb->fresh = true;
	}
	struct jb_pkt *s = &jb->slot[seq & JB_MASK];
	if (s->used) {
		if (s->seq == seq) {
			jb->st.dup++;
			return;
		}
		jb->count--;            /* a stale packet of an older lap */
		s->used = false;
	}
	uint16_t off = arena_take(jb, len);
	s->used = true;
	s->seq = seq;
	s->ts = ts;
	s->len = (uint16_t)len;
	s->off = off;
	s->data = jb->arena + off;
	memcpy(jb->arena + off, payload, len);
	jb->count++;
	if (!jb->have_newest || (int16_t)(uint16_t)(seq - jb->newest_seq) > 0) {
		jb->newest_seq = seq;
		jb->newest_ts = ts;
		jb->have_newest = true;
	}
}

static const struct jb_pkt *oldest(const struct jbuf *jb)
{
	for (unsigned i = 0; i < JB_SLOTS; i++) {
		uint16_t seq = (uint16_t)(jb->next_seq + i);
		const struct jb_pkt *s = &jb->slot[seq & JB_MASK];
		if (s->used && s->seq == seq)
			return s;
	}
	return NULL;
}

static bool try_start(struct jbuf *jb)
{
	const struct jb_pkt *o;

	if (!jb->primed || !jb->count || !(o = oldest(jb)))
		return false;
	if (depth_from(jb, o->ts) < jb_target(jb))
		return false;
	jb->next_seq = o->seq;
	jb->next_ts = o->ts;
	jb->playing = true;
	jb->depth_min = UINT32_MAX;
	jb->depth_n = 0;
	return true;
}

bool jb_period(struct jbuf *jb)
{
	if (!jb->playing && !try_start(jb))
		return false;
	uint32_t d = jb_depth(jb);
	if (d < jb->depth_min)
		jb->depth_min = d;
	if (++jb->depth_n >= JB_LATENCY_WINDOW) {
		if (jb->depth_min > jb_target(jb) + jb->period && jb->count >= 2) {
			/* A whole second with more buffered than needed: play
			 * one packet less. */
			drop_slot(jb, jb->next_seq);
			move_to(jb, (uint16_t)(jb->next_seq + 1));
			jb->st.dropped++;
		}
		jb->depth_min = UINT32_MAX;
		jb->depth_n = 0;
	}
	return true;
}

enum jb_res jb_pop(struct jbuf *jb, const struct jb_pkt **pkt, uint32_t *ticks)
{
	*pkt = NULL;
	*ticks = 0;
	if (!jb->playing)
		return JB_EMPTY;
	if (!jb->count) {
		jb->st.underruns++;
		return JB_EMPTY;
	}
	struct jb_pkt *s = &jb->slot[jb->next_seq & JB_MASK];
	if (!s->used || s->seq != jb->next_seq) {
		jb->next_seq++;
		jb->next_ts += jb->pkt_ticks;
		jb->fresh = false;
		jb->st.lost++;
		*ticks = jb->pkt_ticks;
		return JB_LOST;
	}
	int32_t gap = (int32_t)(s->ts - jb->next_ts);
	if (gap > (int32_t)(jb->pkt_ticks / 2)) {
		if (gap <= (int32_t)jb->clock) {
			*ticks = (uint32_t)gap;
			return JB_GAP;
		}
		jb->next_ts = s->ts;    /* a long silence: just carry on */
	}
	s->used = false;
	jb->count--;
	jb->next_seq++;
	jb->next_ts = s->ts + jb->pkt_ticks;
	jb->fresh = false;
	jb->st.played++;
	*pkt = s;
	return JB_PACKET;
}

void jb_duration(struct jbuf *jb, uint32_t ticks)
{
	if (!ticks || ticks > ms_ticks(jb, 120))
		return;
	jb->next_ts += ticks - jb->pkt_ticks;
	jb->pkt_ticks = ticks;
}

void jb_skip(struct jbuf *jb, uint32_t ticks)
{
	jb->next_ts += ticks;
}

const struct jb_pkt *jb_peek(const struct jbuf *jb)
{
	const struct jb_pkt *s = &jb->slot[jb->next_seq & JB_MASK];
	return s->used && s->seq == jb->next_seq ? s : NULL;
}

void jb_stop(struct jbuf *jb)
{
	jb->playing = false;
}
