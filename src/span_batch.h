/*
 * span_batch.h - a batch: copies of the spans of one request bound for one
 * shard of the pipeline (src/pipeline.c), made on the receiver's thread
 * and read on the shard's.
 *
 * dp_span_in values sit in a growable array, and every byte they point to
 * in fixed chunks that never move, so the views stay valid across threads.
 * Only attributes the processor reads are copied.
 */
#ifndef DP_SPAN_BATCH_H
#define DP_SPAN_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "processor.h"

struct chunk {
    struct chunk *next;
    size_t used, size;
    max_align_t data[];
};

struct batch {
    struct batch *next;
    dp_span_in *spans;
    size_t n, cap;
    struct chunk *chunks;
    uint8_t (*truncated)[16]; /* traces that reached the span limit */
    size_t n_truncated, cap_truncated;
};

/* Appends a copy of in (the attributes the processor reads). Returns 0 or
 * DP_ENOMEM. Amortized O(size of the span). */
int dp_batch_push(struct batch *b, const dp_span_in *in);
/* Frees b and everything it holds. Accepts NULL. */
void dp_batch_free(struct batch *b);

#endif /* DP_SPAN_BATCH_H */
