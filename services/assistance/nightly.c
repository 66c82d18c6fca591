/* nightly.c: the nightly data-quality runs (docs/quality-checks.md). Once the clock (UTC+8) has passed
 * FANGPIN_QUALITY_NIGHTLY_AT on a day (FANGPIN_TODAY or today), quality_nightly() runs every rule
 * over each county of the ledger that has no nightly run for that day yet (reason 'nightly'), on a
 * connection of its own so that a long run holds up no request. The runs table is the record: a
 * restart, or a second service, on the same day runs nothing again. A failed attempt is logged
 * and tried again a minute later. "off" runs nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assist.h"
#include "date.h"
#include "log.h"

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

static void s_on_db_state(fp_db_t *db, bool up, void *arg) { ((assist_t *)arg)->nightly_up = up; }

/* The run's own connection, made the first time a run is due; true once it is up. */
static bool s_db(assist_t *a)
{
    if (a->nightly_db) return a->nightly_up;
    fp_db_opts_t o = {.backoff_min_ms = 100,
                      .backoff_max_ms = (int)fp_service_int(a->svc, "FANGPIN_DB_BACKOFF_MAX_MS"),
                      .on_state = s_on_db_state,
                      .arg = a};
    if (fp_db_new(fp_service_loop(a->svc), fp_service_str(a->svc, "FANGPIN_PG"), &o, &a->nightly_db) != FP_OK) {
        fp_log_error("no database connection for the nightly data-quality runs");
        return false;
    }
    fp_service_db_metrics(a->svc, a->nightly_db);
    return false;
}

static void s_on_nightly(fp_db_t *db, PGresult *res, void *arg)
{
    assist_t *a = arg;
    a->nightly_running = false;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        fp_log_error("the nightly data-quality runs failed; trying again in a minute", "error", fp_db_errmsg(res));
        return;
    }
    a->nightly_done_day = a->nightly_day;
    fp_log_info("nightly data-quality runs done", "counties", PQgetvalue(res, 0, 0));
}

void assist_nightly_tick(assist_t *a)
{
    if (a->nightly_at < 0 || a->nightly_running || !fp_service_db_ready(a->svc)) return;
    int32_t today = assist_today(a);
    if (today == a->nightly_done_day) return;
    uint64_t now = uv_now(fp_service_loop(a->svc));
    if (a->nightly_tried && now - a->nightly_last_try < S_RETRY_MS) return;
    long minute = (long)((time(NULL) + 8 * 3600) % 86400) / 60;
    if (minute < a->nightly_at || !s_db(a)) return;
    a->nightly_tried = true;
    a->nightly_last_try = now;
    a->nightly_running = true;
    a->nightly_day = today;
    char day[11];
    fp_date_format(today, day);
    const char *p[1] = {day};
    fp_db_query(a->nightly_db, 0, "SELECT quality_nightly($1::date, 'assistance:nightly')::text", 1, p, s_on_nightly,
                a);
}

void assist_nightly_stop(assist_t *a) { fp_db_destroy(&a->nightly_db); }
