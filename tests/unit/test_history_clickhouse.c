/*
 * test_history_clickhouse.c - the parts of the ClickHouse history store
 * that need no server (history/clickhouse.c): clickhouse:// URL parsing,
 * string literals, the JSONEachRow rows a profile becomes (every column the
 * queries read, one line per node and bottleneck, the profile JSON kept
 * byte for byte), the reply line reader and the run decoding (64-bit
 * integers quoted as ClickHouse sends them, NULLs), the model_calls rows
 * (one per model), the SQL of the
 * aggregated trends and regressions, the RowBinary reply of regressions
 * (fed to regress.c it must give the same rows, to the bit, as the same
 * runs fed one by one), the table TTL statements and the version that
 * has them, and the claim queries of shared regression alerts. The server
 * itself is exercised by tests/integration/serve_history_clickhouse.test.js
 * and serve_history_shards.test.js (18.16: the ALTER DELETE retention).
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
#include "history_stats.h"
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
        /* Their run's version and start (schema 3: regressions read node
         * rows without a join). */
        assert_string_equal(json_string_value(json_object_get(n, "version")),
                            "1.4.2");
        assert_true(dp__ch_i64(n, "start_ns") == (int64_t)fx.p.start_unix_ns);
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

static void test_ttl(void **state)
{
    (void)state;
    int ma, mi;
    assert_int_equal(dp__ch_version_parse("18.16.1", &ma, &mi), 0);
    assert_int_equal(ma, 18);
    assert_int_equal(mi, 16);
    assert_false(dp__ch_version_has_ttl(ma, mi));
    assert_int_equal(dp__ch_version_parse("19.6.1.1", &ma, &mi), 0);
    assert_true(dp__ch_version_has_ttl(ma, mi));
    assert_false(dp__ch_version_has_ttl(19, 5));
    assert_int_equal(dp__ch_version_parse("24.8.4.13", &ma, &mi), 0);
    assert_int_equal(ma, 24);
    assert_true(dp__ch_version_has_ttl(ma, mi));
    static const char *const bad[] = {"", "abc", "19", "19.", "v19.6", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dp__ch_version_parse(bad[i], &ma, &mi), DP_EINVAL);
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp__ch_ttl_sql(&b, "nodes", 2592000), 0);
    assert_string_equal(
        b.data,
        "ALTER TABLE nodes MODIFY TTL start + toIntervalSecond(2592000)");
    dp_buf_fini(&b);
}

static void test_trends_sql(void **state)
{
    (void)state;
    dp_history_filter f = {.dag = "d'x", .since_unix_ns = 5};
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp__ch_trends_sql(&b, &f, DP_TREND_DAY, false), 0);
    assert_non_null(strstr(b.data, "intDiv(start_ns, 86400000000000) AS k"));
    /* The nearest rank: quantileExact's floor(q n) index over the negated
     * values (the server's rank rule is checked against nearest rank for
     * every n up to 500 by serve_history_clickhouse.test.js). */
    assert_non_null(strstr(b.data, "quantilesExact(0.5, 0.05)(-wall_ns) AS "
                                   "qw, quantilesExact(0.5, 0.05)(-cost_pusd) "
                                   "AS qc, -qw[1] AS w50, -qw[2] AS w95, "
                                   "-qc[1] AS c50, -qc[2] AS c95"));
    assert_non_null(strstr(b.data, "dag_id = 'd\\'x' AND start_ns >= 5 AND "
                                   "start >= toDateTime(0)"));
    /* Copies found per bucket, without a query of their own. */
    assert_non_null(strstr(b.data, "count() AS n, uniqExact(cityHash64("
                                   "trace_id)) AS u"));
    assert_null(strstr(b.data, "arraySort"));
    assert_null(strstr(b.data, "LIMIT 1 BY"));
    dp_buf_reset(&b);
    assert_int_equal(dp__ch_trends_sql(&b, &f, DP_TREND_VERSION, true), 0);
    assert_non_null(strstr(b.data, "ifNull(version, '(none)') AS k"));
    assert_non_null(strstr(b.data, "min((start_ns, trace_id)) AS fst"));
    assert_non_null(strstr(b.data, " LIMIT 1 BY trace_id) GROUP BY k"));
    assert_non_null(strstr(b.data, "count() AS n, count() AS u"));
    dp_buf_reset(&b);
    /* The time range also by start, the sorting key's second: granules
     * outside it are not read. */
    dp_history_filter tf = {.since_unix_ns = 5000000001ULL,
                            .until_unix_ns = 7000000000ULL};
    dp__ch_filter_sql(&b, &tf);
    assert_string_equal(b.data, " WHERE 1 AND start_ns >= 5000000001 AND start "
                                ">= toDateTime(5) AND start_ns < 7000000000 "
                                "AND start <= toDateTime(6)");
    dp_buf_reset(&b);
    assert_int_equal(dp__ch_trends_sql(&b, &f, 7, false), DP_EINVAL);
    dp_buf_reset(&b);
    assert_int_equal(
        dp__ch_regress_sql(&b, &f, "1.0", "1'1", 10, 20, DP_CH_REGRESS_JOIN),
        0);
    assert_non_null(strstr(b.data, "version IN ('1.0', '1\\'1')"));
    assert_non_null(strstr(b.data, "start >= toDateTime(10) AND start <= "
                                   "toDateTime(20)"));
    assert_non_null(strstr(b.data, "ALL INNER JOIN"));
    assert_non_null(strstr(b.data, "FORMAT RowBinary"));
    assert_null(strstr(b.data, "LIMIT 1 BY"));
    dp_buf_reset(&b);
    assert_int_equal(
        dp__ch_regress_sql(&b, &f, "1.0", "1.1", 10, 20, DP_CH_REGRESS_DEDUPE),
        0);
    assert_non_null(strstr(b.data, "LIMIT 1 BY trace_id, side"));
    assert_non_null(strstr(b.data, "LIMIT 1 BY trace_id, idx"));
    dp_buf_reset(&b);
    /* Schema 3: node rows by their own version and start, no join; both
     * tables by the same filter and the sorting key's range. */
    assert_int_equal(
        dp__ch_regress_sql(&b, &f, "1.0", "1.1", 10, 20, DP_CH_REGRESS_NODES),
        0);
    assert_null(strstr(b.data, "JOIN"));
    assert_null(strstr(b.data, "LIMIT 1 BY"));
    const char *nodes = strstr(b.data, "FROM nodes WHERE 1 AND dag_id = ");
    assert_non_null(nodes);
    assert_non_null(strstr(nodes, "version IN ('1.0', '1.1') AND start >= "
                                  "toDateTime(10) AND start <= "
                                  "toDateTime(20)"));
    assert_non_null(strstr(b.data, "FROM runs WHERE 1 AND dag_id = "));
    assert_non_null(strstr(b.data, "toUInt8(0) AS is_run, node_id, "
                                   "toUInt8(ifNull(version, '') != '1.0') AS "
                                   "side, min(start_ns) AS s, argMin(idx, "
                                   "start_ns) AS i, groupArray(execution_ns) "
                                   "AS t"));
    assert_non_null(strstr(nodes, "GROUP BY node_id, side) FORMAT RowBinary"));
    /* No ORDER BY: dp__ch_regress_rows orders the few rows. */
    assert_null(strstr(b.data, "ORDER BY"));

    dp_buf_fini(&b);
}

/* Little-endian n bytes of v. */
static void le_put(dp_buf *b, uint64_t v, int n)
{
    unsigned char le[8];
    for (int j = 0; j < n; j++)
        le[j] = (unsigned char)(v >> (8 * j));
    dp_buf_append(b, (const char *)le, (size_t)n);
}

/* RowBinary of one (key, side) row: first seen at start st, index idx. */
static void rb_row(dp_buf *b, int is_run, const char *id, int side, int64_t st,
                   uint32_t idx, const int64_t *t, const int64_t *c, size_t n)
{
    unsigned char u = (unsigned char)is_run;
    dp_buf_append(b, (const char *)&u, 1);
    u = (unsigned char)strlen(id); /* < 128: one varint byte */
    dp_buf_append(b, (const char *)&u, 1);
    dp_buf_puts(b, id);
    u = (unsigned char)side;
    dp_buf_append(b, (const char *)&u, 1);
    le_put(b, (uint64_t)st, 8);
    le_put(b, idx, 4);
    for (int k = 0; k < 2; k++) {
        const int64_t *v = k ? c : t;
        u = (unsigned char)n;
        dp_buf_append(b, (const char *)&u, 1);
        for (size_t i = 0; i < n; i++)
            le_put(b, (uint64_t)v[i], 8);
    }
}

static void test_regress_rows(void **state)
{
    (void)state;
    enum { N = 24 };
    /* keys: the run, "a", "b"; side 1 has "b" 40% slower, ties in cost. */
    int64_t tv[2][3][N], cv[2][3][N];
    dp_regress *rows = dp_regress_create(), *direct = dp_regress_create();
    dp_buf b;
    dp_buf_init(&b);
    for (int s = 1; s >= 0; s--) {
        for (int i = 0; i < N; i++) {
            int64_t j = (i * 7) % N;
            tv[s][0][i] = 10000 + j * 13 + s * 900;
            tv[s][1][i] = 2000 + j * 5;
            tv[s][2][i] = (5000 + j * 11) * (s ? 14 : 10) / 10;
            cv[s][0][i] = 300 + (j % 3);
            cv[s][1][i] = 100;
            cv[s][2][i] = 200 + (j % 3);
            dp_history_node nodes[2] = {
                {"a", 0, tv[s][1][i], cv[s][1][i], cv[s][1][i], 0},
                {"b", 0, tv[s][2][i], cv[s][2][i], cv[s][2][i], 0}};
            dp_history_run r = {.dag_id = "d",
                                .wall_ns = tv[s][0][i],
                                .cost_pusd = cv[s][0][i],
                                .nodes = nodes,
                                .n_nodes = 2};
            assert_int_equal(dp_regress_add(direct, s, &r), 0);
        }
        /* As ClickHouse sends them: rows in no order (side 1 first, "b"
         * before the run and "a"; first appearance orders them: "a" at
         * index 0 and "b" at index 1 of the first run) and values unsorted
         * (sorting is regress.c's). */
        rb_row(&b, 0, "b", s, 1000, 1, tv[s][2], cv[s][2], N);
        rb_row(&b, 1, "", s, 1000, 0, tv[s][0], cv[s][0], N);
        rb_row(&b, 0, "a", s, 1000, 0, tv[s][1], cv[s][1], N);
    }
    uint64_t samples = 0;
    assert_int_equal(dp__ch_regress_rows(b.data, b.len, NULL, &samples), 0);
    assert_int_equal(samples, 4 * N);
    assert_int_equal(dp__ch_regress_rows(b.data, b.len, rows, NULL), 0);
    dp_regress_config c;
    dp_regress_config_init(&c);
    const dp_regress_row *x, *y;
    long nx = dp_regress_compute(rows, &c, &x);
    long ny = dp_regress_compute(direct, &c, &y);
    assert_int_equal(nx, 3);
    assert_int_equal(ny, 3);
    for (long i = 0; i < nx; i++) {
        assert_true((x[i].node_id == NULL) == (y[i].node_id == NULL));
        if (x[i].node_id)
            assert_string_equal(x[i].node_id, y[i].node_id);
        assert_int_equal(x[i].base_runs, y[i].base_runs);
        assert_int_equal(x[i].cand_runs, y[i].cand_runs);
        /* The same bits: p-values and changes compared as memory. */
        assert_memory_equal(&x[i].time, &y[i].time, sizeof(x[i].time));
        assert_memory_equal(&x[i].cost, &y[i].cost, sizeof(x[i].cost));
    }
    assert_string_equal(x[2].node_id, "b");
    assert_int_equal(x[2].time.verdict, DP_VERDICT_REGRESSION);
    assert_int_equal(x[1].time.verdict, DP_VERDICT_NONE);
    /* Two keys first seen at the same index of runs that started at the
     * same time: by id. */
    dp_regress *tie = dp_regress_create();
    dp_buf_reset(&b);
    for (int s = 0; s < 2; s++) {
        rb_row(&b, 0, "zz", s, 7, 2, tv[s][1], cv[s][1], N);
        rb_row(&b, 0, "z", s, 7, 2, tv[s][2], cv[s][2], N);
        rb_row(&b, 1, "", s, 7, 0, tv[s][0], cv[s][0], N);
    }
    assert_int_equal(dp__ch_regress_rows(b.data, b.len, tie, NULL), 0);
    assert_int_equal(dp_regress_compute(tie, &c, &x), 3);
    assert_null(x[0].node_id);
    assert_string_equal(x[1].node_id, "z");
    assert_string_equal(x[2].node_id, "zz");
    dp_regress_destroy(tie);
    /* A reply cut short, or a side out of range: an error. */
    dp_regress *bad = dp_regress_create();
    assert_int_equal(dp__ch_regress_rows(b.data, b.len - 3, bad, NULL),
                     DP_EINVAL);
    char odd[] = {1, 0, 2, 0, 0};
    assert_int_equal(dp__ch_regress_rows(odd, sizeof(odd), bad, NULL),
                     DP_EINVAL);
    dp_regress_destroy(bad);
    dp_regress_destroy(rows);
    dp_regress_destroy(direct);
    dp_buf_fini(&b);
}

static void test_claim_sql(void **state)
{
    (void)state;
    const char *keys[] = {"[\"r\",\"d\",\"1.1\",\"a\"]",
                          "[\"r\",\"d\",\"1.1\",\"it's\"]", "[\"r\",null]"};
    bool skip[] = {false, true, false};
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp__ch_claim_sql(&b, 1, keys, 3, NULL), 0);
    assert_string_equal(b.data,
                        "SELECT DISTINCT key FROM regression_alerts WHERE key "
                        "IN ('[\"r\",\"d\",\"1.1\",\"a\"]', "
                        "'[\"r\",\"d\",\"1.1\",\"it\\'s\"]', '[\"r\",null]') "
                        "FORMAT JSONEachRow");
    dp_buf_reset(&b);
    assert_int_equal(dp__ch_claim_sql(&b, 3, keys, 3, skip), 0);
    assert_string_equal(b.data,
                        "SELECT key, instance, token FROM regression_alerts "
                        "WHERE key IN ('[\"r\",\"d\",\"1.1\",\"a\"]', "
                        "'[\"r\",null]') ORDER BY key, token, instance LIMIT "
                        "1 BY key FORMAT JSONEachRow");
    dp_buf_fini(&b);
}

/* The claims of regression alerts age out like the runs: a TTL on the
 * claim time (19.6 and later), else a DELETE by claim time. */
static void test_alerts_retention_sql(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp__ch_alerts_ttl_sql(&b, 2592000), 0);
    assert_string_equal(b.data,
                        "ALTER TABLE regression_alerts MODIFY TTL "
                        "toDateTime(intDiv(claimed_at_ns, 1000000000)) + "
                        "toIntervalSecond(2592000)");
    dp_buf_reset(&b);
    assert_int_equal(dp__ch_alerts_delete_sql(&b, 1764720000123456789ULL), 0);
    assert_string_equal(b.data, "ALTER TABLE regression_alerts DELETE WHERE "
                                "claimed_at_ns < 1764720000123456789");
    assert_non_null(strstr(dp__ch_alerts_ddl,
                           "CREATE TABLE IF NOT EXISTS regression_alerts"));
    assert_non_null(strstr(dp__ch_alerts_ddl, "claimed_at_ns Int64"));
    dp_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_trends_sql),
        cmocka_unit_test(test_regress_rows),
        cmocka_unit_test(test_claim_sql),
        cmocka_unit_test(test_alerts_retention_sql),
        cmocka_unit_test(test_encode_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
