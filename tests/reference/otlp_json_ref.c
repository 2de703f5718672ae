/*
 * tests/reference/otlp_json_ref.c - decodes the OTLP/JSON encoding of an
 * ExportTraceServiceRequest (what OTLP/HTTP clients send with Content-Type
 * application/json and what the Collector's file exporter writes, one request
 * per line) into dp_span_in views for a dp_span_sink.
 *
 * Flow: jansson parses the text; a first pass checks the request's shape
 * (resourceSpans / scopeSpans / spans are arrays of objects) so that a
 * request that is not one delivers nothing; the second pass converts each
 * span with views into the jansson tree and the shared scratch arrays
 * (otlp_decode.h) and hands it to the sink. Following the OTLP/JSON rules:
 * lowerCamelCase names (snake_case proto names accepted too), hex ids (any
 * case; base64 of the exact id length accepted from older writers), 64-bit
 * integers as strings or numbers, enums as integers or names, unknown
 * fields ignored. A span with a bad field is rejected alone with a message.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "otlp_ref.h"

/* Returns obj[camel] or obj[snake]; NULL when absent or JSON null (which
 * proto3 JSON reads as the default value). */
static json_t *field(const json_t *obj, const char *camel, const char *snake)
{
    json_t *v = json_object_get(obj, camel);

    if (!v && snake)
        v = json_object_get(obj, snake);
    return v && !json_is_null(v) ? v : NULL;
}

static json_t *scope_spans_of(const json_t *rs)
{
    json_t *v = field(rs, "scopeSpans", "scope_spans");
    /* The name used before OTLP 0.15; older files still carry it. */
    return v ? v
             : field(rs, "instrumentationLibrarySpans",
                     "instrumentation_library_spans");
}

/* ------------------------------------------------------------------------ */
/* Scalars.                                                                  */

static bool json_u64(const json_t *x, uint64_t *out)
{
    if (json_is_integer(x)) {
        json_int_t i = json_integer_value(x);
        if (i < 0)
            return false;
        *out = (uint64_t)i;
        return true;
    }
    if (json_is_real(x)) {
        double d = json_real_value(x);
        if (!(d >= 0 && d < 18446744073709551616.0) || d != (double)(uint64_t)d)
            return false;
        *out = (uint64_t)d;
        return true;
    }
    if (json_is_string(x))
        return dp__decode_parse_u64(json_string_value(x), json_string_length(x),
                                    out);
    return false;
}

static bool json_i64(const json_t *x, int64_t *out)
{
    if (json_is_integer(x)) {
        *out = json_integer_value(x);
        return true;
    }
    if (json_is_real(x)) {
        double d = json_real_value(x);
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
            d != (double)(int64_t)d)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (json_is_string(x)) {
        const char *s = json_string_value(x);
        size_t len = json_string_length(x);
        bool neg = len > 0 && s[0] == '-';
        uint64_t u;

        if (!dp__decode_parse_u64(s + neg, len - neg, &u))
            return false;
        if (neg) {
            if (u > (uint64_t)INT64_MAX + 1)
                return false;
            *out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
        } else {
            if (u > (uint64_t)INT64_MAX)
                return false;
            *out = (int64_t)u;
        }
        return true;
    }
    return false;
}

static bool json_double(const json_t *x, double *out)
{
    if (json_is_number(x)) {
        *out = json_number_value(x);
        return true;
    }
    if (json_is_string(x)) {
        const char *s = json_string_value(x);
        size_t len = json_string_length(x);
        char *end;

        if (strcmp(s, "NaN") == 0)
            *out = NAN;
        else if (strcmp(s, "Infinity") == 0)
            *out = INFINITY;
        else if (strcmp(s, "-Infinity") == 0)
            *out = -INFINITY;
        else {
            if (len == 0 || strlen(s) != len || s[0] == ' ')
                return false;
            *out = strtod(s, &end);
            return end == s + len;
        }
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* Ids.                                                                      */

enum { ID_OK = 0, ID_EMPTY, ID_NOT_STRING, ID_NOT_HEX, ID_WRONG_LEN };

/* Reads an n-byte id from a JSON string into out; *digits gets the string
 * length for messages. */
static int id_from_json(const json_t *x, uint8_t *out, size_t n, size_t *digits)
{
    const char *s;
    size_t len;

    *digits = 0;
    if (!x)
        return ID_EMPTY;
    if (!json_is_string(x))
        return ID_NOT_STRING;
    s = json_string_value(x);
    len = *digits = json_string_length(x);
    if (len == 0)
        return ID_EMPTY;
    if (dp_hex_decode(s, len, out, n) == 0)
        return ID_OK;
    if (dp__decode_base64_id(s, len, out, n))
        return ID_OK;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
              (c >= 'A' && c <= 'F')))
            return ID_NOT_HEX;
    }
    return ID_WRONG_LEN;
}

/* ------------------------------------------------------------------------ */
/* Attributes.                                                               */

static const json_t *array_values_of(const json_t *any)
{
    const json_t *arr;

    if (!json_is_object(any))
        return NULL;
    arr = field(any, "arrayValue", "array_value");
    return json_is_object(arr) ? field(arr, "values", NULL) : NULL;
}

/* Converts one AnyValue object. items is where array items go, with room
 * for all of them; NULL for an item itself (nested arrays become
 * DP_VAL_NONE). Returns NULL or a static reason the value is malformed. */
static const char *any_from_json(const json_t *v, dp_value *out,
                                 dp_value *items, bool top)
{
    const json_t *x;

    memset(out, 0, sizeof(*out));
    if (!v)
        return NULL;
    if (!json_is_object(v))
        return "value is not an AnyValue object";
    if ((x = field(v, "stringValue", "string_value"))) {
        if (!json_is_string(x))
            return "stringValue is not a string";
        out->type = DP_VAL_STR;
        out->u.str.ptr = json_string_value(x);
        out->u.str.len = json_string_length(x);
    } else if ((x = field(v, "intValue", "int_value"))) {
        if (!json_i64(x, &out->u.i))
            return "intValue is not a 64-bit integer";
        out->type = DP_VAL_INT;
    } else if ((x = field(v, "doubleValue", "double_value"))) {
        if (!json_double(x, &out->u.d))
            return "doubleValue is not a number";
        out->type = DP_VAL_DOUBLE;
    } else if ((x = field(v, "boolValue", "bool_value"))) {
        if (!json_is_boolean(x))
            return "boolValue is not true or false";
        out->type = DP_VAL_BOOL;
        out->u.b = json_is_true(x);
    } else if ((x = field(v, "arrayValue", "array_value")) && top) {
        const json_t *vals =
            json_is_object(x) ? field(x, "values", NULL) : NULL;
        size_t n;

        if (!json_is_object(x) || (vals && !json_is_array(vals)))
            return "arrayValue is not {\"values\": [...]}";
        n = vals ? json_array_size(vals) : 0;
        for (size_t j = 0; j < n; j++) {
            const char *why =
                any_from_json(json_array_get(vals, j), &items[j], NULL, false);
            if (why)
                return why;
        }
        out->type = DP_VAL_ARRAY;
        out->u.arr.items = n ? items : NULL;
        out->u.arr.n = n;
    }
    /* kvlistValue, bytesValue, unknown kinds: DP_VAL_NONE. */
    return NULL;
}

/* Converts a JSON attributes array into (*attrs)[0..*n) with array items in
 * *values. Returns 0, DP_ENOMEM, or DP_EPARSE with the reason in why. */
static int attrs_from_json(const json_t *arr, dp_attr **attrs,
                           size_t *attrs_cap, dp_value **values,
                           size_t *values_cap, size_t *n_out, char *why,
                           size_t why_len)
{
    size_t n, n_items = 0, used = 0;

    *n_out = 0;
    if (!arr)
        return 0;
    if (!json_is_array(arr)) {
        snprintf(why, why_len, "attributes is not an array");
        return DP_EPARSE;
    }
    n = json_array_size(arr);
    for (size_t i = 0; i < n; i++) {
        const json_t *vals =
            array_values_of(field(json_array_get(arr, i), "value", NULL));
        if (json_is_array(vals))
            n_items += json_array_size(vals);
    }
    if (dp__decode_reserve((void **)attrs, attrs_cap, n, sizeof(dp_attr)) ||
        dp__decode_reserve((void **)values, values_cap, n_items,
                           sizeof(dp_value)))
        return DP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *kv = json_array_get(arr, i), *key;
        dp_attr *a = &(*attrs)[i];
        const char *bad;

        if (!json_is_object(kv)) {
            snprintf(why, why_len, "attributes[%zu] is not an object", i);
            return DP_EPARSE;
        }
        key = field(kv, "key", NULL);
        if (key && !json_is_string(key)) {
            snprintf(why, why_len, "attributes[%zu].key is not a string", i);
            return DP_EPARSE;
        }
        a->key = key ? json_string_value(key) : "";
        a->key_len = key ? json_string_length(key) : 0;
        bad = any_from_json(field(kv, "value", NULL), &a->value,
                            used < *values_cap ? *values + used : NULL, true);
        if (bad) {
            snprintf(why, why_len, "attribute \"%.100s\": %s", a->key, bad);
            return DP_EPARSE;
        }
        if (a->value.type == DP_VAL_ARRAY)
            used += a->value.u.arr.n;
    }
    *n_out = n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Spans.                                                                    */

static int status_from_json(const json_t *st, int *code)
{
    static const char *const names[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                        "STATUS_CODE_ERROR"};
    const json_t *c;

    *code = DP_STATUS_UNSET;
    if (!st)
        return 0;
    if (!json_is_object(st))
        return -1;
    c = field(st, "code", NULL);
    if (!c)
        return 0;
    if (json_is_integer(c)) {
        json_int_t v = json_integer_value(c);
        if (v < INT32_MIN || v > INT32_MAX)
            return -1;
        *code = (int)v;
        return 0;
    }
    if (json_is_string(c)) {
        uint64_t v;
        for (int i = 0; i < 3; i++)
            if (strcmp(json_string_value(c), names[i]) == 0) {
                *code = i;
                return 0;
            }
        if (dp__decode_parse_u64(json_string_value(c), json_string_length(c),
                                 &v) &&
            v <= INT32_MAX) {
            *code = (int)v;
            return 0;
        }
    }
    return -1;
}

/* Checks and converts one span object, then delivers it. Returns 0 (the
 * span was accepted or rejected with a message) or DP_ENOMEM. */
static int span_from_json(dp_decode_ctx *ctx, dp__decode_scratch *s,
                          const json_t *sp, const dp_attr *res_attrs,
                          size_t n_res_attrs)
{
    static const char *const id_why[] = {
        [ID_NOT_STRING] = "is not a string", [ID_NOT_HEX] = "is not hex"};
    dp_span_in in;
    const json_t *name = field(sp, "name", NULL), *sid, *links, *x;
    const char *nm = json_is_string(name) ? json_string_value(name) : "";
    size_t nm_len = json_is_string(name) ? json_string_length(name) : 0;
    const char *id = "";
    size_t digits, n_links = 0;
    char why[256];
    int rc;

    memset(&in, 0, sizeof(in));
    sid = field(sp, "spanId", "span_id");
    if (json_is_string(sid))
        id = json_string_value(sid);
    if (name && !json_is_string(name)) {
        dp__decode_reject(ctx, nm, nm_len, id, "name is not a string");
        return 0;
    }
    rc = id_from_json(field(sp, "traceId", "trace_id"), in.trace_id, 16,
                      &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX) {
        dp__decode_reject(ctx, nm, nm_len, id, "traceId %s", id_why[rc]);
        return 0;
    }
    if (rc != ID_OK) {
        dp__decode_reject(ctx, nm, nm_len, id,
                          "traceId has %zu hex digits, want 32", digits);
        return 0;
    }
    rc = id_from_json(sid, in.span_id, 8, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX) {
        dp__decode_reject(ctx, nm, nm_len, id, "spanId %s", id_why[rc]);
        return 0;
    }
    if (rc != ID_OK) {
        dp__decode_reject(ctx, nm, nm_len, id,
                          "spanId has %zu hex digits, want 16", digits);
        return 0;
    }
    rc = id_from_json(field(sp, "parentSpanId", "parent_span_id"),
                      in.parent_span_id, 8, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX) {
        dp__decode_reject(ctx, nm, nm_len, id, "parentSpanId %s", id_why[rc]);
        return 0;
    }
    if (rc == ID_WRONG_LEN) {
        dp__decode_reject(ctx, nm, nm_len, id,
                          "parentSpanId has %zu hex digits, want 16 or none",
                          digits);
        return 0;
    }
    in.has_parent = rc == ID_OK;
    in.name = nm;
    in.name_len = nm_len;
    if ((x = field(sp, "startTimeUnixNano", "start_time_unix_nano")) &&
        !json_u64(x, &in.start_ns)) {
        dp__decode_reject(ctx, nm, nm_len, id,
                          "startTimeUnixNano is not an unsigned 64-bit "
                          "integer");
        return 0;
    }
    if ((x = field(sp, "endTimeUnixNano", "end_time_unix_nano")) &&
        !json_u64(x, &in.end_ns)) {
        dp__decode_reject(ctx, nm, nm_len, id,
                          "endTimeUnixNano is not an unsigned 64-bit integer");
        return 0;
    }
    if (status_from_json(field(sp, "status", NULL), &in.status_code)) {
        dp__decode_reject(ctx, nm, nm_len, id,
                          "status is not {\"code\": 0, 1 or 2}");
        return 0;
    }
    rc = attrs_from_json(field(sp, "attributes", NULL), &s->attrs,
                         &s->attrs_cap, &s->values, &s->values_cap, &in.n_attrs,
                         why, sizeof(why));
    if (rc == DP_ENOMEM)
        return rc;
    if (rc) {
        dp__decode_reject(ctx, nm, nm_len, id, "%s", why);
        return 0;
    }
    in.attrs = in.n_attrs ? s->attrs : NULL;
    in.resource_attrs = n_res_attrs ? res_attrs : NULL;
    in.n_resource_attrs = n_res_attrs;

    links = field(sp, "links", NULL);
    if (links && !json_is_array(links)) {
        dp__decode_reject(ctx, nm, nm_len, id, "links is not an array");
        return 0;
    }
    if (links && dp__decode_reserve((void **)&s->links, &s->links_cap,
                                    json_array_size(links), sizeof(dp_link_in)))
        return DP_ENOMEM;
    for (size_t i = 0; links && i < json_array_size(links); i++) {
        const json_t *l = json_array_get(links, i);
        dp_link_in *out = &s->links[n_links];
        int rt, rs;

        if (!json_is_object(l)) {
            dp__decode_reject(ctx, nm, nm_len, id,
                              "links[%zu] is not an object", i);
            return 0;
        }
        rt = id_from_json(field(l, "traceId", "trace_id"), out->trace_id, 16,
                          &digits);
        rs = id_from_json(field(l, "spanId", "span_id"), out->span_id, 8,
                          &digits);
        if (rt == ID_NOT_STRING || rt == ID_NOT_HEX || rs == ID_NOT_STRING ||
            rs == ID_NOT_HEX) {
            dp__decode_reject(ctx, nm, nm_len, id,
                              "links[%zu] has an id that is not a hex string",
                              i);
            return 0;
        }
        /* A link with a missing or wrong-length id is dropped; the span stays.
         */
        if (rt == ID_OK && rs == ID_OK)
            n_links++;
    }
    in.links = n_links ? s->links : NULL;
    in.n_links = n_links;

    dp__decode_deliver(ctx, &in);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Requests.                                                                 */

/* First pass: the containers must be arrays of objects, so a body that is
 * not a request delivers nothing. Writes one message and returns DP_EPARSE
 * otherwise. Cost: O(resource + scope + span objects). */
static int check_shape(dp_decode_ctx *ctx, const json_t *root)
{
    const json_t *rss, *rs, *ss, *spans, *res, *sp, *ssa;
    size_t i, k, j;

    if (!json_is_object(root)) {
        dp__decode_error(ctx, "not an ExportTraceServiceRequest: the JSON "
                              "value is not an object");
        return DP_EPARSE;
    }
    rss = field(root, "resourceSpans", "resource_spans");
    if (!rss)
        return 0;
    if (!json_is_array(rss))
        return dp__decode_shape_error(ctx, DP_SHAPE_RESOURCE_SPANS, 0, 0, 0);
    json_array_foreach(rss, i, rs)
    {
        if (!json_is_object(rs))
            return dp__decode_shape_error(ctx, DP_SHAPE_RESOURCE_SPAN, i, 0, 0);
        res = field(rs, "resource", NULL);
        if (res && !json_is_object(res))
            return dp__decode_shape_error(ctx, DP_SHAPE_RESOURCE, i, 0, 0);
        ssa = scope_spans_of(rs);
        if (!ssa)
            continue;
        if (!json_is_array(ssa))
            return dp__decode_shape_error(ctx, DP_SHAPE_SCOPE_SPANS, i, 0, 0);
        json_array_foreach(ssa, k, ss)
        {
            if (!json_is_object(ss))
                return dp__decode_shape_error(ctx, DP_SHAPE_SCOPE_SPAN, i, k,
                                              0);
            spans = field(ss, "spans", NULL);
            if (spans && !json_is_array(spans))
                return dp__decode_shape_error(ctx, DP_SHAPE_SPANS, i, k, 0);
            json_array_foreach(spans, j, sp)
            {
                if (!json_is_object(sp))
                    return dp__decode_shape_error(ctx, DP_SHAPE_SPAN, i, k, j);
            }
        }
    }
    return 0;
}

static size_t count_spans(const json_t *rs)
{
    const json_t *ss;
    size_t k, n = 0;

    json_array_foreach(scope_spans_of(rs), k, ss) n +=
        json_array_size(field(ss, "spans", NULL));
    return n;
}

int dp_ref_otlp_json_decode_value(dp_decode_ctx *ctx, const struct json_t *root)
{
    dp__decode_scratch s;
    const json_t *rss, *rs, *ss, *sp;
    size_t i, k, j;
    char why[256];
    int rc;

    if (!ctx || !ctx->sink || !root)
        return DP_EINVAL;
    if ((rc = check_shape(ctx, root)))
        return rc;
    rss = field(root, "resourceSpans", "resource_spans");
    memset(&s, 0, sizeof(s));
    rc = 0;
    json_array_foreach(rss, i, rs)
    {
        const json_t *res = field(rs, "resource", NULL);
        size_t n_res = 0;

        rc = attrs_from_json(res ? field(res, "attributes", NULL) : NULL,
                             &s.res_attrs, &s.res_attrs_cap, &s.res_values,
                             &s.res_values_cap, &n_res, why, sizeof(why));
        if (rc == DP_ENOMEM)
            break;
        if (rc) {
            size_t n = count_spans(rs);
            ctx->spans_rejected += n;
            dp__decode_error(ctx,
                             "resourceSpans[%zu].resource: %s; its %zu spans "
                             "were rejected",
                             i, why, n);
            rc = 0;
            continue;
        }
        json_array_foreach(scope_spans_of(rs), k, ss)
        {
            json_array_foreach(field(ss, "spans", NULL), j, sp)
            {
                if ((rc = span_from_json(ctx, &s, sp, s.res_attrs, n_res)))
                    break;
            }
            if (rc)
                break;
        }
        if (rc)
            break;
    }
    dp__decode_scratch_fini(&s);
    if (rc == DP_ENOMEM)
        dp__decode_error(ctx, "out of memory decoding a request");
    return rc;
}

int dp_ref_otlp_json_decode(dp_decode_ctx *ctx, const char *buf, size_t len)
{
    json_error_t err;
    json_t *root;
    int rc;

    if (!ctx || !ctx->sink || (!buf && len))
        return DP_EINVAL;
    root = json_loadb(buf ? buf : "", len, JSON_ALLOW_NUL, &err);
    if (!root) {
        dp__decode_error(ctx, "malformed JSON at line %d, column %d: %s",
                         err.line, err.column, err.text);
        return DP_EPARSE;
    }
    rc = dp_ref_otlp_json_decode_value(ctx, root);
    json_decref(root);
    return rc;
}
