/*
 * test_otel_env.c - unit tests for exporter/otel_env.c: the
 * OTEL_EXPORTER_OTLP_HEADERS list (spaces, percent-decoding, empty items,
 * lower-cased names) and its errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "otel_env.h"
#include "processor.h"

static void test_otel_env_headers_parsed(void **state)
{
    (void)state;
    char **n, **v, err[256];
    size_t k;
    assert_int_equal(dp_otel_headers_parse(" Authorization = Bearer%20abc%3D ,"
                                           ",x-team=a,empty=",
                                           &n, &v, &k, err, sizeof(err)),
                     0);
    assert_int_equal(k, 3);
    assert_string_equal(n[0], "authorization");
    assert_string_equal(v[0], "Bearer abc=");
    assert_string_equal(n[1], "x-team");
    assert_string_equal(v[1], "a");
    assert_string_equal(n[2], "empty");
    assert_string_equal(v[2], "");
    dp_otel_headers_free(n, v, k);
    assert_int_equal(dp_otel_headers_parse("", &n, &v, &k, err, sizeof(err)),
                     0);
    assert_int_equal(k, 0);
    dp_otel_headers_free(n, v, k);
}

static void test_otel_env_headers_errors(void **state)
{
    (void)state;
    char **n, **v, err[256];
    size_t k;
    const char *bad[] = {"novalue", "=x", "a=%4", "a=%zz", "ok=1,bad"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            dp_otel_headers_parse(bad[i], &n, &v, &k, err, sizeof(err)),
            DP_EPARSE);
        assert_non_null(strstr(err, "OTEL_EXPORTER_OTLP_HEADERS"));
        assert_null(n);
        assert_int_equal(k, 0);
    }
    assert_non_null(strstr(err, "'bad'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otel_env_headers_parsed),
        cmocka_unit_test(test_otel_env_headers_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
