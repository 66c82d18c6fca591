/* measures.h: the twelve assistance measure categories (seed 004 §(三)) as data, the measure
 * status set with its legal changes, and the documented mapping risk type -> measure categories
 * that answer it (缺什么补什么). Pure; see docs/assistance-rules.md. */
#ifndef ASSIST_MEASURES_H
#define ASSIST_MEASURES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "vocab.h"

/* The categories in the seed's order. New categories go at the end (before the count). */
typedef enum {
    ASSIST_CAT_INDUSTRY = 0, /* 产业帮扶 */
    ASSIST_CAT_FINANCE,      /* 金融帮扶 (小额信贷) */
    ASSIST_CAT_EMPLOYMENT,   /* 就业帮扶 (公益性岗位 ...) */
    ASSIST_CAT_HOUSING,      /* 安全住房保障帮扶 */
    ASSIST_CAT_WATER,        /* 饮水安全保障帮扶 */
    ASSIST_CAT_HEALTH,       /* 健康帮扶 */
    ASSIST_CAT_EDUCATION,    /* 教育帮扶 (雨露计划 ...) */
    ASSIST_CAT_SOCIAL_HELP,  /* 社会帮扶 */
    ASSIST_CAT_RELOCATION,   /* 搬迁帮扶 */
    ASSIST_CAT_BACKSTOP,     /* 综合保障兜底 */
    ASSIST_CAT_HELPER,       /* 专人帮扶 */
    ASSIST_CAT_RISK_FUND,    /* 防贫风险基金帮扶 */
    ASSIST_CAT_COUNT_
} assist_category_t;

/* Development measures (industry, finance, employment) build the household's own income;
 * every other category is "backstop" (保障类) here. */
typedef enum { ASSIST_KIND_DEVELOPMENT = 0, ASSIST_KIND_BACKSTOP } assist_kind_t;

/* How far a measure of a category may run past the household's elimination. */
typedef enum {
    ASSIST_PAST_NONE = 0,        /* ends with monitoring */
    ASSIST_PAST_LOAN_END,        /* microcredit: to the end of the loan */
    ASSIST_PAST_AGREEMENT_END,   /* public-welfare job: to the end of its agreement */
    ASSIST_PAST_SCHOOL_STAGE_END /* 雨露计划 schooling support: to the end of the school stage */
} assist_past_t;

/* The populations a measure serves (分层分类, docs/lowincome.md "Assistance by category"): the
 * monitored households and the rural low-income categories (lowincome_categories' codes). */
enum {
    ASSIST_SERVES_MONITORED = 1u << 0,      /* unstable_lifted, marginal, sudden_hardship */
    ASSIST_SERVES_DIBAO = 1u << 1,          /* 低保对象 */
    ASSIST_SERVES_TEKUN = 1u << 2,          /* 特困人员 */
    ASSIST_SERVES_DIBAO_EDGE = 1u << 3,     /* 低保边缘家庭 */
    ASSIST_SERVES_RIGID_SPENDING = 1u << 4, /* 刚性支出困难家庭 */
};
#define ASSIST_SERVES_ALL 0x1fu

typedef struct {
    assist_category_t cat;
    const char *code; /* stable code: "industry", "finance", ... */
    const char *zh;
    const char *en;
    assist_kind_t kind;
    assist_past_t past; /* ASSIST_PAST_NONE: may not run past elimination */
    unsigned serves;    /* ASSIST_SERVES_* bits */
} assist_category_info_t;

/* The ASSIST_SERVES_* bit of a category code of lowincome_categories; 0 for an unknown code or
 * NULL. */
unsigned assist_serves_bit(const char *lowincome_category);
/* True if a measure of category c serves households of the low-income category (a code of
 * lowincome_categories); false when out of range or unknown. */
bool assist_serves(assist_category_t c, const char *lowincome_category);

/* Indexed by assist_category_t. */
extern const assist_category_info_t assist_categories[ASSIST_CAT_COUNT_];

/* NULL if out of range. */
const assist_category_info_t *assist_category(assist_category_t c);
/* Code of a category; "?" if out of range. */
const char *assist_category_code(assist_category_t c);
/* True and *out set if code names a category; false (out untouched) otherwise or for NULL. */
bool assist_category_from_code(const char *code, assist_category_t *out);
const char *assist_kind_code(assist_kind_t k); /* "development" / "backstop"; "?" */
const char *assist_past_code(assist_past_t p); /* "none", "loan_end", ...; "?" */
/* True if a measure of category c may run past elimination. False if out of range. */
bool assist_runs_past_elimination(assist_category_t c);

/* Risk type codes and names: the domain's (domain/vocab.h). "?" if out of range. */
#define assist_risk_code screen_risk_code
#define assist_risk_zh screen_risk_zh

/* --- measure status -------------------------------------------------------------------------- */

typedef enum {
    ASSIST_MS_PLANNED = 0, /* 计划 */
    ASSIST_MS_IN_PROGRESS, /* 实施中 */
    ASSIST_MS_DELIVERED,   /* 已落实 (final) */
    ASSIST_MS_STOPPED,     /* 已终止, with a reason (final) */
    ASSIST_MS_COUNT_
} assist_mstatus_t;

const char *assist_mstatus_code(assist_mstatus_t s); /* "planned", ...; "?" */

/* Legal changes: planned -> in_progress | delivered (a one-off measure) | stopped;
 * in_progress -> delivered | stopped. Stopping needs a non-blank reason. Returns NULL if the
 * change is legal, otherwise a reason code of assist_measure_reasons: "measure.bad_status",
 * "measure.same_status", "measure.final", "measure.not_allowed", "measure.reason_missing". */
const char *assist_measure_change(assist_mstatus_t from, assist_mstatus_t to, const char *reason);

typedef fp_reason_t assist_reason_t;
/* Terminated by an entry whose code is NULL. */
extern const assist_reason_t assist_measure_reasons[];
/* Looks a code up in the given catalog; NULL if absent. */
#define assist_reason_in fp_reason_find

/* --- risk type -> categories ----------------------------------------------------------------- */

#define ASSIST_MAP_MAX 3
typedef struct {
    screen_risk_t risk;
    bool any; /* every category answers it ("other") */
    assist_category_t cats[ASSIST_MAP_MAX];
    size_t n_cats;
} assist_risk_map_t;

/* One row per risk type, in the order of screen_risk_t (SCREEN_RISK_ILLNESS first). */
extern const assist_risk_map_t assist_risk_map[];
extern const size_t assist_risk_map_count;

/* True if a measure of category c answers risk type r. False for out-of-range values. */
bool assist_answers(screen_risk_t r, assist_category_t c);

/* True if s holds a character other than blanks. */
#define assist_has_text fp_has_text

#endif
