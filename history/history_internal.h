/*
 * history_internal.h - what the history files share and nothing else
 * includes: the schema's migration entry points (schema.c). The order
 * statistics are runs/stats.h's (the history library links dp_runs).
 */
#ifndef DP_HISTORY_INTERNAL_H
#define DP_HISTORY_INTERNAL_H

#include <sqlite3.h>
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

#endif /* DP_HISTORY_INTERNAL_H */
