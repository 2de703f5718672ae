/*
 * regress.c - a DAG's candidate version against its baseline, per node and
 * for the run (history_stats.h; DESIGN.md "History, trends, regressions").
 *
 * Each side keeps, per key (the run, then every node id in order of first
 * appearance), the samples: wall or executionTime in ns and cost in
 * pico-USD, one per run that had the node. A row compares the p50 (nearest
 * rank) of each side, the change in percent, and the two-sided
 * Mann-Whitney U p-value. The verdict: "too few runs" below min_runs on a
 * side; "regression" for a change of at least +min_change with p below
 * p_value; "improvement" for at most -min_change with p below p_value;
 * else "no change". A node a run repeats (id#2) is its own key.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history_internal.h"
#include "history_stats.h"

typedef struct series {
    int64_t *v;
    size_t n, cap;
} series;

typedef struct key {
    char *id; /* NULL: the run */
    series time[2], cost[2];
} key;

struct dp_regress {
    key *k;
    size_t n, cap;
    dp_regress_row *rows;
};

void dp_regress_config_init(dp_regress_config *c)
{
    c->min_change = 0.10;
    c->p_value = 0.01;
    c->min_runs = 20;
}

const char *dp_verdict_name(int v)
{
    switch (v) {
    case DP_VERDICT_REGRESSION:
        return "regression";
    case DP_VERDICT_IMPROVEMENT:
        return "improvement";
    case DP_VERDICT_TOO_FEW:
        return "too few runs";
    default:
        return "no change";
    }
}

dp_regress *dp_regress_create(void)
{
    return calloc(1, sizeof(dp_regress));
}

void dp_regress_destroy(dp_regress *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->k[i].id);
        for (int s = 0; s < 2; s++) {
            free(r->k[i].time[s].v);
            free(r->k[i].cost[s].v);
        }
    }
    free(r->k);
    free(r->rows);
    free(r);
}

static int push(series *s, int64_t v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        int64_t *nv = realloc(s->v, cap * sizeof(*nv));
        if (!nv)
            return DP_ENOMEM;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return 0;
}

/* The key for id (NULL: the run); hint is tried first. */
static key *get_key(dp_regress *r, const char *id, size_t hint)
{
    if (hint < r->n && r->k[hint].id && id && strcmp(r->k[hint].id, id) == 0)
        return &r->k[hint];
    for (size_t i = 0; i < r->n; i++)
        if (id ? r->k[i].id && strcmp(r->k[i].id, id) == 0 : !r->k[i].id)
            return &r->k[i];
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        key *nk = realloc(r->k, cap * sizeof(*nk));
        if (!nk)
            return NULL;
        r->k = nk;
        r->cap = cap;
    }
    key *k = &r->k[r->n];
    memset(k, 0, sizeof(*k));
    if (id && !(k->id = strdup(id)))
        return NULL;
    r->n++;
    return k;
}

int dp_regress_add(dp_regress *r, int side, const dp_history_run *run)
{
    if (side < 0 || side > 1)
        return DP_EINVAL;
    key *k = get_key(r, NULL, 0);
    if (!k || push(&k->time[side], run->wall_ns) ||
        push(&k->cost[side], run->cost_pusd))
        return DP_ENOMEM;
    for (size_t i = 0; i < run->n_nodes; i++) {
        const dp_history_node *n = &run->nodes[i];
        k = get_key(r, n->node_id, i + 1);
        if (!k || push(&k->time[side], n->execution_ns) ||
            push(&k->cost[side], n->cost_pusd))
            return DP_ENOMEM;
    }
    return 0;
}

/* Sorts s unless it already is (a store that sorts gives it sorted). */
static void sort_series(series *s)
{
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i - 1] > s->v[i]) {
            dp_stats_sort_i64(s->v, s->n);
            return;
        }
}

static int push_all(series *s, const int64_t *v, size_t n)
{
    if (s->n + n > s->cap) {
        size_t cap = s->cap ? s->cap : 16;
        while (cap < s->n + n)
            cap *= 2;
        int64_t *nv = realloc(s->v, cap * sizeof(*nv));
        if (!nv)
            return DP_ENOMEM;
        s->v = nv;
        s->cap = cap;
    }
    if (n && v)
        memcpy(s->v + s->n, v, n * sizeof(*v));
    s->n += n; /* v NULL: room the caller fills */
    return 0;
}

/* n little-endian Int64s (unaligned) at the end of s: one copy where the
 * host is little-endian too. */
static int push_le(series *s, const unsigned char *le, size_t n)
{
    if (push_all(s, NULL, n))
        return DP_ENOMEM;
    int64_t *dst = s->v + s->n - n;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n)
        memcpy(dst, le, n * sizeof(*dst));
#else
    for (size_t i = 0; i < n; i++) {
        uint64_t u = 0;
        for (int k = 7; k >= 0; k--)
            u = u << 8 | le[i * 8 + (size_t)k];
        dst[i] = (int64_t)u;
    }
#endif
    return 0;
}

int dp_regress_add_series_le(dp_regress *r, int side, const char *node_id,
                             const unsigned char *time,
                             const unsigned char *cost, size_t n)
{
    if (side < 0 || side > 1)
        return DP_EINVAL;
    key *k = get_key(r, node_id, r->n);
    if (!k || push_le(&k->time[side], time, n) ||
        push_le(&k->cost[side], cost, n))
        return DP_ENOMEM;
    return 0;
}

int dp_regress_add_series(dp_regress *r, int side, const char *node_id,
                          const int64_t *time, const int64_t *cost, size_t n)
{
    if (side < 0 || side > 1)
        return DP_EINVAL;
    key *k = get_key(r, node_id, r->n);
    if (!k || push_all(&k->time[side], time, n) ||
        push_all(&k->cost[side], cost, n))
        return DP_ENOMEM;
    return 0;
}

static int metric(series *base, series *cand, const dp_regress_config *c,
                  dp_regress_metric *m)
{
    dp_mwu_result u;
    memset(m, 0, sizeof(*m));
    sort_series(base);
    sort_series(cand);
    dp_mwu_test_sorted(base->v, base->n, cand->v, cand->n, &u);
    m->base_p50 = dp_stats_percentile(base->v, base->n, 50);
    m->cand_p50 = dp_stats_percentile(cand->v, cand->n, 50);
    m->p_value = u.p_value;
    m->has_change = m->base_p50 != 0;
    if (m->has_change)
        m->change_percent = ((double)m->cand_p50 - (double)m->base_p50) /
                            fabs((double)m->base_p50) * 100.0;
    if (base->n < c->min_runs || cand->n < c->min_runs)
        m->verdict = DP_VERDICT_TOO_FEW;
    else if (m->p_value < c->p_value &&
             (m->has_change ? m->change_percent >= c->min_change * 100
                            : m->cand_p50 > 0))
        m->verdict = DP_VERDICT_REGRESSION;
    else if (m->p_value < c->p_value && m->has_change &&
             m->change_percent <= -c->min_change * 100)
        m->verdict = DP_VERDICT_IMPROVEMENT;
    else
        m->verdict = DP_VERDICT_NONE;
    return 0;
}

long dp_regress_compute(dp_regress *r, const dp_regress_config *c,
                        const dp_regress_row **rows)
{
    free(r->rows);
    r->rows = calloc(r->n ? r->n : 1, sizeof(*r->rows));
    if (!r->rows)
        return DP_ENOMEM;
    long n = 0;
    for (size_t i = 0; i < r->n; i++) {
        key *k = &r->k[i];
        if (k->time[0].n == 0 || k->time[1].n == 0)
            continue; /* a node only one version has */
        dp_regress_row *row = &r->rows[n];
        row->node_id = k->id;
        row->base_runs = k->time[0].n;
        row->cand_runs = k->time[1].n;
        if (metric(&k->time[0], &k->time[1], c, &row->time) ||
            metric(&k->cost[0], &k->cost[1], c, &row->cost))
            return DP_ENOMEM;
        n++;
    }
    *rows = r->rows;
    return n;
}
