/* transcode.c - see transcode.h. */
#include "config.h"
#include "media/transcode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/cng.h"
#include "media/dtmf_iw.h"
#include "media/jitter.h"
#include "media/transcode_rs.h"

/* Decoded PCM before it is mixed down: the worker runs one callback at a time,
 * so one scratch per thread serves every session instead of 23 kB each. */
static _Thread_local int16_t t_pcm[TANDEM_CODEC_MAX_SAMPLES * 2];
/* An encoder that wants stereo gets the mono frame doubled here. */
static _Thread_local int16_t t_stereo[48000 / 50 * 2];

struct xdir {
	const struct tandem_codec_engine *de, *ee;
	struct tandem_codec_state *ds, *es;
	uint32_t in_clock;              /* RTP clock of the decoded codec */
	uint32_t dec_rate, enc_rate;    /* PCM rates of the engines */
	unsigned dec_ch, enc_ch;
	uint32_t frame;                 /* samples per period at enc_rate */
	uint32_t ts_step;               /* outgoing clock ticks per period */
	uint32_t conceal_step;          /* decoder samples per 2.5 ms */
	uint32_t dec_max;               /* most decoder samples per packet (XCODE_MAX_PKT_MS) */
	bool resample;
	bool dtx_skip;                  /* Opus: 1-2 byte frames are DTX */
	bool dtx_in;                    /* the decoded codec is Opus: DTX comes in */
	struct cng cng;                 /* comfort noise while the source is quiet */
	uint32_t cn_ts;                 /* timestamp of the CN packet that started it */
	int last_level;                 /* Opus in: -dBov of the last audio decoded */
	struct xrs rs;
	int16_t *fifo;                  /* mono PCM at enc_rate */
	size_t flen, fcap;
	unsigned underrun_run;
	/* DTMF interworking: tones out, digits in (detected at 8 kHz, on the
	 * decoded PCM when det_dec, else on the FIFO's). */
	bool gen_on, det_on, det_dec;
	size_t hold;                    /* samples held back for detection */
	struct dtmf_gen gen;
	struct dtmf_det det;
	struct xcode_stats st;
	struct jbuf jb;
};

struct xcode {
	struct xdir d[2];
};

static void dir_free(struct xdir *d)
{
	if (d->ds)
		d->de->destroy(d->ds);
	if (d->es)
		d->ee->destroy(d->es);
	d->ds = d->es = NULL;
	xrs_free(&d->rs);
	dtmf_det_free(&d->det);
	cng_free(&d->cng);
	free(d->fifo);
	d->fifo = NULL;
}

void xcode_free(struct xcode *x)
{
	if (!x)
		return;
	for (int i = 0; i < 2; i++)
		dir_free(&x->d[i]);
	free(x);
}

/* Decoder samples in the longest packet decoded (XCODE_MAX_PKT_MS). */
static uint32_t max_pkt_samples(uint32_t rate)
{
	uint32_t n = rate / 1000 * XCODE_MAX_PKT_MS;
	return n < TANDEM_CODEC_MAX_SAMPLES ? n : TANDEM_CODEC_MAX_SAMPLES;
}

/* Both engines at one rate if either accepts the other's native rate;
 * otherwise each at its own and a resampler between. */
static int make_engines(struct xdir *d, const struct xcode_dir_cfg *c)
{
	uint32_t dr = c->dec->sample_rate, er = c->enc->sample_rate;
	int rc;

	if (dr != er && c->dec->engine->create(c->dec, c->dec_fmtp, er, TANDEM_CODEC_DECODE, &d->ds) == 0)
		dr = er;
	else if (dr != er &&
		 c->enc->engine->create(c->enc, c->enc_fmtp, dr, TANDEM_CODEC_ENCODE, &d->es) == 0)
		er = dr;
	if (!d->ds && (rc = c->dec->engine->create(c->dec, c->dec_fmtp, dr, TANDEM_CODEC_DECODE, &d->ds)) < 0)
		return rc;
	if (!d->es && (rc = c->enc->engine->create(c->enc, c->enc_fmtp, er, TANDEM_CODEC_ENCODE, &d->es)) < 0)
		return rc;
	d->dec_rate = dr;
	d->enc_rate = er;
	d->resample = dr != er;
	return d->resample ? xrs_init(&d->rs, dr, er, max_pkt_samples(dr)) : 0;
}

static bool usable(const struct tandem_codec *c)
{
	return c && c->engine && c->engine->create && c->engine->encode && c->engine->decode &&
	       c->engine->destroy && c->sample_rate >= 8000 && c->sample_rate <= 48000 &&
	       c->clock_rate && tandem_codec_pcm_channels(c) >= 1 && tandem_codec_pcm_channels(c) <= 2;
}

static int dir_new(struct xdir *d, const struct xcode_dir_cfg *c, char *why, size_t whylen)
{
	if (!usable(c->dec) || !usable(c->enc)) {
		snprintf(why, whylen, "no engine for %s", !usable(c->dec) ? (c->dec ? c->dec->name : "?")
			 : c->enc->name);
		return -ENOTSUP;
	}
	d->de = c->dec->engine;
	d->ee = c->enc->engine;
	int rc = make_engines(d, c);
	if (rc < 0) {
		snprintf(why, whylen, "%s -> %s: engine refused (%s)", c->dec->name, c->enc->name,
			 rc == -ENOMEM ? "out of memory" : "bad parameters");
		return rc == -ENOMEM ? rc : -ENOTSUP;
	}
	d->in_clock = c->dec->clock_rate;
	d->dec_ch = tandem_codec_pcm_channels(c->dec);
	d->enc_ch = tandem_codec_pcm_channels(c->enc);
	d->frame = d->enc_rate / (1000 / XCODE_PERIOD_MS);
	d->ts_step = c->enc->clock_rate / (1000 / XCODE_PERIOD_MS);
	d->conceal_step = d->dec_rate / 400 ? d->dec_rate / 400 : 1;
	d->dtx_skip = strcasecmp(c->enc->name, "opus") == 0;
	d->dtx_in = strcasecmp(c->dec->name, "opus") == 0;
	d->last_level = CNG_MAX_DBOV;
	if (cng_init(&d->cng) < 0)
		return -ENOMEM;
	/* A period, the longest packet a decoder may return, and slack for
	 * concealment rounding. */
	d->dec_max = max_pkt_samples(d->dec_rate);      /* not the ABI's 5,760 (XCODE_MAX_PKT_MS) */
	d->fcap = 2 * d->frame + (size_t)d->dec_max * d->enc_rate / d->dec_rate + 64 +
		  (size_t)d->enc_rate * DTMF_DET_DELAY_MS / 1000;
	d->fifo = calloc(d->fcap, sizeof *d->fifo);
	if (!d->fifo)
		return -ENOMEM;
	d->st.pcm_rate = d->enc_rate;
	d->st.resampling = d->resample;
	jb_init(&d->jb, d->in_clock, XCODE_PERIOD_MS);
	d->gen_on = c->dtmf_tones;
	dtmf_gen_init(&d->gen, d->enc_rate);
	if (c->dtmf_detect && (d->dec_rate == 8000 || d->enc_rate == 8000)) {
		if (dtmf_det_init(&d->det) < 0)
			return -ENOMEM;
		d->det_on = true;
		d->det_dec = d->dec_rate == 8000;
		d->hold = (size_t)d->enc_rate * DTMF_DET_DELAY_MS / 1000;
	}
	return 0;
}

int xcode_new(const struct xcode_cfg *cfg, struct xcode **out, char *why, size_t whylen)
{
	struct xcode *x = calloc(1, sizeof *x);
	int rc = 0;

	*out = NULL;
	if (whylen)
		why[0] = '\0';
	if (!x)
		return -ENOMEM;
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = dir_new(&x->d[i], &cfg->dir[i], why, whylen);
	if (rc) {
		xcode_free(x);
		return rc;
	}
	*out = x;
	return 0;
}

void xcode_put(struct xcode *x, int from, uint32_t ssrc, uint16_t seq, uint32_t ts,
	       const uint8_t *payload, size_t len, uint64_t now_us)
{
	struct xdir *d = &x->d[from];

	if (d->dtx_in && len <= 2) {
		/* Opus DTX: the source went quiet. Kept out of the jitter buffer:
		 * a lone DTX packet every 400 ms would start the player late and
		 * have it conceal the whole silence after the fact. */
		d->st.dtx_in++;
		cng_start(&d->cng, d->last_level);
		d->cn_ts = ts;
		return;
	}
	jb_put(&d->jb, ssrc, seq, ts, payload, len, now_us);
}

/* Decoded (or concealed) PCM into the FIFO: mono, at the encoder's rate. */
static void push_pcm(struct xdir *d, int16_t *pcm, size_t n)
{
	if (d->dec_ch == 2) {
		for (size_t i = 0; i < n; i++)
			pcm[i] = (int16_t)(((int)pcm[2 * i] + pcm[2 * i + 1]) / 2);
	}
	size_t room = d->fcap - d->flen, at = d->flen;
	bool digit = d->det_on && d->det_dec && dtmf_det_feed(&d->det, pcm, n);
	if (d->resample) {
		d->flen += xrs_process(&d->rs, pcm, n, d->fifo + d->flen, room);
	} else {
		if (n > room)
			n = room;
		memcpy(d->fifo + d->flen, pcm, n * sizeof *pcm);
		d->flen += n;
	}
	if (d->det_on && !d->det_dec)
		digit = dtmf_det_feed(&d->det, d->fifo + at, d->flen - at);
	if (digit)      /* the digit goes out as an event: none of its tone */
		memset(d->fifo, 0, d->flen * sizeof *d->fifo);
}

/* Conceal about 'samples' decoder samples (rounded up to 2.5 ms, which Opus
 * needs), from the FEC of 'next' when the codec has it. */
static size_t conceal(struct xdir *d, size_t samples, const struct jb_pkt *next)
{
	size_t step = d->conceal_step;
	size_t n = (samples + step - 1) / step * step;
	size_t max = d->dec_max / step * step;
	int r = -1;

	if (n == 0)
		n = step;
	if (n > max)
		n = max;
	if (next && TANDEM_ENGINE_HAS(d->de, decode_fec)) {
		r = d->de->decode_fec(d->ds, next->data, next->len, t_pcm, n);
		if (r == (int)n)
			d->st.fec++;
	}
	if (r != (int)n && d->de->plc)
		r = d->de->plc(d->ds, t_pcm, n);
	if (r != (int)n)
		memset(t_pcm, 0, n * d->dec_ch * sizeof *t_pcm);
	d->st.concealed++;
	push_pcm(d, t_pcm, n);
	return n;
}

static size_t ticks_to_samples(const struct xdir *d, uint32_t ticks)
{
	return (size_t)((uint64_t)ticks * d->dec_rate / d->in_clock);
}

/* Decoder samples that yield the 'need' samples the FIFO lacks. */
static size_t need_dec(const struct xdir *d)
{
	size_t need = d->frame > d->flen ? d->frame - d->flen : 0;
	return (size_t)(((uint64_t)need * d->dec_rate + d->enc_rate - 1) / d->enc_rate);
}

/* Fill the FIFO to one period. false: nothing to send this period (an
 * underrun; after JB_MAX_UNDERRUN in a row the player stops). */
static bool fill(struct xdir *d)
{
	while (d->flen < d->frame + d->hold) {
		const struct jb_pkt *p;
		uint32_t ticks;
		int n;

		switch (jb_pop(&d->jb, &p, &ticks)) {
		case JB_PACKET:
			d->underrun_run = 0;
			n = d->de->decode(d->ds, p->data, p->len, t_pcm, d->dec_max);
			if (n > 0) {
				d->st.decoded++;
				/* Opus DTX: the source went quiet; its noise level is
				 * what the decoder made of the DTX frame. */
				if (d->dtx_in)  /* every 8th sample: ~1/8 us a frame */
					d->last_level = cng_level_pcm(t_pcm, (size_t)n * d->dec_ch, 8);
				if ((int32_t)(p->ts - d->cn_ts) >= 0)
					cng_stop(&d->cng);  /* not audio buffered before the CN/DTX */
				jb_duration(&d->jb, (uint32_t)((uint64_t)n * d->in_clock / d->dec_rate));
				push_pcm(d, t_pcm, (size_t)n);
			} else {
				d->st.decode_errors++;
				conceal(d, ticks_to_samples(d, d->jb.pkt_ticks), NULL);
			}
			break;
		case JB_LOST:
			conceal(d, ticks_to_samples(d, ticks), jb_peek(&d->jb));
			break;
		case JB_GAP: {
			size_t want = ticks_to_samples(d, ticks), need = need_dec(d);
			size_t step = d->conceal_step;
			size_t n2 = conceal(d, want < need ? want : (need + step - 1) / step * step, NULL);
			jb_skip(&d->jb, (uint32_t)((uint64_t)n2 * d->in_clock / d->dec_rate));
			break;
		}
		case JB_EMPTY:
		default:
			/* Nothing buffered: the next packet is late (or the
			 * talkspurt is over). Send nothing this period, the
			 * receiver's own concealment covers 20 ms, and a late
			 * packet is still played next period. */
			if (++d->underrun_run > JB_MAX_UNDERRUN) {
				jb_stop(&d->jb);
				d->flen = 0;
			}
			return false;
		}
	}
	return true;
}

int xcode_period(struct xcode *x, int from, uint8_t *out, size_t cap)
{
	struct xdir *d = &x->d[from];

	bool audio = jb_period(&d->jb) && fill(d);
	if (!audio && d->cng.active) {
		/* Comfort noise (CN or DTX): a packet every period all the same. */
		cng_fill(&d->cng, d->fifo + d->flen, d->frame - d->flen);
		d->flen = d->frame;
		audio = true;
	}
	if (!audio && !(d->gen_on && dtmf_gen_busy(&d->gen)))
		return 0;
	if (!audio && d->flen < d->frame) {     /* a tone to play over nothing */
		memset(d->fifo + d->flen, 0, (d->frame - d->flen) * sizeof *d->fifo);
		d->flen = d->frame;
	}
	if (d->gen_on)
		dtmf_gen_frame(&d->gen, d->fifo, d->frame);
	const int16_t *pcm = d->fifo;
	if (d->enc_ch == 2) {
		for (size_t i = 0; i < d->frame; i++)
			t_stereo[2 * i] = t_stereo[2 * i + 1] = d->fifo[i];
		pcm = t_stereo;
	}
	int n = d->ee->encode(d->es, pcm, d->frame, out, cap);
	d->flen -= d->frame;
	memmove(d->fifo, d->fifo + d->frame, d->flen * sizeof *d->fifo);
	if (n <= 0) {
		d->st.encode_errors++;
		return 0;
	}
	if (d->dtx_skip && n <= 2) {
		d->st.dtx++;
		return 0;
	}
	d->st.frames_out++;
	return n;
}

uint32_t xcode_ts_step(const struct xcode *x, int from)
{
	return x->d[from].ts_step;
}

bool xcode_playing(const struct xcode *x, int from)
{
	return x->d[from].jb.playing;
}

void xcode_dtmf_in(struct xcode *x, int from, const uint8_t *payload, size_t len, uint32_t ts,
		   uint32_t clock)
{
	struct xdir *d = &x->d[from];
	if (d->gen_on)
		dtmf_gen_event(&d->gen, payload, len, ts, clock);
}

bool xcode_dtmf_out(struct xcode *x, int from, struct dtmf_det_ev *ev)
{
	struct xdir *d = &x->d[from];
	return d->det_on && dtmf_det_period(&d->det, ev);
}

void xcode_cn_in(struct xcode *x, int from, const uint8_t *payload, size_t len, uint32_t ts)
{
	struct xdir *d = &x->d[from];
	int level = cng_level_of(payload, len);
	if (level >= 0) {
		cng_start(&d->cng, level);
		d->cn_ts = ts;
	}
}

void xcode_stats(const struct xcode *x, int from, struct xcode_stats *out)
{
	const struct xdir *d = &x->d[from];
	*out = d->st;
	out->cng = d->cng.periods;
	out->dtmf_played = d->gen.digits;
	out->dtmf_detected = dtmf_det_digits(&d->det);
}
