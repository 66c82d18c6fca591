/* ops_test.c: who a principal is to the operation tables (common/ops.c, fp_caller_of): each kind
 * and level one class, and an actor without a region or of an unknown level none, so that no
 * operation admits it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

static fp_principal_t s_p(const char *kind, const char *level, const char *region)
{
    fp_principal_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.kind, sizeof p.kind, "%s", kind);
    snprintf(p.level, sizeof p.level, "%s", level);
    snprintf(p.region, sizeof p.region, "%s", region);
    return p;
}

static void test_classes(void **state)
{
    (void)state;
    struct {
        const char *kind, *level, *region;
        unsigned want;
    } cases[] = {
        {"admin", "", "130822", FP_CALL_ADMIN},
        {"department", "county", "130822", FP_CALL_DEPARTMENT},
        {"gateway", "", "130822", FP_CALL_GATEWAY},
        {"actor", "village", "130822112201", FP_CALL_VILLAGE},
        {"actor", "township", "130822112", FP_CALL_TOWNSHIP},
        {"actor", "county", "130822", FP_CALL_COUNTY},
        {"actor", "prefecture", "1308", FP_CALL_PREFECTURE},
        {"actor", "province", "13", FP_CALL_PROVINCE},
        {"actor", "county", "", 0},       /* no region: no level it acts at */
        {"actor", "hamlet", "130822", 0}, /* an unknown level fails closed */
        {"robot", "", "130822", 0},       /* an unknown kind too */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fp_principal_t p = s_p(cases[i].kind, cases[i].level, cases[i].region);
        assert_int_equal(fp_caller_of(&p), cases[i].want);
    }
}

static void test_sets(void **state)
{
    (void)state;
    fp_principal_t village = s_p("actor", "village", "130822112201"), admin = s_p("admin", "", "130822");
    fp_principal_t prefecture = s_p("actor", "prefecture", "1308");
    assert_true(fp_caller_of(&village) & FP_CALL_STEPS);
    assert_false(fp_caller_of(&admin) & FP_CALL_ACTORS);
    assert_false(fp_caller_of(&prefecture) & FP_CALL_STEPS); /* reads, takes no step */
    assert_true(fp_caller_of(&prefecture) & FP_CALL_ACTORS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
