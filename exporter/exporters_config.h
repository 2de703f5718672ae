/*
 * exporters_config.h - the `exporters:` and `alerts:` sections of the YAML
 * configuration, and building the exporter pipeline from them.
 *
 * Both sections are structured (maps of exporters, a list of rules), so
 * they are not keys of the flat table in src/config_keys.c: the command
 * registers the two handlers here with the configuration loader
 * (src/config.c), which hands them their YAML nodes. Shape:
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
 * Every exporter also takes queue_size, on_full (block | drop: what a full
 * queue does; block for jsonl and prometheus, drop for otlp and webhook by
 * default), max_attempts, initial_backoff, max_backoff and max_elapsed
 * (the pipeline's retry policy). With no
 * `exporters:` section, profiles go to jsonl at the `output` key's
 * destination, as before.
 */
#ifndef DP_EXPORTERS_CONFIG_H
#define DP_EXPORTERS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "alerts.h"
#include "exporters.h"

typedef struct dp_exporters_config {
    bool present; /* an `exporters:` section was read */
    struct {
        bool on;
        char *path;
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
        bool gzip;
        uint64_t timeout_ns;
        char **header_names, **header_values;
        size_t n_headers;
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
        char **header_names, **header_values;
        size_t n_headers;
        dp_exporter_policy policy;
    } webhook;
    dp_alerts *alerts; /* NULL until an `alerts:` section was read */
} dp_exporters_config;

void dp_exporters_config_init(dp_exporters_config *c);
/* Frees everything c holds, including the alert rules. */
void dp_exporters_config_fini(dp_exporters_config *c);

/* The handlers of the `exporters:` and `alerts:` sections (user is the
 * dp_exporters_config to fill; the shape of dp_config_section_fn in
 * src/config.h). A bad key, value or rule fails with a message naming
 * file:line and the key or rule. Return 0 or a DP_E* code. */
int dp_exporters_config_section(void *user, yaml_document_t *doc,
                                yaml_node_t *node, const char *file, char *err,
                                size_t err_len);
int dp_alerts_config_section(void *user, yaml_document_t *doc,
                             yaml_node_t *node, const char *file, char *err,
                             size_t err_len);

/* Creates the exporters c asks for (or jsonl to default_output, creating
 * it with default_output_mode, when c has no `exporters:` section) in one
 * pipeline, not started. When prometheus is on, *prom receives it (owned
 * by the pipeline) and pc supplies its stats callback. On error returns
 * NULL with a message naming the exporter. */
/* The names of e's exporters, comma-separated ("jsonl,history"), cut at
 * len. */
void dp_exporters_names(dp_exporters *e, char *out, size_t len);

dp_exporters *dp_exporters_config_build(const dp_exporters_config *c,
                                        const char *default_output,
                                        uint32_t default_output_mode,
                                        const dp_prometheus_config *pc,
                                        dp_prometheus **prom, char *err,
                                        size_t err_len);

#endif /* DP_EXPORTERS_CONFIG_H */
