/*
 * alerts.c - alert rules: parsing a condition once at start-up, evaluating
 * it on every finished profile, keeping the N-of-M window per rule and DAG,
 * and building the ALERT record (see alerts.h for the syntax).
 *
 * A condition compiles to a field descriptor (which value, where: the run,
 * any node, any bottleneck; and its unit), an operator and a threshold in
 * the field's own integer unit where one exists (nanoseconds, pico-USD), so
 * `cost > 0.50` is exact. Evaluation is a table lookup and a comparison per
 * node or bottleneck; the only shared state, the windows, sits under one
 * mutex so shard threads can evaluate concurrently.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts_internal.h"
#include "buf.h"
#include "grow.h"
#include "json_enc.h"
#include "log.h"

enum unit {
    U_NS,
    U_USD,
    U_COUNT,
    U_RATIO,
    U_PERCENT,
    U_BOOL,
    U_BN_TYPE,
    U_BN_SEV
};
enum scope { SC_RUN, SC_NODE, SC_BN };
enum op { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

/* Fields read straight from the struct by offset, or computed (C_CALC,
 * by id: sums and counts), or from bottlenecks (SC_BN, by id). */
enum ctype { C_I64, C_U64, C_U32, C_SIZE, C_BOOL, C_DBL, C_CALC };
enum calc_id {
    K_NONE,
    K_TOKENS,
    K_RETRIES,
    K_NODE_TOKENS,
    K_BN_TYPE,
    K_BN_SEV,
    K_BN_IMPACT
};

struct field {
    const char *name;
    int scope, unit, ctype, id;
    size_t off;
};

#define RUN(n, unit, ct, member)                                               \
    {                                                                          \
        n, SC_RUN, unit, ct, K_NONE, offsetof(dp_profile, member)              \
    }
#define NODE(n, unit, ct, member)                                              \
    {                                                                          \
        n, SC_NODE, unit, ct, K_NONE, offsetof(dp_node, member)                \
    }

static const struct field fields[] = {
    RUN("wall", U_NS, C_I64, wall_ns),
    RUN("totalDuration", U_NS, C_I64, wall_ns),
    RUN("criticalPathDuration", U_NS, C_I64, critical_path_ns),
    RUN("sumExecution", U_NS, C_I64, sum_execution_ns),
    RUN("cost", U_USD, C_I64, cost_pusd),
    RUN("totalCost", U_USD, C_I64, cost_pusd),
    RUN("parallelizationEfficiency", U_RATIO, C_DBL,
        parallelization_efficiency),
    RUN("dagParallelism", U_RATIO, C_DBL, dag_parallelism),
    RUN("achievedParallelism", U_RATIO, C_DBL, achieved_parallelism),
    RUN("peakConcurrency", U_COUNT, C_U32, peak_concurrency),
    RUN("spanCount", U_COUNT, C_U64, span_count),
    RUN("lateSpans", U_COUNT, C_U64, late_spans),
    RUN("unpricedModels", U_COUNT, C_SIZE, n_unpriced_models),
    {"totalTokens", SC_RUN, U_COUNT, C_CALC, K_TOKENS, 0},
    RUN("inputTokens", U_COUNT, C_I64, tokens.input),
    RUN("outputTokens", U_COUNT, C_I64, tokens.output),
    RUN("cacheReadTokens", U_COUNT, C_I64, tokens.cache_read),
    RUN("cacheWriteTokens", U_COUNT, C_I64, tokens.cache_write),
    RUN("reasoningTokens", U_COUNT, C_I64, tokens.reasoning),
    {"retries", SC_RUN, U_COUNT, C_CALC, K_RETRIES, 0},
    RUN("nodes", U_COUNT, C_SIZE, n_nodes),
    RUN("bottlenecks", U_COUNT, C_SIZE, n_bottlenecks),
    RUN("complete", U_BOOL, C_BOOL, complete),
    NODE("node.executionTime", U_NS, C_I64, execution_ns),
    NODE("node.duration", U_NS, C_I64, duration_ns),
    NODE("node.waitTime", U_NS, C_I64, wait_ns),
    NODE("node.dependencyWait", U_NS, C_I64, dependency_wait_ns),
    NODE("node.queueDelay", U_NS, C_I64, queue_delay_ns),
    NODE("node.selfTime", U_NS, C_I64, self_ns),
    NODE("node.llmTime", U_NS, C_I64, llm_ns),
    NODE("node.toolTime", U_NS, C_I64, tool_ns),
    NODE("node.cost", U_USD, C_I64, cost_pusd),
    {"node.tokens", SC_NODE, U_COUNT, C_CALC, K_NODE_TOKENS, 0},
    NODE("node.retries", U_COUNT, C_U32, retries),
    NODE("node.attempts", U_COUNT, C_U32, attempts),
    {"bottleneck.type", SC_BN, U_BN_TYPE, C_CALC, K_BN_TYPE, 0},
    {"bottleneck.severity", SC_BN, U_BN_SEV, C_CALC, K_BN_SEV, 0},
    {"bottleneck.impact", SC_BN, U_PERCENT, C_CALC, K_BN_IMPACT, 0},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

#define MAX_WINDOW_DAGS 1024
#define MAX_LISTED 32 /* matched values listed per alert */

struct window {
    char *dag;
    uint64_t bits; /* bit 0: the latest run; 1 = matched */
    uint32_t seen; /* runs in the window so far (<= of) */
    uint64_t last_used;
};

struct rule {
    char *name, *dag, *condition;
    int severity;
    const struct field *f;
    int op;
    int64_t ti; /* threshold: ns, pico-USD, bool, enum */
    double td;  /* threshold: counts, ratios, percent */
    uint32_t n, m;
    struct window *win;
    size_t n_win;
    uint64_t clock;
};

struct dp_alerts {
    struct rule *rules;
    size_t n, cap;
    pthread_mutex_t lock;
    dp_alert_regressions reg; /* condition: regression */
};

static const char *const op_text[] = {">", ">=", "<", "<=", "==", "!="};

/* ---- parsing ------------------------------------------------------------ */

/* "30s", "1.5s", "250ms", "2m": a decimal number and a unit. */
static bool parse_ns(const char *s, int64_t *out)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},  {"us", 1e3}, {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    char *end;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return false;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double ns = v * units[i].ns;
            if (!(ns >= 0 && ns < 9.2e18))
                return false;
            *out = (int64_t)llround(ns);
            return true;
        }
    }
    return false;
}

/* "0.50", "$0.50", "0.5 USD", "12": exact pico-USD (at most 12 decimals,
 * at most 9,000,000 USD, as for costs carried by spans, so it fits int64). */
static bool parse_usd(const char *s, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int digits = 0, frac_digits = 0;
    if (*s == '$')
        s++;
    for (; isdigit((unsigned char)*s); s++, digits++) {
        whole = whole * 10 + (*s - '0');
        if (whole > 9000000)
            return false;
    }
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s); s++, digits++) {
            if (++frac_digits > 12)
                return false;
            frac = frac * 10 + (*s - '0');
        }
    }
    while (*s == ' ')
        s++;
    if (!digits || (*s && strcmp(s, "USD") != 0))
        return false;
    for (int i = frac_digits; i < 12; i++)
        frac *= 10;
    *out = whole * 1000000000000LL + frac;
    return true;
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    if (!*s)
        return false;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static const char *unit_form(int unit)
{
    switch (unit) {
    case U_NS:
        return "a duration with a unit, such as 30s or 250ms";
    case U_USD:
        return "an amount in USD, such as 0.50";
    case U_BOOL:
        return "true or false";
    case U_BN_TYPE:
        return "a bottleneck type such as excessive_retries";
    case U_BN_SEV:
        return "low, medium or high";
    default:
        return "a number";
    }
}

/* Parses "FIELD OP VALUE" into r. */
static int parse_condition(struct rule *r, const char *cond, char *err,
                           size_t err_len)
{
    const char *p = cond;
    while (isspace((unsigned char)*p))
        p++;
    const char *fs = p;
    while (isalnum((unsigned char)*p) || *p == '.' || *p == '_')
        p++;
    size_t flen = (size_t)(p - fs);
    while (isspace((unsigned char)*p))
        p++;
    int op = -1;
    for (int i = 0; i < 6 && op < 0; i++) {
        /* Two-character operators first: ">=" before ">". */
        static const int order[] = {OP_GE, OP_LE, OP_EQ, OP_NE, OP_GT, OP_LT};
        size_t ol = strlen(op_text[order[i]]);
        if (strncmp(p, op_text[order[i]], ol) == 0) {
            op = order[i];
            p += ol;
        }
    }
    if (!flen || op < 0)
        return dp_errf(err, err_len, DP_EPARSE,
                       "alert '%s': condition '%s': expected FIELD OP VALUE "
                       "(OP one of > >= < <= == !=)",
                       r->name, cond);
    r->f = NULL;
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strlen(fields[i].name) == flen &&
            strncmp(fields[i].name, fs, flen) == 0)
            r->f = &fields[i];
    if (!r->f)
        return dp_errf(err, err_len, DP_EPARSE,
                       "alert '%s': condition '%s': unknown field '%.*s' "
                       "(e.g. wall, cost, parallelizationEfficiency, "
                       "unpricedModels, node.executionTime, bottleneck.type)",
                       r->name, cond, (int)flen, fs);
    r->op = op;
    while (isspace((unsigned char)*p))
        p++;
    char value[128];
    size_t vl = strlen(p);
    while (vl && isspace((unsigned char)p[vl - 1]))
        vl--;
    if (vl >= sizeof(value))
        vl = sizeof(value) - 1;
    memcpy(value, p, vl);
    value[vl] = '\0';
    int unit = r->f->unit;
    bool ok = false;
    bool eq_only = unit == U_BOOL || unit == U_BN_TYPE || unit == U_BN_SEV;
    if (eq_only && op != OP_EQ && op != OP_NE)
        return dp_errf(err, err_len, DP_EPARSE,
                       "alert '%s': condition '%s': %s can only be compared "
                       "with == or !=",
                       r->name, cond, r->f->name);
    switch (unit) {
    case U_NS:
        ok = parse_ns(value, &r->ti);
        break;
    case U_USD:
        ok = parse_usd(value, &r->ti);
        break;
    case U_BOOL:
        ok = strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
        r->ti = strcmp(value, "true") == 0;
        break;
    case U_BN_TYPE:
        for (int t = 0; t < DP_BN__COUNT && !ok; t++)
            if (strcmp(value, dp_bottleneck_type_name(t)) == 0) {
                r->ti = t;
                ok = true;
            }
        break;
    case U_BN_SEV:
        for (int s = DP_SEV_LOW; s <= DP_SEV_HIGH && !ok; s++)
            if (strcmp(value, dp_severity_name(s)) == 0) {
                r->ti = s;
                ok = true;
            }
        break;
    default:
        ok = parse_number(value, &r->td);
        break;
    }
    if (!ok)
        return dp_errf(err, err_len, DP_EPARSE,
                       "alert '%s': condition '%s': invalid value '%s' for %s: "
                       "expected %s",
                       r->name, cond, value, r->f->name, unit_form(unit));
    return 0;
}

dp_alerts *dp_alerts_create(void)
{
    dp_alerts *a = calloc(1, sizeof(*a));
    if (a)
        pthread_mutex_init(&a->lock, NULL);
    return a;
}

static void rule_fini(struct rule *r)
{
    for (size_t i = 0; i < r->n_win; i++)
        free(r->win[i].dag);
    free(r->win);
    free(r->name);
    free(r->dag);
    free(r->condition);
}

void dp_alerts_destroy(dp_alerts *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        rule_fini(&a->rules[i]);
    free(a->rules);
    dp__alert_regressions_fini(&a->reg);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

size_t dp_alerts_count(const dp_alerts *a)
{
    return a ? a->n + a->reg.n : 0;
}

size_t dp_alerts_regression_count(const dp_alerts *a)
{
    return a ? a->reg.n : 0;
}

const dp_alert_regression *dp_alerts_regression_get(const dp_alerts *a,
                                                    size_t i)
{
    return a && i < a->reg.n ? &a->reg.r[i] : NULL;
}

int dp_alerts_add(dp_alerts *a, const dp_alert_rule_config *rc, char *err,
                  size_t err_len)
{
    if (!a || !rc)
        return DP_EINVAL;
    if (!rc->name || !rc->name[0]) {
        dp_errf(err, err_len, DP_EPARSE, "alert #%zu: a rule needs a name",
                a->n + 1);
        return DP_EINVAL;
    }
    for (size_t i = 0; i <= a->n; i++)
        if (i < a->n ? strcmp(a->rules[i].name, rc->name) == 0
                     : dp__alert_regression_named(&a->reg, rc->name)) {
            dp_errf(err, err_len, DP_EPARSE,
                    "alert '%s': a rule of that name already exists", rc->name);
            return DP_EINVAL;
        }
    if (dp__alert_is_regression(rc->condition) || rc->min_change ||
        rc->p_value || rc->min_runs)
        return dp__alert_regression_add(&a->reg, rc, err, err_len);
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.name = (char *)rc->name; /* for messages until copied */
    if (!rc->condition || !rc->condition[0]) {
        dp_errf(err, err_len, DP_EPARSE, "alert '%s': a rule needs a condition",
                rc->name);
        return DP_EINVAL;
    }
    if (rc->severity < DP_ALERT_INFO || rc->severity > DP_ALERT_CRITICAL) {
        dp_errf(err, err_len, DP_EPARSE,
                "alert '%s': severity must be info, warning or "
                "critical",
                rc->name);
        return DP_EINVAL;
    }
    r.n = rc->window_matches;
    r.m = rc->window_of;
    if (r.n == 0 && r.m == 0)
        r.n = r.m = 1;
    if (r.m < 1 || r.m > 64 || r.n < 1 || r.n > r.m) {
        dp_errf(err, err_len, DP_EPARSE,
                "alert '%s': window {matches: %u, of: %u}: need "
                "1 <= matches <= of <= 64",
                rc->name, rc->window_matches, rc->window_of);
        return DP_EINVAL;
    }
    int rc_parse = parse_condition(&r, rc->condition, err, err_len);
    if (rc_parse)
        return rc_parse;
    r.severity = rc->severity;
    r.name = strdup(rc->name);
    r.dag = rc->dag && rc->dag[0] ? strdup(rc->dag) : NULL;
    r.condition = strdup(rc->condition);
    if (!r.name || !r.condition || (rc->dag && rc->dag[0] && !r.dag))
        goto nomem;
    if (dp_grow(&a->rules, a->n, &a->cap, sizeof(*a->rules), 8))
        goto nomem;
    a->rules[a->n++] = r;
    return 0;
nomem:
    rule_fini(&r);
    dp_errf(err, err_len, DP_EPARSE, "alert '%s': out of memory", rc->name);
    return DP_ENOMEM;
}

/* ---- evaluation --------------------------------------------------------- */

/* Whether op holds for a three-way comparison result c (-1, 0, 1). */
static bool op_holds(int op, int c)
{
    switch (op) {
    case OP_GT:
        return c > 0;
    case OP_GE:
        return c >= 0;
    case OP_LT:
        return c < 0;
    case OP_LE:
        return c <= 0;
    case OP_EQ:
        return c == 0;
    default:
        return c != 0;
    }
}

static bool cmp_i(int64_t v, int op, int64_t t)
{
    return op_holds(op, (v > t) - (v < t));
}

/* NaN compares unordered: only != holds. */
static bool cmp_d(double v, int op, double t)
{
    if (isnan(v) || isnan(t))
        return op == OP_NE;
    return op_holds(op, (v > t) - (v < t));
}

/* totalTokens, input + output, saturating at INT64_MAX (INT64_MIN), so
 * every profile renders whatever its counts. */
static int64_t total_tokens(const dp_tokens *t)
{
    int64_t sum;
    if (__builtin_add_overflow(t->input, t->output, &sum))
        return t->input > 0 ? INT64_MAX : INT64_MIN;
    return sum;
}

/* A run or node field's value (base is the dp_profile or the dp_node):
 * integer units in *i, ratios in *d. */
static void field_value(const struct field *f, const void *base, int64_t *i,
                        double *d)
{
    const char *p = (const char *)base + f->off;
    *i = 0;
    *d = 0;
    if (f->id == K_TOKENS) {
        const dp_profile *pr = base;
        *i = total_tokens(&pr->tokens);
    } else if (f->id == K_RETRIES) {
        const dp_profile *pr = base;
        for (size_t k = 0; k < pr->n_nodes; k++)
            *i += pr->nodes[k].retries;
    } else if (f->id == K_NODE_TOKENS) {
        const dp_node *n = base;
        *i = total_tokens(&n->tokens);
    } else if (f->ctype == C_I64) {
        *i = *(const int64_t *)p;
    } else if (f->ctype == C_U64) {
        *i = (int64_t) * (const uint64_t *)p;
    } else if (f->ctype == C_U32) {
        *i = *(const uint32_t *)p;
    } else if (f->ctype == C_SIZE) {
        *i = (int64_t) * (const size_t *)p;
    } else if (f->ctype == C_BOOL) {
        *i = *(const bool *)p;
    } else {
        *d = *(const double *)p;
    }
}

/* Compares a numeric value with the rule's threshold. */
static bool matches(const struct rule *r, int64_t i, double d)
{
    switch (r->f->unit) {
    case U_NS:
    case U_USD:
    case U_BOOL:
        return cmp_i(i, r->op, r->ti);
    case U_COUNT:
        return cmp_d((double)i, r->op, r->td);
    default:
        return cmp_d(d, r->op, r->td);
    }
}

/* Appends the value in the unit the profile JSON uses (ms, USD, ...). */
static void put_value(dp_buf *b, int unit, int64_t i, double d)
{
    switch (unit) {
    case U_NS:
        dp_buf_ms(b, i);
        dp_buf_puts(b, ",\"unit\":\"ms\"");
        break;
    case U_USD:
        dp_buf_usd(b, i);
        dp_buf_puts(b, ",\"unit\":\"USD\"");
        break;
    case U_BOOL:
        dp_buf_puts(b, i ? "true" : "false");
        break;
    case U_COUNT:
        dp_buf_printf(b, "%" PRId64, i);
        break;
    case U_PERCENT:
        dp_buf_printf(b, isfinite(d) ? "%.2f" : "null", d);
        break;
    default:
        dp_buf_printf(b, isfinite(d) ? "%.4f" : "null", d);
        break;
    }
}

static void value_head(dp_buf *b, size_t *listed, const struct rule *r)
{
    dp_buf_puts(b, *listed ? ",{\"field\":" : "{\"field\":");
    dp_buf_json_string(b, r->f->name);
    (*listed)++;
}

/* Evaluates r's condition on p; appends the matched values (JSON objects,
 * comma-separated) to vals. */
static bool evaluate(const struct rule *r, const dp_profile *p, dp_buf *vals)
{
    size_t listed = 0;
    int64_t i;
    double d;
    bool hit = false;
    if (r->f->scope == SC_RUN) {
        field_value(r->f, p, &i, &d);
        if (!matches(r, i, d))
            return false;
        value_head(vals, &listed, r);
        dp_buf_puts(vals, ",\"value\":");
        put_value(vals, r->f->unit, i, d);
        dp_buf_puts(vals, "}");
        return true;
    }
    if (r->f->scope == SC_NODE) {
        for (size_t k = 0; k < p->n_nodes; k++) {
            field_value(r->f, &p->nodes[k], &i, &d);
            if (!matches(r, i, d))
                continue;
            hit = true;
            if (listed >= MAX_LISTED)
                continue;
            value_head(vals, &listed, r);
            dp_buf_puts(vals, ",\"nodeId\":");
            dp_buf_json_string(vals, p->nodes[k].id);
            dp_buf_puts(vals, ",\"value\":");
            put_value(vals, r->f->unit, i, d);
            dp_buf_puts(vals, "}");
        }
        return hit;
    }
    /* Bottlenecks: == and numeric ops fire on any match; != on none. */
    bool any = false;
    for (size_t k = 0; k < p->n_bottlenecks; k++) {
        const dp_bottleneck *bn = &p->bottlenecks[k];
        bool m;
        if (r->f->id == K_BN_IMPACT)
            m = matches(r, 0, bn->impact);
        else
            m = (r->f->id == K_BN_TYPE ? bn->type : bn->severity) == r->ti;
        if (!m)
            continue;
        any = true;
        if (r->op == OP_NE || listed >= MAX_LISTED)
            continue;
        value_head(vals, &listed, r);
        dp_buf_puts(vals, ",\"nodeId\":");
        dp_buf_json_string(vals,
                           bn->node < p->n_nodes ? p->nodes[bn->node].id : "");
        dp_buf_puts(vals, ",\"type\":");
        dp_buf_json_string(vals, dp_bottleneck_type_name(bn->type));
        dp_buf_puts(vals, ",\"severity\":");
        dp_buf_json_string(vals, dp_severity_name(bn->severity));
        dp_buf_printf(vals, ",\"impact\":%.2f}", bn->impact);
    }
    if (r->f->id == K_BN_IMPACT || r->op == OP_EQ)
        return any;
    if (!any) {
        value_head(vals, &listed, r);
        dp_buf_puts(vals, ",\"value\":null}");
    }
    return !any;
}

/* Pushes this run's outcome into the rule's window for dag and returns the
 * number of matches among the last m runs. Called under the lock. */
static uint32_t window_push(struct rule *r, const char *dag, bool hit)
{
    if (r->m == 1)
        return hit;
    struct window *w = NULL;
    for (size_t k = 0; k < r->n_win && !w; k++)
        if (strcmp(r->win[k].dag, dag) == 0)
            w = &r->win[k];
    if (!w) {
        if (r->n_win < MAX_WINDOW_DAGS) {
            struct window *nw = realloc(r->win, (r->n_win + 1) * sizeof(*nw));
            char *name = strdup(dag);
            if (!nw || !name) {
                free(name);
                if (nw)
                    r->win = nw;
                return hit; /* out of memory: judge this run alone */
            }
            r->win = nw;
            w = &r->win[r->n_win++];
            w->dag = name;
        } else {
            w = &r->win[0];
            for (size_t k = 1; k < r->n_win; k++)
                if (r->win[k].last_used < w->last_used)
                    w = &r->win[k];
            char *name = strdup(dag);
            if (!name)
                return hit;
            free(w->dag);
            w->dag = name;
        }
        w->bits = 0;
        w->seen = 0;
    }
    uint64_t mask = r->m == 64 ? ~0ULL : ((1ULL << r->m) - 1);
    w->bits = ((w->bits << 1) | (hit ? 1u : 0u)) & mask;
    if (w->seen < r->m)
        w->seen++;
    w->last_used = ++r->clock;
    return (uint32_t)__builtin_popcountll(w->bits);
}

int dp_alert_json_begin(dp_buf *b, const char *rule, int severity,
                        const char *dag)
{
    dp_buf_puts(b, "{\"kind\":\"alert\",\"rule\":");
    dp_buf_json_string(b, rule);
    dp_buf_printf(
        b, ",\"severity\":\"%s\",\"dagId\":", dp_alert_severity_name(severity));
    return dp_buf_json_string(b, dag);
}

static dp_record *alert_record(const struct rule *r, const dp_profile *p,
                               const char *vals, uint32_t matched)
{
    const char *dag = p->dag_id ? p->dag_id : "";
    dp_buf b;
    dp_buf_init(&b);
    dp_alert_json_begin(&b, r->name, r->severity, dag);
    dp_buf_puts(&b, ",\"traceId\":");
    dp_buf_json_string(&b, p->trace_id_hex);
    dp_buf_puts(&b, ",\"profileId\":");
    dp_buf_json_string(&b, p->profile_id);
    dp_buf_puts(&b, ",\"time\":");
    dp__enc_put_rfc3339(&b, p->profiled_at_unix_ns);
    dp_buf_puts(&b, ",\"condition\":");
    dp_buf_json_string(&b, r->condition);
    if (r->m > 1)
        dp_buf_printf(&b,
                      ",\"window\":{\"matches\":%u,\"of\":%u,"
                      "\"matched\":%u}",
                      r->n, r->m, matched);
    dp_buf_puts(&b, ",\"values\":[");
    dp_buf_puts(&b, vals);
    int err = dp_buf_puts(&b, "]}");
    dp_record *rec = dp_record_alert(&b, err, r->name, dag, r->severity,
                                     p->profiled_at_unix_ns);
    if (rec) {
        memcpy(rec->trace_id_hex, p->trace_id_hex, sizeof(rec->trace_id_hex));
        memcpy(rec->trace_id, p->trace_id, sizeof(rec->trace_id));
        memcpy(rec->root_span_id, p->root_span_id, sizeof(rec->root_span_id));
    }
    return rec;
}

size_t dp_alerts_evaluate(dp_alerts *a, const dp_profile *p,
                          dp_alert_emit_fn emit, void *user)
{
    size_t fired = 0;
    if (!a || !p || !a->n)
        return 0;
    const char *dag = p->dag_id ? p->dag_id : "";
    dp_buf vals;
    dp_buf_init(&vals);
    for (size_t k = 0; k < a->n; k++) {
        struct rule *r = &a->rules[k];
        if (r->dag && strcmp(r->dag, dag) != 0)
            continue;
        dp_buf_reset(&vals);
        bool hit = evaluate(r, p, &vals);
        pthread_mutex_lock(&a->lock);
        uint32_t matched = window_push(r, dag, hit);
        pthread_mutex_unlock(&a->lock);
        if (!hit || matched < r->n)
            continue;
        dp_record *rec =
            alert_record(r, p, vals.data ? vals.data : "", matched);
        if (!rec) {
            dp_log_error("alerts", "%s: out of memory building an alert",
                         r->name);
            continue;
        }
        dp_log_info("alerts", "%s (%s) fired for %s trace %s", r->name,
                    dp_alert_severity_name(r->severity), dag, p->trace_id_hex);
        fired++;
        emit(user, rec);
    }
    dp_buf_fini(&vals);
    return fired;
}
