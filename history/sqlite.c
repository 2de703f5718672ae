/*
 * sqlite.c - the SQLite history store, write side: open (WAL, migrations),
 * transactions, one profile in as rows, and retention by age and size.
 *
 * One dp_history_db is one connection used by one thread at a time (the
 * writer serializes its callers with its own mutex). Statements are
 * prepared once (at open, or at a run's first need) and kept. WAL mode with
 * synchronous=NORMAL: a commit is a sequential append to the -wal file, readers
 * (`dagprof runs` while serve writes) never block the writer, and a crash loses
 * at most the last commits, never the file's consistency.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clickhouse.h"
#include "history.h"
#include "history_internal.h"
#include "log.h"
#include "profile_json.h"

enum {
    ST_FIND,
    ST_DEL_NODES,
    ST_DEL_BN,
    ST_DEL_PROFILE,
    ST_DEL_MODELS,
    ST_DEL_RUN,
    ST_RUN,
    ST_PROFILE,
    ST__COUNT
};

static const char *const sql_text[ST__COUNT] = {
    "SELECT run_id FROM runs WHERE trace_id = ?1",
    "DELETE FROM nodes WHERE run_id = ?1",
    "DELETE FROM bottlenecks WHERE run_id = ?1",
    "DELETE FROM profiles WHERE run_id = ?1",
    "DELETE FROM model_calls WHERE run_id = ?1",
    "DELETE FROM runs WHERE run_id = ?1",
    "INSERT OR FAIL INTO runs (trace_id, profile_id, dag_id, version, "
    "session_id,"
    " service_name, start_ns, profiled_at_ns, wall_ns, critical_path_ns,"
    " sum_execution_ns, efficiency, input_tokens, output_tokens,"
    " cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens,"
    " cost_pusd, complete, incomplete_reason, span_count, node_count,"
    " top_bottleneck, top_bottleneck_node, failed_nodes) VALUES (?1, ?2, ?3,"
    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
    "INSERT OR FAIL INTO profiles VALUES (?1, ?2)",
};

/* The per-run rows (nodes, bottlenecks, model calls) go in with one
 * multi-row INSERT of up to ROWS_MAX rows, prepared the first time a run
 * needs that many rows and kept for every later batch: one statement
 * step per table and run, not per row. */
enum { MT_NODES, MT_BNS, MT_MODELS, MT__COUNT };
enum { ROWS_MAX = 16 };

static const struct {
    const char *table;
    int cols;
} multi_table[MT__COUNT] = {
    {"nodes", 22}, {"bottlenecks", 6}, {"model_calls", 5}};

struct dp_history_db {
    dp_ch *ch; /* the ClickHouse store; NULL: SQLite */
    sqlite3 *db;
    char *path;
    int version;
    bool in_txn;
    sqlite3_stmt *st[ST__COUNT];
    sqlite3_stmt *multi[MT__COUNT][ROWS_MAX]; /* [table][rows - 1] */
    uint64_t prepares; /* statements prepared since open (tests) */
    dp_buf json;       /* scratch for profiles inserted without their JSON */
};

static void log_sql(dp_history_db *h, const char *what)
{
    dp_log_error("history", "%s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
}

static int exec(dp_history_db *h, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        dp_log_error("history", "%s: %s: %s", h->path, sql,
                     msg ? msg : "error");
        sqlite3_free(msg);
        return DP_EIO;
    }
    return 0;
}

void dp_history_db_close(dp_history_db *h)
{
    if (!h)
        return;
    if (h->ch) {
        dp__ch_close(h->ch);
        dp_buf_fini(&h->json);
        free(h);
        return;
    }
    if (h->in_txn)
        dp_history_db_commit(h);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(h->st[i]);
    for (int t = 0; t < MT__COUNT; t++)
        for (int k = 0; k < ROWS_MAX; k++)
            sqlite3_finalize(h->multi[t][k]);
    sqlite3_close(h->db);
    dp_buf_fini(&h->json);
    free(h->path);
    free(h);
}

/* Creates the store's directory when it is missing (one level, 0700). */
static void make_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return;
    char *dir = strndup(path, (size_t)(slash - path));
    if (dir) {
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            dp_log_debug("history", "mkdir %s: %s", dir, strerror(errno));
        free(dir);
    }
}

dp_history_db *dp__history_db_open_at(const char *path, int version, char *err,
                                      size_t err_len)
{
    dp_history_db *h = calloc(1, sizeof(*h));
    if (!h || !(h->path = strdup(path))) {
        snprintf(err, err_len, "out of memory");
        free(h);
        return NULL;
    }
    dp_buf_init(&h->json);
    make_parent_dir(path);
    int rc = sqlite3_open_v2(
        path, &h->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_len, "%s: cannot open: %s", path,
                 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(h->db, 5000);
    /* Before anything is written (WAL mode writes the header): 16 KiB
     * pages (a profile's JSON fits in one, so a run writes about 3 WAL
     * frames instead of 10 at 4 KiB: the writer's syscalls, and fewer
     * reads for the queries) and freed pages can be given back. Both are
     * no-ops on an existing store. */
    sqlite3_exec(h->db, "PRAGMA page_size = 16384", NULL, NULL, NULL);
    sqlite3_exec(h->db, "PRAGMA auto_vacuum = INCREMENTAL", NULL, NULL, NULL);
    sqlite3_exec(h->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    sqlite3_exec(h->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    sqlite3_exec(h->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
    /* 8 MiB of page cache: a batch's pages stay in it between commits. */
    sqlite3_exec(h->db, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
    sqlite3_exec(h->db, "PRAGMA journal_size_limit = 67108864", NULL, NULL,
                 NULL);
    if (dp__history_migrate(h->db, version, path, err, err_len))
        goto fail;
    h->version = dp__history_user_version(h->db);
    if (version == DP_HISTORY_SCHEMA_VERSION) {
        for (int i = 0; i < ST__COUNT; i++) {
            if (sqlite3_prepare_v3(h->db, sql_text[i], -1,
                                   SQLITE_PREPARE_PERSISTENT, &h->st[i],
                                   NULL) != SQLITE_OK) {
                snprintf(err, err_len, "%s: %s", path, sqlite3_errmsg(h->db));
                goto fail;
            }
            h->prepares++;
        }
    }
    return h;
fail:
    dp_history_db_close(h);
    return NULL;
}

dp_history_db *dp_history_db_open(const char *path, char *err, size_t err_len)
{
    if (strncmp(path, "clickhouse://", 13) == 0) {
        dp_history_db *h = calloc(1, sizeof(*h));
        if (!h) {
            snprintf(err, err_len, "out of memory");
            return NULL;
        }
        dp_buf_init(&h->json);
        h->version = DP_HISTORY_SCHEMA_VERSION;
        h->ch = dp__ch_open(path, 1, err, err_len);
        if (!h->ch) {
            free(h);
            return NULL;
        }
        return h;
    }
    if (strncmp(path, "sqlite:", 7) == 0)
        path += 7;
    return dp__history_db_open_at(path, DP_HISTORY_SCHEMA_VERSION, err,
                                  err_len);
}

int dp_history_db_version(dp_history_db *h)
{
    return h->version;
}

int dp_history_db_begin(dp_history_db *h)
{
    if (h->in_txn)
        return 0;
    if (h->ch) {
        h->in_txn = true;
        return 0;
    }
    if (exec(h, "BEGIN IMMEDIATE"))
        return DP_EIO;
    h->in_txn = true;
    return 0;
}

int dp_history_db_commit(dp_history_db *h)
{
    if (!h->in_txn)
        return 0;
    h->in_txn = false;
    if (h->ch)
        return dp__ch_flush(h->ch);
    if (exec(h, "COMMIT")) {
        exec(h, "ROLLBACK");
        return DP_EIO;
    }
    return 0;
}

void dp_history_db_rollback(dp_history_db *h)
{
    if (!h->in_txn)
        return;
    h->in_txn = false;
    if (h->ch)
        dp__ch_discard(h->ch);
    else
        exec(h, "ROLLBACK");
}

bool dp_history_db_in_transaction(const dp_history_db *h)
{
    return h->in_txn;
}

/* Binds a string or NULL. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

/* Binds a token count, NULL when no span reported that type. */
static void bind_tok(sqlite3_stmt *s, int i, int64_t v, unsigned known,
                     unsigned bit)
{
    if (known & bit)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

static void bind_total(sqlite3_stmt *s, int i, const dp_tokens *t)
{
    int64_t sum;
    if (!(t->known & (DP_TOK_INPUT | DP_TOK_OUTPUT))) {
        sqlite3_bind_null(s, i);
        return;
    }
    if (__builtin_add_overflow(t->input, t->output, &sum))
        sum = INT64_MAX;
    sqlite3_bind_int64(s, i, sum);
}

/* Steps a statement that returns no row (or one to ignore) and resets
 * it. Bindings are left: every caller binds every parameter anew. */
static int step_done(dp_history_db *h, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_sql(h, what);
        return DP_EIO;
    }
    return 0;
}

/* The INSERT of k rows (1..ROWS_MAX) into multi_table[t], prepared on
 * first use and kept until close. NULL (logged) when it cannot be. */
static sqlite3_stmt *multi_stmt(dp_history_db *h, int t, size_t k)
{
    sqlite3_stmt **slot = &h->multi[t][k - 1];
    if (*slot)
        return *slot;
    dp_buf sql;
    dp_buf_init(&sql);
    dp_buf_printf(&sql, "INSERT OR FAIL INTO %s VALUES ", multi_table[t].table);
    for (size_t r = 0; r < k; r++) {
        dp_buf_puts(&sql, r ? ",(?" : "(?");
        for (int c = 1; c < multi_table[t].cols; c++)
            dp_buf_puts(&sql, ",?");
        dp_buf_puts(&sql, ")");
    }
    if (!sql.data ||
        sqlite3_prepare_v3(h->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, slot,
                           NULL) != SQLITE_OK) {
        log_sql(h, "preparing an insert");
        *slot = NULL;
    } else
        h->prepares++;
    dp_buf_fini(&sql);
    return *slot;
}

/* Deletes the run stored for trace_id, if any. */
static int delete_trace(dp_history_db *h, const char *trace_id)
{
    sqlite3_stmt *s = h->st[ST_FIND];
    sqlite3_bind_text(s, 1, trace_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_int64 id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        log_sql(h, "looking up a run");
        return DP_EIO;
    }
    if (rc == SQLITE_DONE)
        return 0;
    for (int k = ST_DEL_NODES; k <= ST_DEL_RUN; k++) {
        sqlite3_bind_int64(h->st[k], 1, id);
        if (step_done(h, h->st[k], "replacing a run"))
            return DP_EIO;
    }
    return 0;
}

static int insert_run(dp_history_db *h, const dp_profile *p)
{
    sqlite3_stmt *s = h->st[ST_RUN];
    uint32_t failed = 0;
    for (size_t i = 0; i < p->n_nodes; i++)
        failed += p->nodes[i].status == DP_STATUS_ERROR;
    const dp_bottleneck *top = p->n_bottlenecks ? &p->bottlenecks[0] : NULL;
    sqlite3_bind_text(s, 1, p->trace_id_hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, p->profile_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, p->dag_id ? p->dag_id : "", -1, SQLITE_STATIC);
    bind_text(s, 4, p->version);
    bind_text(s, 5, p->session_id);
    bind_text(s, 6, p->service_name);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)p->start_unix_ns);
    sqlite3_bind_int64(s, 8, (sqlite3_int64)p->profiled_at_unix_ns);
    sqlite3_bind_int64(s, 9, p->wall_ns);
    sqlite3_bind_int64(s, 10, p->critical_path_ns);
    sqlite3_bind_int64(s, 11, p->sum_execution_ns);
    sqlite3_bind_double(s, 12, p->parallelization_efficiency);
    const dp_tokens *t = &p->tokens;
    bind_tok(s, 13, t->input, t->known, DP_TOK_INPUT);
    bind_tok(s, 14, t->output, t->known, DP_TOK_OUTPUT);
    bind_tok(s, 15, t->cache_read, t->known, DP_TOK_CACHE_READ);
    bind_tok(s, 16, t->cache_write, t->known, DP_TOK_CACHE_WRITE);
    bind_tok(s, 17, t->reasoning, t->known, DP_TOK_REASONING);
    bind_total(s, 18, t);
    sqlite3_bind_int64(s, 19, p->cost_pusd);
    sqlite3_bind_int(s, 20, p->complete);
    bind_text(s, 21, dp_incomplete_reason_name(p->incomplete_reason));
    sqlite3_bind_int64(s, 22, (sqlite3_int64)p->span_count);
    sqlite3_bind_int64(s, 23, (sqlite3_int64)p->n_nodes);
    bind_text(s, 24, top ? dp_bottleneck_type_name(top->type) : NULL);
    bind_text(s, 25,
              top && top->node < p->n_nodes ? p->nodes[top->node].id : NULL);
    sqlite3_bind_int(s, 26, (int)failed);
    return step_done(h, s, "inserting a run");
}

/* Binds node i of p as the row at parameter base + 1. */
static void bind_node(sqlite3_stmt *s, int base, const dp_profile *p, size_t i,
                      sqlite3_int64 run)
{
    const dp_node *n = &p->nodes[i];
    sqlite3_bind_int64(s, base + 1, run);
    sqlite3_bind_int64(s, base + 2, (sqlite3_int64)i);
    sqlite3_bind_text(s, base + 3, n->id ? n->id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, base + 4, dp_node_kind_name(n->kind), -1,
                      SQLITE_STATIC);
    bind_text(s, base + 5,
              n->parent >= 0 && (size_t)n->parent < p->n_nodes
                  ? p->nodes[n->parent].id
                  : NULL);
    int64_t v[] = {n->start_ns,
                   n->end_ns,
                   n->duration_ns,
                   n->wait_ns,
                   n->dependency_wait_ns,
                   n->queue_delay_ns,
                   n->execution_ns,
                   n->self_ns,
                   n->llm_ns,
                   n->tool_ns,
                   n->attempts,
                   n->retries};
    for (int k = 0; k < 12; k++)
        sqlite3_bind_int64(s, base + 6 + k, v[k]);
    sqlite3_bind_text(s, base + 18, dp_status_name(n->status), -1,
                      SQLITE_STATIC);
    bind_total(s, base + 19, &n->tokens);
    sqlite3_bind_int64(s, base + 20, n->cost_pusd);
    sqlite3_bind_int64(s, base + 21, n->own_cost_pusd);
    sqlite3_bind_int(s, base + 22, n->on_critical_path);
}

static void bind_bottleneck(sqlite3_stmt *s, int base, const dp_profile *p,
                            size_t i, sqlite3_int64 run)
{
    const dp_bottleneck *b = &p->bottlenecks[i];
    sqlite3_bind_int64(s, base + 1, run);
    sqlite3_bind_int64(s, base + 2, (sqlite3_int64)i);
    sqlite3_bind_text(s, base + 3, dp_bottleneck_type_name(b->type), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(s, base + 4,
                      b->node < p->n_nodes && p->nodes[b->node].id
                          ? p->nodes[b->node].id
                          : "",
                      -1, SQLITE_STATIC);
    sqlite3_bind_text(s, base + 5, dp_severity_name(b->severity), -1,
                      SQLITE_STATIC);
    sqlite3_bind_double(s, base + 6, b->impact);
}

/* Per model, the LLM calls that reported output tokens: their count,
 * summed time and output tokens (model_calls). */
typedef struct model_row {
    const char *model;
    int64_t calls, ns, out;
} model_row;

static void bind_model(sqlite3_stmt *s, int base, const model_row *m,
                       sqlite3_int64 run)
{
    sqlite3_bind_int64(s, base + 1, run);
    sqlite3_bind_text(s, base + 2, m->model, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, base + 3, m->calls);
    sqlite3_bind_int64(s, base + 4, m->ns);
    sqlite3_bind_int64(s, base + 5, m->out);
}

/* The model rows of p into *rows (stack space for `have`, else
 * allocated; free *rows when it is not `stack`). Returns the count, or -1
 * when out of memory. Models in order of their first call. */
static long model_rows(const dp_profile *p, model_row *stack, size_t have,
                       model_row **rows)
{
    size_t n = 0, cap = have;
    *rows = stack;
    for (size_t i = 0; i < p->n_calls; i++) {
        const dp_call *c = &p->calls[i];
        if (c->kind != DP_CALL_LLM || !c->name || !c->name[0] ||
            !(c->tokens.known & DP_TOK_OUTPUT))
            continue;
        size_t j = 0;
        while (j < n && strcmp((*rows)[j].model, c->name) != 0)
            j++;
        if (j == n) {
            if (n == cap) {
                size_t nc = cap * 2;
                model_row *nr = malloc(nc * sizeof(*nr));
                if (!nr) {
                    if (*rows != stack)
                        free(*rows);
                    return -1;
                }
                memcpy(nr, *rows, n * sizeof(*nr));
                if (*rows != stack)
                    free(*rows);
                *rows = nr;
                cap = nc;
            }
            (*rows)[n++] = (model_row){c->name, 0, 0, 0};
        }
        model_row *m = &(*rows)[j];
        m->calls++;
        if (c->end_ns > c->start_ns)
            m->ns += c->end_ns - c->start_ns;
        m->out += c->tokens.output > 0 ? c->tokens.output : 0;
    }
    return (long)n;
}

/* The n rows of table t, ROWS_MAX per statement; bind(s, base, i) binds
 * row i at parameter base + 1. */
#define INSERT_ROWS(h, t, n, what, BIND)                                       \
    do {                                                                       \
        for (size_t c0_ = 0; c0_ < (n) && !err;) {                             \
            size_t k_ = (n)-c0_ < ROWS_MAX ? (n)-c0_ : ROWS_MAX;               \
            sqlite3_stmt *s = multi_stmt((h), (t), k_);                        \
            if (!s) {                                                          \
                err = DP_EIO;                                                  \
                break;                                                         \
            }                                                                  \
            for (size_t r_ = 0; r_ < k_; r_++) {                               \
                int base = (int)r_ * multi_table[t].cols;                      \
                size_t i = c0_ + r_;                                           \
                BIND;                                                          \
            }                                                                  \
            err = step_done((h), s, (what));                                   \
            c0_ += k_;                                                         \
        }                                                                      \
    } while (0)

static int insert_children(dp_history_db *h, const dp_profile *p,
                           sqlite3_int64 run)
{
    int err = 0;
    INSERT_ROWS(h, MT_NODES, p->n_nodes, "inserting nodes",
                bind_node(s, base, p, i, run));
    INSERT_ROWS(h, MT_BNS, p->n_bottlenecks, "inserting bottlenecks",
                bind_bottleneck(s, base, p, i, run));
    if (err)
        return err;
    model_row stack[16], *m;
    long nm = model_rows(p, stack, 16, &m);
    if (nm < 0)
        return DP_ENOMEM;
    INSERT_ROWS(h, MT_MODELS, (size_t)nm, "inserting model calls",
                bind_model(s, base, &m[i], run));
    if (m != stack)
        free(m);
    return err;
}

/* A run whose rows failed half way: its rows are deleted again by its id
 * (run: 0 when its run row is not in), so the batch goes on without it.
 * Every insert is OR FAIL, which keeps no statement journal, and a run
 * has no savepoint of its own: both copied every page a run touched (a
 * third of the writer's instructions) for an undo that the errors
 * possible here seldom need. When SQLite has rolled the transaction back
 * itself (I/O errors, a full disk), the batch is gone: in_txn is cleared
 * so the caller can tell. Returns err, or DP_EIO when the undo fails too
 * (the open transaction is rolled back then). */
static int undo_run(dp_history_db *h, bool own, sqlite3_int64 run, int err)
{
    if (sqlite3_get_autocommit(h->db)) {
        h->in_txn = false;
        return err;
    }
    for (int k = ST_DEL_NODES; run && k <= ST_DEL_RUN; k++) {
        sqlite3_bind_int64(h->st[k], 1, run);
        if (step_done(h, h->st[k], "undoing a run")) {
            own = true;
            err = DP_EIO;
            break;
        }
    }
    if (own) {
        h->in_txn = false;
        exec(h, "ROLLBACK");
    }
    return err;
}

int dp_history_db_insert(dp_history_db *h, const dp_profile *p,
                         const char *json, size_t json_len)
{
    if (h && p && h->ch) {
        int e = dp__ch_insert(h->ch, p, json, json_len);
        if (!e && !h->in_txn)
            e = dp__ch_flush(h->ch);
        return e;
    }
    if (!h || !p || !h->st[ST_RUN])
        return DP_EINVAL;
    if (!json) {
        dp_buf_reset(&h->json);
        if (dp_profile_json_write(&h->json, p))
            return DP_ENOMEM;
        json = h->json.data;
        json_len = h->json.len;
    }
    while (json_len && json[json_len - 1] == '\n')
        json_len--;
    bool own = !h->in_txn;
    if (own && dp_history_db_begin(h))
        return DP_EIO;
    int err = delete_trace(h, p->trace_id_hex);
    bool inserted = false;
    if (!err)
        inserted = !(err = insert_run(h, p));
    sqlite3_int64 run = sqlite3_last_insert_rowid(h->db);
    if (!err)
        err = insert_children(h, p, run);
    if (!err) {
        sqlite3_stmt *s = h->st[ST_PROFILE];
        sqlite3_bind_int64(s, 1, run);
        sqlite3_bind_text(s, 2, json, (int)json_len, SQLITE_STATIC);
        err = step_done(h, s, "inserting a profile");
    }
    if (err)
        return undo_run(h, own, inserted ? run : 0, err);
    if (own && dp_history_db_commit(h))
        err = DP_EIO;
    return err;
}

uint64_t dp__history_db_prepares(const dp_history_db *h)
{
    return h->prepares;
}

static int64_t query_i64(dp_history_db *h, const char *sql)
{
    sqlite3_stmt *s;
    int64_t v = 0;
    if (sqlite3_prepare_v2(h->db, sql, -1, &s, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

uint64_t dp_history_db_used_bytes(dp_history_db *h)
{
    if (h->ch)
        return dp__ch_used_bytes(h->ch);
    int64_t pages = query_i64(h, "PRAGMA page_count");
    int64_t free_pages = query_i64(h, "PRAGMA freelist_count");
    int64_t size = query_i64(h, "PRAGMA page_size");
    return pages > free_pages ? (uint64_t)((pages - free_pages) * size) : 0;
}

uint64_t dp_history_db_run_count(dp_history_db *h)
{
    if (h->ch)
        return dp__ch_run_count(h->ch);
    return (uint64_t)query_i64(h, "SELECT count(*) FROM runs");
}

int dp_history_db_set_retention(dp_history_db *h, uint64_t retention_ns)
{
    /* SQLite: age retention is dp_history_db_retain_step's alone. */
    return h->ch ? dp__ch_set_retention(h->ch, retention_ns) : 0;
}

int dp_history_db_retain_step(dp_history_db *h, uint64_t cutoff_unix_ns,
                              uint64_t max_size, size_t chunk,
                              uint64_t *deleted)
{
    char sql[256];
    *deleted = 0;
    if (h->ch) /* one mutation per table, by age or by size */
        return dp__ch_retain(h->ch, cutoff_unix_ns, max_size, deleted);
    if (chunk == 0)
        chunk = 1000;
    bool by_age = false;
    if (cutoff_unix_ns) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(h->db,
                               "SELECT 1 FROM runs WHERE start_ns < ?1 "
                               "LIMIT 1",
                               -1, &s, NULL) != SQLITE_OK)
            return DP_EIO;
        sqlite3_bind_int64(s, 1, (sqlite3_int64)cutoff_unix_ns);
        by_age = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    bool by_size = !by_age && max_size &&
                   dp_history_db_used_bytes(h) > max_size &&
                   dp_history_db_run_count(h) > 0;
    if (!by_age && !by_size)
        return 0;
    if (h->in_txn && dp_history_db_commit(h))
        return DP_EIO;
    /* The chunk's runs, picked once into a temporary table, so the four
     * deletes agree on them. */
    if (by_age)
        snprintf(sql, sizeof(sql),
                 "CREATE TEMP TABLE doomed AS SELECT run_id FROM runs WHERE "
                 "start_ns < %lld ORDER BY start_ns LIMIT %zu",
                 (long long)cutoff_unix_ns, chunk);
    else {
        /* About the share of runs the excess is, so a store just over
         * its size loses a few runs, not a whole chunk. */
        uint64_t used = dp_history_db_used_bytes(h);
        uint64_t runs = dp_history_db_run_count(h);
        uint64_t n = (uint64_t)((double)runs * (double)(used - max_size) /
                                (double)used) +
                     1;
        snprintf(sql, sizeof(sql),
                 "CREATE TEMP TABLE doomed AS SELECT run_id FROM runs "
                 "ORDER BY start_ns LIMIT %llu",
                 (unsigned long long)(n < chunk ? n : chunk));
    }
    if (dp_history_db_begin(h))
        return DP_EIO;
    int err = exec(h, sql);
    if (!err)
        err = exec(h, "DELETE FROM nodes WHERE run_id IN "
                      "(SELECT run_id FROM doomed);"
                      "DELETE FROM bottlenecks WHERE run_id IN "
                      "(SELECT run_id FROM doomed);"
                      "DELETE FROM profiles WHERE run_id IN "
                      "(SELECT run_id FROM doomed);"
                      "DELETE FROM model_calls WHERE run_id IN "
                      "(SELECT run_id FROM doomed);"
                      "DELETE FROM runs WHERE run_id IN "
                      "(SELECT run_id FROM doomed)");
    if (!err)
        *deleted = (uint64_t)sqlite3_changes(h->db);
    exec(h, "DROP TABLE IF EXISTS temp.doomed");
    if (err) {
        h->in_txn = false;
        exec(h, "ROLLBACK");
        return DP_EIO;
    }
    if (dp_history_db_commit(h))
        return DP_EIO;
    exec(h, "PRAGMA incremental_vacuum");
    return *deleted > 0 ? 1 : 0;
}
