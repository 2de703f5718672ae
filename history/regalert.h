/*
 * regalert.h - the `regression` alert condition evaluated over the history
 * store (exporter/alerts.h declares the rule). DESIGN.md "History, trends,
 * regressions".
 *
 * Off the ingest path: `dagprof serve` starts one watcher thread when a
 * rule has condition: regression. Every interval it reads the store
 * through the query interface (history.h, so SQLite and ClickHouse alike):
 * for each rule, the versions of its DAG; when the newest version and the
 * one before it both have at least min_runs runs and either count changed
 * since the last look, the two sides are compared as `dagprof regressions`
 * does (regress.c). Each row (the run, each node) whose time or cost
 * verdict is "regression" fires once per (rule, dag, version, node): an
 * ALERT record handed to emit, delivered by the exporter pipeline like
 * every alert (jsonl, otlp, webhook).
 *
 * "Already fired" is kept in memory and, with state_path, appended to a
 * file of one JSON array per line (["rule","dag","version","node"|null]),
 * read back at start, so a restart does not fire again. On a store that
 * several dagprof instances share (ClickHouse) a key not in that set is
 * first claimed in the store (dp_history_claim, clickhouse_alerts.c): of
 * the shards that see the regression, exactly one fires it; the others
 * record it as fired.
 */
#ifndef DP_REGALERT_H
#define DP_REGALERT_H

#include <stddef.h>
#include <stdint.h>

#include "alerts.h"
#include "history_stats.h"

typedef struct dp_regalert_config {
    const char *store;          /* URI for dp_history_open */
    const char *state_path;     /* the fired keys; NULL: memory only */
    const dp_alerts *alerts;    /* its regression rules; outlives us */
    dp_regress_config defaults; /* the regression.* keys */
    uint64_t interval_ns;       /* 0: no thread (call dp_regalert_check) */
    dp_alert_emit_fn emit;
    void *user;
    uint64_t (*clock_unix_ns)(void); /* alert times; NULL: real clock */
    uint64_t claim_settle_ns;        /* shared store: wait before reading the
                                        claims back; 0: 1 s */
} dp_regalert_config;

typedef struct dp_regalert dp_regalert;

/* Reads the state file (a missing one is empty) and starts the thread when
 * interval_ns > 0. NULL with a message in err. */
dp_regalert *dp_regalert_create(const dp_regalert_config *cfg, char *err,
                                size_t err_len);
/* One pass over every rule, now. Returns the alerts emitted. Not to be
 * called concurrently with itself (the thread holds a lock for it). */
size_t dp_regalert_check(dp_regalert *w);
/* Stops the thread (waiting for a pass under way). Accepts NULL. */
void dp_regalert_destroy(dp_regalert *w);

/* The state file's path for a store: PATH.alerts next to a SQLite file;
 * DIR/regression-alerts for clickhouse:// (DIR: history.dir). malloc'd. */
char *dp_regalert_state_path(const char *store, const char *dir);

#endif /* DP_REGALERT_H */
