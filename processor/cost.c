/*
 * cost.c - prices a finished profile's LLM calls. Placeholder: keeps carried
 * costs and sums them; the full version lands next.
 */
#include "internal.h"

void dp__cost_apply(dp_profile *profile, const dp_pricing *pricing)
{
    (void)pricing;
    int64_t total = 0;
    for (size_t i = 0; i < profile->n_calls; i++) {
        dp_call *c = &profile->calls[i];
        if (c->kind != DP_CALL_LLM)
            continue;
        c->priced = c->cost_carried;
        if (!c->cost_carried)
            c->cost_pusd = 0;
        total += c->cost_pusd;
    }
    profile->cost_pusd = total;
}
