/*
 * analysis_fixture.h - hand-built dp_profile values for the analysis tests
 * (test_bottleneck.c, test_optimize.c), so bottleneck and optimization rules
 * are tested on exact numbers without going through spans.
 *
 * Use: fx_profile(wall) -> fx_node() for each node IN START ORDER (then end,
 * then id, as the processor orders them) -> fx_dep() -> fx_llm()/fx_tool()
 * IN START ORDER -> fx_finish(pricing) -> adjust fields the fixture does not
 * derive (retries, failed_attempts_ns, ...) -> dp__analysis_run() ->
 * fx_free(). fx_finish derives what DESIGN.md "Metrics" defines from the
 * nodes and calls: dependencyWait, queueDelay, waitTime, duration, LLM and
 * tool time (plain sums), tokens and cost by node, model and run, the
 * critical path and the parallelism ratios. Times are ns offsets from the
 * run start (0).
 */
#ifndef DP_TEST_ANALYSIS_FIXTURE_H
#define DP_TEST_ANALYSIS_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "analysis_config.h"
#include "internal.h"

#define FX_S 1000000000LL
#define FX_MS 1000000LL
#ifndef FX_MAX_NODES
#define FX_MAX_NODES 64
#endif
#ifndef FX_MAX_CALLS
#define FX_MAX_CALLS 256
#endif
#ifndef FX_MAX_MODELS
#define FX_MAX_MODELS 16
#endif
/* 2025-06-01T00:00:00Z, the unix start of every call (pricing date). */
#define FX_CALL_UNIX_NS 1748736000000000000ULL
/* fx_llm cost argument: price the call from the table given to fx_finish. */
#define FX_PRICE (-2)
/* fx_llm cost argument: the call is unpriced. */
#define FX_UNPRICED (-1)

static inline dp_profile *fx_profile(int64_t wall_ns)
{
    dp_profile *p = calloc(1, sizeof(*p));
    if (!p)
        abort();
    p->arena = dp__arena_create(4096);
    p->nodes = dp__arena_alloc(p->arena, FX_MAX_NODES * sizeof(dp_node));
    p->calls = dp__arena_alloc(p->arena, FX_MAX_CALLS * sizeof(dp_call));
    if (!p->arena || !p->nodes || !p->calls)
        abort();
    p->wall_ns = wall_ns;
    p->complete = true;
    p->has_root = true;
    p->dag_id = "fixture-dag";
    return p;
}

static inline void fx_free(dp_profile *p)
{
    if (!p)
        return;
    dp__arena_destroy(p->arena);
    free(p);
}

/* Adds a node running [start, end); returns its index. */
static inline size_t fx_node(dp_profile *p, const char *id, int64_t start,
                             int64_t end)
{
    if (p->n_nodes >= FX_MAX_NODES)
        abort();
    if (p->n_nodes > 0 && p->nodes[p->n_nodes - 1].start_ns > start)
        abort(); /* nodes must be added in start order */
    dp_node *n = &p->nodes[p->n_nodes];
    n->id = dp__arena_strdup(p->arena, id);
    n->start_ns = start;
    n->end_ns = end;
    n->execution_ns = end - start;
    n->attempts = 1;
    n->status = DP_STATUS_OK;
    n->parent = -1; /* a leaf at top level */
    p->n_leaves++;
    return p->n_nodes++;
}

/* Declares that node depends on dep. */
static inline void fx_dep(dp_profile *p, size_t node, size_t dep)
{
    dp_node *n = &p->nodes[node];
    if (!n->deps) {
        n->deps = dp__arena_alloc(p->arena, FX_MAX_NODES * sizeof(size_t));
        n->dep_source = DP_DEP_ATTRIBUTE;
    }
    n->deps[n->n_deps++] = dep;
    n->ready_deps = n->deps; /* all leaves: the deps set the ready time */
    n->n_ready_deps = n->n_deps;
}

static inline dp_call *fx_call(dp_profile *p, int kind, long node,
                               const char *name, int64_t start, int64_t end)
{
    if (p->n_calls >= FX_MAX_CALLS)
        abort();
    if (p->n_calls > 0 && p->calls[p->n_calls - 1].start_ns > start)
        abort(); /* calls must be added in start order */
    dp_call *k = &p->calls[p->n_calls++];
    k->kind = kind;
    k->node = node;
    k->name = dp__arena_strdup(p->arena, name);
    k->start_ns = start;
    k->end_ns = end;
    k->success = true;
    k->span_start_unix_ns = FX_CALL_UNIX_NS + (uint64_t)start;
    return k;
}

/* Adds an LLM call with tokens (no cache, no reasoning) and a cost in
 * pico-USD, FX_PRICE (priced by fx_finish's table) or FX_UNPRICED. */
static inline dp_call *fx_llm(dp_profile *p, long node, const char *model,
                              int64_t start, int64_t end, int64_t in,
                              int64_t out, int64_t cost_pusd)
{
    dp_call *k = fx_call(p, DP_CALL_LLM, node, model, start, end);
    k->tokens.input = in;
    k->tokens.output = out;
    k->has_tokens = true;
    k->cost_pusd = cost_pusd;
    k->priced = cost_pusd >= 0;
    return k;
}

static inline dp_call *fx_tool(dp_profile *p, long node, const char *tool,
                               int64_t start, int64_t end, uint64_t key)
{
    dp_call *k = fx_call(p, DP_CALL_TOOL, node, tool, start, end);
    k->cache_key = key;
    return k;
}

static inline void fx_add_named(dp_profile *p, dp_named_i64 *v, size_t *n,
                                const char *name, int64_t value)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(v[i].name, name) == 0) {
            v[i].value += value;
            return;
        }
    }
    if (*n >= FX_MAX_MODELS)
        abort();
    v[*n].name = dp__arena_strdup(p->arena, name);
    v[*n].value = value;
    (*n)++;
}

/* Derives the DESIGN.md metrics; pricing prices FX_PRICE calls. */
static inline void fx_finish(dp_profile *p, const dp_pricing *pricing)
{
    p->tokens_by_model =
        dp__arena_alloc(p->arena, FX_MAX_MODELS * sizeof(dp_named_i64));
    p->cost_by_model =
        dp__arena_alloc(p->arena, FX_MAX_MODELS * sizeof(dp_named_i64));
    for (size_t i = 0; i < p->n_nodes; i++) {
        dp_node *n = &p->nodes[i];
        int64_t ready = 0;
        for (size_t j = 0; j < n->n_deps; j++)
            if (p->nodes[n->deps[j]].end_ns > ready)
                ready = p->nodes[n->deps[j]].end_ns;
        if (n->start_ns < ready) { /* skew: DESIGN.md edge rule */
            n->queue_delay_ns = 0;
            n->dependency_wait_ns = n->start_ns;
        } else {
            n->dependency_wait_ns = ready;
            n->queue_delay_ns = n->start_ns - ready;
        }
        n->wait_ns = n->dependency_wait_ns + n->queue_delay_ns;
        n->duration_ns = n->end_ns;
        n->calls = dp__arena_alloc(p->arena, FX_MAX_CALLS * sizeof(size_t));
        p->sum_execution_ns += n->execution_ns;
    }
    for (size_t c = 0; c < p->n_calls; c++) {
        dp_call *k = &p->calls[c];
        if (k->kind == DP_CALL_LLM && k->cost_pusd == FX_PRICE) {
            k->cost_pusd = pricing
                               ? dp__pricing_cost(pricing, k->name, &k->tokens,
                                                  k->span_start_unix_ns)
                               : -1;
            k->priced = k->cost_pusd >= 0;
        }
        if (k->kind == DP_CALL_LLM && !k->priced)
            k->cost_pusd = 0;
        int64_t d = k->end_ns - k->start_ns;
        int64_t tok = k->tokens.input + k->tokens.output;
        if (k->kind == DP_CALL_LLM) {
            p->tokens.input += k->tokens.input;
            p->tokens.output += k->tokens.output;
            p->cost_pusd += k->cost_pusd;
            if (tok > 0 || k->has_tokens)
                fx_add_named(p, p->tokens_by_model, &p->n_tokens_by_model,
                             k->name, tok);
            if (k->priced)
                fx_add_named(p, p->cost_by_model, &p->n_cost_by_model, k->name,
                             k->cost_pusd);
        }
        if (k->node < 0)
            continue;
        dp_node *n = &p->nodes[k->node];
        n->calls[n->n_calls++] = c;
        if (k->kind == DP_CALL_LLM) {
            n->llm_ns += d;
            n->tokens.input += k->tokens.input;
            n->tokens.output += k->tokens.output;
            n->cost_pusd += k->cost_pusd;
            bool seen = false;
            for (size_t m = 0; m < n->n_models; m++)
                seen = seen || strcmp(n->models[m], k->name) == 0;
            if (!seen) {
                if (!n->models)
                    n->models = dp__arena_alloc(p->arena,
                                                FX_MAX_MODELS * sizeof(char *));
                n->models[n->n_models++] = k->name;
            }
        } else {
            n->tool_ns += d;
        }
    }
    for (size_t i = 0; i < p->n_nodes; i++) {
        dp_node *n = &p->nodes[i];
        int64_t self = n->execution_ns - n->llm_ns - n->tool_ns;
        n->self_ns = self > 0 ? self : 0;
    }
    /* Critical path: the node that ends last (ties: lower index, i.e.
     * earlier start then id), then the dependency with the latest end. */
    if (p->n_nodes > 0) {
        size_t *path = dp__arena_alloc(p->arena, p->n_nodes * sizeof(size_t));
        size_t cur = 0, n_path = 0;
        for (size_t i = 1; i < p->n_nodes; i++)
            if (p->nodes[i].end_ns > p->nodes[cur].end_ns)
                cur = i;
        for (;;) {
            path[n_path++] = cur;
            p->nodes[cur].on_critical_path = true;
            p->critical_path_ns += p->nodes[cur].execution_ns;
            const dp_node *n = &p->nodes[cur];
            if (n->n_deps == 0 || n_path >= p->n_nodes)
                break;
            size_t best = n->deps[0];
            for (size_t j = 1; j < n->n_deps; j++) {
                size_t d = n->deps[j];
                if (p->nodes[d].end_ns > p->nodes[best].end_ns ||
                    (p->nodes[d].end_ns == p->nodes[best].end_ns && d < best))
                    best = d;
            }
            cur = best;
        }
        for (size_t i = 0; i < n_path / 2; i++) { /* first to last */
            size_t t = path[i];
            path[i] = path[n_path - 1 - i];
            path[n_path - 1 - i] = t;
        }
        p->critical_path = path;
        p->n_critical_path = n_path;
    }
    if (p->wall_ns > 0) {
        p->parallelization_efficiency =
            (double)p->critical_path_ns / (double)p->wall_ns;
        p->achieved_parallelism =
            (double)p->sum_execution_ns / (double)p->wall_ns;
    }
    if (p->critical_path_ns > 0)
        p->dag_parallelism =
            (double)p->sum_execution_ns / (double)p->critical_path_ns;
}

/* The bottleneck of type on node, or NULL. */
static inline const dp_bottleneck *fx_bottleneck(const dp_profile *p, int type,
                                                 size_t node)
{
    for (size_t i = 0; i < p->n_bottlenecks; i++)
        if (p->bottlenecks[i].type == type && p->bottlenecks[i].node == node)
            return &p->bottlenecks[i];
    return NULL;
}

static inline size_t fx_count_bottlenecks(const dp_profile *p, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_bottlenecks; i++)
        n += p->bottlenecks[i].type == type;
    return n;
}

/* The k-th (0-based) optimization of type, or NULL. */
static inline const dp_optimization *fx_optimization(const dp_profile *p,
                                                     int type, size_t k)
{
    for (size_t i = 0; i < p->n_optimizations; i++)
        if (p->optimizations[i].type == type && k-- == 0)
            return &p->optimizations[i];
    return NULL;
}

static inline size_t fx_count_optimizations(const dp_profile *p, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_optimizations; i++)
        n += p->optimizations[i].type == type;
    return n;
}

/* Runs the analysis with the default configuration. */
static inline void fx_analyze(dp_profile *p, const dp_pricing *pricing)
{
    dp_analysis_config cfg;
    dp_analysis_config_init(&cfg);
    dp__analysis_run(p, &cfg, pricing);
}

/* The diamond shared by the bottleneck and optimization tests: fetch [0,3);
 * a [3,5.5), b [3,5), c [3,5) after fetch; agg after a, b, c from 5.5 for
 * agg_ns; wall 10 s. Order: fetch 0, b 1, c 2, a 3, agg 4. Critical path
 * fetch -> a -> agg; fetch and agg are on every path. */
static inline dp_profile *fx_diamond_run(int64_t agg_ns)
{
    dp_profile *p = fx_profile(10 * FX_S);
    fx_node(p, "fetch", 0, 3 * FX_S);
    fx_node(p, "b", 3 * FX_S, 5 * FX_S);
    fx_node(p, "c", 3 * FX_S, 5 * FX_S);
    fx_node(p, "a", 3 * FX_S, 5500 * FX_MS);
    fx_node(p, "agg", 5500 * FX_MS, 5500 * FX_MS + agg_ns);
    for (size_t i = 1; i <= 3; i++) {
        fx_dep(p, i, 0);
        fx_dep(p, 4, i);
    }
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    return p;
}

#endif /* DP_TEST_ANALYSIS_FIXTURE_H */
