/*
 * test_dag_scenarios.c - whole-run scenarios for the processor's DAG timing.
 *
 * Each test builds one trace with span_builder.h, runs it through a
 * processor (spans in, flush at end of input, one dp_profile out) and checks
 * every number against values worked out by hand from DESIGN.md ("From spans
 * to a DAG", "Metrics"); the arithmetic sits in the comments beside the
 * asserts. Covered: the seed's code-review DAG (links, a retried node, LLM and
 * tool calls, tokens), a sequential chain, a full fan-out, a diamond, a
 * scheduling gap, dependencies inferred from timing, and delivery in reverse,
 * interleaved and duplicated order. All times are ms after SB_BASE_NS.
 */
#include "span_builder.h"
#include "span_expect.h"

/* ------------------------------------------------------------------------ */
/* The seed's code-review DAG.                                               */
/*                                                                           */
/*  span  name / role                         parent  ms            notes    */
/*   1    code-review-dag (root)               -     [0, 8600]  dag.id       */
/*   2    fetch-code                           1     [100, 1100]             */
/*   3      tool git_clone                     2     [200, 700]              */
/*   4      chat haiku 1200/300                2     [600, 1000]  overlaps 3 */
/*   5    analyze-complexity  link 2           1     [1200, 5200]            */
/*   6      chat sonnet 3000/500               5     [1300, 3300]            */
/*  18      chunk-files (plain span)           5     [1250, 4400]            */
/*   7        chat sonnet 2500/700             18    [2300, 4300] overlaps 6 */
/*   8    check-security  link 2               1     [1150, 3650]            */
/*   9      tool semgrep                       8     [1250, 2250]            */
/*  10      chat haiku 1500/400                8     [2250, 3450] abuts 9    */
/*  11    review-performance #1 ERROR, link 2  1     [1300, 2300]            */
/*  12      chat sonnet 2000/100 ERROR         11    [1400, 2200]            */
/*  13    review-performance #2, links 2, 11   1     [2800, 6300]            */
/*  14      chat sonnet 2200/800               13    [2900, 5900]            */
/*  15      tool profiler                      13    [5900, 6200] abuts 14   */
/*  16    aggregate-results  links 5, 8, 13    1     [6500, 8500]            */
/*  17      chat sonnet 4000/1000              16    [6600, 8400]            */
/*                                                                           */
/* Span names of nodes differ from their dag.node.id on purpose, so the id   */
/* must come from the attribute. Span 13 also links to span 11, its own      */
/* node's failed attempt: not a dependency ("spans of other nodes").         */
/* ------------------------------------------------------------------------ */

#define HAIKU "claude-3-5-haiku-20241022"
#define SONNET "claude-sonnet-4-20250514"

static sb_trace *code_review_trace(uint32_t trace_no)
{
    sb_trace *t = sb_trace_new(trace_no);
    sb_span *s;

    s = sb_span_add(t, 1, 0, "code-review-dag", 0, 8600);
    sb_str(s, "dag.id", "code-review-dag");

    s = sb_span_add(t, 2, 1, "node:fetch-code", 100, 1100);
    sb_status(sb_str(s, "dag.node.id", "fetch-code"), DP_STATUS_OK);
    sb_genai_tool(sb_span_add(t, 3, 2, "execute_tool git_clone", 200, 700),
                  "git_clone");
    sb_genai_chat(sb_span_add(t, 4, 2, "chat " HAIKU, 600, 1000), HAIKU, 1200,
                  300);

    s = sb_span_add(t, 5, 1, "node:analyze-complexity", 1200, 5200);
    sb_status(sb_link(sb_str(s, "dag.node.id", "analyze-complexity"), 2),
              DP_STATUS_OK);
    sb_genai_chat(sb_span_add(t, 6, 5, "chat " SONNET, 1300, 3300), SONNET,
                  3000, 500);
    sb_span_add(t, 18, 5, "chunk-files", 1250, 4400);
    sb_genai_chat(sb_span_add(t, 7, 18, "chat " SONNET, 2300, 4300), SONNET,
                  2500, 700);

    s = sb_span_add(t, 8, 1, "node:check-security", 1150, 3650);
    sb_status(sb_link(sb_str(s, "dag.node.id", "check-security"), 2),
              DP_STATUS_OK);
    sb_genai_tool(sb_span_add(t, 9, 8, "execute_tool semgrep", 1250, 2250),
                  "semgrep");
    sb_genai_chat(sb_span_add(t, 10, 8, "chat " HAIKU, 2250, 3450), HAIKU, 1500,
                  400);

    s = sb_span_add(t, 11, 1, "node:review-performance", 1300, 2300);
    sb_status(sb_link(sb_str(s, "dag.node.id", "review-performance"), 2),
              DP_STATUS_ERROR);
    s = sb_span_add(t, 12, 11, "chat " SONNET, 1400, 2200);
    sb_status(sb_genai_chat(s, SONNET, 2000, 100), DP_STATUS_ERROR);

    s = sb_span_add(t, 13, 1, "node:review-performance", 2800, 6300);
    sb_str(s, "dag.node.id", "review-performance");
    sb_status(sb_link(sb_link(s, 2), 11), DP_STATUS_OK);
    sb_genai_chat(sb_span_add(t, 14, 13, "chat " SONNET, 2900, 5900), SONNET,
                  2200, 800);
    sb_genai_tool(sb_span_add(t, 15, 13, "execute_tool profiler", 5900, 6200),
                  "profiler");

    s = sb_span_add(t, 16, 1, "node:aggregate-results", 6500, 8500);
    sb_str(s, "dag.node.id", "aggregate-results");
    sb_status(sb_link(sb_link(sb_link(s, 5), 8), 13), DP_STATUS_OK);
    sb_genai_chat(sb_span_add(t, 17, 16, "chat " SONNET, 6600, 8400), SONNET,
                  4000, 1000);
    return t;
}

/* Everything DESIGN.md defines for the code-review run, on one profile. */
static void assert_code_review(const dp_profile *prof)
{
    /* Identity: trace 1 -> d00d...0001; profile id = "prof-" + 16 hex. */
    SB_EQ_STR(prof->trace_id_hex, "d00d0000000000000000000000000001");
    SB_EQ_STR(prof->profile_id, "prof-d00d000000000000");
    SB_EQ_STR(prof->dag_id, "code-review-dag");
    assert_true(prof->complete);
    SB_EQ(prof->incomplete_reason, DP_INCOMPLETE_NONE);
    assert_true(prof->has_root);
    uint8_t root_id[8];
    sb_span_id(1, 1, root_id);
    assert_memory_equal(prof->root_span_id, root_id, 8);
    SB_EQ(prof->start_unix_ns, SB_BASE_NS); /* run start = root start */
    SB_EQ(prof->span_count, 18);            /* spans 1..18, all distinct */
    SB_EQ(prof->late_spans, 0);

    /* Five nodes, ordered by start: fetch 100, check 1150, analyze 1200,
     * review 1300 (first attempt), aggregate 6500. */
    SB_EQ(prof->n_nodes, 5);
    /*  id  start end  duration(=end)  wait(=start)  depWait(=ready)
     *  queue(=start-ready)  exec  self  llm  tool  attempts retries status */
    /* fetch-code: no deps, ready = run start 0. exec 1100-100 = 1000.
     * tool [200,700) = 500; llm [600,1000) = 400; union [200,1000) = 800;
     * self 1000 - 800 = 200. */
    SB_ASSERT_NODE_AT(prof, 0,
                      {"fetch-code", 100, 1100, 1100, 100, 0, 100, 1000, 200,
                       400, 500, 1, 0, DP_STATUS_OK});
    /* check-security: ready = end(fetch) 1100; queue 1150-1100 = 50.
     * exec 2500; tool [1250,2250) = 1000; llm [2250,3450) = 1200; they
     * abut (half-open) so union 2200; self 2500 - 2200 = 300. */
    SB_ASSERT_NODE_AT(prof, 1,
                      {"check-security", 1150, 3650, 3650, 1150, 1100, 50, 2500,
                       300, 1200, 1000, 1, 0, DP_STATUS_OK});
    /* analyze-complexity: ready 1100, queue 100, exec 4000. LLM spans
     * [1300,3300) and [2300,4300) (the second under the plain span
     * chunk-files: nearest ancestor node is still analyze) overlap:
     * union [1300,4300) = 3000, not 4000. chunk-files is neither LLM nor
     * tool. self 4000 - 3000 = 1000. */
    SB_ASSERT_NODE_AT(prof, 2,
                      {"analyze-complexity", 1200, 5200, 5200, 1200, 1100, 100,
                       4000, 1000, 3000, 0, 1, 0, DP_STATUS_OK});
    /* review-performance: first attempt start 1300 to last attempt end
     * 6300: exec 5000 (the 500 ms backoff counts). ready 1100, queue 200.
     * llm [1400,2200) 800 + [2900,5900) 3000 = 3800; tool [5900,6200) 300;
     * union 4100; self 5000 - 4100 = 900. Two spans -> attempts 2,
     * retries 1; status of the last attempt: OK. */
    SB_ASSERT_NODE_AT(prof, 3,
                      {"review-performance", 1300, 6300, 6300, 1300, 1100, 200,
                       5000, 900, 3800, 300, 2, 1, DP_STATUS_OK});
    /* aggregate-results: ready = max end(analyze 5200, check 3650,
     * review 6300) = 6300; queue 6500 - 6300 = 200; exec 2000;
     * llm [6600,8400) 1800; self 200. */
    SB_ASSERT_NODE_AT(prof, 4,
                      {"aggregate-results", 6500, 8500, 8500, 6500, 6300, 200,
                       2000, 200, 1800, 0, 1, 0, DP_STATUS_OK});
    /* failed attempts: review's first attempt [1300,2300) = 1000. */
    SB_EQ_MS(prof->nodes[3].failed_attempts_ns, 1000);
    SB_EQ_MS(prof->nodes[0].failed_attempts_ns, 0);

    /* Dependencies from links; the self-link 13 -> 11 is not one. */
    SB_ASSERT_NO_DEPS(prof, "fetch-code", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "check-security", DP_DEP_LINKS, "fetch-code");
    SB_ASSERT_DEPS(prof, "analyze-complexity", DP_DEP_LINKS, "fetch-code");
    SB_ASSERT_DEPS(prof, "review-performance", DP_DEP_LINKS, "fetch-code");
    SB_ASSERT_DEPS(prof, "aggregate-results", DP_DEP_LINKS,
                   "analyze-complexity", "check-security",
                   "review-performance");

    /* Critical path: last to end is aggregate (8500); its dependency with
     * the latest end is review (6300); review's is fetch; fetch has none.
     * criticalPathDuration = 1000 + 5000 + 2000 = 8000.
     * wall = 8600 - 0. sumExecution = 1000+2500+4000+5000+2000 = 14500.
     * efficiency = 8000/8600; dagParallelism = 14500/8000 = 1.8125;
     * achieved = 14500/8600. Peak: at 1300 check [1150,3650), analyze
     * [1200,5200) and review [1300,6300) run together = 3 (fetch ended at
     * 1100, aggregate starts at 6500). */
    SB_ASSERT_CP(prof, "fetch-code", "review-performance", "aggregate-results");
    SB_ASSERT_RUN(prof, {8600, 8000, 14500, 8000.0 / 8600.0, 1.8125,
                         14500.0 / 8600.0, 3});

    /* Tokens (input/output), failed attempt's call included:
     *  fetch     haiku  1200/300                      = 1200/300  (1500)
     *  check     haiku  1500/400                      = 1500/400  (1900)
     *  analyze   sonnet 3000/500 + 2500/700           = 5500/1200 (6700)
     *  review    sonnet 2000/100 + 2200/800           = 4200/900  (5100)
     *  aggregate sonnet 4000/1000                     = 4000/1000 (5000)
     *  run: 16400 / 3800; haiku 1500+1900 = 3400;
     *  sonnet 6700+5100+5000 = 16800. No cache or reasoning counts. */
    SB_ASSERT_TOKENS(prof->nodes[0].tokens, 1200, 300, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->nodes[1].tokens, 1500, 400, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->nodes[2].tokens, 5500, 1200, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->nodes[3].tokens, 4200, 900, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->nodes[4].tokens, 4000, 1000, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->tokens, 16400, 3800, 0, 0, 0);
    SB_EQ(prof->n_tokens_by_model, 2);
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model, HAIKU),
          3400);
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model, SONNET),
          16800);
    static const struct {
        const char *model;
        int64_t tokens;
    } by_node[5] = {{HAIKU, 1500},
                    {HAIKU, 1900},
                    {SONNET, 6700},
                    {SONNET, 5100},
                    {SONNET, 5000}};
    for (size_t i = 0; i < 5; i++) {
        const dp_node *n = &prof->nodes[i];
        SB_EQ(n->n_models, 1);
        SB_EQ_STR(n->models[0], by_node[i].model);
        SB_EQ(n->n_tokens_by_model, 1);
        SB_EQ(sb_named(n->tokens_by_model, n->n_tokens_by_model,
                       by_node[i].model),
              by_node[i].tokens);
    }

    /* Calls, ordered by start: 10 (7 LLM spans, 3 tool spans). */
    static const struct {
        int kind;
        long node;
        const char *name;
        int64_t start, end;
        bool success;
    } calls[10] = {
        {DP_CALL_TOOL, 0, "git_clone", 200, 700, true},
        {DP_CALL_LLM, 0, HAIKU, 600, 1000, true},
        {DP_CALL_TOOL, 1, "semgrep", 1250, 2250, true},
        {DP_CALL_LLM, 2, SONNET, 1300, 3300, true},
        {DP_CALL_LLM, 3, SONNET, 1400, 2200, false}, /* status ERROR */
        {DP_CALL_LLM, 1, HAIKU, 2250, 3450, true},
        {DP_CALL_LLM, 2, SONNET, 2300, 4300, true},
        {DP_CALL_LLM, 3, SONNET, 2900, 5900, true},
        {DP_CALL_TOOL, 3, "profiler", 5900, 6200, true},
        {DP_CALL_LLM, 4, SONNET, 6600, 8400, true},
    };
    SB_EQ(prof->n_calls, 10);
    for (size_t i = 0; i < 10; i++) {
        const dp_call *c = &prof->calls[i];
        SB_EQ(c->kind, calls[i].kind);
        SB_EQ(c->node, calls[i].node);
        SB_EQ_STR(c->name, calls[i].name);
        SB_EQ_MS(c->start_ns, calls[i].start);
        SB_EQ_MS(c->end_ns, calls[i].end);
        SB_EQ(c->success, calls[i].success);
    }
    /* Per-node call lists: fetch 2, check 2, analyze 2, review 3, agg 1. */
    SB_EQ(prof->nodes[0].n_calls, 2);
    SB_EQ(prof->nodes[1].n_calls, 2);
    SB_EQ(prof->nodes[2].n_calls, 2);
    SB_EQ(prof->nodes[3].n_calls, 3);
    SB_EQ(prof->nodes[4].n_calls, 1);
    SB_EQ(prof->nodes[3].calls[0], 4);
    SB_EQ(prof->nodes[3].calls[1], 7);
    SB_EQ(prof->nodes[3].calls[2], 8);
}

static void test_dag_code_review_profile(void **state)
{
    (void)state;
    sb_trace *t = code_review_trace(1);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    assert_code_review(prof);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* ------------------------------------------------------------------------ */
/* Delivery order: reverse, split and interleaved, duplicated.               */

/* Spans in reverse: every child arrives before its parent, root last. */
static void test_dag_delivery_reverse_order(void **state)
{
    (void)state;
    sb_trace *t = code_review_trace(1);
    dp_profile *fwd = sb_profile_one(t, SB_FORWARD);
    dp_profile *rev = sb_profile_one(t, SB_REVERSE);
    assert_code_review(rev);
    SB_ASSERT_SAME_PROFILE(
        rev, fwd, SB_CMP_CALL_NAMES | SB_CMP_SPAN_COUNT | SB_CMP_DEP_SOURCE);
    dp_profile_free(fwd);
    dp_profile_free(rev);
    sb_trace_free(t);
}

/* A sequential chain A -> B -> C declared with dag.node.depends_on;
 * A declares an empty list ("no dependencies", source none).
 *   root [0,1000]  A [0,200]  B [250,550] deps A  C [600,1000] deps B */
static sb_trace *chain_trace(uint32_t trace_no)
{
    sb_trace *t = sb_trace_new(trace_no);
    sb_span_add(t, 1, 0, "chain", 0, 1000);
    sb_strarr(
        sb_str(sb_span_add(t, 2, 1, "step A", 0, 200), "dag.node.id", "A"),
        "dag.node.depends_on", NULL);
    sb_strarr(
        sb_str(sb_span_add(t, 3, 1, "step B", 250, 550), "dag.node.id", "B"),
        "dag.node.depends_on", "A", NULL);
    sb_strarr(
        sb_str(sb_span_add(t, 4, 1, "step C", 600, 1000), "dag.node.id", "C"),
        "dag.node.depends_on", "B", NULL);
    return t;
}

static void assert_chain(const dp_profile *prof)
{
    SB_EQ_STR(prof->dag_id, "chain"); /* no dag.id: the root span's name */
    SB_EQ(prof->n_nodes, 3);
    /* A: ready 0; exec 200.
     * B: ready = end A = 200; depWait 200; queue 250-200 = 50; exec 300.
     * C: ready = end B = 550; depWait 550; queue 50; exec 400. */
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"A", 0, 200, 200, 0, 0, 0, 200, 200, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 250, 550, 550, 250, 200, 50, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"C", 600, 1000, 1000, 600, 550, 50, 400, 400, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_ATTRIBUTE, "A");
    SB_ASSERT_DEPS(prof, "C", DP_DEP_ATTRIBUTE, "B");
    /* CP C -> B -> A: 200+300+400 = 900; wall 1000; sum 900;
     * efficiency 0.9; dagParallelism 900/900 = 1; achieved 0.9; peak 1. */
    SB_ASSERT_CP(prof, "A", "B", "C");
    SB_ASSERT_RUN(prof, {1000, 900, 900, 0.9, 1.0, 0.9, 1});
}

static void test_dag_chain_sequential(void **state)
{
    (void)state;
    sb_trace *t = chain_trace(2);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    assert_chain(prof);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* The code-review trace and the chain, split span by span and interleaved,
 * the code-review spans in a scrambled order (i*7 mod 18), with the clock
 * advancing 1 ms per add and tick() called in between: nothing may be
 * emitted before the flush (grace 2 s never elapses), then both profiles,
 * in order of first arrival, each equal to its own single-trace profile. */
static void test_dag_delivery_interleaved_traces(void **state)
{
    (void)state;
    sb_trace *cr = code_review_trace(1);
    sb_trace *ch = chain_trace(2);
    dp_profile *cr_alone = sb_profile_one(cr, SB_FORWARD);
    dp_profile *ch_alone = sb_profile_one(ch, SB_FORWARD);

    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor *p = sb_processor(&cap);
    uint64_t now = 1000 * (uint64_t)SB_NS_PER_MS;
    size_t ci = 0, hi = 0;
    assert_int_equal(cr->n, 18);
    while (ci < cr->n || hi < ch->n) {
        if (ci < cr->n) {
            size_t i = (ci++ * 7) % cr->n;
            SB_EQ(dp_processor_add_span(p, sb_in(&cr->spans[i]), now), 0);
            now += SB_NS_PER_MS;
        }
        if (hi < ch->n && (ci % 2) == 0) {
            SB_EQ(dp_processor_add_span(p, sb_in(&ch->spans[hi++]), now), 0);
            now += SB_NS_PER_MS;
        }
        SB_EQ(dp_processor_tick(p, now), 0);
    }
    SB_EQ(cap.n, 0);
    dp_processor_stats st;
    dp_processor_stats_get(p, &st);
    SB_EQ(st.traces_in_memory, 2);
    SB_EQ(st.spans_received, 18 + 4);
    SB_EQ(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 2);
    SB_EQ(cap.n, 2);
    /* First arrival: the code-review trace's span came first. */
    assert_code_review(cap.profiles[0]);
    SB_ASSERT_SAME_PROFILE(cap.profiles[0], cr_alone,
                           SB_CMP_CALL_NAMES | SB_CMP_SPAN_COUNT |
                               SB_CMP_DEP_SOURCE);
    assert_chain(cap.profiles[1]);
    SB_EQ_STR(cap.profiles[1]->trace_id_hex,
              "d00d0000000000000000000000000002");
    SB_ASSERT_SAME_PROFILE(cap.profiles[1], ch_alone,
                           SB_CMP_CALL_NAMES | SB_CMP_SPAN_COUNT |
                               SB_CMP_DEP_SOURCE);
    dp_processor_stats_get(p, &st);
    SB_EQ(st.traces_in_memory, 0);
    SB_EQ(st.profiles_emitted, 2);
    dp_processor_destroy(p);
    sb_capture_free(&cap);
    dp_profile_free(cr_alone);
    dp_profile_free(ch_alone);
    sb_trace_free(cr);
    sb_trace_free(ch);
}

/* Every span delivered twice (forward, then again in reverse): accepted and
 * ignored; span_count stays 18, tokens are not doubled, review-performance
 * keeps 2 attempts. */
static void test_dag_delivery_duplicate_spans(void **state)
{
    (void)state;
    sb_trace *t = code_review_trace(1);
    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor *p = sb_processor(&cap);
    sb_add_all(p, t, SB_FORWARD);
    sb_add_all(p, t, SB_REVERSE); /* each returns 0 (checked inside) */
    dp_processor_stats st;
    dp_processor_stats_get(p, &st);
    SB_EQ(st.spans_received, 18);
    SB_EQ(st.spans_duplicate, 18);
    SB_EQ(st.spans_rejected, 0);
    SB_EQ(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 1);
    SB_EQ(cap.n, 1);
    assert_code_review(cap.profiles[0]); /* span_count 18, run 16400/3800 */
    dp_processor_destroy(p);
    sb_capture_free(&cap);
    sb_trace_free(t);
}

/* ------------------------------------------------------------------------ */
/* Shapes.                                                                   */

/* Full fan-out: five parallel children of the root, nothing declared.
 *   root [0,1000]; n1 [10,410]; n2 [10,610]; n3 [20,920]; n4 [30,330];
 *   n5 [30,330].
 * Inference runs (no node declares anything) and finds nothing: the
 * earliest end (330) is after the latest start (30). */
static void test_dag_fanout_parallel(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(3);
    sb_span_add(t, 1, 0, "fanout", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "w", 10, 410), "dag.node.id", "n1");
    sb_str(sb_span_add(t, 3, 1, "w", 10, 610), "dag.node.id", "n2");
    sb_str(sb_span_add(t, 4, 1, "w", 20, 920), "dag.node.id", "n3");
    sb_str(sb_span_add(t, 6, 1, "w", 30, 330), "dag.node.id", "n5");
    sb_str(sb_span_add(t, 5, 1, "w", 30, 330), "dag.node.id", "n4");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_EQ(prof->n_nodes, 5);
    /* Order: start, then end (n1 410 < n2 610), then id (n4 < n5).
     * No deps: ready = run start; depWait 0; queue = wait = start. */
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"n1", 10, 410, 410, 10, 0, 10, 400, 400, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(
        prof, 1,
        {"n2", 10, 610, 610, 10, 0, 10, 600, 600, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(
        prof, 2,
        {"n3", 20, 920, 920, 20, 0, 20, 900, 900, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(
        prof, 3,
        {"n4", 30, 330, 330, 30, 0, 30, 300, 300, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(
        prof, 4,
        {"n5", 30, 330, 330, 30, 0, 30, 300, 300, 0, 0, 1, 0, DP_STATUS_UNSET});
    /* CP: n3 ends last (920) and has no deps: [n3], 900.
     * sum 400+600+900+300+300 = 2500; wall 1000; efficiency 0.9;
     * dagParallelism 2500/900; achieved 2.5; peak: all five run during
     * [30,330) = 5. */
    SB_ASSERT_CP(prof, "n3");
    SB_ASSERT_RUN(prof, {1000, 900, 2500, 0.9, 2500.0 / 900.0, 2.5, 5});
    const char *ids[5] = {"n1", "n2", "n3", "n4", "n5"};
    for (size_t i = 0; i < 5; i++)
        SB_ASSERT_NO_DEPS(prof, ids[i], SB_ANY_SOURCE);
    /* DESIGN.md: an undeclared node whose inference finds nothing has
     * source none ("inferred" only when some dependency was inferred). */
    for (size_t i = 0; i < 5; i++)
        SB_ASSERT_NO_DEPS(prof, ids[i], DP_DEP_NONE);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Diamond through span links: A -> B, C -> D.
 *   root [0,1000]; A [0,100]; B [100,400] link A; C [100,700] link A;
 *   D [700,1000] links B, C. */
static void test_dag_diamond_links(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(4);
    sb_span_add(t, 1, 0, "diamond", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 100), "dag.node.id", "A");
    sb_link(sb_str(sb_span_add(t, 3, 1, "b", 100, 400), "dag.node.id", "B"), 2);
    sb_link(sb_str(sb_span_add(t, 4, 1, "c", 100, 700), "dag.node.id", "C"), 2);
    sb_link(sb_link(sb_str(sb_span_add(t, 5, 1, "d", 700, 1000), "dag.node.id",
                           "D"),
                    3),
            4);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_EQ(prof->n_nodes, 4);
    /* B, C: ready = end A = 100 = start: depWait 100, queue 0.
     * D: ready = max(400, 700) = 700 = start: depWait 700, queue 0. */
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"A", 0, 100, 100, 0, 0, 0, 100, 100, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 100, 400, 400, 100, 100, 0, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"C", 100, 700, 700, 100, 100, 0, 600, 600, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 3,
                      {"D", 700, 1000, 1000, 700, 700, 0, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_LINKS, "A");
    SB_ASSERT_DEPS(prof, "C", DP_DEP_LINKS, "A");
    SB_ASSERT_DEPS(prof, "D", DP_DEP_LINKS, "B", "C");
    /* CP: D -> C (700 > 400) -> A: 100+600+300 = 1000 = wall.
     * sum 100+300+600+300 = 1300; efficiency 1.0; dagParallelism 1.3;
     * achieved 1.3; peak 2 (B and C; A ends at 100 where they start,
     * half-open, and D starts when C ends). */
    SB_ASSERT_CP(prof, "A", "C", "D");
    SB_ASSERT_RUN(prof, {1000, 1000, 1300, 1.0, 1.3, 1.3, 2});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Scheduling gap: B is ready at 100 (A done) but starts at 300.
 *   root [0,1000]; A [0,100]; B [300,600] deps A; C [650,950] deps B. */
static void test_dag_scheduling_gap(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(5);
    sb_span_add(t, 1, 0, "gap", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 100), "dag.node.id", "A");
    sb_strarr(sb_str(sb_span_add(t, 3, 1, "b", 300, 600), "dag.node.id", "B"),
              "dag.node.depends_on", "A", NULL);
    sb_strarr(sb_str(sb_span_add(t, 4, 1, "c", 650, 950), "dag.node.id", "C"),
              "dag.node.depends_on", "B", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_EQ(prof->n_nodes, 3);
    /* B: ready 100; depWait 100; queue 300-100 = 200; wait 300 = 100+200.
     * C: ready 600; depWait 600; queue 50; wait 650. */
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"A", 0, 100, 100, 0, 0, 0, 100, 100, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 300, 600, 600, 300, 100, 200, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"C", 650, 950, 950, 650, 600, 50, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_ATTRIBUTE, "A");
    SB_ASSERT_DEPS(prof, "C", DP_DEP_ATTRIBUTE, "B");
    /* CP C -> B -> A: 100+300+300 = 700; the other 300 of the wall is
     * gap (200 queue before B, 50 before C, 50 after C).
     * efficiency 700/1000 = 0.7; sum 700; dagParallelism 1; achieved
     * 0.7; peak 1. */
    SB_ASSERT_CP(prof, "A", "B", "C");
    SB_ASSERT_RUN(prof, {1000, 700, 700, 0.7, 1.0, 0.7, 1});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* ------------------------------------------------------------------------ */
/* Inferred dependencies.                                                    */
/*                                                                           */
/*   root R [0,1000]                                                         */
/*     A [0,200]   B [200,500]   D [210,400]   C [500,900]   (parent R)      */
/*     G worker-pool [0,1000] (plain span)                                   */
/*       X [600,700] (parent G)                                              */
/* Candidates (end <= start, same parent R): A->B (200 <= 200, "at or        */
/* before"), A->D, A->C, B->C (500 <= 500), D->C. Transitive reduction drops */
/* A->C (A->B->C). X sits under G, a plain span, not a node: its group is  */
/* the top level like A..D, so it is inferred from B and D (A via B).       */

static void test_dag_inferred_siblings(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(6);
    sb_span_add(t, 1, 0, "inferred", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 200), "dag.node.id", "A");
    sb_str(sb_span_add(t, 3, 1, "b", 200, 500), "dag.node.id", "B");
    sb_str(sb_span_add(t, 4, 1, "d", 210, 400), "dag.node.id", "D");
    sb_str(sb_span_add(t, 5, 1, "c", 500, 900), "dag.node.id", "C");
    sb_span_add(t, 6, 1, "worker-pool", 0, 1000);
    sb_str(sb_span_add(t, 7, 6, "x", 600, 700), "dag.node.id", "X");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_EQ(prof->n_nodes, 5); /* worker-pool is not a node */
    SB_ASSERT_NO_DEPS(prof, "A", SB_ANY_SOURCE);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_INFERRED, "A");
    SB_ASSERT_DEPS(prof, "D", DP_DEP_INFERRED, "A");
    SB_ASSERT_DEPS(prof, "C", DP_DEP_INFERRED, "B", "D");
    SB_ASSERT_DEPS(prof, "X", DP_DEP_INFERRED, "B", "D");
    /* Order A 0, B 200, D 210, C 500, X 600.
     * B: ready 200 = start; depWait 200, queue 0, exec 300.
     * D: ready 200; depWait 200; queue 10; exec 190.
     * C: ready max(500, 400) = 500 = start; depWait 500; exec 400.
     * X: ready max(500, 400) = 500; depWait 500; queue 100; exec 100. */
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"A", 0, 200, 200, 0, 0, 0, 200, 200, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 200, 500, 500, 200, 200, 0, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"D", 210, 400, 400, 210, 200, 10, 190, 190, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 3,
                      {"C", 500, 900, 900, 500, 500, 0, 400, 400, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 4,
                      {"X", 600, 700, 700, 600, 500, 100, 100, 100, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    /* CP: C ends last (900) -> B (500 > D's 400) -> A: 200+300+400 = 900.
     * sum 200+300+190+400+100 = 1190; wall 1000; efficiency 0.9;
     * dagParallelism 1190/900; achieved 1.19; peak 2 (B+D, or C+X). */
    SB_ASSERT_CP(prof, "A", "B", "C");
    SB_ASSERT_RUN(prof, {1000, 900, 1190, 0.9, 1190.0 / 900.0, 1.19, 2});
    /* Nodes inference leaves without deps have source none. */
    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Inference runs for every node that declares nothing, whether or not
 * others declare (DESIGN.md: OpenInference can name one parent only).
 *   root [0,600]; A [0,100]; B [200,300]; C [400,500] deps A.
 * B declares nothing: A ended before it started -> B inferred from A. C's
 * declaration stands (B is not added although it ended before C). */
static void test_dag_inference_per_undeclared_node(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(7);
    sb_span_add(t, 1, 0, "partial", 0, 600);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 100), "dag.node.id", "A");
    sb_str(sb_span_add(t, 3, 1, "b", 200, 300), "dag.node.id", "B");
    sb_strarr(sb_str(sb_span_add(t, 4, 1, "c", 400, 500), "dag.node.id", "C"),
              "dag.node.depends_on", "A", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_INFERRED, "A");
    SB_ASSERT_DEPS(prof, "C", DP_DEP_ATTRIBUTE, "A");
    /* B: ready 100, depWait 100, queue 100. C: ready 100, depWait 100,
     * queue 300. */
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 200, 300, 300, 200, 100, 100, 100, 100, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"C", 400, 500, 500, 400, 100, 300, 100, 100, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    /* CP: C (500) -> A: 100+100 = 200; wall 600; sum 300;
     * efficiency 200/600; dagParallelism 1.5; achieved 0.5; peak 1. */
    SB_ASSERT_CP(prof, "A", "C");
    SB_ASSERT_RUN(prof, {600, 200, 300, 200.0 / 600.0, 1.5, 0.5, 1});
    dp_profile_free(prof);
    sb_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dag_code_review_profile),
        cmocka_unit_test(test_dag_delivery_reverse_order),
        cmocka_unit_test(test_dag_chain_sequential),
        cmocka_unit_test(test_dag_delivery_interleaved_traces),
        cmocka_unit_test(test_dag_delivery_duplicate_spans),
        cmocka_unit_test(test_dag_fanout_parallel),
        cmocka_unit_test(test_dag_diamond_links),
        cmocka_unit_test(test_dag_scheduling_gap),
        cmocka_unit_test(test_dag_inferred_siblings),
        cmocka_unit_test(test_dag_inference_per_undeclared_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
