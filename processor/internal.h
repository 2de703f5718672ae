/*
 * internal.h - dp__ symbols shared between the processor's own files.
 * Never included from receiver/, exporter/ or src/ (tests may include it).
 */
#ifndef DP_PROCESSOR_INTERNAL_H
#define DP_PROCESSOR_INTERNAL_H

#include "analysis_config.h"
#include "arena.h"
#include "pricing.h"
#include "processor.h"

/* ---- saturating sums ------------------------------------------------------
 */

/* a + b, clamped to the int64 range: counts, times and money come from
 * untrusted spans, and a sum that overflows must not wrap (or trap under
 * UBSan). */
static inline int64_t dp__sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* a - b, clamped likewise. */
static inline int64_t dp__sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* ---- hashing ------------------------------------------------------------ */

/* 64-bit FNV-1a continuing from h (start with DP__FNV_INIT). */
#define DP__FNV_INIT 0xcbf29ce484222325ULL
static inline uint64_t dp__fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- cost.c / pricing.c ------------------------------------------------- */

/* Prices every LLM call of a finished profile and sums the results.
 * On entry calls hold tokens, name (model) and, when cost_carried, their own
 * cost_pusd; nodes and profile hold token sums. Fills dp_call.cost_pusd and
 * priced, dp_node.cost_pusd, profile cost_pusd, cost_by_model and
 * unpriced_models, allocating from profile->arena. pricing may be NULL. */
void dp__cost_apply(dp_profile *profile, const dp_pricing *pricing);

/* Cost in pico-USD of tokens on model at unix time at_ns, or -1 when no row
 * matches (unpriced). Used by optimizations to price substitutes. */
int64_t dp__pricing_cost(const dp_pricing *pricing, const char *model,
                         const dp_tokens *tokens, uint64_t at_ns);
/* Uncached input price (pico-USD per token) of model at at_ns for a call
 * with input_tokens (tiers), or -1 when unpriced. */
int64_t dp__pricing_input_price(const dp_pricing *pricing, const char *model,
                                int64_t input_tokens, uint64_t at_ns);

/* ---- bottleneck.c / optimize.c ------------------------------------------ */

/* Fills profile->bottlenecks (sorted by impact, highest first) and then
 * profile->optimizations from a profile whose timing, tokens and cost are
 * final. cfg is never NULL. */
void dp__analysis_run(dp_profile *profile, const dp_analysis_config *cfg,
                      const dp_pricing *pricing);
void dp__bottlenecks_detect(dp_profile *profile, const dp_analysis_config *cfg);
void dp__optimizations_build(dp_profile *profile, const dp_analysis_config *cfg,
                             const dp_pricing *pricing);

/* optimize_sim.c: savings by what-if replay (replay.h) of a profile
 * being finalized. Zero-initialize, set p and pricing; the replay context
 * is made on first use; dp__opt_sim_fini releases it. Each returns false
 * when the replay cannot answer (then use DESIGN.md's formula). */
struct dp_change;
struct dp_replay_ctx;
struct dp__opt_sim {
    const dp_profile *p;
    const dp_pricing *pricing;
    struct dp_replay_ctx *ctx;
    bool failed;
};
/* Wall time the changes save (profile wall - replayed wall; may be <= 0). */
bool dp__opt_sim_wall(struct dp__opt_sim *s, const struct dp_change *changes,
                      size_t n, int64_t *saving_ns);
/* Cost of model's calls (exactly that name) now and at substitute, over
 * the calls priced both ways, and how many those are. */
bool dp__opt_sim_swap(struct dp__opt_sim *s, const char *model,
                      const char *substitute, int64_t *before, int64_t *after,
                      size_t *priced_calls);
void dp__opt_sim_fini(struct dp__opt_sim *s);

/* analysis_util.c helpers: num/den as a percent rounded half-up to 2 decimals
 * (0 when den is 0); sign of x * n - f * y, exactly (f to 6 decimals);
 * seconds and USD formatted for messages into buf. */
double dp__analysis_pct(int64_t num, int64_t den);
int dp__analysis_cmp(int64_t x, int64_t n, double f, int64_t y);
const char *dp__analysis_secs(char *buf, size_t len, int64_t ns);
const char *dp__analysis_usd(char *buf, size_t len, int64_t pusd);

#endif /* DP_PROCESSOR_INTERNAL_H */
