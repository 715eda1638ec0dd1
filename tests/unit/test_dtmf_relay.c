/* test_dtmf_relay.c - DTMF in SIP INFO bodies (sip/dtmf_relay.h): the
 * dtmf-relay bodies peers send (CRLF or LF, spaces, case, event codes, no
 * Duration), application/dtmf, what is refused, and what we write. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/dtmf_relay.h"

static void ok(const char *ctype, const char *body, char want, unsigned want_ms)
{
	char d = 0;
	unsigned ms = 0;
	int rc = dtmf_relay_parse(ctype, body, strlen(body), &d, &ms);
	ck_assert_msg(rc == 0, "\"%s\": %d", body, rc);
	ck_assert_int_eq(d, want);
	ck_assert_uint_eq(ms, want_ms);
}

static void bad(const char *ctype, const char *body, int want_rc)
{
	char d = 0;
	unsigned ms = 0;
	ck_assert_int_eq(dtmf_relay_parse(ctype, body, strlen(body), &d, &ms), want_rc);
}

START_TEST(parse_dtmf_relay)
{
	ok("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', 160);
	ok("application/dtmf-relay", "Signal=5\nDuration=160\n", '5', 160);
	ok("Application/DTMF-Relay; charset=x", "signal = #\r\nduration= 100", '#', 100);
	ok(NULL, "Duration=300\r\nSignal=*\r\n", '*', 300);
	ok("application/dtmf-relay", "Signal=11\r\n", '#', 250);      /* event code, default */
	ok("application/dtmf-relay", "Signal=d\r\nDuration=99999999\r\n", 'D', 60000);
	ok("application/dtmf-relay", "Foo=1\r\nSignal= 0 \r\nDuration=x\r\n", '0', 250);
	ok("application/dtmf", "7", '7', 250);
	ok("application/dtmf", " 12\r\n", 'A', 250);
	bad("application/dtmf-relay", "Signal=E\r\n", -EINVAL);
	bad("application/dtmf-relay", "Signal=16\r\n", -EINVAL);
	bad("application/dtmf-relay", "Signal=55\r\n", -EINVAL);
	bad("application/dtmf-relay", "Signal=\r\n", -EINVAL);
	bad("application/dtmf-relay", "Duration=100\r\n", -EINVAL);
	bad("application/dtmf-relay", "", -EINVAL);
	bad("application/dtmf", "", -EINVAL);
	bad("application/dtmf", "xy", -EINVAL);
	bad("application/sdp", "Signal=5\r\n", -ENOTSUP);
	bad("application/dtmf-relayx", "Signal=5\r\n", -ENOTSUP);
	/* Embedded NULs and oversized bodies. */
	char d;
	unsigned ms;
	ck_assert_int_eq(dtmf_relay_parse(NULL, "Signal=\0" "5", 9, &d, &ms), -EINVAL);
	char *big = calloc(1, DTMF_RELAY_MAX_BODY + 2);
	memset(big, ' ', DTMF_RELAY_MAX_BODY + 1);
	memcpy(big, "Signal=5\n", 9);
	ck_assert_int_eq(dtmf_relay_parse(NULL, big, DTMF_RELAY_MAX_BODY + 1, &d, &ms), -EINVAL);
	ck_assert_int_eq(dtmf_relay_parse(NULL, big, DTMF_RELAY_MAX_BODY, &d, &ms), 0);
	free(big);
}
END_TEST

START_TEST(format_dtmf_relay)
{
	char out[64], small[20];
	ck_assert_int_eq(dtmf_relay_format('5', 160, out, sizeof out), 24);
	ck_assert_str_eq(out, "Signal=5\r\nDuration=160\r\n");
	ck_assert_int_eq(dtmf_relay_format('b', 80, out, sizeof out), 23);
	ck_assert_str_eq(out, "Signal=B\r\nDuration=80\r\n");
	ck_assert_int_eq(dtmf_relay_format('x', 80, out, sizeof out), -EINVAL);
	ck_assert_int_eq(dtmf_relay_format(0, 80, out, sizeof out), -EINVAL);
	ck_assert_int_eq(dtmf_relay_format('1', 80, small, sizeof small), -ENOBUFS);
	/* What we write, we read back. */
	const char *all = "0123456789*#ABCD";
	for (const char *p = all; *p; p++) {
		char d;
		unsigned ms;
		int n = dtmf_relay_format(*p, 120, out, sizeof out);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(dtmf_relay_parse(DTMF_RELAY_TYPE, out, (size_t)n, &d, &ms), 0);
		ck_assert_int_eq(d, *p);
		ck_assert_uint_eq(ms, 120);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dtmf_relay");
	TCase *tc = tcase_create("body");
	tcase_add_test(tc, parse_dtmf_relay);
	tcase_add_test(tc, format_dtmf_relay);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
