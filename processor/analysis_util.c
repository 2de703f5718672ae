/*
 * analysis_util.c - the number and text helpers bottleneck.c and
 * optimize.c share (internal.h): exact percent rounding and comparison
 * against a configured factor, seconds and USD for messages. A leaf: it
 * calls no other processor file.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "internal.h"

__extension__ typedef __int128 i128;

/* Returns 100 * num / den rounded half up to 2 decimals, computed exactly
 * in 128-bit integers so that 27.535 never turns into 27.53 through a
 * binary fraction, for any num and den (a wall of decades, a cost of
 * millions of USD); 0 when num <= 0 or den <= 0 (no NaN, no inf). */
double dp__analysis_pct(int64_t num, int64_t den)
{
    if (num <= 0 || den <= 0)
        return 0.0;
    i128 scaled = (i128)num * 10000;
    i128 q = scaled / den, r = scaled % den;
    if (r >= den - r) /* 2r >= den without overflow */
        q++;
    return (double)q / 100.0;
}

/* Compares x * n with f * y exactly: returns -1, 0 or 1. f (a configured
 * factor or fraction) is taken to 6 decimals as the integer round(f * 1e6)
 * and both sides are multiplied out in 128 bits, so "9000 > 0.3 x 30000"
 * is false as written, not decided by how 0.3 rounds in binary. A negative
 * or non-finite f counts as 0. */
int dp__analysis_cmp(int64_t x, int64_t n, double f, int64_t y)
{
    int64_t fm = 0;
    if (isfinite(f) && f > 0)
        fm = f >= 9e12 ? INT64_MAX / 2 : (int64_t)llround(f * 1e6);
    i128 l = (i128)x * n * 1000000, r = (i128)fm * y;
    return (l > r) - (l < r);
}

/* |v| / 10^6 rounded half up (exact for INT64_MIN), and v's sign: "-" or
 * "". */
static uint64_t millionths(int64_t v, const char **sign)
{
    uint64_t u = (uint64_t)v;
    *sign = "";
    if (v < 0) {
        *sign = "-";
        u = (uint64_t)0 - u;
    }
    return (u + 500000u) / 1000000u;
}

/* Formats ns as seconds with 3 decimals ("12.456 s"), rounded to the
 * millisecond, into buf; returns buf. */
const char *dp__analysis_secs(char *buf, size_t len, int64_t ns)
{
    const char *sign;
    uint64_t ms = millionths(ns, &sign);
    snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64 " s", sign, ms / 1000u,
             ms % 1000u);
    return buf;
}

/* Formats pico-USD as "$1.20", "$0.0525", "$0.000045": rounded to the
 * micro-dollar, trailing zeros dropped down to 2 decimals. Returns buf. */
const char *dp__analysis_usd(char *buf, size_t len, int64_t pusd)
{
    const char *sign;
    uint64_t micro = millionths(pusd, &sign);
    char frac[8];
    snprintf(frac, sizeof(frac), "%06" PRIu64, micro % 1000000u);
    size_t n = 6;
    while (n > 2 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, len, "%s$%" PRIu64 ".%s", sign, micro / 1000000u, frac);
    return buf;
}
