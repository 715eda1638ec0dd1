/* fuzz_sdp_webrtc.c - libFuzzer target: the WebRTC/SRTP attribute reader
 * (a=crypto, a=mid, a=group:BUNDLE) on arbitrary bytes, as msdp_parse()
 * would have accepted them or not, and the decorator on the same bytes. */
/* fuzz-sources: src/media/sdp_webrtc.c */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp_webrtc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsdp_remote r;
	const char *sdp = (const char *)data;

	for (int idx = 0; idx < 3; idx++)
		if (wsdp_remote_parse(sdp, size, idx, &r) == 0) {
			if (strlen(r.mid) >= sizeof(r.mid) || r.ncrypto > WSDP_MAX_CRYPTO)
				__builtin_trap();
		}
	struct wsdp_local w = {
		.proto = "UDP/TLS/RTP/SAVPF", .crypto = { "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD" },
		.fingerprint = "sha-256 00:11", .setup = "passive", .ice_ufrag = "abcd",
		.ice_pwd = "0123456789012345678901", .cand_addr = "192.0.2.1", .cand_port = 4000,
		.rtcp_mux = true, .mid = "0", .bundle = true,
	};
	size_t n;
	char *out = wsdp_decorate(sdp, size, &w, &n);
	if (out && !memchr(sdp, 0, size) && strlen(out) != n)
		__builtin_trap();
	free(out);
	return 0;
}
