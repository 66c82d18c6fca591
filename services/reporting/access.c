/* access.c: who may read what from the reporting service (see access.h for the table). */
#include "access.h"

#include <stdio.h>
#include <string.h>

static bool s_is(const char *a, const char *b) { return a && strcmp(a, b) == 0; }

bool report_scope_allows(const fp_principal_t *p, const char *prefix)
{
    size_t n = strlen(p->region);
    if (n == 0) return true;
    return strlen(prefix) >= n && strncmp(prefix, p->region, n) == 0;
}

report_read_t report_read_policy(const fp_principal_t *p, report_read_what_t what, const char *report,
                                 const char *prefix)
{
    if (!p) return REPORT_READ_OK; /* proxy mode: the reverse proxy authenticated and decided */
    if (s_is(p->kind, "department") && s_is(p->department, "minzheng") && p->county[0] && what == REPORT_READ_REPORT) {
        /* civil affairs reads the low-income statistics of its county (docs/lowincome.md) */
        if (!s_is(report, "lowincome_quarterly")) return REPORT_READ_NO_REPORT;
        size_t n = strlen(p->county);
        return prefix && strlen(prefix) >= n && !strncmp(prefix, p->county, n) ? REPORT_READ_OK : REPORT_READ_NO_REGION;
    }
    bool admin = s_is(p->kind, "admin"), actor = s_is(p->kind, "actor");
    if (!admin && !actor) return REPORT_READ_NO_KIND; /* other departments, gateway, anything new: nothing */
    if (actor && !s_is(p->level, "village") && !s_is(p->level, "township") && !s_is(p->level, "county") &&
        !s_is(p->level, "prefecture") && !s_is(p->level, "province"))
        return REPORT_READ_NO_KIND; /* an actor of no known level: fail closed */
    if (what == REPORT_READ_REPORT && actor && s_is(p->level, "village") && s_is(report, "deadlines"))
        return REPORT_READ_NO_REPORT;
    if (!report_scope_allows(p, prefix ? prefix : "")) return REPORT_READ_NO_REGION;
    return REPORT_READ_OK;
}

const char *report_read_reason(report_read_t d)
{
    switch (d) {
    case REPORT_READ_NO_KIND: return "read.kind";
    case REPORT_READ_NO_REPORT: return "read.report";
    case REPORT_READ_NO_REGION: return "read.region";
    default: return "";
    }
}

void report_read_message(report_read_t d, const fp_principal_t *p, report_read_what_t what, char *en, size_t enlen,
                         char *zh, size_t zhlen)
{
    const char *thing = what == REPORT_READ_EVENTS ? "events" : "reports";
    const char *thing_zh = what == REPORT_READ_EVENTS ? "事件" : "报表";
    const char *region = p ? (p->region[0] || !p->county[0] ? p->region : p->county) : "";
    switch (d) {
    case REPORT_READ_NO_KIND:
        snprintf(en, enlen,
                 "a %s key reads no %s of the reporting service: a department follows its own leads with intake's"
                 " ListOutcomes",
                 p && p->kind[0] ? p->kind : "principal", thing);
        snprintf(zh, zhlen,
                 "此类用户（%s）不能读取报表服务的%s；行业部门请通过 intake 的 ListOutcomes 查看本部门线索的处理结果",
                 p && p->kind[0] ? p->kind : "未知", thing_zh);
        break;
    case REPORT_READ_NO_REPORT:
        if (p && s_is(p->kind, "department")) {
            snprintf(en, enlen, "civil affairs reads the lowincome_quarterly report of its county only");
            snprintf(zh, zhlen, "民政部门仅可查看本县的农村低收入人口分类统计（lowincome_quarterly）");
            break;
        }
        snprintf(en, enlen, "a %s-level key may not read this report", p && p->level[0] ? p->level : "village");
        snprintf(zh, zhlen, "本级（%s）用户不能查看该报表", p && p->level[0] ? p->level : "village");
        break;
    case REPORT_READ_NO_REGION:
        snprintf(en, enlen, "you may read %s of region %s only: ask for a region inside it", thing, region);
        snprintf(zh, zhlen, "您只能查看 %s 区域内的%s，请在该区域内查询", region, thing_zh);
        break;
    default:
        snprintf(en, enlen, "ok");
        snprintf(zh, zhlen, "ok");
        break;
    }
}
