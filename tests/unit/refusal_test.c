/* refusal_test.c: the one table of reason codes (common/refusal.c): every code unique, said in
 * English and Chinese, answered with a refusal's status; every code of the rule catalogues
 * answered through it; docs/refusals.md is the table.
 *
 *     build-test/tests/refusal_test --doc > docs/refusals.md    (after a change of the table) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/assistance/measures.c"
#include "../../services/intake/lead_validate.c"
#include "../../services/intake/kinds.c"
#include "../../services/screening/case_machine.c"
#include "mem.h"
#include "refusal.h"

static const char *s_status_name(Fangpin__V1__Code c)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&fangpin__v1__code__descriptor, (int)c);
    return v ? v->name : "?";
}

static bool s_is_family(const char *code)
{
    size_t n = strlen(code);
    return n >= 2 && code[n - 2] == '.' && code[n - 1] == '*';
}

static const char *s_cell(fp_buf_t *b, const char *text)
{
    b->len = 0;
    fp_buf_puts(b, "");
    for (const char *p = text; *p; p++) {
        if (*p == '|') fp_buf_puts(b, "\\");
        fp_buf_append(b, p, 1);
    }
    fp_buf_puts(b, "");
    return b->data;
}

/* The page docs/refusals.md: an introduction, then the table. */
static void s_doc(fp_buf_t *out)
{
    fp_buf_puts(out,
                "# Refusal codes\n\n"
                "<!-- Generated from common/refusal.c by `build-test/tests/refusal_test --doc`; do not edit here. "
                "-->\n\n"
                "Every refusal a service answers carries one of these codes in its reply's `Status.reason`\n"
                "(docs/protocol.md), and on the reporting service's HTTP downloads in the header\n"
                "`X-Fangpin-Reason`. A code is always answered with the same status: the services name only the\n"
                "code (`fp_request_refuse`, `common/service.h`) and the status comes from this table, the C table\n"
                "`fp_refusals[]` in `common/refusal.c`. A reply's `message` and `message_zh` say the refusal for\n"
                "the request at hand (naming the field, the limit or the level); the words here say what the code\n"
                "means.\n\n"
                "A code ending in `.*` stands for the codes of a rule catalogue, each with its own words there:\n"
                "`case.*` the case table's (`services/screening/case_machine.c`, docs/screening-rules.md),\n"
                "`elim.*` the elimination table's (`services/assistance/elimination.c`, docs/assistance-rules.md),\n"
                "`measure.*` the measure rules' (`services/assistance/measures.c`), `batch.*` intake's checks of a\n"
                "batch (`services/intake/lead_validate.c`, docs/protocol.md \"SubmitLeads\"). A row naming one code\n"
                "of such a catalogue gives it another status than its catalogue's. The reasons of single leads in\n"
                "a batch (`ItemResult.reason`: `idcard.*`, `name.*`, ...) are listed with SubmitLeads in\n"
                "docs/protocol.md.\n\n"
                "To add a code: a row in `fp_refusals[]`, then `build-test/tests/refusal_test --doc >\n"
                "docs/refusals.md`; `unit_refusal` checks that the page is the table.\n\n"
                "| code | status | meaning | 含义 |\n"
                "|---|---|---|---|\n");
    fp_buf_t c = {0};
    for (const fp_refusal_t *r = fp_refusals; r->code; r++) {
        fp_buf_printf(out, "| `%s` | `%s` | ", r->code, s_status_name(r->status));
        fp_buf_printf(out, "%s | ", r->en ? s_cell(&c, r->en) : "(the catalogue's words)");
        fp_buf_printf(out, "%s |\n", r->zh ? s_cell(&c, r->zh) : "（见规则目录）");
    }
    fp_buf_free(&c);
}

static void test_codes_unique_and_said(void **state)
{
    (void)state;
    size_t n = 0;
    for (const fp_refusal_t *r = fp_refusals; r->code; r++, n++) {
        assert_true(strlen(r->code) > 2);
        for (const fp_refusal_t *q = fp_refusals; q != r; q++) assert_string_not_equal(q->code, r->code);
        /* a refusal, never OK or a batch's PARTIAL */
        assert_int_not_equal(r->status, FANGPIN__V1__CODE__OK);
        assert_int_not_equal(r->status, FANGPIN__V1__CODE__PARTIAL);
        assert_int_not_equal(r->status, FANGPIN__V1__CODE__DUPLICATE);
        if (r->en && r->zh) continue;
        /* no words of its own: a catalogue's code, given another status */
        assert_null(r->en);
        assert_null(r->zh);
        const fp_refusal_t *fam = NULL;
        for (const fp_refusal_t *q = fp_refusals; q->code; q++)
            if (s_is_family(q->code) && !strncmp(q->code, r->code, strlen(q->code) - 1)) fam = q;
        assert_non_null(fam);
        assert_int_not_equal(fam->status, r->status);
    }
    assert_true(n > 20);
}

static void test_find(void **state)
{
    (void)state;
    assert_null(fp_refusal_find(NULL));
    assert_null(fp_refusal_find(""));
    assert_null(fp_refusal_find("no.such_code"));
    assert_null(fp_refusal_find("case."));       /* a family's prefix is no code */
    assert_null(fp_refusal_find("cases.final")); /* nor another word beginning alike */
    assert_string_equal(fp_refusal_find("case.final")->code, "case.*");
    assert_string_equal(fp_refusal_find("case.not_found")->code, "case.not_found");
    assert_int_equal(fp_refusal_status("case.final"), FANGPIN__V1__CODE__CONFLICT);
    assert_int_equal(fp_refusal_status("no.such_code"), FANGPIN__V1__CODE__INTERNAL);
    assert_int_equal(fp_refusal_status("request.unknown_operation"), FANGPIN__V1__CODE__UNKNOWN_OPERATION);
    assert_int_equal(fp_refusal_status("db.unavailable"), FANGPIN__V1__CODE__UNAVAILABLE);
}

/* One situation, one status, in every service: the wrong level is FORBIDDEN for a case as for an
 * elimination; a malformed record BAD_REQUEST; what the rules refuse CONFLICT. */
static void test_same_situation_same_status(void **state)
{
    (void)state;
    assert_int_equal(fp_refusal_status("case.level_not_allowed"), FANGPIN__V1__CODE__FORBIDDEN);
    assert_int_equal(fp_refusal_status("elim.level_not_allowed"), FANGPIN__V1__CODE__FORBIDDEN);
    assert_int_equal(fp_refusal_status("caller.level"), FANGPIN__V1__CODE__FORBIDDEN);
    assert_int_equal(fp_refusal_status("case.bad_request"), FANGPIN__V1__CODE__BAD_REQUEST);
    assert_int_equal(fp_refusal_status("elim.bad_request"), FANGPIN__V1__CODE__BAD_REQUEST);
    assert_int_equal(fp_refusal_status("measure.bad_status"), FANGPIN__V1__CODE__BAD_REQUEST);
    assert_int_equal(fp_refusal_status("case.event_not_allowed"), FANGPIN__V1__CODE__CONFLICT);
    assert_int_equal(fp_refusal_status("elim.event_not_allowed"), FANGPIN__V1__CODE__CONFLICT);
}

/* Every code a rule catalogue can answer a request with has a row (its own or its catalogue's);
 * the elimination's in refusal_elim_test.c (its table and the case's cannot share a file). */
static void test_catalogues_covered(void **state)
{
    (void)state;
    for (const fp_reason_t *r = screen_case_reasons; r->code; r++) assert_non_null(fp_refusal_find(r->code));
    for (const fp_reason_t *r = assist_measure_reasons; r->code; r++) assert_non_null(fp_refusal_find(r->code));
    size_t batch = 0;
    for (const fp_reason_t *r = intake_reasons; r->code; r++) {
        if (strncmp(r->code, "batch.", 6) != 0) continue; /* a lead's reason: ItemResult, not Status */
        assert_int_equal(fp_refusal_status(r->code), FANGPIN__V1__CODE__BAD_REQUEST);
        batch++;
    }
    assert_int_equal(batch, 5);
}

static void test_doc_is_the_table(void **state)
{
    (void)state;
    fp_buf_t want = {0};
    s_doc(&want);
    FILE *f = fopen(FP_SOURCE_DIR "/docs/refusals.md", "rb");
    assert_non_null(f);
    fp_buf_t have = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fp_buf_append(&have, chunk, n);
    fclose(f);
    fp_buf_puts(&have, "");
    if (strcmp(have.data, want.data) != 0)
        fail_msg("docs/refusals.md is not common/refusal.c's table: build-test/tests/refusal_test --doc >"
                 " docs/refusals.md");
    fp_buf_free(&want);
    fp_buf_free(&have);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--doc")) {
        fp_buf_t b = {0};
        s_doc(&b);
        fwrite(b.data, 1, b.len, stdout);
        fp_buf_free(&b);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_unique_and_said),      cmocka_unit_test(test_find),
        cmocka_unit_test(test_same_situation_same_status), cmocka_unit_test(test_catalogues_covered),
        cmocka_unit_test(test_doc_is_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
