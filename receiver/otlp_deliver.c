/*
 * otlp_deliver.c - what every OTLP decoder of the receiver shares (declared
 * in otlp_decode.h): the growable scratch arrays, the wording of messages
 * ("<where>: ..."), the rejection of one span, the final checks and
 * delivery of a decoded span to the sink; for the JSON decoders, the
 * messages of a request that is not the shape of one, 64-bit integers as
 * decimal strings and the base64 form of ids that some older OTLP/JSON
 * writers used.
 *
 * Used by the protobuf decoder (otlp_proto.c), the OTLP/JSON decoder
 * (otlp_json*.c), the trace-file reader (trace_file.c) and the reference
 * decoders of the tests (tests/reference/). Strings arrive at their full
 * length, NUL bytes included, so dp__decode_deliver sees every NUL byte in
 * an identifier and rejects that span.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "log.h"
#include "otlp_decode.h"

int dp__decode_reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
    size_t n;
    void *p;

    if (need <= *cap)
        return 0;
    n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return DP_ENOMEM;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return DP_ENOMEM;
    p = realloc(*arr, n * elem);
    if (!p)
        return DP_ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

static void emit(dp_decode_ctx *ctx, const char *msg)
{
    if (ctx->on_error)
        ctx->on_error(ctx->error_user, msg);
    else
        dp_log_debug("receiver:decode", "%s", msg);
}

/* Formats "<where>: " into msg (cap bytes); returns the length written. */
static size_t where_prefix(const dp_decode_ctx *ctx, char *msg, size_t cap)
{
    int n;

    msg[0] = '\0';
    if (!ctx->where || !ctx->where[0])
        return 0;
    n = snprintf(msg, cap, "%s: ", ctx->where);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void dp__decode_error(dp_decode_ctx *ctx, const char *fmt, ...)
{
    char msg[1024];
    size_t off = where_prefix(ctx, msg, sizeof(msg));
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg + off, sizeof(msg) - off, fmt, ap);
    va_end(ap);
    emit(ctx, msg);
}

/* Copies untrusted text for a message: control bytes become '?', and text
 * longer than cap - 4 bytes is cut at a UTF-8 boundary and ends in "...". */
static void printable(const char *s, size_t len, char *out, size_t cap)
{
    size_t max = cap - 4, n = len < max ? len : max;

    if (len > max)
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    strcpy(out + n, len > max ? "..." : "");
}

void dp__decode_reject(dp_decode_ctx *ctx, const char *name, size_t name_len,
                       const char *id, const char *fmt, ...)
{
    char msg[1024], name_text[132], id_text[72];
    size_t off = where_prefix(ctx, msg, sizeof(msg));
    va_list ap;
    int n;

    ctx->spans_rejected++;
    if (name && name_len)
        printable(name, name_len, name_text, sizeof(name_text));
    else
        strcpy(name_text, "<unnamed>");
    if (id && id[0])
        printable(id, strlen(id), id_text, sizeof(id_text));
    else
        strcpy(id_text, "no span id");
    n = snprintf(msg + off, sizeof(msg) - off, "span %s (%s): ", name_text,
                 id_text);
    if (n > 0 && (size_t)n < sizeof(msg) - off) {
        off += (size_t)n;
        va_start(ap, fmt);
        vsnprintf(msg + off, sizeof(msg) - off, fmt, ap);
        va_end(ap);
    }
    emit(ctx, msg);
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* The attributes whose string values the processor uses as identifiers:
 * node ids and what a node's id falls back on, the dag id, dependencies
 * (processor/attrs.c, processor/dag.c), and LangChain's metadata, which a
 * node id is read from. The processor keeps them as C strings, so a NUL
 * byte would cut "a\0b" and "a\0c" to the same "a" and merge two nodes;
 * such spans are rejected instead. */
#define IDENT(k)                                                               \
    {                                                                          \
        k, sizeof(k) - 1                                                       \
    }
static const struct {
    const char *key;
    size_t len;
} ident_keys[] = {
    IDENT("dag.id"),        IDENT("dag.node.depends_on"),
    IDENT("dag.node.id"),   IDENT("gen_ai.agent.name"),
    IDENT("graph.node.id"), IDENT("graph.node.parent_id"),
    IDENT("metadata"),      IDENT("traceloop.entity.name"),
};
#undef IDENT

static bool value_has_nul(const dp_value *v)
{
    if (v->type == DP_VAL_STR)
        return v->u.str.len && memchr(v->u.str.ptr, 0, v->u.str.len);
    if (v->type == DP_VAL_ARRAY)
        for (size_t i = 0; i < v->u.arr.n; i++)
            if (value_has_nul(&v->u.arr.items[i]))
                return true;
    return false;
}

/* The identifying key of attrs[0..n) (only dag.id when resource) whose
 * value holds a NUL byte, or NULL. Cost: O(attributes x identifying keys),
 * a length compare each, plus a scan of the matching values. */
static const char *attr_with_nul(const dp_attr *attrs, size_t n, bool resource)
{
    size_t n_keys = resource ? 1 : sizeof(ident_keys) / sizeof(ident_keys[0]);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n_keys; k++)
            if (attrs[i].key_len == ident_keys[k].len &&
                memcmp(attrs[i].key, ident_keys[k].key, ident_keys[k].len) ==
                    0 &&
                value_has_nul(&attrs[i].value))
                return ident_keys[k].key;
    return NULL;
}

/* What of span's identifiers holds a NUL byte (a text for the message),
 * or NULL. */
static const char *ident_with_nul(const dp_span_in *span)
{
    if (span->name_len && memchr(span->name, 0, span->name_len))
        return "the span name";
    const char *key = attr_with_nul(span->attrs, span->n_attrs, false);
    if (!key)
        key = attr_with_nul(span->resource_attrs, span->n_resource_attrs, true);
    return key;
}

int dp__decode_deliver(dp_decode_ctx *ctx, dp_span_in *span)
{
    char id[17];
    const char *what;
    int rc;

    if (!span->name)
        span->name = "", span->name_len = 0;
    if (all_zero(span->trace_id, 16) || all_zero(span->span_id, 8)) {
        dp_hex_encode(span->span_id, 8, id);
        dp__decode_reject(ctx, span->name, span->name_len, id, "%s",
                          all_zero(span->trace_id, 16)
                              ? "trace id is all zeros"
                              : "span id is all zeros");
        return DP_EBADID;
    }
    if ((what = ident_with_nul(span))) {
        dp_hex_encode(span->span_id, 8, id);
        dp__decode_reject(ctx, span->name, span->name_len, id,
                          "%s holds a NUL byte, which identifiers must not "
                          "(two ids alike up to it would merge)",
                          what);
        return DP_EINVAL;
    }
    /* The OTLP spec calls an all-zero id invalid: such a parent means none. */
    if (span->has_parent && all_zero(span->parent_span_id, 8))
        span->has_parent = false;
    rc = ctx->sink(ctx->sink_user, span);
    if (rc < 0) {
        dp_hex_encode(span->span_id, 8, id);
        dp__decode_reject(ctx, span->name, span->name_len, id, "%s",
                          dp_strerror(rc));
        return rc;
    }
    ctx->spans_accepted++;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Ids.                                                                      */

bool dp__decode_parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int dp__decode_shape_error(dp_decode_ctx *ctx, enum dp_json_shape what,
                           size_t i, size_t k, size_t j)
{
    switch (what) {
    case DP_SHAPE_RESOURCE_SPANS:
        dp__decode_error(ctx, "resourceSpans is not an array");
        break;
    case DP_SHAPE_RESOURCE_SPAN:
        dp__decode_error(ctx, "resourceSpans[%zu] is not an object", i);
        break;
    case DP_SHAPE_RESOURCE:
        dp__decode_error(ctx, "resourceSpans[%zu].resource is not an object",
                         i);
        break;
    case DP_SHAPE_SCOPE_SPANS:
        dp__decode_error(ctx, "resourceSpans[%zu].scopeSpans is not an array",
                         i);
        break;
    case DP_SHAPE_SCOPE_SPAN:
        dp__decode_error(
            ctx, "resourceSpans[%zu].scopeSpans[%zu] is not an object", i, k);
        break;
    case DP_SHAPE_SPANS:
        dp__decode_error(
            ctx, "resourceSpans[%zu].scopeSpans[%zu].spans is not an array", i,
            k);
        break;
    case DP_SHAPE_SPAN:
        dp__decode_error(ctx,
                         "resourceSpans[%zu].scopeSpans[%zu].spans[%zu] is "
                         "not an object",
                         i, k, j);
        break;
    }
    return DP_EPARSE;
}

static int b64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

bool dp__decode_base64_id(const char *s, size_t len, uint8_t *out, size_t n)
{
    size_t pad = n % 3 ? 3 - n % 3 : 0, o = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (len != (n + 2) / 3 * 4)
        return false;
    for (size_t i = len - pad; i < len; i++)
        if (s[i] != '=')
            return false;
    for (size_t i = 0; i < len - pad; i++) {
        int d = b64_digit(s[i]);
        if (d < 0)
            return false;
        acc = acc << 6 | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < n)
                out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o == n;
}
