/*
 * otlp_grpc.c - the OTLP/gRPC receiver transport on the gRPC C core API.
 *
 * Sits at the front of the live flow: an OTLP exporter calls
 * TraceService/Export; this file takes the request off gRPC core and hands
 * the raw ExportTraceServiceRequest bytes to the dp_export_fn wired in src/
 * (which decodes them and feeds the processor), then turns its
 * dp_export_result into the gRPC reply.
 *
 * Threading: one completion queue per serving thread, all registered with
 * one grpc_server. The Export method is registered with
 * GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, so a new-call event already
 * carries the (decompressed, size-checked) request message. The handler
 * runs on the thread that received the call and the reply goes out as one
 * batch (initial metadata, close-on-server, message, status). Every call is
 * a heap 'struct rpc' used as its own tag; it is freed when its reply batch
 * completes, or when its request fails because the server is shutting down.
 *
 * Each queue has exactly one Export call requested, re-requested only after
 * its handler returns: a request is the thread saying "I am idle". Core
 * matches a new call to the queue of its connection first and moves on to
 * other queues only when that one has no request outstanding, so keeping
 * many requests per queue (re-posted on arrival) would put every call of a
 * connection - an OTLP exporter uses one - on one thread. Calls that find
 * every thread busy wait in core's pending list, not refused, and are
 * matched as soon as a thread re-requests.
 *
 * Shutdown follows the order that is clean under ASan/LSan: stop re-posting,
 * grpc_server_shutdown_and_notify, wait (bounded) for the notify tag, cancel
 * all calls if the bound passed, destroy the server, shut the queues down
 * and let each thread drain its queue to GRPC_QUEUE_SHUTDOWN, join, destroy
 * the queues, grpc_shutdown.
 */
#include "otlp_grpc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/compression.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include "dp_wire.h"
#include "grpc_call.h"
#include "inflate.h"
#include "log.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_grpc_internal.h"
#include "otlp_grpc_tls.h"
#include "processor.h"

/* The payload as one contiguous view: its only slice, else joined into the
 * worker's scratch buffer. NULL on ENOMEM. */
static const uint8_t *payload_view(struct worker *w, grpc_byte_buffer *bb,
                                   size_t *len)
{
    grpc_slice_buffer *sb = &bb->data.raw.slice_buffer;
    size_t n = 0;
    for (size_t i = 0; i < sb->count; i++)
        n += GRPC_SLICE_LENGTH(sb->slices[i]);
    *len = n;
    if (sb->count == 1)
        return GRPC_SLICE_START_PTR(sb->slices[0]);
    if (n > w->scratch_cap) {
        free(w->scratch);
        w->scratch = malloc(n ? n : 1);
        w->scratch_cap = w->scratch ? n : 0;
        if (!w->scratch)
            return NULL;
    }
    size_t off = 0;
    for (size_t i = 0; i < sb->count; i++) {
        memcpy(w->scratch + off, GRPC_SLICE_START_PTR(sb->slices[i]),
               GRPC_SLICE_LENGTH(sb->slices[i]));
        off += GRPC_SLICE_LENGTH(sb->slices[i]);
    }
    return w->scratch ? w->scratch : (const uint8_t *)"";
}

/* Drops a scratch buffer grown past SCRATCH_KEEP by an unusual request. */
static void scratch_trim(struct worker *w)
{
    if (w->scratch_cap > SCRATCH_KEEP) {
        free(w->scratch);
        w->scratch = NULL;
        w->scratch_cap = 0;
    }
}

/* True when r's message came with the compressed flag but the call named
 * no compression algorithm: a protocol error (INTERNAL). */
static int flagged_without_encoding(const struct rpc *r)
{
    return dp__grpc_last_message_flags && r->payload &&
           r->payload->type == GRPC_BB_RAW &&
           r->payload->data.raw.compression == GRPC_COMPRESS_NONE &&
           (dp__grpc_last_message_flags(r->call) & DP__GRPC_FLAG_COMPRESSED);
}

static void rpc_free(struct rpc *r)
{
    dp_grpc_server *s = r->w->s;
    dp_grpc_call_release(r->call, &r->request_md, r->payload, r->response,
                         r->details, r->has_trailer ? &r->trailer : NULL);
    grpc_call_details_destroy(&r->call_details);
    free(r);
    atomic_fetch_sub(&s->live_rpcs, 1);
}

/* Requests one more Export call (generic == 0) or one call to any other
 * method (generic == 1) on w's queue, unless the server has stopped
 * accepting. Without outstanding generic requests, calls to unknown methods
 * would wait in core until their deadline instead of failing fast. The
 * check and the request happen under s->mu, and shutdown clears
 * 'accepting' under the same lock before shutting the server down, so no
 * request can reach a server that is being destroyed. Returns 0 or a DP_E*
 * code. */
int dp__grpc_post_request(struct worker *w, int generic)
{
    dp_grpc_server *s = w->s;
    struct rpc *r = calloc(1, sizeof(*r));
    if (!r)
        return DP_ENOMEM;
    r->kind = TAG_RPC;
    r->phase = RPC_REQUESTED;
    r->generic = generic;
    r->w = w;
    r->details = grpc_empty_slice();
    grpc_metadata_array_init(&r->request_md);
    grpc_call_details_init(&r->call_details);
    atomic_fetch_add(&s->live_rpcs, 1);

    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (!s->accepting) {
        rc = 1;
    } else {
        grpc_call_error e =
            generic ? grpc_server_request_call(s->server, &r->call,
                                               &r->call_details, &r->request_md,
                                               w->cq, w->cq, r)
                    : grpc_server_request_registered_call(
                          s->server, s->method, &r->call, &r->deadline,
                          &r->request_md, &r->payload, w->cq, w->cq, r);
        if (e != GRPC_CALL_OK) {
            dp_log_error(LOG_COMPONENT, "requesting a call failed: %s",
                         grpc_call_error_to_string(e));
            rc = DP_EIO;
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (rc != 0) {
        rpc_free(r);
        return rc > 0 ? 0 : rc;
    }
    return 0;
}

/* Packs the OK reply: an empty ExportTraceServiceResponse, or one with
 * partial_success when spans were rejected or the handler left a warning.
 * Returns NULL on ENOMEM. */
static grpc_byte_buffer *ok_response(const dp_export_result *res)
{
    char msg[sizeof(res->error_message)];
    memcpy(msg, res->error_message, sizeof(msg));
    msg[sizeof(msg) - 1] = '\0';
    bool partial = res->rejected_spans > 0 || msg[0] != '\0';
    uint8_t buf[DP_WIRE_EXPORT_RESPONSE_MAX(sizeof(msg))];
    size_t n = dp_wire_put_export_response(
        buf, partial, res->rejected_spans > 0 ? res->rejected_spans : 0, msg);
    grpc_slice sl = grpc_slice_from_copied_buffer((const char *)buf, n);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);
    return bb;
}

/* Maps a handler outcome onto a gRPC status and a default text. */
/* An outcome only this receiver produces: a compressed request that inflates
 * past max_message_bytes. */
#define DP__GRPC_TOO_LARGE 100
#define DP__GRPC_UNAUTHENTICATED 101

static grpc_status_code outcome_status(int outcome, const char **text)
{
    switch (outcome) {
    case DP__GRPC_UNAUTHENTICATED:
        *text = "unauthenticated";
        return GRPC_STATUS_UNAUTHENTICATED;
    case DP__GRPC_TOO_LARGE:
        *text = "message too large after decompression (limit: "
                "receivers.otlp.grpc.max_message_size)";
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    case DP_EXPORT_OK:
        *text = "";
        return GRPC_STATUS_OK;
    case DP_EXPORT_BAD_DATA:
        *text = "the request could not be decoded";
        return GRPC_STATUS_INVALID_ARGUMENT;
    case DP_EXPORT_UNAVAILABLE:
        *text = "the receiver is overloaded; retry later";
        return GRPC_STATUS_UNAVAILABLE;
    default:
        *text = "internal error";
        return GRPC_STATUS_INTERNAL;
    }
}

/*
 * A compressed request: core's own decompression is off (it inflates the
 * whole message before checking the size limit, so a 1 MiB gzip bomb would
 * cost its full inflated size), so the raw slices are joined and inflated
 * here, stopping at max_message. Too large maps to RESOURCE_EXHAUSTED, as
 * core answers for an oversized plain message.
 */
static void inflate_and_handle(dp_grpc_server *s, grpc_byte_buffer *bb,
                               dp_export_result *res)
{
    grpc_slice_buffer *sb = &bb->data.raw.slice_buffer;
    size_t len = 0, off = 0;
    for (size_t i = 0; i < sb->count; i++)
        len += GRPC_SLICE_LENGTH(sb->slices[i]);
    uint8_t *joined = malloc(len ? len : 1);
    uint8_t *body = NULL;
    size_t body_len = 0;
    int rc = joined ? 0 : DP_ENOMEM;
    for (size_t i = 0; joined && i < sb->count; i++) {
        memcpy(joined + off, GRPC_SLICE_START_PTR(sb->slices[i]),
               GRPC_SLICE_LENGTH(sb->slices[i]));
        off += GRPC_SLICE_LENGTH(sb->slices[i]);
    }
    if (!rc) {
        grpc_compression_algorithm alg = bb->data.raw.compression;
        if (alg == GRPC_COMPRESS_GZIP || alg == GRPC_COMPRESS_DEFLATE)
            rc = dp__inflate_bounded(joined, len, alg == GRPC_COMPRESS_GZIP,
                                     s->max_message, &body, &body_len);
        else
            rc = DP_EPARSE;
    }
    free(joined);
    if (rc == DP_ETOOBIG) {
        res->outcome = DP__GRPC_TOO_LARGE;
        snprintf(res->error_message, sizeof(res->error_message),
                 "decompressed message larger than %zu bytes",
                 (size_t)s->max_message);
    } else if (rc == DP_ENOMEM) {
        res->outcome = DP_EXPORT_UNAVAILABLE;
        snprintf(res->error_message, sizeof(res->error_message),
                 "out of memory decompressing the request");
    } else if (rc) {
        res->outcome = DP_EXPORT_BAD_DATA;
        snprintf(res->error_message, sizeof(res->error_message),
                 "the request message could not be decompressed");
    } else {
        s->handler(s->user, DP_PAYLOAD_PROTO, body, body_len, res);
    }
    free(body);
}

/* True when the call's `authorization` metadata carries a known bearer
 * token (auth.h; constant time in the token's content). */
static bool authorized(dp_grpc_server *s, const struct rpc *r)
{
    for (size_t i = 0; i < r->request_md.count; i++) {
        const grpc_metadata *m = &r->request_md.metadata[i];
        if (grpc_slice_str_cmp(m->key, "authorization") == 0)
            return dp_auth_check(s->auth,
                                 (const char *)GRPC_SLICE_START_PTR(m->value),
                                 GRPC_SLICE_LENGTH(m->value));
    }
    return false;
}

/* Runs the handler on an arrived call and starts its reply batch. Takes
 * ownership of r: it is freed now on failure, or when the batch completes.
 * Cost: one copy of the request (byte-buffer readall), plus whatever the
 * handler costs. */
static void serve_rpc(struct rpc *r)
{
    dp_grpc_server *s = r->w->s;
    dp_export_result res;
    memset(&res, 0, sizeof(res));

    if (r->generic) {
        res.outcome = -1; /* UNIMPLEMENTED below */
    } else if (s->auth && !authorized(s, r)) {
        res.outcome = DP__GRPC_UNAUTHENTICATED;
        if (r->payload)
            grpc_byte_buffer_destroy(r->payload);
        r->payload = NULL;
    } else if (!r->payload) {
        if (grpc_call_failed_before_recv_message(r->call)) {
            /* Refused by core (too large, cancelled): status already sent. */
            rpc_free(r);
            return;
        }
        res.outcome = DP_EXPORT_BAD_DATA;
        snprintf(res.error_message, sizeof(res.error_message),
                 "the call carried no request message");
    } else if (flagged_without_encoding(r)) {
        /* gRPC over HTTP/2 requires Compressed-Flag 0 when the call names
         * no Message-Encoding: a protocol error, which is INTERNAL. */
        res.outcome = DP_EXPORT_INTERNAL;
        snprintf(res.error_message, sizeof(res.error_message),
                 "message has the compressed flag set but the call named no "
                 "grpc-encoding");
        grpc_byte_buffer_destroy(r->payload);
        r->payload = NULL;
    } else if (r->payload->type == GRPC_BB_RAW &&
               r->payload->data.raw.compression != GRPC_COMPRESS_NONE) {
        inflate_and_handle(s, r->payload, &res);
        grpc_byte_buffer_destroy(r->payload);
        r->payload = NULL;
    } else if (r->payload->type == GRPC_BB_RAW) {
        /* No copy for a one-slice message; else one into warm memory. */
        size_t len;
        const uint8_t *body = payload_view(r->w, r->payload, &len);
        if (!body) {
            res.outcome = DP_EXPORT_UNAVAILABLE;
            res.retry_after_s = 1;
            snprintf(res.error_message, sizeof(res.error_message),
                     "out of memory");
        } else {
            s->handler(s->user, DP_PAYLOAD_PROTO, body, len, &res);
        }
        scratch_trim(r->w);
        grpc_byte_buffer_destroy(r->payload);
        r->payload = NULL;
    } else {
        res.outcome = DP_EXPORT_BAD_DATA;
        snprintf(res.error_message, sizeof(res.error_message),
                 "the request message could not be decompressed");
        grpc_byte_buffer_destroy(r->payload);
        r->payload = NULL;
    }

    const char *text;
    grpc_status_code status = outcome_status(res.outcome, &text);
    res.error_message[sizeof(res.error_message) - 1] = '\0';
    if (r->generic) {
        status = GRPC_STATUS_UNIMPLEMENTED;
        snprintf(res.error_message, sizeof(res.error_message),
                 "unknown method %.*s; this receiver serves " EXPORT_METHOD,
                 (int)GRPC_SLICE_LENGTH(r->call_details.method),
                 (const char *)GRPC_SLICE_START_PTR(r->call_details.method));
        text = res.error_message;
        dp_log_debug(LOG_COMPONENT, "%s", text);
    } else if (status == GRPC_STATUS_OK) {
        r->response = ok_response(&res);
        if (!r->response) {
            status = GRPC_STATUS_INTERNAL;
            text = "out of memory";
        }
    } else {
        if (res.error_message[0])
            text = res.error_message;
        if (status == GRPC_STATUS_UNAVAILABLE && res.retry_after_s > 0) {
            /* google.rpc.Status {code 14, message, details
             * [Any{RetryInfo{retry_delay {seconds}}}]}, what OTLP clients
             * read for a retryable UNAVAILABLE. */
            uint8_t bin[DP_WIRE_STATUS_MAX(256)];
            size_t tlen = strnlen(text, 255);
            size_t len = dp_wire_put_status(bin, GRPC_STATUS_UNAVAILABLE, text,
                                            tlen, res.retry_after_s);
            r->trailer.key =
                grpc_slice_from_static_string("grpc-status-details-bin");
            r->trailer.value =
                grpc_slice_from_copied_buffer((const char *)bin, len);
            r->has_trailer = 1;
        }
        dp_log_debug(LOG_COMPONENT, "Export answered %d: %s", (int)status,
                     text);
    }
    r->details =
        grpc_slice_from_copied_string(status == GRPC_STATUS_OK ? "" : text);

    grpc_op ops[4];
    memset(ops, 0, sizeof(ops));
    size_t n = 0;
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = 0;
    n++;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n].data.recv_close_on_server.cancelled = &r->cancelled;
    n++;
    if (r->response) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = r->response;
        n++;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.trailing_metadata_count =
        r->has_trailer ? 1 : 0;
    ops[n].data.send_status_from_server.trailing_metadata =
        r->has_trailer ? &r->trailer : NULL;
    ops[n].data.send_status_from_server.status = status;
    ops[n].data.send_status_from_server.status_details = &r->details;
    n++;

    r->phase = RPC_REPLYING;
    grpc_call_error e = grpc_call_start_batch(r->call, ops, n, r, NULL);
    if (e != GRPC_CALL_OK) {
        dp_log_warn(LOG_COMPONENT, "starting a reply failed: %s",
                    grpc_call_error_to_string(e));
        rpc_free(r);
    }
}

static void notify_shutdown(dp_grpc_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->notified = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Handles one event of a worker's queue. Returns 0 when the queue is shut
 * down and drained, 1 otherwise. */
static int handle_event(struct worker *w, grpc_event ev)
{
    if (ev.type == GRPC_QUEUE_SHUTDOWN)
        return 0;
    if (ev.type != GRPC_OP_COMPLETE)
        return 1;
    if (*(int *)ev.tag == TAG_SHUTDOWN) {
        notify_shutdown(w->s);
        return 1;
    }
    struct rpc *r = ev.tag;
    if (r->phase == RPC_REQUESTED) {
        if (!ev.success) { /* the server is shutting down */
            rpc_free(r);
            return 1;
        }
        int generic = r->generic;
        serve_rpc(r); /* r may be freed now */
        int rc = dp__grpc_post_request(w, generic);
        if (rc < 0)
            dp_log_error(LOG_COMPONENT, "thread %d stops serving: %s", w->index,
                         dp_strerror(rc));
    } else {
        rpc_free(r); /* reply sent, or the call was cancelled */
    }
    return 1;
}

void *dp__grpc_worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            w->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (!handle_event(w, ev))
            break;
    }
    return NULL;
}

/* Drains a queue that has no thread, on the calling thread. With until_tag
 * it stops at that tag, else at GRPC_QUEUE_SHUTDOWN. */
void dp__grpc_drain_queue(struct worker *w, void *until_tag)
{
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            w->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (until_tag && ev.type == GRPC_OP_COMPLETE && ev.tag == until_tag) {
            notify_shutdown(w->s);
            return;
        }
        if (!handle_event(w, ev))
            return;
    }
}
