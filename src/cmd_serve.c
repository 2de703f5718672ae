/*
 * cmd_serve.c - `dagprof serve`: the OTLP endpoint.
 *
 * Wiring, in data-flow order: the OTLP/gRPC and OTLP/HTTP receivers hand
 * every Export request to the pipeline (decode, shard by trace id), whose
 * shard threads run the processors and pass each finished profile to the
 * profile writer (JSON lines to stdout or a file). The main thread only
 * waits for SIGTERM / SIGINT, then shuts down in the same order: stop the
 * receivers (draining in-flight requests), finalize every trace in memory,
 * flush the output, exit 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "commands.h"
#include "config.h"
#include "otlp_grpc.h"
#include "otlp_http.h"
#include "pipeline.h"
#include "processor.h"
#include "profile_json.h"

struct profile_writer {
    pthread_mutex_t lock;
    FILE *out;
    bool is_file;
    uint64_t written, failed;
};

struct serve {
    dp_config cfg;
    dp_pricing *pricing;
    struct profile_writer writer;
    dp_pipeline *pipeline;
    dp_grpc_server *grpc;
    dp_http_server *http;
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;
    int signal_seen;
};

/* Runs on shard threads: one line per profile, written whole under a lock. */
static void write_profile(dp_profile *profile, void *user)
{
    struct profile_writer *w = user;
    dp_buf b;
    dp_buf_init(&b);
    int err = dp_profile_json_write(&b, profile);
    dp_profile_free(profile);
    pthread_mutex_lock(&w->lock);
    if (err || fwrite(b.data, 1, b.len, w->out) != b.len || fflush(w->out)) {
        if (w->failed++ == 0)
            dp_log_error("exporter:jsonl", "cannot write a profile: %s",
                         err ? dp_strerror(err) : strerror(errno));
    } else {
        w->written++;
    }
    pthread_mutex_unlock(&w->lock);
    dp_buf_fini(&b);
}

static int healthz(void *user, char **body, size_t *body_len,
                   const char **content_type)
{
    struct serve *sv = user;
    dp_pipeline_stats st;
    dp_pipeline_stats_get(sv->pipeline, &st);
    char *s = NULL;
    int n = asprintf(
        &s,
        "{\"status\":\"ok\",\"spans_received\":%llu,\"spans_rejected\":%llu,"
        "\"spans_queued\":%llu,\"spans_duplicate\":%llu,\"late_spans\":%llu,"
        "\"traces_in_memory\":%llu,\"traces_evicted\":%llu,"
        "\"profiles_emitted\":%llu,\"requests\":%llu,"
        "\"requests_refused\":%llu,\"requests_invalid\":%llu}\n",
        (unsigned long long)st.spans_received,
        (unsigned long long)st.spans_rejected,
        (unsigned long long)st.spans_queued,
        (unsigned long long)st.spans_duplicate,
        (unsigned long long)st.spans_late,
        (unsigned long long)st.traces_in_memory,
        (unsigned long long)st.traces_evicted,
        (unsigned long long)st.profiles_emitted,
        (unsigned long long)st.requests,
        (unsigned long long)st.requests_refused,
        (unsigned long long)st.requests_invalid);
    if (n < 0)
        return 500;
    *body = s;
    *body_len = (size_t)n;
    *content_type = "application/json";
    return 200;
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct serve *sv = h->data;
    sv->signal_seen = signum;
    uv_signal_stop(&sv->sigterm);
    uv_signal_stop(&sv->sigint);
    uv_stop(&sv->loop);
}

static void serve_usage(FILE *out)
{
    fputs("usage: dagprof serve [options]\n"
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
          "An empty endpoint disables that receiver.\n\n",
          out);
    dp_config_help(out);
}

static int open_output(struct serve *sv)
{
    struct profile_writer *w = &sv->writer;
    pthread_mutex_init(&w->lock, NULL);
    if (!sv->cfg.output || !sv->cfg.output[0] ||
        strcmp(sv->cfg.output, "-") == 0) {
        w->out = stdout;
        return 0;
    }
    w->out = fopen(sv->cfg.output, "a");
    if (!w->out) {
        fprintf(stderr, "dagprof serve: output: cannot open '%s': %s\n",
                sv->cfg.output, strerror(errno));
        return -1;
    }
    w->is_file = true;
    return 0;
}

static void close_output(struct serve *sv)
{
    struct profile_writer *w = &sv->writer;
    if (!w->out)
        return;
    fflush(w->out);
    if (w->is_file) {
        fsync(fileno(w->out));
        fclose(w->out);
    }
    w->out = NULL;
    pthread_mutex_destroy(&w->lock);
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
            fprintf(stderr, "dagprof serve: unknown argument '%s' (see "
                            "--help)\n", argv[i]);
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
    /* A client that hangs up must not kill the daemon on write. */
    signal(SIGPIPE, SIG_IGN);

    sv.pricing = dp_pricing_create_default();
    if (!sv.pricing)
        goto out;
    if (sv.cfg.pricing_file && sv.cfg.pricing_file[0] &&
        dp_pricing_load_file(sv.pricing, sv.cfg.pricing_file, err,
                             sizeof(err))) {
        fprintf(stderr, "dagprof serve: pricing.file: %s\n", err);
        goto out;
    }
    if (open_output(&sv))
        goto out;

    dp_pipeline_config pc;
    memset(&pc, 0, sizeof(pc));
    dp_processor_config_init(&pc.processor);
    pc.processor.grace_ns = sv.cfg.grace_ns;
    pc.processor.idle_timeout_ns = sv.cfg.idle_timeout_ns;
    pc.processor.late_window_ns = sv.cfg.late_window_ns;
    pc.processor.max_traces = sv.cfg.max_traces;
    pc.processor.max_spans_per_trace = sv.cfg.max_spans_per_trace;
    pc.processor.pricing = sv.pricing;
    pc.processor.analysis = &sv.cfg.analysis;
    pc.shards = sv.cfg.shards;
    pc.queue_spans = sv.cfg.queue_spans;
    sv.pipeline = dp_pipeline_create(&pc, write_profile, &sv.writer);
    if (!sv.pipeline || dp_pipeline_start(sv.pipeline)) {
        fprintf(stderr, "dagprof serve: cannot start the processor\n");
        goto out;
    }

    if (sv.cfg.grpc_endpoint && sv.cfg.grpc_endpoint[0]) {
        dp_grpc_config gc;
        dp_grpc_config_init(&gc);
        gc.endpoint = sv.cfg.grpc_endpoint;
        gc.max_message_bytes = sv.cfg.grpc_max_message;
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
        sv.http = dp_http_server_create(&hc, dp_pipeline_export, sv.pipeline,
                                        err, sizeof(err));
        if (!sv.http ||
            dp_http_server_add_get(sv.http, "/healthz", healthz, &sv) ||
            dp_http_server_start(sv.http)) {
            fprintf(stderr, "dagprof serve: receivers.otlp.http.endpoint: %s\n",
                    sv.http ? "cannot start" : err);
            goto out;
        }
    }
    dp_log_info("serve", "ready: otlp/grpc %s port %d, otlp/http %s port %d, "
                "%zu shard(s), grace %llums, idle_timeout %llums",
                sv.grpc ? sv.cfg.grpc_endpoint : "off",
                sv.grpc ? dp_grpc_server_port(sv.grpc) : 0,
                sv.http ? sv.cfg.http_endpoint : "off",
                sv.http ? dp_http_server_port(sv.http) : 0,
                (size_t)sv.cfg.shards,
                (unsigned long long)(sv.cfg.grace_ns / 1000000),
                (unsigned long long)(sv.cfg.idle_timeout_ns / 1000000));

    uv_loop_init(&sv.loop);
    uv_signal_init(&sv.loop, &sv.sigterm);
    uv_signal_init(&sv.loop, &sv.sigint);
    sv.sigterm.data = sv.sigint.data = &sv;
    uv_signal_start(&sv.sigterm, on_signal, SIGTERM);
    uv_signal_start(&sv.sigint, on_signal, SIGINT);
    uv_run(&sv.loop, UV_RUN_DEFAULT);
    dp_log_info("serve", "signal %d: draining receivers and flushing %s",
                sv.signal_seen, "traces in memory");
    status = 0;
    uv_close((uv_handle_t *)&sv.sigterm, NULL);
    uv_close((uv_handle_t *)&sv.sigint, NULL);
    uv_run(&sv.loop, UV_RUN_DEFAULT);
    uv_loop_close(&sv.loop);

out:;
    int deadline_ms = (int)(sv.cfg.shutdown_timeout_ns / 1000000);
    if (sv.grpc)
        dp_grpc_server_shutdown(sv.grpc, deadline_ms / 2);
    if (sv.http)
        dp_http_server_shutdown(sv.http, deadline_ms / 2);
    if (sv.pipeline)
        dp_pipeline_shutdown(sv.pipeline);
    if (sv.pipeline && status == 0) {
        dp_pipeline_stats st;
        dp_pipeline_stats_get(sv.pipeline, &st);
        dp_log_info("serve", "stopped: %llu spans received, %llu rejected, "
                    "%llu profiles emitted",
                    (unsigned long long)st.spans_received,
                    (unsigned long long)st.spans_rejected,
                    (unsigned long long)st.profiles_emitted);
    }
    dp_grpc_server_destroy(sv.grpc);
    dp_http_server_destroy(sv.http);
    dp_pipeline_destroy(sv.pipeline);
    close_output(&sv);
    dp_pricing_destroy(sv.pricing);
    dp_config_fini(&sv.cfg);
    return status;
}
