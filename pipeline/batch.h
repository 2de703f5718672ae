/*
 * batch.h - the spans of one request bound for one shard, and a pool that
 * keeps emptied batches for reuse.
 *
 * A batch holds copies of the spans of one request for one shard
 * (pipeline/pipeline.c): dp_span_in values in a growable array, and every byte
 * they point to in an arena of fixed 64 KiB blocks (processor/arena.h) that
 * never move, so the views stay valid when the batch crosses from a receiver
 * thread to a shard thread. Only the attributes the processor reads are
 * copied.
 *
 * Byte accounting: dp_batch_bytes() is the heap memory the batch holds (its
 * struct, span array, arena blocks and truncated-id list, capacity not use),
 * the figure the shard queues' byte limit counts. A pool keeps up to max_bytes
 * of emptied batches so the next request reuses warm memory instead of
 * malloc'ing (and the kernel faulting in) fresh pages; it is emptied with
 * dp_batch_pool_release() when the daemon is idle or short of memory.
 */
#ifndef DP_BATCH_H
#define DP_BATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "processor.h"

typedef struct dp_batch {
    struct dp_batch *next; /* queue or pool link */
    dp_span_in *spans;
    size_t n, cap;
    dp_arena mem;             /* the copies (names, attributes, links) */
    uint8_t (*truncated)[16]; /* traces that reached the span limit */
    size_t n_truncated, cap_truncated;
    size_t bytes;        /* heap bytes held beside mem's blocks */
    size_t queued_bytes; /* bytes counted when it was queued */
} dp_batch;

/* An empty batch; NULL on ENOMEM. */
dp_batch *dp_batch_new(void);
/* Frees b and everything it holds. Accepts NULL. */
void dp_batch_free(dp_batch *b);
/* Empties b, keeping its span array and at most keep_bytes of arena blocks
 * (the oldest first) for reuse. O(blocks). */
void dp_batch_reset(dp_batch *b, size_t keep_bytes);
/* Appends a copy of in (name, wanted attributes, links). Returns 0 or
 * DP_ENOMEM (b then holds a partial span past n; reset or free it). */
int dp_batch_push(dp_batch *b, const dp_span_in *in);
/* Notes that trace id reached the span limit. 0 or DP_ENOMEM. */
int dp_batch_note_truncated(dp_batch *b, const uint8_t id[16]);
/* Heap bytes b holds. O(1). */
size_t dp_batch_bytes(const dp_batch *b);

typedef struct dp_batch_pool {
    pthread_mutex_t lock;
    dp_batch *free;
    size_t n, bytes;
    size_t max_bytes; /* kept at most; larger batches are freed */
    uint64_t reused, created;
} dp_batch_pool;

void dp_batch_pool_init(dp_batch_pool *p, size_t max_bytes);
/* Frees every pooled batch. */
void dp_batch_pool_fini(dp_batch_pool *p);
/* A pooled batch (emptied), else a new one; NULL on ENOMEM. Thread-safe. */
dp_batch *dp_batch_pool_get(dp_batch_pool *p);
/* Takes ownership of b: empties it and keeps it, or frees it when the pool
 * would pass max_bytes. Accepts NULL. Thread-safe. */
void dp_batch_pool_put(dp_batch_pool *p, dp_batch *b);
/* Frees every pooled batch; returns the bytes released. Thread-safe. */
size_t dp_batch_pool_release(dp_batch_pool *p);
/* Bytes pooled now. Thread-safe. */
size_t dp_batch_pool_bytes(dp_batch_pool *p);

#endif /* DP_BATCH_H */
