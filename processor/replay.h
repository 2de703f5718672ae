/*
 * replay.h - what-if simulation (DESIGN.md "Simulation (what-if)"): replays
 * the leaf DAG of one finished profile under changed strategies and
 * predicts every node's start and end, the wall, the critical path, tokens
 * and cost. No I/O: the `whatif` command (src/cmd_whatif.c) and the
 * optimization recommendations (optimize.c) both call it.
 *
 * The model. Leaves are scheduled by a list scheduler; a group is a
 * zero-width event (it takes no worker) that starts when its own ready
 * dependencies have ended and its enclosing group has started, plus its
 * observed offset. A leaf is released when every leaf it waits for
 * (its dependsOn, groups replaced by their last leaves) has ended and its
 * enclosing groups have started; it is eligible at that ready time plus its
 * observed offset (start - ready, signed: the queue delay, or the clock
 * skew of a node stamped as starting a little before its dependency
 * ended); it starts at max(eligible, the moment a worker is free), workers
 * taken in order of eligibility (ties: observed start, then nodeId). Its
 * time is its executionTime unless a change alters it. The run's tail (its
 * end after the last node) is kept. With nothing changed the replay
 * reproduces every start, end and the wall to the nanosecond.
 *
 * This is the second public header of the processor library (processor.h
 * is the first); it includes only processor.h.
 */
#ifndef DP_PROCESSOR_REPLAY_H
#define DP_PROCESSOR_REPLAY_H

#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

enum dp_change_kind {
    DP_CHANGE_WORKERS = 1, /* workers=N: at most N leaves at once */
    DP_CHANGE_MODEL,       /* model A=B: A's calls re-priced at B */
    DP_CHANGE_CACHE,       /* cache NAME: repeats of a tool (or model) free */
    DP_CHANGE_DROP_DEP,    /* drop-dep X->Y: Y no longer waits for X */
    DP_CHANGE_SPEEDUP,     /* speedup NODE=F: execution / F */
    DP_CHANGE_NO_QUEUE,    /* no-queue: every node starts when ready */
    DP_CHANGE_TRIM         /* internal (optimize.c): NODE loses ns of time */
};

/* Which calls a cache change names (DP_CHANGE_CACHE). */
enum dp_cache_target {
    DP_CACHE_ANY = 0, /* the tool NAME, else the model NAME */
    DP_CACHE_TOOL = 1,
    DP_CACHE_MODEL = 2
};

/* One change. Strings are owned by the change (dp_change_fini frees them)
 * when it came from dp_change_parse; a change built by hand may point at
 * anything that outlives the replay and must then not be finalized. */
typedef struct dp_change {
    int kind;         /* enum dp_change_kind */
    uint32_t workers; /* WORKERS: >= 1 */
    char *a;          /* MODEL: A; CACHE: tool or model; DROP_DEP: X;
                         SPEEDUP, TRIM: the node */
    char *b;          /* MODEL: B; DROP_DEP: Y */
    double factor;    /* SPEEDUP: F > 0. MODEL: B's output-token throughput
                         over A's (tokens per second of LLM time) when known,
                         0 when unknown: LLM time is then kept ("latency
                         assumed unchanged"). The hook for a history store. */
    int64_t trim_ns;  /* TRIM: time removed from the node's execution */
    int cache_target; /* CACHE: enum dp_cache_target */
    bool exact;       /* MODEL, CACHE of a model: A names only the model
                         spelled A (any case), not its dated versions */
    /* MODEL, for the notes, set with factor by a caller that read a
     * history store (history_checked): how many runs and what p50
     * throughput (output tokens per second of LLM time) of A and of B the
     * store had; factor = tps_b / tps_a when both are known. */
    bool history_checked;
    uint32_t runs_a, runs_b;
    double tps_a, tps_b;
} dp_change;

/* Parses one change: "workers=N", "model A=B", "cache NAME",
 * "drop-dep X->Y", "speedup NODE=F" (F a positive number, an optional
 * trailing "x"), "no-queue". The keyword and its argument are separated
 * by blanks, or by one '=' or ':' right after the keyword ("model=A=B").
 * Returns 0, or DP_EINVAL with a message in err that quotes the spec and says
 * what was expected. Never reads past spec's NUL. O(len). */
int dp_change_parse(const char *spec, dp_change *out, char *err,
                    size_t err_len);
/* Whether a names model m as a model change does: the same name (any
 * case), or, unless exact, m is a plus a date version ("-20250929", all
 * digits) or an '@' version. */
bool dp_change_names_model(const char *a, const char *m, bool exact);

/* Frees what dp_change_parse allocated; accepts a zeroed change. */
void dp_change_fini(dp_change *c);
/* Writes the canonical text of c ("model A=B") into buf; returns buf. */
const char *dp_change_format(const dp_change *c, char *buf, size_t len);

/* The prediction for one node (same index as in the profile). */
typedef struct dp_replay_node {
    int64_t start_ns; /* from the run's start */
    int64_t end_ns;
    int64_t ready_ns; /* when it was released (its dependencies ended, its
                         group started); start - ready is its offset */
    int64_t execution_ns;
    int64_t cost_pusd; /* its own calls (byNode) */
    int64_t tokens;    /* its own calls' input + output (byNode) */
    bool on_critical_path;
} dp_replay_node;

typedef struct dp_replay {
    int64_t wall_ns;
    int64_t critical_path_ns; /* sum of execution on the critical path */
    int64_t sum_execution_ns; /* leaves */
    size_t *critical_path;    /* node indices, first to last */
    size_t n_critical_path;
    uint32_t peak_concurrency; /* most leaves running at once */
    dp_replay_node *nodes;     /* profile->n_nodes entries */
    size_t n_nodes;
    dp_tokens tokens; /* run totals after the changes */
    int64_t cost_pusd;
    /* Notes about the prediction (static or owned strings, one line
     * each): "latency assumed unchanged for ...", re-pricing from
     * totals, nodes not re-priced. */
    char **notes;
    size_t n_notes;
    /* Model swaps, over the calls priced both before and after: */
    int64_t swap_cost_before_pusd, swap_cost_after_pusd;
    size_t swap_calls;        /* calls (or leaves, from a profile file)
                                 swapped */
    size_t swap_priced_calls; /* of those, priced both before and after */
    /* Cache: calls made free, and the tokens and cost they carried. */
    size_t cached_calls;
    int64_t cached_tokens, cached_cost_pusd;
} dp_replay;

typedef struct dp_replay_ctx dp_replay_ctx;

/* Prepares the replay of profile (not owned; it must outlive the context
 * and stay unchanged). A context runs one replay at a time (one thread);
 * it keeps the unchanged leaf DAG and reuses its scratch memory, so
 * replays after the first cost O((V + E) log V) time and no new pages. pricing
 * (not owned, may be NULL) prices model swaps. from_file: the profile was read
 * back from JSON, so it has no per-call token usage or tool arguments (model
 * swaps re-price node totals, cache is refused). NULL on ENOMEM. O(V + E). */
dp_replay_ctx *dp_replay_create(const dp_profile *profile,
                                const dp_pricing *pricing, bool from_file);
void dp_replay_destroy(dp_replay_ctx *ctx);

/* Replays the profile with changes[0..n) applied together (in any order:
 * the result does not depend on it; the last workers= wins). Fills out
 * (release with dp_replay_fini). Returns 0; DP_ENOENT (message in err)
 * when a change names an unknown node, model or tool, a dependency that
 * does not exist or a model without a price; DP_EINVAL for a malformed
 * change; DP_EPARSE when the change needs what the profile lacks (cache on
 * a profile read back from JSON); DP_ENOMEM. O((V + E) log V + C log C) for V
 * nodes, E leaf edges, C calls. */
int dp_replay_run(dp_replay_ctx *ctx, const dp_change *changes, size_t n,
                  dp_replay *out, char *err, size_t err_len);
void dp_replay_fini(dp_replay *r);

#ifdef __cplusplus
}
#endif

#endif /* DP_PROCESSOR_REPLAY_H */
