/*
 * batch.c - a request's spans for one shard, and the pool that reuses
 * emptied batches (see batch.h).
 *
 * The copies live in the batch's arena (processor/arena.h) of fixed 64 KiB
 * blocks: a reset keeps the oldest blocks for the next request, and nothing
 * ever moves, so the views in the spans stay valid until the batch is reset
 * or freed.
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
    free(b->spans);
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
    if (b->cap * sizeof(*b->spans) > keep_bytes) {
        b->bytes -= b->cap * sizeof(*b->spans);
        free(b->spans);
        b->spans = NULL;
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

static const char *copy_bytes(dp_batch *b, const char *s, size_t len)
{
    if (!len)
        return "";
    char *p = batch_alloc(b, len);
    if (p)
        memcpy(p, s, len);
    return p;
}

static int copy_value(dp_batch *b, dp_value *dst, const dp_value *src)
{
    *dst = *src;
    if (src->type == DP_VAL_STR) {
        dst->u.str.ptr = copy_bytes(b, src->u.str.ptr, src->u.str.len);
        return dst->u.str.ptr ? 0 : DP_ENOMEM;
    }
    if (src->type == DP_VAL_ARRAY) {
        dp_value *items = NULL;
        if (src->u.arr.n) {
            items = batch_alloc(b, src->u.arr.n * sizeof(*items));
            if (!items)
                return DP_ENOMEM;
            for (size_t i = 0; i < src->u.arr.n; i++) {
                /* Arrays nest one level at most in what the processor reads. */
                if (src->u.arr.items[i].type == DP_VAL_ARRAY)
                    items[i].type = DP_VAL_NONE;
                else if (copy_value(b, &items[i], &src->u.arr.items[i]))
                    return DP_ENOMEM;
            }
        }
        dst->u.arr.items = items;
    }
    return 0;
}

/* The processor reads every key dp_processor_attr_wanted() accepts on a
 * span, and those dp_processor_resource_attr_wanted() accepts on a
 * resource. */
static bool attr_copied(const dp_attr *a, bool resource)
{
    if (resource)
        return dp_processor_resource_attr_wanted(a->key, a->key_len);
    return dp_processor_attr_wanted(a->key, a->key_len);
}

/* Copies the attributes the processor reads, in one pass: room for all n
 * is taken from the batch (the decoders usually filtered them already, so
 * little is wasted). */
static int copy_attrs(dp_batch *b, const dp_attr *src, size_t n, bool resource,
                      const dp_attr **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (!n)
        return 0;
    dp_attr *dst = batch_alloc(b, n * sizeof(*dst));
    if (!dst)
        return DP_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!attr_copied(&src[i], resource))
            continue;
        dst[k].key = copy_bytes(b, src[i].key, src[i].key_len);
        dst[k].key_len = src[i].key_len;
        if (!dst[k].key || copy_value(b, &dst[k].value, &src[i].value))
            return DP_ENOMEM;
        k++;
    }
    if (k) {
        *out = dst;
        *n_out = k;
    }
    return 0;
}

int dp_batch_push(dp_batch *b, const dp_span_in *in)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        dp_span_in *s = realloc(b->spans, cap * sizeof(*s));
        if (!s)
            return DP_ENOMEM;
        b->bytes += (cap - b->cap) * sizeof(*s);
        b->spans = s;
        b->cap = cap;
    }
    dp_span_in *o = &b->spans[b->n];
    *o = *in;
    o->name =
        copy_bytes(b, in->name ? in->name : "", in->name ? in->name_len : 0);
    if (!o->name)
        return DP_ENOMEM;
    if (copy_attrs(b, in->attrs, in->n_attrs, false, &o->attrs, &o->n_attrs) ||
        copy_attrs(b, in->resource_attrs, in->n_resource_attrs, true,
                   &o->resource_attrs, &o->n_resource_attrs))
        return DP_ENOMEM;
    if (in->n_links) {
        dp_link_in *l = batch_alloc(b, in->n_links * sizeof(*l));
        if (!l)
            return DP_ENOMEM;
        memcpy(l, in->links, in->n_links * sizeof(*l));
        o->links = l;
    }
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
