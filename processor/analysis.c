/*
 * analysis.c - the analysis stage of finalization. The processor calls
 * dp__analysis_run() once a profile's timing, tokens and cost are final;
 * it runs bottleneck detection (bottleneck.c) and then the optimization
 * recommendations (optimize.c), which read the bottlenecks. This file also
 * holds the defaults of dp_analysis_config (DESIGN.md "Bottlenecks",
 * "Optimizations") and the small number and text helpers both stages share
 * (exact percent rounding, seconds, USD, node-name lists).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void dp_analysis_config_init(dp_analysis_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof(*cfg));
    cfg->slow_node_factor = 2.0;
    cfg->slow_node_high_factor = 4.0;
    cfg->token_factor = 3.0;
    cfg->token_high_factor = 5.0;
    cfg->retries_min = 2;
    cfg->retries_high = 3;
    cfg->tool_latency_ns = 1000000000LL;
    cfg->tool_latency_high_ns = 5000000000LL;
    cfg->dependency_wait_factor = 1.0;
    cfg->dependency_wait_high_factor = 2.0;
    cfg->scheduling_delay_min_ns = 100000000LL;
    cfg->scheduling_delay_wall_frac = 0.05;
    cfg->scheduling_delay_high_frac = 0.2;
    cfg->sequential_frac = 0.2;
    cfg->sequential_high_frac = 0.4;
    cfg->parallelize_efficiency_below = 0.8;
    cfg->downgrade_token_share = 0.3;
    cfg->batch_min_calls = 3;
    cfg->reduce_context_mean_input = 4000;
    cfg->reduce_context_target = 2000;
    cfg->downgrade_map = NULL; /* the default Opus -> Sonnet map */
    cfg->n_downgrade_map = 0;
}

__extension__ typedef __int128 i128;

/* Returns 100 * num / den rounded half up to 2 decimals, computed exactly
 * in 128-bit integers so that 27.535 never turns into 27.53 through a
 * binary fraction, for any num and den (a wall of decades, a cost of
 * millions of USD); 0 when num <= 0 or den <= 0 (no NaN, no inf). */
double dp__analysis_pct(int64_t num, int64_t den)
{
    if (num <= 0 || den <= 0)
        return 0.0;
    i128 scaled = (i128)num * 10000;
    i128 q = scaled / den, r = scaled % den;
    if (r >= den - r) /* 2r >= den without overflow */
        q++;
    return (double)q / 100.0;
}

/* Compares x * n with f * y exactly: returns -1, 0 or 1. f (a configured
 * factor or fraction) is taken to 6 decimals as the integer round(f * 1e6)
 * and both sides are multiplied out in 128 bits, so "9000 > 0.3 x 30000"
 * is false as written, not decided by how 0.3 rounds in binary. A negative
 * or non-finite f counts as 0. */
int dp__analysis_cmp(int64_t x, int64_t n, double f, int64_t y)
{
    int64_t fm = 0;
    if (isfinite(f) && f > 0)
        fm = f >= 9e12 ? INT64_MAX / 2 : (int64_t)llround(f * 1e6);
    i128 l = (i128)x * n * 1000000, r = (i128)fm * y;
    return (l > r) - (l < r);
}

/* Formats ns as seconds with 3 decimals ("12.456 s"), rounded to the
 * millisecond, into buf; returns buf. */
const char *dp__analysis_secs(char *buf, size_t len, int64_t ns)
{
    const char *sign = "";
    uint64_t u = (uint64_t)ns;
    if (ns < 0) {
        sign = "-";
        u = (uint64_t)0 - u;
    }
    uint64_t ms = (u + 500000u) / 1000000u;
    snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64 " s", sign, ms / 1000u,
             ms % 1000u);
    return buf;
}

/* Formats pico-USD as "$1.20", "$0.0525", "$0.000045": rounded to the
 * micro-dollar, trailing zeros dropped down to 2 decimals. Returns buf. */
const char *dp__analysis_usd(char *buf, size_t len, int64_t pusd)
{
    const char *sign = "";
    uint64_t u = (uint64_t)pusd;
    if (pusd < 0) {
        sign = "-";
        u = (uint64_t)0 - u;
    }
    uint64_t micro = (u + 500000u) / 1000000u;
    char frac[8];
    snprintf(frac, sizeof(frac), "%06" PRIu64, micro % 1000000u);
    size_t n = 6;
    while (n > 2 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, len, "%s$%" PRIu64 ".%s", sign, micro / 1000000u, frac);
    return buf;
}

void dp__analysis_run(dp_profile *profile, const dp_analysis_config *cfg,
                      const dp_pricing *pricing)
{
    if (!profile)
        return;
    dp_analysis_config defaults;
    if (!cfg) {
        dp_analysis_config_init(&defaults);
        cfg = &defaults;
    }
    profile->bottlenecks = NULL;
    profile->n_bottlenecks = 0;
    profile->optimizations = NULL;
    profile->n_optimizations = 0;
    if (!profile->arena)
        return;
    dp__bottlenecks_detect(profile, cfg);
    dp__optimizations_build(profile, cfg, pricing);
}
