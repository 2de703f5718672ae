/*
 * test_agents_captured.c - `dagprof report` on traces captured from real
 * instrumentation libraries (tests/data/agents: the openai client under
 * the OTel GenAI contrib, OpenInference and OpenLLMetry instrumentations,
 * and LangGraph JS under OpenInference langchain: a ReAct loop, a Send
 * fan-out, a subgraph), compared with the expected truth written beside
 * each capture (*.truth.json, worked out from the workflow's structure and
 * the fake LLM server's usage, not from dagprof's output; see
 * tests/data/agents/README.md). Every member the truth names must match:
 * strings and null exactly, numbers to 1e-6, arrays element by element,
 * node entries by nodeId. Runs without Node.js, so the offline path is
 * held by the C suite too.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BIN DP_BINARY_DIR "/src/dagprof"
#define DATA DP_SOURCE_DIR "/tests/data/agents/"

static json_t *run_report(const char *capture)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), BIN " report --output json " DATA "%s.jsonl",
             capture);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t err;
    json_t *prof = json_loadf(p, JSON_DISABLE_EOF_CHECK, &err);
    int st = pclose(p);
    if (!prof)
        fail_msg("%s: no profile (%s)", capture, err.text);
    assert_int_equal(st, 0);
    return prof;
}

/* Compares want (from the truth) with got at path; returns mismatches. */
static int match(const char *path, json_t *want, json_t *got)
{
    if (!got) {
        print_error("%s: missing\n", path);
        return 1;
    }
    if (json_is_number(want)) {
        if (!json_is_number(got) ||
            fabs(json_number_value(want) - json_number_value(got)) > 1e-6) {
            char *g = json_dumps(got, JSON_ENCODE_ANY);
            print_error("%s: got %s, want %.9g\n", path, g,
                        json_number_value(want));
            free(g);
            return 1;
        }
        return 0;
    }
    if (json_is_object(want)) {
        int bad = 0;
        const char *k;
        json_t *v;
        if (!json_is_object(got)) {
            print_error("%s: not an object\n", path);
            return 1;
        }
        json_object_foreach(want, k, v)
        {
            char sub[512];
            snprintf(sub, sizeof(sub), "%s.%s", path, k);
            bad += match(sub, v, json_object_get(got, k));
        }
        return bad;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) ||
            json_array_size(got) != json_array_size(want)) {
            char *g = json_dumps(got, JSON_ENCODE_ANY);
            char *w = json_dumps(want, JSON_ENCODE_ANY);
            print_error("%s: got %s, want %s\n", path, g, w);
            free(g);
            free(w);
            return 1;
        }
        int bad = 0;
        for (size_t i = 0; i < json_array_size(want); i++) {
            char sub[512];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            bad += match(sub, json_array_get(want, i), json_array_get(got, i));
        }
        return bad;
    }
    /* The truth lists tool calls by tool name only. */
    if (json_is_string(want) && json_is_object(got) &&
        json_object_get(got, "tool"))
        got = json_object_get(got, "tool");
    if (!json_equal(want, got)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY);
        char *w = json_dumps(want, JSON_ENCODE_ANY);
        print_error("%s: got %s, want %s\n", path, g, w);
        free(g);
        free(w);
        return 1;
    }
    return 0;
}

static json_t *node_by_id(json_t *nodes, const char *id)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        if (strcmp(json_string_value(json_object_get(n, "nodeId")), id) == 0)
            return n;
    }
    return NULL;
}

static void check_capture(const char *capture)
{
    char path[512];
    snprintf(path, sizeof(path), DATA "%s.truth.json", capture);
    json_error_t err;
    json_t *truth = json_load_file(path, 0, &err);
    if (!truth)
        fail_msg("%s: %s", path, err.text);
    json_t *prof = run_report(capture);
    json_t *metrics = json_object_get(prof, "metrics");
    int bad = 0;
    const char *k;
    json_t *v;
    json_object_foreach(truth, k, v)
    {
        if (strcmp(k, "nodeMetrics") == 0) {
            json_t *nodes = json_object_get(prof, "nodeMetrics");
            bad += json_array_size(nodes) != json_array_size(v);
            size_t i;
            json_t *want;
            json_array_foreach(v, i, want)
            {
                const char *id =
                    json_string_value(json_object_get(want, "nodeId"));
                char sub[256];
                snprintf(sub, sizeof(sub), "%s: node %s", capture, id);
                /* Order too: nodeMetrics by start, ties by nodeId. */
                bad += match(sub, want, json_array_get(nodes, i));
                if (!node_by_id(nodes, id)) {
                    print_error("%s: no node %s\n", capture, id);
                    bad++;
                }
            }
            continue;
        }
        json_t *got = json_object_get(prof, k);
        if (!got)
            got = json_object_get(metrics, k);
        char sub[256];
        snprintf(sub, sizeof(sub), "%s: %s", capture, k);
        bad += match(sub, v, got);
    }
    json_decref(prof);
    json_decref(truth);
    if (bad)
        fail_msg("%s: %d mismatch(es) with %s", capture, bad, path);
}

static void test_agents_captured_fanout_genai(void **state)
{
    (void)state;
    check_capture("fanout-genai");
}

static void test_agents_captured_fanout_openinference(void **state)
{
    (void)state;
    check_capture("fanout-openinference");
}

static void test_agents_captured_fanout_openllmetry(void **state)
{
    (void)state;
    check_capture("fanout-openllmetry");
}

static void test_agents_captured_langgraph_react(void **state)
{
    (void)state;
    check_capture("langgraph-react");
}

static void test_agents_captured_langgraph_send(void **state)
{
    (void)state;
    check_capture("langgraph-send");
}

static void test_agents_captured_langgraph_subgraph(void **state)
{
    (void)state;
    check_capture("langgraph-subgraph");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agents_captured_fanout_genai),
        cmocka_unit_test(test_agents_captured_fanout_openinference),
        cmocka_unit_test(test_agents_captured_fanout_openllmetry),
        cmocka_unit_test(test_agents_captured_langgraph_react),
        cmocka_unit_test(test_agents_captured_langgraph_send),
        cmocka_unit_test(test_agents_captured_langgraph_subgraph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
