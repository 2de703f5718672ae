/*
 * cmd_serve.c - `dagprof serve`: the OTLP endpoint.
 *
 * Wiring, in data-flow order: the OTLP/gRPC and OTLP/HTTP receivers hand
 * every Export request to the pipeline (decode, shard by trace id), whose
 * shard threads run the processors and pass each finished profile to
 * on_profile(): it becomes a dp_record handed to the exporter pipeline
 * (jsonl, otlp, prometheus, webhook, history; each on its own queue and
 * thread),
 * and the alert rules are evaluated on it. With no `exporters:` section,
 * profiles go to jsonl at the `output` destination. The main thread only
 * waits for SIGTERM / SIGINT, then shuts down in the same order, all
 * within shutdown_timeout: stop the receivers (draining in-flight
 * requests), finalize every trace in memory (each exporter's queue takes
 * the whole burst, never dropping, so no exporter waits on another), let
 * each exporter drain its own queue, exit 0. When the deadline cuts an
 * exporter short, the profiles and spans it lost are logged as an error
 * naming it (the others still deliver everything) and the exit status is
 * 1.
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
#include "log.h"
#include "memguard.h"
#include "otlp_grpc.h"
#include "otlp_http.h"
#include "pipeline.h"
#include "pricing.h"
#include "process_metrics.h"
#include "processor.h"
#include "serve_internal.h"
#include "ui.h"
#include "wal.h"

/* The memory guard's release hook: the shards' batch pools. */
static size_t release_pools(void *user)
{
    struct serve *sv = user;
    return sv->pipeline ? dp_pipeline_release_memory(sv->pipeline) : 0;
}

/* Every limits.check_interval on the main loop: RSS against the ceiling
 * (pressure refuses requests before they are decoded) and trimming once
 * idle (no request taken and no trace finalized for limits.trim_idle). */
static void on_mem_timer(uv_timer_t *t)
{
    struct serve *sv = t->data;
    dp_pipeline_stats st;
    dp_pipeline_stats_get(sv->pipeline, &st);
    /* Activity: requests taken, and traces finalized (their memory is
     * freed then, so the idle period starts after the last one). */
    uint64_t activity = st.requests - st.refused_memory + st.profiles_emitted +
                        st.traces_not_agent;
    bool pressure = dp_memguard_tick(&sv->mem, uv_hrtime(), activity);
    dp_pipeline_set_memory_pressure(sv->pipeline, pressure);
    int64_t room = dp_memguard_headroom(&sv->mem, st.queued_bytes);
    if (room != INT64_MAX) /* bytes accepted before the next reading */
        dp_pipeline_set_memory_budget(sv->pipeline, room);
}

/* The log's writer after each round: HTTP replies waiting for it. */
static void wake_http(void *http)
{
    dp_http_server_wake(http);
}

static void emit_alert(void *user, dp_record *alert)
{
    struct serve *sv = user;
    dp_exporters_submit(sv->exporters, alert);
    dp_record_unref(alert);
}

/* Runs on shard threads: hands the profile to every exporter and evaluates
 * the alert rules on it. Waits only when an exporter's queue is full and
 * it blocks (on_full: block), while running: the shard then stops taking
 * spans, its queue fills, and the receivers answer UNAVAILABLE / 503
 * (backpressure) until there is room. Once draining at shutdown it never
 * waits (exporters.h). */
static void on_profile(dp_profile *profile, dp_wal_hold *hold, void *user)
{
    struct serve *sv = user;
    dp_record *r = dp_record_profile(profile); /* takes the profile */
    if (!r) {
        if (atomic_fetch_add(&sv->record_failures, 1) == 0)
            dp_log_error("serve", "out of memory: a profile was dropped");
        dp_wal_hold_release(hold);
        return;
    }
    /* With the write-ahead log: the trace's requests are kept until every
     * exporter has delivered (or dropped, and counted) its profile. */
    if (hold) {
        r->on_free = dp_wal_hold_release;
        r->on_free_arg = hold;
    }
    dp_exporters_submit(sv->exporters, r);
    dp_alerts_evaluate(sv->cfg.exporters.alerts, r->profile, emit_alert, sv);
    dp_record_unref(r);
}

/* A duration key (at most MAX_MS_NS, see config.c) in milliseconds; a
 * non-zero one is at least 1 ms. */
static int ns_to_ms(uint64_t ns)
{
    uint64_t ms = ns / 1000000;
    if (ns && !ms)
        ms = 1;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Every connection is a descriptor: lift the soft open-file limit to the
 * hard one, so the connection caps, not EMFILE, decide who is refused. */
static void raise_nofile_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t before = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = before;
    }
    dp_log_info("serve", "open-file limit %llu (was %llu, hard limit %llu)",
                (unsigned long long)rl.rlim_cur, (unsigned long long)before,
                (unsigned long long)rl.rlim_max);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct serve *sv = h->data;
    sv->signal_seen = signum;
    uv_signal_stop(&sv->sigterm);
    uv_signal_stop(&sv->sigint);
    uv_signal_stop(&sv->sighup);
    uv_timer_stop(&sv->memtimer);
    uv_stop(&sv->loop);
}

/* SIGHUP: reads the TLS files of both receivers and the bearer tokens
 * file again. What fails to load keeps the current material, and says so;
 * nothing else changes. */
static void on_sighup(uv_signal_t *h, int signum)
{
    struct serve *sv = h->data;
    char err[512];
    (void)signum;
    dp_log_info("serve", "SIGHUP: reloading TLS certificates and tokens");
    if (sv->grpc && sv->cfg.grpc_tls_cert_file[0])
        dp_grpc_server_reload_tls(sv->grpc); /* at the next handshake */
    if (sv->http && sv->cfg.http_tls_cert_file[0]) {
        if (dp_http_server_reload_tls(sv->http, err, sizeof(err)))
            dp_log_error("serve",
                         "receivers.otlp.http.tls: reload failed, keeping the "
                         "current certificate: %s",
                         err);
        else
            dp_log_info("serve", "receivers.otlp.http.tls: reloaded from %s",
                        sv->cfg.http_tls_cert_file);
    }
    if (sv->auth) {
        if (dp_auth_reload(sv->auth, err, sizeof(err)))
            dp_log_error("serve",
                         "auth.bearer_tokens_file: reload failed, keeping "
                         "the current tokens: %s",
                         err);
        else
            dp_log_info("serve", "auth.bearer_tokens_file: %zu token(s)",
                        dp_auth_count(sv->auth));
    }
}

/* Checks the TLS key combinations and reads the tokens file. Returns 0,
 * or -1 after printing what is wrong. */
static int security_setup(struct serve *sv)
{
    char err[512];
    dp_tls_files g = {sv->cfg.grpc_tls_cert_file, sv->cfg.grpc_tls_key_file,
                      sv->cfg.grpc_tls_client_ca_file};
    dp_tls_files h = {sv->cfg.http_tls_cert_file, sv->cfg.http_tls_key_file,
                      sv->cfg.http_tls_client_ca_file};
    if (dp_tls_files_check(&g, "receivers.otlp.grpc.tls", err, sizeof(err)) ||
        dp_tls_files_check(&h, "receivers.otlp.http.tls", err, sizeof(err))) {
        fprintf(stderr, "dagprof serve: %s\n", err);
        return -1;
    }
    if (sv->cfg.auth_tokens_file[0]) {
        sv->auth = dp_auth_create(sv->cfg.auth_tokens_file, err, sizeof(err));
        if (!sv->auth) {
            fprintf(stderr, "dagprof serve: auth.bearer_tokens_file: %s\n",
                    err);
            return -1;
        }
    }
    return 0;
}

/* After a signal: logs what each exporter delivered and dropped, and the
 * run's totals. Whatever an exporter lost to the shutdown deadline is an
 * error naming the exporter, the profiles and their spans (and alerts);
 * the exit status is then 1. Returns the exit status. */
static int report_shutdown(struct serve *sv, uint64_t t_stop)
{
    int status = 0;
    uint64_t took_ms = (dp_exporters_now_ns() - t_stop) / 1000000;
    for (size_t i = 0; i < dp_exporters_count(sv->exporters); i++) {
        dp_exporter_stats es;
        dp_exporters_stats_get(sv->exporters, i, &es);
        /* When its last record was done: each exporter drains on its
         * own, so a fast one finishes while a slow one still works. */
        char done[64] = "";
        if (es.last_done_ns > t_stop)
            snprintf(
                done, sizeof(done),
                "; last record done %llu ms after the signal",
                (unsigned long long)((es.last_done_ns - t_stop) / 1000000));
        dp_log_info("serve",
                    "exporter %s: %llu exported, %llu dropped "
                    "(%llu queue full, %llu refused, %llu retries "
                    "exhausted, %llu at the shutdown deadline)%s",
                    es.name, (unsigned long long)es.exported,
                    (unsigned long long)es.dropped,
                    (unsigned long long)es.dropped_full,
                    (unsigned long long)es.dropped_error,
                    (unsigned long long)es.dropped_retries,
                    (unsigned long long)es.dropped_shutdown, done);
        if (!es.dropped_shutdown && !es.left_behind)
            continue;
        status = 1;
        dp_log_error(
            "serve",
            "exporter %s: %llu profile(s) with %llu span(s) and %llu "
            "alert(s) lost: shutdown_timeout (%llu ms) expired "
            "before they were delivered%s",
            es.name, (unsigned long long)es.shutdown_profiles,
            (unsigned long long)es.shutdown_spans,
            (unsigned long long)(es.dropped_shutdown - es.shutdown_profiles),
            (unsigned long long)(sv->cfg.shutdown_timeout_ns / 1000000),
            es.left_behind ? " (its thread was stuck and left behind)" : "");
    }
    if (sv->pipeline) {
        dp_pipeline_stats st;
        dp_pipeline_stats_get(sv->pipeline, &st);
        dp_log_info("serve",
                    "stopped: %llu spans received, %llu rejected, "
                    "%llu profiles emitted; shutdown took %llu ms",
                    (unsigned long long)st.spans_received,
                    (unsigned long long)st.spans_rejected,
                    (unsigned long long)st.profiles_emitted,
                    (unsigned long long)took_ms);
    }
    if (status)
        dp_log_error("serve", "shutdown incomplete: profiles or alerts were "
                              "lost (see above); exit status 1");
    return status;
}

static void serve_usage(FILE *out)
{
    fputs(
        "usage: dagprof serve [options]\n"
        "\n"
        "Receives OTLP traces over gRPC and HTTP and writes one JSON profile\n"
        "per finished run (root span seen and `grace` passed with no new\n"
        "span; rootless traces after `idle_timeout`, marked incomplete).\n"
        "SIGTERM or SIGINT finalizes every trace in memory and exits 0.\n"
        "\n"
        "options:\n"
        "  --config FILE     YAML configuration (keys below)\n"
        "  --print-config    print the effective configuration and exit\n"
        "  -h, --help        this help\n"
        "\n"
        "Every key can be set in the YAML file, by its environment variable\n"
        "or by its flag; precedence: flag > environment > file > default.\n"
        "An empty endpoint disables that receiver.\n"
        "\n"
        "Exporters (jsonl, otlp, prometheus on GET /metrics, webhook) and\n"
        "alert rules are set in the YAML file's `exporters:` and `alerts:`\n"
        "sections, YAML only (their keys are listed below; see\n"
        "examples/dagprof-exporters.yaml); without `exporters:`, profiles\n"
        "go as JSON lines to `output`.\n"
        "\n"
        "Every profile is also kept in the history store (history.* keys;\n"
        "default dagprof-data/history.db, SQLite) for `dagprof runs`,\n"
        "`show`, `trends`, `regressions` and alert rules with condition:\n"
        "regression; history.enabled false turns it off.\n\n",
        out);
    dp_config_help(out);
}

int dp_cmd_serve(int argc, char **argv)
{
    struct serve sv;
    char err[512];
    int status = 1;
    bool print_config = false;

    memset(&sv, 0, sizeof(sv));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            serve_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--help-markdown") == 0) {
            dp_config_markdown(stdout); /* docs/configuration.md's table */
            return 0;
        }
    }
    dp_config_init(&sv.cfg);
    int rest = dp_config_from_args(&sv.cfg, argc, argv, err, sizeof(err));
    if (rest < 0) {
        fprintf(stderr, "dagprof serve: %s\n", err);
        dp_config_fini(&sv.cfg);
        return 2;
    }
    for (int i = 1; i < rest; i++) {
        if (strcmp(argv[i], "--print-config") == 0) {
            print_config = true;
        } else {
            fprintf(stderr,
                    "dagprof serve: unknown argument '%s' (see "
                    "--help)\n",
                    argv[i]);
            dp_config_fini(&sv.cfg);
            return 2;
        }
    }
    if (print_config) {
        dp_config_print(&sv.cfg, stdout);
        dp_config_fini(&sv.cfg);
        return 0;
    }
    dp_log_set_level(dp_log_level_parse(sv.cfg.log_level));
    dp_log_set_format(dp_log_format_parse(sv.cfg.log_format));
    raise_nofile_limit();
    /* A client that hangs up must not kill the daemon on write. */
    signal(SIGPIPE, SIG_IGN);
    /* Request bodies and trace arenas come and go in the MiB range; with
     * glibc's dynamic mmap threshold each is a fresh mapping the kernel must
     * zero (about 15% of serve's CPU under load). Keep them on the heap and
     * give memory back only past 64 MiB of free top. */
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);

    if (security_setup(&sv))
        goto out;
    sv.pricing = dp_pricing_create_default();
    if (!sv.pricing)
        goto out;
    if (sv.cfg.pricing_file && sv.cfg.pricing_file[0] &&
        dp_pricing_load_file(sv.pricing, sv.cfg.pricing_file, err,
                             sizeof(err))) {
        fprintf(stderr, "dagprof serve: pricing.file: %s\n", err);
        goto out;
    }
    dp_prometheus_config promc = {.stats = dp__serve_self_stats,
                                  .stats_user = &sv};
    sv.exporters = dp_exporters_config_build(&sv.cfg.exporters, sv.cfg.output,
                                             sv.cfg.output_mode, &promc,
                                             &sv.prom, err, sizeof(err));
    if (!sv.exporters) {
        fprintf(stderr, "dagprof serve: %s\n", err);
        goto out;
    }
    if (dp_history_cli_add_exporter(sv.exporters, &sv.cfg, err, sizeof(err))) {
        fprintf(stderr, "dagprof serve: %s\n", err);
        goto out;
    }
    if (sv.cfg.history_enabled && sv.cfg.ui_enabled) {
        sv.ui_store = dp_history_cli_path(&sv.cfg);
        if (!sv.ui_store)
            goto out;
        sv.ui.store = sv.ui_store;
        sv.ui.regress = (dp_regress_config){sv.cfg.regression_min_change,
                                            sv.cfg.regression_p_value,
                                            sv.cfg.regression_min_runs};
    }
    if (sv.prom && !(sv.cfg.http_endpoint && sv.cfg.http_endpoint[0])) {
        fprintf(stderr, "dagprof serve: exporters.prometheus: GET /metrics "
                        "is served on receivers.otlp.http.endpoint, which "
                        "is disabled\n");
        goto out;
    }
    if (dp_exporters_start(sv.exporters)) {
        fprintf(stderr, "dagprof serve: cannot start the exporters\n");
        goto out;
    }
    if (dp_history_cli_regression_alerts(&sv.cfg, sv.cfg.exporters.alerts,
                                         emit_alert, &sv, &sv.regalert, err,
                                         sizeof(err))) {
        fprintf(stderr, "dagprof serve: %s\n", err);
        goto out;
    }

    dp_pipeline_config pc;
    memset(&pc, 0, sizeof(pc));
    dp_processor_config_init(&pc.processor);
    pc.processor.grace_ns = sv.cfg.grace_ns;
    pc.processor.idle_timeout_ns = sv.cfg.idle_timeout_ns;
    pc.processor.late_window_ns = sv.cfg.late_window_ns;
    pc.processor.max_traces = sv.cfg.max_traces;
    pc.processor.max_spans_per_trace = sv.cfg.max_spans_per_trace;
    pc.processor.inference_tolerance_ns = sv.cfg.inference_tolerance_ns;
    pc.processor.profile_all_traces = sv.cfg.profile_all_traces;
    pc.processor.pricing = sv.pricing;
    pc.processor.analysis = &sv.cfg.analysis;
    pc.shards = sv.cfg.shards;
    pc.queue_spans = sv.cfg.queue_spans;
    pc.held_sink = on_profile;
    if (strcmp(sv.cfg.durability, "wal") == 0) {
        dp_wal_config wc = {sv.cfg.wal_dir, sv.cfg.wal_sync_interval_ns,
                            sv.cfg.wal_sync_requests, sv.cfg.wal_segment_size};
        sv.wal = dp_wal_open(&wc, err, sizeof(err));
        if (!sv.wal) {
            fprintf(stderr, "dagprof serve: %s\n", err);
            goto out;
        }
        pc.wal = sv.wal;
    }
    pc.queue_bytes = sv.cfg.queue_bytes;
    sv.pipeline = dp_pipeline_create(&pc, NULL, &sv);
    if (!sv.pipeline || dp_pipeline_start(sv.pipeline)) {
        fprintf(stderr, "dagprof serve: cannot start the processor\n");
        goto out;
    }
    /* Before the listeners open: what the last run acknowledged but did
     * not deliver goes through the shards again. */
    if (sv.wal) {
        if (dp_wal_start(sv.wal, err, sizeof(err))) {
            fprintf(stderr, "dagprof serve: %s\n", err);
            goto out;
        }
        dp_wal_replay(sv.wal, dp_pipeline_replay, sv.pipeline);
    }
    dp_memguard_config mc = {
        .max_rss = sv.cfg.max_rss ? sv.cfg.max_rss : dp_memguard_auto_limit(),
        .trim_idle_ns = sv.cfg.trim_idle_ns,
        .release = release_pools,
        .user = &sv};
    dp_memguard_init(&sv.mem, &mc);
    sv.mem_started = true;

    if (sv.cfg.grpc_endpoint && sv.cfg.grpc_endpoint[0]) {
        dp_grpc_config gc;
        dp_grpc_config_init(&gc);
        gc.endpoint = sv.cfg.grpc_endpoint;
        gc.max_message_bytes = sv.cfg.grpc_max_message;
        gc.max_concurrent_streams = (int)sv.cfg.grpc_max_concurrent_streams;
        gc.handshake_timeout_ms = ns_to_ms(sv.cfg.grpc_handshake_timeout_ns);
        gc.max_connection_idle_ms =
            ns_to_ms(sv.cfg.grpc_max_connection_idle_ns);
        gc.max_connection_age_ms = ns_to_ms(sv.cfg.grpc_max_connection_age_ns);
        gc.max_connection_age_grace_ms =
            ns_to_ms(sv.cfg.grpc_max_connection_age_grace_ns);
        gc.keepalive_time_ms = ns_to_ms(sv.cfg.grpc_keepalive_time_ns);
        gc.keepalive_timeout_ms = ns_to_ms(sv.cfg.grpc_keepalive_timeout_ns);
        gc.keepalive_min_ping_interval_ms =
            ns_to_ms(sv.cfg.grpc_keepalive_min_ping_ns);
        gc.tls =
            (dp_tls_files){sv.cfg.grpc_tls_cert_file, sv.cfg.grpc_tls_key_file,
                           sv.cfg.grpc_tls_client_ca_file};
        gc.auth = sv.cfg.auth_receivers ? sv.auth : NULL;
        sv.grpc = dp_grpc_server_create(&gc, dp_pipeline_export, sv.pipeline,
                                        err, sizeof(err));
        if (!sv.grpc || dp_grpc_server_start(sv.grpc)) {
            fprintf(stderr, "dagprof serve: receivers.otlp.grpc.endpoint: %s\n",
                    sv.grpc ? "cannot start" : err);
            goto out;
        }
    }
    if (sv.cfg.http_endpoint && sv.cfg.http_endpoint[0]) {
        dp_http_config hc;
        dp_http_config_init(&hc);
        hc.endpoint = sv.cfg.http_endpoint;
        hc.max_body_bytes = sv.cfg.http_max_body;
        hc.max_connections = sv.cfg.http_max_connections;
        hc.max_connections_per_peer = sv.cfg.http_max_connections_per_peer;
        hc.header_timeout_ms = ns_to_ms(sv.cfg.http_header_timeout_ns);
        hc.idle_timeout_ms = ns_to_ms(sv.cfg.http_idle_timeout_ns);
        hc.tls =
            (dp_tls_files){sv.cfg.http_tls_cert_file, sv.cfg.http_tls_key_file,
                           sv.cfg.http_tls_client_ca_file};
        /* Paths left open when tokens are on (auth.metrics, .ui, .healthz). */
        static const char *open_paths[3];
        size_t n_open = 0;
        if (!sv.cfg.auth_healthz)
            open_paths[n_open++] = "/healthz";
        if (!sv.cfg.auth_metrics)
            open_paths[n_open++] = "/metrics";
        if (!sv.cfg.auth_ui)
            open_paths[n_open++] = "/ui";
        hc.auth = sv.auth;
        hc.auth_traces = sv.cfg.auth_receivers;
        hc.open_paths = open_paths;
        hc.n_open_paths = n_open;
        sv.http = dp_http_server_create(&hc, dp_pipeline_export, sv.pipeline,
                                        err, sizeof(err));
        if (sv.http && sv.wal) /* replies wait for the group commit */
            dp_http_server_set_poll(sv.http, dp_pipeline_export_poll);
        if (!sv.http ||
            dp_http_server_add_get(sv.http, "/healthz", dp__serve_healthz,
                                   &sv) ||
            (sv.prom && dp_http_server_add_get(sv.http, "/metrics",
                                               dp__serve_metrics, &sv)) ||
            (sv.ui_store &&
             dp_http_server_add_page(sv.http, "/ui/", dp_ui_page, &sv.ui)) ||
            dp_http_server_start(sv.http)) {
            fprintf(stderr, "dagprof serve: receivers.otlp.http.endpoint: %s\n",
                    sv.http ? "cannot start" : err);
            goto out;
        }
        if (sv.wal)
            dp_wal_set_notify(sv.wal, wake_http, sv.http);
    }
    char exporters[256];
    dp_exporters_names(sv.exporters, exporters, sizeof(exporters));
    dp_log_info("serve",
                "ready: otlp/grpc %s port %d, otlp/http %s port %d, "
                "exporters %s, %zu alert rule(s), "
                "%zu shard(s), grace %llums, idle_timeout %llums, "
                "tls %s, %zu bearer token(s), max_rss %llu MiB",
                sv.grpc ? sv.cfg.grpc_endpoint : "off",
                sv.grpc ? dp_grpc_server_port(sv.grpc) : 0,
                sv.http ? sv.cfg.http_endpoint : "off",
                sv.http ? dp_http_server_port(sv.http) : 0, exporters,
                dp_alerts_count(sv.cfg.exporters.alerts), (size_t)sv.cfg.shards,
                (unsigned long long)(sv.cfg.grace_ns / 1000000),
                (unsigned long long)(sv.cfg.idle_timeout_ns / 1000000),
                sv.cfg.grpc_tls_cert_file[0]
                    ? (sv.cfg.http_tls_cert_file[0] ? "grpc+http" : "grpc")
                    : (sv.cfg.http_tls_cert_file[0] ? "http" : "off"),
                dp_auth_count(sv.auth),
                (unsigned long long)(sv.mem.cfg.max_rss >> 20));

    uv_loop_init(&sv.loop);
    uv_timer_init(&sv.loop, &sv.memtimer);
    sv.memtimer.data = &sv;
    uint64_t every_ms = sv.cfg.mem_check_ns / 1000000;
    uv_timer_start(&sv.memtimer, on_mem_timer, every_ms, every_ms);
    uv_signal_init(&sv.loop, &sv.sigterm);
    uv_signal_init(&sv.loop, &sv.sigint);
    uv_signal_init(&sv.loop, &sv.sighup);
    sv.sigterm.data = sv.sigint.data = sv.sighup.data = &sv;
    uv_signal_start(&sv.sigterm, on_signal, SIGTERM);
    uv_signal_start(&sv.sigint, on_signal, SIGINT);
    uv_signal_start(&sv.sighup, on_sighup, SIGHUP);
    uv_run(&sv.loop, UV_RUN_DEFAULT);
    dp_log_info("serve", "signal %d: draining receivers and flushing %s",
                sv.signal_seen, "traces in memory");
    status = 0;
    uv_close((uv_handle_t *)&sv.sigterm, NULL);
    uv_close((uv_handle_t *)&sv.sigint, NULL);
    uv_close((uv_handle_t *)&sv.sighup, NULL);
    uv_close((uv_handle_t *)&sv.memtimer, NULL);
    uv_run(&sv.loop, UV_RUN_DEFAULT);
    uv_loop_close(&sv.loop);

out:;
    /* One deadline for the whole shutdown: in-flight requests, finalizing
     * every trace in memory (into the exporters' queues, which grow now
     * rather than wait or drop), and each exporter's drain. */
    bool by_signal = status == 0;
    dp_regalert_destroy(sv.regalert); /* before the exporters it emits to */
    uint64_t t_stop = dp_exporters_now_ns();
    dp_exporters_drain_begin(sv.exporters, t_stop + sv.cfg.shutdown_timeout_ns);
    int deadline_ms = (int)(sv.cfg.shutdown_timeout_ns / 1000000);
    if (sv.grpc)
        dp_grpc_server_shutdown(sv.grpc, deadline_ms / 2);
    if (sv.http)
        dp_http_server_shutdown(sv.http, deadline_ms / 2);
    if (sv.pipeline)
        dp_pipeline_shutdown(sv.pipeline);
    /* Every profile is now with the exporters: let them drain. */
    dp_exporters_shutdown(sv.exporters, sv.cfg.shutdown_timeout_ns);
    if (by_signal)
        status = report_shutdown(&sv, t_stop);
    dp_grpc_server_destroy(sv.grpc);
    if (sv.wal)
        dp_wal_set_notify(sv.wal, NULL, NULL);
    dp_http_server_destroy(sv.http);
    dp_pipeline_destroy(sv.pipeline);
    dp_exporters_destroy(sv.exporters);
    dp_wal_close(sv.wal); /* after every profile's hold is released */
    dp_auth_destroy(sv.auth);
    free(sv.ui_store);
    if (sv.mem_started)
        dp_memguard_fini(&sv.mem);
    dp_pricing_destroy(sv.pricing);
    dp_config_fini(&sv.cfg);
    return status;
}
