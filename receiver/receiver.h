/*
 * receiver.h - what every network receiver shares: the export handler.
 *
 * A transport (OTLP/gRPC in otlp_grpc.c, OTLP/HTTP in otlp_http.c) takes a
 * request off the wire, decompresses it, enforces its size limits, and calls
 * one dp_export_fn with the raw ExportTraceServiceRequest body. The handler
 * (wired in src/, it decodes and hands spans to the processor) fills a
 * dp_export_result that the transport maps onto its protocol's reply:
 *
 *   outcome                 gRPC status          HTTP status
 *   DP_EXPORT_OK            OK (+partial_success) 200 (+partial_success)
 *   DP_EXPORT_BAD_DATA      INVALID_ARGUMENT      400
 *   DP_EXPORT_UNAVAILABLE   UNAVAILABLE           503 + Retry-After
 *   DP_EXPORT_INTERNAL      INTERNAL              500
 */
#ifndef DP_RECEIVER_H
#define DP_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dp_export_outcome {
    DP_EXPORT_OK = 0,
    DP_EXPORT_BAD_DATA = 1,
    DP_EXPORT_UNAVAILABLE = 2,
    DP_EXPORT_INTERNAL = 3
};

enum dp_payload_format { DP_PAYLOAD_PROTO = 0, DP_PAYLOAD_JSON = 1 };

typedef struct dp_export_result {
    int outcome;             /* enum dp_export_outcome */
    int64_t rejected_spans;  /* partial success when > 0 with DP_EXPORT_OK */
    char error_message[256]; /* partial-success message or error details */
    uint32_t retry_after_s;  /* with DP_EXPORT_UNAVAILABLE */
    /* In: the transport can send the reply later (set before the call).
     * Out: non-zero when the reply must wait (the write-ahead log's group
     * commit): the transport calls its dp_export_poll_fn with this result
     * until it returns true, then replies with the result as left. */
    bool can_defer;
    uint64_t defer_ticket;
} dp_export_result;

/* Non-blocking: false while a deferred result is still pending; true once
 * it is final (defer_ticket cleared; the outcome may have changed). */
typedef bool (*dp_export_poll_fn)(void *user, dp_export_result *result);

/* Handles one decompressed Export request body. Called on a receiver
 * thread, possibly from several threads at once: must be thread-safe. The
 * body is only valid during the call. result arrives zeroed (outcome OK). */
typedef void (*dp_export_fn)(void *user, int format, const uint8_t *body,
                             size_t len, dp_export_result *result);

/* Answers a GET on an extra path of the HTTP listener (/healthz, /metrics).
 * Writes a malloc'd body into *body (caller frees) and its content type;
 * returns the HTTP status. Thread-safe. */
typedef int (*dp_http_get_fn)(void *user, char **body, size_t *body_len,
                              const char **content_type);

#endif /* DP_RECEIVER_H */
