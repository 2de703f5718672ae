/*
 * profile_fixture.h - the one hand-built profile fixture of the tests, in
 * two forms that share their node and call primitives:
 *
 * 1. Canned profiles for exporter, report and history tests (dp_fixture_*,
 *    static storage, every number fixed by hand, below).
 * 2. A builder for the analysis tests (fx_*, test_bottleneck.c,
 *    test_optimize.c) that derives DESIGN.md's metrics from nodes and
 *    calls, so bottleneck and optimization rules are tested on exact
 *    numbers without going through spans (see "Builder" further down).
 *
 * dp_fixture_code_review() fills the seed's code-review DAG as the processor
 * would finish it: fetch-code, then analyze-complexity, check-security and
 * review-performance in parallel (dependencies from span links), then
 * aggregate-results after all three. review-performance needed a retry.
 * Every number below is chosen by hand and consistent with DESIGN.md:
 *
 *   node                start      end        exec       depWait    queue
 *   fetch-code              0.000   3421.250   3421.250      0.000    0.000
 *   analyze-complexity   3425.000   8234.000   4809.000   3421.250    3.750
 *   check-security       3430.000   7120.500   3690.500   3421.250    8.750
 *   review-performance   3471.250  12456.125   8984.875   3421.250   50.000
 *   aggregate-results   12500.000  15890.000   3390.000  12456.125   43.875
 *   (ms; wall 16000.000, root span [0, 16000])
 *
 *   criticalPath fetch-code > review-performance > aggregate-results,
 *   criticalPathDuration 15796.125, sumExecution 24295.625,
 *   efficiency 0.98725781, dagParallelism 1.53807500, achieved 1.51847656,
 *   peakConcurrency 3; execution 24295.625 vs wait 22826.250 in total.
 *
 *   tokens (input/output, cache read/write, reasoning) and cost, priced at
 *   list prices (haiku-4-5 1/5, sonnet-4-5 3/15 with cache read 0.30 and
 *   write 3.75, opus-4-1 15/75 USD per 1M):
 *   fetch-code          2000/450                      $0.00425   haiku
 *   analyze-complexity  6000/2230, cache read 2000    $0.04605   sonnet
 *   check-security      5000/1890, cache write 1000   $0.0441    sonnet
 *   review-performance  7500/1950, reasoning 400      $0.25875   opus (2 calls)
 *   aggregate-results   2800/630 haiku $0.00595 + 400/100 acme-summarizer-v2
 *                       (unpriced)
 *   run: input 23700, output 7250, total 30950, cost $0.3591
 *
 * One bottleneck (dependency_wait on aggregate-results, high, 77.85%) and
 * two optimizations (model_downgrade saving $0.207; cache saving 880 ms).
 *
 * dp_fixture_empty() is a finished profile of a run with no nodes at all.
 * Everything points into the caller's dp_fixture (arena is NULL): never pass
 * a fixture profile to dp_profile_free(). Tests may modify the copy.
 */
#ifndef DP_TEST_PROFILE_FIXTURE_H
#define DP_TEST_PROFILE_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "analysis_config.h"
#include "internal.h"
#include "processor.h"

#define DP_FX_MS(x) ((int64_t)((x)*1000000.0 + 0.5)) /* exact for .001 */
#define DP_FX_USD(x) ((int64_t)((x)*1e12 + 0.5))
#define DP_FX_START_UNIX_NS 1705314600000000000ULL /* 2024-01-15T10:30:00Z */

typedef struct dp_fixture {
    dp_profile p;
    dp_node nodes[5];
    dp_call calls[13];
    size_t critical_path[3];
    size_t deps_one[1];   /* fetch-code */
    size_t deps_three[3]; /* the three analyzers */
    size_t node_calls[13];
    const char *models[6];
    dp_named_i64 node_tokens_by_model[6];
    dp_named_i64 tokens_by_model[4];
    dp_named_i64 cost_by_model[3];
    dp_named_i64 unpriced[1];
    dp_bottleneck bottlenecks[1];
    dp_optimization optimizations[2];
} dp_fixture;

static inline void dp_fixture__node(dp_node *n, const char *id, double start,
                                    double end, double dep_wait, double llm,
                                    double tool)
{
    memset(n, 0, sizeof(*n));
    n->id = id;
    n->parent = -1;
    n->start_ns = DP_FX_MS(start);
    n->end_ns = DP_FX_MS(end);
    n->duration_ns = DP_FX_MS(end);
    n->wait_ns = DP_FX_MS(start);
    n->dependency_wait_ns = DP_FX_MS(dep_wait);
    n->queue_delay_ns = DP_FX_MS(start) - DP_FX_MS(dep_wait);
    n->execution_ns = DP_FX_MS(end) - DP_FX_MS(start);
    n->llm_ns = DP_FX_MS(llm);
    n->tool_ns = DP_FX_MS(tool);
    n->self_ns = n->execution_ns - n->llm_ns - n->tool_ns;
    n->attempts = 1;
    n->status = DP_STATUS_OK;
}

static inline void dp_fixture__tokens(dp_tokens *t, int64_t in, int64_t out,
                                      int64_t cr, int64_t cw, int64_t rs)
{
    t->input = in;
    t->output = out;
    t->cache_read = cr;
    t->cache_write = cw;
    t->reasoning = rs;
    t->known = DP_TOK_INPUT | DP_TOK_OUTPUT | DP_TOK_CACHE_READ |
               DP_TOK_CACHE_WRITE | DP_TOK_REASONING;
}

/* Zeroes c and sets what every call has; its span started at unix_base +
 * start (the pricing date). Both fixtures below make calls with it. */
static inline void dp_fixture__call_ns(dp_call *c, int kind, long node,
                                       const char *name, int64_t start,
                                       int64_t end, bool success,
                                       uint64_t unix_base)
{
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->node = node;
    c->name = name;
    c->start_ns = start;
    c->end_ns = end;
    c->success = success;
    c->span_start_unix_ns = unix_base + (uint64_t)start;
}

static inline void dp_fixture__call(dp_call *c, int kind, long node,
                                    const char *name, double start, double end,
                                    bool success)
{
    dp_fixture__call_ns(c, kind, node, name, DP_FX_MS(start), DP_FX_MS(end),
                        success, DP_FX_START_UNIX_NS);
}

static inline void dp_fixture__llm(dp_call *c, long node, const char *model,
                                   double start, double end, int64_t in,
                                   int64_t out, int64_t cr, int64_t cw,
                                   int64_t rs, int64_t cost_pusd, bool priced)
{
    dp_fixture__call(c, DP_CALL_LLM, node, model, start, end, true);
    dp_fixture__tokens(&c->tokens, in, out, cr, cw, rs);
    c->has_tokens = true;
    c->priced = priced;
    c->cost_pusd = cost_pusd;
}

/* Fills f with the profile of an empty run (no spans but a root): every
 * count and time 0. */
static inline void dp_fixture_empty(dp_fixture *f)
{
    static const uint8_t tid[16] = {0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd,
                                    0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21,
                                    0x1c, 0x80, 0x31, 0x9c};
    memset(f, 0, sizeof(*f));
    memcpy(f->p.trace_id, tid, 16);
    strcpy(f->p.trace_id_hex, "0af7651916cd43dd8448eb211c80319c");
    strcpy(f->p.profile_id, "prof-0af7651916cd43dd");
    f->p.dag_id = "empty-dag";
    f->p.start_unix_ns = DP_FX_START_UNIX_NS;
    f->p.profiled_at_unix_ns = DP_FX_START_UNIX_NS + 2000000000ULL;
    f->p.complete = true;
    f->p.span_count = 1;
    f->p.has_root = true;
}

static inline void dp_fixture_code_review(dp_fixture *f)
{
    static const uint8_t tid[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3,
                                    0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d,
                                    0x0e, 0x0e, 0x47, 0x36};
    static const uint8_t root[8] = {0x00, 0xf0, 0x67, 0xaa,
                                    0x0b, 0xa9, 0x02, 0xb7};
    dp_profile *p = &f->p;
    dp_node *n = f->nodes;
    dp_call *c = f->calls;
    const char *haiku = "claude-haiku-4-5", *sonnet = "claude-sonnet-4-5";
    const char *opus = "claude-opus-4-1", *acme = "acme-summarizer-v2";

    memset(f, 0, sizeof(*f));
    memcpy(p->trace_id, tid, 16);
    strcpy(p->trace_id_hex, "4bf92f3577b34da6a3ce929d0e0e4736");
    strcpy(p->profile_id, "prof-4bf92f3577b34da6");
    p->dag_id = "code-review-dag";
    p->start_unix_ns = DP_FX_START_UNIX_NS;
    /* 2024-01-15T10:31:00.456789Z */
    p->profiled_at_unix_ns = DP_FX_START_UNIX_NS + 60456789000ULL;
    p->complete = true;
    p->incomplete_reason = DP_INCOMPLETE_NONE;
    p->span_count = 20; /* root, 6 node attempts, 13 calls */
    p->late_spans = 0;
    p->has_root = true;
    memcpy(p->root_span_id, root, 8);

    /* Calls, in order of start. */
    dp_fixture__call(&c[0], DP_CALL_TOOL, 0, "git_clone", 10, 2110, true);
    dp_fixture__call(&c[1], DP_CALL_TOOL, 0, "git_show", 2120, 3020.5, true);
    dp_fixture__call(&c[2], DP_CALL_TOOL, 0, "git_show", 2125, 3005, true);
    dp_fixture__llm(&c[3], 0, haiku, 3030, 3415, 2000, 450, 0, 0, 0,
                    DP_FX_USD(0.00425), true);
    dp_fixture__call(&c[4], DP_CALL_TOOL, 2, "semgrep_scan", 3440, 4890.25,
                     true);
    dp_fixture__llm(&c[5], 3, opus, 3480, 3900, 2500, 300, 0, 0, 0,
                    DP_FX_USD(0.06), true);
    dp_fixture__llm(&c[6], 1, sonnet, 3500, 8200, 6000, 2230, 2000, 0, 0,
                    DP_FX_USD(0.04605), true);
    dp_fixture__call(&c[7], DP_CALL_TOOL, 3, "run_benchmark", 3900, 5100,
                     false);
    dp_fixture__llm(&c[8], 2, sonnet, 4900, 7100, 5000, 1890, 0, 1000, 0,
                    DP_FX_USD(0.0441), true);
    dp_fixture__llm(&c[9], 3, opus, 5310, 8000, 5000, 1650, 0, 0, 400,
                    DP_FX_USD(0.19875), true);
    dp_fixture__call(&c[10], DP_CALL_TOOL, 3, "run_benchmark", 8010, 12110,
                     true);
    dp_fixture__llm(&c[11], 4, haiku, 12510, 14000, 2800, 630, 0, 0, 0,
                    DP_FX_USD(0.00595), true);
    dp_fixture__llm(&c[12], 4, acme, 14010, 15800, 400, 100, 0, 0, 0, 0, false);
    c[1].cache_key = c[2].cache_key = 0x5eedc0debeef0001ULL;
    p->calls = c;
    p->n_calls = 13;

    /* Nodes, in order of start (the seed's order). */
    dp_fixture__node(&n[0], "fetch-code", 0, 3421.25, 0, 385, 3000.5);
    dp_fixture__node(&n[1], "analyze-complexity", 3425, 8234, 3421.25, 4700, 0);
    dp_fixture__node(&n[2], "check-security", 3430, 7120.5, 3421.25, 2200,
                     1450.25);
    dp_fixture__node(&n[3], "review-performance", 3471.25, 12456.125, 3421.25,
                     3110, 5300);
    dp_fixture__node(&n[4], "aggregate-results", 12500, 15890, 12456.125, 3280,
                     0);
    n[3].attempts = 2;
    n[3].retries = 1;
    n[3].failed_attempts_ns = DP_FX_MS(1628.75); /* [3471.25, 5100) */

    f->deps_one[0] = 0;
    f->deps_three[0] = 1;
    f->deps_three[1] = 2;
    f->deps_three[2] = 3;
    n[0].dep_source = DP_DEP_NONE;
    for (int i = 1; i <= 3; i++) {
        n[i].deps = n[i].ready_deps = f->deps_one;
        n[i].n_deps = n[i].n_ready_deps = 1;
        n[i].dep_source = DP_DEP_LINKS;
    }
    n[4].deps = n[4].ready_deps = f->deps_three;
    n[4].n_deps = n[4].n_ready_deps = 3;
    n[4].dep_source = DP_DEP_LINKS;
    for (int i = 0; i < 5; i++)
        n[i].parent = -1;

    f->models[0] = haiku;
    f->models[1] = sonnet;
    f->models[2] = sonnet;
    f->models[3] = opus;
    f->models[4] = haiku;
    f->models[5] = acme;
    for (int i = 0; i < 4; i++) {
        n[i].models = &f->models[i];
        n[i].n_models = 1;
    }
    n[4].models = &f->models[4];
    n[4].n_models = 2;

    dp_fixture__tokens(&n[0].tokens, 2000, 450, 0, 0, 0);
    dp_fixture__tokens(&n[1].tokens, 6000, 2230, 2000, 0, 0);
    dp_fixture__tokens(&n[2].tokens, 5000, 1890, 0, 1000, 0);
    dp_fixture__tokens(&n[3].tokens, 7500, 1950, 0, 0, 400);
    dp_fixture__tokens(&n[4].tokens, 3200, 730, 0, 0, 0);
    f->node_tokens_by_model[0] = (dp_named_i64){haiku, 2450};
    f->node_tokens_by_model[1] = (dp_named_i64){sonnet, 8230};
    f->node_tokens_by_model[2] = (dp_named_i64){sonnet, 6890};
    f->node_tokens_by_model[3] = (dp_named_i64){opus, 9450};
    f->node_tokens_by_model[4] = (dp_named_i64){haiku, 3430};
    f->node_tokens_by_model[5] = (dp_named_i64){acme, 500};
    for (int i = 0; i < 4; i++) {
        n[i].tokens_by_model = &f->node_tokens_by_model[i];
        n[i].n_tokens_by_model = 1;
    }
    n[4].tokens_by_model = &f->node_tokens_by_model[4];
    n[4].n_tokens_by_model = 2;

    n[0].cost_pusd = DP_FX_USD(0.00425);
    n[1].cost_pusd = DP_FX_USD(0.04605);
    n[2].cost_pusd = DP_FX_USD(0.0441);
    n[3].cost_pusd = DP_FX_USD(0.25875);
    n[4].cost_pusd = DP_FX_USD(0.00595);
    for (int i = 0; i < 5; i++) { /* leaves: their own calls are all */
        n[i].own_cost_pusd = n[i].cost_pusd;
        n[i].own_tokens = n[i].tokens.input + n[i].tokens.output;
    }

    f->node_calls[0] = 0; /* fetch-code: 0 1 2 3 */
    f->node_calls[1] = 1;
    f->node_calls[2] = 2;
    f->node_calls[3] = 3;
    f->node_calls[4] = 6; /* analyze-complexity */
    f->node_calls[5] = 4; /* check-security: 4 8 */
    f->node_calls[6] = 8;
    f->node_calls[7] = 5; /* review-performance: 5 7 9 10 */
    f->node_calls[8] = 7;
    f->node_calls[9] = 9;
    f->node_calls[10] = 10;
    f->node_calls[11] = 11; /* aggregate-results: 11 12 */
    f->node_calls[12] = 12;
    n[0].calls = &f->node_calls[0];
    n[0].n_calls = 4;
    n[1].calls = &f->node_calls[4];
    n[1].n_calls = 1;
    n[2].calls = &f->node_calls[5];
    n[2].n_calls = 2;
    n[3].calls = &f->node_calls[7];
    n[3].n_calls = 4;
    n[4].calls = &f->node_calls[11];
    n[4].n_calls = 2;

    n[0].on_critical_path = n[3].on_critical_path = n[4].on_critical_path =
        true;
    p->nodes = n;
    p->n_nodes = 5;
    p->n_leaves = 5;

    p->wall_ns = DP_FX_MS(16000);
    f->critical_path[0] = 0;
    f->critical_path[1] = 3;
    f->critical_path[2] = 4;
    p->critical_path = f->critical_path;
    p->n_critical_path = 3;
    p->critical_path_ns = DP_FX_MS(15796.125);
    p->sum_execution_ns = DP_FX_MS(24295.625);
    p->parallelization_efficiency = 15796.125 / 16000.0;
    p->dag_parallelism = 24295.625 / 15796.125;
    p->achieved_parallelism = 24295.625 / 16000.0;
    p->peak_concurrency = 3;

    dp_fixture__tokens(&p->tokens, 23700, 7250, 2000, 1000, 400);
    f->tokens_by_model[0] = (dp_named_i64){haiku, 5880};
    f->tokens_by_model[1] = (dp_named_i64){sonnet, 15120};
    f->tokens_by_model[2] = (dp_named_i64){opus, 9450};
    f->tokens_by_model[3] = (dp_named_i64){acme, 500};
    p->tokens_by_model = f->tokens_by_model;
    p->n_tokens_by_model = 4;
    p->cost_pusd = DP_FX_USD(0.3591);
    f->cost_by_model[0] = (dp_named_i64){haiku, DP_FX_USD(0.0102)};
    f->cost_by_model[1] = (dp_named_i64){sonnet, DP_FX_USD(0.09015)};
    f->cost_by_model[2] = (dp_named_i64){opus, DP_FX_USD(0.25875)};
    p->cost_by_model = f->cost_by_model;
    p->n_cost_by_model = 3;
    f->unpriced[0] = (dp_named_i64){acme, 500};
    p->unpriced_models = f->unpriced;
    p->n_unpriced_models = 1;

    f->bottlenecks[0] = (dp_bottleneck){
        .type = DP_BN_DEPENDENCY_WAIT,
        .node = 4,
        .severity = DP_SEV_HIGH,
        .impact = 77.85,
        .details = "aggregate-results waited 12456.125 ms for "
                   "review-performance, 3.7x its own execution time "
                   "(3390.000 ms)",
        .recommendation = "Start aggregate-results on partial results, or "
                          "shorten review-performance, which gates it"};
    p->bottlenecks = f->bottlenecks;
    p->n_bottlenecks = 1;

    f->optimizations[0] = (dp_optimization){
        .type = DP_OPT_MODEL_DOWNGRADE,
        .priority = DP_SEV_MEDIUM,
        .saving_cost_pusd = DP_FX_USD(0.207),
        .description = "claude-opus-4-1 carries 30.5% of tokens (9450); at "
                       "claude-sonnet-4-5 prices they would cost $0.05175 "
                       "instead of $0.25875",
        .implementation = "Run review-performance on claude-sonnet-4-5 and "
                          "keep claude-opus-4-1 for nodes that need it"};
    f->optimizations[1] = (dp_optimization){
        .type = DP_OPT_CACHE,
        .priority = DP_SEV_LOW,
        .saving_time_ns = DP_FX_MS(880),
        .description = "git_show ran 2 times with the same arguments in "
                       "fetch-code",
        .implementation = "Cache git_show results by arguments for the "
                          "length of a run"};
    p->optimizations = f->optimizations;
    p->n_optimizations = 2;
}

/* ---- Builder (fx_*) ------------------------------------------------------
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
    p->arena = dp_arena_create(4096);
    p->nodes = dp_arena_alloc(p->arena, FX_MAX_NODES * sizeof(dp_node));
    p->calls = dp_arena_alloc(p->arena, FX_MAX_CALLS * sizeof(dp_call));
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
    dp_arena_destroy(p->arena);
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
    n->id = dp_arena_strdup(p->arena, id);
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
        n->deps = dp_arena_alloc(p->arena, FX_MAX_NODES * sizeof(size_t));
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
    dp_fixture__call_ns(k, kind, node, dp_arena_strdup(p->arena, name), start,
                        end, true, FX_CALL_UNIX_NS);
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
    v[*n].name = dp_arena_strdup(p->arena, name);
    v[*n].value = value;
    (*n)++;
}

/* Derives the DESIGN.md metrics; pricing prices FX_PRICE calls. */
static inline void fx_finish(dp_profile *p, const dp_pricing *pricing)
{
    p->tokens_by_model =
        dp_arena_alloc(p->arena, FX_MAX_MODELS * sizeof(dp_named_i64));
    p->cost_by_model =
        dp_arena_alloc(p->arena, FX_MAX_MODELS * sizeof(dp_named_i64));
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
        n->calls = dp_arena_alloc(p->arena, FX_MAX_CALLS * sizeof(size_t));
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
                    n->models = dp_arena_alloc(p->arena,
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
        size_t *path = dp_arena_alloc(p->arena, p->n_nodes * sizeof(size_t));
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

#endif /* DP_TEST_PROFILE_FIXTURE_H */
