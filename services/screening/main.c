/* main.c: fangpin-screening, matches leads to households and carries cases village → township → county.
 * Wires the shared service skeleton (common/service.c) to this service's request type,
 * fangpin.v1.ScreeningRequest / ScreeningReply (proto/fangpin/v1/screening.proto). */
#include <stdio.h>

#include "cases.h"
#include "categories.h"
#include "fangpin/v1/screening.pb-c.h"
#include "log.h"
#include "receive.h"
#include "service.h"
#include "today.h"
#include "vocab.h"
#include "transitions.h"

static screen_recv_t g_recv;   /* the one instance; main owns it */
static screen_trans_t g_trans; /* transitions and the overdue scan */

#define S_OP(NAME) FANGPIN__V1__SCREENING_REQUEST__OP_##NAME
/* a case read: admins and actors of any level, within their region (domain/scope.h) */
#define S_READ                                                                                                         \
    true, FP_CALL_ADMIN | FP_CALL_ACTORS, "read.kind", "cases are for village, township and county actors and admins", \
        "仅村、乡、县工作人员及管理员可查看监测案件"
/* a case step: actors of the levels that take steps, at the level the case table allows */
#define S_STEP                                             \
    screen_transition, true, FP_CALL_STEPS, "caller.kind", \
        "case steps are taken by village, township and county actors only", "案件只能由村、乡（镇）、县级工作人员办理"

/* who may change a category, for callers the row refuses (domain/lowincome.c says it for the rest) */
#define S_CATEGORY_WORDS                                                                                           \
    "category.authority", "a low-income category is identified by civil affairs (民政): only a civil-affairs key", \
        "低收入人口类别由民政部门认定，仅民政部门可变更"

/* The operations (common/ops.h). */
static const fp_op_t s_ops[] = {
    {S_OP(PING), "ping", fp_op_ping, false, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(LIST_CASES), "list_cases", screen_list_cases, S_READ},
    {S_OP(SHOW_CASE), "show_case", screen_show_case, S_READ},
    {S_OP(RECORD_VISIT), "record_visit", S_STEP},
    {S_OP(POST_NOTICE), "post_notice", S_STEP},
    {S_OP(RECORD_OBJECTION), "record_objection", S_STEP},
    {S_OP(TOWNSHIP_REVIEW), "township_review", S_STEP},
    {S_OP(COUNTY_APPROVE), "county_approve", S_STEP},
    {S_OP(IDENTIFY), "identify", S_STEP},
    {S_OP(RETURN_CASE), "return_case", S_STEP},
    {S_OP(CLOSE_CASE), "close_case", S_STEP},
    /* the low-income categories (categories.c): a change is a department's (the handler admits civil
     * affairs alone, by the category's authority); the reads are also actors' and admins' */
    {S_OP(CONFIRM_CATEGORY), "confirm_category", screen_change_category, true, FP_CALL_DEPARTMENT, S_CATEGORY_WORDS},
    {S_OP(LEAVE_CATEGORY), "leave_category", screen_change_category, true, FP_CALL_DEPARTMENT, S_CATEGORY_WORDS},
    {S_OP(DECLINE_REFERRAL), "decline_referral", screen_decline_referral, true, FP_CALL_DEPARTMENT,
     S_CATEGORY_WORDS},
    {S_OP(LIST_CATEGORIES), "list_categories", screen_list_categories, true,
     FP_CALL_DEPARTMENT | FP_CALL_ADMIN | FP_CALL_ACTORS, NULL, NULL, NULL},
    {S_OP(LIST_REFERRALS), "list_referrals", screen_list_referrals, true,
     FP_CALL_DEPARTMENT | FP_CALL_ADMIN | FP_CALL_ACTORS, NULL, NULL, NULL},
    {0, NULL, NULL, false, 0, NULL, NULL, NULL},
};

static int s_on_start(fp_service_t *svc, void *arg)
{
    return screen_trans_start(&g_trans, svc) || screen_recv_start(&g_recv, svc);
}
static void s_on_stop(fp_service_t *svc, void *arg)
{
    screen_recv_stop(&g_recv);
    screen_trans_stop(&g_trans);
}
static void s_on_ready(fp_service_t *svc, void *arg)
{
    screen_recv_ready(&g_recv);
    screen_trans_ready(&g_trans);
}
static void s_on_tick(fp_service_t *svc, void *arg)
{
    screen_recv_tick(&g_recv);
    screen_trans_tick(&g_trans);
}

int main(int argc, char **argv)
{
    static fp_cfg_t extra[] = {
        {"FANGPIN_SCREENING_LEADS_PULL", FP_CFG_STR, "tcp://127.0.0.1:7110", 0, 0,
         "intake's LeadsAccepted PUSH endpoint to connect the PULL to", 0, 0, 0},
        {"FANGPIN_SCREENING_IDENTIFIED_PUSH", FP_CFG_STR, "tcp://*:7111", 0, 0,
         "PUSH endpoint where assistance's PULL gets HouseholdIdentified hints", 0, 0, 0},
        {"FANGPIN_SCREENING_SCAN_S", FP_CFG_INT, "30", 1, 3600,
         "also look for unreceived leads this often (hints can be lost)", 0, 0, 0},
        {"FANGPIN_SCREENING_OVERDUE_PAGE", FP_CFG_INT, "2000", 1, 100000,
         "the overdue scan reads and marks this many open cases per statement", 0, 0, 0},
        FP_TODAY_CFG,
        {NULL, FP_CFG_STR, NULL, 0, 0, NULL, 0, 0, 0},
    };
    static const fp_service_def_t def = {
        .name = "screening",
        .about = "matches leads to households and carries cases village → township → county",
        .endpoint_env = "FANGPIN_SCREENING_ENDPOINT",
        .endpoint_default = "tcp://*:7102",
        .http_env = "FANGPIN_SCREENING_HTTP",
        .http_default = "0.0.0.0:8102",
        .request_type = &fangpin__v1__screening_request__descriptor,
        .reply_type = &fangpin__v1__screening_reply__descriptor,
        .ops = s_ops,
        .arg = &g_trans,
        .on_start = s_on_start,
        .on_stop = s_on_stop,
        .on_ready = s_on_ready,
        .on_tick = s_on_tick,
        .extra_cfg = extra,
        .catalogue_sql = vocab_check_sql, /* the risk types against risk_types */
    };
    return fp_service_main(&def, argc, argv);
}
