/*
 * otlp_json_conv.c - strings and scalars for the single-pass OTLP/JSON
 * scanner (otlp_json_int.h): decoding escapes into the per-call
 * buffer, and the conversions tests/reference/otlp_json_ref.c applies to
 * jansson values (64-bit integers from numbers or strings, doubles with "NaN"
 * and "Infinity", hex or padded base64 ids), repeated here on the scanner's raw
 * views so both decoders accept and reject exactly the same values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_json_int.h"

size_t dp__js_unescape(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;

    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        uint32_t v;
        char e;

        if (o + run > cap)
            return SIZE_MAX;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i == n)
            break;
        e = s[i + 1];
        i += 2;
        if (e != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            if (o + 1 > cap)
                return SIZE_MAX;
            out[o++] = to[strchr(from, e) - from];
            continue;
        }
        v = (uint32_t)(dp_hex_digit(s[i]) << 12 | dp_hex_digit(s[i + 1]) << 8 |
                       dp_hex_digit(s[i + 2]) << 4 | dp_hex_digit(s[i + 3]));
        i += 4;
        if (v >= 0xD800 && v <= 0xDBFF) { /* the tokenizer checked the pair */
            uint32_t lo = (uint32_t)(dp_hex_digit(s[i + 2]) << 12 |
                                     dp_hex_digit(s[i + 3]) << 8 |
                                     dp_hex_digit(s[i + 4]) << 4 |
                                     dp_hex_digit(s[i + 5]));
            v = ((v - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
            i += 6;
        }
        if (o + (v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4) > cap)
            return SIZE_MAX;
        if (v < 0x80) {
            out[o++] = (char)v;
        } else if (v < 0x800) {
            out[o++] = (char)(0xC0 | v >> 6);
            out[o++] = (char)(0x80 | (v & 0x3F));
        } else if (v < 0x10000) {
            out[o++] = (char)(0xE0 | v >> 12);
            out[o++] = (char)(0x80 | (v >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (v & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | v >> 18);
            out[o++] = (char)(0x80 | (v >> 12 & 0x3F));
            out[o++] = (char)(0x80 | (v >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (v & 0x3F));
        }
    }
    return o;
}

/* Decoded text is never longer than its escaped form, and each string is
 * decoded at most once (dp__js_jv_text replaces the view), so a buffer of
 * the input's length always has room. */
const char *dp__js_str_text(scan *sc, const char *s, size_t n, bool esc,
                            size_t *out_n)
{
    char *o;

    *out_n = n;
    if (!esc)
        return s;
    if (!sc->ub && !(sc->ub = malloc(sc->l.len + 1))) {
        sc->nomem = true;
        *out_n = 0;
        return "";
    }
    o = sc->ub + sc->n_ub;
    *out_n = dp__js_unescape(s, n, o, n);
    sc->n_ub += *out_n;
    return o;
}

const char *dp__js_jv_text(scan *sc, jv *v, size_t *n)
{
    if (v->esc) {
        v->s = dp__js_str_text(sc, v->s, v->n, true, &v->n);
        v->esc = 0;
    }
    *n = v->n;
    return v->s;
}

size_t dp__js_c_len(const char *s, size_t n)
{
    const char *z = memchr(s, 0, n);
    return z ? (size_t)(z - s) : n;
}

/* ------------------------------------------------------------------------ */
/* Numbers.                                                                  */

bool dp__js_jv_u64(scan *sc, jv *x, uint64_t *out)
{
    const char *s;
    size_t n;

    if (x->t == JV_INT) {
        if (x->i < 0)
            return false;
        *out = (uint64_t)x->i;
        return true;
    }
    if (x->t == JV_REAL) {
        double d = x->d;
        if (!(d >= 0 && d < 18446744073709551616.0) || d != (double)(uint64_t)d)
            return false;
        *out = (uint64_t)d;
        return true;
    }
    if (x->t != JV_STR)
        return false;
    s = dp__js_jv_text(sc, x, &n);
    return dp__decode_parse_u64(s, n, out);
}

bool dp__js_jv_i64(scan *sc, jv *x, int64_t *out)
{
    const char *s;
    size_t n;
    bool neg;
    uint64_t u;

    if (x->t == JV_INT) {
        *out = x->i;
        return true;
    }
    if (x->t == JV_REAL) {
        double d = x->d;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
            d != (double)(int64_t)d)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (x->t != JV_STR)
        return false;
    s = dp__js_jv_text(sc, x, &n);
    neg = n > 0 && s[0] == '-';
    if (!dp__decode_parse_u64(s + neg, n - neg, &u))
        return false;
    if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX)
        return false;
    *out = !neg                           ? (int64_t)u
           : u == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                          : -(int64_t)u;
    return true;
}

bool dp__js_jv_double(scan *sc, jv *x, double *out)
{
    char small[128], *tmp = small, *end;
    const char *s;
    size_t n, cn;
    bool ok;

    if (x->t == JV_INT || x->t == JV_REAL) {
        *out = x->t == JV_INT ? (double)x->i : x->d;
        return true;
    }
    if (x->t != JV_STR)
        return false;
    s = dp__js_jv_text(sc, x, &n);
    cn = dp__js_c_len(
        s, n); /* tests/reference/otlp_json_ref.c compares the C string */
    if (cn == 3 && memcmp(s, "NaN", 3) == 0) {
        *out = NAN;
    } else if (cn == 8 && memcmp(s, "Infinity", 8) == 0) {
        *out = INFINITY;
    } else if (cn == 9 && memcmp(s, "-Infinity", 9) == 0) {
        *out = -INFINITY;
    } else {
        if (n == 0 || cn != n || s[0] == ' ')
            return false;
        if (n >= sizeof(small) && !(tmp = malloc(n + 1))) {
            sc->nomem = true;
            return false;
        }
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        *out = strtod(
            tmp,
            &end); /* as tests/reference/otlp_json_ref.c: strtod's own rules */
        ok = end == tmp + n;
        if (tmp != small)
            free(tmp);
        return ok;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Ids.                                                                      */

/* Hex digit value + 1; 0 for other bytes. */
static const unsigned char hex1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

/* dp_hex_decode (exactly 2n digits, either case) by table. */
static bool hex_id(const char *s, size_t len, uint8_t *out, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned hi = hex1[u[2 * i]], lo = hex1[u[2 * i + 1]];
        if (!hi || !lo)
            return false;
        out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    return true;
}

int dp__js_id(scan *sc, jv *x, uint8_t *out, size_t n, size_t *digits)
{
    const char *s;
    size_t len;

    *digits = 0;
    if (x->t <= JV_NULL)
        return ID_EMPTY;
    if (x->t != JV_STR)
        return ID_NOT_STRING;
    s = dp__js_jv_text(sc, x, &len);
    *digits = len;
    if (len == 0)
        return ID_EMPTY;
    if (hex_id(s, len, out, n) || dp__decode_base64_id(s, len, out, n))
        return ID_OK;
    for (size_t i = 0; i < len; i++)
        if (!hex1[(unsigned char)s[i]])
            return ID_NOT_HEX;
    return ID_WRONG_LEN;
}
