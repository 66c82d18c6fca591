/* calendar_test.c: the working-day calendar computed twice gives one answer. The services count
 * due dates in C (domain/calendar.c, fp_days_add) and the database counts them in SQL
 * (fp_add_days, which the case's due_on and the quarter reports' due days use). For a database
 * migrated the way every service migrates it (common/migrate.c, whatever it embeds), and for
 * several holiday calendars, every day of 2024..2028 with several step lengths must give the same
 * due date on both sides. C reads the calendar back from the holidays table as the services do
 * (string_agg, fp_calendar_days_parse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "date.h"
#include "migrate.h"

#define S_DB "it_calendar"
#define S_MAX_DAYS 4096

static char g_admin[256], g_conninfo[256];

static PGresult *s_exec(PGconn *c, const char *sql, ExecStatusType want)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != want) fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    return res;
}

/* A fresh database of the test cluster, migrated as every service migrates it. */
static int setup(void **state)
{
    PGconn *a = PQconnectdb(g_admin);
    assert_int_equal(PQstatus(a), CONNECTION_OK);
    PQclear(s_exec(a, "DROP DATABASE IF EXISTS " S_DB " WITH (FORCE)", PGRES_COMMAND_OK));
    PQclear(s_exec(a, "CREATE DATABASE " S_DB, PGRES_COMMAND_OK));
    PQfinish(a);
    PGconn *c = PQconnectdb(g_conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    char err[512] = "";
    int applied = 0;
    if (fp_migrate_blocking(c, NULL, &applied, err, sizeof err) != FP_OK) fail_msg("migrating: %s", err);
    assert_true(applied > 0);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    PQfinish(*state);
    PGconn *a = PQconnectdb(g_admin);
    PQclear(PQexec(a, "DROP DATABASE IF EXISTS " S_DB " WITH (FORCE)"));
    PQfinish(a);
    return 0;
}

/* The holidays table holds exactly these days: 'holiday' for each of hol, 'workday' for wd. */
static void s_load(PGconn *c, const int32_t *hol, size_t nh, const int32_t *wd, size_t nw)
{
    PQclear(s_exec(c, "DELETE FROM holidays", PGRES_COMMAND_OK));
    for (size_t i = 0; i < nh + nw; i++) {
        char day[11], sql[128];
        fp_date_format(i < nh ? hol[i] : wd[i - nh], day);
        snprintf(sql, sizeof sql, "INSERT INTO holidays (day, kind) VALUES ('%s', '%s')", day,
                 i < nh ? "holiday" : "workday");
        PQclear(s_exec(c, sql, PGRES_COMMAND_OK));
    }
}

/* The calendar as the services read it back: comma-separated days of each kind. */
static void s_read_back(PGconn *c, fp_calendar_t *cal, int32_t *hol, int32_t *wd)
{
    PGresult *res = s_exec(c,
                           "SELECT coalesce((SELECT string_agg(to_char(day, 'YYYY-MM-DD'), ',') FROM holidays"
                           "  WHERE kind = 'holiday'), ''),"
                           " coalesce((SELECT string_agg(to_char(day, 'YYYY-MM-DD'), ',') FROM holidays"
                           "  WHERE kind = 'workday'), '')",
                           PGRES_TUPLES_OK);
    cal->holidays = hol;
    cal->n_holidays = fp_calendar_days_parse(PQgetvalue(res, 0, 0), hol, S_MAX_DAYS);
    cal->workdays = wd;
    cal->n_workdays = fp_calendar_days_parse(PQgetvalue(res, 0, 1), wd, S_MAX_DAYS);
    PQclear(res);
}

/* Every day of 2024..2028, n in a few step lengths, working and calendar days: SQL against C.
 * Returns how many rows were compared. */
static int s_compare(PGconn *c, const char *name)
{
    static int32_t hol[S_MAX_DAYS], wd[S_MAX_DAYS];
    fp_calendar_t cal;
    s_read_back(c, &cal, hol, wd);
    PGresult *res =
        s_exec(c,
               "SELECT to_char(d, 'YYYY-MM-DD'), n, w::int, to_char(fp_add_days(d::date, n, w), 'YYYY-MM-DD')"
               " FROM generate_series(date '2024-01-01', date '2028-12-31', interval '1 day') AS d,"
               " unnest(ARRAY[-3, -1, 0, 1, 2, 3, 5, 15, 20]) AS n, unnest(ARRAY[true, false]) AS w",
               PGRES_TUPLES_OK);
    int rows = PQntuples(res), bad = 0;
    for (int r = 0; r < rows; r++) {
        int32_t from, sql_due;
        assert_int_equal(fp_date_parse(PQgetvalue(res, r, 0), &from), FP_OK);
        assert_int_equal(fp_date_parse(PQgetvalue(res, r, 3), &sql_due), FP_OK);
        int n = atoi(PQgetvalue(res, r, 1));
        bool working = PQgetvalue(res, r, 2)[0] == '1';
        int32_t c_due = fp_days_add(from, n, working, &cal);
        if (c_due == sql_due) continue;
        char cd[11];
        fp_date_format(c_due, cd);
        if (bad++ < 10)
            print_error("%s: %s + %d %s days: SQL %s, C %s\n", name, PQgetvalue(res, r, 0), n,
                        working ? "working" : "calendar", PQgetvalue(res, r, 3), cd);
    }
    PQclear(res);
    if (bad) fail_msg("%s: %d of %d due dates differ between SQL and C", name, bad, rows);
    return rows;
}

#define D(y, m, d) fp_date_from_civil(y, m, d)

static void test_no_calendar(void **state)
{
    s_load(*state, NULL, 0, NULL, 0);
    assert_true(s_compare(*state, "no holidays") > 5 * 365 * 18);
}

/* The State Council's pattern: a week off around a festival, weekend days worked instead. */
static void test_festivals(void **state)
{
    int32_t hol[64], wd[32];
    size_t nh = 0, nw = 0;
    for (int y = 2024; y <= 2028; y++) {
        for (int d = 1; d <= 7; d++) hol[nh++] = D(y, 10, d);    /* National Day week */
        for (int d = 0; d < 5; d++) hol[nh++] = D(y, 2, 10) + d; /* a Spring Festival block */
        wd[nw++] = D(y, 9, 28);                                  /* 调休: a weekend day worked */
        wd[nw++] = D(y, 10, 11);
    }
    s_load(*state, hol, nh, wd, nw);
    s_compare(*state, "festivals");
}

/* A dense seeded calendar: one weekday in seven a holiday, one weekend day in five worked. */
static void test_dense(void **state)
{
    static int32_t hol[S_MAX_DAYS], wd[S_MAX_DAYS];
    size_t nh = 0, nw = 0;
    uint32_t x = 20261203;
    for (int32_t d = D(2023, 12, 1); d <= D(2029, 2, 28); d++) {
        x = x * 1103515245u + 12345u;
        unsigned r = (x >> 16) % 35;
        if (fp_date_weekday(d) < 5 && r < 5) hol[nh++] = d;
        else if (fp_date_weekday(d) >= 5 && r < 7) wd[nw++] = d;
    }
    s_load(*state, hol, nh, wd, nw);
    s_compare(*state, "dense");
}

int main(void)
{
    const char *var = getenv("FANGPIN_TEST_VAR");
    char path[512];
    snprintf(path, sizeof path, "%s/pg/port", var ? var : ".");
    FILE *f = fopen(path, "r");
    int port = 0;
    if (!f || fscanf(f, "%d", &port) != 1) {
        fprintf(stderr, "calendar_test: no test PostgreSQL (%s)\n", path);
        return 1;
    }
    fclose(f);
    snprintf(g_admin, sizeof g_admin, "host=127.0.0.1 port=%d dbname=postgres user=postgres", port);
    snprintf(g_conninfo, sizeof g_conninfo, "host=127.0.0.1 port=%d dbname=" S_DB " user=postgres", port);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_calendar),
        cmocka_unit_test(test_festivals),
        cmocka_unit_test(test_dense),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
