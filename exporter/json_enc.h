/*
 * json_enc.h - encoders of JSON values straight into memory, no printf.
 *
 * Internal to exporter/: the profile JSON writer (profile_json.c) and the
 * dp_buf helpers (buf.c) reserve room in their buffer, then call these to
 * write a number, a timestamp or the escaped characters of a string at a
 * cursor, and continue from the returned end. Each writes exactly what the
 * printf format named in its comment wrote before (the differential tests in
 * tests/unit/test_json_enc.c and test_profile_json_diff.c hold them to it),
 * and never more than the bound its comment gives. Nothing is
 * NUL-terminated. All are O(length of the output).
 */
#ifndef DP_EXPORTER_JSON_ENC_H
#define DP_EXPORTER_JSON_ENC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room every number encoder below except dp__enc_fixed needs. */
#define DP__ENC_NUM_MAX 24
/* Room dp__enc_fixed needs: "%.9f" of the largest double plus a sign. */
#define DP__ENC_FIXED_MAX 328
/* Room dp__enc_rfc3339 needs. */
#define DP__ENC_RFC3339_MAX 24

/* v in decimal, as "%" PRIu64 (at most 20 bytes). */
char *dp__enc_u64(char *p, uint64_t v);
/* v in decimal, as "%" PRId64 (at most 20 bytes). */
char *dp__enc_i64(char *p, int64_t v);
/* ns as milliseconds with exactly 3 decimals, rounded to the microsecond
 * half away from zero, as dp_buf_ms (buf.h) defines it (at most 21 bytes). */
char *dp__enc_ms(char *p, int64_t ns);
/* pico_usd / 10^12 exactly, trailing zeros of the fraction trimmed, as
 * dp_buf_usd (buf.h) defines it (at most 21 bytes). */
char *dp__enc_usd(char *p, int64_t pico_usd);
/* v with `decimals` (0..9) decimals, as "%.*f" after the profile's rule:
 * NaN and infinities are written null, a value that would round to zero
 * (|v| < 0.5 * 10^-decimals) is written as 0, so no "-0.00". Exact (the
 * binary value rounded half to even, as glibc's printf does) by integer
 * arithmetic for |v| < 10^9; larger values, which no ratio or percentage
 * reaches, go through snprintf. At most DP__ENC_FIXED_MAX bytes. */
char *dp__enc_fixed(char *p, double v, int decimals);
/* unix_ns as RFC 3339 UTC with milliseconds, truncated, without quotes:
 * "2024-01-15T10:31:00.456Z", as gmtime_r + strftime("%Y-%m-%dT%H:%M:%S")
 * + ".%03uZ" (exactly 24 bytes: every uint64 ns is a year below 2600). */
char *dp__enc_rfc3339(char *p, uint64_t unix_ns);
/* Appends the same in double quotes to b (alert payloads). Returns 0 or
 * DP_ENOMEM. */
struct dp_buf;
int dp__enc_put_rfc3339(struct dp_buf *b, uint64_t unix_ns); /* buf.c */

/* The characters of a JSON string (no quotes) for s[0..n), with the rules of
 * dp_buf_json_stringn (buf.h): '"' and '\\' backslash-escaped, bytes below
 * 0x20 as \u00XX, U+2028 / U+2029 as \u2028 / \u2029, valid UTF-8 copied,
 * each maximal invalid subsequence replaced by U+FFFD. Encodes the
 * sequences that start in s[0..limit) (limit <= n; the last may read up to
 * 3 bytes past limit, never past n), stores in *used the bytes consumed
 * (>= limit when limit > 0) and returns the end. Writes at most 6 * limit
 * bytes. Runs of bytes that need nothing are found 8 at a time. */
char *dp__enc_json_chars(char *p, const char *s, size_t n, size_t limit,
                         size_t *used);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_JSON_ENC_H */
