/*
 * history.h - the run history: finished profiles kept in a store, and the
 * one query interface the history commands (runs, show, trends,
 * regressions, report --summary --history, compare --history) read it
 * through. DESIGN.md "History, trends, regressions".
 *
 * Where it sits: after the exporters. `dagprof serve` adds the history
 * writer (writer.c) to its exporter pipeline like any other exporter: its
 * own bounded queue and thread, drops counted, never waited on by ingest.
 * `dagprof report --history PATH` writes the profiles it makes (or reads
 * back) through the same store calls. The processor knows nothing of it:
 * the history reads profiles, nothing else.
 *
 * Store (SQLite, sqlite.c and schema.c): one row per run, per node, per
 * bottleneck, and the profile JSON itself; the schema is versioned
 * (PRAGMA user_version) and migrated when a store is opened for writing;
 * WAL mode; retention by age and by size (retention.c).
 *
 * ClickHouse (clickhouse.c, clickhouse_query.c): history.path
 * clickhouse://host:8123/db; the same operations over its HTTP interface.
 *
 * Queries (query.c): a dp_history handle wraps a backend behind a small
 * table of operations (dp_history_backend) so that a second backend
 * (ClickHouse) fits without touching the commands. Statistics over runs
 * (trends.c: buckets, nearest-rank percentiles, sparklines; mwu.c: the
 * Mann-Whitney U test; regress.c: per-node regressions) are computed here
 * in C from the rows a backend delivers, so every backend gives the same
 * answers on the same profiles. A backend may do the heavy part itself
 * (dp_history_trends, dp_history_regress: ClickHouse aggregates the
 * buckets and gathers the per-node samples, clickhouse_stats.c); the
 * percentiles, the U test and the verdicts stay this code's.
 */
#ifndef DP_HISTORY_H
#define DP_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "exporter.h"
#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema version this build writes and reads (PRAGMA user_version). */
#define DP_HISTORY_SCHEMA_VERSION 5

/* ------------------------------------------------------------------------ */
/* The SQLite store, write side (sqlite.c).                                 */

typedef struct dp_history_db dp_history_db;

/* Opens (creating it and its directory's last component when missing) the
 * store at path for writing: WAL mode, incremental auto-vacuum, schema
 * created or migrated to DP_HISTORY_SCHEMA_VERSION. A store written by a
 * newer dagprof (higher version) is refused. NULL with a message naming
 * the path in err. */
dp_history_db *dp_history_db_open(const char *path, char *err, size_t err_len);
/* Opens at most up to schema version `version` (tests of migrations). */
dp_history_db *dp__history_db_open_at(const char *path, int version, char *err,
                                      size_t err_len);
/* Commits an open transaction and closes. Accepts NULL. */
void dp_history_db_close(dp_history_db *db);
/* SQL statements the store has prepared since it was opened: inserts
 * reuse theirs across runs and batches (tests). */
uint64_t dp__history_db_prepares(const dp_history_db *db);

/* The schema version of the open store. */
int dp_history_db_version(dp_history_db *db);

/* Transactions: begin is a no-op when one is open; commit when none is.
 * Return 0 or DP_EIO (message logged). */
int dp_history_db_begin(dp_history_db *db);
int dp_history_db_commit(dp_history_db *db);
bool dp_history_db_in_transaction(const dp_history_db *db);
/* Abandons the open transaction (ClickHouse: the rows buffered since the
 * last flush); a no-op when none is open. */
void dp_history_db_rollback(dp_history_db *db);

/* Stores one profile: its run row, node rows, bottleneck rows and JSON
 * (json NULL: rendered here). A run with the same trace id already stored
 * is replaced (profiles loaded twice are kept once). Inside the open
 * transaction, else its own. Returns 0, DP_ENOMEM or DP_EIO. A run that
 * fails leaves none of its rows and the open transaction goes on, except
 * when SQLite rolled it back itself (I/O error, disk full): then
 * dp_history_db_in_transaction() is false and the batch is lost.
 * Statements are prepared once per store (the multi-row inserts of node,
 * bottleneck and model rows the first time a run has that many) and
 * reused by every later run and batch. O(nodes + calls). */
int dp_history_db_insert(dp_history_db *db, const dp_profile *p,
                         const char *json, size_t json_len);

/* Bytes the store's pages hold (page_count - freelist_count) x page_size,
 * the figure max_size is compared with. */
uint64_t dp_history_db_used_bytes(dp_history_db *db);

/* Runs stored. */
uint64_t dp_history_db_run_count(dp_history_db *db);

/* One step of retention, in its own transaction: deletes at most `chunk`
 * of the oldest runs (by start time) that started before cutoff_unix_ns
 * (0: no age limit) or, while used bytes exceed max_size (0: no limit),
 * the oldest runs. Freed pages are given back to the file system
 * (incremental vacuum). *deleted receives the runs deleted. Returns 1 when
 * more remains to delete, 0 when done, DP_EIO on error. Keeps each
 * transaction short, so the writer is never held up for long. */
int dp_history_db_retain_step(dp_history_db *db, uint64_t cutoff_unix_ns,
                              uint64_t max_size, size_t chunk,
                              uint64_t *deleted);

/* Tells the store the age limit (0: none) before retention runs: a
 * ClickHouse server with table TTL (19.6 and later) then keeps it as a TTL
 * on every table and dp_history_db_retain_step deletes by size only; an
 * older server and SQLite delete by age in dp_history_db_retain_step.
 * Returns 0 or DP_EIO (logged; retention by age falls back to deletes). */
int dp_history_db_set_retention(dp_history_db *db, uint64_t retention_ns);

/* ------------------------------------------------------------------------ */
/* The writer: the history exporter of `dagprof serve` (writer.c).          */

typedef struct dp_history_config {
    const char *path;                /* the SQLite file or clickhouse:// */
    uint64_t retention_ns;           /* keep runs this long; 0: forever */
    uint64_t max_size;               /* bytes; 0: no limit */
    uint64_t flush_interval_ns;      /* commit at least this often: 1 s */
    size_t batch_size;               /* commit after this many runs: 500 */
    uint64_t retention_interval_ns;  /* retention runs this often: 60 s */
    uint64_t (*clock_unix_ns)(void); /* NULL: the real clock (tests) */
    int priority; /* enum dp_history_priority: its threads' CPU priority */
    /* Tests: called (lock held) before each commit of `runs` runs, as a
     * slow store would take its time. NULL: none. */
    void (*commit_hook)(void *arg, size_t runs);
    void *commit_hook_arg;
} dp_history_config;

/* history.priority: the writer's threads (the exporter thread that inserts
 * and the one that commits on time and runs retention). BACKGROUND lowers
 * each to nice 19 (setpriority on the thread's id): under saturation the
 * receivers and shards get the CPU, the history queue fills and drops
 * (counted) instead of slowing acceptance; on an idle enough machine it
 * runs as fast as before. NORMAL leaves them at the process's priority. */
enum dp_history_priority {
    DP_HISTORY_PRIORITY_BACKGROUND = 0,
    DP_HISTORY_PRIORITY_NORMAL = 1
};
#define DP_HISTORY_BACKGROUND_NICE 19

/* Lowers the calling thread to nice DP_HISTORY_BACKGROUND_NICE. Returns 0
 * or an errno value. Allowed without privileges (a thread may always
 * lower its own priority). */
int dp_history_thread_background(void);

typedef struct dp_history_writer dp_history_writer;

/* Profiles only; export() adds the run to the open batch. */
extern const dp_exporter_ops dp_history_ops;

/* Opens the store (see dp_history_db_open) and starts the background
 * thread that commits open batches every flush_interval and runs
 * retention every retention_interval (and once at start). Returns the ctx
 * for dp_exporters_add(&dp_history_ops, ...), or NULL with a message. */
dp_history_writer *dp_history_writer_create(const dp_history_config *cfg,
                                            char *err, size_t err_len);

typedef struct dp_history_writer_stats {
    uint64_t runs_written;     /* committed */
    uint64_t commits;          /* transactions committed */
    uint64_t write_errors;     /* inserts or commits that failed */
    uint64_t runs_retained;    /* deleted by retention */
    uint64_t retention_runs;   /* retention passes */
    uint64_t runs_lost;        /* taken, then lost: a batch whose commit
                                  failed, or not committed by the shutdown
                                  deadline */
    uint64_t deadline_commits; /* commits cut short by the shutdown deadline
                                  (smaller batches as it nears) */
} dp_history_writer_stats;

void dp_history_writer_stats_get(dp_history_writer *w,
                                 dp_history_writer_stats *out);
/* Commits the open batch and runs one retention pass now (tests). */
void dp_history_writer_sync(dp_history_writer *w);

/* ------------------------------------------------------------------------ */
/* Queries (query.c; backends: sqlite_query.c).                             */

typedef struct dp_history_filter {
    const char *dag;        /* NULL: every DAG */
    const char *version;    /* NULL: every version */
    uint64_t since_unix_ns; /* runs that started at or after; 0: any */
    uint64_t until_unix_ns; /* runs that started before; 0: any */
    const char *trace_id;   /* one run (32 hex digits); NULL: any */
    /* versions(): the run counts may count a trace stored twice (ClickHouse
     * then skips hashing every trace id to find copies); the names, their
     * order and first and last starts are exact. */
    bool loose_counts;
} dp_history_filter;

enum dp_history_order {
    DP_HISTORY_NEWEST = 0,   /* start time, newest first */
    DP_HISTORY_OLDEST = 1,   /* start time, oldest first */
    DP_HISTORY_SLOWEST = 2,  /* wall, longest first */
    DP_HISTORY_COSTLIEST = 3 /* cost, highest first */
};

/* What runs() delivers besides the run row. DP_HISTORY_WANT_TREND: only
 * dag_id, version, start, wall, cost, tokens and failed_nodes are filled
 * (the rest zero or NULL), which an index answers alone: what trends and
 * version lists need over many runs. */
enum {
    DP_HISTORY_WANT_NODES = 1,
    DP_HISTORY_WANT_BOTTLENECKS = 2,
    DP_HISTORY_WANT_TREND = 4,
    /* With WANT_NODES, a hint: only the samples regressions compare are
     * read, start, wall and cost of the run and node_id, execution_ns and
     * cost_pusd of its nodes (the rest zero or NULL, dag_id and version
     * the filter's). A backend may ignore it and deliver everything. */
    DP_HISTORY_WANT_SAMPLES = 8
};

typedef struct dp_history_node {
    const char *node_id;
    int kind; /* enum dp_node_kind */
    int64_t execution_ns;
    int64_t cost_pusd;     /* a group's: its subtree's */
    int64_t own_cost_pusd; /* its own calls' */
    int status;            /* enum dp_status_code */
} dp_history_node;

/* One stored run; a view valid during the callback. */
typedef struct dp_history_run {
    const char *trace_id; /* 32 hex digits */
    const char *dag_id;
    const char *version;      /* NULL when the run had none */
    const char *session_id;   /* NULL when none */
    const char *service_name; /* NULL when none */
    uint64_t start_unix_ns;
    int64_t wall_ns;
    int64_t critical_path_ns;
    double efficiency; /* parallelizationEfficiency */
    int64_t tokens;    /* input + output */
    int64_t cost_pusd;
    bool complete;
    const char *incomplete_reason; /* NULL when complete */
    uint64_t span_count;
    uint32_t node_count;
    uint32_t failed_nodes;      /* nodes whose last attempt failed */
    const char *top_bottleneck; /* type of the highest-impact one; NULL */
    const char *top_bottleneck_node;
    /* With DP_HISTORY_WANT_NODES, in the profile's node order: */
    const dp_history_node *nodes;
    size_t n_nodes;
    /* With DP_HISTORY_WANT_BOTTLENECKS: detections per type. */
    uint32_t bottlenecks[DP_BN__COUNT];
} dp_history_run;

/* Called once per run; a non-zero return stops the query and is returned. */
typedef int (*dp_history_run_fn)(void *user, const dp_history_run *run);

typedef struct dp_history_version {
    const char *version; /* NULL: runs without a version */
    uint64_t runs;
    uint64_t first_unix_ns, last_unix_ns; /* start of its first, last run */
} dp_history_version;

typedef int (*dp_history_version_fn)(void *user, const dp_history_version *v);

struct dp_trends;  /* history_stats.h */
struct dp_regress; /* history_stats.h */

/* A backend: the operations every store answers. ctx is the backend's. */
typedef struct dp_history_backend {
    const char *name; /* "sqlite" */
    /* Runs matching f in `order`, at most limit (0: all). */
    int (*runs)(void *ctx, const dp_history_filter *f, int order,
                uint64_t limit, unsigned want, dp_history_run_fn fn,
                void *user);
    /* The stored profile JSON of trace_id (32 hex digits, or a unique
     * prefix of at least 8) appended to out. DP_ENOENT when none,
     * DP_EINVAL when a prefix is ambiguous. */
    int (*profile)(void *ctx, const char *trace_id, dp_buf *out);
    /* The versions of a DAG's runs (f->dag), oldest first by their first
     * run, with f's time bounds applied. */
    int (*versions)(void *ctx, const dp_history_filter *f,
                    dp_history_version_fn fn, void *user);
    /* Output-token throughput of the models prefix names (see
     * dp_history_model_throughput); NULL when the backend does not keep
     * per-model call time. */
    int (*throughput)(void *ctx, const char *prefix,
                      bool (*match)(const char *model, void *user), void *user,
                      unsigned max_runs, double *tps, size_t *runs);
    /* Optional (NULL: computed in C from runs()): the buckets of `dagprof
     * trends` aggregated by the store, each handed to dp_trends_put (day
     * and hour in any order, versions in order of their first run). */
    int (*trends)(void *ctx, const dp_history_filter *f, int by,
                  struct dp_trends *t);
    /* Optional (NULL: from runs()): the samples of two versions (f->dag,
     * f's time bounds) gathered by the store and handed to
     * dp_regress_add_series, the run first, then the baseline's node ids
     * in order of first appearance. */
    int (*regress)(void *ctx, const dp_history_filter *f, const char *base,
                   const char *cand, struct dp_regress *r);
    /* Optional (NULL: the fired set stays local): claims the regression
     * alert keys[0..n) for this instance across every dagprof sharing the
     * store; won[i] true for the keys this instance is to fire. See
     * clickhouse_alerts.c. */
    int (*claim)(void *ctx, const char *const *keys, size_t n,
                 const char *instance, uint64_t settle_ns, bool *won);
    void (*close)(void *ctx);
} dp_history_backend;

typedef struct dp_history dp_history;

/* Opens a store for reading. uri: a file path or sqlite:PATH (SQLite,
 * which must exist) or clickhouse://host[:port][/db] (the tables must
 * exist and the server answer). NULL with a message in err. */
dp_history *dp_history_open(const char *uri, char *err, size_t err_len);
void dp_history_close(dp_history *h);
const char *dp_history_backend_name(const dp_history *h);

int dp_history_runs(dp_history *h, const dp_history_filter *f, int order,
                    uint64_t limit, unsigned want, dp_history_run_fn fn,
                    void *user);
int dp_history_profile(dp_history *h, const char *trace_id, dp_buf *out);
int dp_history_versions(dp_history *h, const dp_history_filter *f,
                        dp_history_version_fn fn, void *user);

/* Fills t (dp_trends_create(by)) with f's runs: aggregated by the store
 * when it can (ClickHouse), else run by run from runs(). Same answers. */
int dp_history_trends(dp_history *h, const dp_history_filter *f, int by,
                      struct dp_trends *t);
/* Feeds r (dp_regress_create) with the runs of f->dag's versions base
 * (side 0) and cand (side 1) and their nodes: gathered by the store when
 * it can, else run by run. Same answers. */
int dp_history_regress(dp_history *h, const dp_history_filter *f,
                       const char *base, const char *cand,
                       struct dp_regress *r);
/* The backend's claim (see dp_history_backend), DP_ENOENT when it has
 * none. */
int dp_history_claim(dp_history *h, const char *const *keys, size_t n,
                     const char *instance, uint64_t settle_ns, bool *won);

/* The output-token throughput of a model in the store: over the latest
 * max_runs runs (by start) whose LLM calls of a model starting with prefix
 * (any ASCII case) that match() accepts reported output tokens, each run's
 * output tokens per second of those calls' time (schema 4's model_calls);
 * *tps is their p50 (nearest rank; in thousandths of a token per second,
 * truncated) and *runs how many runs. Returns 0,
 * DP_ENOENT when no run has such calls, the store predates schema 4 (a
 * ClickHouse store: has no model_calls table) or the backend keeps no
 * per-model call time (throughput NULL),
 * DP_ENOMEM, DP_EIO. */
int dp_history_model_throughput(dp_history *h, const char *prefix,
                                bool (*match)(const char *model, void *user),
                                void *user, unsigned max_runs, double *tps,
                                size_t *runs);

/* The SQLite backend (sqlite_query.c): ctx for dp_history_sqlite_backend,
 * opened read-only. NULL with a message. */
extern const dp_history_backend dp_history_sqlite_backend;
void *dp__history_sqlite_open_ro(const char *path, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* DP_HISTORY_H */
