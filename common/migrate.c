/* migrate.c: the schema migration step shared by every binary (see migrate.h). Runs over a
 * blocking libpq connection: services call it from a libuv worker thread, never the loop. */
#include "migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "seal.h"

/* An arbitrary constant that names fangpin's migration lock in pg_advisory_lock. */
#define FP_MIGRATE_LOCK_KEY 0x66616e6770696eLL

static fp_err_t s_fail(PGconn *conn, PGresult *res, const char *what, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "%s: %s", what, res ? fp_db_errmsg(res) : PQerrorMessage(conn));
    size_t n = strlen(errbuf);
    while (n && (errbuf[n - 1] == '\n' || errbuf[n - 1] == ' ')) errbuf[--n] = '\0';
    fp_err_t e = PQstatus(conn) == CONNECTION_OK ? FP_EDB : FP_EDBDOWN;
    PQclear(res);
    return e;
}

static fp_err_t s_exec(PGconn *conn, const char *sql, const char *what, char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    /* a migration may be comments only (its change was all in functions: 014, 016) */
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        return s_fail(conn, res, what, errbuf, errlen);
    PQclear(res);
    return FP_OK;
}

const char *fp_migrations_schema(void)
{
    static char name[128];
    if (!name[0]) {
        int n = fp_migrations_count();
        snprintf(name, sizeof name, "%s", n ? fp_migrations[n - 1].name : "none");
        size_t len = strlen(name);
        if (len > 4 && !strcmp(name + len - 4, ".sql")) name[len - 4] = '\0';
    }
    return name;
}

int fp_migrations_count(void)
{
    int n = 0;
    while (fp_migrations[n].name) n++;
    return n;
}

static int s_is_applied(PGconn *conn, const char *name, fp_err_t *err, char *errbuf, size_t errlen)
{
    const char *params[1] = {name};
    PGresult *res =
        PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE name = $1", 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        *err = s_fail(conn, res, "reading schema_migrations", errbuf, errlen);
        return -1;
    }
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

/* --- 018: ID numbers still in clear are sealed before the clear columns go ------------------- */

#define S_SEAL_BEFORE "018_clear_ids_dropped.sql"
#define S_SEAL_CHUNK 5000

static fp_err_t s_seal_chunk(PGconn *conn, const fp_seal_t *seal, PGresult *ids, char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(conn, "COPY seal_map (id_number, id_hmac, id_sealed, id_masked) FROM STDIN");
    if (PQresultStatus(res) != PGRES_COPY_IN) return s_fail(conn, res, "sealing ID numbers: COPY", errbuf, errlen);
    PQclear(res);
    fp_buf_t b = {0};
    for (int r = 0; r < PQntuples(ids); r++) {
        const char *id = PQgetvalue(ids, r, 0);
        if (strlen(id) != FP_SEAL_ID_LEN) continue; /* char(18): always 18; never sealed short */
        fp_buf_printf(&b, "%s\t", id);
        fp_seal_copy_fields(seal, id, &b);
        fp_buf_puts(&b, "\n");
    }
    int ok = b.len == 0 || PQputCopyData(conn, b.data, (int)b.len) == 1;
    fp_buf_free(&b);
    if (PQputCopyEnd(conn, ok ? NULL : "sending failed") != 1) ok = 0;
    res = PQgetResult(conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) return s_fail(conn, res, "sealing ID numbers", errbuf, errlen);
    PQclear(res);
    while ((res = PQgetResult(conn))) PQclear(res);
    return ok ? FP_OK : s_fail(conn, NULL, "sealing ID numbers", errbuf, errlen);
}

/* Runs inside 018's transaction, before its SQL: every distinct clear number of leads,
 * ledger_members and ledger_events is sealed once into a temporary map, which then fills the
 * three tables. Needs the key only when there is something to seal. */
static fp_err_t s_seal_clear_ids(PGconn *conn, const fp_seal_t *seal, char *errbuf, size_t errlen)
{
    fp_err_t err = s_exec(conn,
                          /* not a TEMP table: a session that has touched one cannot set temp_buffers
                           * any more, which the import commands do after migrating */
                          "CREATE TABLE seal_map (id_number char(18) PRIMARY KEY, id_hmac bytea NOT NULL,"
                          " id_sealed bytea NOT NULL, id_masked text NOT NULL);"
                          "DECLARE seal_ids NO SCROLL CURSOR FOR"
                          " SELECT id_number FROM leads WHERE id_number IS NOT NULL AND id_hmac IS NULL"
                          " UNION SELECT id_number FROM ledger_members WHERE id_hmac IS NULL"
                          " UNION SELECT id_number FROM ledger_events WHERE id_hmac IS NULL",
                          "finding ID numbers in clear", errbuf, errlen);
    long total = 0;
    char fetch[64];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM seal_ids", S_SEAL_CHUNK);
    while (err == FP_OK) {
        PGresult *ids = PQexec(conn, fetch);
        if (PQresultStatus(ids) != PGRES_TUPLES_OK)
            return s_fail(conn, ids, "finding ID numbers in clear", errbuf, errlen);
        int n = PQntuples(ids);
        if (n > 0 && !seal) {
            PQclear(ids);
            snprintf(errbuf, errlen,
                     "ID numbers are stored in clear; sealing them needs the county's data key: run fangpinctl "
                     "migrate with FANGPIN_DATA_KEY (or FANGPIN_KEYS_DIR) naming it, or start intake, which has it");
            return FP_ECONFIG;
        }
        if (n > 0) err = s_seal_chunk(conn, seal, ids, errbuf, errlen);
        PQclear(ids);
        total += n;
        if (n < S_SEAL_CHUNK) break;
    }
    if (err == FP_OK)
        err = s_exec(conn,
                     "CLOSE seal_ids;"
                     "UPDATE leads l SET id_hmac = m.id_hmac, id_sealed = m.id_sealed, id_masked = m.id_masked"
                     "  FROM seal_map m WHERE l.id_hmac IS NULL AND l.id_number = m.id_number;"
                     "UPDATE ledger_members l SET id_hmac = m.id_hmac, id_sealed = m.id_sealed, id_masked = m.id_masked"
                     "  FROM seal_map m WHERE l.id_hmac IS NULL AND l.id_number = m.id_number;"
                     "UPDATE ledger_events l SET id_hmac = m.id_hmac"
                     "  FROM seal_map m WHERE l.id_hmac IS NULL AND l.id_number = m.id_number;"
                     "DROP TABLE seal_map",
                     "sealing ID numbers", errbuf, errlen);
    if (err == FP_OK && seal) err = fp_migrate_check_data_key(conn, seal, errbuf, errlen);
    if (err == FP_OK && total > 0) {
        char n[24];
        snprintf(n, sizeof n, "%ld", total);
        fp_log_info("ID numbers sealed", "distinct_numbers", n);
    }
    return err;
}

fp_err_t fp_migrate_check_data_key(PGconn *conn, const fp_seal_t *seal, char *errbuf, size_t errlen)
{
    char check[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(seal, check);
    const char *params[1] = {check};
    /* the first key presented becomes the database's. Plain SQL, no function: this runs inside
     * 018's transaction too, before the functions (deploy/db/functions/) are applied. */
    PGresult *res = PQexecParams(conn,
                                 "WITH i AS (INSERT INTO data_key (check_value) VALUES ($1) ON CONFLICT DO NOTHING"
                                 " RETURNING check_value)"
                                 " SELECT coalesce((SELECT check_value FROM i), (SELECT check_value FROM data_key))",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) return s_fail(conn, res, "checking the data key", errbuf, errlen);
    bool match = !strcmp(PQgetvalue(res, 0, 0), check);
    if (!match)
        snprintf(errbuf, errlen,
                 "the data key (check value %s) is not this database's (check value %s): give the key file "
                 "this county's ID numbers were sealed with (FANGPIN_DATA_KEY)",
                 check, PQgetvalue(res, 0, 0));
    PQclear(res);
    return match ? FP_OK : FP_ECONFIG;
}

/* The functions, as one transaction: every SQL function and trigger as deploy/db/functions/ says
 * now, whatever an older version made, recorded by digest in schema_functions. Skipped when the
 * database got these very files last and no migration was applied now (a service start does not
 * rewrite 30 functions for nothing). Bodies are checked when called, not here (as pg_restore
 * does), so that a file may use a function of a file applied after it. */
static fp_err_t s_apply_functions(PGconn *conn, int migrated, char *errbuf, size_t errlen)
{
    fp_err_t err = s_exec(conn,
                          "CREATE TABLE IF NOT EXISTS schema_functions ("
                          " only_one boolean PRIMARY KEY DEFAULT true CHECK (only_one), digest text NOT NULL,"
                          " applied_at timestamptz NOT NULL DEFAULT now())",
                          "creating schema_functions", errbuf, errlen);
    if (err != FP_OK) return err;
    if (!migrated) {
        const char *params[1] = {fp_functions_digest};
        PGresult *res =
            PQexecParams(conn, "SELECT 1 FROM schema_functions WHERE digest = $1", 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
            return s_fail(conn, res, "reading schema_functions", errbuf, errlen);
        int same = PQntuples(res) > 0;
        PQclear(res);
        if (same) return FP_OK;
    }
    err = s_exec(conn, "BEGIN; SET LOCAL check_function_bodies = off", "BEGIN", errbuf, errlen);
    for (int i = 0; err == FP_OK && fp_functions[i].name; i++)
        err = s_exec(conn, fp_functions[i].sql, fp_functions[i].name, errbuf, errlen);
    if (err == FP_OK) {
        const char *params[1] = {fp_functions_digest};
        PGresult *res = PQexecParams(conn,
                                     "INSERT INTO schema_functions (digest) VALUES ($1)"
                                     " ON CONFLICT (only_one) DO UPDATE SET digest = $1, applied_at = now()",
                                     1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) err = s_fail(conn, res, "recording the functions", errbuf, errlen);
        else PQclear(res);
    }
    if (err == FP_OK) err = s_exec(conn, "COMMIT", "COMMIT", errbuf, errlen);
    if (err == FP_OK) fp_log_info("functions applied", "digest", fp_functions_digest);
    if (err != FP_OK) PQclear(PQexec(conn, "ROLLBACK"));
    return err;
}

/* The grants, as one transaction: the roles end with exactly what grants.sql says. */
static fp_err_t s_apply_grants(PGconn *conn, char *errbuf, size_t errlen)
{
    fp_err_t err = s_exec(conn, "BEGIN", "BEGIN", errbuf, errlen);
    if (err == FP_OK) err = s_exec(conn, fp_grants_sql, "grants.sql", errbuf, errlen);
    if (err == FP_OK) err = s_exec(conn, "COMMIT", "COMMIT", errbuf, errlen);
    if (err != FP_OK) PQclear(PQexec(conn, "ROLLBACK"));
    return err;
}

fp_err_t fp_migrate_blocking(PGconn *conn, const fp_seal_t *seal, int *applied, char *errbuf, size_t errlen)
{
    fp_err_t err = FP_OK;
    int count = 0;
    char sql[128];
    if (applied) *applied = 0;
    if (PQstatus(conn) != CONNECTION_OK) return s_fail(conn, NULL, "connecting", errbuf, errlen);
    fp_db_log_notices(conn);

    snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", (long long)FP_MIGRATE_LOCK_KEY);
    if ((err = s_exec(conn, sql, "taking the migration lock", errbuf, errlen)) != FP_OK) return err;
    err = s_exec(conn,
                 "SET client_min_messages = warning;"
                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                 "creating schema_migrations", errbuf, errlen);
    for (int i = 0; err == FP_OK && fp_migrations[i].name; i++) {
        int done = s_is_applied(conn, fp_migrations[i].name, &err, errbuf, errlen);
        if (done != 0) continue; /* applied already, or err is set */
        if ((err = s_exec(conn, "BEGIN", "BEGIN", errbuf, errlen)) != FP_OK) break;
        if (!strcmp(fp_migrations[i].name, S_SEAL_BEFORE)) err = s_seal_clear_ids(conn, seal, errbuf, errlen);
        if (err == FP_OK) err = s_exec(conn, fp_migrations[i].sql, fp_migrations[i].name, errbuf, errlen);
        if (err == FP_OK) {
            const char *params[1] = {fp_migrations[i].name};
            PGresult *res =
                PQexecParams(conn, "INSERT INTO schema_migrations (name) VALUES ($1)", 1, NULL, params, NULL, NULL, 0);
            if (PQresultStatus(res) != PGRES_COMMAND_OK) err = s_fail(conn, res, "recording migration", errbuf, errlen);
            else PQclear(res);
        }
        if (err == FP_OK) err = s_exec(conn, "COMMIT", "COMMIT", errbuf, errlen);
        if (err != FP_OK) {
            PQclear(PQexec(conn, "ROLLBACK"));
            break;
        }
        count++;
        fp_log_info("migration applied", "name", fp_migrations[i].name);
    }
    if (err == FP_OK) err = s_apply_functions(conn, count, errbuf, errlen);
    if (err == FP_OK) err = s_apply_grants(conn, errbuf, errlen);
    snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)FP_MIGRATE_LOCK_KEY);
    PQclear(PQexec(conn, sql));
    if (applied) *applied = count;
    return err;
}

int fp_migrate_can_apply(PGconn *conn, char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(conn,
                           "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
                           " OR pg_has_role(current_user, datdba, 'USAGE')"
                           " FROM pg_database WHERE datname = current_database()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        (void)s_fail(conn, res, "checking the role", errbuf, errlen);
        return -1;
    }
    int can = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return can;
}

fp_err_t fp_migrate_check(PGconn *conn, char *errbuf, size_t errlen)
{
    fp_db_log_notices(conn);
    PGresult *res = PQexec(conn, "SELECT count(*) FROM schema_migrations");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) return s_fail(conn, res, "schema", errbuf, errlen);
    int have = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (have < fp_migrations_count()) {
        snprintf(errbuf, errlen, "schema has %d of %d migrations", have, fp_migrations_count());
        return FP_EAGAIN;
    }
    return FP_OK;
}
