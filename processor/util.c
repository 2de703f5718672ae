/*
 * util.c - the processor library's small shared pieces: the error table,
 * the logger, hex ids and the names of enums as they appear in output.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "processor.h"

const char *dp_strerror(int err)
{
    switch (err) {
    case DP_OK:
        return "success";
#define DP__ERRNO_CASE(name, code, text)                                       \
    case DP_##name:                                                            \
        return text;
        DP_ERRNO_MAP(DP__ERRNO_CASE)
#undef DP__ERRNO_CASE
    }
    return "unknown error";
}

int dp_log_threshold = DP_LOG_INFO;

static const char *const log_level_names[] = {"error", "warn", "info", "debug"};

void dp_log_set_level(int level)
{
    if (level < DP_LOG_ERROR)
        level = DP_LOG_ERROR;
    if (level > DP_LOG_DEBUG)
        level = DP_LOG_DEBUG;
    dp_log_threshold = level;
}

int dp_log_level_parse(const char *s)
{
    for (int i = 0; i <= DP_LOG_DEBUG; i++)
        if (strcmp(s, log_level_names[i]) == 0)
            return i;
    if (strcmp(s, "warning") == 0)
        return DP_LOG_WARN;
    return DP_EINVAL;
}

void dp_log_write(int level, const char *component, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    size_t off;
    va_list ap;

    if (level < DP_LOG_ERROR || level > DP_LOG_DEBUG)
        level = DP_LOG_ERROR;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    off += (size_t)snprintf(line + off, sizeof(line) - off,
                            ".%03ldZ %-5s [%s] ", ts.tv_nsec / 1000000,
                            log_level_names[level], component);
    if (off < sizeof(line)) {
        va_start(ap, fmt);
        vsnprintf(line + off, sizeof(line) - off, fmt, ap);
        va_end(ap);
    }
    /* One write per line so lines from several threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}

void dp_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int dp_hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return DP_EBADID;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return DP_EBADID;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

const char *dp_bottleneck_type_name(int type)
{
    static const char *const names[DP_BN__COUNT] = {"slow_node",
                                                    "high_token_usage",
                                                    "excessive_retries",
                                                    "tool_latency",
                                                    "dependency_wait",
                                                    "scheduling_delay",
                                                    "sequential_bottleneck"};
    return type >= 0 && type < DP_BN__COUNT ? names[type] : "unknown";
}

const char *dp_optimization_type_name(int type)
{
    static const char *const names[DP_OPT__COUNT] = {
        "parallelize",      "cache",          "model_downgrade",
        "batch_operations", "reduce_context", "restructure_dag"};
    return type >= 0 && type < DP_OPT__COUNT ? names[type] : "unknown";
}

const char *dp_severity_name(int severity)
{
    switch (severity) {
    case DP_SEV_LOW:
        return "low";
    case DP_SEV_MEDIUM:
        return "medium";
    case DP_SEV_HIGH:
        return "high";
    }
    return "unknown";
}

const char *dp_dep_source_name(int source)
{
    switch (source) {
    case DP_DEP_LINKS:
        return "links";
    case DP_DEP_ATTRIBUTE:
        return "attribute";
    case DP_DEP_INFERRED:
        return "inferred";
    default:
        return "none";
    }
}

const char *dp_node_kind_name(int kind)
{
    return kind == DP_NODE_GROUP ? "group" : "leaf";
}

const char *dp_status_name(int status)
{
    switch (status) {
    case DP_STATUS_OK:
        return "ok";
    case DP_STATUS_ERROR:
        return "error";
    default:
        return "unset";
    }
}

const char *dp_incomplete_reason_name(int reason)
{
    switch (reason) {
    case DP_INCOMPLETE_ROOT_MISSING:
        return "root_missing";
    case DP_INCOMPLETE_EVICTED:
        return "evicted";
    case DP_INCOMPLETE_SHUTDOWN:
        return "shutdown";
    case DP_INCOMPLETE_SPAN_LIMIT:
        return "span_limit";
    default:
        return NULL;
    }
}
