/* arena_test.c: common/arena.c: strings kept by offset through the buffer's growth, reasons
 * interned once each, and the limit on the text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

static void test_strings_survive_growth(void **state)
{
    (void)state;
    fp_arena_t a = {0};
    assert_string_equal(fp_arena_str(&a, FP_ARENA_NONE), "");
    enum { N = 20000 };
    static uint32_t off[N];
    char s[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(s, sizeof s, "field-%d", i);
        off[i] = fp_arena_put(&a, s, (size_t)n);
        assert_int_not_equal(off[i], FP_ARENA_NONE);
    }
    assert_true(a.text.len > 100000); /* the buffer grew many times over */
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof s, "field-%d", i);
        assert_string_equal(fp_arena_str(&a, off[i]), s);
    }
    /* a string is its n bytes, not what follows them; an empty one is "" */
    uint32_t part = fp_arena_put(&a, "abcdef", 3);
    uint32_t empty = fp_arena_put(&a, "xyz", 0);
    assert_string_equal(fp_arena_str(&a, part), "abc");
    assert_string_equal(fp_arena_str(&a, empty), "");
    assert_false(a.full);
    fp_arena_free(&a);
    assert_null(a.text.data);
    assert_int_equal(a.text.len, 0);
    /* ready again after free */
    assert_int_equal(fp_arena_put(&a, "again", 5), 0);
    assert_string_equal(fp_arena_str(&a, 0), "again");
    fp_arena_free(&a);
}

static void test_reasons_interned(void **state)
{
    (void)state;
    fp_arena_t a = {0};
    int32_t r0 = fp_arena_reason(&a, "amount.format", "金额格式错误", "bad amount");
    int32_t r1 = fp_arena_reason(&a, "csv.fields", "列数不符", "cells");
    assert_int_equal(r0, 0);
    assert_int_equal(r1, 1);
    assert_int_equal(fp_arena_reason(&a, "amount.format", "金额格式错误", "bad amount"), r0);
    /* a difference in any of the three is another reason */
    assert_int_equal(fp_arena_reason(&a, "amount.format", "金额格式错误", "bad amount!"), 2);
    assert_int_equal(fp_arena_reason(&a, "amount.format", "金额格式", "bad amount"), 3);
    assert_int_equal(fp_arena_reason(&a, "amount.formaT", "金额格式错误", "bad amount"), 4);
    /* the boundaries between the strings count: ("ab", "c") is not ("a", "bc") */
    int32_t x = fp_arena_reason(&a, "ab", "c", "");
    int32_t y = fp_arena_reason(&a, "a", "bc", "");
    assert_int_not_equal(x, y);
    /* NULL is "" */
    int32_t z = fp_arena_reason(&a, "push.stopped", NULL, NULL);
    assert_int_equal(fp_arena_reason(&a, "push.stopped", "", ""), z);
    assert_string_equal(a.reasons[z].zh, "");
    assert_string_equal(a.reasons[r1].en, "cells");
    assert_int_equal(a.nreasons, 8);

    /* many distinct reasons (the table grows), each found again at its own index */
    char en[64];
    int32_t first = (int32_t)a.nreasons;
    for (int i = 0; i < 5000; i++) {
        snprintf(en, sizeof en, "the amount \"%d\" is not a number", i);
        assert_int_equal(fp_arena_reason(&a, "amount.format", "金额", en), first + i);
    }
    for (int i = 4999; i >= 0; i--) {
        snprintf(en, sizeof en, "the amount \"%d\" is not a number", i);
        assert_int_equal(fp_arena_reason(&a, "amount.format", "金额", en), first + i);
        assert_string_equal(a.reasons[first + i].en, en);
    }
    assert_int_equal(a.nreasons, (size_t)first + 5000);
    assert_int_equal(fp_arena_reason(&a, "amount.format", "金额格式错误", "bad amount"), r0);
    fp_arena_free(&a);
    assert_int_equal(a.nreasons, 0);
    assert_int_equal(fp_arena_reason(&a, "csv.fields", "列数不符", "cells"), 0);
    fp_arena_free(&a);
}

static void test_limit(void **state)
{
    (void)state;
    fp_arena_t a = {.max = 10};
    uint32_t o1 = fp_arena_put(&a, "abcd", 4); /* 5 bytes */
    uint32_t o2 = fp_arena_put(&a, "efgh", 4); /* 10: exactly the limit */
    assert_int_equal(o1, 0);
    assert_int_equal(o2, 5);
    assert_false(a.full);
    assert_int_equal(fp_arena_put(&a, "", 0), FP_ARENA_NONE); /* even a NUL no longer fits */
    assert_true(a.full);
    assert_int_equal(a.text.len, 10); /* nothing kept of it */
    assert_string_equal(fp_arena_str(&a, FP_ARENA_NONE), "");
    assert_string_equal(fp_arena_str(&a, o2), "efgh");
    fp_arena_free(&a);

    fp_arena_t b = {.max = 10};
    assert_int_equal(fp_arena_put(&b, "abcdefghij", 10), FP_ARENA_NONE); /* 11 with its NUL */
    assert_true(b.full);
    assert_int_equal(fp_arena_put(&b, "abcdefghi", 9), 0); /* 10 fits */
    fp_arena_free(&b);

    /* a limit above what 32-bit offsets reach is taken as FP_ARENA_MAX; so is 0 */
    fp_arena_t c = {.max = SIZE_MAX};
    assert_int_equal(fp_arena_put(&c, "x", 1), 0);
    c.text.len = FP_ARENA_MAX - 2; /* as if 4 GiB were held: only the offset arithmetic is tested */
    assert_int_equal(fp_arena_put(&c, "yy", 2), FP_ARENA_NONE);
    assert_true(c.full);
    c.text.len = 2;
    fp_arena_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_survive_growth),
        cmocka_unit_test(test_reasons_interned),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
