/*
 * test_trace_file.c - unit tests for receiver/trace_file.c: the fixture files
 * of tests/data/decode/ (Collector-style JSON lines, a pretty-printed
 * document, length-delimited and bare protobuf written by an independent
 * encoder, make_fixtures.py) must all give the same spans; malformed lines,
 * truncated protobuf, empty and missing files give the documented codes and
 * messages naming file and line or message and offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace_file.h"

#include "decode_capture.h"

#define TID "5b8efff798038103d269b633813fc60c"

/* ctx->where as seen by the sink, one per span. */
static dp_decode_ctx *where_ctx;
static char *wheres[CAP_MAX];
static size_t n_wheres;

static int where_sink(void *user, const dp_span_in *s)
{
    int rc = capture_sink(user, s);

    if (rc == 0 && n_wheres < CAP_MAX) {
        wheres[n_wheres++] = strdup(where_ctx->where ? where_ctx->where : "");
    }
    return rc;
}

static void wheres_reset(void)
{
    while (n_wheres)
        free(wheres[--n_wheres]);
}

static char *fixture(const char *name)
{
    static char paths[8][1024];
    static int next;
    char *p = paths[next++ % 8];

    snprintf(p, 1024, "%s/tests/data/decode/%s", DP_SOURCE_DIR, name);
    return p;
}

static char *msgf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *msgf(const char *fmt, ...)
{
    static char buf[4][2048];
    static int next;
    char *p = buf[next++ % 4];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p, 2048, fmt, ap);
    va_end(ap);
    return p;
}

/* Writes data to a file in the build tree; returns its path (malloc'd). */
static char *write_tmp(const char *name, const void *data, size_t len)
{
    char *path = malloc(1024);
    FILE *f;

    assert_non_null(path);
    snprintf(path, 1024, "%s/test_trace_file.%s", DP_BINARY_DIR, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);

    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    assert_true(*len < (1 << 20));
    fclose(f);
    return buf;
}

static int read_file(dp_decode_ctx *ctx, capture *c, const char *path,
                     int format)
{
    ctx_init(ctx, c, "caller");
    ctx->sink = where_sink;
    where_ctx = ctx;
    wheres_reset();
    return dp_trace_file_read(path, format, ctx);
}

static void assert_fixture_spans(const dp_decode_ctx *ctx, const capture *c)
{
    assert_int_equal(c->n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(c->spans[i], fix_spans[i]);
    assert_int_equal(c->n_msgs, 0);
    assert_int_equal(ctx->spans_accepted, 3);
    assert_int_equal(ctx->spans_rejected, 0);
    assert_string_equal(ctx->where, "caller"); /* restored */
}

static void test_trace_file_reads_collector_json_lines(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    const char *path = fixture("lines.json");
    (void)state;

    for (int format = DP_FORMAT_AUTO; format <= DP_FORMAT_JSON; format++) {
        assert_int_equal(read_file(&ctx, &c, path, format), 0);
        assert_fixture_spans(&ctx, &c);
        assert_int_equal(n_wheres, 3);
        assert_string_equal(wheres[0], msgf("%s:1", path));
        assert_string_equal(wheres[1], msgf("%s:1", path));
        assert_string_equal(wheres[2], msgf("%s:3", path));
        capture_reset(&c);
    }
    wheres_reset();
}

static void test_trace_file_reads_a_pretty_printed_document(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    const char *path = fixture("pretty.json");
    (void)state;

    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_AUTO), 0);
    assert_fixture_spans(&ctx, &c);
    assert_string_equal(wheres[2], msgf("%s:1", path));
    capture_reset(&c);
    wheres_reset();
}

static void
test_trace_file_delimited_and_bare_proto_give_the_same_spans(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    const char *delim = fixture("same_trace.pb"),
               *bare = fixture("same_trace_bare.pb");
    (void)state;

    for (int format = DP_FORMAT_AUTO; format <= DP_FORMAT_PROTO;
         format += DP_FORMAT_PROTO) {
        assert_int_equal(read_file(&ctx, &c, delim, format), 0);
        assert_fixture_spans(&ctx, &c);
        /* Frame 1 is 2 + 489 bytes (length prefix e9 03). */
        assert_string_equal(wheres[0], msgf("%s: message 1 (offset 0)", delim));
        assert_string_equal(wheres[1], msgf("%s: message 1 (offset 0)", delim));
        assert_string_equal(wheres[2],
                            msgf("%s: message 2 (offset 491)", delim));
        capture_reset(&c);

        assert_int_equal(read_file(&ctx, &c, bare, format), 0);
        assert_fixture_spans(&ctx, &c);
        assert_string_equal(wheres[2], msgf("%s: message 1 (offset 0)", bare));
        capture_reset(&c);
    }
    wheres_reset();
}

/* The same trace as JSON lines, pretty JSON, delimited and bare protobuf:
 * identical dp_span_in sequences, compared with each other directly. */
static void test_trace_file_json_and_proto_give_identical_spans(void **state)
{
    static const char *const names[] = {"lines.json", "pretty.json",
                                        "same_trace.pb", "same_trace_bare.pb"};
    dp_decode_ctx ctx;
    capture first, c;
    (void)state;

    assert_int_equal(read_file(&ctx, &first, fixture(names[0]), DP_FORMAT_AUTO),
                     0);
    assert_int_equal(first.n, 3);
    for (size_t i = 1; i < 4; i++) {
        assert_int_equal(read_file(&ctx, &c, fixture(names[i]), DP_FORMAT_AUTO),
                         0);
        assert_int_equal(c.n, first.n);
        for (size_t k = 0; k < c.n; k++)
            assert_string_equal(c.spans[k], first.spans[k]);
        capture_reset(&c);
    }
    capture_reset(&first);
    wheres_reset();
}

static void test_trace_file_skips_malformed_lines(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    const char *path = fixture("bad_lines.json");
    (void)state;

    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_AUTO), DP_EPARSE);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.spans[0], "T=" TID " S=1000000000000001 P=- N='ok-1' "
                                    "t=10..20 st=0 A={} R={} L={}");
    assert_string_equal(c.spans[1], "T=" TID " S=1000000000000004 P=- N='ok-4' "
                                    "t=40..50 st=0 A={} R={} L={}");
    assert_string_equal(c.spans[2], "T=" TID " S=1000000000000006 P=- N='ok-6' "
                                    "t=60..70 st=0 A={} R={} L={}");
    assert_string_equal(wheres[2], msgf("%s:6", path));
    assert_int_equal(c.n_msgs, 4);
    /* Line 2 is 54 bytes and stops inside an object. */
    assert_string_equal(c.msgs[0], msgf("%s:2: malformed JSON at column 54: "
                                        "unexpected token near end of file",
                                        path));
    assert_string_equal(c.msgs[1],
                        msgf("%s:4: span ends-early (1000000000000002): "
                             "span ends before it starts",
                             path));
    assert_string_equal(c.msgs[2],
                        msgf("%s:4: span short-trace (1000000000000003): "
                             "traceId has 6 hex digits, want 32",
                             path));
    assert_string_equal(c.msgs[3], msgf("%s:5: malformed JSON at column 1: "
                                        "'[' or '{' expected near ']'",
                                        path));
    assert_int_equal(ctx.spans_accepted, 3);
    assert_int_equal(ctx.spans_rejected, 2);
    assert_string_equal(ctx.where, "caller");
    capture_reset(&c);
    wheres_reset();
}

static void test_trace_file_empty_files_give_nothing(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    for (int format = DP_FORMAT_AUTO; format <= DP_FORMAT_PROTO; format++) {
        assert_int_equal(read_file(&ctx, &c, fixture("empty.json"), format), 0);
        assert_int_equal(c.n + c.n_msgs, 0);
    }
    assert_int_equal(read_file(&ctx, &c, fixture("blank.json"), DP_FORMAT_AUTO),
                     0);
    assert_int_equal(read_file(&ctx, &c, fixture("blank.json"), DP_FORMAT_JSON),
                     0);
    assert_int_equal(c.n + c.n_msgs, 0);
    assert_int_equal(ctx.spans_accepted + ctx.spans_rejected, 0);
}

static void test_trace_file_missing_file_is_eio(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    const char *path = fixture("no-such-file.json");
    const char *dir = fixture("");
    (void)state;

    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_AUTO), DP_EIO);
    assert_int_equal(c.n_msgs, 1);
    assert_string_equal(c.msgs[0], msgf("%s: cannot open: No such file or "
                                        "directory",
                                        path));
    assert_string_equal(ctx.where, "caller");
    capture_reset(&c);
    assert_int_equal(read_file(&ctx, &c, dir, DP_FORMAT_AUTO), DP_EIO);
    assert_int_equal(c.n_msgs, 1);
    assert_string_equal(c.msgs[0], msgf("%s: read error: Is a directory", dir));
    capture_reset(&c);
    assert_int_equal(dp_trace_file_read(path, 7, &ctx), DP_EINVAL);
}

static void test_trace_file_truncated_proto_is_parse_error(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    size_t len;
    char *buf = slurp(fixture("same_trace.pb"), &len), *path;
    (void)state;

    /* Delimited, last 10 bytes missing: frame 1 is delivered, frame 2
     * (offset 491, prefix cc 03 = 460 bytes) has 943 - 493 = 450 left. */
    assert_int_equal(len, 953);
    path = write_tmp("cut.pb", buf, len - 10);
    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_AUTO), DP_EPARSE);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.spans[0], fix_spans[0]);
    assert_string_equal(c.spans[1], fix_spans[1]);
    assert_int_equal(c.n_msgs, 1);
    assert_string_equal(c.msgs[0],
                        msgf("%s: message 2 (offset 491): truncated: "
                             "length 460 but 450 bytes left",
                             path));
    capture_reset(&c);
    free(path);
    free(buf);

    buf = slurp(fixture("same_trace_bare.pb"), &len);
    assert_int_equal(len, 949);
    path = write_tmp("cut_bare.pb", buf, len - 10);
    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_PROTO), DP_EPARSE);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.n_msgs, 1);
    assert_string_equal(c.msgs[0], msgf("%s: message 1 (offset 0): malformed "
                                        "protobuf ExportTraceServiceRequest "
                                        "(939 bytes)",
                                        path));
    capture_reset(&c);
    free(path);
    free(buf);
    wheres_reset();
}

static void test_trace_file_reads_stdin(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    assert_non_null(freopen(fixture("lines.json"), "rb", stdin));
    assert_int_equal(read_file(&ctx, &c, "-", DP_FORMAT_AUTO), 0);
    assert_fixture_spans(&ctx, &c);
    assert_string_equal(wheres[2], "stdin:3");
    capture_reset(&c);
    assert_non_null(freopen(fixture("same_trace.pb"), "rb", stdin));
    assert_int_equal(read_file(&ctx, &c, "-", DP_FORMAT_AUTO), 0);
    assert_fixture_spans(&ctx, &c);
    assert_string_equal(wheres[2], "stdin: message 2 (offset 491)");
    capture_reset(&c);
    wheres_reset();
}

/* A 2.6 MB first line (past the 1 MiB read chunk), CRLF line ends and a
 * byte order mark. */
static void test_trace_file_long_lines_crlf_and_bom(void **state)
{
    enum { N = 20000 };
    size_t cap = (size_t)N * 160 + 4096, off = 0;
    char *text = malloc(cap), *path;
    dp_decode_ctx ctx;
    capture c;
    (void)state;

    assert_non_null(text);
    off += (size_t)snprintf(
        text + off, cap - off,
        "\xEF\xBB\xBF{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[");
    for (size_t i = 0; i < N; i++)
        off += (size_t)snprintf(
            text + off, cap - off,
            "%s{\"traceId\":\"" TID "\",\"spanId\":\"%016zx\","
            "\"name\":\"span-%zu\",\"startTimeUnixNano\":\"%zu\","
            "\"endTimeUnixNano\":\"%zu\"}",
            i ? "," : "", i + 1, i, i, i + 5);
    off +=
        (size_t)snprintf(text + off, cap - off,
                         "]}]}]}\r\n\r\n{\"resourceSpans\":[{\"scopeSpans\":[{"
                         "\"spans\":[{\"traceId\":\"" TID "\",\"spanId\":"
                         "\"ffffffffffffffff\",\"name\":\"last\"}]}]}]}\r\n");
    path = write_tmp("long.json", text, off);
    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_AUTO), 0);
    assert_int_equal(c.n_msgs, 0);
    assert_int_equal(ctx.spans_accepted, N + 1);
    assert_int_equal(c.seen, N + 1);
    /* Only CAP_MAX spans are kept as text; check the first ones. */
    assert_string_equal(c.spans[0], "T=" TID " S=0000000000000001 P=- "
                                    "N='span-0' t=0..5 st=0 A={} R={} L={}");
    assert_string_equal(c.spans[CAP_MAX - 1],
                        "T=" TID " S=0000000000000400 P=- N='span-1023' "
                        "t=1023..1028 st=0 A={} R={} L={}");
    assert_string_equal(wheres[CAP_MAX - 1], msgf("%s:1", path));
    capture_reset(&c);
    wheres_reset();
    free(path);
    free(text);
}

/* A first line that is a cut-off request looks like the start of a pretty
 * document; when the whole file does not parse as one, it is read line by
 * line after all. */
static void test_trace_file_cut_first_line_falls_back_to_lines(void **state)
{
    static const char text[] =
        "{\"resourceSpans\":[\n"
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" TID
        "\",\"spanId\":\"0000000000000002\",\"name\":\"two\"}]}]}]}\n";
    dp_decode_ctx ctx;
    capture c;
    char *path = write_tmp("cut_first.json", text, sizeof(text) - 1);
    (void)state;

    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_AUTO), DP_EPARSE);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.spans[0], "T=" TID " S=0000000000000002 P=- N='two' "
                                    "t=0..0 st=0 A={} R={} L={}");
    assert_string_equal(wheres[0], msgf("%s:2", path));
    assert_int_equal(c.n_msgs, 1);
    assert_string_equal(c.msgs[0], msgf("%s:1: malformed JSON at column 18: "
                                        "']' expected near end of file",
                                        path));
    capture_reset(&c);
    wheres_reset();
    free(path);
}

/* A pretty document may also be a top-level array of requests, or several
 * documents one after another; a broken later document is reported with its
 * line and ends the file. */
static void test_trace_file_arrays_and_several_documents(void **state)
{
    static const char text[] =
        "\n[\n  {\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n"
        "    {\"traceId\": \"" TID
        "\", \"spanId\": \"0000000000000001\"}]}]}]},\n"
        "  {}\n]\n"
        "{\n  \"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n"
        "    {\"traceId\": \"" TID
        "\", \"spanId\": \"0000000000000002\"}]}]}]\n}\n"
        "{\n  \"resourceSpans\": 5,\n  oops\n}\n";
    dp_decode_ctx ctx;
    capture c;
    char *path = write_tmp("docs.json", text, sizeof(text) - 1);
    (void)state;

    assert_int_equal(read_file(&ctx, &c, path, DP_FORMAT_AUTO), DP_EPARSE);
    assert_int_equal(c.n, 2);
    assert_string_equal(wheres[0], msgf("%s:2", path));
    assert_string_equal(wheres[1], msgf("%s:7", path));
    assert_int_equal(c.n_msgs, 1);
    assert_string_equal(c.msgs[0], msgf("%s:13: malformed JSON at column 6: "
                                        "string or '}' expected near 'oops'",
                                        path));
    capture_reset(&c);
    wheres_reset();
    free(path);
}

static void test_trace_file_forced_format_and_garbage(void **state)
{
    dp_decode_ctx ctx;
    capture c;
    uint8_t noise[4096];
    uint32_t seed = 7;
    char *path;
    (void)state;

    /* JSON read as protobuf: one message, nothing delivered. */
    assert_int_equal(
        read_file(&ctx, &c, fixture("lines.json"), DP_FORMAT_PROTO), DP_EPARSE);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.n_msgs, 1);
    capture_reset(&c);
    /* Protobuf read as JSON: every line malformed, nothing delivered. */
    assert_int_equal(
        read_file(&ctx, &c, fixture("same_trace.pb"), DP_FORMAT_JSON),
        DP_EPARSE);
    assert_int_equal(c.n, 0);
    assert_true(c.n_msgs >= 1);
    capture_reset(&c);
    /* Random bytes: never a crash, 0 or DP_EPARSE. */
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)round * 20 + 1;
        int rc;

        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            noise[i] = (uint8_t)(seed >> 16);
        }
        if (round % 2)
            noise[0] = '{';
        path = write_tmp("noise.bin", noise, n);
        rc = read_file(&ctx, &c, path, DP_FORMAT_AUTO);
        assert_true(rc == 0 || rc == DP_EPARSE);
        capture_reset(&c);
        free(path);
    }
    assert_int_equal(dp_trace_format_parse("auto"), DP_FORMAT_AUTO);
    assert_int_equal(dp_trace_format_parse("json"), DP_FORMAT_JSON);
    assert_int_equal(dp_trace_format_parse("proto"), DP_FORMAT_PROTO);
    assert_int_equal(dp_trace_format_parse("protobuf"), DP_FORMAT_PROTO);
    assert_int_equal(dp_trace_format_parse("yaml"), DP_EINVAL);
    wheres_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_file_reads_collector_json_lines),
        cmocka_unit_test(test_trace_file_reads_a_pretty_printed_document),
        cmocka_unit_test(
            test_trace_file_delimited_and_bare_proto_give_the_same_spans),
        cmocka_unit_test(test_trace_file_json_and_proto_give_identical_spans),
        cmocka_unit_test(test_trace_file_skips_malformed_lines),
        cmocka_unit_test(test_trace_file_empty_files_give_nothing),
        cmocka_unit_test(test_trace_file_missing_file_is_eio),
        cmocka_unit_test(test_trace_file_truncated_proto_is_parse_error),
        cmocka_unit_test(test_trace_file_reads_stdin),
        cmocka_unit_test(test_trace_file_long_lines_crlf_and_bom),
        cmocka_unit_test(test_trace_file_cut_first_line_falls_back_to_lines),
        cmocka_unit_test(test_trace_file_arrays_and_several_documents),
        cmocka_unit_test(test_trace_file_forced_format_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
