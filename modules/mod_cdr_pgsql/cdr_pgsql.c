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
 * schema.c). A table made by an earlier version gets the columns added since
 * at connect (ALTER TABLE ... ADD COLUMN IF NOT EXISTS), so an upgrade needs
 * no manual step; where the role may not alter it, records go in without the
 * new columns and an error says what to run.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <tandem/cdr.h>
#include <tandem/module.h>

#include "schema.h"

#define STMT "tandem_cdr_insert"

static const struct tandem_host *g_host;

#define LOG(lvl, ...) do { if (g_host) g_host->log(lvl, "cdr_pgsql: " __VA_ARGS__); } while (0)

struct pg {
	PGconn *conn;               /* NULL while disconnected */
	char *conninfo;
	char *table;
	int nparams;                /* of the prepared insert (columns the table has) */
	bool have[PGS_NCOLS];       /* columns the table has */
};

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
	if (!pg->conninfo || !pg->table) {
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
	free(pg);
}

/* libpq's message on one log line: newlines (it ends with one, a DETAIL may
 * follow) become spaces, the end is trimmed. */
static const char *one_line(const char *m, char *buf, size_t len)
{
	size_t n = 0;
	for (; m && *m && n + 1 < len; m++)
		buf[n++] = *m == '\n' || *m == '\t' ? ' ' : *m;
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

/* Run a command; 0, -EINVAL (data refused) or -EIO (anything else). */
static int check(struct pg *pg, PGresult *res, const char *what)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char msg[512];
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		rc = state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2)) ? -EINVAL : -EIO;
		LOG(rc == -EINVAL ? TANDEM_LOG_ERROR : TANDEM_LOG_WARN, "%s: %s", what,
		    one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn), msg, sizeof msg));
	}
	PQclear(res);
	return rc;
}

/* 1 when the table exists, 0 when not, or -EIO. A role that may only INSERT
 * into a table a DBA made cannot run CREATE TABLE IF NOT EXISTS (it needs
 * CREATE on the schema even when the table is there): ask first. */
static int table_exists(struct pg *pg)
{
	const char *param[1] = { pg->table };
	PGresult *res = PQexecParams(pg->conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, param,
				     NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		check(pg, res, "looking for the table");
		return -EIO;
	}
	int yes = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	return yes;
}

/* Which columns the table has; add those a table made by an earlier
 * version lacks (schema.h). 0, or -EIO when the table cannot be read. */
static int sync_columns(struct pg *pg)
{
	const char *param[1] = { pg->table };
	PGresult *res = PQexecParams(pg->conn, "SELECT attname FROM pg_attribute WHERE attrelid ="
				     " to_regclass($1) AND attnum > 0 AND NOT attisdropped",
				     1, NULL, param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return check(pg, res, "reading the table's columns");
	int n = PQntuples(res);
	const char **names = calloc((size_t)n + 1, sizeof *names);
	if (!names) {
		PQclear(res);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		names[i] = PQgetvalue(res, i, 0);
	size_t missing = pgs_match(names, (size_t)n, pg->have);
	free(names);
	PQclear(res);
	if (!missing)
		return 0;
	char list[512];
	char *alter = pgs_alter_sql(pg->table, pg->have, list, sizeof list);
	if (!alter)
		return 0;           /* only first-version columns missing: the insert says so */
	res = PQexec(pg->conn, alter);
	free(alter);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		LOG(TANDEM_LOG_NOTICE, "table %s made by an earlier version: added the columns %s",
		    pg->table, list);
		for (size_t i = 0; i < PGS_NCOLS; i++)
			pg->have[i] = true;
	} else {
		char msg[512];
		LOG(TANDEM_LOG_ERROR, "table %s lacks the columns %s and cannot be altered (%s): "
		    "records are stored without them until a DBA runs the ALTER TABLE in "
		    "cdr_pgsql.sql", pg->table, list, one_line(PQresultErrorMessage(res), msg, sizeof msg));
	}
	PQclear(res);
	return 0;
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
		char msg[512];
		LOG(TANDEM_LOG_WARN, "cannot connect (%s): %s", pg->conninfo,
		    pg->conn ? one_line(PQerrorMessage(pg->conn), msg, sizeof msg) : "out of memory");
		disconnect(pg);
		return -ECONNREFUSED;
	}
	char *ddl = NULL, *ins = NULL;
	int rc = table_exists(pg);
	if (rc == 0)
		rc = (ddl = pgs_create_sql(pg->table)) ? check(pg, PQexec(pg->conn, ddl), "creating the table")
						       : -ENOMEM;
	free(ddl);
	if (rc >= 0)
		rc = sync_columns(pg);
	if (rc == 0 && !(ins = pgs_insert_sql(pg->table, pg->have, &pg->nparams)))
		rc = -ENOMEM;
	if (rc == 0)
		rc = check(pg, PQprepare(pg->conn, STMT, ins, 0, NULL), "preparing the insert");
	free(ins);
	if (rc < 0) {
		disconnect(pg);
		return rc == -ENOMEM ? rc : -EIO;
	}
	LOG(TANDEM_LOG_NOTICE, "connected; records go to table %s", pg->table);
	return 0;
}

static int insert_one(struct pg *pg, const struct tandem_cdr_record *r)
{
	char buf[PGS_NCOLS][PGS_VAL_LEN];
	const char *v[PGS_NCOLS];
	pgs_values(r, pg->have, buf, v);
	return check(pg, PQexecPrepared(pg->conn, STMT, pg->nparams, v, NULL, NULL, 0),
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
	.record_size = sizeof(struct tandem_cdr_record),
};

TANDEM_MODULE_DEFINE(
	.name = "cdr_pgsql", .version = "1.1.0",
	.description = "call records into PostgreSQL (libpq)",
	.init = mod_init, .cdr = &pgsql_backend);
