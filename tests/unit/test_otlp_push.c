/*
 * test_otlp_push.c - the `otlp` exporter (exporter/otlp_push.c) against a
 * gRPC C core test sink on 127.0.0.1.
 *
 * The sink (otlp_test_sink.h) is a real gRPC server that registers
 * LogsService/Export and MetricsService/Export, records every request
 * (decompressed body and request metadata) and answers with a scripted
 * status, optionally with a google.rpc.RetryInfo in grpc-status-details-bin,
 * or never answers at all. The tests decode what arrived
 * (ExportLogsServiceRequest, ExportMetricsServiceRequest) and check the content
 * against the hand-built profile of profile_fixture.h and hand-computed
 * numbers. How the cumulative metric state evolves across runs is tested
 * without the network in test_otlp_metrics.c. Every wait is bounded by a call
 * deadline or a counted loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "exporter.h"
#include "otlp_push.h"
#include "otlp_push_fixture.h"
#include "otlp_test_sink.h"
#include "processor.h"

static dp_otlp_push *push_create(int port, int gzip, uint64_t timeout_ns)
{
    char endpoint[64], err[256];
    snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", port);
    dp_otlp_push_config cfg = {endpoint, gzip, timeout_ns, NULL, NULL,
                               0,        NULL, NULL,       NULL};
    dp_otlp_push *p = dp_otlp_push_create(&cfg, err, sizeof(err));
    if (!p)
        fail_msg("create: %s", err);
    return p;
}

/* A sink that accepts gzip and an exporter to it (no gzip, 5 s deadline). */
static dp_otlp_push *push_start(struct dp_sink *s)
{
    dp_sink_start(s, 1);
    return push_create(s->port, 0, 5000 * MS);
}

/* Destroys the exporter, then stops its sink. */
static void push_stop(dp_otlp_push *p, struct dp_sink *s)
{
    dp_otlp_push_destroy(p);
    dp_sink_stop(s);
}

static logs_req *sink_logs(struct dp_sink *s, int k)
{
    const struct dp_sink_req *q = dp_sink_get(s, DP_SINK_LOGS, k);
    return decode_logs(q->body, q->len);
}

static metrics_req *sink_metrics(struct dp_sink *s, int k)
{
    const struct dp_sink_req *q = dp_sink_get(s, DP_SINK_METRICS, k);
    return decode_metrics(q->body, q->len);
}

/* ------------------------------------------------------------------------ */
/* Logs.                                                                     */

static void test_otlp_push_profile_becomes_log_record(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    struct prec pr;
    prec_init(&pr);
    dp_record *r = prec_record(&pr);

    uint64_t before = real_ns();
    assert_int_equal(dp_otlp_push_export(p, r), DP_EXPORTER_OK);
    uint64_t after = real_ns();
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 1);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 1);

    logs_req *req = sink_logs(&s, 0);
    Opentelemetry__Proto__Logs__V1__ScopeLogs *sl =
        req->resource_logs[0]->scope_logs[0];
    assert_string_equal(sl->scope->name, "dagprof");
    log_record *lr = the_log(req);
    assert_string_equal(lr->event_name, "dag.profile");
    assert_string_equal(
        attr_str(lr->attributes, lr->n_attributes, "event.name"),
        "dag.profile");
    assert_string_equal(attr_str(lr->attributes, lr->n_attributes, "dag.id"),
                        "code-review-dag");
    assert_string_equal(
        attr_str(lr->attributes, lr->n_attributes, "dag.profile.id"),
        "prof-4bf92f3577b34da6");
    assert_int_equal(
        lr->severity_number,
        OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_INFO);
    assert_int_equal(lr->severity_number, 9);
    assert_string_equal(lr->severity_text, "INFO");
    assert_int_equal(lr->trace_id.len, 16);
    assert_memory_equal(lr->trace_id.data, fx_trace, 16);
    assert_int_equal(lr->span_id.len, 8);
    assert_memory_equal(lr->span_id.data, fx_root, 8);
    /* profiledAt 2024-01-15T10:31:00.456789Z */
    assert_int_equal(lr->time_unix_nano, 1705314660456789000ULL);
    assert_true(lr->observed_time_unix_nano >= before &&
                lr->observed_time_unix_nano <= after);

    /* The body is the profile's JSON line, byte for byte. */
    assert_non_null(lr->body);
    assert_int_equal(
        lr->body->value_case,
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE);
    assert_string_equal(lr->body->string_value, r->json);
    json_error_t jerr;
    json_t *doc = json_loads(lr->body->string_value, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "dagId")),
                        "code-review-dag");
    assert_string_equal(json_string_value(json_object_get(doc, "traceId")),
                        "4bf92f3577b34da6a3ce929d0e0e4736");
    json_decref(doc);
    free_logs(req);

    prec_fini(&pr);
    push_stop(p, &s);
}

static void test_otlp_push_alert_severity_and_attributes(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    static const char *json =
        "{\"rule\":\"costly-run\",\"severity\":\"warning\",\"dagId\":"
        "\"code-review-dag\",\"values\":{\"cost\":0.3591}}";
    const int severities[3] = {DP_ALERT_WARNING, DP_ALERT_CRITICAL,
                               DP_ALERT_INFO};
    const int numbers[3] = {13, 17, 9};
    const char *texts[3] = {"WARN", "ERROR", "INFO"};
    const char *names[3] = {"warning", "critical", "info"};
    for (int i = 0; i < 3; i++) {
        dp_record r;
        alert_record(&r, severities[i], json);
        assert_int_equal(dp_otlp_push_export(p, &r), DP_EXPORTER_OK);
        logs_req *req = sink_logs(&s, i);
        log_record *lr = the_log(req);
        assert_string_equal(lr->event_name, "dag.alert");
        assert_string_equal(
            attr_str(lr->attributes, lr->n_attributes, "event.name"),
            "dag.alert");
        assert_int_equal(lr->severity_number, numbers[i]);
        assert_string_equal(lr->severity_text, texts[i]);
        assert_string_equal(
            attr_str(lr->attributes, lr->n_attributes, "dag.alert.rule"),
            "costly-run");
        assert_string_equal(
            attr_str(lr->attributes, lr->n_attributes, "dag.alert.severity"),
            names[i]);
        assert_string_equal(
            attr_str(lr->attributes, lr->n_attributes, "dag.id"),
            "code-review-dag");
        assert_string_equal(
            attr_str(lr->attributes, lr->n_attributes, "dag.trace_id"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_int_equal(lr->trace_id.len, 16);
        assert_memory_equal(lr->trace_id.data, fx_trace, 16);
        assert_int_equal(lr->span_id.len, 8);
        assert_memory_equal(lr->span_id.data, fx_root, 8);
        assert_int_equal(lr->time_unix_nano, 1705314661000000000ULL);
        assert_string_equal(lr->body->string_value, json);
        free_logs(req);
    }
    /* Alerts carry no metrics. */
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 3);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 0);

    /* An alert with no trace: no trace_id, span_id or dag.trace_id. */
    dp_record r;
    alert_record(&r, DP_ALERT_WARNING, json);
    memset(r.trace_id, 0, 16);
    memset(r.root_span_id, 0, 8);
    r.trace_id_hex[0] = '\0';
    assert_int_equal(dp_otlp_push_export(p, &r), DP_EXPORTER_OK);
    logs_req *req = sink_logs(&s, 3);
    log_record *lr = the_log(req);
    assert_int_equal(lr->trace_id.len, 0);
    assert_int_equal(lr->span_id.len, 0);
    assert_null(attr_str(lr->attributes, lr->n_attributes, "dag.trace_id"));
    free_logs(req);

    push_stop(p, &s);
}

/* ------------------------------------------------------------------------ */
/* Metrics.                                                                  */

static void test_otlp_push_profile_metrics_content(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    struct prec pr;
    prec_init(&pr);
    uint64_t before = real_ns();
    assert_int_equal(dp_otlp_push_export(p, prec_record(&pr)), DP_EXPORTER_OK);
    uint64_t after = real_ns();
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 1);
    metrics_req *req = sink_metrics(&s, 0);
    assert_string_equal(
        attr_str(req->resource_metrics[0]->resource->attributes,
                 req->resource_metrics[0]->resource->n_attributes,
                 "service.name"),
        "dagprof");

    /* Run wall time 16 s: (10.24, 20.48] is bucket 11. */
    metric_t *m = find_metric(req, "dag.run.duration");
    assert_non_null(m);
    assert_string_equal(m->unit, "s");
    assert_int_equal(m->histogram->n_data_points, 1);
    hist_point *hp =
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL);
    assert_non_null(hp);
    check_duration_bounds(hp);
    check_buckets(hp, 11, 1, -1, 0);
    assert_int_equal(hp->count, 1);
    assert_int_equal(
        hp->opt_sum_case,
        OPENTELEMETRY__PROTO__METRICS__V1__HISTOGRAM_DATA_POINT__OPT_SUM_SUM);
    assert_true(hp->sum == 16.0);
    assert_true(hp->min == 16.0 && hp->max == 16.0);
    assert_true(hp->start_time_unix_nano >= before &&
                hp->start_time_unix_nano <= after);
    assert_true(hp->time_unix_nano >= hp->start_time_unix_nano &&
                hp->time_unix_nano <= after);
    /* Exemplar: the run's trace and root span. */
    assert_int_equal(hp->n_exemplars, 1);
    assert_memory_equal(hp->exemplars[0]->trace_id.data, fx_trace, 16);
    assert_memory_equal(hp->exemplars[0]->span_id.data, fx_root, 8);
    assert_true(hp->exemplars[0]->as_double == 16.0);

    /* Run cost $0.3591: (0.25, 0.5] is bucket 8 of 16. */
    m = find_metric(req, "dag.run.cost");
    assert_non_null(m);
    assert_string_equal(m->unit, "USD");
    hp = find_hist(req, "dag.run.cost", "code-review-dag", NULL, NULL);
    assert_non_null(hp);
    assert_int_equal(hp->n_explicit_bounds, 15);
    assert_true(hp->explicit_bounds[0] == 0.001 &&
                hp->explicit_bounds[7] == 0.25 &&
                hp->explicit_bounds[8] == 0.5 && hp->explicit_bounds[14] == 50);
    check_buckets(hp, 8, 1, -1, 0);
    assert_true(fabs(hp->sum - 0.3591) < 1e-12);

    /* Tokens by model and type, summed over the LLM calls. */
    m = find_metric(req, "dag.tokens");
    assert_non_null(m);
    assert_string_equal(m->unit, "{token}");
    assert_int_equal(tokens(req, "claude-haiku-4-5", "input"), 4800);
    assert_int_equal(tokens(req, "claude-haiku-4-5", "output"), 1080);
    assert_int_equal(tokens(req, "claude-haiku-4-5", "cache_read"), -1);
    assert_int_equal(tokens(req, "claude-sonnet-4-5", "input"), 11000);
    assert_int_equal(tokens(req, "claude-sonnet-4-5", "output"), 4120);
    assert_int_equal(tokens(req, "claude-sonnet-4-5", "cache_read"), 2000);
    assert_int_equal(tokens(req, "claude-sonnet-4-5", "cache_write"), 1000);
    assert_int_equal(tokens(req, "claude-opus-4-1", "input"), 7500);
    assert_int_equal(tokens(req, "claude-opus-4-1", "output"), 1950);
    assert_int_equal(tokens(req, "claude-opus-4-1", "reasoning"), 400);
    assert_int_equal(tokens(req, "acme-summarizer-v2", "input"), 400);
    assert_int_equal(tokens(req, "acme-summarizer-v2", "output"), 100);
    /* 4 models: 2 + 4 + 3 + 2 series */
    assert_int_equal(m->sum->n_data_points, 11);

    /* Node execution times: 3.42125, 4.809, 3.6905, 3.39 s in (2.56, 5.12]
     * (bucket 9), 8.984875 s in (5.12, 10.24] (bucket 10). */
    m = find_metric(req, "dag.node.duration");
    assert_non_null(m);
    assert_string_equal(m->unit, "s");
    assert_int_equal(m->histogram->n_data_points, 5);
    const char *nine[4] = {"fetch-code", "analyze-complexity", "check-security",
                           "aggregate-results"};
    for (int i = 0; i < 4; i++) {
        hp = find_hist(req, "dag.node.duration", "code-review-dag",
                       "dag.node.id", nine[i]);
        assert_non_null(hp);
        check_duration_bounds(hp);
        check_buckets(hp, 9, 1, -1, 0);
    }
    hp = find_hist(req, "dag.node.duration", "code-review-dag", "dag.node.id",
                   "review-performance");
    assert_non_null(hp);
    check_buckets(hp, 10, 1, -1, 0);
    assert_true(fabs(hp->sum - 8.984875) < 1e-12);

    /* One dependency_wait bottleneck. */
    assert_int_equal(sum_value(req, "dag.bottlenecks", "code-review-dag",
                               "dag.bottleneck.type", "dependency_wait", NULL,
                               NULL),
                     1);
    assert_int_equal(find_metric(req, "dag.bottlenecks")->sum->n_data_points,
                     1);
    free_metrics(req);

    prec_fini(&pr);
    push_stop(p, &s);
}

static void test_otlp_push_retry_sends_nothing_twice(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    struct prec pr;
    prec_init(&pr);
    dp_record *r = prec_record(&pr);
    dp_sink_script(&s, DP_SINK_METRICS,
                   (struct dp_sink_reply){GRPC_STATUS_UNAVAILABLE, 0, 0, 0, 0});
    assert_int_equal(dp_otlp_push_export(p, r), DP_EXPORTER_RETRY);
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 1);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 1);

    /* The pipeline retries the same record: the accepted log is not sent
     * again and the run is counted once. */
    assert_int_equal(dp_otlp_push_export(p, r), DP_EXPORTER_OK);
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 1);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 2);
    metrics_req *req = sink_metrics(&s, 1);
    hist_point *hp =
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL);
    assert_int_equal(hp->count, 1);
    assert_int_equal(tokens(req, "claude-haiku-4-5", "input"), 4800);
    free_metrics(req);

    /* A log that must be retried is sent again; the metrics of the run
     * still count once. */
    pr.f.p.profiled_at_unix_ns += 1000;
    r = prec_record(&pr);
    dp_sink_script(&s, DP_SINK_LOGS,
                   (struct dp_sink_reply){GRPC_STATUS_UNAVAILABLE, 0, 0, 0, 0});
    assert_int_equal(dp_otlp_push_export(p, r), DP_EXPORTER_RETRY);
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 2);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 2); /* not tried */
    assert_int_equal(dp_otlp_push_export(p, r), DP_EXPORTER_OK);
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 3);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 3);
    req = sink_metrics(&s, 2);
    hp = find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL);
    assert_int_equal(hp->count, 2);
    assert_int_equal(tokens(req, "claude-haiku-4-5", "input"), 9600);
    free_metrics(req);

    prec_fini(&pr);
    push_stop(p, &s);
}

static void test_otlp_push_flush_sends_pending_series(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    struct prec pr;
    prec_init(&pr);
    dp_sink_script(&s, DP_SINK_METRICS,
                   (struct dp_sink_reply){GRPC_STATUS_UNAVAILABLE, 0, 0, 0, 0});
    assert_int_equal(dp_otlp_push_export(p, prec_record(&pr)),
                     DP_EXPORTER_RETRY);
    /* The pipeline gave up on that record and moved on to an alert. */
    dp_record a;
    alert_record(&a, DP_ALERT_WARNING, "{}");
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_OK);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 1);

    dp_otlp_push_flush(p);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 2);
    metrics_req *req = sink_metrics(&s, 1);
    hist_point *hp =
        find_hist(req, "dag.run.duration", "code-review-dag", NULL, NULL);
    assert_non_null(hp);
    assert_int_equal(hp->count, 1);
    check_buckets(hp, 11, 1, -1, 0);
    assert_int_equal(tokens(req, "claude-opus-4-1", "output"), 1950);
    free_metrics(req);
    /* Nothing left: a second flush sends nothing. */
    dp_otlp_push_flush(p);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 2);

    prec_fini(&pr);
    push_stop(p, &s);
}

/* ------------------------------------------------------------------------ */
/* Transport options.                                                        */

static void test_otlp_push_gzip_on_the_wire(void **state)
{
    (void)state;
    struct prec pr;
    prec_init(&pr);

    /* A sink that decompresses gzip sees the plain request. */
    struct dp_sink s;
    dp_sink_start(&s, 1);
    dp_otlp_push *p = push_create(s.port, 1, 5000 * MS);
    dp_record *r = prec_record(&pr);
    assert_int_equal(dp_otlp_push_export(p, r), DP_EXPORTER_OK);
    logs_req *req = sink_logs(&s, 0);
    assert_string_equal(the_log(req)->body->string_value, r->json);
    free_logs(req);
    metrics_req *mreq = sink_metrics(&s, 0);
    assert_int_equal(tokens(mreq, "claude-sonnet-4-5", "input"), 11000);
    free_metrics(mreq);
    dp_otlp_push_destroy(p);
    dp_sink_stop(&s);

    /* A sink with gzip disabled refuses it (UNIMPLEMENTED, for good): the
     * request really was compressed. Uncompressed passes. */
    dp_sink_start(&s, 0);
    p = push_create(s.port, 1, 5000 * MS);
    dp_record a;
    alert_record(&a, DP_ALERT_WARNING, "{\"rule\":\"costly-run\"}");
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_ERROR);
    dp_otlp_push_destroy(p);
    p = push_create(s.port, 0, 5000 * MS);
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_OK);
    dp_otlp_push_destroy(p);
    dp_sink_stop(&s);
    prec_fini(&pr);
}

static void test_otlp_push_headers_arrive_as_metadata(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_sink_start(&s, 1);
    char endpoint[64], err[256];
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", s.port);
    const char *names[2] = {"Authorization", "x-tenant"};
    const char *values[2] = {"Bearer s3cr3t-token", "team-a"};
    dp_otlp_push_config cfg = {endpoint, 1,    5000 * MS, names, values,
                               2,        NULL, NULL,      NULL};
    dp_otlp_push *p = dp_otlp_push_create(&cfg, err, sizeof(err));
    assert_non_null(p);
    struct prec pr;
    prec_init(&pr);
    assert_int_equal(dp_otlp_push_export(p, prec_record(&pr)), DP_EXPORTER_OK);
    for (int m = DP_SINK_LOGS; m <= DP_SINK_METRICS; m++) {
        const struct dp_sink_req *q = dp_sink_get(&s, m, 0);
        assert_string_equal(q->authorization, "Bearer s3cr3t-token");
        assert_string_equal(q->tenant, "team-a");
        assert_non_null(strstr(q->user_agent, "dagprof-otlp-exporter/"));
    }
    prec_fini(&pr);
    push_stop(p, &s);
}

/* ------------------------------------------------------------------------ */
/* Status codes and RetryInfo.                                               */

static void test_otlp_push_status_codes_map_to_retry_or_error(void **state)
{
    (void)state;
    /* OTLP exporter spec, "Retryable response codes" (no RetryInfo). */
    static const struct {
        grpc_status_code code;
        int want;
    } table[] = {
        {GRPC_STATUS_CANCELLED, DP_EXPORTER_RETRY},
        {GRPC_STATUS_UNKNOWN, DP_EXPORTER_ERROR},
        {GRPC_STATUS_INVALID_ARGUMENT, DP_EXPORTER_ERROR},
        {GRPC_STATUS_DEADLINE_EXCEEDED, DP_EXPORTER_RETRY},
        {GRPC_STATUS_NOT_FOUND, DP_EXPORTER_ERROR},
        {GRPC_STATUS_ALREADY_EXISTS, DP_EXPORTER_ERROR},
        {GRPC_STATUS_PERMISSION_DENIED, DP_EXPORTER_ERROR},
        {GRPC_STATUS_RESOURCE_EXHAUSTED, DP_EXPORTER_ERROR},
        {GRPC_STATUS_FAILED_PRECONDITION, DP_EXPORTER_ERROR},
        {GRPC_STATUS_ABORTED, DP_EXPORTER_RETRY},
        {GRPC_STATUS_OUT_OF_RANGE, DP_EXPORTER_RETRY},
        {GRPC_STATUS_UNIMPLEMENTED, DP_EXPORTER_ERROR},
        {GRPC_STATUS_INTERNAL, DP_EXPORTER_ERROR},
        {GRPC_STATUS_UNAVAILABLE, DP_EXPORTER_RETRY},
        {GRPC_STATUS_DATA_LOSS, DP_EXPORTER_RETRY},
        {GRPC_STATUS_UNAUTHENTICATED, DP_EXPORTER_ERROR},
    };
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    dp_record a;
    alert_record(&a, DP_ALERT_WARNING, "{}");
    size_t n = sizeof(table) / sizeof(table[0]);
    for (size_t i = 0; i < n; i++) {
        dp_sink_script(&s, DP_SINK_LOGS,
                       (struct dp_sink_reply){table[i].code, 0, 0, 0, 0});
        a.time_unix_ns++; /* a new record each time */
        int got = dp_otlp_push_export(p, &a);
        if (got != table[i].want)
            fail_msg("status %d: got %d, want %d", (int)table[i].code, got,
                     table[i].want);
        assert_int_equal(dp_otlp_push_retry_after(p), 0);
    }
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), (int)n);
    a.time_unix_ns++;
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_OK);
    push_stop(p, &s);
}

static void test_otlp_push_retry_info_is_honoured(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    dp_record a;
    alert_record(&a, DP_ALERT_CRITICAL, "{}");

    /* RESOURCE_EXHAUSTED with a detail that is not RetryInfo: for good. */
    dp_sink_script(
        &s, DP_SINK_LOGS,
        (struct dp_sink_reply){GRPC_STATUS_RESOURCE_EXHAUSTED, 2, 7, 0, 0});
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_ERROR);
    assert_int_equal(dp_otlp_push_retry_after(p), 0);

    /* With RetryInfo{3.5 s}: retryable, and the delay is reported. */
    a.time_unix_ns++;
    dp_sink_script(&s, DP_SINK_LOGS,
                   (struct dp_sink_reply){GRPC_STATUS_RESOURCE_EXHAUSTED, 1, 3,
                                          500000000, 0});
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_RETRY);
    assert_int_equal(dp_otlp_push_retry_after(p), 3500000000ULL);

    /* UNAVAILABLE with RetryInfo{2 s}. */
    dp_sink_script(&s, DP_SINK_LOGS,
                   (struct dp_sink_reply){GRPC_STATUS_UNAVAILABLE, 1, 2, 0, 0});
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_RETRY);
    assert_int_equal(dp_otlp_push_retry_after(p), 2000000000ULL);

    /* INVALID_ARGUMENT stays permanent even with RetryInfo. */
    a.time_unix_ns++;
    dp_sink_script(
        &s, DP_SINK_LOGS,
        (struct dp_sink_reply){GRPC_STATUS_INVALID_ARGUMENT, 1, 2, 0, 0});
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_ERROR);
    assert_int_equal(dp_otlp_push_retry_after(p), 0);

    /* Success clears the delay. */
    dp_sink_script(&s, DP_SINK_LOGS,
                   (struct dp_sink_reply){GRPC_STATUS_UNAVAILABLE, 1, 1, 0, 0});
    a.time_unix_ns++;
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_RETRY);
    assert_int_equal(dp_otlp_push_retry_after(p), 1000000000ULL);
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_OK);
    assert_int_equal(dp_otlp_push_retry_after(p), 0);
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 6);

    /* Metrics honour it too. */
    struct prec pr;
    prec_init(&pr);
    dp_sink_script(&s, DP_SINK_METRICS,
                   (struct dp_sink_reply){GRPC_STATUS_RESOURCE_EXHAUSTED, 1, 0,
                                          250000000, 0});
    assert_int_equal(dp_otlp_push_export(p, prec_record(&pr)),
                     DP_EXPORTER_RETRY);
    assert_int_equal(dp_otlp_push_retry_after(p), 250000000ULL);
    assert_int_equal(dp_otlp_push_export(p, &pr.r), DP_EXPORTER_OK);
    prec_fini(&pr);

    push_stop(p, &s);
}

static void test_otlp_push_partial_success_is_ok(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_otlp_push *p = push_start(&s);
    struct prec pr;
    prec_init(&pr);
    dp_sink_script(&s, DP_SINK_LOGS,
                   (struct dp_sink_reply){GRPC_STATUS_OK, 0, 0, 0, 1});
    dp_sink_script(&s, DP_SINK_METRICS,
                   (struct dp_sink_reply){GRPC_STATUS_OK, 0, 0, 0, 3});
    assert_int_equal(dp_otlp_push_export(p, prec_record(&pr)), DP_EXPORTER_OK);
    /* Never retried. */
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 1);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 1);
    dp_otlp_push_flush(p);
    assert_int_equal(dp_sink_count(&s, DP_SINK_METRICS), 1);
    prec_fini(&pr);
    push_stop(p, &s);
}

static void test_otlp_push_deadline_exceeded_is_retry(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_sink_start(&s, 1);
    s.never_answer = 1;
    dp_otlp_push *p = push_create(s.port, 0, 300 * MS);
    dp_record a;
    alert_record(&a, DP_ALERT_WARNING, "{}");
    uint64_t t0 = mono_ms();
    assert_int_equal(dp_otlp_push_export(p, &a), DP_EXPORTER_RETRY);
    uint64_t took = mono_ms() - t0;
    assert_true(took >= 250 && took < 1300);
    assert_int_equal(dp_sink_count(&s, DP_SINK_LOGS), 1); /* it did arrive */
    assert_int_equal(dp_otlp_push_retry_after(p), 0);
    push_stop(p, &s);
}

static void test_otlp_push_destination_down_is_retry(void **state)
{
    (void)state;
    /* A port with no listener: bind one, note it, close it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    int port = ntohs(sa.sin_port);
    close(fd);

    dp_otlp_push *p = push_create(port, 1, 5000 * MS);
    struct prec pr;
    prec_init(&pr);
    uint64_t t0 = mono_ms();
    assert_int_equal(dp_otlp_push_export(p, prec_record(&pr)),
                     DP_EXPORTER_RETRY);
    /* Refused at once, not at the deadline. */
    assert_true(mono_ms() - t0 < 4000);
    dp_otlp_push_flush(p); /* bounded; nothing to deliver to */
    prec_fini(&pr);
    dp_otlp_push_destroy(p);
}

static void test_otlp_push_create_rejects_bad_config(void **state)
{
    (void)state;
    char err[256];
    dp_otlp_push_config cfg = {NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL};
    assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "no endpoint"));
    assert_null(dp_otlp_push_create(NULL, err, sizeof(err)));

    const char *bad_endpoints[] = {"localhost", "127.0.0.1:", ":4317",
                                   "127.0.0.1:43a7"};
    for (size_t i = 0; i < 4; i++) {
        cfg.endpoint = bad_endpoints[i];
        err[0] = '\0';
        assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
        assert_non_null(strstr(err, "not host:port"));
    }
    /* TLS files only with https://; a certificate needs its key. */
    cfg.endpoint = "collector:4317";
    cfg.ca_file = DP_SOURCE_DIR "/README.md";
    assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "need an https:// endpoint"));
    cfg.endpoint = "https://collector:4317";
    assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "not a PEM file"));
    cfg.ca_file = "/nonexistent/ca.pem";
    assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
    cfg.ca_file = NULL;
    cfg.cert_file = "client.pem";
    assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "cert_file and key_file go together"));
    cfg.cert_file = NULL;
    dp_otlp_push *tls = dp_otlp_push_create(&cfg, err, sizeof(err));
    assert_non_null(tls); /* https:// with gRPC's default roots */
    dp_otlp_push_destroy(tls);

    cfg.endpoint = "127.0.0.1:4317";
    const char *names[1], *values[1];
    cfg.header_names = names;
    cfg.header_values = values;
    cfg.n_headers = 1;
    const char *bad_names[] = {"bad header", "grpc-timeout", ":path",
                               "content-type"};
    for (size_t i = 0; i < 4; i++) {
        names[0] = bad_names[i];
        values[0] = "x";
        assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
        assert_non_null(strstr(err, bad_names[i]));
    }
    names[0] = "authorization";
    values[0] = "Bearer a\nb";
    assert_null(dp_otlp_push_create(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "value"));

    /* Good ones, and NULL arguments everywhere. */
    values[0] = "Bearer ok";
    dp_otlp_push *p = dp_otlp_push_create(&cfg, NULL, 0);
    assert_non_null(p);
    assert_int_equal(dp_otlp_push_export(p, NULL), DP_EXPORTER_ERROR);
    assert_int_equal(dp_otlp_push_export(NULL, NULL), DP_EXPORTER_ERROR);
    assert_int_equal(dp_otlp_push_retry_after(NULL), 0);
    dp_otlp_push_flush(NULL);
    dp_otlp_push_flush(p); /* nothing pending: no call */
    dp_otlp_push_destroy(p);
    dp_otlp_push_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_push_profile_becomes_log_record),
        cmocka_unit_test(test_otlp_push_alert_severity_and_attributes),
        cmocka_unit_test(test_otlp_push_profile_metrics_content),
        cmocka_unit_test(test_otlp_push_retry_sends_nothing_twice),
        cmocka_unit_test(test_otlp_push_flush_sends_pending_series),
        cmocka_unit_test(test_otlp_push_gzip_on_the_wire),
        cmocka_unit_test(test_otlp_push_headers_arrive_as_metadata),
        cmocka_unit_test(test_otlp_push_status_codes_map_to_retry_or_error),
        cmocka_unit_test(test_otlp_push_retry_info_is_honoured),
        cmocka_unit_test(test_otlp_push_partial_success_is_ok),
        cmocka_unit_test(test_otlp_push_deadline_exceeded_is_retry),
        cmocka_unit_test(test_otlp_push_destination_down_is_retry),
        cmocka_unit_test(test_otlp_push_create_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
