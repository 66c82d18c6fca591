/* profile.c: column profiles (profile.h): the text format, the built-in profile, a header's
 * layout, a row's fields, dates and amounts. docs/push.md "Column profiles" is the guide. */
#include "profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "money.h"
#include "textenc.h"

static const char *const s_keys[FP_PF_N] = {"id_number",   "name",   "village", "kind",
                                            "occurred_on", "amount", "detail",  "line_ref"};

const char *fp_profile_field_key(fp_pf_field_t f) { return f < FP_PF_N ? s_keys[f] : "?"; }

/* The built-in profile: the names fangpinctl push has always read. */
static const char *const s_default[FP_PF_N][FP_PROFILE_NAMES] = {
    [FP_PF_ID] = {"身份证号", "公民身份号码", "id_number"},
    [FP_PF_NAME] = {"姓名", "name"},
    [FP_PF_VILLAGE] = {"村代码", "行政村代码", "village_code"},
    [FP_PF_KIND] = {"线索类型", "lead_kind", "kind"},
    [FP_PF_DATE] = {"发生日期", "日期", "occurred_on", "date"},
    [FP_PF_AMOUNT] = {"金额(元)", "金额", "amount_yuan", "amount"},
    [FP_PF_DETAIL] = {"情况说明", "说明", "detail"},
    [FP_PF_REF] = {"行号", "序号", "ref", "line_ref"},
};

void fp_profile_default(fp_profile_t *out)
{
    memset(out, 0, sizeof *out);
    for (int f = 0; f < FP_PF_N; f++) {
        fp_profile_source_t *s = &out->f[f];
        s->how = FP_PROFILE_ANY_OF;
        for (int k = 0; k < FP_PROFILE_NAMES && s_default[f][k]; k++)
            snprintf(s->names[s->n++], FP_PROFILE_NAME_MAX, "%s", s_default[f][k]);
    }
    out->dates = FP_PROFILE_DATE_ALL;
    out->lenient = true;
    out->header_row = 1;
}

/* ---- text helpers ----------------------------------------------------------------------- */

static const char *s_trim(const char *s, size_t *n)
{
    size_t a = fp_ws_lead(s, *n);
    size_t b = a < *n ? fp_ws_trail(s + a, *n - a) : 0;
    *n = *n - a - b;
    return s + a;
}

/* s[0..n) for comparing headers: ASCII lower case, full-width （） as (). Returns the length. */
static size_t s_fold(const char *s, size_t n, char *out, size_t outsz)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBC &&
            ((unsigned char)s[i + 2] == 0x88 || (unsigned char)s[i + 2] == 0x89)) {
            out[j++] = (unsigned char)s[i + 2] == 0x88 ? '(' : ')';
            i += 2;
            continue;
        }
        out[j++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[j] = '\0';
    return j;
}

/* A header cell is the name (after trimming and folding). */
static bool s_same(const char *cell, size_t n, const char *name)
{
    char a[4 * FP_PROFILE_NAME_MAX], b[4 * FP_PROFILE_NAME_MAX];
    cell = s_trim(cell, &n);
    if (n >= sizeof a - 1) return false;
    size_t la = s_fold(cell, n, a, sizeof a), lb = s_fold(name, strlen(name), b, sizeof b);
    return la == lb && memcmp(a, b, la) == 0;
}

/* ---- the text format -------------------------------------------------------------------- */

typedef struct {
    fp_profile_t *p;
    int line;
    char *err;
    size_t errsz;
    int field_line[FP_PF_N];
    int dates_line, unit_line, header_line;
} s_parse_t;

__attribute__((format(printf, 2, 3))) static fp_err_t s_fail(s_parse_t *ps, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->line > 0) snprintf(ps->err, ps->errsz, "line %d: %s", ps->line, msg);
    else snprintf(ps->err, ps->errsz, "%s", msg);
    return FP_EINVAL;
}

/* Splits v[0..n) at sep (a byte string) into trimmed pieces; each must be 1..NAME_MAX-1 bytes. */
static fp_err_t s_split(s_parse_t *ps, const char *v, size_t n, const char *const *seps,
                        char (*out)[FP_PROFILE_NAME_MAX], size_t max, uint8_t *count, const char *key)
{
    *count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t seplen = 0;
        for (int k = 0; i < n && seps[k] && !seplen; k++)
            if (strncmp(v + i, seps[k], strlen(seps[k])) == 0) seplen = strlen(seps[k]);
        if (i < n && !seplen) continue;
        size_t len = i - start;
        const char *piece = s_trim(v + start, &len);
        if (len == 0) return s_fail(ps, "%s: an empty name between separators", key);
        if (len >= FP_PROFILE_NAME_MAX) return s_fail(ps, "%s: a name is longer than 95 bytes", key);
        if (*count == max) return s_fail(ps, "%s: too many names (at most %zu)", key, max);
        memcpy(out[*count], piece, len);
        out[*count][len] = '\0';
        (*count)++;
        if (i < n) i += seplen - 1;
        start = i + 1;
    }
    return FP_OK;
}

/* field = HEADER | "fixed" | A | B | A + B */
static fp_err_t s_set_field(s_parse_t *ps, int f, const char *v, size_t n)
{
    if (ps->field_line[f]) {
        return s_fail(ps, "%s is mapped twice (first on line %d): keep one line", s_keys[f], ps->field_line[f]);
    }
    ps->field_line[f] = ps->line;
    fp_profile_source_t *s = &ps->p->f[f];
    s->line = ps->line;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        if (n - 2 >= FP_PROFILE_NAME_MAX || memchr(v + 1, '"', n - 2) || n == 2)
            return s_fail(ps, "%s: a fixed value is 1 to 95 bytes between double quotes, without quotes inside",
                          s_keys[f]);
        s->how = FP_PROFILE_FIXED;
        s->n = 1;
        memcpy(s->names[0], v + 1, n - 2);
        s->names[0][n - 2] = '\0';
        return FP_OK;
    }
    bool any = memchr(v, '|', n) != NULL, join = memchr(v, '+', n) != NULL;
    if (any && join)
        return s_fail(ps, "%s: use either | (one of these columns) or + (these columns joined)", s_keys[f]);
    static const char *const bar[] = {"|", NULL}, *const plus[] = {"+", NULL};
    s->how = join ? FP_PROFILE_JOIN : FP_PROFILE_ANY_OF;
    return s_split(ps, v, n, join ? plus : bar, s->names, FP_PROFILE_NAMES, &s->n, s_keys[f]);
}

static const struct {
    const char *name[2];
    unsigned bit;
} s_date_forms[] = {
    {{"YYYY-M-D", "YYYY-MM-DD"}, FP_PROFILE_DATE_DASH},
    {{"YYYY/M/D", "YYYY/MM/DD"}, FP_PROFILE_DATE_SLASH},
    {{"YYYY.M.D", "YYYY.MM.DD"}, FP_PROFILE_DATE_DOT},
    {{"YYYYMMDD", "YYYYMMDD"}, FP_PROFILE_DATE_COMPACT},
    {{"YYYY年M月D日", "YYYY年MM月DD日"}, FP_PROFILE_DATE_CHINESE},
};

static fp_err_t s_set_dates(s_parse_t *ps, const char *v, size_t n)
{
    char forms[FP_PROFILE_KEEP][FP_PROFILE_NAME_MAX];
    uint8_t count = 0;
    static const char *const seps[] = {",", "，", NULL};
    if (s_split(ps, v, n, seps, forms, FP_PROFILE_KEEP, &count, "date_format")) return FP_EINVAL;
    ps->p->dates = 0;
    for (uint8_t i = 0; i < count; i++) {
        unsigned bit = 0;
        for (size_t k = 0; k < sizeof s_date_forms / sizeof *s_date_forms && !bit; k++)
            if (!strcmp(forms[i], s_date_forms[k].name[0]) || !strcmp(forms[i], s_date_forms[k].name[1]))
                bit = s_date_forms[k].bit;
        if (!bit)
            return s_fail(ps,
                          "date_format: unknown form '%s' (the forms: YYYY-M-D, YYYY/M/D, YYYY.M.D, YYYYMMDD,"
                          " YYYY年M月D日)",
                          forms[i]);
        ps->p->dates |= bit;
    }
    return FP_OK;
}

static fp_err_t s_set_setting(s_parse_t *ps, const char *key, const char *v, size_t n)
{
    int *seen = !strcmp(key, "date_format") ? &ps->dates_line
        : !strcmp(key, "amount_unit")       ? &ps->unit_line
        : !strcmp(key, "header_row")        ? &ps->header_line
                                            : &ps->p->keep_line;
    if (*seen) return s_fail(ps, "%s is set twice: keep one line", key);
    *seen = ps->line;
    if (seen == &ps->dates_line) return s_set_dates(ps, v, n);
    if (seen == &ps->p->keep_line) {
        static const char *const seps[] = {",", "，", NULL};
        return s_split(ps, v, n, seps, ps->p->keep, FP_PROFILE_KEEP, &ps->p->nkeep, "keep");
    }
    if (seen == &ps->unit_line) {
        bool yuan = n == strlen("元") && !memcmp(v, "元", n), wan = n == strlen("万元") && !memcmp(v, "万元", n);
        if (!yuan && !wan) return s_fail(ps, "amount_unit is 元 or 万元");
        ps->p->wan = wan;
        return FP_OK;
    }
    unsigned row = 0;
    for (size_t i = 0; i < n && row <= FP_PROFILE_HEADER_ROW_MAX; i++)
        row = v[i] >= '0' && v[i] <= '9' ? row * 10 + (unsigned)(v[i] - '0') : FP_PROFILE_HEADER_ROW_MAX + 1;
    if (n == 0 || row < 1 || row > FP_PROFILE_HEADER_ROW_MAX)
        return s_fail(ps, "header_row is the header's row number, 1 to 100");
    ps->p->header_row = row;
    return FP_OK;
}

/* One line: blank, "# comment" or "key = value". */
static fp_err_t s_line(s_parse_t *ps, const char *s, size_t n)
{
    s = s_trim(s, &n);
    if (n == 0 || s[0] == '#') return FP_OK;
    const char *eq = memchr(s, '=', n);
    if (!eq) return s_fail(ps, "no '=': write key = value (or # before a comment)");
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    const char *k = s_trim(s, &kn), *v = s_trim(eq + 1, &vn);
    char key[32];
    if (kn == 0 || kn >= sizeof key) return s_fail(ps, "no key before '='");
    memcpy(key, k, kn);
    key[kn] = '\0';
    if (vn == 0) return s_fail(ps, "%s has no value (leave the line out for none)", key);
    for (int f = 0; f < FP_PF_N; f++)
        if (!strcmp(key, s_keys[f])) return s_set_field(ps, f, v, vn);
    if (!strcmp(key, "date_format") || !strcmp(key, "amount_unit") || !strcmp(key, "header_row") ||
        !strcmp(key, "keep"))
        return s_set_setting(ps, key, v, vn);
    return s_fail(ps,
                  "unknown key '%s' (the keys: id_number, name, village, kind, occurred_on, amount, detail, line_ref,"
                  " date_format, amount_unit, keep, header_row)",
                  key);
}

/* After the last line: the required fields are mapped, no column serves twice. */
static fp_err_t s_check(s_parse_t *ps)
{
    ps->line = 0;
    for (int f = 0; f < FP_PF_REQUIRED; f++)
        if (ps->p->f[f].how == FP_PROFILE_NONE)
            return s_fail(ps, "%s is not mapped: add a line `%s = ITS COLUMN` (or a fixed \"value\")", s_keys[f],
                          s_keys[f]);
    const char *seen[FP_PF_N * FP_PROFILE_NAMES + FP_PROFILE_KEEP];
    int seen_line[FP_PF_N * FP_PROFILE_NAMES + FP_PROFILE_KEEP];
    size_t nseen = 0;
    for (int f = 0; f <= FP_PF_N; f++) {
        const fp_profile_source_t *s = f < FP_PF_N ? &ps->p->f[f] : NULL;
        if (s && s->how == FP_PROFILE_FIXED) continue;
        size_t count = s ? s->n : ps->p->nkeep;
        for (size_t i = 0; i < count; i++) {
            const char *name = s ? s->names[i] : ps->p->keep[i];
            for (size_t j = 0; j < nseen; j++)
                if (s_same(name, strlen(name), seen[j])) {
                    ps->line = s ? s->line : ps->p->keep_line;
                    return s_fail(ps, "the column '%s' is already used on line %d: a column gives one field", name,
                                  seen_line[j]);
                }
            seen_line[nseen] = s ? s->line : ps->p->keep_line;
            seen[nseen++] = name;
        }
    }
    return FP_OK;
}

fp_err_t fp_profile_parse(const char *text, size_t len, fp_profile_t *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    out->dates = FP_PROFILE_DATE_ALL;
    out->header_row = 1;
    s_parse_t ps = {.p = out, .err = err, .errsz = errsz};
    if (errsz) err[0] = '\0';
    if (len > FP_PROFILE_TEXT_MAX) return s_fail(&ps, "the profile is longer than 64 KiB");
    if (!fp_utf8_valid(text, len)) return s_fail(&ps, "the profile is not UTF-8 text");
    if (memchr(text, '\0', len)) return s_fail(&ps, "the profile holds a NUL byte");
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, len -= 3;
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
        ps.line++;
        if (s_line(&ps, text + off, n)) return FP_EINVAL;
        off += n + 1;
    }
    return s_check(&ps);
}

/* ---- a file's header -------------------------------------------------------------------- */

/* The column of the header named name, or -1; -2 (after why) when two columns have that name. */
static int32_t s_find(const char *const *cells, const size_t *lens, size_t n, const char *name, fp_buf_t *why)
{
    int32_t found = -1;
    for (size_t i = 0; i < n; i++) {
        if (!s_same(cells[i], lens[i], name)) continue;
        if (found >= 0) {
            fp_buf_printf(why, "columns %d and %zu are both named '%s': rename or delete one\n", found + 1, i + 1,
                          name);
            return -2;
        }
        found = (int32_t)i;
    }
    return found;
}

/* The column of an ANY_OF field: -1 absent, -2 (after why) two of its names are present. */
static int32_t s_any_of(const fp_profile_source_t *s, int f, const char *const *cells, const size_t *lens, size_t n,
                        fp_buf_t *why)
{
    int32_t col = -1;
    uint8_t first = 0;
    for (uint8_t k = 0; k < s->n; k++) {
        int32_t c = s_find(cells, lens, n, s->names[k], why);
        if (c == -2) return -2;
        if (c < 0) continue;
        if (col >= 0) {
            fp_buf_printf(why, "columns %d (%s) and %d (%s) both give %s: keep one\n", col + 1, s->names[first], c + 1,
                          s->names[k], s_keys[f]);
            return -2;
        }
        col = c;
        first = k;
    }
    return col;
}

static void s_missing(const fp_profile_source_t *s, int f, fp_buf_t *why)
{
    if (s->how == FP_PROFILE_ANY_OF && s->n > 1) {
        fp_buf_printf(why, "no column for %s (name it ", s_keys[f]);
        for (uint8_t k = 0; k < s->n; k++)
            fp_buf_printf(why, "%s%s", k ? (k + 1 < s->n ? ", " : " or ") : "", s->names[k]);
        fp_buf_puts(why, ")\n");
    } else {
        fp_buf_printf(why, "no column for %s (the profile names it '%s')\n", s_keys[f], s->names[0]);
    }
}

/* Field f's columns into lay; false after why. */
static bool s_field_cols(const fp_profile_t *p, int f, const char *const *cells, const size_t *lens, size_t n,
                         fp_profile_layout_t *lay, fp_buf_t *why)
{
    const fp_profile_source_t *s = &p->f[f];
    bool must = f < FP_PF_REQUIRED || !p->lenient;
    if (s->how == FP_PROFILE_ANY_OF) {
        int32_t c = s_any_of(s, f, cells, lens, n, why);
        if (c == -2) return false;
        lay->col[f][0] = c;
        lay->ncol[f] = c >= 0;
        if (c < 0 && must) s_missing(s, f, why);
        return c >= 0 || !must;
    }
    if (s->how != FP_PROFILE_JOIN) return true;
    bool ok = true;
    for (uint8_t k = 0; k < s->n; k++) {
        int32_t c = s_find(cells, lens, n, s->names[k], why);
        if (c == -1)
            fp_buf_printf(why, "no column '%s' for %s (joined from %u columns)\n", s->names[k], s_keys[f], s->n);
        ok = ok && c >= 0;
        lay->col[f][k] = c;
    }
    lay->ncol[f] = ok ? s->n : 0;
    return ok;
}

fp_err_t fp_profile_header(const fp_profile_t *p, const char *const *cells, const size_t *lens, size_t n,
                           fp_profile_layout_t *lay, fp_buf_t *why)
{
    memset(lay, 0, sizeof *lay);
    lay->ncols = n;
    bool ok = true;
    for (int f = 0; f < FP_PF_N; f++) {
        for (int k = 0; k < FP_PROFILE_NAMES; k++) lay->col[f][k] = -1;
        if (!s_field_cols(p, f, cells, lens, n, lay, why)) ok = false;
    }
    for (uint8_t k = 0; k < p->nkeep; k++) {
        lay->keep[k] = s_find(cells, lens, n, p->keep[k], why);
        if (lay->keep[k] == -1 && !p->lenient)
            fp_buf_printf(why, "no column '%s' (the profile keeps it in the detail)\n", p->keep[k]);
        if (lay->keep[k] == -2 || (lay->keep[k] == -1 && !p->lenient)) ok = false;
    }
    /* one column giving two fields (the built-in names overlap nowhere; a parsed profile was
     * checked by name, but 金额(元) and 金额（元） are one name only after folding) */
    for (int f = 0; f < FP_PF_N && ok; f++)
        for (int g = f + 1; g < FP_PF_N && ok; g++)
            for (uint8_t a = 0; a < lay->ncol[f] && ok; a++)
                for (uint8_t b = 0; b < lay->ncol[g] && ok; b++)
                    if (lay->col[f][a] == lay->col[g][b]) {
                        fp_buf_printf(why, "column %d gives both %s and %s: a column gives one field\n",
                                      lay->col[f][a] + 1, s_keys[f], s_keys[g]);
                        ok = false;
                    }
    return ok ? FP_OK : FP_EINVAL;
}

/* ---- a row ------------------------------------------------------------------------------ */

static void s_cell(const char *const *cells, const size_t *lens, size_t n, int32_t c, bool trim, const char **s,
                   size_t *len)
{
    *s = "";
    *len = 0;
    if (c < 0 || (size_t)c >= n) return;
    *s = cells[c];
    *len = lens[c];
    if (trim) *s = s_trim(*s, len);
}

void fp_profile_value(const fp_profile_t *p, const fp_profile_layout_t *lay, fp_pf_field_t f, const char *const *cells,
                      const size_t *lens, size_t n, fp_buf_t *out)
{
    if (f >= FP_PF_N) return;
    const fp_profile_source_t *s = &p->f[f];
    size_t start = out->len;
    if (s->how == FP_PROFILE_FIXED) fp_buf_puts(out, s->names[0]);
    for (uint8_t k = 0; k < lay->ncol[f]; k++) {
        const char *v;
        size_t len;
        s_cell(cells, lens, n, lay->col[f][k], f != FP_PF_DETAIL, &v, &len);
        if (len && f == FP_PF_DETAIL && out->len > start) fp_buf_puts(out, "；");
        fp_buf_append(out, v, len);
    }
    if (f != FP_PF_DETAIL) return;
    for (uint8_t k = 0; k < p->nkeep; k++) {
        const char *v;
        size_t len;
        s_cell(cells, lens, n, lay->keep[k], true, &v, &len);
        if (!len) continue;
        if (out->len > start) fp_buf_puts(out, "；");
        fp_buf_printf(out, "%s：", p->keep[k]);
        fp_buf_append(out, v, len);
    }
}

/* ---- dates ------------------------------------------------------------------------------ */

/* Up to max digits (at least one) at s[*i]; false if none. */
static bool s_digits(const char *s, size_t n, size_t *i, int max, int *v)
{
    int d = 0;
    *v = 0;
    while (*i < n && d < max && s[*i] >= '0' && s[*i] <= '9') *v = *v * 10 + (s[(*i)++] - '0'), d++;
    return d > 0;
}

static bool s_lit(const char *s, size_t n, size_t *i, const char *lit)
{
    size_t l = strlen(lit);
    if (*i + l > n || memcmp(s + *i, lit, l) != 0) return false;
    *i += l;
    return true;
}

/* y, m, d of s in the form bit; false if it is not in that form. */
static bool s_date_form(const char *s, size_t n, unsigned bit, int *y, int *m, int *d)
{
    size_t i = 0;
    if (bit == FP_PROFILE_DATE_COMPACT) {
        if (n != 8 || !s_digits(s, n, &i, 4, y) || i != 4 || !s_digits(s, n, &i, 2, m) || i != 6 ||
            !s_digits(s, n, &i, 2, d))
            return false;
        return i == 8;
    }
    const char *sep[3] = {"-", "-", ""};
    if (bit == FP_PROFILE_DATE_SLASH) sep[0] = sep[1] = "/";
    if (bit == FP_PROFILE_DATE_DOT) sep[0] = sep[1] = ".";
    if (bit == FP_PROFILE_DATE_CHINESE) sep[0] = "年", sep[1] = "月", sep[2] = "日";
    if (!s_digits(s, n, &i, 4, y) || i != 4 || !s_lit(s, n, &i, sep[0])) return false;
    if (!s_digits(s, n, &i, 2, m) || !s_lit(s, n, &i, sep[1])) return false;
    if (!s_digits(s, n, &i, 2, d) || !s_lit(s, n, &i, sep[2])) return false;
    return i == n;
}

fp_err_t fp_profile_date(const fp_profile_t *p, const char *s, size_t n, char out[11])
{
    s = s_trim(s, &n);
    for (unsigned bit = 1; bit & FP_PROFILE_DATE_ALL; bit <<= 1) {
        int y, m, d;
        if (!(p->dates & bit) || !s_date_form(s, n, bit, &y, &m, &d)) continue;
        snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
        bool real = y >= FP_DATE_MIN_YEAR && y <= FP_DATE_MAX_YEAR && fp_date_valid(y, m, d);
        return real ? FP_OK : FP_EDATE;
    }
    return FP_EINVAL;
}

/* ---- amounts ---------------------------------------------------------------------------- */

/* s without thousands separators into out: commas only where they group exactly three digits
 * ("1,234.50"), as Excel writes with a thousands format. false for any other comma. */
static bool s_uncomma(const char *s, size_t n, char *out, size_t outsz)
{
    if (n >= outsz) return false;
    if (!memchr(s, ',', n)) {
        memcpy(out, s, n);
        out[n] = '\0';
        return true;
    }
    size_t i = s[0] == '-' ? 1 : 0, digits = 0, j = 0;
    if (i) out[j++] = '-';
    while (i < n && s[i] >= '0' && s[i] <= '9') out[j++] = s[i++], digits++;
    if (digits < 1 || digits > 3) return false;
    while (i < n && s[i] == ',') {
        i++;
        for (int k = 0; k < 3; k++, i++) {
            if (i >= n || s[i] < '0' || s[i] > '9') return false;
            out[j++] = s[i];
        }
    }
    if (i < n && s[i] != '.') return false;
    while (i < n) out[j++] = s[i++];
    out[j] = '\0';
    return true;
}

/* 万元 as 元: the decimal point four places to the right ("0.00015" -> "1.5", "12" -> "120000");
 * false when it is no plain decimal number (then the yuan parser would refuse it too). */
static bool s_wan_to_yuan(const char *s, char *out, size_t outsz)
{
    size_t i = 0, j = 0;
    if (s[i] == '-') out[j++] = s[i++];
    size_t int_start = i;
    while (s[i] >= '0' && s[i] <= '9') i++;
    size_t int_len = i - int_start, frac_len = 0;
    const char *frac = "";
    if (s[i] == '.') {
        frac = s + i + 1;
        while (frac[frac_len] >= '0' && frac[frac_len] <= '9') frac_len++;
        if (frac_len == 0) return false;
        i += 1 + frac_len;
    }
    if (int_len == 0 || s[i] != '\0' || int_len + frac_len + 6 >= outsz) return false;
    char digits[64];
    size_t nd = 0;
    memcpy(digits, s + int_start, int_len), nd = int_len;
    for (size_t k = 0; k < 4; k++) digits[nd++] = k < frac_len ? frac[k] : '0';
    size_t lead = 0;
    while (lead + 1 < nd && digits[lead] == '0') lead++;
    memcpy(out + j, digits + lead, nd - lead), j += nd - lead;
    if (frac_len > 4) {
        out[j++] = '.';
        memcpy(out + j, frac + 4, frac_len - 4), j += frac_len - 4;
    }
    out[j] = '\0';
    return true;
}

fp_err_t fp_profile_amount(const fp_profile_t *p, const char *s, size_t n, int64_t *fen)
{
    char plain[64], yuan[80];
    s = s_trim(s, &n);
    if (n == 0 || memchr(s, '\0', n) || !s_uncomma(s, n, plain, sizeof plain)) return FP_EINVAL;
    if (!p->wan) return fp_money_parse_yuan(plain, fen);
    if (!s_wan_to_yuan(plain, yuan, sizeof yuan)) return FP_EINVAL;
    return fp_money_parse_yuan(yuan, fen);
}
