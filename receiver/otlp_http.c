/*
 * otlp_http.c - OTLP/HTTP/1.1 receiver: the server and its connections.
 *
 * Sits at the front of the live flow. One thread runs one libuv loop that
 * owns the listening socket and every connection; bytes read go through the
 * connection's http-parser, whose callbacks (otlp_http_prot.c) route the
 * request, call the dp_export_fn synchronously and queue the reply through
 * dp__http_reply() here. Because the handler runs inline, replies to
 * pipelined requests are queued in request order.
 *
 * Limits kept here: one timer per connection (requests must complete their
 * header within idle_timeout_ms of the previous one; a body must progress
 * at least that often), max_connections, and reading pauses while more than
 * WRITE_QUEUE_HIGH bytes of replies wait for a client that does not read.
 * A reply that ends a connection half-closes it and discards further input
 * for up to LINGER_MS, so the client reads the reply rather than a reset.
 */
#include "otlp_http.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netdb.h>

#include "otlp_http_internal.h"
#include "processor.h"

#define LINGER_MS 2000
#define WRITE_QUEUE_HIGH (1u << 20)
#define MAX_BODY_CAP ((size_t)1 << 30) /* zlib counts in 32-bit units */

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
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    dp_http_server *s = c->srv;
    dp__http_reset_request(c);
    free(c);
    s->n_conns--;
    maybe_finish(s);
}

/* Closes both handles now; pending writes are cancelled. The conn is freed
 * by the last close callback, so it stays valid until the loop turns. */
static void conn_close(conn *c)
{
    if (c->state == DP__CONN_CLOSING)
        return;
    c->state = DP__CONN_CLOSING;
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
    if (!c->reading && c->state != DP__CONN_CLOSING &&
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
}

static void on_timer(uv_timer_t *t);

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
}

/* Queues head + body as one write. Returns 0 or closes the conn. */
static int conn_write(conn *c, const char *head, size_t head_len,
                      const void *body, size_t body_len)
{
    write_req *wr = malloc(sizeof(*wr) + head_len + body_len);
    if (!wr) {
        conn_close(c);
        return DP_ENOMEM;
    }
    memcpy(wr->data, head, head_len);
    if (body_len)
        memcpy(wr->data + head_len, body, body_len);
    wr->c = c;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)(head_len + body_len));
    int rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0) {
        free(wr);
        conn_close(c);
        return DP_EIO;
    }
    c->pending_writes++;
    return 0;
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
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %.100s\r\n"
                     "Content-Length: %zu\r\n%.200s%s\r\n",
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

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = st->data;
    if (nread == 0 || c->state == DP__CONN_CLOSING)
        return;
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
    size_t n = http_parser_execute(&c->parser, dp__http_parser_settings(),
                                   buf->base, (size_t)nread);
    if (c->state != DP__CONN_OPEN)
        return;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e != HPE_OK) {
        c->route = DP__ROUTE_NONE; /* a plain-text reply */
        if (e == HPE_HEADER_OVERFLOW)
            dp__http_reply_error(c, 431, "request header too large", NULL,
                                 true);
        else
            dp__http_reply_error(c, 400, http_errno_description(e), NULL, true);
        return;
    }
    if (n != (size_t)nread) { /* only after an Upgrade request */
        conn_begin_close(c);
        return;
    }
    if (c->in_body)
        dp__http_arm_timer(c, c->srv->cfg.idle_timeout_ms);
    if (c->tcp.write_queue_size > WRITE_QUEUE_HIGH) {
        uv_read_stop(st); /* the client is not reading its replies */
        c->reading = false;
    }
}

static void on_timer(uv_timer_t *t)
{
    conn *c = t->data;
    if (c->state == DP__CONN_OPEN && c->in_request) {
        c->route = DP__ROUTE_NONE;
        dp__http_reply_error(c, 408, "request not received in time", NULL,
                             true);
    } else {
        conn_close(c);
    }
}

static void on_connection(uv_stream_t *server, int status)
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
    if (rc < 0 || s->n_conns > s->cfg.max_connections) {
        uint64_t now = uv_now(&s->loop);
        if (rc < 0 || now - s->last_limit_log_ms >= 10000 ||
            s->last_limit_log_ms == 0) {
            s->last_limit_log_ms = now;
            dp_log_warn(DP__HTTP_COMPONENT, "connection refused: %s",
                        rc < 0 ? uv_strerror(rc) : "max_connections reached");
        }
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    conn_read_on(c);
    dp__http_arm_timer(c, s->cfg.idle_timeout_ms);
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
static void begin_shutdown(dp_http_server *s)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    uv_close((uv_handle_t *)&s->listener, NULL);
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->state != DP__CONN_OPEN || c->in_request)
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

static void on_async(uv_async_t *a)
{
    begin_shutdown(a->data);
}

static void server_thread(void *arg)
{
    dp_http_server *s = arg;
    sigset_t set; /* writes to a reset peer must not kill the process */
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
}

/* ------------------------------------------------------------------------ */
/* Public API.                                                              */

void dp_http_config_init(dp_http_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->endpoint = "127.0.0.1:4318";
    cfg->max_body_bytes = 20u << 20;
    cfg->retry_after_s = 1;
    cfg->idle_timeout_ms = 30000;
    cfg->max_connections = 4096;
}

/* Resolves "host:port" / "[v6]:port" / ":port" into addr. */
static int parse_endpoint(const char *ep, struct sockaddr_storage *addr,
                          char *err, size_t err_len)
{
    const char *colon = strrchr(ep, ':');
    char host[200];
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon[1] == '\0' || *end || port < 0 || port > 65535 ||
        (size_t)(colon - ep) >= sizeof(host)) {
        snprintf(err, err_len, "bad endpoint \"%s\": want host:port", ep);
        return DP_EINVAL;
    }
    size_t hl = (size_t)(colon - ep);
    memcpy(host, ep, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    if (host[0] == '\0')
        strcpy(host, "0.0.0.0");
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)addr) == 0 ||
        uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)addr) == 0)
        return 0;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_len, "bad endpoint \"%s\": %s", ep,
                 rc ? gai_strerror(rc) : "no address");
        return DP_EINVAL;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    if (addr->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)addr)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)addr)->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return 0;
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

dp_http_server *dp_http_server_create(const dp_http_config *cfg,
                                      dp_export_fn handler, void *user,
                                      char *err, size_t err_len)
{
    char dummy[8];
    if (!err || !err_len) {
        err = dummy;
        err_len = sizeof(dummy);
    }
    err[0] = '\0';
    if (!cfg || !handler) {
        snprintf(err, err_len, "no config or handler");
        return NULL;
    }
    dp_http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    dp_http_config_init(&s->cfg);
    if (cfg->endpoint)
        s->cfg.endpoint = cfg->endpoint;
    if (cfg->max_body_bytes)
        s->cfg.max_body_bytes = cfg->max_body_bytes;
    if (cfg->retry_after_s)
        s->cfg.retry_after_s = cfg->retry_after_s;
    if (cfg->idle_timeout_ms > 0)
        s->cfg.idle_timeout_ms = cfg->idle_timeout_ms;
    if (cfg->max_connections)
        s->cfg.max_connections = cfg->max_connections;
    snprintf(s->endpoint, sizeof(s->endpoint), "%s", s->cfg.endpoint);
    s->cfg.endpoint = s->endpoint;
    s->handler = handler;
    s->user = user;
    if (s->cfg.max_body_bytes > MAX_BODY_CAP) {
        snprintf(err, err_len, "max body size over %zu bytes", MAX_BODY_CAP);
        free(s);
        return NULL;
    }
    struct sockaddr_storage addr;
    if (parse_endpoint(s->endpoint, &addr, err, err_len) < 0) {
        free(s);
        return NULL;
    }
    if (uv_loop_init(&s->loop) < 0 || uv_mutex_init(&s->life_lock) < 0) {
        snprintf(err, err_len, "cannot create event loop");
        free(s);
        return NULL;
    }
    uv_tcp_init(&s->loop, &s->listener);
    uv_async_init(&s->loop, &s->async, on_async);
    uv_timer_init(&s->loop, &s->deadline);
    s->listener.data = s->async.data = s->deadline.data = s;
    int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    if (rc == 0)
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
    if (rc < 0) {
        snprintf(err, err_len, "cannot listen on %s: %s", s->endpoint,
                 uv_strerror(rc));
        uv_walk(&s->loop, close_any, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        uv_mutex_destroy(&s->life_lock);
        free(s);
        return NULL;
    }
    s->port = ntohs(bound.ss_family == AF_INET6
                        ? ((struct sockaddr_in6 *)&bound)->sin6_port
                        : ((struct sockaddr_in *)&bound)->sin_port);
    dp_log_info(DP__HTTP_COMPONENT, "listening on %s (port %d)", s->endpoint,
                s->port);
    return s;
}

int dp_http_server_add_get(dp_http_server *s, const char *path,
                           dp_http_get_fn fn, void *user)
{
    if (!s || !path || path[0] != '/' || !fn || s->started || s->stopped ||
        strcmp(path, DP__HTTP_TRACES_PATH) == 0)
        return DP_EINVAL;
    dp__http_route_get *r = realloc(s->routes, (s->n_routes + 1) * sizeof(*r));
    if (!r)
        return DP_ENOMEM;
    s->routes = r;
    r[s->n_routes].path = strdup(path);
    if (!r[s->n_routes].path)
        return DP_ENOMEM;
    r[s->n_routes].fn = fn;
    r[s->n_routes].user = user;
    s->n_routes++;
    return 0;
}

int dp_http_server_port(const dp_http_server *s)
{
    return s ? s->port : 0;
}

int dp_http_server_start(dp_http_server *s)
{
    if (!s)
        return DP_EINVAL;
    uv_mutex_lock(&s->life_lock);
    int rc = DP_EINVAL;
    if (!s->started && !s->stopped) {
        rc = uv_thread_create(&s->thread, server_thread, s) == 0 ? 0 : DP_EIO;
        s->started = rc == 0;
    }
    uv_mutex_unlock(&s->life_lock);
    return rc;
}

void dp_http_server_shutdown(dp_http_server *s, int deadline_ms)
{
    if (!s)
        return;
    uv_mutex_lock(&s->life_lock);
    if (!s->stopped) {
        s->deadline_ms = deadline_ms;
        if (s->started) {
            uv_async_send(&s->async);
            uv_thread_join(&s->thread);
        } else {
            begin_shutdown(s);
            uv_run(&s->loop, UV_RUN_DEFAULT);
        }
        s->stopped = true;
        dp_log_info(DP__HTTP_COMPONENT, "stopped listening on %s", s->endpoint);
    }
    uv_mutex_unlock(&s->life_lock);
}

void dp_http_server_destroy(dp_http_server *s)
{
    if (!s)
        return;
    dp_http_server_shutdown(s, 5000);
    if (uv_loop_close(&s->loop) != 0)
        dp_log_error(DP__HTTP_COMPONENT, "event loop still busy at destroy");
    uv_mutex_destroy(&s->life_lock);
    for (size_t i = 0; i < s->n_routes; i++)
        free(s->routes[i].path);
    free(s->routes);
    free(s);
}
