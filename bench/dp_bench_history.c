/*
 * dp_bench_history.c - the history store's figures: how fast runs are
 * written (batched transactions, as serve's history exporter commits
 * them), bytes per run, and how long `runs`, `trends` and `regressions`
 * take over the whole store.
 *
 * Runs are the code-review fixture (5 nodes, 1 bottleneck; the profile
 * tests use, tests/support/profile_fixture.h) with a new trace id, a start a
 * minute after the previous run, and timings varied by a seeded +-10%;
 * runs are split into --versions versions in order, the last one with
 * review-performance 30% slower. --json stub stores "{}" instead of each
 * profile's JSON, to fill a store with many runs quickly when only the
 * query times matter (bytes per run are then not representative).
 *
 *   dp_bench_history [--runs N] [--versions K] [--json full|stub]
 *                    [--db PATH] [--keep] [--reuse]
 *
 * --reuse times the queries over a store a --keep run left (same --runs
 * and --versions), without writing: a million runs take minutes to write.
 *
 * Prints result records (common.h) on stdout. No target is asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "history.h"
#include "history_stats.h"
#include "profile_fixture.h"
#include "profile_json.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double jitter(void) /* [0.9, 1.1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return 0.9 + (double)(rng % 1000000) / 5e6;
}

/* CPU time of this process in ns: on a shared machine the wall clock
 * mostly measures the other processes. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One query figure: wall ms as the value, CPU ms beside it. */
static void query_result(const char *figure, uint64_t t0, uint64_t c0,
                         const char *extra)
{
    char more[256];
    snprintf(more, sizeof(more), "%s,\"cpu_ms\":%.3f", extra,
             (double)(cpu_ns() - c0) / 1e6);
    dp_bench_result(stdout, figure, (double)(dp_bench_now_ns() - t0) / 1e6,
                    "ms", more);
}

static int count_fn(void *user, const dp_history_run *r)
{
    (void)r;
    (*(uint64_t *)user)++;
    return 0;
}

static uint64_t mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int main(int argc, char **argv)
{
    uint64_t runs = 20000, versions = 10;
    bool stub = false, keep = false, reuse = false;
    const char *db_path = "/tmp/dp_bench_history.db";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = dp_bench_parse_count(argv[++i]);
        else if (strcmp(argv[i], "--versions") == 0 && i + 1 < argc)
            versions = dp_bench_parse_count(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            stub = strcmp(argv[++i], "stub") == 0;
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_path = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--reuse") == 0)
            reuse = keep = true;
        else {
            fprintf(stderr, "usage: dp_bench_history [--runs N] [--versions "
                            "K] [--json full|stub] [--db PATH] [--keep] "
                            "[--reuse]\n");
            return 2;
        }
    }
    if (!runs || versions < 2)
        return 2;
    char err[512], wal[600];
    snprintf(wal, sizeof(wal), "%s-wal", db_path);
    char vname[32][16];
    for (uint64_t v = 0; v < versions && v < 32; v++)
        snprintf(vname[v], sizeof(vname[v]), "1.%llu", (unsigned long long)v);

    char extra[128];
    uint64_t t0, c0;
    snprintf(extra, sizeof(extra), "\"runs\":%llu,\"json\":\"%s\"",
             (unsigned long long)runs, stub ? "stub" : "full");
    if (!reuse) {
        unlink(db_path);
        unlink(wal);
        dp_history_db *db = dp_history_db_open(db_path, err, sizeof(err));
        if (!db) {
            fprintf(stderr, "dp_bench_history: %s\n", err);
            return 1;
        }
        /* A batch's runs are made (and their JSON rendered, as serve's
         * pipeline renders it once for every exporter) before the batch is
         * timed: the CPU figure is the store's alone. */
        enum { BATCH = 500 };
        dp_fixture *fx = malloc(BATCH * sizeof(*fx));
        dp_buf *json = malloc(BATCH * sizeof(*json));
        if (!fx || !json)
            return 1;
        for (size_t i = 0; i < BATCH; i++)
            dp_buf_init(&json[i]);
        uint64_t wall_ns = 0, store_cpu_ns = 0;
        for (uint64_t k0 = 0; k0 < runs; k0 += BATCH) {
            size_t nb = runs - k0 < BATCH ? (size_t)(runs - k0) : BATCH;
            for (size_t j = 0; j < nb; j++) {
                uint64_t k = k0 + j;
                dp_fixture *f = &fx[j];
                dp_fixture_code_review(f);
                uint64_t v = k * versions / runs;
                snprintf(f->p.trace_id_hex, sizeof(f->p.trace_id_hex),
                         "%016llx%016llx", (unsigned long long)mix64(2 * k + 1),
                         (unsigned long long)mix64(2 * k + 2));
                f->p.version = vname[v < 32 ? v : 31];
                f->p.start_unix_ns = DP_FX_START_UNIX_NS + k * 60000000000ULL;
                for (size_t i = 0; i < 5; i++) {
                    double s = jitter();
                    if (v == versions - 1 && i == 3)
                        s *= 1.3;
                    f->nodes[i].execution_ns =
                        (int64_t)(f->nodes[i].execution_ns * s);
                }
                f->p.wall_ns = (int64_t)(f->p.wall_ns * jitter());
                dp_buf_reset(&json[j]);
                if (stub)
                    dp_buf_puts(&json[j], "{}");
                else
                    dp_profile_json_write(&json[j], &f->p);
            }
            uint64_t t0 = dp_bench_now_ns(), c0 = cpu_ns();
            dp_history_db_begin(db);
            for (size_t j = 0; j < nb; j++)
                if (dp_history_db_insert(db, &fx[j].p, json[j].data,
                                         json[j].len))
                    return 1;
            dp_history_db_commit(db);
            store_cpu_ns += cpu_ns() - c0;
            wall_ns += dp_bench_now_ns() - t0;
        }
        double secs = (double)wall_ns / 1e9;
        double cpu_secs = (double)store_cpu_ns / 1e9;
        uint64_t used = dp_history_db_used_bytes(db);
        dp_history_db_close(db);
        for (size_t i = 0; i < BATCH; i++)
            dp_buf_fini(&json[i]);
        free(json);
        free(fx);
        dp_bench_result(stdout, "history write, batches of 500", runs / secs,
                        "runs/s", extra);
        dp_bench_result(stdout, "history write per CPU second", runs / cpu_secs,
                        "runs/s", extra);
        dp_bench_result(stdout, "history write CPU per run",
                        cpu_secs * 1e6 / runs, "us", extra);
        dp_bench_result(stdout, "history bytes per run (5 nodes)",
                        (double)used / runs, "bytes", extra);
    }

    dp_history *h = dp_history_open(db_path, err, sizeof(err));
    if (!h) {
        fprintf(stderr, "dp_bench_history: %s\n", err);
        return 1;
    }
    dp_history_filter all = {.dag = "code-review-dag"};
    /* runs: the newest 20. */
    uint64_t n = 0;
    t0 = dp_bench_now_ns(), c0 = cpu_ns();
    dp_history_runs(h, &all, DP_HISTORY_NEWEST, 20, 0, count_fn, &n);
    query_result("history runs --limit 20", t0, c0, extra);
    t0 = dp_bench_now_ns(), c0 = cpu_ns();
    n = 0;
    dp_history_runs(h, &all, DP_HISTORY_SLOWEST, 20, 0, count_fn, &n);
    query_result("history runs --slowest --limit 20", t0, c0, extra);
    /* trends by day and by version over every run. */
    for (int by = DP_TREND_DAY; by <= DP_TREND_VERSION; by += 2) {
        dp_trends *t = dp_trends_create(by);
        t0 = dp_bench_now_ns(), c0 = cpu_ns();
        dp_history_trends(h, &all, by, t);
        dp_trend_bucket b;
        for (size_t i = 0; i < dp_trends_count(t); i++)
            dp_trends_get(t, i, &b);
        query_result(by == DP_TREND_DAY ? "history trends --by day, all runs"
                                        : "history trends --by version",
                     t0, c0, extra);
        dp_trends_destroy(t);
    }
    /* regressions: the last two versions, with their nodes. */
    t0 = dp_bench_now_ns(), c0 = cpu_ns();
    dp_regress *g = dp_regress_create();
    dp_history_regress(h, &all, vname[versions - 2], vname[versions - 1], g);
    dp_regress_config c;
    dp_regress_config_init(&c);
    const dp_regress_row *rows;
    long nr = dp_regress_compute(g, &c, &rows);
    snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
             ",\"runs_per_side\":%llu,\"found\":%d",
             (unsigned long long)(runs / versions),
             nr > 4 && rows[4].time.verdict == DP_VERDICT_REGRESSION);
    query_result("history regressions, last two versions", t0, c0, extra);
    dp_regress_destroy(g);
    dp_history_close(h);
    if (!keep) {
        unlink(db_path);
        unlink(wal);
    }
    return 0;
}
