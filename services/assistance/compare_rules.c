/* compare_rules.c: the rules a comparison import made due (docs/compare.md, "When the rules run").
 * The last batch of a department's answer file records, with its facts, that the rules reading
 * that department's facts are due (compare_rules_due) and announces it (NOTIFY
 * fangpin_compare_rules, delivered at its commit); this service, listening on the runs' own
 * connection (nightly.c), runs them over the county at once, one due row per statement
 * (compare_rules_run_next: a transaction of its own), until none is left. It looks too whenever
 * that connection comes up, at start and after a reconnect: a row is done only when its run is
 * committed, so a service stopped (or killed) before that leaves it due, and the look at the next
 * start runs it. A failed run is logged and tried again a second later; so is a due row another
 * assistance service is running (skipped while locked: it may end without a commit). */
#include <stdio.h>

#include "assist.h"
#include "log.h"

#define S_RETRY_MS 1000

static void s_next(assist_t *a);
static void s_look(assist_t *a);

static void s_retry_later(assist_t *a)
{
    a->cmp_running = false;
    a->cmp_retry_at = uv_now(fp_service_loop(a->svc)) + S_RETRY_MS;
}

static void s_on_run(fp_db_t *db, PGresult *res, void *arg)
{
    assist_t *a = arg;
    if (!a->nightly_db) { /* stopping: the connection is gone */
        a->cmp_running = false;
        return;
    }
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        fp_log_error("the comparison rules' run failed; trying again in a second", "error", fp_db_errmsg(res));
        s_retry_later(a);
        return;
    }
    if (PQgetisnull(res, 0, 0)) {
        if (PQgetvalue(res, 0, 1)[0] == 't') { /* due rows, each being run by another: look again */
            s_retry_later(a);
            return;
        }
        a->cmp_running = false;
        s_look(a); /* announced while this look ran */
        return;
    }
    fp_log_info("comparison rules run", "due", PQgetvalue(res, 0, 0));
    s_next(a);
}

static void s_next(assist_t *a)
{
    fp_db_query(a->nightly_db, 0,
                "SELECT compare_rules_run_next(), EXISTS (SELECT 1 FROM compare_rules_due WHERE done_at IS NULL)", 0,
                NULL, s_on_run, a);
}

static void s_look(assist_t *a)
{
    if (a->cmp_running || !a->cmp_wanted || !fp_service_db_ready(a->svc) || !a->nightly_db || !a->nightly_up) return;
    a->cmp_wanted = false;
    a->cmp_running = true;
    s_next(a);
}

void assist_compare_rules_wanted(assist_t *a)
{
    a->cmp_wanted = true;
    s_look(a);
}

void assist_compare_rules_tick(assist_t *a)
{
    if (!fp_service_db_ready(a->svc) || !assist_nightly_db(a)) return; /* the connection is made at start */
    if (a->cmp_retry_at && uv_now(fp_service_loop(a->svc)) >= a->cmp_retry_at) {
        a->cmp_retry_at = 0;
        a->cmp_wanted = true;
    }
    s_look(a);
}
