/*
 * dag_build.h - the state shared by the files that turn one trace into a
 * profile, in the order they run (dag.c drives them):
 *
 *   nodes.c   which spans are nodes; executions (retries vs separate
 *             nodes), unique ids, groups and leaves, span ownership
 *   deps.c    declared dependencies, inference from timing with the
 *             tolerance, cycles, transitive reduction, the leaf DAG
 *   timing.c  node timing, critical path, parallelism (leaves only)
 *   rollup.c  LLM and tool calls, tokens, per-node and subtree totals
 *
 * Temporary arrays live in the builder's scratch arena (freed on return);
 * everything the profile keeps is in the profile's arena. Private to the
 * processor.
 */
#ifndef DP_PROCESSOR_DAG_BUILD_H
#define DP_PROCESSOR_DAG_BUILD_H

#include <string.h>

#include "trace.h"

/* A node while the DAG is built, before nodes are put in output order. */
struct tnode {
    const char *id;     /* unique in the run: base, or base#k */
    const char *base;   /* the id its spans carry */
    uint32_t *attempts; /* span indices, by start */
    uint32_t n_attempts;
    uint32_t last;       /* while executions are formed: latest attempt */
    uint64_t start, end; /* absolute ns */
    long parent;         /* enclosing group (temp index) or -1 */
    uint32_t depth;      /* number of enclosing groups */
    bool group;
    size_t *deps; /* own dependencies (temp indices): dependsOn */
    size_t n_deps;
    int dep_source;
    bool declared; /* has a usable declaration (no inference) */
    size_t *ready; /* leaf dependencies that set its ready time */
    size_t n_ready;
    uint64_t group_start; /* latest start of its enclosing groups, or 0 */
    size_t out;           /* index in profile->nodes */
};

struct builder {
    const dp__trace *t;
    const dp_processor_config *cfg;
    dp_arena *tmp;
    dp_profile *prof;
    long *parent;  /* span -> parent span index or -1 */
    long *owner;   /* span -> temp node of nearest ancestor-or-self node */
    long *node_of; /* span -> temp node when the span is a node span */
    struct tnode *nodes;
    size_t n_nodes;
    size_t *by_depth; /* temp node indices, outermost first */
    uint64_t run_start, run_end;
    const char **warnings; /* in the profile's arena */
    size_t n_warnings, cap_warnings, dropped_warnings;
};

/* For a qsort_r over temp node indices with the builder as ctx: the nodes
 * behind a and b in *x and *y, and the order of their base ids (strcmp);
 * the comparators break its ties their own way. */
static inline int dp__tnode_cmp_base(const void *a, const void *b, void *ctx,
                                     const struct tnode **x,
                                     const struct tnode **y)
{
    const struct builder *bl = ctx;
    *x = &bl->nodes[*(const size_t *)a];
    *y = &bl->nodes[*(const size_t *)b];
    return strcmp((*x)->base, (*y)->base);
}

/* dag_util.c: string -> index map over the scratch arena (open addressing, no
 * removal). */
struct strmap {
    const char **keys;
    size_t *vals;
    size_t cap;
};

/* Sizes m for n keys. Returns 0 or DP_ENOMEM. */
int dp__strmap_init(struct strmap *m, dp_arena *a, size_t n);
/* The slot of key: holding it, or the empty slot where it would go. */
size_t dp__strmap_slot(const struct strmap *m, const char *key);
/* The value of key, or -1. */
long dp__strmap_get(const struct strmap *m, const char *key);

/* dag_util.c: adds a warnings entry to the profile (at most 32 are kept; the
 * rest are counted and summarized). Returns 0 or DP_ENOMEM. */
int dp__warn(struct builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* nodes.c: node spans, executions, ids, groups, owners, by_depth. */
int dp__nodes_build(struct builder *b);
/* deps.c: every node's deps, dep_source and leaf-level ready deps. */
int dp__deps_build(struct builder *b);
/* timing.c: fills profile->nodes (order, ids, kind, timing, deps), the
 * critical path and parallelism. */
int dp__timing_build(struct builder *b);
/* rollup.c: calls (before timing's output is needed: uses nodes[].out),
 * then per-node calls, llm/tool/self time and tokens. */
int dp__calls_collect(struct builder *b);
int dp__rollup_nodes(struct builder *b);
/* rollup.c: after cost: group subtree cost. */
void dp__rollup_cost(struct builder *b);

#endif /* DP_PROCESSOR_DAG_BUILD_H */
