/*
 * test_order_stats.c - the one percentile of dagprof (exporter/
 * order_stats.c): nearest rank, always an observed value, and the sort it
 * is taken from (the radix sort from 256 values up is checked against
 * qsort in test_history_sort.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "order_stats.h"

static void test_stats_rank_is_nearest_rank(void **state)
{
    (void)state;
    assert_int_equal(dp_stats_rank(4, 50), 2);
    assert_int_equal(dp_stats_rank(5, 50), 3);
    assert_int_equal(dp_stats_rank(5, 95), 5);
    assert_int_equal(dp_stats_rank(20, 95), 19);
    assert_int_equal(dp_stats_rank(21, 95), 20); /* ceil(19.95) */
    assert_int_equal(dp_stats_rank(100, 50), 50);
    assert_int_equal(dp_stats_rank(101, 50), 51);
    assert_int_equal(dp_stats_rank(1, 50), 1);
    assert_int_equal(dp_stats_rank(7, 100), 7);
    assert_int_equal(dp_stats_rank(3, 0), 1);

    int64_t four[] = {40, 10, 30, 20};
    dp_stats_sort_i64(four, 4);
    assert_int_equal(four[0], 10);
    assert_int_equal(four[3], 40);
    assert_int_equal(dp_stats_percentile(four, 4, 50), 20); /* linear: 25 */
    assert_int_equal(dp_stats_percentile(four, 4, 95), 40);
    int64_t five[] = {100, 200, 300, 400, 1000};
    assert_int_equal(dp_stats_percentile(five, 5, 50), 300);
    assert_int_equal(dp_stats_percentile(five, 5, 95), 1000); /* lin: 880 */
    assert_int_equal(dp_stats_percentile(five, 5, 100), 1000);
    assert_int_equal(dp_stats_percentile(five, 0, 50), 0);
    /* The HTML report's trends: p50 of the first 4 is the 2nd, of 1 the
     * one value. */
    assert_int_equal(dp_stats_percentile(five, 4, 50), 200);
    assert_int_equal(dp_stats_percentile(five, 1, 95), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_rank_is_nearest_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
