/*
 * test_pipeline_wal.c - the pipeline with a write-ahead log
 * (pipeline/pipeline.c with pipeline/wal.c): a request is logged before it is
 * acknowledged, the profile carries its trace's hold to the sink and the
 * segment goes only once the hold is released; a trace finalized without a
 * profile lets go at once; after a "crash" (holds never released) the next
 * start replays the requests through the same decode path and skips the traces
 * whose profiles were delivered.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "log.h"
#include "pipeline_internal.h"
#include "wal_dir.h"

struct held {
    pthread_mutex_t lock;
    size_t n;
    dp_wal_hold *holds[16];
    uint8_t trace[16][16];
    uint64_t spans[16];
};

static void held_sink(dp_profile *p, dp_wal_hold *hold, void *user)
{
    struct held *h = user;
    pthread_mutex_lock(&h->lock);
    if (h->n < 16) {
        h->holds[h->n] = hold;
        memcpy(h->trace[h->n], p->trace_id, 16);
        h->spans[h->n] = p->span_count;
    } else {
        dp_wal_hold_release(hold);
    }
    h->n++;
    pthread_mutex_unlock(&h->lock);
    dp_profile_free(p);
}

static size_t held_count(struct held *h)
{
    pthread_mutex_lock(&h->lock);
    size_t n = h->n;
    pthread_mutex_unlock(&h->lock);
    return n;
}

/* One trace as OTLP/JSON: a root and n children, trace id from k; with
 * agent, the root is an agent span (gen_ai.operation.name). */
static void make_trace(char *out, size_t len, int k, int n, bool agent)
{
    int o =
        snprintf(out, len, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[");
    for (int i = 0; i <= n; i++) {
        uint64_t start = 1700000000000000000ULL + (uint64_t)i * 1000000;
        uint64_t end = start + (i == 0 ? (uint64_t)(n + 1) * 1000000 : 500000);
        o += snprintf(
            out + o, len - (size_t)o,
            "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\","
            "\"parentSpanId\":\"%s\",\"name\":\"s%d\","
            "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\"%s}",
            i ? "," : "", k, i + 1, i == 0 ? "" : "0000000000000001", i,
            (unsigned long long)start, (unsigned long long)end,
            agent && i == 0
                ? ",\"attributes\":[{\"key\":\"gen_ai.operation.name\","
                  "\"value\":{\"stringValue\":\"invoke_agent\"}}]"
                : "");
    }
    snprintf(out + o, len - (size_t)o, "]}]}]}");
}

static dp_wal *wal_at(const char *dir)
{
    dp_wal_config c = {dir, 0, 1, 1 << 20};
    char err[256];
    dp_wal *w = dp_wal_open(&c, err, sizeof(err));
    assert_non_null(w);
    return w;
}

static dp_pipeline *pipeline_on(dp_wal *w, struct held *h)
{
    dp_pipeline_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    dp_processor_config_init(&cfg.processor);
    cfg.processor.grace_ns = 30000000ULL;
    cfg.shards = 2;
    cfg.queue_spans = 10000;
    cfg.wal = w;
    cfg.held_sink = held_sink;
    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    dp_pipeline *p = dp_pipeline_create(&cfg, NULL, h);
    assert_non_null(p);
    assert_int_equal(dp_pipeline_start(p), 0);
    char err[256];
    assert_int_equal(dp_wal_start(w, err, sizeof(err)), 0);
    return p;
}

static void send_trace(dp_pipeline *p, int k, int n, bool agent)
{
    char buf[8192];
    make_trace(buf, sizeof(buf), k, n, agent);
    dp_export_result r;
    memset(&r, 0, sizeof(r));
    dp_pipeline_export(p, DP_PAYLOAD_JSON, (const uint8_t *)buf, strlen(buf),
                       &r);
    assert_int_equal(r.outcome, DP_EXPORT_OK);
    assert_int_equal(r.rejected_spans, 0);
}

static void test_pipeline_wal_segment_kept_until_delivered(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "pwal");
    struct held h;
    dp_wal *w = wal_at(dir);
    dp_pipeline *p = pipeline_on(w, &h);
    send_trace(p, 1, 3, true);
    dp_wal_stats st;
    dp_wal_stats_get(w, &st);
    assert_int_equal(st.records, 1); /* logged before the reply */
    assert_true(st.syncs >= 1);
    WAIT_UNTIL(held_count(&h) == 1);
    assert_non_null(h.holds[0]);
    assert_int_equal(h.spans[0], 4);
    sleep_ms(500); /* idle rounds: nothing deleted while held */
    dp_wal_stats_get(w, &st);
    assert_int_equal(st.deleted, 0);
    dp_wal_hold_release(h.holds[0]); /* every exporter is done with it */
    WAIT_UNTIL((dp_wal_stats_get(w, &st), st.deleted >= 1));
    dp_pipeline_destroy(p);
    dp_wal_close(w);
    assert_int_equal(dp_wal_dir_count(dir), 0);
    rmdir(dir);
}

static void test_pipeline_wal_no_profile_lets_go(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "pwal");
    struct held h;
    dp_wal *w = wal_at(dir);
    dp_pipeline *p = pipeline_on(w, &h);
    send_trace(p, 2, 2, false); /* not an agent run: no profile */
    dp_wal_stats st;
    WAIT_UNTIL((dp_wal_stats_get(w, &st), st.deleted >= 1));
    assert_int_equal(held_count(&h), 0);
    dp_pipeline_destroy(p);
    dp_wal_close(w);
    assert_int_equal(dp_wal_dir_count(dir), 0);
    rmdir(dir);
}

static void test_pipeline_wal_replay_skips_delivered(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "pwal");
    struct held h;
    dp_wal *w = wal_at(dir);
    dp_pipeline *p = pipeline_on(w, &h);
    send_trace(p, 0x11, 3, true);
    send_trace(p, 0x22, 5, true);
    WAIT_UNTIL(held_count(&h) == 2);
    /* 0x11 is delivered (its DONE record reaches the log at the writer's
     * next round); 0x22 never is: the process "dies". */
    size_t a = h.trace[0][15] == 0x11 ? 0 : 1;
    dp_wal_hold_release(h.holds[a]);
    dp_wal_hold *dying = h.holds[1 - a];
    sleep_ms(500);
    dp_pipeline_destroy(p);
    dp_wal_close(w); /* held by 0x22: kept */
    assert_int_equal(dp_wal_dir_count(dir), 1);
    /* Its hold outlives the log it came from (freed with it). */
    dp_wal_hold_release(dying);

    w = wal_at(dir);
    p = pipeline_on(w, &h);
    assert_int_equal(dp_wal_replay(w, dp_pipeline_replay, p), 2);
    WAIT_UNTIL(held_count(&h) == 1);
    sleep_ms(200);
    assert_int_equal(held_count(&h), 1);
    assert_int_equal(h.trace[0][15], 0x22);
    assert_int_equal(h.spans[0], 6);
    dp_wal_hold_release(h.holds[0]);
    /* Both the old segment and the new one go once nothing is held. */
    dp_wal_stats st;
    WAIT_UNTIL((dp_wal_stats_get(w, &st), st.deleted >= 2));
    dp_pipeline_destroy(p);
    dp_wal_close(w);
    assert_int_equal(dp_wal_dir_count(dir), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_wal_segment_kept_until_delivered),
        cmocka_unit_test(test_pipeline_wal_no_profile_lets_go),
        cmocka_unit_test(test_pipeline_wal_replay_skips_delivered),
    };
    dp_log_set_level(DP_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
