/*
 * test_otlp_http.c - the OTLP/HTTP receiver over real loopback sockets:
 * success replies (protobuf, JSON, partial success, compressed bodies),
 * error replies (body limits, routes, methods, content types, encodings,
 * the handler's outcomes, malformed requests) and connection handling
 * (keep-alive, pipelining, chunked bodies, Expect, HTTP/1.0, /healthz,
 * random bytes). Timers, shutdown and connection caps are in
 * test_otlp_http_limits.c.
 *
 * Each case starts a dp_http_server on 127.0.0.1 port 0 with a stub export
 * handler (otlp_http_fixture.h) and talks to it with a blocking POSIX
 * socket client, so every request byte is chosen here and every reply byte
 * is checked here: status line, headers, Content-Length and body. All reads
 * have a 5 s timeout and every loop is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_http_fixture.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
    export_response;
#define response_unpack(n, b)                                                          \
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack( \
        NULL, (n), (const uint8_t *)(b))
#define response_free(m)                                                                      \
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked( \
        (m), NULL)

static int setup(void **state)
{
    *state = fx_new(1 * MIB, 10000);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static size_t gzip_bytes(const void *in, size_t len, size_t repeat,
                         int window_bits, uint8_t **out)
{
    size_t n = dp_htc_compress(in, len, repeat, window_bits, out);
    assert_true(n > 0);
    return n;
}

/* Sends one request and checks status and (when given) one header. */
static void expect_status(fx *f, const char *req, int status, const char *hname,
                          const char *hval, bool closes)
{
    int calls = stub_calls(&f->st);
    client *cl = cl_open(f->port);
    cl_sends(cl, req);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, status);
    if (hname)
        assert_true(hdr_is(&r, hname, hval));
    assert_int_equal(hdr_is(&r, "Connection", "close"), closes);
    if (closes)
        assert_eof(cl);
    reply_free(&r);
    cl_close(cl);
    assert_int_equal(stub_calls(&f->st), calls);
    assert_serves(f);
}

/* ------------------------------------------------------------------------ */
/* Success replies.                                                         */

static void test_otlp_http_proto_post_ok(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/x-protobuf", NULL, proto_body,
            sizeof(proto_body));
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_true(hdr_is(&r, "Content-Type", "application/x-protobuf"));
    assert_true(hdr_is(&r, "Content-Length", "0"));
    assert_int_equal(f->st.calls, 1);
    assert_int_equal(f->st.format, DP_PAYLOAD_PROTO);
    assert_int_equal(f->st.len, sizeof(proto_body));
    assert_memory_equal(f->st.body, proto_body, sizeof(proto_body));
    export_response *m = response_unpack(r.body_len, r.body);
    assert_non_null(m);
    assert_null(m->partial_success);
    response_free(m);
    reply_free(&r);
    cl_close(cl);
}

static void test_otlp_http_json_post_ok(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    const char *body = "{\"resourceSpans\":[]}";
    /* An empty header value first; name and type in another case. */
    cl_sends(cl, "POST /v1/traces HTTP/1.1\r\nX-Empty:\r\ncontent-type: "
                 "Application/JSON ; charset=utf-8\r\nContent-Length: 20\r\n"
                 "\r\n{\"resourceSpans\":[]}");
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_true(hdr_is(&r, "Content-Type", "application/json"));
    assert_string_equal(r.body, "{}");
    assert_int_equal(f->st.format, DP_PAYLOAD_JSON);
    assert_string_equal((char *)f->st.body, body);
    reply_free(&r);
    cl_close(cl);
}

static void test_otlp_http_partial_success_proto(void **state)
{
    fx *f = *state;
    f->st.script.rejected_spans = 2;
    strcpy(f->st.script.error_message, "2 spans end before they start");
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/x-protobuf", NULL, proto_body,
            sizeof(proto_body));
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    /* 0a 21 (field 1, 33 bytes) 08 02 (rejected 2) 12 1d + 29 bytes. */
    assert_int_equal(r.body_len, 35);
    export_response *m = response_unpack(r.body_len, r.body);
    assert_non_null(m);
    assert_non_null(m->partial_success);
    assert_int_equal(m->partial_success->rejected_spans, 2);
    assert_string_equal(m->partial_success->error_message,
                        "2 spans end before they start");
    response_free(m);
    reply_free(&r);
    cl_close(cl);
}

static void test_otlp_http_partial_success_json(void **state)
{
    fx *f = *state;
    f->st.script.rejected_spans = 2;
    strcpy(f->st.script.error_message, "bad \"id\"");
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    json_error_t je;
    json_t *j = json_loadb(r.body, r.body_len, 0, &je);
    assert_non_null(j);
    json_t *ps = json_object_get(j, "partialSuccess");
    assert_string_equal(json_string_value(json_object_get(ps, "rejectedSpans")),
                        "2");
    assert_string_equal(json_string_value(json_object_get(ps, "errorMessage")),
                        "bad \"id\"");
    json_decref(j);
    reply_free(&r);
    cl_close(cl);
}

static void test_otlp_http_gzip_body_decompressed(void **state)
{
    fx *f = *state;
    uint8_t orig[3000];
    for (size_t i = 0; i < sizeof(orig); i++)
        orig[i] = (uint8_t)(i * 7 % 251);
    uint8_t *gz;
    size_t gzlen = gzip_bytes(orig, sizeof(orig), 1, 15 + 16, &gz);
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/x-protobuf",
            "Content-Encoding: gzip\r\n", gz, gzlen);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(f->st.len, sizeof(orig));
    assert_memory_equal(f->st.body, orig, sizeof(orig));
    reply_free(&r);
    free(gz);
    /* deflate (zlib wrapper) on the same connection. */
    size_t zlen = gzip_bytes(orig, 1000, 1, 15, &gz);
    cl_post(cl, "/v1/traces", "application/x-protobuf",
            "Content-Encoding: deflate\r\n", gz, zlen);
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(f->st.len, 1000);
    assert_memory_equal(f->st.body, orig, 1000);
    reply_free(&r);
    free(gz);
    cl_close(cl);
}

static void test_otlp_http_corrupt_gzip_400(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    uint8_t *gz;
    size_t gzlen = gzip_bytes("hello world", 11, 1, 15 + 16, &gz);
    /* truncated stream, then garbage with a gzip magic */
    cl_post(cl, "/v1/traces", "application/json", "Content-Encoding: gzip\r\n",
            gz, gzlen - 4);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 400);
    reply_free(&r);
    cl_post(cl, "/v1/traces", "application/json", "Content-Encoding: gzip\r\n",
            "\x1f\x8bxxxxxxxxxx", 12);
    cl_read(cl, &r);
    assert_int_equal(r.status, 400);
    reply_free(&r);
    free(gz);
    assert_int_equal(stub_calls(&f->st), 0);
    cl_close(cl);
    assert_serves(f);
}

static void test_otlp_http_gzip_bomb_413(void **state)
{
    fx *f = *state;
    uint8_t *zeros = calloc(1, MIB);
    uint8_t *gz;
    size_t gzlen = gzip_bytes(zeros, MIB, 100, 15 + 16, &gz); /* 100 MiB */
    free(zeros);
    assert_true(gzlen < MIB); /* under the limit on the wire */
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/x-protobuf",
            "Content-Encoding: gzip\r\n", gz, gzlen);
    free(gz);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 413);
    assert_int_equal(stub_calls(&f->st), 0);
    assert_false(hdr_is(&r, "Connection", "close"));
    reply_free(&r);
    /* The body was read whole, so the connection goes on. */
    cl_post(cl, "/v1/traces", "application/x-protobuf", NULL, proto_body,
            sizeof(proto_body));
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    cl_close(cl);
}

static void test_otlp_http_content_length_over_limit_413(void **state)
{
    expect_status(*state,
                  "POST /v1/traces HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/x-protobuf\r\n"
                  "Content-Length: 1048577\r\n\r\n",
                  413, "Content-Type", "application/x-protobuf", true);
}

static void test_otlp_http_chunked_over_limit_413(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    cl_sends(cl, "POST /v1/traces HTTP/1.1\r\nHost: x\r\n"
                 "Content-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    static char chunk[65536];
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 17; i++) { /* 17 * 64 KiB > 1 MiB */
        cl_sends(cl, "10000\r\n");
        cl_send(cl, chunk, sizeof(chunk));
        cl_sends(cl, "\r\n");
    }
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 413);
    assert_true(hdr_is(&r, "Connection", "close"));
    reply_free(&r);
    assert_eof(cl);
    cl_close(cl);
    assert_int_equal(stub_calls(&f->st), 0);
    assert_serves(f);
}

/* ------------------------------------------------------------------------ */
/* Error replies.                                                           */

static void test_otlp_http_wrong_path_404(void **state)
{
    expect_status(*state,
                  "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  "application/x-protobuf\r\nContent-Length: 3\r\n\r\nabc",
                  404, "Content-Type", "text/plain; charset=utf-8", false);
}

static void test_otlp_http_get_traces_405(void **state)
{
    expect_status(*state, "GET /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n", 405,
                  "Allow", "POST", false);
}

static void test_otlp_http_text_plain_415(void **state)
{
    expect_status(*state,
                  "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  "text/plain\r\nContent-Length: 5\r\n\r\nhello",
                  415, NULL, NULL, false);
}

static void test_otlp_http_unknown_encoding_415(void **state)
{
    expect_status(*state,
                  "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  "application/json\r\nContent-Encoding: br\r\n"
                  "Content-Length: 2\r\n\r\n{}",
                  415, "Content-Type", "application/json", false);
}

static void test_otlp_http_bad_data_400(void **state)
{
    fx *f = *state;
    f->st.script.outcome = DP_EXPORT_BAD_DATA;
    strcpy(f->st.script.error_message, "bad payload");
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/x-protobuf", NULL, proto_body,
            sizeof(proto_body));
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 400);
    assert_true(hdr_is(&r, "Content-Type", "application/x-protobuf"));
    /* google.rpc.Status: code 3 (INVALID_ARGUMENT), message. */
    assert_int_equal(r.body_len, 15);
    assert_memory_equal(r.body,
                        "\x08\x03\x12\x0b"
                        "bad payload",
                        15);
    reply_free(&r);
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    cl_read(cl, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body, "{\"code\":3,\"message\":\"bad payload\"}");
    reply_free(&r);
    cl_close(cl);
    f->st.script.outcome = DP_EXPORT_OK;
    assert_serves(f);
}

static void test_otlp_http_unavailable_503_retry_after(void **state)
{
    fx *f = *state;
    f->st.script.outcome = DP_EXPORT_UNAVAILABLE;
    f->st.script.retry_after_s = 7;
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 503);
    assert_true(hdr_is(&r, "Retry-After", "7"));
    reply_free(&r);
    f->st.script.retry_after_s = 0; /* the config's value, 3 */
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    cl_read(cl, &r);
    assert_int_equal(r.status, 503);
    assert_true(hdr_is(&r, "Retry-After", "3"));
    reply_free(&r);
    f->st.script.outcome = DP_EXPORT_INTERNAL;
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    cl_read(cl, &r);
    assert_int_equal(r.status, 500);
    assert_false(hdr_is(&r, "Retry-After", "3"));
    reply_free(&r);
    cl_close(cl);
    f->st.script.outcome = DP_EXPORT_OK;
    assert_serves(f);
}

static void test_otlp_http_malformed_request_400(void **state)
{
    expect_status(*state, "GARBAGE\r\n\r\n", 400, NULL, NULL, true);
    expect_status(*state, "POST /v1/traces HTTP/1.1\r\nBad Header\r\n\r\n", 400,
                  NULL, NULL, true);
    expect_status(*state,
                  "POST /v1/traces HTTP/1.1\r\nContent-Length: 2\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  400, NULL, NULL, true);
}

/* ------------------------------------------------------------------------ */
/* Connection handling.                                                     */

static void test_otlp_http_keep_alive_three_requests(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    for (int i = 0; i < 3; i++) {
        cl_post(cl, "/v1/traces", "application/x-protobuf", NULL, proto_body,
                sizeof(proto_body));
        reply r;
        cl_read(cl, &r);
        assert_int_equal(r.status, 200);
        assert_false(hdr_is(&r, "Connection", "close"));
        reply_free(&r);
    }
    assert_int_equal(stub_calls(&f->st), 3);
    cl_close(cl);
}

static void test_otlp_http_pipelined_in_order(void **state)
{
    fx *f = *state;
    f->st.echo = true;
    client *cl = cl_open(f->port);
    cl_sends(cl, "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json"
                 "\r\nContent-Length: 5\r\n\r\nfirst"
                 "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json"
                 "\r\nContent-Length: 6\r\n\r\nsecond");
    reply r;
    cl_read(cl, &r);
    assert_string_equal(
        r.body, "{\"partialSuccess\":{\"rejectedSpans\":\"1\",\"errorMessage\":"
                "\"first\"}}");
    reply_free(&r);
    cl_read(cl, &r);
    assert_string_equal(
        r.body, "{\"partialSuccess\":{\"rejectedSpans\":\"1\",\"errorMessage\":"
                "\"second\"}}");
    reply_free(&r);
    cl_close(cl);
}

static void test_otlp_http_chunked_body(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    cl_sends(cl, "POST /v1/traces HTTP/1.1\r\nHost: x\r\n"
                 "Content-Type: application/x-protobuf\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n");
    usleep(20000); /* the rest in a later read */
    cl_sends(cl, "6\r\n world\r\n0\r\n\r\n");
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(f->st.len, 11);
    assert_memory_equal(f->st.body, "hello world", 11);
    reply_free(&r);
    cl_close(cl);
}

static void test_otlp_http_expect_continue(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    cl_sends(cl, "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json"
                 "\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 100);
    reply_free(&r);
    cl_sends(cl, "{}");
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    cl_close(cl);
    /* Refused before the body: a final reply at once, then close. */
    expect_status(f,
                  "POST /v1/traces HTTP/1.1\r\nContent-Type: text/plain\r\n"
                  "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n",
                  415, NULL, NULL, true);
}

static void test_otlp_http_connection_close_and_http10(void **state)
{
    fx *f = *state;
    client *cl = cl_open(f->port);
    cl_sends(cl,
             "POST /v1/traces HTTP/1.1\r\nConnection: close\r\n"
             "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_true(hdr_is(&r, "Connection", "close"));
    reply_free(&r);
    assert_eof(cl);
    cl_close(cl);
    cl = cl_open(f->port);
    cl_sends(cl,
             "POST /v1/traces HTTP/1.0\r\n"
             "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_eof(cl);
    cl_close(cl);
    cl = cl_open(f->port);
    cl_sends(cl, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cl_read(cl, &r);
    assert_true(hdr_is(&r, "Connection", "keep-alive"));
    reply_free(&r);
    cl_sends(cl, "GET /healthz HTTP/1.0\r\n\r\n");
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_eof(cl);
    cl_close(cl);
}

static void test_otlp_http_healthz_route(void **state)
{
    fx *f = *state;
    healthz_calls = 0;
    client *cl = cl_open(f->port);
    cl_sends(cl, "GET /healthz?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_true(hdr_is(&r, "Content-Type", "application/json"));
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    reply_free(&r);
    cl_sends(cl, "HEAD /healthz HTTP/1.1\r\n\r\n");
    assert_int_equal(dp_htc_read(cl, &r, true), 0);
    assert_int_equal(r.status, 200);
    assert_true(hdr_is(&r, "Content-Length", "15"));
    reply_free(&r);
    cl_sends(cl, "POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    cl_read(cl, &r);
    assert_int_equal(r.status, 405);
    assert_true(hdr_is(&r, "Allow", "GET, HEAD"));
    assert_int_equal(cl->len, 0); /* HEAD sent no body bytes */
    reply_free(&r);
    assert_int_equal(healthz_calls, 2);
    cl_close(cl);
}

static void test_otlp_http_random_bytes_no_crash(void **state)
{
    fx *f = *state;
    uint32_t x = 12345;
    static const char *prefixes[] = {"", "POST /v1/traces HTTP/1.1\r\n",
                                     "GET /healthz HTTP/1.1\r\nA: b\r\n"};
    for (int i = 0; i < 150; i++) {
        client *cl = cl_open(f->port);
        char buf[600];
        size_t n = (size_t)snprintf(buf, sizeof(buf), "%s", prefixes[i % 3]);
        size_t len = n + (x % 500);
        for (; n < len; n++) {
            x = x * 1103515245u + 12345u;
            buf[n] = (i & 4) ? "\r\n: aZ0/"[x >> 29] : (char)(x >> 24);
        }
        cl_send(cl, buf, len);
        cl_close(cl);
    }
    assert_serves(f);
}

int main(void)
{
    dp_log_set_level(DP_LOG_WARN);
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_otlp_http_proto_post_ok),
        T(test_otlp_http_json_post_ok),
        T(test_otlp_http_partial_success_proto),
        T(test_otlp_http_partial_success_json),
        T(test_otlp_http_gzip_body_decompressed),
        T(test_otlp_http_corrupt_gzip_400),
        T(test_otlp_http_gzip_bomb_413),
        T(test_otlp_http_content_length_over_limit_413),
        T(test_otlp_http_chunked_over_limit_413),
        T(test_otlp_http_wrong_path_404),
        T(test_otlp_http_get_traces_405),
        T(test_otlp_http_text_plain_415),
        T(test_otlp_http_unknown_encoding_415),
        T(test_otlp_http_bad_data_400),
        T(test_otlp_http_unavailable_503_retry_after),
        T(test_otlp_http_malformed_request_400),
        T(test_otlp_http_keep_alive_three_requests),
        T(test_otlp_http_pipelined_in_order),
        T(test_otlp_http_chunked_body),
        T(test_otlp_http_expect_continue),
        T(test_otlp_http_connection_close_and_http10),
        T(test_otlp_http_healthz_route),
        T(test_otlp_http_random_bytes_no_crash),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
