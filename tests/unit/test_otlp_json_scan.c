/*
 * test_otlp_json_scan.c - differential tests of receiver/otlp_json.c
 * (the single-pass OTLP/JSON decoder) against tests/reference/otlp_json_ref.c
 * (the jansson decoder, the reference): for every fixture in tests/data/decode,
 * for generated requests (random attribute kinds, escapes, unicode, numbers
 * as strings and numbers, snake_case twins, duplicate keys, unknown fields,
 * nesting, bad fields) and for mutated and truncated inputs, both give the
 * same return code, the same accepted and rejected counts, the same spans
 * (every field; attributes filtered by dp_processor_attr_wanted, or all with
 * DP_JSON_SCAN_KEEP_ALL_ATTRS) and the same messages, byte for byte; the
 * trace-file flags of dp_otlp_json_scan_ex are held to jansson used as
 * trace_file.c uses it, down to json_error_t's line, column, text, code and
 * position. Hand cases pin exact messages, views into the buffer and the
 * attribute filter. Generators: json_scan_gen.h; texts: json_scan_texts.h.
 *
 * With DP_SCAN_BENCH=<spans> (or DP_SCAN_BENCH_FILE=<a file of one request
 * per line>) test_otlp_json_scan_bench prints spans/s of both decoders on
 * one thread; otherwise it is skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "hex.h"
#include "otlp_decode.h"
#include "otlp_json.h"
#include "otlp_ref.h"

#include "json_scan_gen.h"
#include "json_scan_texts.h"

/* ---- one decoder run, as text ------------------------------------------- */

typedef struct run {
    int rc;
    unsigned long long acc, rej;
    sb spans, msgs;
    bool filter; /* write only attributes dp_processor_attr_wanted keeps */
    const char *lo, *hi; /* the input: counts views that point into it */
    size_t views_in_buf;
} run;

static void value_text(sb *b, const dp_value *v, bool item)
{
    uint64_t bits;

    switch (v->type) {
    case DP_VAL_STR:
        sb_puts(b, "s'");
        sb_bytes(b, v->u.str.ptr, v->u.str.len);
        sb_puts(b, "'");
        break;
    case DP_VAL_INT:
        sb_printf(b, "i%lld", (long long)v->u.i);
        break;
    case DP_VAL_DOUBLE:
        memcpy(&bits, &v->u.d, 8);
        sb_printf(b, "d%.17g/%016llx", v->u.d, (unsigned long long)bits);
        break;
    case DP_VAL_BOOL:
        sb_printf(b, "b%d", v->u.b);
        break;
    case DP_VAL_ARRAY:
        assert_false(item);
        assert_true(v->u.arr.n == 0 ? v->u.arr.items == NULL
                                    : v->u.arr.items != NULL);
        sb_puts(b, "a[");
        for (size_t i = 0; i < v->u.arr.n; i++) {
            sb_puts(b, i ? "," : "");
            value_text(b, &v->u.arr.items[i], true);
        }
        sb_puts(b, "]");
        break;
    default:
        assert_int_equal(v->type, DP_VAL_NONE);
        sb_puts(b, "none");
    }
}

static void attrs_text(run *r, const dp_attr *a, size_t n)
{
    assert_true(n == 0 ? a == NULL : a != NULL);
    sb_puts(&r->spans, "{");
    for (size_t i = 0; i < n; i++) {
        if (r->filter && !dp_processor_attr_wanted(a[i].key, a[i].key_len))
            continue;
        sb_bytes(&r->spans, a[i].key, a[i].key_len);
        sb_puts(&r->spans, "=");
        value_text(&r->spans, &a[i].value, false);
        sb_puts(&r->spans, ";");
        if (a[i].key >= r->lo && a[i].key < r->hi)
            r->views_in_buf++;
    }
    sb_puts(&r->spans, "}");
}

/* Like dp_processor_add_span: a span that ends before it starts is refused,
 * so the deliver-time rejection path runs too. */
static int run_sink(void *user, const dp_span_in *s)
{
    run *r = user;
    char hex[33];

    if (s->end_ns < s->start_ns)
        return DP_EBADSPAN;
    dp_hex_encode(s->trace_id, 16, hex);
    sb_printf(&r->spans, "T=%s", hex);
    dp_hex_encode(s->span_id, 8, hex);
    sb_printf(&r->spans, " S=%s", hex);
    dp_hex_encode(s->parent_span_id, 8, hex);
    sb_printf(&r->spans, " P=%s N='", s->has_parent ? hex : "-");
    sb_bytes(&r->spans, s->name, s->name_len);
    sb_printf(&r->spans,
              "' t=%llu..%llu st=%d A=", (unsigned long long)s->start_ns,
              (unsigned long long)s->end_ns, s->status_code);
    attrs_text(r, s->attrs, s->n_attrs);
    sb_puts(&r->spans, " R=");
    attrs_text(r, s->resource_attrs, s->n_resource_attrs);
    sb_puts(&r->spans, " L={");
    assert_true(s->n_links == 0 ? s->links == NULL : s->links != NULL);
    for (size_t i = 0; i < s->n_links; i++) {
        dp_hex_encode(s->links[i].trace_id, 16, hex);
        sb_printf(&r->spans, "%s/", hex);
        dp_hex_encode(s->links[i].span_id, 8, hex);
        sb_printf(&r->spans, "%s;", hex);
    }
    sb_puts(&r->spans, "}\n");
    return 0;
}

static void run_msg(void *user, const char *msg)
{
    run *r = user;
    sb_puts(&r->msgs, msg);
    sb_puts(&r->msgs, "\n");
}

static void run_free(run *r)
{
    free(r->spans.s);
    free(r->msgs.s);
}

#include "json_scan_ref.h"

/* which: 0 jansson, 1 scan, 2 scan keeping every attribute; 3 and 4: the
 * reference and the scanner with flags (and the result in res). */
static void run_one_ex(run *r, int which, bool filter, const char *buf,
                       size_t len, unsigned flags, dp_json_scan_result *res)
{
    dp_decode_ctx ctx;

    memset(r, 0, sizeof(*r));
    r->filter = filter;
    r->lo = buf;
    r->hi = buf + len;
    sb_puts(&r->spans, "");
    sb_puts(&r->msgs, "");
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = run_sink;
    ctx.sink_user = r;
    ctx.on_error = run_msg;
    ctx.error_user = r;
    ctx.where = "in.json:7";
    switch (which) {
    case 0:
        r->rc = dp_ref_otlp_json_decode(&ctx, buf, len);
        break;
    case 1:
        r->rc = dp_otlp_json_scan(&ctx, buf, len);
        break;
    case 2:
        r->rc = dp_otlp_json_scan_ex(&ctx, buf, len,
                                     DP_JSON_SCAN_KEEP_ALL_ATTRS, NULL);
        break;
    case 3:
        r->rc = ref_decode_ex(&ctx, buf, len, flags, res);
        break;
    default:
        r->rc = dp_otlp_json_scan_ex(&ctx, buf, len, flags, res);
    }
    r->acc = ctx.spans_accepted;
    r->rej = ctx.spans_rejected;
    if (r->rc == DP_EPARSE && which < 3)
        assert_int_equal(r->acc, 0);
}

static unsigned long n_compared, n_parse_errors, n_spans_seen;

static void show_diff(const char *what, const char *buf, size_t len,
                      const run *a, const run *b)
{
    sb in = {0};

    sb_bytes(&in, buf, len < 4000 ? len : 4000);
    print_error("%s differ on input (%zu bytes):\n%s\n", what, len, in.s);
    print_error("jansson: rc=%d acc=%llu rej=%llu\nspans:\n%smsgs:\n%s\n",
                a->rc, a->acc, a->rej, a->spans.s, a->msgs.s);
    print_error("scan:    rc=%d acc=%llu rej=%llu\nspans:\n%smsgs:\n%s\n",
                b->rc, b->acc, b->rej, b->spans.s, b->msgs.s);
    free(in.s);
}

/* Both decoders, both attribute modes, and the flags of
 * dp_otlp_json_scan_ex against their jansson reference: everything must be
 * equal, down to jansson's error line, column, text, code and position. */
static void agree(const char *buf, size_t len)
{
    static const unsigned flag_sets[] = {
        DP_JSON_SCAN_FIRST_VALUE,
        DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_QUIET_SYNTAX,
        DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_FIRST_VALUE |
            DP_JSON_SCAN_KEEP_ALL_ATTRS,
        DP_JSON_SCAN_QUIET_SYNTAX};
    unsigned flags = flag_sets[n_compared % 4];

    for (int mode = 0; mode < 3; mode++) {
        dp_json_scan_result rres, gres;
        bool keep =
            mode == 1 || (mode == 2 && (flags & DP_JSON_SCAN_KEEP_ALL_ATTRS));
        run ref, got;

        run_one_ex(&ref, mode < 2 ? 0 : 3, !keep, buf, len, flags, &rres);
        run_one_ex(&got,
                   mode == 0   ? 1
                   : mode == 1 ? 2
                               : 4,
                   !keep, buf, len, flags, &gres);
        if (ref.rc != got.rc || ref.acc != got.acc || ref.rej != got.rej ||
            strcmp(ref.spans.s, got.spans.s) != 0 ||
            strcmp(ref.msgs.s, got.msgs.s) != 0) {
            show_diff(mode == 0   ? "filtered"
                      : mode == 1 ? "keep-all"
                                  : "flags",
                      buf, len, &ref, &got);
            fail();
        }
        if (mode == 2 &&
            (rres.line != gres.line || rres.column != gres.column ||
             strcmp(rres.text, gres.text) != 0 ||
             rres.premature != gres.premature || rres.used != gres.used)) {
            show_diff("results", buf, len, &ref, &got);
            print_error("flags %u: jansson %d:%d '%s' premature=%d used=%zu\n"
                        "         scan    %d:%d '%s' premature=%d used=%zu\n",
                        flags, rres.line, rres.column, rres.text,
                        rres.premature, rres.used, gres.line, gres.column,
                        gres.text, gres.premature, gres.used);
            fail();
        }
        n_parse_errors += mode == 0 && ref.rc == DP_EPARSE;
        n_spans_seen += mode == 0 ? ref.acc : 0;
        run_free(&ref);
        run_free(&got);
    }
    n_compared++;
}

static void agree_str(const char *s)
{
    agree(s, strlen(s));
}

static char *read_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_otlp_json_scan_fixtures_agree(void **state)
{
    static const char *const names[] = {"lines.json", "pretty.json",
                                        "bad_lines.json", "empty.json",
                                        "blank.json"};
    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        char path[1024];
        size_t len, off = 0;
        char *buf;

        snprintf(path, sizeof(path), "%s/tests/data/decode/%s", DP_SOURCE_DIR,
                 names[i]);
        buf = read_path(path, &len);
        agree(buf, len);    /* the whole file */
        while (off < len) { /* and line by line, as trace files are read */
            const char *nl = memchr(buf + off, '\n', len - off);
            size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
            agree(buf + off, n);
            off += n + 1;
        }
        free(buf);
    }
    assert_true(n_spans_seen >=
                9); /* 3 in lines.json, 3 in pretty.json, 3 ok */
}

static void test_otlp_json_scan_generated_requests_agree(void **state)
{
    gen g = {.s = 0x9e3779b97f4a7c15ull};
    unsigned long spans_before = n_spans_seen, errors_before = n_parse_errors;
    (void)state;

    for (int i = 0; i < 3000; i++) {
        g.bad = i % 3 == 0 ? 0 : i % 3 == 1 ? 20 : 150;
        g.pretty = i % 4 == 0 ? 300 : 0;
        gen_request(&g);
        agree(g.out.s, g.out.n);
    }
    /* The generator really produced spans, and malformed JSON (a surrogate
     * or a real overflow) now and then. */
    print_message("%lu spans accepted, %lu malformed texts\n",
                  n_spans_seen - spans_before, n_parse_errors - errors_before);
    assert_true(n_spans_seen - spans_before > 5000);
    assert_true(n_parse_errors - errors_before > 10);
    free(g.out.s);
}

static void test_otlp_json_scan_mutations_agree(void **state)
{
    gen g = {.s = 12345}, src = {.s = 777};
    char *copy = NULL;
    size_t cap = 0;
    (void)state;

    for (int i = 0; i < 12000; i++) {
        size_t len;

        src.bad = i % 2 ? 0 : 50;
        src.pretty = i % 5 == 0 ? 200 : 0;
        if (i % 6 == 0)
            gen_request(&src);
        if (src.out.n + 64 > cap) {
            cap = src.out.n * 2 + 64;
            copy = realloc(copy, cap);
            assert_non_null(copy);
        }
        memcpy(copy, src.out.s, src.out.n);
        len = mutate(&g, copy, src.out.n, cap);
        agree(copy, len);
    }
    free(copy);
    free(src.out.s);
}

/* Corners of the JSON text where the two could drift apart. */
static void test_otlp_json_scan_tricky_texts_agree(void **state)
{
    (void)state;

    for (size_t i = 0; i < sizeof(tricky_texts) / sizeof(*tricky_texts); i++)
        agree_str(tricky_texts[i]);
    /* Texts with NUL bytes, by explicit length. */
    {
        static const char nul1[] = "{\"a\":1\0}", nul2[] = "{\"a\":[1\0,2]}",
                          nul3[] = "{\"a\":true\0\n\0}",
                          nul4[] = "{\"a\":\"\0\"}",
                          nul5[] = "{\"a\":1\0\n  x}", nul6[] = "{\"a\":1\0x}";
        agree(nul1, sizeof(nul1) - 1);
        agree(nul2, sizeof(nul2) - 1);
        agree(nul3, sizeof(nul3) - 1);
        agree(nul4, sizeof(nul4) - 1);
        agree(nul5, sizeof(nul5) - 1);
        agree(nul6, sizeof(nul6) - 1);
    }
    /* Nesting at and past jansson's depth limit, in an unknown field. */
    for (int depth = 2045; depth <= 2050; depth++) {
        sb t = {0};
        sb_puts(&t, "{\"x\":");
        for (int i = 0; i < depth; i++)
            sb_puts(&t, i % 2 ? "{\"k\":" : "[");
        sb_puts(&t, "1");
        for (int i = depth - 1; i >= 0; i--)
            sb_puts(&t, i % 2 ? "}" : "]");
        sb_puts(&t, "}");
        agree(t.s, t.n);
        free(t.s);
    }
}

/* ---- hand-computed cases ----------------------------------------------------
 */

#define TID "5b8efff798038103d269b633813fc60c"
#define SP(extra)                                                              \
    "{\"traceId\":\"" TID                                                      \
    "\",\"spanId\":\"0102030405060708\",\"name\":\"n\"" extra "}"
#define REQ1(spans)                                                            \
    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" spans "]}]}]}"

/* Runs the scanner alone (filtered) and returns the run for inspection. */
static void scan_only(run *r, const char *text, unsigned flags)
{
    dp_decode_ctx ctx;
    size_t len = strlen(text);

    memset(r, 0, sizeof(*r));
    r->lo = text;
    r->hi = text + len;
    sb_puts(&r->spans, "");
    sb_puts(&r->msgs, "");
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = run_sink;
    ctx.sink_user = r;
    ctx.on_error = run_msg;
    ctx.error_user = r;
    ctx.where = "in.json:7";
    r->rc = dp_otlp_json_scan_ex(&ctx, text, len, flags, NULL);
    r->acc = ctx.spans_accepted;
    r->rej = ctx.spans_rejected;
}

static void test_otlp_json_scan_exact_messages(void **state)
{
    static const struct {
        const char *text;
        int rc;
        const char *msgs;
    } cases[] = {
        /* "tru" ends at line 2, character 7: jansson's line and column. */
        {"{\"a\":1,\n\"b\":tru}", DP_EPARSE,
         "in.json:7: malformed JSON at line 2, column 7: invalid token near "
         "'tru'\n"},
        /* Columns count characters: two spaces, the 3 characters "ü", a
         * space and x. */
        {"{\"\xc3\xa9\":\n  \"\xc3\xbc\" x}", DP_EPARSE,
         "in.json:7: malformed JSON at line 2, column 7: '}' expected near "
         "'x'\n"},
        {"{\"a\":\"\\uD800\"}", DP_EPARSE,
         "in.json:7: malformed JSON at line 1, column 13: invalid Unicode "
         "'\\uD800' near '\"\\uD800\"'\n"},
        {"{\"a\":\"\xff\"}", DP_EPARSE,
         "in.json:7: malformed JSON at line 1, column 6: unable to decode byte "
         "0xff near '\"'\n"},
        {"[]", DP_EPARSE,
         "in.json:7: not an ExportTraceServiceRequest: the JSON value is not "
         "an object\n"},
        {REQ1(SP(",\"traceId\":\"5b8eff\"")), 0,
         "in.json:7: span n (0102030405060708): traceId has 6 hex digits, "
         "want 32\n"},
        {REQ1(SP("") "," SP(",\"parentSpanId\":\"x\"")), 0,
         "in.json:7: span n (0102030405060708): parentSpanId is not hex\n"},
        /* One span is fine, but the request is not shaped like one. */
        {REQ1(SP("") ",5"), DP_EPARSE,
         "in.json:7: resourceSpans[0].scopeSpans[0].spans[1] is not an "
         "object\n"},
        {"{\"resourceSpans\":[{\"resource\":{\"attributes\":[3]},"
         "\"scopeSpans\":"
         "[{\"spans\":[" SP("") "," SP("") "]}]}]}",
         0,
         "in.json:7: resourceSpans[0].resource: attributes[0] is not an "
         "object; its 2 spans were rejected\n"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        run r;
        scan_only(&r, cases[i].text, 0);
        assert_int_equal(r.rc, cases[i].rc);
        assert_string_equal(r.msgs.s, cases[i].msgs);
        assert_int_equal(r.acc, i == 6 ? 1 : 0);
        run_free(&r);
        agree_str(cases[i].text);
    }
}

static void test_otlp_json_scan_views_and_escapes(void **state)
{
    static const char text[] = REQ1(
        SP(",\"attributes\":["
           "{\"key\":\"dag.node.id\",\"value\":{\"stringValue\":\"plain\"}},"
           "{\"key\":\"dag\\u002eid\",\"value\":{\"stringValue\":"
           "\"a\\\"b\\u00fc\\uD83D\\uDE00\\n\"}}]"));
    run r;
    (void)state;

    scan_only(&r, text, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.acc, 1);
    /* The escaped key and value are decoded: dag.id = a"bü😀\n. */
    assert_string_equal(r.spans.s,
                        "T=" TID " S=0102030405060708 P=- N='n' t=0..0 st=0 "
                        "A={dag.node.id=s'plain';dag.id=s'a\"b\\xc3\\xbc"
                        "\\xf0\\x9f\\x98\\x80\\x0a';} R={} L={}\n");
    /* Of the two keys only the one without escapes points into the input. */
    assert_int_equal(r.views_in_buf, 1);
    run_free(&r);
    agree(text, sizeof(text) - 1);
}

static void test_otlp_json_scan_leaves_out_unwanted_attributes(void **state)
{
    static const char kept[] = REQ1(
        SP(",\"attributes\":["
           "{\"key\":\"http.method\",\"value\":{\"stringValue\":\"GET\"}},"
           "{\"key\":\"dag.node.id\",\"value\":{\"stringValue\":\"fetch\"}},"
           "{\"key\":\"user.id\",\"value\":{\"arrayValue\":{\"values\":[{"
           "\"intValue\":1}]}}},"
           "{\"key\":\"gen_ai.prompt.0.content\",\"value\":{\"stringValue\":"
           "\"hi\"}}]"));
    /* An attribute the processor never reads still rejects a bad span. */
    static const char bad_one[] = REQ1(
        SP(",\"attributes\":["
           "{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"2x\"}}]"));
    run r;
    (void)state;

    scan_only(&r, kept, 0);
    assert_string_equal(
        r.spans.s, "T=" TID " S=0102030405060708 P=- N='n' t=0..0 st=0 "
                   "A={dag.node.id=s'fetch';gen_ai.prompt.0.content=s'hi';} "
                   "R={} L={}\n");
    run_free(&r);
    scan_only(&r, kept, DP_JSON_SCAN_KEEP_ALL_ATTRS);
    assert_string_equal(r.spans.s,
                        "T=" TID " S=0102030405060708 P=- N='n' t=0..0 st=0 "
                        "A={http.method=s'GET';dag.node.id=s'fetch';"
                        "user.id=a[i1];gen_ai.prompt.0.content=s'hi';} "
                        "R={} L={}\n");
    run_free(&r);
    scan_only(&r, bad_one, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.acc, 0);
    assert_int_equal(r.rej, 1);
    assert_string_equal(r.msgs.s,
                        "in.json:7: span n (0102030405060708): attribute "
                        "\"http.status_code\": intValue is not a 64-bit "
                        "integer\n");
    run_free(&r);
    agree(kept, sizeof(kept) - 1);
    agree(bad_one, sizeof(bad_one) - 1);
}

/* A trace file's cases: a root array of requests, a document followed by
 * more text, a line cut inside a value. */
static void test_otlp_json_scan_arrays_first_value_and_results(void **state)
{
    static const char docs[] = "[" REQ1(SP("")) ",5,{\"resourceSpans\":3}]\n{}";
    static const char cut[] = "{\"resourceSpans\":[\n";
    dp_json_scan_result res;
    dp_decode_ctx ctx;
    run r;
    (void)state;

    memset(&r, 0, sizeof(r));
    sb_puts(&r.spans, "");
    sb_puts(&r.msgs, "");
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = run_sink;
    ctx.sink_user = &r;
    ctx.on_error = run_msg;
    ctx.error_user = &r;
    /* Element 0 is delivered; 1 and 2 are not requests; the document ends
     * at the ']' (158 of its 161 bytes). */
    assert_int_equal(dp_otlp_json_scan_ex(
                         &ctx, docs, sizeof(docs) - 1,
                         DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_FIRST_VALUE, &res),
                     DP_EPARSE);
    assert_int_equal(ctx.spans_accepted, 1);
    assert_int_equal(res.used, 158);
    assert_string_equal(
        r.msgs.s, "array element 1 is not an ExportTraceServiceRequest object\n"
                  "resourceSpans is not an array\n");
    /* Without FIRST_VALUE the "{}" after it is an error, and nothing is
     * delivered; without ARRAY the array is not a request. */
    assert_int_equal(dp_otlp_json_scan_ex(&ctx, docs, sizeof(docs) - 1,
                                          DP_JSON_SCAN_ARRAY, &res),
                     DP_EPARSE);
    assert_int_equal(ctx.spans_accepted, 1);
    assert_string_equal(res.text, "end of file expected near '{'");
    assert_int_equal(res.line, 2);
    assert_int_equal(res.column, 1);
    assert_false(res.premature);
    /* A cut line: quiet, premature, at the end of line 2. */
    r.msgs.n = 0;
    assert_int_equal(dp_otlp_json_scan_ex(&ctx, cut, sizeof(cut) - 1,
                                          DP_JSON_SCAN_QUIET_SYNTAX, &res),
                     DP_EPARSE);
    assert_int_equal(r.msgs.n, 0);
    assert_string_equal(res.text, "']' expected near end of file");
    assert_int_equal(res.line, 2);
    assert_int_equal(res.column, 0);
    assert_true(res.premature);
    assert_int_equal(res.used, sizeof(cut) - 1);
    run_free(&r);
    agree(docs, sizeof(docs) - 1);
    agree(cut, sizeof(cut) - 1);
}

/* ---- bench ------------------------------------------------------------------
 */

static int count_sink(void *user, const dp_span_in *s)
{
    (void)s;
    (*(size_t *)user)++;
    return 0;
}

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Decodes every line of buf with one decoder; the best of 3 runs, in
 * thread CPU time (*cpu) and wall time (returned). */
static double bench_one(const char *buf, size_t len, int which, size_t *spans,
                        double *cpu)
{
    double best = 1e30;

    *cpu = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double w0 = clock_s(CLOCK_MONOTONIC),
               c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        size_t n = 0;
        for (size_t off = 0; off < len;) {
            const char *nl = memchr(buf + off, '\n', len - off);
            size_t ll = nl ? (size_t)(nl - (buf + off)) : len - off;
            dp_decode_ctx ctx;

            memset(&ctx, 0, sizeof(ctx));
            ctx.sink = count_sink;
            ctx.sink_user = &n;
            if (ll)
                assert_int_equal(
                    which == 0
                        ? dp_ref_otlp_json_decode(&ctx, buf + off, ll)
                        : dp_otlp_json_scan_ex(
                              &ctx, buf + off, ll,
                              which == 2 ? DP_JSON_SCAN_KEEP_ALL_ATTRS : 0,
                              NULL),
                    0);
            off += ll + 1;
        }
        c0 = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        w0 = clock_s(CLOCK_MONOTONIC) - w0;
        *cpu = c0 < *cpu ? c0 : *cpu;
        best = w0 < best ? w0 : best;
        *spans = n;
    }
    return best;
}

static void test_otlp_json_scan_bench(void **state)
{
    static const char *const names[] = {
        "jansson (tests/reference/otlp_json_ref.c)", "scan",
        "scan, all attributes"};
    const char *want = getenv("DP_SCAN_BENCH"),
               *file = getenv("DP_SCAN_BENCH_FILE");
    sb data = {0};
    (void)state;

    if (!want && !file)
        skip();
    if (file) {
        data.s = read_path(file, &data.n);
    } else {
        gen_realistic(&data, (size_t)strtoul(want, NULL, 10), 512);
    }
    for (int which = 0; which < 3; which++) {
        size_t spans = 0;
        double cpu, t = bench_one(data.s, data.n, which, &spans, &cpu);
        print_message("%-22s %zu spans, %.1f MB: cpu %.3f s = %.0f spans/s "
                      "(%.0f MB/s); wall %.3f s = %.0f spans/s\n",
                      names[which], spans, (double)data.n / 1e6, cpu,
                      (double)spans / cpu, (double)data.n / cpu / 1e6, t,
                      (double)spans / t);
    }
    free(data.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_json_scan_fixtures_agree),
        cmocka_unit_test(test_otlp_json_scan_generated_requests_agree),
        cmocka_unit_test(test_otlp_json_scan_mutations_agree),
        cmocka_unit_test(test_otlp_json_scan_tricky_texts_agree),
        cmocka_unit_test(test_otlp_json_scan_exact_messages),
        cmocka_unit_test(test_otlp_json_scan_views_and_escapes),
        cmocka_unit_test(test_otlp_json_scan_leaves_out_unwanted_attributes),
        cmocka_unit_test(test_otlp_json_scan_arrays_first_value_and_results),
        cmocka_unit_test(test_otlp_json_scan_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
