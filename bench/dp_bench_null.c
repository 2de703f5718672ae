/*
 * dp_bench_null.c - the null OTLP server: the same OTLP/gRPC (gRPC C core)
 * and OTLP/HTTP receivers `dagprof serve` runs (receiver/otlp_grpc.c,
 * receiver/otlp_http.c, same defaults), with a handler that answers OK
 * without decoding or processing anything. Load against it measures what
 * the transport alone allows on this machine: the denominator of the
 * "dagprof / null server" figures.
 *
 *   dp_bench_null [--grpc HOST:PORT] [--http HOST:PORT]
 *
 * Ports 0 pick free ports; once listening it prints one line
 * "grpc_port=N http_port=M" on stdout and serves until SIGTERM or SIGINT,
 * then prints the number of requests it answered on stderr.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "otlp_grpc.h"
#include "otlp_http.h"
#include "processor.h"

static atomic_uint_fast64_t requests, bytes;

/* The handler: result arrives zeroed, i.e. OK with no partial success. */
static void answer_ok(void *user, int format, const uint8_t *body, size_t len,
                      dp_export_result *result)
{
    (void)user;
    (void)format;
    (void)body;
    (void)result;
    atomic_fetch_add(&requests, 1);
    atomic_fetch_add(&bytes, len);
}

int main(int argc, char **argv)
{
    const char *grpc_ep = "127.0.0.1:0", *http_ep = "127.0.0.1:0";
    char err[512];
    sigset_t set;
    int sig;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--grpc"))
            grpc_ep = argv[i + 1];
        else if (!strcmp(argv[i], "--http"))
            http_ep = argv[i + 1];
        else {
            fprintf(stderr, "usage: dp_bench_null [--grpc HOST:PORT] "
                            "[--http HOST:PORT]\n");
            return 2;
        }
    }
    if (argc % 2 == 0) {
        fprintf(stderr, "usage: dp_bench_null [--grpc HOST:PORT] "
                        "[--http HOST:PORT]\n");
        return 2;
    }
    /* Block the stop signals before any thread starts, then wait for one. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    dp_log_set_level(DP_LOG_WARN);

    dp_grpc_config gc;
    dp_grpc_config_init(&gc);
    gc.endpoint = grpc_ep;
    dp_grpc_server *g =
        dp_grpc_server_create(&gc, answer_ok, NULL, err, sizeof(err));
    if (!g || dp_grpc_server_start(g)) {
        fprintf(stderr, "dp_bench_null: grpc: %s\n", g ? "cannot start" : err);
        dp_grpc_server_destroy(g);
        return 1;
    }
    dp_http_config hc;
    dp_http_config_init(&hc);
    hc.endpoint = http_ep;
    dp_http_server *h =
        dp_http_server_create(&hc, answer_ok, NULL, err, sizeof(err));
    if (!h || dp_http_server_start(h)) {
        fprintf(stderr, "dp_bench_null: http: %s\n", h ? "cannot start" : err);
        dp_http_server_destroy(h);
        dp_grpc_server_destroy(g);
        return 1;
    }
    printf("grpc_port=%d http_port=%d\n", dp_grpc_server_port(g),
           dp_http_server_port(h));
    fflush(stdout);
    sigwait(&set, &sig);
    dp_grpc_server_shutdown(g, 1000);
    dp_http_server_shutdown(h, 1000);
    dp_grpc_server_destroy(g);
    dp_http_server_destroy(h);
    fprintf(stderr, "dp_bench_null: %llu requests, %llu bytes answered\n",
            (unsigned long long)atomic_load(&requests),
            (unsigned long long)atomic_load(&bytes));
    return 0;
}
