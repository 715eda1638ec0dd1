/* test_digest_client.c - the client side of digest (digest_client.h):
 * challenge parse, choice of algorithm, and answers checked against the
 * RFC 7616 section 3.9.1 example (MD5 and SHA-256). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/digest.h"
#include "sip/digest_client.h"

#define R_USER "Mufasa"
#define R_REALM "http-auth@example.org"
#define R_PASS "Circle of Life"
#define R_URI "/dir/index.html"
#define R_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define R_MD5 "8ca523f5e9506fed4657c9700eebdbec"
#define R_SHA256 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

/* the two WWW-Authenticate values of the RFC's example */
static const char chal_sha256[] =
	"Digest\r\n realm=\"" R_REALM "\",\r\n qop=\"auth, auth-int\",\r\n algorithm=SHA-256,\r\n"
	" nonce=\"" R_NONCE "\",\r\n opaque=\"" R_OPAQUE "\"";
static const char chal_md5[] =
	"Digest realm=\"" R_REALM "\", qop=\"auth, auth-int\", algorithm=MD5, nonce=\"" R_NONCE
	"\", opaque=\"" R_OPAQUE "\"";

static int cparse(const char *s, struct tdigest_chal *ch)
{
	return tdigest_chal_parse(s, strlen(s), ch);
}

static void answer_is(const char *chal, enum tdigest_alg alg, const char *want)
{
	struct tdigest_chal ch;
	char buf[1024];
	ck_assert_int_eq(cparse(chal, &ch), 0);
	ck_assert_int_eq(ch.alg, alg);
	ck_assert(ch.qop_auth && !ch.sess && !ch.stale && ch.has_opaque);
	ck_assert_str_eq(ch.realm, R_REALM);
	ck_assert_str_eq(ch.nonce, R_NONCE);
	ck_assert_str_eq(ch.opaque, R_OPAQUE);
	int n = tdigest_answer(&ch, "GET", R_URI, R_USER, R_PASS, R_CNONCE, 1, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	/* what the server side makes of it: the RFC's response */
	struct tdigest_resp r;
	ck_assert_int_eq(tdigest_parse(buf, (size_t)n, &r), 0);
	ck_assert_str_eq(r.response, want);
	ck_assert_str_eq(r.username, R_USER);
	ck_assert_str_eq(r.uri, R_URI);
	ck_assert_str_eq(r.cnonce, R_CNONCE);
	ck_assert_str_eq(r.opaque, R_OPAQUE);
	ck_assert_str_eq(r.nc_text, "00000001");
	ck_assert(r.qop);
}

START_TEST(rfc7616_sha256_answer) { answer_is(chal_sha256, TDIGEST_SHA256, R_SHA256); }
END_TEST

START_TEST(rfc7616_md5_answer) { answer_is(chal_md5, TDIGEST_MD5, R_MD5); }
END_TEST

START_TEST(prefer_sha256)
{
	struct tdigest_chal md5, sha;
	ck_assert_int_eq(cparse(chal_md5, &md5), 0);
	ck_assert_int_eq(cparse(chal_sha256, &sha), 0);
	ck_assert(tdigest_chal_better(&sha, &md5));
	ck_assert(!tdigest_chal_better(&md5, &sha));
	ck_assert(!tdigest_chal_better(&md5, &md5));
}
END_TEST

START_TEST(chal_variants)
{
	struct tdigest_chal ch;
	char buf[512];
	/* RFC 2069 style: no qop, no algorithm -> MD5, answer without cnonce */
	ck_assert_int_eq(cparse("Digest realm=\"r\", nonce=\"n\"", &ch), 0);
	ck_assert_int_eq(ch.alg, TDIGEST_MD5);
	ck_assert(!ch.qop_auth && !ch.has_opaque);
	ck_assert_int_gt(tdigest_answer(&ch, "INVITE", "sip:1@h", "u", "p", NULL, 1, buf, sizeof buf), 0);
	ck_assert_ptr_null(strstr(buf, "cnonce"));
	ck_assert_ptr_null(strstr(buf, "qop"));
	/* stale, unknown parameters skipped, token values, case */
	ck_assert_int_eq(cparse("digest REALM=r,nonce=abc,  stale=TRUE, domain=\"sip:x\", algorithm=sha-256", &ch), 0);
	ck_assert(ch.stale);
	ck_assert_int_eq(ch.alg, TDIGEST_SHA256);
	ck_assert_str_eq(ch.realm, "r");
	/* escapes in a quoted realm */
	ck_assert_int_eq(cparse("Digest realm=\"a\\\"b\", nonce=\"n\"", &ch), 0);
	ck_assert_str_eq(ch.realm, "a\"b");
	/* ... cannot be put back between quotes unescaped: refused, not mangled */
	ck_assert_int_eq(tdigest_answer(&ch, "INVITE", "sip:1@h", "u", "p", "c", 1, buf, sizeof buf), -EINVAL);
	/* -sess needs qop */
	ck_assert_int_eq(cparse("Digest realm=r, nonce=n, algorithm=MD5-sess, qop=auth", &ch), 0);
	ck_assert(ch.sess);
	ck_assert_int_gt(tdigest_answer(&ch, "INVITE", "sip:1@h", "u", "p", "c", 2, buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, "algorithm=MD5-sess"));
	ck_assert_ptr_nonnull(strstr(buf, "nc=00000002"));
	/* no room */
	ck_assert_int_eq(tdigest_answer(&ch, "INVITE", "sip:1@h", "u", "p", "c", 1, buf, 40), -ENOSPC);
	/* qop needs a cnonce */
	ck_assert_int_eq(tdigest_answer(&ch, "INVITE", "sip:1@h", "u", "p", NULL, 1, buf, sizeof buf), -EINVAL);
}
END_TEST

START_TEST(chal_errors)
{
	struct tdigest_chal ch;
	ck_assert_int_eq(cparse("Basic realm=\"r\"", &ch), -ENOTSUP);
	ck_assert_int_eq(cparse("Digest realm=r, nonce=n, algorithm=SHA-512-256", &ch), -ENOTSUP);
	ck_assert_int_eq(cparse("Digest realm=r, nonce=n, qop=\"auth-int\"", &ch), -ENOTSUP);
	ck_assert_int_eq(cparse("Digest realm=r, nonce=n, userhash=true", &ch), -ENOTSUP);
	ck_assert_int_eq(cparse("Digest realm=r, nonce=n, algorithm=MD5-sess", &ch), -ENOTSUP);
	ck_assert_int_eq(cparse("Digest realm=r", &ch), -EINVAL);
	ck_assert_int_eq(cparse("Digest nonce=n", &ch), -EINVAL);
	ck_assert_int_eq(cparse("Digest realm=r, nonce=\"\"", &ch), -EINVAL);
	ck_assert_int_eq(cparse("Digest realm=r, realm=s, nonce=n", &ch), -EINVAL);
	ck_assert_int_eq(cparse("Digest realm=\"r, nonce=n", &ch), -EINVAL);
	ck_assert_int_eq(cparse("Digest realm r, nonce=n", &ch), -EINVAL);
	ck_assert_int_eq(cparse("Digest realm=r nonce=n", &ch), -EINVAL);
	char big[400];
	snprintf(big, sizeof big, "Digest realm=r, nonce=\"%0300d\"", 7);
	ck_assert_int_eq(cparse(big, &ch), -E2BIG);
	/* not NUL-terminated: only len bytes are read */
	ck_assert_int_eq(tdigest_chal_parse("Digest realm=r, nonce=n, opaque=\"x", 24, &ch), 0);
	ck_assert(!ch.has_opaque);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("digest_client");
	TCase *tc = tcase_create("client");
	tcase_add_test(tc, rfc7616_sha256_answer);
	tcase_add_test(tc, rfc7616_md5_answer);
	tcase_add_test(tc, prefer_sha256);
	tcase_add_test(tc, chal_variants);
	tcase_add_test(tc, chal_errors);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
