/* test_cdr_pgsql_schema.c - mod_cdr_pgsql's column list (schema.c): the
 * values of a record as the CSV file writes them (NULL where it leaves a
 * field empty), a record of ABI 1.2 (new columns NULL), the ALTER TABLE for
 * a table of the first version, and an INSERT over the columns a table has. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"          /* modules/mod_cdr_pgsql */

/* Written columns of the first version (23), then the 14 of ABI 1.3. */
static const char *const v1[] = {
	"attempt_uid", "node", "call_id", "attempt", "start_time", "answer_time", "end_time",
	"duration_ms", "caller", "called_in", "called_out", "target", "final_code", "q850_cause",
	"disposition", "codec_a", "codec_b", "a_pkts_in", "a_pkts_out", "b_pkts_in", "b_pkts_out",
	"a_dropped", "b_dropped", "id", "inserted_at",
};

static struct tandem_cdr_record rec(void)
{
	return (struct tandem_cdr_record){
		.struct_size = sizeof(struct tandem_cdr_record),
		.attempt_uid = "gw/r/c1-1", .node = "gw", .call_id = "c1", .attempt = 1,
		.start_us = 1795780000005000LL, .answer_us = 1795780002250000LL,
		.end_us = 1795780062900000LL, .caller = "a", .called_in = "1", .called_out = "1",
		.target = "t", .final_code = 200, .q850 = 16, .disposition = "ANSWERED",
		.codec_a = "PCMU/8000", .codec_b = "PCMA/8000",
		.qa = { .rtp_expected = 150, .rtp_lost = 8, .jitter_ms = 0.456, .rtt_ms = -1, .mos = 3.866 },
		.qb = { .rtp_expected = 150, .jitter_ms = 0, .rtt_ms = 12.34, .have_remote = 1,
			.remote_lost = -1, .mos = 4.4 },
		.source = "pbx", .caller_out = "anonymous",
	};
}

START_TEST(test_values)
{
	bool have[PGS_NCOLS];
	char buf[PGS_NCOLS][PGS_VAL_LEN];
	const char *v[PGS_NCOLS];
	int np = 0;
	for (size_t i = 0; i < PGS_NCOLS; i++)
		have[i] = true;
	char *ins = pgs_insert_sql("tandem_cdr", have, &np);
	ck_assert_int_eq(np, 37);
	ck_assert_ptr_nonnull(strstr(ins, "b_dropped, a_rtp_expected, a_rtp_lost, a_jitter_ms, a_rtt_ms, "
				       "a_remote_lost, a_mos, b_rtp_expected"));
	ck_assert_ptr_nonnull(strstr(ins, "$37) ON CONFLICT (attempt_uid) DO NOTHING"));
	free(ins);

	struct tandem_cdr_record r = rec();
	pgs_values(&r, have, buf, v);
	ck_assert_str_eq(v[4], "2026-11-27 11:46:40.005000+00");
	ck_assert_str_eq(v[7], "60650");              /* duration_ms */
	ck_assert_str_eq(v[23], "150");
	ck_assert_str_eq(v[24], "8");
	ck_assert_str_eq(v[25], "0.46");              /* %.2f as the CSV */
	ck_assert_ptr_null(v[26]);                    /* rtt unknown */
	ck_assert_ptr_null(v[27]);                    /* no report from the peer */
	ck_assert_str_eq(v[28], "3.87");
	ck_assert_str_eq(v[31], "0.00");
	ck_assert_str_eq(v[32], "12.3");              /* %.1f */
	ck_assert_str_eq(v[33], "-1");                /* duplicates make loss negative */
	ck_assert_str_eq(v[34], "4.40");
	ck_assert_str_eq(v[35], "pbx");
	ck_assert_str_eq(v[36], "anonymous");

	/* no RTP at all: MOS NULL, counts 0 */
	r.qa = (struct tandem_cdr_quality){ .rtt_ms = -1 };
	pgs_values(&r, have, buf, v);
	ck_assert_str_eq(v[23], "0");
	ck_assert_ptr_null(v[28]);

	/* a record of ABI 1.2 (spooled by an older tandemd): the new columns NULL */
	r = rec();
	r.struct_size = TANDEM_CDR_RECORD_SIZE_1_2;
	pgs_values(&r, have, buf, v);
	ck_assert_str_eq(v[22], "0");                 /* b_dropped */
	for (int i = 23; i < PGS_NCOLS; i++)
		ck_assert_ptr_null(v[i]);
}
END_TEST

START_TEST(test_upgrade_first_version)
{
	bool have[PGS_NCOLS];
	char list[512];
	ck_assert_uint_eq(pgs_match(v1, sizeof v1 / sizeof v1[0], have), 14);
	char *alter = pgs_alter_sql("billing.cdr", have, list, sizeof list);
	ck_assert_ptr_nonnull(alter);
	ck_assert_ptr_nonnull(strstr(alter, "ALTER TABLE billing.cdr ADD COLUMN IF NOT EXISTS "
					    "a_rtp_expected bigint, ADD COLUMN IF NOT EXISTS a_rtp_lost bigint,"));
	ck_assert_ptr_nonnull(strstr(alter, "ADD COLUMN IF NOT EXISTS a_mos numeric(3,2),"));
	ck_assert_ptr_nonnull(strstr(alter, "ADD COLUMN IF NOT EXISTS caller_out text"));
	ck_assert_ptr_null(strstr(alter, "node"));
	ck_assert_str_eq(list, "a_rtp_expected, a_rtp_lost, a_jitter_ms, a_rtt_ms, a_remote_lost, a_mos, "
			       "b_rtp_expected, b_rtp_lost, b_jitter_ms, b_rtt_ms, b_remote_lost, b_mos, "
			       "source, caller_out");
	free(alter);

	/* not altered (no right to): the insert names the columns there are */
	int np = 0;
	char *ins = pgs_insert_sql("billing.cdr", have, &np);
	ck_assert_int_eq(np, 23);
	ck_assert_ptr_null(strstr(ins, "a_mos"));
	ck_assert_ptr_nonnull(strstr(ins, "$23)"));
	free(ins);
	char buf[PGS_NCOLS][PGS_VAL_LEN];
	const char *v[PGS_NCOLS];
	struct tandem_cdr_record r = rec();
	pgs_values(&r, have, buf, v);
	ck_assert_str_eq(v[22], "0");                 /* the 23rd parameter: b_dropped */

	/* a missing first-version column cannot be added (NOT NULL): no ALTER */
	const char *some[] = { "attempt_uid", "node" };
	pgs_match(some, 2, have);
	for (int i = 23; i < PGS_NCOLS; i++)
		have[i] = true;
	ck_assert_ptr_null(pgs_alter_sql("t", have, list, sizeof list));
	ck_assert_str_eq(list, "");

	/* the CREATE has every column, id first and inserted_at last */
	char *create = pgs_create_sql("tandem_cdr");
	ck_assert_ptr_nonnull(strstr(create, "CREATE TABLE IF NOT EXISTS tandem_cdr (id bigserial, "
					     "attempt_uid text PRIMARY KEY, node text NOT NULL,"));
	ck_assert_ptr_nonnull(strstr(create, "b_dropped bigint NOT NULL, a_rtp_expected bigint,"));
	ck_assert_ptr_nonnull(strstr(create, "caller_out text, inserted_at timestamptz NOT NULL DEFAULT now())"));
	free(create);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cdr_pgsql_schema");
	TCase *tc = tcase_create("schema");
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_upgrade_first_version);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
