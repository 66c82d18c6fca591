/* mem.h: allocation wrappers. Out of memory is not recoverable in a service: these log the
 * caller's file and line and abort, so callers never check for NULL. */
#ifndef FP_MEM_H
#define FP_MEM_H
#include <stddef.h>

void *fp_malloc_(size_t n, const char *file, int line);
void *fp_calloc_(size_t n, size_t size, const char *file, int line);
void *fp_realloc_(void *p, size_t n, const char *file, int line);
char *fp_strdup_(const char *s, const char *file, int line);
char *fp_strndup_(const char *s, size_t n, const char *file, int line);

#define fp_malloc(n) fp_malloc_((n), __FILE__, __LINE__)
#define fp_calloc(n, s) fp_calloc_((n), (s), __FILE__, __LINE__)
#define fp_realloc(p, n) fp_realloc_((p), (n), __FILE__, __LINE__)
#define fp_strdup(s) fp_strdup_((s), __FILE__, __LINE__)
#define fp_strndup(s, n) fp_strndup_((s), (n), __FILE__, __LINE__)
#define fp_new(type) ((type *)fp_calloc(1, sizeof(type)))

/* A growable byte buffer (always NUL-terminated). */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} fp_buf_t;

void fp_buf_reserve(fp_buf_t *b, size_t extra);
void fp_buf_append(fp_buf_t *b, const void *p, size_t n);
void fp_buf_puts(fp_buf_t *b, const char *s);
void fp_buf_printf(fp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void fp_buf_json_str(fp_buf_t *b, const char *s);
void fp_buf_reset(fp_buf_t *b);
void fp_buf_free(fp_buf_t *b);

#endif
