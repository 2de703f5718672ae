/*
 * test_otlp_grpc.c - the OTLP/gRPC receiver (receiver/otlp_grpc.c) against a
 * real gRPC C core client on 127.0.0.1.
 *
 * A stub dp_export_fn records what it was given and answers with whatever
 * the test dictates; the client (grpc_test_client.h) sends packed
 * ExportTraceServiceRequest messages and checks the status codes, details
 * and decoded ExportTraceServiceResponse. Every wait is bounded by a call
 * deadline or a counted loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "grpc_test_client.h"
#include "h2_raw_client.h"
#include "log.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_grpc.h"
#include "processor.h"

#define CALL_TIMEOUT_MS 10000

/* ------------------------------------------------------------------------ */
/* The stub handler.                                                         */

struct stub {
    pthread_mutex_t mu;
    /* what to answer */
    int outcome;
    int64_t rejected;
    const char *message;
    uint32_t retry_after_s;
    int sleep_ms;
    /* what was seen */
    int calls;
    int format;
    uint8_t *last;
    size_t last_len;
    size_t total_len;
    int running, peak;
    int not_zeroed;
    atomic_int entered;
};

static void stub_init(struct stub *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_init(&st->mu, NULL);
    atomic_init(&st->entered, 0);
}

static void stub_fini(struct stub *st)
{
    free(st->last);
    pthread_mutex_destroy(&st->mu);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stub_export(void *user, int format, const uint8_t *body, size_t len,
                        dp_export_result *result)
{
    struct stub *st = user;
    atomic_fetch_add(&st->entered, 1);
    pthread_mutex_lock(&st->mu);
    st->running++;
    if (st->running > st->peak)
        st->peak = st->running;
    int delay = st->sleep_ms;
    pthread_mutex_unlock(&st->mu);

    if (delay)
        sleep_ms(delay);

    pthread_mutex_lock(&st->mu);
    st->running--;
    st->calls++;
    st->format = format;
    st->total_len += len;
    free(st->last);
    st->last = malloc(len ? len : 1);
    memcpy(st->last, body, len);
    st->last_len = len;
    /* The result arrives zeroed (checked by the tests via not_zeroed; a
     * cmocka assert cannot run on a server thread). */
    if (result->outcome != DP_EXPORT_OK || result->rejected_spans != 0 ||
        result->error_message[0] != '\0')
        st->not_zeroed++;
    result->outcome = st->outcome;
    result->rejected_spans = st->rejected;
    result->retry_after_s = st->retry_after_s;
    if (st->message)
        snprintf(result->error_message, sizeof(result->error_message), "%s",
                 st->message);
    pthread_mutex_unlock(&st->mu);
}

/* ------------------------------------------------------------------------ */
/* Requests: a real ExportTraceServiceRequest with one span.                 */

/* Packs a request holding one span named name with a string attribute of
 * pad_len bytes of 'x'. Returns a malloc'd buffer and its length. */
static uint8_t *make_request(const char *name, size_t pad_len, size_t *len)
{
    uint8_t trace_id[16], span_id[8];
    for (int i = 0; i < 16; i++)
        trace_id[i] = (uint8_t)(0xa0 + i);
    for (int i = 0; i < 8; i++)
        span_id[i] = (uint8_t)(0x10 + i);
    char *pad = malloc(pad_len + 1);
    memset(pad, 'x', pad_len);
    pad[pad_len] = '\0';

    Opentelemetry__Proto__Common__V1__AnyValue val =
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
    val.value_case =
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    val.string_value = pad;
    Opentelemetry__Proto__Common__V1__KeyValue kv =
        OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;
    kv.key = "dag.node.id";
    kv.value = &val;
    Opentelemetry__Proto__Common__V1__KeyValue *attrs[] = {&kv};

    Opentelemetry__Proto__Trace__V1__Span span =
        OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT;
    span.trace_id.data = trace_id;
    span.trace_id.len = 16;
    span.span_id.data = span_id;
    span.span_id.len = 8;
    span.name = (char *)name;
    span.start_time_unix_nano = 1700000000000000000ull;
    span.end_time_unix_nano = 1700000001500000000ull;
    span.n_attributes = 1;
    span.attributes = attrs;
    Opentelemetry__Proto__Trace__V1__Span *spans[] = {&span};

    Opentelemetry__Proto__Trace__V1__ScopeSpans ss =
        OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT;
    ss.n_spans = 1;
    ss.spans = spans;
    Opentelemetry__Proto__Trace__V1__ScopeSpans *sss[] = {&ss};
    Opentelemetry__Proto__Trace__V1__ResourceSpans rs =
        OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT;
    rs.n_scope_spans = 1;
    rs.scope_spans = sss;
    Opentelemetry__Proto__Trace__V1__ResourceSpans *rss[] = {&rs};
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest req =
        OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_REQUEST__INIT;
    req.n_resource_spans = 1;
    req.resource_spans = rss;

    *len =
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(
            &req);
    uint8_t *buf = malloc(*len);
    size_t packed =
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(
            &req, buf);
    assert_int_equal(packed, *len);
    free(pad);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Fixture: a started server on a free port, a stub and a channel.          */

struct fixture {
    struct stub st;
    dp_grpc_server *srv;
    grpc_channel *ch;
    int port;
};

/* Starts the server with cfg (its endpoint is set here). */
static void fixture_start_cfg(struct fixture *f, dp_grpc_config *cfg,
                              int compression)
{
    stub_init(&f->st);
    grpc_init();
    cfg->endpoint = "127.0.0.1:0";
    char err[256];
    f->srv = dp_grpc_server_create(cfg, stub_export, &f->st, err, sizeof(err));
    if (!f->srv)
        fail_msg("create: %s", err);
    f->port = dp_grpc_server_port(f->srv);
    assert_true(f->port > 0);
    assert_int_equal(dp_grpc_server_start(f->srv), 0);
    f->ch = dp_gtc_channel(f->port, compression);
}

static void fixture_start(struct fixture *f, size_t max_message, int threads,
                          int compression)
{
    stub_init(&f->st);
    grpc_init();
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.endpoint = "127.0.0.1:0";
    cfg.max_message_bytes = max_message;
    cfg.threads = threads;
    char err[256];
    f->srv = dp_grpc_server_create(&cfg, stub_export, &f->st, err, sizeof(err));
    if (!f->srv)
        fail_msg("create: %s", err);
    f->port = dp_grpc_server_port(f->srv);
    assert_true(f->port > 0);
    assert_int_equal(dp_grpc_server_start(f->srv), 0);
    assert_int_equal(dp_grpc_server_start(f->srv), DP_EINVAL);
    f->ch = dp_gtc_channel(f->port, compression);
}

static void fixture_stop(struct fixture *f)
{
    assert_int_equal(f->st.not_zeroed, 0);
    grpc_channel_destroy(f->ch);
    dp_grpc_server_shutdown(f->srv, 2000);
    dp_grpc_server_destroy(f->srv);
    grpc_shutdown();
    stub_fini(&f->st);
}

/* Sends a request of one span named name with pad_len attribute bytes. */
static void call_export(struct fixture *f, const char *name, size_t pad_len,
                        dp_gtc_reply *out, uint8_t **sent, size_t *sent_len)
{
    size_t len;
    uint8_t *req = make_request(name, pad_len, &len);
    assert_int_equal(dp_gtc_unary(f->ch, DP_GTC_EXPORT_METHOD, req, len,
                                  CALL_TIMEOUT_MS, out),
                     0);
    if (sent) {
        *sent = req;
        *sent_len = len;
    } else {
        free(req);
    }
}

static Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *
decode_response(const dp_gtc_reply *r)
{
    return opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
        NULL, r->body_len, r->body);
}

/* ------------------------------------------------------------------------ */
/* Tests.                                                                    */

static void test_otlp_grpc_export_ok_passes_exact_bytes(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    dp_gtc_reply r;
    uint8_t *sent;
    size_t sent_len;
    call_export(&f, "plan", 100, &r, &sent, &sent_len);

    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    assert_int_equal(f.st.format, DP_PAYLOAD_PROTO);
    assert_int_equal(f.st.last_len, sent_len);
    assert_memory_equal(f.st.last, sent, sent_len);
    /* An empty ExportTraceServiceResponse is a zero-length message. */
    assert_non_null(r.body);
    assert_int_equal(r.body_len, 0);
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
        *resp = decode_response(&r);
    assert_non_null(resp);
    assert_null(resp->partial_success);
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(
        resp, NULL);

    dp_gtc_reply_free(&r);
    free(sent);
    fixture_stop(&f);
}

static void test_otlp_grpc_partial_success_in_response(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.rejected = 2;
    f.st.message = "2 spans end before they start";
    dp_gtc_reply r;
    call_export(&f, "plan", 10, &r, NULL, NULL);

    assert_int_equal(r.status, GRPC_STATUS_OK);
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
        *resp = decode_response(&r);
    assert_non_null(resp);
    assert_non_null(resp->partial_success);
    assert_int_equal(resp->partial_success->rejected_spans, 2);
    assert_string_equal(resp->partial_success->error_message,
                        "2 spans end before they start");
    /* field 1 (len 33) { field 1 varint 2, field 2 (len 29) "2 spans..." } */
    assert_int_equal(r.body_len, 2 + 2 + 2 + 29);
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(
        resp, NULL);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_bad_data_is_invalid_argument(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.outcome = DP_EXPORT_BAD_DATA;
    f.st.message = "span 0: trace_id has 3 bytes, want 16";
    dp_gtc_reply r;
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(r.details, "span 0: trace_id has 3 bytes, want 16");
    assert_int_equal(f.st.calls, 1);
    dp_gtc_reply_free(&r);

    /* Without a message from the handler the details are a default text. */
    f.st.message = NULL;
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(r.details, "the request could not be decoded");
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_unavailable_and_internal(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.outcome = DP_EXPORT_UNAVAILABLE;
    dp_gtc_reply r;
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_UNAVAILABLE);
    assert_string_equal(r.details, "the receiver is overloaded; retry later");
    assert_null(r.body);
    assert_int_equal(r.status_bin_len, 0); /* no retry_after_s, no RetryInfo */
    dp_gtc_reply_free(&r);

    /* With retry_after_s the status carries a google.rpc.RetryInfo. */
    f.st.retry_after_s = 3;
    f.st.message = "queue full";
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_UNAVAILABLE);
    assert_string_equal(r.details, "queue full");
    static const uint8_t want[] =
        "\x08\x0e" /* code 14 */
        "\x12\x0a"
        "queue full" /* message */
        "\x1a\x30"   /* details: Any, 48 bytes */
        "\x0a\x28"
        "type.googleapis.com/google.rpc.RetryInfo"
        "\x12\x04"
        "\x0a\x02\x08\x03"; /* RetryInfo{Duration{3 s}} */
    assert_int_equal(r.status_bin_len, sizeof(want) - 1);
    assert_memory_equal(r.status_bin, want, sizeof(want) - 1);
    dp_gtc_reply_free(&r);
    f.st.retry_after_s = 0;
    f.st.message = NULL;

    f.st.outcome = DP_EXPORT_INTERNAL;
    f.st.message = "processor stopped";
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_INTERNAL);
    assert_string_equal(r.details, "processor stopped");
    dp_gtc_reply_free(&r);
    assert_int_equal(f.st.calls, 3);
    fixture_stop(&f);
}

static void test_otlp_grpc_no_message_and_unknown_method(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    dp_gtc_reply r;
    assert_int_equal(
        dp_gtc_unary(f.ch, DP_GTC_EXPORT_METHOD, NULL, 0, CALL_TIMEOUT_MS, &r),
        0);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(r.details, "the call carried no request message");
    dp_gtc_reply_free(&r);

    /* Another OTLP service on the same port fails fast, not at deadline. */
    int64_t t0 = now_ms();
    uint8_t one = 0;
    assert_int_equal(
        dp_gtc_unary(
            f.ch,
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            &one, 0, CALL_TIMEOUT_MS, &r),
        0);
    assert_int_equal(r.status, GRPC_STATUS_UNIMPLEMENTED);
    assert_true(now_ms() - t0 < CALL_TIMEOUT_MS / 2);
    assert_non_null(strstr(r.details, "MetricsService/Export"));
    dp_gtc_reply_free(&r);
    assert_int_equal(f.st.calls, 0);
    fixture_stop(&f);
}

static void test_otlp_grpc_gzip_request_arrives_decompressed(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_GZIP);
    dp_gtc_reply r;
    uint8_t *sent;
    size_t sent_len;
    call_export(&f, "gzipped", 20000, &r, &sent, &sent_len);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    assert_int_equal(f.st.last_len, sent_len);
    assert_memory_equal(f.st.last, sent, sent_len);
    free(sent);
    dp_gtc_reply_free(&r);

    /* deflate too */
    grpc_channel *ch = dp_gtc_channel(f.port, GRPC_COMPRESS_DEFLATE);
    size_t len;
    uint8_t *req = make_request("deflated", 5000, &len);
    assert_int_equal(
        dp_gtc_unary(ch, DP_GTC_EXPORT_METHOD, req, len, CALL_TIMEOUT_MS, &r),
        0);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 2);
    assert_int_equal(f.st.last_len, len);
    assert_memory_equal(f.st.last, req, len);
    free(req);
    dp_gtc_reply_free(&r);
    grpc_channel_destroy(ch);
    fixture_stop(&f);
}

static void test_otlp_grpc_too_large_is_resource_exhausted(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 64 * 1024, 2, GRPC_COMPRESS_NONE);
    dp_gtc_reply r;
    call_export(&f, "big", 100 * 1024, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(f.st.calls, 0);
    dp_gtc_reply_free(&r);

    /* Just under the limit still passes, and the server keeps serving. */
    uint8_t *sent;
    size_t sent_len;
    call_export(&f, "fits", 60 * 1024, &r, &sent, &sent_len);
    assert_true(sent_len < 64 * 1024);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    assert_int_equal(f.st.last_len, sent_len);
    free(sent);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_gzip_bomb_is_resource_exhausted(void **state)
{
    (void)state;
    struct fixture f;
    /* 1 MiB of 'x' compresses to about 1 KiB: the limit must apply to the
     * decompressed message. */
    fixture_start(&f, 64 * 1024, 2, GRPC_COMPRESS_GZIP);
    dp_gtc_reply r;
    call_export(&f, "bomb", 1024 * 1024, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(f.st.calls, 0);
    dp_gtc_reply_free(&r);

    call_export(&f, "small", 1000, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

#define N_CONCURRENT 16

struct client_job {
    struct fixture *f;
    int index;
    size_t sent_len;
    int status;
};

static void *client_thread(void *arg)
{
    struct client_job *job = arg;
    char name[32];
    snprintf(name, sizeof(name), "node-%d", job->index);
    size_t len;
    /* Distinct sizes, so the handler's byte total proves each arrived once. */
    uint8_t *req = make_request(name, 100 + (size_t)job->index * 7, &len);
    dp_gtc_reply r;
    job->status = -1;
    if (dp_gtc_unary(job->f->ch, DP_GTC_EXPORT_METHOD, req, len,
                     CALL_TIMEOUT_MS, &r) == 0)
        job->status = r.status;
    job->sent_len = len;
    dp_gtc_reply_free(&r);
    free(req);
    return NULL;
}

static void test_otlp_grpc_concurrent_calls_all_answered(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 4, GRPC_COMPRESS_NONE);
    f.st.sleep_ms = 50;
    pthread_t th[N_CONCURRENT];
    struct client_job jobs[N_CONCURRENT];
    for (int i = 0; i < N_CONCURRENT; i++) {
        jobs[i].f = &f;
        jobs[i].index = i;
        assert_int_equal(pthread_create(&th[i], NULL, client_thread, &jobs[i]),
                         0);
    }
    size_t total = 0;
    for (int i = 0; i < N_CONCURRENT; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].status, GRPC_STATUS_OK);
        total += jobs[i].sent_len;
    }
    assert_int_equal(f.st.calls, N_CONCURRENT);
    assert_int_equal(f.st.total_len, total);
    /* Four serving threads ran handlers at the same time. */
    assert_true(f.st.peak >= 2);
    assert_true(f.st.peak <= 4);
    fixture_stop(&f);
}

static void test_otlp_grpc_bind_port_in_use_fails(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 1, GRPC_COMPRESS_NONE);
    char endpoint[64], err[256], want[96];
    snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", f.port);
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.endpoint = endpoint;
    /* A second receiver must not share the port through SO_REUSEPORT. */
    dp_grpc_server *second =
        dp_grpc_server_create(&cfg, stub_export, &f.st, err, sizeof(err));
    assert_null(second);
    snprintf(want, sizeof(want), "cannot listen on %s", endpoint);
    assert_non_null(strstr(err, want));

    /* A plain listening socket holds a port too. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", ntohs(sa.sin_port));
    second = dp_grpc_server_create(&cfg, stub_export, &f.st, err, sizeof(err));
    assert_null(second);
    snprintf(want, sizeof(want), "cannot listen on %s", endpoint);
    assert_non_null(strstr(err, want));
    close(fd);

    /* Bad endpoints and arguments. */
    cfg.endpoint = "no-port-here";
    assert_null(
        dp_grpc_server_create(&cfg, stub_export, &f.st, err, sizeof(err)));
    assert_non_null(strstr(err, "not host:port"));
    cfg.endpoint = "127.0.0.1:0";
    assert_null(dp_grpc_server_create(&cfg, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "no export handler"));

    /* The first server still serves. */
    dp_gtc_reply r;
    call_export(&f, "still-here", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_shutdown_idle_is_clean(void **state)
{
    (void)state;
    struct stub st;
    stub_init(&st);
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.endpoint = "127.0.0.1:0";
    char err[256];

    /* Never started. */
    dp_grpc_server *s =
        dp_grpc_server_create(&cfg, stub_export, &st, err, sizeof(err));
    assert_non_null(s);
    assert_true(dp_grpc_server_port(s) > 0);
    dp_grpc_server_destroy(s);

    /* Started, shut down with no calls: returns at once. */
    s = dp_grpc_server_create(&cfg, stub_export, &st, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(dp_grpc_server_start(s), 0);
    int64_t t0 = now_ms();
    dp_grpc_server_shutdown(s, 5000);
    assert_true(now_ms() - t0 < 2000);
    dp_grpc_server_shutdown(s, 5000); /* idempotent */
    assert_int_equal(dp_grpc_server_start(s), DP_EINVAL);
    dp_grpc_server_destroy(s);

    /* Started and destroyed without an explicit shutdown. */
    s = dp_grpc_server_create(&cfg, stub_export, &st, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(dp_grpc_server_start(s), 0);
    dp_grpc_server_destroy(s);

    dp_grpc_server_destroy(NULL);
    dp_grpc_server_shutdown(NULL, 0);
    assert_int_equal(dp_grpc_server_port(NULL), 0);
    assert_int_equal(dp_grpc_server_start(NULL), DP_EINVAL);
    assert_int_equal(st.calls, 0);
    stub_fini(&st);
}

struct inflight {
    struct fixture *f;
    int status;
};

static void *inflight_client(void *arg)
{
    struct inflight *in = arg;
    size_t len;
    uint8_t *req = make_request("slow", 10, &len);
    dp_gtc_reply r;
    in->status = -1;
    if (dp_gtc_unary(in->f->ch, DP_GTC_EXPORT_METHOD, req, len, CALL_TIMEOUT_MS,
                     &r) == 0)
        in->status = r.status;
    dp_gtc_reply_free(&r);
    free(req);
    return NULL;
}

/* Starts one slow call, waits until its handler runs, then shuts down with
 * deadline_ms. Returns the shutdown's duration; *status gets the client's. */
static int64_t shutdown_during_call(int handler_ms, int deadline_ms,
                                    int *status)
{
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.sleep_ms = handler_ms;
    struct inflight in = {&f, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, inflight_client, &in), 0);
    for (int i = 0; i < 1000 && atomic_load(&f.st.entered) == 0; i++)
        sleep_ms(5);
    assert_int_equal(atomic_load(&f.st.entered), 1);

    int64_t t0 = now_ms();
    dp_grpc_server_shutdown(f.srv, deadline_ms);
    int64_t took = now_ms() - t0;
    pthread_join(th, NULL);
    assert_int_equal(f.st.calls, 1); /* the handler always ran to its end */
    *status = in.status;
    fixture_stop(&f);
    return took;
}

static void test_otlp_grpc_shutdown_lets_inflight_call_finish(void **state)
{
    (void)state;
    int status;
    int64_t took = shutdown_during_call(300, 5000, &status);
    assert_int_equal(status, GRPC_STATUS_OK);
    assert_true(took >= 200); /* waited for the handler */
    assert_true(took < 4000); /* but not for the whole deadline */
}

static void test_otlp_grpc_shutdown_cancels_after_deadline(void **state)
{
    (void)state;
    int status;
    int64_t took = shutdown_during_call(600, 50, &status);
    assert_int_not_equal(status, GRPC_STATUS_OK);
    assert_int_not_equal(status, -1); /* the client got a status, no hang */
    assert_true(took >= 400);         /* a running handler is not interrupted */
    assert_true(took < 5000);
}

/* ------------------------------------------------------------------------ */
/* The compressed flag and connection limits, on a raw HTTP/2 connection.    */

/* Sends one Export call with the given flag and grpc-encoding on a new raw
 * connection and returns its grpc-status (-1 when none was read). */
static int raw_export(struct fixture *f, uint8_t flag, const char *encoding,
                      char *message, size_t cap)
{
    size_t len;
    uint8_t *req = make_request("raw", 0, &len);
    dp_h2 *c = dp_h2_connect(f->port);
    assert_non_null(c);
    assert_int_equal(dp_h2_preface(c), 0);
    assert_int_equal(dp_h2_grpc_headers(c, 1, DP_GTC_EXPORT_METHOD, encoding),
                     0);
    assert_int_equal(dp_h2_grpc_message(c, 1, flag, req, len), 0);
    free(req);
    assert_true(dp_h2_pump(c, DP_H2_UNTIL_STREAM_END, CALL_TIMEOUT_MS));
    char v[32];
    int status =
        dp_h2_literal_value(c, "grpc-status", v, sizeof(v)) ? atoi(v) : -1;
    if (message && !dp_h2_literal_value(c, "grpc-message", message, cap))
        message[0] = '\0';
    dp_h2_close(c);
    return status;
}

static void
test_otlp_grpc_compressed_flag_without_encoding_is_internal(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 1, GRPC_COMPRESS_NONE);
    char msg[256];
    /* The raw client itself: a plain message is decoded and answered OK. */
    assert_int_equal(raw_export(&f, 0, NULL, NULL, 0), GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    /* The same bytes flagged compressed, with no grpc-encoding or with
     * identity: a protocol error, never handed to the handler. */
    assert_int_equal(raw_export(&f, 1, NULL, msg, sizeof(msg)),
                     GRPC_STATUS_INTERNAL);
    assert_non_null(strstr(msg, "compressed flag"));
    assert_int_equal(raw_export(&f, 1, "identity", NULL, 0),
                     GRPC_STATUS_INTERNAL);
    assert_int_equal(f.st.calls, 1);
    /* Flag 0 with grpc-encoding gzip is a plain message (allowed). */
    assert_int_equal(raw_export(&f, 0, "gzip", NULL, 0), GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 2);
    fixture_stop(&f);
}

static void
test_otlp_grpc_handshake_timeout_closes_silent_connection(void **state)
{
    (void)state;
    struct fixture f;
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.handshake_timeout_ms = 300;
    fixture_start_cfg(&f, &cfg, GRPC_COMPRESS_NONE);
    /* Connects and sends nothing; then one that stops mid-preface. */
    for (int i = 0; i < 2; i++) {
        double t0 = dp_h2_now_ms();
        dp_h2 *c = dp_h2_connect(f.port);
        assert_non_null(c);
        c->quiet = true; /* the server's SETTINGS go unanswered */
        if (i == 1)
            assert_int_equal(dp_h2_send(c, "PRI * HTTP/2.0\r\n", 16), 0);
        assert_true(dp_h2_pump(c, DP_H2_UNTIL_EOF, 5000));
        double dt = dp_h2_now_ms() - t0;
        assert_true(dt >= 200 && dt < 3000);
        dp_h2_close(c);
    }
    /* A real client still gets through. */
    dp_gtc_reply r;
    call_export(&f, "after", 0, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

/* A connection that did its handshake and then sits without calls. */
static void goaway_after(int idle_ms, int age_ms, double min_ms, double max_ms,
                         uint32_t want_error)
{
    struct fixture f;
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.max_connection_idle_ms = idle_ms;
    cfg.max_connection_age_ms = age_ms;
    cfg.max_connection_age_grace_ms = 100;
    fixture_start_cfg(&f, &cfg, GRPC_COMPRESS_NONE);
    double t0 = dp_h2_now_ms();
    dp_h2 *c = dp_h2_connect(f.port);
    assert_non_null(c);
    assert_int_equal(dp_h2_preface(c), 0);
    assert_true(dp_h2_pump(c, DP_H2_UNTIL_GOAWAY, 5000));
    double dt = dp_h2_now_ms() - t0;
    assert_true(dt >= min_ms && dt < max_ms);
    assert_int_equal(c->goaway_error, want_error);
    /* With no call open the server then closes the connection. */
    assert_true(dp_h2_pump(c, DP_H2_UNTIL_EOF, 5000));
    dp_h2_close(c);
    fixture_stop(&f);
}

static void test_otlp_grpc_idle_connection_gets_goaway(void **state)
{
    (void)state;
    /* gRPC core 1.51 says "enter idle" with INTERNAL_ERROR (2) and closes
     * at once: no call is open to be hurt. */
    goaway_after(300, 0, 200, 3000, 2);
}

static void test_otlp_grpc_old_connection_gets_goaway(void **state)
{
    (void)state;
    /* "max_age", NO_ERROR: calls in flight get the grace period. Core adds
     * +-10% jitter to the age. */
    goaway_after(0, 400, 300, 3000, 0);
}

static void test_otlp_grpc_config_defaults(void **state)
{
    (void)state;
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    assert_int_equal(cfg.handshake_timeout_ms, 10000);
    assert_int_equal(cfg.max_connection_idle_ms, 300000);
    assert_int_equal(cfg.max_connection_age_ms, 1800000);
    assert_int_equal(cfg.max_connection_age_grace_ms, 30000);
    assert_int_equal(cfg.keepalive_time_ms, 120000);
    assert_int_equal(cfg.keepalive_timeout_ms, 20000);
    assert_int_equal(cfg.keepalive_min_ping_interval_ms, 10000);
    assert_int_equal(cfg.max_concurrent_streams, 100);
}

int main(void)
{
    dp_log_set_level(DP_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_grpc_export_ok_passes_exact_bytes),
        cmocka_unit_test(test_otlp_grpc_partial_success_in_response),
        cmocka_unit_test(test_otlp_grpc_bad_data_is_invalid_argument),
        cmocka_unit_test(test_otlp_grpc_unavailable_and_internal),
        cmocka_unit_test(test_otlp_grpc_no_message_and_unknown_method),
        cmocka_unit_test(test_otlp_grpc_gzip_request_arrives_decompressed),
        cmocka_unit_test(test_otlp_grpc_too_large_is_resource_exhausted),
        cmocka_unit_test(test_otlp_grpc_gzip_bomb_is_resource_exhausted),
        cmocka_unit_test(test_otlp_grpc_concurrent_calls_all_answered),
        cmocka_unit_test(test_otlp_grpc_bind_port_in_use_fails),
        cmocka_unit_test(test_otlp_grpc_shutdown_idle_is_clean),
        cmocka_unit_test(test_otlp_grpc_shutdown_lets_inflight_call_finish),
        cmocka_unit_test(test_otlp_grpc_shutdown_cancels_after_deadline),
        cmocka_unit_test(
            test_otlp_grpc_compressed_flag_without_encoding_is_internal),
        cmocka_unit_test(
            test_otlp_grpc_handshake_timeout_closes_silent_connection),
        cmocka_unit_test(test_otlp_grpc_idle_connection_gets_goaway),
        cmocka_unit_test(test_otlp_grpc_old_connection_gets_goaway),
        cmocka_unit_test(test_otlp_grpc_config_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
