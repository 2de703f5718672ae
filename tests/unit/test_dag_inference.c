/*
 * test_dag_inference.c - dependencies (DESIGN.md "Dependencies"): partial
 * declarations, the inference tolerance and its cap, same-instant and
 * zero-length nodes, cycles, self and unknown references (each with its
 * warning), and references to an enclosing group. Each rule is shown
 * firing and not firing, with the numbers computed by hand in comments.
 * Times are ms after SB_BASE_NS unless a span is built in ns.
 */
#include "span_builder.h"
#include "span_expect.h"

#define US(x) ((int64_t)(x)*1000)

static dp_profile *profile_with_tolerance(sb_trace *t, uint64_t tol_ns)
{
    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor_config cfg;
    dp_processor_config_init(&cfg);
    cfg.profile_all_traces = true;
    cfg.inference_tolerance_ns = tol_ns;
    dp_processor *p = dp_processor_create(&cfg, sb_capture_cb, &cap);
    assert_non_null(p);
    sb_add_all(p, t, SB_FORWARD);
    assert_int_equal(dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING), 1);
    dp_processor_destroy(p);
    return cap.profiles[0];
}

static bool has_warning(const dp_profile *prof, const char *needle)
{
    for (size_t i = 0; i < prof->n_warnings; i++)
        if (strstr(prof->warnings[i], needle))
            return true;
    return false;
}

/* The OpenInference shape with the JS SDK's clock: starts are whole ms,
 * ends are not. plan [0, 100.6]; s1 [100, 300.2], s2 [100, 310.5],
 * s3 [100, 290.9], each declaring graph.node.parent_id = plan; synthesize
 * [310, 400] declares nothing (one parent only: fan-in cannot be said).
 * Root [0, 400]. With the default 1 ms tolerance synthesize is inferred
 * from s1, s2 and s3 (s2 ends 0.5 ms after synthesize starts; plan reaches
 * it through them and is dropped). The s_i start 0.6 ms before plan ends:
 * queueDelay 0, dependencyWait = their wait (100). CP: plan -> s2 ->
 * synthesize, executionTimes 100.6 + 210.5 + 90 = 401.1 ms (more than the
 * 400 ms wall: the skew overlaps them).
 * Without tolerance s2 is not a candidate: synthesize depends on s1 and s3
 * only, and the CP is synthesize -> s1 (300.2 > 290.9) -> plan. */
static sb_trace *skewed_fanin(void)
{
    sb_trace *t = sb_trace_new(1);
    sb_span_add(t, 1, 0, "workflow", 0, 400);
    sb_str(sb_span_add_ns(t, 2, 1, "plan", 0, US(100600)), "graph.node.id",
           "plan");
    const char *names[3] = {"s1", "s2", "s3"};
    const int64_t ends[3] = {US(300200), US(310500), US(290900)};
    for (int i = 0; i < 3; i++)
        sb_str(sb_str(sb_span_add_ns(t, (uint32_t)(3 + i), 1, names[i],
                                     SB_MS(100), ends[i]),
                      "graph.node.id", names[i]),
               "graph.node.parent_id", "plan");
    sb_str(sb_span_add(t, 6, 1, "synthesize", 310, 400), "graph.node.id",
           "synthesize");
    return t;
}

static void test_dag_inference_skew_within_tolerance(void **state)
{
    (void)state;
    sb_trace *t = skewed_fanin();
    dp_profile *prof = profile_with_tolerance(t, 1000000);
    SB_ASSERT_DEPS(prof, "s2", DP_DEP_ATTRIBUTE, "plan");
    SB_ASSERT_DEPS(prof, "synthesize", DP_DEP_INFERRED, "s1", "s2", "s3");
    SB_ASSERT_CP(prof, "plan", "s2", "synthesize");
    SB_EQ(prof->critical_path_ns, US(100600) + US(210500) + SB_MS(90));
    const dp_node *s1 = sb_node(prof, "s1");
    SB_EQ_MS(s1->queue_delay_ns, 0);
    SB_EQ_MS(s1->dependency_wait_ns, 100);
    /* synthesize starts before s2 ends (skew): queue 0, depWait 310. */
    const dp_node *syn = sb_node(prof, "synthesize");
    SB_EQ_MS(syn->queue_delay_ns, 0);
    SB_EQ_MS(syn->dependency_wait_ns, 310);
    for (size_t i = 0; i < prof->n_bottlenecks; i++)
        assert_int_not_equal(prof->bottlenecks[i].type, DP_BN_SCHEDULING_DELAY);
    SB_EQ(prof->n_warnings, 0);
    /* Concurrency: the searches count from plan's end (100.6), synthesize
     * from s2's (310.5): at most the three searches at once. */
    SB_EQ(prof->peak_concurrency, 3);
    dp_profile_free(prof);
    sb_trace_free(t);
}

static void test_dag_inference_skew_without_tolerance(void **state)
{
    (void)state;
    sb_trace *t = skewed_fanin();
    dp_profile *prof = profile_with_tolerance(t, 0);
    SB_ASSERT_DEPS(prof, "synthesize", DP_DEP_INFERRED, "s1", "s3");
    SB_ASSERT_CP(prof, "plan", "s1", "synthesize");
    /* No tolerance, no clipping: plan and the three searches overlap in
     * [100, 100.6). */
    SB_EQ(prof->peak_concurrency, 4);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* The tolerance never exceeds half the shorter execution. A [0, 1 ms]
 * (exec 1 ms: cap 0.5 ms) and B starting 0.6 ms before A ends
 * ([0.4 ms, 10 ms]): A would need to end by 0.4 + 0.5 = 0.9 ms: not a
 * candidate. C starting 0.4 ms before A ends ([0.6 ms, 10 ms]): by
 * 1.1 ms: a candidate. Separate runs, root [0, 10 ms]. */
static void test_dag_inference_tolerance_cap(void **state)
{
    (void)state;
    for (int run = 0; run < 2; run++) {
        sb_trace *t = sb_trace_new((uint32_t)(10 + run));
        sb_span_add(t, 1, 0, "r", 0, 10);
        sb_str(sb_span_add_ns(t, 2, 1, "a", 0, US(1000)), "dag.node.id", "A");
        sb_str(sb_span_add_ns(t, 3, 1, "b", run ? US(600) : US(400), SB_MS(10)),
               "dag.node.id", "B");
        dp_profile *prof = profile_with_tolerance(t, 1000000);
        if (run)
            SB_ASSERT_DEPS(prof, "B", DP_DEP_INFERRED, "A");
        else
            SB_ASSERT_NO_DEPS(prof, "B", DP_DEP_NONE);
        dp_profile_free(prof);
        sb_trace_free(t);
    }
}

/* Nodes starting at one instant never depend on each other, and a
 * zero-length node is a candidate like any other: A [0,0], B [0,0] (both
 * zero-length), C [0,5]; D [5,10]. A, B, C: no deps. D: A, B and C (none
 * reaches D through another: A and B start with C, not before it). */
static void test_dag_inference_same_instant_zero_length(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(20);
    sb_span_add(t, 1, 0, "r", 0, 10);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 0), "dag.node.id", "A");
    sb_str(sb_span_add(t, 3, 1, "b", 0, 0), "dag.node.id", "B");
    sb_str(sb_span_add(t, 4, 1, "c", 0, 5), "dag.node.id", "C");
    sb_str(sb_span_add(t, 5, 1, "d", 5, 10), "dag.node.id", "D");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    SB_ASSERT_NO_DEPS(prof, "B", DP_DEP_NONE);
    SB_ASSERT_NO_DEPS(prof, "C", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "D", DP_DEP_INFERRED, "A", "B", "C");
    SB_ASSERT_CP(prof, "C", "D");
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* A declared cycle: A [0,100] depends_on B, B [100,200] depends_on A. The
 * edge whose source starts later (B -> A) is dropped with a warning; A's
 * declaration is left empty (source none, not inferred), B keeps A. */
static void test_dag_inference_cycle_broken(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(30);
    sb_span_add(t, 1, 0, "r", 0, 200);
    sb_strarr(sb_str(sb_span_add(t, 2, 1, "a", 0, 100), "dag.node.id", "A"),
              "dag.node.depends_on", "B", NULL);
    sb_strarr(sb_str(sb_span_add(t, 3, 1, "b", 100, 200), "dag.node.id", "B"),
              "dag.node.depends_on", "A", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_NO_DEPS(prof, "A", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_ATTRIBUTE, "A");
    SB_EQ(prof->n_warnings, 1);
    assert_true(has_warning(prof, "dependency cycle: dropped B -> A"));
    SB_ASSERT_CP(prof, "A", "B");
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* Self and unknown references are dropped with a warning each; a node
 * whose declaration names nothing usable is inferred instead:
 * A [0,100]; B [100,200] depends_on [B, ghost]: inferred from A. With a
 * usable reference beside them (C [200,300] depends_on [ghost2, A]) the
 * declaration stands: C depends on A only (source attribute). */
static void test_dag_inference_self_and_unknown(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(31);
    sb_span_add(t, 1, 0, "r", 0, 300);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 100), "dag.node.id", "A");
    sb_strarr(sb_str(sb_span_add(t, 3, 1, "b", 100, 200), "dag.node.id", "B"),
              "dag.node.depends_on", "B", "ghost", NULL);
    sb_strarr(sb_str(sb_span_add(t, 4, 1, "c", 200, 300), "dag.node.id", "C"),
              "dag.node.depends_on", "ghost2", "A", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_DEPS(prof, "B", DP_DEP_INFERRED, "A");
    SB_ASSERT_DEPS(prof, "C", DP_DEP_ATTRIBUTE, "A");
    SB_EQ(prof->n_warnings, 3);
    assert_true(has_warning(prof, "B: dag.node.depends_on names the node "
                                  "itself"));
    assert_true(has_warning(prof, "unknown node \"ghost\""));
    assert_true(has_warning(prof, "unknown node \"ghost2\""));
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* An explicitly empty depends_on declares "none": no inference although
 * A ended before B started (A [0,100], B [100,200] depends_on []). */
static void test_dag_inference_explicit_none(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(32);
    sb_span_add(t, 1, 0, "r", 0, 200);
    sb_str(sb_span_add(t, 2, 1, "a", 0, 100), "dag.node.id", "A");
    sb_strarr(sb_str(sb_span_add(t, 3, 1, "b", 100, 200), "dag.node.id", "B"),
              "dag.node.depends_on", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_NO_DEPS(prof, "B", DP_DEP_NONE);
    SB_EQ_MS(sb_node(prof, "B")->queue_delay_ns, 100);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* graph.node.parent_id naming the enclosing node states nesting, not
 * order: it is dropped without a warning and the node is inferred among
 * its siblings. outer [0,300] holds i1 [10,100] and i2 [100,200], both
 * with parent_id = outer: i1 none (inherits outer's: none), i2 from i1. */
static void test_dag_inference_parent_id_names_group(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(33);
    sb_span_add(t, 1, 0, "r", 0, 300);
    sb_str(sb_span_add(t, 2, 1, "outer", 0, 300), "graph.node.id", "outer");
    sb_str(sb_str(sb_span_add(t, 3, 2, "i1", 10, 100), "graph.node.id", "i1"),
           "graph.node.parent_id", "outer");
    sb_str(sb_str(sb_span_add(t, 4, 2, "i2", 100, 200), "graph.node.id", "i2"),
           "graph.node.parent_id", "outer");
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_NO_DEPS(prof, "i1", DP_DEP_NONE);
    SB_ASSERT_DEPS(prof, "i2", DP_DEP_INFERRED, "i1");
    SB_EQ(prof->n_warnings, 0);
    /* i1 is never ready before its group starts (0) -> queue 10. */
    SB_EQ_MS(sb_node(prof, "i1")->queue_delay_ns, 10);
    dp_profile_free(prof);
    sb_trace_free(t);
}

/* A reference to an id several executions share means the latest one that
 * ended by the node's start: step [0,10], step [20,30] (step#2), then
 * final [40,50] depends_on step -> step#2. */
static void test_dag_inference_reference_to_execution(void **state)
{
    (void)state;
    sb_trace *t = sb_trace_new(34);
    sb_span_add(t, 1, 0, "r", 0, 50);
    sb_str(sb_span_add(t, 2, 1, "s", 0, 10), "dag.node.id", "step");
    sb_str(sb_span_add(t, 3, 1, "s", 20, 30), "dag.node.id", "step");
    sb_strarr(sb_str(sb_span_add(t, 4, 1, "f", 40, 50), "dag.node.id", "final"),
              "dag.node.depends_on", "step", NULL);
    dp_profile *prof = sb_profile_one(t, SB_FORWARD);
    SB_ASSERT_DEPS(prof, "final", DP_DEP_ATTRIBUTE, "step#2");
    SB_ASSERT_DEPS(prof, "step#2", DP_DEP_INFERRED, "step");
    dp_profile_free(prof);
    sb_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dag_inference_skew_within_tolerance),
        cmocka_unit_test(test_dag_inference_skew_without_tolerance),
        cmocka_unit_test(test_dag_inference_tolerance_cap),
        cmocka_unit_test(test_dag_inference_same_instant_zero_length),
        cmocka_unit_test(test_dag_inference_cycle_broken),
        cmocka_unit_test(test_dag_inference_self_and_unknown),
        cmocka_unit_test(test_dag_inference_explicit_none),
        cmocka_unit_test(test_dag_inference_parent_id_names_group),
        cmocka_unit_test(test_dag_inference_reference_to_execution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
