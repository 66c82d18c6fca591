/* vocab.c: the kinds, risk types and levels of vocab.h as const tables. */
#include "vocab.h"

#include <string.h>

static const char *const s_kind_code[SCREEN_KIND_COUNT_] = {"none", "unstable_lifted", "marginal", "sudden_hardship"};
static const char *const s_kind_zh[SCREEN_KIND_COUNT_] = {"无", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"};

#define S_RISK_ROW(ord, code, zh, en) {code, zh, en},
static const struct {
    const char *code, *zh, *en;
} s_risks[] = {{"none", "无", "none"}, VOCAB_RISKS(S_RISK_ROW)};
_Static_assert(sizeof s_risks / sizeof s_risks[0] == SCREEN_RISK_COUNT_, "one row per screen_risk_t");

static const char *const s_level_code[FP_LEVEL_COUNT_] = {"village", "township", "county"};

const char *screen_kind_code(screen_kind_t k) { return (unsigned)k < SCREEN_KIND_COUNT_ ? s_kind_code[k] : "?"; }
const char *screen_kind_zh(screen_kind_t k) { return (unsigned)k < SCREEN_KIND_COUNT_ ? s_kind_zh[k] : "?"; }
const char *screen_risk_code(screen_risk_t r) { return (unsigned)r < SCREEN_RISK_COUNT_ ? s_risks[r].code : "?"; }
const char *screen_risk_zh(screen_risk_t r) { return (unsigned)r < SCREEN_RISK_COUNT_ ? s_risks[r].zh : "?"; }
const char *screen_risk_en(screen_risk_t r) { return (unsigned)r < SCREEN_RISK_COUNT_ ? s_risks[r].en : "?"; }
const char *fp_level_code(fp_level_t l) { return (unsigned)l < FP_LEVEL_COUNT_ ? s_level_code[l] : "?"; }

screen_kind_t screen_kind_from_code(const char *code)
{
    for (int i = 1; code && i < SCREEN_KIND_COUNT_; i++)
        if (!strcmp(code, s_kind_code[i])) return (screen_kind_t)i;
    return SCREEN_KIND_NONE;
}

screen_risk_t screen_risk_from_code(const char *code)
{
    for (int i = 1; code && i < SCREEN_RISK_COUNT_; i++)
        if (!strcmp(code, s_risks[i].code)) return (screen_risk_t)i;
    return SCREEN_RISK_NONE;
}

#define S_RISK_SQL(ord, code, zh, en) "('" code "', '" zh "', '" en "', " #ord "), "
const char vocab_check_sql[] = "WITH c(code, name_zh, name_en, ord) AS (SELECT * FROM (VALUES " VOCAB_RISKS(
    S_RISK_SQL) "('none', '', '', 0))"
                " AS v(code, name_zh, name_en, ord) WHERE ord > 0)"
                " SELECT 'risk type ' || coalesce(c.code, t.code),"
                " coalesce(c.ord || ' ' || c.name_zh || ' / ' || c.name_en, 'missing'),"
                " coalesce(t.ord || ' ' || t.name_zh || ' / ' || t.name_en, 'missing')"
                " FROM c FULL JOIN risk_types t ON t.code = c.code"
                " WHERE c.code IS NULL OR t.code IS NULL OR t.name_zh <> c.name_zh OR t.name_en <> c.name_en"
                " OR t.ord <> c.ord ORDER BY 1";
