/*
 * trends.c - runs of a DAG grouped by day, hour or version, with the
 * figures `dagprof trends` prints per bucket (history_stats.h), and the
 * ASCII sparkline.
 *
 * Each bucket keeps two int64 arrays (wall ns, cost pico-USD) for the
 * percentiles plus sums and counters: 16 bytes per run. Runs arrive in
 * start order (oldest first), so a day or hour bucket is the last one or
 * a new one; out-of-order runs find their bucket by a search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history_internal.h"
#include "history_stats.h"

typedef struct bucket {
    char *label;
    uint64_t key;   /* day or hour number since the epoch; version: index */
    uint64_t start; /* unix ns */
    int64_t *wall, *cost;
    size_t n, cap;
    __int128 tokens;
    uint64_t errors;
    bool sorted;
    bool summary;  /* put by a store that aggregates (dp_trends_put) */
    uint64_t runs; /* summary: runs, then p50/p95 of wall and cost */
    int64_t p[4];
} bucket;

struct dp_trends {
    int by;
    bucket *b;
    size_t n, cap;
    bool ordered;
};

int dp_trend_by_parse(const char *s)
{
    if (strcmp(s, "day") == 0)
        return DP_TREND_DAY;
    if (strcmp(s, "hour") == 0)
        return DP_TREND_HOUR;
    if (strcmp(s, "version") == 0)
        return DP_TREND_VERSION;
    return DP_EINVAL;
}

dp_trends *dp_trends_create(int by)
{
    dp_trends *t = calloc(1, sizeof(*t));
    if (t)
        t->by = by;
    return t;
}

void dp_trends_destroy(dp_trends *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->b[i].label);
        free(t->b[i].wall);
        free(t->b[i].cost);
    }
    free(t->b);
    free(t);
}

/* The bucket for key (day/hour) or label (version), created when new
 * (label NULL: made from the key then). */
static bucket *find(dp_trends *t, uint64_t key, const char *label,
                    uint64_t start)
{
    char made[64];
    for (size_t i = t->n; i-- > 0;) {
        bucket *b = &t->b[i];
        if (t->by == DP_TREND_VERSION ? strcmp(b->label, label) == 0
                                      : b->key == key)
            return b;
    }
    if (!label) {
        time_t secs = (time_t)(start / 1000000000ULL);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(made, sizeof(made),
                 t->by == DP_TREND_DAY ? "%Y-%m-%d" : "%Y-%m-%dT%H:00Z", &tm);
        label = made;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        bucket *nb = realloc(t->b, cap * sizeof(*nb));
        if (!nb)
            return NULL;
        t->b = nb;
        t->cap = cap;
    }
    bucket *b = &t->b[t->n];
    memset(b, 0, sizeof(*b));
    b->label = strdup(label);
    if (!b->label)
        return NULL;
    b->key = t->by == DP_TREND_VERSION ? t->n : key;
    b->start = start;
    t->n++;
    t->ordered = false;
    return b;
}

int dp_trends_add(dp_trends *t, const dp_history_run *run)
{
    uint64_t key = 0, start = run->start_unix_ns;
    const char *name = NULL; /* day and hour: from the key, when new */
    if (t->by == DP_TREND_VERSION) {
        name = run->version ? run->version : "(none)";
    } else {
        uint64_t unit = t->by == DP_TREND_DAY ? 86400ULL : 3600ULL;
        key = run->start_unix_ns / 1000000000ULL / unit;
        start = key * unit * 1000000000ULL;
    }
    bucket *b = find(t, key, name, start);
    if (!b)
        return DP_ENOMEM;
    if (b->summary)
        return DP_EINVAL; /* a store's summary takes no runs beside it */
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        int64_t *w = realloc(b->wall, cap * sizeof(*w));
        if (!w)
            return DP_ENOMEM;
        b->wall = w;
        int64_t *c = realloc(b->cost, cap * sizeof(*c));
        if (!c)
            return DP_ENOMEM;
        b->cost = c;
        b->cap = cap;
    }
    b->wall[b->n] = run->wall_ns;
    b->cost[b->n] = run->cost_pusd;
    b->n++;
    b->sorted = false;
    b->tokens += run->tokens;
    b->errors += run->failed_nodes > 0;
    if (run->start_unix_ns < b->start && t->by == DP_TREND_VERSION)
        b->start = run->start_unix_ns;
    return 0;
}

int dp_trends_add_fn(void *trends, const dp_history_run *run)
{
    return dp_trends_add(trends, run);
}

int dp_trends_put(dp_trends *t, const char *version, uint64_t start_unix_ns,
                  uint64_t runs, const int64_t pct[4], int64_t tokens,
                  uint64_t errors)
{
    uint64_t key = 0, start = start_unix_ns;
    const char *name = NULL;
    if (t->by == DP_TREND_VERSION) {
        name = version ? version : "(none)";
    } else {
        uint64_t unit = t->by == DP_TREND_DAY ? 86400ULL : 3600ULL;
        key = start_unix_ns / 1000000000ULL / unit;
        start = key * unit * 1000000000ULL;
    }
    bucket *b = find(t, key, name, start);
    if (!b)
        return DP_ENOMEM;
    if (b->n || b->summary)
        return DP_EINVAL; /* one summary per bucket, no runs beside it */
    b->summary = true;
    b->runs = runs;
    memcpy(b->p, pct, sizeof(b->p));
    b->tokens = tokens;
    b->errors = errors;
    return 0;
}

static int cmp_bucket(const void *a, const void *b)
{
    uint64_t x = ((const bucket *)a)->key, y = ((const bucket *)b)->key;
    return (x > y) - (x < y);
}

size_t dp_trends_count(dp_trends *t)
{
    if (!t->ordered) {
        if (t->n > 1)
            qsort(t->b, t->n, sizeof(*t->b), cmp_bucket);
        t->ordered = true;
    }
    return t->n;
}

void dp_trends_get(dp_trends *t, size_t i, dp_trend_bucket *out)
{
    memset(out, 0, sizeof(*out));
    if (i >= dp_trends_count(t))
        return;
    bucket *b = &t->b[i];
    size_t runs = b->summary ? (size_t)b->runs : b->n;
    if (!b->sorted && !b->summary) {
        dp_stats_sort_i64(b->wall, b->n);
        dp_stats_sort_i64(b->cost, b->n);
        b->sorted = true;
    }
    out->label = b->label;
    out->start_unix_ns = b->start;
    out->runs = runs;
    if (b->summary) {
        out->wall_p50_ns = b->p[0];
        out->wall_p95_ns = b->p[1];
        out->cost_p50_pusd = b->p[2];
        out->cost_p95_pusd = b->p[3];
    } else {
        out->wall_p50_ns = dp_stats_percentile(b->wall, b->n, 50);
        out->wall_p95_ns = dp_stats_percentile(b->wall, b->n, 95);
        out->cost_p50_pusd = dp_stats_percentile(b->cost, b->n, 50);
        out->cost_p95_pusd = dp_stats_percentile(b->cost, b->n, 95);
    }
    out->tokens_total = b->tokens > INT64_MAX ? INT64_MAX : (int64_t)b->tokens;
    if (runs) {
        __int128 n = (__int128)runs;
        __int128 m = (b->tokens * 2 + (b->tokens >= 0 ? n : -n)) / (2 * n);
        out->tokens_mean = (int64_t)m;
        out->error_rate = (double)b->errors / (double)runs;
    }
    out->errors = b->errors;
}

int dp_sparkline(dp_buf *out, const int64_t *v, size_t n)
{
    static const char levels[] = "_.-~=+*#";
    const int top = (int)sizeof(levels) - 2; /* 7 */
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || v[i] < lo)
            lo = v[i];
        if (i == 0 || v[i] > hi)
            hi = v[i];
    }
    for (size_t i = 0; i < n; i++) {
        int k = top / 2;
        if (hi > lo)
            k = (int)((double)(v[i] - lo) / (double)(hi - lo) * top + 0.5);
        char c = levels[k];
        if (dp_buf_append(out, &c, 1))
            return DP_ENOMEM;
    }
    return 0;
}
