/*
 * replay_int.h - state shared by replay.c (the leaf DAG and the list
 * scheduler) and replay_apply.c (what each change does to node times,
 * calls, tokens and cost). Private to the processor.
 */
#ifndef DP_PROCESSOR_REPLAY_INT_H
#define DP_PROCESSOR_REPLAY_INT_H

#include "internal.h"
#include "replay.h"

/* The leaf DAG of one replay: CSR lists of each node's leaf
 * dependencies and of the nodes waiting for each leaf. */
struct rp_graph {
    size_t *pred_at, *pred;
    size_t *succ_at, *succ;
};

/* A context runs one replay at a time (its scratch arena is shared). */
struct dp_replay_ctx {
    const dp_profile *p;
    const dp_pricing *pricing;
    bool from_file;
    size_t n;
    int64_t *off;   /* per node: observed start - observed ready (signed) */
    int64_t *gtail; /* per group: end - latest end of its leaves */
    bool *has_leaf; /* per group: some leaf inside */
    int64_t tail;   /* wall - latest node end */
    struct {
        const char **keys;
        size_t *vals;
        size_t cap;
    } ids;                /* node id -> index */
    dp_arena *garena;     /* holds base */
    struct rp_graph base; /* the leaf DAG with no edge dropped */
    dp_arena *scratch;    /* reset and reused by every replay */
    bool no_peak; /* optimize_sim.c: peak_concurrency left 0 (no sort) */
};

/* One replay in progress. Scratch lives in tmp. */
struct rp_run {
    dp_replay_ctx *ctx;
    const dp_profile *p;
    dp_arena *tmp;
    dp_replay *out;
    char *err;
    size_t err_len;
    uint32_t workers; /* 0: unlimited */
    bool workers_note;
    bool no_queue;
    struct rp_drop {
        size_t x, y;
    } * drops;
    size_t n_drops;
    int64_t *exec; /* per node: execution after the changes */
};

/* replay_ids.c: the node named id, or -1. O(1) expected. */
long dp__replay_find(const dp_replay_ctx *ctx, const char *id);
/* replay_ids.c: the slot of id in ctx->ids: holding it, or the empty slot
 * where it goes. */
size_t dp__replay_id_slot(const dp_replay_ctx *ctx, const char *id);

/* replay_apply.c: validates changes[0..n) against the profile and fills
 * r->workers, no_queue, drops, exec, and out's tokens, cost, per-node cost
 * and tokens, notes and swap/cache sums. Returns 0, DP_EINVAL / DP_ENOENT
 * (message in r->err) or DP_ENOMEM. */
int dp__replay_apply(struct rp_run *r, const dp_change *changes, size_t n);

/* replay_apply.c: adds a note line to out (copied). 0 or DP_ENOMEM. */
int dp__replay_note(dp_replay *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* replay_ids.c: writes a message into r->err and returns code. */
int dp__replay_fail(struct rp_run *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* DP_PROCESSOR_REPLAY_INT_H */
