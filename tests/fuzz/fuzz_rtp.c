/* fuzz_rtp.c - libFuzzer target for the RTP/RTCP header code of the relay.
 *
 * Every datagram a peer sends goes through rtp_parse() or rtcp_validate()
 * before anything else. Beyond "no crash", checks properties: a parsed RTP
 * header accounts for every byte (header + payload + padding = length), the
 * stream mapping rewrites only the fixed header, and SSRC mapping keeps a
 * valid RTCP compound valid with the same number of packets.
 */
/* fuzz-sources: src/media/rtp.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rtp(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	if (rtp_parse(data, size, &h) != 0)
		return;
	if (h.hdr_len + h.payload_len + h.pad != size || h.hdr_len < RTP_HDR_MIN)
		abort();
	uint8_t *copy = malloc(size);
	if (!copy)
		return;
	memcpy(copy, data, size);
	struct rtp_outmap m;
	rtp_outmap_init(&m);
	rtp_outmap_apply(&m, copy, &h, 1000, size > 12 ? data[12] * 1000u : 0);
	h.ssrc ^= 1;
	rtp_outmap_apply(&m, copy, &h, 1001, 48000);
	/* Only the fixed header (and the marker bit) may change. */
	if (memcmp(copy + RTP_HDR_MIN, data + RTP_HDR_MIN, size - RTP_HDR_MIN) != 0 ||
	    (copy[0] != data[0]) || ((copy[1] & 0x7f) != (data[1] & 0x7f)))
		abort();
	struct rtp_hdr h2;
	if (rtp_parse(copy, size, &h2) != 0 || h2.hdr_len != h.hdr_len)
		abort();
	free(copy);
}

static void check_rtcp(const uint8_t *data, size_t size)
{
	int n = rtcp_validate(data, size);
	if (n <= 0)
		return;
	uint8_t *copy = malloc(size);
	if (!copy)
		return;
	memcpy(copy, data, size);
	uint32_t a = size >= 8 ? rtp_get32(data + 4) : 1;
	rtcp_map_ssrc(copy, size, a, a + 1, a, a ^ 0x5555);
	if (rtcp_validate(copy, size) != n)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_rtp(data, size);
	check_rtcp(data, size);
	return 0;
}
