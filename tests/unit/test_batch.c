/*
 * test_batch.c - pipeline/batch.c: what a batch copies, its byte accounting
 * (the figure processor.queue_bytes counts), reset and the reuse pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "trace.h" /* the record, to check what it kept */

/* A span with a name, one wanted attribute (dag.id), one ignored one and
 * a link. */
static dp_span_in make_span(int k, const char *name, dp_attr attrs[2],
                            dp_link_in *link)
{
    dp_span_in s;
    memset(&s, 0, sizeof(s));
    s.trace_id[0] = (uint8_t)k;
    s.span_id[0] = (uint8_t)(k + 1);
    s.name = name;
    s.name_len = strlen(name);
    s.start_ns = 1;
    s.end_ns = 2;
    memset(attrs, 0, 2 * sizeof(*attrs));
    attrs[0].key = "dag.id";
    attrs[0].key_len = 6;
    attrs[0].value.type = DP_VAL_STR;
    attrs[0].value.u.str.ptr = "review";
    attrs[0].value.u.str.len = 6;
    attrs[1].key = "http.user_agent";
    attrs[1].key_len = 15;
    attrs[1].value.type = DP_VAL_STR;
    attrs[1].value.u.str.ptr = "curl";
    attrs[1].value.u.str.len = 4;
    s.attrs = attrs;
    s.n_attrs = 2;
    memset(link, 0, sizeof(*link));
    link->trace_id[0] = (uint8_t)k; /* same trace */
    link->span_id[0] = 9;
    s.links = link;
    s.n_links = 1;
    return s;
}

/* Bytes by hand: struct + record array capacity + every arena block (header
 * and size) + the truncated list. */
static size_t bytes_by_hand(const dp_batch *b)
{
    size_t n = sizeof(*b) + b->cap * dp_batch_rec_size() +
               b->cap_truncated * sizeof(*b->truncated);
    for (const dp_arena_block *c = b->mem.head; c; c = c->next)
        n += sizeof(*c) + c->size;
    return n;
}

static void test_batch_copies_wanted_fields(void **state)
{
    (void)state;
    char name[] = "agent.plan";
    dp_attr attrs[2];
    dp_link_in link;
    dp_span_in in = make_span(1, name, attrs, &link);
    dp_batch *b = dp_batch_new();
    assert_non_null(b);
    assert_int_equal(dp_batch_push(b, &in), 0);
    name[0] = 'X'; /* the copy does not point into the input */
    assert_int_equal(b->n, 1);
    const dp_span_rec *r = dp_batch_rec(b, 0);
    assert_int_equal(dp_span_rec_trace_id(r)[0], 1);
    assert_string_equal(r->span.name, "agent.plan");
    assert_string_equal(r->span.dag_id, "review"); /* resolved */
    assert_true(r->span.flags & DP__SPAN_AGENTISH);
    assert_ptr_not_equal(r->span.links, &link);
    assert_int_equal(r->span.n_links, 1); /* same trace: kept */
    assert_int_equal(r->span.links[0].span_id[0], 9);
    /* The strings live in the batch's arena. */
    const dp_arena_block *c = b->mem.head;
    assert_non_null(c);
    assert_true((const char *)r->span.name >= (const char *)c->data &&
                (const char *)r->span.name < (const char *)c->data + c->used);
    /* A span that ends before it starts is not appended. */
    in.end_ns = 0;
    assert_int_equal(dp_batch_push(b, &in), DP_EBADSPAN);
    assert_int_equal(b->n, 1);
    dp_batch_free(b);
}

static void test_batch_bytes_count_every_allocation(void **state)
{
    (void)state;
    dp_attr attrs[2];
    dp_link_in link;
    dp_batch *b = dp_batch_new();
    assert_int_equal(dp_batch_bytes(b), sizeof(*b));
    /* 2,000 spans with 3 KiB names: past the first block, span array
     * grown several times, and one name larger than a block. */
    static char big[100 * 1024];
    memset(big, 'n', sizeof(big));
    for (int i = 0; i < 2000; i++) {
        dp_span_in in = make_span(i, "x", attrs, &link);
        in.name = big;
        in.name_len = i == 7 ? sizeof(big) : 3000;
        assert_int_equal(dp_batch_push(b, &in), 0);
        assert_int_equal(dp_batch_bytes(b), bytes_by_hand(b));
    }
    uint8_t id[16] = {1};
    for (int i = 0; i < 9; i++)
        assert_int_equal(dp_batch_note_truncated(b, id), 0);
    assert_int_equal(dp_batch_bytes(b), bytes_by_hand(b));
    assert_true(dp_batch_bytes(b) > 2000u * 3000u); /* the names */
    assert_true(dp_batch_bytes(b) < 2000u * 3000u * 2 + sizeof(big) * 2);

    /* Reset keeps at most keep_bytes of blocks; accounting follows. */
    dp_batch_reset(b, 128 * 1024);
    assert_int_equal(b->n, 0);
    assert_int_equal(b->n_truncated, 0);
    assert_int_equal(dp_batch_bytes(b), bytes_by_hand(b));
    size_t chunk_bytes = 0;
    for (const dp_arena_block *c = b->mem.head; c; c = c->next)
        chunk_bytes += sizeof(*c) + c->size;
    assert_true(chunk_bytes <= 128 * 1024);
    assert_true(b->cap == 0 || b->cap * dp_batch_rec_size() <= 128 * 1024);

    /* Refilled after reset: the kept block takes the span, so only the
     * (dropped, too large) span array is allocated again. */
    assert_non_null(b->mem.head);
    assert_int_equal(b->cap, 0);
    size_t before = dp_batch_bytes(b);
    dp_span_in in = make_span(3, "again", attrs, &link);
    assert_int_equal(dp_batch_push(b, &in), 0);
    assert_int_equal(dp_batch_bytes(b), before + 64 * dp_batch_rec_size());
    assert_int_equal(dp_batch_bytes(b), bytes_by_hand(b));
    assert_string_equal(dp_batch_rec(b, 0)->span.name, "again");
    dp_batch_free(b);
}

static void test_batch_reuse_allocates_nothing(void **state)
{
    (void)state;
    dp_attr attrs[2];
    dp_link_in link;
    dp_batch *b = dp_batch_new();
    for (int i = 0; i < 300; i++) {
        dp_span_in in = make_span(i, "agent.step", attrs, &link);
        assert_int_equal(dp_batch_push(b, &in), 0);
    }
    size_t full = dp_batch_bytes(b);
    dp_batch_reset(b, 1 << 20);
    assert_int_equal(dp_batch_bytes(b), full); /* all kept */
    for (int i = 0; i < 300; i++) {
        dp_span_in in = make_span(i, "agent.step", attrs, &link);
        assert_int_equal(dp_batch_push(b, &in), 0);
    }
    assert_int_equal(dp_batch_bytes(b), full); /* same request, no growth */
    dp_batch_free(b);
}

static void test_batch_pool_reuses_and_bounds(void **state)
{
    (void)state;
    dp_attr attrs[2];
    dp_link_in link;
    /* The bytes of one batch of 100 spans (a 64 KiB block and the record
     * array): the pool keeps two and a half of them. */
    dp_batch *probe = dp_batch_new();
    for (int i = 0; i < 100; i++) {
        dp_span_in in = make_span(i, "s", attrs, &link);
        assert_int_equal(dp_batch_push(probe, &in), 0);
    }
    size_t max = dp_batch_bytes(probe) * 5 / 2;
    dp_batch_free(probe);
    dp_batch_pool pool;
    dp_batch_pool_init(&pool, max);
    dp_batch *a = dp_batch_pool_get(&pool);
    dp_batch *b = dp_batch_pool_get(&pool);
    dp_batch *c = dp_batch_pool_get(&pool);
    assert_int_equal(pool.created, 3);
    for (int i = 0; i < 100; i++) {
        dp_span_in in = make_span(i, "s", attrs, &link);
        assert_int_equal(dp_batch_push(a, &in), 0);
        assert_int_equal(dp_batch_push(b, &in), 0);
        assert_int_equal(dp_batch_push(c, &in), 0);
    }
    size_t one = dp_batch_bytes(a); /* ~64 KiB block + record array */
    assert_true(one * 2 <= max && one * 3 > max);
    dp_batch_pool_put(&pool, a);
    dp_batch_pool_put(&pool, b);
    dp_batch_pool_put(&pool, c); /* past max_bytes: freed */
    assert_int_equal(pool.n, 2);
    assert_int_equal(dp_batch_pool_bytes(&pool), 2 * one);

    dp_batch *r = dp_batch_pool_get(&pool);
    assert_int_equal(pool.reused, 1);
    assert_int_equal(r->n, 0);
    assert_int_equal(dp_batch_bytes(r), one); /* warm memory came back */
    assert_int_equal(dp_batch_pool_bytes(&pool), one);
    dp_batch_pool_put(&pool, r);
    dp_batch_pool_put(&pool, NULL);

    assert_int_equal(dp_batch_pool_release(&pool), 2 * one);
    assert_int_equal(dp_batch_pool_bytes(&pool), 0);
    assert_int_equal(pool.n, 0);
    dp_batch *fresh = dp_batch_pool_get(&pool);
    assert_int_equal(pool.created, 4);
    dp_batch_pool_put(&pool, fresh);
    dp_batch_pool_fini(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_copies_wanted_fields),
        cmocka_unit_test(test_batch_bytes_count_every_allocation),
        cmocka_unit_test(test_batch_reuse_allocates_nothing),
        cmocka_unit_test(test_batch_pool_reuses_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
