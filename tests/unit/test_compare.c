/*
 * test_compare.c - `dagprof compare` (src/cmd_compare.c), run as the built
 * binary: means, deltas and ratios on two hand-written profile files, the
 * --by dagId split, OTLP input profiled on the fly against its own
 * profiles, node matching and the 80-column text table.
 *
 * tests/data/summary/a.jsonl: dagId v1, 2 runs
 *   wall 1000 / 3000 ms, critical path 900 / 2500, cost $0.10 / $0.30,
 *   tokens 100 / 301; nodes fetch 200 / 400, think 700 / 2100, noop 0 (run
 *   1 only)
 *   -> means: wall 2000, cp 1700, cost $0.20, tokens 200.5, fetch 300,
 *      think 1400, noop 0
 * tests/data/summary/b.jsonl: dagId v2, 1 run
 *   wall 1500, cp 1500, cost $0, tokens 150; fetch 300, extra 250, think
 *   600, noop 50
 * Deltas B - A and ratios B / A:
 *   wall -500 (0.75), cp -200 (1500/1700 = 0.88235), cost -$0.20 (0),
 *   tokens -50.5 (150/200.5 = 0.74813), fetch 0 (1), think -800 (0.42857),
 *   noop +50 (A is 0: no ratio), extra only in B (no delta, no ratio).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_cmd.h"

#define DATA DP_SOURCE_DIR "/tests/data/summary"
#define BIN DP_BINARY_DIR "/src/dagprof"

static size_t cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static void assert_fits_80(const char *out)
{
    const char *line = out;
    while (*line) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        if (cps(line, (size_t)(nl - line)) > 80)
            fail_msg("line longer than 80 columns: %.*s", (int)(nl - line),
                     line);
        line = nl + 1;
    }
}

static const char *const expected_rows =
    "                              A (mean)      B (mean)     delta B-A"
    "  ratio B/A\n"
    "wall                        2000.000ms    1500.000ms    -500.000ms"
    "      0.750\n"
    "critical path               1700.000ms    1500.000ms    -200.000ms"
    "      0.882\n"
    "cost                           $0.2000         $0.00      -$0.2000"
    "      0.000\n"
    "tokens                           200.5           150         -50.5"
    "      0.748\n"
    "executionTime by node\n"
    "  fetch                      300.000ms     300.000ms       0.000ms"
    "      1.000\n"
    "  think                     1400.000ms     600.000ms    -800.000ms"
    "      0.429\n"
    "  noop                         0.000ms      50.000ms     +50.000ms"
    "          -\n"
    "  extra                              -     250.000ms             -"
    "          -\n";

static void test_compare_profile_files_text(void **state)
{
    (void)state;
    int st;
    char expect[4096];
    char *out = dp_test_run_out(
        "cd " DATA " && " BIN " compare --output text a.jsonl b.jsonl", &st);
    snprintf(expect, sizeof(expect),
             "A: a.jsonl (2 runs; dagId v1)\n"
             "B: b.jsonl (1 run; dagId v2)\n"
             "\n%s",
             expected_rows);
    assert_int_equal(st, 0);
    assert_string_equal(out, expect);
    assert_fits_80(out);
    free(out);
}

static const char *const expected_metrics_json =
    "\"wall\":{\"a\":2000.000,\"b\":1500.000,\"delta\":-500.000,\"ratio\":"
    "0.7500},\"criticalPathDuration\":{\"a\":1700.000,\"b\":1500.000,"
    "\"delta\":-200.000,\"ratio\":0.8824},\"cost\":{\"a\":0.2,\"b\":0,"
    "\"delta\":-0.2,\"ratio\":0.0000},\"tokens\":{\"a\":200.5,\"b\":150,"
    "\"delta\":-50.5,\"ratio\":0.7481},\"nodes\":[{\"nodeId\":\"fetch\","
    "\"runsA\":2,\"runsB\":1,\"executionTime\":{\"a\":300.000,\"b\":300.000,"
    "\"delta\":0.000,\"ratio\":1.0000}},{\"nodeId\":\"think\",\"runsA\":2,"
    "\"runsB\":1,\"executionTime\":{\"a\":1400.000,\"b\":600.000,\"delta\":"
    "-800.000,\"ratio\":0.4286}},{\"nodeId\":\"noop\",\"runsA\":1,\"runsB\":"
    "1,\"executionTime\":{\"a\":0.000,\"b\":50.000,\"delta\":50.000,"
    "\"ratio\":null}},{\"nodeId\":\"extra\",\"runsA\":0,\"runsB\":1,"
    "\"executionTime\":{\"a\":null,\"b\":250.000,\"delta\":null,\"ratio\":"
    "null}}]}\n";

static void test_compare_profile_files_json(void **state)
{
    (void)state;
    int st;
    char expect[4096];
    char *out = dp_test_run_out(
        "cd " DATA " && " BIN " compare --output json a.jsonl b.jsonl", &st);
    snprintf(expect, sizeof(expect),
             "{\"a\":{\"source\":\"a.jsonl\",\"runs\":2,\"dagIds\":[\"v1\"]},"
             "\"b\":{\"source\":\"b.jsonl\",\"runs\":1,\"dagIds\":[\"v2\"]},"
             "\"by\":null,%s",
             expected_metrics_json);
    assert_int_equal(st, 0);
    assert_string_equal(out, expect);
    free(out);
}

/* One input set split by dagId: the same numbers; A is v1 (byte order)
 * whichever file comes first. */
static void test_compare_by_dag_id(void **state)
{
    (void)state;
    int st;
    char expect[4096];
    char *out =
        dp_test_run_out("cd " DATA " && " BIN
                        " compare --by dagId --output json b.jsonl a.jsonl",
                        &st);
    snprintf(expect, sizeof(expect),
             "{\"a\":{\"source\":\"dagId=v1\",\"runs\":2,\"dagIds\":[\"v1\"]},"
             "\"b\":{\"source\":\"dagId=v2\",\"runs\":1,\"dagIds\":[\"v2\"]},"
             "\"by\":\"dagId\",%s",
             expected_metrics_json);
    assert_int_equal(st, 0);
    assert_string_equal(out, expect);
    free(out);

    /* The same split from one stream on stdin, as text. */
    out = dp_test_run_out("cat " DATA "/a.jsonl " DATA "/b.jsonl | " BIN
                          " compare --by dagId --output text -",
                          &st);
    snprintf(expect, sizeof(expect),
             "A: dagId=v1 (2 runs)\nB: dagId=v2 (1 run)\n\n%s", expected_rows);
    assert_int_equal(st, 0);
    assert_string_equal(out, expect);
    free(out);
}

static void test_compare_by_needs_two_values(void **state)
{
    (void)state;
    int st;
    char *out =
        dp_test_run_out(BIN " compare --by dagId " DATA "/a.jsonl 2>&1", &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "exactly two dagId values"));
    assert_non_null(strstr(out, "found 1"));
    free(out);
    out = dp_test_run_out(BIN " compare --by dagId " DATA "/runs.jsonl 2>&1",
                          &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "found 3"));
    free(out);
}

/* OTLP traces are profiled on the fly: compared against their own JSON
 * profiles every delta is 0 and every ratio 1. Means of otlp.jsonl: wall
 * (1000 + 3000 + 2000) / 3, critical path (600 + 2000 + 1000) / 3 = 1200,
 * cost $0.50, tokens (120 + 350 + 240) / 3 = 236.67. */
static void test_compare_otlp_against_profiles(void **state)
{
    (void)state;
    int st;
    char path[] = "/tmp/dp_test_compare_XXXXXX";
    int fd = mkstemp(path);
    char cmd[1024];
    char *out;

    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof(cmd), BIN " report --output json %s > %s",
             DATA "/otlp.jsonl", path);
    out = dp_test_run_out(cmd, &st);
    assert_int_equal(st, 0);
    free(out);
    snprintf(cmd, sizeof(cmd), BIN " compare --output json %s %s", path,
             DATA "/otlp.jsonl");
    out = dp_test_run_out(cmd, &st);
    unlink(path);
    assert_int_equal(st, 0);
    assert_non_null(
        strstr(out, "\"wall\":{\"a\":2000.000,\"b\":2000.000,\"delta\":0.000,"
                    "\"ratio\":1.0000},\"criticalPathDuration\":{\"a\":"
                    "1200.000,\"b\":1200.000,\"delta\":0.000,\"ratio\":"
                    "1.0000},\"cost\":{\"a\":0.5,\"b\":0.5,\"delta\":0,"
                    "\"ratio\":1.0000},\"tokens\":{\"a\":236.67,\"b\":236.67,"
                    "\"delta\":0,\"ratio\":1.0000},\"nodes\":[{\"nodeId\":"
                    "\"n1\",\"runsA\":3,\"runsB\":3,\"executionTime\":{\"a\":"
                    "1200.000,\"b\":1200.000,\"delta\":0.000,\"ratio\":"
                    "1.0000}}]}\n"));
    assert_non_null(strstr(out, "\"runs\":3,\"dagIds\":[\"otlp-dag\"]"));
    free(out);
}

/* Node ids too long for the label column are cut with "..." (UTF-8 safe),
 * and the table still fits 80 columns. */
static void test_compare_long_node_ids_fit(void **state)
{
    (void)state;
    int st;
    char path[] = "/tmp/dp_test_compare_XXXXXX";
    int fd = mkstemp(path);
    const char *line =
        "{\"profileId\":\"p\",\"dagId\":\"d\",\"metrics\":{\"totalDuration\":"
        "10,\"criticalPathDuration\":10,\"totalTokens\":{\"totalTokens\":1},"
        "\"totalCost\":{\"totalCost\":0.000123}},\"nodeMetrics\":[{\"nodeId\":"
        "\"a-very-long-node-identifier-for-review\",\"executionTime\":"
        "123456789.5,\"cost\":0},{\"nodeId\":\"\xc3\xa9tape-\xc3\xa9tape-"
        "\xc3\xa9tape-\xc3\xa9tape-\xc3\xa9tape\",\"executionTime\":1,"
        "\"cost\":0}]}\n";
    char cmd[1024];
    char *out;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    close(fd);
    snprintf(cmd, sizeof(cmd), BIN " compare --output text %s %s", path, path);
    out = dp_test_run_out(cmd, &st);
    unlink(path);
    assert_int_equal(st, 0);
    assert_fits_80(out);
    /* Values 15 wide widen the value columns to 16; the label column
     * shrinks to 80 - 3 x 16 - 11 = 21 columns, 18 for the indented id. */
    assert_non_null(strstr(out, "\n  a-very-long-nod...  123456789.500ms "
                                "123456789.500ms         0.000ms      "
                                "1.000\n"));
    assert_non_null(strstr(out, "\n  \xc3\xa9tape-\xc3\xa9tape-\xc3\xa9ta"
                                "...          1.000ms"));
    assert_non_null(strstr(out, "\ncost                          $0.0001   "
                                "      $0.0001           $0.00      "
                                "1.000\n"));
    free(out);
}

static void test_compare_usage_errors(void **state)
{
    (void)state;
    int st;
    char *out;

    out = dp_test_run_out(BIN " compare " DATA "/a.jsonl 2>/dev/null", &st);
    assert_int_equal(st, 2);
    free(out);
    out = dp_test_run_out(
        BIN " compare --by service.name " DATA "/a.jsonl 2>&1", &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "--by supports dagId only"));
    free(out);
    out = dp_test_run_out(BIN " compare --output xml " DATA "/a.jsonl " DATA
                              "/b.jsonl 2>/dev/null",
                          &st);
    assert_int_equal(st, 2);
    free(out);
    out = dp_test_run_out(BIN " compare --help", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "usage: dagprof compare"));
    free(out);
    /* A side without runs: nothing to compare. */
    out = dp_test_run_out(BIN " compare " DATA "/a.jsonl /dev/null 2>&1", &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "/dev/null holds no runs"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_profile_files_text),
        cmocka_unit_test(test_compare_profile_files_json),
        cmocka_unit_test(test_compare_by_dag_id),
        cmocka_unit_test(test_compare_by_needs_two_values),
        cmocka_unit_test(test_compare_otlp_against_profiles),
        cmocka_unit_test(test_compare_long_node_ids_fit),
        cmocka_unit_test(test_compare_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
