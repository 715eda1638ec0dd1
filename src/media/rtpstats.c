/* rtpstats.c - reception statistics and quality estimate (see rtpstats.h). */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "media/rtpstats.h"

#define SEQ_MOD 65536u

static uint64_t cur_expected(const struct rtpstats_rx *st)
{
	return st->started ? (uint64_t)rtpstats_ext_max(st) - st->base_seq + 1 : 0;
}

/* A new source, or a restart of this one: what was counted so far is kept
 * in the leg's totals. */
static void restart(struct rtpstats_rx *st, uint32_t ssrc, uint16_t seq)
{
	st->done_expected += cur_expected(st);
	st->done_received += st->received;
	st->started = true;
	st->have_transit = false;
	st->ssrc = ssrc;
	st->max_seq = seq;
	st->cycles = 0;
	st->base_seq = seq;
	st->bad_seq = SEQ_MOD + 1;      /* no candidate */
	st->received = 0;
	st->expected_prior = st->received_prior = 0;
	st->jitter16 = 0;
}

uint32_t rtpstats_ext_max(const struct rtpstats_rx *st)
{
	return st->cycles + st->max_seq;
}

void rtpstats_rx_put(struct rtpstats_rx *st, uint32_t ssrc, uint16_t seq, uint32_t ts,
		     uint8_t pt, uint32_t arrival, bool timed)
{
	if (!st->started || ssrc != st->ssrc) {
		restart(st, ssrc, seq);
	} else {
		uint16_t udelta = (uint16_t)(seq - st->max_seq);
		if (udelta < RTPSTATS_MAX_DROPOUT) {
			if (seq < st->max_seq)
				st->cycles += SEQ_MOD;
			st->max_seq = seq;
		} else if (udelta <= SEQ_MOD - RTPSTATS_MAX_MISORDER) {
			/* A big jump: a restart if the next packet follows it. */
			if (seq != st->bad_seq) {
				st->bad_seq = (uint16_t)(seq + 1);
				return;
			}
			restart(st, ssrc, seq);
		}
		/* else a duplicate or a late packet: counted, not a new max */
	}
	st->received++;
	if (!timed)
		return;
	/* RFC 3550 A.8, in integers: J += (|D| - J) / 16, kept x 16. */
	uint32_t transit = arrival - ts;
	if (st->have_transit && pt == st->jpt) {
		int32_t d = (int32_t)(transit - st->transit);
		if (d < 0)
			d = -d;
		st->jitter16 += (uint32_t)d - ((st->jitter16 + 8) >> 4);
	}
	st->transit = transit;
	st->jpt = pt;
	st->have_transit = true;
}

void rtpstats_rx_totals(const struct rtpstats_rx *st, uint64_t *expected, uint64_t *lost)
{
	uint64_t e = st->done_expected + cur_expected(st);
	uint64_t r = st->done_received + st->received;
	*expected = e;
	*lost = e > r ? e - r : 0;
}

bool rtpstats_rx_block(struct rtpstats_rx *st, struct rtcp_rb *rb)
{
	if (!st->started)
		return false;
	uint32_t expected = (uint32_t)cur_expected(st);
	int64_t lost = (int64_t)expected - st->received;
	uint32_t exp_int = expected - st->expected_prior;
	uint32_t rec_int = st->received - st->received_prior;
	int64_t lost_int = (int64_t)exp_int - rec_int;

	st->expected_prior = expected;
	st->received_prior = st->received;
	memset(rb, 0, sizeof *rb);
	rb->ssrc = st->ssrc;
	rb->fraction = exp_int == 0 || lost_int <= 0 ? 0 : (uint8_t)((lost_int << 8) / exp_int);
	rb->lost = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : (int32_t)lost;
	rb->ext_seq = rtpstats_ext_max(st);
	rb->jitter = rtpstats_jitter(st);
	return true;
}

/* --- quality estimate ------------------------------------------------------ */

static const struct {
	const char *name;
	struct rtpstats_codec_q q;
} codec_q[] = {
	/* G.113 App. I: G.711 with concealment Bpl 25.1; G.729A(+VAD) Ie 11,
	 * Bpl 19; G.722 and Opus have no narrowband Ie: taken as G.711
	 * (they are at least as good), Opus with its own PLC/FEC. */
	{ "PCMU", { 0, 25.1 } }, { "PCMA", { 0, 25.1 } },
	{ "G722", { 0, 25.1 } }, { "opus", { 0, 25.1 } },
	{ "G729", { 11, 19 } }, { "iLBC", { 11, 32 } }, { "GSM", { 20, 43 } },
};

struct rtpstats_codec_q rtpstats_codec_quality(const char *codec)
{
	size_t n = 0;
	if (codec)
		while (codec[n] && codec[n] != '/')
			n++;
	for (size_t i = 0; i < sizeof codec_q / sizeof codec_q[0]; i++)
		if (n == strlen(codec_q[i].name) && strncasecmp(codec, codec_q[i].name, n) == 0)
			return codec_q[i].q;
	return (struct rtpstats_codec_q){ 0, 4.3 };
}

double rtpstats_r_factor(double loss_pct, double delay_ms, const struct rtpstats_codec_q *q)
{
	if (loss_pct < 0)
		loss_pct = 0;
	if (delay_ms < 0)
		delay_ms = 0;
	double ie_eff = q->ie + (95 - q->ie) * loss_pct / (loss_pct + q->bpl);
	double id = 0.024 * delay_ms;
	if (delay_ms > 177.3)
		id += 0.11 * (delay_ms - 177.3);
	return 93.2 - id - ie_eff;
}

double rtpstats_mos(double r)
{
	if (r <= 0)
		return 1.0;
	if (r >= 100)
		return 4.5;
	/* The polynomial dips just under 1 for R below ~6.5: clamp. */
	double mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
	return mos < 1 ? 1 : mos;
}

double rtpstats_delay_ms(double rtt_ms, double jitter_ms)
{
	return (rtt_ms > 0 ? rtt_ms / 2 : 0) + 20 + 2 * jitter_ms;
}
