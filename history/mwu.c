/*
 * mwu.c - the two-sided Mann-Whitney U test (history_stats.h) that decides
 * whether a version's node got slower or costlier than the version before.
 *
 * Pooled ranks with mid-ranks for ties, U from the first sample's rank
 * sum, and the normal approximation with the tie-corrected variance and a
 * continuity correction. Regressions need at least regression.min_runs
 * (default 20) runs on each side, where the approximation is what R and
 * scipy use too (R switches to it from 50, or at any size with ties;
 * scipy's 'asymptotic' method). The unit tests check it against values
 * documented for scipy and worked by hand.
 */
#include <math.h>
#include <stdlib.h>

#include "history_stats.h"

typedef struct tagged {
    int64_t v;
    int side; /* 0: x, 1: y */
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    int64_t x = ((const tagged *)a)->v, y = ((const tagged *)b)->v;
    return (x > y) - (x < y);
}

int dp_mwu_test(const int64_t *x, size_t n1, const int64_t *y, size_t n2,
                dp_mwu_result *out)
{
    size_t n = n1 + n2;
    out->u1 = out->u2 = out->z = 0;
    out->p_value = 1.0;
    if (n1 == 0 || n2 == 0)
        return 0;
    tagged *all = malloc(n * sizeof(*all));
    if (!all)
        return DP_ENOMEM;
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
        double mid = ((double)i + 1 + (double)j) / 2; /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (all[k].side == 0)
                r1 += mid;
        ties += t * t * t - t;
        i = j;
    }
    free(all);
    double dn1 = (double)n1, dn2 = (double)n2, dn = (double)n;
    out->u1 = r1 - dn1 * (dn1 + 1) / 2;
    out->u2 = dn1 * dn2 - out->u1;
    double mu = dn1 * dn2 / 2;
    double var = dn1 * dn2 / 12 * ((dn + 1) - ties / (dn * (dn - 1)));
    if (!(var > 0))
        return 0; /* every value tied: no evidence of a difference */
    double u = out->u1 > out->u2 ? out->u1 : out->u2;
    double z = (u - mu - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    out->z = z;
    double p = erfc(z / sqrt(2.0));
    out->p_value = p > 1 ? 1 : p;
    return 0;
}
