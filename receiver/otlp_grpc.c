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
#include "inflate.h"
#include "otlp_grpc_tls.h"
#include "processor.h"

#define LOG_COMPONENT "receiver:grpc"
#define EXPORT_METHOD                                                          \
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
#define RPCS_PER_QUEUE 1 /* see "Each queue has exactly one" above */
#define GENERIC_PER_QUEUE                                                      \
    2 /* calls to other methods, answered UNIMPLEMENTED                        \
       */
#define MAX_THREADS 64

enum tag_kind { TAG_RPC = 1, TAG_SHUTDOWN = 2 };
enum rpc_phase { RPC_REQUESTED = 0, RPC_REPLYING = 1 };

struct worker;

/* One call, from the request for it to the end of its reply. The first
 * member makes any tag's kind readable through an int pointer. */
struct rpc {
    int kind; /* TAG_RPC */
    int phase;
    int generic; /* requested with grpc_server_request_call */
    struct worker *w;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_call_details call_details; /* generic calls only */
    grpc_metadata_array request_md;
    grpc_byte_buffer *payload;
    grpc_byte_buffer *response;
    grpc_slice details;
    grpc_metadata trailer; /* grpc-status-details-bin, when retry_bin set */
    int has_trailer;
    int cancelled;
};

struct worker {
    dp_grpc_server *s;
    grpc_completion_queue *cq;
    pthread_t thread;
    int thread_started;
    int index;
    /* A request spread over several slices is joined here, reused by
     * every call on this thread (at most SCRATCH_KEEP bytes kept). */
    uint8_t *scratch;
    size_t scratch_cap;
};

#define SCRATCH_KEEP (4u << 20)

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

struct shutdown_tag {
    int kind; /* TAG_SHUTDOWN */
};

struct dp_grpc_server {
    grpc_server *server;
    void *method;
    struct worker *workers;
    int n_workers;
    dp_export_fn handler;
    void *user;
    int port;
    int max_message;
    dp_grpc_config limits; /* as created, for the start-up log */
    char address[256];     /* the endpoint with the bound port */

    pthread_mutex_t mu; /* guards accepting, notified; see post_request */
    pthread_cond_t cv;
    int accepting;
    int notified;
    int started;
    int shut_down;
    struct shutdown_tag shutdown_tag;
    atomic_long live_rpcs; /* struct rpc allocated and not yet freed */
    dp__grpc_tls *tls;     /* NULL: plaintext */
    dp_auth *auth;         /* NULL: no token asked */
};

void dp_grpc_config_init(dp_grpc_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->endpoint = DP_GRPC_DEFAULT_ENDPOINT;
    cfg->max_message_bytes = DP_GRPC_DEFAULT_MAX_MESSAGE_BYTES;
    cfg->threads = DP_GRPC_DEFAULT_THREADS;
    cfg->handshake_timeout_ms = DP_GRPC_DEFAULT_HANDSHAKE_TIMEOUT_MS;
    cfg->max_connection_idle_ms = DP_GRPC_DEFAULT_MAX_CONNECTION_IDLE_MS;
    cfg->max_connection_age_ms = DP_GRPC_DEFAULT_MAX_CONNECTION_AGE_MS;
    cfg->max_connection_age_grace_ms =
        DP_GRPC_DEFAULT_MAX_CONNECTION_AGE_GRACE_MS;
    cfg->keepalive_time_ms = DP_GRPC_DEFAULT_KEEPALIVE_TIME_MS;
    cfg->keepalive_timeout_ms = DP_GRPC_DEFAULT_KEEPALIVE_TIMEOUT_MS;
    cfg->keepalive_min_ping_interval_ms =
        DP_GRPC_DEFAULT_KEEPALIVE_MIN_PING_INTERVAL_MS;
    cfg->max_concurrent_streams = DP_GRPC_DEFAULT_MAX_CONCURRENT_STREAMS;
}

/*
 * The compressed flag of a received message. gRPC core turns a message
 * whose flag is set into a compressed byte buffer only when the call named
 * a grpc-encoding; without one (or with "identity") it hands the bytes over
 * as a plain message, flag lost, so they would be decoded as protobuf. Core
 * keeps the flags of the last message a call received, but exposes them
 * only through a test accessor that is compiled as C++ without extern "C"
 * (src/core/lib/surface/call_test_only.h), hence the mangled name. The
 * reference is weak: with a libgrpc that lacks it the check is off, which
 * is logged once at create. 0x80000000 is core's
 * GRPC_WRITE_INTERNAL_COMPRESS (src/core/lib/transport/transport.h).
 */
extern uint32_t dp__grpc_last_message_flags(grpc_call *call) __asm__(
    "_Z37grpc_call_test_only_get_message_flagsP9grpc_call")
    __attribute__((weak));
#define DP__GRPC_FLAG_COMPRESSED 0x80000000u

/* True when r's message came with the compressed flag but the call named
 * no compression algorithm: a protocol error (INTERNAL). */
static int flagged_without_encoding(const struct rpc *r)
{
    return dp__grpc_last_message_flags && r->payload &&
           r->payload->type == GRPC_BB_RAW &&
           r->payload->data.raw.compression == GRPC_COMPRESS_NONE &&
           (dp__grpc_last_message_flags(r->call) & DP__GRPC_FLAG_COMPRESSED);
}

static void set_err(char *err, size_t err_len, const char *fmt, const char *a)
{
    if (err && err_len)
        snprintf(err, err_len, fmt, a);
}

static void rpc_free(struct rpc *r)
{
    dp_grpc_server *s = r->w->s;
    if (r->call)
        grpc_call_unref(r->call); /* cancels it if it is still active */
    grpc_metadata_array_destroy(&r->request_md);
    grpc_call_details_destroy(&r->call_details);
    if (r->payload)
        grpc_byte_buffer_destroy(r->payload);
    if (r->response)
        grpc_byte_buffer_destroy(r->response);
    grpc_slice_unref(r->details);
    if (r->has_trailer)
        grpc_slice_unref(r->trailer.value);
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
static int post_request(struct worker *w, int generic)
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
        int rc = post_request(w, generic);
        if (rc < 0)
            dp_log_error(LOG_COMPONENT, "thread %d stops serving: %s", w->index,
                         dp_strerror(rc));
    } else {
        rpc_free(r); /* reply sent, or the call was cancelled */
    }
    return 1;
}

static void *worker_main(void *arg)
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
static void drain_queue(struct worker *w, void *until_tag)
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

/* Appends one integer channel argument. */
static void add_int_arg(grpc_arg *args, size_t *n, const char *key, int value)
{
    args[*n].type = GRPC_ARG_INTEGER;
    args[*n].key = (char *)key;
    args[*n].value.integer = value;
    (*n)++;
}

/* Writes endpoint with its port replaced by port into out. */
static void format_address(const char *endpoint, int port, char *out,
                           size_t len)
{
    const char *colon = strrchr(endpoint, ':');
    int host_len = colon ? (int)(colon - endpoint) : (int)strlen(endpoint);
    snprintf(out, len, "%.*s:%d", host_len, endpoint, port);
}

/* gRPC core's own log lines (multi-line error trees such as a failed
 * bind, which dagprof reports itself in one clear line) go to dagprof's log
 * at debug level, in its format. */
static void core_log(gpr_log_func_args *a)
{
    dp_log_debug(LOG_COMPONENT, "grpc core: %s", a->message);
}

dp_grpc_server *dp_grpc_server_create(const dp_grpc_config *cfg,
                                      dp_export_fn handler, void *user,
                                      char *err, size_t err_len)
{
    if (err && err_len)
        err[0] = '\0';
    if (!handler) {
        set_err(err, err_len, "%s", "grpc receiver: no export handler");
        return NULL;
    }
    dp_grpc_config c;
    dp_grpc_config_init(&c);
    if (cfg) {
        if (cfg->endpoint)
            c.endpoint = cfg->endpoint;
        if (cfg->max_message_bytes)
            c.max_message_bytes = cfg->max_message_bytes;
        if (cfg->threads > 0)
            c.threads = cfg->threads;
        /* Connection limits as given: 0 has a meaning (off, or core's). */
        c.handshake_timeout_ms = cfg->handshake_timeout_ms;
        c.max_connection_idle_ms = cfg->max_connection_idle_ms;
        c.max_connection_age_ms = cfg->max_connection_age_ms;
        c.max_connection_age_grace_ms = cfg->max_connection_age_grace_ms;
        c.keepalive_time_ms = cfg->keepalive_time_ms;
        c.keepalive_timeout_ms = cfg->keepalive_timeout_ms;
        c.keepalive_min_ping_interval_ms = cfg->keepalive_min_ping_interval_ms;
        c.max_concurrent_streams = cfg->max_concurrent_streams;
        c.tls = cfg->tls;
        c.auth = cfg->auth;
    }
    if (c.endpoint[0] == '\0' || !strchr(c.endpoint, ':')) {
        set_err(err, err_len, "grpc receiver: endpoint '%s' is not host:port",
                c.endpoint);
        return NULL;
    }
    if (c.threads > MAX_THREADS)
        c.threads = MAX_THREADS;

    dp_grpc_server *s = calloc(1, sizeof(*s));
    if (!s) {
        set_err(err, err_len, "%s", "grpc receiver: out of memory");
        return NULL;
    }
    s->workers = calloc((size_t)c.threads, sizeof(*s->workers));
    if (!s->workers) {
        free(s);
        set_err(err, err_len, "%s", "grpc receiver: out of memory");
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    s->handler = handler;
    s->user = user;
    s->auth = c.auth;
    s->n_workers = c.threads;
    s->shutdown_tag.kind = TAG_SHUTDOWN;
    s->max_message = c.max_message_bytes > (size_t)INT_MAX
                         ? INT_MAX
                         : (int)c.max_message_bytes;
    atomic_init(&s->live_rpcs, 0);

    gpr_set_log_function(core_log);
    grpc_init();

    /* gzip and deflate requests are accepted; the receive limit applies to
     * the compressed message (core) and to the inflated one (ours). No
     * SO_REUSEPORT: two
     * receivers on one port would silently split the traffic. */
    grpc_arg args[16];
    size_t n_args = 0;
    memset(args, 0, sizeof(args));
    add_int_arg(args, &n_args, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                s->max_message);
    add_int_arg(args, &n_args,
                GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET,
                (1 << GRPC_COMPRESS_NONE) | (1 << GRPC_COMPRESS_DEFLATE) |
                    (1 << GRPC_COMPRESS_GZIP));
    add_int_arg(args, &n_args, GRPC_ARG_ALLOW_REUSEPORT, 0);
    /* Inflate requests ourselves with a bound (inflate_and_handle). */
    add_int_arg(args, &n_args, GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
    /* Connection limits (otlp_grpc.h). Core's defaults suit a public
     * server (a 120 s handshake, no idle or age limit, client pings at
     * most every 5 min and only during calls); a sidecar wants dead and
     * useless connections gone sooner and its clients' keepalives
     * accepted. */
    if (c.handshake_timeout_ms > 0)
        add_int_arg(args, &n_args, GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                    c.handshake_timeout_ms);
    if (c.max_connection_idle_ms > 0)
        add_int_arg(args, &n_args, GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                    c.max_connection_idle_ms);
    if (c.max_connection_age_ms > 0) {
        add_int_arg(args, &n_args, GRPC_ARG_MAX_CONNECTION_AGE_MS,
                    c.max_connection_age_ms);
        add_int_arg(args, &n_args, GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                    c.max_connection_age_grace_ms);
    }
    add_int_arg(args, &n_args, GRPC_ARG_KEEPALIVE_TIME_MS,
                c.keepalive_time_ms > 0 ? c.keepalive_time_ms : INT_MAX);
    if (c.keepalive_timeout_ms > 0)
        add_int_arg(args, &n_args, GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                    c.keepalive_timeout_ms);
    add_int_arg(args, &n_args, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    if (c.keepalive_min_ping_interval_ms > 0)
        add_int_arg(args, &n_args,
                    GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                    c.keepalive_min_ping_interval_ms);
    if (c.max_concurrent_streams > 0)
        add_int_arg(args, &n_args, GRPC_ARG_MAX_CONCURRENT_STREAMS,
                    c.max_concurrent_streams);
    grpc_channel_args chargs = {n_args, args};
    s->server = grpc_server_create(&chargs, NULL);

    for (int i = 0; i < s->n_workers; i++) {
        s->workers[i].s = s;
        s->workers[i].index = i;
        s->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(s->server, s->workers[i].cq,
                                              NULL);
    }
    s->method = grpc_server_register_method(
        s->server, EXPORT_METHOD, NULL,
        GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);

    grpc_server_credentials *creds;
    if (dp_tls_files_on(&c.tls)) {
        char tls_err[512];
        creds =
            dp__grpc_tls_credentials(&c.tls, &s->tls, tls_err, sizeof(tls_err));
        if (!creds) {
            set_err(err, err_len, "grpc receiver: TLS: %s", tls_err);
            dp_grpc_server_destroy(s);
            return NULL;
        }
    } else {
        creds = grpc_insecure_server_credentials_create();
    }
    s->port = grpc_server_add_http2_port(s->server, c.endpoint, creds);
    grpc_server_credentials_release(creds);

    if (!s->method || s->port <= 0) {
        if (!s->method)
            set_err(err, err_len, "grpc receiver: cannot register %s",
                    EXPORT_METHOD);
        else if (err && err_len)
            snprintf(err, err_len,
                     "grpc receiver: cannot listen on %s (address already in "
                     "use, or not a local host:port)",
                     c.endpoint);
        /* The caller reports err: one clear line, not two. */
        dp_log_debug(LOG_COMPONENT, "%s",
                     err && err_len ? err : "create failed");
        s->port = 0;
        dp_grpc_server_destroy(s);
        return NULL;
    }
    format_address(c.endpoint, s->port, s->address, sizeof(s->address));
    s->limits = c;
    s->limits.endpoint = NULL; /* not kept */
    if (!dp__grpc_last_message_flags)
        dp_log_warn(LOG_COMPONENT,
                    "this libgrpc does not expose a message's compressed "
                    "flag: a flagged message without grpc-encoding is not "
                    "refused");
    return s;
}

int dp_grpc_server_port(const dp_grpc_server *s)
{
    return s ? s->port : 0;
}

int dp_grpc_server_start(dp_grpc_server *s)
{
    if (!s || s->started || s->shut_down)
        return DP_EINVAL;
    grpc_server_start(s->server);
    s->started = 1;
    pthread_mutex_lock(&s->mu);
    s->accepting = 1;
    pthread_mutex_unlock(&s->mu);

    for (int i = 0; i < s->n_workers; i++) {
        struct worker *w = &s->workers[i];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            dp_log_error(LOG_COMPONENT, "cannot start serving thread %d", i);
            return DP_ENOMEM;
        }
        w->thread_started = 1;
        char name[16];
        snprintf(name, sizeof(name), "dp-grpc-%d", i % 100);
        pthread_setname_np(w->thread, name);
        for (int k = 0; k < RPCS_PER_QUEUE + GENERIC_PER_QUEUE; k++) {
            int rc = post_request(w, k >= RPCS_PER_QUEUE);
            if (rc < 0)
                return rc;
        }
    }
    const dp_grpc_config *l = &s->limits;
    dp_log_info(LOG_COMPONENT,
                "OTLP/gRPC listening on %s (max message %d bytes, %d threads; "
                "handshake timeout %d ms, max connection idle %d ms, age %d "
                "ms + %d ms grace, keepalive %d ms / %d ms, client pings "
                "every >= %d ms, %d streams per connection; 0 = off or "
                "gRPC's default)",
                s->address, s->max_message, s->n_workers,
                l->handshake_timeout_ms, l->max_connection_idle_ms,
                l->max_connection_age_ms, l->max_connection_age_grace_ms,
                l->keepalive_time_ms, l->keepalive_timeout_ms,
                l->keepalive_min_ping_interval_ms, l->max_concurrent_streams);
    return 0;
}

/* Waits until the shutdown tag was seen or deadline (monotonic) passed.
 * Returns 1 when seen. A NULL deadline waits without bound. */
static int wait_notified(dp_grpc_server *s, const struct timespec *deadline)
{
    pthread_mutex_lock(&s->mu);
    while (!s->notified) {
        if (!deadline) {
            pthread_cond_wait(&s->cv, &s->mu);
        } else if (pthread_cond_timedwait(&s->cv, &s->mu, deadline) ==
                   ETIMEDOUT) {
            break;
        }
    }
    int seen = s->notified;
    pthread_mutex_unlock(&s->mu);
    return seen;
}

void dp_grpc_server_shutdown(dp_grpc_server *s, int deadline_ms)
{
    if (!s || s->shut_down)
        return;
    s->shut_down = 1;
    pthread_mutex_lock(&s->mu);
    s->accepting = 0;
    pthread_mutex_unlock(&s->mu);

    struct worker *w0 = &s->workers[0];
    grpc_server_shutdown_and_notify(s->server, w0->cq, &s->shutdown_tag);
    if (w0->thread_started) {
        int seen;
        if (deadline_ms < 0) {
            seen = wait_notified(s, NULL);
        } else {
            struct timespec dl;
            clock_gettime(CLOCK_MONOTONIC, &dl);
            dl.tv_sec += deadline_ms / 1000;
            dl.tv_nsec += (long)(deadline_ms % 1000) * 1000000L;
            if (dl.tv_nsec >= 1000000000L) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000L;
            }
            seen = wait_notified(s, &dl);
        }
        if (!seen) {
            dp_log_info(
                LOG_COMPONENT,
                "shutdown: cancelling calls still in flight after %d ms",
                deadline_ms);
            grpc_server_cancel_all_calls(s->server);
            wait_notified(s, NULL); /* bounded by the running handlers */
        }
    } else {
        grpc_server_cancel_all_calls(s->server);
        drain_queue(w0, &s->shutdown_tag);
    }
    grpc_server_destroy(s->server);
    s->server = NULL;

    for (int i = 0; i < s->n_workers; i++)
        grpc_completion_queue_shutdown(s->workers[i].cq);
    for (int i = 0; i < s->n_workers; i++) {
        struct worker *w = &s->workers[i];
        if (w->thread_started)
            pthread_join(w->thread, NULL);
        else
            drain_queue(w, NULL);
        w->thread_started = 0;
        grpc_completion_queue_destroy(w->cq);
        w->cq = NULL;
    }
    long left = atomic_load(&s->live_rpcs);
    if (left != 0)
        dp_log_error(LOG_COMPONENT, "shutdown: %ld calls not released", left);
    if (s->started)
        dp_log_info(LOG_COMPONENT, "OTLP/gRPC on %s stopped", s->address);
}

void dp_grpc_server_destroy(dp_grpc_server *s)
{
    if (!s)
        return;
    dp_grpc_server_shutdown(s, 0);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    for (int i = 0; s->workers && i < s->n_workers; i++)
        free(s->workers[i].scratch);
    free(s->workers);
    dp__grpc_tls_destroy(s->tls);
    free(s);
    grpc_shutdown();
}

void dp_grpc_server_reload_tls(dp_grpc_server *s)
{
    if (s)
        dp__grpc_tls_reload(s->tls);
}
