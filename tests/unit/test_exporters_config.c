/*
 * test_exporters_config.c - the `exporters:` and `alerts:` sections read
 * through the configuration table (src/config_keys.c) by its loader, and
 * the pipeline built from them (exporter/exporters_config.c). Checked:
 * examples/dagprof-exporters.yaml parses to the documented values; every
 * exporter key; a rule that does not parse stops loading with a message
 * naming file:line and the rule; unknown exporters and keys; the default
 * pipeline (jsonl to `output`) and the pipeline built from the sections,
 * and the otlp exporter's availability. test_config_sections.c has the
 * table-driven checks of every row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_text.h"
#include "exporters_config.h"
#include "units.h"

/* As in exporters_config.c: the OTLP push exporter is part of the build. */
#if defined(__has_include)
#if __has_include("otlp_push.h")
#define DP_HAVE_OTLP_PUSH 1
#endif
#endif

/* The configuration the sections are read into (one at a time). */
static dp_config g_cfg;

/* Loads YAML text from a file named test.yaml as `serve --config` does;
 * *c points at its sections. Release with done(). */
static int load(dp_exporters_config **c, const char *text, char *err,
                size_t err_len)
{
    *c = &g_cfg.exporters;
    return dp_test_config_load_text(&g_cfg, text, err, err_len);
}

static void done(void)
{
    dp_config_fini(&g_cfg);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_exporters_config_example_file(void **state)
{
    (void)state;
    char err[512] = "";
    dp_exporters_config *c;
    const char *text = slurp(DP_SOURCE_DIR "/examples/dagprof-exporters.yaml");
    if (load(&c, text, err, sizeof(err)))
        fail_msg("example config: %s", err);
    assert_true(c->present);
    assert_true(c->jsonl.on);
    assert_string_equal(c->jsonl.path, "dagprof-data/profiles.jsonl");
    assert_int_equal(c->jsonl.max_size, 100000000);
    assert_int_equal(c->jsonl.max_files, 5);
    assert_true(c->jsonl.alerts);
    assert_true(c->prometheus.on);
    assert_int_equal(c->prometheus.max_series, 100);
    assert_true(c->webhook.on);
    assert_string_equal(c->webhook.url, "http://127.0.0.1:9000/alerts");
    assert_int_equal(c->webhook.timeout_ns, 5000000000ULL);
    assert_int_equal(c->webhook.policy.max_attempts, 5);
    assert_false(c->otlp.on); /* commented out in the example */
    assert_int_equal(dp_alerts_count(c->alerts), 7);
    assert_int_equal(dp_alerts_regression_count(c->alerts), 1);
    const dp_alert_regression *r = dp_alerts_regression_get(c->alerts, 0);
    assert_string_equal(r->name, "version-slower");
    assert_string_equal(r->dag, "code-review-dag");
    assert_true(r->min_change > 0.0999 && r->min_change < 0.1001);
    assert_true(r->p_value > 0.0099 && r->p_value < 0.0101);
    assert_int_equal(r->min_runs, 20);
    done();
}

static void test_exporters_config_every_key(void **state)
{
    (void)state;
    char err[512] = "";
    dp_exporters_config *c;
    const char *text =
        "exporters:\n"
        "  jsonl: { path: out.jsonl, max_size: 1MiB, max_files: 2, mode: "
        "\"0640\",\n"
        "           alerts: false, queue_size: 10, queue_bytes: 2MiB,\n"
        "           max_attempts: 3,\n"
        "           on_full: drop,\n"
        "           initial_backoff: 50ms, max_backoff: 2s, "
        "max_elapsed: 1m30s }\n"
        "  otlp:\n"
        "    endpoint: \"127.0.0.1:4317\"\n"
        "    compression: gzip\n"
        "    timeout: 5s\n"
        "    headers: { authorization: \"Bearer x\", x-tenant: t1 }\n"
        "  prometheus:\n"
        "  webhook: { url: \"http://127.0.0.1:9/a\", timeout: 250ms,\n"
        "             headers: { X-Key: k } }\n";
    if (load(&c, text, err, sizeof(err)))
        fail_msg("%s", err);
    assert_string_equal(c->jsonl.path, "out.jsonl");
    assert_int_equal(c->jsonl.max_size, 1048576);
    assert_int_equal(c->jsonl.max_files, 2);
    assert_int_equal(c->jsonl.mode, 0640);
    assert_false(c->jsonl.alerts);
    assert_int_equal(c->jsonl.policy.queue_size, 10);
    assert_int_equal(c->jsonl.policy.queue_bytes, 2u << 20);
    assert_int_equal(c->otlp.policy.queue_bytes, 64u << 20); /* default */
    assert_int_equal(c->jsonl.policy.on_full, DP_ON_FULL_DROP);
    assert_int_equal(c->jsonl.policy.max_attempts, 3);
    assert_int_equal(c->jsonl.policy.initial_backoff_ns, 50000000ULL);
    assert_int_equal(c->jsonl.policy.max_backoff_ns, 2000000000ULL);
    assert_int_equal(c->jsonl.policy.max_elapsed_ns, 90000000000ULL);
    assert_true(c->otlp.on);
    assert_string_equal(c->otlp.endpoint, "127.0.0.1:4317");
    /* Defaults: network exporters drop, the others block. */
    assert_int_equal(c->otlp.policy.on_full, DP_ON_FULL_DROP);
    assert_int_equal(c->webhook.policy.on_full, DP_ON_FULL_DROP);
    assert_int_equal(c->prometheus.policy.on_full, DP_ON_FULL_BLOCK);
    assert_true(c->otlp.compression == DP_COMPRESSION_GZIP);
    assert_int_equal(c->otlp.timeout_ns, 5000000000ULL);
    assert_int_equal(c->otlp.headers.n, 2);
    assert_string_equal(c->otlp.headers.names[0], "authorization");
    assert_string_equal(c->otlp.headers.values[0], "Bearer x");
    assert_string_equal(c->otlp.headers.names[1], "x-tenant");
    assert_true(c->prometheus.on); /* "prometheus:" alone enables it */
    assert_int_equal(c->prometheus.max_series, 100);
    assert_int_equal(c->webhook.timeout_ns, 250000000ULL);
    assert_int_equal(c->webhook.headers.n, 1);
    assert_string_equal(c->webhook.headers.names[0], "X-Key");
    assert_null(c->alerts);
    done();
}

static void expect_error(const char *text, const char *needle)
{
    char err[512] = "";
    dp_exporters_config *c;
    if (load(&c, text, err, sizeof(err)) == 0)
        fail_msg("loaded:\n%s", text);
    if (!strstr(err, needle))
        fail_msg("message '%s' lacks '%s'", err, needle);
    done();
}

static void test_exporters_config_bad_rule_names_it(void **state)
{
    (void)state;
    expect_error("alerts:\n"
                 "  - name: ok-rule\n"
                 "    condition: wall > 30s\n"
                 "  - name: costly-run\n"
                 "    condition: cost > fifty\n"
                 "    severity: warning\n",
                 "test.yaml:4: alert 'costly-run': condition 'cost > "
                 "fifty': invalid value 'fifty' for cost");
    expect_error("alerts:\n  - name: r\n    condition: wal > 1s\n",
                 "alert 'r': condition 'wal > 1s': unknown field 'wal'");
    expect_error("alerts:\n  - name: r\n    condition: wall > 1s\n"
                 "    severity: urgent\n",
                 "test.yaml:4: alert 'r': alerts[0].severity: invalid value "
                 "'urgent': expected info, warning or critical");
    expect_error("alerts:\n  - name: r\n    condition: wall > 1s\n"
                 "    window: { matches: 4, of: 3 }\n",
                 "alert 'r': window {matches: 4, of: 3}");
    expect_error("alerts:\n  - name: r\n    condition: wall > 1s\n"
                 "    for: 5m\n",
                 "test.yaml:4: alert 'r': unknown configuration key "
                 "'alerts[0].for'");
    expect_error("alerts:\n  - name: v\n    dag: d\n    condition: "
                 "regression\n    min_change: ten\n",
                 "test.yaml:2: alert 'v': min_change 'ten': expected a "
                 "fraction of the baseline p50 such as 0.1, or a percent");
    expect_error("alerts:\n  - name: v\n    condition: regression\n",
                 "alert 'v': condition regression needs dag");
    expect_error("alerts:\n  - name: v\n    condition: wall > 1s\n"
                 "    p_value: 0.01\n",
                 "alert 'v': min_change, p_value and min_runs are only for "
                 "condition: regression");
    expect_error("alerts:\n  - name: v\n    dag: d\n    condition: "
                 "regression\n    min_run: 5\n",
                 "test.yaml:5: alert 'v': unknown configuration key "
                 "'alerts[0].min_run'; did you mean 'alerts[0].min_runs'?");
    expect_error("alerts:\n  - condition: wall > 1s\n", "needs a name");
    expect_error("alerts:\n  name: r\n", "expected a list of rules");
}

static void test_exporters_config_bad_exporters(void **state)
{
    (void)state;
    expect_error("exporters:\n  kafka: {}\n",
                 "test.yaml:2: unknown configuration key 'exporters.kafka' "
                 "(known under exporters: jsonl, otlp, prometheus, webhook)");
    expect_error("exporters:\n  jsonl: { path: x, rotate: yes }\n",
                 "unknown configuration key 'exporters.jsonl.rotate'");
    expect_error("exporters:\n  jsonl: { max_size: big }\n",
                 "exporters.jsonl.max_size: invalid value 'big'");
    expect_error("exporters:\n  webhook: { on_full: wait }\n",
                 "exporters.webhook.on_full: invalid value 'wait': expected "
                 "drop or block");
    expect_error("exporters:\n  jsonl: { mode: 0888 }\n",
                 "exporters.jsonl.mode: invalid value '0888'");
    expect_error("exporters:\n  otlp: { compression: zstd }\n",
                 "exporters.otlp.compression: invalid value 'zstd'");
    expect_error("exporters:\n  webhook: { timeout: soon }\n",
                 "exporters.webhook.timeout: invalid value 'soon'");
    expect_error("exporters:\n  webhook: { queue_bytes: lots }\n",
                 "exporters.webhook.queue_bytes: invalid value 'lots'");
    expect_error("exporters:\n  webhook: { queue_size: 0 }\n",
                 "exporters.webhook.queue_size: invalid value '0'");
    expect_error("exporters:\n  prometheus: { max_series: 0 }\n",
                 "exporters.prometheus.max_series: invalid value '0'");
    expect_error("exporters:\n  otlp: { headers: [a, b] }\n",
                 "exporters.otlp.headers: expected a mapping");
}

static void test_exporters_config_default_pipeline(void **state)
{
    (void)state;
    char err[512] = "", path[] = "/tmp/dp-xcfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    dp_exporters_config *c;
    assert_int_equal(load(&c, "log: {}\n", err, sizeof(err)), 0);
    assert_false(c->present);
    dp_prometheus *prom = (dp_prometheus *)1;
    dp_exporters *e =
        dp_exporters_config_build(c, path, 0600, NULL, &prom, err, sizeof(err));
    assert_non_null(e);
    assert_null(prom);
    assert_int_equal(dp_exporters_count(e), 1);
    dp_exporter_stats s;
    dp_exporters_stats_get(e, 0, &s);
    assert_string_equal(s.name, "jsonl");
    assert_int_equal(s.on_full, DP_ON_FULL_BLOCK); /* never drops a profile */
    dp_exporters_destroy(e);
    done();
    /* A bad output path is an error naming `output`. */
    assert_int_equal(load(&c, "log: {}\n", err, sizeof(err)), 0);
    assert_null(dp_exporters_config_build(c, "/proc/nonexistent-dir/x", 0600,
                                          NULL, NULL, err, sizeof(err)));
    assert_non_null(
        strstr(err, "output: cannot open '/proc/nonexistent-dir/x'"));
    done();
    unlink(path);
}

static void test_exporters_config_built_pipeline(void **state)
{
    (void)state;
    char err[512] = "", text[512], path[] = "/tmp/dp-xcfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    snprintf(text, sizeof(text),
             "exporters:\n"
             "  jsonl: { path: \"%s\" }\n"
             "  prometheus: {}\n"
             "  webhook: { url: \"http://127.0.0.1:9/alerts\" }\n",
             path);
    dp_exporters_config *c;
    assert_int_equal(load(&c, text, err, sizeof(err)), 0);
    dp_prometheus *prom = NULL;
    dp_exporters *e =
        dp_exporters_config_build(c, "-", 0600, NULL, &prom, err, sizeof(err));
    if (!e)
        fail_msg("%s", err);
    assert_non_null(prom);
    assert_int_equal(dp_exporters_count(e), 3);
    const char *want[] = {"jsonl", "prometheus", "webhook"};
    for (size_t i = 0; i < 3; i++) {
        dp_exporter_stats s;
        dp_exporters_stats_get(e, i, &s);
        assert_string_equal(s.name, want[i]);
    }
    dp_exporters_destroy(e);
    done();
    /* A webhook without a url is an error naming it. */
    assert_int_equal(load(&c, "exporters:\n  webhook: {}\n", err, sizeof(err)),
                     0);
    assert_null(
        dp_exporters_config_build(c, "-", 0600, NULL, NULL, err, sizeof(err)));
    assert_string_equal(err, "exporters.webhook: url is required");
    done();
    unlink(path);
}

/* Profiles always have a destination: with an exporters: section that
 * carries none (a webhook for alerts only), `output` (stdout by default)
 * still gets them; a file named by `output` beside an exporters.jsonl gets
 * them too (honoured, never ignored); the same file twice is one writer. */
static void test_exporters_config_profiles_have_a_destination(void **state)
{
    (void)state;
    char err[512] = "", text[512], path[] = "/tmp/dp-xcfg-XXXXXX",
         other[] = "/tmp/dp-xcfg-XXXXXX";
    close(mkstemp(path));
    close(mkstemp(other));
    dp_exporters_config *c;
    dp_exporter_stats s;
    assert_int_equal(load(&c,
                          "exporters:\n  webhook: { url: "
                          "\"http://127.0.0.1:9/a\" }\n",
                          err, sizeof(err)),
                     0);
    dp_exporters *e =
        dp_exporters_config_build(c, "-", 0600, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    assert_int_equal(dp_exporters_count(e), 2);
    dp_exporters_stats_get(e, 1, &s);
    assert_string_equal(s.name, "jsonl");
    dp_exporters_destroy(e);
    done();

    snprintf(text, sizeof(text), "exporters:\n  jsonl: { path: \"%s\" }\n",
             path);
    assert_int_equal(load(&c, text, err, sizeof(err)), 0);
    e = dp_exporters_config_build(c, other, 0600, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    assert_int_equal(dp_exporters_count(e), 2); /* jsonl + output */
    dp_exporters_destroy(e);
    e = dp_exporters_config_build(c, path, 0600, NULL, NULL, err, sizeof(err));
    assert_non_null(e);
    assert_int_equal(dp_exporters_count(e), 1); /* the same file: one */
    dp_exporters_destroy(e);
    e = dp_exporters_config_build(c, "-", 0600, NULL, NULL, err, sizeof(err));
    assert_int_equal(dp_exporters_count(e), 1); /* jsonl carries them */
    dp_exporters_destroy(e);
    done();
    unlink(path);
    unlink(other);
}

static void test_exporters_config_otlp(void **state)
{
    (void)state;
    char err[512] = "";
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT"); /* else it stands in */
    dp_exporters_config *c;
    assert_int_equal(load(&c, "exporters:\n  otlp: {}\n", err, sizeof(err)), 0);
    assert_null(
        dp_exporters_config_build(c, "-", 0600, NULL, NULL, err, sizeof(err)));
    assert_string_equal(err, "exporters.otlp: endpoint is required (or "
                             "OTEL_EXPORTER_OTLP_ENDPOINT)");
    done();
    assert_int_equal(load(&c,
                          "exporters:\n  otlp: { endpoint: "
                          "\"127.0.0.1:4317\" }\n",
                          err, sizeof(err)),
                     0);
    dp_exporters *e =
        dp_exporters_config_build(c, "-", 0600, NULL, NULL, err, sizeof(err));
#ifdef DP_HAVE_OTLP_PUSH
    if (!e)
        fail_msg("%s", err);
    dp_exporter_stats s;
    dp_exporters_stats_get(e, 0, &s);
    assert_string_equal(s.name, "otlp");
    dp_exporters_destroy(e);
#else
    assert_null(e);
    assert_string_equal(err, "exporters.otlp: the OTLP push exporter is not "
                             "available yet in this build");
#endif
    done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exporters_config_example_file),
        cmocka_unit_test(test_exporters_config_every_key),
        cmocka_unit_test(test_exporters_config_bad_rule_names_it),
        cmocka_unit_test(test_exporters_config_bad_exporters),
        cmocka_unit_test(test_exporters_config_default_pipeline),
        cmocka_unit_test(test_exporters_config_built_pipeline),
        cmocka_unit_test(test_exporters_config_otlp),
        cmocka_unit_test(test_exporters_config_profiles_have_a_destination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
