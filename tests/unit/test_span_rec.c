/*
 * test_span_rec.c - processor/span_rec.c: a span resolved ahead of the
 * processor (dp_span_rec_resolve, on another thread in serve) and added
 * with dp_processor_add_rec gives the profile dp_processor_add_span gives,
 * byte for byte, for every file under tests/data; the record outlives the
 * decoded input (its strings are the caller's); size hints change nothing
 * in the output.
 */
#include <dirent.h>
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
#include "otlp_json.h"
#include "otlp_proto.h"
#include "pricing.h"
#include "profile_json.h"
#include "trace_file.h"

/* Every allocation of the records, freed at the end. */
struct mem {
    void **blocks;
    size_t n, cap;
};

static void *mem_alloc(void *user, size_t n)
{
    struct mem *m = user;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->blocks = realloc(m->blocks, m->cap * sizeof(*m->blocks));
        assert_non_null(m->blocks);
    }
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    m->blocks[m->n++] = p;
    return p;
}

static void mem_fini(struct mem *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->blocks[i]);
    free(m->blocks);
}

/* The records of one file, each with the clock it was decoded at. */
struct recs {
    struct mem mem;
    dp_span_rec **recs;
    uint64_t *now;
    size_t n, cap;
    dp_processor *direct; /* the same spans through add_span */
    uint64_t clock;
    size_t bad;
};

static int on_span(void *user, const dp_span_in *s)
{
    struct recs *r = user;
    r->clock += 1000000;
    int want = dp_processor_add_span(r->direct, s, r->clock);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->recs = realloc(r->recs, r->cap * sizeof(*r->recs));
        r->now = realloc(r->now, r->cap * sizeof(*r->now));
        assert_non_null(r->recs);
        assert_non_null(r->now);
    }
    dp_span_rec *rec = mem_alloc(&r->mem, dp_span_rec_size());
    int rc = dp_span_rec_resolve(s, rec, mem_alloc, &r->mem);
    if (rc == DP_EBADSPAN) {
        assert_int_equal(want, DP_EBADSPAN);
        r->bad++;
        return want;
    }
    assert_int_equal(rc, 0);
    assert_memory_equal(dp_span_rec_trace_id(rec), s->trace_id, 16);
    /* Hints of every kind: none, too small, exact-ish, large. */
    dp_span_rec_set_spans_hint(rec, (uint32_t)(r->n % 4 == 0 ? 0 : r->n % 97));
    r->recs[r->n] = rec;
    r->now[r->n++] = r->clock;
    return want;
}

struct out {
    dp_buf json;
    size_t profiles;
};

static void on_profile(dp_profile *p, void *user)
{
    struct out *o = user;
    p->profiled_at_unix_ns = 0; /* the wall clock of the call */
    assert_int_equal(dp_profile_json_write(&o->json, p), 0);
    o->profiles++;
    dp_profile_free(p);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *d = malloc((size_t)n + 1);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return d;
}

static size_t compare_file(const char *path, const dp_pricing *pricing,
                           bool small)
{
    dp_processor_config pc;
    dp_processor_config_init(&pc);
    pc.pricing = pricing;
    if (small) {
        pc.max_traces = 2;
        pc.max_spans_per_trace = 16;
        pc.profile_all_traces = true;
    }
    struct out a = {0}, b = {0};
    dp_buf_init(&a.json);
    dp_buf_init(&b.json);
    struct recs r;
    memset(&r, 0, sizeof(r));
    r.direct = dp_processor_create(&pc, on_profile, &a);
    dp_processor *viarec = dp_processor_create(&pc, on_profile, &b);
    assert_non_null(r.direct);
    assert_non_null(viarec);

    dp_decode_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = on_span;
    ctx.sink_user = &r;
    if (strstr(path, "/fuzz_end_to_end/") != NULL) {
        size_t len;
        char *d = slurp(path, &len);
        if (len > 0 && d[0] == 0x00)
            dp_otlp_wire_decode(&ctx, (const uint8_t *)d + 1, len - 1);
        else if (len > 0 && d[0] != 0x01)
            dp_otlp_json_scan(&ctx, d, len);
        free(d); /* the records must not point into it */
    } else {
        dp_trace_file_read(path, DP_FORMAT_AUTO, &ctx);
    }
    /* The decoded input is gone: only the records remain. */
    for (size_t i = 0; i < r.n; i++)
        dp_processor_add_rec(viarec, r.recs[i], r.now[i]);
    dp_processor_tick(r.direct, r.clock + pc.grace_ns + 1);
    dp_processor_tick(viarec, r.clock + pc.grace_ns + 1);
    dp_processor_flush(r.direct, DP_INCOMPLETE_ROOT_MISSING);
    dp_processor_flush(viarec, DP_INCOMPLETE_ROOT_MISSING);

    dp_processor_stats sa, sb;
    dp_processor_stats_get(r.direct, &sa);
    dp_processor_stats_get(viarec, &sb);
    assert_int_equal(sa.spans_received, sb.spans_received);
    assert_int_equal(sa.spans_duplicate, sb.spans_duplicate);
    assert_int_equal(sa.spans_rejected, sb.spans_rejected + r.bad);
    assert_int_equal(sa.profiles_emitted, sb.profiles_emitted);
    assert_int_equal(a.profiles, b.profiles);
    assert_int_equal(a.json.len, b.json.len);
    if (a.json.len && memcmp(a.json.data, b.json.data, a.json.len) != 0)
        fail_msg("%s: profiles differ", path);

    size_t n = a.profiles;
    dp_processor_destroy(r.direct);
    dp_processor_destroy(viarec);
    dp_buf_fini(&a.json);
    dp_buf_fini(&b.json);
    mem_fini(&r.mem);
    free(r.recs);
    free(r.now);
    return n;
}

static void walk(const char *dir, const dp_pricing *pricing, size_t *files,
                 size_t *profiles)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            walk(path, pricing, files, profiles);
            continue;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (16 << 20))
            continue;
        *profiles += compare_file(path, pricing, false);
        *profiles += compare_file(path, pricing, true);
        (*files)++;
    }
    closedir(d);
}

static void test_span_rec_same_profiles_as_add_span(void **state)
{
    (void)state;
    dp_pricing *pricing = dp_pricing_create_default();
    assert_non_null(pricing);
    size_t files = 0, profiles = 0;
    walk(DP_SOURCE_DIR "/tests/data", pricing, &files, &profiles);
    dp_pricing_destroy(pricing);
    print_message("tests/data: %zu files, %zu profiles identical\n", files,
                  profiles);
    assert_true(files >= 50);
    assert_true(profiles >= 100);
}

static void test_span_rec_rejects_backwards_span(void **state)
{
    (void)state;
    struct mem m = {0};
    dp_span_in in;
    memset(&in, 0, sizeof(in));
    in.start_ns = 10;
    in.end_ns = 9;
    dp_span_rec *rec = mem_alloc(&m, dp_span_rec_size());
    assert_int_equal(dp_span_rec_resolve(&in, rec, mem_alloc, &m), DP_EBADSPAN);
    assert_int_equal(dp_span_rec_size() % 16, 0);
    mem_fini(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_span_rec_same_profiles_as_add_span),
        cmocka_unit_test(test_span_rec_rejects_backwards_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
