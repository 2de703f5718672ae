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
 *
 * Priority (history.priority: background): both threads lower themselves
 * to nice 19 when they start, so that under saturation the receivers and
 * shards get the CPU and the history queue drops the oldest profiles
 * (counted) rather than the writer slowing acceptance. Nice rather than
 * SCHED_IDLE: a SCHED_IDLE thread's I/O falls into the idle I/O class
 * (task_nice_ioclass), so the store's writes and the WAL checkpoint's
 * fsync could wait behind every other process's I/O (seconds, past a
 * shutdown deadline); nice 19 keeps best-effort I/O, still gives the
 * thread about 1.5 % of a CPU against each busy normal thread (weight 15
 * against 1024), and is allowed without privileges or CAP_SYS_NICE (a
 * container's root). Neither can be undone without CAP_SYS_NICE, which is
 * why the threads lower themselves rather than the process.
 *
 * Shutdown: the pipeline tells the deadline (ops->deadline). From then on a
 * batch is committed once it has been open for half the time that was left
 * when it began (batches halve as the deadline nears), the background
 * thread commits on that schedule too, retention stops, and at the
 * deadline export() takes no more runs (RETRY: the pipeline counts them as
 * lost at shutdown) after committing what it has. What the writer took
 * but has not committed is counted under a second, small mutex that no
 * store call holds, so the pipeline can read it (ops->unsaved) even while
 * a commit is stuck; from that call on the writer commits nothing more
 * (a commit then is rolled back) and those runs are reported as lost, the
 * exit status 1. A run is thus either committed or counted as lost, never
 * both unknown.
 *
 * With the write-ahead log (durability: wal) a profile's record carries
 * the hold that keeps its trace's requests in the log (on_free). The
 * writer keeps a reference to each record of the open batch until the
 * batch's commit has returned, so the log never deletes the requests of a
 * run the store has not made durable: after a crash they are replayed and
 * the run is stored then (at least once, like every exporter). A batch
 * that fails, or is rolled back at shutdown, releases its records too:
 * those runs are counted as lost, as a full queue's are.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "exporters.h"
#include "grow.h"
#include "history.h"
#include "log.h"

/* How often the background thread looks at the deadline while a batch is
 * open (the pipeline tells it without waking anyone). */
#define DEADLINE_POLL_NS 100000000ULL

struct dp_history_writer {
    dp_history_config cfg;
    char *path;
    dp_history_db *db;
    pthread_mutex_t lock; /* the store and the batch below */
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_started, stopping;
    size_t pending;            /* runs in the open transaction */
    uint64_t pending_spans;    /* their spans */
    uint64_t batch_started_ns; /* monotonic */
    uint64_t next_retention_ns;
    _Atomic uint64_t deadline_ns; /* shutdown deadline; 0: none yet */
    /* Counters, under `acct` (never held across a store call). */
    pthread_mutex_t acct;
    dp_history_writer_stats st;
    uint64_t uncommitted, uncommitted_spans; /* taken, not committed yet */
    uint64_t lost_late, lost_late_spans; /* lost once the deadline was told */
    bool abandoned;                      /* ops->unsaved was called */
    /* The run of the export() call in progress is among `uncommitted` (its
     * spans): the pipeline counts that call's record itself. */
    bool in_call;
    uint64_t in_call_spans;
    /* Records of the open batch that hold log requests (on_free): one
     * reference each until the commit returns. Under lock. */
    dp_record **held;
    size_t n_held, cap_held;
};

static uint64_t real_unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int dp_history_thread_background(void)
{
    /* PRIO_PROCESS with a thread id sets that thread's nice on Linux. */
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    if (setpriority(PRIO_PROCESS, tid, DP_HISTORY_BACKGROUND_NICE) != 0)
        return errno ? errno : EPERM;
    return 0;
}

/* Names the calling thread and applies history.priority. */
static void thread_setup(dp_history_writer *w, const char *name)
{
    pthread_setname_np(pthread_self(), name);
    if (w->cfg.priority != DP_HISTORY_PRIORITY_BACKGROUND)
        return;
    int e = dp_history_thread_background();
    if (e)
        dp_log_warn("history",
                    "%s: cannot lower the thread's priority (nice %d): %s; "
                    "it runs at the process's priority",
                    name, DP_HISTORY_BACKGROUND_NICE, strerror(e));
}

static bool abandoned(dp_history_writer *w)
{
    pthread_mutex_lock(&w->acct);
    bool a = w->abandoned;
    pthread_mutex_unlock(&w->acct);
    return a;
}

/* The open batch's records are done with: their log requests may go.
 * Lock held. */
static void release_held(dp_history_writer *w)
{
    for (size_t i = 0; i < w->n_held; i++)
        dp_record_unref(w->held[i]);
    w->n_held = 0;
}

/* The open batch's runs are gone (a failed commit, or SQLite rolled the
 * transaction back): counted, and logged. Lock held. */
static void batch_lost(dp_history_writer *w)
{
    pthread_mutex_lock(&w->acct);
    if (!w->abandoned) {
        w->uncommitted -= w->pending;
        w->uncommitted_spans -= w->pending_spans;
        w->in_call = false;
        w->st.runs_lost += w->pending;
        if (atomic_load(&w->deadline_ns)) {
            w->lost_late += w->pending;
            w->lost_late_spans += w->pending_spans;
        }
    }
    pthread_mutex_unlock(&w->acct);
    dp_log_error("history", "%s: a batch of %zu run(s) was lost", w->path,
                 w->pending);
    w->pending = 0;
    w->pending_spans = 0;
    release_held(w);
}

/* Commits the open batch; once the pipeline has counted what is open as
 * lost (abandoned), rolls it back instead. Lock held. */
static void commit_locked(dp_history_writer *w)
{
    if (!dp_history_db_in_transaction(w->db))
        return;
    if (w->cfg.commit_hook)
        w->cfg.commit_hook(w->cfg.commit_hook_arg, w->pending);
    if (abandoned(w)) {
        dp_history_db_rollback(w->db);
        w->pending = 0;
        w->pending_spans = 0;
        release_held(w);
        return;
    }
    if (dp_history_db_commit(w->db) != 0) {
        pthread_mutex_lock(&w->acct);
        w->st.write_errors++;
        pthread_mutex_unlock(&w->acct);
        batch_lost(w);
        return;
    }
    pthread_mutex_lock(&w->acct);
    if (!w->abandoned) {
        w->uncommitted -= w->pending;
        w->uncommitted_spans -= w->pending_spans;
        w->in_call = false;
        w->st.runs_written += w->pending;
        w->st.commits++;
    }
    pthread_mutex_unlock(&w->acct);
    w->pending = 0;
    w->pending_spans = 0;
    release_held(w);
}

/* When the open batch is due: flush_interval after it began or, once the
 * deadline is known, half the time it had left when it began. */
static uint64_t batch_due(const dp_history_writer *w, uint64_t deadline)
{
    uint64_t due = w->batch_started_ns + w->cfg.flush_interval_ns;
    if (deadline) {
        uint64_t half = w->batch_started_ns;
        if (deadline > half)
            half += (deadline - half) / 2;
        if (half < due)
            due = half;
    }
    return due;
}

/* One retention pass: chunks of deletes, the lock released in between so
 * export() interleaves. Called without the lock. Not once the shutdown
 * deadline is known. */
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
        bool stop = w->stopping || atomic_load(&w->deadline_ns);
        int more = 0;
        if (!stop) {
            commit_locked(w);
            more = dp_history_db_retain_step(w->db, cutoff, w->cfg.max_size,
                                             1000, &deleted);
        }
        pthread_mutex_unlock(&w->lock);
        total += deleted;
        pthread_mutex_lock(&w->acct);
        w->st.runs_retained += deleted;
        pthread_mutex_unlock(&w->acct);
        if (more <= 0 || stop)
            break;
    }
    pthread_mutex_lock(&w->acct);
    w->st.retention_runs++;
    pthread_mutex_unlock(&w->acct);
    if (total)
        dp_log_info("history", "retention: %llu run(s) deleted from %s",
                    (unsigned long long)total, w->path);
}

static void *writer_main(void *arg)
{
    dp_history_writer *w = arg;
    thread_setup(w, "dp-history-bg");
    retain(w); /* at start: a store left over the limits */
    pthread_mutex_lock(&w->lock);
    w->next_retention_ns = dp_exporters_now_ns() + w->cfg.retention_interval_ns;
    while (!w->stopping) {
        uint64_t now = dp_exporters_now_ns();
        uint64_t deadline = atomic_load(&w->deadline_ns);
        if (deadline)
            w->next_retention_ns = UINT64_MAX; /* no more retention */
        uint64_t wake = w->next_retention_ns;
        if (w->pending) {
            uint64_t due = batch_due(w, deadline);
            if (due <= now) {
                if (deadline &&
                    due < w->batch_started_ns + w->cfg.flush_interval_ns) {
                    pthread_mutex_lock(&w->acct);
                    w->st.deadline_commits++;
                    pthread_mutex_unlock(&w->acct);
                }
                commit_locked(w);
                continue;
            }
            if (due < wake)
                wake = due;
            if (!deadline && now + DEADLINE_POLL_NS < wake)
                wake = now + DEADLINE_POLL_NS;
        }
        if (now >= w->next_retention_ns) {
            pthread_mutex_unlock(&w->lock);
            retain(w);
            pthread_mutex_lock(&w->lock);
            w->next_retention_ns =
                dp_exporters_now_ns() + w->cfg.retention_interval_ns;
            continue;
        }
        if (wake == UINT64_MAX) {
            pthread_cond_wait(&w->cv, &w->lock);
            continue;
        }
        struct timespec ts = {(time_t)(wake / 1000000000ULL),
                              (long)(wake % 1000000000ULL)};
        pthread_cond_timedwait(&w->cv, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void writer_thread_start(void *ctx)
{
    thread_setup(ctx, "dp-history");
}

static void writer_deadline(void *ctx, uint64_t deadline_ns)
{
    dp_history_writer *w = ctx;
    uint64_t cur = atomic_load(&w->deadline_ns);
    if (!deadline_ns)
        deadline_ns = 1;
    while ((!cur || deadline_ns < cur) &&
           !atomic_compare_exchange_weak(&w->deadline_ns, &cur, deadline_ns))
        ;
}

static uint64_t writer_unsaved(void *ctx, uint64_t *spans)
{
    dp_history_writer *w = ctx;
    pthread_mutex_lock(&w->acct);
    w->abandoned = true;
    if (w->in_call) { /* counted by the pipeline as its record in flight */
        w->uncommitted--;
        w->uncommitted_spans -= w->in_call_spans;
        w->st.runs_lost++;
        w->in_call = false;
    }
    uint64_t n = w->uncommitted + w->lost_late;
    *spans = w->uncommitted_spans + w->lost_late_spans;
    w->st.runs_lost += w->uncommitted;
    w->uncommitted = w->uncommitted_spans = 0;
    w->lost_late = w->lost_late_spans = 0;
    pthread_mutex_unlock(&w->acct);
    return n;
}

static int writer_export(void *ctx, const dp_record *r)
{
    dp_history_writer *w = ctx;
    if (r->kind != DP_RECORD_PROFILE || !r->profile)
        return DP_EXPORTER_OK;
    uint64_t spans = r->profile->span_count;
    pthread_mutex_lock(&w->lock);
    uint64_t deadline = atomic_load(&w->deadline_ns);
    if ((deadline && dp_exporters_now_ns() >= deadline) || abandoned(w)) {
        /* At the deadline: what is open is committed, nothing more is
         * taken (the pipeline counts this run as lost at shutdown). */
        commit_locked(w);
        pthread_mutex_unlock(&w->lock);
        return DP_EXPORTER_RETRY;
    }
    if (!dp_history_db_in_transaction(w->db)) {
        if (dp_history_db_begin(w->db)) {
            pthread_mutex_lock(&w->acct);
            w->st.write_errors++;
            pthread_mutex_unlock(&w->acct);
            pthread_mutex_unlock(&w->lock);
            return DP_EXPORTER_RETRY; /* locked by another writer */
        }
        w->batch_started_ns = dp_exporters_now_ns();
        pthread_cond_signal(&w->cv);
    }
    int err = dp_history_db_insert(w->db, r->profile, r->json, r->json_len);
    if (err) {
        pthread_mutex_lock(&w->acct);
        w->st.write_errors++;
        pthread_mutex_unlock(&w->acct);
        /* SQLite rolled the batch back (I/O error, disk full). */
        if (!dp_history_db_in_transaction(w->db) && w->pending)
            batch_lost(w);
    } else {
        /* Its log requests stay until the commit; with no room to keep the
         * reference, the batch is committed now instead. */
        bool hold_failed = false;
        if (r->on_free) {
            if (dp_grow(&w->held, w->n_held, &w->cap_held, sizeof(*w->held),
                        64) == 0)
                w->held[w->n_held++] = dp_record_ref((dp_record *)r);
            else
                hold_failed = true;
        }
        w->pending++;
        w->pending_spans += spans;
        pthread_mutex_lock(&w->acct);
        w->uncommitted++;
        w->uncommitted_spans += spans;
        w->in_call = true;
        w->in_call_spans = spans;
        pthread_mutex_unlock(&w->acct);
        bool cut = deadline && dp_exporters_now_ns() >= batch_due(w, deadline);
        if (cut || hold_failed || w->pending >= w->cfg.batch_size) {
            if (cut && w->pending < w->cfg.batch_size) {
                pthread_mutex_lock(&w->acct);
                w->st.deadline_commits++;
                pthread_mutex_unlock(&w->acct);
            }
            commit_locked(w);
        }
        pthread_mutex_lock(&w->acct);
        w->in_call = false; /* returned OK: the pipeline counts it exported */
        pthread_mutex_unlock(&w->acct);
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
    release_held(w); /* a batch that never began its commit */
    free(w->held);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->acct);
    free(w->path);
    free(w);
}

const dp_exporter_ops dp_history_ops = {.name = "history",
                                        .export = writer_export,
                                        .flush = writer_flush,
                                        .destroy = writer_destroy,
                                        .kinds = 1u << DP_RECORD_PROFILE,
                                        .thread_start = writer_thread_start,
                                        .deadline = writer_deadline,
                                        .unsaved = writer_unsaved};

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
    pthread_mutex_init(&w->acct, NULL);
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
    pthread_mutex_lock(&w->acct);
    *out = w->st;
    pthread_mutex_unlock(&w->acct);
}

void dp_history_writer_sync(dp_history_writer *w)
{
    writer_flush(w);
    retain(w);
}
