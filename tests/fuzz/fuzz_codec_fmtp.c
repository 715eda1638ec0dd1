/* fuzz_codec_fmtp.c - libFuzzer target for the fmtp parsers of the codec
 * modules (mod_opus, mod_g729): every offer's fmtp comes from a peer's SDP.
 *
 * Beyond "no crash", checks properties: an answer is NUL-terminated with the
 * length returned (or "" with -ENOBUFS), the Opus answer always states the
 * stereo flags first and never carries ptime, parsed values stay in their
 * RFC 7587 ranges, the G.729 answer is one of two strings, and
 * fmtp_compatible is reflexive and symmetric.
 */
/* fuzz-sources: modules/mod_opus/opus_fmtp.c modules/mod_g729/g729_fmtp.c */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/mod_g729/g729_fmtp.h"
#include "../../modules/mod_opus/opus_fmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(int rc, const char *ans, size_t room)
{
	if (rc == -ENOBUFS) {
		if (room && ans[0] != '\0')
			abort();
		return;
	}
	if (rc < 0 || (size_t)rc >= room || strlen(ans) != (size_t)rc)
		abort();
}

static void check_opus(const char *s, size_t room)
{
	char ans[256];
	struct mopus_fmtp f;
	int rc;

	mopus_fmtp_parse(s, &f);
	const int flags[] = { f.stereo, f.sprop_stereo, f.useinbandfec, f.usedtx, f.cbr };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (flags[i] < -1 || flags[i] > 1)
			abort();
	if (f.maxplaybackrate && (f.maxplaybackrate < MOPUS_MIN_PLAYBACK ||
				  f.maxplaybackrate > MOPUS_MAX_PLAYBACK))
		abort();
	if (f.maxaveragebitrate && (f.maxaveragebitrate < MOPUS_MIN_BITRATE ||
				    f.maxaveragebitrate > MOPUS_MAX_BITRATE))
		abort();
	rc = mopus_fmtp_answer(s, ans, room);
	check_answer(rc, ans, room);
	if (rc >= 0 && (strncmp(ans, "stereo=0;sprop-stereo=0", 23) != 0 ||
			strstr(ans, "ptime") != NULL))
		abort();
	/* The answer is itself a valid offer, and answering it is stable. */
	if (rc >= 0 && room == sizeof ans) {
		char again[256];
		if (mopus_fmtp_answer(ans, again, sizeof again) != rc || strcmp(ans, again) != 0)
			abort();
	}
}

static void check_g729(const char *a, const char *b, size_t room)
{
	char ans[32];
	int rc = mg729_fmtp_answer(a, ans, room);

	check_answer(rc, ans, room);
	if (rc >= 0 && strcmp(ans, "annexb=yes") != 0 && strcmp(ans, "annexb=no") != 0)
		abort();
	if (!mg729_fmtp_compatible(a, a) || mg729_fmtp_compatible(a, b) != mg729_fmtp_compatible(b, a))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* First byte: answer buffer size; the rest, split at the first NUL,
	 * is one or two fmtp strings. */
	size_t room = size ? data[0] : 0;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	if (size)
		memcpy(s, data + 1, size - 1);
	s[size ? size - 1 : 0] = '\0';
	const char *b = s + strlen(s);
	if (b < s + (size ? size - 1 : 0))
		b++;
	check_opus(s, 256);
	check_opus(s, room < 256 ? room : 256);
	check_g729(s, b, 32);
	check_g729(s, b, room < 32 ? room : 32);
	free(s);
	return 0;
}
