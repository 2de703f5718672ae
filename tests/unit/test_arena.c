/*
 * test_arena.c - processor/arena.c, the one bump allocator: alignment and
 * zeroing, string copies, block growth and the byte accounting, a large
 * request in a block of its own without losing the current block's room,
 * dp_arena_reset (one block reused; several become one) and
 * dp_arena_reset_keep (the oldest blocks kept and reused in order), and
 * strings packed with no padding while later allocations stay aligned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

/* Blocks, heap bytes (headers included) and used bytes by hand. */
static size_t n_blocks(const dp_arena *a)
{
    size_t n = 0;
    for (const dp_arena_block *b = a->head; b; b = b->next)
        n++;
    return n;
}

static size_t bytes_by_hand(const dp_arena *a)
{
    size_t n = 0;
    for (const dp_arena_block *b = a->head; b; b = b->next)
        n += sizeof(*b) + b->size;
    return n;
}

static bool inside(const dp_arena_block *b, const void *p)
{
    const char *c = p, *d = (const char *)b->data;
    return c >= d && c < d + b->size;
}

static void test_arena_alignment_zeroing_and_strings(void **state)
{
    (void)state;
    dp_arena *a = dp_arena_create(0);
    assert_non_null(a);
    assert_int_equal(dp_arena_size(a), 0); /* no memory until asked */
    for (size_t n = 0; n < 40; n++) {
        unsigned char *p = dp_arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % DP_ARENA_ALIGN, 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xff, n);
    }
    assert_string_equal(dp_arena_strndup(a, "abcdef", 3), "abc");
    assert_string_equal(dp_arena_strndup(a, NULL, 0), "");
    assert_string_equal(dp_arena_strdup(a, "span"), "span");
    assert_string_equal(dp_arena_printf(a, "%s-%d", "node", 7), "node-7");
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_string_equal(dp_arena_printf(a, "%s!", big) + 598, "x!");
    assert_int_equal(dp_arena_size(a), bytes_by_hand(a));
    dp_arena_destroy(a);
    dp_arena_destroy(NULL);
}

static void test_arena_blocks_grow_by_half_to_the_cap(void **state)
{
    (void)state;
    dp_arena a;
    dp_arena_init(&a, 1024, 4096);
    size_t used = 0;
    for (int i = 0; i < 200; i++) {
        assert_non_null(dp_arena_alloc_raw(&a, 100)); /* 112 with padding */
        used += 112;
        assert_int_equal(dp_arena_used(&a), used);
        assert_int_equal(dp_arena_size(&a), bytes_by_hand(&a));
    }
    /* 1024, 1536, 2304, 3456, 5184 (grown once past the cap), 5184 ... */
    const dp_arena_block *b = a.head;
    size_t want[] = {1024, 1536, 2304, 3456, 5184, 5184};
    for (size_t i = 0; i < 6 && b; i++, b = b->next)
        assert_int_equal(b->size, want[i]);
    assert_true(dp_arena_size(&a) > used);
    dp_arena_fini(&a);
    assert_int_equal(dp_arena_size(&a), 0);
    assert_null(a.head);
}

static void test_arena_large_request_keeps_current_room(void **state)
{
    (void)state;
    dp_arena *a = dp_arena_create(1024);
    char *first = dp_arena_alloc_raw(a, 16);
    const dp_arena_block *cur = a->cur;
    char *big = dp_arena_alloc_raw(a, 10000); /* larger than the next block */
    assert_non_null(big);
    assert_int_equal(n_blocks(a), 2);
    assert_ptr_equal(a->head->next, cur); /* placed before, oldest first */
    assert_true(inside(a->head, big));
    assert_int_equal(a->head->size, (10000 + 15) & ~(size_t)15);
    char *next = dp_arena_alloc_raw(a, 16);
    assert_ptr_equal(next, first + 16); /* the current block goes on */
    assert_int_equal(dp_arena_size(a), bytes_by_hand(a));
    dp_arena_destroy(a);

    /* Into an empty arena, then a small one after it. */
    dp_arena e;
    dp_arena_init(&e, 256, 256);
    assert_non_null(dp_arena_alloc_raw(&e, 5000));
    char *small = dp_arena_alloc_raw(&e, 8);
    assert_non_null(small);
    assert_int_equal(n_blocks(&e), 2);
    assert_true(inside(e.head->next, small));
    dp_arena_fini(&e);
}

static void test_arena_reset_reuses_or_merges(void **state)
{
    (void)state;
    dp_arena *a = dp_arena_create(4096);
    char *p = dp_arena_alloc(a, 100);
    dp_arena_reset(a); /* one block: emptied in place */
    assert_int_equal(n_blocks(a), 1);
    assert_ptr_equal(dp_arena_alloc(a, 100), p);

    for (int i = 0; i < 100; i++)
        assert_non_null(dp_arena_alloc(a, 1000));
    size_t blocks = 0;
    for (const dp_arena_block *b = a->head; b; b = b->next)
        blocks += b->size;
    assert_true(n_blocks(a) > 1);
    dp_arena_reset(a); /* several: one as large as all of them next time */
    assert_int_equal(dp_arena_size(a), 0);
    assert_non_null(dp_arena_alloc(a, 1));
    assert_int_equal(n_blocks(a), 1);
    assert_int_equal(a->head->size, blocks);
    for (int i = 0; i < 100; i++)
        assert_non_null(dp_arena_alloc(a, 1000));
    assert_int_equal(n_blocks(a), 1); /* the same work fits */
    dp_arena_reset(NULL);
    dp_arena_destroy(a);
}

static void test_arena_reset_keep_reuses_oldest_blocks(void **state)
{
    (void)state;
    dp_arena a;
    dp_arena_init(&a, 4096, 4096);
    for (int i = 0; i < 20; i++)
        assert_non_null(dp_arena_alloc_raw(&a, 1000));
    size_t full = dp_arena_size(&a), blocks = n_blocks(&a);
    assert_true(blocks >= 5);
    const dp_arena_block *oldest = a.head;

    dp_arena_reset_keep(&a, SIZE_MAX); /* everything kept */
    assert_int_equal(dp_arena_size(&a), full);
    assert_int_equal(dp_arena_used(&a), 0);
    void *p = dp_arena_alloc_raw(&a, 1000);
    assert_true(inside(oldest, p)); /* refilled oldest first */
    for (int i = 1; i < 20; i++)
        assert_non_null(dp_arena_alloc_raw(&a, 1000));
    assert_int_equal(dp_arena_size(&a), full); /* nothing allocated */
    assert_int_equal(n_blocks(&a), blocks);

    /* A kept block too small for a request: a new one goes before it. */
    dp_arena_reset_keep(&a, SIZE_MAX);
    assert_non_null(dp_arena_alloc_raw(&a, 4000));
    assert_non_null(dp_arena_alloc_raw(&a, 4000)); /* next kept block */
    assert_int_equal(dp_arena_size(&a), full);
    assert_non_null(dp_arena_alloc_raw(&a, 9000)); /* its own block */
    assert_int_equal(n_blocks(&a), blocks + 1);
    assert_int_equal(dp_arena_size(&a), bytes_by_hand(&a));

    /* A budget: the oldest blocks that fit in it, the rest freed. */
    size_t one = sizeof(dp_arena_block) + 4096;
    dp_arena_reset_keep(&a, 2 * one + 10);
    assert_int_equal(n_blocks(&a), 2);
    assert_int_equal(dp_arena_size(&a), 2 * one);
    assert_int_equal(dp_arena_size(&a), bytes_by_hand(&a));
    for (int i = 0; i < 8; i++)
        assert_non_null(dp_arena_alloc_raw(&a, 1000));
    assert_int_equal(dp_arena_size(&a), 2 * one);
    assert_non_null(dp_arena_alloc_raw(&a, 1000)); /* a third, new */
    assert_int_equal(n_blocks(&a), 3);
    dp_arena_reset_keep(&a, 0);
    assert_null(a.head);
    assert_int_equal(dp_arena_size(&a), 0);
    assert_non_null(dp_arena_alloc_raw(&a, 10));
    dp_arena_fini(&a);
}

/* Strings are packed one after the other (dp_arena_alloc_unaligned); an
 * aligned allocation after them is aligned again, also when the block's
 * room after aligning is too small and it moves on. */
static void test_arena_strings_packed_then_aligned(void **state)
{
    (void)state;
    dp_arena a;
    dp_arena_init(&a, 256, 256);
    char *s1 = dp_arena_strndup(&a, "abc", 3);
    char *s2 = dp_arena_strndup(&a, "de", 2);
    assert_ptr_equal(s2, s1 + 4); /* no padding */
    assert_string_equal(s1, "abc");
    assert_string_equal(s2, "de");
    assert_int_equal(dp_arena_used(&a), 7);
    unsigned char *p = dp_arena_alloc(&a, 5);
    assert_int_equal((uintptr_t)p % DP_ARENA_ALIGN, 0);
    assert_ptr_equal(p, (unsigned char *)s1 + DP_ARENA_ALIGN);
    assert_int_equal(dp_arena_used(&a), 32);
    /* Fill the block to 3 bytes short of its end, unaligned. */
    size_t room = a.cur->size - a.cur->used;
    char fill[256];
    memset(fill, 'y', sizeof(fill));
    assert_non_null(dp_arena_strndup(&a, fill, room - 4));
    assert_int_equal(a.cur->size - a.cur->used, 3);
    const dp_arena_block *first = a.cur;
    unsigned char *q = dp_arena_alloc_raw(&a, 1); /* does not fit aligned */
    assert_int_equal((uintptr_t)q % DP_ARENA_ALIGN, 0);
    assert_ptr_not_equal(a.cur, first);
    assert_true(inside(a.cur, q));
    /* A string exactly as large as the room left takes it all. */
    room = a.cur->size - a.cur->used;
    char *last = dp_arena_strndup(&a, fill, room - 1);
    assert_true(inside(a.cur, last));
    assert_int_equal(a.cur->used, a.cur->size);
    assert_int_equal(dp_arena_size(&a), bytes_by_hand(&a));
    /* Reset keeps the blocks; the first allocation is aligned again. */
    dp_arena_reset_keep(&a, SIZE_MAX);
    assert_ptr_equal(dp_arena_alloc_raw(&a, 1), a.head->data);
    dp_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment_zeroing_and_strings),
        cmocka_unit_test(test_arena_blocks_grow_by_half_to_the_cap),
        cmocka_unit_test(test_arena_large_request_keeps_current_room),
        cmocka_unit_test(test_arena_reset_reuses_or_merges),
        cmocka_unit_test(test_arena_reset_keep_reuses_oldest_blocks),
        cmocka_unit_test(test_arena_strings_packed_then_aligned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
