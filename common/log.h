/* log.h: JSON-lines logging to stderr, one object per line:
 *   {"ts":"2026-11-24T10:00:00.123Z","level":"info","svc":"intake","msg":"...","key":"value"}
 * The level is checked before any formatting. Every value passes through the ID-number masker,
 * so a resident ID number that slips into a message is written as 1308**********123X. */
#ifndef FP_LOG_H
#define FP_LOG_H
#include <stdbool.h>

typedef enum { FP_LOG_DEBUG = 0, FP_LOG_INFO, FP_LOG_WARN, FP_LOG_ERROR, FP_LOG_FATAL } fp_log_level_t;

/* Sets the service name and minimum level (process-wide: the one logging setting). */
void fp_log_init(const char *svc, fp_log_level_t min);
/* Parses "debug|info|warn|error"; returns -1 if unknown. */
int fp_log_level_parse(const char *s);
bool fp_log_enabled(fp_log_level_t level);
/* msg, then pairs of key and value strings, terminated by NULL. */
void fp_log_kv_(fp_log_level_t level, const char *msg, ...);

#define FP_LOG_(lvl, ...)                                                       \
    do {                                                                        \
        if (fp_log_enabled(lvl)) fp_log_kv_(lvl, __VA_ARGS__, (const char *)0); \
    } while (0)
#define fp_log_debug(...) FP_LOG_(FP_LOG_DEBUG, __VA_ARGS__)
#define fp_log_info(...) FP_LOG_(FP_LOG_INFO, __VA_ARGS__)
#define fp_log_warn(...) FP_LOG_(FP_LOG_WARN, __VA_ARGS__)
#define fp_log_error(...) FP_LOG_(FP_LOG_ERROR, __VA_ARGS__)

#endif
