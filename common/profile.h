/* profile.h: column profiles, how a department's export file is laid out (docs/push.md "Column
 * profiles"): for each lead field the header it comes from (one of several, or several joined),
 * a fixed value, or nothing; the date forms and the unit of amounts; extra columns kept in the
 * detail; the row of the header. Pure: fangpinctl push and intake's department desk map a
 * file's rows with the same rules. A profile is a plain struct, parsed from text such as
 *
 *     id_number   = 身份证号码
 *     village     = 乡镇（街道） + 村（社区）
 *     kind        = "minzheng.dibao_stop"
 *     occurred_on = 变动日期
 *     date_format = YYYY年M月D日
 *     amount_unit = 万元
 *     keep        = 保障人数, 联系电话
 */
#ifndef FP_PROFILE_H
#define FP_PROFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mem.h"

/* The lead fields, in the order of proto Lead. The first FP_PF_REQUIRED must be mapped. */
typedef enum {
    FP_PF_ID,
    FP_PF_NAME,
    FP_PF_VILLAGE,
    FP_PF_KIND,
    FP_PF_DATE,
    FP_PF_AMOUNT,
    FP_PF_DETAIL,
    FP_PF_REF,
    FP_PF_N
} fp_pf_field_t;
#define FP_PF_REQUIRED 5

#define FP_PROFILE_NAMES 8        /* headers of one field (alternatives or joined) */
#define FP_PROFILE_KEEP 16        /* extra columns kept in the detail */
#define FP_PROFILE_NAME_MAX 96    /* bytes of a header name or a fixed value, NUL included */
#define FP_PROFILE_TEXT_MAX 65536 /* bytes of a profile's text */
#define FP_PROFILE_HEADER_ROW_MAX 100

/* Where a field comes from. */
typedef enum {
    FP_PROFILE_NONE,   /* not in the file: empty (line_ref: the line number) */
    FP_PROFILE_ANY_OF, /* the one column named by any of names[] (A | B | C) */
    FP_PROFILE_JOIN,   /* the columns names[] joined (A + B); detail's parts by "；" */
    FP_PROFILE_FIXED,  /* names[0] on every line ("text") */
} fp_profile_how_t;

typedef struct {
    fp_profile_how_t how;
    uint8_t n;
    char names[FP_PROFILE_NAMES][FP_PROFILE_NAME_MAX];
    int line; /* the profile text's line that set it; 0 for the built-in profile */
} fp_profile_source_t;

/* The date forms (bits of fp_profile_t.dates); M and D may have one or two digits, except in
 * YYYYMMDD. */
enum {
    FP_PROFILE_DATE_DASH = 1u << 0,    /* YYYY-M-D  (2026-10-03, 2026-10-3) */
    FP_PROFILE_DATE_SLASH = 1u << 1,   /* YYYY/M/D  (2026/10/3) */
    FP_PROFILE_DATE_DOT = 1u << 2,     /* YYYY.M.D  (2026.10.03) */
    FP_PROFILE_DATE_COMPACT = 1u << 3, /* YYYYMMDD  (20261003) */
    FP_PROFILE_DATE_CHINESE = 1u << 4, /* YYYY年M月D日 (2026年10月3日) */
    FP_PROFILE_DATE_ALL = (1u << 5) - 1,
};

typedef struct {
    fp_profile_source_t f[FP_PF_N];
    unsigned dates; /* FP_PROFILE_DATE_* accepted; default all */
    bool wan;       /* amounts are in 万元 (else 元) */
    bool lenient;   /* optional columns and kept columns may be absent (the built-in one) */
    uint8_t nkeep;
    char keep[FP_PROFILE_KEEP][FP_PROFILE_NAME_MAX];
    int keep_line;
    uint32_t header_row; /* the header is the file's header_row-th record (1 = the first) */
} fp_profile_t;

/* The field's key in a profile's text ("id_number", "village", ...). */
const char *fp_profile_field_key(fp_pf_field_t f);

/* The built-in profile: the column names fangpinctl push has always read (身份证号 | 公民身份号码 |
 * id_number, ...), every date form, amounts in 元, optional columns that may be absent. */
void fp_profile_default(fp_profile_t *out);

/* Parses a profile's text (UTF-8, an optional BOM; at most FP_PROFILE_TEXT_MAX bytes). On
 * failure returns FP_EINVAL and writes "line N: why" (or why, for a missing mapping) into err,
 * always NUL-terminated; *out is then unspecified. */
fp_err_t fp_profile_parse(const char *text, size_t len, fp_profile_t *out, char *err, size_t errsz);

/* Where the fields are in a file with a given header. */
typedef struct {
    int32_t col[FP_PF_N][FP_PROFILE_NAMES]; /* ANY_OF: col[f][0] (-1 absent); JOIN: one per name */
    uint8_t ncol[FP_PF_N];
    int32_t keep[FP_PROFILE_KEEP]; /* -1: absent */
    size_t ncols;                  /* cells in the header */
} fp_profile_layout_t;

/* Finds the profile's columns in the header cells (trimmed, ASCII case and （）/() ignored).
 * FP_EINVAL when a required field, a joined column, or (unless lenient) any column the profile
 * names is absent, or when a column the profile uses appears twice or gives two fields: then
 * each problem is one line of why (ending in '\n'). */
fp_err_t fp_profile_header(const fp_profile_t *p, const char *const *cells, const size_t *lens, size_t n,
                           fp_profile_layout_t *lay, fp_buf_t *why);

/* Appends field f of a record to out: the trimmed cell, the joined cells, the fixed value, or
 * nothing; the detail is not trimmed and ends with the kept columns as "列名：值" pieces joined by
 * "；" (empty ones left out). Cells beyond n are empty. */
void fp_profile_value(const fp_profile_t *p, const fp_profile_layout_t *lay, fp_pf_field_t f, const char *const *cells,
                      const size_t *lens, size_t n, fp_buf_t *out);

/* A date in one of the profile's forms as "YYYY-MM-DD" in out: FP_OK; FP_EDATE when the form
 * matches but the day does not exist (2026年2月30日; out holds "2026-02-30" then); FP_EINVAL
 * for anything else (out untouched). Surrounding spaces are ignored. */
fp_err_t fp_profile_date(const fp_profile_t *p, const char *s, size_t n, char out[11]);

/* An amount in the profile's unit as fen, exactly: 元 with at most two decimals, 万元 with at
 * most six (0.00015 万元 = 150 fen); commas only as thousands separators ("1,234.50").
 * FP_EINVAL for any other text (more decimals are refused, never rounded), FP_ERANGE beyond
 * FP_MONEY_MAX_FEN. *fen is written only on FP_OK. */
fp_err_t fp_profile_amount(const fp_profile_t *p, const char *s, size_t n, int64_t *fen);

#endif
