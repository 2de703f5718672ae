/*
 * report_text.c - renders a finished dp_profile as the human text report.
 *
 * Sits at the end of the flow beside profile_json.c: same input, written
 * for a person at a terminal instead of a program. The layout is the seed's
 * "Performance Report", a YAML document:
 *
 *   performanceProfile:   header (ids, profiledAt, completeness)
 *     summary:            wall, tokens, cost, efficiency, critical path
 *     metrics:            tokens and cost by model and by node
 *     nodeBreakdown:      one entry per node, in start order
 *     bottlenecks:        as detected, highest impact first
 *     optimizations:      with their non-zero estimated savings (a comment
 *                         says which time savings are simulated)
 *     visualization: |    "Cost Distribution by Node" and "Time
 *                         Distribution" (execution vs wait) bar charts
 *
 * Units, chosen once for the whole report:
 * - every time is milliseconds with exactly 3 decimals and the suffix "ms"
 *   (3421.000ms), whatever its size, so columns compare at a glance;
 * - money is "$" + the USD amount rounded half away from zero to 4 decimals,
 *   trailing zeros trimmed ($0.42, $0.0043); a non-zero amount that rounds
 *   to zero prints "<$0.0001" (the exact value is in the JSON);
 * - ratios are percentages with 1 decimal, impact with 2, dagParallelism a
 *   plain number with 2 decimals.
 *
 * Width: every line fits within `width` code points. Plain words (node ids,
 * model names made of [A-Za-z0-9_./-]) are printed bare when they fit;
 * anything else, and every free text (details, descriptions), is printed
 * as a YAML double-quoted string with JSON escapes, wrapped at spaces (YAML
 * folds the line break back into that one space) or, inside a word too long
 * for a line, with YAML's escaped line break ("\" at the end of the line).
 * A map key too long for its line becomes an explicit key ("? key" then
 * ": value"). The report therefore stays a valid YAML document whose values
 * are the profile's strings unchanged. In the charts, node ids are cut to
 * the label column with an ellipsis; the bars take the rest of the width.
 */
#include "report_text.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MIN_WIDTH 60
#define MAX_WIDTH 512
#define CHART_INDENT 4

/* A writer that stops at the first error (checked once at the end). tmp is
 * scratch space for escaping and formatting single values. */
typedef struct tw {
    dp_buf *b;
    size_t start; /* where this report began in b */
    size_t width;
    int err;
    dp_buf tmp;
} tw;

static void put_n(tw *w, const char *s, size_t n)
{
    dp__buf_put(w->b, &w->err, s, n);
}

static void put(tw *w, const char *s)
{
    put_n(w, s, strlen(s));
}

static void putf(tw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(tw *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dp__buf_vputf(w->b, &w->err, 256, fmt, ap);
    va_end(ap);
}

static void repeat(tw *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(w, s);
}

static void spaces(tw *w, size_t n)
{
    repeat(w, " ", n);
}

/* Code points in s[0..n) (UTF-8 continuation bytes are not counted). */
static size_t cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Column of the write position: code points since the last newline. */
static size_t cur_col(const tw *w)
{
    size_t i = w->b->len;
    if (w->b->data == NULL)
        return 0;
    while (i > w->start && w->b->data[i - 1] != '\n')
        i--;
    return cps(w->b->data + i, w->b->len - i);
}

/* True when s can be printed as a bare YAML scalar that reads back as the
 * same string, in block and flow context alike. */
static bool is_plain(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    if (!(s[0] >= 'a' && s[0] <= 'z') && !(s[0] >= 'A' && s[0] <= 'Z') &&
        !(s[0] >= '0' && s[0] <= '9') && s[0] != '_')
        return false;
    for (const char *c = s; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
            !(*c >= '0' && *c <= '9') && strchr("_./-", *c) == NULL)
            return false;
    return true;
}

/* Bytes of the unit at t[i] of an escaped JSON string: an escape sequence
 * (never split) or one UTF-8 code point. */
static size_t unit_len(const char *t, size_t i, size_t n)
{
    unsigned char c = (unsigned char)t[i];
    size_t len;

    if (c == '\\')
        len = i + 1 < n && t[i + 1] == 'u' ? 6 : 2;
    else if (c < 0x80)
        len = 1;
    else if (c >= 0xF0)
        len = 4;
    else if (c >= 0xE0)
        len = 3;
    else
        len = 2;
    return len < n - i ? len : n - i;
}

/* Writes s as a YAML double-quoted string starting at the current column,
 * wrapping into continuation lines indented by cont (see the file comment).
 * Leaves the write position at the end of the closing quote. */
static void quoted(tw *w, const char *s, size_t cont)
{
    const char *t;
    size_t n, pos = 0, col = cur_col(w);
    size_t avail = w->width > col ? w->width - col : 0;

    dp_buf_reset(&w->tmp);
    if (w->err == 0 && dp_buf_json_string(&w->tmp, s) != 0)
        w->err = DP_ENOMEM;
    if (w->err != 0)
        return;
    t = w->tmp.data;
    n = w->tmp.len;
    for (;;) {
        size_t i = pos, c = 0, brk_space = SIZE_MAX, brk_hard = SIZE_MAX;
        bool fits = true;
        while (i < n) {
            size_t ul = unit_len(t, i, n), uc = t[i] == '\\' ? ul : 1;
            if (i > pos) {
                /* A single space between two non-spaces folds back exactly;
                 * an escaped break must not touch a space (YAML trims it). */
                if (t[i] == ' ' && t[i - 1] != ' ' && i + 1 < n &&
                    t[i + 1] != ' ' && c <= avail)
                    brk_space = i;
                if (t[i] != ' ' && t[i - 1] != ' ' && c + 1 <= avail)
                    brk_hard = i;
            }
            if (c + uc > avail) {
                fits = false;
                break;
            }
            c += uc;
            i += ul;
        }
        if (fits) {
            put_n(w, t + pos, n - pos);
            return;
        }
        if (brk_space != SIZE_MAX) {
            put_n(w, t + pos, brk_space - pos);
            pos = brk_space + 1;
        } else if (brk_hard != SIZE_MAX) {
            put_n(w, t + pos, brk_hard - pos);
            put(w, "\\");
            pos = brk_hard;
        } else { /* not even one unit fits: give up wrapping */
            put_n(w, t + pos, n - pos);
            return;
        }
        put(w, "\n");
        spaces(w, cont);
        avail = w->width > cont ? w->width - cont : 0;
    }
}

/* Writes s bare when it is plain and fits on the line, else quoted. */
static void scalar(tw *w, const char *s, size_t cont)
{
    if (is_plain(s) && cur_col(w) + strlen(s) <= w->width)
        put(w, s);
    else
        quoted(w, s ? s : "", cont);
}

/* "<indent>key: " then the string s (plain when allowed), newline. */
static void kv_str(tw *w, size_t indent, const char *key, const char *s,
                   bool allow_plain)
{
    spaces(w, indent);
    putf(w, "%s: ", key);
    if (allow_plain)
        scalar(w, s, indent + 2);
    else
        quoted(w, s ? s : "", indent + 2);
    put(w, "\n");
}

/* "<indent>key: <formatted value>" for short values (numbers, units). */
static void kv(tw *w, size_t indent, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void kv(tw *w, size_t indent, const char *key, const char *fmt, ...)
{
    char val[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    spaces(w, indent);
    putf(w, "%s: %s\n", key, val);
}

/* v, or 0 when it would print as a negative zero with `decimals`. */
static double tidy(double v, int decimals)
{
    return fabs(v) < 0.5 * pow(10, -decimals) ? 0.0 : v;
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

/* Formats ns as "<ms with 3 decimals>ms" into out (>= 32 bytes). */
static const char *fmt_ms(char *out, size_t len, int64_t ns)
{
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000 + (mag % 1000 >= 500);
    snprintf(out, len, "%s%" PRIu64 ".%03" PRIu64 "ms",
             ns < 0 && us > 0 ? "-" : "", us / 1000, us % 1000);
    return out;
}

/* Formats pico-USD for display: "$" + USD rounded to 4 decimals, trailing
 * zeros trimmed; "<$0.0001" for a non-zero amount that rounds to zero. */
static const char *fmt_money(char *out, size_t len, int64_t pusd)
{
    return dp_money_text(out, len, pusd);
}

/* One map entry "<indent>name: value". A name that is not plain is quoted;
 * one too long for the line becomes an explicit YAML key. */
static void map_entry(tw *w, size_t indent, const char *name, const char *value)
{
    size_t vlen = strlen(value);

    spaces(w, indent);
    if (is_plain(name) && indent + strlen(name) + 2 + vlen <= w->width) {
        put(w, name);
        putf(w, ": %s\n", value);
        return;
    }
    dp_buf_reset(&w->tmp);
    if (w->err == 0 && dp_buf_json_string(&w->tmp, name ? name : "") != 0)
        w->err = DP_ENOMEM;
    if (w->err == 0 &&
        indent + cps(w->tmp.data, w->tmp.len) + 2 + vlen <= w->width) {
        put_n(w, w->tmp.data, w->tmp.len);
        putf(w, ": %s\n", value);
        return;
    }
    put(w, "? ");
    quoted(w, name ? name : "", indent + 2);
    put(w, "\n");
    spaces(w, indent);
    putf(w, ": %s\n", value);
}

/* A list of node ids: "key: [a, b, c]" when that fits on one line, else a
 * block sequence, one id per line. */
static void id_list(tw *w, size_t indent, const char *key, const dp_profile *p,
                    const size_t *idx, size_t n)
{
    size_t len = indent + strlen(key) + 4;
    bool flow = true;

    for (size_t i = 0; i < n; i++) {
        const char *id = idx[i] < p->n_nodes ? p->nodes[idx[i]].id : "";
        if (!is_plain(id))
            flow = false;
        else
            len += strlen(id) + (i > 0 ? 2 : 0);
    }
    spaces(w, indent);
    putf(w, "%s:", key);
    if (n == 0) {
        put(w, " []\n");
        return;
    }
    if (flow && len <= w->width) {
        put(w, " [");
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                put(w, ", ");
            put(w, p->nodes[idx[i]].id);
        }
        put(w, "]\n");
        return;
    }
    put(w, "\n");
    for (size_t i = 0; i < n; i++) {
        spaces(w, indent + 2);
        put(w, "- ");
        scalar(w, idx[i] < p->n_nodes ? p->nodes[idx[i]].id : "", indent + 4);
        put(w, "\n");
    }
}

static void named_list(tw *w, size_t indent, const char *key,
                       const dp_named_i64 *v, size_t n, bool money)
{
    char val[48];

    spaces(w, indent);
    putf(w, "%s:%s\n", key, n == 0 ? " {}" : "");
    for (size_t i = 0; i < n; i++) {
        if (money)
            fmt_money(val, sizeof(val), v[i].value);
        else
            snprintf(val, sizeof(val), "%" PRId64, v[i].value);
        map_entry(w, indent + 2, v[i].name, val);
    }
}

static void write_header(tw *w, const dp_profile *p)
{
    char ts[40], when[64];
    time_t secs = (time_t)(p->profiled_at_unix_ns / 1000000000u);
    struct tm tm;
    const char *reason;

    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        ts[0] = '\0';
    snprintf(when, sizeof(when), "%s.%03uZ", ts,
             (unsigned)(p->profiled_at_unix_ns / 1000000u % 1000u));

    /* Fits the 60-column minimum width. */
    put(w, "# in JSON: summary = metrics, nodeBreakdown = nodeMetrics,\n"
           "# bottlenecks = analysis.bottlenecks,\n"
           "# optimizations = recommendations\n");
    put(w, "performanceProfile:\n");
    kv_str(w, 2, "profileId", p->profile_id, false);
    kv_str(w, 2, "traceId", p->trace_id_hex, false);
    kv_str(w, 2, "dagId", p->dag_id, false);
    kv_str(w, 2, "profiledAt", when, false);
    if (!p->complete) {
        kv(w, 2, "complete", "false");
        reason = dp_incomplete_reason_name(p->incomplete_reason);
        if (reason != NULL)
            kv(w, 2, "incompleteReason", "%s", reason);
    }
    if (p->service_name)
        kv_str(w, 2, "serviceName", p->service_name, false);
    if (p->version)
        kv_str(w, 2, "version", p->version, false);
    if (p->session_id)
        kv_str(w, 2, "sessionId", p->session_id, false);
    if (p->n_warnings > 0) {
        put(w, "  warnings:\n");
        for (size_t i = 0; i < p->n_warnings; i++) {
            put(w, "    - ");
            scalar(w, p->warnings[i], 6);
            put(w, "\n");
        }
    }
}

/* A token count, or n/a when no span reported its usage type. */
static void kv_count(tw *w, size_t indent, const char *key, const dp_tokens *t,
                     unsigned bit, int64_t v)
{
    if (t->known & bit)
        kv(w, indent, key, "%" PRId64, v);
    else
        kv(w, indent, key, "n/a");
}

/* byNode lists what each node's own calls used, as the JSON does: every
 * leaf, and a group when its own calls used something. */
static bool by_node_listed(const dp_node *n, bool cost)
{
    return n->kind == DP_NODE_LEAF ||
           (cost ? n->own_cost_pusd != 0 : n->own_tokens != 0);
}

static void write_summary(tw *w, const dp_profile *p)
{
    char a[48];
    double eff = p->parallelization_efficiency * 100.0;

    put(w, "\n  summary:\n");
    kv(w, 4, "totalDuration", "%s", fmt_ms(a, sizeof(a), p->wall_ns));
    kv_count(w, 4, "totalTokens", &p->tokens, DP_TOK_INPUT | DP_TOK_OUTPUT,
             total_tokens(&p->tokens));
    kv(w, 4, "totalCost", "%s", fmt_money(a, sizeof(a), p->cost_pusd));
    if (isfinite(eff))
        kv(w, 4, "parallelizationEfficiency", "%.1f%%", tidy(eff, 1));
    else
        kv(w, 4, "parallelizationEfficiency", "n/a");
    kv(w, 4, "criticalPathDuration", "%s",
       fmt_ms(a, sizeof(a), p->critical_path_ns));
    id_list(w, 4, "criticalPath", p, p->critical_path, p->n_critical_path);
    if (isfinite(p->dag_parallelism))
        kv(w, 4, "dagParallelism", "%.2f", tidy(p->dag_parallelism, 2));
    else
        kv(w, 4, "dagParallelism", "n/a");
    kv(w, 4, "peakConcurrency", "%" PRIu32, p->peak_concurrency);
}

static void write_metrics(tw *w, const dp_profile *p)
{
    char a[48];

    put(w, "\n  metrics:\n    tokens:\n");
    const dp_tokens *t = &p->tokens;
    kv_count(w, 6, "inputTokens", t, DP_TOK_INPUT, t->input);
    kv_count(w, 6, "outputTokens", t, DP_TOK_OUTPUT, t->output);
    kv_count(w, 6, "cacheReadTokens", t, DP_TOK_CACHE_READ, t->cache_read);
    kv_count(w, 6, "cacheWriteTokens", t, DP_TOK_CACHE_WRITE, t->cache_write);
    kv_count(w, 6, "reasoningTokens", t, DP_TOK_REASONING, t->reasoning);
    named_list(w, 6, "byModel", p->tokens_by_model, p->n_tokens_by_model,
               false);
    spaces(w, 6);
    put(w, p->n_nodes == 0 ? "byNode: {}\n" : "byNode:\n");
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (!by_node_listed(&p->nodes[i], false))
            continue;
        snprintf(a, sizeof(a), "%" PRId64, p->nodes[i].own_tokens);
        map_entry(w, 8, p->nodes[i].id, a);
    }

    put(w, "\n    cost:\n");
    kv(w, 6, "totalCost", "%s", fmt_money(a, sizeof(a), p->cost_pusd));
    named_list(w, 6, "byModel", p->cost_by_model, p->n_cost_by_model, true);
    spaces(w, 6);
    put(w, p->n_nodes == 0 ? "byNode: {}\n" : "byNode:\n");
    for (size_t i = 0; i < p->n_nodes; i++)
        if (by_node_listed(&p->nodes[i], true))
            map_entry(w, 8, p->nodes[i].id,
                      fmt_money(a, sizeof(a), p->nodes[i].own_cost_pusd));
    kv(w, 6, "currency", "USD");
    if (p->n_unpriced_models > 0) {
        put(w, "      unpricedModels:\n");
        for (size_t i = 0; i < p->n_unpriced_models; i++) {
            put(w, "        - model: ");
            scalar(w, p->unpriced_models[i].name, 12);
            putf(w, "\n          tokens: %" PRId64 "\n",
                 p->unpriced_models[i].value);
        }
    }
}

static void write_nodes(tw *w, const dp_profile *p)
{
    char a[48];

    put(w,
        p->n_nodes == 0 ? "\n  nodeBreakdown: []\n" : "\n  nodeBreakdown:\n");
    for (size_t i = 0; i < p->n_nodes; i++) {
        const dp_node *n = &p->nodes[i];
        if (i > 0)
            put(w, "\n");
        put(w, "    - nodeId: ");
        scalar(w, n->id, 8);
        put(w, "\n");
        if (n->kind == DP_NODE_GROUP) {
            kv(w, 6, "kind", "group");
            id_list(w, 6, "children", p, n->children, n->n_children);
        }
        if (n->parent >= 0 && (size_t)n->parent < p->n_nodes)
            kv_str(w, 6, "parent", p->nodes[n->parent].id, false);
        kv(w, 6, "duration", "%s", fmt_ms(a, sizeof(a), n->duration_ns));
        kv(w, 6, "waitTime", "%s", fmt_ms(a, sizeof(a), n->wait_ns));
        kv(w, 6, "dependencyWait", "%s",
           fmt_ms(a, sizeof(a), n->dependency_wait_ns));
        kv(w, 6, "queueDelay", "%s", fmt_ms(a, sizeof(a), n->queue_delay_ns));
        kv(w, 6, "executionTime", "%s", fmt_ms(a, sizeof(a), n->execution_ns));
        kv_count(w, 6, "tokens", &n->tokens, DP_TOK_INPUT | DP_TOK_OUTPUT,
                 total_tokens(&n->tokens));
        kv(w, 6, "cost", "%s", fmt_money(a, sizeof(a), n->cost_pusd));
        kv(w, 6, "retries", "%" PRIu32, n->retries);
        kv(w, 6, "status", "%s", dp_status_name(n->status));
        id_list(w, 6, "dependsOn", p, n->deps, n->n_deps);
        kv(w, 6, "dependencySource", "%s", dp_dep_source_name(n->dep_source));
    }
}

static void write_findings(tw *w, const dp_profile *p)
{
    char a[48];

    put(w,
        p->n_bottlenecks == 0 ? "\n  bottlenecks: []\n" : "\n  bottlenecks:\n");
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        const dp_bottleneck *bn = &p->bottlenecks[i];
        if (i > 0)
            put(w, "\n");
        putf(w, "    - type: %s\n", dp_bottleneck_type_name(bn->type));
        kv_str(w, 6, "nodeId",
               bn->node < p->n_nodes ? p->nodes[bn->node].id : "", true);
        kv(w, 6, "severity", "%s", dp_severity_name(bn->severity));
        if (isfinite(bn->impact))
            kv(w, 6, "impact", "%.2f%%", tidy(bn->impact, 2));
        else
            kv(w, 6, "impact", "n/a");
        kv_str(w, 6, "details", bn->details, false);
        kv_str(w, 6, "recommendation", bn->recommendation, false);
    }

    put(w, p->n_optimizations == 0 ? "\n  optimizations: []\n"
                                   : "\n  optimizations:\n");
    if (p->n_optimizations > 0) /* fits the 60-column minimum width */
        put(w, "    # time saved by parallelize, cache and restructure_dag\n"
               "    # is simulated: the run's DAG replayed with the change\n"
               "    # (as dagprof whatif does); other savings by formula\n");
    for (size_t i = 0; i < p->n_optimizations; i++) {
        const dp_optimization *o = &p->optimizations[i];
        if (i > 0)
            put(w, "\n");
        putf(w, "    - type: %s\n", dp_optimization_type_name(o->type));
        kv(w, 6, "priority", "%s", dp_severity_name(o->priority));
        if (o->saving_time_ns == 0 && o->saving_tokens == 0 &&
            o->saving_cost_pusd == 0)
            put(w, "      estimatedSavings: {}\n");
        else
            put(w, "      estimatedSavings:\n");
        if (o->saving_time_ns != 0)
            kv(w, 8, "time", "%s", fmt_ms(a, sizeof(a), o->saving_time_ns));
        if (o->saving_tokens != 0)
            kv(w, 8, "tokens", "%" PRId64, o->saving_tokens);
        if (o->saving_cost_pusd != 0)
            kv(w, 8, "cost", "%s",
               fmt_money(a, sizeof(a), o->saving_cost_pusd));
        kv_str(w, 6, "description", o->description, false);
        kv_str(w, 6, "implementation", o->implementation, false);
    }
}

/* ---- charts ------------------------------------------------------------- */

static void box_edge(tw *w, const char *left, const char *right)
{
    size_t box = w->width - CHART_INDENT;
    spaces(w, CHART_INDENT);
    put(w, left);
    repeat(w, "─", box - 2);
    put(w, right);
    put(w, "\n");
}

/* A row with a message instead of bars. */
static void box_text(tw *w, const char *text)
{
    size_t inner = w->width - CHART_INDENT - 2;
    spaces(w, CHART_INDENT);
    put(w, "│ ");
    put(w, text);
    spaces(w, inner - 1 - strlen(text));
    put(w, "│\n");
}

/* A display label for the chart: s escaped (no control characters, valid
 * UTF-8), cut to cols code points with an ellipsis, padded to cols. */
static void chart_label(tw *w, const char *s, size_t cols)
{
    const char *t;
    size_t n, c, i;

    dp_buf_reset(&w->tmp);
    if (w->err == 0 && dp_buf_json_string(&w->tmp, s ? s : "") != 0)
        w->err = DP_ENOMEM;
    if (w->err != 0)
        return;
    t = w->tmp.data + 1; /* without the quotes */
    n = w->tmp.len - 2;
    c = cps(t, n);
    if (c <= cols) {
        put_n(w, t, n);
        spaces(w, cols - c);
        return;
    }
    /* Keep cols - 1 code points, then the ellipsis. */
    for (i = 0, c = 0; i < n; i++) {
        if (((unsigned char)t[i] & 0xC0) != 0x80 && c++ == cols - 1)
            break;
    }
    put_n(w, t, i);
    put(w, "…");
}

/* One bar row: "│ label bar pct% │" filling the box exactly. frac is the
 * row's share (clamped to [0, 1]). */
static void bar_row(tw *w, const char *label, size_t label_cols, double frac)
{
    size_t box = w->width - CHART_INDENT;
    size_t bar = box - 10 - label_cols, fill;
    int pct;

    if (!(frac > 0.0))
        frac = 0.0;
    if (frac > 1.0)
        frac = 1.0;
    fill = (size_t)floor(frac * (double)bar + 0.5);
    pct = (int)floor(frac * 100.0 + 0.5);
    spaces(w, CHART_INDENT);
    put(w, "│ ");
    chart_label(w, label, label_cols);
    put(w, " ");
    repeat(w, "█", fill);
    repeat(w, "░", bar - fill);
    putf(w, " %3d%% │\n", pct);
}

static void write_charts(tw *w, const dp_profile *p)
{
    size_t box = w->width - CHART_INDENT;
    size_t label = 1, cap = (box - 10) / 2;
    double exec = 0, wait = 0; /* only their ratio is shown; never overflow */

    put(w, "\n  visualization: |\n");
    spaces(w, CHART_INDENT);
    put(w, "Cost Distribution by Node\n");
    box_edge(w, "┌", "┐");
    for (size_t i = 0; i < p->n_nodes; i++) {
        dp_buf_reset(&w->tmp);
        if (w->err == 0 &&
            dp_buf_json_string(&w->tmp, p->nodes[i].id ? p->nodes[i].id : "") !=
                0)
            w->err = DP_ENOMEM;
        if (w->err == 0 && cps(w->tmp.data, w->tmp.len) - 2 > label)
            label = cps(w->tmp.data, w->tmp.len) - 2;
    }
    if (label > cap)
        label = cap;
    if (p->cost_pusd <= 0 || p->n_nodes == 0)
        box_text(w, "no cost recorded");
    else
        for (size_t i = 0; i < p->n_nodes; i++)
            if (by_node_listed(&p->nodes[i], true))
                bar_row(w, p->nodes[i].id, label,
                        (double)p->nodes[i].own_cost_pusd /
                            (double)p->cost_pusd);
    box_edge(w, "└", "┘");

    for (size_t i = 0; i < p->n_nodes; i++) { /* leaves: the DAG */
        if (p->nodes[i].kind != DP_NODE_LEAF)
            continue;
        exec += (double)p->nodes[i].execution_ns;
        wait += (double)p->nodes[i].wait_ns;
    }
    put(w, "\n");
    spaces(w, CHART_INDENT);
    put(w, "Time Distribution\n");
    box_edge(w, "┌", "┐");
    if (exec + wait <= 0)
        box_text(w, "no time recorded");
    else {
        bar_row(w, "Execution", 9, exec / (exec + wait));
        bar_row(w, "Wait Time", 9, wait / (exec + wait));
    }
    box_edge(w, "└", "┘");
}

int dp_report_text_write(dp_buf *out, const dp_profile *p, int width)
{
    tw w;

    if (out == NULL || p == NULL)
        return DP_EINVAL;
    if (width <= 0)
        width = 80;
    if (width < MIN_WIDTH)
        width = MIN_WIDTH;
    if (width > MAX_WIDTH)
        width = MAX_WIDTH;
    w.b = out;
    w.start = out->len;
    w.width = (size_t)width;
    w.err = 0;
    dp_buf_init(&w.tmp);

    write_header(&w, p);
    write_summary(&w, p);
    write_metrics(&w, p);
    write_nodes(&w, p);
    write_findings(&w, p);
    write_charts(&w, p);

    dp_buf_fini(&w.tmp);
    if (w.err != 0) {
        out->len = w.start;
        if (out->data != NULL)
            out->data[w.start] = '\0';
    }
    return w.err;
}
