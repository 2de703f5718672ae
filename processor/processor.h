/*
 * processor.h - the one public interface of the dagprof processor library.
 *
 * Data flows one way: receivers decode OTLP into dp_span_in views and call
 * dp_processor_add_span(); the processor keeps a compact per-trace record,
 * finalizes a trace into a dp_profile (DAG, timing metrics, tokens, cost,
 * bottlenecks, optimizations) and hands the profile to the callback given at
 * creation, which takes ownership of it. Exporters only ever see dp_profile.
 *
 * Errors are the DP_E* codes of errors.h. Logging (log.h), id hex (hex.h),
 * the pricing table (pricing.h) and the analysis thresholds
 * (analysis_config.h) have headers of their own. The processor links no
 * network library and includes no receiver or exporter header. Contract for
 * every number: ../shared/DESIGN.md.
 */
#ifndef DP_PROCESSOR_H
#define DP_PROCESSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Input: a decoded span, as a view. Nothing here is owned by the processor; */
/* every byte it keeps is copied into the trace's arena during add_span.     */
/* Strings are (ptr, len) and need not be NUL-terminated.                    */

enum dp_value_type {
    DP_VAL_NONE = 0, /* absent or a type the processor does not read */
    DP_VAL_STR,
    DP_VAL_INT,
    DP_VAL_DOUBLE,
    DP_VAL_BOOL,
    DP_VAL_ARRAY /* items are dp_value (strings for dag.node.depends_on) */
};

typedef struct dp_value {
    int type; /* enum dp_value_type */
    union {
        struct {
            const char *ptr;
            size_t len;
        } str;
        int64_t i;
        double d;
        bool b;
        struct {
            const struct dp_value *items;
            size_t n;
        } arr;
    } u;
} dp_value;

typedef struct dp_attr {
    const char *key;
    size_t key_len;
    dp_value value;
} dp_attr;

typedef struct dp_link_in {
    uint8_t trace_id[16];
    uint8_t span_id[8];
} dp_link_in;

enum dp_status_code {
    DP_STATUS_UNSET = 0,
    DP_STATUS_OK = 1,
    DP_STATUS_ERROR = 2
};

typedef struct dp_span_in {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_span_id[8];
    bool has_parent; /* false: a root span (parent_span_id empty on the wire) */
    const char *name;
    size_t name_len;
    uint64_t start_ns; /* Unix epoch nanoseconds */
    uint64_t end_ns;
    int status_code; /* enum dp_status_code */
    const dp_attr *attrs;
    size_t n_attrs;
    const dp_attr *resource_attrs; /* the span's Resource attributes */
    size_t n_resource_attrs;
    const dp_link_in *links;
    size_t n_links;
} dp_span_in;

/* ------------------------------------------------------------------------ */
/* Output: a finished profile. All pointers point into the profile's own     */
/* arena and live until dp_profile_free(). Times are int64 nanoseconds;      */
/* node start/end are offsets from the run's start.                          */

/* Bits of dp_tokens.known: which usage types some span reported. A type
 * no span of the run reported is unknown (null in the profile), not 0. */
enum {
    DP_TOK_INPUT = 1 << 0,
    DP_TOK_OUTPUT = 1 << 1,
    DP_TOK_CACHE_READ = 1 << 2,
    DP_TOK_CACHE_WRITE = 1 << 3,
    DP_TOK_REASONING = 1 << 4
};

typedef struct dp_tokens {
    int64_t input;  /* includes cache read + cache write */
    int64_t output; /* includes reasoning */
    int64_t cache_read;
    int64_t cache_write;
    int64_t reasoning;
    unsigned known; /* DP_TOK_* bits; a value whose bit is clear is 0 */
} dp_tokens;        /* totalTokens = input + output (saturating) */

typedef struct dp_named_i64 {
    const char *name;
    int64_t value;
} dp_named_i64;

enum dp_call_kind { DP_CALL_LLM = 1, DP_CALL_TOOL = 2 };

/* One LLM or tool call span, in order of start time. */
typedef struct dp_call {
    int kind;         /* enum dp_call_kind */
    long node;        /* index into profile->nodes, -1 when under no node */
    const char *name; /* LLM: model ("" when unknown); tool: tool name */
    int64_t start_ns; /* offset from run start */
    int64_t end_ns;
    bool success;      /* status != ERROR */
    dp_tokens tokens;  /* LLM only */
    bool has_tokens;   /* any token-usage attribute present */
    bool cost_carried; /* the span carried its own cost */
    bool priced;       /* cost_pusd came from the table or the span */
    int64_t cost_pusd;
    uint64_t cache_key; /* 0: none; tool name + arguments, or model + prompt */
    uint64_t span_start_unix_ns; /* for the pricing effective date */
} dp_call;

enum dp_dep_source {
    DP_DEP_NONE = 0,
    DP_DEP_LINKS = 1,
    DP_DEP_ATTRIBUTE = 2,
    DP_DEP_INFERRED = 3
};

enum dp_node_kind { DP_NODE_LEAF = 0, DP_NODE_GROUP = 1 };

typedef struct dp_node {
    const char *id;   /* unique in the profile: base id, or "id#k" */
    int kind;         /* enum dp_node_kind */
    long parent;      /* index of the enclosing group, -1 at top level */
    size_t *children; /* groups: indices of the nodes directly inside */
    size_t n_children;
    int64_t start_ns; /* offset from run start */
    int64_t end_ns;
    int64_t duration_ns; /* end - run start */
    int64_t wait_ns;     /* dependency_wait + queue_delay */
    int64_t ready_ns;    /* when its ready dependencies had all ended (or its
                            group started), from run start */
    int64_t dependency_wait_ns;
    int64_t queue_delay_ns;
    int64_t execution_ns;
    int64_t self_ns;
    int64_t llm_ns;
    int64_t tool_ns;
    int64_t
        failed_attempts_ns; /* sum of durations of attempts before the last */
    uint32_t attempts;
    uint32_t retries;
    int status;   /* enum dp_status_code of the last attempt */
    size_t *deps; /* indices into profile->nodes: what it declared or
                     what was inferred for it (dependsOn) */
    size_t n_deps;
    int dep_source;     /* enum dp_dep_source */
    size_t *ready_deps; /* leaves whose ends set its ready time: deps with
                           groups replaced by their last leaves, or the
                           enclosing group's when it has none */
    size_t n_ready_deps;
    const char **models; /* distinct, in order of first use */
    size_t n_models;
    dp_tokens tokens;              /* groups: the whole subtree */
    dp_named_i64 *tokens_by_model; /* model -> input + output */
    size_t n_tokens_by_model;
    int64_t cost_pusd;     /* groups: the whole subtree */
    int64_t own_tokens;    /* input + output of its own calls (byNode) */
    int64_t own_cost_pusd; /* cost of its own calls (byNode) */
    size_t *calls; /* its own calls (not those of inner nodes), by start */
    size_t n_calls;
    bool on_critical_path;
} dp_node;

enum dp_incomplete_reason {
    DP_INCOMPLETE_NONE = 0,
    DP_INCOMPLETE_ROOT_MISSING = 1,
    DP_INCOMPLETE_EVICTED = 2,
    DP_INCOMPLETE_SHUTDOWN = 3,
    DP_INCOMPLETE_SPAN_LIMIT = 4
};

enum dp_bottleneck_type {
    DP_BN_SLOW_NODE = 0,
    DP_BN_HIGH_TOKEN_USAGE,
    DP_BN_EXCESSIVE_RETRIES,
    DP_BN_TOOL_LATENCY,
    DP_BN_DEPENDENCY_WAIT,
    DP_BN_SCHEDULING_DELAY,
    DP_BN_SEQUENTIAL_BOTTLENECK,
    DP_BN__COUNT
};

enum dp_severity { DP_SEV_LOW = 0, DP_SEV_MEDIUM = 1, DP_SEV_HIGH = 2 };

typedef struct dp_bottleneck {
    int type;      /* enum dp_bottleneck_type */
    size_t node;   /* index into profile->nodes */
    int severity;  /* enum dp_severity */
    double impact; /* percent, rounded to 2 decimals */
    const char *details;
    const char *recommendation;
} dp_bottleneck;

enum dp_optimization_type {
    DP_OPT_PARALLELIZE = 0,
    DP_OPT_CACHE,
    DP_OPT_MODEL_DOWNGRADE,
    DP_OPT_BATCH_OPERATIONS,
    DP_OPT_REDUCE_CONTEXT,
    DP_OPT_RESTRUCTURE_DAG,
    DP_OPT__COUNT
};

typedef struct dp_optimization {
    int type;     /* enum dp_optimization_type */
    int priority; /* enum dp_severity: low / medium / high */
    int64_t saving_time_ns;
    int64_t saving_tokens;
    int64_t saving_cost_pusd;
    const char *description;
    const char *implementation;
} dp_optimization;

typedef struct dp_arena dp_arena;

typedef struct dp_profile {
    uint8_t trace_id[16];
    char trace_id_hex[33];
    char profile_id[24]; /* "prof-" + first 16 hex digits of the trace id */
    const char *dag_id;
    uint64_t start_unix_ns; /* run start */
    uint64_t profiled_at_unix_ns;
    bool complete;
    int incomplete_reason; /* enum dp_incomplete_reason */
    uint64_t span_count;
    uint64_t late_spans;
    bool has_root;
    uint8_t root_span_id[8];
    const char *service_name; /* service.name of the root's resource; NULL */
    const char *version;      /* service.version, gen_ai.agent.version,
                                 dag.version; NULL when none */
    const char *session_id;   /* gen_ai.conversation.id, session.id; NULL */
    const char **warnings;    /* data problems found while building */
    size_t n_warnings;

    int64_t wall_ns;
    int64_t critical_path_ns;
    int64_t sum_execution_ns;
    double parallelization_efficiency;
    double dag_parallelism;
    double achieved_parallelism;
    uint32_t peak_concurrency;
    size_t *critical_path; /* node indices, first to last */
    size_t n_critical_path;

    dp_tokens tokens;
    dp_named_i64 *tokens_by_model;
    size_t n_tokens_by_model;
    int64_t cost_pusd;
    dp_named_i64 *cost_by_model;
    size_t n_cost_by_model;
    dp_named_i64 *unpriced_models; /* model -> input + output tokens */
    size_t n_unpriced_models;

    dp_node *nodes; /* ordered by start, then end, then id */
    size_t n_nodes;
    size_t n_leaves; /* nodes of kind leaf: the DAG */
    dp_call *calls;  /* ordered by start */
    size_t n_calls;

    dp_bottleneck *bottlenecks; /* sorted by impact, highest first */
    size_t n_bottlenecks;
    dp_optimization *optimizations;
    size_t n_optimizations;

    dp_arena *arena; /* owns everything above */
} dp_profile;

void dp_profile_free(dp_profile *profile);
/* Heap bytes the profile holds (its arena's blocks); 0 for NULL. O(1). */
size_t dp_profile_mem_bytes(const dp_profile *profile);

/* For code that builds a profile outside the processor (reading a profile
 * back from JSON): an empty profile owning a fresh arena (free it with
 * dp_profile_free), and zeroed memory and string copies in that arena.
 * NULL on ENOMEM. */
dp_profile *dp_profile_new(void);
void *dp_profile_alloc(dp_profile *profile, size_t n);
char *dp_profile_strndup(dp_profile *profile, const char *s, size_t n);

const char *dp_bottleneck_type_name(int type);
const char *dp_optimization_type_name(int type);
const char *dp_severity_name(int severity);
const char *dp_dep_source_name(int source);
const char *dp_node_kind_name(int kind);           /* "leaf" "group" */
const char *dp_status_name(int status);            /* "unset" "ok" "error" */
const char *dp_incomplete_reason_name(int reason); /* NULL for NONE */

/* ------------------------------------------------------------------------ */
/* The processor: per-trace state keyed by trace id, one owner, no locks.    */

typedef struct dp_processor dp_processor;

/* Set up through their own headers: pricing.h, analysis_config.h. */
typedef struct dp_pricing dp_pricing;
typedef struct dp_analysis_config dp_analysis_config;

typedef struct dp_processor_config {
    uint64_t grace_ns;               /* 2 s */
    uint64_t idle_timeout_ns;        /* 30 s */
    uint64_t late_window_ns;         /* 5 min */
    size_t max_traces;               /* 100,000 */
    size_t max_spans_per_trace;      /* 100,000 */
    uint64_t inference_tolerance_ns; /* 1 ms; DESIGN.md "Dependencies" */
    bool profile_all_traces;         /* false: traces with no agent span are
                                        dropped at finalization and counted */
    const dp_pricing *pricing;       /* not owned; NULL: every model unpriced */
    const dp_analysis_config *analysis; /* not owned; NULL: defaults */
    /* Optional (NULL: none). Called once for every trace the processor
     * finalizes (profile emitted or not: not an agent run, evicted, flushed),
     * with the user given to dp_processor_create, from inside add_span, tick
     * or flush, before the profile callback. Lets an owner that keeps its
     * own per-trace state (the serve pipeline's span counts) drop it. */
    void (*on_finalized)(const uint8_t trace_id[16], void *user);
} dp_processor_config;

void dp_processor_config_init(dp_processor_config *cfg);

/* Called once per finalized trace; takes ownership of profile (free it with
 * dp_profile_free). Called from inside add_span, tick or flush. */
typedef void (*dp_profile_cb)(dp_profile *profile, void *user);

dp_processor *dp_processor_create(const dp_processor_config *cfg,
                                  dp_profile_cb cb, void *user);
/* Frees all state without emitting profiles. Accepts NULL. */
void dp_processor_destroy(dp_processor *p);

/* Adds one span. now_ns is a monotonic clock reading used for grace and
 * idle timers (offline: 0). Returns 0; DP_EBADSPAN when end < start (span
 * rejected); DP_ELATE when its trace was already finalized (span counted as
 * late, not kept); DP_EFULL when the trace already holds max_spans_per_trace
 * spans (span rejected); DP_ENOMEM. A duplicate span id is accepted and
 * ignored. May emit a profile (eviction at max_traces). Cost: O(attrs). */
int dp_processor_add_span(dp_processor *p, const dp_span_in *span,
                          uint64_t now_ns);

/* Marks the live trace trace_id as truncated by a span limit enforced
 * before the processor (the serve pipeline refuses spans over
 * max_spans_per_trace at the receiver): its profile will say span_limit,
 * and it is logged once, as when add_span returns DP_EFULL. Returns 0, or
 * DP_ENOENT when no live trace has that id (already finalized, never
 * seen). */
int dp_processor_mark_truncated(dp_processor *p, const uint8_t trace_id[16]);

/* Finalizes every trace whose grace or idle timeout has expired at now_ns.
 * Returns the number of profiles emitted. */
size_t dp_processor_tick(dp_processor *p, uint64_t now_ns);
/* Earliest now_ns at which tick() would emit something, or UINT64_MAX. */
uint64_t dp_processor_next_deadline(const dp_processor *p);

/* Finalizes every trace in memory. Traces with a root are complete; those
 * without get rootless_reason (ROOT_MISSING at end of input, SHUTDOWN on
 * SIGTERM). Emits in order of first arrival. Returns profiles emitted. */
size_t dp_processor_flush(dp_processor *p, int rootless_reason);

typedef struct dp_processor_stats {
    uint64_t spans_received; /* accepted into a trace (duplicates excluded) */
    uint64_t spans_duplicate;
    uint64_t spans_rejected; /* EBADSPAN, EFULL */
    uint64_t spans_late;
    uint64_t traces_in_memory;
    uint64_t traces_evicted;
    uint64_t traces_not_agent; /* finalized without a profile: no agent span */
    uint64_t profiles_emitted;
    uint64_t span_index_probes; /* slots visited in span-id lookups */
} dp_processor_stats;

void dp_processor_stats_get(const dp_processor *p, dp_processor_stats *out);

/* ------------------------------------------------------------------------ */
/* Spans resolved ahead of the processor. A thread that hands spans to a    */
/* processor on another thread (the serve pipeline's receivers) resolves    */
/* each span into the compact record the processor keeps, with its strings */
/* in the caller's memory; the processor then takes the record as it is and */
/* copies only the few strings it keeps (names, node ids, models, tools,    */
/* dag ids) into the trace, instead of the span's attributes being copied   */
/* once to cross threads and resolved again.                                */

typedef struct dp_span_rec dp_span_rec;

/* Returns n bytes aligned to 16 that live as long as the record, or NULL
 * on ENOMEM. */
typedef void *(*dp_span_rec_alloc)(void *user, size_t n);

/* Bytes of a record; records may be stored at any multiple of 16 of it. */
size_t dp_span_rec_size(void);
/* Resolves in into rec (dp_span_rec_size() bytes, 16-byte aligned): every
 * byte it keeps is copied through alloc, so the record outlives in.
 * Returns 0, DP_EBADSPAN when end < start, or DP_ENOMEM. O(attrs). */
int dp_span_rec_resolve(const dp_span_in *in, dp_span_rec *rec,
                        dp_span_rec_alloc alloc, void *user);
const uint8_t *dp_span_rec_trace_id(const dp_span_rec *rec);
/* How many spans of rec's trace the caller knows of so far (the serve
 * pipeline counts them per live trace): a trace is first stored with room
 * for that many, so it is not grown span by span. 0: no hint. */
void dp_span_rec_set_spans_hint(dp_span_rec *rec, uint32_t n);
/* dp_processor_add_span() for a resolved span: the same results and
 * effects. rec is not kept: its strings are copied. */
int dp_processor_add_rec(dp_processor *p, const dp_span_rec *rec,
                         uint64_t now_ns);

/* True when the processor reads attribute key on a span (or, for the
 * families that mark a trace as an agent run, needs to see it). Lets a
 * receiver that copies spans to another thread copy only what matters.
 * O(1). */
bool dp_processor_attr_wanted(const char *key, size_t len);
/* True when the processor reads key on a span's resource (dag.id,
 * service.name, service.version). */
bool dp_processor_resource_attr_wanted(const char *key, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DP_PROCESSOR_H */
