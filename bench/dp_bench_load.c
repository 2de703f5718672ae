/*
 * dp_bench_load.c - OTLP load client: Export requests of synthetic agent
 * runs (gen.h) over OTLP/gRPC (gRPC C core, tests/support/grpc_test_client.h)
 * or OTLP/HTTP protobuf (keep-alive HTTP/1.1, tests/support/http_test_client.h)
 * from `concurrency` threads, each with one request in flight on its own
 * connection, for a duration or a span count.
 *
 *   dp_bench_load (--grpc PORT | --http PORT) [--concurrency 4]
 *       [--batch 512] [--duration 5 | --spans N] [--warmup 1]
 *       [--pool 32] [--label NAME] [--rate SPANS_PER_S] [--retry 0|1]
 *
 * Each thread resends a pool of pre-encoded batches (whole runs), giving
 * every pass new trace ids (dp_gen_patch_ids), so the server sees new
 * traces all along and nothing is generated while the clock runs. Prints
 * one JSON result line: accepted spans/s (spans the server accepted, i.e.
 * OK minus partial-success rejections, completed after the warm-up) with
 * Export latency p50 / p99 / max in ms, requests and errors (refusals under
 * backpressure included; a thread pauses 2 ms after each). With --rate the
 * threads together offer about that many spans a second (each paces its
 * requests; a refused request counts as offered, and a thread that falls
 * more than a second behind forgets the debt), for soak and memory runs.
 * With --retry 1 a refused request is sent again (after the pause) until
 * accepted, so --spans N delivers N spans, as an OTLP exporter would.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "gen.h"
#include "grpc_test_client.h"
#include "http_test_client.h"

struct shared {
    bool grpc;
    int port;
    size_t batch;
    uint64_t span_limit; /* 0: run for the duration */
    double rate;         /* spans/s offered by all threads; 0: unpaced */
    bool retry;          /* resend a refused request, as an SDK does */
    atomic_bool stop;
    atomic_uint_fast64_t spans_sent;
    /* the pool, encoded once and copied per thread */
    dp_gbuf *pool;
    size_t n_pool;
    size_t **ids;
    size_t *n_ids, *spans_in;
};

struct sample {
    uint64_t done_ns;
    double ms;
    uint32_t accepted;
};

struct worker {
    struct shared *sh;
    size_t index;
    size_t n_threads;
    pthread_t thread;
    struct sample *s;
    size_t n, cap;
    uint64_t errors, rejected, offered;
    char last_error[160];
};

/* rejected_spans of an ExportTraceServiceResponse (0 when absent). */
static int64_t rejected_of(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t tag = 0, v = 0;
        int sh = 0;
        while (p < end && sh < 64) {
            tag |= (uint64_t)(*p & 0x7f) << sh;
            sh += 7;
            if (!(*p++ & 0x80))
                break;
        }
        if ((tag & 7) == 0) {
            sh = 0;
            while (p < end && sh < 64) {
                v |= (uint64_t)(*p & 0x7f) << sh;
                sh += 7;
                if (!(*p++ & 0x80))
                    break;
            }
            if (tag >> 3 == 1)
                return (int64_t)v;
            continue;
        }
        if ((tag & 7) != 2)
            return 0;
        sh = 0;
        while (p < end && sh < 64) {
            v |= (uint64_t)(*p & 0x7f) << sh;
            sh += 7;
            if (!(*p++ & 0x80))
                break;
        }
        if (v > (uint64_t)(end - p))
            return 0;
        if (tag >> 3 == 1) /* partial_success: descend */
            return rejected_of(p, (size_t)v);
        p += v;
    }
    return 0;
}

static void record(struct worker *w, uint64_t t0, uint32_t accepted)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4096;
        struct sample *s = realloc(w->s, cap * sizeof(*s));
        if (!s)
            return;
        w->s = s;
        w->cap = cap;
    }
    uint64_t now = dp_bench_now_ns();
    w->s[w->n++] = (struct sample){now, (double)(now - t0) / 1e6, accepted};
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    dp_gbuf *pool = calloc(sh->n_pool, sizeof(*pool));
    grpc_channel *ch = NULL;
    dp_htc *hc = NULL;
    uint64_t key = 0;
    uint64_t pace_ns = 0;
    double per_thread_rate = 0;

    if (!pool)
        return NULL;
    if (sh->rate > 0)
        per_thread_rate = sh->rate / (double)w->n_threads;
    for (size_t i = 0; i < sh->n_pool; i++) {
        pool[i].data = malloc(sh->pool[i].len);
        pool[i].len = pool[i].cap = sh->pool[i].len;
        if (pool[i].data)
            memcpy(pool[i].data, sh->pool[i].data, sh->pool[i].len);
    }
    if (sh->grpc) {
        ch = dp_gtc_channel(sh->port, GRPC_COMPRESS_NONE);
    } else {
        hc = dp_htc_open(sh->port);
        if (hc) {
            int one = 1;
            setsockopt(hc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
    }
    bool resend = false; /* the batch at i was refused: same ids again */
    for (uint64_t pass = 0; !atomic_load(&sh->stop); pass++) {
        uint64_t next = ((uint64_t)(w->index + 1) << 40) | (pass + 1);
        for (size_t i = 0; i < sh->n_pool && !atomic_load(&sh->stop); i++) {
            dp_gbuf *b = &pool[i];
            if (!b->data)
                continue;
            /* Re-key: from the previous pass's key to this pass's. */
            if (!resend)
                dp_gen_patch_ids(b->data, sh->ids[i], sh->n_ids[i], key ^ next);
            resend = false;
            if (sh->span_limit &&
                atomic_fetch_add(&sh->spans_sent, sh->spans_in[i]) >=
                    sh->span_limit) {
                atomic_store(&sh->stop, true);
                break;
            }
            if (sh->rate > 0) {
                uint64_t now = dp_bench_now_ns();
                if (!pace_ns || now > pace_ns + 1000000000ULL)
                    pace_ns = now;
                if (pace_ns > now) {
                    uint64_t d = pace_ns - now;
                    struct timespec ts = {(time_t)(d / 1000000000ULL),
                                          (long)(d % 1000000000ULL)};
                    nanosleep(&ts, NULL);
                }
                pace_ns +=
                    (uint64_t)((double)sh->spans_in[i] * 1e9 / per_thread_rate);
            }
            w->offered += sh->spans_in[i];
            uint64_t t0 = dp_bench_now_ns();
            int64_t rej = 0;
            bool ok = false;
            if (ch) {
                dp_gtc_reply r;
                if (dp_gtc_unary(ch, DP_GTC_EXPORT_METHOD, b->data, b->len,
                                 30000, &r) == 0 &&
                    r.status == GRPC_STATUS_OK) {
                    ok = true;
                    rej = rejected_of(r.body, r.body_len);
                } else {
                    snprintf(w->last_error, sizeof(w->last_error),
                             "grpc status %d: %.100s", (int)r.status,
                             r.details);
                }
                dp_gtc_reply_free(&r);
            } else if (hc) {
                dp_htc_reply r;
                memset(&r, 0, sizeof(r));
                if (dp_htc_post(hc, "/v1/traces", "application/x-protobuf",
                                NULL, b->data, b->len) == 0 &&
                    dp_htc_read(hc, &r, false) == 0 && r.status == 200) {
                    ok = true;
                    rej = rejected_of((const uint8_t *)r.body, r.body_len);
                } else {
                    snprintf(w->last_error, sizeof(w->last_error),
                             "http status %d", r.status);
                    /* a broken connection: reconnect */
                    if (!r.status) {
                        dp_htc_close(hc);
                        hc = dp_htc_open(sh->port);
                        if (hc) {
                            int one = 1;
                            setsockopt(hc->fd, IPPROTO_TCP, TCP_NODELAY, &one,
                                       sizeof(one));
                        }
                    }
                }
                dp_htc_reply_free(&r);
            }
            if (ok) {
                uint64_t acc = rej < 0 || (uint64_t)rej > sh->spans_in[i]
                                   ? 0
                                   : sh->spans_in[i] - (uint64_t)rej;
                w->rejected += sh->spans_in[i] - acc;
                record(w, t0, (uint32_t)acc);
            } else {
                /* Mostly UNAVAILABLE / 503 (the server's queues are full):
                 * back off briefly instead of spinning on retries. */
                struct timespec pause = {0, 2000000};
                w->errors++;
                if (!hc && !ch)
                    break;
                nanosleep(&pause, NULL);
                if (sh->retry) {
                    /* Resend the same batch; it was not accepted. */
                    if (sh->span_limit)
                        atomic_fetch_sub(&sh->spans_sent, sh->spans_in[i]);
                    resend = true;
                    i--; /* wraps at 0; the loop's i++ brings it back */
                }
            }
        }
        key = next;
        if (!ch && !hc)
            break;
    }
    if (ch)
        grpc_channel_destroy(ch);
    dp_htc_close(hc);
    for (size_t i = 0; i < sh->n_pool; i++)
        free(pool[i].data);
    free(pool);
    return NULL;
}

static void usage(void)
{
    fputs("usage: dp_bench_load (--grpc PORT | --http PORT) [--concurrency N]\n"
          "         [--batch N] [--duration S | --spans N] [--warmup S]\n"
          "         [--pool N] [--label NAME] [--rate SPANS_PER_S]\n"
          "         [--retry 0|1]\n",
          stderr);
}

int main(int argc, char **argv)
{
    struct shared sh;
    size_t conc = 4, pool_n = 32;
    double duration = 5, warmup = 1;
    const char *label = NULL;
    int rc = 0;

    memset(&sh, 0, sizeof(sh));
    sh.batch = 512;
    sh.port = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--grpc") || !strcmp(a, "--http")) {
            const char *colon = strrchr(v, ':');
            sh.grpc = a[2] == 'g';
            sh.port = atoi(colon ? colon + 1 : v);
        } else if (!strcmp(a, "--concurrency")) {
            conc = (size_t)dp_bench_parse_count(v);
        } else if (!strcmp(a, "--batch")) {
            sh.batch = (size_t)dp_bench_parse_count(v);
        } else if (!strcmp(a, "--duration")) {
            duration = atof(v);
        } else if (!strcmp(a, "--spans")) {
            sh.span_limit = dp_bench_parse_count(v);
        } else if (!strcmp(a, "--warmup")) {
            warmup = atof(v);
        } else if (!strcmp(a, "--pool")) {
            pool_n = (size_t)dp_bench_parse_count(v);
        } else if (!strcmp(a, "--label")) {
            label = v;
        } else if (!strcmp(a, "--rate")) {
            sh.rate = atof(v);
        } else if (!strcmp(a, "--retry")) {
            sh.retry = atoi(v) != 0;
        } else {
            usage();
            return 2;
        }
    }
    if (argc % 2 == 0 || sh.port <= 0 || !conc || !sh.batch || !pool_n ||
        duration <= 0) {
        usage();
        return 2;
    }
    if (sh.span_limit)
        warmup = 0;
    if (warmup >= duration)
        warmup = 0;
    signal(SIGPIPE, SIG_IGN);

    /* The pool: whole runs cut into batches. */
    dp_gen_config gc;
    dp_gen_config_init(&gc);
    uint64_t per_run = dp_gen_spans_per_run(&gc);
    uint64_t total = (pool_n * sh.batch + per_run - 1) / per_run * per_run;
    dp_gen *g = dp_gen_create(&gc);
    sh.n_pool = (size_t)((total + sh.batch - 1) / sh.batch);
    sh.pool = calloc(sh.n_pool, sizeof(*sh.pool));
    sh.ids = calloc(sh.n_pool, sizeof(*sh.ids));
    sh.n_ids = calloc(sh.n_pool, sizeof(*sh.n_ids));
    sh.spans_in = calloc(sh.n_pool, sizeof(*sh.spans_in));
    if (!g || !sh.pool || !sh.ids || !sh.n_ids || !sh.spans_in)
        return 1;
    for (size_t i = 0; i < sh.n_pool; i++) {
        uint64_t left = total - dp_gen_spans(g);
        sh.spans_in[i] = left < sh.batch ? (size_t)left : sh.batch;
        if (dp_gen_batch_proto(g, sh.spans_in[i], &sh.pool[i], &sh.ids[i],
                               &sh.n_ids[i]))
            return 1;
    }
    dp_gen_destroy(g);

    if (sh.grpc)
        grpc_init();
    struct worker *w = calloc(conc, sizeof(*w));
    if (!w)
        return 1;
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; i < conc; i++) {
        w[i].sh = &sh;
        w[i].index = i;
        w[i].n_threads = conc;
        pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
    }
    if (!sh.span_limit) {
        struct timespec ts = {
            (time_t)duration,
            (long)((duration - (double)(time_t)duration) * 1e9)};
        nanosleep(&ts, NULL);
        atomic_store(&sh.stop, true);
    }
    for (size_t i = 0; i < conc; i++)
        pthread_join(w[i].thread, NULL);
    uint64_t t_end =
        sh.span_limit ? dp_bench_now_ns() : t0 + (uint64_t)(duration * 1e9);
    uint64_t from = t0 + (uint64_t)(warmup * 1e9);

    size_t n = 0;
    for (size_t i = 0; i < conc; i++)
        n += w[i].n;
    double *lat = malloc((n ? n : 1) * sizeof(*lat));
    uint64_t spans = 0, requests = 0, errors = 0, rejected = 0, offered = 0;
    uint64_t accepted_all = 0; /* warm-up included: every span accepted */
    size_t k = 0;
    for (size_t i = 0; i < conc; i++) {
        errors += w[i].errors;
        rejected += w[i].rejected;
        offered += w[i].offered;
        for (size_t j = 0; j < w[i].n; j++)
            accepted_all += w[i].s[j].accepted;
        for (size_t j = 0; j < w[i].n; j++) {
            const struct sample *s = &w[i].s[j];
            if (s->done_ns < from || s->done_ns > t_end)
                continue;
            spans += s->accepted;
            requests++;
            if (lat)
                lat[k++] = s->ms;
        }
        if (w[i].errors && w[i].last_error[0])
            fprintf(stderr,
                    "dp_bench_load: thread %zu: %llu errors, last: %s\n", i,
                    (unsigned long long)w[i].errors, w[i].last_error);
    }
    double secs = (double)(t_end - from) / 1e9;
    char extra[640], fig[64];
    snprintf(extra, sizeof(extra),
             "\"protocol\":\"%s\",\"concurrency\":%zu,\"batch\":%zu,"
             "\"seconds\":%.2f,\"requests\":%llu,\"errors\":%llu,"
             "\"rejected_spans\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
             "\"max_ms\":%.3f,\"offered_spans\":%llu,\"rate\":%.0f,"
             "\"accepted_spans\":%llu",
             sh.grpc ? "grpc" : "http", conc, sh.batch, secs,
             (unsigned long long)requests, (unsigned long long)errors,
             (unsigned long long)rejected, dp_bench_percentile(lat, k, 50),
             dp_bench_percentile(lat, k, 99), dp_bench_percentile(lat, k, 100),
             (unsigned long long)offered, sh.rate,
             (unsigned long long)accepted_all);
    snprintf(fig, sizeof(fig), "%s", label ? label : sh.grpc ? "grpc" : "http");
    dp_bench_result(stdout, fig, secs > 0 ? (double)spans / secs : 0, "spans/s",
                    extra);
    if (!requests)
        rc = 1;
    free(lat);
    for (size_t i = 0; i < conc; i++)
        free(w[i].s);
    free(w);
    for (size_t i = 0; i < sh.n_pool; i++) {
        dp_gbuf_free(&sh.pool[i]);
        free(sh.ids[i]);
    }
    free(sh.pool);
    free(sh.ids);
    free(sh.n_ids);
    free(sh.spans_in);
    if (sh.grpc)
        grpc_shutdown();
    return rc;
}
