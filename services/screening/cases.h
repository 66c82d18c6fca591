/* cases.h: screening's cases. cases.c turns the facts screen_match()
 * (deploy/db/functions/screening.sql) returns for the cases a batch touched into decisions with the pure income and rule code; queries.c answers
 * ListCases and ShowCase within the caller's region. */
#ifndef SCREEN_CASES_H
#define SCREEN_CASES_H
#include <libpq-fe.h>

#include "fangpin/v1/screening.pb-c.h"
#include "mem.h"
#include "rules.h"
#include "service.h"

/* The columns of screen_match()'s rows, in order. */
enum {
    SCREEN_F_CASE_ID = 0,
    SCREEN_F_VILLAGE,
    SCREEN_F_OPENED_ON,
    SCREEN_F_HH_TYPE,
    SCREEN_F_WAGE,
    SCREEN_F_WAGE_PUBLIC,
    SCREEN_F_OPERATING,
    SCREEN_F_PROPERTY,
    SCREEN_F_PENSION,
    SCREEN_F_FAMILY_PLANNING,
    SCREEN_F_ECO,
    SCREEN_F_DIBAO,
    SCREEN_F_TEKUN,
    SCREEN_F_OTHER_TRANSFER,
    SCREEN_F_PRODUCTION_COST,
    SCREEN_F_MEDICAL_OOP,
    SCREEN_F_LEAD_MEDICAL,
    SCREEN_F_EDUCATION_OK,
    SCREEN_F_EDUCATION_REASON,
    SCREEN_F_MEDICAL_OK,
    SCREEN_F_MEDICAL_REASON,
    SCREEN_F_HOUSING_OK,
    SCREEN_F_HOUSING_REASON,
    SCREEN_F_WATER_OK,
    SCREEN_F_WATER_REASON,
    SCREEN_F_MEMBERS,
    SCREEN_F_WITH_LABOUR,
    SCREEN_F_DISABLED,
    SCREEN_F_UNINSURED,
    SCREEN_F_DROPPED_OUT,
    SCREEN_F_LEAD_SHOCKS,
    SCREEN_F_LEAD_GUARANTEES,
    SCREEN_F_LINE_FEN,
    SCREEN_F_RIGID_RATIO,
    SCREEN_F_UPPER_RATIO,
    SCREEN_F_COUNT_
};

/* The shock bits (SCREEN_SHOCK_*) of a comma-separated list of shock names (lead_kinds.shock:
 * "illness,job_loss"); names it does not know add nothing. */
unsigned screen_shocks_of_names(const char *names);

/* Evaluates every row of res (screen_match's result) and appends to json the array
 * [{id, decision, line_fen, per_capita_net_fen}, ...] for screen_store_decisions(). A row whose
 * facts the rules refuse gets a decision {"error": ...}. Returns the number of rows. */
int screen_cases_decide(PGresult *res, fp_buf_t *json);

/* ListCases and ShowCase (queries.c): answer req exactly once; take ownership of msg. */
void screen_list_cases(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void screen_show_case(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);

#endif
