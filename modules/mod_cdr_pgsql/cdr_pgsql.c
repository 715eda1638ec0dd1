/* mod_cdr_pgsql - call records into PostgreSQL (libpq), for billing.
 *
 * Configuration ([general] of tandem.conf):
 *   modules      = mod_g711, mod_cdr_pgsql
 *   cdr_database = host=/run/postgresql dbname=billing user=tandem
 *   cdr_table    = tandem_cdr            (created if absent)
 *   cdr_spool_dir = /var/spool/tandem    (the daemon's spool, see tandem/cdr.h)
 *
 * The daemon calls write() from a writer thread of its own and keeps every
 * record in its spool until write() returned 0, so this module only has to
 * connect, insert a batch in one transaction, and say whether a failure is
 * the data (-EINVAL: SQLSTATE classes 22 and 23) or the database (any other
 * error: the connection is dropped and made again on the next write()).
 * Inserts are idempotent: ON CONFLICT (attempt_uid) DO NOTHING, so a record
 * replayed after a crash is stored once.
 *
 * The table's layout is the one in contrib/cdr_pgsql.sql (kept in step with
 * TABLE_DDL below).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include <tandem/cdr.h>
#include <tandem/module.h>

#define NPARAMS 23
#define STMT "tandem_cdr_insert"

static const struct tandem_host *g_host;

#define LOG(lvl, ...) do { if (g_host) g_host->log(lvl, "cdr_pgsql: " __VA_ARGS__); } while (0)

struct pg {
	PGconn *conn;               /* NULL while disconnected */
	char *conninfo;
	char *table;
	char *insert_sql;
};

/* %s is the table name. */
static const char TABLE_DDL[] =
	"CREATE TABLE IF NOT EXISTS %s ("
	" id bigserial,"
	" attempt_uid text PRIMARY KEY,"
	" node text NOT NULL,"
	" call_id text NOT NULL,"
	" attempt integer NOT NULL,"
	" start_time timestamptz NOT NULL,"
	" answer_time timestamptz,"
	" end_time timestamptz NOT NULL,"
	" duration_ms bigint NOT NULL,"
	" caller text NOT NULL,"
	" called_in text NOT NULL,"
	" called_out text NOT NULL,"
	" target text NOT NULL,"
	" final_code integer NOT NULL,"
	" q850_cause integer,"
	" disposition text NOT NULL,"
	" codec_a text NOT NULL,"
	" codec_b text NOT NULL,"
	" a_pkts_in bigint NOT NULL, a_pkts_out bigint NOT NULL,"
	" b_pkts_in bigint NOT NULL, b_pkts_out bigint NOT NULL,"
	" a_dropped bigint NOT NULL, b_dropped bigint NOT NULL,"
	" inserted_at timestamptz NOT NULL DEFAULT now())";

static const char INSERT_SQL[] =
	"INSERT INTO %s (attempt_uid, node, call_id, attempt, start_time, answer_time, end_time,"
	" duration_ms, caller, called_in, called_out, target, final_code, q850_cause, disposition,"
	" codec_a, codec_b, a_pkts_in, a_pkts_out, b_pkts_in, b_pkts_out, a_dropped, b_dropped)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
	" $18, $19, $20, $21, $22, $23)"
	" ON CONFLICT (attempt_uid) DO NOTHING";

/* A table name: [schema.]identifier, letters, digits and '_' only, so it can
 * go into SQL as is. */
static bool valid_table(const char *t)
{
	if (!t || !*t || strlen(t) > 127)
		return false;
	bool start = true;
	for (const char *p = t; *p; p++) {
		char c = *p;
		if (c == '.' && !start) {
			start = true;
			continue;
		}
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && !(c >= '0' && c <= '9' && !start))
			return false;
		start = false;
	}
	return !start;
}

static int pg_open(const struct tandem_cdr_params *p, void **state)
{
	if (!p->database || !*p->database) {
		LOG(TANDEM_LOG_ERROR, "cdr_database is not set (a libpq connection string, "
		    "e.g. \"host=/run/postgresql dbname=billing\")");
		return -EINVAL;
	}
	if (!valid_table(p->table)) {
		LOG(TANDEM_LOG_ERROR, "cdr_table '%s' is not a plain [schema.]name", p->table ? p->table : "");
		return -EINVAL;
	}
	struct pg *pg = calloc(1, sizeof *pg);
	if (!pg)
		return -ENOMEM;
	pg->conninfo = strdup(p->database);
	pg->table = strdup(p->table);
	if (!pg->conninfo || !pg->table ||
	    asprintf(&pg->insert_sql, INSERT_SQL, p->table) < 0) {
		free(pg->conninfo);
		free(pg->table);
		free(pg);
		return -ENOMEM;
	}
	*state = pg;
	return 0;
}

static void disconnect(struct pg *pg)
{
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = NULL;
}

static void pg_close(void *state)
{
	struct pg *pg = state;
	if (!pg)
		return;
	disconnect(pg);
	free(pg->conninfo);
	free(pg->table);
	free(pg->insert_sql);
	free(pg);
}

/* Run a command; 0, -EINVAL (data refused) or -EIO (anything else). */
static int check(struct pg *pg, PGresult *res, const char *what)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		rc = state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2)) ? -EINVAL : -EIO;
		LOG(rc == -EINVAL ? TANDEM_LOG_ERROR : TANDEM_LOG_WARN, "%s: %s", what,
		    res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
	}
	PQclear(res);
	return rc;
}

static int connect_db(struct pg *pg)
{
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	disconnect(pg);
	/* Bounds on how long a write() may block (a dead host, a locked table),
	 * so records behind it reach the spool; the admin's string comes after
	 * them and overrides them. */
	const char *keys[] = { "connect_timeout", "options", "application_name", "dbname", NULL };
	const char *vals[] = { "5", "-c statement_timeout=10000", "tandemd", pg->conninfo, NULL };
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		LOG(TANDEM_LOG_WARN, "cannot connect (%s): %s", pg->conninfo,
		    pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
		disconnect(pg);
		return -ECONNREFUSED;
	}
	char *ddl = NULL;
	if (asprintf(&ddl, TABLE_DDL, pg->table) < 0)
		return -ENOMEM;
	int rc = check(pg, PQexec(pg->conn, ddl), "creating the table");
	free(ddl);
	if (rc == 0)
		rc = check(pg, PQprepare(pg->conn, STMT, pg->insert_sql, 0, NULL), "preparing the insert");
	if (rc < 0) {
		disconnect(pg);
		return -EIO;
	}
	LOG(TANDEM_LOG_NOTICE, "connected; records go to table %s", pg->table);
	return 0;
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

static int insert_one(struct pg *pg, const struct tandem_cdr_record *r)
{
	char ts[3][40], num[10][24];
	int64_t dur = r->answer_us && r->end_us > r->answer_us ? (r->end_us - r->answer_us) / 1000 : 0;
	snprintf(num[0], sizeof num[0], "%u", r->attempt);
	snprintf(num[1], sizeof num[1], "%lld", (long long)dur);
	snprintf(num[2], sizeof num[2], "%d", r->final_code);
	snprintf(num[3], sizeof num[3], "%d", r->q850);
	const uint64_t c[6] = { r->a_pkts_in, r->a_pkts_out, r->b_pkts_in, r->b_pkts_out,
				r->a_dropped, r->b_dropped };
	for (int i = 0; i < 6; i++)
		snprintf(num[4 + i], sizeof num[4 + i], "%llu", (unsigned long long)c[i]);
	const char *v[NPARAMS] = {
		r->attempt_uid, r->node, r->call_id, num[0],
		fmt_ts(r->start_us, ts[0], sizeof ts[0]), fmt_ts(r->answer_us, ts[1], sizeof ts[1]),
		fmt_ts(r->end_us ? r->end_us : r->start_us, ts[2], sizeof ts[2]), num[1],
		r->caller, r->called_in, r->called_out, r->target, num[2],
		r->q850 ? num[3] : NULL, r->disposition, r->codec_a, r->codec_b,
		num[4], num[5], num[6], num[7], num[8], num[9],
	};
	return check(pg, PQexecPrepared(pg->conn, STMT, NPARAMS, v, NULL, NULL, 0),
		     "inserting a call record");
}

static int pg_write(void *state, const struct tandem_cdr_record *recs, size_t n)
{
	struct pg *pg = state;
	int rc = connect_db(pg);
	if (rc < 0)
		return rc;
	rc = n > 1 ? check(pg, PQexec(pg->conn, "BEGIN"), "BEGIN") : 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = insert_one(pg, &recs[i]);
	if (n > 1 && rc == 0)
		rc = check(pg, PQexec(pg->conn, "COMMIT"), "COMMIT");
	if (rc < 0 && n > 1 && PQstatus(pg->conn) == CONNECTION_OK)
		check(pg, PQexec(pg->conn, "ROLLBACK"), "ROLLBACK");
	if (rc < 0 && PQstatus(pg->conn) != CONNECTION_OK) {
		disconnect(pg);
		rc = -ECONNRESET;
	}
	return rc;
}

static int mod_init(const struct tandem_host *host)
{
	g_host = host;
	return 0;
}

static const struct tandem_cdr_backend pgsql_backend = {
	.struct_size = sizeof(struct tandem_cdr_backend),
	.name = "pgsql",
	.open = pg_open,
	.write = pg_write,
	.close = pg_close,
};

TANDEM_MODULE_DEFINE(
	.name = "cdr_pgsql", .version = "1.0.0",
	.description = "call records into PostgreSQL (libpq)",
	.init = mod_init, .cdr = &pgsql_backend);
