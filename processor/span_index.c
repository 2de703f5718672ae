/*
 * span_index.c - the per-trace span-id index (span_index.h): linear
 * probing over a power-of-two table of span record indices + 1 (0: empty),
 * kept at most half full.
 */
#include <stdlib.h>
#include <string.h>

#include "span_index.h"

_Thread_local uint64_t dp__index_probes;

long dp__trace_find_span(const dp__trace *t, const uint8_t span_id[8])
{
    if (!t->index_cap)
        return -1;
    size_t mask = t->index_cap - 1;
    for (size_t i = dp_id_hash(span_id, 8) & mask;; i = (i + 1) & mask) {
        uint32_t slot = t->index[i];
        dp__index_probes++;
        if (!slot)
            return -1;
        if (memcmp(t->spans[slot - 1].span_id, span_id, 8) == 0)
            return (long)slot - 1;
    }
}

int dp__span_index_insert(dp__trace *t, uint32_t idx)
{
    if ((size_t)(t->n_spans + 1) * 2 > t->index_cap) {
        uint32_t cap = t->index_cap ? t->index_cap * 2 : 16;
        while (cap < 2 * (uint64_t)t->cap_spans && cap < (1u << 31))
            cap *= 2; /* the first index fits the span array's capacity */
        uint32_t *ix = calloc(cap, sizeof(*ix));
        if (!ix)
            return DP_ENOMEM;
        for (uint32_t i = 0; i < t->index_cap; i++) {
            uint32_t slot = t->index[i];
            if (!slot)
                continue;
            size_t j = dp_id_hash(t->spans[slot - 1].span_id, 8) & (cap - 1);
            while (ix[j])
                j = (j + 1) & (cap - 1);
            ix[j] = slot;
        }
        free(t->index);
        t->index = ix;
        t->index_cap = cap;
    }
    size_t mask = t->index_cap - 1;
    size_t j = dp_id_hash(t->spans[idx].span_id, 8) & mask;
    while (t->index[j]) {
        j = (j + 1) & mask;
        dp__index_probes++;
    }
    t->index[j] = idx + 1;
    return 0;
}
