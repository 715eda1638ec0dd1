/* test_srv_order.c - SRV target order (RFC 2782): priority first, weighted
 * random within a priority, measured over many draws. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "sip/srv_order.h"

static uint32_t lcg(void *arg)
{
	uint32_t *st = arg;
	*st = *st * 1664525u + 1013904223u;
	return *st >> 8;
}

static struct srv_rr rr(uint16_t prio, uint16_t weight, const char *name)
{
	struct srv_rr r = { .priority = prio, .weight = weight, .port = 5060 };
	snprintf(r.target, sizeof r.target, "%s", name);
	return r;
}

START_TEST(priority_first)
{
	struct srv_rr v[4] = { rr(30, 5, "c"), rr(10, 0, "a"), rr(20, 100, "b"), rr(10, 0, "a2") };
	uint32_t st = 1;
	srv_order(v, 4, lcg, &st);
	ck_assert_uint_eq(v[0].priority, 10);
	ck_assert_uint_eq(v[1].priority, 10);
	ck_assert_str_eq(v[2].target, "b");
	ck_assert_str_eq(v[3].target, "c");
}
END_TEST

START_TEST(weights_share)
{
	/* weights 60/30/10 in one priority: how often each comes first */
	unsigned first[3] = { 0 };
	uint32_t st = 7;
	const int runs = 20000;
	for (int i = 0; i < runs; i++) {
		struct srv_rr v[3] = { rr(1, 60, "x"), rr(1, 30, "y"), rr(1, 10, "z") };
		srv_order(v, 3, lcg, &st);
		first[v[0].target[0] - 'x']++;
		/* every target is in the list exactly once */
		ck_assert(strcmp(v[0].target, v[1].target) && strcmp(v[1].target, v[2].target) &&
			  strcmp(v[0].target, v[2].target));
	}
	ck_assert_int_ge(first[0], runs * 57 / 100);
	ck_assert_int_le(first[0], runs * 63 / 100);
	ck_assert_int_ge(first[1], runs * 27 / 100);
	ck_assert_int_le(first[1], runs * 33 / 100);
	ck_assert_int_ge(first[2], runs * 8 / 100);
	ck_assert_int_le(first[2], runs * 12 / 100);
}
END_TEST

START_TEST(edge_cases)
{
	uint32_t st = 3;
	srv_order(NULL, 0, lcg, &st);
	struct srv_rr one = rr(5, 0, "only");
	srv_order(&one, 1, lcg, &st);
	ck_assert_str_eq(one.target, "only");
	struct srv_rr zero[2] = { rr(1, 0, "p"), rr(1, 0, "q") };
	srv_order(zero, 2, lcg, &st);
	ck_assert(strcmp(zero[0].target, zero[1].target));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("srv_order");
	TCase *tc = tcase_create("order");
	tcase_add_test(tc, priority_first);
	tcase_add_test(tc, weights_share);
	tcase_add_test(tc, edge_cases);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
