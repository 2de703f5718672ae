/*
 * span_index.h - a trace's span-id index: open addressing from span id to
 * the span's record in dp__trace.spans. processor.c inserts into it as
 * spans arrive; the DAG builder (nodes.c, deps.c) looks parents and link
 * targets up in it. Private to the processor.
 */
#ifndef DP_PROCESSOR_SPAN_INDEX_H
#define DP_PROCESSOR_SPAN_INDEX_H

#include "hex.h" /* dp_id_hash */
#include "trace.h"

/* Slots visited by span-id lookups on this thread: the work the index
 * does, for the processor's stats and the hash tests. */
extern _Thread_local uint64_t dp__index_probes;

/* Looks up a span id in t; returns its index or -1. Expected O(1): the
 * index hashes all 64 bits of the id. */
long dp__trace_find_span(const dp__trace *t, const uint8_t span_id[8]);

/* Indexes t->spans[idx] by its span id, growing the index (t->index,
 * freed by the trace's owner) to keep it at most half full. Returns 0 or
 * DP_ENOMEM (the index is unchanged). */
int dp__span_index_insert(dp__trace *t, uint32_t idx);

#endif /* DP_PROCESSOR_SPAN_INDEX_H */
