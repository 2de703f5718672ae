/*
 * test_ui_query.c - the web UI's query strings (src/ui_query.c):
 * percent-decoding, lookups, the run list's filters and their links, and
 * that hostile values come back encoded (links) or escaped (page text)
 * through dp_html_escape; the runs a page keeps (dp_ui_runs_add): copies
 * that outlive the store's row, with the trace id and link asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "report_html.h"
#include "ui_query.h"

static void test_decode(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(dp_ui_decode("a%3Cb+c", 7, out, sizeof(out)), 5);
    assert_string_equal(out, "a<b c");
    assert_int_equal(dp_ui_decode("%22%27", 6, out, sizeof(out)), 2);
    assert_string_equal(out, "\"'");
    assert_int_equal(dp_ui_decode("", 0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    /* Bad escapes, an encoded NUL, too long. */
    assert_int_equal(dp_ui_decode("%4", 2, out, sizeof(out)), -1);
    assert_int_equal(dp_ui_decode("%zz", 3, out, sizeof(out)), -1);
    assert_int_equal(dp_ui_decode("a%00", 4, out, sizeof(out)), -1);
    assert_int_equal(dp_ui_decode("0123456789abcdef", 16, out, sizeof(out)),
                     -1);
    assert_int_equal(dp_ui_decode("0123456789abcde", 15, out, sizeof(out)), 15);
}

static void test_get(void **state)
{
    (void)state;
    const char *q = "dag=a%26b&dagx=no&version=&sort=cost&dag=second";
    char v[32];
    assert_int_equal(dp_ui_query_get(q, strlen(q), "dag", v, sizeof(v)), 1);
    assert_string_equal(v, "a&b"); /* the first one */
    assert_int_equal(dp_ui_query_get(q, strlen(q), "version", v, sizeof(v)), 1);
    assert_string_equal(v, "");
    assert_int_equal(dp_ui_query_get(q, strlen(q), "da", v, sizeof(v)), 0);
    assert_int_equal(dp_ui_query_get(q, strlen(q), "limit", v, sizeof(v)), 0);
    assert_int_equal(dp_ui_query_get("x=%g", 4, "x", v, sizeof(v)), -1);
    /* A key without '=' has the empty value. */
    assert_int_equal(dp_ui_query_get("a&b=1", 5, "a", v, sizeof(v)), 1);
    assert_string_equal(v, "");
}

static void test_list_query(void **state)
{
    (void)state;
    dp_ui_list_query lq;
    char err[160];
    assert_int_equal(dp_ui_list_query_parse(&lq, "", 0, err, sizeof(err)), 0);
    assert_string_equal(lq.dag, "");
    assert_int_equal(lq.sort, DP_UI_SORT_START);
    assert_int_equal(lq.complete, DP_UI_COMPLETE_ANY);
    assert_int_equal(lq.limit, 50);
    assert_int_equal(lq.offset, 0);

    const char *q = "dag=%3Cscript%3E&version=1.0&since=30d&complete=no&"
                    "sort=wall&limit=200&offset=400";
    assert_int_equal(
        dp_ui_list_query_parse(&lq, q, strlen(q), err, sizeof(err)), 0);
    assert_string_equal(lq.dag, "<script>");
    assert_string_equal(lq.version, "1.0");
    assert_string_equal(lq.since, "30d");
    assert_int_equal(lq.complete, DP_UI_COMPLETE_NO);
    assert_int_equal(lq.sort, DP_UI_SORT_WALL);
    assert_int_equal(lq.limit, 200);
    assert_int_equal(lq.offset, 400);

    static const char *bad[] = {"limit=0",        "limit=201",    "limit=-1",
                                "limit=1x",       "offset=10001", "sort=name",
                                "complete=maybe", "dag=%zz"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dp_ui_list_query_parse(&lq, bad[i], strlen(bad[i]),
                                                err, sizeof(err)),
                         -1);
    assert_int_equal(
        dp_ui_list_query_parse(&lq, "sort=name", 9, err, sizeof(err)), -1);
    assert_string_equal(err, "sort must be start, wall or cost");
}

static void test_href_and_escape(void **state)
{
    (void)state;
    dp_ui_list_query lq;
    char err[160];
    const char *q = "dag=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27&sort=cost"
                    "&limit=10";
    assert_int_equal(
        dp_ui_list_query_parse(&lq, q, strlen(q), err, sizeof(err)), 0);
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp_ui_list_query_href(&b, &lq, 20), 0);
    assert_int_equal(dp_buf_puts(&b, ""), 0);
    assert_string_equal(b.data,
                        "?dag=%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27"
                        "&version=&since=&complete=any&sort=cost&limit=10"
                        "&offset=20");
    /* The link decodes back to the same filters. */
    dp_ui_list_query back;
    assert_int_equal(
        dp_ui_list_query_parse(&back, b.data + 1, b.len - 1, err, sizeof(err)),
        0);
    assert_string_equal(back.dag, lq.dag);
    assert_int_equal(back.offset, 20);
    /* What the form echoes: the one escaping function. */
    b.len = 0;
    assert_int_equal(dp_html_escape(&b, lq.dag), 0);
    assert_int_equal(dp_buf_puts(&b, ""), 0);
    assert_string_equal(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;"
                                "&quot;&#39;");
    dp_buf_fini(&b);
}

static void test_runs_kept_as_copies(void **state)
{
    (void)state;
    char trace[] = "0123456789abcdef0123456789abcdef", dag[] = "review",
         version[] = "v2";
    dp_history_run run;
    memset(&run, 0, sizeof(run));
    run.trace_id = trace;
    run.dag_id = dag;
    run.version = version;
    run.start_unix_ns = 1700000000000000000ULL;
    run.wall_ns = 5000;
    run.cost_pusd = 42;
    run.tokens = 7;
    run.complete = true;
    dp_ui_runs s = {0};
    assert_int_equal(dp_ui_runs_add(&s, &run, 0), 0);
    assert_int_equal(dp_ui_runs_add(&s, &run, DP_UI_RUN_TRACE), 0);
    assert_int_equal(dp_ui_runs_add(&s, &run, DP_UI_RUN_TRACE | DP_UI_RUN_HREF),
                     0);
    run.version = NULL;           /* a run without a version */
    for (int i = 0; i < 100; i++) /* past the first growth */
        assert_int_equal(dp_ui_runs_add(&s, &run, DP_UI_RUN_HREF), 0);
    memset(trace, 'x', sizeof(trace) - 1); /* the row's strings go away */
    dag[0] = 'X';
    version[0] = 'X';
    assert_int_equal(s.n, 103);
    assert_null(s.r[0].trace_id);
    assert_null(s.r[0].href);
    assert_string_equal(s.r[0].dag_id, "review");
    assert_string_equal(s.r[0].version, "v2");
    assert_int_equal(s.r[0].start_unix_ns, 1700000000000000000ULL);
    assert_int_equal(s.r[0].wall_ns, 5000);
    assert_int_equal(s.r[0].cost_pusd, 42);
    assert_int_equal(s.r[0].tokens, 7);
    assert_true(s.r[0].complete);
    assert_string_equal(s.r[1].trace_id, "0123456789abcdef0123456789abcdef");
    assert_null(s.r[1].href);
    assert_string_equal(s.r[2].href,
                        "/ui/run/0123456789abcdef0123456789abcdef");
    assert_null(s.r[102].version);
    assert_string_equal(s.r[102].trace_id, s.r[1].trace_id);
    dp_ui_runs_fini(&s);
    assert_int_equal(s.n, 0);
    assert_null(s.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_list_query),
        cmocka_unit_test(test_href_and_escape),
        cmocka_unit_test(test_runs_kept_as_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
