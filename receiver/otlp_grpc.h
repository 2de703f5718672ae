/*
 * otlp_grpc.h - the OTLP/gRPC receiver transport (gRPC C core).
 *
 * Serves the unary method
 * /opentelemetry.proto.collector.trace.v1.TraceService/Export on one
 * listening address. Each request body (already gzip/deflate-decompressed by
 * gRPC core, and refused with RESOURCE_EXHAUSTED by core when it is larger
 * than max_message_bytes) is handed to one dp_export_fn (receiver.h) with
 * DP_PAYLOAD_PROTO; the handler's dp_export_result becomes the reply:
 * OK + ExportTraceServiceResponse (partial_success when rejected_spans > 0
 * or error_message is set), INVALID_ARGUMENT, UNAVAILABLE (with a
 * google.rpc.RetryInfo in grpc-status-details-bin when retry_after_s > 0)
 * or INTERNAL; details carry error_message or a default text. Calls to any
 * other method get UNIMPLEMENTED at once.
 *
 * Lifecycle: create (binds the port) -> start (serving threads) ->
 * shutdown (drains in-flight calls, bounded) -> destroy. Each server holds
 * one grpc_init() reference for its whole life, so several servers (and
 * gRPC clients in the same process) may coexist.
 */
#ifndef DP_OTLP_GRPC_H
#define DP_OTLP_GRPC_H

#include <stddef.h>

#include "receiver.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_GRPC_DEFAULT_ENDPOINT "127.0.0.1:4317"
#define DP_GRPC_DEFAULT_MAX_MESSAGE_BYTES ((size_t)4 << 20)
#define DP_GRPC_DEFAULT_THREADS 2

typedef struct dp_grpc_server dp_grpc_server;

typedef struct dp_grpc_config {
    const char *endpoint;     /* "host:port"; port 0 picks a free port.
                                 NULL: DP_GRPC_DEFAULT_ENDPOINT */
    size_t max_message_bytes; /* largest request, after decompression;
                                 0: 4 MiB; capped at INT_MAX */
    int threads;              /* serving threads = handlers that can run at
                                 once; <= 0: 2. Calls beyond that wait in
                                 gRPC core until a thread is free. */
} dp_grpc_config;

/* Fills cfg with the defaults above. */
void dp_grpc_config_init(dp_grpc_config *cfg);

/* Creates a server and binds cfg->endpoint (no SO_REUSEPORT, so a port that
 * is already taken is an error). handler is called on the serving threads,
 * several at once (see dp_export_fn); user is passed through. Returns NULL
 * and a message in err (if non-NULL) on a bad argument or a failed bind.
 * cfg is only read during the call. */
dp_grpc_server *dp_grpc_server_create(const dp_grpc_config *cfg,
                                      dp_export_fn handler, void *user,
                                      char *err, size_t err_len);

/* Returns the bound port (the chosen one when the endpoint said port 0). */
int dp_grpc_server_port(const dp_grpc_server *s);

/* Starts serving on cfg->threads threads of its own. Returns 0, DP_EINVAL
 * when already started or shut down, DP_ENOMEM when a thread or call slot
 * could not be created (the server is then left to shutdown/destroy). */
int dp_grpc_server_start(dp_grpc_server *s);

/* Stops accepting calls, lets in-flight calls finish for up to deadline_ms
 * (< 0: wait without bound), then cancels the rest; returns once every
 * thread is joined and every call released. A handler already running is
 * not interrupted: shutdown waits for it to return, so it must not be
 * called from inside the handler. Idempotent. */
void dp_grpc_server_shutdown(dp_grpc_server *s, int deadline_ms);

/* Shuts down (with a 0 ms deadline) if that was not done, then frees the
 * server and drops its grpc_init() reference. Accepts NULL. */
void dp_grpc_server_destroy(dp_grpc_server *s);

#ifdef __cplusplus
}
#endif

#endif /* DP_OTLP_GRPC_H */
