/* today.h: the one reader of FANGPIN_TODAY, the date every service (and so every test and the
 * demo) takes as today instead of the real one (UTC+8). */
#ifndef FP_TODAY_H
#define FP_TODAY_H
#include <stdint.h>

#include "service.h"

/* The entry of a service's extra configuration table. */
#define FP_TODAY_CFG                                                                                             \
    {                                                                                                            \
        "FANGPIN_TODAY", FP_CFG_STR, "", 0, 0, "override today's date (YYYY-MM-DD) for demos and tests", 0, 0, 0 \
    }

/* Reads FANGPIN_TODAY from the service's configuration (empty: the real date). Returns 0, or 1
 * after logging the bad value (the service stops with status 1). */
int fp_today_start(fp_service_t *svc);
/* Sets the override directly: a day, or 0 for the real date. */
void fp_today_set(int32_t day);
/* Today: FANGPIN_TODAY when set, else the real date in UTC+8. */
int32_t fp_today(void);

#endif
