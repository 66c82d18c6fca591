/* main.c: fangpin-assistance, assistance plans, measures, quarterly checks and risk elimination.
 * Wires the shared service skeleton (common/service.c) to this service's request type,
 * fangpin.v1.AssistanceRequest / AssistanceReply (proto/fangpin/v1/assistance.proto), and the
 * plan opener (open.c) to its hooks. */
#include <stdio.h>

#include "assist.h"
#include "fangpin/v1/assistance.pb-c.h"
#include "log.h"
#include "service.h"
#include "today.h"
#include "vocab.h"

static assist_t g_assist; /* the one instance; main owns it */

#define S_OP(NAME) FANGPIN__V1__ASSISTANCE_REQUEST__OP_##NAME
/* a plan read: admins and actors of any level, within their region (domain/scope.h) */
#define S_READ                                                                                                         \
    true, FP_CALL_ADMIN | FP_CALL_ACTORS, "read.kind", "plans are for village, township and county actors and admins", \
        "仅村、乡、县工作人员及管理员可查看帮扶计划"
/* a change by the levels that take steps (caller.kind for the others, caller.level for an actor
 * of another level) */
#define S_BY(levels, en, zh) true, levels, NULL, en, zh
#define S_STEPS                                                                          \
    S_BY(FP_CALL_STEPS, "plans are changed by village, township and county actors only", \
         "帮扶计划只能由村、乡（镇）、县级工作人员办理")

/* The operations (common/ops.h). */
static const fp_op_t s_ops[] = {
    {S_OP(PING), "ping", fp_op_ping, false, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(LIST_PLANS), "list_plans", assist_list_plans, S_READ},
    {S_OP(SHOW_PLAN), "show_plan", assist_show_plan, S_READ},
    {S_OP(LIST_UNCHECKED), "list_unchecked", assist_list_unchecked, S_READ},
    {S_OP(OPEN_CONSOLIDATION_PLAN), "open_consolidation_plan", assist_open_consolidation_plan,
     S_BY(FP_CALL_VILLAGE | FP_CALL_TOWNSHIP, "consolidation plans are opened by village and township actors",
          "年度巩固提升计划由村、乡（镇）工作人员制定")},
    {S_OP(ADD_MEASURE), "add_measure", assist_add_measure, S_STEPS},
    {S_OP(SET_MEASURE_STATUS), "set_measure_status", assist_set_measure_status, S_STEPS},
    {S_OP(CHECK_MEASURE), "check_measure", assist_check_measure, S_STEPS},
    {S_OP(SUBMIT_QUARTER_SUMMARY), "submit_quarter_summary", assist_submit_quarter_summary,
     S_BY(FP_CALL_COUNTY, "the quarter summary is submitted by the county", "季度汇总由县级报送")},
    {S_OP(RECORD_INCOME), "record_income", assist_record_income,
     S_BY(FP_CALL_VILLAGE, "follow-up income is recorded by the village", "收入监测由村级录入")},
    {S_OP(ELIMINATION_STEP), "elimination_step", assist_elimination_step, S_STEPS},
    {S_OP(LIST_FINDINGS), "list_findings", assist_list_findings, S_READ},
    {S_OP(MARK_FINDING_FIXED), "mark_finding_fixed", assist_mark_finding_fixed,
     S_BY(FP_CALL_VILLAGE, "a finding's fix is claimed by the village", "疑点整改由村级办理")},
    {S_OP(EXPLAIN_FINDING), "explain_finding", assist_explain_finding,
     S_BY(FP_CALL_VILLAGE, "a finding is explained by the village", "疑点说明由村级填写")},
    {S_OP(REVIEW_EXPLANATION), "review_explanation", assist_review_explanation,
     S_BY(FP_CALL_TOWNSHIP, "an explanation is reviewed by the township", "疑点说明由乡（镇）级审核")},
    {0, NULL, NULL, false, 0, NULL, NULL, NULL},
};

static int s_on_start(fp_service_t *svc, void *arg)
{
    return assist_nightly_start(&g_assist, svc) || assist_open_start(&g_assist, svc);
}
static void s_on_stop(fp_service_t *svc, void *arg)
{
    assist_open_stop(&g_assist);
    assist_nightly_stop(&g_assist);
}
static void s_on_ready(fp_service_t *svc, void *arg) { assist_open_ready(&g_assist); }
static void s_on_tick(fp_service_t *svc, void *arg)
{
    assist_open_tick(&g_assist);
    assist_nightly_tick(&g_assist);
    assist_compare_rules_tick(&g_assist);
}

int main(int argc, char **argv)
{
    static fp_cfg_t extra[] = {
        {"FANGPIN_ASSISTANCE_IDENTIFIED_PULL", FP_CFG_STR, "tcp://127.0.0.1:7111", 0, 0,
         "screening's HouseholdIdentified PUSH endpoint to connect the PULL to", 0, 0, 0},
        {"FANGPIN_ASSISTANCE_SCAN_S", FP_CFG_INT, "30", 1, 3600,
         "also look for identified households without a plan this often (hints can be lost)", 0, 0, 0},
        {"FANGPIN_QUALITY_NIGHTLY_AT", FP_CFG_STR, "02:30", 0, 0,
         "run every county's data-quality checks once a night after this time (HH:MM, UTC+8); off: never", 0, 0, 0},
        FP_TODAY_CFG,
        {NULL, FP_CFG_STR, NULL, 0, 0, NULL, 0, 0, 0},
    };
    static const fp_service_def_t def = {
        .name = "assistance",
        .about = "assistance plans, measures, quarterly checks and risk elimination",
        .endpoint_env = "FANGPIN_ASSISTANCE_ENDPOINT",
        .endpoint_default = "tcp://*:7103",
        .http_env = "FANGPIN_ASSISTANCE_HTTP",
        .http_default = "0.0.0.0:8103",
        .request_type = &fangpin__v1__assistance_request__descriptor,
        .reply_type = &fangpin__v1__assistance_reply__descriptor,
        .ops = s_ops,
        .arg = &g_assist,
        .on_start = s_on_start,
        .on_stop = s_on_stop,
        .on_ready = s_on_ready,
        .on_tick = s_on_tick,
        .extra_cfg = extra,
        .catalogue_sql = vocab_check_sql, /* the risk types against risk_types */
    };
    return fp_service_main(&def, argc, argv);
}
