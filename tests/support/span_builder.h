/*
 * span_builder.h - traces for the processor's scenario tests.
 *
 * The DAG tests (test_dag_*.c) and test_processor.c build traces as a
 * receiver would hand them to the processor: dp_span_in views with
 * attributes, resource attributes, links and status. This header builds
 * those views from small integers (trace and span numbers) and times in
 * milliseconds relative to a fixed epoch, delivers them to a processor,
 * captures the dp_profile values it emits and finds nodes in them. The
 * comparisons with hand-computed expectations are in span_expect.h. Every
 * test file is its own executable, so everything here is static inline;
 * nothing is linked separately.
 *
 * Ownership: an sb_trace owns its spans and every string given to
 * sb_strdup(); the caller frees it with sb_trace_free(). Keys and values
 * passed to the attribute setters are not copied: pass literals or strings
 * from sb_strdup(). Profiles returned by sb_profile_one() belong to the
 * caller (dp_profile_free).
 */
#ifndef DP_TESTS_SPAN_BUILDER_H
#define DP_TESTS_SPAN_BUILDER_H

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

/* Where an attribute goes: the span's own list or its resource's. */
enum { SB_SPAN_ATTR = 0, SB_RES_ATTR = 1 };

/* Appends attribute key of type type (a DP_VAL_* code) to the span's list
 * (where SB_SPAN_ATTR) or the resource's (SB_RES_ATTR), its value read from
 * ap by type: DP_VAL_STR const char *, DP_VAL_INT int64_t, DP_VAL_DOUBLE
 * double, DP_VAL_BOOL int, DP_VAL_ARRAY string items as const char * up to
 * a NULL (none is an empty array). Nothing is copied. Returns s, so calls
 * chain. The typed wrappers below fix the argument types. */
static inline sb_span *sb_vput_attr(sb_span *s, int where, const char *key,
                                    int type, va_list ap)
{
    dp_attr *a;
    if (where == SB_RES_ATTR) {
        assert_true(s->n_res < SB_MAX_RES);
        a = &s->res[s->n_res++];
    } else {
        assert_true(s->n_attrs < SB_MAX_ATTRS);
        a = &s->attrs[s->n_attrs++];
    }
    memset(a, 0, sizeof(*a));
    a->key = key;
    a->key_len = strlen(key);
    a->value.type = type;
    switch (type) {
    case DP_VAL_STR:
        a->value.u.str.ptr = va_arg(ap, const char *);
        a->value.u.str.len = strlen(a->value.u.str.ptr);
        break;
    case DP_VAL_INT:
        a->value.u.i = va_arg(ap, int64_t);
        break;
    case DP_VAL_DOUBLE:
        a->value.u.d = va_arg(ap, double);
        break;
    case DP_VAL_BOOL:
        a->value.u.b = va_arg(ap, int) != 0;
        break;
    case DP_VAL_ARRAY: {
        assert_true(s->n_arrays < SB_MAX_ARRAYS);
        dp_value *items = s->items[s->n_arrays++];
        size_t n = 0;
        for (const char *v = va_arg(ap, const char *); v != NULL;
             v = va_arg(ap, const char *)) {
            assert_true(n < SB_MAX_ITEMS);
            items[n].type = DP_VAL_STR;
            items[n].u.str.ptr = v;
            items[n].u.str.len = strlen(v);
            n++;
        }
        a->value.u.arr.items = items;
        a->value.u.arr.n = n;
        break;
    }
    default:
        fail_msg("sb_put_attr: no value of type %d", type);
    }
    return s;
}

static inline sb_span *sb_put_attr(sb_span *s, int where, const char *key,
                                   int type, ...)
{
    va_list ap;
    va_start(ap, type);
    sb_vput_attr(s, where, key, type, ap);
    va_end(ap);
    return s;
}

static inline sb_span *sb_str(sb_span *s, const char *key, const char *val)
{
    return sb_put_attr(s, SB_SPAN_ATTR, key, DP_VAL_STR, val);
}

static inline sb_span *sb_int(sb_span *s, const char *key, int64_t val)
{
    return sb_put_attr(s, SB_SPAN_ATTR, key, DP_VAL_INT, val);
}

static inline sb_span *sb_dbl(sb_span *s, const char *key, double val)
{
    return sb_put_attr(s, SB_SPAN_ATTR, key, DP_VAL_DOUBLE, val);
}

static inline sb_span *sb_bool(sb_span *s, const char *key, bool val)
{
    return sb_put_attr(s, SB_SPAN_ATTR, key, DP_VAL_BOOL, (int)val);
}

/* A string-array attribute from a NULL-terminated list (may be empty). */
static inline sb_span *sb_strarr(sb_span *s, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    sb_vput_attr(s, SB_SPAN_ATTR, key, DP_VAL_ARRAY, ap);
    va_end(ap);
    return s;
}

static inline sb_span *sb_res_str(sb_span *s, const char *key, const char *val)
{
    return sb_put_attr(s, SB_RES_ATTR, key, DP_VAL_STR, val);
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

#endif /* DP_TESTS_SPAN_BUILDER_H */
