/*
 * ui_dag.c - the web UI's DAG page (see ui.h): per version the HTML
 * report's trend section, per day a table, and the regressions of the
 * newest version against the one before (history/regress.c). Every query
 * has a LIMIT: the page is rendered on the listener's loop thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_cli.h"
#include "report_html.h"
#include "ui.h"
#include "ui_query.h"

#define UI_DAG_RUNS_MAX 2000 /* runs per DAG (newest) the trends read */
#define UI_SIDE_RUNS_MAX 500 /* runs per version the regressions read */
#define UI_VERSIONS_MAX 64

typedef struct dag_runs {
    dp_ui_runs runs;
    dp_trends *days;
} dag_runs;

static int take(void *user, const dp_history_run *run)
{
    dag_runs *d = user;
    int err = dp_ui_runs_add(&d->runs, run, 0);
    return err ? err : dp_trends_add(d->days, run);
}

typedef struct vlist {
    char *v[UI_VERSIONS_MAX];
    size_t n;
} vlist;

static int on_version(void *user, const dp_history_version *v)
{
    vlist *l = user;
    if (l->n == UI_VERSIONS_MAX) /* keep the newest ones */
    {
        free(l->v[0]);
        memmove(l->v, l->v + 1, (UI_VERSIONS_MAX - 1) * sizeof(l->v[0]));
        l->n--;
    }
    l->v[l->n] = v->version ? strdup(v->version) : NULL;
    l->n++;
    return 0;
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int ms(dp_buf *b, int64_t ns)
{
    return dp_buf_printf(b, "%.1f ms", (double)ns / 1e6);
}

static int usd(dp_buf *b, int64_t pusd)
{
    return dp_buf_printf(b, "$%.4f", (double)pusd / 1e12);
}

static int day_table(dp_buf *b, dp_trends *t)
{
    size_t n = dp_trends_count(t);
    int r = dp_buf_puts(b, "<section class=\"days\"><h2>Per day</h2>\n"
                           "<table><thead><tr><th>Day</th><th>Runs</th>"
                           "<th>Wall p50</th><th>Wall p95</th><th>Cost p50"
                           "</th><th>Cost p95</th><th>Tokens/run</th><th>"
                           "Error rate</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < n && !r; i++) {
        dp_trend_bucket k;
        dp_trends_get(t, i, &k);
        r = dp_buf_puts(b, "<tr><td>") || dp_html_escape(b, k.label) ||
            dp_buf_printf(b, "</td><td>%llu</td><td>",
                          (unsigned long long)k.runs) ||
            ms(b, k.wall_p50_ns) || dp_buf_puts(b, "</td><td>") ||
            ms(b, k.wall_p95_ns) || dp_buf_puts(b, "</td><td>") ||
            usd(b, k.cost_p50_pusd) || dp_buf_puts(b, "</td><td>") ||
            usd(b, k.cost_p95_pusd) ||
            dp_buf_printf(b, "</td><td>%lld</td><td>%.1f%%</td></tr>\n",
                          (long long)k.tokens_mean, k.error_rate * 100.0);
    }
    return r || dp_buf_puts(b, "</tbody></table></section>\n") ? -1 : 0;
}

static int add_side(void *user, const dp_history_run *run)
{
    dp_regress **rs = user;
    return dp_regress_add(rs[0], (int)(intptr_t)rs[1], run);
}

static int metric(dp_buf *b, const dp_regress_metric *m, bool money)
{
    int r = dp_buf_puts(b, "<td>") ||
            (money ? usd(b, m->base_p50) : ms(b, m->base_p50)) ||
            dp_buf_puts(b, "</td><td>") ||
            (money ? usd(b, m->cand_p50) : ms(b, m->cand_p50)) ||
            dp_buf_puts(b, "</td><td>");
    if (!r && m->has_change)
        r = dp_buf_printf(b, "%+.1f%%", m->change_percent);
    else if (!r)
        r = dp_buf_puts(b, "-");
    return r || dp_buf_printf(
                    b, "</td><td>%.4g</td><td class=\"verdict-%d\">%s</td>",
                    m->p_value, m->verdict, dp_verdict_name(m->verdict))
               ? -1
               : 0;
}

static int regressions(dp_buf *b, dp_history *h, const char *dag,
                       const vlist *l, const dp_regress_config *rc)
{
    if (l->n < 2)
        return dp_buf_puts(b, "<section class=\"regressions\"><h2>"
                              "Regressions</h2><p>Needs runs of two "
                              "versions.</p></section>\n");
    const char *base = l->v[l->n - 2], *cand = l->v[l->n - 1];
    dp_regress *rg = dp_regress_create();
    if (!rg)
        return DP_ENOMEM;
    int err = 0;
    for (int side = 0; side < 2 && !err; side++) {
        dp_history_filter f = {.dag = dag, .version = side ? cand : base};
        void *ctx[2] = {rg, (void *)(intptr_t)side};
        err = dp_history_runs(h, &f, DP_HISTORY_NEWEST, UI_SIDE_RUNS_MAX,
                              DP_HISTORY_WANT_NODES, add_side, ctx);
    }
    const dp_regress_row *rows = NULL;
    long n = err ? 0 : dp_regress_compute(rg, rc, &rows);
    if (n < 0)
        err = (int)n;
    if (!err)
        err = dp_buf_puts(b, "<section class=\"regressions\"><h2>"
                             "Regressions: ") ||
              dp_html_escape(b, cand ? cand : "(none)") ||
              dp_buf_puts(b, " against ") ||
              dp_html_escape(b, base ? base : "(none)") ||
              dp_buf_puts(b, "</h2>\n<table><thead><tr><th>Node</th><th>Runs"
                             "</th><th>Time base</th><th>Time cand.</th><th>"
                             "Change</th><th>p</th><th>Verdict</th><th>Cost "
                             "base</th><th>Cost cand.</th><th>Change</th><th>"
                             "p</th><th>Verdict</th></tr></thead><tbody>\n");
    for (long i = 0; i < n && !err; i++) {
        const dp_regress_row *row = &rows[i];
        err = dp_buf_puts(b, "<tr><td>") ||
              (row->node_id ? dp_html_escape(b, row->node_id)
                            : dp_buf_puts(b, "(run)")) ||
              dp_buf_printf(b, "</td><td>%llu / %llu</td>",
                            (unsigned long long)row->base_runs,
                            (unsigned long long)row->cand_runs) ||
              metric(b, &row->time, false) || metric(b, &row->cost, true) ||
              dp_buf_puts(b, "</tr>\n");
    }
    if (!err)
        err = dp_buf_puts(b, "</tbody></table></section>\n");
    dp_regress_destroy(rg);
    return err ? (err < 0 ? err : DP_ENOMEM) : 0;
}

int dp_ui_dag_body(dp_buf *b, dp_history *h, const char *dag,
                   const dp_regress_config *rc)
{
    dag_runs d = {0};
    vlist l = {0};
    d.days = dp_trends_create(DP_TREND_DAY);
    if (!d.days)
        return DP_ENOMEM;
    dp_history_filter f = {.dag = dag};
    int err =
        dp_history_runs(h, &f, DP_HISTORY_NEWEST, UI_DAG_RUNS_MAX, 0, take, &d);
    if (!err && d.runs.n == 0)
        err = DP_ENOENT;
    if (!err)
        err = dp_history_versions(h, &f, on_version, &l);
    if (!err && d.runs.n == UI_DAG_RUNS_MAX)
        err = dp_buf_printf(b, "<p class=\"note\">The newest %d runs.</p>\n",
                            UI_DAG_RUNS_MAX);
    /* Per version, newest first. */
    for (size_t k = l.n; k-- > 0 && !err;) {
        dp_html_trend_run *sel = malloc(d.runs.n * sizeof(*sel));
        size_t m = 0;
        if (!sel) {
            err = DP_ENOMEM;
            break;
        }
        for (size_t i = 0; i < d.runs.n; i++)
            if (same(d.runs.r[i].version, l.v[k]))
                sel[m++] = d.runs.r[i];
        if (m)
            err = dp_buf_puts(b, "<h2>Version ") ||
                  dp_html_escape(b, l.v[k] ? l.v[k] : "(none)") ||
                  dp_buf_puts(b, "</h2>\n") ||
                  dp_html_trend_section(b, dag, sel, m, (unsigned)k);
        free(sel);
    }
    if (!err)
        err = day_table(b, d.days);
    if (!err)
        err = regressions(b, h, dag, &l, rc);
    dp_ui_runs_fini(&d.runs);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    dp_trends_destroy(d.days);
    return err < 0 ? err : (err ? DP_ENOMEM : 0);
}
