/*
 * test_bottleneck.c - the seven bottleneck rules of DESIGN.md on hand-built
 * profiles (profile_fixture.h): each fires with the exact severity and
 * impact, stays silent just under its threshold, is medium just under its
 * high threshold; the result is sorted by impact, then node, then type;
 * empty and zero profiles give no NaN. Every expected number is worked out
 * by hand in the comment beside it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "analysis_config.h"
#include "profile_fixture.h"

/* From analysis.c (shared by bottleneck.c and optimize.c). */
double dp__analysis_pct(int64_t num, int64_t den);

#define S FX_S
#define MS FX_MS

/* ---- impact rounding ----------------------------------------------------- */

static void test_bottleneck_impact_rounding(void **state)
{
    (void)state;
    assert_true(dp__analysis_pct(1, 3) == 33.33);
    assert_true(dp__analysis_pct(2, 3) == 66.67);
    assert_true(dp__analysis_pct(1, 8) == 12.5);
    /* 27535 / 100000 = 27.535%: exact half, rounds up (a double product
     * 0.27535 * 100 would give 27.534999...). */
    assert_true(dp__analysis_pct(27535, 100000) == 27.54);
    assert_true(dp__analysis_pct(1, 20000) == 0.01); /* 0.005% */
    assert_true(dp__analysis_pct(1, 40000) == 0.0);  /* 0.0025% */
    assert_true(dp__analysis_pct(0, 5) == 0.0);
    assert_true(dp__analysis_pct(5, 0) == 0.0);
    assert_true(dp__analysis_pct(-1, 5) == 0.0);
    assert_true(dp__analysis_pct(3, 2) == 150.0);
}

/* ---- slow_node ----------------------------------------------------------- */

/* Nine nodes n1..n9 of 1 s and "slow" of x, all from 0, no deps; wall 8 s.
 * slow fires when 10x > 2(9 + x), x > 2.25 s; high when 10x > 4(9 + x),
 * x > 6 s. Nodes ordered by end then id: slow is index 9. */
static dp_profile *slow_run(int64_t x)
{
    dp_profile *p = fx_profile(8 * S);
    char id[16];
    for (int i = 1; i <= 9; i++) {
        snprintf(id, sizeof id, "n%d", i);
        fx_node(p, id, 0, S);
    }
    fx_node(p, "slow", 0, x);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    return p;
}

static void test_bottleneck_slow_node_thresholds(void **state)
{
    (void)state;
    dp_profile *p = slow_run(2250 * MS); /* 10 x 2.25 = 22.5 = 2 x 11.25 */
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_SLOW_NODE), 0);
    fx_free(p);

    p = slow_run(2250 * MS + 1);
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_SLOW_NODE, 9);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 28.13); /* 2.250000001 / 8 = 28.125...% */
    assert_int_equal(p->n_bottlenecks, 1);
    fx_free(p);

    p = slow_run(6 * S); /* 60 = 4 x 15: not past high */
    b = fx_bottleneck(p, DP_BN_SLOW_NODE, 9);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 75.0); /* 6 / 8 */
    /* mean (9 + 6) / 10 = 1.5 s, ratio 6 / 1.5 = 4.0 */
    assert_string_equal(b->details,
                        "slow executes for 6.000 s, 4.0x the mean node "
                        "execution time (1.500 s): LLM 0.000 s, tools 0.000 "
                        "s, own work 6.000 s");
    assert_string_equal(b->recommendation,
                        "Split slow into smaller parallel tasks or speed up "
                        "its own processing");
    fx_free(p);

    p = slow_run(6 * S + 1);
    b = fx_bottleneck(p, DP_BN_SLOW_NODE, 9);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 75.0);
    fx_free(p);
}

static void test_bottleneck_slow_node_names_model(void **state)
{
    (void)state;
    /* a, b 1 s; c 5 s of which 4 s is one LLM call: mean 7/3 s, c > 2x. */
    dp_profile *p = fx_profile(5 * S);
    fx_node(p, "a", 0, S);
    fx_node(p, "b", 0, S);
    size_t c = fx_node(p, "c", 0, 5 * S);
    fx_llm(p, (long)c, "claude-opus-4-1", 0, 4 * S, 100, 10, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_SLOW_NODE, c);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM); /* 15 > 14, not > 28 */
    assert_true(b->impact == 100.0);
    assert_string_equal(b->details,
                        "c executes for 5.000 s, 2.1x the mean node "
                        "execution time (2.333 s): LLM 4.000 s, tools 0.000 "
                        "s, own work 1.000 s");
    assert_string_equal(b->recommendation,
                        "Split c into smaller parallel tasks or move it from "
                        "claude-opus-4-1 to a faster model");
    fx_free(p);
}

/* ---- high_token_usage ---------------------------------------------------- */

/* Nodes a1..a9 with one call of 1000 tokens (900 in, 100 out) costing
 * 1e9 pico-USD, and "big" with x tokens (x - 100 in, 100 out) costing
 * x * 1e6 (or 0 when free). All [0, 1 s), wall 1 s; big is index 9.
 * Fires when 10x > 3(9000 + x), x > 3857.1; high when 10x > 5(9000 + x),
 * x > 9000. */
static dp_profile *token_run(int64_t x, bool free_calls)
{
    dp_profile *p = fx_profile(S);
    char id[16];
    for (int i = 1; i <= 9; i++) {
        snprintf(id, sizeof id, "a%d", i);
        fx_node(p, id, 0, S);
    }
    fx_node(p, "big", 0, S);
    for (long i = 0; i < 9; i++)
        fx_llm(p, i, "m", 0, S, 900, 100, free_calls ? 0 : 1000000000LL);
    fx_llm(p, 9, "m", 0, S, x - 100, 100, free_calls ? 0 : x * 1000000LL);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    return p;
}

static void test_bottleneck_high_token_usage_thresholds(void **state)
{
    (void)state;
    dp_profile *p = token_run(3857, false); /* 38570 <= 38571 */
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_HIGH_TOKEN_USAGE), 0);
    fx_free(p);

    p = token_run(3858, false); /* 38580 > 38574 */
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_HIGH_TOKEN_USAGE, 9);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    /* 3.858e9 / (9e9 + 3.858e9) = 30.0047% */
    assert_true(b->impact == 30.0);
    assert_int_equal(p->n_bottlenecks, 1);
    fx_free(p);

    p = token_run(9000, false); /* 90000 = 5 x 18000: not past high */
    b = fx_bottleneck(p, DP_BN_HIGH_TOKEN_USAGE, 9);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 50.0); /* 9e9 / 18e9 */
    assert_string_equal(b->details,
                        "big uses 9000 tokens (8900 input, 100 output), 5.0x "
                        "the mean per node (1800), costing $0.009 of the "
                        "run's $0.018");
    assert_string_equal(b->recommendation,
                        "Trim the context big sends: summarize or select its "
                        "inputs, and cache the stable prefix");
    fx_free(p);

    p = token_run(9001, false);
    b = fx_bottleneck(p, DP_BN_HIGH_TOKEN_USAGE, 9);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 50.0); /* 9.001 / 18.001 = 50.0028% */
    fx_free(p);

    /* Zero run cost: the rule fires on tokens, impact 0, no NaN. */
    p = token_run(9001, true);
    b = fx_bottleneck(p, DP_BN_HIGH_TOKEN_USAGE, 9);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 0.0);
    fx_free(p);
}

/* ---- excessive_retries --------------------------------------------------- */

static void test_bottleneck_excessive_retries_thresholds(void **state)
{
    (void)state;
    /* Four 1 s nodes, wall 10 s, each with 2.5 s of failed attempts. */
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "r0", 0, S);
    fx_node(p, "r1", 0, S);
    fx_node(p, "r2", 0, S);
    fx_node(p, "r3", 0, S);
    fx_finish(p, NULL);
    const uint32_t retries[4] = {1, 2, 3, 5};
    for (size_t i = 0; i < 4; i++) {
        p->nodes[i].retries = retries[i];
        p->nodes[i].attempts = retries[i] + 1;
        p->nodes[i].failed_attempts_ns = 2500 * MS;
    }
    fx_analyze(p, NULL);
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_EXCESSIVE_RETRIES), 3);
    assert_null(fx_bottleneck(p, DP_BN_EXCESSIVE_RETRIES, 0));
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_EXCESSIVE_RETRIES, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 25.0); /* 2.5 / 10 */
    assert_string_equal(b->details, "r1 ran 3 attempts (2 retries); the "
                                    "failed attempts took 2.500 s");
    b = fx_bottleneck(p, DP_BN_EXCESSIVE_RETRIES, 2);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 25.0);
    b = fx_bottleneck(p, DP_BN_EXCESSIVE_RETRIES, 3);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    fx_free(p);
}

static void test_bottleneck_config_overrides_threshold(void **state)
{
    (void)state;
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "r0", 0, S);
    fx_finish(p, NULL);
    p->nodes[0].retries = 1;
    p->nodes[0].attempts = 2;
    p->nodes[0].failed_attempts_ns = 1 * S;
    dp_analysis_config cfg;
    dp_analysis_config_init(&cfg);
    cfg.retries_min = 1;
    cfg.retries_high = 1;
    cfg.sequential_frac = 0.5; /* r0 is 10% of wall: silent either way */
    dp__analysis_run(p, &cfg, NULL);
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_EXCESSIVE_RETRIES, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 10.0);
    assert_int_equal(p->n_bottlenecks, 1);
    fx_free(p);
}

/* ---- tool_latency -------------------------------------------------------- */

/* fetch-code [0, 10 s), wall 10 s; tool calls git_clone [0, 1 s) (exactly
 * 1 s: not slow), http_get [1, 2.5 s), git_clone [3, 5 s), and last_ns of
 * "index" from 5 s when > 0. */
static dp_profile *tool_run(int64_t last_ns)
{
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "fetch-code", 0, 10 * S);
    fx_tool(p, 0, "git_clone", 0, 1 * S, 0);
    fx_tool(p, 0, "http_get", 1 * S, 2500 * MS, 0);
    fx_llm(p, 0, "m", 2500 * MS, 5000 * MS, 10, 10, 0); /* LLM: ignored */
    fx_tool(p, 0, "git_clone", 3 * S, 5 * S, 0);
    if (last_ns > 0)
        fx_tool(p, 0, "index", 5 * S, 5 * S + last_ns, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    return p;
}

static void test_bottleneck_tool_latency_thresholds(void **state)
{
    (void)state;
    dp_profile *p = tool_run(0);
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_TOOL_LATENCY, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 35.0); /* (1.5 + 2) / 10 */
    assert_string_equal(b->details,
                        "fetch-code made 2 tool calls slower than 1.000 s "
                        "(git_clone 2.000 s, http_get 1.500 s), 3.500 s in "
                        "total, 35.0% of its execution");
    assert_string_equal(b->recommendation,
                        "Cache the results of git_clone in fetch-code, run "
                        "its calls in parallel, or give it a timeout");
    fx_free(p);

    p = tool_run(5 * S); /* exactly 5 s: not past high */
    b = fx_bottleneck(p, DP_BN_TOOL_LATENCY, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 85.0); /* (1.5 + 2 + 5) / 10 */
    fx_free(p);

    p = tool_run(5 * S + 1);
    b = fx_bottleneck(p, DP_BN_TOOL_LATENCY, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 85.0); /* 8.500000001 / 10 */
    fx_free(p);

    /* Every tool call at most 1 s, and a slow tool call of another node. */
    p = fx_profile(10 * S);
    fx_node(p, "a", 0, 4 * S);
    fx_node(p, "b", 0, 4 * S);
    fx_tool(p, 0, "t", 0, 1 * S, 0);
    fx_tool(p, 1, "t", 0, 3 * S, 0);
    fx_tool(p, 0, "t", 1 * S, 2 * S, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_null(fx_bottleneck(p, DP_BN_TOOL_LATENCY, 0));
    b = fx_bottleneck(p, DP_BN_TOOL_LATENCY, 1);
    assert_non_null(b);
    assert_true(b->impact == 75.0); /* 3 / 4 */
    fx_free(p);
}

/* ---- dependency_wait ----------------------------------------------------- */

/* fetch-code [0, 3.421 s), analyze-complexity after it for e; wall 10 s. */
static dp_profile *wait_run(int64_t e)
{
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "fetch-code", 0, 3421 * MS);
    fx_node(p, "analyze-complexity", 3421 * MS, 3421 * MS + e);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    return p;
}

static void test_bottleneck_dependency_wait_thresholds(void **state)
{
    (void)state;
    dp_profile *p = wait_run(1 * S); /* 3.421 > 2 x 1 */
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_DEPENDENCY_WAIT, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 34.21); /* 3.421 / 10 */
    assert_string_equal(b->details,
                        "analyze-complexity waited 3.421 s for fetch-code, "
                        "longer than its own execution (1.000 s), on the "
                        "critical path");
    assert_string_equal(b->recommendation,
                        "Start analyze-complexity earlier: stream partial "
                        "results from fetch-code, or drop the dependency if "
                        "analyze-complexity does not need all of "
                        "fetch-code's output");
    fx_free(p);

    p = wait_run(1710500 * 1000); /* 2 x 1.7105 = 3.421: not past high */
    b = fx_bottleneck(p, DP_BN_DEPENDENCY_WAIT, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 34.21);
    fx_free(p);

    p = wait_run(3421 * MS); /* wait == execution: silent */
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_DEPENDENCY_WAIT), 0);
    fx_free(p);
}

static void test_bottleneck_dependency_wait_needs_critical_path(void **state)
{
    (void)state;
    /* fetch-code [0, 3.421); check-security [3.421, 3.921) and
     * analyze-complexity [3.421, 6.421), both after fetch-code. Both waited
     * 3.421 s, more than their execution (0.5 s, 3 s); only
     * analyze-complexity (ends last) is on the critical path. */
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "fetch-code", 0, 3421 * MS);
    fx_node(p, "check-security", 3421 * MS, 3921 * MS);
    fx_node(p, "analyze-complexity", 3421 * MS, 6421 * MS);
    fx_dep(p, 1, 0);
    fx_dep(p, 2, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_null(fx_bottleneck(p, DP_BN_DEPENDENCY_WAIT, 1));
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_DEPENDENCY_WAIT, 2);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM); /* 3.421 <= 6 */
    assert_true(b->impact == 34.21);
    fx_free(p);
}

static void test_bottleneck_dependency_wait_names_latest_dep(void **state)
{
    (void)state;
    /* src [0,1); a [1,5), b [1,6), c [2,6) after src; agg [6, 6.5) after
     * a, b, c. b and c both end at 6: the earlier start (b) wins. */
    dp_profile *p = fx_profile(6500 * MS);
    fx_node(p, "src", 0, 1 * S);
    fx_node(p, "a", 1 * S, 5 * S);
    fx_node(p, "b", 1 * S, 6 * S);
    fx_node(p, "c", 2 * S, 6 * S);
    size_t agg = fx_node(p, "agg", 6 * S, 6500 * MS);
    for (size_t i = 1; i <= 3; i++) {
        fx_dep(p, i, 0);
        fx_dep(p, agg, i);
    }
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_DEPENDENCY_WAIT, agg);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH); /* 6 > 2 x 0.5 */
    assert_true(b->impact == 92.31);            /* 6 / 6.5 = 92.3077% */
    assert_string_equal(b->details,
                        "agg waited 6.000 s for b, longer than its own "
                        "execution (0.500 s), on the critical path");
    fx_free(p);
}

/* ---- scheduling_delay ---------------------------------------------------- */

/* a [0, first_end); b after a, starting q later and running 10 ms. */
static dp_profile *queue_run(int64_t wall, int64_t first_end, int64_t q)
{
    dp_profile *p = fx_profile(wall);
    fx_node(p, "a", 0, first_end);
    fx_node(p, "b", first_end + q, first_end + q + 10 * MS);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    return p;
}

static void test_bottleneck_scheduling_delay_thresholds(void **state)
{
    (void)state;
    /* wall 10 s: threshold max(100 ms, 500 ms) = 500 ms, high > 2 s */
    dp_profile *p = queue_run(10 * S, 1 * S, 500 * MS);
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_SCHEDULING_DELAY), 0);
    fx_free(p);

    p = queue_run(10 * S, 1 * S, 500 * MS + 1);
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_SCHEDULING_DELAY, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 5.0);
    assert_string_equal(b->details, "b was ready at 1.000 s but started at "
                                    "1.500 s: 0.500 s of queue delay");
    assert_string_equal(b->recommendation,
                        "Raise worker concurrency or cut scheduler latency "
                        "so b starts as soon as its dependencies finish");
    fx_free(p);

    p = queue_run(10 * S, 1 * S, 2 * S); /* exactly 20%: medium */
    b = fx_bottleneck(p, DP_BN_SCHEDULING_DELAY, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 20.0);
    fx_free(p);

    p = queue_run(10 * S, 1 * S, 2 * S + 1);
    b = fx_bottleneck(p, DP_BN_SCHEDULING_DELAY, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 20.0);
    fx_free(p);

    /* wall 1 s: 5% is 50 ms, so the 100 ms floor rules; high > 200 ms */
    p = queue_run(1 * S, 100 * MS, 100 * MS);
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_SCHEDULING_DELAY), 0);
    fx_free(p);
    p = queue_run(1 * S, 100 * MS, 101 * MS);
    b = fx_bottleneck(p, DP_BN_SCHEDULING_DELAY, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 10.1);
    fx_free(p);
    p = queue_run(1 * S, 100 * MS, 250 * MS);
    b = fx_bottleneck(p, DP_BN_SCHEDULING_DELAY, 1);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 25.0);
    fx_free(p);

    /* A node with no deps is ready at run start: starting at 3 s of a
     * 10 s run is 3 s of queue delay. */
    p = fx_profile(10 * S);
    fx_node(p, "late", 3 * S, 4 * S);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    b = fx_bottleneck(p, DP_BN_SCHEDULING_DELAY, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 30.0);
    fx_free(p);
}

/* ---- sequential_bottleneck ----------------------------------------------- */

static void test_bottleneck_sequential_diamond(void **state)
{
    (void)state;
    dp_profile *p = fx_diamond_run(4 * S);
    assert_true(p->nodes[3].on_critical_path); /* fixture sanity */
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM); /* 30% */
    assert_true(b->impact == 30.0);
    assert_string_equal(b->details,
                        "every path through the DAG passes through fetch, "
                        "which executes for 3.000 s, 30.00% of the 10.000 s "
                        "wall");
    b = fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 4);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM); /* exactly 40% */
    assert_true(b->impact == 40.0);
    /* a: critical, 25% of wall, but b and c bypass it */
    assert_null(fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 3));
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_SEQUENTIAL_BOTTLENECK), 2);
    fx_free(p);

    p = fx_diamond_run(4 * S + 1);
    b = fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 4);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 40.0);
    fx_free(p);
}

static void test_bottleneck_sequential_thresholds(void **state)
{
    (void)state;
    /* chain x -> y, wall 10 s: x at exactly 20% is silent, then 20% + 1ns */
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "x", 0, 2 * S);
    fx_node(p, "y", 2 * S, 3 * S);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_SEQUENTIAL_BOTTLENECK), 0);
    fx_free(p);

    p = fx_profile(10 * S);
    fx_node(p, "x", 0, 2 * S + 1);
    fx_node(p, "y", 2 * S + 1, 3 * S);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_MEDIUM);
    assert_true(b->impact == 20.0);
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_SEQUENTIAL_BOTTLENECK), 1);
    fx_free(p);

    /* A single node is on every path of its DAG. */
    p = fx_profile(10 * S);
    fx_node(p, "solo", 0, 5 * S);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    b = fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 0);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 50.0);
    fx_free(p);
}

static void test_bottleneck_sequential_join_and_lone_node(void **state)
{
    (void)state;
    /* s1, s2 [0,3) -> t [3,6), wall 6: t joins both sources, s1 (critical
     * by tie) is bypassed through s2. */
    dp_profile *p = fx_profile(6 * S);
    fx_node(p, "s1", 0, 3 * S);
    fx_node(p, "s2", 0, 3 * S);
    fx_node(p, "t", 3 * S, 6 * S);
    fx_dep(p, 2, 0);
    fx_dep(p, 2, 1);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_true(p->nodes[0].on_critical_path);
    assert_null(fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 0));
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 2);
    assert_non_null(b);
    assert_int_equal(b->severity, DP_SEV_HIGH);
    assert_true(b->impact == 50.0);
    fx_free(p);

    /* The same plus an unconnected node: a path (the lone node itself)
     * avoids t, so nothing is on every path. */
    p = fx_profile(6 * S);
    fx_node(p, "lone", 0, 1 * S);
    fx_node(p, "s1", 0, 3 * S);
    fx_node(p, "s2", 0, 3 * S);
    fx_node(p, "t", 3 * S, 6 * S);
    fx_dep(p, 3, 1);
    fx_dep(p, 3, 2);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(fx_count_bottlenecks(p, DP_BN_SEQUENTIAL_BOTTLENECK), 0);
    fx_free(p);
}

/* ---- ordering ------------------------------------------------------------ */

static void test_bottleneck_sorted_by_impact(void **state)
{
    (void)state;
    /* Diamond with agg 4 s: agg dependency_wait 5.5 > 4 (55.00, medium);
     * agg sequential 40.00; fetch sequential 30.00; a dependency_wait
     * 3 > 2.5 on the critical path (30.00, ties fetch: node 0 first).
     * b, c wait 3 > 2 but are off the critical path; mean execution
     * 13.5 / 5 = 2.7 s, nobody above 5.4 s. */
    dp_profile *p = fx_diamond_run(4 * S);
    assert_int_equal(p->n_bottlenecks, 4);
    assert_int_equal(p->bottlenecks[0].type, DP_BN_DEPENDENCY_WAIT);
    assert_int_equal(p->bottlenecks[0].node, 4);
    assert_true(p->bottlenecks[0].impact == 55.0);
    assert_int_equal(p->bottlenecks[1].type, DP_BN_SEQUENTIAL_BOTTLENECK);
    assert_int_equal(p->bottlenecks[1].node, 4);
    assert_int_equal(p->bottlenecks[2].type, DP_BN_SEQUENTIAL_BOTTLENECK);
    assert_int_equal(p->bottlenecks[2].node, 0);
    assert_true(p->bottlenecks[2].impact == 30.0);
    assert_int_equal(p->bottlenecks[3].type, DP_BN_DEPENDENCY_WAIT);
    assert_int_equal(p->bottlenecks[3].node, 3);
    assert_true(p->bottlenecks[3].impact == 30.0);
    fx_free(p);

    /* src [0,1) -> big [1,9) -> small [9,9.5), wall 10 s. small waited
     * 9 s (90.00, high); big is slow (8 > 2 x 9.5/3, not > 4x: medium,
     * 80.00) and sequential (80% > 40%: high, 80.00); equal impact on one
     * node: slow_node (type 0) before sequential_bottleneck. */
    p = fx_profile(10 * S);
    fx_node(p, "src", 0, 1 * S);
    fx_node(p, "big", 1 * S, 9 * S);
    fx_node(p, "small", 9 * S, 9500 * MS);
    fx_dep(p, 1, 0);
    fx_dep(p, 2, 1);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(p->n_bottlenecks, 3);
    assert_int_equal(p->bottlenecks[0].type, DP_BN_DEPENDENCY_WAIT);
    assert_int_equal(p->bottlenecks[0].node, 2);
    assert_int_equal(p->bottlenecks[0].severity, DP_SEV_HIGH);
    assert_true(p->bottlenecks[0].impact == 90.0);
    assert_int_equal(p->bottlenecks[1].type, DP_BN_SLOW_NODE);
    assert_int_equal(p->bottlenecks[1].node, 1);
    assert_int_equal(p->bottlenecks[1].severity, DP_SEV_MEDIUM);
    assert_true(p->bottlenecks[1].impact == 80.0);
    assert_int_equal(p->bottlenecks[2].type, DP_BN_SEQUENTIAL_BOTTLENECK);
    assert_int_equal(p->bottlenecks[2].node, 1);
    assert_int_equal(p->bottlenecks[2].severity, DP_SEV_HIGH);
    fx_free(p);
}

/* ---- empty and zero ------------------------------------------------------ */

static void test_bottleneck_empty_and_zero_runs(void **state)
{
    (void)state;
    dp_profile *p = fx_profile(0); /* no nodes, no wall */
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(p->n_bottlenecks, 0);
    assert_int_equal(p->n_optimizations, 0);
    fx_free(p);

    /* Zero-length nodes in a zero wall: nothing fires, nothing NaN. */
    p = fx_profile(0);
    fx_node(p, "a", 0, 0);
    fx_node(p, "b", 0, 0);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(p->n_bottlenecks, 0);
    fx_free(p);

    /* Bad data: a node runs 5 s in a zero wall with 3 retries. Rules that
     * divide by the wall fire with impact 0. */
    p = fx_profile(0);
    fx_node(p, "a", 0, 5 * S);
    fx_tool(p, 0, "t", 0, 2 * S, 0);
    fx_finish(p, NULL);
    p->nodes[0].retries = 3;
    p->nodes[0].attempts = 4;
    p->nodes[0].failed_attempts_ns = 1 * S;
    fx_analyze(p, NULL);
    for (size_t i = 0; i < p->n_bottlenecks; i++)
        assert_true(isfinite(p->bottlenecks[i].impact));
    const dp_bottleneck *b = fx_bottleneck(p, DP_BN_EXCESSIVE_RETRIES, 0);
    assert_non_null(b);
    assert_true(b->impact == 0.0);
    b = fx_bottleneck(p, DP_BN_TOOL_LATENCY, 0);
    assert_non_null(b);
    assert_true(b->impact == 40.0); /* per execution time: 2 / 5 */
    assert_null(fx_bottleneck(p, DP_BN_SEQUENTIAL_BOTTLENECK, 0));
    fx_free(p);

    /* dp__analysis_run with a NULL config uses the defaults. */
    p = fx_profile(10 * S);
    fx_node(p, "solo", 0, 5 * S);
    fx_finish(p, NULL);
    dp__analysis_run(p, NULL, NULL);
    assert_int_equal(p->n_bottlenecks, 1);
    fx_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bottleneck_impact_rounding),
        cmocka_unit_test(test_bottleneck_slow_node_thresholds),
        cmocka_unit_test(test_bottleneck_slow_node_names_model),
        cmocka_unit_test(test_bottleneck_high_token_usage_thresholds),
        cmocka_unit_test(test_bottleneck_excessive_retries_thresholds),
        cmocka_unit_test(test_bottleneck_config_overrides_threshold),
        cmocka_unit_test(test_bottleneck_tool_latency_thresholds),
        cmocka_unit_test(test_bottleneck_dependency_wait_thresholds),
        cmocka_unit_test(test_bottleneck_dependency_wait_needs_critical_path),
        cmocka_unit_test(test_bottleneck_dependency_wait_names_latest_dep),
        cmocka_unit_test(test_bottleneck_scheduling_delay_thresholds),
        cmocka_unit_test(test_bottleneck_sequential_diamond),
        cmocka_unit_test(test_bottleneck_sequential_thresholds),
        cmocka_unit_test(test_bottleneck_sequential_join_and_lone_node),
        cmocka_unit_test(test_bottleneck_sorted_by_impact),
        cmocka_unit_test(test_bottleneck_empty_and_zero_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
