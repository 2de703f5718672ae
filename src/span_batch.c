/*
 * span_batch.c - copying spans into a batch (see span_batch.h).
 */
#include "span_batch.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)

static void *batch_alloc(struct batch *b, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct chunk *c = b->chunks;
    if (!c || c->size - c->used < n) {
        size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = b->chunks;
        b->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

void dp_batch_free(struct batch *b)
{
    if (!b)
        return;
    struct chunk *c = b->chunks;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(b->spans);
    free(b->truncated);
    free(b);
}

static const char *copy_bytes(struct batch *b, const char *s, size_t len)
{
    if (!len)
        return "";
    char *p = batch_alloc(b, len);
    if (p)
        memcpy(p, s, len);
    return p;
}

static int copy_value(struct batch *b, dp_value *dst, const dp_value *src)
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
static int copy_attrs(struct batch *b, const dp_attr *src, size_t n,
                      bool resource, const dp_attr **out, size_t *n_out)
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

int dp_batch_push(struct batch *b, const dp_span_in *in)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        dp_span_in *s = realloc(b->spans, cap * sizeof(*s));
        if (!s)
            return DP_ENOMEM;
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
