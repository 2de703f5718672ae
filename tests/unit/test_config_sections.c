/*
 * test_config_sections.c - the `exporters:` and `alerts:` rows of the
 * configuration table (src/config_keys.c), table-driven: every key read
 * from YAML through the loader lands where the table says, a bad value of
 * every typed key is refused with the key's path and file:line, unknown
 * keys get "did you mean", --print-config round-trips (print, load, print
 * gives the same text), the policy defaults equal the exporter pipeline's
 * own, and a key set by name turns its block on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_keys.h"
#include "config_text.h"

/* Loads text from a file named test.yaml into fresh *c (caller finis). */
static int load(dp_config *c, const char *text, char *err, size_t err_len)
{
    return dp_test_config_load_text(c, text, err, err_len);
}

static char *print_value(const void *base, const struct dp__config_key *k)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dp__config_print_value(base, k, f);
    fclose(f);
    return text;
}

static char *print_config(const dp_config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dp_config_print(c, f);
    fclose(f);
    return text;
}

/* YAML setting dotted key to value: one nested mapping per component. */
static void nest(char *out, size_t len, const char *key, const char *value)
{
    size_t o = 0;
    int depth = 0;
    for (const char *p = key;;) {
        size_t n = strcspn(p, ".");
        o += (size_t)snprintf(out + o, len - o, "%*s%.*s:%s", 2 * depth, "",
                              (int)n, p, p[n] ? "\n" : " ");
        if (!p[n])
            break;
        p += n + 1;
        depth++;
    }
    snprintf(out + o, len - o, "%s\n", value);
}

/* A valid value of k other than its default, and how it prints. */
static void other_value(const struct dp__config_key *k, char *v, char *shown,
                        size_t len)
{
    switch (k->type) {
    case K_STR:
        snprintf(v, len, "\"v:%s\"", k->key);
        snprintf(shown, len, "\"v:%s\"", k->key);
        return;
    case K_SIZE:
        snprintf(v, len, "3KiB");
        break;
    case K_U64:
    case K_U32:
        snprintf(v, len, "3");
        break;
    case K_DUR_U64:
        snprintf(v, len, "1500ms");
        break;
    case K_BOOL:
        snprintf(v, len, "%s", strcmp(k->def, "true") ? "true" : "false");
        break;
    case K_MODE:
        snprintf(v, len, "\"0640\"");
        break;
    case K_ENUM: {
        /* The first choice, or the second when that is the default. */
        size_t n = strcspn(k->choices, "|");
        const char *c = k->choices;
        if (strlen(k->def) == n && strncmp(c, k->def, n) == 0) {
            c += n + 1;
            n = strcspn(c, "|");
        }
        snprintf(v, len, "%.*s", (int)n, c);
        break;
    }
    default:
        fail_msg("%s: no test value for type %d", k->key, k->type);
    }
    snprintf(shown, len, "%s", v);
}

static bool single_value(const struct dp__config_key *k)
{
    return k->type != K_BLOCK && k->type != K_MAP && k->type != K_LIST;
}

static void test_config_sections_every_exporter_key(void **state)
{
    (void)state;
    size_t tested = 0;
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        const struct dp__config_key *k = &dp__config_keys[i];
        if (strncmp(k->key, "exporters.", 10) != 0 || !single_value(k))
            continue;
        char v[128], shown[128], yaml[512], err[512];
        other_value(k, v, shown, sizeof(v));
        nest(yaml, sizeof(yaml), k->key, v);
        dp_config c;
        if (load(&c, yaml, err, sizeof(err)))
            fail_msg("%s: %s", k->key, err);
        char *got = print_value(&c, k);
        if (strcmp(got, shown) != 0)
            fail_msg("%s: read %s, prints %s", k->key, v, got);
        free(got);
        /* Every block above the key is on: the exporter exists. */
        char block[128];
        snprintf(block, sizeof(block), "%.*s",
                 (int)(strchr(k->key + 10, '.') - k->key), k->key);
        const struct dp__config_key *b =
            dp__config_find(dp__config_keys, dp__config_n_keys, block);
        assert_non_null(b);
        assert_true(*(bool *)((char *)&c + b->off));
        assert_true(c.exporters.present);
        dp_config_fini(&c);
        tested++;
    }
    assert_true(tested >= 40); /* 4 exporters x 7 policy keys, and more */
}

static void test_config_sections_headers(void **state)
{
    (void)state;
    dp_config c;
    char err[512];
    if (load(&c,
             "exporters:\n"
             "  otlp:\n"
             "    headers: { authorization: \"Bearer x\", \"x-a:b\": \"1\" }\n"
             "  webhook: { url: \"http://127.0.0.1:9/a\",\n"
             "             headers: { X-Key: k, X-Two: \"t w o\" } }\n",
             err, sizeof(err)))
        fail_msg("%s", err);
    assert_int_equal(c.exporters.otlp.headers.n, 2);
    assert_string_equal(c.exporters.otlp.headers.names[1], "x-a:b");
    assert_string_equal(c.exporters.otlp.headers.values[0], "Bearer x");
    assert_int_equal(c.exporters.webhook.headers.n, 2);
    assert_string_equal(c.exporters.webhook.headers.names[0], "X-Key");
    assert_string_equal(c.exporters.webhook.headers.values[1], "t w o");
    dp_config_fini(&c);
    /* A list or a nested mapping is not a header. */
    assert_int_not_equal(
        load(&c, "exporters:\n  webhook:\n    headers: { a: { b: c } }\n", err,
             sizeof(err)),
        0);
    assert_non_null(strstr(err, "test.yaml:3: exporters.webhook.headers: "
                                "names and values must be plain text"));
    dp_config_fini(&c);
}

/* Each field of an alert rule, with the rest a valid rule needs. */
static const struct {
    const char *key, *yaml, *want;
} rule_fields[] = {
    {"name", "name: r1\n    condition: wall > 1s", "\"r1\""},
    {"dag", "name: r1\n    dag: d1\n    condition: wall > 1s", "\"d1\""},
    {"condition", "name: r1\n    condition: cost > 0.5", "\"cost > 0.5\""},
    {"severity", "name: r1\n    condition: wall > 1s\n    severity: critical",
     "critical"},
    {"window",
     "name: r1\n    condition: wall > 1s\n    window: {matches: 2, "
     "of: 3}",
     "true"},
    {"window.matches",
     "name: r1\n    condition: wall > 1s\n    window: {matches: 2, of: 3}",
     "2"},
    {"window.of",
     "name: r1\n    condition: wall > 1s\n    window: {matches: 2, of: 3}",
     "3"},
    {"min_change",
     "name: r1\n    dag: d\n    condition: regression\n    min_change: 10%",
     "\"10%\""},
    {"p_value",
     "name: r1\n    dag: d\n    condition: regression\n    p_value: 0.05",
     "\"0.05\""},
    {"min_runs",
     "name: r1\n    dag: d\n    condition: regression\n    min_runs: 5",
     "\"5\""},
};

static void test_config_sections_every_alert_field(void **state)
{
    (void)state;
    const struct dp__config_key *alerts =
        dp__config_find(dp__config_keys, dp__config_n_keys, "alerts");
    assert_non_null(alerts);
    assert_int_equal(alerts->type, K_LIST);
    const struct dp__config_list *l = alerts->list;
    const size_t n_fields = sizeof(rule_fields) / sizeof(rule_fields[0]);
    assert_int_equal(l->n_rows, n_fields); /* a new field needs a case */
    for (size_t i = 0; i < l->n_rows; i++) {
        const struct dp__config_key *k = &l->rows[i];
        size_t t = 0;
        while (t < n_fields && strcmp(rule_fields[t].key, k->key) != 0)
            t++;
        if (t == n_fields)
            fail_msg("alerts[].%s has no case here", k->key);
        char yaml[512], err[512];
        snprintf(yaml, sizeof(yaml), "alerts:\n  - %s\n", rule_fields[t].yaml);
        dp_config c;
        if (load(&c, yaml, err, sizeof(err)))
            fail_msg("alerts[].%s: %s", k->key, err);
        assert_true(c.exporters.alerts_present);
        assert_int_equal(c.exporters.n_rules, 1);
        assert_int_equal(dp_alerts_count(c.exporters.alerts), 1);
        char *got = print_value(&c.exporters.rules[0], k);
        if (strcmp(got, rule_fields[t].want) != 0)
            fail_msg("alerts[].%s prints %s", k->key, got);
        free(got);
        dp_config_fini(&c);
    }
}

/* A bad value of every typed key: refused, naming file:line and the key's
 * path as written. */
static void test_config_sections_bad_values_name_the_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        const struct dp__config_key *k = &dp__config_keys[i];
        if (strncmp(k->key, "exporters.", 10) != 0 || !single_value(k) ||
            k->type == K_STR)
            continue; /* any text is a string */
        char yaml[512], err[512], want[256];
        nest(yaml, sizeof(yaml), k->key, "nope");
        dp_config c;
        assert_int_equal(load(&c, yaml, err, sizeof(err)), DP_EINVAL);
        int line = 1;
        for (const char *p = k->key; *p; p++)
            line += *p == '.';
        snprintf(want, sizeof(want), "test.yaml:%d: %s: invalid value 'nope'",
                 line, k->key);
        if (!strstr(err, want))
            fail_msg("'%s' lacks '%s'", err, want);
        dp_config_fini(&c);
    }
    static const char *const bad[][2] = {
        {"    severity: urgent\n",
         "test.yaml:5: alert 'r': alerts[1].severity: invalid value 'urgent': "
         "expected info, warning or critical"},
        {"    window: {matches: x, of: 3}\n",
         "test.yaml:5: alert 'r': alerts[1].window.matches: invalid value 'x'"},
        {"    window: {matches: 2, of: 65}\n",
         "test.yaml:5: alert 'r': alerts[1].window.of: invalid value '65': out "
         "of range [1, 64]"},
        {"    window: 3\n", "test.yaml:5: alert 'r': alerts[1].window: "
                            "expected a mapping of settings"},
        {"    name: [a]\n", "alerts[1].name: a list is not allowed here"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char yaml[512], err[512];
        snprintf(yaml, sizeof(yaml),
                 "alerts:\n  - { name: q, condition: wall > 1s }\n"
                 "  - name: r\n    condition: wall > 2s\n%s",
                 bad[i][0]);
        dp_config c;
        assert_int_equal(load(&c, yaml, err, sizeof(err)), DP_EINVAL);
        if (!strstr(err, bad[i][1]))
            fail_msg("'%s' lacks '%s'", err, bad[i][1]);
        dp_config_fini(&c);
    }
}

static void test_config_sections_did_you_mean(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"exporters:\n  jsonl: { max_fils: 3 }\n",
         "test.yaml:2: unknown configuration key 'exporters.jsonl.max_fils'; "
         "did you mean 'exporters.jsonl.max_files'?"},
        {"exporters:\n  webhok: {}\n", "did you mean 'exporters.webhook'?"},
        {"exporter:\n  jsonl: {}\n", "did you mean 'exporters'?"},
        {"exporters:\n  otlp:\n    header: { a: b }\n",
         "test.yaml:3: unknown configuration key 'exporters.otlp.header'; did "
         "you mean 'exporters.otlp.headers'?"},
        {"exporters:\n  prometheus: { queue_sise: 4 }\n",
         "did you mean 'exporters.prometheus.queue_size'?"},
        {"alert:\n  - name: r\n", "did you mean 'alerts'?"},
        {"alerts:\n  - name: r\n    condition: wall > 1s\n    severty: info\n",
         "test.yaml:4: alert 'r': unknown configuration key "
         "'alerts[0].severty'; "
         "did you mean 'alerts[0].severity'?"},
        {"alerts:\n  - name: r\n    condition: wall > 1s\n"
         "    window: { matchs: 2, of: 3 }\n",
         "did you mean 'alerts[0].window.matches'?"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512];
        dp_config c;
        assert_int_equal(load(&c, cases[i][0], err, sizeof(err)), DP_EINVAL);
        if (!strstr(err, cases[i][1]))
            fail_msg("'%s' lacks '%s'", err, cases[i][1]);
        dp_config_fini(&c);
    }
}

/* print -> load -> print gives the same text; values survive. */
static void round_trip(const char *yaml)
{
    char err[512], dir[] = "/tmp/dp-csec-XXXXXX", path[64];
    dp_config a, b;
    if (load(&a, yaml, err, sizeof(err)))
        fail_msg("%s", err);
    char *first = print_config(&a);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/printed.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(first, f);
    fclose(f);
    dp_config_init(&b);
    if (dp_config_load_yaml(&b, path, err, sizeof(err)))
        fail_msg("printed config does not load: %s\n%s", err, first);
    char *second = print_config(&b);
    assert_string_equal(first, second);
    assert_int_equal(a.exporters.present, b.exporters.present);
    assert_int_equal(a.exporters.alerts_present, b.exporters.alerts_present);
    assert_int_equal(dp_alerts_count(a.exporters.alerts),
                     dp_alerts_count(b.exporters.alerts));
    free(first);
    free(second);
    unlink(path);
    rmdir(dir);
    dp_config_fini(&a);
    dp_config_fini(&b);
}

static void test_config_sections_print_round_trip(void **state)
{
    (void)state;
    round_trip("exporters:\n"
               "  jsonl: { path: \"a \\\"b\\\".jsonl\", max_size: 1GiB, "
               "max_files: 0, mode: \"0640\", alerts: false, queue_size: 1,\n"
               "           on_full: drop, max_elapsed: 0 }\n"
               "  otlp: { endpoint: \"https://c:4317\", compression: gzip,\n"
               "          headers: { authorization: \"Bearer x\", "
               "\"x-t\\u00e9\": \"a:b\" },\n"
               "          ca_file: ca.pem }\n"
               "  prometheus:\n"
               "  webhook: { url: \"http://127.0.0.1:9/a\", headers: {} }\n"
               "alerts:\n"
               "  - name: costly-run\n"
               "    condition: cost > 0.50\n"
               "  - { name: \"slow \\u00e9\", dag: code-review-dag, condition: "
               "\"wall > 30s\",\n"
               "      severity: critical, window: { matches: 3, of: 5 } }\n"
               "  - { name: v, dag: d, condition: regression, min_change: "
               "10%, p_value: 0.01, min_runs: 20, severity: info }\n");
    round_trip("exporters: {}\nalerts: []\n");
    round_trip("exporters:\nalerts:\n");
    round_trip("processor: { grace: 1s }\n");
    round_trip("exporters:\n  prometheus: {}\n");
    /* Absent sections print nothing; present empty ones print empty. */
    dp_config c;
    char err[256];
    assert_int_equal(load(&c, "exporters:\nalerts:\n", err, sizeof(err)), 0);
    char *text = print_config(&c);
    assert_non_null(strstr(text, "\nexporters: {}\nalerts: []\n"));
    free(text);
    dp_config_fini(&c);
    dp_config_init(&c);
    text = print_config(&c);
    assert_null(strstr(text, "exporters"));
    assert_null(strstr(text, "alerts"));
    free(text);
    dp_config_fini(&c);
}

/* The table's policy defaults are the exporter pipeline's, but for
 * on_full: block for jsonl and prometheus, drop for the network ones. */
static void test_config_sections_policy_defaults(void **state)
{
    (void)state;
    dp_config c;
    dp_exporter_policy want;
    dp_exporter_policy_init(&want);
    dp_config_init(&c);
    const dp_exporter_policy *got[] = {
        &c.exporters.jsonl.policy, &c.exporters.otlp.policy,
        &c.exporters.prometheus.policy, &c.exporters.webhook.policy};
    const int on_full[] = {DP_ON_FULL_BLOCK, DP_ON_FULL_DROP, DP_ON_FULL_BLOCK,
                           DP_ON_FULL_DROP};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(got[i]->queue_size, want.queue_size);
        assert_int_equal(got[i]->queue_bytes, want.queue_bytes);
        assert_int_equal(got[i]->max_attempts, want.max_attempts);
        assert_int_equal(got[i]->max_elapsed_ns, want.max_elapsed_ns);
        assert_int_equal(got[i]->initial_backoff_ns, want.initial_backoff_ns);
        assert_int_equal(got[i]->max_backoff_ns, want.max_backoff_ns);
        assert_true(got[i]->jitter == want.jitter);
        assert_int_equal(got[i]->on_full, on_full[i]);
    }
    assert_false(c.exporters.present);
    assert_false(c.exporters.jsonl.on);
    assert_int_equal(c.exporters.jsonl.max_files, 5);
    assert_int_equal(c.exporters.jsonl.mode, 0600);
    assert_true(c.exporters.jsonl.alerts);
    assert_int_equal(c.exporters.otlp.timeout_ns, 10000000000ULL);
    assert_int_equal(c.exporters.prometheus.max_series, 100);
    assert_int_equal(c.exporters.webhook.timeout_ns, 5000000000ULL);
    dp_config_fini(&c);
}

/* dp_config_set on a key inside a block turns the block on; a block, map
 * or list is no single value. */
static void test_config_sections_set_by_name(void **state)
{
    (void)state;
    dp_config c;
    char err[256];
    dp_config_init(&c);
    assert_int_equal(dp_config_set(&c, "exporters.webhook.url",
                                   "http://127.0.0.1:9/a", err, sizeof(err)),
                     0);
    assert_true(c.exporters.present);
    assert_true(c.exporters.webhook.on);
    assert_false(c.exporters.jsonl.on);
    assert_int_equal(
        dp_config_set(&c, "exporters.otlp.headers", "a", err, sizeof(err)),
        DP_EINVAL);
    assert_non_null(strstr(err, "exporters.otlp.headers: expected a mapping"));
    assert_int_equal(
        dp_config_set(&c, "exporters.webhok.url", "x", err, sizeof(err)),
        DP_ENOENT);
    assert_non_null(strstr(err, "did you mean 'exporters.webhook.url'?"));
    dp_config_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_sections_every_exporter_key),
        cmocka_unit_test(test_config_sections_headers),
        cmocka_unit_test(test_config_sections_every_alert_field),
        cmocka_unit_test(test_config_sections_bad_values_name_the_path),
        cmocka_unit_test(test_config_sections_did_you_mean),
        cmocka_unit_test(test_config_sections_print_round_trip),
        cmocka_unit_test(test_config_sections_policy_defaults),
        cmocka_unit_test(test_config_sections_set_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
