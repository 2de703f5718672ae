/*
 * test_cli_report.c - `dagprof report` as a user runs it: the built binary
 * with real files, checking exit status, messages on stderr and what the
 * configuration (flags, --config) changes in the profile; files that yield
 * no span (empty, blank, tiny, unreadable) are errors naming the file.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "run_cmd.h"

#define BIN DP_BINARY_DIR "/src/dagprof"
#define EXAMPLE DP_SOURCE_DIR "/examples/code-review.jsonl"

static int count_bottlenecks(const char *json_line, const char *type)
{
    json_error_t je;
    json_t *p = json_loads(json_line, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(p);
    json_t *list =
        json_object_get(json_object_get(p, "analysis"), "bottlenecks");
    int n = 0;
    size_t i;
    json_t *b;
    json_array_foreach(list, i, b)
    {
        if (strcmp(json_string_value(json_object_get(b, "type")), type) == 0)
            n++;
    }
    json_decref(p);
    return n;
}

static void test_cli_report_threshold_flag_and_config(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(
        dp_test_run(BIN " report --output json " EXAMPLE, &out, &err), 0);
    /* Defaults: no node executes for more than 2x the mean. */
    assert_int_equal(count_bottlenecks(out, "slow_node"), 0);
    free(out);
    free(err);

    assert_int_equal(
        dp_test_run(BIN " report --output json --slow-node-factor 1.1 " EXAMPLE,
                    &out, &err),
        0);
    /* Mean execution 26559/5 = 5311.8 ms; 1.1x = 5843 ms: review-performance
     * (9026) and check-security (5889) exceed it. */
    assert_int_equal(count_bottlenecks(out, "slow_node"), 2);
    free(out);
    free(err);

    char path[] = "/tmp/dp_cli_cfg_XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "analysis:\n  slow_node:\n    factor: 1.1\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), BIN " report --output json --config %s " EXAMPLE,
             path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_int_equal(count_bottlenecks(out, "slow_node"), 2);
    free(out);
    free(err);
    unlink(path);
}

static void test_cli_report_bad_flag_value_names_key(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(
        dp_test_run(BIN " report --slow-node-factor fast " EXAMPLE, &out, &err),
        2);
    assert_non_null(strstr(err, "analysis.slow_node.factor"));
    free(out);
    free(err);
    assert_int_equal(
        dp_test_run(BIN " report --output yaml " EXAMPLE, &out, &err), 2);
    assert_non_null(strstr(err, "--output"));
    free(out);
    free(err);
    assert_int_equal(dp_test_run(BIN " report", &out, &err), 2);
    free(out);
    free(err);
}

static void test_cli_report_malformed_line_exit_1(void **state)
{
    (void)state;
    char path[] = "/tmp/dp_cli_bad_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    FILE *ex = fopen(EXAMPLE, "r");
    char *line = NULL;
    size_t cap = 0;
    assert_true(getline(&line, &cap, ex) > 0);
    fclose(ex);
    fputs("{\"resourceSpans\": [ this is not json\n", f);
    fputs(line, f);
    fclose(f);
    free(line);
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof(cmd), BIN " report --output json %s", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 1);
    /* The message names the file and line; the good line is profiled. */
    char where[512];
    snprintf(where, sizeof(where), "%s:1", path);
    assert_non_null(strstr(err, where));
    assert_non_null(strstr(out, "\"dagId\":\"code-review-dag\""));
    free(out);
    free(err);
    unlink(path);

    assert_int_equal(
        dp_test_run(BIN " report /nonexistent/trace.json", &out, &err), 1);
    assert_non_null(strstr(err, "/nonexistent/trace.json"));
    free(out);
    free(err);
}

/* An ordinary service trace is not an agent run: no profile, a note on
 * stderr, exit 0; --profile-all-traces true profiles it. */
static void test_cli_report_service_trace_not_profiled(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(dp_test_run(BIN " report " DP_SOURCE_DIR
                                     "/tests/data/report/service-trace.jsonl",
                                 &out, &err),
                     0);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "1 trace(s) had no agent span"));
    free(out);
    free(err);
    assert_int_equal(
        dp_test_run(BIN " report --profile-all-traces true " DP_SOURCE_DIR
                        "/tests/data/report/service-trace.jsonl",
                    &out, &err),
        0);
    assert_non_null(strstr(out, "\"dagId\":\"GET /checkout\""));
    assert_non_null(strstr(out, "\"serviceName\":\"shop\""));
    /* No span reported usage: the counts are null, not 0 ... */
    assert_non_null(strstr(out, "\"totalTokens\":null"));
    assert_string_equal(err, "");
    /* ... and a profile file holding such a run still reads (--summary). */
    char path[] = "/tmp/dp_cli_prof_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, out, strlen(out)), (ssize_t)strlen(out));
    close(fd);
    free(out);
    free(err);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), BIN " report --summary --output json %s", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_non_null(strstr(out, "\"runs\":1"));
    free(out);
    free(err);
    unlink(path);
}

/* A profile file (what serve and --output json write) is rendered as it
 * is: read back and written again it gives the same bytes, and --output
 * text turns it into the report; a line that is not a profile is an error
 * naming the file and line (exit 1). */
static void test_cli_report_renders_profile_files(void **state)
{
    (void)state;
    const char *inputs[] = {EXAMPLE, DP_SOURCE_DIR "/examples/multi-run.jsonl",
                            DP_SOURCE_DIR
                            "/tests/data/agents/langgraph-subgraph.jsonl"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char cmd[1024], *out, *err, *again, *err2;
        snprintf(cmd, sizeof(cmd), BIN " report --output json %s", inputs[i]);
        assert_int_equal(dp_test_run(cmd, &out, &err), 0);
        char path[] = "/tmp/dp_cli_profiles_XXXXXX";
        int fd = mkstemp(path);
        assert_int_equal(write(fd, out, strlen(out)), (ssize_t)strlen(out));
        close(fd);
        snprintf(cmd, sizeof(cmd), BIN " report --output json %s", path);
        assert_int_equal(dp_test_run(cmd, &again, &err2), 0);
        assert_string_equal(again, out); /* byte for byte */
        free(again);
        free(err2);
        snprintf(cmd, sizeof(cmd), BIN " report --output text %s", path);
        assert_int_equal(dp_test_run(cmd, &again, &err2), 0);
        assert_non_null(strstr(again, "performanceProfile:"));
        assert_non_null(strstr(again, "nodeBreakdown:"));
        free(again);
        free(err2);
        /* A second line that is JSON but not a profile. */
        FILE *f = fopen(path, "a");
        fputs("{\"profileId\":\"prof-x\"}\n", f);
        fclose(f);
        assert_int_equal(dp_test_run(cmd, &again, &err2), 1);
        char where[256];
        snprintf(where, sizeof(where), "%s:", path);
        assert_non_null(strstr(err2, where));
        assert_non_null(strstr(err2, "not a profile"));
        free(again);
        free(err2);
        unlink(path);
        free(out);
        free(err);
    }
}

static void test_cli_report_json_and_proto_identical(void **state)
{
    (void)state;
    char *a, *b, *e1, *e2;
    assert_int_equal(dp_test_run(BIN " report --output json " EXAMPLE
                                     " | sed 's/\"profiledAt\":\"[^\"]*\"//'",
                                 &a, &e1),
                     0);
    assert_int_equal(
        dp_test_run(BIN " report --output json --format proto " DP_SOURCE_DIR
                        "/examples/code-review.pb"
                        " | sed 's/\"profiledAt\":\"[^\"]*\"//'",
                    &b, &e2),
        0);
    assert_true(strlen(a) > 1000);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(e1);
    free(e2);
}

/* With the default --window, every file of the examples gives what the
 * whole-input window gives (and, for two of them, what stdin gives), as
 * profiles and, for the multi-run file, as a summary: the default is
 * larger than these files, so nothing is finalized early (the text-report
 * goldens hold the same). */
static void test_cli_report_window_default_is_exact(void **state)
{
    (void)state;
    const struct {
        const char *file, *mode;
        bool stdin_too;
    } cases[] = {
        {EXAMPLE, "--output json", false},
        {DP_SOURCE_DIR "/examples/code-review.pb", "--output json", true},
        {DP_SOURCE_DIR "/examples/multi-run.jsonl", "--output json", true},
        {DP_SOURCE_DIR "/examples/multi-run.jsonl", "--output json --summary",
         false},
    };
    char cmd[2048];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *a, *b, *e1, *e2;
        snprintf(cmd, sizeof(cmd),
                 BIN " report %s %s | sed 's/\"profiledAt\":\"[^\"]*\"//'",
                 cases[i].mode, cases[i].file);
        assert_int_equal(dp_test_run(cmd, &a, &e1), 0);
        snprintf(cmd, sizeof(cmd),
                 BIN " report --window all %s %s"
                     " | sed 's/\"profiledAt\":\"[^\"]*\"//'",
                 cases[i].mode, cases[i].file);
        assert_int_equal(dp_test_run(cmd, &b, &e2), 0);
        assert_true(strlen(a) > 100);
        assert_string_equal(a, b);
        assert_string_equal(e1, "");
        assert_string_equal(e2, "");
        free(b);
        free(e2);
        if (cases[i].stdin_too) {
            snprintf(cmd, sizeof(cmd),
                     "cat %s | " BIN " report %s -"
                     " | sed 's/\"profiledAt\":\"[^\"]*\"//'",
                     cases[i].file, cases[i].mode);
            assert_int_equal(dp_test_run(cmd, &b, &e2), 0);
            assert_string_equal(a, b);
            assert_string_equal(e2, "");
            free(b);
            free(e2);
        }
        free(a);
        free(e1);
    }
}

/* One OTLP/JSON line holding one LLM span of trace t (root when parent is
 * 0). */
static void span_line(FILE *f, int t, int span, int parent)
{
    fprintf(f,
            "{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},"
            "\"scopeSpans\":[{\"spans\":[{\"traceId\":\"%032x\","
            "\"spanId\":\"%016x\",\"parentSpanId\":\"%s%.0d\","
            "\"name\":\"chat\",\"startTimeUnixNano\":\"17000000000%02d000000\","
            "\"endTimeUnixNano\":\"17000000000%02d000000\",\"attributes\":"
            "[{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":"
            "\"chat\"}}]}]}]}]}\n",
            t, span, parent ? "000000000000000" : "", parent, span, span + 50);
}

/* --window 1: trace 1 is finalized when trace 2's span arrives, so its
 * child that comes after is late: counted and named on stderr, not in the
 * profile, exit 0; the default window keeps it. A bad --window is a usage
 * error. */
static void test_cli_report_window_late_spans(void **state)
{
    (void)state;
    char path[1024], cmd[2048];
    snprintf(path, sizeof(path), "%s/test_cli_report.window.json",
             DP_BINARY_DIR);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    span_line(f, 1, 1, 0);
    span_line(f, 2, 1, 0);
    span_line(f, 1, 2, 1);
    fclose(f);

    char *out, *err;
    snprintf(cmd, sizeof(cmd), BIN " report --output json --window 1 %s", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_non_null(strstr(out, "\"spanCount\":1,"));
    assert_null(strstr(out, "\"spanCount\":2,"));
    assert_non_null(strstr(err, "1 span(s) of 1 trace(s) arrived after "
                                "--window 1 spans"));
    assert_non_null(strstr(err, "trace 00000000000000000000000000000001: 1 "
                                "late span(s)"));
    free(out);
    free(err);

    snprintf(cmd, sizeof(cmd), BIN " report --output json %s", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_non_null(strstr(out, "\"spanCount\":2,"));
    assert_string_equal(err, "");
    free(out);
    free(err);

    snprintf(cmd, sizeof(cmd), BIN " report --summary --window 1 %s", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_non_null(strstr(err, "dagprof report: 1 span(s) of 1 trace(s)"));
    free(out);
    free(err);

    snprintf(cmd, sizeof(cmd), BIN " report --window 5s %s", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "--window must be"));
    free(out);
    free(err);
    unlink(path);
}

/* The cost of model in the first profile of out, in USD. */
static double model_cost(const char *json_line, const char *model)
{
    json_error_t je;
    json_t *p = json_loads(json_line, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(p);
    json_t *by = json_object_get(
        json_object_get(json_object_get(p, "metrics"), "totalCost"), "byModel");
    json_t *v = json_object_get(by, model);
    assert_non_null(v);
    double usd = json_number_value(v);
    json_decref(p);
    return usd;
}

/* --pricing and pricing.file read a LiteLLM price map too. */
static void test_cli_report_pricing_litellm_file(void **state)
{
    (void)state;
    const char *m = "claude-sonnet-4-5-20250929";
    char *out, *err;
    assert_int_equal(
        dp_test_run(BIN " report --output json " EXAMPLE, &out, &err), 0);
    double builtin = model_cost(out, m);
    free(out);
    free(err);

    /* Half the list price (3 / 15 per 1M). */
    char path[] = "/tmp/dp_cli_litellm_XXXXXX";
    int fd = mkstemp(path);
    const char *map = "{\"sample_spec\":{\"input_cost_per_token\":0.0},"
                      "\"anthropic/claude-sonnet-4-5-20250929\":{"
                      "\"input_cost_per_token\":1.5e-06,"
                      "\"output_cost_per_token\":7.5e-06,\"mode\":\"chat\"}}";
    assert_int_equal(write(fd, map, strlen(map)), (ssize_t)strlen(map));
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             BIN " report --output json --pricing %s " EXAMPLE, path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_true(builtin > 0.1);
    assert_true(model_cost(out, m) > builtin / 2 - 1e-5 &&
                model_cost(out, m) < builtin / 2 + 1e-5);
    free(out);
    free(err);

    char cfg[] = "/tmp/dp_cli_cfg_XXXXXX";
    fd = mkstemp(cfg);
    char yaml[256];
    snprintf(yaml, sizeof(yaml), "pricing:\n  file: %s\n", path);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    snprintf(cmd, sizeof(cmd), BIN " report --output json --config %s " EXAMPLE,
             cfg);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_true(model_cost(out, m) < builtin / 2 + 1e-5);
    free(out);
    free(err);
    unlink(cfg);

    /* A bad entry: exit 2, the message names the file and the key. */
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *bad = "{\"gpt-x\":{\"input_cost_per_token\":\"cheap\"}}";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    snprintf(cmd, sizeof(cmd), BIN " report --pricing %s " EXAMPLE, path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "\"gpt-x\""));
    free(out);
    free(err);
    unlink(path);
}

/* Writes len bytes of data to a new temporary file named *.pb. */
static void write_tmp(char *path, const void *data, size_t len)
{
    int fd = mkstemps(path, 3);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* A file that yields no span is an error naming the file, never a silent
 * exit 0: empty, blank, one byte that frames an empty request, one byte
 * that is no request at all, and a path that cannot be read. */
static void test_cli_report_empty_or_tiny_file_exit_1(void **state)
{
    (void)state;
    static const struct {
        const char *data;
        size_t len;
        const char *msg; /* in the message (format auto) */
    } cases[] = {
        {"", 0, "no spans in"},       {"\n \n", 3, "no spans in"},
        {"\x00", 1, "no spans in"},   /* a zero-length frame */
        {"\x0a", 1, "no spans in"},   /* whitespace to the JSON sniffer */
        {"x", 1, "malformed"},        /* not a request */
        {"\x0a\x05", 2, "malformed"}, /* a truncated field */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[] = "/tmp/dp_cli_tiny_XXXXXX.pb", cmd[1024], *out, *err;
        write_tmp(path, cases[i].data, cases[i].len);
        for (int proto = 0; proto < 2; proto++) {
            snprintf(cmd, sizeof(cmd), BIN " report --output json%s %s",
                     proto ? " --format proto" : "", path);
            int st = dp_test_run(cmd, &out, &err);
            /* Forced to protobuf, blank bytes are a broken message. */
            if (st != 1 || !strstr(err, path) ||
                (!proto && !strstr(err, cases[i].msg)))
                fail_msg("case %zu (%s): exit %d, stderr: %s", i,
                         proto ? "proto" : "auto", st, err);
            assert_string_equal(out, "");
            free(out);
            free(err);
        }
        unlink(path);
    }
    /* Empty: the message says so. */
    char path[] = "/tmp/dp_cli_tiny_XXXXXX.pb", cmd[1024], *out, *err;
    write_tmp(path, "", 0);
    snprintf(cmd, sizeof(cmd), BIN " report --output json %s", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 1);
    char want[256];
    snprintf(want, sizeof(want), "no spans in %s (the file is empty)", path);
    assert_non_null(strstr(err, want));
    free(out);
    free(err);
    /* Next to a good file: the good one is profiled, the status is 1. */
    snprintf(cmd, sizeof(cmd), BIN " report --output json " EXAMPLE " %s",
             path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 1);
    assert_non_null(strstr(out, "\"dagId\":\"code-review-dag\""));
    assert_non_null(strstr(err, path));
    free(out);
    free(err);
    unlink(path);
    /* Unreadable: a directory (read fails with EISDIR) and, when not
     * running as root, a file without read permission. */
    assert_int_equal(dp_test_run(BIN " report --output json /tmp", &out, &err),
                     1);
    assert_non_null(strstr(err, "/tmp"));
    assert_string_equal(out, "");
    free(out);
    free(err);
    if (geteuid() != 0) {
        char locked[] = "/tmp/dp_cli_tiny_XXXXXX.pb";
        write_tmp(locked, "x", 1);
        chmod(locked, 0);
        snprintf(cmd, sizeof(cmd), BIN " report --output json %s", locked);
        assert_int_equal(dp_test_run(cmd, &out, &err), 1);
        assert_non_null(strstr(err, locked));
        assert_non_null(strstr(err, "Permission denied"));
        free(out);
        free(err);
        unlink(locked);
    }
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

/* --output html: one page, a section per run as it is profiled, trends for
 * each DAG seen in several runs, the list of runs; --summary: trends only;
 * bad input still ends the page (exit 1). */
static void test_cli_report_html_page(void **state)
{
    (void)state;
    char *out, *err;
    const char *multi = DP_SOURCE_DIR "/examples/multi-run.jsonl";
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), BIN " report --output html %s", multi);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_true(strncmp(out, "<!DOCTYPE html>\n", 16) == 0);
    assert_non_null(strstr(out, "</html>\n"));
    assert_int_equal(occurrences(out, "<section class=\"run\""), 8);
    assert_int_equal(occurrences(out, "<section class=\"trend\""), 2);
    assert_int_equal(occurrences(out, "<section class=\"runlist\">"), 1);
    assert_int_equal(occurrences(out, "<a href=\"#run-"), 8 + 8);
    assert_int_equal(occurrences(out, "<style>"), 1);
    free(out), free(err);

    snprintf(cmd, sizeof(cmd), BIN " report --summary --output html %s", multi);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_int_equal(occurrences(out, "<section class=\"run\""), 0);
    assert_int_equal(occurrences(out, "<section class=\"trend\""), 2);
    assert_non_null(strstr(out, "<title>dagprof summary</title>"));
    free(out), free(err);

    assert_int_equal(
        dp_test_run(BIN " report --output html " EXAMPLE, &out, &err), 0);
    assert_int_equal(occurrences(out, "<section class=\"run\""), 1);
    assert_int_equal(occurrences(out, "<section class=\"trend\""), 0);
    assert_int_equal(occurrences(out, "runlist"), 0);
    free(out), free(err);

    /* A malformed line: reported, skipped, exit 1, the page still whole. */
    snprintf(cmd, sizeof(cmd),
             "(echo '{bad'; cat %s) | " BIN " report --output html -", EXAMPLE);
    assert_int_equal(dp_test_run(cmd, &out, &err), 1);
    assert_non_null(strstr(err, ":1: malformed JSON"));
    assert_int_equal(occurrences(out, "<section class=\"run\""), 1);
    assert_non_null(strstr(out, "</html>\n"));
    free(out), free(err);

    assert_int_equal(
        dp_test_run(BIN " report --output html /dev/null", &out, &err), 1);
    assert_non_null(strstr(out, "No runs."));
    assert_non_null(strstr(out, "</html>\n"));
    free(out), free(err);

    assert_int_equal(
        dp_test_run(BIN " report --output htm " EXAMPLE, &out, &err), 2);
    assert_non_null(strstr(err, "json, text or html"));
    free(out), free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_report_threshold_flag_and_config),
        cmocka_unit_test(test_cli_report_bad_flag_value_names_key),
        cmocka_unit_test(test_cli_report_malformed_line_exit_1),
        cmocka_unit_test(test_cli_report_json_and_proto_identical),
        cmocka_unit_test(test_cli_report_window_default_is_exact),
        cmocka_unit_test(test_cli_report_window_late_spans),
        cmocka_unit_test(test_cli_report_renders_profile_files),
        cmocka_unit_test(test_cli_report_service_trace_not_profiled),
        cmocka_unit_test(test_cli_report_pricing_litellm_file),
        cmocka_unit_test(test_cli_report_empty_or_tiny_file_exit_1),
        cmocka_unit_test(test_cli_report_html_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
