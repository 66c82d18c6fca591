/* change.h: the transaction of one change (job.c), shared by the operations in changes.c and
 * the elimination steps in elim_step.c. A job is BEGIN; the row FOR UPDATE within the caller's
 * region (lock_sql, NOT_FOUND when no row); on_locked() reads the row; the request id looked up in
 * plan_history (a retry answers what is stored); apply() decides and calls assist_job_write()
 * with one statement (row + history + event); COMMIT; the reply read back (reply kind). */
#ifndef ASSIST_CHANGE_H
#define ASSIST_CHANGE_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "assist.h"
#include "chain.h"
#include "elimination.h"

typedef enum { ASSIST_R_SUMMARY, ASSIST_R_MEASURE, ASSIST_R_CHECK, ASSIST_R_QUARTER } assist_reply_kind_t;

typedef struct assist_job assist_job_t;
struct assist_job {
    assist_t *a;
    fp_request_t *req;
    Fangpin__V1__AssistanceRequest *msg;
    fp_db_t *db;
    char scope[13], county[7], actor[128];
    assist_level_t level; /* ASSIST_LV_COUNT_: not an actor */
    int32_t today;
    char today_s[11];
    char plan_id[24], measure_id[24], quarter[7];
    assist_reply_kind_t reply;
    bool replayed, exists;
    /* the row lock: SQL and parameters (owned copies), then what the row means */
    const char *lock_sql;
    int lock_n;
    char *lock_p[4];
    bool (*on_locked)(assist_job_t *j, PGresult *res); /* false: answered (and rolled back) */
    void (*apply)(assist_job_t *j);                    /* not seen before: decide and write */
    /* the answer's status when the change was refused but something was committed (a backstop
     * nomination): code and words; OK otherwise */
    Fangpin__V1__Code code;
    const char *reason; /* its code (common/refusal.c), static */
    char *msg_en, *msg_zh;
    /* elimination */
    assist_elim_t before, after;
    assist_elim_check_t criteria;
    assist_elim_params_t prm; /* in force for the plan's village today (fp_param) */
    bool was_backstop;        /* already recorded as a backstop household */
    char from[24];
    char *notice;
    fp_chain_t chain; /* the transaction (common/chain.h); its job is this */
};

/* A job for the request (the caller's actor, level, region and today filled; its request id
 * checked by the skeleton, its caller by the operation table). Takes msg. */
assist_job_t *assist_job_new(assist_t *a, fp_request_t *req, Fangpin__V1__AssistanceRequest *msg);
/* Sets the row lock: SQL and its n (<= 4) text parameters (copied). */
void assist_job_lock(assist_job_t *j, const char *sql, int n, const char *p0, const char *p1, const char *p2,
                     const char *p3);
/* BEGIN, then the chain above. */
void assist_job_start(assist_job_t *j);
/* Answers the refusal (reason: a code of common/refusal.c; en, zh NULL: its words) and frees the
 * job (before BEGIN, or after the rollback). */
void assist_job_fail(assist_job_t *j, const char *reason, const char *en, const char *zh);
/* request.field, naming the field: "field: en" / "field：zh". */
void assist_job_bad(assist_job_t *j, const char *field, const char *en, const char *zh);
/* Inside the transaction: ROLLBACK, then answer. */
void assist_job_refuse(assist_job_t *j, const char *reason, const char *en, const char *zh);
/* Runs the one write statement; then COMMIT and the reply (a duplicate request id: replay). */
void assist_job_write(assist_job_t *j, const char *sql, int n, const char *const *p);
/* COMMIT and reply (nothing written: a replay). */
void assist_job_commit(assist_job_t *j);
/* The status the reply carries when something was committed for a refused change: its reason
 * (static; the status is the reason's) and words. */
void assist_job_set_status(assist_job_t *j, const char *reason, const char *en, const char *zh);
const char *assist_job_level(const assist_job_t *j);

/* elim_step.c: validates an EliminationStep and sets the job's lock, on_locked and apply; false
 * when it answered (bad input). */
bool assist_elim_prepare(assist_job_t *j);

/* --- what changes.c and measure_changes.c share ------------------------------------------- */

/* The row lock of a plan: $1 the plan id, $2 the caller's region prefix. */
#define ASSIST_LOCK_PLAN                                                           \
    "SELECT p.id::text, p.kind, p.elim_state FROM plans p WHERE p.id = $1::bigint" \
    " AND p.village_code LIKE $2 || '%' FOR UPDATE"

/* on_locked of a change on a plan: keeps its id and elimination state. */
bool assist_plan_locked(assist_job_t *j, PGresult *res);
/* s is a date (YYYY-MM-DD), stored in *out. */
bool assist_valid_date(const char *s, int32_t *out);
/* The checks every change starts with; each answers request.field naming the field and returns
 * false when the value is refused. what: "plan" or "measure" (a plan id / a measure id > 0). */
bool assist_check_id(assist_job_t *j, const char *field, int64_t id, const char *what);
/* An amount in fen within 0..10^11 (one thousand million yuan). */
bool assist_check_fen(assist_job_t *j, const char *field, int64_t fen);
/* Locks the plan plan_id inside the caller's region (ASSIST_LOCK_PLAN). */
void assist_lock_plan(assist_job_t *j, int64_t plan_id);

/* The measure changes (measure_changes.c): false when refused (answered). */
bool assist_start_add_measure(assist_job_t *j);
bool assist_start_set_measure_status(assist_job_t *j);
bool assist_start_check_measure(assist_job_t *j);

#endif
