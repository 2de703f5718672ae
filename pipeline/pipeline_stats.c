/*
 * pipeline_stats.c - the pipeline's counters (dp_pipeline_stats_get) and
 * the RSS ceiling's controls: pressure, the admission budget, and giving
 * the batch pools back (see pipeline.h).
 */
#include <string.h>

#include "pipeline_internal.h"

void dp_pipeline_stats_get(dp_pipeline *p, dp_pipeline_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->requests = atomic_load(&p->requests);
    out->requests_refused = atomic_load(&p->requests_refused);
    out->requests_invalid = atomic_load(&p->requests_invalid);
    out->spans_received = atomic_load(&p->spans_received);
    out->spans_rejected = atomic_load(&p->spans_rejected);
    out->refused_queue_spans = atomic_load(&p->refused_spans_full);
    out->refused_queue_bytes = atomic_load(&p->refused_bytes_full);
    out->refused_memory = atomic_load(&p->refused_memory);
    out->memory_pressure = atomic_load(&p->memory_pressure);
    for (size_t i = 0; i < p->n_shards; i++) {
        struct shard *s = &p->shards[i];
        out->spans_queued += atomic_load(&s->queued);
        out->queued_bytes += atomic_load(&s->queued_bytes);
        out->pooled_bytes += dp_batch_pool_bytes(&s->pool);
        pthread_mutex_lock(&s->lock);
        out->spans_duplicate += s->stats.spans_duplicate;
        out->spans_late += s->stats.spans_late;
        out->traces_in_memory += s->stats.traces_in_memory;
        out->traces_evicted += s->stats.traces_evicted;
        out->traces_not_agent += s->stats.traces_not_agent;
        out->profiles_emitted += s->stats.profiles_emitted;
        pthread_mutex_unlock(&s->lock);
    }
}

void dp_pipeline_set_memory_pressure(dp_pipeline *p, bool on)
{
    atomic_store(&p->memory_pressure, on);
}

void dp_pipeline_set_memory_budget(dp_pipeline *p, int64_t bytes)
{
    atomic_store(&p->mem_budget, bytes);
    atomic_store(&p->mem_budget_on, true);
}

size_t dp_pipeline_release_memory(dp_pipeline *p)
{
    size_t bytes = 0;
    for (size_t i = 0; i < p->n_shards; i++)
        bytes += dp_batch_pool_release(&p->shards[i].pool);
    return bytes;
}
