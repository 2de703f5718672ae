/*
 * mwu.c - the two-sided Mann-Whitney U test (history_stats.h) that decides
 * whether a version's node got slower or costlier than the version before.
 *
 * Pooled ranks with mid-ranks for ties (a merge of the two sorted
 * samples), U from the first sample's rank sum, and the normal approximation
 * with the tie-corrected variance and a continuity correction. Regressions need
 * at least regression.min_runs (default 20) runs on each side, where the
 * approximation is what R and scipy use too (R switches to it from 50, or at
 * any size with ties; scipy's 'asymptotic' method). The unit tests check it
 * against values documented for scipy and worked by hand.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history_stats.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int dp_mwu_test(const int64_t *x, size_t n1, const int64_t *y, size_t n2,
                dp_mwu_result *out)
{
    int64_t *all = malloc((n1 + n2 ? n1 + n2 : 1) * sizeof(*all));
    if (!all)
        return DP_ENOMEM;
    if (n1)
        memcpy(all, x, n1 * sizeof(*all));
    if (n2)
        memcpy(all + n1, y, n2 * sizeof(*all));
    qsort(all, n1, sizeof(*all), cmp_i64);
    qsort(all + n1, n2, sizeof(*all), cmp_i64);
    dp_mwu_test_sorted(all, n1, all + n1, n2, out);
    free(all);
    return 0;
}

void dp_mwu_test_sorted(const int64_t *x, size_t n1, const int64_t *y,
                        size_t n2, dp_mwu_result *out)
{
    out->u1 = out->u2 = out->z = 0;
    out->p_value = 1.0;
    if (n1 == 0 || n2 == 0)
        return;
    /* Walk both in step, one group of equal values at a time: the group
     * holds ranks done+1 .. done+t, each with the mid-rank; twice the
     * first sample's rank sum is kept as an integer (exact). */
    unsigned __int128 r1x2 = 0;
    double ties = 0;
    size_t i = 0, j = 0;
    while (i < n1 || j < n2) {
        int64_t v = i < n1 && (j >= n2 || x[i] <= y[j]) ? x[i] : y[j];
        size_t a = i, b = j;
        while (i < n1 && x[i] == v)
            i++;
        while (j < n2 && y[j] == v)
            j++;
        uint64_t done = (uint64_t)(a + b), t = (uint64_t)(i - a + j - b);
        r1x2 += (unsigned __int128)(i - a) * (2 * done + t + 1);
        double dt = (double)t;
        ties += dt * dt * dt - dt;
    }
    double r1 = (double)(r1x2 / 2) + (r1x2 % 2 ? 0.5 : 0);
    dp__mwu_from_ranks(r1, ties, n1, n2, out);
}

void dp__mwu_from_ranks(double r1, double ties, size_t n1, size_t n2,
                        dp_mwu_result *out)
{
    double dn1 = (double)n1, dn2 = (double)n2, dn = (double)(n1 + n2);
    out->z = 0;
    out->p_value = 1.0;
    out->u1 = r1 - dn1 * (dn1 + 1) / 2;
    out->u2 = dn1 * dn2 - out->u1;
    double mu = dn1 * dn2 / 2;
    double var = dn1 * dn2 / 12 * ((dn + 1) - ties / (dn * (dn - 1)));
    if (!(var > 0))
        return; /* every value tied: no evidence of a difference */
    double u = out->u1 > out->u2 ? out->u1 : out->u2;
    double z = (u - mu - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    out->z = z;
    double p = erfc(z / sqrt(2.0));
    out->p_value = p > 1 ? 1 : p;
}
