/*
 * cmd_trends.c - `dagprof trends --dag D`: a DAG's runs per day, hour or
 * version (history/trends.c): runs, p50/p95 wall and cost, tokens, error
 * rate (runs with a failed node), and in text an ASCII sparkline of each
 * series across the buckets.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "history_cli.h"
#include "history_stats.h"

static void trends_usage(FILE *out)
{
    fputs("usage: dagprof trends --dag D [options]\n"
          "\n"
          "A DAG's stored runs grouped per day or hour (UTC, by the run's\n"
          "start) or per version (in order of each version's first run):\n"
          "runs, wall p50/p95, cost p50/p95, tokens per run (mean) and the\n"
          "error rate (runs with a failed node). Percentiles are nearest\n"
          "rank: pP of n runs is the ceil(P/100 x n)-th smallest value. The\n"
          "text form ends with a sparkline per series, one character per\n"
          "bucket, lowest '_' to highest '#' (\"_.-~=+*#\").\n"
          "\n"
          "options:\n"
          "  --dag D                   the DAG (required)\n"
          "  --by day|hour|version     the bucket (default "
          "day)\n" DP_HISTORY_HELP_TIME
          "                            (default --since 30d)\n"
          "  --version V               runs of this version "
          "only\n" DP_HISTORY_HELP_STORE DP_HISTORY_HELP_OUTPUT
          "  -h, --help                this help\n"
          "\n"
          "JSON: one object per bucket: dagId, by, bucket, start,\n"
          "runs, wallP50, wallP95 (ms), costP50, costP95 (USD), tokens,\n"
          "tokensMean, errors, errorRate.\n"
          "\n"
          "Exit status: 0 printed (also when no run matches); 1 the store\n"
          "cannot be read; 2 usage error.\n",
          out);
}

static int write_json(dp_trends *t, const char *dag, const char *by, dp_buf *b)
{
    char when[32];
    for (size_t i = 0; i < dp_trends_count(t); i++) {
        dp_trend_bucket k;
        dp_trends_get(t, i, &k);
        dp_history_cli_time(k.start_unix_ns, when, sizeof(when));
        dp_buf_puts(b, "{\"dagId\":");
        dp_buf_json_string(b, dag);
        dp_buf_printf(b, ",\"by\":\"%s\",\"bucket\":", by);
        dp_buf_json_string(b, k.label);
        dp_buf_printf(b, ",\"start\":\"%s\",\"runs\":%llu,\"wallP50\":", when,
                      (unsigned long long)k.runs);
        dp_buf_ms(b, k.wall_p50_ns);
        dp_buf_puts(b, ",\"wallP95\":");
        dp_buf_ms(b, k.wall_p95_ns);
        dp_buf_puts(b, ",\"costP50\":");
        dp_buf_usd(b, k.cost_p50_pusd);
        dp_buf_puts(b, ",\"costP95\":");
        dp_buf_usd(b, k.cost_p95_pusd);
        dp_buf_printf(b,
                      ",\"tokens\":%lld,\"tokensMean\":%lld,\"errors\":%llu,"
                      "\"errorRate\":%.4f}\n",
                      (long long)k.tokens_total, (long long)k.tokens_mean,
                      (unsigned long long)k.errors, k.error_rate);
    }
    return b->data ? 0 : DP_ENOMEM;
}

static int write_text(dp_trends *t, const char *dag, const char *by, dp_buf *b)
{
    size_t n = dp_trends_count(t);
    uint64_t runs = 0;
    dp_table tab;
    char money[64];
    int64_t *series[5];
    for (int s = 0; s < 5; s++)
        series[s] = calloc(n ? n : 1, sizeof(int64_t));
    dp_table_init(&tab, 8, 0xfe);
    const char *head[] = {"BUCKET",   "RUNS",     "WALL P50",   "WALL P95",
                          "COST P50", "COST P95", "TOKENS/RUN", "ERRORS"};
    for (int i = 0; i < 8; i++)
        dp_table_cell(&tab, head[i]);
    for (size_t i = 0; i < n; i++) {
        dp_trend_bucket k;
        dp_trends_get(t, i, &k);
        runs += k.runs;
        dp_buf ms;
        dp_buf_init(&ms);
        dp_table_cell(&tab, k.label);
        dp_table_cellf(&tab, "%llu", (unsigned long long)k.runs);
        dp_buf_ms(&ms, k.wall_p50_ns);
        dp_table_cellf(&tab, "%sms", ms.data);
        dp_buf_reset(&ms);
        dp_buf_ms(&ms, k.wall_p95_ns);
        dp_table_cellf(&tab, "%sms", ms.data);
        dp_buf_fini(&ms);
        dp_table_cell(&tab,
                      dp_money_text(money, sizeof(money), k.cost_p50_pusd));
        dp_table_cell(&tab,
                      dp_money_text(money, sizeof(money), k.cost_p95_pusd));
        dp_table_cellf(&tab, "%lld", (long long)k.tokens_mean);
        dp_table_cellf(&tab, "%.1f%%", k.error_rate * 100);
        if (series[0] && series[1] && series[2] && series[3] && series[4]) {
            series[0][i] = (int64_t)k.runs;
            series[1][i] = k.wall_p50_ns;
            series[2][i] = k.cost_p50_pusd;
            series[3][i] = k.tokens_mean;
            series[4][i] = (int64_t)(k.error_rate * 1e6);
        }
    }
    dp_buf_printf(b, "%s by %s: %llu run%s in %zu bucket%s\n", dag, by,
                  (unsigned long long)runs, runs == 1 ? "" : "s", n,
                  n == 1 ? "" : "s");
    int err = 0;
    if (n) {
        err = dp_table_write(&tab, b);
        static const char *const names[] = {"runs", "wall p50", "cost p50",
                                            "tokens/run", "error rate"};
        dp_buf_puts(b, "\n");
        for (int s = 0; s < 5 && series[s]; s++) {
            dp_buf_printf(b, "%-11s ", names[s]);
            err = err ? err : dp_sparkline(b, series[s], n);
            dp_buf_puts(b, "\n");
        }
    }
    for (int s = 0; s < 5; s++)
        free(series[s]);
    dp_table_fini(&tab);
    return err ? err : b->data ? 0 : DP_ENOMEM;
}

static const char *const by_names[] = {"day", "hour", "version"};

static int trends_option(void *user, dp_history_opts *o, int c, const char *arg)
{
    int *by = user;
    (void)o;
    if (c != 'b')
        return 0;
    *by = dp_trend_by_parse(arg);
    if (*by < 0) {
        fprintf(stderr,
                "dagprof trends: --by must be day, hour or version, not "
                "'%s'\n",
                arg);
        return 2;
    }
    return 1;
}

static int trends_operands(void *user, dp_history_opts *o, int n, char **args)
{
    (void)user, (void)args;
    if (n > 0 || !o->filter.dag) {
        fprintf(stderr, n > 0 ? "dagprof trends: unexpected argument\n"
                              : "dagprof trends: --dag D is required (dagprof "
                                "runs lists the DAGs stored)\n");
        return 2;
    }
    return 0;
}

static int trends_run(void *user, dp_history_opts *o, dp_history *h,
                      dp_buf *out)
{
    int by = *(int *)user;
    dp_trends *t = dp_trends_create(by);
    int err = t ? dp_history_trends(h, &o->filter, by, t) : DP_ENOMEM;
    if (!err)
        err = o->json ? write_json(t, o->filter.dag, by_names[by], out)
                      : write_text(t, o->filter.dag, by_names[by], out);
    dp_trends_destroy(t);
    return err;
}

int dp_cmd_trends(int argc, char **argv)
{
    int by = DP_TREND_DAY;
    static const struct option own[] = {{"by", required_argument, NULL, 'b'},
                                        {NULL, 0, NULL, 0}};
    static const dp_history_cmd cmd =
        DP_HISTORY_CMD(trends, own, true, 30ULL * 86400000000000ULL);
    return dp_history_cmd_main(&cmd, &by, argc, argv);
}
