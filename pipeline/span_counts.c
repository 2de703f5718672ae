/*
 * span_counts.c - the per-shard table of live traces (see span_counts.h).
 */
#include "span_counts.h"

#include <stdlib.h>
#include <string.h>

#include "hex.h" /* dp_id_hash */
#include "processor.h"

struct span_count *dp_span_counts_find(const struct span_counts *c,
                                       const uint8_t *id)
{
    if (!c->n)
        return NULL;
    uint64_t h = dp_id_hash(id, 16);
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

struct span_count *dp_span_counts_get(struct span_counts *c, const uint8_t *id)
{
    struct span_count *e = dp_span_counts_find(c, id);
    if (e)
        return e;
    if ((c->n + 1) * 2 > c->cap && counts_grow(c))
        return NULL;
    uint64_t h = dp_id_hash(id, 16);
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

uint64_t dp_span_counts_remove(struct span_counts *c, const uint8_t *id)
{
    struct span_count *e = dp_span_counts_find(c, id);
    if (!e)
        return 0;
    uint64_t seg = e->seg;
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
    return seg;
}

void dp_span_counts_fini(struct span_counts *c)
{
    free(c->slots);
    c->slots = NULL;
    c->cap = c->n = 0;
}
