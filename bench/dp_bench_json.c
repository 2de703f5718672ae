/*
 * dp_bench_json.c - the profile JSON writer alone, for bench/run: the
 * printf-free writer (exporter/profile_json.c) against the printf-based
 * one it replaced (bench/profile_json_ref.c) on the same profiles in the
 * same run, and the size of the JSON per input span.
 *
 * Profiles come from synthetic agent runs (gen.h, the runs of the other
 * in-process figures: 33 spans, 8 nodes each) decoded and profiled by the
 * processor with the built-in pricing, all kept in memory before any clock
 * starts. A timed pass writes every profile once into a reused buffer
 * (reset per profile, as the history store and `report` do); passes of the
 * two writers alternate, which one goes first alternating too, and each
 * figure is its best pass (on a shared machine the least disturbed one).
 * The same is measured with a fresh buffer per profile, as
 * dp_record_profile (serve's exporters) writes. Every profile is checked
 * byte for byte against the reference before timing.
 *
 *   dp_bench_json [--spans N] [--reps N] [--passes N] [--profile new|ref]
 *
 * --profile runs only that writer (--passes passes, no output records), for
 * perf or callgrind --toggle-collect=write_pass.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "common.h"
#include "gen.h"
#include "otlp_decode.h"
#include "otlp_wire.h"
#include "processor.h"
#include "profile_json.h"
#include "profile_json_ref.h"

struct set {
    dp_profile **p;
    size_t n, cap;
    uint64_t spans, bytes;
};

static void keep(dp_profile *p, void *user)
{
    struct set *s = user;
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

/* Profiles of whole runs holding about `spans` spans. */
static int make_set(uint64_t spans, const dp_pricing *pricing, struct set *s)
{
    dp_gen_config cfg;
    dp_processor_config pc;
    dp_decode_ctx ctx;
    dp_gbuf b = {0};
    dp_gen *g;
    dp_processor *proc;
    uint64_t per_run, total;
    int rc = 0;

    dp_gen_config_init(&cfg);
    per_run = dp_gen_spans_per_run(&cfg);
    total = (spans + per_run - 1) / per_run * per_run;
    dp_processor_config_init(&pc);
    pc.pricing = pricing;
    pc.max_traces = (size_t)(total / per_run) + 1;
    memset(s, 0, sizeof(*s));
    g = dp_gen_create(&cfg);
    proc = dp_processor_create(&pc, keep, s);
    if (!g || !proc)
        rc = -1;
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = add;
    ctx.sink_user = proc;
    while (rc == 0 && dp_gen_spans(g) < total) {
        uint64_t left = total - dp_gen_spans(g);
        b.len = 0;
        rc = dp_gen_batch_proto(g, left < 512 ? (size_t)left : 512, &b, NULL,
                                NULL);
        if (rc == 0 && dp_otlp_wire_decode(&ctx, b.data, b.len) != 0)
            rc = -1;
    }
    if (proc)
        dp_processor_flush(proc, DP_INCOMPLETE_ROOT_MISSING);
    s->spans = ctx.spans_accepted;
    dp_processor_destroy(proc);
    dp_gen_destroy(g);
    dp_gbuf_free(&b);
    return rc == 0 && s->n > 0 ? 0 : -1;
}

typedef int (*writer_fn)(dp_buf *, const dp_profile *);

/* One pass: every profile written once; returns seconds. fresh: a new
 * buffer per profile (init, write, fini). */
__attribute__((noinline)) static double
write_pass(writer_fn write, const struct set *s, dp_buf *b, bool fresh)
{
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; i < s->n; i++) {
        if (fresh) {
            dp_buf f;
            dp_buf_init(&f);
            write(&f, s->p[i]);
            dp_buf_fini(&f);
        } else {
            dp_buf_reset(b);
            write(b, s->p[i]);
        }
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

/* Best MB/s of each writer over reps alternating passes (after a warm-up
 * of each). */
static void measure(const struct set *s, size_t reps, bool fresh,
                    double *new_mbps, double *ref_mbps)
{
    dp_buf b;
    double best_new = 1e30, best_ref = 1e30;

    dp_buf_init(&b);
    write_pass(dp_profile_json_write, s, &b, fresh);
    write_pass(dp_profile_json_write_ref, s, &b, fresh);
    for (size_t r = 0; r < reps; r++) {
        double tn, tr;
        if (r % 2 == 0) {
            tn = write_pass(dp_profile_json_write, s, &b, fresh);
            tr = write_pass(dp_profile_json_write_ref, s, &b, fresh);
        } else {
            tr = write_pass(dp_profile_json_write_ref, s, &b, fresh);
            tn = write_pass(dp_profile_json_write, s, &b, fresh);
        }
        best_new = tn < best_new ? tn : best_new;
        best_ref = tr < best_ref ? tr : best_ref;
    }
    dp_buf_fini(&b);
    *new_mbps = (double)s->bytes / best_new / 1e6;
    *ref_mbps = (double)s->bytes / best_ref / 1e6;
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
    size_t reps = 7, passes = 20;
    const char *profile = NULL;
    struct set s;
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
    if (!pricing || make_set(spans, pricing, &s) || check(&s)) {
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
                            &s, &b, false);
        fprintf(stderr, "json: %s writer: %.1f MB/s\n", profile,
                (double)s.bytes * (double)passes / t / 1e6);
        dp_buf_fini(&b);
    } else {
        double nw, rf, nw_fresh, rf_fresh;
        measure(&s, reps, false, &nw, &rf);
        measure(&s, reps, true, &nw_fresh, &rf_fresh);
        snprintf(extra, sizeof(extra),
                 "\"profiles\":%zu,\"spans\":%llu,\"bytes\":%llu,"
                 "\"bytes_per_profile\":%.1f",
                 s.n, (unsigned long long)s.spans, (unsigned long long)s.bytes,
                 (double)s.bytes / (double)s.n);
        dp_bench_result(stdout, "profile_json_bytes_per_span",
                        (double)s.bytes / (double)s.spans, "bytes", extra);
        snprintf(extra, sizeof(extra),
                 "\"profiles\":%zu,\"bytes\":%llu,\"reference_mbps\":%.1f,"
                 "\"fresh_buffer_mbps\":%.1f,"
                 "\"fresh_buffer_reference_mbps\":%.1f,"
                 "\"ns_per_profile\":%.0f,\"reference_ns_per_profile\":%.0f",
                 s.n, (unsigned long long)s.bytes, rf, nw_fresh, rf_fresh,
                 (double)s.bytes / nw / 1e-3 / (double)s.n,
                 (double)s.bytes / rf / 1e-3 / (double)s.n);
        dp_bench_result(stdout, "profile_json_mbps", nw, "MB/s", extra);
        dp_bench_result(stdout, "profile_json_ref_mbps", rf, "MB/s", extra);
    }
    for (size_t i = 0; i < s.n; i++)
        dp_profile_free(s.p[i]);
    free(s.p);
    dp_pricing_destroy(pricing);
    return 0;
}
