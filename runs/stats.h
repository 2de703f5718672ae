/*
 * stats.h - order statistics, exact means and wide money formatting for the
 * views across runs (`dagprof report --summary`, `dagprof compare`) and
 * the history's trends and regressions.
 *
 * Every quantity summarized across runs is an integer (nanoseconds,
 * pico-USD, tokens), so percentiles are picked from the observed values
 * and means are computed from 128-bit sums: nothing passes through double
 * until a ratio is printed. Projections (runs per day x per-run cost) may
 * exceed int64 pico-USD, hence the 128-bit formatters.
 *
 * Percentiles are nearest rank, the one definition of order_stats.h
 * (exporter/, so that the HTML report's trends use it too), included here
 * with the sort they need.
 */
#ifndef DP_SRC_STATS_H
#define DP_SRC_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "order_stats.h"

/* gcc and clang provide a 128-bit integer on every 64-bit target. */
__extension__ typedef __int128 dp_i128;

/* sum / n rounded half away from zero; 0 when n is 0. */
int64_t dp_stats_mean(dp_i128 sum, uint64_t n);

/* sum * 100 / n rounded half away from zero (a mean in hundredths, for
 * token counts); 0 when n is 0. */
int64_t dp_stats_mean_x100(dp_i128 sum, uint64_t n);

/* Appends v in decimal. Returns 0 or DP_ENOMEM. */
int dp_stats_i128(dp_buf *b, dp_i128 v);

/* Appends the exact USD amount of pusd pico-USD as a JSON number, like
 * dp_buf_usd but for 128-bit amounts ("0.42", "0", "-1500000.25"). */
int dp_stats_usd_exact(dp_buf *b, dp_i128 pusd);

/* Appends pusd for a person, as dp_money_text writes every human-facing
 * amount ("$1514.00", "$0.4200", "$0.0043", "<$0.0001"). */
int dp_stats_usd_text(dp_buf *b, dp_i128 pusd);

/* Appends a value kept in hundredths with the trailing zeros of the
 * fraction trimmed: 2881150 -> "28811.5", 100 -> "1", -5 -> "-0.05". */
int dp_stats_x100(dp_buf *b, int64_t x100);

#endif /* DP_SRC_STATS_H */
