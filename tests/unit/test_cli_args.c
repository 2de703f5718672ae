/*
 * test_cli_args.c - unit tests for src/cli_args.c, the option values
 * several commands take: --format, --window and --width (good values and
 * the bad ones that are refused), and the width of a text report (the
 * --width given, else $COLUMNS, else 80 off a terminal; at least 60).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_args.h"
#include "trace_file.h"

static void test_format(void **state)
{
    (void)state;
    assert_int_equal(dp_cli_format("report", "auto"), DP_FORMAT_AUTO);
    assert_int_equal(dp_cli_format("report", "json"), DP_FORMAT_JSON);
    assert_int_equal(dp_cli_format("compare", "proto"), DP_FORMAT_PROTO);
    assert_int_equal(dp_cli_format("whatif", "xml"), -1);
    assert_int_equal(dp_cli_format("whatif", ""), -1);
}

static void test_window(void **state)
{
    dp_window_opt w, all;
    (void)state;
    dp_window_opt_default(&w);
    assert_int_equal(dp_cli_window("report", "2", &w), 0);
    assert_int_equal(w.unit, DP_WINDOW_SPANS);
    assert_int_equal(w.size, 2);
    assert_int_equal(dp_cli_window("report", "all", &all), 0);
    assert_int_equal(all.unit, DP_WINDOW_ALL);
    assert_int_equal(dp_cli_window("compare", "256MB", &w), 0);
    assert_int_equal(w.unit, DP_WINDOW_BYTES);
    assert_int_equal(w.size, 256000000);
    assert_int_equal(dp_cli_window("compare", "bad", &w), 2);
    assert_int_equal(dp_cli_window("compare", "", &w), 2);
}

static void test_width(void **state)
{
    int w = 0;
    (void)state;
    assert_int_equal(dp_cli_width("show", "60", &w), 0);
    assert_int_equal(w, 60);
    assert_int_equal(dp_cli_width("report", "1000", &w), 0);
    assert_int_equal(w, 1000);
    assert_int_equal(dp_cli_width("report", "59", &w), 2);
    assert_int_equal(dp_cli_width("report", "1001", &w), 2);
    assert_int_equal(dp_cli_width("show", "80x", &w), 2);
    assert_int_equal(dp_cli_width("show", "", &w), 2);
}

static void test_text_width(void **state)
{
    (void)state;
    assert_int_equal(dp_cli_text_width(120), 120);
    setenv("COLUMNS", "100", 1);
    assert_int_equal(dp_cli_text_width(0), 100);
    assert_int_equal(dp_cli_text_width(70), 70);
    setenv("COLUMNS", "20", 1); /* a narrow terminal: still 60 */
    assert_int_equal(dp_cli_text_width(0), 60);
    setenv("COLUMNS", "x", 1); /* unreadable: the terminal's, or 80 */
    int w = dp_cli_text_width(0);
    assert_true(w >= 60);
    if (!isatty(1))
        assert_int_equal(w, 80);
}

/* COLUMNS unset again, whether test_text_width passed or not. */
static int unset_columns(void **state)
{
    (void)state;
    return unsetenv("COLUMNS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_width),
        cmocka_unit_test_teardown(test_text_width, unset_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
