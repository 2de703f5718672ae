/*
 * schema.c - the SQLite history schema and its migrations.
 *
 * The schema's version is SQLite's PRAGMA user_version: 0 is an empty
 * file, N means migrations 1..N have run. Opening a store for writing
 * runs the missing migrations in order, each in its own transaction
 * together with the new user_version, so a store is always at one whole
 * version. A store of a newer version than this build knows is refused
 * (an older dagprof must not write rows a newer schema reads differently).
 *
 * Version 1: runs, nodes, bottlenecks, profiles (the JSON), indexes by DAG
 * and start time. Version 2: runs.failed_nodes (error rate without
 * scanning nodes), backfilled from the node rows, and an index by DAG,
 * version and start time for regressions. Version 3: a covering index of
 * what trends reads (DAG, start, version, wall, cost, tokens, failed
 * nodes), so trends over a million runs never touch the table. Version
 * 4: model_calls, per run and model the LLM calls that reported output
 * tokens (count, their summed time, their output tokens), from which
 * `dagprof whatif` scales a model swap's latency by the two models'
 * throughput; runs stored before it have no rows there (their profiles
 * keep no per-call usage to backfill from). Version 5 writes less and
 * reads regressions faster: runs_dag_start goes (runs_trend starts with
 * the same two columns and serves the same queries), model_calls_model
 * goes (the throughput query never used it: LIKE is case-insensitive and
 * the index is not), and runs_dag_version also holds wall and cost, so
 * the runs side of a regression is read from the index alone. Every run
 * then writes 4 index entries instead of 6, and 4 model rows 4 b-tree
 * entries instead of 8.
 *
 * Meaning of the columns (the same in every backend): times are integer
 * nanoseconds (start_ns Unix epoch; node start/end offsets from the run's
 * start), money integer pico-USD, tokens integers (NULL where no span
 * reported them), kind/status/type/severity the profile's words.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "history.h"
#include "history_internal.h"

static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE runs ("
    " run_id INTEGER PRIMARY KEY,"
    " trace_id TEXT NOT NULL UNIQUE,"
    " profile_id TEXT NOT NULL,"
    " dag_id TEXT NOT NULL,"
    " version TEXT,"
    " session_id TEXT,"
    " service_name TEXT,"
    " start_ns INTEGER NOT NULL,"
    " profiled_at_ns INTEGER NOT NULL,"
    " wall_ns INTEGER NOT NULL,"
    " critical_path_ns INTEGER NOT NULL,"
    " sum_execution_ns INTEGER NOT NULL,"
    " efficiency REAL NOT NULL,"
    " input_tokens INTEGER,"
    " output_tokens INTEGER,"
    " cache_read_tokens INTEGER,"
    " cache_write_tokens INTEGER,"
    " reasoning_tokens INTEGER,"
    " total_tokens INTEGER,"
    " cost_pusd INTEGER NOT NULL,"
    " complete INTEGER NOT NULL,"
    " incomplete_reason TEXT,"
    " span_count INTEGER NOT NULL,"
    " node_count INTEGER NOT NULL,"
    " top_bottleneck TEXT,"
    " top_bottleneck_node TEXT);"
    "CREATE INDEX runs_dag_start ON runs(dag_id, start_ns);"
    "CREATE INDEX runs_start ON runs(start_ns);"
    "CREATE TABLE nodes ("
    " run_id INTEGER NOT NULL,"
    " idx INTEGER NOT NULL,"
    " node_id TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " parent TEXT,"
    " start_ns INTEGER NOT NULL,"
    " end_ns INTEGER NOT NULL,"
    " duration_ns INTEGER NOT NULL,"
    " wait_ns INTEGER NOT NULL,"
    " dependency_wait_ns INTEGER NOT NULL,"
    " queue_delay_ns INTEGER NOT NULL,"
    " execution_ns INTEGER NOT NULL,"
    " self_ns INTEGER NOT NULL,"
    " llm_ns INTEGER NOT NULL,"
    " tool_ns INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL,"
    " retries INTEGER NOT NULL,"
    " status TEXT NOT NULL,"
    " tokens INTEGER,"
    " cost_pusd INTEGER NOT NULL,"
    " own_cost_pusd INTEGER NOT NULL,"
    " critical INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE bottlenecks ("
    " run_id INTEGER NOT NULL,"
    " idx INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " node_id TEXT NOT NULL,"
    " severity TEXT NOT NULL,"
    " impact REAL NOT NULL,"
    " PRIMARY KEY (run_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE profiles ("
    " run_id INTEGER PRIMARY KEY,"
    " json TEXT NOT NULL);",
    /* 2 */
    "ALTER TABLE runs ADD COLUMN failed_nodes INTEGER NOT NULL DEFAULT 0;"
    "UPDATE runs SET failed_nodes = (SELECT count(*) FROM nodes"
    " WHERE nodes.run_id = runs.run_id AND nodes.status = 'error');"
    "CREATE INDEX runs_dag_version ON runs(dag_id, version, start_ns);",
    /* 3 */
    "CREATE INDEX runs_trend ON runs(dag_id, start_ns, version, wall_ns,"
    " cost_pusd, total_tokens, failed_nodes);",
    /* 4 */
    "CREATE TABLE model_calls ("
    " run_id INTEGER NOT NULL,"
    " model TEXT NOT NULL,"
    " calls INTEGER NOT NULL,"
    " llm_ns INTEGER NOT NULL,"
    " output_tokens INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, model)) WITHOUT ROWID;"
    "CREATE INDEX model_calls_model ON model_calls(model);",
    /* 5 */
    "DROP INDEX runs_dag_start;"
    "DROP INDEX model_calls_model;"
    "DROP INDEX runs_dag_version;"
    "CREATE INDEX runs_dag_version ON runs(dag_id, version, start_ns,"
    " wall_ns, cost_pusd);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
                   DP_HISTORY_SCHEMA_VERSION,
               "one migration per schema version");

int dp__history_user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int dp__history_migrate(sqlite3 *db, int target, const char *path, char *err,
                        size_t err_len)
{
    int v = dp__history_user_version(db);
    if (v < 0) {
        snprintf(err, err_len, "%s: not a readable SQLite database: %s", path,
                 sqlite3_errmsg(db));
        return DP_EIO;
    }
    if (v > DP_HISTORY_SCHEMA_VERSION) {
        snprintf(err, err_len,
                 "%s: history schema version %d is newer than this "
                 "dagprof's (%d); use a newer dagprof or another "
                 "history.path",
                 path, v, DP_HISTORY_SCHEMA_VERSION);
        return DP_EINVAL;
    }
    for (; v < target; v++) {
        char *msg = NULL;
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) !=
                SQLITE_OK ||
            sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, err_len,
                     "%s: migrating the history schema to version %d: %s", path,
                     v + 1, msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return DP_EIO;
        }
    }
    return 0;
}
