/*
 * test_buf.c - unit tests for exporter/buf.c, the byte buffer every
 * exporter writes into: growth, printf, JSON string escaping (including
 * invalid UTF-8), exact USD from pico-USD and milliseconds from ns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "buf.h"

/* Returns the JSON encoding of s[0..n) in a static buffer. */
static const char *json_of(const char *s, size_t n)
{
    static char out[256];
    dp_buf b;

    dp_buf_init(&b);
    assert_int_equal(dp_buf_json_stringn(&b, s, n), 0);
    assert_true(b.len < sizeof(out));
    memcpy(out, b.data, b.len + 1);
    dp_buf_fini(&b);
    return out;
}

static const char *usd_of(int64_t v)
{
    static char out[64];
    dp_buf b;

    dp_buf_init(&b);
    assert_int_equal(dp_buf_usd(&b, v), 0);
    memcpy(out, b.data, b.len + 1);
    dp_buf_fini(&b);
    return out;
}

static const char *ms_of(int64_t ns)
{
    static char out[64];
    dp_buf b;

    dp_buf_init(&b);
    assert_int_equal(dp_buf_ms(&b, ns), 0);
    memcpy(out, b.data, b.len + 1);
    dp_buf_fini(&b);
    return out;
}

static void test_buf_init_fini_reset(void **state)
{
    dp_buf b;
    (void)state;

    dp_buf_init(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(dp_buf_puts(&b, "abc"), 0);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    dp_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data); /* storage kept */
    assert_string_equal(b.data, "");
    assert_int_equal(dp_buf_puts(&b, "xy"), 0);
    assert_string_equal(b.data, "xy");
    dp_buf_fini(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    dp_buf_fini(&b); /* twice is fine */
    dp_buf_fini(NULL);
}

static void test_buf_append_grows(void **state)
{
    dp_buf b;
    char chunk[1000];
    (void)state;

    memset(chunk, 'x', sizeof(chunk));
    dp_buf_init(&b);
    for (int i = 0; i < 100; i++)
        assert_int_equal(dp_buf_append(&b, chunk, sizeof(chunk)), 0);
    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[0], 'x');
    assert_int_equal(b.data[99999], 'x');
    /* embedded NULs are kept */
    dp_buf_reset(&b);
    assert_int_equal(dp_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    assert_int_equal(dp_buf_append(&b, "", 0), 0);
    assert_int_equal(dp_buf_puts(&b, NULL), 0);
    assert_int_equal(b.len, 3);
    dp_buf_fini(&b);
}

static void test_buf_printf_long_and_short(void **state)
{
    dp_buf b;
    char big[5000];
    (void)state;

    dp_buf_init(&b);
    assert_int_equal(dp_buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_string_equal(b.data, "42-x");
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    /* longer than the free room: must grow and redo, keeping the prefix */
    assert_int_equal(dp_buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 4 + 1 + 4999 + 1);
    assert_memory_equal(b.data, "42-x[qq", 7);
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    dp_buf_fini(&b);
}

static void test_buf_json_string_escapes(void **state)
{
    (void)state;
    assert_string_equal(json_of("plain", 5), "\"plain\"");
    assert_string_equal(json_of("", 0), "\"\"");
    assert_string_equal(json_of("a\"b\\c/d", 7), "\"a\\\"b\\\\c/d\"");
    assert_string_equal(json_of("\n\r\t\b\f", 5),
                        "\"\\u000a\\u000d\\u0009\\u0008\\u000c\"");
    assert_string_equal(json_of("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\x7f\"");
    assert_string_equal(json_of("a\0b", 3), "\"a\\u0000b\"");
    /* U+2028 / U+2029 are escaped for JavaScript embedders */
    assert_string_equal(json_of("x\xe2\x80\xa8y\xe2\x80\xa9", 8),
                        "\"x\\u2028y\\u2029\"");
}

static void test_buf_json_string_utf8(void **state)
{
    dp_buf b;
    (void)state;

    /* valid 2-, 3- and 4-byte sequences pass through */
    assert_string_equal(json_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
                        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* invalid lead bytes, one U+FFFD each */
    assert_string_equal(json_of("a\xff"
                                "b\x80"
                                "c",
                                5),
                        "\"a\xef\xbf\xbd"
                        "b\xef\xbf\xbd"
                        "c\"");
    /* truncated sequence: one U+FFFD for the maximal subpart */
    assert_string_equal(json_of("\xe2\x82"
                                "x",
                                3),
                        "\"\xef\xbf\xbdx\"");
    assert_string_equal(json_of("\xf0\x9f\x98", 3), "\"\xef\xbf\xbd\"");
    /* overlong "/" (C0 AF): two replacement characters */
    assert_string_equal(json_of("\xc0\xaf", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    /* UTF-16 surrogate ED A0 80: not valid UTF-8, three replacements */
    assert_string_equal(json_of("\xed\xa0\x80", 3),
                        "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    /* above U+10FFFF */
    assert_string_equal(json_of("\xf4\x90\x80\x80", 4),
                        "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    /* the last valid code point is kept */
    assert_string_equal(json_of("\xf4\x8f\xbf\xbf", 4), "\"\xf4\x8f\xbf\xbf\"");

    /* whatever the bytes, jansson reads the result back as valid JSON */
    dp_buf_init(&b);
    assert_int_equal(dp_buf_json_string(&b, "\"q\"\xff\x01\xe2\x82 \xc3\xa9"),
                     0);
    json_error_t err;
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY, &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(v),
                        "\"q\"\xef\xbf\xbd\x01\xef\xbf\xbd \xc3\xa9");
    json_decref(v);
    /* NULL is the empty string */
    dp_buf_reset(&b);
    assert_int_equal(dp_buf_json_string(&b, NULL), 0);
    assert_string_equal(b.data, "\"\"");
    dp_buf_fini(&b);
}

static void test_buf_usd_exact(void **state)
{
    (void)state;
    assert_string_equal(usd_of(420000000000LL), "0.42");
    assert_string_equal(usd_of(0), "0");
    assert_string_equal(usd_of(1500000000000LL), "1.5");
    assert_string_equal(usd_of(1), "0.000000000001");
    assert_string_equal(usd_of(-300000000000LL), "-0.3");
    assert_string_equal(usd_of(1000000000000LL), "1");
    assert_string_equal(usd_of(12000000000000LL), "12");
    assert_string_equal(usd_of(4250000000LL), "0.00425");
    assert_string_equal(usd_of(-1), "-0.000000000001");
    assert_string_equal(usd_of(123456789012345LL), "123.456789012345");
    assert_string_equal(usd_of(INT64_MAX), "9223372.036854775807");
    assert_string_equal(usd_of(INT64_MIN), "-9223372.036854775808");
}

static void test_buf_ms_three_decimals(void **state)
{
    (void)state;
    assert_string_equal(ms_of(3421000000LL), "3421.000");
    assert_string_equal(ms_of(0), "0.000");
    assert_string_equal(ms_of(1234567), "1.235"); /* half up */
    assert_string_equal(ms_of(1234499), "1.234");
    assert_string_equal(ms_of(1234500), "1.235"); /* exact half: away */
    assert_string_equal(ms_of(499), "0.000");
    assert_string_equal(ms_of(500), "0.001");
    assert_string_equal(ms_of(999999500), "1000.000"); /* carry */
    assert_string_equal(ms_of(-1500), "-0.002");
    assert_string_equal(ms_of(-400), "0.000"); /* no negative zero */
    /* beyond double's 53-bit mantissa: still exact */
    assert_string_equal(ms_of(9007199254740993LL), "9007199254.741");
    assert_string_equal(ms_of(INT64_MAX), "9223372036854.776");
    assert_string_equal(ms_of(INT64_MIN), "-9223372036854.776");
}

static void putf_sticky(dp_buf *b, int *err, size_t line_max, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    dp__buf_vputf(b, err, line_max, fmt, ap);
    va_end(ap);
}

/* The reports' writers: a line cut to line_max - 1 bytes, nothing appended
 * after the first error, and dp_buf_truncate taking back the rest. */
static void test_buf_sticky_put_and_truncate(void **state)
{
    (void)state;
    dp_buf b;
    int err = 0;
    dp_buf_init(&b);
    dp__buf_put(&b, &err, "ab", 2);
    size_t mark = b.len;
    putf_sticky(&b, &err, 4, "%d|%s", 12, "xyz");
    assert_int_equal(err, 0);
    assert_string_equal(b.data, "ab12|");
    err = DP_ENOMEM;
    dp__buf_put(&b, &err, "cd", 2);
    putf_sticky(&b, &err, 512, "%s", "ef");
    assert_int_equal(err, DP_ENOMEM);
    assert_string_equal(b.data, "ab12|");
    dp_buf_truncate(&b, mark);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    dp_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_init_fini_reset),
        cmocka_unit_test(test_buf_append_grows),
        cmocka_unit_test(test_buf_printf_long_and_short),
        cmocka_unit_test(test_buf_json_string_escapes),
        cmocka_unit_test(test_buf_json_string_utf8),
        cmocka_unit_test(test_buf_usd_exact),
        cmocka_unit_test(test_buf_ms_three_decimals),
        cmocka_unit_test(test_buf_sticky_put_and_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
