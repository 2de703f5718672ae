/*
 * test_regalert.c - the `regression` alert condition: the rule's fields
 * (exporter/alerts_regress.c: parsing, clear errors, defaults) and its
 * evaluation over a SQLite history store (history/regalert.c): the newest
 * version against the one before, one alert per (rule, dag, version, node)
 * and for the run row, never again after a restart with the state file,
 * and none below min_runs, above p_value or below min_change.
 *
 * Runs are the code-review fixture (profile_fixture.h): version 1.0 and
 * 1.1, analyze-complexity's executionTime 30% longer in 1.1 (every run a
 * millisecond apart, so the samples are not all tied); the other nodes are
 * equal on both sides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "alerts.h"
#include "history.h"
#include "history_dir.h"
#include "profile_fixture.h"
#include "regalert.h"

#define SEC 1000000000ULL
#define MS 1000000LL

static char dir[64], path[128], state_path[160];

static int setup(void **state)
{
    (void)state;
    dp_history_dir_make(dir, path, "regalert");
    snprintf(state_path, sizeof(state_path), "%s/h.db.alerts", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dp_history_dir_remove(dir);
    return 0;
}

/* ---- rule parsing -------------------------------------------------------- */

static int add(dp_alerts *a, const char *name, const char *dag,
               const char *cond, const char *min_change, const char *p_value,
               const char *min_runs, char *err, size_t len)
{
    dp_alert_rule_config rc = {.name = name,
                               .dag = dag,
                               .condition = cond,
                               .severity = DP_ALERT_WARNING,
                               .min_change = min_change,
                               .p_value = p_value,
                               .min_runs = min_runs};
    return dp_alerts_add(a, &rc, err, len);
}

static void test_regalert_rule_parse(void **state)
{
    (void)state;
    char err[512];
    dp_alerts *a = dp_alerts_create();
    assert_int_equal(
        add(a, "r1", "d", "regression", NULL, NULL, NULL, err, sizeof(err)), 0);
    assert_int_equal(add(a, "r2", "d", " regression ", "10%", "0.001", "30",
                         err, sizeof(err)),
                     0);
    assert_int_equal(
        add(a, "r3", "d", "regression", "0.25", NULL, NULL, err, sizeof(err)),
        0);
    assert_int_equal(
        add(a, "wall", NULL, "wall > 1s", NULL, NULL, NULL, err, sizeof(err)),
        0);
    assert_int_equal(dp_alerts_count(a), 4);
    assert_int_equal(dp_alerts_regression_count(a), 3);
    const dp_alert_regression *r = dp_alerts_regression_get(a, 0);
    assert_string_equal(r->name, "r1");
    assert_string_equal(r->dag, "d");
    assert_true(r->min_change < 0 && r->p_value < 0);
    assert_int_equal(r->min_runs, 0); /* the regression.* defaults */
    r = dp_alerts_regression_get(a, 1);
    assert_true(r->min_change > 0.0999 && r->min_change < 0.1001);
    assert_true(r->p_value > 0.00099 && r->p_value < 0.00101);
    assert_int_equal(r->min_runs, 30);
    r = dp_alerts_regression_get(a, 2);
    assert_true(r->min_change > 0.2499 && r->min_change < 0.2501);
    assert_null(dp_alerts_regression_get(a, 3));

    /* Profiles never fire a regression rule. */
    dp_fixture f;
    dp_fixture_code_review(&f);
    f.p.dag_id = "d";
    f.p.wall_ns = 0;
    assert_int_equal(dp_alerts_evaluate(a, &f.p, NULL, NULL), 0);

    static const struct {
        const char *name, *dag, *cond, *mc, *pv, *mr, *want;
    } bad[] = {
        {"nodag", NULL, "regression", NULL, NULL, NULL, "needs dag"},
        {"mc1", "d", "regression", "abc", NULL, NULL, "min_change 'abc'"},
        {"mc2", "d", "regression", "0", NULL, NULL, "min_change '0'"},
        {"mc3", "d", "regression", "-5%", NULL, NULL, "min_change '-5%'"},
        {"mc4", "d", "regression", "10 %", NULL, NULL, "min_change"},
        {"pv1", "d", "regression", NULL, "2", NULL, "p_value '2'"},
        {"pv2", "d", "regression", NULL, "0", NULL, "p_value '0'"},
        {"pv3", "d", "regression", NULL, "1%", NULL, "p_value '1%'"},
        {"mr1", "d", "regression", NULL, NULL, "1", "min_runs '1'"},
        {"mr2", "d", "regression", NULL, NULL, "20.5", "min_runs '20.5'"},
        {"mr3", "d", "regression", NULL, NULL, "-3", "min_runs '-3'"},
        {"other", "d", "wall > 1s", "0.1", NULL, NULL,
         "only for condition: regression"},
        {"r1", "d", "regression", NULL, NULL, NULL, "already exists"},
        {"wall", "d", "regression", NULL, NULL, NULL, "already exists"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        int rc = add(a, bad[i].name, bad[i].dag, bad[i].cond, bad[i].mc,
                     bad[i].pv, bad[i].mr, err, sizeof(err));
        assert_true(rc < 0);
        char want_name[64];
        snprintf(want_name, sizeof(want_name), "alert '%s'", bad[i].name);
        if (!strstr(err, want_name) || !strstr(err, bad[i].want))
            fail_msg("rule %s: message '%s' lacks '%s'", bad[i].name, err,
                     bad[i].want);
    }
    /* A window makes no sense for a per-version alert. */
    dp_alert_rule_config rc = {.name = "win",
                               .dag = "d",
                               .condition = "regression",
                               .severity = DP_ALERT_INFO,
                               .window_matches = 1,
                               .window_of = 2};
    assert_true(dp_alerts_add(a, &rc, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "no window"));
    assert_int_equal(dp_alerts_regression_count(a), 3);
    dp_alerts_destroy(a);
}

/* ---- evaluation over a store --------------------------------------------- */

/* Stores n runs of version v (k0.. as trace ids), analyze-complexity's
 * executionTime and the wall scaled. */
static void store_runs(unsigned k0, unsigned n, const char *v,
                       double node_scale, double wall_scale)
{
    char err[400];
    dp_history_db *db = dp_history_db_open(path, err, sizeof(err));
    assert_non_null(db);
    for (unsigned k = k0; k < k0 + n; k++) {
        dp_fixture f;
        dp_fixture_code_review(&f);
        snprintf(f.p.trace_id_hex, sizeof(f.p.trace_id_hex), "%032x", k + 1);
        snprintf(f.p.profile_id, sizeof(f.p.profile_id), "prof-%016x", k + 1);
        f.p.dag_id = "code-review-dag";
        f.p.version = v;
        f.p.start_unix_ns = 1780000000ULL * SEC + (uint64_t)k * 60 * SEC;
        f.nodes[1].execution_ns =
            (int64_t)((double)f.nodes[1].execution_ns * node_scale) +
            (int64_t)(k - k0) * MS;
        f.p.wall_ns = (int64_t)((double)f.p.wall_ns * wall_scale) +
                      (int64_t)(k - k0) * MS;
        assert_int_equal(dp_history_db_insert(db, &f.p, NULL, 0), 0);
    }
    dp_history_db_close(db);
}

typedef struct sink {
    json_t *alerts[16];
    size_t n;
} sink;

static void on_alert(void *user, dp_record *r)
{
    sink *s = user;
    assert_int_equal(r->kind, DP_RECORD_ALERT);
    json_error_t je;
    json_t *j = json_loadb(r->json, r->json_len, 0, &je);
    if (!j)
        fail_msg("alert is not JSON: %s", r->json);
    assert_true(s->n < 16);
    s->alerts[s->n++] = j;
    dp_record_unref(r);
}

static void sink_fini(sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        json_decref(s->alerts[i]);
    s->n = 0;
}

static dp_regalert *watcher(dp_alerts *a, const char *state, sink *s)
{
    char err[400];
    dp_regalert_config c = {.store = path,
                            .state_path = state,
                            .alerts = a,
                            .emit = on_alert,
                            .user = s};
    dp_regress_config_init(&c.defaults);
    dp_regalert *w = dp_regalert_create(&c, err, sizeof(err));
    if (!w)
        fail_msg("%s", err);
    return w;
}

static dp_alerts *one_rule(const char *min_change, const char *p_value,
                           const char *min_runs)
{
    char err[400];
    dp_alerts *a = dp_alerts_create();
    assert_int_equal(add(a, "slower", "code-review-dag", "regression",
                         min_change, p_value, min_runs, err, sizeof(err)),
                     0);
    return a;
}

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_regalert_fires_once_per_version_node(void **state)
{
    (void)state;
    sink s = {.n = 0};
    dp_alerts *a = one_rule(NULL, NULL, NULL);
    store_runs(0, 20, "1.0", 1.0, 1.0);
    store_runs(100, 20, "1.1", 1.3, 1.0);
    dp_regalert *w = watcher(a, state_path, &s);
    assert_int_equal(dp_regalert_check(w), 1);
    assert_int_equal(s.n, 1);
    json_t *al = s.alerts[0];
    assert_string_equal(jstr(al, "kind"), "alert");
    assert_string_equal(jstr(al, "rule"), "slower");
    assert_string_equal(jstr(al, "severity"), "warning");
    assert_string_equal(jstr(al, "dagId"), "code-review-dag");
    assert_string_equal(jstr(al, "condition"), "regression");
    assert_string_equal(jstr(al, "version"), "1.1");
    assert_string_equal(jstr(al, "baseline"), "1.0");
    assert_string_equal(jstr(al, "nodeId"), "analyze-complexity");
    assert_int_equal(json_integer_value(json_object_get(al, "candidateRuns")),
                     20);
    json_t *th = json_object_get(al, "thresholds");
    assert_true(json_number_value(json_object_get(th, "minChange")) == 0.1);
    assert_true(json_number_value(json_object_get(th, "pValue")) == 0.01);
    assert_int_equal(json_integer_value(json_object_get(th, "minRuns")), 20);
    json_t *vals = json_object_get(al, "values");
    assert_int_equal(json_array_size(vals), 1); /* time only: cost equal */
    json_t *v = json_array_get(vals, 0);
    assert_string_equal(jstr(v, "field"), "node.executionTime");
    assert_string_equal(jstr(v, "unit"), "ms");
    double change = json_number_value(json_object_get(v, "changePercent"));
    assert_true(change > 29 && change < 31);
    assert_true(json_number_value(json_object_get(v, "pValue")) < 0.01);
    sink_fini(&s);

    /* Nothing new: no second alert; more runs of 1.1: still none. */
    assert_int_equal(dp_regalert_check(w), 0);
    store_runs(200, 5, "1.1", 1.3, 1.0);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);

    /* A restart reads the state file: none again. */
    w = watcher(a, state_path, &s);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);
    /* Without it, the same regression fires again (the state is what
     * keeps it quiet). */
    w = watcher(a, NULL, &s);
    assert_int_equal(dp_regalert_check(w), 1);
    sink_fini(&s);

    /* A newer version 1.2, as slow as 1.1: compared with 1.1, no change. */
    store_runs(300, 20, "1.2", 1.3, 1.0);
    assert_int_equal(dp_regalert_check(w), 0);
    /* 1.3 slower again than 1.2: fires for 1.3. */
    store_runs(400, 20, "1.3", 1.7, 1.0);
    assert_int_equal(dp_regalert_check(w), 1);
    assert_string_equal(jstr(s.alerts[0], "version"), "1.3");
    assert_string_equal(jstr(s.alerts[0], "baseline"), "1.2");
    sink_fini(&s);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
}

static void test_regalert_run_row(void **state)
{
    (void)state;
    sink s = {.n = 0};
    dp_alerts *a = one_rule("20%", NULL, NULL);
    store_runs(0, 25, "1.0", 1.0, 1.0);
    store_runs(100, 25, "1.1", 1.3, 1.3);
    dp_regalert *w = watcher(a, state_path, &s);
    assert_int_equal(dp_regalert_check(w), 2);
    bool run = false, node = false;
    for (size_t i = 0; i < s.n; i++) {
        json_t *n = json_object_get(s.alerts[i], "nodeId");
        if (json_is_null(n)) {
            run = true;
            json_t *v =
                json_array_get(json_object_get(s.alerts[i], "values"), 0);
            assert_string_equal(jstr(v, "field"), "wall");
        } else {
            node = strcmp(json_string_value(n), "analyze-complexity") == 0;
        }
    }
    assert_true(run && node);
    sink_fini(&s);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
}

/* Each threshold alone keeps the rule quiet. */
static void test_regalert_thresholds(void **state)
{
    (void)state;
    sink s = {.n = 0};
    store_runs(0, 19, "1.0", 1.0, 1.0);
    store_runs(100, 19, "1.1", 1.3, 1.0);
    /* 19 runs a side, min_runs 20 (the default). */
    dp_alerts *a = one_rule(NULL, NULL, NULL);
    dp_regalert *w = watcher(a, NULL, &s);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
    /* min_runs 25 with 22 runs a side. */
    store_runs(50, 3, "1.0", 1.0, 1.0);
    store_runs(150, 3, "1.1", 1.3, 1.0);
    a = one_rule(NULL, NULL, "25");
    w = watcher(a, NULL, &s);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
    /* p_value far below what 22 runs a side can reach. */
    a = one_rule(NULL, "1e-12", NULL);
    w = watcher(a, NULL, &s);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
    /* min_change 50%: the change is 30%. */
    a = one_rule("0.5", NULL, NULL);
    w = watcher(a, NULL, &s);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
    /* The defaults: it fires. */
    a = one_rule(NULL, NULL, NULL);
    w = watcher(a, NULL, &s);
    assert_int_equal(dp_regalert_check(w), 1);
    sink_fini(&s);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
}

/* No store yet, or a DAG with one version: nothing, no error. */
static void test_regalert_no_store(void **state)
{
    (void)state;
    sink s = {.n = 0};
    dp_alerts *a = one_rule(NULL, NULL, NULL);
    dp_regalert *w = watcher(a, state_path, &s);
    assert_int_equal(dp_regalert_check(w), 0);
    store_runs(0, 30, "1.0", 1.0, 1.0);
    assert_int_equal(dp_regalert_check(w), 0);
    dp_regalert_destroy(w);
    dp_alerts_destroy(a);
    char *p = dp_regalert_state_path("/x/h.db", "d");
    assert_string_equal(p, "/x/h.db.alerts");
    free(p);
    p = dp_regalert_state_path("clickhouse://127.0.0.1:8123/db", "data");
    assert_string_equal(p, "data/regression-alerts");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regalert_rule_parse),
        cmocka_unit_test_setup_teardown(
            test_regalert_fires_once_per_version_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regalert_run_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regalert_thresholds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_regalert_no_store, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
