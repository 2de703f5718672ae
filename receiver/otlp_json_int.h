/*
 * otlp_json_int.h - internal to the single-pass OTLP/JSON scanner
 * (otlp_json.h): its per-call state and records, the inline helpers
 * that walk JSON objects and arrays exactly as jansson's parser does, and
 * the dp__js_ functions its three files share:
 *
 *   otlp_json.c       requests: entry points, records, shape check,
 *                          delivery; skipping and capturing any value
 *   otlp_json_span.c  spans, links, status, attributes, AnyValues
 *   otlp_json_conv.c  strings (escapes) and scalars (integers,
 *                          doubles, ids) as tests/reference/otlp_json_ref.c
 * converts them
 *
 * Conventions: a value reader is called with the value's first token
 * current and depth d (the root is 1), and returns 0 with the value's last
 * token current, or -1 after a JSON error (in sc->l) or when out of memory
 * (sc->nomem). Record arrays grow while the text is read, so records point
 * at each other by index; views into the input and into sc->ub never move.
 */
#ifndef DP_OTLP_JSON_INT_H
#define DP_OTLP_JSON_INT_H

#include "otlp_json.h"
#include "otlp_json_lex.h"

enum { ST_ABSENT = 0, ST_NULL, ST_OK, ST_OTHER }; /* a container field */
enum {
    JV_ABSENT = 0,
    JV_NULL,
    JV_STR,
    JV_INT,
    JV_REAL,
    JV_TRUE,
    JV_FALSE,
    JV_OBJ,
    JV_ARR
};
enum { SP_NOT_OBJECT = 0, SP_OK, SP_REJECT };
enum { ID_OK = 0, ID_EMPTY, ID_NOT_STRING, ID_NOT_HEX, ID_WRONG_LEN };
#define VAL_ESC_STR 64 /* a DP_VAL_STR whose bytes still hold escapes */

/* A scalar field as jansson would hold it; a string as its raw bytes until
 * dp__js_jv_text decodes it (once). */
typedef struct jv {
    uint8_t t, camel, esc;
    const char *s;
    size_t n;
    int64_t i;
    double d;
} jv;

/* A field holding an array of records: where they are in a record array. */
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

typedef struct rq_rec { /* a request (the root, or an element of a root array)
                         */
    bool obj;
    cslot rss;
} rq_rec;

typedef struct rs_rec {
    bool obj;
    uint8_t res_st; /* the "resource" field */
    attrs_out res;
    cslot scope[2]; /* scopeSpans, then the pre-0.15 instrumentationLibrarySpans
                     */
} rs_rec;

typedef struct ss_rec {
    bool obj;
    cslot spans;
} ss_rec;

typedef struct sp_rec {
    uint8_t kind;
    size_t why;     /* SP_REJECT */
    const char *id; /* SP_REJECT: the span id text up to a NUL */
    size_t id_len;
    size_t at_off, ln_off; /* SP_OK */
    dp_span_in in;         /* SP_OK: all but the array pointers; name */
} sp_rec;

typedef struct scan {
    jlex l;
    unsigned flags;
    bool nomem;
    rq_rec *rq;
    size_t n_rq, cap_rq;
    rs_rec *rs;
    size_t n_rs, cap_rs;
    ss_rec *ss;
    size_t n_ss, cap_ss;
    sp_rec *sp;
    size_t n_sp, cap_sp;
    dp_attr *at;
    size_t n_at, cap_at;
    dp_value *va; /* array items */
    size_t n_va, cap_va;
    dp_link_in *ln;
    size_t n_ln, cap_ln;
    char *text; /* reasons for rejections */
    size_t n_text, cap_text;
    char *ub; /* decoded escapes; never moves (capacity: the input length) */
    size_t n_ub;
    struct {
        const char *key; /* NULL: empty slot */
        size_t len;
        bool wanted;
    } wanted[64]; /* dp_processor_attr_wanted answers for keys seen */
} scan;

/* Member names the scanner reads (dp__js_key_id). */
enum key_id {
    K_OTHER = 0,
    K_RSPANS,
    K_RSPANS_S,
    K_RESOURCE,
    K_SSPANS,
    K_SSPANS_S,
    K_ILS,
    K_ILS_S,
    K_ATTRIBUTES,
    K_SPANS,
    K_NAME,
    K_TRACE,
    K_TRACE_S,
    K_SPAN,
    K_SPAN_S,
    K_PARENT,
    K_PARENT_S,
    K_START,
    K_START_S,
    K_END,
    K_END_S,
    K_STATUS,
    K_LINKS,
    K_CODE,
    K_KEY,
    K_VALUE,
    K_STRING,
    K_STRING_S,
    K_INT,
    K_INT_S,
    K_DOUBLE,
    K_DOUBLE_S,
    K_BOOL,
    K_BOOL_S,
    K_ARRAY,
    K_ARRAY_S,
    K_VALUES
};

/* ---- otlp_json.c ---------------------------------------------------- */

/* Appends one uninitialised element to *arr (n items, capacity cap) and
 * returns it; NULL (and sc->nomem) when out of memory. */
void *dp__js_push(scan *sc, void **arr, size_t *n, size_t *cap, size_t elem);
#define PUSH(sc, a)                                                            \
    dp__js_push((sc), (void **)&(sc)->a, &(sc)->n_##a, &(sc)->cap_##a,         \
                sizeof(*(sc)->a))

/* Appends a reason to sc->text; returns its offset + 1, 0 when out of
 * memory (then sc->nomem). */
size_t dp__js_text_add(scan *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int dp__js_key_id(const char *s, size_t n);
int dp__js_skip_nested(scan *sc, int d);
/* Reads any value into *v (containers are checked and skipped). */
int dp__js_capture(scan *sc, int d, jv *v);

/* ---- otlp_json_span.c ----------------------------------------------- */

int dp__js_span(scan *sc, int d); /* one element of a spans array */
int dp__js_attrs(scan *sc, int d, attrs_out *out);
/* The reason an attributes field rejects its span or resource, or NULL. */
const char *dp__js_attrs_why(const scan *sc, const attrs_out *a);

/* ---- otlp_json_conv.c ----------------------------------------------- */

/* Decodes the escapes of a string the tokenizer accepted (n raw bytes)
 * into out; returns the length, or SIZE_MAX when it passes cap bytes. */
size_t dp__js_unescape(const char *s, size_t n, char *out, size_t cap);
/* A string view as text: the raw bytes, or decoded into sc->ub. */
const char *dp__js_str_text(scan *sc, const char *s, size_t n, bool esc,
                            size_t *out_n);
const char *dp__js_jv_text(scan *sc, jv *v, size_t *n);
size_t dp__js_c_len(const char *s, size_t n); /* up to a NUL */
bool dp__js_jv_u64(scan *sc, jv *x, uint64_t *out);
bool dp__js_jv_i64(scan *sc, jv *x, int64_t *out);
bool dp__js_jv_double(scan *sc, jv *x, double *out);
/* tests/reference/otlp_json_ref.c's id_from_json: ID_*; *digits gets the string
 * length. */
int dp__js_id(scan *sc, jv *x, uint8_t *out, size_t n, size_t *digits);

/* ---- walking JSON as jansson's parser does --------------------------------
 */

#define ENTER(sc, d)                                                           \
    do {                                                                       \
        if ((d) > JL_MAX_DEPTH)                                                \
            return jl_fail_tok(&(sc)->l, JE_OTHER,                             \
                               "maximum parsing depth reached");               \
    } while (0)

static inline bool is_scalar(int tok)
{
    return tok == JT_STR || tok == JT_INT || tok == JT_REAL || tok == JT_TRUE ||
           tok == JT_FALSE || tok == JT_NULL;
}

/* Skips (checking it) the value whose first token is current. */
static inline int skip_value(scan *sc, int d)
{
    if (is_scalar(sc->l.tok) && d <= JL_MAX_DEPTH)
        return 0;
    return dp__js_skip_nested(sc, d);
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
        return jl_fail_tok(l, JE_SYNTAX, "string or '}' expected");
    if (l->knul)
        return jl_fail_tok(l, JE_OTHER, "NUL byte in object key not supported");
    if (!l->esc) {
        *id = dp__js_key_id(s, n);
    } else {
        char k[32];
        size_t kn = dp__js_unescape(s, n, k, sizeof(k));
        *id = kn == SIZE_MAX ? K_OTHER : dp__js_key_id(k, kn);
    }
    if (jl_next(l))
        return -1;
    if (l->tok != ':')
        return jl_fail_tok(l, JE_SYNTAX, "':' expected");
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
        return jl_fail_tok(l, JE_SYNTAX, "'}' expected");
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
        return jl_fail_tok(l, JE_SYNTAX, "']' expected");
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
            return jl_fail_tok(l, JE_SYNTAX, "']' expected");
        return 0;
    }
    if (l->tok != ']')
        return jl_fail_tok(l, JE_SYNTAX, "']' expected");
    return 1;
}

/* With a container field's first token current at depth d: 1 with
 * *st = ST_OK when it opens one (open: '{' or '['); else the value is
 * skipped, *st set to ST_NULL or ST_OTHER, and 0 returned (-1 after a JSON
 * error). */
static inline int field_open(scan *sc, int d, int open, uint8_t *st)
{
    ENTER(sc, d);
    if (sc->l.tok == open) {
        *st = ST_OK;
        return 1;
    }
    *st = sc->l.tok == JT_NULL ? ST_NULL : ST_OTHER;
    return skip_value(sc, d);
}

/* Reads one member of an object into ctx: called with the key named (k, a
 * K_*) and the value's first token current at depth d. */
typedef int (*member_fn)(scan *sc, int d, int k, void *ctx);

/* With '{' current at depth d: hands each member to member; 0 with '}'
 * current, or -1. */
static inline int obj_members(scan *sc, int d, member_fn member, void *ctx)
{
    int r, k;

    for (r = obj_begin(sc); r == 0; r = obj_next(sc))
        if (obj_key(sc, &k) || member(sc, d + 1, k, ctx))
            return -1;
    return r < 0 ? -1 : 0;
}

/* A field that holds an object (*st as field_open sets it) whose members
 * go to member. */
static inline int obj_field(scan *sc, int d, uint8_t *st, member_fn member,
                            void *ctx)
{
    int r = field_open(sc, d, '{', st);

    return r <= 0 ? r : obj_members(sc, d, member, ctx);
}

/* A field with a lowerCamelCase and a snake_case name: the camel one wins
 * wherever it stands, among twins the last one. True: read this one. */
static inline bool take(uint8_t *camel_seen, bool camel)
{
    if (camel) {
        *camel_seen = 1;
        return true;
    }
    return !*camel_seen;
}

static inline int field_jv(scan *sc, int d, jv *v, bool camel)
{
    return take(&v->camel, camel) ? dp__js_capture(sc, d, v)
                                  : skip_value(sc, d);
}

#endif /* DP_OTLP_JSON_INT_H */
