/* log.c: JSON-lines logger (see log.h). One write(2) per line so lines from one process never
 * interleave; values are masked for ID numbers and JSON-escaped. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "idcard.h"
#include "mem.h"

/* Process-wide by nature (like stderr itself): set once at start-up by main. */
static char g_svc[32] = "fangpin";
static fp_log_level_t g_min = FP_LOG_INFO;
static const char *const s_names[] = {"debug", "info", "warn", "error", "fatal"};

void fp_log_init(const char *svc, fp_log_level_t min)
{
    snprintf(g_svc, sizeof g_svc, "%s", svc ? svc : "fangpin");
    g_min = min;
}

int fp_log_level_parse(const char *s)
{
    for (int i = 0; i <= FP_LOG_ERROR; i++)
        if (s && strcasecmp(s, s_names[i]) == 0) return i;
    if (s && strcasecmp(s, "warning") == 0) return FP_LOG_WARN;
    return -1;
}

bool fp_log_enabled(fp_log_level_t level) { return level >= g_min; }

static void s_masked_json(fp_buf_t *line, fp_buf_t *tmp, const char *s)
{
    fp_buf_reset(tmp);
    fp_mask_ids_in_text(s ? s : "", tmp);
    fp_buf_json_str(line, tmp->data ? tmp->data : "");
}

void fp_log_kv_(fp_log_level_t level, const char *msg, ...)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    fp_buf_t line = {0}, tmp = {0};
    fp_buf_printf(&line, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"svc\":", when, ts.tv_nsec / 1000000L,
                  s_names[level]);
    fp_buf_json_str(&line, g_svc);
    fp_buf_puts(&line, ",\"msg\":");
    s_masked_json(&line, &tmp, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k) break;
        const char *v = va_arg(ap, const char *);
        fp_buf_puts(&line, ",");
        fp_buf_json_str(&line, k);
        fp_buf_puts(&line, ":");
        s_masked_json(&line, &tmp, v ? v : "");
    }
    va_end(ap);
    fp_buf_puts(&line, "}\n");
    ssize_t off = 0;
    while ((size_t)off < line.len) {
        ssize_t w = write(STDERR_FILENO, line.data + off, line.len - (size_t)off);
        if (w <= 0) break;
        off += w;
    }
    fp_buf_free(&line);
    fp_buf_free(&tmp);
}
