/* xlsx_fuzz.c: libFuzzer target for the .xlsx reader (common/xlsx.c). Two shapes of input, by
 * the first byte: even, the rest is the whole file (a zip, as a user would give it); odd, the
 * rest is up to three XML parts separated by NUL bytes (the first worksheet, the shared
 * strings, the styles), put into a well-formed workbook zip here, so that the mutations reach
 * the XML handlers rather than dying in the zip's checksums. Run with small limits so that
 * every limit path is reached. Invariants: no crash, leak or undefined behaviour; a refusal
 * has a reason; every record has 1..max_cols fields, each NUL-terminated at its length, its
 * last field not empty; record lines strictly increase and stay within a sheet's rows; the
 * reader stays failed after an error. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "mem.h"
#include "xlsx.h"

static const char s_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    "officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
static const char s_workbook[] =
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
    "<sheet name=\"s\" sheetId=\"1\" r:id=\"rId3\"/></sheets></workbook>";
static const char s_wb_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    "worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";

static void s_add(zip_t *z, const char *name, const void *data, size_t len)
{
    zip_source_t *s = zip_source_buffer(z, data, len, 0);
    zip_int64_t i = s ? zip_file_add(z, name, s, ZIP_FL_OVERWRITE) : -1;
    /* stored, not deflated: the fuzzer's time goes to the reader */
    if (i < 0 || zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0) < 0) abort();
}

/* A workbook zip around the parts in data (sheet \0 sharedStrings \0 styles). */
static void s_wrap(const uint8_t *data, size_t len, fp_buf_t *out)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_source_keep(buf);
    zip_t *z = zip_open_from_source(buf, ZIP_TRUNCATE, &ze);
    if (!z) abort();
    s_add(z, "_rels/.rels", s_rels, strlen(s_rels));
    s_add(z, "xl/workbook.xml", s_workbook, strlen(s_workbook));
    s_add(z, "xl/_rels/workbook.xml.rels", s_wb_rels, strlen(s_wb_rels));
    static const char *const names[] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"};
    const uint8_t *p = data, *end = data + len;
    for (int i = 0; i < 3 && p <= end; i++) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        const uint8_t *stop = nul ? nul : end;
        s_add(z, names[i], p, (size_t)(stop - p));
        p = stop + 1;
    }
    if (zip_close(z) < 0) abort();
    zip_stat_t st;
    if (zip_source_stat(buf, &st) < 0 || zip_source_open(buf) < 0) abort();
    fp_buf_reserve(out, st.size);
    zip_int64_t n = zip_source_read(buf, out->data, st.size);
    if (n < 0) abort();
    out->len = (size_t)n;
    zip_source_close(buf);
    zip_source_free(buf);
    zip_error_fini(&ze);
}

static void s_read(const void *file, size_t len)
{
    fp_xlsx_limits_t lim = {.max_xml_bytes = 4u << 20,
                            .max_cells = 2000,
                            .max_strings = 500,
                            .max_string_bytes = 300,
                            .max_cols = 40,
                            .max_row_bytes = 2000};
    fp_xlsx_t *x = fp_xlsx_new();
    fp_xlsx_set_limits(x, &lim);
    fp_err_t rc = fp_xlsx_open(x, file, len);
    const fp_csv_record_t *rec = NULL;
    unsigned long last = 0;
    while (rc == FP_OK && (rc = fp_xlsx_next(x, &rec)) == FP_OK && rec) {
        if (rec->line <= last || rec->line > 1048576) abort();
        last = rec->line;
        if (rec->nfields < 1 || rec->nfields > lim.max_cols || rec->lens[rec->nfields - 1] == 0) abort();
        for (size_t i = 0; i < rec->nfields; i++)
            if (rec->fields[i][rec->lens[i]] != '\0' || rec->lens[i] > lim.max_string_bytes) abort();
    }
    if (rc != FP_OK) {
        if (!fp_xlsx_error(x)[0]) abort();
        if (fp_xlsx_next(x, &rec) != rc || rec) abort();
    }
    fp_xlsx_destroy(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (data[0] & 1) {
        fp_buf_t file = {0};
        s_wrap(data + 1, size - 1, &file);
        s_read(file.data, file.len);
        fp_buf_free(&file);
    } else {
        s_read(data + 1, size - 1);
    }
    return 0;
}
