/*
 * report_html_gantt.c - the run's timeline as an SVG Gantt chart.
 *
 * One row per node in tree order (a group, then the nodes inside it,
 * siblings by start as in the profile), indented by depth. A leaf's bar is
 * split as DESIGN.md "Metrics" splits its time: dependency wait (run start
 * to ready, thin), queue delay (ready to start), execution (start to end);
 * its own LLM and tool calls are segments inside the execution, failed
 * calls in the failure colour; failed attempts before the last one are a
 * hatched overlay from the start (their total: the profile keeps no
 * per-attempt times) and retries a badge after the bar. A group is a
 * bracket over its children's span. Dependency arrows run from the end of
 * each dependency to the node's start (dashed when inferred from timing);
 * the critical path is drawn in its own colour, bars, labels and the arrows
 * between its consecutive nodes. Every row has a <title> with its numbers
 * (the browser's hover tooltip) and data-* attributes with exact values.
 *
 * Size: rows shrink from 24 to 13 px as nodes grow (500 nodes: 6.5k px,
 * labels 10 px), and past 60 nodes only the critical path's arrows are
 * always drawn: a row shows its incoming arrows while hovered (CSS :hover,
 * no script). Geometry is fixed (1200 px wide), the page scrolls.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_html_internal.h"

/* ---- axis ------------------------------------------------------------ */

int64_t dp__html_nice_step(int64_t range, unsigned max_ticks)
{
    static const int64_t mult[3] = {1, 2, 5};
    int64_t base = 1, need;
    if (range <= 0 || max_ticks == 0)
        return 1;
    /* ceil(range / max_ticks) without overflowing near INT64_MAX */
    need = range / max_ticks + (range % max_ticks != 0);
    for (;;) {
        for (int i = 0; i < 3; i++) {
            if (base > INT64_MAX / mult[i])
                return INT64_MAX;
            if (base * mult[i] >= need)
                return base * mult[i];
        }
        if (base > INT64_MAX / 10)
            return INT64_MAX;
        base *= 10;
    }
}

const char *dp__html_tick_label(char *out, size_t len, int64_t t_ns,
                                int64_t step_ns)
{
    int64_t unit = step_ns >= 1000000000 ? 1000000000 : 1000000;
    const char *name = unit == 1000000000 ? "s" : "ms";
    int64_t q = unit; /* 10^(digits of unit - decimals) */
    int dec = 0;
    uint64_t a = t_ns < 0 ? (uint64_t)0 - (uint64_t)t_ns : (uint64_t)t_ns;
    if (step_ns <= 0)
        step_ns = 1;
    while (q > 1 && step_ns % q != 0) {
        q /= 10;
        dec++;
    }
    char frac[16] = "";
    if (dec > 0) {
        uint64_t f = a % (uint64_t)unit / (uint64_t)q;
        frac[0] = '.';
        for (int i = dec; i >= 1; i--, f /= 10)
            frac[i] = (char)('0' + f % 10);
        frac[dec + 1] = '\0';
    }
    snprintf(out, len, "%s%" PRIu64 "%s %s", t_ns < 0 ? "-" : "",
             a / (uint64_t)unit, frac, name);
    return out;
}

/* ---- layout ---------------------------------------------------------- */

int dp__html_layout_init(dp__html_layout *l, const dp_profile *p)
{
    size_t n = p->n_nodes, top, nrow = 0;
    long *first = NULL, *next = NULL;
    size_t *stack = NULL;
    unsigned *depth = NULL;
    bool *seen = NULL;
    memset(l, 0, sizeof(*l));
    l->row_h = n <= 40 ? 24 : n <= 120 ? 18 : 13;
    l->bar_h = n <= 40 ? 14 : n <= 120 ? 11 : 8;
    l->font_px = n <= 40 ? 12 : n <= 120 ? 11 : 10;
    l->label_chars = (unsigned)((DP__HTML_LABEL_W - 4) / (l->font_px * 0.6));
    l->big = n > 60;
    l->span_ns = p->wall_ns;
    for (size_t i = 0; i < n; i++)
        if (p->nodes[i].end_ns > l->span_ns)
            l->span_ns = p->nodes[i].end_ns;
    if (l->span_ns <= 0)
        l->span_ns = 1000000; /* a zero-length run: a 1 ms axis */
    l->height = DP__HTML_AXIS_H + (double)(n ? n : 1) * l->row_h + 8;
    if (n == 0)
        return 0;

    l->rows = calloc(n, sizeof(*l->rows));
    l->row_of = calloc(n, sizeof(*l->row_of));
    first = malloc(n * sizeof(*first));
    next = malloc(n * sizeof(*next));
    stack = malloc(n * sizeof(*stack));
    depth = calloc(n, sizeof(*depth));
    seen = calloc(n, sizeof(*seen));
    if (!l->rows || !l->row_of || !first || !next || !stack || !depth ||
        !seen) {
        free(first), free(next), free(stack), free(depth), free(seen);
        dp__html_layout_fini(l);
        return DP_ENOMEM;
    }
    /* Children lists from the parent links, in profile order (a profile
     * read from a file may have links that do not form a tree: whatever
     * no walk from a top-level node reaches is appended at depth 0). */
    for (size_t i = 0; i < n; i++)
        first[i] = -1;
    for (size_t i = n; i-- > 0;) {
        long par = p->nodes[i].parent;
        next[i] = -1;
        if (par >= 0 && (size_t)par < n && (size_t)par != i) {
            next[i] = first[par];
            first[par] = (long)i;
        }
    }
    /* Top-level nodes first, then anything no walk reached. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t root = 0; root < n; root++) {
            long par = p->nodes[root].parent;
            bool is_top = par < 0 || (size_t)par >= n || (size_t)par == root;
            if (seen[root] || (pass == 0 && !is_top))
                continue;
            top = 0;
            stack[top++] = root;
            seen[root] = true;
            depth[root] = 0;
            while (top > 0) {
                size_t cur = stack[--top], mark = top;
                l->rows[nrow].node = cur;
                l->rows[nrow].depth = depth[cur];
                l->row_of[cur] = nrow++;
                for (long c = first[cur]; c >= 0; c = next[c]) {
                    if (seen[c])
                        continue;
                    seen[c] = true;
                    depth[c] = depth[cur] + 1;
                    stack[top++] = (size_t)c;
                }
                /* Reverse the children pushed so the first pops first. */
                for (size_t x = mark, y = top; x + 1 < y; x++, y--) {
                    size_t t = stack[x];
                    stack[x] = stack[y - 1];
                    stack[y - 1] = t;
                }
            }
        }
    }
    l->n_rows = nrow;
    for (size_t i = 0; i < nrow; i++)
        l->rows[i].y = DP__HTML_AXIS_H + (double)i * l->row_h;
    free(first), free(next), free(stack), free(depth), free(seen);
    return 0;
}

void dp__html_layout_fini(dp__html_layout *l)
{
    free(l->rows);
    free(l->row_of);
    l->rows = NULL;
    l->row_of = NULL;
    l->n_rows = 0;
}

double dp__html_x(const dp__html_layout *l, int64_t t_ns)
{
    double f = (double)t_ns / (double)l->span_ns;
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    return DP__HTML_PLOT_X0 + f * DP__HTML_PLOT_W;
}

/* ---- drawing --------------------------------------------------------- */

typedef struct gantt {
    dp__hw *w;
    const dp_profile *p;
    const dp__html_layout *l;
    unsigned idx;
    bool timed;
    long *cp_prev; /* node -> its predecessor on the critical path, -1 */
} gantt;

static void rect(dp__hw *w, const char *cls, double x0, double x1, double y,
                 double h, double min_w)
{
    double wd = x1 - x0;
    if (wd < min_w) {
        wd = min_w;
        if (x0 + wd > DP__HTML_PLOT_X0 + DP__HTML_PLOT_W)
            x0 = DP__HTML_PLOT_X0 + DP__HTML_PLOT_W - wd;
    }
    dp__hw_putf(w,
                "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\"/>",
                cls, x0, y, wd, h);
}

static void legend(gantt *g)
{
    static const struct {
        const char *cls, *label;
    } items[] = {{"dw", "dependency wait"},  {"qd", "queue delay"},
                 {"ex", "execution"},        {"ex crit", "critical path"},
                 {"seg llm", "LLM calls"},   {"seg tool", "tool calls"},
                 {"seg fail", "failed call"}};
    dp__hw *w = g->w;
    dp__hw_put(w, "<div class=\"legend\">");
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        dp__hw_putf(w,
                    "<span><svg width=\"14\" height=\"10\"><rect class=\"%s\" "
                    "x=\"0\" y=\"0\" width=\"14\" height=\"10\"/></svg>%s"
                    "</span>",
                    items[i].cls, items[i].label);
    }
    dp__hw_put(w, "<span><svg width=\"14\" height=\"10\"><path class=\"brk\" "
                  "d=\"M1,9V2H13V9\"/></svg>group (over its nodes)</span>"
                  "<span><svg width=\"14\" height=\"10\"><path class=\"dep\" "
                  "d=\"M0,5H14\"/></svg>dependency (dashed: inferred)</span>"
                  "<span>\xE2\x86\xBBN retries, hatched: failed "
                  "attempts</span>");
    if (!g->timed)
        dp__hw_put(w, "<span>from a profile file: the call segments show "
                      "each node's LLM and tool share of its execution, "
                      "not the calls' times</span>");
    if (g->l->big)
        dp__hw_put(w, "<span>many nodes: hover a row to see its "
                      "dependencies</span>");
    dp__hw_put(w, "</div>\n");
}

static void axis(gantt *g)
{
    dp__hw *w = g->w;
    const dp__html_layout *l = g->l;
    int64_t step = dp__html_nice_step(l->span_ns, 10);
    double bottom = l->height - 4;
    char t[48];
    dp__hw_putf(w,
                "<g class=\"axis\"><text class=\"ax\" x=\"4\" y=\"%.1f\">"
                "node</text>",
                DP__HTML_AXIS_H - 10);
    for (int64_t v = 0, k = 0; v <= l->span_ns && k <= 20; v += step, k++) {
        double x = dp__html_x(l, v);
        dp__hw_putf(w,
                    "<line class=\"gl\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                    "y2=\"%.1f\"/><text class=\"ax\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"%s\">%s</text>",
                    x, DP__HTML_AXIS_H - 6, x, bottom, x, DP__HTML_AXIS_H - 10,
                    v == 0 ? "start" : "middle",
                    dp__html_tick_label(t, sizeof(t), v, step));
        if (v > INT64_MAX - step)
            break;
    }
    dp__hw_put(w, "</g>\n");
}

/* The numbers of node i, one per line, for its hover title. */
static void node_title(gantt *g, const dp_node *n)
{
    dp__hw *w = g->w;
    const dp_profile *p = g->p;
    char a[48], b[48], c[48];
    dp__hw_put(w, "<title>");
    dp__hw_esc(w, n->id);
    dp__hw_putf(w, " (%s%s)\n", dp_node_kind_name(n->kind),
                n->on_critical_path ? ", on the critical path" : "");
    dp__hw_putf(w, "start %s, end %s\n",
                dp__html_dur(a, sizeof(a), n->start_ns),
                dp__html_dur(b, sizeof(b), n->end_ns));
    dp__hw_putf(w, "dependency wait %s, queue delay %s, execution %s\n",
                dp__html_dur(a, sizeof(a), n->dependency_wait_ns),
                dp__html_dur(b, sizeof(b), n->queue_delay_ns),
                dp__html_dur(c, sizeof(c), n->execution_ns));
    dp__hw_putf(w, "self %s, LLM %s, tool %s\n",
                dp__html_dur(a, sizeof(a), n->self_ns),
                dp__html_dur(b, sizeof(b), n->llm_ns),
                dp__html_dur(c, sizeof(c), n->tool_ns));
    dp__hw_putf(w, "attempts %" PRIu32 ", retries %" PRIu32 ", status %s",
                n->attempts, n->retries, dp_status_name(n->status));
    if (n->failed_attempts_ns > 0)
        dp__hw_putf(w, ", failed attempts %s",
                    dp__html_dur(a, sizeof(a), n->failed_attempts_ns));
    dp__hw_putf(w, "\ntokens %s, cost %s",
                dp__html_count(a, sizeof(a), dp__html_tokens(&n->tokens)),
                dp__html_money(b, sizeof(b), n->cost_pusd));
    for (size_t m = 0; m < n->n_models; m++) {
        dp__hw_put(w, m ? ", " : "\nmodels: ");
        dp__hw_esc(w, n->models[m]);
    }
    if (n->n_deps) {
        size_t shown = n->n_deps < 12 ? n->n_deps : 12;
        dp__hw_put(w, "\ndepends on: ");
        for (size_t d = 0; d < shown; d++) {
            if (d)
                dp__hw_put(w, ", ");
            dp__hw_esc(w, n->deps[d] < p->n_nodes ? p->nodes[n->deps[d]].id
                                                  : NULL);
        }
        if (shown < n->n_deps)
            dp__hw_putf(w, " and %zu more", n->n_deps - shown);
        dp__hw_putf(w, " (%s)", dp_dep_source_name(n->dep_source));
    }
    dp__hw_put(w, "</title>");
}

/* True when the edge dep -> node is a step of the critical path: dep is
 * node's predecessor on it, or a group enclosing that predecessor. */
static bool crit_edge(const gantt *g, size_t dep, size_t node)
{
    long pred = g->cp_prev[node];
    for (size_t hops = 0; pred >= 0 && hops <= g->p->n_nodes; hops++) {
        if ((size_t)pred == dep)
            return true;
        pred = g->p->nodes[pred].parent;
    }
    return false;
}

static void arrows(gantt *g, size_t i)
{
    dp__hw *w = g->w;
    const dp_node *n = &g->p->nodes[i];
    const dp__html_layout *l = g->l;
    double yn = l->rows[l->row_of[i]].y + l->row_h / 2;
    double xs = dp__html_x(l, n->start_ns);
    for (size_t k = 0; k < n->n_deps; k++) {
        size_t d = n->deps[k];
        if (d >= g->p->n_nodes || d == i)
            continue;
        bool crit = crit_edge(g, d, i);
        /* A critical step through a group starts at the leaf inside it
         * that the path actually came from. */
        if (crit && g->p->nodes[d].kind == DP_NODE_GROUP)
            d = (size_t)g->cp_prev[i];
        const dp_node *dn = &g->p->nodes[d];
        double yd = l->rows[l->row_of[d]].y + l->row_h / 2;
        double xe = dp__html_x(l, dn->end_ns);
        double half = l->bar_h / 2, y0 = yd > yn ? yd - half : yd + half;
        const char *cls = crit ? "dep crit" : "dep";
        const char *inf = n->dep_source == DP_DEP_INFERRED ? " inf" : "";
        if (xs > xe + 4)
            dp__hw_putf(w,
                        "<path class=\"%s%s\" d=\"M%.1f,%.1fV%.1fH%.1f\" "
                        "marker-end=\"url(#r%u-a%s)\"/>",
                        cls, inf, xe, y0, yn, xs - 1, g->idx, crit ? "c" : "");
        else
            dp__hw_putf(w,
                        "<path class=\"%s%s\" d=\"M%.1f,%.1fV%.1f\" "
                        "marker-end=\"url(#r%u-a%s)\"/>",
                        cls, inf, xe, y0, yd > yn ? yn + half : yn - half,
                        g->idx, crit ? "c" : "");
    }
}

static void call_segments(gantt *g, const dp_node *n, double top, double h)
{
    dp__hw *w = g->w;
    const dp__html_layout *l = g->l;
    char a[48], b[48], c[48];
    if (!g->timed) {
        /* Shares only: LLM then tool, proportional to the execution. */
        double x0 = dp__html_x(l, n->start_ns), x1 = dp__html_x(l, n->end_ns);
        double wd = x1 - x0, lw, tw;
        if (n->execution_ns <= 0 || wd < 2)
            return;
        lw = wd * (double)n->llm_ns / (double)n->execution_ns;
        tw = wd * (double)n->tool_ns / (double)n->execution_ns;
        if (lw > wd)
            lw = wd;
        if (tw > wd - lw)
            tw = wd - lw;
        if (lw >= 0.5) {
            dp__hw_putf(w,
                        "<rect class=\"seg llm share\" x=\"%.1f\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%.1f\"><title>LLM %s of "
                        "%s execution</title></rect>",
                        x0, top, lw, h, dp__html_dur(a, sizeof(a), n->llm_ns),
                        dp__html_dur(b, sizeof(b), n->execution_ns));
        }
        if (tw >= 0.5) {
            dp__hw_putf(w,
                        "<rect class=\"seg tool share\" x=\"%.1f\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%.1f\"><title>tools %s of "
                        "%s execution</title></rect>",
                        x0 + lw, top, tw, h,
                        dp__html_dur(a, sizeof(a), n->tool_ns),
                        dp__html_dur(b, sizeof(b), n->execution_ns));
        }
        return;
    }
    for (size_t k = 0; k < n->n_calls; k++) {
        const dp_call *call;
        if (n->calls[k] >= g->p->n_calls)
            continue;
        call = &g->p->calls[n->calls[k]];
        bool llm = call->kind == DP_CALL_LLM;
        double cx0 = dp__html_x(l, call->start_ns);
        double cw = dp__html_x(l, call->end_ns) - cx0;
        dp__hw_putf(w,
                    "<rect class=\"seg %s%s\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"%.1f\" height=\"%.1f\"><title>%s ",
                    llm ? "llm" : "tool", call->success ? "" : " fail", cx0,
                    top, cw < 1 ? 1 : cw, h, llm ? "LLM call" : "tool call");
        dp__hw_esc(w, call->name && call->name[0] ? call->name : "(unknown)");
        dp__hw_putf(w, ": %s, %s",
                    dp__html_dur(a, sizeof(a), call->end_ns - call->start_ns),
                    call->success ? "ok" : "failed");
        if (llm && call->has_tokens)
            dp__hw_putf(
                w, ", %s tokens, %s",
                dp__html_count(b, sizeof(b), dp__html_tokens(&call->tokens)),
                call->priced ? dp__html_money(c, sizeof(c), call->cost_pusd)
                             : "unpriced");
        dp__hw_put(w, "</title></rect>");
    }
}

static void row(gantt *g, size_t r)
{
    dp__hw *w = g->w;
    const dp__html_layout *l = g->l;
    size_t i = l->rows[r].node;
    const dp_node *n = &g->p->nodes[i];
    double y = l->rows[r].y, mid = y + l->row_h / 2;
    double top = mid - l->bar_h / 2, indent = 4 + 10.0 * l->rows[r].depth;
    bool group = n->kind == DP_NODE_GROUP;
    bool err = n->status == DP_STATUS_ERROR;
    size_t chars = (size_t)((DP__HTML_LABEL_W - indent) / (l->font_px * 0.6));
    double x0 = dp__html_x(l, 0), xr = dp__html_x(l, n->dependency_wait_ns);
    double xs = dp__html_x(l, n->start_ns), xe = dp__html_x(l, n->end_ns);

    dp__hw_putf(w, "<g class=\"row %s%s%s\" data-node=\"",
                group ? "group" : "leaf", n->on_critical_path ? " crit" : "",
                err ? " err" : "");
    dp__hw_esc(w, n->id);
    dp__hw_put(w, "\" data-start-ms=\"");
    dp__hw_ms(w, n->start_ns);
    dp__hw_put(w, "\" data-end-ms=\"");
    dp__hw_ms(w, n->end_ns);
    dp__hw_put(w, "\" data-exec-ms=\"");
    dp__hw_ms(w, n->execution_ns);
    dp__hw_put(w, "\">");
    node_title(g, n);
    if (r % 2)
        rect(w, "zb", 0, DP__HTML_WIDTH, y, l->row_h, 0);
    rect(w, "hl", 0, DP__HTML_WIDTH, y, l->row_h, 0);
    arrows(g, i);
    dp__hw_putf(w,
                "<text class=\"lbl mono%s%s\" x=\"%.1f\" y=\"%.1f\" "
                "font-size=\"%.0f\">",
                group ? " grp" : "", n->on_critical_path ? " crit" : "", indent,
                mid + l->font_px * 0.35, l->font_px);
    dp__hw_esc_cut(w, n->id, chars < 8 ? 8 : chars);
    dp__hw_put(w, "</text>");
    if (xr > x0)
        rect(w, "dw", x0, xr, mid - l->bar_h * 0.2, l->bar_h * 0.4, 0);
    if (xs > xr)
        rect(w, "qd", xr, xs, mid - l->bar_h * 0.3, l->bar_h * 0.6, 0);
    if (group) {
        dp__hw_putf(w,
                    "<path class=\"brk%s\" d=\"M%.1f,%.1fV%.1fH%.1fV%.1f\"/>",
                    n->on_critical_path ? " crit" : "", xs, top + l->bar_h, top,
                    xe < xs + 1 ? xs + 1 : xe, top + l->bar_h);
        call_segments(g, n, top, l->bar_h * 0.45);
    } else {
        char cls[32];
        snprintf(cls, sizeof(cls), "ex%s%s", n->on_critical_path ? " crit" : "",
                 err ? " err" : "");
        rect(w, cls, xs, xe, top, l->bar_h, 1.5);
        if (n->attempts > 1 && n->failed_attempts_ns > 0) {
            int64_t fend;
            if (__builtin_add_overflow(n->start_ns, n->failed_attempts_ns,
                                       &fend))
                fend = INT64_MAX;
            double xf = dp__html_x(l, fend);
            dp__hw_putf(w,
                        "<rect class=\"fa\" x=\"%.1f\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"url(#r%u-h)\"/>",
                        xs, top, xf - xs < 1 ? 1 : xf - xs, l->bar_h, g->idx);
        }
        call_segments(g, n, mid - l->bar_h * 0.2, l->bar_h * 0.4);
    }
    if (n->retries > 0 || n->attempts > 1 || err) {
        dp__hw_putf(w, "<text class=\"badge\" x=\"%.1f\" y=\"%.1f\">", xe + 4,
                    mid + 4);
        if (n->retries > 0 || n->attempts > 1)
            dp__hw_putf(w, "\xE2\x86\xBB%" PRIu32 "",
                        n->retries ? n->retries : n->attempts - 1);
        if (err)
            dp__hw_put(w, " \xE2\x9C\x95");
        dp__hw_put(w, "</text>");
    }
    dp__hw_put(w, "</g>\n");
}

void dp__html_gantt(dp__hw *w, const dp_profile *p, const dp_html_run_opts *o)
{
    dp__html_layout l;
    gantt g;
    if (w->err)
        return;
    if (dp__html_layout_init(&l, p) != 0) {
        w->err = DP_ENOMEM;
        return;
    }
    if (o->span_ns > l.span_ns)
        l.span_ns = o->span_ns;
    memset(&g, 0, sizeof(g));
    g.w = w;
    g.p = p;
    g.l = &l;
    g.idx = o->index;
    g.timed = o->call_times_known;
    if (p->n_nodes) {
        g.cp_prev = malloc(p->n_nodes * sizeof(*g.cp_prev));
        if (!g.cp_prev) {
            dp__html_layout_fini(&l);
            w->err = DP_ENOMEM;
            return;
        }
        for (size_t i = 0; i < p->n_nodes; i++)
            g.cp_prev[i] = -1;
        for (size_t k = 1; k < p->n_critical_path; k++)
            if (p->critical_path[k] < p->n_nodes &&
                p->critical_path[k - 1] < p->n_nodes)
                g.cp_prev[p->critical_path[k]] = (long)p->critical_path[k - 1];
    }
    legend(&g);
    dp__hw_putf(w,
                "<div class=\"scroll\"><svg class=\"gantt%s\" width=\"%.0f\" "
                "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                "aria-label=\"timeline of %zu nodes\" data-rows=\"%zu\">\n",
                l.big ? " big" : "", DP__HTML_WIDTH, l.height, DP__HTML_WIDTH,
                l.height, p->n_nodes, l.n_rows);
    dp__hw_putf(
        w,
        "<defs><marker id=\"r%u-a\" viewBox=\"0 0 6 6\" refX=\"5\" refY=\"3\" "
        "markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path "
        "class=\"arw\" d=\"M0,0L6,3L0,6z\"/></marker><marker id=\"r%u-ac\" "
        "viewBox=\"0 0 6 6\" refX=\"5\" refY=\"3\" markerWidth=\"6\" "
        "markerHeight=\"6\" orient=\"auto\"><path class=\"arw crit\" "
        "d=\"M0,0L6,3L0,6z\"/></marker><pattern id=\"r%u-h\" width=\"4\" "
        "height=\"4\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(45)\"><line class=\"fa\" x1=\"0\" "
        "y1=\"0\" x2=\"0\" y2=\"4\"/></pattern></defs>\n",
        g.idx, g.idx, g.idx);
    axis(&g);
    if (p->n_nodes == 0)
        dp__hw_putf(w,
                    "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\">no nodes in "
                    "this run</text>\n",
                    DP__HTML_PLOT_X0, DP__HTML_AXIS_H + l.row_h * 0.7);
    dp__hw_put(w, "<g class=\"rows\">\n");
    for (size_t r = 0; r < l.n_rows; r++)
        row(&g, r);
    dp__hw_put(w, "</g></svg></div>\n");
    free(g.cp_prev);
    dp__html_layout_fini(&l);
}

int dp_html_timeline(dp_buf *out, const dp_profile *p,
                     const dp_html_run_opts *opts)
{
    if (out == NULL || p == NULL)
        return DP_EINVAL;
    dp__hw w = dp__hw_begin(out);
    dp__html_gantt(&w, p, dp__html_opts(opts));
    return dp__hw_end(&w);
}
