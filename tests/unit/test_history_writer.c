/*
 * test_history_writer.c - the history writer inside the exporter pipeline:
 * history.priority (its threads at nice 19, read back from
 * /proc/self/task/TID/stat; the process's other threads untouched; allowed
 * to an unprivileged user), and the shutdown deadline with a slow store
 * (a commit hook that sleeps per run): batches cut smaller as the deadline
 * nears, and a commit still running past the deadline's grace counted as
 * lost, never silently dropped; with the write-ahead log, the records of a
 * batch (their log requests) held until its commit has returned.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config.h"
#include "exporters.h"
#include "history.h"
#include "profile_fixture.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define N_RUNS 400
#define SPANS 7

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/dp_test_hwriter_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/h.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / SEC), (long)(ns % SEC)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int64_t stored_runs(void)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int64_t v = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM runs", -1, &s, NULL),
        SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* ------------------------------------------------------------------------ */
/* Records: the code-review fixture as run i (its own trace id), held by   */
/* the test until the pipeline is gone.                                     */

static dp_fixture fx[N_RUNS];
static dp_record *held[N_RUNS];

static dp_record *run_rec(int i)
{
    assert_true(i >= 0 && i < N_RUNS);
    dp_fixture_code_review(&fx[i]);
    snprintf(fx[i].p.trace_id_hex, sizeof(fx[i].p.trace_id_hex), "%032x",
             i + 1);
    snprintf(fx[i].p.profile_id, sizeof(fx[i].p.profile_id), "prof-%016x",
             i + 1);
    fx[i].p.span_count = SPANS;
    dp_record *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_PROFILE;
    r->profile = &fx[i].p;
    held[i] = r;
    return r;
}

static void release_runs(void)
{
    for (int i = 0; i < N_RUNS; i++) {
        if (!held[i])
            continue;
        held[i]->profile = NULL; /* the fixture is static */
        dp_record_unref(held[i]);
        held[i] = NULL;
    }
}

/* ------------------------------------------------------------------------ */
/* The slow store: every commit sleeps per_run_ns for each of its runs.    */

static atomic_int log_released; /* records whose on_free ran */

struct slow {
    uint64_t per_run_ns;
    int released_at_commit; /* log_released when the first commit began */
    atomic_int commits;
    atomic_int returned;
    size_t sizes[256]; /* runs per commit, in order */
    atomic_bool flushed;
};
static struct slow slow;

static void slow_commit(void *arg, size_t runs)
{
    struct slow *s = arg;
    int k = atomic_fetch_add(&s->commits, 1);
    if (k == 0)
        s->released_at_commit = atomic_load(&log_released);
    if (k < 256)
        s->sizes[k] = runs;
    sleep_ns(s->per_run_ns * runs);
    atomic_fetch_add(&s->returned, 1);
}

/* dp_history_ops, with a flush that says when the writer's exporter
 * thread is done with it (a left-behind thread is waited for). */
static void flush_then_note(void *ctx)
{
    dp_history_ops.flush(ctx);
    atomic_store(&slow.flushed, true);
}
static dp_exporter_ops noting_ops;

static dp_exporters *pipeline(dp_history_config *cfg)
{
    char err[256];
    memset(&slow, 0, sizeof(slow));
    cfg->path = path;
    cfg->commit_hook = slow_commit;
    cfg->commit_hook_arg = &slow;
    dp_history_writer *w = dp_history_writer_create(cfg, err, sizeof(err));
    assert_non_null(w);
    noting_ops = dp_history_ops;
    noting_ops.flush = flush_then_note;
    dp_exporters *e = dp_exporters_create();
    assert_non_null(e);
    dp_exporter_policy p;
    dp_exporter_policy_init(&p);
    p.queue_size = N_RUNS;
    assert_int_equal(dp_exporters_add(e, &noting_ops, w, &p, NULL), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    return e;
}

static dp_exporter_stats stats(dp_exporters *e)
{
    dp_exporter_stats s;
    dp_exporters_stats_get(e, 0, &s);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Priority                                                                 */

/* Field `field` (1-based, as proc(5) numbers them) of a thread's stat. */
static long task_stat(long tid, int field)
{
    char p[64], buf[1024];
    snprintf(p, sizeof(p), "/proc/self/task/%ld/stat", tid);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1000;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = strrchr(buf, ')'); /* the name may hold spaces */
    if (!s)
        return -1000;
    s += 2; /* field 3, the state */
    for (int k = 3; k < field && s; k++) {
        s = strchr(s, ' ');
        if (s)
            s++;
    }
    return s ? strtol(s, NULL, 10) : -1000;
}

/* The id of this process's thread named `name`, or 0. */
static long task_named(const char *name)
{
    long found = 0;
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[300], comm[64] = "";
        snprintf(p, sizeof(p), "/proc/self/task/%s/comm", de->d_name);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        if (fgets(comm, sizeof(comm), f))
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
        if (strcmp(comm, name) == 0)
            found = strtol(de->d_name, NULL, 10);
    }
    closedir(d);
    return found;
}

static long wait_task(const char *name)
{
    long tid = 0;
    for (int i = 0; i < 5000 && !(tid = task_named(name)); i++)
        sleep_ns(MS);
    assert_true(tid > 0);
    return tid;
}

enum { F_NICE = 19, F_POLICY = 41 };

/* The writer's two threads run at nice 19 with history.priority
 * background, at the process's own with normal; the main thread keeps its
 * nice either way (the lowering is per thread); the policy stays
 * SCHED_OTHER (0). */
static void test_history_writer_priority_applied(void **state)
{
    (void)state;
    long self = (long)syscall(SYS_gettid);
    long nice0 = task_stat(self, F_NICE);
    assert_true(nice0 >= -20 && nice0 <= 19);
    const int prio[] = {DP_HISTORY_PRIORITY_BACKGROUND,
                        DP_HISTORY_PRIORITY_NORMAL};
    for (int k = 0; k < 2; k++) {
        dp_history_config cfg = {.priority = prio[k], .batch_size = 10};
        dp_exporters *e = pipeline(&cfg);
        long tw = wait_task("dp-history");
        long tb = wait_task("dp-history-bg");
        long want = prio[k] == DP_HISTORY_PRIORITY_BACKGROUND
                        ? DP_HISTORY_BACKGROUND_NICE
                        : nice0;
        /* A thread names itself before it lowers itself: wait for it. */
        for (int i = 0; i < 2000 && (task_stat(tw, F_NICE) != want ||
                                     task_stat(tb, F_NICE) != want);
             i++)
            sleep_ns(MS);
        assert_int_equal(task_stat(tw, F_NICE), want);
        assert_int_equal(task_stat(tb, F_NICE), want);
        assert_int_equal(task_stat(tw, F_POLICY), 0);
        assert_int_equal(task_stat(self, F_NICE), nice0);
        /* It still writes, at its own pace. */
        for (int i = 0; i < 20; i++)
            assert_int_equal(dp_exporters_submit(e, run_rec(i)), 1);
        dp_exporters_shutdown(e, 10 * SEC);
        assert_int_equal(stats(e).exported, 20);
        dp_exporters_destroy(e);
        release_runs();
        assert_int_equal(stored_runs(), 20);
        assert_int_equal(task_named("dp-history"), 0);
    }
}

/* A user without privileges (nor CAP_SYS_NICE) may lower a thread: run in
 * a child as nobody when the test runs as root, else as the user it is. */
static void *lower_main(void *arg)
{
    int *out = arg;
    out[0] = dp_history_thread_background();
    out[1] = (int)task_stat((long)syscall(SYS_gettid), F_NICE);
    return NULL;
}

static void test_history_writer_priority_unprivileged(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        int out[2] = {-1, -1};
        pthread_t t;
        if (pthread_create(&t, NULL, lower_main, out) != 0)
            _exit(4);
        pthread_join(t, NULL);
        long mine = task_stat((long)syscall(SYS_gettid), F_NICE);
        _exit(out[0] == 0 && out[1] == DP_HISTORY_BACKGROUND_NICE &&
                      mine != DP_HISTORY_BACKGROUND_NICE
                  ? 0
                  : 5);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* history.priority: background by default, normal, nothing else. */
static void test_history_writer_priority_config_key(void **state)
{
    (void)state;
    char err[256];
    dp_config c;
    dp_config_init(&c);
    assert_int_equal(c.history_priority, DP_HISTORY_PRIORITY_BACKGROUND);
    assert_int_equal(
        dp_config_set(&c, "history.priority", "normal", err, sizeof(err)), 0);
    assert_int_equal(c.history_priority, DP_HISTORY_PRIORITY_NORMAL);
    assert_int_equal(
        dp_config_set(&c, "history.priority", "background", err, sizeof(err)),
        0);
    assert_int_equal(c.history_priority, DP_HISTORY_PRIORITY_BACKGROUND);
    assert_int_not_equal(
        dp_config_set(&c, "history.priority", "idle", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "history.priority"));
    dp_config_fini(&c);
    char *argv[] = {"serve", "--history-priority", "normal", NULL};
    dp_config_init(&c);
    assert_int_equal(dp_config_from_args(&c, 3, argv, err, sizeof(err)), 1);
    assert_int_equal(c.history_priority, DP_HISTORY_PRIORITY_NORMAL);
    dp_config_fini(&c);
}

/* ------------------------------------------------------------------------ */
/* The shutdown deadline                                                    */

struct feeder {
    dp_exporters *e;
    uint64_t until_ns, every_ns;
    int first, n, submitted;
    pthread_t thread;
};

static void *feed_main(void *arg)
{
    struct feeder *f = arg;
    for (int i = f->first; i < f->first + f->n; i++) {
        if (dp_exporters_now_ns() >= f->until_ns)
            break;
        dp_exporters_submit(f->e, run_rec(i));
        f->submitted++;
        sleep_ns(f->every_ns);
    }
    return NULL;
}

/* Runs keep coming during the drain into a slow store (a commit costs 1
 * ms a run) whose batches would otherwise wait 10 s: once the deadline is
 * known every batch is committed after half the time it had left, so
 * commits come more often and smaller, and at the deadline every run is
 * either in the store or counted as lost at shutdown. */
static void test_history_writer_deadline_smaller_batches(void **state)
{
    (void)state;
    dp_history_config cfg = {.priority = DP_HISTORY_PRIORITY_NORMAL,
                             .batch_size = 500,
                             .flush_interval_ns = 10 * SEC};
    dp_exporters *e = pipeline(&cfg);
    slow.per_run_ns = 1 * MS;
    for (int i = 0; i < 40; i++)
        assert_int_equal(dp_exporters_submit(e, run_rec(i)), 1);
    sleep_ns(150 * MS);
    assert_int_equal(atomic_load(&slow.commits), 0); /* no deadline yet */
    uint64_t deadline = dp_exporters_now_ns() + 800 * MS;
    struct feeder f = {.e = e,
                       .until_ns = deadline + 100 * MS,
                       .every_ns = 3 * MS,
                       .first = 40,
                       .n = N_RUNS - 40};
    assert_int_equal(pthread_create(&f.thread, NULL, feed_main, &f), 0);
    dp_exporters_drain_begin(e, deadline);
    sleep_ns(deadline - dp_exporters_now_ns());
    dp_exporters_shutdown(e, 800 * MS);
    pthread_join(f.thread, NULL);
    dp_exporter_stats s = stats(e);
    int commits = atomic_load(&slow.commits);
    for (int k = 0; k < commits && k < 256; k++)
        print_message("commit %d: %zu run(s)\n", k + 1, slow.sizes[k]);
    assert_false(s.left_behind);
    assert_true(commits >= 3);
    /* Halving: the last batches are smaller than the first cut. */
    assert_true(slow.sizes[commits - 1] < slow.sizes[0]);
    /* Every run offered is stored or counted as lost at shutdown. */
    assert_int_equal(s.exported + s.dropped, 40 + (uint64_t)f.submitted);
    assert_int_equal(s.dropped, s.dropped_shutdown);
    assert_int_equal(s.shutdown_spans, s.shutdown_profiles * SPANS);
    dp_exporters_destroy(e);
    release_runs();
    assert_int_equal(stored_runs(), (int64_t)s.exported);
}

/* A commit still running a second past the deadline (the store takes 30
 * ms a run, 80 runs: 2.4 s), made by the background thread (batch_size
 * 500) or inside the 80th export() (batch_size 80): the pipeline leaves
 * the writer behind, and the 80 runs it had taken are counted as lost at
 * shutdown (the one in flight by the pipeline, the others by the writer;
 * none twice), not silently gone; the writer then commits nothing (rolled
 * back), so the count is exact. */
static void stuck_commit(size_t batch_size)
{
    dp_history_config cfg = {.priority = DP_HISTORY_PRIORITY_NORMAL,
                             .batch_size = batch_size,
                             .flush_interval_ns = 10 * SEC};
    dp_exporters *e = pipeline(&cfg);
    slow.per_run_ns = 30 * MS;
    for (int i = 0; i < 80; i++)
        assert_int_equal(dp_exporters_submit(e, run_rec(i)), 1);
    for (int i = 0;
         i < 5000 && stats(e).exported < 80 && atomic_load(&slow.commits) == 0;
         i++)
        sleep_ns(MS);
    assert_int_equal(stats(e).exported, batch_size <= 80 ? 79 : 80);
    uint64_t t0 = dp_exporters_now_ns();
    dp_exporters_drain_begin(e, t0 + 200 * MS);
    dp_exporters_shutdown(e, 200 * MS);
    uint64_t took = dp_exporters_now_ns() - t0;
    assert_true(took < 2000 * MS); /* not the 2.4 s commit */
    dp_exporter_stats s = stats(e);
    assert_true(s.left_behind);
    assert_int_equal(s.exported, 0);
    assert_int_equal(s.dropped_shutdown, 80);
    assert_int_equal(s.shutdown_profiles, 80);
    assert_int_equal(s.shutdown_spans, 80 * SPANS);
    /* The stuck commit returns: rolled back, and its thread finishes. */
    for (int i = 0; i < 5000 && !atomic_load(&slow.flushed); i++)
        sleep_ns(MS);
    assert_true(atomic_load(&slow.flushed));
    sleep_ns(50 * MS);
    s = stats(e);
    assert_int_equal(s.exported, 0);
    assert_int_equal(s.dropped_shutdown, 80);
    dp_exporters_destroy(e);
    release_runs();
    assert_int_equal(stored_runs(), 0);
}

static void test_history_writer_deadline_stuck_commit_counted(void **state)
{
    (void)state;
    stuck_commit(500);
}

static void test_history_writer_deadline_stuck_in_export_counted(void **state)
{
    (void)state;
    stuck_commit(80);
}

/* ------------------------------------------------------------------------ */
/* durability: wal                                                          */

/* A record's on_free, as serve's (dp_wal_hold_release): counted; the
 * fixture is static, so the record lets go of it. */
static void release_log(void *arg)
{
    dp_record *r = arg;
    r->profile = NULL;
    atomic_fetch_add(&log_released, 1);
}

/* The pipeline is done with 20 records once export() returned, but the
 * batch is not committed: no record is freed (the log keeps their
 * requests) until the commit has returned, then all 20 are. */
static void test_history_writer_holds_log_until_commit(void **state)
{
    (void)state;
    dp_history_config cfg = {.priority = DP_HISTORY_PRIORITY_NORMAL,
                             .batch_size = 500,
                             .flush_interval_ns = 10 * SEC};
    dp_exporters *e = pipeline(&cfg);
    atomic_store(&log_released, 0);
    enum { N = 20 };
    for (int i = 0; i < N; i++) {
        dp_record *r = run_rec(i);
        r->on_free = release_log;
        r->on_free_arg = r;
        held[i] = NULL; /* only the pipeline's and the writer's references */
        assert_int_equal(dp_exporters_submit(e, r), 1);
        dp_record_unref(r);
    }
    for (int i = 0; i < 5000 && stats(e).exported < N; i++)
        sleep_ns(MS);
    assert_int_equal(stats(e).exported, N);
    sleep_ns(50 * MS);
    assert_int_equal(atomic_load(&slow.commits), 0);
    assert_int_equal(stored_runs(), 0);
    assert_int_equal(atomic_load(&log_released), 0);
    /* The commit (here at shutdown) lets them go, once it has returned. */
    dp_exporters_drain_begin(e, dp_exporters_now_ns() + 2 * SEC);
    dp_exporters_shutdown(e, 2 * SEC);
    assert_int_equal(atomic_load(&slow.commits), 1);
    assert_int_equal(slow.released_at_commit, 0);
    assert_int_equal(atomic_load(&log_released), N);
    assert_int_equal(stored_runs(), N);
    dp_exporters_destroy(e);
    assert_int_equal(atomic_load(&log_released), N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_history_writer_priority_applied,
                                        setup, teardown),
        cmocka_unit_test(test_history_writer_priority_unprivileged),
        cmocka_unit_test(test_history_writer_priority_config_key),
        cmocka_unit_test_setup_teardown(
            test_history_writer_deadline_smaller_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_history_writer_deadline_stuck_commit_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_history_writer_deadline_stuck_in_export_counted, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_history_writer_holds_log_until_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
