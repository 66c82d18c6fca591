/* metrics_test.c: the Prometheus registry renders the exact text exposition format: grouping by
 * name in registration order, shared HELP/TYPE, escaping, number formatting, refused input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"

static void s_expect(const fp_metrics_t *m, const char *want)
{
    fp_buf_t out = {0};
    fp_metrics_render(m, &out);
    assert_string_equal(out.data ? out.data : "", want);
    fp_buf_free(&out);
}

static void test_empty(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    s_expect(m, "");
    fp_metrics_destroy(&m);
    assert_null(m);
    fp_metrics_destroy(&m); /* twice is fine */
    fp_metrics_destroy(NULL);
}

static void test_grouping_and_order(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    fp_counter_t *ping_ok = fp_metrics_counter(m, "fp_requests_total", "Requests handled.", "op=\"ping\",code=\"OK\"");
    fp_gauge_t *up = fp_metrics_gauge(m, "fp_db_up", "1 if the database answers.", "");
    fp_counter_t *ping_bad = fp_metrics_counter(m, "fp_requests_total", "ignored later help", "op=\"ping\",code=\"EINVAL\"");
    fp_counter_t *again = fp_metrics_counter(m, "fp_requests_total", "x", "op=\"ping\",code=\"OK\"");
    assert_ptr_equal(ping_ok, again);
    assert_ptr_not_equal(ping_ok, ping_bad);
    fp_counter_add(ping_ok, 3);
    fp_counter_add(again, 2);
    fp_counter_add(ping_bad, 1);
    fp_gauge_set(up, 1);
    assert_int_equal(fp_counter_value(ping_ok), 5);
    s_expect(m,
             "# HELP fp_requests_total Requests handled.\n"
             "# TYPE fp_requests_total counter\n"
             "fp_requests_total{op=\"ping\",code=\"OK\"} 5\n"
             "fp_requests_total{op=\"ping\",code=\"EINVAL\"} 1\n"
             "# HELP fp_db_up 1 if the database answers.\n"
             "# TYPE fp_db_up gauge\n"
             "fp_db_up 1\n");
    fp_metrics_destroy(&m);
}

static void test_escaping(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    fp_buf_t labels = {0};
    fp_metrics_label(&labels, "path", "C:\\dir\\\"x\"");
    fp_metrics_label(&labels, "msg", "a\nb");
    assert_string_equal(labels.data, "path=\"C:\\\\dir\\\\\\\"x\\\"\",msg=\"a\\nb\"");
    fp_counter_t *c = fp_metrics_counter(m, "fp_errors_total", "Errors, by \\path\\\nand message.", labels.data);
    assert_non_null(c);
    fp_counter_add(c, 7);
    /* A raw newline in a preformatted value is escaped; a trailing comma is dropped. */
    fp_gauge_t *g = fp_metrics_gauge(m, "fp_note", "note \"quoted\"", "v=\"x\ny\",");
    assert_non_null(g);
    assert_ptr_equal(g, fp_metrics_gauge(m, "fp_note", "", "v=\"x\\ny\""));
    s_expect(m,
             "# HELP fp_errors_total Errors, by \\\\path\\\\\\nand message.\n"
             "# TYPE fp_errors_total counter\n"
             "fp_errors_total{path=\"C:\\\\dir\\\\\\\"x\\\"\",msg=\"a\\nb\"} 7\n"
             "# HELP fp_note note \"quoted\"\n"
             "# TYPE fp_note gauge\n"
             "fp_note{v=\"x\\ny\"} 0\n");
    fp_buf_free(&labels);
    fp_metrics_destroy(&m);
}

static void test_gauge_values(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    fp_gauge_t *a = fp_metrics_gauge(m, "g", "", "k=\"a\"");
    fp_gauge_t *b = fp_metrics_gauge(m, "g", "", "k=\"b\"");
    fp_gauge_t *c = fp_metrics_gauge(m, "g", "", "k=\"c\"");
    fp_gauge_t *d = fp_metrics_gauge(m, "g", "", "k=\"d\"");
    fp_gauge_t *e = fp_metrics_gauge(m, "g", "", "k=\"e\"");
    fp_gauge_t *f = fp_metrics_gauge(m, "g", "", "k=\"f\"");
    fp_gauge_set(a, 0.1);
    fp_gauge_set(b, -2.5e-7);
    fp_gauge_set(c, NAN);
    fp_gauge_set(d, INFINITY);
    fp_gauge_set(e, -INFINITY);
    fp_gauge_set(f, 41);
    fp_gauge_add(f, 1.5);
    s_expect(m,
             "# HELP g \n"
             "# TYPE g gauge\n"
             "g{k=\"a\"} 0.1\n"
             "g{k=\"b\"} -2.5e-07\n"
             "g{k=\"c\"} NaN\n"
             "g{k=\"d\"} +Inf\n"
             "g{k=\"e\"} -Inf\n"
             "g{k=\"f\"} 42.5\n");
    fp_metrics_destroy(&m);
}

static void test_counter_large(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    fp_counter_t *c = fp_metrics_counter(m, "fp_bytes_total", "Bytes.", "");
    fp_counter_add(c, UINT64_C(18446744073709551615));
    s_expect(m,
             "# HELP fp_bytes_total Bytes.\n"
             "# TYPE fp_bytes_total counter\n"
             "fp_bytes_total 18446744073709551615\n");
    fp_metrics_destroy(&m);
}

static void test_refused(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    assert_null(fp_metrics_counter(m, "", "h", ""));
    assert_null(fp_metrics_counter(m, "9lives", "h", ""));
    assert_null(fp_metrics_counter(m, "has space", "h", ""));
    assert_null(fp_metrics_counter(m, "ok", "h", "op=ping"));         /* unquoted */
    assert_null(fp_metrics_counter(m, "ok", "h", "op=\"ping"));       /* unterminated */
    assert_null(fp_metrics_counter(m, "ok", "h", "op=\"a\\tb\""));    /* bad escape */
    assert_null(fp_metrics_counter(m, "ok", "h", "=\"x\""));          /* no label name */
    assert_null(fp_metrics_counter(m, "ok", "h", "a=\"x\" b=\"y\"")); /* no comma */
    assert_null(fp_metrics_counter(m, "ok", "h", "a:b=\"x\""));       /* colon in label name */
    assert_null(fp_metrics_counter(NULL, "ok", "h", ""));
    fp_counter_t *c = fp_metrics_counter(m, "fp_x", "h", "");
    assert_non_null(c);
    assert_null(fp_metrics_gauge(m, "fp_x", "h", "")); /* same name, other type */
    /* Updates through NULL are ignored. */
    fp_counter_add(NULL, 1);
    fp_gauge_set(NULL, 1);
    fp_gauge_add(NULL, 1);
    assert_int_equal(fp_counter_value(NULL), 0);
    s_expect(m, "# HELP fp_x h\n# TYPE fp_x counter\nfp_x 0\n");
    fp_metrics_destroy(&m);
}

static void test_many_series(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    for (int i = 0; i < 40; i++) {
        fp_buf_t l = {0};
        char v[8];
        snprintf(v, sizeof v, "%d", i);
        fp_metrics_label(&l, "n", v);
        fp_counter_add(fp_metrics_counter(m, i % 2 ? "odd_total" : "even_total", "h", l.data), (uint64_t)i);
        fp_buf_free(&l);
    }
    fp_buf_t out = {0};
    fp_metrics_render(m, &out);
    assert_non_null(strstr(out.data, "# TYPE even_total counter\neven_total{n=\"0\"} 0\neven_total{n=\"2\"} 2\n"));
    assert_non_null(strstr(out.data, "odd_total{n=\"37\"} 37\nodd_total{n=\"39\"} 39\n"));
    assert_true(strstr(out.data, "# HELP even_total") < strstr(out.data, "# HELP odd_total"));
    fp_buf_free(&out);
    fp_metrics_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_grouping_and_order),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_gauge_values),
        cmocka_unit_test(test_counter_large),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_many_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
