/*
 * otlp_proto.c - one-pass protobuf decoder for ExportTraceServiceRequest
 * (see otlp_proto.h); the fast twin of tests/reference/otlp_proto_ref.c.
 *
 * Flow: a transport or trace_file.c passes one request body. The walker
 * descends the fields the processor reads (resource spans -> resource
 * attributes, scope spans -> spans -> ids, name, times, status, attributes,
 * links) and records each span as views into the body, in growable arrays
 * reused for the whole call. Everything else (events, scopes, link
 * attributes, unwanted attribute values, nested arrays and key-value lists)
 * is checked by the iterative validator of otlp_proto_check.c, which stores
 * nothing. Only when the whole message proved valid are the spans
 * delivered, with the checks and messages of tests/reference/otlp_proto_ref.c.
 *
 * "Valid" means what protobuf-c 1.4.1's unpack accepts, which the
 * differential test pins down: a tag whose first byte has no field bits is
 * rejected; tags take at most 5 bytes, varints 10, length prefixes 5; the 3,
 * 4, 6 and 7 wire types are rejected; a known field must carry its declared
 * wire type; unknown fields are skipped. Repeated sub-messages of a
 * non-repeated field are merged as protobuf-c merges them: Resource
 * attributes are concatenated, a Status's code is the last one's, and an
 * AnyValue is replaced by a later one unless the later one is empty, in
 * which case a string (or empty bytes) value is lost and an earlier empty
 * value makes the whole message invalid. Strings keep their full length,
 * NUL bytes included, as the reference reads them
 * (tests/reference/otlp_proto_ref.c, pb_strlen); spans go out through the
 * shared dp__decode_deliver(), which rejects those whose identifiers hold a
 * NUL.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "otlp_proto.h"
#include "otlp_proto_int.h"

/* ---- per-call state ----------------------------------------------------- */

struct pend_span {
    const uint8_t *trace_id, *span_id, *parent, *name;
    size_t trace_id_len, span_id_len, parent_len, name_len;
    uint64_t start_ns, end_ns;
    int status;
    size_t attr_off, n_attrs, link_off, n_links, rs;
};

struct pend_rs {
    size_t off, n; /* into res_attrs */
};

struct wire {
    unsigned flags;
    struct pend_span *spans;
    size_t n_spans, spans_cap;
    struct pend_rs *rss;
    size_t n_rss, rss_cap;
    dp_attr *attrs, *res_attrs;
    size_t n_attrs, attrs_cap, n_res, res_cap;
    dp_value *values; /* array items of attrs and res_attrs */
    size_t n_values, values_cap;
    dp_link_in *links;
    size_t n_links, links_cap;
    dp__wire_stack stack; /* the validator's */
};

#define GROW(w, arr, n, cap)                                                   \
    ((n) < (cap) ? 0                                                           \
                 : dp__decode_reserve((void **)&(arr), &(cap), (n) + 1,        \
                                      sizeof(*(arr))))

static void wire_free(struct wire *w)
{
    free(w->spans);
    free(w->rss);
    free(w->attrs);
    free(w->res_attrs);
    free(w->values);
    free(w->links);
    free(w->stack.frames);
}

/* The arrays of the last call on this thread, kept for the next one (a
 * receiver thread decodes request after request of about the same size:
 * no realloc, no fresh pages). Freed at thread exit, or at once when they
 * grew past KEEP_BYTES for an unusual request. */
#define KEEP_BYTES (8u << 20)

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *v)
{
    wire_free(v);
    free(v);
}

static void cache_init(void)
{
    pthread_key_create(&cache_key, cache_free);
}

static size_t wire_bytes(const struct wire *w)
{
    return w->spans_cap * sizeof(*w->spans) + w->rss_cap * sizeof(*w->rss) +
           (w->attrs_cap + w->res_cap) * sizeof(dp_attr) +
           w->values_cap * sizeof(dp_value) +
           w->links_cap * sizeof(dp_link_in) +
           w->stack.cap * sizeof(struct dp__wire_frame);
}

/* Starts a call with the thread's kept arrays (counts zeroed). */
static void wire_init(struct wire *w, unsigned flags)
{
    memset(w, 0, sizeof(*w));
    pthread_once(&cache_once, cache_init);
    struct wire *c = pthread_getspecific(cache_key);
    if (c) {
        *w = *c;
        w->n_spans = w->n_rss = w->n_attrs = w->n_res = 0;
        w->n_values = w->n_links = 0;
        memset(c, 0, sizeof(*c));
    }
    w->flags = flags;
}

/* Ends a call: keeps its arrays for the thread's next call, or frees
 * them. */
static void wire_fini(struct wire *w)
{
    struct wire *c = pthread_getspecific(cache_key);
    if (wire_bytes(w) <= KEEP_BYTES) {
        if (!c && (c = calloc(1, sizeof(*c))) != NULL &&
            pthread_setspecific(cache_key, c) != 0) {
            free(c);
            c = NULL;
        }
        if (c) {
            *c = *w;
            return;
        }
    }
    wire_free(w);
}

/* Skips every field of [p, end) as message type m with validation. */
static inline int skip_msg(struct wire *w, int m, const uint8_t *p, size_t len)
{
    uint8_t st;
    return dp__wire_validate(&w->stack, m, p, p + len, &st);
}

/* ---- wanted keys --------------------------------------------------------- */

/* dp_processor_attr_wanted() is a pure function of the key (a binary search
 * over the processor's table), asked about the same few dozen keys over and
 * over: a small direct-mapped memo per thread, keyed by the raw key bytes,
 * answers most of them with one hash and one memcmp. */
#define KEY_MEMO_SLOTS 256
#define KEY_MEMO_MAX 61

struct key_memo {
    uint8_t len, wanted;
    uint8_t key[KEY_MEMO_MAX];
};

static _Thread_local struct key_memo key_memo[KEY_MEMO_SLOTS];

/* Returns whether the processor wants the key k[0..len). */
static inline bool key_wanted(const uint8_t *k, size_t len)
{
    uint64_t a, b;
    struct key_memo *m;
    bool w;

    if (len < 8 || len > KEY_MEMO_MAX)
        return dp_processor_attr_wanted((const char *)k, len);
    memcpy(&a, k, 8);
    memcpy(&b, k + len - 8, 8);
    m = &key_memo[((a * 0x9e3779b97f4a7c15ULL) ^ (b + len)) *
                      0xff51afd7ed558ccdULL >>
                  56];
    if (m->len == len && memcmp(m->key, k, len) == 0)
        return m->wanted;
    w = dp_processor_attr_wanted((const char *)k, len);
    m->len = (uint8_t)len;
    m->wanted = w;
    memcpy(m->key, k, len);
    return w;
}

/* True when [p, end) is an AnyValue made of exactly one scalar field (the
 * usual shape), which is then valid; false means "not that shape", not
 * "invalid": use the validator. */
static inline bool any_is_one_scalar(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *d;
    size_t len;
    uint64_t x;

    if (p == end)
        return false;
    switch (*p++) {
    case 0x0a: /* string_value */
    case 0x3a: /* bytes_value */
        return rd_len(&p, end, &d, &len) && p == end;
    case 0x10: /* bool_value */
    case 0x18: /* int_value */
        return rd_varint(&p, end, &x) && p == end;
    case 0x21: /* double_value */
        return end - p == 8;
    default:
        return false;
    }
}

/* ---- the directed walk -------------------------------------------------- */

/* Decodes an AnyValue into *v and its case. top: an attribute's own value
 * (its array items are decoded into w->values); otherwise an array item,
 * whose nested arrays are only validated (the processor reads one level).
 * Items are stored as an offset into w->values, patched at delivery. */
static int decode_any(struct wire *w, const uint8_t *p, const uint8_t *end,
                      dp_value *v, uint8_t *c, bool top)
{
    memset(v, 0, sizeof(*v));
    *c = C_NONE;
    while (p < end) {
        const uint8_t *d;
        size_t len;
        uint32_t field;
        int sc, rc;
        uint64_t x = 0;

        const uint8_t *at = p;
        if (*p == 0x0a) { /* the usual string_value, read directly */
            field = 1;
            p++;
            if (!rd_len(&p, end, &d, &len))
                return DP_EPARSE;
        } else {
            sc = rd_field(&p, end, M_ANY, &field, &d, &len);
            if (sc < 0)
                return DP_EPARSE;
            if (!sc)
                continue;
        }
        memset(v, 0, sizeof(*v));
        *c = (uint8_t)field;
        switch (field) {
        case 1:
            v->type = DP_VAL_STR;
            v->u.str.ptr = (const char *)d;
            v->u.str.len = len;
            break;
        case 2: {
            /* protobuf-c reads a bool from the field's raw bytes, whatever
             * the wire type (a length prefix included): any payload bit. */
            uint32_t f2;
            unsigned wt;
            rd_tag(&at, end, &f2, &wt);
            v->type = DP_VAL_BOOL;
            for (; at < p; at++)
                if (*at & 0x7f)
                    v->u.b = true;
            break;
        }
        case 3:
            rd_varint(&d, d + len, &x);
            v->type = DP_VAL_INT;
            v->u.i = (int64_t)x;
            break;
        case 4:
            x = rd_fixed64(d);
            v->type = DP_VAL_DOUBLE;
            memcpy(&v->u.d, &x, 8);
            break;
        case 5: {
            size_t first = w->n_values, n = 0;
            const uint8_t *q = d, *qe = d + len;
            if (!top) {
                if ((rc = skip_msg(w, M_ARR, d, len)))
                    return rc;
                break;
            }
            while (q < qe) {
                const uint8_t *id;
                size_t il;
                uint32_t f2;
                uint8_t ic;
                int isc = rd_field(&q, qe, M_ARR, &f2, &id, &il);
                if (isc <= 0) {
                    if (isc < 0)
                        return DP_EPARSE;
                    continue;
                }
                if (GROW(w, w->values, w->n_values, w->values_cap))
                    return DP_ENOMEM;
                rc = decode_any(w, id, id + il, &w->values[w->n_values], &ic,
                                false);
                if (rc)
                    return rc;
                w->n_values++;
                n++;
            }
            v->type = DP_VAL_ARRAY;
            v->u.arr.items = (const dp_value *)(uintptr_t)first;
            v->u.arr.n = n;
            break;
        }
        case 6:
            if ((rc = skip_msg(w, M_KVLIST, d, len)))
                return rc;
            break;
        case 7:
            *c = len ? C_BYTES : C_BYTES_EMPTY;
            break;
        }
    }
    return 0;
}

/* Appends one attribute to out. */
static inline int push_attr(dp_attr **out, size_t *n, size_t *cap,
                            const uint8_t *key, size_t key_len,
                            const dp_value *val)
{
    if (*n == *cap &&
        dp__decode_reserve((void **)out, cap, *n + 1, sizeof(dp_attr)))
        return DP_ENOMEM;
    (*out)[*n].key = (const char *)key;
    (*out)[*n].key_len = key_len;
    (*out)[*n].value = *val;
    (*n)++;
    return 0;
}

/* Decodes one KeyValue into out[*n] when its key is wanted (or flags keep
 * all), else only validates it. The usual shape (one key, then one value)
 * is read directly; anything else takes two passes over the few top-level
 * fields: the key is the last one on the wire, values fold in order. */
static int decode_kv(struct wire *w, const uint8_t *p, const uint8_t *end,
                     dp_attr **out, size_t *n, size_t *cap)
{
    const uint8_t *key = NULL, *q = p, *d, *vd = NULL;
    size_t key_len = 0, len, vl = 0;
    uint32_t field;
    uint8_t acc = C_UNSEEN, c;
    dp_value val;
    int sc, rc;
    bool simple = false;

    if (q < end && *q == 0x0a) { /* key, then at most one value */
        q++;
        if (rd_len(&q, end, &key, &key_len)) {
            if (q == end)
                simple = true;
            else if (*q == 0x12) {
                q++;
                simple = rd_len(&q, end, &vd, &vl) && q == end;
            }
        }
    }
    if (!simple) {
        key = NULL;
        key_len = 0;
        for (q = p; q < end;) {
            sc = rd_field(&q, end, M_KV, &field, &d, &len);
            if (sc < 0)
                return DP_EPARSE;
            if (sc && field == 1) {
                key = d;
                key_len = len;
            }
        }
    }
    if (!key)
        key = (const uint8_t *)"";
    if (!key_wanted(key, key_len) && !(w->flags & DP_WIRE_KEEP_ALL_ATTRS)) {
        if (simple)
            return !vd || any_is_one_scalar(vd, vd + vl)
                       ? 0
                       : skip_msg(w, M_ANY, vd, vl);
        return skip_msg(w, M_KV, p, (size_t)(end - p));
    }

    memset(&val, 0, sizeof(val));
    if (simple) {
        if (vd && (rc = decode_any(w, vd, vd + vl, &val, &c, true)))
            return rc;
        return push_attr(out, n, cap, key, key_len, &val);
    }
    for (q = p; q < end;) {
        dp_value v;
        sc = rd_field(&q, end, M_KV, &field, &d, &len);
        if (!sc || field != 2)
            continue;
        if ((rc = decode_any(w, d, d + len, &v, &c, true)))
            return rc;
        if (acc == C_UNSEEN || c != C_NONE) {
            acc = c;
            val = v;
        } else if (!fold_case(&acc, c)) {
            return DP_EPARSE;
        } else if (acc == C_NONE) {
            memset(&val, 0, sizeof(val));
        }
    }
    return push_attr(out, n, cap, key, key_len, &val);
}

/* A Status: its code (the last one, 0 when absent). */
static int decode_status(const uint8_t *p, const uint8_t *end, int *code)
{
    *code = DP_STATUS_UNSET;
    while (p < end) {
        const uint8_t *d;
        size_t len;
        uint32_t field;
        uint64_t x = 0;
        int sc = rd_field(&p, end, M_STATUS, &field, &d, &len);
        if (sc < 0)
            return DP_EPARSE;
        if (sc && field == 3) {
            rd_varint(&d, d + len, &x);
            *code = (int)(int32_t)(uint32_t)x;
        }
    }
    return 0;
}

/* A Link: kept when both ids have the right length (as
 * tests/reference/otlp_proto_ref.c). */
static int decode_link(struct wire *w, const uint8_t *p, const uint8_t *end)
{
    const uint8_t *tid = NULL, *sid = NULL;
    size_t tid_len = 0, sid_len = 0;
    int rc;

    while (p < end) {
        const uint8_t *d;
        size_t len;
        uint32_t field;
        int sc = rd_field(&p, end, M_LINK, &field, &d, &len);
        if (sc < 0)
            return DP_EPARSE;
        if (!sc)
            continue;
        if (field == 1) {
            tid = d;
            tid_len = len;
        } else if (field == 2) {
            sid = d;
            sid_len = len;
        } else if (field == 4 && (rc = skip_msg(w, M_KV, d, len))) {
            return rc;
        }
    }
    if (tid_len != 16 || sid_len != 8)
        return 0;
    if (GROW(w, w->links, w->n_links, w->links_cap))
        return DP_ENOMEM;
    memcpy(w->links[w->n_links].trace_id, tid, 16);
    memcpy(w->links[w->n_links].span_id, sid, 8);
    w->n_links++;
    return 0;
}

static int decode_span(struct wire *w, const uint8_t *p, const uint8_t *end,
                       size_t rs)
{
    struct pend_span s;
    int rc;

    memset(&s, 0, sizeof(s));
    s.attr_off = w->n_attrs;
    s.link_off = w->n_links;
    s.rs = rs;
    while (p < end) {
        const uint8_t *d;
        size_t len;
        uint32_t field;
        int sc;
        switch (*p) { /* one-byte tags of known fields, read directly */
        case 0x0a:
        case 0x12:
        case 0x1a:
        case 0x22:
        case 0x2a:
        case 0x4a:
        case 0x5a:
        case 0x6a:
        case 0x7a: /* LEN fields 1-5, 9, 11, 13, 15 */
            field = *p++ >> 3;
            if (!rd_len(&p, end, &d, &len))
                return DP_EPARSE;
            break;
        case 0x39:
        case 0x41: /* start, end: fixed64 */
            if (end - p < 9)
                return DP_EPARSE;
            field = *p >> 3;
            d = p + 1;
            len = 8;
            p += 9;
            break;
        default:
            sc = rd_field(&p, end, M_SPAN, &field, &d, &len);
            if (sc < 0)
                return DP_EPARSE;
            if (!sc)
                continue;
        }
        switch (field) {
        case 1:
            s.trace_id = d, s.trace_id_len = len;
            break;
        case 2:
            s.span_id = d, s.span_id_len = len;
            break;
        case 4:
            s.parent = d, s.parent_len = len;
            break;
        case 5:
            s.name = d, s.name_len = len;
            break;
        case 7:
            s.start_ns = rd_fixed64(d);
            break;
        case 8:
            s.end_ns = rd_fixed64(d);
            break;
        case 9:
            rc =
                decode_kv(w, d, d + len, &w->attrs, &w->n_attrs, &w->attrs_cap);
            if (rc)
                return rc;
            break;
        case 11:
            if ((rc = skip_msg(w, M_EVENT, d, len)))
                return rc;
            break;
        case 13:
            if ((rc = decode_link(w, d, d + len)))
                return rc;
            break;
        case 15:
            if ((rc = decode_status(d, d + len, &s.status)))
                return rc;
            break;
        default: /* trace_state, kind, dropped counts, flags */
            break;
        }
    }
    s.n_attrs = w->n_attrs - s.attr_off;
    s.n_links = w->n_links - s.link_off;
    if (GROW(w, w->spans, w->n_spans, w->spans_cap))
        return DP_ENOMEM;
    w->spans[w->n_spans++] = s;
    return 0;
}

/* A ResourceSpans: resource attributes (every Resource field, merged) go
 * to res_attrs, its spans remember the resource by index. */
static int decode_rs(struct wire *w, const uint8_t *p, const uint8_t *end)
{
    size_t rs = w->n_rss, off = w->n_res;
    int rc;

    if (GROW(w, w->rss, w->n_rss, w->rss_cap))
        return DP_ENOMEM;
    w->n_rss++;
    while (p < end) {
        const uint8_t *d, *q, *qe;
        size_t len;
        uint32_t field;
        int sc = rd_field(&p, end, M_RS, &field, &d, &len);
        if (sc <= 0) {
            if (sc < 0)
                return DP_EPARSE;
            continue;
        }
        q = d;
        qe = d + len;
        if (field == 1) { /* Resource */
            while (q < qe) {
                const uint8_t *kd;
                size_t kl;
                uint32_t f2;
                int s2 = rd_field(&q, qe, M_RES, &f2, &kd, &kl);
                if (s2 < 0)
                    return DP_EPARSE;
                if (s2 && f2 == 1 &&
                    (rc = decode_kv(w, kd, kd + kl, &w->res_attrs, &w->n_res,
                                    &w->res_cap)))
                    return rc;
            }
        } else if (field == 2) { /* ScopeSpans */
            while (q < qe) {
                const uint8_t *sd;
                size_t sl;
                uint32_t f2;
                int s2 = rd_field(&q, qe, M_SS, &f2, &sd, &sl);
                if (s2 < 0)
                    return DP_EPARSE;
                if (s2 && f2 == 1 && (rc = skip_msg(w, M_SCOPE, sd, sl)))
                    return rc;
                if (s2 && f2 == 2 && (rc = decode_span(w, sd, sd + sl, rs)))
                    return rc;
            }
        }
    }
    w->rss[rs].off = off;
    w->rss[rs].n = w->n_res - off;
    return 0;
}

/* ---- delivery ----------------------------------------------------------- */

static void patch_items(dp_attr *a, size_t n, const dp_value *values)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].value.type == DP_VAL_ARRAY)
            a[i].value.u.arr.items =
                a[i].value.u.arr.n ? values + (uintptr_t)a[i].value.u.arr.items
                                   : NULL;
}

/* The hex of an id of any length for messages (at most 32 bytes). */
static void id_text(const uint8_t *id, size_t len, char *out /* 68 */)
{
    size_t n = len > 32 ? 32 : len;

    dp_hex_encode(id, n, out);
    if (len > n)
        strcpy(out + 2 * n, "...");
}

/* Checks the id lengths of one span with the wording of
 * tests/reference/otlp_proto_ref.c's span_from_pb(), then delivers it through
 * dp__decode_deliver(); the id text for messages is only formatted when a span
 * is rejected. */
static void deliver(dp_decode_ctx *ctx, const struct wire *w,
                    const struct pend_span *s)
{
    static const uint8_t zero_id[8];
    const struct pend_rs *rs = &w->rss[s->rs];
    const char *name = s->name ? (const char *)s->name : "";
    size_t name_len = s->name ? s->name_len : 0;
    dp_span_in in;
    char id[68];

    if (s->trace_id_len != 16 || s->span_id_len != 8 ||
        (s->parent_len != 0 && s->parent_len != 8)) {
        id_text(s->span_id, s->span_id_len, id);
        if (s->trace_id_len != 16)
            dp__decode_reject(ctx, name, name_len, id,
                              "trace id is %zu bytes, want 16",
                              s->trace_id_len);
        else if (s->span_id_len != 8)
            dp__decode_reject(ctx, name, name_len, id,
                              "span id is %zu bytes, want 8", s->span_id_len);
        else
            dp__decode_reject(ctx, name, name_len, id,
                              "parent span id is %zu bytes, want 8 or none",
                              s->parent_len);
        return;
    }
    memcpy(in.trace_id, s->trace_id, 16);
    memcpy(in.span_id, s->span_id, 8);
    memcpy(in.parent_span_id, s->parent_len == 8 ? s->parent : zero_id, 8);
    in.has_parent = s->parent_len == 8;
    in.name = name;
    in.name_len = name_len;
    in.start_ns = s->start_ns;
    in.end_ns = s->end_ns;
    in.status_code = s->status;
    in.attrs = s->n_attrs ? w->attrs + s->attr_off : NULL;
    in.n_attrs = s->n_attrs;
    in.resource_attrs = rs->n ? w->res_attrs + rs->off : NULL;
    in.n_resource_attrs = rs->n;
    in.links = s->n_links ? w->links + s->link_off : NULL;
    in.n_links = s->n_links;
    /* Zero ids, NUL bytes in identifiers, the sink and the counts: the
     * same code as every decoder. */
    dp__decode_deliver(ctx, &in);
}

int dp_otlp_wire_decode_flags(dp_decode_ctx *ctx, const uint8_t *buf,
                              size_t len, unsigned flags)
{
    struct wire w;
    const uint8_t *p = buf, *end = buf + len;
    int rc = 0;

    if (!ctx || !ctx->sink || (!buf && len))
        return DP_EINVAL;
    wire_init(&w, flags);
    while (p < end && rc == 0) {
        const uint8_t *d;
        size_t l;
        uint32_t field;
        int sc = rd_field(&p, end, M_REQ, &field, &d, &l);
        if (sc < 0)
            rc = DP_EPARSE;
        else if (sc)
            rc = decode_rs(&w, d, d + l);
    }
    if (rc == DP_EPARSE) {
        dp__decode_error(ctx,
                         "malformed protobuf ExportTraceServiceRequest "
                         "(%zu bytes)",
                         len);
    } else if (rc == DP_ENOMEM) {
        dp__decode_error(ctx, "out of memory decoding a %zu-byte request", len);
    } else {
        patch_items(w.attrs, w.n_attrs, w.values);
        patch_items(w.res_attrs, w.n_res, w.values);
        for (size_t i = 0; i < w.n_spans; i++)
            deliver(ctx, &w, &w.spans[i]);
    }
    wire_fini(&w);
    return rc;
}

int dp_otlp_wire_decode(dp_decode_ctx *ctx, const uint8_t *buf, size_t len)
{
    return dp_otlp_wire_decode_flags(ctx, buf, len, 0);
}
