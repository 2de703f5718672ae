/*
 * grpc_unary.h - one unary gRPC call on the C core client API: the
 * transport of the OTLP push exporter (otlp_push.c), also the tests' and
 * benchmarks' gRPC client (tests/support/grpc_test_client.h).
 *
 * The caller creates the call on its completion queue with a deadline (a
 * registered or a named method) and owns it; dp_grpc_unary runs it as one
 * batch (send initial metadata, message, close; receive initial metadata,
 * message and status) and waits for the status. No thread other than the
 * caller's may wait on the queue meanwhile.
 */
#ifndef DP_GRPC_UNARY_H
#define DP_GRPC_UNARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a call returned. Release with dp_grpc_reply_fini. */
typedef struct dp_grpc_reply {
    bool completed; /* the status came by the deadline plus a second; else
                       the call was cancelled (status as that ended it) */
    grpc_status_code status;
    grpc_slice details;
    uint8_t *body; /* the response message, malloc'd; NULL when none */
    size_t body_len;
    uint8_t *status_bin; /* the (last) grpc-status-details-bin trailer,
                            malloc'd; NULL when none */
    size_t status_bin_len;
} dp_grpc_reply;

/* Runs call (NULL: one that could not be created) with the headers
 * md[0..n_md) and the request send (NULL: no message at all), on cq, and
 * waits for its status at most until deadline plus a second; past that it
 * cancels the call and waits for it to end. Takes no ownership. Returns
 * the error of starting the batch (GRPC_CALL_ERROR for a NULL call); *out
 * is filled when that is GRPC_CALL_OK, else empty, and always needs
 * dp_grpc_reply_fini. A body or trailer that cannot be copied for want of
 * memory is left out. */
grpc_call_error dp_grpc_unary(grpc_call *call, grpc_completion_queue *cq,
                              gpr_timespec deadline, const grpc_metadata *md,
                              size_t n_md, grpc_byte_buffer *send,
                              dp_grpc_reply *out);

/* The status details as a C string in out (cap bytes; cut to fit). */
void dp_grpc_reply_details(const dp_grpc_reply *r, char *out, size_t cap);

/* Hands the body over (malloc'd, NULL when none), its length in *len. */
uint8_t *dp_grpc_reply_take_body(dp_grpc_reply *r, size_t *len);

/* Frees what dp_grpc_unary filled in (body and status_bin included). */
void dp_grpc_reply_fini(dp_grpc_reply *r);

#ifdef __cplusplus
}
#endif

#endif /* DP_GRPC_UNARY_H */
