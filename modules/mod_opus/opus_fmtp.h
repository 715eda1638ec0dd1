/* opus_fmtp.h - mod_opus negotiation: parse an Opus fmtp, write the answer.
 *
 * Pure string functions on untrusted SDP text (fuzzed by
 * tests/fuzz/fuzz_codec_fmtp.c); no state, no libopus. The parameters are
 * those of RFC 7587 section 6.1. Each one describes what the side that SENT
 * the fmtp wants to RECEIVE, so the engine applies the peer's fmtp to its
 * encoder and the answer states what our decoder wants.
 */
#ifndef MOD_OPUS_FMTP_H
#define MOD_OPUS_FMTP_H

#include <stddef.h>
#include <stdint.h>

/* Limits from RFC 7587 6.1; values outside are clamped into them. */
#define MOPUS_MIN_PLAYBACK   8000
#define MOPUS_MAX_PLAYBACK   48000
#define MOPUS_MIN_BITRATE    6000
#define MOPUS_MAX_BITRATE    510000

/* One parsed fmtp. Flags are -1 when absent, else 0 or 1; rates are 0 when
 * absent. Malformed or unknown parameters are ignored (a peer's typo must not
 * fail a call), so parsing never fails. */
struct mopus_fmtp {
	int stereo;
	int sprop_stereo;
	int useinbandfec;
	int usedtx;
	int cbr;
	int32_t maxplaybackrate;        /* Hz */
	int32_t maxaveragebitrate;      /* bit/s */
};

/* Parse 'fmtp' (the text after "a=fmtp:PT "; NULL or "" = no parameters). */
void mopus_fmtp_parse(const char *fmtp, struct mopus_fmtp *out);

/* The answer to 'offer' (see opus.c for the rules); tandem_codec_negotiation
 * fmtp_answer semantics: strlen written, or -ENOBUFS. */
int mopus_fmtp_answer(const char *offer, char *answer, size_t answer_size);

#endif
