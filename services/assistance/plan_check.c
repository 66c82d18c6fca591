/* plan_check.c: the plan check table (P01..P09) and its predicates. Each predicate reads the plan,
 * the household facts and the parameters and, when it fires, writes the numbers it saw and a
 * Chinese sentence a cadre can read. No I/O, no globals but the const table.
 *
 * Readings (docs/assistance-rules.md):
 * - A STOPPED measure answers nothing: P01, P02, P04 and P05 look at live measures only
 *   (planned, in progress, delivered).
 * - "Without labour capacity" is the whole household: members_with_labour == 0.
 * - P02 "backstop only" is by kind (no industry, finance or employment measure among the live
 *   ones); P05 "given a backstop measure" is the category 综合保障兜底 itself.
 * - P06..P09 are the national data-quality checks (疑点) that concern the plan and elimination.
 * Adding a check: a predicate and a row at the END with the next id; switch one off through
 * assist_check_params_t.disabled. */
#include "plan_check.h"

#include <stdio.h>
#include <string.h>

#include "date.h"

/* Appends s to buf (size n, always NUL-terminated, silently cut). */
static void s_pc_cat(char *buf, size_t n, const char *s)
{
    size_t len = strlen(buf);
    size_t add = strlen(s);
    if (len + 1 >= n) return;
    if (add > n - 1 - len) add = n - 1 - len;
    memcpy(buf + len, s, add);
    buf[len + add] = '\0';
}

static bool s_live(const assist_measure_t *m) { return m->status != ASSIST_MS_STOPPED; }

static size_t s_count_live(const assist_plan_t *pl)
{
    size_t n = 0;
    for (size_t i = 0; i < pl->n_measures; i++)
        if (s_live(&pl->measures[i])) n++;
    return n;
}

/* P01: every risk type answered by a live measure of a matching category. */
static bool p01_unanswered(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                           int32_t today, assist_finding_t *out)
{
    char codes[128] = "", names[256] = "";
    size_t n = 0;
    for (size_t r = 0; r < h->n_risks; r++) {
        bool ok = false;
        for (size_t i = 0; i < pl->n_measures && !ok; i++)
            ok = s_live(&pl->measures[i]) && assist_answers(h->risks[r], pl->measures[i].category);
        if (ok) continue;
        if (n++) {
            s_pc_cat(codes, sizeof codes, ",");
            s_pc_cat(names, sizeof names, "、");
        }
        s_pc_cat(codes, sizeof codes, assist_risk_code(h->risks[r]));
        s_pc_cat(names, sizeof names, assist_risk_zh(h->risks[r]));
    }
    if (!n) return false;
    snprintf(out->seen, sizeof out->seen, "unanswered=%s risks=%zu", codes, h->n_risks);
    snprintf(out->why_zh, sizeof out->why_zh, "风险类型%s没有对应类别的帮扶措施（缺什么补什么）", names);
    return true;
}

/* P02: a household with labour capacity given backstop measures only. */
static bool p02_backstop_only(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                              int32_t today, assist_finding_t *out)
{
    if (h->members_with_labour <= 0) return false;
    size_t live = s_count_live(pl), dev = 0;
    for (size_t i = 0; i < pl->n_measures; i++)
        if (s_live(&pl->measures[i]) && assist_categories[pl->measures[i].category].kind == ASSIST_KIND_DEVELOPMENT)
            dev++;
    if (live == 0 || dev > 0) return false;
    snprintf(out->seen, sizeof out->seen, "labour=%d measures=%zu development=0", (int)h->members_with_labour, live);
    snprintf(out->why_zh, sizeof out->why_zh,
             "家庭有劳动能力成员%d人，但%zu项帮扶措施均为保障类，未落实产业、就业或金融等开发式帮扶",
             (int)h->members_with_labour, live);
    return true;
}

/* P03: a measure past its end date and not delivered (stopped measures are closed). */
static bool p03_overdue(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                        int32_t today, assist_finding_t *out)
{
    char idx[96] = "";
    size_t n = 0;
    int32_t first_end = 0;
    for (size_t i = 0; i < pl->n_measures; i++) {
        const assist_measure_t *m = &pl->measures[i];
        if (m->status != ASSIST_MS_PLANNED && m->status != ASSIST_MS_IN_PROGRESS) continue;
        if (m->end_on == ASSIST_NO_DATE || m->end_on >= today) continue;
        char one[24];
        snprintf(one, sizeof one, "%s%zu", n ? "," : "", i + 1);
        s_pc_cat(idx, sizeof idx, one);
        if (!n) first_end = m->end_on;
        n++;
    }
    if (!n) return false;
    char end[11], now[11];
    fp_date_format(first_end, end);
    fp_date_format(today, now);
    snprintf(out->seen, sizeof out->seen, "overdue=%zu first_end=%s today=%s measures=#", n, end, now);
    s_pc_cat(out->seen, sizeof out->seen, idx);
    snprintf(out->why_zh, sizeof out->why_zh, "%zu项帮扶措施已过计划完成日期（最早%s）仍未落实：第", n, end);
    s_pc_cat(out->why_zh, sizeof out->why_zh, idx);
    s_pc_cat(out->why_zh, sizeof out->why_zh, "项");
    return true;
}

/* P04: no live measure more than empty_plan_days after the plan was opened. */
static bool p04_empty(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                      int32_t today, assist_finding_t *out)
{
    if (s_count_live(pl) > 0) return false;
    int64_t days = (int64_t)today - pl->opened_on;
    if (days <= p->empty_plan_days) return false;
    char opened[11];
    fp_date_format(pl->opened_on, opened);
    snprintf(out->seen, sizeof out->seen, "measures=0 opened=%s days=%lld limit=%d", opened, (long long)days,
             (int)p->empty_plan_days);
    snprintf(out->why_zh, sizeof out->why_zh, "帮扶计划于%s建立，已%lld天（超过%d天）仍无帮扶措施", opened,
             (long long)days, (int)p->empty_plan_days);
    return true;
}

/* P05: a whole household without labour capacity not given 综合保障兜底. */
static bool p05_no_backstop(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                            int32_t today, assist_finding_t *out)
{
    if (h->members_with_labour != 0) return false;
    for (size_t i = 0; i < pl->n_measures; i++)
        if (s_live(&pl->measures[i]) && pl->measures[i].category == ASSIST_CAT_BACKSTOP) return false;
    snprintf(out->seen, sizeof out->seen, "labour=0 members=%d backstop=0", (int)h->members);
    snprintf(out->why_zh, sizeof out->why_zh, "整户无劳动能力（%d人），未落实综合保障兜底措施", (int)h->members);
    return true;
}

/* P06: a whole household without labour capacity marked eliminated. */
static bool p06_no_labour_eliminated(const assist_plan_t *pl, const assist_household_t *h,
                                     const assist_check_params_t *p, int32_t today, assist_finding_t *out)
{
    if (!h->eliminated || h->members_with_labour != 0) return false;
    snprintf(out->seen, sizeof out->seen, "eliminated=1 labour=0 members=%d", (int)h->members);
    snprintf(out->why_zh, sizeof out->why_zh, "整户无劳动能力，应作为兜底保障户继续监测，不应标注风险消除");
    return true;
}

/* P07: elimination less than min_months_to_elim months after identification. */
static bool p07_too_soon(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                         int32_t today, assist_finding_t *out)
{
    if (!h->eliminated) return false;
    int months = fp_date_months_between(h->identified_on, h->eliminated_on);
    if (months >= p->min_months_to_elim) return false;
    char a[11], b[11];
    fp_date_format(h->identified_on, a);
    fp_date_format(h->eliminated_on, b);
    snprintf(out->seen, sizeof out->seen, "identified=%s eliminated=%s months=%d min=%d", a, b, months,
             (int)p->min_months_to_elim);
    snprintf(out->why_zh, sizeof out->why_zh, "%s识别纳入，%s标注风险消除，间隔%d个月，不足%d个月", a, b, months,
             (int)p->min_months_to_elim);
    return true;
}

/* P08: eliminated without any delivered measure. */
static bool p08_eliminated_undelivered(const assist_plan_t *pl, const assist_household_t *h,
                                       const assist_check_params_t *p, int32_t today, assist_finding_t *out)
{
    if (!h->eliminated) return false;
    for (size_t i = 0; i < pl->n_measures; i++)
        if (pl->measures[i].status == ASSIST_MS_DELIVERED) return false;
    snprintf(out->seen, sizeof out->seen, "eliminated=1 delivered=0 measures=%zu", pl->n_measures);
    snprintf(out->why_zh, sizeof out->why_zh, "已标注风险消除，但没有一项已落实的帮扶措施");
    return true;
}

/* P09: a measure ending before it starts. */
static bool p09_dates_inverted(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                               int32_t today, assist_finding_t *out)
{
    for (size_t i = 0; i < pl->n_measures; i++) {
        const assist_measure_t *m = &pl->measures[i];
        if (m->start_on == ASSIST_NO_DATE || m->end_on == ASSIST_NO_DATE) continue;
        if (m->end_on >= m->start_on) continue;
        char a[11], b[11];
        fp_date_format(m->start_on, a);
        fp_date_format(m->end_on, b);
        snprintf(out->seen, sizeof out->seen, "measure=#%zu start=%s end=%s", i + 1, a, b);
        snprintf(out->why_zh, sizeof out->why_zh, "第%zu项帮扶措施结束日期%s早于开始日期%s", i + 1, b, a);
        return true;
    }
    return false;
}

/* P10 (分层分类): a household in 刚性支出困难 (rigid spending on illness or schooling) given no live
 * health or education measure. */
static bool p10_rigid_unanswered(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                                 int32_t today, assist_finding_t *out)
{
    if (!(h->populations & ASSIST_SERVES_RIGID_SPENDING)) return false;
    for (size_t i = 0; i < pl->n_measures; i++)
        if (s_live(&pl->measures[i]) &&
            (pl->measures[i].category == ASSIST_CAT_HEALTH || pl->measures[i].category == ASSIST_CAT_EDUCATION))
            return false;
    snprintf(out->seen, sizeof out->seen, "category=rigid_spending health_or_education=0");
    snprintf(out->why_zh, sizeof out->why_zh, "该户为刚性支出困难家庭，未落实健康（医疗）或教育帮扶措施");
    return true;
}

/* P11 (分层分类): a live measure whose category serves none of the household's populations now
 * (the catalogue's serves: monitoring while the plan is not eliminated, the low-income
 * categories it is in). Not run when the populations are not known (0). */
static bool p11_not_served(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                           int32_t today, assist_finding_t *out)
{
    if (!h->populations) return false;
    for (size_t i = 0; i < pl->n_measures; i++) {
        const assist_measure_t *m = &pl->measures[i];
        const assist_category_info_t *c = assist_category(m->category);
        if (!s_live(m) || !c || (c->serves & h->populations)) continue;
        snprintf(out->seen, sizeof out->seen, "measure=#%zu category=%s populations=0x%x", i + 1, c->code,
                 h->populations);
        snprintf(out->why_zh, sizeof out->why_zh, "第%zu项帮扶措施（%s）不适用于该户现属的监测或低收入人口类别", i + 1,
                 c->zh);
        return true;
    }
    return false;
}

const assist_check_t assist_checks[] = {
    {"P01", "风险类型未全部对应帮扶措施", "a risk type not answered by a measure of a matching category",
     p01_unanswered},
    {"P02", "有劳动能力家庭仅落实保障类措施", "a household with labour capacity given backstop measures only",
     p02_backstop_only},
    {"P03", "帮扶措施超过计划完成日期未落实", "a measure past its end date not delivered", p03_overdue},
    {"P04", "帮扶计划建立后超过期限仍无措施", "a plan with no measure too long after it was opened", p04_empty},
    {"P05", "整户无劳动能力未落实综合保障兜底", "a whole household without labour capacity not given the backstop",
     p05_no_backstop},
    {"P06", "整户无劳动能力家庭标注风险消除", "a whole household without labour capacity marked eliminated",
     p06_no_labour_eliminated},
    {"P07", "识别纳入不足6个月标注风险消除", "elimination less than 6 months after identification", p07_too_soon},
    {"P08", "标注风险消除但无已落实的帮扶措施", "eliminated without any delivered measure", p08_eliminated_undelivered},
    {"P09", "帮扶措施结束日期早于开始日期", "a measure ending before it starts", p09_dates_inverted},
    {"P10", "刚性支出困难家庭无医疗或教育帮扶措施", "a household in rigid-spending difficulty with no health or education measure",
     p10_rigid_unanswered},
    {"P11", "帮扶措施不适用于该户所属类别", "a measure of a category that serves none of the household's populations",
     p11_not_served},
};
const size_t assist_checks_count = sizeof assist_checks / sizeof assist_checks[0];

static bool s_pc_disabled(const assist_check_params_t *p, const char *id)
{
    for (const char *const *d = p->disabled; d && *d; d++)
        if (strcmp(*d, id) == 0) return true;
    return false;
}

fp_err_t assist_plan_check(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                           int32_t today, assist_findings_t *out)
{
    if (!pl || !h || !p || !out || (pl->n_measures > 0 && !pl->measures)) return FP_EINVAL;
    if (p->empty_plan_days < 1 || p->empty_plan_days > 366) return FP_ERANGE;
    if (p->min_months_to_elim < 1 || p->min_months_to_elim > 60) return FP_ERANGE;
    if (h->members < 1 || h->members > 99) return FP_ERANGE;
    if (h->members_with_labour < 0 || h->members_with_labour > h->members) return FP_ERANGE;
    if (h->n_risks > SCREEN_MAX_RISKS) return FP_ERANGE;
    for (size_t i = 0; i < h->n_risks; i++) {
        if (h->risks[i] <= SCREEN_RISK_NONE || h->risks[i] >= SCREEN_RISK_COUNT_) return FP_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (h->risks[j] == h->risks[i]) return FP_EINVAL;
    }
    for (size_t i = 0; i < pl->n_measures; i++) {
        const assist_measure_t *m = &pl->measures[i];
        if ((unsigned)m->category >= ASSIST_CAT_COUNT_ || (unsigned)m->status >= ASSIST_MS_COUNT_) return FP_EINVAL;
        if (m->amount_fen < 0) return FP_ERANGE;
    }
    assist_findings_t res;
    memset(&res, 0, sizeof res);
    for (size_t i = 0; i < assist_checks_count && res.n < ASSIST_MAX_FINDINGS; i++) {
        if (s_pc_disabled(p, assist_checks[i].id)) continue;
        assist_finding_t *f = &res.f[res.n];
        if (assist_checks[i].fires(pl, h, p, today, f)) {
            f->id = assist_checks[i].id;
            res.n++;
        } else {
            memset(f, 0, sizeof *f);
        }
    }
    *out = res;
    return FP_OK;
}
