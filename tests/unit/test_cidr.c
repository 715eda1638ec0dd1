/* test_cidr.c - trusted-source ranges (core/cidr.c) and the config keys that
 * use them and the subscribers: a trunk's acl, route targets user:NAME,
 * [registrar] keepalive and [auth] digest_algorithms.
 */
#include "config.h"

#include <check.h>
#include <string.h>
#include <sys/socket.h>

#include "core/cidr.h"
#include "core/config.h"

#define IFACE "[lo]\ntype = interface\naddress = 127.0.0.1\n"

static struct tconf_errors errs;

static void setup(void) { memset(&errs, 0, sizeof errs); }
static void teardown(void) { tconf_errors_free(&errs); }

static tconf_t *load(const char *text)
{
	return tconf_load_string("t.conf", text, strlen(text), 1, &errs);
}

static bool match(const char *range, const char *ip)
{
	struct tcidr r;
	ck_assert_int_eq(tcidr_parse(range, &r), 0);
	return tcidr_match(&r, ip);
}

START_TEST(parse_and_match)
{
	ck_assert(match("192.0.2.0/24", "192.0.2.77"));
	ck_assert(!match("192.0.2.0/24", "192.0.3.1"));
	ck_assert(match("198.51.100.7", "198.51.100.7"));
	ck_assert(!match("198.51.100.7", "198.51.100.8"));
	ck_assert(match("0.0.0.0/0", "203.0.113.9"));
	ck_assert(match("10.0.0.0/9", "10.127.255.255"));
	ck_assert(!match("10.0.0.0/9", "10.128.0.0"));
	ck_assert(match("2001:db8::/32", "2001:db8:1::5"));
	ck_assert(!match("2001:db8::/32", "2001:db9::5"));
	/* an IPv4-mapped IPv6 source is the IPv4 address */
	ck_assert(match("127.0.0.0/8", "::ffff:127.0.0.2"));
	ck_assert(!match("127.0.0.0/8", "::1"));
	ck_assert(!match("127.0.0.0/8", "not an address"));
	ck_assert(!match("::/0", "192.0.2.1"));
}
END_TEST

START_TEST(parse_errors)
{
	struct tcidr r;
	const char *bad[] = { "", "192.0.2.0/", "192.0.2.0/33", "192.0.2.1/24", "192.0.2.0/x",
			      "2001:db8::/129", "example.com", "192.0.2.0/24/1", "1.2.3", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(tcidr_parse(bad[i], &r) < 0, "'%s' parsed", bad[i]);
	ck_assert_int_eq(tcidr_parse("::1", &r), 0);
	ck_assert_int_eq(r.family, AF_INET6);
	ck_assert_uint_eq(r.bits, 128);
}
END_TEST

START_TEST(conf_acl)
{
	tconf_t *c = load(IFACE "[t]\ntype = trunk\nhost = 192.0.2.1\nacl = host, 198.51.100.0/24\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->trunks[0].acl[0], "host");
	ck_assert_str_eq(c->trunks[0].acl[1], "198.51.100.0/24");
	ck_assert_ptr_null(c->trunks[0].acl[2]);
	tconf_unref(c);

	ck_assert_ptr_null(load(IFACE "[t]\ntype = trunk\nhost = 192.0.2.1\nacl = 192.0.2.1/24\n"));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:7: [t] acl: '192.0.2.1/24' is not an IP address or range "
			 "(e.g. 192.0.2.0/24)");
	tconf_errors_free(&errs);
	ck_assert_ptr_null(load(IFACE "[t]\ntype = trunk\nhost = sip.example.net\nacl = host\n"));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:7: [t] acl: 'host' needs an IP address as host, not "
			 "'sip.example.net'");
}
END_TEST

START_TEST(conf_user_target)
{
	tconf_t *c = load(IFACE "[alice]\ntype = user\npassword = x\nnumber = 201\n"
			  "[routes]\n0 = user:alice\n");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->routes[0].targets[0].kind, TCONF_TARGET_USER);
	ck_assert_ptr_eq(c->routes[0].targets[0].user, &c->users[0]);
	ck_assert_str_eq(tconf_target_name(&c->routes[0].targets[0]), "alice");
	/* defaults of the subscriber keys */
	ck_assert_int_eq(c->registrar.keepalive, TCONF_KA_OPTIONS);
	ck_assert_uint_eq(c->registrar.keepalive_interval, 30);
	ck_assert_uint_eq(c->auth.digest_algorithms, TCONF_DIGEST_MD5 | TCONF_DIGEST_SHA256);
	ck_assert(!c->auth.md5_first);
	tconf_unref(c);

	ck_assert_ptr_null(load(IFACE "[routes]\n0 = user:bob\n"));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "t.conf:5: [routes] 0: no user named 'bob' (users.conf)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("all");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parse_and_match);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, conf_acl);
	tcase_add_test(tc, conf_user_target);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
