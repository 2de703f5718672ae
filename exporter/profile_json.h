/*
 * profile_json.h - a finished dp_profile as one line of JSON.
 *
 * The JSON-lines exporter, `dagprof report --output json`, the history
 * store and serve's other exporters (webhook, OTLP logs, through the record
 * dp_record_profile renders once) all serialize profiles through this one
 * writer, so the shape defined in DESIGN.md "Output" exists in exactly one
 * place. It formats without printf (json_enc.h); its bytes are those of the
 * printf-based writer frozen in bench/profile_json_ref.c.
 */
#ifndef DP_EXPORTER_PROFILE_JSON_H
#define DP_EXPORTER_PROFILE_JSON_H

#include "buf.h"
#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends p as one JSON object followed by '\n' to out; p is only read.
 * Field names and order are those of DESIGN.md "Output". Times are
 * milliseconds with exactly 3 decimals (rounded to the microsecond, half
 * away from zero, from the integer nanoseconds), ratios have 4 decimals,
 * impact 2, money is exact decimal USD, startTimeUnixNano is a string.
 * Non-finite ratios (never produced by the processor) are written null.
 * NULL strings are written "". The output is valid JSON for any profile,
 * including one with no nodes. Returns 0, DP_EINVAL (NULL argument) or
 * DP_ENOMEM; on error out keeps its previous contents. O(size of p). */
int dp_profile_json_write(dp_buf *out, const dp_profile *p);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_PROFILE_JSON_H */
