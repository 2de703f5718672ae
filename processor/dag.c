/*
 * dag.c - finalization: one trace's span records become a profile.
 *
 * Follows DESIGN.md "From spans to a DAG" and "Metrics": node detection
 * across the three conventions, attempts and retries, LLM and tool calls
 * assigned to their nearest ancestor node, dependencies (links, attribute,
 * or inferred from timing with transitive reduction), then every timing
 * metric, the critical path, parallelism, and token sums. Cost and the
 * analysis (bottlenecks, optimizations) are applied last by cost.c and
 * analysis.c. Temporary arrays live in a scratch arena freed on return;
 * the profile owns its own arena. Cost: O(S log S + E) for S spans and E
 * dependency edges.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"

/* String -> index map over the scratch arena (open addressing). */
struct strmap {
    const char **keys;
    size_t *vals;
    size_t cap;
};

static int strmap_init(struct strmap *m, dp_arena *a, size_t n)
{
    m->cap = 16;
    while (m->cap < n * 2)
        m->cap *= 2;
    m->keys = dp__arena_alloc(a, m->cap * sizeof(*m->keys));
    m->vals = dp__arena_alloc(a, m->cap * sizeof(*m->vals));
    return m->keys && m->vals ? 0 : DP_ENOMEM;
}

/* Returns the slot of key: its value when present, or an empty slot. */
static size_t strmap_slot(const struct strmap *m, const char *key)
{
    size_t h = (size_t)dp__fnv1a(DP__FNV_INIT, key, strlen(key));
    size_t i = h & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static long strmap_get(const struct strmap *m, const char *key)
{
    size_t i = strmap_slot(m, key);
    return m->keys[i] ? (long)m->vals[i] : -1;
}

/* A node while the DAG is built, before nodes are put in output order. */
struct tnode {
    const char *id;
    uint32_t *attempts; /* span indices, by start */
    uint32_t n_attempts;
    uint64_t start, end; /* absolute ns */
    size_t *deps;        /* temp node indices */
    size_t n_deps;
    int dep_source;
    bool declared;
    long first_parent; /* span index of the first attempt's parent, or -1 */
    size_t out;        /* index in profile->nodes */
};

struct builder {
    const dp__trace *t;
    dp_arena *tmp;
    dp_profile *prof;
    long *parent;  /* span -> parent span index or -1 */
    long *owner;   /* span -> temp node index of nearest ancestor-or-self */
    long *node_of; /* span -> temp node index when the span is a node span */
    struct tnode *nodes;
    size_t n_nodes;
    struct strmap idmap; /* node id -> temp node index */
    uint64_t run_start, run_end;
};

/* ---- small helpers ------------------------------------------------------- */

static uint64_t span_dur(const dp__span *s)
{
    return s->end_ns - s->start_ns;
}

static int64_t sub_clamp(uint64_t a, uint64_t b)
{
    return a > b ? (int64_t)(a - b) : 0;
}

static int64_t offset(uint64_t t, uint64_t base)
{
    return t >= base ? (int64_t)(t - base) : -(int64_t)(base - t);
}

/* ---- run bounds, nodes, attempts ---------------------------------------- */

static void run_bounds(struct builder *b)
{
    const dp__trace *t = b->t;
    if (t->root >= 0) {
        b->run_start = t->spans[t->root].start_ns;
        b->run_end = t->spans[t->root].end_ns;
        return;
    }
    b->run_start = UINT64_MAX;
    b->run_end = 0;
    for (uint32_t i = 0; i < t->n_spans; i++) {
        if (t->spans[i].start_ns < b->run_start)
            b->run_start = t->spans[i].start_ns;
        if (t->spans[i].end_ns > b->run_end)
            b->run_end = t->spans[i].end_ns;
    }
    if (t->n_spans == 0)
        b->run_start = b->run_end = 0;
}

static const char *node_id_of(const dp__span *s)
{
    if (s->node_src != DP__NODE_NONE && s->node_attr)
        return s->node_attr;
    if (s->entity_name)
        return s->entity_name;
    if (s->agent_name)
        return s->agent_name;
    return s->name;
}

static int cmp_span_start(const dp__trace *t, uint32_t a, uint32_t b)
{
    const dp__span *x = &t->spans[a], *y = &t->spans[b];
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    if (x->end_ns != y->end_ns)
        return x->end_ns < y->end_ns ? -1 : 1;
    return memcmp(x->span_id, y->span_id, 8);
}

static void sort_attempts(const dp__trace *t, uint32_t *v, uint32_t n)
{
    /* Insertion sort: attempts per node are few. */
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        uint32_t j = i;
        while (j > 0 && cmp_span_start(t, v[j - 1], x) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static int build_nodes(struct builder *b)
{
    const dp__trace *t = b->t;
    uint32_t n = t->n_spans;
    bool any_attr = false, any_agent = false;

    b->parent = dp__arena_alloc(b->tmp, (n + 1) * sizeof(long));
    b->owner = dp__arena_alloc(b->tmp, (n + 1) * sizeof(long));
    b->node_of = dp__arena_alloc(b->tmp, (n + 1) * sizeof(long));
    if (!b->parent || !b->owner || !b->node_of)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const dp__span *s = &t->spans[i];
        long p = s->has_parent ? dp__trace_find_span(t, s->parent_id) : -1;
        b->parent[i] = p == (long)i ? -1 : p;
        b->node_of[i] = -1;
        if (s->node_src != DP__NODE_NONE)
            any_attr = true;
        if (s->flags & DP__SPAN_AGENT)
            any_agent = true;
    }

    /* Which spans are node spans: DESIGN.md's three-step rule. */
    bool *is_node = dp__arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    if (!is_node)
        return DP_ENOMEM;
    size_t n_node_spans = 0;
    for (uint32_t i = 0; i < n; i++) {
        const dp__span *s = &t->spans[i];
        if (any_attr)
            is_node[i] = s->node_src != DP__NODE_NONE;
        else if (any_agent)
            is_node[i] = (s->flags & DP__SPAN_AGENT) != 0;
        else if (t->root >= 0)
            is_node[i] = b->parent[i] == t->root;
        else
            is_node[i] = b->parent[i] < 0; /* children of the missing root */
        n_node_spans += is_node[i];
    }

    /* A node span nested inside a span of the same node is part of that
     * execution, not another attempt: LangChain copies its metadata (and so
     * langgraph_node) onto every descendant run, and baggage processors do
     * the same with dag.node.id. Decided against the spans' original marks,
     * so a chain of same-id spans collapses onto its outermost span. */
    bool *nested = dp__arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    if (!nested)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        if (!is_node[i])
            continue;
        long cur = b->parent[i];
        for (uint32_t steps = 0; cur >= 0 && steps <= n; steps++) {
            if (is_node[cur]) {
                nested[i] = strcmp(node_id_of(&t->spans[cur]),
                                   node_id_of(&t->spans[i])) == 0;
                break;
            }
            cur = b->parent[cur];
        }
    }
    for (uint32_t i = 0; i < n; i++)
        if (nested[i]) {
            is_node[i] = false;
            n_node_spans--;
        }

    struct strmap ids;
    if (strmap_init(&ids, b->tmp, n_node_spans))
        return DP_ENOMEM;
    b->nodes = dp__arena_alloc(b->tmp, (n_node_spans + 1) * sizeof(*b->nodes));
    if (!b->nodes)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        if (!is_node[i])
            continue;
        const char *id = node_id_of(&t->spans[i]);
        size_t slot = strmap_slot(&ids, id);
        if (!ids.keys[slot]) {
            ids.keys[slot] = id;
            ids.vals[slot] = b->n_nodes;
            b->nodes[b->n_nodes].id = id;
            b->n_nodes++;
        }
        struct tnode *nd = &b->nodes[ids.vals[slot]];
        nd->n_attempts++;
        b->node_of[i] = (long)ids.vals[slot];
    }
    for (size_t k = 0; k < b->n_nodes; k++) {
        b->nodes[k].attempts =
            dp__arena_alloc(b->tmp, b->nodes[k].n_attempts * sizeof(uint32_t));
        if (!b->nodes[k].attempts)
            return DP_ENOMEM;
        b->nodes[k].n_attempts = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (b->node_of[i] < 0)
            continue;
        struct tnode *nd = &b->nodes[b->node_of[i]];
        nd->attempts[nd->n_attempts++] = i;
    }
    for (size_t k = 0; k < b->n_nodes; k++) {
        struct tnode *nd = &b->nodes[k];
        sort_attempts(t, nd->attempts, nd->n_attempts);
        nd->start = t->spans[nd->attempts[0]].start_ns;
        nd->end = 0;
        for (uint32_t a = 0; a < nd->n_attempts; a++)
            if (t->spans[nd->attempts[a]].end_ns > nd->end)
                nd->end = t->spans[nd->attempts[a]].end_ns;
        nd->first_parent = b->parent[nd->attempts[0]];
    }
    b->idmap = ids;
    return 0;
}

/* ---- ownership: nearest ancestor-or-self node of every span -------------- */

static int assign_owners(struct builder *b)
{
    uint32_t n = b->t->n_spans;
    const long UNKNOWN = -2;
    long *path = dp__arena_alloc(b->tmp, (n + 1) * sizeof(long));
    if (!path)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        b->owner[i] = b->node_of[i] >= 0 ? b->node_of[i] : UNKNOWN;
    for (uint32_t i = 0; i < n; i++) {
        if (b->owner[i] != UNKNOWN)
            continue;
        /* Walk up until an answer is known; bounded by n (parent cycles in
         * bad data end the walk with no owner). */
        size_t len = 0;
        long cur = (long)i, found = -1;
        while (cur >= 0 && len <= n) {
            if (b->owner[cur] != UNKNOWN) {
                found = b->owner[cur];
                break;
            }
            path[len++] = cur;
            cur = b->parent[cur];
        }
        for (size_t k = 0; k < len; k++)
            b->owner[path[k]] = found;
    }
    return 0;
}

/* ---- calls ---------------------------------------------------------------- */

static int cmp_call(const void *a, const void *b)
{
    const dp_call *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    if (x->end_ns != y->end_ns)
        return x->end_ns < y->end_ns ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return strcmp(x->name, y->name);
}

/*
 * An explicit LLM or tool span is a call. A span that only carries token
 * counts is an LLM call too, unless one of its descendants is a call: some
 * instrumentations copy the usage of their LLM children onto the enclosing
 * span, and counting both would double the tokens.
 */
static int collect_calls(struct builder *b)
{
    const dp__trace *t = b->t;
    uint32_t n = t->n_spans;
    uint8_t *kind = dp__arena_alloc(b->tmp, n + 1);
    bool *call_below = dp__arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    if (!kind || !call_below)
        return DP_ENOMEM;
    size_t n_calls = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t f = t->spans[i].flags;
        if (f & DP__SPAN_LLM)
            kind[i] = DP_CALL_LLM;
        else if (f & DP__SPAN_TOOL)
            kind[i] = DP_CALL_TOOL;
        else if (f & DP__SPAN_TOKENS)
            kind[i] = DP_CALL_LLM | 0x80; /* implicit, may be dropped */
        else
            continue;
        /* Mark ancestors; stop where a previous walk already marked. */
        long cur = b->parent[i];
        for (uint32_t steps = 0; cur >= 0 && !call_below[cur] && steps <= n;
             steps++) {
            call_below[cur] = true;
            cur = b->parent[cur];
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((kind[i] & 0x80) && call_below[i])
            kind[i] = 0;
        kind[i] &= 0x7f;
        if (kind[i])
            n_calls++;
    }

    dp_profile *prof = b->prof;
    prof->calls = dp__arena_alloc(prof->arena, (n_calls + 1) * sizeof(dp_call));
    if (!prof->calls)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        if (!kind[i])
            continue;
        const dp__span *s = &t->spans[i];
        dp_call *c = &prof->calls[prof->n_calls++];
        c->kind = kind[i];
        c->node = b->owner[i] >= 0 ? (long)b->nodes[b->owner[i]].out : -1;
        c->start_ns = offset(s->start_ns, b->run_start);
        c->end_ns = offset(s->end_ns, b->run_start);
        c->success = s->status != DP_STATUS_ERROR;
        c->span_start_unix_ns = s->start_ns;
        const char *nm;
        if (c->kind == DP_CALL_LLM) {
            nm = s->model ? s->model : "";
            c->tokens.input = s->tokens[DP__TOK_INPUT];
            c->tokens.output = s->tokens[DP__TOK_OUTPUT];
            c->tokens.cache_read = s->tokens[DP__TOK_CACHE_READ];
            c->tokens.cache_write = s->tokens[DP__TOK_CACHE_WRITE];
            c->tokens.reasoning = s->tokens[DP__TOK_REASONING];
            c->has_tokens = (s->flags & DP__SPAN_TOKENS) != 0;
            if (s->flags & DP__SPAN_COST) {
                c->cost_carried = true;
                c->priced = true;
                c->cost_pusd = s->cost_pusd;
            }
        } else {
            nm = s->tool_name ? s->tool_name : s->name;
        }
        c->name = dp__arena_strdup(prof->arena, nm);
        if (!c->name)
            return DP_ENOMEM;
        /* Cache key: kind + name + (dag.cache_key or hashed inputs). */
        uint64_t in = s->cache_key_hash ? s->cache_key_hash : s->input_hash;
        if (in) {
            uint64_t h = dp__fnv1a(DP__FNV_INIT, &c->kind, sizeof(c->kind));
            h = dp__fnv1a(h, nm, strlen(nm));
            h = dp__fnv1a(h, &in, sizeof(in));
            c->cache_key = h ? h : 1;
        }
    }
    qsort(prof->calls, prof->n_calls, sizeof(dp_call), cmp_call);
    return 0;
}

/* ---- dependencies ------------------------------------------------------------ */

static int add_dep(struct builder *b, size_t k, size_t dep, size_t *scratch,
                   size_t *n_scratch)
{
    (void)b;
    if (dep == k)
        return 0;
    for (size_t i = 0; i < *n_scratch; i++)
        if (scratch[i] == dep)
            return 0;
    scratch[(*n_scratch)++] = dep;
    return 0;
}

static int store_deps(struct builder *b, struct tnode *nd, const size_t *v,
                      size_t n)
{
    nd->n_deps = n;
    if (!n)
        return 0;
    nd->deps = dp__arena_alloc(b->tmp, n * sizeof(size_t));
    if (!nd->deps)
        return DP_ENOMEM;
    memcpy(nd->deps, v, n * sizeof(size_t));
    return 0;
}

/* Declared dependencies, per node, first source present: span links, else
 * dag.node.depends_on, else graph.node.parent_id. Returns whether any node
 * declared anything. */
static int declared_deps(struct builder *b, bool *any_declared)
{
    const dp__trace *t = b->t;
    size_t *scratch = dp__arena_alloc(b->tmp, (b->n_nodes + 1) * sizeof(size_t));
    if (!scratch)
        return DP_ENOMEM;
    *any_declared = false;
    for (size_t k = 0; k < b->n_nodes; k++) {
        struct tnode *nd = &b->nodes[k];
        size_t ns = 0;
        for (uint32_t a = 0; a < nd->n_attempts; a++) {
            const dp__span *s = &t->spans[nd->attempts[a]];
            for (uint32_t l = 0; l < s->n_links; l++) {
                long sp = dp__trace_find_span(t, s->links[l].span_id);
                if (sp >= 0 && b->owner[sp] >= 0)
                    add_dep(b, k, (size_t)b->owner[sp], scratch, &ns);
            }
        }
        if (ns) {
            nd->dep_source = DP_DEP_LINKS;
            nd->declared = true;
        } else {
            bool has_attr = false;
            for (uint32_t a = 0; a < nd->n_attempts; a++) {
                const dp__span *s = &t->spans[nd->attempts[a]];
                if (!(s->flags & DP__SPAN_DEPENDS))
                    continue;
                has_attr = true;
                for (uint32_t d = 0; d < s->n_depends_on; d++) {
                    long dep = strmap_get(&b->idmap, s->depends_on[d]);
                    if (dep >= 0)
                        add_dep(b, k, (size_t)dep, scratch, &ns);
                }
            }
            if (!has_attr) {
                for (uint32_t a = 0; a < nd->n_attempts; a++) {
                    const dp__span *s = &t->spans[nd->attempts[a]];
                    if (!s->graph_parent)
                        continue;
                    has_attr = true;
                    long dep = strmap_get(&b->idmap, s->graph_parent);
                    if (dep >= 0)
                        add_dep(b, k, (size_t)dep, scratch, &ns);
                }
            }
            nd->declared = has_attr;
            nd->dep_source = ns ? DP_DEP_ATTRIBUTE : DP_DEP_NONE;
        }
        if (nd->declared)
            *any_declared = true;
        if (store_deps(b, nd, scratch, ns))
            return DP_ENOMEM;
    }
    return 0;
}

/* Total order used for ties: start, end, id. */
static int cmp_tnode(const struct tnode *x, const struct tnode *y)
{
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int cmp_by_group_then_end(const void *a, const void *b, void *ctx)
{
    const struct builder *bl = ctx;
    const struct tnode *x = &bl->nodes[*(const size_t *)a];
    const struct tnode *y = &bl->nodes[*(const size_t *)b];
    if (x->first_parent != y->first_parent)
        return x->first_parent < y->first_parent ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->id, y->id);
}

/*
 * Inferred dependencies within one sibling group G (nodes whose first
 * attempt has the same parent span), given sorted by end. A precedes B when
 * A ends at or before B starts (and A comes first in the start/end/id order,
 * which only matters for zero-length nodes at one instant). That relation
 * is an interval order, so A -> B survives transitive reduction exactly when
 * no other predecessor C of B starts at or after A's end: with M1 the
 * latest start among B's predecessors (and M2 the runner-up, for A being
 * that latest one), A is direct iff A.end > M1 (M2). Predecessors of B are a
 * prefix of G by end, so prefix maxima make each B cost O(log G + degree).
 */
static int infer_group(struct builder *b, const size_t *g, size_t n,
                       size_t *scratch)
{
    uint64_t *m1 = dp__arena_alloc(b->tmp, (n + 1) * sizeof(uint64_t));
    uint64_t *m2 = dp__arena_alloc(b->tmp, (n + 1) * sizeof(uint64_t));
    long *a1 = dp__arena_alloc(b->tmp, (n + 1) * sizeof(long));
    bool *h2 = dp__arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    if (!m1 || !m2 || !a1 || !h2)
        return DP_ENOMEM;
    /* Prefix k covers g[0..k): best start m1 (at position a1), second m2. */
    a1[0] = -1;
    for (size_t k = 0; k < n; k++) {
        uint64_t s = b->nodes[g[k]].start;
        m1[k + 1] = m1[k];
        a1[k + 1] = a1[k];
        m2[k + 1] = m2[k];
        h2[k + 1] = h2[k];
        if (a1[k] < 0 || s > m1[k]) {
            if (a1[k] >= 0) {
                m2[k + 1] = m1[k];
                h2[k + 1] = true;
            }
            m1[k + 1] = s;
            a1[k + 1] = (long)k;
        } else if (!h2[k] || s > m2[k]) {
            m2[k + 1] = s;
            h2[k + 1] = true;
        }
    }
    for (size_t j = 0; j < n; j++) {
        struct tnode *nb = &b->nodes[g[j]];
        /* hi: items with end <= B.start; lo: items with end < B.start. */
        size_t lo = 0, hi = n;
        {
            size_t l = 0, h = n;
            while (l < h) {
                size_t mid = (l + h) / 2;
                if (b->nodes[g[mid]].end <= nb->start)
                    l = mid + 1;
                else
                    h = mid;
            }
            hi = l;
            l = 0;
            h = hi;
            while (l < h) {
                size_t mid = (l + h) / 2;
                if (b->nodes[g[mid]].end < nb->start)
                    l = mid + 1;
                else
                    h = mid;
            }
            lo = l;
        }
        /* Items in [lo, hi) end exactly at B.start; exclude B itself and
         * zero-length items at that instant that come after B. */
        uint64_t best = m1[lo], second = m2[lo];
        long best_at = a1[lo];
        bool has_second = h2[lo];
        for (size_t k = lo; k < hi; k++) {
            struct tnode *x = &b->nodes[g[k]];
            if (x == nb || cmp_tnode(x, nb) > 0)
                continue;
            if (best_at < 0 || x->start > best) {
                if (best_at >= 0) {
                    second = best;
                    has_second = true;
                }
                best = x->start;
                best_at = (long)k;
            } else if (!has_second || x->start > second) {
                second = x->start;
                has_second = true;
            }
        }
        if (best_at < 0)
            continue; /* no predecessor */
        size_t ns = 0;
        for (size_t k = hi; k-- > 0;) {
            struct tnode *x = &b->nodes[g[k]];
            if (k >= lo && (x == nb || cmp_tnode(x, nb) > 0))
                continue;
            bool is_best = (long)k == best_at;
            if (is_best ? (!has_second || x->end > second) : x->end > best)
                scratch[ns++] = g[k];
            else if (has_second && x->end <= second)
                break; /* ends only decrease from here */
        }
        if (store_deps(b, nb, scratch, ns))
            return DP_ENOMEM;
    }
    return 0;
}

static int infer_deps(struct builder *b)
{
    size_t n = b->n_nodes;
    size_t *order = dp__arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    size_t *scratch = dp__arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    if (!order || !scratch)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        order[k] = k;
        b->nodes[k].dep_source = DP_DEP_INFERRED;
        b->nodes[k].n_deps = 0;
    }
    qsort_r(order, n, sizeof(size_t), cmp_by_group_then_end, b);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && b->nodes[order[j]].first_parent ==
                            b->nodes[order[i]].first_parent)
            j++;
        if (infer_group(b, order + i, j - i, scratch))
            return DP_ENOMEM;
        i = j;
    }
    return 0;
}

/* ---- output order and timing metrics --------------------------------------- */

static int cmp_out_order(const void *a, const void *b, void *ctx)
{
    const struct builder *bl = ctx;
    return cmp_tnode(&bl->nodes[*(const size_t *)a],
                     &bl->nodes[*(const size_t *)b]);
}

struct interval {
    int64_t s, e;
};

static int cmp_interval(const void *a, const void *b)
{
    const struct interval *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

/* Length of the union of v[0..n) clipped to [lo, hi). Sorts v. */
static int64_t union_len(struct interval *v, size_t n, int64_t lo, int64_t hi)
{
    int64_t total = 0, cs = 0, ce = 0;
    bool open = false;
    qsort(v, n, sizeof(*v), cmp_interval);
    for (size_t i = 0; i < n; i++) {
        int64_t s = v[i].s < lo ? lo : v[i].s, e = v[i].e > hi ? hi : v[i].e;
        if (e <= s)
            continue;
        if (open && s <= ce) {
            if (e > ce)
                ce = e;
        } else {
            if (open)
                total += ce - cs;
            cs = s;
            ce = e;
            open = true;
        }
    }
    if (open)
        total += ce - cs;
    return total;
}

static int fill_nodes(struct builder *b)
{
    dp_profile *prof = b->prof;
    const dp__trace *t = b->t;
    size_t n = b->n_nodes;
    size_t *order = dp__arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    if (!order)
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++)
        order[k] = k;
    qsort_r(order, n, sizeof(size_t), cmp_out_order, b);
    for (size_t i = 0; i < n; i++)
        b->nodes[order[i]].out = i;

    prof->nodes = dp__arena_alloc(prof->arena, (n + 1) * sizeof(dp_node));
    if (!prof->nodes)
        return DP_ENOMEM;
    prof->n_nodes = n;
    for (size_t i = 0; i < n; i++) {
        const struct tnode *nd = &b->nodes[order[i]];
        dp_node *o = &prof->nodes[i];
        o->id = dp__arena_strdup(prof->arena, nd->id);
        if (!o->id)
            return DP_ENOMEM;
        o->start_ns = offset(nd->start, b->run_start);
        o->end_ns = offset(nd->end, b->run_start);
        o->execution_ns = (int64_t)(nd->end - nd->start);
        o->duration_ns = sub_clamp(nd->end, b->run_start);
        o->attempts = nd->n_attempts;
        o->retries = nd->n_attempts - 1;
        const dp__span *last = &t->spans[nd->attempts[nd->n_attempts - 1]];
        o->status = last->status;
        for (uint32_t a = 0; a < nd->n_attempts; a++) {
            const dp__span *s = &t->spans[nd->attempts[a]];
            if ((s->flags & DP__SPAN_RETRIES) && (uint64_t)s->retries > o->retries)
                o->retries = s->retries > UINT32_MAX ? UINT32_MAX
                                                     : (uint32_t)s->retries;
            if (a + 1 < nd->n_attempts)
                o->failed_attempts_ns += (int64_t)span_dur(s);
        }
        o->dep_source = nd->dep_source;
        o->n_deps = nd->n_deps;
        if (nd->n_deps) {
            o->deps = dp__arena_alloc(prof->arena, nd->n_deps * sizeof(size_t));
            if (!o->deps)
                return DP_ENOMEM;
            for (size_t d = 0; d < nd->n_deps; d++)
                o->deps[d] = b->nodes[nd->deps[d]].out;
            /* Dependencies listed in output order. */
            for (size_t x = 1; x < o->n_deps; x++)
                for (size_t y = x; y > 0 && o->deps[y - 1] > o->deps[y]; y--) {
                    size_t tmp = o->deps[y];
                    o->deps[y] = o->deps[y - 1];
                    o->deps[y - 1] = tmp;
                }
        }
        /* ready = latest end among dependencies, or the run start. */
        uint64_t ready = b->run_start;
        for (size_t d = 0; d < nd->n_deps; d++)
            if (b->nodes[nd->deps[d]].end > ready)
                ready = b->nodes[nd->deps[d]].end;
        int64_t wait = sub_clamp(nd->start, b->run_start);
        o->wait_ns = wait;
        if (nd->start < ready) { /* starts before its dependencies end */
            o->queue_delay_ns = 0;
            o->dependency_wait_ns = wait;
        } else {
            int64_t dw = sub_clamp(ready, b->run_start);
            o->dependency_wait_ns = dw < wait ? dw : wait;
            o->queue_delay_ns = wait - o->dependency_wait_ns;
        }
    }
    return 0;
}

/* The node ending last (ties: earlier start, then id), then repeatedly its
 * dependency with the latest end, until a node has none. */
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
    size_t *rev = dp__arena_alloc(b->tmp, n * sizeof(size_t));
    if (!rev)
        return DP_ENOMEM;
    size_t len = 0;
    long cur = -1;
    for (size_t i = 0; i < n; i++)
        if (cur < 0 || cp_better(&prof->nodes[i], &prof->nodes[cur]))
            cur = (long)i;
    while (cur >= 0 && !prof->nodes[cur].on_critical_path) {
        dp_node *nd = &prof->nodes[cur];
        nd->on_critical_path = true; /* also guards against cycles */
        rev[len++] = (size_t)cur;
        prof->critical_path_ns += nd->execution_ns;
        long next = -1;
        for (size_t d = 0; d < nd->n_deps; d++)
            if (next < 0 ||
                cp_better(&prof->nodes[nd->deps[d]], &prof->nodes[next]))
                next = (long)nd->deps[d];
        cur = next;
    }
    prof->critical_path = dp__arena_alloc(prof->arena, len * sizeof(size_t));
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

static int parallelism(struct builder *b)
{
    dp_profile *prof = b->prof;
    size_t n = prof->n_nodes, ne = 0;
    struct event *ev = dp__arena_alloc(b->tmp, (2 * n + 1) * sizeof(*ev));
    if (!ev)
        return DP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const dp_node *nd = &prof->nodes[i];
        prof->sum_execution_ns += nd->execution_ns;
        if (nd->end_ns <= nd->start_ns)
            continue; /* an empty interval never executes */
        ev[ne++] = (struct event){nd->start_ns, +1};
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

/* ---- calls per node, llm/tool/self time, tokens ---------------------------- */

static void tokens_add(dp_tokens *to, const dp_tokens *x)
{
    to->input += x->input;
    to->output += x->output;
    to->cache_read += x->cache_read;
    to->cache_write += x->cache_write;
    to->reasoning += x->reasoning;
}

static const char *model_key(const dp_call *c)
{
    return c->name[0] ? c->name : "unknown";
}

/* Adds v to name's entry of a by-name list of at most cap entries. */
static void named_add(dp_named_i64 *list, size_t *n, const char *name,
                      int64_t v)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i].name, name) == 0) {
            list[i].value += v;
            return;
        }
    list[*n].name = name;
    list[*n].value = v;
    (*n)++;
}

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const dp_named_i64 *)a)->name,
                  ((const dp_named_i64 *)b)->name);
}

static int node_calls(struct builder *b)
{
    dp_profile *prof = b->prof;
    size_t n = prof->n_nodes;
    size_t *count = dp__arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    size_t *llm_count = dp__arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    struct interval *iv =
        dp__arena_alloc(b->tmp, (prof->n_calls + 1) * sizeof(*iv));
    if (!count || !llm_count || !iv)
        return DP_ENOMEM;
    prof->tokens_by_model =
        dp__arena_alloc(prof->arena, (prof->n_calls + 1) * sizeof(dp_named_i64));
    if (!prof->tokens_by_model)
        return DP_ENOMEM;
    for (size_t c = 0; c < prof->n_calls; c++) {
        const dp_call *call = &prof->calls[c];
        if (call->kind == DP_CALL_LLM) {
            tokens_add(&prof->tokens, &call->tokens);
            named_add(prof->tokens_by_model, &prof->n_tokens_by_model,
                      model_key(call), call->tokens.input + call->tokens.output);
        }
        if (call->node >= 0) {
            count[call->node]++;
            if (call->kind == DP_CALL_LLM)
                llm_count[call->node]++;
        }
    }
    qsort(prof->tokens_by_model, prof->n_tokens_by_model, sizeof(dp_named_i64),
          cmp_named);
    for (size_t i = 0; i < n; i++) {
        dp_node *nd = &prof->nodes[i];
        nd->calls = dp__arena_alloc(prof->arena, (count[i] + 1) * sizeof(size_t));
        nd->models =
            dp__arena_alloc(prof->arena, (llm_count[i] + 1) * sizeof(char *));
        nd->tokens_by_model = dp__arena_alloc(
            prof->arena, (llm_count[i] + 1) * sizeof(dp_named_i64));
        if (!nd->calls || !nd->models || !nd->tokens_by_model)
            return DP_ENOMEM;
    }
    for (size_t c = 0; c < prof->n_calls; c++) {
        const dp_call *call = &prof->calls[c];
        if (call->node < 0)
            continue;
        dp_node *nd = &prof->nodes[call->node];
        nd->calls[nd->n_calls++] = c;
        if (call->kind != DP_CALL_LLM)
            continue;
        tokens_add(&nd->tokens, &call->tokens);
        const char *m = model_key(call);
        size_t before = nd->n_tokens_by_model;
        named_add(nd->tokens_by_model, &nd->n_tokens_by_model, m,
                  call->tokens.input + call->tokens.output);
        if (nd->n_tokens_by_model > before)
            nd->models[nd->n_models++] = m;
    }
    for (size_t i = 0; i < n; i++) {
        dp_node *nd = &prof->nodes[i];
        size_t k = 0;
        qsort(nd->tokens_by_model, nd->n_tokens_by_model, sizeof(dp_named_i64),
              cmp_named);
        for (int kind = DP_CALL_LLM; kind <= DP_CALL_TOOL; kind++) {
            size_t m = 0;
            for (size_t j = 0; j < nd->n_calls; j++) {
                const dp_call *call = &prof->calls[nd->calls[j]];
                if (call->kind == kind)
                    iv[m++] = (struct interval){call->start_ns, call->end_ns};
            }
            int64_t u = union_len(iv, m, nd->start_ns, nd->end_ns);
            if (kind == DP_CALL_LLM)
                nd->llm_ns = u;
            else
                nd->tool_ns = u;
        }
        for (size_t j = 0; j < nd->n_calls; j++) {
            const dp_call *call = &prof->calls[nd->calls[j]];
            iv[k++] = (struct interval){call->start_ns, call->end_ns};
        }
        nd->self_ns =
            nd->execution_ns - union_len(iv, k, nd->start_ns, nd->end_ns);
    }
    return 0;
}

/* ---- the profile ----------------------------------------------------------- */

static const char *pick_dag_id(const dp__trace *t)
{
    const dp__span *best = NULL;
    if (t->root >= 0 && t->spans[t->root].dag_id)
        return t->spans[t->root].dag_id;
    for (uint32_t i = 0; i < t->n_spans; i++) {
        const dp__span *s = &t->spans[i];
        if (s->dag_id && (!best || s->start_ns < best->start_ns ||
                          (s->start_ns == best->start_ns &&
                           memcmp(s->span_id, best->span_id, 8) < 0)))
            best = s;
    }
    if (best)
        return best->dag_id;
    if (t->root >= 0 && t->spans[t->root].name[0])
        return t->spans[t->root].name;
    return "unknown";
}

static uint64_t wall_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

dp_profile *dp__trace_profile(const dp__trace *t, int incomplete_reason,
                              const dp_processor_config *cfg)
{
    struct builder b;
    dp_profile *prof = NULL;
    dp_arena *pa = dp__arena_create(4096);
    memset(&b, 0, sizeof(b));
    b.t = t;
    b.tmp = dp__arena_create(4096 + (size_t)t->n_spans * 64);
    if (!pa || !b.tmp)
        goto err;
    prof = dp__arena_alloc(pa, sizeof(*prof));
    if (!prof)
        goto err;
    prof->arena = pa;
    b.prof = prof;

    memcpy(prof->trace_id, t->trace_id, 16);
    dp_hex_encode(t->trace_id, 16, prof->trace_id_hex);
    memcpy(prof->profile_id, "prof-", 5);
    memcpy(prof->profile_id + 5, prof->trace_id_hex, 16);
    prof->profile_id[21] = '\0';
    prof->dag_id = dp__arena_strdup(pa, pick_dag_id(t));
    if (!prof->dag_id)
        goto err;
    prof->incomplete_reason = incomplete_reason;
    prof->complete = incomplete_reason == DP_INCOMPLETE_NONE;
    prof->span_count = t->n_spans;
    prof->profiled_at_unix_ns = wall_clock_ns();
    prof->has_root = t->root >= 0;
    if (prof->has_root)
        memcpy(prof->root_span_id, t->spans[t->root].span_id, 8);

    run_bounds(&b);
    prof->start_unix_ns = b.run_start;
    prof->wall_ns = (int64_t)(b.run_end - b.run_start);

    if (build_nodes(&b) || assign_owners(&b))
        goto err;
    bool any_declared = false;
    if (declared_deps(&b, &any_declared))
        goto err;
    if (!any_declared && infer_deps(&b))
        goto err;
    if (fill_nodes(&b) || collect_calls(&b) || critical_path(&b) ||
        parallelism(&b) || node_calls(&b))
        goto err;

    /* dp_processor_create always fills cfg->analysis (defaults or the
     * caller's copy). */
    dp__cost_apply(prof, cfg->pricing);
    dp__analysis_run(prof, cfg->analysis, cfg->pricing);
    dp__arena_destroy(b.tmp);
    return prof;

err:
    dp__arena_destroy(b.tmp);
    dp__arena_destroy(pa);
    return NULL;
}

void dp_profile_free(dp_profile *profile)
{
    if (profile)
        dp__arena_destroy(profile->arena); /* the profile lives in it */
}
