/* compare_fuzz.c: libFuzzer target for an answer file's cells (domain/compare.c). The input is a
 * header and a cell split at the first NUL, tried against every department. Invariants: a value
 * taken from a cell fits its buffer and is in the kept form intake accepts (fp_compare_value_ok),
 * and a kept value read again as a cell stays the same (yes/no, YYYY-MM-DD); an empty cell is no
 * fact; nothing else is taken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

static const char *const s_depts[] = {"yibao", "minzheng", "zhujian", "jiaoyu"};

static void s_check(const fp_compare_fact_t *f, const char *cell)
{
    char out[FP_COMPARE_VALUE_MAX];
    memset(out, 'z', sizeof out);
    int rc = fp_compare_value(f, cell, out, sizeof out);
    if (rc < -1 || rc > 1) abort();
    if (rc != 0) return;
    if (memchr(out, '\0', sizeof out) == NULL || !fp_compare_value_ok(f, out)) abort();
    if (f->kind != FP_COMPARE_AMOUNT) {
        char again[FP_COMPARE_VALUE_MAX];
        if (fp_compare_value(f, out, again, sizeof again) != 0 || strcmp(again, out) != 0) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *buf = malloc(size + 2);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *header = buf, *cell = buf + strlen(buf) + 1;
    if (cell > buf + size) cell = buf + size;
    for (size_t d = 0; d < sizeof s_depts / sizeof s_depts[0]; d++) {
        const fp_compare_fact_t *byh = fp_compare_fact_by_header(s_depts[d], header);
        if (byh && fp_compare_fact_by_name(s_depts[d], byh->fact) != byh) abort();
        size_t n;
        const fp_compare_fact_t *all = fp_compare_facts(s_depts[d], &n);
        for (size_t i = 0; i < n; i++) s_check(&all[i], cell);
        (void)fp_compare_value_ok(byh, cell);
    }
    free(buf);
    return 0;
}
