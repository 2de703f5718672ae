/*
 * test_alerts.c - unit tests for exporter/alerts.c: every condition of the
 * issue (wall, cost, parallelizationEfficiency, bottleneck.type,
 * node.executionTime, unpricedModels) and the other fields fire on a crafted
 * profile and stay silent just under (or at) their threshold; units s/ms
 * and USD; the exact alert JSON; the DAG filter; the N-of-M window per DAG;
 * and rules that do not parse, with messages naming the rule. Profiles are
 * the hand-built code-review profile of profile_fixture.h, modified.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "alerts.h"
#include "log.h"
#include "profile_fixture.h"

struct sink {
    size_t n;
    char json[8][2048];
    dp_record last;
    char rule[64], dag[64];
};

static void collect(void *user, dp_record *r)
{
    struct sink *s = user;
    assert_int_equal(r->kind, DP_RECORD_ALERT);
    assert_int_equal(atomic_load(&r->refs), 1);
    assert_int_equal(strlen(r->json), r->json_len);
    if (s->n < 8)
        snprintf(s->json[s->n], sizeof(s->json[0]), "%s", r->json);
    s->last = *r;
    snprintf(s->rule, sizeof(s->rule), "%s", r->rule);
    snprintf(s->dag, sizeof(s->dag), "%s", r->dag_id);
    s->n++;
    json_error_t e;
    json_t *j = json_loads(r->json, 0, &e);
    if (!j)
        fail_msg("alert JSON invalid: %s: %s", e.text, r->json);
    json_decref(j);
    dp_record_unref(r);
}

static dp_alerts *one_rule(const char *cond, const char *dag, uint32_t n,
                           uint32_t m)
{
    char err[512] = "";
    dp_alerts *a = dp_alerts_create();
    dp_alert_rule_config rc = {.name = "r1",
                               .dag = dag,
                               .condition = cond,
                               .severity = DP_ALERT_WARNING,
                               .window_matches = n,
                               .window_of = m};
    if (dp_alerts_add(a, &rc, err, sizeof(err)) != 0)
        fail_msg("rule '%s' did not parse: %s", cond, err);
    return a;
}

/* Number of alerts cond raises on p (fresh rule, no window). */
static size_t fires(const char *cond, const dp_profile *p, struct sink *s)
{
    memset(s, 0, sizeof(*s));
    dp_alerts *a = one_rule(cond, NULL, 0, 0);
    size_t n = dp_alerts_evaluate(a, p, collect, s);
    assert_int_equal(n, s->n);
    dp_alerts_destroy(a);
    return n;
}

#define FIRES(cond, p) assert_int_equal(fires((cond), (p), &s), 1)
#define SILENT(cond, p) assert_int_equal(fires((cond), (p), &s), 0)

static void test_alerts_wall_threshold_in_seconds_and_ms(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    f.p.wall_ns = 30000000001LL; /* 30 s + 1 ns */
    FIRES("wall > 30s", &f.p);
    FIRES("totalDuration > 30000ms", &f.p);
    f.p.wall_ns = 30000000000LL;
    SILENT("wall > 30s", &f.p);
    SILENT("wall > 30000ms", &f.p);
    FIRES("wall >= 30s", &f.p);
    FIRES("wall == 0.5m", &f.p);
    f.p.wall_ns = 29999000000LL; /* 1 ms under */
    SILENT("wall >= 30s", &f.p);
    FIRES("wall < 30s", &f.p);
    assert_non_null(strstr(s.json[0], "{\"field\":\"wall\",\"value\":"
                                      "29999.000,\"unit\":\"ms\"}"));
}

static void test_alerts_cost_threshold_exact_usd(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    f.p.cost_pusd = 500000000001LL; /* $0.500000000001 */
    FIRES("cost > 0.50", &f.p);
    FIRES("cost > $0.5", &f.p);
    FIRES("totalCost > 0.50 USD", &f.p);
    f.p.cost_pusd = 500000000000LL;
    SILENT("cost > 0.50", &f.p);
    FIRES("cost >= 0.50", &f.p);
    f.p.cost_pusd = 499999999999LL;
    SILENT("cost >= 0.50", &f.p);
}

static void test_alerts_alert_json_exact(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    memset(&s, 0, sizeof(s));
    char err[256];
    dp_alerts *a = dp_alerts_create();
    dp_alert_rule_config rc = {.name = "costly-run",
                               .dag = "code-review-dag",
                               .condition = "cost > 0.30",
                               .severity = DP_ALERT_CRITICAL};
    assert_int_equal(dp_alerts_add(a, &rc, err, sizeof(err)), 0);
    assert_int_equal(dp_alerts_evaluate(a, &f.p, collect, &s), 1);
    assert_string_equal(
        s.json[0],
        "{\"kind\":\"alert\",\"rule\":\"costly-run\",\"severity\":"
        "\"critical\",\"dagId\":\"code-review-dag\",\"traceId\":"
        "\"4bf92f3577b34da6a3ce929d0e0e4736\",\"profileId\":"
        "\"prof-4bf92f3577b34da6\",\"time\":\"2024-01-15T10:31:00.456Z\","
        "\"condition\":\"cost > 0.30\",\"values\":[{\"field\":\"cost\","
        "\"value\":0.3591,\"unit\":\"USD\"}]}");
    assert_string_equal(s.rule, "costly-run");
    assert_string_equal(s.dag, "code-review-dag");
    assert_int_equal(s.last.severity, DP_ALERT_CRITICAL);
    assert_string_equal(s.last.trace_id_hex,
                        "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_memory_equal(s.last.root_span_id, f.p.root_span_id, 8);
    assert_memory_equal(s.last.trace_id, f.p.trace_id, 16);
    assert_int_equal(s.last.time_unix_ns, f.p.profiled_at_unix_ns);
    assert_null(s.last.profile);
    /* The DAG filter: another DAG never fires this rule. */
    f.p.dag_id = "other-dag";
    assert_int_equal(dp_alerts_evaluate(a, &f.p, collect, &s), 0);
    dp_alerts_destroy(a);
}

static void test_alerts_parallelization_efficiency(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    f.p.parallelization_efficiency = 0.4999;
    FIRES("parallelizationEfficiency < 0.5", &f.p);
    assert_non_null(strstr(s.json[0], "\"value\":0.4999}"));
    f.p.parallelization_efficiency = 0.5;
    SILENT("parallelizationEfficiency < 0.5", &f.p);
    f.p.dag_parallelism = 2.0;
    FIRES("dagParallelism >= 2", &f.p);
    SILENT("dagParallelism > 2", &f.p);
    f.p.achieved_parallelism = 1.2;
    FIRES("achievedParallelism != 1", &f.p);
}

static void test_alerts_bottleneck_type(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    /* The fixture has only dependency_wait. */
    SILENT("bottleneck.type == excessive_retries", &f.p);
    FIRES("bottleneck.type != excessive_retries", &f.p);
    FIRES("bottleneck.type == dependency_wait", &f.p);
    assert_non_null(strstr(s.json[0],
                           "{\"field\":\"bottleneck.type\",\"nodeId\":"
                           "\"aggregate-results\",\"type\":"
                           "\"dependency_wait\",\"severity\":\"high\","
                           "\"impact\":77.85}"));
    f.bottlenecks[0].type = DP_BN_EXCESSIVE_RETRIES;
    f.bottlenecks[0].node = 3;
    FIRES("bottleneck.type == excessive_retries", &f.p);
    assert_non_null(strstr(s.json[0], "\"nodeId\":\"review-performance\""));
    SILENT("bottleneck.type != excessive_retries", &f.p);
    FIRES("bottleneck.severity == high", &f.p);
    SILENT("bottleneck.severity == medium", &f.p);
    FIRES("bottleneck.impact > 77.84", &f.p);
    SILENT("bottleneck.impact > 77.85", &f.p);
    f.p.n_bottlenecks = 0;
    SILENT("bottleneck.type == excessive_retries", &f.p);
    SILENT("bottleneck.impact >= 0", &f.p);
    SILENT("bottlenecks > 0", &f.p);
}

static void test_alerts_node_execution_time(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    /* Longest node: review-performance, 8984.875 ms. */
    SILENT("node.executionTime > 10s", &f.p);
    FIRES("node.executionTime > 4s", &f.p);
    assert_non_null(
        strstr(s.json[0],
               "\"values\":[{\"field\":\"node.executionTime\",\"nodeId\":"
               "\"analyze-complexity\",\"value\":4809.000,\"unit\":\"ms\"},"
               "{\"field\":\"node.executionTime\",\"nodeId\":"
               "\"review-performance\",\"value\":8984.875,\"unit\":\"ms\"}]"));
    f.nodes[3].execution_ns = 10000000000LL;
    SILENT("node.executionTime > 10s", &f.p);
    f.nodes[3].execution_ns = 10000000001LL;
    FIRES("node.executionTime > 10s", &f.p);
    FIRES("node.executionTime > 10000ms", &f.p);
    /* Other node fields. */
    FIRES("node.queueDelay >= 50ms", &f.p); /* review-performance: 50 ms */
    SILENT("node.queueDelay > 50ms", &f.p);
    FIRES("node.retries >= 1", &f.p);
    SILENT("node.retries > 1", &f.p);
    FIRES("node.cost > 0.25", &f.p); /* 0.25875 */
    SILENT("node.cost > 0.25875", &f.p);
    FIRES("node.tokens >= 9450", &f.p);
    SILENT("node.tokens > 9450", &f.p);
    FIRES("node.dependencyWait > 12s", &f.p); /* 12456.125 ms */
    SILENT("node.dependencyWait > 12456.125ms", &f.p);
}

static void test_alerts_unpriced_models(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    FIRES("unpricedModels > 0", &f.p); /* acme-summarizer-v2 */
    assert_non_null(strstr(s.json[0], "{\"field\":\"unpricedModels\","
                                      "\"value\":1}"));
    f.p.n_unpriced_models = 0;
    SILENT("unpricedModels > 0", &f.p);
}

static void test_alerts_counts_and_complete(void **state)
{
    (void)state;
    dp_fixture f;
    struct sink s;
    dp_fixture_code_review(&f);
    FIRES("totalTokens >= 30950", &f.p);
    SILENT("totalTokens > 30950", &f.p);
    FIRES("reasoningTokens == 400", &f.p);
    FIRES("retries > 0", &f.p);
    SILENT("retries > 1", &f.p);
    FIRES("peakConcurrency >= 3", &f.p);
    SILENT("lateSpans > 0", &f.p);
    f.p.late_spans = 1;
    FIRES("lateSpans > 0", &f.p);
    SILENT("complete == false", &f.p);
    f.p.complete = false;
    FIRES("complete == false", &f.p);
    FIRES("complete != true", &f.p);
    FIRES("criticalPathDuration < 16s", &f.p);
    FIRES("sumExecution > 24s", &f.p);
}

static void test_alerts_window_n_of_m_per_dag(void **state)
{
    (void)state;
    dp_fixture hit, miss;
    struct sink s;
    dp_fixture_code_review(&hit);
    dp_fixture_code_review(&miss);
    miss.p.cost_pusd = 0;
    memset(&s, 0, sizeof(s));
    dp_alerts *a = one_rule("cost > 0.30", NULL, 3, 5);
    /* runs: m n m m n m n n m -> fires at runs 4 and 6 only */
    const char *seq = "mnmmnmnnm";
    int want[] = {0, 0, 0, 1, 0, 1, 0, 0, 0};
    struct sink other_sink;
    memset(&other_sink, 0, sizeof(other_sink));
    dp_fixture other;
    dp_fixture_code_review(&other);
    other.p.dag_id = "other-dag";
    for (int i = 0; seq[i]; i++) {
        const dp_profile *p = seq[i] == 'm' ? &hit.p : &miss.p;
        /* Another DAG matching every time in between never counts for
         * this one; its own window fires from its 3rd run on. */
        size_t on = dp_alerts_evaluate(a, &other.p, collect, &other_sink);
        assert_int_equal(on, i >= 2 ? 1 : 0);
        size_t n = dp_alerts_evaluate(a, p, collect, &s);
        if ((int)n != want[i])
            fail_msg("run %d (%c): %zu alerts, want %d", i + 1, seq[i], n,
                     want[i]);
    }
    assert_int_equal(s.n, 2);
    assert_int_equal(other_sink.n, 7);
    assert_string_equal(other_sink.dag, "other-dag");
    assert_non_null(strstr(s.json[0], ",\"window\":{\"matches\":3,\"of\":5,"
                                      "\"matched\":3},"));
    assert_non_null(strstr(s.json[1], ",\"window\":{\"matches\":3,\"of\":5,"
                                      "\"matched\":3},"));
    dp_alerts_destroy(a);
}

static void expect_error(const char *name, const char *cond, const char *sev,
                         uint32_t n, uint32_t m, const char *needle)
{
    char err[512] = "";
    dp_alerts *a = dp_alerts_create();
    dp_alert_rule_config ok = {.name = "dup", .condition = "wall > 1s"};
    assert_int_equal(dp_alerts_add(a, &ok, err, sizeof(err)), 0);
    dp_alert_rule_config rc = {.name = name,
                               .condition = cond,
                               .severity = sev ? dp_alert_severity_parse(sev)
                                               : DP_ALERT_INFO,
                               .window_matches = n,
                               .window_of = m};
    int rc_add = dp_alerts_add(a, &rc, err, sizeof(err));
    if (rc_add == 0)
        fail_msg("'%s' parsed", cond ? cond : "(null)");
    if (name && name[0] && !strstr(err, name))
        fail_msg("message does not name the rule: %s", err);
    if (!strstr(err, needle))
        fail_msg("message '%s' lacks '%s'", err, needle);
    assert_int_equal(dp_alerts_count(a), 1);
    dp_alerts_destroy(a);
}

static void test_alerts_bad_rules_name_the_rule(void **state)
{
    (void)state;
    expect_error("slow", "wal > 30s", NULL, 0, 0, "unknown field 'wal'");
    expect_error("slow", "wall > 30", NULL, 0, 0,
                 "invalid value '30' for wall");
    expect_error("slow", "wall >> 30s", NULL, 0, 0, "invalid value '> 30s'");
    expect_error("slow", "wall 30s", NULL, 0, 0, "expected FIELD OP VALUE");
    expect_error("pricey", "cost > 0.5EUR", NULL, 0, 0, "amount in USD");
    expect_error("pricey", "cost > 0.1234567890123", NULL, 0, 0,
                 "invalid value");
    expect_error("bn", "bottleneck.type == slow", NULL, 0, 0,
                 "bottleneck type");
    expect_error("bn", "bottleneck.type > slow_node", NULL, 0, 0,
                 "only be compared with == or !=");
    expect_error("eff", "parallelizationEfficiency < half", NULL, 0, 0,
                 "expected a number");
    expect_error("sev", "wall > 1s", "urgent", 0, 0, "severity");
    expect_error("win", "wall > 1s", NULL, 6, 5, "window");
    expect_error("win", "wall > 1s", NULL, 1, 65, "window");
    expect_error("dup", "wall > 2s", NULL, 0, 0, "already exists");
    expect_error("nocond", "", NULL, 0, 0, "needs a condition");
    expect_error(NULL, "wall > 1s", NULL, 0, 0, "needs a name");
    assert_int_equal(dp_alert_severity_parse("warning"), DP_ALERT_WARNING);
    assert_int_equal(dp_alert_severity_parse("Warning"), DP_EINVAL);
    assert_string_equal(dp_alert_severity_name(DP_ALERT_CRITICAL), "critical");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alerts_wall_threshold_in_seconds_and_ms),
        cmocka_unit_test(test_alerts_cost_threshold_exact_usd),
        cmocka_unit_test(test_alerts_alert_json_exact),
        cmocka_unit_test(test_alerts_parallelization_efficiency),
        cmocka_unit_test(test_alerts_bottleneck_type),
        cmocka_unit_test(test_alerts_node_execution_time),
        cmocka_unit_test(test_alerts_unpriced_models),
        cmocka_unit_test(test_alerts_counts_and_complete),
        cmocka_unit_test(test_alerts_window_n_of_m_per_dag),
        cmocka_unit_test(test_alerts_bad_rules_name_the_rule),
    };
    dp_log_set_level(DP_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
