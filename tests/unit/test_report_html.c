/*
 * test_report_html.c - unit tests for exporter/report_html*.c: the one
 * escaping function (script tags, quotes, ampersands, control characters,
 * invalid UTF-8), label cutting, axis steps and tick labels, the timeline
 * geometry with exact numbers for the seed's code-review profile
 * (tests/support/profile_fixture.h), the layout of 0, 1 and 500 nodes, the
 * CSP hash against the <style> block actually written, the absence of any
 * http(s):// reference, hostile strings through a whole page, trends with
 * their nearest-rank p50/p95, and the run list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile_fixture.h"
#include "report_html.h"
#include "report_html_internal.h"
#include "sha256.h"

static char *esc(const char *s, size_t n)
{
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp_html_escapen(&b, s, n), 0);
    char *out = strndup(b.data ? b.data : "", b.len);
    dp_buf_fini(&b);
    return out;
}

static void assert_esc(const char *in, size_t n, const char *want)
{
    char *got = esc(in, n);
    assert_string_equal(got, want);
    free(got);
}

static void test_html_escape_markup_and_quotes(void **state)
{
    (void)state;
    assert_esc("<script>alert(\"x\")</script>", 27,
               "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    assert_esc("a & b 'c' \"d\"", 13, "a &amp; b &#39;c&#39; &quot;d&quot;");
    assert_esc("&amp;", 5, "&amp;amp;");
    assert_esc("plain-id_1.2/x", 14, "plain-id_1.2/x");
    assert_esc("", 0, "");
}

static void test_html_escape_controls_and_invalid_utf8(void **state)
{
    (void)state;
    /* Tab and line feed stay; CR, other C0, DEL, C1 and NUL do not. */
    assert_esc("a\tb\nc", 5, "a\tb\nc");
    assert_esc("a\rb\x01"
               "c\x7f"
               "d",
               7,
               "a\xEF\xBF\xBD"
               "b\xEF\xBF\xBD"
               "c\xEF\xBF\xBD"
               "d");
    assert_esc("x\0y", 3, "x\xEF\xBF\xBDy");
    assert_esc("\xC2\x85", 2, "\xEF\xBF\xBD"); /* U+0085 */
    assert_esc("\xEF\xBF\xBE\xEF\xBF\xBF", 6,  /* FFFE FFFF */
               "\xEF\xBF\xBD\xEF\xBF\xBD");
    /* Valid UTF-8 passes: e-acute, CJK, an emoji, U+00A0. */
    assert_esc("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\xC2\xA0", 11,
               "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\xC2\xA0");
    /* Invalid: a stray continuation, a lone lead, an overlong '/', a
     * surrogate, a truncated sequence at the end: one U+FFFD per maximal
     * invalid subpart (as dp_buf_json_string does). */
    assert_esc("\x80", 1, "\xEF\xBF\xBD");
    assert_esc("\xFF<", 2, "\xEF\xBF\xBD&lt;");
    assert_esc("\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_esc("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_esc("ok\xE4\xB8", 4, "ok\xEF\xBF\xBD");
    /* NULL string, NULL buffer. */
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp_html_escape(&b, NULL), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(dp_html_escape(NULL, "x"), DP_EINVAL);
    dp_buf_fini(&b);
}

static void test_html_escape_cut_keeps_code_points(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b);
    dp__hw w = dp__hw_begin(&b);
    dp__hw_esc_cut(&w, "short", 10);
    dp__hw_put(&w, "|");
    /* 6 code points cut to 5: 4 and an ellipsis, never half an e-acute. */
    dp__hw_esc_cut(&w, "\xC3\xA9\xC3\xA9\xC3\xA9<>\xC3\xA9", 5);
    dp__hw_put(&w, "|");
    dp__hw_esc_cut(&w, "<<<<<<", 6);
    assert_int_equal(w.err, 0);
    assert_string_equal(b.data, "short|\xC3\xA9\xC3\xA9\xC3\xA9&lt;"
                                "\xE2\x80\xA6|&lt;&lt;&lt;&lt;&lt;&lt;");
    dp_buf_fini(&b);
}

static void test_html_axis_steps_and_labels(void **state)
{
    (void)state;
    char t[48];
    assert_int_equal(dp__html_nice_step(16000000000LL, 10), 2000000000LL);
    assert_int_equal(dp__html_nice_step(887800000LL, 10), 100000000LL);
    assert_int_equal(dp__html_nice_step(10, 10), 1);
    assert_int_equal(dp__html_nice_step(11, 10), 2);
    assert_int_equal(dp__html_nice_step(41, 10), 5);
    assert_int_equal(dp__html_nice_step(51, 10), 10);
    assert_int_equal(dp__html_nice_step(0, 10), 1);
    /* Near INT64_MAX: no overflow, a step that gives at most 10 ticks. */
    assert_int_equal(dp__html_nice_step(INT64_MAX, 10), 1000000000000000000LL);
    assert_int_equal(dp__html_nice_step(INT64_MAX - 5, 3),
                     5000000000000000000LL);
    assert_int_equal(dp__html_nice_step(3600000000000LL, 8), 500000000000LL);
    assert_string_equal(dp__html_tick_label(t, sizeof(t), 0, 2000000000LL),
                        "0 s");
    assert_string_equal(
        dp__html_tick_label(t, sizeof(t), 14000000000LL, 2000000000LL), "14 s");
    assert_string_equal(
        dp__html_tick_label(t, sizeof(t), 1500000000LL, 500000000LL),
        "1500 ms");
    assert_string_equal(
        dp__html_tick_label(t, sizeof(t), 15000000000LL, 5000000000LL), "15 s");
    assert_string_equal(
        dp__html_tick_label(t, sizeof(t), 800000000LL, 100000000LL), "800 ms");
    assert_string_equal(dp__html_tick_label(t, sizeof(t), 500000, 500000),
                        "0.5 ms");
    assert_string_equal(dp__html_tick_label(t, sizeof(t), 1000000, 500000),
                        "1.0 ms");
    assert_string_equal(dp__html_tick_label(t, sizeof(t), 40, 20),
                        "0.00004 ms");
    assert_string_equal(dp__html_dur(t, sizeof(t), 0), "0 ms");
    assert_string_equal(dp__html_dur(t, sizeof(t), 42000), "0.042 ms");
    assert_string_equal(dp__html_dur(t, sizeof(t), 812400000), "812.4 ms");
    assert_string_equal(dp__html_dur(t, sizeof(t), 3421250000LL), "3.42 s");
    assert_string_equal(dp__html_dur(t, sizeof(t), 125000000000LL),
                        "2 min 5.0 s");
    assert_string_equal(dp__html_dur(t, sizeof(t), 3720000000000LL),
                        "1 h 02 min");
    assert_string_equal(dp__html_count(t, sizeof(t), 1234567), "1,234,567");
    assert_string_equal(dp__html_count(t, sizeof(t), -999), "-999");
    assert_string_equal(dp__html_money(t, sizeof(t), 1), "&lt;$0.0001");
    assert_string_equal(dp__html_money(t, sizeof(t), 359100000000LL),
                        "$0.3591");
}

static char *render_run(const dp_profile *p, bool timed)
{
    dp_buf b;
    dp_html_run_opts o = {1, timed, 0};
    dp_buf_init(&b);
    assert_int_equal(dp_html_page_begin(&b, "t"), 0);
    assert_int_equal(dp_html_run_section(&b, p, &o), 0);
    assert_int_equal(dp_html_page_end(&b), 0);
    char *s = strdup(b.data);
    dp_buf_fini(&b);
    return s;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

/* Fails unless html is valid UTF-8 with no control character but tab and
 * line feed, and names no http:// or https:// resource. */
static void assert_clean(const char *html)
{
    const unsigned char *u = (const unsigned char *)html;
    size_t n = strlen(html), i = 0, bad;
    while (i < n) {
        if (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n')
            fail_msg("control character 0x%02x at %zu", u[i], i);
        size_t seq = dp__utf8_seq(u + i, n - i, &bad);
        if (seq == 0)
            fail_msg("invalid UTF-8 at byte %zu", i);
        i += seq;
    }
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "style=\""));
}

static void test_html_gantt_geometry_exact(void **state)
{
    (void)state;
    dp_fixture f;
    dp__html_layout l;
    char want[256];
    dp_fixture_code_review(&f);
    assert_int_equal(dp__html_layout_init(&l, &f.p), 0);
    assert_int_equal(l.span_ns, DP_FX_MS(16000));
    /* x = 262 + t / 16000 ms x 870. */
    assert_true(dp__html_x(&l, 0) == 262.0);
    assert_true(dp__html_x(&l, DP_FX_MS(8000)) == 697.0);
    assert_true(dp__html_x(&l, DP_FX_MS(16000)) == 1132.0);
    assert_true(dp__html_x(&l, DP_FX_MS(20000)) == 1132.0); /* clamped */
    assert_true(dp__html_x(&l, -5) == 262.0);
    assert_true(l.row_h == 24 && l.bar_h == 14 && l.font_px == 12);
    assert_true(l.height == 30 + 5 * 24 + 8);
    dp__html_layout_fini(&l);

    char *html = render_run(&f.p, true);
    assert_clean(html);
    /* fetch-code: row 0 (y 30), bar 3421.25 ms from 0: x 262.0, width
     * 3421.25/16000*870 = 186.03; critical. */
    snprintf(want, sizeof(want),
             "<rect class=\"ex crit\" x=\"262.0\" y=\"%.1f\" width=\"%.1f\" "
             "height=\"14.0\"/>",
             30 + 12 - 7.0, 3421.25 / 16000 * 870);
    assert_non_null(strstr(html, want));
    /* analyze-complexity (row 1): dependency wait 0..3421.25, queue
     * 3421.25..3425, execution 3425..8234, not critical. */
    double x0 = 262 + 3425.0 / 16000 * 870, x1 = 262 + 8234.0 / 16000 * 870;
    snprintf(want, sizeof(want),
             "<rect class=\"ex\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
             "height=\"14.0\"/>",
             x0, 54 + 12 - 7.0, x1 - x0);
    assert_non_null(strstr(html, want));
    snprintf(want, sizeof(want),
             "<rect class=\"dw\" x=\"262.0\" y=\"%.1f\" "
             "width=\"%.1f\" height=\"5.6\"/>",
             66 - 2.8, 3421.25 / 16000 * 870);
    assert_non_null(strstr(html, want));
    /* One row per node, three on the critical path, exact data. */
    assert_int_equal(count(html, "<g class=\"row "), 5);
    assert_int_equal(count(html, "<g class=\"row leaf crit"), 3);
    assert_non_null(strstr(html, "data-node=\"review-performance\" "
                                 "data-start-ms=\"3471.250\" "
                                 "data-end-ms=\"12456.125\" "
                                 "data-exec-ms=\"8984.875\""));
    /* Retry badge and failed-attempt hatch on review-performance. */
    assert_non_null(strstr(html, "\xE2\x86\xBB"
                                 "1</text>"));
    assert_non_null(strstr(html, "fill=\"url(#r1-h)\""));
    /* Critical arrows: fetch-code -> review-performance -> aggregate. */
    assert_int_equal(count(html, "<path class=\"dep crit"), 2);
    /* Axis: 2 s steps to 16 s. */
    assert_non_null(strstr(html, ">16 s</text>"));
    assert_null(strstr(html, ">18 s</text>"));
    /* Calls are segments with their own titles (and 3 legend swatches). */
    assert_int_equal(count(html, "<rect class=\"seg "), 13 + 3);
    size_t llm = 0;
    for (size_t i = 0; i < f.p.n_calls; i++)
        llm += f.p.calls[i].kind == DP_CALL_LLM;
    assert_true(llm > 0 && llm < f.p.n_calls);
    assert_int_equal(count(html, "<title>LLM call "), llm);
    assert_int_equal(count(html, "<title>tool call "), f.p.n_calls - llm);
    free(html);

    /* From a profile file: shares instead of call times. */
    html = render_run(&f.p, false);
    assert_non_null(strstr(html, "class=\"seg llm share\""));
    assert_non_null(strstr(html, "not the calls' times"));
    free(html);
}

/* A profile of 20 groups of 24 leaves (500 nodes), each leaf after the one
 * before it in its group, with one LLM call each; the last group's leaves
 * are the critical path. Owned by the profile's arena. */
static dp_profile *big_profile(size_t groups, size_t leaves)
{
    dp_profile *p = dp_profile_new();
    size_t n = groups * (leaves + 1), k = 0;
    assert_non_null(p);
    p->nodes = dp_profile_alloc(p, n * sizeof(dp_node));
    p->calls = dp_profile_alloc(p, groups * leaves * sizeof(dp_call));
    p->critical_path = dp_profile_alloc(p, leaves * sizeof(size_t));
    p->dag_id = "big";
    snprintf(p->trace_id_hex, sizeof(p->trace_id_hex), "%032x", 7);
    p->complete = true;
    for (size_t g = 0; g < groups; g++) {
        size_t gi = k++;
        dp_node *gn = &p->nodes[gi];
        char id[64];
        snprintf(id, sizeof(id), "group-%02zu", g);
        gn->id = dp_profile_strndup(p, id, strlen(id));
        gn->kind = DP_NODE_GROUP;
        gn->parent = -1;
        gn->start_ns = DP_FX_MS(1000 * g);
        gn->end_ns = gn->start_ns + DP_FX_MS(10 * leaves + 200);
        gn->execution_ns = gn->end_ns - gn->start_ns;
        gn->attempts = 1;
        gn->children = dp_profile_alloc(p, leaves * sizeof(size_t));
        for (size_t j = 0; j < leaves; j++) {
            size_t li = k++;
            dp_node *ln = &p->nodes[li];
            snprintf(id, sizeof(id), "group-%02zu/leaf-%02zu", g, j);
            ln->id = dp_profile_strndup(p, id, strlen(id));
            ln->kind = DP_NODE_LEAF;
            ln->parent = (long)gi;
            gn->children[gn->n_children++] = li;
            ln->start_ns = gn->start_ns + DP_FX_MS(10 * j);
            ln->end_ns = ln->start_ns + DP_FX_MS(200);
            ln->execution_ns = DP_FX_MS(200);
            ln->dependency_wait_ns = j ? ln->start_ns : gn->start_ns;
            ln->attempts = 1;
            if (j) {
                ln->deps = dp_profile_alloc(p, sizeof(size_t));
                ln->deps[0] = li - 1;
                ln->n_deps = 1;
            }
            dp_call *c = &p->calls[p->n_calls];
            c->kind = DP_CALL_LLM;
            c->node = (long)li;
            c->name = "m";
            c->start_ns = ln->start_ns + DP_FX_MS(1);
            c->end_ns = ln->end_ns - DP_FX_MS(1);
            c->success = true;
            ln->calls = dp_profile_alloc(p, sizeof(size_t));
            ln->calls[0] = p->n_calls++;
            ln->n_calls = 1;
            ln->own_cost_pusd = (int64_t)(j + 1) * 1000000;
            ln->own_tokens = (int64_t)(j + 1) * 10;
            if (g + 1 == groups) {
                ln->on_critical_path = true;
                p->critical_path[p->n_critical_path++] = li;
            }
        }
    }
    p->n_nodes = n;
    p->n_leaves = groups * leaves;
    p->wall_ns = p->nodes[n - 1].end_ns;
    return p;
}

static void test_html_layout_500_nodes(void **state)
{
    (void)state;
    dp_profile *p = big_profile(20, 24);
    dp__html_layout l;
    assert_int_equal(p->n_nodes, 500);
    assert_int_equal(dp__html_layout_init(&l, p), 0);
    assert_int_equal(l.n_rows, 500);
    assert_true(l.big);
    assert_true(l.row_h == 13 && l.font_px == 10 && l.bar_h == 8);
    assert_true(l.height == 30 + 500 * 13 + 8);
    assert_true(l.label_chars >= 40);
    /* Tree order: each group, then its 24 leaves one level deeper. */
    bool seen[500] = {false};
    for (size_t r = 0; r < l.n_rows; r++) {
        size_t node = l.rows[r].node;
        assert_false(seen[node]);
        seen[node] = true;
        assert_int_equal(l.row_of[node], r);
        assert_int_equal(node, r); /* built in tree order */
        assert_int_equal(l.rows[r].depth, r % 25 == 0 ? 0 : 1);
        assert_true(l.rows[r].y == 30 + 13.0 * r);
    }
    dp__html_layout_fini(&l);

    char *html = render_run(p, true);
    assert_clean(html);
    assert_int_equal(count(html, "<g class=\"row "), 500);
    assert_int_equal(count(html, "<g class=\"row group"), 20);
    assert_non_null(strstr(html, "<svg class=\"gantt big\""));
    assert_non_null(strstr(html, "data-rows=\"500\""));
    /* The bars charts keep to 12 and one bar for the rest. */
    assert_non_null(strstr(html, ">488 more</text>"));
    /* Every x of every rect within the 1200-px drawing. */
    for (const char *s = strstr(html, "<rect "); s;
         s = strstr(s + 1, "<rect ")) {
        const char *x = strstr(s, " x=\"");
        const char *wd = strstr(s, " width=\"");
        assert_non_null(x);
        double xv = atof(x + 4), wv = atof(wd + 8);
        if (!(xv >= 0 && xv + wv <= 1200.05))
            fail_msg("rect outside the drawing: %.80s", s);
    }
    free(html);
    dp_profile_free(p);
}

static void test_html_layout_one_and_zero_nodes(void **state)
{
    (void)state;
    dp_profile *p = big_profile(1, 0); /* one group alone */
    dp__html_layout l;
    p->nodes[0].kind = DP_NODE_LEAF;
    p->n_leaves = 1;
    assert_int_equal(dp__html_layout_init(&l, p), 0);
    assert_int_equal(l.n_rows, 1);
    assert_false(l.big);
    assert_true(l.row_h == 24 && l.height == 30 + 24 + 8);
    dp__html_layout_fini(&l);
    char *html = render_run(p, true);
    assert_clean(html);
    assert_int_equal(count(html, "<g class=\"row "), 1);
    free(html);
    dp_profile_free(p);

    /* Zero-length run with no nodes: an axis of 1 ms and a message. */
    dp_fixture f;
    dp_fixture_empty(&f);
    assert_int_equal(dp__html_layout_init(&l, &f.p), 0);
    assert_int_equal(l.n_rows, 0);
    assert_int_equal(l.span_ns, 1000000);
    dp__html_layout_fini(&l);
    html = render_run(&f.p, true);
    assert_clean(html);
    assert_int_equal(count(html, "<g class=\"row "), 0);
    assert_non_null(strstr(html, "no nodes in this run"));
    free(html);
}

static void test_html_layout_parent_cycle_still_one_row_each(void **state)
{
    (void)state;
    dp_profile *p = big_profile(2, 2); /* 6 nodes */
    dp__html_layout l;
    /* A profile file may say anything: make groups each other's parent. */
    p->nodes[0].parent = 3;
    p->nodes[3].parent = 0;
    assert_int_equal(dp__html_layout_init(&l, p), 0);
    assert_int_equal(l.n_rows, 6);
    bool seen[6] = {false};
    for (size_t r = 0; r < 6; r++) {
        assert_false(seen[l.rows[r].node]);
        seen[l.rows[r].node] = true;
    }
    dp__html_layout_fini(&l);
    dp_profile_free(p);
}

static void test_html_csp_hash_matches_style_block(void **state)
{
    (void)state;
    dp_fixture f;
    char csp[512], src[DP_SHA256_B64_LEN + 16];
    dp_fixture_code_review(&f);
    char *html = render_run(&f.p, true);
    const char *a = strstr(html, "<style>"), *b = strstr(html, "</style>");
    assert_non_null(a);
    assert_non_null(b);
    a += strlen("<style>");
    assert_int_equal(count(html, "<style"), 1);
    dp_sha256_csp_source(a, (size_t)(b - a), src, sizeof(src));
    assert_true(dp_html_csp(csp, sizeof(csp)) > 0);
    assert_non_null(strstr(csp, src));
    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_null(strstr(csp, "unsafe"));
    /* The meta carries the same policy, before the style block. */
    char meta[600];
    snprintf(meta, sizeof(meta),
             "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\"/>",
             csp);
    const char *m = strstr(html, meta);
    assert_non_null(m);
    assert_true(m < a);
    /* The style block holds nothing that would end it or need escaping. */
    for (const char *c = a; c < b; c++)
        assert_true(*c != '<' && *c != '&');
    assert_int_equal(dp_html_csp(csp, 20), DP_ENOMEM);
    free(html);
}

static void test_html_hostile_strings_escaped(void **state)
{
    (void)state;
    dp_fixture f;
    dp_fixture_code_review(&f);
    f.p.dag_id = "<script>alert('dag')</script>";
    f.nodes[0].id = "<script>alert(1)</script>";
    f.nodes[1].id = "\"q\" & 'a' </svg><img src=x onerror=alert(2)>";
    f.nodes[2].id = "bad\xFF\xC0utf8\x01\r\x7f";
    f.calls[0].name = "tool\"><script>x</script>";
    f.p.version = "v<1>";
    f.p.warnings = (const char *[]){"warn <b>&</b>"};
    f.p.n_warnings = 1;
    char *html = render_run(&f.p, true);
    assert_clean(html);
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<b>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html,
                           "data-node=\"&quot;q&quot; &amp; &#39;a&#39; "
                           "&lt;/svg&gt;&lt;img src=x onerror=alert(2)&gt;\""));
    assert_non_null(strstr(html, "bad\xEF\xBF\xBD\xEF\xBF\xBDutf8"
                                 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"));
    assert_non_null(strstr(html, "tool&quot;&gt;&lt;script&gt;x"));
    assert_non_null(strstr(html, "warn &lt;b&gt;&amp;&lt;/b&gt;"));
    free(html);
}

static void test_html_trends_percentiles_and_run_list(void **state)
{
    (void)state;
    dp_html_trend_run runs[5];
    int64_t walls[5] = {400, 100, 1000, 300, 200}; /* ms */
    dp_buf b;
    memset(runs, 0, sizeof(runs));
    for (int i = 0; i < 5; i++) {
        runs[i].start_unix_ns =
            DP_FX_START_UNIX_NS + (uint64_t)i * 60000000000ULL;
        runs[i].wall_ns = DP_FX_MS(walls[i]);
        runs[i].cost_pusd = DP_FX_USD(0.01) * (i + 1);
        runs[i].tokens = 100 * (i + 1);
        runs[i].trace_id = "abc";
        runs[i].dag_id = "d<&>";
        runs[i].complete = i != 2;
        runs[i].href = "#run-\"1\"";
    }
    /* Nearest rank (order_stats.h, tested in test_order_stats.c): p50 of
     * 5 runs is the 3rd, p95 the 5th. */
    dp_buf_init(&b);
    assert_int_equal(dp_html_trend_section(&b, "d<&>", runs, 5, 2), 0);
    assert_clean(b.data);
    assert_non_null(strstr(b.data, "<section class=\"trend\" id=\"dag-2\" "
                                   "data-runs=\"5\">"));
    assert_non_null(strstr(b.data, "d&lt;&amp;&gt;"));
    assert_non_null(strstr(b.data, "<div class=\"v\">300.0 ms</div><div "
                                   "class=\"k\">wall p50</div>"));
    assert_non_null(strstr(b.data, "<div class=\"v\">1.00 s</div><div "
                                   "class=\"k\">wall p95</div>"));
    assert_non_null(strstr(b.data, "<div class=\"v\">$0.0300</div><div "
                                   "class=\"k\">cost p50</div>"));
    assert_int_equal(count(b.data, "<circle class=\"pt"), 10);
    assert_int_equal(count(b.data, "<circle class=\"pt inc\""), 1);
    assert_int_equal(count(b.data, "<line class=\"p50\""), 2);
    assert_int_equal(count(b.data, "<line class=\"p95\""), 2);
    assert_int_equal(count(b.data, "<a href=\"#run-&quot;1&quot;\">"), 5);
    assert_int_equal(dp_html_trend_section(&b, "x", runs, 0, 1), DP_EINVAL);
    dp_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escape_markup_and_quotes),
        cmocka_unit_test(test_html_escape_controls_and_invalid_utf8),
        cmocka_unit_test(test_html_escape_cut_keeps_code_points),
        cmocka_unit_test(test_html_axis_steps_and_labels),
        cmocka_unit_test(test_html_gantt_geometry_exact),
        cmocka_unit_test(test_html_layout_500_nodes),
        cmocka_unit_test(test_html_layout_one_and_zero_nodes),
        cmocka_unit_test(test_html_layout_parent_cycle_still_one_row_each),
        cmocka_unit_test(test_html_csp_hash_matches_style_block),
        cmocka_unit_test(test_html_hostile_strings_escaped),
        cmocka_unit_test(test_html_trends_percentiles_and_run_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
