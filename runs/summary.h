/*
 * summary.h - views across runs: the run record, the reader that produces
 * run records from files, and the per-DAG summary of `dagprof report
 * --summary`.
 *
 * Flow: a dp_run_reader takes input files - JSON profile files (one profile
 * per line, as `dagprof report --output json` writes them) or OTLP trace
 * files, which it profiles on the fly with its own processor - and calls
 * back once per run with a dp_run: the few numbers the cross-run views
 * need. The summary collector (summary.c) keeps per run only wall, cost and
 * tokens, plus per-DAG counters; `dagprof compare` (cmd_compare.c) keeps
 * sums per side. No whole profile is kept once its run has been delivered.
 *
 * Statistics follow stats.h: nearest-rank percentiles, means rounded half
 * away from zero, money exact in pico-USD.
 */
#ifndef DP_SRC_SUMMARY_H
#define DP_SRC_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "processor.h"
#include "stats.h"
#include "window.h"

/* ------------------------------------------------------------------------ */
/* The run record: a view valid only during the callback that receives it.  */

typedef struct dp_run_node {
    const char *id;
    int64_t cost_pusd;
    int64_t execution_ns;
} dp_run_node;

typedef struct dp_run {
    const char *dag_id; /* never NULL ("" when the run had none) */
    int64_t wall_ns;
    int64_t critical_path_ns;
    int64_t cost_pusd;
    int64_t tokens;                     /* input + output */
    uint32_t bottlenecks[DP_BN__COUNT]; /* detected bottlenecks per type */
    const dp_run_node *nodes;           /* in the profile's node order */
    size_t n_nodes;
} dp_run;

/* Called once per run; returns 0, or a negative DP_E* code that stops the
 * reader (returned by the reader function that was running). */
typedef int (*dp_run_fn)(void *user, const dp_run *run);

/* Fills run from a finished profile; nodes (p->n_nodes entries, may be NULL
 * when there are none) is caller-provided storage the run points into, as
 * it points into p. O(nodes + bottlenecks). */
void dp_run_from_profile(dp_run *run, dp_run_node *nodes, const dp_profile *p);

/* Parses one JSON profile line (DESIGN.md "Output") into run. Reads dagId,
 * metrics.totalDuration, criticalPathDuration, totalTokens.totalTokens,
 * totalCost.totalCost, nodeMetrics[].{nodeId, executionTime, cost} and
 * analysis.bottlenecks[].type; the rest is ignored. Milliseconds are
 * converted to integer ns, USD to pico-USD (exact for amounts below
 * $2,000). Calls fn(user, run) on success. Returns 0, the callback's code,
 * DP_EPARSE with a message in err, or DP_ENOMEM. */
int dp_run_parse_json(const char *line, size_t len, dp_run_fn fn, void *user,
                      char *err, size_t err_len);

/* ------------------------------------------------------------------------ */
/* The reader: files in, runs out.                                          */

typedef struct dp_run_reader dp_run_reader;

/* Creates a reader; format (enum dp_trace_format) applies to trace files,
 * pricing (not owned, must outlive the reader) prices them, window (NULL:
 * the whole input) says when a trace is finalized before the end of input
 * (window.h; cmd names the command in its messages). fn receives the runs.
 * NULL on ENOMEM. */
dp_run_reader *dp_run_reader_create(int format, const dp_processor_config *proc,
                                    const dp_window_opt *window,
                                    const char *cmd, dp_run_fn fn, void *user);

/* Reads path ("-" is stdin). A file whose first non-blank line is a JSON
 * object with a "profileId" member is a profile file: every line is one
 * profile, delivered at once. Anything else is an OTLP trace file read like
 * `dagprof report` reads it; its spans join the reader's processor, and
 * runs are delivered as traces are finalized, at the latest by
 * dp_run_reader_finish(). Malformed lines are reported on stderr
 * ("dagprof: FILE:LINE: ...") and skipped. Returns 0, DP_EPARSE when
 * something was skipped, DP_EIO (message written), DP_ENOMEM, or a
 * callback's code. */
int dp_run_reader_add_file(dp_run_reader *r, const char *path);

/* Finalizes every trace still held and delivers its run, then reports the
 * spans that came after the window had finalized their trace (stderr).
 * Returns 0, DP_ENOMEM or a callback's code. */
int dp_run_reader_finish(dp_run_reader *r);

/* Runs delivered so far. */
uint64_t dp_run_reader_runs(const dp_run_reader *r);

void dp_run_reader_destroy(dp_run_reader *r);

/* ------------------------------------------------------------------------ */
/* The summary: runs grouped by dagId.                                      */

typedef struct dp_summary dp_summary;

/* One DAG's numbers, computed by dp_summary_dag(). */
typedef struct dp_summary_dag {
    const char *dag_id; /* points into the summary */
    uint64_t runs;
    int64_t wall_mean_ns, wall_p50_ns, wall_p95_ns, wall_max_ns;
    int64_t cost_mean_pusd, cost_p50_pusd, cost_p95_pusd, cost_max_pusd;
    int64_t tokens_mean_x100; /* hundredths of a token */
    int64_t tokens_p50, tokens_p95, tokens_max;
    int top_bottleneck; /* enum dp_bottleneck_type, -1: none detected */
    uint64_t top_bottleneck_count; /* detections over all runs */
    uint64_t top_bottleneck_runs;  /* runs with at least one */
    const char *costliest_node;    /* NULL when no node cost anything */
    dp_i128 costliest_node_pusd;   /* its total over all runs */
    uint64_t costliest_node_runs;  /* runs in which it appeared */
} dp_summary_dag;

dp_summary *dp_summary_create(void);
void dp_summary_destroy(dp_summary *s);

/* Adds one run to its DAG's group (copies what it keeps). Returns 0 or
 * DP_ENOMEM. Amortized O(nodes) when runs of a DAG list their nodes in the
 * same order, O(nodes^2) at worst. Suits dp_run_fn. */
int dp_summary_add(dp_summary *s, const dp_run *run);
int dp_summary_add_fn(void *summary, const dp_run *run);

/* Number of DAGs; dp_summary_dag() fills the i-th in dagId byte order.
 * dp_summary_dag sorts the group's values (O(runs log runs)). */
size_t dp_summary_dag_count(dp_summary *s);
void dp_summary_dag_get(dp_summary *s, size_t i, dp_summary_dag *out);

/* Projection of one DAG at runs_per_day: N x p50 and N x p95 per-run cost
 * and tokens, per day and per 30 days. */
typedef struct dp_projection {
    dp_i128 daily_cost_p50, daily_cost_p95; /* pico-USD */
    dp_i128 daily_tokens_p50, daily_tokens_p95;
    dp_i128 monthly_cost_p50, monthly_cost_p95; /* 30 days */
    dp_i128 monthly_tokens_p50, monthly_tokens_p95;
} dp_projection;

void dp_summary_project(const dp_summary_dag *d, uint64_t runs_per_day,
                        dp_projection *out);

/* Appends the human table (every DAG, about 80 columns) or one JSON object
 * per DAG per line. runs_per_day 0 leaves the projection out (JSON:
 * "projection": null). Returns 0 or DP_ENOMEM. */
int dp_summary_write_text(dp_summary *s, dp_buf *out, uint64_t runs_per_day);
int dp_summary_write_json(dp_summary *s, dp_buf *out, uint64_t runs_per_day);

/* `dagprof report --summary`: reads files[0..n) with a reader, then writes
 * the summary to stdout (json: true for JSON lines). Returns the exit
 * status: 0, 1 when some input was malformed, 2 when output failed. */
int dp_summary_report(char **files, int n, int format,
                      const dp_processor_config *proc,
                      const dp_window_opt *window, bool json,
                      uint64_t runs_per_day);

#endif /* DP_SRC_SUMMARY_H */
