/*
 * buf.h - a growable byte buffer, the one output primitive of dagprof.
 *
 * Every exporter (JSON lines, text report, Prometheus text, OTLP push
 * bodies) and the dagprof command build their output by appending to a
 * dp_buf, then write data[0..len) in one call. Besides raw appends it knows
 * the two encodings every output needs: an escaped JSON string and an exact
 * decimal USD amount from integer pico-USD.
 *
 * The caller owns the struct: dp_buf_init() fills it, dp_buf_fini() frees
 * the storage. Functions return 0 or DP_ENOMEM; on DP_ENOMEM the buffer keeps
 * its previous complete contents (nothing half-appended stays behind).
 */
#ifndef DP_EXPORTER_BUF_H
#define DP_EXPORTER_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* data is NUL-terminated whenever len > 0 (data[len] == '\0'); data may be
 * NULL while nothing was ever appended. */
typedef struct dp_buf {
    char *data;
    size_t len, cap;
} dp_buf;

/* Makes b empty without allocating. */
void dp_buf_init(dp_buf *b);
/* Frees the storage and leaves b empty (reusable). Accepts NULL. */
void dp_buf_fini(dp_buf *b);
/* Sets len to 0 and keeps the storage for reuse. */
void dp_buf_reset(dp_buf *b);
/* Sets len back to len (at most b->len) and keeps the storage: takes back
 * what was appended since, as a writer does after a failure. */
void dp_buf_truncate(dp_buf *b, size_t len);

/* Makes room for extra more bytes (plus the NUL) without changing len or
 * the contents, so a writer can fill data[len..len+extra) directly and then
 * advance len (and write the NUL). Amortized O(extra). */
int dp_buf_reserve(dp_buf *b, size_t extra);
/* Appends n bytes of p (may contain NULs). Amortized O(n). */
int dp_buf_append(dp_buf *b, const void *p, size_t n);
/* Appends the NUL-terminated string s (NULL appends nothing). */
int dp_buf_puts(dp_buf *b, const char *s);
/* Appends printf-formatted text. */
int dp_buf_printf(dp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a quoted JSON string. '"' and '\\' are backslash-escaped,
 * every control character below 0x20 is written \u00XX, U+2028 and U+2029
 * are written \u2028 / \u2029 (safe to embed in JavaScript). Valid UTF-8
 * passes through; each maximal invalid UTF-8 subsequence (overlong forms,
 * surrogates, code points above U+10FFFF, stray or missing continuation
 * bytes) is replaced by one U+FFFD. NULL is written as "". O(strlen(s)). */
int dp_buf_json_string(dp_buf *b, const char *s);
/* Same for the first len bytes of s (NUL bytes are escaped as \u0000). */
int dp_buf_json_stringn(dp_buf *b, const char *s, size_t len);
/* Appends the exact decimal value of pico_usd / 10^12 with trailing zeros
 * of the fraction trimmed and no exponent: 420000000000 -> "0.42",
 * 0 -> "0", 1 -> "0.000000000001", -300000000000 -> "-0.3". Exact for
 * every int64 including INT64_MIN. Valid as a JSON number. */
int dp_buf_usd(dp_buf *b, int64_t pico_usd);
/* Appends ns as milliseconds with exactly 3 decimals, rounded to the
 * microsecond half away from zero with integer arithmetic only:
 * 3421000000 -> "3421.000", 1234567 -> "1.235", -1500 -> "-0.002",
 * 499 -> "0.000". Valid as a JSON number. */
int dp_buf_ms(dp_buf *b, int64_t ns);

/* Writes pusd pico-USD for a person into out (NUL-terminated; 48 bytes is
 * always enough) and returns out. One rule for every human-facing amount
 * (text report, summary, compare): fixed decimals chosen by magnitude,
 * rounded half away from zero - 2 decimals from $1 up ("$1513.67",
 * "-$2.50"), 4 below ("$0.1516", "$0.0043"), "$0.00" for zero, and
 * "<$0.0001" (or "-<$0.0001") for a non-zero amount below that. */
const char *dp_money_text(char *out, size_t len, __int128 pusd);

/* Internal to exporter/: the appends of the writers that check for an
 * error once at the end (the HTML and text reports). dp__buf_put appends
 * s[0..n) unless *err is already set and keeps the first error in *err;
 * dp__buf_vputf formats into a line of line_max bytes (1 to 512; longer
 * output is cut to line_max - 1 bytes) and appends it the same way. */
void dp__buf_put(dp_buf *b, int *err, const char *s, size_t n);
void dp__buf_vputf(dp_buf *b, int *err, size_t line_max, const char *fmt,
                   va_list ap) __attribute__((format(printf, 4, 0)));

/* Internal to exporter/: input bytes a JSON string encoder handles per
 * reservation (at most 6 output bytes each). */
#define DP__JSON_CHUNK 4096

/* Internal to exporter/: the length of the valid UTF-8 sequence at
 * s[0..n) (n >= 1), or 0 when the bytes there do not start one; then *bad
 * receives the length of the maximal invalid subpart to replace by one
 * U+FFFD (always >= 1). Overlong forms, surrogates and code points above
 * U+10FFFF are invalid. O(1). */
size_t dp__utf8_seq(const unsigned char *s, size_t n, size_t *bad);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_BUF_H */
