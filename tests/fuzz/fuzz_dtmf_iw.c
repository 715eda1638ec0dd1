/* fuzz_dtmf_iw.c - libFuzzer target for DTMF interworking (dtmf_iw.h): RFC
 * 4733 payloads from a peer turned into tones, and in-band detection over
 * a peer's decoded audio.
 *
 * Input: a list of records, each 1 op byte, then op-specific bytes:
 *   op % 3 == 0  event: clock8 ts32 len8 payload[len] -> dtmf_gen_event
 *   op % 3 == 1  frame: n8 -> dtmf_gen_frame over (n * 8) samples with
 *                guard samples around them
 *   op % 3 == 2  audio: len8 samples[len] (16-bit) -> dtmf_det_feed, then
 *                dtmf_det_period
 * Properties beyond "no crash": frames never write outside their samples,
 * a tone whose events stop ends within DTMF_GEN_IDLE_MS + DTMF_GEN_GAP_MS,
 * and detected events carry a DTMF code with a growing duration.
 */
/* fuzz-sources: src/media/dtmf_iw.c */
/* fuzz-pkgs: spandsp */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtmf_iw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t clocks[] = { 8000, 16000, 48000, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct dtmf_gen g;
	struct dtmf_det d;
	uint32_t last_dur = 0;

	dtmf_gen_init(&g, size && data[0] & 1 ? 16000 : 8000);
	if (dtmf_det_init(&d) < 0)
		return 0;
	while (p < end) {
		uint8_t op = *p++;
		if (op % 3 == 0 && end - p >= 6) {
			uint32_t clock = clocks[p[0] % 4];
			uint32_t ts = (uint32_t)p[1] << 24 | p[2] << 16 | p[3] << 8 | p[4];
			size_t len = p[5];
			p += 6;
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			uint8_t *copy = malloc(len ? len : 1);      /* exact size: ASan sees overreads */
			if (!copy)
				break;
			memcpy(copy, p, len);
			dtmf_gen_event(&g, copy, len, ts, clock);
			free(copy);
			p += len;
		} else if (op % 3 == 1 && p < end) {
			size_t n = (size_t)(*p++) * 8;
			int16_t buf[2048 + 2];
			buf[0] = buf[n + 1] = 0x1234;
			dtmf_gen_frame(&g, buf + 1, n);
			if (buf[0] != 0x1234 || buf[n + 1] != 0x1234)
				abort();
		} else if (op % 3 == 2 && p < end) {
			size_t len = *p++;
			if (len * 2 > (size_t)(end - p))
				len = (size_t)(end - p) / 2;
			int16_t pcm[256];
			memcpy(pcm, p, len * 2);
			p += len * 2;
			dtmf_det_feed(&d, pcm, len);
			struct dtmf_det_ev ev;
			if (dtmf_det_period(&d, &ev)) {
				if (ev.code > 15 || (!ev.start && ev.dur_ms < last_dur))
					abort();
				last_dur = ev.dur_ms;
			}
		}
	}
	/* No more events: the tone (if any) ends in bounded time. */
	int16_t frame[960];
	int frames = 0;
	while (dtmf_gen_busy(&g) && frames < 1000) {
		dtmf_gen_frame(&g, frame, g.rate / 50);
		frames++;
	}
	/* Bound: what is left of a tone (up to 0xffff ticks at 8 kHz, ~8.2 s) or
	 * its idle timeout, plus the gap. */
	if (dtmf_gen_busy(&g))
		abort();
	dtmf_det_free(&d);
	return 0;
}
