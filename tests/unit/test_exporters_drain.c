/*
 * test_exporters_drain.c - unit tests for the shutdown drain of
 * exporter/exporters.c: once dp_exporters_drain_begin() is called, every
 * queue takes the whole burst, so no exporter paces the hand-off to the
 * others. A slow exporter beside a fast one: the fast one delivers
 * everything, the slow one's leftovers at the deadline are counted as
 * dropped (with their spans, and logged under its name), shutdown returns
 * within the deadline plus the call in flight, and a record is freed (its
 * on_free hook: the write-ahead log's release) only once both are done
 * with it. Also: a dead destination's backlog counted as lost at the
 * deadline (not pushed out as "queue full"), a submitter blocked on a full
 * queue released by the drain, and a submit past the deadline counted.
 * Every wait is a bounded poll.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporters.h"

#define MS 1000000ULL
#define MAX_IDS 256

struct fake {
    pthread_mutex_t lock;
    int status;        /* what export() returns */
    uint64_t sleep_ns; /* each export() takes this long */
    bool gate_closed;  /* export() waits while set (at most 5 s) */
    size_t calls;
    int ok_ids[MAX_IDS];
    size_t n_ok;
    int flushed;
};

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL),
                          (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

static int fake_export(void *ctx, const dp_record *r)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->lock);
    f->calls++;
    pthread_mutex_unlock(&f->lock);
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&f->lock);
        bool closed = f->gate_closed;
        pthread_mutex_unlock(&f->lock);
        if (!closed)
            break;
        sleep_ns(MS);
    }
    if (f->sleep_ns)
        sleep_ns(f->sleep_ns);
    pthread_mutex_lock(&f->lock);
    int st = f->status;
    if (st == DP_EXPORTER_OK && f->n_ok < MAX_IDS)
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

static const dp_exporter_ops fast_ops = {.name = "fast",
                                         .export = fake_export,
                                         .flush = fake_flush,
                                         .kinds = 1u << DP_RECORD_PROFILE};
static const dp_exporter_ops slow_ops = {.name = "slow",
                                         .export = fake_export,
                                         .flush = fake_flush,
                                         .kinds = 1u << DP_RECORD_PROFILE};

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    f->status = DP_EXPORTER_OK;
}

static size_t fake_calls(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->calls;
    pthread_mutex_unlock(&f->lock);
    return n;
}

static void open_gate(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    f->gate_closed = false;
    pthread_mutex_unlock(&f->lock);
}

/* Records whose profile is a static one with a span count. on_free (what
 * serve uses to release the write-ahead log) counts the frees and detaches
 * the static profile before dp_record_unref would free it. */
static dp_profile profiles[MAX_IDS];
static atomic_int freed;
static atomic_int freed_twice;
static atomic_bool freed_id[MAX_IDS];

static void on_free(void *arg)
{
    dp_record *r = arg;
    int id = atoi(r->json);
    if (atomic_exchange(&freed_id[id], true))
        atomic_fetch_add(&freed_twice, 1);
    r->profile = NULL;
    atomic_fetch_add(&freed, 1);
}

static dp_record *profile_rec(int id, uint64_t spans)
{
    assert_true(id >= 0 && id < MAX_IDS);
    dp_record *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_PROFILE;
    char s[16];
    snprintf(s, sizeof(s), "%d", id);
    r->json = strdup(s);
    r->json_len = strlen(s);
    memset(&profiles[id], 0, sizeof(profiles[id]));
    profiles[id].span_count = spans;
    r->profile = &profiles[id];
    r->on_free = on_free;
    r->on_free_arg = r;
    return r;
}

static void reset_frees(void)
{
    atomic_store(&freed, 0);
    atomic_store(&freed_twice, 0);
    for (int i = 0; i < MAX_IDS; i++)
        atomic_store(&freed_id[i], false);
}

/* Submits and drops the caller's reference, as serve's on_profile does. */
static size_t submit(dp_exporters *e, int id, uint64_t spans)
{
    dp_record *r = profile_rec(id, spans);
    size_t taken = dp_exporters_submit(e, r);
    dp_record_unref(r);
    return taken;
}

static dp_exporter_policy policy(size_t queue, int on_full)
{
    dp_exporter_policy p;
    dp_exporter_policy_init(&p);
    p.queue_size = queue;
    p.max_attempts = 1000;
    p.initial_backoff_ns = 20 * MS;
    p.max_backoff_ns = 50 * MS;
    p.max_elapsed_ns = 0;
    p.jitter = 0;
    p.on_full = on_full;
    return p;
}

static dp_exporter_stats stats(dp_exporters *e, size_t i)
{
    dp_exporter_stats s;
    dp_exporters_stats_get(e, i, &s);
    return s;
}

/* stderr into a file while the pipeline shuts down; returns the text. */
static char log_text[16384];

static uint64_t shutdown_logged(dp_exporters *e, uint64_t timeout_ns)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/dp-drain-%ld.txt", (long)getpid());
    fflush(stderr);
    int saved = dup(fileno(stderr));
    assert_non_null(freopen(path, "w", stderr));
    uint64_t t0 = dp_exporters_now_ns();
    dp_exporters_shutdown(e, timeout_ns);
    uint64_t took = dp_exporters_now_ns() - t0;
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(log_text, 1, sizeof(log_text) - 1, f);
    log_text[n] = '\0';
    fclose(f);
    unlink(path);
    return took;
}

/* The SIGTERM case: a fast exporter (jsonl: on_full block) and a slow one
 * (history: on_full drop, 40 ms a record) with small queues. The burst
 * submitted after the drain begins is taken at once by both; the fast one
 * delivers all of it long before the deadline, in order, while the slow
 * one works through its share; records it has not delivered are not freed
 * yet. At the deadline the slow one's leftovers are dropped, counted with
 * their spans and logged under its name; shutdown returns within the call
 * in flight; every record is freed exactly once. */
static void test_drain_slow_exporter_paces_nobody(void **state)
{
    (void)state;
    enum { N = 60, SPANS = 3 };
    struct fake fast, slow;
    fake_init(&fast);
    fake_init(&slow);
    slow.sleep_ns = 40 * MS;
    reset_frees();
    dp_exporters *e = dp_exporters_create();
    dp_exporter_policy pf = policy(4, DP_ON_FULL_BLOCK);
    dp_exporter_policy ps = policy(4, DP_ON_FULL_DROP);
    assert_int_equal(dp_exporters_add(e, &fast_ops, &fast, &pf, NULL), 0);
    assert_int_equal(dp_exporters_add(e, &slow_ops, &slow, &ps, NULL), 0);
    assert_int_equal(dp_exporters_start(e), 0);

    uint64_t t0 = dp_exporters_now_ns();
    uint64_t deadline = t0 + 600 * MS;
    dp_exporters_drain_begin(e, deadline);
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(e, i, SPANS), 2);
    /* Nobody waited: both queues took the burst past queue_size. */
    assert_int_equal(stats(e, 0).blocked_ns, 0);
    assert_int_equal(stats(e, 1).blocked_ns, 0);
    assert_true(stats(e, 1).queued > 4);

    for (int i = 0; i < 5000 && stats(e, 0).exported < N; i++)
        sleep_ns(MS);
    uint64_t fast_done = dp_exporters_now_ns();
    assert_int_equal(stats(e, 0).exported, N);
    /* Before the slow one could have done a third of its share. */
    assert_true(fast_done < deadline);
    dp_exporter_stats s = stats(e, 1);
    assert_true(s.exported < N / 3);
    /* The write-ahead log would keep these: only records the slow one has
     * also delivered are freed. */
    int freed_now = atomic_load(&freed);
    assert_true((uint64_t)freed_now <= stats(e, 1).exported);

    shutdown_logged(e, 5000 * MS); /* the drain's deadline comes first */
    uint64_t end = dp_exporters_now_ns();
    /* Returns at the deadline plus what remains of the call in flight,
     * well within the one-second grace for a stuck thread. */
    assert_true(end >= deadline);
    assert_true(end < deadline + 500 * MS);

    dp_exporter_stats f = stats(e, 0);
    assert_int_equal(f.exported, N);
    assert_int_equal(f.dropped, 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(fast.ok_ids[i], i);
    assert_int_equal(fast.flushed, 1);

    s = stats(e, 1);
    assert_false(s.left_behind);
    assert_true(s.exported >= 2);
    assert_true(s.dropped_shutdown >= 1);
    assert_int_equal(s.exported + s.dropped_shutdown, N);
    assert_int_equal(s.dropped, s.dropped_shutdown); /* nothing pushed out */
    assert_int_equal(s.dropped_full, 0);
    assert_int_equal(s.shutdown_profiles, s.dropped_shutdown);
    assert_int_equal(s.shutdown_spans, SPANS * s.dropped_shutdown);
    assert_int_equal(s.queued, 0);
    for (size_t i = 0; i < slow.n_ok; i++) /* delivered in order */
        assert_int_equal(slow.ok_ids[i], (int)i);
    assert_int_equal(slow.flushed, 1);
    /* The loss is logged under the slow exporter's name, not the other's. */
    assert_non_null(strstr(log_text, "slow: "));
    assert_non_null(strstr(log_text, "shutdown deadline"));
    assert_null(strstr(log_text, "fast: "));

    assert_int_equal(atomic_load(&freed), N);
    assert_int_equal(atomic_load(&freed_twice), 0);
    dp_exporters_destroy(e);
}

/* A dead destination (every call RETRY) beside a fast one: during the
 * drain its queue keeps the burst instead of pushing the oldest out, its
 * retries end at the deadline, and everything it holds then is counted as
 * lost at shutdown, while the fast one delivered all. */
static void test_drain_dead_destination_counted_at_deadline(void **state)
{
    (void)state;
    enum { N = 40 };
    struct fake fast, dead;
    fake_init(&fast);
    fake_init(&dead);
    dead.status = DP_EXPORTER_RETRY;
    reset_frees();
    dp_exporters *e = dp_exporters_create();
    dp_exporter_policy p = policy(4, DP_ON_FULL_DROP);
    assert_int_equal(dp_exporters_add(e, &fast_ops, &fast, &p, NULL), 0);
    assert_int_equal(dp_exporters_add(e, &slow_ops, &dead, &p, NULL), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    assert_int_equal(submit(e, 0, 5), 2);
    for (int i = 0; i < 5000 && fake_calls(&dead) < 2; i++)
        sleep_ns(MS); /* failing: retrying record 0 */
    dp_exporters_drain_begin(e, dp_exporters_now_ns() + 300 * MS);
    for (int i = 1; i < N; i++)
        assert_int_equal(submit(e, i, 5), 2);
    uint64_t took = shutdown_logged(e, 5000 * MS);
    assert_true(took < 1000 * MS);
    dp_exporter_stats a = stats(e, 0), b = stats(e, 1);
    assert_int_equal(a.exported, N);
    assert_int_equal(a.dropped, 0);
    assert_int_equal(b.exported, 0);
    assert_int_equal(b.dropped_full, 0);
    assert_int_equal(b.dropped_shutdown, N);
    assert_int_equal(b.shutdown_spans, 5 * N);
    assert_true(b.retries >= 2);
    assert_non_null(strstr(log_text, "slow: "));
    assert_int_equal(atomic_load(&freed), N);
    dp_exporters_destroy(e);
}

/* Submits from another thread, so a submit that blocks can be watched. */
struct submitter {
    dp_exporters *e;
    int first, n;
    size_t taken;
    pthread_t thread;
};

static void *submit_main(void *arg)
{
    struct submitter *s = arg;
    for (int i = s->first; i < s->first + s->n; i++)
        s->taken += submit(s->e, i, 2);
    return NULL;
}

/* While running, a blocking exporter's full queue holds the submitter
 * (backpressure, unchanged); the drain releases it: its records are all
 * queued before the destination moves, then delivered. */
static void test_drain_releases_blocked_submitter(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.gate_closed = true;
    reset_frees();
    dp_exporters *e = dp_exporters_create();
    dp_exporter_policy p = policy(2, DP_ON_FULL_BLOCK);
    assert_int_equal(dp_exporters_add(e, &fast_ops, &f, &p, NULL), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    struct submitter sub = {.e = e, .first = 0, .n = 10};
    assert_int_equal(pthread_create(&sub.thread, NULL, submit_main, &sub), 0);
    /* Settled: 0 in flight, 1 and 2 queued, 3 waiting for room. */
    for (int i = 0;
         i < 5000 && (fake_calls(&f) < 1 || stats(e, 0).waiting < 1 ||
                      stats(e, 0).queued < 2);
         i++)
        sleep_ns(MS);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(s.waiting, 1);
    assert_int_equal(s.queued, 2);
    dp_exporters_drain_begin(e, dp_exporters_now_ns() + 3000 * MS);
    pthread_join(sub.thread, NULL); /* returns with the gate still shut */
    assert_int_equal(sub.taken, 10);
    s = stats(e, 0);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.queued, 9);
    assert_int_equal(s.exported, 0);
    open_gate(&f);
    dp_exporters_shutdown(e, 3000 * MS);
    s = stats(e, 0);
    assert_int_equal(s.exported, 10);
    assert_int_equal(s.dropped, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(f.ok_ids[i], i);
    assert_int_equal(atomic_load(&freed), 10);
    dp_exporters_destroy(e);
}

/* A submit past the drain deadline (before dp_exporters_shutdown) is not
 * queued: it is counted as lost at shutdown, with its spans, and freed. */
static void test_drain_submit_past_deadline_counted(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    reset_frees();
    dp_exporters *e = dp_exporters_create();
    dp_exporter_policy p = policy(8, DP_ON_FULL_BLOCK);
    assert_int_equal(dp_exporters_add(e, &fast_ops, &f, &p, NULL), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    assert_int_equal(submit(e, 0, 4), 1);
    for (int i = 0; i < 5000 && stats(e, 0).exported < 1; i++)
        sleep_ns(MS);
    dp_exporters_drain_begin(e, dp_exporters_now_ns() + 20 * MS);
    sleep_ns(40 * MS);
    assert_int_equal(submit(e, 1, 7), 0);
    dp_exporter_stats s = stats(e, 0);
    assert_int_equal(s.dropped_shutdown, 1);
    assert_int_equal(s.shutdown_spans, 7);
    dp_exporters_shutdown(e, 1000 * MS);
    s = stats(e, 0);
    assert_int_equal(s.exported, 1);
    assert_int_equal(s.dropped, 1);
    assert_int_equal(atomic_load(&freed), 2);
    dp_exporters_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_slow_exporter_paces_nobody),
        cmocka_unit_test(test_drain_dead_destination_counted_at_deadline),
        cmocka_unit_test(test_drain_releases_blocked_submitter),
        cmocka_unit_test(test_drain_submit_past_deadline_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
