/*
 * json_scan_ref.h - the jansson-based reference for dp_otlp_json_scan_ex's
 * flags, shared by test_otlp_json_scan.c and the fuzz target
 * fuzz_otlp_json_scan.c. Static: each includes it into its own program.
 */
#ifndef DP_TEST_JSON_SCAN_REF_H
#define DP_TEST_JSON_SCAN_REF_H

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "otlp_json.h"
#include "otlp_ref.h"

/* The reference for dp_otlp_json_scan_ex's flags, built from jansson the
 * way trace_file.c uses it: json_loadb (JSON_DISABLE_EOF_CHECK for
 * DP_JSON_SCAN_FIRST_VALUE), json_error_t for the result, and
 * dp_ref_otlp_json_decode_value per request (per element of a root array). */
static int ref_decode_ex(dp_decode_ctx *ctx, const char *buf, size_t len,
                         unsigned flags, dp_json_scan_result *res)
{
    json_error_t err;
    json_t *v, *item;
    size_t i;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    v = json_loadb(
        buf, len,
        JSON_ALLOW_NUL |
            (flags & DP_JSON_SCAN_FIRST_VALUE ? JSON_DISABLE_EOF_CHECK : 0),
        &err);
    res->used = (size_t)err.position;
    if (!v) {
        res->line = err.line;
        res->column = err.column;
        snprintf(res->text, sizeof(res->text), "%s", err.text);
        res->premature =
            json_error_code(&err) == json_error_premature_end_of_input;
        if (!(flags & DP_JSON_SCAN_QUIET_SYNTAX))
            dp__decode_error(ctx, "malformed JSON at line %d, column %d: %s",
                             err.line, err.column, err.text);
        return DP_EPARSE;
    }
    if (!(flags & DP_JSON_SCAN_ARRAY) || !json_is_array(v)) {
        rc = dp_ref_otlp_json_decode_value(ctx, v);
    } else {
        json_array_foreach(v, i, item)
        {
            if (!json_is_object(item)) {
                dp__decode_error(ctx,
                                 "array element %zu is not an "
                                 "ExportTraceServiceRequest object",
                                 i);
                rc = DP_EPARSE;
            } else if (dp_ref_otlp_json_decode_value(ctx, item) == DP_EPARSE) {
                rc = DP_EPARSE;
            }
        }
    }
    json_decref(v);
    return rc;
}

#endif /* DP_TEST_JSON_SCAN_REF_H */
