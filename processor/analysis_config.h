/*
 * analysis_config.h - the thresholds of bottleneck detection and optimizations
 * (processor/analysis.c), handed to the processor by pointer
 * (dp_processor_config.analysis).
 */
#ifndef DP_ANALYSIS_CONFIG_H
#define DP_ANALYSIS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Analysis thresholds (DESIGN.md "Bottlenecks", "Optimizations"). Fill with  */
/* dp_analysis_config_init() then override.                                  */

typedef struct dp_model_map {
    const char *pattern;    /* model-name pattern, as in the pricing table */
    const char *substitute; /* cheaper model name priced by the table */
} dp_model_map;

typedef struct dp_analysis_config {
    double slow_node_factor, slow_node_high_factor;             /* 2, 4 */
    double token_factor, token_high_factor;                     /* 3, 5 */
    uint32_t retries_min, retries_high;                         /* 2, 3 */
    int64_t tool_latency_ns, tool_latency_high_ns;              /* 1 s, 5 s */
    double dependency_wait_factor, dependency_wait_high_factor; /* 1, 2 */
    int64_t scheduling_delay_min_ns;                            /* 100 ms */
    double scheduling_delay_wall_frac, scheduling_delay_high_frac; /* .05,.2 */
    double sequential_frac, sequential_high_frac;                  /* .2, .4 */
    double parallelize_efficiency_below;                           /* 0.8 */
    double downgrade_token_share;                                  /* 0.3 */
    uint32_t batch_min_calls;                                      /* 3 */
    int64_t reduce_context_mean_input;                             /* 4000 */
    int64_t reduce_context_target;                                 /* 2000 */
    const dp_model_map *downgrade_map; /* NULL: the default Opus -> Sonnet */
    size_t n_downgrade_map;
} dp_analysis_config;

void dp_analysis_config_init(dp_analysis_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* DP_ANALYSIS_CONFIG_H */
