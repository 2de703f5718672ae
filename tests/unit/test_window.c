/*
 * test_window.c - unit tests for runs/window.c, the offline commands' input
 * window: parsing --window, a trace finalized before the end of input once
 * its root has arrived and the window has passed (by spans and by bytes),
 * rootless traces kept to the end, spans that arrive after their trace was
 * finalized counted (never profiled twice, never lost silently), and the
 * whole-input window finalizing nothing early.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"
#include "window.h"

/* ---- profiles seen ------------------------------------------------------- */

struct seen {
    dp_window win;
    dp_processor *proc;
    int n;
    uint8_t first_byte[16]; /* trace id byte 0 of each profile, in order */
    uint64_t spans[16];
    bool complete[16];
};

static void on_profile(dp_profile *p, void *user)
{
    struct seen *s = user;
    if (s->n < 16) {
        s->first_byte[s->n] = p->trace_id[0];
        s->spans[s->n] = p->span_count;
        s->complete[s->n] = p->complete;
    }
    s->n++;
    dp_profile_free(p);
}

static void on_finalized(const uint8_t id[16], void *user)
{
    struct seen *s = user;
    dp_window_finalized(&s->win, id);
}

static void setup_seen(struct seen *s, const char *window)
{
    dp_window_opt opt;
    dp_processor_config pc;
    memset(s, 0, sizeof(*s));
    assert_int_equal(dp_window_parse(window, &opt), 0);
    dp_window_init(&s->win, &opt, "test");
    dp_processor_config_init(&pc);
    pc.profile_all_traces = true;
    pc.max_traces = SIZE_MAX;
    pc.max_spans_per_trace = SIZE_MAX;
    pc.late_window_ns = 0;
    dp_window_processor_config(&s->win, &pc);
    pc.on_finalized = on_finalized;
    s->proc = dp_processor_create(&pc, on_profile, s);
    assert_non_null(s->proc);
    dp_window_attach(&s->win, s->proc);
}

static void finish_seen(struct seen *s)
{
    dp_processor_flush(s->proc, DP_INCOMPLETE_ROOT_MISSING);
}

static void free_seen(struct seen *s)
{
    dp_processor_destroy(s->proc);
    dp_window_fini(&s->win);
}

/* Span `span` of trace `trace` (root when span == 1). */
static int add(struct seen *s, uint8_t trace, uint8_t span)
{
    dp_span_in in;
    memset(&in, 0, sizeof(in));
    in.trace_id[0] = trace;
    in.trace_id[15] = 1;
    in.span_id[0] = span;
    in.span_id[7] = trace;
    if (span != 1) {
        in.has_parent = true;
        in.parent_span_id[0] = 1;
        in.parent_span_id[7] = trace;
    }
    in.name = "work";
    in.name_len = 4;
    in.start_ns = 1700000000000000000ULL + span * 1000000ULL;
    in.end_ns = in.start_ns + 500000ULL;
    if (span == 1)
        in.end_ns += 100000000ULL;
    return dp_window_add_span(&s->win, &in);
}

/* ---- parsing ------------------------------------------------------------- */

static void test_window_parse(void **state)
{
    (void)state;
    dp_window_opt o;
    char buf[64];
    dp_window_opt_default(&o);
    assert_int_equal(o.unit, DP_WINDOW_SPANS);
    assert_int_equal(o.size, DP_WINDOW_DEFAULT_SPANS);
    assert_int_equal(dp_window_parse("1000000", &o), 0);
    assert_int_equal(o.unit, DP_WINDOW_SPANS);
    assert_int_equal(o.size, 1000000);
    assert_int_equal(dp_window_parse("256MB", &o), 0);
    assert_int_equal(o.unit, DP_WINDOW_BYTES);
    assert_int_equal(o.size, 256000000);
    assert_int_equal(dp_window_parse("1GiB", &o), 0);
    assert_int_equal(o.size, 1073741824ULL);
    dp_window_format(&o, buf, sizeof(buf));
    assert_string_equal(buf, "1073741824 bytes");
    assert_int_equal(dp_window_parse("all", &o), 0);
    assert_int_equal(o.unit, DP_WINDOW_ALL);
    assert_int_equal(dp_window_parse("0", &o), 0);
    assert_int_equal(o.unit, DP_WINDOW_ALL);
    assert_int_equal(dp_window_parse("0MB", &o), 0);
    assert_int_equal(o.unit, DP_WINDOW_ALL);
    const char *bad[] = {
        "", "-1", "12x", "2s", "1.5", "MB", "99999999999999999999", "1e3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dp_window_parse(bad[i], &o), DP_EINVAL);
}

/* ---- finalization -------------------------------------------------------- */

/* Trace 1 (root + 1 child) then 3 spans of trace 2: with a window of 3
 * spans, trace 1 is finalized as the third span of trace 2 arrives. */
static void test_window_finalizes_early_by_spans(void **state)
{
    (void)state;
    struct seen s;
    setup_seen(&s, "3");
    assert_int_equal(add(&s, 1, 1), 0);
    assert_int_equal(add(&s, 1, 2), 0);
    assert_int_equal(add(&s, 2, 1), 0);
    assert_int_equal(add(&s, 2, 2), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(add(&s, 2, 3), 0);
    assert_int_equal(s.n, 1); /* trace 1, before the end of input */
    assert_int_equal(s.first_byte[0], 1);
    assert_int_equal(s.spans[0], 2);
    assert_true(s.complete[0]);
    assert_int_equal(s.win.finalized_early, 1);

    /* Two late spans of trace 1: counted, not profiled, no new trace. */
    assert_int_equal(add(&s, 1, 3), 0);
    assert_int_equal(add(&s, 1, 4), 0);
    assert_int_equal(s.win.late_spans, 2);
    assert_int_equal(s.win.late_traces, 1);
    assert_int_equal(s.win.n_late_listed, 1);
    assert_int_equal(s.win.late[0].spans, 2);
    dp_processor_stats st;
    dp_processor_stats_get(s.proc, &st);
    assert_int_equal(st.traces_in_memory, 1); /* trace 2 only */

    finish_seen(&s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.first_byte[1], 2);
    assert_int_equal(s.spans[1], 3);
    assert_int_equal(dp_window_report(&s.win), 2);
    free_seen(&s);
}

/* A trace without its root is never finalized early, however long. */
static void test_window_rootless_waits_for_end(void **state)
{
    (void)state;
    struct seen s;
    setup_seen(&s, "2");
    assert_int_equal(add(&s, 1, 2), 0); /* child only */
    for (uint8_t i = 1; i <= 20; i++)
        assert_int_equal(add(&s, (uint8_t)(10 + i), 1), 0);
    /* The 20 rooted traces went; the rootless one stays. */
    assert_int_equal(s.n, 18);
    dp_processor_stats st;
    dp_processor_stats_get(s.proc, &st);
    assert_int_equal(st.traces_in_memory, 3);
    finish_seen(&s);
    assert_int_equal(s.n, 21);
    assert_int_equal(s.win.late_spans, 0);
    assert_int_equal(dp_window_report(&s.win), 0);
    free_seen(&s);
}

/* By bytes: the clock is the offset of the record being decoded, carried
 * across files. */
static void test_window_finalizes_early_by_bytes(void **state)
{
    (void)state;
    struct seen s;
    setup_seen(&s, "1000B");
    dp_window_on_record(&s.win, 0);
    assert_int_equal(add(&s, 1, 1), 0);
    dp_window_on_record(&s.win, 600);
    assert_int_equal(add(&s, 2, 1), 0);
    assert_int_equal(s.n, 0);
    dp_window_file_done(&s.win, 900); /* next file starts at 900 */
    dp_window_on_record(&s.win, 50);  /* 950: not yet */
    assert_int_equal(add(&s, 2, 2), 0);
    assert_int_equal(s.n, 0);
    dp_window_on_record(&s.win, 100); /* 1000: trace 1's window is over */
    assert_int_equal(add(&s, 2, 3), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.first_byte[0], 1);
    dp_window_on_record(&s.win, 200);
    assert_int_equal(add(&s, 1, 2), 0);
    assert_int_equal(s.win.late_spans, 1);
    finish_seen(&s);
    assert_int_equal(s.n, 2);
    free_seen(&s);
}

/* The whole input: nothing before the end, profiles in order of arrival,
 * and a trace's spans are all in its profile however far apart. */
static void test_window_all_is_whole_input(void **state)
{
    (void)state;
    struct seen s;
    setup_seen(&s, "all");
    assert_int_equal(add(&s, 1, 1), 0);
    for (uint8_t i = 0; i < 50; i++)
        assert_int_equal(add(&s, (uint8_t)(2 + i), 1), 0);
    assert_int_equal(add(&s, 1, 2), 0);
    assert_int_equal(s.n, 0);
    finish_seen(&s);
    assert_int_equal(s.n, 51);
    assert_int_equal(s.first_byte[0], 1);
    assert_int_equal(s.spans[0], 2);
    assert_int_equal(s.win.late_spans, 0);
    assert_int_equal(s.win.finalized_early, 0);
    free_seen(&s);
}

/* Many traces finalized early: the fingerprint set grows and still finds
 * each one. */
static void test_window_many_finalized(void **state)
{
    (void)state;
    struct seen s;
    setup_seen(&s, "1");
    dp_span_in in;
    for (uint32_t t = 1; t <= 20000; t++) {
        memset(&in, 0, sizeof(in));
        memcpy(in.trace_id, &t, sizeof(t));
        in.trace_id[15] = 7;
        in.span_id[0] = 1;
        in.name = "r";
        in.name_len = 1;
        in.start_ns = 1;
        in.end_ns = 2;
        assert_int_equal(dp_window_add_span(&s.win, &in), 0);
    }
    assert_int_equal(s.win.finalized_early, 19999);
    for (uint32_t t = 1; t <= 19999; t += 97) {
        memcpy(in.trace_id, &t, sizeof(t));
        in.span_id[0] = 2;
        assert_int_equal(dp_window_add_span(&s.win, &in), 0);
    }
    assert_int_equal(s.win.late_traces, 207);
    assert_int_equal(s.win.n_late_listed, 8);
    finish_seen(&s);
    assert_int_equal(s.n, 20000);
    free_seen(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_parse),
        cmocka_unit_test(test_window_finalizes_early_by_spans),
        cmocka_unit_test(test_window_rootless_waits_for_end),
        cmocka_unit_test(test_window_finalizes_early_by_bytes),
        cmocka_unit_test(test_window_all_is_whole_input),
        cmocka_unit_test(test_window_many_finalized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
