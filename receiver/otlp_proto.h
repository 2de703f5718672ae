/*
 * otlp_proto.h - the protobuf decoder of the product for
 * ExportTraceServiceRequest, in one pass over the wire format (dp_wire.h).
 *
 * It walks the OTLP wire format once, keeps only what the
 * processor reads, and hands the sink dp_span_in views that point straight
 * into the request buffer (no copies, no per-span malloc). Attributes whose
 * key the processor does not read (dp_processor_attr_wanted) are checked but
 * not delivered. Accept / reject outcomes, span order, field values and
 * messages are those of the protobuf-c reference decoder of the tests
 * (dp_ref_otlp_proto_decode, tests/reference/): tests/unit/test_otlp_wire.c
 * and tests/fuzz/fuzz_otlp_wire.c compare the two on generated and
 * malformed inputs.
 */
#ifndef DP_OTLP_PROTO_H
#define DP_OTLP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Deliver every span and resource attribute, not only the wanted ones (the
 * differential test uses it to compare all fields with the reference). */
#define DP_WIRE_KEEP_ALL_ATTRS 1u

/* Decodes one ExportTraceServiceRequest (protobuf) exactly as
 * dp_ref_otlp_proto_decode() does: returns 0 when the message decoded (some
 * spans may have been rejected, with the same messages: see the counts),
 * DP_EPARSE when it is not a valid message (then no span was delivered and
 * one message was written), DP_EINVAL without a sink, DP_ENOMEM. Spans are
 * delivered in wire order once the whole message is known to be valid; the
 * views (names, keys, string values) point into buf, so buf must outlive the
 * sink calls. Only attributes for which dp_processor_attr_wanted() is true
 * are delivered, on spans and on resources. Cost: one pass over buf plus
 * O(wanted attributes) per span; memory: a few growable arrays per call. */
int dp_otlp_wire_decode(dp_decode_ctx *ctx, const uint8_t *buf, size_t len);

/* Same, with DP_WIRE_* flags. */
int dp_otlp_wire_decode_flags(dp_decode_ctx *ctx, const uint8_t *buf,
                              size_t len, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* DP_OTLP_PROTO_H */
