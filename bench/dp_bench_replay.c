/*
 * dp_bench_replay.c - how fast the what-if replay (processor/replay.h)
 * schedules a run, and how its cost grows with the DAG: for each size V,
 * a synthetic run of V leaves in layers of 64 (each leaf depends on 2
 * leaves of the layer before it: E ~ 2V), one LLM and one tool call per
 * leaf (every tool call repeats an argument set of the layer before), a
 * queue delay of 0-4 ms. Times, best of 5 after a warm-up: create (leaf
 * DAG and offsets), a replay with nothing changed, with workers=8, with
 * no-queue + cache + model swap + speedup. Times are the thread's CPU
 * time (CLOCK_THREAD_CPUTIME_ID), not the wall clock, so a machine shared
 * with other work still gives comparable figures. Prints one JSON line per
 * figure (dp_bench_result) and the ns per node, so O((V+E) log V) shows
 * as a per-node time that grows only with log V.
 *
 *   dp_bench_replay [--sizes 1000,10000,100000] [--reps 5]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "pricing.h"
#include "processor.h"
#include "replay.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char pricing_json[] =
    "{\"currency\":\"USD\",\"rows\":["
    "{\"pattern\":\"big\",\"match\":\"exact\",\"input\":10,\"output\":20,"
    "\"effective\":\"2020-01-01\"},"
    "{\"pattern\":\"small\",\"match\":\"exact\",\"input\":1,\"output\":2,"
    "\"effective\":\"2020-01-01\"}]}";

#define WIDTH 64

/* A run of v leaves, built as the processor would leave it. */
static dp_profile *make_run(size_t v)
{
    dp_profile *p = dp_profile_new();
    uint64_t x = 88172645463325252ULL;
    p->start_unix_ns = 1767225600000000000ULL;
    p->n_nodes = v;
    p->n_leaves = v;
    p->nodes = dp_profile_alloc(p, v * sizeof(dp_node));
    p->n_calls = 2 * v;
    p->calls = dp_profile_alloc(p, 2 * v * sizeof(dp_call));
    int64_t *end = calloc(v, sizeof(int64_t));
    int64_t wall = 0;
    for (size_t i = 0; i < v; i++) {
        dp_node *n = &p->nodes[i];
        char id[32];
        snprintf(id, sizeof id, "n%07zu", i);
        n->id = dp_profile_strndup(p, id, strlen(id));
        n->kind = DP_NODE_LEAF;
        n->parent = -1;
        size_t layer = i / WIDTH;
        int64_t ready = 0;
        if (layer > 0) {
            n->deps = dp_profile_alloc(p, 2 * sizeof(size_t));
            for (int d = 0; d < 2; d++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                size_t dep = (layer - 1) * WIDTH + x % WIDTH;
                if (d == 1 && dep == n->deps[0])
                    break;
                n->deps[n->n_deps++] = dep;
                if (end[dep] > ready)
                    ready = end[dep];
            }
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n->start_ns = ready + (int64_t)(x % 5) * 1000000;
        n->execution_ns = (int64_t)(1 + x % 997) * 1000000;
        n->end_ns = n->start_ns + n->execution_ns;
        end[i] = n->end_ns;
        if (n->end_ns > wall)
            wall = n->end_ns;
        n->calls = dp_profile_alloc(p, 2 * sizeof(size_t));
        for (int c = 0; c < 2; c++) {
            dp_call *k = &p->calls[2 * i + (size_t)c];
            k->kind = c ? DP_CALL_TOOL : DP_CALL_LLM;
            k->node = (long)i;
            k->name = c ? "read" : (i % 2 ? "big" : "small");
            k->start_ns = n->start_ns + (c ? n->execution_ns / 2 : 0);
            k->end_ns = k->start_ns + n->execution_ns / 2;
            k->cache_key = c ? 1 + (i % WIDTH) : 0;
            k->tokens = (dp_tokens){1000, 100, 0, 0, 0, 3};
            k->has_tokens = !c;
            k->priced = !c;
            k->cost_pusd = c ? 0 : 1000000;
            k->span_start_unix_ns = p->start_unix_ns + (uint64_t)k->start_ns;
            n->calls[n->n_calls++] = 2 * i + (size_t)c;
        }
    }
    /* nodes are in start order for the processor; here layer order, which
     * the replay does not need */
    p->wall_ns = wall;
    free(end);
    return p;
}

static double best_replay(dp_replay_ctx *ctx, const dp_change *ch, size_t n,
                          int reps)
{
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        dp_replay out;
        char err[256];
        double t0 = now_s();
        if (dp_replay_run(ctx, ch, n, &out, err, sizeof err)) {
            fprintf(stderr, "replay: %s\n", err);
            exit(1);
        }
        double t = now_s() - t0;
        dp_replay_fini(&out);
        if (r > 0 && t < best) /* r == 0 warms up */
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    const char *sizes = "1000,10000,100000";
    int reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sizes"))
            sizes = argv[i + 1];
        else if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : 1;
        else {
            fprintf(stderr, "usage: dp_bench_replay [--sizes N,N,...] "
                            "[--reps R]\n");
            return 2;
        }
    }
    char err[256];
    dp_pricing *pricing = dp_pricing_create_empty();
    if (!pricing ||
        dp_pricing_load_json(pricing, pricing_json, "bench", err, sizeof err))
        return 1;
    for (const char *s = sizes; *s;) {
        size_t v = strtoul(s, NULL, 10);
        s += strcspn(s, ",");
        if (*s == ',')
            s++;
        if (v < 1)
            continue;
        dp_profile *p = make_run(v);
        double t0 = now_s();
        dp_replay_ctx *ctx = dp_replay_create(p, pricing, false);
        double create = now_s() - t0;
        if (!ctx)
            return 1;
        dp_change w8 = {.kind = DP_CHANGE_WORKERS, .workers = 8};
        dp_change mix[4] = {
            {.kind = DP_CHANGE_NO_QUEUE},
            {.kind = DP_CHANGE_CACHE, .a = "read"},
            {.kind = DP_CHANGE_MODEL, .a = "big", .b = "small"},
            {.kind = DP_CHANGE_SPEEDUP, .a = "n0000000", .factor = 2},
        };
        double none = best_replay(ctx, NULL, 0, reps);
        double workers = best_replay(ctx, &w8, 1, reps);
        double all = best_replay(ctx, mix, 4, reps);
        char name[64];
        printf("# %zu leaves, %zu calls: create %.2f ms, replay %.2f ms "
               "(%.0f ns/node), workers=8 %.2f ms (%.0f ns/node), 4 changes "
               "%.2f ms (%.0f ns/node)\n",
               v, 2 * v, create * 1e3, none * 1e3, none * 1e9 / (double)v,
               workers * 1e3, workers * 1e9 / (double)v, all * 1e3,
               all * 1e9 / (double)v);
        snprintf(name, sizeof name, "replay_%zu_ms", v);
        dp_bench_result(stdout, name, none * 1e3, "ms", NULL);
        snprintf(name, sizeof name, "replay_workers8_%zu_ms", v);
        dp_bench_result(stdout, name, workers * 1e3, "ms", NULL);
        snprintf(name, sizeof name, "replay_4changes_%zu_ms", v);
        dp_bench_result(stdout, name, all * 1e3, "ms", NULL);
        dp_replay_destroy(ctx);
        dp_profile_free(p);
    }
    dp_pricing_destroy(pricing);
    return 0;
}
