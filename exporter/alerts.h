/*
 * alerts.h - streaming alert rules evaluated on each finished profile.
 *
 * The serve command parses the `alerts:` rules at start-up (a rule that
 * does not parse stops start-up with a message naming it) and calls
 * dp_alerts_evaluate() for every profile as it is finalized. A rule has a
 * name, an optional DAG filter, one condition, a severity and an optional
 * window (fire when N of the last M runs of that DAG matched). Each firing
 * becomes a dp_record of kind ALERT whose JSON names the rule, severity,
 * DAG, trace id and the values that matched; the exporter pipeline routes
 * it to jsonl, otlp and webhook.
 *
 * Condition syntax: FIELD OP VALUE, OP one of > >= < <= == !=.
 *   run fields:  wall (= totalDuration), criticalPathDuration, sumExecution
 *                [durations]; cost (= totalCost) [USD];
 *                parallelizationEfficiency, dagParallelism,
 *                achievedParallelism [ratios]; peakConcurrency, spanCount,
 *                lateSpans, unpricedModels (models without a price),
 *                totalTokens, inputTokens, outputTokens, cacheReadTokens,
 *                cacheWriteTokens, reasoningTokens, retries (sum over
 *                nodes), nodes, bottlenecks [counts]; complete [true|false]
 *   node fields (fire when any node matches): node.executionTime,
 *                node.duration, node.waitTime, node.dependencyWait,
 *                node.queueDelay, node.selfTime, node.llmTime, node.toolTime
 *                [durations]; node.cost [USD]; node.tokens, node.retries,
 *                node.attempts [counts]
 *   bottlenecks: bottleneck.type and bottleneck.severity (== any
 *                bottleneck has it, != none has it); bottleneck.impact
 *                [percent, any bottleneck]
 * Durations need a unit: us, ms, s, m, h (`wall > 30s`, `node.queueDelay >=
 * 250ms`). Money is decimal USD, optionally `$0.50` or `0.50 USD`, compared
 * exactly in pico-USD. Ratios and counts are plain numbers.
 *
 * Condition `regression` (alerts_regress.c): not evaluated per profile but
 * over the history store (history/regalert.c): the DAG's newest version
 * against the one before it, as `dagprof regressions`; fires once per
 * (rule, dag, version, node) and once for the run row. Needs `dag`; takes
 * min_change (a fraction, 0.1, or a percent, 10%), p_value and min_runs,
 * each defaulting to the regression.* keys; no window.
 */
#ifndef DP_ALERTS_H
#define DP_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "exporter.h"

typedef struct dp_alerts dp_alerts;

typedef struct dp_alert_rule_config {
    const char *name;        /* required, unique */
    const char *dag;         /* NULL or "": every DAG */
    const char *condition;   /* see above */
    int severity;            /* enum dp_alert_severity */
    uint32_t window_matches; /* N; 0 with window_of 0: every match fires */
    uint32_t window_of;      /* M, 1..64, N <= M */
    /* condition `regression` only; NULL: the regression.* default */
    const char *min_change; /* "0.1" or "10%" */
    const char *p_value;    /* "0.01", in (0, 1] */
    const char *min_runs;   /* "20", >= 2 */
} dp_alert_rule_config;

/* A parsed `regression` rule; unset values are negative (min_change,
 * p_value) or 0 (min_runs). */
typedef struct dp_alert_regression {
    const char *name, *dag;
    int severity;
    double min_change; /* fraction: 0.1 = 10% */
    double p_value;
    uint64_t min_runs;
} dp_alert_regression;

/* An empty rule set. NULL on ENOMEM. */
dp_alerts *dp_alerts_create(void);
/* Accepts NULL. */
void dp_alerts_destroy(dp_alerts *a);

/* Parses rc and adds it (strings are copied). Returns 0, or DP_EINVAL /
 * DP_EPARSE with a message that starts with the rule's name and says what
 * is wrong and what was expected; DP_ENOMEM. Not thread-safe: call before
 * evaluating. */
int dp_alerts_add(dp_alerts *a, const dp_alert_rule_config *rc, char *err,
                  size_t err_len);
/* Every rule, `regression` ones included. */
size_t dp_alerts_count(const dp_alerts *a);

/* The `regression` rules (dp_alerts_evaluate skips them), in the order
 * they were added; valid until dp_alerts_destroy. */
size_t dp_alerts_regression_count(const dp_alerts *a);
const dp_alert_regression *dp_alerts_regression_get(const dp_alerts *a,
                                                    size_t i);

/* "info", "warning", "critical" -> enum dp_alert_severity, or DP_EINVAL. */
int dp_alert_severity_parse(const char *s);
const char *dp_alert_severity_name(int severity);

struct dp_buf; /* buf.h */

/* Begins an alert's JSON object in b: {"kind":"alert","rule":RULE,
 * "severity":S,"dagId":DAG (the builder adds the rest and the "}"). */
int dp_alert_json_begin(struct dp_buf *b, const char *rule, int severity,
                        const char *dag);

/* Receives one alert record and takes ownership of its reference. */
typedef void (*dp_alert_emit_fn)(void *user, dp_record *alert);

/* Evaluates every rule on p (only read) in the order they were added and
 * calls emit for each one that fires. Window state is kept per rule and
 * DAG (at most 1024 DAGs per rule; the least recently seen is forgotten).
 * Thread-safe (one lock). Returns the number of alerts emitted. Cost:
 * O(rules x (nodes + bottlenecks)). */
size_t dp_alerts_evaluate(dp_alerts *a, const dp_profile *p,
                          dp_alert_emit_fn emit, void *user);

#endif /* DP_ALERTS_H */
