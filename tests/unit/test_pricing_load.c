/*
 * test_pricing_load.c - the pricing tables dagprof loads
 * (processor/pricing.c, pricing_litellm.c): override files and their error
 * messages, the shipped default table against ../shared/pricing-facts.md
 * and the official pages of its 2026-12 refresh, and LiteLLM price maps.
 * Matching and cost are in test_pricing.c. Every expected cost is
 * hand-computed in pico-USD (1 USD per 1M tokens = 1,000,000 pico-USD per
 * token).
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

/* Writes text to a fresh temp file; path must hold 64 bytes. */
static void write_temp(char *path, const char *text)
{
    strcpy(path, "/tmp/dp_test_pricing_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* ---- files -------------------------------------------------------------- */

static void test_pricing_override_file(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    char path[64], err[256];
    /* Same pattern and date as the default row: replaces it. A newer row
     * for gpt-4o-mini: applies from its date only. */
    write_temp(path,
               "{\"currency\":\"USD\",\"rows\":["
               "{\"pattern\":\"claude-sonnet-4-5\",\"match\":\"prefix\","
               "\"input\":2.00,\"output\":10.00,\"effective\":\"2025-09-29\","
               "\"source\":\"negotiated\"},"
               "{\"pattern\":\"^gpt-4o-mini(-2024-07-18)?$\",\"match\":"
               "\"regex\",\"input\":0.10,\"output\":0.40,"
               "\"effective\":\"2026-01-01\"}]}");
    assert_int_equal(dp_pricing_load_file(p, path, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    unlink(path);

    dp_tokens t = tok(1000, 1000, 0, 0, 0);
    /* 1000 x 2 + 1000 x 10; the replaced row has no tier any more. */
    assert_int_equal(
        dp__pricing_cost(p, "claude-sonnet-4-5-20250929", &t, NOV_2025),
        12000000000LL);
    dp_tokens big = tok(300000, 0, 0, 0, 0);
    assert_int_equal(
        dp__pricing_cost(p, "claude-sonnet-4-5-20250929", &big, NOV_2025),
        600000000000LL);
    /* Other default rows are untouched. */
    assert_int_equal(
        dp__pricing_cost(p, "claude-sonnet-4-20250514", &t, NOV_2025),
        18000000000LL);
    assert_int_equal(dp__pricing_input_price(p, "gpt-4o-mini", 0, NOV_2025),
                     150000);
    assert_int_equal(
        dp__pricing_input_price(p, "gpt-4o-mini", 0, at(2026, 2, 1, 0, 0, 0)),
        100000);
    dp_pricing_destroy(p);
}

/* Loads text as a file and expects rc and every needle in the message. */
static void expect_load_error(const char *text, int rc_want, ...)
{
    char path[64], err[512];
    dp_pricing *p = dp_pricing_create_empty();
    assert_non_null(p);
    write_temp(path, text);
    int rc = dp_pricing_load_file(p, path, err, sizeof(err));
    unlink(path);
    assert_int_equal(rc, rc_want);
    if (!strstr(err, path))
        fail_msg("message does not name the file: %s", err);
    va_list ap;
    va_start(ap, rc_want);
    for (const char *needle; (needle = va_arg(ap, const char *));)
        if (!strstr(err, needle))
            fail_msg("message lacks \"%s\": %s", needle, err);
    va_end(ap);
    /* Nothing of a bad file is kept, not even its good rows. */
    assert_int_equal(dp__pricing_input_price(p, "good", 0, NOV_2025), -1);
    dp_pricing_destroy(p);
}

#define GOOD_ROW                                                               \
    "{\"pattern\":\"good\",\"match\":\"exact\",\"input\":1,\"output\":1,"      \
    "\"effective\":\"2025-01-01\"},"

static void test_pricing_malformed_file(void **state)
{
    (void)state;
    expect_load_error("{\"rows\":[" GOOD_ROW "]", DP_EPARSE, "line", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"m2\",\"match\":\"exact\",\"input\":1,"
                      "\"effective\":\"2025-01-01\"}]}",
                      DP_EPARSE, "rows[1]", "\"m2\"", "\"output\"", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"a(b\",\"match\":\"regex\",\"input\":1,"
                      "\"output\":1,\"effective\":\"2025-01-01\"}]}",
                      DP_EPARSE, "rows[1]", "bad regex", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"d\",\"match\":\"exact\",\"input\":1,"
                      "\"output\":1,\"effective\":\"2025-02-30\"}]}",
                      DP_EPARSE, "rows[1]", "\"d\"", "effective", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"d\",\"match\":\"exact\",\"input\":1,"
                      "\"output\":1}]}",
                      DP_EPARSE, "rows[1]", "effective", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"n\",\"match\":\"exact\",\"input\":-1,"
                      "\"output\":1,\"effective\":\"2025-01-01\"}]}",
                      DP_EPARSE, "rows[1]", "\"input\"", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"n\",\"match\":\"exact\",\"input\":"
                      "\"3.00\",\"output\":1,\"effective\":\"2025-01-01\"}]}",
                      DP_EPARSE, "rows[1]", "not a number", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"n\",\"match\":\"exact\",\"input\":"
                      "0.0000001,\"output\":1,\"effective\":\"2025-01-01\"}]}",
                      DP_EPARSE, "6 decimal", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"k\",\"match\":\"glob\",\"input\":1,"
                      "\"output\":1,\"effective\":\"2025-01-01\"}]}",
                      DP_EPARSE, "rows[1]", "glob", NULL);
    expect_load_error(
        "{\"rows\":[" GOOD_ROW
        "{\"pattern\":\"k\",\"match\":\"exact\",\"input\":1,"
        "\"ouput\":1,\"output\":1,\"effective\":\"2025-01-01\"}]}",
        DP_EPARSE, "rows[1]", "ouput", NULL);
    expect_load_error("{\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"t\",\"match\":\"exact\",\"input\":1,"
                      "\"output\":1,\"effective\":\"2025-01-01\",\"tiers\":"
                      "[{\"input\":2,\"output\":2}]}]}",
                      DP_EPARSE, "rows[1]", "tiers[0]", "above_input_tokens",
                      NULL);
    expect_load_error("{\"currency\":\"EUR\",\"rows\":[" GOOD_ROW
                      "{\"pattern\":\"e\",\"match\":\"exact\",\"input\":1,"
                      "\"output\":1,\"effective\":\"2025-01-01\"}]}",
                      DP_EPARSE, "currency", NULL);
    expect_load_error("[1,2]", DP_EPARSE, "rows", NULL);

    char err[256];
    dp_pricing *p = dp_pricing_create_empty();
    assert_int_equal(
        dp_pricing_load_file(p, "/nonexistent/prices.json", err, sizeof(err)),
        DP_EIO);
    assert_non_null(strstr(err, "/nonexistent/prices.json"));
    assert_int_equal(dp_pricing_load_json(NULL, "{}", "x", err, sizeof(err)),
                     DP_EINVAL);
    dp_pricing_destroy(p);
    dp_pricing_destroy(NULL);
}

/* ---- the shipped table -------------------------------------------------- */

struct fact {
    const char *model;
    int64_t input, output, cache_read; /* micro-USD per 1M tokens */
};

/* ../shared/pricing-facts.md, one line per API name form. */
static const struct fact facts[] = {
    {"claude-3-5-haiku-20241022", 800000, 4000000, 80000},
    {"claude-haiku-4-5-20251001", 1000000, 5000000, 100000},
    {"claude-haiku-4-5", 1000000, 5000000, 100000},
    {"claude-sonnet-4-20250514", 3000000, 15000000, 300000},
    {"claude-sonnet-4-0", 3000000, 15000000, 300000},
    {"claude-4-sonnet-20250514", 3000000, 15000000, 300000},
    {"claude-sonnet-4-5-20250929", 3000000, 15000000, 300000},
    {"claude-sonnet-4-5", 3000000, 15000000, 300000},
    {"claude-opus-4-20250514", 15000000, 75000000, 1500000},
    {"claude-opus-4-1-20250805", 15000000, 75000000, 1500000},
    {"claude-opus-4-1", 15000000, 75000000, 1500000},
    {"claude-4-opus-20250514", 15000000, 75000000, 1500000},
    {"claude-3-haiku-20240307", 250000, 1250000, 30000},
    {"gpt-4o", 2500000, 10000000, 1250000},
    {"gpt-4o-2024-08-06", 2500000, 10000000, 1250000},
    {"gpt-4o-2024-11-20", 2500000, 10000000, 1250000},
    {"gpt-4o-mini", 150000, 600000, 75000},
    {"gpt-4o-mini-2024-07-18", 150000, 600000, 75000},
    {"gpt-4.1", 2000000, 8000000, 500000},
    {"gpt-4.1-2025-04-14", 2000000, 8000000, 500000},
    {"gpt-4.1-mini", 400000, 1600000, 100000},
    {"gpt-4.1-mini-2025-04-14", 400000, 1600000, 100000},
    {"o3", 2000000, 8000000, 500000},
    {"o3-2025-04-16", 2000000, 8000000, 500000},
    {"o4-mini", 1100000, 4400000, 275000},
    {"o4-mini-2025-04-16", 1100000, 4400000, 275000},
    {"gemini-2.5-pro", 1250000, 10000000, 125000},
    {"gemini-2.5-flash", 300000, 2500000, 75000},
};

static void check_facts(dp_pricing *p)
{
    for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
        const struct fact *f = &facts[i];
        dp_tokens out1 = tok(0, 1, 0, 0, 0);
        dp_tokens read1 = tok(1, 0, 1, 0, 0);
        int64_t in = dp__pricing_input_price(p, f->model, 1000, NOV_2025);
        int64_t out = dp__pricing_cost(p, f->model, &out1, NOV_2025);
        int64_t cr = dp__pricing_cost(p, f->model, &read1, NOV_2025);
        if (in != f->input || out != f->output || cr != f->cache_read)
            fail_msg("%s: input %lld output %lld cache read %lld", f->model,
                     (long long)in, (long long)out, (long long)cr);
    }
}

static void test_pricing_default_table_matches_facts(void **state)
{
    (void)state;
    /* The installed file parses row by row ... */
    char err[512];
    dp_pricing *file = dp_pricing_create_empty();
    int rc = dp_pricing_load_file(file, DP_SOURCE_DIR "/data/pricing.json", err,
                                  sizeof(err));
    if (rc != 0)
        fail_msg("data/pricing.json: %s", err);
    check_facts(file);
    dp_pricing_destroy(file);
    /* ... and the compiled-in copy gives the same prices. */
    dp_pricing *p = default_table();
    check_facts(p);
    /* Cache writes where the facts list them (5-minute price). */
    dp_tokens w = tok(1, 0, 0, 1, 0);
    assert_int_equal(dp__pricing_cost(p, "claude-3-5-haiku", &w, NOV_2025),
                     1000000);
    assert_int_equal(dp__pricing_cost(p, "claude-opus-4-1", &w, NOV_2025),
                     18750000);
    assert_int_equal(dp__pricing_cost(p, "claude-3-haiku", &w, NOV_2025),
                     300000);
    assert_int_equal(dp__pricing_cost(p, "gpt-4o-2024-05-13", &w, NOV_2025),
                     5000000);
    dp_pricing_destroy(p);
}

/* ---- the 2026-12 refresh ------------------------------------------------ */

#define DEC_2026 at(2026, 12, 1, 12, 0, 0)

static void test_pricing_refreshed_models(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    /* Opus 4.6 (5 / 25, read 0.50, write 6.25): 2000 uncached x 5 + 6000
     * read x 0.50 + 2000 write x 6.25 + 1000 out x 25. */
    dp_tokens t = tok(10000, 1000, 6000, 2000, 0);
    assert_int_equal(dp__pricing_cost(p, "claude-opus-4-6", &t, DEC_2026),
                     10000000000LL + 3000000000LL + 12500000000LL +
                         25000000000LL);
    /* Opus 5.5 on Bedrock, Vertex and through a gateway: 1000 x 4 + 1000 x
     * 20. */
    t = tok(1000, 1000, 0, 0, 0);
    const char *opus55[] = {
        "claude-opus-5-5",           "us.anthropic.claude-opus-5-5",
        "anthropic/claude-opus-5-5", "claude-opus-5-5@20260922",
        "claude-opus-5-5[1m]",       NULL};
    for (int i = 0; opus55[i]; i++)
        if (dp__pricing_cost(p, opus55[i], &t, DEC_2026) != 24000000000LL)
            fail_msg("%s", opus55[i]);
    /* Opus 5 is not Opus 5.5: 1000 x 5 + 1000 x 25. */
    assert_int_equal(dp__pricing_cost(p, "claude-opus-5", &t, DEC_2026),
                     30000000000LL);
    /* Fable 5.1's cache read is 0.25, Fable 5's 1.00: 1000 reads each. */
    dp_tokens r = tok(1000, 0, 1000, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "claude-fable-5-1", &r, DEC_2026),
                     250000000LL);
    assert_int_equal(dp__pricing_cost(p, "claude-mythos-5", &r, DEC_2026),
                     1000000000LL);
    /* gpt-5-nano: 1000 x 0.05 + 1000 x 0.40; 1000 cached x 0.005. */
    assert_int_equal(dp__pricing_cost(p, "openai/gpt-5-nano", &t, DEC_2026),
                     50000000LL + 400000000LL);
    assert_int_equal(dp__pricing_cost(p, "gpt-5-nano-2025-08-07", &r, DEC_2026),
                     5000000LL);
    /* gpt-4.1-nano is no longer priced as gpt-4.1: 1000 x 0.10 + 1000 x
     * 0.40. */
    assert_int_equal(dp__pricing_cost(p, "gpt-4.1-nano", &t, DEC_2026),
                     500000000LL);
    dp_pricing_destroy(p);
}

static void test_pricing_refreshed_long_context_tiers(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    /* Haiku 5.5 switches at 100k prompt tokens: 100000 x 0.10 + 1000 x
     * 0.50, then 100001 x 0.50 + 1000 x 2.50. */
    dp_tokens under = tok(100000, 1000, 0, 0, 0);
    dp_tokens over = tok(100001, 1000, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "claude-haiku-5-5", &under, DEC_2026),
                     10000000000LL + 500000000LL);
    assert_int_equal(dp__pricing_cost(p, "claude-haiku-5-5", &over, DEC_2026),
                     50000500000LL + 2500000000LL);
    /* gpt-6-sol above 272k: 200000 uncached x 4 + 100000 cached x 0.40 +
     * 1000 out x 15; at 272000 the short-context 2.00. */
    dp_tokens big = tok(300000, 1000, 100000, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "gpt-6-sol", &big, DEC_2026),
                     800000000000LL + 40000000000LL + 15000000000LL);
    assert_int_equal(dp__pricing_input_price(p, "gpt-6-sol", 272000, DEC_2026),
                     2 * USD_1M);
    assert_int_equal(
        dp__pricing_input_price(p, "gpt-6-sol-2026-09-22", 272001, DEC_2026),
        4 * USD_1M);
    /* gpt-6-luna's tier doubles the cache write too: 0.125 -> 0.25. */
    dp_tokens w = tok(300000, 0, 0, 1, 0);
    assert_int_equal(dp__pricing_cost(p, "gpt-6-luna", &w, DEC_2026),
                     299999LL * 200000 + 250000);
    /* Sonnet 4.6 has no long-context tier: 300000 x 3. */
    dp_tokens s = tok(300000, 0, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "claude-sonnet-4-6", &s, DEC_2026),
                     900000000000LL);
    dp_pricing_destroy(p);
}

static void test_pricing_old_trace_keeps_old_row(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    dp_tokens r = tok(1000, 0, 1000, 0, 0);
    /* Sonnet 5.5 cache reads: 0.20 until 2026-10-06, 0.10 from 2026-10-07. */
    assert_int_equal(dp__pricing_cost(p, "claude-sonnet-5-5", &r,
                                      at(2026, 10, 6, 23, 59, 59)),
                     200000000LL);
    assert_int_equal(
        dp__pricing_cost(p, "claude-sonnet-5-5", &r, at(2026, 10, 7, 0, 0, 0)),
        100000000LL);
    /* The short names follow the newest family from its launch; older
     * calls keep the family of their day (1000 / 1000 tokens). */
    dp_tokens t = tok(1000, 1000, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "sonnet", &t, NOV_2025),
                     18000000000LL); /* Sonnet 4.5: 3 / 15 */
    assert_int_equal(dp__pricing_cost(p, "sonnet", &t, DEC_2026),
                     12000000000LL); /* Sonnet 5.5: 2 / 10 */
    assert_int_equal(dp__pricing_cost(p, "opus", &t, at(2026, 9, 21, 0, 0, 0)),
                     90000000000LL); /* Opus 4.1: 15 / 75 */
    assert_int_equal(dp__pricing_cost(p, "opus", &t, DEC_2026),
                     24000000000LL); /* Opus 5.5: 4 / 20 */
    assert_int_equal(
        dp__pricing_cost(p, "haiku", &t, at(2024, 1, 15, 10, 30, 0)),
        6000000000LL); /* the seed's date: Haiku 4.5 */
    assert_int_equal(dp__pricing_cost(p, "haiku", &t, DEC_2026),
                     600000000LL); /* Haiku 5.5: 0.10 / 0.50 */
    /* Rows the refresh did not touch keep their history (o3's cut). */
    assert_int_equal(dp__pricing_cost(p, "o3", &t, at(2025, 5, 1, 0, 0, 0)),
                     50000000000LL);
    dp_pricing_destroy(p);
}

/* Models added by the 2026-12 refresh whose prices a stored official page
 * showed (data/pricing.json sources), as of December 2026: micro-USD per 1M
 * tokens. */
static const struct {
    const char *model;
    int64_t input, output, cache_read, cache_write;
} official[] = {
    {"claude-opus-4-5-20251101", 5000000, 25000000, 500000, 6250000},
    {"claude-opus-4-8", 5000000, 25000000, 500000, 6250000},
    {"claude-opus-5", 5000000, 25000000, 500000, 6250000},
    {"claude-opus-5-5", 4000000, 20000000, 200000, 5000000},
    {"claude-sonnet-4-6", 3000000, 15000000, 300000, 3750000},
    {"claude-sonnet-5", 2000000, 10000000, 200000, 2500000},
    {"claude-haiku-4-5", 1000000, 5000000, 100000, 1250000},
    {"claude-3-7-sonnet-20250219", 3000000, 15000000, 300000, 3750000},
    {"claude-fable-5", 10000000, 50000000, 1000000, 12500000},
    {"claude-mythos-5-1", 10000000, 50000000, 250000, 12500000},
    {"gpt-6-sol", 2000000, 10000000, 200000, 2500000},
    {"gpt-6-luna", 100000, 500000, 10000, 125000},
    {"gpt-6.2-sol", 2000000, 10000000, 100000, 2500000},
    {"gpt-5.6-luna", 200000, 1200000, 20000, 250000},
    {"gpt-5-nano", 50000, 400000, 5000, 50000},
};

static void check_official(dp_pricing *p)
{
    for (size_t i = 0; i < sizeof(official) / sizeof(official[0]); i++) {
        const char *m = official[i].model;
        dp_tokens out1 = tok(0, 1, 0, 0, 0);
        dp_tokens read1 = tok(1, 0, 1, 0, 0);
        dp_tokens write1 = tok(1, 0, 0, 1, 0);
        int64_t in = dp__pricing_input_price(p, m, 1000, DEC_2026);
        int64_t out = dp__pricing_cost(p, m, &out1, DEC_2026);
        int64_t cr = dp__pricing_cost(p, m, &read1, DEC_2026);
        int64_t cw = dp__pricing_cost(p, m, &write1, DEC_2026);
        if (in != official[i].input || out != official[i].output ||
            cr != official[i].cache_read || cw != official[i].cache_write)
            fail_msg("%s: input %lld output %lld cache read %lld write %lld", m,
                     (long long)in, (long long)out, (long long)cr,
                     (long long)cw);
    }
}

static void test_pricing_default_table_matches_official_pages(void **state)
{
    (void)state;
    char err[512];
    dp_pricing *file = dp_pricing_create_empty();
    if (dp_pricing_load_file(file, DP_SOURCE_DIR "/data/pricing.json", err,
                             sizeof(err)) != 0)
        fail_msg("data/pricing.json: %s", err);
    check_official(file);
    dp_pricing_destroy(file);
    dp_pricing *p = default_table();
    check_official(p);
    dp_pricing_destroy(p);
}

/* ---- LiteLLM price maps -------------------------------------------------- */

#define LITELLM_EXCERPT DP_SOURCE_DIR "/tests/data/pricing/litellm_excerpt.json"

static dp_pricing *litellm_table(const char *json)
{
    return table_from(json);
}

static void test_pricing_litellm_excerpt(void **state)
{
    (void)state;
    char err[512];
    dp_pricing *p = dp_pricing_create_empty();
    int rc = dp_pricing_load_file(p, LITELLM_EXCERPT, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);

    /* deepseek-chat, new to the table, under its key's prefix or none:
     * 600 uncached x 0.27 + 400 read x 0.07 + 1000 out x 1.10; its cache
     * write price 0.0 is a price, not an absence. */
    dp_tokens t = tok(1000, 1000, 400, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "deepseek-chat", &t, NOV_2025),
                     162000000LL + 28000000LL + 1100000000LL);
    assert_int_equal(
        dp__pricing_cost(p, "deepseek/deepseek-chat", &t, NOV_2025),
        1290000000LL);
    dp_tokens w = tok(100, 0, 0, 100, 0);
    assert_int_equal(dp__pricing_cost(p, "deepseek-chat", &w, NOV_2025), 0);

    /* gemini-2.5-pro's *_above_200k_tokens keys are a tier: 200000 uncached
     * x 2.50 + 100000 read x 0.25 + 1000 out x 15; at 200000 the base. */
    dp_tokens big = tok(300000, 1000, 100000, 0, 0);
    assert_int_equal(
        dp__pricing_cost(p, "models/gemini-2.5-pro", &big, NOV_2025),
        500000000000LL + 25000000000LL + 15000000000LL);
    dp_tokens edge = tok(200000, 0, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "gemini-2.5-pro", &edge, NOV_2025),
                     250000000000LL);

    /* output_cost_per_reasoning_token: 400 plain x 0.60 + 600 reasoning x
     * 3.50; with no reasoning tokens all 1000 at 0.60. */
    const char *flash = "gemini-2.5-flash-preview-04-17";
    dp_tokens reas = tok(0, 1000, 0, 0, 600);
    assert_int_equal(dp__pricing_cost(p, flash, &reas, NOV_2025),
                     240000000LL + 2100000000LL);
    dp_tokens plain = tok(0, 1000, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, flash, &plain, NOV_2025), 600000000LL);

    /* Bedrock and Vertex keys match the names spans carry. */
    dp_tokens in = tok(1000, 0, 0, 0, 0);
    assert_int_equal(
        dp__pricing_cost(p, "us.anthropic.claude-haiku-4-5-20251001-v1:0", &in,
                         NOV_2025),
        1000000000LL);
    assert_int_equal(
        dp__pricing_input_price(p, "claude-opus-4-1@20250805", 0, NOV_2025),
        15 * USD_1M);
    /* A 1.00 cache write (1.875e-05 per token) exactly. */
    assert_int_equal(
        dp__pricing_cost(p, "claude-opus-4-1@20250805", &w, NOV_2025),
        100LL * 18750000);

    /* Embedding: no output tokens, 1000 x 0.02. */
    assert_int_equal(
        dp__pricing_cost(p, "text-embedding-3-small", &in, NOV_2025),
        20000000LL);

    /* The key with no prefix wins over a regional one for the same model
     * (2.50, not Azure EU's 2.75), whichever name the span carries. */
    assert_int_equal(
        dp__pricing_input_price(p, "gpt-4o-2024-08-06", 0, NOV_2025), 2500000);
    assert_int_equal(
        dp__pricing_input_price(p, "azure/eu/gpt-4o-2024-08-06", 0, NOV_2025),
        2500000);

    /* Skipped: sample_spec, modes that are not read, no token price. */
    const char *skipped[] = {"sample_spec", "dall-e-3", "whisper-1", NULL};
    for (int i = 0; skipped[i]; i++)
        if (dp__pricing_input_price(p, skipped[i], 0, NOV_2025) != -1)
            fail_msg("%s should be skipped", skipped[i]);
    dp_pricing_destroy(p);

    /* With no unprefixed key, the prefixed one prices the model. */
    p = litellm_table("{\"azure/eu/gpt-x\":{\"input_cost_per_token\":2.75e-06,"
                      "\"output_cost_per_token\":1.1e-05,\"mode\":\"chat\"}}");
    assert_int_equal(dp__pricing_input_price(p, "gpt-x", 0, NOV_2025), 2750000);
    dp_pricing_destroy(p);
}

static void test_pricing_litellm_exact_conversion(void **state)
{
    (void)state;
    static const struct {
        const char *json; /* as written in the file */
        int64_t pico;     /* pico-USD per token */
    } cases[] = {
        {"3e-06", 3000000},
        {"1.25e-07", 125000},
        {"1.5e-05", 15000000},
        {"2.25e-05", 22500000},
        {"3.75e-08", 37500},
        {"1.875e-05", 18750000},
        {"2.7e-07", 270000},
        {"0.000003", 3000000},
        {"3E-6", 3000000},
        {"1.1e-06", 1100000},
        {"7e-08", 70000},
        {"0.1", 100000000000LL},
        {"1", 1000000000000LL},
        {"1.0", 1000000000000LL},
        {"0", 0},
        {"0.0", 0},
        {"1e-12", 1},
        {"4e-13", 0},   /* below half a pico-USD: rounds down */
        {"5e-13", 1},   /* exactly half: rounds up */
        {"1.5e-12", 2}, /* half: up */
        {"1.49e-12", 1},
        {"3.3333333333333335e-06", 3333333},
        {"8.333333333333334e-07", 833333},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{\"m\":{\"input_cost_per_token\":%s,"
                 "\"output_cost_per_token\":0}}",
                 cases[i].json);
        dp_pricing *p = litellm_table(json);
        int64_t got = dp__pricing_input_price(p, "m", 0, NOV_2025);
        if (got != cases[i].pico)
            fail_msg("%s: %lld, want %lld", cases[i].json, (long long)got,
                     (long long)cases[i].pico);
        dp_pricing_destroy(p);
    }
}

static void test_pricing_litellm_sample_spec_skipped(void **state)
{
    (void)state;
    /* sample_spec holds descriptions where prices go: never read. */
    dp_pricing *p = litellm_table(
        "{\"sample_spec\":{\"input_cost_per_token\":\"text\","
        "\"mode\":\"one of: chat, embedding\"},"
        "\"m\":{\"input_cost_per_token\":1e-06,\"output_cost_per_token\":2e-06,"
        "\"mode\":\"responses\"},"
        "\"img\":{\"mode\":\"image_generation\",\"input_cost_per_token\":\"x\"}"
        ","
        "\"none\":{\"mode\":\"chat\",\"max_tokens\":8192},"
        "\"in-only\":{\"input_cost_per_token\":1e-06}}");
    assert_int_equal(dp__pricing_input_price(p, "sample_spec", 0, NOV_2025),
                     -1);
    assert_int_equal(dp__pricing_input_price(p, "m", 0, NOV_2025), USD_1M);
    /* Skipped before its prices are read: a mode that is not read. */
    assert_int_equal(dp__pricing_input_price(p, "img", 0, NOV_2025), -1);
    /* Lacking both prices: skipped; lacking one: that one is 0. */
    assert_int_equal(dp__pricing_input_price(p, "none", 0, NOV_2025), -1);
    dp_tokens t = tok(1000, 1000, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "in-only", &t, NOV_2025),
                     1000000000LL);
    dp_pricing_destroy(p);

    /* A map holding only sample_spec is no price map. */
    char err[256];
    p = dp_pricing_create_empty();
    assert_int_equal(dp_pricing_load_json(
                         p, "{\"sample_spec\":{\"input_cost_per_token\":0}}",
                         "only.json", err, sizeof(err)),
                     DP_EPARSE);
    assert_non_null(strstr(err, "only.json"));
    assert_non_null(strstr(err, "LiteLLM"));
    dp_pricing_destroy(p);
}

#define GOOD_ENTRY                                                             \
    "\"good\":{\"input_cost_per_token\":1e-06,\"output_cost_per_token\":"      \
    "1e-06},"

static void test_pricing_litellm_bad_shapes(void **state)
{
    (void)state;
    expect_load_error("{" GOOD_ENTRY "\"gpt-x\":{\"input_cost_per_token\":"
                      "\"3e-06\",\"output_cost_per_token\":1e-05}}",
                      DP_EPARSE, "\"gpt-x\"", "input_cost_per_token",
                      "not a number", NULL);
    expect_load_error("{" GOOD_ENTRY "\"gpt-y\":{\"input_cost_per_token\":"
                      "1e-06,\"output_cost_per_token\":-1e-05}}",
                      DP_EPARSE, "\"gpt-y\"", "output_cost_per_token",
                      "negative", NULL);
    expect_load_error("{" GOOD_ENTRY "\"gpt-z\":[1,2]}", DP_EPARSE, "\"gpt-z\"",
                      "not an object", NULL);
    expect_load_error("{" GOOD_ENTRY "\"m\":{\"input_cost_per_token\":1e-06,"
                      "\"mode\":3}}",
                      DP_EPARSE, "\"m\"", "mode", NULL);
    expect_load_error("{" GOOD_ENTRY "\"t\":{\"input_cost_per_token\":1e-06,"
                      "\"input_cost_per_token_above_200k_tokens\":\"2e-06\"}}",
                      DP_EPARSE, "\"t\"",
                      "input_cost_per_token_above_200k_tokens", NULL);
    expect_load_error("{" GOOD_ENTRY "\"big\":{\"input_cost_per_token\":2,"
                      "\"output_cost_per_token\":1}}",
                      DP_EPARSE, "\"big\"", "above 1 USD", NULL);
    expect_load_error("{" GOOD_ENTRY "\"openai/\":{\"input_cost_per_token\":"
                      "1e-06}}",
                      DP_EPARSE, "\"openai/\"", "no model name", NULL);
    expect_load_error("{\"foo\":{\"bar\":1}}", DP_EPARSE, "LiteLLM", NULL);
    /* Cache and reasoning prices are checked too. */
    expect_load_error("{" GOOD_ENTRY "\"c\":{\"input_cost_per_token\":1e-06,"
                      "\"cache_read_input_token_cost\":true}}",
                      DP_EPARSE, "\"c\"", "cache_read_input_token_cost", NULL);
    expect_load_error("{" GOOD_ENTRY "\"r\":{\"input_cost_per_token\":1e-06,"
                      "\"output_cost_per_reasoning_token\":-1}}",
                      DP_EPARSE, "\"r\"", "output_cost_per_reasoning_token",
                      NULL);
}

static void test_pricing_litellm_overrides_builtin(void **state)
{
    (void)state;
    dp_pricing *p = default_table();
    char path[64], err[256];
    /* A negotiated Sonnet 4.5 price and an o3 price, keyed as LiteLLM
     * does. */
    write_temp(path, "{\"anthropic/claude-sonnet-4-5\":{"
                     "\"input_cost_per_token\":2.4e-06,"
                     "\"output_cost_per_token\":1.2e-05,"
                     "\"cache_read_input_token_cost\":2.4e-07,"
                     "\"litellm_provider\":\"anthropic\",\"mode\":\"chat\"},"
                     "\"o3\":{\"input_cost_per_token\":1e-06,"
                     "\"output_cost_per_token\":4e-06,\"mode\":\"chat\"}}");
    assert_int_equal(dp_pricing_load_file(p, path, err, sizeof(err)), 0);
    unlink(path);

    dp_tokens t = tok(1000, 1000, 0, 0, 0);
    /* The file's row replaces the built-in one: 1000 x 2.40 + 1000 x 12,
     * and it has no 200k tier (300000 x 2.40). */
    assert_int_equal(dp__pricing_cost(p, "claude-sonnet-4-5", &t, NOV_2025),
                     14400000000LL);
    dp_tokens big = tok(300000, 0, 0, 0, 0);
    assert_int_equal(dp__pricing_cost(p, "claude-sonnet-4-5", &big, NOV_2025),
                     720000000000LL);
    /* A name the file does not list keeps the built-in row (3 / 15). */
    assert_int_equal(
        dp__pricing_cost(p, "claude-sonnet-4-5-20250929", &t, NOV_2025),
        18000000000LL);
    /* o3: the file's price from the built-in row's date (2025-06-10) on;
     * a call before it keeps the launch price 10 / 40. */
    assert_int_equal(dp__pricing_cost(p, "o3", &t, at(2025, 7, 1, 0, 0, 0)),
                     5000000000LL);
    assert_int_equal(dp__pricing_cost(p, "o3", &t, at(2025, 5, 1, 0, 0, 0)),
                     50000000000LL);
    dp_pricing_destroy(p);
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pricing_override_file),
        cmocka_unit_test(test_pricing_malformed_file),
        cmocka_unit_test(test_pricing_default_table_matches_facts),
        cmocka_unit_test(test_pricing_refreshed_models),
        cmocka_unit_test(test_pricing_refreshed_long_context_tiers),
        cmocka_unit_test(test_pricing_old_trace_keeps_old_row),
        cmocka_unit_test(test_pricing_default_table_matches_official_pages),
        cmocka_unit_test(test_pricing_litellm_excerpt),
        cmocka_unit_test(test_pricing_litellm_exact_conversion),
        cmocka_unit_test(test_pricing_litellm_sample_spec_skipped),
        cmocka_unit_test(test_pricing_litellm_bad_shapes),
        cmocka_unit_test(test_pricing_litellm_overrides_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
