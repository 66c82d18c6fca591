/* pbdecode_test.c: the decoding budget (common/pbdecode.c). A real department batch decodes
 * within FP_DECODE_FACTOR times its size; frames whose items are empty, or which are made of
 * millions of tiny fields, are refused before anything is allocated; and the estimate is an
 * upper bound of what protobuf-c allocates (an unpack capped at the estimate succeeds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fangpin/v1/intake.pb-c.h"
#include "fangpin/v1/screening.pb-c.h"
#include "pbdecode.h"
#include "service.h"

static uint8_t *s_pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    protobuf_c_message_pack(m, buf);
    return buf;
}

/* A batch of n leads as a department sends them. */
static uint8_t *s_batch(size_t n, int empty, size_t *len)
{
    Fangpin__V1__IntakeRequest r = FANGPIN__V1__INTAKE_REQUEST__INIT;
    Fangpin__V1__SubmitLeads sl = FANGPIN__V1__SUBMIT_LEADS__INIT;
    Fangpin__V1__Lead *leads = calloc(n, sizeof *leads);
    Fangpin__V1__Lead **ptrs = calloc(n, sizeof *ptrs);
    char(*refs)[16] = calloc(n, sizeof *refs);
    for (size_t i = 0; i < n; i++) {
        fangpin__v1__lead__init(&leads[i]);
        if (!empty) {
            snprintf(refs[i], sizeof refs[i], "%zu", i + 2);
            leads[i].id_number = (char *)"13082219800101123X";
            leads[i].name = (char *)"王小明";
            leads[i].village_code = (char *)"130822112001";
            leads[i].kind = (char *)"yibao.high_cost";
            leads[i].occurred_on = (char *)"2026-10-03";
            leads[i].amount_fen = 1234500;
            leads[i].has_amount = 1;
            leads[i].line_ref = refs[i];
        }
        ptrs[i] = &leads[i];
    }
    r.request_id = (char *)"b1";
    r.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS;
    r.submit_leads = &sl;
    sl.batch_id = (char *)"b1";
    sl.period = (char *)"2026-10";
    sl.n_leads = n;
    sl.leads = ptrs;
    uint8_t *buf = s_pack(&r.base, len);
    free(leads);
    free(ptrs);
    free(refs);
    return buf;
}

static void test_real_batch_fits(void **state)
{
    (void)state;
    size_t len, need = 0;
    uint8_t *buf = s_batch(10000, 0, &len);
    assert_true(len < 4u * 1024 * 1024); /* intake's default FANGPIN_MAX_REQUEST_BYTES */
    size_t budget = fp_pb_budget(len, FP_DECODE_FACTOR);
    assert_int_equal(fp_pb_estimate(&fangpin__v1__intake_request__descriptor, buf, len, budget, &need), FP_PB_OK);
    printf("10,000 leads: %zu bytes on the wire, estimate %zu (%.1fx), budget %zu\n", len, need, (double)need / len,
           budget);
    /* the estimate bounds what protobuf-c allocates: capped at it, the unpack succeeds */
    fp_pb_result_t why;
    ProtobufCMessage *m = fp_pb_unpack(&fangpin__v1__intake_request__descriptor, buf, len, need, &why);
    assert_non_null(m);
    assert_int_equal(why, FP_PB_OK);
    Fangpin__V1__IntakeRequest *r = (Fangpin__V1__IntakeRequest *)m;
    assert_int_equal(r->submit_leads->n_leads, 10000);
    assert_string_equal(r->submit_leads->leads[9999]->line_ref, "10001");
    assert_string_equal(fp_pb_request_id(m), "b1");
    protobuf_c_message_free_unpacked(m, NULL);
    free(buf);
}

static void test_empty_leads_refused(void **state)
{
    (void)state;
    size_t len, need = 0;
    uint8_t *buf = s_batch(1000000, 1, &len); /* 2 bytes a lead */
    assert_true(len < 4u * 1024 * 1024);
    size_t budget = fp_pb_budget(len, FP_DECODE_FACTOR);
    assert_int_equal(fp_pb_estimate(&fangpin__v1__intake_request__descriptor, buf, len, budget, &need),
                     FP_PB_TOO_COMPLEX);
    assert_true(need > budget);
    fp_pb_result_t why = FP_PB_OK;
    assert_null(fp_pb_unpack(&fangpin__v1__intake_request__descriptor, buf, len, budget, &why));
    assert_int_equal(why, FP_PB_TOO_COMPLEX);
    /* even with the estimate skipped, the capped allocator stops protobuf-c at the budget */
    why = FP_PB_OK;
    assert_null(fp_pb_unpack_capped(&fangpin__v1__intake_request__descriptor, buf, len, budget, &why));
    assert_int_equal(why, FP_PB_TOO_COMPLEX);
    free(buf);
}

/* A million and a half unknown fields of 3 bytes each. */
static void test_tiny_fields_refused(void **state)
{
    (void)state;
    size_t n = 1500000, len = 0;
    uint8_t *buf = malloc(8 + 3 * n);
    /* a ScreeningRequest whose field 1 is the id and whose field 900 (unknown) repeats n times */
    buf[len++] = 0x0a;
    buf[len++] = 1;
    buf[len++] = 'r';
    for (size_t i = 0; i < n; i++) {
        buf[len++] = 0xa0; /* field 900, varint: 900 << 3 = 7200 = 0xa0 0x38 */
        buf[len++] = 0x38;
        buf[len++] = 0;
    }
    fp_pb_result_t why = FP_PB_OK;
    assert_null(
        fp_pb_unpack(&fangpin__v1__screening_request__descriptor, buf, len, fp_pb_budget(len, FP_DECODE_FACTOR), &why));
    assert_int_equal(why, FP_PB_TOO_COMPLEX);
    free(buf);
}

static void test_malformed(void **state)
{
    (void)state;
    static const uint8_t truncated[] = {0x0a, 0x05, 'a', 'b'};
    static const uint8_t group[] = {0x0b, 0x0c};
    static const uint8_t longvarint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    fp_pb_result_t why = FP_PB_OK;
    assert_null(fp_pb_unpack(&fangpin__v1__intake_request__descriptor, truncated, sizeof truncated, 1 << 20, &why));
    assert_int_equal(why, FP_PB_MALFORMED);
    assert_null(fp_pb_unpack(&fangpin__v1__intake_request__descriptor, group, sizeof group, 1 << 20, &why));
    assert_int_equal(why, FP_PB_MALFORMED);
    assert_null(fp_pb_unpack(&fangpin__v1__intake_request__descriptor, longvarint, sizeof longvarint, 1 << 20, &why));
    assert_int_equal(why, FP_PB_MALFORMED);
    /* an empty frame is an empty message: its request id is "" (refused by the caller) */
    ProtobufCMessage *m = fp_pb_unpack(&fangpin__v1__intake_request__descriptor, NULL, 0, 1 << 20, &why);
    assert_non_null(m);
    assert_string_equal(fp_pb_request_id(m), "");
    protobuf_c_message_free_unpacked(m, NULL);
}

static void test_request_id(void **state)
{
    (void)state;
    char long_id[130];
    memset(long_id, 'a', 129);
    long_id[129] = '\0';
    assert_false(fp_request_id_valid(""));
    assert_false(fp_request_id_valid(NULL));
    assert_false(fp_request_id_valid(long_id));
    long_id[128] = '\0';
    assert_true(fp_request_id_valid(long_id));
    assert_true(fp_request_id_valid("b-2026-10:yibao 1"));
    assert_false(fp_request_id_valid("a\nb"));
    assert_false(fp_request_id_valid("批次1"));
    assert_false(fp_request_id_valid("a\x7f"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_batch_fits),     cmocka_unit_test(test_empty_leads_refused),
        cmocka_unit_test(test_tiny_fields_refused), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_request_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
