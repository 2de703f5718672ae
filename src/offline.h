/*
 * offline.h - what the offline commands (report, report --summary, compare)
 * share: the configuration keys that matter offline (analysis thresholds,
 * pricing file; from --config, DAGPROF_* and flags), the pricing table, and
 * the processor settings for a whole file at once (no trace or span limit,
 * no late window of the processor's own; window.c adds the input window
 * that finalizes traces before the end of input).
 */
#ifndef DP_OFFLINE_H
#define DP_OFFLINE_H

#include "config.h"
#include "processor.h"

typedef struct dp_offline {
    dp_config cfg;
    dp_pricing *pricing;
    dp_processor_config proc; /* points at pricing and cfg.analysis */
} dp_offline;

/* The main of an offline command: takes --config FILE, the DAGPROF_*
 * variables and the flags of the analysis.* and pricing.* keys out of argv
 * (the other arguments kept in order), loads the pricing table and returns
 * what main_fn returns for them and the rest of the arguments; or prints
 * "dagprof <cmd>: <message>" and returns 2 (the usage exit status). */
int dp_offline_main(const char *cmd, int argc, char **argv,
                    int (*main_fn)(const dp_offline *o, int argc, char **argv));

/* The lines of --help that describe what dp_offline_main reads. */
#define DP_OFFLINE_HELP                                                        \
    "  --pricing FILE            add or override pricing-table rows (JSON,\n"  \
    "                            dagprof's format or a LiteLLM price map)\n"   \
    "  --config FILE             YAML configuration: the analysis.* keys\n"    \
    "                            (bottleneck and optimization thresholds)\n"   \
    "                            and pricing.file are read; every analysis\n"  \
    "                            key also has a flag, e.g.\n"                  \
    "                            --slow-node-factor 3 (see `dagprof serve\n"   \
    "                            --help` and docs/configuration.md)\n"

#endif /* DP_OFFLINE_H */
