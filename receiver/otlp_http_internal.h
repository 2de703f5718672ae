/*
 * otlp_http_internal.h - what the two halves of the OTLP/HTTP receiver share.
 *
 * otlp_http.c owns the server and connection lifecycle on libuv (accept,
 * read, write, timers, close, shutdown); otlp_http_prot.c owns the wire
 * protocol (http-parser callbacks, routing, inflating, reply bodies). Both
 * run on the server's loop thread only. Not for use outside these files.
 */
#ifndef DP_OTLP_HTTP_INTERNAL_H
#define DP_OTLP_HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>
#include <uv.h>

#include "otlp_http.h"
#include "tls.h"

#define DP__HTTP_COMPONENT "receiver:http"
#define DP__HTTP_TRACES_PATH "/v1/traces"
#define DP__HTTP_URL_MAX 2048
#define DP__HTTP_HNAME_MAX 32
#define DP__HTTP_READ_BUF 65536
/* Spare request bodies a server keeps, and the largest kept (a body
 * larger than usual is freed, not pinned). */
#define DP__HTTP_SPARE_BODIES 8
#define DP__HTTP_SPARE_MAX (4u << 20)

enum dp__http_encoding {
    DP__ENC_IDENTITY,
    DP__ENC_GZIP,
    DP__ENC_DEFLATE,
    DP__ENC_UNSUPPORTED
};
enum dp__http_route { DP__ROUTE_NONE, DP__ROUTE_TRACES, DP__ROUTE_GET };
enum dp__http_conn_state { DP__CONN_OPEN, DP__CONN_LINGER, DP__CONN_CLOSING };
enum dp__http_hdr {
    DP__HDR_OTHER,
    DP__HDR_CONTENT_TYPE,
    DP__HDR_CONTENT_ENCODING,
    DP__HDR_EXPECT,
    DP__HDR_AUTHORIZATION,
    DP__HDR__COUNT
};

typedef struct dp__http_route_get {
    char *path;
    dp_http_get_fn fn;
    dp_http_page_fn page; /* set instead of fn: path is a prefix */
    void *user;
} dp__http_route_get;

/* A header value we keep; longer values are marked over and never match
 * (room for "Bearer " and a DP_AUTH_MAX_TOKEN token). */
typedef struct dp__http_hval {
    char s[272];
    size_t len;
    bool over;
} dp__http_hval;

struct dp__http_conn;

/* One client address (an IPv4 address or an IPv6 /64) with open
 * connections: the unit of max_connections_per_peer. Freed when its last
 * connection closes. */
typedef struct dp__http_peer {
    struct dp__http_peer *next; /* hash chain */
    uint8_t key[16];            /* family byte, then the address bytes */
    size_t conns;               /* OPEN or LINGER connections */
    struct dp__http_conn *idle_head, *idle_tail; /* oldest idle first */
} dp__http_peer;

/* One accepted connection and the request it is receiving. */
typedef struct dp__http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    http_parser parser;
    struct dp_http_server *srv;
    struct dp__http_conn *prev, *next; /* the server's open connections */
    dp__http_peer *peer;               /* NULL until admitted */
    /* Queues of idle connections, oldest first: the server's and the
     * peer's. A connection is in both or in neither (see conn_update_idle). */
    struct dp__http_conn *idle_prev, *idle_next;
    struct dp__http_conn *pidle_prev, *pidle_next;
    bool idle;
    int state;        /* enum dp__http_conn_state */
    int open_handles; /* tcp + timer until both close callbacks ran */
    int pending_writes;
    uint32_t requests; /* requests completed on this connection */
    bool reading;
    bool in_request; /* between message begin and message complete */
    bool in_body;
    /* The request being received (reset by dp__http_reset_request). */
    char url[DP__HTTP_URL_MAX];
    size_t url_len;
    bool url_over;
    char hname[DP__HTTP_HNAME_MAX];
    size_t hname_len;
    bool hname_over;
    bool hdr_in_value;
    int cur_hdr;
    dp__http_hval hdrs[DP__HDR__COUNT];
    int route; /* enum dp__http_route */
    const dp__http_route_get *get;
    bool fmt_known;
    int fmt; /* enum dp_payload_format */
    int enc; /* enum dp__http_encoding */
    bool is_head;
    int reject_status; /* deferred error reply, 0 when none */
    const char *reject_msg;
    const char *reject_extra;
    uint8_t *body;
    size_t body_len, body_cap, discarded;
    void *ssl; /* SSL * over this connection (TLS on), else NULL */
    /* A reply waiting for the handler's poll (otlp_http_defer.c): reading
     * and the parser are paused; input already read waits in stash. */
    dp_export_result *deferred;
    bool deferred_close;
    int deferred_fmt;
    struct dp__http_conn *wait_prev, *wait_next;
    char *stash;
    size_t stash_len;
} dp__http_conn;

struct dp_http_server {
    dp_http_config cfg;
    char endpoint[256];
    dp_export_fn handler;
    void *user;
    dp__http_route_get *routes;
    size_t n_routes;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t async;
    uv_timer_t deadline;
    uv_thread_t thread;
    uv_mutex_t life_lock; /* serializes start/shutdown */
    int port;
    bool started, stopped, shutting_down, finished;
    int deadline_ms;
    dp__http_conn *conns; /* open connections (not CLOSING) */
    size_t n_conns;       /* allocated connections, CLOSING ones included */
    size_t n_open;        /* admitted, OPEN or LINGER: descriptors held */
    dp__http_conn *idle_head, *idle_tail; /* every idle connection */
    dp__http_peer **peers;                /* hash table of peers */
    size_t peer_mask;                     /* buckets - 1 (a power of 2) */
    uint64_t peer_seed;
    uint64_t last_limit_log_ms;
    /* dp_http_stats, written on the loop thread, read from any thread. */
    atomic_ullong st_open, st_accepted, st_refused, st_evicted, st_idle,
        st_timed_out, st_unknown_route;
    /* Replies that say what exists and which key raises a limit (built
     * when the server starts; its routes are fixed by then). */
    char routes_msg[256], too_big_msg[160], inflated_too_big_msg[160];
    /* Unknown paths already logged (hashes; loop thread only): each
     * distinct one is logged once, at most 64 in all. */
    uint64_t logged_paths[64];
    size_t n_logged_paths;
    char read_buf[DP__HTTP_READ_BUF]; /* loop thread only; consumed at once */
    dp_tls_server *tls;               /* NULL: plaintext */
    char plain_buf[16384];            /* decrypted input (TLS), loop only */
    /* Request bodies handed back by finished requests (loop thread only),
     * reused by the next ones instead of malloc'ing fresh pages. */
    uint8_t *spare_body[DP__HTTP_SPARE_BODIES];
    size_t spare_cap[DP__HTTP_SPARE_BODIES];
    size_t n_spare;
    /* Deferred replies (dp_http_server_set_poll): connections waiting,
     * and the wakeup that makes the loop poll them. */
    dp_export_poll_fn poll;
    uv_async_t wake;
    dp__http_conn *waiting;
};

/* otlp_http.c ------------------------------------------------------------ */

/* The listener's connection callback (accept and admit). */
void dp__http_on_connection(uv_stream_t *server, int status);
/* On the loop thread: stop accepting, close idle connections, let the
 * others finish, arm the shutdown deadline. */
void dp__http_begin_shutdown(dp_http_server *s);
/* Runs the parser over input again after a deferred reply went out: the
 * stashed bytes first, then reading resumes (unless another reply is
 * deferred or the connection is ending). */
void dp__http_resume(dp__http_conn *c);

/* otlp_http_defer.c ------------------------------------------------------ */

/* Keeps r (copied) until the server's poll says it is final and stops
 * reading (on_message_complete then pauses the parser). Returns false on
 * ENOMEM (nothing changed). */
bool dp__http_defer(dp__http_conn *c, const dp_export_result *r, bool close);
/* Input the paused parser did not take (copied). Returns false on ENOMEM. */
bool dp__http_stash(dp__http_conn *c, const char *data, size_t len);
/* The wake handle's callback: replies to every connection whose result
 * is final and resumes it. */
void dp__http_on_wake(uv_async_t *a);
/* At close: forgets the deferred reply and the stash. */
void dp__http_defer_drop(dp__http_conn *c);

/* Frees the spare request bodies (at destroy). */
void dp__http_free_spares(dp_http_server *s);

/* Queues data (copied) on the connection. Returns 0, or closes the
 * connection and returns DP_ENOMEM / DP_EIO. */
int dp__http_write(dp__http_conn *c, const char *data, size_t len);
/* Sends one complete response with Content-Length (no body for HEAD).
 * extra holds whole header lines ("Allow: POST\r\n") or is NULL. With
 * close set the reply says Connection: close and the connection begins
 * its lingering close. No-op unless the connection is open. */
void dp__http_reply(dp__http_conn *c, int status, const char *ctype,
                    const void *body, size_t len, const char *extra,
                    bool close);
/* (Re)arms the connection's one timer: idle/request timeout. */
void dp__http_arm_timer(dp__http_conn *c, int ms);
/* The parser saw the first byte of a request: the connection is no longer
 * idle, and its head must be complete within header_timeout_ms (counted
 * from accept for the first request). */
void dp__http_request_begin(dp__http_conn *c);
/* A request is complete and answered (its reply queued): the connection
 * waits for the next one, idle once the reply is written. */
void dp__http_request_end(dp__http_conn *c);

/* otlp_http_tls.c -------------------------------------------------------- */

/* Wraps an accepted connection in TLS (server side, memory BIOs). Returns
 * 0 or DP_ENOMEM. */
int dp__http_tls_accept(dp__http_conn *c);
/* Called with ciphertext read from the socket: runs the handshake and
 * hands every decrypted byte to feed (which returns false when the
 * connection stopped taking input). Returns 0, 1 when the peer sent
 * close_notify, or DP_EIO when the handshake or a record failed (the
 * connection must close). Handshake output is left for
 * dp__http_tls_flush. */
int dp__http_tls_input(dp__http_conn *c, const char *data, size_t len,
                       bool (*feed)(dp__http_conn *, const char *, size_t));
/* Encrypts a, then b (either may be empty) into the outgoing buffer.
 * Returns 0 or DP_EIO (not yet handshaken, or a failure). */
int dp__http_tls_output(dp__http_conn *c, const void *a, size_t alen,
                        const void *b, size_t blen);
/* Queues a close_notify alert in the outgoing buffer. */
void dp__http_tls_close_notify(dp__http_conn *c);
/* Bytes waiting in the outgoing buffer; dp__http_tls_take moves up to len
 * of them into buf and returns how many. */
size_t dp__http_tls_pending(dp__http_conn *c);
size_t dp__http_tls_take(dp__http_conn *c, char *buf, size_t len);
/* Frees the connection's SSL object (accepts c->ssl == NULL). */
void dp__http_tls_free(dp__http_conn *c);

/* otlp_http_prot.c ------------------------------------------------------- */

/* The parser callbacks; the table is static and initialized once. */
const http_parser_settings *dp__http_parser_settings(void);
/* Frees the request body and clears the per-request fields. */
void dp__http_reset_request(dp__http_conn *c);
/* Replies with an error status; on /v1/traces with a known content type
 * the body is a google.rpc.Status in that encoding, otherwise text. */
/* The reply for a handler's result (200 with partial_success, 400, 503 +
 * Retry-After, 500), in the request's encoding. */
void dp__http_reply_export(dp__http_conn *c, dp_export_result *r, bool close);
void dp__http_reply_error(dp__http_conn *c, int status, const char *msg,
                          const char *extra, bool close);

#endif /* DP_OTLP_HTTP_INTERNAL_H */
