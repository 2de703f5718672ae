/*
 * otlp_json_scan.h - the single-pass OTLP/JSON decoder: reads one
 * ExportTraceServiceRequest in OTLP/JSON straight from the caller's buffer
 * (no DOM, no per-span malloc) and hands dp_span_in views to the sink of a
 * dp_decode_ctx (otlp_decode.h).
 *
 * It is a drop-in for dp_otlp_json_decode (otlp_json.c, jansson): the same
 * accepted inputs, the same spans in the same order, the same rejections
 * and messages, DP_EPARSE with jansson's own text, line and column for
 * malformed JSON, and nothing delivered for a body that is not a request.
 * tests/unit/test_otlp_json_scan.c and tests/fuzz/fuzz_otlp_json_scan.c
 * hold the two to that.
 */
#ifndef DP_OTLP_JSON_SCAN_H
#define DP_OTLP_JSON_SCAN_H

#include <stddef.h>

#include "otlp_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags for dp_otlp_json_scan_ex. */
enum {
    /* Deliver every attribute. By default an attribute whose key
     * dp_processor_attr_wanted() rejects is checked (a bad value still
     * rejects its span) but left out of the span, unescaped never. */
    DP_JSON_SCAN_KEEP_ALL_ATTRS = 1u << 0
};

/* Decodes one OTLP/JSON ExportTraceServiceRequest from buf[0..len) (no NUL
 * needed) with the contract of dp_otlp_json_decode: 0 when the request
 * decoded (rejected spans are counted in ctx and each has a message),
 * DP_EPARSE with one message when buf is not JSON ("malformed JSON at line
 * L, column C: <jansson's text>") or not shaped like a request (then no span
 * was delivered), DP_EINVAL without a sink, DP_ENOMEM. Attributes the
 * processor does not read are left out (see the flag above).
 *
 * Every string view in a delivered span points into buf, or for a value
 * written with escapes into a per-call buffer; views live until the sink
 * returns. The whole request is read before the first span is delivered.
 * Cost: one pass over buf plus O(spans + attributes) of per-call scratch
 * arrays (amortized; no malloc per span). Thread-safe with separate ctx. */
int dp_otlp_json_scan(dp_decode_ctx *ctx, const char *buf, size_t len);

/* Same, with DP_JSON_SCAN_* flags. */
int dp_otlp_json_scan_ex(dp_decode_ctx *ctx, const char *buf, size_t len,
                         unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* DP_OTLP_JSON_SCAN_H */
