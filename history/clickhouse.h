/*
 * clickhouse.h - the ClickHouse history store over its HTTP interface
 * (clickhouse.c: URL, HTTP, JSONEachRow rows, the write side;
 * clickhouse_query.c: the query backend). history.store / history.path
 * `clickhouse://host:8123/db` selects it; the SQLite store stays the
 * default. Tables (created on open): runs, nodes, bottlenecks, profiles,
 * ReplacingMergeTree(profiled_at_ns), PARTITION BY toYYYYMM(start), ORDER
 * BY (dag_id, start, trace_id[, idx]), the same meaning as the SQLite
 * columns of the same names. A trace stored twice is read once: queries
 * take the latest profiled_at_ns per trace id (LIMIT 1 BY).
 */
#ifndef DP_HISTORY_CLICKHOUSE_H
#define DP_HISTORY_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

typedef struct dp_ch_url {
    char base[256]; /* http://host:port */
    char db[64];    /* database name: [A-Za-z0-9_]+ */
} dp_ch_url;

/* Parses clickhouse://host[:port][/db] (port 8123, db "dagprof" when
 * absent). Returns 0 or DP_EINVAL with a message in err. */
int dp__ch_url_parse(const char *uri, dp_ch_url *out, char *err,
                     size_t err_len);

/* Appends p's rows as JSONEachRow lines to the four bodies (runs, nodes,
 * bottlenecks, profiles). json: the profile JSON (NULL: rendered). */
int dp__ch_encode_profile(const dp_profile *p, const char *json,
                          size_t json_len, dp_buf *runs, dp_buf *nodes,
                          dp_buf *bns, dp_buf *profiles);

/* Appends s as a ClickHouse string literal ('...' with \ escapes). */
int dp__ch_quote(dp_buf *b, const char *s);
/* Appends p's model_calls rows (JSONEachRow) to models. */
int dp__ch_encode_models(const dp_profile *p, dp_buf *models);

/* Calls fn once per JSON object line of a JSONEachRow body; a line that is
 * not an object is DP_EINVAL. fn's non-zero return stops and is returned. */
typedef int (*dp_ch_row_fn)(void *user, void *json_obj);
int dp__ch_each_row(const char *body, size_t len, dp_ch_row_fn fn, void *user);

/* Fills r from one runs row (strings point into obj). */
int dp__ch_decode_run(void *json_obj, dp_history_run *r);
/* An integer field given as a number or a string (64-bit integers are
 * quoted by default); 0 when absent. */
int64_t dp__ch_i64(void *json_obj, const char *key);

/* One connection. */
typedef struct dp_ch dp_ch;
dp_ch *dp__ch_open(const char *uri, int create, char *err, size_t err_len);
void dp__ch_close(dp_ch *c);
/* Runs sql (SELECT ... FORMAT JSONEachRow, DDL, ALTER); the response body
 * into out when not NULL. body: data sent after the query (INSERT). */
int dp__ch_exec(dp_ch *c, const char *sql, const char *body, size_t body_len,
                dp_buf *out);
const char *dp__ch_db(const dp_ch *c);
/* dp__ch_exec of a statement whose failure is not logged (DDL races). */
int dp__ch_exec_quiet(dp_ch *c, const char *sql);
/* 1 when the database has the table. */
int dp__ch_has_table(dp_ch *c, const char *table);

/* The write side behind dp_history_db (sqlite.c branches here). */
int dp__ch_insert(dp_ch *c, const dp_profile *p, const char *json,
                  size_t json_len);
int dp__ch_flush(dp_ch *c);
int dp__ch_pending(const dp_ch *c);
/* Drops the rows buffered since the last flush (nothing is sent). */
void dp__ch_discard(dp_ch *c);
uint64_t dp__ch_run_count(dp_ch *c);
uint64_t dp__ch_used_bytes(dp_ch *c);
/* Deletes (by mutation) the runs before cutoff (0: none) or, while the
 * store's parts exceed max_size bytes (0: no limit), the oldest share of
 * the excess; *deleted: runs covered. */
int dp__ch_retain(dp_ch *c, uint64_t cutoff_unix_ns, uint64_t max_size,
                  uint64_t *deleted);

/* " WHERE ..." of a runs query for f (clickhouse_query.c). */
void dp__ch_filter_sql(dp_buf *b, const dp_history_filter *f);

/* Trends and regressions aggregated by the server (clickhouse_stats.c):
 * the SQL (unit-tested), the RowBinary reply of a regressions query fed to
 * r, and the backend operations. */
int dp__ch_trends_sql(dp_buf *b, const dp_history_filter *f, int by,
                      bool dedupe);
int dp__ch_trends(void *ctx, const dp_history_filter *f, int by,
                  struct dp_trends *t);
int dp__ch_regress_pre_sql(dp_buf *b, const dp_history_filter *f,
                           const char *base, const char *cand);
/* how the samples are read: node rows joined to their runs, the same
 * with each trace once per side and each node row once (a trace stored
 * twice), or node rows by their own version and start (schema 3). */
enum { DP_CH_REGRESS_JOIN, DP_CH_REGRESS_DEDUPE, DP_CH_REGRESS_NODES };
int dp__ch_regress_sql(dp_buf *b, const dp_history_filter *f, const char *base,
                       const char *cand, int64_t lo_s, int64_t hi_s, int how);
/* Whether the node rows carry their run's version and start_ns (schema 3;
 * asked of the server once). */
bool dp__ch_node_runs(dp_ch *c);
/* r NULL: only adds the node keys' samples to *node_samples. */
int dp__ch_regress_rows(const char *body, size_t len, struct dp_regress *r,
                        uint64_t *node_samples);
int dp__ch_regress(void *ctx, const dp_history_filter *f, const char *base,
                   const char *cand, struct dp_regress *r);

/* Table TTL (clickhouse.c): "19.6.1.1" -> 19, 6 (DP_EINVAL when not a
 * version); whether that server has MergeTree TTL (19.6 and later); the
 * statement that sets a table's (start + retention_s). */
int dp__ch_version_parse(const char *s, int *major, int *minor);
bool dp__ch_version_has_ttl(int major, int minor);
int dp__ch_ttl_sql(dp_buf *b, const char *table, uint64_t retention_s);
/* The age limit (0: none): on a server with TTL, set (or removed) on every
 * table unless already so, and dp__ch_retain then deletes by size only;
 * else dp__ch_retain deletes by age too. 0 or DP_EIO (logged). */
int dp__ch_set_retention(dp_ch *c, uint64_t retention_ns);

/* Regression alerts claimed once across shards (clickhouse_alerts.c): the
 * SELECTs of step 1 (keys claimed already) and 3 (the first claim of each
 * key; skip: keys left out), and the backend's claim operation. */
int dp__ch_claim_sql(dp_buf *b, int step, const char *const *keys, size_t n,
                     const bool *skip);
/* The claims' table (created with the store's tables, and by the claim
 * itself on a store opened without creating); its age retention: a TTL on
 * the claim time where the server has TTL, else a DELETE of the claims
 * claimed before the cutoff (dp__ch_set_retention, dp__ch_retain). A
 * claim kept as long as the runs: once it is gone, the runs of that
 * version older than the retention are too. */
extern const char dp__ch_alerts_ddl[];
int dp__ch_alerts_ttl_sql(dp_buf *b, uint64_t retention_s);
int dp__ch_alerts_delete_sql(dp_buf *b, uint64_t cutoff_unix_ns);
int dp__ch_claim(void *ctx, const char *const *keys, size_t n,
                 const char *instance, uint64_t settle_ns, bool *won);

extern const dp_history_backend dp_history_clickhouse_backend;

#endif
