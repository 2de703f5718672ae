/*
 * sqlite_versions.c - the versions of one DAG in the SQLite store, for the
 * backend's versions() (sqlite_query.c): found by seeking the index on
 * (dag, version, start) from one version to the next, each counted over
 * its range of the index.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "history_internal.h"
#include "log.h"

/* One version's runs in f's time bounds: count, first and last start.
 * The statements are stmt[0..3) (prepared by dp__history_sqlite_versions). */
static int version_stats(sqlite3_stmt *const *stmt, const dp_history_filter *f,
                         const char *version, dp_history_version *v)
{
    int64_t out[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        sqlite3_stmt *s = stmt[k];
        int i = 1;
        sqlite3_bind_text(s, i++, f->dag, -1, SQLITE_STATIC);
        if (version)
            sqlite3_bind_text(s, i++, version, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, i++);
        if (f->since_unix_ns)
            sqlite3_bind_int64(s, i++, (sqlite3_int64)f->since_unix_ns);
        if (f->until_unix_ns)
            sqlite3_bind_int64(s, i++, (sqlite3_int64)f->until_unix_ns);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            out[k] = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return DP_EIO;
        if (k == 0 && out[0] == 0)
            break;
    }
    *v = (dp_history_version){version, (uint64_t)out[0], (uint64_t)out[1],
                              (uint64_t)out[2]};
    return 0;
}

typedef struct vrow {
    char *version; /* NULL: runs without one */
    dp_history_version v;
} vrow;

static int cmp_vrow(const void *a, const void *b)
{
    const vrow *x = a, *y = b;
    if (x->v.first_unix_ns != y->v.first_unix_ns)
        return x->v.first_unix_ns < y->v.first_unix_ns ? -1 : 1;
    if (!x->version || !y->version) /* NULL sorts first, as in SQL */
        return !y->version - !x->version;
    return strcmp(x->version, y->version);
}

/* versions() for one DAG (sqlite_query.c) by the index on (dag, version,
 * start): the versions found by seeking from one to the next, then per version
 * a count over its range of the index and its first and last start by two
 * seeks. A GROUP BY over every run of the DAG compared each run's version
 * with the last one: 5 to 10 times slower at a million runs. */
int dp__history_sqlite_versions(sqlite3 *db, const char *path,
                                const dp_history_filter *f,
                                dp_history_version_fn fn, void *user)
{
    static const char *const what[3] = {"count(*)", "min(start_ns)",
                                        "max(start_ns)"};
    sqlite3_stmt *st[3] = {NULL, NULL, NULL}, *first = NULL, *next = NULL;
    vrow *rows = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    dp_buf sql;
    dp_buf_init(&sql);
    for (int k = 0; k < 3 && !err; k++) {
        dp_buf_reset(&sql);
        dp_buf_printf(&sql,
                      "SELECT %s FROM runs WHERE dag_id = ? AND version IS ?",
                      what[k]);
        if (f->since_unix_ns)
            dp_buf_puts(&sql, " AND start_ns >= ?");
        if (f->until_unix_ns)
            dp_buf_puts(&sql, " AND start_ns < ?");
        if (!sql.data ||
            sqlite3_prepare_v2(db, sql.data, -1, &st[k], NULL) != SQLITE_OK)
            err = DP_EIO;
    }
    dp_buf_fini(&sql);
    if (!err && (sqlite3_prepare_v2(db,
                                    "SELECT version FROM runs WHERE dag_id = "
                                    "?1 AND version IS NOT NULL ORDER BY "
                                    "version LIMIT 1",
                                    -1, &first, NULL) != SQLITE_OK ||
                 sqlite3_prepare_v2(db,
                                    "SELECT version FROM runs WHERE dag_id = "
                                    "?1 AND version > ?2 ORDER BY version "
                                    "LIMIT 1",
                                    -1, &next, NULL) != SQLITE_OK))
        err = DP_EIO;
    /* NULL (runs without a version) first, then each version in turn. */
    char *cur = NULL;
    for (bool null_done = false; !err;) {
        dp_history_version v;
        const char *name = NULL;
        if (null_done) {
            sqlite3_stmt *s = cur ? next : first;
            sqlite3_bind_text(s, 1, f->dag, -1, SQLITE_STATIC);
            if (cur)
                sqlite3_bind_text(s, 2, cur, -1, SQLITE_STATIC);
            int rc = sqlite3_step(s);
            char *got =
                rc == SQLITE_ROW
                    ? strdup((const char *)sqlite3_column_text(s, 0)
                                 ? (const char *)sqlite3_column_text(s, 0)
                                 : "")
                    : NULL;
            sqlite3_reset(s);
            if (rc != SQLITE_ROW) {
                err = rc == SQLITE_DONE ? 0 : DP_EIO;
                break;
            }
            if (!got) {
                err = DP_ENOMEM;
                break;
            }
            free(cur);
            cur = got;
            name = cur;
        }
        null_done = true;
        if ((err = version_stats(st, f, name, &v)))
            break;
        if (!v.runs)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            vrow *nr = realloc(rows, nc * sizeof(*nr));
            if (!nr) {
                err = DP_ENOMEM;
                break;
            }
            rows = nr;
            cap = nc;
        }
        rows[n].version = name ? strdup(name) : NULL;
        if (name && !rows[n].version) {
            err = DP_ENOMEM;
            break;
        }
        rows[n].v = v;
        rows[n].v.version = rows[n].version;
        n++;
    }
    free(cur);
    if (err == DP_EIO)
        dp_log_error("history", "%s: %s", path, sqlite3_errmsg(db));
    if (!err && n > 1)
        qsort(rows, n, sizeof(*rows), cmp_vrow);
    for (size_t i = 0; i < n && !err; i++)
        err = fn(user, &rows[i].v);
    for (size_t i = 0; i < n; i++)
        free(rows[i].version);
    free(rows);
    for (int k = 0; k < 3; k++)
        sqlite3_finalize(st[k]);
    sqlite3_finalize(first);
    sqlite3_finalize(next);
    return err;
}
