/*
 * profile_json.c - writes a finished dp_profile as one JSON line.
 *
 * Sits at the end of the flow: the processor hands a dp_profile to an
 * exporter, which calls dp_profile_json_write() (directly, or once per
 * profile through dp_record_profile for serve's exporters) and ships the
 * bytes (stdout, a file, a webhook, OTLP log bodies). The shape and field
 * order are DESIGN.md "Output"; numbers are printed from the profile's
 * integers (ns, pico-USD, tokens) without passing through double, so the
 * JSON is exact and stable byte for byte between runs.
 *
 * No printf: the writer keeps a cursor into the output buffer, checks room
 * once per piece, and writes field names as literals of known length and
 * numbers, timestamps and string characters with json_enc.c. Each node id
 * is escaped once; later references (critical path, dependsOn, children,
 * parent, byNode, bottlenecks) copy the bytes already written. The output
 * is byte for byte that of the printf-based writer it replaced
 * (bench/profile_json_ref.c; tests/unit/test_profile_json_diff.c).
 */
#include "profile_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_enc.h"

/* Where a node's quoted id was first written in the output; len 0: not yet
 * written. */
typedef struct id_ref {
    size_t off, len;
} id_ref;

/* A string already written, by its address: a profile's names (enum
 * names, models, tools) are few pointers used many times, so the quoted
 * bytes are copied from where they were first written instead of being
 * measured and escaped again. A direct-mapped cache; a miss writes the
 * string anew. */
typedef struct str_ref {
    const char *s;
    size_t off, len;
} str_ref;
#define STR_CACHE 32

/* The writer: a cursor into b's storage. After the first error every
 * room() fails, so nothing more is written and the caller checks err once. */
typedef struct jw {
    dp_buf *b;
    char *p, *end; /* cursor; end of the storage minus the NUL's byte */
    int err;
    const dp_profile *prof;
    id_ref *ids; /* n_nodes entries, or NULL: no reuse */
    str_ref names[STR_CACHE];
} jw;

/* Node id references kept on the stack up to this many nodes. */
#define STACK_IDS 64

static bool grow(jw *w, size_t n)
{
    if (w->err != 0)
        return false;
    w->b->len = (size_t)(w->p - w->b->data);
    w->err = dp_buf_reserve(w->b, n);
    if (w->err != 0)
        return false;
    w->p = w->b->data + w->b->len;
    w->end = w->b->data + w->b->cap - 1;
    return true;
}

/* True when n more bytes fit at the cursor (growing the buffer if needed). */
static inline bool room(jw *w, size_t n)
{
    return (size_t)(w->end - w->p) >= n || grow(w, n);
}

static inline void lit(jw *w, const char *s, size_t n)
{
    if (room(w, n)) {
        memcpy(w->p, s, n);
        w->p += n;
    }
}
/* A string literal: its length is known at compile time. */
#define LIT(w, s) lit((w), (s), sizeof(s) - 1)

static void i64(jw *w, int64_t v)
{
    if (room(w, DP__ENC_NUM_MAX))
        w->p = dp__enc_i64(w->p, v);
}

static void u64(jw *w, uint64_t v)
{
    if (room(w, DP__ENC_NUM_MAX))
        w->p = dp__enc_u64(w->p, v);
}

static void ms(jw *w, int64_t ns)
{
    if (room(w, DP__ENC_NUM_MAX))
        w->p = dp__enc_ms(w->p, ns);
}

static void usd(jw *w, int64_t pusd)
{
    if (room(w, DP__ENC_NUM_MAX))
        w->p = dp__enc_usd(w->p, pusd);
}

/* A double with a fixed number of decimals; -0 prints as 0, NaN and
 * infinities (which JSON cannot hold) as null. */
static void fixed(jw *w, double v, int decimals)
{
    if (room(w, DP__ENC_FIXED_MAX))
        w->p = dp__enc_fixed(w->p, v, decimals);
}

static void boolean(jw *w, bool v)
{
    if (v)
        LIT(w, "true");
    else
        LIT(w, "false");
}

/* s[0..n) as a quoted JSON string, in chunks of DP__JSON_CHUNK input bytes
 * so the room reserved for the worst case (6 bytes per byte) stays small. */
static void strn(jw *w, const char *s, size_t n)
{
    size_t i = 0, used;

    if (!room(w, 2 + 6 * (n < DP__JSON_CHUNK ? n : DP__JSON_CHUNK)))
        return;
    *w->p++ = '"';
    while (i < n) {
        size_t lim = n - i < DP__JSON_CHUNK ? n - i : DP__JSON_CHUNK;
        if (!room(w, 6 * lim + 1))
            return;
        w->p = dp__enc_json_chars(w->p, s + i, n - i, lim, &used);
        i += used;
    }
    *w->p++ = '"';
}

/* A NUL-terminated string; NULL is written "". */
static void str(jw *w, const char *s)
{
    if (s != NULL)
        strn(w, s, strlen(s));
    else
        LIT(w, "\"\"");
}

/* str() for a name the profile repeats (see str_ref); the same bytes. */
static void name(jw *w, const char *s)
{
    if (s == NULL) {
        LIT(w, "\"\"");
        return;
    }
    str_ref *r =
        &w->names[((uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ULL) >> 59];
    if (r->s == s) {
        if (room(w, r->len)) {
            memcpy(w->p, w->b->data + r->off, r->len);
            w->p += r->len;
        }
        return;
    }
    size_t off = (size_t)(w->p - w->b->data);
    strn(w, s, strlen(s));
    if (w->err == 0) {
        r->s = s;
        r->off = off;
        r->len = (size_t)(w->p - w->b->data) - off;
    }
}

static void opt_str(jw *w, const char *s)
{
    if (s != NULL)
        strn(w, s, strlen(s));
    else
        LIT(w, "null");
}

/* The id of node i as a JSON string ("" when i is out of range or the id
 * is NULL), escaped the first time and copied from there afterwards. */
static void node_ref(jw *w, size_t i)
{
    const dp_profile *p = w->prof;
    size_t off;

    if (i >= p->n_nodes) {
        LIT(w, "\"\"");
        return;
    }
    if (w->ids != NULL && w->ids[i].len > 0) {
        if (room(w, w->ids[i].len)) {
            memcpy(w->p, w->b->data + w->ids[i].off, w->ids[i].len);
            w->p += w->ids[i].len;
        }
        return;
    }
    off = (size_t)(w->p - w->b->data);
    str(w, p->nodes[i].id);
    if (w->ids != NULL && w->err == 0) {
        w->ids[i].off = off;
        w->ids[i].len = (size_t)(w->p - w->b->data) - off;
    }
}

/* "key": after the comma that separates it from the previous member, for
 * keys that are data (model and node names). */
static void key(jw *w, bool first, const char *k)
{
    if (!first)
        LIT(w, ",");
    name(w, k);
    LIT(w, ":");
}

static void node_key(jw *w, bool first, size_t i)
{
    if (!first)
        LIT(w, ",");
    node_ref(w, i);
    LIT(w, ":");
}

/* RFC 3339 UTC with milliseconds (truncated, like every timestamp). */
static void rfc3339(jw *w, uint64_t unix_ns)
{
    if (room(w, DP__ENC_RFC3339_MAX + 2)) {
        *w->p++ = '"';
        w->p = dp__enc_rfc3339(w->p, unix_ns);
        *w->p++ = '"';
    }
}

/* {"name":value,...}: token counts, or USD amounts of pico-USD values. */
static void named_values(jw *w, const dp_named_i64 *v, size_t n, bool as_usd)
{
    LIT(w, "{");
    for (size_t i = 0; i < n; i++) {
        key(w, i == 0, v[i].name);
        if (as_usd)
            usd(w, v[i].value);
        else
            i64(w, v[i].value);
    }
    LIT(w, "}");
}

static void node_id_array(jw *w, const size_t *idx, size_t n)
{
    LIT(w, "[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            LIT(w, ",");
        node_ref(w, idx[i]);
    }
    LIT(w, "]");
}

/* A count, or null when no span reported its usage type. */
static void count(jw *w, const dp_tokens *t, unsigned bit, int64_t v)
{
    if (t->known & bit)
        i64(w, v);
    else
        LIT(w, "null");
}

/* A call's end - start, saturating: the offsets of a run whose spans lie
 * more than 2^63 ns apart do not fit int64, and any profile renders. */
static int64_t call_duration(const dp_call *c)
{
    int64_t d;
    if (__builtin_sub_overflow(c->end_ns, c->start_ns, &d))
        return c->end_ns > c->start_ns ? INT64_MAX : INT64_MIN;
    return d;
}

/* totalTokens, input + output, saturating at INT64_MAX (INT64_MIN), so
 * every profile renders whatever its counts. */
static int64_t total_tokens(const dp_tokens *t)
{
    int64_t sum;
    if (__builtin_add_overflow(t->input, t->output, &sum))
        return t->input > 0 ? INT64_MAX : INT64_MIN;
    return sum;
}

/* The members shared by metrics.totalTokens and nodeMetrics[].tokens, up to
 * and including byModel. */
static void token_members(jw *w, const dp_tokens *t, const dp_named_i64 *by,
                          size_t n_by)
{
    LIT(w, "\"inputTokens\":");
    count(w, t, DP_TOK_INPUT, t->input);
    LIT(w, ",\"outputTokens\":");
    count(w, t, DP_TOK_OUTPUT, t->output);
    LIT(w, ",\"cacheReadTokens\":");
    count(w, t, DP_TOK_CACHE_READ, t->cache_read);
    LIT(w, ",\"cacheWriteTokens\":");
    count(w, t, DP_TOK_CACHE_WRITE, t->cache_write);
    LIT(w, ",\"reasoningTokens\":");
    count(w, t, DP_TOK_REASONING, t->reasoning);
    LIT(w, ",\"totalTokens\":");
    count(w, t, DP_TOK_INPUT | DP_TOK_OUTPUT, total_tokens(t));
    LIT(w, ",\"byModel\":");
    named_values(w, by, n_by, false);
}

/* byNode lists what each node's own calls used: every leaf, and a group
 * only when its own calls (outside its inner nodes) used something, so the
 * values add up to the run's total. */
static bool by_node_listed(const dp_node *n, bool cost)
{
    return n->kind == DP_NODE_LEAF ||
           (cost ? n->own_cost_pusd != 0 : n->own_tokens != 0);
}

static void write_metrics(jw *w, const dp_profile *p)
{
    bool first = true;

    LIT(w, "\"totalDuration\":");
    ms(w, p->wall_ns);
    LIT(w, ",\"criticalPath\":");
    node_id_array(w, p->critical_path, p->n_critical_path);
    LIT(w, ",\"criticalPathDuration\":");
    ms(w, p->critical_path_ns);
    LIT(w, ",\"sumExecution\":");
    ms(w, p->sum_execution_ns);
    LIT(w, ",\"parallelizationEfficiency\":");
    fixed(w, p->parallelization_efficiency, 4);
    LIT(w, ",\"dagParallelism\":");
    fixed(w, p->dag_parallelism, 4);
    LIT(w, ",\"achievedParallelism\":");
    fixed(w, p->achieved_parallelism, 4);
    LIT(w, ",\"peakConcurrency\":");
    u64(w, p->peak_concurrency);

    LIT(w, ",\"totalTokens\":{");
    token_members(w, &p->tokens, p->tokens_by_model, p->n_tokens_by_model);
    LIT(w, ",\"byNode\":{");
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (!by_node_listed(&p->nodes[i], false))
            continue;
        node_key(w, first, i);
        first = false;
        i64(w, p->nodes[i].own_tokens);
    }
    LIT(w, "}}");

    LIT(w, ",\"totalCost\":{\"totalCost\":");
    usd(w, p->cost_pusd);
    LIT(w, ",\"byModel\":");
    named_values(w, p->cost_by_model, p->n_cost_by_model, true);
    LIT(w, ",\"byNode\":{");
    first = true;
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (!by_node_listed(&p->nodes[i], true))
            continue;
        node_key(w, first, i);
        first = false;
        usd(w, p->nodes[i].own_cost_pusd);
    }
    LIT(w, "},\"currency\":\"USD\"}");

    LIT(w, ",\"unpricedModels\":[");
    for (size_t i = 0; i < p->n_unpriced_models; i++) {
        if (i == 0)
            LIT(w, "{\"model\":");
        else
            LIT(w, ",{\"model\":");
        name(w, p->unpriced_models[i].name);
        LIT(w, ",\"tokens\":");
        i64(w, p->unpriced_models[i].value);
        LIT(w, "}");
    }
    LIT(w, "]");
}

static void write_tool_calls(jw *w, const dp_profile *p, const dp_node *n)
{
    bool first = true;

    LIT(w, "[");
    for (size_t i = 0; i < n->n_calls; i++) {
        const dp_call *c;
        if (n->calls[i] >= p->n_calls)
            continue;
        c = &p->calls[n->calls[i]];
        if (c->kind != DP_CALL_TOOL)
            continue;
        if (first)
            LIT(w, "{\"tool\":");
        else
            LIT(w, ",{\"tool\":");
        first = false;
        name(w, c->name);
        LIT(w, ",\"duration\":");
        ms(w, call_duration(c));
        LIT(w, ",\"success\":");
        boolean(w, c->success);
        LIT(w, "}");
    }
    LIT(w, "]");
}

static void write_node(jw *w, const dp_profile *p, size_t idx)
{
    const dp_node *n = &p->nodes[idx];

    LIT(w, "{\"nodeId\":");
    node_ref(w, idx);
    LIT(w, ",\"start\":");
    ms(w, n->start_ns);
    LIT(w, ",\"end\":");
    ms(w, n->end_ns);
    LIT(w, ",\"duration\":");
    ms(w, n->duration_ns);
    LIT(w, ",\"waitTime\":");
    ms(w, n->wait_ns);
    LIT(w, ",\"dependencyWait\":");
    ms(w, n->dependency_wait_ns);
    LIT(w, ",\"queueDelay\":");
    ms(w, n->queue_delay_ns);
    LIT(w, ",\"executionTime\":");
    ms(w, n->execution_ns);
    LIT(w, ",\"selfTime\":");
    ms(w, n->self_ns);
    LIT(w, ",\"llmTime\":");
    ms(w, n->llm_ns);
    LIT(w, ",\"toolTime\":");
    ms(w, n->tool_ns);
    LIT(w, ",\"attempts\":");
    u64(w, n->attempts);
    LIT(w, ",\"retries\":");
    u64(w, n->retries);
    LIT(w, ",\"status\":");
    name(w, dp_status_name(n->status));
    LIT(w, ",\"dependsOn\":");
    node_id_array(w, n->deps, n->n_deps);
    LIT(w, ",\"kind\":");
    name(w, dp_node_kind_name(n->kind));
    LIT(w, ",\"parent\":");
    if (n->parent >= 0 && (size_t)n->parent < p->n_nodes &&
        p->nodes[n->parent].id != NULL)
        node_ref(w, (size_t)n->parent);
    else
        LIT(w, "null");
    LIT(w, ",\"children\":");
    node_id_array(w, n->children, n->n_children);
    LIT(w, ",\"dependencySource\":");
    name(w, dp_dep_source_name(n->dep_source));
    LIT(w, ",\"models\":[");
    for (size_t i = 0; i < n->n_models; i++) {
        if (i > 0)
            LIT(w, ",");
        name(w, n->models[i]);
    }
    LIT(w, "],\"tokens\":{");
    token_members(w, &n->tokens, n->tokens_by_model, n->n_tokens_by_model);
    LIT(w, "},\"cost\":");
    usd(w, n->cost_pusd);
    LIT(w, ",\"toolCalls\":");
    write_tool_calls(w, p, n);
    LIT(w, "}");
}

static void write_bottleneck(jw *w, const dp_bottleneck *bn)
{
    LIT(w, "{\"type\":");
    name(w, dp_bottleneck_type_name(bn->type));
    LIT(w, ",\"nodeId\":");
    node_ref(w, bn->node);
    LIT(w, ",\"severity\":");
    name(w, dp_severity_name(bn->severity));
    LIT(w, ",\"impact\":");
    fixed(w, bn->impact, 2);
    LIT(w, ",\"details\":");
    str(w, bn->details);
    LIT(w, ",\"recommendation\":");
    str(w, bn->recommendation);
    LIT(w, "}");
}

static void write_optimization(jw *w, const dp_optimization *o)
{
    LIT(w, "{\"type\":");
    name(w, dp_optimization_type_name(o->type));
    LIT(w, ",\"priority\":");
    name(w, dp_severity_name(o->priority));
    LIT(w, ",\"estimatedSavings\":{\"time\":");
    ms(w, o->saving_time_ns);
    LIT(w, ",\"tokens\":");
    i64(w, o->saving_tokens);
    LIT(w, ",\"cost\":");
    usd(w, o->saving_cost_pusd);
    LIT(w, "},\"description\":");
    str(w, o->description);
    LIT(w, ",\"implementation\":");
    str(w, o->implementation);
    LIT(w, "}");
}

static void write_profile(jw *w, const dp_profile *p)
{
    const char *reason;

    LIT(w, "{\"profileId\":");
    str(w, p->profile_id);
    LIT(w, ",\"traceId\":");
    str(w, p->trace_id_hex);
    LIT(w, ",\"dagId\":");
    str(w, p->dag_id);
    LIT(w, ",\"profiledAt\":");
    rfc3339(w, p->profiled_at_unix_ns);
    LIT(w, ",\"startTimeUnixNano\":\"");
    u64(w, p->start_unix_ns);
    LIT(w, "\",\"complete\":");
    boolean(w, p->complete);
    LIT(w, ",\"incompleteReason\":");
    reason =
        p->complete ? NULL : dp_incomplete_reason_name(p->incomplete_reason);
    opt_str(w, reason);
    LIT(w, ",\"spanCount\":");
    u64(w, p->span_count);
    LIT(w, ",\"lateSpans\":");
    u64(w, p->late_spans);
    LIT(w, ",\"serviceName\":");
    opt_str(w, p->service_name);
    LIT(w, ",\"version\":");
    opt_str(w, p->version);
    LIT(w, ",\"sessionId\":");
    opt_str(w, p->session_id);
    LIT(w, ",\"warnings\":[");
    for (size_t i = 0; i < p->n_warnings; i++) {
        if (i > 0)
            LIT(w, ",");
        str(w, p->warnings[i]);
    }
    LIT(w, "],\"metrics\":{");
    write_metrics(w, p);
    LIT(w, "},\"nodeMetrics\":[");
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (i > 0)
            LIT(w, ",");
        write_node(w, p, i);
    }
    LIT(w, "],\"analysis\":{\"bottlenecks\":[");
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        if (i > 0)
            LIT(w, ",");
        write_bottleneck(w, &p->bottlenecks[i]);
    }
    LIT(w, "]},\"recommendations\":[");
    for (size_t i = 0; i < p->n_optimizations; i++) {
        if (i > 0)
            LIT(w, ",");
        write_optimization(w, &p->optimizations[i]);
    }
    LIT(w, "]}\n");
}

/* A first reservation near the usual size, so a fresh buffer grows once or
 * twice instead of doubling from 256 bytes: the fixed members plus what a
 * typical node, call and analysis entry take. */
static size_t size_guess(const dp_profile *p)
{
    size_t n = 1024 + 640 * p->n_nodes + 48 * p->n_calls +
               320 * (p->n_bottlenecks + p->n_optimizations);
    return n < ((size_t)1 << 20) ? n : (size_t)1 << 20;
}

int dp_profile_json_write(dp_buf *out, const dp_profile *p)
{
    id_ref stack_ids[STACK_IDS];
    jw w;
    size_t start;
    int err;

    if (out == NULL || p == NULL)
        return DP_EINVAL;
    start = out->len;
    if (dp_buf_reserve(out, size_guess(p)) != 0)
        return DP_ENOMEM;
    w.b = out;
    w.p = out->data + out->len;
    w.end = out->data + out->cap - 1;
    w.err = 0;
    w.prof = p;
    memset(w.names, 0, sizeof(w.names));
    /* Without the table (no memory) every reference is escaped again: the
     * same bytes, only slower. */
    if (p->n_nodes <= STACK_IDS)
        w.ids = stack_ids;
    else
        w.ids = malloc(p->n_nodes * sizeof(*w.ids));
    if (w.ids != NULL)
        memset(w.ids, 0, p->n_nodes * sizeof(*w.ids));

    write_profile(&w, p);

    err = w.err;
    if (w.ids != stack_ids)
        free(w.ids);
    if (err != 0) {
        out->len = start;
        out->data[start] = '\0';
        return err;
    }
    out->len = (size_t)(w.p - out->data);
    out->data[out->len] = '\0';
    return 0;
}
