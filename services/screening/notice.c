/* notice.c: the public notice (公示) of a case (see notice.h). Pure: strings in, a string out. */
#include "notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "mem.h"
#include "rules.h"

#define NOTICE_MAX_STARS 16
#define NOTICE_DIGIT_RUN 5 /* a run this long (an ID, phone or bank number) never shows */

/* Health conditions (健康状况 and the like): never in a notice, whichever field carries them. */
static const char *const notice_health_words[] = {"慢性病", "大病", "重病", "重疾", "疾病", "患病", "残疾",
                                                  "健康", "病残", "精神病", "癌症", "肿瘤", NULL};

static size_t notice_u8len(unsigned char c)
{
    return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

/* The byte length of the UTF-8 character at s, never past the terminating NUL. */
static size_t notice_charlen(const char *s)
{
    size_t n = notice_u8len((unsigned char)s[0]), i = 1;
    while (i < n && s[i]) i++;
    return i;
}

void screen_mask_name(const char *name, char *out, size_t outsz)
{
    if (!outsz) return;
    out[0] = '\0';
    if (!name || !*name) return;
    size_t n = 0, first = notice_charlen(name), last = 0;
    for (size_t i = 0; name[i]; i += notice_charlen(name + i)) {
        last = i;
        n++;
    }
    fp_buf_t b = {0};
    if (n == 1) {
        fp_buf_puts(&b, "*");
    } else {
        fp_buf_printf(&b, "%.*s", (int)first, name); /* the surname's first character */
        size_t stars = n == 2 ? 1 : n - 2;
        for (size_t i = 0; i < stars && i < NOTICE_MAX_STARS; i++) fp_buf_puts(&b, "*");
        if (n > 2) fp_buf_puts(&b, name + last);
    }
    snprintf(out, outsz, "%s", b.data ? b.data : "");
    fp_buf_free(&b);
}

/* A digit (ASCII or full-width ０..９): its byte length, else 0. */
static size_t notice_digit(const char *s)
{
    if (*s >= '0' && *s <= '9') return 1;
    if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBC && (unsigned char)s[2] >= 0x90 &&
        (unsigned char)s[2] <= 0x99)
        return 3;
    return 0;
}

/* Appends s to b without long digit runs (with an ID number's trailing X) and health words. */
static void notice_put_clean(fp_buf_t *b, const char *s)
{
    while (s && *s) {
        size_t run = 0, bytes = 0, d;
        while ((d = notice_digit(s + bytes)) != 0) bytes += d, run++;
        if (run) {
            if (run >= NOTICE_DIGIT_RUN) {
                if (s[bytes] == 'X' || s[bytes] == 'x') bytes++;
                fp_buf_puts(b, "***");
            } else {
                fp_buf_append(b, s, bytes);
            }
            s += bytes;
            continue;
        }
        bool health = false;
        for (int i = 0; notice_health_words[i]; i++) {
            size_t l = strlen(notice_health_words[i]);
            if (!strncmp(s, notice_health_words[i], l)) {
                s += l;
                health = true;
                break;
            }
        }
        if (health) continue;
        size_t l = notice_charlen(s);
        fp_buf_append(b, s, l);
        s += l;
    }
}

static screen_kind_t notice_kind_of(const char *code)
{
    for (int i = 1; i < SCREEN_KIND_COUNT_; i++)
        if (code && !strcmp(code, screen_kind_code((screen_kind_t)i))) return (screen_kind_t)i;
    return SCREEN_KIND_NONE;
}

char *screen_notice_text(const char *head_name, const char *village_name, const char *kind_code,
                         const char *risk_codes_csv, int32_t posted_on, int notice_days)
{
    char masked[256], day[11], end[11];
    /* the name is cleaned first, so what survives the mask is never a digit or a health word */
    fp_buf_t nb = {0};
    notice_put_clean(&nb, head_name ? head_name : "");
    screen_mask_name(nb.data ? nb.data : "", masked, sizeof masked);
    fp_buf_free(&nb);
    fp_date_format(posted_on, day);
    fp_date_format(posted_on + notice_days, end);
    screen_kind_t k = notice_kind_of(kind_code);
    fp_buf_t b = {0};
    fp_buf_puts(&b, "公示：经农户申请（或部门预警）、村入户核实和民主评议，");
    notice_put_clean(&b, village_name ? village_name : "");
    fp_buf_printf(&b, "户主%s家庭拟识别为防止返贫监测对象（%s），主要风险：", masked,
                  k ? screen_kind_zh(k) : "类型待定");
    size_t n = 0;
    char risks[256];
    snprintf(risks, sizeof risks, "%s", risk_codes_csv ? risk_codes_csv : "");
    for (char *save = NULL, *t = strtok_r(risks, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        screen_risk_t r = screen_risk_from_code(t);
        if (r == SCREEN_RISK_NONE) continue;
        fp_buf_printf(&b, "%s%s", n++ ? "、" : "", screen_risk_zh(r));
    }
    if (!n) fp_buf_puts(&b, "待定");
    fp_buf_printf(&b, "。公示期%d天（%s至%s），如有异议，请向村民委员会或乡镇人民政府反映。", notice_days, day, end);
    return b.data;
}
