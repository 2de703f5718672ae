/*
 * history_internal.h - what the history files share and nothing else
 * includes: the schema's migration entry points (schema.c) and the
 * node-status reading and model-throughput sums both stores share
 * (query.c). The order statistics
 * are runs/stats.h's (the history library links dp_runs).
 */
#ifndef DP_HISTORY_INTERNAL_H
#define DP_HISTORY_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h" /* dp_stats_sort_i64, dp_stats_percentile */

/* PRAGMA user_version, or -1 when the file is not a database. */
int dp__history_user_version(sqlite3 *db);

/* Runs migrations up to target (<= DP_HISTORY_SCHEMA_VERSION), each in its
 * own transaction. Returns 0, DP_EINVAL (store newer than this build) or
 * DP_EIO, with a message naming path in err. */
int dp__history_migrate(sqlite3 *db, int target, const char *path, char *err,
                        size_t err_len);

/* The versions of f->dag in f's time bounds (f->dag set, the store at
 * schema 2 or later): oldest first by their first run, then by name, no
 * version first (sqlite_versions.c). Returns 0, fn's non-zero return,
 * DP_ENOMEM or DP_EIO (logged with path). */
struct dp_history_filter;
struct dp_history_version;
int dp__history_sqlite_versions(
    sqlite3 *db, const char *path, const struct dp_history_filter *f,
    int (*fn)(void *user, const struct dp_history_version *v), void *user);

/* A node's stored status ("ok", "error", anything else or NULL: unset) as
 * a DP_STATUS_* (query.c). */
int dp__history_status_of(const char *s);

/* Model throughput as both stores compute it (history.h): the caller feeds
 * model-call rows run by run, latest run first; each run's output tokens
 * per second of call time (milli-tokens, a run without both counts none)
 * is kept for at most max runs, and the answer is their p50, nearest rank
 * (query.c). */
typedef struct dp__tps_runs {
    int64_t *v; /* per run, milli-tokens per second */
    size_t n, max;
    bool open; /* a run is being summed */
    int64_t ns, out;
} dp__tps_runs;

/* max_runs 0 means 50. Returns 0 or DP_ENOMEM (nothing to finish). */
int dp__tps_runs_init(dp__tps_runs *t, unsigned max_runs);
/* One row of the current run, or (new_run) of the next one. Returns true
 * when max runs are complete: the caller stops, and this row counts for
 * nothing. */
bool dp__tps_runs_add(dp__tps_runs *t, bool new_run, int64_t llm_ns,
                      int64_t output_tokens);
/* Closes the last run and frees: *tps gets the p50 in tokens per second and
 * *runs the runs it rests on. Returns 0, or DP_ENOENT when no run counts
 * (then *tps and *runs are left). */
int dp__tps_runs_finish(dp__tps_runs *t, double *tps, size_t *runs);

#endif /* DP_HISTORY_INTERNAL_H */
