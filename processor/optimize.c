/*
 * optimize.c - the six optimization recommendations of DESIGN.md
 * ("Optimizations"), run by dp__analysis_run() after bottleneck.c, whose
 * scheduling_delay and sequential_bottleneck findings two of them read.
 *
 * Every estimatedSavings is what the change would remove from THIS run:
 * nanoseconds, tokens and pico-USD from the profile's own nodes and calls,
 * never a fixed percentage. The time saved by parallelize, cache and
 * restructure_dag is simulated: the run's DAG is replayed with the change
 * (replay.h, through optimize_sim.c: no queue delay; the repeated calls
 * taking no time; the bottleneck nodes twice as fast) and the saving is
 * the wall it no longer takes, so work off the critical path saves
 * nothing. model_downgrade's cost is the replay's re-pricing of the
 * model's calls. DESIGN.md's formulas (wall - critical path, the repeats'
 * durations, half the execution) remain when a replay cannot answer. Cost
 * savings that need a price (model downgrade, reduce_context) use the
 * pricing table; with no table or an unpriced model they are 0.
 *
 * Priority: parallelize is high below 50% parallelization efficiency and
 * medium otherwise (as the seed). Every other type is ranked by the largest
 * share of this run its saving removes - time of wall, tokens of the run's
 * tokens, cost of the run's cost: high at 25% or more, medium at 5% or more,
 * low below. The list is sorted by priority (high first), then by type in
 * DESIGN.md's table order, then by time, cost and token saving (largest
 * first), then by the order generated; it lives in profile->arena.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "internal.h"
#include "log.h"
#include "replay.h"

#define COMPONENT "processor:analysis"

__extension__ typedef __int128 i128;

/* The default downgrade map: the Opus family to the Sonnet family. The
 * pattern "opus" matches claude-opus-4*, claude-4-opus*, provider-prefixed
 * names and the seed's short name "opus". */
static const dp_model_map default_downgrade_map[] = {
    {"opus", "claude-sonnet-4-5"},
};

struct opt_item {
    dp_optimization o;
    size_t seq; /* generation order, the last sort key */
};

struct opt_ctx {
    dp_profile *p;
    const dp_analysis_config *cfg;
    const dp_pricing *pricing;
    struct opt_item *v;
    size_t n, cap;
    int64_t wall;
    int64_t run_tokens;
    struct dp__opt_sim sim; /* savings by replay (optimize_sim.c) */
};

static int64_t nonneg(int64_t v)
{
    return v > 0 ? v : 0;
}

static const char *text(const char *s)
{
    return s ? s : "";
}

static int64_t call_ns(const dp_call *k)
{
    return nonneg(dp__sat_sub(k->end_ns, k->start_ns));
}

static int64_t call_tokens(const dp_call *k)
{
    return dp__sat_add(nonneg(k->tokens.input), nonneg(k->tokens.output));
}

static const char *node_id(const dp_profile *p, long node)
{
    if (node < 0 || (size_t)node >= p->n_nodes)
        return "(no node)";
    return text(p->nodes[node].id);
}

/* Level of a saving's share of a total: high >= 25%, medium >= 5%. */
static int share_level(int64_t saving, int64_t total)
{
    if (saving <= 0 || total <= 0)
        return DP_SEV_LOW;
    if ((i128)saving * 4 >= total)
        return DP_SEV_HIGH;
    if ((i128)saving * 20 >= total)
        return DP_SEV_MEDIUM;
    return DP_SEV_LOW;
}

static int priority_of(const struct opt_ctx *c, int64_t t, int64_t tok,
                       int64_t cost)
{
    int a = share_level(t, c->wall);
    int b = share_level(tok, c->run_tokens);
    int d = share_level(cost, c->p->cost_pusd);
    int m = a > b ? a : b;
    return m > d ? m : d;
}

/* Appends one recommendation; on ENOMEM logs and drops it. */
static void push(struct opt_ctx *c, int type, int priority, int64_t t,
                 int64_t tok, int64_t cost, const char *desc, const char *impl)
{
    if (dp_grow(&c->v, c->n, &c->cap, sizeof(*c->v), 8)) {
        dp_log_warn(COMPONENT, "out of memory: optimization dropped");
        return;
    }
    struct opt_item *it = &c->v[c->n];
    it->seq = c->n++;
    it->o.type = type;
    it->o.priority = priority;
    it->o.saving_time_ns = t;
    it->o.saving_tokens = tok;
    it->o.saving_cost_pusd = cost;
    it->o.description = text(desc);
    it->o.implementation = text(impl);
}

/* Joins the distinct node ids among nodes[] (indices; -1 or out of range
 * is "(no node)", listed last) in start order into an arena string "a, b,
 * c, d and 2 more"; shows at most 4. O(n + nodes). */
static const char *node_list(struct opt_ctx *c, const long *nodes, size_t n)
{
    size_t nn = c->p->n_nodes;
    bool *seen = calloc(nn + 1, sizeof(*seen)); /* [nn]: "(no node)" */
    if (!seen)
        return n ? node_id(c->p, nodes[0]) : "";
    for (size_t i = 0; i < n; i++)
        seen[nodes[i] >= 0 && (size_t)nodes[i] < nn ? (size_t)nodes[i] : nn] =
            true;
    char buf[512];
    size_t used = 0, shown = 0, distinct = 0;
    buf[0] = '\0';
    for (size_t k = 0; k <= nn; k++) {
        if (!seen[k])
            continue;
        distinct++;
        if (shown >= 4 || used >= sizeof(buf))
            continue;
        int w = snprintf(buf + used, sizeof(buf) - used, "%s%s",
                         shown ? ", " : "", node_id(c->p, (long)k));
        if (w > 0)
            used += (size_t)w;
        shown++;
    }
    free(seen);
    if (distinct > shown)
        return dp_arena_printf(c->p->arena, "%s and %zu more", buf,
                               distinct - shown);
    return dp_arena_printf(c->p->arena, "%s", buf);
}

/* ---- parallelize --------------------------------------------------------- */

static void opt_parallelize(struct opt_ctx *c)
{
    const dp_profile *p = c->p;
    int64_t cp = nonneg(p->critical_path_ns);
    int64_t saving = c->wall - cp;
    /* efficiency = cp / wall < threshold, compared exactly */
    if (p->n_nodes == 0 || c->wall <= 0 || saving <= 0 ||
        dp__analysis_cmp(cp, 1, c->cfg->parallelize_efficiency_below,
                         c->wall) >= 0)
        return;
    bool high = dp__analysis_cmp(cp, 1, 0.5, c->wall) < 0;
    double eff = (double)cp / (double)c->wall;
    /* Simulated: the run replayed with every node starting as soon as its
     * dependencies end. Nothing to gain there (the gap is the run's own
     * time outside its nodes): no recommendation. */
    dp_change nq = {.kind = DP_CHANGE_NO_QUEUE};
    int64_t sim = 0;
    bool simulated = dp__opt_sim_wall(&c->sim, &nq, 1, &sim);
    int64_t gap = saving;
    if (simulated) {
        if (sim <= 0)
            return;
        saving = sim;
    }
    /* Where the gap is: queue delay of critical-path nodes, and the tail
     * between the last node's end and the run's end. */
    int64_t queue = 0, tail = c->wall;
    for (size_t i = 0; i < p->n_critical_path; i++) {
        size_t k = p->critical_path[i];
        if (k < p->n_nodes)
            queue = dp__sat_add(queue, nonneg(p->nodes[k].queue_delay_ns));
    }
    if (p->n_critical_path > 0 &&
        p->critical_path[p->n_critical_path - 1] < p->n_nodes)
        tail = nonneg(dp__sat_sub(
            c->wall,
            p->nodes[p->critical_path[p->n_critical_path - 1]].end_ns));
    long sched[64];
    size_t n_sched = 0;
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        if (p->bottlenecks[i].type != DP_BN_SCHEDULING_DELAY)
            continue;
        if (n_sched < 64)
            sched[n_sched++] = (long)p->bottlenecks[i].node;
    }
    char sc[32], sw[32], sg[32], sq[32], st[32], ss[32];
    const char *desc = dp_arena_printf(
        p->arena,
        "Parallelization efficiency is %.0f%% (critical path %s of %s wall): "
        "%s of the run is outside critical-path execution (%s queue delay on "
        "the critical path, %s after its last node)%s%s%s%s%s",
        eff * 100.0, dp__analysis_secs(sc, sizeof sc, p->critical_path_ns),
        dp__analysis_secs(sw, sizeof sw, c->wall),
        dp__analysis_secs(sg, sizeof sg, gap),
        dp__analysis_secs(sq, sizeof sq, queue),
        dp__analysis_secs(st, sizeof st, tail),
        n_sched ? "; scheduling delay on " : "",
        n_sched ? node_list(c, sched, n_sched) : "",
        simulated ? "; replayed with every node starting as soon as its "
                    "dependencies end, the run finishes "
                  : "",
        simulated ? dp__analysis_secs(ss, sizeof ss, saving) : "",
        simulated ? " earlier" : "");
    const char *impl;
    if (n_sched)
        impl = dp_arena_printf(
            p->arena,
            "Start %s as soon as %s dependencies finish (more workers, "
            "less scheduler latency); the DAG allows %.1fx parallelism",
            node_list(c, sched, n_sched), n_sched == 1 ? "its" : "their",
            p->dag_parallelism);
    else
        impl = dp_arena_printf(
            p->arena,
            "Schedule independent nodes concurrently and start each node as "
            "soon as its dependencies finish; the DAG allows %.1fx "
            "parallelism",
            p->dag_parallelism);
    push(c, DP_OPT_PARALLELIZE, high ? DP_SEV_HIGH : DP_SEV_MEDIUM, saving, 0,
         0, desc, impl);
}

/* ---- cache --------------------------------------------------------------- */

/* A call and its index, so qsort needs no shared context (profiles may be
 * finalized on several threads at once). */
struct call_ref {
    const dp_call *k;
    size_t i;
};

/* Orders call refs by kind, name, cache key, then start order. */
static int cmp_cache(const void *a, const void *b)
{
    const struct call_ref *ra = a, *rb = b;
    const dp_call *x = ra->k, *y = rb->k;
    size_t i = ra->i, j = rb->i;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    int s = strcmp(text(x->name), text(y->name));
    if (s)
        return s;
    if (x->cache_key != y->cache_key)
        return x->cache_key < y->cache_key ? -1 : 1;
    return (i > j) - (i < j);
}

/* One recommendation per tool or model (kind + name) that has repeated
 * calls, aggregating every key group of it: each occurrence of a key after
 * its first (calls are in start order) saves its duration and, for LLM
 * calls, its tokens and cost. */
static void opt_cache(struct opt_ctx *c)
{
    const dp_profile *p = c->p;
    size_t n = 0;
    for (size_t i = 0; i < p->n_calls; i++)
        if (p->calls[i].cache_key != 0)
            n++;
    if (n < 2)
        return;
    struct call_ref *idx = malloc(n * sizeof(*idx));
    long *nodes = malloc(n * sizeof(*nodes));
    if (!idx || !nodes) {
        dp_log_warn(COMPONENT, "out of memory: cache analysis skipped");
        free(idx);
        free(nodes);
        return;
    }
    n = 0;
    for (size_t i = 0; i < p->n_calls; i++)
        if (p->calls[i].cache_key != 0)
            idx[n++] = (struct call_ref){&p->calls[i], i};
    qsort(idx, n, sizeof(*idx), cmp_cache);
    size_t a = 0;
    while (a < n) {
        /* [a, b): one kind + name */
        const dp_call *first = &p->calls[idx[a].i];
        size_t b = a + 1;
        while (b < n && p->calls[idx[b].i].kind == first->kind &&
               strcmp(text(p->calls[idx[b].i].name), text(first->name)) == 0)
            b++;
        int64_t t = 0, tok = 0, cost = 0;
        size_t repeats = 0, groups = 0, n_nodes = 0;
        for (size_t g = a; g < b;) {
            size_t h = g + 1;
            while (h < b &&
                   p->calls[idx[h].i].cache_key == p->calls[idx[g].i].cache_key)
                h++;
            if (h - g > 1)
                groups++;
            for (size_t k = g + 1; k < h; k++) {
                const dp_call *r = &p->calls[idx[k].i];
                repeats++;
                t = dp__sat_add(t, call_ns(r));
                if (r->kind == DP_CALL_LLM) {
                    tok = dp__sat_add(tok, call_tokens(r));
                    cost = dp__sat_add(cost, nonneg(r->cost_pusd));
                }
                nodes[n_nodes++] = r->node;
            }
            g = h;
        }
        if (repeats > 0) {
            bool llm = first->kind == DP_CALL_LLM;
            const char *name = text(first->name)[0] ? first->name
                                                    : (llm ? "(unknown model)"
                                                           : "(unnamed tool)");
            /* Simulated: the run replayed with the repeats taking no time;
             * the repeats' own durations when the replay cannot say. */
            dp_change cc = {.kind = DP_CHANGE_CACHE,
                            .a = (char *)text(first->name),
                            .cache_target =
                                llm ? DP_CACHE_MODEL : DP_CACHE_TOOL,
                            .exact = true};
            int64_t took = t, sim = 0;
            bool simulated = dp__opt_sim_wall(&c->sim, &cc, 1, &sim);
            if (simulated)
                t = nonneg(sim);
            char st[32], sc[32], ss[32];
            const char *replayed = "";
            if (simulated && t > 0)
                replayed = dp_arena_printf(
                    p->arena,
                    "; replayed without them, the run finishes %s earlier",
                    dp__analysis_secs(ss, sizeof ss, t));
            else if (simulated)
                replayed = "; replayed without them, the run ends no "
                           "earlier: other work sets its end";
            const char *where = node_list(c, nodes, n_nodes);
            const char *desc;
            const char *impl;
            if (llm) {
                desc = dp_arena_printf(
                    p->arena,
                    "%s received %zu repeated prompt%s (%zu distinct "
                    "prompt%s sent more than once) in %s: the repeats took "
                    "%s, %" PRId64 " tokens and %s%s",
                    name, repeats, repeats == 1 ? "" : "s", groups,
                    groups == 1 ? "" : "s", where,
                    dp__analysis_secs(st, sizeof st, took), tok,
                    dp__analysis_usd(sc, sizeof sc, cost), replayed);
                impl = dp_arena_printf(
                    p->arena,
                    "Cache %s responses for the run keyed by model and "
                    "prompt hash, so the repeated calls in %s reuse the "
                    "first answer",
                    name, where);
            } else {
                desc = dp_arena_printf(
                    p->arena,
                    "%s was called %zu more time%s with arguments already "
                    "seen in the run (%zu distinct argument set%s) in %s: "
                    "the repeats took %s%s",
                    name, repeats, repeats == 1 ? "" : "s", groups,
                    groups == 1 ? "" : "s", where,
                    dp__analysis_secs(st, sizeof st, took), replayed);
                impl = dp_arena_printf(
                    p->arena,
                    "Memoize %s results for the run keyed by their "
                    "arguments, so the repeated calls in %s reuse the first "
                    "result",
                    name, where);
            }
            push(c, DP_OPT_CACHE, priority_of(c, t, tok, cost), t, tok, cost,
                 desc, impl);
        }
        a = b;
    }
    free(idx);
    free(nodes);
}

/* ---- model_downgrade ----------------------------------------------------- */

/* Case-insensitive: pattern is a substring of model (so a prefix too). */
static bool pattern_matches(const char *pattern, const char *model)
{
    size_t pl = strlen(pattern), ml = strlen(model);
    if (pl == 0 || pl > ml)
        return false;
    for (size_t i = 0; i + pl <= ml; i++) {
        size_t k = 0;
        while (k < pl && tolower((unsigned char)model[i + k]) ==
                             tolower((unsigned char)pattern[k]))
            k++;
        if (k == pl)
            return true;
    }
    return false;
}

static bool same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

static void opt_model_downgrade(struct opt_ctx *c)
{
    const dp_profile *p = c->p;
    const dp_model_map *map = c->cfg->downgrade_map;
    size_t n_map = c->cfg->n_downgrade_map;
    if (!map) {
        map = default_downgrade_map;
        n_map =
            sizeof(default_downgrade_map) / sizeof(default_downgrade_map[0]);
    }
    if (c->run_tokens <= 0)
        return;
    long *nodes = malloc((p->n_calls ? p->n_calls : 1) * sizeof(*nodes));
    if (!nodes) {
        dp_log_warn(COMPONENT, "out of memory: model_downgrade skipped");
        return;
    }
    for (size_t m = 0; m < p->n_tokens_by_model; m++) {
        const char *model = text(p->tokens_by_model[m].name);
        int64_t mt = nonneg(p->tokens_by_model[m].value);
        if (dp__analysis_cmp(mt, 1, c->cfg->downgrade_token_share,
                             c->run_tokens) <= 0)
            continue;
        const char *sub = NULL;
        for (size_t k = 0; k < n_map && !sub; k++)
            if (map[k].pattern && map[k].substitute &&
                pattern_matches(map[k].pattern, model))
                sub = map[k].substitute;
        if (!sub || same_name(sub, model))
            continue;
        /* Price each call of this model again at the substitute. A call
         * counts only when both prices are known. */
        int64_t now = 0, then = 0;
        size_t priced = 0, n_nodes = 0;
        for (size_t i = 0; i < p->n_calls; i++) {
            const dp_call *k = &p->calls[i];
            if (k->kind != DP_CALL_LLM || strcmp(text(k->name), model) != 0)
                continue;
            nodes[n_nodes++] = k->node;
            if (!c->pricing || !k->priced)
                continue;
            int64_t alt = dp__pricing_cost(c->pricing, sub, &k->tokens,
                                           k->span_start_unix_ns);
            if (alt < 0)
                continue;
            now = dp__sat_add(now, k->cost_pusd);
            then = dp__sat_add(then, alt);
            priced++;
        }
        /* The replay's re-pricing of the same calls (the loop above is
         * the fallback and lists the nodes). */
        int64_t b = 0, a = 0;
        size_t np = 0;
        if (c->pricing && dp__opt_sim_swap(&c->sim, model, sub, &b, &a, &np)) {
            now = b;
            then = a;
            priced = np;
        }
        int64_t saving = dp__sat_sub(now, then);
        if (priced > 0 && saving <= 0)
            continue; /* the substitute is not cheaper for these calls */
        if (saving < 0)
            saving = 0;
        char sn[32], sb[32], ss[32];
        const char *desc;
        if (priced > 0)
            desc = dp_arena_printf(
                p->arena,
                "%s carries %.1f%% of the run's tokens (%" PRId64 " of %" PRId64
                ") and its %zu call%s cost %s; the same tokens on %s would "
                "cost %s, saving %s",
                model, dp__analysis_pct(mt, c->run_tokens), mt, c->run_tokens,
                priced, priced == 1 ? "" : "s",
                dp__analysis_usd(sn, sizeof sn, now), sub,
                dp__analysis_usd(sb, sizeof sb, then),
                dp__analysis_usd(ss, sizeof ss, saving));
        else
            desc = dp_arena_printf(
                p->arena,
                "%s carries %.1f%% of the run's tokens (%" PRId64 " of %" PRId64
                "); the saving from %s is unknown because %s or %s has no "
                "price",
                model, dp__analysis_pct(mt, c->run_tokens), mt, c->run_tokens,
                sub, model, sub);
        const char *impl = dp_arena_printf(
            p->arena,
            "Move the calls of %s in %s to %s where quality allows, and keep "
            "%s for the hardest reasoning",
            model, n_nodes ? node_list(c, nodes, n_nodes) : "the run", sub,
            model);
        push(c, DP_OPT_MODEL_DOWNGRADE, priority_of(c, 0, 0, saving), 0, 0,
             saving, desc, impl);
    }
    free(nodes);
}

/* ---- batch_operations ---------------------------------------------------- */

/* Orders tool-call indices of one node by tool name, then start order. */
static int cmp_by_name(const void *a, const void *b)
{
    const struct call_ref *ra = a, *rb = b;
    size_t i = ra->i, j = rb->i;
    int s = strcmp(text(ra->k->name), text(rb->k->name));
    if (s)
        return s;
    return (i > j) - (i < j);
}

/* Per node and tool: every maximal run of >= batch_min_calls calls, each
 * starting at or after the previous one's end, saves its total time minus
 * its longest call. One recommendation per node and tool. */
static void opt_batch(struct opt_ctx *c)
{
    const dp_profile *p = c->p;
    size_t min_calls = c->cfg->batch_min_calls ? c->cfg->batch_min_calls : 1;
    struct call_ref *idx = malloc((p->n_calls ? p->n_calls : 1) * sizeof(*idx));
    if (!idx) {
        dp_log_warn(COMPONENT, "out of memory: batch analysis skipped");
        return;
    }
    for (size_t ni = 0; ni < p->n_nodes; ni++) {
        const dp_node *node = &p->nodes[ni];
        size_t n = 0;
        for (size_t j = 0; j < node->n_calls; j++) {
            size_t ci = node->calls[j];
            if (ci < p->n_calls && p->calls[ci].kind == DP_CALL_TOOL)
                idx[n++] = (struct call_ref){&p->calls[ci], ci};
        }
        if (n < min_calls)
            continue;
        qsort(idx, n, sizeof(*idx), cmp_by_name);
        size_t a = 0;
        while (a < n) {
            size_t b = a + 1;
            while (b < n && strcmp(text(p->calls[idx[b].i].name),
                                   text(p->calls[idx[a].i].name)) == 0)
                b++;
            /* [a, b): one tool in start order; split into sequential runs */
            int64_t saving = 0, total = 0, longest_all = 0;
            size_t batched = 0;
            size_t r = a;
            while (r < b) {
                size_t e = r + 1;
                while (e < b && p->calls[idx[e].i].start_ns >=
                                    p->calls[idx[e - 1].i].end_ns)
                    e++;
                if (e - r >= min_calls) {
                    int64_t sum = 0, longest = 0;
                    for (size_t k = r; k < e; k++) {
                        int64_t d = call_ns(&p->calls[idx[k].i]);
                        sum = dp__sat_add(sum, d);
                        if (d > longest)
                            longest = d;
                    }
                    saving = dp__sat_add(saving, sum - longest);
                    total = dp__sat_add(total, sum);
                    if (longest > longest_all)
                        longest_all = longest;
                    batched += e - r;
                }
                r = e;
            }
            if (batched > 0 && saving > 0) {
                const char *tool = text(p->calls[idx[a].i].name)[0]
                                       ? p->calls[idx[a].i].name
                                       : "(unnamed tool)";
                char st[32], sl[32];
                const char *desc = dp_arena_printf(
                    p->arena,
                    "%s calls %s %zu times one after another (%s in total, "
                    "longest %s)",
                    text(node->id), tool, batched,
                    dp__analysis_secs(st, sizeof st, total),
                    dp__analysis_secs(sl, sizeof sl, longest_all));
                const char *impl = dp_arena_printf(
                    p->arena,
                    "Batch the %s calls of %s into one request, or issue "
                    "them concurrently",
                    tool, text(node->id));
                push(c, DP_OPT_BATCH_OPERATIONS, priority_of(c, saving, 0, 0),
                     saving, 0, 0, desc, impl);
            }
            a = b;
        }
    }
    free(idx);
}

/* ---- reduce_context ------------------------------------------------------ */

/* Mean input tokens over every LLM call that reported tokens (failed
 * attempts too), kept as the exact rational total / calls. Tokens saved =
 * (mean - target) x calls = total - target x calls. Cost saved = sum over
 * calls of (mean - target) x that call's uncached input price, i.e.
 * (total - target x calls) x (sum of prices) / calls, rounded to the
 * nearest pico-USD; an unpriced call contributes 0. */
static void opt_reduce_context(struct opt_ctx *c)
{
    const dp_profile *p = c->p;
    int64_t calls = 0, total = 0, max_in = -1;
    long max_node = -1;
    for (size_t i = 0; i < p->n_calls; i++) {
        const dp_call *k = &p->calls[i];
        if (k->kind != DP_CALL_LLM || !k->has_tokens)
            continue;
        calls++;
        total = dp__sat_add(total, nonneg(k->tokens.input));
        if (nonneg(k->tokens.input) > max_in) {
            max_in = nonneg(k->tokens.input);
            max_node = k->node;
        }
    }
    int64_t target = c->cfg->reduce_context_target;
    if (calls == 0 ||
        (i128)total <= (i128)c->cfg->reduce_context_mean_input * calls)
        return;
    i128 excess = (i128)total - (i128)target * (i128)calls;
    int64_t tokens = excess > INT64_MAX ? INT64_MAX : (int64_t)excess;
    if (tokens <= 0)
        return;
    i128 price_sum = 0;
    if (c->pricing) {
        for (size_t i = 0; i < p->n_calls; i++) {
            const dp_call *k = &p->calls[i];
            if (k->kind != DP_CALL_LLM || !k->has_tokens)
                continue;
            int64_t pr = dp__pricing_input_price(c->pricing, text(k->name),
                                                 nonneg(k->tokens.input),
                                                 k->span_start_unix_ns);
            if (pr > 0)
                price_sum += pr;
        }
    }
    i128 num = (i128)tokens * price_sum;
    i128 per = (num + calls / 2) / calls;
    int64_t cost = per > INT64_MAX ? INT64_MAX : (int64_t)per;
    char sc[32];
    long long mean_whole = (long long)(total / calls);
    const char *desc = dp_arena_printf(
        p->arena,
        "Mean input context is %lld tokens per LLM call over %" PRId64
        " calls (target %" PRId64 "): %" PRId64
        " input tokens above the target, worth %s",
        mean_whole, calls, target, tokens,
        dp__analysis_usd(sc, sizeof sc, cost));
    const char *impl = dp_arena_printf(
        p->arena,
        "Summarize or select the context before each call, starting with "
        "%s (largest input: %" PRId64 " tokens in one call)",
        node_id(p, max_node), max_in);
    push(c, DP_OPT_REDUCE_CONTEXT, priority_of(c, 0, tokens, cost), 0, tokens,
         cost, desc, impl);
}

/* ---- restructure_dag ----------------------------------------------------- */

static void opt_restructure(struct opt_ctx *c)
{
    const dp_profile *p = c->p;
    long nodes[64];
    dp_change half[64];
    size_t n = 0;
    int64_t saving = 0, exec = 0;
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        const dp_bottleneck *b = &p->bottlenecks[i];
        if (b->type != DP_BN_SEQUENTIAL_BOTTLENECK || b->node >= p->n_nodes)
            continue;
        int64_t e = nonneg(p->nodes[b->node].execution_ns);
        exec = dp__sat_add(exec, e);
        saving = dp__sat_add(saving, e / 2);
        if (n < 64) {
            half[n] = (dp_change){.kind = DP_CHANGE_SPEEDUP,
                                  .a = (char *)text(p->nodes[b->node].id),
                                  .factor = 2.0};
            nodes[n++] = (long)b->node;
        }
    }
    /* Simulated: the run replayed with those nodes twice as fast. */
    int64_t sim = 0;
    bool simulated = n > 0 && dp__opt_sim_wall(&c->sim, half, n, &sim);
    if (simulated)
        saving = sim;
    if (n == 0 || saving <= 0)
        return;
    char se[32], ss[32];
    const char *list = node_list(c, nodes, n);
    const char *desc = dp_arena_printf(
        p->arena,
        "Every path through the DAG passes through %s (%s of execution, "
        "%.1f%% of wall)",
        list, dp__analysis_secs(se, sizeof se, exec),
        dp__analysis_pct(exec, c->wall));
    const char *impl = dp_arena_printf(
        p->arena,
        "Split %s into independent parts that run in parallel; halving "
        "%s would %s %s%s",
        list, n == 1 ? "its execution" : "their execution",
        simulated ? "finish the run" : "save",
        dp__analysis_secs(ss, sizeof ss, saving),
        simulated ? " earlier (replayed)" : "");
    push(c, DP_OPT_RESTRUCTURE_DAG, priority_of(c, saving, 0, 0), saving, 0, 0,
         desc, impl);
}

/* ---- driver -------------------------------------------------------------- */

static int cmp_opt(const void *a, const void *b)
{
    const struct opt_item *x = a, *y = b;
    if (x->o.priority != y->o.priority)
        return x->o.priority > y->o.priority ? -1 : 1;
    if (x->o.type != y->o.type)
        return x->o.type < y->o.type ? -1 : 1;
    if (x->o.saving_time_ns != y->o.saving_time_ns)
        return x->o.saving_time_ns > y->o.saving_time_ns ? -1 : 1;
    if (x->o.saving_cost_pusd != y->o.saving_cost_pusd)
        return x->o.saving_cost_pusd > y->o.saving_cost_pusd ? -1 : 1;
    if (x->o.saving_tokens != y->o.saving_tokens)
        return x->o.saving_tokens > y->o.saving_tokens ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Fills profile->optimizations and n_optimizations; reads the bottlenecks,
 * so it runs after dp__bottlenecks_detect. pricing may be NULL (price-based
 * savings are then 0). Result and strings in profile->arena. Cost:
 * O(calls log calls + nodes + models x calls). */
void dp__optimizations_build(dp_profile *profile, const dp_analysis_config *cfg,
                             const dp_pricing *pricing)
{
    struct opt_ctx c;
    memset(&c, 0, sizeof(c));
    c.p = profile;
    c.cfg = cfg;
    c.pricing = pricing;
    c.wall = nonneg(profile->wall_ns);
    c.run_tokens = dp__sat_add(nonneg(profile->tokens.input),
                               nonneg(profile->tokens.output));
    profile->optimizations = NULL;
    profile->n_optimizations = 0;

    c.sim.p = profile;
    c.sim.pricing = pricing;

    opt_parallelize(&c);
    opt_cache(&c);
    opt_model_downgrade(&c);
    opt_batch(&c);
    opt_reduce_context(&c);
    opt_restructure(&c);
    dp__opt_sim_fini(&c.sim);

    if (c.n > 0) {
        qsort(c.v, c.n, sizeof(*c.v), cmp_opt);
        dp_optimization *v = dp_arena_alloc(profile->arena, c.n * sizeof(*v));
        if (v) {
            for (size_t i = 0; i < c.n; i++)
                v[i] = c.v[i].o;
            profile->optimizations = v;
            profile->n_optimizations = c.n;
        } else {
            dp_log_warn(COMPONENT, "out of memory: optimizations dropped");
        }
    }
    free(c.v);
}
