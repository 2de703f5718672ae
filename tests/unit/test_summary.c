/*
 * test_summary.c - the views across runs of `dagprof report --summary`:
 * rounded means and the 128-bit money formats (runs/stats.c; the
 * percentiles are test_order_stats.c's); run records from profiles and from
 * JSON profile lines and the file reader (runs/run_reader.c); the per-DAG
 * summary, its bottleneck and costliest-node picks and the projection
 * (runs/summary.c); and the command line, run as the built binary.
 *
 * The data set tests/data/summary/runs.jsonl holds ten hand-written JSON
 * profiles of three DAGs, interleaved (wall ms, cost USD, tokens):
 *
 *   alpha  (1000, 0.1, 1000) (5000, 0.5, 5000) (2000, 0.2, 2000)
 *          (4000, 0.4, 4000) (3000, 0.3, 3000)
 *          bottlenecks: slow_node in 2 runs (once each), tool_latency twice
 *          in one run and once in another -> 3 detections in 2 runs;
 *          node cost totals plan 0.70, act 0.80
 *   beta   (400, 1.000000000001, 10) (100, 0.000000000003, 11)
 *          (300, 2.5, 12) (200, 0.75, 14)
 *          dependency_wait once, scheduling_delay once (a tie);
 *          nodes x and w cost 0.25 in every run (a tie at 1.00)
 *   gamma  one run (250.5 ms, $0, 0 tokens), no bottleneck, no cost
 *
 * Nearest rank: p50 of 5 is the 3rd value, p95 of 5 the 5th; p50 of 4 is
 * the 2nd, p95 of 4 the 4th. So alpha wall p50 3000, p95 5000 (linear
 * interpolation would give 4800); beta wall p50 200 (linear: 250).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "profile_fixture.h"
#include "run_cmd.h"
#include "stats.h"
#include "summary.h"
#include "trace_file.h"
#include "units.h"
#include "window.h"

#define DATA DP_SOURCE_DIR "/tests/data/summary"
#define BIN DP_BINARY_DIR "/src/dagprof"
#define MS(x) ((int64_t)(x)*1000000)
#define PUSD(usd_micro) ((int64_t)(usd_micro)*1000000) /* from micro-USD */

static char *fmt_usd_exact(dp_i128 v)
{
    static char out[8][64];
    static int k;
    dp_buf b;
    char *o = out[k++ % 8];
    dp_buf_init(&b);
    assert_int_equal(dp_stats_usd_exact(&b, v), 0);
    snprintf(o, 64, "%s", b.data);
    dp_buf_fini(&b);
    return o;
}

static char *fmt_usd_text(dp_i128 v)
{
    static char out[64];
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp_stats_usd_text(&b, v), 0);
    snprintf(out, sizeof(out), "%s", b.data);
    dp_buf_fini(&b);
    return out;
}

static char *fmt_x100(int64_t v)
{
    static char out[64];
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp_stats_x100(&b, v), 0);
    snprintf(out, sizeof(out), "%s", b.data);
    dp_buf_fini(&b);
    return out;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* The summary of runs.jsonl read through the reader, as the command does. */
static dp_summary *load_runs(void)
{
    dp_summary *s = dp_summary_create();
    dp_run_reader *r;
    assert_non_null(s);
    r = dp_run_reader_create(DP_FORMAT_AUTO, NULL, NULL, NULL,
                             dp_summary_add_fn, s);
    assert_non_null(r);
    assert_int_equal(dp_run_reader_add_file(r, DATA "/runs.jsonl"), 0);
    assert_int_equal(dp_run_reader_finish(r), 0);
    assert_int_equal(dp_run_reader_runs(r), 10);
    dp_run_reader_destroy(r);
    assert_int_equal(dp_summary_dag_count(s), 3);
    return s;
}

/* ------------------------------------------------------------------------ */

static void test_stats_mean_rounds_half_away(void **state)
{
    (void)state;
    assert_int_equal(dp_stats_mean(5, 2), 3);
    assert_int_equal(dp_stats_mean(-5, 2), -3);
    assert_int_equal(dp_stats_mean(7, 3), 2);
    assert_int_equal(dp_stats_mean(8, 3), 3);
    assert_int_equal(dp_stats_mean(8, 0), 0);
    assert_int_equal(dp_stats_mean_x100(710, 3), 23667);
    assert_int_equal(dp_stats_mean_x100(47, 4), 1175);
    assert_int_equal(dp_stats_mean_x100(-1, 8), -13); /* -12.5 -> -13 */
    /* A sum past int64 (10 runs of 2^62 pico-USD) still averages. */
    dp_i128 big = (dp_i128)10 * ((dp_i128)1 << 62);
    assert_int_equal(dp_stats_mean(big, 10), (int64_t)1 << 62);
}

static void test_stats_money_and_hundredths_formats(void **state)
{
    (void)state;
    assert_string_equal(fmt_usd_exact(0), "0");
    assert_string_equal(fmt_usd_exact(1), "0.000000000001");
    assert_string_equal(fmt_usd_exact(1062500000001), "1.062500000001");
    assert_string_equal(fmt_usd_exact(-300000000000), "-0.3");
    /* 5 * 10^23 pico-USD = $500,000,000,000: beyond int64 pico-USD. */
    assert_string_equal(fmt_usd_exact((dp_i128)500000000000 * 1000000000000),
                        "500000000000");

    assert_string_equal(fmt_usd_text(0), "$0.00");
    assert_string_equal(fmt_usd_text(420000000000), "$0.4200");
    /* 2 decimals from $1 up, also when rounding reaches it */
    assert_string_equal(fmt_usd_text(999960000000), "$1.00");
    assert_string_equal(fmt_usd_text((dp_i128)53250240 * 100000000),
                        "$5325.02");
    assert_string_equal(fmt_usd_text(4300000000), "$0.0043");
    assert_string_equal(fmt_usd_text(151367000000), "$0.1514");
    assert_string_equal(fmt_usd_text(150000000), "$0.0002"); /* half up */
    assert_string_equal(fmt_usd_text(1), "<$0.0001");
    assert_string_equal(fmt_usd_text(-1), "-<$0.0001");
    assert_string_equal(fmt_usd_text(-8300000000), "-$0.0083");
    assert_string_equal(fmt_usd_text((dp_i128)1514 * 1000000000000),
                        "$1514.00");
    assert_string_equal(fmt_usd_text((dp_i128)454101 * 100000000000),
                        "$45410.10");

    assert_string_equal(fmt_x100(2881150), "28811.5");
    assert_string_equal(fmt_x100(2897783), "28977.83");
    assert_string_equal(fmt_x100(100), "1");
    assert_string_equal(fmt_x100(0), "0");
    assert_string_equal(fmt_x100(-5), "-0.05");
}

/* The code-review fixture as a run: the numbers of profile_fixture.h. */
static void test_summary_run_from_profile(void **state)
{
    (void)state;
    dp_fixture fx;
    dp_run run;
    dp_run_node nodes[5];

    dp_fixture_code_review(&fx);
    dp_run_from_profile(&run, nodes, &fx.p);
    assert_string_equal(run.dag_id, "code-review-dag");
    assert_int_equal(run.wall_ns, MS(16000));
    assert_int_equal(run.critical_path_ns, DP_FX_MS(15796.125));
    assert_int_equal(run.cost_pusd, PUSD(359100));
    assert_int_equal(run.tokens, 30950);
    assert_int_equal(run.bottlenecks[DP_BN_DEPENDENCY_WAIT], 1);
    assert_int_equal(run.bottlenecks[DP_BN_SLOW_NODE], 0);
    assert_int_equal(run.n_nodes, 5);
    assert_string_equal(run.nodes[3].id, "review-performance");
    assert_int_equal(run.nodes[3].cost_pusd, PUSD(258750));
    assert_int_equal(run.nodes[3].execution_ns, DP_FX_MS(8984.875));
}

static int keep_run(void *user, const dp_run *run)
{
    dp_run *out = user;
    *out = *run;
    out->nodes = NULL; /* points into the parsed line, gone after return */
    return 0;
}

static void test_summary_parse_json_line(void **state)
{
    (void)state;
    const char *ok =
        "{\"profileId\":\"p\",\"dagId\":\"d\",\"metrics\":{\"totalDuration\":"
        "1234.567,\"criticalPathDuration\":1000.001,\"totalTokens\":{"
        "\"totalTokens\":42},\"totalCost\":{\"totalCost\":1999.999999999999}},"
        "\"nodeMetrics\":[],\"analysis\":{\"bottlenecks\":[{\"type\":"
        "\"tool_latency\"},{\"type\":\"no_such_type\"},{\"type\":"
        "\"tool_latency\"}]}}";
    dp_run run;
    char err[256];

    memset(&run, 0, sizeof(run));
    assert_int_equal(
        dp_run_parse_json(ok, strlen(ok), keep_run, &run, err, sizeof(err)), 0);
    assert_int_equal(run.wall_ns, 1234567000);
    assert_int_equal(run.critical_path_ns, 1000001000);
    assert_int_equal(run.tokens, 42);
    /* Exact to the pico-dollar just below $2,000. */
    assert_int_equal(run.cost_pusd, INT64_C(1999999999999999));
    assert_int_equal(run.bottlenecks[DP_BN_TOOL_LATENCY], 2);

    const char *no_id = "{\"dagId\":\"d\"}";
    assert_int_equal(dp_run_parse_json(no_id, strlen(no_id), keep_run, &run,
                                       err, sizeof(err)),
                     DP_EPARSE);
    assert_string_equal(err, "not a profile (no profileId)");
    const char *no_wall = "{\"profileId\":\"p\",\"dagId\":\"d\",\"metrics\":"
                          "{\"totalDuration\":\"1\"}}";
    assert_int_equal(dp_run_parse_json(no_wall, strlen(no_wall), keep_run, &run,
                                       err, sizeof(err)),
                     DP_EPARSE);
    assert_string_equal(err, "metrics.totalDuration missing or not a number");
    const char *bad_node =
        "{\"profileId\":\"p\",\"dagId\":\"d\",\"metrics\":{\"totalDuration\":"
        "1,\"criticalPathDuration\":1,\"totalTokens\":{\"totalTokens\":1},"
        "\"totalCost\":{\"totalCost\":0}},\"nodeMetrics\":[{\"nodeId\":\"a\","
        "\"executionTime\":1,\"cost\":0},{\"nodeId\":\"b\"}]}";
    assert_int_equal(dp_run_parse_json(bad_node, strlen(bad_node), keep_run,
                                       &run, err, sizeof(err)),
                     DP_EPARSE);
    assert_non_null(strstr(err, "nodeMetrics[1]"));
    assert_int_equal(
        dp_run_parse_json("nope", 4, keep_run, &run, err, sizeof(err)),
        DP_EPARSE);
    assert_non_null(strstr(err, "not JSON"));
}

static void test_summary_percentiles_and_means(void **state)
{
    (void)state;
    dp_summary *s = load_runs();
    dp_summary_dag d;

    dp_summary_dag_get(s, 0, &d); /* dagId byte order: alpha, beta, gamma */
    assert_string_equal(d.dag_id, "alpha");
    assert_int_equal(d.runs, 5);
    assert_int_equal(d.wall_mean_ns, MS(3000));
    assert_int_equal(d.wall_p50_ns, MS(3000));
    assert_int_equal(d.wall_p95_ns, MS(5000));
    assert_int_equal(d.wall_max_ns, MS(5000));
    assert_int_equal(d.cost_mean_pusd, PUSD(300000));
    assert_int_equal(d.cost_p50_pusd, PUSD(300000));
    assert_int_equal(d.cost_p95_pusd, PUSD(500000));
    assert_int_equal(d.cost_max_pusd, PUSD(500000));
    assert_int_equal(d.tokens_mean_x100, 300000);
    assert_int_equal(d.tokens_p50, 3000);
    assert_int_equal(d.tokens_p95, 5000);
    assert_int_equal(d.tokens_max, 5000);

    dp_summary_dag_get(s, 1, &d);
    assert_string_equal(d.dag_id, "beta");
    assert_int_equal(d.runs, 4);
    assert_int_equal(d.wall_mean_ns, MS(250));
    assert_int_equal(d.wall_p50_ns, MS(200));
    assert_int_equal(d.wall_p95_ns, MS(400));
    assert_int_equal(d.wall_max_ns, MS(400));
    /* (1.000000000001 + 0.000000000003 + 2.5 + 0.75) / 4, exactly */
    assert_int_equal(d.cost_mean_pusd, INT64_C(1062500000001));
    assert_int_equal(d.cost_p50_pusd, PUSD(750000));
    assert_int_equal(d.cost_p95_pusd, PUSD(2500000));
    assert_int_equal(d.tokens_mean_x100, 1175); /* 47 / 4 */
    assert_int_equal(d.tokens_p50, 11);
    assert_int_equal(d.tokens_p95, 14);

    dp_summary_dag_get(s, 2, &d);
    assert_string_equal(d.dag_id, "gamma");
    assert_int_equal(d.runs, 1);
    assert_int_equal(d.wall_p50_ns, 250500000);
    assert_int_equal(d.wall_p95_ns, 250500000);
    assert_int_equal(d.wall_max_ns, 250500000);
    assert_int_equal(d.cost_p95_pusd, 0);
    dp_summary_destroy(s);
}

static void test_summary_top_bottleneck_counts_detections(void **state)
{
    (void)state;
    dp_summary *s = load_runs();
    dp_summary_dag d;

    /* alpha: tool_latency 3 detections (2 runs) beats slow_node 2 (2 runs);
     * counted by runs they would tie and slow_node would win by name. */
    dp_summary_dag_get(s, 0, &d);
    assert_int_equal(d.top_bottleneck, DP_BN_TOOL_LATENCY);
    assert_int_equal(d.top_bottleneck_count, 3);
    assert_int_equal(d.top_bottleneck_runs, 2);
    /* beta: a tie of one each, broken by name. */
    dp_summary_dag_get(s, 1, &d);
    assert_int_equal(d.top_bottleneck, DP_BN_DEPENDENCY_WAIT);
    assert_int_equal(d.top_bottleneck_count, 1);
    dp_summary_dag_get(s, 2, &d);
    assert_int_equal(d.top_bottleneck, -1);
    dp_summary_destroy(s);
}

static void test_summary_costliest_node_total_and_ties(void **state)
{
    (void)state;
    dp_summary *s = load_runs();
    dp_summary_dag d;

    dp_summary_dag_get(s, 0, &d);
    assert_string_equal(d.costliest_node, "act"); /* 0.80 vs plan 0.70 */
    assert_true(d.costliest_node_pusd == (dp_i128)PUSD(800000));
    assert_int_equal(d.costliest_node_runs, 5);
    dp_summary_dag_get(s, 1, &d);
    assert_string_equal(d.costliest_node, "w"); /* tie with x at 1.00 */
    assert_true(d.costliest_node_pusd == (dp_i128)PUSD(1000000));
    assert_int_equal(d.costliest_node_runs, 4);
    dp_summary_dag_get(s, 2, &d);
    assert_null(d.costliest_node); /* nothing cost anything */
    dp_summary_destroy(s);
}

static void test_summary_projection(void **state)
{
    (void)state;
    dp_summary *s = load_runs();
    dp_summary_dag d;
    dp_projection p;

    dp_summary_dag_get(s, 0, &d);
    dp_summary_project(&d, 1000, &p);
    assert_string_equal(fmt_usd_exact(p.daily_cost_p50), "300");
    assert_string_equal(fmt_usd_exact(p.daily_cost_p95), "500");
    assert_true(p.daily_tokens_p50 == 3000000);
    assert_true(p.daily_tokens_p95 == 5000000);
    assert_string_equal(fmt_usd_exact(p.monthly_cost_p50), "9000");
    assert_string_equal(fmt_usd_exact(p.monthly_cost_p95), "15000");
    assert_true(p.monthly_tokens_p50 == 90000000);
    assert_true(p.monthly_tokens_p95 == 150000000);

    /* 10^12 runs a day: $0.5 x 10^12 x 30 = $1.5 x 10^13, i.e. 1.5 x 10^25
     * pico-USD, far past int64. */
    dp_summary_project(&d, UINT64_C(1000000000000), &p);
    assert_string_equal(fmt_usd_exact(p.daily_cost_p95), "500000000000");
    assert_string_equal(fmt_usd_exact(p.monthly_cost_p95), "15000000000000");
    assert_true(p.monthly_tokens_p95 == (dp_i128)5000 * 1000000000000 * 30);

    dp_summary_dag_get(s, 1, &d);
    dp_summary_project(&d, 1000, &p);
    assert_string_equal(fmt_usd_exact(p.daily_cost_p50), "750");
    assert_string_equal(fmt_usd_exact(p.monthly_cost_p95), "75000");
    assert_true(p.daily_tokens_p50 == 11000);
    assert_true(p.monthly_tokens_p95 == 420000);
    dp_summary_destroy(s);
}

/* ------------------------------------------------------------------------ */
/* The command line                                                          */

static const char *const expected_json[] = {
    "{\"dagId\":\"alpha\",\"runs\":5,\"wall\":{\"mean\":3000.000,\"p50\":"
    "3000.000,\"p95\":5000.000,\"max\":5000.000},\"cost\":{\"mean\":0.3,"
    "\"p50\":0.3,\"p95\":0.5,\"max\":0.5},\"tokens\":{\"mean\":3000,\"p50\":"
    "3000,\"p95\":5000,\"max\":5000},\"topBottleneck\":{\"type\":"
    "\"tool_latency\",\"occurrences\":3,\"runs\":2},\"costliestNode\":{"
    "\"nodeId\":\"act\",\"totalCost\":0.8,\"runs\":5},\"projection\":{"
    "\"runsPerDay\":1000,\"daily\":{\"costP50\":300,\"costP95\":500,"
    "\"tokensP50\":3000000,\"tokensP95\":5000000},\"monthly30d\":{"
    "\"costP50\":9000,\"costP95\":15000,\"tokensP50\":90000000,"
    "\"tokensP95\":150000000}}}\n",
    "{\"dagId\":\"beta\",\"runs\":4,\"wall\":{\"mean\":250.000,\"p50\":"
    "200.000,\"p95\":400.000,\"max\":400.000},\"cost\":{\"mean\":"
    "1.062500000001,\"p50\":0.75,\"p95\":2.5,\"max\":2.5},\"tokens\":{"
    "\"mean\":11.75,\"p50\":11,\"p95\":14,\"max\":14},\"topBottleneck\":{"
    "\"type\":\"dependency_wait\",\"occurrences\":1,\"runs\":1},"
    "\"costliestNode\":{\"nodeId\":\"w\",\"totalCost\":1,\"runs\":4},"
    "\"projection\":{\"runsPerDay\":1000,\"daily\":{\"costP50\":750,"
    "\"costP95\":2500,\"tokensP50\":11000,\"tokensP95\":14000},"
    "\"monthly30d\":{\"costP50\":22500,\"costP95\":75000,\"tokensP50\":"
    "330000,\"tokensP95\":420000}}}\n",
    "{\"dagId\":\"gamma\",\"runs\":1,\"wall\":{\"mean\":250.500,\"p50\":"
    "250.500,\"p95\":250.500,\"max\":250.500},\"cost\":{\"mean\":0,\"p50\":0,"
    "\"p95\":0,\"max\":0},\"tokens\":{\"mean\":0,\"p50\":0,\"p95\":0,\"max\":"
    "0},\"topBottleneck\":null,\"costliestNode\":null,\"projection\":{"
    "\"runsPerDay\":1000,\"daily\":{\"costP50\":0,\"costP95\":0,"
    "\"tokensP50\":0,\"tokensP95\":0},\"monthly30d\":{\"costP50\":0,"
    "\"costP95\":0,\"tokensP50\":0,\"tokensP95\":0}}}\n",
};

static void test_summary_cli_json(void **state)
{
    (void)state;
    int st;
    char expect[4096] = "";
    char *out = dp_test_run_out(
        BIN " report --summary --output json --runs-per-day 1000 " DATA
            "/runs.jsonl",
        &st);
    assert_int_equal(st, 0);
    for (size_t i = 0; i < 3; i++)
        strcat(expect, expected_json[i]);
    assert_string_equal(out, expect);
    free(out);

    /* Without --runs-per-day the projection is null. */
    out = dp_test_run_out(
        BIN " report --summary --output json " DATA "/runs.jsonl", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\"costliestNode\":{\"nodeId\":\"act\","
                                "\"totalCost\":0.8,\"runs\":5},"
                                "\"projection\":null}\n"));
    free(out);
}

/* The text table, checked line by line against a golden file whose numbers
 * are the ones asserted above. */
static void test_summary_cli_text_golden(void **state)
{
    (void)state;
    int st;
    char *out = dp_test_run_out(
        BIN " report --summary --output text --runs-per-day 1000 " DATA
            "/runs.jsonl",
        &st);
    char *golden = slurp(DATA "/runs_summary_1000.txt");
    const char *line = out;

    assert_int_equal(st, 0);
    assert_string_equal(out, golden);
    while (*line) { /* every line fits 80 columns */
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(nl - line <= 80);
        line = nl + 1;
    }
    assert_non_null(strstr(out, "\n  wall              3000.000ms    "
                                "3000.000ms    5000.000ms    5000.000ms\n"));
    assert_non_null(strstr(out, "\n    cost per 30 days                "
                                "$9000.00     $15000.00\n"));
    free(out);
    free(golden);
}

/* OTLP traces profiled on the fly: three runs of "otlp-dag", walls 1, 3 and
 * 2 s, carried costs $0.25, $0.50, $0.75, tokens 120, 350, 240. */
static void test_summary_cli_otlp_input(void **state)
{
    (void)state;
    int st;
    char *out = dp_test_run_out(
        BIN " report --summary --output json " DATA "/otlp.jsonl", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "{\"dagId\":\"otlp-dag\",\"runs\":3,\"wall\":"
                                "{\"mean\":2000.000,\"p50\":2000.000,\"p95\":"
                                "3000.000,\"max\":3000.000},\"cost\":{"
                                "\"mean\":0.5,\"p50\":0.5,\"p95\":0.75,"
                                "\"max\":0.75},\"tokens\":{\"mean\":236.67,"
                                "\"p50\":240,\"p95\":350,\"max\":350}"));
    assert_non_null(strstr(out, "\"costliestNode\":{\"nodeId\":\"n1\","
                                "\"totalCost\":1.5,\"runs\":3}"));
    free(out);
}

/* Profiles piped on stdin, and OTLP piped on stdin, read like files. */
static void test_summary_cli_stdin(void **state)
{
    (void)state;
    int st1, st2, st3, st4;
    char *file = dp_test_run_out(
        BIN " report --summary --output json " DATA "/runs.jsonl", &st1);
    char *piped = dp_test_run_out("cat " DATA "/runs.jsonl | " BIN
                                  " report --summary --output json -",
                                  &st2);
    char *otlp = dp_test_run_out(
        BIN " report --summary --output json " DATA "/otlp.jsonl", &st3);
    char *otlp_piped = dp_test_run_out("cat " DATA "/otlp.jsonl | " BIN
                                       " report --summary --output json -",
                                       &st4);
    assert_int_equal(st1 | st2 | st3 | st4, 0);
    assert_string_equal(file, piped);
    assert_string_equal(otlp, otlp_piped);
    free(file);
    free(piped);
    free(otlp);
    free(otlp_piped);
}

static void test_summary_cli_errors(void **state)
{
    (void)state;
    int st;
    char *out;

    out = dp_test_run_out(
        BIN " report --runs-per-day 5 " DATA "/runs.jsonl 2>/dev/null", &st);
    assert_int_equal(st, 2);
    free(out);
    out = dp_test_run_out(BIN " report --summary --runs-per-day 0 " DATA
                              "/runs.jsonl 2>/dev/null",
                          &st);
    assert_int_equal(st, 2);
    free(out);
    /* A malformed line is skipped (exit 1); the rest is still summarized. */
    out = dp_test_run_out("(cat " DATA
                          "/runs.jsonl; echo '{\"profileId\":\"x\"}') | " BIN
                          " report --summary --output json - 2>/dev/null",
                          &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "{\"dagId\":\"alpha\",\"runs\":5,"));
    free(out);
    out = dp_test_run_out(
        BIN " report --summary --output json /nonexistent/x.jsonl "
            "2>/dev/null",
        &st);
    assert_int_equal(st, 1);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_mean_rounds_half_away),
        cmocka_unit_test(test_stats_money_and_hundredths_formats),
        cmocka_unit_test(test_summary_run_from_profile),
        cmocka_unit_test(test_summary_parse_json_line),
        cmocka_unit_test(test_summary_percentiles_and_means),
        cmocka_unit_test(test_summary_top_bottleneck_counts_detections),
        cmocka_unit_test(test_summary_costliest_node_total_and_ties),
        cmocka_unit_test(test_summary_projection),
        cmocka_unit_test(test_summary_cli_json),
        cmocka_unit_test(test_summary_cli_text_golden),
        cmocka_unit_test(test_summary_cli_otlp_input),
        cmocka_unit_test(test_summary_cli_stdin),
        cmocka_unit_test(test_summary_cli_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
