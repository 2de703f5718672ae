/*
 * batch.c - a request's spans for one shard, and the pool that reuses
 * emptied batches (see batch.h).
 *
 * The records' strings live in the batch's arena (processor/arena.h) of
 * fixed 64 KiB blocks: a reset keeps the oldest blocks for the next
 * request, and nothing ever moves, so the strings of the records stay
 * valid until the batch is reset or freed.
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"

#define BLOCK_SIZE (64 * 1024)

dp_batch *dp_batch_new(void)
{
    dp_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    dp_arena_init(&b->mem, BLOCK_SIZE, BLOCK_SIZE);
    b->bytes = sizeof(*b);
    return b;
}

void dp_batch_free(dp_batch *b)
{
    if (!b)
        return;
    dp_arena_fini(&b->mem);
    free(b->recs);
    free(b->truncated);
    free(b);
}

size_t dp_batch_bytes(const dp_batch *b)
{
    return b ? b->bytes + dp_arena_size(&b->mem) : 0;
}

void dp_batch_reset(dp_batch *b, size_t keep_bytes)
{
    dp_arena_reset_keep(&b->mem, keep_bytes);
    if (b->cap * dp_batch_rec_size() > keep_bytes) {
        b->bytes -= b->cap * dp_batch_rec_size();
        free(b->recs);
        b->recs = NULL;
        b->cap = 0;
    }
    b->n = 0;
    b->n_truncated = 0;
    b->next = NULL;
    b->queued_bytes = 0;
}

static inline void *batch_alloc(dp_batch *b, size_t n)
{
    return dp_arena_alloc_raw(&b->mem, n);
}

static void *rec_alloc(void *user, size_t n)
{
    return batch_alloc(user, n);
}

size_t dp_batch_rec_size(void)
{
    return dp_span_rec_size();
}

dp_span_rec *dp_batch_rec(const dp_batch *b, size_t i)
{
    return (dp_span_rec *)(b->recs + i * dp_batch_rec_size());
}

int dp_batch_push(dp_batch *b, const dp_span_in *in)
{
    size_t size = dp_batch_rec_size();
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        unsigned char *r = realloc(b->recs, cap * size);
        if (!r)
            return DP_ENOMEM;
        b->bytes += (cap - b->cap) * size;
        b->recs = r;
        b->cap = cap;
    }
    int rc = dp_span_rec_resolve(in, dp_batch_rec(b, b->n), rec_alloc, b);
    if (rc)
        return rc;
    b->n++;
    return 0;
}

int dp_batch_note_truncated(dp_batch *b, const uint8_t id[16])
{
    if (b->n_truncated == b->cap_truncated) {
        size_t cap = b->cap_truncated ? b->cap_truncated * 2 : 4;
        uint8_t(*t)[16] = realloc(b->truncated, cap * sizeof(*t));
        if (!t)
            return DP_ENOMEM;
        b->bytes += (cap - b->cap_truncated) * sizeof(*t);
        b->truncated = t;
        b->cap_truncated = cap;
    }
    memcpy(b->truncated[b->n_truncated++], id, 16);
    return 0;
}

/* ---- the pool ------------------------------------------------------------ */

/* A pooled batch keeps at most this much: a request far larger than usual
 * does not pin its memory. */
#define POOL_KEEP_BYTES (1024 * 1024)

void dp_batch_pool_init(dp_batch_pool *p, size_t max_bytes)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    p->max_bytes = max_bytes;
}

void dp_batch_pool_fini(dp_batch_pool *p)
{
    dp_batch_pool_release(p);
    pthread_mutex_destroy(&p->lock);
}

dp_batch *dp_batch_pool_get(dp_batch_pool *p)
{
    pthread_mutex_lock(&p->lock);
    dp_batch *b = p->free;
    if (b) {
        p->free = b->next;
        p->n--;
        p->bytes -= dp_batch_bytes(b);
        p->reused++;
    } else {
        p->created++;
    }
    pthread_mutex_unlock(&p->lock);
    if (b) {
        b->next = NULL;
        return b;
    }
    return dp_batch_new();
}

void dp_batch_pool_put(dp_batch_pool *p, dp_batch *b)
{
    if (!b)
        return;
    dp_batch_reset(b, POOL_KEEP_BYTES);
    pthread_mutex_lock(&p->lock);
    size_t bytes = dp_batch_bytes(b);
    bool keep = p->bytes + bytes <= p->max_bytes;
    if (keep) {
        b->next = p->free;
        p->free = b;
        p->n++;
        p->bytes += bytes;
    }
    pthread_mutex_unlock(&p->lock);
    if (!keep)
        dp_batch_free(b);
}

size_t dp_batch_pool_release(dp_batch_pool *p)
{
    pthread_mutex_lock(&p->lock);
    dp_batch *b = p->free;
    size_t bytes = p->bytes;
    p->free = NULL;
    p->n = p->bytes = 0;
    pthread_mutex_unlock(&p->lock);
    while (b) {
        dp_batch *next = b->next;
        dp_batch_free(b);
        b = next;
    }
    return bytes;
}

size_t dp_batch_pool_bytes(dp_batch_pool *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->bytes;
    pthread_mutex_unlock(&p->lock);
    return n;
}
