/* cases.c: the rule evaluation of screening a batch. screen_match()
 * (deploy/db/functions/screening.sql) has matched the leads, opened or merged the cases and returned the ledger facts of every case it touched;
 * here each row becomes screen_income_t / screen_facts_t, is evaluated by income.c and rules.c,
 * and the decision (fired rules with what they saw, suggested kind, risk types) is written as
 * JSON for screen_store_decisions(). No ID numbers pass through here. */
#include "cases.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "income.h"

static int64_t s_i64(PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? 0 : strtoll(PQgetvalue(res, r, c), NULL, 10);
}

/* A guarantee counts as failed only when the ledger says false (NULL = not surveyed). */
static bool s_false(PGresult *res, int r, int c) { return !PQgetisnull(res, r, c) && PQgetvalue(res, r, c)[0] == 'f'; }

static bool s_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, name, n)) return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Which lead kind reports which shock is the kinds catalogue's (lead_kinds.shock, migration 019);
 * here only the names of the rules' shock bits. */
unsigned screen_shocks_of_names(const char *names)
{
    static const struct {
        const char *name;
        unsigned shock;
    } bits[] = {
        {"illness", SCREEN_SHOCK_ILLNESS},   {"disaster", SCREEN_SHOCK_DISASTER},
        {"accident", SCREEN_SHOCK_ACCIDENT}, {"death_of_worker", SCREEN_SHOCK_DEATH_WORKER},
        {"job_loss", SCREEN_SHOCK_JOB_LOSS}, {"industry_failure", SCREEN_SHOCK_INDUSTRY},
    };
    unsigned s = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (s_has(names, bits[i].name)) s |= bits[i].shock;
    return s;
}

static const char *s_rule_zh(const char *id)
{
    for (size_t i = 0; i < screen_rules_count; i++)
        if (!strcmp(screen_rules[i].id, id)) return screen_rules[i].zh;
    return "";
}

static const char *s_reason(PGresult *res, int r, int c, const char *dflt)
{
    const char *s = PQgetvalue(res, r, c);
    return s[0] ? s : dflt;
}

/* The ledger's income figures of row r, for the official income method. */
static screen_income_t s_income_of(PGresult *res, int r)
{
    int64_t wage = s_i64(res, r, SCREEN_F_WAGE), wage_public = s_i64(res, r, SCREEN_F_WAGE_PUBLIC);
    return (screen_income_t){
        .wage_public_welfare = wage_public,
        .wage_other = wage - wage_public,
        .operating = s_i64(res, r, SCREEN_F_OPERATING),
        .property = s_i64(res, r, SCREEN_F_PROPERTY),
        .transfer_pension = s_i64(res, r, SCREEN_F_PENSION),
        .transfer_family_planning = s_i64(res, r, SCREEN_F_FAMILY_PLANNING),
        .transfer_ecological = s_i64(res, r, SCREEN_F_ECO),
        .transfer_dibao = s_i64(res, r, SCREEN_F_DIBAO),
        .transfer_tekun = s_i64(res, r, SCREEN_F_TEKUN),
        .transfer_other = s_i64(res, r, SCREEN_F_OTHER_TRANSFER),
        .production_costs = s_i64(res, r, SCREEN_F_PRODUCTION_COST),
        .members = (int32_t)s_i64(res, r, SCREEN_F_MEMBERS),
    };
}

/* 两不愁三保障 and water: failed by the ledger's flag (with its reason, or the default words), by
 * a count (a drop-out, an uninsured member), or by a lead whose kind fails that guarantee. */
static void s_guarantees(PGresult *res, int r, const char *failed, screen_facts_t *f)
{
    if (s_false(res, r, SCREEN_F_EDUCATION_OK) || s_i64(res, r, SCREEN_F_DROPPED_OUT) > 0 ||
        s_has(failed, "education")) {
        f->guarantee[SCREEN_G_EDUCATION].failed = true;
        f->guarantee[SCREEN_G_EDUCATION].reason = s_reason(res, r, SCREEN_F_EDUCATION_REASON, "有适龄儿童辍学");
    }
    if (s_false(res, r, SCREEN_F_MEDICAL_OK) || s_i64(res, r, SCREEN_F_UNINSURED) > 0 || s_has(failed, "medical")) {
        f->guarantee[SCREEN_G_MEDICAL].failed = true;
        f->guarantee[SCREEN_G_MEDICAL].reason = s_reason(res, r, SCREEN_F_MEDICAL_REASON, "有成员未参保");
    }
    if (s_false(res, r, SCREEN_F_HOUSING_OK) || s_has(failed, "housing")) {
        f->guarantee[SCREEN_G_HOUSING].failed = true;
        f->guarantee[SCREEN_G_HOUSING].reason = s_reason(res, r, SCREEN_F_HOUSING_REASON, "C级或D级危房");
    }
    if (s_false(res, r, SCREEN_F_WATER_OK) || s_has(failed, "water")) {
        f->guarantee[SCREEN_G_WATER].failed = true;
        f->guarantee[SCREEN_G_WATER].reason = s_reason(res, r, SCREEN_F_WATER_REASON, "饮水安全不达标");
    }
}

/* The decision object after "per_capita_net_fen": the kind, the figures (rigid: the medical
 * spending the rules saw, which the low-income rules read too: refer.c), the rules that fired
 * and the risk types. */
static void s_decision_json(fp_buf_t *json, const screen_decision_t *d, const screen_income_result_t *inc, int64_t line,
                            int64_t rigid)
{
    fp_buf_printf(json, "\"per_capita_net_fen\":%" PRId64 ",\"decision\":{\"kind\":", inc->per_capita_net);
    fp_buf_json_str(json, d->kind == SCREEN_KIND_NONE ? "" : screen_kind_code(d->kind));
    fp_buf_printf(json,
                  ",\"in_range\":%s,\"already_monitored\":%s,\"members\":%" PRId32 ",\"net_fen\":%" PRId64
                  ",\"per_capita_net_fen\":%" PRId64 ",\"line_fen\":%" PRId64 ",\"rigid_fen\":%" PRId64 ",\"fired\":[",
                  d->in_range ? "true" : "false", d->already_monitored ? "true" : "false", inc->members, inc->net,
                  inc->per_capita_net, line, rigid);
    for (size_t i = 0; i < d->n_fired; i++) {
        fp_buf_puts(json, i ? ",{\"id\":" : "{\"id\":");
        fp_buf_json_str(json, d->fired[i].id);
        fp_buf_puts(json, ",\"zh\":");
        fp_buf_json_str(json, s_rule_zh(d->fired[i].id));
        fp_buf_puts(json, ",\"seen\":");
        fp_buf_json_str(json, d->fired[i].seen);
        fp_buf_puts(json, ",\"why_zh\":");
        fp_buf_json_str(json, d->fired[i].why_zh);
        fp_buf_puts(json, "}");
    }
    fp_buf_puts(json, "],\"risk_types\":[");
    for (size_t i = 0; i < d->n_risks; i++) {
        if (i) fp_buf_puts(json, ",");
        fp_buf_json_str(json, screen_risk_code(d->risks[i]));
    }
    fp_buf_printf(json, "],\"risks_dropped\":%zu}}", d->risks_dropped);
}

/* One row: facts, evaluation, the decision object appended to json. */
static void s_decide_row(PGresult *res, int r, fp_buf_t *json)
{
    /* what the case's leads say by their kinds (lead_kinds.shock and .guarantee) */
    const char *shocks = PQgetvalue(res, r, SCREEN_F_LEAD_SHOCKS);
    const char *failed = PQgetvalue(res, r, SCREEN_F_LEAD_GUARANTEES);
    screen_income_t in = s_income_of(res, r);
    int64_t line = s_i64(res, r, SCREEN_F_LINE_FEN);
    fp_buf_printf(json, "{\"id\":%s,\"line_fen\":%" PRId64 ",", PQgetvalue(res, r, SCREEN_F_CASE_ID), line);

    screen_income_result_t inc;
    fp_err_t e = screen_income_compute(&in, &inc);
    screen_decision_t d;
    int64_t rigid = 0;
    if (e == FP_OK) {
        const char *hh = PQgetvalue(res, r, SCREEN_F_HH_TYPE);
        int64_t medical = s_i64(res, r, SCREEN_F_MEDICAL_OOP), lead_medical = s_i64(res, r, SCREEN_F_LEAD_MEDICAL);
        screen_facts_t f = {
            .hh_type = !strcmp(hh, "lifted") ? SCREEN_HH_LIFTED
                : !strcmp(hh, "monitored")   ? SCREEN_HH_MONITORED
                                             : SCREEN_HH_GENERAL,
            .members = inc.members,
            .per_capita_net = inc.per_capita_net,
            .net_income = inc.net,
            .line = line,
            .medical_oop = medical > lead_medical ? medical : lead_medical,
            .shocks = screen_shocks_of_names(shocks),
            .members_with_labour = (int32_t)s_i64(res, r, SCREEN_F_WITH_LABOUR),
            .members_disabled = (int32_t)s_i64(res, r, SCREEN_F_DISABLED),
        };
        s_guarantees(res, r, failed, &f);
        rigid = f.medical_oop;
        /* the ratios in force for the case's province and date (policy parameters); the
         * compiled defaults only where a parameter is missing */
        screen_params_t p = SCREEN_PARAMS_DEFAULT;
        if (!PQgetisnull(res, r, SCREEN_F_RIGID_RATIO))
            p.rigid_ratio_pct = (int32_t)s_i64(res, r, SCREEN_F_RIGID_RATIO);
        if (!PQgetisnull(res, r, SCREEN_F_UPPER_RATIO))
            p.monitor_upper_ratio_pct = (int32_t)s_i64(res, r, SCREEN_F_UPPER_RATIO);
        e = screen_evaluate(&f, &p, &d);
    }
    if (e != FP_OK) {
        fp_buf_puts(json, "\"per_capita_net_fen\":null,\"decision\":{\"error\":");
        fp_buf_json_str(json,
                        e == FP_EINVAL ? "no member present in the household: the rules cannot run"
                                       : "a ledger figure is outside the rules' bounds");
        fp_buf_puts(json, ",\"fired\":[],\"risk_types\":[]}}");
        return;
    }
    s_decision_json(json, &d, &inc, line, rigid);
}

int screen_cases_decide(PGresult *res, fp_buf_t *json)
{
    int n = PQntuples(res);
    fp_buf_puts(json, "[");
    for (int r = 0; r < n; r++) {
        if (r) fp_buf_puts(json, ",");
        s_decide_row(res, r, json);
    }
    fp_buf_puts(json, "]");
    return n;
}
