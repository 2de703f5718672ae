/*
 * alerts_regress.c - the `regression` alert condition's rule: its fields
 * checked at start-up (alerts.h). The rule is evaluated over the history
 * store by history/regalert.c, not on each profile. Also the severity
 * names every rule uses.
 *
 *   min_change  a fraction of the baseline p50 (0.1) or a percent (10%),
 *               > 0; the regression.min_change key's unit
 *   p_value     in (0, 1]
 *   min_runs    an integer >= 2: runs on each side
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_internal.h"
#include "grow.h"

int dp_alert_severity_parse(const char *s)
{
    if (!s)
        return DP_EINVAL;
    if (strcmp(s, "info") == 0)
        return DP_ALERT_INFO;
    if (strcmp(s, "warning") == 0)
        return DP_ALERT_WARNING;
    if (strcmp(s, "critical") == 0)
        return DP_ALERT_CRITICAL;
    return DP_EINVAL;
}

const char *dp_alert_severity_name(int severity)
{
    switch (severity) {
    case DP_ALERT_INFO:
        return "info";
    case DP_ALERT_WARNING:
        return "warning";
    case DP_ALERT_CRITICAL:
        return "critical";
    default:
        return "unknown";
    }
}

bool dp__alert_is_regression(const char *cond)
{
    if (!cond)
        return false;
    while (isspace((unsigned char)*cond))
        cond++;
    if (strncmp(cond, "regression", 10) != 0)
        return false;
    for (cond += 10; isspace((unsigned char)*cond); cond++)
        ;
    return *cond == '\0';
}

bool dp__alert_regression_named(const dp_alert_regressions *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->r[i].name, name) == 0)
            return true;
    return false;
}

/* A whole string as a finite double (no trailing text). */
static bool number(const char *s, double *out)
{
    char *end;
    if (!s || !*s || isspace((unsigned char)*s))
        return false;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || errno)
        return false;
    *out = v;
    return *end == '\0' || (*end == '%' && end[1] == '\0') ? true : false;
}

static int parse_min_change(const char *s, double *out)
{
    double v;
    if (!number(s, &v))
        return -1;
    if (s[strlen(s) - 1] == '%')
        v /= 100;
    if (!(v > 0 && v <= 1e4))
        return -1;
    *out = v;
    return 0;
}

int dp__alert_regression_add(dp_alert_regressions *l,
                             const dp_alert_rule_config *rc, char *err,
                             size_t err_len)
{
    const char *name = rc->name;
    dp_alert_regression r = {.min_change = -1, .p_value = -1};
    if (!dp__alert_is_regression(rc->condition))
        return dp_errf(err, err_len, DP_EINVAL,
                       "alert '%s': min_change, p_value and min_runs are only "
                       "for condition: regression",
                       name);
    if (!rc->dag || !rc->dag[0])
        return dp_errf(err, err_len, DP_EINVAL,
                       "alert '%s': condition regression needs dag: the DAG "
                       "whose versions are compared",
                       name);
    if (rc->window_matches || rc->window_of)
        return dp_errf(err, err_len, DP_EINVAL,
                       "alert '%s': condition regression takes no window (it "
                       "fires once per version and node)",
                       name);
    if (rc->severity < DP_ALERT_INFO || rc->severity > DP_ALERT_CRITICAL)
        return dp_errf(err, err_len, DP_EINVAL,
                       "alert '%s': severity must be info, warning or critical",
                       name);
    if (rc->min_change && parse_min_change(rc->min_change, &r.min_change))
        return dp_errf(
            err, err_len, DP_EPARSE,
            "alert '%s': min_change '%s': expected a fraction of the "
            "baseline p50 such as 0.1, or a percent such as 10%%, "
            "above 0",
            name, rc->min_change);
    double pv;
    if (rc->p_value && (!number(rc->p_value, &pv) || strchr(rc->p_value, '%') ||
                        !(pv > 0) || pv > 1))
        return dp_errf(err, err_len, DP_EPARSE,
                       "alert '%s': p_value '%s': expected a number in (0, 1] "
                       "such as 0.01",
                       name, rc->p_value);
    if (rc->p_value)
        r.p_value = pv;
    if (rc->min_runs) {
        char *end;
        const char *s = rc->min_runs;
        errno = 0;
        unsigned long long u = isdigit((unsigned char)*s)
                                   ? strtoull(s, &end, 10)
                                   : (end = (char *)s, 0);
        if (end == s || *end || errno || u < 2 || u > 1000000000ULL)
            return dp_errf(err, err_len, DP_EPARSE,
                           "alert '%s': min_runs '%s': expected a whole number "
                           "of runs per version, 2 to 1000000000",
                           name, rc->min_runs);
        r.min_runs = u;
    }
    r.severity = rc->severity;
    if (dp_grow(&l->r, l->n, &l->cap, sizeof(*l->r), 4))
        goto nomem;
    r.name = strdup(name);
    r.dag = strdup(rc->dag);
    if (!r.name || !r.dag) {
        free((char *)r.name);
        free((char *)r.dag);
        goto nomem;
    }
    l->r[l->n++] = r;
    return 0;
nomem:
    return dp_errf(err, err_len, DP_ENOMEM, "alert '%s': out of memory", name);
}

void dp__alert_regressions_fini(dp_alert_regressions *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->r[i].name);
        free((char *)l->r[i].dag);
    }
    free(l->r);
    memset(l, 0, sizeof(*l));
}
