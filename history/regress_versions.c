/*
 * regress_versions.c - the versions a regression compares: a DAG's
 * versions read from the store in order of their first run, and the pick
 * of baseline and candidate (the given ones, or the last two), for
 * `dagprof regressions` and the regression alert watcher alike. Kept apart
 * from regress.c, which the stores feed, so that no store calls back into
 * the file that calls them.
 */
#include <stdlib.h>
#include <string.h>

#include "history_internal.h"
#include "history_stats.h"

/* Doubles the room of l's two arrays (8 at first). */
static int versions_grow(dp_regress_versions *l)
{
    size_t cap = l->cap ? l->cap * 2 : 8;
    char **v = realloc(l->v, cap * sizeof(*v));
    uint64_t *r = v ? realloc(l->runs, cap * sizeof(*r)) : NULL;
    l->v = v ? v : l->v;
    l->runs = r ? r : l->runs;
    l->cap = r ? cap : l->cap;
    return r ? 0 : DP_ENOMEM;
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
    l->runs[l->n++] = ver->runs;
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
