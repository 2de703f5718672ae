/*
 * grpc_unary.c - one unary gRPC call as one batch (grpc_unary.h): the OTLP
 * push exporter's transport and the tests' gRPC client.
 */
#include "grpc_unary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

/* A malloc'd copy of a slice (at least one byte allocated); NULL and
 * *len 0 when out of memory. */
static uint8_t *slice_copy(grpc_slice s, size_t *len)
{
    uint8_t *p = malloc(GRPC_SLICE_LENGTH(s) ? GRPC_SLICE_LENGTH(s) : 1);

    *len = p ? GRPC_SLICE_LENGTH(s) : 0;
    if (p)
        memcpy(p, GRPC_SLICE_START_PTR(s), *len);
    return p;
}

/* The reply's message and trailer, after the batch ended. */
static void take_reply(dp_grpc_reply *out, grpc_byte_buffer *recv,
                       const grpc_metadata_array *trailing_md)
{
    grpc_byte_buffer_reader reader;

    for (size_t i = 0; i < trailing_md->count; i++) {
        const grpc_metadata *md = &trailing_md->metadata[i];
        if (grpc_slice_str_cmp(md->key, "grpc-status-details-bin") == 0) {
            free(out->status_bin);
            out->status_bin = slice_copy(md->value, &out->status_bin_len);
        }
    }
    if (recv && grpc_byte_buffer_reader_init(&reader, recv)) {
        grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
        out->body = slice_copy(all, &out->body_len);
        grpc_slice_unref(all);
        grpc_byte_buffer_reader_destroy(&reader);
    }
}

grpc_call_error dp_grpc_unary(grpc_call *call, grpc_completion_queue *cq,
                              gpr_timespec deadline, const grpc_metadata *md,
                              size_t n_md, grpc_byte_buffer *send,
                              dp_grpc_reply *out)
{
    grpc_metadata_array initial_md, trailing_md;
    grpc_byte_buffer *recv = NULL;
    grpc_op ops[6];
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    out->status = GRPC_STATUS_UNKNOWN;
    out->details = grpc_empty_slice();
    if (!call)
        return GRPC_CALL_ERROR;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    memset(ops, 0, sizeof(ops));
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = n_md;
    ops[n++].data.send_initial_metadata.metadata = (grpc_metadata *)md;
    if (send) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = send;
    }
    ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[n++].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &recv;
    ops[n].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[n].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[n].data.recv_status_on_client.status = &out->status;
    ops[n++].data.recv_status_on_client.status_details = &out->details;

    grpc_call_error e = grpc_call_start_batch(call, ops, n, call, NULL);
    if (e == GRPC_CALL_OK) {
        /* The call's deadline ends it; the extra second only guards against
         * a queue that never delivers. */
        gpr_timespec guard =
            gpr_time_add(deadline, gpr_time_from_millis(1000, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(cq, guard, NULL);
        out->completed = ev.type == GRPC_OP_COMPLETE;
        if (!out->completed) {
            grpc_call_cancel(call, NULL);
            do {
                ev = grpc_completion_queue_next(
                    cq, gpr_inf_future(deadline.clock_type), NULL);
            } while (ev.type != GRPC_OP_COMPLETE);
        }
        take_reply(out, recv, &trailing_md);
    } else {
        out->status = GRPC_STATUS_UNKNOWN;
    }
    if (recv)
        grpc_byte_buffer_destroy(recv);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    return e;
}

void dp_grpc_reply_details(const dp_grpc_reply *r, char *out, size_t cap)
{
    snprintf(out, cap, "%.*s", (int)GRPC_SLICE_LENGTH(r->details),
             (const char *)GRPC_SLICE_START_PTR(r->details));
}

uint8_t *dp_grpc_reply_take_body(dp_grpc_reply *r, size_t *len)
{
    uint8_t *body = r->body;

    *len = r->body_len;
    r->body = NULL;
    r->body_len = 0;
    return body;
}

void dp_grpc_reply_fini(dp_grpc_reply *r)
{
    grpc_slice_unref(r->details);
    r->details = grpc_empty_slice();
    free(r->body);
    free(r->status_bin);
    r->body = r->status_bin = NULL;
    r->body_len = r->status_bin_len = 0;
}
