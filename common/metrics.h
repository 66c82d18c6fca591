/* metrics.h: a tiny Prometheus registry (counters, gauges and histograms) rendered in the text exposition
 * format 0.0.4 for GET /metrics. One registry per service, used from the loop thread only.
 *
 * Series are found by name and a preformatted label string, e.g. `op="ping",code="OK"` or "".
 * Label values in that string must already be escaped (\\, \" and \n); build dynamic ones with
 * fp_metrics_label(). A raw newline inside a value is escaped for you. A name or label string
 * that is not valid, or a name already registered with the other type, yields NULL, and the
 * update functions ignore NULL, so a mistake loses a metric but never crashes a service. */
#ifndef FP_METRICS_H
#define FP_METRICS_H
#include <stdint.h>

#include "mem.h"

#define FP_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct fp_metrics fp_metrics_t;
typedef struct fp_counter fp_counter_t;
typedef struct fp_gauge fp_gauge_t;
typedef struct fp_histogram fp_histogram_t;

fp_metrics_t *fp_metrics_new(void);
/* NULL-safe; sets *p to NULL. Counters, gauges and histograms of the registry die with it. */
void fp_metrics_destroy(fp_metrics_t **p);

/* The series of that name and labels, created on first use (value 0). The first registration of
 * a name fixes its HELP text and type; later ones with the same name share that header. */
fp_counter_t *fp_metrics_counter(fp_metrics_t *m, const char *name, const char *help, const char *labels);
fp_gauge_t *fp_metrics_gauge(fp_metrics_t *m, const char *name, const char *help, const char *labels);
/* A histogram: bounds are the buckets' upper bounds, finite and strictly increasing (+Inf is
 * added); the first registration of a name fixes them (later ones share them). Rendered as
 * NAME_bucket{...,le="B"} (cumulative counts), NAME_sum and NAME_count. NULL also when the
 * bounds are not valid or the labels hold `le`. */
fp_histogram_t *fp_metrics_histogram(fp_metrics_t *m, const char *name, const char *help, const char *labels,
                                     const double *bounds, size_t nbounds);

/* fangpin_scans_total{scan="NAME"}: a service's periodic scan (overdue cases, plans to open,
 * missed deadlines) completed without error. Operators see a scan that stopped running; the
 * tests wait for "one more scan" on it instead of sleeping. */
fp_counter_t *fp_metrics_scans(fp_metrics_t *m, const char *scan);

void fp_counter_add(fp_counter_t *c, uint64_t n);
uint64_t fp_counter_value(const fp_counter_t *c);
void fp_gauge_set(fp_gauge_t *g, double v);
void fp_gauge_add(fp_gauge_t *g, double delta);
double fp_gauge_value(const fp_gauge_t *g);
/* Counts v in the first bucket whose bound is >= v (NaN is ignored). */
void fp_histogram_observe(fp_histogram_t *h, double v);
uint64_t fp_histogram_count(const fp_histogram_t *h);
double fp_histogram_sum(const fp_histogram_t *h);

/* Appends name="value" to a label string, with a comma first if out is not empty and the value
 * escaped per the exposition format. */
void fp_metrics_label(fp_buf_t *out, const char *name, const char *value);

/* Appends the whole registry: per name, in order of first registration, `# HELP`, `# TYPE`,
 * then its series in order of registration. */
void fp_metrics_render(const fp_metrics_t *m, fp_buf_t *out);

#endif
