/*
 * util.c - the processor library's small shared pieces: the error table,
 * the logger, hex ids, the names of enums as they appear in output and the
 * growth of arrays (grow.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grow.h"
#include "hex.h"
#include "log.h"
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

int dp_errf(char *err, size_t len, int code, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return code;
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

int dp_log_format = DP_LOG_FORMAT_TEXT;

void dp_log_set_format(int format)
{
    dp_log_format =
        format == DP_LOG_FORMAT_JSON ? DP_LOG_FORMAT_JSON : DP_LOG_FORMAT_TEXT;
}

int dp_log_format_parse(const char *s)
{
    if (strcmp(s, "text") == 0)
        return DP_LOG_FORMAT_TEXT;
    if (strcmp(s, "json") == 0)
        return DP_LOG_FORMAT_JSON;
    return DP_EINVAL;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80                      ? 1
                 : (s[0] >= 0xc2 && s[0] <= 0xdf) ? 2
                 : (s[0] & 0xf0) == 0xe0          ? 3
                 : (s[0] >= 0xf0 && s[0] <= 0xf4) ? 4
                                                  : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Appends s to out[*off..cap) as the inside of a JSON string: quote,
 * backslash and control characters escaped, bytes that are not UTF-8
 * written as U+FFFD. Stops (without a partial escape) when out is full. */
static void json_escape(char *out, size_t cap, size_t *off, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        char esc[8];
        const char *piece = esc;
        size_t plen, step = 1;
        if (u[i] == '"' || u[i] == '\\') {
            esc[0] = '\\';
            esc[1] = (char)u[i];
            plen = 2;
        } else if (u[i] < 0x20) {
            plen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
        } else if (u[i] < 0x80) {
            esc[0] = (char)u[i];
            plen = 1;
        } else if ((step = utf8_len(u + i, n - i)) != 0) {
            piece = s + i;
            plen = step;
        } else {
            piece = "\\ufffd";
            plen = 6;
            step = 1;
        }
        if (*off + plen >= cap)
            return;
        memcpy(out + *off, piece, plen);
        *off += plen;
        i += step;
    }
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
    if (dp_log_format == DP_LOG_FORMAT_JSON) {
        /* One JSON object per line: time, level, component, msg. */
        char msg[1024], stamp[40];
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        char out[2048];
        size_t o = (size_t)snprintf(out, sizeof(out),
                                    "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\","
                                    "\"component\":\"",
                                    stamp, ts.tv_nsec / 1000000,
                                    log_level_names[level]);
        json_escape(out, sizeof(out) - 16, &o, component);
        memcpy(out + o, "\",\"msg\":\"", 9);
        o += 9;
        json_escape(out, sizeof(out) - 4, &o, msg);
        memcpy(out + o, "\"}", 3);
        fprintf(stderr, "%s\n", out);
        return;
    }
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

int dp_hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return DP_EBADID;
    for (size_t i = 0; i < n; i++) {
        int hi = dp_hex_digit(s[2 * i]), lo = dp_hex_digit(s[2 * i + 1]);
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

/* See grow.h. The array pointer goes through memcpy: arrp may point at
 * any object pointer type. */
int dp_grow(void *arrp, size_t n, size_t *cap, size_t elem, size_t first)
{
    void *old, *grown;
    size_t c;

    if (n < *cap)
        return 0;
    c = *cap ? *cap * 2 : first;
    if (c < *cap || c > SIZE_MAX / elem)
        return DP_ENOMEM;
    memcpy(&old, arrp, sizeof(old));
    grown = realloc(old, c * elem);
    if (!grown)
        return DP_ENOMEM;
    memcpy(arrp, &grown, sizeof(grown));
    *cap = c;
    return 0;
}
