/* metrics.c: Prometheus counters, gauges and histograms and their text exposition (format 0.0.4). Families
 * and series are kept in registration order, so the output is stable from one scrape to the next;
 * lookups are linear, which suits the few dozen series a service has. */
#include "metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_type_t;

struct fp_counter {
    uint64_t value;
};

struct fp_gauge {
    double value;
};

struct fp_histogram {
    const double *bounds; /* the family's upper bounds, nbounds of them; +Inf is implied */
    size_t nbounds;
    uint64_t *counts; /* per bucket, not cumulative: nbounds + 1 (the last is +Inf) */
    uint64_t count;
    double sum;
};

typedef struct {
    char *labels; /* normalised: escaped, no trailing comma */
    union {
        fp_counter_t counter;
        fp_gauge_t gauge;
        fp_histogram_t histogram;
    } u;
} s_series_t;

typedef struct {
    char *name;
    char *help;
    s_type_t type;
    double *bounds; /* S_HISTOGRAM: fixed by the first registration */
    size_t nbounds;
    s_series_t **series;
    size_t n, cap;
} s_family_t;

struct fp_metrics {
    s_family_t **fams;
    size_t n, cap;
};

fp_metrics_t *fp_metrics_new(void) { return fp_new(fp_metrics_t); }

void fp_metrics_destroy(fp_metrics_t **p)
{
    if (!p || !*p) return;
    fp_metrics_t *m = *p;
    for (size_t i = 0; i < m->n; i++) {
        s_family_t *f = m->fams[i];
        for (size_t j = 0; j < f->n; j++) {
            if (f->type == S_HISTOGRAM) free(f->series[j]->u.histogram.counts);
            free(f->series[j]->labels);
            free(f->series[j]);
        }
        free(f->series);
        free(f->bounds);
        free(f->name);
        free(f->help);
        free(f);
    }
    free(m->fams);
    free(m);
    *p = NULL;
}

static bool s_name_ok(const char *s, bool metric)
{
    if (!s || !*s) return false;
    for (size_t i = 0; s[i]; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (metric && ch == ':') ||
            (i > 0 && ch >= '0' && ch <= '9');
        if (!ok) return false;
    }
    return true;
}

/* Checks a preformatted label string and writes its normal form to out: each pair
 * name="value", escapes kept, raw newlines escaped, a trailing comma dropped. */
static bool s_labels_normalise(const char *s, fp_buf_t *out)
{
    const char *p = s ? s : "";
    while (*p) {
        const char *name = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
               (p > name && *p >= '0' && *p <= '9'))
            p++;
        if (p == name || p[0] != '=' || p[1] != '"') return false;
        if (out->len) fp_buf_append(out, ",", 1);
        fp_buf_append(out, name, (size_t)(p - name));
        fp_buf_append(out, "=\"", 2);
        p += 2;
        for (;; p++) {
            if (*p == '\0') return false;
            if (*p == '"') break;
            if (*p == '\n') {
                fp_buf_append(out, "\\n", 2);
            } else if (*p == '\\') {
                if (p[1] != '\\' && p[1] != '"' && p[1] != 'n') return false;
                fp_buf_append(out, p, 2);
                p++;
            } else {
                fp_buf_append(out, p, 1);
            }
        }
        fp_buf_append(out, "\"", 1);
        p++;
        if (*p == ',') p++;
        else if (*p) return false;
    }
    return true;
}

/* The family of that name, created with that type (and bounds) on first use; NULL when the name
 * is taken by another type. */
static s_family_t *s_family(fp_metrics_t *m, const char *name, const char *help, s_type_t type, const double *bounds,
                            size_t nbounds)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->fams[i]->name, name) == 0) return m->fams[i]->type == type ? m->fams[i] : NULL;
    s_family_t *f = fp_new(s_family_t);
    f->name = fp_strdup(name);
    f->help = fp_strdup(help ? help : "");
    f->type = type;
    if (type == S_HISTOGRAM && nbounds) {
        f->bounds = fp_malloc(nbounds * sizeof *f->bounds);
        memcpy(f->bounds, bounds, nbounds * sizeof *f->bounds);
        f->nbounds = nbounds;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->fams = fp_realloc(m->fams, m->cap * sizeof *m->fams);
    }
    m->fams[m->n++] = f;
    return f;
}

static s_series_t *s_series(s_family_t *f, const char *labels)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->series[i]->labels, labels) == 0) return f->series[i];
    s_series_t *s = fp_new(s_series_t);
    s->labels = fp_strdup(labels);
    if (f->type == S_HISTOGRAM) {
        s->u.histogram.bounds = f->bounds;
        s->u.histogram.nbounds = f->nbounds;
        s->u.histogram.counts = fp_calloc(f->nbounds + 1, sizeof *s->u.histogram.counts);
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4;
        f->series = fp_realloc(f->series, f->cap * sizeof *f->series);
    }
    f->series[f->n++] = s;
    return s;
}

/* A histogram's labels must leave `le` to the buckets. */
static bool s_has_le(const char *norm) { return strncmp(norm, "le=\"", 4) == 0 || strstr(norm, ",le=\"") != NULL; }

static s_series_t *s_lookup(fp_metrics_t *m, const char *name, const char *help, const char *labels, s_type_t type,
                            const double *bounds, size_t nbounds)
{
    if (!m || !s_name_ok(name, true)) return NULL;
    fp_buf_t norm = {0};
    s_series_t *s = NULL;
    if (s_labels_normalise(labels, &norm)) {
        const char *want = norm.data ? norm.data : "";
        s_family_t *f = type == S_HISTOGRAM && s_has_le(want) ? NULL : s_family(m, name, help, type, bounds, nbounds);
        if (f) s = s_series(f, want);
    }
    fp_buf_free(&norm);
    return s;
}

fp_counter_t *fp_metrics_counter(fp_metrics_t *m, const char *name, const char *help, const char *labels)
{
    s_series_t *s = s_lookup(m, name, help, labels, S_COUNTER, NULL, 0);
    return s ? &s->u.counter : NULL;
}

fp_counter_t *fp_metrics_scans(fp_metrics_t *m, const char *scan)
{
    fp_buf_t labels = {0};
    fp_metrics_label(&labels, "scan", scan);
    fp_counter_t *c = fp_metrics_counter(m, "fangpin_scans_total", "Periodic scans completed without error, by scan.",
                                         labels.data ? labels.data : "");
    fp_buf_free(&labels);
    return c;
}

fp_gauge_t *fp_metrics_gauge(fp_metrics_t *m, const char *name, const char *help, const char *labels)
{
    s_series_t *s = s_lookup(m, name, help, labels, S_GAUGE, NULL, 0);
    return s ? &s->u.gauge : NULL;
}

/* Upper bounds strictly increasing and finite. */
static bool s_bounds_ok(const double *bounds, size_t n)
{
    if (n && !bounds) return false;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) return false;
    return true;
}

fp_histogram_t *fp_metrics_histogram(fp_metrics_t *m, const char *name, const char *help, const char *labels,
                                     const double *bounds, size_t nbounds)
{
    if (!s_bounds_ok(bounds, nbounds)) return NULL;
    s_series_t *s = s_lookup(m, name, help, labels, S_HISTOGRAM, bounds, nbounds);
    return s ? &s->u.histogram : NULL;
}

void fp_histogram_observe(fp_histogram_t *h, double v)
{
    if (!h || isnan(v)) return;
    size_t i = 0;
    while (i < h->nbounds && v > h->bounds[i]) i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

uint64_t fp_histogram_count(const fp_histogram_t *h) { return h ? h->count : 0; }
double fp_histogram_sum(const fp_histogram_t *h) { return h ? h->sum : 0.0; }

void fp_counter_add(fp_counter_t *c, uint64_t n)
{
    if (c) c->value += n;
}

uint64_t fp_counter_value(const fp_counter_t *c) { return c ? c->value : 0; }

void fp_gauge_set(fp_gauge_t *g, double v)
{
    if (g) g->value = v;
}

void fp_gauge_add(fp_gauge_t *g, double delta)
{
    if (g) g->value += delta;
}

double fp_gauge_value(const fp_gauge_t *g) { return g ? g->value : 0.0; }

void fp_metrics_label(fp_buf_t *out, const char *name, const char *value)
{
    if (out->len) fp_buf_append(out, ",", 1);
    fp_buf_puts(out, name ? name : "");
    fp_buf_append(out, "=\"", 2);
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\') fp_buf_append(out, "\\\\", 2);
        else if (*p == '"') fp_buf_append(out, "\\\"", 2);
        else if (*p == '\n') fp_buf_append(out, "\\n", 2);
        else fp_buf_append(out, p, 1);
    }
    fp_buf_append(out, "\"", 1);
}

/* HELP text escapes only backslash and newline. */
static void s_help(fp_buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') fp_buf_append(out, "\\\\", 2);
        else if (*s == '\n') fp_buf_append(out, "\\n", 2);
        else fp_buf_append(out, s, 1);
    }
}

/* Shortest of %.15g .. %.17g that reads back exactly; NaN and infinities as Prometheus spells them. */
static void s_double(fp_buf_t *out, double v)
{
    if (isnan(v)) {
        fp_buf_puts(out, "NaN");
        return;
    }
    if (isinf(v)) {
        fp_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    fp_buf_puts(out, tmp);
}

/* name_bucket{labels,le="B"} (cumulative), then name_sum and name_count. */
static void s_render_histogram(fp_buf_t *out, const char *name, const s_series_t *s)
{
    const fp_histogram_t *h = &s->u.histogram;
    const char *sep = s->labels[0] ? "," : "";
    uint64_t cum = 0;
    for (size_t i = 0; i <= h->nbounds; i++) {
        cum += h->counts[i];
        fp_buf_printf(out, "%s_bucket{%s%sle=\"", name, s->labels, sep);
        if (i < h->nbounds) s_double(out, h->bounds[i]);
        else fp_buf_puts(out, "+Inf");
        fp_buf_printf(out, "\"} %" PRIu64 "\n", cum);
    }
    fp_buf_printf(out, "%s_sum", name);
    if (s->labels[0]) fp_buf_printf(out, "{%s}", s->labels);
    fp_buf_append(out, " ", 1);
    s_double(out, h->sum);
    fp_buf_printf(out, "\n%s_count", name);
    if (s->labels[0]) fp_buf_printf(out, "{%s}", s->labels);
    fp_buf_printf(out, " %" PRIu64 "\n", h->count);
}

static const char *s_type_name(s_type_t t) { return t == S_COUNTER ? "counter" : t == S_GAUGE ? "gauge" : "histogram"; }

void fp_metrics_render(const fp_metrics_t *m, fp_buf_t *out)
{
    if (!m || !out) return;
    for (size_t i = 0; i < m->n; i++) {
        const s_family_t *f = m->fams[i];
        fp_buf_printf(out, "# HELP %s ", f->name);
        s_help(out, f->help);
        fp_buf_printf(out, "\n# TYPE %s %s\n", f->name, s_type_name(f->type));
        for (size_t j = 0; j < f->n; j++) {
            const s_series_t *s = f->series[j];
            if (f->type == S_HISTOGRAM) {
                s_render_histogram(out, f->name, s);
                continue;
            }
            fp_buf_puts(out, f->name);
            if (s->labels[0]) fp_buf_printf(out, "{%s}", s->labels);
            fp_buf_append(out, " ", 1);
            if (f->type == S_COUNTER) fp_buf_printf(out, "%" PRIu64, s->u.counter.value);
            else s_double(out, s->u.gauge.value);
            fp_buf_append(out, "\n", 1);
        }
    }
}
