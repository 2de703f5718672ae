/*
 * test_dag_conventions.c - the processor reads all three attribute
 * conventions in the wild.
 *
 * One agent run (planner, then researcher with a tool and LLM calls) is
 * emitted with OpenTelemetry GenAI attributes, with OpenInference attributes
 * and with OpenLLMetry/Traceloop attributes; the three profiles must agree
 * field by field, and the GenAI one is checked against hand-computed values
 * from DESIGN.md. Further cases: LangGraph nodes from the JSON `metadata`
 * attribute, the root's-children fallback, node-id and model precedence,
 * deprecated token attribute names, and cache / reasoning token counts.
 * All times are ms after SB_BASE_NS.
 */
#include "span_builder.h"
#include "span_expect.h"

/* ------------------------------------------------------------------------ */
/* One run, three conventions.                                               */
/*                                                                           */
/*  span  role                          parent  ms           LLM tokens      */
/*   1    root "review-run"              -      [0, 3000]                    */
/*   2    agent planner                  1      [100, 1100]                  */
/*   3      LLM gpt-4o                   2      [150, 650]   800 / 200       */
/*   4      LLM gpt-4o-mini              2      [600, 1000]  300 / 50        */
/*   5    agent researcher               1      [1200, 2900]                 */
/*   6      tool web_search              5      [1300, 1800]                 */
/*   7      LLM gpt-4o                   5      [1800, 2800] 2000 / 400      */
/* No dependencies are declared in any convention: inferred, researcher      */
/* after planner (1100 <= 1200).                                             */
/* ------------------------------------------------------------------------ */

enum { CONV_GENAI, CONV_OPENINFERENCE, CONV_TRACELOOP };

static void conv_llm(sb_span *s, int conv, const char *model, int64_t in,
                     int64_t out, bool traceloop_kind)
{
    switch (conv) {
    case CONV_GENAI:
        sb_genai_chat(s, model, in, out);
        sb_str(s, "gen_ai.provider.name", "openai");
        break;
    case CONV_OPENINFERENCE:
        sb_str(s, "openinference.span.kind", "LLM");
        sb_str(s, "llm.model_name", model);
        sb_str(s, "llm.system", "openai");
        sb_int(s, "llm.token_count.prompt", in);
        sb_int(s, "llm.token_count.completion", out);
        sb_int(s, "llm.token_count.total", in + out);
        break;
    default: /* OpenLLMetry: deprecated gen_ai.usage names */
        if (traceloop_kind)
            sb_str(s, "traceloop.span.kind", "llm");
        sb_str(s, "gen_ai.system", "OpenAI");
        sb_str(s, "llm.request.type", "chat");
        sb_str(s, "gen_ai.request.model", model);
        sb_int(s, "gen_ai.usage.prompt_tokens", in);
        sb_int(s, "gen_ai.usage.completion_tokens", out);
        sb_int(s, "llm.usage.total_tokens", in + out);
        break;
    }
}

static void conv_agent(sb_span *s, int conv, const char *name)
{
    switch (conv) {
    case CONV_GENAI:
        sb_str(s, "gen_ai.operation.name", "invoke_agent");
        sb_str(s, "gen_ai.agent.name", name);
        break;
    case CONV_OPENINFERENCE:
        sb_str(s, "openinference.span.kind", "AGENT");
        sb_str(s, "graph.node.id", name);
        break;
    default:
        sb_str(s, "traceloop.span.kind", "agent");
        sb_str(s, "traceloop.entity.name", name);
        break;
    }
}

static void conv_tool(sb_span *s, int conv, const char *name)
{
    switch (conv) {
    case CONV_GENAI:
        sb_genai_tool(s, name);
        break;
    case CONV_OPENINFERENCE:
        sb_str(s, "openinference.span.kind", "TOOL");
        sb_str(s, "tool.name", name);
        break;
    default:
        sb_str(s, "traceloop.span.kind", "tool");
        sb_str(s, "traceloop.entity.name", name);
        break;
    }
}

static sb_trace *agent_run(uint32_t trace_no, int conv)
{
    static const char *agent_names[3][2] = {
        {"invoke_agent planner", "invoke_agent researcher"},
        {"planner", "researcher"},
        {"planner.agent", "researcher.agent"}};
    static const char *llm_names[3] = {"chat", "ChatOpenAI", "openai.chat"};
    static const char *tool_names[3] = {"execute_tool web_search", "web_search",
                                        "web_search.tool"};
    sb_trace *t = sb_trace_new(trace_no);
    sb_span *root = sb_span_add(t, 1, 0, "review-run", 0, 3000);
    if (conv == CONV_OPENINFERENCE)
        sb_str(root, "openinference.span.kind", "CHAIN");
    else if (conv == CONV_TRACELOOP)
        sb_str(sb_str(root, "traceloop.span.kind", "workflow"),
               "traceloop.entity.name", "review-run");
    conv_agent(sb_span_add(t, 2, 1, agent_names[conv][0], 100, 1100), conv,
               "planner");
    conv_llm(sb_span_add(t, 3, 2, llm_names[conv], 150, 650), conv, "gpt-4o",
             800, 200, false);
    conv_llm(sb_span_add(t, 4, 2, llm_names[conv], 600, 1000), conv,
             "gpt-4o-mini", 300, 50, true);
    conv_agent(sb_span_add(t, 5, 1, agent_names[conv][1], 1200, 2900), conv,
               "researcher");
    conv_tool(sb_span_add(t, 6, 5, tool_names[conv], 1300, 1800), conv,
              "web_search");
    conv_llm(sb_span_add(t, 7, 5, llm_names[conv], 1800, 2800), conv, "gpt-4o",
             2000, 400, false);
    return t;
}

static void test_dag_conventions_genai_values(void **state)
{
    (void)state;
    sb_trace *t = agent_run(1, CONV_GENAI);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);

    SB_EQ_STR(prof->dag_id, "review-run"); /* no dag.id: root span name */
    SB_EQ(prof->span_count, 7);
    /* Nodes: the invoke_agent spans (no dag.node.id / graph.node.id /
     * langgraph anywhere), ids from gen_ai.agent.name. */
    SB_EQ(prof->n_nodes, 2);
    /* planner: ready 0; queue 100; exec 1000; LLM [150,650) u [600,1000)
     * = [150,1000) = 850 (not 900); self 150.
     * researcher: inferred dep planner; ready 1100; queue 100; exec 1700;
     * tool [1300,1800) 500; LLM [1800,2800) 1000; self 1700-1500 = 200. */
    SB_ASSERT_NODE_AT(prof, 0,
                      {"planner", 100, 1100, 1100, 100, 0, 100, 1000, 150, 850,
                       0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"researcher", 1200, 2900, 2900, 1200, 1100, 100, 1700,
                       200, 1000, 500, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_DEPS(prof, "researcher", DP_DEP_INFERRED, "planner");
    SB_ASSERT_NO_DEPS(prof, "planner", SB_ANY_SOURCE);
    /* CP planner -> researcher: 1000+1700 = 2700; wall 3000; sum 2700;
     * efficiency 0.9; dagParallelism 1; achieved 0.9; peak 1. */
    SB_ASSERT_CP(prof, "planner", "researcher");
    SB_ASSERT_RUN(prof, {3000, 2700, 2700, 0.9, 1.0, 0.9, 1});
    /* Tokens: planner 800+300 = 1100 in, 200+50 = 250 out; researcher
     * 2000/400; run 3100/650. By model: gpt-4o 1000+2400 = 3400,
     * gpt-4o-mini 350. planner's models in order of first use. */
    SB_ASSERT_TOKENS(prof->nodes[0].tokens, 1100, 250, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->nodes[1].tokens, 2000, 400, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->tokens, 3100, 650, 0, 0, 0);
    SB_EQ(prof->n_tokens_by_model, 2);
    SB_EQ(sb_named(prof->tokens_by_model, 2, "gpt-4o"), 3400);
    SB_EQ(sb_named(prof->tokens_by_model, 2, "gpt-4o-mini"), 350);
    SB_EQ(prof->nodes[0].n_models, 2);
    SB_EQ_STR(prof->nodes[0].models[0], "gpt-4o");
    SB_EQ_STR(prof->nodes[0].models[1], "gpt-4o-mini");
    SB_EQ(prof->n_calls, 4);
    SB_EQ(prof->calls[2].kind, DP_CALL_TOOL);
    SB_EQ_STR(prof->calls[2].name, "web_search");
    SB_EQ(prof->calls[2].node, 1);
    /* DESIGN.md: inference that finds nothing leaves source none. */
    SB_ASSERT_NO_DEPS(prof, "planner", DP_DEP_NONE);
    dp_profile_free(prof);
    sb_trace_free(t);
}

static void test_dag_conventions_three_agree(void **state)
{
    (void)state;
    sb_trace *tg = agent_run(1, CONV_GENAI);
    sb_trace *to = agent_run(2, CONV_OPENINFERENCE);
    sb_trace *tt = agent_run(3, CONV_TRACELOOP);
    dp_profile *pg = sb_profile_one(tg, SB_FORWARD);
    dp_profile *po = sb_profile_one(to, SB_FORWARD);
    dp_profile *pt = sb_profile_one(tt, SB_FORWARD);
    /* OpenInference: nodes from graph.node.id, tokens from
     * llm.token_count.*, models from llm.model_name, tool.name. */
    SB_ASSERT_SAME_PROFILE(
        po, pg, SB_CMP_CALL_NAMES | SB_CMP_SPAN_COUNT | SB_CMP_DEP_SOURCE);
    /* OpenLLMetry: nodes from traceloop.span.kind=agent, ids from
     * traceloop.entity.name; one LLM span has no kind at all and is an LLM
     * call by its token-usage attributes. Tool names are not compared:
     * Traceloop tools carry only traceloop.entity.name. */
    SB_ASSERT_SAME_PROFILE(pt, pg, SB_CMP_SPAN_COUNT | SB_CMP_DEP_SOURCE);
    dp_profile_free(pg);
    dp_profile_free(po);
    dp_profile_free(pt);
    sb_trace_free(tg);
    sb_trace_free(to);
    sb_trace_free(tt);
}

/* OpenInference graph.node.parent_id is a declared dependency (source
 * attribute); a node without it in the same run is inferred from timing
 * (OpenInference can name one parent only).
 *   root [0,1000]; plan [0,300]; act [350,800] parent_id plan;
 *   report [400,500] (no parent_id): plan ended before it -> inferred. */
static void test_dag_conventions_openinference_parent_id(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(4);
    sb_span_add(t, 1, 0, "graph", 0, 1000);
    sb_str(sb_str(sb_span_add(t, 2, 1, "plan-agent", 0, 300),
                  "openinference.span.kind", "AGENT"),
           "graph.node.id", "plan");
    sb_str(sb_str(sb_str(sb_span_add(t, 3, 1, "act-agent", 350, 800),
                         "openinference.span.kind", "AGENT"),
                  "graph.node.id", "act"),
           "graph.node.parent_id", "plan");
    sb_str(sb_str(sb_span_add(t, 4, 1, "report-agent", 400, 500),
                  "openinference.span.kind", "AGENT"),
           "graph.node.id", "report");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 3);
    SB_ASSERT_DEPS(prof, "act", DP_DEP_ATTRIBUTE, "plan");
    SB_ASSERT_NO_DEPS(prof, "plan", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "report", DP_DEP_INFERRED, "plan");
    /* act: ready 300; depWait 300; queue 50. report: ready 300; queue 100.
     * CP: act ends last (800) -> plan: 300+450 = 750; sum 300+450+100 =
     * 850; wall 1000; peak 2 (act and report). */
    SB_ASSERT_NODE_AT(prof, 1,
                      {"act", 350, 800, 800, 350, 300, 50, 450, 450, 0, 0, 1, 0,
                       DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 2,
                      {"report", 400, 500, 500, 400, 300, 100, 100, 100, 0, 0,
                       1, 0, DP_STATUS_UNSET});
    SB_ASSERT_CP(prof, "plan", "act");
    SB_ASSERT_RUN(prof, {1000, 750, 850, 0.75, 850.0 / 750.0, 0.85, 2});
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* ------------------------------------------------------------------------ */
/* LangGraph: nodes from the JSON `metadata` attribute.                      */
/*   root "LangGraph" [0,2000]                                               */
/*   __start__ [0,10]  analyze [20,1020]  summarize [1030,1900]              */
/*   __end__ [1950,1960]                                                     */
/*   LLM under analyze [100,900] 1500/300; under summarize [1100,1800]       */
/*   900/200.                                                                */

static sb_trace *langgraph_run(uint32_t trace_no, bool nested_metadata)
{
    sb_trace *t = sb_trace_new(trace_no);
    sb_str(sb_str(sb_span_add(t, 1, 0, "LangGraph", 0, 2000),
                  "openinference.span.kind", "CHAIN"),
           "metadata", "{\"thread_id\":\"t-42\"}");
    sb_str(sb_span_add(t, 2, 1, "__start__", 0, 10), "metadata",
           "{\"langgraph_step\":0,\"langgraph_node\":\"__start__\","
           "\"langgraph_triggers\":[\"__start__\"]}");
    sb_str(sb_span_add(t, 3, 1, "analyze", 20, 1020), "metadata",
           "{\"thread_id\":\"t-42\",\"langgraph_step\":1,"
           "\"langgraph_node\":\"analyze\","
           "\"langgraph_triggers\":[\"start:analyze\"],"
           "\"langgraph_path\":[\"__pregel_pull\",\"analyze\"],"
           "\"langgraph_checkpoint_ns\":\"analyze:1b7a0c\"}");
    sb_span *llm;
    if (nested_metadata) {
        /* LangChain copies the run's metadata onto every child run, so the
         * chain and the LLM span inside the node carry the same
         * langgraph_node: still one execution of analyze. */
        const char *md = "{\"langgraph_step\":1,"
                         "\"langgraph_node\":\"analyze\","
                         "\"ls_provider\":\"openai\"}";
        sb_str(sb_span_add(t, 8, 3, "RunnableSequence", 50, 950), "metadata",
               md);
        llm = sb_span_add(t, 4, 8, "ChatOpenAI", 100, 900);
        sb_str(llm, "metadata", md);
    } else {
        llm = sb_span_add(t, 4, 3, "ChatOpenAI", 100, 900);
    }
    sb_str(llm, "openinference.span.kind", "LLM");
    sb_str(llm, "llm.model_name", "gpt-4o");
    sb_int(llm, "llm.token_count.prompt", 1500);
    sb_int(llm, "llm.token_count.completion", 300);
    sb_str(sb_span_add(t, 5, 1, "summarize", 1030, 1900), "metadata",
           "{\"langgraph_step\":2,\"langgraph_node\":\"summarize\","
           "\"langgraph_triggers\":[\"analyze\"]}");
    llm = sb_span_add(t, 6, 5, "ChatAnthropic", 1100, 1800);
    sb_str(llm, "openinference.span.kind", "LLM");
    sb_str(llm, "llm.model_name", "claude-3-5-sonnet-20241022");
    sb_int(llm, "llm.token_count.prompt", 900);
    sb_int(llm, "llm.token_count.completion", 200);
    sb_str(sb_span_add(t, 7, 1, "__end__", 1950, 1960), "metadata",
           "{\"langgraph_step\":3,\"langgraph_node\":\"__end__\"}");
    return t;
}

static void assert_langgraph(const dp_profile *prof)
{
    SB_EQ_STR(prof->dag_id, "LangGraph");
    /* __start__ and __end__ are not nodes. */
    SB_EQ(prof->n_nodes, 2);
    /* analyze: ready 0; queue 20; exec 1000; llm 800; self 200.
     * summarize: inferred dep analyze (1020 <= 1030); ready 1020;
     * queue 10; exec 870; llm 700; self 170. */
    SB_ASSERT_NODE_AT(prof, 0,
                      {"analyze", 20, 1020, 1020, 20, 0, 20, 1000, 200, 800, 0,
                       1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"summarize", 1030, 1900, 1900, 1030, 1020, 10, 870, 170,
                       700, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_DEPS(prof, "summarize", DP_DEP_INFERRED, "analyze");
    /* CP analyze -> summarize: 1870; wall 2000; sum 1870; 0.935. */
    SB_ASSERT_CP(prof, "analyze", "summarize");
    SB_ASSERT_RUN(prof, {2000, 1870, 1870, 0.935, 1.0, 0.935, 1});
    SB_ASSERT_TOKENS(prof->nodes[0].tokens, 1500, 300, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->nodes[1].tokens, 900, 200, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->tokens, 2400, 500, 0, 0, 0);
}

static void test_dag_conventions_langgraph_metadata(void **state)
{
    (void)state;
    sb_trace *t = langgraph_run(5, false);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    assert_langgraph(prof);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* DESIGN.md counts attempts from several node spans with the same
 * dag.node.id; LangChain's inherited metadata puts langgraph_node on spans
 * nested inside the node. Those are the same execution, not attempts: the
 * profile must equal the one without nested metadata. */
static void test_dag_conventions_langgraph_nested_metadata(void **state)
{
    (void)state;
    sb_trace *t = langgraph_run(6, true);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    assert_langgraph(prof);
    SB_EQ(prof->span_count, 8);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* No node attributes and no agent spans: the root's direct children are the
 * nodes, ids from span names; grandchildren are not.
 *   root "pipeline" [0,1000]; load [0,300]; transform [300,800]
 *   (normalize [400,500] and an LLM call [500,700] 100/20 under it). */
static void test_dag_conventions_fallback_root_children(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(7);
    sb_span_add(t, 1, 0, "pipeline", 0, 1000);
    sb_span_add(t, 2, 1, "load", 0, 300);
    sb_span_add(t, 3, 1, "transform", 300, 800);
    sb_span_add(t, 4, 3, "normalize", 400, 500);
    sb_genai_chat(sb_span_add(t, 5, 3, "chat gpt-4o-mini", 500, 700),
                  "gpt-4o-mini", 100, 20);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 2);
    /* transform: inferred dep load (300 <= 300); ready 300 = start;
     * exec 500; llm 200; self 300 (normalize is plain work). */
    SB_ASSERT_NODE_AT(
        prof, 0,
        {"load", 0, 300, 300, 0, 0, 0, 300, 300, 0, 0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_NODE_AT(prof, 1,
                      {"transform", 300, 800, 800, 300, 300, 0, 500, 300, 200,
                       0, 1, 0, DP_STATUS_UNSET});
    SB_ASSERT_DEPS(prof, "transform", DP_DEP_INFERRED, "load");
    /* CP load -> transform: 800; wall 1000; 0.8. */
    SB_ASSERT_CP(prof, "load", "transform");
    SB_ASSERT_RUN(prof, {1000, 800, 800, 0.8, 1.0, 0.8, 1});
    SB_ASSERT_TOKENS(prof->nodes[1].tokens, 100, 20, 0, 0, 0);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Node ids: the attribute that made the span a node (dag.node.id >
 * graph.node.id > langgraph_node), else traceloop.entity.name >
 * gen_ai.agent.name > span name. */
static void test_dag_conventions_node_id_precedence(void **state)
{
    (void)state;
    /* Agent-span nodes (no explicit node attribute in the trace). A plain
     * child of the root is then not a node. */
    sb_trace *t = sb_trace_new(8);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_span *s = sb_span_add(t, 2, 1, "invoke_agent x", 0, 100);
    sb_str(s, "gen_ai.operation.name", "invoke_agent");
    sb_str(s, "traceloop.entity.name", "tl-name");
    sb_str(s, "gen_ai.agent.name", "agent-name");
    s = sb_span_add(t, 3, 1, "invoke_agent y", 100, 200);
    sb_str(s, "gen_ai.operation.name", "invoke_agent");
    sb_str(s, "gen_ai.agent.name", "agent-y");
    sb_str(sb_span_add(t, 4, 1, "task-span", 200, 300), "traceloop.span.kind",
           "task");
    sb_str(sb_span_add(t, 5, 1, "oi-agent-span", 300, 400),
           "openinference.span.kind", "AGENT");
    sb_span_add(t, 6, 1, "plain-child", 400, 500);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 4);
    SB_EQ_STR(prof->nodes[0].id, "tl-name");
    SB_EQ_STR(prof->nodes[1].id, "agent-y");
    SB_EQ_STR(prof->nodes[2].id, "task-span");
    SB_EQ_STR(prof->nodes[3].id, "oi-agent-span");
    dp_profile_free(prof);
    sb_trace_free(t);

    /* Explicit node attributes: only those spans are nodes. */
    t = sb_trace_new(9);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    s = sb_span_add(t, 2, 1, "s-a", 0, 100);
    sb_str(s, "dag.node.id", "A");
    sb_str(s, "graph.node.id", "gA");
    sb_str(s, "traceloop.entity.name", "tA");
    sb_str(s, "gen_ai.agent.name", "aA");
    sb_str(s, "metadata", "{\"langgraph_node\":\"lA\"}");
    s = sb_span_add(t, 3, 1, "s-b", 100, 200);
    sb_str(s, "graph.node.id", "gB");
    sb_str(s, "traceloop.entity.name", "tB");
    sb_str(s, "metadata", "{\"langgraph_node\":\"lB\"}");
    s = sb_span_add(t, 4, 1, "s-c", 200, 300);
    sb_str(s, "traceloop.entity.name", "tC");
    sb_str(s, "metadata", "{\"langgraph_step\":3,\"langgraph_node\":\"lC\"}");
    s = sb_span_add(t, 5, 1, "s-d", 300, 400);
    sb_str(s, "gen_ai.operation.name", "invoke_agent");
    sb_str(s, "gen_ai.agent.name", "aD");
    prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_nodes, 3);
    SB_EQ_STR(prof->nodes[0].id, "A");
    SB_EQ_STR(prof->nodes[1].id, "gB");
    SB_EQ_STR(prof->nodes[2].id, "lC");
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Model: gen_ai.response.model > gen_ai.request.model > llm.model_name >
 * dag.model. Four sequential calls under one node, each with one fewer. */
static void test_dag_conventions_model_precedence(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(10);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "node", 0, 1000), "dag.node.id", "n");
    sb_span *s = sb_span_add(t, 3, 2, "chat", 0, 100);
    sb_genai_chat(s, "m-req", 10, 1);
    sb_str(s, "gen_ai.response.model", "m-resp");
    sb_str(s, "llm.model_name", "m-oi");
    sb_str(s, "dag.model", "m-dag");
    s = sb_span_add(t, 4, 2, "chat", 100, 200);
    sb_str(s, "dag.model", "m-dag2");
    sb_str(s, "llm.model_name", "m-oi2");
    sb_genai_chat(s, "m-req2", 20, 2);
    s = sb_span_add(t, 5, 2, "llm", 200, 300);
    sb_str(s, "openinference.span.kind", "LLM");
    sb_str(s, "dag.model", "m-dag3");
    sb_str(s, "llm.model_name", "m-oi3");
    sb_int(s, "llm.token_count.prompt", 30);
    sb_int(s, "llm.token_count.completion", 3);
    s = sb_span_add(t, 6, 2, "chat", 300, 400);
    sb_str(s, "gen_ai.operation.name", "chat");
    sb_str(s, "dag.model", "m-dag4");
    sb_int(s, "gen_ai.usage.input_tokens", 40);
    sb_int(s, "gen_ai.usage.output_tokens", 4);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_calls, 4);
    SB_EQ_STR(prof->calls[0].name, "m-resp");
    SB_EQ_STR(prof->calls[1].name, "m-req2");
    SB_EQ_STR(prof->calls[2].name, "m-oi3");
    SB_EQ_STR(prof->calls[3].name, "m-dag4");
    /* tokens by model = input + output per call. */
    SB_EQ(prof->n_tokens_by_model, 4);
    SB_EQ(sb_named(prof->tokens_by_model, 4, "m-resp"), 11);
    SB_EQ(sb_named(prof->tokens_by_model, 4, "m-req2"), 22);
    SB_EQ(sb_named(prof->tokens_by_model, 4, "m-oi3"), 33);
    SB_EQ(sb_named(prof->tokens_by_model, 4, "m-dag4"), 44);
    const dp_node *n = sb_node(prof, "n");
    SB_EQ(n->n_models, 4);
    SB_EQ_STR(n->models[0], "m-resp");
    SB_EQ_STR(n->models[3], "m-dag4");
    /* node: exec 1000, LLM calls back to back [0,400): llm 400, self 600. */
    SB_EQ_MS(n->llm_ns, 400);
    SB_EQ_MS(n->self_ns, 600);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Input / output token names: first match wins; the deprecated
 * prompt_tokens / completion_tokens count; a span with token usage and no
 * operation or kind is an LLM call. */
static void test_dag_conventions_deprecated_token_names(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(11);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "node", 0, 1000), "dag.node.id", "n");
    sb_span *s = sb_span_add(t, 3, 2, "chat", 0, 100);
    sb_str(s, "gen_ai.operation.name", "chat");
    sb_str(s, "gen_ai.request.model", "m");
    sb_int(s, "gen_ai.usage.prompt_tokens", 500);
    sb_int(s, "gen_ai.usage.completion_tokens", 60);
    s = sb_span_add(t, 4, 2, "chat", 100, 200);
    sb_str(s, "gen_ai.operation.name", "chat");
    sb_str(s, "gen_ai.request.model", "m");
    sb_int(s, "gen_ai.usage.prompt_tokens", 999); /* not used */
    sb_int(s, "gen_ai.usage.input_tokens", 100);
    sb_int(s, "gen_ai.usage.completion_tokens", 888); /* not used */
    sb_int(s, "gen_ai.usage.output_tokens", 10);
    s = sb_span_add(t, 5, 2, "llm", 200, 300);
    sb_str(s, "openinference.span.kind", "LLM");
    sb_str(s, "llm.model_name", "m");
    sb_int(s, "llm.token_count.prompt", 7);
    sb_int(s, "llm.token_count.completion", 3);
    s = sb_span_add(t, 6, 2, "anthropic.messages", 300, 400);
    sb_str(s, "gen_ai.request.model", "m");
    sb_int(s, "gen_ai.usage.input_tokens", 40);
    sb_int(s, "gen_ai.usage.output_tokens", 5);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_calls, 4);
    SB_ASSERT_TOKENS(prof->calls[0].tokens, 500, 60, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->calls[1].tokens, 100, 10, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->calls[2].tokens, 7, 3, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->calls[3].tokens, 40, 5, 0, 0, 0);
    SB_EQ(prof->calls[3].kind, DP_CALL_LLM);
    /* 500+100+7+40 = 647 in; 60+10+3+5 = 78 out. */
    SB_ASSERT_TOKENS(prof->nodes[0].tokens, 647, 78, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->tokens, 647, 78, 0, 0, 0);
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model, "m"), 725);
    SB_EQ_MS(prof->nodes[0].llm_ns, 400);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Cache read / write and reasoning counts from every listed attribute,
 * summed per node and run (input includes cache, output reasoning).
 *   node X: a (OpenInference)  1000/500  cr 600  cw 100  rs 200
 *           b (GenAI current)  2000/300  cr 1500 cw 200  rs 100
 *   node Y: c (older names)     800/100  cr 300  cw 50   rs 40
 *           d (cache_write.*)   400/50           cw 70 */
static void test_dag_conventions_cache_reasoning_tokens(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(12);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "x", 0, 500), "dag.node.id", "X");
    sb_str(sb_span_add(t, 3, 1, "y", 500, 1000), "dag.node.id", "Y");
    sb_span *s = sb_span_add(t, 4, 2, "llm", 0, 100);
    sb_str(s, "openinference.span.kind", "LLM");
    sb_str(s, "llm.model_name", "claude-sonnet-4");
    sb_int(s, "llm.token_count.prompt", 1000);
    sb_int(s, "llm.token_count.completion", 500);
    sb_int(s, "llm.token_count.prompt_details.cache_read", 600);
    sb_int(s, "llm.token_count.prompt_details.cache_write", 100);
    sb_int(s, "llm.token_count.completion_details.reasoning", 200);
    s = sb_span_add(t, 5, 2, "chat", 100, 200);
    sb_genai_chat(s, "o3", 2000, 300);
    sb_int(s, "gen_ai.usage.cache_read.input_tokens", 1500);
    sb_int(s, "gen_ai.usage.cache_read_input_tokens", 9999); /* later name */
    sb_int(s, "gen_ai.usage.cache_creation.input_tokens", 200);
    sb_int(s, "gen_ai.usage.reasoning.output_tokens", 100);
    s = sb_span_add(t, 6, 3, "chat", 500, 600);
    sb_genai_chat(s, "claude-3-5-haiku", 800, 100);
    sb_int(s, "gen_ai.usage.cache_read_input_tokens", 300);
    sb_int(s, "gen_ai.usage.cache_creation_input_tokens", 50);
    sb_int(s, "gen_ai.usage.reasoning_tokens", 40);
    s = sb_span_add(t, 7, 3, "chat", 600, 700);
    sb_genai_chat(s, "gpt-4.1", 400, 50);
    sb_int(s, "gen_ai.usage.cache_write.input_tokens", 70);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_calls, 4);
    SB_ASSERT_TOKENS(prof->calls[0].tokens, 1000, 500, 600, 100, 200);
    SB_ASSERT_TOKENS(prof->calls[1].tokens, 2000, 300, 1500, 200, 100);
    SB_ASSERT_TOKENS(prof->calls[2].tokens, 800, 100, 300, 50, 40);
    SB_ASSERT_TOKENS(prof->calls[3].tokens, 400, 50, 0, 70, 0);
    /* X: 3000/800 cr 2100 cw 300 rs 300; Y: 1200/150 cr 300 cw 120 rs 40;
     * run: 4200/950 cr 2400 cw 420 rs 340. */
    SB_ASSERT_TOKENS(sb_node(prof, "X")->tokens, 3000, 800, 2100, 300, 300);
    SB_ASSERT_TOKENS(sb_node(prof, "Y")->tokens, 1200, 150, 300, 120, 40);
    SB_ASSERT_TOKENS(prof->tokens, 4200, 950, 2400, 420, 340);
    /* By model, input + output (cache and reasoning are parts of them). */
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model,
                   "claude-sonnet-4"),
          1500);
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model, "o3"), 2300);
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model,
                   "claude-3-5-haiku"),
          900);
    SB_EQ(sb_named(prof->tokens_by_model, prof->n_tokens_by_model, "gpt-4.1"),
          450);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Token counts arrive as integers from most SDKs, but some record them as
 * doubles or decimal strings: the same numbers either way. */
static void test_dag_conventions_token_value_types(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(13);
    sb_span_add(t, 1, 0, "run", 0, 1000);
    sb_str(sb_span_add(t, 2, 1, "node", 0, 1000), "dag.node.id", "n");
    sb_span *s = sb_span_add(t, 3, 2, "chat", 0, 100);
    sb_str(s, "gen_ai.operation.name", "chat");
    sb_str(s, "gen_ai.request.model", "m");
    sb_dbl(s, "gen_ai.usage.input_tokens", 1200.0);
    sb_str(s, "gen_ai.usage.output_tokens", "345");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_EQ(prof->n_calls, 1);
    SB_ASSERT_TOKENS(prof->calls[0].tokens, 1200, 345, 0, 0, 0);
    SB_ASSERT_TOKENS(prof->tokens, 1200, 345, 0, 0, 0);
    dp_profile_free(prof);
    sb_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dag_conventions_genai_values),
        cmocka_unit_test(test_dag_conventions_three_agree),
        cmocka_unit_test(test_dag_conventions_openinference_parent_id),
        cmocka_unit_test(test_dag_conventions_langgraph_metadata),
        cmocka_unit_test(test_dag_conventions_langgraph_nested_metadata),
        cmocka_unit_test(test_dag_conventions_fallback_root_children),
        cmocka_unit_test(test_dag_conventions_node_id_precedence),
        cmocka_unit_test(test_dag_conventions_model_precedence),
        cmocka_unit_test(test_dag_conventions_deprecated_token_names),
        cmocka_unit_test(test_dag_conventions_cache_reasoning_tokens),
        cmocka_unit_test(test_dag_conventions_token_value_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
