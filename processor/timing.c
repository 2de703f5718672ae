/*
 * timing.c - node timing, the critical path and parallelism (DESIGN.md
 * "Metrics"). Nodes are put in output order (start, end, id) and copied
 * into the profile with their kind, group, children and dependencies.
 * ready(n) is the latest end among its ready dependencies (leaves), never
 * before an enclosing group's start, else the run start; from it come
 * dependencyWait and queueDelay, with a node that starts before it is
 * ready (clock skew, bad data) given queueDelay 0, so nothing is negative.
 * The critical path, sumExecution, parallelism and peakConcurrency are
 * over leaves only: groups enclose them and would count their time twice.
 */
#include <stdlib.h>
#include <string.h>

#include "dag_build.h"

/* a - b for a >= b, else 0; at most INT64_MAX (spans centuries apart). */
static int64_t sub_clamp(uint64_t a, uint64_t b)
{
    uint64_t d = a > b ? a - b : 0;
    return d > INT64_MAX ? INT64_MAX : (int64_t)d;
}

/* t - base as a signed offset, clamped to the int64 range. */
static int64_t offset(uint64_t t, uint64_t base)
{
    uint64_t d = t >= base ? t - base : base - t;
    if (d > INT64_MAX)
        d = INT64_MAX;
    return t >= base ? (int64_t)d : -(int64_t)d;
}

/* Output order: start, ties by id (unique). */
static int cmp_out_order(const void *a, const void *b, void *ctx)
{
    const struct builder *bl = ctx;
    const struct tnode *x = &bl->nodes[*(const size_t *)a];
    const struct tnode *y = &bl->nodes[*(const size_t *)b];
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Copies v[0..n) (temp indices) into the profile's arena as output
 * indices, sorted. */
static size_t *out_list(struct builder *b, const size_t *v, size_t n)
{
    size_t *o = dp_arena_alloc(b->prof->arena, (n + 1) * sizeof(size_t));
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++)
        o[i] = b->nodes[v[i]].out;
    qsort(o, n, sizeof(size_t), cmp_size);
    return o;
}

static int fill_node(struct builder *b, const struct tnode *nd, dp_node *o)
{
    const dp__trace *t = b->t;
    o->id = dp_arena_strdup(b->prof->arena, nd->id);
    if (!o->id)
        return DP_ENOMEM;
    o->kind = nd->group ? DP_NODE_GROUP : DP_NODE_LEAF;
    o->parent = nd->parent >= 0 ? (long)b->nodes[nd->parent].out : -1;
    o->start_ns = offset(nd->start, b->run_start);
    o->end_ns = offset(nd->end, b->run_start);
    o->execution_ns = sub_clamp(nd->end, nd->start);
    o->duration_ns = sub_clamp(nd->end, b->run_start);
    o->attempts = nd->n_attempts;
    o->retries = nd->n_attempts - 1;
    o->status = t->spans[nd->attempts[nd->n_attempts - 1]].status;
    for (uint32_t a = 0; a < nd->n_attempts; a++) {
        const dp__span *s = &t->spans[nd->attempts[a]];
        int64_t r = -1;
        if (s->flags & DP__SPAN_RETRIES)
            r = s->retries;
        if ((s->flags & DP__SPAN_ATTEMPT) && s->attempt - 1 > r)
            r = s->attempt - 1;
        if (r > (int64_t)o->retries)
            o->retries = r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
        if (a + 1 < nd->n_attempts)
            o->failed_attempts_ns = dp__sat_add(
                o->failed_attempts_ns, sub_clamp(s->end_ns, s->start_ns));
    }
    o->dep_source = nd->dep_source;
    o->n_deps = nd->n_deps;
    o->n_ready_deps = nd->n_ready;
    if (!(o->deps = out_list(b, nd->deps, nd->n_deps)) ||
        !(o->ready_deps = out_list(b, nd->ready, nd->n_ready)))
        return DP_ENOMEM;

    uint64_t ready = b->run_start;
    for (size_t d = 0; d < nd->n_ready; d++)
        if (b->nodes[nd->ready[d]].end > ready)
            ready = b->nodes[nd->ready[d]].end;
    if (nd->group_start > ready)
        ready = nd->group_start;
    int64_t wait = sub_clamp(nd->start, b->run_start);
    o->wait_ns = wait;
    o->ready_ns = sub_clamp(ready, b->run_start);
    if (nd->start < ready) { /* starts before it is ready */
        o->queue_delay_ns = 0;
        o->dependency_wait_ns = wait;
    } else {
        o->dependency_wait_ns = sub_clamp(ready, b->run_start);
        o->queue_delay_ns = wait - o->dependency_wait_ns;
    }
    return 0;
}

static int fill_nodes(struct builder *b)
{
    dp_profile *prof = b->prof;
    size_t n = b->n_nodes;
    size_t *order = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    size_t *n_children = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    prof->nodes = dp_arena_alloc(prof->arena, (n + 1) * sizeof(dp_node));
    if (!order || !n_children || !prof->nodes)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++)
        order[k] = k;
    qsort_r(order, n, sizeof(size_t), cmp_out_order, b);
    for (size_t i = 0; i < n; i++)
        b->nodes[order[i]].out = i;
    prof->n_nodes = n;
    for (size_t i = 0; i < n; i++) {
        const struct tnode *nd = &b->nodes[order[i]];
        if (fill_node(b, nd, &prof->nodes[i]))
            return DP_ENOMEM;
        if (nd->parent >= 0)
            n_children[b->nodes[nd->parent].out]++;
        if (!nd->group)
            prof->n_leaves++;
    }
    for (size_t i = 0; i < n; i++) {
        dp_node *o = &prof->nodes[i];
        if (!n_children[i])
            continue;
        o->children =
            dp_arena_alloc(prof->arena, n_children[i] * sizeof(size_t));
        if (!o->children)
            return DP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) { /* in output order */
        long p = prof->nodes[i].parent;
        if (p >= 0)
            prof->nodes[p].children[prof->nodes[p].n_children++] = i;
    }
    return 0;
}

/* The leaf ending last (ties: earlier start, then id), then repeatedly its
 * ready dependency with the latest end, until a leaf has none. */
static bool cp_better(const dp_node *x, const dp_node *best)
{
    if (!best)
        return true;
    if (x->end_ns != best->end_ns)
        return x->end_ns > best->end_ns;
    if (x->start_ns != best->start_ns)
        return x->start_ns < best->start_ns;
    return strcmp(x->id, best->id) < 0;
}

static int critical_path(struct builder *b)
{
    dp_profile *prof = b->prof;
    size_t n = prof->n_nodes;
    if (!n)
        return 0;
    size_t *rev = dp_arena_alloc(b->tmp, n * sizeof(size_t));
    if (!rev)
        return DP_ENOMEM;
    size_t len = 0;
    long cur = -1;
    for (size_t i = 0; i < n; i++)
        if (prof->nodes[i].kind == DP_NODE_LEAF &&
            (cur < 0 || cp_better(&prof->nodes[i], &prof->nodes[cur])))
            cur = (long)i;
    while (cur >= 0 && !prof->nodes[cur].on_critical_path) {
        dp_node *nd = &prof->nodes[cur];
        nd->on_critical_path = true; /* also guards against cycles */
        rev[len++] = (size_t)cur;
        prof->critical_path_ns =
            dp__sat_add(prof->critical_path_ns, nd->execution_ns);
        long next = -1;
        for (size_t d = 0; d < nd->n_ready_deps; d++)
            if (next < 0 ||
                cp_better(&prof->nodes[nd->ready_deps[d]], &prof->nodes[next]))
                next = (long)nd->ready_deps[d];
        cur = next;
    }
    prof->critical_path = dp_arena_alloc(prof->arena, len * sizeof(size_t));
    if (!prof->critical_path)
        return DP_ENOMEM;
    for (size_t i = 0; i < len; i++)
        prof->critical_path[i] = rev[len - 1 - i];
    prof->n_critical_path = len;
    return 0;
}

struct event {
    int64_t t;
    int delta;
};

static int cmp_event(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->delta - y->delta; /* ends (-1) before starts: half-open */
}

/* For the concurrency sweep, a leaf that starts less than the inference
 * tolerance before its ready time (clock skew between start and end
 * stamps) counts from its ready time: it cannot have run beside the work
 * it waited for. */
static int64_t sweep_start(const struct builder *b, const dp_node *nd)
{
    int64_t ready = nd->ready_ns;
    int64_t tol = (int64_t)b->cfg->inference_tolerance_ns;
    if (ready > nd->start_ns && ready - nd->start_ns <= tol &&
        ready < nd->end_ns)
        return ready;
    return nd->start_ns;
}

static int parallelism(struct builder *b)
{
    dp_profile *prof = b->prof;
    size_t n = prof->n_nodes, ne = 0;
    struct event *ev = dp_arena_alloc(b->tmp, (2 * n + 1) * sizeof(*ev));
    if (!ev)
        return DP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const dp_node *nd = &prof->nodes[i];
        if (nd->kind != DP_NODE_LEAF)
            continue;
        prof->sum_execution_ns =
            dp__sat_add(prof->sum_execution_ns, nd->execution_ns);
        if (nd->end_ns <= nd->start_ns)
            continue; /* an empty interval never executes */
        ev[ne++] = (struct event){sweep_start(b, nd), +1};
        ev[ne++] = (struct event){nd->end_ns, -1};
    }
    qsort(ev, ne, sizeof(*ev), cmp_event);
    int cur = 0, peak = 0;
    for (size_t i = 0; i < ne; i++) {
        cur += ev[i].delta;
        if (cur > peak)
            peak = cur;
    }
    prof->peak_concurrency = (uint32_t)peak;
    double wall = (double)prof->wall_ns, cp = (double)prof->critical_path_ns;
    double sum = (double)prof->sum_execution_ns;
    prof->parallelization_efficiency = wall > 0 ? cp / wall : 0;
    prof->dag_parallelism = cp > 0 ? sum / cp : 0;
    prof->achieved_parallelism = wall > 0 ? sum / wall : 0;
    return 0;
}

int dp__timing_build(struct builder *b)
{
    if (fill_nodes(b) || critical_path(b) || parallelism(b))
        return DP_ENOMEM;
    return 0;
}
