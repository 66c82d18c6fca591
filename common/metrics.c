/* metrics.c: Prometheus counters and gauges and their text exposition (format 0.0.4). Families
 * and series are kept in registration order, so the output is stable from one scrape to the next;
 * lookups are linear, which suits the few dozen series a service has. */
#include "metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_COUNTER, S_GAUGE } s_type_t;

struct fp_counter {
    uint64_t value;
};

struct fp_gauge {
    double value;
};

typedef struct {
    char *labels; /* normalised: escaped, no trailing comma */
    union {
        fp_counter_t counter;
        fp_gauge_t gauge;
    } u;
} s_series_t;

typedef struct {
    char *name;
    char *help;
    s_type_t type;
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
            free(f->series[j]->labels);
            free(f->series[j]);
        }
        free(f->series);
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
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                  (metric && ch == ':') || (i > 0 && ch >= '0' && ch <= '9');
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

static void *s_lookup(fp_metrics_t *m, const char *name, const char *help, const char *labels,
                      s_type_t type)
{
    if (!m || !s_name_ok(name, true)) return NULL;
    fp_buf_t norm = {0};
    if (!s_labels_normalise(labels, &norm)) {
        fp_buf_free(&norm);
        return NULL;
    }
    const char *want = norm.data ? norm.data : "";

    s_family_t *f = NULL;
    for (size_t i = 0; i < m->n && !f; i++)
        if (strcmp(m->fams[i]->name, name) == 0) f = m->fams[i];
    if (f && f->type != type) {
        fp_buf_free(&norm);
        return NULL;
    }
    if (!f) {
        f = fp_new(s_family_t);
        f->name = fp_strdup(name);
        f->help = fp_strdup(help ? help : "");
        f->type = type;
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 8;
            m->fams = fp_realloc(m->fams, m->cap * sizeof *m->fams);
        }
        m->fams[m->n++] = f;
    }
    s_series_t *s = NULL;
    for (size_t i = 0; i < f->n && !s; i++)
        if (strcmp(f->series[i]->labels, want) == 0) s = f->series[i];
    if (!s) {
        s = fp_new(s_series_t);
        s->labels = fp_strdup(want);
        if (f->n == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 4;
            f->series = fp_realloc(f->series, f->cap * sizeof *f->series);
        }
        f->series[f->n++] = s;
    }
    fp_buf_free(&norm);
    return type == S_COUNTER ? (void *)&s->u.counter : (void *)&s->u.gauge;
}

fp_counter_t *fp_metrics_counter(fp_metrics_t *m, const char *name, const char *help, const char *labels)
{
    return s_lookup(m, name, help, labels, S_COUNTER);
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
    return s_lookup(m, name, help, labels, S_GAUGE);
}

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

void fp_metrics_render(const fp_metrics_t *m, fp_buf_t *out)
{
    if (!m || !out) return;
    for (size_t i = 0; i < m->n; i++) {
        const s_family_t *f = m->fams[i];
        fp_buf_printf(out, "# HELP %s ", f->name);
        s_help(out, f->help);
        fp_buf_printf(out, "\n# TYPE %s %s\n", f->name, f->type == S_COUNTER ? "counter" : "gauge");
        for (size_t j = 0; j < f->n; j++) {
            const s_series_t *s = f->series[j];
            fp_buf_puts(out, f->name);
            if (s->labels[0]) fp_buf_printf(out, "{%s}", s->labels);
            fp_buf_append(out, " ", 1);
            if (f->type == S_COUNTER) fp_buf_printf(out, "%" PRIu64, s->u.counter.value);
            else s_double(out, s->u.gauge.value);
            fp_buf_append(out, "\n", 1);
        }
    }
}
