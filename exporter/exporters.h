/*
 * exporters.h - the exporter pipeline: every enabled exporter behind its own
 * bounded queue and thread.
 *
 * The serve command submits each finished profile (and each alert) as a
 * dp_record; dp_exporters_submit() hands a reference to every exporter that
 * wants that kind of record. Each exporter's thread takes records off its
 * queue in order and calls its dp_exporter_ops.export(). The retry policy
 * lives here, in one place: RETRY is retried with exponential backoff and
 * jitter (or after the delay the destination asked for, when the exporter
 * offers a retry-after hook) up to max_attempts and max_elapsed; ERROR
 * drops the record.
 *
 * A queue is full at queue_size records or queue_bytes bytes (each record
 * counted by dp_record_bytes: profile, arena and JSON line), whichever
 * comes first. A full queue does what the exporter's on_full says:
 * DP_ON_FULL_DROP drops its oldest record (a dead destination never stalls the
 * submitter), and DP_ON_FULL_BLOCK makes the submitter wait for room
 * (backpressure: in serve, the shard thread stops taking spans and the
 * receivers answer UNAVAILABLE / 503 once its queue fills). Every drop is
 * counted per exporter, reason and kind of record (with the spans of dropped
 * profiles), never silent.
 *
 * Shutdown has two steps. dp_exporters_drain_begin() fixes the deadline:
 * from then on no queue is full, for either policy: each takes the whole
 * burst of profiles finalized at SIGTERM (a queue grows past queue_size
 * and queue_bytes; the records are shared, each exporter holds a
 * reference), so a submit never waits and never pushes a record out, and
 * each exporter drains its own queue at its own pace. A slow or dead
 * destination delays nobody else: the others finish, and it loses only
 * what it has not delivered by the deadline. Past the deadline nothing
 * waits: what is submitted then, what is still queued and what is still
 * being retried is dropped and counted as lost at shutdown (per exporter,
 * logged with its name). dp_exporters_shutdown() then lets the queues
 * drain until that deadline, flushes and joins; an exporter thread stuck
 * inside export() (a pipe nobody reads, a destination that never answers
 * within its timeout) is waited for one more second, then left behind.
 * An exporter that batches (the history writer) is told the deadline
 * (ops->deadline) so it can deliver in smaller pieces as it nears, and is
 * asked at the end what it had taken but not delivered (ops->unsaved):
 * those records move from exported to lost at shutdown, so a batch still
 * open when its thread is left behind is counted, never silently lost.
 * A record is freed, and its on_free hook runs (the write-ahead log's
 * segments wait for it), only when every exporter has delivered it or
 * dropped and counted it.
 */
#ifndef DP_EXPORTERS_H
#define DP_EXPORTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter.h"

typedef struct dp_exporters dp_exporters;

enum dp_on_full {
    DP_ON_FULL_DROP = 0, /* drop the oldest queued record */
    DP_ON_FULL_BLOCK = 1 /* the submitter waits for room */
};

/* "drop" / "block". */
const char *dp_on_full_name(int on_full);
/* Parses "drop" or "block"; returns the value or DP_EINVAL. */
int dp_on_full_parse(const char *s);

typedef struct dp_exporter_policy {
    size_t queue_size;           /* 1024 records; at least 1 */
    uint64_t queue_bytes;        /* 64 MiB of records (dp_record_bytes);
                                    0: records only. One record always fits */
    uint32_t max_attempts;       /* 5 export calls per record; 1 = no retry */
    uint64_t max_elapsed_ns;     /* 60 s from the first attempt; 0 = none */
    uint64_t initial_backoff_ns; /* 200 ms before the second attempt */
    uint64_t max_backoff_ns;     /* 10 s cap; each delay doubles up to it */
    double jitter;               /* 0.2: delay x a random factor in [1-j,1+j] */
    int on_full;                 /* enum dp_on_full; DP_ON_FULL_DROP */
} dp_exporter_policy;

/* Fills p with the defaults above. */
void dp_exporter_policy_init(dp_exporter_policy *p);

/* Optional per-exporter hook, called on the exporter's thread right after
 * its export() returned RETRY: the delay the destination asked for (HTTP
 * Retry-After, OTLP RetryInfo) in nanoseconds, or 0 for none. A hint
 * replaces the computed backoff for that wait (no jitter); max_attempts and
 * max_elapsed still apply. */
typedef uint64_t (*dp_exporter_retry_after_fn)(void *ctx);

typedef struct dp_exporter_stats {
    const char *name;          /* ops->name; lives as long as the pipeline */
    int on_full;               /* enum dp_on_full */
    uint64_t queued;           /* records waiting now (not the one in flight) */
    uint64_t queued_bytes;     /* their dp_record_bytes */
    uint64_t exported;         /* export() returned OK */
    uint64_t retries;          /* export() calls after a RETRY */
    uint64_t dropped;          /* sum of the four reasons below */
    uint64_t dropped_full;     /* oldest record pushed out of a full queue */
    uint64_t dropped_error;    /* export() returned ERROR */
    uint64_t dropped_retries;  /* still RETRY after max_attempts/max_elapsed */
    uint64_t dropped_shutdown; /* lost at shutdown: no room or still queued
                                  or retrying at the deadline, submitted
                                  after shutdown, or in flight when left
                                  behind */
    uint64_t dropped_profiles; /* `dropped` split by kind: profiles ... */
    uint64_t dropped_alerts;   /* ... and alerts */
    uint64_t dropped_spans;    /* spans in the dropped profiles */
    uint64_t shutdown_profiles; /* profiles among dropped_shutdown */
    uint64_t shutdown_spans;    /* spans in them */
    uint64_t blocked_ns;        /* time submitters waited for room */
    uint64_t waiting;           /* submitters waiting for room now */
    uint64_t last_done_ns;      /* dp_exporters_now_ns() when a record was last
                                   exported or dropped; 0: none yet */
    bool left_behind; /* its thread was still inside export() or flush()
                         a second past the shutdown deadline */
} dp_exporter_stats;

/* An empty pipeline. NULL on ENOMEM. */
dp_exporters *dp_exporters_create(void);

/* Adds an exporter before dp_exporters_start(). Takes ownership of ctx:
 * ops->destroy(ctx) runs in dp_exporters_destroy(), or at once when adding
 * fails. ops must outlive the pipeline (a static table). policy NULL means
 * the defaults; retry_after may be NULL. Returns 0, DP_EINVAL (started,
 * NULL ops or export) or DP_ENOMEM. */
int dp_exporters_add(dp_exporters *e, const dp_exporter_ops *ops, void *ctx,
                     const dp_exporter_policy *policy,
                     dp_exporter_retry_after_fn retry_after);

/* Starts one thread per exporter. Returns 0, DP_EINVAL (already started)
 * or DP_EIO (a thread could not be created; those started are stopped). */
int dp_exporters_start(dp_exporters *e);

/* Queues a reference to r on every exporter whose ops->kinds has r's kind;
 * the caller keeps its own reference. Never waits on a destination, only
 * for room in a full queue of an on_full block exporter while running
 * (until room is made, or the drain begins); a drop exporter's full queue
 * drops its oldest record. While draining it never waits (the queues grow;
 * only if that allocation fails does it wait for room, at most until the
 * deadline). Past the drain deadline, or after dp_exporters_shutdown(), r
 * is counted as lost at shutdown. Thread-safe. Returns the number of
 * exporters that queued r. */
size_t dp_exporters_submit(dp_exporters *e, dp_record *r);

/* Starts the shutdown: deadline_ns (dp_exporters_now_ns() clock) bounds
 * everything that follows. Submitters blocked on a full queue are woken
 * and queue their record; from now on every queue takes what is submitted
 * without waiting or dropping (see the top of this file) until the
 * deadline, and retries are cut short at it. Thread-safe; an earlier
 * deadline replaces a later one. */
void dp_exporters_drain_begin(dp_exporters *e, uint64_t deadline_ns);

/* Lets every exporter drain its queue until now + timeout_ns (or the
 * earlier drain deadline), then drops (and counts) whatever is still
 * queued, waits for each thread to finish its export call in flight (at
 * most one more second: a thread still busy then is left behind, its
 * record counted as lost, its context never freed), calls each ops->flush
 * on its own thread and joins. Submits after this are dropped and
 * counted. Idempotent. */
void dp_exporters_shutdown(dp_exporters *e, uint64_t timeout_ns);

/* Shuts down (10 s) if needed, destroys every exporter context (except
 * those left behind whose thread is still running: the process exit
 * reclaims them) and frees the pipeline. Accepts NULL. */
void dp_exporters_destroy(dp_exporters *e);

/* The number of exporters added. */
size_t dp_exporters_count(const dp_exporters *e);

/* A consistent snapshot of exporter i's counters (i < count). Thread-safe. */
void dp_exporters_stats_get(dp_exporters *e, size_t i, dp_exporter_stats *out);

/* Monotonic clock in nanoseconds, the one the pipeline measures with. */
uint64_t dp_exporters_now_ns(void);

/* ------------------------------------------------------------------------ */
/* The built-in exporters. Each create returns the ctx to pass, with its     */
/* ops, to dp_exporters_add(); NULL with a message in err on failure.        */

/* jsonl.c: one JSON object per line to stdout or a file, with size-based
 * rotation. Profiles and (with dp_jsonl_ops) alerts, each line whole. */
typedef struct dp_jsonl_config {
    const char *path;   /* NULL, "" or "-": stdout (never rotated) */
    uint64_t max_size;  /* bytes; rotate before a line would pass it; 0 off */
    uint32_t max_files; /* rotated files kept: path.1 (newest) .. path.N */
    uint32_t mode;      /* permissions of a file it creates; 0: 0600 */
} dp_jsonl_config;

extern const dp_exporter_ops dp_jsonl_ops;         /* profiles and alerts */
extern const dp_exporter_ops dp_jsonl_profile_ops; /* profiles only */
/* Opens (appends to) the file at once so a bad path fails at start-up. A
 * symbolic link at path is refused (O_NOFOLLOW), then and at rotation. */
void *dp_jsonl_create(const dp_jsonl_config *cfg, char *err, size_t err_len);

/* prometheus.c: aggregates profiles into Prometheus series and renders the
 * text exposition format for GET /metrics (see prometheus.c for the
 * metric names). dagprof's own counters come from a stats callback called
 * at each render. Each label's distinct values (DAGs; nodes and models
 * within a DAG) are bounded by max_series: beyond it they are folded into
 * "_other" and counted in dagprof_series_overflow_total{label}. */
#define DP_PROM_MAX_EXPORTERS 8

typedef struct dp_prom_self_stats {
    uint64_t spans_received, spans_rejected, spans_late;
    uint64_t traces_in_memory, traces_evicted, traces_not_agent;
    uint64_t profiles_emitted;
    bool has_memory; /* the memory figures below are filled */
    uint64_t rss_bytes, rss_peak_bytes, max_rss_bytes;
    bool memory_pressure;
    uint64_t memory_trims;
    uint64_t queued_bytes; /* shard queues */
    uint64_t refused_queue_spans, refused_queue_bytes, refused_memory;
    size_t n_exporters; /* <= DP_PROM_MAX_EXPORTERS */
    dp_exporter_stats exporters[DP_PROM_MAX_EXPORTERS];
} dp_prom_self_stats;

/* Fills out (arrives zeroed); called on the rendering thread. */
typedef void (*dp_prom_stats_fn)(void *user, dp_prom_self_stats *out);

typedef struct dp_prometheus_config {
    size_t max_series;      /* 100 when 0 */
    dp_prom_stats_fn stats; /* may be NULL: no self metrics */
    void *stats_user;
} dp_prometheus_config;

typedef struct dp_prometheus dp_prometheus;
struct dp_buf;

extern const dp_exporter_ops dp_prometheus_ops; /* profiles only */
dp_prometheus *dp_prometheus_create(const dp_prometheus_config *cfg, char *err,
                                    size_t err_len);
/* Appends the whole exposition (text format 0.0.4) to out. Thread-safe;
 * O(series). Returns 0 or DP_ENOMEM. */
int dp_prometheus_render(dp_prometheus *p, struct dp_buf *out);
#define DP_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* webhook.c: POSTs each alert record's JSON to a URL with libcurl.
 * 2xx is OK; 408, 429, 5xx and connection errors or timeouts are RETRY
 * (a Retry-After header in seconds becomes the retry hint); any other
 * status is ERROR. Redirects are not followed. */
typedef struct dp_webhook_config {
    const char *url;           /* http:// or https:// */
    uint64_t timeout_ns;       /* whole request; 5 s when 0 */
    const char **header_names; /* extra request headers (e.g. auth) */
    const char **header_values;
    size_t n_headers;
} dp_webhook_config;

extern const dp_exporter_ops dp_webhook_ops; /* alerts only */
void *dp_webhook_create(const dp_webhook_config *cfg, char *err,
                        size_t err_len);
/* The retry-after hook for dp_exporters_add(). */
uint64_t dp_webhook_retry_after(void *ctx);

#endif /* DP_EXPORTERS_H */
