/* fuzz_stun.c - libFuzzer target: STUN parse, integrity and fingerprint
 * checks, and the ICE-lite responder on arbitrary bytes. The first input
 * byte picks whether the ICE agent's password is used as the key (so
 * mutated valid requests reach the response builder). */
/* fuzz-sources: src/media/stun.c src/media/ice.c src/media/netaddr.c */
/* fuzz-pkgs: libcrypto */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/ice.h"
#include "media/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	uint8_t resp[STUN_MAX_MSG];

	if (stun_parse(data, size, &m) == 0) {
		(void)stun_fingerprint_ok(data, size, &m);
		(void)stun_integrity_ok(data, size, &m, "VOkJxbRl1RmTxUk/WvJxBt", 22);
		if (m.username)
			(void)memchr(m.username, ':', m.username_len);
	}
	/* Fixed credentials so the corpus stays meaningful across runs. */
	struct ice_lite ice;
	memset(&ice, 0, sizeof(ice));
	memcpy(ice.lufrag, "evtj", 5);
	memcpy(ice.lpwd, "VOkJxbRl1RmTxUk/WvJxBt", 23);
	memcpy(ice.rufrag, "h6vY", 5);
	na_addr_t from;
	na_from_str(&from, "192.0.2.7", 4242);
	unsigned ev;
	int n = ice_lite_on_stun(&ice, data, size, &from, 1000, resp, sizeof(resp), &ev);
	if (n > 0 && stun_parse(resp, (size_t)n, &m) != 0)
		__builtin_trap();       /* our own response must parse */
	return 0;
}
