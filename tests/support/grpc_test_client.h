/*
 * grpc_test_client.h - a small unary gRPC client on the C core API, for tests
 * and benchmarks that talk to dagprof's OTLP/gRPC receiver (or to a fake
 * collector when testing the OTLP push exporter).
 *
 * Header-only (static inline) so any test can include it; the call itself
 * is the product's (exporter/grpc_unary.c: link dp_exporter). The caller
 * holds a grpc_init() reference while using it. One call is one batch (send
 * initial metadata, send message, close, receive initial metadata, message
 * and status) on a private completion queue, bounded by a deadline.
 */
#ifndef DP_GRPC_TEST_CLIENT_H
#define DP_GRPC_TEST_CLIENT_H

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

#include "grpc_unary.h" /* dp_exporter */

#define DP_GTC_EXPORT_METHOD                                                   \
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

typedef struct dp_gtc_reply {
    grpc_status_code status; /* -1 when the call never completed */
    char details[512];
    uint8_t *body; /* malloc'd response message, NULL when none */
    size_t body_len;
    uint8_t status_bin[512]; /* trailing grpc-status-details-bin, if any */
    size_t status_bin_len;
} dp_gtc_reply;

/* Creates an insecure channel to 127.0.0.1:port. compression is a
 * grpc_compression_algorithm used for every request, or GRPC_COMPRESS_NONE.
 * Release with grpc_channel_destroy. */
static inline grpc_channel *dp_gtc_channel(int port, int compression)
{
    char target[64];
    snprintf(target, sizeof(target), "127.0.0.1:%d", port);
    grpc_arg args[2];
    memset(args, 0, sizeof(args));
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_COMPRESSION_CHANNEL_DEFAULT_ALGORITHM;
    args[0].value.integer = compression;
    args[1].type = GRPC_ARG_INTEGER; /* one connection per channel */
    args[1].key = (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
    args[1].value.integer = 1;
    grpc_channel_args chargs = {2, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    grpc_channel *ch = grpc_channel_create(target, creds, &chargs);
    grpc_channel_credentials_release(creds);
    return ch;
}

static inline void dp_gtc_reply_free(dp_gtc_reply *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

/* Calls method on ch with the request bytes req[0..len) (req == NULL sends
 * no message at all) and waits at most timeout_ms for the status. Fills
 * *out (free its body with dp_gtc_reply_free). Returns 0 when a status was
 * received, -1 when the call could not be started or did not finish. */
static inline int dp_gtc_unary(grpc_channel *ch, const char *method,
                               const void *req, size_t len, int timeout_ms,
                               dp_gtc_reply *out)
{
    memset(out, 0, sizeof(*out));
    out->status = (grpc_status_code)-1;
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                     gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    grpc_slice method_slice = grpc_slice_from_static_string(method);
    grpc_call *call =
        grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                 method_slice, NULL, deadline, NULL);
    grpc_byte_buffer *send = NULL;
    if (req) {
        grpc_slice s = grpc_slice_from_copied_buffer((const char *)req, len);
        send = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
    }
    dp_grpc_reply rep;
    int rc = -1;
    if (dp_grpc_unary(call, cq, deadline, NULL, 0, send, &rep) ==
            GRPC_CALL_OK &&
        rep.completed) {
        rc = 0;
        out->status = rep.status;
        dp_grpc_reply_details(&rep, out->details, sizeof(out->details));
        if (rep.status_bin && rep.status_bin_len <= sizeof(out->status_bin)) {
            out->status_bin_len = rep.status_bin_len;
            memcpy(out->status_bin, rep.status_bin, rep.status_bin_len);
        }
        out->body = dp_grpc_reply_take_body(&rep, &out->body_len);
    }
    dp_grpc_reply_fini(&rep);
    if (call)
        grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    while (
        grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
            .type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    if (send)
        grpc_byte_buffer_destroy(send);
    return rc;
}

#endif /* DP_GRPC_TEST_CLIENT_H */
