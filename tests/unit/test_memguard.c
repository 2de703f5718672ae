/*
 * test_memguard.c - pipeline/memguard.c: reading RSS, the ceiling's pressure
 * with its hysteresis, trimming once per idle period, and the default
 * ceiling. Times are passed in, so nothing waits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memguard.h"

static int releases;
static size_t release_hook(void *user)
{
    (void)user;
    releases++;
    return 0;
}

#define SEC 1000000000ULL

static void test_memguard_reads_rss(void **state)
{
    (void)state;
    dp_memguard g;
    dp_memguard_config cfg = {0};
    assert_int_equal(dp_memguard_init(&g, &cfg), 0);
    uint64_t before = dp_memguard_read_rss(&g);
    assert_true(before > 0);
    /* Touch 32 MiB: RSS grows by about that much. */
    size_t n = 32u << 20;
    char *p = malloc(n);
    assert_non_null(p);
    memset(p, 1, n);
    uint64_t after = dp_memguard_read_rss(&g);
    assert_true(after >= before + n / 2);
    free(p);
    dp_memguard_stats st;
    dp_memguard_stats_get(&g, &st);
    assert_true(st.rss_peak >= after);
    assert_false(st.pressure);
    dp_memguard_fini(&g);
}

static void test_memguard_pressure_hysteresis(void **state)
{
    (void)state;
    dp_memguard g;
    dp_memguard_config cfg = {.max_rss = 1, .release = release_hook};
    releases = 0;
    assert_int_equal(dp_memguard_init(&g, &cfg), 0);
    /* Always over a 1-byte ceiling: pressure, one episode, memory asked
     * back at most every 250 ms. */
    assert_true(dp_memguard_tick(&g, 10 * SEC, 0));
    assert_true(dp_memguard_tick(&g, 10 * SEC + 1, 0));
    assert_int_equal(releases, 1);
    assert_true(dp_memguard_tick(&g, 11 * SEC, 0)); /* 250 ms later: again */
    assert_int_equal(releases, 2);
    dp_memguard_stats st;
    dp_memguard_stats_get(&g, &st);
    assert_true(st.pressure);
    assert_int_equal(st.pressure_episodes, 1);
    assert_int_equal(st.trims, 2);
    assert_int_equal(st.max_rss, 1);

    /* RSS at 85 % of the ceiling: still on (not below 80 %)... */
    uint64_t rss = dp_memguard_read_rss(&g);
    g.cfg.max_rss = rss / 85 * 100;
    assert_true(dp_memguard_tick(&g, 12 * SEC, 0));
    /* ... off once RSS is under 80 % of it ... */
    g.cfg.max_rss = rss * 2;
    assert_false(dp_memguard_tick(&g, 13 * SEC, 0));
    /* ... and not on again at 85 % (on from 90 %). */
    g.cfg.max_rss = rss / 85 * 100;
    assert_false(dp_memguard_tick(&g, 14 * SEC, 0));
    /* Over again: a second episode. */
    g.cfg.max_rss = 1;
    assert_true(dp_memguard_tick(&g, 15 * SEC, 0));
    dp_memguard_stats_get(&g, &st);
    assert_int_equal(st.pressure_episodes, 2);
    dp_memguard_fini(&g);
}

/* The headroom: 90 % of the ceiling minus RSS minus pending bytes. */
static void test_memguard_headroom(void **state)
{
    (void)state;
    dp_memguard g;
    dp_memguard_config cfg = {0};
    assert_int_equal(dp_memguard_init(&g, &cfg), 0);
    assert_true(dp_memguard_headroom(&g, 0) == INT64_MAX); /* no ceiling */
    atomic_store(&g.rss, 100u << 20);
    g.cfg.max_rss = 200u << 20;
    int64_t high = (int64_t)((200u << 20) / 100 * 90);
    assert_true(dp_memguard_headroom(&g, 0) == high - (100 << 20));
    assert_true(dp_memguard_headroom(&g, 30u << 20) == high - (130 << 20));
    /* Pending bytes past the high-water mark: negative, by that much. */
    assert_true(dp_memguard_headroom(&g, 100u << 20) == high - (200 << 20));
    dp_memguard_fini(&g);
}

static void test_memguard_no_ceiling_no_pressure(void **state)
{
    (void)state;
    dp_memguard g;
    dp_memguard_config cfg = {0};
    assert_int_equal(dp_memguard_init(&g, &cfg), 0);
    for (uint64_t t = 1; t < 5; t++)
        assert_false(dp_memguard_tick(&g, t * SEC, t));
    dp_memguard_stats st;
    dp_memguard_stats_get(&g, &st);
    assert_int_equal(st.trims, 0); /* trim_idle 0: never */
    dp_memguard_fini(&g);
}

static void test_memguard_trims_once_per_idle_period(void **state)
{
    (void)state;
    dp_memguard g;
    dp_memguard_config cfg = {.trim_idle_ns = 5 * SEC, .release = release_hook};
    releases = 0;
    assert_int_equal(dp_memguard_init(&g, &cfg), 0);
    dp_memguard_tick(&g, 1 * SEC, 7); /* activity seen at 1 s */
    dp_memguard_tick(&g, 5 * SEC, 7);
    assert_int_equal(releases, 0); /* 4 s idle */
    dp_memguard_tick(&g, 6 * SEC, 7);
    assert_int_equal(releases, 1); /* 5 s idle: trimmed */
    dp_memguard_tick(&g, 20 * SEC, 7);
    assert_int_equal(releases, 1);     /* same idle period: not again */
    dp_memguard_tick(&g, 21 * SEC, 8); /* a request */
    dp_memguard_tick(&g, 25 * SEC, 8);
    assert_int_equal(releases, 1);
    dp_memguard_tick(&g, 26 * SEC, 8);
    assert_int_equal(releases, 2); /* the next idle period */
    dp_memguard_stats st;
    dp_memguard_stats_get(&g, &st);
    assert_int_equal(st.trims, 2);
    dp_memguard_fini(&g);
}

static void test_memguard_auto_limit(void **state)
{
    (void)state;
    uint64_t total =
        (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t lim = dp_memguard_auto_limit();
    assert_true(lim > 0);
    assert_true(lim <= total / 4 * 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memguard_reads_rss),
        cmocka_unit_test(test_memguard_pressure_hysteresis),
        cmocka_unit_test(test_memguard_headroom),
        cmocka_unit_test(test_memguard_no_ceiling_no_pressure),
        cmocka_unit_test(test_memguard_trims_once_per_idle_period),
        cmocka_unit_test(test_memguard_auto_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
