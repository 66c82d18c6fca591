/* leadfile.c: a department's monthly file as leads (leadfile.h), for `fangpinctl push` and
 * intake's desk. */
#include "leadfile.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "service.h"
#include "textenc.h"

const char *fp_lead_result_name(unsigned result)
{
    static const char *const names[] = {"pending", "accepted", "duplicate", "rejected", "failed"};
    return result < sizeof names / sizeof *names ? names[result] : "pending";
}

/* Trims s[0..*n) in place of the pointer: returns the start, *n the trimmed length. */
static const char *s_trim(const char *s, size_t *n)
{
    size_t a = fp_ws_lead(s, *n);
    size_t b = a < *n ? fp_ws_trail(s + a, *n - a) : 0;
    *n = *n - a - b;
    return s + a;
}

/* The header's layout; the lines above the profile's header_row (a title) are passed over. */
typedef struct {
    fp_profile_layout_t pl;
    uint32_t above; /* lines seen above the header */
} s_layout_t;

static void s_show_header(fp_leadfile_t *lf, const fp_csv_record_t *rec)
{
    fp_buf_printf(&lf->err, "%s:%lu: the header has: ", lf->path, rec->line);
    for (size_t i = 0; i < rec->nfields; i++) {
        size_t n = rec->lens[i];
        const char *s = s_trim(rec->fields[i], &n);
        fp_buf_printf(&lf->err, "%s\"%.*s\"", i ? ", " : "", (int)n, s);
    }
    fp_buf_puts(&lf->err, "\n");
}

/* The header line, or a title line above it: then 0 and the header is still to come. A line
 * that is the header by the profile's columns is taken before the profile's header_row too, so
 * that the results file (which repeats the header but not the title lines) pushes again. */
static int s_header(fp_leadfile_t *lf, const fp_csv_record_t *rec, s_layout_t *lay)
{
    fp_buf_t why = {0};
    fp_err_t rc =
        fp_profile_header(&lf->profile, (const char *const *)rec->fields, rec->lens, rec->nfields, &lay->pl, &why);
    if (rc == FP_OK || ++lay->above < lf->profile.header_row) {
        lf->header_ready = rc == FP_OK;
        fp_buf_free(&why);
        return 0;
    }
    for (size_t at = 0; at < why.len;) {
        const char *nl = memchr(why.data + at, '\n', why.len - at);
        size_t n = nl ? (size_t)(nl - (why.data + at)) : why.len - at;
        fp_buf_printf(&lf->err, "%s:%lu: %.*s\n", lf->path, rec->line, (int)n, why.data + at);
        at += n + 1;
    }
    fp_buf_free(&why);
    s_show_header(lf, rec);
    lf->header_failed = true;
    return -1;
}

/* The reason of an amount that is not one in the profile's unit. */
static int32_t s_amount_refused(fp_leadfile_t *lf, const char *s, size_t n)
{
    char en[280], zh[280];
    int k = (int)(n > 40 ? 40 : n);
    while (k > 0 && (size_t)k < n && ((unsigned char)s[k] & 0xC0) == 0x80) k--; /* whole characters */
    if (lf->profile.wan) {
        snprintf(en, sizeof en,
                 "the amount \"%.*s\" is not a number of 万元 (10,000 yuan) with at most six decimals (e.g."
                 " 0.1235): correct it and push again",
                 k, s);
        snprintf(zh, sizeof zh,
                 "金额“%.*s”格式错误，应为以万元为单位、最多六位小数的数字（如 0.1235），请更正后重新报送", k, s);
    } else {
        snprintf(en, sizeof en,
                 "the amount \"%.*s\" is not a number of yuan with at most two decimals (e.g. 1234.50):"
                 " correct it and push again",
                 k, s);
        snprintf(zh, sizeof zh,
                 "金额“%.*s”格式错误，应为以元为单位、最多两位小数的数字（如 1234.50），请更正后重新报送", k, s);
    }
    return fp_arena_reason(&lf->arena, "amount.format", zh, en);
}

/* Field f of the line into r, as the profile maps it: a date in one of the profile's forms goes
 * as YYYY-MM-DD (anything else as written, for intake to refuse), an amount as fen. */
static void s_field(fp_leadfile_t *lf, const fp_csv_record_t *rec, const s_layout_t *lay, int f, fp_lead_row_t *r)
{
    lf->cell.len = 0;
    fp_profile_value(&lf->profile, &lay->pl, (fp_pf_field_t)f, (const char *const *)rec->fields, rec->lens,
                     rec->nfields, &lf->cell);
    const char *s = lf->cell.data ? lf->cell.data : "";
    size_t n = lf->cell.len;
    char text[24];
    if (f == FP_PF_DATE) {
        fp_err_t rc = fp_profile_date(&lf->profile, s, n, text);
        if (rc == FP_OK || rc == FP_EDATE) s = text, n = 10; /* 2026-02-30: intake says it is no date */
    } else if (f == FP_PF_REF && n == 0) {
        s = text, n = (size_t)snprintf(text, sizeof text, "%lu", rec->line);
    } else if (f == FP_PF_AMOUNT) {
        if (n == 0) return;
        if (fp_profile_amount(&lf->profile, s, n, &r->amount_fen) == FP_OK) r->has_amount = true;
        else if (r->reason < 0) r->reason = s_amount_refused(lf, s, n);
        return;
    }
    r->f[f] = fp_arena_put(&lf->arena, s, n);
}

/* Cells beyond the header's columns are a misplaced comma, unless they are empty. */
static void s_extra_cells(fp_leadfile_t *lf, const fp_csv_record_t *rec, size_t ncols, fp_lead_row_t *r)
{
    for (size_t i = ncols; i < rec->nfields && r->reason < 0; i++) {
        size_t n = rec->lens[i];
        s_trim(rec->fields[i], &n);
        if (n) {
            char en[200], zh[200];
            snprintf(en, sizeof en, "the line has %zu cells, the header %zu: a value holds an unquoted comma?",
                     rec->nfields, ncols);
            snprintf(zh, sizeof zh, "该行有 %zu 列，表头只有 %zu 列：某个值中含有未加引号的逗号？", rec->nfields,
                     ncols);
            r->reason = fp_arena_reason(&lf->arena, "csv.fields", zh, en);
        }
    }
}

static void s_row(fp_leadfile_t *lf, const fp_csv_record_t *rec, s_layout_t *lay)
{
    /* a line of empty cells (Excel writes them below the data) is no lead */
    bool blank = true;
    for (size_t i = 0; i < rec->nfields && blank; i++) {
        size_t n = rec->lens[i];
        s_trim(rec->fields[i], &n);
        blank = n == 0;
    }
    if (blank) return;
    if (lf->nrows == lf->rows_cap) {
        lf->rows_cap = lf->rows_cap ? lf->rows_cap * 2 : 1024;
        lf->rows = fp_realloc(lf->rows, lf->rows_cap * sizeof *lf->rows);
    }
    fp_lead_row_t *r = &lf->rows[lf->nrows++];
    memset(r, 0, sizeof *r);
    r->line = (uint32_t)rec->line;
    r->reason = -1;
    for (int f = 0; f < FP_PF_N; f++) s_field(lf, rec, lay, f, r);
    s_extra_cells(lf, rec, lay->pl.ncols, r);
    if (r->reason >= 0) {
        r->result = FP_LF_REJECTED;
        lf->n_local++;
        lf->n_rejected++;
    }
}

int fp_leadfile_load(fp_leadfile_t *lf, const char *path, const fp_buf_t *raw)
{
    lf->path = path;
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)raw->data, raw->len, NULL, 0);
    for (int i = 0; i < 8; i++) snprintf(lf->hash + 2 * i, 3, "%02x", digest[i]);
    int rc = fp_sheet_open(&lf->sheet, path, raw, &lf->encoding);
    fp_arena_reserve(&lf->arena, raw->len + raw->len / 4);
    s_layout_t lay = {0}; /* filled from the header before any row uses it */
    const fp_csv_record_t *rec = NULL;
    while (rc == 0 && (rc = fp_sheet_next(&lf->sheet, &rec)) == 0 && rec) {
        if (!lf->header_ready) { /* title lines above the header are not kept */
            if (s_header(lf, rec, &lay)) return -1;
            if (lf->header_ready) fp_sheet_keep_header(&lf->sheet, rec);
            continue;
        }
        size_t before = lf->nrows;
        s_row(lf, rec, &lay);
        if (lf->nrows > before) fp_sheet_keep(&lf->sheet, rec);
        if (lf->arena.full) {
            fp_buf_printf(&lf->err, "%s holds too much text: split it into several files\n", path);
            return -1;
        }
    }
    if (rc) { /* the sheet said why */
        fp_buf_append(&lf->err, lf->sheet.err.data ? lf->sheet.err.data : "", lf->sheet.err.len);
        return -1;
    }
    if (!lf->header_ready) {
        fp_buf_printf(&lf->err, "%s is empty: it needs a header line naming the columns\n", path);
        return -1;
    }
    return 0;
}

void fp_leadfile_batch_id(const fp_leadfile_t *lf, const char *period, long chunk, size_t index, char out[80])
{
    snprintf(out, 80, "%s-%s-c%ld-%zu", lf->hash, period, chunk, index + 1);
}

/* Lead k of a request: row r's fields (pointing into the arena). */
static void s_lead(const fp_leadfile_t *lf, const fp_lead_row_t *r, Fangpin__V1__Lead *l)
{
    fangpin__v1__lead__init(l);
    l->id_number = (char *)fp_arena_str(&lf->arena, r->f[FP_PF_ID]);
    l->name = (char *)fp_arena_str(&lf->arena, r->f[FP_PF_NAME]);
    l->village_code = (char *)fp_arena_str(&lf->arena, r->f[FP_PF_VILLAGE]);
    l->kind = (char *)fp_arena_str(&lf->arena, r->f[FP_PF_KIND]);
    l->occurred_on = (char *)fp_arena_str(&lf->arena, r->f[FP_PF_DATE]);
    l->detail = (char *)fp_arena_str(&lf->arena, r->f[FP_PF_DETAIL]);
    l->line_ref = (char *)fp_arena_str(&lf->arena, r->f[FP_PF_REF]);
    l->has_amount = r->has_amount;
    l->amount_fen = r->has_amount ? r->amount_fen : 0;
}

size_t fp_leadfile_request(fp_leadfile_t *lf, const char *period, const char *batch_id, size_t first, size_t count,
                           uint32_t **map, uint8_t **req, size_t *len)
{
    size_t n = 0;
    for (size_t i = first; i < first + count; i++) n += lf->rows[i].reason < 0;
    *map = NULL;
    *req = NULL;
    *len = 0;
    if (n == 0) return 0;
    *map = fp_malloc(n * sizeof **map);
    Fangpin__V1__Lead *leads = fp_calloc(n, sizeof *leads);
    Fangpin__V1__Lead **ptrs = fp_calloc(n, sizeof *ptrs);
    size_t k = 0;
    for (size_t i = first; i < first + count; i++) {
        if (lf->rows[i].reason >= 0) continue;
        s_lead(lf, &lf->rows[i], &leads[k]);
        ptrs[k] = &leads[k];
        (*map)[k++] = (uint32_t)i;
    }
    Fangpin__V1__SubmitLeads sl = FANGPIN__V1__SUBMIT_LEADS__INIT;
    sl.batch_id = (char *)batch_id;
    sl.period = (char *)period;
    sl.n_leads = n;
    sl.leads = ptrs;
    Fangpin__V1__IntakeRequest rq = FANGPIN__V1__INTAKE_REQUEST__INIT;
    rq.request_id = (char *)batch_id;
    rq.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS;
    rq.submit_leads = &sl;
    *len = fangpin__v1__intake_request__get_packed_size(&rq);
    *req = fp_malloc(*len);
    fangpin__v1__intake_request__pack(&rq, *req);
    free(leads);
    free(ptrs);
    return n;
}

/* Are the answer's indexes each of [0, nsent) once? */
static bool s_results_match(size_t nsent, const Fangpin__V1__IntakeReply *rep)
{
    if (rep->n_results != nsent) return false;
    bool *seen = fp_calloc(nsent ? nsent : 1, sizeof *seen);
    bool ok = true;
    for (size_t i = 0; i < rep->n_results && ok; i++) {
        uint32_t k = rep->results[i]->index;
        ok = k < nsent && !seen[k];
        if (ok) seen[k] = true;
    }
    free(seen);
    return ok;
}

bool fp_leadfile_take(fp_leadfile_t *lf, const uint32_t *map, size_t nsent, const Fangpin__V1__IntakeReply *rep)
{
    if (!s_results_match(nsent, rep)) return false;
    for (size_t i = 0; i < rep->n_results; i++) {
        const Fangpin__V1__ItemResult *it = rep->results[i];
        fp_lead_row_t *r = &lf->rows[map[it->index]];
        fp_sheet_resolved(&lf->sheet, map[it->index], it->kind);
        if (it->code == FANGPIN__V1__CODE__OK || it->code == FANGPIN__V1__CODE__DUPLICATE)
            snprintf(r->village, sizeof r->village, "%s", it->village);
        if (it->code == FANGPIN__V1__CODE__OK) {
            r->result = FP_LF_ACCEPTED;
            r->id = it->id;
            lf->n_accepted++;
        } else if (it->code == FANGPIN__V1__CODE__DUPLICATE) {
            r->result = FP_LF_DUPLICATE;
            r->id = it->duplicate_of;
            r->reason = fp_arena_reason(&lf->arena, it->reason, it->message_zh, it->message);
            lf->n_duplicate++;
        } else {
            r->result = FP_LF_REJECTED;
            r->reason = fp_arena_reason(&lf->arena, it->reason[0] ? it->reason : fp_code_name(it->code), it->message_zh,
                                        it->message);
            lf->n_rejected++;
        }
    }
    return true;
}

void fp_leadfile_unanswered(fp_leadfile_t *lf, size_t first, size_t count, int32_t reason)
{
    for (size_t i = first; i < first + count; i++) {
        fp_lead_row_t *r = &lf->rows[i];
        if (r->result != FP_LF_PENDING) continue;
        r->result = FP_LF_FAILED;
        r->reason = reason;
        lf->n_failed++;
    }
}

void fp_leadfile_batch_refused(fp_leadfile_t *lf, size_t first, size_t count, Fangpin__V1__Code code, const char *en,
                               const char *zh, bool mismatch)
{
    char cen[400], czh[400], rcode[48];
    snprintf(rcode, sizeof rcode, "push.%s", mismatch ? "bad_answer" : fp_code_name(code));
    for (char *q = rcode; *q; q++) *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
    snprintf(cen, sizeof cen, "the service refused this line's batch as a whole: %s", mismatch ? "bad answer" : en);
    snprintf(czh, sizeof czh, "服务拒收了该行所在的整个批次：%s", mismatch ? "答复与请求不符" : zh);
    fp_leadfile_unanswered(lf, first, count, fp_arena_reason(&lf->arena, rcode, czh, cen));
}

fp_outcome_t *fp_leadfile_outcomes(const fp_leadfile_t *lf)
{
    fp_outcome_t *out = fp_calloc(lf->nrows ? lf->nrows : 1, sizeof *out);
    for (size_t i = 0; i < lf->nrows; i++) {
        const fp_lead_row_t *r = &lf->rows[i];
        const fp_arena_reason_t *why = r->reason >= 0 ? &lf->arena.reasons[r->reason] : NULL;
        out[i] = (fp_outcome_t){.result = fp_lead_result_name(r->result),
                                .code = why ? why->code : "",
                                .zh = why ? why->zh : "",
                                .en = why ? why->en : "",
                                .id = r->id,
                                .village = r->village,
                                .line = r->line};
    }
    return out;
}

void fp_leadfile_free(fp_leadfile_t *lf)
{
    free(lf->rows);
    fp_buf_free(&lf->cell);
    fp_buf_free(&lf->err);
    fp_arena_free(&lf->arena);
    fp_sheet_free(&lf->sheet);
    lf->rows = NULL;
    lf->nrows = lf->rows_cap = 0;
}
