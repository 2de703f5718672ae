/*
 * test_history_write.c - the SQLite store's write path and the reads that
 * schema 5 made faster (history/sqlite.c, schema.c, sqlite_query.c):
 *
 * - statements are prepared once: a second batch of runs of the same
 *   shapes prepares nothing, and the multi-row inserts (16 rows a
 *   statement) store every node of a 40-node run, in order;
 * - a run that fails half way (a trigger refuses its profile row) leaves
 *   none of its rows, and the batch around it is committed;
 * - a schema-4 store opens, migrates to 5 (indexes dropped and widened)
 *   and keeps its runs, and both schemas answer the same;
 * - the regressions' read (DP_HISTORY_WANT_SAMPLES) gives what the
 *   general query gives, also when runs share a start time and their
 *   trace ids order them otherwise than their insertion;
 * - versions() (found by seeking the index) equals the GROUP BY it
 *   replaced, with runs without a version, shared first starts and time
 *   bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "history.h"
#include "history_dir.h"
#include "history_stats.h"
#include "profile_fixture.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    dp_history_dir_make(dir, path, "hwrite");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dp_history_dir_remove(dir);
    return 0;
}

static int64_t count(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int64_t v = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const char *sql)
{
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

/* Run k of the fixture: trace id from tid (32 hex digits made from it),
 * a version, a start, node i's time scaled by 1 + k % 7 / 10. */
static void run_k(dp_fixture *f, unsigned tid, const char *version,
                  uint64_t start, unsigned k)
{
    dp_fixture_code_review(f);
    snprintf(f->p.trace_id_hex, sizeof(f->p.trace_id_hex), "%032x", tid);
    f->p.version = version;
    f->p.start_unix_ns = start;
    for (size_t i = 0; i < 5; i++)
        f->nodes[i].execution_ns += (int64_t)(k % 7) * 1000000 * (i + 1);
    f->p.wall_ns += (int64_t)(k % 5) * 1000000;
}

/* A profile of n nodes "n0".."n{n-1}" (the fixture's nodes repeated). */
static void wide_run(dp_fixture *f, dp_node *nodes, char (*ids)[8], size_t n,
                     unsigned tid)
{
    run_k(f, tid, "9.9", DP_FX_START_UNIX_NS + tid * 1000000000ULL, tid);
    for (size_t i = 0; i < n; i++) {
        nodes[i] = f->nodes[i % 5];
        snprintf(ids[i], 8, "n%zu", i);
        nodes[i].id = ids[i];
        nodes[i].parent = -1;
        nodes[i].execution_ns = (int64_t)(i + 1) * 1000;
    }
    f->p.nodes = nodes;
    f->p.n_nodes = n;
    f->bottlenecks[0].node = n - 1;
}

static void test_prepared_once_across_batches(void **state)
{
    (void)state;
    char err[256];
    dp_fixture f;
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    uint64_t at_open = dp__history_db_prepares(db);
    assert_true(at_open > 0);
    /* Batch 1: first runs of the 5-node shape prepare their inserts. */
    assert_int_equal(dp_history_db_begin(db), 0);
    for (unsigned k = 1; k <= 3; k++) {
        run_k(&f, k, "1.0", DP_FX_START_UNIX_NS + k * 60000000000ULL, k);
        assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    }
    assert_int_equal(dp_history_db_commit(db), 0);
    uint64_t after_first = dp__history_db_prepares(db);
    /* nodes (5 rows), bottlenecks (1), model calls (4): three inserts. */
    assert_int_equal(after_first, at_open + 3);
    /* Batch 2, same shapes: nothing prepared again. */
    assert_int_equal(dp_history_db_begin(db), 0);
    for (unsigned k = 4; k <= 8; k++) {
        run_k(&f, k, "1.0", DP_FX_START_UNIX_NS + k * 60000000000ULL, k);
        assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    }
    assert_int_equal(dp_history_db_commit(db), 0);
    assert_int_equal(dp__history_db_prepares(db), after_first);
    /* A 40-node run: 16 + 16 + 8 rows, two new statements (16 and 8). */
    dp_node nodes[40];
    char ids[40][8];
    wide_run(&f, nodes, ids, 40, 100);
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    uint64_t after_wide = dp__history_db_prepares(db);
    assert_int_equal(after_wide, after_first + 2);
    wide_run(&f, nodes, ids, 40, 101);
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    assert_int_equal(dp__history_db_prepares(db), after_wide);
    /* The same trace again: replaced, still nothing prepared. */
    wide_run(&f, nodes, ids, 40, 101);
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    assert_int_equal(dp__history_db_prepares(db), after_wide);
    assert_int_equal(dp_history_db_run_count(db), 10);
    dp_history_db_close(db);

    assert_int_equal(count("SELECT count(*) FROM nodes"), 8 * 5 + 2 * 40);
    assert_int_equal(count("SELECT count(*) FROM model_calls"), 8 * 4 + 2 * 4);
    assert_int_equal(count("SELECT count(*) FROM bottlenecks"), 10);
    /* Every node of the wide run at its index, with its own values. */
    assert_int_equal(count("SELECT count(*) FROM nodes n JOIN runs r USING "
                           "(run_id) WHERE r.trace_id = "
                           "'00000000000000000000000000000065' AND "
                           "n.node_id = 'n' || n.idx AND n.execution_ns = "
                           "(n.idx + 1) * 1000"),
                     40);
    assert_int_equal(count("SELECT node_id = 'n39' FROM bottlenecks b JOIN "
                           "runs r USING (run_id) WHERE r.trace_id = "
                           "'00000000000000000000000000000065'"),
                     1);
    /* Model rows: the fixture's LLM calls that reported output tokens. */
    dp_fixture_code_review(&f);
    int64_t llm = 0;
    for (size_t i = 0; i < f.p.n_calls; i++)
        llm += f.calls[i].kind == DP_CALL_LLM &&
               (f.calls[i].tokens.known & DP_TOK_OUTPUT);
    assert_true(llm > 0);
    assert_int_equal(count("SELECT sum(calls) FROM model_calls m JOIN runs r "
                           "USING (run_id) WHERE r.trace_id = "
                           "'00000000000000000000000000000001'"),
                     llm);
}

static void test_failed_run_leaves_nothing(void **state)
{
    (void)state;
    char err[256];
    dp_fixture f;
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    dp_history_db_close(db);
    /* Refuses any profile row "boom": the run fails at its last row. */
    raw_exec("CREATE TRIGGER boom BEFORE INSERT ON profiles WHEN NEW.json = "
             "'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_begin(db), 0);
    run_k(&f, 1, "1.0", DP_FX_START_UNIX_NS, 1);
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    run_k(&f, 2, "1.0", DP_FX_START_UNIX_NS + 60000000000ULL, 2);
    assert_int_equal(dp_history_db_insert(db, &f.p, "boom", 4), DP_EIO);
    assert_true(dp_history_db_in_transaction(db)); /* the batch goes on */
    run_k(&f, 3, "1.0", DP_FX_START_UNIX_NS + 120000000000ULL, 3);
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    assert_int_equal(dp_history_db_commit(db), 0);
    /* Outside a batch: its own transaction, rolled back. */
    run_k(&f, 4, "1.0", DP_FX_START_UNIX_NS + 180000000000ULL, 4);
    assert_int_equal(dp_history_db_insert(db, &f.p, "boom", 4), DP_EIO);
    assert_false(dp_history_db_in_transaction(db));
    run_k(&f, 5, "1.0", DP_FX_START_UNIX_NS + 240000000000ULL, 5);
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    dp_history_db_close(db);

    assert_int_equal(count("SELECT count(*) FROM runs"), 3);
    assert_int_equal(count("SELECT count(*) FROM runs WHERE trace_id IN "
                           "('00000000000000000000000000000002', "
                           "'00000000000000000000000000000004')"),
                     0);
    /* No orphan rows of the failed runs. */
    static const char *const tables[] = {"nodes", "bottlenecks", "model_calls",
                                         "profiles"};
    for (int t = 0; t < 4; t++) {
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM %s WHERE run_id NOT IN (SELECT run_id "
                 "FROM runs)",
                 tables[t]);
        assert_int_equal(count(sql), 0);
    }
    assert_int_equal(count("SELECT count(*) FROM nodes"), 15);
    assert_int_equal(count("SELECT count(*) FROM profiles"), 3);
}

/* ------------------------------------------------------------------------ */
/* Reads: regressions' samples and versions.                                 */

typedef struct seen {
    char text[16384];
    size_t len;
} seen;

/* Appends what regressions read of a run: wall, cost, then each node. */
static int note_run(void *user, const dp_history_run *r)
{
    seen *s = user;
    int n =
        snprintf(s->text + s->len, sizeof(s->text) - s->len,
                 "%lld %lld:", (long long)r->wall_ns, (long long)r->cost_pusd);
    s->len += (size_t)n;
    for (size_t i = 0; i < r->n_nodes; i++) {
        n = snprintf(s->text + s->len, sizeof(s->text) - s->len,
                     " %s=%lld/%lld", r->nodes[i].node_id,
                     (long long)r->nodes[i].execution_ns,
                     (long long)r->nodes[i].cost_pusd);
        s->len += (size_t)n;
    }
    s->text[s->len++] = '\n';
    s->text[s->len] = '\0';
    assert_true(s->len < sizeof(s->text) - 200);
    return 0;
}

typedef struct side {
    dp_regress *r;
    int side;
} side;

static int add_side(void *user, const dp_history_run *r)
{
    side *s = user;
    return dp_regress_add(s->r, s->side, r);
}

/* The regression rows of 1.1 against 1.0 as text, read with `want`. */
static void regress_text(dp_history *h, unsigned want, char *out, size_t cap)
{
    dp_regress *r = dp_regress_create();
    assert_non_null(r);
    for (int k = 0; k < 2; k++) {
        dp_history_filter f = {.dag = "code-review-dag",
                               .version = k ? "1.1" : "1.0"};
        side sd = {r, k};
        assert_int_equal(
            dp_history_runs(h, &f, DP_HISTORY_OLDEST, 0, want, add_side, &sd),
            0);
    }
    dp_regress_config c;
    dp_regress_config_init(&c);
    c.min_runs = 2;
    const dp_regress_row *rows;
    long n = dp_regress_compute(r, &c, &rows);
    assert_true(n > 0);
    size_t len = 0;
    for (long i = 0; i < n; i++)
        len += (size_t)snprintf(
            out + len, cap - len, "%s %llu/%llu %lld %lld %.17g %lld %lld %d\n",
            rows[i].node_id ? rows[i].node_id : "(run)",
            (unsigned long long)rows[i].base_runs,
            (unsigned long long)rows[i].cand_runs,
            (long long)rows[i].time.base_p50, (long long)rows[i].time.cand_p50,
            rows[i].time.p_value, (long long)rows[i].cost.base_p50,
            (long long)rows[i].cost.cand_p50, rows[i].time.verdict);
    dp_regress_destroy(r);
}

/* Runs of 1.0 and 1.1 where several share a start time, inserted in the
 * reverse of their trace id order, some with their nodes in another order
 * or without some nodes (so the order of first appearance depends on the
 * tie-break), one without nodes at all. */
static void fill_ties(void)
{
    char err[256];
    dp_fixture f;
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_begin(db), 0);
    for (unsigned k = 0; k < 24; k++) {
        const char *v = k < 12 ? "1.0" : "1.1";
        /* starts: pairs and triples share one */
        uint64_t start = DP_FX_START_UNIX_NS + (k / 3) * 60000000000ULL;
        run_k(&f, 1000 - k, v, start, k);
        if (k % 3 == 1) { /* nodes reversed */
            dp_node tmp[5];
            memcpy(tmp, f.nodes, sizeof(tmp));
            for (size_t i = 0; i < 5; i++)
                f.nodes[i] = tmp[4 - i];
            f.bottlenecks[0].node = 0;
        }
        if (k % 3 == 2)
            f.p.n_nodes = 3; /* the last two missing */
        if (k == 5)
            f.p.n_nodes = 0;
        if (f.p.n_nodes == 0)
            f.p.n_bottlenecks = 0;
        assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    }
    assert_int_equal(dp_history_db_commit(db), 0);
    dp_history_db_close(db);
}

static void samples_equal_general(void)
{
    char err[256];
    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    for (int k = 0; k < 2; k++) {
        dp_history_filter f = {.dag = "code-review-dag",
                               .version = k ? "1.1" : "1.0"};
        static seen a, b;
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        assert_int_equal(dp_history_runs(h, &f, DP_HISTORY_OLDEST, 0,
                                         DP_HISTORY_WANT_NODES, note_run, &a),
                         0);
        assert_int_equal(
            dp_history_runs(h, &f, DP_HISTORY_OLDEST, 0,
                            DP_HISTORY_WANT_NODES | DP_HISTORY_WANT_SAMPLES,
                            note_run, &b),
            0);
        assert_true(a.len > 0);
        assert_string_equal(b.text, a.text);
    }
    static char ra[8192], rb[8192];
    regress_text(h, DP_HISTORY_WANT_NODES, ra, sizeof(ra));
    regress_text(h, DP_HISTORY_WANT_NODES | DP_HISTORY_WANT_SAMPLES, rb,
                 sizeof(rb));
    assert_string_equal(rb, ra);
    dp_history_close(h);
}

static void test_samples_match_general_query(void **state)
{
    (void)state;
    fill_ties();
    samples_equal_general();
}

typedef struct vseen {
    char text[2048];
    size_t len;
} vseen;

static int note_version(void *user, const dp_history_version *v)
{
    vseen *s = user;
    s->len += (size_t)snprintf(
        s->text + s->len, sizeof(s->text) - s->len, "%s %llu %llu %llu\n",
        v->version ? v->version : "(null)", (unsigned long long)v->runs,
        (unsigned long long)v->first_unix_ns,
        (unsigned long long)v->last_unix_ns);
    return 0;
}

/* The GROUP BY versions() ran before schema 5, on the raw file. */
static void versions_by_group(const dp_history_filter *f, vseen *out)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT version, count(*), min(start_ns), max(start_ns) FROM runs "
             "WHERE dag_id = ?1 AND start_ns >= ?2 AND start_ns < ?3 GROUP BY "
             "version ORDER BY min(start_ns), version");
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, f->dag, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)f->since_unix_ns);
    sqlite3_bind_int64(
        s, 3, f->until_unix_ns ? (sqlite3_int64)f->until_unix_ns : INT64_MAX);
    while (sqlite3_step(s) == SQLITE_ROW) {
        dp_history_version v = {(const char *)sqlite3_column_text(s, 0),
                                (uint64_t)sqlite3_column_int64(s, 1),
                                (uint64_t)sqlite3_column_int64(s, 2),
                                (uint64_t)sqlite3_column_int64(s, 3)};
        note_version(out, &v);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void test_versions_match_group_by(void **state)
{
    (void)state;
    char err[256];
    dp_fixture f;
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    /* Versions with shared first starts, runs without a version, a
     * version that sorts before the others by name but starts last, and
     * another DAG's runs. */
    static const char *const versions[] = {"2.0", NULL, "1.0", "1.0", "10",
                                           "2.0", NULL, "0.1", "",    "1.5"};
    static const unsigned minute[] = {0, 0, 0, 5, 1, 7, 9, 9, 3, 4};
    for (unsigned k = 0; k < 10; k++) {
        run_k(&f, k + 1, versions[k],
              DP_FX_START_UNIX_NS + minute[k] * 60000000000ULL, k);
        assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    }
    run_k(&f, 99, "0.0", DP_FX_START_UNIX_NS, 1);
    f.p.dag_id = "other-dag";
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    dp_history_db_close(db);

    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    static const uint64_t bounds[][2] = {{0, 0}, {2, 0},  {0, 6},
                                         {4, 9}, {9, 10}, {20, 30}};
    for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
        dp_history_filter fl = {.dag = "code-review-dag"};
        if (bounds[b][0])
            fl.since_unix_ns =
                DP_FX_START_UNIX_NS + bounds[b][0] * 60000000000ULL;
        if (bounds[b][1])
            fl.until_unix_ns =
                DP_FX_START_UNIX_NS + bounds[b][1] * 60000000000ULL;
        vseen got, want;
        memset(&got, 0, sizeof(got));
        memset(&want, 0, sizeof(want));
        assert_int_equal(dp_history_versions(h, &fl, note_version, &got), 0);
        versions_by_group(&fl, &want);
        assert_string_equal(got.text, want.text);
        if (b == 0) /* all of them, NULL first among the minute-0 ones */
            assert_string_equal(got.text, "(null) 2 1705314600000000000 "
                                          "1705315140000000000\n"
                                          "1.0 2 1705314600000000000 "
                                          "1705314900000000000\n"
                                          "2.0 2 1705314600000000000 "
                                          "1705315020000000000\n"
                                          "10 1 1705314660000000000 "
                                          "1705314660000000000\n"
                                          " 1 1705314780000000000 "
                                          "1705314780000000000\n"
                                          "1.5 1 1705314840000000000 "
                                          "1705314840000000000\n"
                                          "0.1 1 1705315140000000000 "
                                          "1705315140000000000\n");
    }
    dp_history_close(h);
}

/* ------------------------------------------------------------------------ */
/* Migration from schema 4.                                                 */

static void test_migration_from_v4(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp__history_db_open_at(path, 4, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_version(db), 4);
    dp_history_db_close(db);
    assert_int_equal(count("SELECT count(*) FROM sqlite_master WHERE name IN "
                           "('runs_dag_start', 'model_calls_model')"),
                     2);
    /* Rows as schema 4 had them (the v4 writer wrote these columns). */
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    for (int k = 0; k < 6; k++) {
        char sql[1200];
        snprintf(
            sql, sizeof(sql),
            "INSERT INTO runs VALUES (%d, 'aa0000000000000000000000000000%02d',"
            " 'prof-%02d', 'old-dag', '%s', NULL, NULL,"
            " %lld, 1705314601000000000, %d, 1500000000, 2500000000, 0.6,"
            " 10, 5, NULL, NULL, NULL, 15, %d, 1, NULL, 4, 2, NULL, NULL,"
            " 0);"
            "INSERT INTO nodes VALUES (%d, 0, 'a', 'leaf', NULL, 0, 1,"
            " 1, 0, 0, 0, %d, 1, 0, 0, 1, 0, 'ok', NULL, 7, 7, 1);"
            "INSERT INTO nodes VALUES (%d, 1, 'b', 'leaf', NULL, 1, 2,"
            " 2, 0, 0, 0, %d, 1, 0, 0, 1, 0, 'ok', NULL, 9, 9, 1);"
            "INSERT INTO model_calls VALUES (%d, 'm', 1, 1000, 50);"
            "INSERT INTO profiles VALUES (%d, '{}');",
            k + 1, k, k, k < 3 ? "0.9" : "1.0",
            1705314600000000000LL + k * 60000000000LL, 2000000000 + k * 1000,
            1000 + k, k + 1, 100 + k * 3, k + 1, 200 + (k % 2) * 50, k + 1,
            k + 1);
        char *msg = NULL;
        if (sqlite3_exec(raw, sql, NULL, NULL, &msg) != SQLITE_OK)
            fail_msg("%s", msg);
    }
    sqlite3_close(raw);

    /* Read as it is: versions and samples from schema 4's indexes. */
    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    vseen v4;
    memset(&v4, 0, sizeof(v4));
    dp_history_filter fl = {.dag = "old-dag"};
    assert_int_equal(dp_history_versions(h, &fl, note_version, &v4), 0);
    assert_string_equal(v4.text,
                        "0.9 3 1705314600000000000 1705314720000000000\n"
                        "1.0 3 1705314780000000000 1705314900000000000\n");
    static seen s4;
    memset(&s4, 0, sizeof(s4));
    fl.version = "1.0";
    assert_int_equal(
        dp_history_runs(h, &fl, DP_HISTORY_OLDEST, 0,
                        DP_HISTORY_WANT_NODES | DP_HISTORY_WANT_SAMPLES,
                        note_run, &s4),
        0);
    assert_string_equal(s4.text, "2000003000 1003: a=109/7 b=250/9\n"
                                 "2000004000 1004: a=112/7 b=200/9\n"
                                 "2000005000 1005: a=115/7 b=250/9\n");
    dp_history_close(h);

    /* Opening for writing migrates: indexes dropped and widened. */
    db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_version(db), DP_HISTORY_SCHEMA_VERSION);
    assert_int_equal(dp_history_db_run_count(db), 6);
    dp_fixture f;
    run_k(&f, 77, "1.1", 1705314600000000000ULL + 3600000000000ULL, 1);
    f.p.dag_id = "old-dag";
    assert_int_equal(dp_history_db_insert(db, &f.p, "{}", 2), 0);
    dp_history_db_close(db);
    assert_int_equal(count("PRAGMA user_version"), 5);
    assert_int_equal(count("SELECT count(*) FROM sqlite_master WHERE name IN "
                           "('runs_dag_start', 'model_calls_model')"),
                     0);
    assert_int_equal(count("SELECT count(*) FROM pragma_index_info("
                           "'runs_dag_version')"),
                     5);
    assert_int_equal(count("SELECT count(*) FROM model_calls"), 6 + 4);

    /* The same answers from schema 5. */
    h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    vseen v5;
    memset(&v5, 0, sizeof(v5));
    fl.version = NULL;
    assert_int_equal(dp_history_versions(h, &fl, note_version, &v5), 0);
    assert_string_equal(v5.text,
                        "0.9 3 1705314600000000000 1705314720000000000\n"
                        "1.0 3 1705314780000000000 1705314900000000000\n"
                        "1.1 1 1705318200000000000 1705318200000000000\n");
    static seen s5;
    memset(&s5, 0, sizeof(s5));
    fl.version = "1.0";
    assert_int_equal(
        dp_history_runs(h, &fl, DP_HISTORY_OLDEST, 0,
                        DP_HISTORY_WANT_NODES | DP_HISTORY_WANT_SAMPLES,
                        note_run, &s5),
        0);
    assert_string_equal(s5.text, s4.text);
    dp_history_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prepared_once_across_batches,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_run_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_samples_match_general_query, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_versions_match_group_by, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migration_from_v4, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
