/* test_cdr_sink.c - the CDR modules' spool and writer thread, with a fake
 * backend that can be "down": records are spooled while it is, delivered in
 * order once it is back, survive a restart (replayed first), a torn spool
 * tail is cut, and a record the backend refuses as data is set aside without
 * holding up the others. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/cdr.h"
#include "core/cdr_sink.h"
#include "core/cdr_spool.h"

/* --- fake backend -------------------------------------------------------------- */

#define FAKE_MAX 256
static pthread_mutex_t fk_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool fk_down;
static char fk_uid[FAKE_MAX][128], fk_call[FAKE_MAX][32];
static int fk_n, fk_calls, fk_fail_calls;
static char fk_refuse[32];          /* a call id the "database" refuses as data */

static int fk_open(const struct tandem_cdr_params *p, void **state)
{
	*state = (void *)p;
	return 0;
}

static int fk_write(void *state, const struct tandem_cdr_record *r, size_t n)
{
	(void)state;
	pthread_mutex_lock(&fk_lock);
	fk_calls++;
	if (atomic_load(&fk_down)) {
		fk_fail_calls++;
		pthread_mutex_unlock(&fk_lock);
		return -ECONNREFUSED;
	}
	for (size_t i = 0; i < n; i++)
		if (fk_refuse[0] && !strcmp(r[i].call_id, fk_refuse)) {
			pthread_mutex_unlock(&fk_lock);
			return -EINVAL;
		}
	for (size_t i = 0; i < n && fk_n < FAKE_MAX; i++, fk_n++) {
		snprintf(fk_uid[fk_n], sizeof fk_uid[0], "%s", r[i].attempt_uid);
		snprintf(fk_call[fk_n], sizeof fk_call[0], "%s", r[i].call_id);
	}
	pthread_mutex_unlock(&fk_lock);
	return 0;
}

static void fk_close(void *state) { (void)state; }

static const struct tandem_cdr_backend fake = {
	.struct_size = sizeof fake, .name = "fake",
	.open = fk_open, .write = fk_write, .close = fk_close,
	.record_size = sizeof(struct tandem_cdr_record),
};
static const struct tandem_cdr_params params = { sizeof params, "db", "t" };

static void fk_reset(void)
{
	pthread_mutex_lock(&fk_lock);
	fk_n = fk_calls = fk_fail_calls = 0;
	fk_refuse[0] = '\0';
	pthread_mutex_unlock(&fk_lock);
	atomic_store(&fk_down, false);
}

static int fk_count(void)
{
	pthread_mutex_lock(&fk_lock);
	int n = fk_n;
	pthread_mutex_unlock(&fk_lock);
	return n;
}

/* wait until the fake holds n records (ms at most); returns the count */
static int wait_count(int n, int ms)
{
	for (int i = 0; i < ms / 10 && fk_count() < n; i++)
		usleep(10000);
	return fk_count();
}

static char g_dir[64];

static void setup(void)
{
	snprintf(g_dir, sizeof g_dir, "/tmp/tandem-cdrsink.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g_dir));
	fk_reset();
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct tcdr_record rec(const char *call_id, unsigned attempt)
{
	struct tcdr_record r = {
		.node = "gw1", .call_id = call_id, .attempt = attempt,
		.start = { 1795780000, 5000000 }, .answer = { 1795780002, 250000000 },
		.end = { 1795780062, 900000000 },
		.caller = "alice", .called_in = "+4412345", .called_out = "4412345",
		.target = "carrier-a", .final_code = 200, .q850 = 16, .disposition = "ANSWERED",
		.codec_a = "PCMU/8000", .codec_b = "PCMA/8000",
		.a_in = 3000, .a_out = 2990, .b_in = 2980, .b_out = 3001, .a_dropped = 1,
		.qa = { .expected = 3010, .lost = 12, .jitter_ms = 1.125, .mos = 4.05 },
		.qb = { .expected = 2990, .jitter_ms = 0.5, .have_rtt = true, .rtt_ms = 12.5,
			.have_remote = true, .remote_lost = -2, .mos = 4.41 },
		.source = "pbx", .caller_out = "anonymous",
	};
	return r;
}

static tcdr_sink_t *new_sink(void)
{
	tcdr_sink_t *s = NULL;
	char err[256] = "";
	ck_assert_msg(tcdr_sink_new(&fake, &params, g_dir, "gw1", &s, err, sizeof err) == 0, "%s", err);
	return s;
}

static void submit_calls(tcdr_sink_t *s, int from, int to)
{
	char id[16];
	for (int i = from; i < to; i++) {
		snprintf(id, sizeof id, "c%06d", i);
		struct tcdr_record r = rec(id, 1);
		ck_assert_int_eq(tcdr_sink_submit(s, &r), 0);
	}
}

static int spool_lines(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/cdr-fake.spool", g_dir);
	FILE *f = fopen(path, "r");
	int n = 0, ch;
	if (!f)
		return -1;
	while ((ch = getc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* --- tests ---------------------------------------------------------------------- */

START_TEST(test_encode_decode_roundtrip)
{
	struct tcdr_record r = rec("c000042", 2);
	char *line = tcdr_sink_encode(&r, "gw1/run/c000042-2");
	struct tandem_cdr_record d;
	void *holder;
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert_int_eq(tcdr_sink_decode(line, &d, &holder), 0);
	ck_assert_str_eq(d.attempt_uid, "gw1/run/c000042-2");
	ck_assert_str_eq(d.call_id, "c000042");
	ck_assert_uint_eq(d.attempt, 2);
	ck_assert_int_eq(d.start_us, 1795780000005000LL);
	ck_assert_int_eq(d.answer_us, 1795780002250000LL);
	ck_assert_int_eq(d.end_us, 1795780062900000LL);
	ck_assert_str_eq(d.called_out, "4412345");
	ck_assert_int_eq(d.final_code, 200);
	ck_assert_int_eq(d.q850, 16);
	ck_assert_str_eq(d.codec_b, "PCMA/8000");
	ck_assert_uint_eq(d.b_pkts_out, 3001);
	ck_assert_uint_eq(d.a_dropped, 1);
	/* ABI 1.3: quality per leg, source, caller_out; unknowns stay unknown */
	ck_assert_uint_eq(d.struct_size, sizeof d);
	ck_assert(TANDEM_CDR_HAS(&d, caller_out));
	ck_assert_uint_eq(d.qa.rtp_expected, 3010);
	ck_assert_uint_eq(d.qa.rtp_lost, 12);
	ck_assert_double_eq(d.qa.jitter_ms, 1.125);
	ck_assert_double_lt(d.qa.rtt_ms, 0);
	ck_assert_uint_eq(d.qa.have_remote, 0);
	ck_assert_double_eq(d.qa.mos, 4.05);
	ck_assert_uint_eq(d.qb.rtp_lost, 0);
	ck_assert_double_eq(d.qb.rtt_ms, 12.5);
	ck_assert_uint_eq(d.qb.have_remote, 1);
	ck_assert_int_eq(d.qb.remote_lost, -2);
	ck_assert_double_eq(d.qb.mos, 4.41);
	ck_assert_str_eq(d.source, "pbx");
	ck_assert_str_eq(d.caller_out, "anonymous");
	free(line);
	json_decref(holder);
	/* a spooled line that is not a record is refused, not half-read */
	ck_assert_int_eq(tcdr_sink_decode("{\"uid\":1}", &d, &holder), -EINVAL);
	ck_assert_int_eq(tcdr_sink_decode("not json", &d, &holder), -EINVAL);
	/* missing fields read as empty strings and zeros */
	ck_assert_int_eq(tcdr_sink_decode("{\"uid\":\"x\",\"start\":1}", &d, &holder), 0);
	ck_assert_str_eq(d.attempt_uid, "x");
	ck_assert_str_eq(d.caller, "");
	ck_assert_int_eq(d.final_code, 0);
	/* ... and a line spooled before ABI 1.3 carries none of its fields */
	ck_assert_uint_eq(d.struct_size, TANDEM_CDR_RECORD_SIZE_1_2);
	ck_assert(!TANDEM_CDR_HAS(&d, qa));
	json_decref(holder);
}
END_TEST

/* A backend built for ABI 1.2 reads write()'s array with the 1.2 record size:
 * the daemon lays the records out at that stride. */
static char old_call[4][32];
static size_t old_n;
static int old_write(void *state, const struct tandem_cdr_record *r, size_t n)
{
	(void)state;
	const unsigned char *p = (const unsigned char *)r;
	for (size_t i = 0; i < n && old_n < 4; i++, old_n++) {
		const struct tandem_cdr_record *one =
			(const void *)(p + i * TANDEM_CDR_RECORD_SIZE_1_2);
		ck_assert_uint_eq(one->struct_size, TANDEM_CDR_RECORD_SIZE_1_2);
		snprintf(old_call[old_n], sizeof old_call[0], "%s/%llu", one->call_id,
			 (unsigned long long)one->b_pkts_out);
	}
	return 0;
}

START_TEST(test_abi_1_2_backend_stride)
{
	static const struct tandem_cdr_backend old = {
		.struct_size = TANDEM_CDR_BACKEND_SIZE_1_2, .name = "old",
		.open = fk_open, .write = old_write, .close = fk_close,
	};
	tcdr_sink_t *s = NULL;
	char err[256] = "";
	old_n = 0;
	ck_assert_int_eq(tcdr_sink_new(&old, &params, g_dir, "gw1", &s, err, sizeof err), 0);
	for (int i = 0; i < 3; i++) {
		char id[16];
		snprintf(id, sizeof id, "old%d", i);
		struct tcdr_record r = rec(id, 1);
		r.b_out = 100 + (uint64_t)i;
		ck_assert_int_eq(tcdr_sink_submit(s, &r), 0);
	}
	for (int i = 0; i < 500 && old_n < 3; i++)
		usleep(10000);
	tcdr_sink_free(s);
	ck_assert_uint_eq(old_n, 3);
	ck_assert_str_eq(old_call[0], "old0/100");
	ck_assert_str_eq(old_call[1], "old1/101");
	ck_assert_str_eq(old_call[2], "old2/102");
}
END_TEST

START_TEST(test_delivered_in_order)
{
	tcdr_sink_t *s = new_sink();
	submit_calls(s, 0, 50);
	ck_assert_int_eq(wait_count(50, 5000), 50);
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%06d", i);
		ck_assert_str_eq(fk_call[i], id);
	}
	struct tcdr_sink_stats st;
	/* the counters follow the backend's return */
	for (int i = 0; i < 500; i++) {
		tcdr_sink_stats(s, &st);
		if (st.written == 50)
			break;
		usleep(10000);
	}
	ck_assert_uint_eq(st.written, 50);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert(st.up);
	/* every uid is unique and ends in CALLID-ATTEMPT */
	for (int i = 0; i < 50; i++) {
		ck_assert_ptr_nonnull(strstr(fk_uid[i], fk_call[i]));
		ck_assert_str_eq(fk_uid[i] + strlen(fk_uid[i]) - 2, "-1");
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(fk_uid[i], fk_uid[j]);
	}
	tcdr_sink_free(s);
	ck_assert_int_eq(spool_lines(), 0);   /* delivered: the spool is emptied */
}
END_TEST

START_TEST(test_outage_spools_then_replays_in_order)
{
	atomic_store(&fk_down, true);
	tcdr_sink_t *s = new_sink();
	submit_calls(s, 0, 10);
	/* on disk while the backend is down, nothing delivered */
	for (int i = 0; i < 200 && spool_lines() < 10; i++)
		usleep(10000);
	ck_assert_int_eq(spool_lines(), 10);
	ck_assert_int_eq(fk_count(), 0);
	struct tcdr_sink_stats st;
	for (int i = 0; i < 500; i++) {         /* the first failed delivery follows the spooling */
		tcdr_sink_stats(s, &st);
		if (st.pending == 10 && !st.up && st.failures)
			break;
		usleep(10000);
	}
	ck_assert_uint_eq(st.pending, 10);
	ck_assert(!st.up);
	ck_assert_uint_ge(st.failures, 1);
	submit_calls(s, 10, 15);                 /* more while down */
	atomic_store(&fk_down, false);
	submit_calls(s, 15, 20);                 /* and after it is back */
	ck_assert_int_eq(wait_count(20, 15000), 20);
	for (int i = 0; i < 500; i++) {
		tcdr_sink_stats(s, &st);
		if (st.written == 20)
			break;
		usleep(10000);
	}
	for (int i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%06d", i);
		ck_assert_str_eq(fk_call[i], id);
	}
	tcdr_sink_stats(s, &st);
	ck_assert(st.up);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.written, 20);
	tcdr_sink_free(s);
}
END_TEST

START_TEST(test_restart_replays_first)
{
	atomic_store(&fk_down, true);
	tcdr_sink_t *s = new_sink();
	submit_calls(s, 0, 7);
	for (int i = 0; i < 200 && spool_lines() < 7; i++)
		usleep(10000);
	tcdr_sink_free(s);                       /* "tandemd stops" while the db is down */
	ck_assert_int_eq(spool_lines(), 7);
	ck_assert_int_eq(fk_count(), 0);
	char first_uid[128];

	atomic_store(&fk_down, false);
	s = new_sink();                          /* next start */
	submit_calls(s, 100, 103);
	ck_assert_int_eq(wait_count(10, 5000), 10);
	for (int i = 0; i < 7; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%06d", i);
		ck_assert_str_eq(fk_call[i], id);
	}
	ck_assert_str_eq(fk_call[7], "c000100");
	/* the replayed records keep the uid of their run; the new run has another */
	snprintf(first_uid, sizeof first_uid, "%s", fk_uid[0]);
	ck_assert_int_ne(strncmp(first_uid, fk_uid[7], strlen("gw1/") + 16), 0);
	tcdr_sink_free(s);
	ck_assert_int_eq(spool_lines(), 0);
}
END_TEST

START_TEST(test_refused_record_set_aside)
{
	snprintf(fk_refuse, sizeof fk_refuse, "c000003");
	tcdr_sink_t *s = new_sink();
	submit_calls(s, 0, 6);
	ck_assert_int_eq(wait_count(5, 5000), 5);
	struct tcdr_sink_stats st;
	for (int i = 0; i < 500; i++) {
		tcdr_sink_stats(s, &st);
		if (st.rejected == 1 && st.pending == 0)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(fk_count(), 5);
	ck_assert_uint_eq(st.rejected, 1);
	ck_assert_uint_eq(st.pending, 0);
	tcdr_sink_free(s);
	char path[128], line[1024] = "";
	snprintf(path, sizeof path, "%s/cdr-fake.rejected", g_dir);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	ck_assert_ptr_nonnull(strstr(line, "\"c000003\""));
}
END_TEST

START_TEST(test_spool_torn_tail_and_offset)
{
	tcdr_spool_t *sp;
	char *lines[] = { "{\"a\":1}", "{\"a\":2}", "{\"a\":3}" };
	ck_assert_int_eq(tcdr_spool_open(g_dir, "fake", &sp), 0);
	ck_assert_int_eq(tcdr_spool_append(sp, lines, 3), 0);
	char *got[4];
	size_t bytes;
	ck_assert_int_eq(tcdr_spool_peek(sp, 2, got, &bytes), 2);
	ck_assert_str_eq(got[0], "{\"a\":1}");
	ck_assert_str_eq(got[1], "{\"a\":2}");
	ck_assert_uint_eq(bytes, 16);
	free(got[0]);
	free(got[1]);
	ck_assert_int_eq(tcdr_spool_commit(sp, bytes, 2), 0);
	ck_assert_uint_eq(tcdr_spool_pending(sp), 1);
	tcdr_spool_close(sp);

	/* a crash in the middle of a write leaves half a line */
	char path[128];
	snprintf(path, sizeof path, "%s/cdr-fake.spool", g_dir);
	FILE *f = fopen(path, "a");
	fputs("{\"a\":4", f);
	fclose(f);
	ck_assert_int_eq(tcdr_spool_open(g_dir, "fake", &sp), 0);
	ck_assert_uint_eq(tcdr_spool_pending(sp), 1);
	ck_assert_int_eq(tcdr_spool_peek(sp, 4, got, &bytes), 1);
	ck_assert_str_eq(got[0], "{\"a\":3}");
	free(got[0]);
	ck_assert_int_eq(tcdr_spool_commit(sp, bytes, 1), 0);
	ck_assert_uint_eq(tcdr_spool_pending(sp), 0);
	tcdr_spool_close(sp);
	ck_assert_int_eq(spool_lines(), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cdr_sink");
	TCase *tc = tcase_create("cdr_sink");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_encode_decode_roundtrip);
	tcase_add_test(tc, test_delivered_in_order);
	tcase_add_test(tc, test_outage_spools_then_replays_in_order);
	tcase_add_test(tc, test_restart_replays_first);
	tcase_add_test(tc, test_refused_record_set_aside);
	tcase_add_test(tc, test_abi_1_2_backend_stride);
	tcase_add_test(tc, test_spool_torn_tail_and_offset);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
