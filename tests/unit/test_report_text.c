/*
 * test_report_text.c - unit tests for exporter/report_text.c: the text
 * report of the seed's code-review profile (tests/support/profile_fixture.h)
 * against golden files in 80 and 120 columns, the chart bars computed by
 * hand, line widths in code points, wrapping of long text, and the empty
 * profile. Regenerate the golden files with DP_UPDATE_GOLDEN=1.
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
#include "report_text.h"

static void render(const dp_profile *p, int width, dp_buf *out)
{
    dp_buf_init(out);
    assert_int_equal(dp_report_text_write(out, p, width), 0);
    assert_true(out->len > 0);
    assert_int_equal(out->data[out->len - 1], '\n');
}

static size_t cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Fails naming the first line longer than width code points. */
static void assert_fits(const dp_buf *out, size_t width)
{
    const char *line = out->data, *end = out->data + out->len;
    int no = 1;

    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (cps(line, n) > width)
            fail_msg("line %d has %zu code points (> %zu): %.*s", no,
                     cps(line, n), width, (int)n, line);
        line += n + 1;
        no++;
    }
}

/* The line that starts with prefix (after any indentation), or NULL. */
static const char *find_line(const dp_buf *out, const char *prefix, size_t *len)
{
    const char *line = out->data, *end = out->data + out->len;

    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *t = line;
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        while (t < line + n && *t == ' ')
            t++;
        if ((size_t)(line + n - t) >= strlen(prefix) &&
            memcmp(t, prefix, strlen(prefix)) == 0) {
            *len = n;
            return line;
        }
        line += n + 1;
    }
    return NULL;
}

/* Occurrences of the UTF-8 string s in line[0..n). */
static size_t count(const char *line, size_t n, const char *s)
{
    size_t c = 0, k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(line + i, s, k) == 0) {
            c++;
            i += k - 1;
        }
    return c;
}

static void assert_has_line(const dp_buf *out, const char *want)
{
    const char *p = out->data;
    size_t k = strlen(want);

    while ((p = strstr(p, want)) != NULL) {
        if ((p == out->data || p[-1] == '\n') && (p[k] == '\n' || p[k] == 0))
            return;
        p++;
    }
    fail_msg("no line \"%s\" in\n%s", want, out->data);
}

static void check_golden(const char *name, int width)
{
    char path[1024];
    dp_fixture f;
    dp_buf out;
    FILE *fp;
    const char *update = getenv("DP_UPDATE_GOLDEN");
    char *want;
    long size;

    dp_fixture_code_review(&f);
    render(&f.p, width, &out);
    snprintf(path, sizeof(path), "%s/tests/data/report/%s", DP_SOURCE_DIR,
             name);
    if (update != NULL && strcmp(update, "1") == 0) {
        fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(out.data, 1, out.len, fp), out.len);
        fclose(fp);
        print_message("updated %s\n", path);
    }
    fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("missing golden file %s (run with DP_UPDATE_GOLDEN=1)", path);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    want = malloc((size_t)size + 1);
    assert_non_null(want);
    assert_int_equal(fread(want, 1, (size_t)size, fp), (size_t)size);
    want[size] = '\0';
    fclose(fp);

    /* Line by line, naming the first difference. */
    const char *a = want, *b = out.data;
    for (int no = 1; *a || *b; no++) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0)
            fail_msg("%s line %d differs\n  want: %.*s\n  got:  %.*s", name, no,
                     (int)la, a, (int)lb, b);
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    assert_int_equal(out.len, (size_t)size);
    assert_fits(&out, (size_t)width);
    free(want);
    dp_buf_fini(&out);
}

static void test_report_text_golden_80(void **state)
{
    (void)state;
    check_golden("code_review_80.txt", 80);
}

static void test_report_text_golden_120(void **state)
{
    (void)state;
    check_golden("code_review_120.txt", 120);
}

/* The summary and per-node values, worked out by hand in the fixture. */
static void test_report_text_values(void **state)
{
    dp_fixture f;
    dp_buf out;
    (void)state;

    dp_fixture_code_review(&f);
    render(&f.p, 80, &out);
    assert_has_line(&out, "performanceProfile:");
    assert_has_line(&out, "  profileId: \"prof-4bf92f3577b34da6\"");
    assert_has_line(&out, "  profiledAt: \"2024-01-15T10:31:00.456Z\"");
    assert_null(strstr(out.data, "complete"));
    assert_has_line(&out, "    totalDuration: 16000.000ms");
    assert_has_line(&out, "    totalTokens: 30950");
    assert_has_line(&out, "    totalCost: $0.3591");
    assert_has_line(&out, "    parallelizationEfficiency: 98.7%");
    assert_has_line(&out, "    criticalPathDuration: 15796.125ms");
    assert_has_line(&out, "    criticalPath: [fetch-code, review-performance, "
                          "aggregate-results]");
    assert_has_line(&out, "    dagParallelism: 1.54");
    assert_has_line(&out, "    peakConcurrency: 3");
    assert_has_line(&out, "        claude-sonnet-4-5: 15120");
    assert_has_line(&out, "        review-performance: 9450");
    /* money rounded half away from zero to 4 decimals, zeros trimmed */
    assert_has_line(&out, "        claude-sonnet-4-5: $0.0902");
    assert_has_line(&out, "        fetch-code: $0.0043");
    assert_has_line(&out, "        aggregate-results: $0.0060");
    assert_has_line(&out, "        - model: acme-summarizer-v2");
    assert_has_line(&out, "          tokens: 500");
    assert_has_line(&out, "    - nodeId: review-performance");
    assert_has_line(&out, "      waitTime: 3471.250ms");
    assert_has_line(&out, "      dependencyWait: 3421.250ms");
    assert_has_line(&out, "      queueDelay: 50.000ms");
    assert_has_line(&out, "      executionTime: 8984.875ms");
    assert_has_line(&out, "      retries: 1");
    assert_has_line(&out, "      dependsOn: [analyze-complexity, "
                          "check-security, review-performance]");
    assert_has_line(&out, "      dependencySource: links");
    assert_has_line(&out, "      impact: 77.85%");
    assert_has_line(&out, "        cost: $0.2070");
    assert_has_line(&out, "        time: 880.000ms");
    assert_has_line(&out, "  visualization: |");
    dp_buf_fini(&out);
}

/* Bars by hand at 80 columns: box 76 wide, labels 18, bars 48 cells.
 * Costs 0.00425 0.04605 0.0441 0.25875 0.00595 of 0.3591 -> 1.18% 12.82%
 * 12.28% 72.06% 1.66% -> cells 1 6 6 35 1. Time: execution 24295.625 vs
 * wait 22826.250 -> 51.56% / 48.44%, 57 cells -> 29 / 28. */
static void test_report_text_chart_bars(void **state)
{
    static const struct {
        const char *label;
        size_t fill;
        const char *pct;
    } rows[] = {{"│ fetch-code ", 1, "   1% │"},
                {"│ analyze-complexity ", 6, "  13% │"},
                {"│ check-security ", 6, "  12% │"},
                {"│ review-performance ", 35, "  72% │"},
                {"│ aggregate-results ", 1, "   2% │"},
                {"│ Execution ", 29, "  52% │"},
                {"│ Wait Time ", 28, "  48% │"}};
    dp_fixture f;
    dp_buf out;
    const char *line;
    size_t n;
    (void)state;

    dp_fixture_code_review(&f);
    render(&f.p, 80, &out);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        line = find_line(&out, rows[i].label, &n);
        if (line == NULL)
            fail_msg("no chart row %s", rows[i].label);
        assert_int_equal(cps(line, n), 80);
        assert_int_equal(count(line, n, "█"), rows[i].fill);
        assert_int_equal(count(line, n, "█") + count(line, n, "░"),
                         i < 5 ? 48 : 57);
        assert_true(n >= strlen(rows[i].pct));
        assert_memory_equal(line + n - strlen(rows[i].pct), rows[i].pct,
                            strlen(rows[i].pct));
    }
    assert_has_line(&out, "    Cost Distribution by Node");
    assert_has_line(&out, "    Time Distribution");
    line = find_line(&out, "┌", &n);
    assert_non_null(line);
    assert_int_equal(count(line, n, "─"), 74);
    dp_buf_fini(&out);

    /* at 120 columns the bars take the extra 40 cells */
    render(&f.p, 120, &out);
    line = find_line(&out, "│ review-performance ", &n);
    assert_non_null(line);
    assert_int_equal(cps(line, n), 120);
    assert_int_equal(count(line, n, "█") + count(line, n, "░"), 88);
    assert_int_equal(count(line, n, "█"), 63); /* 0.72055 x 88 = 63.4 */
    dp_buf_fini(&out);
}

/* Widths: every line fits for many widths; out-of-range widths clamp. */
static void test_report_text_widths(void **state)
{
    static const int widths[] = {60, 61, 72, 80, 99, 120, 200};
    dp_fixture f;
    dp_buf out, ref;
    (void)state;

    dp_fixture_code_review(&f);
    for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
        render(&f.p, widths[i], &out);
        assert_fits(&out, (size_t)widths[i]);
        dp_buf_fini(&out);
    }
    render(&f.p, 80, &ref);
    render(&f.p, 0, &out);
    assert_string_equal(out.data, ref.data);
    dp_buf_fini(&out);
    dp_buf_fini(&ref);
    render(&f.p, 60, &ref);
    render(&f.p, 10, &out);
    assert_string_equal(out.data, ref.data);
    dp_buf_fini(&out);
    dp_buf_fini(&ref);
}

/* Long ids, long words and odd bytes still fit; charts cut ids with an
 * ellipsis, text wraps and folds back to the same string. */
static void test_report_text_long_strings(void **state)
{
    char long_id[121], word[301], text[700];
    dp_fixture f;
    dp_buf out;
    const char *line;
    size_t n;
    (void)state;

    memset(long_id, 'n', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    memcpy(long_id, "very-long-node-", 15);
    memset(word, 'w', sizeof(word) - 1);
    word[sizeof(word) - 1] = '\0';
    text[0] = '\0';
    for (int i = 0; i < 40; i++)
        strcat(text, i % 3 ? "wrap me " : "and caf\xc3\xa9 ");
    strcat(text, "end");

    dp_fixture_code_review(&f);
    f.nodes[2].id = long_id;
    f.nodes[3].id = "review \"perf\"\tnode";
    f.tokens_by_model[0].name = long_id;
    f.bottlenecks[0].details = text;
    f.bottlenecks[0].recommendation = word;
    f.optimizations[0].description = "\x01\x02 control \xff bytes";
    for (int width = 60; width <= 130; width += 7) {
        render(&f.p, width, &out);
        assert_fits(&out, (size_t)width);
        dp_buf_fini(&out);
    }

    render(&f.p, 80, &out);
    /* chart label: 32 code points of the id, then the ellipsis */
    line = find_line(&out, "│ very-long-node-nnnnnnnnnnnnnnnnn…", &n);
    assert_non_null(line);
    assert_int_equal(cps(line, n), 80);
    /* non-plain ids are quoted with JSON escapes */
    assert_has_line(&out, "    - nodeId: \"review \\\"perf\\\"\\u0009node\"");
    assert_has_line(&out, "      description: \"\\u0001\\u0002 control "
                          "\xef\xbf\xbd bytes\"");
    /* the folded text: continuation lines indented 8, joined by spaces */
    {
        char joined[1000] = "";
        line = find_line(&out, "details: \"", &n);
        assert_non_null(line);
        for (;;) {
            const char *t = line;
            while (*t == ' ')
                t++;
            if (joined[0] != '\0') {
                assert_int_equal(t - line, 8);
                strcat(joined, " ");
            }
            strncat(joined, t, (size_t)(line + n - t));
            if (line[n - 1] == '"') /* text holds no quote */
                break;
            line += n + 1;
            n = strcspn(line, "\n");
        }
        char want[800];
        snprintf(want, sizeof(want), "details: \"%s\"", text);
        assert_string_equal(joined, want);
    }
    /* the unbreakable word: escaped line breaks, joined without spaces */
    {
        char joined[1000] = "";
        line = find_line(&out, "recommendation: \"", &n);
        assert_non_null(line);
        for (;;) {
            const char *t = line;
            while (*t == ' ')
                t++;
            strncat(joined, t, (size_t)(line + n - t));
            if (line[n - 1] != '\\')
                break;
            joined[strlen(joined) - 1] = '\0';
            line += n + 1;
            n = strcspn(line, "\n");
        }
        char want[400];
        snprintf(want, sizeof(want), "recommendation: \"%s\"", word);
        assert_string_equal(joined, want);
    }
    /* a map key too long for its line becomes an explicit key */
    line = find_line(&out, "? \"very-long-node-", &n);
    assert_non_null(line);
    dp_buf_fini(&out);
}

static void test_report_text_zero_nodes(void **state)
{
    dp_fixture f;
    dp_buf out;
    (void)state;

    dp_fixture_empty(&f);
    render(&f.p, 80, &out);
    assert_fits(&out, 80);
    assert_has_line(&out, "    totalDuration: 0.000ms");
    assert_has_line(&out, "    totalCost: $0.00");
    assert_has_line(&out, "    parallelizationEfficiency: 0.0%");
    assert_has_line(&out, "    criticalPath: []");
    assert_has_line(&out, "      byNode: {}");
    assert_has_line(&out, "  nodeBreakdown: []");
    assert_has_line(&out, "  bottlenecks: []");
    assert_has_line(&out, "  optimizations: []");
    assert_has_line(&out, "    │ no cost recorded                        "
                          "                                 │");
    assert_has_line(&out, "    │ no time recorded                        "
                          "                                 │");
    assert_null(strstr(out.data, "nan"));
    assert_null(strstr(out.data, "inf"));
    dp_buf_fini(&out);
}

/* Nodes but no cost: the cost chart says so instead of dividing by 0. */
/* Run-level values and warnings in the header; unknown usage types as
 * n/a; a group's kind and children and an inner node's parent. */
static void test_report_text_groups_warnings_unknown(void **state)
{
    dp_fixture f;
    dp_buf out;
    (void)state;

    dp_fixture_code_review(&f);
    static const char *warnings[] = {"dependency cycle: dropped b -> a"};
    f.p.warnings = warnings;
    f.p.n_warnings = 1;
    f.p.version = "1.4.2";
    f.p.service_name = "reviewer";
    f.p.tokens.known = DP_TOK_INPUT | DP_TOK_OUTPUT;
    static size_t children[1] = {4};
    f.nodes[3].kind = DP_NODE_GROUP;
    f.nodes[3].children = children;
    f.nodes[3].n_children = 1;
    f.nodes[4].parent = 3;
    render(&f.p, 80, &out);
    assert_fits(&out, 80);
    assert_has_line(&out, "  serviceName: \"reviewer\"");
    assert_has_line(&out, "  version: \"1.4.2\"");
    assert_has_line(&out, "  warnings:");
    assert_has_line(&out, "    - \"dependency cycle: dropped b -> a\"");
    assert_has_line(&out, "      cacheReadTokens: n/a");
    assert_has_line(&out, "      reasoningTokens: n/a");
    assert_has_line(&out, "      inputTokens: 23700");
    assert_has_line(&out, "      kind: group");
    assert_has_line(&out, "      children: [aggregate-results]");
    assert_has_line(&out, "      parent: \"review-performance\"");
    dp_buf_fini(&out);
}

static void test_report_text_zero_cost(void **state)
{
    dp_fixture f;
    dp_buf out;
    (void)state;

    dp_fixture_code_review(&f);
    f.p.cost_pusd = 0;
    for (int i = 0; i < 5; i++)
        f.nodes[i].cost_pusd = f.nodes[i].own_cost_pusd = 0;
    f.optimizations[0].saving_cost_pusd = 0;
    f.optimizations[1].saving_time_ns = 0;
    render(&f.p, 80, &out);
    assert_fits(&out, 80);
    assert_non_null(strstr(out.data, "│ no cost recorded"));
    assert_non_null(strstr(out.data, "│ Execution "));
    assert_has_line(&out, "      estimatedSavings: {}");
    dp_buf_fini(&out);

    /* a tiny cost shows as below the display precision, not as $0 */
    dp_fixture_code_review(&f);
    f.nodes[0].cost_pusd = f.nodes[0].own_cost_pusd = 1;
    render(&f.p, 80, &out);
    assert_has_line(&out, "        fetch-code: <$0.0001");
    dp_buf_fini(&out);
}

static void test_report_text_incomplete_header(void **state)
{
    dp_fixture f;
    dp_buf out;
    (void)state;

    dp_fixture_code_review(&f);
    f.p.complete = false;
    f.p.incomplete_reason = DP_INCOMPLETE_EVICTED;
    render(&f.p, 80, &out);
    assert_has_line(&out, "  complete: false");
    assert_has_line(&out, "  incompleteReason: evicted");
    assert_int_equal(dp_report_text_write(NULL, &f.p, 80), DP_EINVAL);
    assert_int_equal(dp_report_text_write(&out, NULL, 80), DP_EINVAL);
    dp_buf_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_text_golden_80),
        cmocka_unit_test(test_report_text_golden_120),
        cmocka_unit_test(test_report_text_values),
        cmocka_unit_test(test_report_text_chart_bars),
        cmocka_unit_test(test_report_text_widths),
        cmocka_unit_test(test_report_text_long_strings),
        cmocka_unit_test(test_report_text_zero_nodes),
        cmocka_unit_test(test_report_text_zero_cost),
        cmocka_unit_test(test_report_text_groups_warnings_unknown),
        cmocka_unit_test(test_report_text_incomplete_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
