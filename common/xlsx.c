/* xlsx.c: the first worksheet of an .xlsx workbook as CSV-style records (xlsx.h). */
#include "xlsx.h"

#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "date.h"
#include "mem.h"

#define S_NS_SEP '|' /* expat's namespace separator: never in an XML name */
#define S_MAX_RELS 4096
#define S_PATH_MAX 512

/* A cell's value: its own bytes in x->text, or a shared string. */
typedef struct {
    uint32_t row, col;
    uint32_t len;
    bool shared;
    size_t off; /* into x->text, or the shared string's index */
} s_cell_t;

typedef struct {
    char id[64], type[160], target[S_PATH_MAX];
} s_rel_t;

struct fp_xlsx {
    fp_xlsx_limits_t lim;
    char err[320];
    fp_err_t failed;
    zip_t *zip;
    size_t xml_bytes;
    bool date1904;
    char workbook[S_PATH_MAX];
    char first_sheet_rid[64];
    s_rel_t *rels;
    size_t nrels, rels_cap;
    /* shared strings: NUL-terminated in sst, offsets and lengths */
    fp_buf_t sst;
    size_t *sst_off;
    uint32_t *sst_len;
    size_t nsst, sst_cap;
    /* styles: custom numFmt ids that are dates, and per cellXfs entry whether it is a date */
    uint32_t *date_fmts;
    size_t ndate_fmts, date_fmts_cap;
    uint8_t *xf_date;
    size_t nxf, xf_cap;
    /* the sheet */
    s_cell_t *cells;
    size_t ncells, cells_cap;
    fp_buf_t text;
    size_t next;
    /* the record handed out */
    fp_buf_t row;
    char **fields;
    size_t *lens;
    size_t fields_cap;
    fp_csv_record_t rec;
};

/* ---- errors and small helpers ------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static fp_err_t s_fail(fp_xlsx_t *x, fp_err_t rc, const char *fmt, ...)
{
    if (x->failed) return x->failed;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
    x->failed = rc;
    return rc;
}

static const char *s_local(const char *name)
{
    const char *s = strrchr(name, S_NS_SEP);
    return s ? s + 1 : name;
}

static const char *s_attr(const char **atts, const char *local)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(s_local(atts[i]), local) == 0) return atts[i + 1];
    return NULL;
}

static bool s_ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void s_copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

bool fp_xlsx_is_zip(const void *data, size_t len)
{
    const unsigned char *d = data;
    return len >= 4 && d[0] == 'P' && d[1] == 'K' && ((d[2] == 3 && d[3] == 4) || (d[2] == 5 && d[3] == 6));
}

fp_xlsx_t *fp_xlsx_new(void)
{
    fp_xlsx_t *x = fp_new(fp_xlsx_t);
    fp_xlsx_set_limits(x, NULL);
    return x;
}

void fp_xlsx_set_limits(fp_xlsx_t *x, const fp_xlsx_limits_t *l)
{
    fp_xlsx_limits_t d = {512u << 20, 8u << 20, 4u << 20, 128u << 10, 16384, 16u << 20};
    if (l) {
        if (l->max_xml_bytes) d.max_xml_bytes = l->max_xml_bytes;
        if (l->max_cells) d.max_cells = l->max_cells;
        if (l->max_strings) d.max_strings = l->max_strings;
        if (l->max_string_bytes) d.max_string_bytes = l->max_string_bytes;
        if (l->max_cols && l->max_cols < 16384) d.max_cols = l->max_cols;
        if (l->max_row_bytes) d.max_row_bytes = l->max_row_bytes;
    }
    x->lim = d;
}

void fp_xlsx_destroy(fp_xlsx_t **p)
{
    if (!p || !*p) return;
    fp_xlsx_t *x = *p;
    if (x->zip) zip_discard(x->zip);
    free(x->rels);
    fp_buf_free(&x->sst);
    free(x->sst_off);
    free(x->sst_len);
    free(x->date_fmts);
    free(x->xf_date);
    free(x->cells);
    fp_buf_free(&x->text);
    fp_buf_free(&x->row);
    free(x->fields);
    free(x->lens);
    free(x);
    *p = NULL;
}

const char *fp_xlsx_error(const fp_xlsx_t *x) { return x->failed ? x->err : ""; }

/* ---- dates and numbers -------------------------------------------------------------------- */

bool fp_xlsx_serial_date(double serial, bool date1904, char out[11])
{
    if (!(serial >= 0 && serial < 2958466.0)) return false;
    long days = (long)floor(serial);
    if (date1904) days += 1462;
    if (days < 1 || days > 2958465) return false;
    if (days == 60) { /* Excel's 1900-02-29, which it shows though the day never was */
        memcpy(out, "1900-02-29", 11);
        return true;
    }
    /* serial 1 = 1900-01-01; past the phantom day, serial 61 = 1900-03-01 */
    int32_t epoch = fp_date_from_civil(1899, 12, days < 60 ? 31 : 30);
    fp_date_format(epoch + (int32_t)days, out);
    return true;
}

bool fp_xlsx_format_is_date(const char *code)
{
    bool y = false, m = false, d = false, hs = false;
    for (const char *c = code; *c; c++) {
        if (*c == '"') { /* literal text */
            while (c[1] && c[1] != '"') c++;
            if (c[1]) c++;
        } else if (*c == '[') { /* colour, locale, condition, elapsed time */
            if (c[1] == 'h' || c[1] == 'H' || c[1] == 'm' || c[1] == 'M' || c[1] == 's' || c[1] == 'S') hs = true;
            while (c[1] && c[1] != ']') c++;
            if (c[1]) c++;
        } else if (*c == '\\' || *c == '_' || *c == '*') { /* an escaped, a padding, a fill character */
            if (c[1]) c++;
        } else if (*c == ';') {
            break; /* the first section decides */
        } else {
            char l = (char)(*c | 0x20);
            y |= l == 'y' || l == 'e'; /* e: the year in some East Asian locales */
            d |= l == 'd';
            m |= l == 'm';
            hs |= l == 'h' || l == 's';
        }
    }
    /* "General" and "e+00" hold an e: a year only with a month or a day beside it */
    if (y && !m && !d) return false;
    return d || (y && m) || (m && !hs);
}

static bool s_builtin_date(unsigned id)
{
    return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 31) || id == 36 || (id >= 50 && id <= 58);
}

/* A number cell's text as Excel shows it in General, or its date. */
static void s_number(fp_xlsx_t *x, const char *v, bool date, fp_buf_t *out)
{
    char *end;
    double d = strtod(v, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
    if (end == v || *end || !isfinite(d)) { /* not a number: as written */
        fp_buf_puts(out, v);
        return;
    }
    char buf[40];
    if (date && fp_xlsx_serial_date(d, x->date1904, buf)) {
        fp_buf_puts(out, buf);
        return;
    }
    if (d == 0) d = 0; /* no "-0" */
    snprintf(buf, sizeof buf, "%.15g", d);
    fp_buf_puts(out, buf);
}

/* ---- one XML part ------------------------------------------------------------------------- */

/* What every part's parse shares: the reader, the parser, the part's name, and the text of
 * the element being collected. */
typedef struct {
    fp_xlsx_t *x;
    XML_Parser p;
    const char *part;
    bool collect;
    fp_buf_t txt;
} s_xml_t;

static void s_xml_fail(s_xml_t *c, fp_err_t rc, const char *what)
{
    s_fail(c->x, rc, "%s line %lu: %s", c->part, (unsigned long)XML_GetCurrentLineNumber(c->p), what);
    XML_StopParser(c->p, XML_FALSE);
}

static void XMLCALL s_on_text(void *ud, const XML_Char *s, int n)
{
    s_xml_t *c = ud;
    if (!c->collect || c->x->failed) return;
    if (c->txt.len + (size_t)n > c->x->lim.max_string_bytes) {
        s_xml_fail(c, FP_ETOOBIG, "a string longer than the limit");
        return;
    }
    fp_buf_append(&c->txt, s, (size_t)n);
}

static void XMLCALL s_on_doctype(void *ud, const XML_Char *name, const XML_Char *sys, const XML_Char *pub, int internal)
{
    s_xml_fail(ud, FP_EINVAL, "a DOCTYPE (not in a workbook; entities are not read)");
}

static void XMLCALL s_on_entity(void *ud, const XML_Char *name, int param, const XML_Char *value, int vlen,
                                const XML_Char *base, const XML_Char *sys, const XML_Char *pub,
                                const XML_Char *notation)
{
    s_xml_fail(ud, FP_EINVAL, "an entity declaration");
}

/* The index of the zip entry named path, any case; -1 if none. */
static zip_int64_t s_entry(fp_xlsx_t *x, const char *path) { return zip_name_locate(x->zip, path, ZIP_FL_NOCASE); }

/* Feeds the part's bytes to the parser set up in c, counting them against the limit. */
static fp_err_t s_feed(s_xml_t *c, zip_int64_t idx)
{
    fp_xlsx_t *x = c->x;
    zip_file_t *f = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
    if (!f) return s_fail(x, FP_EINVAL, "%s: cannot be read (%s)", c->part, zip_strerror(x->zip));
    char buf[65536];
    zip_int64_t n;
    while (!x->failed && (n = zip_fread(f, buf, sizeof buf)) > 0) {
        x->xml_bytes += (size_t)n;
        if (x->xml_bytes > x->lim.max_xml_bytes) {
            s_fail(x, FP_ETOOBIG, "%s: the workbook's XML is larger than %zu bytes uncompressed (a zip bomb?)", c->part,
                   x->lim.max_xml_bytes);
            break;
        }
        if (XML_Parse(c->p, buf, (int)n, 0) != XML_STATUS_OK && !x->failed)
            s_fail(x, FP_EINVAL, "%s line %lu: %s", c->part, (unsigned long)XML_GetCurrentLineNumber(c->p),
                   XML_ErrorString(XML_GetErrorCode(c->p)));
    }
    if (!x->failed && n < 0) s_fail(x, FP_EINVAL, "%s: the zip entry is damaged (%s)", c->part, zip_file_strerror(f));
    if (!x->failed && XML_Parse(c->p, "", 0, 1) != XML_STATUS_OK)
        s_fail(x, FP_EINVAL, "%s line %lu: %s", c->part, (unsigned long)XML_GetCurrentLineNumber(c->p),
               XML_ErrorString(XML_GetErrorCode(c->p)));
    zip_fclose(f);
    return x->failed;
}

/* Parses the part at path with the handlers given (ud's first member is an s_xml_t). A part
 * that is absent is FP_ENOTFOUND (no error set) unless required. */
static fp_err_t s_parse(fp_xlsx_t *x, const char *path, bool required, void *ud, XML_StartElementHandler start,
                        XML_EndElementHandler end)
{
    zip_int64_t idx = s_entry(x, path);
    if (idx < 0) return required ? s_fail(x, FP_EINVAL, "the workbook has no part %s", path) : FP_ENOTFOUND;
    s_xml_t *c = ud;
    c->x = x;
    c->part = path;
    c->p = XML_ParserCreateNS(NULL, S_NS_SEP);
    if (!c->p) return s_fail(x, FP_ENOMEM, "out of memory");
    XML_SetUserData(c->p, ud);
    XML_SetElementHandler(c->p, start, end);
    XML_SetCharacterDataHandler(c->p, s_on_text);
    XML_SetStartDoctypeDeclHandler(c->p, s_on_doctype);
    XML_SetEntityDeclHandler(c->p, s_on_entity);
    XML_SetParamEntityParsing(c->p, XML_PARAM_ENTITY_PARSING_NEVER);
    fp_err_t rc = s_feed(c, idx);
    XML_ParserFree(c->p);
    c->p = NULL;
    fp_buf_free(&c->txt);
    return rc;
}

/* ---- package and workbook ---------------------------------------------------------------- */

typedef struct {
    s_xml_t xml;
    bool package; /* _rels/.rels: look for the office document only */
} s_rels_t;

static void XMLCALL s_rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    s_rels_t *c = ud;
    fp_xlsx_t *x = c->xml.x;
    if (strcmp(s_local(name), "Relationship") != 0) return;
    const char *type = s_attr(atts, "Type"), *target = s_attr(atts, "Target"), *id = s_attr(atts, "Id");
    if (!type || !target) return;
    if (c->package) {
        if (s_ends_with(type, "/officeDocument") && !x->workbook[0])
            s_copy(x->workbook, sizeof x->workbook, target[0] == '/' ? target + 1 : target);
        return;
    }
    if (x->nrels == S_MAX_RELS) {
        s_xml_fail(&c->xml, FP_ETOOBIG, "more than 4096 relationships");
        return;
    }
    if (x->nrels == x->rels_cap) {
        x->rels_cap = x->rels_cap ? 2 * x->rels_cap : 16;
        x->rels = fp_realloc(x->rels, x->rels_cap * sizeof *x->rels);
    }
    s_rel_t *r = &x->rels[x->nrels++];
    s_copy(r->id, sizeof r->id, id);
    s_copy(r->type, sizeof r->type, type);
    s_copy(r->target, sizeof r->target, target);
}

static void XMLCALL s_no_end(void *ud, const XML_Char *name) {}

static void XMLCALL s_workbook_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    s_xml_t *c = ud;
    fp_xlsx_t *x = c->x;
    const char *l = s_local(name);
    if (strcmp(l, "workbookPr") == 0) {
        const char *v = s_attr(atts, "date1904");
        x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
    } else if (strcmp(l, "sheet") == 0 && !x->first_sheet_rid[0]) {
        const char *id = s_attr(atts, "id"); /* r:id */
        if (id) s_copy(x->first_sheet_rid, sizeof x->first_sheet_rid, id);
    }
}

/* A part named by a relationship of the workbook: target relative to the workbook's folder
 * ("worksheets/sheet1.xml", "../xl/x.xml") or absolute ("/xl/worksheets/sheet1.xml"). */
static void s_resolve(const fp_xlsx_t *x, const char *target, char out[S_PATH_MAX])
{
    char path[2 * S_PATH_MAX];
    if (target[0] == '/') {
        s_copy(path, sizeof path, target + 1);
    } else {
        const char *slash = strrchr(x->workbook, '/');
        int dir = slash ? (int)(slash - x->workbook + 1) : 0;
        snprintf(path, sizeof path, "%.*s%s", dir, x->workbook, target);
    }
    /* drop "./" and fold "dir/../" */
    char *segs[64];
    int n = 0;
    for (char *save = NULL, *s = strtok_r(path, "/", &save); s && n < 64; s = strtok_r(NULL, "/", &save)) {
        if (strcmp(s, ".") == 0) continue;
        if (strcmp(s, "..") == 0) {
            if (n) n--;
            continue;
        }
        segs[n++] = s;
    }
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < S_PATH_MAX; i++)
        len += (size_t)snprintf(out + len, S_PATH_MAX - len, "%s%s", i ? "/" : "", segs[i]);
}

/* The target of the workbook's relationship whose type ends in tail (and whose id is id, if
 * given), resolved; false if none. */
static bool s_rel(const fp_xlsx_t *x, const char *tail, const char *id, char out[S_PATH_MAX])
{
    for (size_t i = 0; i < x->nrels; i++) {
        const s_rel_t *r = &x->rels[i];
        if (s_ends_with(r->type, tail) && (!id || strcmp(r->id, id) == 0)) {
            s_resolve(x, r->target, out);
            return true;
        }
    }
    return false;
}

/* Finds the workbook, its date system, its relationships and its first worksheet's part. */
static fp_err_t s_open_workbook(fp_xlsx_t *x, char sheet[S_PATH_MAX])
{
    s_rels_t pk = {.package = true};
    fp_err_t rc = s_parse(x, "_rels/.rels", false, &pk, s_rels_start, s_no_end);
    if (rc != FP_OK && rc != FP_ENOTFOUND) return rc;
    if (!x->workbook[0]) s_copy(x->workbook, sizeof x->workbook, "xl/workbook.xml");
    s_xml_t wb = {0};
    if (s_parse(x, x->workbook, true, &wb, s_workbook_start, s_no_end)) return x->failed;
    char rels[S_PATH_MAX + 16];
    const char *slash = strrchr(x->workbook, '/');
    int dir = slash ? (int)(slash - x->workbook + 1) : 0;
    snprintf(rels, sizeof rels, "%.*s_rels/%s.rels", dir, x->workbook, x->workbook + dir);
    s_rels_t wr = {0};
    if (s_parse(x, rels, true, &wr, s_rels_start, s_no_end)) return x->failed;
    if (!x->first_sheet_rid[0]) return s_fail(x, FP_EINVAL, "%s lists no sheet", x->workbook);
    if (!s_rel(x, "/worksheet", x->first_sheet_rid, sheet))
        return s_fail(x, FP_EINVAL, "the workbook's first sheet (%s) is not a worksheet (a chart sheet?)",
                      x->first_sheet_rid);
    return FP_OK;
}

/* ---- styles ------------------------------------------------------------------------------- */

typedef struct {
    s_xml_t xml;
    bool in_xfs; /* inside cellXfs (cellStyleXfs holds xf elements too) */
} s_styles_t;

static void XMLCALL s_styles_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    s_styles_t *c = ud;
    fp_xlsx_t *x = c->xml.x;
    const char *l = s_local(name);
    if (strcmp(l, "cellXfs") == 0) {
        c->in_xfs = true;
    } else if (strcmp(l, "numFmt") == 0) {
        const char *id = s_attr(atts, "numFmtId"), *code = s_attr(atts, "formatCode");
        if (!id || !code || !fp_xlsx_format_is_date(code)) return;
        if (x->ndate_fmts == 4096) {
            s_xml_fail(&c->xml, FP_ETOOBIG, "more than 4096 date formats");
            return;
        }
        if (x->ndate_fmts == x->date_fmts_cap) {
            x->date_fmts_cap = x->date_fmts_cap ? 2 * x->date_fmts_cap : 16;
            x->date_fmts = fp_realloc(x->date_fmts, x->date_fmts_cap * sizeof *x->date_fmts);
        }
        x->date_fmts[x->ndate_fmts++] = (uint32_t)strtoul(id, NULL, 10);
    } else if (strcmp(l, "xf") == 0 && c->in_xfs) {
        if (x->nxf == 65536) {
            s_xml_fail(&c->xml, FP_ETOOBIG, "more than 65536 cell styles");
            return;
        }
        const char *id = s_attr(atts, "numFmtId");
        unsigned long f = id ? strtoul(id, NULL, 10) : 0;
        bool date = s_builtin_date((unsigned)f);
        for (size_t i = 0; i < x->ndate_fmts && !date; i++) date = x->date_fmts[i] == f;
        if (x->nxf == x->xf_cap) {
            x->xf_cap = x->xf_cap ? 2 * x->xf_cap : 64;
            x->xf_date = fp_realloc(x->xf_date, x->xf_cap);
        }
        x->xf_date[x->nxf++] = date;
    }
}

static void XMLCALL s_styles_end(void *ud, const XML_Char *name)
{
    s_styles_t *c = ud;
    if (strcmp(s_local(name), "cellXfs") == 0) c->in_xfs = false;
}

/* ---- shared strings ----------------------------------------------------------------------- */

typedef struct {
    s_xml_t xml;
    int in_si, in_rph; /* depth counters: inside <si>, inside a phonetic run <rPh> */
} s_sst_t;

static void XMLCALL s_sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    s_sst_t *c = ud;
    const char *l = s_local(name);
    if (strcmp(l, "si") == 0) {
        c->in_si++;
        fp_buf_reset(&c->xml.txt);
    } else if (strcmp(l, "rPh") == 0) {
        c->in_rph++;
    } else if (strcmp(l, "t") == 0 && c->in_si && !c->in_rph) {
        c->xml.collect = true;
    }
}

static void XMLCALL s_sst_end(void *ud, const XML_Char *name)
{
    s_sst_t *c = ud;
    fp_xlsx_t *x = c->xml.x;
    const char *l = s_local(name);
    if (strcmp(l, "t") == 0) {
        c->xml.collect = false;
    } else if (strcmp(l, "rPh") == 0) {
        c->in_rph--;
    } else if (strcmp(l, "si") == 0 && c->in_si) {
        c->in_si--;
        if (x->nsst == x->lim.max_strings) {
            s_xml_fail(&c->xml, FP_ETOOBIG, "more shared strings than the limit");
            return;
        }
        if (x->nsst == x->sst_cap) {
            x->sst_cap = x->sst_cap ? 2 * x->sst_cap : 256;
            x->sst_off = fp_realloc(x->sst_off, x->sst_cap * sizeof *x->sst_off);
            x->sst_len = fp_realloc(x->sst_len, x->sst_cap * sizeof *x->sst_len);
        }
        x->sst_off[x->nsst] = x->sst.len;
        x->sst_len[x->nsst++] = (uint32_t)c->xml.txt.len;
        fp_buf_append(&x->sst, c->xml.txt.data ? c->xml.txt.data : "", c->xml.txt.len);
        fp_buf_append(&x->sst, "", 1);
        fp_buf_reset(&c->xml.txt);
    }
}

/* ---- the sheet ---------------------------------------------------------------------------- */

typedef struct {
    s_xml_t xml;
    uint32_t row, col;   /* the current row; the last cell's column + 1 (0: none yet) */
    uint32_t last_row;   /* the row before (0: none) */
    char type[16];       /* the cell's t */
    unsigned long style; /* its s */
    bool in_cell, in_is;
    int in_rph;
    bool in_v;
} s_sheet_t;

/* "C5" -> column 2 (0-based), row 5; false if it is no cell reference in range. */
static bool s_ref(const char *r, uint32_t *col, uint32_t *row)
{
    uint32_t c = 0, w = 0;
    size_t i = 0;
    for (; (r[i] >= 'A' && r[i] <= 'Z') || (r[i] >= 'a' && r[i] <= 'z'); i++) {
        if (i == 3) return false;
        c = c * 26 + (uint32_t)((r[i] | 0x20) - 'a' + 1);
    }
    if (i == 0 || c > 16384) return false;
    size_t j = i;
    for (; r[j] >= '0' && r[j] <= '9'; j++) {
        if (j - i == 7) return false;
        w = w * 10 + (uint32_t)(r[j] - '0');
    }
    if (j == i || r[j] || w < 1 || w > 1048576) return false;
    *col = c - 1;
    *row = w;
    return true;
}

static void s_sheet_row(s_sheet_t *c, const char **atts)
{
    const char *r = s_attr(atts, "r");
    uint32_t row = c->last_row + 1;
    if (r) {
        char *end;
        unsigned long v = strtoul(r, &end, 10);
        if (end == r || *end || v < 1 || v > 1048576) {
            s_xml_fail(&c->xml, FP_EINVAL, "a row number out of range");
            return;
        }
        row = (uint32_t)v;
    }
    if (row <= c->last_row) {
        char m[80];
        snprintf(m, sizeof m, "row %u after row %u (rows out of order)", row, c->last_row);
        {
            s_xml_fail(&c->xml, FP_EINVAL, m);
            return;
        }
    }
    c->row = c->last_row = row;
    c->col = 0;
}

static void s_sheet_cell(s_sheet_t *c, const char **atts)
{
    const char *r = s_attr(atts, "r"), *t = s_attr(atts, "t"), *s = s_attr(atts, "s");
    uint32_t col = c->col, row = c->row;
    if (r && !s_ref(r, &col, &row)) {
        s_xml_fail(&c->xml, FP_EINVAL, "a cell reference out of range");
        return;
    }
    if (row != c->row || (c->col && col < c->col)) {
        char m[120];
        snprintf(m, sizeof m, "cell %.20s is not after the cell before it in row %u", r, c->row);
        {
            s_xml_fail(&c->xml, FP_EINVAL, m);
            return;
        }
    }
    if (col >= c->xml.x->lim.max_cols) {
        s_xml_fail(&c->xml, FP_ETOOBIG, "a cell beyond the column limit");
        return;
    }
    c->col = col + 1;
    s_copy(c->type, sizeof c->type, t ? t : "n");
    c->style = s ? strtoul(s, NULL, 10) : 0;
    c->in_cell = true;
    fp_buf_reset(&c->xml.txt);
}

static void XMLCALL s_sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    s_sheet_t *c = ud;
    const char *l = s_local(name);
    if (strcmp(l, "row") == 0) s_sheet_row(c, atts);
    else if (strcmp(l, "c") == 0 && c->row) s_sheet_cell(c, atts);
    else if (!c->in_cell) return;
    else if (strcmp(l, "v") == 0) c->xml.collect = c->in_v = true;
    else if (strcmp(l, "is") == 0) c->in_is = true;
    else if (strcmp(l, "rPh") == 0) c->in_rph++;
    else if (strcmp(l, "t") == 0 && c->in_is && !c->in_rph) c->xml.collect = true;
}

static void s_put_cell(s_sheet_t *c, bool shared, size_t off, size_t len)
{
    fp_xlsx_t *x = c->xml.x;
    if (x->ncells == x->lim.max_cells) {
        s_xml_fail(&c->xml, FP_ETOOBIG, "more cells than the limit");
        return;
    }
    if (x->ncells == x->cells_cap) {
        x->cells_cap = x->cells_cap ? 2 * x->cells_cap : 1024;
        x->cells = fp_realloc(x->cells, x->cells_cap * sizeof *x->cells);
    }
    x->cells[x->ncells++] =
        (s_cell_t){.row = c->row, .col = c->col - 1, .len = (uint32_t)len, .shared = shared, .off = off};
}

/* The cell just ended, by its type, into the sheet's cells (an empty one is not kept). */
static void s_sheet_value(s_sheet_t *c)
{
    fp_xlsx_t *x = c->xml.x;
    const char *v = c->xml.txt.data ? c->xml.txt.data : "";
    size_t start = x->text.len;
    if (strcmp(c->type, "s") == 0) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (!*v) return;
        if (end == v || *end || i >= x->nsst) {
            s_xml_fail(&c->xml, FP_EINVAL, "a shared string index past the table");
            return;
        }
        if (x->sst_len[i]) s_put_cell(c, true, i, x->sst_len[i]);
        return;
    }
    if (strcmp(c->type, "b") == 0) fp_buf_puts(&x->text, strcmp(v, "1") == 0 ? "TRUE" : *v ? "FALSE" : "");
    else if (strcmp(c->type, "n") == 0 && *v) s_number(x, v, c->style < x->nxf && x->xf_date[c->style], &x->text);
    else if (strcmp(c->type, "d") == 0 && strlen(v) >= 10 && v[4] == '-' && v[7] == '-') fp_buf_append(&x->text, v, 10);
    else fp_buf_puts(&x->text, v); /* inlineStr, str, e, and a d that is no ISO date */
    if (x->text.len > start) s_put_cell(c, false, start, x->text.len - start);
}

static void XMLCALL s_sheet_end(void *ud, const XML_Char *name)
{
    s_sheet_t *c = ud;
    const char *l = s_local(name);
    if (!c->in_cell) return;
    if (strcmp(l, "v") == 0) c->xml.collect = c->in_v = false;
    else if (strcmp(l, "t") == 0) c->xml.collect = false;
    else if (strcmp(l, "rPh") == 0) c->in_rph--;
    else if (strcmp(l, "is") == 0) c->in_is = false;
    else if (strcmp(l, "c") == 0) {
        c->in_cell = false;
        c->xml.collect = false;
        s_sheet_value(c);
        fp_buf_reset(&c->xml.txt);
    }
}

/* ---- opening and reading ------------------------------------------------------------------ */

fp_err_t fp_xlsx_open(fp_xlsx_t *x, const void *data, size_t len)
{
    if (x->failed) return x->failed;
    if (!fp_xlsx_is_zip(data, len)) return s_fail(x, FP_EINVAL, "not an .xlsx workbook (no zip signature)");
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (src) x->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (!x->zip) {
        s_fail(x, FP_EINVAL, "not a readable zip archive (%s)", zip_error_strerror(&ze));
        if (src) zip_source_free(src);
        zip_error_fini(&ze);
        return x->failed;
    }
    zip_error_fini(&ze);
    char sheet[S_PATH_MAX], part[S_PATH_MAX];
    if (s_open_workbook(x, sheet)) return x->failed;
    s_styles_t st = {0};
    s_resolve(x, "styles.xml", part); /* without a relationship: beside the workbook */
    s_rel(x, "/styles", NULL, part);
    if (s_parse(x, part, false, &st, s_styles_start, s_styles_end) && x->failed) return x->failed;
    s_sst_t ss = {0};
    s_resolve(x, "sharedStrings.xml", part);
    s_rel(x, "/sharedStrings", NULL, part);
    if (s_parse(x, part, false, &ss, s_sst_start, s_sst_end) && x->failed) return x->failed;
    s_sheet_t sh = {0};
    if (s_parse(x, sheet, true, &sh, s_sheet_start, s_sheet_end)) return x->failed;
    return FP_OK;
}

static const char *s_cell_text(const fp_xlsx_t *x, const s_cell_t *c)
{
    return c->shared ? x->sst.data + x->sst_off[c->off] : x->text.data + c->off;
}

/* Makes the record of the row whose cells are x->cells[a, b). */
static fp_err_t s_make_row(fp_xlsx_t *x, size_t a, size_t b)
{
    size_t n = x->cells[b - 1].col + 1, bytes = 0;
    for (size_t i = a; i < b; i++) bytes += x->cells[i].len;
    if (bytes > x->lim.max_row_bytes)
        return s_fail(x, FP_ETOOBIG, "row %u holds more than %zu bytes", x->cells[a].row, x->lim.max_row_bytes);
    if (n > x->fields_cap) {
        x->fields_cap = n;
        x->fields = fp_realloc(x->fields, n * sizeof *x->fields);
        x->lens = fp_realloc(x->lens, n * sizeof *x->lens);
    }
    fp_buf_reset(&x->row);
    fp_buf_reserve(&x->row, bytes + n + 1);
    size_t *offs = x->lens; /* offsets first, pointers once the buffer no longer moves */
    size_t k = a;
    for (size_t col = 0; col < n; col++) {
        offs[col] = x->row.len;
        if (k < b && x->cells[k].col == col) {
            fp_buf_append(&x->row, s_cell_text(x, &x->cells[k]), x->cells[k].len);
            k++;
        }
        fp_buf_append(&x->row, "", 1);
    }
    for (size_t col = 0; col < n; col++) {
        x->fields[col] = x->row.data + offs[col];
        x->lens[col] = (col + 1 < n ? offs[col + 1] : x->row.len) - offs[col] - 1;
    }
    x->rec = (fp_csv_record_t){.fields = x->fields, .lens = x->lens, .nfields = n, .line = x->cells[a].row};
    return FP_OK;
}

fp_err_t fp_xlsx_next(fp_xlsx_t *x, const fp_csv_record_t **rec)
{
    *rec = NULL;
    if (x->failed) return x->failed;
    if (!x->zip) return s_fail(x, FP_EINVAL, "no workbook was opened");
    if (x->next >= x->ncells) return FP_OK;
    size_t a = x->next, b = a;
    while (b < x->ncells && x->cells[b].row == x->cells[a].row) b++;
    x->next = b;
    if (s_make_row(x, a, b)) return x->failed;
    *rec = &x->rec;
    return FP_OK;
}
