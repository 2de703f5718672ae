/*
 * test_whatif_html.c - `dagprof whatif --output html` (src/whatif_html.c)
 * and `dagprof whatif TRACE_ID --history PATH`, as a user runs them: the
 * built binary. The page must be well-formed XML (checked here by a strict
 * tag and entity scanner), carry the baseline and the predicted timeline
 * with one row per node each, their times those of `whatif --output json`,
 * the summary table, and show hostile names only escaped. A run stored
 * with `report --history` replays the same as its profile read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "run_cmd.h"

#define BIN DP_BINARY_DIR "/src/dagprof"
#define EXAMPLE DP_SOURCE_DIR "/examples/code-review.jsonl"
#define HOSTILE DP_SOURCE_DIR "/tests/data/whatif/hostile.jsonl"

/* Strict well-formedness: every tag closed in order (or self-closed),
 * attribute values quoted, every '&' a known entity or a character
 * reference, no '<' in text or '>' inside a value. Fails the test. */
static void well_formed(const char *s)
{
    const char *stack[256];
    size_t lens[256], sp = 0;
    const char *p = s;
    if (strncmp(p, "<!DOCTYPE html>", 15) == 0)
        p += 15;
    while (*p) {
        if (*p == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;",
                                               "&quot;", "&#39;"};
            bool ok = false;
            for (size_t i = 0; i < 5; i++)
                if (strncmp(p, ents[i], strlen(ents[i])) == 0)
                    ok = true;
            if (!ok)
                fail_msg("unknown entity at: %.40s", p);
            p++;
            continue;
        }
        if (*p != '<') {
            if (*p == '>')
                fail_msg("stray '>' at: %.40s", p);
            p++;
            continue;
        }
        bool close = p[1] == '/';
        const char *name = p + 1 + close;
        size_t nl = strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
        if (nl == 0)
            fail_msg("bad tag at: %.40s", p);
        const char *q = name + nl;
        char quote = 0;
        for (; *q && (quote || *q != '>'); q++) {
            if (quote && *q == '<')
                fail_msg("'<' in an attribute value at: %.40s", p);
            if (quote && *q == quote)
                quote = 0;
            else if (!quote && (*q == '"' || *q == '\''))
                quote = *q;
            else if (!quote && *q == '=' && q[1] != '"' && q[1] != '\'')
                fail_msg("unquoted attribute at: %.40s", p);
        }
        if (!*q)
            fail_msg("unterminated tag at: %.40s", p);
        if (close) {
            if (sp == 0 || lens[sp - 1] != nl ||
                strncmp(stack[sp - 1], name, nl) != 0)
                fail_msg("</%.*s> closes %.*s", (int)nl, name,
                         sp ? (int)lens[sp - 1] : 4,
                         sp ? stack[sp - 1] : "none");
            sp--;
        } else if (q[-1] != '/') {
            assert_true(sp < 256);
            stack[sp] = name;
            lens[sp++] = nl;
        }
        p = q + 1;
        /* style's text is CSS (no '<' or '&' by construction) */
        if (!close && nl == 5 && strncmp(name, "style", 5) == 0) {
            const char *e = strstr(p, "</style>");
            assert_non_null(e);
            p = e;
        }
    }
    if (sp)
        fail_msg("%zu element(s) left open, last %.*s", sp, (int)lens[sp - 1],
                 stack[sp - 1]);
}

/* The section id="whatif-WHICH" of page, as a new string. */
static char *section(const char *page, const char *which)
{
    char key[64];
    snprintf(key, sizeof key, "id=\"whatif-%s\"", which);
    const char *a = strstr(page, key);
    assert_non_null(a);
    const char *z = strstr(a, "</section>");
    assert_non_null(z);
    return strndup(a, (size_t)(z - a));
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Runs `dagprof whatif --output json ARGS`, expects exit 0, parses. */
static json_t *whatif_json(const char *args)
{
    return dp_test_run_json(BIN " whatif --output json %s", args);
}

/* The row of node id in a section: its data-start-ms and data-end-ms. */
static void row_times(const char *sec, const char *id, double *start,
                      double *end)
{
    char key[512];
    snprintf(key, sizeof key, "data-node=\"%s\" data-start-ms=\"", id);
    const char *r = strstr(sec, key);
    if (!r)
        fail_msg("no row for %s", id);
    r += strlen(key);
    *start = strtod(r, NULL);
    r = strstr(r, "data-end-ms=\"");
    assert_non_null(r);
    *end = strtod(r + 13, NULL);
}

static void test_whatif_html_code_review(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(dp_test_run(BIN " whatif --output html " EXAMPLE
                                     " workers=1",
                                 &out, &err),
                     0);
    well_formed(out);
    assert_int_equal(count(out, "<style>"), 1);
    assert_int_equal(count(out, "Content-Security-Policy"), 1);
    assert_null(strstr(out, "<script"));
    /* the summary, the step that moved the path */
    assert_non_null(strstr(out, "<tr data-k=\"wall\"><th>wall</th>"
                                "<td class=\"n\">15892.000 ms</td>"
                                "<td class=\"n\">26585.000 ms</td>"));
    assert_non_null(strstr(out, "<tr data-moved=\"true\">"));
    assert_non_null(strstr(out, "data-k=\"critical-path-moved\">critical "
                                "path <strong>moved</strong>"));
    char *base = section(out, "baseline"), *pred = section(out, "predicted");
    assert_int_equal(count(base, "<g class=\"row "), 5);
    assert_int_equal(count(pred, "<g class=\"row "), 5);
    /* two timelines with distinct SVG ids on one time scale */
    assert_non_null(strstr(base, "id=\"r1-a\""));
    assert_non_null(strstr(pred, "id=\"r2-a\""));
    json_t *w = whatif_json(EXAMPLE " workers=1");
    json_t *nodes = json_object_get(w, "nodes");
    assert_int_equal(json_array_size(nodes), 5);
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        json_t *n = json_array_get(nodes, i);
        const char *id = json_string_value(json_object_get(n, "nodeId"));
        double s, e;
        row_times(base, id, &s, &e);
        assert_true(s == json_number_value(json_object_get(n, "start")));
        assert_true(e == json_number_value(json_object_get(n, "end")));
        row_times(pred, id, &s, &e);
        assert_true(s ==
                    json_number_value(json_object_get(n, "predictedStart")));
        assert_true(e == json_number_value(json_object_get(n, "predictedEnd")));
        /* the critical-path mark of the predicted row is the replay's */
        char key[256];
        snprintf(key, sizeof key, " crit\" data-node=\"%s\"", id);
        assert_int_equal(strstr(pred, key) != NULL,
                         json_is_true(json_object_get(n, "onCriticalPath")));
    }
    json_decref(w);
    free(base);
    free(pred);
    free(out);
    free(err);
}

static void test_whatif_html_hostile_names(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(
        dp_test_run(BIN " whatif --output html " HOSTILE
                        " workers=1 'speedup <script>alert(1)</script>=2'",
                    &out, &err),
        0);
    well_formed(out);
    assert_null(strstr(out, "<script"));
    assert_null(strstr(out, "<img"));
    assert_null(strstr(out, "<b>"));
    char *pred = section(out, "predicted");
    assert_int_equal(count(pred, "<g class=\"row "), 3);
    assert_non_null(
        strstr(pred, "data-node=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert_non_null(strstr(pred, "data-node=\"&quot;quoted&quot; &amp; "
                                 "&#39;single&#39; &lt;b&gt;bold&lt;/b&gt;\""));
    /* the change, as given on the command line, escaped too */
    assert_non_null(
        strstr(out, "<code>speedup &lt;script&gt;alert(1)&lt;/script&gt;=2"));
    free(pred);
    free(out);
    free(err);
}

static void test_whatif_html_sweep(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(
        dp_test_run(BIN " whatif --output html --sweep workers=1..4 " EXAMPLE,
                    &out, &err),
        0);
    well_formed(out);
    assert_int_equal(count(out, "<tr><td class=\"n\">"), 4);
    assert_non_null(strstr(out, "stops paying"));
    char *base = section(out, "baseline");
    assert_int_equal(count(base, "<g class=\"row "), 5);
    free(base);
    free(out);
    free(err);
}

/* A run stored with report --history, replayed by its trace id (and an
 * 8-digit prefix), answers as its profile read back from a file does. */
static void test_whatif_from_history(void **state)
{
    (void)state;
    char db[] = "/tmp/dp_whatif_hist_XXXXXX",
         prof[] = "/tmp/dp_whatif_prof_XXXXXX";
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    unlink(db);
    fd = mkstemp(prof);
    assert_true(fd >= 0);
    close(fd);
    char cmd[2048], *out, *err;
    snprintf(cmd, sizeof cmd,
             BIN " report --output json --history %s " EXAMPLE " > %s", db,
             prof);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    free(out);
    free(err);
    char args[1024];
    snprintf(args, sizeof args,
             "%s 'drop-dep check-security->aggregate-results'", prof);
    json_t *a = whatif_json(args);
    snprintf(
        args, sizeof args,
        "--history %s 47611d95 'drop-dep check-security->aggregate-results'",
        db);
    json_t *b = whatif_json(args);
    assert_string_equal(json_string_value(json_object_get(b, "traceId")),
                        "47611d957f0e206ad5b569f0c9e5a855");
    assert_string_equal(json_string_value(json_object_get(b, "source")),
                        "profile");
    assert_true(json_equal(json_object_get(a, "predicted"),
                           json_object_get(b, "predicted")));
    assert_true(
        json_equal(json_object_get(a, "nodes"), json_object_get(b, "nodes")));
    json_decref(a);
    json_decref(b);
    /* HTML from history: no call times, shares shown */
    snprintf(cmd, sizeof cmd,
             BIN " whatif --output html --history %s "
                 "47611d957f0e206ad5b569f0c9e5a855 workers=2",
             db);
    assert_int_equal(dp_test_run(cmd, &out, &err), 0);
    well_formed(out);
    assert_non_null(strstr(out, "not the calls' times"));
    free(out);
    free(err);
    /* not found: exit 1, said clearly */
    snprintf(cmd, sizeof cmd, BIN " whatif --history %s deadbeef workers=2",
             db);
    assert_int_equal(dp_test_run(cmd, &out, &err), 1);
    assert_non_null(
        strstr(err, "dagprof whatif: no run with trace id deadbeef... in"));
    free(out);
    free(err);
    /* not a trace id: usage */
    snprintf(cmd, sizeof cmd, BIN " whatif --history %s nothex workers=2", db);
    assert_int_equal(dp_test_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "is not a trace id"));
    free(out);
    free(err);
    unlink(db);
    unlink(prof);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whatif_html_code_review),
        cmocka_unit_test(test_whatif_html_hostile_names),
        cmocka_unit_test(test_whatif_html_sweep),
        cmocka_unit_test(test_whatif_from_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
