/*
 * deps.c - dependencies between nodes (DESIGN.md "Dependencies").
 *
 * Per node, the first source present: span links to spans of other nodes,
 * else dag.node.depends_on, else graph.node.parent_id (an explicitly empty
 * depends_on declares "none"). A reference to an id several executions
 * share means the latest one that ended by the node's start. A reference
 * to the node itself or to an unknown node is dropped with a warning; one
 * to an enclosing group is a statement of nesting, not of order, and is
 * dropped silently. A node left with no usable declaration gets its
 * dependencies inferred from timing, among the nodes of its own group:
 * A is a candidate for B when A started before B and ended at or before
 * B's start plus the tolerance (never more than half the shorter
 * execution); candidates reachable through another candidate are dropped
 * (transitive reduction). Declared cycles are broken by dropping the edge
 * whose source starts later. Last, the leaf DAG: a dependency on a group
 * means on its last leaves, and a node with no dependency of its own
 * inherits its group's.
 */
#include <stdlib.h>
#include <string.h>

#include "dag_build.h"
#include "hex.h"
#include "span_index.h"

struct dep_ctx {
    struct builder *b;
    struct strmap ids;   /* unique id -> temp node */
    struct strmap bases; /* base id -> first index in by_base */
    size_t *by_base;     /* temp nodes sorted by base, then start */
    size_t *base_count;  /* per by_base run start: its length */
    size_t *stamp;       /* per node: k + 1 when already a dep of node k */
    size_t *scratch;
    uint32_t *tin, *tout; /* Euler tour of the group tree */
};

static uint64_t exec_of(const struct tnode *n)
{
    return n->end - n->start;
}

static int cmp_by_base(const void *a, const void *b, void *ctx)
{
    const struct tnode *x, *y;
    int c = dp__tnode_cmp_base(a, b, ctx, &x, &y);
    if (c)
        return c;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Pre/post order numbers of the group tree, so "is an ancestor" is O(1). */
static int euler_tour(struct dep_ctx *c)
{
    struct builder *b = c->b;
    size_t n = b->n_nodes;
    size_t *first = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    size_t *next = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    size_t *stack = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    bool *open = dp_arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    c->tin = dp_arena_alloc(b->tmp, (n + 1) * sizeof(uint32_t));
    c->tout = dp_arena_alloc(b->tmp, (n + 1) * sizeof(uint32_t));
    if (!first || !next || !stack || !open || !c->tin || !c->tout)
        return DP_ENOMEM;
    for (size_t k = 0; k <= n; k++)
        first[k] = SIZE_MAX; /* first[n]: the top level */
    for (size_t k = n; k-- > 0;) {
        size_t p = b->nodes[k].parent >= 0 ? (size_t)b->nodes[k].parent : n;
        next[k] = first[p];
        first[p] = k;
    }
    uint32_t clock = 0;
    size_t sp = 0;
    for (size_t r = first[n]; r != SIZE_MAX; r = next[r]) {
        stack[sp++] = r;
        while (sp) {
            size_t k = stack[sp - 1];
            if (!open[k]) {
                open[k] = true;
                c->tin[k] = clock++;
                for (size_t ch = first[k]; ch != SIZE_MAX; ch = next[ch])
                    stack[sp++] = ch;
            } else {
                c->tout[k] = clock++;
                sp--;
            }
        }
    }
    return 0;
}

static bool is_ancestor(const struct dep_ctx *c, size_t a, size_t k)
{
    return c->tin[a] < c->tin[k] && c->tout[k] < c->tout[a];
}

static int names_init(struct dep_ctx *c)
{
    struct builder *b = c->b;
    size_t n = b->n_nodes;
    c->by_base = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    c->base_count = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    c->stamp = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    c->scratch = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    if (!c->by_base || !c->base_count || !c->stamp || !c->scratch ||
        dp__strmap_init(&c->ids, b->tmp, n) ||
        dp__strmap_init(&c->bases, b->tmp, n))
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        size_t slot = dp__strmap_slot(&c->ids, b->nodes[k].id);
        c->ids.keys[slot] = b->nodes[k].id;
        c->ids.vals[slot] = k;
        c->by_base[k] = k;
    }
    qsort_r(c->by_base, n, sizeof(size_t), cmp_by_base, b);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        const char *base = b->nodes[c->by_base[i]].base;
        while (j < n && strcmp(b->nodes[c->by_base[j]].base, base) == 0)
            j++;
        size_t slot = dp__strmap_slot(&c->bases, base);
        c->bases.keys[slot] = base;
        c->bases.vals[slot] = i;
        c->base_count[i] = j - i;
        i = j;
    }
    return 0;
}

/* The node a declared reference names, seen from node k, or -1. */
static long resolve_ref(const struct dep_ctx *c, const char *ref, size_t k)
{
    const struct builder *b = c->b;
    long at = dp__strmap_get(&c->bases, ref);
    if (at < 0 || c->base_count[at] == 1)
        return dp__strmap_get(&c->ids, ref);
    /* Several executions: the latest that ended by k's start (within the
     * tolerance), else the latest that started before k, else the first. */
    const struct tnode *nk = &b->nodes[k];
    uint64_t tol = b->cfg->inference_tolerance_ns;
    long ended = -1, started = -1;
    for (size_t i = 0; i < c->base_count[at]; i++) {
        size_t x = c->by_base[(size_t)at + i];
        const struct tnode *nx = &b->nodes[x];
        if (x == k)
            continue;
        if (nx->end <= nk->start + tol &&
            (ended < 0 || nx->end >= b->nodes[ended].end))
            ended = (long)x;
        if (nx->start < nk->start)
            started = (long)x;
    }
    if (ended >= 0)
        return ended;
    return started >= 0 ? started : (long)c->by_base[at];
}

enum add_result { ADD_OK, ADD_DUP, ADD_NESTING, ADD_SELF, ADD_INSIDE };

static int add_dep(struct dep_ctx *c, size_t k, size_t d, size_t *ns)
{
    if (d == k)
        return ADD_SELF;
    if (is_ancestor(c, d, k))
        return ADD_NESTING;
    if (is_ancestor(c, k, d))
        return ADD_INSIDE;
    if (c->stamp[d] == k + 1)
        return ADD_DUP;
    c->stamp[d] = k + 1;
    c->scratch[(*ns)++] = d;
    return ADD_OK;
}

static int store_deps(struct builder *b, struct tnode *nd, const size_t *v,
                      size_t n)
{
    nd->n_deps = n;
    nd->deps = NULL;
    if (!n)
        return 0;
    nd->deps = dp_arena_alloc(b->tmp, n * sizeof(size_t));
    if (!nd->deps)
        return DP_ENOMEM;
    memcpy(nd->deps, v, n * sizeof(size_t));
    return 0;
}

/* Adds the reference ref (from an attribute) of node k; warns about
 * self and unknown references and those to nodes inside k. Returns the
 * add_result, or -1 for unknown, or DP_ENOMEM (< -1). */
static int add_ref(struct dep_ctx *c, size_t k, const char *ref,
                   const char *attr, size_t *ns)
{
    struct builder *b = c->b;
    long d = resolve_ref(c, ref, k);
    const char *id = b->nodes[k].id;
    if (d < 0)
        return dp__warn(b, "%s: %s names an unknown node \"%s\" (ignored)", id,
                        attr, ref)
                   ? DP_ENOMEM
                   : -1;
    int r = add_dep(c, k, (size_t)d, ns);
    if (r == ADD_SELF &&
        dp__warn(b, "%s: %s names the node itself (ignored)", id, attr))
        return DP_ENOMEM;
    if (r == ADD_INSIDE &&
        dp__warn(b, "%s: %s names \"%s\", which runs inside it (ignored)", id,
                 attr, b->nodes[d].id))
        return DP_ENOMEM;
    return r;
}

static int declared_links(struct dep_ctx *c, size_t k, size_t *ns)
{
    struct builder *b = c->b;
    const dp__trace *t = b->t;
    struct tnode *nd = &b->nodes[k];
    for (uint32_t a = 0; a < nd->n_attempts; a++) {
        const dp__span *s = &t->spans[nd->attempts[a]];
        for (uint32_t l = 0; l < s->n_links; l++) {
            long sp = dp__trace_find_span(t, s->links[l].span_id);
            if (sp < 0) {
                char hex[17];
                dp_hex_encode(s->links[l].span_id, 8, hex);
                if (dp__warn(b,
                             "%s: links to span %s, which is not in the "
                             "trace (ignored)",
                             nd->id, hex))
                    return DP_ENOMEM;
                continue;
            }
            if (b->owner[sp] < 0 || (size_t)b->owner[sp] == k)
                continue; /* not a span of another node */
            int r = add_dep(c, k, (size_t)b->owner[sp], ns);
            if (r == ADD_INSIDE &&
                dp__warn(b,
                         "%s: links to \"%s\", which runs inside it "
                         "(ignored)",
                         nd->id, b->nodes[b->owner[sp]].id))
                return DP_ENOMEM;
        }
    }
    return 0;
}

/* Declared dependencies of every node; nodes with none usable are left
 * undeclared for inference. */
static int declared_deps(struct dep_ctx *c)
{
    struct builder *b = c->b;
    const dp__trace *t = b->t;
    for (size_t k = 0; k < b->n_nodes; k++) {
        struct tnode *nd = &b->nodes[k];
        size_t ns = 0;
        if (declared_links(c, k, &ns))
            return DP_ENOMEM;
        if (ns) {
            nd->dep_source = DP_DEP_LINKS;
            nd->declared = true;
            if (store_deps(b, nd, c->scratch, ns))
                return DP_ENOMEM;
            continue;
        }
        bool has_attr = false, explicit_none = false;
        for (uint32_t a = 0; a < nd->n_attempts; a++) {
            const dp__span *s = &t->spans[nd->attempts[a]];
            if (!(s->flags & DP__SPAN_DEPENDS))
                continue;
            has_attr = true;
            explicit_none |= s->n_depends_on == 0;
            for (uint32_t d = 0; d < s->n_depends_on; d++)
                if (add_ref(c, k, s->depends_on[d], "dag.node.depends_on",
                            &ns) < -1)
                    return DP_ENOMEM;
        }
        if (!has_attr) {
            for (uint32_t a = 0; a < nd->n_attempts; a++) {
                const dp__span *s = &t->spans[nd->attempts[a]];
                if (s->graph_parent &&
                    add_ref(c, k, s->graph_parent, "graph.node.parent_id",
                            &ns) < -1)
                    return DP_ENOMEM;
            }
        }
        /* Usable: some edge, or an explicitly empty depends_on. */
        nd->declared = ns > 0 || explicit_none;
        nd->dep_source = ns ? DP_DEP_ATTRIBUTE : DP_DEP_NONE;
        if (store_deps(b, nd, c->scratch, ns))
            return DP_ENOMEM;
    }
    return 0;
}

/* ---- inference ------------------------------------------------------------
 */

struct member {
    size_t node;
    uint64_t start, end;
    uint64_t lo_end;   /* end - min(tol, exec / 2) */
    uint64_t hi_start; /* start + min(tol, exec / 2) */
    bool declared;
};

/* A is a candidate for C: A started before C and ended by C's start plus
 * min(tol, half of either execution). */
static bool precedes(const struct member *a, const struct member *c)
{
    return a->start < c->start && a->lo_end <= c->start &&
           a->end <= c->hi_start;
}

static int cmp_lo_end(const void *x, const void *y)
{
    const struct member *a = x, *b = y;
    if (a->lo_end != b->lo_end)
        return a->lo_end < b->lo_end ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->node < b->node ? -1 : a->node > b->node;
}

static int cmp_start_desc(const void *x, const void *y)
{
    const struct member *a = *(struct member *const *)x;
    const struct member *b = *(struct member *const *)y;
    if (a->start != b->start)
        return a->start > b->start ? -1 : 1;
    return a->node < b->node ? -1 : a->node > b->node;
}

static bool has_dep(const struct tnode *n, size_t d)
{
    for (size_t i = 0; i < n->n_deps; i++)
        if (n->deps[i] == d)
            return true;
    return false;
}

/*
 * Inferred dependencies of the undeclared nodes among members m[0..n) (one
 * group), sorted by lo_end. For B, the candidates are a prefix by lo_end;
 * scanning it backwards, once a candidate's lo_end + tol falls below M, the
 * latest start of an undeclared candidate C seen so far, it and all before
 * it end before C starts, so they reach B through C and are dropped. What
 * remains (the window, normally a handful) is reduced pairwise: A goes
 * when another candidate C has A as a candidate (C undeclared) or as a
 * declared dependency. Cost: O(n log n + sum of window^2).
 */
static int infer_members(struct dep_ctx *c, struct member *m, size_t n)
{
    struct builder *b = c->b;
    uint64_t tol = b->cfg->inference_tolerance_ns;
    struct member **w = dp_arena_alloc(b->tmp, (n + 1) * sizeof(*w));
    if (!w)
        return DP_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        struct member *B = &m[j];
        struct tnode *nb = &b->nodes[B->node];
        if (B->declared)
            continue;
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (m[mid].lo_end <= B->start)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t nw = 0;
        bool have_m = false;
        uint64_t M = 0;
        for (size_t k = lo; k-- > 0;) {
            struct member *A = &m[k];
            if (A == B)
                continue;
            if (have_m && A->lo_end + tol < M)
                break;
            if (!precedes(A, B))
                continue;
            w[nw++] = A;
            if (!A->declared && (!have_m || A->start > M)) {
                M = A->start;
                have_m = true;
            }
        }
        qsort(w, nw, sizeof(*w), cmp_start_desc);
        size_t ns = 0;
        for (size_t x = 0; x < nw; x++) {
            const struct member *A = w[x];
            bool redundant = false;
            for (size_t y = 0; y < nw && !redundant; y++) {
                const struct member *C = w[y];
                if (C == A)
                    continue;
                if (C->declared)
                    redundant = has_dep(&b->nodes[C->node], A->node);
                else if (C->start < A->lo_end)
                    break; /* sorted by start, descending */
                else
                    redundant = precedes(A, C);
            }
            if (!redundant)
                c->scratch[ns++] = A->node;
        }
        if (store_deps(b, nb, c->scratch, ns))
            return DP_ENOMEM;
        nb->dep_source = ns ? DP_DEP_INFERRED : DP_DEP_NONE;
    }
    return 0;
}

static int cmp_parent(const void *a, const void *b, void *ctx)
{
    const struct builder *bl = ctx;
    long x = bl->nodes[*(const size_t *)a].parent;
    long y = bl->nodes[*(const size_t *)b].parent;
    if (x != y)
        return x < y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int infer_deps(struct dep_ctx *c)
{
    struct builder *b = c->b;
    size_t n = b->n_nodes;
    uint64_t tol = b->cfg->inference_tolerance_ns;
    size_t *order = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    struct member *m = dp_arena_alloc(b->tmp, (n + 1) * sizeof(*m));
    if (!order || !m)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++)
        order[k] = k;
    qsort_r(order, n, sizeof(size_t), cmp_parent, b);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        bool any_undeclared = false;
        while (j < n && b->nodes[order[j]].parent == b->nodes[order[i]].parent)
            any_undeclared |= !b->nodes[order[j++]].declared;
        if (any_undeclared) {
            for (size_t k = i; k < j; k++) {
                const struct tnode *nd = &b->nodes[order[k]];
                uint64_t half = exec_of(nd) / 2;
                uint64_t eps = half < tol ? half : tol;
                m[k - i] = (struct member){order[k],        nd->start,
                                           nd->end,         nd->end - eps,
                                           nd->start + eps, nd->declared};
            }
            qsort(m, j - i, sizeof(*m), cmp_lo_end);
            if (infer_members(c, m, j - i))
                return DP_ENOMEM;
        }
        i = j;
    }
    return 0;
}

/* ---- cycles ----------------------------------------------------------------
 */

/* Finds one cycle by DFS along deps and drops its edge whose source starts
 * latest (ties: the larger id). Returns 1 when an edge was dropped, 0 when
 * the graph is acyclic, or DP_ENOMEM. O(V + E). */
static int break_one_cycle(struct dep_ctx *c, uint8_t *color, size_t *stack,
                           size_t *edge)
{
    struct builder *b = c->b;
    size_t n = b->n_nodes;
    memset(color, 0, n + 1);
    for (size_t r = 0; r < n; r++) {
        if (color[r])
            continue;
        size_t sp = 0;
        stack[sp] = r;
        edge[sp++] = 0;
        color[r] = 1;
        while (sp) {
            size_t k = stack[sp - 1];
            struct tnode *nd = &b->nodes[k];
            if (edge[sp - 1] == nd->n_deps) {
                color[k] = 2;
                sp--;
                continue;
            }
            size_t d = nd->deps[edge[sp - 1]++];
            if (color[d] == 0) {
                color[d] = 1;
                stack[sp] = d;
                edge[sp++] = 0;
                continue;
            }
            if (color[d] != 1)
                continue;
            /* Cycle: stack from d's position to the top, then back to d.
             * Edge i is (stack[i+1] -> stack[i]) with source stack[i+1]
             * (stack[i] depends on it); the closing edge's source is d. */
            size_t from = sp - 1;
            while (stack[from] != d)
                from--;
            size_t best_node = stack[sp - 1], best_src = d;
            for (size_t i = from; i < sp; i++) {
                size_t dep = i + 1 < sp ? stack[i + 1] : d;
                const struct tnode *s = &b->nodes[dep];
                const struct tnode *cur = &b->nodes[best_src];
                if (s->start > cur->start ||
                    (s->start == cur->start && strcmp(s->id, cur->id) > 0)) {
                    best_src = dep;
                    best_node = stack[i];
                }
            }
            struct tnode *to = &b->nodes[best_node];
            for (size_t i = 0; i < to->n_deps; i++)
                if (to->deps[i] == best_src) {
                    to->deps[i] = to->deps[--to->n_deps];
                    break;
                }
            if (!to->n_deps && to->dep_source != DP_DEP_INFERRED)
                to->dep_source = DP_DEP_NONE;
            return dp__warn(b, "dependency cycle: dropped %s -> %s",
                            b->nodes[best_src].id, to->id)
                       ? DP_ENOMEM
                       : 1;
        }
    }
    return 0;
}

static int break_cycles(struct dep_ctx *c)
{
    struct builder *b = c->b;
    size_t n = b->n_nodes, edges = 0;
    uint8_t *color = dp_arena_alloc(b->tmp, n + 1);
    size_t *stack = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    size_t *edge = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    if (!color || !stack || !edge)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++)
        edges += b->nodes[k].n_deps;
    for (size_t i = 0; i <= edges; i++) {
        int r = break_one_cycle(c, color, stack, edge);
        if (r <= 0)
            return r;
    }
    return 0;
}

/* ---- the leaf DAG -----------------------------------------------------------
 */

/*
 * Ready dependencies: a node's own deps, or when it has none, those of its
 * nearest enclosing group that has some (then also reported as its deps,
 * with that group's source); each group among them replaced by its last
 * leaves (children no sibling depends on, recursively). Groups are visited
 * deepest first so a group's last leaves are known when needed.
 */
static int leaf_dag(struct dep_ctx *c)
{
    struct builder *b = c->b;
    size_t n = b->n_nodes;
    size_t **sinks = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t *));
    size_t *n_sinks = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    bool *depended = dp_arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    long *inherit = dp_arena_alloc(b->tmp, (n + 1) * sizeof(long));
    size_t *count = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    if (!sinks || !n_sinks || !depended || !inherit || !count)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        const struct tnode *nd = &b->nodes[k];
        for (size_t i = 0; i < nd->n_deps; i++)
            if (b->nodes[nd->deps[i]].parent == nd->parent)
                depended[nd->deps[i]] = true;
    }
    /* Sizes first, deepest first: a group's last leaves are those of its
     * last children. */
    for (size_t i = n; i-- > 0;) {
        size_t k = b->by_depth[i];
        if (!b->nodes[k].group)
            n_sinks[k] = 1;
        long p = b->nodes[k].parent;
        if (p >= 0 && !depended[k])
            n_sinks[p] += n_sinks[k];
    }
    for (size_t k = 0; k < n; k++) {
        sinks[k] = dp_arena_alloc(b->tmp, (n_sinks[k] + 1) * sizeof(size_t));
        if (!sinks[k])
            return DP_ENOMEM;
        if (!b->nodes[k].group)
            sinks[k][count[k]++] = k;
    }
    for (size_t i = n; i-- > 0;) {
        size_t k = b->by_depth[i];
        long p = b->nodes[k].parent;
        if (p < 0 || depended[k])
            continue;
        memcpy(sinks[p] + count[p], sinks[k], count[k] * sizeof(size_t));
        count[p] += count[k];
    }
    /* Outermost first: inheritance and the enclosing groups' start. */
    for (size_t i = 0; i < n; i++) {
        size_t k = b->by_depth[i];
        struct tnode *nd = &b->nodes[k];
        long p = nd->parent;
        inherit[k] = nd->n_deps ? (long)k : p >= 0 ? inherit[p] : -1;
        if (p >= 0) {
            uint64_t gs = b->nodes[p].group_start;
            nd->group_start = b->nodes[p].start > gs ? b->nodes[p].start : gs;
        }
        if (inherit[k] < 0)
            continue;
        const struct tnode *src = &b->nodes[inherit[k]];
        if (src != nd) { /* reported as its own: dependsOn explains its wait */
            nd->deps = src->deps;
            nd->n_deps = src->n_deps;
            nd->dep_source = src->dep_source;
        }
        size_t total = 0, ns = 0;
        for (size_t d = 0; d < src->n_deps; d++)
            total += count[src->deps[d]];
        nd->ready = dp_arena_alloc(b->tmp, (total + 1) * sizeof(size_t));
        if (!nd->ready)
            return DP_ENOMEM;
        for (size_t d = 0; d < src->n_deps; d++) {
            size_t g = src->deps[d];
            for (size_t s = 0; s < count[g]; s++) {
                size_t leaf = sinks[g][s];
                if (c->stamp[leaf] == n + 1 + k || leaf == k)
                    continue;
                c->stamp[leaf] = n + 1 + k;
                nd->ready[ns++] = leaf;
            }
        }
        nd->n_ready = ns;
    }
    return 0;
}

int dp__deps_build(struct builder *b)
{
    struct dep_ctx c;
    memset(&c, 0, sizeof(c));
    c.b = b;
    if (b->n_nodes == 0)
        return 0;
    if (euler_tour(&c) || names_init(&c) || declared_deps(&c))
        return DP_ENOMEM;
    if (break_cycles(&c) || infer_deps(&c) || break_cycles(&c))
        return DP_ENOMEM;
    return leaf_dag(&c);
}
