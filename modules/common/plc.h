/* plc.h - packet loss concealment shared by the codec modules (8 or 16 kHz).
 *
 * Why our own: spandsp's plc is built for 8 kHz only (at 16 kHz its pitch
 * search would miss most male voices), and spandsp 0.0.6's plc_fillin()
 * memcpy()s overlapping ranges (undefined behaviour, flagged by ASan).
 * Built into each module that uses it (modules/common is not a module).
 *
 * How: pitch-period repetition with a fade.
 *   - Every decoded frame goes into a 40 ms history.
 *   - On the first lost frame, the pitch period is the lag (2..20 ms, i.e.
 *     50..500 Hz) whose past 10 ms best matches the latest 10 ms (normalised
 *     cross-correlation). The last period of the history then repeats.
 *   - Full level for the first 20 ms of a loss, then a linear fade to silence
 *     over 40 ms: a long loss goes quiet instead of buzzing.
 *   - The first 4 ms of the next good frame cross-fade from the concealment
 *     into the real audio, so recovery does not click.
 * The G.722 decoder itself just continues with the next packet: its ADPCM
 * predictors re-adapt within a few ms (the glitch is covered by the
 * cross-fade).
 *
 * A struct plc16 is plain data, embedded in the decoder state (no allocation);
 * one thread at a time.
 */
#ifndef TANDEM_MODULES_PLC_H
#define TANDEM_MODULES_PLC_H

#include <stddef.h>
#include <stdint.h>

#define TPLC_HIST_MAX   640     /* 40 ms at 16 kHz */

struct tplc {
	int16_t hist[TPLC_HIST_MAX]; /* last decoded audio, oldest first (hist_len used) */
	size_t ms;                  /* samples per millisecond: 8 or 16 */
	size_t hist_len;            /* 40 ms */
	size_t lag;                 /* pitch period in use during a loss */
	size_t pos;                 /* next sample of that period to play */
	size_t lost;                /* samples concealed in the current loss */
};

/* rate_hz: 8000 or 16000. */
void tplc_init(struct tplc *p, unsigned rate_hz);
/* A decoded frame: smooths the recovery after a loss (pcm is modified) and
 * records the frame as history. */
void tplc_good(struct tplc *p, int16_t *pcm, size_t n);
/* Fill pcm[n] for lost audio. */
void tplc_conceal(struct tplc *p, int16_t *pcm, size_t n);

#endif
