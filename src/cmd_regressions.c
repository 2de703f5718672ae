/*
 * cmd_regressions.c - `dagprof regressions --dag D`: the DAG's newest
 * version against the one before it (or two named versions), per node and
 * for the run: p50 executionTime (the run: wall) and cost on each side,
 * the change in percent, the two-sided Mann-Whitney U p-value and the
 * verdict (history/regress.c; DESIGN.md "History, trends, regressions").
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "history_cli.h"
#include "history_stats.h"

static void regressions_usage(FILE *out)
{
    fputs(
        "usage: dagprof regressions --dag D [options]\n"
        "\n"
        "Compares two versions of a DAG from the history store: the newest\n"
        "version (by its first run) against the one before it, or the\n"
        "versions named. For the run (wall, cost) and every node both\n"
        "versions have (executionTime, cost): the p50 of each side (nearest\n"
        "rank), the change in percent, and the two-sided Mann-Whitney U\n"
        "p-value (normal approximation with tie and continuity correction).\n"
        "Verdict: 'regression' for a change of at least +min_change with p\n"
        "below p_value, 'improvement' for at most -min_change with p below\n"
        "p_value, 'too few runs' under min_runs on a side, else 'no change'.\n"
        "\n"
        "options:\n"
        "  --dag D                   the DAG (required)\n"
        "  --baseline V              the version to compare against\n"
        "                            (default: the one before the candidate)\n"
        "  --candidate V             the version under test (default: the\n"
        "                            newest)\n"
        "  --min-change F            regression.min_change (default 0.1: 10%)\n"
        "  --p-value P               regression.p_value (default 0.01)\n"
        "  --min-runs N              regression.min_runs (default 20)\n"
        "  --fail-on-regression      exit 3 when a regression is "
        "found\n" DP_HISTORY_HELP_TIME DP_HISTORY_HELP_STORE
            DP_HISTORY_HELP_OUTPUT "  -h, --help                this help\n"
        "\n"
        "JSON: one object per row: dagId, baseline, candidate, nodeId (null\n"
        "for the run), baselineRuns, candidateRuns, and time and cost, each\n"
        "{baselineP50, candidateP50 (ms or USD), changePercent (null when\n"
        "the baseline is 0), pValue, verdict}.\n"
        "\n"
        "Exit status: 0 compared; 3 with --fail-on-regression when a\n"
        "regression was found; 1 the store cannot be read or the DAG has\n"
        "fewer than two versions (or a named one has no runs); 2 usage\n"
        "error.\n",
        out);
}

static void metric_json(dp_buf *b, const dp_regress_metric *m, bool money)
{
    dp_buf_puts(b, "{\"baselineP50\":");
    money ? dp_buf_usd(b, m->base_p50) : dp_buf_ms(b, m->base_p50);
    dp_buf_puts(b, ",\"candidateP50\":");
    money ? dp_buf_usd(b, m->cand_p50) : dp_buf_ms(b, m->cand_p50);
    if (m->has_change)
        dp_buf_printf(b, ",\"changePercent\":%.2f", m->change_percent);
    else
        dp_buf_puts(b, ",\"changePercent\":null");
    dp_buf_printf(b, ",\"pValue\":%.3g,\"verdict\":\"%s\"}", m->p_value,
                  dp_verdict_name(m->verdict));
}

static void metric_cells(dp_table *t, const char *node, const char *what,
                         const dp_regress_row *row, const dp_regress_metric *m,
                         bool money)
{
    char a[64], b[64];
    dp_buf x;
    dp_table_cell(t, node);
    dp_table_cell(t, what);
    dp_table_cellf(t, "%llu/%llu", (unsigned long long)row->base_runs,
                   (unsigned long long)row->cand_runs);
    if (money) {
        dp_table_cell(t, dp_money_text(a, sizeof(a), m->base_p50));
        dp_table_cell(t, dp_money_text(b, sizeof(b), m->cand_p50));
    } else {
        dp_buf_init(&x);
        dp_buf_ms(&x, m->base_p50);
        dp_table_cellf(t, "%sms", x.data);
        dp_buf_reset(&x);
        dp_buf_ms(&x, m->cand_p50);
        dp_table_cellf(t, "%sms", x.data);
        dp_buf_fini(&x);
    }
    if (m->has_change)
        dp_table_cellf(t, "%+.1f%%", m->change_percent);
    else
        dp_table_cell(t, "-");
    dp_table_cellf(t, "%.2g", m->p_value);
    dp_table_cell(t, dp_verdict_name(m->verdict));
}

static int render(dp_buf *b, bool json, const char *dag, const char *base,
                  const char *cand, const dp_regress_row *rows, long n,
                  const dp_regress_config *rc, int *found)
{
    *found = 0;
    for (long i = 0; i < n; i++)
        *found += (rows[i].time.verdict == DP_VERDICT_REGRESSION) +
                  (rows[i].cost.verdict == DP_VERDICT_REGRESSION);
    if (json) {
        for (long i = 0; i < n; i++) {
            dp_buf_puts(b, "{\"dagId\":");
            dp_buf_json_string(b, dag);
            dp_buf_puts(b, ",\"baseline\":");
            dp_buf_json_string(b, base);
            dp_buf_puts(b, ",\"candidate\":");
            dp_buf_json_string(b, cand);
            dp_buf_puts(b, ",\"nodeId\":");
            if (rows[i].node_id)
                dp_buf_json_string(b, rows[i].node_id);
            else
                dp_buf_puts(b, "null");
            dp_buf_printf(b, ",\"baselineRuns\":%llu,\"candidateRuns\":%llu",
                          (unsigned long long)rows[i].base_runs,
                          (unsigned long long)rows[i].cand_runs);
            dp_buf_puts(b, ",\"time\":");
            metric_json(b, &rows[i].time, false);
            dp_buf_puts(b, ",\"cost\":");
            metric_json(b, &rows[i].cost, true);
            dp_buf_puts(b, "}\n");
        }
        return b->data || n == 0 ? 0 : DP_ENOMEM;
    }
    dp_buf_printf(b,
                  "%s: version %s (candidate) against %s (baseline)\n"
                  "regression: change >= %g%% with Mann-Whitney U p < %g, "
                  ">= %llu runs each side\n\n",
                  dag, cand, base, rc->min_change * 100, rc->p_value,
                  (unsigned long long)rc->min_runs);
    dp_table t;
    dp_table_init(&t, 8, 0x7c);
    const char *head[] = {"NODE",     "METRIC", "RUNS",    "BASELINE P50",
                          "CAND P50", "CHANGE", "P-VALUE", "VERDICT"};
    for (int i = 0; i < 8; i++)
        dp_table_cell(&t, head[i]);
    for (long i = 0; i < n; i++) {
        const char *node = rows[i].node_id ? rows[i].node_id : "(run)";
        metric_cells(&t, node, rows[i].node_id ? "time" : "wall", &rows[i],
                     &rows[i].time, false);
        metric_cells(&t, node, "cost", &rows[i], &rows[i].cost, true);
    }
    int err = dp_table_write(&t, b);
    dp_table_fini(&t);
    dp_buf_printf(b, "\n%d regression%s found\n", *found,
                  *found == 1 ? "" : "s");
    return err ? err : b->data ? 0 : DP_ENOMEM;
}

typedef struct regressions_args {
    const char *base, *cand; /* --baseline, --candidate */
    bool fail_on;            /* --fail-on-regression */
    int found;               /* regressions found */
} regressions_args;

static int regressions_option(void *user, dp_history_opts *o, int c,
                              const char *arg)
{
    regressions_args *a = user;
    (void)o;
    switch (c) {
    case DP_HOPT_VERSION:
        fprintf(stderr, "dagprof regressions: use --baseline and "
                        "--candidate to name versions\n");
        return 2;
    case 'b':
        a->base = arg;
        return 1;
    case 'c':
        a->cand = arg;
        return 1;
    case 'f':
        a->fail_on = true;
        return 1;
    default:
        return 0;
    }
}

static int regressions_operands(void *user, dp_history_opts *o, int n,
                                char **args)
{
    (void)user, (void)args;
    if (n > 0 || !o->filter.dag) {
        fprintf(stderr, n > 0 ? "dagprof regressions: unexpected argument\n"
                              : "dagprof regressions: --dag D is required\n");
        return 2;
    }
    return 0;
}

/* Says which version is missing, and the versions there are. */
static void no_versions(const regressions_args *a, const dp_history_opts *o,
                        const dp_regress_versions *l)
{
    fprintf(stderr, "dagprof regressions: %s: ", o->store);
    if (a->cand && dp_regress_versions_find(l, a->cand) < 0)
        fprintf(stderr, "no runs of %s version %s", o->filter.dag, a->cand);
    else if (a->base && dp_regress_versions_find(l, a->base) < 0)
        fprintf(stderr, "no runs of %s version %s", o->filter.dag, a->base);
    else
        fprintf(stderr, "%s has %zu version%s with runs; need two",
                o->filter.dag, l->n, l->n == 1 ? "" : "s");
    fprintf(stderr, "%s", l->n ? " (versions, oldest first:" : "\n");
    for (size_t i = 0; i < l->n; i++)
        fprintf(stderr, " %s (%llu runs)%s", l->v[i],
                (unsigned long long)l->runs[i], i + 1 < l->n ? "," : ")\n");
}

static int regressions_run(void *user, dp_history_opts *o, dp_history *h,
                           dp_buf *out)
{
    regressions_args *a = user;
    dp_regress_config rc = {o->cfg.regression_min_change,
                            o->cfg.regression_p_value,
                            o->cfg.regression_min_runs};
    dp_regress_versions l;
    dp_regress *r = NULL;
    size_t bi, ci;
    /* The pick needs the versions, not their exact run counts (the rows
     * count the runs the regression reads); the error lists them. */
    dp_history_filter f = o->filter;
    f.loose_counts = true;
    int err = dp_regress_versions_read(h, &f, &l);
    if (!err && !dp_regress_versions_pick(&l, a->base, a->cand, &bi, &ci)) {
        dp_regress_versions_fini(&l);
        err = dp_regress_versions_read(h, &o->filter, &l);
        if (!err)
            no_versions(a, o, &l);
        dp_regress_versions_fini(&l);
        return err ? err : 1;
    }
    if (!err && !(r = dp_regress_create()))
        err = DP_ENOMEM;
    f.loose_counts = false;
    if (!err) {
        dp_regress_versions_narrow(&l, bi, ci, &f);
        err = dp_history_regress(h, &f, l.v[bi], l.v[ci], r);
    }
    if (!err) {
        const dp_regress_row *rows;
        long n = dp_regress_compute(r, &rc, &rows);
        err = n < 0 ? (int)n
                    : render(out, o->json, o->filter.dag, l.v[bi], l.v[ci],
                             rows, n, &rc, &a->found);
    }
    dp_regress_destroy(r);
    dp_regress_versions_fini(&l);
    return err;
}

int dp_cmd_regressions(int argc, char **argv)
{
    regressions_args a = {.base = NULL};
    static const struct option own[] = {
        {"baseline", required_argument, NULL, 'b'},
        {"candidate", required_argument, NULL, 'c'},
        {"fail-on-regression", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0}};
    static const dp_history_cmd cmd = DP_HISTORY_CMD(regressions, own, true, 0);
    int status = dp_history_cmd_main(&cmd, &a, argc, argv);
    return status == 0 && a.fail_on && a.found ? 3 : status;
}
