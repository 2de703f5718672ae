/*
 * otlp_push_internal.h - what exporter/otlp_push.c shares with its two
 * encoders: otlp_logs.c (a record as an ExportLogsServiceRequest) and
 * otlp_metrics.c (cumulative per-DAG metric state and its
 * ExportMetricsServiceRequest). Nothing outside the otlp exporter and its
 * unit tests includes this.
 *
 * Metric state: each finished profile adds its
 * observations here (run wall time and cost histograms, token sums by model
 * and type, node execution-time histograms, bottleneck counts); the state is
 * cumulative since the series was first seen, and a series is "dirty" until
 * a collector has accepted a point carrying its latest value. Packing turns
 * dirty series into one ExportMetricsServiceRequest; settling after the call
 * clears them (accepted, or rejected for good) or keeps them for the next
 * export (retryable failure). Because every point is cumulative, a lost or
 * dropped request loses no counts: the next accepted point carries them.
 *
 * Metric names, units and attributes are listed in otlp_push.h. One owner
 * thread; no locks.
 */
#ifndef DP_EXPORTER_OTLP_PUSH_INTERNAL_H
#define DP_EXPORTER_OTLP_PUSH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter.h"
#include "otlp_push.h"
#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Resource and scope every dagprof OTLP request carries. */
#define DP__OTLP_SERVICE_NAME "dagprof"
#define DP__OTLP_SCOPE_NAME "dagprof"
#ifndef DP_VERSION
#define DP_VERSION "0.1.0"
#endif

/* Serializes the ExportLogsServiceRequest carrying r as one LogRecord (see
 * otlp_push.h for its fields), observed at observed_ns. Returns a malloc'd
 * buffer of *out_len bytes that the caller frees, or NULL on ENOMEM. r is
 * only read; r->json need not be NUL-terminated. O(r->json_len). */
uint8_t *dp__otlp_log_pack(const dp_record *r, uint64_t observed_ns,
                           size_t *out_len);

typedef struct dp__otlp_metrics dp__otlp_metrics;

/* Creates empty state that keeps at most max_series labelled series; past
 * that, new series fold into one overflow series per metric carrying only
 * the attribute otel.metric.overflow=true (the OpenTelemetry SDK rule for
 * cardinality limits). NULL on ENOMEM. */
dp__otlp_metrics *dp__otlp_metrics_create(size_t max_series);
/* Frees everything. Accepts NULL. */
void dp__otlp_metrics_destroy(dp__otlp_metrics *m);

/* Adds the observations of one finished profile at wall-clock time now_ns
 * (start time of any series it creates) and marks every series it touches
 * dirty. p is only read. Returns 0 or DP_ENOMEM (state is then unchanged
 * for the series that could not be created). O(nodes + calls +
 * bottlenecks). */
int dp__otlp_metrics_add(dp__otlp_metrics *m, const dp_profile *p,
                         uint64_t now_ns);

/* Number of dirty series. */
size_t dp__otlp_metrics_dirty(const dp__otlp_metrics *m);

/* Packs up to max_points dirty series, in the order they were created,
 * into one serialized ExportMetricsServiceRequest with time_unix_nano
 * now_ns, and marks them in flight. On success *out is a malloc'd buffer
 * of *out_len bytes that the caller owns (free()). Returns the number of
 * points packed (0: nothing dirty, *out NULL) or DP_ENOMEM. Call
 * dp__otlp_metrics_settle() before the next add or pack. O(series). */
int dp__otlp_metrics_pack(dp__otlp_metrics *m, size_t max_points,
                          uint64_t now_ns, uint8_t **out, size_t *out_len);

/* Ends the in-flight pack: delivered != 0 clears the dirty mark of every
 * series in it (accepted, or rejected for good); 0 keeps them dirty so the
 * next pack sends their then-current values. */
void dp__otlp_metrics_settle(dp__otlp_metrics *m, int delivered);

/* otlp_push_tls.c: true for an "https://" endpoint. */
bool dp__otlp_push_is_https(const char *endpoint);
/* The channel credentials for cfg (see otlp_push.h): TLS for https://,
 * plaintext otherwise; NULL with a message naming the key and file. */
struct grpc_channel_credentials *
dp__otlp_push_credentials(const dp_otlp_push_config *cfg, char *err,
                          size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_OTLP_PUSH_INTERNAL_H */
