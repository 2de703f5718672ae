/*
 * test_otlp_metrics.c - the cumulative metric state of the `otlp` exporter
 * (exporter/otlp_metrics.c), without the network.
 *
 * Profiles are added to the state, dirty series are packed into an
 * ExportMetricsServiceRequest and decoded back with protobuf-c; the tests
 * check cumulative values across runs and DAGs, exact start and point
 * times, which series a pack carries (only dirty ones, in creation order,
 * at most max_points), that a retryable failure keeps them and a delivery
 * clears them, and the overflow series past max_series. What reaches a
 * collector over gRPC is tested in test_otlp_push.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_push_fixture.h"
#include "otlp_push_internal.h"
#include "processor.h"

#define T0 1700000000000000000ULL /* series creation time */

/* Packs at most max_points dirty series at now_ns, checks that n were
 * packed and decodes them. */
static metrics_req *pack(dp__otlp_metrics *m, size_t max_points,
                         uint64_t now_ns, int n)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(dp__otlp_metrics_pack(m, max_points, now_ns, &buf, &len),
                     n);
    assert_non_null(buf);
    metrics_req *req = decode_metrics(buf, len);
    free(buf);
    return req;
}

static size_t n_points(metrics_req *req)
{
    Opentelemetry__Proto__Metrics__V1__ScopeMetrics *sm =
        req->resource_metrics[0]->scope_metrics[0];
    size_t n = 0;
    for (size_t i = 0; i < sm->n_metrics; i++)
        n += sm->metrics[i]->data_case ==
                     OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_SUM
                 ? sm->metrics[i]->sum->n_data_points
                 : sm->metrics[i]->histogram->n_data_points;
    return n;
}

/* The overflow point of a metric: its only attribute is
 * otel.metric.overflow = true. */
static void *overflow_point(metrics_req *req, const char *name)
{
    metric_t *m = find_metric(req, name);
    assert_non_null(m);
    bool hist = m->data_case ==
                OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_HISTOGRAM;
    size_t n = hist ? m->histogram->n_data_points : m->sum->n_data_points;
    for (size_t i = 0; i < n; i++) {
        Opentelemetry__Proto__Common__V1__KeyValue **kv =
            hist ? m->histogram->data_points[i]->attributes
                 : m->sum->data_points[i]->attributes;
        size_t nkv = hist ? m->histogram->data_points[i]->n_attributes
                          : m->sum->data_points[i]->n_attributes;
        if (nkv == 1 && strcmp(kv[0]->key, "otel.metric.overflow") == 0) {
            assert_int_equal(
                kv[0]->value->value_case,
                OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE);
            assert_true(kv[0]->value->bool_value);
            return hist ? (void *)m->histogram->data_points[i]
                        : (void *)m->sum->data_points[i];
        }
    }
    return NULL;
}

static void test_otlp_metrics_cumulative_across_runs_and_dags(void **state)
{
    (void)state;
    dp__otlp_metrics *m = dp__otlp_metrics_create(100);
    struct prec pr;
    prec_init(&pr);
    /* 19 series: run duration, run cost, 11 token series, 5 nodes, one
     * bottleneck type. */
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0), 0);
    assert_int_equal(dp__otlp_metrics_dirty(m), 19);
    metrics_req *req = pack(m, 1000, T0 + 5, 19);
    hist_point *hp =
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL);
    assert_non_null(hp);
    assert_int_equal(hp->start_time_unix_nano, T0);
    assert_int_equal(hp->time_unix_nano, T0 + 5);
    check_duration_bounds(hp);
    check_buckets(hp, 11, 1, -1, 0);
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);
    assert_int_equal(dp__otlp_metrics_dirty(m), 0);

    /* A second run of the same DAG: 1.28 s exactly (upper bounds are
     * inclusive: bucket 7), free, no bottleneck. */
    pr.f.p.wall_ns = 1280 * (int64_t)MS;
    pr.f.p.cost_pusd = 0;
    pr.f.p.n_bottlenecks = 0;
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0 + 100), 0);
    assert_int_equal(dp__otlp_metrics_dirty(m), 18);
    req = pack(m, 1000, T0 + 200, 18);
    hp = find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL);
    assert_int_equal(hp->start_time_unix_nano, T0); /* the series' start */
    assert_int_equal(hp->time_unix_nano, T0 + 200);
    assert_int_equal(hp->count, 2);
    check_buckets(hp, 7, 1, 11, 1);
    assert_true(fabs(hp->sum - 17.28) < 1e-9);
    assert_true(hp->min == 1.28 && hp->max == 16.0);
    assert_int_equal(hp->n_exemplars, 1);
    assert_true(hp->exemplars[0]->as_double == 1.28);
    assert_memory_equal(hp->exemplars[0]->trace_id.data, fx_trace, 16);
    hp = find_hist(req, "dag.run.cost", "code-review-dag", NULL, NULL);
    check_buckets(hp, 0, 1, 8, 1); /* $0 <= 0.001; $0.3591 in (0.25, 0.5] */
    assert_int_equal(tokens(req, "claude-sonnet-4-5", "input"), 22000);
    assert_int_equal(tokens(req, "claude-sonnet-4-5", "cache_write"), 2000);
    assert_int_equal(tokens(req, "claude-opus-4-1", "reasoning"), 800);
    hp = find_hist(req, "dag.node.duration", "code-review-dag", "dag.node.id",
                   "review-performance");
    check_buckets(hp, 10, 2, -1, 0);
    assert_int_equal(hp->start_time_unix_nano, T0);
    /* Not touched by this run and already delivered: not resent. */
    assert_null(find_metric(req, "dag.bottlenecks"));
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);

    /* Another DAG: only its own series, starting now. */
    pr.f.p.dag_id = "other-dag";
    pr.f.p.wall_ns = 50 * (int64_t)MS; /* (0.04, 0.08]: bucket 3 */
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0 + 300), 0);
    req = pack(m, 1000, T0 + 400, 18);
    assert_null(
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL));
    hp = find_hist(req, "dag.run.duration", "other-dag", NULL, NULL);
    assert_non_null(hp);
    assert_int_equal(hp->start_time_unix_nano, T0 + 300);
    assert_int_equal(hp->count, 1);
    check_buckets(hp, 3, 1, -1, 0);
    assert_int_equal(sum_value(req, "dag.tokens", "other-dag",
                               "gen_ai.response.model", "claude-haiku-4-5",
                               "gen_ai.token.type", "input"),
                     4800);
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);

    prec_fini(&pr);
    dp__otlp_metrics_destroy(m);
}

static void test_otlp_metrics_undelivered_stay_dirty(void **state)
{
    (void)state;
    dp__otlp_metrics *m = dp__otlp_metrics_create(100);
    struct prec pr;
    prec_init(&pr);
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0), 0);
    metrics_req *req = pack(m, 1000, T0 + 1, 19);
    free_metrics(req);
    dp__otlp_metrics_settle(m, 0); /* retryable failure */
    assert_int_equal(dp__otlp_metrics_dirty(m), 19);

    /* The next run adds to the same series; the next pack carries both. */
    pr.f.p.n_bottlenecks = 0;
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0 + 2), 0);
    assert_int_equal(dp__otlp_metrics_dirty(m), 19);
    req = pack(m, 1000, T0 + 3, 19);
    hist_point *hp =
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL);
    assert_int_equal(hp->count, 2);
    check_buckets(hp, 11, 2, -1, 0);
    assert_int_equal(tokens(req, "claude-haiku-4-5", "output"), 2160);
    assert_int_equal(sum_value(req, "dag.bottlenecks", "code-review-dag",
                               "dag.bottleneck.type", "dependency_wait", NULL,
                               NULL),
                     1);
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);
    assert_int_equal(dp__otlp_metrics_dirty(m), 0);

    /* Nothing dirty: nothing packed. */
    uint8_t *buf = (uint8_t *)"x";
    size_t len = 7;
    assert_int_equal(dp__otlp_metrics_pack(m, 1000, T0 + 4, &buf, &len), 0);
    assert_null(buf);
    assert_int_equal(len, 0);
    prec_fini(&pr);
    dp__otlp_metrics_destroy(m);
}

static void test_otlp_metrics_pack_in_chunks(void **state)
{
    (void)state;
    dp__otlp_metrics *m = dp__otlp_metrics_create(100);
    struct prec pr;
    prec_init(&pr);
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0), 0);

    /* In creation order: the run histograms come first. */
    metrics_req *req = pack(m, 5, T0 + 1, 5);
    assert_int_equal(n_points(req), 5);
    assert_non_null(
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL));
    assert_non_null(
        find_hist(req, "dag.run.cost", "code-review-dag", NULL, NULL));
    free_metrics(req);
    dp__otlp_metrics_settle(m, 0);
    /* Not delivered: the same five again. */
    req = pack(m, 5, T0 + 2, 5);
    assert_non_null(
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL));
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);
    assert_int_equal(dp__otlp_metrics_dirty(m), 14);

    const int want[3] = {5, 5, 4};
    int nodes = 0;
    for (int i = 0; i < 3; i++) {
        req = pack(m, 5, T0 + 3, want[i]);
        assert_int_equal(n_points(req), (size_t)want[i]);
        assert_null(find_metric(req, "dag.run.duration"));
        metric_t *mt = find_metric(req, "dag.node.duration");
        if (mt)
            nodes += (int)mt->histogram->n_data_points;
        free_metrics(req);
        dp__otlp_metrics_settle(m, 1);
    }
    assert_int_equal(nodes, 5); /* each node exactly once */
    assert_int_equal(dp__otlp_metrics_dirty(m), 0);
    prec_fini(&pr);
    dp__otlp_metrics_destroy(m);
}

static void test_otlp_metrics_overflow_past_max_series(void **state)
{
    (void)state;
    dp__otlp_metrics *m = dp__otlp_metrics_create(3);
    struct prec pr;
    prec_init(&pr);
    /* Labelled: run duration, run cost, and the first token series (haiku
     * input, of call 3). Everything after folds into one overflow series
     * per metric. */
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0), 0);
    metrics_req *req = pack(m, 1000, T0 + 1, 6);
    assert_non_null(
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL));
    assert_int_equal(tokens(req, "claude-haiku-4-5", "input"), 4800);
    assert_int_equal(tokens(req, "claude-haiku-4-5", "output"), -1);
    /* 23700 + 7250 + 2000 + 1000 + 400 tokens of all types, less 4800 */
    num_point *np = overflow_point(req, "dag.tokens");
    assert_non_null(np);
    assert_int_equal(np->as_int, 29550);
    hist_point *hp = overflow_point(req, "dag.node.duration");
    assert_non_null(hp);
    assert_int_equal(hp->count, 5);
    check_buckets(hp, 9, 4, 10, 1);
    np = overflow_point(req, "dag.bottlenecks");
    assert_non_null(np);
    assert_int_equal(np->as_int, 1);
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);

    /* A new DAG has no room at all: its runs go to the overflow series. */
    pr.f.p.dag_id = "other-dag";
    assert_int_equal(dp__otlp_metrics_add(m, &pr.f.p, T0 + 2), 0);
    req = pack(m, 1000, T0 + 3, 5);
    assert_null(find_hist(req, "dag.run.duration", "other-dag", NULL, NULL));
    hp = overflow_point(req, "dag.run.duration");
    assert_non_null(hp);
    assert_int_equal(hp->count, 1);
    assert_int_equal(hp->start_time_unix_nano, T0 + 2);
    np = overflow_point(req, "dag.tokens");
    assert_int_equal(np->as_int, 29550 + 34350);
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);
    prec_fini(&pr);
    dp__otlp_metrics_destroy(m);
}

static void test_otlp_metrics_unknown_names_and_empty_run(void **state)
{
    (void)state;
    dp__otlp_metrics *m = dp__otlp_metrics_create(100);
    dp_fixture f;
    dp_fixture_empty(&f);
    /* No nodes or calls: a zero wall and cost land in the first buckets. */
    assert_int_equal(dp__otlp_metrics_add(m, &f.p, T0), 0);
    metrics_req *req = pack(m, 1000, T0, 2);
    hist_point *hp =
        find_hist(req, "dag.run.duration", "empty-dag", NULL, NULL);
    check_buckets(hp, 0, 1, -1, 0);
    assert_true(hp->sum == 0.0);
    hp = find_hist(req, "dag.run.cost", "empty-dag", NULL, NULL);
    check_buckets(hp, 0, 1, -1, 0);
    assert_null(find_metric(req, "dag.tokens"));
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);

    /* A run without a dag id, with an LLM call of unknown model, one
     * without token counts and a tool call. */
    dp_call calls[3];
    dp_fixture__llm(&calls[0], -1, "", 0, 10, 120, 30, 0, 0, 0, 0, false);
    dp_fixture__llm(&calls[1], -1, "m", 0, 10, 999, 999, 0, 0, 0, 0, false);
    calls[1].has_tokens = false;
    dp_fixture__call(&calls[2], DP_CALL_TOOL, -1, "grep", 0, 5, true);
    f.p.dag_id = "";
    f.p.calls = calls;
    f.p.n_calls = 3;
    assert_int_equal(dp__otlp_metrics_add(m, &f.p, T0), 0);
    req = pack(m, 1000, T0, 4);
    assert_non_null(find_hist(req, "dag.run.duration", "unknown", NULL, NULL));
    assert_int_equal(sum_value(req, "dag.tokens", "unknown",
                               "gen_ai.response.model", NULL,
                               "gen_ai.token.type", "input"),
                     120);
    assert_int_equal(sum_value(req, "dag.tokens", "unknown",
                               "gen_ai.response.model", NULL,
                               "gen_ai.token.type", "output"),
                     30);
    assert_int_equal(find_metric(req, "dag.tokens")->sum->n_data_points, 2);
    free_metrics(req);
    dp__otlp_metrics_settle(m, 1);
    dp__otlp_metrics_destroy(m);
    dp__otlp_metrics_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_metrics_cumulative_across_runs_and_dags),
        cmocka_unit_test(test_otlp_metrics_undelivered_stay_dirty),
        cmocka_unit_test(test_otlp_metrics_pack_in_chunks),
        cmocka_unit_test(test_otlp_metrics_overflow_past_max_series),
        cmocka_unit_test(test_otlp_metrics_unknown_names_and_empty_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
