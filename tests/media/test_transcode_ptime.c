/* test_transcode_ptime.c - ptime conversion: the repacketiser alone (20 -> 30,
 * 30 -> 20, 20 -> 60, a loss in the middle, late and duplicate packets, a
 * marker, timestamp wrap, G.729 frames and SID), and through the media API
 * over real UDP: a PCMU 20 ms caller and a PCMU 30 ms carrier relayed
 * without transcoding (sizes, timestamps, sequence numbers across their
 * wrap, payload bytes, intervals, the a=ptime each leg is sent), and a
 * PCMU 20 ms <-> PCMA 30 ms transcoded call (sizes, tone). And the Opus
 * fmtp a browser offer and a desk-phone offer get in their answer, every
 * parameter explicit, ptime as an attribute. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "media/opus_pack.h"
#include "media/repack.h"
#include "test_transcode.h"

/* ---- the repacketiser alone ---- */

/* Payload bytes that tell which sample they are: byte j of a packet at
 * timestamp ts is (ts + j) & 0xff, so a packet out whose bytes do not match
 * its own timestamp has been shifted. */
static void pattern(uint8_t *p, size_t n, uint32_t ts)
{
	for (size_t j = 0; j < n; j++)
		p[j] = (uint8_t)(ts + j);
}

struct outs {
	int n;
	size_t bytes;
	struct { uint32_t ts; size_t len; bool marker; } p[64];
};

/* Take every packet made; each one's bytes must match its timestamp. */
static void drain(struct repack *r, struct outs *o)
{
	struct repack_pkt p;
	while (repack_pop(r, &p)) {
		ck_assert_int_lt(o->n, 64);
		for (size_t j = 0; j < p.len; j++)
			ck_assert_msg(p.data[j] == (uint8_t)(p.ts + j),
				      "packet at ts %u: byte %zu is %u, not %u", p.ts, j, p.data[j],
				      (uint8_t)(p.ts + j));
		o->p[o->n].ts = p.ts;
		o->p[o->n].len = p.len;
		o->p[o->n].marker = p.marker;
		o->bytes += p.len;
		o->n++;
	}
}

/* Feed G.711 packets of in_ms from ts0 (the first marked), skipping the
 * packet numbers in 'lost' (-1 terminated), into a repacketiser to out_ms. */
static void feed(struct repack *r, unsigned in_ms, unsigned out_ms, uint32_t ts0, int npk,
		 const int *lost, struct outs *o)
{
	static const struct repack_unit g711 = { 1, 1 };
	uint8_t pl[1500];
	size_t n = in_ms * 8;

	memset(o, 0, sizeof *o);
	ck_assert_int_eq(repack_init(r, &g711, 8000, out_ms), 0);
	for (int k = 0; k < npk; k++) {
		bool skip = false;
		for (const int *l = lost; l && *l >= 0; l++)
			skip |= *l == k;
		if (skip)
			continue;
		uint32_t ts = ts0 + (uint32_t)(k * n);
		pattern(pl, n, ts);
		ck_assert_int_eq(repack_put(r, ts, k == 0, pl, n), 0);
		drain(r, o);
	}
}

static void assert_grid(const struct outs *o, int n, uint32_t ts0, size_t len)
{
	ck_assert_int_eq(o->n, n);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(o->p[i].len, len);
		ck_assert_uint_eq(o->p[i].ts, ts0 + (uint32_t)(i * len));
		ck_assert(o->p[i].marker == (i == 0));
	}
}

START_TEST(repack_20_30)
{
	static struct repack r;
	struct outs o;
	feed(&r, 20, 30, 1000, 12, NULL, &o);       /* 240 ms in */
	assert_grid(&o, 8, 1000, 240);
	ck_assert_uint_eq(r.st.in, 12);
	ck_assert_uint_eq(r.st.partial, 0);
}
END_TEST

START_TEST(repack_30_20)
{
	static struct repack r;
	struct outs o;
	feed(&r, 30, 20, 5, 8, NULL, &o);
	assert_grid(&o, 12, 5, 160);
}
END_TEST

START_TEST(repack_20_60)
{
	static struct repack r;
	struct outs o;
	feed(&r, 20, 60, 77, 9, NULL, &o);
	assert_grid(&o, 3, 77, 480);
	/* Two packets in: nothing out yet, 40 ms pending. */
	feed(&r, 20, 60, 77, 2, NULL, &o);
	ck_assert_int_eq(o.n, 0);
	repack_flush(&r);
	drain(&r, &o);
	ck_assert_int_eq(o.n, 1);
	ck_assert_uint_eq(o.p[0].len, 320);
}
END_TEST

/* Timestamps across 2^32: the run continues, nothing is taken as late. */
START_TEST(repack_ts_wrap)
{
	static struct repack r;
	struct outs o;
	feed(&r, 20, 30, 0xffffff00u, 12, NULL, &o);
	assert_grid(&o, 8, 0xffffff00u, 240);
	ck_assert_uint_eq(r.st.late, 0);
	feed(&r, 30, 20, 0xfffffe00u, 8, NULL, &o);
	assert_grid(&o, 12, 0xfffffe00u, 160);
}
END_TEST

/* Packet 4 of 10 lost (20 -> 30): what was pending before the gap goes out
 * short at its own timestamp, the run restarts at the next packet's, and
 * every byte keeps its timestamp (drain() checks); the gap stays a gap. */
START_TEST(repack_loss)
{
	static struct repack r;
	static const int lost[] = { 4, -1 };
	struct outs o;

	feed(&r, 20, 30, 0, 10, lost, &o);
	ck_assert_uint_eq(r.st.partial, 1);
	ck_assert_int_eq(o.n, 6);
	ck_assert_uint_eq(o.p[0].ts, 0);
	ck_assert_uint_eq(o.p[1].ts, 240);
	ck_assert_uint_eq(o.p[2].ts, 480);          /* the short one: 480..640 */
	ck_assert_uint_eq(o.p[2].len, 160);
	ck_assert_uint_eq(o.p[3].ts, 800);          /* after the gap 640..800 */
	ck_assert_uint_eq(o.p[3].len, 240);
	ck_assert_uint_eq(o.p[4].ts, 1040);
	ck_assert_uint_eq(o.p[5].ts, 1280);
	/* Everything that arrived went out but the last 80 samples, pending. */
	ck_assert_uint_eq(o.bytes + 80, 9 * 160);
	/* Several lost in a row, and the first one too. */
	static const int lost2[] = { 0, 2, 3, -1 };
	feed(&r, 20, 30, 0, 8, lost2, &o);
	for (int i = 0; i < o.n; i++)
		ck_assert_msg(o.p[i].ts >= 160 && !(o.p[i].ts >= 320 && o.p[i].ts < 640),
			      "packet at %u", o.p[i].ts);
}
END_TEST

/* A late or duplicate packet is dropped; a marker restarts the run; a
 * timestamp more than 1 s back is a restarted stream. */
START_TEST(repack_late_marker)
{
	static struct repack r;
	static const struct repack_unit g711 = { 1, 1 };
	uint8_t pl[240];
	struct outs o = { 0 };

	ck_assert_int_eq(repack_init(&r, &g711, 8000, 30), 0);
	for (uint32_t k = 0; k < 3; k++) {
		pattern(pl, 160, 160 * k);
		ck_assert_int_eq(repack_put(&r, 160 * k, false, pl, 160), 0);
		drain(&r, &o);
	}
	pattern(pl, 160, 160);
	ck_assert_int_eq(repack_put(&r, 160, false, pl, 160), -EAGAIN);      /* duplicate */
	pattern(pl, 160, 0);
	ck_assert_int_eq(repack_put(&r, 0, false, pl, 160), -EAGAIN);        /* late */
	ck_assert_uint_eq(r.st.late, 2);
	ck_assert_int_eq(o.n, 2);                   /* 0..480: two out, nothing pending */
	pattern(pl, 160, 480);
	ck_assert_int_eq(repack_put(&r, 480, false, pl, 160), 0);
	drain(&r, &o);
	ck_assert_int_eq(o.n, 2);                   /* 480..640 pending */
	pattern(pl, 160, 640);
	ck_assert_int_eq(repack_put(&r, 640, true, pl, 160), 0);             /* talkspurt */
	drain(&r, &o);
	ck_assert_int_eq(o.n, 3);
	ck_assert_uint_eq(o.p[2].ts, 480);
	ck_assert_uint_eq(o.p[2].len, 160);
	ck_assert(!o.p[2].marker);
	pattern(pl, 160, 800);
	ck_assert_int_eq(repack_put(&r, 800, false, pl, 160), 0);
	drain(&r, &o);
	ck_assert_int_eq(o.n, 4);
	ck_assert_uint_eq(o.p[3].ts, 640);
	ck_assert(o.p[3].marker);
	/* 2 s back: a new stream, taken. */
	pattern(pl, 160, 960 - 16000);
	ck_assert_int_eq(repack_put(&r, 960 - 16000, false, pl, 160), 0);
	drain(&r, &o);
	ck_assert_uint_eq(o.p[4].ts, 880);          /* what was pending went out short */
	ck_assert_uint_eq(o.p[4].len, 80);
}
END_TEST

/* G.729: 10-byte frames of 80 ticks; a 2-byte SID cannot be cut. */
START_TEST(repack_g729)
{
	static struct repack r;
	struct repack_unit u;
	struct repack_pkt p;
	uint8_t pl[30] = { 0 };

	ck_assert_int_eq(repack_unit_of("G729", 8000, &u), 0);
	ck_assert_uint_eq(u.bytes, 10);
	ck_assert_uint_eq(u.ticks, 80);
	ck_assert_int_eq(repack_init(&r, &u, 8000, 30), 0);
	ck_assert_int_eq(repack_put(&r, 0, false, pl, 20), 0);
	ck_assert(!repack_pop(&r, &p));
	ck_assert_int_eq(repack_put(&r, 160, false, pl, 20), 0);
	ck_assert(repack_pop(&r, &p));
	ck_assert_uint_eq(p.len, 30);
	ck_assert_uint_eq(p.ts, 0);
	ck_assert(!repack_pop(&r, &p));
	ck_assert_int_eq(repack_put(&r, 320, false, pl, 2), -EINVAL);        /* SID */
	ck_assert(repack_pop(&r, &p));                                      /* pending, flushed */
	ck_assert_uint_eq(p.len, 10);
	ck_assert_uint_eq(p.ts, 240);
	ck_assert_uint_eq(r.st.opaque, 1);
	/* Which codecs can be cut. */
	ck_assert_int_eq(repack_unit_of("PCMU", 8000, &u), 0);
	ck_assert_int_eq(repack_unit_of("pcma", 8000, &u), 0);
	ck_assert_int_eq(repack_unit_of("G722", 8000, &u), 0);
	ck_assert_int_eq(repack_unit_of("opus", 48000, &u), -ENOTSUP);
	ck_assert_int_eq(repack_unit_of("PCMU", 16000, &u), -ENOTSUP);
	/* What a leg asks for. */
	ck_assert_uint_eq(repack_leg_ptime(0, 0), 20);
	ck_assert_uint_eq(repack_leg_ptime(30, 0), 30);
	ck_assert_uint_eq(repack_leg_ptime(30, 20), 20);
	ck_assert_uint_eq(repack_leg_ptime(0, 10), 10);
	ck_assert_uint_eq(repack_leg_ptime(60, 120), 60);
}
END_TEST

/* Opus: 20 ms single-frame packets joined into code-3 packets. */
static size_t opus_pkt(uint8_t *b, uint8_t toc, size_t frame_len, uint8_t fill)
{
	b[0] = toc;
	memset(b + 1, fill, frame_len);
	return frame_len + 1;
}

START_TEST(opack_join)
{
	static struct opack p;
	struct opack_pkt o;
	uint8_t b[400];
	const uint8_t toc = 15 << 3;                /* hybrid fullband 20 ms, mono, code 0 */

	ck_assert_uint_eq(opack_frame_ticks(toc), 960);
	ck_assert_uint_eq(opack_frame_ticks(1 << 3), 960);         /* SILK NB 20 ms */
	ck_assert_uint_eq(opack_frame_ticks(31 << 3), 960);        /* CELT FB 20 ms */
	ck_assert_uint_eq(opack_frame_ticks(28 << 3), 120);        /* CELT FB 2.5 ms */
	ck_assert_int_eq(opack_init(&p, 30), -EINVAL);
	ck_assert_int_eq(opack_init(&p, 60), 0);
	/* 299, 49, 59 bytes of frames: the first length takes two bytes. */
	ck_assert_int_eq(opack_put(&p, 1000, true, b, opus_pkt(b, toc, 299, 1)), 0);
	ck_assert(!opack_pop(&p, &o));
	ck_assert_int_eq(opack_put(&p, 1960, false, b, opus_pkt(b, toc, 49, 2)), 0);
	ck_assert(!opack_pop(&p, &o));
	ck_assert_int_eq(opack_put(&p, 2920, false, b, opus_pkt(b, toc, 59, 3)), 0);
	ck_assert(opack_pop(&p, &o));
	ck_assert_uint_eq(o.ts, 1000);
	ck_assert(o.marker);
	ck_assert_uint_eq(o.len, 2 + 2 + 1 + 299 + 49 + 59);
	ck_assert_uint_eq(o.data[0], toc | 3);
	ck_assert_uint_eq(o.data[1], 0x80 | 3);                     /* VBR, 3 frames */
	ck_assert_uint_eq(o.data[2] + 4u * o.data[3], 299);         /* 252 + 3, then 11 */
	ck_assert_uint_eq(o.data[2], 255);
	ck_assert_uint_eq(o.data[4], 49);
	ck_assert_uint_eq(o.data[5], 1);
	ck_assert_uint_eq(o.data[5 + 299], 2);
	ck_assert_uint_eq(o.data[5 + 299 + 49], 3);
	ck_assert(!opack_pop(&p, &o));
	/* A gap (DTX) sends the one frame pending as it was, code 0. */
	ck_assert_int_eq(opack_put(&p, 3880, false, b, opus_pkt(b, toc, 40, 4)), 0);
	ck_assert_int_eq(opack_put(&p, 3880 + 5 * 960, false, b, opus_pkt(b, toc, 40, 5)), 0);
	ck_assert(opack_pop(&p, &o));
	ck_assert_uint_eq(o.len, 41);
	ck_assert_uint_eq(o.data[0], toc);
	ck_assert_uint_eq(o.ts, 3880);
	ck_assert(!opack_pop(&p, &o));
	/* Another configuration (the encoder went wideband): not joined. */
	ck_assert_int_eq(opack_put(&p, 3880 + 6 * 960, false, b, opus_pkt(b, 13 << 3, 30, 6)), 0);
	ck_assert(opack_pop(&p, &o));
	ck_assert_uint_eq(o.ts, 3880 + 5 * 960);
	ck_assert_uint_eq(o.data[0], toc);
	/* A packet of several frames already: what is pending goes, then it
	 * is sent as it is. */
	ck_assert_int_eq(opack_put(&p, 3880 + 7 * 960, false, b, opus_pkt(b, toc | 1, 30, 7)), -EINVAL);
	ck_assert(opack_pop(&p, &o));
	ck_assert_uint_eq(o.data[0], 13 << 3);
	ck_assert(!opack_pop(&p, &o));
}
END_TEST

/* ---- through the media API ---- */

/* A sends 20 ms packets, B 30 ms ones, for 'ms' ms; sequence numbers and
 * timestamps start just before their wrap. A's payloads follow pattern();
 * 'b_tone' makes B's a PCMA tone (else the pattern too). */
struct leg_rx {
	int n;
	size_t bytes;
	uint64_t first_ms, last_ms;
	struct { uint8_t buf[600]; int len; struct rtp_hdr h; } pk[200];
};

static void take_all(int fd, uint16_t from_port, struct leg_rx *rx)
{
	uint8_t buf[1500];
	uint16_t from;
	int r;

	while ((r = mt_recv(fd, buf, sizeof buf, 0, &from)) > 0) {
		if (from != from_port || rx->n >= 200 || r > 600)
			continue;
		memcpy(rx->pk[rx->n].buf, buf, (size_t)r);
		rx->pk[rx->n].len = r;
		ck_assert_int_eq(rtp_parse(rx->pk[rx->n].buf, (size_t)r, &rx->pk[rx->n].h), 0);
		uint64_t now = mt_now_ms();
		if (!rx->n)
			rx->first_ms = now;
		rx->last_ms = now;
		rx->bytes += rx->pk[rx->n].h.payload_len;
		rx->n++;
	}
}

static void run_20_30(struct tcall *c, int ms, uint8_t pt_a, uint8_t pt_b, double b_hz,
		      struct leg_rx *at_a, struct leg_rx *at_b)
{
	uint64_t t0 = mt_now_ms();
	uint16_t seq_a = 65500, seq_b = 65530;
	uint32_t ts_a = 0xfffff000u, ts_b = 0xffffff00u;
	uint8_t pl[240];
	int16_t pcm[240];

	memset(at_a, 0, sizeof *at_a);
	memset(at_b, 0, sizeof *at_b);
	for (int t = 0; t < ms; t += 10) {
		if (t % 20 == 0) {
			pattern(pl, 160, ts_a);
			mt_send_rtp(c->a.rtp, c->ga, pt_a, seq_a++, ts_a, 0xa11ce, pl, 160);
			ts_a += 160;
		}
		if (t % 30 == 0) {
			if (b_hz > 0) {
				tt_tone(pcm, 240, (size_t)t * 8, 8000, b_hz, -10);
				for (int i = 0; i < 240; i++)
					pl[i] = linear_to_alaw(pcm[i]);
			} else {
				pattern(pl, 240, ts_b);
			}
			mt_send_rtp(c->b.rtp, c->gb, pt_b, seq_b++, ts_b, 0xb0b, pl, 240);
			ts_b += 240;
		}
		while (mt_now_ms() < t0 + (uint64_t)t + 10) {
			take_all(c->b.rtp, c->gb, at_b);
			take_all(c->a.rtp, c->ga, at_a);
			usleep(500);
		}
	}
	for (uint64_t end = mt_now_ms() + 200; mt_now_ms() < end; usleep(1000)) {
		take_all(c->b.rtp, c->gb, at_b);
		take_all(c->a.rtp, c->ga, at_a);
	}
}

/* Every packet 'len' bytes, one stream, seq +1 and timestamp +len (both
 * across their wrap), bytes true to their timestamp when 'pat'. */
static void assert_stream(const struct leg_rx *rx, size_t len, bool pat, const char *what)
{
	ck_assert_msg(rx->n > 10, "%s: %d packets", what, rx->n);
	for (int i = 0; i < rx->n; i++) {
		const struct rtp_hdr *h = &rx->pk[i].h;
		ck_assert_msg(h->payload_len == len, "%s: packet %d has %zu bytes", what, i,
			      h->payload_len);
		for (size_t j = 0; pat && j < len; j++)
			ck_assert_uint_eq(rx->pk[i].buf[h->hdr_len + j], (uint8_t)(h->ts + j));
		if (!i)
			continue;
		const struct rtp_hdr *p = &rx->pk[i - 1].h;
		ck_assert_uint_eq(h->ssrc, p->ssrc);
		ck_assert_msg(h->seq == (uint16_t)(p->seq + 1), "%s: seq %u after %u", what, h->seq, p->seq);
		ck_assert_msg(h->ts == (uint32_t)(p->ts + len), "%s: ts %u after %u", what, h->ts, p->ts);
	}
}

/* A transcoded stream, made on a timer: on a loaded machine a late tick can
 * leave a period empty, and what was pending then goes out short. So: no
 * packet longer than 'len', 90 % of them exactly 'len', one SSRC, seq +1,
 * and timestamps that never overlap (+ the payload, or more after a gap). */
static void assert_stream_timer(const struct leg_rx *rx, size_t len, const char *what)
{
	int full = 0;
	ck_assert_msg(rx->n > 10, "%s: %d packets", what, rx->n);
	for (int i = 0; i < rx->n; i++) {
		const struct rtp_hdr *h = &rx->pk[i].h;
		ck_assert_msg(h->payload_len <= len, "%s: packet %d has %zu bytes", what, i, h->payload_len);
		full += h->payload_len == len;
		if (!i)
			continue;
		const struct rtp_hdr *p = &rx->pk[i - 1].h;
		ck_assert_uint_eq(h->ssrc, p->ssrc);
		ck_assert_uint_eq(h->seq, (uint16_t)(p->seq + 1));
		ck_assert_msg((int32_t)(h->ts - p->ts) >= (int32_t)p->payload_len, "%s: ts %u after %u",
			      what, h->ts, p->ts);
	}
	ck_assert_msg(full * 10 >= rx->n * 9, "%s: %d of %d packets have %zu bytes", what, full, rx->n,
		      len);
}

#define PT30 "a=ptime:30\r\n"

/* PCMU 20 ms caller, PCMU 30 ms carrier: relayed, not transcoded; each gets
 * packets of the size it asked for; the answer asks the caller for its own
 * 20 ms. */
START_TEST(ptime_passthrough)
{
	struct tcall c;
	static struct leg_rx at_a, at_b;

	ck_assert_int_eq(call_offer(&c, NULL, "0", ""), 0);
	ck_assert_uint_eq(c.offer_b.streams[0].ptime, 20);
	call_answer(&c, "0", PT30);
	ck_assert_uint_eq(c.answer_a.streams[0].ptime, 20);
	ck_assert_uint_eq(c.answer_a.streams[0].maxptime, 0);
	ck_assert_str_eq(c.answer_a.streams[0].codecs[0].name, "PCMU");

	run_20_30(&c, 1800, 0, 0, 0, &at_a, &at_b);
	assert_stream(&at_b, 240, true, "at B (30 ms)");
	assert_stream(&at_a, 160, true, "at A (20 ms)");
	/* 1.8 s: 90 packets of 20 ms in, 60 of 30 ms out, and the other way. */
	ck_assert_msg(at_b.n >= 58 && at_b.n <= 60, "B got %d", at_b.n);
	ck_assert_msg(at_a.n >= 88 && at_a.n <= 90, "A got %d", at_a.n);
	double ival = (double)(at_b.last_ms - at_b.first_ms) / (at_b.n - 1);
	ck_assert_msg(ival > 27 && ival < 33, "B's mean interval %.1f ms", ival);
	/* The streams keep the senders' SSRCs (pass-through). */
	ck_assert_uint_eq(at_b.pk[0].h.ssrc, 0xa11ce);
	ck_assert_uint_eq(at_a.pk[0].h.ssrc, 0xb0b);
	/* A's receiver report counts B's 30 ms packets: not relayed to B. */
	static const uint8_t rr[8] = { 0x80, 201, 0, 1, 0, 0x0a, 0x11, 0xce };
	uint8_t got[64];
	mt_drain(c.b.rtcp);
	mt_send_raw(c.a.rtcp, (uint16_t)(c.ga + 1), rr, sizeof rr);
	ck_assert_int_lt(mt_recv(c.b.rtcp, got, sizeof got, 150, NULL), 0);
	call_end(&c);
}
END_TEST

/* PCMU 20 ms caller, PCMA-only carrier at 30 ms: transcoded; the carrier
 * gets 30 ms PCMA (timestamps +240), the caller 20 ms PCMU with the
 * carrier's tone. */
START_TEST(ptime_transcoded)
{
	static const char *const pcma[] = { "PCMA", NULL };
	struct tcall c;
	static struct leg_rx at_a, at_b;
	static double x[200 * 160];

	ck_assert_int_eq(call_offer(&c, pcma, "0", ""), 0);
	call_answer(&c, "8", PT30);
	ck_assert_uint_eq(c.answer_a.streams[0].ptime, 20);
	ck_assert_str_eq(c.answer_a.streams[0].codecs[0].name, "PCMU");

	run_20_30(&c, 1800, 0, 8, 700, &at_a, &at_b);
	ck_assert_uint_eq(at_b.pk[0].h.pt, 8);
	assert_stream_timer(&at_b, 240, "at B (30 ms, transcoded)");
	ck_assert_msg(at_b.n >= 50 && at_b.n <= 61, "B got %d", at_b.n);
	ck_assert_msg(at_a.n >= 80, "A got %d", at_a.n);
	int n = 0;
	assert_stream_timer(&at_a, 160, "at A (20 ms, transcoded)");
	for (int i = 5; i < at_a.n; i++) {
		const struct rtp_hdr *h = &at_a.pk[i].h;
		ck_assert_uint_eq(h->pt, 0);
		for (size_t k = 0; k < h->payload_len; k++)
			x[n++] = ulaw_to_linear(at_a.pk[i].buf[h->hdr_len + k]);
	}
	double f = tt_peak_freq(x, n, 8000, 600, 800);
	ck_assert_msg(f > 695 && f < 705, "A hears %.1f Hz", f);
	call_end(&c);
}
END_TEST

TCase *tt_ptime_tcase(void)
{
	TCase *tc = tcase_create("ptime");
	tcase_set_tags(tc, "stream");   /* run as media/stream (tests/TESTS) */
	tcase_add_test(tc, repack_20_30);
	tcase_add_test(tc, repack_30_20);
	tcase_add_test(tc, repack_20_60);
	tcase_add_test(tc, repack_ts_wrap);
	tcase_add_test(tc, repack_loss);
	tcase_add_test(tc, repack_late_marker);
	tcase_add_test(tc, repack_g729);
	tcase_add_test(tc, opack_join);
	return tc;
}

#define TE8 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"

/* Events and marker bits through a repacketised direction: A's audio (20 ms,
 * the first packet marked) and an RFC 4733 digit in the middle reach B in
 * one sequence (+1 every packet, the events between the audio), the events
 * with B's payload type for them ('b_te'), their timestamp and marker, the
 * audio (codec 'pt') in 30 ms. */
static void events_through(uint8_t pt, const char *afmts, const char *aattrs, const char *bfmts,
			   const char *battrs, uint8_t b_te)
{
	struct tcall c;
	static struct leg_rx at_b;
	uint8_t pl[160];
	uint16_t seq = 65530;
	uint32_t ts = 0xffffff00u, ev_ts = 0;
	int nev = 0;

	ck_assert_int_eq(call_offer(&c, NULL, afmts, aattrs), 0);
	call_answer(&c, bfmts, battrs);
	memset(&at_b, 0, sizeof at_b);
	uint64_t t0 = mt_now_ms();
	for (int k = 0; k < 60; k++) {
		uint8_t pkt[172];
		pattern(pl, 160, ts);
		rtp_write_hdr(pkt, pt, k == 0, seq++, ts, 0xa11ce);
		memcpy(pkt + 12, pl, 160);
		mt_send_raw(c.a.rtp, c.ga, pkt, sizeof pkt);
		if (k == 20)
			ev_ts = ts;
		if (k >= 20 && k < 26) {
			/* Digit 5, 50 ms more each packet; the last three are the end. */
			unsigned dur = 400u * (unsigned)(k - 19);
			uint8_t ev[4] = { 5, (uint8_t)(k >= 23 ? 0x80 | 10 : 10), (uint8_t)(dur >> 8),
					  (uint8_t)dur };
			rtp_write_hdr(pkt, 101, k == 20, seq++, ev_ts, 0xa11ce);
			memcpy(pkt + 12, ev, 4);
			mt_send_raw(c.a.rtp, c.ga, pkt, 16);
			nev++;
		}
		ts += 160;
		while (mt_now_ms() < t0 + 20u * (unsigned)(k + 1)) {
			take_all(c.b.rtp, c.gb, &at_b);
			usleep(500);
		}
	}
	for (uint64_t end = mt_now_ms() + 200; mt_now_ms() < end; usleep(1000))
		take_all(c.b.rtp, c.gb, &at_b);

	int events = 0, audio = 0;
	for (int i = 0; i < at_b.n; i++) {
		const struct rtp_hdr *h = &at_b.pk[i].h;
		if (i)
			ck_assert_uint_eq(h->seq, (uint16_t)(at_b.pk[i - 1].h.seq + 1));
		if (h->pt == b_te) {
			ck_assert_uint_eq(h->payload_len, 4);
			ck_assert_uint_eq(h->ts, ev_ts);
			ck_assert(h->marker == (events == 0));
			ck_assert_uint_eq(at_b.pk[i].buf[h->hdr_len], 5);
			events++;
			continue;
		}
		ck_assert_uint_eq(h->pt, pt);
		ck_assert_uint_eq(h->payload_len, 240);
		for (size_t j = 0; j < 240; j++)
			ck_assert_uint_eq(at_b.pk[i].buf[h->hdr_len + j], (uint8_t)(h->ts + j));
		ck_assert(h->marker == (audio == 0));
		audio++;
	}
	ck_assert_int_eq(events, nev);
	ck_assert_int_eq(audio, 40);                /* 1.2 s in 30 ms packets */
	call_end(&c);
}

START_TEST(ptime_events)
{
	events_through(0, "0 101", TE8, "0 101", TE8 PT30, 101);
}
END_TEST

/* Payload types mapped per leg: B takes A's telephone-event as PT 100. */
START_TEST(ptime_pt_mapped)
{
	events_through(8, "8 101", TE8, "8 100", "a=rtpmap:100 telephone-event/8000\r\n" PT30, 100);
}
END_TEST

/* PCMU caller, Opus carrier asking for 40 ms: the transcoder's 20 ms Opus
 * frames reach it two to a packet (code 3), timestamps 1920 apart, and they
 * decode to 40 ms of the caller's tone each. */
START_TEST(ptime_opus)
{
	static const char *const opus[] = { "opus", NULL };
	struct tcall c;
	static struct leg_rx at_b;
	static int16_t pcm[2 * 5760];
	static double x[48000 * 2];
	uint8_t pl[160];
	int16_t tone[160];

	if (!g_have_opus)
		return;
	ck_assert_int_eq(call_offer(&c, opus, "0", ""), 0);
	const struct msdp_codec *o = offered(&c.offer_b, "opus", 48000);
	ck_assert_ptr_nonnull(o);
	char fmts[8], attrs[128];
	snprintf(fmts, sizeof fmts, "%u", o->pt);
	snprintf(attrs, sizeof attrs, "a=rtpmap:%u opus/48000/2\r\na=ptime:40\r\n", o->pt);
	call_answer(&c, fmts, attrs);
	ck_assert_uint_eq(c.answer_a.streams[0].ptime, 20);
	memset(&at_b, 0, sizeof at_b);
	uint64_t t0 = mt_now_ms();
	for (int k = 0; k < 80; k++) {
		tt_tone(tone, 160, 160u * (unsigned)k, 8000, 1000, -10);
		for (int i = 0; i < 160; i++)
			pl[i] = linear_to_ulaw(tone[i]);
		mt_send_rtp(c.a.rtp, c.ga, 0, (uint16_t)k, 160u * (unsigned)k, 0xa, pl, 160);
		while (mt_now_ms() < t0 + 20u * (unsigned)(k + 1)) {
			take_all(c.b.rtp, c.gb, &at_b);
			usleep(500);
		}
	}
	for (uint64_t end = mt_now_ms() + 200; mt_now_ms() < end; usleep(1000))
		take_all(c.b.rtp, c.gb, &at_b);

	const struct tandem_codec *op = tt_codec("opus", 48000, 2);
	struct tandem_codec_state *dec;
	ck_assert_int_eq(op->engine->create(op, NULL, 48000, TANDEM_CODEC_DECODE, &dec), 0);
	unsigned ch = tandem_codec_pcm_channels(op);
	int n = 0, joined = 0;
	ck_assert_msg(at_b.n >= 30 && at_b.n <= 41, "B got %d packets for 1.6 s", at_b.n);
	for (int i = 0; i < at_b.n; i++) {
		const struct rtp_hdr *h = &at_b.pk[i].h;
		const uint8_t *p = at_b.pk[i].buf + h->hdr_len;
		ck_assert_uint_eq(h->pt, o->pt);
		if ((p[0] & 3) == 3 && (p[1] & 0x3f) == 2)
			joined++;
		if (i)
			ck_assert_msg((int32_t)(h->ts - at_b.pk[i - 1].h.ts) >= 1920, "ts %u after %u", h->ts,
				      at_b.pk[i - 1].h.ts);
		int got = op->engine->decode(dec, p, h->payload_len, pcm, 5760);
		ck_assert_int_gt(got, 0);
		if ((p[0] & 3) == 3)
			ck_assert_int_eq(got, 1920);
		for (int k = 0; k < got && n < (int)(sizeof x / sizeof x[0]); k++)
			x[n++] = pcm[k * ch];
	}
	op->engine->destroy(dec);
	ck_assert_msg(joined * 10 >= at_b.n * 9, "%d of %d packets carry two frames", joined, at_b.n);
	double f = tt_peak_freq(x + 4800, n - 4800, 48000, 900, 1100);
	ck_assert_msg(f > 995 && f < 1005, "B hears %.1f Hz", f);
	call_end(&c);
}
END_TEST

/* ---- Opus answers through the media API ---- */

#define OPUS_BROWSER "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
#define OPUS_DESK "a=rtpmap:111 opus/48000/2\r\n" \
	"a=fmtp:111 stereo=0;sprop-stereo=0;maxplaybackrate=16000\r\na=ptime:20\r\na=maxptime:40\r\n"

/* An Opus caller to a PCMU-only carrier: the answer the caller gets. */
static void opus_answer(const char *attrs, const char *want_fmtp)
{
	static const char *const pcmu[] = { "PCMU", NULL };
	struct tcall c;

	ck_assert_int_eq(call_offer(&c, pcmu, "111", attrs), 0);
	call_answer(&c, "0", "");
	const struct msdp_stream *st = &c.answer_a.streams[0];
	ck_assert_str_eq(st->codecs[0].name, "opus");
	ck_assert_uint_eq(st->codecs[0].rate, 48000);
	ck_assert_uint_eq(st->codecs[0].channels, 2);
	ck_assert_uint_eq(st->codecs[0].pt, 111);
	ck_assert_str_eq(st->codecs[0].fmtp, want_fmtp);
	/* ptime is a media attribute, stated; never inside the fmtp. */
	ck_assert_uint_eq(st->ptime, 20);
	ck_assert_uint_eq(st->maxptime, 0);
	ck_assert_ptr_nonnull(strstr(c.answer_a_txt, "a=ptime:20\r\n"));
	ck_assert_ptr_null(strstr(c.answer_a_txt, "stereo=1"));
	ck_assert_ptr_null(strstr(st->codecs[0].fmtp, "ptime"));
	call_end(&c);
}

START_TEST(opus_answer_browser)
{
	if (!g_have_opus)
		return;
	opus_answer(OPUS_BROWSER, "stereo=0;sprop-stereo=0;useinbandfec=1;usedtx=0;"
		    "maxplaybackrate=48000;maxaveragebitrate=32000");
}
END_TEST

START_TEST(opus_answer_desk_phone)
{
	if (!g_have_opus)
		return;
	opus_answer(OPUS_DESK, "stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0;"
		    "maxplaybackrate=16000;maxaveragebitrate=20000");
}
END_TEST

/* A PCMU caller to an Opus-only carrier: the offer the carrier gets names
 * every parameter too, ptime as an attribute. */
START_TEST(opus_offer_explicit)
{
	static const char *const opus[] = { "opus", NULL };
	struct tcall c;

	if (!g_have_opus)
		return;
	ck_assert_int_eq(call_offer(&c, opus, "0", ""), 0);
	const struct msdp_codec *o = offered(&c.offer_b, "opus", 48000);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->channels, 2);
	ck_assert_str_eq(o->fmtp, "stereo=0;sprop-stereo=0;useinbandfec=1;usedtx=0;"
			 "maxplaybackrate=48000;maxaveragebitrate=32000");
	ck_assert_uint_eq(c.offer_b.streams[0].ptime, 20);
	call_end(&c);
}
END_TEST

TCase *tt_ptime_api_tcase(void)
{
	TCase *tc = tcase_create("ptime_api");
	tcase_set_tags(tc, "stream");   /* run as media/stream (tests/TESTS) */
	tcase_add_checked_fixture(tc, tt_setup, tt_teardown);
	tcase_add_test(tc, ptime_passthrough);
	tcase_add_test(tc, ptime_transcoded);
	tcase_add_test(tc, ptime_events);
	tcase_add_test(tc, ptime_pt_mapped);
	tcase_add_test(tc, ptime_opus);
	tcase_add_test(tc, opus_answer_browser);
	tcase_add_test(tc, opus_answer_desk_phone);
	tcase_add_test(tc, opus_offer_explicit);
	tcase_set_timeout(tc, 30);
	return tc;
}
