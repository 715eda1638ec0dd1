/* fuzz_dtmf_relay.c - libFuzzer target for DTMF in SIP INFO bodies
 * (sip/dtmf_relay.h).
 *
 * Input: 1 byte choosing the content type (dtmf-relay, dtmf, none, other),
 * then the body. Properties beyond "no crash": a parsed digit is one of
 * 0-9 * # A-D with a duration of at most 60000 ms, and writing it back and
 * parsing that gives the same digit and duration.
 */
/* fuzz-sources: src/sip/dtmf_relay.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/dtmf_relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "application/dtmf-relay", "application/dtmf", NULL,
					     "text/plain" };
	char d, d2, out[64];
	unsigned ms, ms2;

	if (!size)
		return 0;
	const char *ctype = types[data[0] % 4];
	if (dtmf_relay_parse(ctype, (const char *)data + 1, size - 1, &d, &ms) < 0)
		return 0;
	if (!d || !strchr("0123456789*#ABCD", d) || ms > 60000)
		abort();
	int n = dtmf_relay_format(d, ms, out, sizeof out);
	if (n <= 0 || dtmf_relay_parse(DTMF_RELAY_TYPE, out, (size_t)n, &d2, &ms2) < 0 || d2 != d ||
	    ms2 != ms)
		abort();
	return 0;
}
