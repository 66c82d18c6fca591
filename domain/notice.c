/* notice.c: the public notices (公示) of a case and of a risk elimination (see notice.h). Pure:
 * strings in, a string out. */
#include "notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "mask.h"
#include "mem.h"
#include "vocab.h"

void fp_notice_name(const char *head_name, char *out, size_t outsz)
{
    fp_buf_t nb = {0};
    fp_text_clean(&nb, head_name ? head_name : "");
    fp_mask_name(nb.data ? nb.data : "", out, outsz);
    fp_buf_free(&nb);
}

char *screen_notice_text(const char *head_name, const char *village_name, const char *kind_code,
                         const char *risk_codes_csv, int32_t posted_on, int notice_days, bool working_days,
                         int32_t ends_on)
{
    char masked[256], day[11], end[11];
    fp_notice_name(head_name, masked, sizeof masked);
    fp_date_format(posted_on, day);
    fp_date_format(ends_on, end);
    screen_kind_t k = screen_kind_from_code(kind_code);
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
    fp_buf_printf(&b, "。公示期%d%s（%s至%s），如有异议，请向村民委员会或乡镇人民政府反映。", notice_days,
                  working_days ? "个工作日" : "天", day, end);
    return b.data;
}

char *assist_elim_notice_text(const char *head_name, const char *village_name, int32_t posted_on, int notice_days)
{
    if (notice_days < 1) notice_days = 1;
    if (notice_days > 60) notice_days = 60;
    char masked[96];
    fp_notice_name(head_name, masked, sizeof masked);
    char from[11], to[11];
    fp_date_format(posted_on, from);
    fp_date_format(posted_on + notice_days, to);
    fp_buf_t b = {0};
    fp_buf_puts(&b, "风险消除公示：");
    /* the village and the masked name stand side by side: cleaned together, so that digits
     * ending one and starting the other never make a number */
    fp_buf_t vm = {0};
    fp_text_clean(&vm, village_name);
    fp_buf_puts(&vm, masked[0] ? masked : "*");
    fp_text_clean(&b, vm.data);
    fp_buf_free(&vm);
    fp_buf_printf(&b,
                  "户经村级评议，家庭收入持续稳定高于监测标准，两不愁三保障及饮水安全有保障，"
                  "返贫致贫风险已稳定消除，拟标注风险消除。公示期%d天（%s至%s），"
                  "如有异议，请在公示期内向村民委员会或乡镇人民政府反映。",
                  notice_days, from, to);
    char *out = fp_strdup(b.data);
    fp_buf_free(&b);
    return out;
}
