/*
 * otlp_grpc_fixture.h - the fixture of the OTLP/gRPC receiver tests
 * (test_otlp_grpc.c: replies, status codes and their details;
 * test_otlp_grpc_server.c: concurrency, ports, shutdown, the raw HTTP/2
 * cases and connection limits).
 *
 * A stub dp_export_fn records what it was given and answers with whatever
 * the test dictates; fixture_start*() runs dp_grpc_server on a free
 * loopback port with that stub and opens a channel of grpc_test_client.h
 * to it; make_request() packs a real ExportTraceServiceRequest of one span.
 * Every wait is bounded by a call deadline or a counted loop. Static
 * inline: each test is its own executable. Include after <cmocka.h>.
 */
#ifndef DP_TEST_OTLP_GRPC_FIXTURE_H
#define DP_TEST_OTLP_GRPC_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grpc_test_client.h"
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

static inline void stub_init(struct stub *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_init(&st->mu, NULL);
    atomic_init(&st->entered, 0);
}

static inline void stub_fini(struct stub *st)
{
    free(st->last);
    pthread_mutex_destroy(&st->mu);
}

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void stub_export(void *user, int format, const uint8_t *body,
                               size_t len, dp_export_result *result)
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
static inline uint8_t *make_request(const char *name, size_t pad_len,
                                    size_t *len)
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
static inline void fixture_start_cfg(struct fixture *f, dp_grpc_config *cfg,
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

/* Starts the server with a default configuration but max_message and
 * threads; a second start is refused. */
static inline void fixture_start(struct fixture *f, size_t max_message,
                                 int threads, int compression)
{
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.max_message_bytes = max_message;
    cfg.threads = threads;
    fixture_start_cfg(f, &cfg, compression);
    assert_int_equal(dp_grpc_server_start(f->srv), DP_EINVAL);
}

static inline void fixture_stop(struct fixture *f)
{
    assert_int_equal(f->st.not_zeroed, 0);
    grpc_channel_destroy(f->ch);
    dp_grpc_server_shutdown(f->srv, 2000);
    dp_grpc_server_destroy(f->srv);
    grpc_shutdown();
    stub_fini(&f->st);
}

/* Sends a request of one span named name with pad_len attribute bytes. */
static inline void call_export(struct fixture *f, const char *name,
                               size_t pad_len, dp_gtc_reply *out,
                               uint8_t **sent, size_t *sent_len)
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

#endif /* DP_TEST_OTLP_GRPC_FIXTURE_H */
