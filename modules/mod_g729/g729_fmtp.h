/* g729_fmtp.h - mod_g729 negotiation: the annexb parameter (RFC 4856 2.1.9).
 *
 * Pure string functions on untrusted SDP text (fuzzed by
 * tests/fuzz/fuzz_codec_fmtp.c), no state, no bcg729.
 */
#ifndef MOD_G729_FMTP_H
#define MOD_G729_FMTP_H

#include <stdbool.h>
#include <stddef.h>

/* The annexb value 'fmtp' states: true for "yes", and also when the
 * parameter is absent or unreadable, since RFC 4856 makes "yes" the default. */
bool mg729_fmtp_annexb(const char *fmtp);

/* fmtp_answer / fmtp_compatible of tandem_codec_negotiation (see g729.c). */
int mg729_fmtp_answer(const char *offer, char *answer, size_t answer_size);
bool mg729_fmtp_compatible(const char *a, const char *b);

#endif
