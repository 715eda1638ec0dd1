/* sdp_origin.c - see sdp_origin.h. */
#include "config.h"

#include <string.h>

#include "sip/sdp_origin.h"

size_t sdp_origin_line(const char *sdp, size_t len, size_t *at)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if ((i == 0 || sdp[i - 1] == '\n') && sdp[i] == 'o' && sdp[i + 1] == '=') {
			size_t e = i;
			while (e < len && sdp[e] != '\r' && sdp[e] != '\n')
				e++;
			*at = i;
			return e - i;
		}
	}
	return 0;
}

bool sdp_same_session(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t ao = 0, bo = 0;
	size_t al = sdp_origin_line(a, alen, &ao), bl = sdp_origin_line(b, blen, &bo);
	if (al && bl)
		return al == bl && !memcmp(a + ao, b + bo, al);
	return alen == blen && (!alen || !memcmp(a, b, alen));
}
