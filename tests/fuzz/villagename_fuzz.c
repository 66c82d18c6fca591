/* villagename_fuzz.c: libFuzzer target for villages by name (domain/villagename.c). The input's
 * lines: the first is a text to match; each other line is a place, its first byte the level
 * ('1'..'5') and the rest its name (codes are made up: a township after the county 130822, a
 * village under the township before it). Invariants: the index takes what it can; a match
 * names distinct villages of the index, in code order, one for FP_VILLAGE_ONE; the text made of
 * a village's township's name and the village's name is answered with that village among the
 * winners; the closest villages are distinct villages; a converter that fails or changes the
 * text changes nothing of these. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "villagename.h"

/* A converter that drops the text's first byte: another text to match, often not UTF-8. */
static bool s_conv(void *ctx, const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n == 0 || n > cap) return false;
    memcpy(out, in + 1, n);
    return true;
}

static void s_check_found(const fp_village_index_t *ix, fp_village_match_t m, const size_t *out, size_t n, size_t max)
{
    if (n > max || (m == FP_VILLAGE_NONE && n != 0) || (m == FP_VILLAGE_ONE && n != (max ? 1u : 0u))) abort();
    if (m == FP_VILLAGE_AMBIGUOUS && max > 0 && n == 0) abort();
    for (size_t i = 0; i < n; i++) {
        if (out[i] >= ix->n || ix->places[out[i]].level != 5) abort();
        if (i > 0 && strcmp(ix->places[out[i - 1]].code, ix->places[out[i]].code) >= 0) abort();
    }
}

static void s_add_places(fp_village_index_t *ix, char *lines)
{
    char town[13] = "130822100", code[13];
    int ntowns = 0, nvillages = 0;
    fp_village_index_add(ix, "130822", 3, "兴隆县");
    for (char *line = lines; line && ix->n < 24;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        int level = line[0] - '0';
        if (level == 4) snprintf(code, sizeof code, "130822%03d", ntowns++);
        else if (level == 5) snprintf(code, sizeof code, "%.9s%03d", town, nvillages++);
        else snprintf(code, sizeof code, "%s", level == 1 ? "13" : level == 2 ? "1308" : "130822");
        if (line[0] && fp_village_index_add(ix, code, level, line + 1) && level == 4) memcpy(town, code, 10);
        line = next;
    }
}

/* The text township name + village name finds the village among the winners. */
static void s_check_own_names(const fp_village_index_t *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        const fp_vplace_t *v = &ix->places[i], *t = fp_village_township(ix, v);
        if (v->level != 5 || !t) continue;
        char text[2 * FP_VNAME_MAX];
        snprintf(text, sizeof text, "%s%s", t->forms[0], v->forms[v->nforms - 1]);
        if (strlen(text) >= FP_VNAME_MAX) continue; /* too long to normalise: matches nothing */
        size_t out[64], n;
        fp_village_match_t m = fp_village_match(ix, text, NULL, NULL, out, 64, &n);
        s_check_found(ix, m, out, n, 64);
        bool found = false;
        for (size_t k = 0; k < n; k++) found = found || out[k] == i;
        if (!found) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *rest = strchr(buf, '\n');
    if (rest) *rest++ = '\0';
    fp_village_index_t ix = {0};
    s_add_places(&ix, rest);
    size_t out[5], n = 9, max = size % 6;
    s_check_found(&ix, fp_village_match(&ix, buf, NULL, NULL, out, max, &n), out, n, max);
    s_check_found(&ix, fp_village_match(&ix, buf, s_conv, NULL, out, max, &n), out, n, max);
    n = fp_village_closest(&ix, buf, s_conv, NULL, out, max);
    if (n > max) abort();
    for (size_t i = 0; i < n; i++) {
        if (out[i] >= ix.n || ix.places[out[i]].level != 5) abort();
        for (size_t k = 0; k < i; k++)
            if (out[k] == out[i]) abort();
    }
    s_check_own_names(&ix);
    fp_village_index_free(&ix);
    free(buf);
    return 0;
}
