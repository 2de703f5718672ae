/*
 * summary.c - the per-DAG summary of many runs (`dagprof report --summary`)
 * and its text and JSON renderings.
 *
 * Runs arrive one at a time as dp_run records (from run_reader.c's
 * reader). Each DAG keeps three int64 arrays (wall ns, cost pico-USD,
 * tokens) - 24 bytes per run - for the percentiles, 128-bit sums for the
 * means, bottleneck counters per type, and the total cost per node id.
 * Everything else of a profile is dropped as soon as its run is added.
 *
 * Definitions (also in `dagprof report --help`):
 * - percentiles are nearest-rank (stats.h): p50/p95 are observed values;
 * - means are rounded half away from zero (ns, pico-USD, 1/100 token);
 * - topBottleneck: the type detected most often over all runs (every
 *   detection counts), ties broken by the type name in byte order;
 * - costliestNode: the node id with the largest cost summed over the runs,
 *   ties broken by node id in byte order; none when no node cost anything;
 * - projection at N runs/day: N x p50 and N x p95 of per-run cost and
 *   tokens, and 30 times that for 30 days.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

typedef struct node_total {
    char *id;
    dp_i128 cost_pusd;
    uint64_t runs;
    uint64_t last_run; /* 1-based number of the run that last counted it */
} node_total;

typedef struct group {
    char *dag_id;
    int64_t *wall, *cost, *tokens; /* one entry per run */
    size_t n, cap;
    bool sorted;
    dp_i128 wall_sum, cost_sum, tokens_sum;
    uint64_t bn_count[DP_BN__COUNT], bn_runs[DP_BN__COUNT];
    node_total *nodes;
    size_t n_nodes, cap_nodes;
} group;

struct dp_summary {
    group *groups;
    size_t n, cap;
    bool ordered; /* groups sorted by dag_id */
};

dp_summary *dp_summary_create(void)
{
    return calloc(1, sizeof(dp_summary));
}

void dp_summary_destroy(dp_summary *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        group *g = &s->groups[i];
        for (size_t j = 0; j < g->n_nodes; j++)
            free(g->nodes[j].id);
        free(g->nodes);
        free(g->dag_id);
        free(g->wall);
        free(g->cost);
        free(g->tokens);
    }
    free(s->groups);
    free(s);
}

/* Grows *arr (elements of size sz) to hold at least need; 0 or DP_ENOMEM. */
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    size_t c = *cap ? *cap : 8;
    void *p;
    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    p = realloc(*arr, c * sz);
    if (p == NULL)
        return DP_ENOMEM;
    *arr = p;
    *cap = c;
    return 0;
}

static group *find_group(dp_summary *s, const char *dag_id)
{
    group *g;
    /* Runs of a DAG tend to come together: check the newest group first. */
    for (size_t i = s->n; i-- > 0;)
        if (strcmp(s->groups[i].dag_id, dag_id) == 0)
            return &s->groups[i];
    if (grow((void **)&s->groups, &s->cap, s->n + 1, sizeof(*s->groups)))
        return NULL;
    g = &s->groups[s->n];
    memset(g, 0, sizeof(*g));
    g->dag_id = strdup(dag_id);
    if (g->dag_id == NULL)
        return NULL;
    s->n++;
    s->ordered = false;
    return g;
}

/* The node_total for id, created when new. Runs list their nodes in about
 * the same order each time, so slot `hint` is tried first. */
static node_total *find_node(group *g, const char *id, size_t hint)
{
    node_total *t;
    if (hint < g->n_nodes && strcmp(g->nodes[hint].id, id) == 0)
        return &g->nodes[hint];
    for (size_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].id, id) == 0)
            return &g->nodes[i];
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1,
             sizeof(*g->nodes)))
        return NULL;
    t = &g->nodes[g->n_nodes];
    memset(t, 0, sizeof(*t));
    t->id = strdup(id);
    if (t->id == NULL)
        return NULL;
    g->n_nodes++;
    return t;
}

int dp_summary_add(dp_summary *s, const dp_run *run)
{
    group *g = find_group(s, run->dag_id ? run->dag_id : "");
    size_t cap;

    if (g == NULL)
        return DP_ENOMEM;
    if (g->n == g->cap) {
        cap = g->cap ? g->cap * 2 : 16;
        int64_t *w = realloc(g->wall, cap * sizeof(int64_t));
        if (w == NULL)
            return DP_ENOMEM;
        g->wall = w;
        int64_t *c = realloc(g->cost, cap * sizeof(int64_t));
        if (c == NULL)
            return DP_ENOMEM;
        g->cost = c;
        int64_t *t = realloc(g->tokens, cap * sizeof(int64_t));
        if (t == NULL)
            return DP_ENOMEM;
        g->tokens = t;
        g->cap = cap;
    }
    for (size_t i = 0; i < run->n_nodes; i++) {
        node_total *t = find_node(g, run->nodes[i].id, i);
        if (t == NULL)
            return DP_ENOMEM;
        t->cost_pusd += run->nodes[i].cost_pusd;
        if (t->last_run != g->n + 1) {
            t->last_run = g->n + 1;
            t->runs++;
        }
    }
    g->wall[g->n] = run->wall_ns;
    g->cost[g->n] = run->cost_pusd;
    g->tokens[g->n] = run->tokens;
    g->n++;
    g->sorted = false;
    g->wall_sum += run->wall_ns;
    g->cost_sum += run->cost_pusd;
    g->tokens_sum += run->tokens;
    for (int t = 0; t < DP_BN__COUNT; t++) {
        g->bn_count[t] += run->bottlenecks[t];
        g->bn_runs[t] += run->bottlenecks[t] > 0;
    }
    return 0;
}

int dp_summary_add_fn(void *summary, const dp_run *run)
{
    return dp_summary_add(summary, run);
}

static int cmp_group(const void *a, const void *b)
{
    return strcmp(((const group *)a)->dag_id, ((const group *)b)->dag_id);
}

size_t dp_summary_dag_count(dp_summary *s)
{
    if (!s->ordered) {
        if (s->n > 1)
            qsort(s->groups, s->n, sizeof(*s->groups), cmp_group);
        s->ordered = true;
    }
    return s->n;
}

void dp_summary_dag_get(dp_summary *s, size_t i, dp_summary_dag *d)
{
    group *g;
    const node_total *best = NULL;

    memset(d, 0, sizeof(*d));
    if (i >= dp_summary_dag_count(s))
        return;
    g = &s->groups[i];
    if (!g->sorted) {
        dp_stats_sort_i64(g->wall, g->n);
        dp_stats_sort_i64(g->cost, g->n);
        dp_stats_sort_i64(g->tokens, g->n);
        g->sorted = true;
    }
    d->dag_id = g->dag_id;
    d->runs = g->n;
    d->wall_mean_ns = dp_stats_mean(g->wall_sum, g->n);
    d->wall_p50_ns = dp_stats_percentile(g->wall, g->n, 50);
    d->wall_p95_ns = dp_stats_percentile(g->wall, g->n, 95);
    d->wall_max_ns = dp_stats_percentile(g->wall, g->n, 100);
    d->cost_mean_pusd = dp_stats_mean(g->cost_sum, g->n);
    d->cost_p50_pusd = dp_stats_percentile(g->cost, g->n, 50);
    d->cost_p95_pusd = dp_stats_percentile(g->cost, g->n, 95);
    d->cost_max_pusd = dp_stats_percentile(g->cost, g->n, 100);
    d->tokens_mean_x100 = dp_stats_mean_x100(g->tokens_sum, g->n);
    d->tokens_p50 = dp_stats_percentile(g->tokens, g->n, 50);
    d->tokens_p95 = dp_stats_percentile(g->tokens, g->n, 95);
    d->tokens_max = dp_stats_percentile(g->tokens, g->n, 100);

    d->top_bottleneck = -1;
    for (int t = 0; t < DP_BN__COUNT; t++) {
        if (g->bn_count[t] == 0)
            continue;
        if (d->top_bottleneck < 0 || g->bn_count[t] > d->top_bottleneck_count ||
            (g->bn_count[t] == d->top_bottleneck_count &&
             strcmp(dp_bottleneck_type_name(t),
                    dp_bottleneck_type_name(d->top_bottleneck)) < 0)) {
            d->top_bottleneck = t;
            d->top_bottleneck_count = g->bn_count[t];
            d->top_bottleneck_runs = g->bn_runs[t];
        }
    }
    for (size_t j = 0; j < g->n_nodes; j++) {
        const node_total *t = &g->nodes[j];
        if (t->cost_pusd <= 0)
            continue;
        if (best == NULL || t->cost_pusd > best->cost_pusd ||
            (t->cost_pusd == best->cost_pusd && strcmp(t->id, best->id) < 0))
            best = t;
    }
    if (best != NULL) {
        d->costliest_node = best->id;
        d->costliest_node_pusd = best->cost_pusd;
        d->costliest_node_runs = best->runs;
    }
}

void dp_summary_project(const dp_summary_dag *d, uint64_t runs_per_day,
                        dp_projection *p)
{
    dp_i128 n = (dp_i128)runs_per_day;
    p->daily_cost_p50 = n * d->cost_p50_pusd;
    p->daily_cost_p95 = n * d->cost_p95_pusd;
    p->daily_tokens_p50 = n * d->tokens_p50;
    p->daily_tokens_p95 = n * d->tokens_p95;
    p->monthly_cost_p50 = 30 * p->daily_cost_p50;
    p->monthly_cost_p95 = 30 * p->daily_cost_p95;
    p->monthly_tokens_p50 = 30 * p->daily_tokens_p50;
    p->monthly_tokens_p95 = 30 * p->daily_tokens_p95;
}

/* ------------------------------------------------------------------------ */
/* Text                                                                      */

#define LABEL_W 16 /* "  costliest node" */
#define CELL_W 14  /* one space + 13 right-aligned */

/* A writer that stops at the first error; cell is scratch for one value. */
typedef struct sw {
    dp_buf *b;
    dp_buf cell;
    int err;
} sw;

static void put(sw *w, const char *s)
{
    if (w->err == 0)
        w->err = dp_buf_puts(w->b, s);
}

static void pad_to(sw *w, size_t line_start, size_t col)
{
    while (w->err == 0 && w->b->len - line_start < col)
        w->err = dp_buf_puts(w->b, " ");
}

/* Appends the scratch cell right-aligned in CELL_W columns. */
static void put_cell(sw *w)
{
    size_t len = w->cell.len;
    for (size_t i = len; i < CELL_W - 1 && w->err == 0; i++)
        w->err = dp_buf_puts(w->b, " ");
    put(w, " ");
    if (w->err == 0 && len > 0)
        w->err = dp_buf_append(w->b, w->cell.data, len);
    dp_buf_reset(&w->cell);
}

static void cell_ms(sw *w, int64_t ns)
{
    if (w->err == 0)
        w->err = dp_buf_ms(&w->cell, ns);
    if (w->err == 0)
        w->err = dp_buf_puts(&w->cell, "ms");
    put_cell(w);
}

static void cell_usd(sw *w, dp_i128 pusd)
{
    if (w->err == 0)
        w->err = dp_stats_usd_text(&w->cell, pusd);
    put_cell(w);
}

static void cell_int(sw *w, dp_i128 v)
{
    if (w->err == 0)
        w->err = dp_stats_i128(&w->cell, v);
    put_cell(w);
}

static void cell_x100(sw *w, int64_t x100)
{
    if (w->err == 0)
        w->err = dp_stats_x100(&w->cell, x100);
    put_cell(w);
}

static void cell_str(sw *w, const char *s)
{
    if (w->err == 0)
        w->err = dp_buf_puts(&w->cell, s);
    put_cell(w);
}

/* Starts a row: the label, padded to column `col`. Returns the line start. */
static size_t row(sw *w, const char *label, size_t col)
{
    size_t start = w->b->len;
    put(w, label);
    pad_to(w, start, col);
    return start;
}

static void write_dag_text(sw *w, const dp_summary_dag *d,
                           uint64_t runs_per_day)
{
    dp_projection p;
    char tmp[128];

    put(w, d->dag_id[0] ? d->dag_id : "(no dagId)");
    snprintf(tmp, sizeof(tmp), ": %llu run%s\n", (unsigned long long)d->runs,
             d->runs == 1 ? "" : "s");
    put(w, tmp);
    row(w, "", LABEL_W);
    cell_str(w, "mean");
    cell_str(w, "p50");
    cell_str(w, "p95");
    cell_str(w, "max");
    put(w, "\n");
    row(w, "  wall", LABEL_W);
    cell_ms(w, d->wall_mean_ns);
    cell_ms(w, d->wall_p50_ns);
    cell_ms(w, d->wall_p95_ns);
    cell_ms(w, d->wall_max_ns);
    put(w, "\n");
    row(w, "  cost", LABEL_W);
    cell_usd(w, d->cost_mean_pusd);
    cell_usd(w, d->cost_p50_pusd);
    cell_usd(w, d->cost_p95_pusd);
    cell_usd(w, d->cost_max_pusd);
    put(w, "\n");
    row(w, "  tokens", LABEL_W);
    cell_x100(w, d->tokens_mean_x100);
    cell_int(w, d->tokens_p50);
    cell_int(w, d->tokens_p95);
    cell_int(w, d->tokens_max);
    put(w, "\n");

    row(w, "  top bottleneck:", LABEL_W + 2);
    if (d->top_bottleneck < 0) {
        put(w, "none\n");
    } else {
        put(w, dp_bottleneck_type_name(d->top_bottleneck));
        snprintf(tmp, sizeof(tmp), " (%llu detected in %llu of %llu runs)\n",
                 (unsigned long long)d->top_bottleneck_count,
                 (unsigned long long)d->top_bottleneck_runs,
                 (unsigned long long)d->runs);
        put(w, tmp);
    }
    row(w, "  costliest node:", LABEL_W + 2);
    if (d->costliest_node == NULL) {
        put(w, "none\n");
    } else {
        put(w, d->costliest_node);
        put(w, " (");
        if (w->err == 0)
            w->err = dp_stats_usd_text(w->b, d->costliest_node_pusd);
        snprintf(tmp, sizeof(tmp), " over %llu run%s)\n",
                 (unsigned long long)d->costliest_node_runs,
                 d->costliest_node_runs == 1 ? "" : "s");
        put(w, tmp);
    }
    if (runs_per_day == 0)
        return;

    dp_summary_project(d, runs_per_day, &p);
    snprintf(tmp, sizeof(tmp), "  projection at %llu runs/day",
             (unsigned long long)runs_per_day);
    row(w, tmp, LABEL_W + CELL_W);
    cell_str(w, "p50 run");
    cell_str(w, "p95 run");
    put(w, "\n");
    row(w, "    cost per day", LABEL_W + CELL_W);
    cell_usd(w, p.daily_cost_p50);
    cell_usd(w, p.daily_cost_p95);
    put(w, "\n");
    row(w, "    cost per 30 days", LABEL_W + CELL_W);
    cell_usd(w, p.monthly_cost_p50);
    cell_usd(w, p.monthly_cost_p95);
    put(w, "\n");
    row(w, "    tokens per day", LABEL_W + CELL_W);
    cell_int(w, p.daily_tokens_p50);
    cell_int(w, p.daily_tokens_p95);
    put(w, "\n");
    row(w, "    tokens per 30 days", LABEL_W + CELL_W);
    cell_int(w, p.monthly_tokens_p50);
    cell_int(w, p.monthly_tokens_p95);
    put(w, "\n");
}

int dp_summary_write_text(dp_summary *s, dp_buf *out, uint64_t runs_per_day)
{
    sw w = {out, {NULL, 0, 0}, 0};
    size_t start = out->len, n = dp_summary_dag_count(s);
    dp_summary_dag d;

    dp_buf_init(&w.cell);
    if (n == 0)
        put(&w, "no runs in the input\n");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            put(&w, "\n");
        dp_summary_dag_get(s, i, &d);
        write_dag_text(&w, &d, runs_per_day);
    }
    if (n > 0)
        put(&w, "\npercentiles: nearest rank (p95 of n runs is the "
                "ceil(0.95 n)-th smallest)\n");
    dp_buf_fini(&w.cell);
    if (w.err) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return w.err;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

static void jkey(sw *w, const char *sep, const char *k)
{
    put(w, sep);
    if (w->err == 0)
        w->err = dp_buf_json_string(w->b, k);
    put(w, ":");
}

static void jms(sw *w, const char *sep, const char *k, int64_t ns)
{
    jkey(w, sep, k);
    if (w->err == 0)
        w->err = dp_buf_ms(w->b, ns);
}

static void jusd(sw *w, const char *sep, const char *k, dp_i128 pusd)
{
    jkey(w, sep, k);
    if (w->err == 0)
        w->err = dp_stats_usd_exact(w->b, pusd);
}

static void jint(sw *w, const char *sep, const char *k, dp_i128 v)
{
    jkey(w, sep, k);
    if (w->err == 0)
        w->err = dp_stats_i128(w->b, v);
}

static void jproj(sw *w, const char *k, dp_i128 c50, dp_i128 c95, dp_i128 t50,
                  dp_i128 t95)
{
    jkey(w, ",", k);
    jusd(w, "{", "costP50", c50);
    jusd(w, ",", "costP95", c95);
    jint(w, ",", "tokensP50", t50);
    jint(w, ",", "tokensP95", t95);
    put(w, "}");
}

static void write_dag_json(sw *w, const dp_summary_dag *d,
                           uint64_t runs_per_day)
{
    dp_projection p;

    jkey(w, "{", "dagId");
    if (w->err == 0)
        w->err = dp_buf_json_string(w->b, d->dag_id);
    jint(w, ",", "runs", d->runs);
    jkey(w, ",", "wall");
    jms(w, "{", "mean", d->wall_mean_ns);
    jms(w, ",", "p50", d->wall_p50_ns);
    jms(w, ",", "p95", d->wall_p95_ns);
    jms(w, ",", "max", d->wall_max_ns);
    jkey(w, "},", "cost");
    jusd(w, "{", "mean", d->cost_mean_pusd);
    jusd(w, ",", "p50", d->cost_p50_pusd);
    jusd(w, ",", "p95", d->cost_p95_pusd);
    jusd(w, ",", "max", d->cost_max_pusd);
    jkey(w, "},", "tokens");
    jkey(w, "{", "mean");
    if (w->err == 0)
        w->err = dp_stats_x100(w->b, d->tokens_mean_x100);
    jint(w, ",", "p50", d->tokens_p50);
    jint(w, ",", "p95", d->tokens_p95);
    jint(w, ",", "max", d->tokens_max);
    jkey(w, "},", "topBottleneck");
    if (d->top_bottleneck < 0) {
        put(w, "null");
    } else {
        jkey(w, "{", "type");
        if (w->err == 0)
            w->err = dp_buf_json_string(
                w->b, dp_bottleneck_type_name(d->top_bottleneck));
        jint(w, ",", "occurrences", d->top_bottleneck_count);
        jint(w, ",", "runs", d->top_bottleneck_runs);
        put(w, "}");
    }
    jkey(w, ",", "costliestNode");
    if (d->costliest_node == NULL) {
        put(w, "null");
    } else {
        jkey(w, "{", "nodeId");
        if (w->err == 0)
            w->err = dp_buf_json_string(w->b, d->costliest_node);
        jusd(w, ",", "totalCost", d->costliest_node_pusd);
        jint(w, ",", "runs", d->costliest_node_runs);
        put(w, "}");
    }
    jkey(w, ",", "projection");
    if (runs_per_day == 0) {
        put(w, "null}\n");
        return;
    }
    dp_summary_project(d, runs_per_day, &p);
    jint(w, "{", "runsPerDay", runs_per_day);
    jproj(w, "daily", p.daily_cost_p50, p.daily_cost_p95, p.daily_tokens_p50,
          p.daily_tokens_p95);
    jproj(w, "monthly30d", p.monthly_cost_p50, p.monthly_cost_p95,
          p.monthly_tokens_p50, p.monthly_tokens_p95);
    put(w, "}}\n");
}

int dp_summary_write_json(dp_summary *s, dp_buf *out, uint64_t runs_per_day)
{
    sw w = {out, {NULL, 0, 0}, 0};
    size_t start = out->len, n = dp_summary_dag_count(s);
    dp_summary_dag d;

    for (size_t i = 0; i < n; i++) {
        dp_summary_dag_get(s, i, &d);
        write_dag_json(&w, &d, runs_per_day);
    }
    if (w.err) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return w.err;
}
