/*
 * test_history_clickhouse.c - the parts of the ClickHouse history store
 * that need no server (history/clickhouse.c): clickhouse:// URL parsing,
 * string literals, the JSONEachRow rows a profile becomes (every column the
 * queries read, one line per node and bottleneck, the profile JSON kept
 * byte for byte), the reply line reader and the run decoding (64-bit
 * integers quoted as ClickHouse sends them, NULLs), the model_calls rows
 * (one per model). The server itself is exercised by
 * tests/integration/serve_history_clickhouse.test.js.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "clickhouse.h"
#include "profile_fixture.h"

static void test_url(void **state)
{
    (void)state;
    dp_ch_url u;
    char err[256];
    assert_int_equal(dp__ch_url_parse("clickhouse://ch.local:9123/hist", &u,
                                      err, sizeof(err)),
                     0);
    assert_string_equal(u.base, "http://ch.local:9123");
    assert_string_equal(u.db, "hist");
    assert_int_equal(
        dp__ch_url_parse("clickhouse://10.0.0.5", &u, err, sizeof(err)), 0);
    assert_string_equal(u.base, "http://10.0.0.5:8123");
    assert_string_equal(u.db, "dagprof");
    assert_int_equal(
        dp__ch_url_parse("clickhouse://h:8123/", &u, err, sizeof(err)), 0);
    assert_string_equal(u.db, "dagprof");
    static const char *const bad[] = {
        "clickhouse://",          "clickhouse://:8123/db",
        "clickhouse://h:0/db",    "clickhouse://h:65536/db",
        "clickhouse://h:x/db",    "clickhouse://h:81x/db",
        "clickhouse://h/db;drop", "clickhouse://h/a/b",
        "clickhouse://u@h/db",    "http://h:8123/db",
        "clickhouse://h?x=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(dp__ch_url_parse(bad[i], &u, err, sizeof(err)),
                         DP_EINVAL);
        assert_non_null(strstr(err, bad[i]));
    }
}

static void test_quote(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp__ch_quote(&b, "a'b\\c"), 0);
    assert_string_equal(b.data, "'a\\'b\\\\c'");
    dp_buf_fini(&b);
}

static int collect(void *user, void *obj)
{
    return json_array_append((json_t *)user, obj);
}

static void test_encode(void **state)
{
    (void)state;
    dp_fixture fx;
    dp_fixture_code_review(&fx);
    fx.p.version = "1.4.2";
    dp_buf b[4];
    for (int i = 0; i < 4; i++)
        dp_buf_init(&b[i]);
    const char *json = "{\"p\":\"\\u00e9 x\"}\n";
    assert_int_equal(dp__ch_encode_profile(&fx.p, json, strlen(json), &b[0],
                                           &b[1], &b[2], &b[3]),
                     0);
    json_t *rows[4];
    for (int i = 0; i < 4; i++) {
        rows[i] = json_array();
        assert_int_equal(dp__ch_each_row(b[i].data, b[i].len, collect, rows[i]),
                         0);
    }
    assert_int_equal(json_array_size(rows[0]), 1);
    assert_int_equal(json_array_size(rows[1]), fx.p.n_nodes);
    assert_int_equal(json_array_size(rows[2]), fx.p.n_bottlenecks);
    assert_int_equal(json_array_size(rows[3]), 1);
    dp_history_run r;
    json_t *run = json_array_get(rows[0], 0);
    assert_int_equal(dp__ch_decode_run(run, &r), 0);
    assert_string_equal(r.trace_id, fx.p.trace_id_hex);
    assert_string_equal(r.dag_id, fx.p.dag_id);
    assert_string_equal(r.version, "1.4.2");
    assert_null(r.session_id);
    assert_true(r.start_unix_ns == fx.p.start_unix_ns);
    assert_int_equal(r.wall_ns, fx.p.wall_ns);
    assert_int_equal(r.critical_path_ns, fx.p.critical_path_ns);
    assert_int_equal(r.cost_pusd, fx.p.cost_pusd);
    assert_int_equal(r.tokens, 30950);
    assert_int_equal(r.node_count, 5);
    assert_int_equal(r.failed_nodes, 0);
    assert_true(r.complete);
    assert_string_equal(r.top_bottleneck, "dependency_wait");
    assert_string_equal(r.top_bottleneck_node, "aggregate-results");
    assert_int_equal(dp__ch_i64(run, "start"),
                     (int64_t)(DP_FX_START_UNIX_NS / 1000000000u));
    /* Node rows in the profile's order, with their index. */
    for (size_t i = 0; i < fx.p.n_nodes; i++) {
        json_t *n = json_array_get(rows[1], i);
        assert_int_equal(dp__ch_i64(n, "idx"), (int64_t)i);
        assert_string_equal(json_string_value(json_object_get(n, "node_id")),
                            fx.p.nodes[i].id);
        assert_int_equal(dp__ch_i64(n, "execution_ns"),
                         fx.p.nodes[i].execution_ns);
        assert_int_equal(dp__ch_i64(n, "cost_pusd"), fx.p.nodes[i].cost_pusd);
    }
    /* Every row carries the store's version: ReplacingMergeTree keeps, and
     * queries read, the latest profiled_at_ns of a trace stored twice. */
    for (int t = 0; t < 4; t++)
        for (size_t i = 0; i < json_array_size(rows[t]); i++)
            assert_int_equal(
                dp__ch_i64(json_array_get(rows[t], i), "profiled_at_ns"),
                (int64_t)fx.p.profiled_at_unix_ns);
    /* The profile JSON without its newline, non-ASCII escaped in transit. */
    assert_non_null(strstr(b[3].data, "\\u00e9"));
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rows[3], 0), "json")),
        "{\"p\":\"\\u00e9 x\"}");
    for (int i = 0; i < 4; i++) {
        json_decref(rows[i]);
        dp_buf_fini(&b[i]);
    }
}

/* model_calls rows: per model, the LLM calls that reported output tokens
 * (the SQLite store's rows; the fixture's call times as in
 * test_history_throughput.c). */
static void test_encode_models(void **state)
{
    (void)state;
    dp_fixture fx;
    dp_fixture_code_review(&fx);
    fx.calls[11].end_ns = fx.calls[11].start_ns + DP_FX_MS(1000 - 385);
    fx.calls[8].end_ns = fx.calls[8].start_ns + DP_FX_MS(3540);
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp__ch_encode_models(&fx.p, &b), 0);
    json_t *rows = json_array();
    assert_int_equal(dp__ch_each_row(b.data, b.len, collect, rows), 0);
    /* haiku, sonnet, opus and acme-summarizer-v2 */
    assert_int_equal(json_array_size(rows), 4);
    int seen = 0;
    for (size_t i = 0; i < 4; i++) {
        json_t *o = json_array_get(rows, i);
        const char *m = json_string_value(json_object_get(o, "model"));
        assert_non_null(m);
        assert_string_equal(json_string_value(json_object_get(o, "trace_id")),
                            fx.p.trace_id_hex);
        assert_int_equal(dp__ch_i64(o, "profiled_at_ns"),
                         (int64_t)fx.p.profiled_at_unix_ns);
        assert_int_equal(dp__ch_i64(o, "start"),
                         (int64_t)(DP_FX_START_UNIX_NS / 1000000000u));
        assert_true(dp__ch_i64(o, "calls") >= 1);
        if (strcmp(m, "claude-haiku-4-5") == 0) {
            assert_int_equal(dp__ch_i64(o, "calls"), 2);
            seen |= 1;
            assert_int_equal(dp__ch_i64(o, "llm_ns"), DP_FX_MS(1000));
            assert_int_equal(dp__ch_i64(o, "output_tokens"), 1080);
        } else if (strcmp(m, "claude-sonnet-4-5") == 0) {
            assert_int_equal(dp__ch_i64(o, "calls"), 2);
            seen |= 2;
            assert_int_equal(dp__ch_i64(o, "llm_ns"), DP_FX_MS(8240));
            assert_int_equal(dp__ch_i64(o, "output_tokens"), 4120);
        } else {
            assert_true(strcmp(m, "claude-opus-4-1") == 0 ||
                        strcmp(m, "acme-summarizer-v2") == 0);
            seen |= strcmp(m, "claude-opus-4-1") == 0 ? 4 : 8;
        }
    }
    assert_int_equal(seen, 15);
    json_decref(rows);
    dp_buf_fini(&b);
}

static int count(void *user, void *obj)
{
    (void)obj;
    (*(int *)user)++;
    return 0;
}

static int stop_at_two(void *user, void *obj)
{
    (void)obj;
    return ++*(int *)user == 2 ? 42 : 0;
}

static void test_reply(void **state)
{
    (void)state;
    /* As ClickHouse sends them: 64-bit integers quoted, NULLs. */
    const char *body =
        "{\"trace_id\":\"ab\",\"dag_id\":\"d\",\"version\":null,"
        "\"start_ns\":\"1750000000123456789\",\"wall_ns\":\"-5\","
        "\"efficiency\":0.5,\"complete\":0,\"incomplete_reason\":\"timeout\","
        "\"node_count\":3,\"failed_nodes\":1}\n\n"
        "{\"trace_id\":\"cd\"}\n";
    int n = 0;
    assert_int_equal(dp__ch_each_row(body, strlen(body), count, &n), 0);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(dp__ch_each_row(body, strlen(body), stop_at_two, &n), 42);
    json_t *o = json_loads(body, JSON_DISABLE_EOF_CHECK, NULL);
    dp_history_run r;
    assert_int_equal(dp__ch_decode_run(o, &r), 0);
    assert_true(r.start_unix_ns == 1750000000123456789ULL);
    assert_int_equal(r.wall_ns, -5);
    assert_null(r.version);
    assert_false(r.complete);
    assert_string_equal(r.incomplete_reason, "timeout");
    assert_int_equal(r.node_count, 3);
    assert_int_equal(r.failed_nodes, 1);
    json_decref(o);
    /* A row without dag_id decodes with "". */
    o = json_pack("{s:s}", "trace_id", "x");
    assert_int_equal(dp__ch_decode_run(o, &r), 0);
    assert_string_equal(r.dag_id, "");
    json_decref(o);
    /* Not JSON objects: an error (a server error text, a cut reply). */
    static const char *const bad[] = {"Code: 60, e.displayText() = DB::Exc\n",
                                      "[1,2]\n", "{\"a\":1\n", "{\"a\":1}\n7"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = 0;
        assert_int_equal(dp__ch_each_row(bad[i], strlen(bad[i]), count, &n),
                         DP_EINVAL);
    }
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[256];
    assert_null(dp__ch_open("clickhouse://h:70000/db", 0, err, sizeof(err)));
    assert_non_null(strstr(err, "bad port"));
    char e2[256];
    assert_null(dp_history_db_open("clickhouse://h/x-y", e2, sizeof(e2)));
    assert_non_null(strstr(e2, "letters, digits and _"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_encode_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
