/*
 * otlp_grpc_server.c - the life of the OTLP/gRPC receiver (otlp_grpc.h):
 * its configuration defaults, create (channel arguments, TLS, the
 * registered Export method, one completion queue per serving thread),
 * start, the ordered shutdown described in otlp_grpc.c, destroy and TLS
 * reload. The calls themselves are handled in otlp_grpc.c.
 */
#include "log.h"
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

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include "otlp_grpc_internal.h"
#include "processor.h"

/* Writes fmt (with one %s for a) into err, when the caller gave one. */
static void set_err(char *err, size_t err_len, const char *fmt, const char *a)
{
    if (err && err_len)
        snprintf(err, err_len, fmt, a);
}

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
        if (pthread_create(&w->thread, NULL, dp__grpc_worker_main, w) != 0) {
            dp_log_error(LOG_COMPONENT, "cannot start serving thread %d", i);
            return DP_ENOMEM;
        }
        w->thread_started = 1;
        char name[16];
        snprintf(name, sizeof(name), "dp-grpc-%d", i % 100);
        pthread_setname_np(w->thread, name);
        for (int k = 0; k < RPCS_PER_QUEUE + GENERIC_PER_QUEUE; k++) {
            int rc = dp__grpc_post_request(w, k >= RPCS_PER_QUEUE);
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
        dp__grpc_drain_queue(w0, &s->shutdown_tag);
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
            dp__grpc_drain_queue(w, NULL);
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
