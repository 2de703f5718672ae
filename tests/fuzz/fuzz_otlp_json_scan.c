/*
 * fuzz_otlp_json_scan.c - libFuzzer target that runs the single-pass
 * OTLP/JSON scanner (receiver/otlp_json.c) and the jansson decoder
 * (tests/reference/otlp_json_ref.c) on the same input and aborts unless they
 * agree: return code, accepted and rejected counts, every delivered span (all
 * fields; attributes filtered with dp_processor_attr_wanted, and again with
 * the scanner keeping every attribute) and every message, byte for byte.
 * A third run checks dp_otlp_json_scan_ex's flags (chosen by the input's
 * length) against jansson used as trace_file.c uses it, with jansson's
 * error line, column, text, code and position.
 * See tests/fuzz/CMakeLists.txt; seed corpus: tests/data/decode.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_json.h"
#include "otlp_ref.h"

typedef struct out {
    char *s;
    size_t n, cap;
    bool filter;
} out;

static void put(out *o, const void *p, size_t n)
{
    if (o->n + n + 1 > o->cap) {
        o->cap = (o->n + n + 1) * 2;
        if (!(o->s = realloc(o->s, o->cap)))
            abort();
    }
    memcpy(o->s + o->n, p, n);
    o->n += n;
    o->s[o->n] = '\0';
}

static void putf(out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(out *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    put(o, tmp, n > 0 ? (size_t)n : 0);
}

static void value(out *o, const dp_value *v)
{
    uint64_t bits;

    putf(o, "<%d:", v->type);
    switch (v->type) {
    case DP_VAL_STR:
        put(o, v->u.str.ptr, v->u.str.len);
        break;
    case DP_VAL_INT:
        putf(o, "%lld", (long long)v->u.i);
        break;
    case DP_VAL_DOUBLE:
        memcpy(&bits, &v->u.d, 8);
        putf(o, "%016llx", (unsigned long long)bits);
        break;
    case DP_VAL_BOOL:
        putf(o, "%d", v->u.b);
        break;
    case DP_VAL_ARRAY:
        if (!v->u.arr.n != !v->u.arr.items)
            abort();
        for (size_t i = 0; i < v->u.arr.n; i++) {
            if (v->u.arr.items[i].type == DP_VAL_ARRAY)
                abort();
            value(o, &v->u.arr.items[i]);
        }
        break;
    case DP_VAL_NONE:
        break;
    default:
        abort();
    }
    put(o, ">", 1);
}

static void attrs(out *o, const dp_attr *a, size_t n)
{
    if (!n != !a)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (o->filter && !dp_processor_attr_wanted(a[i].key, a[i].key_len))
            continue;
        putf(o, "[%zu:", a[i].key_len);
        put(o, a[i].key, a[i].key_len);
        value(o, &a[i].value);
        put(o, "]", 1);
    }
}

static int sink(void *user, const dp_span_in *s)
{
    out *o = user;

    if (s->end_ns < s->start_ns)
        return DP_EBADSPAN;
    put(o, s->trace_id, 16);
    put(o, s->span_id, 8);
    put(o, s->parent_span_id, 8);
    putf(o, "%d %zu:", s->has_parent, s->name_len);
    put(o, s->name, s->name_len);
    putf(o, " %llu %llu %d A", (unsigned long long)s->start_ns,
         (unsigned long long)s->end_ns, s->status_code);
    attrs(o, s->attrs, s->n_attrs);
    put(o, "R", 1);
    attrs(o, s->resource_attrs, s->n_resource_attrs);
    if (!s->n_links != !s->links)
        abort();
    put(o, "L", 1);
    for (size_t i = 0; i < s->n_links; i++)
        put(o, &s->links[i], sizeof(s->links[i]));
    put(o, "\n", 1);
    return 0;
}

static void msg(void *user, const char *m)
{
    out *o = user;
    put(o, m, strlen(m));
    put(o, "\n", 1);
}

#include "json_scan_ref.h"

/* which: 0 jansson, 1 scan, 2 scan keeping every attribute, 3 the flags'
 * reference, 4 the scanner with flags. */
static void run(int which, bool filter, const char *buf, size_t len,
                unsigned flags, out *o)
{
    dp_json_scan_result res;
    dp_decode_ctx ctx;
    int rc;

    memset(o, 0, sizeof(*o));
    o->filter = filter;
    put(o, "", 0);
    memset(&ctx, 0, sizeof(ctx));
    memset(&res, 0, sizeof(res));
    ctx.sink = sink;
    ctx.sink_user = o;
    ctx.on_error = msg;
    ctx.error_user = o;
    ctx.where = "fuzz";
    switch (which) {
    case 0:
        rc = dp_ref_otlp_json_decode(&ctx, buf, len);
        break;
    case 1:
        rc = dp_otlp_json_scan(&ctx, buf, len);
        break;
    case 2:
        rc = dp_otlp_json_scan_ex(&ctx, buf, len, DP_JSON_SCAN_KEEP_ALL_ATTRS,
                                  NULL);
        break;
    case 3:
        rc = ref_decode_ex(&ctx, buf, len, flags, &res);
        break;
    default:
        rc = dp_otlp_json_scan_ex(&ctx, buf, len, flags, &res);
    }
    if (rc != 0 && rc != DP_EPARSE)
        abort();
    if (rc == DP_EPARSE && ctx.spans_accepted && which < 3)
        abort();
    putf(o, "rc=%d acc=%llu rej=%llu\n", rc,
         (unsigned long long)ctx.spans_accepted,
         (unsigned long long)ctx.spans_rejected);
    if (which >= 3)
        putf(o, "%d:%d '%s' premature=%d used=%zu\n", res.line, res.column,
             res.text, res.premature, res.used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned flag_sets[] = {
        DP_JSON_SCAN_FIRST_VALUE,
        DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_QUIET_SYNTAX,
        DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_FIRST_VALUE |
            DP_JSON_SCAN_KEEP_ALL_ATTRS,
        DP_JSON_SCAN_QUIET_SYNTAX};
    unsigned flags = flag_sets[size % 4];

    for (int mode = 0; mode < 3; mode++) {
        bool keep =
            mode == 1 || (mode == 2 && (flags & DP_JSON_SCAN_KEEP_ALL_ATTRS));
        out ref, got;

        run(mode < 2 ? 0 : 3, !keep, (const char *)data, size, flags, &ref);
        run(mode == 0   ? 1
            : mode == 1 ? 2
                        : 4,
            !keep, (const char *)data, size, flags, &got);
        if (ref.n != got.n || memcmp(ref.s, got.s, ref.n) != 0) {
            fprintf(stderr,
                    "decoders differ (mode %d, flags %u)\n--- "
                    "jansson:\n%s\n--- scan:\n%s\n",
                    mode, flags, ref.s, got.s);
            abort();
        }
        free(ref.s);
        free(got.s);
    }
    return 0;
}
