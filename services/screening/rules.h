/* rules.h: the screening rules as numbered data (STYLE.md 9): a table of {id, zh, en,
 * predicate, risk types} evaluated over plain facts of one household, giving the rules that
 * fired with the numbers they saw, the suggested kind (三类户) and up to five risk types. Pure. */
#ifndef SCREEN_RULES_H
#define SCREEN_RULES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "vocab.h"

/* --- vocabularies ---------------------------------------------------------------------------- */

typedef enum {
    SCREEN_HH_GENERAL = 0, /* 一般户 */
    SCREEN_HH_LIFTED,      /* 脱贫户 */
    SCREEN_HH_MONITORED,   /* already a 监测对象: no new identification is suggested */
    SCREEN_HH_COUNT_
} screen_hh_type_t;

/* The kinds and risk types (screen_kind_t, screen_risk_t) are the domain's: domain/vocab.h. */

/* --- facts and parameters -------------------------------------------------------------------- */

typedef enum {
    SCREEN_G_EDUCATION = 0, /* a child of compulsory-school age not in school (控辍保学) */
    SCREEN_G_MEDICAL,       /* a member without basic medical insurance */
    SCREEN_G_HOUSING,       /* the house is rated C or D (危房) */
    SCREEN_G_WATER,         /* drinking water unsafe (quantity, quality, convenience, supply) */
    SCREEN_G_COUNT_
} screen_guarantee_t;

/* Shocks in the 12 months before the lead, as bits of screen_facts_t.shocks. */
enum {
    SCREEN_SHOCK_ILLNESS = 1u << 0,      /* serious illness 重病 */
    SCREEN_SHOCK_DISASTER = 1u << 1,     /* natural disaster 自然灾害 */
    SCREEN_SHOCK_ACCIDENT = 1u << 2,     /* accident 意外事故 */
    SCREEN_SHOCK_DEATH_WORKER = 1u << 3, /* death of a working member 主要劳动力死亡 */
    SCREEN_SHOCK_JOB_LOSS = 1u << 4,     /* job loss 失业/务工中断 */
    SCREEN_SHOCK_INDUSTRY = 1u << 5,     /* failed industry or project 产业(项目)失败 */
    SCREEN_SHOCK_ALL_ = (1u << 6) - 1
};

/* Everything the rules look at. Money in fen; the caller fills the income figures from
 * screen_income_compute() and the line from the policy parameters in force on the lead's date. */
typedef struct {
    screen_hh_type_t hh_type;
    int32_t members;        /* household size used for the income (1..99) */
    int64_t per_capita_net; /* per capita net income, fen per person per year */
    int64_t net_income;     /* household annual net income, fen (may be negative) */
    int64_t line;           /* monitoring line (监测标准) in force on the lead's date, fen, > 0 */
    int64_t medical_oop;    /* out-of-pocket medical cost, 12 months, fen, >= 0 */
    int64_t other_rigid;    /* other rigid spending caused by a shock (rebuilding after a
                                  * disaster, accident costs), 12 months, fen, >= 0 */
    int64_t expected_loss;  /* income the shock will still cut over the coming year, fen,
                                  * >= 0 (0 when the 12 months already show it) */
    struct {
        bool failed;
        const char *reason; /* caller's text when failed (may be NULL); shown to the cadre */
    } guarantee[SCREEN_G_COUNT_];
    unsigned shocks;             /* SCREEN_SHOCK_* bits */
    int32_t members_with_labour; /* members with (full or partial) labour capacity */
    int32_t members_disabled;    /* members holding a disability certificate */
} screen_facts_t;

typedef struct {
    /* Upper end of the monitoring range as a percentage of the line: a household is "inside the
     * range" when per capita net < line * ratio / 100. Configured per province with the line;
     * 100 makes the range "below the line" exactly (the national reading of 监测范围).
     * Bounds 100..1000. Default 100 (SCREEN_PARAMS_DEFAULT): the province's monitoring
     * standard (监测标准, e.g. Hebei's 6600 yuan) is itself the top of the monitoring range. */
    int32_t monitor_upper_ratio_pct;
    /* Medical out-of-pocket cost is "large" when >= this percentage of the household's annual
     * net income (or when the net income is <= 0 and the cost > 0). Bounds 1..1000. Default 50. */
    int32_t rigid_ratio_pct;
    /* Rule ids switched off by configuration (NULL-terminated list, or NULL). */
    const char *const *disabled_rules;
} screen_params_t;

#define SCREEN_PARAMS_DEFAULT \
    {                         \
        100, 50, NULL         \
    }

/* --- the table ------------------------------------------------------------------------------- */

/* What one fired rule saw: machine text ("income=540000 line=660000") and an explanation a
 * cadre reads ("人均纯收入5400.00元，低于监测标准6600.00元"). */
typedef struct {
    const char *id;
    char seen[128];
    char why_zh[320];
} screen_fired_t;

/* One rule. fires() returns true if the rule holds and then fills seen and why_zh.
 * role: what the rule contributes to the kind decision (see rules.c). */
typedef enum {
    SCREEN_ROLE_INCOME_BELOW = 0, /* income below the line: inside the range, a risk by itself */
    SCREEN_ROLE_INCOME_NEAR,      /* income inside the range but not below the line */
    SCREEN_ROLE_RISK,             /* a risk of falling into or back into poverty */
    SCREEN_ROLE_SHOCK,            /* a sudden shock (also a risk) */
    SCREEN_ROLE_HARDSHIP          /* rigid spending or lost income makes basic living hard */
} screen_role_t;

typedef struct screen_rule {
    const char *id; /* "S01".. in table order, never reused */
    const char *zh;
    const char *en;
    screen_role_t role;
    bool (*fires)(const screen_facts_t *f, const screen_params_t *p, screen_fired_t *out);
    screen_risk_t risks[2]; /* suggested risk types, SCREEN_RISK_NONE-padded */
} screen_rule_t;

extern const screen_rule_t screen_rules[];
extern const size_t screen_rules_count;

#define SCREEN_MAX_FIRED 24

typedef struct {
    screen_kind_t kind;
    bool in_range;          /* per capita net < line * ratio / 100 */
    bool already_monitored; /* hh_type was SCREEN_HH_MONITORED: kind stays NONE */
    size_t n_fired;
    screen_fired_t fired[SCREEN_MAX_FIRED]; /* in table order */
    size_t n_risks;
    screen_risk_t risks[SCREEN_MAX_RISKS]; /* de-duplicated, in the order the rules fired */
    size_t risks_dropped;                  /* distinct types beyond the fifth, left out */
} screen_decision_t;

/* Evaluates every enabled rule in table order and decides the kind (see rules.c for the
 * decision). FP_OK; FP_EINVAL for a NULL argument or an unknown hh_type; FP_ERANGE for a
 * parameter or a fact outside its bounds (line <= 0, a money value beyond +-10^15 fen, a
 * negative spending, members outside 1..99, a count < 0). *d is written only on FP_OK. */
fp_err_t screen_evaluate(const screen_facts_t *f, const screen_params_t *p, screen_decision_t *d);

#endif
