/* fuzz_digest.c - the Authorization header value parser, tdigest_parse().
 *
 * Anyone who can send a SIP request reaches it, before any authentication.
 * Besides "no crash, no read past len", it checks the parser's contract: on
 * success every string is NUL-terminated within its field, the response has
 * the algorithm's hex length in lowercase, qop implies an 8-hex-digit nc; and
 * the verdict code runs on whatever parsed (it must not crash either), and a
 * challenge built from the parsed realm and nonce parses back as the same
 * realm when answered.
 */
/* fuzz-sources: src/sip/digest.c src/sip/nonce.c */
/* fuzz-pkgs: openssl */
#include "config.h"
#include "sip/digest.h"
#include "sip/nonce.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *f, size_t cap)
{
	if (!memchr(f, 0, cap))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tnonce_t *nonces;
	if (!nonces && tnonce_new(&(struct tnonce_params){ .max_nonces = 64 }, &nonces) < 0)
		abort();
	/* a copy of exactly 'size' bytes, so ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct tdigest_resp r;
	int rc = tdigest_parse(buf, size, &r);
	free(buf);
	if (rc < 0)
		return 0;
	check_field(r.username, sizeof r.username);
	check_field(r.realm, sizeof r.realm);
	check_field(r.nonce, sizeof r.nonce);
	check_field(r.uri, sizeof r.uri);
	check_field(r.cnonce, sizeof r.cnonce);
	check_field(r.opaque, sizeof r.opaque);
	check_field(r.response, sizeof r.response);
	if (strlen(r.response) != tdigest_hex_len(r.alg) || strspn(r.response, "0123456789abcdef") !=
	    strlen(r.response))
		abort();
	if (r.qop && (strlen(r.nc_text) != 8 || !*r.cnonce))
		abort();

	char ha1[TDIGEST_HEX_MAX];
	if (tdigest_ha1(r.alg, r.username, r.realm, "pw", ha1) < 0)
		abort();
	tdigest_verify(&r, "REGISTER", ha1, "tandem", nonces, "192.0.2.1", 1000);
	tdigest_check(&r, "INVITE", ha1);

	char ch[1024];
	int n = tdigest_challenge(r.alg, r.realm, r.nonce, NULL, r.sess, ch, sizeof ch);
	if (n > 0) {
		/* answer our own challenge: the realm must survive the quoting */
		char ans[2048];
		int m = snprintf(ans, sizeof ans, "%s, username=u, uri=u, cnonce=c, nc=00000001, response=%s", ch, r.response);
		struct tdigest_resp back;
		if (m > 0 && (size_t)m < sizeof ans && tdigest_parse(ans, (size_t)m, &back) == 0 &&
		    strcmp(back.realm, r.realm))
			abort();
	}
	return 0;
}
