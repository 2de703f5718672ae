/*
 * otlp_http.h - the OTLP/HTTP/1.1 receiver transport.
 *
 * One listening socket served by its own thread running its own libuv loop.
 * Requests are framed by http-parser; `POST /v1/traces` bodies (protobuf or
 * JSON, optionally gzip/deflate, bounded by max_body_bytes before and after
 * decompression) go to one dp_export_fn, whose dp_export_result becomes the
 * reply (see receiver.h for the outcome -> status mapping). Extra GET paths
 * (/healthz, /metrics) are answered through dp_http_get_fn callbacks. This
 * file only moves bytes: decoding the OTLP payload is the handler's job.
 *
 * Connections are HTTP/1.1 keep-alive by default, with pipelining answered
 * in order. Limits, so that no client can shut the others out:
 *  - header_timeout_ms: a request head must be complete within this long of
 *    its first byte (of accept, for a connection's first request), else 408
 *    and close (slowloris);
 *  - idle_timeout_ms: a connection with no request in progress is closed
 *    after this long; a request body must progress at least this often;
 *  - max_connections in all and max_connections_per_peer per client address
 *    (an IPv4 address, or an IPv6 /64). A new connection over a cap closes
 *    the oldest idle connection (of that peer for the peer cap, of anyone
 *    for the total) to make room; when none is idle the new connection is
 *    refused: it gets a best-effort `503` with `Retry-After` and is closed.
 *    "Idle" means open with no request in progress and no reply being
 *    written, so no accepted request ever loses its reply to make room.
 */
#ifndef DP_OTLP_HTTP_H
#define DP_OTLP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "receiver.h"
#include "tls.h"

typedef struct dp_http_server dp_http_server;

typedef struct dp_http_config {
    const char *endpoint;   /* "host:port", "[v6]:port"; port 0 = a free port */
    size_t max_body_bytes;  /* 20 MiB; before and after decompression */
    uint32_t retry_after_s; /* 1; Retry-After when the handler gives none */
    int idle_timeout_ms;    /* 30000 */
    int header_timeout_ms;  /* 10000, and at most idle_timeout_ms */
    size_t max_connections; /* 1024 open connections in all */
    size_t max_connections_per_peer; /* 256 from one client address */
    /* TLS (tls.h): a certificate turns it on for every connection; a
     * client CA requires client certificates (mTLS). Files copied. */
    dp_tls_files tls;
    /* Bearer tokens (auth.h; not owned, must outlive the server). When
     * set, every request needs "Authorization: Bearer <token>" and is
     * answered 401 with WWW-Authenticate: Bearer and the body
     * "unauthenticated" otherwise, except POST /v1/traces when
     * auth_traces is false and the paths in open_paths (each matches
     * itself and what lies under it: "/ui" opens /ui/...). */
    dp_auth *auth;
    bool auth_traces;
    const char *const *open_paths; /* not copied */
    size_t n_open_paths;
} dp_http_config;

/* Connection counters since create (connections_open: now). */
typedef struct dp_http_stats {
    uint64_t connections_open;     /* accepted and not yet closed */
    uint64_t connections_accepted; /* admitted under the caps */
    uint64_t connections_refused;  /* over a cap with nothing idle to close */
    uint64_t connections_evicted;  /* idle ones closed to admit a new one */
    uint64_t connections_closed_idle; /* idle_timeout (or header_timeout
                                         before a first byte) passed */
    uint64_t connections_timed_out;   /* 408: request head or body late */
    uint64_t requests_unknown_route;  /* 404 or 405: no such path/method */
} dp_http_stats;

/* Fills cfg with the defaults above (endpoint "127.0.0.1:4318"). */
void dp_http_config_init(dp_http_config *cfg);

/* Creates a server and binds and listens on cfg->endpoint (zero fields take
 * their defaults), so dp_http_server_port() is known before start. handler
 * is called on the server thread for every accepted POST /v1/traces body;
 * user is passed through. Returns NULL and writes a message into err on a
 * bad endpoint, a bind/listen failure or ENOMEM. */
dp_http_server *dp_http_server_create(const dp_http_config *cfg,
                                      dp_export_fn handler, void *user,
                                      char *err, size_t err_len);

/* Deferred replies: with poll set (before start), the handler is told it
 * may defer (dp_export_result.can_defer, plaintext connections) and may
 * leave a defer_ticket; the connection then waits without blocking the
 * server thread, and poll(user, result) is called on it after each
 * dp_http_server_wake() until it returns true; then the reply goes out
 * and the connection's next request is read. */
void dp_http_server_set_poll(dp_http_server *s, dp_export_poll_fn poll);
/* Makes the server poll its waiting replies soon. Any thread, until
 * dp_http_server_destroy(). */
void dp_http_server_wake(dp_http_server *s);

/* Registers fn to answer GET (and HEAD) on the exact path (query ignored).
 * Only before dp_http_server_start(). The path is copied. Returns 0,
 * DP_EINVAL (started, bad path, /v1/traces) or DP_ENOMEM. */
int dp_http_server_add_get(dp_http_server *s, const char *path,
                           dp_http_get_fn fn, void *user);

/* A page under a path prefix (the web UI): fn gets the request target
 * (path and query, as sent) and fills a reply. body and headers (whole
 * header lines, "Content-Security-Policy: ...\r\n", or NULL) are malloc'd
 * and freed by the server; content_type is not. Returns the status. */
typedef struct dp_http_page {
    char *body;
    size_t len;
    const char *content_type;
    char *headers;
} dp_http_page;
typedef int (*dp_http_page_fn)(void *user, const char *target, size_t len,
                               dp_http_page *out);

/* Registers fn to answer GET (and HEAD) on prefix (ending in '/') and every
 * path below it, and on prefix without its '/'. Exact routes win. Only
 * before dp_http_server_start(). Returns 0, DP_EINVAL or DP_ENOMEM. */
int dp_http_server_add_page(dp_http_server *s, const char *prefix,
                            dp_http_page_fn fn, void *user);

/* Reads the TLS certificate, key and client CA files again; new
 * connections use them, open ones keep theirs. On failure the current
 * ones stay and err says why. Returns 0, DP_EIO, or DP_EINVAL without
 * TLS. Any thread. */
int dp_http_server_reload_tls(dp_http_server *s, char *err, size_t err_len);

/* The bound TCP port (the chosen one when the endpoint asked for 0). */
int dp_http_server_port(const dp_http_server *s);

/* Copies the counters; callable from any thread at any time after create
 * (each counter is read atomically, the set is not a snapshot). */
void dp_http_server_stats(const dp_http_server *s, dp_http_stats *out);

/* Starts the server thread. Returns 0, DP_EINVAL when already started or
 * shut down, or DP_EIO when the thread cannot be created. */
int dp_http_server_start(dp_http_server *s);

/* Stops accepting (closes the listener), lets requests already being
 * received finish and get their reply (with Connection: close), closes
 * idle connections at once, force-closes whatever remains after
 * deadline_ms, then joins the server thread. Callable from any thread but
 * the server's own (not from a handler); idempotent. */
void dp_http_server_shutdown(dp_http_server *s, int deadline_ms);

/* Shuts down (5 s deadline) if still running and frees everything.
 * Accepts NULL. */
void dp_http_server_destroy(dp_http_server *s);

#endif /* DP_OTLP_HTTP_H */
