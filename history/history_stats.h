/*
 * history_stats.h - statistics over stored runs: trends per bucket
 * (trends.c), the Mann-Whitney U test (mwu.c) and regressions between two
 * versions of a DAG (regress.c). Pure computation on the rows a history
 * backend delivers (history.h), so every backend gives the same answers;
 * the versions a regression compares are read through history.h.
 *
 * Percentiles are nearest rank (runs/stats.h): p50/p95 are values some run
 * really had.
 */
#ifndef DP_HISTORY_STATS_H
#define DP_HISTORY_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "history.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Mann-Whitney U (mwu.c).                                                  */

typedef struct dp_mwu_result {
    double u1;      /* U of the first sample: pairs (x, y) with x > y, ties
                       counting one half */
    double u2;      /* n1 n2 - u1 */
    double z;       /* normal deviate, continuity-corrected */
    double p_value; /* two-sided */
} dp_mwu_result;

/* Two-sided Mann-Whitney U test of x[0..n1) against y[0..n2): ranks of the
 * pooled sample with ties given their mean rank; U1 = R1 - n1(n1+1)/2; the
 * p-value from the normal approximation with the tie correction of the
 * variance and a continuity correction of 1/2:
 *   sigma^2 = n1 n2 / 12 x ((n + 1) - sum(t^3 - t) / (n (n - 1)))
 *   z = (|U1 - n1 n2 / 2| - 1/2) / sigma,  p = erfc(z / sqrt 2) (max 1)
 * (scipy.stats.mannwhitneyu(method='asymptotic'), R's wilcox.test(exact =
 * FALSE, correct = TRUE)). Every value tied, or an empty side: p = 1.
 * Returns 0 or DP_ENOMEM. O((n1 + n2) log(n1 + n2)). */
int dp_mwu_test(const int64_t *x, size_t n1, const int64_t *y, size_t n2,
                dp_mwu_result *out);
/* The same test of two samples each sorted ascending: O(n1 + n2), no
 * allocation. dp_mwu_test sorts copies and calls it, so both give the
 * same bits. */
void dp_mwu_test_sorted(const int64_t *x, size_t n1, const int64_t *y,
                        size_t n2, dp_mwu_result *out);
/* The test's last step, from the first sample's rank sum r1 and the tie
 * term sum(t^3 - t) (n1, n2 > 0): U1, U2, z and p as above. Shared with
 * the pooled-sort reference of the unit tests, which checks the ranks. */
void dp__mwu_from_ranks(double r1, double ties, size_t n1, size_t n2,
                        dp_mwu_result *out);

/* ------------------------------------------------------------------------ */
/* Trends (trends.c).                                                       */

enum dp_trend_by { DP_TREND_DAY = 0, DP_TREND_HOUR = 1, DP_TREND_VERSION = 2 };

/* "day", "hour", "version" -> enum, or DP_EINVAL. */
int dp_trend_by_parse(const char *s);

typedef struct dp_trend_bucket {
    const char *label;      /* "2026-12-03", "2026-12-03T07:00Z", version
                               ("(none)" for runs without one) */
    uint64_t start_unix_ns; /* day or hour start; a version's first run */
    uint64_t runs;
    int64_t wall_p50_ns, wall_p95_ns;
    int64_t cost_p50_pusd, cost_p95_pusd;
    int64_t tokens_total;
    int64_t tokens_mean; /* rounded half away from zero */
    uint64_t errors;     /* runs with a failed node */
    double error_rate;   /* errors / runs */
} dp_trend_bucket;

typedef struct dp_trends dp_trends;

dp_trends *dp_trends_create(int by);
void dp_trends_destroy(dp_trends *t);
/* Adds one run to its bucket (day and hour: UTC, from the run's start).
 * Returns 0 or DP_ENOMEM. Suits dp_history_run_fn (dp_trends_add_fn). */
int dp_trends_add(dp_trends *t, const dp_history_run *run);
int dp_trends_add_fn(void *trends, const dp_history_run *run);
/* Adds a bucket a store aggregated itself (dp_history_trends): version
 * (by version; NULL: runs without one) or any start in the day or hour
 * (by day, hour), runs, pct = {wall p50, wall p95, cost p50, cost p95}
 * (nearest rank), the tokens' sum and the runs with a failed node.
 * DP_EINVAL when the bucket already has runs or a summary. */
int dp_trends_put(dp_trends *t, const char *version, uint64_t start_unix_ns,
                  uint64_t runs, const int64_t pct[4], int64_t tokens,
                  uint64_t errors);
/* Buckets: day/hour in time order, versions in order of first run. The
 * first call computes the percentiles (sorts each bucket). */
size_t dp_trends_count(dp_trends *t);
void dp_trends_get(dp_trends *t, size_t i, dp_trend_bucket *out);

/* Appends an ASCII sparkline of v[0..n): one character per value from
 * "_.-~=+*#" scaled between the smallest and the largest value (all equal:
 * the middle level). Returns 0 or DP_ENOMEM. */
int dp_sparkline(dp_buf *out, const int64_t *v, size_t n);

/* ------------------------------------------------------------------------ */
/* Regressions (regress.c).                                                 */

typedef struct dp_regress_config {
    double min_change; /* 0.10: a change of at least 10% ... */
    double p_value;    /* 0.01: ... with p below this ... */
    uint64_t min_runs; /* 20: ... and at least this many runs each side */
} dp_regress_config;

void dp_regress_config_init(dp_regress_config *c);

enum dp_verdict {
    DP_VERDICT_NONE = 0,        /* "no change" */
    DP_VERDICT_REGRESSION = 1,  /* "regression" */
    DP_VERDICT_IMPROVEMENT = 2, /* "improvement" */
    DP_VERDICT_TOO_FEW = 3      /* "too few runs" */
};
const char *dp_verdict_name(int v);

typedef struct dp_regress_metric {
    int64_t base_p50, cand_p50; /* ns or pico-USD */
    bool has_change;            /* base_p50 != 0 */
    double change_percent;      /* (cand - base) / base x 100 */
    double p_value;
    int verdict; /* enum dp_verdict */
} dp_regress_metric;

typedef struct dp_regress_row {
    const char *node_id; /* NULL: the run as a whole (wall, cost) */
    uint64_t base_runs, cand_runs;
    dp_regress_metric time; /* run: wall; node: executionTime */
    dp_regress_metric cost;
} dp_regress_row;

typedef struct dp_regress dp_regress;

/* Collects the two sides' samples: feed the baseline's runs with
 * side 0 and the candidate's with side 1 (nodes wanted). */
dp_regress *dp_regress_create(void);
void dp_regress_destroy(dp_regress *r);
int dp_regress_add(dp_regress *r, int side, const dp_history_run *run);
/* Adds n samples at once to one key (node_id NULL: the run) of a side:
 * executionTime (the run: wall) and cost, in any order (sorted ones cost
 * no sort). For a store that gathers the samples itself
 * (dp_history_regress); keys are created in the order of the calls, so
 * the run and the baseline's keys come first, in their order. */
int dp_regress_add_series(dp_regress *r, int side, const char *node_id,
                          const int64_t *time, const int64_t *cost, size_t n);
/* The same from n little-endian Int64s at any alignment each (a
 * ClickHouse RowBinary array, copied once). */
int dp_regress_add_series_le(dp_regress *r, int side, const char *node_id,
                             const unsigned char *time,
                             const unsigned char *cost, size_t n);

/* Computes the rows: first the run, then every node present on both
 * sides, in the baseline's order of first appearance. Returns the number
 * of rows (valid until destroy), or a negative DP_E* code. */
long dp_regress_compute(dp_regress *r, const dp_regress_config *c,
                        const dp_regress_row **rows);

/* The versions of a DAG a regression can compare: those with runs (runs
 * without a version take no part), oldest first (by first run), with
 * their run counts. */
typedef struct dp_regress_versions {
    char **v;
    uint64_t *runs;
    uint64_t *first_ns, *last_ns; /* start of each version's first, last run */
    size_t n, cap;
} dp_regress_versions;

/* Reads the versions of f's runs (dp_history_versions) into l, which is
 * zeroed first. Returns 0 or the store's DP_E*; dp_regress_versions_fini
 * either way. */
int dp_regress_versions_read(dp_history *h, const dp_history_filter *f,
                             dp_regress_versions *l);
void dp_regress_versions_fini(dp_regress_versions *l);
/* Index of version v in l, or -1. */
long dp_regress_versions_find(const dp_regress_versions *l, const char *v);
/* Picks the candidate (cand, or the newest version) and the baseline
 * (base, or the version before the candidate): true with their indexes,
 * false when a named version has no runs or none comes before. */
bool dp_regress_versions_pick(const dp_regress_versions *l, const char *base,
                              const char *cand, size_t *bi, size_t *ci);
/* Narrows f's time range to the starts of versions bi and ci (their first
 * run to their last): the same runs of the two versions, which a store
 * then finds by its time index instead of reading every run of the DAG. */
void dp_regress_versions_narrow(const dp_regress_versions *l, size_t bi,
                                size_t ci, dp_history_filter *f);

#ifdef __cplusplus
}
#endif

#endif /* DP_HISTORY_STATS_H */
