/*
 * profile_json_ref.c - the profile JSON writer as it was before the
 * printf-free one (exporter/profile_json.c at commit ececabf, with the
 * string and number encoders of exporter/buf.c it called), frozen as the
 * reference that the new writer must match byte for byte.
 *
 * Used by tests/unit/test_profile_json_diff.c and the fuzz target
 * fuzz_end_to_end (every profile written by both and compared) and by
 * bench/dp_bench_json.c (the speed of the new writer against this one in the
 * same run). Not part of dagprof: never change its output.
 */
#include "profile_json_ref.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- exporter/buf.c encoders, as they were ------------------------------ */

static size_t ref_utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        *bad = 1; /* 0x80..0xC1 or 0xF5..0xFF: never valid as a lead byte */
        return 0;
    }
    for (i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return len;
}

int dp_json_stringn_ref(dp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t start = b->len, i = 0, run = 0, seq, bad;
    char esc[6] = {'\\', 'u', '0', '0', 0, 0};

    /* Runs of bytes that need no escaping are copied in one append. */
#define FLUSH()                                                                \
    do {                                                                       \
        if (run > 0 && dp_buf_append(b, u + i - run, run) != 0)                \
            goto nomem;                                                        \
        run = 0;                                                               \
    } while (0)

    if (dp_buf_append(b, "\"", 1) != 0)
        return DP_ENOMEM;
    while (i < n) {
        unsigned char c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            run++;
            i++;
            continue;
        }
        if (c >= 0x80) {
            seq = ref_utf8_seq(u + i, n - i, &bad);
            if (seq == 3 && c == 0xE2 && u[i + 1] == 0x80 &&
                (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
                FLUSH();
                if (dp_buf_append(b, u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029",
                                  6) != 0)
                    goto nomem;
                i += 3;
            } else if (seq > 0) {
                run += seq;
                i += seq;
            } else {
                FLUSH();
                if (dp_buf_append(b, "\xEF\xBF\xBD", 3) != 0)
                    goto nomem;
                i += bad;
            }
            continue;
        }
        FLUSH();
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            if (dp_buf_append(b, e, 2) != 0)
                goto nomem;
        } else {
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            if (dp_buf_append(b, esc, 6) != 0)
                goto nomem;
        }
        i++;
    }
    FLUSH();
#undef FLUSH
    if (dp_buf_append(b, "\"", 1) != 0)
        goto nomem;
    return 0;
nomem:
    b->len = start;
    if (b->data != NULL)
        b->data[start] = '\0';
    return DP_ENOMEM;
}

static int ref_json_string(dp_buf *b, const char *s)
{
    return dp_json_stringn_ref(b, s ? s : "", s ? strlen(s) : 0);
}

int dp_usd_ref(dp_buf *b, int64_t pico_usd)
{
    /* The magnitude as uint64 so INT64_MIN needs no special case. */
    uint64_t mag = pico_usd < 0 ? 0 - (uint64_t)pico_usd : (uint64_t)pico_usd;
    uint64_t whole = mag / 1000000000000ULL, frac = mag % 1000000000000ULL;
    char tmp[48];
    int n, digits = 12;

    if (frac == 0)
        n = snprintf(tmp, sizeof(tmp), "%s%llu", pico_usd < 0 ? "-" : "",
                     (unsigned long long)whole);
    else {
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        n = snprintf(tmp, sizeof(tmp), "%s%llu.%0*llu", pico_usd < 0 ? "-" : "",
                     (unsigned long long)whole, digits,
                     (unsigned long long)frac);
    }
    return dp_buf_append(b, tmp, (size_t)n);
}

int dp_ms_ref(dp_buf *b, int64_t ns)
{
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000 + (mag % 1000 >= 500);
    char tmp[40];
    int n = snprintf(
        tmp, sizeof(tmp), "%s%llu.%03llu", ns < 0 && us > 0 ? "-" : "",
        (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    return dp_buf_append(b, tmp, (size_t)n);
}

/* ---- exporter/profile_json.c, as it was -----------------------------------
 */

/* A writer that stops at the first error, so the long sequence of appends
 * below needs no error check per call; the caller checks w.err once. */
typedef struct jw {
    dp_buf *b;
    int err;
} jw;

static void raw(jw *w, const char *s)
{
    if (w->err == 0)
        w->err = dp_buf_puts(w->b, s);
}

static void str(jw *w, const char *s)
{
    if (w->err == 0)
        w->err = ref_json_string(w->b, s);
}

static void i64(jw *w, int64_t v)
{
    if (w->err == 0)
        w->err = dp_buf_printf(w->b, "%" PRId64, v);
}

static void u64(jw *w, uint64_t v)
{
    if (w->err == 0)
        w->err = dp_buf_printf(w->b, "%" PRIu64, v);
}

static void ms(jw *w, int64_t ns)
{
    if (w->err == 0)
        w->err = dp_ms_ref(w->b, ns);
}

static void usd(jw *w, int64_t pusd)
{
    if (w->err == 0)
        w->err = dp_usd_ref(w->b, pusd);
}

static void boolean(jw *w, bool v)
{
    raw(w, v ? "true" : "false");
}

/* A double with a fixed number of decimals; -0 prints as 0, NaN and
 * infinities (which JSON cannot hold) as null. */
static void fixed(jw *w, double v, int decimals)
{
    if (!isfinite(v)) {
        raw(w, "null");
        return;
    }
    if (fabs(v) < 0.5 * pow(10, -decimals))
        v = 0.0;
    if (w->err == 0)
        w->err = dp_buf_printf(w->b, "%.*f", decimals, v);
}

/* "key": with the comma that separates it from the previous member. */
static void key(jw *w, bool first, const char *k)
{
    if (!first)
        raw(w, ",");
    str(w, k);
    raw(w, ":");
}

static const char *node_id(const dp_profile *p, size_t i)
{
    return i < p->n_nodes ? p->nodes[i].id : NULL;
}

/* RFC 3339 UTC with milliseconds (truncated, like every timestamp). */
static void rfc3339(jw *w, uint64_t unix_ns)
{
    time_t secs = (time_t)(unix_ns / 1000000000u);
    struct tm tm;
    char tmp[64];

    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        str(w, "");
        return;
    }
    raw(w, "\"");
    raw(w, tmp);
    if (w->err == 0)
        w->err = dp_buf_printf(w->b, ".%03uZ\"",
                               (unsigned)(unix_ns / 1000000u % 1000u));
}

static void named_tokens(jw *w, const dp_named_i64 *v, size_t n)
{
    raw(w, "{");
    for (size_t i = 0; i < n; i++) {
        key(w, i == 0, v[i].name);
        i64(w, v[i].value);
    }
    raw(w, "}");
}

static void named_usd(jw *w, const dp_named_i64 *v, size_t n)
{
    raw(w, "{");
    for (size_t i = 0; i < n; i++) {
        key(w, i == 0, v[i].name);
        usd(w, v[i].value);
    }
    raw(w, "}");
}

static void node_id_array(jw *w, const dp_profile *p, const size_t *idx,
                          size_t n)
{
    raw(w, "[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            raw(w, ",");
        str(w, node_id(p, idx[i]));
    }
    raw(w, "]");
}

/* A count, or null when no span reported its usage type. */
static void count(jw *w, const dp_tokens *t, unsigned bit, int64_t v)
{
    if (t->known & bit)
        i64(w, v);
    else
        raw(w, "null");
}

/* A call's end - start, saturating: the offsets of a run whose spans lie
 * more than 2^63 ns apart do not fit int64, and any profile renders. */
static int64_t call_duration(const dp_call *c)
{
    int64_t d;
    if (__builtin_sub_overflow(c->end_ns, c->start_ns, &d))
        return c->end_ns > c->start_ns ? INT64_MAX : INT64_MIN;
    return d;
}

/* totalTokens, input + output, saturating at INT64_MAX (INT64_MIN), so
 * every profile renders whatever its counts. */
static int64_t total_tokens(const dp_tokens *t)
{
    int64_t sum;
    if (__builtin_add_overflow(t->input, t->output, &sum))
        return t->input > 0 ? INT64_MAX : INT64_MIN;
    return sum;
}

/* The members shared by metrics.totalTokens and nodeMetrics[].tokens, up to
 * and including byModel. */
static void token_members(jw *w, const dp_tokens *t, const dp_named_i64 *by,
                          size_t n_by)
{
    key(w, true, "inputTokens");
    count(w, t, DP_TOK_INPUT, t->input);
    key(w, false, "outputTokens");
    count(w, t, DP_TOK_OUTPUT, t->output);
    key(w, false, "cacheReadTokens");
    count(w, t, DP_TOK_CACHE_READ, t->cache_read);
    key(w, false, "cacheWriteTokens");
    count(w, t, DP_TOK_CACHE_WRITE, t->cache_write);
    key(w, false, "reasoningTokens");
    count(w, t, DP_TOK_REASONING, t->reasoning);
    key(w, false, "totalTokens");
    count(w, t, DP_TOK_INPUT | DP_TOK_OUTPUT, total_tokens(t));
    key(w, false, "byModel");
    named_tokens(w, by, n_by);
}

/* byNode lists what each node's own calls used: every leaf, and a group
 * only when its own calls (outside its inner nodes) used something, so the
 * values add up to the run's total. */
static bool by_node_listed(const dp_node *n, bool cost)
{
    return n->kind == DP_NODE_LEAF ||
           (cost ? n->own_cost_pusd != 0 : n->own_tokens != 0);
}

static void opt_str(jw *w, const char *s)
{
    if (s)
        str(w, s);
    else
        raw(w, "null");
}

static void write_metrics(jw *w, const dp_profile *p)
{
    key(w, true, "totalDuration");
    ms(w, p->wall_ns);
    key(w, false, "criticalPath");
    node_id_array(w, p, p->critical_path, p->n_critical_path);
    key(w, false, "criticalPathDuration");
    ms(w, p->critical_path_ns);
    key(w, false, "sumExecution");
    ms(w, p->sum_execution_ns);
    key(w, false, "parallelizationEfficiency");
    fixed(w, p->parallelization_efficiency, 4);
    key(w, false, "dagParallelism");
    fixed(w, p->dag_parallelism, 4);
    key(w, false, "achievedParallelism");
    fixed(w, p->achieved_parallelism, 4);
    key(w, false, "peakConcurrency");
    u64(w, p->peak_concurrency);

    key(w, false, "totalTokens");
    raw(w, "{");
    token_members(w, &p->tokens, p->tokens_by_model, p->n_tokens_by_model);
    key(w, false, "byNode");
    raw(w, "{");
    bool first = true;
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (!by_node_listed(&p->nodes[i], false))
            continue;
        key(w, first, p->nodes[i].id);
        first = false;
        i64(w, p->nodes[i].own_tokens);
    }
    raw(w, "}}");

    key(w, false, "totalCost");
    raw(w, "{");
    key(w, true, "totalCost");
    usd(w, p->cost_pusd);
    key(w, false, "byModel");
    named_usd(w, p->cost_by_model, p->n_cost_by_model);
    key(w, false, "byNode");
    raw(w, "{");
    first = true;
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (!by_node_listed(&p->nodes[i], true))
            continue;
        key(w, first, p->nodes[i].id);
        first = false;
        usd(w, p->nodes[i].own_cost_pusd);
    }
    raw(w, "}");
    key(w, false, "currency");
    str(w, "USD");
    raw(w, "}");

    key(w, false, "unpricedModels");
    raw(w, "[");
    for (size_t i = 0; i < p->n_unpriced_models; i++) {
        raw(w, i == 0 ? "{" : ",{");
        key(w, true, "model");
        str(w, p->unpriced_models[i].name);
        key(w, false, "tokens");
        i64(w, p->unpriced_models[i].value);
        raw(w, "}");
    }
    raw(w, "]");
}

static void write_tool_calls(jw *w, const dp_profile *p, const dp_node *n)
{
    bool first = true;

    raw(w, "[");
    for (size_t i = 0; i < n->n_calls; i++) {
        const dp_call *c;
        if (n->calls[i] >= p->n_calls)
            continue;
        c = &p->calls[n->calls[i]];
        if (c->kind != DP_CALL_TOOL)
            continue;
        raw(w, first ? "{" : ",{");
        first = false;
        key(w, true, "tool");
        str(w, c->name);
        key(w, false, "duration");
        ms(w, call_duration(c));
        key(w, false, "success");
        boolean(w, c->success);
        raw(w, "}");
    }
    raw(w, "]");
}

static void write_node(jw *w, const dp_profile *p, const dp_node *n)
{
    raw(w, "{");
    key(w, true, "nodeId");
    str(w, n->id);
    key(w, false, "start");
    ms(w, n->start_ns);
    key(w, false, "end");
    ms(w, n->end_ns);
    key(w, false, "duration");
    ms(w, n->duration_ns);
    key(w, false, "waitTime");
    ms(w, n->wait_ns);
    key(w, false, "dependencyWait");
    ms(w, n->dependency_wait_ns);
    key(w, false, "queueDelay");
    ms(w, n->queue_delay_ns);
    key(w, false, "executionTime");
    ms(w, n->execution_ns);
    key(w, false, "selfTime");
    ms(w, n->self_ns);
    key(w, false, "llmTime");
    ms(w, n->llm_ns);
    key(w, false, "toolTime");
    ms(w, n->tool_ns);
    key(w, false, "attempts");
    u64(w, n->attempts);
    key(w, false, "retries");
    u64(w, n->retries);
    key(w, false, "status");
    str(w, dp_status_name(n->status));
    key(w, false, "dependsOn");
    node_id_array(w, p, n->deps, n->n_deps);
    key(w, false, "kind");
    str(w, dp_node_kind_name(n->kind));
    key(w, false, "parent");
    opt_str(w, n->parent >= 0 ? node_id(p, (size_t)n->parent) : NULL);
    key(w, false, "children");
    node_id_array(w, p, n->children, n->n_children);
    key(w, false, "dependencySource");
    str(w, dp_dep_source_name(n->dep_source));
    key(w, false, "models");
    raw(w, "[");
    for (size_t i = 0; i < n->n_models; i++) {
        if (i > 0)
            raw(w, ",");
        str(w, n->models[i]);
    }
    raw(w, "]");
    key(w, false, "tokens");
    raw(w, "{");
    token_members(w, &n->tokens, n->tokens_by_model, n->n_tokens_by_model);
    raw(w, "}");
    key(w, false, "cost");
    usd(w, n->cost_pusd);
    key(w, false, "toolCalls");
    write_tool_calls(w, p, n);
    raw(w, "}");
}

static void write_bottleneck(jw *w, const dp_profile *p,
                             const dp_bottleneck *bn)
{
    raw(w, "{");
    key(w, true, "type");
    str(w, dp_bottleneck_type_name(bn->type));
    key(w, false, "nodeId");
    str(w, node_id(p, bn->node));
    key(w, false, "severity");
    str(w, dp_severity_name(bn->severity));
    key(w, false, "impact");
    fixed(w, bn->impact, 2);
    key(w, false, "details");
    str(w, bn->details);
    key(w, false, "recommendation");
    str(w, bn->recommendation);
    raw(w, "}");
}

static void write_optimization(jw *w, const dp_optimization *o)
{
    raw(w, "{");
    key(w, true, "type");
    str(w, dp_optimization_type_name(o->type));
    key(w, false, "priority");
    str(w, dp_severity_name(o->priority));
    key(w, false, "estimatedSavings");
    raw(w, "{");
    key(w, true, "time");
    ms(w, o->saving_time_ns);
    key(w, false, "tokens");
    i64(w, o->saving_tokens);
    key(w, false, "cost");
    usd(w, o->saving_cost_pusd);
    raw(w, "}");
    key(w, false, "description");
    str(w, o->description);
    key(w, false, "implementation");
    str(w, o->implementation);
    raw(w, "}");
}

int dp_profile_json_write_ref(dp_buf *out, const dp_profile *p)
{
    jw w = {out, 0};
    size_t start;
    const char *reason;

    if (out == NULL || p == NULL)
        return DP_EINVAL;
    start = out->len;

    raw(&w, "{");
    key(&w, true, "profileId");
    str(&w, p->profile_id);
    key(&w, false, "traceId");
    str(&w, p->trace_id_hex);
    key(&w, false, "dagId");
    str(&w, p->dag_id);
    key(&w, false, "profiledAt");
    rfc3339(&w, p->profiled_at_unix_ns);
    key(&w, false, "startTimeUnixNano");
    if (w.err == 0)
        w.err = dp_buf_printf(out, "\"%" PRIu64 "\"", p->start_unix_ns);
    key(&w, false, "complete");
    boolean(&w, p->complete);
    key(&w, false, "incompleteReason");
    reason =
        p->complete ? NULL : dp_incomplete_reason_name(p->incomplete_reason);
    if (reason != NULL)
        str(&w, reason);
    else
        raw(&w, "null");
    key(&w, false, "spanCount");
    u64(&w, p->span_count);
    key(&w, false, "lateSpans");
    u64(&w, p->late_spans);
    key(&w, false, "serviceName");
    opt_str(&w, p->service_name);
    key(&w, false, "version");
    opt_str(&w, p->version);
    key(&w, false, "sessionId");
    opt_str(&w, p->session_id);
    key(&w, false, "warnings");
    raw(&w, "[");
    for (size_t i = 0; i < p->n_warnings; i++) {
        if (i > 0)
            raw(&w, ",");
        str(&w, p->warnings[i]);
    }
    raw(&w, "]");

    key(&w, false, "metrics");
    raw(&w, "{");
    write_metrics(&w, p);
    raw(&w, "}");

    key(&w, false, "nodeMetrics");
    raw(&w, "[");
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (i > 0)
            raw(&w, ",");
        write_node(&w, p, &p->nodes[i]);
    }
    raw(&w, "]");

    key(&w, false, "analysis");
    raw(&w, "{");
    key(&w, true, "bottlenecks");
    raw(&w, "[");
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        if (i > 0)
            raw(&w, ",");
        write_bottleneck(&w, p, &p->bottlenecks[i]);
    }
    raw(&w, "]}");

    key(&w, false, "recommendations");
    raw(&w, "[");
    for (size_t i = 0; i < p->n_optimizations; i++) {
        if (i > 0)
            raw(&w, ",");
        write_optimization(&w, &p->optimizations[i]);
    }
    raw(&w, "]}\n");

    if (w.err != 0) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
    }
    return w.err;
}
