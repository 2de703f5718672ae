/*
 * otlp_push.h - the `otlp` exporter: pushes records to an OpenTelemetry
 * collector over OTLP/gRPC (gRPC C core client): TLS for an https://
 * endpoint (verified against ca_file, or gRPC's default roots; optionally
 * with a client certificate), plaintext for http:// or a bare host:port.
 *
 * Sits at the end of the flow, on the exporter pipeline's thread for
 * `otlp`. Every record becomes one OTLP log record
 * (LogsService/Export); every profile record also updates per-DAG metrics
 * that are sent as cumulative points (MetricsService/Export).
 *
 * Logs. Resource service.name=dagprof, service.version; scope "dagprof".
 *   profile: event_name and attribute event.name = "dag.profile",
 *            severity INFO (9), body = the profile JSON (string), attributes
 *            dag.id and dag.profile.id; trace_id and span_id = the run's
 *            trace and root span, so the log links to the trace;
 *            time_unix_nano = profiledAt, observed_time_unix_nano = send time.
 *   alert:   event_name and event.name = "dag.alert", severity INFO (9) /
 *            WARN (13) / ERROR (17) for info / warning / critical, body = the
 *            alert JSON, attributes dag.alert.rule, dag.alert.severity,
 *            dag.id and dag.trace_id (hex); trace_id / span_id set as above;
 *            time_unix_nano = the alert's time.
 *
 * Metrics. Temporality CUMULATIVE: the exporter keeps the running value of
 * every series (start_time_unix_nano = when the series was first seen) and
 * sends each series whose value changed and has not been accepted yet, so a
 * failed or dropped request loses no counts. At most 10,000 labelled series
 * (DP_OTLP_PUSH_MAX_SERIES); beyond that new series fold into one series
 * per metric with only otel.metric.overflow=true.
 *   dag.run.duration   histogram, s, {dag.id}: run wall time; buckets 0.01,
 *                      0.02, 0.04, ... 81.92 (GenAI semconv durations);
 *                      exemplar = the latest run's trace and root span
 *   dag.run.cost       histogram, USD, {dag.id}: run cost; buckets 0.001,
 *                      0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
 *                      2.5, 5, 10, 25, 50; exemplar as above
 *   dag.tokens         monotonic sum, {token}, {dag.id, gen_ai.response.model
 *                      (absent when unknown), gen_ai.token.type = input |
 *                      output | cache_read | cache_write | reasoning}; input
 *                      includes the cache types, output includes reasoning
 *   dag.node.duration  histogram, s, {dag.id, dag.node.id}: node execution
 *                      time; the same buckets as dag.run.duration
 *   dag.bottlenecks    monotonic sum, {bottleneck}, {dag.id,
 *                      dag.bottleneck.type}: bottlenecks found
 *
 * Errors follow the OTLP specification: CANCELLED, DEADLINE_EXCEEDED,
 * ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and RESOURCE_EXHAUSTED that
 * carries a google.rpc.RetryInfo, are DP_EXPORTER_RETRY (the RetryInfo delay
 * is kept for dp_otlp_push_retry_after()); every other status is
 * DP_EXPORTER_ERROR. An OK reply with partial_success is OK (logged, never
 * retried). A record retried after RETRY does not resend the parts already
 * accepted and never counts its metrics twice.
 */
#ifndef DP_EXPORTER_OTLP_PUSH_H
#define DP_EXPORTER_OTLP_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "exporter.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_OTLP_PUSH_LOGS_METHOD                                               \
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
#define DP_OTLP_PUSH_METRICS_METHOD                                            \
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
#define DP_OTLP_PUSH_DEFAULT_TIMEOUT_NS 10000000000ULL /* 10 s, as OTLP */
#define DP_OTLP_PUSH_MAX_SERIES 10000
#define DP_OTLP_PUSH_MAX_POINTS 1000 /* per metrics request */

typedef struct dp_otlp_push dp_otlp_push;

typedef struct dp_otlp_push_config {
    const char *endpoint;       /* "host:port" or "http://host:port": plaintext;
                                   "https://host:port": TLS */
    int gzip;                   /* non-zero: gzip every request */
    uint64_t timeout_ns;        /* deadline of each request; 0: 10 s */
    const char **header_names;  /* sent as initial metadata on every call */
    const char **header_values; /* (names are lowercased) */
    size_t n_headers;
    const char *ca_file;   /* PEM roots for TLS; NULL/"": gRPC's defaults */
    const char *cert_file; /* PEM client certificate (mTLS), with key_file */
    const char *key_file;
} dp_otlp_push_config;

/* Creates the exporter and its channel (connects lazily, on the first
 * export). cfg is copied. Returns NULL and writes a message into err on a
 * bad endpoint, TLS files given for a plaintext endpoint or unreadable, a
 * certificate without its key, an illegal or reserved header name (grpc-*,
 * content-type, te, host, pseudo-headers) or value, or ENOMEM. */
dp_otlp_push *dp_otlp_push_create(const dp_otlp_push_config *cfg, char *err,
                                  size_t err_len);

/* Sends r (ctx is the dp_otlp_push): one Logs Export and, for a profile,
 * one Metrics Export per DP_OTLP_PUSH_MAX_POINTS dirty series. Blocks the
 * calling thread for at most about timeout_ns per request. r is only read.
 * Returns DP_EXPORTER_OK, DP_EXPORTER_RETRY or DP_EXPORTER_ERROR (see
 * above); NULL arguments are DP_EXPORTER_ERROR. Call from one thread. */
int dp_otlp_push_export(void *ctx, const dp_record *r);

/* The delay the collector asked for (RetryInfo) with the last
 * DP_EXPORTER_RETRY, in nanoseconds; 0 when it named none. Reset by every
 * export. */
uint64_t dp_otlp_push_retry_after(dp_otlp_push *p);

/* Sends the metric series still unsent (after RETRY or dropped records);
 * best effort, bounded by the timeout per request. Call on shutdown after
 * the queue is drained. */
void dp_otlp_push_flush(void *ctx);

/* Closes the channel and frees everything; calls in flight are cancelled.
 * Accepts NULL. */
void dp_otlp_push_destroy(void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_OTLP_PUSH_H */
