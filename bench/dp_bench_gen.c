/*
 * dp_bench_gen.c - writes synthetic agent runs (gen.h) to files or sends
 * them live.
 *
 *   dp_bench_gen [--spans N] [--batch 512] [--nodes 8] [--llm 2]
 *       [--tools 1] [--attrs 10] [--fanout 4] [--seed 1]
 *       (--proto FILE | --json FILE | --grpc PORT | --http PORT)
 *
 * --proto writes varint-length-delimited ExportTraceServiceRequests, one
 * per batch; --json writes OTLP/JSON lines, one request per line (both are
 * what `dagprof report` reads). --grpc / --http send each batch as one
 * Export request to 127.0.0.1:PORT and stop at the first failure. Whole
 * runs are written: N is rounded up to a multiple of the run size.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dp_wire.h"
#include "gen.h"
#include "grpc_test_client.h"
#include "http_test_client.h"

static void usage(void)
{
    fputs("usage: dp_bench_gen [--spans N] [--batch N] [--nodes N] [--llm N]\n"
          "         [--tools N] [--attrs N] [--fanout N] [--seed N]\n"
          "         (--proto FILE | --json FILE | --grpc PORT | --http PORT)\n",
          stderr);
}

int main(int argc, char **argv)
{
    dp_gen_config cfg;
    uint64_t spans = 10000;
    size_t batch = 512;
    const char *proto = NULL, *json = NULL;
    int grpc_port = 0, http_port = 0;

    dp_gen_config_init(&cfg);
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        uint64_t x = dp_bench_parse_count(v);
        if (!strcmp(a, "--spans"))
            spans = x;
        else if (!strcmp(a, "--batch"))
            batch = (size_t)x;
        else if (!strcmp(a, "--nodes"))
            cfg.nodes = (uint32_t)x;
        else if (!strcmp(a, "--llm"))
            cfg.llm_calls = (uint32_t)x;
        else if (!strcmp(a, "--tools"))
            cfg.tool_calls = (uint32_t)x;
        else if (!strcmp(a, "--attrs"))
            cfg.attrs = (uint32_t)x;
        else if (!strcmp(a, "--fanout"))
            cfg.fanout = (uint32_t)x;
        else if (!strcmp(a, "--seed"))
            cfg.seed = x;
        else if (!strcmp(a, "--proto"))
            proto = v;
        else if (!strcmp(a, "--json"))
            json = v;
        else if (!strcmp(a, "--grpc"))
            grpc_port = atoi(strrchr(v, ':') ? strrchr(v, ':') + 1 : v);
        else if (!strcmp(a, "--http"))
            http_port = atoi(strrchr(v, ':') ? strrchr(v, ':') + 1 : v);
        else {
            usage();
            return 2;
        }
    }
    if (argc % 2 == 0 || !batch || !spans || !cfg.fanout ||
        (!!proto + !!json + !!grpc_port + !!http_port) != 1) {
        usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    uint64_t per_run = dp_gen_spans_per_run(&cfg);
    uint64_t total = (spans + per_run - 1) / per_run * per_run;
    dp_gen *g = dp_gen_create(&cfg);
    FILE *out = NULL;
    grpc_channel *ch = NULL;
    dp_htc *hc = NULL;
    int rc = 0;
    uint64_t bytes = 0, requests = 0;

    if (!g)
        return 1;
    if (proto || json) {
        out = fopen(proto ? proto : json, "wb");
        if (!out) {
            perror(proto ? proto : json);
            return 1;
        }
    } else if (grpc_port) {
        grpc_init();
        ch = dp_gtc_channel(grpc_port, GRPC_COMPRESS_NONE);
    } else {
        hc = dp_htc_open(http_port);
        if (!hc) {
            fprintf(stderr, "dp_bench_gen: cannot connect to port %d\n",
                    http_port);
            return 1;
        }
        int one = 1;
        setsockopt(hc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    uint64_t t0 = dp_bench_now_ns();
    while (dp_gen_spans(g) < total && rc == 0) {
        dp_gbuf b = {0};
        uint64_t left = total - dp_gen_spans(g);
        size_t n = left < batch ? (size_t)left : batch;
        if (json ? dp_gen_batch_json(g, n, &b)
                 : dp_gen_batch_proto(g, n, &b, NULL, NULL)) {
            rc = 1;
            break;
        }
        bytes += b.len;
        requests++;
        if (proto) {
            uint8_t pre[DP_WIRE_VARINT_MAX];
            size_t k = dp_wire_put_varint(pre, b.len);
            if (fwrite(pre, 1, k, out) != k ||
                fwrite(b.data, 1, b.len, out) != b.len)
                rc = 1;
        } else if (json) {
            if (fwrite(b.data, 1, b.len, out) != b.len || fputc('\n', out) < 0)
                rc = 1;
        } else if (ch) {
            dp_gtc_reply r;
            if (dp_gtc_unary(ch, DP_GTC_EXPORT_METHOD, b.data, b.len, 30000,
                             &r) != 0 ||
                r.status != GRPC_STATUS_OK) {
                fprintf(stderr, "dp_bench_gen: grpc status %d: %s\n",
                        (int)r.status, r.details);
                rc = 1;
            }
            dp_gtc_reply_free(&r);
        } else {
            dp_htc_reply r;
            memset(&r, 0, sizeof(r));
            if (dp_htc_post(hc, "/v1/traces", "application/x-protobuf", NULL,
                            b.data, b.len) ||
                dp_htc_read(hc, &r, false) || r.status != 200) {
                fprintf(stderr, "dp_bench_gen: http status %d\n", r.status);
                rc = 1;
            }
            dp_htc_reply_free(&r);
        }
        dp_gbuf_free(&b);
    }
    double secs = (double)(dp_bench_now_ns() - t0) / 1e9;
    fprintf(stderr,
            "dp_bench_gen: %llu spans (%llu runs of %llu) in %llu requests, "
            "%.1f bytes/span, %.2f s\n",
            (unsigned long long)dp_gen_spans(g),
            (unsigned long long)(dp_gen_spans(g) / per_run),
            (unsigned long long)per_run, (unsigned long long)requests,
            dp_gen_spans(g) ? (double)bytes / (double)dp_gen_spans(g) : 0,
            secs);
    if (out && fclose(out))
        rc = 1;
    if (ch) {
        grpc_channel_destroy(ch);
        grpc_shutdown();
    }
    dp_htc_close(hc);
    dp_gen_destroy(g);
    return rc;
}
