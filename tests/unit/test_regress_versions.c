/*
 * test_regress_versions.c - unit tests for the versions a regression
 * compares (history/regress.c, dp_regress_versions_*): found by name, and
 * the pick of `dagprof regressions` and the regression alert watcher: the
 * newest against the one before, named ones, and no pick when a named
 * version has no runs or none comes before; the time range narrowed to the
 * two versions' runs. Reading them from a store is
 * held by test_regalert (the watcher's passes) and the commands' tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "history_stats.h"

static dp_regress_versions three(void)
{
    static char *names[] = {"1.0", "1.1", "2.0"};
    static uint64_t runs[] = {5, 7, 9};
    static uint64_t first[] = {100, 300, 200}, last[] = {250, 900, 400};
    dp_regress_versions l = {names, runs, first, last, 3, 3};
    return l;
}

static void test_find(void **state)
{
    dp_regress_versions l = three();
    (void)state;
    assert_int_equal(dp_regress_versions_find(&l, "1.0"), 0);
    assert_int_equal(dp_regress_versions_find(&l, "2.0"), 2);
    assert_int_equal(dp_regress_versions_find(&l, "3.0"), -1);
}

static void test_pick(void **state)
{
    dp_regress_versions l = three();
    size_t bi = 99, ci = 99;
    (void)state;
    /* The newest against the one before it. */
    assert_true(dp_regress_versions_pick(&l, NULL, NULL, &bi, &ci));
    assert_int_equal(bi, 1);
    assert_int_equal(ci, 2);
    /* A named candidate: against the one before it. */
    assert_true(dp_regress_versions_pick(&l, NULL, "1.1", &bi, &ci));
    assert_int_equal(bi, 0);
    assert_int_equal(ci, 1);
    /* Both named, in any order. */
    assert_true(dp_regress_versions_pick(&l, "2.0", "1.0", &bi, &ci));
    assert_int_equal(bi, 2);
    assert_int_equal(ci, 0);
    /* Nothing before the oldest; names without runs. */
    assert_false(dp_regress_versions_pick(&l, NULL, "1.0", &bi, &ci));
    assert_false(dp_regress_versions_pick(&l, "0.9", NULL, &bi, &ci));
    assert_false(dp_regress_versions_pick(&l, NULL, "3.0", &bi, &ci));
    /* One version, or none: no pick. */
    l.n = 1;
    assert_false(dp_regress_versions_pick(&l, NULL, NULL, &bi, &ci));
    l.n = 0;
    assert_false(dp_regress_versions_pick(&l, NULL, NULL, &bi, &ci));
}

static void test_narrow(void **state)
{
    dp_regress_versions l = three();
    (void)state;
    /* From the first run of either to just past the last of either. */
    dp_history_filter f = {.dag = "d"};
    dp_regress_versions_narrow(&l, 0, 2, &f);
    assert_int_equal(f.since_unix_ns, 100);
    assert_int_equal(f.until_unix_ns, 401);
    dp_regress_versions_narrow(&l, 1, 2, &f);
    assert_int_equal(f.since_unix_ns, 200);
    assert_int_equal(f.until_unix_ns, 401);
    /* A range already narrower stays. */
    dp_history_filter g = {.since_unix_ns = 260, .until_unix_ns = 350};
    dp_regress_versions_narrow(&l, 1, 2, &g);
    assert_int_equal(g.since_unix_ns, 260);
    assert_int_equal(g.until_unix_ns, 350);
    assert_string_equal(f.dag, "d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_narrow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
