/*
 * sqlite_query.c - the SQLite backend of the history query interface
 * (history.h, dp_history_backend): runs with their nodes and bottleneck
 * counts, one stored profile, the versions of a DAG.
 *
 * The store is opened read-only (SQLITE_OPEN_READONLY): a query never
 * creates, migrates or locks out the writer; in WAL mode it reads a
 * consistent snapshot while `dagprof serve` keeps writing. A store of an
 * older schema is read as it is where the columns allow (version 1 lacks
 * failed_nodes: it is counted from the node rows), a newer one refused.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "history_internal.h"
#include "log.h"

typedef struct sq {
    sqlite3 *db;
    char *path;
    int version;
    sqlite3_stmt *bns; /* bottleneck types of one run */
    dp_history_node *node_buf;
    size_t node_cap;
    dp_buf names; /* the node ids of the run being delivered */
    /* WANT_SAMPLES: the runs of one start time, held until it ends. */
    struct grp_run *grp;
    size_t grp_n, grp_cap;
    size_t node_n; /* node_buf entries in use by grp */
} sq;

typedef struct grp_run {
    sqlite3_int64 id;
    uint64_t start;
    int64_t wall, cost;
    size_t node0, n_nodes; /* in node_buf */
    char trace[33];        /* looked up when a start time is shared */
} grp_run;

static void sq_close(void *ctx)
{
    sq *q = ctx;
    if (!q)
        return;
    sqlite3_finalize(q->bns);
    sqlite3_close(q->db);
    free(q->node_buf);
    free(q->grp);
    dp_buf_fini(&q->names);
    free(q->path);
    free(q);
}

void *dp__history_sqlite_open_ro(const char *path, char *err, size_t err_len)
{
    sq *q = calloc(1, sizeof(*q));
    if (!q || !(q->path = strdup(path))) {
        snprintf(err, err_len, "out of memory");
        free(q);
        return NULL;
    }
    dp_buf_init(&q->names);
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        snprintf(err, err_len, "%s: cannot open the history store: %s", path,
                 q->db ? sqlite3_errmsg(q->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(q->db, 5000);
    q->version = dp__history_user_version(q->db);
    if (q->version < 0) {
        snprintf(err, err_len, "%s: not a history store (%s)", path,
                 sqlite3_errmsg(q->db));
        goto fail;
    }
    if (q->version == 0) {
        snprintf(err, err_len,
                 "%s: not a history store (no dagprof schema in it)", path);
        goto fail;
    }
    if (q->version > DP_HISTORY_SCHEMA_VERSION) {
        snprintf(err, err_len,
                 "%s: history schema version %d is newer than this "
                 "dagprof's (%d)",
                 path, q->version, DP_HISTORY_SCHEMA_VERSION);
        goto fail;
    }
    if (sqlite3_prepare_v2(q->db,
                           "SELECT type FROM bottlenecks WHERE run_id = ?1", -1,
                           &q->bns, NULL) != SQLITE_OK) {
        snprintf(err, err_len, "%s: %s", path, sqlite3_errmsg(q->db));
        goto fail;
    }
    return q;
fail:
    sq_close(q);
    return NULL;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* Appends " AND ..." for f's conditions; binds come in the same order
 * (bind_filter). */
static void filter_sql(dp_buf *b, const dp_history_filter *f)
{
    dp_buf_puts(b, " WHERE 1");
    if (f->dag)
        dp_buf_puts(b, " AND runs.dag_id = ?");
    if (f->version)
        dp_buf_puts(b, " AND runs.version IS ?");
    if (f->since_unix_ns)
        dp_buf_puts(b, " AND runs.start_ns >= ?");
    if (f->until_unix_ns)
        dp_buf_puts(b, " AND runs.start_ns < ?");
    if (f->trace_id)
        dp_buf_puts(b, " AND runs.trace_id = ?");
}

static void bind_filter(sqlite3_stmt *s, const dp_history_filter *f)
{
    int i = 1;
    if (f->dag)
        sqlite3_bind_text(s, i++, f->dag, -1, SQLITE_STATIC);
    if (f->version)
        sqlite3_bind_text(s, i++, f->version, -1, SQLITE_STATIC);
    if (f->since_unix_ns)
        sqlite3_bind_int64(s, i++, (sqlite3_int64)f->since_unix_ns);
    if (f->until_unix_ns)
        sqlite3_bind_int64(s, i++, (sqlite3_int64)f->until_unix_ns);
    if (f->trace_id)
        sqlite3_bind_text(s, i++, f->trace_id, -1, SQLITE_STATIC);
}

/* The node rows of the runs a query delivers, in the same order, one
 * statement for all of them (a query per run costs several times more). */
static sqlite3_stmt *node_stream(sq *q, const dp_history_filter *f,
                                 const char *order)
{
    dp_buf sql;
    sqlite3_stmt *s = NULL;
    dp_buf_init(&sql);
    dp_buf_puts(&sql, "SELECT runs.run_id, n.node_id, n.kind, n.execution_ns,"
                      " n.cost_pusd, n.own_cost_pusd, n.status FROM runs"
                      " JOIN nodes n ON n.run_id = runs.run_id");
    filter_sql(&sql, f);
    dp_buf_puts(&sql, order);
    dp_buf_puts(&sql, ", n.idx");
    if (!sql.data ||
        sqlite3_prepare_v2(q->db, sql.data, -1, &s, NULL) != SQLITE_OK)
        s = NULL;
    else
        bind_filter(s, f);
    dp_buf_fini(&sql);
    return s;
}

/* Takes run's rows off the node stream (positioned on its next row, *more
 * false at its end) into q->node_buf, the ids copied into q->names (a
 * statement's texts do not outlive its next step). Valid until the next
 * call. */
static int load_nodes(sq *q, sqlite3_stmt *ns, bool *more, sqlite3_int64 run,
                      dp_history_run *r)
{
    size_t n = 0;
    dp_buf_reset(&q->names);
    while (*more && sqlite3_column_int64(ns, 0) == run) {
        if (n == q->node_cap) {
            size_t cap = q->node_cap ? q->node_cap * 2 : 16;
            dp_history_node *nb = realloc(q->node_buf, cap * sizeof(*nb));
            if (!nb)
                return DP_ENOMEM;
            q->node_buf = nb;
            q->node_cap = cap;
        }
        dp_history_node *d = &q->node_buf[n++];
        const char *id = col_text(ns, 1);
        /* The offset for now; made a pointer once names stops moving. */
        d->node_id = (const char *)(uintptr_t)q->names.len;
        if (dp_buf_append(&q->names, id ? id : "", strlen(id ? id : "") + 1))
            return DP_ENOMEM;
        const char *kind = col_text(ns, 2);
        d->kind =
            kind && strcmp(kind, "group") == 0 ? DP_NODE_GROUP : DP_NODE_LEAF;
        d->execution_ns = sqlite3_column_int64(ns, 3);
        d->cost_pusd = sqlite3_column_int64(ns, 4);
        d->own_cost_pusd = sqlite3_column_int64(ns, 5);
        d->status = dp__history_status_of(col_text(ns, 6));
        *more = sqlite3_step(ns) == SQLITE_ROW;
    }
    for (size_t i = 0; i < n; i++)
        q->node_buf[i].node_id =
            q->names.data + (uintptr_t)q->node_buf[i].node_id;
    r->nodes = n ? q->node_buf : NULL;
    r->n_nodes = n;
    return 0;
}

static void load_bottlenecks(sq *q, sqlite3_int64 run, dp_history_run *r)
{
    sqlite3_bind_int64(q->bns, 1, run);
    while (sqlite3_step(q->bns) == SQLITE_ROW) {
        const char *t = col_text(q->bns, 0);
        for (int k = 0; t && k < DP_BN__COUNT; k++)
            if (strcmp(dp_bottleneck_type_name(k), t) == 0)
                r->bottlenecks[k]++;
    }
    sqlite3_reset(q->bns);
}

/* node_buf grown to hold n entries. */
static int node_room(sq *q, size_t n)
{
    if (n <= q->node_cap)
        return 0;
    size_t cap = q->node_cap ? q->node_cap * 2 : 16;
    while (cap < n)
        cap *= 2;
    dp_history_node *nb = realloc(q->node_buf, cap * sizeof(*nb));
    if (!nb)
        return DP_ENOMEM;
    q->node_buf = nb;
    q->node_cap = cap;
    return 0;
}

static int cmp_grp_trace(const void *a, const void *b)
{
    return strcmp(((const grp_run *)a)->trace, ((const grp_run *)b)->trace);
}

/* Delivers the held runs (one start time): in trace id order when there
 * are several, as the other orders' tie-break has it. */
static int flush_group(sq *q, const dp_history_filter *f, dp_history_run_fn fn,
                       void *user)
{
    int err = 0;
    if (q->grp_n > 1) {
        sqlite3_stmt *t;
        if (sqlite3_prepare_v2(q->db,
                               "SELECT trace_id FROM runs WHERE run_id = ?1",
                               -1, &t, NULL) != SQLITE_OK)
            return DP_EIO;
        for (size_t i = 0; i < q->grp_n; i++) {
            sqlite3_bind_int64(t, 1, q->grp[i].id);
            const char *id =
                sqlite3_step(t) == SQLITE_ROW ? col_text(t, 0) : NULL;
            snprintf(q->grp[i].trace, sizeof(q->grp[i].trace), "%s",
                     id ? id : "");
            sqlite3_reset(t);
        }
        sqlite3_finalize(t);
        qsort(q->grp, q->grp_n, sizeof(*q->grp), cmp_grp_trace);
    }
    for (size_t i = 0; i < q->node_n; i++)
        q->node_buf[i].node_id =
            q->names.data + (uintptr_t)q->node_buf[i].node_id;
    for (size_t i = 0; i < q->grp_n && !err; i++) {
        const grp_run *g = &q->grp[i];
        dp_history_run r;
        memset(&r, 0, sizeof(r));
        r.dag_id = f->dag ? f->dag : "";
        r.version = f->version;
        r.start_unix_ns = g->start;
        r.wall_ns = g->wall;
        r.cost_pusd = g->cost;
        r.nodes = g->n_nodes ? q->node_buf + g->node0 : NULL;
        r.n_nodes = g->n_nodes;
        err = fn(user, &r);
    }
    q->grp_n = 0;
    q->node_n = 0;
    dp_buf_reset(&q->names);
    return err;
}

/* WANT_SAMPLES in start order (regressions): one join of the runs and
 * their node rows that reads nothing else and needs no sort, since the
 * index on (dag, version, start, wall, cost) covers the runs' part and
 * gives their order and the nodes' key (run, idx) the nodes'; runs that
 * share a start time are put in trace id order here, as the general
 * query's ORDER BY does. */
static int sq_samples(sq *q, const dp_history_filter *f, dp_history_run_fn fn,
                      void *user)
{
    dp_buf sql;
    sqlite3_stmt *s = NULL;
    dp_buf_init(&sql);
    dp_buf_puts(&sql, "SELECT runs.run_id, runs.start_ns, runs.wall_ns,"
                      " runs.cost_pusd, n.node_id, n.execution_ns,"
                      " n.cost_pusd FROM runs LEFT JOIN nodes n"
                      " ON n.run_id = runs.run_id");
    filter_sql(&sql, f);
    /* Schema 5's runs_dag_version holds wall and cost after the start:
     * its order is (start, wall, cost, run id). Runs of one start time
     * are reordered below, so any order among them will do. */
    dp_buf_puts(&sql, q->version >= 5 && f->dag && f->version
                          ? " ORDER BY runs.start_ns, runs.wall_ns,"
                            " runs.cost_pusd, runs.run_id, n.idx"
                          : " ORDER BY runs.start_ns, runs.run_id, n.idx");
    int rc = sql.data ? sqlite3_prepare_v2(q->db, sql.data, -1, &s, NULL)
                      : SQLITE_NOMEM;
    dp_buf_fini(&sql);
    if (rc != SQLITE_OK) {
        dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
        return DP_EIO;
    }
    bind_filter(s, f);
    int err = 0;
    q->grp_n = q->node_n = 0;
    dp_buf_reset(&q->names);
    while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(s, 0);
        uint64_t start = (uint64_t)sqlite3_column_int64(s, 1);
        grp_run *g = q->grp_n ? &q->grp[q->grp_n - 1] : NULL;
        if (g && g->start != start) {
            if ((err = flush_group(q, f, fn, user)))
                break;
            g = NULL;
        }
        if (!g || g->id != id) {
            if (q->grp_n == q->grp_cap) {
                size_t cap = q->grp_cap ? q->grp_cap * 2 : 8;
                grp_run *ng = realloc(q->grp, cap * sizeof(*ng));
                if (!ng) {
                    err = DP_ENOMEM;
                    break;
                }
                q->grp = ng;
                q->grp_cap = cap;
            }
            g = &q->grp[q->grp_n++];
            *g = (grp_run){.id = id,
                           .start = start,
                           .wall = sqlite3_column_int64(s, 2),
                           .cost = sqlite3_column_int64(s, 3),
                           .node0 = q->node_n};
        }
        if (sqlite3_column_type(s, 4) == SQLITE_NULL)
            continue; /* a run without nodes */
        if ((err = node_room(q, q->node_n + 1)))
            break;
        const char *nid = col_text(s, 4);
        size_t len = nid ? (size_t)sqlite3_column_bytes(s, 4) : 0;
        dp_history_node *d = &q->node_buf[q->node_n++];
        /* The offset for now; a pointer once names stops moving. */
        d->node_id = (const char *)(uintptr_t)q->names.len;
        d->kind = DP_NODE_LEAF;
        d->execution_ns = sqlite3_column_int64(s, 5);
        d->cost_pusd = sqlite3_column_int64(s, 6);
        d->own_cost_pusd = 0;
        d->status = DP_STATUS_UNSET;
        if (dp_buf_append(&q->names, nid ? nid : "", len + 1)) {
            err = DP_ENOMEM;
            break;
        }
        g->n_nodes++;
    }
    if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
        err = DP_EIO;
    }
    if (!err && q->grp_n)
        err = flush_group(q, f, fn, user);
    q->grp_n = q->node_n = 0;
    sqlite3_finalize(s);
    return err;
}

static int sq_runs(void *ctx, const dp_history_filter *f, int order,
                   uint64_t limit, unsigned want, dp_history_run_fn fn,
                   void *user)
{
    /* trace_id makes every order total, so the node stream below can
     * follow it run by run. */
    static const char *const orders[] = {
        " ORDER BY runs.start_ns DESC, runs.trace_id",
        " ORDER BY runs.start_ns, runs.trace_id",
        " ORDER BY runs.wall_ns DESC, runs.trace_id",
        " ORDER BY runs.cost_pusd DESC, runs.trace_id"};
    sq *q = ctx;
    dp_buf sql;
    sqlite3_stmt *s = NULL;
    int err = 0;

    if (order < 0 || order > DP_HISTORY_COSTLIEST)
        return DP_EINVAL;
    if ((want & DP_HISTORY_WANT_SAMPLES) && (want & DP_HISTORY_WANT_NODES) &&
        !(want & DP_HISTORY_WANT_BOTTLENECKS) && order == DP_HISTORY_OLDEST &&
        !limit && !f->trace_id)
        return sq_samples(q, f, fn, user);
    dp_buf_init(&sql);
    bool slim = (want & DP_HISTORY_WANT_TREND) && q->version >= 3 &&
                order <= DP_HISTORY_OLDEST;
    if (slim) {
        /* The columns of the runs_trend index, in the positions below. */
        dp_buf_puts(&sql, "SELECT 0, NULL, dag_id, version, NULL, NULL,"
                          " start_ns, wall_ns, 0, 0, total_tokens,"
                          " cost_pusd, 1, NULL, 0, 0, NULL, NULL,"
                          " failed_nodes FROM runs");
        want = 0;
    } else
        dp_buf_printf(
            &sql,
            "SELECT run_id, trace_id, dag_id, version, session_id,"
            " service_name, start_ns, wall_ns, critical_path_ns,"
            " efficiency, total_tokens, cost_pusd, complete,"
            " incomplete_reason, span_count, node_count, top_bottleneck,"
            " top_bottleneck_node, %s FROM runs",
            q->version >= 2 ? "failed_nodes"
                            : "(SELECT count(*) FROM nodes WHERE "
                              "nodes.run_id = runs.run_id AND "
                              "status = 'error')");
    filter_sql(&sql, f);
    /* The covering index gives start order; ties need no order there. */
    dp_buf_puts(&sql,
                slim ? (order == DP_HISTORY_NEWEST ? " ORDER BY start_ns DESC"
                                                   : " ORDER BY start_ns")
                     : orders[order]);
    if (limit)
        dp_buf_printf(&sql, " LIMIT %llu", (unsigned long long)limit);
    if (!sql.data) {
        dp_buf_fini(&sql);
        return DP_ENOMEM;
    }
    if (sqlite3_prepare_v2(q->db, sql.data, -1, &s, NULL) != SQLITE_OK) {
        dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
        dp_buf_fini(&sql);
        return DP_EIO;
    }
    dp_buf_fini(&sql);
    bind_filter(s, f);
    sqlite3_stmt *ns = NULL;
    bool more = false;
    if (want & DP_HISTORY_WANT_NODES) {
        ns = node_stream(q, f, orders[order]);
        if (!ns) {
            dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
            sqlite3_finalize(s);
            return DP_EIO;
        }
        more = sqlite3_step(ns) == SQLITE_ROW;
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        dp_history_run r;
        memset(&r, 0, sizeof(r));
        sqlite3_int64 id = sqlite3_column_int64(s, 0);
        r.trace_id = col_text(s, 1);
        r.dag_id = col_text(s, 2);
        r.version = col_text(s, 3);
        r.session_id = col_text(s, 4);
        r.service_name = col_text(s, 5);
        r.start_unix_ns = (uint64_t)sqlite3_column_int64(s, 6);
        r.wall_ns = sqlite3_column_int64(s, 7);
        r.critical_path_ns = sqlite3_column_int64(s, 8);
        r.efficiency = sqlite3_column_double(s, 9);
        r.tokens = sqlite3_column_int64(s, 10);
        r.cost_pusd = sqlite3_column_int64(s, 11);
        r.complete = sqlite3_column_int(s, 12) != 0;
        r.incomplete_reason = col_text(s, 13);
        r.span_count = (uint64_t)sqlite3_column_int64(s, 14);
        r.node_count = (uint32_t)sqlite3_column_int64(s, 15);
        r.top_bottleneck = col_text(s, 16);
        r.top_bottleneck_node = col_text(s, 17);
        r.failed_nodes = (uint32_t)sqlite3_column_int64(s, 18);
        if (!r.dag_id)
            r.dag_id = "";
        if (ns && (err = load_nodes(q, ns, &more, id, &r)))
            break;
        if (want & DP_HISTORY_WANT_BOTTLENECKS)
            load_bottlenecks(q, id, &r);
        err = fn(user, &r);
        if (err)
            break;
    }
    if (!err && rc != SQLITE_DONE) {
        dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
        err = DP_EIO;
    }
    sqlite3_finalize(ns);
    sqlite3_finalize(s);
    return err;
}

static int sq_profile(void *ctx, const char *trace_id, dp_buf *out)
{
    sq *q = ctx;
    sqlite3_stmt *s;
    size_t len = strlen(trace_id);
    char lo[33], hi[34];
    if (len < 8 || len > 32 || strspn(trace_id, "0123456789abcdef") != len)
        return DP_EINVAL;
    /* A prefix is the range [prefix, prefix + "g"): hex digits sort below
     * 'g', and the range uses the trace_id index. */
    snprintf(lo, sizeof(lo), "%s", trace_id);
    snprintf(hi, sizeof(hi), "%sg", trace_id);
    if (sqlite3_prepare_v2(q->db,
                           "SELECT p.json FROM runs r JOIN profiles p USING "
                           "(run_id) WHERE r.trace_id >= ?1 AND r.trace_id < "
                           "?2 LIMIT 2",
                           -1, &s, NULL) != SQLITE_OK) {
        dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
        return DP_EIO;
    }
    sqlite3_bind_text(s, 1, lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, hi, -1, SQLITE_STATIC);
    int err = DP_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        /* Copied before the next step, which invalidates the text. */
        size_t before = out->len;
        const void *j = sqlite3_column_blob(s, 0);
        int n = sqlite3_column_bytes(s, 0);
        err = dp_buf_append(out, j, (size_t)n) ? DP_ENOMEM : 0;
        if (!err && sqlite3_step(s) == SQLITE_ROW) {
            err = DP_EINVAL; /* ambiguous prefix */
            out->len = before;
            if (out->data)
                out->data[before] = '\0';
        }
    }
    sqlite3_finalize(s);
    return err;
}

static int sq_versions(void *ctx, const dp_history_filter *f,
                       dp_history_version_fn fn, void *user)
{
    sq *q = ctx;
    dp_buf sql;
    sqlite3_stmt *s;
    dp_history_filter g = *f;
    g.version = NULL;
    if (f->dag && !f->trace_id && q->version >= 2)
        return dp__history_sqlite_versions(q->db, q->path, f, fn, user);
    dp_buf_init(&sql);
    dp_buf_puts(&sql, "SELECT version, count(*), min(start_ns), max(start_ns)"
                      " FROM runs");
    filter_sql(&sql, &g);
    dp_buf_puts(&sql, " GROUP BY version ORDER BY min(start_ns), version");
    if (!sql.data) {
        dp_buf_fini(&sql);
        return DP_ENOMEM;
    }
    int rc = sqlite3_prepare_v2(q->db, sql.data, -1, &s, NULL);
    dp_buf_fini(&sql);
    if (rc != SQLITE_OK) {
        dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
        return DP_EIO;
    }
    bind_filter(s, &g);
    int err = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        dp_history_version v = {col_text(s, 0),
                                (uint64_t)sqlite3_column_int64(s, 1),
                                (uint64_t)sqlite3_column_int64(s, 2),
                                (uint64_t)sqlite3_column_int64(s, 3)};
        if ((err = fn(user, &v)))
            break;
    }
    if (!err && rc != SQLITE_DONE) {
        dp_log_error("history", "%s: %s", q->path, sqlite3_errmsg(q->db));
        err = DP_EIO;
    }
    sqlite3_finalize(s);
    return err;
}

/* Model throughput (history.h): the rows of the models prefix names,
 * latest runs first, each run's output tokens per second of call time
 * over the models match() accepts. */
static int sq_throughput(void *ctx, const char *prefix,
                         bool (*match)(const char *model, void *user),
                         void *user, unsigned max_runs, double *tps,
                         size_t *runs)
{
    sq *q = ctx;
    sqlite3_stmt *s;
    dp_buf like;
    *tps = 0;
    *runs = 0;
    if (q->version < 4)
        return DP_ENOENT;
    dp_buf_init(&like);
    for (const char *c = prefix; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            dp_buf_puts(&like, "\\");
        dp_buf_append(&like, c, 1);
    }
    if (dp_buf_puts(&like, "%")) {
        dp_buf_fini(&like);
        return DP_ENOMEM;
    }
    if (sqlite3_prepare_v2(q->db,
                           "SELECT m.run_id, m.model, m.llm_ns, "
                           "m.output_tokens FROM model_calls m JOIN runs r "
                           "ON r.run_id = m.run_id WHERE m.model LIKE ?1 "
                           "ESCAPE '\\' ORDER BY r.start_ns DESC, m.run_id",
                           -1, &s, NULL) != SQLITE_OK) {
        dp_buf_fini(&like);
        return DP_EIO;
    }
    sqlite3_bind_text(s, 1, like.data, (int)like.len, SQLITE_STATIC);
    dp__tps_runs acc;
    sqlite3_int64 cur = -1;
    int err = dp__tps_runs_init(&acc, max_runs);
    while (!err && sqlite3_step(s) == SQLITE_ROW) {
        sqlite3_int64 run = sqlite3_column_int64(s, 0);
        const char *model = col_text(s, 1);
        if (!model || (match && !match(model, user)))
            continue;
        bool new_run = run != cur;
        cur = run;
        if (dp__tps_runs_add(&acc, new_run, sqlite3_column_int64(s, 2),
                             sqlite3_column_int64(s, 3)))
            break;
    }
    sqlite3_finalize(s);
    dp_buf_fini(&like);
    return err ? err : dp__tps_runs_finish(&acc, tps, runs);
}

const dp_history_backend dp_history_sqlite_backend = {
    .name = "sqlite",
    .runs = sq_runs,
    .profile = sq_profile,
    .versions = sq_versions,
    .throughput = sq_throughput,
    .close = sq_close,
};
