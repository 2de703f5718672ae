/*
 * test_config.c - the configuration table and its loader (src/config.c):
 * defaults, every value type, YAML files, environment, flags, precedence,
 * --print-config round trip, and the generated documentation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis_config.h"
#include "config_keys.h"
#include "units.h"

static char *write_temp(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/dp_config_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_config_defaults(void **state)
{
    (void)state;
    dp_config c;
    dp_config_init(&c);
    assert_string_equal(c.grpc_endpoint, "127.0.0.1:4317");
    assert_string_equal(c.http_endpoint, "127.0.0.1:4318");
    assert_int_equal(c.grpc_max_message, 4u * 1024 * 1024);
    assert_int_equal(c.http_max_body, 20u * 1024 * 1024);
    assert_int_equal(c.grace_ns, 2000000000ULL);
    assert_int_equal(c.idle_timeout_ns, 30000000000ULL);
    assert_int_equal(c.late_window_ns, 300000000000ULL);
    assert_int_equal(c.max_traces, 100000);
    assert_int_equal(c.max_spans_per_trace, 100000);
    assert_int_equal(c.shards, 2);
    assert_string_equal(c.output, "-");
    assert_int_equal(c.output_mode, 0600);
    assert_string_equal(c.log_level, "info");
    /* Analysis defaults equal the processor's own (DESIGN.md). */
    dp_analysis_config a;
    dp_analysis_config_init(&a);
    assert_true(c.analysis.slow_node_factor == a.slow_node_factor);
    assert_true(c.analysis.slow_node_factor == 2.0);
    assert_true(c.analysis.token_high_factor == 5.0);
    assert_int_equal(c.analysis.retries_min, 2);
    assert_int_equal(c.analysis.tool_latency_ns, 1000000000LL);
    assert_int_equal(c.analysis.scheduling_delay_min_ns, 100000000LL);
    assert_true(c.analysis.scheduling_delay_wall_frac == 0.05);
    assert_true(c.analysis.parallelize_efficiency_below == 0.8);
    assert_int_equal(c.analysis.reduce_context_mean_input, 4000);
    assert_int_equal(c.analysis.reduce_context_target, 2000);
    assert_int_equal(memcmp(&c.analysis, &a, sizeof(a)), 0);
    dp_config_fini(&c);
}

static void test_config_value_types(void **state)
{
    (void)state;
    dp_config c;
    char err[256];
    dp_config_init(&c);
    assert_int_equal(
        dp_config_set(&c, "processor.grace", "500ms", err, sizeof(err)), 0);
    assert_int_equal(c.grace_ns, 500000000ULL);
    assert_int_equal(
        dp_config_set(&c, "processor.grace", "1m30s", err, sizeof(err)), 0);
    assert_int_equal(c.grace_ns, 90000000000ULL);
    assert_int_equal(
        dp_config_set(&c, "processor.idle_timeout", "1h", err, sizeof(err)), 0);
    assert_int_equal(c.idle_timeout_ns, 3600000000000ULL);
    assert_int_equal(
        dp_config_set(&c, "processor.grace", "0", err, sizeof(err)), 0);
    assert_int_equal(c.grace_ns, 0);
    assert_int_equal(dp_config_set(&c, "receivers.otlp.http.max_body_size",
                                   "512KiB", err, sizeof(err)),
                     0);
    assert_int_equal(c.http_max_body, 524288);
    assert_int_equal(dp_config_set(&c, "receivers.otlp.http.max_body_size",
                                   "20MB", err, sizeof(err)),
                     0);
    assert_int_equal(c.http_max_body, 20000000);
    assert_int_equal(
        dp_config_set(&c, "analysis.slow_node.factor", "2.5", err, sizeof(err)),
        0);
    assert_true(c.analysis.slow_node_factor == 2.5);
    assert_int_equal(dp_config_set(&c, "log.level", "debug", err, sizeof(err)),
                     0);
    assert_int_equal(
        dp_config_set(&c, "receivers.otlp.grpc.endpoint", "", err, sizeof(err)),
        0);
    assert_string_equal(c.grpc_endpoint, "");
    assert_int_equal(c.inference_tolerance_ns, 1000000); /* default 1ms */
    assert_int_equal(dp_config_set(&c, "processor.inference_tolerance", "0",
                                   err, sizeof(err)),
                     0);
    assert_int_equal(c.inference_tolerance_ns, 0);
    assert_false(c.profile_all_traces);
    assert_int_equal(dp_config_set(&c, "processor.profile_all_traces", "true",
                                   err, sizeof(err)),
                     0);
    assert_true(c.profile_all_traces);
    assert_int_equal(dp_config_set(&c, "output_mode", "640", err, sizeof(err)),
                     0);
    assert_int_equal(c.output_mode, 0640);
    assert_int_equal(
        dp_config_set(&c, "output_mode", "0o600", err, sizeof(err)), 0);
    assert_int_equal(c.output_mode, 0600);

    /* Bad values name the key. */
    const char *bad[][2] = {
        {"processor.grace", "2 seconds"},
        {"processor.grace", "-1s"},
        {"processor.grace", "s"},
        {"processor.max_traces", "ten"},
        {"processor.max_traces", "0"},
        {"processor.shards", "65"},
        {"receivers.otlp.http.max_body_size", "1.5"},
        {"receivers.otlp.grpc.endpoint", "localhost"},
        {"receivers.otlp.grpc.endpoint", "127.0.0.1:70000"},
        {"log.level", "loud"},
        {"analysis.slow_node.factor", "x"},
        {"analysis.scheduling_delay.wall_fraction", "1.5"},
        {"processor.profile_all_traces", "yes"},
        {"processor.inference_tolerance", "2s"},
        {"output_mode", "0800"},
        {"output_mode", "rw-------"},
        {"output_mode", "01777"},
        {"output_mode", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(
            dp_config_set(&c, bad[i][0], bad[i][1], err, sizeof(err)),
            DP_EINVAL);
        assert_non_null(strstr(err, bad[i][0]));
    }
    assert_int_equal(dp_config_set(&c, "processor.nope", "1", err, sizeof(err)),
                     DP_ENOENT);
    assert_non_null(strstr(err, "processor.nope"));
    dp_config_fini(&c);
}

static void test_config_yaml_nested_and_errors(void **state)
{
    (void)state;
    dp_config c;
    char err[512];
    dp_config_init(&c);
    const char *path = write_temp("receivers:\n"
                                  "  otlp:\n"
                                  "    grpc:\n"
                                  "      endpoint: 127.0.0.1:5317\n"
                                  "processor:\n"
                                  "  grace: 750ms\n"
                                  "  shards: 4\n"
                                  "analysis:\n"
                                  "  tool_latency:\n"
                                  "    threshold: 2s\n");
    assert_int_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_string_equal(c.grpc_endpoint, "127.0.0.1:5317");
    assert_int_equal(c.grace_ns, 750000000ULL);
    assert_int_equal(c.shards, 4);
    assert_int_equal(c.analysis.tool_latency_ns, 2000000000LL);
    unlink(path);

    path = write_temp("processor:\n  grace: 1s\n  graze: 2s\n");
    assert_int_not_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "processor.graze"));
    assert_non_null(strstr(err, ":3:"));
    unlink(path);

    path = write_temp("processor:\n  max_traces: many\n");
    assert_int_not_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "processor.max_traces"));
    assert_non_null(strstr(err, ":2:"));
    unlink(path);

    path = write_temp("nonsense:\n  deeper: 1\n");
    assert_int_not_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "nonsense"));
    unlink(path);

    path = write_temp("processor: [1, 2\n");
    assert_int_not_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    unlink(path);

    assert_int_equal(
        dp_config_load_yaml(&c, "/nonexistent/dagprof.yaml", err, sizeof(err)),
        DP_EIO);
    assert_non_null(strstr(err, "/nonexistent/dagprof.yaml"));
    dp_config_fini(&c);
}

/* The Collector's receivers.otlp.protocols.* layout is an alias, and a
 * near miss names the key that was probably meant; a far miss does not. */
static void test_config_collector_layout_and_did_you_mean(void **state)
{
    (void)state;
    dp_config c;
    char err[512];
    dp_config_init(&c);
    const char *path = write_temp("receivers:\n"
                                  "  otlp:\n"
                                  "    protocols:\n"
                                  "      grpc: { endpoint: 0.0.0.0:4317 }\n"
                                  "      http:\n"
                                  "        endpoint: 0.0.0.0:4318\n"
                                  "        tls: { cert_file: c.pem }\n");
    assert_int_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_string_equal(c.grpc_endpoint, "0.0.0.0:4317");
    assert_string_equal(c.http_endpoint, "0.0.0.0:4318");
    assert_string_equal(c.http_tls_cert_file, "c.pem");
    unlink(path);
    assert_int_equal(dp_config_set(&c, "receivers.otlp.protocols.grpc.endpoint",
                                   "127.0.0.1:1", err, sizeof(err)),
                     0);
    assert_string_equal(c.grpc_endpoint, "127.0.0.1:1");
    /* history.store is another name of history.path. */
    path = write_temp("history:\n  store: clickhouse://127.0.0.1:8123/h\n");
    assert_int_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_string_equal(c.history_path, "clickhouse://127.0.0.1:8123/h");
    unlink(path);
    assert_int_equal(
        dp_config_set(&c, "history.store", "h.db", err, sizeof(err)), 0);
    assert_string_equal(c.history_path, "h.db");

    path = write_temp("processor:\n  grase: 1s\n");
    assert_int_not_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "did you mean 'processor.grace'?"));
    unlink(path);
    path = write_temp("receivers:\n  otlp:\n    grcp: { endpoint: x:1 }\n");
    assert_int_not_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "did you mean 'receivers.otlp.grpc'?"));
    unlink(path);
    path = write_temp("receivers:\n  otlp:\n    protocols:\n"
                      "      http: { endpont: x:1 }\n");
    assert_int_not_equal(dp_config_load_yaml(&c, path, err, sizeof(err)), 0);
    assert_non_null(
        strstr(err, "did you mean 'receivers.otlp.http.endpoint'?"));
    unlink(path);
    assert_int_equal(dp_config_set(&c, "frobnicate", "1", err, sizeof(err)),
                     DP_ENOENT);
    assert_null(strstr(err, "did you mean"));
    dp_config_fini(&c);
}

static void test_config_precedence_flag_env_file(void **state)
{
    (void)state;
    dp_config c;
    char err[512];
    const char *path =
        write_temp("processor:\n  grace: 3s\n  idle_timeout: 40s\n"
                   "  max_traces: 7\n");
    char *cfgpath = strdup(path);
    setenv("DAGPROF_PROCESSOR_IDLE_TIMEOUT", "50s", 1);
    setenv("DAGPROF_PROCESSOR_MAX_TRACES", "8", 1);
    char *argv[] = {"serve",          "--config",   cfgpath, "--max-traces=9",
                    "--print-config", "positional", NULL};
    int argc = 6;
    dp_config_init(&c);
    int rest = dp_config_from_args(&c, argc, argv, err, sizeof(err));
    assert_int_equal(rest, 3);
    assert_string_equal(argv[1], "--print-config");
    assert_string_equal(argv[2], "positional");
    assert_int_equal(c.grace_ns, 3000000000ULL);         /* file */
    assert_int_equal(c.idle_timeout_ns, 50000000000ULL); /* env beats file */
    assert_int_equal(c.max_traces, 9);                   /* flag beats env */
    dp_config_fini(&c);

    /* A bad environment value names the variable. */
    setenv("DAGPROF_PROCESSOR_GRACE", "soon", 1);
    char *argv2[] = {"serve", NULL};
    dp_config_init(&c);
    assert_int_equal(dp_config_from_args(&c, 1, argv2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "DAGPROF_PROCESSOR_GRACE"));
    dp_config_fini(&c);
    unsetenv("DAGPROF_PROCESSOR_GRACE");
    unsetenv("DAGPROF_PROCESSOR_IDLE_TIMEOUT");
    unsetenv("DAGPROF_PROCESSOR_MAX_TRACES");

    /* A flag without its value. */
    char *argv3[] = {"serve", "--grace", NULL};
    dp_config_init(&c);
    assert_int_equal(dp_config_from_args(&c, 2, argv3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--grace"));
    dp_config_fini(&c);
    unlink(cfgpath);
    free(cfgpath);
}

/* k's value in c as --print-config writes it (malloc'ed). */
static char *value_text(const dp_config *c, const struct dp__config_key *k)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    dp__config_print_value(c, k, f);
    fclose(f);
    return text;
}

static void test_config_print_round_trip(void **state)
{
    (void)state;
    dp_config a, b;
    char err[512];
    /* Characters YAML refuses or folds when raw (tab, CR, C0 and C1
     * controls, DEL, NEL, U+2028, U+FEFF) and a path longer than any
     * fixed buffer must come back unchanged. */
    char odd[1200] = "a\tb\r\nc\x01\x7f\xc2\x85\xc2\x9f\xe2\x80\xa8\xef\xbb\xbf"
                     "\xe2\x82\xac \\ \"";
    memset(odd + strlen(odd), 'x', 1000);
    dp_config_init(&a);
    assert_int_equal(dp_config_set(&a, "pricing.file", odd, err, sizeof(err)),
                     0);
    assert_int_equal(
        dp_config_set(&a, "processor.grace", "1500ms", err, sizeof(err)), 0);
    assert_int_equal(dp_config_set(&a, "output", "/tmp/x \"quoted\".jsonl", err,
                                   sizeof(err)),
                     0);
    assert_int_equal(dp_config_set(&a, "analysis.parallelize.efficiency_below",
                                   "0.65", err, sizeof(err)),
                     0);
    assert_int_equal(dp_config_set(&a, "receivers.otlp.grpc.max_message_size",
                                   "5000", err, sizeof(err)),
                     0);
    assert_int_equal(dp_config_set(&a, "output_mode", "0640", err, sizeof(err)),
                     0);
    char path[] = "/tmp/dp_config_print_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    dp_config_print(&a, f);
    fclose(f);
    dp_config_init(&b);
    assert_int_equal(dp_config_load_yaml(&b, path, err, sizeof(err)), 0);
    assert_int_equal(b.grace_ns, 1500000000ULL);
    assert_string_equal(b.output, "/tmp/x \"quoted\".jsonl");
    assert_true(b.analysis.parallelize_efficiency_below == 0.65);
    assert_int_equal(b.grpc_max_message, 5000);
    assert_int_equal(b.output_mode, 0640);
    assert_string_equal(b.pricing_file, odd);
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        char *va = value_text(&a, &dp__config_keys[i]),
             *vb = value_text(&b, &dp__config_keys[i]);
        assert_string_equal(va, vb);
        free(va);
        free(vb);
    }
    unlink(path);
    dp_config_fini(&a);
    dp_config_fini(&b);
}

static void test_config_help_lists_every_key(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dp_config_help(f);
    fclose(f);
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        char flag[128], env[128];
        assert_non_null(strstr(text, dp__config_keys[i].key));
        if (!dp__config_keys[i].flag)
            continue; /* YAML only */
        snprintf(flag, sizeof(flag), "--%s", dp__config_keys[i].flag);
        dp__config_env_name(dp__config_keys[i].key, env, sizeof(env));
        assert_non_null(strstr(text, flag));
        assert_non_null(strstr(text, env));
    }
    free(text);
}

/* docs/configuration.md holds the table as dp_config_markdown prints it. */
static void test_config_docs_match_table(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dp_config_markdown(f);
    fclose(f);
    FILE *doc = fopen(DP_SOURCE_DIR "/docs/configuration.md", "r");
    assert_non_null(doc);
    char *docs = calloc(1, 1 << 20);
    size_t n = fread(docs, 1, (1 << 20) - 1, doc);
    fclose(doc);
    docs[n] = '\0';
    if (!strstr(docs, text))
        fail_msg("docs/configuration.md is out of date: regenerate the table "
                 "with `dagprof serve --help-markdown`");
    free(docs);
    free(text);
}

/* The connection limits of both receivers: defaults, 0 where it means
 * "off", and the ranges. */
static void test_config_connection_limits(void **state)
{
    (void)state;
    dp_config c;
    char err[256];
    dp_config_init(&c);
    assert_int_equal(c.http_max_connections, 1024);
    assert_int_equal(c.http_max_connections_per_peer, 256);
    assert_int_equal(c.http_header_timeout_ns, 10000000000ULL);
    assert_int_equal(c.http_idle_timeout_ns, 30000000000ULL);
    assert_int_equal(c.grpc_handshake_timeout_ns, 10000000000ULL);
    assert_int_equal(c.grpc_max_connection_idle_ns, 300000000000ULL);
    assert_int_equal(c.grpc_max_connection_age_ns, 1800000000000ULL);
    assert_int_equal(c.grpc_max_connection_age_grace_ns, 30000000000ULL);
    assert_int_equal(c.grpc_keepalive_time_ns, 120000000000ULL);
    assert_int_equal(c.grpc_keepalive_timeout_ns, 20000000000ULL);
    assert_int_equal(c.grpc_keepalive_min_ping_ns, 10000000000ULL);
    assert_int_equal(c.grpc_max_concurrent_streams, 100);
    assert_int_equal(dp_config_set(&c, "receivers.otlp.grpc.max_connection_age",
                                   "0", err, sizeof(err)),
                     0);
    assert_int_equal(c.grpc_max_connection_age_ns, 0);
    assert_int_equal(dp_config_set(&c, "receivers.otlp.http.header_timeout",
                                   "2s", err, sizeof(err)),
                     0);
    assert_int_equal(c.http_header_timeout_ns, 2000000000ULL);
    const char *bad[][2] = {
        {"receivers.otlp.http.max_connections", "0"},
        {"receivers.otlp.http.max_connections_per_peer", "0"},
        {"receivers.otlp.http.header_timeout", "0"},
        {"receivers.otlp.grpc.handshake_timeout", "10ms"},
        {"receivers.otlp.grpc.max_connection_idle", "600h"},
        {"receivers.otlp.grpc.max_concurrent_streams", "0"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(
            dp_config_set(&c, bad[i][0], bad[i][1], err, sizeof(err)),
            DP_EINVAL);
        assert_non_null(strstr(err, bad[i][0]));
    }
    dp_config_fini(&c);
}

/* The table's shape: a row with rows below it is a block (the printer
 * nests them under it), rows sharing a dotted prefix are adjacent (else
 * --print-config would repeat a mapping key), every default and enum
 * choice parses, and flag-less rows are the YAML-only ones. */
static void check_rows(const struct dp__config_key *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *k = rows[i].key;
        size_t kl = strlen(k);
        for (size_t j = 0; j < n; j++)
            if (strncmp(rows[j].key, k, kl) == 0 && rows[j].key[kl] == '.' &&
                rows[i].type != K_BLOCK)
                fail_msg("%s has keys below it but is not a block", k);
        /* Every proper prefix of k: its rows form one run. */
        for (size_t p = 0; p < kl; p++) {
            if (k[p] != '.')
                continue;
            bool in = false, left = false;
            for (size_t j = 0; j < n; j++) {
                bool under = strncmp(rows[j].key, k, p) == 0 &&
                             (rows[j].key[p] == '.' || rows[j].key[p] == '\0');
                if (under && left)
                    fail_msg("rows under %.*s are not adjacent", (int)p, k);
                if (in && !under)
                    left = true;
                in = in || under;
            }
        }
        if (rows[i].type == K_ENUM) {
            assert_non_null(rows[i].choices);
            assert_non_null(rows[i].def);
        }
        if (rows[i].type == K_LIST) {
            assert_non_null(rows[i].list);
            check_rows(rows[i].list->rows, rows[i].list->n_rows);
        }
        /* The sections' keys are YAML only; every core key has a flag. */
        bool section = strncmp(k, "exporters", 9) == 0 ||
                       strncmp(k, "alerts", 6) == 0 || rows != dp__config_keys;
        assert_true((rows[i].flag == NULL) == section);
    }
}

static void test_config_table_shape(void **state)
{
    (void)state;
    check_rows(dp__config_keys, dp__config_n_keys);
}

/* examples/dagprof.yaml is --print-config of the defaults, after its
 * comment lines. */
static void test_config_example_is_print_config(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    dp_config c;
    dp_config_init(&c);
    FILE *f = open_memstream(&text, &len);
    dp_config_print(&c, f);
    fclose(f);
    dp_config_fini(&c);
    FILE *ex = fopen(DP_SOURCE_DIR "/examples/dagprof.yaml", "r");
    assert_non_null(ex);
    char *body = calloc(1, 1 << 20), line[1024];
    size_t o = 0;
    while (fgets(line, sizeof(line), ex))
        if (line[0] != '#')
            o += (size_t)snprintf(body + o, (1 << 20) - o, "%s", line);
    fclose(ex);
    if (strcmp(body, text) != 0)
        fail_msg("examples/dagprof.yaml is out of date: regenerate it with "
                 "`dagprof serve --print-config`");
    free(body);
    free(text);
}

static void test_config_durability(void **state)
{
    (void)state;
    dp_config c;
    char err[256];
    dp_config_init(&c);
    assert_string_equal(c.durability, "none");
    assert_string_equal(c.wal_dir, "dagprof-data/wal");
    assert_int_equal(c.wal_sync_interval_ns, 0);
    assert_int_equal(c.wal_sync_requests, 16);
    assert_int_equal(c.wal_segment_size, 64ULL << 20);
    assert_int_equal(dp_config_set(&c, "durability", "wal", err, sizeof(err)),
                     0);
    assert_string_equal(c.durability, "wal");
    assert_int_equal(
        dp_config_set(&c, "wal.sync_interval", "2ms", err, sizeof(err)), 0);
    assert_int_equal(c.wal_sync_interval_ns, 2000000ULL);
    assert_int_equal(dp_config_set(&c, "durability", "fsync", err, sizeof(err)),
                     DP_EINVAL);
    assert_non_null(strstr(err, "none or wal"));
    assert_string_equal(c.durability, "wal"); /* unchanged */
    assert_int_equal(
        dp_config_set(&c, "wal.segment_size", "1KiB", err, sizeof(err)),
        DP_EINVAL);
    assert_int_equal(
        dp_config_set(&c, "wal.sync_requests", "0", err, sizeof(err)),
        DP_EINVAL);
    dp_config_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_value_types),
        cmocka_unit_test(test_config_yaml_nested_and_errors),
        cmocka_unit_test(test_config_collector_layout_and_did_you_mean),
        cmocka_unit_test(test_config_precedence_flag_env_file),
        cmocka_unit_test(test_config_print_round_trip),
        cmocka_unit_test(test_config_help_lists_every_key),
        cmocka_unit_test(test_config_docs_match_table),
        cmocka_unit_test(test_config_table_shape),
        cmocka_unit_test(test_config_example_is_print_config),
        cmocka_unit_test(test_config_connection_limits),
        cmocka_unit_test(test_config_durability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
