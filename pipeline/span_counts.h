/*
 * span_counts.h - per-shard table of the live traces the pipeline has
 * queued spans for (pipeline/pipeline.c): how many spans each trace was given
 * (the span limit is answered from it) and the write-ahead-log segment
 * its first span came from (the trace's hold on the log).
 *
 * Open addressing, linear probing, at most half full; deletion shifts the
 * following run back, so there are no tombstones. Not thread-safe: the
 * pipeline guards each shard's table with the shard's queue lock.
 */
#ifndef DP_SPAN_COUNTS_H
#define DP_SPAN_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct span_count {
    uint8_t trace_id[16];
    uint64_t hash;
    uint64_t request; /* last request that had a span of it refused */
    uint64_t seg;     /* WAL segment it holds; 0: none */
    uint32_t n;       /* spans queued (duplicates included) */
    bool used;
    bool truncated; /* reached the limit; the shard was told */
};

struct span_counts {
    struct span_count *slots;
    size_t cap, n; /* cap: 0 or a power of two */
};

/* The entry of id or NULL. O(1) expected. */
struct span_count *dp_span_counts_find(const struct span_counts *c,
                                       const uint8_t *id);
/* The entry of id, created zeroed (n = 0, seg = 0) when absent; NULL on
 * ENOMEM. May move every entry. */
struct span_count *dp_span_counts_get(struct span_counts *c, const uint8_t *id);
/* Removes id's entry; returns the segment it held (0: none or absent). */
uint64_t dp_span_counts_remove(struct span_counts *c, const uint8_t *id);
/* Frees the slots. */
void dp_span_counts_fini(struct span_counts *c);

#endif /* DP_SPAN_COUNTS_H */
