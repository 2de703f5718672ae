/*
 * config_keys.c - the configuration key table (config_keys.h): every key
 * of dagprof, the core ones and the `exporters:` and `alerts:` sections,
 * with its type, default, range and description. config.c and
 * config_yaml.c read it, config_print.c prints it.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config_keys.h"

#define OFF(field) offsetof(dp_config, field)
#define A(field) offsetof(dp_config, analysis.field)
#define NOLIM 0, 0
#define MAX_MS_NS 2e15 /* durations handed on as int milliseconds */

#define X(field) offsetof(dp_config, exporters.field)
#define E(field) offsetof(dp_alert_rule_item, field)

_Static_assert(sizeof(size_t) == sizeof(uint64_t),
               "exporter queue_size is read as a K_U64");

/* A YAML-only row (no flag, no variable) of a single value. */
#define ROW(key, type, def, off, min, max, desc)                               \
    {                                                                          \
        key, NULL, type, def, off, min, max, desc, NULL, NULL, NULL            \
    }

/* The queue and retry policy every exporter takes (exporters.h); the
 * defaults are dp_exporter_policy_init's (a unit test holds them equal). */
// clang-format off
#define POLICY(x, full_default)                                               \
    ROW("exporters." #x ".queue_size", K_U64, "1024",                         \
        X(x.policy.queue_size), 1, 1e8, "records waiting for this exporter"), \
    ROW("exporters." #x ".queue_bytes", K_SIZE, "64MiB",                      \
        X(x.policy.queue_bytes), 0, 0,                                       \
        "bytes of records waiting (profile, arena and JSON line); 0: "        \
        "records only"),                                                      \
    {"exporters." #x ".on_full", NULL, K_ENUM, full_default,                  \
     X(x.policy.on_full), 0, 0,                                              \
     "a full queue: block (the submitter waits: backpressure) or drop (its "  \
     "oldest record)", "drop|block", NULL, NULL},                             \
    ROW("exporters." #x ".max_attempts", K_U32, "5",                          \
        X(x.policy.max_attempts), 1, 1e6,                                     \
        "export calls per record (1: no retry)"),                             \
    ROW("exporters." #x ".initial_backoff", K_DUR_U64, "200ms",               \
        X(x.policy.initial_backoff_ns), 0, 0,                                \
        "wait before the second attempt; each wait doubles, with jitter"),    \
    ROW("exporters." #x ".max_backoff", K_DUR_U64, "10s",                     \
        X(x.policy.max_backoff_ns), 0, 0,                                    \
        "longest wait between two attempts"),                                 \
    ROW("exporters." #x ".max_elapsed", K_DUR_U64, "1m",                      \
        X(x.policy.max_elapsed_ns), 0, 0,                                    \
        "give a record up this long after its first attempt (0: never)")
// clang-format on

/* The fields of one `alerts:` item (dp_alert_rule_item). */
static const struct dp__config_key alert_rows[] = {
    {"name", NULL, K_STR, NULL, E(name), NOLIM,
     "the rule's name, unique (required)", NULL, NULL, NULL},
    {"dag", NULL, K_STR, NULL, E(dag), NOLIM,
     "only runs of this DAG (unset: every DAG; required by regression)", NULL,
     NULL, NULL},
    {"condition", NULL, K_STR, NULL, E(condition), NOLIM,
     "FIELD OP VALUE, e.g. cost > 0.50, wall > 30s, node.executionTime > "
     "10s, bottleneck.type == excessive_retries (every field in "
     "exporter/alerts.h); or regression (required)",
     NULL, NULL, NULL},
    {"severity", NULL, K_ENUM, "warning", E(severity), NOLIM,
     "info, warning or critical", "info|warning|critical", NULL, NULL},
    {"window", NULL, K_BLOCK, NULL, E(window), NOLIM,
     "fire when `matches` of the last `of` runs of that DAG matched "
     "(unset: every match fires)",
     NULL, NULL, NULL},
    {"window.matches", NULL, K_U32, NULL, E(window_matches), 1, 64,
     "N of the window, at most of", NULL, NULL, NULL},
    {"window.of", NULL, K_U32, NULL, E(window_of), 1, 64,
     "M of the window: the last M runs", NULL, NULL, NULL},
    {"min_change", NULL, K_STR, NULL, E(min_change), NOLIM,
     "condition regression: a change of at least this fraction of the "
     "baseline p50 (0.1) or percent (10%) (unset: regression.min_change)",
     NULL, NULL, NULL},
    {"p_value", NULL, K_STR, NULL, E(p_value), NOLIM,
     "condition regression: Mann-Whitney U p-value below this, in (0, 1] "
     "(unset: regression.p_value)",
     NULL, NULL, NULL},
    {"min_runs", NULL, K_STR, NULL, E(min_runs), NOLIM,
     "condition regression: runs on each side, at least 2 (unset: "
     "regression.min_runs)",
     NULL, NULL, NULL},
};

static int alert_added(dp_config *cfg, const void *elem, char *err,
                       size_t err_len)
{
    return dp_exporters_config_add_rule(&cfg->exporters, elem, err, err_len);
}

static const struct dp__config_list alert_list = {
    alert_rows,
    sizeof(alert_rows) / sizeof(alert_rows[0]),
    sizeof(dp_alert_rule_item),
    X(rules),
    X(n_rules),
    "name",
    "alert '%s'",
    "rules (- name: ..., condition: ..., severity: ...)",
    alert_added};

/* Keys sharing a dotted prefix stay together: dp_config_print nests them. */
const struct dp__config_key dp__config_keys[] = {
    {"receivers.otlp.grpc.endpoint", "grpc-endpoint", K_ENDPOINT,
     "127.0.0.1:4317", OFF(grpc_endpoint), NOLIM,
     "OTLP/gRPC listen address (empty: off)", NULL, NULL, NULL},
    {"receivers.otlp.grpc.max_message_size", "grpc-max-message-size", K_SIZE,
     "4MiB", OFF(grpc_max_message), 1024, 2147483647.0,
     "largest gRPC Export request, after decompression", NULL, NULL, NULL},
    {"receivers.otlp.grpc.max_concurrent_streams",
     "grpc-max-concurrent-streams", K_U64, "100",
     OFF(grpc_max_concurrent_streams), 1, 1e6,
     "calls open at once on one gRPC connection (HTTP/2 streams)", NULL, NULL,
     NULL},
    {"receivers.otlp.grpc.handshake_timeout", "grpc-handshake-timeout",
     K_DUR_U64, "10s", OFF(grpc_handshake_timeout_ns), 1e8, MAX_MS_NS,
     "a new gRPC connection must finish its HTTP/2 handshake within this", NULL,
     NULL, NULL},
    {"receivers.otlp.grpc.max_connection_idle", "grpc-max-connection-idle",
     K_DUR_U64, "5m", OFF(grpc_max_connection_idle_ns), 0, MAX_MS_NS,
     "GOAWAY to a gRPC connection without calls for this long (0: never)", NULL,
     NULL, NULL},
    {"receivers.otlp.grpc.max_connection_age", "grpc-max-connection-age",
     K_DUR_U64, "30m", OFF(grpc_max_connection_age_ns), 0, MAX_MS_NS,
     "GOAWAY to a gRPC connection this old; clients reconnect (0: never)", NULL,
     NULL, NULL},
    {"receivers.otlp.grpc.max_connection_age_grace",
     "grpc-max-connection-age-grace", K_DUR_U64, "30s",
     OFF(grpc_max_connection_age_grace_ns), 0, MAX_MS_NS,
     "after that GOAWAY, how long calls in flight may take to finish", NULL,
     NULL, NULL},
    {"receivers.otlp.grpc.keepalive_time", "grpc-keepalive-time", K_DUR_U64,
     "2m", OFF(grpc_keepalive_time_ns), 0, MAX_MS_NS,
     "ping a gRPC connection after this long without traffic (0: never)", NULL,
     NULL, NULL},
    {"receivers.otlp.grpc.keepalive_timeout", "grpc-keepalive-timeout",
     K_DUR_U64, "20s", OFF(grpc_keepalive_timeout_ns), 1e6, MAX_MS_NS,
     "close the connection when that ping is not answered within this", NULL,
     NULL, NULL},
    {"receivers.otlp.grpc.keepalive_min_ping_interval",
     "grpc-keepalive-min-ping-interval", K_DUR_U64, "10s",
     OFF(grpc_keepalive_min_ping_ns), 1e6, MAX_MS_NS,
     "clients may ping this often, with or without calls; more often is "
     "answered GOAWAY too_many_pings",
     NULL, NULL, NULL},
    {"receivers.otlp.grpc.tls.cert_file", "grpc-tls-cert-file", K_STR, "",
     OFF(grpc_tls_cert_file), NOLIM,
     "PEM certificate chain: serve OTLP/gRPC over TLS (empty: plaintext); "
     "reloaded on SIGHUP",
     NULL, NULL, NULL},
    {"receivers.otlp.grpc.tls.key_file", "grpc-tls-key-file", K_STR, "",
     OFF(grpc_tls_key_file), NOLIM, "PEM private key of that certificate", NULL,
     NULL, NULL},
    {"receivers.otlp.grpc.tls.client_ca_file", "grpc-tls-client-ca-file", K_STR,
     "", OFF(grpc_tls_client_ca_file), NOLIM,
     "PEM CA: require client certificates signed by it (mTLS)", NULL, NULL,
     NULL},
    {"receivers.otlp.http.endpoint", "http-endpoint", K_ENDPOINT,
     "127.0.0.1:4318", OFF(http_endpoint), NOLIM,
     "OTLP/HTTP listen address, also /healthz (empty: off)", NULL, NULL, NULL},
    {"receivers.otlp.http.max_body_size", "http-max-body-size", K_SIZE, "20MiB",
     OFF(http_max_body), 1024, 4294967295.0,
     "largest HTTP request body, before and after decompression", NULL, NULL,
     NULL},
    {"receivers.otlp.http.max_connections", "http-max-connections", K_U64,
     "1024", OFF(http_max_connections), 1, 1e6,
     "HTTP connections open at once; over it a new connection closes the "
     "oldest idle one, or is refused (503) when none is idle",
     NULL, NULL, NULL},
    {"receivers.otlp.http.max_connections_per_peer",
     "http-max-connections-per-peer", K_U64, "256",
     OFF(http_max_connections_per_peer), 1, 1e6,
     "HTTP connections from one client address (IPv6: one /64); over it "
     "the peer's oldest idle one is closed, or the new one refused",
     NULL, NULL, NULL},
    {"receivers.otlp.http.header_timeout", "http-header-timeout", K_DUR_U64,
     "10s", OFF(http_header_timeout_ns), 1e6, MAX_MS_NS,
     "a request head must arrive within this of its first byte (of the "
     "connection, for its first request): else 408 and close",
     NULL, NULL, NULL},
    {"receivers.otlp.http.idle_timeout", "http-idle-timeout", K_DUR_U64, "30s",
     OFF(http_idle_timeout_ns), 1e6, MAX_MS_NS,
     "close an HTTP connection with no request in progress after this; "
     "also the longest a request body may stall",
     NULL, NULL, NULL},
    {"receivers.otlp.http.tls.cert_file", "http-tls-cert-file", K_STR, "",
     OFF(http_tls_cert_file), NOLIM,
     "PEM certificate chain: serve OTLP/HTTP, /healthz and /metrics over "
     "TLS (empty: plaintext); reloaded on SIGHUP",
     NULL, NULL, NULL},
    {"receivers.otlp.http.tls.key_file", "http-tls-key-file", K_STR, "",
     OFF(http_tls_key_file), NOLIM, "PEM private key of that certificate", NULL,
     NULL, NULL},
    {"receivers.otlp.http.tls.client_ca_file", "http-tls-client-ca-file", K_STR,
     "", OFF(http_tls_client_ca_file), NOLIM,
     "PEM CA: require client certificates signed by it (mTLS)", NULL, NULL,
     NULL},
    {"auth.bearer_tokens_file", "bearer-tokens-file", K_STR, "",
     OFF(auth_tokens_file), NOLIM,
     "file of accepted bearer tokens, one per line (empty: no "
     "authentication); reloaded on SIGHUP",
     NULL, NULL, NULL},
    {"auth.receivers", "auth-receivers", K_BOOL, "true", OFF(auth_receivers),
     NOLIM, "with tokens: OTLP exports (gRPC and POST /v1/traces) need one",
     NULL, NULL, NULL},
    {"auth.metrics", "auth-metrics", K_BOOL, "true", OFF(auth_metrics), NOLIM,
     "with tokens: GET /metrics needs one", NULL, NULL, NULL},
    {"auth.ui", "auth-ui", K_BOOL, "true", OFF(auth_ui), NOLIM,
     "with tokens: GET /ui and below need one", NULL, NULL, NULL},
    {"auth.healthz", "auth-healthz", K_BOOL, "false", OFF(auth_healthz), NOLIM,
     "with tokens: GET /healthz needs one (off: open for probes)", NULL, NULL,
     NULL},
    {"processor.grace", "grace", K_DUR_U64, "2s", OFF(grace_ns), NOLIM,
     "after the root span, emit when no span arrived for this long", NULL, NULL,
     NULL},
    {"processor.idle_timeout", "idle-timeout", K_DUR_U64, "30s",
     OFF(idle_timeout_ns), NOLIM,
     "emit a rootless trace as incomplete after this long without spans", NULL,
     NULL, NULL},
    {"processor.late_window", "late-window", K_DUR_U64, "5m",
     OFF(late_window_ns), NOLIM,
     "remember finalized traces this long: their spans count as late", NULL,
     NULL, NULL},
    {"processor.max_traces", "max-traces", K_U64, "100000", OFF(max_traces), 1,
     1e9,
     "traces held at once; beyond, the least recently active is "
     "emitted as incomplete (evicted)",
     NULL, NULL, NULL},
    {"processor.max_spans_per_trace", "max-spans-per-trace", K_U64, "100000",
     OFF(max_spans_per_trace), 1, 4e9,
     "spans kept per trace; further spans are rejected", NULL, NULL, NULL},
    {"processor.inference_tolerance", "inference-tolerance", K_DUR_U64, "1ms",
     OFF(inference_tolerance_ns), 0, 1e9,
     "clock skew allowed when inferring dependencies from timing (capped "
     "at half the shorter execution)",
     NULL, NULL, NULL},
    {"processor.profile_all_traces", "profile-all-traces", K_BOOL, "false",
     OFF(profile_all_traces), NOLIM,
     "profile traces with no agent span too (else dropped and counted)", NULL,
     NULL, NULL},
    {"processor.shards", "shards", K_U64, "2", OFF(shards), 1, 64,
     "processor threads; traces are split among them by trace id", NULL, NULL,
     NULL},
    {"processor.queue_spans", "queue-spans", K_U64, "1000000", OFF(queue_spans),
     1, 1e10,
     "spans waiting per shard before requests are refused (UNAVAILABLE/503)",
     NULL, NULL, NULL},
    {"processor.queue_bytes", "queue-bytes", K_SIZE, "16MiB", OFF(queue_bytes),
     0, 1e12,
     "heap bytes of spans waiting per shard before requests are refused "
     "(UNAVAILABLE/503); 0: spans only",
     NULL, NULL, NULL},
    {"limits.max_rss", "max-rss", K_SIZE, "0", OFF(max_rss), 0, 1e15,
     "resident memory ceiling: from 90% of it requests are refused "
     "(UNAVAILABLE/503) until RSS falls below 80%; 0: 75% of the cgroup "
     "memory limit or, without one, of physical memory",
     NULL, NULL, NULL},
    {"limits.trim_idle", "trim-idle", K_DUR_U64, "5s", OFF(trim_idle_ns), 0,
     MAX_MS_NS,
     "after this long without a request, free memory is returned to the "
     "system (malloc_trim); 0: never",
     NULL, NULL, NULL},
    {"limits.check_interval", "memory-check-interval", K_DUR_U64, "100ms",
     OFF(mem_check_ns), 1e6, 6e10,
     "how often RSS is read (/proc/self/statm) for max_rss and trim_idle", NULL,
     NULL, NULL},
    {"output", "output", K_STR, "-", OFF(output), NOLIM,
     "where JSON-line profiles go: - for stdout, or a file path (a symbolic "
     "link there is refused)",
     NULL, NULL, NULL},
    {"output_mode", "output-mode", K_MODE, "0600", OFF(output_mode), NOLIM,
     "permissions (octal) of the output file when dagprof creates it, less "
     "the umask; an existing file keeps its own",
     NULL, NULL, NULL},
    {"pricing.file", "pricing", K_STR, "", OFF(pricing_file), NOLIM,
     "extra pricing-table rows (JSON), added to the built-in table", NULL, NULL,
     NULL},
    {"log.level", "log-level", K_LOGLEVEL, "info", OFF(log_level), NOLIM,
     "error, warn, info or debug", NULL, NULL, NULL},
    {"log.format", "log-format", K_LOGFMT, "text", OFF(log_format), NOLIM,
     "text (TIME LEVEL [component] message) or json (one object per line: "
     "time, level, component, msg)",
     NULL, NULL, NULL},
    {"shutdown_timeout", "shutdown-timeout", K_DUR_U64, "10s",
     OFF(shutdown_timeout_ns), NOLIM,
     "on SIGTERM, the time allowed to finish in-flight requests, profile "
     "every trace in memory and deliver the profiles; what is lost past it is "
     "logged as an error and the exit status is 1",
     NULL, NULL, NULL},
    {"history.enabled", "history-enabled", K_BOOL, "true", OFF(history_enabled),
     NOLIM,
     "keep every profile in the history store (runs, show, trends, "
     "regressions read it)",
     NULL, NULL, NULL},
    {"history.dir", "history-dir", K_STR, "dagprof-data", OFF(history_dir),
     NOLIM, "directory of the history store when history.path is empty", NULL,
     NULL, NULL},
    {"history.path", "history-path", K_STR, "", OFF(history_path), NOLIM,
     "the history store: a SQLite file, or clickhouse://host:8123/db (a "
     "ClickHouse server); empty: history.dir/history.db",
     NULL, NULL, NULL},
    {"history.retention", "history-retention", K_DUR_U64, "30d",
     OFF(history_retention_ns), NOLIM,
     "delete runs that started longer ago than this (0: keep them)", NULL, NULL,
     NULL},
    {"history.max_size", "history-max-size", K_SIZE, "1GiB",
     OFF(history_max_size), NOLIM,
     "delete the oldest runs while the store holds more than this (SQLite: "
     "pages in use; ClickHouse: its active parts; 0: no limit)",
     NULL, NULL, NULL},
    {"history.flush_interval", "history-flush-interval", K_DUR_U64, "1s",
     OFF(history_flush_interval_ns), 1e6, MAX_MS_NS,
     "commit stored runs at least this often (readers see them then)", NULL,
     NULL, NULL},
    {"history.batch_size", "history-batch-size", K_U64, "500",
     OFF(history_batch_size), 1, 1e6,
     "commit after this many runs (one transaction per batch)", NULL, NULL,
     NULL},
    {"history.queue_size", "history-queue-size", K_U64, "4096",
     OFF(history_queue_size), 1, 1e7,
     "profiles waiting for the history writer (and at most 16 MiB of "
     "them); a full queue drops the oldest (counted in /healthz), never "
     "slowing ingest",
     NULL, NULL, NULL},
    {"history.priority", "history-priority", K_ENUM, "background",
     OFF(history_priority), NOLIM,
     "CPU priority of the history writer's threads: background (nice 19: "
     "under saturation the receivers get the CPU and the history queue "
     "drops, counted, instead of slowing ingest) or normal",
     "background|normal", NULL, NULL},
    {"regression.min_change", "min-change", K_DOUBLE, "0.1",
     OFF(regression_min_change), 0, 1e6,
     "regressions: a change of at least this fraction of the baseline p50",
     NULL, NULL, NULL},
    {"regression.p_value", "p-value", K_DOUBLE, "0.01", OFF(regression_p_value),
     0, 1, "regressions: Mann-Whitney U two-sided p-value below this", NULL,
     NULL, NULL},
    {"regression.min_runs", "min-runs", K_U64, "20", OFF(regression_min_runs),
     1, 1e9, "regressions: at least this many runs on each side", NULL, NULL,
     NULL},
    {"ui.enabled", "ui-enabled", K_BOOL, "true", OFF(ui_enabled), NOLIM,
     "with history on: the web UI (GET /ui/: runs, a run, a DAG's trends "
     "and regressions) on receivers.otlp.http.endpoint",
     NULL, NULL, NULL},
    {"durability", "durability", K_DURABLE, "none", OFF(durability), NOLIM,
     "none: kill -9 loses the spans in memory; wal: each request is written "
     "to a write-ahead log before it is acknowledged and replayed at start "
     "until its traces are profiled and delivered",
     NULL, NULL, NULL},
    {"wal.dir", "wal-dir", K_STR, "dagprof-data/wal", OFF(wal_dir), NOLIM,
     "directory of the write-ahead log's segment files (created 0700)", NULL,
     NULL, NULL},
    {"wal.sync_interval", "wal-sync-interval", K_DUR_U64, "0",
     OFF(wal_sync_interval_ns), 0, 1e9,
     "group commit: how long the first waiting request waits for others "
     "before fdatasync; 0: at once, and the requests that arrive during a "
     "sync share the next one",
     NULL, NULL, NULL},
    {"wal.sync_requests", "wal-sync-requests", K_U64, "16",
     OFF(wal_sync_requests), 1, 1e6,
     "group commit: fdatasync at once when this many requests wait", NULL, NULL,
     NULL},
    {"wal.segment_size", "wal-segment-size", K_SIZE, "64MiB",
     OFF(wal_segment_size), 65536, 1099511627776.0,
     "a segment file is closed when the next request would take it past "
     "this; closed segments are deleted once their traces are out",
     NULL, NULL, NULL},
    {"analysis.slow_node.factor", "slow-node-factor", K_DOUBLE, "2",
     A(slow_node_factor), 0, 1e6, "slow_node: executionTime > factor x mean",
     NULL, NULL, NULL},
    {"analysis.slow_node.high_factor", "slow-node-high-factor", K_DOUBLE, "4",
     A(slow_node_high_factor), 0, 1e6, "slow_node severity high above", NULL,
     NULL, NULL},
    {"analysis.high_token_usage.factor", "token-factor", K_DOUBLE, "3",
     A(token_factor), 0, 1e6, "high_token_usage: tokens > factor x mean", NULL,
     NULL, NULL},
    {"analysis.high_token_usage.high_factor", "token-high-factor", K_DOUBLE,
     "5", A(token_high_factor), 0, 1e6, "high_token_usage severity high above",
     NULL, NULL, NULL},
    {"analysis.excessive_retries.min", "retries-min", K_U32, "2",
     A(retries_min), 1, 1e6, "excessive_retries: retries at least", NULL, NULL,
     NULL},
    {"analysis.excessive_retries.high", "retries-high", K_U32, "3",
     A(retries_high), 1, 1e6, "excessive_retries severity high at", NULL, NULL,
     NULL},
    {"analysis.tool_latency.threshold", "tool-latency", K_DUR_I64, "1s",
     A(tool_latency_ns), NOLIM, "tool_latency: a tool call longer than", NULL,
     NULL, NULL},
    {"analysis.tool_latency.high", "tool-latency-high", K_DUR_I64, "5s",
     A(tool_latency_high_ns), NOLIM, "tool_latency severity high above", NULL,
     NULL, NULL},
    {"analysis.dependency_wait.factor", "dependency-wait-factor", K_DOUBLE, "1",
     A(dependency_wait_factor), 0, 1e6,
     "dependency_wait: dependencyWait > factor x executionTime", NULL, NULL,
     NULL},
    {"analysis.dependency_wait.high_factor", "dependency-wait-high-factor",
     K_DOUBLE, "2", A(dependency_wait_high_factor), 0, 1e6,
     "dependency_wait severity high above", NULL, NULL, NULL},
    {"analysis.scheduling_delay.min", "scheduling-delay-min", K_DUR_I64,
     "100ms", A(scheduling_delay_min_ns), NOLIM,
     "scheduling_delay: queueDelay above this and the wall fraction", NULL,
     NULL, NULL},
    {"analysis.scheduling_delay.wall_fraction", "scheduling-delay-fraction",
     K_DOUBLE, "0.05", A(scheduling_delay_wall_frac), 0, 1,
     "scheduling_delay: fraction of wall", NULL, NULL, NULL},
    {"analysis.scheduling_delay.high_wall_fraction",
     "scheduling-delay-high-fraction", K_DOUBLE, "0.2",
     A(scheduling_delay_high_frac), 0, 1,
     "scheduling_delay severity high above", NULL, NULL, NULL},
    {"analysis.sequential_bottleneck.wall_fraction", "sequential-fraction",
     K_DOUBLE, "0.2", A(sequential_frac), 0, 1,
     "sequential_bottleneck: executionTime above this fraction of wall", NULL,
     NULL, NULL},
    {"analysis.sequential_bottleneck.high_wall_fraction",
     "sequential-high-fraction", K_DOUBLE, "0.4", A(sequential_high_frac), 0, 1,
     "sequential_bottleneck severity high above", NULL, NULL, NULL},
    {"analysis.parallelize.efficiency_below", "parallelize-below", K_DOUBLE,
     "0.8", A(parallelize_efficiency_below), 0, 1,
     "parallelize: parallelizationEfficiency below", NULL, NULL, NULL},
    {"analysis.model_downgrade.token_share", "downgrade-token-share", K_DOUBLE,
     "0.3", A(downgrade_token_share), 0, 1,
     "model_downgrade: share of the run's tokens above", NULL, NULL, NULL},
    {"analysis.batch_operations.min_calls", "batch-min-calls", K_U32, "3",
     A(batch_min_calls), 2, 1e6, "batch_operations: sequential calls at least",
     NULL, NULL, NULL},
    {"analysis.reduce_context.mean_input_tokens", "reduce-context-mean", K_I64,
     "4000", A(reduce_context_mean_input), 0, 1e12,
     "reduce_context: mean input tokens per LLM call above", NULL, NULL, NULL},
    {"analysis.reduce_context.target_tokens", "reduce-context-target", K_I64,
     "2000", A(reduce_context_target), 0, 1e12,
     "reduce_context: the mean it estimates savings against", NULL, NULL, NULL},
    /* ---- the exporters: section (exporter/exporters_config.h) ---- */
    {"exporters", NULL, K_BLOCK, NULL, X(present), NOLIM,
     "present: profiles and alerts go to the exporters listed here (and to "
     "output when it names a file); absent: JSON lines to output",
     NULL, NULL, NULL},
    {"exporters.jsonl", NULL, K_BLOCK, NULL, X(jsonl.on), NOLIM,
     "the JSON-lines exporter, on when present (jsonl: {} too)", NULL, NULL,
     NULL},
    {"exporters.jsonl.path", NULL, K_STR, "-", X(jsonl.path), NOLIM,
     "file of JSON lines (-: stdout); a symbolic link there is refused", NULL,
     NULL, NULL},
    {"exporters.jsonl.max_size", NULL, K_SIZE, "0", X(jsonl.max_size), NOLIM,
     "rotate before a line would take the file past this (0: never)", NULL,
     NULL, NULL},
    {"exporters.jsonl.max_files", NULL, K_U32, "5", X(jsonl.max_files), 0, 1000,
     "rotated files kept: path.1 (newest) .. path.N", NULL, NULL, NULL},
    {"exporters.jsonl.mode", NULL, K_MODE, "0600", X(jsonl.mode), NOLIM,
     "permissions (octal) of the file when dagprof creates it", NULL, NULL,
     NULL},
    {"exporters.jsonl.alerts", NULL, K_BOOL, "true", X(jsonl.alerts), NOLIM,
     "write alert records too, not only profiles", NULL, NULL, NULL},
    POLICY(jsonl, "block"),
    {"exporters.otlp", NULL, K_BLOCK, NULL, X(otlp.on), NOLIM,
     "the OTLP push exporter (logs per profile and alert, metrics per DAG "
     "over OTLP/gRPC), on when present",
     NULL, NULL, NULL},
    {"exporters.otlp.endpoint", NULL, K_STR, "", X(otlp.endpoint), NOLIM,
     "collector address: host:port or http://host:port (plaintext), "
     "https://host:port (TLS); required",
     NULL, DP_OTEL_ENDPOINT_ENV, NULL},
    {"exporters.otlp.compression", NULL, K_ENUM, "none", X(otlp.compression),
     NOLIM, "none or gzip", "none|gzip", NULL, NULL},
    {"exporters.otlp.timeout", NULL, K_DUR_U64, "10s", X(otlp.timeout_ns),
     NOLIM, "deadline of one export call", NULL, NULL, NULL},
    {"exporters.otlp.headers", NULL, K_MAP, NULL, X(otlp.headers), NOLIM,
     "metadata sent with every call, name: value (e.g. authorization)", NULL,
     DP_OTEL_HEADERS_ENV, NULL},
    {"exporters.otlp.ca_file", NULL, K_STR, "", X(otlp.ca_file), NOLIM,
     "PEM roots that verify an https:// endpoint (empty: gRPC's defaults)",
     NULL, DP_OTEL_CERTIFICATE_ENV, NULL},
    {"exporters.otlp.cert_file", NULL, K_STR, "", X(otlp.cert_file), NOLIM,
     "PEM client certificate for an https:// endpoint (with key_file)", NULL,
     NULL, NULL},
    {"exporters.otlp.key_file", NULL, K_STR, "", X(otlp.key_file), NOLIM,
     "PEM private key of that client certificate", NULL, NULL, NULL},
    POLICY(otlp, "drop"),
    {"exporters.prometheus", NULL, K_BLOCK, NULL, X(prometheus.on), NOLIM,
     "GET /metrics on receivers.otlp.http.endpoint, on when present", NULL,
     NULL, NULL},
    {"exporters.prometheus.max_series", NULL, K_U64, "100",
     X(prometheus.max_series), 1, 1e6,
     "DAG label values kept; the rest are counted as dag=\"_other\"", NULL,
     NULL, NULL},
    POLICY(prometheus, "block"),
    {"exporters.webhook", NULL, K_BLOCK, NULL, X(webhook.on), NOLIM,
     "POST each alert as JSON to url, on when present", NULL, NULL, NULL},
    {"exporters.webhook.url", NULL, K_STR, "", X(webhook.url), NOLIM,
     "where alerts are POSTed (required)", NULL, NULL, NULL},
    {"exporters.webhook.timeout", NULL, K_DUR_U64, "5s", X(webhook.timeout_ns),
     NOLIM, "deadline of one POST", NULL, NULL, NULL},
    {"exporters.webhook.headers", NULL, K_MAP, NULL, X(webhook.headers), NOLIM,
     "HTTP headers sent with every POST, name: value", NULL, NULL, NULL},
    POLICY(webhook, "drop"),
    /* ---- the alerts: section (exporter/alerts.h) ---- */
    {"alerts", NULL, K_LIST, NULL, X(alerts_present), NOLIM,
     "alert rules, evaluated on every profile (regression: over the history "
     "store); fields below",
     NULL, NULL, &alert_list},
};

const size_t dp__config_n_keys =
    sizeof(dp__config_keys) / sizeof(dp__config_keys[0]);
