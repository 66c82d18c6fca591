/* elim_notice.c: the text of a risk elimination notice (公示). Pure; elim_notice.h. */
#include "elim_notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../screening/notice.h"
#include "date.h"
#include "mem.h"

/* The village's name with ASCII digit runs of 5 or more dropped (a code is not a name). */
static void s_en_village(fp_buf_t *b, const char *v)
{
    for (const char *p = v ? v : ""; *p;) {
        size_t run = 0;
        while (p[run] >= '0' && p[run] <= '9') run++;
        if (run >= 5) {
            p += run;
            continue;
        }
        if (run) {
            fp_buf_printf(b, "%.*s", (int)run, p);
            p += run;
            continue;
        }
        fp_buf_printf(b, "%c", *p);
        p++;
    }
}

char *assist_elim_notice_text(const char *head_name, const char *village_name, int32_t posted_on,
                              int notice_days)
{
    if (notice_days < 1) notice_days = 1;
    if (notice_days > 60) notice_days = 60;
    char masked[96];
    screen_mask_name(head_name ? head_name : "", masked, sizeof masked);
    char from[11], to[11];
    fp_date_format(posted_on, from);
    fp_date_format(posted_on + notice_days, to);
    fp_buf_t b = {0};
    fp_buf_puts(&b, "风险消除公示：");
    s_en_village(&b, village_name);
    fp_buf_printf(&b, "%s户经村级评议，家庭收入持续稳定高于监测标准，两不愁三保障及饮水安全有保障，"
                      "返贫致贫风险已稳定消除，拟标注风险消除。公示期%d天（%s至%s），"
                      "如有异议，请在公示期内向村民委员会或乡镇人民政府反映。",
                  masked[0] ? masked : "*", notice_days, from, to);
    char *out = fp_strdup(b.data);
    fp_buf_free(&b);
    return out;
}

bool assist_has_long_digits(const char *s)
{
    int run = 0;
    for (; s && *s; s++) {
        run = (*s >= '0' && *s <= '9') || *s == 'X' || *s == 'x' ? run + 1 : 0;
        if (run >= 11) return true;
    }
    return false;
}
