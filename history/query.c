/*
 * query.c - the history query interface (history.h): opens a store by its
 * URI and hands each query to the backend's table of operations. Adding a
 * backend is one dp_history_backend and one branch in dp_history_open().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clickhouse.h"
#include "history.h"
#include "history_internal.h"
#include "history_stats.h"

struct dp_history {
    const dp_history_backend *ops;
    void *ctx;
};

dp_history *dp_history_open(const char *uri, char *err, size_t err_len)
{
    struct stat st;
    const char *path = uri;
    if (!uri || !*uri) {
        snprintf(err, err_len, "no history store given (--history PATH)");
        return NULL;
    }
    if (strncmp(uri, "clickhouse://", 13) == 0) {
        dp_history *c = calloc(1, sizeof(*c));
        if (!c) {
            snprintf(err, err_len, "out of memory");
            return NULL;
        }
        c->ops = &dp_history_clickhouse_backend;
        c->ctx = dp__ch_open(uri, 0, err, err_len);
        if (!c->ctx) {
            free(c);
            return NULL;
        }
        return c;
    }
    if (strncmp(uri, "sqlite:", 7) == 0)
        path = uri + 7;
    if (stat(path, &st) != 0) {
        snprintf(err, err_len,
                 "%s: no history store there (dagprof serve writes one at "
                 "history.path, dagprof report --history PATH loads one)",
                 path);
        return NULL;
    }
    dp_history *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    h->ops = &dp_history_sqlite_backend;
    h->ctx = dp__history_sqlite_open_ro(path, err, err_len);
    if (!h->ctx) {
        free(h);
        return NULL;
    }
    return h;
}

void dp_history_close(dp_history *h)
{
    if (!h)
        return;
    h->ops->close(h->ctx);
    free(h);
}

const char *dp_history_backend_name(const dp_history *h)
{
    return h->ops->name;
}

int dp_history_runs(dp_history *h, const dp_history_filter *f, int order,
                    uint64_t limit, unsigned want, dp_history_run_fn fn,
                    void *user)
{
    dp_history_filter none;
    if (!f) {
        memset(&none, 0, sizeof(none));
        f = &none;
    }
    return h->ops->runs(h->ctx, f, order, limit, want, fn, user);
}

int dp_history_profile(dp_history *h, const char *trace_id, dp_buf *out)
{
    return h->ops->profile(h->ctx, trace_id, out);
}

int dp_history_versions(dp_history *h, const dp_history_filter *f,
                        dp_history_version_fn fn, void *user)
{
    return h->ops->versions(h->ctx, f, fn, user);
}

int dp_history_trends(dp_history *h, const dp_history_filter *f, int by,
                      struct dp_trends *t)
{
    dp_history_filter none;
    if (!f) {
        memset(&none, 0, sizeof(none));
        f = &none;
    }
    if (h->ops->trends)
        return h->ops->trends(h->ctx, f, by, t);
    return h->ops->runs(h->ctx, f, DP_HISTORY_OLDEST, 0, DP_HISTORY_WANT_TREND,
                        dp_trends_add_fn, t);
}

typedef struct side_ctx {
    dp_regress *r;
    int side;
} side_ctx;

static int on_side_run(void *user, const dp_history_run *run)
{
    side_ctx *s = user;
    return dp_regress_add(s->r, s->side, run);
}

int dp_history_regress(dp_history *h, const dp_history_filter *f,
                       const char *base, const char *cand, struct dp_regress *r)
{
    /* The same version on both sides is one set of runs read twice. */
    if (h->ops->regress && strcmp(base, cand) != 0)
        return h->ops->regress(h->ctx, f, base, cand, r);
    int err = 0;
    for (int side = 0; side < 2 && !err; side++) {
        dp_history_filter g = *f;
        g.version = side ? cand : base;
        side_ctx sc = {r, side};
        err = h->ops->runs(h->ctx, &g, DP_HISTORY_OLDEST, 0,
                           DP_HISTORY_WANT_NODES | DP_HISTORY_WANT_SAMPLES,
                           on_side_run, &sc);
    }
    return err;
}

int dp_history_claim(dp_history *h, const char *const *keys, size_t n,
                     const char *instance, uint64_t settle_ns, bool *won)
{
    if (!h->ops->claim)
        return DP_ENOENT;
    return h->ops->claim(h->ctx, keys, n, instance, settle_ns, won);
}

int dp_history_model_throughput(dp_history *h, const char *prefix,
                                bool (*match)(const char *model, void *user),
                                void *user, unsigned max_runs, double *tps,
                                size_t *runs)
{
    *tps = 0;
    *runs = 0;
    if (!h->ops->throughput)
        return DP_ENOENT;
    return h->ops->throughput(h->ctx, prefix, match, user, max_runs, tps, runs);
}
