/*
 * otlp_decode.h - what the OTLP ExportTraceServiceRequest decoders of the
 * receiver share: the context that carries a span sink and an error sink,
 * and the helpers (otlp_deliver.c) that word messages, reject spans and
 * deliver each decoded span as a dp_span_in view to the sink, usually a
 * wrapper around dp_processor_add_span().
 *
 * There is one decoder per encoding: protobuf in otlp_proto.c
 * (dp_otlp_wire_decode, otlp_proto.h) and OTLP/JSON in otlp_json*.c
 * (dp_otlp_json_scan, otlp_json.h). The transports (gRPC, HTTP), the shard
 * pipeline and the trace-file reader (trace_file.h) call one of the two per
 * request body. Nothing a span view points at outlives the sink call: the
 * sink copies what it keeps. Bad spans are rejected one by one with a
 * message naming the span; the rest of the request still goes through. A
 * decoder holds no global state, so several threads may decode at once with
 * their own contexts. The tests hold both decoders to reference decoders
 * built on protobuf-c and jansson (tests/reference/), which the product does
 * not link.
 */
#ifndef DP_OTLP_DECODE_H
#define DP_OTLP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives each decoded span; returns 0 when accepted (also for duplicates
 * and late spans), a negative DP_E* code when rejected (e.g. DP_EBADSPAN
 * from dp_processor_add_span). */
typedef int (*dp_span_sink)(void *user, const dp_span_in *span);

/* Receives one human message per rejected span or malformed input. The
 * message is only valid during the call. */
typedef void (*dp_decode_error_fn)(void *user, const char *message);

typedef struct dp_decode_ctx {
    dp_span_sink sink;
    void *sink_user;
    dp_decode_error_fn on_error; /* may be NULL: messages go to the debug log */
    void *error_user;
    const char
        *where; /* prefix for messages, e.g. "trace.json:12"; may be NULL */
    uint64_t spans_accepted, spans_rejected; /* running counts, caller zeroes */
} dp_decode_ctx;

/* ------------------------------------------------------------------------ */
/* Internal to the decoders (otlp_proto.c, otlp_json*.c, trace_file.c and   */
/* tests/reference/); implemented in otlp_deliver.c.                        */

/* Makes *arr (of elem-byte items, capacity *cap) hold at least need items,
 * keeping its contents. Returns 0 or DP_ENOMEM. Amortized O(1) per item. */
int dp__decode_reserve(void **arr, size_t *cap, size_t need, size_t elem);

/* Decodes padded base64 of exactly n bytes (n = 8 or 16), the proto3 JSON
 * bytes encoding some older OTLP writers used for ids (the OTLP/JSON
 * decoder accepts it beside hex, as the reference decoder does). */
bool dp__decode_base64_id(const char *s, size_t len, uint8_t *out, size_t n);

/* Reads the decimal digits s[0..len) (no sign, no space) as a uint64_t:
 * false when empty, not all digits or past UINT64_MAX. OTLP/JSON writes
 * 64-bit integers as such strings (both JSON decoders read them with it). */
bool dp__decode_parse_u64(const char *s, size_t len, uint64_t *out);

/* Where an OTLP/JSON request is not the shape of one (the containers must
 * be arrays of objects); dp__decode_shape_error words it. */
enum dp_json_shape {
    DP_SHAPE_RESOURCE_SPANS = 0, /* resourceSpans is not an array */
    DP_SHAPE_RESOURCE_SPAN,      /* resourceSpans[i] is not an object */
    DP_SHAPE_RESOURCE,           /* resourceSpans[i].resource: no object */
    DP_SHAPE_SCOPE_SPANS,        /* resourceSpans[i].scopeSpans: no array */
    DP_SHAPE_SCOPE_SPAN,         /* resourceSpans[i].scopeSpans[k] */
    DP_SHAPE_SPANS,              /* resourceSpans[i].scopeSpans[k].spans */
    DP_SHAPE_SPAN                /* ...spans[j] is not an object */
};

/* Writes the message of a request that is not the shape of one (what, at
 * resourceSpans[i].scopeSpans[k].spans[j] as far as what goes) and returns
 * DP_EPARSE. Both JSON decoders word it so. */
int dp__decode_shape_error(dp_decode_ctx *ctx, enum dp_json_shape what,
                           size_t i, size_t k, size_t j);

/* Writes "<where>: <message>" to ctx->on_error (or the debug log). */
void dp__decode_error(dp_decode_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Rejects one span: counts it and writes "<where>: span <name> (<id>):
 * <reason>". id is the span id as text (hex, or as it appeared in the
 * input), "" when unknown. */
void dp__decode_reject(dp_decode_ctx *ctx, const char *name, size_t name_len,
                       const char *id, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Checks a filled span (all-zero trace or span id: rejected; an all-zero
 * parent makes it a root; a NUL byte in the name or in the value of an
 * attribute the processor uses as an identifier - dag.id, dag.node.id,
 * dag.node.depends_on, graph.node.id, graph.node.parent_id,
 * traceloop.entity.name, gen_ai.agent.name, metadata; on the resource only
 * dag.id - rejected, since the processor keeps those as C strings and two
 * ids alike up to the NUL would merge), hands it to the sink and counts the
 * outcome, writing the message for a rejected span. Every decoder delivers
 * strings at their full length, NUL bytes included, so this one check sees
 * them. Returns 0 or the negative code the span was rejected with. */
int dp__decode_deliver(dp_decode_ctx *ctx, dp_span_in *span);

#ifdef __cplusplus
}
#endif

#endif /* DP_OTLP_DECODE_H */
