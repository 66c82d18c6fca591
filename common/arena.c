/* arena.c: a file's strings in one buffer named by offsets, and its distinct refusal reasons
 * interned in a hash table (arena.h). */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

static size_t s_max(const fp_arena_t *a) { return a->max == 0 || a->max > FP_ARENA_MAX ? FP_ARENA_MAX : a->max; }

void fp_arena_reserve(fp_arena_t *a, size_t bytes) { fp_buf_reserve(&a->text, bytes); }

uint32_t fp_arena_put(fp_arena_t *a, const char *s, size_t n)
{
    size_t max = s_max(a);
    if (a->text.len > max || n >= max - a->text.len) { /* n + its NUL would pass max */
        a->full = true;
        return FP_ARENA_NONE;
    }
    uint32_t off = (uint32_t)a->text.len;
    fp_buf_append(&a->text, s, n);
    fp_buf_append(&a->text, "", 1);
    return off;
}

const char *fp_arena_str(const fp_arena_t *a, uint32_t off)
{
    if (off == FP_ARENA_NONE || off >= a->text.len) return "";
    return a->text.data + off;
}

/* FNV-1a over the three strings, each with its NUL (so ("ab", "c") and ("a", "bc") differ). */
static uint64_t s_hash(const char *code, const char *zh, const char *en)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[3] = {code, zh, en};
    for (int k = 0; k < 3; k++) {
        const unsigned char *p = (const unsigned char *)parts[k];
        do {
            h ^= *p;
            h *= 1099511628211ULL;
        } while (*p++);
    }
    return h;
}

static bool s_same(const fp_arena_reason_t *r, const char *code, const char *zh, const char *en)
{
    return !strcmp(r->code, code) && !strcmp(r->zh, zh) && !strcmp(r->en, en);
}

/* The table at twice the reasons at least (a power of two), every reason placed again. */
static void s_grow_tab(fp_arena_t *a)
{
    size_t cap = a->reason_tab_cap ? a->reason_tab_cap * 2 : 64;
    free(a->reason_tab);
    a->reason_tab = fp_calloc(cap, sizeof *a->reason_tab);
    a->reason_tab_cap = cap;
    for (size_t i = 0; i < a->nreasons; i++) {
        const fp_arena_reason_t *r = &a->reasons[i];
        size_t j = (size_t)s_hash(r->code, r->zh, r->en) & (cap - 1);
        while (a->reason_tab[j]) j = (j + 1) & (cap - 1);
        a->reason_tab[j] = (uint32_t)i + 1;
    }
}

int32_t fp_arena_reason(fp_arena_t *a, const char *code, const char *zh, const char *en)
{
    code = code ? code : "";
    zh = zh ? zh : "";
    en = en ? en : "";
    if ((a->nreasons + 1) * 2 > a->reason_tab_cap) s_grow_tab(a);
    size_t mask = a->reason_tab_cap - 1;
    size_t j = (size_t)s_hash(code, zh, en) & mask;
    for (; a->reason_tab[j]; j = (j + 1) & mask) {
        uint32_t i = a->reason_tab[j] - 1;
        if (s_same(&a->reasons[i], code, zh, en)) return (int32_t)i;
    }
    if (a->nreasons == a->reasons_cap) {
        a->reasons_cap = a->reasons_cap ? a->reasons_cap * 2 : 16;
        a->reasons = fp_realloc(a->reasons, a->reasons_cap * sizeof *a->reasons);
    }
    a->reasons[a->nreasons] = (fp_arena_reason_t){fp_strdup(code), fp_strdup(zh), fp_strdup(en)};
    a->reason_tab[j] = (uint32_t)a->nreasons + 1;
    return (int32_t)a->nreasons++;
}

void fp_arena_free(fp_arena_t *a)
{
    fp_buf_free(&a->text);
    for (size_t i = 0; i < a->nreasons; i++) {
        free(a->reasons[i].code);
        free(a->reasons[i].zh);
        free(a->reasons[i].en);
    }
    free(a->reasons);
    free(a->reason_tab);
    memset(a, 0, sizeof *a);
}
