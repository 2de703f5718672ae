/*
 * optimize_sim.c - the optimizations' savings by replay (DESIGN.md
 * "Optimizations" and "Simulation (what-if)"): optimize.c asks what the
 * run would have taken or cost with a change applied, and this file runs
 * the what-if replay (replay.h) on the profile being finalized. The
 * replay context is built on first use, so a profile with no
 * recommendation that needs one pays nothing. When a replay cannot answer
 * (out of memory, a substitute without a price), the caller falls back to
 * DESIGN.md's formula.
 */
#include <string.h>

#include "internal.h"
#include "log.h"
#include "replay_int.h"

static bool ready(struct dp__opt_sim *s)
{
    if (s->failed)
        return false;
    if (!s->ctx) {
        s->ctx = dp_replay_create(s->p, s->pricing, false);
        if (!s->ctx) {
            s->failed = true;
            dp_log_warn("processor:analysis",
                        "out of memory: savings by formula, not by replay");
            return false;
        }
        s->ctx->no_peak = true; /* savings need walls, not concurrency */
    }
    return true;
}

bool dp__opt_sim_wall(struct dp__opt_sim *s, const dp_change *changes, size_t n,
                      int64_t *saving_ns)
{
    dp_replay r;
    if (!ready(s) || dp_replay_run(s->ctx, changes, n, &r, NULL, 0))
        return false;
    *saving_ns = dp__sat_sub(s->p->wall_ns, r.wall_ns);
    dp_replay_fini(&r);
    return true;
}

bool dp__opt_sim_swap(struct dp__opt_sim *s, const char *model,
                      const char *substitute, int64_t *before, int64_t *after,
                      size_t *priced_calls)
{
    dp_change ch;
    dp_replay r;
    memset(&ch, 0, sizeof ch);
    ch.kind = DP_CHANGE_MODEL;
    ch.a = (char *)model;
    ch.b = (char *)substitute;
    ch.exact = true;
    if (!ready(s) || dp_replay_run(s->ctx, &ch, 1, &r, NULL, 0))
        return false;
    *before = r.swap_cost_before_pusd;
    *after = r.swap_cost_after_pusd;
    *priced_calls = r.swap_priced_calls;
    dp_replay_fini(&r);
    return true;
}

void dp__opt_sim_fini(struct dp__opt_sim *s)
{
    dp_replay_destroy(s->ctx);
    s->ctx = NULL;
}
