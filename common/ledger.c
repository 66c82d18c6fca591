/* ledger.c: the rules of the ledger's census file (ledger.h): columns, vocabularies, the checks
 * of one line, households, and the refusals with their reasons in Chinese and English. */
#include "ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "date.h"
#include "idcard.h"
#include "money.h"
#include "region.h"
#include "textenc.h"

#define S_MAX_TEXT 200 /* bytes in a name or a reason */

/* ---- columns ---------------------------------------------------------------------------- */

enum {
    C_HH_NO,
    C_VILLAGE,
    C_TYPE,
    C_KIND,
    C_HEAD,
    C_NAME,
    C_ID,
    C_REL,
    C_SEX,
    C_BIRTH,
    C_LABOUR,
    C_HEALTH,
    C_SCHOOL,
    C_INSURED,
    C_WAGE,
    C_PUBJOB,
    C_OPER,
    C_PROP,
    C_PENSION,
    C_FAMPLAN,
    C_ECO,
    C_DIBAO,
    C_TEKUN,
    C_OTHERTR,
    C_COST,
    C_MEDICAL,
    C_WATER,
    C_HOUSING,
    C_PERIOD,
    C_FOOD,
    C_EDU,
    C_MEDOK,
    C_DISAB, /* optional */
    C_N
};
_Static_assert(C_N == FP_LEDGER_NCOLS, "FP_LEDGER_NCOLS is the number of columns");
#define C_NREQ C_FOOD
_Static_assert(C_MEDICAL - C_WAGE + 1 == FP_LEDGER_NAMT, "FP_LEDGER_NAMT is the number of amounts");

/* Header names, compared after trimming, dropping a "(元)"/"（元）" suffix and ASCII case. */
static const char *const s_names[C_N][5] = {
    [C_HH_NO] = {"户编号", "户号", "household_no"},
    [C_VILLAGE] = {"村代码", "行政村代码", "village_code"},
    [C_TYPE] = {"户类型", "household_type"},
    [C_KIND] = {"监测类型", "监测对象类型", "monitored_kind"},
    [C_HEAD] = {"户主姓名", "head_name"},
    [C_NAME] = {"姓名", "name"},
    [C_ID] = {"身份证号", "公民身份号码", "证件号码", "id_number"},
    [C_REL] = {"与户主关系", "relation"},
    [C_SEX] = {"性别", "sex"},
    [C_BIRTH] = {"出生日期", "birth_date"},
    [C_LABOUR] = {"劳动能力", "劳动技能", "labour"},
    [C_HEALTH] = {"健康状况", "health"},
    [C_SCHOOL] = {"在校情况", "在校生状况", "schooling"},
    [C_INSURED] = {"是否参保", "是否参加城乡居民基本医疗保险", "insured"},
    [C_WAGE] = {"工资性收入", "wage_yuan", "wage"},
    [C_PUBJOB] = {"公益性岗位收入", "public_job_yuan", "public_job"},
    [C_OPER] = {"生产经营性收入", "operating_yuan", "operating"},
    [C_PROP] = {"财产性收入", "property_yuan", "property"},
    [C_PENSION] = {"养老金", "养老金或离退休金", "pension_yuan", "pension"},
    [C_FAMPLAN] = {"计划生育金", "family_planning_yuan", "family_planning"},
    [C_ECO] = {"生态补偿金", "eco_compensation_yuan", "eco_compensation"},
    [C_DIBAO] = {"低保金", "dibao_yuan", "dibao"},
    [C_TEKUN] = {"特困供养金", "tekun_yuan", "tekun"},
    [C_OTHERTR] = {"其他转移性收入", "other_transfer_yuan", "other_transfer"},
    [C_COST] = {"生产经营费用支出", "生产经营性支出", "production_cost_yuan", "production_cost"},
    [C_MEDICAL] = {"医疗自付", "医疗自付费用", "medical_oop_yuan", "medical_oop"},
    [C_WATER] = {"饮水安全", "是否饮水安全", "water_ok"},
    [C_HOUSING] = {"住房安全", "是否住房安全", "housing_ok"},
    [C_PERIOD] = {"调查期", "调查期间", "survey_period"},
    [C_FOOD] = {"吃穿不愁", "不愁吃不愁穿", "food_clothing_ok"},
    [C_EDU] = {"义务教育保障", "义务教育有保障", "education_ok"},
    [C_MEDOK] = {"基本医疗保障", "基本医疗有保障", "medical_ok"},
    [C_DISAB] = {"残疾等级", "disability_grade"},
};

/* The column each guarantee (in table order: food_clothing, education, medical, housing, water)
 * comes from. */
static const int s_guar_src[FP_LEDGER_NGUAR] = {C_FOOD, C_EDU, C_MEDOK, C_HOUSING, C_WATER};

/* ---- vocabularies: the words people write -> the stored code ---------------------------- */

typedef struct {
    const char *word, *code;
} s_word_t;

static const s_word_t s_v_type[] = {{"一般户", "general"},     {"一般农户", "general"},    {"general", "general"},
                                    {"脱贫户", "lifted"},      {"lifted", "lifted"},       {"监测户", "monitored"},
                                    {"监测对象", "monitored"}, {"monitored", "monitored"}, {NULL, NULL}};
static const s_word_t s_v_kind[] = {{"脱贫不稳定户", "unstable_lifted"},
                                    {"unstable_lifted", "unstable_lifted"},
                                    {"边缘易致贫户", "marginal"},
                                    {"marginal", "marginal"},
                                    {"突发严重困难户", "sudden_hardship"},
                                    {"sudden_hardship", "sudden_hardship"},
                                    {NULL, NULL}};
static const s_word_t s_v_rel[] = {{"户主", "head"},
                                   {"head", "head"},
                                   {"配偶", "spouse"},
                                   {"spouse", "spouse"},
                                   {"之子", "child"},
                                   {"之女", "child"},
                                   {"子女", "child"},
                                   {"儿子", "child"},
                                   {"女儿", "child"},
                                   {"child", "child"},
                                   {"之儿媳", "child_in_law"},
                                   {"之女婿", "child_in_law"},
                                   {"儿媳", "child_in_law"},
                                   {"女婿", "child_in_law"},
                                   {"child_in_law", "child_in_law"},
                                   {"之孙子", "grandchild"},
                                   {"之孙女", "grandchild"},
                                   {"之外孙子", "grandchild"},
                                   {"之外孙女", "grandchild"},
                                   {"孙子", "grandchild"},
                                   {"孙女", "grandchild"},
                                   {"grandchild", "grandchild"},
                                   {"之父", "parent"},
                                   {"之母", "parent"},
                                   {"父亲", "parent"},
                                   {"母亲", "parent"},
                                   {"parent", "parent"},
                                   {"之祖父", "grandparent"},
                                   {"之祖母", "grandparent"},
                                   {"之外祖父", "grandparent"},
                                   {"之外祖母", "grandparent"},
                                   {"grandparent", "grandparent"},
                                   {"之兄弟姐妹", "sibling"},
                                   {"兄弟姐妹", "sibling"},
                                   {"sibling", "sibling"},
                                   {"其他", "other"},
                                   {"other", "other"},
                                   {NULL, NULL}};
static const s_word_t s_v_sex[] = {{"男", "male"},
                                   {"male", "male"},
                                   {"女", "female"},
                                   {"female", "female"},
                                   {NULL, NULL}};
static const s_word_t s_v_labour[] = {{"普通劳动力", "normal"},
                                      {"技能劳动力", "normal"},
                                      {"劳动力", "normal"},
                                      {"normal", "normal"},
                                      {"弱劳动力或半劳动力", "weak"},
                                      {"弱劳动力", "weak"},
                                      {"半劳动力", "weak"},
                                      {"weak", "weak"},
                                      {"无劳动力", "none"},
                                      {"none", "none"},
                                      {"丧失劳动力", "lost"},
                                      {"lost", "lost"},
                                      {NULL, NULL}};
static const s_word_t s_v_health[] = {{"健康", "healthy"},
                                      {"healthy", "healthy"},
                                      {"长期慢性病", "chronic"},
                                      {"慢性病", "chronic"},
                                      {"chronic", "chronic"},
                                      {"患有大病", "serious"},
                                      {"大病", "serious"},
                                      {"serious", "serious"},
                                      {"残疾", "disabled"},
                                      {"disabled", "disabled"},
                                      {NULL, NULL}};
static const s_word_t s_v_school[] = {{"学龄前儿童", "preschool"},
                                      {"学前", "preschool"},
                                      {"preschool", "preschool"},
                                      {"在校生", "in_school"},
                                      {"在校", "in_school"},
                                      {"in_school", "in_school"},
                                      {"辍学", "dropped_out"},
                                      {"失学辍学", "dropped_out"},
                                      {"dropped_out", "dropped_out"},
                                      {"已毕业", "graduated"},
                                      {"毕业", "graduated"},
                                      {"graduated", "graduated"},
                                      {"非在校生", "none"},
                                      {"无", "none"},
                                      {"none", "none"},
                                      {NULL, NULL}};
static const s_word_t s_v_bool[] = {{"是", "t"},    {"yes", "t"},    {"y", "t"},      {"true", "t"}, {"1", "t"},
                                    {"参保", "t"},  {"已参保", "t"}, {"否", "f"},     {"no", "f"},   {"n", "f"},
                                    {"false", "f"}, {"0", "f"},      {"未参保", "f"}, {NULL, NULL}};
/* Guarantee cells: a yes word, or a no word optionally followed by ':'/'：'/'('/'（' and a reason. */
static const char *const s_yes[] = {"是", "yes", "安全", "达标", "有保障", "不愁", NULL};
static const char *const s_no[] = {"否", "no", "不安全", "不达标", "无保障", "未达标", "有困难", NULL};

static const char *s_lookup(const s_word_t *v, const char *s)
{
    for (; v->word; v++)
        if (!strcasecmp(v->word, s)) return v->code;
    return NULL;
}

/* ---- reasons ------------------------------------------------------------------------------ */

static void s_refuse(fp_ledger_t *lg, fp_ledger_line_t *l, const char *code, const char *zh, const char *en)
{
    if (l->reason < 0) l->reason = fp_arena_reason(&lg->arena, code, zh, en);
}

/* Refuses with the column's header name in both messages: "<col>: zh" / "<col>: en". */
static void s_refuse_col(fp_ledger_t *lg, fp_ledger_line_t *l, int col, const char *code, const char *zh,
                         const char *en)
{
    if (l->reason >= 0) return;
    char z[1024], e[1024];
    snprintf(z, sizeof z, "%s：%s", lg->colname[col], zh);
    snprintf(e, sizeof e, "%s: %s", lg->colname[col], en);
    s_refuse(lg, l, code, z, e);
}

/* ---- text helpers ----------------------------------------------------------------------- */

/* Trims the field in place (it is the reader's NUL-terminated copy) and returns it. */
static char *s_trim(char *s, size_t n)
{
    size_t a = fp_ws_lead(s, n);
    size_t b = a < n ? fp_ws_trail(s + a, n - a) : 0;
    s[n - b] = '\0';
    return s + a;
}

static bool s_has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return true;
    return false;
}

/* Header name in the form names are compared: trimmed, "(元)" / "（元）" dropped. */
static void s_norm_header(const char *in, char out[64])
{
    size_t n = strlen(in);
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(n < 127 ? n : 127), in);
    char *t = s_trim(tmp, strlen(tmp));
    size_t k = strlen(t);
    static const char *const suffix[] = {"(元)", "（元）", "(元）", "（元)", NULL};
    for (int i = 0; suffix[i]; i++) {
        size_t sl = strlen(suffix[i]);
        if (k > sl && !strcmp(t + k - sl, suffix[i])) {
            t[k - sl] = '\0';
            k -= sl;
            break;
        }
    }
    while (k && t[k - 1] == ' ') t[--k] = '\0';
    snprintf(out, 64, "%s", t);
}

/* ---- maps ---------------------------------------------------------------------------------- */

static uint64_t s_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static void s_hh_tab_grow(fp_ledger_t *lg)
{
    size_t cap = lg->hh_tab_cap ? lg->hh_tab_cap * 2 : 1024;
    int32_t *t = fp_calloc(cap, sizeof *t);
    for (size_t i = 0; i < lg->nhh; i++) {
        const char *no = fp_arena_str(&lg->arena, lg->hhs[i].no);
        size_t j = s_hash(no, strlen(no)) & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = (int32_t)i + 1;
    }
    free(lg->hh_tab);
    lg->hh_tab = t;
    lg->hh_tab_cap = cap;
}

/* The household with this number, added (empty) if new; *added tells. */
static int32_t s_hh_get(fp_ledger_t *lg, const char *no, uint32_t line, bool *added)
{
    if ((lg->nhh + 1) * 2 > lg->hh_tab_cap) s_hh_tab_grow(lg);
    size_t n = strlen(no);
    size_t j = s_hash(no, n) & (lg->hh_tab_cap - 1);
    for (; lg->hh_tab[j]; j = (j + 1) & (lg->hh_tab_cap - 1))
        if (!strcmp(fp_arena_str(&lg->arena, lg->hhs[lg->hh_tab[j] - 1].no), no)) {
            *added = false;
            return lg->hh_tab[j] - 1;
        }
    if (lg->nhh == lg->hh_cap) {
        lg->hh_cap = lg->hh_cap ? lg->hh_cap * 2 : 1024;
        lg->hhs = fp_realloc(lg->hhs, lg->hh_cap * sizeof *lg->hhs);
    }
    fp_ledger_hh_t *h = &lg->hhs[lg->nhh];
    memset(h, 0, sizeof *h);
    h->no = fp_arena_put(&lg->arena, no, n);
    h->first_line = line;
    h->first_idx = -1;
    lg->hh_tab[j] = (int32_t)lg->nhh + 1;
    *added = true;
    return (int32_t)lg->nhh++;
}

/* The line index that already holds this ID number, or -1 after recording idx for it. */
static int32_t s_id_seen(fp_ledger_t *lg, const char *id, int32_t idx)
{
    if ((lg->nids + 1) * 2 > lg->id_tab_cap) {
        size_t cap = lg->id_tab_cap ? lg->id_tab_cap * 2 : 4096;
        int32_t *t = fp_calloc(cap, sizeof *t);
        for (size_t i = 0; i < lg->id_tab_cap; i++) {
            if (!lg->id_tab[i]) continue;
            const char *k = lg->lines[lg->id_tab[i] - 1].id;
            size_t j = s_hash(k, 18) & (cap - 1);
            while (t[j]) j = (j + 1) & (cap - 1);
            t[j] = lg->id_tab[i];
        }
        free(lg->id_tab);
        lg->id_tab = t;
        lg->id_tab_cap = cap;
    }
    size_t j = s_hash(id, 18) & (lg->id_tab_cap - 1);
    for (; lg->id_tab[j]; j = (j + 1) & (lg->id_tab_cap - 1))
        if (!memcmp(lg->lines[lg->id_tab[j] - 1].id, id, 18)) return lg->id_tab[j] - 1;
    lg->id_tab[j] = idx + 1;
    lg->nids++;
    return -1;
}

/* ---- parsing one line ----------------------------------------------------------------------- */

/* An amount in yuan: empty is 0; "1,234.50" (Excel's thousands separators) is accepted. */
static fp_err_t s_amount(const char *s, int64_t *fen)
{
    if (!*s) {
        *fen = 0;
        return FP_OK;
    }
    char buf[64];
    size_t n = 0;
    const char *dot = strchr(s, '.');
    size_t intlen = dot ? (size_t)(dot - s) : strlen(s);
    if (memchr(s, ',', intlen)) { /* groups of three after the first */
        size_t group = 0;
        bool first = true;
        for (size_t i = 0; i < intlen; i++) {
            if (s[i] == ',') {
                if ((first && (group == 0 || group > 3)) || (!first && group != 3)) return FP_EINVAL;
                first = false;
                group = 0;
            } else {
                group++;
            }
        }
        if (group != 3) return FP_EINVAL;
    }
    for (; *s && n < sizeof buf - 1; s++)
        if (*s != ',') buf[n++] = *s;
    if (*s) return FP_EINVAL;
    buf[n] = '\0';
    return fp_money_parse_yuan_nonneg(buf, fen);
}

/* A guarantee cell: 1 yes, 0 no (*why = the reason after the word), -1 empty, -2 not understood. */
static int s_guarantee(char *s, const char **why)
{
    *why = "";
    if (!*s) return -1;
    for (int i = 0; s_yes[i]; i++)
        if (!strcasecmp(s, s_yes[i])) return 1;
    for (int i = 0; s_no[i]; i++) {
        size_t n = strlen(s_no[i]);
        if (strncasecmp(s, s_no[i], n)) continue;
        char *r = s + n;
        if (!*r) return 0;
        bool paren = false;
        if (*r == ':' || *r == ',' || *r == ';' || *r == '-' || *r == ' ') r++;
        else if (*r == '(') r++, paren = true;
        else if (!strncmp(r, "：", 3) || !strncmp(r, "，", 3) || !strncmp(r, "；", 3)) r += 3;
        else if (!strncmp(r, "（", 3)) r += 3, paren = true;
        else continue;
        size_t k = strlen(r);
        if (paren && k && r[k - 1] == ')') r[--k] = '\0';
        else if (paren && k >= 3 && !strcmp(r + k - 3, "）")) r[k -= 3] = '\0';
        *why = s_trim(r, k);
        return 0;
    }
    return -2;
}

/* "2026Q3", "2026q3", "2026-Q3" -> "2026Q3". */
static bool s_period(const char *s, char out[7])
{
    size_t n = strlen(s);
    if (n == 7 && s[4] == '-') {
        char t[7] = {s[0], s[1], s[2], s[3], s[5], s[6], 0};
        return s_period(t, out);
    }
    if (n != 6 || (s[4] != 'Q' && s[4] != 'q') || s[5] < '1' || s[5] > '4') return false;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    int y = atoi(s);
    if (y < 2000 || y > 2199) return false;
    memcpy(out, s, 6);
    out[4] = 'Q';
    out[6] = '\0';
    return true;
}

/* Copies at most sz-1 bytes of s, cut at a UTF-8 character boundary. */
static void s_clip(const char *s, char *out, size_t sz)
{
    size_t n = strlen(s);
    if (n >= sz) {
        n = sz - 1;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static const char *s_vocab_help(const s_word_t *v, char *buf, size_t sz)
{
    size_t n = 0;
    buf[0] = '\0';
    for (; v->word && n + 1 < sz; v++) {
        int k = snprintf(buf + n, sz - n, "%s%s", n ? "|" : "", v->word);
        if (k < 0) break;
        n += (size_t)k;
    }
    return buf;
}

/* Parses a vocabulary column; refuses the line when the value is not one of the words. */
static const char *s_vocab(fp_ledger_t *lg, fp_ledger_line_t *l, char **f, int col, const s_word_t *v, const char *code)
{
    const char *s = f[col];
    const char *c = s_lookup(v, s);
    if (c) return c;
    char help[640], zh[900], en[900], shown[64];
    s_vocab_help(v, help, sizeof help);
    s_clip(s, shown, sizeof shown);
    if (!*s) {
        snprintf(zh, sizeof zh, "不能为空，应为 %s", help);
        snprintf(en, sizeof en, "empty; expected %s", help);
    } else {
        snprintf(zh, sizeof zh, "“%s”不是可用的值，应为 %s", shown, help);
        snprintf(en, sizeof en, "\"%s\" is not a known value; expected %s", shown, help);
    }
    s_refuse_col(lg, l, col, code, zh, en);
    return NULL;
}

/* 户类型 and 监测类型: false (the line refused) when they are not understood or do not agree. */
static bool s_parse_type(fp_ledger_t *lg, fp_ledger_line_t *l, char **f, fp_ledger_hh_t *h)
{
    const char *t = f[C_TYPE];
    const char *k = f[C_KIND];
    h->type = s_lookup(s_v_type, t);
    h->kind = NULL;
    const char *as_kind = s_lookup(s_v_kind, t); /* 户类型 written as one of the three kinds */
    if (!h->type && as_kind) h->type = "monitored";
    if (!h->type) {
        s_vocab(lg, l, f, C_TYPE, s_v_type, "household_type.unknown");
        return false;
    }
    if (*k) {
        h->kind = s_vocab(lg, l, f, C_KIND, s_v_kind, "monitored_kind.unknown");
        if (!h->kind) return false;
    }
    if (as_kind && h->kind && h->kind != as_kind) {
        s_refuse_col(lg, l, C_KIND, "monitored_kind.mismatch", "与户类型不一致", "does not match the household type");
        return false;
    }
    if (as_kind) h->kind = as_kind;
    if (!strcmp(h->type, "monitored") && !h->kind) {
        s_refuse_col(lg, l, C_KIND, "monitored_kind.missing",
                     "监测户须填写监测类型（脱贫不稳定户|边缘易致贫户|突发严重困难户）",
                     "required for a monitored household (unstable_lifted|marginal|sudden_hardship)");
        return false;
    }
    if (strcmp(h->type, "monitored") && h->kind) {
        s_refuse_col(lg, l, C_KIND, "monitored_kind.unexpected", "只有监测户才有监测类型",
                     "only a monitored household has a monitored kind");
        return false;
    }
    return true;
}

/* The amounts (yuan, not negative; the public-welfare job's part of the wage not above it). */
static bool s_parse_amounts(fp_ledger_t *lg, fp_ledger_line_t *l, char **f, fp_ledger_hh_t *h)
{
    for (int i = 0; i < FP_LEDGER_NAMT; i++) {
        fp_err_t rc = s_amount(f[C_WAGE + i], &h->amt[i]);
        if (rc == FP_ERANGE && f[C_WAGE + i][0] == '-') {
            s_refuse_col(lg, l, C_WAGE + i, "amount.negative", "金额不能为负", "an amount cannot be negative");
            return false;
        }
        if (rc != FP_OK) {
            s_refuse_col(lg, l, C_WAGE + i, "amount.invalid", "不是金额（元，最多两位小数，如 1234.50）",
                         "not an amount (yuan with at most two decimals, e.g. 1234.50)");
            return false;
        }
    }
    if (h->amt[C_PUBJOB - C_WAGE] > h->amt[0]) {
        s_refuse_col(lg, l, C_PUBJOB, "amount.public_job", "公益性岗位收入是工资性收入的一部分，不能大于它",
                     "public-welfare job income is part of the wage income and cannot exceed it");
        return false;
    }
    return true;
}

/* The guarantees whose columns the file has: yes, or no with an optional reason. */
static bool s_parse_guarantees(fp_ledger_t *lg, fp_ledger_line_t *l, char **f, fp_ledger_hh_t *h)
{
    for (int g = 0; g < FP_LEDGER_NGUAR; g++) {
        int col = s_guar_src[g];
        h->ok[g] = -1;
        h->why[g] = fp_arena_put(&lg->arena, "", 0);
        if (lg->col[col] < 0) continue;
        const char *why;
        int r = s_guarantee(f[col], &why);
        if (r == -2) {
            s_refuse_col(lg, l, col, "guarantee.unknown", "应为 是|否（否后可加“：原因”）",
                         "expected yes|no (no may be followed by \": reason\")");
            return false;
        }
        if (strlen(why) > S_MAX_TEXT || s_has_ctl(why)) {
            s_refuse_col(lg, l, col, "guarantee.reason", "原因太长或含控制字符",
                         "reason too long or has control characters");
            return false;
        }
        h->ok[g] = (signed char)r;
        h->why[g] = fp_arena_put(&lg->arena, why, strlen(why));
    }
    return true;
}

/* The household columns of line f into h (h->has_data when all parsed). */
static void s_parse_household(fp_ledger_t *lg, fp_ledger_line_t *l, char **f, fp_ledger_hh_t *h)
{
    char shortc[13];
    fp_region_level_t lvl;
    if (fp_region_parse(f[C_VILLAGE], shortc, &lvl) != FP_OK || lvl != FP_REGION_VILLAGE) {
        s_refuse_col(lg, l, C_VILLAGE, "village.invalid", "应为12位村级区划代码", "must be a 12-digit village code");
        return;
    }
    memcpy(h->village, shortc, 13);
    memcpy(h->county, shortc, 6);
    h->county[6] = '\0';
    if (!s_parse_type(lg, l, f, h)) return;
    const char *head = f[C_HEAD];
    if (!*head || strlen(head) > S_MAX_TEXT || s_has_ctl(head)) {
        s_refuse_col(lg, l, C_HEAD, "head_name.invalid", "不能为空，不能含控制字符", "empty or not a name");
        return;
    }
    h->head = fp_arena_put(&lg->arena, head, strlen(head));
    if (!s_parse_amounts(lg, l, f, h) || !s_parse_guarantees(lg, l, f, h)) return;
    if (!s_period(f[C_PERIOD], h->period)) {
        s_refuse_col(lg, l, C_PERIOD, "period.invalid", "应为“年份Q季度”，如 2026Q3", "expected YEARQn, e.g. 2026Q3");
        return;
    }
    h->has_data = true;
}

/* The name of the first household column whose value differs between a and b, or NULL. */
static int s_hh_diff(const fp_ledger_t *lg, const fp_ledger_hh_t *a, const fp_ledger_hh_t *b)
{
    if (strcmp(a->village, b->village)) return C_VILLAGE;
    if (a->type != b->type) return C_TYPE;
    if (a->kind != b->kind) return C_KIND;
    if (strcmp(fp_arena_str(&lg->arena, a->head), fp_arena_str(&lg->arena, b->head))) return C_HEAD;
    for (int i = 0; i < FP_LEDGER_NAMT; i++)
        if (a->amt[i] != b->amt[i]) return C_WAGE + i;
    for (int g = 0; g < FP_LEDGER_NGUAR; g++)
        if (a->ok[g] != b->ok[g] || strcmp(fp_arena_str(&lg->arena, a->why[g]), fp_arena_str(&lg->arena, b->why[g])))
            return s_guar_src[g];
    if (strcmp(a->period, b->period)) return C_PERIOD;
    return -1;
}

static void s_parse_member(fp_ledger_t *lg, fp_ledger_line_t *l, char **f)
{
    const char *name = f[C_NAME];
    if (!*name || strlen(name) > S_MAX_TEXT || s_has_ctl(name)) {
        s_refuse_col(lg, l, C_NAME, "name.invalid", "不能为空，不能含控制字符", "empty or not a name");
        return;
    }
    l->name = fp_arena_put(&lg->arena, name, strlen(name));
    fp_idcard_t id;
    fp_err_t rc = fp_idcard_parse(f[C_ID], lg->today, &id);
    if (rc != FP_OK) {
        const char *code = "idcard.invalid", *zh = "不是18位身份证号", *en = "not an 18-character ID number";
        if (rc == FP_ECHECKSUM)
            code = "idcard.checksum", zh = "校验位不对（可能抄错了一位）",
            en = "the check character does not match (a digit mistyped?)";
        else if (rc == FP_EDATE)
            code = "idcard.date", zh = "出生日期不存在或在今天之后",
            en = "the birth date in it is not a real date or is in the future";
        else if (rc == FP_ELEGACY)
            code = "idcard.legacy", zh = "15位旧号码，请填写18位身份证号",
            en = "a legacy 15-digit number: write the 18-character one";
        s_refuse_col(lg, l, C_ID, code, zh, en);
        return;
    }
    memcpy(l->id, id.number, 19);
    l->relation = s_vocab(lg, l, f, C_REL, s_v_rel, "relation.unknown");
    if (!l->relation) return;
    const char *sx = f[C_SEX];
    l->sex = id.sex == 1 ? "male" : "female";
    if (*sx) {
        const char *given = s_vocab(lg, l, f, C_SEX, s_v_sex, "sex.unknown");
        if (!given) return;
        if (strcmp(given, l->sex)) {
            s_refuse_col(lg, l, C_SEX, "sex.mismatch", "与身份证号第17位不符",
                         "does not match the ID number's 17th digit");
            return;
        }
    }
    l->birth = fp_date_from_civil(id.birth_year, id.birth_month, id.birth_day);
    const char *bd = f[C_BIRTH];
    if (*bd) {
        int32_t d;
        if (fp_date_parse(bd, &d) != FP_OK) {
            s_refuse_col(lg, l, C_BIRTH, "birth_date.invalid", "应为 YYYY-MM-DD", "expected YYYY-MM-DD");
            return;
        }
        if (d != l->birth) {
            s_refuse_col(lg, l, C_BIRTH, "birth_date.mismatch", "与身份证号中的出生日期不符",
                         "does not match the birth date in the ID number");
            return;
        }
    }
    if (!(l->labour = s_vocab(lg, l, f, C_LABOUR, s_v_labour, "labour.unknown"))) return;
    if (!(l->health = s_vocab(lg, l, f, C_HEALTH, s_v_health, "health.unknown"))) return;
    if (!(l->schooling = s_vocab(lg, l, f, C_SCHOOL, s_v_school, "schooling.unknown"))) return;
    const char *ins = s_vocab(lg, l, f, C_INSURED, s_v_bool, "insured.unknown");
    if (!ins) return;
    l->insured = ins[0] == 't';
    l->disability = 0;
    if (lg->col[C_DISAB] >= 0) {
        const char *d = f[C_DISAB];
        static const char *const grades[] = {"", "一级", "二级", "三级", "四级"};
        if (*d) {
            for (int g = 1; g <= 4; g++)
                if ((d[0] == '0' + g && !d[1]) || !strcmp(d, grades[g])) l->disability = g;
            if (!l->disability && strcmp(d, "无")) {
                s_refuse_col(lg, l, C_DISAB, "disability.invalid", "应为 1-4 或 一级..四级，无残疾留空",
                             "expected 1-4 (一级..四级), empty when none");
                return;
            }
        }
    }
    if (l->disability && strcmp(l->health, "disabled")) {
        s_refuse_col(lg, l, C_DISAB, "disability.health", "有残疾等级时健康状况应为“残疾”",
                     "a disability grade needs health \"disabled\"");
        return;
    }
}

/* The line's household columns, parsed into `parsed`, kept as the household's when they are its
 * first good ones, else compared with them. */
static void s_merge_household(fp_ledger_t *lg, fp_ledger_line_t *l, int32_t idx, bool added,
                              const fp_ledger_hh_t *parsed)
{
    fp_ledger_hh_t *h = &lg->hhs[l->hh];
    h->nlines++;
    if (h->first_idx < 0) h->first_idx = idx;
    if (!parsed->has_data) return;
    if (!h->has_data) {
        uint32_t keep_no = h->no, keep_first = h->first_line;
        int32_t keep_idx = h->first_idx;
        uint32_t keep_n = h->nlines;
        *h = *parsed;
        h->no = keep_no, h->first_line = keep_first, h->first_idx = keep_idx, h->nlines = keep_n;
        if (!added) h->refused = true; /* an earlier line had bad household columns */
        return;
    }
    int c = s_hh_diff(lg, h, parsed);
    if (c >= 0) {
        char zh[200], en[200];
        snprintf(zh, sizeof zh, "与本户第 %" PRIu32 " 行的户信息不一致", h->first_line);
        snprintf(en, sizeof en, "differs from line %" PRIu32 ", the household's first line", h->first_line);
        s_refuse_col(lg, l, c, "household.inconsistent", zh, en);
    }
}

/* A person belongs to one household: both lines with the same ID number are refused. */
static void s_check_duplicate(fp_ledger_t *lg, fp_ledger_line_t *l, int32_t idx)
{
    int32_t other = s_id_seen(lg, l->id, idx);
    if (other < 0) return;
    char zh[160], en[160];
    snprintf(zh, sizeof zh, "身份证号与第 %" PRIu32 " 行重复：一人只能属于一户", lg->lines[other].line);
    snprintf(en, sizeof en, "the same ID number as line %" PRIu32 ": a person belongs to one household",
             lg->lines[other].line);
    s_refuse(lg, l, "id.duplicate", zh, en);
    snprintf(zh, sizeof zh, "身份证号与第 %" PRIu32 " 行重复：一人只能属于一户", l->line);
    snprintf(en, sizeof en, "the same ID number as line %" PRIu32 ": a person belongs to one household", l->line);
    s_refuse(lg, &lg->lines[other], "id.duplicate", zh, en);
}

static bool s_household_no_ok(const char *no)
{
    size_t n = strlen(no);
    bool ok = n > 0 && n <= 32;
    for (size_t i = 0; ok && i < n; i++)
        ok = (no[i] >= '0' && no[i] <= '9') || (no[i] >= 'A' && no[i] <= 'Z') || (no[i] >= 'a' && no[i] <= 'z') ||
            no[i] == '-';
    return ok;
}

static void s_line(fp_ledger_t *lg, const fp_csv_record_t *rec)
{
    if (lg->nlines == lg->lines_cap) {
        lg->lines_cap = lg->lines_cap ? lg->lines_cap * 2 : 4096;
        lg->lines = fp_realloc(lg->lines, lg->lines_cap * sizeof *lg->lines);
    }
    int32_t idx = (int32_t)lg->nlines++;
    fp_ledger_line_t *l = &lg->lines[idx];
    memset(l, 0, sizeof *l);
    l->line = (uint32_t)rec->line;
    l->hh = -1;
    l->reason = -1;
    if (rec->nfields != lg->ncols) {
        char zh[160], en[160];
        snprintf(zh, sizeof zh, "该行有 %zu 列，表头有 %zu 列：某个值中含有未加引号的逗号？", rec->nfields, lg->ncols);
        snprintf(en, sizeof en, "%zu fields, the header has %zu (an unquoted comma in a value?)", rec->nfields,
                 lg->ncols);
        s_refuse(lg, l, "csv.fields", zh, en);
        return;
    }
    char *f[C_N];
    for (int c = 0; c < C_N; c++) {
        int i = lg->col[c];
        if (i >= 0 && memchr(rec->fields[i], '\0', rec->lens[i])) {
            s_refuse(lg, l, "text.invalid", "含有 NUL 字符：不是文本", "holds a NUL byte: not text");
            return;
        }
        f[c] = i >= 0 ? s_trim(rec->fields[i], rec->lens[i]) : NULL;
    }
    if (!s_household_no_ok(f[C_HH_NO])) {
        s_refuse_col(lg, l, C_HH_NO, "household_no.invalid", "应为1-32位数字或字母", "expected 1-32 digits or letters");
        return;
    }
    bool added;
    l->hh = s_hh_get(lg, f[C_HH_NO], l->line, &added);
    fp_ledger_hh_t parsed;
    memset(&parsed, 0, sizeof parsed);
    s_parse_household(lg, l, f, &parsed);
    s_merge_household(lg, l, idx, added, &parsed);
    s_parse_member(lg, l, f);
    if (l->reason < 0) s_check_duplicate(lg, l, idx);
}

/* After all lines: one head per household, the head's name, and refusal of whole households. */
void fp_ledger_households(fp_ledger_t *lg)
{
    int32_t *heads = fp_calloc(lg->nhh ? lg->nhh : 1, sizeof *heads);
    int32_t *head_line = fp_calloc(lg->nhh ? lg->nhh : 1, sizeof *head_line);
    for (size_t i = 0; i < lg->nlines; i++) {
        fp_ledger_line_t *l = &lg->lines[i];
        if (l->hh < 0 || !l->relation || strcmp(l->relation, "head")) continue;
        if (heads[l->hh]++) {
            char zh[160], en[160];
            snprintf(zh, sizeof zh, "本户已有户主（第 %" PRIu32 " 行）：一户只有一个户主",
                     lg->lines[head_line[l->hh]].line);
            snprintf(en, sizeof en, "the household already has a head (line %" PRIu32 ")",
                     lg->lines[head_line[l->hh]].line);
            s_refuse_col(lg, l, C_REL, "household.heads", zh, en);
        } else {
            head_line[l->hh] = (int32_t)i;
            const fp_ledger_hh_t *h = &lg->hhs[l->hh];
            if (h->has_data && l->name && strcmp(fp_arena_str(&lg->arena, l->name), fp_arena_str(&lg->arena, h->head)))
                s_refuse_col(lg, l, C_HEAD, "household.head_name", "与户主本人一行的姓名不一致",
                             "differs from the name on the head's own line");
        }
    }
    for (size_t k = 0; k < lg->nhh; k++)
        if (!heads[k] && lg->hhs[k].first_idx >= 0)
            s_refuse(lg, &lg->lines[lg->hhs[k].first_idx], "household.no_head", "本户没有与户主关系为“户主”的成员",
                     "no member of the household is its head (户主)");
    for (size_t i = 0; i < lg->nlines; i++) {
        fp_ledger_line_t *l = &lg->lines[i];
        if (l->reason >= 0 && l->hh >= 0 && !lg->hhs[l->hh].refused) {
            lg->hhs[l->hh].refused = true;
            lg->hhs[l->hh].refused_line = l->line;
        } else if (l->reason >= 0 && l->hh >= 0 && !lg->hhs[l->hh].refused_line) {
            lg->hhs[l->hh].refused_line = l->line;
        }
    }
    free(heads);
    free(head_line);
}

/* Every still-accepted line of a refused household is refused with a pointer to the cause. */
void fp_ledger_refuse_households(fp_ledger_t *lg)
{
    for (size_t i = 0; i < lg->nlines; i++) {
        fp_ledger_line_t *l = &lg->lines[i];
        if (l->reason >= 0 || l->hh < 0 || !lg->hhs[l->hh].refused) continue;
        const fp_ledger_hh_t *h = &lg->hhs[l->hh];
        char zh[200], en[200];
        if (h->refused_line) {
            snprintf(zh, sizeof zh, "本户第 %" PRIu32 " 行被拒，整户不导入", h->refused_line);
            snprintf(en, sizeof en, "line %" PRIu32 " of this household was refused: the whole household is not loaded",
                     h->refused_line);
        } else {
            snprintf(zh, sizeof zh, "本户未导入（见汇总说明）");
            snprintf(en, sizeof en, "the household was not loaded (see the summary)");
        }
        s_refuse(lg, l, "household.refused", zh, en);
    }
    lg->refused_lines = 0;
    lg->refused_hh = 0;
    for (size_t i = 0; i < lg->nlines; i++) lg->refused_lines += lg->lines[i].reason >= 0;
    for (size_t k = 0; k < lg->nhh; k++) lg->refused_hh += lg->hhs[k].refused;
}

/* ---- the file ---------------------------------------------------------------------------------- */

/* Finds each column of the header; extra columns (序号, 备注, ...) are ignored. */
static fp_err_t s_header(fp_ledger_t *lg, const fp_csv_record_t *rec, char *msg, size_t msgsz)
{
    for (int c = 0; c < C_N; c++) lg->col[c] = -1;
    lg->ncols = rec->nfields;
    for (size_t i = 0; i < rec->nfields; i++) {
        char name[64];
        s_norm_header(rec->fields[i], name);
        int found = -1;
        for (int c = 0; c < C_N && found < 0; c++)
            for (int k = 0; k < 5 && s_names[c][k]; k++) {
                char want[64];
                s_norm_header(s_names[c][k], want);
                if (!strcasecmp(name, want)) found = c;
            }
        if (found < 0) continue;
        if (lg->col[found] >= 0) {
            snprintf(msg, msgsz, "column \"%s\" appears twice in the header", name);
            return FP_EINVAL;
        }
        lg->col[found] = (int)i;
        snprintf(lg->colname[found], sizeof lg->colname[found], "%s", name);
    }
    fp_buf_t missing = {0};
    for (int c = 0; c < C_NREQ; c++)
        if (lg->col[c] < 0)
            fp_buf_printf(&missing, " %s (%s)", s_names[c][0],
                          s_names[c][1] && s_names[c][2] ? s_names[c][2] : s_names[c][1]);
    for (int c = 0; c < C_N; c++)
        if (lg->col[c] < 0) snprintf(lg->colname[c], sizeof lg->colname[c], "%s", s_names[c][0]);
    fp_err_t rc = FP_OK;
    if (missing.len) {
        snprintf(msg, msgsz,
                 "the header lacks required columns:%s (see docs/ledger.md or `fangpinctl ledger --help` for the "
                 "layout)",
                 missing.data);
        rc = FP_EINVAL;
    }
    fp_buf_free(&missing);
    return rc;
}

/* Excel keeps formatted empty rows: ",,,," */
static bool s_blank(const fp_csv_record_t *rec)
{
    for (size_t i = 0; i < rec->nfields; i++)
        if (fp_ws_lead(rec->fields[i], rec->lens[i]) != rec->lens[i]) return false;
    return true;
}

/* The header, then every line, of the decoded text. */
static fp_err_t s_records(fp_ledger_t *lg, const fp_buf_t *text, unsigned long *line, char *msg, size_t msgsz)
{
    fp_csv_t *csv = fp_csv_new();
    fp_csv_set_limits(csv, &(fp_csv_limits_t){.max_fields = 256, .max_record_bytes = 1024 * 1024});
    bool have_header = false;
    fp_err_t rc = FP_OK;
    size_t off = 0;
    for (bool last = false; !last && rc == FP_OK;) {
        const fp_csv_record_t *rec = NULL;
        size_t used = 0;
        last = off >= text->len; /* then the record the input ends in without a line break */
        rc = last ? fp_csv_finish(csv, &rec) : fp_csv_feed(csv, text->data + off, text->len - off, &used, &rec);
        off += used;
        if (rc != FP_OK) {
            snprintf(msg, msgsz, "%s; nothing was imported", fp_csv_error(csv, line));
        } else if (rec && !s_blank(rec) && have_header) {
            s_line(lg, rec);
            if (lg->arena.full) { /* past 4 GiB of names and reasons: not with fangpinctl's 1 GiB files */
                *line = rec->line;
                snprintf(msg, msgsz, "holds too much text: split it into several files; nothing was imported");
                rc = FP_ETOOBIG;
            }
        } else if (rec && !s_blank(rec)) {
            *line = rec->line;
            rc = s_header(lg, rec, msg, msgsz);
            if (rc == FP_OK) *line = 0;
            have_header = true;
        }
    }
    if (rc == FP_OK && !have_header) {
        snprintf(msg, msgsz, "empty: no header line");
        rc = FP_EINVAL;
    }
    fp_csv_destroy(&csv);
    return rc;
}

fp_err_t fp_ledger_read(fp_ledger_t *lg, const char *data, size_t len, unsigned long *line, char *msg, size_t msgsz)
{
    *line = 0;
    msg[0] = '\0';
    fp_buf_t text = {0};
    fp_err_t rc = fp_text_to_utf8(data ? data : "", len, &text, &lg->encoding);
    if (rc != FP_OK) snprintf(msg, msgsz, "neither UTF-8 nor GBK text: save it as \"CSV UTF-8\" or \"CSV\"");
    else rc = s_records(lg, &text, line, msg, msgsz);
    fp_buf_free(&text);
    return rc;
}

static int s_cmp13(const void *a, const void *b) { return strcmp(a, b); }

void fp_ledger_refuse_villages(fp_ledger_t *lg, const char (*known)[13], size_t n)
{
    for (size_t i = 0; i < lg->nlines; i++) {
        fp_ledger_line_t *l = &lg->lines[i];
        if (l->hh < 0 || l->reason >= 0) continue;
        const fp_ledger_hh_t *h = &lg->hhs[l->hh];
        if (!h->has_data || (n && bsearch(h->village, known, n, 13, s_cmp13))) continue;
        char zh[200], en[200];
        snprintf(zh, sizeof zh, "%s：%s 不是区划代码表中的村", lg->colname[C_VILLAGE], h->village);
        snprintf(en, sizeof en, "%s: %s is not a village of the regions table", lg->colname[C_VILLAGE], h->village);
        l->reason = fp_arena_reason(&lg->arena, "village.unknown", zh, en);
    }
}

void fp_ledger_refuse_older(fp_ledger_t *lg, const char *household_no, const char *newer)
{
    bool added;
    int32_t k = s_hh_get(lg, household_no, 0, &added);
    fp_ledger_hh_t *h = &lg->hhs[k];
    h->refused = true;
    char zh[200], en[200];
    snprintf(zh, sizeof zh, "台账中本户已有更新的调查期 %s 的数据（本文件为 %s），不覆盖", newer, h->period);
    snprintf(en, sizeof en, "the ledger already holds this household from a later survey (%s; this file: %s)", newer,
             h->period);
    int32_t why = fp_arena_reason(&lg->arena, "period.older", zh, en);
    for (size_t i = 0; i < lg->nlines; i++)
        if (lg->lines[i].hh == k && lg->lines[i].reason < 0) lg->lines[i].reason = why;
}

void fp_ledger_init(fp_ledger_t *lg, int32_t today)
{
    memset(lg, 0, sizeof *lg);
    lg->today = today;
    for (int c = 0; c < C_N; c++) lg->col[c] = -1;
}

void fp_ledger_free(fp_ledger_t *lg)
{
    fp_arena_free(&lg->arena);
    free(lg->lines);
    free(lg->hhs);
    free(lg->hh_tab);
    free(lg->id_tab);
    memset(lg, 0, sizeof *lg);
}
