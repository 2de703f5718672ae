/*
 * fuzz_alerts.c - libFuzzer target for the alert rules (exporter/alerts.c):
 * dp_alerts_add parses each rule, dp_alerts_evaluate runs the rules that
 * parsed on several profiles, twice each so the N-of-M windows move. The
 * synthetic profile is also written by the JSON profile and text report
 * writers, which promise valid output for any profile (fuzz_check.h).
 *
 * Input: rule lines, then optionally a NUL byte and bytes that fill a
 * synthetic profile. Each line is
 *   CONDITION [TAB SEVERITY [TAB MATCHES [TAB OF [TAB DAG [TAB NAME
 *   [TAB MIN_CHANGE [TAB P_VALUE [TAB MIN_RUNS]]]]]]]]
 * (name defaults to "rule-<line>", severity to warning; MATCHES and OF are
 * decimal; the last three, for condition regression, are passed when not
 * empty). A rule that does not parse must say why, naming the rule. The
 * profiles: the hand-built code-review profile (tests/support/
 * profile_fixture.h), an empty one, and one whose numbers come from the
 * bytes after the NUL (extremes likely: 0, -1, INT64_MAX, INT64_MIN, NaN),
 * with up to 4 nodes and 3 bottlenecks. Every alert must be one JSON
 * object. Seeds: tests/data/fuzz/corpus/fuzz_alerts; dictionary:
 * fuzz_alerts.dict.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "fuzz_check.h"
#include "log.h"
#include "profile_fixture.h"
#include "profile_json.h"
#include "report_text.h"

/* Reads the synthetic profile's numbers from the input's tail. */
typedef struct bytes {
    const uint8_t *p;
    size_t n;
} bytes;

static uint8_t take8(bytes *b)
{
    if (!b->n)
        return 0;
    b->n--;
    return *b->p++;
}

static int64_t take_i64(bytes *b)
{
    uint8_t sel = take8(b);
    uint64_t u = 0;

    switch (sel & 7) {
    case 0:
        return 0;
    case 1:
        return INT64_MAX;
    case 2:
        return INT64_MIN;
    case 3:
        return -1;
    case 4:
        for (int i = 0; i < 8; i++)
            u = u << 8 | take8(b);
        return (int64_t)u;
    default: /* a plausible value: up to 2^32 times a small factor */
        for (int i = 0; i < 4; i++)
            u = u << 8 | take8(b);
        return (int64_t)(u * (uint64_t)(sel >> 3));
    }
}

static double take_double(bytes *b)
{
    uint8_t sel = take8(b);
    switch (sel & 3) {
    case 0:
        return NAN;
    case 1:
        return INFINITY;
    case 2:
        return (double)take_i64(b) / 1e6;
    default:
        return sel / 64.0;
    }
}

struct synthetic {
    dp_profile p;
    dp_node nodes[4];
    dp_bottleneck bn[3];
    size_t cp[4];
    dp_named_i64 unpriced[2];
};

static void fill_tokens(dp_tokens *t, bytes *b)
{
    t->input = take_i64(b);
    t->output = take_i64(b);
    t->cache_read = take_i64(b);
    t->cache_write = take_i64(b);
    t->reasoning = take_i64(b);
}

static void synthetic_profile(struct synthetic *s, bytes *b)
{
    static const char *const ids[] = {"fetch-code", "review", "fetch-code#2",
                                      "\"odd\" id\n\xff"};
    memset(s, 0, sizeof(*s));
    dp_profile *p = &s->p;
    uint8_t shape = take8(b);
    snprintf(p->trace_id_hex, sizeof(p->trace_id_hex), "%032x", shape);
    snprintf(p->profile_id, sizeof(p->profile_id), "prof-%016x", shape);
    p->dag_id = shape & 0x80 ? NULL : shape & 0x40 ? "other-dag" : "syn-dag";
    p->profiled_at_unix_ns = (uint64_t)take_i64(b);
    p->complete = shape & 1;
    p->span_count = (uint64_t)take_i64(b);
    p->late_spans = (uint64_t)take_i64(b);
    p->wall_ns = take_i64(b);
    p->critical_path_ns = take_i64(b);
    p->sum_execution_ns = take_i64(b);
    p->parallelization_efficiency = take_double(b);
    p->dag_parallelism = take_double(b);
    p->achieved_parallelism = take_double(b);
    p->peak_concurrency = (uint32_t)take_i64(b);
    fill_tokens(&p->tokens, b);
    p->cost_pusd = take_i64(b);
    p->n_unpriced_models = (shape >> 1) % 3;
    p->unpriced_models = s->unpriced;
    s->unpriced[0] = (dp_named_i64){"acme-v2", take_i64(b)};
    s->unpriced[1] = (dp_named_i64){"", take_i64(b)};
    p->n_nodes = (shape >> 3) % 5;
    p->nodes = s->nodes;
    for (size_t i = 0; i < p->n_nodes; i++) {
        dp_node *n = &s->nodes[i];
        n->id = ids[i];
        n->start_ns = take_i64(b);
        n->end_ns = take_i64(b);
        n->duration_ns = take_i64(b);
        n->wait_ns = take_i64(b);
        n->dependency_wait_ns = take_i64(b);
        n->queue_delay_ns = take_i64(b);
        n->execution_ns = take_i64(b);
        n->self_ns = take_i64(b);
        n->llm_ns = take_i64(b);
        n->tool_ns = take_i64(b);
        n->attempts = (uint32_t)take_i64(b);
        n->retries = (uint32_t)take_i64(b);
        fill_tokens(&n->tokens, b);
        n->cost_pusd = take_i64(b);
        s->cp[p->n_critical_path++] = i;
    }
    p->critical_path = s->cp;
    p->n_bottlenecks = p->n_nodes ? take8(b) % 4 : 0;
    p->bottlenecks = s->bn;
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        uint8_t t = take8(b);
        s->bn[i].type = t % DP_BN__COUNT;
        s->bn[i].severity = (t >> 4) % 3;
        s->bn[i].node = (t >> 6) % p->n_nodes;
        s->bn[i].impact = take_double(b);
        s->bn[i].details = "d";
        s->bn[i].recommendation = "r";
    }
}

static void on_alert(void *user, dp_record *alert)
{
    (void)user;
    if (alert->kind != DP_RECORD_ALERT || !alert->json ||
        strlen(alert->json) != alert->json_len)
        fc_fail("bad alert record", "", 0);
    fc_check_json(alert->json, alert->json_len, false);
    dp_record_unref(alert);
}

/* Adds the rule on one input line (NUL-terminated, tabs split fields). */
static void add_rule(dp_alerts *a, char *line, size_t index)
{
    char *f[9] = {line, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    char name[32], err[512] = "";
    size_t nf = 1;

    for (char *t = strchr(line, '\t'); t && nf < 9; t = strchr(t + 1, '\t')) {
        *t = '\0';
        f[nf++] = t + 1;
    }
    snprintf(name, sizeof(name), "rule-%zu", index);
    dp_alert_rule_config rc = {
        .name = f[5] ? f[5] : name,
        .dag = f[4],
        .condition = f[0],
        .severity = f[1] ? dp_alert_severity_parse(f[1]) : DP_ALERT_WARNING,
        .window_matches = f[2] ? (uint32_t)strtoul(f[2], NULL, 10) : 0,
        .window_of = f[3] ? (uint32_t)strtoul(f[3], NULL, 10) : 0,
        .min_change = f[6] && *f[6] ? f[6] : NULL,
        .p_value = f[7] && *f[7] ? f[7] : NULL,
        .min_runs = f[8] && *f[8] ? f[8] : NULL};
    size_t before = dp_alerts_count(a);
    size_t before_reg = dp_alerts_regression_count(a);
    int rc_add = dp_alerts_add(a, &rc, err, sizeof(err));
    if (rc_add == 0) {
        if (dp_alerts_count(a) != before + 1)
            fc_fail("rule added but not counted", line, strlen(line));
        size_t nr = dp_alerts_regression_count(a);
        if (nr > before_reg) {
            const dp_alert_regression *r = dp_alerts_regression_get(a, nr - 1);
            if (!r || !r->dag || !r->dag[0] || r->min_runs == 1 ||
                (r->p_value >= 0 && !(r->p_value > 0 && r->p_value <= 1)) ||
                (r->min_change >= 0 && !(r->min_change > 0)))
                fc_fail("regression rule out of range", line, strlen(line));
        }
        return;
    }
    if (rc_add != DP_EINVAL && rc_add != DP_EPARSE)
        fc_fail("dp_alerts_add: unexpected return code", err, strlen(err));
    if (dp_alerts_count(a) != before)
        fc_fail("rejected rule was counted", err, strlen(err));
    if (strncmp(err, "alert ", 6) != 0)
        fc_fail("rejection message does not name the rule", err, strlen(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    bytes tail = {nul ? nul + 1 : data + size, nul ? size - text_len - 1 : 0};
    char *text = malloc(text_len + 1);
    dp_alerts *a = dp_alerts_create();
    dp_fixture review, empty;
    struct synthetic syn;

    if (!quiet) {
        dp_log_set_level(DP_LOG_ERROR); /* firing alerts log at info */
        quiet = true;
    }
    if (!text || !a)
        abort();
    memcpy(text, data, text_len);
    text[text_len] = '\0';
    size_t index = 0;
    for (char *line = text, *next; line; line = next, index++) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        add_rule(a, line, index);
    }
    dp_fixture_code_review(&review);
    dp_fixture_empty(&empty);
    synthetic_profile(&syn, &tail);
    for (int round = 0; round < 2; round++) {
        dp_alerts_evaluate(a, &review.p, on_alert, NULL);
        dp_alerts_evaluate(a, &empty.p, on_alert, NULL);
        dp_alerts_evaluate(a, &syn.p, on_alert, NULL);
    }
    dp_buf out;
    dp_buf_init(&out);
    if (dp_profile_json_write(&out, &syn.p))
        fc_fail("dp_profile_json_write failed", "", 0);
    fc_check_json(out.data, out.len, true);
    dp_buf_reset(&out);
    if (dp_report_text_write(&out, &syn.p, (int)(size % 600)))
        fc_fail("dp_report_text_write failed", "", 0);
    fc_check_text(out.data, out.len, (int)(size % 600));
    dp_buf_fini(&out);
    dp_alerts_destroy(a);
    free(text);
    return 0;
}
