/*
 * test_profile_json_diff.c - the printf-free profile writer
 * (exporter/profile_json.c) against the printf-based one it replaced,
 * frozen in bench/profile_json_ref.c: every profile below must come out of
 * both as the same bytes.
 *
 * The profiles: the hand-built fixtures; every profile the processor
 * builds from every file under tests/data (OTLP/JSON and protobuf trace
 * files, the agent captures, the fuzz corpora decoded the way
 * fuzz_end_to_end decodes them), with two processor settings, each also
 * read back from its JSON line with dp_profile_json_read; every complete
 * profile line in those files, read the same way; and
 * seeded random profiles with what the processor never makes but the
 * writer must still render: unknown token counts (null), warnings, groups
 * with parents and children, indices out of range, NULL strings, huge,
 * negative and saturating numbers, NaN, infinities and rounding ties, and
 * strings with quotes, control characters, valid and invalid UTF-8 and
 * lengths across the escaper's chunk size.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "otlp_json.h"
#include "otlp_proto.h"
#include "pricing.h"
#include "profile_fixture.h"
#include "profile_json.h"
#include "profile_json_ref.h"
#include "profile_read.h"
#include "trace_file.h"

static size_t n_compared, n_bytes;

/* Writes p with both writers, after the same prefix, and asserts equal
 * bytes; what names the profile in a failure. */
static void compare(const dp_profile *p, const char *what)
{
    static unsigned calls;
    dp_buf got, want;
    size_t i;

    dp_buf_init(&got);
    dp_buf_init(&want);
    if (calls++ % 2) { /* the writer appends: offsets must hold */
        assert_int_equal(dp_buf_puts(&got, "previous line\n"), 0);
        assert_int_equal(dp_buf_puts(&want, "previous line\n"), 0);
    }
    assert_int_equal(dp_profile_json_write(&got, p), 0);
    assert_int_equal(dp_profile_json_write_ref(&want, p), 0);
    assert_int_equal(got.data[got.len], '\0');
    for (i = 0; i < got.len && i < want.len; i++)
        if (got.data[i] != want.data[i])
            break;
    if (i < got.len || i < want.len) {
        size_t from = i > 60 ? i - 60 : 0;
        fail_msg("%s: differs at byte %zu of %zu/%zu\n got: %.120s\nwant: "
                 "%.120s",
                 what, i, got.len, want.len, got.data + from, want.data + from);
    }
    n_compared++;
    n_bytes += got.len;
    dp_buf_fini(&got);
    dp_buf_fini(&want);
}

static void test_profile_json_diff_fixtures(void **state)
{
    dp_fixture f;
    (void)state;
    dp_fixture_code_review(&f);
    compare(&f.p, "code review fixture");
    f.p.complete = false;
    f.p.incomplete_reason = DP_INCOMPLETE_EVICTED;
    f.p.tokens.known = DP_TOK_INPUT;
    compare(&f.p, "code review fixture, incomplete");
    dp_fixture_empty(&f);
    compare(&f.p, "empty fixture");
}

/* ---- every file under tests/data ---------------------------------------- */

struct run {
    const char *path;
    size_t profiles;
};

/* Compares p, then the profile read back from its JSON line (built by
 * profile_read.c instead of the processor). */
static void on_profile(dp_profile *p, void *user)
{
    struct run *r = user;
    dp_buf line;
    dp_profile *back;
    char err[256];

    compare(p, r->path);
    dp_buf_init(&line);
    assert_int_equal(dp_profile_json_write(&line, p), 0);
    back = dp_profile_json_read(line.data, line.len - 1, err, sizeof(err));
    if (back == NULL)
        fail_msg("%s: profile not read back: %s", r->path, err);
    compare(back, r->path);
    dp_profile_free(back);
    dp_buf_fini(&line);
    r->profiles++;
    dp_profile_free(p);
}

static uint64_t fake_now;

static int on_span(void *user, const dp_span_in *s)
{
    fake_now += 1000000;
    return dp_processor_add_span(user, s, fake_now);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *d;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    d = malloc((size_t)n + 1);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    d[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return d;
}

/* The file's spans through a processor; each profile compared. Files of
 * the fuzz_end_to_end corpora are decoded as that target decodes them. */
static size_t profile_file(const char *path, const dp_pricing *pricing,
                           bool small)
{
    struct run r = {path, 0};
    dp_processor_config pc;
    dp_decode_ctx ctx;
    dp_processor *proc;

    dp_processor_config_init(&pc);
    pc.pricing = pricing;
    if (small) { /* evictions, span limits, every trace profiled */
        pc.max_traces = 2;
        pc.max_spans_per_trace = 16;
        pc.profile_all_traces = true;
    }
    proc = dp_processor_create(&pc, on_profile, &r);
    assert_non_null(proc);
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = on_span;
    ctx.sink_user = proc;
    if (strstr(path, "/fuzz_end_to_end/") != NULL) {
        size_t len;
        char *d = slurp(path, &len);
        if (len > 0 && d[0] == 0x00)
            dp_otlp_wire_decode(&ctx, (const uint8_t *)d + 1, len - 1);
        else if (len > 0 && d[0] != 0x01)
            dp_otlp_json_scan(&ctx, d, len);
        free(d);
    } else
        dp_trace_file_read(path, DP_FORMAT_AUTO, &ctx);
    dp_processor_tick(proc, fake_now + pc.grace_ns + 1);
    dp_processor_flush(proc, DP_INCOMPLETE_ROOT_MISSING);
    dp_processor_destroy(proc);
    return r.profiles;
}

/* Every line that reads back as a profile; returns how many did. */
static size_t profile_lines(const char *path)
{
    size_t len, n = 0;
    char *d = slurp(path, &len), *line = d, err[256];

    while (line < d + len) {
        char *nl = memchr(line, '\n', (size_t)(d + len - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(d + len - line);
        dp_profile *p = ll > 0 && line[0] == '{'
                            ? dp_profile_json_read(line, ll, err, sizeof(err))
                            : NULL;
        if (p != NULL) {
            compare(p, path);
            dp_profile_free(p);
            n++;
        }
        line += ll + 1;
    }
    free(d);
    return n;
}

struct walk {
    const dp_pricing *pricing;
    size_t files, profiles, lines, agents;
};

static void walk(const char *dir, struct walk *w)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            walk(path, w);
            continue;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (16 << 20))
            continue;
        size_t n = profile_file(path, w->pricing, false);
        n += profile_file(path, w->pricing, true);
        if (strstr(path, "/agents/") != NULL)
            w->agents += n;
        w->profiles += n;
        w->lines += profile_lines(path);
        w->files++;
    }
    closedir(d);
}

static void test_profile_json_diff_test_data(void **state)
{
    struct walk w = {0};
    dp_pricing *pricing = dp_pricing_create_default();
    (void)state;

    assert_non_null(pricing);
    w.pricing = pricing;
    walk(DP_SOURCE_DIR "/tests/data", &w);
    dp_pricing_destroy(pricing);
    print_message("tests/data: %zu files, %zu profiles from spans (%zu from "
                  "the agent captures; each also read back from its JSON), "
                  "%zu complete profile lines\n",
                  w.files, w.profiles, w.agents, w.lines);
    /* The corpus is known to hold this much: a walk that found nothing
     * would compare nothing. */
    assert_true(w.files >= 50);
    assert_true(w.profiles >= 100);
    assert_true(w.agents >= 12);
}

/* ---- random profiles ---------------------------------------------------- */

static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static int64_t ri64(void)
{
    static const int64_t edge[] = {
        0,       1,         -1,        499,           500,
        -500,    1000,      1500,      -1500,         999999,
        1000000, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
    switch (rnd() % 6) {
    case 0:
        return edge[below(sizeof(edge) / sizeof(*edge))];
    case 1:
        return (int64_t)rnd(); /* any, often huge or negative */
    case 2:
        return (int64_t)(rnd() % 100000) * 1000000 + (int64_t)below(3) * 500 -
               500; /* ms near rounding points */
    case 3:
        return (int64_t)(rnd() % 100000) * 10000000; /* pico-USD, trimmed */
    default:
        return (int64_t)(rnd() >> (rnd() % 64));
    }
}

static double rdbl(void)
{
    static const double edge[] = {0.0,     -0.0,    1.0,     0.5,    0.125,
                                  0.00005, -0.0049, 0.005,   77.845, 99.995,
                                  1e9,     1e300,   -1e-300, 5e-324};
    uint64_t bits;
    double v;
    switch (rnd() % 7) {
    case 0:
        return edge[below(sizeof(edge) / sizeof(*edge))];
    case 1:
        return (rnd() % 3) == 0 ? NAN : (rnd() % 2 ? INFINITY : -INFINITY);
    case 2:
        bits = rnd();
        memcpy(&v, &bits, sizeof(v));
        return v;
    case 3:
        return ((double)below(20000) + 0.5) / 10000.0; /* ties */
    default:
        return (double)(rnd() >> 11) * 0x1p-53 * 8.0;
    }
}

/* A string for a profile field: NULL now and then (when allowed), short
 * identifiers mostly, else text with every kind of byte the escaper
 * treats, sometimes longer than its chunk. */
static const char *rstr(dp_profile *p, bool allow_null)
{
    static const char *const pieces[] = {"fetch-code",
                                         "node",
                                         "\"",
                                         "\\",
                                         "\x01",
                                         "\x1f",
                                         "\x7f",
                                         "\n\t",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         "\xe2\x80\xa8",
                                         "\xe2\x80\xa9",
                                         "\xed\xa0\x80",
                                         "\xc0\xaf",
                                         "\xe2\x82",
                                         "\x80",
                                         "\xff",
                                         "\xf4\x90\x80\x80",
                                         "claude-sonnet-4-5",
                                         " ",
                                         "/",
                                         "<>&'"};
    static char tmp[3 * DP__JSON_CHUNK];
    size_t n = 0, parts;

    unsigned r = (unsigned)(rnd() % 40);

    if (r == 0)
        return allow_null ? NULL : "";
    if (r < 4)
        return "";
    if (r == 4) { /* long: crosses DP__JSON_CHUNK boundaries */
        while (n + 256 < sizeof(tmp) && (n < DP__JSON_CHUNK || rnd() % 4)) {
            const char *q = pieces[below(sizeof(pieces) / sizeof(*pieces))];
            size_t k = rnd() % 3 ? 1 + below(200) : 0;
            memset(tmp + n, 'x', k);
            n += k;
            memcpy(tmp + n, q, strlen(q));
            n += strlen(q);
        }
    } else if (r < 16) {
        parts = 1 + below(6);
        for (size_t i = 0; i < parts; i++) {
            const char *q = pieces[below(sizeof(pieces) / sizeof(*pieces))];
            memcpy(tmp + n, q, strlen(q));
            n += strlen(q);
        }
    } else
        n = (size_t)snprintf(tmp, sizeof(tmp), "node-%zu", below(1000));
    return dp_profile_strndup(p, tmp, n);
}

static void *alloc(dp_profile *p, size_t n, size_t size)
{
    void *m = dp_profile_alloc(p, n * size + 1);
    assert_non_null(m);
    memset(m, 0, n * size + 1);
    return m;
}

/* An index into n things, out of range now and then. */
static size_t ridx(size_t n)
{
    return rnd() % 16 == 0 ? n + below(3) : below(n);
}

static void rtokens(dp_tokens *t)
{
    t->input = ri64();
    t->output = ri64();
    t->cache_read = ri64();
    t->cache_write = ri64();
    t->reasoning = ri64();
    t->known = (unsigned)(rnd() % 2 ? 31 : rnd() % 32);
}

static dp_named_i64 *rnamed(dp_profile *p, size_t n)
{
    dp_named_i64 *v = alloc(p, n, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].name = rstr(p, true);
        v[i].value = ri64();
    }
    return v;
}

static size_t *rindices(dp_profile *p, size_t n, size_t range)
{
    size_t *v = alloc(p, n, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = ridx(range);
    return v;
}

static void rnode(dp_profile *p, dp_node *n, size_t n_nodes, size_t n_calls)
{
    n->id = rnd() % 32 ? rstr(p, false) : NULL;
    n->kind = rnd() % 8 ? (int)below(2) : (int)rnd();
    n->parent = rnd() % 2 ? -1 : (long)ridx(n_nodes) - (rnd() % 8 ? 0 : 5);
    n->n_children = n->kind == DP_NODE_GROUP ? below(5) : 0;
    n->children = rindices(p, n->n_children, n_nodes);
    n->start_ns = ri64();
    n->end_ns = ri64();
    n->duration_ns = ri64();
    n->wait_ns = ri64();
    n->dependency_wait_ns = ri64();
    n->queue_delay_ns = ri64();
    n->execution_ns = ri64();
    n->self_ns = ri64();
    n->llm_ns = ri64();
    n->tool_ns = ri64();
    n->attempts = (uint32_t)rnd();
    n->retries = (uint32_t)(rnd() % 2 ? rnd() : 0);
    n->status = (int)(rnd() % 4);
    n->n_deps = below(4);
    n->deps = rindices(p, n->n_deps, n_nodes);
    n->dep_source = (int)(rnd() % 5);
    n->n_models = below(3);
    n->models = alloc(p, n->n_models, sizeof(*n->models));
    for (size_t i = 0; i < n->n_models; i++)
        n->models[i] = rstr(p, true);
    rtokens(&n->tokens);
    n->n_tokens_by_model = below(3);
    n->tokens_by_model = rnamed(p, n->n_tokens_by_model);
    n->cost_pusd = ri64();
    n->own_tokens = rnd() % 2 ? 0 : ri64();
    n->own_cost_pusd = rnd() % 2 ? 0 : ri64();
    n->n_calls = below(5);
    n->calls = rindices(p, n->n_calls, n_calls);
}

static dp_profile *random_profile(size_t max_nodes)
{
    dp_profile *p = dp_profile_new();
    size_t n_nodes = below(max_nodes + 1), n_calls = below(2 * max_nodes + 1);

    assert_non_null(p);
    for (size_t i = 0; i < 32; i++)
        p->trace_id_hex[i] = "0123456789abcdef"[rnd() % 16];
    if (rnd() % 16 == 0)
        p->trace_id_hex[below(32)] = (char)(1 + below(255));
    snprintf(p->profile_id, sizeof(p->profile_id), "prof-%.16s",
             p->trace_id_hex);
    p->dag_id = rstr(p, true);
    p->start_unix_ns = (uint64_t)ri64();
    p->profiled_at_unix_ns = rnd() % 2 ? rnd() : (uint64_t)ri64();
    p->complete = rnd() % 2;
    p->incomplete_reason = (int)(rnd() % 7);
    p->span_count = rnd() >> below(64);
    p->late_spans = rnd() % 2 ? 0 : rnd();
    p->service_name = rstr(p, true);
    p->version = rstr(p, true);
    p->session_id = rstr(p, true);
    p->n_warnings = below(4);
    p->warnings = alloc(p, p->n_warnings, sizeof(*p->warnings));
    for (size_t i = 0; i < p->n_warnings; i++)
        p->warnings[i] = rstr(p, true);

    p->wall_ns = ri64();
    p->critical_path_ns = ri64();
    p->sum_execution_ns = ri64();
    p->parallelization_efficiency = rdbl();
    p->dag_parallelism = rdbl();
    p->achieved_parallelism = rdbl();
    p->peak_concurrency = (uint32_t)rnd();
    p->n_critical_path = below(n_nodes + 2);
    p->critical_path = rindices(p, p->n_critical_path, n_nodes);
    rtokens(&p->tokens);
    p->n_tokens_by_model = below(4);
    p->tokens_by_model = rnamed(p, p->n_tokens_by_model);
    p->cost_pusd = ri64();
    p->n_cost_by_model = below(4);
    p->cost_by_model = rnamed(p, p->n_cost_by_model);
    p->n_unpriced_models = below(3);
    p->unpriced_models = rnamed(p, p->n_unpriced_models);

    p->n_calls = n_calls;
    p->calls = alloc(p, n_calls, sizeof(*p->calls));
    for (size_t i = 0; i < n_calls; i++) {
        dp_call *c = &p->calls[i];
        c->kind = rnd() % 8 ? (int)(1 + below(2)) : (int)rnd();
        c->name = rstr(p, true);
        c->start_ns = ri64();
        c->end_ns = ri64();
        c->success = rnd() % 2;
    }
    p->n_nodes = n_nodes;
    p->nodes = alloc(p, n_nodes, sizeof(*p->nodes));
    for (size_t i = 0; i < n_nodes; i++)
        rnode(p, &p->nodes[i], n_nodes, n_calls);

    p->n_bottlenecks = below(4);
    p->bottlenecks = alloc(p, p->n_bottlenecks, sizeof(*p->bottlenecks));
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        dp_bottleneck *b = &p->bottlenecks[i];
        b->type = (int)(rnd() % 9) - 1;
        b->node = ridx(n_nodes);
        b->severity = (int)(rnd() % 4);
        b->impact = rdbl();
        b->details = rstr(p, true);
        b->recommendation = rstr(p, true);
    }
    p->n_optimizations = below(4);
    p->optimizations = alloc(p, p->n_optimizations, sizeof(*p->optimizations));
    for (size_t i = 0; i < p->n_optimizations; i++) {
        dp_optimization *o = &p->optimizations[i];
        o->type = (int)(rnd() % 8) - 1;
        o->priority = (int)(rnd() % 4);
        o->saving_time_ns = ri64();
        o->saving_tokens = ri64();
        o->saving_cost_pusd = ri64();
        o->description = rstr(p, true);
        o->implementation = rstr(p, true);
    }
    return p;
}

static void test_profile_json_diff_random(void **state)
{
    char what[64];
    (void)state;
    for (int i = 0; i < 20000; i++) {
        /* mostly small; some past the writer's 64 node ids on the stack */
        dp_profile *p = random_profile(i % 50 == 0 ? 300 : 8);
        snprintf(what, sizeof(what), "random profile %d", i);
        compare(p, what);
        dp_profile_free(p);
    }
}

static int report(void **state)
{
    (void)state;
    print_message("%zu profiles, %zu bytes compared\n", n_compared, n_bytes);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_json_diff_fixtures),
        cmocka_unit_test(test_profile_json_diff_test_data),
        cmocka_unit_test(test_profile_json_diff_random),
    };
    dp_log_set_level(DP_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, report);
}
