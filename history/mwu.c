/*
 * mwu.c - the two-sided Mann-Whitney U test (history_stats.h) that decides
 * whether a version's node got slower or costlier than the version before.
 *
 * Pooled ranks with mid-ranks for ties (a merge of the two samples,
 * each sorted), U from the first sample's rank sum, and the normal
 * approximation with the tie-corrected variance and a continuity correction.
 * Regressions need at least regression.min_runs (default 20) runs on each side,
 * where the approximation is what R and scipy use too (R switches to it from
 * 50, or at any size with ties; scipy's 'asymptotic' method). The unit tests
 * check it against values documented for scipy and worked by hand.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history_internal.h"
#include "history_stats.h"

int dp_mwu_test_sorted(const int64_t *x, size_t n1, const int64_t *y, size_t n2,
                       dp_mwu_result *out)
{
    size_t n = n1 + n2;
    out->u1 = out->u2 = out->z = 0;
    out->p_value = 1.0;
    if (n1 == 0 || n2 == 0)
        return 0;
    /* The pooled sample in order is the merge of the two: each run of
     * equal values (from either side) shares the mean of its ranks. */
    double r1 = 0, ties = 0;
    size_t i = 0, j = 0, pos = 0;
    while (i < n1 || j < n2) {
        int64_t v = i < n1 && (j >= n2 || x[i] <= y[j]) ? x[i] : y[j];
        size_t cx = 0, cy = 0;
        while (i < n1 && x[i] == v)
            i++, cx++;
        while (j < n2 && y[j] == v)
            j++, cy++;
        size_t end = pos + cx + cy;
        double t = (double)(end - pos);
        double mid = ((double)pos + 1 + (double)end) / 2; /* ranks pos+1..end */
        for (size_t k = 0; k < cx; k++)
            r1 += mid;
        ties += t * t * t - t;
        pos = end;
    }
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

int dp_mwu_test(const int64_t *x, size_t n1, const int64_t *y, size_t n2,
                dp_mwu_result *out)
{
    if (n1 == 0 || n2 == 0)
        return dp_mwu_test_sorted(x, n1, y, n2, out);
    int64_t *a = malloc((n1 + n2) * sizeof(*a));
    if (!a)
        return DP_ENOMEM;
    memcpy(a, x, n1 * sizeof(*a));
    memcpy(a + n1, y, n2 * sizeof(*a));
    dp__history_sort_i64(a, n1);
    dp__history_sort_i64(a + n1, n2);
    int err = dp_mwu_test_sorted(a, n1, a + n1, n2, out);
    free(a);
    return err;
}
