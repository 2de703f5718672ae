/*
 * rollup.c - LLM and tool calls, and what nodes and the run sum from them
 * (DESIGN.md "Tokens and cost", "Metrics": selfTime, llmTime, toolTime).
 *
 * An explicit LLM or tool span is a call; a span that only carries token
 * counts is an LLM call unless one of its descendants is a call (some
 * instrumentations copy their children's usage onto the enclosing span,
 * and the AI SDK's outer spans carry the sum of their steps). Each call
 * belongs to its owner, the nearest node at or above it. A cache count
 * above its call's input count, or a reasoning count above its output
 * count, is clamped (and noted once per run in warnings). Usage types no
 * call reported stay unknown (dp_tokens.known). Every sum saturates at
 * INT64_MAX (noted in warnings) instead of overflowing. Groups report the
 * tokens and cost of their whole subtree; their llmTime, toolTime and
 * toolCalls are their own calls', and their selfTime is the time spent
 * neither in their own calls nor in an inner node.
 */
#include <stdlib.h>
#include <string.h>

#include "dag_build.h"

/* t - base as a signed offset, clamped to the int64 range. */
static int64_t offset(uint64_t t, uint64_t base)
{
    uint64_t d = t >= base ? t - base : base - t;
    if (d > INT64_MAX)
        d = INT64_MAX;
    return t >= base ? (int64_t)d : -(int64_t)d;
}

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

/* Token counts of an LLM span, with the known mask and clamping. */
static void call_tokens(const dp__span *s, dp_call *c, size_t *clamped_cache,
                        size_t *clamped_reasoning)
{
    static const unsigned bit[DP__TOK__COUNT] = {
        DP_TOK_INPUT, DP_TOK_OUTPUT, DP_TOK_CACHE_READ, DP_TOK_CACHE_WRITE,
        DP_TOK_REASONING};
    dp_tokens *t = &c->tokens;
    t->input = s->tokens[DP__TOK_INPUT];
    t->output = s->tokens[DP__TOK_OUTPUT];
    t->cache_read = s->tokens[DP__TOK_CACHE_READ];
    t->cache_write = s->tokens[DP__TOK_CACHE_WRITE];
    t->reasoning = s->tokens[DP__TOK_REASONING];
    for (int i = 0; i < DP__TOK__COUNT; i++)
        if (s->tok_rank[i])
            t->known |= bit[i];
    c->has_tokens = t->known != 0;
    if (t->known & DP_TOK_INPUT) {
        bool cl = false;
        if (t->cache_read > t->input) {
            t->cache_read = t->input;
            cl = true;
        }
        if (t->cache_write > t->input - t->cache_read) {
            t->cache_write = t->input - t->cache_read;
            cl = true;
        }
        *clamped_cache += cl;
    }
    if ((t->known & DP_TOK_OUTPUT) && t->reasoning > t->output) {
        t->reasoning = t->output;
        (*clamped_reasoning)++;
    }
}

static uint8_t call_kind(const dp__span *s)
{
    if (s->flags & DP__SPAN_LLM)
        return DP_CALL_LLM;
    if (s->flags & DP__SPAN_TOOL)
        return DP_CALL_TOOL;
    if ((s->flags & DP__SPAN_TOKENS) && !(s->flags & DP__SPAN_NOCALL))
        return DP_CALL_LLM | 0x80; /* implicit, may be dropped */
    return 0;
}

int dp__calls_collect(struct builder *b)
{
    const dp__trace *t = b->t;
    uint32_t n = t->n_spans;
    uint8_t *kind = dp_arena_alloc(b->tmp, n + 1);
    bool *call_below = dp_arena_alloc(b->tmp, (n + 1) * sizeof(bool));
    if (!kind || !call_below)
        return DP_ENOMEM;
    size_t n_calls = 0, clamped_cache = 0, clamped_reasoning = 0;
    for (uint32_t i = 0; i < n; i++) {
        kind[i] = call_kind(&t->spans[i]);
        if (!kind[i])
            continue;
        /* Mark ancestors; stop where a previous walk already marked. */
        for (long cur = b->parent[i]; cur >= 0 && !call_below[cur];
             cur = b->parent[cur])
            call_below[cur] = true;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((kind[i] & 0x80) && call_below[i])
            kind[i] = 0;
        kind[i] &= 0x7f;
        n_calls += kind[i] != 0;
    }

    dp_profile *prof = b->prof;
    prof->calls = dp_arena_alloc(prof->arena, (n_calls + 1) * sizeof(dp_call));
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
            call_tokens(s, c, &clamped_cache, &clamped_reasoning);
            if (s->flags & DP__SPAN_COST) {
                c->cost_carried = true;
                c->priced = true;
                c->cost_pusd = s->cost_pusd;
            }
        } else {
            nm = s->tool_name ? s->tool_name : s->name;
        }
        c->name = dp_arena_strdup(prof->arena, nm);
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
    if (clamped_cache &&
        dp__warn(b,
                 "%zu LLM call(s) reported more cached than input tokens; "
                 "cache counts clamped to the input count",
                 clamped_cache))
        return DP_ENOMEM;
    if (clamped_reasoning &&
        dp__warn(b,
                 "%zu LLM call(s) reported more reasoning than output "
                 "tokens; reasoning counts clamped to the output count",
                 clamped_reasoning))
        return DP_ENOMEM;
    return 0;
}

/* ---- sums -------------------------------------------------------------------
 */

static _Thread_local bool saturated; /* per profile being built */

static int64_t add(int64_t a, int64_t x)
{
    int64_t r = dp__sat_add(a, x);
    if (r == INT64_MAX && x > 0)
        saturated = true;
    return r;
}

static void tokens_add(dp_tokens *to, const dp_tokens *x)
{
    to->input = add(to->input, x->input);
    to->output = add(to->output, x->output);
    to->cache_read = add(to->cache_read, x->cache_read);
    to->cache_write = add(to->cache_write, x->cache_write);
    to->reasoning = add(to->reasoning, x->reasoning);
    to->known |= x->known;
}

static const char *model_key(const dp_call *c)
{
    return c->name[0] ? c->name : "unknown";
}

/* Adds v to name's entry of a by-name list (room for one more entry). */
static void named_add(dp_named_i64 *list, size_t *n, const char *name,
                      int64_t v)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i].name, name) == 0) {
            list[i].value = add(list[i].value, v);
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

static int64_t total_of(const dp_tokens *t)
{
    return add(t->input, t->output);
}

/* llmTime, toolTime (own calls) and selfTime (neither own calls nor inner
 * nodes) of node i; iv has room for its calls and children. */
static void node_times(dp_profile *prof, dp_node *nd, struct interval *iv)
{
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
    size_t k = 0;
    for (size_t j = 0; j < nd->n_calls; j++) {
        const dp_call *call = &prof->calls[nd->calls[j]];
        iv[k++] = (struct interval){call->start_ns, call->end_ns};
    }
    for (size_t j = 0; j < nd->n_children; j++) {
        const dp_node *ch = &prof->nodes[nd->children[j]];
        iv[k++] = (struct interval){ch->start_ns, ch->end_ns};
    }
    nd->self_ns = nd->execution_ns - union_len(iv, k, nd->start_ns, nd->end_ns);
}

int dp__rollup_nodes(struct builder *b)
{
    dp_profile *prof = b->prof;
    size_t n = prof->n_nodes, max_calls = 0;
    size_t *count = dp_arena_alloc(b->tmp, (n + 1) * sizeof(size_t));
    if (!count)
        return DP_ENOMEM;
    saturated = false;
    prof->tokens_by_model =
        dp_arena_alloc(prof->arena, (prof->n_calls + 1) * sizeof(dp_named_i64));
    if (!prof->tokens_by_model)
        return DP_ENOMEM;
    for (size_t c = 0; c < prof->n_calls; c++) {
        const dp_call *call = &prof->calls[c];
        if (call->kind == DP_CALL_LLM) {
            tokens_add(&prof->tokens, &call->tokens);
            named_add(prof->tokens_by_model, &prof->n_tokens_by_model,
                      model_key(call), total_of(&call->tokens));
        }
        if (call->node >= 0)
            count[call->node]++;
    }
    qsort(prof->tokens_by_model, prof->n_tokens_by_model, sizeof(dp_named_i64),
          cmp_named);
    /* Every node's by-model list has room for every model of the run, so
     * groups can take their children's. */
    size_t models = prof->n_tokens_by_model;
    for (size_t i = 0; i < n; i++) {
        dp_node *nd = &prof->nodes[i];
        size_t room = count[i] + nd->n_children;
        if (room > max_calls)
            max_calls = room;
        nd->calls =
            dp_arena_alloc(prof->arena, (count[i] + 1) * sizeof(size_t));
        nd->models = dp_arena_alloc(prof->arena, (models + 1) * sizeof(char *));
        nd->tokens_by_model =
            dp_arena_alloc(prof->arena, (models + 1) * sizeof(dp_named_i64));
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
                  total_of(&call->tokens));
        if (nd->n_tokens_by_model > before)
            nd->models[nd->n_models++] = m;
    }
    struct interval *iv = dp_arena_alloc(b->tmp, (max_calls + 1) * sizeof(*iv));
    if (!iv)
        return DP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        dp_node *nd = &prof->nodes[i];
        nd->own_tokens = total_of(&nd->tokens);
        node_times(prof, nd, iv);
    }
    /* Groups take their subtree, deepest first. */
    for (size_t i = b->n_nodes; i-- > 0;) {
        const dp_node *ch = &prof->nodes[b->nodes[b->by_depth[i]].out];
        if (ch->parent < 0)
            continue;
        dp_node *g = &prof->nodes[ch->parent];
        tokens_add(&g->tokens, &ch->tokens);
        for (size_t m = 0; m < ch->n_tokens_by_model; m++) {
            size_t before = g->n_tokens_by_model;
            named_add(g->tokens_by_model, &g->n_tokens_by_model,
                      ch->tokens_by_model[m].name,
                      ch->tokens_by_model[m].value);
            if (g->n_tokens_by_model > before)
                g->models[g->n_models++] = ch->tokens_by_model[m].name;
        }
    }
    /* Input and output follow the run (every instrumentation that reports
     * usage reports them, so a node without calls used a known 0); cache
     * and reasoning counts are reported selectively, so a node's are
     * unknown unless a call in it reported them. */
    const unsigned io = DP_TOK_INPUT | DP_TOK_OUTPUT;
    for (size_t i = 0; i < n; i++) {
        dp_node *nd = &prof->nodes[i];
        qsort(nd->tokens_by_model, nd->n_tokens_by_model, sizeof(dp_named_i64),
              cmp_named);
        nd->tokens.known = (prof->tokens.known & io) | (nd->tokens.known & ~io);
    }
    if (saturated &&
        dp__warn(b, "token counts too large to add: sums saturated at %lld",
                 (long long)INT64_MAX))
        return DP_ENOMEM;
    return 0;
}

void dp__rollup_cost(struct builder *b)
{
    dp_profile *prof = b->prof;
    for (size_t i = 0; i < prof->n_nodes; i++)
        prof->nodes[i].own_cost_pusd = prof->nodes[i].cost_pusd;
    for (size_t i = b->n_nodes; i-- > 0;) {
        const dp_node *ch = &prof->nodes[b->nodes[b->by_depth[i]].out];
        if (ch->parent >= 0)
            prof->nodes[ch->parent].cost_pusd =
                dp__sat_add(prof->nodes[ch->parent].cost_pusd, ch->cost_pusd);
    }
}
