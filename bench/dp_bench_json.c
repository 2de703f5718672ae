/*
 * dp_bench_json.c - the profile JSON writer alone, for bench/run: the
 * printf-free writer (exporter/profile_json.c) against the printf-based
 * one it replaced (bench/profile_json_ref.c) on the same profiles in the
 * same run, and the size of the JSON per input span.
 *
 * Profiles come from synthetic agent runs (gen.h, the runs of the other
 * in-process figures: 33 spans, 8 nodes each) decoded and profiled by the
 * processor with the built-in pricing; batches are encoded before any
 * clock starts. Two settings:
 *   hot   (the figure) each profile is written by both writers as the
 *         processor hands it over, as `dagprof serve` and `report` write
 *         it, while its memory is still in cache; which writer goes first
 *         alternates from profile to profile, each call is timed alone, and
 *         a writer's MB/s is its bytes over the sum of its calls. Best of
 *         --reps runs.
 *   cold  every profile is built first, then passes over all of them
 *         alternate between the writers (each profile's memory has left
 *         the cache by then); best pass of each.
 * Both write into a reused buffer, reset per profile. Every profile is
 * checked byte for byte against the reference.
 *
 *   dp_bench_json [--spans N] [--reps N] [--passes N] [--profile new|ref]
 *
 * --profile runs only that writer (--passes cold passes, no output
 * records), for perf or callgrind --toggle-collect=write_pass.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "common.h"
#include "gen.h"
#include "log.h"
#include "otlp_decode.h"
#include "otlp_proto.h"
#include "pricing.h"
#include "processor.h"
#include "profile_json.h"
#include "profile_json_ref.h"

struct set {
    dp_profile **p;
    size_t n, cap;
    uint64_t spans, bytes;
    /* hot: write each profile on arrival instead of keeping it */
    bool hot, differ;
    dp_buf a, b;
    uint64_t ns_new, ns_ref;
};

/* Both writers on p, the first one alternating; each call timed alone. */
static void write_hot(struct set *s, dp_profile *p)
{
    for (int k = 0; k < 2; k++) {
        bool use_new = (k == 0) == (s->n % 2 == 0);
        dp_buf *b = use_new ? &s->a : &s->b;
        uint64_t t0, t1;
        dp_buf_reset(b);
        t0 = dp_bench_now_ns();
        if (use_new)
            dp_profile_json_write(b, p);
        else
            dp_profile_json_write_ref(b, p);
        t1 = dp_bench_now_ns();
        *(use_new ? &s->ns_new : &s->ns_ref) += t1 - t0;
    }
    if (s->a.len != s->b.len || memcmp(s->a.data, s->b.data, s->a.len) != 0)
        s->differ = true;
    s->bytes += s->a.len;
    s->n++;
    dp_profile_free(p);
}

static void keep(dp_profile *p, void *user)
{
    struct set *s = user;
    if (s->hot) {
        write_hot(s, p);
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        dp_profile **np = realloc(s->p, cap * sizeof(*np));
        if (!np) {
            dp_profile_free(p);
            return;
        }
        s->p = np;
        s->cap = cap;
    }
    s->p[s->n++] = p;
}

static int add(void *user, const dp_span_in *span)
{
    return dp_processor_add_span(user, span, 0);
}

struct batches {
    dp_gbuf *b;
    size_t n;
};

static void batches_free(struct batches *bs)
{
    for (size_t i = 0; i < bs->n; i++)
        dp_gbuf_free(&bs->b[i]);
    free(bs->b);
}

/* Whole runs holding about `spans` spans, as 512-span protobuf requests. */
static int make_batches(uint64_t spans, struct batches *bs)
{
    dp_gen_config cfg;
    dp_gen *g;
    uint64_t per_run, total;
    int rc = 0;

    dp_gen_config_init(&cfg);
    per_run = dp_gen_spans_per_run(&cfg);
    total = (spans + per_run - 1) / per_run * per_run;
    bs->n = (size_t)((total + 511) / 512);
    bs->b = calloc(bs->n, sizeof(*bs->b));
    g = dp_gen_create(&cfg);
    if (!g || !bs->b)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < bs->n; i++) {
        uint64_t left = total - dp_gen_spans(g);
        rc = dp_gen_batch_proto(g, left < 512 ? (size_t)left : 512, &bs->b[i],
                                NULL, NULL);
    }
    dp_gen_destroy(g);
    return rc;
}

/* The profiles of bs, kept in s (or, hot, written on arrival). */
static int make_set(const struct batches *bs, const dp_pricing *pricing,
                    bool hot, struct set *s)
{
    dp_processor_config pc;
    dp_decode_ctx ctx;
    dp_processor *proc;
    int rc = 0;

    dp_processor_config_init(&pc);
    pc.pricing = pricing;
    pc.max_traces = bs->n * 512;
    memset(s, 0, sizeof(*s));
    s->hot = hot;
    dp_buf_init(&s->a);
    dp_buf_init(&s->b);
    proc = dp_processor_create(&pc, keep, s);
    if (!proc)
        return -1;
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = add;
    ctx.sink_user = proc;
    for (size_t i = 0; rc == 0 && i < bs->n; i++)
        if (dp_otlp_wire_decode(&ctx, bs->b[i].data, bs->b[i].len) != 0)
            rc = -1;
    dp_processor_flush(proc, DP_INCOMPLETE_ROOT_MISSING);
    s->spans = ctx.spans_accepted;
    dp_processor_destroy(proc);
    dp_buf_fini(&s->a);
    dp_buf_fini(&s->b);
    if (s->differ)
        fprintf(stderr, "json: a profile differs from the reference\n");
    return rc == 0 && s->n > 0 && !s->differ ? 0 : -1;
}

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n && s->p; i++)
        dp_profile_free(s->p[i]);
    free(s->p);
}

typedef int (*writer_fn)(dp_buf *, const dp_profile *);

/* One pass: every profile written once into b; returns seconds. */
__attribute__((noinline)) static double
write_pass(writer_fn write, const struct set *s, dp_buf *b)
{
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; i < s->n; i++) {
        dp_buf_reset(b);
        write(b, s->p[i]);
    }
    return (double)(dp_bench_now_ns() - t0) / 1e9;
}

/* Both writers must give the same bytes; sums them into s->bytes. */
static int check(struct set *s)
{
    dp_buf a, b;
    int rc = 0;

    dp_buf_init(&a);
    dp_buf_init(&b);
    s->bytes = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        dp_buf_reset(&a);
        dp_buf_reset(&b);
        if (dp_profile_json_write(&a, s->p[i]) ||
            dp_profile_json_write_ref(&b, s->p[i]) || a.len != b.len ||
            memcmp(a.data, b.data, a.len) != 0) {
            fprintf(stderr, "json: profile %zu differs from the reference\n",
                    i);
            rc = -1;
        }
        s->bytes += a.len;
    }
    dp_buf_fini(&a);
    dp_buf_fini(&b);
    return rc;
}

/* Cold: best MB/s of each writer over reps alternating passes (after a
 * warm-up of each). */
static void measure_cold(const struct set *s, size_t reps, double *new_mbps,
                         double *ref_mbps)
{
    dp_buf b;
    double best_new = 1e30, best_ref = 1e30;

    dp_buf_init(&b);
    write_pass(dp_profile_json_write, s, &b);
    write_pass(dp_profile_json_write_ref, s, &b);
    for (size_t r = 0; r < reps; r++) {
        double tn, tr;
        if (r % 2 == 0) {
            tn = write_pass(dp_profile_json_write, s, &b);
            tr = write_pass(dp_profile_json_write_ref, s, &b);
        } else {
            tr = write_pass(dp_profile_json_write_ref, s, &b);
            tn = write_pass(dp_profile_json_write, s, &b);
        }
        best_new = tn < best_new ? tn : best_new;
        best_ref = tr < best_ref ? tr : best_ref;
    }
    dp_buf_fini(&b);
    *new_mbps = (double)s->bytes / best_new / 1e6;
    *ref_mbps = (double)s->bytes / best_ref / 1e6;
}

/* Hot: best MB/s of each writer over reps runs of the processor. */
static int measure_hot(const struct batches *bs, const dp_pricing *pricing,
                       size_t reps, double *new_mbps, double *ref_mbps)
{
    *new_mbps = *ref_mbps = 0;
    for (size_t r = 0; r <= reps; r++) { /* run 0 warms up */
        struct set s;
        if (make_set(bs, pricing, true, &s))
            return -1;
        double nw = (double)s.bytes / ((double)s.ns_new / 1e9) / 1e6;
        double rf = (double)s.bytes / ((double)s.ns_ref / 1e9) / 1e6;
        if (r > 0 && nw > *new_mbps)
            *new_mbps = nw;
        if (r > 0 && rf > *ref_mbps)
            *ref_mbps = rf;
    }
    return 0;
}

static void usage(void)
{
    fputs("usage: dp_bench_json [--spans N] [--reps N] [--passes N]\n"
          "         [--profile new|ref]\n"
          "Prints one JSON result line per figure on stdout.\n",
          stderr);
}

int main(int argc, char **argv)
{
    uint64_t spans = 200000;
    size_t reps = 5, passes = 20;
    const char *profile = NULL;
    struct set s;
    struct batches bs = {0};
    char extra[512];
    dp_pricing *pricing;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "--spans"))
            spans = dp_bench_parse_count(v);
        else if (!strcmp(a, "--reps"))
            reps = (size_t)dp_bench_parse_count(v);
        else if (!strcmp(a, "--passes"))
            passes = (size_t)dp_bench_parse_count(v);
        else if (!strcmp(a, "--profile") &&
                 (!strcmp(v, "new") || !strcmp(v, "ref")))
            profile = v;
        else {
            usage();
            return 2;
        }
    }
    if (!spans || !reps || !passes) {
        usage();
        return 2;
    }
    dp_log_set_level(DP_LOG_ERROR);
    pricing = dp_pricing_create_default();
    fprintf(stderr, "json: profiling %llu spans...\n",
            (unsigned long long)spans);
    if (!pricing || make_batches(spans, &bs) ||
        make_set(&bs, pricing, false, &s) || check(&s)) {
        fprintf(stderr, "json: could not build the profiles\n");
        return 1;
    }

    if (profile) {
        dp_buf b;
        double t = 0;
        dp_buf_init(&b);
        for (size_t i = 0; i < passes; i++)
            t += write_pass(strcmp(profile, "new") ? dp_profile_json_write_ref
                                                   : dp_profile_json_write,
                            &s, &b);
        fprintf(stderr, "json: %s writer (cold): %.1f MB/s\n", profile,
                (double)s.bytes * (double)passes / t / 1e6);
        dp_buf_fini(&b);
    } else {
        double nw, rf, nw_cold, rf_cold;
        measure_cold(&s, reps, &nw_cold, &rf_cold);
        if (measure_hot(&bs, pricing, reps, &nw, &rf)) {
            fprintf(stderr, "json: hot run failed\n");
            return 1;
        }
        snprintf(extra, sizeof(extra),
                 "\"profiles\":%zu,\"spans\":%llu,\"bytes\":%llu,"
                 "\"bytes_per_profile\":%.1f",
                 s.n, (unsigned long long)s.spans, (unsigned long long)s.bytes,
                 (double)s.bytes / (double)s.n);
        dp_bench_result(stdout, "profile_json_bytes_per_span",
                        (double)s.bytes / (double)s.spans, "bytes", extra);
        snprintf(extra, sizeof(extra),
                 "\"profiles\":%zu,\"bytes\":%llu,\"reference_mbps\":%.1f,"
                 "\"ns_per_profile\":%.0f,\"reference_ns_per_profile\":%.0f,"
                 "\"cold_mbps\":%.1f,\"cold_reference_mbps\":%.1f",
                 s.n, (unsigned long long)s.bytes, rf,
                 (double)s.bytes / nw / 1e-3 / (double)s.n,
                 (double)s.bytes / rf / 1e-3 / (double)s.n, nw_cold, rf_cold);
        dp_bench_result(stdout, "profile_json_mbps", nw, "MB/s", extra);
        dp_bench_result(stdout, "profile_json_ref_mbps", rf, "MB/s", extra);
    }
    set_free(&s);
    batches_free(&bs);
    dp_pricing_destroy(pricing);
    return 0;
}
