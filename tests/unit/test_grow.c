/*
 * test_grow.c - dp_grow (processor/grow.h), the one way arrays grow:
 * nothing while there is room, the first capacity, then doubling, the
 * contents kept, and an impossible size refused with the array as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "errors.h"
#include "grow.h"

struct pair {
    uint64_t a, b;
};

static void test_grow_doubles_from_first(void **state)
{
    (void)state;
    struct pair *v = NULL;
    size_t n = 0, cap = 0;
    size_t seen[8], n_seen = 0;
    for (uint64_t i = 0; i < 40; i++) {
        assert_int_equal(dp_grow(&v, n, &cap, sizeof(*v), 4), 0);
        assert_true(n < cap);
        if (n_seen == 0 || seen[n_seen - 1] != cap)
            seen[n_seen++] = cap;
        v[n++] = (struct pair){i, i * 3};
    }
    /* 4, 8, 16, 32, 64: doubling from the first capacity. */
    assert_int_equal(n_seen, 5);
    assert_int_equal(seen[0], 4);
    assert_int_equal(seen[4], 64);
    for (uint64_t i = 0; i < 40; i++) {
        assert_int_equal(v[i].a, i);
        assert_int_equal(v[i].b, i * 3);
    }
    /* Room left: nothing moves. */
    struct pair *before = v;
    assert_int_equal(dp_grow(&v, 40, &cap, sizeof(*v), 4), 0);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 64);
    free(v);
}

static void test_grow_refuses_and_keeps(void **state)
{
    (void)state;
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(dp_grow(&v, n, &cap, sizeof(*v), 2), 0);
    v[n++] = 7;
    v[n++] = 9;
    uint64_t *before = v;
    /* Twice 2 elements of SIZE_MAX / 2 bytes: no allocator gives that. */
    assert_int_equal(dp_grow(&v, n, &cap, SIZE_MAX / 2, 2), DP_ENOMEM);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 2);
    assert_int_equal(v[0], 7);
    assert_int_equal(v[1], 9);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_doubles_from_first),
        cmocka_unit_test(test_grow_refuses_and_keeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
