/* metrics_test.c: the Prometheus registry renders the exact text exposition format: grouping by
 * name in registration order, shared HELP/TYPE, escaping, number formatting, histograms
 * (cumulative buckets, le labels, _sum and _count), refused input. */
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
    fp_counter_t *ping_bad =
        fp_metrics_counter(m, "fp_requests_total", "ignored later help", "op=\"ping\",code=\"EINVAL\"");
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

static void test_histogram(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    static const double b[] = {0.001, 0.01, 0.1};
    fp_histogram_t *h = fp_metrics_histogram(m, "fp_db_seconds", "Statement time.", "service=\"intake\"", b, 3);
    assert_non_null(h);
    fp_histogram_observe(h, 0.0005); /* first bucket */
    fp_histogram_observe(h, 0.001);  /* a bound belongs to its own bucket (le: less or equal) */
    fp_histogram_observe(h, 0.05);
    fp_histogram_observe(h, 2.5); /* +Inf only */
    fp_histogram_observe(h, NAN); /* ignored */
    assert_int_equal(fp_histogram_count(h), 4);
    assert_true(fabs(fp_histogram_sum(h) - 2.5515) < 1e-12);
    /* another series of the family keeps the first bounds, whatever it passes */
    static const double other[] = {5};
    fp_histogram_t *h2 = fp_metrics_histogram(m, "fp_db_seconds", "x", "service=\"screening\"", other, 1);
    assert_non_null(h2);
    assert_ptr_equal(h, fp_metrics_histogram(m, "fp_db_seconds", "x", "service=\"intake\"", b, 3));
    fp_histogram_t *bare = fp_metrics_histogram(m, "fp_wait_seconds", "Wait.", "", b, 1);
    fp_histogram_observe(bare, 0.25);
    s_expect(m,
             "# HELP fp_db_seconds Statement time.\n"
             "# TYPE fp_db_seconds histogram\n"
             "fp_db_seconds_bucket{service=\"intake\",le=\"0.001\"} 2\n"
             "fp_db_seconds_bucket{service=\"intake\",le=\"0.01\"} 2\n"
             "fp_db_seconds_bucket{service=\"intake\",le=\"0.1\"} 3\n"
             "fp_db_seconds_bucket{service=\"intake\",le=\"+Inf\"} 4\n"
             "fp_db_seconds_sum{service=\"intake\"} 2.5515\n"
             "fp_db_seconds_count{service=\"intake\"} 4\n"
             "fp_db_seconds_bucket{service=\"screening\",le=\"0.001\"} 0\n"
             "fp_db_seconds_bucket{service=\"screening\",le=\"0.01\"} 0\n"
             "fp_db_seconds_bucket{service=\"screening\",le=\"0.1\"} 0\n"
             "fp_db_seconds_bucket{service=\"screening\",le=\"+Inf\"} 0\n"
             "fp_db_seconds_sum{service=\"screening\"} 0\n"
             "fp_db_seconds_count{service=\"screening\"} 0\n"
             "# HELP fp_wait_seconds Wait.\n"
             "# TYPE fp_wait_seconds histogram\n"
             "fp_wait_seconds_bucket{le=\"0.001\"} 0\n"
             "fp_wait_seconds_bucket{le=\"+Inf\"} 1\n"
             "fp_wait_seconds_sum 0.25\n"
             "fp_wait_seconds_count 1\n");
    fp_metrics_destroy(&m);
}

static void test_histogram_refused(void **state)
{
    fp_metrics_t *m = fp_metrics_new();
    static const double down[] = {1, 0.5}, same[] = {1, 1}, inf[] = {1, INFINITY}, nan[] = {NAN};
    static const double ok[] = {1};
    assert_null(fp_metrics_histogram(m, "h", "", "", down, 2));
    assert_null(fp_metrics_histogram(m, "h", "", "", same, 2));
    assert_null(fp_metrics_histogram(m, "h", "", "", inf, 2));
    assert_null(fp_metrics_histogram(m, "h", "", "", nan, 1));
    assert_null(fp_metrics_histogram(m, "h", "", "", NULL, 1));
    assert_null(fp_metrics_histogram(m, "h", "", "le=\"1\"", ok, 1)); /* le is the buckets' */
    assert_null(fp_metrics_histogram(m, "h", "", "a=\"x\",le=\"1\"", ok, 1));
    assert_non_null(fp_metrics_histogram(m, "h", "", "handle=\"1\"", ok, 1)); /* not le */
    assert_null(fp_metrics_counter(m, "h", "", ""));                          /* name taken by a histogram */
    assert_null(fp_metrics_histogram(NULL, "h", "", "", ok, 1));
    fp_histogram_observe(NULL, 1);
    assert_int_equal(fp_histogram_count(NULL), 0);
    /* no bounds at all: only +Inf */
    fp_histogram_t *only = fp_metrics_histogram(m, "only", "", "", NULL, 0);
    fp_histogram_observe(only, -3);
    fp_buf_t out = {0};
    fp_metrics_render(m, &out);
    assert_non_null(strstr(out.data, "only_bucket{le=\"+Inf\"} 1\nonly_sum -3\nonly_count 1\n"));
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
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
