/*
 * test_dag_shapes.c - executions, groups and leaves (DESIGN.md "Executions:
 * retries and iterations", "Nesting") on the shapes real agents have: a
 * LangGraph ReAct loop, a Send fan-out, a subgraph, retries told apart from
 * iterations, and unique ids. Spans are built the way LangGraph JS under
 * OpenInference emits them (a node is a CHAIN span whose JSON metadata names
 * its langgraph_node, and every descendant inherits that metadata). Every
 * number is computed by hand in the comment above its assertion; all times
 * are ms after SB_BASE_NS.
 */
#include "span_builder.h"
#include "span_expect.h"

/* The metadata attribute LangChain instrumentations write for a node. */
static sb_span *lg(sb_trace *t, sb_span *s, const char *node)
{
    char buf[160];
    snprintf(buf, sizeof(buf),
             "{\"langgraph_step\":1,\"langgraph_node\":\"%s\","
             "\"langgraph_triggers\":[\"branch:to:%s\"]}",
             node, node);
    sb_str(s, "openinference.span.kind", "CHAIN");
    return sb_str(s, "metadata", sb_strdup(t, buf));
}

static sb_span *oi_llm(sb_trace *t, sb_span *s, const char *node, int64_t in,
                       int64_t out)
{
    lg(t, s, node);
    sb_str(s, "openinference.span.kind", "LLM");
    sb_str(s, "llm.model_name", "gpt-4o-mini");
    sb_int(s, "llm.token_count.prompt", in);
    return sb_int(s, "llm.token_count.completion", out);
}

static sb_span *oi_tool(sb_trace *t, sb_span *s, const char *node,
                        const char *tool)
{
    lg(t, s, node);
    sb_str(s, "openinference.span.kind", "TOOL");
    return sb_str(s, "tool.name", tool);
}

/* ReAct loop agent -> tools -> agent -> tools -> agent under root
 * LangGraph [0,1000]:
 *   agent [10,200] (LLM [20,190])    tools [200,300] (tool [210,290])
 *   agent [300,500] (LLM [310,490])  tools [500,600] (tool [510,590])
 *   agent [600,900] (LLM [610,890])
 * Nothing failed: five nodes agent, tools, agent#2, tools#2, agent#3, no
 * retries. Nothing is declared: each is inferred from the one before
 * (end == next start). Leaves: agent wait 10 (queue 10, ready 0); every
 * other: depWait = start, queue 0. CP: all five, 190+100+200+100+300 = 890;
 * wall 1000; sum 890; efficiency 0.89; dagParallelism 1; achieved 0.89;
 * peak 1. Tokens: 3 LLM calls x (100 in, 10 out). */
static void test_dag_shapes_react_loop(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(1);
    sb_span_add(t, 1, 0, "LangGraph", 0, 1000);
    lg(t, sb_span_add(t, 2, 1, "agent", 10, 200), "agent");
    oi_llm(t, sb_span_add(t, 3, 2, "ChatOpenAI", 20, 190), "agent", 100, 10);
    lg(t, sb_span_add(t, 4, 1, "tools", 200, 300), "tools");
    oi_tool(t, sb_span_add(t, 5, 4, "search", 210, 290), "tools", "search");
    lg(t, sb_span_add(t, 6, 1, "agent", 300, 500), "agent");
    oi_llm(t, sb_span_add(t, 7, 6, "ChatOpenAI", 310, 490), "agent", 100, 10);
    lg(t, sb_span_add(t, 8, 1, "tools", 500, 600), "tools");
    oi_tool(t, sb_span_add(t, 9, 8, "search", 510, 590), "tools", "search");
    lg(t, sb_span_add(t, 10, 1, "agent", 600, 900), "agent");
    oi_llm(t, sb_span_add(t, 11, 10, "ChatOpenAI", 610, 890), "agent", 100, 10);
    dp_profile *prof = sb_profile_one(t, SB_REVERSE);

    SB_EQ(prof->n_nodes, 5);
    SB_EQ(prof->n_leaves, 5);
    SB_ASSERT_NODE_AT(prof, 0,
                      {"agent", 10, 200, 200, 10, 0, 10, 190, 20, 170, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"tools", 200, 300, 300, 200, 200, 0, 100, 20, 0, 80, 1,
                       0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"agent#2", 300, 500, 500, 300, 300, 0, 200, 20, 180, 0,
                       1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 3,
                      {"tools#2", 500, 600, 600, 500, 500, 0, 100, 20, 0, 80, 1,
                       0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 4,
                      {"agent#3", 600, 900, 900, 600, 600, 0, 300, 20, 280, 0,
                       1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NO_DEPS(prof, "agent", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "tools", DP_DEP_INFERRED, "agent");
    SB_ASSERT_DEPS(prof, "agent#2", DP_DEP_INFERRED, "tools");
    SB_ASSERT_DEPS(prof, "tools#2", DP_DEP_INFERRED, "agent#2");
    SB_ASSERT_DEPS(prof, "agent#3", DP_DEP_INFERRED, "tools#2");
    SB_ASSERT_CP(prof, "agent", "tools", "agent#2", "tools#2", "agent#3");
    SB_ASSERT_RUN(prof, {1000, 890, 890, 0.89, 1.0, 0.89, 1});
    SB_EQ(prof->n_calls, 5);
    SB_ASSERT_TOKENS(prof->tokens, 300, 30, 0, 0, 0);
    SB_EQ(prof->tokens.known, DP_TOK_INPUT | DP_TOK_OUTPUT);
    SB_EQ(prof->n_warnings, 0);
    for (size_t i = 0; i < prof->n_bottlenecks; i++)
        assert_int_not_equal(prof->bottlenecks[i].type, DP_BN_SCHEDULING_DELAY);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Send fan-out: plan [0,100]; three worker executions at once
 * [100,400], [101,350], [101,420]; reduce [420,500]; root [0,500].
 * Unique ids by start, then end: worker [100,400], worker#2 [101,350],
 * worker#3 [101,420]; no retries (none failed). Inferred: each worker from
 * plan; reduce from all three (plan reaches it through them: dropped).
 * CP: reduce (500) -> worker#3 (420, the latest end) -> plan:
 * 100 + 319 + 80 = 499. sum 100+300+249+319+80 = 1048; wall 500;
 * efficiency 0.998; dagParallelism 1048/499; achieved 2.096; peak 3.
 * worker#2: ready 100; depWait 100; queue 1. */
static void test_dag_shapes_send_fanout(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(2);
    sb_span_add(t, 1, 0, "LangGraph", 0, 500);
    lg(t, sb_span_add(t, 2, 1, "plan", 0, 100), "plan");
    lg(t, sb_span_add(t, 3, 1, "worker", 100, 400), "worker");
    lg(t, sb_span_add(t, 4, 1, "worker", 101, 420), "worker");
    lg(t, sb_span_add(t, 5, 1, "worker", 101, 350), "worker");
    lg(t, sb_span_add(t, 6, 1, "reduce", 420, 500), "reduce");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_EQ(prof->n_nodes, 5);
    SB_ASSERT_NODE_AT(prof, 1,
                      {"worker", 100, 400, 400, 100, 100, 0, 300, 300, 0, 0, 1,
                       0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"worker#2", 101, 350, 350, 101, 100, 1, 249, 249, 0, 0,
                       1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 3,
                      {"worker#3", 101, 420, 420, 101, 100, 1, 319, 319, 0, 0,
                       1, 0, DP_STATUS_UNSET});
    SB_ASSERT_DEPS(prof, "worker", DP_DEP_INFERRED, "plan");
    SB_ASSERT_DEPS(prof, "worker#2", DP_DEP_INFERRED, "plan");
    SB_ASSERT_DEPS(prof, "worker#3", DP_DEP_INFERRED, "plan");
    SB_ASSERT_DEPS(prof, "reduce", DP_DEP_INFERRED, "worker", "worker#2",
                   "worker#3");
    SB_ASSERT_CP(prof, "plan", "worker#3", "reduce");
    SB_ASSERT_RUN(prof, {500, 499, 1048, 0.998, 1048.0 / 499.0, 2.096, 3});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* A subgraph: root [0,1000]; plan [0,100]; research [100,700] whose
 * LangGraph wrapper [110,690] (inheriting research's metadata: part of that
 * execution) holds search [120,400] and summarize [400,680] (LLM
 * [410,670], 50 in / 5 out) and, outside any inner node, an LLM call
 * [682,688] (20 / 2); write [700,900].
 * research is a group (children search, summarize), the rest leaves.
 * Top level: research from plan, write from research (plan dropped).
 * Inside: search declares nothing and has no sibling before it: it
 * inherits research's dependency (plan, a leaf; reported as its dependsOn
 * with research's source): ready = max(100, group start 100) = 100;
 * depWait 100; queue 20. summarize from search: ready
 * 400, queue 0. write: a dependency on research means on its last leaf,
 * summarize: ready 680; depWait 680; queue 20.
 * CP over leaves: write (900) -> summarize -> search -> plan: 100 + 280 +
 * 280 + 200 = 860; sum of leaves 860 (research not counted); wall 1000;
 * efficiency 0.86; dagParallelism 1; achieved 0.86; peak 1.
 * research: exec 600; llm 6 (its own call); self 600 - (280 + 280 + 6) =
 * 34; tokens 70 in / 7 out (subtree); its own 22 tokens. */
static void test_dag_shapes_subgraph(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(3);
    sb_span_add(t, 1, 0, "LangGraph", 0, 1000);
    lg(t, sb_span_add(t, 2, 1, "plan", 0, 100), "plan");
    lg(t, sb_span_add(t, 3, 1, "research", 100, 700), "research");
    lg(t, sb_span_add(t, 4, 3, "LangGraph", 110, 690), "research");
    lg(t, sb_span_add(t, 5, 4, "search", 120, 400), "search");
    lg(t, sb_span_add(t, 6, 4, "summarize", 400, 680), "summarize");
    oi_llm(t, sb_span_add(t, 7, 6, "ChatOpenAI", 410, 670), "summarize", 50, 5);
    oi_llm(t, sb_span_add(t, 8, 4, "ChatOpenAI", 682, 688), "research", 20, 2);
    lg(t, sb_span_add(t, 9, 1, "write", 700, 900), "write");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_EQ(prof->n_nodes, 5);
    SB_EQ(prof->n_leaves, 4);
    const dp_node *research = sb_node(prof, "research");
    SB_EQ(research->kind, DP_NODE_GROUP);
    SB_EQ(research->parent, -1);
    SB_EQ(research->n_children, 2);
    SB_EQ_STR(prof->nodes[research->children[0]].id, "search");
    SB_EQ_STR(prof->nodes[research->children[1]].id, "summarize");
    SB_EQ(sb_node(prof, "search")->parent, sb_node_index(prof, "research"));
    SB_EQ(sb_node(prof, "plan")->kind, DP_NODE_LEAF);
    SB_ASSERT_DEPS(prof, "research", DP_DEP_INFERRED, "plan");
    SB_ASSERT_DEPS(prof, "write", DP_DEP_INFERRED, "research");
    SB_ASSERT_DEPS(prof, "search", DP_DEP_INFERRED, "plan");
    SB_ASSERT_DEPS(prof, "summarize", DP_DEP_INFERRED, "search");
    SB_ASSERT_NODE_AT(prof, 1,
                      {"research", 100, 700, 700, 100, 100, 0, 600, 34, 6, 0, 1,
                       0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"search", 120, 400, 400, 120, 100, 20, 280, 280, 0, 0, 1,
                       0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 3,
                      {"summarize", 400, 680, 680, 400, 400, 0, 280, 20, 260, 0,
                       1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 4,
                      {"write", 700, 900, 900, 700, 680, 20, 200, 200, 0, 0, 1,
                       0, DP_STATUS_UNSET});
    SB_ASSERT_CP(prof, "plan", "search", "summarize", "write");
    SB_ASSERT_RUN(prof, {1000, 860, 860, 0.86, 1.0, 0.86, 1});
    SB_ASSERT_TOKENS(research->tokens, 70, 7, 0, 0, 0);
    SB_EQ(research->own_tokens, 22);
    SB_ASSERT_TOKENS(prof->tokens, 70, 7, 0, 0, 0);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Retries versus iterations (dag.node.id, root [0,1000]):
 *   A [0,100] ERROR, A [110,200]: a retry (the first failed and the second
 *   started after it ended): one node, attempts 2, retries 1, [0,200].
 *   B [300,400] OK, B [410,500]: an iteration: B and B#2.
 *   C [600,700] ERROR, C [650,750]: started before the failed one ended
 *   (a parallel copy): C and C#2.
 *   D [800,850] OK, D [860,900] with dag.node.attempt = 2: a retry. */
static void test_dag_shapes_retry_or_iteration(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(4);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_status(sb_str(sb_span_add(t, 2, 1, "a", 0, 100), "dag.node.id", "A"),
              DP_STATUS_ERROR);
    sb_str(sb_span_add(t, 3, 1, "a", 110, 200), "dag.node.id", "A");
    sb_str(sb_span_add(t, 4, 1, "b", 300, 400), "dag.node.id", "B");
    sb_str(sb_span_add(t, 5, 1, "b", 410, 500), "dag.node.id", "B");
    sb_status(sb_str(sb_span_add(t, 6, 1, "c", 600, 700), "dag.node.id", "C"),
              DP_STATUS_ERROR);
    sb_str(sb_span_add(t, 7, 1, "c", 650, 750), "dag.node.id", "C");
    sb_str(sb_span_add(t, 8, 1, "d", 800, 850), "dag.node.id", "D");
    sb_int(sb_str(sb_span_add(t, 9, 1, "d", 860, 900), "dag.node.id", "D"),
           "dag.node.attempt", 2);
    dp_profile *prof = sb_profile_one(t, SB_REVERSE);

    SB_EQ(prof->n_nodes, 6);
    const dp_node *a = sb_node(prof, "A");
    SB_EQ(a->attempts, 2);
    SB_EQ(a->retries, 1);
    SB_EQ_MS(a->execution_ns, 200);
    SB_EQ_MS(a->failed_attempts_ns, 100);
    SB_EQ(a->status, DP_STATUS_UNSET);
    SB_EQ(sb_node(prof, "B")->attempts, 1);
    SB_EQ(sb_node(prof, "B#2")->attempts, 1);
    SB_EQ(sb_node(prof, "C")->status, DP_STATUS_ERROR);
    SB_EQ(sb_node(prof, "C#2")->retries, 0);
    SB_EQ(sb_node(prof, "D")->attempts, 2);
    SB_EQ(sb_node(prof, "D")->retries, 1);
    assert_true(sb_node_index(prof, "D#2") < 0);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Unique ids never collide with an id a span carries: x, x and a node
 * literally named "x#2" give x, x#3 and x#2 (root [0,100]; x [0,10],
 * x#2 [20,30], x [40,50]). */
static void test_dag_shapes_unique_ids(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(5);
    sb_span_add(t, 1, 0, "run", 0, 100);
    sb_str(sb_span_add(t, 2, 1, "x", 0, 10), "dag.node.id", "x");
    sb_str(sb_span_add(t, 3, 1, "x2", 20, 30), "dag.node.id", "x#2");
    sb_str(sb_span_add(t, 4, 1, "x", 40, 50), "dag.node.id", "x");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 3);
    SB_EQ_STR(prof->nodes[0].id, "x");
    SB_EQ_STR(prof->nodes[1].id, "x#2");
    SB_EQ_STR(prof->nodes[2].id, "x#3");
    SB_ASSERT_DEPS(prof, "x#3", DP_DEP_INFERRED, "x#2");
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* The same node id in two different groups is two nodes, not executions
 * of one: g1 [0,100] holds step [10,50]; g2 [100,200] holds step
 * [110,150]. Ids: step (first by start) and step#2; each is the only node
 * in its group, inheriting its group's dependency: step#2 waits for g1's
 * last leaf, step. */
static void test_dag_shapes_same_id_in_two_groups(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(6);
    sb_span_add(t, 1, 0, "run", 0, 200);
    sb_str(sb_span_add(t, 2, 1, "g1", 0, 100), "dag.node.id", "g1");
    sb_str(sb_span_add(t, 3, 2, "s", 10, 50), "dag.node.id", "step");
    sb_str(sb_span_add(t, 4, 1, "g2", 100, 200), "dag.node.id", "g2");
    sb_str(sb_span_add(t, 5, 4, "s", 110, 150), "dag.node.id", "step");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 4);
    SB_EQ(sb_node(prof, "step")->parent, sb_node_index(prof, "g1"));
    SB_EQ(sb_node(prof, "step#2")->parent, sb_node_index(prof, "g2"));
    SB_ASSERT_DEPS(prof, "g2", DP_DEP_INFERRED, "g1");
    SB_ASSERT_DEPS(prof, "step#2", DP_DEP_INFERRED, "g1"); /* inherited */
    SB_ASSERT_NO_DEPS(prof, "step", DP_DEP_NONE);
    /* step#2: ready = max(step's end 50, g2's start 100) = 100; queue 10. */
    SB_EQ_MS(sb_node(prof, "step#2")->dependency_wait_ns, 100);
    SB_EQ_MS(sb_node(prof, "step#2")->queue_delay_ns, 10);
    SB_ASSERT_CP(prof, "step", "step#2");
    dp_profile_free(prof);
    sb_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dag_shapes_react_loop),
        cmocka_unit_test(test_dag_shapes_send_fanout),
        cmocka_unit_test(test_dag_shapes_subgraph),
        cmocka_unit_test(test_dag_shapes_retry_or_iteration),
        cmocka_unit_test(test_dag_shapes_unique_ids),
        cmocka_unit_test(test_dag_shapes_same_id_in_two_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
