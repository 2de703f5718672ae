/*
 * test_cost.c - dp__cost_apply (processor/cost.c) on profiles built by
 * hand: per-call cost and priced flag, node sums, the run total (calls
 * under no node included), cost_by_model and unpriced_models (sorted, with
 * "unknown" for a nameless call), carried costs kept, effective dates
 * taken from each call, and a NULL table. Costs are hand-computed pico-USD
 * from the default table (1 USD per 1M tokens = 1,000,000 pico-USD/token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "pricing.h"

/* 2025-11-15T12:00:00Z and 2025-05-01T00:00:00Z, 2025-07-01T00:00:00Z. */
#define NOV_2025 1763208000000000000ULL
#define MAY_2025 1746057600000000000ULL
#define JUL_2025 1751328000000000000ULL

#define SONNET45 "claude-sonnet-4-5-20250929"

struct fixture {
    dp_profile p;
    dp_pricing *pricing;
};

static void prof_init(dp_profile *p, size_t n_nodes, size_t n_calls)
{
    memset(p, 0, sizeof(*p));
    p->arena = dp_arena_create(4096);
    assert_non_null(p->arena);
    p->n_nodes = n_nodes;
    p->n_calls = n_calls;
    if (n_nodes)
        p->nodes = dp_arena_alloc(p->arena, n_nodes * sizeof(dp_node));
    if (n_calls)
        p->calls = dp_arena_alloc(p->arena, n_calls * sizeof(dp_call));
}

static dp_call *llm(dp_profile *p, size_t i, long node, const char *model,
                    int64_t in, int64_t out, uint64_t at_ns)
{
    dp_call *c = &p->calls[i];
    c->kind = DP_CALL_LLM;
    c->node = node;
    c->name = model;
    c->tokens.input = in;
    c->tokens.output = out;
    c->has_tokens = true;
    c->success = true;
    c->span_start_unix_ns = at_ns;
    c->cost_pusd = 777; /* garbage the cost step must overwrite */
    return c;
}

static int64_t named(const dp_named_i64 *arr, size_t n, size_t i,
                     const char *name)
{
    assert_true(i < n);
    assert_string_equal(arr[i].name, name);
    return arr[i].value;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    f.pricing = dp_pricing_create_default();
    assert_non_null(f.pricing);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dp_arena_destroy(f->p.arena);
    dp_pricing_destroy(f->pricing);
    return 0;
}

/*
 * Two nodes, ten calls:
 *   0 a  sonnet-4.5   10000/2000                  3e10 + 3e10   = 6e10
 *   1 a  haiku        10000/100, read 6000,       1e9 + 6e8 + 3.75e9 + 5e8
 *                     write 3000                                = 5.85e9
 *   2 a  tool "search"                            not priced
 *   3 b  mystery-model 700/300                    unpriced, 1000 tokens
 *   4 b  (no model)   50/25                       unpriced "unknown", 75
 *   5 b  custom-llm   carried 1,234,567           kept
 *   6 -  sonnet-4.5   1000/100 (under no node)    3e9 + 1.5e9   = 4.5e9
 *   7 b  mystery-model 10/5                       unpriced, +15
 *   8 a  sonnet-4.5   carried 42, 999999/999999   kept, not re-priced
 *   9 b  claude-opus-4-9 100/10                   unpriced, 110
 */
static void build_run(dp_profile *p)
{
    prof_init(p, 2, 10);
    p->nodes[0].id = "a";
    p->nodes[1].id = "b";
    p->nodes[0].cost_pusd = 5; /* garbage */
    p->nodes[1].cost_pusd = 5;
    llm(p, 0, 0, SONNET45, 10000, 2000, NOV_2025);
    dp_call *c = llm(p, 1, 0, "haiku", 10000, 100, NOV_2025);
    c->tokens.cache_read = 6000;
    c->tokens.cache_write = 3000;
    c = &p->calls[2];
    c->kind = DP_CALL_TOOL;
    c->node = 0;
    c->name = "search";
    c->cost_pusd = 0;
    llm(p, 3, 1, "mystery-model", 700, 300, NOV_2025);
    llm(p, 4, 1, "", 50, 25, NOV_2025);
    c = llm(p, 5, 1, "custom-llm", 10, 10, NOV_2025);
    c->cost_carried = true;
    c->cost_pusd = 1234567;
    llm(p, 6, -1, SONNET45, 1000, 100, NOV_2025);
    llm(p, 7, 1, "mystery-model", 10, 5, NOV_2025);
    c = llm(p, 8, 0, SONNET45, 999999, 999999, NOV_2025);
    c->cost_carried = true;
    c->cost_pusd = 42;
    llm(p, 9, 1, "claude-opus-4-9", 100, 10, NOV_2025);
}

static void test_cost_apply_sums(void **state)
{
    struct fixture *f = *state;
    dp_profile *p = &f->p;
    build_run(p);
    dp__cost_apply(p, f->pricing);

    const int64_t want[10] = {60000000000LL, 5850000000LL, 0, 0,  0,
                              1234567,       4500000000LL, 0, 42, 0};
    const bool priced[10] = {true, true, false, false, false,
                             true, true, false, true,  false};
    for (int i = 0; i < 10; i++) {
        if (p->calls[i].cost_pusd != want[i] || p->calls[i].priced != priced[i])
            fail_msg("call %d: cost %lld priced %d", i,
                     (long long)p->calls[i].cost_pusd, p->calls[i].priced);
    }

    /* a: 6e10 + 5.85e9 + 42; b: the carried 1,234,567 only. */
    assert_int_equal(p->nodes[0].cost_pusd, 65850000042LL);
    assert_int_equal(p->nodes[1].cost_pusd, 1234567);
    /* run: both nodes + the 4.5e9 call under no node */
    assert_int_equal(p->cost_pusd, 65850000042LL + 1234567 + 4500000000LL);

    assert_int_equal(p->n_cost_by_model, 3);
    assert_int_equal(named(p->cost_by_model, 3, 0, SONNET45),
                     60000000000LL + 4500000000LL + 42);
    assert_int_equal(named(p->cost_by_model, 3, 1, "custom-llm"), 1234567);
    assert_int_equal(named(p->cost_by_model, 3, 2, "haiku"), 5850000000LL);

    assert_int_equal(p->n_unpriced_models, 3);
    assert_int_equal(named(p->unpriced_models, 3, 0, "claude-opus-4-9"), 110);
    assert_int_equal(named(p->unpriced_models, 3, 1, "mystery-model"), 1015);
    assert_int_equal(named(p->unpriced_models, 3, 2, "unknown"), 75);

    /* The sums agree with each other. */
    int64_t by_model = 0;
    for (size_t i = 0; i < p->n_cost_by_model; i++)
        by_model += p->cost_by_model[i].value;
    assert_int_equal(by_model, p->cost_pusd);
}

static void test_cost_apply_is_idempotent(void **state)
{
    struct fixture *f = *state;
    dp_profile *p = &f->p;
    build_run(p);
    dp__cost_apply(p, f->pricing);
    int64_t total = p->cost_pusd;
    dp__cost_apply(p, f->pricing);
    assert_int_equal(p->cost_pusd, total);
    assert_int_equal(p->nodes[0].cost_pusd, 65850000042LL);
    assert_int_equal(p->n_unpriced_models, 3);
}

static void test_cost_apply_null_pricing(void **state)
{
    struct fixture *f = *state;
    dp_profile *p = &f->p;
    build_run(p);
    dp__cost_apply(p, NULL);
    /* Only the carried costs remain; every other LLM call is unpriced. */
    assert_int_equal(p->cost_pusd, 1234567 + 42);
    assert_int_equal(p->nodes[0].cost_pusd, 42);
    assert_int_equal(p->nodes[1].cost_pusd, 1234567);
    assert_false(p->calls[0].priced);
    assert_int_equal(p->calls[0].cost_pusd, 0);
    assert_true(p->calls[8].priced);
    assert_int_equal(p->n_cost_by_model, 2);
    assert_int_equal(named(p->cost_by_model, 2, 0, SONNET45), 42);
    assert_int_equal(named(p->cost_by_model, 2, 1, "custom-llm"), 1234567);
    /* sonnet-4.5: 12000 + 1100; haiku 10100; opus-4-9 110; mystery 1015;
     * unknown 75 */
    assert_int_equal(p->n_unpriced_models, 5);
    assert_int_equal(named(p->unpriced_models, 5, 0, "claude-opus-4-9"), 110);
    assert_int_equal(named(p->unpriced_models, 5, 1, SONNET45), 13100);
    assert_int_equal(named(p->unpriced_models, 5, 2, "haiku"), 10100);
    assert_int_equal(named(p->unpriced_models, 5, 3, "mystery-model"), 1015);
    assert_int_equal(named(p->unpriced_models, 5, 4, "unknown"), 75);
}

static void test_cost_apply_effective_date_per_call(void **state)
{
    struct fixture *f = *state;
    dp_profile *p = &f->p;
    prof_init(p, 1, 3);
    p->nodes[0].id = "n";
    /* o3 before and after the 2025-06-10 cut: 1000 x 10 + 1000 x 40 and
     * 1000 x 2 + 1000 x 8; with reasoning 400 of the 1000 output priced as
     * output. Tier: Gemini 2.5 Pro above 200k input, 200001 x 2.50. */
    llm(p, 0, 0, "openai/o3", 1000, 1000, MAY_2025);
    dp_call *c = llm(p, 1, 0, "o3", 1000, 1000, JUL_2025);
    c->tokens.reasoning = 400;
    llm(p, 2, 0, "models/gemini-2.5-pro", 200001, 0, NOV_2025);
    dp__cost_apply(p, f->pricing);
    assert_int_equal(p->calls[0].cost_pusd, 50000000000LL);
    assert_int_equal(p->calls[1].cost_pusd, 10000000000LL);
    assert_int_equal(p->calls[2].cost_pusd, 500002500000LL);
    assert_int_equal(p->nodes[0].cost_pusd,
                     50000000000LL + 10000000000LL + 500002500000LL);
    assert_int_equal(p->cost_pusd, p->nodes[0].cost_pusd);
    /* One entry per model name as it arrived. */
    assert_int_equal(p->n_cost_by_model, 3);
    assert_int_equal(named(p->cost_by_model, 3, 0, "models/gemini-2.5-pro"),
                     500002500000LL);
    assert_int_equal(named(p->cost_by_model, 3, 1, "o3"), 10000000000LL);
    assert_int_equal(named(p->cost_by_model, 3, 2, "openai/o3"), 50000000000LL);
    assert_int_equal(p->n_unpriced_models, 0);
    assert_null(p->unpriced_models);
}

static void test_cost_apply_empty_profile(void **state)
{
    struct fixture *f = *state;
    dp_profile *p = &f->p;
    prof_init(p, 0, 0);
    p->cost_pusd = 99;
    dp__cost_apply(p, f->pricing);
    assert_int_equal(p->cost_pusd, 0);
    assert_int_equal(p->n_cost_by_model, 0);
    assert_null(p->cost_by_model);
    assert_int_equal(p->n_unpriced_models, 0);
    assert_null(p->unpriced_models);
    dp__cost_apply(NULL, f->pricing); /* no crash */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cost_apply_sums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cost_apply_is_idempotent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cost_apply_null_pricing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cost_apply_effective_date_per_call,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cost_apply_empty_profile, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
