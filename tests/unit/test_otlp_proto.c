/*
 * test_otlp_proto.c - unit tests for tests/reference/otlp_proto_ref.c: protobuf
 * ExportTraceServiceRequests are built with the protobuf-c generated structs
 * (otlp_pb_request.h), packed, decoded into a capturing sink, and every
 * dp_span_in field is compared with hand-written text; bad ids, sink
 * rejections, truncated and corrupted input give the messages and codes of
 * otlp_decode.h. NUL bytes in identifiers, for every decoder, are in
 * test_otlp_decode_nul.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp_ref.h"

#include "decode_capture.h"
#include "otlp_pb_request.h"

#define TRACE "5b8efff798038103d269b633813fc60c"

/* The fixture trace (see capture block) as one request of two resources. */
static uint8_t *fixture_request(size_t *len)
{
    span_pb *s1 = mk_span(TRACE, "eee19b7ec3c1b174", "", "code-review",
                          1700000000000000000ULL, 1700000010000000000ULL);
    span_pb *s2 =
        mk_span(TRACE, "0102030405060708", "eee19b7ec3c1b174", "fetch-code",
                1700000000100000000ULL, 1700000002000000000ULL);
    span_pb *s3 = mk_span(TRACE, "a0b0c0d0e0f00a0b", "eee19b7ec3c1b174",
                          "analyse-\xc3\xbc", 1700000002000000000ULL,
                          1700000009500000000ULL);

    span_status(s1, 1);
    span_attrs(s2, 5, kv("dag.node.id", av_str("fetch-code")),
               kv("gen_ai.usage.input_tokens", av_int(1200)),
               kv("gen_ai.request.temperature", av_double(0.25)),
               kv("cache.hit", av_bool(0)),
               kv("dag.node.depends_on", av_array(0)));
    span_attrs(
        s3, 4, kv("dag.node.id", av_str("analyze")),
        kv("dag.node.depends_on", av_array(3, av_str("fetch-code"), av_int(7),
                                           av_array(1, av_int(1)))),
        kv("gen_ai.usage.output_tokens", av_int(-5)),
        kv("meta", av_kvlist(kv("a", av_str("b")))));
    span_link(s3, TRACE, "0102030405060708");
    span_link(s3, TRACE, "01020304"); /* wrong length: dropped */
    span_status(s3, 2);
    return pack(len, 2,
                mk_rs(3, 2, kv("service.name", av_str("review-agent")),
                      kv("dag.id", av_str("code-review")),
                      kv("host.cpus", av_int(8)), s1, s2),
                mk_rs(3, 1, kv("service.name", av_str("review-agent")),
                      kv("dag.id", av_str("code-review")),
                      kv("host.cpus", av_int(8)), s3));
}

/* ---- tests -------------------------------------------------------------- */

static void test_otlp_proto_decodes_every_field(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, "req");
    buf = fixture_request(&len);
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(c.spans[i], fix_spans[i]);
    assert_int_equal(c.n_msgs, 0);
    assert_int_equal(ctx.spans_accepted, 3);
    assert_int_equal(ctx.spans_rejected, 0);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_values_of_every_kind(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    span_pb *s = mk_span(TRACE, "00000000000000ff", "", "kinds", 5, 5);
    (void)state;

    ctx_init(&ctx, &c, NULL);
    span_attrs(
        s, 9, kv("s", av_str("")), kv("max", av_int(INT64_MAX)),
        kv("min", av_int(INT64_MIN)), kv("neg", av_double(-1.5e-300)),
        kv("t", av_bool(1)), kv("bytes", av_bytes("00ff")), kv("unset", av(0)),
        kv("nothing", NULL),
        kv("mixed", av_array(4, av_bool(1), av_double(2.5), av_bytes("01"),
                             av_kvlist(kv("k", av_int(1))))));
    s->kind =
        OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_CLIENT;
    s->flags = 0x301;
    buf = pack(&len, 1, mk_rs(-1, 1, s));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(
        c.spans[0],
        "T=" TRACE " S=00000000000000ff P=- N='kinds' t=5..5 st=0"
        " A={s=s'';max=i9223372036854775807;min=i-9223372036854775808;"
        "neg=d-1.5000000000000001e-300;t=btrue;bytes=none;unset=none;"
        "nothing=none;mixed=a[btrue,d2.5,none,none]} R={} L={}");
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_rejects_wrong_length_ids(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, "batch.pb");
    buf = pack(
        &len, 1,
        mk_rs(0, 5, mk_span(TRACE, "1000000000000001", "", "good-1", 1, 2),
              mk_span("5b8efff798038103d269b633813fc6", "1000000000000002", "",
                      "short-trace", 1, 2),
              mk_span(TRACE, "10000002", "", "short-span", 1, 2),
              mk_span(TRACE, "1000000000000004", "aabbcc", "odd-parent", 1, 2),
              mk_span(TRACE, "1000000000000005", "1000000000000001", "good-5",
                      3, 4)));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.spans[0], "T=" TRACE " S=1000000000000001 P=- "
                                    "N='good-1' t=1..2 st=0 A={} R={} L={}");
    assert_string_equal(c.spans[1],
                        "T=" TRACE " S=1000000000000005 P=1000000000000001 "
                        "N='good-5' t=3..4 st=0 A={} R={} L={}");
    assert_int_equal(c.n_msgs, 3);
    assert_string_equal(c.msgs[0], "batch.pb: span short-trace "
                                   "(1000000000000002): trace id is 15 bytes, "
                                   "want 16");
    assert_string_equal(c.msgs[1], "batch.pb: span short-span (10000002): "
                                   "span id is 4 bytes, want 8");
    assert_string_equal(c.msgs[2], "batch.pb: span odd-parent "
                                   "(1000000000000004): parent span id is 3 "
                                   "bytes, want 8 or none");
    assert_int_equal(ctx.spans_accepted, 2);
    assert_int_equal(ctx.spans_rejected, 3);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_rejects_zero_ids(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, "z");
    buf = pack(&len, 1,
               mk_rs(0, 4,
                     mk_span("00000000000000000000000000000000",
                             "1000000000000001", "", "zero-trace", 1, 2),
                     mk_span(TRACE, "0000000000000000", "", "zero-span", 1, 2),
                     mk_span(TRACE, "", "", "", 1, 2),
                     mk_span(TRACE, "1000000000000004", "0000000000000000",
                             "zero-parent", 1, 2)));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 1);
    /* An all-zero parent is no parent: the span is a root. */
    assert_string_equal(c.spans[0], "T=" TRACE " S=1000000000000004 P=- "
                                    "N='zero-parent' t=1..2 st=0 A={} R={} "
                                    "L={}");
    assert_int_equal(c.n_msgs, 3);
    assert_string_equal(c.msgs[0], "z: span zero-trace (1000000000000001): "
                                   "trace id is all zeros");
    assert_string_equal(c.msgs[1], "z: span zero-span (0000000000000000): "
                                   "span id is all zeros");
    assert_string_equal(c.msgs[2], "z: span <unnamed> (no span id): span id "
                                   "is 0 bytes, want 8");
    assert_int_equal(ctx.spans_rejected, 3);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_names_sink_rejections(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    char name[301];
    (void)state;

    memset(name, 'n', 300);
    name[300] = '\0';
    name[1] = '\n'; /* control bytes never reach a terminal */
    ctx_init(&ctx, &c, NULL);
    buf = pack(
        &len, 1,
        mk_rs(0, 3, mk_span(TRACE, "1000000000000001", "", "backwards", 20, 10),
              mk_span(TRACE, "1000000000000002", "", name, 20, 10),
              mk_span(TRACE, "1000000000000003", "", "fine", 10, 10)));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.n_msgs, 2);
    assert_string_equal(c.msgs[0], "span backwards (1000000000000001): span "
                                   "ends before it starts");
    /* Names are cut to 128 bytes plus "..." in messages. */
    assert_int_equal(strncmp(c.msgs[1], "span n?nnn", 10), 0);
    assert_non_null(strstr(c.msgs[1], "nnn... (1000000000000002): span ends "
                                      "before it starts"));
    assert_int_equal(strlen(c.msgs[1]),
                     strlen("span  (1000000000000002): span ends before it "
                            "starts") +
                         128 + 3);
    assert_int_equal(ctx.spans_accepted, 1);
    assert_int_equal(ctx.spans_rejected, 2);
    capture_reset(&c);
    pool_free();
}

static void test_otlp_proto_truncated_is_parse_error(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    char want[128];
    (void)state;

    buf = fixture_request(&len);
    /* Two top-level fields: only the cut between them leaves a valid
     * message (the first resource's two spans). */
    for (size_t cut = 1; cut < len; cut++) {
        int rc;

        ctx_init(&ctx, &c, "cut");
        rc = dp_ref_otlp_proto_decode(&ctx, buf, cut);
        if (c.n == 2) {
            assert_int_equal(rc, 0);
            assert_int_equal(c.n_msgs, 0);
        } else {
            assert_int_equal(rc, DP_EPARSE);
            assert_int_equal(c.n, 0);
            assert_int_equal(c.n_msgs, 1);
            snprintf(want, sizeof(want),
                     "cut: malformed protobuf ExportTraceServiceRequest (%zu "
                     "bytes)",
                     cut);
            assert_string_equal(c.msgs[0], want);
            assert_int_equal(ctx.spans_accepted + ctx.spans_rejected, 0);
        }
        capture_reset(&c);
    }
    pool_free();
}

static void test_otlp_proto_empty_request_delivers_nothing(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, NULL, 0), 0);
    buf = pack(&len, 1, mk_rs(-1, 0));
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n + c.n_msgs, 0);
    ctx.sink = NULL;
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), DP_EINVAL);
    pool_free();
}

/* 300 spans whose attribute and array counts vary make the scratch arrays
 * grow and shrink back; every span must still see only its own values. */
static void test_otlp_proto_reuses_scratch_across_spans(void **state)
{
    enum { N = 300 };
    dp_decode_ctx ctx;
    capture c;
    span_pb *spans[N];
    resource_spans_pb *rs;
    size_t len;
    uint8_t *buf;
    char id[17], want[4096];
    (void)state;

    ctx_init(&ctx, &c, NULL);
    for (size_t i = 0; i < N; i++) {
        size_t na = (i * 7) % 11, off = 0;
        key_value **a = pool_alloc((na + 1) * sizeof(*a));

        snprintf(id, sizeof(id), "%016zx", i + 1);
        spans[i] =
            mk_span(TRACE, strcpy(pool_alloc(17), id), "", "s", i, i + 1);
        off += (size_t)snprintf(
            want + off, sizeof(want) - off,
            "T=" TRACE " S=%s P=- N='s' t=%zu..%zu st=0 A={", id, i, i + 1);
        for (size_t j = 0; j < na; j++) {
            size_t items = (i + j) % 4;
            any_value *arr = av_array(0);
            arr->array_value->n_values = items;
            arr->array_value->values =
                pool_alloc((items + 1) * sizeof(any_value *));
            for (size_t k = 0; k < items; k++)
                arr->array_value->values[k] =
                    av_int((int64_t)(i * 100 + j * 10 + k));
            a[j] = kv("k", j % 2 ? arr : av_int((int64_t)j));
            off += (size_t)snprintf(want + off, sizeof(want) - off,
                                    "%sk=", j ? ";" : "");
            if (j % 2) {
                off += (size_t)snprintf(want + off, sizeof(want) - off, "a[");
                for (size_t k = 0; k < items; k++)
                    off += (size_t)snprintf(want + off, sizeof(want) - off,
                                            "%si%zu", k ? "," : "",
                                            i * 100 + j * 10 + k);
                off += (size_t)snprintf(want + off, sizeof(want) - off, "]");
            } else {
                off +=
                    (size_t)snprintf(want + off, sizeof(want) - off, "i%zu", j);
            }
        }
        spans[i]->attributes = a;
        spans[i]->n_attributes = na;
        snprintf(want + off, sizeof(want) - off, "} R={} L={}");
        spans[i]->trace_state = strcpy(pool_alloc(strlen(want) + 1), want);
    }
    rs = mk_rs(0, 0);
    rs->scope_spans[0]->spans = spans;
    rs->scope_spans[0]->n_spans = N;
    buf = pack(&len, 1, rs);
    assert_int_equal(dp_ref_otlp_proto_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, N);
    for (size_t i = 0; i < N; i++)
        assert_string_equal(c.spans[i], spans[i]->trace_state);
    capture_reset(&c);
    pool_free();
}

/* Flipped bits, cut tails and random bytes: never a crash, always 0 or
 * DP_EPARSE, and DP_EPARSE delivers nothing. Run under ASan in CI. */
static void test_otlp_proto_survives_corrupted_input(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    uint8_t *buf, *copy;
    uint32_t seed = 12345;
    (void)state;

    buf = fixture_request(&len);
    copy = pool_alloc(len + 64);
    for (int round = 0; round < 4000; round++) {
        size_t n = len;
        int rc;

        memcpy(copy, buf, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % len] ^= (uint8_t)(1u << ((seed >> 4) % 8));
        }
        if (round % 3 == 0) {
            seed = seed * 1103515245u + 12345u;
            n = (seed >> 8) % (len + 1);
        }
        if (round % 50 == 0) {
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                copy[i] = (uint8_t)(seed >> 16);
            }
        }
        ctx_init(&ctx, &c, "fuzz");
        rc = dp_ref_otlp_proto_decode(&ctx, copy, n);
        assert_true(rc == 0 || rc == DP_EPARSE);
        if (rc == DP_EPARSE)
            assert_int_equal(c.n, 0);
        assert_int_equal(ctx.spans_accepted, c.n);
        capture_reset(&c);
    }
    pool_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_proto_decodes_every_field),
        cmocka_unit_test(test_otlp_proto_values_of_every_kind),
        cmocka_unit_test(test_otlp_proto_rejects_wrong_length_ids),
        cmocka_unit_test(test_otlp_proto_rejects_zero_ids),
        cmocka_unit_test(test_otlp_proto_names_sink_rejections),
        cmocka_unit_test(test_otlp_proto_truncated_is_parse_error),
        cmocka_unit_test(test_otlp_proto_empty_request_delivers_nothing),
        cmocka_unit_test(test_otlp_proto_reuses_scratch_across_spans),
        cmocka_unit_test(test_otlp_proto_survives_corrupted_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
