/*
 * config.h - dagprof's configuration: one table of keys (type, default as
 * text, where it is stored, description) read by one loader from a YAML
 * file (--config), DAGPROF_* environment variables and command-line flags,
 * with precedence flag > environment > file > default. The same table
 * prints --help, --print-config and docs/configuration.md, so none of them
 * can drift from what the program does.
 *
 * Value syntax: durations 500ms, 2s, 5m, 1h, 30d (units ns us ms s m h d, may
 * be combined: 1m30s); sizes 512KiB, 4MiB, 20MB, or plain bytes; counts as
 * whole numbers; fractions and factors as decimals; endpoints host:port
 * (an empty endpoint disables that receiver); file modes as octal digits
 * (0600).
 */
#ifndef DP_CONFIG_H
#define DP_CONFIG_H

#include <stdio.h>

#include "analysis_config.h"
#include "exporters_config.h"
#include "processor.h"

typedef struct dp_config {
    char *grpc_endpoint;
    uint64_t grpc_max_message;
    uint64_t grpc_max_concurrent_streams;
    uint64_t grpc_handshake_timeout_ns;
    uint64_t grpc_max_connection_idle_ns; /* 0: off */
    uint64_t grpc_max_connection_age_ns;  /* 0: off */
    uint64_t grpc_max_connection_age_grace_ns;
    uint64_t grpc_keepalive_time_ns; /* 0: off */
    uint64_t grpc_keepalive_timeout_ns;
    uint64_t grpc_keepalive_min_ping_ns;
    char *grpc_tls_cert_file, *grpc_tls_key_file, *grpc_tls_client_ca_file;
    char *http_endpoint;
    uint64_t http_max_body;
    uint64_t http_max_connections;
    uint64_t http_max_connections_per_peer;
    uint64_t http_header_timeout_ns;
    uint64_t http_idle_timeout_ns;
    char *http_tls_cert_file, *http_tls_key_file, *http_tls_client_ca_file;
    char *auth_tokens_file;
    bool auth_receivers, auth_metrics, auth_ui, auth_healthz;
    uint64_t grace_ns;
    uint64_t idle_timeout_ns;
    uint64_t late_window_ns;
    uint64_t max_traces;
    uint64_t max_spans_per_trace;
    uint64_t inference_tolerance_ns;
    bool profile_all_traces;
    uint64_t shards;
    uint64_t queue_spans;
    uint64_t queue_bytes;  /* per shard; 0: spans only */
    uint64_t max_rss;      /* 0: automatic (see config.c) */
    uint64_t trim_idle_ns; /* 0: never */
    uint64_t mem_check_ns;
    char *output;
    uint32_t output_mode; /* permissions of an output file it creates */
    char *pricing_file;
    char *log_level;
    char *log_format;
    uint64_t shutdown_timeout_ns;
    char *durability; /* "none" or "wal" */
    char *wal_dir;
    uint64_t wal_sync_interval_ns;
    uint64_t wal_sync_requests;
    uint64_t wal_segment_size;
    dp_analysis_config analysis;
    bool history_enabled;
    bool ui_enabled; /* GET /ui/ on the OTLP/HTTP listener (with history) */
    char *history_dir;
    char *history_path;            /* "": history_dir/history.db */
    uint64_t history_retention_ns; /* 0: forever */
    uint64_t history_max_size;     /* 0: no limit */
    uint64_t history_flush_interval_ns;
    uint64_t history_batch_size;
    uint64_t history_queue_size;
    int history_priority; /* enum dp_history_priority (history.h) */
    double regression_min_change;
    double regression_p_value;
    uint64_t regression_min_runs;
    dp_exporters_config exporters; /* the exporters: and alerts: sections */
} dp_config;

/* Fills every key with its default (parsed from the table's text). */
void dp_config_init(dp_config *cfg);
/* Frees the strings, maps, lists and the alert rules. */
void dp_config_fini(dp_config *cfg);

/* Sets one single-value key by its dotted name from text (a key inside a
 * block turns the block on). Returns 0, or DP_EINVAL / DP_ENOENT with a
 * message naming the key, the value and the expected form. */
int dp_config_set(dp_config *cfg, const char *key, const char *value, char *err,
                  size_t err_len);

/* Loads a YAML file: nested mappings flatten to dotted keys, blocks,
 * maps and lists as the table says (config_keys.h). An unknown key or a
 * bad value is an error naming the key and file:line. */
int dp_config_load_yaml(dp_config *cfg, const char *path, char *err,
                        size_t err_len);
/* Applies DAGPROF_<KEY> variables (key upper-cased, '.' -> '_'). */
int dp_config_load_env(dp_config *cfg, char *err, size_t err_len);

/* Reads --config FILE, then the environment, then every key's flag
 * (--flag VALUE or --flag=VALUE) from argv[1..argc). Arguments that are not
 * configuration are moved, in order, to argv[1..]; returns the new argc
 * (>= 1), or -1 with a message in err. */
int dp_config_from_args(dp_config *cfg, int argc, char **argv, char *err,
                        size_t err_len);

/* Same, consuming only the flags of keys that start with one of prefixes
 * (NULL-terminated; NULL: all keys), for commands whose own options share
 * a name with a key (report's --output). */
int dp_config_from_args_only(dp_config *cfg, int argc, char **argv,
                             const char *const *prefixes, char *err,
                             size_t err_len);

/* The effective configuration as YAML that dp_config_load_yaml re-reads. */
void dp_config_print(const dp_config *cfg, FILE *out);
/* One entry per key: flag, environment variable, default, description. */
void dp_config_help(FILE *out);
/* The same as a Markdown table (docs/configuration.md). */
void dp_config_markdown(FILE *out);

#endif /* DP_CONFIG_H */
