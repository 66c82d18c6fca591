/* arena.h: the strings of a file being read (a CSV's fields, a household number, a name), kept
 * one after another in one growing buffer and named by 32-bit offsets, and the distinct reasons
 * its lines are refused for (code, Chinese, English), each kept once and named by an index.
 * `fangpinctl push` keeps a row's strings and its reason this way: a few bytes a row instead of
 * a pointer and an allocation a string. (The ledger's reader, common/ledger.c, keeps nothing of
 * a line after it: it streams the lines.)
 *
 * A zeroed fp_arena_t is empty and ready; fp_arena_free() empties it again. */
#ifndef FP_ARENA_H
#define FP_ARENA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* The offset fp_arena_put() returns for a string that did not fit; fp_arena_str() reads it as "". */
#define FP_ARENA_NONE UINT32_MAX
/* The most text bytes (the strings and their NULs) an arena holds: every offset fits 32 bits. */
#define FP_ARENA_MAX ((size_t)UINT32_MAX - 1)

/* A reason a line was refused for; the strings are the arena's own copies. */
typedef struct {
    char *code, *zh, *en;
} fp_arena_reason_t;

typedef struct {
    fp_buf_t text; /* NUL-terminated strings, one after another */
    size_t max;    /* the most text bytes it may hold; 0 (or above FP_ARENA_MAX): FP_ARENA_MAX */
    bool full;     /* a string did not fit within max */
    fp_arena_reason_t *reasons;
    size_t nreasons, reasons_cap;
    uint32_t *reason_tab; /* open addressing over the reasons: index + 1, 0 empty */
    size_t reason_tab_cap;
} fp_arena_t;

/* Room for about `bytes` more text without growing again. */
void fp_arena_reserve(fp_arena_t *a, size_t bytes);

/* Keeps s[0..n) (which may hold no NUL) and a NUL; its offset. FP_ARENA_NONE, keeping nothing
 * and setting a->full, when it would take the text beyond a->max. */
uint32_t fp_arena_put(fp_arena_t *a, const char *s, size_t n);

/* The string at off (an offset fp_arena_put() returned); "" for FP_ARENA_NONE. */
const char *fp_arena_str(const fp_arena_t *a, uint32_t off);

/* The index in a->reasons of (code, zh, en), added if new (NULL is taken as ""). The same three
 * strings always give the same index. */
int32_t fp_arena_reason(fp_arena_t *a, const char *code, const char *zh, const char *en);

/* Frees everything and leaves a zeroed, ready arena (max too is forgotten). */
void fp_arena_free(fp_arena_t *a);

#endif
