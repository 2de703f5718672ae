/*
 * test_replay_data.c - the what-if replay's invariants (DESIGN.md
 * "Simulation (what-if)") on every trace the project keeps: the examples,
 * the decoder and report fixtures, the summary trace, and the captures of
 * real instrumentations (tests/data/agents). Each trace is profiled by the
 * processor and replayed:
 *   - with nothing changed, every node's start and end, the wall, the
 *     critical path and its duration come back to the nanosecond, and
 *     every node's observed offset is start - ready as timing.c computed
 *     it (the replay's leaf DAG is the processor's);
 *   - the profile written as JSON and read back replays the same way;
 *   - with no-queue and unlimited workers the critical path runs back to
 *     back (each node starts when the one before it ends);
 *   - with no-queue and one worker the leaves run one after another with
 *     no gap: the last leaf ends at sumExecution.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "otlp_decode.h"
#include "pricing.h"
#include "processor.h"
#include "profile_json.h"
#include "profile_read.h"
#include "replay.h"
#include "replay_int.h"
#include "trace_file.h"

#define MAX_PROFILES 256

struct collect {
    dp_processor *proc;
    dp_profile *v[MAX_PROFILES];
    size_t n;
};

static int sink(void *user, const dp_span_in *span)
{
    struct collect *c = user;
    int err = dp_processor_add_span(c->proc, span, 0);
    return err == DP_ELATE ? 0 : err;
}

static void on_profile(dp_profile *p, void *user)
{
    struct collect *c = user;
    if (c->n < MAX_PROFILES)
        c->v[c->n++] = p;
    else
        dp_profile_free(p);
}

static dp_pricing *pricing;

/* Profiles every trace of path into c (a file that does not decode gives
 * none). */
static void profile_file(struct collect *c, const char *path)
{
    dp_processor_config cfg;
    dp_processor_config_init(&cfg);
    cfg.pricing = pricing;
    cfg.max_traces = 100000;
    c->proc = dp_processor_create(&cfg, on_profile, c);
    assert_non_null(c->proc);
    dp_decode_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = sink;
    ctx.sink_user = c;
    (void)dp_trace_file_read(path, DP_FORMAT_AUTO, &ctx);
    dp_processor_flush(c->proc, DP_INCOMPLETE_ROOT_MISSING);
    dp_processor_destroy(c->proc);
}

static void replay_or_fail(dp_replay_ctx *ctx, const dp_change *ch, size_t n,
                           dp_replay *out, const char *what)
{
    char err[512];
    int rc = dp_replay_run(ctx, ch, n, out, err, sizeof err);
    if (rc)
        fail_msg("%s: replay failed: %s (%s)", what, dp_strerror(rc), err);
}

static int checked_profiles, checked_nodes;

static void check_unchanged(const dp_profile *p, bool from_file,
                            const char *what)
{
    dp_replay_ctx *ctx = dp_replay_create(p, pricing, from_file);
    assert_non_null(ctx);
    dp_replay r;
    replay_or_fail(ctx, NULL, 0, &r, what);
    for (size_t k = 0; k < p->n_nodes; k++) {
        const dp_node *nd = &p->nodes[k];
        if (r.nodes[k].start_ns != nd->start_ns ||
            r.nodes[k].end_ns != nd->end_ns)
            fail_msg("%s: node %s replayed [%lld, %lld), observed [%lld, %lld)",
                     what, nd->id, (long long)r.nodes[k].start_ns,
                     (long long)r.nodes[k].end_ns, (long long)nd->start_ns,
                     (long long)nd->end_ns);
        if (!from_file) {
            /* The replay's ready time is timing.c's. */
            int64_t want = nd->start_ns - nd->ready_ns;
            if (ctx->off[k] != want)
                fail_msg("%s: node %s offset %lld, start - ready %lld", what,
                         nd->id, (long long)ctx->off[k], (long long)want);
            /* ... and the ready time it reports (whatif's timeline). */
            if (r.nodes[k].ready_ns != nd->ready_ns)
                fail_msg("%s: node %s replayed ready %lld, timing's %lld", what,
                         nd->id, (long long)r.nodes[k].ready_ns,
                         (long long)nd->ready_ns);
        }
        assert_int_equal(r.nodes[k].on_critical_path, nd->on_critical_path);
        checked_nodes++;
    }
    if (r.wall_ns != p->wall_ns)
        fail_msg("%s: wall %lld, observed %lld", what, (long long)r.wall_ns,
                 (long long)p->wall_ns);
    assert_int_equal(r.n_critical_path, p->n_critical_path);
    for (size_t i = 0; i < r.n_critical_path; i++)
        assert_int_equal(r.critical_path[i], p->critical_path[i]);
    /* A profile file rounds each time to the microsecond on its own: sums
     * of rounded times may differ from the rounded sum by 1 us a term. */
    int64_t slack = from_file ? 1000 * (int64_t)p->n_nodes : 0;
    if (llabs(r.critical_path_ns - p->critical_path_ns) > slack ||
        llabs(r.sum_execution_ns - p->sum_execution_ns) > slack)
        fail_msg("%s: critical path %lld / sum %lld, observed %lld / %lld",
                 what, (long long)r.critical_path_ns,
                 (long long)r.sum_execution_ns, (long long)p->critical_path_ns,
                 (long long)p->sum_execution_ns);
    assert_int_equal(r.cost_pusd, p->cost_pusd);
    dp_replay_fini(&r);

    /* no-queue, unlimited workers: the critical path back to back. */
    dp_change nq = {.kind = DP_CHANGE_NO_QUEUE};
    replay_or_fail(ctx, &nq, 1, &r, what);
    for (size_t i = 1; i < r.n_critical_path; i++) {
        size_t a = r.critical_path[i - 1], b = r.critical_path[i];
        if (r.nodes[b].start_ns != r.nodes[a].end_ns)
            fail_msg("%s: no-queue: %s starts at %lld, %s ends at %lld", what,
                     p->nodes[b].id, (long long)r.nodes[b].start_ns,
                     p->nodes[a].id, (long long)r.nodes[a].end_ns);
    }
    assert_true(r.wall_ns >= r.critical_path_ns);
    dp_replay_fini(&r);

    /* no-queue, one worker: no gap between leaves. */
    dp_change one[2] = {{.kind = DP_CHANGE_NO_QUEUE},
                        {.kind = DP_CHANGE_WORKERS, .workers = 1}};
    replay_or_fail(ctx, one, 2, &r, what);
    int64_t last = 0;
    for (size_t k = 0; k < p->n_nodes; k++)
        if (p->nodes[k].kind == DP_NODE_LEAF && r.nodes[k].end_ns > last)
            last = r.nodes[k].end_ns;
    if (p->n_leaves && last != r.sum_execution_ns)
        fail_msg("%s: workers=1: last leaf ends at %lld, sumExecution %lld",
                 what, (long long)last, (long long)r.sum_execution_ns);
    assert_int_equal(r.peak_concurrency, p->n_leaves ? 1 : 0);
    dp_replay_fini(&r);
    dp_replay_destroy(ctx);
    checked_profiles++;
}

static void check_profile(const dp_profile *p, const char *path)
{
    char what[2048];
    snprintf(what, sizeof what, "%s trace %s", path, p->trace_id_hex);
    check_unchanged(p, false, what);
    /* Written as JSON and read back: the replay works from the file. */
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp_profile_json_write(&b, p), 0);
    char err[256];
    dp_profile *q = dp_profile_json_read(b.data, b.len, err, sizeof err);
    if (!q)
        fail_msg("%s: read back: %s", what, err);
    strncat(what, " (from JSON)", sizeof what - strlen(what) - 1);
    check_unchanged(q, true, what);
    dp_profile_free(q);
    dp_buf_fini(&b);
}

static bool wanted(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".json") == 0 &&
            !strstr(name, "truth") && !strstr(name, "scenario")) ||
           (n > 6 && strcmp(name + n - 6, ".jsonl") == 0) ||
           (n > 3 && strcmp(name + n - 3, ".pb") == 0);
}

static void check_dir(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!wanted(e->d_name))
            continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct collect c;
        memset(&c, 0, sizeof c);
        profile_file(&c, path);
        for (size_t i = 0; i < c.n; i++) {
            check_profile(c.v[i], path);
            dp_profile_free(c.v[i]);
        }
    }
    closedir(d);
}

static void test_replay_data_invariants_on_every_trace(void **state)
{
    (void)state;
    static const char *const dirs[] = {"examples", "tests/data/agents",
                                       "tests/data/decode", "tests/data/report",
                                       "tests/data/summary"};
    pricing = dp_pricing_create_default();
    assert_non_null(pricing);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", DP_SOURCE_DIR, dirs[i]);
        check_dir(dir);
    }
    print_message("replayed %d profiles, %d nodes\n", checked_profiles,
                  checked_nodes);
    assert_true(checked_profiles >= 10);
    dp_pricing_destroy(pricing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_data_invariants_on_every_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
