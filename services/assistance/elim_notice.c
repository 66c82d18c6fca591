/* elim_notice.c: the text of a risk elimination notice (公示). Pure; elim_notice.h. */
#include "elim_notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "mask.h"
#include "mem.h"

char *assist_elim_notice_text(const char *head_name, const char *village_name, int32_t posted_on,
                              int notice_days)
{
    if (notice_days < 1) notice_days = 1;
    if (notice_days > 60) notice_days = 60;
    char masked[96];
    fp_buf_t nb = {0}; /* cleaned first, as screening's notice: what survives the mask is no number */
    fp_text_clean(&nb, head_name ? head_name : "");
    fp_mask_name(nb.data, masked, sizeof masked);
    fp_buf_free(&nb);
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
    fp_buf_printf(&b, "户经村级评议，家庭收入持续稳定高于监测标准，两不愁三保障及饮水安全有保障，"
                      "返贫致贫风险已稳定消除，拟标注风险消除。公示期%d天（%s至%s），"
                      "如有异议，请在公示期内向村民委员会或乡镇人民政府反映。",
                  notice_days, from, to);
    char *out = fp_strdup(b.data);
    fp_buf_free(&b);
    return out;
}
