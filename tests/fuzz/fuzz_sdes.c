/* fuzz_sdes.c - libFuzzer target: the SDES a=crypto parser (RFC 4568) and
 * printing back what it accepted; the DTLS fingerprint check rides along
 * through mdtls_new() in test_webrtc, not here (it needs a certificate). */
/* fuzz-sources: src/media/srtp.c */
/* fuzz-pkgs: libsrtp2 libcrypto */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msrtp_crypto c, again;
	char out[160];

	if (msrtp_crypto_parse((const char *)data, size, &c) != 0)
		return 0;
	int n = msrtp_crypto_format(&c, out, sizeof(out));
	if (n <= 0 || msrtp_crypto_parse(out, (size_t)n, &again) != 0 ||
	    memcmp(&c, &again, sizeof(c)) != 0)
		__builtin_trap();       /* what we print must parse to the same */
	return 0;
}
