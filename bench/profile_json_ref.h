/*
 * profile_json_ref.h - the frozen reference profile JSON writer (see
 * profile_json_ref.c): today's output of dp_profile_json_write, produced
 * with snprintf, for differential tests and the writer benchmark.
 */
#ifndef DP_BENCH_PROFILE_JSON_REF_H
#define DP_BENCH_PROFILE_JSON_REF_H

#include "buf.h"
#include "processor.h"

/* Same contract and, by definition, the expected bytes of
 * dp_profile_json_write (exporter/profile_json.h). */
int dp_profile_json_write_ref(dp_buf *out, const dp_profile *p);

/* The encoders it used, as exporter/buf.c had them: dp_buf_json_stringn,
 * dp_buf_usd and dp_buf_ms through snprintf and byte-by-byte escaping. */
int dp_json_stringn_ref(dp_buf *b, const char *s, size_t n);
int dp_usd_ref(dp_buf *b, int64_t pico_usd);
int dp_ms_ref(dp_buf *b, int64_t ns);

#endif /* DP_BENCH_PROFILE_JSON_REF_H */
