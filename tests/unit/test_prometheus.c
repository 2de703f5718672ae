/*
 * test_prometheus.c - unit tests for exporter/prometheus.c: the exposition
 * for the hand-built code-review profile (profile_fixture.h) plus an empty
 * run of the same DAG, checked line by line against hand-computed values
 * (histogram buckets, sums, counts, token and cost counters by model and
 * type, node histograms, bottleneck counters); dagprof's own counters from
 * the stats callback; label escaping; max_series overflow into "_other";
 * hostile label values (invalid UTF-8, quotes, backslashes, newlines, 10 KB
 * ids) made valid and capped at 256 bytes; and `promtool check metrics` on
 * the exposition (promtool must be
 * installed in CI: a missing promtool fails there and skips elsewhere).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "exporters.h"
#include "profile_fixture.h"

static void feed(dp_prometheus *p, dp_profile *pr)
{
    dp_record r;
    memset(&r, 0, sizeof(r));
    r.kind = DP_RECORD_PROFILE;
    r.profile = pr;
    assert_int_equal(dp_prometheus_ops.export(p, &r), DP_EXPORTER_OK);
}

static char *render(dp_prometheus *p, dp_buf *b)
{
    dp_buf_init(b);
    assert_int_equal(dp_prometheus_render(p, b), 0);
    assert_non_null(b->data);
    return b->data;
}

/* Asserts that text has line as one whole line. */
static void has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *q = text; (q = strstr(q, line)) != NULL; q++)
        if ((q == text || q[-1] == '\n') && q[n] == '\n')
            return;
    fail_msg("missing line: %s\n--- exposition ---\n%s", line, text);
}

static void lacks(const char *text, const char *s)
{
    if (strstr(text, s))
        fail_msg("unexpected: %s", s);
}

static void fake_stats(void *user, dp_prom_self_stats *s)
{
    (void)user;
    s->spans_received = 120;
    s->spans_rejected = 3;
    s->spans_late = 2;
    s->traces_in_memory = 5;
    s->traces_evicted = 1;
    s->traces_not_agent = 4;
    s->profiles_emitted = 9;
    s->n_exporters = 2;
    s->exporters[0] = (dp_exporter_stats){.name = "jsonl", .exported = 9};
    s->exporters[1] = (dp_exporter_stats){.name = "webhook",
                                          .queued = 4,
                                          .exported = 1,
                                          .retries = 6,
                                          .dropped = 7,
                                          .dropped_profiles = 5,
                                          .dropped_alerts = 2,
                                          .dropped_spans = 100,
                                          .blocked_ns = 1500000000};
}

static void test_prometheus_code_review_exposition(void **state)
{
    (void)state;
    char err[128];
    dp_fixture f, e;
    dp_fixture_code_review(&f);
    dp_fixture_empty(&e);
    e.p.dag_id = "code-review-dag";
    e.p.complete = false;
    e.p.incomplete_reason = DP_INCOMPLETE_ROOT_MISSING;
    dp_prometheus *p = dp_prometheus_create(NULL, err, sizeof(err));
    assert_non_null(p);
    feed(p, &f.p);
    feed(p, &e.p);
    dp_buf b;
    const char *t = render(p, &b);
#define D "dagprof_dag_run_duration_seconds"
#define L "{dag=\"code-review-dag\""
    has_line(t, "# HELP " D " Wall time of finished DAG runs.");
    has_line(t, "# TYPE " D " histogram");
    /* Runs of 16 s and 0 s. */
    has_line(t, D "_bucket" L ",le=\"0.01\"} 1");
    has_line(t, D "_bucket" L ",le=\"10.24\"} 1");
    has_line(t, D "_bucket" L ",le=\"20.48\"} 2");
    has_line(t, D "_bucket" L ",le=\"81.92\"} 2");
    has_line(t, D "_bucket" L ",le=\"+Inf\"} 2");
    has_line(t, D "_sum" L "} 16");
    has_line(t, D "_count" L "} 2");
#undef D
#define D "dagprof_dag_run_cost_usd"
    /* Costs of $0.3591 and $0. */
    has_line(t, "# TYPE " D " histogram");
    has_line(t, D "_bucket" L ",le=\"0.001\"} 1");
    has_line(t, D "_bucket" L ",le=\"0.25\"} 1");
    has_line(t, D "_bucket" L ",le=\"0.5\"} 2");
    has_line(t, D "_bucket" L ",le=\"+Inf\"} 2");
    has_line(t, D "_sum" L "} 0.3591");
    has_line(t, D "_count" L "} 2");
#undef D
    has_line(t, "dagprof_dag_runs_incomplete_total" L "} 1");
    /* Tokens per call, summed by model (calls 3, 5, 6, 8, 9, 11, 12). */
#define T "dagprof_tokens_total" L
    has_line(t, "# TYPE dagprof_tokens_total counter");
    has_line(t, T ",model=\"claude-haiku-4-5\",type=\"input\"} 4800");
    has_line(t, T ",model=\"claude-haiku-4-5\",type=\"output\"} 1080");
    has_line(t, T ",model=\"claude-haiku-4-5\",type=\"cache_read\"} 0");
    has_line(t, T ",model=\"claude-sonnet-4-5\",type=\"input\"} 11000");
    has_line(t, T ",model=\"claude-sonnet-4-5\",type=\"output\"} 4120");
    has_line(t, T ",model=\"claude-sonnet-4-5\",type=\"cache_read\"} 2000");
    has_line(t, T ",model=\"claude-sonnet-4-5\",type=\"cache_write\"} 1000");
    has_line(t, T ",model=\"claude-opus-4-1\",type=\"input\"} 7500");
    has_line(t, T ",model=\"claude-opus-4-1\",type=\"output\"} 1950");
    has_line(t, T ",model=\"claude-opus-4-1\",type=\"reasoning\"} 400");
    has_line(t, T ",model=\"acme-summarizer-v2\",type=\"input\"} 400");
    has_line(t, T ",model=\"acme-summarizer-v2\",type=\"output\"} 100");
#undef T
#define C "dagprof_cost_usd_total" L
    has_line(t, "# TYPE dagprof_cost_usd_total counter");
    has_line(t, C ",model=\"claude-haiku-4-5\"} 0.0102");
    has_line(t, C ",model=\"claude-sonnet-4-5\"} 0.09015");
    has_line(t, C ",model=\"claude-opus-4-1\"} 0.25875");
    has_line(t, C ",model=\"acme-summarizer-v2\"} 0");
#undef C
#define N "dagprof_node_execution_seconds"
    has_line(t, "# TYPE " N " histogram");
    has_line(t, N "_bucket" L ",node=\"review-performance\",le=\"5.12\"} 0");
    has_line(t, N "_bucket" L ",node=\"review-performance\",le=\"10.24\"} 1");
    has_line(t, N "_sum" L ",node=\"review-performance\"} 8.984875");
    has_line(t, N "_count" L ",node=\"review-performance\"} 1");
    has_line(t, N "_bucket" L ",node=\"fetch-code\",le=\"2.56\"} 0");
    has_line(t, N "_bucket" L ",node=\"fetch-code\",le=\"5.12\"} 1");
    has_line(t, N "_sum" L ",node=\"fetch-code\"} 3.42125");
    has_line(t, N "_sum" L ",node=\"aggregate-results\"} 3.39");
#undef N
    has_line(t, "dagprof_bottlenecks_total" L ",type=\"dependency_wait\"} 1");
    lacks(t, "type=\"slow_node\"");
    has_line(t, "dagprof_series_overflow_total{label=\"dag\"} 0");
    /* No stats callback: no self metrics. */
    lacks(t, "dagprof_spans_received_total");
#undef L
    dp_buf_fini(&b);
    dp_prometheus_ops.destroy(p);
}

static void test_prometheus_self_counters(void **state)
{
    (void)state;
    char err[128];
    dp_prometheus_config c = {.stats = fake_stats};
    dp_prometheus *p = dp_prometheus_create(&c, err, sizeof(err));
    dp_buf b;
    const char *t = render(p, &b);
    has_line(t, "# TYPE dagprof_spans_received_total counter");
    has_line(t, "dagprof_spans_received_total 120");
    has_line(t, "dagprof_spans_rejected_total 3");
    has_line(t, "dagprof_spans_late_total 2");
    has_line(t, "# TYPE dagprof_traces_in_memory gauge");
    has_line(t, "dagprof_traces_in_memory 5");
    has_line(t, "dagprof_traces_evicted_total 1");
    has_line(t, "dagprof_traces_not_agent_total 4");
    has_line(t, "dagprof_profiles_emitted_total 9");
    has_line(t, "# TYPE dagprof_exporter_queue_depth gauge");
    has_line(t, "dagprof_exporter_queue_depth{exporter=\"webhook\"} 4");
    has_line(t, "dagprof_exporter_exported_total{exporter=\"jsonl\"} 9");
    has_line(t, "dagprof_exporter_retries_total{exporter=\"webhook\"} 6");
    has_line(t, "# TYPE dagprof_exporter_dropped_total counter");
    has_line(t, "dagprof_exporter_dropped_total{exporter=\"webhook\","
                "kind=\"profile\"} 5");
    has_line(t, "dagprof_exporter_dropped_total{exporter=\"webhook\","
                "kind=\"alert\"} 2");
    has_line(t, "dagprof_exporter_dropped_total{exporter=\"jsonl\","
                "kind=\"profile\"} 0");
    has_line(t, "dagprof_exporter_dropped_spans_total{exporter=\"webhook\"} "
                "100");
    has_line(t, "dagprof_exporter_blocked_seconds_total{exporter=\"webhook\"}"
                " 1.5");
    has_line(t, "dagprof_exporter_blocked_seconds_total{exporter=\"jsonl\"} "
                "0");
    dp_buf_fini(&b);
    dp_prometheus_ops.destroy(p);
}

static void test_prometheus_max_series_overflow(void **state)
{
    (void)state;
    char err[128];
    dp_prometheus_config c = {.max_series = 2};
    dp_prometheus *p = dp_prometheus_create(&c, err, sizeof(err));
    const char *dags[] = {"a-dag", "b-dag", "c-dag", "d-dag", "a-dag"};
    for (int i = 0; i < 5; i++) {
        dp_fixture e;
        dp_fixture_empty(&e);
        e.p.dag_id = dags[i];
        feed(p, &e.p);
    }
    dp_fixture f;
    dp_fixture_code_review(&f);
    f.p.dag_id = "b-dag";
    feed(p, &f.p);
    dp_buf b;
    const char *t = render(p, &b);
    has_line(t, "dagprof_dag_run_duration_seconds_count{dag=\"a-dag\"} 2");
    has_line(t, "dagprof_dag_run_duration_seconds_count{dag=\"b-dag\"} 2");
    has_line(t, "dagprof_dag_run_duration_seconds_count{dag=\"_other\"} 2");
    lacks(t, "c-dag");
    lacks(t, "d-dag");
    has_line(t, "dagprof_series_overflow_total{label=\"dag\"} 2");
    /* Nodes in profile order: fetch-code, analyze-complexity keep their
     * series; the other three fold into node="_other". */
    has_line(t, "dagprof_node_execution_seconds_count{dag=\"b-dag\","
                "node=\"fetch-code\"} 1");
    has_line(t, "dagprof_node_execution_seconds_count{dag=\"b-dag\","
                "node=\"_other\"} 3");
    has_line(t, "dagprof_node_execution_seconds_sum{dag=\"b-dag\","
                "node=\"_other\"} 16.065375"); /* 3.6905+8.984875+3.39 */
    has_line(t, "dagprof_series_overflow_total{label=\"node\"} 3");
    /* Models in call order: haiku, opus keep theirs; sonnet (2 calls, 1
     * cost entry) and acme (1 call) fold: 4 folds. */
    has_line(t, "dagprof_tokens_total{dag=\"b-dag\",model=\"_other\","
                "type=\"input\"} 11400");
    has_line(t, "dagprof_cost_usd_total{dag=\"b-dag\",model=\"_other\"} "
                "0.09015");
    has_line(t, "dagprof_series_overflow_total{label=\"model\"} 4");
    dp_buf_fini(&b);
    dp_prometheus_ops.destroy(p);
}

static void test_prometheus_label_values_escaped(void **state)
{
    (void)state;
    char err[128];
    dp_prometheus *p = dp_prometheus_create(NULL, err, sizeof(err));
    dp_fixture e;
    dp_fixture_empty(&e);
    e.p.dag_id = "say \"hi\"\\n\nx";
    feed(p, &e.p);
    dp_buf b;
    const char *t = render(p, &b);
    has_line(t, "dagprof_dag_run_duration_seconds_count{dag=\"say "
                "\\\"hi\\\"\\\\n\\nx\"} 1");
    dp_buf_fini(&b);
    dp_prometheus_ops.destroy(p);
}

/* Runs `promtool check metrics` on text: fails the test unless it exits 0
 * with no message (lint warnings are messages too). Skips (fails in CI)
 * when promtool is not installed. */
static void promtool_check(const char *text, size_t len)
{
    const char *ci = getenv("CI");
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        if (ci && ci[0])
            fail_msg("promtool is not installed (scripts/setup.sh installs "
                     "Debian's prometheus package)");
        skip();
    }
    char path[] = "/tmp/dp-test-prom.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
    FILE *out = popen(cmd, "r");
    char msg[4096] = "";
    size_t n = fread(msg, 1, sizeof(msg) - 1, out);
    msg[n] = '\0';
    int status = pclose(out);
    unlink(path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != 0)
        fail_msg("promtool check metrics: status %d: %s", status, msg);
}

static void test_prometheus_promtool_accepts_exposition(void **state)
{
    (void)state;
    char err[128];
    dp_prometheus_config c = {.stats = fake_stats};
    dp_prometheus *p = dp_prometheus_create(&c, err, sizeof(err));
    dp_fixture f, e;
    dp_fixture_code_review(&f);
    dp_fixture_empty(&e);
    e.p.dag_id = "odd \"dag\"";
    feed(p, &f.p);
    feed(p, &e.p);
    dp_buf b;
    render(p, &b);
    promtool_check(b.data, b.len);
    dp_buf_fini(&b);
    dp_prometheus_ops.destroy(p);
}

/* True when s[0..n) is valid UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF). */
static bool valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t bad = 0,
               k = dp__utf8_seq((const unsigned char *)s + i, n - i, &bad);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* The longest label value in text, unescaped length in bytes. */
static size_t longest_label(const char *text)
{
    size_t best = 0;
    for (const char *q = text; (q = strstr(q, "=\"")) != NULL;) {
        size_t n = 0;
        for (q += 2; *q && *q != '"'; q++, n++)
            if (*q == '\\')
                q++;
        best = n > best ? n : best;
    }
    return best;
}

/* DAG ids, node ids and model names as hostile as traces can carry them:
 * invalid UTF-8 (stray continuation bytes, truncated sequences, overlong
 * forms, surrogates, bytes above F4), quotes, backslashes, newlines, and
 * 10 KB strings, one of them with a multi-byte character across the cut.
 * promtool accepts the exposition, every label value is valid UTF-8 of at
 * most 256 bytes, and invalid bytes become U+FFFD. */
static void test_prometheus_hostile_label_values(void **state)
{
    (void)state;
    static char big_dag[10240], big_node[10240], big_model[10240];
    /* 255 ASCII bytes then a 3-byte character: the cut falls inside it. */
    memset(big_dag, 'd', sizeof(big_dag) - 1);
    memcpy(big_dag + 255, "\xE2\x82\xAC", 3);
    /* Quotes, backslashes and newlines all the way. */
    for (size_t i = 0; i < sizeof(big_node) - 1; i++)
        big_node[i] = "\"\\\nn"[i % 4];
    /* Invalid bytes all the way. */
    memset(big_model, 0xFF, sizeof(big_model) - 1);
    const char *dags[] = {"bad\xC3(",
                          "\x80\x80lead",
                          "over\xC0\xAFlong",
                          "sur\xED\xA0\x80",
                          "big\xF5\x80\x80\x80",
                          "cut\xE2\x82",
                          "q\"uo\\te\nnl",
                          big_dag,
                          "\xF0\x9F\x98\x80 ok"};
    const char *nodes[] = {"n\xFFode", "a\"b", "c\\d", "e\nf", big_node};
    const char *models[] = {"gpt\xC3\x28", "m\"\\\n", big_model};
    char err[128];
    dp_prometheus_config c = {.stats = fake_stats, .max_series = 1000};
    dp_prometheus *p = dp_prometheus_create(&c, err, sizeof(err));
    for (size_t i = 0; i < sizeof(dags) / sizeof(dags[0]); i++) {
        dp_fixture f;
        dp_fixture_code_review(&f);
        f.p.dag_id = dags[i];
        for (size_t k = 0; k < f.p.n_nodes; k++)
            f.nodes[k].id = nodes[(i + k) % 5];
        for (size_t k = 0; k < f.p.n_calls; k++)
            if (f.calls[k].kind == DP_CALL_LLM)
                f.calls[k].name = models[(i + k) % 3];
        for (size_t k = 0; k < f.p.n_cost_by_model; k++)
            f.cost_by_model[k].name = models[(i + k) % 3];
        feed(p, &f.p);
    }
    dp_buf b;
    const char *t = render(p, &b);
    assert_true(valid_utf8(t, b.len));
    assert_true(longest_label(t) <= 256);
    promtool_check(b.data, b.len);
    /* The 10 KB id is cut before the character that does not fit whole. */
    char want[512];
    snprintf(want, sizeof(want),
             "dagprof_dag_run_duration_seconds_count{dag=\"%.*s\"} 1", 255,
             big_dag);
    has_line(t, want);
    /* Invalid bytes become U+FFFD; escapes as the format asks. */
    has_line(t,
             "dagprof_dag_run_duration_seconds_count{dag=\"bad\xEF\xBF\xBD(\"}"
             " 1");
    has_line(t,
             "dagprof_dag_run_duration_seconds_count{dag=\"cut\xEF\xBF\xBD\"}"
             " 1");
    has_line(t, "dagprof_dag_run_duration_seconds_count{dag=\"q\\\"uo\\\\te"
                "\\nnl\"} 1");
    has_line(t, "dagprof_dag_run_duration_seconds_count{dag=\"\xF0\x9F\x98\x80 "
                "ok\"} 1");
    /* 10 KB of 0xFF: 85 replacement characters (255 bytes) fit. */
    char fffd[256 + 1] = "";
    for (int i = 0; i < 85; i++)
        strcat(fffd, "\xEF\xBF\xBD");
    snprintf(want, sizeof(want), "model=\"%s\"", fffd);
    assert_non_null(strstr(t, want));
    dp_buf_fini(&b);
    dp_prometheus_ops.destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prometheus_code_review_exposition),
        cmocka_unit_test(test_prometheus_self_counters),
        cmocka_unit_test(test_prometheus_max_series_overflow),
        cmocka_unit_test(test_prometheus_label_values_escaped),
        cmocka_unit_test(test_prometheus_promtool_accepts_exposition),
        cmocka_unit_test(test_prometheus_hostile_label_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
