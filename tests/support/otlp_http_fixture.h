/*
 * otlp_http_fixture.h - the fixture of the OTLP/HTTP receiver tests
 * (test_otlp_http.c: replies, routing, content types and connection
 * handling; test_otlp_http_limits.c: timers, shutdown, connection caps, the
 * flood and bad configurations).
 *
 * fx_new*() starts a dp_http_server on 127.0.0.1 port 0 with a stub export
 * handler (records the format and bytes it got, answers with a scripted
 * dp_export_result) and a GET /healthz route; the tests talk to it through
 * http_test_client.h with the shorthands below, each of which must succeed.
 * The names are short (stub, fx, client, reply) because only these two
 * files include this header. Static inline: each test is its own
 * executable. Include after <cmocka.h>.
 */
#ifndef DP_TEST_OTLP_HTTP_FIXTURE_H
#define DP_TEST_OTLP_HTTP_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_test_client.h"
#include "log.h"
#include "otlp_http.h"
#include "processor.h"

#define MIB (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Stub handler and fixture.                                                */

typedef struct stub {
    pthread_mutex_t mu;
    int calls;
    int format;
    uint8_t *body;
    size_t len;
    bool result_was_zero; /* every call so far got a zeroed result */
    dp_export_result script;
    bool echo; /* error_message = body, rejected_spans = 1 */
} stub;

static inline void stub_handler(void *user, int format, const uint8_t *body,
                                size_t len, dp_export_result *r)
{
    stub *st = user;
    static const dp_export_result zero;
    pthread_mutex_lock(&st->mu);
    if (memcmp(r, &zero, sizeof(zero)) != 0)
        st->result_was_zero = false;
    st->calls++;
    st->format = format;
    free(st->body);
    st->body = malloc(len + 1);
    memcpy(st->body, body, len);
    st->body[len] = 0;
    st->len = len;
    *r = st->script;
    if (st->echo) {
        snprintf(r->error_message, sizeof(r->error_message), "%.*s", (int)len,
                 (const char *)body);
        r->rejected_spans = 1;
    }
    pthread_mutex_unlock(&st->mu);
}

static inline int stub_calls(stub *st)
{
    pthread_mutex_lock(&st->mu);
    int n = st->calls;
    pthread_mutex_unlock(&st->mu);
    return n;
}

static int healthz_calls;

static inline int healthz(void *user, char **body, size_t *len, const char **ct)
{
    (void)user;
    healthz_calls++;
    *body = strdup("{\"status\":\"ok\"}");
    *len = strlen(*body);
    *ct = "application/json";
    return 200;
}

typedef struct fx {
    dp_http_server *s;
    int port;
    stub st;
} fx;

/* Starts a server with cfg (endpoint and Retry-After filled in here). */
static inline fx *fx_new_cfg(dp_http_config *cfg)
{
    fx *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->st.mu, NULL);
    f->st.result_was_zero = true;
    cfg->endpoint = "127.0.0.1:0";
    cfg->retry_after_s = 3;
    char err[256];
    f->s = dp_http_server_create(cfg, stub_handler, &f->st, err, sizeof(err));
    assert_non_null(f->s);
    assert_int_equal(dp_http_server_add_get(f->s, "/healthz", healthz, NULL),
                     0);
    f->port = dp_http_server_port(f->s);
    assert_true(f->port > 0);
    assert_int_equal(dp_http_server_start(f->s), 0);
    return f;
}

static inline fx *fx_new_max(size_t max_body, int idle_ms, size_t max_conns)
{
    dp_http_config cfg;
    dp_http_config_init(&cfg);
    cfg.max_body_bytes = max_body;
    cfg.idle_timeout_ms = idle_ms;
    cfg.max_connections = max_conns;
    return fx_new_cfg(&cfg);
}

static inline fx *fx_new(size_t max_body, int idle_ms)
{
    return fx_new_max(max_body, idle_ms, 0);
}

static inline void fx_free(fx *f)
{
    dp_http_server_destroy(f->s);
    assert_true(f->st.result_was_zero);
    free(f->st.body);
    pthread_mutex_destroy(&f->st.mu);
    free(f);
}

/* ------------------------------------------------------------------------ */
/* Client shorthands: every step must succeed.                              */

typedef dp_htc client;
typedef dp_htc_reply reply;

#define cl_send(c, d, n) assert_int_equal(dp_htc_send((c), (d), (n)), 0)
#define cl_sends(c, s) assert_int_equal(dp_htc_sends((c), (s)), 0)
#define cl_post(c, path, ct, extra, body, n)                                   \
    assert_int_equal(dp_htc_post((c), (path), (ct), (extra), (body), (n)), 0)
#define cl_read(c, r) assert_int_equal(dp_htc_read((c), (r), false), 0)
#define cl_close dp_htc_close
#define hdr_is dp_htc_header_is
#define reply_free dp_htc_reply_free
#define assert_eof(c) assert_int_equal(dp_htc_wait_eof(c), 0)

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline client *cl_open(int port)
{
    client *cl = dp_htc_open(port);
    assert_non_null(cl);
    return cl;
}

static const uint8_t proto_body[] = {0x0a, 0x00, 0xff, 0x00, 0x12, 0x34};

/* A fresh connection still gets 200 for a protobuf export. */
static inline void assert_serves(fx *f)
{
    client *cl = cl_open(f->port);
    int before = stub_calls(&f->st);
    cl_post(cl, "/v1/traces", "application/x-protobuf", NULL, proto_body,
            sizeof(proto_body));
    reply r;
    cl_read(cl, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(stub_calls(&f->st), before + 1);
    reply_free(&r);
    cl_close(cl);
}

#endif /* DP_TEST_OTLP_HTTP_FIXTURE_H */
