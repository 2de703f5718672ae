/*
 * history_runs.h - stored runs for the views across runs (summary.h):
 * `dagprof report --summary --history PATH` and `dagprof compare
 * --history PATH` read the history store through this adapter.
 */
#ifndef DP_HISTORY_RUNS_H
#define DP_HISTORY_RUNS_H

#include "history.h"
#include "history_cli.h"
#include "summary.h"

/* Delivers every stored run matching f, oldest first, as a dp_run (nodes'
 * own cost and executionTime, bottleneck counts) to fn. *runs (may be
 * NULL) receives the number delivered. Returns 0, a DP_E* code, or fn's. */
int dp_history_each_run(dp_history *h, const dp_history_filter *f, dp_run_fn fn,
                        void *user, uint64_t *runs);

/* `report --summary --history`: the summary of the runs matching f, to
 * stdout. Returns the exit status (0, 1 unreadable store, 2 output). */
int dp_summary_report_history(dp_history *h, const dp_history_filter *f,
                              const char *store, bool json,
                              uint64_t runs_per_day);

/* `compare --history`: checks the arguments (--since, --until, --dag only
 * with --history; two versions A B, or none with --by dagId) and opens
 * the store into *h (NULL without --history). Returns 0, or the exit
 * status with a message printed. */
int dp_compare_history_open(dp_history_opts *o, bool by_dag_id, int nfiles,
                            dp_history **h);

#endif /* DP_HISTORY_RUNS_H */
