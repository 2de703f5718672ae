/*
 * alerts_internal.h - what alerts.c and alerts_regress.c share: the list
 * of `regression` rules a dp_alerts keeps beside its profile rules.
 */
#ifndef DP_ALERTS_INTERNAL_H
#define DP_ALERTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"

typedef struct dp_alert_regressions {
    dp_alert_regression *r;
    size_t n, cap;
} dp_alert_regressions;

/* Whether cond is the `regression` condition (spaces around allowed). */
bool dp__alert_is_regression(const char *cond);
/* Whether a regression rule is named name. */
bool dp__alert_regression_named(const dp_alert_regressions *l,
                                const char *name);
/* Checks and adds a `regression` rule (rc's name already checked unique).
 * Returns 0, DP_EINVAL or DP_EPARSE with a message naming the rule and the
 * field, or DP_ENOMEM. */
int dp__alert_regression_add(dp_alert_regressions *l,
                             const dp_alert_rule_config *rc, char *err,
                             size_t err_len);
void dp__alert_regressions_fini(dp_alert_regressions *l);

#endif /* DP_ALERTS_INTERNAL_H */
