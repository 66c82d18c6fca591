/* migrate.c: the schema migration step shared by every binary (see migrate.h). Runs over a
 * blocking libpq connection: services call it from a libuv worker thread, never the loop. */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

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
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return s_fail(conn, res, what, errbuf, errlen);
    PQclear(res);
    return FP_OK;
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
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE name = $1", 1, NULL,
                                 params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        *err = s_fail(conn, res, "reading schema_migrations", errbuf, errlen);
        return -1;
    }
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found;
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

fp_err_t fp_migrate_blocking(PGconn *conn, int *applied, char *errbuf, size_t errlen)
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
        err = s_exec(conn, fp_migrations[i].sql, fp_migrations[i].name, errbuf, errlen);
        if (err == FP_OK) {
            const char *params[1] = {fp_migrations[i].name};
            PGresult *res = PQexecParams(conn, "INSERT INTO schema_migrations (name) VALUES ($1)", 1,
                                         NULL, params, NULL, NULL, 0);
            if (PQresultStatus(res) != PGRES_COMMAND_OK)
                err = s_fail(conn, res, "recording migration", errbuf, errlen);
            else
                PQclear(res);
        }
        if (err == FP_OK) err = s_exec(conn, "COMMIT", "COMMIT", errbuf, errlen);
        if (err != FP_OK) {
            PQclear(PQexec(conn, "ROLLBACK"));
            break;
        }
        count++;
        fp_log_info("migration applied", "name", fp_migrations[i].name);
    }
    if (err == FP_OK) err = s_apply_grants(conn, errbuf, errlen);
    snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)FP_MIGRATE_LOCK_KEY);
    PQclear(PQexec(conn, sql));
    if (applied) *applied = count;
    return err;
}

int fp_migrate_can_apply(PGconn *conn, char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(conn, "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
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
