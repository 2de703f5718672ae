/*
 * common.h - small helpers shared by the benchmark programs in bench/:
 * monotonic time, resident memory, percentiles, and the one-line JSON
 * result records that bench/run collects and dp_bench_report turns into
 * the table.
 */
#ifndef DP_BENCH_COMMON_H
#define DP_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>

/* CLOCK_MONOTONIC in nanoseconds (the clock uv_hrtime() reads). */
uint64_t dp_bench_now_ns(void);

/* Resident set size of this process in bytes (/proc/self/statm), 0 when
 * unknown. */
uint64_t dp_bench_rss_bytes(void);

/* Sorts v[0..n) and returns the nearest-rank p-th percentile (0 < p <=
 * 100); 0 when n == 0. */
double dp_bench_percentile(double *v, size_t n, double p);

/* Median of v[0..n) (sorts it). */
double dp_bench_median(double *v, size_t n);

/* Writes one result record as a JSON line to out (and flushes):
 *   {"figure":figure,"value":value,"unit":unit<, extra>}
 * extra is a fragment of further members ("\"p99_ms\":1.2") or NULL. */
void dp_bench_result(FILE *out, const char *figure, double value,
                     const char *unit, const char *extra);

/* Parses "123", "10k", "2M" (decimal multipliers); returns 0 on error. */
uint64_t dp_bench_parse_count(const char *s);

#endif /* DP_BENCH_COMMON_H */
