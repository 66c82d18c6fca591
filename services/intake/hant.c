/* hant.c: traditional Chinese to simplified for intake's village names, by OpenCC (hant.h). A
 * well-kept Debian library (libopencc1.1) with the full character and phrase tables, rather
 * than a table of our own that would miss characters. */
#include "hant.h"

#include <opencc/opencc.h>
#include <stdlib.h>
#include <string.h>

#include "textenc.h"

struct intake_hant {
    opencc_t cc;
};

intake_hant_t *intake_hant_open(const char **why)
{
    opencc_t cc = opencc_open("t2s.json");
    if (cc == (opencc_t)-1) {
        if (why) *why = opencc_error();
        return NULL;
    }
    intake_hant_t *h = malloc(sizeof *h);
    if (!h) {
        opencc_close(cc);
        if (why) *why = "out of memory";
        return NULL;
    }
    h->cc = cc;
    return h;
}

void intake_hant_close(intake_hant_t *h)
{
    if (!h) return;
    opencc_close(h->cc);
    free(h);
}

bool intake_hant_t2s(void *ctx, const char *in, char *out, size_t cap)
{
    if (!out || cap == 0) return false;
    out[0] = '\0';
    intake_hant_t *h = ctx;
    if (!h || !in) return false;
    size_t len = strnlen(in, 1025);
    if (len > 1024 || !fp_utf8_valid(in, len)) return false;
    char *s = opencc_convert_utf8(h->cc, in, len);
    if (!s || s == (char *)-1) return false;
    size_t n = strlen(s);
    bool ok = n < cap;
    if (ok) memcpy(out, s, n + 1);
    opencc_convert_utf8_free(s);
    return ok;
}
