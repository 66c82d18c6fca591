/* categories.h: the rural low-income population through screening's protocol (docs/lowincome.md):
 * civil affairs confirms or ends a household's low-income category (ConfirmCategory,
 * LeaveCategory: categories.c), the categories and the referrals to civil affairs are read
 * (ListCategories, ListReferrals), and a screened batch's households likely in a low-income
 * category are sent to civil affairs (refer.c). */
#ifndef SCREEN_CATEGORIES_H
#define SCREEN_CATEGORIES_H
#include <libpq-fe.h>

#include "fangpin/v1/screening.pb-c.h"
#include "mem.h"
#include "service.h"

/* ConfirmCategory / LeaveCategory: one transaction, idempotent by request id; only a key of the
 * civil-affairs department (domain/lowincome.h: lowincome_may_change). */
void screen_change_category(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void screen_list_categories(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
/* DeclineReferral: civil affairs declines a referral, with its reason (one transaction,
 * idempotent by request id). */
void screen_decline_referral(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void screen_list_referrals(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);

/* The region a caller may read categories in (13 bytes): an actor's region, an admin's county,
 * the civil-affairs department's county. NULL when it may, else the refusal's code. */
const char *screen_category_scope(const fp_principal_t *p, char out[13]);

/* The rows of lowincome_candidates() judged by the low-income rules: appends to json the
 * referrals ([{case_id, category, facts}]) and returns how many. */
int screen_refer_json(PGresult *res, fp_buf_t *json);

#endif
