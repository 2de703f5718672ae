/*
 * grpc_call.h - the end of one server-side gRPC call on the C core API:
 * what the OTLP/gRPC receiver (otlp_grpc.c) and the fake collector of the
 * tests (tests/support/otlp_test_sink.h) hold per call, released in one
 * place.
 */
#ifndef DP_GRPC_CALL_H
#define DP_GRPC_CALL_H

#include <stddef.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>

/* Releases a server call's buffers: the call (NULL: none; cancelled if it
 * is still active), its request metadata, request and response messages
 * (NULL: none), status details, and the trailer when there is one (its
 * value only: the key is a static slice). */
static inline void
dp_grpc_call_release(grpc_call *call, grpc_metadata_array *request_md,
                     grpc_byte_buffer *payload, grpc_byte_buffer *response,
                     grpc_slice details, const grpc_metadata *trailer)
{
    if (call)
        grpc_call_unref(call);
    grpc_metadata_array_destroy(request_md);
    if (payload)
        grpc_byte_buffer_destroy(payload);
    if (response)
        grpc_byte_buffer_destroy(response);
    grpc_slice_unref(details);
    if (trailer)
        grpc_slice_unref(trailer->value);
}

#endif /* DP_GRPC_CALL_H */
