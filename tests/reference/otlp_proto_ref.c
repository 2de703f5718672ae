/*
 * tests/reference/otlp_proto_ref.c - decodes a protobuf
 * ExportTraceServiceRequest into dp_span_in views for a dp_span_sink (see
 * otlp_decode.h), and holds the pieces every decoder shares: the scratch
 * arrays, id checks, span delivery and the wording of messages.
 *
 * Flow: a transport or trace_file.c passes one request body; protobuf-c's
 * generated unpack builds the message into a bump allocator owned by the
 * call (one free for the whole tree instead of one per sub-message); each
 * Span is checked and converted with views into that tree and growable
 * scratch arrays, then handed to the sink. span_from_pb() and
 * attrs_from_pb() take generated structs only, so a faster wire walker can
 * later replace unpack and keep the rest. Strings keep their full length,
 * NUL bytes included (pb_strlen), as in the other decoders; the shared
 * delivery (dp__decode_deliver) rejects a span whose identifiers hold one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_ref.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    pb_request;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans pb_resource_spans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans pb_scope_spans;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;
typedef Opentelemetry__Proto__Trace__V1__Span__Link pb_link;
typedef Opentelemetry__Proto__Common__V1__KeyValue pb_key_value;
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any_value;

/* ------------------------------------------------------------------------ */
void dp__decode_scratch_fini(dp__decode_scratch *s)
{
    if (!s)
        return;
    free(s->attrs);
    free(s->values);
    free(s->res_attrs);
    free(s->res_values);
    free(s->links);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------------ */
/* Bump allocator for protobuf-c: the unpacked tree is freed in one go.      */

struct bump_chunk {
    struct bump_chunk *next;
    size_t size, used;
    max_align_t data[];
};

struct bump {
    struct bump_chunk *head;
    size_t next_size;
    bool failed; /* an allocation failed: unpack's NULL means ENOMEM */
};

#define BUMP_ALIGN 16
#define BUMP_MIN_CHUNK ((size_t)4096)
#define BUMP_MAX_CHUNK ((size_t)64 << 20)

static void bump_init(struct bump *b, size_t wire_len)
{
    /* The unpacked tree is usually a little larger than the wire bytes. */
    size_t guess = wire_len + wire_len / 2;

    b->head = NULL;
    b->failed = false;
    b->next_size = guess < BUMP_MIN_CHUNK   ? BUMP_MIN_CHUNK
                   : guess > BUMP_MAX_CHUNK ? BUMP_MAX_CHUNK
                                            : guess;
}

/* Each block is preceded by a BUMP_ALIGN-byte header holding its requested
 * size and that size xor BUMP_MAGIC, which pb_strlen() reads back. */
#define BUMP_MAGIC 0x9e3779b97f4a7c15ULL

static void *bump_alloc(void *data, size_t size)
{
    struct bump *b = data;
    struct bump_chunk *c = b->head;
    size_t want = size;
    uint64_t header[2];
    void *p;

    if (size > SIZE_MAX - 2 * BUMP_ALIGN - sizeof(struct bump_chunk)) {
        b->failed = true;
        return NULL;
    }
    size = BUMP_ALIGN + ((size + BUMP_ALIGN - 1) & ~(size_t)(BUMP_ALIGN - 1));
    if (!c || c->size - c->used < size) {
        size_t cs = size > b->next_size ? size : b->next_size;
        c = malloc(sizeof(*c) + cs);
        if (!c) {
            b->failed = true;
            return NULL;
        }
        c->size = cs;
        c->used = 0;
        c->next = b->head;
        b->head = c;
        if (b->next_size < BUMP_MAX_CHUNK)
            b->next_size *= 2;
    }
    p = (char *)c->data + c->used;
    c->used += size;
    header[0] = want;
    header[1] = want ^ BUMP_MAGIC;
    memcpy(p, header, sizeof(header));
    return (char *)p + BUMP_ALIGN;
}

/* The length of a string field of the unpacked tree, NUL bytes included.
 * protobuf-c keeps strings as C strings, but it allocates exactly length + 1
 * bytes for each one it unpacks (protobuf-c.c, parse_required_member), so
 * the size in the block's header gives the length strlen() would cut at a
 * NUL. Absent fields point at protobuf_c_empty_string; anything whose
 * header does not check out falls back to strlen(). O(1). */
static size_t pb_strlen(const char *s)
{
    uint64_t header[2];

    if (!s || s == protobuf_c_empty_string)
        return 0;
    memcpy(header, s - BUMP_ALIGN, sizeof(header));
    if ((header[0] ^ BUMP_MAGIC) != header[1] || header[0] == 0 ||
        s[header[0] - 1] != '\0')
        return strlen(s);
    return (size_t)header[0] - 1;
}

static void bump_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr; /* released with the whole bump */
}

static void bump_release(struct bump *b)
{
    while (b->head) {
        struct bump_chunk *next = b->head->next;
        free(b->head);
        b->head = next;
    }
}

/* ------------------------------------------------------------------------ */
/* Conversion from the generated structs.                                    */

static void scalar_from_pb(const pb_any_value *v, dp_value *out)
{
    memset(out, 0, sizeof(*out));
    if (!v)
        return;
    switch (v->value_case) {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
        out->type = DP_VAL_STR;
        out->u.str.ptr = v->string_value ? v->string_value : "";
        out->u.str.len = pb_strlen(v->string_value);
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
        out->type = DP_VAL_INT;
        out->u.i = v->int_value;
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
        out->type = DP_VAL_DOUBLE;
        out->u.d = v->double_value;
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
        out->type = DP_VAL_BOOL;
        out->u.b = v->bool_value != 0;
        break;
    default: /* nested array, kvlist, bytes, unset */
        break;
    }
}

static bool is_array(const pb_any_value *v)
{
    return v &&
           v->value_case ==
               OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE &&
           v->array_value;
}

/* Converts n KeyValues into (*attrs)[0..n) with array items in *values;
 * both arrays grow as needed. Views point into kv. Returns 0 or DP_ENOMEM.
 * Cost: O(n + array items). */
static int attrs_from_pb(pb_key_value *const *kv, size_t n, dp_attr **attrs,
                         size_t *attrs_cap, dp_value **values,
                         size_t *values_cap)
{
    size_t n_items = 0, used = 0;

    for (size_t i = 0; i < n; i++)
        if (kv[i] && is_array(kv[i]->value))
            n_items += kv[i]->value->array_value->n_values;
    if (dp__decode_reserve((void **)attrs, attrs_cap, n, sizeof(dp_attr)) ||
        dp__decode_reserve((void **)values, values_cap, n_items,
                           sizeof(dp_value)))
        return DP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        dp_attr *a = &(*attrs)[i];
        const pb_any_value *v = kv[i] ? kv[i]->value : NULL;

        a->key = kv[i] && kv[i]->key ? kv[i]->key : "";
        a->key_len = kv[i] ? pb_strlen(kv[i]->key) : 0;
        if (is_array(v)) {
            const Opentelemetry__Proto__Common__V1__ArrayValue *arr =
                v->array_value;
            dp_value *items = arr->n_values ? *values + used : NULL;

            for (size_t j = 0; j < arr->n_values; j++)
                scalar_from_pb(arr->values[j], &items[j]);
            memset(&a->value, 0, sizeof(a->value));
            a->value.type = DP_VAL_ARRAY;
            a->value.u.arr.items = arr->n_values ? items : NULL;
            a->value.u.arr.n = arr->n_values;
            used += arr->n_values;
        } else {
            scalar_from_pb(v, &a->value);
        }
    }
    return 0;
}

/* Writes the hex of an id of any length for messages (at most 32 bytes). */
static void id_text(const ProtobufCBinaryData *id, char *out /* 68 */)
{
    size_t n = id->len > 32 ? 32 : id->len;

    dp_hex_encode(id->data, n, out);
    if (id->len > n)
        strcpy(out + 2 * n, "...");
}

/* Checks and converts one Span, then delivers it. Returns 0 (the span was
 * accepted or rejected with a message) or DP_ENOMEM. */
static int span_from_pb(dp_decode_ctx *ctx, dp__decode_scratch *s,
                        const pb_span *sp, const dp_attr *res_attrs,
                        size_t n_res_attrs)
{
    dp_span_in in;
    const char *name = sp->name ? sp->name : "";
    size_t name_len = pb_strlen(sp->name), n_links = 0;
    char id[68];

    id_text(&sp->span_id, id);
    if (sp->trace_id.len != 16) {
        dp__decode_reject(ctx, name, name_len, id,
                          "trace id is %zu bytes, want 16", sp->trace_id.len);
        return 0;
    }
    if (sp->span_id.len != 8) {
        dp__decode_reject(ctx, name, name_len, id,
                          "span id is %zu bytes, want 8", sp->span_id.len);
        return 0;
    }
    if (sp->parent_span_id.len != 0 && sp->parent_span_id.len != 8) {
        dp__decode_reject(ctx, name, name_len, id,
                          "parent span id is %zu bytes, want 8 or none",
                          sp->parent_span_id.len);
        return 0;
    }
    memset(&in, 0, sizeof(in));
    memcpy(in.trace_id, sp->trace_id.data, 16);
    memcpy(in.span_id, sp->span_id.data, 8);
    if (sp->parent_span_id.len == 8) {
        memcpy(in.parent_span_id, sp->parent_span_id.data, 8);
        in.has_parent = true;
    }
    in.name = name;
    in.name_len = name_len;
    in.start_ns = sp->start_time_unix_nano;
    in.end_ns = sp->end_time_unix_nano;
    in.status_code = sp->status ? (int)sp->status->code : DP_STATUS_UNSET;

    if (attrs_from_pb(sp->attributes, sp->n_attributes, &s->attrs,
                      &s->attrs_cap, &s->values, &s->values_cap))
        return DP_ENOMEM;
    in.attrs = sp->n_attributes ? s->attrs : NULL;
    in.n_attrs = sp->n_attributes;
    in.resource_attrs = n_res_attrs ? res_attrs : NULL;
    in.n_resource_attrs = n_res_attrs;

    if (dp__decode_reserve((void **)&s->links, &s->links_cap, sp->n_links,
                           sizeof(dp_link_in)))
        return DP_ENOMEM;
    for (size_t i = 0; i < sp->n_links; i++) {
        const pb_link *l = sp->links[i];
        /* A link with a wrong-length id is dropped; the span stays. */
        if (!l || l->trace_id.len != 16 || l->span_id.len != 8)
            continue;
        memcpy(s->links[n_links].trace_id, l->trace_id.data, 16);
        memcpy(s->links[n_links].span_id, l->span_id.data, 8);
        n_links++;
    }
    in.links = n_links ? s->links : NULL;
    in.n_links = n_links;

    dp__decode_deliver(ctx, &in);
    return 0;
}

static int request_from_pb(dp_decode_ctx *ctx, const pb_request *req)
{
    dp__decode_scratch s;
    int rc = 0;

    memset(&s, 0, sizeof(s));
    for (size_t r = 0; r < req->n_resource_spans && rc == 0; r++) {
        const pb_resource_spans *rs = req->resource_spans[r];
        size_t n_res = 0;

        if (!rs)
            continue;
        if (rs->resource) {
            n_res = rs->resource->n_attributes;
            rc = attrs_from_pb(rs->resource->attributes, n_res, &s.res_attrs,
                               &s.res_attrs_cap, &s.res_values,
                               &s.res_values_cap);
        }
        for (size_t k = 0; k < rs->n_scope_spans && rc == 0; k++) {
            const pb_scope_spans *ss = rs->scope_spans[k];
            if (!ss)
                continue;
            for (size_t i = 0; i < ss->n_spans && rc == 0; i++)
                if (ss->spans[i])
                    rc =
                        span_from_pb(ctx, &s, ss->spans[i], s.res_attrs, n_res);
        }
    }
    dp__decode_scratch_fini(&s);
    return rc;
}

int dp_ref_otlp_proto_decode(dp_decode_ctx *ctx, const uint8_t *buf, size_t len)
{
    static const uint8_t empty[1];
    struct bump b;
    ProtobufCAllocator alloc;
    pb_request *req;
    int rc;

    if (!ctx || !ctx->sink || (!buf && len))
        return DP_EINVAL;
    bump_init(&b, len);
    alloc.alloc = bump_alloc;
    alloc.free = bump_free;
    alloc.allocator_data = &b;
    req =
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
            &alloc, len, buf ? buf : empty);
    if (!req) {
        bump_release(&b);
        if (b.failed) {
            dp__decode_error(ctx, "out of memory decoding a %zu-byte request",
                             len);
            return DP_ENOMEM;
        }
        dp__decode_error(ctx,
                         "malformed protobuf ExportTraceServiceRequest "
                         "(%zu bytes)",
                         len);
        return DP_EPARSE;
    }
    rc = request_from_pb(ctx, req);
    bump_release(&b); /* frees req and everything under it */
    if (rc == DP_ENOMEM)
        dp__decode_error(ctx, "out of memory decoding a %zu-byte request", len);
    return rc;
}
