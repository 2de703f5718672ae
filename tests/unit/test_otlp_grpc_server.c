/*
 * test_otlp_grpc_server.c - the OTLP/gRPC receiver as a server
 * (receiver/otlp_grpc.c) against a real gRPC C core client on 127.0.0.1:
 * concurrent calls, a port already in use and bad endpoints, shutdown
 * (idle, with a call in flight, past its deadline), and on a raw HTTP/2
 * connection the compressed flag without an encoding, the handshake
 * timeout and GOAWAY for idle and old connections; the configuration's
 * defaults. Replies and status codes are in test_otlp_grpc.c; the fixture
 * is otlp_grpc_fixture.h. Every wait is bounded by a call deadline or a
 * counted loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h2_raw_client.h"
#include "log.h"
#include "otlp_grpc_fixture.h"

#define N_CONCURRENT 16

struct client_job {
    struct fixture *f;
    int index;
    size_t sent_len;
    int status;
};

static void *client_thread(void *arg)
{
    struct client_job *job = arg;
    char name[32];
    snprintf(name, sizeof(name), "node-%d", job->index);
    size_t len;
    /* Distinct sizes, so the handler's byte total proves each arrived once. */
    uint8_t *req = make_request(name, 100 + (size_t)job->index * 7, &len);
    dp_gtc_reply r;
    job->status = -1;
    if (dp_gtc_unary(job->f->ch, DP_GTC_EXPORT_METHOD, req, len,
                     CALL_TIMEOUT_MS, &r) == 0)
        job->status = r.status;
    job->sent_len = len;
    dp_gtc_reply_free(&r);
    free(req);
    return NULL;
}

static void test_otlp_grpc_concurrent_calls_all_answered(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 4, GRPC_COMPRESS_NONE);
    f.st.sleep_ms = 50;
    pthread_t th[N_CONCURRENT];
    struct client_job jobs[N_CONCURRENT];
    for (int i = 0; i < N_CONCURRENT; i++) {
        jobs[i].f = &f;
        jobs[i].index = i;
        assert_int_equal(pthread_create(&th[i], NULL, client_thread, &jobs[i]),
                         0);
    }
    size_t total = 0;
    for (int i = 0; i < N_CONCURRENT; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].status, GRPC_STATUS_OK);
        total += jobs[i].sent_len;
    }
    assert_int_equal(f.st.calls, N_CONCURRENT);
    assert_int_equal(f.st.total_len, total);
    /* Four serving threads ran handlers at the same time. */
    assert_true(f.st.peak >= 2);
    assert_true(f.st.peak <= 4);
    fixture_stop(&f);
}

static void test_otlp_grpc_bind_port_in_use_fails(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 1, GRPC_COMPRESS_NONE);
    char endpoint[64], err[256], want[96];
    snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", f.port);
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.endpoint = endpoint;
    /* A second receiver must not share the port through SO_REUSEPORT. */
    dp_grpc_server *second =
        dp_grpc_server_create(&cfg, stub_export, &f.st, err, sizeof(err));
    assert_null(second);
    snprintf(want, sizeof(want), "cannot listen on %s", endpoint);
    assert_non_null(strstr(err, want));

    /* A plain listening socket holds a port too. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", ntohs(sa.sin_port));
    second = dp_grpc_server_create(&cfg, stub_export, &f.st, err, sizeof(err));
    assert_null(second);
    snprintf(want, sizeof(want), "cannot listen on %s", endpoint);
    assert_non_null(strstr(err, want));
    close(fd);

    /* Bad endpoints and arguments. */
    cfg.endpoint = "no-port-here";
    assert_null(
        dp_grpc_server_create(&cfg, stub_export, &f.st, err, sizeof(err)));
    assert_non_null(strstr(err, "not host:port"));
    cfg.endpoint = "127.0.0.1:0";
    assert_null(dp_grpc_server_create(&cfg, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "no export handler"));

    /* The first server still serves. */
    dp_gtc_reply r;
    call_export(&f, "still-here", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_shutdown_idle_is_clean(void **state)
{
    (void)state;
    struct stub st;
    stub_init(&st);
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.endpoint = "127.0.0.1:0";
    char err[256];

    /* Never started. */
    dp_grpc_server *s =
        dp_grpc_server_create(&cfg, stub_export, &st, err, sizeof(err));
    assert_non_null(s);
    assert_true(dp_grpc_server_port(s) > 0);
    dp_grpc_server_destroy(s);

    /* Started, shut down with no calls: returns at once. */
    s = dp_grpc_server_create(&cfg, stub_export, &st, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(dp_grpc_server_start(s), 0);
    int64_t t0 = now_ms();
    dp_grpc_server_shutdown(s, 5000);
    assert_true(now_ms() - t0 < 2000);
    dp_grpc_server_shutdown(s, 5000); /* idempotent */
    assert_int_equal(dp_grpc_server_start(s), DP_EINVAL);
    dp_grpc_server_destroy(s);

    /* Started and destroyed without an explicit shutdown. */
    s = dp_grpc_server_create(&cfg, stub_export, &st, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(dp_grpc_server_start(s), 0);
    dp_grpc_server_destroy(s);

    dp_grpc_server_destroy(NULL);
    dp_grpc_server_shutdown(NULL, 0);
    assert_int_equal(dp_grpc_server_port(NULL), 0);
    assert_int_equal(dp_grpc_server_start(NULL), DP_EINVAL);
    assert_int_equal(st.calls, 0);
    stub_fini(&st);
}

struct inflight {
    struct fixture *f;
    int status;
};

static void *inflight_client(void *arg)
{
    struct inflight *in = arg;
    size_t len;
    uint8_t *req = make_request("slow", 10, &len);
    dp_gtc_reply r;
    in->status = -1;
    if (dp_gtc_unary(in->f->ch, DP_GTC_EXPORT_METHOD, req, len, CALL_TIMEOUT_MS,
                     &r) == 0)
        in->status = r.status;
    dp_gtc_reply_free(&r);
    free(req);
    return NULL;
}

/* Starts one slow call, waits until its handler runs, then shuts down with
 * deadline_ms. Returns the shutdown's duration; *status gets the client's. */
static int64_t shutdown_during_call(int handler_ms, int deadline_ms,
                                    int *status)
{
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.sleep_ms = handler_ms;
    struct inflight in = {&f, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, inflight_client, &in), 0);
    for (int i = 0; i < 1000 && atomic_load(&f.st.entered) == 0; i++)
        sleep_ms(5);
    assert_int_equal(atomic_load(&f.st.entered), 1);

    int64_t t0 = now_ms();
    dp_grpc_server_shutdown(f.srv, deadline_ms);
    int64_t took = now_ms() - t0;
    pthread_join(th, NULL);
    assert_int_equal(f.st.calls, 1); /* the handler always ran to its end */
    *status = in.status;
    fixture_stop(&f);
    return took;
}

static void test_otlp_grpc_shutdown_lets_inflight_call_finish(void **state)
{
    (void)state;
    int status;
    int64_t took = shutdown_during_call(300, 5000, &status);
    assert_int_equal(status, GRPC_STATUS_OK);
    assert_true(took >= 200); /* waited for the handler */
    assert_true(took < 4000); /* but not for the whole deadline */
}

static void test_otlp_grpc_shutdown_cancels_after_deadline(void **state)
{
    (void)state;
    int status;
    int64_t took = shutdown_during_call(600, 50, &status);
    assert_int_not_equal(status, GRPC_STATUS_OK);
    assert_int_not_equal(status, -1); /* the client got a status, no hang */
    assert_true(took >= 400);         /* a running handler is not interrupted */
    assert_true(took < 5000);
}

/* ------------------------------------------------------------------------ */
/* The compressed flag and connection limits, on a raw HTTP/2 connection.    */

/* Sends one Export call with the given flag and grpc-encoding on a new raw
 * connection and returns its grpc-status (-1 when none was read). */
static int raw_export(struct fixture *f, uint8_t flag, const char *encoding,
                      char *message, size_t cap)
{
    size_t len;
    uint8_t *req = make_request("raw", 0, &len);
    dp_h2 *c = dp_h2_connect(f->port);
    assert_non_null(c);
    assert_int_equal(dp_h2_preface(c), 0);
    assert_int_equal(dp_h2_grpc_headers(c, 1, DP_GTC_EXPORT_METHOD, encoding),
                     0);
    assert_int_equal(dp_h2_grpc_message(c, 1, flag, req, len), 0);
    free(req);
    assert_true(dp_h2_pump(c, DP_H2_UNTIL_STREAM_END, CALL_TIMEOUT_MS));
    char v[32];
    int status =
        dp_h2_literal_value(c, "grpc-status", v, sizeof(v)) ? atoi(v) : -1;
    if (message && !dp_h2_literal_value(c, "grpc-message", message, cap))
        message[0] = '\0';
    dp_h2_close(c);
    return status;
}

static void
test_otlp_grpc_compressed_flag_without_encoding_is_internal(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 1, GRPC_COMPRESS_NONE);
    char msg[256];
    /* The raw client itself: a plain message is decoded and answered OK. */
    assert_int_equal(raw_export(&f, 0, NULL, NULL, 0), GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    /* The same bytes flagged compressed, with no grpc-encoding or with
     * identity: a protocol error, never handed to the handler. */
    assert_int_equal(raw_export(&f, 1, NULL, msg, sizeof(msg)),
                     GRPC_STATUS_INTERNAL);
    assert_non_null(strstr(msg, "compressed flag"));
    assert_int_equal(raw_export(&f, 1, "identity", NULL, 0),
                     GRPC_STATUS_INTERNAL);
    assert_int_equal(f.st.calls, 1);
    /* Flag 0 with grpc-encoding gzip is a plain message (allowed). */
    assert_int_equal(raw_export(&f, 0, "gzip", NULL, 0), GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 2);
    fixture_stop(&f);
}

static void
test_otlp_grpc_handshake_timeout_closes_silent_connection(void **state)
{
    (void)state;
    struct fixture f;
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.handshake_timeout_ms = 300;
    fixture_start_cfg(&f, &cfg, GRPC_COMPRESS_NONE);
    /* Connects and sends nothing; then one that stops mid-preface. */
    for (int i = 0; i < 2; i++) {
        double t0 = dp_h2_now_ms();
        dp_h2 *c = dp_h2_connect(f.port);
        assert_non_null(c);
        c->quiet = true; /* the server's SETTINGS go unanswered */
        if (i == 1)
            assert_int_equal(dp_h2_send(c, "PRI * HTTP/2.0\r\n", 16), 0);
        assert_true(dp_h2_pump(c, DP_H2_UNTIL_EOF, 5000));
        double dt = dp_h2_now_ms() - t0;
        assert_true(dt >= 200 && dt < 3000);
        dp_h2_close(c);
    }
    /* A real client still gets through. */
    dp_gtc_reply r;
    call_export(&f, "after", 0, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

/* A connection that did its handshake and then sits without calls. */
static void goaway_after(int idle_ms, int age_ms, double min_ms, double max_ms,
                         uint32_t want_error)
{
    struct fixture f;
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    cfg.max_connection_idle_ms = idle_ms;
    cfg.max_connection_age_ms = age_ms;
    cfg.max_connection_age_grace_ms = 100;
    fixture_start_cfg(&f, &cfg, GRPC_COMPRESS_NONE);
    double t0 = dp_h2_now_ms();
    dp_h2 *c = dp_h2_connect(f.port);
    assert_non_null(c);
    assert_int_equal(dp_h2_preface(c), 0);
    assert_true(dp_h2_pump(c, DP_H2_UNTIL_GOAWAY, 5000));
    double dt = dp_h2_now_ms() - t0;
    assert_true(dt >= min_ms && dt < max_ms);
    assert_int_equal(c->goaway_error, want_error);
    /* With no call open the server then closes the connection. */
    assert_true(dp_h2_pump(c, DP_H2_UNTIL_EOF, 5000));
    dp_h2_close(c);
    fixture_stop(&f);
}

static void test_otlp_grpc_idle_connection_gets_goaway(void **state)
{
    (void)state;
    /* gRPC core 1.51 says "enter idle" with INTERNAL_ERROR (2) and closes
     * at once: no call is open to be hurt. */
    goaway_after(300, 0, 200, 3000, 2);
}

static void test_otlp_grpc_old_connection_gets_goaway(void **state)
{
    (void)state;
    /* "max_age", NO_ERROR: calls in flight get the grace period. Core adds
     * +-10% jitter to the age. */
    goaway_after(0, 400, 300, 3000, 0);
}

static void test_otlp_grpc_config_defaults(void **state)
{
    (void)state;
    dp_grpc_config cfg;
    dp_grpc_config_init(&cfg);
    assert_int_equal(cfg.handshake_timeout_ms, 10000);
    assert_int_equal(cfg.max_connection_idle_ms, 300000);
    assert_int_equal(cfg.max_connection_age_ms, 1800000);
    assert_int_equal(cfg.max_connection_age_grace_ms, 30000);
    assert_int_equal(cfg.keepalive_time_ms, 120000);
    assert_int_equal(cfg.keepalive_timeout_ms, 20000);
    assert_int_equal(cfg.keepalive_min_ping_interval_ms, 10000);
    assert_int_equal(cfg.max_concurrent_streams, 100);
}
int main(void)
{
    dp_log_set_level(DP_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_grpc_concurrent_calls_all_answered),
        cmocka_unit_test(test_otlp_grpc_bind_port_in_use_fails),
        cmocka_unit_test(test_otlp_grpc_shutdown_idle_is_clean),
        cmocka_unit_test(test_otlp_grpc_shutdown_lets_inflight_call_finish),
        cmocka_unit_test(test_otlp_grpc_shutdown_cancels_after_deadline),
        cmocka_unit_test(
            test_otlp_grpc_compressed_flag_without_encoding_is_internal),
        cmocka_unit_test(
            test_otlp_grpc_handshake_timeout_closes_silent_connection),
        cmocka_unit_test(test_otlp_grpc_idle_connection_gets_goaway),
        cmocka_unit_test(test_otlp_grpc_old_connection_gets_goaway),
        cmocka_unit_test(test_otlp_grpc_config_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
