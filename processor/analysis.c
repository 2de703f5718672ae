/*
 * analysis.c - the analysis stage of finalization. The processor calls
 * dp__analysis_run() once a profile's timing, tokens and cost are final;
 * it runs bottleneck detection (bottleneck.c) and then the optimization
 * recommendations (optimize.c), which read the bottlenecks. This file also
 * holds the defaults of dp_analysis_config (DESIGN.md "Bottlenecks",
 * "Optimizations"). The number and text helpers both stages share are in
 * analysis_util.c, a leaf, so calls only run from here to the stages.
 */
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
