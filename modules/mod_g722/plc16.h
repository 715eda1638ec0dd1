/* plc16.h - mod_g722 packet loss concealment for 16 kHz audio.
 *
 * Why our own: spandsp's plc is built for 8 kHz (its pitch search spans
 * 40..120 samples = 66..200 Hz, its fade lasts 400 samples = 50 ms). Run on
 * 16 kHz audio it would only find pitches of 133..400 Hz, missing most male
 * voices, and fade in 25 ms. Decimating to 8 kHz for it and back would cost
 * more than this whole concealer and lose the upper band anyway.
 *
 * How: pitch-period repetition with a fade, the same idea at 16 kHz.
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
#ifndef MOD_G722_PLC16_H
#define MOD_G722_PLC16_H

#include <stddef.h>
#include <stdint.h>

#define PLC16_HIST      640     /* 40 ms at 16 kHz */

struct plc16 {
	int16_t hist[PLC16_HIST];   /* last decoded audio, oldest first */
	size_t lag;                 /* pitch period in use during a loss */
	size_t pos;                 /* next sample of that period to play */
	size_t lost;                /* samples concealed in the current loss */
};

void mg722_plc_init(struct plc16 *p);
/* A decoded frame: smooths the recovery after a loss (pcm is modified) and
 * records the frame as history. */
void mg722_plc_good(struct plc16 *p, int16_t *pcm, size_t n);
/* Fill pcm[n] for lost audio. */
void mg722_plc_conceal(struct plc16 *p, int16_t *pcm, size_t n);

#endif
