/*
 * test_dag_edge_cases.c - the processor's DAG timing on bad, empty and
 * borderline input.
 *
 * DESIGN.md's edge rules, each checked with hand-computed numbers: a trace
 * without its root (incomplete, run bounds from all spans), an empty flush,
 * a lone root (zero nodes, zero ratios, no NaN), a span ending before it
 * starts (rejected), clock skew (a node starting before its dependency
 * ends), a zero-length run, ties on the critical path, the dag.retries
 * attribute, foreign links, several traces in one processor (ids and dag
 * ids from span, resource or root name), a span arriving after its trace
 * was finalized, dependency and parent cycles, unknown or self
 * dependencies, and LLM calls under no node. All times are ms after SB_BASE_NS.
 */
#include "span_builder.h"
#include "span_expect.h"

/* Root span 1 never arrives.
 *   A [100,400] (depends_on [])   B [500,900] depends_on A
 *   post-process [80,980] (plain span, parent = the missing root)
 * All carry resource dag.id = nightly-etl.
 * Run start = earliest start 80; end = latest end 980; wall 900.
 * Offsets: A [20,320], B [420,820]. */
static void test_dag_edge_missing_root(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(1);
    sb_span *s = sb_span_add_orphan(t, 2, 1, "a", 100, 400);
    sb_strarr(sb_str(s, "dag.node.id", "A"), "dag.node.depends_on", NULL);
    s = sb_span_add_orphan(t, 3, 1, "b", 500, 900);
    sb_strarr(sb_str(s, "dag.node.id", "B"), "dag.node.depends_on", "A", NULL);
    sb_span_add_orphan(t, 4, 1, "post-process", 80, 980);
    for (size_t i = 0; i < t->n; i++)
        sb_res_str(sb_res_str(&t->spans[i], "service.name", "etl-worker"),
                   "dag.id", "nightly-etl");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    assert_false(prof->complete);
    SB_EQ(prof->incomplete_reason, DP_INCOMPLETE_ROOT_MISSING);
    SB_EQ_STR(dp_incomplete_reason_name(prof->incomplete_reason),
              "root_missing");
    assert_false(prof->has_root);
    SB_EQ_STR(prof->dag_id, "nightly-etl");
    SB_EQ(prof->start_unix_ns, SB_BASE_NS + (uint64_t)SB_MS(80));
    SB_EQ(prof->span_count, 3);
    SB_EQ(prof->n_nodes, 2);
    /* A: ready = run start; queue 20; exec 300.
     * B: ready = end A = 320; depWait 320; queue 420-320 = 100; exec 400. */
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"A", 20, 320, 320, 20, 0, 20, 300, 300, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 420, 820, 820, 420, 320, 100, 400, 400, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_ATTRIBUTE, "A");
    /* CP A -> B: 700; wall 900; sum 700; efficiency 700/900;
     * dagParallelism 1; achieved 700/900; peak 1. */
    SB_ASSERT_CP(prof, "A", "B");
    SB_ASSERT_RUN(prof, {900, 700, 700, 700.0 / 900.0, 1.0, 700.0 / 900.0, 1});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Without a root, dag.id or resource dag.id there is no name to use; the
 * profile still has a dag id string (never NULL) and is incomplete. */
static void test_dag_edge_missing_root_no_dag_id(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(2);
    sb_str(sb_span_add_orphan(t, 2, 1, "a", 0, 100), "dag.node.id", "A");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    assert_false(prof->complete);
    SB_EQ(prof->incomplete_reason, DP_INCOMPLETE_ROOT_MISSING);
    assert_non_null(prof->dag_id);
    SB_EQ(prof->n_nodes, 1);
    SB_EQ_MS(prof->wall_ns, 100);
    dp_profile_free(prof);
    sb_trace_free(t);
}

static void test_dag_edge_empty_flush(void **state)
{
    (void)state;
    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor *p = sb_processor(&cap);
    SB_EQ(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 0);
    SB_EQ(dp_processor_tick(p, 1000000 * (uint64_t)SB_NS_PER_MS), 0);
    SB_EQ(dp_processor_next_deadline(p), UINT64_MAX);
    SB_EQ(cap.calls, 0);
    dp_processor_destroy(p);
    dp_processor_destroy(NULL);
}

/* A lone root [0,500]: no nodes (its direct children would be the fallback,
 * but there are none); every ratio 0, never NaN or infinity. */
static void test_dag_edge_lone_root(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(3);
    sb_span_add(t, 1, 0, "solo", 0, 500);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    assert_true(prof->complete);
    SB_EQ_STR(prof->dag_id, "solo");
    SB_EQ(prof->span_count, 1);
    SB_EQ(prof->n_nodes, 0);
    SB_EQ(prof->n_critical_path, 0);
    SB_EQ(prof->n_calls, 0);
    SB_ASSERT_RATIOS_FINITE(prof);
    SB_ASSERT_RUN(prof, {500, 0, 0, 0.0, 0.0, 0.0, 0});
    SB_ASSERT_TOKENS(prof->tokens, 0, 0, 0, 0, 0);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* A span that ends before it starts is rejected (DP_EBADSPAN), not counted,
 * and is not a node.  root [0,1000]; A [0,400]; bad B [600,500]. */
static void test_dag_edge_bad_span_rejected(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(4);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 400), "dag.node.id", "A");
    sb_span *bad = sb_span_add(t, 3, 1, "b", 600, 500);
    sb_str(bad, "dag.node.id", "B");
    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor *p = sb_processor(&cap);
    SB_EQ(dp_processor_add_span(p, sb_in(&t->spans[0]), 0), 0);
    SB_EQ(dp_processor_add_span(p, sb_in(&t->spans[1]), 0), 0);
    SB_EQ(dp_processor_add_span(p, sb_in(bad), 0), DP_EBADSPAN);
    dp_processor_stats st;
    dp_processor_stats_get(p, &st);
    SB_EQ(st.spans_received, 2);
    SB_EQ(st.spans_rejected, 1);
    SB_EQ(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 1);
    const dp_profile *prof = cap.profiles[0];
    SB_EQ(prof->span_count, 2);
    SB_EQ(prof->n_nodes, 1);
    SB_EQ_STR(prof->nodes[0].id, "A");
    SB_EQ_MS(prof->wall_ns, 1000);
    dp_processor_destroy(p);
    sb_capture_free(&cap);
    sb_trace_free(t);
}

/* Clock skew: B starts at 300 but its dependency A ends at 500.
 *   root [0,1000]; A [0,500]; B [300,800] depends_on A.
 * B: ready 500 > start 300 -> queueDelay 0, dependencyWait = start - run
 * start = 300; waitTime 300 = 300 + 0; nothing negative. */
static void test_dag_edge_clock_skew(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(5);
    sb_span_add(t, 1, 0, "skewed", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 500), "dag.node.id", "A");
    sb_strarr(sb_str(sb_span_add(t, 3, 1, "b", 300, 800), "dag.node.id", "B"),
              "dag.node.depends_on", "A", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"A", 0, 500, 500, 0, 0, 0, 500, 500, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 300, 800, 800, 300, 300, 0, 500, 500, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_DEPS(prof, "B", DP_DEP_ATTRIBUTE, "A");
    /* CP B -> A: 500+500 = 1000; wall 1000; sum 1000; efficiency 1;
     * dagParallelism 1; achieved 1; peak 2 (overlap [300,500)). */
    SB_ASSERT_CP(prof, "A", "B");
    SB_ASSERT_RUN(prof, {1000, 1000, 1000, 1.0, 1.0, 1.0, 2});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* A zero-length run: root [0,0] and one node [0,0]. wall 0: every ratio is 0
 * (no 0/0); the node's interval [0,0) is empty so no node is ever running:
 * peak 0. The node still ends last: critical path [A], duration 0. */
static void test_dag_edge_zero_wall(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(6);
    sb_span_add(t, 1, 0, "instant", 0, 0);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 0), "dag.node.id", "A");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 1);
    SB_ASSERT_NODE_AT(
        prof, 0, {"A", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_RATIOS_FINITE(prof);
    SB_ASSERT_CP(prof, "A");
    SB_ASSERT_RUN(prof, {0, 0, 0, 0.0, 0.0, 0.0, 0});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Ties by start: P and Q both end at 900, Q started earlier; Q's
 * dependencies X and Y both end at 100, X started earlier.
 *   root [0,1000]; X [0,100]; Y [50,100]; Q [100,900] deps X, Y;
 *   P [200,900] deps Y. */
static void test_dag_edge_cp_tie_earlier_start(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(7);
    sb_span_add(t, 1, 0, "ties", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "x", 0, 100), "dag.node.id", "X");
    sb_str(sb_span_add(t, 3, 1, "y", 50, 100), "dag.node.id", "Y");
    sb_strarr(sb_str(sb_span_add(t, 4, 1, "q", 100, 900), "dag.node.id", "Q"),
              "dag.node.depends_on", "Y", "X", NULL);
    sb_strarr(sb_str(sb_span_add(t, 5, 1, "p", 200, 900), "dag.node.id", "P"),
              "dag.node.depends_on", "Y", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    /* Q: ready 100 = start. P: ready 100, queue 100. */
    SB_ASSERT_NODE_AT(prof, 2,
                      {"Q", 100, 900, 900, 100, 100, 0, 800, 800, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 3,
                      {"P", 200, 900, 900, 200, 100, 100, 700, 700, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    /* CP: Q (earlier start than P) -> X (earlier start than Y):
     * 100 + 800 = 900. sum 100+50+800+700 = 1650; efficiency 0.9;
     * dagParallelism 1650/900; achieved 1.65; peak 2. */
    SB_ASSERT_CP(prof, "X", "Q");
    SB_ASSERT_RUN(prof, {1000, 900, 1650, 0.9, 1650.0 / 900.0, 1.65, 2});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Ties by node id: same start and end.
 *   root [0,1000]; beta [0,400]; alpha [0,400];
 *   zeta [400,1000] deps beta, alpha; eta [400,1000] deps beta, alpha.
 * Node order by start, end, id: alpha, beta, eta, zeta. */
static void test_dag_edge_cp_tie_node_id(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(8);
    sb_span_add(t, 1, 0, "ties", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "b", 0, 400), "dag.node.id", "beta");
    sb_str(sb_span_add(t, 3, 1, "a", 0, 400), "dag.node.id", "alpha");
    sb_strarr(
        sb_str(sb_span_add(t, 4, 1, "z", 400, 1000), "dag.node.id", "zeta"),
        "dag.node.depends_on", "beta", "alpha", NULL);
    sb_strarr(
        sb_str(sb_span_add(t, 5, 1, "e", 400, 1000), "dag.node.id", "eta"),
        "dag.node.depends_on", "beta", "alpha", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ_STR(prof->nodes[0].id, "alpha");
    SB_EQ_STR(prof->nodes[1].id, "beta");
    SB_EQ_STR(prof->nodes[2].id, "eta");
    SB_EQ_STR(prof->nodes[3].id, "zeta");
    /* CP: eta (< zeta) -> alpha (< beta): 400 + 600 = 1000.
     * sum 400+400+600+600 = 2000; efficiency 1; dagParallelism 2;
     * achieved 2; peak 2. */
    SB_ASSERT_CP(prof, "alpha", "eta");
    SB_ASSERT_RUN(prof, {1000, 1000, 2000, 1.0, 2.0, 2.0, 2});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* dag.retries on a node span sets its retries. */
static void test_dag_edge_retries_attribute(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(9);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_int(
        sb_str(sb_span_add(t, 2, 1, "flaky", 0, 500), "dag.node.id", "flaky"),
        "dag.retries", 3);
    sb_str(sb_span_add(t, 3, 1, "steady", 500, 900), "dag.node.id", "steady");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(sb_node(prof, "flaky")->retries, 3);
    SB_EQ(sb_node(prof, "steady")->retries, 0);
    SB_EQ(sb_node(prof, "steady")->attempts, 1);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Links to spans outside the trace are not dependencies.
 *   root [0,1000]; A [0,200]; B [300,600] links A and trace 99 span 5. */
static void test_dag_edge_foreign_link_ignored(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(10);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 200), "dag.node.id", "A");
    sb_link_ext(
        sb_link(sb_str(sb_span_add(t, 3, 1, "b", 300, 600), "dag.node.id", "B"),
                2),
        99, 5);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_LINKS, "A");
    /* B: ready 200; depWait 200; queue 100. */
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 300, 600, 600, 300, 200, 100, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Three traces in one processor, emitted in order of first arrival:
 *   11: dag.id on the resource ("resource-dag"), root "ingest" [0,100]
 *   12: no dag.id: the root's name "nightly-eval", root [0,200]
 *   13: dag.id on a node span (not the root): "span-dag", root "triage"
 * Trace 12's first span arrives before trace 13's, the rest after. */
static void test_dag_edge_two_traces_ids(void **state)
{
    (void)state;
    sb_trace *a = sb_trace_new(11), *b = sb_trace_new(12),
             *c = sb_trace_new(13);
    sb_span_add(a, 1, 0, "ingest", 0, 100);
    sb_str(sb_span_add(a, 2, 1, "load", 10, 90), "dag.node.id", "load");
    for (size_t i = 0; i < a->n; i++)
        sb_res_str(&a->spans[i], "dag.id", "resource-dag");
    sb_span_add(b, 1, 0, "nightly-eval", 0, 200);
    sb_str(sb_span_add(b, 2, 1, "score", 0, 150), "dag.node.id", "score");
    sb_span_add(c, 1, 0, "triage", 0, 300);
    sb_str(sb_str(sb_span_add(c, 2, 1, "classify", 0, 250), "dag.node.id",
                  "classify"),
           "dag.id", "span-dag");

    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor *p = sb_processor(&cap);
    sb_add_all(p, a, SB_FORWARD);
    SB_EQ(dp_processor_add_span(p, sb_in(&b->spans[0]), 0), 0);
    sb_add_all(p, c, SB_REVERSE);
    SB_EQ(dp_processor_add_span(p, sb_in(&b->spans[1]), 0), 0);
    SB_EQ(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 3);
    SB_EQ(cap.n, 3);

    static const struct {
        uint32_t trace_no;
        const char *hex, *profile_id, *dag_id;
        int64_t wall;
    } want[3] = {
        {11, "d00d000000000000000000000000000b", "prof-d00d000000000000",
         "resource-dag", 100},
        {12, "d00d000000000000000000000000000c", "prof-d00d000000000000",
         "nightly-eval", 200},
        {13, "d00d000000000000000000000000000d", "prof-d00d000000000000",
         "span-dag", 300},
    };
    for (size_t i = 0; i < 3; i++) {
        const dp_profile *prof = cap.profiles[i];
        uint8_t id[16];
        sb_trace_id(want[i].trace_no, id);
        assert_memory_equal(prof->trace_id, id, 16);
        SB_EQ_STR(prof->trace_id_hex, want[i].hex);
        SB_EQ_STR(prof->profile_id, want[i].profile_id);
        SB_EQ_STR(prof->dag_id, want[i].dag_id);
        SB_EQ_MS(prof->wall_ns, want[i].wall);
        assert_true(prof->complete);
        SB_EQ(prof->span_count, 2);
        SB_EQ(prof->n_nodes, 1);
    }
    dp_processor_destroy(p);
    sb_capture_free(&cap);
    sb_trace_free(a);
    sb_trace_free(b);
    sb_trace_free(c);
}

/* A span of an already finalized trace is late: DP_ELATE, counted, and the
 * trace is never emitted twice. */
static void test_dag_edge_late_span_not_reemitted(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(14);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 500), "dag.node.id", "A");
    sb_str(sb_span_add(t, 3, 1, "b", 500, 900), "dag.node.id", "B");
    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor *p = sb_processor(&cap);
    SB_EQ(dp_processor_add_span(p, sb_in(&t->spans[0]), 0), 0);
    SB_EQ(dp_processor_add_span(p, sb_in(&t->spans[1]), 0), 0);
    SB_EQ(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 1);
    SB_EQ(dp_processor_add_span(p, sb_in(&t->spans[2]), 0), DP_ELATE);
    SB_EQ(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 0);
    SB_EQ(cap.calls, 1);
    SB_EQ(cap.profiles[0]->n_nodes, 1);
    dp_processor_stats st;
    dp_processor_stats_get(p, &st);
    SB_EQ(st.spans_late, 1);
    SB_EQ(st.profiles_emitted, 1);
    dp_processor_destroy(p);
    sb_capture_free(&cap);
    sb_trace_free(t);
}

/* A declared dependency cycle (bad data) must not hang the critical-path
 * walk.  root [0,1000]; A [0,400] depends_on B; B [500,900] depends_on A.
 * A: D = {B}, ready 900 > start 0: the skew rule gives queue 0 and
 * depWait = start - run start = 0. B: ready 400; depWait 400; queue 100.
 * Walk: B ends last -> A -> (B again: stop). Path A, B; 400 + 400. */
static void test_dag_edge_dependency_cycle(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(15);
    sb_span_add(t, 1, 0, "cyclic", 0, 1000);
    sb_strarr(sb_str(sb_span_add(t, 2, 1, "a", 0, 400), "dag.node.id", "A"),
              "dag.node.depends_on", "B", NULL);
    sb_strarr(sb_str(sb_span_add(t, 3, 1, "b", 500, 900), "dag.node.id", "B"),
              "dag.node.depends_on", "A", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"A", 0, 400, 400, 0, 0, 0, 400, 400, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 500, 900, 900, 500, 400, 100, 400, 400, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_CP(prof, "A", "B");
    SB_ASSERT_RUN(prof, {1000, 800, 800, 0.8, 1.0, 0.8, 1});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Parent cycles (bad data) must not hang the nearest-ancestor walk.
 *   root 1 [0,1000]; node A = span 2 (parent 3); node B = span 3
 *   (parent 2); LLM span 4 under 2; plain spans 5 <-> 6 parent each other
 *   with LLM span 7 under 5; span 8 is its own parent.
 * The LLM under A belongs to A; the one under the 5/6 loop to no node. */
static void test_dag_edge_parent_cycle(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(16);
    sb_span_add(t, 1, 0, "loops", 0, 1000);
    sb_str(sb_span_add(t, 2, 3, "a", 100, 400), "dag.node.id", "A");
    sb_str(sb_span_add(t, 3, 2, "b", 500, 900), "dag.node.id", "B");
    sb_genai_chat(sb_span_add(t, 4, 2, "chat", 150, 350), "gpt-4o", 100, 10);
    sb_span_add(t, 5, 6, "p", 0, 50);
    sb_span_add(t, 6, 5, "q", 0, 50);
    sb_genai_chat(sb_span_add(t, 7, 5, "chat", 10, 40), "gpt-4o", 7, 3);
    sb_span_add(t, 8, 8, "self", 0, 10);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 2);
    SB_EQ(prof->span_count, 8);
    SB_EQ(prof->n_calls, 2);
    SB_EQ(prof->calls[0].node, -1);                       /* starts at 10 */
    SB_EQ(prof->calls[1].node, sb_node_index(prof, "A")); /* starts at 150 */
    SB_EQ_MS(sb_node(prof, "A")->llm_ns, 200);
    SB_ASSERT_TOKENS(sb_node(prof, "A")->tokens, 100, 10, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->tokens, 107, 13, 0, 0, 0);
    SB_ASSERT_RATIOS_FINITE(prof);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* depends_on naming no node of the run, or the node itself, is ignored.
 *   root [0,1000]; A [0,200]; B [300,600] depends_on A, ghost;
 *   C [700,900] depends_on C, B. */
static void test_dag_edge_unknown_and_self_deps_ignored(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(17);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 200), "dag.node.id", "A");
    sb_strarr(sb_str(sb_span_add(t, 3, 1, "b", 300, 600), "dag.node.id", "B"),
              "dag.node.depends_on", "A", "ghost", NULL);
    sb_strarr(sb_str(sb_span_add(t, 4, 1, "c", 700, 900), "dag.node.id", "C"),
              "dag.node.depends_on", "C", "B", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_ATTRIBUTE, "A");
    SB_ASSERT_DEPS(prof, "C", DP_DEP_ATTRIBUTE, "B");
    /* B: ready 200, queue 100. C: ready 600, queue 100.
     * CP A, B, C: 200+300+200 = 700. */
    SB_ASSERT_NODE_AT(prof, 1,
                      {"B", 300, 600, 600, 300, 200, 100, 300, 300, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"C", 700, 900, 900, 700, 600, 100, 200, 200, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_CP(prof, "A", "B", "C");
    SB_ASSERT_RUN(prof, {1000, 700, 700, 0.7, 1.0, 0.7, 1});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* An LLM call under no node (a child of the root when nodes are explicit)
 * counts for the run and its model, not for any node.
 *   root [0,1000]; chat [0,50] 100/10 (parent root);
 *   A [100,500] with chat [150,450] 200/20. */
static void test_dag_edge_call_outside_nodes(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(18);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_genai_chat(sb_span_add(t, 2, 1, "chat", 0, 50), "gpt-4o", 100, 10);
    sb_str(sb_span_add(t, 3, 1, "a", 100, 500), "dag.node.id", "A");
    sb_genai_chat(sb_span_add(t, 4, 3, "chat", 150, 450), "gpt-4o", 200, 20);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 1);
    SB_EQ(prof->n_calls, 2);
    SB_EQ(prof->calls[0].node, -1);
    SB_EQ(prof->calls[1].node, 0);
    /* A: exec 400; llm 300; self 100. */
    SB_ASSERT_NODE_AT(prof, 0,
                      {"A", 100, 500, 500, 100, 0, 100, 400, 100, 300, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_TOKENS(prof->nodes[0].tokens, 200, 20, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->tokens, 300, 30, 0, 0, 0);
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model, "gpt-4o"),
          330);
    dp_profile_free(prof);
    sb_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dag_edge_missing_root),
        cmocka_unit_test(test_dag_edge_missing_root_no_dag_id),
        cmocka_unit_test(test_dag_edge_empty_flush),
        cmocka_unit_test(test_dag_edge_lone_root),
        cmocka_unit_test(test_dag_edge_bad_span_rejected),
        cmocka_unit_test(test_dag_edge_clock_skew),
        cmocka_unit_test(test_dag_edge_zero_wall),
        cmocka_unit_test(test_dag_edge_cp_tie_earlier_start),
        cmocka_unit_test(test_dag_edge_cp_tie_node_id),
        cmocka_unit_test(test_dag_edge_retries_attribute),
        cmocka_unit_test(test_dag_edge_foreign_link_ignored),
        cmocka_unit_test(test_dag_edge_two_traces_ids),
        cmocka_unit_test(test_dag_edge_late_span_not_reemitted),
        cmocka_unit_test(test_dag_edge_dependency_cycle),
        cmocka_unit_test(test_dag_edge_parent_cycle),
        cmocka_unit_test(test_dag_edge_unknown_and_self_deps_ignored),
        cmocka_unit_test(test_dag_edge_call_outside_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
