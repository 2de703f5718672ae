/*
 * otlp_wire_diff.h - the differential harness shared by
 * tests/unit/test_otlp_wire.c and tests/fuzz/fuzz_otlp_wire.c: runs the
 * reference decoder (dp_ref_otlp_proto_decode, protobuf-c unpack) and the
 * one-pass decoder (dp_otlp_wire_decode) on the same bytes and compares
 * everything they deliver as canonical text: return code, every span field,
 * attributes in order (all of them with DP_WIRE_KEEP_ALL_ATTRS; the wanted
 * ones otherwise, the reference's list filtered by dp_processor_attr_wanted),
 * resource attributes, links, every message and the counts. Also a random
 * generator of OTLP requests written field by field (random field order,
 * repeated and unknown fields, over-long varints, odd ids, NULs in strings,
 * nested values) and a mutator for malformed variants.
 *
 * Header-only (static) so both executables include it; nothing here uses
 * cmocka, the callers assert.
 */
#ifndef DP_OTLP_WIRE_DIFF_H
#define DP_OTLP_WIRE_DIFF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_wire.h"
#include "hex.h"
#include "otlp_decode.h"
#include "otlp_proto.h"
#include "otlp_ref.h"

/* ---- growable text / bytes ------------------------------------------------
 */

typedef struct wd_buf {
    uint8_t *p;
    size_t len, cap;
} wd_buf;

static inline void wd_put(wd_buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
}

static inline void wd_printf(wd_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void wd_printf(wd_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if ((size_t)n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    wd_put(b, tmp, (size_t)n);
}

static inline void wd_free(wd_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- canonical text of what a decoder delivers ----------------------------
 */

typedef struct wd_out {
    wd_buf text;
    bool filter; /* drop attributes the processor does not want */
    uint64_t spans;
    const uint8_t *buf; /* the request, to check views point into it */
    size_t buf_len;
    bool views_in_buf; /* every non-empty string view points into buf */
} wd_out;

static inline void wd_str(wd_out *o, const char *s, size_t len)
{
    wd_printf(&o->text, "'%zu:", len);
    for (size_t i = 0; i < len; i++)
        wd_printf(&o->text, "%02x", (unsigned char)s[i]);
    wd_put(&o->text, "'", 1);
    if (len && o->buf &&
        ((const uint8_t *)s < o->buf ||
         (const uint8_t *)s + len > o->buf + o->buf_len))
        o->views_in_buf = false;
}

static inline void wd_value(wd_out *o, const dp_value *v, int depth)
{
    uint64_t bits;
    switch (v->type) {
    case DP_VAL_STR:
        wd_put(&o->text, "s", 1);
        wd_str(o, v->u.str.ptr, v->u.str.len);
        break;
    case DP_VAL_INT:
        wd_printf(&o->text, "i%lld", (long long)v->u.i);
        break;
    case DP_VAL_DOUBLE:
        memcpy(&bits, &v->u.d, 8);
        wd_printf(&o->text, "d%016llx", (unsigned long long)bits);
        break;
    case DP_VAL_BOOL:
        wd_printf(&o->text, "b%d", v->u.b ? 1 : 0);
        break;
    case DP_VAL_ARRAY:
        wd_put(&o->text, "a[", 2);
        for (size_t i = 0; i < v->u.arr.n && depth < 4; i++) {
            wd_value(o, &v->u.arr.items[i], depth + 1);
            wd_put(&o->text, ",", 1);
        }
        wd_put(&o->text, "]", 1);
        break;
    default:
        wd_printf(&o->text, "none%d", v->type);
        break;
    }
}

static inline void wd_attrs(wd_out *o, const dp_attr *a, size_t n)
{
    wd_put(&o->text, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (o->filter && !dp_processor_attr_wanted(a[i].key, a[i].key_len))
            continue;
        wd_str(o, a[i].key, a[i].key_len);
        wd_put(&o->text, "=", 1);
        wd_value(o, &a[i].value, 0);
        wd_put(&o->text, ";", 1);
    }
    wd_put(&o->text, "}", 1);
}

static inline int wd_sink(void *user, const dp_span_in *s)
{
    wd_out *o = user;
    char hex[33];

    dp_hex_encode(s->trace_id, 16, hex);
    wd_printf(&o->text, "SPAN T=%s", hex);
    dp_hex_encode(s->span_id, 8, hex);
    wd_printf(&o->text, " S=%s", hex);
    dp_hex_encode(s->parent_span_id, 8, hex);
    wd_printf(&o->text, " P=%s", s->has_parent ? hex : "-");
    wd_put(&o->text, " N=", 3);
    wd_str(o, s->name, s->name_len);
    wd_printf(&o->text,
              " t=%llu..%llu st=%d A=", (unsigned long long)s->start_ns,
              (unsigned long long)s->end_ns, s->status_code);
    wd_attrs(o, s->attrs, s->n_attrs);
    wd_put(&o->text, " R=", 3);
    wd_attrs(o, s->resource_attrs, s->n_resource_attrs);
    wd_put(&o->text, " L={", 4);
    for (size_t i = 0; i < s->n_links; i++) {
        dp_hex_encode(s->links[i].trace_id, 16, hex);
        wd_printf(&o->text, "%s/", hex);
        dp_hex_encode(s->links[i].span_id, 8, hex);
        wd_printf(&o->text, "%s;", hex);
    }
    wd_put(&o->text, "}\n", 2);
    o->spans++;
    /* Reject some spans from the sink too, by a property of the span. */
    if (s->end_ns < s->start_ns)
        return DP_EBADSPAN;
    return 0;
}

static inline void wd_on_error(void *user, const char *msg)
{
    wd_out *o = user;
    wd_printf(&o->text, "MSG %s\n", msg);
}

enum { WD_REFERENCE = 0, WD_WIRE = 1, WD_WIRE_ALL = 2 };

/* Runs one decoder on buf; fills o (free o->text). filter: leave out of
 * the text the attributes the processor does not want. Returns its code. */
static inline int wd_decode(int which, bool filter, const uint8_t *buf,
                            size_t len, wd_out *o)
{
    dp_decode_ctx ctx;
    int rc;

    memset(o, 0, sizeof(*o));
    o->filter = filter;
    o->buf = which == WD_REFERENCE ? NULL : buf;
    o->buf_len = len;
    o->views_in_buf = true;
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = wd_sink;
    ctx.sink_user = o;
    ctx.on_error = wd_on_error;
    ctx.error_user = o;
    ctx.where = "diff";
    if (which == WD_REFERENCE)
        rc = dp_ref_otlp_proto_decode(&ctx, buf, len);
    else
        rc = dp_otlp_wire_decode_flags(
            &ctx, buf, len, which == WD_WIRE_ALL ? DP_WIRE_KEEP_ALL_ATTRS : 0);
    wd_printf(&o->text, "RC %d accepted %llu rejected %llu\n", rc,
              (unsigned long long)ctx.spans_accepted,
              (unsigned long long)ctx.spans_rejected);
    return rc;
}

/* Compares the reference with the wire decoder, filtered and keep-all, and
 * checks the wire decoder's views point into buf. Returns true when all
 * agree; otherwise prints both texts to stderr when verbose. */
static inline bool wd_same(const uint8_t *buf, size_t len, bool verbose)
{
    wd_out ref, wire, ref_all, wire_all;
    bool same;

    wd_decode(WD_REFERENCE, true, buf, len, &ref);
    wd_decode(WD_WIRE, true, buf, len, &wire);
    wd_decode(WD_REFERENCE, false, buf, len, &ref_all);
    wd_decode(WD_WIRE_ALL, false, buf, len, &wire_all);
    same = strcmp((char *)ref.text.p, (char *)wire.text.p) == 0 &&
           strcmp((char *)ref_all.text.p, (char *)wire_all.text.p) == 0 &&
           wire.views_in_buf && wire_all.views_in_buf;
    if (!same && verbose) {
        fprintf(stderr, "--- reference (%zu bytes in)\n%s--- wire\n%s", len,
                (char *)ref_all.text.p, (char *)wire_all.text.p);
        fprintf(stderr, "--- reference filtered\n%s--- wire filtered\n%s",
                (char *)ref.text.p, (char *)wire.text.p);
        fprintf(stderr, "--- views in buffer: %d %d\n--- input ",
                wire.views_in_buf, wire_all.views_in_buf);
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, "%02x", buf[i]);
        fprintf(stderr, "\n");
    }
    wd_free(&ref.text);
    wd_free(&wire.text);
    wd_free(&ref_all.text);
    wd_free(&wire_all.text);
    return same;
}

/* ---- random requests --------------------------------------------------------
 */

typedef struct wd_rng {
    uint64_t s;
} wd_rng;

static inline uint64_t wd_next(wd_rng *r)
{
    uint64_t x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return r->s = x;
}

/* 0 <= result < n */
static inline uint32_t wd_below(wd_rng *r, uint32_t n)
{
    return n ? (uint32_t)(wd_next(r) % n) : 0;
}

static inline bool wd_chance(wd_rng *r, uint32_t percent)
{
    return wd_below(r, 100) < percent;
}

/* Makes the varint p[0..n) one byte longer, same value (a continuation
 * bit on its last byte, then 0x00); p has room. Returns n + 1. */
static inline size_t wd_varint_pad1(uint8_t *p, size_t n)
{
    p[n - 1] |= 0x80;
    p[n] = 0x00;
    return n + 1;
}

/* A varint, sometimes over-long (padded to at most max_len bytes with
 * continuation bytes and a last 0x00). */
static inline void wd_varint(wd_rng *r, wd_buf *b, uint64_t v, size_t max_len)
{
    uint8_t tmp[DP_WIRE_VARINT_MAX];
    size_t n = dp_wire_put_varint(tmp, v);
    while (n < max_len && r && wd_chance(r, 3))
        n = wd_varint_pad1(tmp, n);
    wd_put(b, tmp, n);
}

static inline void wd_tag(wd_rng *r, wd_buf *b, uint32_t field, unsigned wt)
{
    wd_varint(r, b, ((uint64_t)field << 3) | wt, 5);
}

static inline void wd_lenf(wd_rng *r, wd_buf *b, uint32_t field, const void *d,
                           size_t n)
{
    wd_tag(r, b, field, 2);
    wd_varint(r, b, n, 5);
    wd_put(b, d, n);
}

static inline void wd_varf(wd_rng *r, wd_buf *b, uint32_t field, uint64_t v)
{
    wd_tag(r, b, field, 0);
    wd_varint(r, b, v, 10);
}

static inline void wd_fixf(wd_rng *r, wd_buf *b, uint32_t field, uint64_t v,
                           int bytes)
{
    wd_tag(r, b, field, bytes == 8 ? 1 : 5);
    wd_put(b, &v, (size_t)bytes);
}

static inline void wd_unknown(wd_rng *r, wd_buf *b)
{
    uint32_t field = 17 + wd_below(r, 2000);
    switch (wd_below(r, 4)) {
    case 0:
        wd_varf(r, b, field, wd_next(r));
        break;
    case 1:
        wd_fixf(r, b, field, wd_next(r), 8);
        break;
    case 2:
        wd_fixf(r, b, field, wd_next(r), 4);
        break;
    default:
        wd_lenf(r, b, field, "xyz", wd_below(r, 4));
        break;
    }
}

static const char *const wd_keys[] = {
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.operation.name",
    "gen_ai.tool.name",
    "dag.node.id",
    "dag.node.depends_on",
    "dag.id",
    "dag.retries",
    "gen_ai.prompt.0.content",
    "llm.input_messages.1.content",
    "input.value",
    "metadata",
    "openinference.span.kind",
    "http.method",
    "service.name",
    "x",
    "",
    "gen_ai.x",
    "dag.node.idx",
    "llm.token_count.prompt",
};

static inline void wd_bytes(wd_rng *r, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = wd_chance(r, 10) ? 0 : (uint8_t)(' ' + wd_below(r, 90));
}

static inline void wd_kv(wd_rng *r, wd_buf *b, int depth);

static inline void wd_any(wd_rng *r, wd_buf *b, int depth)
{
    int n = wd_chance(r, 10) ? (int)wd_below(r, 3) : 1;
    for (int k = 0; k < n; k++) {
        uint8_t s[24];
        size_t sl = wd_below(r, 24);
        wd_buf sub = {0};
        switch (wd_below(r, depth < 3 ? 8 : 5)) {
        case 0:
            wd_bytes(r, s, sl);
            wd_lenf(r, b, 1, s, sl);
            break;
        case 1: /* bool_value; protobuf-c takes any wire type for it */
            if (wd_chance(r, 85))
                wd_varf(r, b, 2,
                        wd_chance(r, 80) ? wd_below(r, 2) : wd_next(r));
            else if (wd_chance(r, 50))
                wd_lenf(r, b, 2, "\0\1", wd_below(r, 3));
            else
                wd_fixf(r, b, 2, wd_chance(r, 50) ? 0 : wd_next(r),
                        wd_chance(r, 50) ? 8 : 4);
            break;
        case 2:
            wd_varf(r, b, 3,
                    wd_chance(r, 50) ? wd_below(r, 100000) : wd_next(r));
            break;
        case 3:
            wd_fixf(r, b, 4, wd_next(r), 8);
            break;
        case 4:
            wd_bytes(r, s, sl);
            wd_lenf(r, b, 7, s, wd_chance(r, 50) ? 0 : sl);
            break;
        case 5:
        case 6: {
            uint32_t items = wd_below(r, 5);
            for (uint32_t i = 0; i < items; i++) {
                wd_buf item = {0};
                wd_any(r, &item, depth + 1);
                wd_lenf(r, &sub, 1, item.p, item.len);
                wd_free(&item);
            }
            wd_lenf(r, b, 5, sub.p, sub.len);
            break;
        }
        default: {
            uint32_t items = wd_below(r, 3);
            for (uint32_t i = 0; i < items; i++) {
                wd_buf kv = {0};
                wd_kv(r, &kv, depth + 1);
                wd_lenf(r, &sub, 1, kv.p, kv.len);
                wd_free(&kv);
            }
            wd_lenf(r, b, 6, sub.p, sub.len);
            break;
        }
        }
        wd_free(&sub);
        if (wd_chance(r, 5))
            wd_unknown(r, b);
    }
}

static inline void wd_kv(wd_rng *r, wd_buf *b, int depth)
{
    const char *key = wd_keys[wd_below(r, sizeof(wd_keys) / sizeof(*wd_keys))];
    int keys = wd_chance(r, 5) ? (int)wd_below(r, 3) : 1;
    int values = wd_chance(r, 8) ? (int)wd_below(r, 4) : 1;
    int order = (int)wd_below(r, 2);

    for (int pass = 0; pass < 2; pass++) {
        if (pass == order) {
            for (int i = 0; i < keys; i++) {
                if (wd_chance(r, 3)) { /* a NUL inside the key */
                    char k[64];
                    size_t kl = strlen(key);
                    memcpy(k, key, kl);
                    k[kl] = 0;
                    memcpy(k + kl + 1, "dag.id", 6);
                    wd_lenf(r, b, 1, k, kl + 7);
                } else {
                    wd_lenf(r, b, 1, key, strlen(key));
                }
                if (keys > 1)
                    key = wd_keys[wd_below(r,
                                           sizeof(wd_keys) / sizeof(*wd_keys))];
            }
        } else {
            for (int i = 0; i < values; i++) {
                wd_buf any = {0};
                if (!wd_chance(r, 5))
                    wd_any(r, &any, depth);
                wd_lenf(r, b, 2, any.p, any.len);
                wd_free(&any);
            }
        }
    }
    if (wd_chance(r, 3))
        wd_unknown(r, b);
}

static inline void wd_id(wd_rng *r, wd_buf *b, uint32_t field, size_t want)
{
    uint8_t id[20];
    size_t n = wd_chance(r, 4) ? wd_below(r, 20) : want;
    for (size_t i = 0; i < n; i++)
        id[i] = wd_chance(r, 3) ? 0 : (uint8_t)wd_next(r);
    wd_lenf(r, b, field, id, n);
}

static inline void wd_span(wd_rng *r, wd_buf *b)
{
    uint32_t order[16];
    for (uint32_t i = 0; i < 16; i++)
        order[i] = i + 1;
    for (uint32_t i = 15; i > 0 && wd_chance(r, 30); i--) {
        uint32_t j = wd_below(r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t k = 0; k < 16; k++) {
        uint32_t f = order[k];
        int times = wd_chance(r, 5) ? (int)wd_below(r, 3) : 1;
        for (int t = 0; t < times; t++) {
            uint8_t s[40];
            size_t sl = wd_below(r, 40);
            wd_buf sub = {0};
            switch (f) {
            case 1:
                wd_id(r, b, 1, 16);
                break;
            case 2:
                wd_id(r, b, 2, 8);
                break;
            case 4:
                if (wd_chance(r, 70))
                    wd_id(r, b, 4, 8);
                break;
            case 3:
            case 5:
                wd_bytes(r, s, sl);
                wd_lenf(r, b, f, s, sl);
                break;
            case 6:
            case 10:
            case 12:
            case 14:
                wd_varf(r, b, f, wd_below(r, 6));
                break;
            case 7:
            case 8:
                wd_fixf(r, b, f, 1700000000000000000ULL + wd_below(r, 1000), 8);
                break;
            case 9: {
                uint32_t n = wd_below(r, 14);
                for (uint32_t i = 0; i < n; i++) {
                    wd_buf kv = {0};
                    wd_kv(r, &kv, 0);
                    wd_lenf(r, b, 9, kv.p, kv.len);
                    wd_free(&kv);
                }
                break;
            }
            case 11: /* an event */
                if (wd_chance(r, 30)) {
                    wd_fixf(r, &sub, 1, wd_next(r), 8);
                    wd_lenf(r, &sub, 2, "ev", 2);
                    wd_buf kv = {0};
                    wd_kv(r, &kv, 0);
                    wd_lenf(r, &sub, 3, kv.p, kv.len);
                    wd_free(&kv);
                    wd_lenf(r, b, 11, sub.p, sub.len);
                }
                break;
            case 13: /* a link */
                if (wd_chance(r, 40)) {
                    wd_id(r, &sub, 1, 16);
                    wd_id(r, &sub, 2, 8);
                    if (wd_chance(r, 30)) {
                        wd_buf kv = {0};
                        wd_kv(r, &kv, 0);
                        wd_lenf(r, &sub, 4, kv.p, kv.len);
                        wd_free(&kv);
                    }
                    if (wd_chance(r, 30))
                        wd_fixf(r, &sub, 6, 1, 4);
                    wd_lenf(r, b, 13, sub.p, sub.len);
                }
                break;
            case 15: /* status */
                if (wd_chance(r, 60)) {
                    if (wd_chance(r, 30))
                        wd_lenf(r, &sub, 2, "boom", 4);
                    if (wd_chance(r, 80))
                        wd_varf(r, &sub, 3,
                                wd_chance(r, 90) ? wd_below(r, 3) : wd_next(r));
                    wd_lenf(r, b, 15, sub.p, sub.len);
                }
                break;
            case 16:
                wd_fixf(r, b, 16, wd_below(r, 512), 4);
                break;
            }
            wd_free(&sub);
        }
        if (wd_chance(r, 3))
            wd_unknown(r, b);
    }
}

/* Writes a random request into b (appended). */
static inline void wd_request(wd_rng *r, wd_buf *b)
{
    uint32_t n_rs = 1 + wd_below(r, 3);
    for (uint32_t i = 0; i < n_rs; i++) {
        wd_buf rs = {0};
        uint32_t n_res = wd_chance(r, 80) ? 1 : wd_below(r, 3);
        uint32_t n_ss = 1 + wd_below(r, 2);
        bool res_last = wd_chance(r, 20);
        for (uint32_t pass = 0; pass < 2; pass++) {
            if ((pass == 0) != res_last) {
                for (uint32_t k = 0; k < n_res; k++) {
                    wd_buf res = {0};
                    uint32_t n_attr = wd_below(r, 5);
                    for (uint32_t a = 0; a < n_attr; a++) {
                        wd_buf kv = {0};
                        wd_kv(r, &kv, 0);
                        wd_lenf(r, &res, 1, kv.p, kv.len);
                        wd_free(&kv);
                    }
                    if (wd_chance(r, 20))
                        wd_varf(r, &res, 2, wd_below(r, 4));
                    wd_lenf(r, &rs, 1, res.p, res.len);
                    wd_free(&res);
                }
            } else {
                for (uint32_t k = 0; k < n_ss; k++) {
                    wd_buf ss = {0};
                    if (wd_chance(r, 50)) {
                        wd_buf scope = {0};
                        wd_lenf(r, &scope, 1, "lib", 3);
                        wd_lenf(r, &scope, 2, "1.0", 3);
                        if (wd_chance(r, 30)) {
                            wd_buf kv = {0};
                            wd_kv(r, &kv, 0);
                            wd_lenf(r, &scope, 3, kv.p, kv.len);
                            wd_free(&kv);
                        }
                        wd_lenf(r, &ss, 1, scope.p, scope.len);
                        wd_free(&scope);
                    }
                    uint32_t n_spans = wd_below(r, 6);
                    for (uint32_t s = 0; s < n_spans; s++) {
                        wd_buf sp = {0};
                        wd_span(r, &sp);
                        wd_lenf(r, &ss, 2, sp.p, sp.len);
                        wd_free(&sp);
                    }
                    if (wd_chance(r, 20))
                        wd_lenf(r, &ss, 3, "https://schema", 14);
                    wd_lenf(r, &rs, 2, ss.p, ss.len);
                    wd_free(&ss);
                }
            }
        }
        if (wd_chance(r, 10))
            wd_lenf(r, &rs, 3, "s", 1);
        wd_lenf(r, b, 1, rs.p, rs.len);
        wd_free(&rs);
        if (wd_chance(r, 3))
            wd_unknown(r, b);
    }
}

/* Damages b in place a few times: flips, random bytes, cuts, inserts. */
static inline void wd_mutate(wd_rng *r, wd_buf *b)
{
    uint32_t n = wd_chance(r, 60) ? 1 : 1 + wd_below(r, 4);
    for (uint32_t i = 0; i < n && b->len; i++) {
        size_t at = wd_below(r, (uint32_t)b->len);
        switch (wd_below(r, 5)) {
        case 0:
            b->p[at] ^= (uint8_t)(1u << wd_below(r, 8));
            break;
        case 1:
            b->p[at] = (uint8_t)wd_next(r);
            break;
        case 2:
            b->len = at;
            break;
        case 3: {
            size_t cut = wd_below(r, 8);
            if (at + cut > b->len)
                cut = b->len - at;
            memmove(b->p + at, b->p + at + cut, b->len - at - cut);
            b->len -= cut;
            break;
        }
        default: {
            uint8_t ins[4];
            size_t k = 1 + wd_below(r, 4);
            for (size_t j = 0; j < k; j++)
                ins[j] = (uint8_t)wd_next(r);
            wd_put(b, ins, k); /* grow, then shift the tail right */
            memmove(b->p + at + k, b->p + at, b->len - k - at);
            memcpy(b->p + at, ins, k);
            break;
        }
        }
    }
}

#endif /* DP_OTLP_WIRE_DIFF_H */
