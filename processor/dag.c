/*
 * dag.c - finalization: one trace's span records become a profile.
 *
 * Drives the builder (dag_build.h) through DESIGN.md "From spans to a DAG"
 * and "Metrics": the run window over every span, nodes and executions
 * (nodes.c), dependencies and the leaf DAG (deps.c), calls (rollup.c),
 * timing, critical path and parallelism (timing.c), per-node sums
 * (rollup.c); then cost (cost.c), group cost, and the analysis. The
 * builder's small shared pieces (string map, warnings) are in dag_util.c.
 * Cost: O(S log S + E) for S spans and E dependency edges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dag_build.h"
#include "hex.h"

/* The run window: earliest start to latest end of any span (a root that
 * ends before its children, or several roots, do not shorten it). */
static void run_window(struct builder *b)
{
    const dp__trace *t = b->t;
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

/* dag.id on the root, else the earliest span carrying one; else the agent
 * name of an invoke_workflow root; else the root's name. */
static const char *pick_dag_id(const dp__trace *t)
{
    const dp__span *best = NULL;
    const dp__span *root = t->root >= 0 ? &t->spans[t->root] : NULL;
    if (root && root->dag_id)
        return root->dag_id;
    for (uint32_t i = 0; i < t->n_spans; i++) {
        const dp__span *s = &t->spans[i];
        if (s->dag_id && (!best || s->start_ns < best->start_ns ||
                          (s->start_ns == best->start_ns &&
                           memcmp(s->span_id, best->span_id, 8) < 0)))
            best = s;
    }
    if (best)
        return best->dag_id;
    if (root && (root->flags & DP__SPAN_WORKFLOW) && root->agent_name)
        return root->agent_name;
    if (root && root->name[0])
        return root->name;
    return "unknown";
}

static uint64_t wall_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *dup_or_null(dp_arena *a, const char *s)
{
    return s ? dp_arena_strdup(a, s) : NULL;
}

static int header(struct builder *b, int incomplete_reason)
{
    const dp__trace *t = b->t;
    dp_profile *prof = b->prof;
    dp_arena *pa = prof->arena;
    memcpy(prof->trace_id, t->trace_id, 16);
    dp_hex_encode(t->trace_id, 16, prof->trace_id_hex);
    memcpy(prof->profile_id, "prof-", 5);
    memcpy(prof->profile_id + 5, prof->trace_id_hex, 16);
    prof->profile_id[21] = '\0';
    prof->dag_id = dp_arena_strdup(pa, pick_dag_id(t));
    prof->service_name = dup_or_null(pa, t->service);
    prof->version = dup_or_null(pa, t->version);
    prof->session_id = dup_or_null(pa, t->session);
    if (!prof->dag_id || (t->service && !prof->service_name) ||
        (t->version && !prof->version) || (t->session && !prof->session_id))
        return DP_ENOMEM;
    prof->incomplete_reason = incomplete_reason;
    prof->complete = incomplete_reason == DP_INCOMPLETE_NONE;
    prof->span_count = t->n_spans;
    prof->profiled_at_unix_ns = wall_clock_ns();
    prof->has_root = t->root >= 0;
    if (prof->has_root)
        memcpy(prof->root_span_id, t->spans[t->root].span_id, 8);
    run_window(b);
    prof->start_unix_ns = b->run_start;
    uint64_t wall = b->run_end - b->run_start;
    prof->wall_ns = wall > INT64_MAX ? INT64_MAX : (int64_t)wall;
    return 0;
}

dp_profile *dp__trace_profile(const dp__trace *t, int incomplete_reason,
                              const dp_processor_config *cfg)
{
    struct builder b;
    dp_profile *prof = NULL;
    dp_arena *pa = dp_arena_create(4096);
    memset(&b, 0, sizeof(b));
    b.t = t;
    b.cfg = cfg;
    b.tmp = dp_arena_create(4096 + (size_t)t->n_spans * 64);
    if (!pa || !b.tmp)
        goto err;
    prof = dp_arena_alloc(pa, sizeof(*prof));
    if (!prof)
        goto err;
    prof->arena = pa;
    b.prof = prof;

    if (header(&b, incomplete_reason) || dp__nodes_build(&b) ||
        dp__deps_build(&b) || dp__timing_build(&b) || dp__calls_collect(&b) ||
        dp__rollup_nodes(&b))
        goto err;
    /* dp_processor_create always fills cfg->analysis (defaults or the
     * caller's copy). */
    dp__cost_apply(prof, cfg->pricing);
    dp__rollup_cost(&b);
    dp__analysis_run(prof, cfg->analysis, cfg->pricing);
    if (b.dropped_warnings) {
        b.n_warnings--; /* the last kept one makes room for the summary */
        b.dropped_warnings++;
        if (dp__warn(&b, "%zu more warnings not listed", b.dropped_warnings))
            goto err;
    }
    prof->warnings = b.warnings;
    prof->n_warnings = b.n_warnings;
    dp_arena_destroy(b.tmp);
    return prof;

err:
    dp_arena_destroy(b.tmp);
    dp_arena_destroy(pa);
    return NULL;
}

void dp_profile_free(dp_profile *profile)
{
    if (profile)
        dp_arena_destroy(profile->arena); /* the profile lives in it */
}

size_t dp_profile_mem_bytes(const dp_profile *profile)
{
    return profile ? dp_arena_size(profile->arena) : 0;
}

dp_profile *dp_profile_new(void)
{
    dp_arena *a = dp_arena_create(4096);
    dp_profile *p = a ? dp_arena_alloc(a, sizeof(*p)) : NULL;
    if (!p) {
        dp_arena_destroy(a);
        return NULL;
    }
    p->arena = a;
    return p;
}

void *dp_profile_alloc(dp_profile *profile, size_t n)
{
    return dp_arena_alloc(profile->arena, n ? n : 1);
}

char *dp_profile_strndup(dp_profile *profile, const char *s, size_t n)
{
    return dp_arena_strndup(profile->arena, s, n);
}
