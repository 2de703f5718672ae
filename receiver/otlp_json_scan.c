/*
 * otlp_json_scan.c - the single-pass OTLP/JSON decoder (otlp_json_scan.h):
 * a recursive-descent reader specialised for ExportTraceServiceRequest that
 * walks the caller's buffer once with the jansson-compatible tokenizer of
 * otlp_json_lex.h, building no DOM and doing no per-span malloc.
 *
 * Flow: the scan fills per-call arrays (resource, scope and span records,
 * attributes, array items, links) with views into buf; strings written with
 * escapes are decoded into one per-call buffer, and only when read. Each
 * field is resolved when its object closes, as jansson's object would hold
 * it: the last of duplicate keys wins, a lowerCamelCase key beats its
 * snake_case twin, null is absent. A span's outcome (a ready dp_span_in or
 * the reason it is rejected) is fixed when its object closes, in the checks
 * order of otlp_json.c. Nothing is delivered until the whole text parsed
 * and the request passed otlp_json.c's shape check; then spans go to the
 * sink in order. Attributes the processor does not read are checked but
 * not kept (DP_JSON_SCAN_KEEP_ALL_ATTRS keeps them).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_json_lex.h"
#include "otlp_json_scan.h"

enum { ST_ABSENT = 0, ST_NULL, ST_OK, ST_OTHER }; /* a container field */
enum { JV_ABSENT = 0, JV_NULL, JV_STR, JV_INT, JV_REAL, JV_TRUE, JV_FALSE,
       JV_OBJ, JV_ARR };
enum { SP_NOT_OBJECT = 0, SP_OK, SP_REJECT };
enum { ID_OK = 0, ID_EMPTY, ID_NOT_STRING, ID_NOT_HEX, ID_WRONG_LEN };
#define VAL_ESC_STR 64 /* a DP_VAL_STR whose bytes still hold escapes */

/* A scalar field as jansson would hold it; a string as its raw bytes. */
typedef struct jv {
    uint8_t t, camel, esc;
    const char *s;
    size_t n;
    int64_t i;
    double d;
} jv;

/* A field holding an array of records: which ones, in the record arrays. */
typedef struct cslot {
    uint8_t st, camel;
    size_t off, n;
} cslot;

/* An attributes field: the kept attributes, or why it is bad. */
typedef struct attrs_out {
    uint8_t st;
    size_t off, n;
    size_t why; /* offset + 1 of the reason in scan.text; 0: none */
} attrs_out;

typedef struct rs_rec {
    bool obj;
    uint8_t res_st; /* the "resource" field */
    attrs_out res;
    cslot scope[2]; /* scopeSpans, then the pre-0.15 instrumentationLibrarySpans */
} rs_rec;

typedef struct ss_rec {
    bool obj;
    cslot spans;
} ss_rec;

typedef struct sp_rec {
    uint8_t kind;
    size_t why;             /* SP_REJECT */
    const char *id;         /* SP_REJECT: the span id text up to a NUL */
    size_t id_len;
    size_t at_off, ln_off;  /* SP_OK */
    dp_span_in in;          /* SP_OK: all but the array pointers; name */
} sp_rec;

typedef struct any_out {
    uint8_t st;
    const char *why;
    dp_value v; /* an array's items hold the index of its first item */
} any_out;

typedef struct arr_f {
    uint8_t st, camel, vals;
    size_t off, n;
    const char *why;
} arr_f;

typedef struct span_f {
    jv name, tid, sid, pid, start, end, code;
    uint8_t status, links;
    attrs_out at;
    size_t ln_off, ln_bad; /* ln_bad: index + 1 of the link that rejects */
    bool ln_bad_obj;
} span_f;

typedef struct scan {
    jlex l;
    bool keep_all, nomem, root_obj;
    cslot rss;
    rs_rec *rs;
    size_t n_rs, cap_rs;
    ss_rec *ss;
    size_t n_ss, cap_ss;
    sp_rec *sp;
    size_t n_sp, cap_sp;
    dp_attr *at;
    size_t n_at, cap_at;
    dp_value *va;
    size_t n_va, cap_va;
    dp_link_in *ln;
    size_t n_ln, cap_ln;
    char *text; /* reasons for rejections */
    size_t n_text, cap_text;
    char *ub; /* decoded escapes; never moves (capacity: the input length) */
    size_t n_ub;
} scan;

static void *push(scan *sc, void **arr, size_t *n, size_t *cap, size_t elem)
{
    if (*n == *cap && dp__decode_reserve(arr, cap, *n + 1, elem)) {
        sc->nomem = true;
        return NULL;
    }
    return (char *)*arr + (*n)++ * elem;
}
#define PUSH(sc, a)                                                          \
    push((sc), (void **)&(sc)->a, &(sc)->n_##a, &(sc)->cap_##a,             \
         sizeof(*(sc)->a))

/* Appends a reason; returns its offset + 1, 0 when out of memory. */
static size_t text_add(scan *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static size_t text_add(scan *sc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    size_t n, at = sc->n_text;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    n = strlen(msg) + 1;
    if (dp__decode_reserve((void **)&sc->text, &sc->cap_text, at + n, 1)) {
        sc->nomem = true;
        return 0;
    }
    memcpy(sc->text + at, msg, n);
    sc->n_text += n;
    return at + 1;
}

/* ------------------------------------------------------------------------ */
/* Strings.                                                                  */

/* Decodes the escapes of a string the tokenizer accepted into out (room for
 * n bytes); returns the decoded length, or SIZE_MAX past cap bytes. */
static size_t unescape(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;

    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        uint32_t v;
        char e;

        if (o + run > cap)
            return SIZE_MAX;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i == n)
            break;
        e = s[i + 1];
        i += 2;
        if (e != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            if (o + 1 > cap)
                return SIZE_MAX;
            out[o++] = to[strchr(from, e) - from];
            continue;
        }
        v = (uint32_t)(jl_hex(s[i]) << 12 | jl_hex(s[i + 1]) << 8 |
                       jl_hex(s[i + 2]) << 4 | jl_hex(s[i + 3]));
        i += 4;
        if (v >= 0xD800 && v <= 0xDBFF) {
            uint32_t lo = (uint32_t)(jl_hex(s[i + 2]) << 12 |
                                     jl_hex(s[i + 3]) << 8 |
                                     jl_hex(s[i + 4]) << 4 | jl_hex(s[i + 5]));
            v = ((v - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
            i += 6;
        }
        if (o + (v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4) > cap)
            return SIZE_MAX;
        if (v < 0x80) {
            out[o++] = (char)v;
        } else if (v < 0x800) {
            out[o++] = (char)(0xC0 | v >> 6);
            out[o++] = (char)(0x80 | (v & 0x3F));
        } else if (v < 0x10000) {
            out[o++] = (char)(0xE0 | v >> 12);
            out[o++] = (char)(0x80 | (v >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (v & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | v >> 18);
            out[o++] = (char)(0x80 | (v >> 12 & 0x3F));
            out[o++] = (char)(0x80 | (v >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (v & 0x3F));
        }
    }
    return o;
}

/* The text of a string view: the raw bytes, or decoded into sc->ub. */
static const char *str_text(scan *sc, const char *s, size_t n, bool esc,
                            size_t *out_n)
{
    char *o;

    *out_n = n;
    if (!esc)
        return s;
    if (!sc->ub && !(sc->ub = malloc(sc->l.len + 1))) {
        sc->nomem = true;
        *out_n = 0;
        return "";
    }
    o = sc->ub + sc->n_ub;
    *out_n = unescape(s, n, o, n);
    sc->n_ub += *out_n;
    return o;
}

/* The text of a string jv, decoded at most once (the result replaces the
 * raw view), so decoded bytes never outgrow the input. */
static const char *jv_text(scan *sc, jv *v, size_t *n)
{
    if (v->esc) {
        v->s = str_text(sc, v->s, v->n, true, &v->n);
        v->esc = 0;
    }
    *n = v->n;
    return v->s;
}

/* Length of s as a C string would have it (up to a NUL). */
static size_t c_len(const char *s, size_t n)
{
    const char *z = memchr(s, 0, n);
    return z ? (size_t)(z - s) : n;
}

/* ------------------------------------------------------------------------ */
/* Scalars, as otlp_json.c converts them.                                    */

static bool parse_u64(const char *s, size_t len, uint64_t *out)
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

static bool jv_u64(scan *sc, jv *x, uint64_t *out)
{
    const char *s;
    size_t n;

    if (x->t == JV_INT) {
        if (x->i < 0)
            return false;
        *out = (uint64_t)x->i;
        return true;
    }
    if (x->t == JV_REAL) {
        double d = x->d;
        if (!(d >= 0 && d < 18446744073709551616.0) || d != (double)(uint64_t)d)
            return false;
        *out = (uint64_t)d;
        return true;
    }
    if (x->t != JV_STR)
        return false;
    s = jv_text(sc, x, &n);
    return parse_u64(s, n, out);
}

static bool jv_i64(scan *sc, jv *x, int64_t *out)
{
    const char *s;
    size_t n;
    bool neg;
    uint64_t u;

    if (x->t == JV_INT) {
        *out = x->i;
        return true;
    }
    if (x->t == JV_REAL) {
        double d = x->d;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
            d != (double)(int64_t)d)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (x->t != JV_STR)
        return false;
    s = jv_text(sc, x, &n);
    neg = n > 0 && s[0] == '-';
    if (!parse_u64(s + neg, n - neg, &u))
        return false;
    if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX)
        return false;
    *out = !neg ? (int64_t)u
          : u == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                         : -(int64_t)u;
    return true;
}

static bool jv_double(scan *sc, jv *x, double *out)
{
    char small[128], *tmp = small, *end;
    const char *s;
    size_t n, cn;
    bool ok;

    if (x->t == JV_INT || x->t == JV_REAL) {
        *out = x->t == JV_INT ? (double)x->i : x->d;
        return true;
    }
    if (x->t != JV_STR)
        return false;
    s = jv_text(sc, x, &n);
    cn = c_len(s, n); /* otlp_json.c compares the C string */
    if (cn == 3 && memcmp(s, "NaN", 3) == 0)
        *out = NAN;
    else if (cn == 8 && memcmp(s, "Infinity", 8) == 0)
        *out = INFINITY;
    else if (cn == 9 && memcmp(s, "-Infinity", 9) == 0)
        *out = -INFINITY;
    else {
        if (n == 0 || cn != n || s[0] == ' ')
            return false;
        if (n >= sizeof(small) && !(tmp = malloc(n + 1))) {
            sc->nomem = true;
            return false;
        }
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        *out = strtod(tmp, &end);
        ok = end == tmp + n;
        if (tmp != small)
            free(tmp);
        return ok;
    }
    return true;
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

/* Padded base64 of exactly n bytes, as otlp_json.c accepts for ids. */
static bool base64_id(const char *s, size_t len, uint8_t *out, size_t n)
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

static int id_from_jv(scan *sc, jv *x, uint8_t *out, size_t n,
                      size_t *digits)
{
    const char *s;
    size_t len;

    *digits = 0;
    if (x->t <= JV_NULL)
        return ID_EMPTY;
    if (x->t != JV_STR)
        return ID_NOT_STRING;
    s = jv_text(sc, x, &len);
    *digits = len;
    if (len == 0)
        return ID_EMPTY;
    if (dp_hex_decode(s, len, out, n) == 0 || base64_id(s, len, out, n))
        return ID_OK;
    for (size_t i = 0; i < len; i++)
        if (jl_hex((unsigned char)s[i]) < 0)
            return ID_NOT_HEX;
    return ID_WRONG_LEN;
}

/* ------------------------------------------------------------------------ */
/* Generic JSON: keys, objects, arrays, skipping.                            */

enum key_id {
    K_OTHER = 0, K_RSPANS, K_RSPANS_S, K_RESOURCE, K_SSPANS, K_SSPANS_S,
    K_ILS, K_ILS_S, K_ATTRIBUTES, K_SPANS, K_NAME, K_TRACE, K_TRACE_S,
    K_SPAN, K_SPAN_S, K_PARENT, K_PARENT_S, K_START, K_START_S, K_END,
    K_END_S, K_STATUS, K_LINKS, K_CODE, K_KEY, K_VALUE, K_STRING, K_STRING_S,
    K_INT, K_INT_S, K_DOUBLE, K_DOUBLE_S, K_BOOL, K_BOOL_S, K_ARRAY,
    K_ARRAY_S, K_VALUES
};

static int key_id(const char *s, size_t n)
{
#define K(str, id)                                                           \
    if (memcmp(s, str, sizeof(str) - 1) == 0)                                \
        return id;
    switch (n) {
    case 3: K("key", K_KEY) break;
    case 4: K("name", K_NAME) K("code", K_CODE) break;
    case 5: K("value", K_VALUE) K("spans", K_SPANS) K("links", K_LINKS) break;
    case 6: K("spanId", K_SPAN) K("status", K_STATUS) K("values", K_VALUES)
        break;
    case 7: K("traceId", K_TRACE) K("span_id", K_SPAN_S) break;
    case 8: K("trace_id", K_TRACE_S) K("intValue", K_INT)
        K("resource", K_RESOURCE) break;
    case 9: K("int_value", K_INT_S) K("boolValue", K_BOOL) break;
    case 10: K("attributes", K_ATTRIBUTES) K("scopeSpans", K_SSPANS)
        K("bool_value", K_BOOL_S) K("arrayValue", K_ARRAY) break;
    case 11: K("stringValue", K_STRING) K("doubleValue", K_DOUBLE)
        K("scope_spans", K_SSPANS_S) K("array_value", K_ARRAY_S) break;
    case 12: K("string_value", K_STRING_S) K("double_value", K_DOUBLE_S)
        K("parentSpanId", K_PARENT) break;
    case 13: K("resourceSpans", K_RSPANS) break;
    case 14: K("resource_spans", K_RSPANS_S) K("parent_span_id", K_PARENT_S)
        break;
    case 15: K("endTimeUnixNano", K_END) break;
    case 17: K("startTimeUnixNano", K_START) break;
    case 18: K("end_time_unix_nano", K_END_S) break;
    case 20: K("start_time_unix_nano", K_START_S) break;
    case 27: K("instrumentationLibrarySpans", K_ILS) break;
    case 29: K("instrumentation_library_spans", K_ILS_S) break;
    default: break;
    }
#undef K
    return K_OTHER;
}

#define ENTER(sc, d)                                                         \
    do {                                                                     \
        if ((d) > JL_MAX_DEPTH)                                              \
            return jl_fail_tok(&(sc)->l, "maximum parsing depth reached");   \
    } while (0)

static bool is_scalar(int tok)
{
    return tok == JT_STR || tok == JT_INT || tok == JT_REAL ||
           tok == JT_TRUE || tok == JT_FALSE || tok == JT_NULL;
}

/* Skips the value whose first token is current, at depth d (the root is 1),
 * checking it as jansson's parser would; leaves its last token current.
 * Iterative, so deep nesting costs no C stack. */
static int skip_value(scan *sc, int d)
{
    jlex *l = &sc->l;
    unsigned char obj[JL_MAX_DEPTH + 1];
    int top = -1; /* the innermost open container */

    for (;;) {
        ENTER(sc, d + top + 1);
        if (l->tok == '{' || l->tok == '[') {
            obj[++top] = l->tok == '{';
            if (jl_next(l))
                return -1;
            if (l->tok == (obj[top] ? '}' : ']')) {
                top--;
                goto after;
            }
            if (obj[top])
                goto key;
            if (l->tok == JT_EOF)
                return jl_fail_tok(l, "']' expected");
            continue;
        }
        if (!is_scalar(l->tok))
            return jl_fail_tok(l, l->tok == JT_INVALID ? "invalid token"
                                                       : "unexpected token");
    after:
        if (top < 0)
            return 0;
        if (jl_next(l))
            return -1;
        if (l->tok == ',') {
            if (jl_next(l))
                return -1;
            if (obj[top])
                goto key;
            if (l->tok == JT_EOF)
                return jl_fail_tok(l, "']' expected");
            continue;
        }
        if (l->tok != (obj[top] ? '}' : ']'))
            return jl_fail_tok(l, obj[top] ? "'}' expected" : "']' expected");
        top--;
        goto after;
    key:
        if (l->tok != JT_STR)
            return jl_fail_tok(l, "string or '}' expected");
        if (l->knul)
            return jl_fail_tok(l, "NUL byte in object key not supported");
        if (jl_next(l))
            return -1;
        if (l->tok != ':')
            return jl_fail_tok(l, "':' expected");
        if (jl_next(l))
            return -1;
    }
}

/* With '{' current: 1 for an empty object, 0 with the first key current. */
static inline int obj_begin(scan *sc)
{
    if (jl_next(&sc->l))
        return -1;
    return sc->l.tok == '}';
}

/* With a key current: checks it, names it (K_*), and reads ':' and the
 * first token of the value. */
static inline int obj_key(scan *sc, int *id)
{
    jlex *l = &sc->l;
    const char *s = (const char *)l->b + l->ts + 1;
    size_t n = l->te - l->ts - 2;

    *id = K_OTHER;
    if (l->tok != JT_STR)
        return jl_fail_tok(l, "string or '}' expected");
    if (l->knul)
        return jl_fail_tok(l, "NUL byte in object key not supported");
    if (!l->esc) {
        *id = key_id(s, n);
    } else {
        char k[32];
        size_t kn = unescape(s, n, k, sizeof(k));
        *id = kn == SIZE_MAX ? K_OTHER : key_id(k, kn);
    }
    if (jl_next(l))
        return -1;
    if (l->tok != ':')
        return jl_fail_tok(l, "':' expected");
    return jl_next(l);
}

/* After a member's value: 0 with the next key current, 1 at '}'. */
static inline int obj_next(scan *sc)
{
    jlex *l = &sc->l;

    if (jl_next(l))
        return -1;
    if (l->tok == ',')
        return jl_next(l) ? -1 : 0;
    if (l->tok != '}')
        return jl_fail_tok(l, "'}' expected");
    return 1;
}

/* With '[' current: 1 for an empty array, 0 with the first element current. */
static inline int arr_begin(scan *sc)
{
    jlex *l = &sc->l;

    if (jl_next(l))
        return -1;
    if (l->tok == ']')
        return 1;
    if (l->tok == JT_EOF)
        return jl_fail_tok(l, "']' expected");
    return 0;
}

/* After an element: 0 with the next element current, 1 at ']'. */
static inline int arr_next(scan *sc)
{
    jlex *l = &sc->l;

    if (jl_next(l))
        return -1;
    if (l->tok == ',') {
        if (jl_next(l))
            return -1;
        if (l->tok == JT_EOF)
            return jl_fail_tok(l, "']' expected");
        return 0;
    }
    if (l->tok != ']')
        return jl_fail_tok(l, "']' expected");
    return 1;
}

/* Reads the value whose first token is current into *v. */
static int capture(scan *sc, int d, jv *v)
{
    jlex *l = &sc->l;

    ENTER(sc, d);
    switch (l->tok) {
    case JT_STR:
        v->t = JV_STR;
        v->s = (const char *)l->b + l->ts + 1;
        v->n = l->te - l->ts - 2;
        v->esc = l->esc;
        return 0;
    case JT_INT:
        v->t = JV_INT;
        v->i = l->ival;
        return 0;
    case JT_REAL:
        v->t = JV_REAL;
        v->d = l->dval;
        return 0;
    case JT_TRUE:
        v->t = JV_TRUE;
        return 0;
    case JT_FALSE:
        v->t = JV_FALSE;
        return 0;
    case JT_NULL:
        v->t = JV_NULL;
        return 0;
    default:
        v->t = l->tok == '{' ? JV_OBJ : JV_ARR;
        return skip_value(sc, d);
    }
}

/* A field with a lowerCamelCase and a snake_case name: the camel one wins
 * wherever it stands, among twins the last one. */
static inline bool take(uint8_t *camel_seen, bool camel)
{
    if (camel) {
        *camel_seen = 1;
        return true;
    }
    return !*camel_seen;
}

static int field_jv(scan *sc, int d, jv *v, bool camel)
{
    return take(&v->camel, camel) ? capture(sc, d, v) : skip_value(sc, d);
}

/* ------------------------------------------------------------------------ */
/* Attributes.                                                               */

/* One AnyValue object (top: an attribute's value, whose arrayValue is
 * read; else an array item, where it is ignored). */
static int val_any(scan *sc, int d, bool top, any_out *o);

static int val_values(scan *sc, int d, arr_f *a)
{
    jlex *l = &sc->l;
    int r;

    ENTER(sc, d);
    a->why = NULL;
    a->n = 0;
    if (l->tok == JT_NULL || l->tok != '[') {
        a->vals = l->tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    a->vals = ST_OK;
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

static int val_arrayvalue(scan *sc, int d, arr_f *a)
{
    int r;

    ENTER(sc, d);
    a->vals = ST_ABSENT;
    a->why = NULL;
    a->n = 0;
    if (sc->l.tok != '{') {
        a->st = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    a->st = ST_OK;
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k;
        if (obj_key(sc, &k) ||
            (k == K_VALUES ? val_values(sc, d + 1, a) : skip_value(sc, d + 1)))
            return -1;
    }
    return r < 0 ? -1 : 0;
}

static int val_any(scan *sc, int d, bool top, any_out *o)
{
    jv s = {0}, i = {0}, f = {0}, b = {0};
    arr_f a = {0};
    dp_value *v = &o->v;
    int r;

    ENTER(sc, d);
    memset(o, 0, sizeof(*o));
    if (sc->l.tok != '{') {
        o->st = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    o->st = ST_OK;
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k, rc;
        if (obj_key(sc, &k))
            return -1;
        switch (k) {
        case K_STRING: case K_STRING_S:
            rc = field_jv(sc, d + 1, &s, k == K_STRING);
            break;
        case K_INT: case K_INT_S:
            rc = field_jv(sc, d + 1, &i, k == K_INT);
            break;
        case K_DOUBLE: case K_DOUBLE_S:
            rc = field_jv(sc, d + 1, &f, k == K_DOUBLE);
            break;
        case K_BOOL: case K_BOOL_S:
            rc = field_jv(sc, d + 1, &b, k == K_BOOL);
            break;
        case K_ARRAY: case K_ARRAY_S:
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
        if (!jv_i64(sc, &i, &v->u.i))
            o->why = "intValue is not a 64-bit integer";
        v->type = DP_VAL_INT;
    } else if (f.t > JV_NULL) {
        if (!jv_double(sc, &f, &v->u.d))
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
    return 0;
}

/* Records why an attributes field is bad (only its first bad attribute
 * counts: the caller skips the rest). */
static int attrs_bad(scan *sc, attrs_out *out, size_t va_mark, size_t why)
{
    sc->n_va = va_mark;
    out->why = why;
    return sc->nomem ? -1 : 0;
}

/* One element of an attributes array: a KeyValue. Kept (its escapes
 * decoded) when the processor reads its key or everything is kept. */
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
        return skip_value(sc, d) ? -1
               : attrs_bad(sc, out, va_mark,
                           text_add(sc, "attributes[%zu] is not an object", idx));
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k;
        if (obj_key(sc, &k) ||
            (k == K_KEY     ? capture(sc, d + 1, &key)
             : k == K_VALUE ? val_any(sc, d + 1, true, &val)
                            : skip_value(sc, d + 1)))
            return -1;
    }
    if (r < 0)
        return -1;
    if (key.t > JV_NULL && key.t != JV_STR)
        return attrs_bad(sc, out, va_mark,
                         text_add(sc, "attributes[%zu].key is not a string", idx));
    if (key.t == JV_STR)
        ks = jv_text(sc, &key, &kn);
    if (val.st == ST_OTHER || (val.st == ST_OK && val.why)) {
        size_t cn = c_len(ks, kn);
        return attrs_bad(sc, out, va_mark,
                         text_add(sc, "attribute \"%.*s\": %s",
                                  (int)(cn < 100 ? cn : 100), ks,
                                  val.st == ST_OTHER
                                      ? "value is not an AnyValue object"
                                      : val.why));
    }
    if (!sc->keep_all && !dp_processor_attr_wanted(ks, kn)) {
        sc->n_va = va_mark;
        return 0;
    }
    if (!(at = PUSH(sc, at)))
        return -1;
    at->key = ks;
    at->key_len = kn;
    at->value = val.v; /* all zero (DP_VAL_NONE) when absent or null */
    if (at->value.type == VAL_ESC_STR) {
        at->value.type = DP_VAL_STR;
        at->value.u.str.ptr = str_text(sc, at->value.u.str.ptr,
                                       at->value.u.str.len, true,
                                       &at->value.u.str.len);
    } else if (at->value.type == DP_VAL_ARRAY) {
        size_t off = (uintptr_t)at->value.u.arr.items;
        for (size_t j = off; j < off + at->value.u.arr.n; j++) {
            dp_value *it = &sc->va[j];
            if (it->type == VAL_ESC_STR) {
                it->type = DP_VAL_STR;
                it->u.str.ptr = str_text(sc, it->u.str.ptr, it->u.str.len,
                                         true, &it->u.str.len);
            }
        }
    }
    return sc->nomem ? -1 : 0;
}

static int val_attrs(scan *sc, int d, attrs_out *out)
{
    size_t idx = 0;
    int r;

    ENTER(sc, d);
    memset(out, 0, sizeof(*out));
    if (sc->l.tok != '[') {
        out->st = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    out->st = ST_OK;
    out->off = sc->n_at;
    for (r = arr_begin(sc); r == 0; r = arr_next(sc), idx++)
        if (out->why ? skip_value(sc, d + 1) : val_kv(sc, d + 1, out, idx))
            return -1;
    out->n = sc->n_at - out->off;
    return r < 0 ? -1 : 0;
}

/* The reason an attributes field rejects its span or resource, or NULL. */
static const char *attrs_why(const scan *sc, const attrs_out *a)
{
    if (a->st == ST_OTHER)
        return "attributes is not an array";
    return a->st == ST_OK && a->why ? sc->text + a->why - 1 : NULL;
}

/* ------------------------------------------------------------------------ */
/* Spans.                                                                    */

static int val_status(scan *sc, int d, span_f *f)
{
    int r;

    ENTER(sc, d);
    memset(&f->code, 0, sizeof(f->code));
    if (sc->l.tok != '{') {
        f->status = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    f->status = ST_OK;
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k;
        if (obj_key(sc, &k) || (k == K_CODE ? capture(sc, d + 1, &f->code)
                                            : skip_value(sc, d + 1)))
            return -1;
    }
    return r < 0 ? -1 : 0;
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
    rt = id_from_jv(sc, &t, tmp.trace_id, 16, &digits);
    rs = id_from_jv(sc, &s, tmp.span_id, 8, &digits);
    if (rt == ID_NOT_STRING || rt == ID_NOT_HEX || rs == ID_NOT_STRING ||
        rs == ID_NOT_HEX) {
        f->ln_bad = idx + 1;
        f->ln_bad_obj = false;
    } else if (rt == ID_OK && rs == ID_OK) { /* else dropped, span kept */
        if (!(out = PUSH(sc, ln)))
            return -1;
        *out = tmp;
    }
    return 0;
}

static int val_links(scan *sc, int d, span_f *f)
{
    size_t idx = 0;
    int r;

    ENTER(sc, d);
    f->ln_bad = 0;
    if (sc->l.tok != '[') {
        f->links = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    f->links = ST_OK;
    f->ln_off = sc->n_ln;
    for (r = arr_begin(sc); r == 0; r = arr_next(sc), idx++)
        if (f->ln_bad ? skip_value(sc, d + 1) : val_link(sc, d + 1, f, idx))
            return -1;
    return r < 0 ? -1 : 0;
}

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
    s = jv_text(sc, c, &n);
    for (int i = 0; i < 3; i++)
        if (c_len(s, n) == strlen(names[i]) && memcmp(s, names[i], strlen(names[i])) == 0) {
            *code = i;
            return 0;
        }
    if (parse_u64(s, n, &v) && v <= INT32_MAX) {
        *code = (int)v;
        return 0;
    }
    return -1;
}

/* Fixes a closed span's outcome, with otlp_json.c's checks in its order. */
static int span_close(scan *sc, span_f *f)
{
    static const char *const id_why[] = {[ID_NOT_STRING] = "is not a string",
                                         [ID_NOT_HEX] = "is not hex"};
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
        in->name = jv_text(sc, &f->name, &in->name_len);
    if (f->sid.t == JV_STR) {
        r->id = jv_text(sc, &f->sid, &r->id_len);
        r->id_len = c_len(r->id, r->id_len);
    }
#define REJECT(...) return (r->why = text_add(sc, __VA_ARGS__)) ? 0 : -1
    if (f->name.t > JV_NULL && f->name.t != JV_STR)
        REJECT("name is not a string");
    rc = id_from_jv(sc, &f->tid, in->trace_id, 16, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX)
        REJECT("traceId %s", id_why[rc]);
    if (rc != ID_OK)
        REJECT("traceId has %zu hex digits, want 32", digits);
    rc = id_from_jv(sc, &f->sid, in->span_id, 8, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX)
        REJECT("spanId %s", id_why[rc]);
    if (rc != ID_OK)
        REJECT("spanId has %zu hex digits, want 16", digits);
    rc = id_from_jv(sc, &f->pid, in->parent_span_id, 8, &digits);
    if (rc == ID_NOT_STRING || rc == ID_NOT_HEX)
        REJECT("parentSpanId %s", id_why[rc]);
    if (rc == ID_WRONG_LEN)
        REJECT("parentSpanId has %zu hex digits, want 16 or none", digits);
    in->has_parent = rc == ID_OK;
    if (f->start.t > JV_NULL && !jv_u64(sc, &f->start, &in->start_ns))
        REJECT("startTimeUnixNano is not an unsigned 64-bit integer");
    if (f->end.t > JV_NULL && !jv_u64(sc, &f->end, &in->end_ns))
        REJECT("endTimeUnixNano is not an unsigned 64-bit integer");
    if (status_code(sc, f, &in->status_code))
        REJECT("status is not {\"code\": 0, 1 or 2}");
    if (attrs_why(sc, &f->at))
        REJECT("%s", attrs_why(sc, &f->at));
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

static int val_span(scan *sc, int d)
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
        case K_NAME: rc = capture(sc, d + 1, &f.name); break;
        case K_TRACE: case K_TRACE_S:
            rc = field_jv(sc, d + 1, &f.tid, k == K_TRACE);
            break;
        case K_SPAN: case K_SPAN_S:
            rc = field_jv(sc, d + 1, &f.sid, k == K_SPAN);
            break;
        case K_PARENT: case K_PARENT_S:
            rc = field_jv(sc, d + 1, &f.pid, k == K_PARENT);
            break;
        case K_START: case K_START_S:
            rc = field_jv(sc, d + 1, &f.start, k == K_START);
            break;
        case K_END: case K_END_S:
            rc = field_jv(sc, d + 1, &f.end, k == K_END);
            break;
        case K_STATUS: rc = val_status(sc, d + 1, &f); break;
        case K_ATTRIBUTES: rc = val_attrs(sc, d + 1, &f.at); break;
        case K_LINKS: rc = val_links(sc, d + 1, &f); break;
        default: rc = skip_value(sc, d + 1);
        }
        if (rc)
            return -1;
    }
    return r < 0 ? -1 : span_close(sc, &f);
}

/* ------------------------------------------------------------------------ */
/* Requests.                                                                 */

/* An array of records (resourceSpans, scopeSpans, spans) into slot, each
 * element read by elem; n_recs is the record count it grows. */
static int val_records(scan *sc, int d, cslot *slot, bool camel,
                       int (*elem)(scan *, int), const size_t *n_recs)
{
    int r;

    ENTER(sc, d);
    if (!take(&slot->camel, camel))
        return skip_value(sc, d);
    slot->n = 0;
    if (sc->l.tok != '[') {
        slot->st = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    slot->st = ST_OK;
    slot->off = *n_recs;
    for (r = arr_begin(sc); r == 0; r = arr_next(sc))
        if (elem(sc, d + 1))
            return -1;
    slot->n = *n_recs - slot->off;
    return r < 0 ? -1 : 0;
}

static int val_ss(scan *sc, int d)
{
    ss_rec rec = {0}, *out;
    int r;

    ENTER(sc, d);
    if (sc->l.tok != '{') {
        if (skip_value(sc, d))
            return -1;
    } else {
        rec.obj = true;
        for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
            int k;
            if (obj_key(sc, &k) ||
                (k == K_SPANS
                     ? val_records(sc, d + 1, &rec.spans, true, val_span, &sc->n_sp)
                     : skip_value(sc, d + 1)))
                return -1;
        }
        if (r < 0)
            return -1;
    }
    if (!(out = PUSH(sc, ss)))
        return -1;
    *out = rec;
    return 0;
}

static int val_resource(scan *sc, int d, rs_rec *rec)
{
    int r;

    ENTER(sc, d);
    memset(&rec->res, 0, sizeof(rec->res));
    if (sc->l.tok != '{') {
        rec->res_st = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
        return skip_value(sc, d);
    }
    rec->res_st = ST_OK;
    for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
        int k;
        if (obj_key(sc, &k) || (k == K_ATTRIBUTES
                                    ? val_attrs(sc, d + 1, &rec->res)
                                    : skip_value(sc, d + 1)))
            return -1;
    }
    return r < 0 ? -1 : 0;
}

static int val_rs(scan *sc, int d)
{
    rs_rec rec = {0}, *out;
    int r;

    ENTER(sc, d);
    if (sc->l.tok != '{') {
        if (skip_value(sc, d))
            return -1;
    } else {
        rec.obj = true;
        for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
            int k, rc;
            if (obj_key(sc, &k))
                return -1;
            if (k == K_RESOURCE)
                rc = val_resource(sc, d + 1, &rec);
            else if (k == K_SSPANS || k == K_SSPANS_S)
                rc = val_records(sc, d + 1, &rec.scope[0], k == K_SSPANS,
                                 val_ss, &sc->n_ss);
            else if (k == K_ILS || k == K_ILS_S)
                rc = val_records(sc, d + 1, &rec.scope[1], k == K_ILS, val_ss,
                                 &sc->n_ss);
            else
                rc = skip_value(sc, d + 1);
            if (rc)
                return -1;
        }
        if (r < 0)
            return -1;
    }
    if (!(out = PUSH(sc, rs)))
        return -1;
    *out = rec;
    return 0;
}

/* The whole text: one JSON object or array (jansson without
 * JSON_DECODE_ANY), then only whitespace. */
static int parse_root(scan *sc)
{
    jlex *l = &sc->l;
    int r;

    if (jl_next(l))
        return -1;
    if (l->tok != '{' && l->tok != '[')
        return jl_fail_tok(l, "'[' or '{' expected");
    if (l->tok == '[') {
        if (skip_value(sc, 1))
            return -1;
    } else {
        sc->root_obj = true;
        for (r = obj_begin(sc); r == 0; r = obj_next(sc)) {
            int k;
            if (obj_key(sc, &k) ||
                (k == K_RSPANS || k == K_RSPANS_S
                     ? val_records(sc, 2, &sc->rss, k == K_RSPANS, val_rs,
                                   &sc->n_rs)
                     : skip_value(sc, 2)))
                return -1;
        }
        if (r < 0)
            return -1;
    }
    if (jl_next(l))
        return -1;
    if (l->tok != JT_EOF)
        return jl_fail_tok(l, "end of file expected");
    return 0;
}

/* otlp_json.c's scope_spans_of: scopeSpans, else the older name. */
static const cslot *scope_of(const rs_rec *r)
{
    return r->scope[0].st > ST_NULL ? &r->scope[0]
           : r->scope[1].st > ST_NULL ? &r->scope[1]
                                      : NULL;
}

/* otlp_json.c's check_shape, on the records. */
static int check_shape(const scan *sc, dp_decode_ctx *ctx)
{
    if (!sc->root_obj) {
        dp__decode_error(ctx, "not an ExportTraceServiceRequest: the JSON "
                              "value is not an object");
        return DP_EPARSE;
    }
    if (sc->rss.st == ST_OTHER) {
        dp__decode_error(ctx, "resourceSpans is not an array");
        return DP_EPARSE;
    }
    for (size_t i = 0; sc->rss.st == ST_OK && i < sc->rss.n; i++) {
        const rs_rec *rs = &sc->rs[sc->rss.off + i];
        const cslot *ssa = rs->obj ? scope_of(rs) : NULL;

        if (!rs->obj) {
            dp__decode_error(ctx, "resourceSpans[%zu] is not an object", i);
            return DP_EPARSE;
        }
        if (rs->res_st == ST_OTHER) {
            dp__decode_error(ctx, "resourceSpans[%zu].resource is not an object",
                             i);
            return DP_EPARSE;
        }
        if (ssa && ssa->st == ST_OTHER) {
            dp__decode_error(ctx, "resourceSpans[%zu].scopeSpans is not an array",
                             i);
            return DP_EPARSE;
        }
        for (size_t k = 0; ssa && k < ssa->n; k++) {
            const ss_rec *ss = &sc->ss[ssa->off + k];
            if (!ss->obj) {
                dp__decode_error(ctx,
                                 "resourceSpans[%zu].scopeSpans[%zu] is not an "
                                 "object",
                                 i, k);
                return DP_EPARSE;
            }
            if (ss->spans.st == ST_OTHER) {
                dp__decode_error(ctx,
                                 "resourceSpans[%zu].scopeSpans[%zu].spans is "
                                 "not an array",
                                 i, k);
                return DP_EPARSE;
            }
            for (size_t j = 0; ss->spans.st == ST_OK && j < ss->spans.n; j++)
                if (sc->sp[ss->spans.off + j].kind == SP_NOT_OBJECT) {
                    dp__decode_error(ctx,
                                     "resourceSpans[%zu].scopeSpans[%zu]."
                                     "spans[%zu] is not an object",
                                     i, k, j);
                    return DP_EPARSE;
                }
        }
    }
    return 0;
}

static void deliver_span(scan *sc, dp_decode_ctx *ctx, const sp_rec *r,
                         const dp_attr *res, size_t n_res)
{
    dp_span_in in;

    if (r->kind == SP_REJECT) {
        char id[104];
        size_t n = r->id_len < 100 ? r->id_len : 100;

        memcpy(id, r->id, n);
        id[n] = '\0';
        dp__decode_reject(ctx, r->in.name, r->in.name_len, id, "%s",
                          sc->text + r->why - 1);
        return;
    }
    in = r->in;
    in.attrs = in.n_attrs ? sc->at + r->at_off : NULL;
    in.resource_attrs = n_res ? res : NULL;
    in.n_resource_attrs = n_res;
    in.links = in.n_links ? sc->ln + r->ln_off : NULL;
    dp__decode_deliver(ctx, &in);
}

/* The second half of otlp_json.c's decode: every span in order. */
static void deliver(scan *sc, dp_decode_ctx *ctx)
{
    /* Array items were recorded as indexes: the arrays stopped moving. */
    for (size_t i = 0; i < sc->n_at; i++)
        if (sc->at[i].value.type == DP_VAL_ARRAY)
            sc->at[i].value.u.arr.items =
                sc->at[i].value.u.arr.n
                    ? sc->va + (uintptr_t)sc->at[i].value.u.arr.items
                    : NULL;
    for (size_t i = 0; sc->rss.st == ST_OK && i < sc->rss.n; i++) {
        const rs_rec *rs = &sc->rs[sc->rss.off + i];
        const cslot *ssa = scope_of(rs);
        const char *why = rs->res_st == ST_OK ? attrs_why(sc, &rs->res) : NULL;
        size_t n_res = rs->res_st == ST_OK && rs->res.st == ST_OK ? rs->res.n : 0;

        if (why) {
            size_t n = 0;
            for (size_t k = 0; ssa && k < ssa->n; k++)
                n += sc->ss[ssa->off + k].spans.st == ST_OK
                         ? sc->ss[ssa->off + k].spans.n
                         : 0;
            ctx->spans_rejected += n;
            dp__decode_error(ctx,
                             "resourceSpans[%zu].resource: %s; its %zu spans "
                             "were rejected",
                             i, why, n);
            continue;
        }
        for (size_t k = 0; ssa && k < ssa->n; k++) {
            const ss_rec *ss = &sc->ss[ssa->off + k];
            for (size_t j = 0; ss->spans.st == ST_OK && j < ss->spans.n; j++)
                deliver_span(sc, ctx, &sc->sp[ss->spans.off + j],
                             n_res ? sc->at + rs->res.off : NULL, n_res);
        }
    }
}

int dp_otlp_json_scan_ex(dp_decode_ctx *ctx, const char *buf, size_t len,
                         unsigned flags)
{
    scan sc;
    int rc = 0;

    if (!ctx || !ctx->sink || (!buf && len))
        return DP_EINVAL;
    memset(&sc, 0, sizeof(sc));
    sc.l.b = (const unsigned char *)(buf ? buf : "");
    sc.l.len = len;
    sc.keep_all = flags & DP_JSON_SCAN_KEEP_ALL_ATTRS;
    if (parse_root(&sc) || sc.nomem) {
        if (sc.nomem || sc.l.nomem) {
            dp__decode_error(ctx, "out of memory decoding a request");
            rc = DP_ENOMEM;
        } else {
            char text[160];
            int line, column;

            jl_error(&sc.l, text, sizeof(text), &line, &column);
            dp__decode_error(ctx, "malformed JSON at line %d, column %d: %s",
                             line, column, text);
            rc = DP_EPARSE;
        }
    } else if (!(rc = check_shape(&sc, ctx))) {
        deliver(&sc, ctx);
    }
    free(sc.rs);
    free(sc.ss);
    free(sc.sp);
    free(sc.at);
    free(sc.va);
    free(sc.ln);
    free(sc.text);
    free(sc.ub);
    return rc;
}

int dp_otlp_json_scan(dp_decode_ctx *ctx, const char *buf, size_t len)
{
    return dp_otlp_json_scan_ex(ctx, buf, len, 0);
}
