/*
 * otlp_test_sink.h - a fake OpenTelemetry collector for tests: a gRPC C core
 * server on 127.0.0.1 that serves LogsService/Export and
 * MetricsService/Export, records every request (the decompressed body and
 * the authorization, x-tenant and user-agent metadata) and answers with a
 * scripted status per method - optionally with a google.rpc.Status carrying
 * a RetryInfo (or another detail type) in grpc-status-details-bin, or with
 * a partial_success - or never answers at all (the call is held until the
 * client gives up).
 *
 * Header-only (static inline) so any test of the OTLP push exporter can use
 * it; include it after <cmocka.h>. One serving thread; the test thread scripts
 * and reads under the sink's mutex. A request is recorded before its reply is
 * sent, so the count is current as soon as the client's call returns. Shutdown
 * follows the order in ../shared/FACTS.md (clean under ASan/LSan).
 */
#ifndef DP_OTLP_TEST_SINK_H
#define DP_OTLP_TEST_SINK_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/compression.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "dp_wire.h"
#include "grpc_call.h" /* receiver/ */
#include "otlp_push.h"

#define DP_SINK_MAX_REQS 64
#define DP_SINK_MAX_SCRIPT 16

enum { DP_SINK_LOGS = 0, DP_SINK_METRICS = 1 };

struct dp_sink_reply {
    grpc_status_code status;
    int detail; /* 0 none, 1 RetryInfo, 2 another detail type only */
    int64_t retry_s;
    int32_t retry_nanos;
    int64_t rejected; /* OK only: partial_success.rejected_* */
};

struct dp_sink_req {
    int method;
    uint8_t *body;
    size_t len;
    char authorization[128];
    char tenant[64];
    char user_agent[128];
};

enum dp_sink_rpc_phase {
    DP_SINK_RPC_REQUESTED = 0,
    DP_SINK_RPC_REPLYING,
    DP_SINK_RPC_HELD
};

struct dp_sink_rpc {
    int phase;
    int method;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    grpc_byte_buffer *response;
    grpc_slice details;
    grpc_metadata trailer;
    int has_trailer;
    int cancelled;
};

struct dp_sink {
    grpc_server *server;
    grpc_completion_queue *cq;
    void *methods[2];
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int accepting;
    int notified;
    int shutdown_tag; /* its address is the shutdown tag */
    /* script, per method: replies[0..n) then OK */
    struct dp_sink_reply script[2][DP_SINK_MAX_SCRIPT];
    int n_script[2], next_script[2];
    int never_answer;
    /* seen */
    struct dp_sink_req reqs[DP_SINK_MAX_REQS];
    int n_reqs;
    int n_method[2];
};

/* google.rpc.Status {code, message, details [Any{type_url, value}]} where
 * value is RetryInfo{retry_delay: Duration{seconds, nanos}}, or (detail 2)
 * an ErrorInfo-typed Any that must not count as RetryInfo. */
static inline size_t dp_sink_encode_status(const struct dp_sink_reply *rp,
                                           uint8_t *out)
{
    const char *type_url = rp->detail == 1
                               ? "type.googleapis.com/google.rpc.RetryInfo"
                               : "type.googleapis.com/google.rpc.ErrorInfo";
    uint8_t duration[24], info[32], any[128];
    size_t nd = dp_wire_put_uint(duration, 1, (uint64_t)rp->retry_s);
    if (rp->retry_nanos)
        nd += dp_wire_put_uint(duration + nd, 2,
                               (uint64_t)(int64_t)rp->retry_nanos);
    size_t ni = dp_wire_put_len(info, 1, duration, nd);
    size_t na = dp_wire_put_len(any, 1, type_url, strlen(type_url));
    na += dp_wire_put_len(any + na, 2, info, ni);
    size_t n = dp_wire_put_uint(out, 1, (uint64_t)rp->status);
    n += dp_wire_put_len(out + n, 2, "busy", 4);
    return n + dp_wire_put_len(out + n, 3, any, na);
}

static inline void dp_sink_rpc_free(struct dp_sink_rpc *r)
{
    dp_grpc_call_release(r->call, &r->md, r->payload, r->response, r->details,
                         r->has_trailer ? &r->trailer : NULL);
    free(r);
}

static inline void dp_sink_request(struct dp_sink *s, int method)
{
    struct dp_sink_rpc *r = calloc(1, sizeof(*r));
    r->method = method;
    r->details = grpc_empty_slice();
    grpc_metadata_array_init(&r->md);
    pthread_mutex_lock(&s->mu);
    int ok = s->accepting;
    if (ok)
        grpc_server_request_registered_call(s->server, s->methods[method],
                                            &r->call, &r->deadline, &r->md,
                                            &r->payload, s->cq, s->cq, r);
    pthread_mutex_unlock(&s->mu);
    if (!ok)
        dp_sink_rpc_free(r);
}

static inline void dp_sink_copy_md(const grpc_metadata_array *md,
                                   const char *key, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t i = 0; i < md->count; i++)
        if (grpc_slice_str_cmp(md->metadata[i].key, key) == 0)
            snprintf(out, len, "%.*s",
                     (int)GRPC_SLICE_LENGTH(md->metadata[i].value),
                     (const char *)GRPC_SLICE_START_PTR(md->metadata[i].value));
}

/* Records an arrived call and starts its reply (or holds it). */
static inline void dp_sink_serve(struct dp_sink *s, struct dp_sink_rpc *r)
{
    pthread_mutex_lock(&s->mu);
    if (s->n_reqs < DP_SINK_MAX_REQS) {
        struct dp_sink_req *q = &s->reqs[s->n_reqs++];
        q->method = r->method;
        dp_sink_copy_md(&r->md, "authorization", q->authorization,
                        sizeof(q->authorization));
        dp_sink_copy_md(&r->md, "x-tenant", q->tenant, sizeof(q->tenant));
        dp_sink_copy_md(&r->md, "user-agent", q->user_agent,
                        sizeof(q->user_agent));
        if (r->payload) {
            grpc_byte_buffer_reader reader;
            grpc_byte_buffer_reader_init(&reader, r->payload);
            grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
            q->len = GRPC_SLICE_LENGTH(all);
            q->body = malloc(q->len ? q->len : 1);
            memcpy(q->body, GRPC_SLICE_START_PTR(all), q->len);
            grpc_slice_unref(all);
            grpc_byte_buffer_reader_destroy(&reader);
        }
    }
    s->n_method[r->method]++;
    struct dp_sink_reply rp = {GRPC_STATUS_OK, 0, 0, 0, 0};
    if (s->next_script[r->method] < s->n_script[r->method])
        rp = s->script[r->method][s->next_script[r->method]++];
    int hold = s->never_answer;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);

    grpc_op ops[4];
    memset(ops, 0, sizeof(ops));
    size_t n = 0;
    if (hold) {
        /* Only learn when the client gives up. */
        r->phase = DP_SINK_RPC_HELD;
        ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
        ops[n++].data.recv_close_on_server.cancelled = &r->cancelled;
        grpc_call_start_batch(r->call, ops, n, r, NULL);
        return;
    }
    if (rp.status == GRPC_STATUS_OK) {
        uint8_t body[64];
        size_t len = 0;
        if (rp.rejected) /* partial_success {rejected = 1, message = 2} */
            len = dp_wire_put_export_response(body, true, rp.rejected, "bad");
        grpc_slice sl = grpc_slice_from_copied_buffer((const char *)body, len);
        r->response = grpc_raw_byte_buffer_create(&sl, 1);
        grpc_slice_unref(sl);
    } else if (rp.detail) {
        uint8_t bin[256];
        size_t len = dp_sink_encode_status(&rp, bin);
        r->trailer.key =
            grpc_slice_from_static_string("grpc-status-details-bin");
        r->trailer.value =
            grpc_slice_from_copied_buffer((const char *)bin, len);
        r->has_trailer = 1;
    }
    r->details = grpc_slice_from_copied_string(
        rp.status == GRPC_STATUS_OK ? "" : "scripted failure");
    r->phase = DP_SINK_RPC_REPLYING;
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    n++;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &r->cancelled;
    if (r->response) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = r->response;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = rp.status;
    ops[n].data.send_status_from_server.status_details = &r->details;
    ops[n].data.send_status_from_server.trailing_metadata_count =
        (size_t)r->has_trailer;
    ops[n].data.send_status_from_server.trailing_metadata =
        r->has_trailer ? &r->trailer : NULL;
    n++;
    if (grpc_call_start_batch(r->call, ops, n, r, NULL) != GRPC_CALL_OK)
        dp_sink_rpc_free(r);
}

static inline void *dp_sink_thread(void *arg)
{
    struct dp_sink *s = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            s->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        if (ev.tag == &s->shutdown_tag) {
            pthread_mutex_lock(&s->mu);
            s->notified = 1;
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&s->mu);
            continue;
        }
        struct dp_sink_rpc *r = ev.tag;
        if (r->phase == DP_SINK_RPC_REQUESTED) {
            if (!ev.success) {
                dp_sink_rpc_free(r);
                continue;
            }
            int method = r->method;
            dp_sink_serve(s, r);
            dp_sink_request(s, method);
        } else {
            dp_sink_rpc_free(r);
        }
    }
    return NULL;
}

/* Starts a sink on 127.0.0.1 (free port). gzip_ok == 0 disables gzip on
 * the server, so a gzip-compressed request is refused by core. */
static inline void dp_sink_start(struct dp_sink *s, int gzip_ok)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->shutdown_tag = 1;
    grpc_init();
    grpc_arg args[1];
    memset(args, 0, sizeof(args));
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET;
    args[0].value.integer =
        (1 << GRPC_COMPRESS_NONE) | (gzip_ok ? (1 << GRPC_COMPRESS_GZIP) : 0);
    grpc_channel_args chargs = {1, args};
    s->server = grpc_server_create(&chargs, NULL);
    s->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(s->server, s->cq, NULL);
    s->methods[DP_SINK_LOGS] = grpc_server_register_method(
        s->server, DP_OTLP_PUSH_LOGS_METHOD, NULL,
        GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    s->methods[DP_SINK_METRICS] = grpc_server_register_method(
        s->server, DP_OTLP_PUSH_METRICS_METHOD, NULL,
        GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    s->port = grpc_server_add_http2_port(s->server, "127.0.0.1:0", creds);
    grpc_server_credentials_release(creds);
    assert_true(s->port > 0);
    grpc_server_start(s->server);
    s->accepting = 1;
    assert_int_equal(pthread_create(&s->thread, NULL, dp_sink_thread, s), 0);
    dp_sink_request(s, DP_SINK_LOGS);
    dp_sink_request(s, DP_SINK_METRICS);
}

static inline void dp_sink_stop(struct dp_sink *s)
{
    pthread_mutex_lock(&s->mu);
    s->accepting = 0;
    pthread_mutex_unlock(&s->mu);
    grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
    grpc_server_cancel_all_calls(s->server);
    pthread_mutex_lock(&s->mu);
    while (!s->notified)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    grpc_server_destroy(s->server);
    grpc_completion_queue_shutdown(s->cq);
    pthread_join(s->thread, NULL);
    grpc_completion_queue_destroy(s->cq);
    for (int i = 0; i < s->n_reqs; i++)
        free(s->reqs[i].body);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    grpc_shutdown();
}

static inline void dp_sink_script(struct dp_sink *s, int method,
                                  struct dp_sink_reply rp)
{
    pthread_mutex_lock(&s->mu);
    assert_true(s->n_script[method] < DP_SINK_MAX_SCRIPT);
    s->script[method][s->n_script[method]++] = rp;
    pthread_mutex_unlock(&s->mu);
}

static inline int dp_sink_count(struct dp_sink *s, int method)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_method[method];
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* The k-th recorded request of method (k < 0: the last one). */
static inline const struct dp_sink_req *dp_sink_get(struct dp_sink *s,
                                                    int method, int k)
{
    const struct dp_sink_req *found = NULL;
    int seen = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_reqs; i++) {
        if (s->reqs[i].method != method)
            continue;
        if (k < 0 || seen == k)
            found = &s->reqs[i];
        if (seen++ == k)
            break;
    }
    pthread_mutex_unlock(&s->mu);
    assert_non_null(found);
    return found;
}

#endif /* DP_OTLP_TEST_SINK_H */
