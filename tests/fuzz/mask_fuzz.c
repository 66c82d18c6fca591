/* mask_fuzz.c: libFuzzer target for what public notices show (domain/mask.c, screening's case
 * notice, assistance's elimination notice). The input is split in two: a name and a free text
 * (a village name, or a cadre's own notice). Invariants: no crash or leak; the cleaned text,
 * the masked name and both generated notices never hold a number fp_text_has_long_number
 * finds nor an unbroken run of 5 digits, and never a health word. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "date.h"
#include "notice.h" /* domain/notice.c, linked */
#include <string.h>

static bool f_has_run(const char *s, int n)
{
    int run = 0;
    for (; *s; s++) {
        run = *s >= '0' && *s <= '9' ? run + 1 : 0;
        if (run >= n) return true;
    }
    return false;
}

static void f_check(const char *t)
{
    if (fp_text_has_long_number(t) || f_has_run(t, 5)) abort();
    static const char *const health[] = {"癌症", "残疾", "慢性病", "精神病", NULL};
    for (int i = 0; health[i]; i++)
        if (strstr(t, health[i])) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t half = size / 2;
    char *name = malloc(half + 1), *text = malloc(size - half + 1);
    memcpy(name, data, half);
    name[half] = '\0';
    memcpy(text, data + half, size - half);
    text[size - half] = '\0';

    fp_buf_t b = {0};
    fp_text_clean(&b, text);
    f_check(b.data);
    fp_buf_free(&b);

    char masked[256];
    fp_mask_name(name, masked, sizeof masked);
    if (strlen(masked) >= sizeof masked) abort();
    fp_buf_t nb = {0}; /* as the notices mask a name: cleaned, then masked */
    fp_text_clean(&nb, name);
    fp_mask_name(nb.data, masked, sizeof masked);
    fp_buf_free(&nb);
    f_check(masked);

    char *n1 = screen_notice_text(name, text, "marginal", "illness,disaster", 20000, 5, false, 20000 + 5);
    f_check(n1);
    free(n1);
    char *n2 = assist_elim_notice_text(name, text, 20000, 5);
    f_check(n2);
    free(n2);
    free(name);
    free(text);
    return 0;
}
