/* refusal_elim_test.c: every code of the elimination's catalogue has a row in the one table of
 * reason codes (common/refusal.c), as refusal_test.c checks the other catalogues. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/assistance/elimination.c"
#include "refusal.h"

static void test_elim_catalogue_covered(void **state)
{
    (void)state;
    size_t n = 0;
    for (const fp_reason_t *r = assist_elim_reasons; r->code; r++, n++) {
        assert_non_null(fp_refusal_find(r->code));
        Fangpin__V1__Code want = !strcmp(r->code, "elim.bad_request") ? FANGPIN__V1__CODE__BAD_REQUEST
            : !strcmp(r->code, "elim.level_not_allowed")              ? FANGPIN__V1__CODE__FORBIDDEN
                                                                      : FANGPIN__V1__CODE__CONFLICT;
        assert_int_equal(fp_refusal_status(r->code), want);
    }
    assert_true(n > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elim_catalogue_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
