/*
 * cmd_runs.c - `dagprof runs`: the stored runs, one line each (trace id,
 * dag, version, start, wall, cost, tokens, top bottleneck), newest first
 * or the slowest / costliest, read through the history query interface.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "history_cli.h"
#include "stats.h"

static void runs_usage(FILE *out)
{
    fputs("usage: dagprof runs [options]\n"
          "\n"
          "Lists the runs kept in the history store (dagprof serve writes\n"
          "every profile there; dagprof report --history PATH loads files),\n"
          "one line each: trace id, dagId, version, start (UTC), wall, cost,\n"
          "tokens, failed nodes and the top bottleneck (type and node).\n"
          "\n"
          "options:\n" DP_HISTORY_HELP_STORE
          "  --dag D                   runs of this dagId only\n"
          "  --version V               runs of this version "
          "only\n" DP_HISTORY_HELP_TIME
          "  --slowest                 longest wall first (default: newest\n"
          "                            first)\n"
          "  --costliest               highest cost first\n"
          "  --limit N                 at most N runs (default 20; 0: "
          "all)\n" DP_HISTORY_HELP_OUTPUT
          "  -h, --help                this help\n"
          "\n"
          "JSON: one object per run with traceId, dagId, version, sessionId,\n"
          "serviceName, start (RFC 3339), startTimeUnixNano, wall and\n"
          "criticalPath (ms), cost (USD), tokens, complete,\n"
          "incompleteReason, spanCount, nodeCount, failedNodes,\n"
          "topBottleneck ({type, nodeId} or null).\n"
          "\n"
          "Exit status: 0 listed (also when no run matches); 1 the store\n"
          "cannot be read; 2 usage error.\n",
          out);
}

typedef struct runs_ctx {
    bool json;
    dp_buf *out;
    dp_table table;
    uint64_t n;
} runs_ctx;

/* Appends member (",\"key\":") and s as a JSON string, or null. */
static void str_member(dp_buf *b, const char *member, const char *s)
{
    dp_buf_puts(b, member);
    if (s)
        dp_buf_json_string(b, s);
    else
        dp_buf_puts(b, "null");
}

static int on_run(void *user, const dp_history_run *r)
{
    runs_ctx *c = user;
    char when[32], money[64];
    dp_history_cli_time(r->start_unix_ns, when, sizeof(when));
    c->n++;
    if (c->json) {
        dp_buf *b = c->out;
        dp_buf_puts(b, "{\"traceId\":");
        dp_buf_json_string(b, r->trace_id);
        dp_buf_puts(b, ",\"dagId\":");
        dp_buf_json_string(b, r->dag_id);
        str_member(b, ",\"version\":", r->version);
        str_member(b, ",\"sessionId\":", r->session_id);
        str_member(b, ",\"serviceName\":", r->service_name);
        dp_buf_printf(b, ",\"start\":\"%s\",\"startTimeUnixNano\":\"%llu\"",
                      when, (unsigned long long)r->start_unix_ns);
        dp_buf_puts(b, ",\"wall\":");
        dp_buf_ms(b, r->wall_ns);
        dp_buf_puts(b, ",\"criticalPath\":");
        dp_buf_ms(b, r->critical_path_ns);
        dp_buf_puts(b, ",\"cost\":");
        dp_buf_usd(b, r->cost_pusd);
        dp_buf_printf(b, ",\"tokens\":%lld,\"complete\":%s",
                      (long long)r->tokens, r->complete ? "true" : "false");
        str_member(b, ",\"incompleteReason\":", r->incomplete_reason);
        dp_buf_printf(b,
                      ",\"spanCount\":%llu,\"nodeCount\":%u,"
                      "\"failedNodes\":%u,\"topBottleneck\":",
                      (unsigned long long)r->span_count, r->node_count,
                      r->failed_nodes);
        if (r->top_bottleneck) {
            dp_buf_puts(b, "{\"type\":");
            dp_buf_json_string(b, r->top_bottleneck);
            str_member(b, ",\"nodeId\":", r->top_bottleneck_node);
            dp_buf_puts(b, "}");
        } else {
            dp_buf_puts(b, "null");
        }
        return dp_buf_puts(b, "}\n") ? DP_ENOMEM : 0;
    }
    dp_table *t = &c->table;
    dp_buf w;
    dp_buf_init(&w);
    dp_buf_ms(&w, r->wall_ns);
    dp_buf_puts(&w, "ms");
    int err =
        dp_table_cell(t, r->trace_id) || dp_table_cell(t, r->dag_id) ||
        dp_table_cell(t, r->version ? r->version : "-") ||
        dp_table_cell(t, when) || dp_table_cell(t, w.data) ||
        dp_table_cell(t, dp_money_text(money, sizeof(money), r->cost_pusd)) ||
        dp_table_cellf(t, "%lld", (long long)r->tokens) ||
        dp_table_cellf(t, "%u%s", r->failed_nodes,
                       r->complete ? "" : " (incomplete)") ||
        (r->top_bottleneck
             ? dp_table_cellf(t, "%s (%s)", r->top_bottleneck,
                              r->top_bottleneck_node ? r->top_bottleneck_node
                                                     : "-")
             : dp_table_cell(t, "-"));
    dp_buf_fini(&w);
    return err ? DP_ENOMEM : 0;
}

typedef struct runs_args {
    int order;
    unsigned long long limit;
} runs_args;

static int runs_option(void *user, dp_history_opts *o, int c, const char *arg)
{
    runs_args *a = user;
    char *end;
    (void)o;
    if (c == 's' || c == 'c') { /* --slowest, --costliest */
        a->order = c == 's' ? DP_HISTORY_SLOWEST : DP_HISTORY_COSTLIEST;
        return 1;
    }
    if (c != 'l')
        return 0;
    a->limit = strtoull(arg, &end, 10);
    if (*end || arg[0] == '-' || !arg[0]) {
        fprintf(stderr,
                "dagprof runs: --limit must be a whole number, not '%s'\n",
                arg);
        return 2;
    }
    return 1;
}

static int runs_operands(void *user, dp_history_opts *o, int n, char **args)
{
    (void)user, (void)o;
    if (n > 0) {
        fprintf(stderr, "dagprof runs: unexpected argument '%s'\n", args[0]);
        return 2;
    }
    return 0;
}

static int runs_run(void *user, dp_history_opts *o, dp_history *h, dp_buf *out)
{
    runs_args *a = user;
    runs_ctx rc;
    memset(&rc, 0, sizeof(rc));
    rc.json = o->json;
    rc.out = out;
    dp_table_init(&rc.table, 9, (1u << 4) | (1u << 5) | (1u << 6));
    if (!rc.json) {
        const char *head[] = {"TRACE ID", "DAG",    "VERSION",
                              "START",    "WALL",   "COST",
                              "TOKENS",   "FAILED", "TOP BOTTLENECK"};
        for (int i = 0; i < 9; i++)
            dp_table_cell(&rc.table, head[i]);
    }
    int err =
        dp_history_runs(h, &o->filter, a->order, a->limit, 0, on_run, &rc);
    if (!err && !rc.json) {
        if (rc.n)
            dp_table_write(&rc.table, out);
        else
            dp_buf_puts(out, "no runs match\n");
    }
    dp_table_fini(&rc.table);
    return err;
}

int dp_cmd_runs(int argc, char **argv)
{
    runs_args a = {DP_HISTORY_NEWEST, 20};
    static const struct option own[] = {{"slowest", no_argument, NULL, 's'},
                                        {"costliest", no_argument, NULL, 'c'},
                                        {"limit", required_argument, NULL, 'l'},
                                        {NULL, 0, NULL, 0}};
    static const dp_history_cmd cmd = DP_HISTORY_CMD(runs, own, true, 0);
    return dp_history_cmd_main(&cmd, &a, argc, argv);
}
