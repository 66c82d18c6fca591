/* compare.c: the export's headers and the departments' answer files (compare.h, docs/compare.md). */
#include "compare.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "money.h"

static const struct {
    const char *column, *zh;
} s_columns[] = {
    {"name", "姓名"},
    {"id_number", "身份证号"},
    {"village_code", "村代码"},
    {"household_no", "户编号"},
    {"relation", "与户主关系"},
    {"household_type", "户类型"},
    {"birth_date", "出生日期"},
    {"insured", "是否参保"},
    {"schooling", "在校情况"},
    {"dibao_yuan", "低保金(元)"},
    {"tekun_yuan", "特困供养金(元)"},
    {"housing_ok", "住房安全"},
};

/* The words of a yes/no column besides 是/否, yes/no, 1/0: each department's own. */
static const char *const s_insured_yes[] = {"已参保", "在保", NULL};
static const char *const s_insured_no[] = {"未参保", "停保", "不在保", NULL};
/* 住房安全鉴定: the grades of the appraisal of rural houses, A and B safe, C and D dangerous. */
static const char *const s_house_yes[] = {"安全", "A", "B", "A级", "B级", NULL};
static const char *const s_house_no[] = {"不安全", "危房", "C", "D", "C级", "D级", NULL};
/* 学籍状态: at school (enrolled and attending) or not. */
static const char *const s_school_yes[] = {"在校", "在读", "在籍", NULL};
static const char *const s_school_no[] = {"不在校", "辍学", "失学", "未入学", NULL};

static const fp_compare_fact_t s_facts[] = {
    {"yibao", "insured", "参保状态", FP_COMPARE_YESNO, s_insured_yes, s_insured_no},
    {"yibao", "insured_on", "参保日期", FP_COMPARE_DATE, NULL, NULL},
    {"minzheng", "dibao", "低保状态", FP_COMPARE_YESNO, s_insured_yes, s_insured_no},
    {"minzheng", "dibao_fen", "月保障金额(元)", FP_COMPARE_AMOUNT, NULL, NULL},
    {"zhujian", "house_safe", "住房安全鉴定", FP_COMPARE_YESNO, s_house_yes, s_house_no},
    {"jiaoyu", "at_school", "学籍状态", FP_COMPARE_YESNO, s_school_yes, s_school_no},
};

#define S_N(a) (sizeof(a) / sizeof((a)[0]))

const char *fp_compare_column_zh(const char *column)
{
    for (size_t i = 0; column && i < S_N(s_columns); i++)
        if (strcmp(s_columns[i].column, column) == 0) return s_columns[i].zh;
    return NULL;
}

const fp_compare_fact_t *fp_compare_facts(const char *dept, size_t *n)
{
    const fp_compare_fact_t *first = NULL;
    *n = 0;
    for (size_t i = 0; dept && i < S_N(s_facts); i++)
        if (strcmp(s_facts[i].dept, dept) == 0) {
            if (!first) first = &s_facts[i];
            ++*n;
        }
    return first;
}

/* header trimmed of ASCII spaces into out, with "（元）" written "(元)"; false when too long. */
static bool s_header(const char *header, char *out, size_t outsz)
{
    while (*header == ' ' || *header == '\t') header++;
    size_t n = strlen(header);
    while (n && (header[n - 1] == ' ' || header[n - 1] == '\t' || header[n - 1] == '\r')) n--;
    if (n >= outsz) return false;
    memcpy(out, header, n);
    out[n] = '\0';
    const char *full = "（元）";
    size_t fl = strlen(full);
    if (n >= fl && strcmp(out + n - fl, full) == 0) strcpy(out + n - fl, "(元)");
    return true;
}

const fp_compare_fact_t *fp_compare_fact_by_header(const char *dept, const char *header)
{
    char h[96];
    if (!header || !s_header(header, h, sizeof h)) return NULL;
    size_t n;
    const fp_compare_fact_t *f = fp_compare_facts(dept, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].header_zh, h) == 0) return &f[i];
    return NULL;
}

const fp_compare_fact_t *fp_compare_fact_by_name(const char *dept, const char *fact)
{
    size_t n;
    const fp_compare_fact_t *f = fp_compare_facts(dept, &n);
    for (size_t i = 0; fact && i < n; i++)
        if (strcmp(f[i].fact, fact) == 0) return &f[i];
    return NULL;
}

static const char *const s_yes[] = {"是", "yes", "Yes", "YES", "1", NULL};
static const char *const s_no[] = {"否", "no", "No", "NO", "0", NULL};

static bool s_in(const char *cell, const char *const *words)
{
    for (size_t i = 0; words && words[i]; i++)
        if (strcmp(cell, words[i]) == 0) return true;
    return false;
}

/* out has FP_COMPARE_VALUE_MAX bytes at least (fp_compare_value): yes and no fit. A copy, not
 * snprintf: a million-line answer file makes a million of them. */
static int s_yesno(const fp_compare_fact_t *f, const char *cell, char *out)
{
    const char *v = NULL;
    if (s_in(cell, s_yes) || s_in(cell, f->yes)) v = "yes";
    else if (s_in(cell, s_no) || s_in(cell, f->no)) v = "no";
    if (!v) return -1;
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int fp_compare_value(const fp_compare_fact_t *f, const char *cell, char *out, size_t outsz)
{
    char c[64];
    if (!f || !cell || outsz < FP_COMPARE_VALUE_MAX || !s_header(cell, c, sizeof c)) return -1;
    if (c[0] == '\0') return 1;
    if (f->kind == FP_COMPARE_YESNO) return s_yesno(f, c, out);
    if (f->kind == FP_COMPARE_DATE) {
        int32_t d;
        if (fp_date_parse(c, &d) != FP_OK) return -1;
        fp_date_format(d, out);
        return 0;
    }
    int64_t fen;
    if (fp_money_parse_yuan_nonneg(c, &fen) != FP_OK) return -1;
    snprintf(out, outsz, "%lld", (long long)fen);
    return 0;
}

bool fp_compare_value_ok(const fp_compare_fact_t *f, const char *value)
{
    char back[FP_COMPARE_VALUE_MAX];
    if (!f || !value || value[0] == '\0' || strlen(value) >= FP_COMPARE_VALUE_MAX) return false;
    if (f->kind == FP_COMPARE_YESNO) return strcmp(value, "yes") == 0 || strcmp(value, "no") == 0;
    if (f->kind == FP_COMPARE_DATE) {
        int32_t d;
        if (strlen(value) != 10 || fp_date_parse(value, &d) != FP_OK) return false;
        fp_date_format(d, back);
        return strcmp(back, value) == 0;
    }
    size_t n = strlen(value);
    if (strspn(value, "0123456789") != n || (value[0] == '0' && n > 1) || n > 16) return false;
    return strtoll(value, NULL, 10) <= FP_MONEY_MAX_FEN;
}
