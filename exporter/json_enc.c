/*
 * json_enc.c - JSON numbers, timestamps and string characters written
 * straight into a caller's buffer (json_enc.h).
 *
 * The profile writer emits a few dozen numbers per node; formatting each
 * through snprintf cost more than everything else in the writer together.
 * Integers are written two digits at a time from a table; milliseconds and
 * USD are integers with a decimal point placed by arithmetic; the few
 * doubles (ratios, percentages) are rounded exactly from their binary value
 * with 128-bit integers; timestamps use the civil-from-days algorithm
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms") instead of
 * gmtime_r and strftime. String escaping looks at 8 bytes per step and only
 * slows down at a byte that needs attention.
 */
#include "json_enc.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

static const char pairs[201] = "00010203040506070809"
                               "10111213141516171819"
                               "20212223242526272829"
                               "30313233343536373839"
                               "40414243444546474849"
                               "50515253545556575859"
                               "60616263646566676869"
                               "70717273747576777879"
                               "80818283848586878889"
                               "90919293949596979899";

static const uint64_t pow10_u64[10] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

static unsigned digit_count(uint64_t v)
{
    unsigned n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Exactly `width` digits of v (v < 10^width), right-aligned at p + width. */
static char *put_digits(char *p, uint64_t v, unsigned width)
{
    char *end = p + width, *q = end;
    while (q - p >= 2) {
        q -= 2;
        memcpy(q, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (q > p)
        *--q = (char)('0' + v % 10);
    return end;
}

char *dp__enc_u64(char *p, uint64_t v)
{
    return put_digits(p, v, digit_count(v));
}

char *dp__enc_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return dp__enc_u64(p, 0 - (uint64_t)v);
    }
    return dp__enc_u64(p, (uint64_t)v);
}

char *dp__enc_ms(char *p, int64_t ns)
{
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000 + (mag % 1000 >= 500);

    if (ns < 0 && us > 0)
        *p++ = '-';
    p = dp__enc_u64(p, us / 1000);
    *p++ = '.';
    return put_digits(p, us % 1000, 3);
}

char *dp__enc_usd(char *p, int64_t pico_usd)
{
    /* The magnitude as uint64 so INT64_MIN needs no special case. */
    uint64_t mag = pico_usd < 0 ? 0 - (uint64_t)pico_usd : (uint64_t)pico_usd;
    uint64_t frac = mag % 1000000000000ULL;
    unsigned digits = 12;

    if (pico_usd < 0)
        *p++ = '-';
    p = dp__enc_u64(p, mag / 1000000000000ULL);
    if (frac == 0)
        return p;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    *p++ = '.';
    return put_digits(p, frac, digits);
}

char *dp__enc_fixed(char *p, double v, int decimals)
{
    uint64_t bits, m, q, scale;
    unsigned __int128 n, rem, half;
    int e;

    if (!isfinite(v)) {
        memcpy(p, "null", 4);
        return p + 4;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    /* The same expression as the writer always used, so the values that
     * become 0 are exactly the same ones. */
    if (fabs(v) < 0.5 * pow(10, -decimals))
        v = 0.0;
    if (!(fabs(v) < 1e9)) /* q below would not fit 64 bits */
        return p + snprintf(p, DP__ENC_FIXED_MAX, "%.*f", decimals, v);

    /* v = m * 2^e exactly; q = round(m * 10^decimals * 2^e), ties to even,
     * in at most 53 + 30 bits. */
    memcpy(&bits, &v, sizeof(bits));
    m = bits & ((UINT64_C(1) << 52) - 1);
    e = (int)((bits >> 52) & 0x7ff);
    if (e == 0)
        e = -1074; /* subnormal */
    else {
        m |= UINT64_C(1) << 52;
        e -= 1075;
    }
    scale = pow10_u64[decimals];
    n = (unsigned __int128)m * scale;
    if (e >= 0) /* |v| < 10^9 < 2^53: only e == 0 can occur */
        q = (uint64_t)(n << e);
    else if (e < -100) /* n < 2^83: n * 2^e < 2^-17, rounds to 0 */
        q = 0;
    else {
        q = (uint64_t)(n >> -e);
        rem = n - ((unsigned __int128)q << -e);
        half = (unsigned __int128)1 << (-e - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
    }
    if (signbit(v))
        *p++ = '-';
    p = dp__enc_u64(p, q / scale);
    if (decimals == 0)
        return p;
    *p++ = '.';
    return put_digits(p, q % scale, (unsigned)decimals);
}

char *dp__enc_rfc3339(char *p, uint64_t unix_ns)
{
    uint64_t secs = unix_ns / 1000000000u, days = secs / 86400;
    unsigned sod = (unsigned)(secs % 86400);
    /* Days since 0000-03-01 in the proleptic Gregorian calendar. */
    uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    uint64_t year = yoe + era * 400 + (month <= 2);

    p = put_digits(p, year, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    *p++ = '.';
    p = put_digits(p, unix_ns / 1000000u % 1000u, 3);
    *p++ = 'Z';
    return p;
}

/* Non-zero when one of the 8 bytes of x is below 0x20, '"', '\\' or 0x80
 * and above. Each term is exact about the lowest byte it flags (a borrow
 * only marks bytes above a real match), so on a little-endian machine the
 * lowest set bit is the first byte that needs attention. */
static inline uint64_t special8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;
    uint64_t ctl = (x - ones * 0x20) & ~x;
    uint64_t quote = x ^ (ones * '"'), bslash = x ^ (ones * '\\');
    quote = (quote - ones) & ~quote;
    bslash = (bslash - ones) & ~bslash;
    return (ctl | quote | bslash | x) & highs;
}

/* See buf.h (declared there for every writer of the exporter; the
 * encoder's rule, so defined here). */
size_t dp__utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        *bad = 1; /* 0x80..0xC1 or 0xF5..0xFF: never valid as a lead byte */
        return 0;
    }
    for (i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return len;
}

char *dp__enc_json_chars(char *p, const char *s, size_t n, size_t limit,
                         size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, seq, bad;

    while (i < limit) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* 8 bytes at a time; a last piece shorter than 8 is padded with
         * spaces (which need nothing), so short strings take one step. */
        size_t left = limit - i;
        if (left >= 2) {
            const uint64_t spaces = 0x2020202020202020ULL;
            uint64_t x = spaces, m;
            size_t k = left < 8 ? left : 8;
            if (n - i >= 8)
                memcpy(&x, u + i, 8);
            else
                memcpy(&x, u + i, n - i);
            if (k < 8) {
                uint64_t keep = (UINT64_C(1) << (8 * k)) - 1;
                x = (x & keep) | (spaces & ~keep);
            }
            m = special8(x);
            if (m != 0)
                k = (size_t)__builtin_ctzll(m) / 8;
            /* All 8 bytes are stored, only k count: the room for 6 bytes
             * per input byte left (>= 12) covers the rest. */
            memcpy(p, &x, 8);
            p += k;
            i += k;
            if (m == 0)
                continue;
        }
#endif
        unsigned char c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            *p++ = (char)c;
            i++;
        } else if (c == '"' || c == '\\') {
            p[0] = '\\';
            p[1] = (char)c;
            p += 2;
            i++;
        } else if (c < 0x20) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
            i++;
        } else if ((seq = dp__utf8_seq(u + i, n - i, &bad)) == 0) {
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
            i += bad;
        } else if (seq == 3 && c == 0xE2 && u[i + 1] == 0x80 &&
                   (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
            memcpy(p, u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            p += 6;
            i += 3;
        } else {
            memcpy(p, u + i, seq);
            p += seq;
            i += seq;
        }
    }
    *used = i;
    return p;
}
