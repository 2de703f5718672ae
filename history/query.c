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

/* ------------------------------------------------------------------------ */
/* Order statistics (the definition of runs/stats.h).                        */

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
 * bits, so 3 or 4 of the 6 passes run). Stable, O(n). */
void dp__history_sort_i64(int64_t *v, size_t n)
{
    if (n < 2)
        return;
    uint64_t *tmp = n >= RADIX_MIN && n < UINT32_MAX ? malloc(n * 8) : NULL;
    if (!tmp) {
        qsort(v, n, sizeof(*v), cmp_i64);
        return;
    }
    enum { B = 1 << RADIX_BITS };
    uint32_t(*count)[B] = calloc(RADIX_PASSES, sizeof(*count));
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

int64_t dp__history_percentile(const int64_t *sorted, size_t n, unsigned p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(((uint64_t)p * n + 99) / 100);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}
