/*
 * bottleneck.c - the seven bottleneck rules of DESIGN.md ("Bottlenecks"),
 * run by dp__analysis_run() on a profile whose timing, tokens and cost are
 * final, before the optimizations (optimize.c), which read the result.
 *
 * Each rule fires at most once per node. Severity is medium when a rule
 * fires and high past its high threshold; impact is a percent rounded to 2
 * decimals by exact integer division (dp__analysis_pct), and 0 when its
 * denominator (wall, run cost, execution time) is 0. Comparisons against
 * a mean use cross-multiplication (x * n > factor * sum) so no mean is ever
 * divided out of an empty run. The result is sorted by impact (highest
 * first), then node start order, then type, and lives in profile->arena.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "internal.h"
#include "log.h"

#define COMPONENT "processor:analysis"

struct bn_list {
    dp_bottleneck *v;
    size_t n, cap;
};

struct bn_ctx {
    dp_profile *p;
    const dp_analysis_config *cfg;
    struct bn_list out;
    int64_t wall;
    int64_t sum_exec;   /* sum of leaf executionTime */
    int64_t sum_tokens; /* sum of leaf input + output */
    int64_t n_leaves;
    int64_t *succ_off; /* CSR successor lists, built on first use */
    size_t *succ;
    size_t *n_valid_deps;
    bool graph_failed;
};

static int64_t nonneg(int64_t v)
{
    return v > 0 ? v : 0;
}

static int64_t node_tokens(const dp_node *n)
{
    return dp__sat_add(nonneg(n->tokens.input), nonneg(n->tokens.output));
}

/* Strings in the profile may be NULL when the builder ran out of memory. */
static const char *text(const char *s)
{
    return s ? s : "";
}

/* Appends one bottleneck; on ENOMEM logs and drops it. */
static void push(struct bn_ctx *c, int type, size_t node, int sev,
                 double impact, const char *details, const char *rec)
{
    struct bn_list *l = &c->out;
    if (dp_grow(&l->v, l->n, &l->cap, sizeof(*l->v), 16)) {
        dp_log_warn(COMPONENT, "out of memory: bottleneck dropped");
        return;
    }
    dp_bottleneck *b = &l->v[l->n++];
    b->type = type;
    b->node = node;
    b->severity = sev;
    b->impact = impact;
    b->details = text(details);
    b->recommendation = text(rec);
}

/* x > f * y, exactly (dp__analysis_cmp). */
static bool gt_scaled(int64_t x, double f, int64_t y)
{
    return 0 < dp__analysis_cmp(x, 1, f, y);
}

/* ---- slow_node ----------------------------------------------------------- */

static void rule_slow_node(struct bn_ctx *c, size_t i)
{
    const dp_node *n = &c->p->nodes[i];
    int64_t exec = nonneg(n->execution_ns);
    int64_t nn = c->n_leaves;
    /* exec > factor * sum / n  <=>  exec * n > factor * sum */
    if (c->sum_exec <= 0 ||
        dp__analysis_cmp(exec, nn, c->cfg->slow_node_factor, c->sum_exec) <= 0)
        return;
    int sev = dp__analysis_cmp(exec, nn, c->cfg->slow_node_high_factor,
                               c->sum_exec) > 0
                  ? DP_SEV_HIGH
                  : DP_SEV_MEDIUM;
    char se[32], sm[32], sl[32], st[32], so[32];
    double ratio = (double)exec * (double)nn / (double)c->sum_exec;
    int64_t mean = c->sum_exec / nn;
    int64_t llm = nonneg(n->llm_ns), tool = nonneg(n->tool_ns),
            self = nonneg(n->self_ns);
    const char *d = dp_arena_printf(
        c->p->arena,
        "%s executes for %s, %.1fx the mean node execution time (%s): "
        "LLM %s, tools %s, own work %s",
        text(n->id), dp__analysis_secs(se, sizeof se, exec), ratio,
        dp__analysis_secs(sm, sizeof sm, mean),
        dp__analysis_secs(sl, sizeof sl, llm),
        dp__analysis_secs(st, sizeof st, tool),
        dp__analysis_secs(so, sizeof so, self));
    const char *r;
    if (llm >= tool && llm >= self && n->n_models > 0)
        r = dp_arena_printf(c->p->arena,
                            "Split %s into smaller parallel tasks or move it "
                            "from %s to a faster model",
                            text(n->id), n->models[0]);
    else if (tool >= llm && tool >= self && tool > 0)
        r = dp_arena_printf(c->p->arena,
                            "Split %s into smaller tasks, and cache or run "
                            "its tool calls in parallel",
                            text(n->id));
    else
        r = dp_arena_printf(c->p->arena,
                            "Split %s into smaller parallel tasks or speed "
                            "up its own processing",
                            text(n->id));
    push(c, DP_BN_SLOW_NODE, i, sev, dp__analysis_pct(exec, c->wall), d, r);
}

/* ---- high_token_usage ---------------------------------------------------- */

static void rule_high_tokens(struct bn_ctx *c, size_t i)
{
    const dp_node *n = &c->p->nodes[i];
    int64_t tok = node_tokens(n);
    int64_t nn = c->n_leaves;
    if (c->sum_tokens <= 0 ||
        dp__analysis_cmp(tok, nn, c->cfg->token_factor, c->sum_tokens) <= 0)
        return;
    int sev =
        dp__analysis_cmp(tok, nn, c->cfg->token_high_factor, c->sum_tokens) > 0
            ? DP_SEV_HIGH
            : DP_SEV_MEDIUM;
    double ratio = (double)tok * (double)nn / (double)c->sum_tokens;
    char cn[32], cr[32];
    const char *d = dp_arena_printf(
        c->p->arena,
        "%s uses %" PRId64 " tokens (%" PRId64 " input, %" PRId64
        " output), %.1fx the mean per node (%" PRId64 "), costing %s of the "
        "run's %s",
        text(n->id), tok, nonneg(n->tokens.input), nonneg(n->tokens.output),
        ratio, c->sum_tokens / nn,
        dp__analysis_usd(cn, sizeof cn, n->cost_pusd),
        dp__analysis_usd(cr, sizeof cr, c->p->cost_pusd));
    const char *r;
    if (nonneg(n->tokens.input) >= nonneg(n->tokens.output))
        r = dp_arena_printf(c->p->arena,
                            "Trim the context %s sends: summarize or select "
                            "its inputs, and cache the stable prefix",
                            text(n->id));
    else
        r = dp_arena_printf(c->p->arena,
                            "Cap the output of %s: lower its max output "
                            "tokens or ask for a shorter answer",
                            text(n->id));
    push(c, DP_BN_HIGH_TOKEN_USAGE, i, sev,
         dp__analysis_pct(nonneg(n->cost_pusd), c->p->cost_pusd), d, r);
}

/* ---- excessive_retries --------------------------------------------------- */

static void rule_retries(struct bn_ctx *c, size_t i)
{
    const dp_node *n = &c->p->nodes[i];
    if (n->retries < c->cfg->retries_min)
        return;
    int sev = n->retries >= c->cfg->retries_high ? DP_SEV_HIGH : DP_SEV_MEDIUM;
    char sf[32];
    int64_t failed = nonneg(n->failed_attempts_ns);
    const char *d = dp_arena_printf(c->p->arena,
                                    "%s ran %" PRIu32 " attempts (%" PRIu32
                                    " retries); the failed "
                                    "attempts took %s",
                                    text(n->id), n->attempts, n->retries,
                                    dp__analysis_secs(sf, sizeof sf, failed));
    const char *r = dp_arena_printf(
        c->p->arena,
        "Find why %s fails: validate its inputs before the call and tighten "
        "its prompt or tool arguments so the first attempt succeeds",
        text(n->id));
    push(c, DP_BN_EXCESSIVE_RETRIES, i, sev, dp__analysis_pct(failed, c->wall),
         d, r);
}

/* ---- tool_latency -------------------------------------------------------- */

static int64_t call_ns(const dp_call *k)
{
    return nonneg(dp__sat_sub(k->end_ns, k->start_ns));
}

static void rule_tool_latency(struct bn_ctx *c, size_t i)
{
    const dp_node *n = &c->p->nodes[i];
    const dp_call *calls = c->p->calls;
    int64_t sum = 0, top[3] = {0, 0, 0};
    size_t top_i[3] = {0, 0, 0}, n_slow = 0;
    bool high = false;
    for (size_t j = 0; j < n->n_calls; j++) {
        size_t ci = n->calls[j];
        if (ci >= c->p->n_calls || calls[ci].kind != DP_CALL_TOOL)
            continue;
        int64_t d = call_ns(&calls[ci]);
        if (d <= c->cfg->tool_latency_ns)
            continue;
        n_slow++;
        sum = dp__sat_add(sum, d);
        if (d > c->cfg->tool_latency_high_ns)
            high = true;
        /* keep the three slowest, earliest first among equals */
        for (int t = 0; t < 3; t++) {
            if (d > top[t]) {
                for (int u = 2; u > t; u--) {
                    top[u] = top[u - 1];
                    top_i[u] = top_i[u - 1];
                }
                top[t] = d;
                top_i[t] = ci;
                break;
            }
        }
    }
    if (n_slow == 0)
        return;
    char lim[32], st[32], s0[32], s1[32], s2[32], list[512];
    char *sv[3] = {s0, s1, s2};
    size_t shown = n_slow < 3 ? n_slow : 3, used = 0;
    list[0] = '\0';
    for (size_t t = 0; t < shown && used < sizeof(list); t++) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s %s",
                         t ? ", " : "", text(calls[top_i[t]].name),
                         dp__analysis_secs(sv[t], 32, top[t]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    const char *d = dp_arena_printf(
        c->p->arena,
        "%s made %zu tool call%s slower than %s (%s%s), %s in total, %.1f%% "
        "of its execution",
        text(n->id), n_slow, n_slow == 1 ? "" : "s",
        dp__analysis_secs(lim, sizeof lim, c->cfg->tool_latency_ns), list,
        n_slow > 3 ? ", ..." : "", dp__analysis_secs(st, sizeof st, sum),
        dp__analysis_pct(sum, nonneg(n->execution_ns)));
    const char *r = dp_arena_printf(
        c->p->arena,
        "Cache the results of %s in %s, run its calls in parallel, or give "
        "it a timeout",
        text(calls[top_i[0]].name), text(n->id));
    push(c, DP_BN_TOOL_LATENCY, i, high ? DP_SEV_HIGH : DP_SEV_MEDIUM,
         dp__analysis_pct(sum, nonneg(n->execution_ns)), d, r);
}

/* ---- dependency_wait ----------------------------------------------------- */

/* The ready dependency (a leaf) with the latest end; ties go to the lower
 * index (nodes are ordered by start, then id, as DESIGN.md breaks ties).
 * -1 when none. */
static long latest_dep(const dp_profile *p, const dp_node *n)
{
    long best = -1;
    for (size_t j = 0; j < n->n_ready_deps; j++) {
        size_t d = n->ready_deps[j];
        if (d >= p->n_nodes)
            continue;
        if (best < 0 || p->nodes[d].end_ns > p->nodes[best].end_ns ||
            (p->nodes[d].end_ns == p->nodes[best].end_ns && (long)d < best))
            best = (long)d;
    }
    return best;
}

static void rule_dependency_wait(struct bn_ctx *c, size_t i)
{
    const dp_node *n = &c->p->nodes[i];
    int64_t wait = nonneg(n->dependency_wait_ns);
    int64_t exec = nonneg(n->execution_ns);
    if (!n->on_critical_path || wait <= 0 ||
        !gt_scaled(wait, c->cfg->dependency_wait_factor, exec))
        return;
    int sev = gt_scaled(wait, c->cfg->dependency_wait_high_factor, exec)
                  ? DP_SEV_HIGH
                  : DP_SEV_MEDIUM;
    long up = latest_dep(c->p, n);
    const char *up_id = up >= 0 ? text(c->p->nodes[up].id) : "the run start";
    char sw[32], se[32];
    const char *d = dp_arena_printf(
        c->p->arena,
        "%s waited %s for %s, longer than its own execution (%s), on the "
        "critical path",
        text(n->id), dp__analysis_secs(sw, sizeof sw, wait), up_id,
        dp__analysis_secs(se, sizeof se, exec));
    const char *r;
    if (up >= 0)
        r = dp_arena_printf(
            c->p->arena,
            "Start %s earlier: stream partial results from %s, or drop the "
            "dependency if %s does not need all of %s's output",
            text(n->id), up_id, text(n->id), up_id);
    else
        r = dp_arena_printf(c->p->arena,
                            "Check the dependencies and clocks of %s: it "
                            "has no upstream node yet waited",
                            text(n->id));
    push(c, DP_BN_DEPENDENCY_WAIT, i, sev, dp__analysis_pct(wait, c->wall), d,
         r);
}

/* ---- scheduling_delay ---------------------------------------------------- */

static void rule_scheduling_delay(struct bn_ctx *c, size_t i)
{
    const dp_node *n = &c->p->nodes[i];
    int64_t q = nonneg(n->queue_delay_ns);
    if (q <= c->cfg->scheduling_delay_min_ns ||
        !gt_scaled(q, c->cfg->scheduling_delay_wall_frac, c->wall))
        return;
    int sev = gt_scaled(q, c->cfg->scheduling_delay_high_frac, c->wall)
                  ? DP_SEV_HIGH
                  : DP_SEV_MEDIUM;
    char sr[32], ss[32], sq[32];
    const char *d = dp_arena_printf(
        c->p->arena, "%s was ready at %s but started at %s: %s of queue delay",
        text(n->id),
        dp__analysis_secs(sr, sizeof sr, dp__sat_sub(n->start_ns, q)),
        dp__analysis_secs(ss, sizeof ss, n->start_ns),
        dp__analysis_secs(sq, sizeof sq, q));
    const char *r = dp_arena_printf(
        c->p->arena,
        "Raise worker concurrency or cut scheduler latency so %s starts as "
        "soon as its dependencies finish",
        text(n->id));
    push(c, DP_BN_SCHEDULING_DELAY, i, sev, dp__analysis_pct(q, c->wall), d, r);
}

/* ---- sequential_bottleneck ----------------------------------------------- */

/* Builds successor lists (CSR) from the deps, ignoring out-of-range and
 * self dependencies. O(nodes + edges). false on ENOMEM. */
static bool build_graph(struct bn_ctx *c)
{
    if (c->succ_off)
        return true;
    if (c->graph_failed)
        return false;
    size_t nn = c->p->n_nodes, ne = 0;
    for (size_t i = 0; i < nn; i++)
        ne += c->p->nodes[i].n_ready_deps;
    c->succ_off = calloc(nn + 1, sizeof(*c->succ_off));
    c->succ = malloc((ne ? ne : 1) * sizeof(*c->succ));
    c->n_valid_deps = calloc(nn ? nn : 1, sizeof(*c->n_valid_deps));
    if (!c->succ_off || !c->succ || !c->n_valid_deps) {
        c->graph_failed = true;
        dp_log_warn(COMPONENT, "out of memory: sequential_bottleneck skipped");
        return false;
    }
    for (size_t i = 0; i < nn; i++) {
        const dp_node *n = &c->p->nodes[i];
        if (n->kind != DP_NODE_LEAF)
            continue; /* the DAG is made of leaves */
        for (size_t j = 0; j < n->n_ready_deps; j++) {
            size_t d = n->ready_deps[j];
            if (d < nn && d != i) {
                c->succ_off[d + 1]++;
                c->n_valid_deps[i]++;
            }
        }
    }
    for (size_t i = 0; i < nn; i++)
        c->succ_off[i + 1] += c->succ_off[i];
    int64_t *fill = calloc(nn ? nn : 1, sizeof(*fill));
    if (!fill) {
        c->graph_failed = true;
        return false;
    }
    for (size_t i = 0; i < nn; i++) {
        const dp_node *n = &c->p->nodes[i];
        if (n->kind != DP_NODE_LEAF)
            continue;
        for (size_t j = 0; j < n->n_ready_deps; j++) {
            size_t d = n->ready_deps[j];
            if (d < nn && d != i)
                c->succ[c->succ_off[d] + (size_t)fill[d]++] = i;
        }
    }
    free(fill);
    return true;
}

/* True when every source-to-sink path of the DAG passes through v: a
 * search from every source but v, never entering v, reaches no sink.
 * (Sources have no deps, sinks no dependents; a lone node is both, so it is
 * on every path of its own DAG, and another lone node means v is not.)
 * O(nodes + edges) per call. */
static bool on_every_path(struct bn_ctx *c, size_t v)
{
    size_t nn = c->p->n_nodes;
    bool *seen = calloc(nn, sizeof(*seen));
    size_t *stack = malloc(nn * sizeof(*stack));
    bool every = true;
    if (!seen || !stack) {
        dp_log_warn(COMPONENT, "out of memory: sequential_bottleneck skipped");
        free(seen);
        free(stack);
        return false;
    }
    size_t top = 0;
    seen[v] = true;
    for (size_t s = 0; s < nn; s++)
        if (c->p->nodes[s].kind != DP_NODE_LEAF)
            seen[s] = true; /* groups are not on paths */
    for (size_t s = 0; s < nn; s++) {
        if (c->n_valid_deps[s] == 0 && !seen[s]) {
            seen[s] = true;
            stack[top++] = s;
        }
    }
    while (top > 0 && every) {
        size_t u = stack[--top];
        if (c->succ_off[u] == c->succ_off[u + 1]) {
            every = false; /* reached a sink around v */
            break;
        }
        for (int64_t k = c->succ_off[u]; k < c->succ_off[u + 1]; k++) {
            size_t w = c->succ[k];
            if (!seen[w]) {
                seen[w] = true;
                stack[top++] = w;
            }
        }
    }
    free(seen);
    free(stack);
    return every;
}

static void rule_sequential(struct bn_ctx *c, size_t i)
{
    const dp_node *n = &c->p->nodes[i];
    int64_t exec = nonneg(n->execution_ns);
    if (!n->on_critical_path || c->wall <= 0 ||
        !gt_scaled(exec, c->cfg->sequential_frac, c->wall))
        return;
    if (!build_graph(c) || !on_every_path(c, i))
        return;
    int sev = gt_scaled(exec, c->cfg->sequential_high_frac, c->wall)
                  ? DP_SEV_HIGH
                  : DP_SEV_MEDIUM;
    double pct = dp__analysis_pct(exec, c->wall);
    char se[32], sw[32];
    const char *d = dp_arena_printf(
        c->p->arena,
        "every path through the DAG passes through %s, which executes for "
        "%s, %.2f%% of the %s wall",
        text(n->id), dp__analysis_secs(se, sizeof se, exec), pct,
        dp__analysis_secs(sw, sizeof sw, c->wall));
    const char *r = dp_arena_printf(
        c->p->arena,
        "Split %s into independent parts that can run in parallel, or move "
        "work out of it into branches that run beside it",
        text(n->id));
    push(c, DP_BN_SEQUENTIAL_BOTTLENECK, i, sev, pct, d, r);
}

/* ---- driver -------------------------------------------------------------- */

static int cmp_bottleneck(const void *a, const void *b)
{
    const dp_bottleneck *x = a, *y = b;
    if (x->impact != y->impact)
        return x->impact > y->impact ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return (x->type > y->type) - (x->type < y->type);
}

/* Fills profile->bottlenecks and n_bottlenecks from the finished timing,
 * token and cost fields. Allocates the result and its strings from
 * profile->arena; scratch memory is malloc'd and freed here. Cost:
 * O(nodes + calls) plus O(nodes + edges) for each critical-path node long
 * enough to be a sequential_bottleneck candidate (at most a handful, as
 * their execution times sum to no more than the wall). */
void dp__bottlenecks_detect(dp_profile *profile, const dp_analysis_config *cfg)
{
    struct bn_ctx c;
    memset(&c, 0, sizeof(c));
    c.p = profile;
    c.cfg = cfg;
    c.wall = nonneg(profile->wall_ns);
    profile->bottlenecks = NULL;
    profile->n_bottlenecks = 0;
    if (profile->n_nodes == 0 || !profile->nodes)
        return;
    for (size_t i = 0; i < profile->n_nodes; i++) {
        const dp_node *n = &profile->nodes[i];
        if (n->kind != DP_NODE_LEAF)
            continue;
        c.n_leaves++;
        c.sum_exec = dp__sat_add(c.sum_exec, nonneg(n->execution_ns));
        c.sum_tokens = dp__sat_add(c.sum_tokens, node_tokens(n));
    }
    /* Rules about a node's place in the DAG or its share of the run look at
     * leaves only; retries and slow tool calls are a group's own too. */
    for (size_t i = 0; i < profile->n_nodes; i++) {
        bool leaf = profile->nodes[i].kind == DP_NODE_LEAF;
        if (leaf) {
            rule_slow_node(&c, i);
            rule_high_tokens(&c, i);
        }
        rule_retries(&c, i);
        rule_tool_latency(&c, i);
        if (leaf) {
            rule_dependency_wait(&c, i);
            rule_scheduling_delay(&c, i);
            rule_sequential(&c, i);
        }
    }
    if (c.out.n > 0) {
        qsort(c.out.v, c.out.n, sizeof(*c.out.v), cmp_bottleneck);
        dp_bottleneck *v = dp_arena_alloc(profile->arena, c.out.n * sizeof(*v));
        if (v) {
            memcpy(v, c.out.v, c.out.n * sizeof(*v));
            profile->bottlenecks = v;
            profile->n_bottlenecks = c.out.n;
        } else {
            dp_log_warn(COMPONENT, "out of memory: bottlenecks dropped");
        }
    }
    free(c.out.v);
    free(c.succ_off);
    free(c.succ);
    free(c.n_valid_deps);
}
