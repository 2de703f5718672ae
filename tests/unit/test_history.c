/*
 * test_history.c - the SQLite history store (history/schema.c, sqlite.c,
 * sqlite_query.c, query.c, writer.c): the schema and its migration from
 * version 1, a store newer than the build refused, a profile in as rows
 * and back out through the query interface (run, nodes, bottlenecks, the
 * JSON), replacing a run loaded twice, filters and orders, versions,
 * retention by age and by size, the history exporter's batches, and the
 * errors of opening a store.
 *
 * Profiles are the hand-built code-review fixture (profile_fixture.h),
 * copied with other trace ids, start times, walls, costs and versions.
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
#include "profile_fixture.h"
#include "profile_json.h"

#define SEC 1000000000ULL

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    dp_history_dir_make(dir, path, "history");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dp_history_dir_remove(dir);
    return 0;
}

/* The fixture as run k: trace id ...k, start + k minutes, wall and cost
 * scaled, with a version and a DAG. */
static void run_k(dp_fixture *f, unsigned k, const char *dag,
                  const char *version, uint64_t start, double scale)
{
    dp_fixture_code_review(f);
    snprintf(f->p.trace_id_hex, sizeof(f->p.trace_id_hex), "%032x", k + 1);
    snprintf(f->p.profile_id, sizeof(f->p.profile_id), "prof-%016x", k + 1);
    f->p.dag_id = dag;
    f->p.version = version;
    f->p.start_unix_ns = start;
    f->p.wall_ns = (int64_t)((double)f->p.wall_ns * scale);
    f->p.cost_pusd = (int64_t)((double)f->p.cost_pusd * scale);
    f->nodes[1].execution_ns =
        (int64_t)((double)f->nodes[1].execution_ns * scale);
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

static void test_history_schema_created(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_version(db), DP_HISTORY_SCHEMA_VERSION);
    assert_int_equal(dp_history_db_run_count(db), 0);
    dp_history_db_close(db);
    assert_int_equal(count("PRAGMA user_version"), DP_HISTORY_SCHEMA_VERSION);
    assert_int_equal(count("PRAGMA auto_vacuum"), 2); /* incremental */
    assert_int_equal(count("SELECT count(*) FROM sqlite_master WHERE type = "
                           "'table' AND name IN ('runs', 'nodes', "
                           "'bottlenecks', 'profiles')"),
                     4);
    /* journal_mode is persistent in WAL mode: the file says so. */
    sqlite3 *raw;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &s, NULL);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(raw);
    /* Opening again migrates nothing and keeps the version. */
    db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_version(db), DP_HISTORY_SCHEMA_VERSION);
    dp_history_db_close(db);
}

/* A version-1 store (no failed_nodes) with one run whose node failed:
 * opening it for writing migrates it to version 2, backfilling
 * failed_nodes from the node rows, and keeps the run. */
static void test_history_migration_from_v1(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp__history_db_open_at(path, 1, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_version(db), 1);
    dp_history_db_close(db);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(
            raw,
            "INSERT INTO runs VALUES (7, 'aa000000000000000000000000000001',"
            " 'prof-aa00000000000000', 'old-dag', '0.9', NULL, NULL,"
            " 1705314600000000000, 1705314601000000000, 2000000000,"
            " 1500000000, 2500000000, 0.6, 10, 5, NULL, NULL, NULL, 15,"
            " 1000000000, 1, NULL, 4, 2, NULL, NULL);"
            "INSERT INTO nodes VALUES (7, 0, 'a', 'leaf', NULL, 0, 1000000000,"
            " 1000000000, 0, 0, 0, 1000000000, 1000000000, 0, 0, 1, 0, 'ok',"
            " NULL, 0, 0, 1);"
            "INSERT INTO nodes VALUES (7, 1, 'b', 'leaf', NULL, 1000000000,"
            " 2000000000, 2000000000, 0, 0, 0, 1000000000, 1000000000, 0, 0,"
            " 2, 1, 'error', NULL, 0, 0, 1);",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);

    /* Read as it is (version 1): failed nodes counted from the rows. */
    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    dp_history_close(h);

    db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_version(db), DP_HISTORY_SCHEMA_VERSION);
    assert_int_equal(dp_history_db_run_count(db), 1);
    dp_history_db_close(db);
    assert_int_equal(count("SELECT failed_nodes FROM runs WHERE run_id = 7"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM sqlite_master WHERE name IN "
                           "('runs_dag_version', 'runs_trend', "
                           "'model_calls')"),
                     3);
}

static void test_history_newer_schema_refused(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    dp_history_db_close(db);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(raw);
    assert_null(dp_history_db_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "version 99 is newer"));
    assert_null(dp_history_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "newer"));
}

typedef struct got {
    int n;
    dp_history_run run; /* the last, with copied strings below */
    char trace[33], dag[64], version[32], top[64], top_node[64];
    char node_ids[8][32];
    dp_history_node nodes[8];
    size_t n_nodes;
    char traces[16][33];
} got;

static int collect(void *user, const dp_history_run *r)
{
    got *g = user;
    if (g->n < 16)
        snprintf(g->traces[g->n], 33, "%s", r->trace_id);
    g->n++;
    g->run = *r;
    snprintf(g->trace, sizeof(g->trace), "%s", r->trace_id);
    snprintf(g->dag, sizeof(g->dag), "%s", r->dag_id);
    snprintf(g->version, sizeof(g->version), "%s",
             r->version ? r->version : "(null)");
    snprintf(g->top, sizeof(g->top), "%s",
             r->top_bottleneck ? r->top_bottleneck : "(null)");
    snprintf(g->top_node, sizeof(g->top_node), "%s",
             r->top_bottleneck_node ? r->top_bottleneck_node : "(null)");
    g->n_nodes = r->n_nodes < 8 ? r->n_nodes : 8;
    for (size_t i = 0; i < g->n_nodes; i++) {
        g->nodes[i] = r->nodes[i];
        snprintf(g->node_ids[i], 32, "%s", r->nodes[i].node_id);
    }
    return 0;
}

static void test_history_insert_and_query(void **state)
{
    (void)state;
    char err[256];
    dp_fixture f;
    dp_fixture_code_review(&f);
    f.p.version = "1.4";
    f.p.service_name = "reviewer";
    f.nodes[4].status = DP_STATUS_ERROR;
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    /* The same trace again (a file loaded twice): replaced, not doubled. */
    assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    assert_int_equal(dp_history_db_run_count(db), 1);
    dp_history_db_close(db);
    assert_int_equal(count("SELECT count(*) FROM nodes"), 5);
    assert_int_equal(count("SELECT count(*) FROM bottlenecks"), 1);
    assert_int_equal(count("SELECT count(*) FROM profiles"), 1);

    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    assert_string_equal(dp_history_backend_name(h), "sqlite");
    got g;
    memset(&g, 0, sizeof(g));
    assert_int_equal(
        dp_history_runs(h, NULL, DP_HISTORY_NEWEST, 0,
                        DP_HISTORY_WANT_NODES | DP_HISTORY_WANT_BOTTLENECKS,
                        collect, &g),
        0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.trace, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(g.dag, "code-review-dag");
    assert_string_equal(g.version, "1.4");
    assert_int_equal(g.run.start_unix_ns, DP_FX_START_UNIX_NS);
    assert_int_equal(g.run.wall_ns, DP_FX_MS(16000));
    assert_int_equal(g.run.critical_path_ns, DP_FX_MS(15796.125));
    assert_int_equal(g.run.cost_pusd, f.p.cost_pusd);
    assert_int_equal(g.run.tokens, 30950);
    assert_true(g.run.complete);
    assert_int_equal(g.run.span_count, 20);
    assert_int_equal(g.run.node_count, 5);
    assert_int_equal(g.run.failed_nodes, 1);
    assert_string_equal(g.top, "dependency_wait");
    assert_string_equal(g.top_node, "aggregate-results");
    assert_int_equal(g.run.bottlenecks[DP_BN_DEPENDENCY_WAIT], 1);
    assert_int_equal(g.run.bottlenecks[DP_BN_SLOW_NODE], 0);
    assert_int_equal(g.n_nodes, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(g.node_ids[i], f.nodes[i].id);
        assert_int_equal(g.nodes[i].execution_ns, f.nodes[i].execution_ns);
        assert_int_equal(g.nodes[i].cost_pusd, f.nodes[i].cost_pusd);
        assert_int_equal(g.nodes[i].own_cost_pusd, f.nodes[i].own_cost_pusd);
    }
    assert_int_equal(g.nodes[4].status, DP_STATUS_ERROR);

    /* The stored JSON is the writer's line, by full id and by prefix. */
    dp_buf want, json;
    dp_buf_init(&want);
    dp_buf_init(&json);
    assert_int_equal(dp_profile_json_write(&want, &f.p), 0);
    assert_int_equal(dp_history_profile(h, g.trace, &json), 0);
    assert_int_equal(json.len, want.len - 1); /* without the newline */
    assert_memory_equal(json.data, want.data, json.len);
    dp_buf_reset(&json);
    assert_int_equal(dp_history_profile(h, "4bf92f35", &json), 0);
    assert_int_equal(json.len, want.len - 1);
    assert_int_equal(dp_history_profile(h, "4bf92f36", &json), DP_ENOENT);
    assert_int_equal(dp_history_profile(h, "4bf9", &json), DP_EINVAL);
    dp_buf_fini(&want);
    dp_buf_fini(&json);
    dp_history_close(h);
}

static void test_history_filters_and_orders(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    /* k: dag, version, start (min from the fixture's), scale. */
    static const struct {
        const char *dag, *version;
        unsigned min;
        double scale;
    } runs[] = {{"a", "1.0", 0, 1.0},
                {"a", "1.0", 10, 3.0},
                {"a", "1.1", 20, 0.5},
                {"b", NULL, 30, 2.0},
                {"a", "1.1", 40, 1.5}};
    dp_history_db_begin(db);
    for (unsigned k = 0; k < 5; k++) {
        dp_fixture f;
        run_k(&f, k, runs[k].dag, runs[k].version,
              DP_FX_START_UNIX_NS + runs[k].min * 60 * SEC, runs[k].scale);
        assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    }
    assert_int_equal(dp_history_db_commit(db), 0);
    dp_history_db_close(db);

    dp_history *h = dp_history_open(path, err, sizeof(err));
    assert_non_null(h);
    got g;
#define RUNS(filter, order, limit)                                             \
    (memset(&g, 0, sizeof(g)),                                                 \
     assert_int_equal(                                                         \
         dp_history_runs(h, filter, order, limit, 0, collect, &g), 0))
    RUNS(NULL, DP_HISTORY_NEWEST, 0);
    assert_int_equal(g.n, 5);
    assert_string_equal(g.traces[0], "00000000000000000000000000000005");
    assert_string_equal(g.traces[4], "00000000000000000000000000000001");
    RUNS(NULL, DP_HISTORY_OLDEST, 2);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.traces[0], "00000000000000000000000000000001");
    RUNS(NULL, DP_HISTORY_SLOWEST, 0);
    assert_string_equal(g.traces[0], "00000000000000000000000000000002");
    assert_string_equal(g.traces[1], "00000000000000000000000000000004");
    assert_string_equal(g.traces[4], "00000000000000000000000000000003");
    RUNS(NULL, DP_HISTORY_COSTLIEST, 1);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.traces[0], "00000000000000000000000000000002");

    dp_history_filter f = {.dag = "a"};
    RUNS(&f, DP_HISTORY_OLDEST, 0);
    assert_int_equal(g.n, 4);
    f.version = "1.1";
    RUNS(&f, DP_HISTORY_OLDEST, 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.traces[0], "00000000000000000000000000000003");
    memset(&f, 0, sizeof(f));
    f.since_unix_ns = DP_FX_START_UNIX_NS + 10 * 60 * SEC;
    f.until_unix_ns = DP_FX_START_UNIX_NS + 40 * 60 * SEC;
    RUNS(&f, DP_HISTORY_OLDEST, 0);
    assert_int_equal(g.n, 3); /* 10, 20, 30 min: since inclusive */
    assert_string_equal(g.traces[0], "00000000000000000000000000000002");
    f = (dp_history_filter){.trace_id = "00000000000000000000000000000004"};
    RUNS(&f, DP_HISTORY_NEWEST, 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.dag, "b");
    assert_string_equal(g.version, "(null)");
#undef RUNS
    dp_history_close(h);
}

/* WANT_TREND: the fields trends reads, equal to the full rows', from the
 * covering index alone. */
static void test_history_trend_query_covered(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    dp_fixture f;
    run_k(&f, 0, "d", "2.1", DP_FX_START_UNIX_NS, 1.5);
    f.nodes[2].status = DP_STATUS_ERROR;
    assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    dp_history_db_close(db);
    dp_history *h = dp_history_open(path, err, sizeof(err));
    got full, slim;
    memset(&full, 0, sizeof(full));
    memset(&slim, 0, sizeof(slim));
    dp_history_filter fl = {.dag = "d", .since_unix_ns = 1};
    assert_int_equal(
        dp_history_runs(h, &fl, DP_HISTORY_OLDEST, 0, 0, collect, &full), 0);
    assert_int_equal(dp_history_runs(h, &fl, DP_HISTORY_OLDEST, 0,
                                     DP_HISTORY_WANT_TREND, collect, &slim),
                     0);
    assert_int_equal(slim.n, 1);
    assert_string_equal(slim.dag, "d");
    assert_string_equal(slim.version, "2.1");
    assert_int_equal(slim.run.start_unix_ns, full.run.start_unix_ns);
    assert_int_equal(slim.run.wall_ns, full.run.wall_ns);
    assert_int_equal(slim.run.cost_pusd, full.run.cost_pusd);
    assert_int_equal(slim.run.tokens, full.run.tokens);
    assert_int_equal(slim.run.failed_nodes, 1);
    dp_history_close(h);
    /* The plan reads the index only. */
    sqlite3 *raw;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(raw,
                           "EXPLAIN QUERY PLAN SELECT 0, NULL, dag_id, "
                           "version, NULL, NULL, start_ns, wall_ns, 0, 0, "
                           "total_tokens, cost_pusd, 1, NULL, 0, 0, NULL, "
                           "NULL, failed_nodes FROM runs WHERE 1 AND dag_id "
                           "= 'd' AND start_ns >= 1 ORDER BY start_ns",
                           -1, &s, NULL),
        SQLITE_OK);
    bool covered = false;
    while (sqlite3_step(s) == SQLITE_ROW)
        covered |= strstr((const char *)sqlite3_column_text(s, 3),
                          "COVERING INDEX runs_trend") != NULL;
    sqlite3_finalize(s);
    sqlite3_close(raw);
    assert_true(covered);
}

typedef struct vers {
    int n;
    char v[4][16];
    uint64_t runs[4];
} vers;

static int collect_version(void *user, const dp_history_version *v)
{
    vers *s = user;
    snprintf(s->v[s->n], 16, "%s", v->version ? v->version : "(null)");
    s->runs[s->n++] = v->runs;
    return 0;
}

static void test_history_versions(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    /* 2.0 first seen after 1.9, though inserted first. */
    const char *v[] = {"2.0", "1.9", "1.9", "2.0", "2.0"};
    const unsigned min[] = {50, 10, 20, 60, 70};
    for (unsigned k = 0; k < 5; k++) {
        dp_fixture f;
        run_k(&f, k, "d", v[k], DP_FX_START_UNIX_NS + min[k] * 60 * SEC, 1);
        assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    }
    dp_history_db_close(db);
    dp_history *h = dp_history_open(path, err, sizeof(err));
    vers s;
    memset(&s, 0, sizeof(s));
    dp_history_filter f = {.dag = "d"};
    assert_int_equal(dp_history_versions(h, &f, collect_version, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0], "1.9");
    assert_int_equal(s.runs[0], 2);
    assert_string_equal(s.v[1], "2.0");
    assert_int_equal(s.runs[1], 3);
    f.dag = "other";
    memset(&s, 0, sizeof(s));
    assert_int_equal(dp_history_versions(h, &f, collect_version, &s), 0);
    assert_int_equal(s.n, 0);
    dp_history_close(h);
}

static void test_history_retention_by_age(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    for (unsigned k = 0; k < 10; k++) {
        dp_fixture f;
        run_k(&f, k, "d", "1", DP_FX_START_UNIX_NS + k * 3600 * SEC, 1);
        assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    }
    uint64_t deleted = 0, total = 0;
    /* Runs started before hour 4 go: 0..3, in chunks of 3. */
    uint64_t cutoff = DP_FX_START_UNIX_NS + 4 * 3600 * SEC;
    assert_int_equal(dp_history_db_retain_step(db, cutoff, 0, 3, &deleted), 1);
    assert_int_equal(deleted, 3);
    total += deleted;
    assert_int_equal(dp_history_db_retain_step(db, cutoff, 0, 3, &deleted), 1);
    total += deleted;
    assert_int_equal(dp_history_db_retain_step(db, cutoff, 0, 3, &deleted), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(total, 4);
    assert_int_equal(dp_history_db_run_count(db), 6);
    dp_history_db_close(db);
    /* The nodes, bottlenecks and profiles of the deleted runs went too. */
    assert_int_equal(count("SELECT count(*) FROM nodes"), 30);
    assert_int_equal(count("SELECT count(*) FROM bottlenecks"), 6);
    assert_int_equal(count("SELECT count(*) FROM profiles"), 6);
    assert_int_equal(count("SELECT min(start_ns) FROM runs"), (int64_t)cutoff);
}

static void test_history_retention_by_size(void **state)
{
    (void)state;
    char err[256];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    dp_history_db_begin(db);
    for (unsigned k = 0; k < 300; k++) {
        dp_fixture f;
        run_k(&f, k, "d", "1", DP_FX_START_UNIX_NS + k * SEC, 1);
        assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    }
    dp_history_db_commit(db);
    uint64_t full = dp_history_db_used_bytes(db);
    assert_true(full > 300 * 1000); /* a few KiB per run */
    uint64_t limit = full / 2, deleted, total = 0;
    int more, steps = 0;
    do {
        more = dp_history_db_retain_step(db, 0, limit, 1000, &deleted);
        assert_true(more >= 0);
        total += deleted;
    } while (more && ++steps < 100);
    uint64_t left = dp_history_db_run_count(db);
    assert_true(dp_history_db_used_bytes(db) <= limit);
    assert_int_equal(left + total, 300);
    assert_true(left >= 100 && left <= 160); /* about half, not all */
    dp_history_db_close(db);
    /* The oldest went: what is left is the newest, contiguous. */
    assert_int_equal(count("SELECT max(start_ns) FROM runs"),
                     (int64_t)(DP_FX_START_UNIX_NS + 299 * SEC));
    assert_int_equal(count("SELECT min(start_ns) FROM runs"),
                     (int64_t)(DP_FX_START_UNIX_NS + total * SEC));
}

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
    return fake_now;
}

/* The exporter: export() adds to a batch, committed at batch_size or by
 * sync (the flush); retention uses the writer's clock. */
static void test_history_writer_batches(void **state)
{
    (void)state;
    char err[256];
    dp_history_config cfg = {.path = path,
                             .batch_size = 4,
                             .flush_interval_ns = 3600 * SEC,
                             .retention_ns = 3600 * SEC,
                             .clock_unix_ns = fake_clock};
    fake_now = DP_FX_START_UNIX_NS; /* nothing is old yet */
    dp_history_writer *w = dp_history_writer_create(&cfg, err, sizeof(err));
    assert_non_null(w);
    /* The pass the writer's thread runs at start (it commits what is
     * open first): waited for, so the batches below are the exports'. */
    dp_history_writer_stats st;
    for (int i = 0; i < 5000; i++) {
        dp_history_writer_stats_get(w, &st);
        if (st.retention_runs)
            break;
        usleep(1000);
    }
    assert_int_equal(st.retention_runs, 1);
    for (unsigned k = 0; k < 6; k++) {
        dp_fixture f;
        run_k(&f, k, "d", "1", DP_FX_START_UNIX_NS + k * 60 * SEC, 1);
        dp_record r;
        memset(&r, 0, sizeof(r));
        r.kind = DP_RECORD_PROFILE;
        r.profile = &f.p;
        assert_int_equal(dp_history_ops.export(w, &r), DP_EXPORTER_OK);
    }
    dp_history_writer_stats_get(w, &st);
    assert_int_equal(st.runs_written, 4); /* one batch of 4 committed */
    assert_int_equal(st.commits, 1);
    assert_int_equal(count("SELECT count(*) FROM runs"), 4);
    dp_history_ops.flush(w);
    dp_history_writer_stats_get(w, &st);
    assert_int_equal(st.runs_written, 6);
    assert_int_equal(count("SELECT count(*) FROM runs"), 6);
    /* 1h03m later the runs of minutes 0..2 are past the retention. */
    fake_now = DP_FX_START_UNIX_NS + 3 * 60 * SEC + 3600 * SEC;
    dp_history_writer_sync(w);
    dp_history_writer_stats_get(w, &st);
    assert_int_equal(st.runs_retained, 3);
    assert_int_equal(st.write_errors, 0);
    dp_history_ops.destroy(w);
    assert_int_equal(count("SELECT count(*) FROM runs"), 3);
}

static void test_history_open_errors(void **state)
{
    (void)state;
    char err[256];
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/none.db", dir);
    assert_null(dp_history_open(missing, err, sizeof(err)));
    assert_non_null(strstr(err, "no history store there"));
    assert_null(
        dp_history_open("clickhouse://127.0.0.1:1/db", err, sizeof(err)));
    assert_non_null(strstr(err, "cannot be reached"));
    FILE *fp = fopen(path, "w");
    fputs("not a database, just text\n", fp);
    fclose(fp);
    assert_null(dp_history_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "not a history store"));
    assert_null(dp_history_db_open(path, err, sizeof(err)));
    /* An empty SQLite file has no schema: not a store to read. */
    unlink(path);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE x (a)", NULL, NULL, NULL);
    sqlite3_close(raw);
    assert_null(dp_history_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "no dagprof schema"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_history_schema_created, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_migration_from_v1, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_newer_schema_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_insert_and_query, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_filters_and_orders, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_trend_query_covered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_retention_by_age, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_retention_by_size, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_writer_batches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_open_errors, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
