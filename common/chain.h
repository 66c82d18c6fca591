/* chain.h: one transaction as a chain of statements on one connection, written once for the
 * services' changes (screening's case transitions, assistance's changes, intake's batches):
 * BEGIN; each statement runs in front of the connection's queue when the one before it has
 * answered; COMMIT. A lost connection, or a statement that fails, ends the chain: it is rolled
 * back (the server does when the connection is lost), logged, and the job's fail callback
 * answers with db.unavailable or db.failed (common/refusal.c). A retry is safe by request id:
 * fp_chain_once looks the id up inside the transaction, and a write that hits the request id's
 * unique index (the same request committed meanwhile by a concurrent retry) is handed to the
 * step as it is (FP_CHAIN_VIOLATIONS), so that it answers the stored outcome. */
#ifndef FP_CHAIN_H
#define FP_CHAIN_H
#include <libpq-fe.h>
#include <stdbool.h>

#include "db.h"

typedef struct fp_chain fp_chain_t;
/* A step: the statement before it succeeded (res its result) and the chain goes on from here. */
typedef void (*fp_chain_step_fn)(fp_chain_t *c, PGresult *res);

struct fp_chain {
    fp_db_t *db;
    const char *what; /* names the chain in the log: "case transition" */
    void *job;        /* the job the steps and fail work on */
    /* The chain ended: reason "db.unavailable" (the connection was lost: nothing was stored) or
     * "db.failed" (a statement failed: logged, rolled back; res is its result, for its
     * SQLSTATE). Answers the request and frees the job. */
    void (*fail)(fp_chain_t *c, const char *reason, PGresult *res);
    /* the statement in flight */
    fp_chain_step_fn next, fresh, seen, committed;
    const char *step;
    ExecStatusType want;
    int flags;
    bool begun;
};

enum { FP_CHAIN_VIOLATIONS = 1 }; /* a unique violation goes to the step instead of failing */

/* BEGIN (sql: "BEGIN" or more statements starting with it), then next. The chain starts from
 * the back of the connection's queue; later statements run in front of it. */
void fp_chain_begin(fp_chain_t *c, const char *sql, fp_chain_step_fn next);
/* Runs sql (n text parameters p), expecting want; then next(c, res). step names it in the log. */
void fp_chain_query(fp_chain_t *c, const char *step, const char *sql, int n, const char *const *p, ExecStatusType want,
                    int flags, fp_chain_step_fn next);
/* COPY ... FROM STDIN of data (handed over, see fp_db_copy); then next. */
void fp_chain_copy(fp_chain_t *c, const char *step, const char *sql, fp_buf_t *data, fp_chain_step_fn next);
/* The request id seen before? Runs sql (n parameters p; a row means yes); then seen(c, res)
 * with its rows, or fresh(c, res). */
void fp_chain_once(fp_chain_t *c, const char *sql, int n, const char *const *p, fp_chain_step_fn fresh,
                   fp_chain_step_fn seen);
/* COMMIT; then committed(c, res). */
void fp_chain_commit(fp_chain_t *c, fp_chain_step_fn committed);
/* ROLLBACK (in front, its result ignored): the chain ends without a commit; the caller answers. */
void fp_chain_rollback(fp_chain_t *c);

#endif
