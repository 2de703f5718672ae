/*
 * test_dag_agent_runs.c - which traces are agent runs, the current GenAI
 * conventions, run-level attributes, and the token rules (DESIGN.md "Which
 * traces are agent runs", the attribute table, "Tokens and cost", "Output"):
 * an ordinary service trace is dropped and counted unless
 * profile_all_traces; invoke_workflow roots name the DAG; plan is an LLM
 * call only with usage; retrieval and memory operations are tool calls; the
 * Vercel AI SDK's spans; version, session and service; unreported usage
 * types stay unknown; clamping and saturation with warnings; and the span-id
 * index doing the same work for sequential and random ids. Times are ms
 * after SB_BASE_NS.
 */
#include "span_builder.h"
#include "span_expect.h"

static dp_profile *run_with(sb_trace *t, bool all, dp_processor_stats *st)
{
    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor_config cfg;
    dp_processor_config_init(&cfg);
    cfg.profile_all_traces = all;
    dp_processor *p = dp_processor_create(&cfg, sb_capture_cb, &cap);
    assert_non_null(p);
    sb_add_all(p, t, SB_FORWARD);
    size_t emitted = dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING);
    if (st)
        dp_processor_stats_get(p, st);
    dp_processor_destroy(p);
    assert_int_equal(emitted, cap.n);
    return cap.n ? cap.profiles[0] : NULL;
}

static bool has_warning(const dp_profile *prof, const char *needle)
{
    for (size_t i = 0; i < prof->n_warnings; i++)
        if (strstr(prof->warnings[i], needle))
            return true;
    return false;
}

/* GET /checkout -> POST /pay -> SELECT: no span is a node, call or
 * carries an agent attribute family. Default: no profile, counted. */
static sb_trace *service_trace(void)
{
    sb_trace *t = sb_trace_new(1);
    sb_str(sb_span_add(t, 1, 0, "GET /checkout", 0, 100), "http.method", "GET");
    sb_str(sb_span_add(t, 2, 1, "POST /pay", 10, 80), "http.method", "POST");
    sb_str(sb_span_add(t, 3, 2, "SELECT", 20, 30), "db.system", "postgresql");
    for (size_t i = 0; i < t->n; i++)
        sb_res_str(&t->spans[i], "service.name", "shop");
    return t;
}

static void test_agent_runs_service_trace_dropped(void **state)
{
    (void)state;
    sb_trace *t = service_trace();
    dp_processor_stats st;
    assert_null(run_with(t, false, &st));
    SB_EQ(st.traces_not_agent, 1);
    SB_EQ(st.profiles_emitted, 0);
    SB_EQ(st.spans_received, 3);
    sb_trace_free(t);
}

static void test_agent_runs_service_trace_kept_on_request(void **state)
{
    (void)state;
    sb_trace *t = service_trace();
    dp_processor_stats st;
    dp_profile *prof = run_with(t, true, &st);
    assert_non_null(prof);
    SB_EQ(st.traces_not_agent, 0);
    SB_EQ_STR(prof->dag_id, "GET /checkout");
    SB_EQ(prof->n_nodes, 1); /* the root's direct child */
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* One attribute of an agent family is enough (gen_ai.system here). */
static void test_agent_runs_one_family_attribute(void **state)
{
    (void)state;
    sb_trace *t = service_trace();
    sb_str(&t->spans[2], "gen_ai.system", "openai");
    dp_profile *prof = run_with(t, false, NULL);
    assert_non_null(prof);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* An invoke_workflow root names the DAG with gen_ai.agent.name (older:
 * gen_ai.workflow.name); plan with usage is an LLM call, without usage it
 * is not; retrieval and search_memory are tool calls. Version: the root
 * resource's service.version beats gen_ai.agent.version; session from
 * gen_ai.conversation.id; service from service.name. */
static void test_agent_runs_genai_conventions(void **state)
{
    (void)state;
    for (int older = 0; older < 2; older++) {
        sb_trace *t = sb_trace_new((uint32_t)(10 + older));
        sb_span *root = sb_span_add(t, 1, 0, "invoke_workflow w", 0, 1000);
        sb_str(root, "gen_ai.operation.name", "invoke_workflow");
        sb_str(root, older ? "gen_ai.workflow.name" : "gen_ai.agent.name",
               "trip-planner");
        sb_str(root, "gen_ai.agent.version", "0.9");
        sb_str(root, "gen_ai.conversation.id", "conv-7");
        sb_res_str(sb_res_str(root, "service.version", "1.4.2"), "service.name",
                   "planner-svc");
        sb_span *a = sb_span_add(t, 2, 1, "invoke_agent planner", 10, 900);
        sb_str(sb_str(a, "gen_ai.operation.name", "invoke_agent"),
               "gen_ai.agent.name", "planner");
        sb_span *p1 = sb_span_add(t, 3, 2, "plan", 20, 100);
        sb_int(sb_int(sb_str(sb_str(p1, "gen_ai.operation.name", "plan"),
                             "gen_ai.request.model", "gpt-4.1"),
                      "gen_ai.usage.input_tokens", 100),
               "gen_ai.usage.output_tokens", 20);
        sb_str(sb_span_add(t, 4, 2, "plan-step", 100, 120),
               "gen_ai.operation.name", "plan");
        sb_str(sb_span_add(t, 5, 2, "retrieval docs", 120, 300),
               "gen_ai.operation.name", "retrieval");
        sb_str(sb_str(sb_span_add(t, 6, 2, "mem", 300, 400),
                      "gen_ai.operation.name", "search_memory"),
               "gen_ai.tool.name", "memory");
        dp_profile *prof = run_with(t, false, NULL);
        assert_non_null(prof);
        SB_EQ_STR(prof->dag_id, "trip-planner");
        SB_EQ(prof->n_nodes, 1);
        SB_EQ_STR(prof->nodes[0].id, "planner");
        SB_EQ(prof->n_calls, 3);
        SB_EQ(prof->calls[0].kind, DP_CALL_LLM);
        SB_EQ_STR(prof->calls[1].name, "retrieval docs");
        SB_EQ(prof->calls[1].kind, DP_CALL_TOOL);
        SB_EQ_STR(prof->calls[2].name, "memory");
        SB_EQ(prof->calls[2].kind, DP_CALL_TOOL);
        SB_EQ_STR(prof->version, "1.4.2");
        SB_EQ_STR(prof->session_id, "conv-7");
        SB_EQ_STR(prof->service_name, "planner-svc");
        dp_profile_free(prof);
        sb_trace_free(t);
    }
}

/* Version falls back to gen_ai.agent.version, then dag.version; no session
 * or service: NULL. A non-root span's value is used when the root has
 * none. */
static void test_agent_runs_version_fallbacks(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(12);
    sb_str(sb_span_add(t, 1, 0, "run", 0, 100), "dag.id", "d");
    sb_str(sb_str(sb_span_add(t, 2, 1, "n", 0, 50), "dag.node.id", "n"),
           "dag.version", "v-dag");
    sb_str(sb_str(sb_span_add(t, 3, 1, "m", 50, 100), "dag.node.id", "m"),
           "gen_ai.agent.version", "v-agent");
    dp_profile *prof = run_with(t, false, NULL);
    SB_EQ_STR(prof->version, "v-agent");
    assert_null(prof->session_id);
    assert_null(prof->service_name);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* The AI SDK: ai.generateText [0,100] carries the sum of its steps' usage
 * (60 in / 10 out) and is not a call; its two ai.generateText.doGenerate
 * steps [5,45] and [50,95] (30/5 each, model from ai.model.id) are. A
 * tool step ai.toolCall [46,49] with ai.toolCall.name. Run tokens 60/10. */
static void test_agent_runs_ai_sdk(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(13);
    sb_span *outer = sb_span_add(t, 1, 0, "ai.generateText", 0, 100);
    sb_int(sb_int(outer, "ai.usage.promptTokens", 60),
           "ai.usage.completionTokens", 10);
    for (int i = 0; i < 2; i++) {
        sb_span *s =
            sb_span_add(t, (uint32_t)(2 + i), 1, "ai.generateText.doGenerate",
                        i ? 50 : 5, i ? 95 : 45);
        sb_int(sb_int(sb_str(s, "ai.model.id", "gpt-4o-mini"),
                      "ai.usage.inputTokens", 30),
               "ai.usage.outputTokens", 5);
    }
    sb_str(sb_span_add(t, 4, 1, "ai.toolCall", 46, 49), "ai.toolCall.name",
           "weather");
    dp_profile *prof = run_with(t, false, NULL);
    assert_non_null(prof);
    SB_EQ(prof->n_calls, 3);
    SB_ASSERT_TOKENS(prof->tokens, 60, 10, 0, 0, 0);
    SB_EQ(
        sb_named(prof->tokens_by_model, prof->n_tokens_by_model, "gpt-4o-mini"),
        70);
    SB_EQ_STR(prof->calls[1].name, "weather");
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Usage types no span reported are unknown; a reported 0 is known. */
static void test_agent_runs_unknown_usage_types(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(14);
    sb_span_add(t, 1, 0, "run", 0, 100);
    sb_genai_chat(sb_span_add(t, 2, 1, "chat", 0, 50), "gpt-4o", 100, 10);
    sb_int(
        sb_genai_chat(sb_span_add(t, 3, 1, "chat", 50, 100), "gpt-4o", 10, 1),
        "gen_ai.usage.cache_read.input_tokens", 0);
    dp_profile *prof = run_with(t, false, NULL);
    SB_EQ(prof->tokens.known, DP_TOK_INPUT | DP_TOK_OUTPUT | DP_TOK_CACHE_READ);
    SB_ASSERT_TOKENS(prof->tokens, 110, 11, 0, 0, 0);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Cache counts above the input count and reasoning above output are
 * clamped for pricing and counting, with one warning each: input 300,
 * cache read 500 -> 300; cache write 50 -> 0 (nothing left); output 10,
 * reasoning 50 -> 10. */
static void test_agent_runs_clamping(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(15);
    sb_span_add(t, 1, 0, "run", 0, 100);
    sb_span *s =
        sb_genai_chat(sb_span_add(t, 2, 1, "chat", 0, 50), "gpt-4o", 300, 10);
    sb_int(s, "gen_ai.usage.cache_read.input_tokens", 500);
    sb_int(s, "gen_ai.usage.cache_write.input_tokens", 50);
    sb_int(s, "gen_ai.usage.reasoning.output_tokens", 50);
    sb_span *ok =
        sb_genai_chat(sb_span_add(t, 3, 1, "chat", 50, 100), "gpt-4o", 300, 10);
    sb_int(ok, "gen_ai.usage.cache_read.input_tokens", 200);
    sb_int(ok, "gen_ai.usage.reasoning.output_tokens", 4);
    dp_profile *prof = run_with(t, false, NULL);
    SB_ASSERT_TOKENS(prof->calls[0].tokens, 300, 10, 300, 0, 10);
    SB_ASSERT_TOKENS(prof->calls[1].tokens, 300, 10, 200, 0, 4);
    SB_EQ(prof->n_warnings, 2);
    assert_true(has_warning(prof, "1 LLM call(s) reported more cached"));
    assert_true(has_warning(prof, "1 LLM call(s) reported more reasoning"));
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Sums saturate instead of overflowing (the sanitized build would abort on
 * a signed overflow): two calls of INT64_MAX - 10 input tokens. */
static void test_agent_runs_saturating_sums(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(16);
    sb_span_add(t, 1, 0, "run", 0, 100);
    sb_str(sb_span_add(t, 2, 1, "n", 0, 100), "dag.node.id", "n");
    for (int i = 0; i < 2; i++)
        sb_genai_chat(
            sb_span_add(t, (uint32_t)(3 + i), 2, "chat", i * 50, i * 50 + 50),
            "gpt-4o", INT64_MAX - 10, INT64_MAX - 10);
    dp_profile *prof = run_with(t, false, NULL);
    SB_EQ(prof->tokens.input, INT64_MAX);
    SB_EQ(prof->nodes[0].tokens.output, INT64_MAX);
    SB_EQ(prof->nodes[0].own_tokens, INT64_MAX);
    assert_true(has_warning(prof, "saturated"));
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* A chain of n node spans in one trace, with span ids from id_of. */
static uint64_t chain_probes(size_t n, void (*id_of)(size_t, uint8_t[8]))
{
    dp_processor_config cfg;
    dp_processor_config_init(&cfg);
    dp_processor *p = dp_processor_create(&cfg, NULL, NULL);
    assert_non_null(p);
    uint8_t tid[16] = {1, 2, 3};
    dp_attr attr = {"dag.node.id", 11, {.type = DP_VAL_STR}};
    char name[32];
    for (size_t i = 0; i < n; i++) {
        dp_span_in s;
        memset(&s, 0, sizeof(s));
        memcpy(s.trace_id, tid, 16);
        id_of(i + 1, s.span_id);
        if (i) {
            s.has_parent = true;
            id_of(i, s.parent_span_id); /* nested chain: deep groups too */
        }
        snprintf(name, sizeof(name), "n%zu", i);
        attr.value.u.str.ptr = name;
        attr.value.u.str.len = strlen(name);
        s.name = "step";
        s.name_len = 4;
        s.start_ns = SB_BASE_NS + i * 1000;
        s.end_ns = SB_BASE_NS + 2 * n * 1000 - i * 1000;
        s.attrs = &attr;
        s.n_attrs = 1;
        assert_int_equal(dp_processor_add_span(p, &s, 0), 0);
    }
    assert_int_equal(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 1);
    dp_processor_stats st;
    dp_processor_stats_get(p, &st);
    dp_processor_destroy(p);
    return st.span_index_probes;
}

static void sequential_id(size_t i, uint8_t out[8])
{
    for (int b = 7; b >= 0; b--, i >>= 8)
        out[b] = (uint8_t)i; /* big-endian counter: the high bytes vary */
}

static void random_id(size_t i, uint8_t out[8])
{
    uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 32;
    memcpy(out, &x, 8);
}

/* The span-id index mixes all 64 bits: a 25,000-span chain with
 * sequential ids costs about as many probes as with random ids (a hash of
 * the low bytes alone clusters sequential ids into long runs). */
static void test_agent_runs_span_index_sequential_ids(void **state)
{
    (void)state;
    uint64_t seq = chain_probes(25000, sequential_id);
    uint64_t rnd = chain_probes(25000, random_id);
    print_message("span index probes: sequential %llu, random %llu\n",
                  (unsigned long long)seq, (unsigned long long)rnd);
    assert_true(seq > 0 && rnd > 0);
    assert_true(seq < 2 * rnd);
    assert_true(rnd < 2 * seq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_runs_service_trace_dropped),
        cmocka_unit_test(test_agent_runs_service_trace_kept_on_request),
        cmocka_unit_test(test_agent_runs_one_family_attribute),
        cmocka_unit_test(test_agent_runs_genai_conventions),
        cmocka_unit_test(test_agent_runs_version_fallbacks),
        cmocka_unit_test(test_agent_runs_ai_sdk),
        cmocka_unit_test(test_agent_runs_unknown_usage_types),
        cmocka_unit_test(test_agent_runs_clamping),
        cmocka_unit_test(test_agent_runs_saturating_sums),
        cmocka_unit_test(test_agent_runs_span_index_sequential_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
