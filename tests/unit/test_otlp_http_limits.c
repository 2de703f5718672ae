/*
 * test_otlp_http_limits.c - the OTLP/HTTP receiver's limits over real
 * loopback sockets: the idle and header timeouts, shutdown with idle and
 * in-flight connections, the total and per-peer connection caps (evict
 * the oldest idle connection, else refuse with 503), a flood of idle and
 * slowloris connections beside a well-behaved client, and configurations
 * the server refuses. Replies, routes and content types are in
 * test_otlp_http.c; the fixture is otlp_http_fixture.h.
 *
 * Every case starts its own server with the timeouts and caps it needs.
 * All reads have a 5 s timeout and every loop is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "otlp_http_fixture.h"

/* ------------------------------------------------------------------------ */
/* Timers and shutdown.                                                     */

static void test_otlp_http_idle_timeout_bounds_partial_request(void **state)
{
    (void)state;
    fx *f = fx_new(MIB, 300);
    client *cl = cl_open(f->port);
    double t0 = now_ms();
    /* Slowloris: one header byte every 50 ms never completes a header. */
    const char *req =
        "POST /v1/traces HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaa";
    for (size_t i = 0; i < strlen(req) && now_ms() - t0 < 2000; i++) {
        struct pollfd pfd = {.fd = cl->fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) == 1 ||
            send(cl->fd, req + i, 1, MSG_NOSIGNAL) != 1)
            break; /* the server answered */
        usleep(50000);
    }
    reply r;
    cl_read(cl, &r);
    double dt = now_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(dt >= 250 && dt < 1500);
    reply_free(&r);
    cl_close(cl);
    /* An idle connection is closed without a reply. */
    cl = cl_open(f->port);
    t0 = now_ms();
    assert_eof(cl);
    assert_true(now_ms() - t0 < 1500);
    cl_close(cl);
    assert_serves(f);
    fx_free(f);
}

static void test_otlp_http_shutdown_with_idle_connection(void **state)
{
    (void)state;
    fx *f = fx_new(MIB, 30000);
    client *cl = cl_open(f->port);
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    double t0 = now_ms();
    dp_http_server_shutdown(f->s, 5000);
    assert_true(now_ms() - t0 < 1000);
    assert_eof(cl);
    cl_close(cl);
    fx_free(f);
}

static void *shutdown_thread(void *arg)
{
    dp_http_server_shutdown(arg, 3000);
    return NULL;
}

static void test_otlp_http_shutdown_finishes_in_flight(void **state)
{
    (void)state;
    fx *f = fx_new(MIB, 30000);
    client *cl = cl_open(f->port);
    cl_sends(cl, "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json"
                 "\r\nContent-Length: 2\r\n\r\n{");
    usleep(50000);
    double t0 = now_ms();
    pthread_t th;
    pthread_create(&th, NULL, shutdown_thread, f->s);
    int fd = -1;
    for (int i = 0; i < 100; i++) { /* the listener goes away */
        fd = dp_htc_connect_fd(f->port);
        if (fd < 0)
            break;
        close(fd);
        usleep(10000);
    }
    assert_true(fd < 0);
    cl_sends(cl, "}");
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_true(hdr_is(&r, "Connection", "close"));
    reply_free(&r);
    assert_eof(cl);
    cl_close(cl);
    pthread_join(th, NULL);
    assert_true(now_ms() - t0 < 1000);
    assert_int_equal(f->st.calls, 1);
    fx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Connection caps and the header timeout.                                  */

static dp_http_stats stats_of(fx *f)
{
    dp_http_stats st;
    dp_http_server_stats(f->s, &st);
    return st;
}

/* A config with the given caps and timeouts, the rest default. */
static dp_http_config caps_cfg(size_t total, size_t per_peer, int header_ms,
                               int idle_ms)
{
    dp_http_config cfg;
    dp_http_config_init(&cfg);
    cfg.max_body_bytes = MIB;
    cfg.max_connections = total;
    cfg.max_connections_per_peer = per_peer;
    cfg.header_timeout_ms = header_ms;
    cfg.idle_timeout_ms = idle_ms;
    return cfg;
}

/* A POST on cl answered 200. */
static void post_ok(client *cl)
{
    cl_post(cl, "/v1/traces", "application/json", NULL, "{}", 2);
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

/* The server has read and parsed what was sent (it runs on its own
 * thread): give it a moment. */
static void let_server_run(void)
{
    usleep(100 * 1000);
}

/* A new connection answered 503 + Retry-After, then closed. */
static void assert_refused(client *cl)
{
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 503);
    assert_true(hdr_is(&r, "Retry-After", "1"));
    assert_true(hdr_is(&r, "Connection", "close"));
    reply_free(&r);
    assert_eof(cl);
}

static const char partial_head[] = "POST /v1/traces HTTP/1.1\r\n"
                                   "Content-Type: application/json\r\n";

static void test_otlp_http_total_cap_evicts_oldest_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(2, 10, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *a = cl_open(f->port);
    post_ok(a); /* then idle: the oldest idle connection */
    client *b = cl_open(f->port);
    let_server_run();
    client *c = cl_open(f->port); /* over the cap: a makes room */
    post_ok(c);
    assert_eof(a);
    assert_false(dp_htc_readable(b->fd, 100)); /* b is left alone */
    post_ok(b);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_evicted, 1);
    assert_int_equal(st.connections_refused, 0);
    assert_int_equal(st.connections_accepted, 3);
    assert_int_equal(st.connections_open, 2);
    cl_close(a);
    cl_close(b);
    cl_close(c);
    fx_free(f);
}

static void test_otlp_http_total_cap_refuses_when_none_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(1, 10, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *a = cl_open(f->port);
    cl_sends(a, partial_head); /* a request in progress: not idle */
    let_server_run();
    client *b = cl_open(f->port);
    assert_refused(b);
    cl_close(b);
    cl_sends(a, "Content-Length: 2\r\n\r\n{}");
    reply r;
    cl_read(a, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_refused, 1);
    assert_int_equal(st.connections_evicted, 0);
    assert_int_equal(st.connections_open, 1);
    cl_close(a);
    fx_free(f);
}

static void test_otlp_http_peer_cap_evicts_own_oldest_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(100, 2, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *x = dp_htc_open_from(f->port, "127.0.0.1"); /* oldest of all */
    assert_non_null(x);
    let_server_run();
    client *p1 = dp_htc_open_from(f->port, "127.0.0.2");
    client *p2 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p1);
    assert_non_null(p2);
    let_server_run();
    client *p3 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p3);
    post_ok(p3);
    assert_eof(p1); /* the peer's own oldest idle connection */
    assert_false(dp_htc_readable(x->fd, 100));
    assert_false(dp_htc_readable(p2->fd, 0));
    post_ok(x);
    post_ok(p2);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_evicted, 1);
    assert_int_equal(st.connections_open, 3);
    cl_close(x);
    cl_close(p1);
    cl_close(p2);
    cl_close(p3);
    fx_free(f);
}

static void test_otlp_http_peer_cap_refuses_when_none_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(100, 1, 30000, 30000);
    fx *f = fx_new_cfg(&cfg);
    client *p1 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p1);
    cl_sends(p1, partial_head);
    let_server_run();
    client *p2 = dp_htc_open_from(f->port, "127.0.0.2");
    assert_non_null(p2);
    assert_refused(p2);
    client *x = dp_htc_open_from(f->port, "127.0.0.1"); /* another peer */
    assert_non_null(x);
    post_ok(x);
    cl_sends(p1, "Content-Length: 2\r\n\r\n{}");
    reply r;
    cl_read(p1, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(stats_of(f).connections_refused, 1);
    cl_close(p1);
    cl_close(p2);
    cl_close(x);
    fx_free(f);
}

static void test_otlp_http_header_timeout_shorter_than_idle(void **state)
{
    (void)state;
    dp_http_config cfg = caps_cfg(100, 100, 300, 3000);
    fx *f = fx_new_cfg(&cfg);
    /* A first request's head is due 300 ms after accept, however it
     * trickles in. */
    double t0 = now_ms();
    client *a = cl_open(f->port);
    usleep(150 * 1000);
    for (size_t i = 0; i < strlen(partial_head) && now_ms() - t0 < 2000; i++) {
        if (dp_htc_readable(a->fd, 0) ||
            send(a->fd, partial_head + i, 1, MSG_NOSIGNAL) != 1)
            break; /* the server answered */
        usleep(20 * 1000);
    }
    reply r;
    cl_read(a, &r);
    double dt = now_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(dt >= 250 && dt < 1000);
    reply_free(&r);
    assert_eof(a);
    cl_close(a);
    /* A connection that sends nothing is closed after 300 ms, silently. */
    t0 = now_ms();
    client *b = cl_open(f->port);
    assert_eof(b);
    dt = now_ms() - t0;
    assert_true(dt >= 250 && dt < 1500);
    cl_close(b);
    /* Between requests the idle timeout (3 s) applies; a later request's
     * head is due 300 ms after its first byte. */
    client *c = cl_open(f->port);
    post_ok(c);
    assert_false(dp_htc_readable(c->fd, 700));
    t0 = now_ms();
    cl_sends(c, "POST /v1/tr");
    cl_read(c, &r);
    dt = now_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(dt >= 250 && dt < 1500);
    reply_free(&r);
    cl_close(c);
    dp_http_stats st = stats_of(f);
    assert_int_equal(st.connections_timed_out, 2);
    assert_int_equal(st.connections_closed_idle, 1);
    fx_free(f);
}

/* The flood: a well-behaved client (127.0.0.1) keeps posting and reading
 * /healthz on fresh connections while another peer (127.0.0.2) opens
 * FLOOD idle connections and a third (127.0.0.3) holds SLOW slowloris
 * heads. */
#define FLOOD 2000
#define SLOW_CONNS 150

typedef struct good_client {
    int port;
    atomic_bool stop;
    int rounds, failures;
    double lat[4096]; /* ms per round: POST and GET on a new connection */
    fx *f;
    size_t max_open_seen;
} good_client;

static void *good_client_main(void *arg)
{
    good_client *g = arg;
    for (int i = 0; i < 4096 && !atomic_load(&g->stop); i++) {
        double t0 = now_ms();
        bool ok = false;
        dp_htc *cl = dp_htc_open_from(g->port, "127.0.0.1");
        reply r;
        if (cl &&
            dp_htc_post(cl, "/v1/traces", "application/x-protobuf", NULL,
                        proto_body, sizeof(proto_body)) == 0 &&
            dp_htc_read(cl, &r, false) == 0) {
            ok = r.status == 200;
            reply_free(&r);
            ok = ok && dp_htc_sends(cl, "GET /healthz HTTP/1.1\r\n\r\n") == 0 &&
                 dp_htc_read(cl, &r, false) == 0 && r.status == 200;
            if (r.body)
                reply_free(&r);
        }
        dp_htc_close(cl);
        g->lat[g->rounds++] = now_ms() - t0;
        if (!ok)
            g->failures++;
        dp_http_stats st;
        dp_http_server_stats(g->f->s, &st);
        if (st.connections_open > g->max_open_seen)
            g->max_open_seen = st.connections_open;
        usleep(2000);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_otlp_http_flood_leaves_room_for_others(void **state)
{
    (void)state;
    /* Client and server fds share this process: raise the soft limit and
     * size the flood below it. */
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t total = 512, per_peer = 128;
    size_t room = rl.rlim_cur > total + SLOW_CONNS + 200
                      ? (size_t)rl.rlim_cur - total - SLOW_CONNS - 200
                      : 0;
    size_t n_flood = room < FLOOD ? room : FLOOD;
    assert_true(n_flood > per_peer); /* a limit this low is a broken host */
    dp_http_config cfg = caps_cfg(total, per_peer, 1000, 30000);
    fx *f = fx_new_cfg(&cfg);
    good_client *g = calloc(1, sizeof(*g));
    g->port = f->port;
    g->f = f;
    pthread_t th;
    pthread_create(&th, NULL, good_client_main, g);

    int *flood = malloc(n_flood * sizeof(int));
    size_t opened = 0;
    double t0 = now_ms();
    for (size_t i = 0; i < n_flood; i++) {
        flood[i] = dp_htc_connect_fd_from(f->port, "127.0.0.2");
        if (flood[i] >= 0)
            opened++;
    }
    double flood_ms = now_ms() - t0;
    int slow[SLOW_CONNS];
    for (int i = 0; i < SLOW_CONNS; i++) {
        slow[i] = dp_htc_connect_fd_from(f->port, "127.0.0.3");
        if (slow[i] >= 0)
            send(slow[i], partial_head, 20, MSG_NOSIGNAL);
    }
    /* Every slowloris connection ends within header_timeout (1 s): 408,
     * 503 (over the peer cap) or closed while still fresh. */
    int slow_closed = 0, slow_408 = 0, slow_503 = 0;
    for (int i = 0; i < SLOW_CONNS; i++) {
        if (slow[i] < 0)
            continue;
        double left = 3000 - (now_ms() - t0 - flood_ms);
        if (!dp_htc_readable(slow[i], left > 0 ? (int)left : 0))
            continue;
        char buf[512];
        ssize_t n = recv(slow[i], buf, sizeof(buf) - 1, 0);
        if (n > 0) {
            buf[n] = 0;
            slow_408 += strncmp(buf, "HTTP/1.1 408", 12) == 0;
            slow_503 += strncmp(buf, "HTTP/1.1 503", 12) == 0;
        }
        slow_closed++;
    }
    atomic_store(&g->stop, true);
    pthread_join(th, NULL);

    dp_http_stats st = stats_of(f);
    qsort(g->lat, (size_t)g->rounds, sizeof(double), cmp_double);
    printf("flood: %zu idle connections from one peer in %.0f ms, %d "
           "slowloris heads (%d got 408, %d got 503); well-behaved client: "
           "%d rounds of POST + GET /healthz on a new connection, %d failed, "
           "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; server: %llu "
           "accepted, %llu evicted, %llu closed idle, %llu refused, %llu timed "
           "out, at most "
           "%zu open\n",
           opened, flood_ms, SLOW_CONNS, slow_408, slow_503, g->rounds,
           g->failures, g->lat[g->rounds / 2], g->lat[(g->rounds * 99) / 100],
           g->lat[g->rounds - 1], (unsigned long long)st.connections_accepted,
           (unsigned long long)st.connections_evicted,
           (unsigned long long)st.connections_closed_idle,
           (unsigned long long)st.connections_refused,
           (unsigned long long)st.connections_timed_out, g->max_open_seen);
    assert_int_equal(opened, n_flood);
    assert_int_equal(slow_closed, SLOW_CONNS);
    assert_true(slow_408 >= SLOW_CONNS / 2);
    assert_true(g->rounds >= 10);
    assert_int_equal(g->failures, 0);
    assert_true(g->lat[g->rounds - 1] < 2000); /* loose: ASan, 2 shared cores */
    assert_true(g->max_open_seen <= total);
    /* Flood connections older than header_timeout were closed as idle. */
    assert_true(st.connections_evicted + st.connections_closed_idle >=
                n_flood - per_peer);
    assert_true(st.connections_open <= 2 * per_peer);
    for (size_t i = 0; i < n_flood; i++)
        if (flood[i] >= 0)
            close(flood[i]);
    for (int i = 0; i < SLOW_CONNS; i++)
        if (slow[i] >= 0)
            close(slow[i]);
    free(flood);
    free(g);
    fx_free(f);
}

static void noop_handler(void *user, int format, const uint8_t *body,
                         size_t len, dp_export_result *r)
{
    (void)user, (void)format, (void)body, (void)len, (void)r;
}

static void test_otlp_http_create_rejects_bad_config(void **state)
{
    (void)state;
    dp_http_config cfg;
    dp_http_config_init(&cfg);
    assert_string_equal(cfg.endpoint, "127.0.0.1:4318");
    assert_int_equal(cfg.max_body_bytes, 20 * MIB);
    char err[256];
    static const char *bad[] = {"nonsense", "127.0.0.1:", "127.0.0.1:65536",
                                "127.0.0.1:12x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg.endpoint = bad[i];
        err[0] = 0;
        assert_null(
            dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err)));
        assert_non_null(strstr(err, bad[i]));
    }
    cfg.endpoint = "127.0.0.1:0";
    dp_http_server *a =
        dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err));
    assert_non_null(a);
    char ep[64];
    snprintf(ep, sizeof(ep), "127.0.0.1:%d", dp_http_server_port(a));
    cfg.endpoint = ep; /* the port is taken */
    assert_null(
        dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "address already in use"));
    assert_int_equal(dp_http_server_add_get(a, "healthz", healthz, NULL),
                     DP_EINVAL);
    assert_int_equal(dp_http_server_add_get(a, "/v1/traces", healthz, NULL),
                     DP_EINVAL);
    dp_http_server_destroy(a); /* never started */
    dp_http_server_destroy(NULL);
    cfg.endpoint = "127.0.0.1:0";
    a = dp_http_server_create(&cfg, noop_handler, NULL, err, sizeof(err));
    assert_int_equal(dp_http_server_start(a), 0);
    assert_int_equal(dp_http_server_start(a), DP_EINVAL);
    assert_int_equal(dp_http_server_add_get(a, "/x", healthz, NULL), DP_EINVAL);
    dp_http_server_shutdown(a, 1000);
    dp_http_server_shutdown(a, 1000); /* idempotent */
    assert_int_equal(dp_http_server_start(a), DP_EINVAL);
    dp_http_server_destroy(a);
}

int main(void)
{
    dp_log_set_level(DP_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_http_idle_timeout_bounds_partial_request),
        cmocka_unit_test(test_otlp_http_shutdown_with_idle_connection),
        cmocka_unit_test(test_otlp_http_shutdown_finishes_in_flight),
        cmocka_unit_test(test_otlp_http_total_cap_evicts_oldest_idle),
        cmocka_unit_test(test_otlp_http_total_cap_refuses_when_none_idle),
        cmocka_unit_test(test_otlp_http_peer_cap_evicts_own_oldest_idle),
        cmocka_unit_test(test_otlp_http_peer_cap_refuses_when_none_idle),
        cmocka_unit_test(test_otlp_http_header_timeout_shorter_than_idle),
        cmocka_unit_test(test_otlp_http_flood_leaves_room_for_others),
        cmocka_unit_test(test_otlp_http_create_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
