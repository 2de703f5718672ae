/*
 * test_exporters.c - unit tests for exporter/exporters.c, the exporter
 * pipeline, driven by scripted fake exporters: drop-oldest on a full queue,
 * RETRY with exponential backoff (delays measured), jitter bounds, attempt
 * and elapsed limits, the destination's retry-after hint, ERROR drops, a
 * slow exporter beside a fast one, shutdown flush and the shutdown deadline,
 * record kinds; on_full block (the submitter waits for room), drops
 * counted by kind and spans, and a thread stuck in export() left behind.
 * The shutdown drain (dp_exporters_drain_begin) is in
 * test_exporters_drain.c. Every wait is a bounded poll.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "exporters.h"

#define MS 1000000ULL

struct fake {
    pthread_mutex_t lock;
    int script[16]; /* statuses for the first calls, then `otherwise` */
    size_t n_script;
    int otherwise;
    bool gate_closed;  /* export() waits while set */
    uint64_t sleep_ns; /* each export() takes this long */
    uint64_t hint_ns;  /* retry_after hook answer */
    size_t calls;
    uint64_t call_ns[64];
    int ok_ids[256];
    size_t n_ok;
    int flushed, destroyed;
};

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL),
                          (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

static size_t fake_calls(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->calls;
    pthread_mutex_unlock(&f->lock);
    return n;
}

static int fake_export(void *ctx, const dp_record *r)
{
    struct fake *f = ctx;
    for (int i = 0; i < 5000; i++) { /* at most 5 s */
        pthread_mutex_lock(&f->lock);
        bool closed = f->gate_closed;
        if (i == 0) {
            if (f->calls < 64)
                f->call_ns[f->calls] = dp_exporters_now_ns();
            f->calls++;
        }
        pthread_mutex_unlock(&f->lock);
        if (!closed)
            break;
        sleep_ns(MS);
    }
    if (f->sleep_ns)
        sleep_ns(f->sleep_ns);
    pthread_mutex_lock(&f->lock);
    size_t k = f->calls - 1;
    int st = k < f->n_script ? f->script[k] : f->otherwise;
    if (st == DP_EXPORTER_OK && f->n_ok < 256)
        f->ok_ids[f->n_ok++] = atoi(r->json);
    pthread_mutex_unlock(&f->lock);
    return st;
}

static void fake_flush(void *ctx)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->lock);
    f->flushed++;
    pthread_mutex_unlock(&f->lock);
}

static void fake_destroy(void *ctx)
{
    struct fake *f = ctx;
    f->destroyed++;
}

static uint64_t fake_hint(void *ctx)
{
    return ((struct fake *)ctx)->hint_ns;
}

static const dp_exporter_ops fake_ops = {.name = "fake",
                                         .export = fake_export,
                                         .flush = fake_flush,
                                         .destroy = fake_destroy,
                                         .kinds = (1u << DP_RECORD_PROFILE) |
                                                  (1u << DP_RECORD_ALERT)};
static const dp_exporter_ops fast_ops = {.name = "fast",
                                         .export = fake_export,
                                         .flush = fake_flush,
                                         .destroy = fake_destroy,
                                         .kinds = 1u << DP_RECORD_PROFILE};
static const dp_exporter_ops alert_ops = {.name = "alerts",
                                          .export = fake_export,
                                          .destroy = fake_destroy,
                                          .kinds = 1u << DP_RECORD_ALERT};

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    f->otherwise = DP_EXPORTER_OK;
}

/* A record whose JSON is its id; dp_record_unref frees it. */
static dp_record *rec(int id, int kind)
{
    dp_record *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    atomic_init(&r->refs, 1);
    r->kind = kind;
    char s[16];
    snprintf(s, sizeof(s), "%d", id);
    r->json = strdup(s);
    r->json_len = strlen(s);
    return r;
}

static void submit(dp_exporters *e, int id, int kind, size_t want_taken)
{
    dp_record *r = rec(id, kind);
    assert_int_equal(dp_exporters_submit(e, r), want_taken);
    dp_record_unref(r);
}

static dp_exporter_policy policy(size_t queue, uint32_t attempts,
                                 uint64_t initial_ms, double jitter)
{
    dp_exporter_policy p;
    dp_exporter_policy_init(&p);
    p.queue_size = queue;
    p.max_attempts = attempts;
    p.initial_backoff_ns = initial_ms * MS;
    p.max_backoff_ns = 1000 * MS;
    p.max_elapsed_ns = 0;
    p.jitter = jitter;
    return p;
}

static dp_exporter_stats stats(dp_exporters *e, size_t i)
{
    dp_exporter_stats s;
    dp_exporters_stats_get(e, i, &s);
    return s;
}

/* A started pipeline of one exporter: fake_ops on f with policy p and the
 * destination's retry-after hook hint (NULL: none). */
static dp_exporters *start_one(struct fake *f, const dp_exporter_policy *p,
                               dp_exporter_retry_after_fn hint)
{
    dp_exporters *e = dp_exporters_create();
    assert_int_equal(dp_exporters_add(e, &fake_ops, f, p, hint), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    return e;
}

static void open_gate(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    f->gate_closed = false;
    pthread_mutex_unlock(&f->lock);
}

/* Polls until exporter i has made `calls` export calls (at most 5 s). */
static void wait_calls(struct fake *f, size_t calls)
{
    for (int i = 0; i < 5000 && fake_calls(f) < calls; i++)
        sleep_ns(MS);
    assert_true(fake_calls(f) >= calls);
}

static void test_exporters_queue_full_drops_oldest(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.gate_closed = true;
    dp_exporter_policy p = policy(4, 1, 10, 0);
    dp_exporters *e = start_one(&f, &p, NULL);
    submit(e, 0, DP_RECORD_PROFILE, 1);
    wait_calls(&f, 1); /* record 0 is in flight, held at the gate */
    for (int id = 1; id <= 6; id++)
        submit(e, id, DP_RECORD_PROFILE, 1);
    dp_exporter_stats s = stats(e, 0);
    assert_string_equal(s.name, "fake");
    assert_int_equal(s.queued, 4);
    assert_int_equal(s.dropped_full, 2);
    assert_int_equal(s.dropped, 2);
    open_gate(&f);
    dp_exporters_shutdown(e, 5000 * MS);
    s = stats(e, 0);
    assert_int_equal(s.exported, 5);
    assert_int_equal(s.queued, 0);
    assert_int_equal(s.dropped, 2);
    int want[] = {0, 3, 4, 5, 6};
    assert_int_equal(f.n_ok, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(f.ok_ids[i], want[i]);
    assert_int_equal(f.flushed, 1);
    dp_exporters_destroy(e);
    assert_int_equal(f.destroyed, 1);
}

static void test_exporters_retry_backoff_doubles(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.script[0] = f.script[1] = f.script[2] = DP_EXPORTER_RETRY;
    f.n_script = 3;
    dp_exporter_policy p = policy(8, 10, 40, 0);
    dp_exporters *e = start_one(&f, &p, NULL);
    submit(e, 7, DP_RECORD_PROFILE, 1);
    wait_calls(&f, 4);
    dp_exporters_shutdown(e, 2000 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(f.calls, 4);
    assert_int_equal(s.retries, 3);
    assert_int_equal(s.exported, 1);
    assert_int_equal(s.dropped, 0);
    assert_int_equal(f.ok_ids[0], 7);
    uint64_t want[] = {40 * MS, 80 * MS, 160 * MS};
    for (int i = 0; i < 3; i++) {
        uint64_t gap = f.call_ns[i + 1] - f.call_ns[i];
        if (gap < want[i] - MS || gap > want[i] * 2 + 50 * MS)
            fail_msg("wait %d: %llu ns, want about %llu", i,
                     (unsigned long long)gap, (unsigned long long)want[i]);
    }
    dp_exporters_destroy(e);
}

static void test_exporters_retry_jitter_within_bounds(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.script[0] = f.script[1] = f.script[2] = f.script[3] = DP_EXPORTER_RETRY;
    f.n_script = 4;
    dp_exporter_policy p = policy(8, 10, 40, 0.5);
    dp_exporters *e = start_one(&f, &p, NULL);
    submit(e, 1, DP_RECORD_PROFILE, 1);
    wait_calls(&f, 5);
    dp_exporters_shutdown(e, 2000 * MS);
    assert_int_equal(stats(e, 0).exported, 1);
    /* base 40, 80, 160, 320 ms, each x [0.5, 1.5] */
    for (int i = 0; i < 4; i++) {
        uint64_t base = (40 * MS) << i;
        uint64_t gap = f.call_ns[i + 1] - f.call_ns[i];
        if (gap < base / 2 - MS || gap > base * 3 / 2 + 50 * MS)
            fail_msg("wait %d: %llu ns outside [%llu, %llu]", i,
                     (unsigned long long)gap, (unsigned long long)(base / 2),
                     (unsigned long long)(base * 3 / 2));
    }
    dp_exporters_destroy(e);
}

static void test_exporters_retry_gives_up_after_max_attempts(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.otherwise = DP_EXPORTER_RETRY;
    dp_exporter_policy p = policy(8, 3, 5, 0);
    dp_exporters *e = start_one(&f, &p, NULL);
    submit(e, 1, DP_RECORD_PROFILE, 1);
    submit(e, 2, DP_RECORD_PROFILE, 1);
    wait_calls(&f, 6);
    dp_exporters_shutdown(e, 2000 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(f.calls, 6); /* 3 attempts each, no more */
    assert_int_equal(s.retries, 4);
    assert_int_equal(s.dropped_retries, 2);
    assert_int_equal(s.dropped, 2);
    assert_int_equal(s.exported, 0);
    dp_exporters_destroy(e);
}

static void test_exporters_retry_gives_up_after_max_elapsed(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.otherwise = DP_EXPORTER_RETRY;
    dp_exporter_policy p = policy(8, 100, 40, 0);
    p.max_elapsed_ns = 100 * MS;
    dp_exporters *e = start_one(&f, &p, NULL);
    submit(e, 1, DP_RECORD_PROFILE, 1);
    /* attempt 1 at 0, wait 40 -> attempt 2 at 40; waiting 80 more would end
     * at 120 ms > 100 ms: given up after 2 calls. */
    for (int i = 0; i < 2000 && stats(e, 0).dropped_retries == 0; i++)
        sleep_ns(MS);
    dp_exporters_shutdown(e, 2000 * MS);
    assert_int_equal(f.calls, 2);
    assert_int_equal(stats(e, 0).dropped_retries, 1);
    dp_exporters_destroy(e);
}

static void test_exporters_retry_honours_destination_hint(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.script[0] = DP_EXPORTER_RETRY;
    f.n_script = 1;
    f.hint_ns = 150 * MS;
    dp_exporter_policy p = policy(8, 5, 5, 0.5);
    dp_exporters *e = start_one(&f, &p, fake_hint);
    submit(e, 1, DP_RECORD_PROFILE, 1);
    wait_calls(&f, 2);
    dp_exporters_shutdown(e, 2000 * MS);
    uint64_t gap = f.call_ns[1] - f.call_ns[0];
    assert_true(gap >= 150 * MS - MS);
    assert_true(gap < 400 * MS);
    assert_int_equal(stats(e, 0).exported, 1);
    dp_exporters_destroy(e);
}

static void test_exporters_error_dropped_not_retried(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.otherwise = DP_EXPORTER_ERROR;
    dp_exporter_policy p = policy(8, 5, 5, 0);
    dp_exporters *e = start_one(&f, &p, NULL);
    for (int i = 0; i < 3; i++)
        submit(e, i, DP_RECORD_PROFILE, 1);
    wait_calls(&f, 3);
    dp_exporters_shutdown(e, 2000 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(f.calls, 3);
    assert_int_equal(s.retries, 0);
    assert_int_equal(s.dropped_error, 3);
    assert_int_equal(s.dropped, 3);
    assert_int_equal(s.exported, 0);
    dp_exporters_destroy(e);
}

static void test_exporters_slow_exporter_blocks_nobody(void **state)
{
    (void)state;
    struct fake slow, fast;
    fake_init(&slow);
    fake_init(&fast);
    slow.sleep_ns = 200 * MS;
    dp_exporters *e = dp_exporters_create();
    dp_exporter_policy p = policy(100, 1, 5, 0);
    assert_int_equal(dp_exporters_add(e, &fake_ops, &slow, &p, NULL), 0);
    assert_int_equal(dp_exporters_add(e, &fast_ops, &fast, &p, NULL), 0);
    assert_int_equal(dp_exporters_count(e), 2);
    assert_int_equal(dp_exporters_start(e), 0);
    uint64_t t0 = dp_exporters_now_ns();
    for (int i = 0; i < 20; i++)
        submit(e, i, DP_RECORD_PROFILE, 2);
    uint64_t submit_ns = dp_exporters_now_ns() - t0;
    assert_true(submit_ns < 50 * MS);
    for (int i = 0; i < 2000 && stats(e, 1).exported < 20; i++)
        sleep_ns(MS);
    uint64_t fast_done = dp_exporters_now_ns() - t0;
    assert_int_equal(stats(e, 1).exported, 20);
    assert_true(fast_done < 150 * MS); /* before the slow one's first ends */
    assert_true(stats(e, 0).exported <= 1);
    /* 250 ms of shutdown: one or two more; the rest are counted dropped. */
    dp_exporters_shutdown(e, 250 * MS);
    uint64_t total = dp_exporters_now_ns() - t0;
    assert_true(total < 1000 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(s.exported + s.dropped_shutdown, 20);
    assert_true(s.exported >= 1 && s.exported <= 3);
    assert_int_equal(s.dropped, s.dropped_shutdown);
    assert_int_equal(fast.n_ok, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(fast.ok_ids[i], i);
    dp_exporters_destroy(e);
}

static void test_exporters_shutdown_flushes_queued(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.sleep_ns = 5 * MS;
    dp_exporter_policy p = policy(100, 1, 5, 0);
    dp_exporters *e = start_one(&f, &p, NULL);
    for (int i = 0; i < 20; i++)
        submit(e, i, DP_RECORD_PROFILE, 1);
    assert_true(stats(e, 0).queued >= 15);
    dp_exporters_shutdown(e, 5000 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(s.exported, 20);
    assert_int_equal(s.dropped, 0);
    assert_int_equal(s.queued, 0);
    assert_int_equal(f.flushed, 1);
    /* A record submitted after shutdown is counted, not lost silently. */
    submit(e, 99, DP_RECORD_PROFILE, 0);
    assert_int_equal(stats(e, 0).dropped_shutdown, 1);
    dp_exporters_destroy(e);
}

static void test_exporters_shutdown_deadline_counts_dropped(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.otherwise = DP_EXPORTER_RETRY; /* the destination stays down */
    dp_exporter_policy p = policy(100, 1000, 20, 0);
    p.max_backoff_ns = 40 * MS;
    dp_exporters *e = start_one(&f, &p, NULL);
    for (int i = 0; i < 10; i++)
        submit(e, i, DP_RECORD_PROFILE, 1);
    uint64_t t0 = dp_exporters_now_ns();
    dp_exporters_shutdown(e, 300 * MS);
    uint64_t took = dp_exporters_now_ns() - t0;
    assert_true(took >= 290 * MS);
    assert_true(took < 600 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(s.exported, 0);
    assert_int_equal(s.dropped_shutdown, 10);
    assert_int_equal(s.dropped, 10);
    assert_int_equal(s.queued, 0);
    assert_true(f.calls >= 5); /* kept retrying the first until the end */
    assert_int_equal(f.flushed, 1);
    dp_exporters_destroy(e);
}

static void test_exporters_kinds_route_records(void **state)
{
    (void)state;
    struct fake a, b;
    fake_init(&a);
    fake_init(&b);
    dp_exporters *e = dp_exporters_create();
    assert_int_equal(dp_exporters_add(e, &fast_ops, &a, NULL, NULL), 0);
    assert_int_equal(dp_exporters_add(e, &alert_ops, &b, NULL, NULL), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    submit(e, 1, DP_RECORD_PROFILE, 1);
    submit(e, 2, DP_RECORD_ALERT, 1);
    submit(e, 3, DP_RECORD_ALERT, 1);
    dp_exporters_shutdown(e, 2000 * MS);
    assert_int_equal(a.n_ok, 1);
    assert_int_equal(a.ok_ids[0], 1);
    assert_int_equal(b.n_ok, 2);
    assert_int_equal(b.ok_ids[0], 2);
    assert_int_equal(b.ok_ids[1], 3);
    assert_int_equal(b.flushed, 0); /* alert_ops has no flush */
    dp_exporters_destroy(e);
    assert_int_equal(a.destroyed + b.destroyed, 2);
}

static void test_exporters_add_rejects_bad_arguments(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    dp_exporters *e = dp_exporters_create();
    static const dp_exporter_ops no_export = {.name = "x",
                                              .destroy = fake_destroy};
    assert_int_equal(dp_exporters_add(e, &no_export, &f, NULL, NULL),
                     DP_EINVAL);
    assert_int_equal(f.destroyed, 1); /* ownership was taken */
    assert_int_equal(dp_exporters_start(e), 0);
    assert_int_equal(dp_exporters_add(e, &fake_ops, &f, NULL, NULL), DP_EINVAL);
    assert_int_equal(f.destroyed, 2);
    assert_int_equal(dp_exporters_start(e), DP_EINVAL);
    dp_exporters_destroy(e);
    dp_exporters_destroy(NULL);
}

/* Profiles with a span count, for the loss accounting. The test keeps a
 * reference to each record, so the pipeline never frees its profile;
 * release_profiles() drops those references at the end. */
#define N_HELD 64
static dp_record *held[N_HELD];
static dp_profile held_profile[N_HELD];

static dp_record *profile_rec(int id, uint64_t spans)
{
    assert_true(id >= 0 && id < N_HELD);
    dp_record *r = rec(id, DP_RECORD_PROFILE);
    memset(&held_profile[id], 0, sizeof(held_profile[id]));
    held_profile[id].span_count = spans;
    r->profile = &held_profile[id];
    held[id] = r;
    return r;
}

static void release_profiles(void)
{
    for (int i = 0; i < N_HELD; i++) {
        if (!held[i])
            continue;
        held[i]->profile = NULL;
        dp_record_unref(held[i]);
        held[i] = NULL;
    }
}

/* Submits from another thread, so a submit that blocks can be watched. */
struct submitter {
    dp_exporters *e;
    int first, n;
    uint64_t spans;
    size_t taken;
    pthread_t thread;
};

static void *submit_main(void *arg)
{
    struct submitter *s = arg;
    for (int i = s->first; i < s->first + s->n; i++)
        s->taken += dp_exporters_submit(s->e, profile_rec(i, s->spans));
    return NULL;
}

static void start_submitter(struct submitter *s, dp_exporters *e, int first,
                            int n, uint64_t spans)
{
    memset(s, 0, sizeof(*s));
    s->e = e;
    s->first = first;
    s->n = n;
    s->spans = spans;
    assert_int_equal(pthread_create(&s->thread, NULL, submit_main, s), 0);
}

/* on_full block: a submit into a full queue waits for room instead of
 * dropping; every record is delivered, in order, and the wait is timed. */
static void test_exporters_block_waits_for_room(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.gate_closed = true;
    dp_exporter_policy p = policy(2, 1, 5, 0);
    p.on_full = DP_ON_FULL_BLOCK;
    dp_exporters *e = start_one(&f, &p, NULL);
    assert_int_equal(stats(e, 0).on_full, DP_ON_FULL_BLOCK);
    struct submitter sub;
    start_submitter(&sub, e, 0, 8, 3);
    wait_calls(&f, 1); /* record 0 in flight, 1 and 2 queued, 3 waits */
    for (int i = 0; i < 1000 && stats(e, 0).queued < 2; i++)
        sleep_ns(MS);
    sleep_ns(50 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(s.queued, 2);
    assert_int_equal(s.dropped, 0);
    assert_int_equal(s.waiting, 1);
    assert_int_equal(fake_calls(&f), 1);
    open_gate(&f);
    pthread_join(sub.thread, NULL);
    assert_int_equal(sub.taken, 8);
    dp_exporters_shutdown(e, 2000 * MS);
    s = stats(e, 0);
    assert_int_equal(s.exported, 8);
    assert_int_equal(s.dropped, 0);
    assert_true(s.blocked_ns >= 40 * MS);
    for (int i = 0; i < 8; i++)
        assert_int_equal(f.ok_ids[i], i);
    dp_exporters_destroy(e);
    release_profiles();
}

/* Drops are counted by kind, with the spans of dropped profiles. */
static void test_exporters_drop_counts_kind_and_spans(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.gate_closed = true;
    dp_exporter_policy p = policy(2, 1, 5, 0);
    dp_exporters *e = start_one(&f, &p, NULL);
    assert_int_equal(dp_exporters_submit(e, profile_rec(0, 10)), 1);
    wait_calls(&f, 1);
    assert_int_equal(dp_exporters_submit(e, profile_rec(1, 20)), 1);
    submit(e, 100, DP_RECORD_ALERT, 1);
    /* Full: each of these pushes the oldest out (1, the alert, then 2). */
    assert_int_equal(dp_exporters_submit(e, profile_rec(2, 40)), 1);
    assert_int_equal(dp_exporters_submit(e, profile_rec(3, 80)), 1);
    assert_int_equal(dp_exporters_submit(e, profile_rec(4, 160)), 1);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(s.dropped_full, 3);
    assert_int_equal(s.dropped_profiles, 2);
    assert_int_equal(s.dropped_alerts, 1);
    assert_int_equal(s.dropped_spans, 60);
    assert_int_equal(s.shutdown_profiles, 0);
    open_gate(&f);
    dp_exporters_shutdown(e, 2000 * MS);
    assert_int_equal(stats(e, 0).exported, 3);
    dp_exporters_destroy(e);
    release_profiles();
}

/* A thread stuck inside export() past the deadline is waited for one more
 * second, then left behind: shutdown returns, the record in flight is
 * counted as lost, and destroy frees the exporter only once its thread
 * has finished. */
static void test_exporters_stuck_thread_left_behind(void **state)
{
    (void)state;
    static struct fake f; /* outlives the test's frame while stuck */
    fake_init(&f);
    f.gate_closed = true;
    dp_exporter_policy p = policy(4, 1, 5, 0);
    p.on_full = DP_ON_FULL_BLOCK;
    dp_exporters *e = start_one(&f, &p, NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(dp_exporters_submit(e, profile_rec(i, 11)), 1);
    wait_calls(&f, 1);
    uint64_t t0 = dp_exporters_now_ns();
    dp_exporters_shutdown(e, 200 * MS);
    uint64_t took = dp_exporters_now_ns() - t0;
    assert_true(took >= 1150 * MS && took < 2500 * MS);
    dp_exporter_stats s = stats(e, 0);
    assert_true(s.left_behind);
    assert_int_equal(s.exported, 0);
    assert_int_equal(s.dropped_shutdown, 3);
    assert_int_equal(s.shutdown_spans, 33);
    /* Let the stuck call return; its late result is not counted. */
    open_gate(&f);
    for (int i = 0; i < 5000 && !f.flushed; i++)
        sleep_ns(MS);
    sleep_ns(20 * MS);
    s = stats(e, 0);
    assert_int_equal(s.exported, 0);
    assert_int_equal(s.dropped_shutdown, 3);
    dp_exporters_destroy(e);
    assert_int_equal(f.destroyed, 1);
    release_profiles();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exporters_queue_full_drops_oldest),
        cmocka_unit_test(test_exporters_retry_backoff_doubles),
        cmocka_unit_test(test_exporters_retry_jitter_within_bounds),
        cmocka_unit_test(test_exporters_retry_gives_up_after_max_attempts),
        cmocka_unit_test(test_exporters_retry_gives_up_after_max_elapsed),
        cmocka_unit_test(test_exporters_retry_honours_destination_hint),
        cmocka_unit_test(test_exporters_error_dropped_not_retried),
        cmocka_unit_test(test_exporters_slow_exporter_blocks_nobody),
        cmocka_unit_test(test_exporters_shutdown_flushes_queued),
        cmocka_unit_test(test_exporters_shutdown_deadline_counts_dropped),
        cmocka_unit_test(test_exporters_kinds_route_records),
        cmocka_unit_test(test_exporters_add_rejects_bad_arguments),
        cmocka_unit_test(test_exporters_block_waits_for_room),
        cmocka_unit_test(test_exporters_drop_counts_kind_and_spans),
        cmocka_unit_test(test_exporters_stuck_thread_left_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
