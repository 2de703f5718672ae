/*
 * test_otlp_http.c - the OTLP/HTTP receiver over real loopback sockets.
 *
 * Each case starts a dp_http_server on 127.0.0.1 port 0 with a stub export
 * handler (records the format and bytes it got, returns a scripted
 * dp_export_result) and talks to it with a blocking POSIX socket client, so
 * every request byte is chosen here and every reply byte is checked here:
 * status line, headers, Content-Length and body. All reads have a 5 s
 * timeout and every loop is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "http_test_client.h"
#include "log.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_http.h"
#include "processor.h"

#define MIB (1024 * 1024)

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
    export_response;
#define response_unpack(n, b)                                                          \
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack( \
        NULL, (n), (const uint8_t *)(b))
#define response_free(m)                                                                      \
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked( \
        (m), NULL)

/* ------------------------------------------------------------------------ */
/* Stub handler and fixture.                                                */

typedef struct stub {
    pthread_mutex_t mu;
    int calls;
    int format;
    uint8_t *body;
    size_t len;
    bool result_was_zero; /* every call so far got a zeroed result */
    dp_export_result script;
    bool echo; /* error_message = body, rejected_spans = 1 */
} stub;

static void stub_handler(void *user, int format, const uint8_t *body,
                         size_t len, dp_export_result *r)
{
    stub *st = user;
    static const dp_export_result zero;
    pthread_mutex_lock(&st->mu);
    if (memcmp(r, &zero, sizeof(zero)) != 0)
        st->result_was_zero = false;
    st->calls++;
    st->format = format;
    free(st->body);
    st->body = malloc(len + 1);
    memcpy(st->body, body, len);
    st->body[len] = 0;
    st->len = len;
    *r = st->script;
    if (st->echo) {
        snprintf(r->error_message, sizeof(r->error_message), "%.*s", (int)len,
                 (const char *)body);
        r->rejected_spans = 1;
    }
    pthread_mutex_unlock(&st->mu);
}

static int stub_calls(stub *st)
{
    pthread_mutex_lock(&st->mu);
    int n = st->calls;
    pthread_mutex_unlock(&st->mu);
    return n;
}

static int healthz_calls;

static int healthz(void *user, char **body, size_t *len, const char **ct)
{
    (void)user;
    healthz_calls++;
    *body = strdup("{\"status\":\"ok\"}");
    *len = strlen(*body);
    *ct = "application/json";
    return 200;
}

typedef struct fx {
    dp_http_server *s;
    int port;
    stub st;
} fx;

/* Starts a server with cfg (endpoint and Retry-After filled in here). */
static fx *fx_new_cfg(dp_http_config *cfg)
{
    fx *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->st.mu, NULL);
    f->st.result_was_zero = true;
    cfg->endpoint = "127.0.0.1:0";
    cfg->retry_after_s = 3;
    char err[256];
    f->s = dp_http_server_create(cfg, stub_handler, &f->st, err, sizeof(err));
    assert_non_null(f->s);
    assert_int_equal(dp_http_server_add_get(f->s, "/healthz", healthz, NULL),
                     0);
    f->port = dp_http_server_port(f->s);
    assert_true(f->port > 0);
    assert_int_equal(dp_http_server_start(f->s), 0);
    return f;
}

static fx *fx_new_max(size_t max_body, int idle_ms, size_t max_conns)
{
    dp_http_config cfg;
    dp_http_config_init(&cfg);
    cfg.max_body_bytes = max_body;
    cfg.idle_timeout_ms = idle_ms;
    cfg.max_connections = max_conns;
    return fx_new_cfg(&cfg);
}

static fx *fx_new(size_t max_body, int idle_ms)
{
    return fx_new_max(max_body, idle_ms, 0);
}

static void fx_free(fx *f)
{
    dp_http_server_destroy(f->s);
    assert_true(f->st.result_was_zero);
    free(f->st.body);
    pthread_mutex_destroy(&f->st.mu);
    free(f);
}

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

/* ------------------------------------------------------------------------ */
/* Client shorthands: every step must succeed.                              */

typedef dp_htc client;
typedef dp_htc_reply reply;

#define cl_send(c, d, n) assert_int_equal(dp_htc_send((c), (d), (n)), 0)
#define cl_sends(c, s) assert_int_equal(dp_htc_sends((c), (s)), 0)
#define cl_post(c, path, ct, extra, body, n)                                   \
    assert_int_equal(dp_htc_post((c), (path), (ct), (extra), (body), (n)), 0)
#define cl_read(c, r) assert_int_equal(dp_htc_read((c), (r), false), 0)
#define cl_close dp_htc_close
#define hdr_is dp_htc_header_is
#define reply_free dp_htc_reply_free
#define assert_eof(c) assert_int_equal(dp_htc_wait_eof(c), 0)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static client *cl_open(int port)
{
    client *cl = dp_htc_open(port);
    assert_non_null(cl);
    return cl;
}

static size_t gzip_bytes(const void *in, size_t len, size_t repeat,
                         int window_bits, uint8_t **out)
{
    size_t n = dp_htc_compress(in, len, repeat, window_bits, out);
    assert_true(n > 0);
    return n;
}

static const uint8_t proto_body[] = {0x0a, 0x00, 0xff, 0x00, 0x12, 0x34};

/* A fresh connection still gets 200 for a protobuf export. */
static void assert_serves(fx *f)
{
    client *cl = cl_open(f->port);
    int before = stub_calls(&f->st);
    cl_post(cl, "/v1/traces", "application/x-protobuf", NULL, proto_body,
            sizeof(proto_body));
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(stub_calls(&f->st), before + 1);
    reply_free(&r);
    cl_close(cl);
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

/* ------------------------------------------------------------------------ */
/* Timers and shutdown.                                                     */

static void test_otlp_http_idle_timeout_bounds_partial_request(void **state)
{
    (void)state;
    fx *f = fx_new(MIB, 300);
    client *cl = cl_open(f->port);
    double t0 = now_ms();
    /* Slowloris: one header byte every 50 ms never completes a header. */
    const char *req =
        "POST /v1/traces HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaa";
    for (size_t i = 0; i < strlen(req) && now_ms() - t0 < 2000; i++) {
        struct pollfd pfd = {.fd = cl->fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) == 1 ||
            send(cl->fd, req + i, 1, MSG_NOSIGNAL) != 1)
            break; /* the server answered */
        usleep(50000);
    }
    reply r;
    cl_read(cl, &r);
    double dt = now_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(dt >= 250 && dt < 1500);
    reply_free(&r);
    cl_close(cl);
    /* An idle connection is closed without a reply. */
    cl = cl_open(f->port);
    t0 = now_ms();
    assert_eof(cl);
    assert_true(now_ms() - t0 < 1500);
    cl_close(cl);
    assert_serves(f);
    fx_free(f);
}

static void test_otlp_http_shutdown_with_idle_connection(void **state)
{
    (void)state;
    fx *f = fx_new(MIB, 30000);
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    double t0 = now_ms();
    dp_http_server_shutdown(f->s, 5000);
    assert_true(now_ms() - t0 < 1000);
    assert_eof(cl);
    cl_close(cl);
    fx_free(f);
}

static void *shutdown_thread(void *arg)
{
    dp_http_server_shutdown(arg, 3000);
    return NULL;
}

static void test_otlp_http_shutdown_finishes_in_flight(void **state)
{
    (void)state;
    fx *f = fx_new(MIB, 30000);
    client *cl = cl_open(f->port);
    cl_sends(cl, "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json"
                 "\r\nContent-Length: 2\r\n\r\n{");
    usleep(50000);
    double t0 = now_ms();
    pthread_t th;
    pthread_create(&th, NULL, shutdown_thread, f->s);
    int fd = -1;
    for (int i = 0; i < 100; i++) { /* the listener goes away */
        fd = dp_htc_connect_fd(f->port);
        if (fd < 0)
            break;
        close(fd);
        usleep(10000);
    }
    assert_true(fd < 0);
    cl_sends(cl, "}");
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_true(hdr_is(&r, "Connection", "close"));
    reply_free(&r);
    assert_eof(cl);
    cl_close(cl);
    pthread_join(th, NULL);
    assert_true(now_ms() - t0 < 1000);
    assert_int_equal(f->st.calls, 1);
    fx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Connection caps and the header timeout.                                  */

static dp_http_stats stats_of(fx *f)
{
    dp_http_stats st;
    dp_http_server_stats(f->s, &st);
    return st;
}

/* A config with the given caps and timeouts, the rest default. */
static dp_http_config caps_cfg(size_t total, size_t per_peer, int header_ms,
                               int idle_ms)
{
    dp_http_config cfg;
    dp_http_config_init(&cfg);
    cfg.max_body_bytes = MIB;
    cfg.max_connections = total;
    cfg.max_connections_per_peer = per_peer;
    cfg.header_timeout_ms = header_ms;
    cfg.idle_timeout_ms = idle_ms;
    return cfg;
}

/* A POST on cl answered 200. */
static void post_ok(client *cl)
{
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

/* The server has read and parsed what was sent (it runs on its own
 * thread): give it a moment. */
static void let_server_run(void)
{
    usleep(100 * 1000);
}

/* A new connection answered 503 + Retry-After, then closed. */
static void assert_refused(client *cl)
{
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 503);
    assert_true(hdr_is(&r, "Retry-After", "1"));
    assert_true(hdr_is(&r, "Connection", "close"));
    reply_free(&r);
    assert_eof(cl);
}

static const char partial_head[] = "POST /v1/traces HTTP/1.1\r\n"
                                   "Content-Type: application/json\r\n";

static void test_otlp_http_total_cap_evicts_oldest_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(2, 10, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *a = cl_open(f->port);
    post_ok(a); /* then idle: the oldest idle connection */
    client *b = cl_open(f->port);
    let_server_run();
    client *c = cl_open(f->port); /* over the cap: a makes room */
    post_ok(c);
    assert_eof(a);
    assert_false(dp_htc_readable(b->fd, 100)); /* b is left alone */
    post_ok(b);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_evicted, 1);
    assert_int_equal(st.connections_refused, 0);
    assert_int_equal(st.connections_accepted, 3);
    assert_int_equal(st.connections_open, 2);
    cl_close(a);
    cl_close(b);
    cl_close(c);
    fx_free(f);
}

static void test_otlp_http_total_cap_refuses_when_none_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(1, 10, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *a = cl_open(f->port);
    cl_sends(a, partial_head); /* a request in progress: not idle */
    let_server_run();
    client *b = cl_open(f->port);
    assert_refused(b);
    cl_close(b);
    cl_sends(a, "Content-Length: 2\r\n\r\n{}");
    reply r;
    cl_read(a, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_refused, 1);
    assert_int_equal(st.connections_evicted, 0);
    assert_int_equal(st.connections_open, 1);
    cl_close(a);
    fx_free(f);
}

static void test_otlp_http_peer_cap_evicts_own_oldest_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(100, 2, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *x = dp_htc_open_from(f->port, "127.0.0.1"); /* oldest of all */
    assert_non_null(x);
    let_server_run();
    client *p1 = dp_htc_open_from(f->port, "127.0.0.2");
    client *p2 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p1);
    assert_non_null(p2);
    let_server_run();
    client *p3 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p3);
    post_ok(p3);
    assert_eof(p1); /* the peer's own oldest idle connection */
    assert_false(dp_htc_readable(x->fd, 100));
    assert_false(dp_htc_readable(p2->fd, 0));
    post_ok(x);
    post_ok(p2);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_evicted, 1);
    assert_int_equal(st.connections_open, 3);
    cl_close(x);
    cl_close(p1);
    cl_close(p2);
    cl_close(p3);
    fx_free(f);
}

static void test_otlp_http_peer_cap_refuses_when_none_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(100, 1, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *p1 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p1);
    cl_sends(p1, partial_head);
    let_server_run();
    client *p2 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p2);
    assert_refused(p2);
    client *x = dp_htc_open_from(f->port, "127.0.0.1"); /* another peer */
    assert_non_null(x);
    post_ok(x);
    cl_sends(p1, "Content-Length: 2\r\n\r\n{}");
    reply r;
    cl_read(p1, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(stats_of(f).connections_refused, 1);
    cl_close(p1);
    cl_close(p2);
    cl_close(x);
    fx_free(f);
}

static void test_otlp_http_header_timeout_shorter_than_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(100, 100, 300, 3000);
    fx *f = fx_new_cfg(&cfg);
    /* A first request's head is due 300 ms after accept, however it
     * trickles in. */
    double t0 = now_ms();
    client *a = cl_open(f->port);
    usleep(150 * 1000);
    for (size_t i = 0; i < strlen(partial_head) && now_ms() - t0 < 2000; i++) {
        if (dp_htc_readable(a->fd, 0) ||
            send(a->fd, partial_head + i, 1, MSG_NOSIGNAL) != 1)
            break; /* the server answered */
        usleep(20 * 1000);
    }
    reply r;
    cl_read(a, &r);
    double dt = now_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(dt >= 250 && dt < 1000);
    reply_free(&r);
    assert_eof(a);
    cl_close(a);
    /* A connection that sends nothing is closed after 300 ms, silently. */
    t0 = now_ms();
    client *b = cl_open(f->port);
    assert_eof(b);
    dt = now_ms() - t0;
    assert_true(dt >= 250 && dt < 1500);
    cl_close(b);
    /* Between requests the idle timeout (3 s) applies; a later request's
     * head is due 300 ms after its first byte. */
    client *c = cl_open(f->port);
    post_ok(c);
    assert_false(dp_htc_readable(c->fd, 700));
    t0 = now_ms();
    cl_sends(c, "POST /v1/tr");
    cl_read(c, &r);
    dt = now_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(dt >= 250 && dt < 1500);
    reply_free(&r);
    cl_close(c);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_timed_out, 2);
    assert_int_equal(st.connections_closed_idle, 1);
    fx_free(f);
}

/* The flood: a well-behaved client (127.0.0.1) keeps posting and reading
 * /healthz on fresh connections while another peer (127.0.0.2) opens
 * FLOOD idle connections and a third (127.0.0.3) holds SLOW slowloris
 * heads. */
#define FLOOD 2000
#define SLOW_CONNS 150

typedef struct good_client {
    int port;
    atomic_bool stop;
    int rounds, failures;
    double lat[4096]; /* ms per round: POST and GET on a new connection */
    fx *f;
    size_t max_open_seen;
} good_client;

static void *good_client_main(void *arg)
{
    good_client *g = arg;
    for (int i = 0; i < 4096 && !atomic_load(&g->stop); i++) {
        double t0 = now_ms();
        bool ok = false;
        dp_htc *cl = dp_htc_open_from(g->port, "127.0.0.1");
        reply r;
        if (cl &&
            dp_htc_post(cl, "/v1/traces", "application/x-protobuf", NULL,
                        proto_body, sizeof(proto_body)) == 0 &&
            dp_htc_read(cl, &r, false) == 0) {
            ok = r.status == 200;
            reply_free(&r);
            ok = ok && dp_htc_sends(cl, "GET /healthz HTTP/1.1\r\n\r\n") == 0 &&
                 dp_htc_read(cl, &r, false) == 0 && r.status == 200;
            if (r.body)
                reply_free(&r);
        }
        dp_htc_close(cl);
        g->lat[g->rounds++] = now_ms() - t0;
        if (!ok)
            g->failures++;
        dp_http_stats st;
        dp_http_server_stats(g->f->s, &st);
        if (st.connections_open > g->max_open_seen)
            g->max_open_seen = st.connections_open;
        usleep(2000);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_otlp_http_flood_leaves_room_for_others(void **state)
{
    (void)state;
    /* Client and server fds share this process: raise the soft limit and
     * size the flood below it. */
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t total = 512, per_peer = 128;
    size_t room = rl.rlim_cur > total + SLOW_CONNS + 200
                      ? (size_t)rl.rlim_cur - total - SLOW_CONNS - 200
                      : 0;
    size_t n_flood = room < FLOOD ? room : FLOOD;
    assert_true(n_flood > per_peer); /* a limit this low is a broken host */
    dp_http_config cfg = caps_cfg(total, per_peer, 1000, 30000);
    fx *f = fx_new_cfg(&cfg);
    good_client *g = calloc(1, sizeof(*g));
    g->port = f->port;
    g->f = f;
    pthread_t th;
    pthread_create(&th, NULL, good_client_main, g);

    int *flood = malloc(n_flood * sizeof(int));
    size_t opened = 0;
    double t0 = now_ms();
    for (size_t i = 0; i < n_flood; i++) {
        flood[i] = dp_htc_connect_fd_from(f->port, "127.0.0.2");
        if (flood[i] >= 0)
            opened++;
    }
    double flood_ms = now_ms() - t0;
    int slow[SLOW_CONNS];
    for (int i = 0; i < SLOW_CONNS; i++) {
        slow[i] = dp_htc_connect_fd_from(f->port, "127.0.0.3");
        if (slow[i] >= 0)
            send(slow[i], partial_head, 20, MSG_NOSIGNAL);
    }
    /* Every slowloris connection ends within header_timeout (1 s): 408,
     * 503 (over the peer cap) or closed while still fresh. */
    int slow_closed = 0, slow_408 = 0, slow_503 = 0;
    for (int i = 0; i < SLOW_CONNS; i++) {
        if (slow[i] < 0)
            continue;
        double left = 3000 - (now_ms() - t0 - flood_ms);
        if (!dp_htc_readable(slow[i], left > 0 ? (int)left : 0))
            continue;
        char buf[512];
        ssize_t n = recv(slow[i], buf, sizeof(buf) - 1, 0);
        if (n > 0) {
            buf[n] = 0;
            slow_408 += strncmp(buf, "HTTP/1.1 408", 12) == 0;
            slow_503 += strncmp(buf, "HTTP/1.1 503", 12) == 0;
        }
        slow_closed++;
    }
    atomic_store(&g->stop, true);
    pthread_join(th, NULL);

    dp_http_stats st = stats_of(f);
    qsort(g->lat, (size_t)g->rounds, sizeof(double), cmp_double);
    printf("flood: %zu idle connections from one peer in %.0f ms, %d "
           "slowloris heads (%d got 408, %d got 503); well-behaved client: "
           "%d rounds of POST + GET /healthz on a new connection, %d failed, "
           "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; server: %llu "
           "accepted, %llu evicted, %llu closed idle, %llu refused, %llu timed "
           "out, at most "
           "%zu open\n",
           opened, flood_ms, SLOW_CONNS, slow_408, slow_503, g->rounds,
           g->failures, g->lat[g->rounds / 2], g->lat[(g->rounds * 99) / 100],
           g->lat[g->rounds - 1], (unsigned long long)st.connections_accepted,
           (unsigned long long)st.connections_evicted,
           (unsigned long long)st.connections_closed_idle,
           (unsigned long long)st.connections_refused,
           (unsigned long long)st.connections_timed_out, g->max_open_seen);
    assert_int_equal(opened, n_flood);
    assert_int_equal(slow_closed, SLOW_CONNS);
    assert_true(slow_408 >= SLOW_CONNS / 2);
    assert_true(g->rounds >= 10);
    assert_int_equal(g->failures, 0);
    assert_true(g->lat[g->rounds - 1] < 2000); /* loose: ASan, 2 shared cores */
    assert_true(g->max_open_seen <= total);
    /* Flood connections older than header_timeout were closed as idle. */
    assert_true(st.connections_evicted + st.connections_closed_idle >=
                n_flood - per_peer);
    assert_true(st.connections_open <= 2 * per_peer);
    for (size_t i = 0; i < n_flood; i++)
        if (flood[i] >= 0)
            close(flood[i]);
    for (int i = 0; i < SLOW_CONNS; i++)
        if (slow[i] >= 0)
            close(slow[i]);
    free(flood);
    free(g);
    fx_free(f);
}

static void noop_handler(void *user, int format, const uint8_t *body,
                         size_t len, dp_export_result *r)
{
    (void)user, (void)format, (void)body, (void)len, (void)r;
}

static void test_otlp_http_create_rejects_bad_config(void **state)
{
    (void)state;
    dp_http_config cfg;
    dp_http_config_init(&cfg);
    assert_string_equal(cfg.endpoint, "127.0.0.1:4318");
    assert_int_equal(cfg.max_body_bytes, 20 * MIB);
    char err[256];
    static const char *bad[] = {"nonsense", "127.0.0.1:", "127.0.0.1:65536",
                                "127.0.0.1:12x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg.endpoint = bad[i];
        err[0] = 0;
        assert_null(
            dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err)));
        assert_non_null(strstr(err, bad[i]));
    }
    cfg.endpoint = "127.0.0.1:0";
    dp_http_server *a =
        dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err));
    assert_non_null(a);
    char ep[64];
    snprintf(ep, sizeof(ep), "127.0.0.1:%d", dp_http_server_port(a));
    cfg.endpoint = ep; /* the port is taken */
    assert_null(
        dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "address already in use"));
    assert_int_equal(dp_http_server_add_get(a, "healthz", healthz, NULL),
                     DP_EINVAL);
    assert_int_equal(dp_http_server_add_get(a, "/v1/traces", healthz, NULL),
                     DP_EINVAL);
    dp_http_server_destroy(a); /* never started */
    dp_http_server_destroy(NULL);
    cfg.endpoint = "127.0.0.1:0";
    a = dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err));
    assert_int_equal(dp_http_server_start(a), 0);
    assert_int_equal(dp_http_server_start(a), DP_EINVAL);
    assert_int_equal(dp_http_server_add_get(a, "/x", healthz, NULL), DP_EINVAL);
    dp_http_server_shutdown(a, 1000);
    dp_http_server_shutdown(a, 1000); /* idempotent */
    assert_int_equal(dp_http_server_start(a), DP_EINVAL);
    dp_http_server_destroy(a);
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
        cmocka_unit_test(test_otlp_http_idle_timeout_bounds_partial_request),
        cmocka_unit_test(test_otlp_http_shutdown_with_idle_connection),
        cmocka_unit_test(test_otlp_http_shutdown_finishes_in_flight),
        cmocka_unit_test(test_otlp_http_total_cap_evicts_oldest_idle),
        cmocka_unit_test(test_otlp_http_total_cap_refuses_when_none_idle),
        cmocka_unit_test(test_otlp_http_peer_cap_evicts_own_oldest_idle),
        cmocka_unit_test(test_otlp_http_peer_cap_refuses_when_none_idle),
        cmocka_unit_test(test_otlp_http_header_timeout_shorter_than_idle),
        cmocka_unit_test(test_otlp_http_flood_leaves_room_for_others),
        cmocka_unit_test(test_otlp_http_create_rejects_bad_config),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
