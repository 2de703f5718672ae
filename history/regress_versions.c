/*
 * regress_versions.c - the versions a regression compares: a DAG's
 * versions read from the store in order of their first run, and the pick
 * of baseline and candidate (the given ones, or the last two), for
 * `dagprof regressions` and the regression alert watcher alike. Kept apart
 * from regress.c, which the stores feed, so that no store calls back into
 * the file that calls them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "history_internal.h"
#include "history_stats.h"

/* Doubles the room of l's arrays (8 at first). */
static int versions_grow(dp_regress_versions *l)
{
    size_t cap = l->cap ? l->cap * 2 : 8;
    char **v = realloc(l->v, cap * sizeof(*v));
    l->v = v ? v : l->v;
    uint64_t **u[3] = {&l->runs, &l->first_ns, &l->last_ns};
    bool ok = v != NULL;
    for (int k = 0; ok && k < 3; k++) {
        uint64_t *a = realloc(*u[k], cap * sizeof(*a));
        *u[k] = a ? a : *u[k];
        ok = a != NULL;
    }
    l->cap = ok ? cap : l->cap;
    return ok ? 0 : DP_ENOMEM;
}

static int on_version(void *user, const dp_history_version *ver)
{
    dp_regress_versions *l = user;
    if (!ver->version)
        return 0; /* runs without a version take no part */
    if (l->n == l->cap && versions_grow(l))
        return DP_ENOMEM;
    if (!(l->v[l->n] = strdup(ver->version)))
        return DP_ENOMEM;
    l->runs[l->n] = ver->runs;
    l->first_ns[l->n] = ver->first_unix_ns;
    l->last_ns[l->n++] = ver->last_unix_ns;
    return 0;
}

int dp_regress_versions_read(dp_history *h, const dp_history_filter *f,
                             dp_regress_versions *l)
{
    memset(l, 0, sizeof(*l));
    return dp_history_versions(h, f, on_version, l);
}

void dp_regress_versions_fini(dp_regress_versions *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->runs);
    free(l->first_ns);
    free(l->last_ns);
    memset(l, 0, sizeof(*l));
}

long dp_regress_versions_find(const dp_regress_versions *l, const char *v)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], v) == 0)
            return (long)i;
    return -1;
}

bool dp_regress_versions_pick(const dp_regress_versions *l, const char *base,
                              const char *cand, size_t *bi, size_t *ci)
{
    long c = cand ? dp_regress_versions_find(l, cand) : (long)l->n - 1;
    long b = base ? dp_regress_versions_find(l, base) : c - 1;
    if (c < 0 || b < 0)
        return false;
    *bi = (size_t)b;
    *ci = (size_t)c;
    return true;
}

void dp_regress_versions_narrow(const dp_regress_versions *l, size_t bi,
                                size_t ci, dp_history_filter *f)
{
    uint64_t lo =
        l->first_ns[bi] < l->first_ns[ci] ? l->first_ns[bi] : l->first_ns[ci];
    uint64_t hi =
        l->last_ns[bi] > l->last_ns[ci] ? l->last_ns[bi] : l->last_ns[ci];
    if (lo > f->since_unix_ns)
        f->since_unix_ns = lo;
    if (hi < UINT64_MAX && (!f->until_unix_ns || hi + 1 < f->until_unix_ns))
        f->until_unix_ns = hi + 1;
}
