/*
 * store_rows.c - what both stores do with the rows they read back: a run's
 * status from its stored name, and the per-run LLM output throughput the
 * what-if's model swap is scaled by (a leaf: the stores call it, it calls
 * no store).
 */
#include <stdlib.h>
#include <string.h>

#include "history_internal.h"
#include "history_stats.h"

int dp__history_status_of(const char *s)
{
    if (s && strcmp(s, "error") == 0)
        return DP_STATUS_ERROR;
    if (s && strcmp(s, "ok") == 0)
        return DP_STATUS_OK;
    return DP_STATUS_UNSET;
}

int dp__tps_runs_init(dp__tps_runs *t, unsigned max_runs)
{
    memset(t, 0, sizeof(*t));
    t->max = max_runs ? max_runs : 50;
    t->v = malloc(t->max * sizeof(*t->v));
    return t->v ? 0 : DP_ENOMEM;
}

/* Keeps the open run when it counts; true when that fills the list. */
static bool tps_close(dp__tps_runs *t)
{
    if (t->open && t->ns > 0 && t->out > 0)
        t->v[t->n++] = (int64_t)((double)t->out * 1e12 / (double)t->ns);
    return t->n == t->max;
}

bool dp__tps_runs_add(dp__tps_runs *t, bool new_run, int64_t llm_ns,
                      int64_t output_tokens)
{
    if (new_run) {
        if (tps_close(t))
            return true;
        t->open = true;
        t->ns = t->out = 0;
    }
    t->ns += llm_ns;
    t->out += output_tokens;
    return false;
}

int dp__tps_runs_finish(dp__tps_runs *t, double *tps, size_t *runs)
{
    if (t->n < t->max)
        tps_close(t);
    if (t->n) {
        /* milli-tokens per second, ordered */
        dp_stats_sort_i64(t->v, t->n);
        *tps = (double)dp_stats_percentile(t->v, t->n, 50) / 1000.0;
        *runs = t->n;
    }
    free(t->v);
    t->v = NULL;
    return t->n ? 0 : DP_ENOENT;
}
