/* leadfile_test.c: a department's file as leads (common/leadfile.c), the part `fangpinctl push`
 * and intake's desk share: a GBK CSV read under the built-in profile (a blank line skipped, an
 * amount that is no amount and a misplaced comma refused here, a line just inside both sent),
 * batch ids made of the file's hash (the same bytes, the same ids; one byte more, others), the
 * SubmitLeads of a batch (only the lines not refused here, each field), an answer that does not
 * fit the request taken for nothing, the answers taken, a batch refused as a whole, a header
 * without the required columns, and the results as CSV bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "leadfile.h"

/* 身份证号,姓名,村代码,线索类型,发生日期,金额(元) in GBK, then four lines and a blank one. */
static const char s_gbk[] =
    "\xc9\xed\xb7\xdd\xd6\xa4\xba\xc5,\xd0\xd5\xc3\xfb,\xb4\xe5\xb4\xfa\xc2\xeb,\xcf\xdf\xcb\xf7\xc0\xe0\xd0\xcd,"
    "\xb7\xa2\xc9\xfa\xc8\xd5\xc6\xda,\xbd\xf0\xb6\xee(\xd4\xaa)\r\n"
    "130822199001011234,\xd5\xc5\xc8\xfd,130822100001,yibao.high_cost,2026/10/3,1234.50\r\n"
    "130822199001011234,\xc0\xee\xcb\xc4,130822100001,yibao.high_cost,2026-10-04,12.345\r\n"
    ",,,,,\r\n"
    "130822199001011234,\xcd\xf5\xce\xe5,130822100001,yibao.high_cost,2026-10-05,1,extra\r\n"
    "130822199001011234,\xd5\xd4\xc1\xf9,130822100001,yibao.high_cost,2026-10-06,,\r\n";

static void s_load(fp_leadfile_t *lf, fp_buf_t *raw, const char *text, size_t len)
{
    memset(lf, 0, sizeof *lf);
    fp_profile_default(&lf->profile);
    *raw = (fp_buf_t){0};
    fp_buf_append(raw, text, len);
}

static void test_gbk_lines(void **state)
{
    (void)state;
    fp_leadfile_t lf;
    fp_buf_t raw;
    s_load(&lf, &raw, s_gbk, sizeof s_gbk - 1);
    assert_int_equal(fp_leadfile_load(&lf, "f.csv", &raw), 0);
    assert_string_equal(lf.encoding, "gbk");
    assert_int_equal(lf.nrows, 4); /* the blank line is no lead */
    assert_int_equal(lf.rows[0].line, 2);
    assert_int_equal(lf.rows[0].reason, -1);
    assert_true(lf.rows[0].has_amount);
    assert_int_equal(lf.rows[0].amount_fen, 123450);
    assert_string_equal(fp_arena_str(&lf.arena, lf.rows[0].f[FP_PF_NAME]), "张三");
    assert_string_equal(fp_arena_str(&lf.arena, lf.rows[0].f[FP_PF_DATE]), "2026-10-03");
    assert_string_equal(fp_arena_str(&lf.arena, lf.rows[0].f[FP_PF_REF]), "2"); /* the line, by default */
    assert_int_equal(lf.rows[1].result, FP_LF_REJECTED);
    assert_true(lf.rows[1].reason >= 0 && lf.rows[2].reason >= 0);
    assert_string_equal(lf.arena.reasons[lf.rows[1].reason].code, "amount.format");
    assert_int_equal(lf.rows[2].line, 5);
    assert_string_equal(lf.arena.reasons[lf.rows[2].reason].code, "csv.fields");
    assert_int_equal(lf.rows[3].reason, -1); /* an empty cell past the header is no comma */
    assert_int_equal(lf.n_local, 2);
    fp_leadfile_free(&lf);
    fp_buf_free(&raw);
}

static void test_batch_ids(void **state)
{
    (void)state;
    fp_leadfile_t a, b;
    fp_buf_t ra, rb;
    s_load(&a, &ra, s_gbk, sizeof s_gbk - 1);
    s_load(&b, &rb, s_gbk, sizeof s_gbk - 1);
    fp_buf_append(&rb, "\r\n", 2);
    assert_int_equal(fp_leadfile_load(&a, "a", &ra), 0);
    assert_int_equal(fp_leadfile_load(&b, "b", &rb), 0);
    char ida[80], ida2[80], idb[80];
    fp_leadfile_batch_id(&a, "2026-10", FP_LEADFILE_CHUNK, 0, ida);
    fp_leadfile_batch_id(&a, "2026-10", FP_LEADFILE_CHUNK, 1, ida2);
    fp_leadfile_batch_id(&b, "2026-10", FP_LEADFILE_CHUNK, 0, idb);
    assert_int_equal(strlen(a.hash), 16);
    assert_non_null(strstr(ida, "-2026-10-c2000-1"));
    assert_non_null(strstr(ida2, "-c2000-2"));
    assert_string_not_equal(ida, idb);
    fp_leadfile_free(&a);
    fp_leadfile_free(&b);
    fp_buf_free(&ra);
    fp_buf_free(&rb);
}

/* The batch of every line: the two sent, their fields. */
static void test_request_and_answers(void **state)
{
    (void)state;
    fp_leadfile_t lf;
    fp_buf_t raw;
    s_load(&lf, &raw, s_gbk, sizeof s_gbk - 1);
    assert_int_equal(fp_leadfile_load(&lf, "f.csv", &raw), 0);
    uint32_t *map;
    uint8_t *req;
    size_t len;
    size_t n = fp_leadfile_request(&lf, "2026-10", "b1", 0, lf.nrows, &map, &req, &len);
    assert_int_equal(n, 2);
    assert_int_equal(map[0], 0);
    assert_int_equal(map[1], 3);
    Fangpin__V1__IntakeRequest *rq = fangpin__v1__intake_request__unpack(NULL, len, req);
    assert_non_null(rq);
    assert_string_equal(rq->request_id, "b1");
    assert_string_equal(rq->submit_leads->period, "2026-10");
    assert_int_equal(rq->submit_leads->n_leads, 2);
    assert_string_equal(rq->submit_leads->leads[0]->name, "张三");
    assert_int_equal(rq->submit_leads->leads[0]->amount_fen, 123450);
    assert_false(rq->submit_leads->leads[1]->has_amount);
    fangpin__v1__intake_request__free_unpacked(rq, NULL);
    /* an answer with one result for two leads is taken for nothing */
    Fangpin__V1__ItemResult r0 = FANGPIN__V1__ITEM_RESULT__INIT, r1 = FANGPIN__V1__ITEM_RESULT__INIT;
    Fangpin__V1__ItemResult *items[2] = {&r0, &r1};
    Fangpin__V1__IntakeReply rep = FANGPIN__V1__INTAKE_REPLY__INIT;
    rep.results = items;
    rep.n_results = 1;
    assert_false(fp_leadfile_take(&lf, map, n, &rep));
    r0.index = 1, r1.index = 1; /* an index twice */
    rep.n_results = 2;
    assert_false(fp_leadfile_take(&lf, map, n, &rep));
    r0.index = 0, r0.code = FANGPIN__V1__CODE__OK, r0.id = 41, r0.village = (char *)"130822100001";
    r0.kind = (char *)"yibao.high_cost";
    r1.code = FANGPIN__V1__CODE__BAD_REQUEST, r1.reason = (char *)"idcard.checksum", r1.message = (char *)"bad";
    r1.message_zh = (char *)"错";
    assert_true(fp_leadfile_take(&lf, map, n, &rep));
    assert_int_equal(lf.rows[0].result, FP_LF_ACCEPTED);
    assert_int_equal(lf.rows[0].id, 41);
    assert_int_equal(lf.rows[3].result, FP_LF_REJECTED);
    assert_int_equal(lf.n_accepted, 1);
    assert_int_equal(lf.n_rejected, 3);
    fp_outcome_t *out = fp_leadfile_outcomes(&lf);
    assert_string_equal(out[0].result, "accepted");
    assert_string_equal(out[3].code, "idcard.checksum");
    fp_buf_t csv = {0};
    fp_results_csv(&lf.sheet, out, lf.nrows, &csv);
    assert_memory_equal(csv.data, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(csv.data, "结果,原因代码"));
    assert_non_null(strstr(csv.data, "张三"));
    assert_non_null(strstr(csv.data, "接收"));
    assert_non_null(strstr(csv.data, "idcard.checksum"));
    fp_buf_free(&csv);
    free(out);
    free(map);
    free(req);
    fp_leadfile_free(&lf);
    fp_buf_free(&raw);
}

static void test_batch_refused(void **state)
{
    (void)state;
    fp_leadfile_t lf;
    fp_buf_t raw;
    s_load(&lf, &raw, s_gbk, sizeof s_gbk - 1);
    assert_int_equal(fp_leadfile_load(&lf, "f.csv", &raw), 0);
    fp_leadfile_batch_refused(&lf, 0, lf.nrows, FANGPIN__V1__CODE__FORBIDDEN, "no", "不", false);
    assert_int_equal(lf.rows[0].result, FP_LF_FAILED);
    assert_string_equal(lf.arena.reasons[lf.rows[0].reason].code, "push.forbidden");
    assert_int_equal(lf.rows[1].result, FP_LF_REJECTED); /* refused here: keeps its own reason */
    assert_int_equal(lf.n_failed, 2);
    fp_leadfile_free(&lf);
    fp_buf_free(&raw);
}

static void test_header_and_empty(void **state)
{
    (void)state;
    fp_leadfile_t lf;
    fp_buf_t raw;
    const char bad[] = "姓名,村代码\n张三,130822100001\n";
    s_load(&lf, &raw, bad, sizeof bad - 1);
    assert_int_equal(fp_leadfile_load(&lf, "f.csv", &raw), -1);
    assert_true(lf.header_failed);
    assert_non_null(strstr(lf.err.data, "f.csv:1: "));
    assert_non_null(strstr(lf.err.data, "the header has: \"姓名\", \"村代码\""));
    fp_leadfile_free(&lf);
    fp_buf_free(&raw);
    s_load(&lf, &raw, "", 0);
    assert_int_equal(fp_leadfile_load(&lf, "e.csv", &raw), -1);
    assert_false(lf.header_failed);
    assert_non_null(strstr(lf.err.data, "e.csv is empty"));
    fp_leadfile_free(&lf);
    fp_buf_free(&raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gbk_lines),           cmocka_unit_test(test_batch_ids),
        cmocka_unit_test(test_request_and_answers), cmocka_unit_test(test_batch_refused),
        cmocka_unit_test(test_header_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
