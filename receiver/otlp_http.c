/*
 * otlp_http.c - OTLP/HTTP/1.1 receiver: its connections.
 *
 * Sits at the front of the live flow. One thread runs one libuv loop that
 * owns the listening socket and every connection (the server object and
 * public API: otlp_http_server.c); bytes read go through the connection's
 * http-parser, whose callbacks (otlp_http_prot.c) route the request, call
 * the dp_export_fn and queue the reply through dp__http_reply() here. A
 * reply the handler defers (the write-ahead log's group commit,
 * otlp_http_defer.c) pauses the connection's parser and reading until it
 * is sent, so replies to pipelined requests still go out in order.
 *
 * Limits kept here (see otlp_http.h for what clients see): one timer per
 * connection (header_timeout_ms for a request head, idle_timeout_ms between
 * requests and for body progress); max_connections and
 * max_connections_per_peer, enforced at accept by closing the oldest idle
 * connection (two intrusive queues, the server's and the peer's, make that
 * O(1)) or refusing the new one; and reading pauses while more than
 * WRITE_QUEUE_HIGH bytes of replies wait for a client that does not read.
 * A reply that ends a connection half-closes it and discards further input
 * for up to LINGER_MS, so the client reads the reply rather than a reset.
 */
#include "otlp_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/ioctl.h>

#include "log.h"
#include "otlp_http_internal.h"
#include "processor.h"

#define LINGER_MS 2000
#define WRITE_QUEUE_HIGH (1u << 20)
#define EVICT_PROBES 16 /* idle candidates checked for unread bytes */
/* Connections the kernel completes before we accept them (capped by
 * net.core.somaxconn). A burst of connects beyond it drops SYNs, and every
 * client caught in it, well-behaved ones included, waits a 1 s
 * retransmission: keep room for a burst as large as the caps. */

/* Appends c to the queue (head, tail) linked through c->P and c->N. */
#define QUEUE_PUSH(head, tail, c, P, N)                                        \
    do {                                                                       \
        (c)->P = (tail);                                                       \
        (c)->N = NULL;                                                         \
        if (tail)                                                              \
            (tail)->N = (c);                                                   \
        else                                                                   \
            (head) = (c);                                                      \
        (tail) = (c);                                                          \
    } while (0)
/* Unlinks c from the queue (head, tail). */
#define QUEUE_REMOVE(head, tail, c, P, N)                                      \
    do {                                                                       \
        if ((c)->P)                                                            \
            (c)->P->N = (c)->N;                                                \
        else                                                                   \
            (head) = (c)->N;                                                   \
        if ((c)->N)                                                            \
            (c)->N->P = (c)->P;                                                \
        else                                                                   \
            (tail) = (c)->P;                                                   \
        (c)->P = (c)->N = NULL;                                                \
    } while (0)

typedef dp__http_conn conn;

typedef struct write_req {
    uv_write_t req;
    conn *c;
    char data[];
} write_req;

/* ------------------------------------------------------------------------ */
/* Connection lifetime.                                                     */

static void maybe_finish(dp_http_server *s)
{
    if (!s->shutting_down || s->finished || s->n_conns > 0)
        return;
    s->finished = true;
    uv_close((uv_handle_t *)&s->deadline, NULL);
    uv_close((uv_handle_t *)&s->async, NULL);
    uv_close((uv_handle_t *)&s->wake, NULL);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    dp_http_server *s = c->srv;
    dp__http_reset_request(c);
    dp__http_tls_free(c);
    free(c);
    s->n_conns--;
    maybe_finish(s);
}

static void stat_add(atomic_ullong *counter, long delta)
{
    atomic_fetch_add_explicit(counter, (unsigned long long)delta,
                              memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Peers and idle connections.                                              */

/* The peer key of a connected socket: an IPv4 address (also when mapped
 * into IPv6), or the /64 of an IPv6 address, since one IPv6 client
 * usually holds a whole /64. Returns false when the address is unknown. */
static bool peer_key(uv_tcp_t *tcp, uint8_t key[16])
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    memset(key, 0, 16);
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((struct sockaddr_in *)&ss)->sin_addr, 4);
        return true;
    }
    if (ss.ss_family != AF_INET6)
        return false;
    const uint8_t *a = ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                         0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, v4mapped, 12) == 0) {
        key[0] = 4;
        memcpy(key + 1, a + 12, 4);
    } else {
        key[0] = 6;
        memcpy(key + 1, a, 8);
    }
    return true;
}

static size_t peer_bucket(const dp_http_server *s, const uint8_t key[16])
{
    uint64_t h = s->peer_seed;
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 0x100000001b3ULL;
    return (size_t)(h ^ h >> 29) & s->peer_mask;
}

/* Finds the peer of key, creating it (with no connection) when absent.
 * NULL on ENOMEM. Cost: O(peers in the bucket). */
static dp__http_peer *peer_get(dp_http_server *s, const uint8_t key[16])
{
    size_t b = peer_bucket(s, key);
    for (dp__http_peer *p = s->peers[b]; p; p = p->next)
        if (memcmp(p->key, key, 16) == 0)
            return p;
    dp__http_peer *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    memcpy(p->key, key, 16);
    p->next = s->peers[b];
    s->peers[b] = p;
    return p;
}

/* Frees p when it holds no connection any more. */
static void peer_release(dp_http_server *s, dp__http_peer *p)
{
    if (p->conns > 0)
        return;
    dp__http_peer **pp = &s->peers[peer_bucket(s, p->key)];
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    free(p);
}

/* Puts c in (or takes it out of) the idle queues. Idle: admitted, open,
 * no request in progress, no reply being written: closing it loses
 * nothing. Called after every change to one of those. O(1). */
static void conn_update_idle(conn *c)
{
    dp_http_server *s = c->srv;
    bool idle = c->peer && c->state == DP__CONN_OPEN && !c->in_request &&
                !c->deferred && c->pending_writes == 0 && !s->shutting_down;
    if (idle == c->idle)
        return;
    dp__http_peer *p = c->peer;
    if (idle) {
        QUEUE_PUSH(s->idle_head, s->idle_tail, c, idle_prev, idle_next);
        QUEUE_PUSH(p->idle_head, p->idle_tail, c, pidle_prev, pidle_next);
    } else {
        QUEUE_REMOVE(s->idle_head, s->idle_tail, c, idle_prev, idle_next);
        QUEUE_REMOVE(p->idle_head, p->idle_tail, c, pidle_prev, pidle_next);
    }
    c->idle = idle;
}

/* Closes both handles now; pending writes are cancelled. The conn is freed
 * by the last close callback, so it stays valid until the loop turns. Its
 * descriptor is closed at once, so it no longer counts against the caps. */
static void conn_close(conn *c)
{
    if (c->state == DP__CONN_CLOSING)
        return;
    c->state = DP__CONN_CLOSING;
    conn_update_idle(c);
    dp__http_defer_drop(c);
    if (c->peer) {
        dp_http_server *s = c->srv;
        c->peer->conns--;
        peer_release(s, c->peer);
        c->peer = NULL;
        s->n_open--;
        stat_add(&s->st_open, -1);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void conn_read_on(conn *c)
{
    if (!c->reading && !c->deferred && c->state != DP__CONN_CLOSING &&
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
}

static void on_timer(uv_timer_t *t);
static int conn_flush_tls(conn *c);

void dp__http_arm_timer(conn *c, int ms)
{
    uv_timer_start(&c->timer, on_timer, (uint64_t)(ms > 0 ? ms : 0), 0);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn *c = req->handle->data;
    if (status < 0 && status != UV_ECANCELED)
        conn_close(c);
}

/* Half-closes after the queued writes and lingers, discarding input, until
 * the peer closes or LINGER_MS pass. */
static void conn_begin_close(conn *c)
{
    if (c->state != DP__CONN_OPEN)
        return;
    c->state = DP__CONN_LINGER;
    conn_update_idle(c);
    if (c->ssl) {
        dp__http_tls_close_notify(c);
        if (conn_flush_tls(c) < 0)
            return;
    }
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) <
        0) {
        conn_close(c);
        return;
    }
    dp__http_arm_timer(c, LINGER_MS);
    conn_read_on(c);
}

static void on_write(uv_write_t *req, int status)
{
    write_req *wr = (write_req *)req;
    conn *c = wr->c;
    free(wr);
    c->pending_writes--;
    if (c->state == DP__CONN_CLOSING)
        return;
    if (status < 0) {
        dp_log_debug(DP__HTTP_COMPONENT, "write failed: %s",
                     uv_strerror(status));
        conn_close(c);
        return;
    }
    if (c->state == DP__CONN_OPEN &&
        c->tcp.write_queue_size <= WRITE_QUEUE_HIGH / 2)
        conn_read_on(c);
    conn_update_idle(c);
}

/* Queues len bytes (copied) as one write. Returns 0 or closes the conn. */
static int conn_write_raw(conn *c, const char *head, size_t head_len,
                          const void *body, size_t body_len, bool tls)
{
    write_req *wr = malloc(sizeof(*wr) + head_len + body_len);
    if (!wr) {
        conn_close(c);
        return DP_ENOMEM;
    }
    if (tls) {
        head_len = dp__http_tls_take(c, wr->data, head_len);
    } else {
        memcpy(wr->data, head, head_len);
        if (body_len)
            memcpy(wr->data + head_len, body, body_len);
    }
    wr->c = c;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)(head_len + body_len));
    int rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0) {
        free(wr);
        conn_close(c);
        return DP_EIO;
    }
    c->pending_writes++;
    conn_update_idle(c);
    return 0;
}

/* Writes the TLS records waiting in the connection's outgoing buffer
 * (handshake messages, encrypted replies, close_notify). Returns 0 or
 * closes the conn. */
static int conn_flush_tls(conn *c)
{
    size_t n = dp__http_tls_pending(c);
    return n ? conn_write_raw(c, NULL, n, NULL, 0, true) : 0;
}

/* Queues head + body as one write (one TLS flush). Returns 0 or closes
 * the conn. */
static int conn_write(conn *c, const char *head, size_t head_len,
                      const void *body, size_t body_len)
{
    if (!c->ssl)
        return conn_write_raw(c, head, head_len, body, body_len, false);
    if (dp__http_tls_output(c, head, head_len, body, body_len) < 0) {
        conn_close(c);
        return DP_EIO;
    }
    return conn_flush_tls(c);
}

int dp__http_write(conn *c, const char *data, size_t len)
{
    return conn_write(c, data, len, NULL, 0);
}

void dp__http_reply(conn *c, int status, const char *ctype, const void *body,
                    size_t len, const char *extra, bool close)
{
    if (c->state != DP__CONN_OPEN)
        return;
    const char *conn_hdr = "";
    if (close)
        conn_hdr = "Connection: close\r\n";
    else if (c->parser.http_major == 1 && c->parser.http_minor == 0)
        conn_hdr = "Connection: keep-alive\r\n";
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %.100s\r\n"
                     "Content-Length: %zu\r\n%.700s%s\r\n",
                     status, http_status_str((enum http_status)status), ctype,
                     len, extra ? extra : "", conn_hdr);
    if (n < 0 || (size_t)n >= sizeof(head)) {
        conn_close(c);
        return;
    }
    if (conn_write(c, head, (size_t)n, body, c->is_head ? 0 : len) < 0)
        return;
    if (close)
        conn_begin_close(c);
}

/* ------------------------------------------------------------------------ */
/* libuv callbacks.                                                         */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->srv->read_buf, sizeof(c->srv->read_buf));
}

/* Runs the HTTP parser over plaintext input. Returns false when the
 * connection stopped taking input (closing, or reads paused). */
static bool feed_plain(conn *c, const char *data, size_t len)
{
    size_t n =
        http_parser_execute(&c->parser, dp__http_parser_settings(), data, len);
    if (c->state != DP__CONN_OPEN)
        return false;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED) { /* a deferred reply: the rest waits */
        if (n < len && !dp__http_stash(c, data + n, len - n))
            conn_close(c);
        return false;
    }
    if (e != HPE_OK) {
        c->route = DP__ROUTE_NONE; /* a plain-text reply */
        if (e == HPE_HEADER_OVERFLOW)
            dp__http_reply_error(c, 431, "request header too large", NULL,
                                 true);
        else
            dp__http_reply_error(c, 400, http_errno_description(e), NULL, true);
        return false;
    }
    if (n != len) { /* only after an Upgrade request */
        conn_begin_close(c);
        return false;
    }
    if (c->in_body)
        dp__http_arm_timer(c, c->srv->cfg.idle_timeout_ms);
    if (c->tcp.write_queue_size > WRITE_QUEUE_HIGH) {
        uv_read_stop((uv_stream_t *)&c->tcp); /* replies are not read */
        c->reading = false;
        return false;
    }
    return true;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = st->data;
    if (nread == 0 || c->state == DP__CONN_CLOSING)
        return;
    int tls_rc = 0;
    if (nread > 0 && c->ssl && c->state == DP__CONN_OPEN) {
        tls_rc = dp__http_tls_input(c, buf->base, (size_t)nread, feed_plain);
        if (c->state == DP__CONN_CLOSING || conn_flush_tls(c) < 0)
            return;
        if (tls_rc < 0) {
            conn_close(c);
            return;
        }
        if (tls_rc == 0)
            return;
        nread = UV_EOF; /* close_notify: the peer is done sending */
    }
    if (nread < 0) {
        /* The peer is done sending; replies still queued get written. */
        if (nread == UV_EOF && c->state == DP__CONN_OPEN && !c->in_request &&
            c->pending_writes > 0)
            conn_begin_close(c);
        else
            conn_close(c);
        return;
    }
    if (c->state == DP__CONN_LINGER)
        return; /* discarded */
    feed_plain(c, buf->base, (size_t)nread);
}

static void on_timer(uv_timer_t *t)
{
    conn *c = t->data;
    dp_http_server *s = c->srv;
    if (c->state == DP__CONN_OPEN && c->in_request) {
        stat_add(&s->st_timed_out, 1);
        c->route = DP__ROUTE_NONE;
        dp__http_reply_error(c, 408, "request not received in time", NULL,
                             true);
    } else {
        if (c->state == DP__CONN_OPEN)
            stat_add(&s->st_idle, 1);
        conn_close(c);
    }
}

void dp__http_resume(conn *c)
{
    if (c->state != DP__CONN_OPEN)
        return;
    http_parser_pause(&c->parser, 0);
    char *stash = c->stash;
    size_t n = c->stash_len;
    c->stash = NULL;
    c->stash_len = 0;
    bool more = !stash || feed_plain(c, stash, n);
    free(stash);
    if (more)
        conn_read_on(c);
}

void dp__http_request_begin(conn *c)
{
    c->in_request = true;
    conn_update_idle(c);
    /* A first request's head is due header_timeout after accept (armed
     * there): trickling it in does not buy more time. */
    if (c->requests > 0)
        dp__http_arm_timer(c, c->srv->cfg.header_timeout_ms);
}

void dp__http_request_end(conn *c)
{
    c->requests++;
    if (c->state != DP__CONN_OPEN)
        return;
    dp__http_arm_timer(c, c->srv->cfg.idle_timeout_ms);
    conn_update_idle(c);
}

/* Closes the oldest idle connection of a queue (the server's, or one
 * peer's) that has no unread bytes waiting in the kernel (those are a
 * request about to be parsed: closing would reset it), checking at most
 * EVICT_PROBES. Returns whether one was closed. */
static bool evict_idle(dp_http_server *s, conn *head, bool peer_queue)
{
    conn *c = head;
    for (int i = 0; c && i < EVICT_PROBES; i++) {
        conn *next = peer_queue ? c->pidle_next : c->idle_next;
        uv_os_fd_t fd;
        int unread = 0;
        if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 &&
            ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) {
            c = next;
            continue;
        }
        stat_add(&s->st_evicted, 1);
        conn_close(c);
        return true;
    }
    return false;
}

/* Refuses a just-accepted connection: a best-effort 503 (whatever fits in
 * the socket buffer at once), then the bytes the client already sent are
 * drained (bounded) so that closing sends a FIN the client can read the
 * reply before, not a reset. */
static void conn_refuse(conn *c, const char *why)
{
    dp_http_server *s = c->srv;
    static const char reply[] =
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 21\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        "too many connections\n";
    uv_buf_t b = uv_buf_init((char *)reply, sizeof(reply) - 1);
    if (!s->tls) /* a TLS client could not read it: just close */
        uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0) {
        shutdown(fd, SHUT_WR);
        for (int i = 0; i < 4; i++)
            if (recv(fd, s->read_buf, sizeof(s->read_buf), MSG_DONTWAIT) <= 0)
                break;
    }
    stat_add(&s->st_refused, 1);
    uint64_t now = uv_now(&s->loop);
    if (s->last_limit_log_ms == 0 || now - s->last_limit_log_ms >= 10000) {
        s->last_limit_log_ms = now;
        dp_log_warn(DP__HTTP_COMPONENT,
                    "connection refused: %s reached and no connection idle "
                    "(%zu open; logged at most every 10 s)",
                    why, s->n_open - 1);
    }
    conn_close(c);
}

/* Admits c under the caps, closing the oldest idle connection of its peer
 * (peer cap) or of anyone (total cap) to make room. Returns false when c
 * was refused (and closed). */
static bool conn_admit(conn *c)
{
    dp_http_server *s = c->srv;
    uint8_t key[16];
    dp__http_peer *p = peer_key(&c->tcp, key) ? peer_get(s, key) : NULL;
    if (!p) {
        dp_log_warn(DP__HTTP_COMPONENT, "accept: %s",
                    "peer address unknown or out of memory");
        conn_close(c);
        return false;
    }
    /* Count c first, so evicting p's last other connection keeps p. */
    c->peer = p;
    p->conns++;
    s->n_open++;
    stat_add(&s->st_open, 1);
    if (p->conns > s->cfg.max_connections_per_peer &&
        !evict_idle(s, p->idle_head, true)) {
        conn_refuse(c, "max_connections_per_peer");
        return false;
    }
    if (s->n_open > s->cfg.max_connections &&
        !evict_idle(s, s->idle_head, false)) {
        conn_refuse(c, "max_connections");
        return false;
    }
    stat_add(&s->st_accepted, 1);
    return true;
}

void dp__http_on_connection(uv_stream_t *server, int status)
{
    dp_http_server *s = server->data;
    if (status < 0) {
        dp_log_warn(DP__HTTP_COMPONENT, "accept: %s", uv_strerror(status));
        return;
    }
    conn *c = calloc(1, sizeof(*c));
    if (!c) {
        dp_log_error(DP__HTTP_COMPONENT, "accept: out of memory");
        return;
    }
    c->srv = s;
    uv_tcp_init(&s->loop, &c->tcp);
    uv_timer_init(&s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    dp__http_reset_request(c);
    int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (rc < 0) {
        dp_log_warn(DP__HTTP_COMPONENT, "accept: %s", uv_strerror(rc));
        conn_close(c);
        return;
    }
    if (!conn_admit(c))
        return;
    if (s->tls && dp__http_tls_accept(c) < 0) {
        dp_log_error(DP__HTTP_COMPONENT, "accept: TLS: out of memory");
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    conn_read_on(c);
    dp__http_arm_timer(c, s->cfg.header_timeout_ms);
    conn_update_idle(c);
}

/* The shutdown deadline passed: force-close whatever is left. */
static void on_deadline(uv_timer_t *t)
{
    dp_http_server *s = t->data;
    while (s->conns)
        conn_close(s->conns);
}

/* On the loop thread: stop accepting, close idle connections, let the
 * others finish (their reply says Connection: close), arm the deadline. */
void dp__http_begin_shutdown(dp_http_server *s)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    while (s->idle_head) /* shutting_down: nothing is idle any more */
        conn_update_idle(s->idle_head);
    uv_close((uv_handle_t *)&s->listener, NULL);
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->state != DP__CONN_OPEN || c->in_request || c->deferred)
            continue;
        if (c->pending_writes > 0)
            conn_begin_close(c);
        else
            conn_close(c);
    }
    uv_timer_start(&s->deadline, on_deadline,
                   (uint64_t)(s->deadline_ms > 0 ? s->deadline_ms : 0), 0);
    maybe_finish(s);
}
