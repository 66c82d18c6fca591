/* compare_rules.c: the rules a comparison import made due (docs/compare.md, "When the rules run").
 * The last batch of a department's answer file records, with its facts, that the rules reading
 * that department's facts are due (compare_rules_due); at most a second later this service runs
 * them over the county, one due row per statement (compare_rules_run_next: a transaction of its
 * own), on the nightly runs' connection, until none is left. A row is done only when its run is
 * committed: a service stopped before that leaves it due, and the next look (after a restart, or
 * by another assistance service) runs it. A failed run is logged and tried again at the next look. */
#include <stdio.h>

#include "assist.h"
#include "log.h"

#define S_LOOK_MS 1000

static void s_next(assist_t *a);

static void s_on_run(fp_db_t *db, PGresult *res, void *arg)
{
    assist_t *a = arg;
    if (!a->nightly_db) { /* stopping: the connection is gone */
        a->cmp_running = false;
        return;
    }
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        a->cmp_running = false;
        fp_log_error("the comparison rules' run failed; trying again in a second", "error", fp_db_errmsg(res));
        return;
    }
    if (PQgetisnull(res, 0, 0)) {
        a->cmp_running = false;
        return;
    }
    fp_log_info("comparison rules run", "due", PQgetvalue(res, 0, 0));
    s_next(a);
}

static void s_next(assist_t *a)
{
    fp_db_query(a->nightly_db, 0, "SELECT compare_rules_run_next()", 0, NULL, s_on_run, a);
}

void assist_compare_rules_tick(assist_t *a)
{
    if (a->cmp_running || !fp_service_db_ready(a->svc)) return;
    uint64_t now = uv_now(fp_service_loop(a->svc));
    if (a->cmp_last_look && now - a->cmp_last_look < S_LOOK_MS) return;
    a->cmp_last_look = now;
    if (!assist_nightly_db(a)) return;
    a->cmp_running = true;
    s_next(a);
}
