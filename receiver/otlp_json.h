/*
 * otlp_json.h - the OTLP/JSON decoder of the product, in one pass: reads one
 * ExportTraceServiceRequest in OTLP/JSON straight from the caller's buffer
 * (no DOM, no per-span malloc) and hands dp_span_in views to the sink of a
 * dp_decode_ctx (otlp_decode.h).
 *
 * Malformed JSON gives DP_EPARSE with the line, column and a clear message
 * (see otlp_json_lex.h); a body that is not a request delivers nothing.
 * tests/unit/test_otlp_json_scan.c and tests/fuzz/fuzz_otlp_json_scan.c
 * hold it to the jansson reference decoder of the tests
 * (dp_ref_otlp_json_decode, tests/reference/): the same accepted inputs,
 * the same spans in the same order, the same rejections and messages.
 */
#ifndef DP_OTLP_JSON_H
#define DP_OTLP_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "otlp_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes one OTLP/JSON ExportTraceServiceRequest from buf[0..len) (no NUL
 * needed) with the contract of dp_ref_otlp_json_decode: 0 when the request
 * decoded (rejected spans are counted in ctx and each has a message),
 * DP_EPARSE with one message when buf is not JSON ("malformed JSON at line
 * L, column C: <jansson's text>") or not shaped like a request (then no span
 * was delivered), DP_EINVAL without a sink, DP_ENOMEM. Attributes the
 * processor does not read are left out (see DP_JSON_SCAN_KEEP_ALL_ATTRS).
 *
 * Every string view in a delivered span points into buf, or for a value
 * written with escapes into a per-call buffer; views live until the sink
 * returns. The whole text is read before the first span is delivered.
 * Cost: one pass over buf plus O(spans + attributes) of per-call scratch
 * arrays (amortized; no malloc per span). Thread-safe with separate ctx. */
int dp_otlp_json_scan(dp_decode_ctx *ctx, const char *buf, size_t len);

/* Flags for dp_otlp_json_scan_ex. */
enum {
    /* Deliver every attribute. By default an attribute whose key
     * dp_processor_attr_wanted() rejects is checked (a bad value still
     * rejects its span) but left out of the span, its escapes never
     * decoded. */
    DP_JSON_SCAN_KEEP_ALL_ATTRS = 1u << 0,
    /* A top-level array holds requests (as trace files may): each element
     * is checked and delivered on its own, in order, as trace_file.c does
     * with jansson; an element that is not an object writes "array element
     * N is not an ExportTraceServiceRequest object". DP_EPARSE when an
     * element was not a request, not an object or not shaped like one (the
     * others are still delivered). */
    DP_JSON_SCAN_ARRAY = 1u << 1,
    /* Read only the first JSON value (jansson's JSON_DISABLE_EOF_CHECK):
     * what follows it is left alone; result.used says where it ended. */
    DP_JSON_SCAN_FIRST_VALUE = 1u << 2,
    /* For malformed JSON write no message: the caller reads the result. */
    DP_JSON_SCAN_QUIET_SYNTAX = 1u << 3
};

/* What jansson's json_error_t would hold after the same text. */
typedef struct dp_json_scan_result {
    /* When the text is not JSON: the line and column (characters) of the
     * first error, jansson's text for it ("']' expected near end of file"),
     * and whether it is json_error_premature_end_of_input (the text ended
     * inside a value). text is "" for any other outcome. */
    int line, column;
    char text[160];
    bool premature;
    /* Bytes of input read, as jansson's position: after the first value
     * with DP_JSON_SCAN_FIRST_VALUE, else the whole text; at an error, the
     * error's place. (jansson skips a NUL byte put back after a number or a
     * word, so used can trail the byte offset by such NULs.) */
    size_t used;
} dp_json_scan_result;

/* dp_otlp_json_scan with DP_JSON_SCAN_* flags; res (may be NULL) receives
 * the details above. */
int dp_otlp_json_scan_ex(dp_decode_ctx *ctx, const char *buf, size_t len,
                         unsigned flags, dp_json_scan_result *res);

#ifdef __cplusplus
}
#endif

#endif /* DP_OTLP_JSON_H */
