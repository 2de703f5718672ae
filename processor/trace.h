/*
 * trace.h - the per-trace state the processor keeps between a trace's first
 * span and its finalization: a compact record per span holding only what a
 * profile needs (ids, times, status, the resolved attributes of DESIGN.md's
 * table, links), with every string in the trace's arena. Private to
 * processor.c (which fills it), attrs.c (which resolves attributes),
 * span_index.c (span id -> record) and the dag files (which turn it into
 * a profile).
 */
#ifndef DP_PROCESSOR_TRACE_H
#define DP_PROCESSOR_TRACE_H

#include "internal.h"

/* How a span became a node (DESIGN.md "node"), in precedence order. */
enum {
    DP__NODE_NONE = 0,
    DP__NODE_DAG_ID,   /* dag.node.id */
    DP__NODE_GRAPH_ID, /* graph.node.id (OpenInference) */
    DP__NODE_LANGGRAPH /* langgraph_node inside the metadata JSON */
};

enum {
    DP__SPAN_LLM = 1 << 0,       /* explicit LLM operation / kind */
    DP__SPAN_TOOL = 1 << 1,      /* explicit tool operation / kind */
    DP__SPAN_AGENT = 1 << 2,     /* invoke_agent, AGENT, traceloop task|agent */
    DP__SPAN_TOKENS = 1 << 3,    /* carries a token-usage attribute */
    DP__SPAN_COST = 1 << 4,      /* carries its own cost */
    DP__SPAN_RETRIES = 1 << 5,   /* carries dag.retries */
    DP__SPAN_DEPENDS = 1 << 6,   /* carries dag.node.depends_on (maybe empty) */
    DP__SPAN_AGENTISH = 1 << 7,  /* marks its trace as an agent run */
    DP__SPAN_WORKFLOW = 1 << 8,  /* gen_ai.operation.name = invoke_workflow */
    DP__SPAN_PLAN = 1 << 9,      /* gen_ai.operation.name = plan */
    DP__SPAN_NOCALL = 1 << 10,   /* AI SDK outer span: usage of its steps */
    DP__SPAN_ATTEMPT = 1 << 11,  /* carries dag.node.attempt */
    DP__SPAN_AGENT_WF = 1 << 12, /* agent_name from gen_ai.workflow.name */
};

enum {
    DP__TOK_INPUT,
    DP__TOK_OUTPUT,
    DP__TOK_CACHE_READ,
    DP__TOK_CACHE_WRITE,
    DP__TOK_REASONING,
    DP__TOK__COUNT
};

typedef struct dp__span {
    uint8_t span_id[8];
    uint8_t parent_id[8];
    bool has_parent;
    uint8_t status;
    uint8_t node_src;
    uint16_t flags;
    /* Rank of the attribute each resolved value came from (0: absent);
     * a lower rank is an earlier entry in DESIGN.md's list and wins. */
    uint8_t model_rank, tool_rank, tok_rank[DP__TOK__COUNT];
    uint8_t cost_rank;
    uint64_t start_ns, end_ns;
    const char *name;
    const char *node_attr;   /* value of the attribute in node_src */
    const char *entity_name; /* traceloop.entity.name */
    const char *agent_name;  /* gen_ai.agent.name (gen_ai.workflow.name) */
    const char *model;
    const char *tool_name;
    const char *dag_id;       /* dag.id on the span, else on its resource */
    const char *graph_parent; /* graph.node.parent_id */
    const char **depends_on;
    uint32_t n_depends_on;
    uint32_t n_links;
    int64_t tokens[DP__TOK__COUNT];
    int64_t cost_pusd;
    int64_t retries;
    int64_t attempt;         /* dag.node.attempt (1 = first) */
    uint64_t input_hash;     /* commutative hash of prompt / arguments attrs */
    uint64_t cache_key_hash; /* dag.cache_key */
    dp_link_in *links;       /* same-trace links only */
} dp__span;

typedef struct dp__trace {
    uint8_t trace_id[16];
    uint64_t hash;
    dp_arena *arena;
    dp__span *spans;
    uint32_t n_spans, cap_spans;
    uint32_t *index; /* open addressing: span_id -> spans[] index + 1 */
    uint32_t index_cap;
    long root;      /* index of the root span, -1 when not (yet) seen */
    bool agent;     /* some span marks the trace as an agent run */
    bool truncated; /* spans were refused at max_spans_per_trace */
    uint8_t version_rank, session_rank, service_rank;
    const char *service, *version, *session; /* see dp__span_meta */
    uint64_t first_seen_seq;
    uint64_t last_activity_ns;
    uint64_t duplicates;
    /* processor bookkeeping */
    struct dp__trace *hnext;         /* hash chain */
    struct dp__trace *lprev, *lnext; /* activity list (rooted / rootless) */
} dp__trace;

/* Run-level values a span may carry (views into the input span, not
 * copied): the processor keeps the root's, else the best-ranked seen. */
typedef struct dp__span_meta {
    dp_value service; /* service.name on the resource */
    dp_value version; /* service.version, gen_ai.agent.version, dag.version */
    dp_value session; /* gen_ai.conversation.id, session.id */
    uint8_t version_rank, session_rank;
} dp__span_meta;

/* Where a resolved record's strings go: arena when set, else alloc(user,
 * n) (16-byte aligned, NULL on ENOMEM). */
typedef struct dp__mem {
    dp_arena *arena;
    dp_span_rec_alloc alloc;
    void *user;
} dp__mem;

/* attrs.c: resolves one input span into rec (strings into mem) and its
 * run-level values into meta (views into in). Returns 0 or DP_ENOMEM. */
int dp__span_resolve(const dp__mem *mem, const dp_span_in *in, dp__span *rec,
                     dp__span_meta *meta);

/* A span resolved ahead of the processor (processor.h, dp_span_rec):
 * the record, its trace id and its run-level values, every string in the
 * caller's memory. */
struct dp_span_rec {
    uint8_t trace_id[16];
    dp__span span;
    dp__span_meta meta;
    uint32_t spans_hint; /* dp_span_rec_set_spans_hint; 0: none */
};

/* dag.c: builds the profile of a trace. Takes nothing from t (t stays
 * owned by the caller); the profile has its own arena. cfg is the
 * processor's, with analysis set. NULL on ENOMEM. */
dp_profile *dp__trace_profile(const dp__trace *t, int incomplete_reason,
                              const dp_processor_config *cfg);

#endif /* DP_PROCESSOR_TRACE_H */
