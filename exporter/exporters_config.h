/*
 * exporters_config.h - the `exporters:` and `alerts:` sections of the YAML
 * configuration, and building the exporter pipeline from them.
 *
 * The keys of both sections are rows of the one configuration table
 * (src/config_keys.c), read by its loader like every other key: this
 * struct is where they land (dp_config.exporters), so --help, --print-config
 * and docs/configuration.md list them with the rest. Shape:
 *
 *   exporters:
 *     jsonl: { path: profiles.jsonl, max_size: 100MB, max_files: 5,
 *              mode: "0600" }
 *     otlp: { endpoint: "127.0.0.1:4317", compression: gzip, timeout: 5s,
 *             headers: { authorization: "Bearer ..." } }
 *           # TLS: endpoint "https://collector:4317", ca_file (PEM roots;
 *           # default gRPC's), cert_file + key_file (client certificate).
 *           # Unset endpoint, headers, ca_file: OTEL_EXPORTER_OTLP_ENDPOINT,
 *           # OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_CERTIFICATE.
 *     prometheus: { max_series: 100 }   # GET /metrics on the HTTP listener
 *     webhook: { url: "http://127.0.0.1:9000/alerts", timeout: 5s,
 *                headers: { ... } }
 *   alerts:
 *     - name: costly-run
 *       dag: code-review-dag          # optional
 *       condition: cost > 0.50        # see exporter/alerts.h
 *       severity: warning             # info | warning | critical
 *       window: { matches: 3, of: 5 } # optional
 *
 * An exporter is on when its mapping appears (even empty). Every exporter
 * also takes queue_size, queue_bytes, on_full (block | drop: what a full
 * queue does; block for jsonl and prometheus, drop for otlp and webhook by
 * default), max_attempts, initial_backoff, max_backoff and max_elapsed
 * (the pipeline's retry policy). With no `exporters:` section, profiles go
 * to jsonl at the `output` key's destination, as before.
 */
#ifndef DP_EXPORTERS_CONFIG_H
#define DP_EXPORTERS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts.h"
#include "exporters.h"

/* The variables that stand in for otlp keys left unset, as the OTel SDKs
 * read them. */
#define DP_OTEL_ENDPOINT_ENV "OTEL_EXPORTER_OTLP_ENDPOINT"
#define DP_OTEL_HEADERS_ENV "OTEL_EXPORTER_OTLP_HEADERS"
#define DP_OTEL_CERTIFICATE_ENV "OTEL_EXPORTER_OTLP_CERTIFICATE"

/* Names to text in the order written (HTTP headers). */
typedef struct dp_str_map {
    char **names, **values;
    size_t n;
} dp_str_map;

/* otlp's compression, in the order of the key's choices. */
enum { DP_COMPRESSION_NONE = 0, DP_COMPRESSION_GZIP = 1 };

/* One `alerts:` item as written; strings NULL when not given. */
typedef struct dp_alert_rule_item {
    char *name, *dag, *condition;
    int severity;                          /* enum dp_alert_severity */
    bool window;                           /* a window: mapping was given */
    uint32_t window_matches, window_of;    /* 0: not given */
    char *min_change, *p_value, *min_runs; /* condition regression */
} dp_alert_rule_item;

typedef struct dp_exporters_config {
    bool present; /* an `exporters:` section was read */
    struct {
        bool on;
        char *path; /* "-": stdout */
        uint64_t max_size;
        uint32_t max_files;
        uint32_t mode; /* of a file it creates; 0600 */
        bool alerts;
        dp_exporter_policy policy;
    } jsonl;
    struct {
        bool on;
        char *endpoint;
        char *ca_file, *cert_file, *key_file; /* TLS (https:// endpoint) */
        int compression;                      /* DP_COMPRESSION_* */
        uint64_t timeout_ns;
        dp_str_map headers;
        dp_exporter_policy policy;
    } otlp;
    struct {
        bool on;
        uint64_t max_series;
        dp_exporter_policy policy;
    } prometheus;
    struct {
        bool on;
        char *url;
        uint64_t timeout_ns;
        dp_str_map headers;
        dp_exporter_policy policy;
    } webhook;
    bool alerts_present;       /* an `alerts:` section was read */
    dp_alert_rule_item *rules; /* as written, for --print-config */
    size_t n_rules;
    dp_alerts *alerts; /* the rules parsed; NULL while there are none */
} dp_exporters_config;

/* Sets what the configuration table does not describe (the retry jitter);
 * the table's defaults are applied after it. */
void dp_exporters_config_init(dp_exporters_config *c);
/* Frees the alert set. The strings, headers and rules belong to the
 * configuration table, whose dp_config_fini frees them. */
void dp_exporters_config_fini(dp_exporters_config *c);

/* Checks one `alerts:` item and adds it to c->alerts (created on first
 * use). Returns 0, or DP_EINVAL / DP_EPARSE / DP_ENOMEM with a message
 * naming the rule (see dp_alerts_add). */
int dp_exporters_config_add_rule(dp_exporters_config *c,
                                 const dp_alert_rule_item *it, char *err,
                                 size_t err_len);

/* The names of e's exporters, comma-separated ("jsonl,history"), cut at
 * len. */
void dp_exporters_names(dp_exporters *e, char *out, size_t len);

/* Creates the exporters c asks for (or jsonl to default_output, creating
 * it with default_output_mode, when c has no `exporters:` section) in one
 * pipeline, not started. When prometheus is on, *prom receives it (owned
 * by the pipeline) and pc supplies its stats callback. On error returns
 * NULL with a message naming the exporter. */
dp_exporters *dp_exporters_config_build(const dp_exporters_config *c,
                                        const char *default_output,
                                        uint32_t default_output_mode,
                                        const dp_prometheus_config *pc,
                                        dp_prometheus **prom, char *err,
                                        size_t err_len);

#endif /* DP_EXPORTERS_CONFIG_H */
