/*
 * gen.h - synthetic LLM-agent DAG runs as OTLP requests, for the benchmarks.
 *
 * A run is one trace: a root span (the agent run, carrying dag.id), one span
 * per DAG node (dag.node.id, dag.node.depends_on), and under each node its
 * LLM calls (gen_ai chat spans with model and token usage) and tool calls
 * (execute_tool spans with tool name and arguments). Nodes are laid out in
 * layers of `fanout` nodes; every node depends on each node of the layer
 * before. Spans carry about `attrs` attributes each, a realistic mix of
 * attributes the processor reads and ones it does not (session ids, code
 * locations, response ids, ...), for about 400 bytes a span on the wire.
 *
 * Spans come out as an SDK exports them: a run's spans in order of end time
 * (calls, then their node, the root last), runs one after another. A batch
 * is the next `n` spans of that stream, written as one
 * ExportTraceServiceRequest in protobuf or OTLP/JSON. Every run gets a new
 * trace id; dp_gen_patch_ids() rewrites the ids of an encoded batch in
 * place so a client can resend a pool of batches as new traces.
 */
#ifndef DP_BENCH_GEN_H
#define DP_BENCH_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dp_gen_config {
    uint32_t nodes;        /* DAG nodes per run (8) */
    uint32_t llm_calls;    /* LLM call spans per node (2) */
    uint32_t tool_calls;   /* tool call spans per node (1) */
    uint32_t attrs;        /* attributes per span, about (10) */
    uint32_t fanout;       /* nodes per layer (4) */
    uint64_t seed;         /* trace ids and values (1) */
    uint64_t base_unix_ns; /* start of the first run */
} dp_gen_config;

void dp_gen_config_init(dp_gen_config *cfg);

/* Spans in one run: 1 + nodes * (1 + llm_calls + tool_calls). */
uint64_t dp_gen_spans_per_run(const dp_gen_config *cfg);

typedef struct dp_gen dp_gen;

/* A growable byte buffer; zero-initialize, free with dp_gbuf_free. */
typedef struct dp_gbuf {
    uint8_t *data;
    size_t len, cap;
} dp_gbuf;

void dp_gbuf_free(dp_gbuf *b);

/* Creates a generator at the start of run 0. NULL on ENOMEM. */
dp_gen *dp_gen_create(const dp_gen_config *cfg);
void dp_gen_destroy(dp_gen *g);

/* Appends one ExportTraceServiceRequest holding the next n spans of the
 * stream to out (protobuf). When ids is non-NULL, the offset in out of
 * every span's 16-byte trace id is appended to (*ids)[*n_ids] (grown with
 * realloc; free it). Returns 0 or -1 on ENOMEM. */
int dp_gen_batch_proto(dp_gen *g, size_t n, dp_gbuf *out, size_t **ids,
                       size_t *n_ids);

/* Same as OTLP/JSON (lowerCamelCase, hex ids, 64-bit integers as strings,
 * as the OpenTelemetry JS exporter writes them). */
int dp_gen_batch_json(dp_gen *g, size_t n, dp_gbuf *out);

/* Spans written so far and runs started. */
uint64_t dp_gen_spans(const dp_gen *g);

/* XORs key into bytes 8..15 of every trace id of a protobuf batch (offsets
 * from dp_gen_batch_proto): the same run keeps one id, different keys give
 * different traces. Applying the same key twice restores the batch. */
void dp_gen_patch_ids(uint8_t *batch, const size_t *ids, size_t n_ids,
                      uint64_t key);

/* Bytes the processor keeps per span for its attributes (names, node ids,
 * models, tool names, dag ids, dependency ids, each with a NUL), averaged
 * over one run: the "attribute bytes kept" of the memory figure. */
double dp_gen_kept_attr_bytes_per_span(const dp_gen_config *cfg);

#endif /* DP_BENCH_GEN_H */
