/*
 * clickhouse_query.c - the ClickHouse backend of the history query
 * interface (history.h): the same three operations as sqlite_query.c,
 * each one SELECT ... FORMAT JSONEachRow (node rows and bottleneck types
 * one more each, for all runs at once), so runs/show/trends/regressions
 * read ClickHouse unchanged and compute the same statistics.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "history_internal.h"
#include "log.h"

/* " FROM runs WHERE f". Every query over runs reads a trace stored twice
 * once: ORDER BY <its order>, trace_id, profiled_at_ns DESC LIMIT 1 BY
 * trace_id, the LIMIT BY after the sort so that a LIMIT n still stops
 * early (a dedupe subquery sorting all runs by trace id first took 12-18 s
 * at 1,000,000 runs, this 1.7 s). Copies of one profile agree on every
 * column; copies that differ (a trace profiled again) give the first in
 * the order asked for, the latest among equals. */
static void runs_from(dp_buf *b, const dp_history_filter *f)
{
    dp_buf_puts(b, " FROM runs");
    dp__ch_filter_sql(b, f);
}

#define DEDUPE_RUNS ", profiled_at_ns DESC LIMIT 1 BY trace_id"

/* Rows of a child table (nodes, bottlenecks) of the runs in sub: those of
 * each trace's latest store, once per idx. */
static void child_where(dp_buf *b, const char *table, const char *sub)
{
    dp_buf_printf(b,
                  " FROM %s WHERE (trace_id, profiled_at_ns) IN (SELECT "
                  "trace_id, max(profiled_at_ns) FROM %s WHERE trace_id IN "
                  "(%s) GROUP BY trace_id) ORDER BY trace_id, idx LIMIT 1 BY "
                  "trace_id, idx",
                  table, table, sub);
}

typedef struct rows {
    json_t *arr;
} rows;

static int keep_row(void *user, void *obj)
{
    return json_array_append(((rows *)user)->arr, obj) ? DP_ENOMEM : 0;
}

/* Runs sql and gives its rows as a JSON array (NULL on error). */
static json_t *select_rows(dp_ch *c, const char *sql)
{
    dp_buf out;
    rows r = {json_array()};
    dp_buf_init(&out);
    int err = r.arr ? dp__ch_exec(c, sql, NULL, 0, &out) : DP_ENOMEM;
    if (!err && out.len)
        err = dp__ch_each_row(out.data, out.len, keep_row, &r);
    if (err == DP_EINVAL)
        dp_log_error("history", "clickhouse: a reply row is not JSON");
    dp_buf_fini(&out);
    if (err) {
        json_decref(r.arr);
        return NULL;
    }
    return r.arr;
}

static int ch_runs(void *ctx, const dp_history_filter *f, int order,
                   uint64_t limit, unsigned want, dp_history_run_fn fn,
                   void *user)
{
    static const char *const orders[] = {" ORDER BY start_ns DESC, trace_id",
                                         " ORDER BY start_ns, trace_id",
                                         " ORDER BY wall_ns DESC, trace_id",
                                         " ORDER BY cost_pusd DESC, trace_id"};
    dp_ch *c = ctx;
    dp_buf sql, sub;
    if (order < 0 || order > DP_HISTORY_COSTLIEST)
        return DP_EINVAL;
    dp_buf_init(&sql);
    dp_buf_init(&sub);
    /* The runs delivered, as a subquery for the node and bottleneck rows. */
    dp_buf_puts(&sub, "SELECT trace_id");
    runs_from(&sub, f);
    dp_buf_puts(&sub, orders[order]);
    dp_buf_puts(&sub, DEDUPE_RUNS);
    if (limit)
        dp_buf_printf(&sub, " LIMIT %llu", (unsigned long long)limit);
    /* As the SQLite backend: the trend columns alone in start order. */
    bool slim = (want & DP_HISTORY_WANT_TREND) && order <= DP_HISTORY_OLDEST;
    if (slim)
        want = 0;
    if (slim)
        dp_buf_puts(&sql, "SELECT trace_id, dag_id, version, start_ns, wall_ns,"
                          " total_tokens, cost_pusd, failed_nodes");
    else
        dp_buf_puts(&sql, "SELECT trace_id, dag_id, version, session_id,"
                          " service_name, start_ns, wall_ns, critical_path_ns,"
                          " efficiency, total_tokens, cost_pusd, complete,"
                          " incomplete_reason, span_count, node_count,"
                          " top_bottleneck, top_bottleneck_node, failed_nodes");
    runs_from(&sql, f);
    dp_buf_puts(&sql, orders[order]);
    dp_buf_puts(&sql, DEDUPE_RUNS);
    if (limit)
        dp_buf_printf(&sql, " LIMIT %llu", (unsigned long long)limit);
    dp_buf_puts(&sql, " FORMAT JSONEachRow");
    json_t *runs = sql.data ? select_rows(c, sql.data) : NULL;
    json_t *nodes = NULL, *bns = NULL;
    int err = runs ? 0 : DP_EIO;
    want &= ~(unsigned)DP_HISTORY_WANT_TREND;
    if (!err && (want & DP_HISTORY_WANT_NODES)) {
        dp_buf_reset(&sql);
        dp_buf_puts(&sql, "SELECT trace_id, node_id, kind, execution_ns, "
                          "cost_pusd, own_cost_pusd, status");
        child_where(&sql, "nodes", sub.data);
        dp_buf_puts(&sql, " FORMAT JSONEachRow");
        if (!(nodes = select_rows(c, sql.data)))
            err = DP_EIO;
    }
    if (!err && (want & DP_HISTORY_WANT_BOTTLENECKS)) {
        dp_buf_reset(&sql);
        dp_buf_puts(&sql, "SELECT trace_id, groupArray(type) AS types FROM "
                          "(SELECT trace_id, idx, type");
        child_where(&sql, "bottlenecks", sub.data);
        dp_buf_puts(&sql, ") GROUP BY trace_id FORMAT JSONEachRow");
        if (!(bns = select_rows(c, sql.data)))
            err = DP_EIO;
    }
    dp_buf_fini(&sql);
    dp_buf_fini(&sub);
    /* Node rows by trace id: [first, count] into the nodes array. */
    json_t *index = json_object();
    size_t nn = nodes ? json_array_size(nodes) : 0;
    for (size_t i = 0; !err && i < nn;) {
        const char *t = json_string_value(
            json_object_get(json_array_get(nodes, i), "trace_id"));
        size_t j = i;
        while (
            j < nn && t &&
            json_equal(json_object_get(json_array_get(nodes, j), "trace_id"),
                       json_object_get(json_array_get(nodes, i), "trace_id")))
            j++;
        if (!t || j == i)
            break;
        json_object_set_new(
            index, t, json_pack("[I,I]", (json_int_t)i, (json_int_t)(j - i)));
        i = j;
    }
    /* Bottleneck types by trace id. */
    json_t *by_trace = json_object();
    for (size_t i = 0; bns && i < json_array_size(bns); i++) {
        json_t *o = json_array_get(bns, i);
        const char *t = json_string_value(json_object_get(o, "trace_id"));
        if (t)
            json_object_set(by_trace, t, json_object_get(o, "types"));
    }
    dp_history_node *nb = NULL;
    size_t cap = 0;
    size_t n_runs = runs ? json_array_size(runs) : 0;
    for (size_t i = 0; !err && i < n_runs; i++) {
        dp_history_run r;
        json_t *row = json_array_get(runs, i);
        dp__ch_decode_run(row, &r);
        if (nodes && r.trace_id) {
            json_t *at = json_object_get(index, r.trace_id);
            size_t first = (size_t)json_integer_value(json_array_get(at, 0));
            size_t cnt = (size_t)json_integer_value(json_array_get(at, 1));
            if (cnt > cap) {
                dp_history_node *g = realloc(nb, cnt * sizeof(*g));
                if (!g) {
                    err = DP_ENOMEM;
                    break;
                }
                nb = g;
                cap = cnt;
            }
            for (size_t k = 0; k < cnt; k++) {
                json_t *o = json_array_get(nodes, first + k);
                const char *kind =
                    json_string_value(json_object_get(o, "kind"));
                nb[k].node_id =
                    json_string_value(json_object_get(o, "node_id"));
                if (!nb[k].node_id)
                    nb[k].node_id = "";
                nb[k].kind = kind && strcmp(kind, "group") == 0 ? DP_NODE_GROUP
                                                                : DP_NODE_LEAF;
                nb[k].execution_ns = dp__ch_i64(o, "execution_ns");
                nb[k].cost_pusd = dp__ch_i64(o, "cost_pusd");
                nb[k].own_cost_pusd = dp__ch_i64(o, "own_cost_pusd");
                nb[k].status = dp__history_status_of(
                    json_string_value(json_object_get(o, "status")));
            }
            r.nodes = cnt ? nb : NULL;
            r.n_nodes = cnt;
        }
        json_t *types =
            r.trace_id ? json_object_get(by_trace, r.trace_id) : NULL;
        for (size_t k = 0; k < json_array_size(types); k++) {
            const char *ty = json_string_value(json_array_get(types, k));
            for (int b = 0; ty && b < DP_BN__COUNT; b++)
                if (strcmp(dp_bottleneck_type_name(b), ty) == 0)
                    r.bottlenecks[b]++;
        }
        err = fn(user, &r);
    }
    free(nb);
    json_decref(index);
    json_decref(by_trace);
    json_decref(runs);
    json_decref(nodes);
    json_decref(bns);
    return err;
}

static int ch_profile(void *ctx, const char *trace_id, dp_buf *out)
{
    dp_ch *c = ctx;
    size_t len = strlen(trace_id);
    char sql[256];
    if (len < 8 || len > 32 || strspn(trace_id, "0123456789abcdef") != len)
        return DP_EINVAL;
    snprintf(sql, sizeof(sql),
             "SELECT json FROM profiles WHERE startsWith(trace_id, '%s') "
             "ORDER BY trace_id, profiled_at_ns DESC LIMIT 1 BY trace_id "
             "LIMIT 2 FORMAT JSONEachRow",
             trace_id);
    json_t *rows = select_rows(c, sql);
    if (!rows)
        return DP_EIO;
    int err = DP_ENOENT;
    if (json_array_size(rows) > 1)
        err = DP_EINVAL;
    else if (json_array_size(rows) == 1) {
        json_t *j = json_object_get(json_array_get(rows, 0), "json");
        err = json_is_string(j) && dp_buf_append(out, json_string_value(j),
                                                 json_string_length(j)) == 0
                  ? 0
                  : DP_ENOMEM;
    }
    json_decref(rows);
    return err;
}

/* The versions of f's runs, each trace counted once: per version the
 * distinct 64-bit hashes of its trace ids against its row count (a copy of
 * a run has its version; unequal, a copy or a collision, and the list is
 * read again with LIMIT 1 BY trace_id). With f->loose_counts, neither. */
static int ch_versions(void *ctx, const dp_history_filter *f,
                       dp_history_version_fn fn, void *user)
{
    dp_ch *c = ctx;
    dp_history_filter g = *f;
    g.version = NULL;
    json_t *rows = NULL;
    for (int dedupe = 0; dedupe < 2; dedupe++) {
        dp_buf sql;
        dp_buf_init(&sql);
        dp_buf_printf(&sql,
                      "SELECT version, count() AS n, %s AS u, min(start_ns) "
                      "AS lo, max(start_ns) AS hi FROM (SELECT version, "
                      "start_ns, trace_id",
                      dedupe || g.loose_counts ? "count()"
                                               : "uniqExact(cityHash64("
                                                 "trace_id))");
        runs_from(&sql, &g);
        dp_buf_puts(&sql, dedupe ? " LIMIT 1 BY trace_id)" : ")");
        dp_buf_puts(&sql, " GROUP BY version ORDER BY lo, version FORMAT "
                          "JSONEachRow");
        json_decref(rows);
        rows = sql.data ? select_rows(c, sql.data) : NULL;
        dp_buf_fini(&sql);
        if (!rows)
            return DP_EIO;
        bool copies = false;
        for (size_t i = 0; i < json_array_size(rows); i++) {
            json_t *o = json_array_get(rows, i);
            copies |= dp__ch_i64(o, "n") != dp__ch_i64(o, "u");
        }
        if (!copies)
            break;
    }
    int err = 0;
    for (size_t i = 0; !err && i < json_array_size(rows); i++) {
        json_t *o = json_array_get(rows, i);
        dp_history_version v = {
            json_string_value(json_object_get(o, "version")),
            (uint64_t)dp__ch_i64(o, "n"), (uint64_t)dp__ch_i64(o, "lo"),
            (uint64_t)dp__ch_i64(o, "hi")};
        err = fn(user, &v);
    }
    json_decref(rows);
    return err;
}

/* Model throughput (history.h), as sq_throughput: model_calls rows of
 * each trace's latest store (the runs row's profiled_at_ns) whose model
 * starts with prefix in any ASCII case (lower() is ASCII's, like SQLite's
 * LIKE), latest runs first (ties by trace id, where SQLite takes the
 * order of storing), each run's output tokens per second of call time
 * over the models match() accepts, p50 nearest rank in thousandths. A
 * store made before model_calls existed (no table): DP_ENOENT. */
static int ch_throughput(void *ctx, const char *prefix,
                         bool (*match)(const char *model, void *user),
                         void *user, unsigned max_runs, double *tps,
                         size_t *runs)
{
    dp_ch *c = ctx;
    dp_buf sql;
    *tps = 0;
    *runs = 0;
    json_t *t = select_rows(c, "SELECT count() AS n FROM system.tables WHERE "
                               "database = currentDatabase() AND name = "
                               "'model_calls' FORMAT JSONEachRow");
    if (!t)
        return DP_EIO;
    int64_t have = dp__ch_i64(json_array_get(t, 0), "n");
    json_decref(t);
    if (!have)
        return DP_ENOENT;
    dp_buf_init(&sql);
    dp_buf_puts(&sql, "SELECT trace_id, model, llm_ns, output_tokens FROM "
                      "(SELECT trace_id, profiled_at_ns AS at, model, llm_ns, "
                      "output_tokens FROM model_calls WHERE "
                      "startsWith(lower(model), lower(");
    dp__ch_quote(&sql, prefix);
    dp_buf_puts(&sql, "))) ANY INNER JOIN (SELECT trace_id, "
                      "argMax(start_ns, profiled_at_ns) AS start_ns, "
                      "max(profiled_at_ns) AS at FROM runs WHERE "
                      "trace_id IN (SELECT trace_id FROM model_calls WHERE "
                      "startsWith(lower(model), lower(");
    dp__ch_quote(&sql, prefix);
    dp_buf_puts(&sql, "))) GROUP BY trace_id) USING (trace_id, at) "
                      "ORDER BY start_ns DESC, trace_id, "
                      "model LIMIT 1 BY trace_id, model FORMAT JSONEachRow");
    json_t *rows = sql.data ? select_rows(c, sql.data) : NULL;
    dp_buf_fini(&sql);
    if (!rows)
        return DP_EIO;
    dp__tps_runs acc;
    const char *cur = NULL;
    if (dp__tps_runs_init(&acc, max_runs)) {
        json_decref(rows);
        return DP_ENOMEM;
    }
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *o = json_array_get(rows, i);
        const char *run = json_string_value(json_object_get(o, "trace_id"));
        const char *model = json_string_value(json_object_get(o, "model"));
        if (!run || !model || (match && !match(model, user)))
            continue;
        bool new_run = !cur || strcmp(run, cur) != 0;
        cur = run;
        if (dp__tps_runs_add(&acc, new_run, dp__ch_i64(o, "llm_ns"),
                             dp__ch_i64(o, "output_tokens")))
            break;
    }
    int err = dp__tps_runs_finish(&acc, tps, runs);
    json_decref(rows);
    return err;
}

static void ch_close(void *ctx)
{
    dp__ch_close(ctx);
}

const dp_history_backend dp_history_clickhouse_backend = {
    .name = "clickhouse",
    .runs = ch_runs,
    .profile = ch_profile,
    .versions = ch_versions,
    .throughput = ch_throughput,
    .trends = dp__ch_trends,
    .regress = dp__ch_regress,
    .claim = dp__ch_claim,
    .close = ch_close,
};
