/*
 * clickhouse_stats.c - `trends` and `regressions` aggregated by ClickHouse
 * (the optional trends and regress operations of dp_history_backend), so
 * that a million runs are not pulled into dagprof row by row.
 *
 * Trends: one GROUP BY over the deduplicated runs, one row per bucket:
 * runs, the nearest-rank p50/p95 of wall and cost, the tokens' sum and the
 * runs with a failed node. ClickHouse's quantileExact(q) takes the element
 * at 0-based index floor(q x n), which for an even n is one rank above the
 * nearest rank dagprof uses (ceil(q x n), 1-based; for n = 4, p50 is the
 * 2nd value, quantileExact(0.5) the 3rd); so the rank is computed here:
 * arraySort(groupArray(x))[greatest(1, intDiv(P x n + 99, 100))], the same
 * integer formula as dp_stats_percentile. The mean and the error rate
 * are computed in C from the sums (dp_trends_put), as for SQLite.
 *
 * Regressions: one query gathers, per key (the run, each node id) and
 * side, the sorted vector of executionTime (the run: wall) and of cost as
 * arraySort(groupArray(...)), one row per (key, side), in RowBinary (an
 * Array(Int64) is a length and 8 little-endian bytes per value: no text to
 * parse). The p50s and the Mann-Whitney U test are then computed from
 * the sorted vectors by regress.c, the same code the SQLite path runs, so
 * the answers are the same bits. Keys come ordered by side, then the run
 * first, then by their first appearance (start, trace id, node index),
 * which is the order regress.c creates keys in when fed run by run.
 *
 * A trace stored twice (two shards, a second load) is read once. Hashing
 * every run's trace id for that is most of the cost at 1,000,000 runs, so
 * a first query proves there is no copy (count() against
 * uniqExact(cityHash64(trace_id)), integers only) and the aggregation then
 * reads the rows as they are; only when copies exist does it deduplicate:
 * LIMIT 1 BY trace_id over the runs (without the sort of the row-by-row
 * queries, which alone took longer at 1,000,000 runs than the answer
 * may), node rows from the trace's latest store once per index. Copies of
 * one profile agree on every column, so the choice among them does not
 * matter; two different profiles of one trace id (the trace profiled
 * again, before ClickHouse merges them) count once, either of them.
 *
 * SQL accepted by clickhouse-server 18.16 (Debian 12) and by current
 * releases: groupArray, arraySort, arrayElement by subscript, min of a
 * tuple, LIMIT BY, ALL INNER JOIN ... USING, UNION ALL in a subquery.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clickhouse.h"
#include "grow.h"
#include "history_stats.h"
#include "log.h"

/* The bucket key of a trend query. */
static const char *const trend_keys[3] = {"intDiv(start_ns, 86400000000000)",
                                          "intDiv(start_ns, 3600000000000)",
                                          "ifNull(version, '(none)')"};

int dp__ch_trends_sql(dp_buf *b, const dp_history_filter *f, int by,
                      bool dedupe)
{
    if (by < DP_TREND_DAY || by > DP_TREND_VERSION)
        return DP_EINVAL;
    /* Versions are ordered by their first run (start, then trace id) as
     * the row-by-row path meets them; days and hours by their key.
     * The nearest-rank percentile (the 1-based rank ceil(P n / 100)) by
     * quantileExact, which takes the 0-based index floor(q n) of the
     * ascending values, found in linear time: over the negated values,
     * with q = 1 - P/100, that index is the 0-based n - 1 - floor(q n) =
     * ceil(P n / 100) - 1 of the ascending ones (q = 0.5 and 0.05; 0.05 is
     * a little above 1/20 as a double, so q n never falls below an integer
     * it equals). Sorting each bucket's arrays instead cost 2-3 times as
     * much at 1,000,000 runs. u: the distinct 64-bit hashes of the bucket's
     * trace ids, against n (a copy of a run falls in its bucket). */
    dp_buf_printf(
        b,
        "SELECT k, n, u, lo, w50, w95, c50, c95, tok, err FROM (SELECT %s AS"
        " k, count() AS n, %s AS u, min(start_ns) AS lo, %s AS fst,"
        " quantilesExact(0.5, 0.05)(-wall_ns) AS qw,"
        " quantilesExact(0.5, 0.05)(-cost_pusd) AS qc,"
        " -qw[1] AS w50, -qw[2] AS w95, -qc[1] AS c50, -qc[2] AS c95,"
        " sum(total_tokens) AS tok, countIf(failed_nodes > 0) AS err"
        " FROM (SELECT trace_id, version, start_ns, wall_ns, total_tokens,"
        " cost_pusd, failed_nodes FROM runs",
        trend_keys[by], dedupe ? "count()" : "uniqExact(cityHash64(trace_id))",
        by == DP_TREND_VERSION ? "min((start_ns, trace_id))" : "min(start_ns)");
    dp__ch_filter_sql(b, f);
    dp_buf_printf(b,
                  "%s) GROUP BY k) ORDER BY fst FORMAT "
                  "JSONEachRow",
                  dedupe ? " LIMIT 1 BY trace_id" : "");
    return b->data ? 0 : DP_ENOMEM;
}

typedef struct trend_ctx {
    dp_trends *t;
    int by;
    bool copies; /* a bucket's n is not its u */
} trend_ctx;

static int on_bucket_check(void *user, void *obj)
{
    trend_ctx *c = user;
    c->copies |= dp__ch_i64(obj, "n") != dp__ch_i64(obj, "u");
    return 0;
}

static int on_bucket(void *user, void *obj)
{
    trend_ctx *c = user;
    int64_t pct[4] = {dp__ch_i64(obj, "w50"), dp__ch_i64(obj, "w95"),
                      dp__ch_i64(obj, "c50"), dp__ch_i64(obj, "c95")};
    const char *version = c->by == DP_TREND_VERSION
                              ? json_string_value(json_object_get(obj, "k"))
                              : NULL;
    if (c->by == DP_TREND_VERSION && !version)
        return DP_EINVAL;
    return dp_trends_put(c->t, version, (uint64_t)dp__ch_i64(obj, "lo"),
                         (uint64_t)dp__ch_i64(obj, "n"), pct,
                         dp__ch_i64(obj, "tok"),
                         (uint64_t)dp__ch_i64(obj, "err"));
}

/* One aggregation; again with LIMIT 1 BY trace_id (which costs about as
 * much again) only when a bucket holds a trace twice. */
int dp__ch_trends(void *ctx, const dp_history_filter *f, int by,
                  struct dp_trends *t)
{
    dp_buf sql, out;
    dp_buf_init(&sql);
    dp_buf_init(&out);
    trend_ctx c = {t, by, false};
    int err = 0;
    for (int dedupe = 0; !err && dedupe < 2; dedupe++) {
        dp_buf_reset(&sql);
        dp_buf_reset(&out);
        err = dp__ch_trends_sql(&sql, f, by, dedupe);
        if (!err)
            err = dp__ch_exec(ctx, sql.data, NULL, 0, &out);
        if (!err && !dedupe && out.len)
            err = dp__ch_each_row(out.data, out.len, on_bucket_check, &c);
        if (!err && !c.copies)
            break;
    }
    if (!err && out.len)
        err = dp__ch_each_row(out.data, out.len, on_bucket, &c);
    if (err == DP_EINVAL)
        dp_log_error("history", "clickhouse: a trends reply is not as "
                                "expected");
    dp_buf_fini(&sql);
    dp_buf_fini(&out);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Regressions.                                                             */

/* " WHERE ... AND version IN (base, cand)" of both sides' runs. */
static void sides_where(dp_buf *b, const dp_history_filter *f, const char *base,
                        const char *cand)
{
    dp_history_filter g = *f;
    g.version = NULL;
    g.trace_id = NULL;
    dp__ch_filter_sql(b, &g);
    dp_buf_puts(b, " AND version IN (");
    dp__ch_quote(b, base);
    dp_buf_puts(b, ", ");
    dp__ch_quote(b, cand);
    dp_buf_puts(b, ")");
}

int dp__ch_regress_pre_sql(dp_buf *b, const dp_history_filter *f,
                           const char *base, const char *cand)
{
    dp_buf_puts(b, "SELECT count() AS n,"
                   " uniqExact(cityHash64(trace_id), version) AS u,"
                   " sum(node_count) AS nodes, min(start_ns) AS lo,"
                   " max(start_ns) AS hi FROM runs");
    sides_where(b, f, base, cand);
    dp_buf_puts(b, " FORMAT JSONEachRow");
    return b->data ? 0 : DP_ENOMEM;
}

/* The samples of every key per side, as two arrays, with the key's first
 * appearance: (start, node index) of the earliest run having it. Rows come
 * in no order (an ORDER BY of these few rows made the server move the
 * arrays again: 0.3 s of 0.6 at 1,000,000 runs); dp__ch_regress_rows
 * orders them. rows: a UNION ALL of the runs' and the nodes' (is_run,
 * node_id, side, start_ns, idx, tv, cv). */
static void samples_sql(dp_buf *b, const char *rows)
{
    dp_buf_printf(b,
                  "SELECT is_run, node_id, side, min(start_ns) AS s,"
                  " argMin(idx, start_ns) AS i, groupArray(tv) AS t,"
                  " groupArray(cv) AS c FROM (%s) GROUP BY is_run, node_id,"
                  " side FORMAT RowBinary",
                  rows);
}

static void side_col(dp_buf *b, const char *base)
{
    dp_buf_puts(b, "toUInt8(ifNull(version, '') != ");
    dp__ch_quote(b, base);
    dp_buf_puts(b, ") AS side");
}

int dp__ch_regress_sql(dp_buf *b, const dp_history_filter *f, const char *base,
                       const char *cand, int64_t lo_s, int64_t hi_s, int how)
{
    bool dedupe = how == DP_CH_REGRESS_DEDUPE;
    dp_buf where, runs, nodes;
    dp_buf_init(&where);
    dp_buf_init(&runs);
    dp_buf_init(&nodes);
    sides_where(&where, f, base, cand);
    /* The sorting key's range of the two versions narrows every read. */
    dp_buf_printf(&where,
                  " AND start >= toDateTime(%lld) AND start <= "
                  "toDateTime(%lld)",
                  (long long)lo_s, (long long)hi_s);
    if (how == DP_CH_REGRESS_NODES) {
        /* Node rows carrying their run's version and start (schema 3):
         * both tables read by the same filter and grouped apart, no
         * join. */
        dp_buf_puts(b, "SELECT is_run, node_id, side, s, i, t, c FROM ("
                       "SELECT toUInt8(1) AS is_run, '' AS node_id, ");
        side_col(b, base);
        dp_buf_printf(b,
                      ", min(start_ns) AS s, toUInt32(0) AS i, "
                      "groupArray(wall_ns) AS t, groupArray(cost_pusd) AS c "
                      "FROM runs%s GROUP BY side UNION ALL SELECT toUInt8(0) "
                      "AS is_run, node_id, ",
                      where.data ? where.data : "");
        side_col(b, base);
        dp_buf_printf(b,
                      ", min(start_ns) AS s, argMin(idx, start_ns) AS i, "
                      "groupArray(execution_ns) AS t, groupArray(cost_pusd) "
                      "AS c FROM nodes%s GROUP BY node_id, side) FORMAT "
                      "RowBinary",
                      where.data ? where.data : "");
        int err = where.data && b->data ? 0 : DP_ENOMEM;
        dp_buf_fini(&where);
        return err;
    }
    /* The runs of both sides, each trace once per version when dedupe (as
     * two queries of one version each would read them). */
    dp_buf_puts(&runs, "SELECT trace_id, start_ns, ");
    side_col(&runs, base);
    dp_buf_printf(&runs, ", wall_ns, cost_pusd FROM runs%s%s",
                  where.data ? where.data : "",
                  dedupe ? " LIMIT 1 BY trace_id, side" : "");
    /* Their node rows: the sorting key's dag and start range narrows the
     * read; the join keeps the runs' own. With dedupe, those of each
     * trace's latest store, once per index. */
    dp_buf_puts(&nodes, "SELECT cityHash64(trace_id) AS h, trace_id, idx, "
                        "node_id, execution_ns, cost_pusd FROM nodes WHERE "
                        "dag_id = ");
    dp__ch_quote(&nodes, f->dag ? f->dag : "");
    dp_buf_printf(&nodes,
                  " AND start >= toDateTime(%lld) AND start <= "
                  "toDateTime(%lld)",
                  (long long)lo_s, (long long)hi_s);
    if (dedupe) {
        dp_buf_puts(&nodes, " AND (trace_id, profiled_at_ns) IN (SELECT "
                            "trace_id, max(profiled_at_ns) FROM nodes WHERE "
                            "dag_id = ");
        dp__ch_quote(&nodes, f->dag ? f->dag : "");
        dp_buf_printf(&nodes,
                      " AND start >= toDateTime(%lld) AND start <= "
                      "toDateTime(%lld) GROUP BY trace_id) LIMIT 1 BY "
                      "trace_id, idx",
                      (long long)lo_s, (long long)hi_s);
    }
    /* The join is on a 64-bit hash of the trace id (a cheaper hash table
     * than of the strings) and then on the ids themselves, so a collision
     * adds no row. */
    dp_buf rows;
    dp_buf_init(&rows);
    dp_buf_printf(
        &rows,
        "SELECT toUInt8(1) AS is_run, '' AS node_id, side, start_ns,"
        " toUInt32(0) AS idx, wall_ns AS tv, cost_pusd AS cv FROM (%s)"
        " UNION ALL "
        "SELECT toUInt8(0) AS is_run, node_id, side, start_ns, idx,"
        " execution_ns AS tv, cost_pusd AS cv FROM (%s) ALL INNER JOIN"
        " (SELECT cityHash64(trace_id) AS h, trace_id AS rt, start_ns, side"
        " FROM (%s)) USING h WHERE trace_id = rt",
        runs.data, nodes.data, runs.data);
    if (rows.data)
        samples_sql(b, rows.data);
    int err = where.data && runs.data && nodes.data && rows.data && b->data
                  ? 0
                  : DP_ENOMEM;
    dp_buf_fini(&rows);
    dp_buf_fini(&where);
    dp_buf_fini(&runs);
    dp_buf_fini(&nodes);
    return err;
}

typedef struct reader {
    const unsigned char *p, *end;
} reader;

static int rd_varint(reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return DP_EINVAL;
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return DP_EINVAL;
}

static int rd_u8(reader *r, unsigned *out)
{
    if (r->p >= r->end)
        return DP_EINVAL;
    *out = *r->p++;
    return 0;
}

/* An Array(Int64): *v points into the body (little-endian, unaligned:
 * copied out by the caller). */
static int rd_i64s(reader *r, const unsigned char **v, size_t *n)
{
    uint64_t len;
    if (rd_varint(r, &len) || len > (uint64_t)(r->end - r->p) / 8)
        return DP_EINVAL;
    *v = r->p;
    *n = (size_t)len;
    r->p += len * 8;
    return 0;
}

/* One row of the reply, pointing into it. */
typedef struct key_row {
    unsigned is_run, side;
    int64_t s;
    uint32_t i;
    const unsigned char *id, *t, *c;
    size_t id_len, n;
} key_row;

static int rd_fixed(reader *r, size_t n, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < n)
        return DP_EINVAL;
    uint64_t v = 0;
    for (size_t k = n; k-- > 0;)
        v = v << 8 | r->p[k];
    r->p += n;
    *out = v;
    return 0;
}

static int rd_key_row(reader *rd, key_row *k)
{
    uint64_t idlen, s, i;
    size_t nc;
    if (rd_u8(rd, &k->is_run) || rd_varint(rd, &idlen) ||
        idlen > (uint64_t)(rd->end - rd->p))
        return DP_EINVAL;
    k->id = rd->p;
    k->id_len = (size_t)idlen;
    rd->p += idlen;
    if (rd_u8(rd, &k->side) || k->side > 1 || rd_fixed(rd, 8, &s) ||
        rd_fixed(rd, 4, &i) || rd_i64s(rd, &k->t, &k->n) ||
        rd_i64s(rd, &k->c, &nc) || nc != k->n)
        return DP_EINVAL;
    k->s = (int64_t)s;
    k->i = (uint32_t)i;
    return 0;
}

/* Side, the run first, then first appearance; the id breaks a tie (two
 * keys first seen at the same index of runs that started together). */
static int cmp_key_row(const void *a, const void *b)
{
    const key_row *x = a, *y = b;
    if (x->side != y->side)
        return x->side < y->side ? -1 : 1;
    if (x->is_run != y->is_run)
        return x->is_run > y->is_run ? -1 : 1;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    if (x->i != y->i)
        return x->i < y->i ? -1 : 1;
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->id, y->id, n);
    if (c)
        return c;
    return x->id_len < y->id_len ? -1 : x->id_len > y->id_len;
}

int dp__ch_regress_rows(const char *body, size_t len, struct dp_regress *r,
                        uint64_t *node_samples)
{
    reader rd = {(const unsigned char *)body,
                 (const unsigned char *)body + len};
    key_row *rows = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    while (!err && rd.p < rd.end) {
        key_row k;
        if ((err = rd_key_row(&rd, &k)))
            break;
        if (node_samples && !k.is_run)
            *node_samples += k.n;
        if (!r)
            continue; /* counting only */
        if ((err = dp_grow(&rows, n, &cap, sizeof(*rows), 16)))
            break;
        rows[n++] = k;
    }
    if (!err && n > 1)
        qsort(rows, n, sizeof(*rows), cmp_key_row);
    char *id = NULL;
    for (size_t j = 0; !err && j < n; j++) {
        const key_row *k = &rows[j];
        char *nid = realloc(id, k->id_len + 1);
        if (!nid) {
            err = DP_ENOMEM;
            break;
        }
        id = nid;
        memcpy(id, k->id, k->id_len);
        id[k->id_len] = '\0';
        err = dp_regress_add_series_le(r, (int)k->side, k->is_run ? NULL : id,
                                       k->t, k->c, k->n);
    }
    free(rows);
    free(id);
    return err;
}

typedef struct pre {
    int64_t n, u, nodes, lo, hi;
} pre;

static int on_pre(void *user, void *obj)
{
    pre *p = user;
    p->n = dp__ch_i64(obj, "n");
    p->u = dp__ch_i64(obj, "u");
    p->nodes = dp__ch_i64(obj, "nodes");
    p->lo = dp__ch_i64(obj, "lo");
    p->hi = dp__ch_i64(obj, "hi");
    return 0;
}

/* First the runs of both sides are counted: when no trace is stored twice
 * (the usual case) the samples are read without deduplication, which
 * costs a hash of every row's trace id, and, where node rows carry their
 * run's version (schema 3), without the join to runs; if the node rows
 * then are not the runs' node count (node rows of a batch whose run rows
 * failed, stored again; node rows written before schema 3), or when a
 * trace is stored twice, through the join with deduplication. */
int dp__ch_regress(void *ctx, const dp_history_filter *f, const char *base,
                   const char *cand, struct dp_regress *r)
{
    dp_buf sql, out;
    pre p = {0, 0, 0, 0, 0};
    dp_buf_init(&sql);
    dp_buf_init(&out);
    int err = dp__ch_regress_pre_sql(&sql, f, base, cand);
    if (!err)
        err = dp__ch_exec(ctx, sql.data, NULL, 0, &out);
    if (!err && out.len)
        err = dp__ch_each_row(out.data, out.len, on_pre, &p);
    bool dedupe = p.n != p.u;
    for (int pass = 0; !err && p.n > 0 && pass < 2; pass++) {
        dp_buf_reset(&sql);
        dp_buf_reset(&out);
        int how = dedupe                  ? DP_CH_REGRESS_DEDUPE
                  : dp__ch_node_runs(ctx) ? DP_CH_REGRESS_NODES
                                          : DP_CH_REGRESS_JOIN;
        err = dp__ch_regress_sql(&sql, f, base, cand, p.lo / 1000000000,
                                 p.hi / 1000000000, how);
        if (!err)
            err = dp__ch_exec(ctx, sql.data, NULL, 0, &out);
        uint64_t samples = 0;
        if (!err && !dedupe && out.len) {
            err = dp__ch_regress_rows(out.data, out.len, NULL, &samples);
            if (!err && samples != (uint64_t)p.nodes) {
                dedupe = true;
                continue;
            }
        }
        if (!err && out.len)
            err = dp__ch_regress_rows(out.data, out.len, r, NULL);
        break;
    }
    if (err == DP_EINVAL)
        dp_log_error("history", "clickhouse: a regressions reply is not as "
                                "expected");
    dp_buf_fini(&sql);
    dp_buf_fini(&out);
    return err;
}
