/*
 * test_optimize.c - the six optimization recommendations of DESIGN.md on
 * hand-built profiles (profile_fixture.h): each fires on a crafted run with
 * savings equal to the hand-computed numbers (time in ns, tokens, cost in
 * pico-USD priced by a small table), stays silent just under its threshold,
 * and the list is ordered by priority, then type. Prices below are USD per
 * 1M tokens, i.e. 1e6 pico-USD per token per dollar.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "analysis_config.h"
#include "pricing.h"
#include "profile_fixture.h"

#define S FX_S
#define MS FX_MS

/* opus 15 / 75, sonnet 3 / 15, small 0.5 / 1, pricey 100 / 500, tiered 3
 * (6 above 4500 input tokens) / 15. */
static const char *const pricing_json =
    "{\"currency\": \"USD\", \"rows\": ["
    "{\"pattern\": \"claude-opus-4\", \"match\": \"prefix\", \"input\": 15,"
    " \"output\": 75, \"effective\": \"2025-01-01\"},"
    "{\"pattern\": \"claude-sonnet-4-5\", \"match\": \"prefix\", \"input\": 3,"
    " \"output\": 15, \"effective\": \"2025-01-01\"},"
    "{\"pattern\": \"small\", \"match\": \"exact\", \"input\": 0.5,"
    " \"output\": 1, \"effective\": \"2025-01-01\"},"
    "{\"pattern\": \"pricey\", \"match\": \"exact\", \"input\": 100,"
    " \"output\": 500, \"effective\": \"2025-01-01\"},"
    "{\"pattern\": \"tiered\", \"match\": \"exact\", \"input\": 3,"
    " \"output\": 15, \"effective\": \"2025-01-01\", \"tiers\": ["
    "{\"above_input_tokens\": 4500, \"input\": 6, \"output\": 30}]}"
    "]}";

static int setup_pricing(void **state)
{
    dp_pricing *pr = dp_pricing_create_empty();
    char err[256];
    if (!pr)
        return -1;
    if (dp_pricing_load_json(pr, pricing_json, "test", err, sizeof err) != 0) {
        fprintf(stderr, "pricing: %s\n", err);
        dp_pricing_destroy(pr);
        return -1;
    }
    *state = pr;
    return 0;
}

static int teardown_pricing(void **state)
{
    dp_pricing_destroy(*state);
    return 0;
}

/* ---- parallelize --------------------------------------------------------- */

/* a [0, 2 s) -> b [3 s, 5 s): critical path 4 s, b queued 1 s. The run
 * goes on after b: its last wall - 5 s are the run's own time. The saving
 * is simulated (replay with no-queue: a 0-2 s, b 2-4 s, the run's own
 * tail kept), so it is b's 1 s of queue delay, not wall - critical path:
 * no scheduling removes the tail. */
static dp_profile *chain_run(int64_t wall)
{
    dp_profile *p = fx_profile(wall);
    fx_node(p, "a", 0, 2 * S);
    fx_node(p, "b", 3 * S, 5 * S);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    return p;
}

static void test_optimize_parallelize(void **state)
{
    (void)state;
    dp_profile *p = chain_run(10 * S); /* efficiency 4 / 10 = 0.4 */
    const dp_optimization *o = fx_optimization(p, DP_OPT_PARALLELIZE, 0);
    assert_non_null(o);
    assert_int_equal(o->priority, DP_SEV_HIGH);
    assert_int_equal(o->saving_time_ns, 1 * S); /* b's queue delay */
    assert_int_equal(o->saving_tokens, 0);
    assert_int_equal(o->saving_cost_pusd, 0);
    /* b's queue 1 s > max(100 ms, 5% of 10 s): scheduling_delay fired */
    assert_non_null(fx_bottleneck(p, DP_BN_SCHEDULING_DELAY, 1));
    assert_string_equal(o->description,
                        "Parallelization efficiency is 40% (critical path "
                        "4.000 s of 10.000 s wall): 6.000 s of the run is "
                        "outside critical-path execution (1.000 s queue "
                        "delay on the critical path, 5.000 s after its last "
                        "node); scheduling delay on b; replayed with every "
                        "node starting as soon as its dependencies end, the "
                        "run finishes 1.000 s earlier");
    assert_string_equal(o->implementation,
                        "Start b as soon as its dependencies finish (more "
                        "workers, less scheduler latency); the DAG allows "
                        "1.0x parallelism");
    fx_free(p);

    p = chain_run(8 * S); /* exactly 0.5: medium */
    o = fx_optimization(p, DP_OPT_PARALLELIZE, 0);
    assert_non_null(o);
    assert_int_equal(o->priority, DP_SEV_MEDIUM);
    assert_int_equal(o->saving_time_ns, 1 * S);
    fx_free(p);

    p = chain_run(6 * S); /* 0.667 */
    o = fx_optimization(p, DP_OPT_PARALLELIZE, 0);
    assert_non_null(o);
    assert_int_equal(o->priority, DP_SEV_MEDIUM);
    assert_int_equal(o->saving_time_ns, 1 * S);
    fx_free(p);

    p = chain_run(5 * S); /* exactly 0.8: silent */
    assert_int_equal(fx_count_optimizations(p, DP_OPT_PARALLELIZE), 0);
    fx_free(p);

    /* x [0, 2 s) -> y [2 s, 4 s), wall 10 s: efficiency 0.4, but nothing
     * waits: the replay without queue delay ends as late, so there is
     * nothing for parallelize to recommend (the formula said 6 s). */
    p = fx_profile(10 * S);
    fx_node(p, "x", 0, 2 * S);
    fx_node(p, "y", 2 * S, 4 * S);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_PARALLELIZE), 0);
    fx_free(p);
}

/* ---- cache --------------------------------------------------------------- */

static void test_optimize_cache(void **state)
{
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "fetch-code", 0, 10 * S);
    fx_node(p, "analyze", 0, 10 * S);
    fx_tool(p, 0, "read_file", 0, 1 * S, 11);
    fx_tool(p, 1, "read_file", 1 * S, 3 * S, 11);     /* repeat 2 s */
    fx_tool(p, 0, "read_file", 1 * S, 1500 * MS, 12); /* other args */
    fx_tool(p, 0, "search", 2 * S, 5 * S, 13);
    fx_tool(p, 1, "read_file", 3 * S, 3500 * MS, 11); /* repeat 0.5 s */
    fx_tool(p, 1, "search", 4 * S, 8 * S, 13);        /* repeat 4 s */
    fx_llm(p, 0, "claude-sonnet-4-5", 5 * S, 6 * S, 1000, 200, FX_PRICE)
        ->cache_key = 21;
    fx_llm(p, 1, "claude-sonnet-4-5", 6 * S, 7500 * MS, 1000, 200, FX_PRICE)
        ->cache_key = 21;                     /* repeat 1.5 s */
    fx_tool(p, 0, "x", 7 * S, 7100 * MS, 21); /* same key, other kind */
    fx_tool(p, 0, "noargs", 8 * S, 9 * S, 0); /* no key: never cached */
    fx_tool(p, 1, "noargs", 9 * S, 10 * S, 0);
    fx_finish(p, *state);
    fx_analyze(p, *state);

    /* Time saved is simulated: fetch-code runs the whole 10 s beside
     * analyze, so however much shorter analyze gets, the run does not end
     * earlier: every time saving is 0. The LLM repeat still saves its
     * tokens and cost (high: 6e9 of 12e9 pico-USD) and comes first; the
     * tool ones are low, ordered by generation (read_file, then search). */
    assert_int_equal(p->n_optimizations, 3);
    const dp_optimization *o = fx_optimization(p, DP_OPT_CACHE, 2);
    assert_non_null(o);
    assert_int_equal(o->priority, DP_SEV_LOW);
    assert_int_equal(o->saving_time_ns, 0);
    assert_int_equal(o->saving_tokens, 0);
    assert_int_equal(o->saving_cost_pusd, 0);
    assert_string_equal(o->description,
                        "search was called 1 more time with arguments "
                        "already seen in the run (1 distinct argument set) "
                        "in analyze: the repeats took 4.000 s; replayed "
                        "without them, the run ends no earlier: other work "
                        "sets its end");
    assert_string_equal(o->implementation,
                        "Memoize search results for the run keyed by their "
                        "arguments, so the repeated calls in analyze reuse "
                        "the first result");

    o = fx_optimization(p, DP_OPT_CACHE, 1);
    assert_non_null(o);
    assert_int_equal(o->priority, DP_SEV_LOW);
    assert_int_equal(o->saving_time_ns, 0);
    assert_string_equal(o->description,
                        "read_file was called 2 more times with arguments "
                        "already seen in the run (1 distinct argument set) "
                        "in analyze: the repeats took 2.500 s; replayed "
                        "without them, the run ends no earlier: other work "
                        "sets its end");

    o = fx_optimization(p, DP_OPT_CACHE, 0);
    assert_non_null(o);
    assert_int_equal(o->priority, DP_SEV_HIGH); /* cost 6e9 of 12e9 */
    assert_int_equal(o->saving_time_ns, 0);
    assert_int_equal(o->saving_tokens, 1200);
    /* 1000 x 3e6 + 200 x 15e6 = 6e9 pico-USD */
    assert_int_equal(o->saving_cost_pusd, 6000000000LL);
    assert_string_equal(o->description,
                        "claude-sonnet-4-5 received 1 repeated prompt (1 "
                        "distinct prompt sent more than once) in analyze: "
                        "the repeats took 1.500 s, 1200 tokens and $0.006; "
                        "replayed without them, the run ends no earlier: "
                        "other work sets its end");
    assert_string_equal(o->implementation,
                        "Cache claude-sonnet-4-5 responses for the run keyed "
                        "by model and prompt hash, so the repeated calls in "
                        "analyze reuse the first answer");
    fx_free(p);

    /* Only critical time counts: a [0, 4 s) -> b [4 s, 8 s), c [0, 6 s)
     * beside them; tool t (same arguments) in a [0, 1 s), c [1 s, 2 s)
     * and b [4 s, 5 s). The repeats took 2 s, but c's is off the critical
     * path: replayed, b runs 4-7 s, c 0-5 s, the run ends 1 s earlier. */
    p = fx_profile(8 * S);
    fx_node(p, "a", 0, 4 * S);
    fx_node(p, "c", 0, 6 * S);
    fx_node(p, "b", 4 * S, 8 * S);
    fx_dep(p, 2, 0);
    fx_tool(p, 0, "t", 0, 1 * S, 5);
    fx_tool(p, 1, "t", 1 * S, 2 * S, 5);
    fx_tool(p, 2, "t", 4 * S, 5 * S, 5);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    o = fx_optimization(p, DP_OPT_CACHE, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_time_ns, 1 * S);
    assert_int_equal(o->priority, DP_SEV_MEDIUM); /* 1 / 8 of wall */
    assert_string_equal(o->description,
                        "t was called 2 more times with arguments already "
                        "seen in the run (1 distinct argument set) in c, b: "
                        "the repeats took 2.000 s; replayed without them, "
                        "the run finishes 1.000 s earlier");
    fx_free(p);
}

static void test_optimize_cache_names_at_most_four_nodes(void **state)
{
    (void)state;
    /* Tool t with the same arguments in n0..n5 (100 ms each): 5 repeats,
     * 0.5 s, in n1..n5; the sentence names four and counts the rest. The
     * nodes declare no dependencies and each keeps its start, so only
     * n5's end moves the run's: replayed, it ends 100 ms earlier (1% of
     * the wall: low). */
    dp_profile *p = fx_profile(10 * S);
    char id[16];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "n%d", i);
        fx_node(p, id, i * S, i * S + S);
    }
    for (long i = 0; i < 6; i++)
        fx_tool(p, i, "t", i * S, i * S + 100 * MS, 7);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    const dp_optimization *o = fx_optimization(p, DP_OPT_CACHE, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_time_ns, 100 * MS);
    assert_int_equal(o->priority, DP_SEV_LOW);
    assert_string_equal(o->description,
                        "t was called 5 more times with arguments already "
                        "seen in the run (1 distinct argument set) in n1, "
                        "n2, n3, n4 and 1 more: the repeats took 0.500 s; "
                        "replayed without them, the run finishes 0.100 s "
                        "earlier");
    fx_free(p);
}

/* ---- model_downgrade ----------------------------------------------------- */

/* review [0, 10 s): two claude-opus-4-1 calls (5000 + 600, 3000 + 400: 9000
 * tokens) and an unpriced gpt-x call of 20000 input + other_out output. */
static dp_profile *opus_run(const dp_pricing *pr, int64_t other_out,
                            const dp_analysis_config *cfg)
{
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "review", 0, 10 * S);
    fx_llm(p, 0, "claude-opus-4-1", 0, 2 * S, 5000, 600, FX_PRICE);
    fx_llm(p, 0, "claude-opus-4-1", 2 * S, 4 * S, 3000, 400, FX_PRICE);
    fx_llm(p, 0, "gpt-x", 4 * S, 6 * S, 20000, other_out, FX_PRICE);
    fx_finish(p, pr);
    dp_analysis_config def;
    dp_analysis_config_init(&def);
    dp__analysis_run(p, cfg ? cfg : &def, pr);
    return p;
}

static void test_optimize_model_downgrade(void **state)
{
    /* 9000 of 30000 tokens is exactly 30%: silent */
    dp_profile *p = opus_run(*state, 1000, NULL);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_MODEL_DOWNGRADE), 0);
    fx_free(p);

    /* 9000 of 29999 > 30%. Opus: 8000 x 15e6 + 1000 x 75e6 = 1.95e11;
     * sonnet: 8000 x 3e6 + 1000 x 15e6 = 3.9e10; saving 1.56e11. */
    p = opus_run(*state, 999, NULL);
    const dp_optimization *o = fx_optimization(p, DP_OPT_MODEL_DOWNGRADE, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_cost_pusd, 156000000000LL);
    assert_int_equal(o->saving_tokens, 0);
    assert_int_equal(o->saving_time_ns, 0);
    assert_int_equal(o->priority, DP_SEV_HIGH); /* 1.56 of 1.95 */
    assert_string_equal(o->description,
                        "claude-opus-4-1 carries 30.0% of the run's tokens "
                        "(9000 of 29999) and its 2 calls cost $0.195; the "
                        "same tokens on claude-sonnet-4-5 would cost $0.039, "
                        "saving $0.156");
    assert_string_equal(o->implementation,
                        "Move the calls of claude-opus-4-1 in review to "
                        "claude-sonnet-4-5 where quality allows, and keep "
                        "claude-opus-4-1 for the hardest reasoning");
    fx_free(p);

    /* A configured map, matched case-insensitively as a substring:
     * small is 8000 x 0.5e6 + 1000 x 1e6 = 5e9; saving 1.9e11. */
    dp_analysis_config cfg;
    dp_analysis_config_init(&cfg);
    const dp_model_map map[] = {{"OPUS-4", "small"}};
    cfg.downgrade_map = map;
    cfg.n_downgrade_map = 1;
    p = opus_run(*state, 999, &cfg);
    o = fx_optimization(p, DP_OPT_MODEL_DOWNGRADE, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_cost_pusd, 190000000000LL);
    fx_free(p);

    /* A substitute that is not cheaper: no recommendation. */
    const dp_model_map worse[] = {{"opus", "pricey"}};
    cfg.downgrade_map = worse;
    p = opus_run(*state, 999, &cfg);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_MODEL_DOWNGRADE), 0);
    fx_free(p);

    /* No pricing table: the share still fires, the saving is 0. */
    p = opus_run(NULL, 999, NULL);
    o = fx_optimization(p, DP_OPT_MODEL_DOWNGRADE, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_cost_pusd, 0);
    assert_int_equal(o->priority, DP_SEV_LOW);
    fx_free(p);

    /* An Opus-family model the table does not price: the substitute is
     * priced, but with no current cost there is no difference to claim. */
    p = fx_profile(10 * S);
    fx_node(p, "review", 0, 10 * S);
    fx_llm(p, 0, "opus-next", 0, 2 * S, 5000, 600, FX_PRICE);
    fx_finish(p, *state);
    fx_analyze(p, *state);
    o = fx_optimization(p, DP_OPT_MODEL_DOWNGRADE, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_cost_pusd, 0);
    assert_string_equal(o->description,
                        "opus-next carries 100.0% of the run's tokens (5600 "
                        "of 5600); the saving from claude-sonnet-4-5 is "
                        "unknown because opus-next or claude-sonnet-4-5 has "
                        "no price");
    fx_free(p);
}

/* ---- batch_operations ---------------------------------------------------- */

static void test_optimize_batch_operations(void **state)
{
    (void)state;
    /* fetch-code: fetch [0,1) [1,3) [3,3.5) one after another (parse calls
     * in between do not break the run), then fetch [3.4,4) overlaps the
     * previous one and starts a new run [3.4,4) [4,5) of only 2 calls.
     * Saving (1 + 2 + 0.5) - 2 = 1.5 s. other: three parallel g calls. */
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "fetch-code", 0, 10 * S);
    fx_node(p, "other", 0, 10 * S);
    fx_tool(p, 0, "fetch", 0, 1 * S, 0);
    fx_tool(p, 1, "g", 0, 1 * S, 0);
    fx_tool(p, 1, "g", 0, 1 * S, 0);
    fx_tool(p, 1, "g", 0, 1 * S, 0);
    fx_tool(p, 0, "fetch", 1 * S, 3 * S, 0);
    fx_tool(p, 0, "parse", 1200 * MS, 1400 * MS, 0);
    fx_tool(p, 0, "parse", 2 * S, 2100 * MS, 0);
    fx_tool(p, 0, "fetch", 3 * S, 3500 * MS, 0);
    fx_tool(p, 0, "fetch", 3400 * MS, 4 * S, 0);
    fx_tool(p, 0, "fetch", 4 * S, 5 * S, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_BATCH_OPERATIONS), 1);
    const dp_optimization *o = fx_optimization(p, DP_OPT_BATCH_OPERATIONS, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_time_ns, 1500 * MS);
    assert_int_equal(o->priority, DP_SEV_MEDIUM); /* 15% of wall */
    assert_string_equal(o->description,
                        "fetch-code calls fetch 3 times one after another "
                        "(3.500 s in total, longest 2.000 s)");
    assert_string_equal(o->implementation,
                        "Batch the fetch calls of fetch-code into one "
                        "request, or issue them concurrently");
    fx_free(p);

    /* Two sequential calls: silent. */
    p = fx_profile(10 * S);
    fx_node(p, "n", 0, 10 * S);
    fx_tool(p, 0, "fetch", 0, 1 * S, 0);
    fx_tool(p, 0, "fetch", 1 * S, 2 * S, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_BATCH_OPERATIONS), 0);
    fx_free(p);
}

/* ---- reduce_context ------------------------------------------------------ */

/* analyze [0, 10 s): tiered 5000 in (its tier: 6e6 per input token),
 * sonnet 4000 in (failed attempt, still counted), mystery 4001 in
 * (unpriced), and a sonnet call without token attributes (not counted). */
static dp_profile *context_run(const dp_pricing *pr, int64_t a, int64_t b,
                               int64_t c)
{
    dp_profile *p = fx_profile(10 * S);
    fx_node(p, "analyze", 0, 10 * S);
    fx_llm(p, 0, "tiered", 0, 1 * S, a, 10, FX_PRICE);
    fx_llm(p, 0, "claude-sonnet-4-5", 1 * S, 2 * S, b, 10, FX_PRICE)->success =
        false;
    fx_llm(p, 0, "mystery", 2 * S, 3 * S, c, 10, FX_PRICE);
    dp_call *k =
        fx_llm(p, 0, "claude-sonnet-4-5", 3 * S, 4 * S, 0, 0, FX_PRICE);
    k->has_tokens = false;
    fx_finish(p, pr);
    fx_analyze(p, pr);
    return p;
}

static void test_optimize_reduce_context(void **state)
{
    /* total 13001 over 3 calls: mean 4333.67 > 4000. Tokens 13001 - 3 x
     * 2000 = 7001. Cost 7001 / 3 x (6e6 + 3e6 + 0) = 7001 x 3e6 =
     * 21,003,000,000 pico-USD. */
    dp_profile *p = context_run(*state, 5000, 4000, 4001);
    const dp_optimization *o = fx_optimization(p, DP_OPT_REDUCE_CONTEXT, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_tokens, 7001);
    assert_int_equal(o->saving_cost_pusd, 21003000000LL);
    assert_int_equal(o->saving_time_ns, 0);
    assert_int_equal(o->priority, DP_SEV_HIGH); /* 7001 of 13031 tokens */
    assert_string_equal(o->description,
                        "Mean input context is 4333 tokens per LLM call over "
                        "3 calls (target 2000): 7001 input tokens above the "
                        "target, worth $0.021003");
    assert_string_equal(o->implementation,
                        "Summarize or select the context before each call, "
                        "starting with analyze (largest input: 5000 tokens "
                        "in one call)");
    fx_free(p);

    /* The tier follows each call's own input: 4500 is not above 4500, so
     * tiered is 3e6 here. total 13000: tokens 7000, cost 7000 / 3 x 6e6. */
    p = context_run(*state, 4500, 4250, 4250);
    o = fx_optimization(p, DP_OPT_REDUCE_CONTEXT, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_tokens, 7000);
    assert_int_equal(o->saving_cost_pusd, 14000000000LL);
    fx_free(p);

    /* No table: tokens only. */
    p = context_run(NULL, 5000, 4000, 4001);
    o = fx_optimization(p, DP_OPT_REDUCE_CONTEXT, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_tokens, 7001);
    assert_int_equal(o->saving_cost_pusd, 0);
    fx_free(p);

    /* Mean exactly 4000: silent. */
    p = context_run(*state, 4000, 4000, 4000);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_REDUCE_CONTEXT), 0);
    fx_free(p);
}

/* ---- restructure_dag ----------------------------------------------------- */

static void test_optimize_restructure_dag(void **state)
{
    (void)state;
    dp_profile *p = fx_diamond_run(4 * S);
    const dp_optimization *o = fx_optimization(p, DP_OPT_RESTRUCTURE_DAG, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_time_ns, 3500 * MS); /* 4 / 2 + 3 / 2 */
    assert_int_equal(o->priority, DP_SEV_HIGH);     /* 35% of wall */
    /* nodes in start order */
    assert_string_equal(o->description,
                        "Every path through the DAG passes through fetch, "
                        "agg (7.000 s of execution, 70.0% of wall)");
    assert_string_equal(o->implementation,
                        "Split fetch, agg into independent parts that run in "
                        "parallel; halving their execution would finish the "
                        "run 3.500 s earlier (replayed)");
    assert_int_equal(p->n_optimizations, 1); /* efficiency 9.5 / 10 */
    fx_free(p);

    /* odd nanoseconds: half of 4 s + 1 ns rounds down */
    p = fx_diamond_run(4 * S + 1);
    o = fx_optimization(p, DP_OPT_RESTRUCTURE_DAG, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_time_ns, 3500 * MS);
    fx_free(p);

    /* x [0, 2 s) -> y [2 s, 3 s), wall 10 s: 20% is not a bottleneck */
    p = fx_profile(10 * S);
    fx_node(p, "x", 0, 2 * S);
    fx_node(p, "y", 2 * S, 3 * S);
    fx_dep(p, 1, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_RESTRUCTURE_DAG), 0);
    fx_free(p);
}

/* ---- ordering and empty runs --------------------------------------------- */

static void test_optimize_sorted_by_priority_then_type(void **state)
{
    (void)state;
    /* a [0,2) -> b [3,5), wall 6 s. a repeats tool t (key 5) once: 10 ms,
     * 0.17% of wall -> low. b: one LLM call of 9000 input: reduce_context
     * 7000 of 9000 tokens -> high. a and b are each 33% of wall on every
     * path: restructure_dag 1 + 1 = 2 s, 33% -> high (replayed: a 0-1 s,
     * b 2-3 s, the run's 1 s after b kept). Efficiency 4 / 6: parallelize,
     * medium, saves b's 1 s of queue delay (replayed without it, b ends at
     * 4 s; the formula said wall - critical path = 2 s). Order: reduce_context,
     * restructure_dag (high, by type), parallelize (medium), cache (low). */
    dp_profile *p = fx_profile(6 * S);
    fx_node(p, "a", 0, 2 * S);
    fx_node(p, "b", 3 * S, 5 * S);
    fx_dep(p, 1, 0);
    fx_tool(p, 0, "t", 0, 10 * MS, 5);
    fx_tool(p, 0, "t", 10 * MS, 20 * MS, 5);
    fx_llm(p, 1, "m", 3 * S, 4 * S, 9000, 0, 0);
    fx_finish(p, NULL);
    fx_analyze(p, NULL);
    assert_int_equal(p->n_optimizations, 4);
    assert_int_equal(p->optimizations[0].type, DP_OPT_REDUCE_CONTEXT);
    assert_int_equal(p->optimizations[0].priority, DP_SEV_HIGH);
    assert_int_equal(p->optimizations[0].saving_tokens, 7000);
    assert_int_equal(p->optimizations[1].type, DP_OPT_RESTRUCTURE_DAG);
    assert_int_equal(p->optimizations[1].priority, DP_SEV_HIGH);
    assert_int_equal(p->optimizations[1].saving_time_ns, 2 * S);
    assert_int_equal(p->optimizations[2].type, DP_OPT_PARALLELIZE);
    assert_int_equal(p->optimizations[2].priority, DP_SEV_MEDIUM);
    assert_int_equal(p->optimizations[2].saving_time_ns, 1 * S);
    assert_int_equal(p->optimizations[3].type, DP_OPT_CACHE);
    assert_int_equal(p->optimizations[3].priority, DP_SEV_LOW);
    assert_int_equal(p->optimizations[3].saving_time_ns, 10 * MS);
    fx_free(p);
}

static void test_optimize_empty_and_zero_runs(void **state)
{
    /* no nodes, no calls, no wall */
    dp_profile *p = fx_profile(0);
    fx_finish(p, *state);
    fx_analyze(p, *state);
    assert_int_equal(p->n_optimizations, 0);
    fx_free(p);

    /* calls with no tokens, no cost, zero durations, zero wall */
    p = fx_profile(0);
    fx_node(p, "a", 0, 0);
    fx_llm(p, 0, "claude-opus-4-1", 0, 0, 0, 0, FX_PRICE)->cache_key = 9;
    fx_llm(p, 0, "claude-opus-4-1", 0, 0, 0, 0, FX_PRICE)->cache_key = 9;
    fx_tool(p, 0, "t", 0, 0, 0);
    fx_tool(p, 0, "t", 0, 0, 0);
    fx_tool(p, 0, "t", 0, 0, 0);
    fx_finish(p, *state);
    fx_analyze(p, *state);
    for (size_t i = 0; i < p->n_optimizations; i++) {
        const dp_optimization *o = &p->optimizations[i];
        assert_true(o->saving_time_ns >= 0);
        assert_true(o->saving_tokens >= 0);
        assert_true(o->saving_cost_pusd >= 0);
        assert_non_null(o->description);
        assert_non_null(o->implementation);
    }
    assert_int_equal(fx_count_optimizations(p, DP_OPT_PARALLELIZE), 0);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_MODEL_DOWNGRADE), 0);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_BATCH_OPERATIONS), 0);
    assert_int_equal(fx_count_optimizations(p, DP_OPT_REDUCE_CONTEXT), 0);
    /* the repeated prompt is still a cache hit worth nothing */
    const dp_optimization *o = fx_optimization(p, DP_OPT_CACHE, 0);
    assert_non_null(o);
    assert_int_equal(o->saving_time_ns, 0);
    assert_int_equal(o->priority, DP_SEV_LOW);
    fx_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optimize_parallelize),
        cmocka_unit_test(test_optimize_cache),
        cmocka_unit_test(test_optimize_cache_names_at_most_four_nodes),
        cmocka_unit_test(test_optimize_model_downgrade),
        cmocka_unit_test(test_optimize_batch_operations),
        cmocka_unit_test(test_optimize_reduce_context),
        cmocka_unit_test(test_optimize_restructure_dag),
        cmocka_unit_test(test_optimize_sorted_by_priority_then_type),
        cmocka_unit_test(test_optimize_empty_and_zero_runs),
    };
    return cmocka_run_group_tests(tests, setup_pricing, teardown_pricing);
}
