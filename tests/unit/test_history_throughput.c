/*
 * test_history_throughput.c - the per-model LLM call rows of history
 * schema 4 (model_calls) and dp_history_model_throughput(), which
 * `dagprof whatif` uses to scale a model swap's latency: a small SQLite
 * store holding runs of both claude-haiku-4-5 and claude-sonnet-4-5 (the
 * fixture run with hand-chosen call times), the p50 over the latest runs
 * by hand, the match callback, replacement of a run, retention, a store
 * of an older schema, and the whatif command reading it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "history.h"
#include "history_dir.h"
#include "profile_fixture.h"
#include "replay.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    dp_history_dir_make(dir, path, "tput");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dp_history_dir_remove(dir);
    return 0;
}

/* The fixture run k hours after the fixture's start, its own trace id.
 * Haiku: calls 3 (385 ms, 450 output tokens) and 11 (haiku_ms - 385 ms,
 * 630), so 1080 tokens over haiku_ms. Sonnet: calls 6 (4700 ms, 2230) and
 * 8 (3540 ms, 1890): 4120 tokens over 8.24 s, 500 per second. */
static void run_k(dp_fixture *f, unsigned k, double haiku_ms)
{
    dp_fixture_code_review(f);
    f->p.start_unix_ns += (uint64_t)k * 3600000000000ULL;
    snprintf(f->p.trace_id_hex, sizeof(f->p.trace_id_hex),
             "ab00000000000000000000000000%04x", k);
    f->calls[11].end_ns = f->calls[11].start_ns + DP_FX_MS(haiku_ms - 385);
    f->calls[8].end_ns = f->calls[8].start_ns + DP_FX_MS(3540);
}

static bool all(const char *m, void *u)
{
    (void)m;
    (void)u;
    return true;
}

static bool none(const char *m, void *u)
{
    (void)m;
    (void)u;
    return false;
}

static void store(unsigned k, double haiku_ms)
{
    char err[256];
    dp_fixture f;
    run_k(&f, k, haiku_ms);
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    dp_history_db_close(db);
}

static void tput(const char *prefix, unsigned max_runs, int want_err,
                 double want_tps, size_t want_runs)
{
    char err[256];
    double tps = -1;
    size_t runs = 99;
    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    assert_int_equal(dp_history_model_throughput(h, prefix, all, NULL, max_runs,
                                                 &tps, &runs),
                     want_err);
    if (!want_err) {
        if (tps < want_tps - 1e-9 || tps > want_tps + 1e-9)
            fail_msg("%s: %.6f tokens/s, want %.6f", prefix, tps, want_tps);
    }
    assert_int_equal(runs, want_runs);
    dp_history_close(h);
}

static void test_throughput_p50_over_latest_runs(void **state)
{
    (void)state;
    /* Oldest first: haiku 10, then 1000, 500, 2000 tokens per second. */
    store(0, 108000);
    store(1, 1080);
    store(2, 2160);
    store(3, 540);
    /* The latest 3: sorted 500, 1000, 2000 -> nearest rank 2 = 1000. */
    tput("claude-haiku-4-5", 3, 0, 1000, 3);
    /* All 4: 10, 500, 1000, 2000 -> rank 2 = 500. */
    tput("claude-haiku-4-5", 50, 0, 500, 4);
    tput("claude-sonnet-4-5", 50, 0, 500, 4);
    /* a prefix, any case; LIKE's wildcards in a name are literal */
    tput("CLAUDE-SONNET", 50, 0, 500, 4);
    tput("claude_sonnet", 50, DP_ENOENT, 0, 0);
    tput("gpt-4", 50, DP_ENOENT, 0, 0);
    /* the unpriced model reported tokens too: 100 over 1.79 s, 55.8659...
     * per second, kept in thousandths (truncated) */
    tput("acme-summarizer-v2", 1, 0, 55.865, 1);

    /* The match callback decides among what the prefix found. */
    char err[256];
    double tps;
    size_t runs;
    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    assert_int_equal(
        dp_history_model_throughput(h, "claude", none, NULL, 50, &tps, &runs),
        DP_ENOENT);
    assert_int_equal(runs, 0);
    /* "claude" with the whatif rule: no dated version of it, none */
    assert_int_equal(dp_change_names_model("claude", "claude-haiku-4-5", false),
                     false);
    assert_int_equal(dp_change_names_model("claude-haiku-4-5",
                                           "claude-haiku-4-5-20251001", false),
                     true);
    assert_int_equal(dp_change_names_model("claude-haiku-4-5",
                                           "claude-haiku-4-5-20251001", true),
                     false);
    dp_history_close(h);

    /* One row per run and model: calls, summed time, output tokens. */
    sqlite3 *raw;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(raw,
                           "SELECT m.calls, m.llm_ns, m.output_tokens FROM "
                           "model_calls m JOIN runs r USING (run_id) WHERE "
                           "r.trace_id = 'ab000000000000000000000000000001' "
                           "AND m.model = 'claude-haiku-4-5'",
                           -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(s, 0), 2);
    assert_int_equal(sqlite3_column_int64(s, 1), DP_FX_MS(1080));
    assert_int_equal(sqlite3_column_int64(s, 2), 1080);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM model_calls",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    /* 4 runs x haiku, sonnet, opus, acme */
    assert_int_equal(sqlite3_column_int64(s, 0), 16);
    sqlite3_finalize(s);
    sqlite3_close(raw);

    /* Storing a run again replaces its rows: run 3 at 100 tokens/s. */
    store(3, 10800);
    tput("claude-haiku-4-5", 3, 0, 500, 3); /* 100, 500, 1000 */

    /* Retention deletes them with the run. */
    char e2[256];
    uint64_t deleted = 0;
    dp_history_db *db = dp_history_db_open(path, e2, sizeof(e2));
    assert_non_null(db);
    assert_int_equal(
        dp_history_db_retain_step(
            db, DP_FX_START_UNIX_NS + 3600000000000ULL * 3, 0, 1000, &deleted),
        1);
    assert_int_equal(deleted, 3);
    dp_history_db_close(db);
    tput("claude-haiku-4-5", 50, 0, 100, 1);
}

/* A store written before schema 4 has no model rows: no throughput. */
static void test_throughput_old_store(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp__history_db_open_at(path, 3, err, sizeof(err));
    assert_non_null(db);
    dp_history_db_close(db);
    tput("claude-haiku-4-5", 50, DP_ENOENT, 0, 0);
}

static int sh(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `dagprof whatif` reads the store: with both models the note names the
 * runs and the swapped node's LLM time scales by the ratio; with one of
 * them, latency is kept and the note says why. */
static void test_whatif_scales_by_history(void **state)
{
    (void)state;
    static char out[1 << 16];
    char cmd[1024];
    store(1, 1080); /* haiku 1000 tokens/s, sonnet 500 */
    snprintf(cmd, sizeof cmd,
             DP_BINARY_DIR
             "/src/dagprof whatif --output json --history %s " DP_SOURCE_DIR
             "/examples/code-review.jsonl model "
             "claude-sonnet-4-5=claude-haiku-4-5 2>&1",
             path);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "latency scaled by throughput from history (1 "
                                "run claude-sonnet-4-5, 1 run "
                                "claude-haiku-4-5)"));
    assert_non_null(strstr(out, "500.0 for claude-sonnet-4-5 and 1000.0 for "
                                "claude-haiku-4-5"));
    assert_non_null(strstr(out, "take 0.500x their time"));
    /* no gpt-4.1-mini in the store: latency kept, and why */
    snprintf(cmd, sizeof cmd,
             DP_BINARY_DIR
             "/src/dagprof whatif --output json --history %s " DP_SOURCE_DIR
             "/examples/code-review.jsonl model "
             "claude-sonnet-4-5=gpt-4.1-mini 2>&1",
             path);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "latency assumed unchanged (the history store "
                                "has output-token throughput of 1 run of "
                                "claude-sonnet-4-5 and 0 of gpt-4.1-mini"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_throughput_p50_over_latest_runs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_throughput_old_store, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_whatif_scales_by_history, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
