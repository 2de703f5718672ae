/*
 * order_stats.h - the nearest-rank percentile of integer samples and the
 * sort it needs: the one percentile of dagprof (the HTML report's trends;
 * through runs/stats.h, the summary, compare and the history's trends and
 * regressions).
 *
 * Percentile definition (the one used everywhere in dagprof): nearest
 * rank. Of n values sorted ascending, the p-th percentile is the value of
 * rank ceil(p/100 * n) (1-based, at least 1). It is always one of the
 * observed values: p50 of {10, 20, 30, 40} is 20, p95 of {100, 200, 300,
 * 400, 1000} is 1000, and p100 is the maximum.
 */
#ifndef DP_EXPORTER_ORDER_STATS_H
#define DP_EXPORTER_ORDER_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Sorts v[0..n) ascending. O(n log n). */
void dp_stats_sort_i64(int64_t *v, size_t n);

/* The 1-based nearest rank of the p-th percentile among n values:
 * ceil(p * n / 100), clamped to [1, n]. p in [0, 100]; n > 0. */
size_t dp_stats_rank(size_t n, unsigned p);

/* The p-th percentile (nearest rank) of sorted[0..n), which must be sorted
 * ascending; 0 when n is 0. O(1). */
int64_t dp_stats_percentile(const int64_t *sorted, size_t n, unsigned p);

#endif /* DP_EXPORTER_ORDER_STATS_H */
