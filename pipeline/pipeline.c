/*
 * pipeline.c - receivers -> shard threads hand-off (see pipeline.h).
 *
 * A batch (batch.h) holds the spans of one request bound for one shard,
 * resolved on the receiver thread into the processor's compact records. A
 * shard's queue is a mutex-protected list of batches plus atomic span and byte
 * counts used for backpressure; the shard thread takes the whole list at once
 * and hands each processed batch back to the shard's pool, where the next
 * request for that shard picks it up (warm memory, no malloc, no page faults).
 *
 * Refusals (UNAVAILABLE / 503 + Retry-After, all or nothing): a shard's
 * queue past queue_spans or queue_bytes, memory pressure set from outside
 * (dp_pipeline_set_memory_pressure: the RSS ceiling) or no admission
 * budget left (dp_pipeline_set_memory_budget: its headroom), shutdown. Each is
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
 *
 * Write-ahead log (durability: wal): the same table holds, per live trace,
 * the log segment of the request that brought its first span; the trace
 * holds that segment (wal.h) from admission, under the shard lock, so the
 * hold exists before the shard can see the span. When the processor
 * finalizes the trace the hold moves to its profile (on_finalized keeps it,
 * on_profile hands it to the sink as a dp_wal_hold), or is dropped at the
 * end of the processor call when no profile followed (shard_settle), or
 * when a span of it was late.
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
#include "hex.h"
#include "log.h"
#include "otlp_decode.h"
#include "otlp_json.h"
#include "otlp_proto.h"
#include "pipeline_internal.h"

/* A trace finalized without a profile (not an agent run, out of memory)
 * is out at once: its hold on the log goes. */
static void shard_settle(struct shard *s)
{
    if (!s->fin_seg)
        return;
    dp_wal_trace_out(s->pl->wal, s->fin_seg, s->fin_id);
    s->fin_seg = 0;
}

/* The profile carries its trace's hold on the log to the exporters; the
 * sink releases it when every exporter is done with the profile. */
static void on_profile(dp_profile *profile, void *user)
{
    struct shard *s = user;
    dp_pipeline *p = s->pl;
    dp_wal_hold *hold = NULL;
    if (s->fin_seg && memcmp(s->fin_id, profile->trace_id, 16) == 0) {
        hold = dp_wal_hold_create(p->wal, s->fin_seg, s->fin_id);
        if (hold)
            s->fin_seg = 0; /* else released at once by shard_settle */
    }
    if (p->cfg.held_sink) {
        p->cfg.held_sink(profile, hold, p->user);
    } else {
        p->sink(profile, p->user);
        dp_wal_hold_release(hold);
    }
}

/* The shard's processor finalized trace_id: forget its span count; keep
 * its hold on the log for the profile that follows (on_profile). */
static void on_finalized(const uint8_t trace_id[16], void *user)
{
    struct shard *s = user;
    pthread_mutex_lock(&s->lock);
    uint64_t seg = dp_span_counts_remove(&s->counts, trace_id);
    pthread_mutex_unlock(&s->lock);
    if (!seg)
        return;
    shard_settle(s);
    s->fin_seg = seg;
    memcpy(s->fin_id, trace_id, 16);
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
            const dp_span_rec *rec = dp_batch_rec(b, i);
            int err = dp_processor_add_rec(s->proc, rec, now);
            if (err == DP_ELATE || err == DP_ENOMEM) {
                /* Not in a live trace: no finalization will drop its
                 * count, nor its hold on the log. */
                pthread_mutex_lock(&s->lock);
                uint64_t seg = dp_span_counts_remove(&s->counts,
                                                     dp_span_rec_trace_id(rec));
                pthread_mutex_unlock(&s->lock);
                if (seg)
                    dp_wal_trace_out(s->pl->wal, seg,
                                     dp_span_rec_trace_id(rec));
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
    shard_settle(s);
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
    shard_settle(s);
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
    shard_settle(s);
    pthread_mutex_lock(&s->lock);
    bool stopping = s->stopping && !s->queue_head;
    pthread_mutex_unlock(&s->lock);
    if (stopping) {
        dp_processor_flush(s->proc, DP_INCOMPLETE_SHUTDOWN);
        shard_settle(s);
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
    p->wal = cfg->wal;
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
    bool replay;            /* skip the traces the log says are done */
    uint64_t spans_skipped; /* ... counted here */
};

size_t dp__pipeline_shard_of(const dp_pipeline *p, const uint8_t *trace_id)
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
    if (x->replay && dp_wal_trace_done(x->p->wal, span->trace_id)) {
        x->spans_skipped++;
        return 0;
    }
    size_t k = dp__pipeline_shard_of(x->p, span->trace_id);
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
 * limit still holds. With a log, a trace admitted for the first time holds
 * seg, the segment of this request (one that cannot be recorded holds it
 * for good). Returns the holds to add on seg. */
static uint64_t admit_spans(struct shard *s, dp_batch *b, struct refusals *r,
                            uint64_t seg)
{
    uint64_t holds = 0;
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        const uint8_t *id = dp_span_rec_trace_id(dp_batch_rec(b, i));
        struct span_count *e = dp_span_counts_get(&s->counts, id);
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
        if (seg && (!e || !e->seg)) {
            if (e)
                e->seg = seg;
            holds++;
        }
        if (k != i)
            memcpy(dp_batch_rec(b, k), dp_batch_rec(b, i), dp_batch_rec_size());
        k++;
    }
    b->n = k;
    /* Each record tells the processor how many spans of its trace are
     * known by now, so a new trace is stored at that size at once. */
    const struct span_count *e = NULL;
    for (size_t i = 0; i < b->n; i++) {
        dp_span_rec *rec = dp_batch_rec(b, i);
        const uint8_t *id = dp_span_rec_trace_id(rec);
        if (!e || memcmp(e->trace_id, id, 16) != 0)
            e = dp_span_counts_find(&s->counts, id);
        dp_span_rec_set_spans_hint(rec, e ? e->n : 0);
    }
    return holds;
}

static void export_error(void *user, const char *message)
{
    struct export_ctx *x = user;
    if (!x->result->error_message[0])
        snprintf(x->result->error_message, sizeof(x->result->error_message),
                 "%s", message);
}

/* Whether queueing batches would take a non-empty shard queue past
 * queue_spans or queue_bytes: the refusal message (counted by reason when
 * count is set), or NULL. An empty queue always takes one request. */
static const char *batches_over_limit(dp_pipeline *p, dp_batch **batches,
                                      bool count)
{
    for (size_t i = 0; i < p->n_shards; i++) {
        const struct shard *s = &p->shards[i];
        const dp_batch *b = batches[i];
        if (!b || atomic_load(&s->queued) == 0)
            continue;
        if (atomic_load(&s->queued) + b->n > p->cfg.queue_spans) {
            if (count)
                atomic_fetch_add(&p->refused_spans_full, 1);
            return "processor queue full (processor.queue_spans); retry later";
        }
        if (p->cfg.queue_bytes &&
            atomic_load(&s->queued_bytes) + dp_batch_bytes(b) >
                p->cfg.queue_bytes) {
            if (count)
                atomic_fetch_add(&p->refused_bytes_full, 1);
            return "processor queue full (processor.queue_bytes); retry later";
        }
    }
    return NULL;
}

/* Appends the partial-success text for what the span limit refused. */
static void refusal_message(dp_pipeline *p, const struct refusals *refused,
                            dp_export_result *result)
{
    /* After the decoder's message, if any. */
    size_t len = strlen(result->error_message);
    size_t room = sizeof(result->error_message) - len;
    char hex[33];
    dp_hex_encode(refused->first, 16, hex);
    snprintf(result->error_message + len, room,
             "%s%llu span(s) refused: trace %s reached "
             "processor.max_spans_per_trace (%u)",
             len ? "; " : "", (unsigned long long)refused->spans, hex,
             p->max_spans);
    len = strlen(result->error_message);
    if (refused->traces > 1 && len < sizeof(result->error_message))
        snprintf(result->error_message + len,
                 sizeof(result->error_message) - len,
                 ", as did %llu other trace(s)",
                 (unsigned long long)(refused->traces - 1));
}

#define WAL_UNWRITTEN                                                          \
    "write-ahead log: the request could not be written; retry later"

static void refuse(dp_pipeline *p, dp_export_result *result, const char *why)
{
    result->outcome = DP_EXPORT_UNAVAILABLE;
    result->retry_after_s = 1;
    result->rejected_spans = 0;
    snprintf(result->error_message, sizeof(result->error_message), "%s", why);
    atomic_fetch_add(&p->requests_refused, 1);
}

/* The refusal message when some shard's queue is already at a limit (the
 * request would be refused after decoding anyway, as it touches every
 * shard but the smallest), counted by reason; NULL when there is room. */
static const char *queues_at_limit(dp_pipeline *p)
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

/* The export handler; replay_seg != 0 for a request replayed from that
 * segment of the log: it is not logged again, the traces the log says are
 * done are skipped, and full queues are waited for instead of refused.
 * With a log, a request with spans is appended before its spans are queued
 * and the reply waits until the record is on disk. */
static void export_request(dp_pipeline *p, int format, const uint8_t *body,
                           size_t len, dp_export_result *result,
                           uint64_t replay_seg)
{
    dp_batch *local[64];
    struct export_ctx x = {p, NULL, 0, result, replay_seg != 0, 0};
    dp_decode_ctx ctx;
    int err;

    atomic_fetch_add(&p->requests, 1);
    if (atomic_load(&p->refusing)) {
        refuse(p, result, "shutting down");
        return;
    }
    /* Before decoding: under the RSS ceiling a refusal costs nothing. The
     * bytes admitted since the last RSS reading are not in it yet: each
     * request takes an estimate (decoded ~ 2x wire) from the headroom,
     * settled to the bytes it queued (at out). */
    int64_t est = 0, queued_total = 0;
    if (!replay_seg && atomic_load(&p->mem_budget_on))
        est = (int64_t)len * 2 + 4096;
    if (!replay_seg && ((est && atomic_fetch_sub(&p->mem_budget, est) < est) ||
                        atomic_load(&p->memory_pressure))) {
        atomic_fetch_add(&p->mem_budget, est);
        atomic_fetch_add(&p->refused_memory, 1);
        refuse(p, result, "memory limit (limits.max_rss) reached; retry later");
        return;
    }
    const char *full = replay_seg ? NULL : queues_at_limit(p);
    if (full) {
        /* Before decoding: overload costs as little as possible. */
        atomic_fetch_add(&p->mem_budget, est);
        refuse(p, result, full);
        return;
    }
    x.batches =
        p->n_shards <= 64 ? local : calloc(p->n_shards, sizeof(*x.batches));
    if (!x.batches) {
        atomic_fetch_add(&p->mem_budget, est);
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
            refuse(p, result, "out of memory");
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
     * by spans or by bytes; a replayed request waits for room instead. */
    full = batches_over_limit(p, x.batches, !replay_seg);
    while (full && replay_seg && !atomic_load(&p->refusing)) {
        usleep(1000);
        full = batches_over_limit(p, x.batches, false);
    }
    size_t n_spans = 0;
    for (size_t i = 0; i < p->n_shards; i++)
        n_spans += x.batches[i] ? x.batches[i]->n : 0;
    uint64_t seg = replay_seg, ticket = 0;
    if (!full && p->wal && !replay_seg && n_spans &&
        dp_wal_append(p->wal, format, body, len, &seg, &ticket) != 0) {
        release_batches(p, x.batches);
        refuse(p, result,
               "write-ahead log not writable (see the server log); retry "
               "later");
        goto out;
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
        /* The holds are taken before the shard can see the spans. */
        uint64_t holds = admit_spans(s, b, &refused, p->wal ? seg : 0);
        if (holds)
            dp_wal_ref(p->wal, seg, holds);
        bool queue = b->n || b->n_truncated;
        if (queue) {
            b->queued_bytes = dp_batch_bytes(b);
            queued_total += (int64_t)b->queued_bytes;
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
    if (ticket)
        dp_wal_unref(p->wal, seg); /* the request's own hold */
    atomic_fetch_add(&p->spans_received,
                     ctx.spans_accepted + ctx.spans_rejected);
    atomic_fetch_add(&p->spans_rejected, ctx.spans_rejected + refused.spans);
    result->outcome = DP_EXPORT_OK;
    result->rejected_spans = (int64_t)(ctx.spans_rejected + refused.spans);
    if (!ctx.spans_rejected)
        result->error_message[0] = '\0';
    if (refused.spans)
        refusal_message(p, &refused, result);
    /* Acknowledged only once on disk. The spans are queued already: when
     * the write failed the client retries, and the shard drops the
     * duplicates. A transport that can reply later polls instead. */
    if (ticket && result->can_defer)
        result->defer_ticket = ticket;
    else if (ticket && dp_wal_wait(p->wal, ticket) != 0)
        refuse(p, result, WAL_UNWRITTEN);
out:
    if (est)
        atomic_fetch_add(&p->mem_budget, est - queued_total);
    if (x.batches != local)
        free(x.batches);
}

bool dp_pipeline_export_poll(void *user, dp_export_result *result)
{
    dp_pipeline *p = user;
    int rc = dp_wal_poll(p->wal, result->defer_ticket);
    if (rc > 0)
        return false;
    if (rc < 0)
        refuse(p, result, WAL_UNWRITTEN);
    result->defer_ticket = 0;
    return true;
}

void dp_pipeline_export(void *user, int format, const uint8_t *body, size_t len,
                        dp_export_result *result)
{
    export_request(user, format, body, len, result, 0);
}

int dp_pipeline_replay(void *user, uint64_t seg, int format,
                       const uint8_t *body, size_t len)
{
    dp_pipeline *p = user;
    dp_export_result r;
    memset(&r, 0, sizeof(r));
    export_request(p, format, body, len, &r, seg);
    if (r.outcome != DP_EXPORT_OK)
        dp_log_warn("wal", "a replayed request was not taken: %s",
                    r.error_message[0] ? r.error_message : "refused");
    return 0;
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
        dp_span_counts_fini(&s->counts);
        pthread_mutex_destroy(&s->lock);
    }
    free(p->shards);
    free(p);
}
