/* fuzz_rtcp.c - libFuzzer target for the RTCP report parser and the
 * reception statistics fed from the network.
 *
 * rtcp_parse() reads every compound a peer sends. Beyond "no crash", checks:
 * it accepts exactly what rtcp_validate() accepts, keeps at most
 * RTCP_MAX_RB blocks, and what it read survives rtcp_build() and a second
 * parse unchanged. The same bytes, read as (ssrc, seq, ts, arrival)
 * records, drive rtpstats: lost never exceeds expected, a report block's
 * extended sequence number is the one rtpstats says.
 */
/* fuzz-sources: src/media/rtp.c src/media/rtcp.c src/media/rtpstats.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/rtpstats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_report(const struct rtcp_report *a, const struct rtcp_report *b)
{
	if (a->sr != b->sr || a->ssrc != b->ssrc || a->nrb != b->nrb)
		abort();
	if (a->sr && (a->ntp != b->ntp || a->rtp_ts != b->rtp_ts || a->packets != b->packets ||
		      a->octets != b->octets))
		abort();
	for (unsigned i = 0; i < a->nrb; i++) {
		const struct rtcp_rb *x = &a->rb[i], *y = &b->rb[i];
		if (x->ssrc != y->ssrc || x->fraction != y->fraction || x->lost != y->lost ||
		    x->ext_seq != y->ext_seq || x->jitter != y->jitter || x->lsr != y->lsr ||
		    x->dlsr != y->dlsr)
			abort();
	}
}

static void check_parse(const uint8_t *data, size_t size)
{
	struct rtcp_report r, back;
	int rc = rtcp_parse(data, size, &r);
	if ((rc < 0) != (rtcp_validate(data, size) <= 0))
		abort();
	if (rc <= 0)
		return;
	if (r.nrb > RTCP_MAX_RB)
		abort();
	uint8_t buf[RTCP_MAX_OWN];
	int n = rtcp_build(buf, sizeof buf, &r, "fuzz");
	if (n <= 0 || rtcp_parse(buf, (size_t)n, &back) != 1)
		abort();
	same_report(&r, &back);
	(void)rtcp_rtt(&r.rb[0], r.ntp);
}

static void check_stats(const uint8_t *data, size_t size)
{
	struct rtpstats_rx st;
	memset(&st, 0, sizeof st);
	for (size_t off = 0; off + 8 <= size; off += 8) {
		const uint8_t *p = data + off;
		uint32_t ssrc = p[0] & 1;
		rtpstats_rx_put(&st, ssrc, rtp_get16(p + 1), rtp_get32(p + 3),
				p[7] & 0x7f, rtp_get32(p + 4) * 7u, (p[0] & 2) != 0);
		uint64_t e, l;
		rtpstats_rx_totals(&st, &e, &l);
		if (l > e)
			abort();
	}
	struct rtcp_rb rb;
	if (rtpstats_rx_block(&st, &rb) && rb.ext_seq != rtpstats_ext_max(&st))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_stats(data, size);
	return 0;
}
