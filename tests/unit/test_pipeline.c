/*
 * test_pipeline.c - the receivers -> shards hand-off (pipeline/pipeline.c)
 * driven through its export handler, without a network: decoding into shards,
 * partial success, bad data, backpressure, the grace timer on a shard loop,
 * shutdown flush, span accounting with several exporting threads, and the
 * span limit answered in the reply.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "batch.h"
#include "pipeline_internal.h"

struct sink {
    pthread_mutex_t lock;
    size_t n;
    uint64_t spans;
    int complete, shutdown, root_missing, span_limit;
    uint64_t span_limit_spans; /* span_count of the span_limit profiles */
    char dag[8][64];
};

static void sink_fn(dp_profile *p, void *user)
{
    struct sink *s = user;
    pthread_mutex_lock(&s->lock);
    if (s->n < 8)
        snprintf(s->dag[s->n], sizeof(s->dag[0]), "%s", p->dag_id);
    s->n++;
    s->spans += p->span_count;
    if (p->complete)
        s->complete++;
    if (p->incomplete_reason == DP_INCOMPLETE_SHUTDOWN)
        s->shutdown++;
    if (p->incomplete_reason == DP_INCOMPLETE_ROOT_MISSING)
        s->root_missing++;
    if (p->incomplete_reason == DP_INCOMPLETE_SPAN_LIMIT) {
        s->span_limit++;
        s->span_limit_spans += p->span_count;
    }
    pthread_mutex_unlock(&s->lock);
    dp_profile_free(p);
}

static size_t sink_count(struct sink *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* One trace as OTLP/JSON: a root and n children, trace id from k. */
static int make_trace(char *out, size_t len, int k, int n, bool root,
                      bool bad_span)
{
    int o =
        snprintf(out, len,
                 "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{"
                 "\"key\":\"dag.id\",\"value\":{\"stringValue\":\"dag-%d\"}}]},"
                 "\"scopeSpans\":[{\"spans\":[",
                 k % 3);
    for (int i = 0; i <= n; i++) {
        if (i == 0 && !root)
            continue;
        uint64_t start = 1700000000000000000ULL + (uint64_t)i * 1000000;
        uint64_t end = start + (i == 0 ? (uint64_t)(n + 1) * 1000000 : 500000);
        if (bad_span && i == n)
            end = start - 1;
        o += snprintf(out + o, len - (size_t)o,
                      "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\","
                      "\"parentSpanId\":\"%s\",\"name\":\"s%d\","
                      "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":"
                      "\"%llu\"}",
                      (i == 0 || (i == 1 && !root)) ? "" : ",", k + 1, i + 1,
                      i == 0 ? "" : "0000000000000001", i,
                      (unsigned long long)start, (unsigned long long)end);
    }
    o += snprintf(out + o, len - (size_t)o, "]}]}]}");
    return o;
}

static dp_pipeline *make_pipeline_limit(struct sink *s, size_t shards,
                                        size_t queue_spans, uint64_t grace_ns,
                                        size_t max_spans)
{
    dp_pipeline_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    dp_processor_config_init(&cfg.processor);
    cfg.processor.grace_ns = grace_ns;
    if (max_spans)
        cfg.processor.max_spans_per_trace = max_spans;
    cfg.shards = shards;
    cfg.queue_spans = queue_spans;
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    dp_pipeline *p = dp_pipeline_create(&cfg, sink_fn, s);
    assert_non_null(p);
    return p;
}

static dp_pipeline *make_pipeline(struct sink *s, size_t shards,
                                  size_t queue_spans, uint64_t grace_ns)
{
    return make_pipeline_limit(s, shards, queue_spans, grace_ns, 0);
}

static void export_json(dp_pipeline *p, const char *json, dp_export_result *r)
{
    memset(r, 0, sizeof(*r));
    dp_pipeline_export(p, DP_PAYLOAD_JSON, (const uint8_t *)json, strlen(json),
                       r);
}

static void wait_for(struct sink *s, size_t n)
{
    for (int i = 0; i < 500 && sink_count(s) < n; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

static void test_pipeline_grace_emits_profile(void **state)
{
    (void)state;
    struct sink s;
    char buf[8192];
    dp_export_result r;
    dp_pipeline *p = make_pipeline(&s, 2, 1000, 50000000ULL);
    assert_int_equal(dp_pipeline_start(p), 0);
    make_trace(buf, sizeof(buf), 1, 3, true, false);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    assert_int_equal(r.rejected_spans, 0);
    wait_for(&s, 1); /* grace 50 ms, then the shard's timer fires */
    assert_int_equal(sink_count(&s), 1);
    assert_int_equal(s.complete, 1);
    assert_int_equal(s.spans, 4);
    assert_string_equal(s.dag[0], "dag-1");
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.spans_received, 4);
    assert_int_equal(st.profiles_emitted, 1);
    dp_pipeline_destroy(p);
}

static void test_pipeline_partial_success_and_bad_data(void **state)
{
    (void)state;
    struct sink s;
    char buf[8192];
    dp_export_result r;
    dp_pipeline *p = make_pipeline(&s, 1, 1000, 2000000000ULL);
    assert_int_equal(dp_pipeline_start(p), 0);
    make_trace(buf, sizeof(buf), 2, 3, true, true);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    assert_int_equal(r.rejected_spans, 1);
    assert_non_null(strstr(r.error_message, "s3"));
    export_json(p, "{\"resourceSpans\": [", &r);
    assert_int_equal(r.outcome, DP_EXPORT_BAD_DATA);
    memset(&r, 0, sizeof(r));
    dp_pipeline_export(p, DP_PAYLOAD_PROTO, (const uint8_t *)"\xff\xff\xff", 3,
                       &r);
    assert_int_equal(r.outcome, DP_EXPORT_BAD_DATA);
    /* Shutdown flushes the rooted trace (3 good spans) as complete. */
    dp_pipeline_shutdown(p);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.spans, 3);
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.spans_received, 4);
    assert_int_equal(st.spans_rejected, 1);
    assert_int_equal(st.requests_invalid, 2);
    dp_pipeline_destroy(p);
}

static void test_pipeline_backpressure_refuses_whole_request(void **state)
{
    (void)state;
    struct sink s;
    char buf[8192];
    dp_export_result r;
    /* Not started: nothing drains, so the queue stays full. */
    dp_pipeline *p = make_pipeline(&s, 1, 2, 2000000000ULL);
    make_trace(buf, sizeof(buf), 3, 3, true, false);
    export_json(p, buf, &r); /* 4 spans into an empty queue: accepted */
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_UNAVAILABLE);
    assert_int_equal(r.retry_after_s, 1);
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.spans_queued, 4);
    assert_int_equal(st.requests_refused, 1);
    assert_int_equal(st.spans_received, 4);
    dp_pipeline_destroy(p); /* frees the queued batch */
    assert_int_equal(s.n, 0);
}

static void test_pipeline_queue_bytes_refuses_and_accounts(void **state)
{
    (void)state;
    struct sink s;
    char buf[8192];
    dp_export_result r;
    /* Spans are no limit here; 1 byte is: any queued batch fills it. */
    dp_pipeline *p = make_pipeline(&s, 1, 1000000, 50000000ULL);
    p->cfg.queue_bytes = 1;
    make_trace(buf, sizeof(buf), 5, 3, true, false);
    export_json(p, buf, &r); /* an empty queue always takes one */
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    size_t one = p->shards[0].queue_head->queued_bytes;
    assert_int_equal(one, dp_batch_bytes(p->shards[0].queue_head));
    assert_int_equal(st.queued_bytes, one);
    assert_true(one > 64 * 1024); /* a chunk and the span array */
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_UNAVAILABLE);
    assert_int_equal(r.retry_after_s, 1);
    assert_non_null(strstr(r.error_message, "processor.queue_bytes"));
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.refused_queue_bytes, 1);
    assert_int_equal(st.refused_queue_spans, 0);
    assert_int_equal(st.requests_refused, 1);
    assert_int_equal(st.spans_received, 4); /* the refused one not counted */

    /* Drained: the bytes go back to 0 and the batch to the shard's pool;
     * the next request reuses it. */
    assert_int_equal(dp_pipeline_start(p), 0);
    wait_for(&s, 1);
    assert_int_equal(s.n, 1);
    for (int i = 0; i < 500; i++) {
        dp_pipeline_stats_get(p, &st);
        if (st.queued_bytes == 0 && st.pooled_bytes)
            break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st.queued_bytes, 0);
    assert_int_equal(st.spans_queued, 0);
    assert_int_equal(st.pooled_bytes, one);
    uint64_t reused = p->shards[0].pool.reused;
    make_trace(buf, sizeof(buf), 6, 3, true, false);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    assert_int_equal(p->shards[0].pool.reused, reused + 1);
    wait_for(&s, 2);
    for (int i = 0; i < 500; i++) {
        dp_pipeline_stats_get(p, &st);
        if (st.queued_bytes == 0 && st.pooled_bytes)
            break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    /* Released (idle trim): the pools are emptied. */
    assert_int_equal(dp_pipeline_release_memory(p), st.pooled_bytes);
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.pooled_bytes, 0);
    dp_pipeline_destroy(p);
}

static void test_pipeline_memory_pressure_refuses_before_decoding(void **state)
{
    (void)state;
    struct sink s;
    dp_export_result r;
    dp_pipeline *p = make_pipeline(&s, 2, 1000, 2000000000ULL);
    dp_pipeline_set_memory_pressure(p, true);
    /* Not even valid input: refused before it is looked at. */
    export_json(p, "not json", &r);
    assert_int_equal(r.outcome, DP_EXPORT_UNAVAILABLE);
    assert_int_equal(r.retry_after_s, 1);
    assert_non_null(strstr(r.error_message, "limits.max_rss"));
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    assert_true(st.memory_pressure);
    assert_int_equal(st.refused_memory, 1);
    assert_int_equal(st.requests_refused, 1);
    assert_int_equal(st.requests_invalid, 0);
    assert_int_equal(st.spans_received, 0);
    dp_pipeline_set_memory_pressure(p, false);
    char buf[8192];
    make_trace(buf, sizeof(buf), 7, 2, true, false);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    dp_pipeline_destroy(p);
}

/* The RSS ceiling's headroom: a request is refused once the bytes admitted
 * since the last reading would pass it; what a request queued is taken
 * from it (not its estimate), and a new reading gives room again. */
static void test_pipeline_memory_budget_refuses_and_settles(void **state)
{
    (void)state;
    struct sink s;
    dp_export_result r;
    char buf[8192];
    dp_pipeline *p = make_pipeline(&s, 2, 1000, 2000000000ULL);
    make_trace(buf, sizeof(buf), 9, 2, true, false);
    dp_pipeline_set_memory_budget(p, 0);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_UNAVAILABLE);
    assert_non_null(strstr(r.error_message, "limits.max_rss"));
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.refused_memory, 1);
    assert_int_equal(st.spans_received, 0);
    /* Room for one: accepted, and what it queued is taken from it. */
    dp_pipeline_set_memory_budget(p, 1 << 20);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    dp_pipeline_stats_get(p, &st);
    assert_true(st.queued_bytes > 0);
    assert_true(atomic_load(&p->mem_budget) ==
                (int64_t)(1 << 20) - (int64_t)st.queued_bytes);
    /* Less room than the estimate (twice the body): refused. */
    dp_pipeline_set_memory_budget(p, (int64_t)strlen(buf));
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_UNAVAILABLE);
    assert_true(atomic_load(&p->mem_budget) == (int64_t)strlen(buf));
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.refused_memory, 2);
    dp_pipeline_destroy(p);
}

static void test_pipeline_shutdown_marks_rootless(void **state)
{
    (void)state;
    struct sink s;
    char buf[8192];
    dp_export_result r;
    dp_pipeline *p = make_pipeline(&s, 2, 1000, 2000000000ULL);
    assert_int_equal(dp_pipeline_start(p), 0);
    make_trace(buf, sizeof(buf), 4, 2, false, false);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    dp_pipeline_shutdown(p);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.shutdown, 1);
    /* After shutdown the handler refuses. */
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_UNAVAILABLE);
    dp_pipeline_destroy(p);
}

struct sender {
    dp_pipeline *p;
    int first;
    int traces;
    uint64_t accepted;
};

static void *send_many(void *arg)
{
    struct sender *x = arg;
    static __thread char buf[65536];
    for (int t = 0; t < x->traces; t++) {
        dp_export_result r;
        make_trace(buf, sizeof(buf), x->first + t, 20, true, false);
        export_json(x->p, buf, &r);
        if (r.outcome == DP_EXPORT_OK)
            x->accepted += 21;
    }
    return NULL;
}

static void test_pipeline_concurrent_accounting(void **state)
{
    (void)state;
    struct sink s;
    dp_pipeline *p = make_pipeline(&s, 2, 1000000, 2000000000ULL);
    assert_int_equal(dp_pipeline_start(p), 0);
    pthread_t th[4];
    struct sender x[4];
    for (int i = 0; i < 4; i++) {
        x[i] = (struct sender){p, 1000 * (i + 1), 200, 0};
        pthread_create(&th[i], NULL, send_many, &x[i]);
    }
    uint64_t accepted = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        accepted += x[i].accepted;
    }
    dp_pipeline_shutdown(p);
    assert_int_equal(accepted, 4 * 200 * 21);
    assert_int_equal(s.n, 800);
    assert_int_equal(s.complete, 800);
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.spans_received, s.spans + st.spans_rejected);
    assert_int_equal(s.spans, accepted);
    dp_pipeline_destroy(p);
}

/* Entries in the shard's span counts; locks as the export handler does. */
static size_t counts_live(struct shard *sh, const uint8_t *id, uint32_t *n)
{
    pthread_mutex_lock(&sh->lock);
    size_t live = sh->counts.n;
    const struct span_count *e =
        id ? dp_span_counts_find(&sh->counts, id) : NULL;
    *n = e ? e->n : 0;
    pthread_mutex_unlock(&sh->lock);
    return live;
}

static void test_pipeline_span_limit_refused_in_reply(void **state)
{
    (void)state;
    struct sink s;
    char buf[16384];
    dp_export_result r;
    uint8_t id7[16] = {0}, id8[16] = {0};
    id7[15] = 8; /* make_trace(k) writes trace id k + 1 */
    id8[15] = 9;
    uint32_t n;
    dp_pipeline *p = make_pipeline_limit(&s, 1, 1000, 50000000ULL, 10);
    struct shard *sh = &p->shards[0];
    assert_int_equal(dp_pipeline_start(p), 0);

    /* 15 spans of one trace: the 5 over the limit are refused. */
    make_trace(buf, sizeof(buf), 7, 14, true, false);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    assert_int_equal(r.rejected_spans, 5);
    assert_string_equal(r.error_message,
                        "5 span(s) refused: trace "
                        "00000000000000000000000000000008 reached "
                        "processor.max_spans_per_trace (10)");
    /* A later trace is unaffected. */
    make_trace(buf, sizeof(buf), 8, 3, true, false);
    export_json(p, buf, &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    assert_int_equal(r.rejected_spans, 0);
    assert_string_equal(r.error_message, "");

    wait_for(&s, 2);
    assert_int_equal(sink_count(&s), 2);
    assert_int_equal(s.span_limit, 1);
    assert_int_equal(s.span_limit_spans, 10);
    assert_int_equal(s.complete, 1);
    assert_int_equal(s.spans, 14);
    /* Finalized: both entries are gone (dropped before the profile). */
    assert_int_equal(counts_live(sh, id7, &n), 0);
    assert_int_equal(counts_live(sh, id8, &n), 0);

    /* Spans of the finalized trace are late: counted afresh at the
     * receiver, then the shard drops the count when the processor says
     * late. */
    make_trace(buf, sizeof(buf), 7, 2, true, false);
    export_json(p, buf, &r);
    assert_int_equal(r.rejected_spans, 0);
    size_t live = 1;
    for (int i = 0; i < 500 && live; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        live = counts_live(sh, id7, &n);
    }
    assert_int_equal(live, 0);
    dp_pipeline_stats st;
    dp_pipeline_stats_get(p, &st);
    assert_int_equal(st.spans_rejected, 5);
    assert_int_equal(st.spans_received, 15 + 4 + 3);
    dp_pipeline_destroy(p);
}

static void test_pipeline_span_limit_across_requests(void **state)
{
    (void)state;
    struct sink s;
    char buf[16384];
    dp_export_result r;
    uint8_t id[16] = {0};
    id[15] = 21;
    uint32_t n;
    /* Grace long enough that nothing is finalized before shutdown. */
    dp_pipeline *p = make_pipeline_limit(&s, 2, 1000, 60000000000ULL, 4);
    struct shard *sh = &p->shards[dp__pipeline_shard_of(p, id)];
    assert_int_equal(dp_pipeline_start(p), 0);
    make_trace(buf, sizeof(buf), 20, 2, true, false); /* 3 spans */
    export_json(p, buf, &r);
    assert_int_equal(r.rejected_spans, 0);
    assert_int_equal(counts_live(sh, id, &n), 1);
    assert_int_equal(n, 3);
    /* Same span ids again: counted again (duplicates refuse early). */
    export_json(p, buf, &r);
    assert_int_equal(r.rejected_spans, 2);
    assert_non_null(strstr(r.error_message,
                           "2 span(s) refused: trace "
                           "00000000000000000000000000000015"));
    /* Already at the limit: every good span is refused, after the
     * decoder's message about the bad one. */
    make_trace(buf, sizeof(buf), 20, 5, true, true);
    export_json(p, buf, &r);
    assert_int_equal(r.rejected_spans, 6); /* 5 good + the bad one */
    assert_non_null(strstr(r.error_message, "; 5 span(s) refused"));
    dp_pipeline_shutdown(p);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.span_limit, 1);
    assert_int_equal(s.span_limit_spans, 3); /* 4 queued, 1 a duplicate */
    assert_int_equal(counts_live(sh, NULL, &n), 0);
    dp_pipeline_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_grace_emits_profile),
        cmocka_unit_test(test_pipeline_partial_success_and_bad_data),
        cmocka_unit_test(test_pipeline_backpressure_refuses_whole_request),
        cmocka_unit_test(test_pipeline_queue_bytes_refuses_and_accounts),
        cmocka_unit_test(test_pipeline_memory_pressure_refuses_before_decoding),
        cmocka_unit_test(test_pipeline_memory_budget_refuses_and_settles),
        cmocka_unit_test(test_pipeline_shutdown_marks_rootless),
        cmocka_unit_test(test_pipeline_concurrent_accounting),
        cmocka_unit_test(test_pipeline_span_limit_refused_in_reply),
        cmocka_unit_test(test_pipeline_span_limit_across_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
