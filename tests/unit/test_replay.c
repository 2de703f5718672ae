/*
 * test_replay.c - the what-if replay (processor/replay.c, replay_apply.c,
 * replay_change.c) on hand-built DAGs whose answers are worked out in the
 * comments: each change alone, their composition (in any order), ties,
 * groups, model re-pricing to the pico-dollar, cache with overlapping
 * calls, the errors, the change parser; and a property test over random
 * DAGs (nothing changed reproduces the run; no-queue with unlimited
 * workers gives the longest path; with one worker the sum of executions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pricing.h"
#include "replay.h"
#include "replay_fixture.h"

static dp_pricing *pricing;

static int setup(void **state)
{
    (void)state;
    char err[256];
    pricing = dp_pricing_create_empty();
    return pricing == NULL || dp_pricing_load_json(pricing, rf_pricing_json,
                                                   "test", err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    dp_pricing_destroy(pricing);
    return 0;
}

/*
 * The diamond (ms): a [0,10); b [12,32) and c [11,16) after a (queue 2 and
 * 1); d [40,45) after b and c (ready 32, queue 8); wall 45.
 */
static const rf_node diamond[] = {
    {"a", 0, 10, NULL, -1, false},
    {"c", 11, 16, "a", -1, false},
    {"b", 12, 32, "a", -1, false},
    {"d", 40, 45, "b,c", -1, false},
};
enum { A, C, B, D };

static dp_profile *diamond_profile(const rf_call *calls, size_t nc)
{
    return rf_build(diamond, 4, calls, nc, 45, pricing);
}

/* Parses specs, replays, returns 0 or the error code (message in err). */
static int replay(dp_replay_ctx *ctx, const char *const *specs, size_t n,
                  dp_replay *out, char *err, size_t len)
{
    dp_change ch[16];
    memset(ch, 0, sizeof ch);
    for (size_t i = 0; i < n; i++)
        if (dp_change_parse(specs[i], &ch[i], err, len))
            fail_msg("parse %s: %s", specs[i], err);
    int rc = dp_replay_run(ctx, ch, n, out, err, len);
    for (size_t i = 0; i < n; i++)
        dp_change_fini(&ch[i]);
    return rc;
}

static void replay_ok(dp_replay_ctx *ctx, const char *const *specs, size_t n,
                      dp_replay *out)
{
    char err[512];
    int rc = replay(ctx, specs, n, out, err, sizeof err);
    if (rc)
        fail_msg("replay: %s", err);
}

static void expect_node(const dp_replay *r, size_t k, int64_t s, int64_t e)
{
    if (r->nodes[k].start_ns != RF_MS(s) || r->nodes[k].end_ns != RF_MS(e))
        fail_msg("node %zu: [%lld, %lld) ns, want [%lld, %lld) ms", k,
                 (long long)r->nodes[k].start_ns, (long long)r->nodes[k].end_ns,
                 (long long)s, (long long)e);
}

static void expect_path(const dp_replay *r, const size_t *want, size_t n)
{
    assert_int_equal(r->n_critical_path, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->critical_path[i], want[i]);
}

static void test_replay_unchanged_is_the_run(void **state)
{
    (void)state;
    dp_profile *p = diamond_profile(NULL, 0);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    replay_ok(ctx, NULL, 0, &r);
    expect_node(&r, A, 0, 10);
    expect_node(&r, C, 11, 16);
    expect_node(&r, B, 12, 32);
    expect_node(&r, D, 40, 45);
    assert_int_equal(r.wall_ns, RF_MS(45));
    const size_t cp[] = {A, B, D};
    expect_path(&r, cp, 3);
    assert_int_equal(r.critical_path_ns, RF_MS(35));
    assert_int_equal(r.sum_execution_ns, RF_MS(40));
    assert_int_equal(r.peak_concurrency, 2);
    dp_replay_fini(&r);
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/* no-queue: a 0-10, b 10-30, c 10-15, d 30-35: the critical path back to
 * back, wall 35. workers=1 with no-queue: c before b (same ready time,
 * c started first), so a 0-10, c 10-15, b 15-35, d 35-40 = the sum of
 * executions. workers=1 keeping queue delays: c 11-16, b max(12, 16)-36,
 * d 36 + 8 = 44-49. */
static void test_replay_workers_and_no_queue(void **state)
{
    (void)state;
    dp_profile *p = diamond_profile(NULL, 0);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    const char *nq[] = {"no-queue"};
    replay_ok(ctx, nq, 1, &r);
    expect_node(&r, A, 0, 10);
    expect_node(&r, B, 10, 30);
    expect_node(&r, C, 10, 15);
    expect_node(&r, D, 30, 35);
    assert_int_equal(r.wall_ns, RF_MS(35));
    dp_replay_fini(&r);

    const char *one_nq[] = {"workers=1", "no-queue"};
    replay_ok(ctx, one_nq, 2, &r);
    expect_node(&r, C, 10, 15);
    expect_node(&r, B, 15, 35);
    expect_node(&r, D, 35, 40);
    assert_int_equal(r.wall_ns, RF_MS(40));
    assert_int_equal(r.wall_ns, r.sum_execution_ns);
    assert_int_equal(r.peak_concurrency, 1);
    dp_replay_fini(&r);

    const char *one[] = {"workers=1"};
    replay_ok(ctx, one, 1, &r);
    expect_node(&r, C, 11, 16);
    expect_node(&r, B, 16, 36);
    expect_node(&r, D, 44, 49);
    assert_int_equal(r.wall_ns, RF_MS(49));
    dp_replay_fini(&r);

    /* Two workers are as good as unlimited here; the last workers= wins. */
    const char *two[] = {"workers=1", "workers=2"};
    replay_ok(ctx, two, 2, &r);
    assert_int_equal(r.wall_ns, RF_MS(45));
    dp_replay_fini(&r);
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/* Ties: x and y both ready at 0 and observed starting at 0: with one
 * worker x goes first by nodeId, wherever it sits in the profile. */
static void test_replay_ties_by_start_then_id(void **state)
{
    (void)state;
    const rf_node n[] = {
        {"y", 0, 5, NULL, -1, false},
        {"x", 0, 7, NULL, -1, false},
        {"w", 1, 3, NULL, -1, false},
    };
    dp_profile *p = rf_build(n, 3, NULL, 0, 7, pricing);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    const char *one[] = {"workers=1"};
    replay_ok(ctx, one, 1, &r);
    expect_node(&r, 1, 0, 7);  /* x */
    expect_node(&r, 0, 7, 12); /* y: eligible 0, before w (eligible 1) */
    expect_node(&r, 2, 12, 14);
    dp_replay_fini(&r);
    /* Deterministic: the same answer every time. */
    for (int i = 0; i < 3; i++) {
        replay_ok(ctx, one, 1, &r);
        expect_node(&r, 1, 0, 7);
        dp_replay_fini(&r);
    }
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/* drop-dep b->d: d waits for c only: ready 16, + queue 8 = 24-29; b now
 * ends last (32), so the critical path is a > b and the wall 32. */
static void test_replay_drop_dep_moves_the_critical_path(void **state)
{
    (void)state;
    dp_profile *p = diamond_profile(NULL, 0);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    const char *dd[] = {"drop-dep b->d"};
    replay_ok(ctx, dd, 1, &r);
    expect_node(&r, D, 24, 29);
    expect_node(&r, B, 12, 32);
    assert_int_equal(r.wall_ns, RF_MS(32));
    const size_t cp[] = {A, B};
    expect_path(&r, cp, 2);
    dp_replay_fini(&r);

    char err[512];
    const char *bad[] = {"drop-dep c->b"};
    assert_int_equal(replay(ctx, bad, 1, &r, err, sizeof err), DP_ENOENT);
    assert_non_null(strstr(err, "b does not depend on c"));
    assert_non_null(strstr(err, "it depends on: a"));
    const char *unknown[] = {"drop-dep a->zz"};
    assert_int_equal(replay(ctx, unknown, 1, &r, err, sizeof err), DP_ENOENT);
    assert_non_null(strstr(err, "unknown node 'zz'"));
    assert_non_null(strstr(err, "nodes: a, c, b, d"));
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/* speedup b=2: b runs 10 ms: 12-22; d ready max(22, 16) = 22, + 8 =
 * 30-35. speedup b=0.5 (slower): 12-52, d 60-65. */
static void test_replay_speedup(void **state)
{
    (void)state;
    dp_profile *p = diamond_profile(NULL, 0);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    const char *sp[] = {"speedup b=2"};
    replay_ok(ctx, sp, 1, &r);
    expect_node(&r, B, 12, 22);
    expect_node(&r, D, 30, 35);
    assert_int_equal(r.wall_ns, RF_MS(35));
    assert_int_equal(r.critical_path_ns, RF_MS(25));
    dp_replay_fini(&r);
    const char *slow[] = {"speedup b=0.5x"};
    replay_ok(ctx, slow, 1, &r);
    expect_node(&r, B, 12, 52);
    expect_node(&r, D, 60, 65);
    dp_replay_fini(&r);
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/* Composition: workers=1, speedup b=2, drop-dep c->d, no-queue, in every
 * order: a 0-10; b and c ready 10, c first (started first): c 10-15, b
 * 15-25; d waits for b only: 25-30. */
static void test_replay_changes_compose_in_any_order(void **state)
{
    (void)state;
    dp_profile *p = diamond_profile(NULL, 0);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    const char *specs[] = {"workers=1", "speedup b=2", "drop-dep c->d",
                           "no-queue"};
    size_t perm[4] = {0, 1, 2, 3};
    for (int round = 0; round < 24; round++) {
        /* next permutation (lexicographic) */
        const char *order[4];
        for (int i = 0; i < 4; i++)
            order[i] = specs[perm[i]];
        dp_replay r;
        replay_ok(ctx, order, 4, &r);
        expect_node(&r, A, 0, 10);
        expect_node(&r, C, 10, 15);
        expect_node(&r, B, 15, 25);
        expect_node(&r, D, 25, 30);
        assert_int_equal(r.wall_ns, RF_MS(30));
        dp_replay_fini(&r);
        int i = 2;
        while (i >= 0 && perm[i] > perm[i + 1])
            i--;
        if (i < 0)
            break;
        int j = 3;
        while (perm[j] < perm[i])
            j--;
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        for (int lo = i + 1, hi = 3; lo < hi; lo++, hi--)
            t = perm[lo], perm[lo] = perm[hi], perm[hi] = t;
    }
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/*
 * Model swap: b's call on "big" has input 1000 (200 cache read), output
 * 500 (100 reasoning): uncached 800 x 10 + plain output 400 x 20 + 100
 * reasoning x 40 + 200 cache read x 1 = 20,200 micro-USD = $0.0202. On
 * "small": 800 x 1 + 400 x 2 + 100 x 4 + 200 x 0.1 = 2,020 micro-USD. The
 * call [14, 30) keeps its time (latency assumed unchanged) unless the
 * throughput hook says small is 2x faster: then it takes 8 ms and b 12.
 */
static const rf_call swap_calls[] = {
    {B, DP_CALL_LLM, "big", 14, 30, 1000, 500, 200, 0, 100, 1},
    {C, DP_CALL_LLM, "small", 11, 15, 100, 10, 0, 0, 0, 2},
};

static void test_replay_model_swap_reprices_exactly(void **state)
{
    (void)state;
    dp_profile *p = diamond_profile(swap_calls, 2);
    assert_int_equal(p->calls[0].cost_pusd, 20200000000LL);
    int64_t c_cost = p->calls[1].cost_pusd; /* 100 x 1 + 10 x 2 = 120 uUSD */
    assert_int_equal(c_cost, 120000000LL);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    const char *sw[] = {"model big=small"};
    replay_ok(ctx, sw, 1, &r);
    assert_int_equal(r.cost_pusd, 2020000000LL + c_cost);
    assert_int_equal(r.nodes[B].cost_pusd, 2020000000LL);
    assert_int_equal(r.swap_calls, 1);
    assert_int_equal(r.swap_cost_before_pusd, 20200000000LL);
    assert_int_equal(r.swap_cost_after_pusd, 2020000000LL);
    assert_int_equal(r.tokens.input, p->tokens.input); /* tokens kept */
    assert_int_equal(r.tokens.reasoning, 100);
    expect_node(&r, B, 12, 32); /* time kept */
    assert_int_equal(r.wall_ns, RF_MS(45));
    assert_int_equal(r.n_notes, 1);
    assert_non_null(strstr(r.notes[0], "latency assumed unchanged"));
    dp_replay_fini(&r);

    /* The throughput hook: small writes output 2x as fast. */
    dp_change ch = {
        .kind = DP_CHANGE_MODEL, .a = "big", .b = "small", .factor = 2.0};
    char err[256];
    assert_int_equal(dp_replay_run(ctx, &ch, 1, &r, err, sizeof err), 0);
    expect_node(&r, B, 12, 24);
    assert_int_equal(r.n_notes, 1);
    assert_non_null(strstr(r.notes[0], "scaled by the given throughput"));
    dp_replay_fini(&r);

    /* Errors: a model no call uses, a substitute without a price. */
    const char *none[] = {"model huge=small"};
    assert_int_equal(replay(ctx, none, 1, &r, err, sizeof err), DP_ENOENT);
    assert_non_null(strstr(err, "no LLM call in this run uses 'huge'"));
    assert_non_null(strstr(err, "models: big, small"));
    const char *unpriced[] = {"model big=mystery"};
    assert_int_equal(replay(ctx, unpriced, 1, &r, err, sizeof err), DP_ENOENT);
    assert_non_null(strstr(err, "'mystery' has no price"));
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/*
 * cache read: key 7 first in c [12,14) (c starts at 11 here), then in b
 * [13,17): a repeat; key 9 in b [20,22) then b [24,26): a repeat. b also
 * calls write [15,19) (key 11, kept), overlapping the first repeat, so
 * that repeat saves only [13,15). b: 20 - 2 - 2 = 16 ms: 12-28; d ready
 * 28 + 8 = 36-41. An LLM repeat (same prompt key) on small in d: its
 * tokens and cost go too.
 */
static const rf_call cache_calls[] = {
    {C, DP_CALL_TOOL, "read", 12, 14, 0, 0, 0, 0, 0, 7},
    {B, DP_CALL_TOOL, "read", 13, 17, 0, 0, 0, 0, 0, 7},
    {B, DP_CALL_TOOL, "write", 15, 19, 0, 0, 0, 0, 0, 11},
    {B, DP_CALL_TOOL, "read", 20, 22, 0, 0, 0, 0, 0, 9},
    {B, DP_CALL_TOOL, "read", 24, 26, 0, 0, 0, 0, 0, 9},
    {D, DP_CALL_LLM, "small", 40, 42, 1000, 100, 0, 0, 0, 5},
    {D, DP_CALL_LLM, "small", 42, 44, 1000, 100, 0, 0, 0, 5},
};

static void test_replay_cache(void **state)
{
    (void)state;
    dp_profile *p = diamond_profile(cache_calls, 7);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    const char *ch[] = {"cache read"};
    replay_ok(ctx, ch, 1, &r);
    expect_node(&r, B, 12, 28);
    expect_node(&r, C, 11, 16);
    expect_node(&r, D, 36, 41);
    assert_int_equal(r.wall_ns, RF_MS(41));
    assert_int_equal(r.cost_pusd, p->cost_pusd); /* tools cost nothing */
    dp_replay_fini(&r);

    const char *llm[] = {"cache small"};
    replay_ok(ctx, llm, 1, &r);
    expect_node(&r, D, 40, 43); /* the second 2 ms call is free */
    assert_int_equal(r.cached_calls, 1);
    assert_int_equal(r.cached_tokens, 1100);
    assert_int_equal(r.tokens.input, p->tokens.input - 1000);
    assert_int_equal(r.cost_pusd, p->cost_pusd - 1200000000LL);
    assert_int_equal(r.nodes[D].tokens, 1100);
    dp_replay_fini(&r);

    char err[512];
    const char *bad[] = {"cache fetch"};
    assert_int_equal(replay(ctx, bad, 1, &r, err, sizeof err), DP_ENOENT);
    assert_non_null(strstr(err, "no tool or model named 'fetch'"));
    assert_non_null(strstr(err, "tools: read, write"));
    const char *once[] = {"cache write"};
    replay_ok(ctx, once, 1, &r);
    assert_int_equal(r.wall_ns, RF_MS(45));
    assert_int_equal(r.n_notes, 1);
    assert_non_null(strstr(r.notes[0], "nothing changes"));
    dp_replay_fini(&r);
    dp_replay_destroy(ctx);

    /* A profile file has no tool arguments: cache is refused. */
    ctx = dp_replay_create(p, pricing, true);
    assert_int_equal(replay(ctx, ch, 1, &r, err, sizeof err), DP_EPARSE);
    assert_non_null(strstr(err, "needs a trace file"));
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

/*
 * Groups: a [0,10); G [10,30) after a holds g1 [10,20) and g2 [20,30)
 * after g1; z [31,40) after G, i.e. after G's last leaf g2 (ready 30,
 * queue 1). speedup G=2 speeds both leaves: g1 10-15, g2 15-20, z 21-30.
 * drop-dep g1->g2: g2 starts with its group at 10; both are G's last
 * leaves now; z ready 20, 21-30.
 */
static void test_replay_groups(void **state)
{
    (void)state;
    const rf_node n[] = {
        {"a", 0, 10, NULL, -1, false}, {"G", 10, 30, "a", -1, true},
        {"g1", 10, 20, "a", 1, false}, {"g2", 20, 30, "g1", 1, false},
        {"z", 31, 40, "G", -1, false},
    };
    dp_profile *p = rf_build(n, 5, NULL, 0, 40, pricing);
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
    dp_replay r;
    replay_ok(ctx, NULL, 0, &r);
    for (size_t k = 0; k < 5; k++)
        expect_node(&r, k, n[k].start_ms, n[k].end_ms);
    const size_t cp[] = {0, 2, 3, 4};
    expect_path(&r, cp, 4);
    dp_replay_fini(&r);

    const char *sp[] = {"speedup G=2"};
    replay_ok(ctx, sp, 1, &r);
    expect_node(&r, 2, 10, 15);
    expect_node(&r, 3, 15, 20);
    expect_node(&r, 1, 10, 20);
    expect_node(&r, 4, 21, 30);
    dp_replay_fini(&r);

    const char *dd[] = {"drop-dep g1->g2"};
    replay_ok(ctx, dd, 1, &r);
    expect_node(&r, 3, 10, 20);
    expect_node(&r, 4, 21, 30);
    dp_replay_fini(&r);
    dp_replay_destroy(ctx);
    dp_profile_free(p);
}

static void test_replay_change_parser(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int kind;
        const char *a, *b;
        double f;
        unsigned workers;
    } good[] = {
        {"workers=4", DP_CHANGE_WORKERS, NULL, NULL, 0, 4},
        {"workers 16", DP_CHANGE_WORKERS, NULL, NULL, 0, 16},
        {"model claude-opus-4-1=claude-sonnet-4-5", DP_CHANGE_MODEL,
         "claude-opus-4-1", "claude-sonnet-4-5", 0, 0},
        {"model=a = b", DP_CHANGE_MODEL, "a", "b", 0, 0},
        {"cache read_file", DP_CHANGE_CACHE, "read_file", NULL, 0, 0},
        {"drop-dep check-security->aggregate-results", DP_CHANGE_DROP_DEP,
         "check-security", "aggregate-results", 0, 0},
        {"speedup fetch-code=1.5x", DP_CHANGE_SPEEDUP, "fetch-code", NULL, 1.5,
         0},
        {"no-queue", DP_CHANGE_NO_QUEUE, NULL, NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        dp_change c;
        char err[256];
        if (dp_change_parse(good[i].spec, &c, err, sizeof err))
            fail_msg("%s: %s", good[i].spec, err);
        assert_int_equal(c.kind, good[i].kind);
        if (good[i].a)
            assert_string_equal(c.a, good[i].a);
        if (good[i].b)
            assert_string_equal(c.b, good[i].b);
        if (good[i].f > 0)
            assert_true(c.factor == good[i].f);
        assert_int_equal(c.workers, good[i].workers);
        char text[256], again[256];
        dp_change_format(&c, text, sizeof text);
        dp_change d;
        assert_int_equal(dp_change_parse(text, &d, err, sizeof err), 0);
        assert_string_equal(dp_change_format(&d, again, sizeof again), text);
        dp_change_fini(&d);
        dp_change_fini(&c);
    }
    static const struct {
        const char *spec, *why;
    } bad[] = {
        {"workers=0", "N from 1"},
        {"workers=two", "N from 1"},
        {"workers=3x", "N from 1"},
        {"model a", "two model names"},
        {"model a=a", "two different"},
        {"model =b", "two model names"},
        {"cache", "needs a tool"},
        {"drop-dep a-b", "two node ids"},
        {"drop-dep ->b", "two node ids"},
        {"speedup b", "factor above 0"},
        {"speedup b=0", "factor above 0"},
        {"speedup b=-2", "factor above 0"},
        {"speedup b=nan", "factor above 0"},
        {"speedup =2", "factor above 0"},
        {"no-queue please", "no argument"},
        {"turbo", "unknown change"},
        {"", "unknown change"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dp_change c;
        char err[256] = "";
        assert_int_equal(dp_change_parse(bad[i].spec, &c, err, sizeof err),
                         DP_EINVAL);
        if (!strstr(err, bad[i].why))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].spec, err,
                     bad[i].why);
        dp_change_fini(&c);
    }
}

/* ---- property test over random DAGs ------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_replay_random_dags(void **state)
{
    (void)state;
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + next_rand() % 24;
        rf_node nodes[24];
        char ids[24][8], deps[24][128];
        int64_t end[24], exec[24], longest[24];
        int64_t sum = 0, wall = 0, best = 0;
        for (size_t i = 0; i < n; i++) {
            /* ids sort like their index, so output order is kept */
            snprintf(ids[i], sizeof ids[i], "n%02zu", i);
            deps[i][0] = '\0';
            int64_t ready = 0, lp = 0;
            for (size_t j = 0; j < i; j++)
                if (next_rand() % 4 == 0) {
                    size_t len = strlen(deps[i]);
                    snprintf(deps[i] + len, sizeof deps[i] - len, "%s%s",
                             len ? "," : "", ids[j]);
                    if (end[j] > ready)
                        ready = end[j];
                    if (longest[j] > lp)
                        lp = longest[j];
                }
            exec[i] = (int64_t)(next_rand() % 20);
            /* starts are non-decreasing so the order is the output's */
            int64_t start = ready + (int64_t)(next_rand() % 5);
            if (i > 0 && start < nodes[i - 1].start_ms)
                start = nodes[i - 1].start_ms;
            end[i] = start + exec[i];
            longest[i] = lp + exec[i];
            if (longest[i] > best)
                best = longest[i];
            sum += exec[i];
            if (end[i] > wall)
                wall = end[i];
            nodes[i] = (rf_node){ids[i], start, end[i], deps[i], -1, false};
        }
        dp_profile *p = rf_build(nodes, n, NULL, 0, wall, pricing);
        dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
        dp_replay r;
        replay_ok(ctx, NULL, 0, &r);
        for (size_t k = 0; k < n; k++)
            expect_node(&r, k, nodes[k].start_ms, nodes[k].end_ms);
        assert_int_equal(r.wall_ns, RF_MS(wall));
        dp_replay_fini(&r);

        const char *nq[] = {"no-queue"};
        replay_ok(ctx, nq, 1, &r);
        assert_int_equal(r.wall_ns, RF_MS(best)); /* the longest path */
        assert_true(r.wall_ns <= RF_MS(sum));
        assert_true(r.wall_ns <= RF_MS(wall));
        dp_replay_fini(&r);

        const char *one[] = {"no-queue", "workers=1"};
        replay_ok(ctx, one, 2, &r);
        assert_int_equal(r.wall_ns, RF_MS(sum));
        dp_replay_fini(&r);

        char w[32];
        snprintf(w, sizeof w, "workers=%zu", 1 + (size_t)(next_rand() % 4));
        const char *some[] = {"no-queue", w};
        replay_ok(ctx, some, 2, &r);
        assert_true(r.wall_ns >= RF_MS(best));
        assert_true(r.wall_ns <= RF_MS(sum));
        dp_replay_fini(&r);
        dp_replay_destroy(ctx);
        dp_profile_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_unchanged_is_the_run),
        cmocka_unit_test(test_replay_workers_and_no_queue),
        cmocka_unit_test(test_replay_ties_by_start_then_id),
        cmocka_unit_test(test_replay_drop_dep_moves_the_critical_path),
        cmocka_unit_test(test_replay_speedup),
        cmocka_unit_test(test_replay_changes_compose_in_any_order),
        cmocka_unit_test(test_replay_model_swap_reprices_exactly),
        cmocka_unit_test(test_replay_cache),
        cmocka_unit_test(test_replay_groups),
        cmocka_unit_test(test_replay_change_parser),
        cmocka_unit_test(test_replay_random_dags),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
