/*
 * pipeline.c - receivers -> shard threads hand-off (see pipeline.h).
 *
 * A batch (batch.h) holds copies of the spans of one request bound for one
 * shard. A shard's queue is a mutex-protected list of batches plus atomic
 * span and byte counts used for backpressure; the shard thread takes the
 * whole list at once and hands each processed batch back to the shard's
 * pool, where the next request for that shard picks it up (warm memory,
 * no malloc, no page faults).
 *
 * Refusals (UNAVAILABLE / 503 + Retry-After, all or nothing): a shard's
 * queue past queue_spans or queue_bytes, memory pressure set from outside
 * (dp_pipeline_set_memory_pressure: the RSS ceiling), shutdown. Each is
 * counted by reason.
 *
 * Span limit: each shard also counts, under its queue lock, the spans it
 * has queued per live trace id (struct span_counts, linear probing). A span
 * that would take its trace past processor.max_spans_per_trace is not
 * queued and is refused in the reply (partial success); the batch carries
 * the ids that reached the limit so the shard marks those traces truncated
 * (their profiles say span_limit) after adding the batch's spans. The shard
 * drops a trace's count when its processor finalizes it (on_finalized), or
 * when the processor reports a span of it late or could not take it
 * (ENOMEM): dropping a count only makes the check more permissive, and the
 * processor's own limit stays as the backstop.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "batch.h"
#include "otlp_decode.h"
#include "otlp_json_scan.h"
#include "otlp_wire.h"
#include "pipeline.h"

/* ---- span counts per live trace ---------------------------------------------
 */

struct span_count {
    uint8_t trace_id[16];
    uint64_t hash;
    uint64_t request; /* last request that had a span of it refused */
    uint32_t n;       /* spans queued (duplicates included) */
    bool used;
    bool truncated; /* reached the limit; the shard was told */
};

/* Open addressing, linear probing, at most half full; deletion shifts the
 * following run back, so there are no tombstones. Holds the traces live in
 * the shard's processor plus those only queued: bounded by its max_traces
 * plus queue_spans. */
struct span_counts {
    struct span_count *slots;
    size_t cap, n; /* cap: 0 or a power of two */
};

static uint64_t trace_hash(const uint8_t *id)
{
    uint64_t a, b;
    memcpy(&a, id, 8);
    memcpy(&b, id + 8, 8);
    uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static struct span_count *counts_find(const struct span_counts *c,
                                      const uint8_t *id)
{
    if (!c->n)
        return NULL;
    uint64_t h = trace_hash(id);
    size_t mask = c->cap - 1;
    for (size_t i = h & mask; c->slots[i].used; i = (i + 1) & mask)
        if (c->slots[i].hash == h && memcmp(c->slots[i].trace_id, id, 16) == 0)
            return &c->slots[i];
    return NULL;
}

static int counts_grow(struct span_counts *c)
{
    size_t cap = c->cap ? c->cap * 2 : 64;
    struct span_count *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return DP_ENOMEM;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->slots[i].used)
            continue;
        size_t j = c->slots[i].hash & (cap - 1);
        while (slots[j].used)
            j = (j + 1) & (cap - 1);
        slots[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

/* The entry of id, created with n = 0 when absent; NULL on ENOMEM. */
static struct span_count *counts_get(struct span_counts *c, const uint8_t *id)
{
    struct span_count *e = counts_find(c, id);
    if (e)
        return e;
    if ((c->n + 1) * 2 > c->cap && counts_grow(c))
        return NULL;
    uint64_t h = trace_hash(id);
    size_t mask = c->cap - 1, i = h & mask;
    while (c->slots[i].used)
        i = (i + 1) & mask;
    e = &c->slots[i];
    memset(e, 0, sizeof(*e));
    memcpy(e->trace_id, id, 16);
    e->hash = h;
    e->used = true;
    c->n++;
    return e;
}

static void counts_remove(struct span_counts *c, const uint8_t *id)
{
    struct span_count *e = counts_find(c, id);
    if (!e)
        return;
    size_t mask = c->cap - 1, i = (size_t)(e - c->slots), j = i;
    c->slots[i].used = false;
    c->n--;
    for (;;) {
        j = (j + 1) & mask;
        if (!c->slots[j].used)
            break;
        size_t k = c->slots[j].hash & mask; /* j's home slot */
        /* j stays unless its home lies cyclically outside (i, j]. */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        c->slots[i] = c->slots[j];
        c->slots[j].used = false;
        i = j;
    }
}

/* ---- shards ----------------------------------------------------------------
 */

struct shard {
    struct dp_pipeline *pl;
    size_t index;
    pthread_t thread;
    bool started;
    uv_loop_t loop;
    uv_async_t wake;
    int tfd; /* timerfd (CLOCK_MONOTONIC): the next deadline, to the ns */
    uv_poll_t tpoll; /* watches tfd on the shard loop */
    dp_processor *proc;

    pthread_mutex_t lock; /* guards queue_head/tail, stopping, stats, counts */
    dp_batch *queue_head, *queue_tail;
    struct span_counts counts; /* spans queued per live trace */
    bool stopping;
    atomic_size_t queued;
    atomic_size_t queued_bytes; /* dp_batch_bytes of the queued batches */
    dp_batch_pool pool;         /* emptied batches for this shard's requests */
    dp_processor_stats stats;   /* snapshot after each round */
};

struct dp_pipeline {
    dp_pipeline_config cfg;
    dp_pipeline_sink sink;
    void *user;
    struct shard *shards;
    size_t n_shards;
    atomic_bool refusing;
    atomic_bool memory_pressure; /* set by the RSS ceiling */
    atomic_uint_fast64_t requests, requests_refused, requests_invalid;
    atomic_uint_fast64_t refused_spans_full, refused_bytes_full;
    atomic_uint_fast64_t refused_memory;
    atomic_uint_fast64_t spans_received, spans_rejected;
    atomic_uint_fast64_t request_seq;
    uint32_t max_spans; /* processor.max_spans_per_trace, at least 1 */
};

static void on_profile(dp_profile *profile, void *user)
{
    struct shard *s = user;
    s->pl->sink(profile, s->pl->user);
}

/* The shard's processor finalized trace_id: forget its span count. */
static void on_finalized(const uint8_t trace_id[16], void *user)
{
    struct shard *s = user;
    pthread_mutex_lock(&s->lock);
    counts_remove(&s->counts, trace_id);
    pthread_mutex_unlock(&s->lock);
}

/* Arms the shard's timerfd for the processor's next deadline (grace or
 * idle timeout), and at least once a second to expire remembered late-window
 * ids. A timerfd rather than a libuv timer: those have 1 ms resolution, and
 * a profile is due the moment its grace ends. uv_hrtime() reads the same
 * CLOCK_MONOTONIC. */
static void shard_schedule(struct shard *s)
{
    uint64_t now = uv_hrtime();
    uint64_t wake = dp_processor_next_deadline(s->proc);
    if (wake > now + 1000000000ULL)
        wake = now + 1000000000ULL;
    if (wake <= now)
        wake = now + 1000; /* 0 would disarm it */
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = (time_t)(wake / 1000000000ULL);
    its.it_value.tv_nsec = (long)(wake % 1000000000ULL);
    timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void shard_snapshot(struct shard *s)
{
    pthread_mutex_lock(&s->lock);
    dp_processor_stats_get(s->proc, &s->stats);
    pthread_mutex_unlock(&s->lock);
}

static void shard_drain(struct shard *s)
{
    pthread_mutex_lock(&s->lock);
    dp_batch *b = s->queue_head;
    s->queue_head = s->queue_tail = NULL;
    pthread_mutex_unlock(&s->lock);
    while (b) {
        dp_batch *next = b->next;
        uint64_t now = uv_hrtime();
        for (size_t i = 0; i < b->n; i++) {
            int err = dp_processor_add_span(s->proc, &b->spans[i], now);
            if (err == DP_ELATE || err == DP_ENOMEM) {
                /* Not in a live trace: no finalization will drop its
                 * count. */
                pthread_mutex_lock(&s->lock);
                counts_remove(&s->counts, b->spans[i].trace_id);
                pthread_mutex_unlock(&s->lock);
            }
            if (err && err != DP_ELATE) {
                atomic_fetch_add(&s->pl->spans_rejected, 1);
                if (err != DP_EFULL && err != DP_EBADSPAN)
                    dp_log_warn("processor", "shard %zu: span dropped: %s",
                                s->index, dp_strerror(err));
            }
        }
        for (size_t i = 0; i < b->n_truncated; i++) {
            if (dp_processor_mark_truncated(s->proc, b->truncated[i]) == 0)
                continue; /* logged by the processor */
            char hex[33];
            dp_hex_encode(b->truncated[i], 16, hex);
            dp_log_warn("processor",
                        "trace %s: max_spans_per_trace (%u) reached after its "
                        "profile was emitted; further spans are refused",
                        hex, s->pl->max_spans);
        }
        atomic_fetch_sub(&s->queued, b->n);
        atomic_fetch_sub(&s->queued_bytes, b->queued_bytes);
        dp_batch_pool_put(&s->pool, b);
        b = next;
    }
}

static void on_timer(uv_poll_t *h, int status, int events)
{
    struct shard *s = h->data;
    uint64_t expirations;
    (void)status;
    (void)events;
    if (read(s->tfd, &expirations, sizeof(expirations)) < 0)
        return; /* spurious wake-up: the timer is still armed */
    dp_processor_tick(s->proc, uv_hrtime());
    shard_snapshot(s);
    shard_schedule(s);
}

static void on_close(uv_handle_t *h)
{
    (void)h;
}

static void on_wake(uv_async_t *a)
{
    struct shard *s = a->data;
    shard_drain(s);
    dp_processor_tick(s->proc, uv_hrtime());
    pthread_mutex_lock(&s->lock);
    bool stopping = s->stopping && !s->queue_head;
    pthread_mutex_unlock(&s->lock);
    if (stopping) {
        dp_processor_flush(s->proc, DP_INCOMPLETE_SHUTDOWN);
        shard_snapshot(s);
        uv_poll_stop(&s->tpoll);
        uv_close((uv_handle_t *)&s->tpoll, on_close);
        uv_close((uv_handle_t *)&s->wake, on_close);
        return;
    }
    shard_snapshot(s);
    shard_schedule(s);
}

static void *shard_main(void *arg)
{
    struct shard *s = arg;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* Emptied batches a shard keeps for reuse: enough for a few requests in
 * flight, a small share of its queue's byte limit. */
static size_t pool_bytes(const dp_pipeline_config *cfg)
{
    size_t max = 8u << 20;
    if (cfg->queue_bytes && cfg->queue_bytes / 8 < max)
        max = cfg->queue_bytes / 8;
    return max;
}

dp_pipeline *dp_pipeline_create(const dp_pipeline_config *cfg,
                                dp_pipeline_sink sink, void *user)
{
    dp_pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->cfg = *cfg;
    p->sink = sink;
    p->user = user;
    p->n_shards = cfg->shards ? cfg->shards : 1;
    p->shards = calloc(p->n_shards, sizeof(*p->shards));
    if (!p->shards) {
        free(p);
        return NULL;
    }
    dp_processor_config pc = cfg->processor;
    pc.max_traces = (pc.max_traces + p->n_shards - 1) / p->n_shards;
    pc.on_finalized = on_finalized;
    p->max_spans = pc.max_spans_per_trace == 0 ? 1
                   : pc.max_spans_per_trace > UINT32_MAX
                       ? UINT32_MAX
                       : (uint32_t)pc.max_spans_per_trace;
    for (size_t i = 0; i < p->n_shards; i++) {
        struct shard *s = &p->shards[i];
        s->pl = p;
        s->index = i;
        pthread_mutex_init(&s->lock, NULL);
        dp_batch_pool_init(&s->pool, pool_bytes(cfg));
        s->proc = dp_processor_create(&pc, on_profile, s);
        if (!s->proc || uv_loop_init(&s->loop) != 0) {
            dp_processor_destroy(s->proc);
            s->proc = NULL;
            dp_pipeline_destroy(p);
            return NULL;
        }
        s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (s->tfd < 0 || uv_poll_init(&s->loop, &s->tpoll, s->tfd) != 0) {
            dp_log_error("processor", "shard %zu: cannot create its timer", i);
            if (s->tfd >= 0)
                close(s->tfd);
            s->tfd = -1;
            uv_loop_close(&s->loop);
            dp_processor_destroy(s->proc);
            s->proc = NULL;
            dp_pipeline_destroy(p);
            return NULL;
        }
        s->tpoll.data = s;
        uv_async_init(&s->loop, &s->wake, on_wake);
        s->wake.data = s;
    }
    return p;
}

int dp_pipeline_start(dp_pipeline *p)
{
    for (size_t i = 0; i < p->n_shards; i++) {
        struct shard *s = &p->shards[i];
        uv_poll_start(&s->tpoll, UV_READABLE, on_timer);
        shard_schedule(s);
        if (pthread_create(&s->thread, NULL, shard_main, s) != 0)
            return DP_ENOMEM;
        s->started = true;
    }
    return 0;
}

/* ---- the export handler ----------------------------------------------------
 */

struct export_ctx {
    dp_pipeline *p;
    dp_batch **batches; /* one per shard, created on demand */
    int err;
    dp_export_result *result;
};

static size_t shard_of(const dp_pipeline *p, const uint8_t *trace_id)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 16; i++)
        h = (h ^ trace_id[i]) * 1099511628211ULL;
    return (size_t)(h % p->n_shards);
}

static int export_sink(void *user, const dp_span_in *span)
{
    struct export_ctx *x = user;
    if (span->end_ns < span->start_ns)
        return DP_EBADSPAN;
    size_t k = shard_of(x->p, span->trace_id);
    if (!x->batches[k]) {
        x->batches[k] = dp_batch_pool_get(&x->p->shards[k].pool);
        if (!x->batches[k]) {
            x->err = DP_ENOMEM;
            return DP_ENOMEM;
        }
    }
    int err = dp_batch_push(x->batches[k], span);
    if (err)
        x->err = err;
    return err;
}

/* What the span limit refused in one request, over all its shards. */
struct refusals {
    uint64_t request; /* request_seq, to count each trace once */
    uint64_t spans, traces;
    uint8_t first[16]; /* the first trace refused */
};

/* Called with the shard lock held, just before b is queued: counts b's spans
 * per trace and removes (keeping order) those that would take a trace past
 * max_spans, noting in b each trace that reaches it for the first time. A
 * span is kept when its count cannot be recorded (ENOMEM): the processor's
 * limit still holds. */
static void admit_spans(struct shard *s, dp_batch *b, struct refusals *r)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        const uint8_t *id = b->spans[i].trace_id;
        struct span_count *e = counts_get(&s->counts, id);
        if (e && e->n >= s->pl->max_spans) {
            if (!r->spans)
                memcpy(r->first, id, 16);
            r->spans++;
            if (e->request != r->request) {
                e->request = r->request;
                r->traces++;
            }
            if (!e->truncated && dp_batch_note_truncated(b, id) == 0)
                e->truncated = true;
            continue;
        }
        if (e)
            e->n++;
        if (k != i)
            b->spans[k] = b->spans[i];
        k++;
    }
    b->n = k;
}

static void export_error(void *user, const char *message)
{
    struct export_ctx *x = user;
    if (!x->result->error_message[0])
        snprintf(x->result->error_message, sizeof(x->result->error_message),
                 "%s", message);
}

/* Answers UNAVAILABLE (503 + Retry-After / gRPC UNAVAILABLE + RetryInfo). */
static void refuse(dp_pipeline *p, dp_export_result *result, const char *why)
{
    result->outcome = DP_EXPORT_UNAVAILABLE;
    result->retry_after_s = 1;
    snprintf(result->error_message, sizeof(result->error_message), "%s", why);
    atomic_fetch_add(&p->requests_refused, 1);
}

/* The refusal message when some shard's queue is already at a limit (the
 * request would be refused after decoding anyway, as it touches every
 * shard but the smallest), counted by reason; NULL when there is room. */
static const char *queues_full(dp_pipeline *p)
{
    for (size_t i = 0; i < p->n_shards; i++) {
        const struct shard *s = &p->shards[i];
        if (atomic_load(&s->queued) >= p->cfg.queue_spans) {
            atomic_fetch_add(&p->refused_spans_full, 1);
            return "processor queue full (processor.queue_spans); retry later";
        }
        if (p->cfg.queue_bytes &&
            atomic_load(&s->queued_bytes) >= p->cfg.queue_bytes) {
            atomic_fetch_add(&p->refused_bytes_full, 1);
            return "processor queue full (processor.queue_bytes); retry later";
        }
    }
    return NULL;
}

/* Hands a refused request's batches back to their shards' pools. */
static void release_batches(dp_pipeline *p, dp_batch **batches)
{
    for (size_t i = 0; i < p->n_shards; i++)
        dp_batch_pool_put(&p->shards[i].pool, batches[i]);
}

void dp_pipeline_export(void *user, int format, const uint8_t *body, size_t len,
                        dp_export_result *result)
{
    dp_pipeline *p = user;
    dp_batch *local[64];
    struct export_ctx x = {p, NULL, 0, result};
    dp_decode_ctx ctx;
    int err;

    atomic_fetch_add(&p->requests, 1);
    if (atomic_load(&p->refusing)) {
        refuse(p, result, "shutting down");
        return;
    }
    if (atomic_load_explicit(&p->memory_pressure, memory_order_relaxed)) {
        /* Before decoding: under the RSS ceiling a refusal costs nothing. */
        atomic_fetch_add(&p->refused_memory, 1);
        refuse(p, result, "memory limit (limits.max_rss) reached; retry later");
        return;
    }
    const char *full = queues_full(p);
    if (full) {
        /* Before decoding: overload costs as little as possible. */
        refuse(p, result, full);
        return;
    }
    x.batches =
        p->n_shards <= 64 ? local : calloc(p->n_shards, sizeof(*x.batches));
    if (!x.batches) {
        result->outcome = DP_EXPORT_INTERNAL;
        return;
    }
    memset(x.batches, 0, p->n_shards * sizeof(*x.batches));
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = export_sink;
    ctx.sink_user = &x;
    ctx.on_error = export_error;
    ctx.error_user = &x;
    ctx.where = format == DP_PAYLOAD_JSON ? "request (json)" : "request";
    if (format == DP_PAYLOAD_JSON)
        err = dp_otlp_json_scan(&ctx, (const char *)body, len);
    else
        err = dp_otlp_wire_decode(&ctx, body, len);

    if (err || x.err) {
        release_batches(p, x.batches);
        if (x.err == DP_ENOMEM) {
            result->outcome = DP_EXPORT_UNAVAILABLE;
            result->retry_after_s = 1;
            snprintf(result->error_message, sizeof(result->error_message),
                     "out of memory");
            atomic_fetch_add(&p->requests_refused, 1);
        } else {
            result->outcome = DP_EXPORT_BAD_DATA;
            if (!result->error_message[0])
                snprintf(result->error_message, sizeof(result->error_message),
                         "undecodable ExportTraceServiceRequest");
            atomic_fetch_add(&p->requests_invalid, 1);
        }
        goto out;
    }

    /* All or nothing: refuse the request if any shard it touches is full,
     * by spans or by bytes. An empty queue always takes one request. */
    for (size_t i = 0; i < p->n_shards && !full; i++) {
        const struct shard *s = &p->shards[i];
        const dp_batch *b = x.batches[i];
        if (!b || atomic_load(&s->queued) == 0)
            continue;
        if (atomic_load(&s->queued) + b->n > p->cfg.queue_spans) {
            full = "processor queue full (processor.queue_spans); retry later";
            atomic_fetch_add(&p->refused_spans_full, 1);
        } else if (p->cfg.queue_bytes &&
                   atomic_load(&s->queued_bytes) + dp_batch_bytes(b) >
                       p->cfg.queue_bytes) {
            full = "processor queue full (processor.queue_bytes); retry later";
            atomic_fetch_add(&p->refused_bytes_full, 1);
        }
    }
    if (full) {
        release_batches(p, x.batches);
        result->error_message[0] = '\0';
        refuse(p, result, full);
        goto out;
    }
    struct refusals refused = {
        atomic_fetch_add(&p->request_seq, 1) + 1, 0, 0, {0}};
    for (size_t i = 0; i < p->n_shards; i++) {
        dp_batch *b = x.batches[i];
        if (!b)
            continue;
        if (!b->n) {
            dp_batch_pool_put(&p->shards[i].pool, b);
            continue;
        }
        struct shard *s = &p->shards[i];
        pthread_mutex_lock(&s->lock);
        admit_spans(s, b, &refused);
        bool queue = b->n || b->n_truncated;
        if (queue) {
            b->queued_bytes = dp_batch_bytes(b);
            atomic_fetch_add(&s->queued, b->n);
            atomic_fetch_add(&s->queued_bytes, b->queued_bytes);
            if (s->queue_tail)
                s->queue_tail->next = b;
            else
                s->queue_head = b;
            s->queue_tail = b;
        }
        pthread_mutex_unlock(&s->lock);
        if (queue)
            uv_async_send(&s->wake);
        else
            dp_batch_pool_put(&s->pool, b);
    }
    atomic_fetch_add(&p->spans_received,
                     ctx.spans_accepted + ctx.spans_rejected);
    atomic_fetch_add(&p->spans_rejected, ctx.spans_rejected + refused.spans);
    result->outcome = DP_EXPORT_OK;
    result->rejected_spans = (int64_t)(ctx.spans_rejected + refused.spans);
    if (!ctx.spans_rejected)
        result->error_message[0] = '\0';
    if (refused.spans) {
        /* After the decoder's message, if any. */
        size_t len = strlen(result->error_message);
        size_t room = sizeof(result->error_message) - len;
        char hex[33];
        dp_hex_encode(refused.first, 16, hex);
        snprintf(result->error_message + len, room,
                 "%s%llu span(s) refused: trace %s reached "
                 "processor.max_spans_per_trace (%u)",
                 len ? "; " : "", (unsigned long long)refused.spans, hex,
                 p->max_spans);
        len = strlen(result->error_message);
        if (refused.traces > 1 && len < sizeof(result->error_message))
            snprintf(result->error_message + len,
                     sizeof(result->error_message) - len,
                     ", as did %llu other trace(s)",
                     (unsigned long long)(refused.traces - 1));
    }
out:
    if (x.batches != local)
        free(x.batches);
}

void dp_pipeline_stats_get(dp_pipeline *p, dp_pipeline_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->requests = atomic_load(&p->requests);
    out->requests_refused = atomic_load(&p->requests_refused);
    out->requests_invalid = atomic_load(&p->requests_invalid);
    out->spans_received = atomic_load(&p->spans_received);
    out->spans_rejected = atomic_load(&p->spans_rejected);
    out->refused_queue_spans = atomic_load(&p->refused_spans_full);
    out->refused_queue_bytes = atomic_load(&p->refused_bytes_full);
    out->refused_memory = atomic_load(&p->refused_memory);
    out->memory_pressure = atomic_load(&p->memory_pressure);
    for (size_t i = 0; i < p->n_shards; i++) {
        struct shard *s = &p->shards[i];
        out->spans_queued += atomic_load(&s->queued);
        out->queued_bytes += atomic_load(&s->queued_bytes);
        out->pooled_bytes += dp_batch_pool_bytes(&s->pool);
        pthread_mutex_lock(&s->lock);
        out->spans_duplicate += s->stats.spans_duplicate;
        out->spans_late += s->stats.spans_late;
        out->traces_in_memory += s->stats.traces_in_memory;
        out->traces_evicted += s->stats.traces_evicted;
        out->traces_not_agent += s->stats.traces_not_agent;
        out->profiles_emitted += s->stats.profiles_emitted;
        pthread_mutex_unlock(&s->lock);
    }
}

void dp_pipeline_set_memory_pressure(dp_pipeline *p, bool on)
{
    atomic_store(&p->memory_pressure, on);
}

size_t dp_pipeline_release_memory(dp_pipeline *p)
{
    size_t bytes = 0;
    for (size_t i = 0; i < p->n_shards; i++)
        bytes += dp_batch_pool_release(&p->shards[i].pool);
    return bytes;
}

void dp_pipeline_shutdown(dp_pipeline *p)
{
    atomic_store(&p->refusing, true);
    for (size_t i = 0; i < p->n_shards; i++) {
        struct shard *s = &p->shards[i];
        if (!s->started)
            continue;
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_mutex_unlock(&s->lock);
        uv_async_send(&s->wake);
    }
    for (size_t i = 0; i < p->n_shards; i++) {
        struct shard *s = &p->shards[i];
        if (!s->started)
            continue;
        pthread_join(s->thread, NULL);
        s->started = false;
    }
}

void dp_pipeline_destroy(dp_pipeline *p)
{
    if (!p)
        return;
    dp_pipeline_shutdown(p);
    for (size_t i = 0; i < p->n_shards; i++) {
        struct shard *s = &p->shards[i];
        if (!s->proc)
            continue;
        /* Handles of a shard that never ran still need closing. */
        if (!uv_is_closing((uv_handle_t *)&s->wake)) {
            uv_close((uv_handle_t *)&s->tpoll, on_close);
            uv_close((uv_handle_t *)&s->wake, on_close);
        }
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        close(s->tfd);
        dp_batch *b = s->queue_head;
        while (b) {
            dp_batch *next = b->next;
            dp_batch_free(b);
            b = next;
        }
        dp_processor_destroy(s->proc);
        dp_batch_pool_fini(&s->pool);
        free(s->counts.slots);
        pthread_mutex_destroy(&s->lock);
    }
    free(p->shards);
    free(p);
}
