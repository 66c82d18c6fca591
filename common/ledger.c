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
    if (l->code) return;
    snprintf(lg->zh, sizeof lg->zh, "%s", zh);
    snprintf(lg->en, sizeof lg->en, "%s", en);
    l->code = code, l->zh = lg->zh, l->en = lg->en;
}

/* Refuses with the column's header name in both messages: "<col>: zh" / "<col>: en". */
static void s_refuse_col(fp_ledger_t *lg, fp_ledger_line_t *l, int col, const char *code, const char *zh,
                         const char *en)
{
    if (l->code) return;
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
        h->why[g] = "";
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
        h->why[g] = why;
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
    h->head = head;
    if (!s_parse_amounts(lg, l, f, h) || !s_parse_guarantees(lg, l, f, h)) return;
    if (!s_period(f[C_PERIOD], h->period)) {
        s_refuse_col(lg, l, C_PERIOD, "period.invalid", "应为“年份Q季度”，如 2026Q3", "expected YEARQn, e.g. 2026Q3");
        return;
    }
    h->has_data = true;
}

static void s_parse_member(fp_ledger_t *lg, fp_ledger_line_t *l, char **f)
{
    const char *name = f[C_NAME];
    if (!*name || strlen(name) > S_MAX_TEXT || s_has_ctl(name)) {
        s_refuse_col(lg, l, C_NAME, "name.invalid", "不能为空，不能含控制字符", "empty or not a name");
        return;
    }
    l->name = name;
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

static bool s_household_no_ok(const char *no)
{
    size_t n = strlen(no);
    bool ok = n > 0 && n <= 32;
    for (size_t i = 0; ok && i < n; i++)
        ok = (no[i] >= '0' && no[i] <= '9') || (no[i] >= 'A' && no[i] <= 'Z') || (no[i] >= 'a' && no[i] <= 'z') ||
            no[i] == '-';
    return ok;
}

/* One data line: its own checks, then the callback. */
static int s_line(fp_ledger_t *lg, const fp_csv_record_t *rec)
{
    fp_ledger_line_t *l = &lg->cur;
    memset(l, 0, sizeof *l);
    l->line = (uint32_t)rec->line;
    lg->nlines++;
    char *f[C_N];
    if (rec->nfields != lg->ncols) {
        char zh[160], en[160];
        snprintf(zh, sizeof zh, "该行有 %zu 列，表头有 %zu 列：某个值中含有未加引号的逗号？", rec->nfields, lg->ncols);
        snprintf(en, sizeof en, "%zu fields, the header has %zu (an unquoted comma in a value?)", rec->nfields,
                 lg->ncols);
        s_refuse(lg, l, "csv.fields", zh, en);
        return lg->on_line(lg->ctx, lg, l);
    }
    for (int c = 0; c < C_N; c++) {
        int i = lg->col[c];
        if (i >= 0 && memchr(rec->fields[i], '\0', rec->lens[i])) {
            s_refuse(lg, l, "text.invalid", "含有 NUL 字符：不是文本", "holds a NUL byte: not text");
            return lg->on_line(lg->ctx, lg, l);
        }
        f[c] = i >= 0 ? s_trim(rec->fields[i], rec->lens[i]) : NULL;
    }
    if (!s_household_no_ok(f[C_HH_NO])) {
        s_refuse_col(lg, l, C_HH_NO, "household_no.invalid", "应为1-32位数字或字母", "expected 1-32 digits or letters");
        return lg->on_line(lg->ctx, lg, l);
    }
    l->household_no = f[C_HH_NO];
    s_parse_household(lg, l, f, &l->hh);
    s_parse_member(lg, l, f);
    if (l->code) { /* what the checks across lines need of a refused line: its name and relation */
        l->id[0] = '\0';
        l->sex = l->labour = l->health = l->schooling = NULL;
    }
    return lg->on_line(lg->ctx, lg, l);
}

void fp_ledger_sql_names(const fp_ledger_t *lg, fp_buf_t *out)
{
    int cols[] = {C_VILLAGE, C_TYPE, C_KIND, C_HEAD};
    fp_buf_puts(out, "{");
    for (int k = 0; k < 23; k++) {
        int c = k < 4                ? cols[k]
            : k < 4 + FP_LEDGER_NAMT ? C_WAGE + k - 4
            : k < 21                 ? s_guar_src[k - 16]
            : k == 21                ? C_PERIOD
                                     : C_REL;
        fp_buf_puts(out, k ? ",\"" : "\"");
        for (const char *p = lg->colname[c]; *p; p++) {
            if (*p == '"' || *p == '\\') fp_buf_puts(out, "\\");
            fp_buf_append(out, p, 1);
        }
        fp_buf_puts(out, "\"");
    }
    fp_buf_puts(out, "}");
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

/* One record of the text: the header, or a data line. */
static fp_err_t s_record(fp_ledger_t *lg, const fp_csv_record_t *rec, unsigned long *line, char *msg, size_t msgsz)
{
    if (s_blank(rec)) return FP_OK;
    if (lg->have_header) {
        if (s_line(lg, rec) == 0) return FP_OK;
        *line = rec->line;
        return FP_EIO;
    }
    *line = rec->line;
    fp_err_t rc = s_header(lg, rec, msg, msgsz);
    if (rc == FP_OK) *line = 0;
    lg->have_header = true;
    return rc;
}

fp_err_t fp_ledger_feed(fp_ledger_t *lg, const char *text, size_t len, unsigned long *line, char *msg, size_t msgsz)
{
    *line = 0;
    msg[0] = '\0';
    size_t off = 0;
    while (off < len) {
        const fp_csv_record_t *rec = NULL;
        size_t used = 0;
        fp_err_t rc = fp_csv_feed(lg->csv, text + off, len - off, &used, &rec);
        off += used;
        if (rc != FP_OK) {
            snprintf(msg, msgsz, "%s; nothing was imported", fp_csv_error(lg->csv, line));
            return rc;
        }
        if (rec && (rc = s_record(lg, rec, line, msg, msgsz)) != FP_OK) return rc;
        if (!rec && used == 0) break;
    }
    return FP_OK;
}

fp_err_t fp_ledger_finish(fp_ledger_t *lg, unsigned long *line, char *msg, size_t msgsz)
{
    *line = 0;
    msg[0] = '\0';
    const fp_csv_record_t *rec = NULL;
    fp_err_t rc = fp_csv_finish(lg->csv, &rec); /* the record the text ends in without a line break */
    if (rc != FP_OK) snprintf(msg, msgsz, "%s; nothing was imported", fp_csv_error(lg->csv, line));
    else if (rec) rc = s_record(lg, rec, line, msg, msgsz);
    if (rc == FP_OK && !lg->have_header) {
        snprintf(msg, msgsz, "empty: no header line");
        rc = FP_EINVAL;
    }
    return rc;
}

fp_err_t fp_ledger_read(fp_ledger_t *lg, const char *data, size_t len, unsigned long *line, char *msg, size_t msgsz)
{
    *line = 0;
    msg[0] = '\0';
    fp_buf_t text = {0};
    fp_err_t rc = fp_text_to_utf8(data ? data : "", len, &text, &lg->encoding);
    if (rc != FP_OK) snprintf(msg, msgsz, "neither UTF-8 nor GBK text: save it as \"CSV UTF-8\" or \"CSV\"");
    else rc = fp_ledger_feed(lg, text.data ? text.data : "", text.len, line, msg, msgsz);
    if (rc == FP_OK) rc = fp_ledger_finish(lg, line, msg, msgsz);
    fp_buf_free(&text);
    return rc;
}

void fp_ledger_init(fp_ledger_t *lg, int32_t today, fp_ledger_line_fn on_line, void *ctx)
{
    memset(lg, 0, sizeof *lg);
    lg->today = today;
    lg->on_line = on_line;
    lg->ctx = ctx;
    for (int c = 0; c < C_N; c++) lg->col[c] = -1;
    lg->csv = fp_csv_new();
    fp_csv_set_limits(lg->csv, &(fp_csv_limits_t){.max_fields = 256, .max_record_bytes = 1024 * 1024});
}

void fp_ledger_free(fp_ledger_t *lg)
{
    fp_csv_destroy(&lg->csv);
    memset(lg, 0, sizeof *lg);
}
