/*
 * otlp_push_fixture.h - records and OTLP decoding helpers for the tests of
 * the `otlp` exporter (test_otlp_push.c, test_otlp_metrics.c).
 *
 * struct prec wraps the hand-built code-review profile of profile_fixture.h
 * in a dp_record as dp_record_profile() would (JSON rendered by
 * dp_profile_json_write, trailing newline dropped); alert_record() fills an
 * alert record for that run. The decoders unpack ExportLogsServiceRequest /
 * ExportMetricsServiceRequest with protobuf-c and find metrics and points
 * by name and attributes. Include after <cmocka.h>.
 */
#ifndef DP_OTLP_PUSH_FIXTURE_H
#define DP_OTLP_PUSH_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "exporter.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb-c.h"
#include "processor.h"
#include "profile_fixture.h"
#include "profile_json.h"

#define MS 1000000ULL

/* The fixture's trace and root span ids. */
#define fx_trace                                                               \
    ((const uint8_t[16]){0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, \
                         0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36})
#define fx_root                                                                \
    ((const uint8_t[8]){0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7})
struct prec {
    dp_fixture f;
    dp_record r;
    dp_buf json;
};

/* A profile record as dp_record_profile() builds it, around a fixture
 * (which must not reach dp_profile_free). */
static inline void prec_init(struct prec *pr)
{
    memset(pr, 0, sizeof(*pr));
    dp_fixture_code_review(&pr->f);
    dp_buf_init(&pr->json);
}

static inline dp_record *prec_record(struct prec *pr)
{
    dp_buf_reset(&pr->json);
    assert_int_equal(dp_profile_json_write(&pr->json, &pr->f.p), 0);
    pr->json.data[--pr->json.len] = '\0'; /* drop the '\n' */
    dp_record *r = &pr->r;
    memset(r, 0, sizeof(*r));
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_PROFILE;
    r->profile = &pr->f.p;
    r->json = pr->json.data;
    r->json_len = pr->json.len;
    memcpy(r->trace_id, pr->f.p.trace_id, 16);
    memcpy(r->trace_id_hex, pr->f.p.trace_id_hex, 33);
    memcpy(r->root_span_id, pr->f.p.root_span_id, 8);
    r->time_unix_ns = pr->f.p.profiled_at_unix_ns;
    return r;
}

static inline void prec_fini(struct prec *pr)
{
    dp_buf_fini(&pr->json);
}

static inline void alert_record(dp_record *r, int severity, const char *json)
{
    memset(r, 0, sizeof(*r));
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_ALERT;
    r->severity = severity;
    r->rule = (char *)"costly-run";
    r->dag_id = (char *)"code-review-dag";
    r->json = (char *)json;
    r->json_len = strlen(json);
    memcpy(r->trace_id, fx_trace, 16);
    strcpy(r->trace_id_hex, "4bf92f3577b34da6a3ce929d0e0e4736");
    memcpy(r->root_span_id, fx_root, 8);
    r->time_unix_ns = DP_FX_START_UNIX_NS + 61000000000ULL;
}

static inline const char *
attr_str(Opentelemetry__Proto__Common__V1__KeyValue **kv, size_t n,
         const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i]->key, key) == 0 && kv[i]->value &&
            kv[i]->value->value_case ==
                OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE)
            return kv[i]->value->string_value;
    return NULL;
}

typedef Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest
    logs_req;
typedef Opentelemetry__Proto__Collector__Metrics__V1__ExportMetricsServiceRequest
    metrics_req;
typedef Opentelemetry__Proto__Logs__V1__LogRecord log_record;
typedef Opentelemetry__Proto__Metrics__V1__Metric metric_t;
typedef Opentelemetry__Proto__Metrics__V1__HistogramDataPoint hist_point;
typedef Opentelemetry__Proto__Metrics__V1__NumberDataPoint num_point;

static inline logs_req *decode_logs(const uint8_t *body, size_t len)
{
    logs_req *req =
        opentelemetry__proto__collector__logs__v1__export_logs_service_request__unpack(
            NULL, len, body);
    assert_non_null(req);
    assert_int_equal(req->n_resource_logs, 1);
    assert_non_null(req->resource_logs[0]->resource);
    assert_string_equal(attr_str(req->resource_logs[0]->resource->attributes,
                                 req->resource_logs[0]->resource->n_attributes,
                                 "service.name"),
                        "dagprof");
    assert_int_equal(req->resource_logs[0]->n_scope_logs, 1);
    assert_int_equal(req->resource_logs[0]->scope_logs[0]->n_log_records, 1);
    return req;
}

static inline log_record *the_log(logs_req *req)
{
    return req->resource_logs[0]->scope_logs[0]->log_records[0];
}

static inline void free_logs(logs_req *req)
{
    opentelemetry__proto__collector__logs__v1__export_logs_service_request__free_unpacked(
        req, NULL);
}

static inline metrics_req *decode_metrics(const uint8_t *body, size_t len)
{
    metrics_req *req =
        opentelemetry__proto__collector__metrics__v1__export_metrics_service_request__unpack(
            NULL, len, body);
    assert_non_null(req);
    assert_int_equal(req->n_resource_metrics, 1);
    assert_int_equal(req->resource_metrics[0]->n_scope_metrics, 1);
    return req;
}

static inline void free_metrics(metrics_req *req)
{
    opentelemetry__proto__collector__metrics__v1__export_metrics_service_request__free_unpacked(
        req, NULL);
}

static inline metric_t *find_metric(metrics_req *req, const char *name)
{
    Opentelemetry__Proto__Metrics__V1__ScopeMetrics *sm =
        req->resource_metrics[0]->scope_metrics[0];
    for (size_t i = 0; i < sm->n_metrics; i++)
        if (strcmp(sm->metrics[i]->name, name) == 0)
            return sm->metrics[i];
    return NULL;
}

/* The histogram point of metric name whose attribute key2 is value2 (key2
 * NULL: the only attribute is dag.id = dag). */
static inline hist_point *find_hist(metrics_req *req, const char *name,
                                    const char *dag, const char *key2,
                                    const char *value2)
{
    metric_t *m = find_metric(req, name);
    assert_non_null(m);
    assert_int_equal(m->data_case,
                     OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_HISTOGRAM);
    assert_int_equal(
        m->histogram->aggregation_temporality,
        OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (size_t i = 0; i < m->histogram->n_data_points; i++) {
        hist_point *hp = m->histogram->data_points[i];
        const char *d = attr_str(hp->attributes, hp->n_attributes, "dag.id");
        if (!d || strcmp(d, dag) != 0)
            continue;
        if (!key2 && hp->n_attributes == 1)
            return hp;
        const char *v =
            key2 ? attr_str(hp->attributes, hp->n_attributes, key2) : NULL;
        if (v && strcmp(v, value2) == 0)
            return hp;
    }
    return NULL;
}

/* The value of the sum point of metric name with dag.id = dag, key2 =
 * value2 (value2 NULL: key2 absent) and key3 = value3; -1 when absent. */
static inline int64_t sum_value(metrics_req *req, const char *name,
                                const char *dag, const char *key2,
                                const char *value2, const char *key3,
                                const char *value3)
{
    metric_t *m = find_metric(req, name);
    if (!m)
        return -1;
    assert_int_equal(m->data_case,
                     OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_SUM);
    assert_true(m->sum->is_monotonic);
    assert_int_equal(
        m->sum->aggregation_temporality,
        OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (size_t i = 0; i < m->sum->n_data_points; i++) {
        num_point *np = m->sum->data_points[i];
        const char *d = attr_str(np->attributes, np->n_attributes, "dag.id");
        const char *v2 = attr_str(np->attributes, np->n_attributes, key2);
        const char *v3 =
            key3 ? attr_str(np->attributes, np->n_attributes, key3) : NULL;
        if (!d || strcmp(d, dag) != 0)
            continue;
        if (value2 ? !v2 || strcmp(v2, value2) != 0 : v2 != NULL)
            continue;
        if (key3 && (!v3 || strcmp(v3, value3) != 0))
            continue;
        assert_int_equal(
            np->value_case,
            OPENTELEMETRY__PROTO__METRICS__V1__NUMBER_DATA_POINT__VALUE_AS_INT);
        return np->as_int;
    }
    return -1;
}

static inline int64_t tokens(metrics_req *req, const char *model,
                             const char *type)
{
    return sum_value(req, "dag.tokens", "code-review-dag",
                     "gen_ai.response.model", model, "gen_ai.token.type", type);
}

static inline uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void check_duration_bounds(const hist_point *hp)
{
    static const double b[14] = {0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
    assert_int_equal(hp->n_explicit_bounds, 14);
    for (int i = 0; i < 14; i++)
        assert_true(hp->explicit_bounds[i] == b[i]);
    assert_int_equal(hp->n_bucket_counts, 15);
}

/* Asserts bucket_counts has count c at index i and 0 elsewhere, except at
 * index j (count cj; j < 0: none). */
static inline void check_buckets(const hist_point *hp, int i, uint64_t c, int j,
                                 uint64_t cj)
{
    for (size_t k = 0; k < hp->n_bucket_counts; k++) {
        uint64_t want = (int)k == i ? c : (int)k == j ? cj : 0;
        if (hp->bucket_counts[k] != want)
            fail_msg("bucket %zu: %llu, want %llu", k,
                     (unsigned long long)hp->bucket_counts[k],
                     (unsigned long long)want);
    }
}

#endif /* DP_OTLP_PUSH_FIXTURE_H */
