/*
 * replay.c - the what-if list scheduler over a profile's leaf DAG
 * (replay.h has the model; DESIGN.md "Simulation (what-if)").
 *
 * Per replay: the node-level dependsOn lists, minus dropped edges, become
 * leaf edges (a dependency on a group means on its last leaves: children
 * no sibling depends on, recursively, as deps.c builds them); groups are
 * zero-width events. Leaves are released when their dependencies have
 * ended and their group has started, then taken from a heap ordered by
 * eligible time (ready + observed offset), observed start and nodeId; with
 * a worker limit each takes the worker that frees first. A dependency
 * cycle in the data (possible at leaf level through groups) is cut by
 * releasing the earliest-starting blocked node with its unfinished
 * dependencies' observed ends. Then the critical path (timing.c's rule on
 * the predicted times), group ends, the wall (latest end plus the run's
 * observed tail) and peak concurrency. Cost: O((V + E) log V) with E the
 * leaf edges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* ---- the leaf DAG of one replay ------------------------------------- */

#define graph rp_graph

static bool is_inside(const dp_profile *p, size_t k, size_t y)
{
    for (long g = (long)k; g >= 0; g = p->nodes[g].parent)
        if ((size_t)g == y)
            return true;
    return false;
}

static bool dropped(const struct rp_run *r, size_t k, size_t d)
{
    for (size_t i = 0; i < r->n_drops; i++)
        if (r->drops[i].x == d && is_inside(r->p, k, r->drops[i].y))
            return true;
    return false;
}

/* Last leaves of every node (a leaf: itself), deepest groups first. */
static int sinks_of(struct rp_run *r, size_t ***sinks, size_t **n_sinks)
{
    const dp_profile *p = r->p;
    size_t n = p->n_nodes;
    bool *depended = dp_arena_alloc(r->tmp, n + 1);
    size_t *depth = dp_arena_alloc(r->tmp, (n + 1) * sizeof(size_t));
    size_t *order = dp_arena_alloc(r->tmp, (n + 1) * sizeof(size_t));
    size_t *count = dp_arena_alloc(r->tmp, (n + 1) * sizeof(size_t));
    *sinks = dp_arena_alloc(r->tmp, (n + 1) * sizeof(size_t *));
    *n_sinks = count;
    if (!depended || !depth || !order || !count || !*sinks)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        const dp_node *nd = &p->nodes[k];
        for (size_t i = 0; i < nd->n_deps; i++) {
            size_t d = nd->deps[i];
            if (d < n && p->nodes[d].parent == nd->parent && !dropped(r, k, d))
                depended[d] = true;
        }
        size_t dep = 0;
        for (long g = nd->parent; g >= 0 && dep <= n; g = p->nodes[g].parent)
            dep++;
        depth[k] = dep;
    }
    /* counting sort by depth, deepest first */
    size_t *bucket = dp_arena_alloc(r->tmp, (n + 2) * sizeof(size_t));
    if (!bucket)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++)
        bucket[depth[k] < n ? depth[k] : n]++;
    size_t at = 0;
    for (size_t d = n + 1; d-- > 0;) {
        size_t c = bucket[d];
        bucket[d] = at;
        at += c;
    }
    for (size_t k = 0; k < n; k++)
        order[bucket[depth[k] < n ? depth[k] : n]++] = k;
    size_t *size = dp_arena_alloc(r->tmp, (n + 1) * sizeof(size_t));
    if (!size)
        return DP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t k = order[i];
        if (p->nodes[k].kind == DP_NODE_LEAF)
            size[k] = 1;
        long g = p->nodes[k].parent;
        if (g >= 0 && !depended[k])
            size[g] += size[k];
    }
    for (size_t k = 0; k < n; k++) {
        (*sinks)[k] = dp_arena_alloc(r->tmp, (size[k] + 1) * sizeof(size_t));
        if (!(*sinks)[k])
            return DP_ENOMEM;
        if (p->nodes[k].kind == DP_NODE_LEAF)
            (*sinks)[k][count[k]++] = k;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = order[i];
        long g = p->nodes[k].parent;
        if (g < 0 || depended[k])
            continue;
        memcpy((*sinks)[g] + count[g], (*sinks)[k], count[k] * sizeof(size_t));
        count[g] += count[k];
    }
    return 0;
}

/* Builds the leaf DAG of r (its dropped edges left out): scratch in
 * r->tmp, the lists in keep. */
static int graph_build(struct rp_run *r, struct graph *gr, dp_arena *keep)
{
    const dp_profile *p = r->p;
    size_t n = p->n_nodes;
    size_t **sinks, *n_sinks;
    if (sinks_of(r, &sinks, &n_sinks))
        return DP_ENOMEM;
    size_t *stamp = dp_arena_alloc(r->tmp, (n + 1) * sizeof(size_t));
    gr->pred_at = dp_arena_alloc(keep, (n + 2) * sizeof(size_t));
    gr->succ_at = dp_arena_alloc(keep, (n + 2) * sizeof(size_t));
    if (!stamp || !gr->pred_at || !gr->succ_at)
        return DP_ENOMEM;
    /* Two passes: count, then fill. */
    for (int pass = 0; pass < 2; pass++) {
        size_t total = 0;
        memset(stamp, 0, (n + 1) * sizeof(size_t));
        for (size_t k = 0; k < n; k++) {
            const dp_node *nd = &p->nodes[k];
            if (pass)
                gr->pred_at[k] = total;
            for (size_t i = 0; i < nd->n_deps; i++) {
                size_t d = nd->deps[i];
                if (d >= n || d == k || dropped(r, k, d))
                    continue;
                for (size_t s = 0; s < n_sinks[d]; s++) {
                    size_t leaf = sinks[d][s];
                    if (leaf == k || stamp[leaf] == k + 1)
                        continue;
                    stamp[leaf] = k + 1;
                    if (pass)
                        gr->pred[total] = leaf;
                    total++;
                }
            }
        }
        if (pass) {
            gr->pred_at[n] = total;
        } else {
            gr->pred = dp_arena_alloc(keep, (total + 1) * sizeof(size_t));
            gr->succ = dp_arena_alloc(keep, (total + 1) * sizeof(size_t));
            if (!gr->pred || !gr->succ)
                return DP_ENOMEM;
        }
    }
    /* Successors by counting. */
    memset(gr->succ_at, 0, (n + 2) * sizeof(size_t));
    for (size_t e = 0; e < gr->pred_at[n]; e++)
        gr->succ_at[gr->pred[e] + 1]++;
    for (size_t k = 0; k < n; k++)
        gr->succ_at[k + 1] += gr->succ_at[k];
    size_t *fill = stamp;
    memcpy(fill, gr->succ_at, (n + 1) * sizeof(size_t));
    for (size_t k = 0; k < n; k++)
        for (size_t e = gr->pred_at[k]; e < gr->pred_at[k + 1]; e++)
            gr->succ[fill[gr->pred[e]]++] = k;
    return 0;
}

/* ---- heaps ---------------------------------------------------------- */

struct sched {
    struct rp_run *r;
    int64_t *elig;
    size_t *heap;
    size_t n_heap;
    int64_t *wk; /* worker free times, min-heap */
    size_t n_wk;
};

static bool before(const struct sched *s, size_t a, size_t b)
{
    const dp_node *x = &s->r->p->nodes[a], *y = &s->r->p->nodes[b];
    if (s->elig[a] != s->elig[b])
        return s->elig[a] < s->elig[b];
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns;
    int c = strcmp(x->id ? x->id : "", y->id ? y->id : "");
    if (c)
        return c < 0;
    return a < b;
}

static void heap_push(struct sched *s, size_t k)
{
    size_t i = s->n_heap++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(s, k, s->heap[up]))
            break;
        s->heap[i] = s->heap[up];
        i = up;
    }
    s->heap[i] = k;
}

static size_t heap_pop(struct sched *s)
{
    size_t top = s->heap[0], last = s->heap[--s->n_heap], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_heap)
            break;
        if (c + 1 < s->n_heap && before(s, s->heap[c + 1], s->heap[c]))
            c++;
        if (!before(s, s->heap[c], last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_heap)
        s->heap[i] = last;
    return top;
}

/* Replaces the smallest worker free time with t. */
static void worker_take(struct sched *s, int64_t t)
{
    size_t i = 0, n = s->n_wk;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && s->wk[c + 1] < s->wk[c])
            c++;
        if (s->wk[c] >= t)
            break;
        s->wk[i] = s->wk[c];
        i = c;
    }
    s->wk[i] = t;
}

/* ---- the schedule --------------------------------------------------- */

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int schedule(struct rp_run *r, const struct graph *gr)
{
    const dp_profile *p = r->p;
    const dp_replay_ctx *c = r->ctx;
    size_t n = p->n_nodes;
    dp_replay_node *out = r->out->nodes;
    struct sched s = {.r = r};
    int64_t *ready = dp_arena_alloc(r->tmp, (n + 1) * sizeof(int64_t));
    int64_t *estart = dp_arena_alloc(r->tmp, (n + 1) * sizeof(int64_t));
    size_t *pending = dp_arena_alloc_raw(r->tmp, (n + 1) * sizeof(size_t));
    size_t *stack = dp_arena_alloc_raw(r->tmp, (n + 1) * sizeof(size_t));
    bool *done = dp_arena_alloc(r->tmp, n + 1);
    bool *released = dp_arena_alloc(r->tmp, n + 1);
    s.elig = dp_arena_alloc_raw(r->tmp, (n + 1) * sizeof(int64_t));
    s.heap = dp_arena_alloc_raw(r->tmp, (n + 1) * sizeof(size_t));
    if (!ready || !estart || !pending || !stack || !done || !released ||
        !s.elig || !s.heap)
        return DP_ENOMEM;
    if (r->workers && r->workers < n) {
        s.n_wk = r->workers;
        s.wk = dp_arena_alloc(r->tmp, s.n_wk * sizeof(int64_t));
        if (!s.wk)
            return DP_ENOMEM;
    }
    for (size_t k = 0; k < n; k++)
        pending[k] = (gr->pred_at[k + 1] - gr->pred_at[k]) +
                     (p->nodes[k].parent >= 0 ? 1 : 0);

    size_t sp = 0, resolved = 0, scan = 0;
    for (size_t k = 0; k < n; k++)
        if (!pending[k])
            stack[sp++] = k, released[k] = true;
    while (resolved < n) {
        /* Groups resolve at once; leaves go to the heap. */
        while (sp) {
            size_t k = stack[--sp];
            const dp_node *nd = &p->nodes[k];
            int64_t off = r->no_queue ? 0 : c->off[k];
            int64_t at = max64(0, ready[k] + off);
            if (nd->kind == DP_NODE_LEAF) {
                s.elig[k] = at;
                heap_push(&s, k);
                continue;
            }
            out[k].start_ns = at;
            out[k].ready_ns = ready[k];
            estart[k] = max64(at, nd->parent >= 0 ? estart[nd->parent] : 0);
            done[k] = true;
            resolved++;
            for (size_t i = 0; i < nd->n_children; i++) {
                size_t ch = nd->children[i];
                if (ch >= n || done[ch] || released[ch])
                    continue;
                ready[ch] = max64(ready[ch], estart[k]);
                if (--pending[ch] == 0)
                    stack[sp++] = ch, released[ch] = true;
            }
        }
        if (s.n_heap == 0) {
            if (resolved >= n)
                break;
            /* A cycle: release the earliest unreleased node, its
             * unfinished dependencies counted at their observed ends. */
            while (scan < n && released[scan])
                scan++;
            if (scan >= n)
                return dp__replay_fail(r, DP_EINVAL, "replay stalled");
            size_t k = scan;
            for (size_t e = gr->pred_at[k]; e < gr->pred_at[k + 1]; e++)
                if (!done[gr->pred[e]])
                    ready[k] = max64(ready[k], p->nodes[gr->pred[e]].end_ns);
            long g = p->nodes[k].parent;
            if (g >= 0 && !done[g])
                ready[k] = max64(ready[k], p->nodes[g].start_ns);
            pending[k] = 0;
            released[k] = true;
            stack[sp++] = k;
            continue;
        }
        size_t k = heap_pop(&s);
        int64_t start = s.elig[k];
        if (s.n_wk) {
            start = max64(start, s.wk[0]);
        }
        int64_t end = dp__sat_add(start, r->exec[k]);
        if (s.n_wk)
            worker_take(&s, end);
        out[k].start_ns = start;
        out[k].end_ns = end;
        out[k].ready_ns = ready[k];
        done[k] = true;
        resolved++;
        for (size_t e = gr->succ_at[k]; e < gr->succ_at[k + 1]; e++) {
            size_t sc = gr->succ[e];
            if (released[sc])
                continue;
            ready[sc] = max64(ready[sc], end);
            if (--pending[sc] == 0)
                stack[sp++] = sc, released[sc] = true;
        }
    }
    return 0;
}

/* Group ends: their latest leaf's predicted end plus their observed tail
 * (never before the group's start); a group without leaves keeps its
 * execution. Then the wall. */
static void group_ends(struct rp_run *r)
{
    const dp_profile *p = r->p;
    const dp_replay_ctx *c = r->ctx;
    dp_replay_node *out = r->out->nodes;
    size_t n = p->n_nodes;
    for (size_t k = 0; k < n; k++)
        if (p->nodes[k].kind == DP_NODE_GROUP)
            out[k].end_ns = INT64_MIN;
    for (size_t k = 0; k < n; k++) {
        if (p->nodes[k].kind != DP_NODE_LEAF)
            continue;
        for (long g = p->nodes[k].parent; g >= 0; g = p->nodes[g].parent)
            if (out[g].end_ns < out[k].end_ns)
                out[g].end_ns = out[k].end_ns;
    }
    int64_t latest = 0;
    for (size_t k = 0; k < n; k++) {
        if (p->nodes[k].kind == DP_NODE_GROUP) {
            if (c->has_leaf[k]) /* never before it starts (skewed data) */
                out[k].end_ns = max64(out[k].start_ns,
                                      dp__sat_add(out[k].end_ns, c->gtail[k]));
            else
                out[k].end_ns = dp__sat_add(out[k].start_ns, r->exec[k]);
        }
        out[k].execution_ns = out[k].end_ns > out[k].start_ns
                                  ? out[k].end_ns - out[k].start_ns
                                  : 0;
        if (p->nodes[k].kind == DP_NODE_LEAF) {
            out[k].execution_ns = r->exec[k];
            r->out->sum_execution_ns =
                dp__sat_add(r->out->sum_execution_ns, r->exec[k]);
        }
        latest = max64(latest, out[k].end_ns);
    }
    r->out->wall_ns = n ? dp__sat_add(latest, c->tail) : p->wall_ns;
}

static bool cp_better(const dp_profile *p, const dp_replay_node *o, size_t x,
                      long best)
{
    if (best < 0)
        return true;
    if (o[x].end_ns != o[best].end_ns)
        return o[x].end_ns > o[best].end_ns;
    if (o[x].start_ns != o[best].start_ns)
        return o[x].start_ns < o[best].start_ns;
    return strcmp(p->nodes[x].id, p->nodes[best].id) < 0;
}

static int critical_path(struct rp_run *r, const struct graph *gr)
{
    const dp_profile *p = r->p;
    dp_replay *o = r->out;
    size_t n = p->n_nodes, len = 0;
    size_t *rev = dp_arena_alloc_raw(r->tmp, (n + 1) * sizeof(size_t));
    o->critical_path = malloc((n + 1) * sizeof(size_t));
    if (!rev || !o->critical_path)
        return DP_ENOMEM;
    long cur = -1;
    for (size_t k = 0; k < n; k++)
        if (p->nodes[k].kind == DP_NODE_LEAF && cp_better(p, o->nodes, k, cur))
            cur = (long)k;
    while (cur >= 0 && !o->nodes[cur].on_critical_path) {
        o->nodes[cur].on_critical_path = true;
        rev[len++] = (size_t)cur;
        o->critical_path_ns =
            dp__sat_add(o->critical_path_ns, o->nodes[cur].execution_ns);
        long next = -1;
        for (size_t e = gr->pred_at[cur]; e < gr->pred_at[cur + 1]; e++)
            if (cp_better(p, o->nodes, gr->pred[e], next))
                next = (long)gr->pred[e];
        cur = next;
    }
    for (size_t i = 0; i < len; i++)
        o->critical_path[i] = rev[len - 1 - i];
    o->n_critical_path = len;
    return 0;
}

struct ev {
    int64_t t;
    int d;
};

static int cmp_ev(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->d - y->d; /* ends first: half-open */
}

static int concurrency(struct rp_run *r)
{
    const dp_profile *p = r->p;
    dp_replay *o = r->out;
    size_t n = p->n_nodes, ne = 0;
    struct ev *ev = dp_arena_alloc_raw(r->tmp, (2 * n + 1) * sizeof(*ev));
    if (!ev)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        if (p->nodes[k].kind != DP_NODE_LEAF)
            continue;
        if (o->nodes[k].end_ns <= o->nodes[k].start_ns)
            continue;
        ev[ne++] = (struct ev){o->nodes[k].start_ns, +1};
        ev[ne++] = (struct ev){o->nodes[k].end_ns, -1};
    }
    qsort(ev, ne, sizeof(*ev), cmp_ev);
    int cur = 0, peak = 0;
    for (size_t i = 0; i < ne; i++) {
        cur += ev[i].d;
        if (cur > peak)
            peak = cur;
    }
    o->peak_concurrency = (uint32_t)peak;
    return 0;
}

/* ---- context -------------------------------------------------------- */

void dp_replay_destroy(dp_replay_ctx *c)
{
    if (!c)
        return;
    free(c->off);
    free(c->gtail);
    free(c->has_leaf);
    free(c->ids.keys);
    free(c->ids.vals);
    dp_arena_destroy(c->garena);
    dp_arena_destroy(c->scratch);
    free(c);
}

dp_replay_ctx *dp_replay_create(const dp_profile *p, const dp_pricing *pricing,
                                bool from_file)
{
    dp_replay_ctx *c = calloc(1, sizeof(*c));
    if (!c || !p)
        goto err;
    size_t n = p->n_nodes;
    c->p = p;
    c->pricing = pricing;
    c->from_file = from_file;
    c->n = n;
    c->off = calloc(n + 1, sizeof(int64_t));
    c->gtail = calloc(n + 1, sizeof(int64_t));
    c->has_leaf = calloc(n + 1, sizeof(bool));
    c->ids.cap = 16;
    while (c->ids.cap < 2 * n)
        c->ids.cap *= 2;
    c->ids.keys = calloc(c->ids.cap, sizeof(char *));
    c->ids.vals = calloc(c->ids.cap, sizeof(size_t));
    if (!c->off || !c->gtail || !c->has_leaf || !c->ids.keys || !c->ids.vals)
        goto err;
    for (size_t k = 0; k < n; k++) {
        if (!p->nodes[k].id)
            continue;
        size_t i = dp__replay_id_slot(c, p->nodes[k].id);
        if (!c->ids.keys[i]) {
            c->ids.keys[i] = p->nodes[k].id;
            c->ids.vals[i] = k;
        }
    }
    /* The unchanged leaf DAG, kept for every replay that drops no edge;
     * observed ready times over it give the offsets. */
    struct rp_run r = {.ctx = c, .p = p};
    c->garena = dp_arena_create(4096 + n * 64);
    c->scratch = dp_arena_create(4096 + n * 256);
    r.tmp = dp_arena_create(4096 + n * 64);
    if (!c->garena || !c->scratch || !r.tmp) {
        dp_arena_destroy(r.tmp);
        goto err;
    }
    /* sinks and scratch in r.tmp, the lists themselves in garena */
    if (graph_build(&r, &c->base, c->garena)) {
        dp_arena_destroy(r.tmp);
        goto err;
    }
    struct graph gr = c->base;
    int64_t latest = 0;
    for (size_t k = 0; k < n; k++) {
        const dp_node *nd = &p->nodes[k];
        int64_t ready = 0;
        for (size_t e = gr.pred_at[k]; e < gr.pred_at[k + 1]; e++)
            ready = max64(ready, p->nodes[gr.pred[e]].end_ns);
        for (long g = nd->parent; g >= 0; g = p->nodes[g].parent)
            ready = max64(ready, p->nodes[g].start_ns);
        c->off[k] = dp__sat_sub(nd->start_ns, ready);
        latest = max64(latest, nd->end_ns);
        if (nd->kind == DP_NODE_LEAF)
            for (long g = nd->parent; g >= 0; g = p->nodes[g].parent) {
                if (!c->has_leaf[g] || c->gtail[g] < nd->end_ns)
                    c->gtail[g] = nd->end_ns; /* latest leaf end, for now */
                c->has_leaf[g] = true;
            }
    }
    for (size_t k = 0; k < n; k++)
        if (c->has_leaf[k])
            c->gtail[k] = dp__sat_sub(p->nodes[k].end_ns, c->gtail[k]);
    c->tail = dp__sat_sub(p->wall_ns, latest);
    dp_arena_destroy(r.tmp);
    return c;
err:
    dp_replay_destroy(c);
    return NULL;
}

/* ---- one replay ----------------------------------------------------- */

void dp_replay_fini(dp_replay *o)
{
    if (!o)
        return;
    free(o->critical_path);
    free(o->nodes);
    for (size_t i = 0; i < o->n_notes; i++)
        free(o->notes[i]);
    free(o->notes);
    memset(o, 0, sizeof(*o));
}

int dp_replay_run(dp_replay_ctx *c, const dp_change *changes, size_t n_changes,
                  dp_replay *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    if (err && err_len)
        err[0] = '\0';
    if (!c)
        return DP_EINVAL;
    const dp_profile *p = c->p;
    size_t n = p->n_nodes;
    struct rp_run r = {
        .ctx = c, .p = p, .out = out, .err = err, .err_len = err_len};
    struct graph gr = c->base;
    int rc = DP_ENOMEM;
    r.tmp = c->scratch;
    dp_arena_reset(r.tmp);
    out->nodes = calloc(n + 1, sizeof(dp_replay_node));
    out->n_nodes = n;
    if (!out->nodes)
        goto fail;
    rc = dp__replay_apply(&r, changes, n_changes);
    if (rc)
        goto fail;
    rc = DP_ENOMEM;
    if (r.n_drops && graph_build(&r, &gr, r.tmp))
        goto fail;
    rc = schedule(&r, &gr);
    if (rc)
        goto fail;
    group_ends(&r);
    rc = DP_ENOMEM;
    if (critical_path(&r, &gr) || (!c->no_peak && concurrency(&r)))
        goto fail;
    return 0;
fail:
    dp_replay_fini(out);
    return rc;
}
