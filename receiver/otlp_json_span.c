/*
 * otlp_json_span.c - spans for the single-pass OTLP/JSON scanner
 * (otlp_json_int.h): reads one span object with its attributes
 * (KeyValue and AnyValue objects, array items), status and links, and when
 * the object closes fixes the span's outcome: a ready dp_span_in record, or
 * the reason it is rejected, checked in tests/reference/otlp_json_ref.c's order
 * (name, ids, times, status, attributes, links) so the first reason is the same
 * one.
 *
 * An attribute the processor does not read (dp_processor_attr_wanted) is
 * checked like any other, since a bad value rejects its span, but not kept
 * and its escapes are never decoded; DP_JSON_SCAN_KEEP_ALL_ATTRS keeps it.
 */
#include <stdlib.h>
#include <string.h>

#include "otlp_json_int.h"

/* An AnyValue object: absent, null, not an object, or its value. */
typedef struct any_out {
    uint8_t st;
    const char *why; /* why the value is bad, or NULL */
    dp_value v;      /* an array's items field holds its first item's index */
} any_out;

/* An arrayValue field. */
typedef struct arr_f {
    uint8_t st, camel, vals; /* vals: the state of its "values" field */
    size_t off, n;
    const char *why;
} arr_f;

/* The fields of one span object, as read so far. */
typedef struct span_f {
    jv name, tid, sid, pid, start, end, code;
    uint8_t status, links;
    attrs_out at;
    size_t ln_off, ln_bad; /* ln_bad: index + 1 of the link that rejects */
    bool ln_bad_obj;
} span_f;

/* ------------------------------------------------------------------------ */
/* Attributes.                                                               */

static int val_any(scan *sc, int d, bool top, any_out *o);

static int val_values(scan *sc, int d, arr_f *a)
{
    int r;

    a->why = NULL;
    a->n = 0;
    if ((r = field_open(sc, d, '[', &a->vals)) <= 0)
        return r;
    a->off = sc->n_va;
    for (r = arr_begin(sc); r == 0; r = arr_next(sc)) {
        any_out it;
        dp_value *v;

        if (a->why) {
            if (skip_value(sc, d + 1))
                return -1;
            continue;
        }
        if (val_any(sc, d + 1, false, &it))
            return -1;
        if (it.st != ST_OK)
            a->why = "value is not an AnyValue object";
        else if (it.why)
            a->why = it.why;
        else if (!(v = PUSH(sc, va)))
            return -1;
        else
            *v = it.v;
    }
    a->n = sc->n_va - a->off;
    return r < 0 ? -1 : 0;
}

static int arrayvalue_member(scan *sc, int d, int k, void *a)
{
    return k == K_VALUES ? val_values(sc, d, a) : skip_value(sc, d);
}

static int val_arrayvalue(scan *sc, int d, arr_f *a)
{
    a->vals = ST_ABSENT;
    a->why = NULL;
    a->n = 0;
    return obj_field(sc, d, &a->st, arrayvalue_member, a);
}

/* One AnyValue (top: an attribute's value, whose arrayValue is read; else
 * an array item, where arrayValue is ignored). Its kinds are tried in
 * tests/reference/otlp_json_ref.c's order: the first present one is the value.
 */
static int val_any(scan *sc, int d, bool top, any_out *o)
{
    jv s = {0}, i = {0}, f = {0}, b = {0};
    arr_f a = {0};
    dp_value *v = &o->v;
    int r;

    memset(o, 0, sizeof(*o));
    if ((r = field_open(sc, d, '{', &o->st)) <= 0)
        return r;
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k, rc;
        if (obj_key(sc, &k))
            return -1;
        switch (k) {
        case K_STRING:
        case K_STRING_S:
            rc = field_jv(sc, d + 1, &s, k == K_STRING);
            break;
        case K_INT:
        case K_INT_S:
            rc = field_jv(sc, d + 1, &i, k == K_INT);
            break;
        case K_DOUBLE:
        case K_DOUBLE_S:
            rc = field_jv(sc, d + 1, &f, k == K_DOUBLE);
            break;
        case K_BOOL:
        case K_BOOL_S:
            rc = field_jv(sc, d + 1, &b, k == K_BOOL);
            break;
        case K_ARRAY:
        case K_ARRAY_S:
            rc = top && take(&a.camel, k == K_ARRAY)
                     ? val_arrayvalue(sc, d + 1, &a)
                     : skip_value(sc, d + 1);
            break;
        default:
            rc = skip_value(sc, d + 1);
        }
        if (rc)
            return -1;
    }
    if (r < 0)
        return -1;
    if (s.t > JV_NULL) {
        if (s.t != JV_STR)
            o->why = "stringValue is not a string";
        v->type = s.esc ? VAL_ESC_STR : DP_VAL_STR;
        v->u.str.ptr = s.s;
        v->u.str.len = s.n;
    } else if (i.t > JV_NULL) {
        if (!dp__js_jv_i64(sc, &i, &v->u.i))
            o->why = "intValue is not a 64-bit integer";
        v->type = DP_VAL_INT;
    } else if (f.t > JV_NULL) {
        if (!dp__js_jv_double(sc, &f, &v->u.d))
            o->why = "doubleValue is not a number";
        v->type = DP_VAL_DOUBLE;
    } else if (b.t > JV_NULL) {
        if (b.t != JV_TRUE && b.t != JV_FALSE)
            o->why = "boolValue is not true or false";
        v->type = DP_VAL_BOOL;
        v->u.b = b.t == JV_TRUE;
    } else if (top && a.st > ST_NULL) {
        if (a.st != ST_OK || a.vals == ST_OTHER)
            o->why = "arrayValue is not {\"values\": [...]}";
        else
            o->why = a.why;
        v->type = DP_VAL_ARRAY;
        v->u.arr.n = a.vals == ST_OK ? a.n : 0;
        v->u.arr.items = (const dp_value *)(uintptr_t)a.off;
    }
    return sc->nomem ? -1 : 0;
}

/* dp_processor_attr_wanted through a small per-call cache: the same keys
 * come back span after span. */
static bool attr_wanted(scan *sc, const char *k, size_t n)
{
    const unsigned char *u = (const unsigned char *)k;
    size_t h = 0;

    if (n) /* length, ends and middle: keys differ there (gen_ai.usage.*) */
        h = (n * 0x9E3779B1u ^ u[0] ^ (size_t)u[n - 1] << 8 ^
             (size_t)u[n / 2] << 16 ^ (size_t)u[n - 2 + (n < 2)] << 24) *
                0x9E3779B97F4A7C15ull >>
            58;
    if (sc->wanted[h].key && sc->wanted[h].len == n &&
        memcmp(sc->wanted[h].key, k, n) == 0)
        return sc->wanted[h].wanted;
    sc->wanted[h].key = k;
    sc->wanted[h].len = n;
    sc->wanted[h].wanted = dp_processor_attr_wanted(k, n);
    return sc->wanted[h].wanted;
}

/* Records why an attributes field is bad (only its first bad attribute
 * counts: the caller skips the rest) and drops this one's array items. */
static int attrs_bad(scan *sc, attrs_out *out, size_t va_mark, size_t why)
{
    sc->n_va = va_mark;
    out->why = why;
    return sc->nomem ? -1 : 0;
}

/* Decodes a kept string that still holds escapes. */
static void finish_str(scan *sc, dp_value *v)
{
    if (v->type == VAL_ESC_STR) {
        v->type = DP_VAL_STR;
        v->u.str.ptr = dp__js_str_text(sc, v->u.str.ptr, v->u.str.len, true,
                                       &v->u.str.len);
    }
}

/* One element of an attributes array: a KeyValue. */
static int val_kv(scan *sc, int d, attrs_out *out, size_t idx)
{
    jv key = {0};
    any_out val = {0};
    size_t va_mark = sc->n_va, kn = 0;
    const char *ks = "";
    dp_attr *at;
    int r;

    ENTER(sc, d);
    if (sc->l.tok != '{')
        return skip_value(sc, d)
                   ? -1
                   : attrs_bad(
                         sc, out, va_mark,
                         dp__js_text_add(sc, "attributes[%zu] is not an object",
                                         idx));
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k;
        if (obj_key(sc, &k) || (k == K_KEY     ? dp__js_capture(sc, d + 1, &key)
                                : k == K_VALUE ? val_any(sc, d + 1, true, &val)
                                               : skip_value(sc, d + 1)))
            return -1;
    }
    if (r < 0)
        return -1;
    if (key.t > JV_NULL && key.t != JV_STR)
        return attrs_bad(
            sc, out, va_mark,
            dp__js_text_add(sc, "attributes[%zu].key is not a string", idx));
    if (key.t == JV_STR)
        ks = dp__js_jv_text(sc, &key, &kn);
    if (val.st == ST_OTHER || (val.st == ST_OK && val.why)) {
        size_t cn = dp__js_c_len(ks, kn); /* "%.100s" of a C string */
        return attrs_bad(sc, out, va_mark,
                         dp__js_text_add(sc, "attribute \"%.*s\": %s",
                                         (int)(cn < 100 ? cn : 100), ks,
                                         val.st == ST_OTHER
                                             ? "value is not an AnyValue object"
                                             : val.why));
    }
    if (!(sc->flags & DP_JSON_SCAN_KEEP_ALL_ATTRS) &&
        !attr_wanted(sc, ks, kn)) {
        sc->n_va = va_mark;
        return 0;
    }
    if (!(at = PUSH(sc, at)))
        return -1;
    at->key = ks;
    at->key_len = kn;
    at->value = val.v; /* all zero (DP_VAL_NONE) when absent or null */
    finish_str(sc, &at->value);
    if (at->value.type == DP_VAL_ARRAY) {
        size_t off = (uintptr_t)at->value.u.arr.items;
        for (size_t j = off; j < off + at->value.u.arr.n; j++)
            finish_str(sc, &sc->va[j]);
    }
    return sc->nomem ? -1 : 0;
}

int dp__js_attrs(scan *sc, int d, attrs_out *out)
{
    size_t idx = 0;
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = field_open(sc, d, '[', &out->st)) <= 0)
        return r;
    out->off = sc->n_at;
    for (r = arr_begin(sc); r == 0; r = arr_next(sc), idx++)
        if (out->why ? skip_value(sc, d + 1) : val_kv(sc, d + 1, out, idx))
            return -1;
    out->n = sc->n_at - out->off;
    return r < 0 ? -1 : 0;
}

const char *dp__js_attrs_why(const scan *sc, const attrs_out *a)
{
    if (a->st == ST_OTHER)
        return "attributes is not an array";
    return a->st == ST_OK && a->why ? sc->text + a->why - 1 : NULL;
}

/* ------------------------------------------------------------------------ */
/* Status and links.                                                         */

static int status_member(scan *sc, int d, int k, void *f)
{
    return k == K_CODE ? dp__js_capture(sc, d, &((span_f *)f)->code)
                       : skip_value(sc, d);
}

static int val_status(scan *sc, int d, span_f *f)
{
    memset(&f->code, 0, sizeof(f->code));
    return obj_field(sc, d, &f->status, status_member, f);
}

/* tests/reference/otlp_json_ref.c's status_from_json: 0 with the code, -1 when
 * bad. */
static int status_code(scan *sc, span_f *f, int *code)
{
    static const char *const names[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                        "STATUS_CODE_ERROR"};
    jv *c = &f->code;
    const char *s;
    size_t n;
    uint64_t v;

    *code = DP_STATUS_UNSET;
    if (f->status == ST_OTHER)
        return -1;
    if (f->status != ST_OK || c->t <= JV_NULL)
        return 0;
    if (c->t == JV_INT) {
        if (c->i < INT32_MIN || c->i > INT32_MAX)
            return -1;
        *code = (int)c->i;
        return 0;
    }
    if (c->t != JV_STR)
        return -1;
    s = dp__js_jv_text(sc, c, &n);
    for (int i = 0; i < 3; i++) /* strcmp on the C string */
        if (dp__js_c_len(s, n) == strlen(names[i]) &&
            memcmp(s, names[i], strlen(names[i])) == 0) {
            *code = i;
            return 0;
        }
    if (dp__decode_parse_u64(s, n, &v) && v <= INT32_MAX) {
        *code = (int)v;
        return 0;
    }
    return -1;
}

static int val_link(scan *sc, int d, span_f *f, size_t idx)
{
    jv t = {0}, s = {0};
    dp_link_in tmp, *out;
    size_t digits;
    int r, rt, rs;

    ENTER(sc, d);
    if (sc->l.tok != '{') {
        f->ln_bad = idx + 1;
        f->ln_bad_obj = true;
        return skip_value(sc, d);
    }
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k, rc;
        if (obj_key(sc, &k))
            return -1;
        if (k == K_TRACE || k == K_TRACE_S)
            rc = field_jv(sc, d + 1, &t, k == K_TRACE);
        else if (k == K_SPAN || k == K_SPAN_S)
            rc = field_jv(sc, d + 1, &s, k == K_SPAN);
        else
            rc = skip_value(sc, d + 1);
        if (rc)
            return -1;
    }
    if (r < 0)
        return -1;
    rt = dp__js_id(sc, &t, tmp.trace_id, 16, &digits);
    rs = dp__js_id(sc, &s, tmp.span_id, 8, &digits);
    if (rt == ID_NOT_STRING || rt == ID_NOT_HEX || rs == ID_NOT_STRING ||
        rs == ID_NOT_HEX) {
        f->ln_bad = idx + 1;
        f->ln_bad_obj = false;
    } else if (rt == ID_OK && rs == ID_OK) { /* else dropped, span kept */
        if (!(out = PUSH(sc, ln)))
            return -1;
        *out = tmp;
    }
    return sc->nomem ? -1 : 0;
}

static int val_links(scan *sc, int d, span_f *f)
{
    size_t idx = 0;
    int r;

    f->ln_bad = 0;
    if ((r = field_open(sc, d, '[', &f->links)) <= 0)
        return r;
    f->ln_off = sc->n_ln;
    for (r = arr_begin(sc); r == 0; r = arr_next(sc), idx++)
        if (f->ln_bad ? skip_value(sc, d + 1) : val_link(sc, d + 1, f, idx))
            return -1;
    return r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Spans.                                                                    */

/* Fixes a closed span's outcome, with tests/reference/otlp_json_ref.c's checks
 * in its order. */
static int span_close(scan *sc, span_f *f)
{
    static const char *const id_why[] = {
        [ID_NOT_STRING] = "is not a string", [ID_NOT_HEX] = "is not hex"};
    sp_rec *r = PUSH(sc, sp);
    dp_span_in *in;
    size_t digits;
    int rc;

    if (!r)
        return -1;
    memset(r, 0, sizeof(*r));
    in = &r->in;
    r->kind = SP_REJECT;
    in->name = "";
    r->id = "";
    if (f->name.t == JV_STR)
        in->name = dp__js_jv_text(sc, &f->name, &in->name_len);
    if (f->sid.t == JV_STR) {
        r->id = dp__js_jv_text(sc, &f->sid, &r->id_len);
        r->id_len = dp__js_c_len(r->id, r->id_len);
    }
#define REJECT(...) return (r->why = dp__js_text_add(sc, __VA_ARGS__)) ? 0 : -1
    if (f->name.t > JV_NULL && f->name.t != JV_STR)
        REJECT("name is not a string");
    rc = dp__js_id(sc, &f->tid, in->trace_id, 16, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX)
        REJECT("traceId %s", id_why[rc]);
    if (rc != ID_OK)
        REJECT("traceId has %zu hex digits, want 32", digits);
    rc = dp__js_id(sc, &f->sid, in->span_id, 8, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX)
        REJECT("spanId %s", id_why[rc]);
    if (rc != ID_OK)
        REJECT("spanId has %zu hex digits, want 16", digits);
    rc = dp__js_id(sc, &f->pid, in->parent_span_id, 8, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX)
        REJECT("parentSpanId %s", id_why[rc]);
    if (rc == ID_WRONG_LEN)
        REJECT("parentSpanId has %zu hex digits, want 16 or none", digits);
    in->has_parent = rc == ID_OK;
    if (f->start.t > JV_NULL && !dp__js_jv_u64(sc, &f->start, &in->start_ns))
        REJECT("startTimeUnixNano is not an unsigned 64-bit integer");
    if (f->end.t > JV_NULL && !dp__js_jv_u64(sc, &f->end, &in->end_ns))
        REJECT("endTimeUnixNano is not an unsigned 64-bit integer");
    if (status_code(sc, f, &in->status_code))
        REJECT("status is not {\"code\": 0, 1 or 2}");
    if (dp__js_attrs_why(sc, &f->at))
        REJECT("%s", dp__js_attrs_why(sc, &f->at));
    if (f->links == ST_OTHER)
        REJECT("links is not an array");
    if (f->links == ST_OK && f->ln_bad && f->ln_bad_obj)
        REJECT("links[%zu] is not an object", f->ln_bad - 1);
    if (f->links == ST_OK && f->ln_bad)
        REJECT("links[%zu] has an id that is not a hex string", f->ln_bad - 1);
#undef REJECT
    r->kind = SP_OK;
    r->at_off = f->at.off;
    in->n_attrs = f->at.st == ST_OK ? f->at.n : 0;
    r->ln_off = f->ln_off;
    in->n_links = f->links == ST_OK ? sc->n_ln - f->ln_off : 0;
    return sc->nomem ? -1 : 0;
}

int dp__js_span(scan *sc, int d)
{
    span_f f;
    sp_rec *rec;
    int r;

    ENTER(sc, d);
    if (sc->l.tok != '{') {
        if (skip_value(sc, d) || !(rec = PUSH(sc, sp)))
            return -1;
        rec->kind = SP_NOT_OBJECT;
        return 0;
    }
    memset(&f, 0, sizeof(f));
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k, rc;
        if (obj_key(sc, &k))
            return -1;
        switch (k) {
        case K_NAME:
            rc = dp__js_capture(sc, d + 1, &f.name);
            break;
        case K_TRACE:
        case K_TRACE_S:
            rc = field_jv(sc, d + 1, &f.tid, k == K_TRACE);
            break;
        case K_SPAN:
        case K_SPAN_S:
            rc = field_jv(sc, d + 1, &f.sid, k == K_SPAN);
            break;
        case K_PARENT:
        case K_PARENT_S:
            rc = field_jv(sc, d + 1, &f.pid, k == K_PARENT);
            break;
        case K_START:
        case K_START_S:
            rc = field_jv(sc, d + 1, &f.start, k == K_START);
            break;
        case K_END:
        case K_END_S:
            rc = field_jv(sc, d + 1, &f.end, k == K_END);
            break;
        case K_STATUS:
            rc = val_status(sc, d + 1, &f);
            break;
        case K_ATTRIBUTES:
            rc = dp__js_attrs(sc, d + 1, &f.at);
            break;
        case K_LINKS:
            rc = val_links(sc, d + 1, &f);
            break;
        default:
            rc = skip_value(sc, d + 1);
        }
        if (rc)
            return -1;
    }
    return r < 0 ? -1 : span_close(sc, &f);
}
