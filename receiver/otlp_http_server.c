/*
 * otlp_http_server.c - the OTLP/HTTP receiver's server object and public
 * API (otlp_http.h): configuration defaults, endpoint parsing, binding and
 * listening, routes, the server thread, shutdown and destroy, TLS reload
 * and statistics. Connections (accept, admission under the caps, reading,
 * writing, timers, closing) are otlp_http.c's; the wire protocol is
 * otlp_http_prot.c's; deferred replies otlp_http_defer.c's.
 */
#include "log.h"
#include "otlp_http.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "otlp_http_internal.h"
#include "processor.h"

#define MAX_BODY_CAP ((size_t)1 << 30) /* zlib counts in 32-bit units */
#define LISTEN_BACKLOG 4096

static void on_async(uv_async_t *a)
{
    dp__http_begin_shutdown(a->data);
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
    cfg->header_timeout_ms = 10000;
    cfg->max_connections = 1024;
    cfg->max_connections_per_peer = 256;
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
    if (cfg->header_timeout_ms > 0)
        s->cfg.header_timeout_ms = cfg->header_timeout_ms;
    if (s->cfg.header_timeout_ms > s->cfg.idle_timeout_ms)
        s->cfg.header_timeout_ms = s->cfg.idle_timeout_ms;
    if (cfg->max_connections)
        s->cfg.max_connections = cfg->max_connections;
    if (cfg->max_connections_per_peer)
        s->cfg.max_connections_per_peer = cfg->max_connections_per_peer;
    s->cfg.auth = cfg->auth;
    s->cfg.auth_traces = cfg->auth_traces;
    s->cfg.open_paths = cfg->open_paths;
    s->cfg.n_open_paths = cfg->n_open_paths;
    s->cfg.tls = (dp_tls_files){NULL, NULL, NULL}; /* s->tls has them */
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
    /* Peers are at most max_connections; about two per bucket at most. */
    size_t buckets = 64;
    while (buckets < s->cfg.max_connections / 2 && buckets < (1u << 16))
        buckets *= 2;
    s->peers = calloc(buckets, sizeof(*s->peers));
    s->peer_mask = buckets - 1;
    s->peer_seed = 0xcbf29ce484222325ULL ^ (uint64_t)(uintptr_t)s ^
                   uv_hrtime(); /* keeps chains unpredictable */
    if (!s->peers || uv_loop_init(&s->loop) < 0) {
        snprintf(err, err_len, "cannot create event loop");
        free(s->peers);
        free(s);
        return NULL;
    }
    if (uv_mutex_init(&s->life_lock) < 0) {
        snprintf(err, err_len, "cannot create event loop");
        uv_loop_close(&s->loop);
        free(s->peers);
        free(s);
        return NULL;
    }
    uv_tcp_init(&s->loop, &s->listener);
    uv_async_init(&s->loop, &s->async, on_async);
    uv_async_init(&s->loop, &s->wake, dp__http_on_wake);
    s->wake.data = s;
    uv_timer_init(&s->loop, &s->deadline);
    s->listener.data = s->async.data = s->deadline.data = s;
    int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, LISTEN_BACKLOG,
                       dp__http_on_connection);
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    if (rc == 0)
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
    if (rc < 0)
        snprintf(err, err_len, "cannot listen on %s: %s", s->endpoint,
                 uv_strerror(rc));
    else if (dp_tls_files_on(&cfg->tls) &&
             !(s->tls = dp_tls_server_create(&cfg->tls, err, err_len)))
        rc = UV_EINVAL; /* err names the file and the reason */
    if (rc < 0) {
        uv_walk(&s->loop, close_any, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        uv_mutex_destroy(&s->life_lock);
        free(s->peers);
        free(s);
        return NULL;
    }
    s->port = ntohs(bound.ss_family == AF_INET6
                        ? ((struct sockaddr_in6 *)&bound)->sin6_port
                        : ((struct sockaddr_in *)&bound)->sin_port);
    dp_log_info(DP__HTTP_COMPONENT,
                "listening on %s (port %d%s; at most %zu connections, %zu per "
                "client address; header timeout %d ms, idle timeout %d ms)",
                s->endpoint, s->port,
                !s->tls ? ""
                : dp_tls_server_mutual(s->tls)
                    ? ", TLS with client certificates"
                    : ", TLS",
                s->cfg.max_connections, s->cfg.max_connections_per_peer,
                s->cfg.header_timeout_ms, s->cfg.idle_timeout_ms);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        s->cfg.max_connections + 64 > rl.rlim_cur)
        dp_log_warn(DP__HTTP_COMPONENT,
                    "max_connections %zu is close to or above the open-file "
                    "limit (%llu): connections beyond it fail at accept",
                    s->cfg.max_connections, (unsigned long long)rl.rlim_cur);
    return s;
}

static int add_route(dp_http_server *s, const char *path, dp_http_get_fn fn,
                     dp_http_page_fn page, void *user)
{
    if (!s || !path || path[0] != '/' || (!fn && !page) || s->started ||
        s->stopped || strcmp(path, DP__HTTP_TRACES_PATH) == 0 ||
        (page && path[strlen(path) - 1] != '/'))
        return DP_EINVAL;
    dp__http_route_get *r = realloc(s->routes, (s->n_routes + 1) * sizeof(*r));
    if (!r)
        return DP_ENOMEM;
    s->routes = r;
    r[s->n_routes].path = strdup(path);
    if (!r[s->n_routes].path)
        return DP_ENOMEM;
    r[s->n_routes].fn = fn;
    r[s->n_routes].page = page;
    r[s->n_routes].user = user;
    s->n_routes++;
    return 0;
}

int dp_http_server_add_get(dp_http_server *s, const char *path,
                           dp_http_get_fn fn, void *user)
{
    return fn ? add_route(s, path, fn, NULL, user) : DP_EINVAL;
}

int dp_http_server_add_page(dp_http_server *s, const char *prefix,
                            dp_http_page_fn fn, void *user)
{
    return fn ? add_route(s, prefix, NULL, fn, user) : DP_EINVAL;
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
        /* What a client that got the path or method wrong is told. */
        size_t o = (size_t)snprintf(s->routes_msg, sizeof(s->routes_msg),
                                    "this server answers POST %s",
                                    DP__HTTP_TRACES_PATH);
        for (size_t i = 0; i < s->n_routes && o < sizeof(s->routes_msg); i++)
            o += (size_t)snprintf(s->routes_msg + o, sizeof(s->routes_msg) - o,
                                  ", GET %s", s->routes[i].path);
        snprintf(s->too_big_msg, sizeof(s->too_big_msg),
                 "request body exceeds the limit of %zu bytes "
                 "(receivers.otlp.http.max_body_size)",
                 s->cfg.max_body_bytes);
        snprintf(s->inflated_too_big_msg, sizeof(s->inflated_too_big_msg),
                 "decompressed body exceeds the limit of %zu bytes "
                 "(receivers.otlp.http.max_body_size)",
                 s->cfg.max_body_bytes);
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
            dp__http_begin_shutdown(s);
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
    free(s->peers); /* every peer was freed with its last connection */
    dp_tls_server_destroy(s->tls);
    dp__http_free_spares(s);
    free(s);
}

int dp_http_server_reload_tls(dp_http_server *s, char *err, size_t err_len)
{
    if (!s || !s->tls) {
        snprintf(err, err_len, "TLS is off");
        return DP_EINVAL;
    }
    return dp_tls_server_reload(s->tls, err, err_len);
}

void dp_http_server_stats(const dp_http_server *s, dp_http_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!s)
        return;
    dp_http_server *m =
        (dp_http_server *)s; /* atomics load through non-const */
    out->connections_open =
        atomic_load_explicit(&m->st_open, memory_order_relaxed);
    out->connections_accepted =
        atomic_load_explicit(&m->st_accepted, memory_order_relaxed);
    out->connections_refused =
        atomic_load_explicit(&m->st_refused, memory_order_relaxed);
    out->connections_evicted =
        atomic_load_explicit(&m->st_evicted, memory_order_relaxed);
    out->connections_closed_idle =
        atomic_load_explicit(&m->st_idle, memory_order_relaxed);
    out->connections_timed_out =
        atomic_load_explicit(&m->st_timed_out, memory_order_relaxed);
    out->requests_unknown_route =
        atomic_load_explicit(&m->st_unknown_route, memory_order_relaxed);
}
