/*
 * test_processor.c - the trace table and the profile lifecycle
 * (processor/processor.c, DESIGN.md "Profile lifecycle"), driven by a fake
 * clock: every now_ns below is a number the test chooses, so grace, idle
 * and late-window deadlines are checked to the nanosecond. Covers the
 * grace timer of rooted traces and the idle timer of rootless ones, a root
 * moving a trace from one timer to the other, next_deadline, late spans and
 * the late window, eviction of the least recently active trace at
 * max_traces (ties by first arrival), max_spans_per_trace and
 * mark_truncated, duplicates, bad spans, flush order, the on_finalized
 * callback (also for traces that are not agent runs) and the stats.
 */
#include "log.h"
#include "span_builder.h"

#define SEC 1000000000ULL
#define T0 (1000 * SEC) /* the fake clock's first reading */

/* What the callbacks saw, in order: 'F' + trace_no for on_finalized, 'P' +
 * trace_no for a profile. */
typedef struct events {
    sb_capture cap;
    char log[64][8];
    size_t n;
} events;

static uint32_t trace_no_of(const uint8_t id[16])
{
    return (uint32_t)id[12] << 24 | (uint32_t)id[13] << 16 |
           (uint32_t)id[14] << 8 | id[15];
}

static void ev_push(events *e, char kind, uint32_t no)
{
    if (e->n < 64)
        snprintf(e->log[e->n++], sizeof(e->log[0]), "%c%u", kind, no);
}

static void on_final(const uint8_t trace_id[16], void *user)
{
    ev_push(user, 'F', trace_no_of(trace_id));
}

static void on_profile(dp_profile *profile, void *user)
{
    events *e = user;
    ev_push(e, 'P', trace_no_of(profile->trace_id));
    sb_capture_cb(profile, &e->cap);
}

/* A processor with grace 2 s, idle 30 s, late window 60 s, and the given
 * limits; the callbacks record into e. */
static dp_processor *make(events *e, size_t max_traces, size_t max_spans,
                          bool all)
{
    memset(e, 0, sizeof(*e));
    dp_processor_config cfg;
    dp_processor_config_init(&cfg);
    cfg.grace_ns = 2 * SEC;
    cfg.idle_timeout_ns = 30 * SEC;
    cfg.late_window_ns = 60 * SEC;
    cfg.max_traces = max_traces;
    cfg.max_spans_per_trace = max_spans;
    cfg.profile_all_traces = all;
    cfg.on_finalized = on_final;
    dp_processor *p = dp_processor_create(&cfg, on_profile, e);
    assert_non_null(p);
    return p;
}

/* Adds span i of t at now_ns; returns add_span's result. */
static int add(dp_processor *p, sb_trace *t, size_t i, uint64_t now_ns)
{
    return dp_processor_add_span(p, sb_in(&t->spans[i]), now_ns);
}

/* An agent run: root "run" [0,100] with one LLM child [10,90]. */
static sb_trace *agent_run(uint32_t no)
{
    sb_trace *t = sb_trace_new(no);
    sb_span_add(t, 1, 0, "run", 0, 100);
    sb_genai_chat(sb_span_add(t, 2, 1, "chat", 10, 90), "gpt-4o", 100, 10);
    return t;
}

static void expect_log(const events *e, const char *const *want, size_t n)
{
    assert_int_equal(e->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(e->log[i], want[i]);
}

static dp_processor_stats stats(const dp_processor *p)
{
    dp_processor_stats s;
    dp_processor_stats_get(p, &s);
    return s;
}

/* A rooted trace is finalized exactly grace after its last span; each span
 * moves the deadline; on_finalized runs before the profile callback. */
static void test_processor_grace_timer(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 100, 100, false);
    sb_trace *t = agent_run(1);
    assert_int_equal(dp_processor_next_deadline(p), UINT64_MAX);
    assert_int_equal(add(p, t, 1, T0), 0); /* the child first: rootless */
    assert_int_equal(dp_processor_next_deadline(p), T0 + 30 * SEC);
    assert_int_equal(add(p, t, 0, T0 + SEC), 0); /* the root: grace now */
    assert_int_equal(dp_processor_next_deadline(p), T0 + 3 * SEC);
    assert_int_equal(stats(p).traces_in_memory, 1);

    assert_int_equal(dp_processor_tick(p, T0 + 3 * SEC - 1), 0);
    assert_int_equal(e.n, 0);
    assert_int_equal(dp_processor_tick(p, T0 + 3 * SEC), 1);
    const char *want[] = {"F1", "P1"};
    expect_log(&e, want, 2);
    assert_true(e.cap.profiles[0]->complete);
    assert_int_equal(e.cap.profiles[0]->incomplete_reason, DP_INCOMPLETE_NONE);
    assert_int_equal(e.cap.profiles[0]->span_count, 2);
    assert_int_equal(stats(p).traces_in_memory, 0);
    assert_int_equal(stats(p).profiles_emitted, 1);
    assert_int_equal(dp_processor_next_deadline(p), UINT64_MAX);

    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    sb_trace_free(t);
}

/* A later span restarts the grace period. */
static void test_processor_grace_extended(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 100, 100, true);
    sb_trace *t = agent_run(1);
    assert_int_equal(add(p, t, 0, T0), 0);
    assert_int_equal(dp_processor_tick(p, T0 + SEC), 0);
    assert_int_equal(add(p, t, 1, T0 + 1500000000ULL), 0);
    assert_int_equal(dp_processor_next_deadline(p), T0 + 3500000000ULL);
    assert_int_equal(dp_processor_tick(p, T0 + 2 * SEC), 0); /* old one */
    assert_int_equal(dp_processor_tick(p, T0 + 3500000000ULL), 1);
    assert_int_equal(e.cap.profiles[0]->span_count, 2);
    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    sb_trace_free(t);
}

/* A trace whose root never comes is finalized idle_timeout after its last
 * span, as incomplete (root missing); next_deadline is the earlier of the
 * two lists' heads. */
static void test_processor_idle_timer(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 100, 100, true);
    sb_trace *a = agent_run(1), *b = agent_run(2);
    assert_int_equal(add(p, a, 1, T0), 0);            /* a: rootless */
    assert_int_equal(add(p, b, 0, T0 + 10 * SEC), 0); /* b: rooted */
    assert_int_equal(dp_processor_next_deadline(p), T0 + 12 * SEC);
    assert_int_equal(dp_processor_tick(p, T0 + 12 * SEC), 1); /* b */
    assert_int_equal(dp_processor_next_deadline(p), T0 + 30 * SEC);
    assert_int_equal(dp_processor_tick(p, T0 + 30 * SEC - 1), 0);
    assert_int_equal(dp_processor_tick(p, T0 + 30 * SEC), 1); /* a */
    const char *want[] = {"F2", "P2", "F1", "P1"};
    expect_log(&e, want, 4);
    const dp_profile *pa = e.cap.profiles[1];
    assert_false(pa->complete);
    assert_int_equal(pa->incomplete_reason, DP_INCOMPLETE_ROOT_MISSING);
    assert_true(e.cap.profiles[0]->complete);
    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    sb_trace_free(a);
    sb_trace_free(b);
}

/* (Traces of a root alone are profiled here: profile_all_traces.)
 * Spans of a finalized trace within late_window are late (counted, not
 * profiled); once the window has passed, the id starts a new trace. */
static void test_processor_late_window(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 100, 100, true);
    sb_trace *t = agent_run(1);
    assert_int_equal(add(p, t, 0, T0), 0);
    assert_int_equal(dp_processor_tick(p, T0 + 2 * SEC), 1);
    assert_int_equal(add(p, t, 1, T0 + 3 * SEC), DP_ELATE);
    assert_int_equal(add(p, t, 1, T0 + 4 * SEC), DP_ELATE);
    dp_processor_stats s = stats(p);
    assert_int_equal(s.spans_late, 2);
    assert_int_equal(s.traces_in_memory, 0);
    /* Finalized at T0+2s: remembered until T0+62s. */
    assert_int_equal(dp_processor_tick(p, T0 + 62 * SEC - 1), 0);
    assert_int_equal(add(p, t, 1, T0 + 62 * SEC - 1), DP_ELATE);
    assert_int_equal(dp_processor_tick(p, T0 + 62 * SEC), 0);
    assert_int_equal(add(p, t, 1, T0 + 62 * SEC), 0);
    assert_int_equal(stats(p).traces_in_memory, 1);
    assert_int_equal(stats(p).spans_late, 3);
    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    sb_trace_free(t);
}

/* At max_traces a new trace evicts the least recently active one (either
 * list), as incomplete (evicted); equal activity: the first seen goes. */
static void test_processor_eviction_order(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 2, 100, false);
    sb_trace *t1 = agent_run(1), *t2 = agent_run(2), *t3 = agent_run(3),
             *t4 = agent_run(4);
    assert_int_equal(add(p, t1, 0, T0), 0);     /* rooted */
    assert_int_equal(add(p, t2, 1, T0), 0);     /* rootless, same time */
    assert_int_equal(add(p, t1, 1, T0 + 5), 0); /* t1 active again */
    assert_int_equal(add(p, t3, 0, T0 + 6), 0); /* evicts t2 */
    assert_int_equal(stats(p).traces_evicted, 1);
    assert_int_equal(e.cap.n, 1);
    assert_int_equal(trace_no_of(e.cap.profiles[0]->trace_id), 2);
    assert_int_equal(e.cap.profiles[0]->incomplete_reason,
                     DP_INCOMPLETE_EVICTED);
    assert_false(e.cap.profiles[0]->complete);
    assert_int_equal(add(p, t4, 0, T0 + 7), 0); /* evicts t1 (T0+5) */
    assert_int_equal(trace_no_of(e.cap.profiles[1]->trace_id), 1);
    assert_int_equal(stats(p).traces_in_memory, 2);
    /* Ties: t3 and t4 get a span at the same instant; t3 was seen first. */
    assert_int_equal(add(p, t3, 1, T0 + 9), 0);
    assert_int_equal(add(p, t4, 1, T0 + 9), 0);
    assert_int_equal(add(p, t2, 0, T0 + 10), DP_ELATE); /* t2 is done */
    sb_trace *t5 = agent_run(5);
    assert_int_equal(add(p, t5, 0, T0 + 10), 0);
    assert_int_equal(trace_no_of(e.cap.profiles[2]->trace_id), 3);
    assert_int_equal(stats(p).traces_evicted, 3);
    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    sb_trace_free(t1);
    sb_trace_free(t2);
    sb_trace_free(t3);
    sb_trace_free(t4);
    sb_trace_free(t5);
}

/* Equal activity across the two lists: the trace seen first is evicted,
 * whether it is the rooted or the rootless one. */
static void test_processor_eviction_tie(void **state)
{
    (void)state;
    for (int rooted_first = 0; rooted_first < 2; rooted_first++) {
        events e;
        dp_processor *p = make(&e, 2, 100, true);
        sb_trace *a = agent_run(1), *b = agent_run(2), *c = agent_run(3);
        /* a first, b second, both at T0; one rooted, the other not. */
        assert_int_equal(add(p, a, rooted_first ? 0 : 1, T0), 0);
        assert_int_equal(add(p, b, rooted_first ? 1 : 0, T0), 0);
        assert_int_equal(add(p, c, 0, T0 + 1), 0);
        assert_int_equal(e.cap.n, 1);
        assert_int_equal(trace_no_of(e.cap.profiles[0]->trace_id), 1);
        sb_capture_free(&e.cap);
        dp_processor_destroy(p);
        sb_trace_free(a);
        sb_trace_free(b);
        sb_trace_free(c);
    }
}

/* Over max_spans_per_trace: DP_EFULL, counted as rejected, the profile
 * says span_limit; mark_truncated does the same for a live trace. */
static void test_processor_span_limit(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 100, 2, false);
    sb_trace *t = agent_run(1);
    sb_genai_chat(sb_span_add(t, 3, 1, "chat", 20, 80), "gpt-4o", 1, 1);
    assert_int_equal(add(p, t, 0, T0), 0);
    assert_int_equal(add(p, t, 1, T0), 0);
    assert_int_equal(add(p, t, 2, T0), DP_EFULL);
    assert_int_equal(add(p, t, 1, T0), 0); /* a duplicate still is one */
    dp_processor_stats s = stats(p);
    assert_int_equal(s.spans_received, 2);
    assert_int_equal(s.spans_rejected, 1);
    assert_int_equal(s.spans_duplicate, 1);
    assert_int_equal(dp_processor_tick(p, T0 + 2 * SEC), 1);
    assert_int_equal(e.cap.profiles[0]->incomplete_reason,
                     DP_INCOMPLETE_SPAN_LIMIT);
    assert_false(e.cap.profiles[0]->complete);
    assert_int_equal(e.cap.profiles[0]->span_count, 2);

    uint8_t id[16];
    sb_trace_id(9, id);
    assert_int_equal(dp_processor_mark_truncated(p, id), DP_ENOENT);
    sb_trace *u = agent_run(9);
    assert_int_equal(add(p, u, 0, T0 + 3 * SEC), 0);
    assert_int_equal(dp_processor_mark_truncated(p, id), 0);
    assert_int_equal(add(p, u, 1, T0 + 3 * SEC), 0); /* within the limit */
    assert_int_equal(dp_processor_flush(p, DP_INCOMPLETE_SHUTDOWN), 1);
    assert_int_equal(e.cap.profiles[1]->incomplete_reason,
                     DP_INCOMPLETE_SPAN_LIMIT);
    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    sb_trace_free(t);
    sb_trace_free(u);
}

/* end < start is refused; nothing is kept. */
static void test_processor_bad_span(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 100, 100, false);
    sb_trace *t = sb_trace_new(1);
    sb_span_add(t, 1, 0, "run", 100, 50);
    assert_int_equal(add(p, t, 0, T0), DP_EBADSPAN);
    assert_int_equal(stats(p).spans_rejected, 1);
    assert_int_equal(stats(p).traces_in_memory, 0);
    assert_int_equal(dp_processor_flush(p, DP_INCOMPLETE_SHUTDOWN), 0);
    dp_processor_destroy(p);
    sb_trace_free(t);
}

/* flush finalizes in order of first arrival: rooted traces complete,
 * rootless ones with the given reason. A trace with no agent span gives no
 * profile (counted) but still reaches on_finalized. */
static void test_processor_flush_order(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 100, 100, false);
    sb_trace *a = agent_run(1), *b = agent_run(2), *c = sb_trace_new(3);
    sb_span_add(c, 1, 0, "GET /health", 0, 5); /* not an agent run */
    assert_int_equal(add(p, b, 1, T0), 0);     /* b first: rootless */
    assert_int_equal(add(p, c, 0, T0 + 1), 0);
    assert_int_equal(add(p, a, 0, T0 + 2), 0);
    assert_int_equal(add(p, a, 1, T0 + 3), 0);
    assert_int_equal(dp_processor_flush(p, DP_INCOMPLETE_SHUTDOWN), 2);
    const char *want[] = {"F2", "P2", "F3", "F1", "P1"};
    expect_log(&e, want, 5);
    assert_int_equal(e.cap.profiles[0]->incomplete_reason,
                     DP_INCOMPLETE_SHUTDOWN);
    assert_true(e.cap.profiles[1]->complete);
    dp_processor_stats s = stats(p);
    assert_int_equal(s.traces_not_agent, 1);
    assert_int_equal(s.profiles_emitted, 2);
    assert_int_equal(s.traces_in_memory, 0);
    /* Flushed ids are remembered too: their spans are late. */
    assert_int_equal(add(p, c, 0, T0 + 4), DP_ELATE);
    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    sb_trace_free(a);
    sb_trace_free(b);
    sb_trace_free(c);
}

/* Many traces through a small table: every one is finalized exactly once,
 * by eviction or by its timer, and the counts add up. */
static void test_processor_churn(void **state)
{
    (void)state;
    events e;
    dp_processor *p = make(&e, 8, 100, true);
    uint64_t now = T0;
    size_t emitted = 0;
    for (uint32_t no = 1; no <= 200; no++) {
        sb_trace *t = agent_run(no);
        assert_int_equal(add(p, t, 1, now), 0);
        assert_int_equal(add(p, t, 0, now + 1), 0);
        now += SEC / 2;
        emitted += dp_processor_tick(p, now);
        sb_capture_free(&e.cap);
        e.n = 0;
        sb_trace_free(t);
    }
    emitted += dp_processor_flush(p, DP_INCOMPLETE_SHUTDOWN);
    dp_processor_stats s = stats(p);
    assert_int_equal(s.spans_received, 400);
    assert_int_equal(s.profiles_emitted, 200);
    assert_int_equal(s.traces_evicted, 0); /* grace 2 s keeps 4-5 live */
    assert_int_equal(s.traces_in_memory, 0);
    sb_capture_free(&e.cap);
    dp_processor_destroy(p);
    assert_int_equal(emitted, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_processor_grace_timer),
        cmocka_unit_test(test_processor_grace_extended),
        cmocka_unit_test(test_processor_idle_timer),
        cmocka_unit_test(test_processor_late_window),
        cmocka_unit_test(test_processor_eviction_order),
        cmocka_unit_test(test_processor_eviction_tie),
        cmocka_unit_test(test_processor_span_limit),
        cmocka_unit_test(test_processor_bad_span),
        cmocka_unit_test(test_processor_flush_order),
        cmocka_unit_test(test_processor_churn),
    };
    dp_log_set_level(DP_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
