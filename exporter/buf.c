/*
 * buf.c - the growable byte buffer every exporter writes into (buf.h).
 *
 * Storage doubles when full, so n appends cost O(total bytes). The JSON
 * string encoder validates UTF-8 as it goes (Unicode's "maximal subpart"
 * replacement, the same rule browsers use), so any bytes a span carried end
 * up as valid JSON. Money is printed from integer pico-USD with integer
 * arithmetic only: no double ever touches a dollar amount. Numbers and
 * string characters are encoded by json_enc.c, straight into the storage.
 */
#include "buf.h"

#include "json_enc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dp_buf_init(dp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void dp_buf_fini(dp_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    dp_buf_init(b);
}

void dp_buf_reset(dp_buf *b)
{
    dp_buf_truncate(b, 0);
}

void dp_buf_truncate(dp_buf *b, size_t len)
{
    b->len = len;
    if (b->data != NULL)
        b->data[len] = '\0';
}

/* Makes room for extra more bytes plus the NUL. */
static int reserve(dp_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return DP_ENOMEM;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (p == NULL)
        return DP_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int dp_buf_reserve(dp_buf *b, size_t extra)
{
    return reserve(b, extra);
}

int dp_buf_append(dp_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (reserve(b, n) != 0)
        return DP_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dp_buf_puts(dp_buf *b, const char *s)
{
    return s ? dp_buf_append(b, s, strlen(s)) : 0;
}

/* See buf.h. */
void dp__buf_put(dp_buf *b, int *err, const char *s, size_t n)
{
    if (*err == 0)
        *err = dp_buf_append(b, s, n);
}

/* See buf.h. */
void dp__buf_vputf(dp_buf *b, int *err, size_t line_max, const char *fmt,
                   va_list ap)
{
    char line[512];
    int n;

    if (line_max > sizeof(line))
        line_max = sizeof(line);
    n = vsnprintf(line, line_max, fmt, ap);
    if (n < 0)
        n = 0;
    dp__buf_put(b, err, line, (size_t)n < line_max ? (size_t)n : line_max - 1);
}

int dp_buf_printf(dp_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room = b->cap > b->len ? b->cap - b->len : 0;

    va_start(ap, fmt);
    n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (b->data != NULL)
            b->data[b->len] = '\0';
        return DP_EINVAL;
    }
    if ((size_t)n >= room) {
        if (reserve(b, (size_t)n) != 0) {
            if (b->data != NULL)
                b->data[b->len] = '\0';
            return DP_ENOMEM;
        }
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
    return 0;
}

int dp_buf_json_stringn(dp_buf *b, const char *s, size_t n)
{
    size_t start = b->len, i = 0, used;

    /* Room for the worst case of each chunk (6 bytes out per byte in), so
     * the encoder writes without checks; a long string goes in chunks so
     * the buffer never grows to 6 times its size. */
    if (reserve(b, 2 + 6 * (n < DP__JSON_CHUNK ? n : DP__JSON_CHUNK)) != 0)
        return DP_ENOMEM;
    b->data[b->len++] = '"';
    while (i < n) {
        size_t lim = n - i < DP__JSON_CHUNK ? n - i : DP__JSON_CHUNK;
        if (reserve(b, 6 * lim + 1) != 0) {
            dp_buf_truncate(b, start);
            return DP_ENOMEM;
        }
        char *end =
            dp__enc_json_chars(b->data + b->len, s + i, n - i, lim, &used);
        b->len = (size_t)(end - b->data);
        i += used;
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return 0;
}

int dp_buf_json_string(dp_buf *b, const char *s)
{
    return dp_buf_json_stringn(b, s ? s : "", s ? strlen(s) : 0);
}

int dp_buf_usd(dp_buf *b, int64_t pico_usd)
{
    if (reserve(b, DP__ENC_NUM_MAX) != 0)
        return DP_ENOMEM;
    b->len = (size_t)(dp__enc_usd(b->data + b->len, pico_usd) - b->data);
    b->data[b->len] = '\0';
    return 0;
}

int dp_buf_ms(dp_buf *b, int64_t ns)
{
    if (reserve(b, DP__ENC_NUM_MAX) != 0)
        return DP_ENOMEM;
    b->len = (size_t)(dp__enc_ms(b->data + b->len, ns) - b->data);
    b->data[b->len] = '\0';
    return 0;
}

int dp__enc_put_rfc3339(dp_buf *b, uint64_t unix_ns)
{
    char t[DP__ENC_RFC3339_MAX + 2], *p = t;
    *p++ = '"';
    p = dp__enc_rfc3339(p, unix_ns);
    *p++ = '"';
    return dp_buf_append(b, t, (size_t)(p - t));
}

const char *dp_money_text(char *out, size_t len, __int128 pusd)
{
    /* Unsigned like mag: every comparison below is between unsigned
     * values (-Wsign-compare, which Debug builds see unoptimized). */
    const unsigned __int128 cent = 10000000000u, tenth_mill = 100000000u;
    unsigned __int128 mag = pusd < 0
                                ? (unsigned __int128)0 - (unsigned __int128)pusd
                                : (unsigned __int128)pusd;
    const char *sign = pusd < 0 ? "-" : "";
    /* $1 and up (after rounding to 4 decimals): 2 decimals. */
    bool big =
        mag / tenth_mill + (mag % tenth_mill >= tenth_mill / 2) >= 10000u;
    unsigned __int128 unit = big ? cent : tenth_mill;
    unsigned __int128 r = mag / unit + (mag % unit >= unit / 2);
    unsigned scale = big ? 100 : 10000;
    char whole[48];
    size_t n = 0;

    if (mag == 0) {
        snprintf(out, len, "$0.00");
        return out;
    }
    if (r == 0) {
        snprintf(out, len, "%s<$0.0001", sign);
        return out;
    }
    unsigned __int128 w = r / scale;
    do { /* the whole dollars, in decimal (may exceed 64 bits) */
        whole[n++] = (char)('0' + (int)(w % 10));
        w /= 10;
    } while (w && n < sizeof(whole) - 1);
    for (size_t i = 0; i < n / 2; i++) {
        char c = whole[i];
        whole[i] = whole[n - 1 - i];
        whole[n - 1 - i] = c;
    }
    whole[n] = '\0';
    snprintf(out, len, "%s$%s.%0*u", sign, whole, big ? 2 : 4,
             (unsigned)(r % scale));
    return out;
}
