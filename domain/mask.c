/* mask.c: masking for public notices (see mask.h). Pure: strings in, strings out. */
#include "mask.h"

#include <stdio.h>
#include <string.h>

#define S_MAX_STARS 16
#define S_DIGIT_RUN 5    /* an unbroken run this long never shows */
#define S_LONG_NUMBER 11 /* nor a number this long in groups: an ID, phone or bank number */

/* Health conditions (健康状况 and the like): never in a notice, whichever field carries them. */
static const char *const s_health_words[] = {"慢性病", "大病", "重病",   "重疾", "疾病", "患病", "残疾",
                                             "健康",   "病残", "精神病", "癌症", "肿瘤", NULL};

static size_t s_u8len(unsigned char c)
{
    return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

/* The byte length of the UTF-8 character at s: its lead byte and the continuation bytes that
 * follow (a broken sequence is shorter, so the next character is read where it starts). */
static size_t s_charlen(const char *s)
{
    size_t n = s_u8len((unsigned char)s[0]), i = 1;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    return i;
}

void fp_mask_name(const char *name, char *out, size_t outsz)
{
    if (!outsz) return;
    out[0] = '\0';
    if (!name || !*name) return;
    size_t n = 0, first = s_charlen(name), last = 0;
    for (size_t i = 0; name[i]; i += s_charlen(name + i)) {
        last = i;
        n++;
    }
    fp_buf_t b = {0};
    if (n == 1) {
        fp_buf_puts(&b, "*");
    } else {
        fp_buf_append(&b, name, first); /* the surname's first character */
        size_t stars = n == 2 ? 1 : n - 2;
        for (size_t i = 0; i < stars && i < S_MAX_STARS; i++) fp_buf_puts(&b, "*");
        if (n > 2) fp_buf_puts(&b, name + last);
    }
    /* cut at a character boundary when out is small */
    size_t len = b.len < outsz - 1 ? b.len : outsz - 1;
    while (len > 0 && len < b.len && ((unsigned char)b.data[len] & 0xC0) == 0x80) len--;
    memcpy(out, b.data, len);
    out[len] = '\0';
    fp_buf_free(&b);
}

/* A digit (ASCII or full-width ０..９) at s: its byte length, else 0. */
static size_t s_digit(const char *s)
{
    if (*s >= '0' && *s <= '9') return 1;
    if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBC && (unsigned char)s[2] >= 0x90 &&
        (unsigned char)s[2] <= 0x99)
        return 3;
    return 0;
}

/* A separator inside a number (space, hyphen, ideographic space, full-width hyphen): its length. */
static size_t s_sep(const char *s)
{
    if (*s == ' ' || *s == '-') return 1;
    if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) return 3;
    if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBC && (unsigned char)s[2] == 0x8D) return 3;
    return 0;
}

typedef struct {
    size_t bytes;   /* the number's length in s */
    size_t digits;  /* all its digits (and an ID number's X) */
    size_t longest; /* its longest unbroken run */
} s_num_t;

/* The number starting at s (s starts with a digit): digit groups joined by one or two
 * separators. */
static s_num_t s_number(const char *s)
{
    s_num_t n = {0, 0, 0};
    for (;;) {
        size_t run = 0, d;
        while ((d = s_digit(s + n.bytes)) != 0) n.bytes += d, run++;
        n.digits += run;
        if (run > n.longest) n.longest = run;
        size_t k = n.bytes, l;
        int seps = 0;
        while (seps < 2 && (l = s_sep(s + k)) != 0) k += l, seps++;
        if (seps && s_digit(s + k)) {
            n.bytes = k;
            continue;
        }
        break;
    }
    if ((s[n.bytes] == 'X' || s[n.bytes] == 'x') && n.digits >= S_DIGIT_RUN) {
        n.bytes++;
        n.digits++;
        n.longest++;
    }
    return n;
}

void fp_text_clean(fp_buf_t *b, const char *s)
{
    while (s && *s) {
        if (s_digit(s)) {
            s_num_t n = s_number(s);
            if (n.longest >= S_DIGIT_RUN || n.digits >= S_LONG_NUMBER) fp_buf_puts(b, "***");
            else fp_buf_append(b, s, n.bytes);
            s += n.bytes;
            continue;
        }
        bool health = false;
        for (int i = 0; s_health_words[i]; i++) {
            size_t l = strlen(s_health_words[i]);
            if (!strncmp(s, s_health_words[i], l)) {
                s += l;
                health = true;
                break;
            }
        }
        if (health) { /* a mark, not nothing: what was around it must not join into a word or number */
            fp_buf_puts(b, "**");
            continue;
        }
        size_t l = s_charlen(s);
        fp_buf_append(b, s, l);
        s += l;
    }
    if (!b->data) fp_buf_puts(b, "");
}

bool fp_text_has_long_number(const char *s)
{
    while (s && *s) {
        if (s_digit(s)) {
            s_num_t n = s_number(s);
            if (n.digits >= S_LONG_NUMBER) return true;
            s += n.bytes;
        } else {
            s += s_charlen(s);
        }
    }
    return false;
}
