/*
 * test_otlp_wire.c - differential and unit tests for receiver/otlp_proto.c.
 *
 * The one-pass decoder must deliver exactly what the reference
 * (dp_ref_otlp_proto_decode, protobuf-c's unpack) delivers: same return code,
 * same spans in the same order with every field, same attributes in order
 * (all with DP_WIRE_KEEP_ALL_ATTRS, the wanted ones by default), same
 * messages and counts. otlp_wire_diff.h compares the two on thousands of
 * generated requests, on damaged copies of them, and on hand-made inputs
 * that pin down protobuf-c's corner cases (merged repeated sub-messages,
 * tag and length limits). Further cases check values by hand: the default
 * mode leaves unwanted attributes out, views point into the request, deep
 * nesting is validated without recursion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp_wire_diff.h"

/* ---- hand-made requests ----------------------------------------------------
 */

static const uint8_t tid[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* A span with good ids and name, plus extra raw field bytes. */
static void span_with(wd_buf *span, const char *name, const void *extra,
                      size_t extra_len)
{
    wd_lenf(NULL, span, 1, tid, 16);
    wd_lenf(NULL, span, 2, sid, 8);
    wd_lenf(NULL, span, 5, name, strlen(name));
    wd_put(span, extra, extra_len);
}

/* request { resource_spans { [res] scope_spans { spans: span } } } */
static void request_of(wd_buf *req, const wd_buf *span, const void *res,
                       size_t res_len)
{
    wd_buf ss = {0}, rs = {0};
    wd_lenf(NULL, &ss, 2, span->p, span->len);
    wd_put(&rs, res, res_len);
    wd_lenf(NULL, &rs, 2, ss.p, ss.len);
    wd_lenf(NULL, req, 1, rs.p, rs.len);
    wd_free(&ss);
    wd_free(&rs);
}

/* A request of one span "a" with extra raw span bytes (given as text of
 * hex digits), run through both decoders; returns the wire decoder's code
 * after asserting it agrees with the reference. */
static int check_hex(const char *extra_hex, const char *res_hex)
{
    uint8_t extra[256], res[256];
    size_t el = strlen(extra_hex) / 2, rl = res_hex ? strlen(res_hex) / 2 : 0;
    wd_buf span = {0}, req = {0};
    wd_out out;
    int rc;

    for (size_t i = 0; i < el; i++)
        sscanf(extra_hex + 2 * i, "%2hhx", &extra[i]);
    for (size_t i = 0; i < rl; i++)
        sscanf(res_hex + 2 * i, "%2hhx", &res[i]);
    span_with(&span, "a", extra, el);
    request_of(&req, &span, res, rl);
    assert_true(wd_same(req.p, req.len, true));
    rc = wd_decode(WD_WIRE, false, req.p, req.len, &out);
    wd_free(&out.text);
    wd_free(&span);
    wd_free(&req);
    return rc;
}

/* The wire decoder's text for one span "a" with extra raw bytes. */
static char *text_hex(const char *extra_hex, bool keep_all)
{
    uint8_t extra[256];
    size_t el = strlen(extra_hex) / 2;
    wd_buf span = {0}, req = {0};
    wd_out out;

    for (size_t i = 0; i < el; i++)
        sscanf(extra_hex + 2 * i, "%2hhx", &extra[i]);
    span_with(&span, "a", extra, el);
    request_of(&req, &span, NULL, 0);
    wd_decode(keep_all ? WD_WIRE_ALL : WD_WIRE, !keep_all, req.p, req.len,
              &out);
    wd_free(&span);
    wd_free(&req);
    return (char *)out.text.p;
}

/* ---- differential runs ------------------------------------------------------
 */

static void test_otlp_wire_generated_requests_match_reference(void **state)
{
    (void)state;
    size_t spans = 0;
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        wd_rng r = {seed * 0x9e3779b97f4a7c15ULL};
        wd_buf b = {0};
        wd_out o;
        wd_request(&r, &b);
        if (!wd_same(b.p, b.len, true))
            fail_msg("seed %llu differs", (unsigned long long)seed);
        wd_decode(WD_WIRE, true, b.p, b.len, &o);
        spans += o.spans;
        wd_free(&o.text);
        wd_free(&b);
    }
    /* The generator must actually produce spans the sink sees. */
    assert_true(spans > 3000);
}

static void test_otlp_wire_damaged_requests_match_reference(void **state)
{
    (void)state;
    size_t rejected = 0, accepted = 0;
    for (uint64_t seed = 1; seed <= 4000; seed++) {
        wd_rng r = {seed * 0xbf58476d1ce4e5b9ULL + 7};
        wd_buf b = {0};
        wd_out o;
        wd_request(&r, &b);
        wd_mutate(&r, &b);
        if (!wd_same(b.p, b.len, true))
            fail_msg("seed %llu differs", (unsigned long long)seed);
        if (wd_decode(WD_WIRE, true, b.p, b.len, &o) == DP_EPARSE)
            rejected++;
        else
            accepted++;
        wd_free(&o.text);
        wd_free(&b);
    }
    /* Both outcomes must be exercised. */
    fprintf(stderr, "damaged: %zu rejected, %zu accepted\n", rejected,
            accepted);
    assert_true(rejected > 400);
    assert_true(accepted > 400);
}

/* ---- protobuf-c's corner cases, pinned down
 * ---------------------------------- */

static void test_otlp_wire_tag_and_length_limits(void **state)
{
    (void)state;
    assert_int_equal(check_hex("", NULL), 0);
    /* field number 0 in a one-byte tag: rejected; in a two-byte tag: an
     * unknown field. */
    assert_int_equal(check_hex("0001", NULL), DP_EPARSE);
    assert_int_equal(check_hex("0200", NULL), DP_EPARSE);
    assert_int_equal(check_hex("800001", NULL), 0);
    /* tags of 5 bytes are fine, 6 are not */
    assert_int_equal(check_hex("f8ffffff0f01", NULL), 0);
    assert_int_equal(check_hex("f8ffffff7f01", NULL), 0);
    assert_int_equal(check_hex("808080808001"
                               "00",
                               NULL),
                     DP_EPARSE);
    /* over-long name tag still names field 5 */
    assert_int_equal(check_hex("aa00017a", NULL), 0);
    /* length prefixes: 5 bytes over-long ok, 6 not, past 2^32 not */
    assert_int_equal(check_hex("a206818080800"
                               "07a",
                               NULL),
                     0);
    assert_int_equal(check_hex("a20681808080807a", NULL), DP_EPARSE);
    assert_int_equal(check_hex("a206818080801"
                               "07a",
                               NULL),
                     DP_EPARSE);
    assert_int_equal(check_hex("a206ffffffff0f00000000", NULL), DP_EPARSE);
    /* varints: 10 bytes ok, 11 not */
    assert_int_equal(check_hex("f801ffffffffffffffffff7f", NULL), 0);
    assert_int_equal(check_hex("f801"
                               "80808080808080808080"
                               "01",
                               NULL),
                     DP_EPARSE);
    /* wire types 3 and 4 are rejected, even on unknown fields */
    assert_int_equal(check_hex("1b", NULL), DP_EPARSE);
    assert_int_equal(check_hex("fc01", NULL), DP_EPARSE);
    /* known fields with the wrong wire type */
    assert_int_equal(check_hex("2801", NULL), DP_EPARSE);       /* name */
    assert_int_equal(check_hex("3801", NULL), DP_EPARSE);       /* start */
    assert_int_equal(check_hex("3500000000", NULL), DP_EPARSE); /* kind */
    assert_int_equal(check_hex("800105", NULL), DP_EPARSE);     /* flags */
    assert_int_equal(check_hex("5200", NULL), DP_EPARSE);       /* dropped */
    assert_int_equal(check_hex("5800", NULL), DP_EPARSE);       /* events */
    assert_int_equal(check_hex("4800", NULL), DP_EPARSE);       /* attrs */
    assert_int_equal(check_hex("390000", NULL), DP_EPARSE);     /* short */
}

static void test_otlp_wire_merges_like_protobuf_c(void **state)
{
    (void)state;
    char *t;

    /* KeyValue "k" with value {str x} then value {}: the string is lost */
    assert_int_equal(check_hex("4a0a0a016b12030a01781200", NULL), 0);
    t = text_hex("4a0a0a016b12030a01781200", true);
    assert_non_null(strstr(t, "A={'1:6b'=none0;}"));
    free(t);
    /* value {int 7} then {}: the int stays */
    assert_int_equal(check_hex("4a090a016b120218071200", NULL), 0);
    t = text_hex("4a090a016b120218071200", true);
    assert_non_null(strstr(t, "A={'1:6b'=i7;}"));
    free(t);
    /* value {} then {str y}: the later one */
    assert_int_equal(check_hex("4a0a0a016b120012030a0179", NULL), 0);
    t = text_hex("4a0a0a016b120012030a0179", true);
    assert_non_null(strstr(t, "A={'1:6b'=s'1:79';}"));
    free(t);
    /* value {} then {}: the whole request is invalid */
    assert_int_equal(check_hex("4a070a016b12001200", NULL), DP_EPARSE);
    /* ... also when the attribute is one the processor does not read */
    assert_int_equal(check_hex("4a0b0a05687474702e1200"
                               "1200",
                               NULL),
                     DP_EPARSE);
    /* status {code 2} then status {}: code 0 (the last one's) */
    assert_int_equal(check_hex("7a021802"
                               "7a00",
                               NULL),
                     0);
    t = text_hex("7a021802"
                 "7a00",
                 false);
    assert_non_null(strstr(t, " st=0 "));
    free(t);
    t = text_hex("7a021802", false);
    assert_non_null(strstr(t, " st=2 "));
    free(t);
    /* status code past 32 bits: truncated to int32 */
    t = text_hex("7a0618ffffffff7f", false);
    assert_non_null(strstr(t, " st=-1 "));
    free(t);
    /* two Resource fields: attributes concatenated */
    assert_int_equal(check_hex("", "0a0a0a08"
                                   "0a066461672e6964"
                                   "0a0c0a0a"
                                   "0a0664"
                                   "61672e69641200"),
                     0);
    /* bool values: any payload bit counts, as in protobuf-c */
    t = text_hex("4a100a016b120b10"
                 "80808080808080808002",
                 true);
    assert_non_null(strstr(t, "=b1;"));
    free(t);
    t = text_hex("4a080a016b1203108000", true);
    assert_non_null(strstr(t, "=b0;"));
    free(t);
    /* bool_value with another wire type: accepted, read from the raw
     * bytes, length prefix included */
    assert_int_equal(check_hex("4a070a016b12021200", NULL), 0);
    t = text_hex("4a070a016b12021200", true);
    assert_non_null(strstr(t, "=b0;"));
    free(t);
    t = text_hex("4a080a016b1203120100", true);
    assert_non_null(strstr(t, "=b1;"));
    free(t);
    assert_int_equal(check_hex("4a0e0a016b1209110000000000000000", NULL), 0);
    t = text_hex("4a0e0a016b1209110000000000000000", true);
    assert_non_null(strstr(t, "=b0;"));
    free(t);
    assert_int_equal(check_hex("4a0a0a016b12051500000100", NULL), 0);
    t = text_hex("4a0a0a016b12051500000100", true);
    assert_non_null(strstr(t, "=b1;"));
    free(t);
    /* a name keeps its NUL byte, and a span whose name (an identifier)
     * holds one is rejected */
    t = text_hex("2a0462"
                 "00"
                 "6364",
                 false);
    assert_null(strstr(t, "SPAN "));
    assert_non_null(strstr(t, "the span name holds a NUL byte"));
    free(t);
}

/* ---- what the default mode delivers
 * -------------------------------------------- */

static void test_otlp_wire_leaves_out_unwanted_attributes(void **state)
{
    (void)state;
    wd_buf span = {0}, req = {0}, kv = {0}, any = {0}, attrs = {0};
    const char *keys[] = {"http.method", "gen_ai.request.model", "peer.service",
                          "gen_ai.usage.input_tokens"};
    for (int i = 0; i < 4; i++) {
        wd_free(&kv);
        wd_free(&any);
        if (i == 3)
            wd_varf(NULL, &any, 3, 1234);
        else
            wd_lenf(NULL, &any, 1, "claude", 6);
        wd_lenf(NULL, &kv, 1, keys[i], strlen(keys[i]));
        wd_lenf(NULL, &kv, 2, any.p, any.len);
        wd_lenf(NULL, &attrs, 9, kv.p, kv.len);
    }
    span_with(&span, "chat", attrs.p, attrs.len);
    request_of(&req, &span, NULL, 0);
    assert_true(wd_same(req.p, req.len, true));

    wd_out o;
    assert_int_equal(wd_decode(WD_WIRE, false, req.p, req.len, &o), 0);
    assert_string_equal(
        (char *)o.text.p,
        "SPAN T=0102030405060708090a0b0c0d0e0f10 S=0102030405060708 P=- "
        "N='4:63686174' t=0..0 st=0 "
        "A={'20:67656e5f61692e726571756573742e6d6f64656c'=s'6:636c61756465';"
        "'25:67656e5f61692e75736167652e696e7075745f746f6b656e73'=i1234;} "
        "R={} L={}\nRC 0 accepted 1 rejected 0\n");
    assert_true(o.views_in_buf);
    wd_free(&o.text);
    assert_int_equal(wd_decode(WD_WIRE_ALL, false, req.p, req.len, &o), 0);
    assert_non_null(strstr((char *)o.text.p, "'11:687474702e6d6574686f64'"));
    wd_free(&o.text);
    wd_free(&span);
    wd_free(&req);
    wd_free(&kv);
    wd_free(&any);
    wd_free(&attrs);
}

static void test_otlp_wire_rejects_bad_ids_with_messages(void **state)
{
    (void)state;
    wd_buf span = {0}, req = {0};
    wd_out o;

    wd_lenf(NULL, &span, 1, tid, 3);
    wd_lenf(NULL, &span, 2, sid, 8);
    wd_lenf(NULL, &span, 5, "x", 1);
    request_of(&req, &span, NULL, 0);
    assert_true(wd_same(req.p, req.len, true));
    assert_int_equal(wd_decode(WD_WIRE, false, req.p, req.len, &o), 0);
    assert_string_equal((char *)o.text.p,
                        "MSG diff: span x (0102030405060708): trace id is 3 "
                        "bytes, want 16\nRC 0 accepted 0 rejected 1\n");
    wd_free(&o.text);
    wd_free(&span);
    wd_free(&req);

    /* Malformed input: one message, no span, DP_EPARSE. */
    static const uint8_t junk[] = {0x0a, 0x05, 0x12};
    assert_int_equal(wd_decode(WD_WIRE, false, junk, sizeof(junk), &o),
                     DP_EPARSE);
    assert_string_equal((char *)o.text.p,
                        "MSG diff: malformed protobuf "
                        "ExportTraceServiceRequest (3 bytes)\n"
                        "RC -6 accepted 0 rejected 0\n");
    wd_free(&o.text);
}

static void test_otlp_wire_deep_nesting_without_recursion(void **state)
{
    (void)state;
    /* 200,000 arrays nested in one attribute value, written outside in
     * with 5-byte length prefixes: AnyValue k (12k bytes) holds
     * array_value { values: AnyValue k-1 }; the innermost one is empty. */
    const size_t depth = 200000;
    wd_buf v = {0}, kv = {0}, span = {0}, req = {0};
    wd_out o;

    for (size_t k = depth; k >= 1; k--) {
        uint8_t lv[12];
        uint64_t arr_len = 6 + 12 * (k - 1), any_len = 12 * (k - 1);
        lv[0] = 0x2a; /* array_value */
        lv[6] = 0x0a; /* values */
        for (size_t n = dp_wire_put_varint(lv + 1, arr_len); n < 5;)
            n = wd_varint_pad1(lv + 1, n);
        for (size_t n = dp_wire_put_varint(lv + 7, any_len); n < 5;)
            n = wd_varint_pad1(lv + 7, n);
        wd_put(&v, lv, sizeof(lv));
    }
    assert_int_equal(v.len, 12 * depth);
    wd_lenf(NULL, &kv, 1, "dag.node.depends_on", 19);
    wd_lenf(NULL, &kv, 2, v.p, v.len);
    wd_lenf(NULL, &span, 9, kv.p, kv.len);
    wd_buf full = {0};
    span_with(&full, "deep", span.p, span.len);
    request_of(&req, &full, NULL, 0);
    assert_int_equal(wd_decode(WD_WIRE, false, req.p, req.len, &o), 0);
    /* One level is kept: an array holding one (nested) array item. */
    assert_non_null(strstr((char *)o.text.p, "=a[none0,];"));
    assert_non_null(strstr((char *)o.text.p, "accepted 1 rejected 0"));
    wd_free(&o.text);
    /* Cut one byte off the innermost payload: invalid at the bottom. */
    req.len--;
    assert_int_equal(wd_decode(WD_WIRE, false, req.p, req.len, &o), DP_EPARSE);
    wd_free(&o.text);
    wd_free(&v);
    wd_free(&kv);
    wd_free(&span);
    wd_free(&full);
    wd_free(&req);
}

static int null_sink(void *user, const dp_span_in *s)
{
    (void)user;
    (void)s;
    return 0;
}

static void test_otlp_wire_arguments(void **state)
{
    (void)state;
    dp_decode_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(dp_otlp_wire_decode(NULL, (const uint8_t *)"", 0),
                     DP_EINVAL);
    assert_int_equal(dp_otlp_wire_decode(&ctx, (const uint8_t *)"", 0),
                     DP_EINVAL); /* no sink */
    ctx.sink = null_sink;
    assert_int_equal(dp_otlp_wire_decode(&ctx, NULL, 3), DP_EINVAL);
    assert_int_equal(dp_otlp_wire_decode(&ctx, NULL, 0), 0);
    assert_int_equal(ctx.spans_accepted, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_wire_generated_requests_match_reference),
        cmocka_unit_test(test_otlp_wire_damaged_requests_match_reference),
        cmocka_unit_test(test_otlp_wire_tag_and_length_limits),
        cmocka_unit_test(test_otlp_wire_merges_like_protobuf_c),
        cmocka_unit_test(test_otlp_wire_leaves_out_unwanted_attributes),
        cmocka_unit_test(test_otlp_wire_rejects_bad_ids_with_messages),
        cmocka_unit_test(test_otlp_wire_deep_nesting_without_recursion),
        cmocka_unit_test(test_otlp_wire_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
