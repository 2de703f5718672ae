/*
 * clickhouse.c - the ClickHouse history store (clickhouse.h): URL
 * parsing, the HTTP interface over libcurl (the query in the URL, rows in
 * the body; the rows themselves are clickhouse_rows.c's), and the write
 * side the history exporter drives:
 * inserts gathered per batch and sent as one INSERT ... FORMAT JSONEachRow
 * per table at commit; retention by age as a table TTL where the server
 * has it (19.6 and later, found with SELECT version()), else by ALTER
 * TABLE ... DELETE (the packaged server, 18.16); by size always by
 * ALTER TABLE ... DELETE.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "log.h"
#include "profile_json.h"

#define N_TABLES 5

static const char *const tables[N_TABLES] = {"runs", "nodes", "bottlenecks",
                                             "profiles", "model_calls"};

static const char *const ddl[N_TABLES] = {
    "(trace_id String, profile_id String, dag_id String, version "
    "Nullable(String), session_id Nullable(String), service_name "
    "Nullable(String), start_ns Int64, start DateTime, profiled_at_ns Int64, "
    "wall_ns Int64, critical_path_ns Int64, sum_execution_ns Int64, "
    "efficiency Float64, total_tokens Int64, cost_pusd Int64, complete UInt8, "
    "incomplete_reason Nullable(String), span_count UInt64, node_count "
    "UInt32, top_bottleneck Nullable(String), top_bottleneck_node "
    "Nullable(String), failed_nodes UInt32)",
    "(trace_id String, dag_id String, start DateTime, idx UInt32, node_id "
    "String, kind String, parent_id Nullable(String), execution_ns Int64, "
    "wait_ns Int64, duration_ns Int64, attempts Int64, retries Int64, status "
    "String, cost_pusd Int64, own_cost_pusd Int64, on_critical_path UInt8, "
    "profiled_at_ns Int64, version Nullable(String), start_ns Int64)",
    "(trace_id String, dag_id String, start DateTime, idx UInt32, type "
    "String, node_id String, severity String, impact Float64, profiled_at_ns "
    "Int64)",
    "(trace_id String, dag_id String, start DateTime, json String, "
    "profiled_at_ns Int64)",
    "(trace_id String, dag_id String, start DateTime, model String, calls "
    "Int64, llm_ns Int64, output_tokens Int64, profiled_at_ns Int64)"};

/* The sorting keys: a run (a node, a bottleneck) is one key, so
 * ReplacingMergeTree(profiled_at_ns) keeps the latest row of a trace
 * stored twice when it merges parts; queries dedupe the same way before
 * that (clickhouse_query.c). */
static const char *const keys[N_TABLES] = {
    "(dag_id, start, trace_id)", "(dag_id, start, trace_id, idx)",
    "(dag_id, start, trace_id, idx)", "(dag_id, start, trace_id)",
    "(dag_id, start, trace_id, model)"};

struct dp_ch {
    CURL *curl;
    dp_ch_url url;
    dp_buf body[N_TABLES]; /* pending rows per table */
    int pending;
    bool ttl;      /* age retention is the tables' TTL */
    int node_runs; /* node rows carry version and start_ns: 1, no: 0,
                    * not asked yet: -1 */
};

int dp__ch_url_parse(const char *uri, dp_ch_url *out, char *err, size_t err_len)
{
    const char *p = uri;
    memset(out, 0, sizeof(*out));
    if (!uri || strncmp(uri, "clickhouse://", 13) != 0) {
        snprintf(err, err_len, "%s: not a clickhouse:// URL",
                 uri ? uri : "(null)");
        return DP_EINVAL;
    }
    p += 13;
    size_t hl = strcspn(p, ":/?#@");
    if (hl == 0 || hl > 200 || p[hl] == '@' || p[hl] == '?' || p[hl] == '#') {
        snprintf(err, err_len,
                 "%s: expected clickhouse://host[:port][/database]", uri);
        return DP_EINVAL;
    }
    unsigned long port = 8123;
    const char *q = p + hl;
    if (*q == ':') {
        char *end;
        q++;
        if (*q < '0' || *q > '9') {
            snprintf(err, err_len, "%s: bad port", uri);
            return DP_EINVAL;
        }
        port = strtoul(q, &end, 10);
        if (port == 0 || port > 65535 || (*end && *end != '/')) {
            snprintf(err, err_len, "%s: bad port", uri);
            return DP_EINVAL;
        }
        q = end;
    }
    const char *db = "dagprof";
    if (*q == '/' && q[1])
        db = q + 1;
    size_t dl = strlen(db);
    if (dl == 0 || dl >= sizeof(out->db) ||
        strspn(db, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_") != dl) {
        snprintf(err, err_len,
                 "%s: the database name must be letters, digits and _", uri);
        return DP_EINVAL;
    }
    snprintf(out->base, sizeof(out->base), "http://%.*s:%lu", (int)hl, p, port);
    memcpy(out->db, db, dl + 1);
    return 0;
}

int dp__ch_quote(dp_buf *b, const char *s)
{
    int err = dp_buf_puts(b, "'");
    for (; s && *s && !err; s++) {
        if (*s == '\'' || *s == '\\')
            err = dp_buf_puts(b, "\\");
        if (!err)
            err = dp_buf_append(b, s, 1);
    }
    return err ? err : dp_buf_puts(b, "'");
}

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    dp_buf *b = user;
    if (b && dp_buf_append(b, ptr, size * n))
        return 0;
    return size * n;
}

const char *dp__ch_db(const dp_ch *c)
{
    return c->url.db;
}

const char dp__ch_alerts_ddl[] =
    "CREATE TABLE IF NOT EXISTS regression_alerts (key String, instance "
    "String, token UInt64, claimed_at_ns Int64) ENGINE = MergeTree() ORDER "
    "BY (key, token)";

void dp__ch_filter_sql(dp_buf *b, const dp_history_filter *f)
{
    dp_buf_puts(b, " WHERE 1");
    if (f->dag) {
        dp_buf_puts(b, " AND dag_id = ");
        dp__ch_quote(b, f->dag);
    }
    if (f->version) {
        dp_buf_puts(b, " AND version = ");
        dp__ch_quote(b, f->version);
    }
    /* start_ns decides; start (its second, in the sorting key) lets the
     * server skip the granules outside the range. */
    if (f->since_unix_ns)
        dp_buf_printf(b, " AND start_ns >= %lld AND start >= toDateTime(%lld)",
                      (long long)f->since_unix_ns,
                      (long long)(f->since_unix_ns / 1000000000u));
    if (f->until_unix_ns)
        dp_buf_printf(b, " AND start_ns < %lld AND start <= toDateTime(%lld)",
                      (long long)f->until_unix_ns,
                      (long long)((f->until_unix_ns - 1) / 1000000000u));
    if (f->trace_id) {
        dp_buf_puts(b, " AND trace_id = ");
        dp__ch_quote(b, f->trace_id);
    }
}

/* quiet: a failure is not logged (the caller checks what it expected). */
static int exec_q(dp_ch *c, const char *sql, const char *body, size_t body_len,
                  dp_buf *out, bool quiet)
{
    dp_buf url, post, reply;
    dp_buf_init(&url);
    dp_buf_init(&post);
    dp_buf_init(&reply);
    char *q = curl_easy_escape(c->curl, sql, 0);
    int err = DP_ENOMEM;
    if (!q)
        goto done;
    /* The query goes in the URL when a body carries rows, else in the
     * body (no length limit). */
    if (body) {
        dp_buf_printf(&url, "%s/?database=%s&query=%s", c->url.base, c->url.db,
                      q);
        dp_buf_append(&post, body, body_len);
    } else {
        dp_buf_printf(&url, "%s/?database=%s", c->url.base, c->url.db);
        dp_buf_puts(&post, sql);
    }
    curl_free(q);
    if (!url.data || !post.data)
        goto done;
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
    curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, post.data);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)post.len);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    /* A reply goes straight into out (a regressions reply is megabytes);
     * an error's into reply, and out is cut back to where it was. */
    size_t out_len = out ? out->len : 0;
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, out ? out : &reply);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c->curl);
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        if (out && out->len > out_len) {
            dp_buf_append(&reply, out->data + out_len, out->len - out_len);
            out->len = out_len;
            out->data[out_len] = '\0';
        }
        if (!quiet)
            dp_log_error("history", "clickhouse %s: %s", c->url.base,
                         rc != CURLE_OK ? curl_easy_strerror(rc)
                                        : (reply.data ? reply.data : "error"));
        err = DP_EIO;
        goto done;
    }
    err = 0;
done:
    dp_buf_fini(&url);
    dp_buf_fini(&post);
    dp_buf_fini(&reply);
    return err;
}

int dp__ch_exec(dp_ch *c, const char *sql, const char *body, size_t body_len,
                dp_buf *out)
{
    return exec_q(c, sql, body, body_len, out, false);
}

static uint64_t query_n(dp_ch *c, const char *sql);

int dp__ch_exec_quiet(dp_ch *c, const char *sql)
{
    return exec_q(c, sql, NULL, 0, NULL, true);
}

/* 1 when db.table has the column (column NULL: when the table exists). */
static int has(dp_ch *c, const char *table, const char *column)
{
    char sql[512];
    if (column)
        snprintf(sql, sizeof(sql),
                 "SELECT count() AS n FROM system.columns WHERE database = "
                 "'%s' AND table = '%s' AND name = '%s' FORMAT JSONEachRow",
                 c->url.db, table, column);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT count() AS n FROM system.tables WHERE database = "
                 "'%s' AND name = '%s' FORMAT JSONEachRow",
                 c->url.db, table);
    return query_n(c, sql) > 0;
}

int dp__ch_has_table(dp_ch *c, const char *table)
{
    return has(c, table, NULL);
}

/* Creates what is missing, safe when several shards start at once: every
 * statement is IF NOT EXISTS, and one that fails anyway (a DDL race on an
 * old server) counts as done when what it makes is there afterwards.
 * Migration (schema 1 -> 2): tables made before the dedupe (MergeTree,
 * child tables without profiled_at_ns) get the column (older rows read
 * 0); their engine stays MergeTree, which only costs the space of runs
 * stored twice, since every query dedupes by trace id. */
static int create_schema(dp_ch *c)
{
    dp_buf sql;
    dp_buf_init(&sql);
    dp_ch_url u = c->url;
    /* The database itself is created from "default". */
    snprintf(c->url.db, sizeof(c->url.db), "default");
    dp_buf_printf(&sql, "CREATE DATABASE IF NOT EXISTS %s", u.db);
    int e = sql.data ? exec_q(c, sql.data, NULL, 0, NULL, true) : DP_ENOMEM;
    if (e) {
        dp_buf_reset(&sql);
        dp_buf_printf(&sql,
                      "SELECT count() AS n FROM system.databases WHERE name "
                      "= '%s' FORMAT JSONEachRow",
                      u.db);
        e = sql.data && query_n(c, sql.data) ? 0 : DP_EIO;
    }
    c->url = u;
    for (int i = 0; !e && i < N_TABLES; i++) {
        dp_buf_reset(&sql);
        dp_buf_printf(&sql,
                      "CREATE TABLE IF NOT EXISTS %s %s ENGINE = "
                      "ReplacingMergeTree(profiled_at_ns) PARTITION BY "
                      "toYYYYMM(start) ORDER BY %s",
                      tables[i], ddl[i], keys[i]);
        if (!sql.data)
            e = DP_ENOMEM;
        else if (exec_q(c, sql.data, NULL, 0, NULL, true) &&
                 !has(c, tables[i], NULL))
            e = dp__ch_exec(c, sql.data, NULL, 0, NULL); /* logged */
    }
    /* The regression alerts' claims (clickhouse_alerts.c), here so that
     * the retention set at start covers them too. */
    if (!e && exec_q(c, dp__ch_alerts_ddl, NULL, 0, NULL, true) &&
        !has(c, "regression_alerts", NULL))
        e = dp__ch_exec(c, dp__ch_alerts_ddl, NULL, 0, NULL); /* logged */
    for (int i = 1; !e && i < 4; i++) {
        if (has(c, tables[i], "profiled_at_ns"))
            continue;
        dp_buf_reset(&sql);
        dp_buf_printf(&sql, "ALTER TABLE %s ADD COLUMN profiled_at_ns Int64",
                      tables[i]);
        if (!sql.data)
            e = DP_ENOMEM;
        else if (exec_q(c, sql.data, NULL, 0, NULL, true) &&
                 !has(c, tables[i], "profiled_at_ns"))
            e = dp__ch_exec(c, sql.data, NULL, 0, NULL);
        else
            dp_log_info("history",
                        "clickhouse %s: table %s migrated to schema 2 "
                        "(profiled_at_ns added)",
                        c->url.db, tables[i]);
    }
    /* Schema 3: node rows carry their run's version and start_ns, so that
     * regressions read them without a join to runs (older rows read NULL
     * and 0, and are read through the join: clickhouse_stats.c). */
    static const char *const run_cols[2][2] = {{"version", "Nullable(String)"},
                                               {"start_ns", "Int64"}};
    for (int i = 0; !e && i < 2; i++) {
        if (has(c, "nodes", run_cols[i][0]))
            continue;
        dp_buf_reset(&sql);
        dp_buf_printf(&sql, "ALTER TABLE nodes ADD COLUMN %s %s",
                      run_cols[i][0], run_cols[i][1]);
        if (!sql.data)
            e = DP_ENOMEM;
        else if (exec_q(c, sql.data, NULL, 0, NULL, true) &&
                 !has(c, "nodes", run_cols[i][0]))
            e = dp__ch_exec(c, sql.data, NULL, 0, NULL);
        else
            dp_log_info("history",
                        "clickhouse %s: table nodes migrated to schema 3 "
                        "(%s added)",
                        c->url.db, run_cols[i][0]);
    }
    c->node_runs = e ? -1 : 1;
    dp_buf_fini(&sql);
    return e;
}

bool dp__ch_node_runs(dp_ch *c)
{
    if (c->node_runs < 0)
        c->node_runs =
            has(c, "nodes", "version") && has(c, "nodes", "start_ns");
    return c->node_runs > 0;
}

dp_ch *dp__ch_open(const char *uri, int create, char *err, size_t err_len)
{
    dp_ch *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    for (int i = 0; i < N_TABLES; i++)
        dp_buf_init(&c->body[i]);
    c->node_runs = -1;
    if (dp__ch_url_parse(uri, &c->url, err, err_len))
        goto fail;
    c->curl = curl_easy_init();
    if (!c->curl) {
        snprintf(err, err_len, "%s: cannot start libcurl", uri);
        goto fail;
    }
    int e = create ? create_schema(c)
                   : dp__ch_exec(c,
                                 "SELECT count() FROM runs FORMAT "
                                 "JSONEachRow",
                                 NULL, 0, NULL);
    if (e) {
        snprintf(err, err_len,
                 "%s: the ClickHouse history store cannot be reached or has "
                 "no dagprof tables (see the log)",
                 uri);
        goto fail;
    }
    return c;
fail:
    dp__ch_close(c);
    return NULL;
}

void dp__ch_close(dp_ch *c)
{
    if (!c)
        return;
    if (c->pending)
        dp__ch_flush(c);
    for (int i = 0; i < N_TABLES; i++)
        dp_buf_fini(&c->body[i]);
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c);
}

int dp__ch_insert(dp_ch *c, const dp_profile *p, const char *json,
                  size_t json_len)
{
    size_t keep[N_TABLES];
    for (int i = 0; i < N_TABLES; i++)
        keep[i] = c->body[i].len;
    int err = dp__ch_encode_profile(p, json, json_len, &c->body[0], &c->body[1],
                                    &c->body[2], &c->body[3]);
    if (!err)
        err = dp__ch_encode_models(p, &c->body[4]);
    if (err) {
        for (int i = 0; i < N_TABLES; i++)
            c->body[i].len = keep[i];
        return err;
    }
    c->pending++;
    /* No transactions in ClickHouse: a long batch (report --history of
     * many files) is sent every 1000 runs rather than held in memory. */
    return c->pending >= 1000 ? dp__ch_flush(c) : 0;
}

void dp__ch_discard(dp_ch *c)
{
    for (int i = 0; i < N_TABLES; i++)
        dp_buf_reset(&c->body[i]);
    c->pending = 0;
}

int dp__ch_pending(const dp_ch *c)
{
    return c->pending;
}

/* Child tables first: a run row is visible only with its rows. */
int dp__ch_flush(dp_ch *c)
{
    static const int order[N_TABLES] = {1, 2, 3, 4, 0};
    char sql[128];
    int err = 0;
    for (int k = 0; k < N_TABLES && !err; k++) {
        int i = order[k];
        if (!c->body[i].len)
            continue;
        snprintf(sql, sizeof(sql), "INSERT INTO %s FORMAT JSONEachRow",
                 tables[i]);
        err = dp__ch_exec(c, sql, c->body[i].data, c->body[i].len, NULL);
    }
    for (int i = 0; i < N_TABLES; i++)
        dp_buf_reset(&c->body[i]);
    c->pending = 0;
    return err;
}

static int count_row(void *user, void *obj)
{
    *(int64_t *)user = dp__ch_i64(obj, "n");
    return 0;
}

static uint64_t query_n(dp_ch *c, const char *sql)
{
    dp_buf out;
    int64_t n = 0;
    dp_buf_init(&out);
    if (dp__ch_exec(c, sql, NULL, 0, &out) == 0 && out.data)
        dp__ch_each_row(out.data, out.len, count_row, &n);
    dp_buf_fini(&out);
    return n > 0 ? (uint64_t)n : 0;
}

uint64_t dp__ch_run_count(dp_ch *c)
{
    return query_n(c, "SELECT uniqExact(trace_id) AS n FROM runs FORMAT "
                      "JSONEachRow");
}

uint64_t dp__ch_used_bytes(dp_ch *c)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT sum(bytes) AS n FROM system.parts WHERE active AND "
             "database = '%s' FORMAT JSONEachRow",
             c->url.db);
    return query_n(c, sql);
}

/* Retention: one mutation per table (ClickHouse applies it in the
 * background), for the runs before cutoff or, while the tables' active
 * parts take more than max_size bytes, for about the share of the oldest
 * runs the excess is (as the SQLite store), cut at a whole second of
 * start since that is the column every table has. A mutation still
 * running covers those runs: nothing is asked again until it is done. */
int dp__ch_retain(dp_ch *c, uint64_t cutoff_unix_ns, uint64_t max_size,
                  uint64_t *deleted)
{
    char sql[256];
    *deleted = 0;
    snprintf(sql, sizeof(sql),
             "SELECT count() AS n FROM system.mutations WHERE database = '%s' "
             "AND is_done = 0 FORMAT JSONEachRow",
             c->url.db);
    if (c->ttl)
        cutoff_unix_ns = 0; /* the tables' TTL deletes by age */
    if ((!cutoff_unix_ns && !max_size) || query_n(c, sql))
        return 0;
    /* Claims of regression alerts older than the age limit, by their
     * claim time (not by size: a claim is a few dozen bytes). */
    if (cutoff_unix_ns && has(c, "regression_alerts", NULL)) {
        snprintf(sql, sizeof(sql),
                 "SELECT count() AS n FROM regression_alerts WHERE "
                 "claimed_at_ns < %lld FORMAT JSONEachRow",
                 (long long)cutoff_unix_ns);
        dp_buf del;
        dp_buf_init(&del);
        int e = query_n(c, sql) ? dp__ch_alerts_delete_sql(&del, cutoff_unix_ns)
                                : 0;
        if (!e && del.len)
            e = dp__ch_exec(c, del.data, NULL, 0, NULL);
        dp_buf_fini(&del);
        if (e)
            return DP_EIO;
    }
    /* The first second kept: runs with start < cut are deleted. */
    int64_t cut = 0;
    uint64_t n = 0;
    if (cutoff_unix_ns) {
        cut = (int64_t)(cutoff_unix_ns / 1000000000u);
        snprintf(sql, sizeof(sql),
                 "SELECT uniqExact(trace_id) AS n FROM runs WHERE start < "
                 "toDateTime(%lld) FORMAT JSONEachRow",
                 (long long)cut);
        n = query_n(c, sql);
    }
    uint64_t used = n ? 0 : max_size ? dp__ch_used_bytes(c) : 0;
    if (!n && used > max_size) {
        uint64_t runs = dp__ch_run_count(c);
        uint64_t k = (uint64_t)((double)runs * (double)(used - max_size) /
                                (double)used) +
                     1;
        if (k > runs)
            k = runs;
        /* The start second of the k-th oldest run, plus one. */
        snprintf(sql, sizeof(sql),
                 "SELECT toInt64(start) + 1 AS n FROM runs ORDER BY start "
                 "LIMIT 1 OFFSET %llu FORMAT JSONEachRow",
                 (unsigned long long)(k ? k - 1 : 0));
        cut = runs ? (int64_t)query_n(c, sql) : 0;
        if (cut) {
            snprintf(sql, sizeof(sql),
                     "SELECT uniqExact(trace_id) AS n FROM runs WHERE start < "
                     "toDateTime(%lld) FORMAT JSONEachRow",
                     (long long)cut);
            n = query_n(c, sql);
        }
    }
    if (!n)
        return 0;
    for (int i = 0; i < N_TABLES; i++) {
        snprintf(sql, sizeof(sql),
                 "ALTER TABLE %s DELETE WHERE start < toDateTime(%lld)",
                 tables[i], (long long)cut);
        if (dp__ch_exec(c, sql, NULL, 0, NULL))
            return DP_EIO;
    }
    *deleted = n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Retention by table TTL.                                                  */

int dp__ch_version_parse(const char *s, int *major, int *minor)
{
    char *end;
    *major = *minor = 0;
    if (!s || *s < '0' || *s > '9')
        return DP_EINVAL;
    long a = strtol(s, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return DP_EINVAL;
    long b = strtol(end + 1, &end, 10);
    if (a > 100000 || b > 100000)
        return DP_EINVAL;
    *major = (int)a;
    *minor = (int)b;
    return 0;
}

bool dp__ch_version_has_ttl(int major, int minor)
{
    return major > 19 || (major == 19 && minor >= 6);
}

int dp__ch_alerts_ttl_sql(dp_buf *b, uint64_t retention_s)
{
    dp_buf_printf(b,
                  "ALTER TABLE regression_alerts MODIFY TTL "
                  "toDateTime(intDiv(claimed_at_ns, 1000000000)) + "
                  "toIntervalSecond(%llu)",
                  (unsigned long long)retention_s);
    return b->data ? 0 : DP_ENOMEM;
}

int dp__ch_alerts_delete_sql(dp_buf *b, uint64_t cutoff_unix_ns)
{
    dp_buf_printf(b,
                  "ALTER TABLE regression_alerts DELETE WHERE claimed_at_ns "
                  "< %llu",
                  (unsigned long long)cutoff_unix_ns);
    return b->data ? 0 : DP_ENOMEM;
}

int dp__ch_ttl_sql(dp_buf *b, const char *table, uint64_t retention_s)
{
    dp_buf_printf(b, "ALTER TABLE %s MODIFY TTL start + toIntervalSecond(%llu)",
                  table, (unsigned long long)retention_s);
    return b->data ? 0 : DP_ENOMEM;
}

static int keep_str(void *user, void *obj)
{
    dp_buf *b = user;
    const char *v = json_string_value(json_object_get(obj, "v"));
    return v ? dp_buf_puts(b, v) : DP_EINVAL;
}

/* The one string a "SELECT ... AS v" answers, into out; 0 or DP_E*. */
static int query_str(dp_ch *c, const char *sql, dp_buf *out)
{
    dp_buf r;
    dp_buf_init(&r);
    int err = dp__ch_exec(c, sql, NULL, 0, &r);
    if (!err && r.data)
        err = dp__ch_each_row(r.data, r.len, keep_str, out);
    dp_buf_fini(&r);
    return err ? err : out->data ? 0 : DP_EINVAL;
}

int dp__ch_set_retention(dp_ch *c, uint64_t retention_ns)
{
    dp_buf v, sql, ddl;
    int major, minor, err;
    dp_buf_init(&v);
    dp_buf_init(&sql);
    dp_buf_init(&ddl);
    c->ttl = false;
    err = query_str(c, "SELECT version() AS v FORMAT JSONEachRow", &v);
    if (!err)
        err = dp__ch_version_parse(v.data, &major, &minor);
    if (err) {
        dp_log_warn("history",
                    "clickhouse %s: the server's version is unknown; "
                    "retention by ALTER TABLE ... DELETE",
                    c->url.base);
        goto done;
    }
    if (!dp__ch_version_has_ttl(major, minor)) {
        if (retention_ns)
            dp_log_info("history",
                        "clickhouse %s has no table TTL (19.6 and later): "
                        "retention by ALTER TABLE ... DELETE",
                        v.data);
        goto done;
    }
    uint64_t secs = (retention_ns + 999999999u) / 1000000000u;
    char want[96];
    snprintf(want, sizeof(want), "TTL start + toIntervalSecond(%llu)",
             (unsigned long long)secs);
    for (int i = 0; i <= N_TABLES && !err; i++) {
        const char *t = i < N_TABLES ? tables[i] : "regression_alerts";
        if (i == N_TABLES && !has(c, t, NULL))
            break; /* a store opened without creating it */
        dp_buf_reset(&sql);
        dp_buf_reset(&ddl);
        dp_buf_printf(&sql,
                      "SELECT create_table_query AS v FROM system.tables "
                      "WHERE database = '%s' AND name = '%s' FORMAT "
                      "JSONEachRow",
                      c->url.db, t);
        if (!sql.data || (err = query_str(c, sql.data, &ddl)))
            break;
        bool has_ttl = strstr(ddl.data, " TTL ") != NULL;
        dp_buf_reset(&sql);
        /* The claims' TTL is on their claim time: set again at each start
         * unless the server shows the same limit. */
        if (retention_ns && i == N_TABLES &&
            !strstr(ddl.data, want + strlen("TTL start + ")))
            err = dp__ch_alerts_ttl_sql(&sql, secs);
        else if (retention_ns && i < N_TABLES && !strstr(ddl.data, want))
            err = dp__ch_ttl_sql(&sql, t, secs);
        else if (!retention_ns && has_ttl)
            dp_buf_printf(&sql, "ALTER TABLE %s REMOVE TTL", t);
        if (!err && sql.len)
            err = dp__ch_exec(c, sql.data, NULL, 0, NULL);
    }
    if (!err && retention_ns) {
        c->ttl = true;
        dp_log_info("history",
                    "clickhouse %s: retention by table TTL (start + %llu s)",
                    v.data, (unsigned long long)secs);
    } else if (err) {
        dp_log_warn("history",
                    "clickhouse %s: table TTL not set; retention by ALTER "
                    "TABLE ... DELETE",
                    v.data);
    }
done:
    dp_buf_fini(&v);
    dp_buf_fini(&sql);
    dp_buf_fini(&ddl);
    return err ? DP_EIO : 0;
}
