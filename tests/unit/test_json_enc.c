/*
 * test_json_enc.c - unit tests for exporter/json_enc.c, the printf-free
 * encoders of the profile writer: each is compared with what produced the
 * same text before (snprintf with the same format, gmtime_r + strftime, and
 * the frozen byte-by-byte string escaper and number helpers of
 * bench/profile_json_ref.c) on edge values and on a few hundred thousand
 * seeded random ones, and held to its documented output bound.
 */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "json_enc.h"
#include "profile_json_ref.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

/* splitmix64: deterministic, so a failure reproduces. */
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* An integer of any magnitude: random bits shifted to a random width, so
 * short and long numbers are both common. */
static uint64_t rnd_width(void)
{
    return rnd() >> (rnd() % 64);
}

#define GUARD 0x5A

/* Runs an encoder into a guarded buffer; checks it wrote at most max bytes
 * and returns its output NUL-terminated. */
#define ENCODE(out, max, call)                                                 \
    do {                                                                       \
        char *p_ = (out), *e_;                                                 \
        memset(p_, GUARD, sizeof(out));                                        \
        e_ = (call);                                                           \
        assert_true(e_ >= p_ && (size_t)(e_ - p_) <= (max));                   \
        assert_int_equal((unsigned char)p_[max], GUARD);                       \
        *e_ = '\0';                                                            \
    } while (0)

static const int64_t edge_i64[] = {0,
                                   1,
                                   -1,
                                   9,
                                   10,
                                   99,
                                   100,
                                   499,
                                   500,
                                   501,
                                   -499,
                                   -500,
                                   -501,
                                   999,
                                   1000,
                                   1499,
                                   1500,
                                   -1500,
                                   999999,
                                   1000000,
                                   1234567,
                                   999999999999,
                                   1000000000000,
                                   1000000000001,
                                   -1000000000000,
                                   420000000000,
                                   -300000000000,
                                   9999999999999999,
                                   INT64_MAX,
                                   INT64_MIN,
                                   INT64_MAX - 499,
                                   INT64_MIN + 1,
                                   INT64_MIN + 500};

static void check_i64(int64_t v)
{
    char got[64], want[64];
    dp_buf b;

    ENCODE(got, 20, dp__enc_i64(got, v));
    snprintf(want, sizeof(want), "%" PRId64, v);
    assert_string_equal(got, want);
    ENCODE(got, 20, dp__enc_u64(got, (uint64_t)v));
    snprintf(want, sizeof(want), "%" PRIu64, (uint64_t)v);
    assert_string_equal(got, want);

    dp_buf_init(&b);
    ENCODE(got, 21, dp__enc_ms(got, v));
    assert_int_equal(dp_ms_ref(&b, v), 0);
    assert_string_equal(got, b.data);
    dp_buf_reset(&b);
    ENCODE(got, 21, dp__enc_usd(got, v));
    assert_int_equal(dp_usd_ref(&b, v), 0);
    assert_string_equal(got, b.data);
    /* and through the dp_buf helpers every exporter uses */
    dp_buf_reset(&b);
    assert_int_equal(dp_buf_usd(&b, v), 0);
    assert_string_equal(got, b.data);
    dp_buf_reset(&b);
    assert_int_equal(dp_buf_ms(&b, v), 0);
    ENCODE(got, 21, dp__enc_ms(got, v));
    assert_string_equal(got, b.data);
    dp_buf_fini(&b);
}

static void test_json_enc_integers_ms_usd(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(edge_i64) / sizeof(*edge_i64); i++)
        check_i64(edge_i64[i]);
    for (uint64_t p = 1; p != 0 && p <= UINT64_MAX / 10; p *= 10) {
        for (int d = -2; d <= 2; d++) {
            check_i64((int64_t)(p + (uint64_t)d));
            check_i64(-(int64_t)(p + (uint64_t)d));
        }
    }
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rnd_width();
        check_i64(rnd() & 1 ? (int64_t)r : -(int64_t)(r >> 1));
    }
}

/* What the writer printed before: "%.*f" after the zero rule. */
static void fixed_ref(char *out, size_t n, double v, int decimals)
{
    if (!isfinite(v)) {
        snprintf(out, n, "null");
        return;
    }
    if (fabs(v) < 0.5 * pow(10, -decimals))
        v = 0.0;
    snprintf(out, n, "%.*f", decimals, v);
}

static void check_fixed(double v)
{
    char got[DP__ENC_FIXED_MAX + 8], want[DP__ENC_FIXED_MAX + 8];
    for (int d = 0; d <= 9; d++) {
        ENCODE(got, DP__ENC_FIXED_MAX, dp__enc_fixed(got, v, d));
        fixed_ref(want, sizeof(want), v, d);
        if (strcmp(got, want) != 0)
            fail_msg("%.17g with %d decimals: got %s, want %s", v, d, got,
                     want);
    }
}

static void test_json_enc_fixed_doubles(void **state)
{
    static const double edge[] = {0.0,
                                  1.0,
                                  0.5,
                                  1.5,
                                  2.5,
                                  0.125,
                                  0.375,
                                  0.00005,
                                  0.005,
                                  0.000049999999999999996,
                                  0.98725781,
                                  1.538075,
                                  77.845,
                                  99.995,
                                  100.0,
                                  0.1,
                                  0.7,
                                  1e-300,
                                  5e-324,
                                  2.2250738585072014e-308,
                                  999999999.99995,
                                  999999999.9999999,
                                  1e9,
                                  1e15,
                                  4503599627370496.5,
                                  9007199254740993.0,
                                  1e300,
                                  1.7976931348623157e308};
    (void)state;
    for (size_t i = 0; i < sizeof(edge) / sizeof(*edge); i++) {
        check_fixed(edge[i]);
        check_fixed(-edge[i]);
        check_fixed(nextafter(edge[i], 0));
        check_fixed(nextafter(edge[i], INFINITY));
        check_fixed(-nextafter(edge[i], INFINITY));
    }
    check_fixed(NAN);
    check_fixed(-NAN);
    check_fixed(INFINITY);
    check_fixed(-INFINITY);
    check_fixed(-0.0);
    /* every decimal tie and its neighbours at 1 to 4 decimals */
    for (int d = 1; d <= 4; d++) {
        double scale = pow(10, d);
        for (int k = 0; k < 3000; k++) {
            double v = (k + 0.5) / scale;
            check_fixed(v);
            check_fixed(nextafter(v, 0));
            check_fixed(nextafter(v, 1e9));
        }
    }
    /* the zero thresholds and their neighbours */
    for (int d = 0; d <= 9; d++) {
        double t = 0.5 * pow(10, -d);
        check_fixed(t);
        check_fixed(-t);
        check_fixed(nextafter(t, 0));
        check_fixed(-nextafter(t, 0));
    }
    for (int i = 0; i < 50000; i++) {
        uint64_t bits = rnd();
        double v;
        memcpy(&v, &bits, sizeof(v));
        check_fixed(v);                                      /* any double */
        check_fixed((double)(rnd() % 2000000) / 1000.0);     /* percentages */
        check_fixed((double)(rnd() >> 11) * 0x1p-53 * 64.0); /* ratios */
        check_fixed(ldexp((double)(rnd() >> 11), (int)(rnd() % 80) - 90));
    }
}

static void check_rfc3339(uint64_t ns)
{
    char got[64], want[64];
    time_t secs = (time_t)(ns / 1000000000u);
    struct tm tm;
    size_t n;

    ENCODE(got, DP__ENC_RFC3339_MAX, dp__enc_rfc3339(got, ns));
    assert_non_null(gmtime_r(&secs, &tm));
    n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
    assert_true(n > 0);
    snprintf(want + n, sizeof(want) - n, ".%03uZ",
             (unsigned)(ns / 1000000u % 1000u));
    if (strcmp(got, want) != 0)
        fail_msg("%" PRIu64 ": got %s, want %s", ns, got, want);
}

static void test_json_enc_rfc3339(void **state)
{
    static const uint64_t edge[] = {0,
                                    999999,
                                    1000000,
                                    86399999999999,
                                    86400000000000,
                                    951782400000000000,  /* 2000-02-29 */
                                    951868800000000000,  /* 2000-03-01 */
                                    4107542400000000000, /* 2100-03-01 */
                                    1705314660456000000,
                                    UINT64_MAX,
                                    UINT64_MAX - 999999999};
    (void)state;
    for (size_t i = 0; i < sizeof(edge) / sizeof(*edge); i++)
        check_rfc3339(edge[i]);
    /* every day boundary of a few centuries, then random instants */
    for (uint64_t day = 0; day < 200000; day += 1 + rnd() % 7) {
        check_rfc3339(day * 86400000000000ULL);
        check_rfc3339(day * 86400000000000ULL - (day ? 1 : 0));
    }
    for (int i = 0; i < 100000; i++)
        check_rfc3339(rnd());
}

/* A random string over bytes that each need a different path: plain
 * ASCII, the escaped ones, UTF-8 leads and continuations, E2 80 A8. */
static size_t rnd_bytes(char *s, size_t max)
{
    static const unsigned char pick[] = {
        'a',  'b',  'Z',  '0',  ' ',  '~',  '"',  '\\', 0x00, 0x01, 0x1f,
        0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0,
        0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f, 0xa8, 0xa9, '/'};
    size_t n = (size_t)(rnd() % (max + 1));
    bool plain = rnd() % 2;
    for (size_t i = 0; i < n; i++) {
        if (plain && rnd() % 16)
            s[i] = (char)('a' + rnd() % 26);
        else if (rnd() % 8 == 0) {
            static const char *const seqs[] = {"\xe2\x80\xa8", "\xe2\x80\xa9",
                                               "\xc3\xa9", "\xf0\x9f\x98\x80",
                                               "\xe2\x82\xac"};
            const char *q = seqs[rnd() % 5];
            size_t k = strlen(q);
            if (i + k > n)
                k = n - i;
            memcpy(s + i, q, k);
            i += k - 1;
        } else
            s[i] = (char)pick[rnd() % sizeof(pick)];
    }
    return n;
}

static void check_string(const char *s, size_t n)
{
    dp_buf got, want;
    dp_buf_init(&got);
    dp_buf_init(&want);
    assert_int_equal(dp_buf_json_stringn(&got, s, n), 0);
    assert_int_equal(dp_json_stringn_ref(&want, s, n), 0);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, got.len);
    assert_int_equal(got.data[got.len], '\0');
    dp_buf_fini(&got);
    dp_buf_fini(&want);
}

static void test_json_enc_strings_match_reference(void **state)
{
    static char s[3 * DP__JSON_CHUNK];
    (void)state;
    check_string("", 0);
    check_string("plain ascii, longer than eight bytes", 36);
    check_string("\"\\\x01\x1f\x7f\xe2\x80\xa8\xe2\x80\xa9\xed\xa0\x80", 14);
    for (int i = 0; i < 100000; i++) {
        size_t n = rnd_bytes(s, i % 10 == 0 ? 200 : 24);
        check_string(s, n);
    }
    /* long strings: chunks of DP__JSON_CHUNK input bytes, with a
     * multi-byte sequence or an escape across every chunk boundary */
    for (int i = 0; i < 300; i++) {
        size_t n = sizeof(s) - (size_t)(rnd() % 64);
        for (size_t k = 0; k < n; k++)
            s[k] = (char)('a' + k % 26);
        for (size_t b = DP__JSON_CHUNK; b < n; b += DP__JSON_CHUNK) {
            size_t at = b - (size_t)(rnd() % 4);
            char tmp[8];
            size_t k = rnd_bytes(tmp, 4);
            if (at + k <= n)
                memcpy(s + at, tmp, k);
        }
        check_string(s, n);
    }
}

/* The encoder alone: it stops at the first boundary at or after limit,
 * writes at most 6 bytes per input byte and never reads past n. */
static void test_json_enc_chars_limit_and_bound(void **state)
{
    char s[64], out[6 * 64 + 16];
    (void)state;
    for (int i = 0; i < 200000; i++) {
        size_t n = rnd_bytes(s, sizeof(s)), lim, used;
        char *e;
        if (n == 0)
            continue;
        lim = 1 + (size_t)(rnd() % n);
        memset(out, GUARD, sizeof(out));
        e = dp__enc_json_chars(out, s, n, lim, &used);
        assert_true(used >= lim && used <= n && used <= lim + 3);
        assert_true((size_t)(e - out) <= 6 * lim);
        assert_int_equal((unsigned char)out[6 * lim], GUARD);
    }
    /* all escapes: the bound is reached */
    memset(s, 0x01, sizeof(s));
    {
        size_t used;
        char *e = dp__enc_json_chars(out, s, 64, 64, &used);
        assert_int_equal(used, 64);
        assert_int_equal(e - out, 6 * 64);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_enc_integers_ms_usd),
        cmocka_unit_test(test_json_enc_fixed_doubles),
        cmocka_unit_test(test_json_enc_rfc3339),
        cmocka_unit_test(test_json_enc_strings_match_reference),
        cmocka_unit_test(test_json_enc_chars_limit_and_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
