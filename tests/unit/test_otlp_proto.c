/*
 * test_otlp_proto.c - unit tests for tests/reference/otlp_proto_ref.c: protobuf
 * ExportTraceServiceRequests are built with the protobuf-c generated structs,
 * packed, decoded into a capturing sink, and every dp_span_in field is
 * compared with hand-written text; bad ids, sink rejections, truncated and
 * corrupted input give the messages and codes of otlp_decode.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_ref.h"

#include "decode_capture.h"
#include "hex.h"
#include "otlp_json.h"
#include "otlp_wire_diff.h"

/* ---- building requests with the generated structs ---------------------- */

typedef Opentelemetry__Proto__Common__V1__AnyValue any_value;
typedef Opentelemetry__Proto__Common__V1__KeyValue key_value;
typedef Opentelemetry__Proto__Trace__V1__Span span_pb;
typedef Opentelemetry__Proto__Trace__V1__Span__Link link_pb;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans resource_spans_pb;

static void *pool[65536];
static size_t n_pool;

static void *pool_alloc(size_t n)
{
    void *p = calloc(1, n);
    assert_non_null(p);
    assert_true(n_pool < sizeof(pool) / sizeof(pool[0]));
    pool[n_pool++] = p;
    return p;
}

static void pool_free(void)
{
    while (n_pool)
        free(pool[--n_pool]);
}

static ProtobufCBinaryData hexb(const char *hex)
{
    ProtobufCBinaryData b;

    b.len = strlen(hex) / 2;
    b.data = pool_alloc(b.len + 1);
    assert_int_equal(dp_hex_decode(hex, 2 * b.len, b.data, b.len), 0);
    return b;
}

static any_value *av(int kase)
{
    any_value *v = pool_alloc(sizeof(*v));
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = kase;
    return v;
}

static any_value *av_str(const char *s)
{
    any_value *v =
        av(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE);
    v->string_value = (char *)s;
    return v;
}

static any_value *av_int(int64_t i)
{
    any_value *v =
        av(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE);
    v->int_value = i;
    return v;
}

static any_value *av_double(double d)
{
    any_value *v =
        av(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE);
    v->double_value = d;
    return v;
}

static any_value *av_bool(int b)
{
    any_value *v =
        av(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE);
    v->bool_value = b;
    return v;
}

static any_value *av_bytes(const char *hex)
{
    any_value *v =
        av(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE);
    v->bytes_value = hexb(hex);
    return v;
}

static key_value *kv(const char *key, any_value *value)
{
    key_value *k = pool_alloc(sizeof(*k));
    opentelemetry__proto__common__v1__key_value__init(k);
    k->key = (char *)key;
    k->value = value;
    return k;
}

/* An array of n items given as any_value pointers. */
static any_value *av_array(size_t n, ...)
{
    any_value *v =
        av(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE);
    va_list ap;

    v->array_value = pool_alloc(sizeof(*v->array_value));
    opentelemetry__proto__common__v1__array_value__init(v->array_value);
    v->array_value->n_values = n;
    v->array_value->values = pool_alloc((n + 1) * sizeof(any_value *));
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        v->array_value->values[i] = va_arg(ap, any_value *);
    va_end(ap);
    return v;
}

static any_value *av_kvlist(key_value *item)
{
    any_value *v =
        av(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE);
    v->kvlist_value = pool_alloc(sizeof(*v->kvlist_value));
    opentelemetry__proto__common__v1__key_value_list__init(v->kvlist_value);
    v->kvlist_value->n_values = 1;
    v->kvlist_value->values = pool_alloc(sizeof(key_value *));
    v->kvlist_value->values[0] = item;
    return v;
}

static key_value **kvs(size_t n, va_list ap)
{
    key_value **out = pool_alloc((n + 1) * sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = va_arg(ap, key_value *);
    return out;
}

/* A span; parent "" means none. Ids are hex of any length. */
static span_pb *mk_span(const char *trace, const char *id, const char *parent,
                        const char *name, uint64_t start, uint64_t end)
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

static void span_attrs(span_pb *s, size_t n, ...)
{
    va_list ap;

    va_start(ap, n);
    s->attributes = kvs(n, ap);
    s->n_attributes = n;
    va_end(ap);
}

static void span_link(span_pb *s, const char *trace, const char *id)
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

static void span_status(span_pb *s, int code)
{
    s->status = pool_alloc(sizeof(*s->status));
    opentelemetry__proto__trace__v1__status__init(s->status);
    s->status->code = code;
    s->status->message = (char *)"";
}

/* ResourceSpans with n_res resource attributes (KeyValue *) followed by
 * n_spans spans (span_pb *); n_res < 0: no Resource message at all. */
static resource_spans_pb *mk_rs(int n_res, size_t n_spans, ...)
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
static uint8_t *pack(size_t *len, size_t n, ...)
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

#define TRACE "5b8efff798038103d269b633813fc60c"

/* The fixture trace (see capture block) as one request of two resources. */
static uint8_t *fixture_request(size_t *len)
{
    span_pb *s1 = mk_span(TRACE, "eee19b7ec3c1b174", "", "code-review",
                          1700000000000000000ULL, 1700000010000000000ULL);
    span_pb *s2 =
        mk_span(TRACE, "0102030405060708", "eee19b7ec3c1b174", "fetch-code",
                1700000000100000000ULL, 1700000002000000000ULL);
    span_pb *s3 = mk_span(TRACE, "a0b0c0d0e0f00a0b", "eee19b7ec3c1b174",
                          "analyse-\xc3\xbc", 1700000002000000000ULL,
                          1700000009500000000ULL);

    span_status(s1, 1);
    span_attrs(s2, 5, kv("dag.node.id", av_str("fetch-code")),
               kv("gen_ai.usage.input_tokens", av_int(1200)),
               kv("gen_ai.request.temperature", av_double(0.25)),
               kv("cache.hit", av_bool(0)),
               kv("dag.node.depends_on", av_array(0)));
    span_attrs(
        s3, 4, kv("dag.node.id", av_str("analyze")),
        kv("dag.node.depends_on", av_array(3, av_str("fetch-code"), av_int(7),
                                           av_array(1, av_int(1)))),
        kv("gen_ai.usage.output_tokens", av_int(-5)),
        kv("meta", av_kvlist(kv("a", av_str("b")))));
    span_link(s3, TRACE, "0102030405060708");
    span_link(s3, TRACE, "01020304"); /* wrong length: dropped */
    span_status(s3, 2);
    return pack(len, 2,
                mk_rs(3, 2, kv("service.name", av_str("review-agent")),
                      kv("dag.id", av_str("code-review")),
                      kv("host.cpus", av_int(8)), s1, s2),
                mk_rs(3, 1, kv("service.name", av_str("review-agent")),
                      kv("dag.id", av_str("code-review")),
                      kv("host.cpus", av_int(8)), s3));
}

/* ---- tests -------------------------------------------------------------- */

static void test_otlp_proto_decodes_every_field(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, "req");
    buf = fixture_request(&len);
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(c.spans[i], fix_spans[i]);
    assert_int_equal(c.n_msgs, 0);
    assert_int_equal(ctx.spans_accepted, 3);
    assert_int_equal(ctx.spans_rejected, 0);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_values_of_every_kind(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    span_pb *s = mk_span(TRACE, "00000000000000ff", "", "kinds", 5, 5);
    (void)state;

    ctx_init(&ctx, &c, NULL);
    span_attrs(
        s, 9, kv("s", av_str("")), kv("max", av_int(INT64_MAX)),
        kv("min", av_int(INT64_MIN)), kv("neg", av_double(-1.5e-300)),
        kv("t", av_bool(1)), kv("bytes", av_bytes("00ff")), kv("unset", av(0)),
        kv("nothing", NULL),
        kv("mixed", av_array(4, av_bool(1), av_double(2.5), av_bytes("01"),
                             av_kvlist(kv("k", av_int(1))))));
    s->kind =
        OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_CLIENT;
    s->flags = 0x301;
    buf = pack(&len, 1, mk_rs(-1, 1, s));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(
        c.spans[0],
        "T=" TRACE " S=00000000000000ff P=- N='kinds' t=5..5 st=0"
        " A={s=s'';max=i9223372036854775807;min=i-9223372036854775808;"
        "neg=d-1.5000000000000001e-300;t=btrue;bytes=none;unset=none;"
        "nothing=none;mixed=a[btrue,d2.5,none,none]} R={} L={}");
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_rejects_wrong_length_ids(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, "batch.pb");
    buf = pack(
        &len, 1,
        mk_rs(0, 5, mk_span(TRACE, "1000000000000001", "", "good-1", 1, 2),
              mk_span("5b8efff798038103d269b633813fc6", "1000000000000002", "",
                      "short-trace", 1, 2),
              mk_span(TRACE, "10000002", "", "short-span", 1, 2),
              mk_span(TRACE, "1000000000000004", "aabbcc", "odd-parent", 1, 2),
              mk_span(TRACE, "1000000000000005", "1000000000000001", "good-5",
                      3, 4)));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.spans[0], "T=" TRACE " S=1000000000000001 P=- "
                                    "N='good-1' t=1..2 st=0 A={} R={} L={}");
    assert_string_equal(c.spans[1],
                        "T=" TRACE " S=1000000000000005 P=1000000000000001 "
                        "N='good-5' t=3..4 st=0 A={} R={} L={}");
    assert_int_equal(c.n_msgs, 3);
    assert_string_equal(c.msgs[0], "batch.pb: span short-trace "
                                   "(1000000000000002): trace id is 15 bytes, "
                                   "want 16");
    assert_string_equal(c.msgs[1], "batch.pb: span short-span (10000002): "
                                   "span id is 4 bytes, want 8");
    assert_string_equal(c.msgs[2], "batch.pb: span odd-parent "
                                   "(1000000000000004): parent span id is 3 "
                                   "bytes, want 8 or none");
    assert_int_equal(ctx.spans_accepted, 2);
    assert_int_equal(ctx.spans_rejected, 3);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_rejects_zero_ids(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, "z");
    buf = pack(&len, 1,
               mk_rs(0, 4,
                     mk_span("00000000000000000000000000000000",
                             "1000000000000001", "", "zero-trace", 1, 2),
                     mk_span(TRACE, "0000000000000000", "", "zero-span", 1, 2),
                     mk_span(TRACE, "", "", "", 1, 2),
                     mk_span(TRACE, "1000000000000004", "0000000000000000",
                             "zero-parent", 1, 2)));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 1);
    /* An all-zero parent is no parent: the span is a root. */
    assert_string_equal(c.spans[0], "T=" TRACE " S=1000000000000004 P=- "
                                    "N='zero-parent' t=1..2 st=0 A={} R={} "
                                    "L={}");
    assert_int_equal(c.n_msgs, 3);
    assert_string_equal(c.msgs[0], "z: span zero-trace (1000000000000001): "
                                   "trace id is all zeros");
    assert_string_equal(c.msgs[1], "z: span zero-span (0000000000000000): "
                                   "span id is all zeros");
    assert_string_equal(c.msgs[2], "z: span <unnamed> (no span id): span id "
                                   "is 0 bytes, want 8");
    assert_int_equal(ctx.spans_rejected, 3);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_names_sink_rejections(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    char name[301];
    (void)state;

    memset(name, 'n', 300);
    name[300] = '\0';
    name[1] = '\n'; /* control bytes never reach a terminal */
    ctx_init(&ctx, &c, NULL);
    buf = pack(
        &len, 1,
        mk_rs(0, 3, mk_span(TRACE, "1000000000000001", "", "backwards", 20, 10),
              mk_span(TRACE, "1000000000000002", "", name, 20, 10),
              mk_span(TRACE, "1000000000000003", "", "fine", 10, 10)));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.n_msgs, 2);
    assert_string_equal(c.msgs[0], "span backwards (1000000000000001): span "
                                   "ends before it starts");
    /* Names are cut to 128 bytes plus "..." in messages. */
    assert_int_equal(strncmp(c.msgs[1], "span n?nnn", 10), 0);
    assert_non_null(strstr(c.msgs[1], "nnn... (1000000000000002): span ends "
                                      "before it starts"));
    assert_int_equal(strlen(c.msgs[1]),
                     strlen("span  (1000000000000002): span ends before it "
                            "starts") +
                         128 + 3);
    assert_int_equal(ctx.spans_accepted, 1);
    assert_int_equal(ctx.spans_rejected, 2);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_truncated_is_parse_error(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    char want[128];
    (void)state;

    buf = fixture_request(&len);
    /* Two top-level fields: only the cut between them leaves a valid
     * message (the first resource's two spans). */
    for (size_t cut = 1; cut < len; cut++) {
        int rc;

        ctx_init(&ctx, &c, "cut");
        rc = dp_ref_otlp_proto_decode(&ctx, buf, cut);
        if (c.n == 2) {
            assert_int_equal(rc, 0);
            assert_int_equal(c.n_msgs, 0);
        } else {
            assert_int_equal(rc, DP_EPARSE);
            assert_int_equal(c.n, 0);
            assert_int_equal(c.n_msgs, 1);
            snprintf(want, sizeof(want),
                     "cut: malformed protobuf ExportTraceServiceRequest (%zu "
                     "bytes)",
                     cut);
            assert_string_equal(c.msgs[0], want);
            assert_int_equal(ctx.spans_accepted + ctx.spans_rejected, 0);
        }
        capture_reset(&c);
    }
    pool_free();
}

static void test_otlp_proto_empty_request_delivers_nothing(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, NULL, 0), 0);
    buf = pack(&len, 1, mk_rs(-1, 0));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n + c.n_msgs, 0);
    ctx.sink = NULL;
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), DP_EINVAL);
    pool_free();
}

/* 300 spans whose attribute and array counts vary make the scratch arrays
 * grow and shrink back; every span must still see only its own values. */
static void test_otlp_proto_reuses_scratch_across_spans(void **state)
{
    enum { N = 300 };
    dp_decode_ctx ctx;
    capture c;
    span_pb *spans[N];
    resource_spans_pb *rs;
    size_t len;
    uint8_t *buf;
    char id[17], want[4096];
    (void)state;

    ctx_init(&ctx, &c, NULL);
    for (size_t i = 0; i < N; i++) {
        size_t na = (i * 7) % 11, off = 0;
        key_value **a = pool_alloc((na + 1) * sizeof(*a));

        snprintf(id, sizeof(id), "%016zx", i + 1);
        spans[i] =
            mk_span(TRACE, strcpy(pool_alloc(17), id), "", "s", i, i + 1);
        off += (size_t)snprintf(
            want + off, sizeof(want) - off,
            "T=" TRACE " S=%s P=- N='s' t=%zu..%zu st=0 A={", id, i, i + 1);
        for (size_t j = 0; j < na; j++) {
            size_t items = (i + j) % 4;
            any_value *arr = av_array(0);
            arr->array_value->n_values = items;
            arr->array_value->values =
                pool_alloc((items + 1) * sizeof(any_value *));
            for (size_t k = 0; k < items; k++)
                arr->array_value->values[k] =
                    av_int((int64_t)(i * 100 + j * 10 + k));
            a[j] = kv("k", j % 2 ? arr : av_int((int64_t)j));
            off += (size_t)snprintf(want + off, sizeof(want) - off,
                                    "%sk=", j ? ";" : "");
            if (j % 2) {
                off += (size_t)snprintf(want + off, sizeof(want) - off, "a[");
                for (size_t k = 0; k < items; k++)
                    off += (size_t)snprintf(want + off, sizeof(want) - off,
                                            "%si%zu", k ? "," : "",
                                            i * 100 + j * 10 + k);
                off += (size_t)snprintf(want + off, sizeof(want) - off, "]");
            } else {
                off +=
                    (size_t)snprintf(want + off, sizeof(want) - off, "i%zu", j);
            }
        }
        spans[i]->attributes = a;
        spans[i]->n_attributes = na;
        snprintf(want + off, sizeof(want) - off, "} R={} L={}");
        spans[i]->trace_state = strcpy(pool_alloc(strlen(want) + 1), want);
    }
    rs = mk_rs(0, 0);
    rs->scope_spans[0]->spans = spans;
    rs->scope_spans[0]->n_spans = N;
    buf = pack(&len, 1, rs);
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, N);
    for (size_t i = 0; i < N; i++)
        assert_string_equal(c.spans[i], spans[i]->trace_state);
    capture_reset(&c);
    pool_free();
}

/* Flipped bits, cut tails and random bytes: never a crash, always 0 or
 * DP_EPARSE, and DP_EPARSE delivers nothing. Run under ASan in CI. */
static void test_otlp_proto_survives_corrupted_input(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf, *copy;
    uint32_t seed = 12345;
    (void)state;

    buf = fixture_request(&len);
    copy = pool_alloc(len + 64);
    for (int round = 0; round < 4000; round++) {
        size_t n = len;
        int rc;

        memcpy(copy, buf, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % len] ^= (uint8_t)(1u << ((seed >> 4) % 8));
        }
        if (round % 3 == 0) {
            seed = seed * 1103515245u + 12345u;
            n = (seed >> 8) % (len + 1);
        }
        if (round % 50 == 0) {
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                copy[i] = (uint8_t)(seed >> 16);
            }
        }
        ctx_init(&ctx, &c, "fuzz");
        rc = dp_ref_otlp_proto_decode(&ctx, copy, n);
        assert_true(rc == 0 || rc == DP_EPARSE);
        if (rc == DP_EPARSE)
            assert_int_equal(c.n, 0);
        assert_int_equal(ctx.spans_accepted, c.n);
        capture_reset(&c);
    }
    pool_free();
}

/* ---- NUL bytes in identifiers (dp__decode_deliver), every decoder ------ */

/* The four decoders on one request: the protobuf pair on bytes built by
 * hand (protobuf-c's pack cannot put a NUL inside a string), the JSON pair
 * on the same request as text. */
enum { DEC_PROTO, DEC_WIRE, DEC_JSON, DEC_JSON_SCAN, DEC__COUNT };
static const char *const dec_names[] = {"proto", "wire", "json", "json_scan"};

static int decode_with(int which, dp_decode_ctx *ctx, const wd_buf *pb,
                       const char *json)
{
    switch (which) {
    case DEC_PROTO:
        return dp_ref_otlp_proto_decode(ctx, pb->p, pb->len);
    case DEC_WIRE:
        return dp_otlp_wire_decode(ctx, pb->p, pb->len);
    case DEC_JSON:
        return dp_ref_otlp_json_decode(ctx, json, strlen(json));
    default:
        return dp_otlp_json_scan(ctx, json, strlen(json));
    }
}

/* AnyValue{string_value = v[0..n)} */
static void any_str(wd_buf *any, const char *v, size_t n)
{
    wd_lenf(NULL, any, 1, v, n);
}

/* KeyValue{key, value} appended as field `field` of out. */
static void put_kv(wd_buf *out, uint32_t field, const char *key, size_t key_len,
                   const wd_buf *any)
{
    wd_buf kv = {0};
    wd_lenf(NULL, &kv, 1, key, key_len);
    wd_lenf(NULL, &kv, 2, any->p, any->len);
    wd_lenf(NULL, out, field, kv.p, kv.len);
    wd_free(&kv);
}

/* One request: resource attribute rkey = rval (when rkey), then spans 1
 * and 2 named name1/name2, each with attribute key = its value (when key;
 * as a one-item array when array). Values are (pointer, length): they may
 * hold NUL bytes. Writes protobuf into pb and OTLP/JSON into json. */
typedef struct nul_case {
    const char *what;
    const char *rkey;
    const char *key;
    size_t key_len; /* 0: strlen(key) */
    bool array;
    const char *v1, *v2; /* attribute (or resource) values, 3 bytes */
    const char *name1, *name2;
    int accepted;        /* spans accepted out of 2 */
    const char *message; /* in every rejection message */
} nul_case;

static void json_escaped(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 7 < cap; i++)
        o += (size_t)(s[i] ? snprintf(out + o, cap - o, "%c", s[i])
                           : snprintf(out + o, cap - o, "\\u0000"));
    out[o] = '\0';
}

static void build_nul_case(const nul_case *t, wd_buf *pb, char *json,
                           size_t cap)
{
    static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5};
    wd_buf ss = {0}, rs = {0}, res = {0};
    char js[2][512], v[64] = "", n[64], k[64] = "";
    size_t klen = t->key ? (t->key_len ? t->key_len : strlen(t->key)) : 0;
    if (t->key)
        json_escaped(k, sizeof(k), t->key, klen);
    for (int i = 0; i < 2; i++) {
        uint8_t sid[8] = {0, 0, 0, 0, 0, 0, 0, (uint8_t)(i + 1)};
        const char *name = i ? t->name2 : t->name1;
        const char *val = i ? t->v2 : t->v1;
        wd_buf span = {0}, any = {0};
        wd_lenf(NULL, &span, 1, tid, 16);
        wd_lenf(NULL, &span, 2, sid, 8);
        wd_lenf(NULL, &span, 5, name, 3);
        wd_fixf(NULL, &span, 7, 1, 8);
        wd_fixf(NULL, &span, 8, 2, 8);
        if (t->key) {
            any_str(&any, val, 3);
            if (t->array) {
                wd_buf arr = {0}, outer = {0};
                wd_lenf(NULL, &arr, 1, any.p, any.len);
                wd_lenf(NULL, &outer, 5, arr.p, arr.len);
                wd_free(&any);
                any = outer;
                wd_free(&arr);
            }
            put_kv(&span, 9, t->key, klen, &any);
        }
        wd_lenf(NULL, &ss, 2, span.p, span.len);
        wd_free(&span);
        wd_free(&any);
        if (val)
            json_escaped(v, sizeof(v), val, 3);
        json_escaped(n, sizeof(n), name, 3);
        char attr[256] = "";
        if (t->key)
            snprintf(
                attr, sizeof(attr),
                ",\"attributes\":[{\"key\":\"%s\",\"value\":%s%s\"%s\"}%s}]", k,
                t->array ? "{\"arrayValue\":{\"values\":[" : "",
                "{\"stringValue\":", v, t->array ? "]}}" : "");
        snprintf(js[i], sizeof(js[i]),
                 "{\"traceId\":\"0102030405060708090102030405%s\",\"spanId\":"
                 "\"000000000000000%d\",\"name\":\"%s\",\"startTimeUnixNano\":"
                 "\"1\",\"endTimeUnixNano\":\"2\"%s}",
                 "0000", i + 1, n, attr);
    }
    char rattr[256] = "";
    if (t->rkey) {
        wd_buf any = {0}, resource = {0};
        any_str(&any, t->v1, 3);
        put_kv(&resource, 1, t->rkey, strlen(t->rkey), &any);
        wd_lenf(NULL, &rs, 1, resource.p, resource.len);
        wd_free(&any);
        wd_free(&resource);
        json_escaped(v, sizeof(v), t->v1, 3);
        snprintf(rattr, sizeof(rattr),
                 "\"resource\":{\"attributes\":[{\"key\":\"%s\",\"value\":{"
                 "\"stringValue\":\"%s\"}}]},",
                 t->rkey, v);
    }
    wd_lenf(NULL, &rs, 2, ss.p, ss.len);
    wd_lenf(NULL, pb, 1, rs.p, rs.len);
    snprintf(json, cap,
             "{\"resourceSpans\":[{%s\"scopeSpans\":[{\"spans\":[%s,%s]}]}]}",
             rattr, js[0], js[1]);
    wd_free(&ss);
    wd_free(&rs);
    wd_free(&res);
}

static void test_otlp_proto_nul_in_identifiers_rejects_span(void **state)
{
    (void)state;
    static const nul_case cases[] = {
        {"dag.node.id", NULL, "dag.node.id", 0, false, "a\0b", "a\0c", "one",
         "two", 0, "dag.node.id holds a NUL byte"},
        {"graph.node.id", NULL, "graph.node.id", 0, false, "a\0b", "a\0c",
         "one", "two", 0, "graph.node.id holds a NUL byte"},
        {"graph.node.parent_id", NULL, "graph.node.parent_id", 0, false, "a\0b",
         "a\0c", "one", "two", 0, "graph.node.parent_id holds a NUL byte"},
        {"dag.id", NULL, "dag.id", 0, false, "a\0b", "a\0c", "one", "two", 0,
         "dag.id holds a NUL byte"},
        {"depends_on item", NULL, "dag.node.depends_on", 0, true, "a\0b",
         "a\0c", "one", "two", 0, "dag.node.depends_on holds a NUL byte"},
        {"traceloop.entity.name", NULL, "traceloop.entity.name", 0, false,
         "a\0b", "a\0c", "one", "two", 0,
         "traceloop.entity.name holds a NUL byte"},
        {"gen_ai.agent.name", NULL, "gen_ai.agent.name", 0, false, "a\0b",
         "a\0c", "one", "two", 0, "gen_ai.agent.name holds a NUL byte"},
        {"metadata", NULL, "metadata", 0, false, "{\0}", "{\0}", "one", "two",
         0, "metadata holds a NUL byte"},
        {"span name", NULL, NULL, 0, false, NULL, NULL, "a\0b", "a\0c", 0,
         "the span name holds a NUL byte"},
        {"resource dag.id", "dag.id", NULL, 0, false, "a\0b", "a\0c", "one",
         "two", 0, "dag.id holds a NUL byte"},
        /* Not identifiers: the NUL is kept and the span taken. */
        {"model name", NULL, "gen_ai.request.model", 0, false, "a\0b", "a\0c",
         "one", "two", 2, NULL},
        {"resource graph.node.id (read on spans only)", "graph.node.id", NULL,
         0, false, "a\0b", "a\0c", "one", "two", 2, NULL},
        /* A NUL in the key: another key, not dag.node.id. */
        {"key with NUL", NULL, "dag.node.id\0x", 13, false, "a\0b", "a\0c",
         "one", "two", 2, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const nul_case *t = &cases[i];
        wd_buf pb = {0};
        char json[2048];
        build_nul_case(t, &pb, json, sizeof(json));
        for (int d = 0; d < DEC__COUNT; d++) {
            dp_decode_ctx ctx;
            capture c;
            ctx_init(&ctx, &c, "r");
            int rc = decode_with(d, &ctx, &pb, json);
            if (rc != 0 || (int)c.n != t->accepted ||
                ctx.spans_rejected != (uint64_t)(2 - t->accepted))
                fail_msg("%s, %s decoder: rc %d, %zu accepted, %llu "
                         "rejected, first message: %s",
                         t->what, dec_names[d], rc, c.n,
                         (unsigned long long)ctx.spans_rejected,
                         c.n_msgs ? c.msgs[0] : "none");
            for (size_t m = 0; t->message && m < c.n_msgs; m++)
                if (!strstr(c.msgs[m], t->message))
                    fail_msg("%s, %s decoder: message \"%s\"", t->what,
                             dec_names[d], c.msgs[m]);
            /* Accepted spans keep the NUL byte of the value. */
            if (t->accepted && t->key && strcmp(t->key, "dag.node.id") != 0)
                assert_non_null(strstr(c.spans[0], "s'a\\0b'"));
            capture_reset(&c);
        }
        wd_free(&pb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_proto_decodes_every_field),
        cmocka_unit_test(test_otlp_proto_values_of_every_kind),
        cmocka_unit_test(test_otlp_proto_rejects_wrong_length_ids),
        cmocka_unit_test(test_otlp_proto_rejects_zero_ids),
        cmocka_unit_test(test_otlp_proto_names_sink_rejections),
        cmocka_unit_test(test_otlp_proto_truncated_is_parse_error),
        cmocka_unit_test(test_otlp_proto_empty_request_delivers_nothing),
        cmocka_unit_test(test_otlp_proto_reuses_scratch_across_spans),
        cmocka_unit_test(test_otlp_proto_survives_corrupted_input),
        cmocka_unit_test(test_otlp_proto_nul_in_identifiers_rejects_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
