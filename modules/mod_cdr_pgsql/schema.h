/* schema.h - mod_cdr_pgsql's table: one list of columns that makes the
 * CREATE TABLE, the ALTER TABLE that brings a table made by an earlier
 * version up to date, the INSERT, and each record's values.
 *
 * Upgrades: columns are only ever added, and every column added after the
 * first version is nullable (NULL: not known, e.g. a record spooled by an
 * older tandemd), so ALTER TABLE ... ADD COLUMN IF NOT EXISTS works on a
 * table full of rows. The INSERT names only the columns the table has, so a
 * role that may not ALTER the table still stores what it can.
 *
 * Kept in step with contrib/cdr_pgsql.sql. Pure functions; strings returned
 * are malloc'd and freed by the caller.
 */
#ifndef TANDEM_MOD_CDR_PGSQL_SCHEMA_H
#define TANDEM_MOD_CDR_PGSQL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <tandem/cdr.h>

/* Columns the module writes (id and inserted_at have defaults). */
#define PGS_NCOLS 37
#define PGS_VAL_LEN 32

/* CREATE TABLE IF NOT EXISTS for 'table' (every column), or NULL (memory). */
char *pgs_create_sql(const char *table);

/* have[i]: the table has written column i, from the column names it has
 * (names[0..n-1]). Returns how many written columns it lacks. */
size_t pgs_match(const char *const *names, size_t n, bool have[PGS_NCOLS]);

/* ALTER TABLE ... ADD COLUMN IF NOT EXISTS for the missing columns that may
 * be added (those after the first version); NULL when none may (or memory).
 * 'list' gets their names, comma separated. */
char *pgs_alter_sql(const char *table, const bool have[PGS_NCOLS], char *list, size_t listlen);

/* INSERT ... ON CONFLICT (attempt_uid) DO NOTHING over the columns in 'have';
 * *nparams gets the number of parameters. NULL on memory. */
char *pgs_insert_sql(const char *table, const bool have[PGS_NCOLS], int *nparams);

/* The record's value of every column, NULL for SQL NULL; text numbers are
 * written into buf. The values of the columns in 'have' are packed, in
 * column order, into out[0..nparams-1]. */
void pgs_values(const struct tandem_cdr_record *r, const bool have[PGS_NCOLS],
		char buf[PGS_NCOLS][PGS_VAL_LEN], const char *out[PGS_NCOLS]);

#endif
