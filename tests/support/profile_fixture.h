/*
 * profile_fixture.h - hand-built dp_profile values for exporter tests.
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

#include <string.h>

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

static inline void dp_fixture__call(dp_call *c, int kind, long node,
                                    const char *name, double start, double end,
                                    bool success)
{
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->node = node;
    c->name = name;
    c->start_ns = DP_FX_MS(start);
    c->end_ns = DP_FX_MS(end);
    c->success = success;
    c->span_start_unix_ns = DP_FX_START_UNIX_NS + (uint64_t)c->start_ns;
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

#endif /* DP_TEST_PROFILE_FIXTURE_H */
