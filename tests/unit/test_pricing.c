/*
 * test_pricing.c - matching and cost in the pricing table
 * (processor/pricing.c): patterns (exact, prefix, regex, case, provider
 * prefixes), row choice (effective date, rank, load order), tiers, cache
 * and reasoning prices, short names and unpriced models. Loading files,
 * the shipped table and LiteLLM price maps are in test_pricing_load.c.
 * Every expected cost is hand-computed in pico-USD (1 USD per 1M tokens =
 * 1,000,000 pico-USD per token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "pricing.h"
#include "pricing_test.h"

/* ---- patterns ----------------------------------------------------------- */

static void test_pricing_exact_pattern(void **state)
{
    (void)state;
    dp_pricing *p =
        table_from("{\"rows\":[{\"pattern\":\"m-exact\",\"match\":\"exact\","
                   "\"input\":2,\"output\":8,\"effective\":\"2025-01-01\"}]}");
    dp_tokens t = tok(1000, 500, 0, 0, 0);
    /* 1000 x 2.00 + 500 x 8.00 per 1M = 2e9 + 4e9 pico-USD */
    assert_int_equal(dp__pricing_cost(p, "m-exact", &t, NOV_2025),
                     6000000000LL);
    assert_int_equal(dp__pricing_cost(p, "m-exact-2", &t, NOV_2025), -1);
    assert_int_equal(dp__pricing_cost(p, "m-exac", &t, NOV_2025), -1);
    dp_pricing_destroy(p);
}

static void test_pricing_prefix_pattern(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    dp_tokens t = tok(10000, 2000, 0, 0, 0);
    /* Sonnet 4.5: 10000 x 3.00 + 2000 x 15.00 = 3e10 + 3e10 */
    assert_int_equal(
        dp__pricing_cost(p, "claude-sonnet-4-5-20250929", &t, NOV_2025),
        60000000000LL);
    dp_pricing_destroy(p);

    /* A longer prefix beats a shorter one at the same date. */
    p = table_from("{\"rows\":["
                   "{\"pattern\":\"claude-x\",\"match\":\"prefix\",\"input\":2,"
                   "\"output\":2,\"effective\":\"2025-01-01\"},"
                   "{\"pattern\":\"claude\",\"match\":\"prefix\",\"input\":1,"
                   "\"output\":1,\"effective\":\"2025-01-01\"}]}");
    assert_int_equal(dp__pricing_input_price(p, "claude-x-1", 0, NOV_2025),
                     2 * USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "claude-y", 0, NOV_2025),
                     1 * USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "clau", 0, NOV_2025), -1);
    dp_pricing_destroy(p);
}

static void test_pricing_regex_pattern(void **state)
{
    (void)state;
    dp_pricing *p = table_from(
        "{\"rows\":[{\"pattern\":\"^foo-[0-9]+$\",\"match\":\"regex\","
        "\"input\":0.5,\"output\":1.5,\"effective\":\"2025-01-01\"}]}");
    dp_tokens t = tok(2000, 1000, 0, 0, 0);
    /* 2000 x 0.50 + 1000 x 1.50 = 1e9 + 1.5e9 */
    assert_int_equal(dp__pricing_cost(p, "foo-12", &t, NOV_2025), 2500000000LL);
    assert_int_equal(dp__pricing_cost(p, "FOO-7", &t, NOV_2025), 2500000000LL);
    assert_int_equal(dp__pricing_cost(p, "foo-12a", &t, NOV_2025), -1);
    assert_int_equal(dp__pricing_cost(p, "xfoo-1", &t, NOV_2025), -1);
    dp_pricing_destroy(p);
}

static void test_pricing_rank_at_equal_date(void **state)
{
    (void)state;
    /* exact > prefix > regex at the same date, whatever the load order. */
    dp_pricing *p = table_from(
        "{\"rows\":["
        "{\"pattern\":\"^b\",\"match\":\"regex\",\"input\":3,\"output\":3,"
        "\"effective\":\"2025-01-01\"},"
        "{\"pattern\":\"ba\",\"match\":\"prefix\",\"input\":2,\"output\":2,"
        "\"effective\":\"2025-01-01\"},"
        "{\"pattern\":\"bar\",\"match\":\"exact\",\"input\":1,\"output\":1,"
        "\"effective\":\"2025-01-01\"}]}");
    assert_int_equal(dp__pricing_input_price(p, "bar", 0, NOV_2025), USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "baz", 0, NOV_2025),
                     2 * USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "bx", 0, NOV_2025), 3 * USD_1M);

    /* A newer date beats a better kind of match. */
    char err[256];
    assert_int_equal(
        dp_pricing_load_json(
            p,
            "{\"rows\":[{\"pattern\":\"^b\",\"match\":\"regex\",\"input\":4,"
            "\"output\":4,\"effective\":\"2025-02-01\"}]}",
            "newer.json", err, sizeof(err)),
        0);
    assert_int_equal(dp__pricing_input_price(p, "bar", 0, NOV_2025),
                     4 * USD_1M);
    assert_int_equal(
        dp__pricing_input_price(p, "bar", 0, at(2025, 1, 31, 0, 0, 0)), USD_1M);

    /* Same date and kind: the row loaded later wins. */
    assert_int_equal(
        dp_pricing_load_json(
            p,
            "{\"rows\":[{\"pattern\":\"r$\",\"match\":\"regex\",\"input\":5,"
            "\"output\":5,\"effective\":\"2025-02-01\"}]}",
            "later.json", err, sizeof(err)),
        0);
    assert_int_equal(dp__pricing_input_price(p, "bar", 0, NOV_2025),
                     5 * USD_1M);
    dp_pricing_destroy(p);
}

static void test_pricing_case_and_provider_prefixes(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    dp_tokens t = tok(1000, 100, 0, 0, 0);
    /* Sonnet 4.5: 1000 x 3 + 100 x 15 = 3e9 + 1.5e9 */
    assert_int_equal(dp__pricing_cost(p, "anthropic/claude-sonnet-4-5-20250929",
                                      &t, NOV_2025),
                     4500000000LL);
    assert_int_equal(dp__pricing_cost(p, "Anthropic/Claude-Sonnet-4-5-20250929",
                                      &t, NOV_2025),
                     4500000000LL);
    assert_int_equal(
        dp__pricing_cost(p, "claude-sonnet-4-5@20250929", &t, NOV_2025),
        4500000000LL);
    /* Opus 4.1 on Bedrock: 1000 x 15 + 100 x 75 = 1.5e10 + 7.5e9 */
    assert_int_equal(dp__pricing_cost(p,
                                      "us.anthropic.claude-opus-4-1-20250805-"
                                      "v1:0",
                                      &t, NOV_2025),
                     22500000000LL);
    assert_int_equal(dp__pricing_cost(p,
                                      "anthropic.claude-opus-4-20250514-v1:0",
                                      &t, NOV_2025),
                     22500000000LL);
    /* Gemini 2.5 Pro: 1000 x 1.25 + 100 x 10 = 1.25e9 + 1e9 */
    assert_int_equal(dp__pricing_cost(p, "models/gemini-2.5-pro", &t, NOV_2025),
                     2250000000LL);
    assert_int_equal(dp__pricing_cost(p, "openai/GPT-4o", &t, NOV_2025),
                     2500000000LL + 1000000000LL);
    dp_pricing_destroy(p);

    /* Patterns are case-insensitive too. */
    p = table_from("{\"rows\":[{\"pattern\":\"GPT-X\",\"match\":\"exact\","
                   "\"input\":1,\"output\":1,\"effective\":\"2025-01-01\"}]}");
    assert_int_equal(dp__pricing_input_price(p, "gpt-x", 0, NOV_2025), USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "openai/Gpt-X", 0, NOV_2025),
                     USD_1M);
    dp_pricing_destroy(p);
}

/* ---- dates and tiers ---------------------------------------------------- */

static void test_pricing_effective_date(void **state)
{
    (void)state;
    dp_pricing *p = table_from(
        "{\"rows\":["
        "{\"pattern\":\"m\",\"match\":\"exact\",\"input\":1,\"output\":1,"
        "\"effective\":\"2025-01-01\"},"
        "{\"pattern\":\"m\",\"match\":\"exact\",\"input\":2,\"output\":2,"
        "\"effective\":\"2025-06-01\"}]}");
    dp_tokens t = tok(1000, 0, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "m", &t, at(2025, 5, 31, 23, 59, 59)),
                     1000000000LL);
    assert_int_equal(dp__pricing_cost(p, "m", &t, at(2025, 6, 1, 0, 0, 0)),
                     2000000000LL);
    assert_int_equal(dp__pricing_cost(p, "m", &t, at(2025, 2, 1, 0, 0, 0)),
                     1000000000LL);
    /* Before every row (a back-dated trace): the earliest row. Unknown
     * time (0): the newest row. */
    assert_int_equal(dp__pricing_cost(p, "m", &t, at(2024, 12, 31, 23, 59, 59)),
                     1000000000LL);
    assert_int_equal(dp__pricing_cost(p, "m", &t, 0), 2000000000LL);
    dp_pricing_destroy(p);

    /* The default o3 rows: launch price, then the 2025-06-10 cut. */
    p = default_table();
    t = tok(1000, 1000, 0, 0, 0);
    /* 1000 x 10 + 1000 x 40 = 5e10; after: 1000 x 2 + 1000 x 8 = 1e10 */
    assert_int_equal(dp__pricing_cost(p, "o3", &t, at(2025, 5, 1, 0, 0, 0)),
                     50000000000LL);
    assert_int_equal(
        dp__pricing_cost(p, "o3-2025-04-16", &t, at(2025, 7, 1, 0, 0, 0)),
        10000000000LL);
    dp_pricing_destroy(p);
}

static void test_pricing_tier_threshold(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    const char *m = "claude-sonnet-4-5-20250929";
    dp_tokens under = tok(200000, 1000, 0, 0, 0);
    dp_tokens over = tok(200001, 1000, 0, 0, 0);
    /* 200000 x 3 + 1000 x 15 = 6e11 + 1.5e10 */
    assert_int_equal(dp__pricing_cost(p, m, &under, NOV_2025), 615000000000LL);
    /* 200001 x 6 + 1000 x 22.50 = 1,200,006,000,000 + 22,500,000,000 */
    assert_int_equal(dp__pricing_cost(p, m, &over, NOV_2025), 1222506000000LL);
    /* The tier applies to every usage type: 50001 uncached x 6, 100000
     * cache reads x 0.60, 50000 cache writes x 7.50, 1000 out x 22.50. */
    dp_tokens cached = tok(200001, 1000, 100000, 50000, 0);
    assert_int_equal(dp__pricing_cost(p, m, &cached, NOV_2025),
                     300006000000LL + 60000000000LL + 375000000000LL +
                         22500000000LL);
    assert_int_equal(dp__pricing_input_price(p, m, 200000, NOV_2025),
                     3 * USD_1M);
    assert_int_equal(dp__pricing_input_price(p, m, 200001, NOV_2025),
                     6 * USD_1M);
    /* Gemini 2.5 Pro's tier has no cache_write: the tier's input price. */
    dp_tokens g = tok(300000, 0, 0, 100000, 0);
    /* 200000 x 2.50 + 100000 x 2.50 */
    assert_int_equal(dp__pricing_cost(p, "gemini-2.5-pro", &g, NOV_2025),
                     750000000000LL);
    dp_pricing_destroy(p);

    /* Several tiers, listed out of order: the highest exceeded wins. */
    p = table_from(
        "{\"rows\":[{\"pattern\":\"t\",\"match\":\"exact\",\"input\":1,"
        "\"output\":1,\"effective\":\"2025-01-01\",\"tiers\":["
        "{\"above_input_tokens\":1000,\"input\":3,\"output\":3},"
        "{\"above_input_tokens\":100,\"input\":2,\"output\":2}]}]}");
    assert_int_equal(dp__pricing_input_price(p, "t", 100, NOV_2025), USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "t", 101, NOV_2025),
                     2 * USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "t", 1000, NOV_2025),
                     2 * USD_1M);
    assert_int_equal(dp__pricing_input_price(p, "t", 1001, NOV_2025),
                     3 * USD_1M);
    dp_pricing_destroy(p);
}

/* ---- usage types -------------------------------------------------------- */

static void test_pricing_cache_read_write(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    /* Haiku 4.5: 1000 uncached x 1 + 6000 read x 0.10 + 3000 write x 1.25
     * + 100 out x 5 = 1e9 + 6e8 + 3.75e9 + 5e8 */
    dp_tokens t = tok(10000, 100, 6000, 3000, 0);
    assert_int_equal(
        dp__pricing_cost(p, "claude-haiku-4-5-20251001", &t, NOV_2025),
        5850000000LL);
    /* gpt-4o has no cache_write price: those tokens at the input price.
     * 300 x 2.50 + 600 x 1.25 + 100 x 2.50 + 10 x 10 */
    t = tok(1000, 10, 600, 100, 0);
    assert_int_equal(dp__pricing_cost(p, "gpt-4o", &t, NOV_2025),
                     750000000LL + 750000000LL + 250000000LL + 100000000LL);
    /* Cache counts above the input count: uncached input is 0, never
     * negative; 80 x 0.10 + 50 x 1.25 */
    t = tok(100, 0, 80, 50, 0);
    assert_int_equal(dp__pricing_cost(p, "claude-haiku-4-5", &t, NOV_2025),
                     8000000LL + 62500000LL);
    dp_pricing_destroy(p);
}

static void test_pricing_reasoning_tokens(void **state)
{
    (void)state;
    dp_pricing *p = table_from(
        "{\"rows\":[{\"pattern\":\"r\",\"match\":\"exact\",\"input\":1,"
        "\"output\":4,\"reasoning\":2,\"effective\":\"2025-01-01\"}]}");
    /* 700 plain out x 4 + 300 reasoning x 2 = 2.8e9 + 6e8 */
    dp_tokens t = tok(0, 1000, 0, 0, 300);
    assert_int_equal(dp__pricing_cost(p, "r", &t, NOV_2025), 3400000000LL);
    /* More reasoning than output: plain output 0, reasoning all priced. */
    t = tok(0, 100, 0, 0, 300);
    assert_int_equal(dp__pricing_cost(p, "r", &t, NOV_2025), 600000000LL);
    dp_pricing_destroy(p);

    /* No reasoning price: reasoning is output (o3: 1000 x 8). */
    p = default_table();
    t = tok(0, 1000, 0, 0, 300);
    assert_int_equal(dp__pricing_cost(p, "o3", &t, NOV_2025), 8000000000LL);
    dp_pricing_destroy(p);
}

static void test_pricing_short_names(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    dp_tokens t = tok(1000, 1000, 0, 0, 0);
    /* haiku = Haiku 4.5 (1 / 5), sonnet = Sonnet 4.5 (3 / 15),
     * opus = Opus 4.1 (15 / 75), also at the seed's date. */
    assert_int_equal(dp__pricing_cost(p, "haiku", &t, NOV_2025), 6000000000LL);
    assert_int_equal(dp__pricing_cost(p, "sonnet", &t, NOV_2025),
                     18000000000LL);
    assert_int_equal(dp__pricing_cost(p, "opus", &t, NOV_2025), 90000000000LL);
    assert_int_equal(
        dp__pricing_cost(p, "Sonnet", &t, at(2024, 1, 15, 10, 30, 0)),
        18000000000LL);
    assert_int_equal(dp__pricing_cost(p, "sonnet-ish", &t, NOV_2025), -1);
    dp_tokens big = tok(250000, 0, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "sonnet", &big, NOV_2025),
                     250000LL * 6 * USD_1M);
    dp_pricing_destroy(p);
}

static void test_pricing_unpriced_model(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    dp_tokens t = tok(1000, 1000, 0, 0, 0);
    /* Near misses of default rows priced differently stay unpriced, and
     * so do models no stored official page priced (docs/pricing.md). */
    const char *names[] = {"gpt-4o-mini-realtime-preview",
                           "o4-mini-deep-research",
                           "o3-deep-research",
                           "gpt-5.4-nano",
                           "gpt-6-luna-fast",
                           "gpt-5-codex",
                           "gemini-2.5-flash-image",
                           "gemini-3.5-flash",
                           "claude-opus-4-9",
                           "claude-opus-5-0",
                           "claude-sonnet-4-60",
                           "claude-mythos-5-2",
                           "ft:gpt-4o-mini:org::x",
                           "llama-3-70b",
                           "",
                           NULL};
    for (int i = 0; names[i]; i++) {
        if (dp__pricing_cost(p, names[i], &t, NOV_2025) != -1)
            fail_msg("%s should be unpriced", names[i]);
        assert_int_equal(dp__pricing_input_price(p, names[i], 10, NOV_2025),
                         -1);
    }
    assert_int_equal(dp__pricing_cost(p, NULL, &t, NOV_2025), -1);
    assert_int_equal(dp__pricing_cost(NULL, "sonnet", &t, NOV_2025), -1);
    /* A date before a model's first row does not make it unpriced: the
     * seed's traces are dated 2024-01-15 (1000 x 3 + 1000 x 15). */
    assert_int_equal(dp__pricing_cost(p, "claude-sonnet-4-5", &t,
                                      at(2024, 1, 15, 10, 30, 0)),
                     18000000000LL);
    assert_int_equal(dp__pricing_cost(p, "o3", &t, at(2025, 1, 1, 0, 0, 0)),
                     50000000000LL);
    dp_pricing_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pricing_exact_pattern),
        cmocka_unit_test(test_pricing_prefix_pattern),
        cmocka_unit_test(test_pricing_regex_pattern),
        cmocka_unit_test(test_pricing_rank_at_equal_date),
        cmocka_unit_test(test_pricing_case_and_provider_prefixes),
        cmocka_unit_test(test_pricing_effective_date),
        cmocka_unit_test(test_pricing_tier_threshold),
        cmocka_unit_test(test_pricing_cache_read_write),
        cmocka_unit_test(test_pricing_reasoning_tokens),
        cmocka_unit_test(test_pricing_short_names),
        cmocka_unit_test(test_pricing_unpriced_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
