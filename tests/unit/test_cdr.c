/* test_cdr.c - call record formatting, quoting, Q.850 mapping, file writing. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cdr.h"

static struct tcdr_record sample(void)
{
	struct tcdr_record r = {
		.node = "gw1", .call_id = "c000001", .attempt = 2,
		.start = { 1795780000, 5000000 }, .answer = { 1795780002, 250000000 },
		.end = { 1795780062, 900000000 },
		.caller = "alice", .called_in = "+4412345", .called_out = "4412345",
		.target = "carrier-a", .final_code = 200, .q850 = 16, .disposition = "ANSWERED",
		.codec_a = "PCMU/8000", .codec_b = "PCMA/8000",
		.a_in = 3000, .a_out = 2990, .b_in = 2980, .b_out = 3001, .a_dropped = 1, .b_dropped = 0,
		.qa = { .expected = 3000, .lost = 150, .jitter_ms = 2.5, .have_rtt = true, .rtt_ms = 40.25,
			.have_remote = true, .remote_lost = 7, .mos = 3.9 },
		.qb = { .expected = 2990, .lost = 0, .jitter_ms = 0.125 },
		.source = "pbx-1", .caller_out = "+442071234567",
	};
	return r;
}

START_TEST(test_format_fields)
{
	struct tcdr_record r = sample();
	char buf[1024];
	int n = tcdr_format(&r, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "gw1,c000001,c000001-2,2026-11-27T11:46:40.005Z,2026-11-27T11:46:42.250Z,"
			      "2026-11-27T11:47:42.900Z,alice,+4412345,4412345,carrier-a,200,16,ANSWERED,61,"
			      "PCMU/8000,PCMA/8000,3000,2990,2980,3001,1,0,"
			      "3000,150,2.50,40.2,7,3.90,2990,0,0.12,,,,pbx-1,+442071234567");
}
END_TEST

START_TEST(test_unanswered_has_empty_answer_and_zero_duration)
{
	struct tcdr_record r = sample();
	r.answer.tv_sec = 0;
	r.final_code = 486;
	r.q850 = 0;
	r.disposition = "BUSY";
	char buf[1024];
	ck_assert_int_gt(tcdr_format(&r, buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, ".005Z,,2026-11-27T11:47:42.900Z,"));
	ck_assert_ptr_nonnull(strstr(buf, ",486,,BUSY,0,"));
}
END_TEST

START_TEST(test_quoting)
{
	struct tcdr_record r = sample();
	r.caller = "evil,\"name\"\nX";
	char buf[1024];
	ck_assert_int_gt(tcdr_format(&r, buf, sizeof buf), 0);
	/* quoted, quotes doubled, the newline cannot start a forged record */
	ck_assert_ptr_nonnull(strstr(buf, ",\"evil,\"\"name\"\" X\","));
	ck_assert_ptr_null(strchr(buf, '\n'));
}
END_TEST

START_TEST(test_too_small)
{
	struct tcdr_record r = sample();
	char buf[40];
	ck_assert_int_eq(tcdr_format(&r, buf, sizeof buf), -ENOSPC);
}
END_TEST

START_TEST(test_q850)
{
	ck_assert_int_eq(tcdr_q850_from_sip(200), 16);
	ck_assert_int_eq(tcdr_q850_from_sip(486), 17);
	ck_assert_int_eq(tcdr_q850_from_sip(404), 1);
	ck_assert_int_eq(tcdr_q850_from_sip(480), 18);
	ck_assert_int_eq(tcdr_q850_from_sip(503), 41);
	ck_assert_int_eq(tcdr_q850_from_sip(487), 16);
	ck_assert_int_eq(tcdr_q850_from_sip(499), 31);
}
END_TEST

START_TEST(test_file_header_once_and_reopen)
{
	char dir[] = "/tmp/test_cdr.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256], moved[300];
	snprintf(path, sizeof path, "%s/cdr.csv", dir);
	snprintf(moved, sizeof moved, "%s/cdr.csv.1", dir);
	tcdr_t *w;
	ck_assert_int_eq(tcdr_open(path, &w), 0);
	struct tcdr_record r = sample();
	ck_assert_int_eq(tcdr_write(w, &r), 0);
	ck_assert_int_eq(tcdr_write(w, &r), 0);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(tcdr_reopen(w), 0);
	ck_assert_int_eq(tcdr_write(w, &r), 0);
	tcdr_close(w);
	/* reopening an existing non-empty file adds no second header */
	ck_assert_int_eq(tcdr_open(path, &w), 0);
	ck_assert_int_eq(tcdr_write(w, &r), 0);
	tcdr_close(w);

	int lines[2] = { 0, 0 }, headers[2] = { 0, 0 };
	const char *files[2] = { moved, path };
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		ck_assert_ptr_nonnull(f);
		char line[2048];
		while (fgets(line, sizeof line, f)) {
			lines[i]++;
			if (!strncmp(line, "node,call_id,", 13))
				headers[i]++;
		}
		fclose(f);
		unlink(files[i]);
	}
	rmdir(dir);
	ck_assert_int_eq(lines[0], 3);      /* header + 2 records */
	ck_assert_int_eq(headers[0], 1);
	ck_assert_int_eq(lines[1], 3);      /* header + 2 records after the reopen */
	ck_assert_int_eq(headers[1], 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cdr");
	TCase *tc = tcase_create("cdr");
	tcase_add_test(tc, test_format_fields);
	tcase_add_test(tc, test_unanswered_has_empty_answer_and_zero_duration);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_too_small);
	tcase_add_test(tc, test_q850);
	tcase_add_test(tc, test_file_header_once_and_reopen);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
