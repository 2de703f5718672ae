/*
 * serve_internal.h - `dagprof serve`'s state, shared by cmd_serve.c (the
 * wiring, startup and shutdown) and serve_status.c (GET /healthz, GET
 * /metrics' self counters). Not for use outside these files.
 */
#ifndef DP_SERVE_INTERNAL_H
#define DP_SERVE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "exporters.h"
#include "exporters_config.h"
#include "memguard.h"
#include "otlp_grpc.h"
#include "otlp_http.h"
#include "pipeline.h"
#include "regalert.h"
#include "ui.h"
#include "wal.h"

struct serve {
    dp_config cfg;
    dp_pricing *pricing;
    dp_exporters *exporters;
    dp_prometheus *prom; /* owned by exporters; NULL when off */
    atomic_ulong record_failures;
    dp_pipeline *pipeline;
    dp_wal *wal; /* durability: wal */
    dp_grpc_server *grpc;
    dp_http_server *http;
    dp_auth *auth; /* NULL: no bearer tokens */
    dp_ui ui;      /* GET /ui/ when ui.enabled and history.enabled */
    char *ui_store;
    dp_regalert *regalert; /* alerts with condition: regression */
    uv_loop_t loop;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t memtimer;
    dp_memguard mem;
    bool mem_started;
    int signal_seen;
};

/* The prometheus exporter's view of dagprof's own counters. */
void dp__serve_self_stats(void *user, dp_prom_self_stats *out);
/* GET /metrics and GET /healthz (dp_http_get_fn; user is the serve). */
int dp__serve_metrics(void *user, char **body, size_t *body_len,
                      const char **content_type);
int dp__serve_healthz(void *user, char **body, size_t *body_len,
                      const char **content_type);

#endif /* DP_SERVE_INTERNAL_H */
