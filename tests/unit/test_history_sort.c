/*
 * test_history_sort.c - the order statistics the history's answers rest
 * on: dp_stats_sort_i64 (exporter/order_stats.c, a radix sort from 256
 * values up) against qsort, and the Mann-Whitney U test of two sorted
 * samples (dp_mwu_test_sorted, history/mwu.c: a merge) against the
 * pooled-sort computation it replaced, kept here as the reference for the
 * ranks (both end in dp__mwu_from_ranks). Every double must be equal bit
 * for bit: `dagprof regressions` prints the same answers.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history_internal.h"
#include "history_stats.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* n values of one kind: 0 full 64-bit range (negative too), 1 times in
 * ns around 10 s (top bits shared: passes skipped), 2 few distinct values
 * (ties), 3 already sorted, 4 descending. */
static void fill(int64_t *v, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0:
            v[i] = (int64_t)next();
            break;
        case 1:
            v[i] = 10000000000LL + (int64_t)(next() % 2000000000ULL);
            break;
        case 2:
            v[i] = (int64_t)(next() % 7) - 3;
            break;
        case 3:
            v[i] = (int64_t)i * 3;
            break;
        default:
            v[i] = -(int64_t)i * 5;
            break;
        }
    }
    if (n > 2 && kind == 0) {
        v[0] = INT64_MIN;
        v[1] = INT64_MAX;
        v[2] = 0;
    }
}

static void test_sort_matches_qsort(void **state)
{
    (void)state;
    static const size_t sizes[] = {0,   1,   2,    3,    17,    255,
                                   256, 257, 1000, 4099, 100000};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (int kind = 0; kind < 5; kind++) {
            size_t n = sizes[s];
            int64_t *a = malloc((n ? n : 1) * sizeof(*a));
            int64_t *b = malloc((n ? n : 1) * sizeof(*b));
            assert_non_null(a);
            assert_non_null(b);
            fill(a, n, kind);
            memcpy(b, a, n * sizeof(*a));
            dp_stats_sort_i64(a, n);
            if (n)
                qsort(b, n, sizeof(*b), cmp_i64);
            if (n && memcmp(a, b, n * sizeof(*a)) != 0)
                fail_msg("sort differs from qsort: n %zu, kind %d", n, kind);
            free(a);
            free(b);
        }
    }
}

/* The computation dp_mwu_test did before the merge: the pooled sample
 * tagged by side, sorted, mid-ranks over runs of ties. */
typedef struct tagged {
    int64_t v;
    int side;
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    int64_t x = ((const tagged *)a)->v, y = ((const tagged *)b)->v;
    return (x > y) - (x < y);
}

static void reference(const int64_t *x, size_t n1, const int64_t *y, size_t n2,
                      dp_mwu_result *out)
{
    size_t n = n1 + n2;
    out->u1 = out->u2 = out->z = 0;
    out->p_value = 1.0;
    if (n1 == 0 || n2 == 0)
        return;
    tagged *all = malloc(n * sizeof(*all));
    assert_non_null(all);
    for (size_t i = 0; i < n1; i++)
        all[i] = (tagged){x[i], 0};
    for (size_t i = 0; i < n2; i++)
        all[n1 + i] = (tagged){y[i], 1};
    qsort(all, n, sizeof(*all), cmp_tagged);
    double r1 = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && all[j].v == all[i].v)
            j++;
        double t = (double)(j - i);
        double mid = ((double)i + 1 + (double)j) / 2;
        for (size_t k = i; k < j; k++)
            if (all[k].side == 0)
                r1 += mid;
        ties += t * t * t - t;
        i = j;
    }
    free(all);
    dp__mwu_from_ranks(r1, ties, n1, n2, out);
}

static void same_result(const dp_mwu_result *a, const dp_mwu_result *b)
{
    assert_memory_equal(&a->u1, &b->u1, sizeof(double));
    assert_memory_equal(&a->u2, &b->u2, sizeof(double));
    assert_memory_equal(&a->z, &b->z, sizeof(double));
    assert_memory_equal(&a->p_value, &b->p_value, sizeof(double));
}

static void test_mwu_merge_matches_pooled_sort(void **state)
{
    (void)state;
    static const size_t sizes[][2] = {{0, 5},    {5, 0},       {1, 1},
                                      {5, 4},    {20, 20},     {33, 300},
                                      {300, 33}, {2000, 2000}, {50000, 40000}};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (int kind = 0; kind < 5; kind++) {
            size_t n1 = sizes[s][0], n2 = sizes[s][1];
            int64_t *x = malloc((n1 + 1) * sizeof(*x));
            int64_t *y = malloc((n2 + 1) * sizeof(*y));
            assert_non_null(x);
            assert_non_null(y);
            fill(x, n1, kind);
            fill(y, n2, kind == 3 ? 4 : kind);
            for (size_t i = 0; kind == 1 && i < n2; i++)
                y[i] += 50000000; /* shifted a little: p not 0 or 1 */
            dp_mwu_result want, got, got_sorted;
            reference(x, n1, y, n2, &want);
            assert_int_equal(dp_mwu_test(x, n1, y, n2, &got), 0);
            same_result(&got, &want);
            dp_stats_sort_i64(x, n1);
            dp_stats_sort_i64(y, n2);
            dp_mwu_test_sorted(x, n1, y, n2, &got_sorted);
            same_result(&got_sorted, &want);
            free(x);
            free(y);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_matches_qsort),
        cmocka_unit_test(test_mwu_merge_matches_pooled_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
