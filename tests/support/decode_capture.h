/*
 * decode_capture.h - shared by the decoder tests (test_otlp_json.c,
 * test_otlp_proto.c, test_otlp_decode_nul.c, test_trace_file.c): a
 * capturing span sink that turns each delivered dp_span_in into one
 * canonical line of text, the error collector, and the expected text of
 * the shared fixture trace. Static functions only: each test file is its
 * own executable.
 */
#ifndef DP_TEST_DECODE_CAPTURE_H
#define DP_TEST_DECODE_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "otlp_decode.h"

/* ---- capturing sink: each span becomes one canonical line of text ------ */
/* T=trace S=span P=parent|- N='name' t=start..end st=status A={k=v;...}     */
/* R={resource attrs} L={trace/span;...}; values: s'str' iN dN btrue none a[] */

#define CAP_MAX 1024

typedef struct capture {
    char *spans[CAP_MAX]; /* the first CAP_MAX spans */
    size_t n;
    size_t seen; /* all spans accepted */
    char *msgs[CAP_MAX];
    size_t n_msgs;
} capture;

static void app(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < cap - *off);
    *off += (size_t)n;
}

static void app_bytes(char *buf, size_t cap, size_t *off, const char *s,
                      size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0')
            app(buf, cap, off, "\\0");
        else
            app(buf, cap, off, "%c", s[i]);
    }
}

static void value_text(char *buf, size_t cap, size_t *off, const dp_value *v,
                       int depth)
{
    switch (v->type) {
    case DP_VAL_STR:
        app(buf, cap, off, "s'");
        app_bytes(buf, cap, off, v->u.str.ptr, v->u.str.len);
        app(buf, cap, off, "'");
        break;
    case DP_VAL_INT:
        app(buf, cap, off, "i%lld", (long long)v->u.i);
        break;
    case DP_VAL_DOUBLE:
        app(buf, cap, off, "d%.17g", v->u.d);
        break;
    case DP_VAL_BOOL:
        app(buf, cap, off, "b%s", v->u.b ? "true" : "false");
        break;
    case DP_VAL_ARRAY:
        assert_int_equal(depth, 0); /* items are never arrays */
        assert_true(v->u.arr.n == 0 || v->u.arr.items != NULL);
        app(buf, cap, off, "a[");
        for (size_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                app(buf, cap, off, ",");
            value_text(buf, cap, off, &v->u.arr.items[i], depth + 1);
        }
        app(buf, cap, off, "]");
        break;
    default:
        assert_int_equal(v->type, DP_VAL_NONE);
        app(buf, cap, off, "none");
    }
}

static void attrs_text(char *buf, size_t cap, size_t *off, const dp_attr *a,
                       size_t n)
{
    assert_true(n == 0 || a != NULL);
    app(buf, cap, off, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            app(buf, cap, off, ";");
        app_bytes(buf, cap, off, a[i].key, a[i].key_len);
        app(buf, cap, off, "=");
        value_text(buf, cap, off, &a[i].value, 0);
    }
    app(buf, cap, off, "}");
}

static char *span_text(const dp_span_in *s)
{
    char buf[16384], hex[33];
    size_t off = 0;

    dp_hex_encode(s->trace_id, 16, hex);
    app(buf, sizeof(buf), &off, "T=%s", hex);
    dp_hex_encode(s->span_id, 8, hex);
    app(buf, sizeof(buf), &off, " S=%s", hex);
    dp_hex_encode(s->parent_span_id, 8, hex);
    app(buf, sizeof(buf), &off, " P=%s", s->has_parent ? hex : "-");
    app(buf, sizeof(buf), &off, " N='");
    app_bytes(buf, sizeof(buf), &off, s->name, s->name_len);
    app(buf, sizeof(buf), &off,
        "' t=%llu..%llu st=%d A=", (unsigned long long)s->start_ns,
        (unsigned long long)s->end_ns, s->status_code);
    attrs_text(buf, sizeof(buf), &off, s->attrs, s->n_attrs);
    app(buf, sizeof(buf), &off, " R=");
    attrs_text(buf, sizeof(buf), &off, s->resource_attrs, s->n_resource_attrs);
    app(buf, sizeof(buf), &off, " L={");
    assert_true(s->n_links == 0 || s->links != NULL);
    for (size_t i = 0; i < s->n_links; i++) {
        if (i)
            app(buf, sizeof(buf), &off, ";");
        dp_hex_encode(s->links[i].trace_id, 16, hex);
        app(buf, sizeof(buf), &off, "%s/", hex);
        dp_hex_encode(s->links[i].span_id, 8, hex);
        app(buf, sizeof(buf), &off, "%s", hex);
    }
    app(buf, sizeof(buf), &off, "}");
    return strdup(buf);
}

/* Like dp_processor_add_span: a span that ends before it starts is refused. */
static int capture_sink(void *user, const dp_span_in *s)
{
    capture *c = user;

    if (s->end_ns < s->start_ns)
        return DP_EBADSPAN;
    if (c->n < CAP_MAX)
        c->spans[c->n++] = span_text(s);
    c->seen++;
    return 0;
}

static void capture_error(void *user, const char *msg)
{
    capture *c = user;

    assert_true(c->n_msgs < CAP_MAX);
    c->msgs[c->n_msgs++] = strdup(msg);
}

static void capture_reset(capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->spans[i]);
    for (size_t i = 0; i < c->n_msgs; i++)
        free(c->msgs[i]);
    c->n = c->n_msgs = c->seen = 0;
}

static void ctx_init(dp_decode_ctx *ctx, capture *c, const char *where)
{
    memset(ctx, 0, sizeof(*ctx));
    memset(c, 0, sizeof(*c));
    ctx->sink = capture_sink;
    ctx->sink_user = c;
    ctx->on_error = capture_error;
    ctx->error_user = c;
    ctx->where = where;
}

/* The fixture trace of tests/data/decode/ (make_fixtures.py, lines.json). */
#define FIX_T "T=5b8efff798038103d269b633813fc60c"
#define FIX_R                                                                  \
    " R={service.name=s'review-agent';dag.id=s'code-review';host.cpus=i8}"
static const char *const fix_spans[3] = {
    FIX_T " S=eee19b7ec3c1b174 P=- N='code-review'"
          " t=1700000000000000000..1700000010000000000 st=1 A={}" FIX_R " L={}",
    FIX_T " S=0102030405060708 P=eee19b7ec3c1b174 N='fetch-code'"
          " t=1700000000100000000..1700000002000000000 st=0"
          " A={dag.node.id=s'fetch-code';gen_ai.usage.input_tokens=i1200;"
          "gen_ai.request.temperature=d0.25;cache.hit=bfalse;"
          "dag.node.depends_on=a[]}" FIX_R " L={}",
    FIX_T " S=a0b0c0d0e0f00a0b P=eee19b7ec3c1b174 N='analyse-\xc3\xbc'"
          " t=1700000002000000000..1700000009500000000 st=2"
          " A={dag.node.id=s'analyze';"
          "dag.node.depends_on=a[s'fetch-code',i7,none];"
          "gen_ai.usage.output_tokens=i-5;meta=none}" FIX_R
          " L={5b8efff798038103d269b633813fc60c/0102030405060708}"};
/* ------------------------------------------------------------------------ */

#endif /* DP_TEST_DECODE_CAPTURE_H */
