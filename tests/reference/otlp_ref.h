/*
 * otlp_ref.h - the reference OTLP decoders of the tests: protobuf through
 * protobuf-c's generated unpack (otlp_proto_ref.c) and OTLP/JSON through
 * jansson (otlp_json_ref.c). They are not part of dagprof: the differential
 * unit tests (test_otlp_wire, test_otlp_json_scan, test_otlp_proto,
 * test_otlp_json), the fuzz targets and the in-process bench hold the
 * product's decoders (dp_otlp_wire_decode, dp_otlp_json_scan) to them:
 * same return codes, same spans in the same order, same messages. They use
 * the receiver's shared delivery (otlp_decode.h), so rejections read alike.
 */
#ifndef DP_OTLP_REF_H
#define DP_OTLP_REF_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes one ExportTraceServiceRequest (protobuf). Returns 0 when the
 * message decoded (some spans may have been rejected: see the counts),
 * DP_EPARSE when it is not a valid message (then no span was delivered and
 * one message was written), DP_EINVAL without a sink, DP_ENOMEM. Spans are
 * delivered in wire order. Cost: one protobuf-c unpack into a per-call bump
 * allocator plus O(attributes) per span; no per-span malloc. */
int dp_ref_otlp_proto_decode(dp_decode_ctx *ctx, const uint8_t *buf,
                             size_t len);

/* Same for the OTLP/JSON encoding of one ExportTraceServiceRequest: field
 * names in lowerCamelCase or snake_case, hex ids, 64-bit integers as strings
 * or numbers, enums as integers or names, unknown fields ignored. DP_EPARSE
 * (message with jansson's line and column) when buf is not JSON or not
 * shaped like a request; a span with a bad field is rejected alone. */
int dp_ref_otlp_json_decode(dp_decode_ctx *ctx, const char *buf, size_t len);

struct json_t;

/* Decodes an already parsed OTLP/JSON request object (as
 * dp_ref_otlp_json_decode does after parsing). The caller keeps root. */
int dp_ref_otlp_json_decode_value(dp_decode_ctx *ctx,
                                  const struct json_t *root);

/* Growable scratch arrays reused for every span of one decode call, so
 * decoding does no per-span malloc. Zero-initialize, release with fini. */
typedef struct dp__decode_scratch {
    dp_attr *attrs;
    size_t attrs_cap;
    dp_value *values; /* array items of attrs */
    size_t values_cap;
    dp_attr *res_attrs;
    size_t res_attrs_cap;
    dp_value *res_values; /* array items of res_attrs */
    size_t res_values_cap;
    dp_link_in *links;
    size_t links_cap;
} dp__decode_scratch;

void dp__decode_scratch_fini(dp__decode_scratch *s);

#ifdef __cplusplus
}
#endif

#endif /* DP_OTLP_REF_H */
