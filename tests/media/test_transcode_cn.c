/* test_transcode_cn.c - comfort noise into a continuous stream: a PCMU caller
 * that goes quiet with an RFC 3389 CN packet, and an Opus caller that goes
 * quiet with DTX, both transcoded to a carrier that took no CN. The carrier
 * gets a packet every 20 ms through the silence (counted, the longest gap
 * measured), noise at the CN's level, and the tone before and after. The
 * level parser, alone. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "media/cng.h"
#include "test_transcode.h"

#define NPK 150                     /* 3 s: tone, 1 s quiet, tone */
#define QUIET_FROM 50
#define QUIET_TO 100

struct cn_rx {
	int n;
	uint64_t last_ms, max_gap_ms;
	struct { uint8_t buf[400]; int len; struct rtp_hdr h; uint64_t at; } pk[NPK + 40];
};

static void take(int fd, uint16_t from_port, struct cn_rx *rx)
{
	uint8_t buf[1500];
	uint16_t from;
	int r;

	while ((r = mt_recv(fd, buf, sizeof buf, 0, &from)) > 0) {
		if (from != from_port || rx->n >= NPK + 40 || r > 400)
			continue;
		uint64_t now = mt_now_ms();
		memcpy(rx->pk[rx->n].buf, buf, (size_t)r);
		rx->pk[rx->n].len = r;
		rx->pk[rx->n].at = now;
		ck_assert_int_eq(rtp_parse(rx->pk[rx->n].buf, (size_t)r, &rx->pk[rx->n].h), 0);
		if (rx->n && now - rx->last_ms > rx->max_gap_ms)
			rx->max_gap_ms = now - rx->last_ms;
		rx->last_ms = now;
		rx->n++;
	}
}

/* What A sends in period k: fills pl, returns its length, 0 for nothing. */
typedef size_t (*cn_gen)(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts);

static void run(struct tcall *c, cn_gen gen, void *ctx, struct cn_rx *at_b)
{
	uint64_t t0 = mt_now_ms();
	uint16_t seq = 65500;

	memset(at_b, 0, sizeof *at_b);
	for (int k = 0; k < NPK; k++) {
		uint8_t pl[1500], pt;
		uint32_t ts;
		size_t n = gen(ctx, k, pl, &pt, &ts);
		if (n)
			mt_send_rtp(c->a.rtp, c->ga, pt, seq++, ts, 0xa11ce, pl, n);
		while (mt_now_ms() < t0 + 20u * (unsigned)(k + 1)) {
			take(c->b.rtp, c->gb, at_b);
			usleep(500);
		}
	}
	for (uint64_t end = mt_now_ms() + 300; mt_now_ms() < end; usleep(1000))
		take(c->b.rtp, c->gb, at_b);
}

/* RMS of a received G.711 packet, dBov (full-scale square wave = 0). */
static double pkt_dbov(const struct cn_rx *rx, int i, bool alaw)
{
	const struct rtp_hdr *h = &rx->pk[i].h;
	double e = 0;
	for (size_t k = 0; k < h->payload_len; k++) {
		uint8_t b = rx->pk[i].buf[h->hdr_len + k];
		double v = alaw ? alaw_to_linear(b) : ulaw_to_linear(b);
		e += v * v;
	}
	return 20 * log10(sqrt(e / (double)(h->payload_len ? h->payload_len : 1)) / 32768.0 + 1e-9);
}

/* The tone at B's end (the last 40 packets) and through the quiet part. */
static void check_stream(const struct cn_rx *at_b, bool alaw, double noise_lo, double noise_hi,
			 const char *what)
{
	static double x[40 * 160];
	int n = 0;

	/* A packet every 20 ms, through the silence too. */
	/* (Margins for a loaded machine, where the transcoder's timer may
	 * stall a little; without the noise the second of quiet would be a
	 * 1000 ms gap and 50 packets fewer.) */
	ck_assert_msg(at_b->n >= NPK - 15, "%s: B got %d packets of %d periods", what, at_b->n, NPK);
	/* ... and no more: nothing concealed after the fact (latency). */
	ck_assert_msg(at_b->n <= NPK + 4, "%s: B got %d packets of %d periods", what, at_b->n, NPK);
	ck_assert_msg(at_b->max_gap_ms <= 200, "%s: B waited %llu ms for a packet", what,
		      (unsigned long long)at_b->max_gap_ms);
	for (int i = 1; i < at_b->n; i++)
		ck_assert_uint_eq(at_b->pk[i].h.seq, (uint16_t)(at_b->pk[i - 1].h.seq + 1));
	/* The quiet second, well inside it: noise at the signalled level. */
	double sum = 0;
	int cnt = 0;
	for (int i = QUIET_FROM + 12; i < QUIET_TO - 5; i++) {
		double l = pkt_dbov(at_b, i, alaw);
		ck_assert_msg(l >= noise_lo && l <= noise_hi, "%s: packet %d at %.1f dBov", what, i, l);
		sum += l;
		cnt++;
	}
	fprintf(stderr, "%s: %d packets, longest gap %llu ms, noise %.1f dBov\n", what, at_b->n,
		(unsigned long long)at_b->max_gap_ms, sum / cnt);
	for (int i = at_b->n - 40; i < at_b->n; i++) {
		const struct rtp_hdr *h = &at_b->pk[i].h;
		for (size_t k = 0; k < h->payload_len && n < 40 * 160; k++) {
			uint8_t b = at_b->pk[i].buf[h->hdr_len + k];
			x[n++] = alaw ? alaw_to_linear(b) : ulaw_to_linear(b);
		}
	}
	double f = tt_peak_freq(x, n, 8000, 900, 1100);
	ck_assert_msg(f > 995 && f < 1005, "%s: the tone after the silence is %.1f Hz", what, f);
}

/* PCMU: the tone, then one CN packet at -40 dBov and nothing for 1 s. */
static size_t gen_pcmu_cn(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	struct g711_gen g = { false, 0, 1000 };
	(void)ctx;
	if (k == QUIET_FROM) {
		pl[0] = 40;             /* -40 dBov, no spectral information */
		*pt = 13;
		*ts = 160u * (unsigned)k;
		return 1;
	}
	if (k > QUIET_FROM && k < QUIET_TO)
		return 0;
	return gen_g711(&g, k, pl, pt, ts);
}

START_TEST(cn_continuous)
{
	static const char *const pcma[] = { "PCMA", NULL };
	struct tcall c;
	static struct cn_rx at_b;

	ck_assert_int_eq(call_offer(&c, pcma, "0 13", "a=rtpmap:13 CN/8000\r\n"), 0);
	call_answer(&c, "8", "");
	/* The caller keeps its CN: the gateway takes it. */
	ck_assert_ptr_nonnull(offered(&c.answer_a, "CN", 8000));
	run(&c, gen_pcmu_cn, NULL, &at_b);
	check_stream(&at_b, true, -46, -36, "CN -40 dBov");
	call_end(&c);
}
END_TEST

struct opus_dtx {
	struct opus_gen og;
	uint8_t toc;
};

/* Opus: the tone, 200 ms of quiet room noise (an encoder goes into DTX only
 * after some), then DTX (a TOC byte alone) every 400 ms for 1 s. */
static size_t gen_opus_dtx(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	struct opus_dtx *g = ctx;
	if (k >= QUIET_FROM - 10 && k < QUIET_FROM) {
		/* Room noise at about -50 dBov. */
		const struct tandem_codec *op = tt_codec("opus", 48000, 2);
		int16_t pcm[960];
		for (int i = 0; i < 960; i++)
			pcm[i] = (int16_t)(rand() % 207 - 103);
		int n = op->engine->encode(g->og.enc, pcm, 960, pl, 1500);
		ck_assert_int_gt(n, 0);
		*pt = g->og.pt;
		*ts = 960u * (unsigned)k;
		g->toc = pl[0];
		return (size_t)n;
	}
	if (k >= QUIET_FROM && k < QUIET_TO) {
		if ((k - QUIET_FROM) % 20)
			return 0;
		pl[0] = g->toc;
		*pt = g->og.pt;
		*ts = 960u * (unsigned)k;
		return 1;
	}
	size_t n = gen_opus(&g->og, k, pl, pt, ts);
	g->toc = pl[0];
	return n;
}

START_TEST(opus_dtx_continuous)
{
	static const char *const pcmu[] = { "PCMU", NULL };
	struct tcall c;
	static struct cn_rx at_b;
	struct opus_dtx g = { { NULL, 111, 1000 }, 0 };

	if (!g_have_opus)
		return;
	const struct tandem_codec *op = tt_codec("opus", 48000, 2);
	ck_assert_int_eq(op->engine->create(op, NULL, 48000, TANDEM_CODEC_ENCODE, &g.og.enc), 0);
	ck_assert_int_eq(call_offer(&c, pcmu, "111", "a=rtpmap:111 opus/48000/2\r\n"
				    "a=fmtp:111 usedtx=1\r\n"), 0);
	call_answer(&c, "0", "");
	run(&c, gen_opus_dtx, &g, &at_b);
	/* Noise at the level of the room noise before the DTX (-55 dBov sent
	 * wideband, about -66 once decoded at 8 kHz): quiet, but there. */
	check_stream(&at_b, false, -74, -58, "Opus DTX");
	op->engine->destroy(g.og.enc);
	call_end(&c);
}
END_TEST

START_TEST(cn_level)
{
	const uint8_t cn[] = { 0x80 | 52, 1, 2, 3 };
	int16_t pcm[160];

	ck_assert_int_eq(cng_level_of(cn, 0), -1);
	ck_assert_int_eq(cng_level_of(cn, 1), 52);
	ck_assert_int_eq(cng_level_of(cn, sizeof cn), 52);
	memset(pcm, 0, sizeof pcm);
	ck_assert_int_eq(cng_level_pcm(pcm, 160, 1), 127);
	for (int i = 0; i < 160; i++)
		pcm[i] = (int16_t)(i % 2 ? 328 : -328);            /* -40 dBov */
	ck_assert_int_eq(cng_level_pcm(pcm, 160, 1), 40);
	ck_assert_int_eq(cng_level_pcm(pcm, 160, 8), 40);
	/* The generator: at the level asked for, clamped. */
	struct cng g;
	static int16_t out[8000];
	ck_assert_int_eq(cng_init(&g), 0);
	for (int lvl = 20; lvl <= 100; lvl += 20) {
		cng_start(&g, lvl);
		cng_fill(&g, out, 8000);
		int want = lvl < CNG_MIN_DBOV ? CNG_MIN_DBOV : lvl > CNG_MAX_DBOV ? CNG_MAX_DBOV : lvl;
		int got = cng_level_pcm(out, 8000, 1);
		ck_assert_msg(abs(got - want) <= 2 || (want >= 80 && got >= 78), "level %d: got %d",
			      lvl, got);
	}
	cng_free(&g);
}
END_TEST

TCase *tt_cn_tcase(void)
{
	TCase *tc = tcase_create("cn");
	tcase_set_tags(tc, "stream");   /* run as media/stream (tests/TESTS) */
	tcase_add_checked_fixture(tc, tt_setup, tt_teardown);
	tcase_add_test(tc, cn_level);
	tcase_add_test(tc, cn_continuous);
	tcase_add_test(tc, opus_dtx_continuous);
	tcase_set_timeout(tc, 30);
	return tc;
}
