/*
 * nodes.c - which spans are nodes, and which node executions they form
 * (DESIGN.md "From spans to a DAG": node, executions, nesting).
 *
 * A node span nested inside a span of the same node id is part of that
 * execution (LangChain copies langgraph_node onto every descendant). Node
 * spans with the same id and the same enclosing node are executions of that
 * node, in start order: a later one is a retry of the one before when that
 * one failed and the later one starts after it ended (within the inference
 * tolerance), or when it carries dag.node.attempt > 1 or dag.retries > 0;
 * any other later execution (an agent loop coming back, a Send copy) is a
 * separate node. Ids are made unique: the first execution by start keeps
 * the id, the k-th becomes id#k. A node that encloses other nodes is a
 * group. Finally every span gets its owner: the nearest node at or above
 * it. Parent cycles in bad data are cut first, so every walk up the tree
 * ends. Cost: O(S log S) for S spans.
 */
#include <stdlib.h>
#include <string.h>

#include "dag_build.h"
#include "span_index.h"

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

/* Parent index of every span; a span whose parent chain loops back has its
 * link cut where the loop is found, so the parent relation is a forest. */
static int parents(struct builder *b)
{
    const dp__trace *t = b->t;
    uint32_t n = t->n_spans;
    uint8_t *state = dp_arena_alloc(b->tmp, n + 1); /* 0, 1 on path, 2 done */
    uint32_t *path = dp_arena_alloc(b->tmp, (n + 1) * sizeof(uint32_t));
    b->parent = dp_arena_alloc(b->tmp, (n + 1) * sizeof(long));
    if (!state || !path || !b->parent)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const dp__span *s = &t->spans[i];
        long p = s->has_parent ? dp__trace_find_span(t, s->parent_id) : -1;
        b->parent[i] = p == (long)i ? -1 : p;
    }
    for (uint32_t i = 0; i < n; i++) {
        size_t len = 0;
        long cur = (long)i;
        while (cur >= 0 && state[cur] == 0) {
            state[cur] = 1;
            path[len++] = (uint32_t)cur;
            cur = b->parent[cur];
        }
        if (cur >= 0 && state[cur] == 1)
            b->parent[path[len - 1]] = -1; /* closes a loop: cut it */
        for (size_t k = 0; k < len; k++)
            state[path[k]] = 2;
    }
    return 0;
}

/* out[i] = the nearest strict ancestor j of span i with mark[j], or -1.
 * O(S): each span is walked once. */
static int nearest_marked(struct builder *b, const bool *mark, long *out)
{
    uint32_t n = b->t->n_spans;
    const long UNKNOWN = -2;
    uint32_t *path = dp_arena_alloc(b->tmp, (n + 1) * sizeof(uint32_t));
    if (!path)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        out[i] = UNKNOWN;
    for (uint32_t i = 0; i < n; i++) {
        if (out[i] != UNKNOWN)
            continue;
        size_t len = 0;
        long cur = (long)i, ans = -1;
        while (cur >= 0 && out[cur] == UNKNOWN) {
            path[len++] = (uint32_t)cur;
            cur = b->parent[cur];
        }
        if (cur >= 0)
            ans = mark[cur] ? cur : out[cur];
        for (size_t k = len; k-- > 0;) {
            out[path[k]] = ans;
            if (mark[path[k]])
                ans = path[k];
        }
    }
    return 0;
}

/* Which spans are node spans: DESIGN.md's three-step rule, then spans
 * nested in a span of the same id are dropped. Fills is_node and nanc (the
 * nearest enclosing node span of every span). */
static int mark_nodes(struct builder *b, bool *is_node, long *nanc)
{
    const dp__trace *t = b->t;
    uint32_t n = t->n_spans;
    bool any_attr = false, any_agent = false;

    for (uint32_t i = 0; i < n; i++) {
        if (t->spans[i].node_src != DP__NODE_NONE)
            any_attr = true;
        if (t->spans[i].flags & DP__SPAN_AGENT)
            any_agent = true;
    }
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
    }
    /* Decided against the original marks, so a chain of same-id spans
     * collapses onto its outermost span. */
    if (nearest_marked(b, is_node, nanc))
        return DP_ENOMEM;
    bool *nested = dp_arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    if (!nested)
        return DP_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        nested[i] = is_node[i] && nanc[i] >= 0 &&
                    strcmp(node_id_of(&t->spans[nanc[i]]),
                           node_id_of(&t->spans[i])) == 0;
    for (uint32_t i = 0; i < n; i++)
        if (nested[i])
            is_node[i] = false;
    return nearest_marked(b, is_node, nanc);
}

struct span_order {
    const dp__trace *t;
    const uint32_t *depth;
};

static int cmp_span_start(const dp__trace *t, uint32_t a, uint32_t b)
{
    const dp__span *x = &t->spans[a], *y = &t->spans[b];
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    if (x->end_ns != y->end_ns)
        return x->end_ns < y->end_ns ? -1 : 1;
    return memcmp(x->span_id, y->span_id, 8);
}

/* Enclosing nodes first (depth), then start, end, span id. */
static int cmp_depth_start(const void *a, const void *b, void *ctx)
{
    const struct span_order *o = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (o->depth[x] != o->depth[y])
        return o->depth[x] < o->depth[y] ? -1 : 1;
    return cmp_span_start(o->t, x, y);
}

/* Executions are keyed by (id, enclosing node): open addressing over the
 * temp node index of the latest execution of each key. */
struct exec_map {
    long *slot; /* temp node index, -1 empty */
    size_t cap;
};

static size_t exec_slot(const struct builder *b, const struct exec_map *m,
                        const char *base, long parent)
{
    uint64_t h = dp__fnv1a(DP__FNV_INIT, base, strlen(base));
    h = dp__fnv1a(h, &parent, sizeof(parent));
    size_t i = (size_t)h & (m->cap - 1);
    while (m->slot[i] >= 0) {
        const struct tnode *nd = &b->nodes[m->slot[i]];
        if (nd->parent == parent && strcmp(nd->base, base) == 0)
            break;
        i = (i + 1) & (m->cap - 1);
    }
    return i;
}

/* Whether node span s is a retry of the execution whose latest attempt is
 * span last (DESIGN.md "Executions"). */
static bool is_retry(const struct builder *b, const dp__span *last,
                     const dp__span *s)
{
    if ((s->flags & DP__SPAN_ATTEMPT) && s->attempt > 1)
        return true;
    if ((s->flags & DP__SPAN_RETRIES) && s->retries > 0)
        return true;
    return last->status == DP_STATUS_ERROR &&
           s->start_ns + b->cfg->inference_tolerance_ns >= last->end_ns;
}

/* Groups node spans into executions (temp nodes). node spans come sorted
 * by depth then start, so an enclosing node exists before its insides. */
static int form_executions(struct builder *b, const uint32_t *spans,
                           size_t n_node_spans, const long *nanc)
{
    const dp__trace *t = b->t;
    struct exec_map m;
    m.cap = 16;
    while (m.cap < n_node_spans * 2)
        m.cap *= 2;
    m.slot = dp_arena_alloc(b->tmp, m.cap * sizeof(long));
    b->nodes = dp_arena_alloc(b->tmp, (n_node_spans + 1) * sizeof(*b->nodes));
    if (!m.slot || !b->nodes)
        return DP_ENOMEM;
    for (size_t i = 0; i < m.cap; i++)
        m.slot[i] = -1;
    for (size_t k = 0; k < n_node_spans; k++) {
        uint32_t i = spans[k];
        const dp__span *s = &t->spans[i];
        const char *base = node_id_of(s);
        long parent = nanc[i] >= 0 ? b->node_of[nanc[i]] : -1;
        size_t slot = exec_slot(b, &m, base, parent);
        long cur = m.slot[slot];
        if (cur >= 0 && is_retry(b, &t->spans[b->nodes[cur].last], s)) {
            struct tnode *nd = &b->nodes[cur];
            nd->n_attempts++;
            nd->last = i;
            if (s->end_ns > nd->end)
                nd->end = s->end_ns;
            b->node_of[i] = cur;
            continue;
        }
        struct tnode *nd = &b->nodes[b->n_nodes];
        nd->base = base;
        nd->n_attempts = 1;
        nd->last = i;
        nd->start = s->start_ns;
        nd->end = s->end_ns;
        nd->parent = parent;
        nd->depth = parent >= 0 ? b->nodes[parent].depth + 1 : 0;
        if (parent >= 0)
            b->nodes[parent].group = true;
        b->node_of[i] = (long)b->n_nodes;
        m.slot[slot] = (long)b->n_nodes++;
    }
    /* Attempt lists, in start order (spans were visited in that order). */
    for (size_t j = 0; j < b->n_nodes; j++) {
        struct tnode *nd = &b->nodes[j];
        nd->attempts =
            dp_arena_alloc(b->tmp, nd->n_attempts * sizeof(uint32_t));
        if (!nd->attempts)
            return DP_ENOMEM;
        nd->n_attempts = 0;
    }
    for (size_t k = 0; k < n_node_spans; k++) {
        struct tnode *nd = &b->nodes[b->node_of[spans[k]]];
        nd->attempts[nd->n_attempts++] = spans[k];
    }
    return 0;
}

static int cmp_base_start(const void *a, const void *b, void *ctx)
{
    const struct tnode *x, *y;
    int c = dp__tnode_cmp_base(a, b, ctx, &x, &y);
    if (c)
        return c;
    return cmp_span_start(((const struct builder *)ctx)->t, x->attempts[0],
                          y->attempts[0]);
}

/* Unique ids: among executions sharing an id, the first by start keeps it
 * and the k-th is id#k (k raised past any id a span already carries). */
static int unique_ids(struct builder *b)
{
    size_t n = b->n_nodes;
    size_t *order = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    struct strmap used;
    if (!order || dp__strmap_init(&used, b->tmp, 2 * n + 1))
        return DP_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        order[k] = k;
        size_t slot = dp__strmap_slot(&used, b->nodes[k].base);
        used.keys[slot] = b->nodes[k].base;
        used.vals[slot] = k;
    }
    qsort_r(order, n, sizeof(size_t), cmp_base_start, b);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        const char *base = b->nodes[order[i]].base;
        while (j < n && strcmp(b->nodes[order[j]].base, base) == 0)
            j++;
        b->nodes[order[i]].id = base;
        unsigned k = 1;
        for (size_t x = i + 1; x < j; x++) {
            char *id;
            size_t slot;
            do {
                id = dp_arena_printf(b->tmp, "%s#%u", base, ++k);
                if (!id)
                    return DP_ENOMEM;
                slot = dp__strmap_slot(&used, id);
            } while (used.keys[slot]);
            used.keys[slot] = id;
            used.vals[slot] = order[x];
            b->nodes[order[x]].id = id;
        }
        i = j;
    }
    return 0;
}

static int cmp_depth(const void *a, const void *b, void *ctx)
{
    const struct builder *bl = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (bl->nodes[x].depth != bl->nodes[y].depth)
        return bl->nodes[x].depth < bl->nodes[y].depth ? -1 : 1;
    return x < y ? -1 : x > y;
}

int dp__nodes_build(struct builder *b)
{
    const dp__trace *t = b->t;
    uint32_t n = t->n_spans;
    bool *is_node = dp_arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    long *nanc = dp_arena_alloc(b->tmp, (n + 1) * sizeof(long));
    uint32_t *depth = dp_arena_alloc(b->tmp, (n + 1) * sizeof(uint32_t));
    uint32_t *spans = dp_arena_alloc(b->tmp, (n + 1) * sizeof(uint32_t));
    b->owner = dp_arena_alloc(b->tmp, (n + 1) * sizeof(long));
    b->node_of = dp_arena_alloc(b->tmp, (n + 1) * sizeof(long));
    if (!is_node || !nanc || !depth || !spans || !b->owner || !b->node_of ||
        parents(b) || mark_nodes(b, is_node, nanc))
        return DP_ENOMEM;

    /* Depth of each node span among node spans: the nearest enclosing node
     * span's depth + 1, computed outermost first along each chain. */
    size_t n_node_spans = 0;
    for (uint32_t i = 0; i < n; i++) {
        b->node_of[i] = -1;
        depth[i] = UINT32_MAX;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!is_node[i])
            continue;
        spans[n_node_spans++] = i;
        if (depth[i] != UINT32_MAX)
            continue;
        size_t len = 0;
        long cur = (long)i;
        while (cur >= 0 && depth[cur] == UINT32_MAX) {
            b->owner[len++] = cur; /* owner[] doubles as the walk's path */
            cur = nanc[cur];
        }
        uint32_t d = cur >= 0 ? depth[cur] + 1 : 0;
        for (size_t k = len; k-- > 0;)
            depth[b->owner[k]] = d++;
    }
    struct span_order so = {t, depth};
    qsort_r(spans, n_node_spans, sizeof(uint32_t), cmp_depth_start, &so);
    if (form_executions(b, spans, n_node_spans, nanc) || unique_ids(b))
        return DP_ENOMEM;

    for (uint32_t i = 0; i < n; i++)
        b->owner[i] = b->node_of[i] >= 0 ? b->node_of[i]
                      : nanc[i] >= 0     ? b->node_of[nanc[i]]
                                         : -1;
    b->by_depth = dp_arena_alloc(b->tmp, (b->n_nodes + 1) * sizeof(size_t));
    if (!b->by_depth)
        return DP_ENOMEM;
    for (size_t k = 0; k < b->n_nodes; k++)
        b->by_depth[k] = k;
    qsort_r(b->by_depth, b->n_nodes, sizeof(size_t), cmp_depth, b);
    return 0;
}
