/* test_digest.c - digest auth (RFC 7616 / RFC 8760) parse, hashes,
 * challenges and verdicts; nonces (expiry, replay, eviction); the ban list. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/banlist.h"
#include "sip/digest.h"
#include "sip/nonce.h"

/* RFC 7616 section 3.9.1 */
#define R_USER "Mufasa"
#define R_REALM "http-auth@example.org"
#define R_PASS "Circle of Life"
#define R_URI "/dir/index.html"
#define R_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define R_MD5 "8ca523f5e9506fed4657c9700eebdbec"
#define R_SHA256 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

static const char rfc_md5[] =
	"Digest username=\"" R_USER "\",\r\n realm=\"" R_REALM "\",\r\n uri=\"" R_URI "\",\r\n"
	" algorithm=MD5,\r\n nonce=\"" R_NONCE "\",\r\n nc=00000001,\r\n cnonce=\"" R_CNONCE "\",\r\n"
	" qop=auth,\r\n response=\"" R_MD5 "\",\r\n opaque=\"" R_OPAQUE "\"";
static const char rfc_sha256[] =
	"Digest username=\"" R_USER "\", realm=\"" R_REALM "\", uri=\"" R_URI "\", "
	"algorithm=SHA-256, nonce=\"" R_NONCE "\", nc=00000001, cnonce=\"" R_CNONCE "\", "
	"qop=auth, response=\"" R_SHA256 "\", opaque=\"" R_OPAQUE "\"";

static int parse(const char *s, struct tdigest_resp *r)
{
	return tdigest_parse(s, strlen(s), r);
}

START_TEST(rfc7616_md5)
{
	struct tdigest_resp r;
	ck_assert_int_eq(parse(rfc_md5, &r), 0);
	ck_assert_int_eq(r.alg, TDIGEST_MD5);
	ck_assert(!r.sess);
	ck_assert(r.qop);
	ck_assert_uint_eq(r.nc, 1);
	ck_assert_str_eq(r.username, R_USER);
	ck_assert_str_eq(r.realm, R_REALM);
	ck_assert_str_eq(r.uri, R_URI);
	ck_assert_str_eq(r.nonce, R_NONCE);
	ck_assert_str_eq(r.cnonce, R_CNONCE);
	ck_assert_str_eq(r.opaque, R_OPAQUE);
	char ha1[TDIGEST_HEX_MAX], want[TDIGEST_HEX_MAX];
	ck_assert_int_eq(tdigest_ha1(TDIGEST_MD5, R_USER, R_REALM, R_PASS, ha1), 0);
	ck_assert_int_eq(tdigest_expected(&r, "GET", ha1, want), 0);
	ck_assert_str_eq(want, R_MD5);
	ck_assert(tdigest_check(&r, "GET", ha1));
	ck_assert(!tdigest_check(&r, "POST", ha1));
}
END_TEST

START_TEST(rfc7616_sha256)
{
	struct tdigest_resp r;
	ck_assert_int_eq(parse(rfc_sha256, &r), 0);
	ck_assert_int_eq(r.alg, TDIGEST_SHA256);
	char ha1[TDIGEST_HEX_MAX], want[TDIGEST_HEX_MAX];
	ck_assert_int_eq(tdigest_ha1(TDIGEST_SHA256, R_USER, R_REALM, R_PASS, ha1), 0);
	ck_assert_uint_eq(strlen(ha1), 64);
	ck_assert_int_eq(tdigest_expected(&r, "GET", ha1, want), 0);
	ck_assert_str_eq(want, R_SHA256);
	ck_assert(tdigest_check(&r, "GET", ha1));
	/* An MD5 HA1 is not a SHA-256 HA1. */
	ck_assert_int_eq(tdigest_ha1(TDIGEST_MD5, R_USER, R_REALM, R_PASS, ha1), 0);
	ck_assert(!tdigest_check(&r, "GET", ha1));
}
END_TEST

START_TEST(wrong_password_fails)
{
	struct tdigest_resp r;
	char ha1[TDIGEST_HEX_MAX];
	ck_assert_int_eq(parse(rfc_sha256, &r), 0);
	ck_assert_int_eq(tdigest_ha1(TDIGEST_SHA256, R_USER, R_REALM, "Circle of life", ha1), 0);
	ck_assert(!tdigest_check(&r, "GET", ha1));
	ck_assert_int_eq(parse(rfc_md5, &r), 0);
	ck_assert_int_eq(tdigest_ha1(TDIGEST_MD5, R_USER, R_REALM, "", ha1), 0);
	ck_assert(!tdigest_check(&r, "GET", ha1));
	/* one changed digit of the response */
	ck_assert_int_eq(tdigest_ha1(TDIGEST_MD5, R_USER, R_REALM, R_PASS, ha1), 0);
	r.response[31] = r.response[31] == '0' ? '1' : '0';
	ck_assert(!tdigest_check(&r, "GET", ha1));
	ck_assert(!tdigest_check(&r, "GET", "short"));
}
END_TEST

START_TEST(parse_variants)
{
	struct tdigest_resp r;
	/* case-insensitive scheme and names, quoted algorithm/qop, upper-case
	 * hex, unknown parameters and empty list elements skipped */
	ck_assert_int_eq(parse("  digest USERNAME=\"a\\\"b\" , , Realm=r, nonce=n, uri=\"sip:x@y\", "
			       "Algorithm=\"sha-256-sess\", qop=\"auth\", nc=0000000A, cnonce=c, "
			       "foo=\"bar, baz\", userhash=false, response=\""
			       "753927FA0E85D155564E2E272A28D1802CA10DAF4496794697CF8DB5856CB6C1\"", &r), 0);
	ck_assert_str_eq(r.username, "a\"b");
	ck_assert_str_eq(r.realm, "r");
	ck_assert_int_eq(r.alg, TDIGEST_SHA256);
	ck_assert(r.sess);
	ck_assert_uint_eq(r.nc, 10);
	ck_assert_str_eq(r.nc_text, "0000000A");
	ck_assert_str_eq(r.response, R_SHA256);
	/* no algorithm: MD5; no qop: RFC 2069 style */
	ck_assert_int_eq(parse("Digest username=u,realm=r,nonce=n,uri=u,response=" R_MD5, &r), 0);
	ck_assert_int_eq(r.alg, TDIGEST_MD5);
	ck_assert(!r.qop);
}
END_TEST

START_TEST(parse_errors)
{
	struct tdigest_resp r;
	static const struct { const char *text; int rc; } bad[] = {
		{ "", -ENOTSUP },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", -ENOTSUP },
		{ "Digest", -ENOTSUP },
		{ "Digestusername=u", -ENOTSUP },
		/* missing required parameters */
		{ "Digest realm=r, nonce=n, uri=u, response=" R_MD5, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u", -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, qop=auth, nc=00000001, response=" R_MD5,
		  -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, qop=auth, cnonce=c, response=" R_MD5,
		  -EINVAL },
		/* duplicate */
		{ "Digest username=u, username=v, realm=r, nonce=n, uri=u, response=" R_MD5, -EINVAL },
		/* grammar */
		{ "Digest username=\"u, realm=r, nonce=n, uri=u, response=" R_MD5, -EINVAL },
		{ "Digest username=u realm=r, nonce=n, uri=u, response=" R_MD5, -EINVAL },
		{ "Digest username=, realm=r, nonce=n, uri=u, response=" R_MD5, -EINVAL },
		{ "Digest =u, realm=r, nonce=n, uri=u, response=" R_MD5, -EINVAL },
		{ "Digest username=\"a\x01\", realm=r, nonce=n, uri=u, response=" R_MD5, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, response=\"\\", -EINVAL },
		/* values */
		{ "Digest username=u, realm=r, nonce=n, uri=u, response=8ca523f5", -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, response=" R_SHA256, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, algorithm=SHA-256, response=" R_MD5, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, response=8ca523f5e9506fed4657c9700eebdbeg",
		  -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, qop=auth, nc=1, cnonce=c, response=" R_MD5,
		  -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, qop=auth, nc=0000000g, cnonce=c, response="
		  R_MD5, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, nc=00000001, response=" R_MD5, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, qop=auth, nc=00000001, cnonce=\"\", response="
		  R_MD5, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, algorithm=MD5-sess, response=" R_MD5, -EINVAL },
		{ "Digest username=u, realm=r, nonce=n, uri=u, qop=auth-int, nc=00000001, cnonce=c, "
		  "response=" R_MD5, -ENOTSUP },
		{ "Digest username=u, realm=r, nonce=n, uri=u, algorithm=SHA-512-256, response=" R_MD5,
		  -ENOTSUP },
		{ "Digest username=u, realm=r, nonce=n, uri=u, userhash=true, response=" R_MD5, -ENOTSUP },
		{ "Digest username*=UTF-8''u, realm=r, nonce=n, uri=u, response=" R_MD5, -ENOTSUP },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(parse(bad[i].text, &r) == bad[i].rc, "case %zu: %s gave %d", i, bad[i].text,
			      parse(bad[i].text, &r));

	/* length limits, and no read past len */
	char big[1024];
	snprintf(big, sizeof big, "Digest username=\"%0*d\", realm=r, nonce=n, uri=u, response=" R_MD5,
		 TDIGEST_USER_MAX + 1, 0);
	ck_assert_int_eq(parse(big, &r), -E2BIG);
	snprintf(big, sizeof big, "Digest username=\"%0*d\", realm=r, nonce=n, uri=u, response=" R_MD5,
		 TDIGEST_USER_MAX, 0);
	ck_assert_int_eq(parse(big, &r), 0);
	ck_assert_int_eq(tdigest_parse(rfc_md5, strlen(rfc_md5) - 1, &r), -EINVAL);   /* cut quote */
	ck_assert_int_eq(tdigest_parse(rfc_md5, 0, &r), -ENOTSUP);
}
END_TEST

START_TEST(challenge_format)
{
	char buf[512];
	int n = tdigest_challenge(TDIGEST_SHA256, "tandem", "abc", NULL, false, buf, sizeof buf);
	ck_assert_int_eq(n, (int)strlen(buf));
	ck_assert_str_eq(buf, "Digest realm=\"tandem\", nonce=\"abc\", algorithm=SHA-256, qop=\"auth\"");
	n = tdigest_challenge(TDIGEST_MD5, "a\"b\\c", "n", "op", true, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "Digest realm=\"a\\\"b\\\\c\", nonce=\"n\", opaque=\"op\", algorithm=MD5, "
			      "qop=\"auth\", stale=true");
	ck_assert_int_eq(tdigest_challenge(TDIGEST_MD5, "x\r\nEvil: 1", "n", NULL, false, buf, sizeof buf),
			 -EINVAL);
	for (size_t len = 1; len < 70; len++)
		ck_assert_int_eq(tdigest_challenge(TDIGEST_SHA256, "tandem", "abc", NULL, false, buf, len),
				 (len > 65 ? 65 : -ENOSPC));
	/* our own challenge, answered, parses back */
	struct tdigest_resp r;
	ck_assert_int_eq(parse("Digest username=\"u\", realm=\"a\\\"b\\\\c\", nonce=n, uri=u, response="
			       R_MD5, &r), 0);
	ck_assert_str_eq(r.realm, "a\"b\\c");
}
END_TEST

/* ---- nonces ---- */

START_TEST(nonce_valid_and_bound)
{
	tnonce_t *n;
	char a[TNONCE_LEN + 1], b[TNONCE_LEN + 1];
	ck_assert_int_eq(tnonce_new(NULL, &n), 0);
	ck_assert_int_eq(tnonce_make(n, "tandem", "192.0.2.1", 1000, a), 0);
	ck_assert_int_eq(tnonce_make(n, "tandem", "192.0.2.1", 1000, b), 0);
	ck_assert_uint_eq(strlen(a), TNONCE_LEN);
	ck_assert_str_ne(a, b);     /* same second, same source: still different */
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.1", 1000), TNONCE_VALID);
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.1", 1299), TNONCE_VALID);
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.1", 1300), TNONCE_STALE);
	tnonce_set_ttl(n, 1000);    /* a reload */
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.1", 1300), TNONCE_VALID);
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.1", 2000), TNONCE_STALE);
	tnonce_set_ttl(n, 300);
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.2", 1000), TNONCE_INVALID);
	ck_assert_int_eq(tnonce_check(n, a, "other", "192.0.2.1", 1000), TNONCE_INVALID);
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.1", 999), TNONCE_INVALID);
	a[TNONCE_LEN - 1] = a[TNONCE_LEN - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(tnonce_check(n, a, "tandem", "192.0.2.1", 1000), TNONCE_INVALID);
	ck_assert_int_eq(tnonce_check(n, "", "tandem", "192.0.2.1", 1000), TNONCE_INVALID);
	ck_assert_int_eq(tnonce_check(n, R_NONCE, "tandem", "192.0.2.1", 1000), TNONCE_INVALID);
	/* another process (another secret) does not accept ours */
	tnonce_t *other;
	ck_assert_int_eq(tnonce_new(&(struct tnonce_params){ .ttl = 10 }, &other), 0);
	ck_assert_int_eq(tnonce_check(other, b, "tandem", "192.0.2.1", 1000), TNONCE_INVALID);
	tnonce_free(other);
	tnonce_free(n);
}
END_TEST

START_TEST(nonce_count_replay)
{
	tnonce_t *n;
	char a[TNONCE_LEN + 1];
	ck_assert_int_eq(tnonce_new(NULL, &n), 0);
	ck_assert_int_eq(tnonce_make(n, "r", "::1", 5, a), 0);
	ck_assert_int_eq(tnonce_use(n, a, 0), -EINVAL);
	ck_assert_int_eq(tnonce_use(n, a, 1), 0);
	ck_assert_int_eq(tnonce_use(n, a, 1), -EALREADY);
	ck_assert_int_eq(tnonce_use(n, a, 3), 0);
	ck_assert_int_eq(tnonce_use(n, a, 2), -EALREADY);
	ck_assert_int_eq(tnonce_use(n, a, 4), 0);
	ck_assert_int_eq(tnonce_use(n, "nothex", 5), -EINVAL);
	tnonce_free(n);
}
END_TEST

START_TEST(nonce_table_bounded_lru)
{
	tnonce_t *n;
	char first[TNONCE_LEN + 1], second[TNONCE_LEN + 1], x[TNONCE_LEN + 1];
	ck_assert_int_eq(tnonce_new(&(struct tnonce_params){ .ttl = 300, .max_nonces = 8 }, &n), 0);
	ck_assert_int_eq(tnonce_make(n, "r", "10.0.0.1", 1, first), 0);
	ck_assert_int_eq(tnonce_make(n, "r", "10.0.0.1", 1, second), 0);
	ck_assert_int_eq(tnonce_use(n, first, 1), 0);   /* first is now the most recent */
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(tnonce_make(n, "r", "10.0.0.2", 2, x), 0);
	ck_assert_uint_eq(tnonce_count(n), 8);
	/* 'second' was least recently used: forgotten, so refused (never replayable) */
	ck_assert_int_eq(tnonce_check(n, second, "r", "10.0.0.1", 3), TNONCE_UNKNOWN);
	ck_assert_int_eq(tnonce_use(n, second, 1), -ENOENT);
	ck_assert_int_eq(tnonce_check(n, first, "r", "10.0.0.1", 3), TNONCE_VALID);
	ck_assert_int_eq(tnonce_use(n, first, 1), -EALREADY);
	ck_assert_int_eq(tnonce_use(n, first, 2), 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(tnonce_make(n, "r", "10.0.0.3", 4, x), 0);
	ck_assert_uint_eq(tnonce_count(n), 8);
	ck_assert_int_eq(tnonce_check(n, x, "r", "10.0.0.3", 4), TNONCE_VALID);
	ck_assert_int_eq(tnonce_check(n, first, "r", "10.0.0.1", 4), TNONCE_UNKNOWN);
	tnonce_free(n);
}
END_TEST

/* ---- verdicts: the client side computed with the same primitives ---- */

struct client {
	struct tdigest_resp r;
	char ha1[TDIGEST_HEX_MAX];
};

/* Answer the challenge 'nonce' as a client with 'password' would. */
static void answer(struct client *c, enum tdigest_alg alg, const char *password, const char *nonce,
		   uint32_t nc)
{
	memset(c, 0, sizeof *c);
	c->r.alg = alg;
	c->r.qop = true;
	c->r.nc = nc;
	snprintf(c->r.nc_text, sizeof c->r.nc_text, "%08x", nc);
	snprintf(c->r.username, sizeof c->r.username, "alice");
	snprintf(c->r.realm, sizeof c->r.realm, "tandem");
	snprintf(c->r.nonce, sizeof c->r.nonce, "%s", nonce);
	snprintf(c->r.uri, sizeof c->r.uri, "sip:tandem.example");
	snprintf(c->r.cnonce, sizeof c->r.cnonce, "0a4f113b");
	ck_assert_int_eq(tdigest_ha1(alg, "alice", "tandem", password, c->ha1), 0);
	ck_assert_int_eq(tdigest_expected(&c->r, "REGISTER", c->ha1, c->r.response), 0);
}

START_TEST(verify_verdicts)
{
	for (int alg = 0; alg < TDIGEST_NALGS; alg++) {
		tnonce_t *n;
		char nonce[TNONCE_LEN + 1], ha1[TDIGEST_HEX_MAX];
		struct client c;
		ck_assert_int_eq(tnonce_new(&(struct tnonce_params){ .ttl = 300 }, &n), 0);
		ck_assert_int_eq(tdigest_ha1(alg, "alice", "tandem", "s3cret", ha1), 0);
		ck_assert_int_eq(tnonce_make(n, "tandem", "192.0.2.7", 100, nonce), 0);

		answer(&c, alg, "wrong", nonce, 1);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 101),
				 TDIGEST_FAIL);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", NULL, "tandem", n, "192.0.2.7", 101),
				 TDIGEST_FAIL);
		answer(&c, alg, "s3cret", nonce, 1);
		ck_assert_int_eq(tdigest_verify(&c.r, "INVITE", ha1, "tandem", n, "192.0.2.7", 101),
				 TDIGEST_FAIL);     /* signed for another method */
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.8", 101),
				 TDIGEST_BADNONCE); /* nonce given to another source */
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 101),
				 TDIGEST_OK);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 102),
				 TDIGEST_REPLAY);
		answer(&c, alg, "s3cret", nonce, 2);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 102),
				 TDIGEST_OK);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 400),
				 TDIGEST_STALE);
		answer(&c, alg, "wrong", nonce, 3);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 400),
				 TDIGEST_FAIL);     /* stale only when the password was right */
		/* no qop: no nonce-count, no replay protection: refused */
		answer(&c, alg, "s3cret", nonce, 5);
		c.r.qop = false;
		ck_assert_int_eq(tdigest_expected(&c.r, "REGISTER", c.ha1, c.r.response), 0);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 103),
				 TDIGEST_FAIL);
		/* -sess with the same password */
		answer(&c, alg, "s3cret", nonce, 6);
		c.r.sess = true;
		ck_assert_int_eq(tdigest_expected(&c.r, "REGISTER", c.ha1, c.r.response), 0);
		ck_assert_int_eq(tdigest_verify(&c.r, "REGISTER", ha1, "tandem", n, "192.0.2.7", 103),
				 TDIGEST_OK);
		tnonce_free(n);
	}
	ck_assert_str_eq(tdigest_verdict_name(TDIGEST_REPLAY), "replayed nonce-count");
}
END_TEST

/* ---- ban list ---- */

START_TEST(ban_after_failures_and_unban)
{
	tban_t *b;
	struct tban_params p = { .failures = 3, .window = 60, .ban_time = 600 };
	ck_assert_int_eq(tban_new(&p, &b), 0);
	ck_assert(!tban_fail(b, "198.51.100.9", 1000));
	ck_assert(!tban_fail(b, "198.51.100.9", 1010));
	ck_assert(!tban_banned(b, "198.51.100.9", 1010));
	ck_assert(tban_fail(b, "198.51.100.9", 1020));  /* third within 60 s */
	ck_assert(tban_banned(b, "198.51.100.9", 1020));
	ck_assert(tban_banned(b, "::ffff:198.51.100.9", 1500));    /* the same source */
	ck_assert(!tban_banned(b, "198.51.100.10", 1500));
	ck_assert_uint_eq(tban_count(b, 1500), 1);
	ck_assert(!tban_fail(b, "198.51.100.9", 1500));  /* already banned: no new ban */
	ck_assert(tban_banned(b, "198.51.100.9", 1619));
	ck_assert(!tban_banned(b, "198.51.100.9", 1620));   /* 600 s later */
	ck_assert_uint_eq(tban_count(b, 1620), 0);
	/* after the ban the count starts again */
	ck_assert(!tban_fail(b, "198.51.100.9", 1621));
	ck_assert(!tban_banned(b, "198.51.100.9", 1621));
	tban_free(b);
}
END_TEST

START_TEST(ban_window_and_success)
{
	tban_t *b;
	struct tban_params p = { .failures = 3, .window = 60, .ban_time = 600 };
	ck_assert_int_eq(tban_new(&p, &b), 0);
	/* three failures, but never three within 60 s */
	ck_assert(!tban_fail(b, "2001:db8::1", 0));
	ck_assert(!tban_fail(b, "2001:db8::1", 50));
	ck_assert(!tban_fail(b, "2001:db8::1", 61));
	ck_assert(!tban_fail(b, "2001:db8::1", 100));
	ck_assert(tban_fail(b, "2001:db8::1", 110));
	ck_assert(tban_banned(b, "2001:db8::1", 110));
	/* a reload: a longer window bans what the old one did not */
	ck_assert(!tban_fail(b, "2001:db8::3", 0));
	ck_assert(!tban_fail(b, "2001:db8::3", 50));
	tban_set_params(b, &(struct tban_params){ .failures = 3, .window = 200, .ban_time = 5 });
	ck_assert(tban_fail(b, "2001:db8::3", 100));
	ck_assert(tban_banned(b, "2001:db8::3", 104));
	ck_assert(!tban_banned(b, "2001:db8::3", 105));
	ck_assert(tban_banned(b, "2001:db8::1", 700));  /* a running ban keeps its end */
	ck_assert(!tban_banned(b, "2001:db8::1", 710));
	/* a success forgets the failures */
	ck_assert(!tban_fail(b, "2001:db8::2", 0));
	ck_assert(!tban_fail(b, "2001:db8::2", 1));
	tban_success(b, "2001:db8::2");
	ck_assert(!tban_fail(b, "2001:db8::2", 2));
	ck_assert(!tban_fail(b, "2001:db8::2", 3));
	ck_assert(!tban_banned(b, "2001:db8::2", 3));
	ck_assert(!tban_fail(b, "not an address", 3));
	ck_assert(!tban_banned(b, "not an address", 3));
	tban_free(b);
}
END_TEST

START_TEST(ban_loopback_policy)
{
	tban_t *b;
	ck_assert_int_eq(tban_new(NULL, &b), 0);
	for (int i = 0; i < 100; i++) {
		ck_assert(!tban_fail(b, "127.0.0.1", 10));
		ck_assert(!tban_fail(b, "127.3.4.5", 10));
		ck_assert(!tban_fail(b, "::1", 10));
	}
	ck_assert(!tban_banned(b, "127.0.0.1", 10));
	ck_assert(!tban_banned(b, "::1", 10));
	tban_free(b);
	struct tban_params p = { .failures = 2, .window = 10, .ban_time = 10, .ban_loopback = true };
	ck_assert_int_eq(tban_new(&p, &b), 0);
	ck_assert(!tban_fail(b, "127.0.0.1", 10));
	ck_assert(tban_fail(b, "127.0.0.1", 10));
	ck_assert(tban_banned(b, "127.0.0.1", 11));
	tban_free(b);
	/* failures = 0: never ban */
	p = (struct tban_params){ .failures = 0, .window = 10, .ban_time = 10 };
	ck_assert_int_eq(tban_new(&p, &b), 0);
	for (int i = 0; i < 10; i++)
		ck_assert(!tban_fail(b, "192.0.2.1", 10));
	ck_assert(!tban_banned(b, "192.0.2.1", 10));
	tban_free(b);
}
END_TEST

START_TEST(ban_table_bounded)
{
	tban_t *b;
	struct tban_params p = { .failures = 1, .window = 10, .ban_time = 1000, .max_entries = 16 };
	ck_assert_int_eq(tban_new(&p, &b), 0);
	ck_assert(tban_fail(b, "203.0.113.1", 0));
	char ip[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.1", i / 256, i % 256);
		ck_assert(tban_fail(b, ip, 1));
		/* a banned source that keeps knocking stays recent, so stays banned */
		ck_assert(tban_banned(b, "203.0.113.1", 2));
	}
	ck_assert_uint_eq(tban_count(b, 2), 16);
	ck_assert(tban_banned(b, ip, 2));
	ck_assert(!tban_banned(b, "10.0.0.1", 2));  /* forgotten: the oldest */
	tban_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");
	tcase_add_test(tc, rfc7616_md5);
	tcase_add_test(tc, rfc7616_sha256);
	tcase_add_test(tc, wrong_password_fails);
	tcase_add_test(tc, parse_variants);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, challenge_format);
	suite_add_tcase(s, tc);
	tc = tcase_create("nonce");
	tcase_add_test(tc, nonce_valid_and_bound);
	tcase_add_test(tc, nonce_count_replay);
	tcase_add_test(tc, nonce_table_bounded_lru);
	tcase_add_test(tc, verify_verdicts);
	suite_add_tcase(s, tc);
	tc = tcase_create("banlist");
	tcase_add_test(tc, ban_after_failures_and_unban);
	tcase_add_test(tc, ban_window_and_success);
	tcase_add_test(tc, ban_loopback_policy);
	tcase_add_test(tc, ban_table_bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
