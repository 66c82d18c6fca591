/* changes.c: the changes of plans (OpenConsolidationPlan, RecordIncome, SubmitQuarterSummary),
 * each one transaction of job.c, and the dispatch of every change (AddMeasure, SetMeasureStatus,
 * CheckMeasure: measure_changes.c; EliminationStep: elim_step.c). Bad input is BAD_REQUEST naming the
 * field, a caller of the wrong level FORBIDDEN, a change the rules refuse CONFLICT with the
 * catalog's words (assist_measure_reasons). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "date.h"
#include "log.h"
#include "measures.h"
#include "mem.h"

/* --- plans: OpenConsolidationPlan, RecordIncome ----------------------------------------------- */

static bool s_consolidation_locked(assist_job_t *j, PGresult *res)
{
    if (strcmp(PQgetvalue(res, 0, 1), "lifted") != 0) {
        assist_job_refuse(j, "plan.not_lifted", NULL, NULL);
        return false;
    }
    snprintf(j->plan_id, sizeof j->plan_id, "%s", PQgetvalue(res, 0, 0));
    j->exists = j->plan_id[0] != '\0';
    if (!j->exists) {
        j->apply(j);
        return false;
    }
    return true; /* the plan exists: a retry of its opening, or a second plan for the year */
}

static void s_consolidation_apply(assist_job_t *j)
{
    if (j->exists) {
        assist_job_refuse(j, "plan.exists", NULL, NULL);
        return;
    }
    Fangpin__V1__OpenConsolidationPlan *o = j->msg->open_consolidation_plan;
    char year[16];
    snprintf(year, sizeof year, "%d", (int)o->year);
    const char *p[7] = {o->county_code,      o->household_no,   year, j->today_s, j->actor,
                        assist_job_level(j), j->msg->request_id};
    assist_job_write(
        j,
        "WITH h0 AS (SELECT county_code, household_no, village_code FROM ledger_households"
        "   WHERE county_code = $1 AND household_no = $2),"
        " p AS (INSERT INTO plans (county_code, village_code, household_no, kind, year, opened_on, elim_step_since)"
        "   SELECT county_code, village_code, household_no, 'consolidation', $3::int, $4::date, $4::date FROM h0"
        "   RETURNING id, county_code, village_code),"
        " h AS (INSERT INTO plan_history (county_code, plan_id, on_day, actor, level, event, to_state, reason,"
        "   request_id) SELECT county_code, id, $4::date, $5, $6, 'plan.opened', 'monitored',"
        "   $3 || '年度巩固提升计划', $7 FROM p),"
        " e AS (SELECT events_write(array_agg(ROW(county_code, village_code, 'plan.opened',"
        "   jsonb_build_object('plan_id', id, 'kind', 'consolidation', 'year', $3::int, 'level', $6))::event_new))"
        "   FROM p)"
        " SELECT p.id::text FROM p, e",
        7, p);
}

bool assist_plan_locked(assist_job_t *j, PGresult *res)
{
    snprintf(j->plan_id, sizeof j->plan_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(j->from, sizeof j->from, "%s", PQgetvalue(res, 0, 2));
    return true;
}

static void s_income_apply(assist_job_t *j)
{
    Fangpin__V1__RecordIncome *r = j->msg->record_income;
    char month[11], fen[24], reason[96];
    snprintf(month, sizeof month, "%.7s-01", r->month);
    snprintf(fen, sizeof fen, "%lld", (long long)r->per_capita_net_fen);
    snprintf(reason, sizeof reason, "%.7s 人均纯收入 %lld.%02lld元", r->month, (long long)(r->per_capita_net_fen / 100),
             (long long)(r->per_capita_net_fen % 100));
    const char *p[8] = {j->plan_id, month, fen, j->today_s, j->actor, assist_job_level(j), j->msg->request_id, reason};
    assist_job_write(
        j,
        "WITH p AS (SELECT id, county_code, household_no, village_code FROM plans WHERE id = $1::bigint),"
        " i AS (INSERT INTO household_income (county_code, household_no, month, per_capita_net_fen, recorded_by)"
        "   SELECT county_code, household_no, $2::date, $3::bigint, $5 FROM p"
        "   ON CONFLICT (county_code, household_no, month) DO UPDATE SET per_capita_net_fen ="
        "   EXCLUDED.per_capita_net_fen, recorded_by = EXCLUDED.recorded_by, recorded_at = now() RETURNING 1),"
        " u AS (UPDATE plans SET updated_at = now() WHERE id = $1::bigint),"
        " h AS (INSERT INTO plan_history (county_code, plan_id, on_day, actor, level, event, reason, request_id)"
        "   SELECT county_code, id, $4::date, $5, $6, 'plan.income', $8, $7 FROM p),"
        " e AS (SELECT events_write(array_agg(ROW(county_code, village_code, 'plan.income',"
        "   jsonb_build_object('plan_id', id, 'month', to_char($2::date, 'YYYY-MM'), 'level', $6))::event_new))"
        "   FROM p)"
        " SELECT count(*)::text FROM i, e",
        8, p);
}

/* --- the county's quarter summary ------------------------------------------------------------- */

static bool s_quarter_locked(assist_job_t *j, PGresult *res)
{
    const char *seen = PQgetvalue(res, 0, 1);
    if (!seen[0]) {
        j->apply(j);
        return false;
    }
    if (!strcmp(seen, j->msg->request_id)) {
        j->replayed = true;
        assist_job_commit(j);
        return false;
    }
    assist_job_refuse(j, "quarter.submitted", NULL, NULL);
    return false;
}

static void s_quarter_apply(assist_job_t *j)
{
    int32_t first, last;
    assist_quarter_parse(j->quarter, &first, &last);
    char last_s[11];
    fp_date_format(last, last_s);
    char first_s[11];
    fp_date_format(first, first_s);
    const char *p[8] = {j->county,          j->quarter, j->today_s, j->actor, j->msg->submit_quarter_summary->note,
                        j->msg->request_id, last_s,     first_s};
    /* the measures of the county's plans in force in the quarter (started by its last day, not
     * delivered or stopped before its first), by their status on its last day (migration 014, as
     * measures_quarterly counts them), and the live ones checked or not in the quarter */
    assist_job_write(
        j,
        "WITH m AS (SELECT CASE WHEN m.status_on IS NULL OR m.status_on <= $7::date THEN m.status"
        "   ELSE measure_status_on(m.county_code, m.plan_id, m.id, $7::date) END AS status,"
        "   EXISTS (SELECT 1 FROM measure_checks k WHERE k.county_code = m.county_code AND k.measure_id = m.id"
        "    AND k.quarter = $2) AS checked"
        "   FROM measures m WHERE m.county_code = $1 AND m.start_on <= $7::date"
        "   AND NOT (m.status IN ('delivered', 'stopped') AND m.status_on IS NOT NULL AND m.status_on < $8::date)),"
        " c AS (SELECT jsonb_build_object('planned', count(*) FILTER (WHERE status = 'planned'),"
        "   'in_progress', count(*) FILTER (WHERE status = 'in_progress'),"
        "   'delivered', count(*) FILTER (WHERE status = 'delivered'),"
        "   'stopped', count(*) FILTER (WHERE status = 'stopped'),"
        "   'checked', count(*) FILTER (WHERE checked),"
        "   'unchecked', count(*) FILTER (WHERE status IN ('planned', 'in_progress') AND NOT checked)) AS counts"
        "   FROM m),"
        " q AS (INSERT INTO quarter_summaries (county_code, quarter, submitted_on, due_on, actor, counts, note,"
        "   request_id) SELECT $1, $2, $3::date, fp_add_days($7::date, coalesce(fp_param('quarter_report_working_days',"
        "   $1, $7::date), 5)::int, true), $4, counts, $5, $6 FROM c RETURNING due_on, counts),"
        " e AS (SELECT events_write(array_agg(ROW($1, $1 || '000000', 'quarter.summary',"
        "   jsonb_build_object('quarter', $2, 'due_on', q.due_on, 'late', $3::date > q.due_on, 'counts',"
        "   q.counts))::event_new)) FROM q)"
        " SELECT 1 FROM q, e",
        8, p);
}

/* --- the request ------------------------------------------------------------------------------ */

static bool s_blank(const char *s) { return !assist_has_text(s); }

bool assist_valid_date(const char *s, int32_t *out) { return s && fp_date_parse(s, out) == FP_OK; }

bool assist_check_id(assist_job_t *j, const char *field, int64_t id, const char *what)
{
    if (id > 0) return true;
    bool plan = !strcmp(what, "plan");
    assist_job_bad(j, field, plan ? "must be a plan id (> 0)" : "must be a measure id (> 0)",
                   plan ? "须为帮扶计划编号（大于0）" : "须为措施编号（大于0）");
    return false;
}

bool assist_check_fen(assist_job_t *j, const char *field, int64_t fen)
{
    if (fen >= 0 && fen <= 100000000000LL) return true;
    assist_job_bad(j, field, "must be between 0 and 10^11 fen", "须在0至1000000000元之间");
    return false;
}

void assist_lock_plan(assist_job_t *j, int64_t plan_id)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)plan_id);
    assist_job_lock(j, ASSIST_LOCK_PLAN, 2, id, j->scope, NULL, NULL);
}

/* Checks an annual consolidation plan (年度巩固提升计划) for a household of the ledger and locks what it changes; false when refused (answered). */
static bool s_start_open_consolidation(assist_job_t *j)
{
    Fangpin__V1__AssistanceRequest *msg = j->msg;
    Fangpin__V1__OpenConsolidationPlan *o = msg->open_consolidation_plan;
    if (strlen(o->county_code) != 6 || strspn(o->county_code, "0123456789") != 6) {
        assist_job_bad(j, "county_code", "must be the 6-digit county code", "须为6位县级区划代码");
        return false;
    }
    if (s_blank(o->household_no) || strlen(o->household_no) > 32) {
        assist_job_bad(j, "household_no", "required, at most 32 characters", "必填，至多32个字符");
        return false;
    }
    if (o->year < 2020 || o->year > 2100) {
        assist_job_bad(j, "year", "must be between 2020 and 2100", "须在2020至2100之间");
        return false;
    }
    char yr[16];
    snprintf(yr, sizeof yr, "%d", (int)o->year);
    assist_job_lock(j,
                    "SELECT coalesce((SELECT p.id::text FROM plans p WHERE p.county_code = h.county_code AND "
                    "p.household_no"
                    "  = h.household_no AND p.kind = 'consolidation' AND p.year = $3::int), ''), h.household_type"
                    " FROM ledger_households h WHERE h.county_code = $1 AND h.household_no = $2"
                    " AND h.village_code LIKE $4 || '%' FOR UPDATE OF h",
                    4, o->county_code, o->household_no, yr, j->scope);
    j->on_locked = s_consolidation_locked;
    j->apply = s_consolidation_apply;
    j->reply = ASSIST_R_SUMMARY;
    return true;
}

/* Checks the county's summary of an ended quarter and locks what it changes; false when refused (answered). */
static bool s_start_quarter_summary(assist_job_t *j)
{
    Fangpin__V1__AssistanceRequest *msg = j->msg;
    int32_t d1, d2;
    Fangpin__V1__SubmitQuarterSummary *q = msg->submit_quarter_summary;
    if (q->quarter[0]) {
        if (!assist_quarter_parse(q->quarter, &d1, &d2)) {
            assist_job_bad(j, "quarter", "must be YYYYQn (e.g. 2026Q3)", "季度格式应为 YYYYQn（如 2026Q3）");
            return false;
        }
        if (d2 >= j->today) {
            assist_job_bad(j, "quarter", "has not ended yet", "该季度尚未结束");
            return false;
        }
        snprintf(j->quarter, sizeof j->quarter, "%s", q->quarter);
    } else {
        assist_quarter_parse(j->quarter, &d1, &d2);
        assist_quarter_of(d1 - 1, j->quarter);
    }
    if (strlen(q->note) > 2000) {
        assist_job_bad(j, "note", "at most 2000 bytes", "至多2000字节");
        return false;
    }
    assist_job_lock(j,
                    "SELECT pg_advisory_xact_lock(hashtext('quarter_summary:' || $1 || ':' || $2))::text,"
                    " coalesce((SELECT request_id FROM quarter_summaries WHERE county_code = $1 AND quarter = $2), '')",
                    2, j->county, j->quarter, NULL, NULL);
    j->on_locked = s_quarter_locked;
    j->apply = s_quarter_apply;
    j->reply = ASSIST_R_QUARTER;
    return true;
}

/* Checks a month's follow-up income of a plan's household and locks what it changes; false when refused (answered). */
static bool s_start_record_income(assist_job_t *j)
{
    Fangpin__V1__AssistanceRequest *msg = j->msg;
    int32_t d1;
    Fangpin__V1__RecordIncome *r = msg->record_income;
    if (!assist_check_id(j, "plan_id", r->plan_id, "plan")) return false;
    char day[16];
    snprintf(day, sizeof day, "%.7s-01", r->month);
    if (strlen(r->month) != 7 || !assist_valid_date(day, &d1)) {
        assist_job_bad(j, "month", "must be YYYY-MM", "月份格式应为 YYYY-MM");
        return false;
    }
    int y, mo, dd;
    fp_date_civil(j->today, &y, &mo, &dd);
    if (d1 > fp_date_from_civil(y, mo, 1)) {
        assist_job_bad(j, "month", "is after the current month", "晚于本月");
        return false;
    }
    if (!assist_check_fen(j, "per_capita_net_fen", r->per_capita_net_fen)) return false;
    assist_lock_plan(j, r->plan_id);
    j->on_locked = assist_plan_locked;
    j->apply = s_income_apply;
    j->reply = ASSIST_R_SUMMARY;
    return true;
}

/* One change: its job (the caller's actor, level, region), then the operation's checks; start()
 * false: answered. The operation table (main.c) admitted only the levels the operation is for. */
static void s_change(assist_t *a, fp_request_t *req, ProtobufCMessage *m, bool (*start)(assist_job_t *j))
{
    assist_job_t *j = assist_job_new(a, req, (Fangpin__V1__AssistanceRequest *)m); /* takes m */
    if (start(j)) assist_job_start(j);
}

#define S_CHANGE(name, start) \
    void name(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg) { s_change(arg, req, m, start); }
S_CHANGE(assist_open_consolidation_plan, s_start_open_consolidation)
S_CHANGE(assist_add_measure, assist_start_add_measure)
S_CHANGE(assist_set_measure_status, assist_start_set_measure_status)
S_CHANGE(assist_check_measure, assist_start_check_measure)
S_CHANGE(assist_submit_quarter_summary, s_start_quarter_summary)
S_CHANGE(assist_record_income, s_start_record_income)
S_CHANGE(assist_elimination_step, assist_elim_prepare)
