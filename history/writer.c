/*
 * writer.c - the history exporter of `dagprof serve`: every finished
 * profile into the SQLite store, in batched transactions.
 *
 * The exporter pipeline (exporter/exporters.c) gives it what every
 * exporter has: a bounded queue (on_full drop by default, so a slow disk
 * never holds the shards back; drops are counted per exporter in /healthz
 * and /metrics) and its own thread, which calls export() once per record.
 * export() adds the run to the open transaction and commits when the batch
 * reaches batch_size. A second, background thread of this writer commits
 * a batch that has been open for flush_interval (so runs are readable
 * within about a second on a quiet daemon) and runs retention every
 * retention_interval, one short transaction per chunk of deleted runs.
 * Both threads use the one connection under the writer's mutex; flush()
 * (shutdown) commits what is open.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporters.h"
#include "history.h"
#include "log.h"

struct dp_history_writer {
    dp_history_config cfg;
    char *path;
    dp_history_db *db;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_started, stopping;
    size_t pending;            /* runs in the open transaction */
    uint64_t batch_started_ns; /* monotonic */
    uint64_t next_retention_ns;
    dp_history_writer_stats st;
};

static uint64_t real_unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Commits the open batch. Lock held. */
static void commit_locked(dp_history_writer *w)
{
    if (!dp_history_db_in_transaction(w->db))
        return;
    if (dp_history_db_commit(w->db) == 0) {
        w->st.runs_written += w->pending;
        w->st.commits++;
    } else {
        w->st.write_errors++;
        dp_log_error("history", "%s: a batch of %zu run(s) was lost", w->path,
                     w->pending);
    }
    w->pending = 0;
}

/* One retention pass: chunks of deletes, the lock released in between so
 * export() interleaves. Called without the lock. */
static void retain(dp_history_writer *w)
{
    uint64_t cutoff = 0, total = 0;
    if (!w->cfg.retention_ns && !w->cfg.max_size)
        return;
    uint64_t now = w->cfg.clock_unix_ns();
    if (w->cfg.retention_ns && now > w->cfg.retention_ns)
        cutoff = now - w->cfg.retention_ns;
    for (int guard = 0; guard < 100000; guard++) {
        uint64_t deleted = 0;
        pthread_mutex_lock(&w->lock);
        commit_locked(w);
        int more = dp_history_db_retain_step(w->db, cutoff, w->cfg.max_size,
                                             1000, &deleted);
        total += deleted;
        w->st.runs_retained += deleted;
        bool stop = w->stopping;
        pthread_mutex_unlock(&w->lock);
        if (more <= 0 || stop)
            break;
    }
    pthread_mutex_lock(&w->lock);
    w->st.retention_runs++;
    pthread_mutex_unlock(&w->lock);
    if (total)
        dp_log_info("history", "retention: %llu run(s) deleted from %s",
                    (unsigned long long)total, w->path);
}

static void *writer_main(void *arg)
{
    dp_history_writer *w = arg;
    retain(w); /* at start: a store left over the limits */
    pthread_mutex_lock(&w->lock);
    w->next_retention_ns = dp_exporters_now_ns() + w->cfg.retention_interval_ns;
    while (!w->stopping) {
        uint64_t now = dp_exporters_now_ns();
        uint64_t wake = w->next_retention_ns;
        if (w->pending) {
            uint64_t due = w->batch_started_ns + w->cfg.flush_interval_ns;
            if (due <= now) {
                commit_locked(w);
                continue;
            }
            if (due < wake)
                wake = due;
        }
        if (now >= w->next_retention_ns) {
            pthread_mutex_unlock(&w->lock);
            retain(w);
            pthread_mutex_lock(&w->lock);
            w->next_retention_ns =
                dp_exporters_now_ns() + w->cfg.retention_interval_ns;
            continue;
        }
        struct timespec ts = {(time_t)(wake / 1000000000ULL),
                              (long)(wake % 1000000000ULL)};
        pthread_cond_timedwait(&w->cv, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static int writer_export(void *ctx, const dp_record *r)
{
    dp_history_writer *w = ctx;
    if (r->kind != DP_RECORD_PROFILE || !r->profile)
        return DP_EXPORTER_OK;
    pthread_mutex_lock(&w->lock);
    if (!dp_history_db_in_transaction(w->db)) {
        if (dp_history_db_begin(w->db)) {
            w->st.write_errors++;
            pthread_mutex_unlock(&w->lock);
            return DP_EXPORTER_RETRY; /* locked by another writer */
        }
        w->batch_started_ns = dp_exporters_now_ns();
        pthread_cond_signal(&w->cv);
    }
    int err = dp_history_db_insert(w->db, r->profile, r->json, r->json_len);
    if (err) {
        w->st.write_errors++;
        if (!dp_history_db_in_transaction(w->db) && w->pending) {
            /* SQLite rolled the batch back (I/O error, disk full). */
            dp_log_error("history", "%s: a batch of %zu run(s) was lost",
                         w->path, w->pending);
            w->pending = 0;
        }
    } else {
        w->pending++;
        if (w->pending >= w->cfg.batch_size)
            commit_locked(w);
    }
    pthread_mutex_unlock(&w->lock);
    return err ? DP_EXPORTER_ERROR : DP_EXPORTER_OK;
}

static void writer_flush(void *ctx)
{
    dp_history_writer *w = ctx;
    pthread_mutex_lock(&w->lock);
    commit_locked(w);
    pthread_mutex_unlock(&w->lock);
}

static void writer_destroy(void *ctx)
{
    dp_history_writer *w = ctx;
    if (!w)
        return;
    if (w->thread_started) {
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    if (w->db) {
        writer_flush(w);
        dp_history_db_close(w->db);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->lock);
    free(w->path);
    free(w);
}

const dp_exporter_ops dp_history_ops = {.name = "history",
                                        .export = writer_export,
                                        .flush = writer_flush,
                                        .destroy = writer_destroy,
                                        .kinds = 1u << DP_RECORD_PROFILE};

dp_history_writer *dp_history_writer_create(const dp_history_config *cfg,
                                            char *err, size_t err_len)
{
    dp_history_writer *w = calloc(1, sizeof(*w));
    if (!w || !cfg->path || !(w->path = strdup(cfg->path))) {
        snprintf(err, err_len, "out of memory or no history.path");
        free(w);
        return NULL;
    }
    w->cfg = *cfg;
    w->cfg.path = w->path;
    if (!w->cfg.flush_interval_ns)
        w->cfg.flush_interval_ns = 1000000000ULL;
    if (!w->cfg.batch_size)
        w->cfg.batch_size = 500;
    if (!w->cfg.retention_interval_ns)
        w->cfg.retention_interval_ns = 60ULL * 1000000000ULL;
    if (!w->cfg.clock_unix_ns)
        w->cfg.clock_unix_ns = real_unix_ns;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->db = dp_history_db_open(cfg->path, err, err_len);
    if (!w->db)
        goto fail;
    dp_history_db_set_retention(w->db, cfg->retention_ns);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(err, err_len, "%s: cannot start the history thread",
                 cfg->path);
        goto fail;
    }
    w->thread_started = true;
    return w;
fail:
    writer_destroy(w);
    return NULL;
}

void dp_history_writer_stats_get(dp_history_writer *w,
                                 dp_history_writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    pthread_mutex_unlock(&w->lock);
}

void dp_history_writer_sync(dp_history_writer *w)
{
    writer_flush(w);
    retain(w);
}
