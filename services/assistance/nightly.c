/* nightly.c: the nightly data-quality runs (docs/quality-checks.md). Once the clock (UTC+8) has passed
 * FANGPIN_QUALITY_NIGHTLY_AT on a day (FANGPIN_TODAY or today), every rule runs over each county of
 * the ledger that has no nightly run for that day yet (reason 'nightly'), on a connection of its
 * own so that a long run holds up no request: quality_nightly_due() names the counties, then
 * quality_nightly_county() runs each in a statement, so a transaction of its own (what one county
 * found is committed before the next begins; one county that fails loses no other's run). The runs
 * table is the record: a restart, or a second service, on the same day runs nothing again. A
 * failed county is logged, the others go on, and the attempt is made again a minute later for the
 * counties still without their run. "off" runs nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assist.h"
#include "date.h"
#include "log.h"
#include "mem.h"

#define S_RETRY_MS 60000

/* "HH:MM" as minutes after midnight (fp_clock_minutes_parse), "off" as -1; -2 when it is neither. */
int assist_nightly_parse(const char *s)
{
    if (!strcmp(s, "off")) return -1;
    int m = fp_clock_minutes_parse(s);
    return m < 0 ? -2 : m;
}

/* Checks the setting only: the connection is made when the first run is due. */
int assist_nightly_start(assist_t *a, fp_service_t *svc)
{
    const char *at = fp_service_str(svc, "FANGPIN_QUALITY_NIGHTLY_AT");
    a->nightly_at = assist_nightly_parse(at);
    if (a->nightly_at == -2) {
        fp_log_error("FANGPIN_QUALITY_NIGHTLY_AT must be HH:MM or off", "value", at);
        return 1;
    }
    return 0;
}

static void s_on_db_state(fp_db_t *db, bool up, void *arg)
{
    assist_t *a = arg;
    a->nightly_up = up;
    if (up) assist_compare_rules_wanted(a); /* rules made due while it was down (or before a restart) */
}

static void s_on_db_notify(fp_db_t *db, const char *channel, const char *payload, void *arg)
{
    if (!strcmp(channel, "fangpin_compare_rules")) assist_compare_rules_wanted(arg);
}

/* The runs' own connection (the nightly runs' and the comparison rules', compare_rules.c, which
 * listens on it), made at the first tick; true once it is up. */
bool assist_nightly_db(assist_t *a)
{
    if (a->nightly_db) return a->nightly_up;
    fp_db_opts_t o = {.backoff_min_ms = 100,
                      .backoff_max_ms = (int)fp_service_int(a->svc, "FANGPIN_DB_BACKOFF_MAX_MS"),
                      .on_state = s_on_db_state,
                      .on_notify = s_on_db_notify,
                      .arg = a};
    if (fp_db_new(fp_service_loop(a->svc), fp_service_str(a->svc, "FANGPIN_PG"), &o, &a->nightly_db) != FP_OK) {
        fp_log_error("no database connection for the nightly data-quality runs");
        return false;
    }
    fp_service_db_metrics(a->svc, a->nightly_db);
    fp_db_listen(a->nightly_db, "fangpin_compare_rules"); /* compare_rules.c */
    return false;
}

static void s_counties_free(assist_t *a)
{
    free(a->nightly_counties);
    a->nightly_counties = NULL;
    a->nightly_n = a->nightly_next = 0;
}

static void s_on_county(fp_db_t *db, PGresult *res, void *arg);

/* The next due county's run, in its own transaction; when none is left, the attempt's end. */
static void s_next_county(assist_t *a)
{
    if (!a->nightly_db) { /* stopping: the connection is gone */
        a->nightly_running = false;
        s_counties_free(a);
        return;
    }
    if (a->nightly_next >= a->nightly_n) {
        a->nightly_running = false;
        char n[24];
        snprintf(n, sizeof n, "%zu", a->nightly_ran);
        if (!a->nightly_failed) {
            a->nightly_done_day = a->nightly_day;
            fp_log_info("nightly data-quality runs done", "counties", n);
        } else {
            fp_log_error("nightly data-quality runs incomplete; the counties left are tried again in a minute",
                         "counties_run", n);
        }
        s_counties_free(a);
        return;
    }
    char day[11];
    fp_date_format(a->nightly_day, day);
    const char *p[2] = {a->nightly_counties[a->nightly_next], day};
    fp_db_query(a->nightly_db, 0, "SELECT quality_nightly_county($1, $2::date, 'assistance:nightly')", 2, p,
                s_on_county, a);
}

static void s_on_county(fp_db_t *db, PGresult *res, void *arg)
{
    assist_t *a = arg;
    const char *county = a->nightly_counties[a->nightly_next];
    if (!a->nightly_db) {
        s_next_county(a);
        return;
    }
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        a->nightly_failed = true;
        fp_log_error("the nightly data-quality run of a county failed", "county", county, "error", fp_db_errmsg(res));
    } else if (!PQgetisnull(res, 0, 0)) {
        a->nightly_ran++;
    }
    a->nightly_next++;
    s_next_county(a);
}

static void s_on_due(fp_db_t *db, PGresult *res, void *arg)
{
    assist_t *a = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        a->nightly_running = false;
        fp_log_error("the nightly data-quality runs failed; trying again in a minute", "error", fp_db_errmsg(res));
        return;
    }
    size_t n = (size_t)PQntuples(res);
    a->nightly_counties = fp_calloc(n ? n : 1, sizeof *a->nightly_counties);
    for (size_t i = 0; i < n; i++) snprintf(a->nightly_counties[i], 7, "%s", PQgetvalue(res, (int)i, 0));
    a->nightly_n = n;
    a->nightly_next = a->nightly_ran = 0;
    a->nightly_failed = false;
    s_next_county(a);
}

void assist_nightly_tick(assist_t *a)
{
    if (a->nightly_at < 0 || a->nightly_running || !fp_service_db_ready(a->svc)) return;
    int32_t today = assist_today(a);
    if (today == a->nightly_done_day) return;
    uint64_t now = uv_now(fp_service_loop(a->svc));
    if (a->nightly_tried && now - a->nightly_last_try < S_RETRY_MS) return;
    long minute = (long)((time(NULL) + 8 * 3600) % 86400) / 60;
    if (minute < a->nightly_at || !assist_nightly_db(a)) return;
    a->nightly_tried = true;
    a->nightly_last_try = now;
    a->nightly_running = true;
    a->nightly_day = today;
    char day[11];
    fp_date_format(today, day);
    const char *p[1] = {day};
    fp_db_query(a->nightly_db, 0, "SELECT county FROM quality_nightly_due($1::date) county", 1, p, s_on_due, a);
}

void assist_nightly_stop(assist_t *a)
{
    fp_db_destroy(&a->nightly_db); /* a run in flight is answered NULL: its chain ends there */
    s_counties_free(a);
}
