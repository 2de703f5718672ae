/*
 * test_otlp_json.c - unit tests for tests/reference/otlp_json_ref.c: OTLP/JSON
 * requests written by hand (and the pretty-printed fixture tests/data/decode/
 * pretty.json) are decoded into a capturing sink and every dp_span_in field
 * is compared with hand-written text. Covers the OTLP/JSON rules (strings or
 * numbers for 64-bit integers, hex ids in any case, enum names, snake_case,
 * unknown fields) and every kind of bad input with its exact message.
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

#define TID "5b8efff798038103d269b633813fc60c"
#define T_ "\"traceId\":\"" TID "\""
#define REQ(spans)                                                             \
    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" spans "]}]}]}"
/* The text of a span with only ids, name and times. */
#define PLAIN(id, parent, name, t)                                             \
    "T=" TID " S=" id " P=" parent " N='" name "' t=" t " st=0 A={} R={} L={}"

static int decode(dp_decode_ctx *ctx, const char *json)
{
    return dp_ref_otlp_json_decode(ctx, json, strlen(json));
}

static char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/data/decode/%s", DP_SOURCE_DIR,
             name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* pretty.json: upper-case ids, times and intValues as numbers, the status
 * as an enum name, vendor fields; same spans as the other fixtures. */
static void test_otlp_json_decodes_every_field(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    char *buf = read_fixture("pretty.json", &len);
    (void)state;

    ctx_init(&ctx, &c, "pretty");
    assert_int_equal(dp_ref_otlp_json_decode(&ctx, buf, len), 0);
    assert_int_equal(c.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(c.spans[i], fix_spans[i]);
    assert_int_equal(c.n_msgs, 0);
    assert_int_equal(ctx.spans_accepted, 3);
    capture_reset(&c);
    free(buf);
}

static void test_otlp_json_times_as_strings_and_numbers(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx, REQ("{" T_ ",\"spanId\":\"0000000000000001\","
                         "\"startTimeUnixNano\":\"1700000000000000001\","
                         "\"endTimeUnixNano\":1700000000000000002},"
                         "{" T_ ",\"spanId\":\"0000000000000002\","
                         "\"startTimeUnixNano\":1.5e9,"
                         "\"endTimeUnixNano\":\"18446744073709551615\"},"
                         "{" T_ ",\"spanId\":\"0000000000000003\"}")),
        0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.spans[0],
                        PLAIN("0000000000000001", "-", "",
                              "1700000000000000001..1700000000000000002"));
    assert_string_equal(c.spans[1], PLAIN("0000000000000002", "-", "",
                                          "1500000000..18446744073709551615"));
    assert_string_equal(c.spans[2], PLAIN("0000000000000003", "-", "", "0..0"));
    assert_int_equal(c.n_msgs, 0);
    capture_reset(&c);
}

static void test_otlp_json_int_values_as_strings_and_numbers(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(
            &ctx,
            REQ("{" T_ ",\"spanId\":\"0000000000000001\",\"attributes\":["
                "{\"key\":\"a\",\"value\":{\"intValue\":\"42\"}},"
                "{\"key\":\"b\",\"value\":{\"intValue\":42}},"
                "{\"key\":\"c\",\"value\":{\"intValue\":\"-"
                "9223372036854775808\"}},"
                "{\"key\":\"d\",\"value\":{\"intValue\":9223372036854775807}},"
                "{\"key\":\"e\",\"value\":{\"intValue\":\"007\"}},"
                "{\"key\":\"f\",\"value\":{\"intValue\":-3}},"
                "{\"key\":\"g\",\"value\":{\"intValue\":2.0}}]}")),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0],
                        "T=" TID " S=0000000000000001 P=- N='' t=0..0 st=0 "
                        "A={a=i42;b=i42;c=i-9223372036854775808;"
                        "d=i9223372036854775807;e=i7;f=i-3;g=i2} R={} L={}");
    capture_reset(&c);
}

static void test_otlp_json_reads_ids_in_any_case(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx, REQ("{\"traceId\":\"5B8EFFF798038103D269B633813FC60C\","
                         "\"spanId\":\"ABCDEF0123456789\","
                         "\"parentSpanId\":\"aBcDeF0123456788\"}")),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(
        c.spans[0], PLAIN("abcdef0123456789", "abcdef0123456788", "", "0..0"));
    capture_reset(&c);
}

static void test_otlp_json_ignores_unknown_fields(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(
            &ctx,
            "{\"x\":1,\"resourceSpans\":[{\"y\":[1,2],\"resource\":{\"z\":{},"
            "\"attributes\":[{\"key\":\"r\",\"value\":{\"stringValue\":\"v\"},"
            "\"w\":0}]},\"scopeSpans\":[{\"q\":\"\",\"spans\":[{" T_
            ",\"spanId\":\"0000000000000001\",\"name\":\"n\","
            "\"kind\":3,\"traceState\":\"a=b\",\"droppedLinksCount\":4,"
            "\"events\":[{\"name\":\"e\"}],\"future\":{\"deep\":[null]},"
            "\"attributes\":[{\"key\":\"k\",\"value\":{\"newKind\":1}},"
            "{\"key\":\"m\",\"value\":{\"stringValue\":\"s\",\"extra\":2}}]}]}]"
            "}],"
            "\"partialSuccess\":{}}"),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0],
                        "T=" TID " S=0000000000000001 P=- N='n' t=0..0 st=0 "
                        "A={k=none;m=s's'} R={r=s'v'} L={}");
    assert_int_equal(c.n_msgs, 0);
    capture_reset(&c);
}

static void test_otlp_json_accepts_snake_case_names(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx,
               "{\"resource_spans\":[{\"resource\":{\"attributes\":[{\"key\":"
               "\"r\",\"value\":{\"int_value\":\"5\"}}]},\"scope_spans\":[{"
               "\"spans\":[{\"trace_id\":\"" TID "\",\"span_id\":"
               "\"0000000000000002\",\"parent_span_id\":\"0000000000000001\","
               "\"name\":\"snake\",\"start_time_unix_nano\":\"10\","
               "\"end_time_unix_nano\":20,\"status\":{\"code\":2},"
               "\"attributes\":[{\"key\":\"s\",\"value\":{\"string_value\":"
               "\"x\"}},"
               "{\"key\":\"d\",\"value\":{\"double_value\":1.25}},"
               "{\"key\":\"b\",\"value\":{\"bool_value\":true}},"
               "{\"key\":\"a\",\"value\":{\"array_value\":{\"values\":["
               "{\"int_value\":1}]}}}],"
               "\"links\":[{\"trace_id\":\"" TID "\",\"span_id\":"
               "\"0000000000000009\"}]}]}]},"
               /* the pre-1.0 name of scopeSpans */
               "{\"instrumentationLibrarySpans\":[{\"spans\":[{" T_
               ",\"spanId\":\"0000000000000003\"}]}]}]}"),
        0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.spans[0],
                        "T=" TID " S=0000000000000002 P=0000000000000001 "
                        "N='snake' t=10..20 st=2 A={s=s'x';d=d1.25;b=btrue;"
                        "a=a[i1]} R={r=i5} L={" TID "/0000000000000009}");
    assert_string_equal(c.spans[1], PLAIN("0000000000000003", "-", "", "0..0"));
    capture_reset(&c);
}

static void test_otlp_json_rejects_wrong_length_ids(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, "t.json:3");
    assert_int_equal(
        decode(
            &ctx,
            REQ("{" T_ ",\"spanId\":\"1000000000000001\",\"name\":\"good-1\"},"
                "{\"traceId\":\"5b8efff798038103d269b633813fc6\",\"spanId\":"
                "\"1000000000000002\",\"name\":\"short-trace\"},"
                "{" T_ ",\"spanId\":\"100000000000003\",\"name\":\"odd-span\"},"
                "{" T_ ",\"spanId\":\"1000000000000004\",\"parentSpanId\":"
                "\"10000000000000\",\"name\":\"short-parent\"},"
                "{\"spanId\":\"1000000000000005\",\"name\":\"no-trace\"},"
                "{" T_ ",\"name\":\"no-span\"},"
                "{" T_
                ",\"spanId\":\"1000000000000007\",\"name\":\"good-7\"}")),
        0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.spans[0],
                        PLAIN("1000000000000001", "-", "good-1", "0..0"));
    assert_string_equal(c.spans[1],
                        PLAIN("1000000000000007", "-", "good-7", "0..0"));
    assert_int_equal(c.n_msgs, 5);
    assert_string_equal(c.msgs[0],
                        "t.json:3: span short-trace (1000000000000002): "
                        "traceId has 30 hex digits, want 32");
    assert_string_equal(c.msgs[1], "t.json:3: span odd-span (100000000000003): "
                                   "spanId has 15 hex digits, want 16");
    assert_string_equal(c.msgs[2],
                        "t.json:3: span short-parent (1000000000000004): "
                        "parentSpanId has 14 hex digits, want 16 or none");
    assert_string_equal(c.msgs[3],
                        "t.json:3: span no-trace (1000000000000005): "
                        "traceId has 0 hex digits, want 32");
    assert_string_equal(c.msgs[4], "t.json:3: span no-span (no span id): "
                                   "spanId has 0 hex digits, want 16");
    assert_int_equal(ctx.spans_accepted, 2);
    assert_int_equal(ctx.spans_rejected, 5);
    capture_reset(&c);
}

static void test_otlp_json_rejects_zero_ids(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, "z");
    assert_int_equal(
        decode(
            &ctx,
            REQ("{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":"
                "\"1000000000000001\",\"name\":\"a\"},"
                "{" T_ ",\"spanId\":\"0000000000000000\",\"name\":\"b\"},"
                "{" T_ ",\"spanId\":\"1000000000000003\",\"parentSpanId\":"
                "\"0000000000000000\",\"name\":\"c\"}")),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0],
                        PLAIN("1000000000000003", "-", "c", "0..0"));
    assert_int_equal(c.n_msgs, 2);
    assert_string_equal(c.msgs[0],
                        "z: span a (1000000000000001): trace id is all zeros");
    assert_string_equal(c.msgs[1],
                        "z: span b (0000000000000000): span id is all zeros");
    capture_reset(&c);
}

static void test_otlp_json_rejects_bad_fields_one_span_at_a_time(void **state)
{
    static const char *const want[] = {
        "w: span a (10000000000000zz): spanId is not hex",
        "w: span b (1000000000000002): traceId is not a string",
        "w: span c (1000000000000003): startTimeUnixNano is not an unsigned "
        "64-bit integer",
        "w: span d (1000000000000004): endTimeUnixNano is not an unsigned "
        "64-bit integer",
        "w: span e (1000000000000005): startTimeUnixNano is not an unsigned "
        "64-bit integer",
        "w: span <unnamed> (1000000000000006): name is not a string",
        "w: span g (1000000000000007): attribute \"n\": intValue is not a "
        "64-bit integer",
        "w: span h (1000000000000008): attribute \"b\": boolValue is not true "
        "or false",
        "w: span i (1000000000000009): attribute \"s\": stringValue is not a "
        "string",
        "w: span j (100000000000000a): status is not {\"code\": 0, 1 or 2}",
        "w: span k (100000000000000b): attributes is not an array",
        "w: span l (100000000000000c): links[0] has an id that is not a hex "
        "string",
        "w: span m (100000000000000d): attribute \"big\": intValue is not a "
        "64-bit integer",
        "w: span n (100000000000000e): attribute \"arr\": doubleValue is not "
        "a number",
        "w: span o (100000000000000f): attributes[0] is not an object",
        "w: span p (1000000000000010): parentSpanId is not hex",
    };
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, "w");
    assert_int_equal(
        decode(&ctx,
               REQ("{" T_ ",\"spanId\":\"10000000000000zz\",\"name\":\"a\"},"
                   "{\"traceId\":7,\"spanId\":\"1000000000000002\",\"name\":"
                   "\"b\"},"
                   "{" T_ ",\"spanId\":\"1000000000000003\",\"name\":\"c\","
                   "\"startTimeUnixNano\":\"12a\"},"
                   "{" T_ ",\"spanId\":\"1000000000000004\",\"name\":\"d\","
                   "\"endTimeUnixNano\":-1},"
                   "{" T_ ",\"spanId\":\"1000000000000005\",\"name\":\"e\","
                   "\"startTimeUnixNano\":1.5},"
                   "{" T_ ",\"spanId\":\"1000000000000006\",\"name\":5},"
                   "{" T_ ",\"spanId\":\"1000000000000007\",\"name\":\"g\","
                   "\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":"
                   "\"x\"}}]},"
                   "{" T_ ",\"spanId\":\"1000000000000008\",\"name\":\"h\","
                   "\"attributes\":[{\"key\":\"b\",\"value\":{\"boolValue\":"
                   "\"yes\"}}]},"
                   "{" T_ ",\"spanId\":\"1000000000000009\",\"name\":\"i\","
                   "\"attributes\":[{\"key\":\"s\",\"value\":{\"stringValue\":"
                   "3}}]},"
                   "{" T_ ",\"spanId\":\"100000000000000a\",\"name\":\"j\","
                   "\"status\":{\"code\":\"BOGUS\"}},"
                   "{" T_ ",\"spanId\":\"100000000000000b\",\"name\":\"k\","
                   "\"attributes\":{}},"
                   "{" T_ ",\"spanId\":\"100000000000000c\",\"name\":\"l\","
                   "\"links\":[{" T_ ",\"spanId\":\"xyz\"}]},"
                   "{" T_ ",\"spanId\":\"100000000000000d\",\"name\":\"m\","
                   "\"attributes\":[{\"key\":\"big\",\"value\":{\"intValue\":"
                   "\"9223372036854775808\"}}]},"
                   "{" T_ ",\"spanId\":\"100000000000000e\",\"name\":\"n\","
                   "\"attributes\":[{\"key\":\"arr\",\"value\":{\"arrayValue\":"
                   "{\"values\":[{\"doubleValue\":\"fast\"}]}}}]},"
                   "{" T_ ",\"spanId\":\"100000000000000f\",\"name\":\"o\","
                   "\"attributes\":[7]},"
                   "{" T_ ",\"spanId\":\"1000000000000010\",\"name\":\"p\","
                   "\"parentSpanId\":\"g000000000000000\"},"
                   "{" T_ ",\"spanId\":\"1000000000000011\",\"name\":\"ok\"}")),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0],
                        PLAIN("1000000000000011", "-", "ok", "0..0"));
    assert_int_equal(c.n_msgs, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < c.n_msgs; i++)
        assert_string_equal(c.msgs[i], want[i]);
    assert_int_equal(ctx.spans_rejected, c.n_msgs);
    assert_int_equal(ctx.spans_accepted, 1);
    capture_reset(&c);
}

static void test_otlp_json_double_values(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx,
               REQ("{" T_ ",\"spanId\":\"0000000000000001\",\"attributes\":["
                   "{\"key\":\"a\",\"value\":{\"doubleValue\":0.5}},"
                   "{\"key\":\"b\",\"value\":{\"doubleValue\":3}},"
                   "{\"key\":\"c\",\"value\":{\"doubleValue\":\"NaN\"}},"
                   "{\"key\":\"d\",\"value\":{\"doubleValue\":\"Infinity\"}},"
                   "{\"key\":\"e\",\"value\":{\"doubleValue\":\"-Infinity\"}},"
                   "{\"key\":\"f\",\"value\":{\"doubleValue\":\"2.5\"}},"
                   "{\"key\":\"g\",\"value\":{\"doubleValue\":-1e300}}]}")),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0],
                        "T=" TID " S=0000000000000001 P=- N='' t=0..0 st=0 "
                        "A={a=d0.5;b=d3;c=dnan;d=dinf;e=d-inf;f=d2.5;"
                        "g=d-1.0000000000000001e+300} R={} L={}");
    capture_reset(&c);
}

static void test_otlp_json_status_codes(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(
            &ctx,
            REQ("{" T_
                ",\"spanId\":\"0000000000000001\",\"status\":{\"code\":1}},"
                "{" T_ ",\"spanId\":\"0000000000000002\",\"status\":{\"code\":"
                "\"STATUS_CODE_ERROR\",\"message\":\"x\"}},"
                "{" T_ ",\"spanId\":\"0000000000000003\",\"status\":{\"code\":"
                "\"STATUS_CODE_OK\"}},"
                "{" T_ ",\"spanId\":\"0000000000000004\",\"status\":{}},"
                "{" T_
                ",\"spanId\":\"0000000000000005\",\"status\":{\"code\":\"2\"}},"
                "{" T_ ",\"spanId\":\"0000000000000006\",\"status\":{\"code\":"
                "\"STATUS_CODE_UNSET\"}}")),
        0);
    assert_int_equal(c.n, 6);
    assert_non_null(strstr(c.spans[0], " st=1 "));
    assert_non_null(strstr(c.spans[1], " st=2 "));
    assert_non_null(strstr(c.spans[2], " st=1 "));
    assert_non_null(strstr(c.spans[3], " st=0 "));
    assert_non_null(strstr(c.spans[4], " st=2 "));
    assert_non_null(strstr(c.spans[5], " st=0 "));
    capture_reset(&c);
}

static void test_otlp_json_links(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx,
               REQ("{" T_ ",\"spanId\":\"0000000000000001\",\"links\":["
                   "{" T_ ",\"spanId\":\"00000000000000a1\",\"attributes\":[]},"
                   "{" T_ ",\"spanId\":\"00000000000000a2ff\"},"
                   "{" T_ "},"
                   "{\"traceId\":\"5b8e\",\"spanId\":\"00000000000000a4\"},"
                   "{\"trace_id\":\"" TID
                   "\",\"span_id\":\"00000000000000A5\"}]}")),
        0);
    assert_int_equal(c.n, 1);
    /* Links with a missing or wrong-length id are dropped silently. */
    assert_string_equal(
        c.spans[0],
        "T=" TID " S=0000000000000001 P=- N='' t=0..0 st=0 A={} "
        "R={} L={" TID "/00000000000000a1;" TID "/00000000000000a5}");
    assert_int_equal(c.n_msgs, 0);
    capture_reset(&c);
}

static void test_otlp_json_malformed_is_parse_error(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, "body");
    assert_int_equal(decode(&ctx, "{\"resourceSpans\": ["), DP_EPARSE);
    assert_int_equal(decode(&ctx, "{\n  \"resourceSpans\": tru\n}"), DP_EPARSE);
    assert_int_equal(decode(&ctx, ""), DP_EPARSE);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.n_msgs, 3);
    assert_string_equal(c.msgs[0], "body: malformed JSON at line 1, column 19: "
                                   "']' expected near end of file");
    assert_string_equal(c.msgs[1], "body: malformed JSON at line 2, column 22: "
                                   "invalid token near 'tru'");
    assert_string_equal(c.msgs[2], "body: malformed JSON at line 1, column 0: "
                                   "'[' or '{' expected near end of file");
    capture_reset(&c);
}

/* A body that is JSON but not a request delivers nothing, not even the
 * well-formed spans that come before the problem. */
static void test_otlp_json_rejects_non_request_shapes(void **state)
{
    static const char *const bodies[] = {
        "[]",
        "{\"resourceSpans\":{}}",
        "{\"resourceSpans\":[1]}",
        "{\"resourceSpans\":[{\"resource\":[]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":{}}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[[]]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":{}}]}]}",
        REQ("{" T_ ",\"spanId\":\"0000000000000001\"},7"),
    };
    static const char *const want[] = {
        "not an ExportTraceServiceRequest: the JSON value is not an object",
        "resourceSpans is not an array",
        "resourceSpans[0] is not an object",
        "resourceSpans[0].resource is not an object",
        "resourceSpans[0].scopeSpans is not an array",
        "resourceSpans[0].scopeSpans[0] is not an object",
        "resourceSpans[0].scopeSpans[0].spans is not an array",
        "resourceSpans[0].scopeSpans[0].spans[1] is not an object",
    };
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        ctx_init(&ctx, &c, NULL);
        assert_int_equal(decode(&ctx, bodies[i]), DP_EPARSE);
        assert_int_equal(c.n, 0);
        assert_int_equal(c.n_msgs, 1);
        assert_string_equal(c.msgs[0], want[i]);
        assert_int_equal(ctx.spans_accepted + ctx.spans_rejected, 0);
        capture_reset(&c);
    }
    ctx_init(&ctx, &c, NULL);
    assert_int_equal(decode(&ctx, "{}"), 0);
    assert_int_equal(decode(&ctx, "{\"resourceSpans\":[]}"), 0);
    assert_int_equal(c.n + c.n_msgs, 0);
}

static void test_otlp_json_null_means_default(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx,
               "{\"resourceSpans\":[{\"resource\":null,\"scopeSpans\":[{"
               "\"scope\":null,\"spans\":[{" T_
               ",\"spanId\":\"0000000000000001\","
               "\"parentSpanId\":null,\"name\":null,\"startTimeUnixNano\":null,"
               "\"attributes\":null,\"links\":null,\"status\":null}]}]},"
               "{\"scopeSpans\":null},{\"scopeSpans\":[{\"spans\":null}]}]}"),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0], PLAIN("0000000000000001", "-", "", "0..0"));
    capture_reset(&c);
}

static void test_otlp_json_accepts_base64_ids_of_exact_length(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    /* W47/95gDgQPSabYzgT/GDA== is the fixture trace id; EBAgMEBQYHCA== is
     * 0102030405060708: what proto3 JSON writers that ignore the OTLP hex
     * rule emit. */
    assert_int_equal(
        decode(&ctx, REQ("{\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\",\"spanId\":"
                         "\"AQIDBAUGBwg=\"}")),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0], PLAIN("0102030405060708", "-", "", "0..0"));
    capture_reset(&c);
}

static void test_otlp_json_bad_resource_rejects_its_spans(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, "r");
    assert_int_equal(
        decode(
            &ctx,
            "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"n\","
            "\"value\":{\"intValue\":true}}]},\"scopeSpans\":[{\"spans\":[{" T_
            ",\"spanId\":\"0000000000000001\"},{" T_ ",\"spanId\":"
            "\"0000000000000002\"}]}]},{\"resource\":{\"attributes\":[{\"key\":"
            "\"n\",\"value\":{\"intValue\":1}}]},\"scopeSpans\":[{\"spans\":["
            "{" T_ ",\"spanId\":\"0000000000000003\"}]}]}]}"),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0], "T=" TID " S=0000000000000003 P=- N='' "
                                    "t=0..0 st=0 A={} R={n=i1} L={}");
    assert_int_equal(c.n_msgs, 1);
    assert_string_equal(c.msgs[0], "r: resourceSpans[0].resource: attribute "
                                   "\"n\": intValue is not a 64-bit integer; "
                                   "its 2 spans were rejected");
    assert_int_equal(ctx.spans_rejected, 2);
    assert_int_equal(ctx.spans_accepted, 1);
    capture_reset(&c);
}

static void test_otlp_json_keeps_nul_bytes_in_strings(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx, REQ("{" T_ ",\"spanId\":\"0000000000000001\",\"name\":"
                         "\"ab\",\"attributes\":[{\"key\":\"k\\u0000\","
                         "\"value\":{\"stringValue\":\"\\u0000\"}}]}")),
        0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0],
                        "T=" TID " S=0000000000000001 P=- N='ab' t=0..0 "
                        "st=0 A={k\\0=s'\\0'} R={} L={}");
    capture_reset(&c);
    /* In an identifier (here the name) a NUL byte rejects the span. */
    ctx_init(&ctx, &c, NULL);
    assert_int_equal(
        decode(&ctx, REQ("{" T_ ",\"spanId\":\"0000000000000001\",\"name\":"
                         "\"a\\u0000b\"}")),
        0);
    assert_int_equal(c.n, 0);
    assert_int_equal(ctx.spans_rejected, 1);
    assert_int_equal(c.n_msgs, 1);
    assert_non_null(strstr(c.msgs[0], "span a?b (0000000000000001): the span "
                                      "name holds a NUL byte"));
    capture_reset(&c);
}

/* Flipped bytes in the pretty fixture: never a crash, always 0 or
 * DP_EPARSE, and DP_EPARSE delivers nothing. */
static void test_otlp_json_survives_corrupted_input(void **state)
{
    static const char noise[] = "{}[]\",:0123456789-eE.tfnulx\\ ";
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    char *buf = read_fixture("pretty.json", &len), *copy = malloc(len);
    uint32_t seed = 99;
    (void)state;

    assert_non_null(copy);
    for (int round = 0; round < 3000; round++) {
        size_t n = len;
        int rc;

        memcpy(copy, buf, len);
        for (int k = 0; k < 1 + round % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % len] = noise[(seed >> 3) % (sizeof(noise) - 1)];
        }
        if (round % 4 == 0) {
            seed = seed * 1103515245u + 12345u;
            n = (seed >> 8) % (len + 1);
        }
        ctx_init(&ctx, &c, NULL);
        rc = dp_ref_otlp_json_decode(&ctx, copy, n);
        assert_true(rc == 0 || rc == DP_EPARSE);
        if (rc == DP_EPARSE)
            assert_int_equal(c.n, 0);
        assert_int_equal(ctx.spans_accepted, c.n);
        capture_reset(&c);
    }
    free(copy);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_json_decodes_every_field),
        cmocka_unit_test(test_otlp_json_times_as_strings_and_numbers),
        cmocka_unit_test(test_otlp_json_int_values_as_strings_and_numbers),
        cmocka_unit_test(test_otlp_json_reads_ids_in_any_case),
        cmocka_unit_test(test_otlp_json_ignores_unknown_fields),
        cmocka_unit_test(test_otlp_json_accepts_snake_case_names),
        cmocka_unit_test(test_otlp_json_rejects_wrong_length_ids),
        cmocka_unit_test(test_otlp_json_rejects_zero_ids),
        cmocka_unit_test(test_otlp_json_rejects_bad_fields_one_span_at_a_time),
        cmocka_unit_test(test_otlp_json_double_values),
        cmocka_unit_test(test_otlp_json_status_codes),
        cmocka_unit_test(test_otlp_json_links),
        cmocka_unit_test(test_otlp_json_malformed_is_parse_error),
        cmocka_unit_test(test_otlp_json_rejects_non_request_shapes),
        cmocka_unit_test(test_otlp_json_null_means_default),
        cmocka_unit_test(test_otlp_json_accepts_base64_ids_of_exact_length),
        cmocka_unit_test(test_otlp_json_bad_resource_rejects_its_spans),
        cmocka_unit_test(test_otlp_json_keeps_nul_bytes_in_strings),
        cmocka_unit_test(test_otlp_json_survives_corrupted_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
