/*
 * order_stats.c - the nearest-rank percentile and the sort it needs (see
 * order_stats.h), shared by the HTML report's trends (report_html_charts.c)
 * and, through runs/stats.h, by the summary, compare and the history's
 * trends and regressions.
 */
#include "order_stats.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Below this many values qsort is as fast as the radix passes' set-up. */
enum { RADIX_MIN = 256, RADIX_BITS = 11, RADIX_PASSES = 6 };

/* LSD radix sort on the values with their sign bit flipped (so unsigned
 * order is signed order), 11 bits a pass; a pass whose digit is the same
 * for every value is skipped (times and costs of one DAG share their top
 * bits, so 3 or 4 of the 6 passes run). O(n); qsort below RADIX_MIN values
 * or when memory is short. */
void dp_stats_sort_i64(int64_t *v, size_t n)
{
    if (n < 2)
        return;
    uint64_t *tmp = n >= RADIX_MIN && n < UINT32_MAX ? malloc(n * 8) : NULL;
    enum { B = 1 << RADIX_BITS };
    uint32_t(*count)[B] = tmp ? calloc(RADIX_PASSES, sizeof(*count)) : NULL;
    if (!count) {
        free(tmp);
        qsort(v, n, sizeof(*v), cmp_i64);
        return;
    }
    const uint64_t flip = 1ULL << 63;
    uint64_t *src = (uint64_t *)v, *dst = tmp;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = src[i] ^ flip;
        for (int p = 0; p < RADIX_PASSES; p++)
            count[p][(k >> (p * RADIX_BITS)) & (B - 1)]++;
    }
    for (int p = 0; p < RADIX_PASSES; p++) {
        unsigned shift = (unsigned)(p * RADIX_BITS);
        uint32_t *c = count[p];
        if (c[((src[0] ^ flip) >> shift) & (B - 1)] == n)
            continue; /* one digit for all: the order stands */
        uint32_t sum = 0;
        for (int d = 0; d < B; d++) {
            uint32_t k = c[d];
            c[d] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[((src[i] ^ flip) >> shift) & (B - 1)]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != (uint64_t *)v)
        memcpy(v, src, n * 8);
    free(count);
    free(tmp);
}

size_t dp_stats_rank(size_t n, unsigned p)
{
    /* ceil(p * n / 100) in integers; p <= 100 keeps p * n in range for any
     * n that fits in memory. */
    size_t r = ((size_t)p * n + 99) / 100;
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return r;
}

int64_t dp_stats_percentile(const int64_t *sorted, size_t n, unsigned p)
{
    if (n == 0)
        return 0;
    return sorted[dp_stats_rank(n, p) - 1];
}
