/*
 * test_cli_whatif.c - `dagprof whatif` as a user runs it: the built binary
 * on examples/code-review.jsonl (and the profile file `report` writes from
 * it), checking the JSON answer against the run's own profile and hand
 * arithmetic, the text report, the workers sweep, and every error: its
 * message and exit status (2: usage, a bad or unknown change; 1: input).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "run_cmd.h"

#define BIN DP_BINARY_DIR "/src/dagprof"
#define EXAMPLE DP_SOURCE_DIR "/examples/code-review.jsonl"
#define MULTI DP_SOURCE_DIR "/examples/multi-run.jsonl"

/* Runs `dagprof whatif --output json ARGS`, expects exit 0, parses. */
static json_t *whatif_json(const char *args)
{
    return dp_test_run_json(BIN " whatif --output json %s", args);
}

static double num(json_t *j, const char *a, const char *b)
{
    json_t *v = json_object_get(j, a);
    if (b)
        v = json_object_get(v, b);
    if (!json_is_number(v))
        fail_msg("%s.%s: not a number", a, b ? b : "");
    return json_number_value(v);
}

static json_t *profile_of(const char *file)
{
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd, BIN " report --output json %s", file);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    json_t *p = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(p);
    free(out);
    free(err);
    return p;
}

/* speedup by 1 changes nothing: the baseline and the prediction are the
 * run's own profile, node by node. */
static void test_cli_whatif_unchanged_is_the_profile(void **state)
{
    (void)state;
    json_t *prof = profile_of(EXAMPLE);
    json_t *m = json_object_get(prof, "metrics");
    json_t *w = whatif_json(EXAMPLE " speedup fetch-code=1");
    assert_string_equal(json_string_value(json_object_get(w, "source")),
                        "trace");
    for (int side = 0; side < 2; side++) {
        const char *s = side ? "predicted" : "baseline";
        assert_true(num(w, s, "wall") ==
                    json_number_value(json_object_get(m, "totalDuration")));
        assert_true(
            num(w, s, "criticalPathDuration") ==
            json_number_value(json_object_get(m, "criticalPathDuration")));
        assert_true(
            json_equal(json_object_get(json_object_get(w, s), "criticalPath"),
                       json_object_get(m, "criticalPath")));
    }
    assert_true(json_is_false(json_object_get(w, "criticalPathMoved")));
    json_t *nodes = json_object_get(w, "nodes");
    json_t *pn = json_object_get(prof, "nodeMetrics");
    assert_int_equal(json_array_size(nodes), json_array_size(pn));
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        json_t *a = json_array_get(nodes, i), *b = json_array_get(pn, i);
        assert_string_equal(json_string_value(json_object_get(a, "nodeId")),
                            json_string_value(json_object_get(b, "nodeId")));
        assert_true(num(a, "predictedStart", NULL) == num(b, "start", NULL));
        assert_true(num(a, "predictedEnd", NULL) == num(b, "end", NULL));
        assert_true(num(a, "endShift", NULL) == 0);
    }
    json_decref(w);
    json_decref(prof);
}

/* workers=1: the leaves run one at a time (no two overlap), in order of
 * readiness: the wall is at least the sum of executions. */
static void test_cli_whatif_workers_one(void **state)
{
    (void)state;
    json_t *w = whatif_json(EXAMPLE " workers=1");
    json_t *nodes = json_object_get(w, "nodes");
    for (size_t i = 0; i < json_array_size(nodes); i++)
        for (size_t j = 0; j < json_array_size(nodes); j++) {
            json_t *a = json_array_get(nodes, i), *b = json_array_get(nodes, j);
            if (i == j)
                continue;
            assert_true(num(a, "predictedEnd", NULL) <=
                            num(b, "predictedStart", NULL) ||
                        num(b, "predictedEnd", NULL) <=
                            num(a, "predictedStart", NULL));
        }
    assert_true(num(w, "predicted", "wall") >=
                num(w, "predicted", "sumExecution"));
    assert_true(num(w, "predicted", "peakConcurrency") == 1);
    assert_true(num(w, "predicted", "wall") == 26585.0);
    json_decref(w);
}

/* Every sonnet-4-5 price is 3x haiku-4-5's (input, output, cache), so
 * the swap cuts sonnet's cost to a third; time is kept and said so. */
static void test_cli_whatif_model_swap(void **state)
{
    (void)state;
    json_t *prof = profile_of(EXAMPLE);
    json_t *by = json_object_get(
        json_object_get(json_object_get(prof, "metrics"), "totalCost"),
        "byModel");
    double sonnet =
        json_number_value(json_object_get(by, "claude-sonnet-4-5-20250929"));
    assert_true(sonnet > 0);
    /* "model" and its argument as two words, and as one */
    const char *forms[] = {" model claude-sonnet-4-5=claude-haiku-4-5",
                           " model=claude-sonnet-4-5=claude-haiku-4-5"};
    for (int f = 0; f < 2; f++) {
        char args[512];
        snprintf(args, sizeof args, "%s%s", EXAMPLE, forms[f]);
        json_t *w = whatif_json(args);
        double base = num(w, "baseline", "totalCost");
        double pred = num(w, "predicted", "totalCost");
        assert_true(fabs(pred - (base - sonnet * 2.0 / 3.0)) < 1e-9);
        assert_true(num(w, "predicted", "wall") == num(w, "baseline", "wall"));
        assert_true(num(w, "predicted", "totalTokens") ==
                    num(w, "baseline", "totalTokens"));
        json_t *notes = json_object_get(w, "notes");
        assert_non_null(strstr(json_string_value(json_array_get(notes, 0)),
                               "latency assumed unchanged"));
        json_decref(w);
    }
    json_decref(prof);
}

static void test_cli_whatif_drop_dep_moves_the_critical_path(void **state)
{
    (void)state;
    json_t *w = whatif_json(EXAMPLE " cache read_file"
                                    " drop-dep 'review-performance->"
                                    "aggregate-results'");
    json_t *steps = json_object_get(w, "steps");
    assert_int_equal(json_array_size(steps), 2);
    assert_true(json_is_false(
        json_object_get(json_array_get(steps, 0), "criticalPathMoved")));
    assert_true(json_is_true(
        json_object_get(json_array_get(steps, 1), "criticalPathMoved")));
    assert_true(json_is_true(json_object_get(w, "criticalPathMoved")));
    json_t *cp =
        json_object_get(json_object_get(w, "predicted"), "criticalPath");
    for (size_t i = 0; i < json_array_size(cp); i++)
        assert_string_not_equal(json_string_value(json_array_get(cp, i)),
                                "review-performance");
    assert_true(num(w, "predicted", "wall") < num(w, "baseline", "wall"));
    json_decref(w);

    char *out, *err;
    assert_int_equal(
        dp_test_run(BIN " whatif --output text " EXAMPLE
                        " drop-dep 'review-performance->aggregate-results'",
                    &out, &err),
        0);
    assert_non_null(strstr(out, "critical path moved: fetch-code > "
                                "check-security > aggregate-results"));
    assert_non_null(strstr(out, "aggregate-results"));
    free(out);
    free(err);
}

static void test_cli_whatif_sweep(void **state)
{
    (void)state;
    json_t *w = whatif_json("--sweep workers=1..6 " EXAMPLE);
    json_t *sw = json_object_get(w, "sweep");
    json_t *pts = json_object_get(sw, "points");
    assert_int_equal(json_array_size(pts), 6);
    double prev = 1e300;
    for (size_t i = 0; i < 6; i++) {
        json_t *p = json_array_get(pts, i);
        assert_true(num(p, "workers", NULL) == (double)(i + 1));
        assert_true(num(p, "wall", NULL) <= prev);
        prev = num(p, "wall", NULL);
    }
    /* three branches run at once in the run: 3 workers are enough */
    assert_true(num(sw, "stopsPayingAt", NULL) == 3);
    assert_true(num(json_array_get(pts, 2), "wall", NULL) ==
                num(w, "baseline", "wall"));
    json_decref(w);

    char *out, *err;
    assert_int_equal(dp_test_run(BIN " whatif --sweep workers=1..4 " EXAMPLE
                                     " no-queue",
                                 &out, &err),
                     0);
    assert_non_null(strstr(out, "<- stops paying"));
    assert_non_null(strstr(out, "From 3 workers on"));
    free(out);
    free(err);
}

/* A profile file: replayed without per-call detail. */
static void test_cli_whatif_profile_file(void **state)
{
    (void)state;
    char path[] = "/tmp/dp_whatif_prof_XXXXXX", cmd[1024], *out, *err;
    int fd = mkstemp(path);
    close(fd);
    snprintf(cmd, sizeof cmd, BIN " report --output json %s > %s", EXAMPLE,
             path);
    assert_int_equal(system(cmd), 0);
    char args[1024];
    snprintf(args, sizeof args,
             "%s model claude-sonnet-4-5=claude-haiku-4-5 workers=2", path);
    json_t *w = whatif_json(args);
    json_t *t = whatif_json(EXAMPLE " model claude-sonnet-4-5=claude-haiku-4-5"
                                    " workers=2");
    assert_string_equal(json_string_value(json_object_get(w, "source")),
                        "profile");
    assert_true(num(w, "predicted", "wall") == num(t, "predicted", "wall"));
    assert_true(fabs(num(w, "predicted", "totalCost") -
                     num(t, "predicted", "totalCost")) < 1e-9);
    json_decref(w);
    json_decref(t);
    snprintf(cmd, sizeof cmd, BIN " whatif %s cache read_file", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 1);
    assert_non_null(strstr(err, "needs a trace file"));
    free(out);
    free(err);
    /* stdin */
    snprintf(cmd, sizeof cmd, "cat %s | " BIN " whatif - no-queue", path);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    assert_non_null(strstr(out, "a profile file"));
    free(out);
    free(err);
    unlink(path);
}

static void test_cli_whatif_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args;
        int status;
        const char *msg;
    } cases[] = {
        {EXAMPLE " workers=0", 2, "workers=N needs N from 1"},
        {EXAMPLE " turbo", 2, "unknown change 'turbo'"},
        {EXAMPLE, 2, "no change given"},
        {EXAMPLE " speedup nope=2", 2, "unknown node 'nope' (nodes: "},
        {EXAMPLE " model gpt-4=claude-haiku-4-5", 2,
         "no LLM call in this run uses 'gpt-4'"},
        {EXAMPLE " model claude-sonnet-4-5=mystery", 2,
         "'mystery' has no price"},
        {EXAMPLE " cache git_pull", 2,
         "no tool or model named 'git_pull' in this run (tools: git_clone"},
        {EXAMPLE " 'drop-dep check-security->fetch-code'", 2,
         "fetch-code does not depend on check-security"},
        {"--output yaml " EXAMPLE " no-queue", 2, "--output must be"},
        {"--sweep workers=4..2 " EXAMPLE, 2, "--sweep must be"},
        {"--sweep workers=1..3 " EXAMPLE " workers=2", 2, "cannot be combined"},
        {"", 2, "no input file"},
        {"/nonexistent/trace.jsonl no-queue", 1, "No such file"},
        {MULTI " no-queue", 2, "holds 8 runs; pick one with --trace ID"},
        {"--trace 0123 " MULTI " no-queue", 1, "no run with trace id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[2048], *out, *err;
        snprintf(cmd, sizeof cmd, BIN " whatif %s", cases[i].args);
        int st = dp_test_run(cmd, &out, &err);
        if (st != cases[i].status || !strstr(err, cases[i].msg))
            fail_msg("%s: exit %d, stderr '%s' (want %d, '%s')", cmd, st, err,
                     cases[i].status, cases[i].msg);
        assert_string_equal(out, "");
        free(out);
        free(err);
    }
    char *out, *err;
    assert_int_equal(
        dp_test_run(BIN
                    " whatif --trace 313b5e29b7a0563db60671bb27a90ac1 " MULTI
                    " no-queue",
                    &out, &err),
        0);
    assert_non_null(strstr(out, "313b5e29b7a0563db60671bb27a90ac1"));
    free(out);
    free(err);
    assert_int_equal(dp_test_run(BIN " whatif --help", &out, &err), 0);
    const char *words[] = {"workers=N",  "no-queue",      "model A=B",
                           "cache TOOL", "drop-dep X->Y", "speedup NODE=F",
                           "--sweep",    "--trace",       "Exit status"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_non_null(strstr(out, words[i]));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_whatif_unchanged_is_the_profile),
        cmocka_unit_test(test_cli_whatif_workers_one),
        cmocka_unit_test(test_cli_whatif_model_swap),
        cmocka_unit_test(test_cli_whatif_drop_dep_moves_the_critical_path),
        cmocka_unit_test(test_cli_whatif_sweep),
        cmocka_unit_test(test_cli_whatif_profile_file),
        cmocka_unit_test(test_cli_whatif_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
