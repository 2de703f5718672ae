/*
 * otlp_grpc_internal.h - private to the OTLP/gRPC receiver: the server and
 * its per-thread workers and calls, shared by otlp_grpc.c (the calls: take
 * a request, run the handler, send the reply) and otlp_grpc_server.c (the
 * server's life: create, start, shutdown, destroy).
 */
#ifndef DP_OTLP_GRPC_INTERNAL_H
#define DP_OTLP_GRPC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "auth.h"
#include "otlp_grpc.h"
#include "otlp_grpc_tls.h"

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

/* Requests one more Export call (generic == 0) or one call to any other
 * method on w's queue (otlp_grpc.c). Returns 0 or a negative DP_E* code. */
int dp__grpc_post_request(struct worker *w, int generic);

/* A serving thread: handles its queue's events until it shuts down. */
void *dp__grpc_worker_main(void *arg);

/* Drains a queue that has no thread, on the calling thread. With until_tag
 * it stops at that tag, else at GRPC_QUEUE_SHUTDOWN. */
void dp__grpc_drain_queue(struct worker *w, void *until_tag);

#endif /* DP_OTLP_GRPC_INTERNAL_H */
