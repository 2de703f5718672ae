/*
 * pricing_test.h - shorthands of the pricing table tests (test_pricing.c:
 * matching and cost; test_pricing_load.c: files, the shipped table and
 * LiteLLM price maps): Unix times from calendar dates, token records, and
 * tables loaded from JSON text or compiled in. Every expected cost in those
 * tests is in pico-USD (1 USD per 1M tokens = USD_1M pico-USD per token).
 * Static inline: each test is its own executable. Include after
 * <cmocka.h>.
 */
#ifndef DP_TEST_PRICING_TEST_H
#define DP_TEST_PRICING_TEST_H

#include <stdint.h>
#include <time.h>

#include "pricing.h"

#define USD_1M 1000000LL /* pico-USD per token for a price of 1 USD / 1M */

/* Unix nanoseconds at y-m-d hh:mm:ss UTC. */
static inline uint64_t at(int y, int m, int d, int hh, int mm, int ss)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return (uint64_t)timegm(&tm) * 1000000000ULL;
}

#define NOV_2025 at(2025, 11, 15, 12, 0, 0)

/* A token record: input, output, cache read, cache write, reasoning. */
static inline dp_tokens tok(int64_t in, int64_t out, int64_t cr, int64_t cw,
                            int64_t reas)
{
    dp_tokens t = {in, out, cr, cw, reas, 0};
    return t;
}

/* A table of the rows in json alone; fails the test when it does not
 * load. The caller destroys it. */
static inline dp_pricing *table_from(const char *json)
{
    char err[512];
    dp_pricing *p = dp_pricing_create_empty();
    assert_non_null(p);
    int rc = dp_pricing_load_json(p, json, "test.json", err, sizeof(err));
    if (rc != 0)
        fail_msg("load failed: %s", err);
    return p;
}

/* The compiled-in default table; the caller destroys it. */
static inline dp_pricing *default_table(void)
{
    dp_pricing *p = dp_pricing_create_default();
    assert_non_null(p);
    return p;
}

#endif /* DP_TEST_PRICING_TEST_H */
