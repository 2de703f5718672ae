/*
 * test_history_stats.c - the statistics over stored runs: the Mann-Whitney
 * U test against known values (history/mwu.c), regressions between two
 * versions (history/regress.c), trends per day, hour and version and the
 * ASCII sparkline (history/trends.c).
 *
 * Known values of the U test (two-sided, normal approximation with tie and
 * continuity correction):
 *
 *   1. scipy.stats.mannwhitneyu's documented example (males vs females,
 *      method="asymptotic"): x = 19 22 16 29 24, y = 20 11 17 12:
 *      U1 = 17, p = 0.11134688653314041.
 *   2. With ties, by hand: x = 1 2 2 3 3 3, y = 3 4 4 5 5 6. Pooled ranks:
 *      1 -> 1; 2 2 -> 2.5; 3 3 3 3 -> 5.5; 4 4 -> 8.5; 5 5 -> 10.5; 6 -> 12.
 *      R1 = 1 + 2 x 2.5 + 3 x 5.5 = 22.5, U1 = 22.5 - 21 = 1.5, U2 = 34.5.
 *      Ties: 2^3-2 + 4^3-4 + 2^3-2 + 2^3-2 = 78. sigma^2 = 36/12 x (13 -
 *      78/132) = 37.227273; z = (34.5 - 18 - 0.5) / 6.101416 = 2.622343;
 *      p = erfc(z / sqrt 2) = 0.0087328.
 *   3. Fully separated, by hand: x = 1..20, y = 21..40: U1 = 0,
 *      sigma^2 = 400 x 41 / 12 = 1366.67, z = 199.5 / 36.968 = 5.39650,
 *      p = 6.7956e-08.
 *   4. R's wilcox.test help example (x = 0.80 0.83 1.89 1.04 1.45 1.38 1.91
 *      1.64 0.73 1.46, y = 1.15 0.88 0.90 0.74 1.21; W = 35) two-sided
 *      with exact = FALSE, correct = TRUE: z = (35 - 25 - 0.5) / 8.16497 =
 *      1.16351, p = 0.24462.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history_stats.h"

#define SEC 1000000000ULL
#define MS 1000000LL
#define DAY0 1764547200000000000ULL /* 2025-12-01T00:00:00Z */

static void assert_close(double got, double want, double rel)
{
    if (fabs(got - want) > rel * fabs(want)) {
        fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want,
                 rel);
    }
}

static int cmp_i64_test(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_mwu_scipy_example(void **state)
{
    (void)state;
    const int64_t x[] = {19, 22, 16, 29, 24}, y[] = {20, 11, 17, 12};
    dp_mwu_result r;
    assert_int_equal(dp_mwu_test(x, 5, y, 4, &r), 0);
    assert_close(r.u1, 17, 0);
    assert_close(r.u2, 3, 0);
    assert_close(r.p_value, 0.11134688653314041, 1e-12);
    /* The test is symmetric: swapping the samples swaps U, not p. */
    assert_int_equal(dp_mwu_test(y, 4, x, 5, &r), 0);
    assert_close(r.u1, 3, 0);
    assert_close(r.p_value, 0.11134688653314041, 1e-12);
}

static void test_mwu_ties_by_hand(void **state)
{
    (void)state;
    const int64_t x[] = {1, 2, 2, 3, 3, 3}, y[] = {3, 4, 4, 5, 5, 6};
    dp_mwu_result r;
    assert_int_equal(dp_mwu_test(x, 6, y, 6, &r), 0);
    assert_close(r.u1, 1.5, 0);
    assert_close(r.z, 2.622343, 1e-6);
    assert_close(r.p_value, 0.0087327685, 1e-7);
}

static void test_mwu_separated_and_r_example(void **state)
{
    (void)state;
    int64_t x[20], y[20];
    for (int i = 0; i < 20; i++) {
        x[i] = i + 1;
        y[i] = i + 21;
    }
    dp_mwu_result r;
    assert_int_equal(dp_mwu_test(x, 20, y, 20, &r), 0);
    assert_close(r.u1, 0, 0);
    assert_close(r.p_value, 6.795615e-08, 1e-6);
    /* R's example, in hundredths (ranks only depend on the order). */
    const int64_t rx[] = {80, 83, 189, 104, 145, 138, 191, 164, 73, 146};
    const int64_t ry[] = {115, 88, 90, 74, 121};
    assert_int_equal(dp_mwu_test(rx, 10, ry, 5, &r), 0);
    assert_close(r.u1, 35, 0);
    assert_close(r.p_value, 0.24462360512698, 1e-10);
}

static void test_mwu_degenerate(void **state)
{
    (void)state;
    const int64_t same[] = {5, 5, 5, 5};
    dp_mwu_result r;
    assert_int_equal(dp_mwu_test(same, 4, same, 4, &r), 0);
    assert_close(r.p_value, 1, 0); /* every value tied */
    assert_int_equal(dp_mwu_test(same, 4, NULL, 0, &r), 0);
    assert_close(r.p_value, 1, 0); /* an empty side */
    const int64_t a[] = {1, 2, 3}, b[] = {1, 2, 3};
    assert_int_equal(dp_mwu_test(a, 3, b, 3, &r), 0);
    assert_close(r.p_value, 1, 0); /* U = mean: p clipped at 1 */
}

/* ------------------------------------------------------------------------ */

/* A run of two nodes: plan (execution plan_ms, cost plan_cost pico-USD) and
 * act (execution act_ms). */
static dp_history_run make_run(dp_history_node nodes[2], int64_t plan_ms,
                               int64_t act_ms, int64_t plan_cost)
{
    dp_history_run r;
    memset(&r, 0, sizeof(r));
    nodes[0] = (dp_history_node){"plan",    DP_NODE_LEAF, plan_ms * MS,
                                 plan_cost, plan_cost,    DP_STATUS_OK};
    nodes[1] = (dp_history_node){"act", DP_NODE_LEAF, act_ms * MS,
                                 1000,  1000,         DP_STATUS_OK};
    r.dag_id = "d";
    r.wall_ns = (plan_ms + act_ms) * MS;
    r.cost_pusd = plan_cost + 1000;
    r.nodes = nodes;
    r.n_nodes = 2;
    return r;
}

/* 25 runs per side; act is 30% slower in the candidate with the same
 * spread, plan unchanged (the same values), cost of plan unchanged. */
static void test_regress_finds_the_slow_node(void **state)
{
    (void)state;
    dp_regress *g = dp_regress_create();
    dp_history_node nodes[2];
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < 25; i++) {
            int64_t act = 1000 + 4 * i; /* 1000 .. 1096 ms */
            if (side == 1)
                act = act * 13 / 10; /* 1300 .. 1424 ms */
            dp_history_run r = make_run(nodes, 200 + i, act, 5000);
            assert_int_equal(dp_regress_add(g, side, &r), 0);
        }
    dp_regress_config c;
    dp_regress_config_init(&c);
    assert_close(c.min_change, 0.10, 0);
    assert_close(c.p_value, 0.01, 0);
    assert_int_equal(c.min_runs, 20);
    const dp_regress_row *rows;
    long n = dp_regress_compute(g, &c, &rows);
    assert_int_equal(n, 3);
    /* The run: wall p50 1248 -> 1560+... ; a regression too. */
    assert_null(rows[0].node_id);
    assert_int_equal(rows[0].base_runs, 25);
    assert_int_equal(rows[0].time.verdict, DP_VERDICT_REGRESSION);
    assert_int_equal(rows[0].cost.verdict, DP_VERDICT_NONE);
    /* plan: identical samples, p = 1. */
    assert_string_equal(rows[1].node_id, "plan");
    assert_int_equal(rows[1].time.base_p50, 212 * MS); /* 13th of 200..224 */
    assert_int_equal(rows[1].time.cand_p50, 212 * MS);
    assert_close(rows[1].time.change_percent, 0, 0);
    assert_close(rows[1].time.p_value, 1, 0);
    assert_int_equal(rows[1].time.verdict, DP_VERDICT_NONE);
    assert_int_equal(rows[1].cost.verdict, DP_VERDICT_NONE);
    /* act: p50 1048 -> 1362 ms (+29.96%), fully separated: p ~ 1.4e-9. */
    assert_string_equal(rows[2].node_id, "act");
    assert_int_equal(rows[2].time.base_p50, 1048 * MS);
    assert_int_equal(rows[2].time.cand_p50, 1362 * MS);
    assert_close(rows[2].time.change_percent, 29.961832, 1e-6);
    assert_true(rows[2].time.p_value < 1e-8);
    assert_int_equal(rows[2].time.verdict, DP_VERDICT_REGRESSION);
    assert_string_equal(dp_verdict_name(rows[2].time.verdict), "regression");

    /* The same the other way round is an improvement. */
    dp_regress *back = dp_regress_create();
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < 25; i++) {
            int64_t act = 1000 + 4 * i;
            if (side == 0)
                act = act * 13 / 10;
            dp_history_run r = make_run(nodes, 200 + i, act, 5000);
            assert_int_equal(dp_regress_add(back, side, &r), 0);
        }
    n = dp_regress_compute(back, &c, &rows);
    assert_int_equal(rows[2].time.verdict, DP_VERDICT_IMPROVEMENT);
    /* With min_runs 30, too few runs on each side. */
    c.min_runs = 30;
    n = dp_regress_compute(back, &c, &rows);
    assert_int_equal(rows[2].time.verdict, DP_VERDICT_TOO_FEW);
    assert_string_equal(dp_verdict_name(DP_VERDICT_TOO_FEW), "too few runs");
    dp_regress_destroy(back);
    dp_regress_destroy(g);
}

/* A 5% change with a tiny p is not a regression at min_change 10%; a node
 * only one side has gets no row. */
static void test_regress_small_change_and_missing_node(void **state)
{
    (void)state;
    dp_regress *g = dp_regress_create();
    dp_history_node nodes[2];
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < 30; i++) {
            int64_t act = 1000 + i;
            if (side == 1)
                act += 50; /* +5%: separated, but small */
            dp_history_run r = make_run(nodes, 100, act, 0);
            if (side == 1)
                r.n_nodes = 1; /* plan only... */
            if (side == 1) {
                nodes[0] = nodes[1]; /* ...which is act */
            }
            assert_int_equal(dp_regress_add(g, side, &r), 0);
        }
    dp_regress_config c;
    dp_regress_config_init(&c);
    const dp_regress_row *rows;
    long n = dp_regress_compute(g, &c, &rows);
    assert_int_equal(n, 2); /* the run and act; plan only in the baseline */
    assert_string_equal(rows[1].node_id, "act");
    assert_true(rows[1].time.p_value < 1e-6);
    assert_close(rows[1].time.change_percent, 4.930966, 1e-6); /* 1014->1064 */
    assert_int_equal(rows[1].time.verdict, DP_VERDICT_NONE);
    /* The run's cost is the same in every run: p = 1, no change. */
    assert_close(rows[0].cost.p_value, 1, 0);
    assert_close(rows[0].cost.change_percent, 0, 0);
    assert_int_equal(rows[0].cost.verdict, DP_VERDICT_NONE);
    dp_regress_destroy(g);
}

/* ------------------------------------------------------------------------ */

static dp_history_run trend_run(uint64_t start, int64_t wall_ms, int64_t cost,
                                int64_t tokens, bool failed,
                                const char *version)
{
    dp_history_run r;
    memset(&r, 0, sizeof(r));
    r.dag_id = "d";
    r.version = version;
    r.start_unix_ns = start;
    r.wall_ns = wall_ms * MS;
    r.cost_pusd = cost;
    r.tokens = tokens;
    r.failed_nodes = failed ? 1 : 0;
    return r;
}

static void test_trends_by_day(void **state)
{
    (void)state;
    dp_trends *t = dp_trends_create(DP_TREND_DAY);
    /* Day 1: walls 100..500 (5 runs), one failed; day 3: one run. Day 2
     * has none (no bucket). One run of day 1 arrives late. */
    const int64_t walls[] = {300, 100, 500, 200};
    for (int i = 0; i < 4; i++) {
        dp_history_run r = trend_run(DAY0 + (uint64_t)i * 3600 * SEC, walls[i],
                                     walls[i] * 10, 10 + i, i == 2, "1");
        assert_int_equal(dp_trends_add(t, &r), 0);
    }
    dp_history_run r3 =
        trend_run(DAY0 + 2 * 86400 * SEC + 5 * SEC, 700, 7000, 7, false, "1");
    assert_int_equal(dp_trends_add(t, &r3), 0);
    dp_history_run late =
        trend_run(DAY0 + 86399 * SEC, 400, 4000, 15, false, "1");
    assert_int_equal(dp_trends_add(t, &late), 0);
    assert_int_equal(dp_trends_count(t), 2);
    dp_trend_bucket b;
    dp_trends_get(t, 0, &b);
    assert_string_equal(b.label, "2025-12-01");
    assert_int_equal(b.start_unix_ns, DAY0);
    assert_int_equal(b.runs, 5);
    assert_int_equal(b.wall_p50_ns, 300 * MS); /* 3rd of 5 */
    assert_int_equal(b.wall_p95_ns, 500 * MS); /* 5th of 5 */
    assert_int_equal(b.cost_p50_pusd, 3000);
    assert_int_equal(b.tokens_total, 10 + 11 + 12 + 13 + 15);
    assert_int_equal(b.tokens_mean, 12); /* 61 / 5 = 12.2 */
    assert_int_equal(b.errors, 1);
    assert_close(b.error_rate, 0.2, 1e-12);
    dp_trends_get(t, 1, &b);
    assert_string_equal(b.label, "2025-12-03");
    assert_int_equal(b.runs, 1);
    assert_int_equal(b.wall_p95_ns, 700 * MS);
    dp_trends_destroy(t);
}

static void test_trends_by_hour_and_version(void **state)
{
    (void)state;
    dp_trends *h = dp_trends_create(DP_TREND_HOUR);
    dp_trends *v = dp_trends_create(DP_TREND_VERSION);
    const char *vers[] = {"1.1", "1.0", "1.1", NULL};
    for (int i = 0; i < 4; i++) {
        dp_history_run r = trend_run(DAY0 + (uint64_t)i * 1800 * SEC,
                                     100 * (i + 1), 0, 3, false, vers[i]);
        assert_int_equal(dp_trends_add(h, &r), 0);
        assert_int_equal(dp_trends_add(v, &r), 0);
    }
    assert_int_equal(dp_trends_count(h), 2);
    dp_trend_bucket b;
    dp_trends_get(h, 1, &b);
    assert_string_equal(b.label, "2025-12-01T01:00Z");
    assert_int_equal(b.runs, 2);
    assert_int_equal(b.wall_p50_ns, 300 * MS);
    /* Versions in order of their first run; none is "(none)". */
    assert_int_equal(dp_trends_count(v), 3);
    dp_trends_get(v, 0, &b);
    assert_string_equal(b.label, "1.1");
    assert_int_equal(b.runs, 2);
    assert_int_equal(b.wall_p50_ns, 100 * MS);
    assert_int_equal(b.wall_p95_ns, 300 * MS);
    dp_trends_get(v, 1, &b);
    assert_string_equal(b.label, "1.0");
    dp_trends_get(v, 2, &b);
    assert_string_equal(b.label, "(none)");
    assert_int_equal(dp_trend_by_parse("version"), DP_TREND_VERSION);
    assert_int_equal(dp_trend_by_parse("week"), DP_EINVAL);
    dp_trends_destroy(h);
    dp_trends_destroy(v);
}

/* Buckets a store aggregated (dp_trends_put) read back as those made run
 * by run: labels from the start, the mean rounded, the error rate. */
static void test_trends_put(void **state)
{
    (void)state;
    dp_trends *d = dp_trends_create(DP_TREND_DAY);
    dp_trends *run = dp_trends_create(DP_TREND_DAY);
    const int64_t walls[] = {400, 100, 300, 200};
    for (int i = 0; i < 4; i++) {
        dp_history_run r = trend_run(DAY0 + 86400 * SEC + (uint64_t)i * SEC,
                                     walls[i], 7, 3 + i, i == 2, "1.0");
        assert_int_equal(dp_trends_add(run, &r), 0);
    }
    dp_trend_bucket want, got;
    dp_trends_get(run, 0, &want);
    const int64_t pct[4] = {want.wall_p50_ns, want.wall_p95_ns,
                            want.cost_p50_pusd, want.cost_p95_pusd};
    /* Any start in the day; put out of order after a later day. */
    assert_int_equal(
        dp_trends_put(d, NULL, DAY0 + 2 * 86400 * SEC + 5, 1, pct, 1, 0), 0);
    assert_int_equal(dp_trends_put(d, NULL, DAY0 + 86400 * SEC + 77, 4, pct,
                                   want.tokens_total, want.errors),
                     0);
    assert_int_equal(dp_trends_count(d), 2);
    dp_trends_get(d, 0, &got);
    assert_string_equal(got.label, want.label);
    assert_true(got.start_unix_ns == want.start_unix_ns);
    assert_int_equal(got.runs, 4);
    assert_int_equal(got.wall_p50_ns, 200 * MS); /* nearest rank: 2nd of 4 */
    assert_int_equal(got.tokens_total, want.tokens_total);
    assert_int_equal(got.tokens_mean, want.tokens_mean);
    assert_int_equal(got.errors, 1);
    assert_true(got.error_rate == want.error_rate);
    /* One summary per bucket, and no runs beside it. */
    assert_int_equal(dp_trends_put(d, NULL, DAY0 + 86400 * SEC, 1, pct, 0, 0),
                     DP_EINVAL);
    dp_history_run r = trend_run(DAY0 + 86400 * SEC, 1, 0, 0, false, NULL);
    assert_int_equal(dp_trends_add(d, &r), DP_EINVAL);
    dp_trends_destroy(d);
    dp_trends_destroy(run);
}

/* The U test of sorted samples is the same bits as of unsorted ones. */
static void test_mwu_sorted_same_bits(void **state)
{
    (void)state;
    enum { N1 = 137, N2 = 211 };
    int64_t x[N1], y[N2], xs[N1], ys[N2];
    uint64_t seed = 12345;
    for (int i = 0; i < N1 + N2; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t v = (int64_t)(seed >> 58); /* 0..63: many ties */
        if (i < N1)
            x[i] = v;
        else
            y[i - N1] = v + (i % 3 == 0);
    }
    memcpy(xs, x, sizeof(x));
    memcpy(ys, y, sizeof(y));
    qsort(xs, N1, sizeof(int64_t), cmp_i64_test);
    qsort(ys, N2, sizeof(int64_t), cmp_i64_test);
    dp_mwu_result a, b;
    assert_int_equal(dp_mwu_test(x, N1, y, N2, &a), 0);
    dp_mwu_test_sorted(xs, N1, ys, N2, &b);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_true(a.p_value > 0 && a.p_value < 1);
}

static void test_sparkline(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b);
    const int64_t up[] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(dp_sparkline(&b, up, 8), 0);
    assert_string_equal(b.data, "_.-~=+*#");
    dp_buf_reset(&b);
    const int64_t v[] = {10, 40, 25};
    assert_int_equal(dp_sparkline(&b, v, 3), 0);
    assert_string_equal(b.data, "_#="); /* 25: half way, 3.5 -> 4 */
    dp_buf_reset(&b);
    const int64_t flat[] = {5, 5};
    assert_int_equal(dp_sparkline(&b, flat, 2), 0);
    assert_string_equal(b.data, "~~");
    dp_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mwu_scipy_example),
        cmocka_unit_test(test_mwu_ties_by_hand),
        cmocka_unit_test(test_mwu_separated_and_r_example),
        cmocka_unit_test(test_mwu_degenerate),
        cmocka_unit_test(test_regress_finds_the_slow_node),
        cmocka_unit_test(test_regress_small_change_and_missing_node),
        cmocka_unit_test(test_trends_by_day),
        cmocka_unit_test(test_trends_by_hour_and_version),
        cmocka_unit_test(test_sparkline),
        cmocka_unit_test(test_trends_put),
        cmocka_unit_test(test_mwu_sorted_same_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
