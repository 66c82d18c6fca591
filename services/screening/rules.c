/* rules.c: the screening rule table (S01..S16), its predicates, and the kind decision.
 * Every predicate is pure: it reads the facts and parameters and, when it holds, writes the
 * numbers it saw and a Chinese sentence a cadre can read. No I/O, no globals but the const table.
 *
 * The kind decision (docs/policy.md, "Who is monitored"):
 *   in_range  = per capita net < line * monitor_upper_ratio_pct / 100 (exact integer compare)
 *   has_risk  = a rule of role INCOME_BELOW, RISK, SHOCK or HARDSHIP fired
 *               (income below the line is a risk by itself; "near the line" is not)
 *   monitored household                    -> none (already_monitored; rules still reported)
 *   in_range and has_risk: lifted          -> unstable_lifted;  general -> marginal
 *   not in_range, a SHOCK and a HARDSHIP   -> sudden_hardship (lifted or general)
 *   otherwise                              -> none
 * Risk types: those of the fired rules in table order, de-duplicated, at most five (the rest are
 * counted in risks_dropped); a suggested kind with no type gets "other".
 *
 * Adding a category (e.g. the 2026 merge with low-income monitoring: 低保边缘, large rigid
 * spending): add its facts to screen_facts_t, a predicate, and a row at the END of
 * screen_rules[] with the next id (ids are never renumbered or reused; a retired rule is switched
 * off through screen_params_t.disabled_rules, which provinces set by configuration), give it a
 * role, and if it is a new kind add it to screen_kind_t and to the decision below. Update
 * docs/screening-rules.md: screen_rules_test checks that every id is listed there. */
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "money.h"

#define S_MAX_FEN INT64_C(1000000000000000) /* 10^15 fen, as the money parser */
#define S_MAX_MEMBERS 99

/* --- helpers --------------------------------------------------------------------------------- */

typedef struct {
    char s[FP_MONEY_FMT_SIZE];
} s_yuan_t;

static s_yuan_t s_yuan(int64_t fen)
{
    s_yuan_t y;
    fp_money_format(fen, y.s, sizeof y.s);
    return y;
}

static int64_t s_upper(const screen_facts_t *f, const screen_params_t *p)
{
    return f->line * p->monitor_upper_ratio_pct / 100; /* for display; compares are exact */
}

static bool s_in_range(const screen_facts_t *f, const screen_params_t *p)
{
    return f->per_capita_net * 100 < f->line * p->monitor_upper_ratio_pct;
}

static const char *s_reason(const screen_facts_t *f, screen_guarantee_t g, const char *dflt)
{
    const char *r = f->guarantee[g].reason;
    return (r && r[0]) ? r : dflt;
}

/* --- predicates ------------------------------------------------------------------------------ */

static bool s_income_below(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    if (!(f->per_capita_net < f->line)) return false;
    snprintf(o->seen, sizeof o->seen, "income=%" PRId64 " line=%" PRId64, f->per_capita_net, f->line);
    snprintf(o->why_zh, sizeof o->why_zh, "人均纯收入%s元，低于监测标准%s元", s_yuan(f->per_capita_net).s,
             s_yuan(f->line).s);
    return true;
}

static bool s_income_near(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    if (!(f->per_capita_net >= f->line && s_in_range(f, p))) return false;
    snprintf(o->seen, sizeof o->seen, "income=%" PRId64 " line=%" PRId64 " ratio_pct=%" PRId32 " upper=%" PRId64,
             f->per_capita_net, f->line, p->monitor_upper_ratio_pct, s_upper(f, p));
    snprintf(o->why_zh, sizeof o->why_zh,
             "人均纯收入%s元，不低于监测标准%s元，但低于监测范围上限%s元（监测标准的%" PRId32 "%%）",
             s_yuan(f->per_capita_net).s, s_yuan(f->line).s, s_yuan(s_upper(f, p)).s, p->monitor_upper_ratio_pct);
    return true;
}

static bool s_rigid_medical(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    if (f->medical_oop <= 0) return false;
    if (f->net_income > 0) {
        if (f->medical_oop * 100 < f->net_income * p->rigid_ratio_pct) return false;
        snprintf(o->seen, sizeof o->seen, "medical=%" PRId64 " net=%" PRId64 " ratio_pct=%" PRId32, f->medical_oop,
                 f->net_income, p->rigid_ratio_pct);
        snprintf(o->why_zh, sizeof o->why_zh,
                 "近12个月医疗自付费用%s元，占家庭年纯收入%s元的%" PRId64 "%%，达到%" PRId32 "%%的大额刚性支出标准",
                 s_yuan(f->medical_oop).s, s_yuan(f->net_income).s, f->medical_oop * 100 / f->net_income,
                 p->rigid_ratio_pct);
        return true;
    }
    snprintf(o->seen, sizeof o->seen, "medical=%" PRId64 " net=%" PRId64 " ratio_pct=%" PRId32, f->medical_oop,
             f->net_income, p->rigid_ratio_pct);
    snprintf(o->why_zh, sizeof o->why_zh, "近12个月医疗自付费用%s元，而家庭年纯收入为%s元（不为正），属大额刚性支出",
             s_yuan(f->medical_oop).s, s_yuan(f->net_income).s);
    return true;
}

static bool s_guarantee(const screen_facts_t *f, screen_guarantee_t g, const char *key, const char *what,
                        const char *dflt, screen_fired_t *o)
{
    if (!f->guarantee[g].failed) return false;
    snprintf(o->seen, sizeof o->seen, "%s=failed", key);
    snprintf(o->why_zh, sizeof o->why_zh, "%s未保障：%s", what, s_reason(f, g, dflt));
    return true;
}

static bool s_g_education(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    return s_guarantee(f, SCREEN_G_EDUCATION, "education", "义务教育", "有义务教育阶段适龄儿童失学辍学", o);
}
static bool s_g_medical(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    return s_guarantee(f, SCREEN_G_MEDICAL, "medical", "基本医疗", "有家庭成员未参加基本医疗保险", o);
}
static bool s_g_housing(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    return s_guarantee(f, SCREEN_G_HOUSING, "housing", "住房安全", "住房鉴定为C级或D级危房", o);
}
static bool s_g_water(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    return s_guarantee(f, SCREEN_G_WATER, "water", "饮水安全", "饮水水量、水质、便利程度或供水保证率不达标", o);
}

static bool s_shock(const screen_facts_t *f, unsigned bit, const char *key, const char *zh, screen_fired_t *o)
{
    if (!(f->shocks & bit)) return false;
    snprintf(o->seen, sizeof o->seen, "shock=%s", key);
    snprintf(o->why_zh, sizeof o->why_zh, "近12个月%s", zh);
    return true;
}

/* S08-S13: one rule per shock, each the shock's bit, its key in `seen` and its Chinese words. */
#define S_SHOCK_RULE(fn, bit, key, zh)                                                   \
    static bool fn(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o) \
    {                                                                                    \
        return s_shock(f, bit, key, zh, o);                                              \
    }
S_SHOCK_RULE(s_sh_illness, SCREEN_SHOCK_ILLNESS, "illness", "家庭成员患重病")
S_SHOCK_RULE(s_sh_disaster, SCREEN_SHOCK_DISASTER, "disaster", "遭受自然灾害")
S_SHOCK_RULE(s_sh_accident, SCREEN_SHOCK_ACCIDENT, "accident", "遭遇意外事故")
S_SHOCK_RULE(s_sh_death, SCREEN_SHOCK_DEATH_WORKER, "death_of_worker", "家庭主要劳动力死亡")
S_SHOCK_RULE(s_sh_job, SCREEN_SHOCK_JOB_LOSS, "job_loss", "家庭成员失业或务工中断")
S_SHOCK_RULE(s_sh_industry, SCREEN_SHOCK_INDUSTRY, "industry_failure", "家庭产业（项目）经营失败")
#undef S_SHOCK_RULE

static bool s_no_labour(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    if (f->members_with_labour != 0) return false;
    snprintf(o->seen, sizeof o->seen, "members=%" PRId32 " with_labour=0", f->members);
    snprintf(o->why_zh, sizeof o->why_zh, "家庭%" PRId32 "人均无劳动能力", f->members);
    return true;
}

static bool s_disabled(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    if (f->members_disabled <= 0) return false;
    snprintf(o->seen, sizeof o->seen, "members=%" PRId32 " disabled=%" PRId32, f->members, f->members_disabled);
    snprintf(o->why_zh, sizeof o->why_zh, "家庭%" PRId32 "人中有%" PRId32 "名残疾人", f->members, f->members_disabled);
    return true;
}

/* Income not below the line, but after the rigid spending and the expected loss the rest per
 * person is below it: remaining < line * members (exact), shown rounded to the fen. */
static bool s_hardship(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *o)
{
    int64_t spend = f->medical_oop + f->other_rigid + f->expected_loss;
    if (f->per_capita_net < f->line || spend <= 0) return false;
    int64_t rest = f->net_income - spend;
    if (!(rest < f->line * f->members)) return false;
    int64_t pc = rest / f->members, r = rest % f->members;
    if (2 * (r < 0 ? -r : r) >= f->members) pc += rest < 0 ? -1 : 1;
    snprintf(o->seen, sizeof o->seen,
             "net=%" PRId64 " medical=%" PRId64 " other_rigid=%" PRId64 " loss=%" PRId64 " members=%" PRId32
             " rest_pc=%" PRId64 " line=%" PRId64,
             f->net_income, f->medical_oop, f->other_rigid, f->expected_loss, f->members, pc, f->line);
    snprintf(o->why_zh, sizeof o->why_zh,
             "家庭年纯收入%s元，扣除医疗自付%s元、其他刚性支出%s元和预计减收%s元后，"
             "人均%s元，低于监测标准%s元，基本生活出现严重困难",
             s_yuan(f->net_income).s, s_yuan(f->medical_oop).s, s_yuan(f->other_rigid).s, s_yuan(f->expected_loss).s,
             s_yuan(pc).s, s_yuan(f->line).s);
    return true;
}

/* --- the table ------------------------------------------------------------------------------- */

#define R1(x)               \
    {                       \
        x, SCREEN_RISK_NONE \
    }
#define R0                                 \
    {                                      \
        SCREEN_RISK_NONE, SCREEN_RISK_NONE \
    }

const screen_rule_t screen_rules[] = {
    {"S01", "人均纯收入低于监测标准", "per capita net income below the monitoring line", SCREEN_ROLE_INCOME_BELOW,
     s_income_below, R0},
    {"S02", "人均纯收入在监测标准以上但未超过监测范围上限",
     "per capita net income at or above the line but inside the monitoring range", SCREEN_ROLE_INCOME_NEAR,
     s_income_near, R0},
    {"S03", "医疗自付费用占家庭年纯收入比例达到大额刚性支出标准",
     "out-of-pocket medical cost large against the household's net income", SCREEN_ROLE_HARDSHIP, s_rigid_medical,
     R1(SCREEN_RISK_ILLNESS)},
    {"S04", "义务教育保障未落实（适龄儿童失学辍学）",
     "compulsory education not guaranteed (a child of school age out of school)", SCREEN_ROLE_RISK, s_g_education,
     R1(SCREEN_RISK_SCHOOLING)},
    {"S05", "基本医疗保障未落实（成员未参保）", "basic medical care not guaranteed (a member uninsured)",
     SCREEN_ROLE_RISK, s_g_medical, R1(SCREEN_RISK_ILLNESS)},
    {"S06", "住房安全未保障（C级或D级危房）", "housing unsafe (house rated C or D)", SCREEN_ROLE_RISK, s_g_housing,
     R1(SCREEN_RISK_HOUSING)},
    {"S07", "饮水安全未保障", "drinking water unsafe", SCREEN_ROLE_RISK, s_g_water, R1(SCREEN_RISK_WATER)},
    {"S08", "家庭成员患重病", "serious illness of a member", SCREEN_ROLE_SHOCK, s_sh_illness, R1(SCREEN_RISK_ILLNESS)},
    {"S09", "遭受自然灾害", "natural disaster", SCREEN_ROLE_SHOCK, s_sh_disaster, R1(SCREEN_RISK_DISASTER)},
    {"S10", "遭遇意外事故", "accident", SCREEN_ROLE_SHOCK, s_sh_accident, R1(SCREEN_RISK_ACCIDENT)},
    {"S11", "家庭主要劳动力死亡", "death of a working member", SCREEN_ROLE_SHOCK, s_sh_death,
     R1(SCREEN_RISK_LACK_OF_LABOUR)},
    {"S12", "失业或务工中断", "job loss", SCREEN_ROLE_SHOCK, s_sh_job, R1(SCREEN_RISK_UNSTABLE_WORK)},
    {"S13", "产业（项目）失败", "failed industry or project", SCREEN_ROLE_SHOCK, s_sh_industry,
     R1(SCREEN_RISK_INDUSTRY_FAILURE)},
    {"S14", "整户无劳动能力", "no member with labour capacity", SCREEN_ROLE_RISK, s_no_labour,
     R1(SCREEN_RISK_LACK_OF_LABOUR)},
    {"S15", "家庭中有残疾人", "a member with a disability", SCREEN_ROLE_RISK, s_disabled, R1(SCREEN_RISK_DISABILITY)},
    {"S16", "刚性支出或减收后人均低于监测标准，基本生活严重困难",
     "after rigid spending and lost income the rest per person is below the line", SCREEN_ROLE_HARDSHIP, s_hardship,
     R0},
};
const size_t screen_rules_count = sizeof screen_rules / sizeof screen_rules[0];

_Static_assert(sizeof screen_rules / sizeof screen_rules[0] <= SCREEN_MAX_FIRED,
               "screen_decision_t.fired must hold every rule");

/* --- evaluation ------------------------------------------------------------------------------ */

static bool s_money_ok(int64_t v, bool allow_negative)
{
    return v <= S_MAX_FEN && v >= (allow_negative ? -S_MAX_FEN : 0);
}

static fp_err_t s_check(const screen_facts_t *f, const screen_params_t *p)
{
    if ((unsigned)f->hh_type >= SCREEN_HH_COUNT_) return FP_EINVAL;
    if (f->shocks & ~(unsigned)SCREEN_SHOCK_ALL_) return FP_EINVAL;
    if (p->monitor_upper_ratio_pct < 100 || p->monitor_upper_ratio_pct > 1000) return FP_ERANGE;
    if (p->rigid_ratio_pct < 1 || p->rigid_ratio_pct > 1000) return FP_ERANGE;
    if (f->members < 1 || f->members > S_MAX_MEMBERS) return FP_ERANGE;
    if (f->line <= 0 || !s_money_ok(f->line, false)) return FP_ERANGE;
    if (!s_money_ok(f->per_capita_net, true) || !s_money_ok(f->net_income, true)) return FP_ERANGE;
    if (!s_money_ok(f->medical_oop, false) || !s_money_ok(f->other_rigid, false) ||
        !s_money_ok(f->expected_loss, false))
        return FP_ERANGE;
    if (f->members_with_labour < 0 || f->members_disabled < 0) return FP_ERANGE;
    return FP_OK;
}

static bool s_disabled_rule(const screen_params_t *p, const char *id)
{
    if (!p->disabled_rules) return false;
    for (const char *const *d = p->disabled_rules; *d; d++)
        if (strcmp(*d, id) == 0) return true;
    return false;
}

static void s_add_risk(screen_decision_t *d, screen_risk_t r)
{
    if (r == SCREEN_RISK_NONE) return;
    for (size_t i = 0; i < d->n_risks; i++)
        if (d->risks[i] == r) return;
    if (d->n_risks < SCREEN_MAX_RISKS) d->risks[d->n_risks++] = r;
    else d->risks_dropped++;
}

fp_err_t screen_evaluate(const screen_facts_t *f, const screen_params_t *p, screen_decision_t *d)
{
    if (!f || !p || !d) return FP_EINVAL;
    fp_err_t e = s_check(f, p);
    if (e != FP_OK) return e;

    screen_decision_t r;
    memset(&r, 0, sizeof r);
    r.in_range = s_in_range(f, p);
    bool has_risk = false, shock = false, hardship = false;
    /* A dropped type already seen must not count twice: track distinct types seen. */
    bool seen_type[SCREEN_RISK_COUNT_] = {false};
    for (size_t i = 0; i < screen_rules_count; i++) {
        const screen_rule_t *rule = &screen_rules[i];
        if (s_disabled_rule(p, rule->id)) continue;
        screen_fired_t *o = &r.fired[r.n_fired];
        memset(o, 0, sizeof *o);
        if (!rule->fires(f, p, o)) continue;
        o->id = rule->id;
        r.n_fired++;
        if (rule->role != SCREEN_ROLE_INCOME_NEAR) has_risk = true;
        if (rule->role == SCREEN_ROLE_SHOCK) shock = true;
        if (rule->role == SCREEN_ROLE_HARDSHIP) hardship = true;
        for (size_t k = 0; k < 2; k++) {
            screen_risk_t t = rule->risks[k];
            if (t == SCREEN_RISK_NONE || seen_type[t]) continue;
            seen_type[t] = true;
            s_add_risk(&r, t);
        }
    }

    if (f->hh_type == SCREEN_HH_MONITORED) {
        r.already_monitored = true;
        r.kind = SCREEN_KIND_NONE;
    } else if (r.in_range && has_risk) {
        r.kind = f->hh_type == SCREEN_HH_LIFTED ? SCREEN_KIND_UNSTABLE_LIFTED : SCREEN_KIND_MARGINAL;
    } else if (!r.in_range && shock && hardship) {
        r.kind = SCREEN_KIND_SUDDEN_HARDSHIP;
    } else {
        r.kind = SCREEN_KIND_NONE;
    }
    if (r.kind != SCREEN_KIND_NONE && r.n_risks == 0) s_add_risk(&r, SCREEN_RISK_OTHER);
    *d = r;
    return FP_OK;
}
