/* ledger.c: `fangpinctl ledger import FILE...` loads a village's or county's quarterly census of
 * the rural population ledger (乡村人口台账: one CSV row per member, the household's columns
 * repeated) into ledger_households and ledger_members. docs/ledger.md is the user's guide.
 *
 * How an import runs, per file. The file is read whole and decoded (UTF-8 with or without BOM,
 * or GBK), every line is checked here (ID number, vocabularies, amounts, the household's columns
 * the same on every line of the household, one head), the village codes are looked up in the
 * regions table in one query, and a household with any refused line is refused whole. The rest
 * is COPYed into two temporary staging tables and moved in ONE transaction: natural changes are
 * recorded in ledger_events, members missing from a household that is in the file get left_on,
 * and households and members are upserted, rewriting only rows whose values differ (a second
 * import of the same file changes nothing, updated_at included). FILE.results.csv (UTF-8 with a
 * BOM) lists every refused line with its reason. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "ctl.h"
#include "date.h"
#include "db.h"
#include "idcard.h"
#include "mem.h"
#include "migrate.h"
#include "money.h"
#include "region.h"
#include "seal.h"
#include "textenc.h"

#define S_MAX_FILE (1024L * 1024 * 1024)
#define S_MAX_SHOWN 20
#define S_WRITE_CHUNK (64 * 1024) /* FILE.results.csv is written in pieces of this size */
#define S_MAX_TEXT 200 /* bytes in a name or a reason */
#define S_COPY_CHUNK (256 * 1024)

/* ---- columns ---------------------------------------------------------------------------- */

enum {
    C_HH_NO, C_VILLAGE, C_TYPE, C_KIND, C_HEAD, C_NAME, C_ID, C_REL, C_SEX, C_BIRTH, C_LABOUR,
    C_HEALTH, C_SCHOOL, C_INSURED,
    C_WAGE, C_PUBJOB, C_OPER, C_PROP, C_PENSION, C_FAMPLAN, C_ECO, C_DIBAO, C_TEKUN, C_OTHERTR,
    C_COST, C_MEDICAL,
    C_WATER, C_HOUSING, C_PERIOD,
    C_FOOD, C_EDU, C_MEDOK, C_DISAB, /* optional */
    C_N
};
#define C_NREQ C_FOOD
#define S_NAMT (C_MEDICAL - C_WAGE + 1)
#define S_NGUAR 5

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
static const int s_guar_src[S_NGUAR] = {C_FOOD, C_EDU, C_MEDOK, C_HOUSING, C_WATER};

/* ---- vocabularies: the words people write -> the stored code ---------------------------- */

typedef struct {
    const char *word, *code;
} s_word_t;

static const s_word_t s_v_type[] = {
    {"一般户", "general"}, {"一般农户", "general"}, {"general", "general"},
    {"脱贫户", "lifted"}, {"lifted", "lifted"},
    {"监测户", "monitored"}, {"监测对象", "monitored"}, {"monitored", "monitored"}, {NULL, NULL}};
static const s_word_t s_v_kind[] = {
    {"脱贫不稳定户", "unstable_lifted"}, {"unstable_lifted", "unstable_lifted"},
    {"边缘易致贫户", "marginal"}, {"marginal", "marginal"},
    {"突发严重困难户", "sudden_hardship"}, {"sudden_hardship", "sudden_hardship"}, {NULL, NULL}};
static const s_word_t s_v_rel[] = {
    {"户主", "head"}, {"head", "head"}, {"配偶", "spouse"}, {"spouse", "spouse"},
    {"之子", "child"}, {"之女", "child"}, {"子女", "child"}, {"儿子", "child"}, {"女儿", "child"},
    {"child", "child"}, {"之儿媳", "child_in_law"}, {"之女婿", "child_in_law"}, {"儿媳", "child_in_law"},
    {"女婿", "child_in_law"}, {"child_in_law", "child_in_law"},
    {"之孙子", "grandchild"}, {"之孙女", "grandchild"}, {"之外孙子", "grandchild"},
    {"之外孙女", "grandchild"}, {"孙子", "grandchild"}, {"孙女", "grandchild"}, {"grandchild", "grandchild"},
    {"之父", "parent"}, {"之母", "parent"}, {"父亲", "parent"}, {"母亲", "parent"}, {"parent", "parent"},
    {"之祖父", "grandparent"}, {"之祖母", "grandparent"}, {"之外祖父", "grandparent"},
    {"之外祖母", "grandparent"}, {"grandparent", "grandparent"},
    {"之兄弟姐妹", "sibling"}, {"兄弟姐妹", "sibling"}, {"sibling", "sibling"},
    {"其他", "other"}, {"other", "other"}, {NULL, NULL}};
static const s_word_t s_v_sex[] = {{"男", "male"}, {"male", "male"}, {"女", "female"}, {"female", "female"},
                                   {NULL, NULL}};
static const s_word_t s_v_labour[] = {
    {"普通劳动力", "normal"}, {"技能劳动力", "normal"}, {"劳动力", "normal"}, {"normal", "normal"},
    {"弱劳动力或半劳动力", "weak"}, {"弱劳动力", "weak"}, {"半劳动力", "weak"}, {"weak", "weak"},
    {"无劳动力", "none"}, {"none", "none"}, {"丧失劳动力", "lost"}, {"lost", "lost"}, {NULL, NULL}};
static const s_word_t s_v_health[] = {
    {"健康", "healthy"}, {"healthy", "healthy"}, {"长期慢性病", "chronic"}, {"慢性病", "chronic"},
    {"chronic", "chronic"}, {"患有大病", "serious"}, {"大病", "serious"}, {"serious", "serious"},
    {"残疾", "disabled"}, {"disabled", "disabled"}, {NULL, NULL}};
static const s_word_t s_v_school[] = {
    {"学龄前儿童", "preschool"}, {"学前", "preschool"}, {"preschool", "preschool"},
    {"在校生", "in_school"}, {"在校", "in_school"}, {"in_school", "in_school"},
    {"辍学", "dropped_out"}, {"失学辍学", "dropped_out"}, {"dropped_out", "dropped_out"},
    {"已毕业", "graduated"}, {"毕业", "graduated"}, {"graduated", "graduated"},
    {"非在校生", "none"}, {"无", "none"}, {"none", "none"}, {NULL, NULL}};
static const s_word_t s_v_bool[] = {
    {"是", "t"}, {"yes", "t"}, {"y", "t"}, {"true", "t"}, {"1", "t"}, {"参保", "t"}, {"已参保", "t"},
    {"否", "f"}, {"no", "f"}, {"n", "f"}, {"false", "f"}, {"0", "f"}, {"未参保", "f"}, {NULL, NULL}};
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

typedef struct {
    char *code, *zh, *en;
} s_reason_t;

/* One data line of the file. */
typedef struct {
    uint32_t line;
    int32_t hh;          /* household index, -1 when the household number itself is bad */
    int32_t reason;      /* index into reasons, -1: accepted */
    uint32_t name;       /* arena offset */
    char id[19];
    const char *relation, *sex, *labour, *health, *schooling;
    int disability;      /* 0: none */
    bool insured;
    int32_t birth;
} s_line_t;

typedef struct {
    uint32_t no, head;   /* arena offsets */
    char village[13], county[7], period[7];
    const char *type, *kind;
    int64_t amt[S_NAMT];
    signed char ok[S_NGUAR]; /* -1 not surveyed */
    uint32_t why[S_NGUAR];   /* arena offsets */
    bool has_data, refused;
    uint32_t first_line, refused_line;
    int32_t first_idx;   /* first line index, for the head checks */
    uint32_t nlines;
} s_hh_t;

typedef struct {
    const char *path;
    const fp_seal_t *seal; /* the county's data key: members' ID numbers are stored sealed */
    fp_buf_t arena;
    s_line_t *lines;
    size_t nlines, lines_cap;
    s_hh_t *hhs;
    size_t nhh, hh_cap;
    int32_t *hh_tab;     /* open addressing: household index + 1, 0 empty */
    size_t hh_tab_cap;
    int32_t *id_tab;     /* line index + 1 */
    size_t id_tab_cap, nids;
    s_reason_t *reasons;
    size_t nreasons;
    int col[C_N];        /* field index of each column, -1 absent */
    char colname[C_N][64];
    size_t ncols;
    int32_t today;
    const char *encoding;
    long refused_lines, refused_hh;
} s_im_t;

static const char *s_str(const s_im_t *im, uint32_t off)
{
    return im->arena.data + off;
}

static uint32_t s_put(s_im_t *im, const char *s, size_t n)
{
    uint32_t off = (uint32_t)im->arena.len;
    fp_buf_append(&im->arena, s, n);
    fp_buf_append(&im->arena, "", 1);
    return off;
}

static int32_t s_reason(s_im_t *im, const char *code, const char *zh, const char *en)
{
    for (size_t i = im->nreasons; i-- > 0;) {
        const s_reason_t *r = &im->reasons[i];
        if (!strcmp(r->code, code) && !strcmp(r->zh, zh) && !strcmp(r->en, en)) return (int32_t)i;
    }
    im->reasons = fp_realloc(im->reasons, (im->nreasons + 1) * sizeof *im->reasons);
    im->reasons[im->nreasons] = (s_reason_t){fp_strdup(code), fp_strdup(zh), fp_strdup(en)};
    return (int32_t)im->nreasons++;
}

static void s_refuse(s_im_t *im, s_line_t *l, const char *code, const char *zh, const char *en)
{
    if (l->reason < 0) l->reason = s_reason(im, code, zh, en);
}

/* Refuses with the column's header name in both messages: "<col>: zh" / "<col>: en". */
static void s_refuse_col(s_im_t *im, s_line_t *l, int col, const char *code, const char *zh, const char *en)
{
    if (l->reason >= 0) return;
    char z[1024], e[1024];
    snprintf(z, sizeof z, "%s：%s", im->colname[col], zh);
    snprintf(e, sizeof e, "%s: %s", im->colname[col], en);
    s_refuse(im, l, code, z, e);
}

/* ---- text helpers ----------------------------------------------------------------------- */

static size_t s_ws_lead(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        if (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
        else if (i + 1 < n && !memcmp(s + i, "\xC2\xA0", 2)) i += 2;
        else if (i + 2 < n && !memcmp(s + i, "\xE3\x80\x80", 3)) i += 3;
        else if (i + 2 < n && !memcmp(s + i, "\xEF\xBB\xBF", 3)) i += 3;
        else return i;
    }
}

static size_t s_ws_trail(const char *s, size_t n)
{
    size_t i = n;
    for (;;) {
        if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\r' || s[i - 1] == '\n')) i--;
        else if (i >= 2 && !memcmp(s + i - 2, "\xC2\xA0", 2)) i -= 2;
        else if (i >= 3 && !memcmp(s + i - 3, "\xE3\x80\x80", 3)) i -= 3;
        else return n - i;
    }
}

/* Trims the field in place (it is the reader's NUL-terminated copy) and returns it. */
static char *s_trim(char *s, size_t n)
{
    size_t a = s_ws_lead(s, n);
    size_t b = a < n ? s_ws_trail(s + a, n - a) : 0;
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

static void s_hh_tab_grow(s_im_t *im)
{
    size_t cap = im->hh_tab_cap ? im->hh_tab_cap * 2 : 1024;
    int32_t *t = fp_calloc(cap, sizeof *t);
    for (size_t i = 0; i < im->nhh; i++) {
        const char *no = s_str(im, im->hhs[i].no);
        size_t j = s_hash(no, strlen(no)) & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = (int32_t)i + 1;
    }
    free(im->hh_tab);
    im->hh_tab = t;
    im->hh_tab_cap = cap;
}

/* The household with this number, added (empty) if new; *added tells. */
static int32_t s_hh_get(s_im_t *im, const char *no, uint32_t line, bool *added)
{
    if ((im->nhh + 1) * 2 > im->hh_tab_cap) s_hh_tab_grow(im);
    size_t n = strlen(no);
    size_t j = s_hash(no, n) & (im->hh_tab_cap - 1);
    for (; im->hh_tab[j]; j = (j + 1) & (im->hh_tab_cap - 1))
        if (!strcmp(s_str(im, im->hhs[im->hh_tab[j] - 1].no), no)) {
            *added = false;
            return im->hh_tab[j] - 1;
        }
    if (im->nhh == im->hh_cap) {
        im->hh_cap = im->hh_cap ? im->hh_cap * 2 : 1024;
        im->hhs = fp_realloc(im->hhs, im->hh_cap * sizeof *im->hhs);
    }
    s_hh_t *h = &im->hhs[im->nhh];
    memset(h, 0, sizeof *h);
    h->no = s_put(im, no, n);
    h->first_line = line;
    h->first_idx = -1;
    im->hh_tab[j] = (int32_t)im->nhh + 1;
    *added = true;
    return (int32_t)im->nhh++;
}

/* The line index that already holds this ID number, or -1 after recording idx for it. */
static int32_t s_id_seen(s_im_t *im, const char *id, int32_t idx)
{
    if ((im->nids + 1) * 2 > im->id_tab_cap) {
        size_t cap = im->id_tab_cap ? im->id_tab_cap * 2 : 4096;
        int32_t *t = fp_calloc(cap, sizeof *t);
        for (size_t i = 0; i < im->id_tab_cap; i++) {
            if (!im->id_tab[i]) continue;
            const char *k = im->lines[im->id_tab[i] - 1].id;
            size_t j = s_hash(k, 18) & (cap - 1);
            while (t[j]) j = (j + 1) & (cap - 1);
            t[j] = im->id_tab[i];
        }
        free(im->id_tab);
        im->id_tab = t;
        im->id_tab_cap = cap;
    }
    size_t j = s_hash(id, 18) & (im->id_tab_cap - 1);
    for (; im->id_tab[j]; j = (j + 1) & (im->id_tab_cap - 1))
        if (!memcmp(im->lines[im->id_tab[j] - 1].id, id, 18)) return im->id_tab[j] - 1;
    im->id_tab[j] = idx + 1;
    im->nids++;
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
static const char *s_vocab(s_im_t *im, s_line_t *l, char **f, int col, const s_word_t *v, const char *code)
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
    s_refuse_col(im, l, col, code, zh, en);
    return NULL;
}

/* The household columns of line f into h (h->has_data when all parsed). */
static void s_parse_household(s_im_t *im, s_line_t *l, char **f, s_hh_t *h)
{
    /* village */
    const char *v = f[C_VILLAGE];
    char shortc[13];
    fp_region_level_t lvl;
    if (fp_region_parse(v, shortc, &lvl) != FP_OK || lvl != FP_REGION_VILLAGE) {
        s_refuse_col(im, l, C_VILLAGE, "village.invalid", "应为12位村级区划代码",
                     "must be a 12-digit village code");
        return;
    }
    memcpy(h->village, shortc, 13);
    memcpy(h->county, shortc, 6);
    h->county[6] = '\0';
    /* type and kind */
    const char *t = f[C_TYPE];
    const char *k = f[C_KIND];
    h->type = s_lookup(s_v_type, t);
    h->kind = NULL;
    const char *as_kind = s_lookup(s_v_kind, t); /* 户类型 written as one of the three kinds */
    if (!h->type && as_kind) h->type = "monitored";
    if (!h->type) {
        s_vocab(im, l, f, C_TYPE, s_v_type, "household_type.unknown");
        return;
    }
    if (*k) {
        h->kind = s_vocab(im, l, f, C_KIND, s_v_kind, "monitored_kind.unknown");
        if (!h->kind) return;
    }
    if (as_kind && h->kind && h->kind != as_kind) {
        s_refuse_col(im, l, C_KIND, "monitored_kind.mismatch", "与户类型不一致", "does not match the household type");
        return;
    }
    if (as_kind) h->kind = as_kind;
    if (!strcmp(h->type, "monitored") && !h->kind) {
        s_refuse_col(im, l, C_KIND, "monitored_kind.missing",
                     "监测户须填写监测类型（脱贫不稳定户|边缘易致贫户|突发严重困难户）",
                     "required for a monitored household (unstable_lifted|marginal|sudden_hardship)");
        return;
    }
    if (strcmp(h->type, "monitored") && h->kind) {
        s_refuse_col(im, l, C_KIND, "monitored_kind.unexpected", "只有监测户才有监测类型",
                     "only a monitored household has a monitored kind");
        return;
    }
    /* head's name */
    const char *head = f[C_HEAD];
    if (!*head || strlen(head) > S_MAX_TEXT || s_has_ctl(head)) {
        s_refuse_col(im, l, C_HEAD, "head_name.invalid", "不能为空，不能含控制字符", "empty or not a name");
        return;
    }
    h->head = s_put(im, head, strlen(head));
    /* amounts */
    for (int i = 0; i < S_NAMT; i++) {
        fp_err_t rc = s_amount(f[C_WAGE + i], &h->amt[i]);
        if (rc == FP_ERANGE && f[C_WAGE + i][0] == '-') {
            s_refuse_col(im, l, C_WAGE + i, "amount.negative", "金额不能为负", "an amount cannot be negative");
            return;
        }
        if (rc != FP_OK) {
            s_refuse_col(im, l, C_WAGE + i, "amount.invalid", "不是金额（元，最多两位小数，如 1234.50）",
                         "not an amount (yuan with at most two decimals, e.g. 1234.50)");
            return;
        }
    }
    if (h->amt[C_PUBJOB - C_WAGE] > h->amt[0]) {
        s_refuse_col(im, l, C_PUBJOB, "amount.public_job", "公益性岗位收入是工资性收入的一部分，不能大于它",
                     "public-welfare job income is part of the wage income and cannot exceed it");
        return;
    }
    /* guarantees */
    for (int g = 0; g < S_NGUAR; g++) {
        int col = s_guar_src[g];
        h->ok[g] = -1;
        h->why[g] = s_put(im, "", 0);
        if (im->col[col] < 0) continue;
        const char *why;
        int r = s_guarantee(f[col], &why);
        if (r == -2) {
            s_refuse_col(im, l, col, "guarantee.unknown", "应为 是|否（否后可加“：原因”）",
                         "expected yes|no (no may be followed by \": reason\")");
            return;
        }
        if (strlen(why) > S_MAX_TEXT || s_has_ctl(why)) {
            s_refuse_col(im, l, col, "guarantee.reason", "原因太长或含控制字符", "reason too long or has control characters");
            return;
        }
        h->ok[g] = (signed char)r;
        h->why[g] = s_put(im, why, strlen(why));
    }
    if (!s_period(f[C_PERIOD], h->period)) {
        s_refuse_col(im, l, C_PERIOD, "period.invalid", "应为“年份Q季度”，如 2026Q3", "expected YEARQn, e.g. 2026Q3");
        return;
    }
    h->has_data = true;
}

/* The name of the first household column whose value differs between a and b, or NULL. */
static int s_hh_diff(const s_im_t *im, const s_hh_t *a, const s_hh_t *b)
{
    if (strcmp(a->village, b->village)) return C_VILLAGE;
    if (a->type != b->type) return C_TYPE;
    if (a->kind != b->kind) return C_KIND;
    if (strcmp(s_str(im, a->head), s_str(im, b->head))) return C_HEAD;
    for (int i = 0; i < S_NAMT; i++)
        if (a->amt[i] != b->amt[i]) return C_WAGE + i;
    for (int g = 0; g < S_NGUAR; g++)
        if (a->ok[g] != b->ok[g] || strcmp(s_str(im, a->why[g]), s_str(im, b->why[g]))) return s_guar_src[g];
    if (strcmp(a->period, b->period)) return C_PERIOD;
    return -1;
}

static void s_parse_member(s_im_t *im, s_line_t *l, char **f)
{
    const char *name = f[C_NAME];
    if (!*name || strlen(name) > S_MAX_TEXT || s_has_ctl(name)) {
        s_refuse_col(im, l, C_NAME, "name.invalid", "不能为空，不能含控制字符", "empty or not a name");
        return;
    }
    l->name = s_put(im, name, strlen(name));
    fp_idcard_t id;
    fp_err_t rc = fp_idcard_parse(f[C_ID], im->today, &id);
    if (rc != FP_OK) {
        const char *code = "idcard.invalid", *zh = "不是18位身份证号", *en = "not an 18-character ID number";
        if (rc == FP_ECHECKSUM) code = "idcard.checksum", zh = "校验位不对（可能抄错了一位）",
            en = "the check character does not match (a digit mistyped?)";
        else if (rc == FP_EDATE) code = "idcard.date", zh = "出生日期不存在或在今天之后",
            en = "the birth date in it is not a real date or is in the future";
        else if (rc == FP_ELEGACY) code = "idcard.legacy", zh = "15位旧号码，请填写18位身份证号",
            en = "a legacy 15-digit number: write the 18-character one";
        s_refuse_col(im, l, C_ID, code, zh, en);
        return;
    }
    memcpy(l->id, id.number, 19);
    l->relation = s_vocab(im, l, f, C_REL, s_v_rel, "relation.unknown");
    if (!l->relation) return;
    const char *sx = f[C_SEX];
    l->sex = id.sex == 1 ? "male" : "female";
    if (*sx) {
        const char *given = s_vocab(im, l, f, C_SEX, s_v_sex, "sex.unknown");
        if (!given) return;
        if (strcmp(given, l->sex)) {
            s_refuse_col(im, l, C_SEX, "sex.mismatch", "与身份证号第17位不符", "does not match the ID number's 17th digit");
            return;
        }
    }
    l->birth = fp_date_from_civil(id.birth_year, id.birth_month, id.birth_day);
    const char *bd = f[C_BIRTH];
    if (*bd) {
        int32_t d;
        if (fp_date_parse(bd, &d) != FP_OK) {
            s_refuse_col(im, l, C_BIRTH, "birth_date.invalid", "应为 YYYY-MM-DD", "expected YYYY-MM-DD");
            return;
        }
        if (d != l->birth) {
            s_refuse_col(im, l, C_BIRTH, "birth_date.mismatch", "与身份证号中的出生日期不符",
                         "does not match the birth date in the ID number");
            return;
        }
    }
    if (!(l->labour = s_vocab(im, l, f, C_LABOUR, s_v_labour, "labour.unknown"))) return;
    if (!(l->health = s_vocab(im, l, f, C_HEALTH, s_v_health, "health.unknown"))) return;
    if (!(l->schooling = s_vocab(im, l, f, C_SCHOOL, s_v_school, "schooling.unknown"))) return;
    const char *ins = s_vocab(im, l, f, C_INSURED, s_v_bool, "insured.unknown");
    if (!ins) return;
    l->insured = ins[0] == 't';
    l->disability = 0;
    if (im->col[C_DISAB] >= 0) {
        const char *d = f[C_DISAB];
        static const char *const grades[] = {"", "一级", "二级", "三级", "四级"};
        if (*d) {
            for (int g = 1; g <= 4; g++)
                if ((d[0] == '0' + g && !d[1]) || !strcmp(d, grades[g])) l->disability = g;
            if (!l->disability && strcmp(d, "无")) {
                s_refuse_col(im, l, C_DISAB, "disability.invalid", "应为 1-4 或 一级..四级，无残疾留空",
                             "expected 1-4 (一级..四级), empty when none");
                return;
            }
        }
    }
    if (l->disability && strcmp(l->health, "disabled")) {
        s_refuse_col(im, l, C_DISAB, "disability.health", "有残疾等级时健康状况应为“残疾”",
                     "a disability grade needs health \"disabled\"");
        return;
    }
}

static void s_line(s_im_t *im, const fp_csv_record_t *rec)
{
    if (im->nlines == im->lines_cap) {
        im->lines_cap = im->lines_cap ? im->lines_cap * 2 : 4096;
        im->lines = fp_realloc(im->lines, im->lines_cap * sizeof *im->lines);
    }
    int32_t idx = (int32_t)im->nlines++;
    s_line_t *l = &im->lines[idx];
    memset(l, 0, sizeof *l);
    l->line = (uint32_t)rec->line;
    l->hh = -1;
    l->reason = -1;
    if (rec->nfields != im->ncols) {
        char zh[160], en[160];
        snprintf(zh, sizeof zh, "该行有 %zu 列，表头有 %zu 列：某个值中含有未加引号的逗号？", rec->nfields, im->ncols);
        snprintf(en, sizeof en, "%zu fields, the header has %zu (an unquoted comma in a value?)", rec->nfields,
                 im->ncols);
        s_refuse(im, l, "csv.fields", zh, en);
        return;
    }
    char *f[C_N];
    for (int c = 0; c < C_N; c++) {
        int i = im->col[c];
        if (i >= 0 && memchr(rec->fields[i], '\0', rec->lens[i])) {
            s_refuse(im, l, "text.invalid", "含有 NUL 字符：不是文本", "holds a NUL byte: not text");
            return;
        }
        f[c] = i >= 0 ? s_trim(rec->fields[i], rec->lens[i]) : NULL;
    }
    const char *no = f[C_HH_NO];
    size_t nlen = strlen(no);
    bool ok = nlen > 0 && nlen <= 32;
    for (size_t i = 0; ok && i < nlen; i++)
        ok = (no[i] >= '0' && no[i] <= '9') || (no[i] >= 'A' && no[i] <= 'Z') || (no[i] >= 'a' && no[i] <= 'z') ||
             no[i] == '-';
    if (!ok) {
        s_refuse_col(im, l, C_HH_NO, "household_no.invalid", "应为1-32位数字或字母",
                     "expected 1-32 digits or letters");
        return;
    }
    bool added;
    l->hh = s_hh_get(im, no, l->line, &added);
    s_hh_t parsed;
    memset(&parsed, 0, sizeof parsed);
    s_parse_household(im, l, f, &parsed);
    s_hh_t *h = &im->hhs[l->hh];
    h->nlines++;
    if (h->first_idx < 0) h->first_idx = idx;
    if (parsed.has_data) {
        if (!h->has_data) {
            uint32_t keep_no = h->no, keep_first = h->first_line;
            int32_t keep_idx = h->first_idx;
            uint32_t keep_n = h->nlines;
            *h = parsed;
            h->no = keep_no, h->first_line = keep_first, h->first_idx = keep_idx, h->nlines = keep_n;
            if (!added) h->refused = true; /* an earlier line had bad household columns */
        } else {
            int c = s_hh_diff(im, h, &parsed);
            if (c >= 0) {
                char zh[200], en[200];
                snprintf(zh, sizeof zh, "与本户第 %" PRIu32 " 行的户信息不一致", h->first_line);
                snprintf(en, sizeof en, "differs from line %" PRIu32 ", the household's first line", h->first_line);
                s_refuse_col(im, l, c, "household.inconsistent", zh, en);
            }
        }
    }
    s_parse_member(im, l, f);
    if (l->reason < 0) {
        int32_t other = s_id_seen(im, l->id, idx);
        if (other >= 0) {
            char zh[160], en[160];
            snprintf(zh, sizeof zh, "身份证号与第 %" PRIu32 " 行重复：一人只能属于一户", im->lines[other].line);
            snprintf(en, sizeof en, "the same ID number as line %" PRIu32 ": a person belongs to one household",
                     im->lines[other].line);
            s_refuse(im, l, "id.duplicate", zh, en);
            snprintf(zh, sizeof zh, "身份证号与第 %" PRIu32 " 行重复：一人只能属于一户", l->line);
            snprintf(en, sizeof en, "the same ID number as line %" PRIu32 ": a person belongs to one household",
                     l->line);
            s_refuse(im, &im->lines[other], "id.duplicate", zh, en);
        }
    }
}

/* After all lines: one head per household, the head's name, and refusal of whole households. */
static void s_households(s_im_t *im)
{
    int32_t *heads = fp_calloc(im->nhh ? im->nhh : 1, sizeof *heads);
    int32_t *head_line = fp_calloc(im->nhh ? im->nhh : 1, sizeof *head_line);
    for (size_t i = 0; i < im->nlines; i++) {
        s_line_t *l = &im->lines[i];
        if (l->hh < 0 || !l->relation || strcmp(l->relation, "head")) continue;
        if (heads[l->hh]++) {
            char zh[160], en[160];
            snprintf(zh, sizeof zh, "本户已有户主（第 %" PRIu32 " 行）：一户只有一个户主",
                     im->lines[head_line[l->hh]].line);
            snprintf(en, sizeof en, "the household already has a head (line %" PRIu32 ")",
                     im->lines[head_line[l->hh]].line);
            s_refuse_col(im, l, C_REL, "household.heads", zh, en);
        } else {
            head_line[l->hh] = (int32_t)i;
            const s_hh_t *h = &im->hhs[l->hh];
            if (h->has_data && l->name && strcmp(s_str(im, l->name), s_str(im, h->head)))
                s_refuse_col(im, l, C_HEAD, "household.head_name", "与户主本人一行的姓名不一致",
                             "differs from the name on the head's own line");
        }
    }
    for (size_t k = 0; k < im->nhh; k++)
        if (!heads[k] && im->hhs[k].first_idx >= 0)
            s_refuse(im, &im->lines[im->hhs[k].first_idx], "household.no_head",
                     "本户没有与户主关系为“户主”的成员", "no member of the household is its head (户主)");
    for (size_t i = 0; i < im->nlines; i++) {
        s_line_t *l = &im->lines[i];
        if (l->reason >= 0 && l->hh >= 0 && !im->hhs[l->hh].refused) {
            im->hhs[l->hh].refused = true;
            im->hhs[l->hh].refused_line = l->line;
        } else if (l->reason >= 0 && l->hh >= 0 && !im->hhs[l->hh].refused_line) {
            im->hhs[l->hh].refused_line = l->line;
        }
    }
    free(heads);
    free(head_line);
}

/* Every still-accepted line of a refused household is refused with a pointer to the cause. */
static void s_refuse_households(s_im_t *im)
{
    for (size_t i = 0; i < im->nlines; i++) {
        s_line_t *l = &im->lines[i];
        if (l->reason >= 0 || l->hh < 0 || !im->hhs[l->hh].refused) continue;
        const s_hh_t *h = &im->hhs[l->hh];
        char zh[200], en[200];
        if (h->refused_line) {
            snprintf(zh, sizeof zh, "本户第 %" PRIu32 " 行被拒，整户不导入", h->refused_line);
            snprintf(en, sizeof en, "line %" PRIu32 " of this household was refused: the whole household is not loaded",
                     h->refused_line);
        } else {
            snprintf(zh, sizeof zh, "本户未导入（见汇总说明）");
            snprintf(en, sizeof en, "the household was not loaded (see the summary)");
        }
        s_refuse(im, l, "household.refused", zh, en);
    }
    im->refused_lines = 0;
    im->refused_hh = 0;
    for (size_t i = 0; i < im->nlines; i++) im->refused_lines += im->lines[i].reason >= 0;
    for (size_t k = 0; k < im->nhh; k++) im->refused_hh += im->hhs[k].refused;
}

/* ---- reading the file --------------------------------------------------------------------- */

static int s_read_file(const char *path, fp_buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ledger import: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (out->len + n > (size_t)S_MAX_FILE) {
            fprintf(stderr, "ledger import: %s is larger than 1 GiB: split it by township\n", path);
            fclose(f);
            return -1;
        }
        fp_buf_append(out, buf, n);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "ledger import: reading %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int s_header(s_im_t *im, const fp_csv_record_t *rec)
{
    for (int c = 0; c < C_N; c++) im->col[c] = -1;
    im->ncols = rec->nfields;
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
        if (found < 0) continue; /* extra columns (序号, 备注, ...) are ignored */
        if (im->col[found] >= 0) {
            fprintf(stderr, "ledger import: %s:%lu: column \"%s\" appears twice in the header\n", im->path,
                    rec->line, name);
            return -1;
        }
        im->col[found] = (int)i;
        snprintf(im->colname[found], sizeof im->colname[found], "%s", name);
    }
    int missing = 0;
    for (int c = 0; c < C_NREQ; c++)
        if (im->col[c] < 0) {
            if (!missing++) fprintf(stderr, "ledger import: %s: the header lacks required columns:", im->path);
            fprintf(stderr, " %s (%s)", s_names[c][0], s_names[c][1] && s_names[c][2] ? s_names[c][2] : s_names[c][1]);
        }
    for (int c = 0; c < C_N; c++)
        if (im->col[c] < 0) snprintf(im->colname[c], sizeof im->colname[c], "%s", s_names[c][0]);
    if (missing) {
        fprintf(stderr, "\n(see docs/ledger.md or `fangpinctl ledger --help` for the layout)\n");
        return -1;
    }
    return 0;
}

static int s_load(s_im_t *im)
{
    fp_buf_t raw = {0};
    if (s_read_file(im->path, &raw)) {
        fp_buf_free(&raw);
        return -1;
    }
    fp_buf_t text = {0};
    fp_err_t rc = fp_text_to_utf8(raw.data ? raw.data : "", raw.len, &text, &im->encoding);
    fp_buf_free(&raw);
    if (rc != FP_OK) {
        fprintf(stderr, "ledger import: %s is neither UTF-8 nor GBK text: save it as \"CSV UTF-8\" or \"CSV\"\n",
                im->path);
        fp_buf_free(&text);
        return -1;
    }
    fp_csv_t *csv = fp_csv_new();
    fp_csv_set_limits(csv, &(fp_csv_limits_t){.max_fields = 256, .max_record_bytes = 1024 * 1024});
    bool have_header = false;
    int ret = 0;
    size_t off = 0;
    for (;;) {
        const fp_csv_record_t *rec = NULL;
        size_t used = 0;
        rc = off < text.len ? fp_csv_feed(csv, text.data + off, text.len - off, &used, &rec)
                            : fp_csv_finish(csv, &rec);
        off += used;
        if (rc != FP_OK) {
            unsigned long line = 0;
            const char *msg = fp_csv_error(csv, &line);
            fprintf(stderr, "ledger import: %s:%lu: %s; nothing was imported\n", im->path, line, msg);
            ret = -1;
            break;
        }
        if (rec) {
            bool blank = true; /* Excel keeps formatted empty rows: ",,,," */
            for (size_t i = 0; i < rec->nfields && blank; i++) blank = s_ws_lead(rec->fields[i], rec->lens[i]) == rec->lens[i];
            if (blank) continue;
            if (!have_header) {
                if (s_header(im, rec)) {
                    ret = -1;
                    break;
                }
                have_header = true;
            } else {
                s_line(im, rec);
            }
        } else if (off >= text.len) {
            break;
        }
    }
    if (!ret && !have_header) {
        fprintf(stderr, "ledger import: %s is empty: no header line\n", im->path);
        ret = -1;
    }
    fp_csv_destroy(&csv);
    fp_buf_free(&text);
    return ret;
}

/* ---- database ----------------------------------------------------------------------------- */

static int s_exec(PGconn *conn, const char *sql, const char *what)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "ledger import: %s: %s", what, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static int s_cmp13(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Refuses households whose village is not a village of the regions table. */
static int s_check_villages(s_im_t *im, PGconn *conn)
{
    fp_buf_t arr = {0};
    fp_buf_puts(&arr, "{");
    for (size_t k = 0; k < im->nhh; k++)
        if (im->hhs[k].has_data) fp_buf_printf(&arr, "%s%s", arr.len > 1 ? "," : "", im->hhs[k].village);
    fp_buf_puts(&arr, "}");
    const char *params[1] = {arr.data};
    PGresult *res = PQexecParams(conn,
                                 "SELECT DISTINCT code FROM regions WHERE code = ANY($1::text[]) AND level = 5",
                                 1, NULL, params, NULL, NULL, 0);
    fp_buf_free(&arr);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ledger import: looking up villages: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    /* few distinct villages: a sorted list and bsearch */
    int n = PQntuples(res);
    char (*known)[13] = fp_calloc((size_t)(n ? n : 1), 13);
    for (int i = 0; i < n; i++) snprintf(known[i], 13, "%s", PQgetvalue(res, i, 0));
    PQclear(res);
    qsort(known, (size_t)n, 13, s_cmp13);
    bool *bad = fp_calloc(im->nhh ? im->nhh : 1, sizeof *bad);
    for (size_t k = 0; k < im->nhh; k++)
        bad[k] = im->hhs[k].has_data &&
                 !bsearch(im->hhs[k].village, known, (size_t)n, 13, s_cmp13);
    free(known);
    for (size_t i = 0; i < im->nlines; i++) {
        s_line_t *l = &im->lines[i];
        if (l->hh < 0 || !bad[l->hh]) continue;
        char zh[200], en[200];
        snprintf(zh, sizeof zh, "%s：%s 不是区划代码表中的村", im->colname[C_VILLAGE], im->hhs[l->hh].village);
        snprintf(en, sizeof en, "%s: %s is not a village of the regions table", im->colname[C_VILLAGE],
                 im->hhs[l->hh].village);
        l->reason = -1 == l->reason ? s_reason(im, "village.unknown", zh, en) : l->reason;
    }
    free(bad);
    return 0;
}

#define S_HH_COLS                                                                                            \
    "county_code, household_no, village_code, household_type, monitored_kind, head_name, wage_fen,"         \
    " wage_public_job_fen, operating_fen, property_fen, pension_fen, family_planning_fen,"                   \
    " eco_compensation_fen, dibao_fen, tekun_fen, other_transfer_fen, production_cost_fen, medical_oop_fen," \
    " food_clothing_ok, food_clothing_reason, education_ok, education_reason, medical_ok, medical_reason,"   \
    " housing_ok, housing_reason, water_ok, water_reason, survey_period"
/* the columns compared to decide "changed" (all but the key) */
#define S_HH_CMP(p)                                                                                          \
    "(" p "village_code, " p "household_type, " p "monitored_kind, " p "head_name, " p "wage_fen, "         \
    p "wage_public_job_fen, " p "operating_fen, " p "property_fen, " p "pension_fen, " p                     \
    "family_planning_fen, " p "eco_compensation_fen, " p "dibao_fen, " p "tekun_fen, " p                     \
    "other_transfer_fen, " p "production_cost_fen, " p "medical_oop_fen, " p "food_clothing_ok, " p          \
    "food_clothing_reason, " p "education_ok, " p "education_reason, " p "medical_ok, " p                    \
    "medical_reason, " p "housing_ok, " p "housing_reason, " p "water_ok, " p "water_reason, " p             \
    "survey_period)"
#define S_M_COLS                                                                                             \
    "county_code, id_hmac, id_sealed, id_masked, household_no, name, relation, birth_date, sex, labour, health,"                \
    " disability_grade, schooling, insured"
#define S_M_CMP(p)                                                                                           \
    "(" p "household_no, " p "name, " p "relation, " p "birth_date, " p "sex, " p "labour, " p "health, " p \
    "disability_grade, " p "schooling, " p "insured, " p "left_on, " p "left_reason)"

static int s_copy_begin(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok) fprintf(stderr, "ledger import: COPY: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static int s_copy_put(PGconn *conn, fp_buf_t *b, bool force)
{
    if (b->len == 0 || (!force && b->len < S_COPY_CHUNK)) return 0;
    if (PQputCopyData(conn, b->data, (int)b->len) != 1) {
        fprintf(stderr, "ledger import: sending rows: %s", PQerrorMessage(conn));
        return -1;
    }
    fp_buf_reset(b);
    return 0;
}

static int s_copy_end(PGconn *conn, bool failed)
{
    int ok = PQputCopyEnd(conn, failed ? "import aborted" : NULL) == 1 && !failed;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
            fprintf(stderr, "ledger import: COPY: %s", PQresultErrorMessage(res));
            ok = 0;
        }
        PQclear(res);
    }
    return ok ? 0 : -1;
}

static int s_stage(s_im_t *im, PGconn *conn, long *nh, long *nm)
{
    fp_buf_t b = {0};
    int bad = s_copy_begin(conn, "COPY ledger_stage_h (" S_HH_COLS ") FROM STDIN");
    *nh = *nm = 0;
    for (size_t k = 0; !bad && k < im->nhh; k++) {
        const s_hh_t *h = &im->hhs[k];
        if (h->refused || !h->has_data) continue;
        (*nh)++;
        fp_buf_printf(&b, "%s\t", h->county);
        fp_db_copy_field(&b, s_str(im, h->no));
        fp_buf_printf(&b, "\t%s\t%s\t%s\t", h->village, h->type, h->kind ? h->kind : "\\N");
        fp_db_copy_field(&b, s_str(im, h->head));
        for (int i = 0; i < S_NAMT; i++) fp_buf_printf(&b, "\t%" PRId64, h->amt[i]);
        for (int g = 0; g < S_NGUAR; g++) {
            fp_buf_printf(&b, "\t%s\t", h->ok[g] < 0 ? "\\N" : h->ok[g] ? "t" : "f");
            fp_db_copy_field(&b, h->ok[g] == 0 ? s_str(im, h->why[g]) : "");
        }
        fp_buf_printf(&b, "\t%s\n", h->period);
        bad = s_copy_put(conn, &b, false);
    }
    if (!bad) bad = s_copy_put(conn, &b, true);
    bad = s_copy_end(conn, bad) || bad;
    fp_buf_reset(&b);
    if (bad) {
        fp_buf_free(&b);
        return -1;
    }
    bad = s_copy_begin(conn, "COPY ledger_stage_m (" S_M_COLS ") FROM STDIN");
    if (bad) {
        fp_buf_free(&b);
        return -1;
    }
    for (size_t i = 0; !bad && i < im->nlines; i++) {
        const s_line_t *l = &im->lines[i];
        if (l->reason >= 0 || l->hh < 0) continue;
        const s_hh_t *h = &im->hhs[l->hh];
        (*nm)++;
        char birth[11];
        fp_date_format(l->birth, birth);
        fp_buf_printf(&b, "%s\t", h->county);
        fp_seal_copy_fields(im->seal, l->id, &b);
        fp_buf_puts(&b, "\t");
        fp_db_copy_field(&b, s_str(im, h->no));
        fp_buf_puts(&b, "\t");
        fp_db_copy_field(&b, s_str(im, l->name));
        fp_buf_printf(&b, "\t%s\t%s\t%s\t%s\t%s\t", l->relation, birth, l->sex, l->labour, l->health);
        if (l->disability) fp_buf_printf(&b, "%d", l->disability);
        else fp_buf_puts(&b, "\\N");
        fp_buf_printf(&b, "\t%s\t%s\n", l->schooling, l->insured ? "t" : "f");
        bad = s_copy_put(conn, &b, false);
    }
    if (!bad) bad = s_copy_put(conn, &b, true);
    bad = s_copy_end(conn, bad) || bad;
    fp_buf_free(&b);
    return bad ? -1 : 0;
}

/* Households already in the ledger from a later survey than the file's are not overwritten. */
static int s_refuse_older(s_im_t *im, PGconn *conn)
{
    PGresult *res = PQexec(conn,
        "WITH old AS (SELECT s.county_code, s.household_no, h.survey_period AS newer"
        "   FROM ledger_stage_h s JOIN ledger_households h"
        "     ON h.county_code = s.county_code AND h.household_no = s.household_no"
        "  WHERE h.survey_period > s.survey_period),"
        " dm AS (DELETE FROM ledger_stage_m m USING old o"
        "  WHERE m.county_code = o.county_code AND m.household_no = o.household_no),"
        " dh AS (DELETE FROM ledger_stage_h h USING old o"
        "  WHERE h.county_code = o.county_code AND h.household_no = o.household_no"
        "  RETURNING h.household_no, o.newer)"
        " SELECT household_no, newer FROM dh");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ledger import: checking survey periods: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        bool added;
        int32_t k = s_hh_get(im, PQgetvalue(res, r, 0), 0, &added);
        s_hh_t *h = &im->hhs[k];
        h->refused = true;
        char zh[200], en[200];
        snprintf(zh, sizeof zh, "台账中本户已有更新的调查期 %s 的数据（本文件为 %s），不覆盖", PQgetvalue(res, r, 1),
                 h->period);
        snprintf(en, sizeof en, "the ledger already holds this household from a later survey (%s; this file: %s)",
                 PQgetvalue(res, r, 1), h->period);
        int32_t why = s_reason(im, "period.older", zh, en);
        for (size_t i = 0; i < im->nlines; i++)
            if (im->lines[i].hh == k && im->lines[i].reason < 0) im->lines[i].reason = why;
    }
    PQclear(res);
    return 0;
}

typedef struct {
    long h_ins, h_upd, m_ins, m_upd, m_left, events;
} s_counts_t;

static long s_count(PGresult *res, int col)
{
    return PQntuples(res) > 0 ? atol(PQgetvalue(res, 0, col)) : 0;
}

static int s_apply(PGconn *conn, s_counts_t *c)
{
    /* 1. natural changes against the ledger as it was: members new to a known household
     * (birth when born since its last survey, else move_in), members back or moved in
     * (move_in, with a move_out from the household they leave) */
    static const char ev_sql[] =
        "WITH ch AS ("
        " SELECT s.county_code, s.household_no, s.id_hmac, s.birth_date, m.household_no AS old_hh,"
        "        m.left_on, h.survey_period AS hh_period, st.survey_period"
        "   FROM ledger_stage_m s"
        "   JOIN ledger_stage_h st ON st.county_code = s.county_code AND st.household_no = s.household_no"
        "   LEFT JOIN ledger_households h ON h.county_code = s.county_code AND h.household_no = s.household_no"
        "   LEFT JOIN ledger_members m ON m.county_code = s.county_code AND m.id_hmac = s.id_hmac"
        "  WHERE (m.id_hmac IS NULL AND h.household_no IS NOT NULL)"
        "     OR (m.id_hmac IS NOT NULL AND (m.household_no <> s.household_no OR m.left_on IS NOT NULL))),"
        " ins AS ("
        " INSERT INTO ledger_events (county_code, household_no, id_hmac, kind, event_on, source, detail)"
        " SELECT county_code, household_no, id_hmac,"
        "        CASE WHEN old_hh IS NULL AND birth_date >= ledger_period_start(hh_period) THEN 'birth'"
        "             ELSE 'move_in' END,"
        "        ledger_period_start(survey_period), 'census',"
        "        CASE WHEN old_hh IS NULL THEN 'new in census ' || survey_period"
        "             WHEN old_hh <> household_no THEN 'from household ' || old_hh"
        "             ELSE 'back in census ' || survey_period END"
        "   FROM ch"
        " UNION ALL"
        " SELECT county_code, old_hh, id_hmac, 'move_out', ledger_period_start(survey_period), 'census',"
        "        'to household ' || household_no"
        "   FROM ch WHERE old_hh IS NOT NULL AND old_hh <> household_no AND left_on IS NULL"
        " RETURNING 1)"
        " SELECT count(*) FROM ins";
    /* 2. members of a household in the file who are not in the file: left_on = the first day of
     * the survey's quarter, and a move_out event */
    static const char gone_sql[] =
        "WITH gone AS ("
        " UPDATE ledger_members m SET left_on = ledger_period_start(h.survey_period),"
        "        left_reason = 'not_in_census:' || h.survey_period, updated_at = now()"
        "   FROM ledger_stage_h h"
        "  WHERE m.county_code = h.county_code AND m.household_no = h.household_no AND m.left_on IS NULL"
        "    AND NOT EXISTS (SELECT 1 FROM ledger_stage_m s"
        "                     WHERE s.county_code = m.county_code AND s.id_hmac = m.id_hmac)"
        " RETURNING m.county_code, m.household_no, m.id_hmac, m.left_on, h.survey_period),"
        " ev AS ("
        " INSERT INTO ledger_events (county_code, household_no, id_hmac, kind, event_on, source, detail)"
        " SELECT county_code, household_no, id_hmac, 'move_out', left_on, 'census',"
        "        'not in census ' || survey_period FROM gone RETURNING 1)"
        " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM ev)";
    /* 3. households, then 4. members: only rows whose values differ are written (the join
     * leaves unchanged rows out; ON CONFLICT DO UPDATE would lock and so rewrite them) */
    static const char hh_sql[] =
        "WITH up AS ("
        " INSERT INTO ledger_households AS r (" S_HH_COLS ")"
        " SELECT s.county_code, s.household_no, s.village_code, s.household_type, s.monitored_kind, s.head_name,"
        "  s.wage_fen, s.wage_public_job_fen, s.operating_fen, s.property_fen, s.pension_fen,"
        "  s.family_planning_fen, s.eco_compensation_fen, s.dibao_fen, s.tekun_fen, s.other_transfer_fen,"
        "  s.production_cost_fen, s.medical_oop_fen, s.food_clothing_ok, s.food_clothing_reason,"
        "  s.education_ok, s.education_reason, s.medical_ok, s.medical_reason, s.housing_ok, s.housing_reason,"
        "  s.water_ok, s.water_reason, s.survey_period"
        " FROM ledger_stage_h s LEFT JOIN ledger_households x"
        "   ON x.county_code = s.county_code AND x.household_no = s.household_no"
        " WHERE x.household_no IS NULL OR " S_HH_CMP("x.") " IS DISTINCT FROM " S_HH_CMP("s.")
        " ORDER BY s.county_code, s.household_no"
        " ON CONFLICT (county_code, household_no) DO UPDATE SET"
        "  village_code = EXCLUDED.village_code, household_type = EXCLUDED.household_type,"
        "  monitored_kind = EXCLUDED.monitored_kind, head_name = EXCLUDED.head_name,"
        "  wage_fen = EXCLUDED.wage_fen, wage_public_job_fen = EXCLUDED.wage_public_job_fen,"
        "  operating_fen = EXCLUDED.operating_fen, property_fen = EXCLUDED.property_fen,"
        "  pension_fen = EXCLUDED.pension_fen, family_planning_fen = EXCLUDED.family_planning_fen,"
        "  eco_compensation_fen = EXCLUDED.eco_compensation_fen, dibao_fen = EXCLUDED.dibao_fen,"
        "  tekun_fen = EXCLUDED.tekun_fen, other_transfer_fen = EXCLUDED.other_transfer_fen,"
        "  production_cost_fen = EXCLUDED.production_cost_fen, medical_oop_fen = EXCLUDED.medical_oop_fen,"
        "  food_clothing_ok = EXCLUDED.food_clothing_ok, food_clothing_reason = EXCLUDED.food_clothing_reason,"
        "  education_ok = EXCLUDED.education_ok, education_reason = EXCLUDED.education_reason,"
        "  medical_ok = EXCLUDED.medical_ok, medical_reason = EXCLUDED.medical_reason,"
        "  housing_ok = EXCLUDED.housing_ok, housing_reason = EXCLUDED.housing_reason,"
        "  water_ok = EXCLUDED.water_ok, water_reason = EXCLUDED.water_reason,"
        "  survey_period = EXCLUDED.survey_period, updated_at = now()"
        " WHERE " S_HH_CMP("r.") " IS DISTINCT FROM " S_HH_CMP("EXCLUDED.")
        " RETURNING (r.xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";
    static const char m_sql[] =
        "WITH up AS ("
        " INSERT INTO ledger_members AS r (" S_M_COLS ", left_on, left_reason)"
        " SELECT s.county_code, s.id_hmac, s.id_sealed, s.id_masked, s.household_no, s.name, s.relation, s.birth_date, s.sex, s.labour,"
        "  s.health, s.disability_grade, s.schooling, s.insured, NULL::date, ''"
        " FROM ledger_stage_m s LEFT JOIN ledger_members x"
        "   ON x.county_code = s.county_code AND x.id_hmac = s.id_hmac"
        " WHERE x.id_hmac IS NULL OR " S_M_CMP("x.") " IS DISTINCT FROM "
        "  (s.household_no, s.name, s.relation, s.birth_date, s.sex, s.labour, s.health, s.disability_grade,"
        "   s.schooling, s.insured, NULL::date, ''::text)"
        " ORDER BY s.county_code, s.id_hmac"
        " ON CONFLICT (county_code, id_hmac) DO UPDATE SET"
        "  household_no = EXCLUDED.household_no, name = EXCLUDED.name, relation = EXCLUDED.relation,"
        "  birth_date = EXCLUDED.birth_date, sex = EXCLUDED.sex, labour = EXCLUDED.labour,"
        "  health = EXCLUDED.health, disability_grade = EXCLUDED.disability_grade,"
        "  schooling = EXCLUDED.schooling, insured = EXCLUDED.insured, left_on = NULL, left_reason = '',"
        "  updated_at = now()"
        " WHERE " S_M_CMP("r.") " IS DISTINCT FROM " S_M_CMP("EXCLUDED.")
        " RETURNING (r.xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";
    PGresult *res = PQexec(conn, ev_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    c->events = s_count(res, 0);
    PQclear(res);
    res = PQexec(conn, gone_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    c->m_left = s_count(res, 0);
    c->events += s_count(res, 1);
    PQclear(res);
    res = PQexec(conn, hh_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    c->h_ins = s_count(res, 0);
    c->h_upd = s_count(res, 1);
    PQclear(res);
    res = PQexec(conn, m_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    c->m_ins = s_count(res, 0);
    c->m_upd = s_count(res, 1);
    PQclear(res);
    return 0;
fail:
    fprintf(stderr, "ledger import: writing the ledger: %s", PQresultErrorMessage(res));
    PQclear(res);
    return -1;
}

/* ---- results ------------------------------------------------------------------------------ */

static char *s_results_path(const char *path)
{
    size_t n = strlen(path);
    fp_buf_t b = {0};
    fp_buf_append(&b, path, n >= 4 && !strcasecmp(path + n - 4, ".csv") ? n - 4 : n);
    fp_buf_puts(&b, ".results.csv");
    return b.data;
}

static int s_write_results(const s_im_t *im, const char *out)
{
    fp_buf_t tmp = {0};
    fp_buf_printf(&tmp, "%s.tmp%ld", out, (long)getpid());
    FILE *f = fopen(tmp.data, "wb");
    if (!f) {
        fprintf(stderr, "ledger import: cannot write %s: %s\n", tmp.data, strerror(errno));
        fp_buf_free(&tmp);
        return -1;
    }
    int bad = 0;
    fp_buf_t csv = {0};
    fp_buf_puts(&csv, FP_CSV_BOM "行号,户编号,结果,原因代码,原因,reason\r\n");
    for (size_t i = 0; i < im->nlines; i++) {
        const s_line_t *l = &im->lines[i];
        if (l->reason < 0) continue;
        const s_reason_t *why = &im->reasons[l->reason];
        char num[16];
        snprintf(num, sizeof num, "%" PRIu32, l->line);
        const char *cells[] = {num, l->hh >= 0 ? s_str(im, im->hhs[l->hh].no) : "", "refused", why->code,
                               why->zh, why->en};
        fp_csv_put_row(&csv, cells, sizeof cells / sizeof *cells);
        if (csv.len >= S_WRITE_CHUNK) {
            bad |= fwrite(csv.data, 1, csv.len, f) != csv.len;
            fp_buf_reset(&csv);
        }
    }
    bad |= fwrite(csv.data, 1, csv.len, f) != csv.len;
    fp_buf_free(&csv);
    bad |= ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp.data, out) != 0) {
        fprintf(stderr, "ledger import: cannot write %s: %s\n", out, strerror(errno));
        unlink(tmp.data);
        fp_buf_free(&tmp);
        return -1;
    }
    fp_buf_free(&tmp);
    return 0;
}

static void s_show_refused(const s_im_t *im, const char *results)
{
    long shown = 0;
    for (size_t i = 0; i < im->nlines; i++) {
        const s_line_t *l = &im->lines[i];
        if (l->reason < 0 || !strcmp(im->reasons[l->reason].code, "household.refused")) continue;
        if (++shown > S_MAX_SHOWN) continue;
        const s_reason_t *why = &im->reasons[l->reason];
        fprintf(stderr, "%s:%" PRIu32 ": refused: %s: %s (%s)\n", im->path, l->line, why->code, why->zh, why->en);
    }
    if (shown > S_MAX_SHOWN) fprintf(stderr, "... and %ld more: see %s\n", shown - S_MAX_SHOWN, results);
}

/* ---- the command -------------------------------------------------------------------------- */

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_im_free(s_im_t *im)
{
    fp_buf_free(&im->arena);
    free(im->lines);
    free(im->hhs);
    free(im->hh_tab);
    free(im->id_tab);
    for (size_t i = 0; i < im->nreasons; i++) {
        free(im->reasons[i].code);
        free(im->reasons[i].zh);
        free(im->reasons[i].en);
    }
    free(im->reasons);
}

static int s_import_file(PGconn *conn, const fp_seal_t *seal, const char *path)
{
    double t0 = s_now();
    s_im_t im = {.path = path, .seal = seal, .today = fp_date_today_utc8()};
    if (s_load(&im)) {
        s_im_free(&im);
        return 1;
    }
    double t_parse = s_now();
    s_counts_t c = {0};
    long staged_h = 0, staged_m = 0;
    int ok = s_check_villages(&im, conn) == 0;
    if (ok) {
        s_households(&im);
        s_refuse_households(&im);
    }
    ok = ok && s_exec(conn, "BEGIN", "BEGIN") == 0 &&
         s_exec(conn,
                "CREATE TEMP TABLE ledger_stage_h (LIKE ledger_households INCLUDING DEFAULTS) ON COMMIT DROP;"
                "ALTER TABLE ledger_stage_h DROP COLUMN net_income_fen, DROP COLUMN created_at,"
                " DROP COLUMN updated_at;"
                "CREATE TEMP TABLE ledger_stage_m (LIKE ledger_members INCLUDING DEFAULTS) ON COMMIT DROP;"
                "ALTER TABLE ledger_stage_m DROP COLUMN created_at, DROP COLUMN updated_at,"
                " DROP COLUMN left_on, DROP COLUMN left_reason",
                "creating the staging tables") == 0 &&
         s_stage(&im, conn, &staged_h, &staged_m) == 0 &&
         s_exec(conn,
                "ALTER TABLE ledger_stage_h ADD PRIMARY KEY (county_code, household_no);"
                "ALTER TABLE ledger_stage_m ADD PRIMARY KEY (county_code, id_hmac);"
                "CREATE INDEX ON ledger_stage_m (county_code, household_no);"
                "ANALYZE ledger_stage_h; ANALYZE ledger_stage_m",
                "indexing the staging tables") == 0;
    double t_stage = s_now();
    long older_before = im.refused_hh;
    if (ok) ok = s_refuse_older(&im, conn) == 0;
    if (ok) {
        long before_lines = im.refused_lines;
        s_refuse_households(&im);
        staged_m -= im.refused_lines - before_lines;
        staged_h -= im.refused_hh - older_before;
    }
    if (ok) ok = s_apply(conn, &c) == 0;
    if (ok) ok = s_exec(conn, "COMMIT", "COMMIT") == 0;
    else if (PQtransactionStatus(conn) != PQTRANS_IDLE) s_exec(conn, "ROLLBACK", "ROLLBACK");
    double t_write = s_now();
    if (!ok) {
        fprintf(stderr, "ledger import: %s: failed; nothing was imported\n", path);
        s_im_free(&im);
        return 1;
    }
    char *results = s_results_path(path);
    bool written = s_write_results(&im, results) == 0;
    s_show_refused(&im, results);
    double secs = s_now() - t0;
    long lines = (long)im.nlines;
    printf("%s: %ld lines (%s), %zu households\n", path, lines, im.encoding, im.nhh);
    printf("%-11s %9s %9s %9s %9s %9s\n", "", "read", "inserted", "updated", "unchanged", "refused");
    printf("%-11s %9zu %9ld %9ld %9ld %9ld\n", "households", im.nhh, c.h_ins, c.h_upd, staged_h - c.h_ins - c.h_upd,
           im.refused_hh);
    printf("%-11s %9ld %9ld %9ld %9ld %9ld\n", "members", lines, c.m_ins, c.m_upd, staged_m - c.m_ins - c.m_upd,
           im.refused_lines);
    printf("members no longer in their household (left_on set): %ld; natural-change events recorded: %ld\n",
           c.m_left, c.events);
    if (im.refused_lines)
        printf("%ld line%s refused, in %ld household%s; a household with a refused line is not loaded at all: "
               "see %s\n",
               im.refused_lines, im.refused_lines == 1 ? "" : "s", im.refused_hh, im.refused_hh == 1 ? "" : "s",
               results);
    printf("%ld lines in %.2f s (%.0f lines/s): read and check %.2f s, stage %.2f s, write %.2f s\n", lines, secs,
           secs > 0 ? (double)lines / secs : 0.0, t_parse - t0, t_stage - t_parse, t_write - t_stage);
    free(results);
    int rc = im.refused_lines || !written ? 1 : 0;
    s_im_free(&im);
    return rc;
}

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: fangpinctl ledger import FILE...\n"
            "  load quarterly census files of the rural population ledger (乡村人口台账): one CSV line\n"
            "  per member, the household's columns repeated on each; UTF-8 (with or without BOM) or GBK.\n"
            "  Columns (Chinese or English names, any order; docs/ledger.md has the values):\n"
            "    户编号 村代码 户类型 监测类型 户主姓名 姓名 身份证号 与户主关系 性别 出生日期 劳动能力\n"
            "    健康状况 在校情况 是否参保 工资性收入(元) 公益性岗位收入(元) 生产经营性收入(元)\n"
            "    财产性收入(元) 养老金(元) 计划生育金(元) 生态补偿金(元) 低保金(元) 特困供养金(元)\n"
            "    其他转移性收入(元) 生产经营费用支出(元) 医疗自付(元) 饮水安全 住房安全 调查期\n"
            "    optional: 吃穿不愁 义务教育保障 基本医疗保障 残疾等级\n"
            "  Each file is one transaction; a household with a refused line is not loaded at all;\n"
            "  FILE.results.csv lists refused lines with reasons. Importing the same file again changes\n"
            "  nothing. Members missing from a household of the file get left_on and a move_out event.\n"
            "  Exit status: 0 all loaded, 1 some lines refused (or a failure), 2 usage.\n"
            "PostgreSQL: $FANGPIN_PG\n");
}

int ctl_cmd_ledger(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        s_usage(stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "import")) {
        s_usage(stderr);
        return 2;
    }
    for (int i = 2; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ledger import: unknown option %s\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    bool failed;
    fp_seal_t *seal = ctl_data_key(true, &failed);
    if (!seal) return 1;
    PGconn *conn = ctl_pg_connect();
    char errbuf[1024] = "";
    if (!conn || ctl_migrate(conn, "ledger", NULL) != 0 ||
        fp_migrate_check_data_key(conn, seal, errbuf, sizeof errbuf) != FP_OK) {
        if (conn && PQstatus(conn) == CONNECTION_OK && errbuf[0]) fprintf(stderr, "ledger: %s\n", errbuf);
        PQfinish(conn);
        fp_seal_free(&seal);
        return 1;
    }
    PQclear(PQexec(conn, "SET temp_buffers = '256MB'"));
    PQclear(PQexec(conn, "SET jit = off"));
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        int r = s_import_file(conn, seal, argv[i]);
        if (r > rc) rc = r;
    }
    PQfinish(conn);
    fp_seal_free(&seal);
    return rc;
}
