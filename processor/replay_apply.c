/*
 * replay_apply.c - what each what-if change does to one replay, before the
 * scheduler runs (replay.c): names checked against the profile, node
 * execution times after calls are cached or re-timed and nodes sped up,
 * dropped edges, and the run's tokens and cost after model swaps and
 * caching.
 *
 * Call time: inside a leaf, each instant covered by calls lasts as long as
 * its slowest covering call after the change (a cached call takes 0, a
 * model swap with known throughput scales its call by A/B; every other
 * call 1), so parallel calls are not counted twice and the leaf's own time
 * between calls is kept. Cost: a swapped call is priced at B from its own
 * tokens (cache and reasoning tokens kept as such, B's prices for them);
 * a cached call's tokens and cost are removed. A profile read back from
 * JSON has no per-call usage: a swap re-prices each leaf that used only A
 * from its token totals, and cache is refused (no tool arguments).
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

int dp__replay_note(dp_replay *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **v = realloc(out->notes, (out->n_notes + 1) * sizeof(*v));
    if (!v)
        return DP_ENOMEM;
    out->notes = v;
    if (!(v[out->n_notes] = strdup(buf)))
        return DP_ENOMEM;
    out->n_notes++;
    return 0;
}

static const char *text(const char *s)
{
    return s ? s : "";
}

static bool same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

/* A names model m: the same name (any case), or m is A plus a date
 * version ("claude-sonnet-4-5" names "claude-sonnet-4-5-20250929") or an
 * '@' version ("...@20250929"). */
static bool model_matches(const char *a, const char *m)
{
    size_t la = strlen(a);
    if (same_name(a, m))
        return true;
    if (strlen(m) <= la + 1)
        return false;
    for (size_t i = 0; i < la; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)m[i]))
            return false;
    if (m[la] == '@')
        return true;
    if (m[la] != '-')
        return false;
    for (const char *d = m + la + 1; *d; d++)
        if (!isdigit((unsigned char)*d))
            return false;
    return true;
}

/* Whether change c (MODEL, or CACHE of a model) names model m. */
bool dp_change_names_model(const char *a, const char *m, bool exact)
{
    return exact ? same_name(a, m) : model_matches(a, m);
}

static bool names_model(const dp_change *c, const char *m)
{
    return c->exact ? same_name(c->a, m) : model_matches(c->a, m);
}

/* Up to 8 distinct names from names[0..n) joined into buf. */
static const char *join(char *buf, size_t len, const char *const *names,
                        size_t n)
{
    size_t used = 0, shown = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(text(names[j]), text(names[i])) == 0;
        if (dup || !text(names[i])[0])
            continue;
        if (shown == 8) {
            snprintf(buf + used, len - used, ", ...");
            break;
        }
        int w = snprintf(buf + used, len - used, "%s%s", shown ? ", " : "",
                         names[i]);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        shown++;
    }
    return buf;
}

static long node_named(struct rp_run *r, const char *id, const char *change)
{
    long k = dp__replay_find(r->ctx, id);
    if (k >= 0)
        return k;
    const dp_profile *p = r->p;
    const char **ids = malloc((p->n_nodes + 1) * sizeof(char *));
    char list[512] = "";
    if (ids) {
        for (size_t i = 0; i < p->n_nodes; i++)
            ids[i] = p->nodes[i].id;
        join(list, sizeof(list), ids, p->n_nodes);
        free(ids);
    }
    dp__replay_fail(r, DP_ENOENT, "%s: unknown node '%s' (nodes: %s)", change,
                    id, list[0] ? list : "none");
    return -1;
}

/* Names of the calls of a kind (tools, or models), for messages. */
static const char *call_names(const dp_profile *p, int kind, char *buf,
                              size_t len)
{
    const char **v = malloc((p->n_calls + 1) * sizeof(char *));
    size_t n = 0;
    buf[0] = '\0';
    if (!v)
        return buf;
    for (size_t i = 0; i < p->n_calls; i++)
        if (p->calls[i].kind == kind)
            v[n++] = p->calls[i].name;
    join(buf, len, v, n);
    free(v);
    return buf[0] ? buf : "none";
}

/* ---- per-call classes --------------------------------------------------- */

/* class 0: cached (factor 0); 1: unchanged; 2 + m: model swap m. */
struct calls {
    uint8_t *cls;
    double *factor; /* per class */
    size_t n_classes;
};

struct key_ref {
    uint64_t key;
    size_t i;
};

static int cmp_key(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Marks every repeat (same key, later in start order) of the calls that
 * match as cached. Returns the repeats, or -1 on ENOMEM. */
static long mark_cached(struct rp_run *r, struct calls *cs, int kind,
                        const dp_change *ch)
{
    const dp_profile *p = r->p;
    struct key_ref *v =
        dp_arena_alloc_raw(r->tmp, (p->n_calls + 1) * sizeof(*v));
    if (!v)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < p->n_calls; i++) {
        const dp_call *k = &p->calls[i];
        if (k->kind != kind || k->cache_key == 0)
            continue;
        if (kind == DP_CALL_TOOL ? strcmp(text(k->name), ch->a) != 0
                                 : !names_model(ch, text(k->name)))
            continue;
        v[n++] = (struct key_ref){k->cache_key, i};
    }
    qsort(v, n, sizeof(*v), cmp_key);
    long repeats = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i].key == v[i - 1].key) {
            cs->cls[v[i].i] = 0;
            repeats++;
        }
    return repeats;
}

static int apply_cache(struct rp_run *r, struct calls *cs, const dp_change *ch)
{
    const dp_profile *p = r->p;
    char list[512];
    if (r->ctx->from_file)
        return dp__replay_fail(
            r, DP_EPARSE,
            "cache %s: needs a trace file (a profile file keeps no tool "
            "arguments, so repeated calls cannot be told apart)",
            ch->a);
    bool tool = false, model = false;
    for (size_t i = 0; i < p->n_calls; i++) {
        const dp_call *k = &p->calls[i];
        if (k->kind == DP_CALL_TOOL && strcmp(text(k->name), ch->a) == 0)
            tool = true;
        if (k->kind == DP_CALL_LLM && names_model(ch, text(k->name)))
            model = true;
    }
    int kind = 0;
    if (ch->cache_target != DP_CACHE_MODEL && tool)
        kind = DP_CALL_TOOL;
    else if (ch->cache_target != DP_CACHE_TOOL && model)
        kind = DP_CALL_LLM;
    if (!kind)
        return dp__replay_fail(
            r, DP_ENOENT,
            "cache %s: no tool%s named '%s' in this run "
            "(tools: %s)",
            ch->a, ch->cache_target == DP_CACHE_TOOL ? "" : " or model", ch->a,
            call_names(p, DP_CALL_TOOL, list, sizeof list));
    long rep = mark_cached(r, cs, kind, ch);
    if (rep < 0)
        return DP_ENOMEM;
    if (rep == 0 &&
        dp__replay_note(r->out,
                        "cache %s: no call repeats arguments already seen in "
                        "the run; nothing changes",
                        ch->a))
        return DP_ENOMEM;
    return 0;
}

/* ---- model swaps -------------------------------------------------------- */

static int check_model(struct rp_run *r, const dp_change *ch)
{
    const dp_profile *p = r->p;
    const dp_pricing *pr = r->ctx->pricing;
    char list[512];
    bool used = false;
    if (r->ctx->from_file) {
        for (size_t k = 0; k < p->n_nodes && !used; k++)
            for (size_t m = 0; m < p->nodes[k].n_models && !used; m++)
                used = names_model(ch, text(p->nodes[k].models[m]));
        if (!used) {
            const char **v =
                malloc((p->n_tokens_by_model + 1) * sizeof(char *));
            list[0] = '\0';
            if (v) {
                for (size_t i = 0; i < p->n_tokens_by_model; i++)
                    v[i] = p->tokens_by_model[i].name;
                join(list, sizeof list, v, p->n_tokens_by_model);
                free(v);
            }
        }
    } else {
        for (size_t i = 0; i < p->n_calls && !used; i++)
            used = p->calls[i].kind == DP_CALL_LLM &&
                   names_model(ch, text(p->calls[i].name));
        if (!used)
            call_names(p, DP_CALL_LLM, list, sizeof list);
    }
    if (!used)
        return dp__replay_fail(r, DP_ENOENT,
                               "model %s=%s: no LLM call in this run uses "
                               "'%s' (models: %s)",
                               ch->a, ch->b, ch->a, list[0] ? list : "none");
    if (!pr || dp__pricing_cost(pr, ch->b, NULL, p->start_unix_ns) < 0)
        return dp__replay_fail(r, DP_ENOENT,
                               "model %s=%s: '%s' has no price in the pricing "
                               "table (add a row with --pricing FILE)",
                               ch->a, ch->b, ch->b);
    return 0;
}

static void tok_sub(dp_tokens *t, const dp_tokens *d)
{
    t->input = dp__sat_sub(t->input, d->input);
    t->output = dp__sat_sub(t->output, d->output);
    t->cache_read = dp__sat_sub(t->cache_read, d->cache_read);
    t->cache_write = dp__sat_sub(t->cache_write, d->cache_write);
    t->reasoning = dp__sat_sub(t->reasoning, d->reasoning);
}

static int64_t tok_sum(const dp_tokens *t)
{
    return dp__sat_add(t->input > 0 ? t->input : 0,
                       t->output > 0 ? t->output : 0);
}

/* Costs and tokens of the calls after the changes (trace profiles). */
static void price_calls(struct rp_run *r, const struct calls *cs,
                        const dp_change *const *swaps)
{
    const dp_profile *p = r->p;
    dp_replay *o = r->out;
    for (size_t i = 0; i < p->n_calls; i++) {
        const dp_call *k = &p->calls[i];
        long nd = k->node >= 0 && (size_t)k->node < p->n_nodes ? k->node : -1;
        if (k->kind != DP_CALL_LLM)
            continue;
        if (cs->cls[i] == 0) {
            tok_sub(&o->tokens, &k->tokens);
            o->cost_pusd = dp__sat_sub(o->cost_pusd, k->cost_pusd);
            o->cached_calls++;
            o->cached_tokens =
                dp__sat_add(o->cached_tokens, tok_sum(&k->tokens));
            o->cached_cost_pusd =
                dp__sat_add(o->cached_cost_pusd, k->cost_pusd);
            if (nd >= 0) {
                o->nodes[nd].tokens =
                    dp__sat_sub(o->nodes[nd].tokens, tok_sum(&k->tokens));
                o->nodes[nd].cost_pusd =
                    dp__sat_sub(o->nodes[nd].cost_pusd, k->cost_pusd);
            }
            continue;
        }
        if (cs->cls[i] < 2)
            continue;
        const dp_change *ch = swaps[cs->cls[i] - 2];
        int64_t now = dp__pricing_cost(r->ctx->pricing, ch->b, &k->tokens,
                                       k->span_start_unix_ns);
        if (now < 0)
            continue; /* no row of B in effect at this call's date */
        int64_t was = k->priced ? k->cost_pusd : 0;
        if (k->priced) {
            o->swap_cost_before_pusd =
                dp__sat_add(o->swap_cost_before_pusd, was);
            o->swap_cost_after_pusd = dp__sat_add(o->swap_cost_after_pusd, now);
            o->swap_priced_calls++;
        }
        o->swap_calls++;
        o->cost_pusd = dp__sat_add(o->cost_pusd, dp__sat_sub(now, was));
        if (nd >= 0)
            o->nodes[nd].cost_pusd =
                dp__sat_add(o->nodes[nd].cost_pusd, dp__sat_sub(now, was));
    }
}

/* A profile file: each leaf whose models are all named by A is priced at
 * B from its token totals; one that mixed in other models is not
 * re-priced (noted). */
static int price_leaves(struct rp_run *r, const dp_change *ch)
{
    const dp_profile *p = r->p;
    dp_replay *o = r->out;
    for (size_t k = 0; k < p->n_nodes; k++) {
        const dp_node *nd = &p->nodes[k];
        bool uses = false, only = true;
        for (size_t m = 0; m < nd->n_models; m++) {
            bool is_a = names_model(ch, text(nd->models[m]));
            uses |= is_a;
            only &= is_a;
        }
        if (!uses || nd->kind != DP_NODE_LEAF)
            continue;
        if (!only) {
            if (dp__replay_note(o,
                                "%s: used several models, so its %s tokens "
                                "cannot be told apart in a profile file; not "
                                "re-priced",
                                nd->id, ch->a))
                return DP_ENOMEM;
            continue;
        }
        int64_t now =
            dp__pricing_cost(r->ctx->pricing, ch->b, &nd->tokens,
                             p->start_unix_ns + (uint64_t)nd->start_ns);
        if (now < 0)
            continue;
        o->swap_cost_before_pusd =
            dp__sat_add(o->swap_cost_before_pusd, nd->cost_pusd);
        o->swap_cost_after_pusd = dp__sat_add(o->swap_cost_after_pusd, now);
        o->swap_calls++;
        o->swap_priced_calls++;
        int64_t d = dp__sat_sub(now, nd->cost_pusd);
        o->cost_pusd = dp__sat_add(o->cost_pusd, d);
        o->nodes[k].cost_pusd = dp__sat_add(o->nodes[k].cost_pusd, d);
    }
    return 0;
}

/* ---- node times ---------------------------------------------------------- */

struct cev {
    int64_t t;
    int d;
    uint8_t cls;
};

static int cmp_cev(const void *a, const void *b)
{
    const struct cev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->d - y->d;
}

/* Change of leaf k's execution from its calls' new durations. */
static int64_t calls_delta(struct rp_run *r, const struct calls *cs, size_t k,
                           struct cev *ev, size_t *active)
{
    const dp_profile *p = r->p;
    const dp_node *nd = &p->nodes[k];
    size_t ne = 0;
    bool any = false;
    for (size_t j = 0; j < nd->n_calls; j++)
        any |= nd->calls[j] < p->n_calls && cs->cls[nd->calls[j]] != 1;
    if (!any)
        return 0;
    for (size_t j = 0; j < nd->n_calls; j++) {
        size_t i = nd->calls[j];
        if (i >= p->n_calls)
            continue;
        int64_t s = p->calls[i].start_ns, e = p->calls[i].end_ns;
        s = s < nd->start_ns ? nd->start_ns : s;
        e = e > nd->end_ns ? nd->end_ns : e;
        if (e <= s)
            continue;
        ev[ne++] = (struct cev){s, +1, cs->cls[i]};
        ev[ne++] = (struct cev){e, -1, cs->cls[i]};
    }
    qsort(ev, ne, sizeof(*ev), cmp_cev);
    memset(active, 0, cs->n_classes * sizeof(size_t));
    double delta = 0;
    size_t open = 0;
    for (size_t i = 0; i < ne; i++) {
        if (open && i > 0 && ev[i].t > ev[i - 1].t) {
            double f = -1;
            for (size_t c = 0; c < cs->n_classes; c++)
                if (active[c] && cs->factor[c] > f)
                    f = cs->factor[c];
            if (f != 1.0)
                delta += (double)(ev[i].t - ev[i - 1].t) * (f - 1.0);
        }
        if (ev[i].d > 0) {
            active[ev[i].cls]++;
            open++;
        } else {
            active[ev[i].cls]--;
            open--;
        }
    }
    if (delta >= 9.2e18)
        return INT64_MAX;
    return delta <= -9.2e18 ? INT64_MIN : (int64_t)llround(delta);
}

static int node_times(struct rp_run *r, const struct calls *cs,
                      const double *speed, const int64_t *trim,
                      const dp_change *const *swaps, size_t n_swaps)
{
    const dp_profile *p = r->p;
    struct cev *ev =
        dp_arena_alloc_raw(r->tmp, (2 * p->n_calls + 1) * sizeof(*ev));
    size_t *active =
        dp_arena_alloc(r->tmp, (cs->n_classes + 1) * sizeof(size_t));
    if (!ev || !active)
        return DP_ENOMEM;
    for (size_t k = 0; k < p->n_nodes; k++) {
        const dp_node *nd = &p->nodes[k];
        int64_t e = nd->execution_ns > 0 ? nd->execution_ns : 0;
        r->exec[k] = e;
        if (nd->kind != DP_NODE_LEAF)
            continue;
        e = dp__sat_add(e, calls_delta(r, cs, k, ev, active));
        if (r->ctx->from_file && nd->n_models == 1)
            for (size_t m = 0; m < n_swaps; m++)
                if (swaps[m]->factor > 0 &&
                    names_model(swaps[m], text(nd->models[0])))
                    e = dp__sat_add(
                        e,
                        (int64_t)fmax(
                            -9.2e18,
                            fmin(9.2e18, (double)nd->llm_ns *
                                             (1.0 / swaps[m]->factor - 1.0))));
        if (e < 0)
            e = 0;
        if (speed[k] != 1.0) {
            double v = (double)e / speed[k];
            e = v >= 9.2e18 ? INT64_MAX : (int64_t)llround(v);
        }
        e = dp__sat_sub(e, trim[k]);
        r->exec[k] = e > 0 ? e : 0;
    }
    return 0;
}

/* ---- driver -------------------------------------------------------------- */

static void scale_subtree(const dp_profile *p, double *speed, size_t k,
                          double f)
{
    for (size_t i = 0; i < p->n_nodes; i++)
        for (long g = (long)i; g >= 0; g = p->nodes[g].parent)
            if ((size_t)g == k) {
                speed[i] *= f;
                break;
            }
}

int dp__replay_apply(struct rp_run *r, const dp_change *ch, size_t n)
{
    const dp_profile *p = r->p;
    dp_replay *o = r->out;
    size_t nn = p->n_nodes;
    double *speed = dp_arena_alloc_raw(r->tmp, (nn + 1) * sizeof(double));
    int64_t *trim = dp_arena_alloc(r->tmp, (nn + 1) * sizeof(int64_t));
    const dp_change **swaps = dp_arena_alloc(r->tmp, (n + 1) * sizeof(void *));
    struct calls cs;
    cs.cls = dp_arena_alloc_raw(r->tmp, p->n_calls + 1);
    cs.factor = dp_arena_alloc(r->tmp, (n + 2) * sizeof(double));
    r->exec = dp_arena_alloc_raw(r->tmp, (nn + 1) * sizeof(int64_t));
    r->drops = dp_arena_alloc(r->tmp, (n + 1) * sizeof(*r->drops));
    if (!speed || !trim || !swaps || !cs.cls || !cs.factor || !r->exec ||
        !r->drops)
        return DP_ENOMEM;
    for (size_t k = 0; k < nn; k++)
        speed[k] = 1.0;
    memset(cs.cls, 1, p->n_calls + 1);
    cs.factor[0] = 0.0;
    cs.factor[1] = 1.0;
    cs.n_classes = 2;
    size_t n_swaps = 0;
    o->tokens = p->tokens;
    o->cost_pusd = p->cost_pusd;
    for (size_t k = 0; k < nn; k++) {
        o->nodes[k].tokens = p->nodes[k].own_tokens;
        o->nodes[k].cost_pusd = p->nodes[k].own_cost_pusd;
    }

    for (size_t i = 0; i < n; i++) {
        const dp_change *c = &ch[i];
        char spec[256];
        dp_change_format(c, spec, sizeof spec);
        long x, y;
        int rc;
        switch (c->kind) {
        case DP_CHANGE_WORKERS:
            if (c->workers < 1)
                return dp__replay_fail(r, DP_EINVAL,
                                       "%s: needs at least 1 worker", spec);
            r->workers = c->workers;
            r->workers_note = true;
            break;
        case DP_CHANGE_NO_QUEUE:
            r->no_queue = true;
            break;
        case DP_CHANGE_SPEEDUP:
            if (!(c->factor > 0) || !isfinite(c->factor))
                return dp__replay_fail(r, DP_EINVAL,
                                       "%s: the factor must be above 0", spec);
            if ((x = node_named(r, text(c->a), spec)) < 0)
                return DP_ENOENT;
            scale_subtree(p, speed, (size_t)x, c->factor);
            break;
        case DP_CHANGE_TRIM:
            if ((x = node_named(r, text(c->a), spec)) < 0)
                return DP_ENOENT;
            trim[x] = dp__sat_add(trim[x], c->trim_ns > 0 ? c->trim_ns : 0);
            break;
        case DP_CHANGE_DROP_DEP: {
            if ((x = node_named(r, text(c->a), spec)) < 0 ||
                (y = node_named(r, text(c->b), spec)) < 0)
                return DP_ENOENT;
            const dp_node *ny = &p->nodes[y];
            bool has = false;
            for (size_t d = 0; d < ny->n_deps && !has; d++)
                has = ny->deps[d] == (size_t)x;
            if (!has) {
                const char **v = malloc((ny->n_deps + 1) * sizeof(char *));
                char list[512] = "";
                if (v) {
                    for (size_t d = 0; d < ny->n_deps; d++)
                        v[d] = ny->deps[d] < nn ? p->nodes[ny->deps[d]].id : "";
                    join(list, sizeof list, v, ny->n_deps);
                    free(v);
                }
                return dp__replay_fail(
                    r, DP_ENOENT, "%s: %s does not depend on %s (%s%s)", spec,
                    c->b, c->a, list[0] ? "it depends on: " : "",
                    list[0] ? list : "it has no dependencies");
            }
            r->drops[r->n_drops++] = (struct rp_drop){(size_t)x, (size_t)y};
            break;
        }
        case DP_CHANGE_MODEL:
            if ((rc = check_model(r, c)))
                return rc;
            swaps[n_swaps++] = c;
            cs.factor[cs.n_classes++] = c->factor > 0 ? 1.0 / c->factor : 1.0;
            if (!r->ctx->from_file)
                for (size_t k = 0; k < p->n_calls; k++)
                    if (p->calls[k].kind == DP_CALL_LLM && cs.cls[k] == 1 &&
                        names_model(c, text(p->calls[k].name)))
                        cs.cls[k] = (uint8_t)(cs.n_classes - 1);
            if (c->factor > 0 && c->history_checked &&
                dp__replay_note(
                    o,
                    "%s: latency scaled by throughput from history (%" PRIu32
                    " run%s %s, %" PRIu32 " run%s %s): output tokens per "
                    "second of LLM time, p50, %.1f for %s and %.1f for %s, "
                    "so %s's LLM calls take %.3fx their time; cost "
                    "re-priced at %s",
                    spec, c->runs_a, c->runs_a == 1 ? "" : "s", c->a, c->runs_b,
                    c->runs_b == 1 ? "" : "s", c->b, c->tps_a, c->a, c->tps_b,
                    c->b, c->a, 1.0 / c->factor, c->b))
                return DP_ENOMEM;
            if (c->factor > 0 && !c->history_checked &&
                dp__replay_note(o,
                                "%s: LLM time scaled by the given throughput "
                                "ratio (B/A %.3f); cost re-priced at %s",
                                spec, c->factor, c->b))
                return DP_ENOMEM;
            if (c->factor <= 0 && c->history_checked &&
                dp__replay_note(o,
                                "%s: latency assumed unchanged (the history "
                                "store has output-token throughput of %" PRIu32
                                " run%s of %s and %" PRIu32 " of %s, both "
                                "needed); cost re-priced at %s",
                                spec, c->runs_a, c->runs_a == 1 ? "" : "s",
                                c->a, c->runs_b, c->b, c->b))
                return DP_ENOMEM;
            if (c->factor <= 0 && !c->history_checked &&
                dp__replay_note(o,
                                "%s: latency assumed unchanged (no history of "
                                "both models' output-token throughput); cost "
                                "re-priced at %s",
                                spec, c->b))
                return DP_ENOMEM;
            if (r->ctx->from_file &&
                dp__replay_note(o,
                                "%s: re-priced from each leaf's token totals "
                                "(a profile file keeps no per-call usage)",
                                spec))
                return DP_ENOMEM;
            break;
        case DP_CHANGE_CACHE:
            if ((rc = apply_cache(r, &cs, c)))
                return rc;
            break;
        default:
            return dp__replay_fail(r, DP_EINVAL, "unknown change kind %d",
                                   c->kind);
        }
        if (cs.n_classes > 250)
            return dp__replay_fail(r, DP_EINVAL, "too many model changes");
    }
    if (r->workers_note && r->workers < r->p->n_leaves &&
        dp__replay_note(o,
                        "workers=%u: a node may also wait for a free worker; "
                        "the critical path follows dependencies only",
                        (unsigned)r->workers))
        return DP_ENOMEM;
    if (r->ctx->from_file) {
        for (size_t m = 0; m < n_swaps; m++)
            if (price_leaves(r, swaps[m]))
                return DP_ENOMEM;
    } else {
        price_calls(r, &cs, swaps);
    }
    return node_times(r, &cs, speed, trim, swaps, n_swaps);
}
