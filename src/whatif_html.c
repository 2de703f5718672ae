/*
 * whatif_html.c - `dagprof whatif --output html`: one self-contained page
 * (the page, style, CSP and escaping of exporter/report_html.c) with the
 * baseline against the prediction (wall, critical path, sum of execution,
 * peak concurrency, cost, tokens), what each change did and whether it
 * moved the critical path, every node's shift, the notes, and the two
 * timelines stacked on one time scale: the run as recorded and the run as
 * predicted, each drawn by the report's Gantt renderer
 * (dp_html_timeline). With --sweep: the curve as a table.
 *
 * The predicted timeline is the profile with each node's times replaced by
 * the replay's (start, ready, end, execution, critical path, its own cost
 * and tokens); its calls are the observed ones mapped linearly into the
 * node's predicted execution (the replay predicts node times, not call
 * times), which the page says. Every string from a span, the command line
 * or a note goes through dp_html_escape().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "whatif.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        if ((x) != 0)                                                          \
            return DP_ENOMEM;                                                  \
    } while (0)

static const char *ms(char *out, size_t len, int64_t ns, bool sign)
{
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = (u + 500) / 1000;
    snprintf(out, len, "%s%" PRIu64 ".%03" PRIu64 " ms",
             ns < 0 ? "-" : (sign && ns > 0 ? "+" : ""), us / 1000, us % 1000);
    return out;
}

static const char *money(char *out, size_t len, int64_t pusd, bool sign)
{
    char m[48];
    dp_money_text(m, sizeof m, pusd);
    snprintf(out, len, "%s%s", sign && pusd > 0 ? "+" : "", m);
    return out;
}

static int64_t tokens_of(const dp_tokens *t)
{
    int64_t a = t->input > 0 ? t->input : 0;
    int64_t z = t->output > 0 ? t->output : 0;
    return a > INT64_MAX - z ? INT64_MAX : a + z;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* One <td> of text (escaped). */
static int td(dp_buf *b, const char *cls, const char *text)
{
    TRY(dp_buf_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "",
                      cls ? "\"" : ""));
    TRY(dp_html_escape(b, text));
    return dp_buf_puts(b, "</td>");
}

static int path_html(dp_buf *b, const dp_profile *p, const dp_replay *r)
{
    if (!r->n_critical_path)
        return dp_buf_puts(b, "(no nodes)");
    for (size_t i = 0; i < r->n_critical_path; i++) {
        TRY(dp_buf_puts(b, i ? " \xE2\x86\x92 " : ""));
        TRY(dp_html_escape(b, p->nodes[r->critical_path[i]].id));
    }
    return 0;
}

static int change_html(dp_buf *b, const dp_change *c)
{
    char s[1024];
    return dp_html_escape(b, dp_change_format(c, s, sizeof s));
}

static int row_ms(dp_buf *b, const char *key, const char *name, int64_t a,
                  int64_t z)
{
    char x[48], y[48], d[48];
    TRY(dp_buf_printf(b, "<tr data-k=\"%s\"><th>%s</th>", key, name));
    TRY(td(b, "n", ms(x, sizeof x, a, false)));
    TRY(td(b, "n", ms(y, sizeof y, z, false)));
    TRY(td(b, "n", ms(d, sizeof d, z - a, true)));
    if (a > 0 && z != a)
        TRY(dp_buf_printf(b, "<td class=\"n\">%+.1f%%</td></tr>\n",
                          (double)(z - a) * 100.0 / (double)a));
    else
        TRY(dp_buf_puts(b, "<td></td></tr>\n"));
    return 0;
}

static int summary(dp_buf *b, const dp_whatif *w)
{
    const dp_replay *a = &w->base, *z = &w->pred;
    char x[64], y[64], d[64];
    TRY(dp_buf_puts(b,
                    "<h3>Baseline and prediction</h3>\n<div class=\"scroll"
                    "\"><table class=\"whatif-summary\">\n<tr><th></th>"
                    "<th class=\"n\">baseline (the run)</th><th class=\"n\">"
                    "predicted</th><th class=\"n\">change</th><th class=\"n\">"
                    "</th></tr>\n"));
    TRY(row_ms(b, "wall", "wall", a->wall_ns, z->wall_ns));
    TRY(row_ms(b, "critical-path", "critical path", a->critical_path_ns,
               z->critical_path_ns));
    TRY(row_ms(b, "sum-execution", "sum of leaf execution", a->sum_execution_ns,
               z->sum_execution_ns));
    TRY(dp_buf_printf(b,
                      "<tr data-k=\"peak\"><th>peak concurrency</th><td "
                      "class=\"n\">%" PRIu32 "</td><td class=\"n\">%" PRIu32
                      "</td><td class=\"n\">%+" PRId64 "</td><td></td></tr>\n",
                      a->peak_concurrency, z->peak_concurrency,
                      (int64_t)z->peak_concurrency - a->peak_concurrency));
    TRY(dp_buf_puts(b, "<tr data-k=\"cost\"><th>cost</th>"));
    TRY(td(b, "n", money(x, sizeof x, a->cost_pusd, false)));
    TRY(td(b, "n", money(y, sizeof y, z->cost_pusd, false)));
    TRY(td(b, "n", money(d, sizeof d, z->cost_pusd - a->cost_pusd, true)));
    TRY(dp_buf_puts(b, "<td></td></tr>\n"));
    int64_t ta = tokens_of(&a->tokens), tz = tokens_of(&z->tokens);
    TRY(dp_buf_printf(
        b,
        "<tr data-k=\"tokens\"><th>tokens</th><td class=\"n\">%" PRId64
        "</td><td class=\"n\">%" PRId64 "</td><td class=\"n\">%+" PRId64
        "</td><td></td></tr>\n",
        ta, tz, tz - ta));
    TRY(dp_buf_puts(b, "</table></div>\n<p class=\"meta\" "
                       "data-k=\"critical-path-moved\">critical path "));
    if (dp_whatif_path_moved(a, z)) {
        TRY(dp_buf_puts(b, "<strong>moved</strong>: "));
        TRY(path_html(b, w->p, z));
        TRY(dp_buf_puts(b, " (was "));
        TRY(path_html(b, w->p, a));
        TRY(dp_buf_puts(b, ")"));
    } else {
        TRY(dp_buf_puts(b, "unchanged: "));
        TRY(path_html(b, w->p, a));
    }
    return dp_buf_puts(b, "</p>\n");
}

static int steps(dp_buf *b, const dp_whatif *w)
{
    TRY(dp_buf_puts(b,
                    "<h3>What each change did (applied in order)</h3>\n"
                    "<div class=\"scroll\"><table class=\"whatif-steps\">\n"
                    "<tr><th class=\"n\">#</th><th>change</th><th class=\"n\">"
                    "wall</th><th class=\"n\">wall change</th><th class=\"n\">"
                    "cost change</th><th>critical path</th></tr>\n"));
    for (size_t i = 0; i < w->n_changes; i++) {
        const dp_replay *prev = i ? &w->steps[i - 1] : &w->base;
        const dp_replay *r = &w->steps[i];
        char x[48], d[48], m[64];
        bool moved = dp_whatif_path_moved(prev, r);
        TRY(dp_buf_printf(b,
                          "<tr data-moved=\"%s\"><td class=\"n\">%zu</td>"
                          "<td class=\"mono\">",
                          moved ? "true" : "false", i + 1));
        TRY(change_html(b, &w->changes[i]));
        TRY(dp_buf_puts(b, "</td>"));
        TRY(td(b, "n", ms(x, sizeof x, r->wall_ns, false)));
        TRY(td(b, "n", ms(d, sizeof d, r->wall_ns - prev->wall_ns, true)));
        TRY(td(b, "n",
               money(m, sizeof m, r->cost_pusd - prev->cost_pusd, true)));
        TRY(dp_buf_puts(b, moved ? "<td><strong>moved</strong>: "
                                 : "<td>unchanged"));
        if (moved)
            TRY(path_html(b, w->p, r));
        TRY(dp_buf_puts(b, "</td></tr>\n"));
    }
    return dp_buf_puts(b, "</table></div>\n");
}

static int shifts(dp_buf *b, const dp_whatif *w)
{
    const dp_profile *p = w->p;
    TRY(dp_buf_printf(b,
                      "<details class=\"nodes\"><summary>Node shifts (%zu "
                      "nodes, from the run's start)</summary>\n<div "
                      "class=\"scroll\"><table class=\"whatif-nodes\">\n<tr>"
                      "<th>node</th><th class=\"n\">start</th><th class=\"n\">"
                      "predicted start</th><th class=\"n\">end</th><th "
                      "class=\"n\">predicted end</th><th class=\"n\">end "
                      "shift</th></tr>\n",
                      p->n_nodes));
    for (size_t k = 0; k < p->n_nodes; k++) {
        const dp_node *nd = &p->nodes[k];
        const dp_replay_node *o = &w->pred.nodes[k];
        char s[48];
        TRY(dp_buf_puts(b, "<tr><td class=\"mono id\">"));
        TRY(dp_html_escape(b, nd->id));
        TRY(dp_buf_puts(b,
                        o->on_critical_path ? " \xE2\x98\x85</td>" : "</td>"));
        TRY(td(b, "n", ms(s, sizeof s, nd->start_ns, false)));
        TRY(td(b, "n", ms(s, sizeof s, o->start_ns, false)));
        TRY(td(b, "n", ms(s, sizeof s, nd->end_ns, false)));
        TRY(td(b, "n", ms(s, sizeof s, o->end_ns, false)));
        TRY(td(b, "n", ms(s, sizeof s, o->end_ns - nd->end_ns, true)));
        TRY(dp_buf_puts(b, "</tr>\n"));
    }
    return dp_buf_puts(b, "</table></div></details>\n");
}

static int notes(dp_buf *b, const dp_replay *r)
{
    if (!r->n_notes)
        return 0;
    TRY(dp_buf_puts(b, "<h3>Notes</h3>\n<ul class=\"warnings\">\n"));
    for (size_t i = 0; i < r->n_notes; i++) {
        TRY(dp_buf_puts(b, "<li>"));
        TRY(dp_html_escape(b, r->notes[i]));
        TRY(dp_buf_puts(b, "</li>\n"));
    }
    return dp_buf_puts(b, "</ul>\n");
}

static int sweep(dp_buf *b, const dp_whatif *w)
{
    char x[48], y[48];
    TRY(dp_buf_puts(b, "<h3>Workers sweep</h3>\n<div class=\"scroll\"><table "
                       "class=\"whatif-sweep\">\n<tr><th class=\"n\">workers"
                       "</th><th class=\"n\">wall</th><th class=\"n\">speed-up"
                       "</th><th class=\"n\">critical path</th><th class=\"n\">"
                       "busiest</th><th></th></tr>\n"));
    for (size_t i = 0; i < w->n_sweep; i++) {
        const dp_whatif_point *pt = &w->sweep[i];
        double ratio =
            pt->wall_ns > 0 ? (double)w->base.wall_ns / (double)pt->wall_ns : 0;
        TRY(dp_buf_printf(b, "<tr><td class=\"n\">%" PRIu32 "</td>",
                          pt->workers));
        TRY(td(b, "n", ms(x, sizeof x, pt->wall_ns, false)));
        TRY(dp_buf_printf(b, "<td class=\"n\">%.2f\xC3\x97</td>", ratio));
        TRY(td(b, "n", ms(y, sizeof y, pt->critical_path_ns, false)));
        TRY(dp_buf_printf(b,
                          "<td class=\"n\">%" PRIu32 "</td><td>%s</td></tr>\n",
                          pt->peak_concurrency,
                          (long)i == w->stops_paying ? "stops paying" : ""));
    }
    TRY(dp_buf_puts(b, "</table></div>\n"));
    if (w->stops_paying >= 0 && w->n_sweep > 1)
        TRY(dp_buf_printf(
            b,
            "<p class=\"meta\">From %" PRIu32
            " workers on the wall stays at %s: more workers "
            "save nothing.</p>\n",
            w->sweep[w->stops_paying].workers,
            ms(x, sizeof x, w->sweep[w->stops_paying].wall_ns, false)));
    return 0;
}

/* The profile as predicted: q is p with its own copies of the nodes, the
 * calls and the per-node figures the replay changes. */
typedef struct predicted {
    dp_profile q;
    dp_node *nodes;
    dp_call *calls;
} predicted;

static int64_t scale(int64_t v, int64_t num, int64_t den)
{
    if (den <= 0)
        return v;
    return (int64_t)((double)v * (double)num / (double)den + 0.5);
}

static int predict(predicted *pr, const dp_profile *p, const dp_replay *r)
{
    size_t n = p->n_nodes;
    memset(pr, 0, sizeof *pr);
    pr->q = *p;
    pr->nodes = n ? malloc(n * sizeof *pr->nodes) : NULL;
    pr->calls = p->n_calls ? malloc(p->n_calls * sizeof *pr->calls) : NULL;
    if ((n && !pr->nodes) || (p->n_calls && !pr->calls))
        return DP_ENOMEM;
    if (n)
        memcpy(pr->nodes, p->nodes, n * sizeof *pr->nodes);
    if (p->n_calls)
        memcpy(pr->calls, p->calls, p->n_calls * sizeof *pr->calls);
    for (size_t k = 0; k < n; k++) {
        dp_node *d = &pr->nodes[k];
        const dp_node *s = &p->nodes[k];
        const dp_replay_node *o = &r->nodes[k];
        int64_t bexec = s->end_ns - s->start_ns;
        int64_t pexec = o->end_ns - o->start_ns;
        d->start_ns = o->start_ns;
        d->end_ns = o->end_ns;
        d->duration_ns = o->end_ns;
        d->ready_ns = o->ready_ns;
        d->dependency_wait_ns = max64(0, o->ready_ns);
        d->queue_delay_ns = max64(0, o->start_ns - max64(0, o->ready_ns));
        d->wait_ns = d->dependency_wait_ns + d->queue_delay_ns;
        d->execution_ns = o->execution_ns;
        d->llm_ns = scale(s->llm_ns, o->execution_ns, s->execution_ns);
        d->tool_ns = scale(s->tool_ns, o->execution_ns, s->execution_ns);
        d->self_ns = scale(s->self_ns, o->execution_ns, s->execution_ns);
        d->on_critical_path = o->on_critical_path;
        d->own_cost_pusd = o->cost_pusd;
        d->own_tokens = o->tokens;
        d->cost_pusd = 0;
        d->tokens.input = 0; /* the timeline shows input + output only */
        d->tokens.output = 0;
        for (size_t c = 0; c < s->n_calls; c++) {
            if (s->calls[c] >= p->n_calls)
                continue;
            dp_call *call = &pr->calls[s->calls[c]];
            const dp_call *oc = &p->calls[s->calls[c]];
            call->start_ns =
                o->start_ns + scale(oc->start_ns - s->start_ns, pexec, bexec);
            call->end_ns =
                o->start_ns + scale(oc->end_ns - s->start_ns, pexec, bexec);
        }
    }
    /* Cost and tokens of a node are its subtree's, as in profiles. */
    for (size_t k = 0; k < n; k++) {
        size_t hops = 0;
        for (long g = (long)k; g >= 0 && (size_t)g < n && hops <= n;
             g = p->nodes[g].parent, hops++) {
            pr->nodes[g].cost_pusd += r->nodes[k].cost_pusd;
            pr->nodes[g].tokens.input += r->nodes[k].tokens;
        }
    }
    pr->q.nodes = pr->nodes;
    pr->q.calls = pr->calls;
    pr->q.wall_ns = r->wall_ns;
    pr->q.critical_path_ns = r->critical_path_ns;
    pr->q.critical_path = r->critical_path;
    pr->q.n_critical_path = r->n_critical_path;
    pr->q.sum_execution_ns = r->sum_execution_ns;
    pr->q.peak_concurrency = r->peak_concurrency;
    pr->q.cost_pusd = r->cost_pusd;
    pr->q.tokens = r->tokens;
    return 0;
}

static int timeline(dp_buf *b, const dp_whatif *w, const dp_profile *p,
                    const char *which, const char *heading, unsigned index,
                    int64_t span_ns)
{
    char x[48];
    dp_html_run_opts o = {index, !w->from_file, span_ns};
    TRY(dp_buf_printf(b,
                      "<section class=\"whatif\" id=\"whatif-%s\" "
                      "data-replay=\"%s\" data-nodes=\"%zu\">\n<h2>%s "
                      "<span class=\"muted\">wall %s</span></h2>\n",
                      which, which, p->n_nodes, heading,
                      ms(x, sizeof x, p->wall_ns, false)));
    if (index == 2)
        TRY(dp_buf_puts(b,
                        "<p class=\"meta\">Predicted nodes with their "
                        "observed calls mapped into each node's predicted "
                        "execution (the replay predicts node times, not "
                        "call times). Same time scale as the baseline.</p>\n"));
    TRY(dp_html_timeline(b, p, &o));
    return dp_buf_puts(b, "</section>\n");
}

int dp_whatif_html(dp_buf *b, const dp_whatif *w)
{
    const dp_profile *p = w->p;
    predicted pr;
    int err = 0;
    memset(&pr, 0, sizeof pr);
    TRY(dp_html_page_begin(b, "dagprof whatif"));
    TRY(dp_buf_puts(b, "<section class=\"whatif-head\">\n<h2>"));
    TRY(dp_html_escape(b,
                       p->dag_id && p->dag_id[0] ? p->dag_id : "(no dag id)"));
    TRY(dp_buf_puts(b, " <span class=\"muted\">run "));
    TRY(dp_html_escape(b, p->trace_id_hex));
    TRY(dp_buf_puts(b, "</span></h2>\n<p class=\"meta\">input "));
    TRY(dp_html_escape(b, w->input));
    if (w->from_history)
        TRY(dp_buf_puts(b, " (its stored profile)"));
    else if (w->from_file)
        TRY(dp_buf_puts(b, " (a profile file)"));
    TRY(dp_buf_puts(b, " \xC2\xB7 changes: "));
    if (!w->n_changes)
        TRY(dp_buf_puts(b, "none"));
    for (size_t i = 0; i < w->n_changes; i++) {
        if (i)
            TRY(dp_buf_puts(b, ", "));
        TRY(dp_buf_puts(b, "<code>"));
        TRY(change_html(b, &w->changes[i]));
        TRY(dp_buf_puts(b, "</code>"));
    }
    TRY(dp_buf_puts(b, "</p>\n"));
    if (w->sweep) {
        TRY(sweep(b, w));
        TRY(notes(b, &w->base));
        TRY(dp_buf_puts(b, "</section>\n"));
        TRY(timeline(b, w, p, "baseline", "Baseline (the run)", 1, 0));
        return dp_html_page_end(b);
    }
    TRY(summary(b, w));
    TRY(steps(b, w));
    TRY(notes(b, &w->pred));
    TRY(shifts(b, w));
    TRY(dp_buf_puts(b, "</section>\n"));
    if (predict(&pr, p, &w->pred) != 0) {
        err = DP_ENOMEM;
        goto out;
    }
    int64_t span = max64(p->wall_ns, w->pred.wall_ns);
    for (size_t k = 0; k < p->n_nodes; k++)
        span = max64(span, max64(p->nodes[k].end_ns, w->pred.nodes[k].end_ns));
    if (timeline(b, w, p, "baseline", "Baseline (the run)", 1, span) ||
        timeline(b, w, &pr.q, "predicted", "Predicted", 2, span) ||
        dp_html_page_end(b))
        err = DP_ENOMEM;
out:
    free(pr.nodes);
    free(pr.calls);
    return err;
}
