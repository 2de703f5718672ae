/*
 * span_builder.h - helpers for the processor's scenario tests.
 *
 * The DAG tests (test_dag_scenarios.c, test_dag_conventions.c,
 * test_dag_edge_cases.c) build traces as a receiver would hand them to the
 * processor: dp_span_in views with attributes, resource attributes, links and
 * status. This header builds those views from small integers (trace and span
 * numbers) and times in milliseconds relative to a fixed epoch, captures the
 * dp_profile values the processor emits, and compares them with hand-computed
 * expectations. Every test file is its own executable, so everything here is
 * static inline; nothing is linked separately.
 *
 * Ownership: an sb_trace owns its spans and every string given to
 * sb_strdup(); the caller frees it with sb_trace_free(). Keys and values
 * passed to the attribute helpers are not copied: pass literals or strings
 * from sb_strdup(). Profiles returned by sb_profile_one() belong to the
 * caller (dp_profile_free).
 */
#ifndef DP_TESTS_SPAN_BUILDER_H
#define DP_TESTS_SPAN_BUILDER_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "processor.h"

/* A realistic epoch: 2023-11-14T22:13:20Z, in Unix nanoseconds. */
#define SB_BASE_NS 1700000000000000000ULL
#define SB_NS_PER_MS 1000000LL
#define SB_MS(ms) ((int64_t)(ms)*SB_NS_PER_MS)

#define SB_MAX_SPANS 256
#define SB_MAX_ATTRS 24
#define SB_MAX_RES 8
#define SB_MAX_LINKS 8
#define SB_MAX_ARRAYS 4
#define SB_MAX_ITEMS 16
#define SB_MAX_STRS 512

typedef struct sb_span {
    dp_span_in in;
    dp_attr attrs[SB_MAX_ATTRS];
    size_t n_attrs;
    dp_attr res[SB_MAX_RES];
    size_t n_res;
    dp_link_in links[SB_MAX_LINKS];
    size_t n_links;
    dp_value items[SB_MAX_ARRAYS][SB_MAX_ITEMS];
    size_t n_arrays;
} sb_span;

typedef struct sb_trace {
    uint32_t trace_no;
    sb_span *spans; /* fixed capacity: pointers stay valid */
    size_t n;
    char *strs[SB_MAX_STRS];
    size_t n_strs;
} sb_trace;

/* ---- ids ----------------------------------------------------------------- */

/* Trace id d00d0000 00000000 00000000 <trace_no big-endian>. */
static inline void sb_trace_id(uint32_t trace_no, uint8_t out[16])
{
    memset(out, 0, 16);
    out[0] = 0xd0;
    out[1] = 0x0d;
    out[12] = (uint8_t)(trace_no >> 24);
    out[13] = (uint8_t)(trace_no >> 16);
    out[14] = (uint8_t)(trace_no >> 8);
    out[15] = (uint8_t)trace_no;
}

/* Span id <trace_no big-endian><span_no big-endian>: unique across traces. */
static inline void sb_span_id(uint32_t trace_no, uint32_t span_no,
                              uint8_t out[8])
{
    out[0] = (uint8_t)(trace_no >> 24);
    out[1] = (uint8_t)(trace_no >> 16);
    out[2] = (uint8_t)(trace_no >> 8);
    out[3] = (uint8_t)trace_no;
    out[4] = (uint8_t)(span_no >> 24);
    out[5] = (uint8_t)(span_no >> 16);
    out[6] = (uint8_t)(span_no >> 8);
    out[7] = (uint8_t)span_no;
}

/* ---- traces and spans ---------------------------------------------------- */

static inline sb_trace *sb_trace_new(uint32_t trace_no)
{
    sb_trace *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->spans = calloc(SB_MAX_SPANS, sizeof(sb_span));
    assert_non_null(t->spans);
    t->trace_no = trace_no;
    return t;
}

static inline void sb_trace_free(sb_trace *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_strs; i++)
        free(t->strs[i]);
    free(t->spans);
    free(t);
}

/* Copies s into the trace (freed with it) and returns the copy. */
static inline const char *sb_strdup(sb_trace *t, const char *s)
{
    assert_true(t->n_strs < SB_MAX_STRS);
    char *c = strdup(s);
    assert_non_null(c);
    t->strs[t->n_strs++] = c;
    return c;
}

/* Adds a span numbered span_no (> 0) whose parent is span parent_no of the
 * same trace, or a root span when parent_no is 0. Times are milliseconds
 * after SB_BASE_NS. Status starts UNSET. The pointer stays valid for the
 * trace's life. */
static inline sb_span *sb_span_add_ns(sb_trace *t, uint32_t span_no,
                                      uint32_t parent_no, const char *name,
                                      int64_t start_ns, int64_t end_ns)
{
    assert_true(t->n < SB_MAX_SPANS);
    sb_span *s = &t->spans[t->n++];
    memset(s, 0, sizeof(*s));
    sb_trace_id(t->trace_no, s->in.trace_id);
    sb_span_id(t->trace_no, span_no, s->in.span_id);
    if (parent_no != 0) {
        s->in.has_parent = true;
        sb_span_id(t->trace_no, parent_no, s->in.parent_span_id);
    }
    s->in.name = name;
    s->in.name_len = strlen(name);
    s->in.start_ns = (uint64_t)((int64_t)SB_BASE_NS + start_ns);
    s->in.end_ns = (uint64_t)((int64_t)SB_BASE_NS + end_ns);
    s->in.status_code = DP_STATUS_UNSET;
    return s;
}

static inline sb_span *sb_span_add(sb_trace *t, uint32_t span_no,
                                   uint32_t parent_no, const char *name,
                                   int64_t start_ms, int64_t end_ms)
{
    return sb_span_add_ns(t, span_no, parent_no, name, SB_MS(start_ms),
                          SB_MS(end_ms));
}

/* A span whose parent id names a span that is never delivered. */
static inline sb_span *sb_span_add_orphan(sb_trace *t, uint32_t span_no,
                                          uint32_t missing_parent_no,
                                          const char *name, int64_t start_ms,
                                          int64_t end_ms)
{
    return sb_span_add(t, span_no, missing_parent_no, name, start_ms, end_ms);
}

static inline dp_attr *sb_attr_slot(sb_span *s, const char *key)
{
    assert_true(s->n_attrs < SB_MAX_ATTRS);
    dp_attr *a = &s->attrs[s->n_attrs++];
    memset(a, 0, sizeof(*a));
    a->key = key;
    a->key_len = strlen(key);
    return a;
}

static inline sb_span *sb_str(sb_span *s, const char *key, const char *val)
{
    dp_attr *a = sb_attr_slot(s, key);
    a->value.type = DP_VAL_STR;
    a->value.u.str.ptr = val;
    a->value.u.str.len = strlen(val);
    return s;
}

static inline sb_span *sb_int(sb_span *s, const char *key, int64_t val)
{
    dp_attr *a = sb_attr_slot(s, key);
    a->value.type = DP_VAL_INT;
    a->value.u.i = val;
    return s;
}

static inline sb_span *sb_dbl(sb_span *s, const char *key, double val)
{
    dp_attr *a = sb_attr_slot(s, key);
    a->value.type = DP_VAL_DOUBLE;
    a->value.u.d = val;
    return s;
}

static inline sb_span *sb_bool(sb_span *s, const char *key, bool val)
{
    dp_attr *a = sb_attr_slot(s, key);
    a->value.type = DP_VAL_BOOL;
    a->value.u.b = val;
    return s;
}

/* A string-array attribute from a NULL-terminated list (may be empty). */
static inline sb_span *sb_strarr(sb_span *s, const char *key, ...)
{
    assert_true(s->n_arrays < SB_MAX_ARRAYS);
    dp_value *items = s->items[s->n_arrays++];
    size_t n = 0;
    va_list ap;
    va_start(ap, key);
    for (const char *v = va_arg(ap, const char *); v != NULL;
         v = va_arg(ap, const char *)) {
        assert_true(n < SB_MAX_ITEMS);
        items[n].type = DP_VAL_STR;
        items[n].u.str.ptr = v;
        items[n].u.str.len = strlen(v);
        n++;
    }
    va_end(ap);
    dp_attr *a = sb_attr_slot(s, key);
    a->value.type = DP_VAL_ARRAY;
    a->value.u.arr.items = items;
    a->value.u.arr.n = n;
    return s;
}

static inline sb_span *sb_res_str(sb_span *s, const char *key, const char *val)
{
    assert_true(s->n_res < SB_MAX_RES);
    dp_attr *a = &s->res[s->n_res++];
    memset(a, 0, sizeof(*a));
    a->key = key;
    a->key_len = strlen(key);
    a->value.type = DP_VAL_STR;
    a->value.u.str.ptr = val;
    a->value.u.str.len = strlen(val);
    return s;
}

/* A link to span span_no of trace trace_no. */
static inline sb_span *sb_link_ext(sb_span *s, uint32_t trace_no,
                                   uint32_t span_no)
{
    assert_true(s->n_links < SB_MAX_LINKS);
    dp_link_in *l = &s->links[s->n_links++];
    sb_trace_id(trace_no, l->trace_id);
    sb_span_id(trace_no, span_no, l->span_id);
    return s;
}

/* A link to span span_no of the span's own trace. */
static inline sb_span *sb_link(sb_span *s, uint32_t span_no)
{
    uint32_t trace_no = ((uint32_t)s->in.trace_id[12] << 24) |
                        ((uint32_t)s->in.trace_id[13] << 16) |
                        ((uint32_t)s->in.trace_id[14] << 8) |
                        (uint32_t)s->in.trace_id[15];
    return sb_link_ext(s, trace_no, span_no);
}

static inline sb_span *sb_status(sb_span *s, int code)
{
    s->in.status_code = code;
    return s;
}

/* ---- common attribute sets ----------------------------------------------- */

/* An OTel GenAI chat span's attributes: model and token usage. */
static inline sb_span *sb_genai_chat(sb_span *s, const char *model, int64_t in,
                                     int64_t out)
{
    sb_str(s, "gen_ai.operation.name", "chat");
    sb_str(s, "gen_ai.request.model", model);
    sb_int(s, "gen_ai.usage.input_tokens", in);
    sb_int(s, "gen_ai.usage.output_tokens", out);
    return s;
}

static inline sb_span *sb_genai_tool(sb_span *s, const char *tool)
{
    sb_str(s, "gen_ai.operation.name", "execute_tool");
    sb_str(s, "gen_ai.tool.name", tool);
    return s;
}

/* ---- delivery ------------------------------------------------------------ */

/* The view of span s, with its pointers refreshed. */
static inline const dp_span_in *sb_in(sb_span *s)
{
    s->in.attrs = s->n_attrs ? s->attrs : NULL;
    s->in.n_attrs = s->n_attrs;
    s->in.resource_attrs = s->n_res ? s->res : NULL;
    s->in.n_resource_attrs = s->n_res;
    s->in.links = s->n_links ? s->links : NULL;
    s->in.n_links = s->n_links;
    return &s->in;
}

enum { SB_FORWARD = 0, SB_REVERSE = 1 };

/* Adds every span of t, asserting each add returns 0. */
static inline void sb_add_all(dp_processor *p, sb_trace *t, int order)
{
    for (size_t k = 0; k < t->n; k++) {
        size_t i = order == SB_REVERSE ? t->n - 1 - k : k;
        int rc = dp_processor_add_span(p, sb_in(&t->spans[i]), 0);
        if (rc != 0) {
            print_error("add_span of span %zu (%s) returned %d (%s)\n", i,
                        t->spans[i].in.name, rc, dp_strerror(rc));
            fail();
        }
    }
}

/* ---- capture ------------------------------------------------------------- */

#define SB_MAX_PROFILES 64

typedef struct sb_capture {
    dp_profile *profiles[SB_MAX_PROFILES];
    size_t n;
    size_t calls;
} sb_capture;

/* dp_profile_cb: takes ownership of every emitted profile. */
static inline void sb_capture_cb(dp_profile *profile, void *user)
{
    sb_capture *c = user;
    c->calls++;
    if (c->n < SB_MAX_PROFILES)
        c->profiles[c->n++] = profile;
    else
        dp_profile_free(profile);
}

static inline void sb_capture_free(sb_capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        dp_profile_free(c->profiles[i]);
    c->n = 0;
}

/* A processor with default configuration feeding cap. */
static inline dp_processor *sb_processor(sb_capture *cap)
{
    dp_processor_config cfg;
    dp_processor_config_init(&cfg);
    /* The DAG rules are shown on bare spans too; the agent-run filter has
     * tests of its own (test_dag_agent_runs.c). */
    cfg.profile_all_traces = true;
    dp_processor *p = dp_processor_create(&cfg, sb_capture_cb, cap);
    assert_non_null(p);
    return p;
}

/* Runs t through a fresh processor (end of input: flush with ROOT_MISSING)
 * and returns its one profile; the caller frees it. */
static inline dp_profile *sb_profile_one(sb_trace *t, int order)
{
    sb_capture cap;
    memset(&cap, 0, sizeof(cap));
    dp_processor *p = sb_processor(&cap);
    sb_add_all(p, t, order);
    assert_int_equal(cap.n, 0); /* nothing emitted before the end */
    size_t emitted = dp_processor_flush(p, DP_INCOMPLETE_ROOT_MISSING);
    dp_processor_destroy(p);
    assert_int_equal(emitted, 1);
    assert_int_equal(cap.n, 1);
    return cap.profiles[0];
}

/* ---- lookups ------------------------------------------------------------- */

/* Index of the node named id, or -1. */
static inline long sb_node_index(const dp_profile *prof, const char *id)
{
    for (size_t i = 0; i < prof->n_nodes; i++)
        if (prof->nodes[i].id != NULL && strcmp(prof->nodes[i].id, id) == 0)
            return (long)i;
    return -1;
}

/* The node named id; fails the test when absent. */
static inline const dp_node *sb_node(const dp_profile *prof, const char *id)
{
    long i = sb_node_index(prof, id);
    if (i < 0) {
        print_error("node '%s' not found; profile has %zu nodes:", id,
                    prof->n_nodes);
        for (size_t k = 0; k < prof->n_nodes; k++)
            print_error(" '%s'", prof->nodes[k].id ? prof->nodes[k].id : "");
        print_error("\n");
        fail();
    }
    return &prof->nodes[i];
}

/* Value of name in a (name, value) list, or -1 when absent. */
static inline int64_t sb_named(const dp_named_i64 *arr, size_t n,
                               const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (arr[i].name != NULL && strcmp(arr[i].name, name) == 0)
            return arr[i].value;
    return -1;
}

/* ---- assertions with readable messages ------------------------------------
 */

static inline void sb_eq_i64(const char *what, int64_t got, int64_t want,
                             const char *file, int line)
{
    if (got != want) {
        print_error("%s = %lld, expected %lld\n", what, (long long)got,
                    (long long)want);
        _fail(file, line);
    }
}

static inline void sb_eq_dbl(const char *what, double got, double want,
                             const char *file, int line)
{
    if (!isfinite(got) || fabs(got - want) > 1e-9 * (fabs(want) + 1.0)) {
        print_error("%s = %.12g, expected %.12g\n", what, got, want);
        _fail(file, line);
    }
}

static inline void sb_eq_str(const char *what, const char *got,
                             const char *want, const char *file, int line)
{
    if (got == NULL || strcmp(got, want) != 0) {
        print_error("%s = '%s', expected '%s'\n", what, got ? got : "(null)",
                    want);
        _fail(file, line);
    }
}

/* Times: got in ns, want in ms. */
#define SB_EQ_MS(got, want_ms)                                                 \
    sb_eq_i64(#got, (int64_t)(got), SB_MS(want_ms), __FILE__, __LINE__)
#define SB_EQ(got, want)                                                       \
    sb_eq_i64(#got, (int64_t)(got), (int64_t)(want), __FILE__, __LINE__)
#define SB_EQ_DBL(got, want)                                                   \
    sb_eq_dbl(#got, (double)(got), (double)(want), __FILE__, __LINE__)
#define SB_EQ_STR(got, want) sb_eq_str(#got, (got), (want), __FILE__, __LINE__)

/* Expected timing of one node; times in ms from run start. */
typedef struct sb_node_expect {
    const char *id;
    int64_t start, end, duration, wait, dep_wait, queue, exec;
    int64_t self, llm, tool;
    uint32_t attempts, retries;
    int status;
} sb_node_expect;

/* Asserts the node at index idx is e->id with every field of e. */
static inline void sb_assert_node_at(const dp_profile *prof, size_t idx,
                                     const sb_node_expect *e, const char *file,
                                     int line)
{
    if (idx >= prof->n_nodes) {
        print_error("node index %zu out of range (%zu nodes)\n", idx,
                    prof->n_nodes);
        _fail(file, line);
    }
    const dp_node *n = &prof->nodes[idx];
    char what[160];
#define SB__F(field, want)                                                     \
    do {                                                                       \
        snprintf(what, sizeof(what), "node[%zu] %.60s " #field, idx, e->id);   \
        sb_eq_i64(what, (int64_t)n->field, (int64_t)(want), file, line);       \
    } while (0)
    snprintf(what, sizeof(what), "node[%zu].id", idx);
    sb_eq_str(what, n->id, e->id, file, line);
    SB__F(start_ns, SB_MS(e->start));
    SB__F(end_ns, SB_MS(e->end));
    SB__F(duration_ns, SB_MS(e->duration));
    SB__F(wait_ns, SB_MS(e->wait));
    SB__F(dependency_wait_ns, SB_MS(e->dep_wait));
    SB__F(queue_delay_ns, SB_MS(e->queue));
    SB__F(execution_ns, SB_MS(e->exec));
    SB__F(self_ns, SB_MS(e->self));
    SB__F(llm_ns, SB_MS(e->llm));
    SB__F(tool_ns, SB_MS(e->tool));
    SB__F(attempts, e->attempts);
    SB__F(retries, e->retries);
    SB__F(status, e->status);
#undef SB__F
}
#define SB_ASSERT_NODE_AT(prof, idx, ...)                                      \
    do {                                                                       \
        sb_node_expect sb__e = __VA_ARGS__;                                    \
        sb_assert_node_at((prof), (idx), &sb__e, __FILE__, __LINE__);          \
    } while (0)

/* Asserts node id depends on exactly the NULL-terminated list of node ids
 * (in any order) with dependency source src (SB_ANY_SOURCE: not checked). */
#define SB_ANY_SOURCE (-1)
static inline void sb_assert_deps(const dp_profile *prof, const char *id,
                                  int src, const char *file, int line, ...)
{
    const dp_node *n = sb_node(prof, id);
    const char *want[32];
    size_t nw = 0;
    va_list ap;
    va_start(ap, line);
    for (const char *v = va_arg(ap, const char *); v != NULL;
         v = va_arg(ap, const char *))
        want[nw++] = v;
    va_end(ap);
    bool ok = n->n_deps == nw && (src < 0 || n->dep_source == src);
    for (size_t i = 0; ok && i < nw; i++) {
        bool found = false;
        for (size_t k = 0; k < n->n_deps; k++)
            if (n->deps[k] < prof->n_nodes &&
                strcmp(prof->nodes[n->deps[k]].id, want[i]) == 0)
                found = true;
        ok = found;
    }
    if (!ok) {
        print_error("node %s: deps [", id);
        for (size_t k = 0; k < n->n_deps; k++)
            print_error("%s%s", k ? " " : "",
                        n->deps[k] < prof->n_nodes ? prof->nodes[n->deps[k]].id
                                                   : "?");
        print_error("] source %s, expected [",
                    dp_dep_source_name(n->dep_source));
        for (size_t i = 0; i < nw; i++)
            print_error("%s%s", i ? " " : "", want[i]);
        print_error("] source %s\n",
                    src < 0 ? "(any)" : dp_dep_source_name(src));
        _fail(file, line);
    }
}
#define SB_ASSERT_DEPS(prof, id, src, ...)                                     \
    sb_assert_deps((prof), (id), (src), __FILE__, __LINE__, __VA_ARGS__, NULL)
#define SB_ASSERT_NO_DEPS(prof, id, src)                                       \
    sb_assert_deps((prof), (id), (src), __FILE__, __LINE__, NULL)

/* Asserts the critical path is exactly the NULL-terminated node ids, first
 * to last, and that on_critical_path marks exactly those nodes. */
static inline void sb_assert_cp(const dp_profile *prof, const char *file,
                                int line, ...)
{
    const char *want[32];
    size_t nw = 0;
    va_list ap;
    va_start(ap, line);
    for (const char *v = va_arg(ap, const char *); v != NULL;
         v = va_arg(ap, const char *))
        want[nw++] = v;
    va_end(ap);
    bool ok = prof->n_critical_path == nw;
    for (size_t i = 0; ok && i < nw; i++)
        ok = prof->critical_path[i] < prof->n_nodes &&
             strcmp(prof->nodes[prof->critical_path[i]].id, want[i]) == 0;
    if (!ok) {
        print_error("critical path [");
        for (size_t i = 0; i < prof->n_critical_path; i++)
            print_error("%s%s", i ? " " : "",
                        prof->critical_path[i] < prof->n_nodes
                            ? prof->nodes[prof->critical_path[i]].id
                            : "?");
        print_error("], expected [");
        for (size_t i = 0; i < nw; i++)
            print_error("%s%s", i ? " " : "", want[i]);
        print_error("]\n");
        _fail(file, line);
    }
    for (size_t k = 0; k < prof->n_nodes; k++) {
        bool on = false;
        for (size_t i = 0; i < nw; i++)
            if (strcmp(prof->nodes[k].id, want[i]) == 0)
                on = true;
        if (prof->nodes[k].on_critical_path != on) {
            print_error("node %s on_critical_path = %d, expected %d\n",
                        prof->nodes[k].id, prof->nodes[k].on_critical_path, on);
            _fail(file, line);
        }
    }
}
#define SB_ASSERT_CP(prof, ...)                                                \
    sb_assert_cp((prof), __FILE__, __LINE__, __VA_ARGS__, NULL)

/* Run-level timing: times in ms, ratios exact doubles. */
typedef struct sb_run_expect {
    int64_t wall, cp, sum_exec;
    double efficiency, dag_par, achieved;
    uint32_t peak;
} sb_run_expect;

static inline void sb_assert_run(const dp_profile *prof, const sb_run_expect *e,
                                 const char *file, int line)
{
    sb_eq_i64("wall_ns", prof->wall_ns, SB_MS(e->wall), file, line);
    sb_eq_i64("critical_path_ns", prof->critical_path_ns, SB_MS(e->cp), file,
              line);
    sb_eq_i64("sum_execution_ns", prof->sum_execution_ns, SB_MS(e->sum_exec),
              file, line);
    sb_eq_dbl("parallelization_efficiency", prof->parallelization_efficiency,
              e->efficiency, file, line);
    sb_eq_dbl("dag_parallelism", prof->dag_parallelism, e->dag_par, file, line);
    sb_eq_dbl("achieved_parallelism", prof->achieved_parallelism, e->achieved,
              file, line);
    sb_eq_i64("peak_concurrency", prof->peak_concurrency, e->peak, file, line);
}
#define SB_ASSERT_RUN(prof, ...)                                               \
    do {                                                                       \
        sb_run_expect sb__r = __VA_ARGS__;                                     \
        sb_assert_run((prof), &sb__r, __FILE__, __LINE__);                     \
    } while (0)

/* Asserts a token record field by field. */
#define SB_ASSERT_TOKENS(tok, in, out, cr, cw, rs)                             \
    do {                                                                       \
        SB_EQ((tok).input, (in));                                              \
        SB_EQ((tok).output, (out));                                            \
        SB_EQ((tok).cache_read, (cr));                                         \
        SB_EQ((tok).cache_write, (cw));                                        \
        SB_EQ((tok).reasoning, (rs));                                          \
    } while (0)

/* ---- comparing two profiles -----------------------------------------------
 */

enum {
    SB_CMP_CALL_NAMES = 1, /* compare tool names of calls too */
    SB_CMP_SPAN_COUNT = 2, /* compare span_count */
    SB_CMP_DEP_SOURCE = 4, /* compare each node's dependency source */
};

static inline void sb_cmp_tokens(const char *what, const dp_tokens *a,
                                 const dp_tokens *b, const char *file, int line)
{
    char w[160];
    snprintf(w, sizeof(w), "%.100s input", what);
    sb_eq_i64(w, a->input, b->input, file, line);
    snprintf(w, sizeof(w), "%.100s output", what);
    sb_eq_i64(w, a->output, b->output, file, line);
    snprintf(w, sizeof(w), "%.100s cache_read", what);
    sb_eq_i64(w, a->cache_read, b->cache_read, file, line);
    snprintf(w, sizeof(w), "%.100s cache_write", what);
    sb_eq_i64(w, a->cache_write, b->cache_write, file, line);
    snprintf(w, sizeof(w), "%.100s reasoning", what);
    sb_eq_i64(w, a->reasoning, b->reasoning, file, line);
}

static inline void sb_cmp_named(const char *what, const dp_named_i64 *a,
                                size_t na, const dp_named_i64 *b, size_t nb,
                                const char *file, int line)
{
    char w[160];
    snprintf(w, sizeof(w), "%.100s count", what);
    sb_eq_i64(w, (int64_t)na, (int64_t)nb, file, line);
    for (size_t i = 0; i < na; i++) {
        snprintf(w, sizeof(w), "%.100s[%.40s]", what, a[i].name);
        sb_eq_i64(w, a[i].value, sb_named(b, nb, a[i].name), file, line);
    }
}

/* Asserts got and want carry the same DAG: dag id, run timing, critical
 * path, tokens, every node (id, timing, attempts, status, deps by id,
 * models, tokens) and every call (kind, node, times, success, tokens; model
 * names always, tool names with SB_CMP_CALL_NAMES). Not compared: ids of
 * the trace, profiledAt, cost and analysis. */
static inline void sb_assert_same_profile(const dp_profile *got,
                                          const dp_profile *want, int flags,
                                          const char *file, int line)
{
    char w[200];
    sb_eq_str("dag_id", got->dag_id, want->dag_id, file, line);
    sb_eq_i64("complete", got->complete, want->complete, file, line);
    sb_eq_i64("incomplete_reason", got->incomplete_reason,
              want->incomplete_reason, file, line);
    sb_eq_i64("start_unix_ns", (int64_t)got->start_unix_ns,
              (int64_t)want->start_unix_ns, file, line);
    if (flags & SB_CMP_SPAN_COUNT)
        sb_eq_i64("span_count", (int64_t)got->span_count,
                  (int64_t)want->span_count, file, line);
    sb_eq_i64("wall_ns", got->wall_ns, want->wall_ns, file, line);
    sb_eq_i64("critical_path_ns", got->critical_path_ns, want->critical_path_ns,
              file, line);
    sb_eq_i64("sum_execution_ns", got->sum_execution_ns, want->sum_execution_ns,
              file, line);
    sb_eq_dbl("parallelization_efficiency", got->parallelization_efficiency,
              want->parallelization_efficiency, file, line);
    sb_eq_dbl("dag_parallelism", got->dag_parallelism, want->dag_parallelism,
              file, line);
    sb_eq_dbl("achieved_parallelism", got->achieved_parallelism,
              want->achieved_parallelism, file, line);
    sb_eq_i64("peak_concurrency", got->peak_concurrency, want->peak_concurrency,
              file, line);
    sb_cmp_tokens("run tokens", &got->tokens, &want->tokens, file, line);
    sb_cmp_named("run tokens_by_model", got->tokens_by_model,
                 got->n_tokens_by_model, want->tokens_by_model,
                 want->n_tokens_by_model, file, line);

    sb_eq_i64("n_nodes", (int64_t)got->n_nodes, (int64_t)want->n_nodes, file,
              line);
    for (size_t i = 0; i < want->n_nodes; i++) {
        const dp_node *a = &got->nodes[i], *b = &want->nodes[i];
        snprintf(w, sizeof(w), "node[%zu].id", i);
        sb_eq_str(w, a->id, b->id, file, line);
#define SB__C(field)                                                           \
    do {                                                                       \
        snprintf(w, sizeof(w), "node %.60s " #field, b->id);                   \
        sb_eq_i64(w, (int64_t)a->field, (int64_t)b->field, file, line);        \
    } while (0)
        SB__C(start_ns);
        SB__C(end_ns);
        SB__C(duration_ns);
        SB__C(wait_ns);
        SB__C(dependency_wait_ns);
        SB__C(queue_delay_ns);
        SB__C(execution_ns);
        SB__C(self_ns);
        SB__C(llm_ns);
        SB__C(tool_ns);
        SB__C(failed_attempts_ns);
        SB__C(attempts);
        SB__C(retries);
        SB__C(status);
        SB__C(n_deps);
        SB__C(n_models);
        SB__C(n_calls);
        SB__C(on_critical_path);
        if (flags & SB_CMP_DEP_SOURCE)
            SB__C(dep_source);
#undef SB__C
        for (size_t k = 0; k < b->n_deps; k++) {
            bool found = false;
            for (size_t j = 0; j < a->n_deps; j++)
                if (strcmp(got->nodes[a->deps[j]].id,
                           want->nodes[b->deps[k]].id) == 0)
                    found = true;
            if (!found) {
                print_error("node %s lacks dependency %s\n", b->id,
                            want->nodes[b->deps[k]].id);
                _fail(file, line);
            }
        }
        for (size_t k = 0; k < b->n_models && k < a->n_models; k++) {
            snprintf(w, sizeof(w), "node %.60s models[%zu]", b->id, k);
            sb_eq_str(w, a->models[k], b->models[k], file, line);
        }
        snprintf(w, sizeof(w), "node %.60s tokens", b->id);
        sb_cmp_tokens(w, &a->tokens, &b->tokens, file, line);
        snprintf(w, sizeof(w), "node %.60s tokens_by_model", b->id);
        sb_cmp_named(w, a->tokens_by_model, a->n_tokens_by_model,
                     b->tokens_by_model, b->n_tokens_by_model, file, line);
    }

    sb_eq_i64("n_critical_path", (int64_t)got->n_critical_path,
              (int64_t)want->n_critical_path, file, line);
    for (size_t i = 0; i < want->n_critical_path; i++) {
        snprintf(w, sizeof(w), "critical_path[%zu]", i);
        sb_eq_str(w, got->nodes[got->critical_path[i]].id,
                  want->nodes[want->critical_path[i]].id, file, line);
    }

    sb_eq_i64("n_calls", (int64_t)got->n_calls, (int64_t)want->n_calls, file,
              line);
    for (size_t i = 0; i < want->n_calls; i++) {
        const dp_call *a = &got->calls[i], *b = &want->calls[i];
        snprintf(w, sizeof(w), "calls[%zu].kind", i);
        sb_eq_i64(w, a->kind, b->kind, file, line);
        snprintf(w, sizeof(w), "calls[%zu].node", i);
        sb_eq_i64(w, a->node, b->node, file, line);
        snprintf(w, sizeof(w), "calls[%zu].start_ns", i);
        sb_eq_i64(w, a->start_ns, b->start_ns, file, line);
        snprintf(w, sizeof(w), "calls[%zu].end_ns", i);
        sb_eq_i64(w, a->end_ns, b->end_ns, file, line);
        snprintf(w, sizeof(w), "calls[%zu].success", i);
        sb_eq_i64(w, a->success, b->success, file, line);
        snprintf(w, sizeof(w), "calls[%zu].tokens", i);
        sb_cmp_tokens(w, &a->tokens, &b->tokens, file, line);
        if (b->kind == DP_CALL_LLM || (flags & SB_CMP_CALL_NAMES)) {
            snprintf(w, sizeof(w), "calls[%zu].name", i);
            sb_eq_str(w, a->name, b->name ? b->name : "", file, line);
        }
    }
}
#define SB_ASSERT_SAME_PROFILE(got, want, flags)                               \
    sb_assert_same_profile((got), (want), (flags), __FILE__, __LINE__)

/* Asserts every ratio of the profile is a finite number. */
#define SB_ASSERT_RATIOS_FINITE(prof)                                          \
    do {                                                                       \
        assert_true(isfinite((prof)->parallelization_efficiency));             \
        assert_true(isfinite((prof)->dag_parallelism));                        \
        assert_true(isfinite((prof)->achieved_parallelism));                   \
    } while (0)

#endif /* DP_TESTS_SPAN_BUILDER_H */
