/* compare.h: data comparison with departments (数据比对, docs/compare.md), the pure part shared
 * by intake and fangpinctl: the export's columns by their Chinese headers, and each department's
 * answer file (its columns, what each cell may say, the value dept_facts keeps). */
#ifndef FP_COMPARE_H
#define FP_COMPARE_H
#include <stdbool.h>
#include <stddef.h>

typedef enum { FP_COMPARE_YESNO, FP_COMPARE_DATE, FP_COMPARE_AMOUNT } fp_compare_kind_t;

/* One column of a department's answer file: the fact it gives (dept_facts.fact). */
typedef struct {
    const char *dept;      /* department_types.code */
    const char *fact;      /* insured, insured_on, dibao, dibao_fen, house_safe, at_school */
    const char *header_zh; /* the column's name in the file, e.g. 参保状态 */
    fp_compare_kind_t kind;
    const char *const *yes, *const *no; /* FP_COMPARE_YESNO: the column's own words (NULL-ended) */
} fp_compare_fact_t;

/* The answer file's column of the ID number (every department's). */
#define FP_COMPARE_ID_HEADER "身份证号"
/* The most facts one answer carries. */
#define FP_COMPARE_MAX_FACTS 4
/* The longest stored value (a date, yes/no, or fen). */
#define FP_COMPARE_VALUE_MAX 24

/* The Chinese header of an export column (compare_columns.column_name), NULL when unknown. */
const char *fp_compare_column_zh(const char *column);
/* The answer columns of department dept (NULL and *n = 0: it has no answer file). */
const fp_compare_fact_t *fp_compare_facts(const char *dept, size_t *n);
/* The fact of dept whose column is header (trimmed; 元 in full- or half-width brackets alike),
 * or NULL. */
const fp_compare_fact_t *fp_compare_fact_by_header(const char *dept, const char *header);
/* The fact of dept named fact, or NULL. */
const fp_compare_fact_t *fp_compare_fact_by_name(const char *dept, const char *fact);
/* A cell of f's column as the value dept_facts keeps: yes/no (是/否, yes/no, 1/0 and the column's
 * own words: 已参保/未参保, 在保/停保; 安全/不安全, 危房, grades A-D; 在校/在读/在籍, 辍学/失学/
 * 未入学), YYYY-MM-DD (also YYYYMMDD, YYYY/MM/DD), fen (yuan with at most two decimals, not
 * negative). 1: an empty cell (no fact); 0: out holds the value; -1: not a value of the column. */
int fp_compare_value(const fp_compare_fact_t *f, const char *cell, char *out, size_t outsz);
/* Is value already the kept form of f's fact (what intake accepts)? */
bool fp_compare_value_ok(const fp_compare_fact_t *f, const char *value);

#endif
