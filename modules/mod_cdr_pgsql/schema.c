/* schema.c - see schema.h. */
#include "config.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct col {
	const char *name;
	const char *type;
	unsigned minor;             /* the module ABI minor that added it */
};

/* In CREATE TABLE order; id comes first and inserted_at last. */
static const struct col cols[PGS_NCOLS] = {
	{ "attempt_uid", "text PRIMARY KEY", 2 },
	{ "node", "text NOT NULL", 2 },
	{ "call_id", "text NOT NULL", 2 },
	{ "attempt", "integer NOT NULL", 2 },
	{ "start_time", "timestamptz NOT NULL", 2 },
	{ "answer_time", "timestamptz", 2 },
	{ "end_time", "timestamptz NOT NULL", 2 },
	{ "duration_ms", "bigint NOT NULL", 2 },
	{ "caller", "text NOT NULL", 2 },
	{ "called_in", "text NOT NULL", 2 },
	{ "called_out", "text NOT NULL", 2 },
	{ "target", "text NOT NULL", 2 },
	{ "final_code", "integer NOT NULL", 2 },
	{ "q850_cause", "integer", 2 },
	{ "disposition", "text NOT NULL", 2 },
	{ "codec_a", "text NOT NULL", 2 },
	{ "codec_b", "text NOT NULL", 2 },
	{ "a_pkts_in", "bigint NOT NULL", 2 },
	{ "a_pkts_out", "bigint NOT NULL", 2 },
	{ "b_pkts_in", "bigint NOT NULL", 2 },
	{ "b_pkts_out", "bigint NOT NULL", 2 },
	{ "a_dropped", "bigint NOT NULL", 2 },
	{ "b_dropped", "bigint NOT NULL", 2 },
	/* ABI 1.3: nullable, so an existing table can take them */
	{ "a_rtp_expected", "bigint", 3 },
	{ "a_rtp_lost", "bigint", 3 },
	{ "a_jitter_ms", "numeric(10,2)", 3 },
	{ "a_rtt_ms", "numeric(10,1)", 3 },
	{ "a_remote_lost", "bigint", 3 },
	{ "a_mos", "numeric(3,2)", 3 },
	{ "b_rtp_expected", "bigint", 3 },
	{ "b_rtp_lost", "bigint", 3 },
	{ "b_jitter_ms", "numeric(10,2)", 3 },
	{ "b_rtt_ms", "numeric(10,1)", 3 },
	{ "b_remote_lost", "bigint", 3 },
	{ "b_mos", "numeric(3,2)", 3 },
	{ "source", "text", 3 },
	{ "caller_out", "text", 3 },
};

/* A growing string; on a failed allocation it stays NULL. */
struct sb {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sb *b, const char *fmt, const char *a, const char *c)
{
	if (!b->s && b->cap)
		return;             /* an earlier failure */
	int n = snprintf(NULL, 0, fmt, a, c);
	if (n < 0 || b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)(n < 0 ? 0 : n);
		char *s = realloc(b->s, cap);
		if (!s || n < 0) {
			free(s ? s : b->s);
			b->s = NULL;
			b->cap = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	snprintf(b->s + b->len, b->cap - b->len, fmt, a, c);
	b->len += (size_t)n;
}

char *pgs_create_sql(const char *table)
{
	struct sb b = { 0 };
	sb_add(&b, "CREATE TABLE IF NOT EXISTS %s (id bigserial%s", table, "");
	for (size_t i = 0; i < PGS_NCOLS; i++)
		sb_add(&b, ", %s %s", cols[i].name, cols[i].type);
	sb_add(&b, ", inserted_at timestamptz NOT NULL DEFAULT now())%s%s", "", "");
	return b.s;
}

size_t pgs_match(const char *const *names, size_t n, bool have[PGS_NCOLS])
{
	size_t missing = 0;
	for (size_t i = 0; i < PGS_NCOLS; i++) {
		have[i] = false;
		for (size_t k = 0; k < n && !have[i]; k++)
			have[i] = names[k] && !strcmp(names[k], cols[i].name);
		missing += !have[i];
	}
	return missing;
}

char *pgs_alter_sql(const char *table, const bool have[PGS_NCOLS], char *list, size_t listlen)
{
	struct sb b = { 0 };
	size_t used = 0;
	if (listlen)
		list[0] = '\0';
	for (size_t i = 0; i < PGS_NCOLS; i++) {
		if (have[i] || cols[i].minor <= 2)
			continue;
		if (b.len)
			sb_add(&b, ",%s%s", "", "");
		else
			sb_add(&b, "ALTER TABLE %s%s", table, "");
		sb_add(&b, " ADD COLUMN IF NOT EXISTS %s %s", cols[i].name, cols[i].type);
		if (used < listlen)
			used += (size_t)snprintf(list + used, listlen - used, "%s%s", used ? ", " : "",
						 cols[i].name);
	}
	return b.s;
}

char *pgs_insert_sql(const char *table, const bool have[PGS_NCOLS], int *nparams)
{
	struct sb b = { 0 };
	int n = 0;
	sb_add(&b, "INSERT INTO %s (%s", table, "");
	for (size_t i = 0; i < PGS_NCOLS; i++)
		if (have[i])
			sb_add(&b, "%s%s", n++ ? ", " : "", cols[i].name);
	sb_add(&b, ") VALUES (%s%s", "", "");
	for (int i = 1; i <= n; i++) {
		char p[16];
		snprintf(p, sizeof p, "$%d", i);
		sb_add(&b, "%s%s", i > 1 ? ", " : "", p);
	}
	sb_add(&b, ") ON CONFLICT (attempt_uid) DO NOTHING%s%s", "", "");
	*nparams = n;
	return b.s;
}

/* "2026-11-27 13:35:40.123456+00", or NULL for 0 */
static const char *fmt_ts(int64_t us, char *buf, size_t len)
{
	if (!us)
		return NULL;
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06lld+00", (long long)(us % 1000000));
	return buf;
}

static const char *fmt_u64(uint64_t v, char *buf)
{
	snprintf(buf, PGS_VAL_LEN, "%llu", (unsigned long long)v);
	return buf;
}

/* One leg's six quality columns, as the CSV file writes them (same
 * precision), NULL where it leaves a field empty. */
static void quality(const struct tandem_cdr_quality *q, char buf[][PGS_VAL_LEN], const char *v[])
{
	v[0] = fmt_u64(q->rtp_expected, buf[0]);
	v[1] = fmt_u64(q->rtp_lost, buf[1]);
	snprintf(buf[2], PGS_VAL_LEN, "%.2f", q->jitter_ms);
	v[2] = buf[2];
	snprintf(buf[3], PGS_VAL_LEN, "%.1f", q->rtt_ms);
	v[3] = q->rtt_ms >= 0 ? buf[3] : NULL;
	snprintf(buf[4], PGS_VAL_LEN, "%lld", (long long)q->remote_lost);
	v[4] = q->have_remote ? buf[4] : NULL;
	snprintf(buf[5], PGS_VAL_LEN, "%.2f", q->mos);
	v[5] = q->mos > 0 ? buf[5] : NULL;
}

void pgs_values(const struct tandem_cdr_record *r, const bool have[PGS_NCOLS],
		char buf[PGS_NCOLS][PGS_VAL_LEN], const char *out[PGS_NCOLS])
{
	const char *v[PGS_NCOLS] = { 0 };
	int64_t dur = r->answer_us && r->end_us > r->answer_us ? (r->end_us - r->answer_us) / 1000 : 0;
	v[0] = r->attempt_uid;
	v[1] = r->node;
	v[2] = r->call_id;
	snprintf(buf[3], PGS_VAL_LEN, "%u", r->attempt);
	v[3] = buf[3];
	v[4] = fmt_ts(r->start_us, buf[4], PGS_VAL_LEN);
	v[5] = fmt_ts(r->answer_us, buf[5], PGS_VAL_LEN);
	v[6] = fmt_ts(r->end_us ? r->end_us : r->start_us, buf[6], PGS_VAL_LEN);
	snprintf(buf[7], PGS_VAL_LEN, "%lld", (long long)dur);
	v[7] = buf[7];
	v[8] = r->caller;
	v[9] = r->called_in;
	v[10] = r->called_out;
	v[11] = r->target;
	snprintf(buf[12], PGS_VAL_LEN, "%d", r->final_code);
	v[12] = buf[12];
	snprintf(buf[13], PGS_VAL_LEN, "%d", r->q850);
	v[13] = r->q850 ? buf[13] : NULL;
	v[14] = r->disposition;
	v[15] = r->codec_a;
	v[16] = r->codec_b;
	const uint64_t c[6] = { r->a_pkts_in, r->a_pkts_out, r->b_pkts_in, r->b_pkts_out,
				r->a_dropped, r->b_dropped };
	for (int i = 0; i < 6; i++)
		v[17 + i] = fmt_u64(c[i], buf[17 + i]);
	/* ABI 1.3 fields, when the record carries them (else NULL: unknown) */
	if (TANDEM_CDR_HAS(r, caller_out)) {
		quality(&r->qa, &buf[23], &v[23]);
		quality(&r->qb, &buf[29], &v[29]);
		v[35] = r->source;
		v[36] = r->caller_out;
	}
	int n = 0;
	for (size_t i = 0; i < PGS_NCOLS; i++)
		if (have[i])
			out[n++] = v[i];
}
