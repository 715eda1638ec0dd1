/* fuzz_sdp.c - libFuzzer target: SDP parse, print, anchor and the local
 * G.711 answer on arbitrary bytes. Besides our code this exercises Debian's
 * sofia-sip SDP parser (linked from the system, so not instrumented: only
 * crashes, hangs and memory blow-ups in it show).
 */
/* fuzz-sources: src/media/sdp.c src/media/sdp_parse.c src/media/sdp_print.c src/media/sdp_anchor.c src/media/sdp_g711.c */
/* fuzz-pkgs: sofia-sip-ua */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msdp m, again, ans, copy;
	struct msdp_origin o;
	struct msdp_local loc = { .advertise = "10.0.0.1", .ports = { 2000, 2002, 0, 2006 } };
	char why[128];
	size_t len;
	char *p, *a;

	if (msdp_parse((const char *)data, size, &m, why, sizeof(why)) != 0)
		return 0;

	p = msdp_print(&m, &len);
	if (p) {
		/* What we print must parse again. */
		if (msdp_parse(p, len, &again, why, sizeof(why)) != 0)
			abort();
		msdp_clear(&again);
		free(p);
	}

	msdp_origin_init(&o);
	a = msdp_anchor(&m, &loc, &o, &len);
	if (a) {
		if (msdp_parse(a, len, &again, why, sizeof(why)) != 0)
			abort();
		/* Every connection line is the gateway's. */
		static const char cline[] = "\nc=IN IP4 10.0.0.1\r\n";
		for (const char *l = a; (l = strstr(l, "\nc=")); l++)
			if (strncmp(l, cline, sizeof(cline) - 1) != 0)
				abort();
		msdp_clear(&again);
		free(a);
	}

	/* Toward a plain SIP leg: the profile is rewritten, and the result still
	 * has to parse. */
	loc.rtp_proto = "RTP/AVP";
	a = msdp_anchor(&m, &loc, &o, &len);
	if (a) {
		if (msdp_parse(a, len, &again, why, sizeof(why)) != 0)
			abort();
		msdp_clear(&again);
		free(a);
	}

	if (msdp_answer_g711(&m, &ans, NULL) == 0) {
		a = msdp_anchor(&ans, &loc, &o, &len);
		free(a);
		msdp_clear(&ans);
	}
	if (msdp_copy(&copy, &m) == 0)
		msdp_clear(&copy);
	msdp_clear(&m);
	return 0;
}
