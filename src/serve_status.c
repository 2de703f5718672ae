/*
 * serve_status.c - what `dagprof serve` says about itself: GET /healthz
 * (JSON: pipeline, receivers, memory, exporters, write-ahead log) and the
 * self counters the prometheus exporter adds to GET /metrics.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "alerts.h"
#include "buf.h"
#include "commands.h"
#include "config.h"
#include "exporters.h"
#include "exporters_config.h"
#include "history_cli.h"
#include "memguard.h"
#include "otlp_grpc.h"
#include "otlp_http.h"
#include "pipeline.h"
#include "process_metrics.h"
#include "processor.h"
#include "serve_internal.h"
#include "ui.h"
#include "wal.h"

#ifndef DP_VERSION
#define DP_VERSION "0.1.0" /* as `dagprof --version` (src/main.c) */
#endif

/* Bytes waiting in the exporters' queues. */
static uint64_t exporter_queued_bytes(struct serve *sv)
{
    uint64_t n = 0;
    for (size_t i = 0; i < dp_exporters_count(sv->exporters); i++) {
        dp_exporter_stats es;
        dp_exporters_stats_get(sv->exporters, i, &es);
        n += es.queued_bytes;
    }
    return n;
}

/* The prometheus exporter's view of dagprof's own counters. */
void dp__serve_self_stats(void *user, dp_prom_self_stats *out)
{
    struct serve *sv = user;
    dp_pipeline_stats st;
    dp_pipeline_stats_get(sv->pipeline, &st);
    out->spans_received = st.spans_received;
    out->spans_rejected = st.spans_rejected;
    out->spans_late = st.spans_late;
    out->traces_in_memory = st.traces_in_memory;
    out->traces_evicted = st.traces_evicted;
    out->traces_not_agent = st.traces_not_agent;
    out->profiles_emitted = st.profiles_emitted;
    dp_memguard_stats ms;
    dp_memguard_stats_get(&sv->mem, &ms);
    out->has_memory = true;
    out->rss_bytes = ms.rss;
    out->rss_peak_bytes = ms.rss_peak;
    out->max_rss_bytes = ms.max_rss;
    out->memory_pressure = ms.pressure;
    out->memory_trims = ms.trims;
    out->queued_bytes = st.queued_bytes;
    out->refused_queue_spans = st.refused_queue_spans;
    out->refused_queue_bytes = st.refused_queue_bytes;
    out->refused_memory = st.refused_memory;
    size_t n = dp_exporters_count(sv->exporters);
    out->n_exporters = n < DP_PROM_MAX_EXPORTERS ? n : DP_PROM_MAX_EXPORTERS;
    for (size_t i = 0; i < out->n_exporters; i++)
        dp_exporters_stats_get(sv->exporters, i, &out->exporters[i]);
}

int dp__serve_metrics(void *user, char **body, size_t *body_len,
                      const char **content_type)
{
    struct serve *sv = user;
    dp_buf b;
    dp_buf_init(&b);
    if (dp_prometheus_render(sv->prom, &b) != 0 ||
        dp_process_metrics_render(&b, DP_VERSION) != 0 || !b.data) {
        dp_buf_fini(&b);
        return 500;
    }
    *body = b.data; /* malloc'd by dp_buf; the server frees it */
    *body_len = b.len;
    *content_type = DP_PROMETHEUS_CONTENT_TYPE;
    return 200;
}

/* GET /healthz: the pipeline's counters, then what the exporters dropped:
 * profiles_dropped and alerts_dropped summed over exporters, and per
 * exporter its queue, deliveries and drops by reason and kind. */
int dp__serve_healthz(void *user, char **body, size_t *body_len,
                      const char **content_type)
{
    struct serve *sv = user;
    dp_pipeline_stats st;
    dp_pipeline_stats_get(sv->pipeline, &st);
    dp_http_stats hs; /* the listener answering this request */
    dp_http_server_stats(sv->http, &hs);
    size_t n = dp_exporters_count(sv->exporters);
    dp_exporter_stats *es = calloc(n ? n : 1, sizeof(*es));
    if (!es)
        return 500;
    uint64_t profiles_dropped = 0, alerts_dropped = 0;
    for (size_t i = 0; i < n; i++) {
        dp_exporters_stats_get(sv->exporters, i, &es[i]);
        profiles_dropped += es[i].dropped_profiles;
        alerts_dropped += es[i].dropped_alerts;
    }
    dp_buf b;
    dp_buf_init(&b);
    dp_buf_printf(
        &b,
        "{\"status\":\"ok\",\"spans_received\":%llu,\"spans_rejected\":%llu,"
        "\"spans_queued\":%llu,\"spans_duplicate\":%llu,\"late_spans\":%llu,"
        "\"traces_in_memory\":%llu,\"traces_evicted\":%llu,"
        "\"traces_not_agent\":%llu,"
        "\"profiles_emitted\":%llu,\"requests\":%llu,"
        "\"requests_refused\":%llu,\"requests_invalid\":%llu,"
        "\"profiles_dropped\":%llu,\"alerts_dropped\":%llu,"
        "\"connections_open\":%llu,\"connections_accepted\":%llu,"
        "\"connections_refused\":%llu,\"connections_evicted\":%llu,"
        "\"connections_closed_idle\":%llu,\"connections_timed_out\":%llu,"
        "\"requests_unknown_route\":%llu,",
        (unsigned long long)st.spans_received,
        (unsigned long long)st.spans_rejected,
        (unsigned long long)st.spans_queued,
        (unsigned long long)st.spans_duplicate,
        (unsigned long long)st.spans_late,
        (unsigned long long)st.traces_in_memory,
        (unsigned long long)st.traces_evicted,
        (unsigned long long)st.traces_not_agent,
        (unsigned long long)st.profiles_emitted,
        (unsigned long long)st.requests,
        (unsigned long long)st.requests_refused,
        (unsigned long long)st.requests_invalid,
        (unsigned long long)profiles_dropped,
        (unsigned long long)alerts_dropped,
        (unsigned long long)hs.connections_open,
        (unsigned long long)hs.connections_accepted,
        (unsigned long long)hs.connections_refused,
        (unsigned long long)hs.connections_evicted,
        (unsigned long long)hs.connections_closed_idle,
        (unsigned long long)hs.connections_timed_out,
        (unsigned long long)hs.requests_unknown_route);
    dp_memguard_stats ms;
    dp_memguard_stats_get(&sv->mem, &ms);
    dp_buf_printf(
        &b,
        "\"memory\":{\"rss_bytes\":%llu,\"rss_peak_bytes\":%llu,"
        "\"max_rss_bytes\":%llu,\"pressure\":%s,"
        "\"pressure_episodes\":%llu,\"queued_bytes\":%llu,"
        "\"queue_bytes_limit\":%llu,\"pooled_bytes\":%llu,"
        "\"exporter_queued_bytes\":%llu,\"trims\":%llu,"
        "\"trimmed_bytes\":%llu},"
        "\"refusals\":{\"queue_spans\":%llu,\"queue_bytes\":%llu,"
        "\"memory\":%llu},\"exporters\":{",
        (unsigned long long)ms.rss, (unsigned long long)ms.rss_peak,
        (unsigned long long)ms.max_rss, ms.pressure ? "true" : "false",
        (unsigned long long)ms.pressure_episodes,
        (unsigned long long)st.queued_bytes,
        (unsigned long long)sv->cfg.queue_bytes,
        (unsigned long long)st.pooled_bytes,
        (unsigned long long)exporter_queued_bytes(sv),
        (unsigned long long)ms.trims, (unsigned long long)ms.trimmed_bytes,
        (unsigned long long)st.refused_queue_spans,
        (unsigned long long)st.refused_queue_bytes,
        (unsigned long long)st.refused_memory);
    for (size_t i = 0; i < n; i++) {
        const dp_exporter_stats *x = &es[i];
        dp_buf_puts(&b, i ? "," : "");
        dp_buf_json_string(&b, x->name);
        dp_buf_printf(
            &b,
            ":{\"on_full\":\"%s\",\"queued\":%llu,\"queued_bytes\":%llu,"
            "\"exported\":%llu,"
            "\"retries\":%llu,\"dropped_profiles\":%llu,"
            "\"dropped_spans\":%llu,\"dropped_alerts\":%llu,"
            "\"dropped_queue_full\":%llu,\"dropped_refused\":%llu,"
            "\"dropped_retries_exhausted\":%llu,\"dropped_shutdown\":%llu,"
            "\"waiting\":%llu,\"blocked_seconds\":%.3f}",
            dp_on_full_name(x->on_full), (unsigned long long)x->queued,
            (unsigned long long)x->queued_bytes,
            (unsigned long long)x->exported, (unsigned long long)x->retries,
            (unsigned long long)x->dropped_profiles,
            (unsigned long long)x->dropped_spans,
            (unsigned long long)x->dropped_alerts,
            (unsigned long long)x->dropped_full,
            (unsigned long long)x->dropped_error,
            (unsigned long long)x->dropped_retries,
            (unsigned long long)x->dropped_shutdown,
            (unsigned long long)x->waiting, (double)x->blocked_ns / 1e9);
    }
    free(es);
    dp_buf_puts(&b, "}");
    if (sv->wal) {
        dp_wal_stats ws;
        dp_wal_stats_get(sv->wal, &ws);
        dp_buf_printf(
            &b,
            ",\"wal\":{\"segments\":%llu,\"bytes\":%llu,"
            "\"records\":%llu,\"syncs\":%llu,\"deleted\":%llu,"
            "\"replayed\":%llu,\"truncated\":%llu,"
            "\"errors\":%llu}",
            (unsigned long long)ws.segments, (unsigned long long)ws.bytes,
            (unsigned long long)ws.records, (unsigned long long)ws.syncs,
            (unsigned long long)ws.deleted, (unsigned long long)ws.replayed,
            (unsigned long long)ws.truncated, (unsigned long long)ws.errors);
    }
    if (dp_buf_puts(&b, "}\n") != 0 || !b.data) {
        dp_buf_fini(&b);
        return 500;
    }
    *body = b.data; /* malloc'd by dp_buf; the server frees it */
    *body_len = b.len;
    *content_type = "application/json";
    return 200;
}
