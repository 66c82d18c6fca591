/* idcard_test.c: resident ID numbers (common/idcard.c): the MOD 11-2 check character for
 * every residue, birth-date rules, provinces, the legacy 15-digit upgrade and masking in
 * Chinese text. 11010519491231002X / 110105491231002 and 440524188001010014 are the worked
 * examples of GB 11643-1999; check characters here come from an independent implementation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "date.h"
#include "idcard.h"

/* Reference check character, written separately from the library's. */
static char s_ref_check(const char *d17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int w = 1;
        for (int k = 0; k < 17 - i; k++) w = (w * 2) % 11; /* W_i = 2^(i-1) mod 11, i from the right */
        sum += (d17[i] - '0') * w;
    }
    int r = sum % 11;
    int c = (12 - r) % 11; /* the value that makes the total = 1 (mod 11) */
    return c == 10 ? 'X' : (char)('0' + c);
}

/* Builds an 18-character number with a correct check character. */
static void s_make(char out[19], const char *region6, int y, int m, int d, int seq)
{
    char d17[40];
    snprintf(d17, sizeof d17, "%.6s%04u%02u%02u%03u", region6, (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u, (unsigned)seq % 1000u);
    memcpy(out, d17, 17);
    out[17] = s_ref_check(d17);
    out[18] = '\0';
}

static void test_standard_examples(void **state)
{
    (void)state;
    fp_idcard_t id;
    memset(&id, 0, sizeof id);
    assert_int_equal(fp_idcard_parse("11010519491231002X", 0, &id), FP_OK);
    assert_string_equal(id.number, "11010519491231002X");
    assert_int_equal(id.birth_year, 1949);
    assert_int_equal(id.birth_month, 12);
    assert_int_equal(id.birth_day, 31);
    assert_int_equal(id.sex, 2); /* 17th digit 2: female */
    assert_string_equal(id.region6, "110105");
    /* Born 1880: a valid check character, but before 1900. */
    assert_int_equal(fp_idcard_parse("440524188001010014", 0, &id), FP_EDATE);
    assert_int_equal(fp_idcard_parse("130822199001011230", 0, &id), FP_OK);
    assert_int_equal(id.sex, 1);
    assert_string_equal(id.region6, "130822");
    assert_int_equal(id.birth_year, 1990);
    assert_int_equal(id.birth_month, 1);
    assert_int_equal(id.birth_day, 1);
    assert_int_equal(fp_idcard_check_char("11010519491231002"), 'X');
    assert_int_equal(fp_idcard_check_char("44052418800101001"), '4');
    assert_int_equal(fp_idcard_check_char("1101051949123100"), '\0');
    assert_int_equal(fp_idcard_check_char("1101051949123100a"), '\0');
    assert_int_equal(fp_idcard_check_char(NULL), '\0');
}

/* Sequence numbers 000..999 on one base cover all 11 residues; for each number the right
 * character parses and every one of the other ten is FP_ECHECKSUM. */
static void test_every_residue(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789X";
    int seen[11] = {0};
    for (int seq = 0; seq < 1000; seq++) {
        char n[19];
        s_make(n, "130822", 1990, 1, 1, seq);
        assert_int_equal(fp_idcard_check_char(n), n[17]);
        const char *at = strchr(alphabet, n[17]);
        assert_non_null(at);
        seen[at - alphabet]++;
        fp_idcard_t id;
        assert_int_equal(fp_idcard_parse(n, 0, &id), FP_OK);
        assert_string_equal(id.number, n);
        for (int k = 0; k < 11; k++) {
            if (alphabet[k] == n[17]) continue;
            char bad[19];
            memcpy(bad, n, 19);
            bad[17] = alphabet[k];
            assert_int_equal(fp_idcard_parse(bad, 0, &id), FP_ECHECKSUM);
        }
    }
    for (int k = 0; k < 11; k++)
        if (seen[k] == 0) fail_msg("check character %c never produced", alphabet[k]);
    /* A single changed digit is always caught. */
    char n[19];
    s_make(n, "130822", 1990, 1, 1, 123);
    for (int i = 0; i < 17; i++) {
        char bad[19];
        memcpy(bad, n, 19);
        bad[i] = (char)('0' + (bad[i] - '0' + 1) % 10);
        fp_idcard_t id;
        fp_err_t rc = fp_idcard_parse(bad, 0, &id);
        assert_true(rc == FP_ECHECKSUM || rc == FP_EINVAL); /* EINVAL: the province changed */
    }
}

static void test_x_upper_and_lower(void **state)
{
    (void)state;
    fp_idcard_t id;
    assert_int_equal(fp_idcard_parse("11010519491231002x", 0, &id), FP_OK);
    assert_string_equal(id.number, "11010519491231002X");
    assert_int_equal(fp_idcard_parse("11010519491231002X", 0, &id), FP_OK);
    assert_string_equal(id.number, "11010519491231002X");
    assert_int_equal(fp_idcard_parse("110105194912310020", 0, &id), FP_ECHECKSUM);
    assert_int_equal(fp_idcard_parse("11010519491231002Y", 0, &id), FP_EINVAL);
    assert_int_equal(fp_idcard_parse("1101051949123100X2", 0, &id), FP_EINVAL);
    assert_int_equal(fp_idcard_parse("X1010519491231002X", 0, &id), FP_EINVAL);
}

static void test_length_and_characters(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        fp_err_t rc;
    } cases[] = {
        {"", FP_EINVAL},
        {"1", FP_EINVAL},
        {"11010519491231002", FP_EINVAL},   /* 17 */
        {"11010519491231002X0", FP_EINVAL}, /* 19 */
        {"110105194912310020", FP_ECHECKSUM},
        {"1101051949123100 X", FP_EINVAL},
        {" 11010519491231002X", FP_EINVAL},
        {"11010519491231002X ", FP_EINVAL},
        {"11010519491231-02X", FP_EINVAL},
        {"１１010519491231002X", FP_EINVAL},
        {"110105491231002", FP_ELEGACY}, /* 15 digits */
        {"440524800101001", FP_ELEGACY},
        {"11010549123100X", FP_EINVAL},  /* 15 characters, not all digits */
        {"11010549123100", FP_EINVAL},   /* 14 */
        {"1101054912310021", FP_EINVAL}, /* 16 */
        {"000000000000000", FP_ELEGACY}, /* legacy by shape; upgrade15 judges it */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fp_idcard_t id;
        memset(&id, 0x5a, sizeof id);
        fp_err_t rc = fp_idcard_parse(cases[i].s, 0, &id);
        if (rc != cases[i].rc) fail_msg("\"%s\": got %d want %d", cases[i].s, rc, cases[i].rc);
        assert_int_equal((unsigned char)id.number[0], 0x5a); /* untouched on failure */
    }
    fp_idcard_t id;
    assert_int_equal(fp_idcard_parse(NULL, 0, &id), FP_EINVAL);
    assert_int_equal(fp_idcard_parse("11010519491231002X", 0, NULL), FP_EINVAL);
}

static void test_provinces(void **state)
{
    (void)state;
    static const int valid[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                                44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
    int nvalid = 0;
    for (int p = 0; p < 100; p++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof valid / sizeof valid[0]; k++) ok = ok || valid[k] == p;
        char region[7], n[19];
        snprintf(region, sizeof region, "%02d0101", p);
        s_make(n, region, 1985, 6, 15, 321);
        fp_idcard_t id;
        fp_err_t rc = fp_idcard_parse(n, 0, &id);
        if (rc != (ok ? FP_OK : FP_EINVAL)) fail_msg("province %02d: rc %d", p, rc);
        nvalid += ok;
    }
    assert_int_equal(nvalid, 35);
    /* A bad province is reported before a bad check character. */
    fp_idcard_t id;
    assert_int_equal(fp_idcard_parse("000105194912310020", 0, &id), FP_EINVAL);
}

static fp_err_t s_parse_date(int y, int m, int d, int32_t today)
{
    char n[19];
    s_make(n, "130822", y, m, d, 456);
    fp_idcard_t id;
    return fp_idcard_parse(n, today, &id);
}

static void test_birth_dates(void **state)
{
    (void)state;
    assert_int_equal(s_parse_date(1900, 2, 29, 0), FP_EDATE); /* 1900 is not a leap year */
    assert_int_equal(s_parse_date(2000, 2, 29, 0), FP_OK);    /* 2000 is */
    assert_int_equal(s_parse_date(2024, 2, 29, 0), FP_OK);
    assert_int_equal(s_parse_date(2023, 2, 29, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1990, 13, 1, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1990, 0, 1, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1990, 1, 0, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1990, 1, 32, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1990, 4, 31, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1990, 99, 99, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1899, 12, 31, 0), FP_EDATE);
    assert_int_equal(s_parse_date(1900, 1, 1, 0), FP_OK);
    assert_int_equal(s_parse_date(2199, 12, 31, 0), FP_OK);
    assert_int_equal(s_parse_date(2200, 1, 1, 0), FP_EDATE);
    assert_int_equal(s_parse_date(0, 1, 1, 0), FP_EDATE);
    /* Not after today (2026-11-24 = day 20781); 0 or negative skips the check. */
    int32_t today = fp_date_from_civil(2026, 11, 24);
    assert_int_equal(today, 20781);
    assert_int_equal(s_parse_date(2026, 11, 24, today), FP_OK);
    assert_int_equal(s_parse_date(2026, 11, 25, today), FP_EDATE);
    assert_int_equal(s_parse_date(2027, 1, 1, today), FP_EDATE);
    assert_int_equal(s_parse_date(2026, 11, 23, today), FP_OK);
    assert_int_equal(s_parse_date(2026, 11, 25, 0), FP_OK);
    assert_int_equal(s_parse_date(2026, 11, 25, -1), FP_OK);
    /* A wrong check character is reported before a wrong date. */
    fp_idcard_t id;
    char n[19];
    s_make(n, "130822", 1990, 2, 30, 456);
    assert_int_equal(fp_idcard_parse(n, 0, &id), FP_EDATE);
    n[17] = n[17] == '0' ? '1' : '0';
    assert_int_equal(fp_idcard_parse(n, 0, &id), FP_ECHECKSUM);
}

static void test_sex(void **state)
{
    (void)state;
    for (int last = 0; last <= 9; last++) {
        char n[19];
        s_make(n, "130822", 1975, 3, 8, 120 + last);
        fp_idcard_t id;
        assert_int_equal(fp_idcard_parse(n, 0, &id), FP_OK);
        assert_int_equal(id.sex, last % 2 ? 1 : 2);
    }
}

static void test_upgrade15(void **state)
{
    (void)state;
    char out[19];
    assert_int_equal(fp_idcard_upgrade15("110105491231002", out), FP_OK);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(fp_idcard_upgrade15("130822900101123", out), FP_OK);
    assert_string_equal(out, "130822199001011230");
    assert_int_equal(fp_idcard_upgrade15("440524800101001", out), FP_OK);
    assert_string_equal(out, "440524198001010013");
    assert_int_equal(fp_idcard_upgrade15("110105960229002", out), FP_OK); /* 1996 leap */
    assert_string_equal(out, "11010519960229002X");
    fp_idcard_t id;
    assert_int_equal(fp_idcard_parse(out, 0, &id), FP_OK);
    assert_int_equal(id.birth_year, 1996);

    static const struct {
        const char *s;
        fp_err_t rc;
    } bad[] = {
        {"110105490229002", FP_EDATE}, /* 1949 is not a leap year */
        {"110105000229002", FP_EDATE}, /* 1900 is not a leap year */
        {"110105491301002", FP_EDATE},  {"110105491200002", FP_EDATE},     {"110105490431002", FP_EDATE},
        {"000105491231002", FP_EINVAL}, /* no such province */
        {"991231491231002", FP_EINVAL}, {"11010549123100", FP_EINVAL},     {"1101054912310021", FP_EINVAL},
        {"11010549123100X", FP_EINVAL}, {"11010519491231002X", FP_EINVAL}, {"", FP_EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(out, "untouched");
        fp_err_t rc = fp_idcard_upgrade15(bad[i].s, out);
        if (rc != bad[i].rc) fail_msg("\"%s\": got %d want %d", bad[i].s, rc, bad[i].rc);
        assert_string_equal(out, "untouched");
    }
    assert_int_equal(fp_idcard_upgrade15(NULL, out), FP_EINVAL);
}

static void test_mask_one(void **state)
{
    (void)state;
    char b[32];
    fp_idcard_mask("130822199001011234", b, sizeof b);
    assert_string_equal(b, "1308**********1234");
    fp_idcard_mask("11010519491231002X", b, sizeof b);
    assert_string_equal(b, "1101**********002X");
    fp_idcard_mask("110105491231002", b, sizeof b);
    assert_string_equal(b, "1101*******1002");
    fp_idcard_mask("", b, sizeof b);
    assert_string_equal(b, "****");
    fp_idcard_mask(NULL, b, sizeof b);
    assert_string_equal(b, "****");
    fp_idcard_mask("1234", b, sizeof b);
    assert_string_equal(b, "****");
    fp_idcard_mask("11010519491231002", b, sizeof b);
    assert_string_equal(b, "****");
    fp_idcard_mask("11010519491231002X0", b, sizeof b);
    assert_string_equal(b, "****");
    fp_idcard_mask("1234567890123456", b, sizeof b);
    assert_string_equal(b, "****");
    fp_idcard_mask("130822199001011234", b, 19);
    assert_string_equal(b, "1308**********1234");
    fp_idcard_mask("130822199001011234", b, 5);
    assert_string_equal(b, "1308");
    fp_idcard_mask("130822199001011234", b, 1);
    assert_string_equal(b, "");
    fp_idcard_mask("x", b, 3);
    assert_string_equal(b, "**");
    b[0] = 'Z';
    fp_idcard_mask("130822199001011234", b, 0);
    assert_int_equal(b[0], 'Z');
}

/* True if text holds an ID-like run as fp_mask_ids_in_text defines it. */
static bool s_has_id_run(const char *t)
{
    const char *p = t;
    while (*p) {
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        const char *q = p;
        while (*q >= '0' && *q <= '9') q++;
        size_t n = (size_t)(q - p);
        if (n == 15 || n == 18 || (n == 17 && (*q == 'X' || *q == 'x'))) return true;
        p = q;
    }
    return false;
}

static void s_expect_masked(const char *in, const char *want)
{
    fp_buf_t b = {0};
    fp_mask_ids_in_text(in, &b);
    assert_non_null(b.data);
    if (strcmp(b.data, want) != 0) fail_msg("in  \"%s\"\ngot \"%s\"\nwant \"%s\"", in, b.data, want);
    assert_int_equal(b.len, strlen(want));
    assert_false(s_has_id_run(b.data));
    fp_buf_free(&b);
}

static void test_mask_in_text(void **state)
{
    (void)state;
    s_expect_masked("户主张三，身份证号130822199001011234，电话13912345678。",
                    "户主张三，身份证号1308**********1234，电话13912345678。");
    s_expect_masked("130822199001011234", "1308**********1234");
    s_expect_masked("身份证：11010519491231002X", "身份证：1101**********002X");
    s_expect_masked("身份证：11010519491231002x号", "身份证：1101**********002x号");
    s_expect_masked("旧证号110105491231002。", "旧证号1101*******1002。");
    /* Adjacent digits: a 19-digit run (a bank card) is not an ID number. */
    s_expect_masked("银行卡6222021234567890123", "银行卡6222021234567890123");
    s_expect_masked("1308221990010112345", "1308221990010112345");
    s_expect_masked("0130822199001011234", "0130822199001011234");
    s_expect_masked("1234567890123456", "1234567890123456");       /* 16 */
    s_expect_masked("12345678901234", "12345678901234");           /* 14 */
    s_expect_masked("1234567890123456X", "1234567890123456X");     /* 16 + X */
    s_expect_masked("123456789012345678X", "1234**********5678X"); /* 18 digits, then X */
    s_expect_masked("11010519491231002X5", "1101**********002X5"); /* 17 + X, then a digit */
    /* Letters and punctuation do not protect a run. */
    s_expect_masked("ID130822199001011234abc", "ID1308**********1234abc");
    s_expect_masked("a:130822199001011234,b:11010519491231002X;", "a:1308**********1234,b:1101**********002X;");
    s_expect_masked("130822199001011234户11010519491231002X", "1308**********1234户1101**********002X");
    s_expect_masked("两人130822199001011234 130822199001011230", "两人1308**********1234 1308**********1230");
    s_expect_masked("", "");
    s_expect_masked("无号码的中文文本", "无号码的中文文本");
    s_expect_masked("2026年11月24日", "2026年11月24日");
    /* Bytes that are not valid UTF-8 pass through as they are. */
    s_expect_masked("\xff\xfe"
                    "130822199001011234"
                    "\x80\xe4",
                    "\xff\xfe"
                    "1308**********1234"
                    "\x80\xe4");
}

static void test_mask_appends_and_scales(void **state)
{
    (void)state;
    fp_buf_t b = {0};
    fp_buf_puts(&b, "pre:");
    fp_mask_ids_in_text("130822199001011234", &b);
    assert_string_equal(b.data, "pre:1308**********1234");
    fp_mask_ids_in_text(NULL, &b);
    assert_string_equal(b.data, "pre:1308**********1234");
    fp_buf_free(&b);
    fp_mask_ids_in_text("x", NULL); /* no crash */

    fp_buf_t in = {0}, want = {0}, out = {0};
    for (int i = 0; i < 5000; i++) {
        fp_buf_puts(&in, "村民130822199001011234，");
        fp_buf_puts(&want, "村民1308**********1234，");
    }
    fp_mask_ids_in_text(in.data, &out);
    assert_string_equal(out.data, want.data);
    fp_buf_free(&in);
    fp_buf_free(&want);
    fp_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_examples),
        cmocka_unit_test(test_every_residue),
        cmocka_unit_test(test_x_upper_and_lower),
        cmocka_unit_test(test_length_and_characters),
        cmocka_unit_test(test_provinces),
        cmocka_unit_test(test_birth_dates),
        cmocka_unit_test(test_sex),
        cmocka_unit_test(test_upgrade15),
        cmocka_unit_test(test_mask_one),
        cmocka_unit_test(test_mask_in_text),
        cmocka_unit_test(test_mask_appends_and_scales),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
