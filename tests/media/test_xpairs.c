/* test_xpairs.c - the transcoding-by-codec-pair table behind
 * tandem_media_transcoded_sessions (media/xpairs.h): a session moves between
 * pairs when its codecs change (re-INVITE), pairs stay listed at 0, sessions
 * past the table's size count under "other", and concurrent owner threads
 * keep the counts exact. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/xpairs.h"

static unsigned count(struct xpairs *t, const char *a, const char *b)
{
	struct media_xpair p[XPAIRS_MAX];
	size_t n = xpairs_snapshot(t, p, XPAIRS_MAX);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].codec_a, a) && !strcmp(p[i].codec_b, b))
			return p[i].sessions;
	return 999;                 /* not listed */
}

START_TEST(test_move_and_keep)
{
	struct xpairs t;
	xpairs_init(&t);
	ck_assert_uint_eq(count(&t, "PCMU/8000", "opus/48000/2"), 999);
	int s1 = xpairs_set(&t, -1, "PCMU/8000", "opus/48000/2");
	int s2 = xpairs_set(&t, -1, "PCMU/8000", "opus/48000/2");
	ck_assert_int_eq(s1, s2);
	ck_assert_uint_eq(count(&t, "PCMU/8000", "opus/48000/2"), 2);
	/* the same plan again (a re-INVITE that changes nothing): no change */
	ck_assert_int_eq(xpairs_set(&t, s1, "PCMU/8000", "opus/48000/2"), s1);
	ck_assert_uint_eq(count(&t, "PCMU/8000", "opus/48000/2"), 2);
	/* a re-INVITE to G.722 moves one session */
	s2 = xpairs_set(&t, s2, "G722/8000", "opus/48000/2");
	ck_assert_uint_eq(count(&t, "PCMU/8000", "opus/48000/2"), 1);
	ck_assert_uint_eq(count(&t, "G722/8000", "opus/48000/2"), 1);
	/* back to pass-through, then the end: both pairs stay listed at 0 */
	ck_assert_int_eq(xpairs_set(&t, s1, NULL, "opus/48000/2"), -1);
	ck_assert_int_eq(xpairs_set(&t, s2, NULL, NULL), -1);
	ck_assert_uint_eq(count(&t, "PCMU/8000", "opus/48000/2"), 0);
	ck_assert_uint_eq(count(&t, "G722/8000", "opus/48000/2"), 0);
	/* a session not counted ends: nothing goes below 0 */
	ck_assert_int_eq(xpairs_set(&t, -1, NULL, NULL), -1);
	ck_assert_uint_eq(count(&t, "PCMU/8000", "opus/48000/2"), 0);
	xpairs_fini(&t);
}
END_TEST

START_TEST(test_overflow_other)
{
	struct xpairs t;
	char a[32];
	int idx[XPAIRS_MAX + 10];
	xpairs_init(&t);
	for (int i = 0; i < XPAIRS_MAX + 10; i++) {
		snprintf(a, sizeof a, "c%d/8000", i);
		idx[i] = xpairs_set(&t, -1, a, "PCMA/8000");
	}
	struct media_xpair p[XPAIRS_MAX];
	ck_assert_uint_eq(xpairs_snapshot(&t, p, XPAIRS_MAX), XPAIRS_MAX);
	ck_assert_str_eq(p[XPAIRS_MAX - 1].codec_a, "other");
	ck_assert_str_eq(p[XPAIRS_MAX - 1].codec_b, "other");
	ck_assert_uint_eq(p[XPAIRS_MAX - 1].sessions, 11);  /* 63 listed, the other 11 */
	ck_assert_uint_eq(count(&t, "c62/8000", "PCMA/8000"), 1);
	ck_assert_uint_eq(count(&t, "c63/8000", "PCMA/8000"), 999);
	for (int i = 0; i < XPAIRS_MAX + 10; i++)
		xpairs_set(&t, idx[i], NULL, NULL);
	ck_assert_uint_eq(count(&t, "other", "other"), 0);
	xpairs_fini(&t);
}
END_TEST

static struct xpairs g_t;

static void *churn(void *arg)
{
	const char *b = arg;
	for (int i = 0; i < 20000; i++) {
		int k = xpairs_set(&g_t, -1, "PCMU/8000", b);
		k = xpairs_set(&g_t, k, "PCMA/8000", b);
		xpairs_set(&g_t, k, NULL, NULL);
	}
	return NULL;
}

START_TEST(test_threads_exact)
{
	pthread_t th[4];
	const char *b[4] = { "opus/48000/2", "G722/8000", "opus/48000/2", "G722/8000" };
	xpairs_init(&g_t);
	int held = xpairs_set(&g_t, -1, "PCMU/8000", "opus/48000/2");
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, churn, (void *)b[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_eq(count(&g_t, "PCMU/8000", "opus/48000/2"), 1);
	ck_assert_uint_eq(count(&g_t, "PCMA/8000", "opus/48000/2"), 0);
	ck_assert_uint_eq(count(&g_t, "PCMU/8000", "G722/8000"), 0);
	xpairs_set(&g_t, held, NULL, NULL);
	xpairs_fini(&g_t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xpairs");
	TCase *tc = tcase_create("xpairs");
	tcase_add_test(tc, test_move_and_keep);
	tcase_add_test(tc, test_overflow_other);
	tcase_add_test(tc, test_threads_exact);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
