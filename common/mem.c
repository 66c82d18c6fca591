/* mem.c: allocation that aborts on exhaustion, and a small growable buffer. */
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_oom(size_t n, const char *file, int line)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory\",\"bytes\":%zu,\"file\":\"%s\",\"line\":%d}\n", n,
            file, line);
    abort();
}

void *fp_malloc_(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p) s_oom(n, file, line);
    return p;
}

void *fp_calloc_(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) s_oom(n * size, file, line);
    return p;
}

void *fp_realloc_(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) s_oom(n, file, line);
    return q;
}

char *fp_strdup_(const char *s, const char *file, int line) { return fp_strndup_(s, strlen(s), file, line); }

char *fp_strndup_(const char *s, size_t n, const char *file, int line)
{
    size_t len = strnlen(s, n);
    char *p = fp_malloc_(len + 1, file, line);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void fp_buf_reserve(fp_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    b->data = fp_realloc(b->data, cap);
    b->cap = cap;
}

void fp_buf_append(fp_buf_t *b, const void *p, size_t n)
{
    fp_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void fp_buf_puts(fp_buf_t *b, const char *s) { fp_buf_append(b, s, strlen(s)); }

void fp_buf_printf(fp_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    fp_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void fp_buf_json_str(fp_buf_t *b, const char *s)
{
    fp_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        switch (*p) {
        case '"': fp_buf_append(b, "\\\"", 2); break;
        case '\\': fp_buf_append(b, "\\\\", 2); break;
        case '\n': fp_buf_append(b, "\\n", 2); break;
        case '\r': fp_buf_append(b, "\\r", 2); break;
        case '\t': fp_buf_append(b, "\\t", 2); break;
        default:
            if (*p < 0x20) fp_buf_printf(b, "\\u%04x", *p);
            else fp_buf_append(b, p, 1);
        }
    }
    fp_buf_append(b, "\"", 1);
}

void fp_buf_reset(fp_buf_t *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void fp_buf_free(fp_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
