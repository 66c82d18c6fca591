/* notice.c: the public notice (公示) of a case (see notice.h). Pure: strings in, a string out. */
#include "notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "mask.h"
#include "mem.h"
#include "rules.h"

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
    fp_text_clean(&nb, head_name ? head_name : "");
    fp_mask_name(nb.data ? nb.data : "", masked, sizeof masked);
    fp_buf_free(&nb);
    fp_date_format(posted_on, day);
    fp_date_format(posted_on + notice_days, end);
    screen_kind_t k = notice_kind_of(kind_code);
    fp_buf_t b = {0};
    fp_buf_puts(&b, "公示：经农户申请（或部门预警）、村入户核实和民主评议，");
    fp_text_clean(&b, village_name ? village_name : "");
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
