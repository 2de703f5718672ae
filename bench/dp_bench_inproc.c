/*
 * dp_bench_inproc.c - the in-process benchmarks of bench/run: no sockets,
 * one JSON result line per figure on stdout (common.h), progress on stderr.
 *
 * Scenarios (all on synthetic agent runs from gen.h, generated before any
 * clock starts):
 *   decode    protobuf decode + process + finalize on one thread, with the
 *             one-pass decoder (otlp_proto.c) and with the reference
 *             (tests/reference/otlp_proto_ref.c); protobuf-c unpack +
 * free_unpacked alone on the same bytes (the baseline); the wire decoder alone;
 * the same pipeline from OTLP/JSON input, with the single-pass scanner
 * (otlp_json.c) and with jansson (tests/reference/otlp_json_ref.c). memory RSS
 * growth per span held by a processor (no finalization), and the attribute
 * bytes it keeps per span. latency   dp_pipeline (the hand-off `dagprof serve`
 * uses): time from a trace's last span handed over + grace to its profile, p50,
 *             p99 and max.
 *   size      finalize + profile of one trace of 1k, 10k, 100k spans.
 *   shards    dp_pipeline throughput with 2 shards and with 1 (two export
 *             threads feeding it), until every profile is out.
 * Throughputs and times are the best of --reps passes after a warm-up (on
 * a shared machine the least disturbed pass); latencies are percentiles.
 * Spans are added with a simulated clock so traces finalize `grace` after
 * their root, as in `dagprof serve`; every profile is built and freed.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "gen.h"
#include "log.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_json.h"
#include "otlp_proto.h"
#include "otlp_ref.h"
#include "pipeline.h"
#include "pricing.h"
#include "processor.h"

struct opts {
    uint64_t spans, json_spans, mem_spans, shard_spans;
    size_t batch, reps, latency_traces;
    uint64_t sizes[8];
    size_t n_sizes;
    const char *only;
    const char *profile; /* run one decoder pass only, for profilers */
    dp_gen_config gen;
};

struct batches {
    dp_gbuf *b;
    size_t n;
    uint64_t spans, runs;
};

static void batches_free(struct batches *bs)
{
    for (size_t i = 0; i < bs->n; i++)
        dp_gbuf_free(&bs->b[i]);
    free(bs->b);
    memset(bs, 0, sizeof(*bs));
}

/* Whole runs, cut into batches of `batch` spans (the last may be short). */
static int make_batches(const dp_gen_config *cfg, uint64_t spans, size_t batch,
                        bool json, struct batches *bs)
{
    uint64_t per_run = dp_gen_spans_per_run(cfg);
    uint64_t runs = (spans + per_run - 1) / per_run;
    dp_gen *g = dp_gen_create(cfg);

    memset(bs, 0, sizeof(*bs));
    if (!g)
        return -1;
    bs->spans = runs * per_run;
    bs->runs = runs;
    bs->n = (size_t)((bs->spans + batch - 1) / batch);
    bs->b = calloc(bs->n, sizeof(*bs->b));
    if (!bs->b) {
        dp_gen_destroy(g);
        return -1;
    }
    for (size_t i = 0; i < bs->n; i++) {
        uint64_t left = bs->spans - dp_gen_spans(g);
        size_t n = left < batch ? (size_t)left : batch;
        int rc = json ? dp_gen_batch_json(g, n, &bs->b[i])
                      : dp_gen_batch_proto(g, n, &bs->b[i], NULL, NULL);
        if (rc) {
            dp_gen_destroy(g);
            return -1;
        }
    }
    dp_gen_destroy(g);
    return 0;
}

static uint64_t batches_bytes(const struct batches *bs)
{
    uint64_t n = 0;
    for (size_t i = 0; i < bs->n; i++)
        n += bs->b[i].len;
    return n;
}

/* ---- decode + process + finalize ---------------------------------------- */

enum { D_WIRE, D_REF, D_JSON, D_WIRE_ONLY, D_UNPACK, D_JSON_SCAN };

struct feed {
    dp_processor *p;
    uint64_t now, profiles, sink_errors, spans;
};

static int sink_add(void *user, const dp_span_in *s)
{
    struct feed *f = user;
    int rc = dp_processor_add_span(f->p, s, f->now);
    if (rc && rc != DP_ELATE)
        f->sink_errors++;
    return rc;
}

static int sink_count(void *user, const dp_span_in *s)
{
    struct feed *f = user;
    f->spans += s->n_attrs + 1;
    return 0;
}

static void on_profile(dp_profile *prof, void *user)
{
    struct feed *f = user;
    f->profiles++;
    dp_profile_free(prof);
}

static dp_processor *make_processor(struct feed *f, const dp_pricing *pricing,
                                    uint64_t grace_ns)
{
    dp_processor_config pc;
    dp_processor_config_init(&pc);
    pc.grace_ns = grace_ns;
    pc.pricing = pricing;
    return dp_processor_create(&pc, on_profile, f);
}

/* One pass over bs with decoder `d`; returns seconds. */
static double run_once(int d, const struct batches *bs,
                       const dp_pricing *pricing, struct feed *f)
{
    dp_decode_ctx ctx;
    uint64_t t0, t1;

    memset(f, 0, sizeof(*f));
    if (d != D_UNPACK && d != D_WIRE_ONLY) {
        f->p = make_processor(f, pricing, 20000000ULL);
        if (!f->p)
            return -1;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = d == D_WIRE_ONLY ? sink_count : sink_add;
    ctx.sink_user = f;
    t0 = dp_bench_now_ns();
    for (size_t i = 0; i < bs->n; i++) {
        const dp_gbuf *b = &bs->b[i];
        f->now = (uint64_t)i * 10000000ULL; /* 10 ms per batch */
        switch (d) {
        case D_WIRE:
        case D_WIRE_ONLY:
            dp_otlp_wire_decode(&ctx, b->data, b->len);
            break;
        case D_REF:
            dp_ref_otlp_proto_decode(&ctx, b->data, b->len);
            break;
        case D_JSON:
            dp_ref_otlp_json_decode(&ctx, (const char *)b->data, b->len);
            break;
        case D_JSON_SCAN:
            dp_otlp_json_scan(&ctx, (const char *)b->data, b->len);
            break;
        default: {
            Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
                *req =
                    opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
                        NULL, b->len, b->data);
            if (req)
                f->spans += req->n_resource_spans;
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
                req, NULL);
            break;
        }
        }
        if (f->p)
            dp_processor_tick(f->p, f->now);
    }
    if (f->p)
        dp_processor_flush(f->p, DP_INCOMPLETE_ROOT_MISSING);
    t1 = dp_bench_now_ns();
    if (f->p) {
        dp_processor_stats st;
        dp_processor_stats_get(f->p, &st);
        if (st.spans_received != bs->spans || f->profiles != bs->runs ||
            f->sink_errors)
            fprintf(stderr,
                    "inproc: warning: %llu of %llu spans, %llu of %llu "
                    "profiles, %llu errors\n",
                    (unsigned long long)st.spans_received,
                    (unsigned long long)bs->spans,
                    (unsigned long long)f->profiles,
                    (unsigned long long)bs->runs,
                    (unsigned long long)f->sink_errors);
        dp_processor_destroy(f->p);
    }
    if (d != D_UNPACK)
        if (ctx.spans_accepted != bs->spans)
            fprintf(stderr, "inproc: warning: decoder accepted %llu of %llu\n",
                    (unsigned long long)ctx.spans_accepted,
                    (unsigned long long)bs->spans);
    return (double)(t1 - t0) / 1e9;
}

/* Best spans/s over reps passes (after a warm-up pass): on a shared
 * machine the best pass is the one least disturbed by other work. */
static double rate(int d, const struct batches *bs, const dp_pricing *pricing,
                   size_t reps)
{
    double best = 0;
    struct feed f;
    run_once(d, bs, pricing, &f); /* warm-up */
    for (size_t i = 0; i < reps; i++) {
        double s = run_once(d, bs, pricing, &f);
        double r = s > 0 ? (double)bs->spans / s : 0;
        if (r > best)
            best = r;
    }
    return best;
}

static void bench_decode(const struct opts *o, const dp_pricing *pricing)
{
    struct batches pb, js;
    char extra[256];

    fprintf(stderr, "inproc: generating %llu spans (protobuf)...\n",
            (unsigned long long)o->spans);
    if (make_batches(&o->gen, o->spans, o->batch, false, &pb)) {
        fprintf(stderr, "inproc: out of memory\n");
        return;
    }
    double bps = (double)batches_bytes(&pb) / (double)pb.spans;
    snprintf(extra, sizeof(extra),
             "\"spans\":%llu,\"batch\":%zu,\"bytes_per_span\":%.1f",
             (unsigned long long)pb.spans, o->batch, bps);
    double unpack = rate(D_UNPACK, &pb, pricing, o->reps);
    dp_bench_result(stdout, "protobufc_unpack_sps", unpack, "spans/s", extra);
    double wire_only = rate(D_WIRE_ONLY, &pb, pricing, o->reps);
    dp_bench_result(stdout, "wire_decode_only_sps", wire_only, "spans/s",
                    extra);
    double full = rate(D_WIRE, &pb, pricing, o->reps);
    dp_bench_result(stdout, "inproc_proto_sps", full, "spans/s", extra);
    double ref = rate(D_REF, &pb, pricing, o->reps);
    dp_bench_result(stdout, "inproc_proto_ref_sps", ref, "spans/s", extra);
    batches_free(&pb);

    fprintf(stderr, "inproc: generating %llu spans (JSON)...\n",
            (unsigned long long)o->json_spans);
    if (make_batches(&o->gen, o->json_spans, o->batch, true, &js)) {
        fprintf(stderr, "inproc: out of memory\n");
        return;
    }
    snprintf(extra, sizeof(extra),
             "\"spans\":%llu,\"batch\":%zu,\"bytes_per_span\":%.1f",
             (unsigned long long)js.spans, o->batch,
             (double)batches_bytes(&js) / (double)js.spans);
    /* The single-pass scanner is what `dagprof serve` decodes JSON with;
     * jansson (dp_ref_otlp_json_decode) is its reference. */
    dp_bench_result(stdout, "inproc_json_sps",
                    rate(D_JSON_SCAN, &js, pricing, o->reps), "spans/s", extra);
    dp_bench_result(stdout, "inproc_json_ref_sps",
                    rate(D_JSON, &js, pricing, o->reps), "spans/s", extra);
    batches_free(&js);
}

/* ---- memory per buffered span ---------------------------------------------
 */

static void bench_memory(const struct opts *o, const dp_pricing *pricing)
{
    struct batches pb;
    struct feed f;
    dp_decode_ctx ctx;
    dp_processor_stats st;
    char extra[256];

    if (make_batches(&o->gen, o->mem_spans, o->batch, false, &pb))
        return;
    memset(&f, 0, sizeof(f));
    f.p = make_processor(&f, pricing, UINT64_MAX / 4);
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = sink_add;
    ctx.sink_user = &f;
    /* Warm the decoder's scratch sizes so they are not counted. */
    uint64_t rss0 = dp_bench_rss_bytes();
    for (size_t i = 0; i < pb.n; i++)
        dp_otlp_wire_decode(&ctx, pb.b[i].data, pb.b[i].len);
    uint64_t rss1 = dp_bench_rss_bytes();
    dp_processor_stats_get(f.p, &st);
    double per_span = st.spans_received
                          ? (double)(rss1 - rss0) / (double)st.spans_received
                          : 0;
    double kept = dp_gen_kept_attr_bytes_per_span(&o->gen);
    snprintf(extra, sizeof(extra),
             "\"spans\":%llu,\"rss_growth_per_span\":%.1f,"
             "\"attr_bytes_kept_per_span\":%.1f",
             (unsigned long long)st.spans_received, per_span, kept);
    dp_bench_result(stdout, "memory_per_span_bytes", per_span - kept, "bytes",
                    extra);
    dp_processor_destroy(f.p);
    batches_free(&pb);
}

/* ---- profile latency after grace (pipeline) -------------------------------
 */

struct lat {
    pthread_mutex_t lock;
    uint64_t orig_lo;  /* bytes 8..15 of run 0's trace id, unpatched */
    uint64_t *sent_ns; /* per trace */
    double *lat_ms;
    size_t n, got;
    uint64_t grace_ns;
};

static void lat_sink(dp_profile *prof, void *user)
{
    struct lat *l = user;
    uint64_t now = dp_bench_now_ns(), lo;
    memcpy(&lo, prof->trace_id + 8, 8);
    uint64_t key = lo ^ l->orig_lo;
    pthread_mutex_lock(&l->lock);
    if (key >= 1 && key <= l->n) {
        uint64_t due = l->sent_ns[key - 1] + l->grace_ns;
        l->lat_ms[l->got++] = now > due ? (double)(now - due) / 1e6 : 0;
    }
    pthread_mutex_unlock(&l->lock);
    dp_profile_free(prof);
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL),
                          (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

static void bench_latency(const struct opts *o, const dp_pricing *pricing)
{
    dp_gen_config gc = o->gen;
    dp_gen *g = dp_gen_create(&gc);
    dp_gbuf run = {0};
    size_t *ids = NULL, n_ids = 0;
    struct lat l;
    char extra[256];

    memset(&l, 0, sizeof(l));
    if (!g ||
        dp_gen_batch_proto(g, dp_gen_spans_per_run(&gc), &run, &ids, &n_ids)) {
        dp_gen_destroy(g);
        return;
    }
    dp_gen_destroy(g);
    memcpy(&l.orig_lo, run.data + ids[0] + 8, 8);
    l.n = o->latency_traces;
    l.grace_ns = 100000000ULL; /* 100 ms */
    l.sent_ns = calloc(l.n, sizeof(*l.sent_ns));
    l.lat_ms = calloc(l.n, sizeof(*l.lat_ms));
    pthread_mutex_init(&l.lock, NULL);

    dp_pipeline_config pc;
    memset(&pc, 0, sizeof(pc));
    dp_processor_config_init(&pc.processor);
    pc.processor.grace_ns = l.grace_ns;
    pc.processor.pricing = pricing;
    pc.shards = 2;
    pc.queue_spans = 1000000;
    dp_pipeline *p = dp_pipeline_create(&pc, lat_sink, &l);
    if (!p || dp_pipeline_start(p) || !l.sent_ns || !l.lat_ms)
        goto out;
    uint64_t key = 0;
    for (size_t i = 0; i < l.n; i++) {
        dp_export_result res;
        dp_gen_patch_ids(run.data, ids, n_ids, key ^ (i + 1));
        key = i + 1;
        memset(&res, 0, sizeof(res));
        l.sent_ns[i] = dp_bench_now_ns();
        dp_pipeline_export(p, DP_PAYLOAD_PROTO, run.data, run.len, &res);
        sleep_ns(1000000ULL + (uint64_t)(i % 7) * 113000ULL);
    }
    /* Every profile is due 100 ms after its trace; allow 5 s. */
    for (int w = 0; w < 500; w++) {
        pthread_mutex_lock(&l.lock);
        size_t got = l.got;
        pthread_mutex_unlock(&l.lock);
        if (got >= l.n)
            break;
        sleep_ns(10000000ULL);
    }
    dp_pipeline_shutdown(p);
    snprintf(extra, sizeof(extra),
             "\"traces\":%zu,\"profiles\":%zu,\"grace_ms\":100,"
             "\"p50_ms\":%.3f,\"max_ms\":%.3f",
             l.n, l.got, dp_bench_percentile(l.lat_ms, l.got, 50),
             dp_bench_percentile(l.lat_ms, l.got, 100));
    dp_bench_result(stdout, "grace_latency_p99_ms",
                    dp_bench_percentile(l.lat_ms, l.got, 99), "ms", extra);
out:
    dp_pipeline_destroy(p);
    pthread_mutex_destroy(&l.lock);
    free(l.sent_ns);
    free(l.lat_ms);
    free(ids);
    dp_gbuf_free(&run);
}

/* ---- one big trace ----------------------------------------------------------
 */

static void bench_sizes(const struct opts *o, const dp_pricing *pricing)
{
    double per_span[8] = {0};
    for (size_t s = 0; s < o->n_sizes; s++) {
        /* 1 + nodes * 3 spans: an LLM and a tool call per node. */
        dp_gen_config gc = o->gen;
        gc.llm_calls = 1;
        gc.tool_calls = 1;
        gc.nodes = (uint32_t)((o->sizes[s] - 1) / 3);
        struct batches pb;
        double ms[32] = {0};
        size_t reps = o->reps > 32 ? 32 : o->reps;
        uint64_t spans = 0;
        if (make_batches(&gc, dp_gen_spans_per_run(&gc), o->batch, false, &pb))
            return;
        for (size_t r = 0; r < reps; r++) {
            struct feed f;
            dp_decode_ctx ctx;
            memset(&f, 0, sizeof(f));
            f.p = make_processor(&f, pricing, 20000000ULL);
            memset(&ctx, 0, sizeof(ctx));
            ctx.sink = sink_add;
            ctx.sink_user = &f;
            for (size_t i = 0; i < pb.n; i++)
                dp_otlp_wire_decode(&ctx, pb.b[i].data, pb.b[i].len);
            dp_processor_stats st;
            dp_processor_stats_get(f.p, &st);
            spans = st.spans_received;
            uint64_t t0 = dp_bench_now_ns();
            dp_processor_flush(f.p, DP_INCOMPLETE_ROOT_MISSING);
            ms[r] = (double)(dp_bench_now_ns() - t0) / 1e6;
            if (f.profiles != 1)
                fprintf(stderr, "inproc: warning: %llu profiles\n",
                        (unsigned long long)f.profiles);
            dp_processor_destroy(f.p);
        }
        double med = ms[0]; /* the best (lowest) of reps */
        for (size_t r = 1; r < reps; r++)
            if (ms[r] < med)
                med = ms[r];
        char fig[64], extra[160];
        per_span[s] = spans ? med * 1e6 / (double)spans : 0;
        snprintf(fig, sizeof(fig), "finalize_%llu_ms",
                 (unsigned long long)o->sizes[s]);
        snprintf(extra, sizeof(extra), "\"spans\":%llu,\"ns_per_span\":%.1f",
                 (unsigned long long)spans, per_span[s]);
        dp_bench_result(stdout, fig, med, "ms", extra);
        batches_free(&pb);
    }
    if (o->n_sizes >= 2 && per_span[0] > 0) {
        char extra[128];
        snprintf(extra, sizeof(extra), "\"small\":%llu,\"large\":%llu",
                 (unsigned long long)o->sizes[0],
                 (unsigned long long)o->sizes[o->n_sizes - 1]);
        dp_bench_result(stdout, "finalize_linearity",
                        per_span[o->n_sizes - 1] / per_span[0],
                        "x per-span cost", extra);
    }
}

/* ---- shards -----------------------------------------------------------------
 */

struct feeder {
    dp_pipeline *p;
    const struct batches *bs;
    size_t first, step;
    uint64_t refused;
};

static void *feed_main(void *arg)
{
    struct feeder *fd = arg;
    for (size_t i = fd->first; i < fd->bs->n; i += fd->step) {
        for (int tries = 0; tries < 100000; tries++) {
            dp_export_result res;
            memset(&res, 0, sizeof(res));
            dp_pipeline_export(fd->p, DP_PAYLOAD_PROTO, fd->bs->b[i].data,
                               fd->bs->b[i].len, &res);
            if (res.outcome != DP_EXPORT_UNAVAILABLE)
                break;
            fd->refused++;
            sleep_ns(100000);
        }
    }
    return NULL;
}

static void count_profile(dp_profile *prof, void *user)
{
    (void)user;
    dp_profile_free(prof);
}

static double pipeline_rate(const struct batches *bs, size_t shards,
                            const dp_pricing *pricing)
{
    dp_pipeline_config pc;
    memset(&pc, 0, sizeof(pc));
    dp_processor_config_init(&pc.processor);
    pc.processor.grace_ns = 1000000ULL; /* 1 ms: finalize as they complete */
    pc.processor.pricing = pricing;
    pc.shards = shards;
    pc.queue_spans = 1000000;
    dp_pipeline *p = dp_pipeline_create(&pc, count_profile, NULL);
    pthread_t th[2];
    struct feeder fd[2];
    double secs = -1;

    if (!p || dp_pipeline_start(p))
        goto out;
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; i < 2; i++) {
        fd[i] = (struct feeder){p, bs, i, 2, 0};
        pthread_create(&th[i], NULL, feed_main, &fd[i]);
    }
    for (size_t i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int w = 0; w < 60000; w++) {
        dp_pipeline_stats st;
        dp_pipeline_stats_get(p, &st);
        if (st.profiles_emitted >= bs->runs)
            break;
        sleep_ns(200000);
    }
    secs = (double)(dp_bench_now_ns() - t0) / 1e9;
out:
    dp_pipeline_destroy(p);
    return secs > 0 ? (double)bs->spans / secs : 0;
}

static void bench_shards(const struct opts *o, const dp_pricing *pricing)
{
    struct batches pb;
    double one[32], two[32];
    size_t reps = o->reps > 32 ? 32 : o->reps;
    char extra[256];

    if (make_batches(&o->gen, o->shard_spans, o->batch, false, &pb))
        return;
    pipeline_rate(&pb, 1, pricing); /* warm-up */
    for (size_t r = 0; r < reps; r++) {
        one[r] = pipeline_rate(&pb, 1, pricing);
        two[r] = pipeline_rate(&pb, 2, pricing);
    }
    double m1 = 0, m2 = 0; /* best of reps */
    for (size_t r = 0; r < reps; r++) {
        m1 = one[r] > m1 ? one[r] : m1;
        m2 = two[r] > m2 ? two[r] : m2;
    }
    snprintf(extra, sizeof(extra),
             "\"spans\":%llu,\"one_shard_sps\":%.0f,\"two_shards_sps\":%.0f,"
             "\"export_threads\":2",
             (unsigned long long)pb.spans, m1, m2);
    dp_bench_result(stdout, "shards_2_over_1", m1 > 0 ? m2 / m1 : 0, "x",
                    extra);
    batches_free(&pb);
}

/* ---- main -------------------------------------------------------------------
 */

static bool wanted(const struct opts *o, const char *name)
{
    if (!o->only)
        return true;
    size_t n = strlen(name);
    for (const char *p = o->only; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l == n && !memcmp(p, name, n))
            return true;
        p += l + (c ? 1 : 0);
    }
    return false;
}

static void usage(void)
{
    fputs("usage: dp_bench_inproc [--quick] [--spans N] [--json-spans N]\n"
          "         [--mem-spans N] [--shard-spans N] [--batch N] [--reps N]\n"
          "         [--latency-traces N] [--sizes N,N,...]\n"
          "         [--only decode,memory,latency,size,shards]\n"
          "         [--profile wire|ref|json|json-scan|wire-only|unpack]\n"
          "Prints one JSON result line per figure on stdout.\n",
          stderr);
}

int main(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    dp_gen_config_init(&o.gen);
    o.spans = 200000;
    o.json_spans = 0;
    o.mem_spans = 200000;
    o.shard_spans = 200000;
    o.batch = 512;
    o.reps = 5;
    o.latency_traces = 1000;
    o.sizes[0] = 1000, o.sizes[1] = 10000, o.sizes[2] = 100000;
    o.n_sizes = 3;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            o.spans = o.mem_spans = o.shard_spans = 5000;
            o.json_spans = 2000;
            o.reps = 1;
            o.latency_traces = 50;
            o.sizes[0] = 1000, o.sizes[1] = 100000, o.n_sizes = 2;
            continue;
        }
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "--spans"))
            o.spans = dp_bench_parse_count(v);
        else if (!strcmp(a, "--json-spans"))
            o.json_spans = dp_bench_parse_count(v);
        else if (!strcmp(a, "--mem-spans"))
            o.mem_spans = dp_bench_parse_count(v);
        else if (!strcmp(a, "--shard-spans"))
            o.shard_spans = dp_bench_parse_count(v);
        else if (!strcmp(a, "--batch"))
            o.batch = (size_t)dp_bench_parse_count(v);
        else if (!strcmp(a, "--reps"))
            o.reps = (size_t)dp_bench_parse_count(v);
        else if (!strcmp(a, "--latency-traces"))
            o.latency_traces = (size_t)dp_bench_parse_count(v);
        else if (!strcmp(a, "--only"))
            o.only = v;
        else if (!strcmp(a, "--profile"))
            o.profile = v;
        else if (!strcmp(a, "--sizes")) {
            o.n_sizes = 0;
            for (char *s = (char *)v; *s && o.n_sizes < 8;) {
                o.sizes[o.n_sizes++] = strtoull(s, &s, 10);
                if (*s == ',')
                    s++;
                else
                    break;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (!o.json_spans)
        o.json_spans = o.spans / 4 ? o.spans / 4 : 1;
    if (!o.spans || !o.batch || !o.reps) {
        usage();
        return 2;
    }
    dp_log_set_level(DP_LOG_ERROR);
    dp_pricing *pricing = dp_pricing_create_default();
    if (!pricing)
        return 1;
    if (o.profile) {
        static const char *const names[] = {"wire",      "ref",    "json",
                                            "wire-only", "unpack", "json-scan"};
        for (int d = 0; d < 6; d++)
            if (!strcmp(o.profile, names[d])) {
                struct batches bs;
                struct feed f;
                bool js = d == D_JSON || d == D_JSON_SCAN;
                if (make_batches(&o.gen, js ? o.json_spans : o.spans, o.batch,
                                 js, &bs) == 0) {
                    double s = run_once(d, &bs, pricing, &f);
                    fprintf(stderr, "inproc: %s: %.0f spans/s\n", names[d],
                            (double)bs.spans / s);
                    batches_free(&bs);
                }
            }
        dp_pricing_destroy(pricing);
        return 0;
    }
    if (wanted(&o, "decode"))
        bench_decode(&o, pricing);
    if (wanted(&o, "memory"))
        bench_memory(&o, pricing);
    if (wanted(&o, "latency"))
        bench_latency(&o, pricing);
    if (wanted(&o, "size"))
        bench_sizes(&o, pricing);
    if (wanted(&o, "shards"))
        bench_shards(&o, pricing);
    dp_pricing_destroy(pricing);
    return 0;
}
