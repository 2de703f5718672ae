/*
 * exporters.c - the exporter pipeline (see exporters.h).
 *
 * Each exporter is a ring of record pointers guarded by one mutex, two
 * condition variables (CLOCK_MONOTONIC) and a thread. `cv` wakes the
 * exporter thread (records queued, shutdown); `room` wakes submitters
 * blocked on a full queue (a slot freed, or a change they must see: the
 * drain, shutdown). The submitting thread only takes the mutex to push
 * (dropping the oldest, or waiting, when the queue is full); the exporter
 * thread pops one record at a time and runs it through the retry policy,
 * waiting out backoffs on `cv` so that shutdown can cut a wait short at
 * its deadline. Records are unref'd outside the lock: the last reference
 * may free a whole profile.
 *
 * The ring holds ring_cap slots: queue_size while running; once draining,
 * a full ring doubles instead of making the submitter wait, so that no
 * exporter paces the hand-off to the others at shutdown (the records are
 * shared, so a slot costs a pointer; the profiles are the ones finalized
 * from the traces in memory, a finite set). Only when that allocation
 * fails does a draining submitter wait for room, as a blocking one would.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporters.h"
#include "grow.h"
#include "log.h"

/* How long past the shutdown deadline a thread inside export() or flush()
 * is waited for before it is left behind. */
#define LEFT_BEHIND_GRACE_NS 1000000000ULL

struct exporter {
    const dp_exporter_ops *ops;
    void *ctx;
    dp_exporter_retry_after_fn retry_after;
    dp_exporter_policy policy;

    pthread_mutex_t lock;
    pthread_cond_t cv;   /* records queued, shutdown, or done */
    pthread_cond_t room; /* a slot freed, or a state change for submitters */
    dp_record **ring;
    size_t ring_cap; /* slots in ring: queue_size, more once draining */
    size_t head, count;
    uint64_t bytes;      /* dp_record_bytes of the queued records */
    dp_record *inflight; /* in export() or in a backoff wait */
    bool draining;       /* dp_exporters_drain_begin() was called */
    bool stopping, abandon, done, thread_started, left_behind;
    uint64_t deadline_ns; /* 0: none yet */
    uint64_t rng;
    dp_exporter_stats st;
    pthread_t thread;
};

struct dp_exporters {
    struct exporter **x;
    size_t n, cap;
    bool started, shut_down;
};

uint64_t dp_exporters_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *dp_on_full_name(int on_full)
{
    return on_full == DP_ON_FULL_BLOCK ? "block" : "drop";
}

int dp_on_full_parse(const char *s)
{
    if (s && strcmp(s, "block") == 0)
        return DP_ON_FULL_BLOCK;
    if (s && strcmp(s, "drop") == 0)
        return DP_ON_FULL_DROP;
    return DP_EINVAL;
}

void dp_exporter_policy_init(dp_exporter_policy *p)
{
    p->queue_size = 1024;
    p->queue_bytes = 64ULL << 20;
    p->max_attempts = 5;
    p->max_elapsed_ns = 60ULL * 1000000000ULL;
    p->initial_backoff_ns = 200ULL * 1000000ULL;
    p->max_backoff_ns = 10ULL * 1000000000ULL;
    p->jitter = 0.2;
    p->on_full = DP_ON_FULL_DROP;
}

/* xorshift64*: jitter only, not security. */
static double next_unit(struct exporter *x)
{
    x->rng ^= x->rng >> 12;
    x->rng ^= x->rng << 25;
    x->rng ^= x->rng >> 27;
    return (double)((x->rng * 2685821657736338717ULL) >> 11) /
           9007199254740992.0;
}

/* The wait before attempt `attempt + 1`: initial x 2^(attempt-1), capped,
 * scaled by a random factor in [1 - jitter, 1 + jitter]. */
static uint64_t backoff_ns(struct exporter *x, uint32_t attempt)
{
    const dp_exporter_policy *p = &x->policy;
    double d = (double)p->initial_backoff_ns;
    for (uint32_t i = 1; i < attempt && d < (double)p->max_backoff_ns; i++)
        d *= 2;
    if (p->max_backoff_ns && d > (double)p->max_backoff_ns)
        d = (double)p->max_backoff_ns;
    if (p->jitter > 0)
        d *= 1.0 - p->jitter + 2.0 * p->jitter * next_unit(x);
    return d > 0 ? (uint64_t)d : 0;
}

static struct timespec abs_time(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL),
                          (long)(ns % 1000000000ULL)};
    return ts;
}

static bool past_deadline(const struct exporter *x, uint64_t now)
{
    return x->deadline_ns && now >= x->deadline_ns;
}

/* Logs the 1st, 2nd, 4th, 8th, ... drop of a kind, so a dead destination
 * is reported without flooding the log. */
static void log_drop(const struct exporter *x, uint64_t n, const char *why)
{
    if (n & (n - 1))
        return;
    dp_log_warn("exporter", "%s: dropped a record (%s); %llu so far",
                x->ops->name, why, (unsigned long long)n);
}

/* Counts r as dropped for `reason` (one of x->st.dropped_*), by kind and,
 * for a profile, with its spans. Called with the lock held. */
static void count_drop(struct exporter *x, const dp_record *r, uint64_t *reason,
                       const char *why)
{
    ++*reason;
    x->st.last_done_ns = dp_exporters_now_ns();
    if (r->kind == DP_RECORD_PROFILE) {
        uint64_t spans = r->profile ? r->profile->span_count : 0;
        x->st.dropped_profiles++;
        x->st.dropped_spans += spans;
        if (reason == &x->st.dropped_shutdown) {
            x->st.shutdown_profiles++;
            x->st.shutdown_spans += spans;
        }
    } else {
        x->st.dropped_alerts++;
    }
    log_drop(x, *reason, why);
}

/* Waits until `until` or, once a deadline is set, until it, whichever
 * comes first. Returns false when the deadline has passed (the record in
 * hand must be dropped). Called with the lock held. */
static bool wait_until(struct exporter *x, uint64_t until)
{
    for (;;) {
        uint64_t now = dp_exporters_now_ns();
        if (x->abandon || past_deadline(x, now))
            return false;
        uint64_t limit = until;
        if (x->deadline_ns && x->deadline_ns < limit)
            limit = x->deadline_ns;
        if (now >= limit)
            return true;
        struct timespec ts = abs_time(limit);
        pthread_cond_timedwait(&x->cv, &x->lock, &ts);
    }
}

/* Runs one record through export() and the retry policy. Called with the
 * lock held; releases it around each export() call. A record whose thread
 * was left behind meanwhile was already counted as lost. */
static void run_record(struct exporter *x, dp_record *r)
{
    const dp_exporter_policy *p = &x->policy;
    uint64_t first = dp_exporters_now_ns();
    x->inflight = r;
    for (uint32_t attempt = 1;; attempt++) {
        pthread_mutex_unlock(&x->lock);
        int st = x->ops->export(x->ctx, r);
        uint64_t hint = st == DP_EXPORTER_RETRY && x->retry_after
                            ? x->retry_after(x->ctx)
                            : 0;
        pthread_mutex_lock(&x->lock);
        if (x->left_behind)
            break;
        if (st == DP_EXPORTER_OK) {
            x->st.exported++;
            x->st.last_done_ns = dp_exporters_now_ns();
            break;
        }
        if (st != DP_EXPORTER_RETRY) {
            count_drop(x, r, &x->st.dropped_error, "destination refused it");
            break;
        }
        uint64_t now = dp_exporters_now_ns();
        if (x->abandon || past_deadline(x, now)) {
            count_drop(x, r, &x->st.dropped_shutdown, "shutdown deadline");
            break;
        }
        uint64_t delay = hint ? hint : backoff_ns(x, attempt);
        if (attempt >= p->max_attempts ||
            (p->max_elapsed_ns && now + delay - first > p->max_elapsed_ns)) {
            count_drop(x, r, &x->st.dropped_retries, "retries exhausted");
            break;
        }
        if (!wait_until(x, now + delay)) {
            count_drop(x, r, &x->st.dropped_shutdown, "shutdown deadline");
            break;
        }
        x->st.retries++;
    }
    x->inflight = NULL;
}

static void *exporter_main(void *arg)
{
    struct exporter *x = arg;
    if (x->ops->thread_start)
        x->ops->thread_start(x->ctx);
    pthread_mutex_lock(&x->lock);
    for (;;) {
        while (x->count == 0 && !x->stopping)
            pthread_cond_wait(&x->cv, &x->lock);
        if (x->count == 0 || x->abandon)
            break;
        dp_record *r = x->ring[x->head];
        x->head = (x->head + 1) % x->ring_cap;
        x->count--;
        x->bytes -= dp_record_bytes(r);
        pthread_cond_signal(&x->room);
        if (past_deadline(x, dp_exporters_now_ns()))
            count_drop(x, r, &x->st.dropped_shutdown, "shutdown deadline");
        else
            run_record(x, r);
        pthread_mutex_unlock(&x->lock);
        dp_record_unref(r);
        pthread_mutex_lock(&x->lock);
    }
    pthread_mutex_unlock(&x->lock);
    if (x->ops->flush)
        x->ops->flush(x->ctx);
    pthread_mutex_lock(&x->lock);
    x->done = true;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->lock);
    return NULL;
}

static void exporter_free(struct exporter *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->count; i++)
        dp_record_unref(x->ring[(x->head + i) % x->ring_cap]);
    if (x->ops->destroy)
        x->ops->destroy(x->ctx);
    pthread_cond_destroy(&x->cv);
    pthread_cond_destroy(&x->room);
    pthread_mutex_destroy(&x->lock);
    free(x->ring);
    free(x);
}

dp_exporters *dp_exporters_create(void)
{
    return calloc(1, sizeof(dp_exporters));
}

int dp_exporters_add(dp_exporters *e, const dp_exporter_ops *ops, void *ctx,
                     const dp_exporter_policy *policy,
                     dp_exporter_retry_after_fn retry_after)
{
    if (!e || !ops || !ops->export || e->started) {
        if (ops && ops->destroy)
            ops->destroy(ctx);
        return DP_EINVAL;
    }
    struct exporter *x = calloc(1, sizeof(*x));
    if (!x)
        goto nomem;
    x->ops = ops;
    x->ctx = ctx;
    x->retry_after = retry_after;
    if (policy)
        x->policy = *policy;
    else
        dp_exporter_policy_init(&x->policy);
    if (x->policy.queue_size < 1)
        x->policy.queue_size = 1;
    if (x->policy.max_attempts < 1)
        x->policy.max_attempts = 1;
    x->st.name = ops->name;
    x->st.on_full = x->policy.on_full;
    x->rng = (dp_exporters_now_ns() ^ ((uint64_t)(uintptr_t)x << 16)) | 1;
    x->ring_cap = x->policy.queue_size;
    x->ring = calloc(x->ring_cap, sizeof(*x->ring));
    if (!x->ring)
        goto nomem;
    pthread_mutex_init(&x->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&x->cv, &ca);
    pthread_cond_init(&x->room, &ca);
    pthread_condattr_destroy(&ca);
    if (dp_grow(&e->x, e->n, &e->cap, sizeof(*e->x), 4)) {
        exporter_free(x);
        return DP_ENOMEM;
    }
    e->x[e->n++] = x;
    return 0;
nomem:
    if (x)
        free(x);
    if (ops->destroy)
        ops->destroy(ctx);
    return DP_ENOMEM;
}

int dp_exporters_start(dp_exporters *e)
{
    if (!e || e->started)
        return DP_EINVAL;
    e->started = true;
    for (size_t i = 0; i < e->n; i++) {
        struct exporter *x = e->x[i];
        if (pthread_create(&x->thread, NULL, exporter_main, x) != 0) {
            dp_log_error("exporter", "%s: cannot start its thread",
                         x->ops->name);
            dp_exporters_shutdown(e, 0);
            return DP_EIO;
        }
        x->thread_started = true;
    }
    return 0;
}

/* Doubles x's ring, keeping the queued records in order. Lock held.
 * Returns false when out of memory. */
static bool ring_grow(struct exporter *x)
{
    if (x->ring_cap > SIZE_MAX / 2 / sizeof(*x->ring))
        return false;
    size_t cap = x->ring_cap * 2;
    dp_record **ring = malloc(cap * sizeof(*ring));
    if (!ring)
        return false;
    for (size_t k = 0; k < x->count; k++)
        ring[k] = x->ring[(x->head + k) % x->ring_cap];
    free(x->ring);
    x->ring = ring;
    x->ring_cap = cap;
    x->head = 0;
    return true;
}

/* Whether r fits in x's queue now: within queue_size and queue_bytes
 * while running (one record always fits); while draining, always, the
 * ring growing as needed (false only when that allocation fails). Lock
 * held. */
static bool has_room(struct exporter *x, uint64_t rbytes)
{
    if (x->draining)
        return x->count < x->ring_cap || ring_grow(x);
    return x->count < x->policy.queue_size &&
           (!x->count || !x->policy.queue_bytes ||
            x->bytes + rbytes <= x->policy.queue_bytes);
}

/* Queues a reference to r on one exporter (see dp_exporters_submit).
 * Returns whether it was queued. */
static bool submit_one(struct exporter *x, dp_record *r)
{
    /* Records pushed out, unref'd once the lock is released (more than
     * one when the byte limit needs room for a large record). */
    dp_record *victims[8];
    size_t n_victims = 0;
    uint64_t blocked_since = 0;
    bool queued = false;
    uint64_t rbytes = dp_record_bytes(r);
    pthread_mutex_lock(&x->lock);
    for (;;) {
        uint64_t now = dp_exporters_now_ns();
        if (x->stopping || x->abandon) {
            count_drop(x, r, &x->st.dropped_shutdown,
                       "submitted after shutdown");
            break;
        }
        if (past_deadline(x, now)) {
            count_drop(x, r, &x->st.dropped_shutdown,
                       "submitted past the shutdown deadline");
            break;
        }
        if (has_room(x, rbytes)) {
            x->ring[(x->head + x->count) % x->ring_cap] = dp_record_ref(r);
            x->count++;
            x->bytes += rbytes;
            pthread_cond_signal(&x->cv);
            queued = true;
            break;
        }
        /* Full while running: a drop exporter pushes its oldest record
         * out; a blocking one (or a draining one out of memory) waits. */
        if (!x->draining && x->policy.on_full != DP_ON_FULL_BLOCK) {
            dp_record *victim = x->ring[x->head];
            x->head = (x->head + 1) % x->ring_cap;
            x->count--;
            x->bytes -= dp_record_bytes(victim);
            count_drop(x, victim, &x->st.dropped_full,
                       "queue full, oldest dropped");
            if (n_victims == sizeof(victims) / sizeof(victims[0]))
                dp_record_unref(victim); /* rare: under the lock */
            else
                victims[n_victims++] = victim;
            continue;
        }
        if (!blocked_since) {
            blocked_since = now;
            x->st.waiting++;
        }
        if (x->deadline_ns) {
            struct timespec ts = abs_time(x->deadline_ns);
            pthread_cond_timedwait(&x->room, &x->lock, &ts);
        } else {
            pthread_cond_wait(&x->room, &x->lock);
        }
    }
    if (blocked_since) {
        x->st.blocked_ns += dp_exporters_now_ns() - blocked_since;
        x->st.waiting--;
    }
    pthread_mutex_unlock(&x->lock);
    for (size_t v = 0; v < n_victims; v++)
        dp_record_unref(victims[v]);
    return queued;
}

size_t dp_exporters_submit(dp_exporters *e, dp_record *r)
{
    size_t taken = 0;
    if (!e || !r)
        return 0;
    for (size_t i = 0; i < e->n; i++) {
        struct exporter *x = e->x[i];
        if (x->ops->kinds & (1u << r->kind))
            taken += submit_one(x, r);
    }
    return taken;
}

/* Tells x's exporter its deadline (ops->deadline), without the lock. */
static void tell_deadline(struct exporter *x, uint64_t deadline_ns)
{
    if (x->ops->deadline)
        x->ops->deadline(x->ctx, deadline_ns);
}

void dp_exporters_drain_begin(dp_exporters *e, uint64_t deadline_ns)
{
    for (size_t i = 0; e && i < e->n; i++) {
        struct exporter *x = e->x[i];
        pthread_mutex_lock(&x->lock);
        x->draining = true;
        if (!x->deadline_ns || deadline_ns < x->deadline_ns)
            x->deadline_ns = deadline_ns ? deadline_ns : 1;
        uint64_t d = x->deadline_ns;
        pthread_cond_broadcast(&x->cv);
        pthread_cond_broadcast(&x->room);
        pthread_mutex_unlock(&x->lock);
        tell_deadline(x, d);
    }
}

/* Once x's thread has finished or was left behind: what its exporter
 * accepted but did not deliver (ops->unsaved) is moved from exported to
 * lost at shutdown, and logged. */
static void count_unsaved(struct exporter *x)
{
    uint64_t spans = 0;
    uint64_t n = x->ops->unsaved ? x->ops->unsaved(x->ctx, &spans) : 0;
    if (!n)
        return;
    pthread_mutex_lock(&x->lock);
    x->st.exported -= n < x->st.exported ? n : x->st.exported;
    x->st.dropped_shutdown += n;
    x->st.dropped_profiles += n;
    x->st.dropped_spans += spans;
    x->st.shutdown_profiles += n;
    x->st.shutdown_spans += spans;
    pthread_mutex_unlock(&x->lock);
    dp_log_error("exporter",
                 "%s: %llu profile(s) it had taken were not stored by the "
                 "shutdown deadline: lost",
                 x->ops->name, (unsigned long long)n);
}

/* Past the deadline: drops (and counts) what x still has queued, tells its
 * thread to stop after the call in flight. Lock held; the records to unref
 * are returned in *late (malloc'd), their number in *n_late. */
static void abandon_queue(struct exporter *x, dp_record ***late, size_t *n_late)
{
    x->abandon = true;
    *n_late = x->count;
    *late = malloc((*n_late ? *n_late : 1) * sizeof(**late));
    if (*late) {
        for (size_t k = 0; k < *n_late; k++) {
            dp_record *r = x->ring[(x->head + k) % x->ring_cap];
            (*late)[k] = r;
            count_drop(x, r, &x->st.dropped_shutdown, "shutdown deadline");
        }
        x->count = 0;
        x->bytes = 0;
    } else {
        *n_late = 0; /* out of memory: exporter_free unrefs them later */
    }
    pthread_cond_broadcast(&x->cv);
    pthread_cond_broadcast(&x->room);
}

void dp_exporters_shutdown(dp_exporters *e, uint64_t timeout_ns)
{
    if (!e || e->shut_down)
        return;
    e->shut_down = true;
    uint64_t deadline = dp_exporters_now_ns() + timeout_ns;
    for (size_t i = 0; i < e->n; i++) {
        struct exporter *x = e->x[i];
        pthread_mutex_lock(&x->lock);
        if (x->deadline_ns && x->deadline_ns < deadline)
            deadline = x->deadline_ns;
        pthread_mutex_unlock(&x->lock);
    }
    for (size_t i = 0; i < e->n; i++) {
        struct exporter *x = e->x[i];
        pthread_mutex_lock(&x->lock);
        x->stopping = true;
        x->deadline_ns = deadline;
        pthread_cond_broadcast(&x->cv);
        pthread_cond_broadcast(&x->room);
        pthread_mutex_unlock(&x->lock);
        tell_deadline(x, deadline);
    }
    for (size_t i = 0; i < e->n; i++) {
        struct exporter *x = e->x[i];
        dp_record **late = NULL;
        size_t n_late = 0;
        pthread_mutex_lock(&x->lock);
        if (x->thread_started) {
            struct timespec ts = abs_time(deadline);
            while (!x->done && dp_exporters_now_ns() < deadline)
                pthread_cond_timedwait(&x->cv, &x->lock, &ts);
        }
        /* Past the deadline (or never started): what is still queued is
         * dropped; the thread only finishes its call in flight. */
        if (!x->done || !x->thread_started)
            abandon_queue(x, &late, &n_late);
        pthread_mutex_unlock(&x->lock);
        if (n_late)
            dp_log_warn("exporter",
                        "%s: %zu record(s) still queued at the "
                        "shutdown deadline were dropped",
                        x->ops->name, n_late);
        for (size_t k = 0; k < n_late; k++)
            dp_record_unref(late[k]);
        free(late);
    }
    uint64_t grace = deadline + LEFT_BEHIND_GRACE_NS;
    for (size_t i = 0; i < e->n; i++) {
        struct exporter *x = e->x[i];
        if (!x->thread_started) {
            if (x->ops->flush && e->started)
                x->ops->flush(x->ctx);
            if (e->started)
                count_unsaved(x);
            continue;
        }
        pthread_mutex_lock(&x->lock);
        struct timespec ts = abs_time(grace);
        while (!x->done && dp_exporters_now_ns() < grace)
            pthread_cond_timedwait(&x->cv, &x->lock, &ts);
        if (!x->done) {
            /* Stuck in export() or flush(): the process may exit without
             * it. Its record is lost; it never touches the counters again. */
            x->left_behind = x->st.left_behind = true;
            if (x->inflight)
                count_drop(x, x->inflight, &x->st.dropped_shutdown,
                           "left behind inside export()");
        }
        pthread_mutex_unlock(&x->lock);
        if (x->left_behind) {
            dp_log_error("exporter",
                         "%s: still inside an export or flush call %llu ms "
                         "after the shutdown deadline: left behind",
                         x->ops->name,
                         (unsigned long long)(LEFT_BEHIND_GRACE_NS / 1000000));
            pthread_detach(x->thread);
        } else {
            pthread_join(x->thread, NULL);
        }
        count_unsaved(x);
        x->thread_started = false;
    }
}

void dp_exporters_destroy(dp_exporters *e)
{
    if (!e)
        return;
    dp_exporters_shutdown(e, 10ULL * 1000000000ULL);
    for (size_t i = 0; i < e->n; i++) {
        struct exporter *x = e->x[i];
        if (x->left_behind) {
            pthread_mutex_lock(&x->lock);
            bool done = x->done;
            pthread_mutex_unlock(&x->lock);
            if (!done) /* its thread still uses it: left to process exit */
                continue;
        }
        exporter_free(x);
    }
    free(e->x);
    free(e);
}

size_t dp_exporters_count(const dp_exporters *e)
{
    return e ? e->n : 0;
}

void dp_exporters_stats_get(dp_exporters *e, size_t i, dp_exporter_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!e || i >= e->n)
        return;
    struct exporter *x = e->x[i];
    pthread_mutex_lock(&x->lock);
    *out = x->st;
    out->on_full = x->policy.on_full;
    out->queued = x->count;
    out->queued_bytes = x->bytes;
    out->dropped = x->st.dropped_full + x->st.dropped_error +
                   x->st.dropped_retries + x->st.dropped_shutdown;
    pthread_mutex_unlock(&x->lock);
}
