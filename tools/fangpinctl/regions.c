/* regions.c: `fangpinctl regions import FILE...` loads the national statistical division codes
 * (统计用区划代码, the published CSV layout, plain or gzipped) into the regions table in one
 * transaction, validating every row first; `fangpinctl regions stats [PREFIX]` counts them.
 *
 * How an import runs. Files are parsed as they stream (zlib's gzread reads plain files too) and
 * each valid row is sent at once with COPY into a temporary staging table, so parsing overlaps
 * the server's work. Every row is checked here, where the file and line are known: the header
 * names the level, a code has the level's length in digits, every parent column is the code's
 * prefix, the name is non-empty UTF-8 without control characters, a code appears once across
 * all files, and its parent is in the files or already in the table. Any error aborts the COPY
 * and rolls back, so nothing is written. Otherwise one INSERT ... SELECT ... ON CONFLICT moves
 * the staged rows in, updating only the rows whose values differ (a re-import changes nothing,
 * updated_at included), and its RETURNING tells inserted from updated rows per level. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "csv.h"
#include "db.h"
#include "ctl.h"
#include "mem.h"
#include "migrate.h"

#define S_LEVELS 5
#define S_MAX_FIELDS 16
#define S_MAX_FIELD 4096 /* bytes; a longer field is an unbalanced quote, not a name */
#define S_MAX_ERRORS 20  /* printed; the rest are only counted */
#define S_COPY_CHUNK (256 * 1024)

static const char *const s_level_name[S_LEVELS + 1] = {"", "province", "city", "county", "township", "village"};
static const int s_level_len[S_LEVELS + 1] = {0, 2, 4, 6, 9, 12};
/* The parent column that names the code's prefix of level i (1-based), as published. */
static const char *const s_parent_col[S_LEVELS] = {"", "provinceCode", "cityCode", "areaCode", "streetCode"};

/* ---- errors: printed as FILE:LINE: reason, the first S_MAX_ERRORS of them ----------------- */

typedef struct {
    long count;
} s_errs_t;

static void s_err(s_errs_t *e, const char *file, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_err(s_errs_t *e, const char *file, unsigned long line, const char *fmt, ...)
{
    e->count++;
    if (e->count > S_MAX_ERRORS) return;
    va_list ap;
    va_start(ap, fmt);
    if (line) fprintf(stderr, "%s:%lu: ", file, line);
    else fprintf(stderr, "%s: ", file);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- a set of codes, each with where it was first seen ---------------------------------- */

/* A code of at most 12 digits and its length pack into one integer that is never 0. */
static uint64_t s_code_key(const char *code, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) v = v * 10 + (uint64_t)(code[i] - '0');
    return v << 4 | (uint64_t)len;
}

static void s_key_code(uint64_t key, char out[16])
{
    int len = (int)(key & 15);
    uint64_t v = (key & ~(1ULL << 63)) >> 4;
    for (int i = len - 1; i >= 0; i--, v /= 10) out[i] = (char)('0' + v % 10);
    out[len] = '\0';
}

static uint64_t s_parent_key(uint64_t key)
{
    int len = (int)(key & 15), plen = 0;
    for (int l = 2; l <= S_LEVELS; l++)
        if (s_level_len[l] == len) plen = s_level_len[l - 1];
    uint64_t v = key >> 4;
    for (int i = plen; i < len; i++) v /= 10;
    return v << 4 | (uint64_t)plen;
}

typedef struct {
    uint64_t key;  /* 0: empty slot */
    uint32_t file; /* index into the file list */
    uint32_t line;
} s_slot_t;

typedef struct {
    s_slot_t *slots;
    size_t cap, n; /* cap is a power of two */
} s_set_t;

static size_t s_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

static s_slot_t *s_set_find(const s_set_t *s, uint64_t key)
{
    if (!s->cap) return NULL;
    for (size_t i = s_hash(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i].key == key) return &s->slots[i];
        if (s->slots[i].key == 0) return NULL;
    }
}

/* Adds key; returns NULL when added, or the slot that already holds it. */
static s_slot_t *s_set_add(s_set_t *s, uint64_t key, uint32_t file, uint32_t line)
{
    if ((s->n + 1) * 4 > s->cap * 3) {
        s_set_t g = {fp_calloc(s->cap ? s->cap * 2 : 1024, sizeof(s_slot_t)), s->cap ? s->cap * 2 : 1024, 0};
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].key) s_set_add(&g, s->slots[i].key, s->slots[i].file, s->slots[i].line);
        free(s->slots);
        *s = g;
    }
    size_t i = s_hash(key) & (s->cap - 1);
    for (; s->slots[i].key; i = (i + 1) & (s->cap - 1))
        if (s->slots[i].key == key) return &s->slots[i];
    s->slots[i] = (s_slot_t){key, file, line};
    s->n++;
    return NULL;
}

/* ---- CSV records from a plain or gzipped file ------------------------------------------- */

/* The file is read in blocks (zlib's gzread reads plain files too) and fed to the library's
 * streaming CSV reader (common/csv.h), which strips a UTF-8 BOM, skips blank lines, and reports
 * malformed quoting and over-long fields with the line where the record started. */
typedef struct {
    gzFile gz;
    const char *path;
    unsigned char *in; /* read buffer */
    size_t pos, len;
    int eof; /* 1 at end of input, -1 on a read error (message printed) */
    fp_csv_t *csv;
    const fp_csv_record_t *rec; /* the current record */
    unsigned long rec_line;     /* line where the current record starts */
    int nf;                     /* its number of fields */
} s_csv_t;

enum { S_EOF = -1, S_RERR = -2 };

static int s_csv_open(s_csv_t *c, const char *path, s_errs_t *errs)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    errno = 0;
    c->gz = gzopen(path, "rb");
    if (!c->gz) {
        s_err(errs, path, 0, "cannot open: %s", errno ? strerror(errno) : "out of memory");
        return -1;
    }
    gzbuffer(c->gz, 256 * 1024);
    c->in = fp_malloc(256 * 1024);
    c->csv = fp_csv_new();
    fp_csv_set_limits(c->csv,
                      &(fp_csv_limits_t){.max_fields = S_MAX_FIELDS,
                                         .max_field_bytes = S_MAX_FIELD,
                                         .max_record_bytes = S_MAX_FIELDS * S_MAX_FIELD});
    return 0;
}

static void s_csv_close(s_csv_t *c)
{
    if (c->gz) gzclose(c->gz);
    free(c->in);
    fp_csv_destroy(&c->csv);
    memset(c, 0, sizeof *c);
}

static int s_fill(s_csv_t *c, s_errs_t *errs)
{
    if (c->eof) return c->eof > 0 ? S_EOF : S_RERR;
    int n = gzread(c->gz, c->in, 256 * 1024);
    int zerr = Z_OK;
    const char *msg = gzerror(c->gz, &zerr);
    if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        /* zlib's message starts with the path: leave it out */
        size_t plen = strlen(c->path);
        if (msg && strncmp(msg, c->path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0) msg += plen + 2;
        char after[48] = "";
        unsigned long line = fp_csv_line(c->csv);
        if (line > 1) snprintf(after, sizeof after, " after line %lu", line - 1);
        s_err(errs, c->path, 0, "read error%s: %s%s", after,
              zerr == Z_ERRNO ? strerror(errno) : (msg && *msg ? msg : "corrupt input"),
              zerr == Z_ERRNO ? "" : " (a truncated or damaged gzip file?)");
        c->eof = -1;
        return S_RERR;
    }
    if (n == 0) {
        c->eof = 1;
        return S_EOF;
    }
    c->pos = 0;
    c->len = (size_t)n;
    return 0;
}

/* Reads the next record (RFC 4180: quoted fields, "" inside quotes, LF or CRLF line ends, line
 * breaks inside quotes). Blank lines are skipped. Returns 1 with a record, 0 at the end, -1 on
 * an error (printed; the rest of the file is not read). */
static int s_csv_next(s_csv_t *c, s_errs_t *errs)
{
    for (;;) {
        fp_err_t rc;
        if (c->pos < c->len) {
            size_t used = 0;
            rc = fp_csv_feed(c->csv, (const char *)c->in + c->pos, c->len - c->pos, &used, &c->rec);
            c->pos += used;
        } else {
            int r = s_fill(c, errs);
            if (r == S_RERR) return -1;
            if (r == 0) continue;
            rc = fp_csv_finish(c->csv, &c->rec);
            if (rc == FP_OK && !c->rec) return 0;
        }
        if (rc != FP_OK) {
            unsigned long line = 0;
            const char *msg = fp_csv_error(c->csv, &line);
            s_err(errs, c->path, line, "%s", msg);
            return -1;
        }
        if (c->rec) {
            c->nf = (int)c->rec->nfields;
            c->rec_line = c->rec->line;
            return 1;
        }
    }
}

/* ---- validation of one file's rows ------------------------------------------------------ */

typedef struct {
    int level; /* 1..5 from the header */
    int col_code, col_name;
    int col_parent[S_LEVELS]; /* column of provinceCode.. by level, -1 if absent */
    int ncols;
} s_layout_t;

/* Detects the level from the header: code and name, plus the parent columns of every level
 * above (in any order; names compared without case). */
static int s_header(s_csv_t *c, s_layout_t *lay, s_errs_t *errs)
{
    memset(lay, 0, sizeof *lay);
    lay->col_code = lay->col_name = -1;
    for (int l = 0; l < S_LEVELS; l++) lay->col_parent[l] = -1;
    lay->ncols = c->nf;
    int nparents = 0;
    for (int i = 0; i < c->nf; i++) {
        char name[64];
        size_t n = c->rec->lens[i] < sizeof name - 1 ? c->rec->lens[i] : sizeof name - 1;
        memcpy(name, c->rec->fields[i], n);
        name[n] = '\0';
        while (n && (name[n - 1] == ' ' || name[n - 1] == '\t')) name[--n] = '\0';
        const char *p = name + strspn(name, " \t");
        int *slot = NULL;
        if (strcasecmp(p, "code") == 0) slot = &lay->col_code;
        else if (strcasecmp(p, "name") == 0) slot = &lay->col_name;
        for (int l = 1; !slot && l < S_LEVELS; l++)
            if (strcasecmp(p, s_parent_col[l]) == 0) {
                slot = &lay->col_parent[l];
                nparents++;
            }
        if (!slot) {
            if (i == 0 && p[0] >= '0' && p[0] <= '9')
                s_err(errs, c->path, c->rec_line,
                      "no header line: the first line must name the columns (code,name,...)");
            else s_err(errs, c->path, c->rec_line, "unknown column \"%s\" in the header", p);
            return -1;
        }
        if (*slot >= 0) {
            s_err(errs, c->path, c->rec_line, "column \"%s\" appears twice in the header", p);
            return -1;
        }
        *slot = i;
    }
    int ok = lay->col_code >= 0 && lay->col_name >= 0;
    for (int l = 1; ok && l <= nparents; l++) ok = lay->col_parent[l] >= 0;
    if (!ok) {
        s_err(errs, c->path, c->rec_line,
              "header not recognised; expected one of: code,name (provinces) | "
              "code,name,provinceCode (cities) | code,name,cityCode,provinceCode (areas) | "
              "code,name,areaCode,provinceCode,cityCode (streets) | "
              "code,name,streetCode,provinceCode,cityCode,areaCode (villages)");
        return -1;
    }
    lay->level = nparents + 1;
    return 0;
}

static int s_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return n > 0;
}

static const char s_not_utf8[] = "is not valid UTF-8 (convert GBK files to UTF-8 first)";

/* 1 when s is well-formed UTF-8 (no overlong forms, no surrogates) with no control characters. */
static int s_text_ok(const unsigned char *s, size_t n, const char **why)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        if (b < 0x80) {
            if (b < 0x20 || b == 0x7f) {
                *why = "contains a control character (tab, line break, ...)";
                return 0;
            }
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (b >= 0xC2 && b <= 0xDF) k = 1, cp = b & 0x1F;
        else if (b >= 0xE0 && b <= 0xEF) k = 2, cp = b & 0x0F;
        else if (b >= 0xF0 && b <= 0xF4) k = 3, cp = b & 0x07;
        else {
            *why = s_not_utf8;
            return 0;
        }
        if (i + k >= n) { /* truncated sequence */
            *why = s_not_utf8;
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                *why = s_not_utf8;
                return 0;
            }
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            *why = s_not_utf8;
            return 0;
        }
        i += k + 1;
    }
    return 1;
}

typedef struct {
    PGconn *conn;
    char **files;
    int nfiles;
    s_errs_t errs;
    s_set_t codes; /* every code read, with its file and line */
    long read[S_LEVELS + 1];
    int *file_level; /* per file, for the summary */
    long *file_rows;
    fp_buf_t copy; /* COPY data waiting to be sent */
    int copy_failed;
} s_import_t;

static int s_copy_flush(s_import_t *im, int force)
{
    if (im->copy_failed || (!force && im->copy.len < S_COPY_CHUNK) || im->copy.len == 0) return 0;
    if (PQputCopyData(im->conn, im->copy.data, (int)im->copy.len) != 1) {
        fprintf(stderr, "regions import: sending rows: %s", PQerrorMessage(im->conn));
        im->copy_failed = 1;
        return -1;
    }
    fp_buf_reset(&im->copy);
    return 0;
}

/* Checks one data row and queues it for COPY (only while no error has been seen). */
static void s_row(s_import_t *im, s_csv_t *c, const s_layout_t *lay, uint32_t fileno)
{
    const char *path = c->path;
    unsigned long ln = c->rec_line;
    long before = im->errs.count;
    if (c->nf != lay->ncols) {
        s_err(&im->errs, path, ln, "%d fields, the header has %d", c->nf, lay->ncols);
        return;
    }
    const char *code = c->rec->fields[lay->col_code];
    size_t clen = c->rec->lens[lay->col_code];
    const char *name = c->rec->fields[lay->col_name];
    size_t nlen = c->rec->lens[lay->col_name];
    int want = s_level_len[lay->level];
    if (!s_all_digits(code, clen) || (int)clen != want) {
        s_err(&im->errs, path, ln, "code \"%.*s\": a %s code has %d digits", (int)(clen > 40 ? 40 : clen), code,
              s_level_name[lay->level], want);
        return;
    }
    for (int l = 1; l < lay->level; l++) {
        const char *pc = c->rec->fields[lay->col_parent[l]];
        size_t plen = c->rec->lens[lay->col_parent[l]];
        if ((int)plen != s_level_len[l] || memcmp(pc, code, plen) != 0)
            s_err(&im->errs, path, ln, "%s \"%.*s\" does not match code %.*s (expected %.*s)", s_parent_col[l],
                  (int)(plen > 40 ? 40 : plen), pc, (int)clen, code, s_level_len[l], code);
    }
    size_t lead = 0, trail = 0;
    while (lead < nlen && name[lead] == ' ') lead++;
    while (trail < nlen - lead && name[nlen - 1 - trail] == ' ') trail++;
    const char *why = NULL;
    if (lead == nlen) s_err(&im->errs, path, ln, "code %.*s: the name is empty", (int)clen, code);
    else if (!s_text_ok((const unsigned char *)name, nlen, &why))
        s_err(&im->errs, path, ln, "code %.*s: the name %s", (int)clen, code, why);
    if (im->errs.count != before) return;

    s_slot_t *first = s_set_add(&im->codes, s_code_key(code, clen), fileno, (uint32_t)ln);
    if (first) {
        s_err(&im->errs, path, ln, "code %.*s appears again (first at %s:%" PRIu32 ")", (int)clen, code,
              im->files[first->file], first->line);
        return;
    }
    im->read[lay->level]++;
    if (im->errs.count) return; /* the import fails: stop sending */

    /* code, level, name, parent, county_code */
    fp_buf_t *b = &im->copy;
    fp_buf_append(b, code, clen);
    fp_buf_printf(b, "\t%d\t", lay->level);
    fp_db_copy_fieldn(b, name + lead, nlen - lead - trail);
    fp_buf_puts(b, "\t");
    if (lay->level > 1) fp_buf_append(b, code, (size_t)s_level_len[lay->level - 1]);
    else fp_buf_puts(b, "\\N");
    fp_buf_puts(b, "\t");
    if (lay->level >= 3) fp_buf_append(b, code, 6);
    else fp_buf_puts(b, "\\N");
    fp_buf_puts(b, "\n");
    s_copy_flush(im, 0);
}

static void s_file(s_import_t *im, uint32_t fileno)
{
    s_csv_t c;
    const char *path = im->files[fileno];
    if (s_csv_open(&c, path, &im->errs)) return;
    s_layout_t lay;
    int r = s_csv_next(&c, &im->errs);
    if (r == 0) s_err(&im->errs, path, 0, "empty file: no header line");
    if (r == 1 && s_header(&c, &lay, &im->errs) == 0) {
        long before = im->read[lay.level];
        while ((r = s_csv_next(&c, &im->errs)) == 1) s_row(im, &c, &lay, fileno);
        im->file_level[fileno] = lay.level;
        im->file_rows[fileno] = im->read[lay.level] - before;
    }
    s_csv_close(&c);
}

/* ---- database ----------------------------------------------------------------------------- */

typedef struct {
    uint64_t parent;
    uint32_t file, line; /* the first row (in file order) that names it */
} s_missing_t;

static int s_missing_cmp(const void *a, const void *b)
{
    const s_missing_t *x = a, *y = b;
    if (x->file != y->file) return x->file < y->file ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return 0;
}

/* Every code's parent must be in the files or already in the table. */
static int s_check_parents(s_import_t *im)
{
    s_set_t missing = {0};
    for (size_t i = 0; i < im->codes.cap; i++) {
        s_slot_t *s = &im->codes.slots[i];
        if (!s->key || (s->key & 15) == 2) continue;
        uint64_t pk = s_parent_key(s->key);
        if (s_set_find(&im->codes, pk)) continue;
        s_slot_t *m = s_set_add(&missing, pk, s->file, s->line);
        if (m && (s->file < m->file || (s->file == m->file && s->line < m->line))) {
            m->file = s->file;
            m->line = s->line;
        }
    }
    if (missing.n == 0) {
        free(missing.slots);
        return 0;
    }
    fp_buf_t arr = {0};
    fp_buf_puts(&arr, "{");
    for (size_t i = 0; i < missing.cap; i++) {
        if (!missing.slots[i].key) continue;
        char code[16];
        s_key_code(missing.slots[i].key, code);
        fp_buf_printf(&arr, "%s%s", arr.len > 1 ? "," : "", code);
    }
    fp_buf_puts(&arr, "}");
    const char *params[1] = {arr.data};
    PGresult *res =
        PQexecParams(im->conn, "SELECT code FROM regions WHERE code = ANY($1::text[])", 1, NULL, params, NULL, NULL, 0);
    fp_buf_free(&arr);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "regions import: looking up parent codes: %s", PQresultErrorMessage(res));
        PQclear(res);
        free(missing.slots);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *code = PQgetvalue(res, i, 0);
        s_slot_t *m = s_set_find(&missing, s_code_key(code, strlen(code)));
        if (m) m->key |= 1ULL << 63; /* found: mark */
    }
    PQclear(res);
    s_missing_t *list = fp_calloc(missing.n, sizeof *list);
    size_t n = 0;
    for (size_t i = 0; i < missing.cap; i++)
        if (missing.slots[i].key && !(missing.slots[i].key >> 63))
            list[n++] = (s_missing_t){missing.slots[i].key, missing.slots[i].file, missing.slots[i].line};
    qsort(list, n, sizeof *list, s_missing_cmp);
    for (size_t i = 0; i < n; i++) {
        char pcode[16];
        s_key_code(list[i].parent, pcode);
        int plevel = 0;
        for (int l = 1; l <= S_LEVELS; l++)
            if (s_level_len[l] == (int)(list[i].parent & 15)) plevel = l;
        s_err(&im->errs, im->files[list[i].file], list[i].line,
              "parent %s %s is neither in these files nor in the regions table", s_level_name[plevel], pcode);
    }
    free(list);
    free(missing.slots);
    return n ? -1 : 0;
}

/* Moves the staged rows into regions; fills inserted/updated per level. The join leaves out
 * rows that are already as staged, so a re-import only reads (ON CONFLICT DO UPDATE would lock,
 * and so write, every conflicting row even when its WHERE is false); ON CONFLICT stays for rows
 * another import inserts meanwhile. Sorting by code (C order is the codes' numeric order) lets
 * the index insertions walk each btree in order: about 20% faster on the national tables. */
static int s_upsert(PGconn *conn, long ins[], long upd[])
{
    static const char sql[] =
        "WITH up AS ("
        " INSERT INTO regions AS r (code, level, name, parent, county_code)"
        " SELECT s.code, s.level, s.name, s.parent, s.county_code"
        " FROM regions_staging s LEFT JOIN regions x ON x.code = s.code"
        " WHERE x.code IS NULL OR (x.name, x.level, x.parent, x.county_code)"
        "  IS DISTINCT FROM (s.name, s.level, s.parent, s.county_code)"
        " ORDER BY s.code COLLATE \"C\""
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,"
        "  parent = EXCLUDED.parent, county_code = EXCLUDED.county_code, updated_at = now()"
        " WHERE (r.name, r.level, r.parent, r.county_code)"
        "  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.level, EXCLUDED.parent, EXCLUDED.county_code)"
        " RETURNING r.level, (r.xmax = 0) AS inserted)"
        " SELECT level, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
        " FROM up GROUP BY level";
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "regions import: writing regions: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        int l = atoi(PQgetvalue(res, i, 0));
        if (l < 1 || l > S_LEVELS) continue;
        ins[l] = atol(PQgetvalue(res, i, 1));
        upd[l] = atol(PQgetvalue(res, i, 2));
    }
    PQclear(res);
    return 0;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_migrate(PGconn *conn)
{
    int applied = 0;
    if (ctl_migrate(conn, "regions", &applied) != 0) return -1;
    return 0;
}

/* The files into a temporary staging table through one COPY, in a transaction left open. 1 ok,
 * 0 failed (said why, or the files' errors collected in im->errs). */
static int s_stage(s_import_t *im)
{
    PGconn *conn = im->conn;
    /* temp_buffers must be set before the session first touches a temporary table; 256MB
     * holds the whole national staging table in memory. JIT only costs time here. */
    int ok = ctl_pg_exec("regions", conn, "SET temp_buffers = '256MB'; SET jit = off", "setting up the session") == 0 &&
        ctl_pg_exec("regions", conn, "BEGIN", "BEGIN") == 0 &&
        ctl_pg_exec("regions", conn,
                    "CREATE TEMP TABLE regions_staging (code text NOT NULL, level smallint NOT NULL,"
                    " name text NOT NULL, parent text, county_code text) ON COMMIT DROP",
                    "creating the staging table") == 0;
    if (!ok) return 0;
    PGresult *res = PQexec(conn, "COPY regions_staging FROM STDIN");
    ok = PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok) fprintf(stderr, "regions import: COPY: %s", PQresultErrorMessage(res));
    PQclear(res);
    if (!ok) return 0;
    for (int i = 0; i < im->nfiles; i++) s_file(im, (uint32_t)i);
    s_copy_flush(im, 1);
    int end = PQputCopyEnd(conn, im->errs.count || im->copy_failed ? "import aborted" : NULL);
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !im->errs.count && !im->copy_failed) {
            fprintf(stderr, "regions import: COPY: %s", PQresultErrorMessage(res));
            im->copy_failed = 1;
        }
        PQclear(res);
    }
    return end == 1 && !im->errs.count && !im->copy_failed;
}

/* Why nothing was imported. */
static void s_import_failed(const s_import_t *im)
{
    if (im->errs.count > S_MAX_ERRORS) fprintf(stderr, "... and %ld more errors\n", im->errs.count - S_MAX_ERRORS);
    if (im->errs.count)
        fprintf(stderr, "regions import: %ld error%s; nothing was imported\n", im->errs.count,
                im->errs.count == 1 ? "" : "s");
    else fprintf(stderr, "regions import: failed; nothing was imported\n");
}

/* The rows read, inserted, updated and unchanged per level, and where the time went (t: the
 * start, the end of staging, of the parent check and of the write). */
static void s_import_summary(const s_import_t *im, const long ins[], const long upd[], const double t[4])
{
    double secs = s_now() - t[0];
    long tr = 0, ti = 0, tu = 0;
    printf("%-9s %9s %9s %9s %9s\n", "level", "read", "inserted", "updated", "unchanged");
    for (int l = 1; l <= S_LEVELS; l++) {
        if (!im->read[l]) continue;
        printf("%-9s %9ld %9ld %9ld %9ld\n", s_level_name[l], im->read[l], ins[l], upd[l],
               im->read[l] - ins[l] - upd[l]);
        tr += im->read[l], ti += ins[l], tu += upd[l];
    }
    printf("%-9s %9ld %9ld %9ld %9ld\n", "total", tr, ti, tu, tr - ti - tu);
    printf("%ld rows from %d file%s in %.2f s (%.0f rows/s): read and stage %.2f s, check parents "
           "%.2f s, write %.2f s, commit %.2f s\n",
           tr, im->nfiles, im->nfiles == 1 ? "" : "s", secs, secs > 0 ? (double)tr / secs : 0.0, t[1] - t[0],
           t[2] - t[1], t[3] - t[2], s_now() - t[3]);
}

static int s_import(int nfiles, char **files)
{
    double t[4] = {s_now()}; /* start, staged, checked, written */
    PGconn *conn = ctl_pg_connect();
    if (!conn) return 1;
    if (s_migrate(conn)) {
        PQfinish(conn);
        return 1;
    }
    s_import_t im = {.conn = conn,
                     .files = files,
                     .nfiles = nfiles,
                     .file_level = fp_calloc((size_t)nfiles, sizeof(int)),
                     .file_rows = fp_calloc((size_t)nfiles, sizeof(long))};
    int ok = s_stage(&im);
    t[1] = s_now();
    if (ok && s_check_parents(&im)) ok = 0;
    if (ok) ok = ctl_pg_exec("regions", conn, "ANALYZE regions_staging", "analysing the staging table") == 0;
    long ins[S_LEVELS + 1] = {0}, upd[S_LEVELS + 1] = {0};
    t[2] = s_now();
    if (ok) ok = s_upsert(conn, ins, upd) == 0;
    t[3] = s_now();
    if (ok) ok = ctl_pg_exec("regions", conn, "COMMIT", "COMMIT") == 0;
    else if (PQstatus(conn) == CONNECTION_OK) ctl_pg_exec("regions", conn, "ROLLBACK", "ROLLBACK");
    PQfinish(conn);
    free(im.codes.slots);
    fp_buf_free(&im.copy);
    if (ok)
        for (int i = 0; i < nfiles; i++)
            printf("%s: %ld %s rows\n", files[i], im.file_rows[i], s_level_name[im.file_level[i]]);
    free(im.file_level);
    free(im.file_rows);
    if (!ok) {
        s_import_failed(&im);
        return 1;
    }
    s_import_summary(&im, ins, upd, t);
    return 0;
}

/* ---- stats ---------------------------------------------------------------------------------- */

static int s_stats(const char *prefix)
{
    size_t plen = strlen(prefix);
    if (plen > 12 || (plen && !s_all_digits(prefix, plen))) {
        fprintf(stderr, "regions stats: PREFIX must be up to 12 digits, got \"%s\"\n", prefix);
        return 2;
    }
    PGconn *conn = ctl_pg_connect();
    if (!conn) return 1;
    if (s_migrate(conn)) {
        PQfinish(conn);
        return 1;
    }
    const char *params[1] = {prefix};
    PGresult *res = PQexecParams(conn,
                                 "SELECT level, count(*), to_char(max(updated_at), 'YYYY-MM-DD HH24:MI:SS')"
                                 " FROM regions WHERE code LIKE $1 || '%' GROUP BY level ORDER BY level",
                                 1, NULL, params, NULL, NULL, 0);
    PGresult *named = PQexecParams(conn, "SELECT name FROM regions WHERE code = $1", 1, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQresultStatus(named) == PGRES_TUPLES_OK;
    if (!ok) {
        fprintf(stderr, "regions stats: %s", PQerrorMessage(conn));
    } else {
        if (plen)
            printf("regions under %s%s%s\n", prefix, PQntuples(named) ? " " : " (no region has this code)",
                   PQntuples(named) ? PQgetvalue(named, 0, 0) : "");
        else printf("all regions\n");
        long counts[S_LEVELS + 1] = {0}, total = 0;
        char last[32] = "";
        for (int i = 0; i < PQntuples(res); i++) {
            int l = atoi(PQgetvalue(res, i, 0));
            if (l < 1 || l > S_LEVELS) continue;
            counts[l] = atol(PQgetvalue(res, i, 1));
            total += counts[l];
            if (strcmp(PQgetvalue(res, i, 2), last) > 0) snprintf(last, sizeof last, "%s", PQgetvalue(res, i, 2));
        }
        printf("%-9s %9s\n", "level", "count");
        for (int l = 1; l <= S_LEVELS; l++) printf("%-9s %9ld\n", s_level_name[l], counts[l]);
        printf("%-9s %9ld\n", "total", total);
        if (total) printf("last updated %s\n", last);
    }
    PQclear(res);
    PQclear(named);
    PQfinish(conn);
    return ok ? 0 : 1;
}

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: fangpinctl regions import FILE...\n"
            "         load national division code tables (统计用区划代码) in their published CSV\n"
            "         layout, plain or gzipped; each file's level comes from its header:\n"
            "           code,name                                          provinces\n"
            "           code,name,provinceCode                             cities\n"
            "           code,name,cityCode,provinceCode                    areas (counties)\n"
            "           code,name,areaCode,provinceCode,cityCode           streets (townships)\n"
            "           code,name,streetCode,provinceCode,cityCode,areaCode  villages\n"
            "         all files go in one transaction; any bad row fails the whole import\n"
            "       fangpinctl regions stats [PREFIX]\n"
            "         count regions per level whose code starts with PREFIX\n"
            "PostgreSQL: $FANGPIN_PG\n");
}

int ctl_cmd_regions(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        s_usage(stdout);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "import") == 0) {
        for (int i = 2; i < argc; i++)
            if (argv[i][0] == '-' && argv[i][1]) {
                fprintf(stderr, "regions import: unknown option %s\n", argv[i]);
                s_usage(stderr);
                return 2;
            }
        return s_import(argc - 2, argv + 2);
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "stats") == 0) return s_stats(argc == 3 ? argv[2] : "");
    s_usage(stderr);
    return 2;
}
