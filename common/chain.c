/* chain.c: a transaction as a chain of statements (chain.h). */
#include "chain.h"

#include "log.h"

static void s_on_result(fp_db_t *db, PGresult *res, void *arg)
{
    (void)db;
    fp_chain_t *c = arg;
    if (!res) { /* the connection was lost: the server rolls back */
        c->begun = false;
        c->fail(c, "db.unavailable", NULL);
        return;
    }
    if (PQresultStatus(res) != c->want && !((c->flags & FP_CHAIN_VIOLATIONS) && fp_db_unique_violation(res, NULL))) {
        fp_log_error("transaction failed; rolled back", "chain", c->what, "step", c->step, "error", fp_db_errmsg(res));
        if (c->begun) fp_chain_rollback(c);
        c->fail(c, "db.failed", res);
        return;
    }
    c->next(c, res);
}

static void s_set(fp_chain_t *c, const char *step, ExecStatusType want, int flags, fp_chain_step_fn next)
{
    c->step = step;
    c->want = want;
    c->flags = flags;
    c->next = next;
}

void fp_chain_begin(fp_chain_t *c, const char *sql, fp_chain_step_fn next)
{
    c->begun = true; /* a BEGIN with statements after it that fail is rolled back too */
    s_set(c, "BEGIN", PGRES_COMMAND_OK, 0, next);
    fp_db_query(c->db, 0, sql, 0, NULL, s_on_result, c);
}

void fp_chain_query(fp_chain_t *c, const char *step, const char *sql, int n, const char *const *p, ExecStatusType want,
                    int flags, fp_chain_step_fn next)
{
    s_set(c, step, want, flags, next);
    fp_db_query(c->db, FP_DB_FRONT, sql, n, p, s_on_result, c);
}

void fp_chain_copy(fp_chain_t *c, const char *step, const char *sql, fp_buf_t *data, fp_chain_step_fn next)
{
    s_set(c, step, PGRES_COMMAND_OK, 0, next);
    fp_db_copy(c->db, FP_DB_FRONT, sql, data, s_on_result, c);
}

/* The request id's lookup answered: seen (rows) or fresh. */
static void s_on_once(fp_chain_t *c, PGresult *res)
{
    fp_chain_step_fn go = PQntuples(res) > 0 ? c->seen : c->fresh;
    go(c, res);
}

void fp_chain_once(fp_chain_t *c, const char *sql, int n, const char *const *p, fp_chain_step_fn fresh,
                   fp_chain_step_fn seen)
{
    c->fresh = fresh;
    c->seen = seen;
    fp_chain_query(c, "request id", sql, n, p, PGRES_TUPLES_OK, 0, s_on_once);
}

static void s_on_committed(fp_chain_t *c, PGresult *res)
{
    c->begun = false;
    c->committed(c, res);
}

void fp_chain_commit(fp_chain_t *c, fp_chain_step_fn committed)
{
    c->committed = committed;
    fp_chain_query(c, "COMMIT", "COMMIT", 0, NULL, PGRES_COMMAND_OK, 0, s_on_committed);
}

void fp_chain_rollback(fp_chain_t *c)
{
    c->begun = false;
    fp_db_rollback(c->db);
}
