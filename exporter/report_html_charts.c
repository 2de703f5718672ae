/*
 * report_html_charts.c - the HTML report's bar charts and run trends.
 *
 * Cost and tokens of a run by node (what each node's own calls used, the
 * profile's byNode) and by model, as horizontal SVG bars: the largest 12
 * and one bar for the rest, so a 500-node run stays one screen. Unpriced
 * models are listed in the cost chart as such, never as $0 bars.
 *
 * Trends of one DAG over several runs: wall and cost per run against its
 * start time (evenly spaced when every run started in the same second),
 * incomplete runs as hollow points, and horizontal p50 and p95 lines
 * (nearest rank, order_stats.h's, the one percentile of dagprof),
 * then the table of the runs. The same writers serve a server's pages: the
 * run list links each run to its href.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order_stats.h"
#include "report_html_internal.h"

#define BAR_SHOWN 12
#define CHART_W 580.0
#define BAR_LABEL_W 180.0
#define BAR_X0 188.0
#define BAR_W 300.0
#define BAR_ROW 20.0

typedef struct bar_item {
    const char *label;
    int64_t value;
    bool unpriced;
} bar_item;

static int cmp_bar(const void *a, const void *b)
{
    const bar_item *x = a, *y = b;
    if (x->unpriced != y->unpriced)
        return x->unpriced ? 1 : -1;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return strcmp(x->label ? x->label : "", y->label ? y->label : "");
}

static const char *bar_value(char *out, size_t len, int64_t v, bool money)
{
    return money ? dp__html_money(out, len, v) : dp__html_count(out, len, v);
}

/* One chart of items[0..n) (sorted here); money: values are pico-USD. */
static void bar_chart(dp__hw *w, const char *title, const char *what,
                      bar_item *items, size_t n, bool money)
{
    size_t shown = n <= BAR_SHOWN + 1 ? n : BAR_SHOWN, rows;
    int64_t max = 0, rest = 0;
    char v[64];
    bool any = false;
    qsort(items, n, sizeof(*items), cmp_bar);
    for (size_t i = 0; i < n; i++) {
        if (items[i].value > max)
            max = items[i].value;
        any = any || items[i].value > 0 || items[i].unpriced;
        if (i >= shown && __builtin_add_overflow(rest, items[i].value, &rest))
            rest = INT64_MAX; /* saturate: only the bar's length uses it */
    }
    if (rest > max) /* the bar of the rest is scaled like the others */
        max = rest;
    dp__hw_put(w, "<figure class=\"bars\"><figcaption><h4>");
    dp__hw_esc(w, title);
    dp__hw_put(w, "</h4></figcaption>");
    if (!any) {
        dp__hw_putf(w, "<p class=\"muted\">No %s recorded.</p></figure>\n",
                    what);
        return;
    }
    rows = shown + (shown < n ? 1 : 0);
    dp__hw_putf(w,
                "<svg class=\"barchart\" width=\"%.0f\" height=\"%.0f\" "
                "viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
                CHART_W, rows * BAR_ROW + 6, CHART_W, rows * BAR_ROW + 6);
    for (size_t i = 0; i < rows; i++) {
        bool other = i == shown;
        int64_t val = other ? rest : items[i].value;
        bool unp = !other && items[i].unpriced;
        double y = 3 + i * BAR_ROW, bw = max > 0 ? BAR_W * val / max : 0;
        dp__hw_put(w, "<g class=\"bar-row\"><title>");
        if (other)
            dp__hw_putf(w, "%zu more", n - shown);
        else
            dp__hw_esc(w, items[i].label);
        dp__hw_putf(w,
                    ": %s</title><text class=\"mono\" x=\"%.1f\" "
                    "y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">",
                    unp ? "unpriced" : bar_value(v, sizeof(v), val, money),
                    BAR_LABEL_W, y + 13);
        if (other)
            dp__hw_putf(w, "%zu more", n - shown);
        else
            dp__hw_esc_cut(w, items[i].label, 27);
        dp__hw_putf(w,
                    "</text><rect class=\"bar%s%s\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"%.1f\" height=\"14\"/><text class=\"val\" "
                    "x=\"%.1f\" y=\"%.1f\">%s</text></g>",
                    money ? " cost" : "", unp ? " unp" : "", BAR_X0, y + 2,
                    unp ? 0 : (bw < 1 && val > 0 ? 1 : bw),
                    BAR_X0 + (unp ? 0 : bw) + 6, y + 13,
                    unp ? "unpriced" : bar_value(v, sizeof(v), val, money));
    }
    dp__hw_put(w, "</svg></figure>\n");
}

void dp__html_cost_charts(dp__hw *w, const dp_profile *p, unsigned index)
{
    size_t nm = p->n_cost_by_model + p->n_unpriced_models;
    size_t cap = p->n_nodes > nm ? p->n_nodes : nm;
    size_t k;
    bar_item *items;
    (void)index;
    if (w->err)
        return;
    items = calloc(cap ? cap : 1, sizeof(*items));
    if (!items) {
        w->err = DP_ENOMEM;
        return;
    }
    dp__hw_put(w, "<div class=\"charts\">\n");
    for (size_t i = 0; i < p->n_nodes; i++) {
        items[i].label = p->nodes[i].id;
        items[i].value = p->nodes[i].own_cost_pusd;
        items[i].unpriced = false;
    }
    bar_chart(w, "Cost by node (its own calls)", "cost", items, p->n_nodes,
              true);
    for (size_t i = 0; i < p->n_nodes; i++) {
        items[i].label = p->nodes[i].id;
        items[i].value = p->nodes[i].own_tokens;
        items[i].unpriced = false;
    }
    bar_chart(w, "Tokens by node (its own calls)", "tokens", items, p->n_nodes,
              false);
    k = 0;
    for (size_t i = 0; i < p->n_cost_by_model; i++) {
        items[k].label = p->cost_by_model[i].name;
        items[k].value = p->cost_by_model[i].value;
        items[k++].unpriced = false;
    }
    for (size_t i = 0; i < p->n_unpriced_models; i++) {
        bool listed = false;
        for (size_t j = 0; j < p->n_cost_by_model && !listed; j++)
            listed = p->cost_by_model[j].name && p->unpriced_models[i].name &&
                     strcmp(p->cost_by_model[j].name,
                            p->unpriced_models[i].name) == 0 &&
                     p->cost_by_model[j].value > 0;
        if (listed)
            continue;
        for (size_t j = 0; j < k; j++)
            if (items[j].label && p->unpriced_models[i].name &&
                strcmp(items[j].label, p->unpriced_models[i].name) == 0)
                items[j].unpriced = true, listed = true;
        if (listed)
            continue;
        items[k].label = p->unpriced_models[i].name;
        items[k].value = 0;
        items[k++].unpriced = true;
    }
    bar_chart(w, "Cost by model", "cost", items, k, true);
    for (size_t i = 0; i < p->n_tokens_by_model; i++) {
        items[i].label = p->tokens_by_model[i].name;
        items[i].value = p->tokens_by_model[i].value;
        items[i].unpriced = false;
    }
    bar_chart(w, "Tokens by model", "tokens", items, p->n_tokens_by_model,
              false);
    dp__hw_put(w, "</div>\n");
    free(items);
}

/* ---- trends ---------------------------------------------------------- */

typedef struct run_key {
    uint64_t start;
    size_t idx;
} run_key;

static int cmp_run(const void *a, const void *b)
{
    const run_key *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

#define TR_W 580.0
#define TR_H 250.0
#define TR_X0 70.0
#define TR_X1 500.0
#define TR_Y0 16.0
#define TR_Y1 200.0

static const char *tr_value(char *out, size_t len, int64_t v, bool money,
                            int64_t step)
{
    if (money)
        return dp__html_money(out, len, v);
    return step ? dp__html_tick_label(out, len, v, step)
                : dp__html_dur(out, len, v);
}

/* One trend chart: values v[order[k]] of the runs against time. */
static void trend_chart(dp__hw *w, const dp_html_trend_run *runs,
                        const size_t *order, size_t n, bool money, int64_t p50,
                        int64_t p95)
{
    const char *cls = money ? " cost" : "";
    int64_t max = 0, step, top;
    uint64_t t0 = runs[order[0]].start_unix_ns;
    uint64_t t1 = runs[order[n - 1]].start_unix_ns;
    bool by_time = t1 - t0 >= 1000000000ULL;
    char a[64], b[64], c[64];
    for (size_t k = 0; k < n; k++) {
        const dp_html_trend_run *r = &runs[order[k]];
        int64_t v = money ? r->cost_pusd : r->wall_ns;
        if (v > max)
            max = v;
    }
    step = dp__html_nice_step(max, 5);
    if (max > 0) {
        int64_t q = max / step + (max % step != 0);
        top = q > INT64_MAX / step ? max : q * step;
    } else {
        top = step;
    }
    dp__hw_putf(w,
                "<figure class=\"trendchart\"><figcaption><h4>%s per run"
                "</h4></figcaption><svg width=\"%.0f\" height=\"%.0f\" "
                "viewBox=\"0 0 %.0f %.0f\" role=\"img\" data-points=\"%zu\">",
                money ? "Cost" : "Wall time", TR_W, TR_H, TR_W, TR_H, n);
    for (int64_t v = 0, k = 0; v <= top && k <= 12; v += step, k++) {
        double y = TR_Y1 - (TR_Y1 - TR_Y0) * (double)v / (double)top;
        dp__hw_putf(w,
                    "<line class=\"gl\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                    "y2=\"%.1f\"/><text class=\"ax\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"end\">%s</text>",
                    TR_X0, y, TR_X1, y, TR_X0 - 6, y + 4,
                    tr_value(a, sizeof(a), v, money, step));
        if (v > INT64_MAX - step)
            break;
    }
    /* x: time, or the run's rank when all started within a second. */
    double xs[3] = {TR_X0, (TR_X0 + TR_X1) / 2, TR_X1};
    uint64_t ts[3] = {t0, t0 + (t1 - t0) / 2, t1};
    for (int i = 0; i < (n > 1 ? 3 : 1); i++) {
        if (!by_time && i == 1)
            continue;
        dp__hw_putf(w,
                    "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"%s\">%s</text>",
                    n > 1 ? xs[i] : (TR_X0 + TR_X1) / 2, TR_Y1 + 16,
                    i == 0 && n > 1 ? "start"
                    : i == 2        ? "end"
                                    : "middle",
                    dp__html_utc(a, sizeof(a), ts[i], false, true));
    }
    dp__hw_putf(w,
                "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"middle\">%s (UTC)</text>",
                (TR_X0 + TR_X1) / 2, TR_Y1 + 34,
                by_time ? "run start" : "runs in order of start");
    dp__hw_put(w, "<polyline class=\"ln\" points=\"");
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < n; k++) {
            const dp_html_trend_run *r = &runs[order[k]];
            int64_t v = money ? r->cost_pusd : r->wall_ns;
            double x = n == 1    ? (TR_X0 + TR_X1) / 2
                       : by_time ? TR_X0 + (TR_X1 - TR_X0) *
                                               (double)(r->start_unix_ns - t0) /
                                               (double)(t1 - t0)
                                 : TR_X0 + (TR_X1 - TR_X0) * k / (n - 1);
            double y = TR_Y1 - (TR_Y1 - TR_Y0) * (double)v / (double)top;
            if (pass == 0) {
                dp__hw_putf(w, "%s%.1f,%.1f", k ? " " : "", x, y);
                continue;
            }
            dp__hw_putf(w,
                        "<circle class=\"pt%s%s\" cx=\"%.1f\" cy=\"%.1f\" "
                        "r=\"3.5\"><title>",
                        cls, r->complete ? "" : " inc", x, y);
            dp__hw_put(
                w, dp__html_utc(a, sizeof(a), r->start_unix_ns, true, true));
            dp__hw_put(w, " UTC, run ");
            dp__hw_esc(w, r->trace_id);
            if (r->version) {
                dp__hw_put(w, ", version ");
                dp__hw_esc(w, r->version);
            }
            dp__hw_putf(w, "\nwall %s, cost %s%s</title></circle>",
                        dp__html_dur(b, sizeof(b), r->wall_ns),
                        dp__html_money(c, sizeof(c), r->cost_pusd),
                        r->complete ? "" : " (incomplete)");
        }
        if (pass == 0)
            dp__hw_put(w, "\"/>");
    }
    for (int q = 0; q < 2; q++) {
        int64_t v = q ? p95 : p50;
        double y = TR_Y1 - (TR_Y1 - TR_Y0) * (double)v / (double)top;
        dp__hw_putf(w,
                    "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                    "y2=\"%.1f\"/><text class=\"%st\" x=\"%.1f\" y=\"%.1f\">"
                    "%s %s</text>",
                    q ? "p95" : "p50", TR_X0, y, TR_X1, y, q ? "p95" : "p50",
                    TR_X1 + 6, y + (q ? -2 : 10), q ? "p95" : "p50",
                    tr_value(a, sizeof(a), v, money, 0));
    }
    dp__hw_put(w, "</svg></figure>\n");
}

int dp_html_trend_section(dp_buf *out, const char *dag_id,
                          const dp_html_trend_run *runs, size_t n,
                          unsigned index)
{
    size_t *order = NULL, incomplete = 0;
    run_key *keys = NULL;
    int64_t *wall = NULL, *cost = NULL;
    char a[64], b[64];
    if (out == NULL || runs == NULL || n == 0)
        return DP_EINVAL;
    dp__hw w = dp__hw_begin(out);
    order = malloc(n * sizeof(*order));
    wall = malloc(n * sizeof(*wall));
    cost = malloc(n * sizeof(*cost));
    keys = malloc(n * sizeof(*keys));
    if (!order || !wall || !cost || !keys) {
        free(order), free(wall), free(cost), free(keys);
        return DP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i].start = runs[i].start_unix_ns;
        keys[i].idx = i;
        wall[i] = runs[i].wall_ns;
        cost[i] = runs[i].cost_pusd;
        incomplete += !runs[i].complete;
    }
    qsort(keys, n, sizeof(*keys), cmp_run);
    for (size_t i = 0; i < n; i++)
        order[i] = keys[i].idx;
    free(keys);
    dp_stats_sort_i64(wall, n);
    dp_stats_sort_i64(cost, n);
    int64_t w50 = dp_stats_percentile(wall, n, 50);
    int64_t w95 = dp_stats_percentile(wall, n, 95);
    int64_t c50 = dp_stats_percentile(cost, n, 50);
    int64_t c95 = dp_stats_percentile(cost, n, 95);

    dp__hw_putf(&w,
                "<section class=\"trend\" id=\"dag-%u\" data-runs=\"%zu\">"
                "\n<h2>",
                index, n);
    dp__hw_esc(&w, dag_id && dag_id[0] ? dag_id : "(no dag id)");
    dp__hw_putf(&w,
                " <span class=\"muted\">over %zu run%s</span></h2>\n"
                "<p class=\"meta\">from ",
                n, n == 1 ? "" : "s");
    dp__hw_put(&w, dp__html_utc(a, sizeof(a), runs[order[0]].start_unix_ns,
                                true, true));
    dp__hw_put(&w, " to ");
    dp__hw_put(&w, dp__html_utc(b, sizeof(b), runs[order[n - 1]].start_unix_ns,
                                true, true));
    dp__hw_putf(&w,
                " UTC \xC2\xB7 %zu incomplete \xC2\xB7 percentiles are "
                "nearest rank</p>\n<div class=\"figs\">",
                incomplete);
    dp__hw_putf(&w,
                "<div class=\"fig\" data-k=\"wall-p50\"><div class=\"v\">%s"
                "</div><div class=\"k\">wall p50</div></div>",
                dp__html_dur(a, sizeof(a), w50));
    dp__hw_putf(&w,
                "<div class=\"fig\" data-k=\"wall-p95\"><div class=\"v\">%s"
                "</div><div class=\"k\">wall p95</div></div>",
                dp__html_dur(a, sizeof(a), w95));
    dp__hw_putf(&w,
                "<div class=\"fig\" data-k=\"cost-p50\"><div class=\"v\">%s"
                "</div><div class=\"k\">cost p50</div></div>",
                dp__html_money(a, sizeof(a), c50));
    dp__hw_putf(&w,
                "<div class=\"fig\" data-k=\"cost-p95\"><div class=\"v\">%s"
                "</div><div class=\"k\">cost p95</div></div></div>\n",
                dp__html_money(a, sizeof(a), c95));
    dp__hw_put(&w, "<div class=\"charts\">\n");
    trend_chart(&w, runs, order, n, false, w50, w95);
    trend_chart(&w, runs, order, n, true, c50, c95);
    dp__hw_put(&w, "</div>\n<details><summary>Runs</summary>\n");
    free(wall), free(cost);
    /* The list in start order. */
    dp_html_trend_run *sorted = malloc(n * sizeof(*sorted));
    if (!sorted) {
        w.err = DP_ENOMEM;
    } else {
        for (size_t k = 0; k < n; k++)
            sorted[k] = runs[order[k]];
        if (w.err == 0)
            w.err = dp_html_run_list(out, sorted, n);
        free(sorted);
    }
    dp__hw_put(&w, "</details>\n</section>\n");
    free(order);
    return dp__hw_end(&w);
}

int dp_html_run_list(dp_buf *out, const dp_html_trend_run *runs, size_t n)
{
    char a[64], b[64], c[64];
    if (out == NULL || (runs == NULL && n > 0))
        return DP_EINVAL;
    dp__hw w = dp__hw_begin(out);
    dp__hw_put(&w, "<div class=\"scroll\"><table class=\"runs\">\n<tr><th>DAG"
                   "</th><th>started (UTC)</th><th>run</th><th>version</th>"
                   "<th class=\"n\">wall</th><th class=\"n\">cost</th>"
                   "<th class=\"n\">tokens</th><th>complete</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const dp_html_trend_run *r = &runs[i];
        dp__hw_put(&w, "<tr><td>");
        dp__hw_esc(&w, r->dag_id);
        dp__hw_putf(&w, "</td><td>%s</td><td class=\"mono\">",
                    dp__html_utc(a, sizeof(a), r->start_unix_ns, true, true));
        if (r->href) {
            dp__hw_put(&w, "<a href=\"");
            dp__hw_esc(&w, r->href);
            dp__hw_put(&w, "\">");
        }
        dp__hw_esc(&w, r->trace_id);
        if (r->href)
            dp__hw_put(&w, "</a>");
        dp__hw_put(&w, "</td><td>");
        dp__hw_esc(&w, r->version);
        dp__hw_putf(&w,
                    "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                    "<td class=\"n\">%s</td><td>%s</td></tr>\n",
                    dp__html_dur(a, sizeof(a), r->wall_ns),
                    dp__html_money(b, sizeof(b), r->cost_pusd),
                    dp__html_count(c, sizeof(c), r->tokens),
                    r->complete ? "yes" : "no");
    }
    dp__hw_put(&w, "</table></div>\n");
    return dp__hw_end(&w);
}
