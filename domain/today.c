/* today.c: FANGPIN_TODAY (today.h). One value per process, set once at start. */
#include "today.h"

#include "date.h"
#include "log.h"

static int32_t s_override; /* 0: the real date */

int fp_today_start(fp_service_t *svc)
{
    const char *today = fp_service_str(svc, "FANGPIN_TODAY");
    int32_t d = 0;
    if (today && *today && fp_date_parse(today, &d) != FP_OK) {
        fp_log_error("FANGPIN_TODAY is not a date (YYYY-MM-DD)", "value", today);
        return 1;
    }
    s_override = d;
    return 0;
}

void fp_today_set(int32_t day) { s_override = day; }

int32_t fp_today(void) { return s_override ? s_override : fp_date_today_utc8(); }
