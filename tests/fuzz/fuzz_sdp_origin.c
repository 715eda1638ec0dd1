/* fuzz_sdp_origin.c - the refresh check on a peer's re-offer,
 * sdp_same_session() and sdp_origin_line().
 *
 * Any peer in a call reaches it with every re-INVITE or UPDATE. The input is
 * split in two SDPs at the first 0xff byte (or in the middle). Besides "no
 * crash, no read past len" it checks the contract: an o= line found lies
 * inside the buffer, starts a line and holds no line end; the comparison is
 * symmetric and reflexive.
 */
/* fuzz-sources: src/sip/sdp_origin.c */
#include "config.h"
#include "sip/sdp_origin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s, size_t len)
{
	size_t at = 0, n = sdp_origin_line(s, len, &at);
	if (!n)
		return;
	if (at + n > len || n < 2 || s[at] != 'o' || s[at + 1] != '=' || (at && s[at - 1] != '\n'))
		abort();
	if (memchr(s + at, '\n', n) || memchr(s + at, '\r', n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cut = memchr(data, 0xff, size);
	size_t alen = cut ? (size_t)(cut - data) : size / 2;
	size_t boff = cut ? alen + 1 : alen;
	/* copies of exactly the input's length: ASan sees any read past it */
	char *a = malloc(alen ? alen : 1), *b = malloc(size - boff ? size - boff : 1);
	if (!a || !b)
		abort();
	memcpy(a, data, alen);
	memcpy(b, data + boff, size - boff);
	size_t blen = size - boff;
	check_line(a, alen);
	check_line(b, blen);
	bool ab = sdp_same_session(a, alen, b, blen), ba = sdp_same_session(b, blen, a, alen);
	if (ab != ba || !sdp_same_session(a, alen, a, alen))
		abort();
	free(a);
	free(b);
	return 0;
}
