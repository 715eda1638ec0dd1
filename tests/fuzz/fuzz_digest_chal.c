/* fuzz_digest_chal.c - the challenge parser of the client side,
 * tdigest_chal_parse(): a trunk (or anything answering where a trunk
 * should be) writes the WWW-Authenticate / Proxy-Authenticate it parses.
 * Besides "no crash, no read past len": on success every string is
 * NUL-terminated in its field and a nonce is present; the answer built from
 * it either fails cleanly or parses back with the server-side parser
 * (tdigest_parse) to the same realm and nonce, and its response checks.
 */
/* fuzz-sources: src/sip/digest_client.c src/sip/digest.c src/sip/nonce.c */
/* fuzz-pkgs: openssl */
#include "config.h"
#include "sip/digest_client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct tdigest_chal ch;
	int rc = tdigest_chal_parse(buf, size, &ch);
	free(buf);
	if (rc < 0)
		return 0;
	if (!memchr(ch.realm, 0, sizeof ch.realm) || !memchr(ch.nonce, 0, sizeof ch.nonce) ||
	    !memchr(ch.opaque, 0, sizeof ch.opaque) || !*ch.nonce)
		abort();
	char ans[2048];
	int n = tdigest_answer(&ch, "INVITE", "sip:1@example.net", "user", "pw", "c0ffee", 1,
			       ans, sizeof ans);
	if (n < 0)
		return 0;
	struct tdigest_resp r;
	if (tdigest_parse(ans, (size_t)n, &r) < 0 || strcmp(r.realm, ch.realm) ||
	    strcmp(r.nonce, ch.nonce) || r.alg != ch.alg)
		abort();
	char ha1[TDIGEST_HEX_MAX];
	if (tdigest_ha1(r.alg, "user", r.realm, "pw", ha1) < 0 || !tdigest_check(&r, "INVITE", ha1))
		abort();
	return 0;
}
