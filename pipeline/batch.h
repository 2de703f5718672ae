/*
 * batch.h - the spans of one request bound for one shard, and a pool that
 * keeps emptied batches for reuse.
 *
 * A batch holds the spans of one request for one shard
 * (pipeline/pipeline.c), already resolved on the receiver thread into the
 * compact records the processor keeps (processor.h, dp_span_rec): records
 * in a growable array, and the few strings they keep (name, node id,
 * model, tool, dag id, ...) in an arena of fixed 64 KiB blocks
 * (processor/arena.h) that never move, so they stay valid when the batch
 * crosses from a receiver thread to a shard thread. No attribute is
 * copied: what the processor does not keep is read once, in the request,
 * while resolving.
 *
 * Byte accounting: dp_batch_bytes() is the heap memory the batch holds (its
 * struct, record array, arena blocks and truncated-id list, capacity not
 * use), the figure the shard queues' byte limit counts. A pool keeps up to
 * max_bytes of emptied batches so the next request reuses warm memory
 * instead of malloc'ing (and the kernel faulting in) fresh pages; it is emptied
 * with dp_batch_pool_release() when the daemon is idle or short of memory.
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
    unsigned char *recs;   /* n records, dp_span_rec_size() bytes apart */
    size_t n, cap;
    dp_arena mem;             /* the records' strings */
    uint8_t (*truncated)[16]; /* traces that reached the span limit */
    size_t n_truncated, cap_truncated;
    size_t bytes;        /* heap bytes held beside mem's blocks */
    size_t queued_bytes; /* bytes counted when it was queued */
} dp_batch;

/* An empty batch; NULL on ENOMEM. */
dp_batch *dp_batch_new(void);
/* Frees b and everything it holds. Accepts NULL. */
void dp_batch_free(dp_batch *b);
/* Empties b, keeping its record array and at most keep_bytes of arena blocks
 * (the oldest first) for reuse. O(blocks). */
void dp_batch_reset(dp_batch *b, size_t keep_bytes);
/* Appends in, resolved into a record. Returns 0, DP_EBADSPAN (end before
 * start: nothing appended) or DP_ENOMEM (b then holds a partial record
 * past n; reset or free it). */
int dp_batch_push(dp_batch *b, const dp_span_in *in);
/* Record i of b (i < b->n). */
dp_span_rec *dp_batch_rec(const dp_batch *b, size_t i);
/* Bytes between two records. */
size_t dp_batch_rec_size(void);
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
