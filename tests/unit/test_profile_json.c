/*
 * test_profile_json.c - unit tests for exporter/profile_json.c: the JSON
 * line of the seed's code-review profile (tests/support/profile_fixture.h) is
 * parsed back with jansson and every value and the order of every object's
 * keys is checked against DESIGN.md "Output"; plus escaping, the empty
 * profile and incomplete profiles.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "profile_fixture.h"
#include "profile_json.h"

/* Renders p, checks it is exactly one line, parses it. */
static json_t *render(const dp_profile *p, dp_buf *out)
{
    json_error_t err;
    json_t *root;

    dp_buf_init(out);
    assert_int_equal(dp_profile_json_write(out, p), 0);
    assert_true(out->len > 2);
    assert_int_equal(out->data[out->len - 1], '\n');
    assert_null(memchr(out->data, '\n', out->len - 1));
    root = json_loadb(out->data, out->len, 0, &err);
    if (root == NULL)
        fail_msg("invalid JSON at %d: %s\n%s", err.position, err.text,
                 out->data);
    assert_true(json_is_object(root));
    return root;
}

/* Asserts obj has exactly these keys, in this order. */
static void assert_keys(json_t *obj, const char *const *keys, size_t n)
{
    void *it;
    size_t i = 0;

    assert_true(json_is_object(obj));
    for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        if (i >= n)
            fail_msg("unexpected key %s", json_object_iter_key(it));
        assert_string_equal(json_object_iter_key(it), keys[i]);
        i++;
    }
    assert_int_equal(i, n);
}
#define ASSERT_KEYS(obj, ...)                                                  \
    do {                                                                       \
        static const char *const k_[] = {__VA_ARGS__};                         \
        assert_keys((obj), k_, sizeof(k_) / sizeof(k_[0]));                    \
    } while (0)

static json_t *get(json_t *obj, const char *path)
{
    char buf[256], *save = NULL;
    json_t *cur = obj;

    strcpy(buf, path);
    for (char *tok = strtok_r(buf, ".", &save); tok;
         tok = strtok_r(NULL, ".", &save)) {
        if (tok[0] >= '0' && tok[0] <= '9')
            cur = json_array_get(cur, (size_t)atoi(tok));
        else
            cur = json_object_get(cur, tok);
        if (cur == NULL)
            fail_msg("no %s (at %s)", path, tok);
    }
    return cur;
}

static void assert_str(json_t *root, const char *path, const char *want)
{
    json_t *v = get(root, path);
    if (!json_is_string(v))
        fail_msg("%s is not a string", path);
    assert_string_equal(json_string_value(v), want);
}

static void assert_int(json_t *root, const char *path, json_int_t want)
{
    json_t *v = get(root, path);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    assert_int_equal(json_integer_value(v), want);
}

static void assert_num(json_t *root, const char *path, double want)
{
    json_t *v = get(root, path);
    if (!json_is_number(v))
        fail_msg("%s is not a number", path);
    if (fabs(json_number_value(v) - want) > 1e-9)
        fail_msg("%s = %.12g, want %.12g", path, json_number_value(v), want);
}

static void assert_text(const dp_buf *out, const char *needle)
{
    if (strstr(out->data, needle) == NULL)
        fail_msg("output lacks %s", needle);
}

static void test_profile_json_code_review_values(void **state)
{
    dp_fixture f;
    dp_buf out;
    json_t *r;
    (void)state;

    dp_fixture_code_review(&f);
    r = render(&f.p, &out);

    assert_str(r, "profileId", "prof-4bf92f3577b34da6");
    assert_str(r, "traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_str(r, "dagId", "code-review-dag");
    assert_str(r, "profiledAt", "2024-01-15T10:31:00.456Z");
    assert_str(r, "startTimeUnixNano", "1705314600000000000");
    assert_true(json_is_true(get(r, "complete")));
    assert_true(json_is_null(get(r, "incompleteReason")));
    assert_int(r, "spanCount", 20);
    assert_int(r, "lateSpans", 0);

    assert_num(r, "metrics.totalDuration", 16000.0);
    assert_int_equal(json_array_size(get(r, "metrics.criticalPath")), 3);
    assert_str(r, "metrics.criticalPath.0", "fetch-code");
    assert_str(r, "metrics.criticalPath.1", "review-performance");
    assert_str(r, "metrics.criticalPath.2", "aggregate-results");
    assert_num(r, "metrics.criticalPathDuration", 15796.125);
    assert_num(r, "metrics.sumExecution", 24295.625);
    assert_num(r, "metrics.parallelizationEfficiency", 0.9873);
    assert_num(r, "metrics.dagParallelism", 1.5381);
    assert_num(r, "metrics.achievedParallelism", 1.5185);
    assert_int(r, "metrics.peakConcurrency", 3);

    assert_int(r, "metrics.totalTokens.inputTokens", 23700);
    assert_int(r, "metrics.totalTokens.outputTokens", 7250);
    assert_int(r, "metrics.totalTokens.cacheReadTokens", 2000);
    assert_int(r, "metrics.totalTokens.cacheWriteTokens", 1000);
    assert_int(r, "metrics.totalTokens.reasoningTokens", 400);
    assert_int(r, "metrics.totalTokens.totalTokens", 30950);
    assert_int(r, "metrics.totalTokens.byModel.claude-haiku-4-5", 5880);
    assert_int(r, "metrics.totalTokens.byModel.claude-sonnet-4-5", 15120);
    assert_int(r, "metrics.totalTokens.byModel.claude-opus-4-1", 9450);
    assert_int(r, "metrics.totalTokens.byModel.acme-summarizer-v2", 500);
    assert_int(r, "metrics.totalTokens.byNode.fetch-code", 2450);
    assert_int(r, "metrics.totalTokens.byNode.analyze-complexity", 8230);
    assert_int(r, "metrics.totalTokens.byNode.check-security", 6890);
    assert_int(r, "metrics.totalTokens.byNode.review-performance", 9450);
    assert_int(r, "metrics.totalTokens.byNode.aggregate-results", 3930);

    assert_num(r, "metrics.totalCost.totalCost", 0.3591);
    assert_num(r, "metrics.totalCost.byModel.claude-haiku-4-5", 0.0102);
    assert_num(r, "metrics.totalCost.byModel.claude-sonnet-4-5", 0.09015);
    assert_num(r, "metrics.totalCost.byModel.claude-opus-4-1", 0.25875);
    assert_int_equal(json_object_size(get(r, "metrics.totalCost.byModel")), 3);
    assert_num(r, "metrics.totalCost.byNode.fetch-code", 0.00425);
    assert_num(r, "metrics.totalCost.byNode.review-performance", 0.25875);
    assert_num(r, "metrics.totalCost.byNode.aggregate-results", 0.00595);
    assert_str(r, "metrics.totalCost.currency", "USD");
    assert_int_equal(json_array_size(get(r, "metrics.unpricedModels")), 1);
    assert_str(r, "metrics.unpricedModels.0.model", "acme-summarizer-v2");
    assert_int(r, "metrics.unpricedModels.0.tokens", 500);

    assert_int_equal(json_array_size(get(r, "nodeMetrics")), 5);
    assert_str(r, "nodeMetrics.0.nodeId", "fetch-code");
    assert_str(r, "nodeMetrics.1.nodeId", "analyze-complexity");
    assert_str(r, "nodeMetrics.2.nodeId", "check-security");
    assert_str(r, "nodeMetrics.3.nodeId", "review-performance");
    assert_str(r, "nodeMetrics.4.nodeId", "aggregate-results");
    /* review-performance: the retried node */
    assert_num(r, "nodeMetrics.3.start", 3471.25);
    assert_num(r, "nodeMetrics.3.end", 12456.125);
    assert_num(r, "nodeMetrics.3.duration", 12456.125);
    assert_num(r, "nodeMetrics.3.waitTime", 3471.25);
    assert_num(r, "nodeMetrics.3.dependencyWait", 3421.25);
    assert_num(r, "nodeMetrics.3.queueDelay", 50.0);
    assert_num(r, "nodeMetrics.3.executionTime", 8984.875);
    assert_num(r, "nodeMetrics.3.selfTime", 574.875);
    assert_num(r, "nodeMetrics.3.llmTime", 3110.0);
    assert_num(r, "nodeMetrics.3.toolTime", 5300.0);
    assert_int(r, "nodeMetrics.3.attempts", 2);
    assert_int(r, "nodeMetrics.3.retries", 1);
    assert_str(r, "nodeMetrics.3.status", "ok");
    assert_str(r, "nodeMetrics.3.dependsOn.0", "fetch-code");
    assert_str(r, "nodeMetrics.3.dependencySource", "links");
    assert_str(r, "nodeMetrics.3.models.0", "claude-opus-4-1");
    assert_int(r, "nodeMetrics.3.tokens.inputTokens", 7500);
    assert_int(r, "nodeMetrics.3.tokens.outputTokens", 1950);
    assert_int(r, "nodeMetrics.3.tokens.reasoningTokens", 400);
    assert_int(r, "nodeMetrics.3.tokens.totalTokens", 9450);
    assert_int(r, "nodeMetrics.3.tokens.byModel.claude-opus-4-1", 9450);
    assert_num(r, "nodeMetrics.3.cost", 0.25875);
    /* only tool calls, in start order, LLM calls left out */
    assert_int_equal(json_array_size(get(r, "nodeMetrics.3.toolCalls")), 2);
    assert_str(r, "nodeMetrics.3.toolCalls.0.tool", "run_benchmark");
    assert_num(r, "nodeMetrics.3.toolCalls.0.duration", 1200.0);
    assert_true(json_is_false(get(r, "nodeMetrics.3.toolCalls.0.success")));
    assert_num(r, "nodeMetrics.3.toolCalls.1.duration", 4100.0);
    assert_true(json_is_true(get(r, "nodeMetrics.3.toolCalls.1.success")));
    assert_int_equal(json_array_size(get(r, "nodeMetrics.0.toolCalls")), 3);
    assert_num(r, "nodeMetrics.0.toolCalls.1.duration", 900.5);
    assert_int_equal(json_array_size(get(r, "nodeMetrics.1.toolCalls")), 0);
    assert_int_equal(json_array_size(get(r, "nodeMetrics.0.dependsOn")), 0);
    assert_str(r, "nodeMetrics.0.dependencySource", "none");
    /* aggregate-results: three deps, two models */
    assert_int_equal(json_array_size(get(r, "nodeMetrics.4.dependsOn")), 3);
    assert_str(r, "nodeMetrics.4.dependsOn.2", "review-performance");
    assert_str(r, "nodeMetrics.4.models.1", "acme-summarizer-v2");
    assert_int(r, "nodeMetrics.4.tokens.byModel.acme-summarizer-v2", 500);
    assert_num(r, "nodeMetrics.4.dependencyWait", 12456.125);
    assert_num(r, "nodeMetrics.4.queueDelay", 43.875);

    assert_int_equal(json_array_size(get(r, "analysis.bottlenecks")), 1);
    assert_str(r, "analysis.bottlenecks.0.type", "dependency_wait");
    assert_str(r, "analysis.bottlenecks.0.nodeId", "aggregate-results");
    assert_str(r, "analysis.bottlenecks.0.severity", "high");
    assert_num(r, "analysis.bottlenecks.0.impact", 77.85);
    assert_str(r, "analysis.bottlenecks.0.details", f.bottlenecks[0].details);

    assert_int_equal(json_array_size(get(r, "recommendations")), 2);
    assert_str(r, "recommendations.0.type", "model_downgrade");
    assert_str(r, "recommendations.0.priority", "medium");
    assert_num(r, "recommendations.0.estimatedSavings.time", 0.0);
    assert_int(r, "recommendations.0.estimatedSavings.tokens", 0);
    assert_num(r, "recommendations.0.estimatedSavings.cost", 0.207);
    assert_str(r, "recommendations.1.type", "cache");
    assert_str(r, "recommendations.1.priority", "low");
    assert_num(r, "recommendations.1.estimatedSavings.time", 880.0);
    assert_str(r, "recommendations.1.implementation",
               f.optimizations[1].implementation);

    json_decref(r);
    dp_buf_fini(&out);
}

static void test_profile_json_field_order(void **state)
{
    dp_fixture f;
    dp_buf out;
    json_t *r;
    (void)state;

    dp_fixture_code_review(&f);
    r = render(&f.p, &out);
    ASSERT_KEYS(r, "profileId", "traceId", "dagId", "profiledAt",
                "startTimeUnixNano", "complete", "incompleteReason",
                "spanCount", "lateSpans", "serviceName", "version", "sessionId",
                "warnings", "metrics", "nodeMetrics", "analysis",
                "recommendations");
    ASSERT_KEYS(get(r, "metrics"), "totalDuration", "criticalPath",
                "criticalPathDuration", "sumExecution",
                "parallelizationEfficiency", "dagParallelism",
                "achievedParallelism", "peakConcurrency", "totalTokens",
                "totalCost", "unpricedModels");
    ASSERT_KEYS(get(r, "metrics.totalTokens"), "inputTokens", "outputTokens",
                "cacheReadTokens", "cacheWriteTokens", "reasoningTokens",
                "totalTokens", "byModel", "byNode");
    ASSERT_KEYS(get(r, "metrics.totalTokens.byModel"), "claude-haiku-4-5",
                "claude-sonnet-4-5", "claude-opus-4-1", "acme-summarizer-v2");
    ASSERT_KEYS(get(r, "metrics.totalTokens.byNode"), "fetch-code",
                "analyze-complexity", "check-security", "review-performance",
                "aggregate-results");
    ASSERT_KEYS(get(r, "metrics.totalCost"), "totalCost", "byModel", "byNode",
                "currency");
    ASSERT_KEYS(get(r, "metrics.totalCost.byNode"), "fetch-code",
                "analyze-complexity", "check-security", "review-performance",
                "aggregate-results");
    ASSERT_KEYS(get(r, "metrics.unpricedModels.0"), "model", "tokens");
    for (size_t i = 0; i < 5; i++) {
        json_t *n = json_array_get(get(r, "nodeMetrics"), i);
        ASSERT_KEYS(n, "nodeId", "start", "end", "duration", "waitTime",
                    "dependencyWait", "queueDelay", "executionTime", "selfTime",
                    "llmTime", "toolTime", "attempts", "retries", "status",
                    "dependsOn", "kind", "parent", "children",
                    "dependencySource", "models", "tokens", "cost",
                    "toolCalls");
        ASSERT_KEYS(json_object_get(n, "tokens"), "inputTokens", "outputTokens",
                    "cacheReadTokens", "cacheWriteTokens", "reasoningTokens",
                    "totalTokens", "byModel");
    }
    ASSERT_KEYS(get(r, "nodeMetrics.0.toolCalls.0"), "tool", "duration",
                "success");
    ASSERT_KEYS(get(r, "analysis"), "bottlenecks");
    ASSERT_KEYS(get(r, "analysis.bottlenecks.0"), "type", "nodeId", "severity",
                "impact", "details", "recommendation");
    ASSERT_KEYS(get(r, "recommendations.1"), "type", "priority",
                "estimatedSavings", "description", "implementation");
    ASSERT_KEYS(get(r, "recommendations.1.estimatedSavings"), "time", "tokens",
                "cost");
    json_decref(r);
    dp_buf_fini(&out);
}

/* The exact text of numbers: ms with 3 decimals, ratios 4, impact 2,
 * money exact and trimmed. */
static void test_profile_json_number_text(void **state)
{
    dp_fixture f;
    dp_buf out;
    json_t *r;
    (void)state;

    dp_fixture_code_review(&f);
    r = render(&f.p, &out);
    assert_text(&out, "{\"profileId\":\"prof-4bf92f3577b34da6\",");
    assert_text(&out, "\"startTimeUnixNano\":\"1705314600000000000\",");
    assert_text(&out, "\"metrics\":{\"totalDuration\":16000.000,");
    assert_text(&out, "\"criticalPathDuration\":15796.125,");
    assert_text(&out, "\"parallelizationEfficiency\":0.9873,"
                      "\"dagParallelism\":1.5381,"
                      "\"achievedParallelism\":1.5185,");
    assert_text(&out, "\"start\":0.000,\"end\":3421.250,");
    assert_text(&out, "\"duration\":900.500,\"success\":true}");
    assert_text(&out, "\"totalCost\":{\"totalCost\":0.3591,");
    assert_text(&out, "\"fetch-code\":0.00425,");
    assert_text(&out, "\"check-security\":0.0441,");
    assert_text(&out, "\"impact\":77.85,");
    assert_text(&out, "{\"time\":0.000,\"tokens\":0,\"cost\":0.207}");
    assert_text(&out, "{\"time\":880.000,\"tokens\":0,\"cost\":0}");
    assert_text(&out, "\"incompleteReason\":null,");

    /* sub-microsecond parts round half away from zero; whole pico-USD */
    f.nodes[0].self_ns = 35750500;
    f.nodes[0].cost_pusd = 1;
    f.p.bottlenecks[0].impact = 77.845001;
    dp_buf_reset(&out);
    assert_int_equal(dp_profile_json_write(&out, &f.p), 0);
    assert_text(&out, "\"selfTime\":35.751,");
    assert_text(&out, "\"cost\":0.000000000001,");
    assert_text(&out, "\"impact\":77.85,");
    json_decref(r);
    dp_buf_fini(&out);
}

static void test_profile_json_escapes_strings(void **state)
{
    dp_fixture f;
    dp_buf out;
    json_t *r;
    (void)state;

    dp_fixture_code_review(&f);
    f.p.dag_id = "review \"dag\"\n\t\\ caf\xc3\xa9";
    f.nodes[1].id = "analyze\x01"
                    "complexity\xff";
    f.bottlenecks[0].details = "line1\nline2 \"quoted\" \xe2\x80\xa8 end";
    f.optimizations[0].implementation = "C:\\path\\to\\model";
    f.calls[0].name = "tool<\x7f>";
    r = render(&f.p, &out);
    assert_str(r, "dagId", "review \"dag\"\n\t\\ caf\xc3\xa9");
    assert_str(r, "nodeMetrics.1.nodeId",
               "analyze\x01"
               "complexity\xef\xbf\xbd");
    /* the same id is escaped where it is a key and in lists */
    assert_int(r,
               "metrics.totalTokens.byNode.analyze\x01"
               "complexity\xef\xbf\xbd",
               8230);
    assert_str(r, "nodeMetrics.4.dependsOn.0",
               "analyze\x01"
               "complexity\xef\xbf\xbd");
    assert_str(r, "analysis.bottlenecks.0.details",
               "line1\nline2 \"quoted\" \xe2\x80\xa8 end");
    assert_str(r, "recommendations.0.implementation", "C:\\path\\to\\model");
    assert_str(r, "nodeMetrics.0.toolCalls.0.tool", "tool<\x7f>");
    assert_text(&out, "\"dagId\":\"review \\\"dag\\\"\\u000a\\u0009\\\\ caf");
    assert_text(&out, "line2 \\\"quoted\\\" \\u2028 end");
    json_decref(r);
    dp_buf_fini(&out);
}

static void test_profile_json_zero_nodes(void **state)
{
    dp_fixture f;
    dp_buf out;
    json_t *r;
    (void)state;

    dp_fixture_empty(&f);
    r = render(&f.p, &out);
    assert_str(r, "dagId", "empty-dag");
    assert_str(r, "profiledAt", "2024-01-15T10:30:02.000Z");
    assert_num(r, "metrics.totalDuration", 0.0);
    assert_int_equal(json_array_size(get(r, "metrics.criticalPath")), 0);
    assert_num(r, "metrics.parallelizationEfficiency", 0.0);
    assert_num(r, "metrics.dagParallelism", 0.0);
    /* no span reported any usage: every count is unknown, not 0 */
    assert_true(json_is_null(get(r, "metrics.totalTokens.totalTokens")));
    assert_true(json_is_null(get(r, "metrics.totalTokens.inputTokens")));
    assert_true(json_is_null(get(r, "metrics.totalTokens.reasoningTokens")));
    assert_int_equal(json_object_size(get(r, "metrics.totalTokens.byNode")), 0);
    assert_int_equal(json_object_size(get(r, "metrics.totalCost.byModel")), 0);
    assert_int(r, "metrics.totalCost.totalCost", 0);
    assert_int_equal(json_array_size(get(r, "metrics.unpricedModels")), 0);
    assert_int_equal(json_array_size(get(r, "nodeMetrics")), 0);
    assert_int_equal(json_array_size(get(r, "analysis.bottlenecks")), 0);
    assert_int_equal(json_array_size(get(r, "recommendations")), 0);
    json_decref(r);
    dp_buf_fini(&out);

    /* a profile with nothing set at all (NULL strings) is still valid */
    dp_profile zero;
    memset(&zero, 0, sizeof(zero));
    r = render(&zero, &out);
    assert_str(r, "dagId", "");
    assert_str(r, "profiledAt", "1970-01-01T00:00:00.000Z");
    assert_str(r, "startTimeUnixNano", "0");
    assert_true(json_is_false(get(r, "complete")));
    assert_true(json_is_null(get(r, "incompleteReason")));
    json_decref(r);
    dp_buf_fini(&out);
}

static void test_profile_json_incomplete_reason(void **state)
{
    static const struct {
        int reason;
        const char *name;
    } cases[] = {{DP_INCOMPLETE_ROOT_MISSING, "root_missing"},
                 {DP_INCOMPLETE_EVICTED, "evicted"},
                 {DP_INCOMPLETE_SHUTDOWN, "shutdown"}};
    dp_fixture f;
    dp_buf out;
    json_t *r;
    (void)state;

    for (size_t i = 0; i < 3; i++) {
        dp_fixture_code_review(&f);
        f.p.complete = false;
        f.p.incomplete_reason = cases[i].reason;
        f.p.late_spans = 7;
        r = render(&f.p, &out);
        assert_true(json_is_false(get(r, "complete")));
        assert_str(r, "incompleteReason", cases[i].name);
        assert_int(r, "lateSpans", 7);
        json_decref(r);
        dp_buf_fini(&out);
    }
}

/* Odd values the processor never produces still give valid JSON: non-finite
 * ratios become null, out-of-range node indices an empty id. */
static void test_profile_json_defensive(void **state)
{
    dp_fixture f;
    dp_buf out;
    json_t *r;
    (void)state;

    dp_fixture_code_review(&f);
    f.p.parallelization_efficiency = NAN;
    f.p.dag_parallelism = INFINITY;
    f.p.achieved_parallelism = -0.00001;
    f.bottlenecks[0].node = 99;
    f.critical_path[1] = 42;
    f.node_calls[0] = 500; /* a call index past p->calls is skipped */
    r = render(&f.p, &out);
    assert_true(json_is_null(get(r, "metrics.parallelizationEfficiency")));
    assert_true(json_is_null(get(r, "metrics.dagParallelism")));
    assert_text(&out, "\"achievedParallelism\":0.0000,");
    assert_str(r, "analysis.bottlenecks.0.nodeId", "");
    assert_str(r, "metrics.criticalPath.1", "");
    assert_int_equal(json_array_size(get(r, "nodeMetrics.0.toolCalls")), 2);
    json_decref(r);
    dp_buf_fini(&out);

    assert_int_equal(dp_profile_json_write(NULL, &f.p), DP_EINVAL);
    dp_buf_init(&out);
    assert_int_equal(dp_profile_json_write(&out, NULL), DP_EINVAL);
    assert_int_equal(out.len, 0);
    dp_buf_fini(&out);
}

/* Profiles append: two writes give two lines after what was there. */
static void test_profile_json_appends_lines(void **state)
{
    dp_fixture f, e;
    dp_buf out;
    char *nl;
    json_error_t err;
    json_t *a, *b;
    (void)state;

    dp_fixture_code_review(&f);
    dp_fixture_empty(&e);
    dp_buf_init(&out);
    assert_int_equal(dp_buf_puts(&out, "#\n"), 0);
    assert_int_equal(dp_profile_json_write(&out, &f.p), 0);
    assert_int_equal(dp_profile_json_write(&out, &e.p), 0);
    assert_memory_equal(out.data, "#\n{", 3);
    nl = strchr(out.data + 2, '\n');
    assert_non_null(nl);
    a = json_loadb(out.data + 2, (size_t)(nl + 1 - (out.data + 2)), 0, &err);
    b = json_loads(nl + 1, 0, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(a, "dagId")),
                        "code-review-dag");
    assert_string_equal(json_string_value(json_object_get(b, "dagId")),
                        "empty-dag");
    assert_int_equal(out.data[out.len - 1], '\n');
    json_decref(a);
    json_decref(b);
    dp_buf_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_json_code_review_values),
        cmocka_unit_test(test_profile_json_field_order),
        cmocka_unit_test(test_profile_json_number_text),
        cmocka_unit_test(test_profile_json_escapes_strings),
        cmocka_unit_test(test_profile_json_zero_nodes),
        cmocka_unit_test(test_profile_json_incomplete_reason),
        cmocka_unit_test(test_profile_json_defensive),
        cmocka_unit_test(test_profile_json_appends_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
