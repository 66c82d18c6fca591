/* report_defs.c: the table of reports (report_defs.h). */
#include "report_defs.h"

#include <stdio.h>
#include <string.h>

#include "date.h"
#include "vocab.h"

/* A household count per risk type, named as report_scale_rows() names it (reports.sql). */
#define S_RISK_COL(ord, code, zh, en) {"risk_" code "_hh", zh "（户）", true},

static const report_col_t s_lvm_cols[] = {
    {"received", "接收", true},       {"verified", "已核实", true}, {"included", "纳入", true},
    {"not_included", "未纳入", true}, {"pending", "待核实", true},  {"unmatched", "未匹配", true},
    {"overdue", "超期", true},
};
static const report_col_t s_scale_cols[] = {
    {"mon_hh", "监测对象户数", true},
    {"mon_people", "监测对象人数", true},
    {"ul_hh", "脱贫不稳定户户数", true},
    {"ul_people", "脱贫不稳定户人数", true},
    {"mg_hh", "边缘易致贫户户数", true},
    {"mg_people", "边缘易致贫户人数", true},
    {"sh_hh", "突发严重困难户户数", true},
    {"sh_people", "突发严重困难户人数", true},
    VOCAB_RISKS(S_RISK_COL) /* risk_<code>_hh, one per risk type (domain/vocab.h) */
    {"new_hh", "本季度新识别户数", true},
    {"new_people", "本季度新识别人数", true},
    {"elim_hh", "本季度风险消除户数", true},
    {"elim_people", "本季度风险消除人数", true},
    {"elim_assist_hh", "帮扶消除户数", true},
    {"elim_natural_hh", "自然消除户数", true},
};
static const report_col_t s_measures_cols[] = {
    {"total", "措施总数", true},       {"planned", "未启动", true},         {"in_progress", "实施中", true},
    {"delivered", "已落实", true},     {"stopped", "已终止", true},         {"checked", "本季度已核查", true},
    {"problem", "核查发现问题", true}, {"unchecked", "本季度未核查", true},
};
static const report_col_t s_elim_cols[] = {
    {"nominated", "提名", true},
    {"notice_posted", "公示", true},
    {"township_approved", "乡镇核查核准", true},
    {"county_confirmed", "县级核实确认", true},
    {"eliminated", "公告消除", true},
    {"elim_assist", "帮扶消除", true},
    {"elim_natural", "自然消除", true},
    {"returned", "退回", true},
    {"refused", "不予消除（户）", true},
    {"refused_village", "村级不予消除（次）", true},
    {"refused_township", "乡镇不予消除（次）", true},
    {"refused_county", "县级不予消除（次）", true},
    {"undone", "回退", true},
    {"at_nominated", "季末已提名待公示", true},
    {"at_notice", "季末公示中", true},
    {"at_township_approved", "季末乡镇已核准", true},
    {"at_county_confirmed", "季末县级已确认", true},
};
static const report_col_t s_deadline_cols[] = {
    {"deadline", "截止事项", false}, {"due_on", "截止日期", false}, {"done_on", "完成日期", false},
    {"days_late", "逾期天数", true}, {"late", "逾期单位数", true},
};
static const report_col_t s_quality_cols[] = {
    {"opened", "本期发现疑点", true}, {"open", "待整改", true},       {"overdue", "逾期未整改", true},
    {"explained", "已说明", true},    {"closed", "已整改销号", true},
};
/* the rural low-income population by category (report_lowincome_quarterly_rows, docs/lowincome.md):
 * the categories in lowincome_categories' order */
#define S_CAT(code, zh) \
    {code "_hh", zh "户数", true}, { code "_people", zh "人数", true }
static const report_col_t s_lowincome_cols[] = {
    {"total_hh", "合计户数", true},
    {"total_people", "合计人数", true},
    S_CAT("unstable_lifted", "脱贫不稳定户"),
    S_CAT("marginal", "边缘易致贫户"),
    S_CAT("sudden_hardship", "突发严重困难户"),
    S_CAT("dibao", "低保对象"),
    S_CAT("tekun", "特困人员"),
    S_CAT("dibao_edge", "低保边缘家庭"),
    S_CAT("rigid_spending", "刚性支出困难家庭"),
    {"overlap_hh", "属两类及以上户数", true},
    {"mon_low_hh", "既是监测对象又是低收入人口户数", true},
    {"entries", "本季度纳入（户次）", true},
    {"exits", "本季度退出（户次）", true},
};

#define S_N(a) ((int)(sizeof(a) / sizeof((a)[0])))
const report_def_t report_defs[] = {
    {REPORT_LVM, "风险线索核实情况", "核实情况", "部门/乡镇", REPORT_PER_MONTH, s_lvm_cols, S_N(s_lvm_cols)},
    {"scale_quarterly", "规模统计表", "规模统计", "区划", REPORT_PER_QUARTER, s_scale_cols, S_N(s_scale_cols)},
    {"measures_quarterly", "帮扶措施落实情况", "措施落实", "区划/措施类别", REPORT_PER_QUARTER, s_measures_cols,
     S_N(s_measures_cols)},
    {"elimination_quarterly", "风险消除情况", "风险消除", "区划/不予消除原因", REPORT_PER_QUARTER, s_elim_cols,
     S_N(s_elim_cols)},
    {"deadlines", "逾期情况", "逾期情况", "单位", REPORT_PER_ANY, s_deadline_cols, S_N(s_deadline_cols)},
    {"quality_findings", "疑点问题整改情况", "疑点整改", "区划/疑点规则", REPORT_PER_ANY, s_quality_cols,
     S_N(s_quality_cols)},
    {"lowincome_quarterly", "农村低收入人口分类统计", "低收入人口", "区划", REPORT_PER_QUARTER, s_lowincome_cols,
     S_N(s_lowincome_cols)},
};

const int report_ndefs = S_N(report_defs);

const report_def_t *report_def_find(const char *code)
{
    for (int i = 0; i < S_N(report_defs); i++)
        if (strcmp(report_defs[i].code, code) == 0) return &report_defs[i];
    return NULL;
}

bool report_quarter_parse(const char *s, int *year, int *q)
{
    fp_period_t p;
    char month[8];
    if (strnlen(s, 8) != 6 || s[4] != 'Q' || s[5] < '1' || s[5] > '4') return false;
    snprintf(month, sizeof month, "%.4s-01", s);
    if (fp_period_parse(month, &p) != FP_OK) return false;
    *year = p.year;
    *q = s[5] - '0';
    return true;
}

void report_default_periods(int32_t today, char month[8], char quarter[8])
{
    int y, m, d;
    fp_date_civil(today, &y, &m, &d);
    snprintf(quarter, 8, "%04uQ%u", (unsigned)y % 10000u, (unsigned)(m - 1) / 3u % 10u + 1u);
    fp_date_civil(fp_date_add_months(fp_date_from_civil(y, m, 1), -1), &y, &m, &d);
    snprintf(month, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}
