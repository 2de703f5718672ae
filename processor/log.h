/*
 * log.h - logging for every part of dagprof: one line per event to stderr,
 * "LEVEL [component] message" or JSON (processor/util.c).
 */
#ifndef DP_LOG_H
#define DP_LOG_H

#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Logging: one line per event to stderr, "LEVEL [component] message".       */

enum dp_log_level {
    DP_LOG_ERROR = 0,
    DP_LOG_WARN = 1,
    DP_LOG_INFO = 2,
    DP_LOG_DEBUG = 3
};

extern int dp_log_threshold; /* messages above this level are not formatted */

void dp_log_set_level(int level);

/* Line format: "TIME LEVEL [component] message" (text, the default) or
 * one JSON object per line {"time","level","component","msg"} (json). */
enum dp_log_format_kind { DP_LOG_FORMAT_TEXT = 0, DP_LOG_FORMAT_JSON = 1 };
extern int dp_log_format;
void dp_log_set_format(int format);
/* Parses "text" or "json"; returns the format or DP_EINVAL. */
int dp_log_format_parse(const char *s);
/* Parses "error", "warn", "info", "debug"; returns the level or DP_EINVAL. */
int dp_log_level_parse(const char *s);
void dp_log_write(int level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DP_LOG(level, component, ...)                                          \
    do {                                                                       \
        if ((level) <= dp_log_threshold)                                       \
            dp_log_write((level), (component), __VA_ARGS__);                   \
    } while (0)
#define dp_log_error(c, ...) DP_LOG(DP_LOG_ERROR, c, __VA_ARGS__)
#define dp_log_warn(c, ...) DP_LOG(DP_LOG_WARN, c, __VA_ARGS__)
#define dp_log_info(c, ...) DP_LOG(DP_LOG_INFO, c, __VA_ARGS__)
#define dp_log_debug(c, ...) DP_LOG(DP_LOG_DEBUG, c, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* DP_LOG_H */
