/* g729_fmtp.c - mod_g729 negotiation (see g729_fmtp.h and g729.c). */
#include "config.h"

#include "g729_fmtp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The annexb parameter: 1 yes, 0 no, -1 absent or unreadable (last one wins). */
static int annexb_param(const char *fmtp)
{
	int val = -1;

	for (const char *p = fmtp; p && *p;) {
		size_t len = strcspn(p, ";");
		const char *k = p, *end = p + len, *eq = memchr(p, '=', len);

		if (eq) {
			const char *ke = eq, *v = eq + 1, *ve = end;
			while (k < ke && is_blank(*k))
				k++;
			while (ke > k && is_blank(ke[-1]))
				ke--;
			while (v < ve && is_blank(*v))
				v++;
			while (ve > v && is_blank(ve[-1]))
				ve--;
			if (ke - k == 6 && strncasecmp(k, "annexb", 6) == 0) {
				if (ve - v == 3 && strncasecmp(v, "yes", 3) == 0)
					val = 1;
				else if (ve - v == 2 && strncasecmp(v, "no", 2) == 0)
					val = 0;
			}
		}
		p = *end ? end + 1 : end;
	}
	return val;
}

bool mg729_fmtp_annexb(const char *fmtp)
{
	return annexb_param(fmtp) != 0;
}

/* annexb=yes only when the offer says so explicitly: we can take Annex B
 * (bcg729 decodes SID frames and plays comfort noise through DTX gaps), but we
 * never send it (our encoder runs without VAD, which annexb=yes allows). An
 * offer without the parameter implies yes (RFC 4856), yet gets annexb=no: the
 * continuous stream most gateways expect, and which G.729-only phones
 * without Annex B decode correctly. */
int mg729_fmtp_answer(const char *offer, char *answer, size_t answer_size)
{
	int n = snprintf(answer, answer_size, "annexb=%s",
			 annexb_param(offer) == 1 ? "yes" : "no");
	if (n < 0 || (size_t)n >= answer_size) {
		if (answer_size)
			answer[0] = '\0';
		return -ENOBUFS;
	}
	return n;
}

/* Relaying G.729 between two legs is safe only if both agree on Annex B: a
 * leg that said yes may send SID frames, which a leg that said no cannot
 * decode. */
bool mg729_fmtp_compatible(const char *a, const char *b)
{
	return mg729_fmtp_annexb(a) == mg729_fmtp_annexb(b);
}
