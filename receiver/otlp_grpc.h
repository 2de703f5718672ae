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
 * A message whose compressed flag is set while the call named no
 * grpc-encoding (or "identity") is answered INTERNAL, as the gRPC protocol
 * asks, and never decoded.
 *
 * Connection limits (gRPC core channel arguments): a TCP connection must
 * finish the HTTP/2 handshake within handshake_timeout_ms; a connection
 * with no call for max_connection_idle_ms, or older than
 * max_connection_age_ms, is sent GOAWAY (calls in flight get
 * max_connection_age_grace_ms to finish) and clients reconnect; the server
 * pings a quiet connection every keepalive_time_ms and drops it when no ack
 * comes within keepalive_timeout_ms; clients may ping as often as every
 * keepalive_min_ping_interval_ms, with or without calls (more often is
 * answered GOAWAY "too_many_pings"); max_concurrent_streams calls at once
 * per connection (HTTP/2 SETTINGS; further streams are refused by core).
 *
 * Lifecycle: create (binds the port) -> start (serving threads) ->
 * shutdown (drains in-flight calls, bounded) -> destroy. Each server holds
 * one grpc_init() reference for its whole life, so several servers (and
 * gRPC clients in the same process) may coexist.
 */
#ifndef DP_OTLP_GRPC_H
#define DP_OTLP_GRPC_H

#include <stddef.h>

#include "auth.h"
#include "receiver.h"
#include "tls.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_GRPC_DEFAULT_ENDPOINT "127.0.0.1:4317"
#define DP_GRPC_DEFAULT_MAX_MESSAGE_BYTES ((size_t)4 << 20)
#define DP_GRPC_DEFAULT_THREADS 2
#define DP_GRPC_DEFAULT_HANDSHAKE_TIMEOUT_MS 10000
#define DP_GRPC_DEFAULT_MAX_CONNECTION_IDLE_MS (5 * 60 * 1000)
#define DP_GRPC_DEFAULT_MAX_CONNECTION_AGE_MS (30 * 60 * 1000)
#define DP_GRPC_DEFAULT_MAX_CONNECTION_AGE_GRACE_MS 30000
#define DP_GRPC_DEFAULT_KEEPALIVE_TIME_MS (2 * 60 * 1000)
#define DP_GRPC_DEFAULT_KEEPALIVE_TIMEOUT_MS 20000
#define DP_GRPC_DEFAULT_KEEPALIVE_MIN_PING_INTERVAL_MS 10000
#define DP_GRPC_DEFAULT_MAX_CONCURRENT_STREAMS 100

typedef struct dp_grpc_server dp_grpc_server;

typedef struct dp_grpc_config {
    const char *endpoint;     /* "host:port"; port 0 picks a free port.
                                 NULL: DP_GRPC_DEFAULT_ENDPOINT */
    size_t max_message_bytes; /* largest request, after decompression;
                                 0: 4 MiB; capped at INT_MAX */
    int threads;              /* serving threads = handlers that can run at
                                 once; <= 0: 2. Calls beyond that wait in
                                 gRPC core until a thread is free. */
    /* Connection limits (see above), in milliseconds; as filled by
     * dp_grpc_config_init. 0 turns off max_connection_idle_ms,
     * max_connection_age_ms and keepalive_time_ms, and leaves the other
     * ones at gRPC core's default. */
    int handshake_timeout_ms;
    int max_connection_idle_ms;
    int max_connection_age_ms;
    int max_connection_age_grace_ms;
    int keepalive_time_ms;
    int keepalive_timeout_ms;
    int keepalive_min_ping_interval_ms;
    int max_concurrent_streams;
    /* TLS (tls.h): a certificate turns it on; a client CA requires client
     * certificates (mTLS). The file names are copied. */
    dp_tls_files tls;
    /* Bearer tokens (auth.h): when set, an Export call without a known
     * token in its `authorization` metadata is answered UNAUTHENTICATED
     * (details "unauthenticated", nothing more) and never decoded. Not
     * owned; must outlive the server. */
    dp_auth *auth;
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

/* Makes the next TLS handshakes read the certificate, key and client CA
 * files again (SIGHUP); a file that does not load keeps the current ones
 * (logged). No-op without TLS. Any thread. */
void dp_grpc_server_reload_tls(dp_grpc_server *s);

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
