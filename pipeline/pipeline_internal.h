/*
 * pipeline_internal.h - the shards and the pipeline behind pipeline.h, for
 * pipeline.c, pipeline_stats.c (statistics and the memory controls) and
 * their tests (test_pipeline.c reads queues, pools and span counts of a
 * shard). Nothing else includes this.
 */
#ifndef DP_PIPELINE_INTERNAL_H
#define DP_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "batch.h"
#include "pipeline.h"
#include "span_counts.h"
#include "wal.h"

struct shard {
    struct dp_pipeline *pl;
    size_t index;
    pthread_t thread;
    bool started;
    uv_loop_t loop;
    uv_async_t wake;
    int tfd; /* timerfd (CLOCK_MONOTONIC): the next deadline, to the ns */
    uv_poll_t tpoll; /* watches tfd on the shard loop */
    dp_processor *proc;

    pthread_mutex_t lock; /* guards queue_head/tail, stopping, stats, counts */
    dp_batch *queue_head, *queue_tail;
    struct span_counts counts; /* spans queued per live trace */
    bool stopping;
    atomic_size_t queued;
    atomic_size_t queued_bytes; /* dp_batch_bytes of the queued batches */
    dp_batch_pool pool;         /* emptied batches for this shard's requests */
    dp_processor_stats stats;   /* snapshot after each round */
    /* Shard thread only: the WAL hold of the trace just finalized, until
     * its profile claims it (or the processor call ends without one). */
    uint64_t fin_seg;
    uint8_t fin_id[16];
};

struct dp_pipeline {
    dp_pipeline_config cfg;
    dp_pipeline_sink sink;
    void *user;
    struct shard *shards;
    size_t n_shards;
    atomic_bool refusing;
    atomic_bool memory_pressure;    /* set by the RSS ceiling */
    atomic_bool mem_budget_on;      /* dp_pipeline_set_memory_budget */
    atomic_int_fast64_t mem_budget; /* bytes admissible until the next */
    atomic_uint_fast64_t requests, requests_refused, requests_invalid;
    atomic_uint_fast64_t refused_spans_full, refused_bytes_full;
    atomic_uint_fast64_t refused_memory;
    atomic_uint_fast64_t spans_received, spans_rejected;
    atomic_uint_fast64_t request_seq;
    uint32_t max_spans; /* processor.max_spans_per_trace, at least 1 */
    dp_wal *wal;        /* NULL: durability none */
};

/* The shard that owns trace_id (FNV-1a of the id, modulo the shards). */
size_t dp__pipeline_shard_of(const dp_pipeline *p, const uint8_t *trace_id);

#endif /* DP_PIPELINE_INTERNAL_H */
