/* opus_fmtp.c - mod_opus negotiation (see opus_fmtp.h and opus.c). */
#include "config.h"

#include "opus_fmtp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A decimal number of at most 9 digits (no sign, nothing else), or -1. */
static int32_t parse_uint(const char *s, size_t len)
{
	int32_t v = 0;

	if (len == 0 || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int32_t clamp(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void set_flag(int *flag, int32_t v)
{
	if (v == 0 || v == 1)
		*flag = (int)v;
}

/* One "key=value" (already trimmed) into out. */
static void apply(struct mopus_fmtp *out, const char *key, size_t klen, const char *val,
		  size_t vlen)
{
	int32_t v = parse_uint(val, vlen);
#define KEY_IS(name) (klen == sizeof(name) - 1 && strncasecmp(key, name, klen) == 0)
	if (v < 0)
		return;
	if (KEY_IS("stereo"))
		set_flag(&out->stereo, v);
	else if (KEY_IS("sprop-stereo"))
		set_flag(&out->sprop_stereo, v);
	else if (KEY_IS("useinbandfec"))
		set_flag(&out->useinbandfec, v);
	else if (KEY_IS("usedtx"))
		set_flag(&out->usedtx, v);
	else if (KEY_IS("cbr"))
		set_flag(&out->cbr, v);
	else if (KEY_IS("maxplaybackrate"))
		out->maxplaybackrate = clamp(v, MOPUS_MIN_PLAYBACK, MOPUS_MAX_PLAYBACK);
	else if (KEY_IS("maxaveragebitrate"))
		out->maxaveragebitrate = clamp(v, MOPUS_MIN_BITRATE, MOPUS_MAX_BITRATE);
#undef KEY_IS
}

void mopus_fmtp_parse(const char *fmtp, struct mopus_fmtp *out)
{
	*out = (struct mopus_fmtp){ .stereo = -1, .sprop_stereo = -1, .useinbandfec = -1,
				    .usedtx = -1, .cbr = -1 };
	if (!fmtp)
		return;
	for (const char *p = fmtp; *p;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (eq) {
			const char *k = p, *ke = eq, *v = eq + 1, *ve = p + len;
			while (k < ke && is_blank(*k))
				k++;
			while (ke > k && is_blank(ke[-1]))
				ke--;
			while (v < ve && is_blank(*v))
				v++;
			while (ve > v && is_blank(ve[-1]))
				ve--;
			apply(out, k, (size_t)(ke - k), v, (size_t)(ve - v));
		}
		p += len;
		if (*p == ';')
			p++;
	}
}

/* A bitrate that carries speech well at a playback rate (RFC 7587 3.1.1:
 * 8-12 kbit/s narrowband, 16-20 wideband, 28-40 fullband). */
static int32_t speech_bitrate(int32_t playback)
{
	return playback <= 8000 ? 12000 : playback <= 16000 ? 20000 : playback <= 24000 ? 24000 : 32000;
}

/* Our answer states our decoder's wishes (RFC 7587 6.1, 7.1), every
 * parameter explicitly, so that a peer never has to guess (peers that see no
 * stereo flags, in particular, pick their own):
 *   stereo=0;sprop-stereo=0  always: we decode into mono and encode mono,
 *                            even if the offer asked for stereo=1;
 *   useinbandfec=1|0         mirrored (we decode FEC, and ask for it when the
 *                            offerer spends bits on it too);
 *   usedtx=1|0               mirrored: DTX when the peer wants it (our decoder
 *                            conceals DTX gaps);
 *   maxplaybackrate=N        mirrored (clamped), else 48000: a desk phone that
 *                            plays 16 kHz gets wideband back, not fullband;
 *   maxaveragebitrate=N      mirrored (clamped): the offerer's link budget then
 *                            holds in both directions; else a speech bitrate
 *                            for that playback rate (32000 fullband).
 * Never ptime/maxptime/minptime: those are media-level attributes, and a
 * ptime inside the fmtp is a classic interop bug. */
int mopus_fmtp_answer(const char *offer, char *answer, size_t answer_size)
{
	struct mopus_fmtp o;
	int n;

	mopus_fmtp_parse(offer, &o);
	int32_t rate = o.maxplaybackrate > 0 ? o.maxplaybackrate : MOPUS_MAX_PLAYBACK;
	int32_t bitrate = o.maxaveragebitrate > 0 ? o.maxaveragebitrate : speech_bitrate(rate);
	n = snprintf(answer, answer_size,
		     "stereo=0;sprop-stereo=0;useinbandfec=%d;usedtx=%d;maxplaybackrate=%d;"
		     "maxaveragebitrate=%d", o.useinbandfec == 1, o.usedtx == 1, (int)rate, (int)bitrate);
	if (n < 0 || (size_t)n >= answer_size) {
		if (answer_size)
			answer[0] = '\0';
		return -ENOBUFS;
	}
	return n;
}
