/*
 * otlp_pb_request.h - ExportTraceServiceRequests built from the protobuf-c
 * generated structs, for the tests of the reference protobuf decoder
 * (test_otlp_proto.c): values of every AnyValue kind, key-value pairs,
 * spans with attributes, links and status, ResourceSpans with resource
 * attributes, and the packed request.
 *
 * Everything is allocated from one pool of the test and freed together by
 * pool_free() at the end of a case; the packed buffer is pool-owned too.
 * Ids are given as hex text of any length (wrong lengths are what some
 * tests need). Static inline: each test is its own executable. Include
 * after <cmocka.h>.
 */
#ifndef DP_TEST_OTLP_PB_REQUEST_H
#define DP_TEST_OTLP_PB_REQUEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Common__V1__AnyValue any_value;
typedef Opentelemetry__Proto__Common__V1__KeyValue key_value;
typedef Opentelemetry__Proto__Trace__V1__Span span_pb;
typedef Opentelemetry__Proto__Trace__V1__Span__Link link_pb;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans resource_spans_pb;

/* ---- the pool ----------------------------------------------------------- */

static void *pool[65536];
static size_t n_pool;

/* Zeroed memory that lives until pool_free(); fails the test when full. */
static inline void *pool_alloc(size_t n)
{
    void *p = calloc(1, n);
    assert_non_null(p);
    assert_true(n_pool < sizeof(pool) / sizeof(pool[0]));
    pool[n_pool++] = p;
    return p;
}

static inline void pool_free(void)
{
    while (n_pool)
        free(pool[--n_pool]);
}

/* The bytes of an even-length hex string. */
static inline ProtobufCBinaryData hexb(const char *hex)
{
    ProtobufCBinaryData b;

    b.len = strlen(hex) / 2;
    b.data = pool_alloc(b.len + 1);
    assert_int_equal(dp_hex_decode(hex, 2 * b.len, b.data, b.len), 0);
    return b;
}

/* ---- values ------------------------------------------------------------- */

enum {
    AV_UNSET = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE__NOT_SET,
    AV_STR = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE,
    AV_INT = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE,
    AV_DOUBLE = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE,
    AV_BOOL = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE,
    AV_BYTES = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE,
    AV_ARRAY = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE,
    AV_KVLIST = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE,
};

/* An AnyValue of case kase holding the value that follows, read by kase:
 * AV_STR const char *, AV_INT int64_t, AV_DOUBLE double, AV_BOOL int,
 * AV_BYTES const char * (hex), AV_ARRAY int n then n any_value *,
 * AV_KVLIST one key_value *; nothing for any other case (AV_UNSET).
 * Strings are not copied. The wrappers below fix the argument types. */
static inline any_value *av_put(int kase, ...)
{
    any_value *v = pool_alloc(sizeof(*v));
    va_list ap;

    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = kase;
    va_start(ap, kase);
    switch (kase) {
    case AV_STR:
        v->string_value = (char *)va_arg(ap, const char *);
        break;
    case AV_INT:
        v->int_value = va_arg(ap, int64_t);
        break;
    case AV_DOUBLE:
        v->double_value = va_arg(ap, double);
        break;
    case AV_BOOL:
        v->bool_value = va_arg(ap, int);
        break;
    case AV_BYTES:
        v->bytes_value = hexb(va_arg(ap, const char *));
        break;
    case AV_ARRAY: {
        size_t n = (size_t)va_arg(ap, int);
        v->array_value = pool_alloc(sizeof(*v->array_value));
        opentelemetry__proto__common__v1__array_value__init(v->array_value);
        v->array_value->n_values = n;
        v->array_value->values = pool_alloc((n + 1) * sizeof(any_value *));
        for (size_t i = 0; i < n; i++)
            v->array_value->values[i] = va_arg(ap, any_value *);
        break;
    }
    case AV_KVLIST:
        v->kvlist_value = pool_alloc(sizeof(*v->kvlist_value));
        opentelemetry__proto__common__v1__key_value_list__init(v->kvlist_value);
        v->kvlist_value->n_values = 1;
        v->kvlist_value->values = pool_alloc(sizeof(key_value *));
        v->kvlist_value->values[0] = va_arg(ap, key_value *);
        break;
    default:
        break;
    }
    va_end(ap);
    return v;
}

/* An AnyValue of case kase with no value set (0: unset). */
#define av(kase) av_put((kase))
#define av_str(s) av_put(AV_STR, (const char *)(s))
#define av_int(i) av_put(AV_INT, (int64_t)(i))
#define av_double(d) av_put(AV_DOUBLE, (double)(d))
#define av_bool(b) av_put(AV_BOOL, (int)(b))
#define av_bytes(hex) av_put(AV_BYTES, (const char *)(hex))
/* An array of n (an int) items given as any_value pointers:
 * av_array(n, items...). */
#define av_array(...) av_put(AV_ARRAY, __VA_ARGS__)
/* A key-value list of one item. */
#define av_kvlist(item) av_put(AV_KVLIST, (key_value *)(item))

static inline key_value *kv(const char *key, any_value *value)
{
    key_value *k = pool_alloc(sizeof(*k));
    opentelemetry__proto__common__v1__key_value__init(k);
    k->key = (char *)key;
    k->value = value;
    return k;
}

/* ---- spans and requests ------------------------------------------------ */

/* n key_value pointers read from ap, in a pool-owned array. */
static inline key_value **kvs(size_t n, va_list ap)
{
    key_value **out = pool_alloc((n + 1) * sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = va_arg(ap, key_value *);
    return out;
}

/* A span; parent "" means none. Ids are hex of any length. */
static inline span_pb *mk_span(const char *trace, const char *id,
                               const char *parent, const char *name,
                               uint64_t start, uint64_t end)
{
    span_pb *s = pool_alloc(sizeof(*s));

    opentelemetry__proto__trace__v1__span__init(s);
    s->trace_id = hexb(trace);
    s->span_id = hexb(id);
    s->parent_span_id = hexb(parent);
    s->name = (char *)name;
    s->start_time_unix_nano = start;
    s->end_time_unix_nano = end;
    return s;
}

/* Sets the n attributes (key_value *) of s. */
static inline void span_attrs(span_pb *s, size_t n, ...)
{
    va_list ap;

    va_start(ap, n);
    s->attributes = kvs(n, ap);
    s->n_attributes = n;
    va_end(ap);
}

/* Appends a link to span id of trace (hex). */
static inline void span_link(span_pb *s, const char *trace, const char *id)
{
    link_pb *l = pool_alloc(sizeof(*l));
    link_pb **links = pool_alloc((s->n_links + 1) * sizeof(*links));

    opentelemetry__proto__trace__v1__span__link__init(l);
    l->trace_id = hexb(trace);
    l->span_id = hexb(id);
    if (s->n_links)
        memcpy(links, s->links, s->n_links * sizeof(*links));
    links[s->n_links++] = l;
    s->links = links;
}

/* Sets the status code (message empty). */
static inline void span_status(span_pb *s, int code)
{
    s->status = pool_alloc(sizeof(*s->status));
    opentelemetry__proto__trace__v1__status__init(s->status);
    s->status->code = code;
    s->status->message = (char *)"";
}

/* ResourceSpans with n_res resource attributes (KeyValue *) followed by
 * n_spans spans (span_pb *); n_res < 0: no Resource message at all. */
static inline resource_spans_pb *mk_rs(int n_res, size_t n_spans, ...)
{
    resource_spans_pb *rs = pool_alloc(sizeof(*rs));
    Opentelemetry__Proto__Trace__V1__ScopeSpans *ss = pool_alloc(sizeof(*ss));
    va_list ap;

    opentelemetry__proto__trace__v1__resource_spans__init(rs);
    opentelemetry__proto__trace__v1__scope_spans__init(ss);
    va_start(ap, n_spans);
    if (n_res >= 0) {
        rs->resource = pool_alloc(sizeof(*rs->resource));
        opentelemetry__proto__resource__v1__resource__init(rs->resource);
        rs->resource->n_attributes = (size_t)n_res;
        rs->resource->attributes = kvs((size_t)n_res, ap);
    }
    ss->n_spans = n_spans;
    ss->spans = pool_alloc((n_spans + 1) * sizeof(span_pb *));
    for (size_t i = 0; i < n_spans; i++)
        ss->spans[i] = va_arg(ap, span_pb *);
    va_end(ap);
    rs->n_scope_spans = 1;
    rs->scope_spans = pool_alloc(sizeof(*rs->scope_spans));
    rs->scope_spans[0] = ss;
    return rs;
}

/* Packs a request of n ResourceSpans; the buffer is pool-owned. */
static inline uint8_t *pack(size_t *len, size_t n, ...)
{
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest req =
        OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_REQUEST__INIT;
    va_list ap;
    uint8_t *buf;

    req.n_resource_spans = n;
    req.resource_spans = pool_alloc((n + 1) * sizeof(resource_spans_pb *));
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        req.resource_spans[i] = va_arg(ap, resource_spans_pb *);
    va_end(ap);
    *len =
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(
            &req);
    buf = pool_alloc(*len + 1);
    assert_int_equal(
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(
            &req, buf),
        *len);
    return buf;
}

#endif /* DP_TEST_OTLP_PB_REQUEST_H */
