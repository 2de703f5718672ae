/*
 * test_webhook.c - unit tests for exporter/webhook.c against a local HTTP
 * listener started by the test on 127.0.0.1 (a thread answering each
 * request with a scripted status and closing): 503 retried then success
 * through the pipeline (body, content type and auth header checked), 400
 * dropped and counted without retry, 429 with Retry-After honoured, a
 * refused connection and a silent server (timeout) as RETRY, bad URLs and
 * headers refused at start-up.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporters.h"

#define MS 1000000ULL

struct listener {
    int fd, port;
    pthread_t thread;
    pthread_mutex_t lock;
    int status[8];
    const char *extra[8]; /* extra response header lines, "" or "X: y\r\n" */
    size_t n_status;
    bool silent; /* read requests, never answer */
    size_t n_req;
    char head[8][2048];
    char body[8][2048];
    uint64_t at_ns[8];
    volatile int stop;
};

/* Reads one request (headers and Content-Length body) from fd. */
static bool read_request(int fd, char *head, size_t head_cap, char *body,
                         size_t body_cap)
{
    char buf[8192];
    size_t len = 0;
    char *end = NULL;
    for (int i = 0; i < 1000 && !end; i++) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return false;
    size_t hl = (size_t)(end - buf) + 4;
    snprintf(head, head_cap, "%.*s", (int)hl, buf);
    const char *cl = strcasestr(head, "Content-Length:");
    size_t want = cl ? (size_t)atol(cl + 15) : 0;
    for (int i = 0; i < 1000 && len - hl < want; i++) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
    }
    snprintf(body, body_cap, "%.*s", (int)(len - hl), buf + hl);
    return true;
}

static void *listener_main(void *arg)
{
    struct listener *l = arg;
    while (!l->stop) {
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(l->fd, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {2, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char head[2048], body[2048];
        if (read_request(c, head, sizeof(head), body, sizeof(body))) {
            pthread_mutex_lock(&l->lock);
            size_t k = l->n_req < 8 ? l->n_req : 7;
            memcpy(l->head[k], head, sizeof(head));
            memcpy(l->body[k], body, sizeof(body));
            l->at_ns[k] = dp_exporters_now_ns();
            int status = k < l->n_status ? l->status[k] : 200;
            const char *extra =
                k < l->n_status && l->extra[k] ? l->extra[k] : "";
            l->n_req++;
            bool silent = l->silent;
            pthread_mutex_unlock(&l->lock);
            if (silent) {
                for (int i = 0; i < 100 && !l->stop; i++)
                    usleep(10000);
            } else {
                char resp[512];
                int n = snprintf(resp, sizeof(resp),
                                 "HTTP/1.1 %d Scripted\r\nContent-Length: 2\r\n"
                                 "Connection: close\r\n%s\r\nok",
                                 status, extra);
                if (send(c, resp, (size_t)n, MSG_NOSIGNAL) != n)
                    fprintf(stderr, "listener: short send\n");
            }
        }
        close(c);
    }
    return NULL;
}

static void listener_start(struct listener *l)
{
    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l->fd, 16), 0);
    socklen_t al = sizeof(a);
    getsockname(l->fd, (struct sockaddr *)&a, &al);
    l->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&l->thread, NULL, listener_main, l), 0);
}

static size_t listener_requests(struct listener *l)
{
    pthread_mutex_lock(&l->lock);
    size_t n = l->n_req;
    pthread_mutex_unlock(&l->lock);
    return n;
}

static void listener_stop(struct listener *l)
{
    l->stop = 1;
    pthread_join(l->thread, NULL);
    close(l->fd);
    pthread_mutex_destroy(&l->lock);
}

static const char *alert_json =
    "{\"kind\":\"alert\",\"rule\":\"costly-run\",\"severity\":\"warning\"}";

static dp_record *alert(void)
{
    dp_record *r = calloc(1, sizeof(*r));
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_ALERT;
    r->json = strdup(alert_json);
    r->json_len = strlen(alert_json);
    r->rule = strdup("costly-run");
    r->dag_id = strdup("code-review-dag");
    return r;
}

static void *webhook(int port, uint64_t timeout_ns)
{
    char url[128], err[256] = "";
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/alerts", port);
    const char *names[] = {"Authorization"}, *values[] = {"Bearer t0k"};
    dp_webhook_config c = {.url = url,
                           .timeout_ns = timeout_ns,
                           .header_names = names,
                           .header_values = values,
                           .n_headers = 1};
    void *w = dp_webhook_create(&c, err, sizeof(err));
    if (!w)
        fail_msg("webhook: %s", err);
    return w;
}

static dp_exporters *pipeline(void *w, uint64_t initial_ms)
{
    dp_exporters *e = dp_exporters_create();
    dp_exporter_policy p;
    dp_exporter_policy_init(&p);
    p.initial_backoff_ns = initial_ms * MS;
    p.jitter = 0;
    assert_int_equal(
        dp_exporters_add(e, &dp_webhook_ops, w, &p, dp_webhook_retry_after), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    dp_record *r = alert();
    assert_int_equal(dp_exporters_submit(e, r), 1);
    dp_record_unref(r);
    return e;
}

static dp_exporter_stats wait_settled(dp_exporters *e)
{
    dp_exporter_stats s;
    for (int i = 0; i < 5000; i++) {
        dp_exporters_stats_get(e, 0, &s);
        if (s.exported + s.dropped >= 1)
            break;
        usleep(1000);
    }
    return s;
}

static void test_webhook_retries_503_then_succeeds(void **state)
{
    (void)state;
    struct listener l;
    listener_start(&l);
    l.status[0] = 503;
    l.status[1] = 200;
    l.n_status = 2;
    dp_exporters *e = pipeline(webhook(l.port, 2000 * MS), 50);
    dp_exporter_stats s = wait_settled(e);
    assert_int_equal(s.exported, 1);
    assert_int_equal(s.retries, 1);
    assert_int_equal(s.dropped, 0);
    assert_int_equal(listener_requests(&l), 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(l.body[i], alert_json);
        assert_non_null(strstr(l.head[i], "POST /alerts HTTP/1.1\r\n"));
        assert_non_null(strstr(l.head[i], "Content-Type: application/json"));
        assert_non_null(strstr(l.head[i], "Authorization: Bearer t0k\r\n"));
    }
    assert_true(l.at_ns[1] - l.at_ns[0] >= 49 * MS);
    dp_exporters_destroy(e);
    listener_stop(&l);
}

static void test_webhook_400_dropped_not_retried(void **state)
{
    (void)state;
    struct listener l;
    listener_start(&l);
    l.status[0] = 400;
    l.n_status = 1;
    dp_exporters *e = pipeline(webhook(l.port, 2000 * MS), 10);
    dp_exporter_stats s = wait_settled(e);
    usleep(200000); /* a retry would come after 10 ms */
    dp_exporters_stats_get(e, 0, &s);
    assert_int_equal(s.exported, 0);
    assert_int_equal(s.dropped_error, 1);
    assert_int_equal(s.dropped, 1);
    assert_int_equal(s.retries, 0);
    assert_int_equal(listener_requests(&l), 1);
    dp_exporters_destroy(e);
    listener_stop(&l);
}

static void test_webhook_429_honours_retry_after(void **state)
{
    (void)state;
    struct listener l;
    listener_start(&l);
    l.status[0] = 429;
    l.extra[0] = "Retry-After: 1\r\n";
    l.status[1] = 204;
    l.n_status = 2;
    dp_exporters *e = pipeline(webhook(l.port, 2000 * MS), 10);
    dp_exporter_stats s = wait_settled(e);
    assert_int_equal(s.exported, 1);
    assert_int_equal(listener_requests(&l), 2);
    uint64_t gap = l.at_ns[1] - l.at_ns[0];
    if (gap < 990 * MS || gap > 3000 * MS)
        fail_msg("retried after %llu ms, want about 1000",
                 (unsigned long long)(gap / MS));
    dp_exporters_destroy(e);
    listener_stop(&l);
}

static void test_webhook_connection_refused_is_retry(void **state)
{
    (void)state;
    /* A port that was free a moment ago: nothing listens on it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    void *w = webhook(ntohs(a.sin_port), 1000 * MS);
    dp_record *r = alert();
    assert_int_equal(dp_webhook_ops.export(w, r), DP_EXPORTER_RETRY);
    assert_int_equal(dp_webhook_retry_after(w), 0);
    dp_record_unref(r);
    dp_webhook_ops.destroy(w);
}

static void test_webhook_timeout_is_retry(void **state)
{
    (void)state;
    struct listener l;
    listener_start(&l);
    l.silent = true;
    void *w = webhook(l.port, 200 * MS);
    dp_record *r = alert();
    uint64_t t0 = dp_exporters_now_ns();
    assert_int_equal(dp_webhook_ops.export(w, r), DP_EXPORTER_RETRY);
    uint64_t took = dp_exporters_now_ns() - t0;
    assert_true(took >= 190 * MS && took < 1500 * MS);
    dp_record_unref(r);
    dp_webhook_ops.destroy(w);
    listener_stop(&l);
}

static void test_webhook_bad_config_refused(void **state)
{
    (void)state;
    char err[256] = "";
    dp_webhook_config c = {.url = "ftp://127.0.0.1/x"};
    assert_null(dp_webhook_create(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "ftp://127.0.0.1/x"));
    const char *names[] = {"Bad Name"}, *values[] = {"v"};
    dp_webhook_config h = {.url = "http://127.0.0.1:1/x",
                           .header_names = names,
                           .header_values = values,
                           .n_headers = 1};
    assert_null(dp_webhook_create(&h, err, sizeof(err)));
    assert_non_null(strstr(err, "Bad Name"));
    assert_int_equal(dp_webhook_ops.kinds, 1u << DP_RECORD_ALERT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_retries_503_then_succeeds),
        cmocka_unit_test(test_webhook_400_dropped_not_retried),
        cmocka_unit_test(test_webhook_429_honours_retry_after),
        cmocka_unit_test(test_webhook_connection_refused_is_retry),
        cmocka_unit_test(test_webhook_timeout_is_retry),
        cmocka_unit_test(test_webhook_bad_config_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
