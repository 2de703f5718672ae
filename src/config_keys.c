/*
 * config_keys.c - the configuration key table (config_keys.h) and what is
 * printed from it alone: --print-config, --help and --help-markdown (the
 * table of docs/configuration.md).
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

/* Keys sharing a dotted prefix stay together: dp_config_print nests them. */
const struct dp__config_key dp__config_keys[] = {
    {"receivers.otlp.grpc.endpoint", "grpc-endpoint", K_ENDPOINT,
     "127.0.0.1:4317", OFF(grpc_endpoint), NOLIM,
     "OTLP/gRPC listen address (empty: off)"},
    {"receivers.otlp.grpc.max_message_size", "grpc-max-message-size", K_SIZE,
     "4MiB", OFF(grpc_max_message), 1024, 2147483647.0,
     "largest gRPC Export request, after decompression"},
    {"receivers.otlp.grpc.max_concurrent_streams",
     "grpc-max-concurrent-streams", K_U64, "100",
     OFF(grpc_max_concurrent_streams), 1, 1e6,
     "calls open at once on one gRPC connection (HTTP/2 streams)"},
    {"receivers.otlp.grpc.handshake_timeout", "grpc-handshake-timeout",
     K_DUR_U64, "10s", OFF(grpc_handshake_timeout_ns), 1e8, MAX_MS_NS,
     "a new gRPC connection must finish its HTTP/2 handshake within this"},
    {"receivers.otlp.grpc.max_connection_idle", "grpc-max-connection-idle",
     K_DUR_U64, "5m", OFF(grpc_max_connection_idle_ns), 0, MAX_MS_NS,
     "GOAWAY to a gRPC connection without calls for this long (0: never)"},
    {"receivers.otlp.grpc.max_connection_age", "grpc-max-connection-age",
     K_DUR_U64, "30m", OFF(grpc_max_connection_age_ns), 0, MAX_MS_NS,
     "GOAWAY to a gRPC connection this old; clients reconnect (0: never)"},
    {"receivers.otlp.grpc.max_connection_age_grace",
     "grpc-max-connection-age-grace", K_DUR_U64, "30s",
     OFF(grpc_max_connection_age_grace_ns), 0, MAX_MS_NS,
     "after that GOAWAY, how long calls in flight may take to finish"},
    {"receivers.otlp.grpc.keepalive_time", "grpc-keepalive-time", K_DUR_U64,
     "2m", OFF(grpc_keepalive_time_ns), 0, MAX_MS_NS,
     "ping a gRPC connection after this long without traffic (0: never)"},
    {"receivers.otlp.grpc.keepalive_timeout", "grpc-keepalive-timeout",
     K_DUR_U64, "20s", OFF(grpc_keepalive_timeout_ns), 1e6, MAX_MS_NS,
     "close the connection when that ping is not answered within this"},
    {"receivers.otlp.grpc.keepalive_min_ping_interval",
     "grpc-keepalive-min-ping-interval", K_DUR_U64, "10s",
     OFF(grpc_keepalive_min_ping_ns), 1e6, MAX_MS_NS,
     "clients may ping this often, with or without calls; more often is "
     "answered GOAWAY too_many_pings"},
    {"receivers.otlp.grpc.tls.cert_file", "grpc-tls-cert-file", K_STR, "",
     OFF(grpc_tls_cert_file), NOLIM,
     "PEM certificate chain: serve OTLP/gRPC over TLS (empty: plaintext); "
     "reloaded on SIGHUP"},
    {"receivers.otlp.grpc.tls.key_file", "grpc-tls-key-file", K_STR, "",
     OFF(grpc_tls_key_file), NOLIM, "PEM private key of that certificate"},
    {"receivers.otlp.grpc.tls.client_ca_file", "grpc-tls-client-ca-file", K_STR,
     "", OFF(grpc_tls_client_ca_file), NOLIM,
     "PEM CA: require client certificates signed by it (mTLS)"},
    {"receivers.otlp.http.endpoint", "http-endpoint", K_ENDPOINT,
     "127.0.0.1:4318", OFF(http_endpoint), NOLIM,
     "OTLP/HTTP listen address, also /healthz (empty: off)"},
    {"receivers.otlp.http.max_body_size", "http-max-body-size", K_SIZE, "20MiB",
     OFF(http_max_body), 1024, 4294967295.0,
     "largest HTTP request body, before and after decompression"},
    {"receivers.otlp.http.max_connections", "http-max-connections", K_U64,
     "1024", OFF(http_max_connections), 1, 1e6,
     "HTTP connections open at once; over it a new connection closes the "
     "oldest idle one, or is refused (503) when none is idle"},
    {"receivers.otlp.http.max_connections_per_peer",
     "http-max-connections-per-peer", K_U64, "256",
     OFF(http_max_connections_per_peer), 1, 1e6,
     "HTTP connections from one client address (IPv6: one /64); over it "
     "the peer's oldest idle one is closed, or the new one refused"},
    {"receivers.otlp.http.header_timeout", "http-header-timeout", K_DUR_U64,
     "10s", OFF(http_header_timeout_ns), 1e6, MAX_MS_NS,
     "a request head must arrive within this of its first byte (of the "
     "connection, for its first request): else 408 and close"},
    {"receivers.otlp.http.idle_timeout", "http-idle-timeout", K_DUR_U64, "30s",
     OFF(http_idle_timeout_ns), 1e6, MAX_MS_NS,
     "close an HTTP connection with no request in progress after this; "
     "also the longest a request body may stall"},
    {"receivers.otlp.http.tls.cert_file", "http-tls-cert-file", K_STR, "",
     OFF(http_tls_cert_file), NOLIM,
     "PEM certificate chain: serve OTLP/HTTP, /healthz and /metrics over "
     "TLS (empty: plaintext); reloaded on SIGHUP"},
    {"receivers.otlp.http.tls.key_file", "http-tls-key-file", K_STR, "",
     OFF(http_tls_key_file), NOLIM, "PEM private key of that certificate"},
    {"receivers.otlp.http.tls.client_ca_file", "http-tls-client-ca-file", K_STR,
     "", OFF(http_tls_client_ca_file), NOLIM,
     "PEM CA: require client certificates signed by it (mTLS)"},
    {"auth.bearer_tokens_file", "bearer-tokens-file", K_STR, "",
     OFF(auth_tokens_file), NOLIM,
     "file of accepted bearer tokens, one per line (empty: no "
     "authentication); reloaded on SIGHUP"},
    {"auth.receivers", "auth-receivers", K_BOOL, "true", OFF(auth_receivers),
     NOLIM, "with tokens: OTLP exports (gRPC and POST /v1/traces) need one"},
    {"auth.metrics", "auth-metrics", K_BOOL, "true", OFF(auth_metrics), NOLIM,
     "with tokens: GET /metrics needs one"},
    {"auth.ui", "auth-ui", K_BOOL, "true", OFF(auth_ui), NOLIM,
     "with tokens: GET /ui and below need one"},
    {"auth.healthz", "auth-healthz", K_BOOL, "false", OFF(auth_healthz), NOLIM,
     "with tokens: GET /healthz needs one (off: open for probes)"},
    {"processor.grace", "grace", K_DUR_U64, "2s", OFF(grace_ns), NOLIM,
     "after the root span, emit when no span arrived for this long"},
    {"processor.idle_timeout", "idle-timeout", K_DUR_U64, "30s",
     OFF(idle_timeout_ns), NOLIM,
     "emit a rootless trace as incomplete after this long without spans"},
    {"processor.late_window", "late-window", K_DUR_U64, "5m",
     OFF(late_window_ns), NOLIM,
     "remember finalized traces this long: their spans count as late"},
    {"processor.max_traces", "max-traces", K_U64, "100000", OFF(max_traces), 1,
     1e9,
     "traces held at once; beyond, the least recently active is "
     "emitted as incomplete (evicted)"},
    {"processor.max_spans_per_trace", "max-spans-per-trace", K_U64, "100000",
     OFF(max_spans_per_trace), 1, 4e9,
     "spans kept per trace; further spans are rejected"},
    {"processor.inference_tolerance", "inference-tolerance", K_DUR_U64, "1ms",
     OFF(inference_tolerance_ns), 0, 1e9,
     "clock skew allowed when inferring dependencies from timing (capped "
     "at half the shorter execution)"},
    {"processor.profile_all_traces", "profile-all-traces", K_BOOL, "false",
     OFF(profile_all_traces), NOLIM,
     "profile traces with no agent span too (else dropped and counted)"},
    {"processor.shards", "shards", K_U64, "2", OFF(shards), 1, 64,
     "processor threads; traces are split among them by trace id"},
    {"processor.queue_spans", "queue-spans", K_U64, "1000000", OFF(queue_spans),
     1, 1e10,
     "spans waiting per shard before requests are refused (UNAVAILABLE/503)"},
    {"processor.queue_bytes", "queue-bytes", K_SIZE, "16MiB", OFF(queue_bytes),
     0, 1e12,
     "heap bytes of spans waiting per shard before requests are refused "
     "(UNAVAILABLE/503); 0: spans only"},
    {"limits.max_rss", "max-rss", K_SIZE, "0", OFF(max_rss), 0, 1e15,
     "resident memory ceiling: from 90% of it requests are refused "
     "(UNAVAILABLE/503) until RSS falls below 80%; 0: 75% of the cgroup "
     "memory limit or, without one, of physical memory"},
    {"limits.trim_idle", "trim-idle", K_DUR_U64, "5s", OFF(trim_idle_ns), 0,
     MAX_MS_NS,
     "after this long without a request, free memory is returned to the "
     "system (malloc_trim); 0: never"},
    {"limits.check_interval", "memory-check-interval", K_DUR_U64, "100ms",
     OFF(mem_check_ns), 1e6, 6e10,
     "how often RSS is read (/proc/self/statm) for max_rss and trim_idle"},
    {"output", "output", K_STR, "-", OFF(output), NOLIM,
     "where JSON-line profiles go: - for stdout, or a file path (a symbolic "
     "link there is refused)"},
    {"output_mode", "output-mode", K_MODE, "0600", OFF(output_mode), NOLIM,
     "permissions (octal) of the output file when dagprof creates it, less "
     "the umask; an existing file keeps its own"},
    {"pricing.file", "pricing", K_STR, "", OFF(pricing_file), NOLIM,
     "extra pricing-table rows (JSON), added to the built-in table"},
    {"log.level", "log-level", K_LOGLEVEL, "info", OFF(log_level), NOLIM,
     "error, warn, info or debug"},
    {"log.format", "log-format", K_LOGFMT, "text", OFF(log_format), NOLIM,
     "text (TIME LEVEL [component] message) or json (one object per line: "
     "time, level, component, msg)"},
    {"shutdown_timeout", "shutdown-timeout", K_DUR_U64, "10s",
     OFF(shutdown_timeout_ns), NOLIM,
     "on SIGTERM, the time allowed to finish in-flight requests, profile "
     "every trace in memory and deliver the profiles; what is lost past it is "
     "logged as an error and the exit status is 1"},
    {"history.enabled", "history-enabled", K_BOOL, "true", OFF(history_enabled),
     NOLIM,
     "keep every profile in the history store (runs, show, trends, "
     "regressions read it)"},
    {"history.dir", "history-dir", K_STR, "dagprof-data", OFF(history_dir),
     NOLIM, "directory of the history store when history.path is empty"},
    {"history.path", "history-path", K_STR, "", OFF(history_path), NOLIM,
     "the history store: a SQLite file, or clickhouse://host:8123/db (a "
     "ClickHouse server); empty: history.dir/history.db"},
    {"history.retention", "history-retention", K_DUR_U64, "30d",
     OFF(history_retention_ns), NOLIM,
     "delete runs that started longer ago than this (0: keep them)"},
    {"history.max_size", "history-max-size", K_SIZE, "1GiB",
     OFF(history_max_size), NOLIM,
     "delete the oldest runs while the store holds more than this (SQLite: "
     "pages in use; ClickHouse: its active parts; 0: no limit)"},
    {"history.flush_interval", "history-flush-interval", K_DUR_U64, "1s",
     OFF(history_flush_interval_ns), 1e6, MAX_MS_NS,
     "commit stored runs at least this often (readers see them then)"},
    {"history.batch_size", "history-batch-size", K_U64, "500",
     OFF(history_batch_size), 1, 1e6,
     "commit after this many runs (one transaction per batch)"},
    {"history.queue_size", "history-queue-size", K_U64, "4096",
     OFF(history_queue_size), 1, 1e7,
     "profiles waiting for the history writer (and at most 16 MiB of "
     "them); a full queue drops the oldest (counted in /healthz), never "
     "slowing ingest"},
    {"regression.min_change", "min-change", K_DOUBLE, "0.1",
     OFF(regression_min_change), 0, 1e6,
     "regressions: a change of at least this fraction of the baseline p50"},
    {"regression.p_value", "p-value", K_DOUBLE, "0.01", OFF(regression_p_value),
     0, 1, "regressions: Mann-Whitney U two-sided p-value below this"},
    {"regression.min_runs", "min-runs", K_U64, "20", OFF(regression_min_runs),
     1, 1e9, "regressions: at least this many runs on each side"},
    {"ui.enabled", "ui-enabled", K_BOOL, "true", OFF(ui_enabled), NOLIM,
     "with history on: the web UI (GET /ui/: runs, a run, a DAG's trends "
     "and regressions) on receivers.otlp.http.endpoint"},
    {"durability", "durability", K_DURABLE, "none", OFF(durability), NOLIM,
     "none: kill -9 loses the spans in memory; wal: each request is written "
     "to a write-ahead log before it is acknowledged and replayed at start "
     "until its traces are profiled and delivered"},
    {"wal.dir", "wal-dir", K_STR, "dagprof-data/wal", OFF(wal_dir), NOLIM,
     "directory of the write-ahead log's segment files (created 0700)"},
    {"wal.sync_interval", "wal-sync-interval", K_DUR_U64, "0",
     OFF(wal_sync_interval_ns), 0, 1e9,
     "group commit: how long the first waiting request waits for others "
     "before fdatasync; 0: at once, and the requests that arrive during a "
     "sync share the next one"},
    {"wal.sync_requests", "wal-sync-requests", K_U64, "16",
     OFF(wal_sync_requests), 1, 1e6,
     "group commit: fdatasync at once when this many requests wait"},
    {"wal.segment_size", "wal-segment-size", K_SIZE, "64MiB",
     OFF(wal_segment_size), 65536, 1099511627776.0,
     "a segment file is closed when the next request would take it past "
     "this; closed segments are deleted once their traces are out"},
    {"analysis.slow_node.factor", "slow-node-factor", K_DOUBLE, "2",
     A(slow_node_factor), 0, 1e6, "slow_node: executionTime > factor x mean"},
    {"analysis.slow_node.high_factor", "slow-node-high-factor", K_DOUBLE, "4",
     A(slow_node_high_factor), 0, 1e6, "slow_node severity high above"},
    {"analysis.high_token_usage.factor", "token-factor", K_DOUBLE, "3",
     A(token_factor), 0, 1e6, "high_token_usage: tokens > factor x mean"},
    {"analysis.high_token_usage.high_factor", "token-high-factor", K_DOUBLE,
     "5", A(token_high_factor), 0, 1e6, "high_token_usage severity high above"},
    {"analysis.excessive_retries.min", "retries-min", K_U32, "2",
     A(retries_min), 1, 1e6, "excessive_retries: retries at least"},
    {"analysis.excessive_retries.high", "retries-high", K_U32, "3",
     A(retries_high), 1, 1e6, "excessive_retries severity high at"},
    {"analysis.tool_latency.threshold", "tool-latency", K_DUR_I64, "1s",
     A(tool_latency_ns), NOLIM, "tool_latency: a tool call longer than"},
    {"analysis.tool_latency.high", "tool-latency-high", K_DUR_I64, "5s",
     A(tool_latency_high_ns), NOLIM, "tool_latency severity high above"},
    {"analysis.dependency_wait.factor", "dependency-wait-factor", K_DOUBLE, "1",
     A(dependency_wait_factor), 0, 1e6,
     "dependency_wait: dependencyWait > factor x executionTime"},
    {"analysis.dependency_wait.high_factor", "dependency-wait-high-factor",
     K_DOUBLE, "2", A(dependency_wait_high_factor), 0, 1e6,
     "dependency_wait severity high above"},
    {"analysis.scheduling_delay.min", "scheduling-delay-min", K_DUR_I64,
     "100ms", A(scheduling_delay_min_ns), NOLIM,
     "scheduling_delay: queueDelay above this and the wall fraction"},
    {"analysis.scheduling_delay.wall_fraction", "scheduling-delay-fraction",
     K_DOUBLE, "0.05", A(scheduling_delay_wall_frac), 0, 1,
     "scheduling_delay: fraction of wall"},
    {"analysis.scheduling_delay.high_wall_fraction",
     "scheduling-delay-high-fraction", K_DOUBLE, "0.2",
     A(scheduling_delay_high_frac), 0, 1,
     "scheduling_delay severity high above"},
    {"analysis.sequential_bottleneck.wall_fraction", "sequential-fraction",
     K_DOUBLE, "0.2", A(sequential_frac), 0, 1,
     "sequential_bottleneck: executionTime above this fraction of wall"},
    {"analysis.sequential_bottleneck.high_wall_fraction",
     "sequential-high-fraction", K_DOUBLE, "0.4", A(sequential_high_frac), 0, 1,
     "sequential_bottleneck severity high above"},
    {"analysis.parallelize.efficiency_below", "parallelize-below", K_DOUBLE,
     "0.8", A(parallelize_efficiency_below), 0, 1,
     "parallelize: parallelizationEfficiency below"},
    {"analysis.model_downgrade.token_share", "downgrade-token-share", K_DOUBLE,
     "0.3", A(downgrade_token_share), 0, 1,
     "model_downgrade: share of the run's tokens above"},
    {"analysis.batch_operations.min_calls", "batch-min-calls", K_U32, "3",
     A(batch_min_calls), 2, 1e6, "batch_operations: sequential calls at least"},
    {"analysis.reduce_context.mean_input_tokens", "reduce-context-mean", K_I64,
     "4000", A(reduce_context_mean_input), 0, 1e12,
     "reduce_context: mean input tokens per LLM call above"},
    {"analysis.reduce_context.target_tokens", "reduce-context-target", K_I64,
     "2000", A(reduce_context_target), 0, 1e12,
     "reduce_context: the mean it estimates savings against"},
};

const size_t dp__config_n_keys =
    sizeof(dp__config_keys) / sizeof(dp__config_keys[0]);

/* ---- YAML scalars ----------------------------------------------------------
 */

/* Decodes the UTF-8 sequence at s[0..len): returns its length and sets
 * *cp, or returns 0 when it is not UTF-8 (a stray or missing continuation
 * byte, an overlong form, a surrogate, above U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n;
    uint32_t c, min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    c = s[0] & (0x7f >> n);
    min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* Writes s[0..len) to out as a double-quoted YAML scalar that
 * dp_config_load_yaml reads back as the same text: '"' and '\\' escaped,
 * and every character YAML refuses or folds when written raw (C0 and C1
 * controls, DEL, the line breaks U+0085, U+2028 and U+2029, U+FEFF,
 * U+FFFE, U+FFFF) written as an escape. A byte that is not UTF-8 (only a
 * flag or the environment can set one) has no YAML spelling: it is written
 * \xXX and so reads back as U+00XX. O(len). */
void dp__config_put_quoted(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len;) {
        const unsigned char *u = (const unsigned char *)s + i;
        uint32_t cp;
        size_t n = utf8_decode(u, len - i, &cp);
        if (n == 0) {
            fprintf(out, "\\x%02x", u[0]);
            n = 1;
        } else if (cp == '"' || cp == '\\') {
            fprintf(out, "\\%c", (char)cp);
        } else if (cp == '\n') {
            fputs("\\n", out);
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            fprintf(out, "\\x%02x", (unsigned)cp);
        } else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
                   cp == 0xfffe || cp == 0xffff) {
            fprintf(out, "\\u%04x", (unsigned)cp);
        } else {
            fwrite(u, 1, n, out);
        }
        i += n;
    }
    fputc('"', out);
}

void dp__config_env_name(const char *key, char *out, size_t len)
{
    size_t o = snprintf(out, len, "DAGPROF_");
    for (const char *p = key; *p && o + 1 < len; p++)
        out[o++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    out[o] = '\0';
}

/* ---- printing ------------------------------------------------------------ */

static void format_duration(uint64_t ns, char *out, size_t len)
{
    static const struct {
        uint64_t ns;
        const char *unit;
    } units[] = {{86400000000000ULL, "d"},
                 {3600000000000ULL, "h"},
                 {60000000000ULL, "m"},
                 {1000000000ULL, "s"},
                 {1000000ULL, "ms"},
                 {1000ULL, "us"},
                 {1ULL, "ns"}};
    if (ns == 0) {
        snprintf(out, len, "0");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ns % units[i].ns == 0) {
            snprintf(out, len, "%llu%s", (unsigned long long)(ns / units[i].ns),
                     units[i].unit);
            return;
        }
}

static void format_size(uint64_t b, char *out, size_t len)
{
    if (b && b % 1073741824ULL == 0)
        snprintf(out, len, "%lluGiB", (unsigned long long)(b / 1073741824ULL));
    else if (b && b % 1048576ULL == 0)
        snprintf(out, len, "%lluMiB", (unsigned long long)(b / 1048576ULL));
    else if (b && b % 1024ULL == 0)
        snprintf(out, len, "%lluKiB", (unsigned long long)(b / 1024ULL));
    else
        snprintf(out, len, "%llu", (unsigned long long)b);
}

/* Writes k's value in cfg as dp_config_load_yaml reads it back. */
void dp__config_print_value(const dp_config *cfg,
                            const struct dp__config_key *k, FILE *out)
{
    const char *base = (const char *)cfg + k->off;
    char v[64];
    switch (k->type) {
    case K_STR:
    case K_ENDPOINT:
    case K_LOGLEVEL:
    case K_LOGFMT:
    case K_DURABLE: {
        const char *s = *(char *const *)base;
        dp__config_put_quoted(out, s ? s : "", s ? strlen(s) : 0);
        return;
    }
    case K_DUR_U64:
        format_duration(*(const uint64_t *)base, v, sizeof(v));
        break;
    case K_DUR_I64:
        format_duration((uint64_t) * (const int64_t *)base, v, sizeof(v));
        break;
    case K_SIZE:
        format_size(*(const uint64_t *)base, v, sizeof(v));
        break;
    case K_U64:
        snprintf(v, sizeof(v), "%llu",
                 (unsigned long long)*(const uint64_t *)base);
        break;
    case K_U32:
        snprintf(v, sizeof(v), "%u", *(const uint32_t *)base);
        break;
    case K_I64:
        snprintf(v, sizeof(v), "%lld", (long long)*(const int64_t *)base);
        break;
    case K_BOOL:
        snprintf(v, sizeof(v), "%s", *(const bool *)base ? "true" : "false");
        break;
    case K_MODE: /* quoted: YAML 1.1 readers take a bare 0600 as a number */
        snprintf(v, sizeof(v), "\"%04o\"", *(const uint32_t *)base);
        break;
    default: /* K_DOUBLE */
        snprintf(v, sizeof(v), "%.15g", *(const double *)base);
        break;
    }
    fputs(v, out);
}

void dp_config_print(const dp_config *cfg, FILE *out)
{
    const char *prev = "";
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        const char *key = dp__config_keys[i].key;
        /* Shared leading components with the previous key. */
        size_t common = 0, depth = 0;
        for (size_t j = 0; key[j] && prev[j] == key[j]; j++)
            if (key[j] == '.') {
                common = j + 1;
                depth++;
            }
        size_t level = depth;
        const char *p = key + common;
        const char *dot;
        while ((dot = strchr(p, '.')) != NULL) {
            fprintf(out, "%*s%.*s:\n", (int)(2 * level), "", (int)(dot - p), p);
            level++;
            p = dot + 1;
        }
        fprintf(out, "%*s%s: ", (int)(2 * level), "", p);
        dp__config_print_value(cfg, &dp__config_keys[i], out);
        fputc('\n', out);
        prev = key;
    }
    if (cfg->sections_yaml)
        fputs(cfg->sections_yaml, out);
}

void dp_config_help(FILE *out)
{
    fputs("configuration keys (YAML key / flag / environment variable):\n",
          out);
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        char env[128];
        dp__config_env_name(dp__config_keys[i].key, env, sizeof(env));
        fprintf(out, "  %s\n      --%s, %s (default: %s%s%s)\n      %s\n",
                dp__config_keys[i].key, dp__config_keys[i].flag, env,
                dp__config_keys[i].def[0] ? "" : "\"", dp__config_keys[i].def,
                dp__config_keys[i].def[0] ? "" : "\"", dp__config_keys[i].desc);
    }
}

void dp_config_markdown(FILE *out)
{
    fputs("| key | flag | environment | default | description |\n"
          "|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        char env[128];
        dp__config_env_name(dp__config_keys[i].key, env, sizeof(env));
        fprintf(out, "| `%s` | `--%s` | `%s` | `%s` | %s |\n",
                dp__config_keys[i].key, dp__config_keys[i].flag, env,
                dp__config_keys[i].def[0] ? dp__config_keys[i].def : "\"\"",
                dp__config_keys[i].desc);
    }
}
