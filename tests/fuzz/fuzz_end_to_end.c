/*
 * fuzz_end_to_end.c - libFuzzer target for the whole flow, receiver ->
 * processor -> exporter, as `dagprof serve` and `dagprof report` run it.
 *
 * The input is one OTLP request, chosen by its first byte:
 *   0x00  the rest is a protobuf ExportTraceServiceRequest, decoded by
 *         dp_otlp_wire_decode (serve's OTLP/gRPC and HTTP protobuf path);
 *   0x01  the rest is a trace file read by dp_trace_file_read with format
 *         detection (report's path: JSON lines, a pretty document,
 *         length-delimited or bare protobuf);
 *   else  the whole input is OTLP/JSON, decoded by dp_otlp_json_scan
 *         (serve's OTLP/HTTP JSON path).
 * Every span goes to one dp_processor (built-in pricing, default analysis
 * thresholds, at most 8 traces so eviction runs too) with a fake clock
 * that advances 1 ms per span; then a tick past the grace period and a
 * flush finalize everything. Each profile is checked (indices in range),
 * written as JSON (must parse as one object on one line, and equal byte for
 * byte what the frozen printf-based writer, bench/profile_json_ref.c,
 * writes) and as the text
 * report at a width taken from the input's length (every line within the
 * width, one YAML document), as an HTML page (valid UTF-8 with no control
 * character but tab and line feed, every '<' opening a tag and every '&'
 * one of the five XML entities: nothing from a span escaped the one
 * escaping function), evaluated by alert rules on every field (each alert
 * must be one JSON object), and freed.
 *
 * Seeds: tests/data/fuzz/corpus/fuzz_end_to_end (make_seeds.py);
 * dictionary: fuzz_end_to_end.dict. See tests/fuzz/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alerts.h"
#include "analysis_config.h"
#include "buf.h"
#include "fuzz_check.h"
#include "log.h"
#include "otlp_json.h"
#include "otlp_proto.h"
#include "pricing.h"
#include "processor.h"
#include "profile_json.h"
#include "profile_json_ref.h"
#include "report_html.h"
#include "report_text.h"
#include "trace_file.h"

/* One rule per alert field, so evaluation reads every field of every
 * profile; a few with windows. */
static const char *const rule_conditions[] = {
    "wall > 1ms",
    "totalDuration <= 1h",
    "criticalPathDuration >= 0ms",
    "sumExecution < 10s",
    "cost > 0.000001",
    "totalCost >= $0.50",
    "parallelizationEfficiency < 0.5",
    "dagParallelism != 1",
    "achievedParallelism >= 1.5",
    "peakConcurrency > 2",
    "spanCount > 3",
    "lateSpans > 0",
    "unpricedModels > 0",
    "totalTokens > 1000",
    "inputTokens >= 1",
    "outputTokens > 0",
    "cacheReadTokens > 0",
    "cacheWriteTokens > 0",
    "reasoningTokens > 0",
    "retries > 0",
    "nodes > 1",
    "bottlenecks > 0",
    "complete == false",
    "node.executionTime > 1s",
    "node.duration > 1ms",
    "node.waitTime > 0ms",
    "node.dependencyWait > 0s",
    "node.queueDelay >= 250ms",
    "node.selfTime > 0us",
    "node.llmTime > 0ns",
    "node.toolTime > 0ms",
    "node.cost > 0.01 USD",
    "node.tokens > 100",
    "node.retries >= 1",
    "node.attempts > 1",
    "bottleneck.type == excessive_retries",
    "bottleneck.type != slow_node",
    "bottleneck.severity == high",
    "bottleneck.impact > 10",
};

struct run {
    dp_processor *proc;
    dp_alerts *alerts;
    uint64_t now;
    int width;
    dp_buf buf;
    dp_buf ref; /* the same profile by bench/profile_json_ref.c */
};

static void on_alert(void *user, dp_record *alert)
{
    (void)user;
    if (alert->kind != DP_RECORD_ALERT || !alert->json)
        fc_fail("alert record without JSON", "", 0);
    fc_check_json(alert->json, alert->json_len, false);
    dp_record_unref(alert);
}

/* The lexical shape of a page dp_html_* wrote: valid UTF-8, no control
 * character but tab and line feed, '<' only before a tag name, '/' or
 * '!', no '<' inside a tag, '&' only as &amp; &lt; &gt; &quot; &#39;. */
static void check_html(const char *s, size_t n)
{
    static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                      "&#39;"};
    bool in_tag = false;
    size_t i = 0, bad;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n')
            fc_fail("html: control character", s + i, n - i < 40 ? n - i : 40);
        if (c >= 0x80) {
            size_t seq =
                dp__utf8_seq((const unsigned char *)s + i, n - i, &bad);
            if (seq == 0)
                fc_fail("html: invalid UTF-8", s + i, 1);
            i += seq;
            continue;
        }
        if (c == '<') {
            char d = i + 1 < n ? s[i + 1] : 0;
            if (in_tag || !((d >= 'a' && d <= 'z') || d == '/' || d == '!'))
                fc_fail("html: stray '<'", s + i, n - i < 40 ? n - i : 40);
            in_tag = true;
        } else if (c == '>') {
            in_tag = false;
        } else if (c == '&') {
            bool ok = false;
            for (size_t k = 0; k < 5 && !ok; k++)
                ok = strncmp(s + i, ent[k], strlen(ent[k])) == 0;
            if (!ok)
                fc_fail("html: stray '&'", s + i, n - i < 40 ? n - i : 40);
        }
        i++;
    }
    if (in_tag)
        fc_fail("html: unclosed tag at the end", "", 0);
}

static void on_profile(dp_profile *profile, void *user)
{
    struct run *r = user;
    int err;

    fc_check_profile(profile);
    dp_buf_reset(&r->buf);
    err = dp_profile_json_write(&r->buf, profile);
    if (err)
        fc_fail("dp_profile_json_write failed", dp_strerror(err), 20);
    fc_check_json(r->buf.data, r->buf.len, true);
    dp_buf_reset(&r->ref);
    err = dp_profile_json_write_ref(&r->ref, profile);
    if (err)
        fc_fail("dp_profile_json_write_ref failed", dp_strerror(err), 20);
    if (r->ref.len != r->buf.len ||
        memcmp(r->ref.data, r->buf.data, r->buf.len) != 0)
        fc_fail("profile JSON differs from the reference writer's", r->buf.data,
                r->buf.len);
    dp_buf_reset(&r->buf);
    err = dp_report_text_write(&r->buf, profile, r->width);
    if (err)
        fc_fail("dp_report_text_write failed", dp_strerror(err), 20);
    fc_check_text(r->buf.data, r->buf.len, r->width);
    dp_buf_reset(&r->buf);
    dp_html_run_opts html_opts = {1, r->width % 2 == 0, 0};
    if ((err = dp_html_page_begin(&r->buf, profile->dag_id)) != 0 ||
        (err = dp_html_run_section(&r->buf, profile, &html_opts)) != 0 ||
        (err = dp_html_page_end(&r->buf)) != 0)
        fc_fail("dp_html_* failed", dp_strerror(err), 20);
    check_html(r->buf.data, r->buf.len);
    dp_alerts_evaluate(r->alerts, profile, on_alert, r);
    dp_profile_free(profile);
}

static int on_span(void *user, const dp_span_in *span)
{
    struct run *r = user;
    r->now += 1000000;
    int err = dp_processor_add_span(r->proc, span, r->now);
    if (err == DP_ELATE)
        return 0; /* as serve and report count them */
    if (err && err != DP_EBADSPAN && err != DP_EFULL)
        fc_fail("dp_processor_add_span: unexpected error", dp_strerror(err),
                strlen(dp_strerror(err)));
    return err;
}

static void on_error(void *user, const char *message)
{
    (void)user;
    if (!message || !message[0])
        fc_fail("empty decoder message", "", 0);
}

/* Reads data as a trace file through an in-memory file. */
static int read_as_file(dp_decode_ctx *ctx, const uint8_t *data, size_t size)
{
    static int fd = -1;
    char path[64];

    if (fd < 0 && (fd = memfd_create("fuzz_end_to_end", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    return dp_trace_file_read(path, DP_FORMAT_AUTO, ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int widths[] = {80, 60, 0, 120, 512, 45, 1000, 72};
    static dp_pricing *pricing;
    static dp_analysis_config analysis;
    dp_processor_config pc;
    dp_decode_ctx ctx;
    struct run r;
    char err[512];
    int rc;

    if (!pricing) {
        dp_log_set_level(DP_LOG_ERROR); /* quiet: alerts log at info */
        pricing = dp_pricing_create_default();
        if (!pricing)
            abort();
        dp_analysis_config_init(&analysis);
    }
    if (size == 0)
        return 0;
    memset(&r, 0, sizeof(r));
    dp_buf_init(&r.buf);
    dp_buf_init(&r.ref);
    r.width = widths[size % (sizeof(widths) / sizeof(widths[0]))];
    r.alerts = dp_alerts_create();
    if (!r.alerts)
        abort();
    for (size_t i = 0; i < sizeof(rule_conditions) / sizeof(*rule_conditions);
         i++) {
        char name[32];
        dp_alert_rule_config rule = {.name = name,
                                     .condition = rule_conditions[i],
                                     .severity = (int)(i % 3),
                                     .window_matches = i % 4 == 3 ? 2 : 0,
                                     .window_of = i % 4 == 3 ? 3 : 0};
        snprintf(name, sizeof(name), "rule-%zu", i);
        if (dp_alerts_add(r.alerts, &rule, err, sizeof(err)))
            fc_fail("built-in alert rule rejected", err, strlen(err));
    }
    dp_processor_config_init(&pc);
    pc.pricing = pricing;
    pc.analysis = &analysis;
    pc.max_traces = 8;
    pc.max_spans_per_trace = 4096;
    r.proc = dp_processor_create(&pc, on_profile, &r);
    if (!r.proc)
        abort();

    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = on_span;
    ctx.sink_user = &r;
    ctx.on_error = on_error;
    ctx.where = "fuzz";
    if (data[0] == 0x00)
        rc = dp_otlp_wire_decode(&ctx, data + 1, size - 1);
    else if (data[0] == 0x01)
        rc = read_as_file(&ctx, data + 1, size - 1);
    else
        rc = dp_otlp_json_scan(&ctx, (const char *)data, size);
    if (rc != 0 && rc != DP_EPARSE)
        fc_fail("decoder: unexpected return code", dp_strerror(rc),
                strlen(dp_strerror(rc)));

    dp_processor_tick(r.proc, r.now + 1);
    dp_processor_tick(r.proc, r.now + pc.grace_ns + 1);
    dp_processor_flush(r.proc, data[size - 1] & 1 ? DP_INCOMPLETE_SHUTDOWN
                                                  : DP_INCOMPLETE_ROOT_MISSING);
    dp_processor_destroy(r.proc);
    dp_alerts_destroy(r.alerts);
    dp_buf_fini(&r.buf);
    dp_buf_fini(&r.ref);
    return 0;
}
