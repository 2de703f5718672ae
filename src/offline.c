/*
 * offline.c - settings shared by the offline commands (see offline.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "offline.h"
#include "pricing.h"

static void offline_fini(dp_offline *o);

static int offline_init(dp_offline *o, const char *cmd, int *argc, char **argv)
{
    static const char *const offline_keys[] = {
        "analysis.", "pricing.", "processor.inference_tolerance",
        "processor.profile_all_traces", NULL};
    char err[512];

    memset(o, 0, sizeof(*o));
    dp_config_init(&o->cfg);
    int rest = dp_config_from_args_only(&o->cfg, *argc, argv, offline_keys, err,
                                        sizeof(err));
    if (rest < 0) {
        fprintf(stderr, "dagprof %s: %s\n", cmd, err);
        offline_fini(o);
        return 2;
    }
    *argc = rest;
    argv[rest] = NULL;
    o->pricing = dp_pricing_create_default();
    if (!o->pricing) {
        fprintf(stderr, "dagprof %s: out of memory\n", cmd);
        offline_fini(o);
        return 2;
    }
    if (o->cfg.pricing_file && o->cfg.pricing_file[0] &&
        dp_pricing_load_file(o->pricing, o->cfg.pricing_file, err,
                             sizeof(err))) {
        fprintf(stderr, "dagprof %s: %s\n", cmd, err);
        offline_fini(o);
        return 2;
    }
    dp_processor_config_init(&o->proc);
    o->proc.pricing = o->pricing;
    o->proc.analysis = &o->cfg.analysis;
    o->proc.max_traces = SIZE_MAX;
    o->proc.max_spans_per_trace = SIZE_MAX;
    o->proc.late_window_ns = 0;
    o->proc.inference_tolerance_ns = o->cfg.inference_tolerance_ns;
    o->proc.profile_all_traces = o->cfg.profile_all_traces;
    return 0;
}

static void offline_fini(dp_offline *o)
{
    dp_pricing_destroy(o->pricing);
    o->pricing = NULL;
    dp_config_fini(&o->cfg);
}

int dp_offline_main(const char *cmd, int argc, char **argv,
                    int (*main_fn)(const dp_offline *o, int argc, char **argv))
{
    dp_offline off;
    if (offline_init(&off, cmd, &argc, argv))
        return 2;
    int status = main_fn(&off, argc, argv);
    offline_fini(&off);
    return status;
}
