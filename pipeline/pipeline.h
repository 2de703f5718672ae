/*
 * pipeline.h - the hand-off between receivers and processor shards.
 *
 * Receivers call dp_pipeline_export (a dp_export_fn) on their own threads.
 * It decodes the request, copies each span's wanted fields into a batch per
 * shard (shard = trace-id hash), and hands the batches over, all or
 * nothing: when a shard's queue is full (queue_spans or queue_bytes), or
 * memory pressure is on (the RSS ceiling, pipeline/memguard.c), the whole
 * request is refused as UNAVAILABLE (the client retries) and nothing is
 * queued. Spans that would
 * take their trace past processor.max_spans_per_trace are not queued and are
 * refused in the reply (partial success; see pipeline.c). With a
 * write-ahead log (durability: wal) the request is appended to it first
 * and the reply waits until it is on disk. Each shard is a
 * thread with its own libuv loop that owns its traces and timers; it adds
 * the spans to its processor, fires grace / idle timeouts, and hands every
 * finished profile to the sink. No lock is taken per span.
 */
#ifndef DP_PIPELINE_H
#define DP_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "processor.h"
#include "receiver.h"
#include "wal.h"

typedef struct dp_pipeline dp_pipeline;

/* Receives each profile on a shard thread and takes ownership of it.
 * Called from several shard threads at once: must be thread-safe. */
typedef void (*dp_pipeline_sink)(dp_profile *profile, void *user);

/* With a write-ahead log: as dp_pipeline_sink, plus the hold the profile's
 * trace has on the log (NULL when it has none), which the callee must
 * release with dp_wal_hold_release once every exporter is done with the
 * profile; the log keeps the trace's requests until then. */
typedef void (*dp_pipeline_held_sink)(dp_profile *profile, dp_wal_hold *hold,
                                      void *user);

typedef struct dp_pipeline_config {
    dp_processor_config processor; /* max_traces is split across shards */
    size_t shards;                 /* >= 1 */
    size_t queue_spans;            /* per shard, before backpressure */
    /* Optional (NULL: durability none; not owned, outlives the pipeline):
     * every request with spans is appended before they are queued, and the
     * reply waits until it is on disk (see wal.h). */
    dp_wal *wal;
    /* Optional: replaces the sink when set (the sink may then be NULL). */
    dp_pipeline_held_sink held_sink;
    size_t queue_bytes; /* per shard, heap bytes of queued batches; 0: none */
} dp_pipeline_config;

typedef struct dp_pipeline_stats {
    uint64_t requests;            /* export requests handled */
    uint64_t requests_refused;    /* UNAVAILABLE: any reason, sum of below
                                     plus shutdown and out of memory */
    uint64_t refused_queue_spans; /* a shard queue at queue_spans */
    uint64_t refused_queue_bytes; /* a shard queue at queue_bytes */
    uint64_t refused_memory;      /* memory pressure (RSS ceiling) */
    bool memory_pressure;         /* refusing for memory now */
    uint64_t queued_bytes;        /* heap bytes of the queued batches */
    uint64_t pooled_bytes;        /* emptied batches kept for reuse */
    uint64_t requests_invalid;    /* undecodable */
    uint64_t spans_received; /* spans in decoded requests (incl. rejected) */
    uint64_t spans_rejected; /* refused with partial success, or later by
                                a shard (span limit) */
    uint64_t spans_queued;   /* handed over, not yet processed */
    uint64_t spans_duplicate;
    uint64_t spans_late;
    uint64_t traces_in_memory;
    uint64_t traces_evicted;
    uint64_t traces_not_agent; /* finalized without a profile */
    uint64_t profiles_emitted;
} dp_pipeline_stats;

dp_pipeline *dp_pipeline_create(const dp_pipeline_config *cfg,
                                dp_pipeline_sink sink, void *user);
int dp_pipeline_start(dp_pipeline *p);
/* The receivers' handler; user is the dp_pipeline. Thread-safe. With the
 * write-ahead log it waits for the request's sync, unless the caller set
 * result->can_defer: then result->defer_ticket is left for
 * dp_pipeline_export_poll (a dp_export_poll_fn), so one thread can have
 * many requests waiting on one group commit (the HTTP receiver). */
void dp_pipeline_export(void *user, int format, const uint8_t *body, size_t len,
                        dp_export_result *result);
bool dp_pipeline_export_poll(void *user, dp_export_result *result);
/* A dp_wal_replay_fn (user is the dp_pipeline): queues the spans of a
 * request read back from segment seg of the log, after dp_pipeline_start
 * and before the receivers open. Spans of traces the log names as done are
 * skipped; full shard queues are waited for. Always returns 0. */
int dp_pipeline_replay(void *user, uint64_t seg, int format,
                       const uint8_t *body, size_t len);
void dp_pipeline_stats_get(dp_pipeline *p, dp_pipeline_stats *out);
/* While on, every request is refused as UNAVAILABLE before it is decoded
 * (the RSS ceiling's backpressure). Thread-safe. */
void dp_pipeline_set_memory_pressure(dp_pipeline *p, bool on);
/* The bytes that may be admitted until the next call (the RSS ceiling's
 * headroom, dp_memguard_headroom). Each request reserves an estimate
 * before decoding and settles to the bytes it queued; with none left it
 * is refused as under pressure. Never called: no budget. Thread-safe. */
void dp_pipeline_set_memory_budget(dp_pipeline *p, int64_t bytes);
/* Frees the emptied batches the shards keep for reuse (when idle, or
 * short of memory); returns the bytes freed. Thread-safe. */
size_t dp_pipeline_release_memory(dp_pipeline *p);
/* Refuses new requests, processes every queued span, finalizes every trace
 * in memory (rootless ones as `shutdown`) and joins the shard threads. */
void dp_pipeline_shutdown(dp_pipeline *p);
void dp_pipeline_destroy(dp_pipeline *p);

#endif /* DP_PIPELINE_H */
