/* vocab.h: the domain's words, defined once for every service and fangpinctl: the kinds of
 * monitored household (三类户), the national list of risk types, and the levels that act
 * (village, township, county). Codes are what the database and the protocol carry; the risk
 * types are checked against the database's risk_types catalogue at start (vocab_check_sql).
 * The types keep the names screening gave them (screening identifies a household's kind and
 * risk types); assistance, reporting and the tools use the same. Pure. */
#ifndef FP_VOCAB_H
#define FP_VOCAB_H
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SCREEN_KIND_NONE = 0,
    SCREEN_KIND_UNSTABLE_LIFTED, /* 脱贫不稳定户 */
    SCREEN_KIND_MARGINAL,        /* 边缘易致贫户 */
    SCREEN_KIND_SUDDEN_HARDSHIP, /* 突发严重困难户 */
    SCREEN_KIND_COUNT_
} screen_kind_t;

/* The national list of risk types, in its own order (risk_types.ord). SCREEN_RISK_NONE is "no
 * type". */
typedef enum {
    SCREEN_RISK_NONE = 0,
    SCREEN_RISK_ILLNESS,          /* 因病 */
    SCREEN_RISK_DISABILITY,       /* 因残 */
    SCREEN_RISK_SCHOOLING,        /* 因学 */
    SCREEN_RISK_DISASTER,         /* 因自然灾害 */
    SCREEN_RISK_ACCIDENT,         /* 因意外事故 */
    SCREEN_RISK_INDUSTRY_FAILURE, /* 因产业(项目)失败 */
    SCREEN_RISK_UNSTABLE_WORK,    /* 因务工就业不稳 */
    SCREEN_RISK_LACK_OF_LABOUR,   /* 缺劳动力 */
    SCREEN_RISK_HOUSING,          /* 因安全住房 */
    SCREEN_RISK_WATER,            /* 因安全饮水 */
    SCREEN_RISK_OTHER,            /* 其他 */
    SCREEN_RISK_COUNT_
} screen_risk_t;

#define SCREEN_MAX_RISKS 5

/* THE list of risk types: X(ord, code, Chinese, English) in screen_risk_t's order, as the
 * risk_types catalogue holds them (002_intake.sql). Expanded into vocab.c's table, into
 * vocab_check_sql[] and into the reports' risk columns (services/reporting/report_defs.c). */
#define VOCAB_RISKS(X)                                                         \
    X(1, "illness", "因病", "illness")                                         \
    X(2, "disability", "因残", "disability")                                   \
    X(3, "schooling", "因学", "schooling")                                     \
    X(4, "disaster", "因自然灾害", "natural disaster")                         \
    X(5, "accident", "因意外事故", "accident")                                 \
    X(6, "industry_failure", "因产业(项目)失败", "failed industry or project") \
    X(7, "unstable_work", "因务工就业不稳", "unstable work")                   \
    X(8, "lack_of_labour", "缺劳动力", "lack of labour")                       \
    X(9, "housing", "因安全住房", "housing safety")                            \
    X(10, "water", "因安全饮水", "drinking water")                             \
    X(11, "other", "其他", "other")

/* Stable codes ("marginal", "illness", ...) and Chinese names; "?" if out of range. */
const char *screen_kind_code(screen_kind_t k);
const char *screen_kind_zh(screen_kind_t k);
const char *screen_risk_code(screen_risk_t r);
const char *screen_risk_zh(screen_risk_t r);
const char *screen_risk_en(screen_risk_t r);
/* The kind of a code; SCREEN_KIND_NONE if unknown or NULL. */
screen_kind_t screen_kind_from_code(const char *code);
/* The risk type of a code; SCREEN_RISK_NONE if unknown or NULL. */
screen_risk_t screen_risk_from_code(const char *code);

/* The levels that take a step of a case or of a risk elimination. */
typedef enum { FP_LEVEL_VILLAGE = 0, FP_LEVEL_TOWNSHIP, FP_LEVEL_COUNTY, FP_LEVEL_COUNT_ } fp_level_t;

const char *fp_level_code(fp_level_t l); /* "village", "township", "county"; "?" */

/* One statement that returns no row when the risk types above agree with the database's
 * risk_types (code, name_zh, name_en, ord), else one row per disagreement: what, what is compiled
 * in, what the database holds. For fp_service_def_t.catalogue_sql. */
extern const char vocab_check_sql[];

#endif
