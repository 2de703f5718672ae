/*
 * test_otlp_http_defer.c - receiver/otlp_http_defer.c: replies the
 * handler defers (the write-ahead log's group commit). The handler leaves
 * a ticket; the test decides when tickets are final (as the log's writer
 * would) and wakes the server. Checks: requests on several connections
 * all reach the handler while none is answered (the loop is not blocked);
 * replies go out once their tickets are final, with the handler's result;
 * a pipelined request is parsed only after the deferred reply before it,
 * and replies keep request order; a failed ticket becomes 503 with
 * Retry-After; a connection closed while waiting is forgotten.
 * Every wait is bounded (the client's 5 s socket timeouts, polling loops).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_test_client.h"
#include "otlp_http.h"

typedef struct fx {
    dp_http_server *s;
    int port;
    atomic_int calls;     /* handler calls */
    atomic_ullong done;   /* tickets up to this one are final */
    atomic_ullong fail;   /* this ticket failed (0: none) */
    atomic_ullong next;   /* last ticket given */
    atomic_int saw_defer; /* calls told they may defer */
} fx;

/* Echoes the body into the partial-success message and defers. */
static void handler(void *user, int format, const uint8_t *body, size_t len,
                    dp_export_result *r)
{
    fx *f = user;
    (void)format;
    snprintf(r->error_message, sizeof(r->error_message), "%.*s", (int)len,
             (const char *)body);
    r->rejected_spans = 1;
    if (r->can_defer) {
        atomic_fetch_add(&f->saw_defer, 1);
        r->defer_ticket = atomic_fetch_add(&f->next, 1) + 1;
    }
    atomic_fetch_add(&f->calls, 1);
}

static bool poll_fn(void *user, dp_export_result *r)
{
    fx *f = user;
    if (r->defer_ticket > atomic_load(&f->done))
        return false;
    if (r->defer_ticket == atomic_load(&f->fail)) {
        r->outcome = DP_EXPORT_UNAVAILABLE;
        snprintf(r->error_message, sizeof(r->error_message), "log failed");
    }
    r->defer_ticket = 0;
    return true;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    dp_http_config cfg;
    dp_http_config_init(&cfg);
    cfg.endpoint = "127.0.0.1:0";
    char err[256];
    f->s = dp_http_server_create(&cfg, handler, f, err, sizeof(err));
    assert_non_null(f->s);
    dp_http_server_set_poll(f->s, poll_fn);
    f->port = dp_http_server_port(f->s);
    assert_int_equal(dp_http_server_start(f->s), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dp_http_server_destroy(f->s);
    free(f);
    return 0;
}

/* Waits (5 s at most) until the handler was called n times. */
static void wait_calls(fx *f, int n)
{
    for (int i = 0; i < 5000 && atomic_load(&f->calls) < n; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&f->calls), n);
}

static void release(fx *f, uint64_t upto)
{
    atomic_store(&f->done, upto);
    dp_http_server_wake(f->s);
}

static void post(dp_htc *c, const char *body)
{
    assert_int_equal(dp_htc_post(c, "/v1/traces", "application/json", NULL,
                                 body, strlen(body)),
                     0);
}

static void expect_echo(dp_htc *c, const char *body)
{
    dp_htc_reply r;
    assert_int_equal(dp_htc_read(c, &r, false), 0);
    assert_int_equal(r.status, 200);
    char want[128];
    snprintf(want, sizeof(want),
             "{\"partialSuccess\":{\"rejectedSpans\":\"1\",\"errorMessage\":"
             "\"%s\"}}",
             body);
    assert_string_equal(r.body, want);
    dp_htc_reply_free(&r);
}

static void test_defer_many_connections_one_release(void **state)
{
    fx *f = *state;
    enum { N = 6 };
    dp_htc *c[N];
    char body[N][16];
    for (int i = 0; i < N; i++) {
        c[i] = dp_htc_open(f->port);
        assert_non_null(c[i]);
        snprintf(body[i], sizeof(body[i]), "req%d", i);
        post(c[i], body[i]);
    }
    /* Every request reached the handler although none was answered: the
     * loop thread is not held by a waiting reply. */
    wait_calls(f, N);
    assert_int_equal(atomic_load(&f->saw_defer), N);
    for (int i = 0; i < N; i++)
        assert_false(dp_htc_readable(c[i]->fd, 0));
    release(f, N);
    for (int i = 0; i < N; i++) {
        expect_echo(c[i], body[i]);
        dp_htc_close(c[i]);
    }
}

static void test_defer_pipelined_in_order(void **state)
{
    fx *f = *state;
    dp_htc *c = dp_htc_open(f->port);
    assert_non_null(c);
    assert_int_equal(
        dp_htc_sends(c, "POST /v1/traces HTTP/1.1\r\nContent-Type: "
                        "application/json\r\nContent-Length: 5\r\n\r\nfirst"
                        "POST /v1/traces HTTP/1.1\r\nContent-Type: "
                        "application/json\r\nContent-Length: 6\r\n\r\nsecond"),
        0);
    wait_calls(f, 1);
    /* The second request waits, unparsed, behind the first one's reply. */
    assert_false(dp_htc_readable(c->fd, 0));
    assert_int_equal(atomic_load(&f->calls), 1);
    release(f, 1);
    expect_echo(c, "first");
    wait_calls(f, 2);
    release(f, 2);
    expect_echo(c, "second");
    /* The connection reads on afterwards. */
    post(c, "third");
    wait_calls(f, 3);
    release(f, 3);
    expect_echo(c, "third");
    dp_htc_close(c);
}

static void test_defer_failed_ticket_503(void **state)
{
    fx *f = *state;
    dp_htc *c = dp_htc_open(f->port);
    assert_non_null(c);
    atomic_store(&f->fail, 1);
    post(c, "lost");
    wait_calls(f, 1);
    release(f, 1);
    dp_htc_reply r;
    assert_int_equal(dp_htc_read(c, &r, false), 0);
    assert_int_equal(r.status, 503);
    assert_true(dp_htc_header_is(&r, "Retry-After", "1"));
    assert_non_null(strstr(r.body, "log failed"));
    dp_htc_reply_free(&r);
    dp_htc_close(c);
}

static void test_defer_client_gone_while_waiting(void **state)
{
    fx *f = *state;
    dp_htc *c = dp_htc_open(f->port);
    assert_non_null(c);
    post(c, "gone");
    wait_calls(f, 1);
    dp_htc_close(c); /* its reply, once final, meets a closed socket */
    /* Another client is still served, and the wakeup passes over nothing
     * freed (ASan would say). */
    dp_htc *d = dp_htc_open(f->port);
    assert_non_null(d);
    post(d, "next");
    wait_calls(f, 2);
    release(f, 2);
    expect_echo(d, "next");
    dp_htc_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defer_many_connections_one_release,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_defer_pipelined_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_defer_failed_ticket_503, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_defer_client_gone_while_waiting,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
