/* visit_test.c: the visit's income and expense record (services/screening/visit.c): items by the
 * income method's names adding up, the rigid expenses, an item named twice, and the refusals at
 * their boundaries (an unknown item, a negative amount, an amount or a sum just above the bound,
 * the household size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../services/screening/income.c"
#include "../../services/screening/visit.c"

static void test_items_make_the_figures(void **state)
{
    (void)state;
    const screen_visit_item_t in[] = {{"wage_other", 1500000}, {"operating", 400000}, {"production_costs", 100000},
                                      {"transfer_dibao", 200000}, {"wage_other", 100000}};
    const screen_visit_item_t ex[] = {{"medical", 3000000}, {"education", 500000}, {"other_rigid", 1}};
    screen_visit_figures_t f;
    const char *bad = "x";
    assert_null(screen_visit_figures(in, 5, ex, 3, 3, &f, &bad));
    assert_null(bad);
    assert_int_equal(f.items[1], 1600000); /* wage_other named twice: added */
    assert_int_equal(f.income.net, 1600000 + 400000 + 200000 - 100000);
    assert_int_equal(f.income.per_capita_net, 700000);
    assert_int_equal(f.income.members, 3);
    assert_int_equal(f.medical, 3000000);
    assert_int_equal(f.education, 500000);
    assert_int_equal(f.other_rigid, 1);
    /* no items at all: a household of nothing */
    assert_null(screen_visit_figures(NULL, 0, NULL, 0, 1, &f, &bad));
    assert_int_equal(f.income.net, 0);
}

static void test_refusals(void **state)
{
    (void)state;
    screen_visit_figures_t f;
    const char *bad = NULL;
    const screen_visit_item_t unknown[] = {{"lottery", 1}};
    assert_string_equal(screen_visit_figures(unknown, 1, NULL, 0, 1, &f, &bad), "request.field");
    assert_string_equal(bad, "lottery");
    const screen_visit_item_t wrong_side[] = {{"medical", 1}}; /* an expense among the income items */
    assert_string_equal(screen_visit_figures(wrong_side, 1, NULL, 0, 1, &f, &bad), "request.field");
    const screen_visit_item_t neg[] = {{"medical", -1}};
    assert_string_equal(screen_visit_figures(NULL, 0, neg, 1, 1, &f, &bad), "request.field");
    assert_string_equal(bad, "medical");
    const screen_visit_item_t top[] = {{"operating", SCREEN_INCOME_MAX_FEN}};
    assert_null(screen_visit_figures(top, 1, NULL, 0, 1, &f, &bad)); /* at the bound: taken */
    const screen_visit_item_t over[] = {{"operating", SCREEN_INCOME_MAX_FEN + 1}};
    assert_string_equal(screen_visit_figures(over, 1, NULL, 0, 1, &f, &bad), "request.field");
    const screen_visit_item_t sum[] = {{"education", SCREEN_INCOME_MAX_FEN}, {"education", 1}};
    assert_string_equal(screen_visit_figures(NULL, 0, sum, 2, 1, &f, &bad), "request.field");
    assert_string_equal(bad, "education");
    const screen_visit_item_t ok[] = {{"wage_other", 1}};
    assert_string_equal(screen_visit_figures(ok, 1, NULL, 0, 0, &f, &bad), "request.field");
    assert_null(bad); /* the household size, not an item */
    assert_null(screen_visit_figures(ok, 1, NULL, 0, SCREEN_INCOME_MAX_MEMBERS, &f, &bad));
    assert_string_equal(screen_visit_figures(ok, 1, NULL, 0, SCREEN_INCOME_MAX_MEMBERS + 1, &f, &bad),
                        "request.field");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_make_the_figures),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
