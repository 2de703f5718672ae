/*
 * cost.c - prices a finished profile. Runs after the token sums are final
 * and before the analysis (bottlenecks, optimizations), which reads the
 * costs written here. Each LLM call is priced by the pricing table
 * (pricing.c) unless the span carried its own cost; the results are summed
 * per node, per model and for the run, all in exact int64 pico-USD.
 *
 * Rules (DESIGN.md "Tokens and cost"): a call whose model matches no row
 * costs 0, is marked unpriced and its model is listed in unpriced_models
 * with its input + output tokens; an LLM call without a model name counts
 * under "unknown". Carried costs are kept as they are and never re-priced.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "log.h"

#define UNKNOWN_MODEL "unknown"

struct model_amount {
    const char *name;
    int64_t value;
};

static int cmp_amount(const void *a, const void *b)
{
    const struct model_amount *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Sorts items[0..n) by name, merges equal names by summing, and copies the
 * result into a new arena array. Sets *out (NULL when n is 0) and *n_out.
 * O(n log n). Returns 0 or DP_ENOMEM. */
static int collapse(dp_arena *arena, struct model_amount *items, size_t n,
                    dp_named_i64 **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    qsort(items, n, sizeof(*items), cmp_amount);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && strcmp(items[m - 1].name, items[i].name) == 0)
            items[m - 1].value = sat_add(items[m - 1].value, items[i].value);
        else
            items[m++] = items[i];
    }
    dp_named_i64 *arr = dp_arena_alloc(arena, m * sizeof(*arr));
    if (!arr)
        return DP_ENOMEM;
    for (size_t i = 0; i < m; i++) {
        arr[i].name = items[i].name;
        arr[i].value = items[i].value;
    }
    *out = arr;
    *n_out = m;
    return 0;
}

void dp__cost_apply(dp_profile *profile, const dp_pricing *pricing)
{
    if (!profile)
        return;
    profile->cost_pusd = 0;
    profile->cost_by_model = NULL;
    profile->n_cost_by_model = 0;
    profile->unpriced_models = NULL;
    profile->n_unpriced_models = 0;
    for (size_t i = 0; i < profile->n_nodes; i++)
        profile->nodes[i].cost_pusd = 0;

    size_t n = profile->n_calls;
    /* One entry per call at most in each list; freed before returning. */
    struct model_amount *priced = n ? malloc(n * sizeof(*priced)) : NULL;
    struct model_amount *unpriced = n ? malloc(n * sizeof(*unpriced)) : NULL;
    size_t n_priced = 0, n_unpriced = 0;
    if (n && (!priced || !unpriced)) {
        dp_log_error("processor:cost", "out of memory pricing %zu calls", n);
        /* Still price the calls and totals below; only the lists are lost. */
        free(priced);
        free(unpriced);
        priced = unpriced = NULL;
    }

    for (size_t i = 0; i < n; i++) {
        dp_call *c = &profile->calls[i];
        if (c->kind != DP_CALL_LLM)
            continue;
        const char *model = c->name && c->name[0] ? c->name : UNKNOWN_MODEL;
        if (c->cost_carried) {
            c->priced = true;
        } else {
            int64_t cost = -1;
            if (c->name && c->name[0])
                cost = dp__pricing_cost(pricing, c->name, &c->tokens,
                                        c->span_start_unix_ns);
            c->priced = cost >= 0;
            c->cost_pusd = cost >= 0 ? cost : 0;
        }
        if (c->priced) {
            if (priced)
                priced[n_priced++] = (struct model_amount){model, c->cost_pusd};
        } else if (unpriced) {
            int64_t tok = sat_add(c->tokens.input > 0 ? c->tokens.input : 0,
                                  c->tokens.output > 0 ? c->tokens.output : 0);
            unpriced[n_unpriced++] = (struct model_amount){model, tok};
        }
        profile->cost_pusd = sat_add(profile->cost_pusd, c->cost_pusd);
        if (c->node >= 0 && (size_t)c->node < profile->n_nodes) {
            dp_node *nd = &profile->nodes[c->node];
            nd->cost_pusd = sat_add(nd->cost_pusd, c->cost_pusd);
        }
    }

    if (collapse(profile->arena, priced, n_priced, &profile->cost_by_model,
                 &profile->n_cost_by_model) != 0 ||
        collapse(profile->arena, unpriced, n_unpriced,
                 &profile->unpriced_models, &profile->n_unpriced_models) != 0)
        dp_log_error("processor:cost", "out of memory listing model costs");
    free(priced);
    free(unpriced);
}
