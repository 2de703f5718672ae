/*
 * history_runs.c - stored runs as dp_run records (summary.h), so the views
 * across runs that read files - `report --summary` and `compare` - read
 * the history store the same way (--history PATH --since ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_runs.h"

typedef struct adapt {
    dp_run_fn fn;
    void *user;
    dp_run_node *nodes;
    size_t cap;
    uint64_t runs;
} adapt;

static int to_run(void *user, const dp_history_run *hr)
{
    adapt *a = user;
    dp_run run;
    if (hr->n_nodes > a->cap) {
        dp_run_node *n = realloc(a->nodes, hr->n_nodes * sizeof(*n));
        if (!n)
            return DP_ENOMEM;
        a->nodes = n;
        a->cap = hr->n_nodes;
    }
    memset(&run, 0, sizeof(run));
    run.dag_id = hr->dag_id;
    run.wall_ns = hr->wall_ns;
    run.critical_path_ns = hr->critical_path_ns;
    run.cost_pusd = hr->cost_pusd;
    run.tokens = hr->tokens;
    memcpy(run.bottlenecks, hr->bottlenecks, sizeof(run.bottlenecks));
    for (size_t i = 0; i < hr->n_nodes; i++) {
        a->nodes[i].id = hr->nodes[i].node_id;
        /* As dp_run_from_profile: what a node spent itself. */
        a->nodes[i].cost_pusd = hr->nodes[i].own_cost_pusd;
        a->nodes[i].execution_ns = hr->nodes[i].execution_ns;
    }
    run.nodes = hr->n_nodes ? a->nodes : NULL;
    run.n_nodes = hr->n_nodes;
    a->runs++;
    return a->fn(a->user, &run);
}

int dp_history_each_run(dp_history *h, const dp_history_filter *f, dp_run_fn fn,
                        void *user, uint64_t *runs)
{
    adapt a = {fn, user, NULL, 0, 0};
    int err = dp_history_runs(
        h, f, DP_HISTORY_OLDEST, 0,
        DP_HISTORY_WANT_NODES | DP_HISTORY_WANT_BOTTLENECKS, to_run, &a);
    free(a.nodes);
    if (runs)
        *runs = a.runs;
    return err;
}

int dp_summary_report_history(dp_history *h, const dp_history_filter *f,
                              const char *store, bool json,
                              uint64_t runs_per_day)
{
    dp_summary *s = dp_summary_create();
    dp_buf out;
    int status = 0;
    dp_buf_init(&out);
    int err =
        s ? dp_history_each_run(h, f, dp_summary_add_fn, s, NULL) : DP_ENOMEM;
    if (!err)
        err = json ? dp_summary_write_json(s, &out, runs_per_day)
                   : dp_summary_write_text(s, &out, runs_per_day);
    if (err) {
        fprintf(stderr, "dagprof report: %s: %s\n", store, dp_strerror(err));
        status = 1;
    } else if ((out.len && fwrite(out.data, 1, out.len, stdout) != out.len) ||
               fflush(stdout) != 0) {
        fprintf(stderr, "dagprof report: cannot write output\n");
        status = 2;
    }
    dp_buf_fini(&out);
    dp_summary_destroy(s);
    return status;
}

int dp_compare_history_open(dp_history_opts *o, bool by_dag_id, int nfiles,
                            dp_history **h)
{
    *h = NULL;
    if (!o->store) {
        if (o->filter.dag || o->filter.since_unix_ns ||
            o->filter.until_unix_ns) {
            fputs("dagprof compare: --since, --until and --dag need "
                  "--history\n",
                  stderr);
            return 2;
        }
        return 0;
    }
    if (by_dag_id ? nfiles != 0 : nfiles != 2) {
        fputs("dagprof compare: --history takes two versions A B, or --by "
              "dagId and none\n",
              stderr);
        return 2;
    }
    *h = dp_history_opts_open(o, "compare");
    return *h ? 0 : 1;
}
