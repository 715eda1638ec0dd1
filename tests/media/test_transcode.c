/* test_transcode.c - transcoding through the media API with real UDP on
 * 127.0.0.1: a 1 kHz tone sent as PCMU arrives as PCMA (and as Opus) at the
 * right frequency and level, both ways, packets counted; Opus timestamps
 * advance 960 per 20 ms; pass-through leaves payloads untouched; payload
 * types are mapped per leg; telephone-events are rescaled between 8000 and
 * 48000 Hz and never sent to a leg that did not accept them; no module ->
 * -ENOTSUP; the transcoding cap -> -EBUSY. Units (jitter buffer, resampler,
 * engine, negotiation) are in test_transcode_units.c / _neg.c. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

#include "media/media.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "mtest.h"
#include "test_transcode.h"

#define PMIN 55000
#define PMAX 55999
#define NPK 100                     /* 2 s of 20 ms packets each way */

tmodules_t *g_mods;
bool g_have_opus, g_have_g722;

static struct mt_conf g_conf;
static struct mt_owner g_owner;
bool g_b_dtmf_info;

struct mt_owner *tt_owner(void)
{
	return &g_owner;
}
static media_core_t *g_mc;

#if defined(__SANITIZE_ADDRESS__)
/* See tests/media/spandsp.supp: a known overlap inside spandsp's PLC. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "suppressions=" TEST_SRCDIR "/tests/media/spandsp.supp";
}
#endif

/* ---- shared helpers (test_transcode.h) ---- */

const struct tandem_codec *tt_codec(const char *name, unsigned rate, unsigned ch)
{
	const struct tandem_codec *c = tmodules_find_codec(g_mods, name, rate, ch);
	ck_assert_msg(c != NULL, "codec %s/%u/%u not loaded", name, rate, ch);
	return c;
}

static double goertzel(const double *x, int n, double fs, double f)
{
	double w = 2.0 * M_PI * f / fs, c = 2.0 * cos(w), s1 = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

double tt_peak_freq(const double *x, int n, double fs, double lo, double hi)
{
	double best_f = 0, best_p = -1;
	for (double f = lo; f <= hi; f += 0.5) {
		double p = goertzel(x, n, fs, f);
		if (p > best_p) {
			best_p = p;
			best_f = f;
		}
	}
	return best_f;
}

double tt_level_dbfs(const double *x, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += x[i] * x[i];
	return 20 * log10(sqrt(sum / (n ? n : 1)) * sqrt(2.0) / 32767.0);
}

void tt_tone(int16_t *out, size_t n, size_t off, double fs, double hz, double dbfs)
{
	double a = 32767.0 * pow(10, dbfs / 20);
	for (size_t i = 0; i < n; i++)
		out[i] = (int16_t)lrint(a * sin(2 * M_PI * hz * (double)(off + i) / fs));
}

/* ---- fixture ---- */

/* Loaded in each test's own process (a checked fixture): a module dlopen()ed
 * before Check forks confuses LeakSanitizer in the children (it loses track
 * of the forked main thread when sofia-sip is linked, and reports Check's
 * own allocations). */
void tt_mods_load(void)
{
	const char *env = getenv("builddir");
	char dir[PATH_MAX], err[512];
	static const char *const all[] = { "mod_g711", "mod_opus", "mod_g722", NULL };
	static const char *const g711[] = { "mod_g711", NULL };

	snprintf(dir, sizeof dir, "%s/modules", env && *env ? env : ".");
	if (tmodules_load(dir, all, &g_mods, err, sizeof err) == 0) {
		g_have_opus = g_have_g722 = true;
		return;
	}
	fprintf(stderr, "test_transcode: %s; testing with mod_g711 only\n", err);
	ck_assert_msg(tmodules_load(dir, g711, &g_mods, err, sizeof err) == 0, "%s", err);
}

void tt_mods_free(void)
{
	tmodules_free(g_mods);
	g_mods = NULL;
}

void tt_setup(void)
{
	tt_mods_load();
	mt_conf_init(&g_conf, PMIN, PMAX);
	mt_owner_init(&g_owner);
	ck_assert_int_eq(media_core_new(&g_conf.conf, 2, &g_mc), 0);
	media_core_set_codecs(g_mc, g_mods);
}

void tt_teardown(void)
{
	media_core_free(g_mc);
	g_mc = NULL;
	mt_owner_fini(&g_owner);
	tt_mods_free();
}

/* ---- a call between two phones ---- */


static const char *sdp_at(uint16_t port, const char *fmts, const char *attrs)
{
	static char buf[2][2048];
	static int turn;
	char *b = buf[turn++ % 2];
	snprintf(b, sizeof buf[0],
		 "v=0\r\no=- 99 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP %s\r\n%s%sa=sendrecv\r\n", (unsigned)port, fmts, attrs,
		 strstr(attrs, "a=ptime:") ? "" : "a=ptime:20\r\n");
	return b;
}

#define TE8 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"

/* A offers; B's preference 'bprefs'. Returns the offer's rc; on success
 * c->offer_b holds what B got. */
int call_offer(struct tcall *c, const char *const *bprefs, const char *afmts, const char *aattrs)
{
	struct media_session_opts o;
	struct media_sdp out;

	memset(c, 0, sizeof *c);
	mt_opts(&o, &g_conf, &g_owner);
	o.leg[1].codecs = bprefs;
	o.leg[1].dtmf_info = g_b_dtmf_info;
	mt_phone_open(&c->a);
	mt_phone_open(&c->b);
	ck_assert_int_eq(media_session_new(g_mc, &o, &c->s), 0);
	const char *sa = sdp_at(c->a.port, afmts, aattrs);
	int rc = media_session_offer(c->s, MEDIA_LEG_A, sa, strlen(sa), &out);
	if (rc)
		return rc;
	ck_assert(out.is_offer);
	ck_assert_int_eq(msdp_parse(out.sdp, out.len, &c->offer_b, NULL, 0), 0);
	c->gb = c->offer_b.streams[0].port;
	media_sdp_clear(&out);
	return 0;
}

void call_answer(struct tcall *c, const char *bfmts, const char *battrs)
{
	struct media_sdp out;
	const char *sb = sdp_at(c->b.port, bfmts, battrs);

	ck_assert_int_eq(media_session_answer(c->s, MEDIA_LEG_B, sb, strlen(sb), &out), 0);
	ck_assert_ptr_nonnull(out.sdp);
	ck_assert(!out.is_offer);
	snprintf(c->answer_a_txt, sizeof c->answer_a_txt, "%s", out.sdp);
	ck_assert_int_eq(msdp_parse(out.sdp, out.len, &c->answer_a, NULL, 0), 0);
	c->ga = c->answer_a.streams[0].port;
	media_sdp_clear(&out);
}

void call_end(struct tcall *c)
{
	media_session_destroy(c->s);
	msdp_clear(&c->offer_b);
	msdp_clear(&c->answer_a);
	mt_phone_close(&c->a);
	mt_phone_close(&c->b);
}

const struct msdp_codec *offered(const struct msdp *m, const char *name, uint32_t rate)
{
	return msdp_codec_by_name(&m->streams[0], name, rate);
}


static void take(int fd, uint16_t want_from, struct rx *rx, int wait_ms)
{
	uint8_t buf[1500];
	uint16_t from;
	int r;

	while ((r = mt_recv(fd, buf, sizeof buf, wait_ms, &from)) > 0) {
		wait_ms = 0;
		if (from != want_from || rx->n >= MAXRX)
			continue;
		memcpy(rx->pk[rx->n].buf, buf, (size_t)r);
		rx->pk[rx->n].len = r;
		ck_assert_int_eq(rtp_parse(rx->pk[rx->n].buf, (size_t)r, &rx->pk[rx->n].h), 0);
		rx->n++;
	}
}

/* Both phones send npk packets at 20 ms; everything that arrives is kept. */
void exchange(struct tcall *c, int npk, gen_fn ga, void *ca, gen_fn gb, void *cb,
		     struct rx *at_a, struct rx *at_b)
{
	uint64_t t0 = mt_now_ms();

	at_a->n = at_b->n = 0;
	for (int k = 0; k < npk; k++) {
		uint8_t pl[1500], pt;
		uint32_t ts;
		size_t n;
		if (ga && (n = ga(ca, k, pl, &pt, &ts)))
			mt_send_rtp(c->a.rtp, c->ga, pt, (uint16_t)(1000 + k), ts, 0xa11ce, pl, n);
		if (gb && (n = gb(cb, k, pl, &pt, &ts)))
			mt_send_rtp(c->b.rtp, c->gb, pt, (uint16_t)(7000 + k), ts, 0xb0b, pl, n);
		uint64_t next = t0 + 20u * (unsigned)(k + 1);
		while (mt_now_ms() < next) {
			take(c->b.rtp, c->gb, at_b, 1);
			take(c->a.rtp, c->ga, at_a, 0);
		}
		tq_drain(g_owner.q);
	}
	for (uint64_t end = mt_now_ms() + 300; mt_now_ms() < end;) {
		take(c->b.rtp, c->gb, at_b, 5);
		take(c->a.rtp, c->ga, at_a, 0);
	}
}

/* ---- generators ---- */


size_t gen_g711(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	struct g711_gen *g = ctx;
	int16_t pcm[160];
	tt_tone(pcm, 160, 160u * (unsigned)k, 8000, g->hz, -10);
	for (int i = 0; i < 160; i++)
		pl[i] = g->alaw ? linear_to_alaw(pcm[i]) : linear_to_ulaw(pcm[i]);
	*pt = g->pt;
	*ts = 160u * (unsigned)k;
	return 160;
}


size_t gen_opus(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	struct opus_gen *g = ctx;
	const struct tandem_codec *op = tt_codec("opus", 48000, 2);
	int16_t pcm[960];
	tt_tone(pcm, 960, 960u * (unsigned)k, 48000, g->hz, -10);
	int n = op->engine->encode(g->enc, pcm, 960, pl, 1500);
	ck_assert_int_gt(n, 2);
	*pt = g->pt;
	*ts = 960u * (unsigned)k;
	return (size_t)n;
}

/* G.711 payloads of one PT as samples (after the first 'skip' packets). */
int g711_samples(const struct rx *rx, uint8_t pt, bool alaw, int skip, double *x, int max)
{
	int n = 0;
	for (int i = skip; i < rx->n; i++) {
		const struct rtp_hdr *h = &rx->pk[i].h;
		ck_assert_uint_eq(h->pt, pt);
		for (size_t k = 0; k < h->payload_len && n < max; k++) {
			uint8_t c = rx->pk[i].buf[h->hdr_len + k];
			x[n++] = alaw ? alaw_to_linear(c) : ulaw_to_linear(c);
		}
	}
	return n;
}

static bool within5(int got, int sent)
{
	return abs(got - sent) <= sent / 20;
}

/* ---- tests ---- */

/* PCMU caller, PCMA-only trunk: the tone crosses both ways at 1 kHz and at
 * its level; counts within 5 %. */
START_TEST(pcmu_pcma_tone)
{
	static const char *const pcma[] = { "PCMA", NULL };
	struct tcall c;
	static struct rx at_a, at_b;
	static double x[NPK * 160];

	ck_assert_int_eq(call_offer(&c, pcma, "0 101", TE8), 0);
	ck_assert_ptr_null(offered(&c.offer_b, "PCMU", 0));
	ck_assert_uint_eq(offered(&c.offer_b, "PCMA", 8000)->pt, 8);
	ck_assert_uint_eq(offered(&c.offer_b, "telephone-event", 8000)->pt, 101);
	call_answer(&c, "8 101", TE8);
	ck_assert_uint_eq(c.answer_a.streams[0].codecs[0].pt, 0);
	ck_assert_str_eq(c.answer_a.streams[0].codecs[0].name, "PCMU");

	struct g711_gen ga = { false, 0, 1000 }, gb = { true, 8, 700 };
	exchange(&c, NPK, gen_g711, &ga, gen_g711, &gb, &at_a, &at_b);
	ck_assert_msg(within5(at_b.n, NPK), "A->B: %d of %d", at_b.n, NPK);
	ck_assert_msg(within5(at_a.n, NPK), "B->A: %d of %d", at_a.n, NPK);
	for (int i = 1; i < at_b.n; i++) {
		ck_assert_uint_eq(at_b.pk[i].h.seq, (uint16_t)(at_b.pk[i - 1].h.seq + 1));
		ck_assert_uint_eq(at_b.pk[i].h.ssrc, at_b.pk[0].h.ssrc);
	}
	int n = g711_samples(&at_b, 8, true, 3, x, NPK * 160);
	double f = tt_peak_freq(x, n, 8000, 900, 1100), lvl = tt_level_dbfs(x, n);
	ck_assert_msg(fabs(f - 1000) <= 10, "at B: %.1f Hz", f);
	ck_assert_msg(fabs(lvl + 10) <= 0.5, "at B: %.2f dBFS", lvl);
	n = g711_samples(&at_a, 0, false, 3, x, NPK * 160);
	f = tt_peak_freq(x, n, 8000, 600, 800);
	lvl = tt_level_dbfs(x, n);
	ck_assert_msg(fabs(f - 700) <= 10, "at A: %.1f Hz", f);
	ck_assert_msg(fabs(lvl + 10) <= 0.5, "at A: %.2f dBFS", lvl);

	struct media_leg_stats st[2];
	media_session_stats(c.s, st);
	ck_assert_str_eq(st[0].codec, "PCMU/8000");
	ck_assert_str_eq(st[1].codec, "PCMA/8000");
	ck_assert(st[0].transcoded && st[1].transcoded);
	struct media_core_stats cs;
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.transcoding, 1);
	call_end(&c);
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.transcoding, 0);
}
END_TEST

/* PCMU caller, Opus-only trunk: opus/48000/2 with explicit fmtp and both
 * telephone-event clocks offered; the tone survives both ways; Opus
 * timestamps advance 960 per 20 ms packet. */
START_TEST(pcmu_opus_tone)
{
	if (!g_have_opus)
		return;
	static const char *const opus[] = { "opus", NULL };
	const struct tandem_codec *op = tt_codec("opus", 48000, 2);
	struct tcall c;
	static struct rx at_a, at_b;
	static double x[NPK * 960];
	char attrs[512], rtpmap[64];

	ck_assert_int_eq(call_offer(&c, opus, "0 101", TE8), 0);
	const struct msdp_codec *oc = offered(&c.offer_b, "opus", 48000);
	const struct msdp_codec *te48 = offered(&c.offer_b, "telephone-event", 48000);
	ck_assert_ptr_nonnull(oc);
	ck_assert_uint_eq(oc->channels, 2);
	ck_assert_ptr_nonnull(strstr(oc->fmtp, "stereo=0"));
	ck_assert_ptr_nonnull(offered(&c.offer_b, "telephone-event", 8000));
	ck_assert_ptr_nonnull(te48);
	ck_assert_ptr_null(offered(&c.offer_b, "PCMU", 0));
	uint8_t opt = oc->pt, tpt = te48->pt;
	snprintf(attrs, sizeof attrs, "a=rtpmap:%u opus/48000/2\r\na=fmtp:%u useinbandfec=1\r\n"
		 "a=rtpmap:%u telephone-event/48000\r\n", opt, opt, tpt);
	char fmts[32];
	snprintf(fmts, sizeof fmts, "%u %u", opt, tpt);
	call_answer(&c, fmts, attrs);
	ck_assert_str_eq(c.answer_a.streams[0].codecs[0].name, "PCMU");
	ck_assert_ptr_nonnull(msdp_codec_by_name(&c.answer_a.streams[0], "telephone-event", 8000));
	snprintf(rtpmap, sizeof rtpmap, "a=rtpmap:%u opus/48000/2", opt);

	struct opus_gen gb = { NULL, opt, 700 };
	ck_assert_int_eq(op->engine->create(op, NULL, 48000, TANDEM_CODEC_ENCODE, &gb.enc), 0);
	struct g711_gen ga = { false, 0, 1000 };
	exchange(&c, NPK, gen_g711, &ga, gen_opus, &gb, &at_a, &at_b);
	op->engine->destroy(gb.enc);
	ck_assert_msg(within5(at_b.n, NPK), "A->B: %d of %d", at_b.n, NPK);
	ck_assert_msg(within5(at_a.n, NPK), "B->A: %d of %d", at_a.n, NPK);

	/* At B: Opus, 960 ticks per 20 ms packet; decoded at 48 kHz: 1 kHz. */
	struct tandem_codec_state *dec;
	ck_assert_int_eq(op->engine->create(op, NULL, 48000, TANDEM_CODEC_DECODE, &dec), 0);
	int n = 0;
	for (int i = 0; i < at_b.n; i++) {
		const struct rtp_hdr *h = &at_b.pk[i].h;
		int16_t pcm[5760];
		ck_assert_uint_eq(h->pt, opt);
		if (i && h->seq == (uint16_t)(at_b.pk[i - 1].h.seq + 1) && !h->marker)
			ck_assert_uint_eq(h->ts - at_b.pk[i - 1].h.ts, 960);
		int got = op->engine->decode(dec, at_b.pk[i].buf + h->hdr_len, h->payload_len, pcm, 5760);
		ck_assert_int_eq(got, 960);
		for (int k = 0; i >= 5 && k < got && n < NPK * 960; k++)
			x[n++] = pcm[k];
	}
	op->engine->destroy(dec);
	double f = tt_peak_freq(x, n, 48000, 900, 1100), lvl = tt_level_dbfs(x, n);
	ck_assert_msg(fabs(f - 1000) <= 10, "at B: %.1f Hz", f);
	ck_assert_msg(fabs(lvl + 10) <= 2, "at B: %.2f dBFS", lvl);
	n = g711_samples(&at_a, 0, false, 5, x, NPK * 160);
	f = tt_peak_freq(x, n, 8000, 600, 800);
	lvl = tt_level_dbfs(x, n);
	ck_assert_msg(fabs(f - 700) <= 10, "at A: %.1f Hz", f);
	ck_assert_msg(fabs(lvl + 10) <= 2, "at A: %.2f dBFS", lvl);
	call_end(&c);
}
END_TEST

static size_t gen_bytes(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	uint8_t base = *(uint8_t *)ctx;
	for (int i = 0; i < 160; i++)
		pl[i] = (uint8_t)(base + k * 7 + i * 13);
	*pt = 0;
	*ts = 160u * (unsigned)k;
	return 160;
}

/* Codecs match: relayed untouched (payload, sequence, timestamp, SSRC). */
START_TEST(passthrough_untouched)
{
	struct tcall c;
	static struct rx at_a, at_b;
	uint8_t ba = 3, bb = 11;

	ck_assert_int_eq(call_offer(&c, NULL, "0 8 101", TE8), 0);
	ck_assert_uint_eq(c.offer_b.streams[0].ncodecs, 3);
	call_answer(&c, "0 101", TE8);
	exchange(&c, 50, gen_bytes, &ba, gen_bytes, &bb, &at_a, &at_b);
	ck_assert_int_ge(at_b.n, 48);
	ck_assert_int_ge(at_a.n, 48);
	for (int i = 0; i < at_b.n; i++) {
		const struct rtp_hdr *h = &at_b.pk[i].h;
		uint8_t want[160];
		uint32_t ts;
		uint8_t pt;
		int k = h->seq - 1000;
		ck_assert(k >= 0 && k < 50);
		gen_bytes(&ba, k, want, &pt, &ts);
		ck_assert_uint_eq(h->ts, ts);
		ck_assert_uint_eq(h->ssrc, 0xa11ce);
		ck_assert_uint_eq(h->pt, 0);
		ck_assert_int_eq(memcmp(at_b.pk[i].buf + h->hdr_len, want, 160), 0);
	}
	struct media_leg_stats st[2];
	media_session_stats(c.s, st);
	ck_assert(!st[0].transcoded);
	struct media_core_stats cs;
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.transcoding, 0);
	call_end(&c);
}
END_TEST

struct ev_gen {
	uint8_t pt;
	uint32_t rate;                  /* of the events' durations */
	uint8_t audio_pt;
	gen_fn audio;
	void *actx;
};

/* Audio, with one event (digit 5) on packets 20..29: durations of 20 ms
 * steps in the sender's clock, the last three flagged end. */
static size_t gen_with_event(void *ctx, int k, uint8_t *pl, uint8_t *pt, uint32_t *ts)
{
	struct ev_gen *g = ctx;
	if (k < 20 || k >= 30)
		return g->audio(g->actx, k, pl, pt, ts);
	uint32_t dur = (uint32_t)(k - 19) * g->rate / 50;
	if (k >= 27)
		dur = 7 * g->rate / 50;
	pl[0] = 5;
	pl[1] = (uint8_t)((k >= 27 ? 0x80 : 0) | 10);
	pl[2] = (uint8_t)(dur >> 8);
	pl[3] = (uint8_t)dur;
	*pt = g->pt;
	*ts = 20u * g->rate / 50;       /* the event's start, as the audio clock had it */
	return 4;
}

static int events_in(const struct rx *rx, uint8_t pt, uint32_t *durs, uint32_t *ts, uint32_t *ssrc)
{
	int n = 0;
	for (int i = 0; i < rx->n; i++) {
		const struct rtp_hdr *h = &rx->pk[i].h;
		if (h->pt != pt)
			continue;
		const uint8_t *p = rx->pk[i].buf + h->hdr_len;
		ck_assert_uint_eq(h->payload_len, 4);
		ck_assert_uint_eq(p[0], 5);
		durs[n++] = (uint32_t)(p[2] << 8 | p[3]);
		*ts = h->ts;
		*ssrc = h->ssrc;
	}
	return n;
}

/* G.711 + telephone-event/8000 caller, Opus + telephone-event/48000 trunk:
 * events cross with their payload type mapped, durations x6 (and back /6),
 * one start timestamp per event, inside the transcoded stream. */
START_TEST(events_rescaled)
{
	if (!g_have_opus)
		return;
	static const char *const opus[] = { "opus", NULL };
	const struct tandem_codec *op = tt_codec("opus", 48000, 2);
	struct tcall c;
	static struct rx at_a, at_b;
	char attrs[512], fmts[32];
	uint32_t durs[20], ts = 0, ssrc = 0;

	ck_assert_int_eq(call_offer(&c, opus, "0 101", TE8), 0);
	uint8_t opt = offered(&c.offer_b, "opus", 48000)->pt;
	uint8_t tpt = offered(&c.offer_b, "telephone-event", 48000)->pt;
	snprintf(attrs, sizeof attrs, "a=rtpmap:%u opus/48000/2\r\na=rtpmap:%u telephone-event/48000\r\n",
		 opt, tpt);
	snprintf(fmts, sizeof fmts, "%u %u", opt, tpt);
	call_answer(&c, fmts, attrs);

	struct g711_gen ga_audio = { false, 0, 1000 };
	struct opus_gen gb_audio = { NULL, opt, 700 };
	ck_assert_int_eq(op->engine->create(op, NULL, 48000, TANDEM_CODEC_ENCODE, &gb_audio.enc), 0);
	struct ev_gen ga = { 101, 8000, 0, gen_g711, &ga_audio };
	struct ev_gen gb = { tpt, 48000, opt, gen_opus, &gb_audio };
	exchange(&c, 60, gen_with_event, &ga, gen_with_event, &gb, &at_a, &at_b);
	op->engine->destroy(gb_audio.enc);

	int n = events_in(&at_b, tpt, durs, &ts, &ssrc);
	ck_assert_int_eq(n, 10);
	for (int i = 0; i < 7; i++)
		ck_assert_uint_eq(durs[i], (uint32_t)(i + 1) * 960);  /* 160 ticks @8k -> 960 @48k */
	ck_assert_uint_eq(durs[9], 7 * 960);
	uint32_t audio_ssrc = 0;
	for (int i = 0; i < at_b.n; i++) {
		if (at_b.pk[i].h.pt == opt)
			audio_ssrc = at_b.pk[i].h.ssrc;
		if (at_b.pk[i].h.pt == tpt)
			ck_assert_uint_eq(at_b.pk[i].h.ts, ts);            /* one start for all */
	}
	ck_assert_uint_eq(ssrc, audio_ssrc);                                /* same stream */
	n = events_in(&at_a, 101, durs, &ts, &ssrc);
	ck_assert_int_eq(n, 10);
	for (int i = 0; i < 7; i++)
		ck_assert_uint_eq(durs[i], (uint32_t)(i + 1) * 160);
	call_end(&c);
}
END_TEST

/* The trunk took no telephone-event: events the caller sends never reach
 * it as events. Pass-through PT mapping: a
 * sloppy answer with other numbers is mapped both ways. */
START_TEST(events_dropped_and_pt_mapped)
{
	struct tcall c;
	static struct rx at_a, at_b;
	uint32_t durs[20], ts, ssrc;

	ck_assert_int_eq(call_offer(&c, NULL, "0 101", TE8), 0);
	call_answer(&c, "0", "");
	/* A keeps its events: they are played in-band to B (test_transcode_dtmf.c). */
	ck_assert_ptr_nonnull(strstr(c.answer_a_txt, "telephone-event"));
	struct g711_gen audio = { false, 0, 1000 };
	struct ev_gen ga = { 101, 8000, 0, gen_g711, &audio };
	exchange(&c, 40, gen_with_event, &ga, NULL, NULL, &at_a, &at_b);
	ck_assert_int_eq(events_in(&at_b, 101, durs, &ts, &ssrc), 0);
	ck_assert_int_ge(at_b.n, 28);                       /* the audio passed */
	call_end(&c);

	/* A: opus 111 + events 101; B answers opus as 96, events as 100. */
	ck_assert_int_eq(call_offer(&c, NULL, "111 101", "a=rtpmap:111 opus/48000/2\r\n" TE8), 0);
	ck_assert_uint_eq(offered(&c.offer_b, "opus", 48000)->pt, 111);
	call_answer(&c, "96 100", "a=rtpmap:96 opus/48000/2\r\na=rtpmap:100 telephone-event/8000\r\n");
	uint8_t pl[40] = { 0xfc };
	uint8_t ev[4] = { 7, 0x0a, 0x01, 0x40 };
	uint8_t buf[1500];
	mt_send_rtp(c.a.rtp, c.ga, 111, 1, 960, 0xa, pl, sizeof pl);
	int r = mt_recv(c.b.rtp, buf, sizeof buf, 500, NULL);
	ck_assert_int_eq(r, 12 + (int)sizeof pl);
	ck_assert_uint_eq(buf[1] & 0x7f, 96);
	mt_send_rtp(c.b.rtp, c.gb, 96, 1, 960, 0xb, pl, sizeof pl);
	ck_assert_int_eq(mt_recv(c.a.rtp, buf, sizeof buf, 500, NULL), 12 + (int)sizeof pl);
	ck_assert_uint_eq(buf[1] & 0x7f, 111);
	mt_send_rtp(c.b.rtp, c.gb, 100, 2, 960, 0xb, ev, sizeof ev);
	ck_assert_int_eq(mt_recv(c.a.rtp, buf, sizeof buf, 500, NULL), 16);
	ck_assert_uint_eq(buf[1] & 0x7f, 101);
	ck_assert_uint_eq((unsigned)(buf[14] << 8 | buf[15]), 0x140);  /* same clock: unchanged */
	mt_send_rtp(c.a.rtp, c.ga, 0, 2, 960, 0xa, pl, sizeof pl);      /* never negotiated */
	ck_assert_int_lt(mt_recv(c.b.rtp, buf, sizeof buf, 200, NULL), 0);
	call_end(&c);
}
END_TEST

/* No module can transcode what is needed: -ENOTSUP. */
START_TEST(missing_module_enotsup)
{
	static const char *const pcma[] = { "PCMA", NULL };
	struct mt_conf conf;
	media_core_t *mc;
	media_session_t *s;
	struct media_session_opts o;
	struct media_sdp out;

	mt_conf_init(&conf, 56000, 56049);
	ck_assert_int_eq(media_core_new(&conf.conf, 1, &mc), 0);   /* no codecs set */
	mt_opts(&o, &conf, &g_owner);
	o.leg[1].codecs = pcma;
	ck_assert_int_eq(media_session_new(mc, &o, &s), 0);
	const char *sa = sdp_at(40000, "0 101", TE8);
	ck_assert_int_eq(media_session_offer(s, MEDIA_LEG_A, sa, strlen(sa), &out), -ENOTSUP);
	ck_assert_ptr_null(out.sdp);
	media_session_destroy(s);
	media_core_free(mc);
}
END_TEST

static int offer_only(media_core_t *mc, const char *const *bprefs, const char *afmts,
		      media_session_t **s)
{
	struct media_session_opts o;
	struct media_sdp out;

	mt_opts(&o, &g_conf, &g_owner);
	o.leg[1].codecs = bprefs;
	ck_assert_int_eq(media_session_new(mc, &o, s), 0);
	const char *sa = sdp_at(40000, afmts, TE8);
	int rc = media_session_offer(*s, MEDIA_LEG_A, sa, strlen(sa), &out);
	if (rc == 0) {
		ck_assert_ptr_null(strstr(out.sdp, "PCMU"));
		media_sdp_clear(&out);
	}
	return rc;
}

/* max_transcoded: past it, a call that needs transcoding gets -EBUSY; one
 * that can pass through still goes; the slot comes back with the session. */
START_TEST(cap_ebusy)
{
	static const char *const pcma[] = { "PCMA", NULL };
	media_session_t *s1, *s2, *s3;
	struct media_core_stats cs;

	media_core_set_max_transcoded(g_mc, 1);
	ck_assert_int_eq(offer_only(g_mc, pcma, "0 101", &s1), 0);
	ck_assert_int_eq(offer_only(g_mc, pcma, "0 101", &s2), -EBUSY);
	media_session_destroy(s2);
	ck_assert_int_eq(offer_only(g_mc, pcma, "0 8 101", &s3), 0);  /* PCMA passes */
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.transcoding, 1);
	ck_assert_uint_eq(cs.max_transcoded, 1);
	media_session_destroy(s3);
	/* The pending offer is rejected: the slot goes back. */
	media_session_offer_rejected(s1, MEDIA_LEG_B);
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.transcoding, 0);
	ck_assert_int_eq(offer_only(g_mc, pcma, "0 101", &s2), 0);
	media_session_destroy(s1);
	media_session_destroy(s2);
	media_core_stats(g_mc, &cs);
	ck_assert_uint_eq(cs.transcoding, 0);
	media_core_set_max_transcoded(g_mc, 0);             /* unlimited */
	ck_assert_int_eq(offer_only(g_mc, pcma, "0 101", &s1), 0);
	ck_assert_int_eq(offer_only(g_mc, pcma, "0 101", &s2), 0);
	media_session_destroy(s1);
	media_session_destroy(s2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("transcode");
	TCase *tc = tcase_create("media");
	tcase_add_checked_fixture(tc, tt_setup, tt_teardown);
	tcase_add_test(tc, pcmu_pcma_tone);
	tcase_add_test(tc, pcmu_opus_tone);
	tcase_add_test(tc, passthrough_untouched);
	tcase_add_test(tc, events_rescaled);
	tcase_add_test(tc, events_dropped_and_pt_mapped);
	tcase_add_test(tc, missing_module_enotsup);
	tcase_add_test(tc, cap_ebusy);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tt_dtmf_tcase());
	suite_add_tcase(s, tt_units_tcase());
	suite_add_tcase(s, tt_neg_tcase());
	suite_add_tcase(s, tt_ptime_tcase());
	suite_add_tcase(s, tt_ptime_api_tcase());
	suite_add_tcase(s, tt_cn_tcase());
	suite_add_tcase(s, tt_jb_tcase());
	suite_add_tcase(s, tt_dinfo_tcase());
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
