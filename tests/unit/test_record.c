/*
 * test_record.c - exporter/record.c's byte accounting (dp_record_bytes) and
 * the exporter queues' byte limit (exporter/exporters.c, queue_bytes) that
 * counts it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "exporters.h"

/* An exporter that holds each export() until its gate opens, and records
 * the JSON of what it delivered. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    bool closed;
    int calls;
    char ok[8][16];
    int n_ok;
};

static int gate_export(void *ctx, const dp_record *r)
{
    struct gate *g = ctx;
    pthread_mutex_lock(&g->lock);
    g->calls++;
    pthread_cond_broadcast(&g->cv);
    while (g->closed)
        pthread_cond_wait(&g->cv, &g->lock);
    if (g->n_ok < 8)
        snprintf(g->ok[g->n_ok++], sizeof(g->ok[0]), "%s", r->json);
    pthread_mutex_unlock(&g->lock);
    return DP_EXPORTER_OK;
}

static const dp_exporter_ops gate_ops = {
    .name = "gate", .export = gate_export, .kinds = 1u << DP_RECORD_PROFILE};

static dp_record *json_rec(const char *json, size_t bytes)
{
    dp_record *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_PROFILE;
    r->json = strdup(json);
    r->json_len = strlen(json);
    r->bytes = bytes;
    return r;
}

static void test_record_bytes_count_profile_and_json(void **state)
{
    (void)state;
    dp_profile *p = dp_profile_new();
    assert_non_null(p);
    p->dag_id = dp_profile_strndup(p, "review", 6);
    assert_non_null(dp_profile_alloc(p, 100000)); /* a big arena block */
    size_t arena = dp_profile_mem_bytes(p);
    assert_true(arena >= 100000);
    dp_record *r = dp_record_profile(p); /* takes p, renders its JSON */
    assert_non_null(r);
    assert_true(r->json_len > 0);
    assert_true(dp_record_bytes(r) >= sizeof(*r) + r->json_len + arena);
    assert_true(dp_record_bytes(r) < sizeof(*r) + 4 * r->json_len + arena +
                                         4096); /* JSON buffer slack */
    dp_record_unref(r);
    /* Without a precomputed figure: struct, JSON and strings. */
    dp_record *a = json_rec("{\"alert\":1}", 0);
    a->rule = strdup("slow");
    assert_int_equal(dp_record_bytes(a), sizeof(*a) + 12 + 5);
    dp_record_unref(a);
    assert_int_equal(dp_record_bytes(NULL), 0);
}

static void submit_sized(dp_exporters *e, const char *id, size_t bytes,
                         size_t queued, size_t qbytes, size_t dropped)
{
    dp_record *r = json_rec(id, bytes);
    assert_int_equal(dp_record_bytes(r), bytes);
    assert_int_equal(dp_exporters_submit(e, r), 1);
    dp_record_unref(r);
    dp_exporter_stats s;
    dp_exporters_stats_get(e, 0, &s);
    assert_int_equal(s.queued, queued);
    assert_int_equal(s.queued_bytes, qbytes);
    assert_int_equal(s.dropped_full, dropped);
}

static void test_record_queue_bytes_limit(void **state)
{
    (void)state;
    struct gate g;
    memset(&g, 0, sizeof(g));
    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.cv, NULL);
    g.closed = true;
    dp_exporters *e = dp_exporters_create();
    dp_exporter_policy p;
    dp_exporter_policy_init(&p);
    assert_int_equal(p.queue_bytes, 64u << 20); /* the default */
    p.queue_size = 100;
    p.queue_bytes = 10000;
    assert_int_equal(dp_exporters_add(e, &gate_ops, &g, &p, NULL), 0);
    assert_int_equal(dp_exporters_start(e), 0);
    dp_record *first = json_rec("r0", 3000);
    assert_int_equal(dp_exporters_submit(e, first), 1);
    dp_record_unref(first);
    pthread_mutex_lock(&g.lock); /* r0 in flight, held: not counted */
    while (g.calls < 1)
        pthread_cond_wait(&g.cv, &g.lock);
    pthread_mutex_unlock(&g.lock);
    submit_sized(e, "r1", 3000, 1, 3000, 0);
    submit_sized(e, "r2", 3000, 2, 6000, 0);
    submit_sized(e, "r3", 3000, 3, 9000, 0);
    /* 9,000 + 3,000 > 10,000: the oldest is dropped (on_full drop) and
     * its bytes with it; a record larger than the whole limit empties the
     * queue for itself (one record always fits). */
    submit_sized(e, "r4", 3000, 3, 9000, 1);
    submit_sized(e, "r5", 50000, 1, 50000, 4);
    pthread_mutex_lock(&g.lock);
    g.closed = false;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.lock);
    dp_exporters_shutdown(e, 5000000000ULL);
    dp_exporter_stats s;
    dp_exporters_stats_get(e, 0, &s);
    assert_int_equal(s.queued_bytes, 0);
    assert_int_equal(s.exported, 2);
    assert_int_equal(g.n_ok, 2);
    assert_string_equal(g.ok[0], "r0");
    assert_string_equal(g.ok[1], "r5");
    dp_exporters_destroy(e);
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&g.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_bytes_count_profile_and_json),
        cmocka_unit_test(test_record_queue_bytes_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
