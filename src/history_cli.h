/*
 * history_cli.h - what the history commands and the serve wiring share:
 * the store's path from the configuration, the history exporter added to
 * serve's pipeline, and the command-line pieces of runs, show, trends,
 * regressions, report --history and compare --history (--since, times
 * and money for people).
 */
#ifndef DP_HISTORY_CLI_H
#define DP_HISTORY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "exporters.h"
#include "history.h"
#include "regalert.h"

/* The store path of cfg: history.path, or history.dir/history.db. The
 * result is malloc'd (NULL on ENOMEM). */
char *dp_history_cli_path(const dp_config *cfg);

/* When history.enabled, adds the history exporter (queue history.queue_size,
 * on_full drop) to e, which is not started yet. Returns 0, or DP_E* with a
 * message naming the key in err. */
int dp_history_cli_add_exporter(dp_exporters *e, const dp_config *cfg,
                                char *err, size_t err_len);

/* When alerts has rules with condition: regression, starts their watcher
 * (history/regalert.h) on cfg's store: every history.flush_interval (at
 * least 1 s), off the ingest path, alerts handed to emit; the fired ones
 * kept in the store's PATH.alerts (clickhouse://: history.dir/
 * regression-alerts). *out NULL when there are none. Returns 0, or DP_E*
 * with a message (a regression rule with history.enabled false). */
int dp_history_cli_regression_alerts(const dp_config *cfg,
                                     const dp_alerts *alerts,
                                     dp_alert_emit_fn emit, void *user,
                                     dp_regalert **out, char *err,
                                     size_t err_len);

/* Parses --since: a duration back from now ("24h", "30d", "90m") or a UTC
 * date or time ("2026-12-01", "2026-12-01T08:00:00Z"). Returns true and the
 * Unix ns in *out. */
bool dp_history_cli_since(const char *s, uint64_t now_unix_ns, uint64_t *out);

uint64_t dp_history_cli_now(void);

/* "2026-12-03T07:01:02Z" from Unix ns (second precision). */
void dp_history_cli_time(uint64_t unix_ns, char *out, size_t len);

/* Milliseconds with 3 decimals, for JSON ("1234.500"). */
int dp_history_cli_ms(dp_buf *b, int64_t ns);

struct option; /* getopt.h */

/* ------------------------------------------------------------------------ */
/* Options every query command takes.                                       */

typedef struct dp_history_opts {
    const char *store; /* --history PATH; NULL: from the configuration */
    char *store_owned;
    bool json; /* --output json (default: json when not a tty) */
    dp_history_filter filter;
    dp_config cfg; /* --config FILE, DAGPROF_* (history.*, regression.*) */
} dp_history_opts;

/* Fills defaults and reads --config FILE, the DAGPROF_* variables and the
 * flags of the history.* and regression.* keys out of argv (*argc
 * updated). Returns 0, or prints "dagprof <cmd>: message" and returns 2. */
int dp_history_opts_init(dp_history_opts *o, const char *cmd, int *argc,
                         char **argv);
void dp_history_opts_fini(dp_history_opts *o);

/* Handles one of the shared options (--history, --output, --since,
 * --until, --dag, --version) for getopt_long code c. Returns 1 when it was
 * one, 0 when not, 2 (message printed) on a bad value. */
int dp_history_opts_take(dp_history_opts *o, const char *cmd, int c,
                         const char *arg);

/* getopt_long codes of the shared options, and their help lines. */
enum {
    DP_HOPT_HISTORY = 1000,
    DP_HOPT_OUTPUT,
    DP_HOPT_SINCE,
    DP_HOPT_UNTIL,
    DP_HOPT_DAG,
    DP_HOPT_VERSION
};
/* The history options of report --summary and compare: --history (also
 * --store), --since, --until, --dag. */
#define DP_HOPTS_STORE_FILTERS                                                 \
    {"history", required_argument, NULL, DP_HOPT_HISTORY},                     \
        {"store", required_argument, NULL, DP_HOPT_HISTORY},                   \
        {"since", required_argument, NULL, DP_HOPT_SINCE},                     \
        {"until", required_argument, NULL, DP_HOPT_UNTIL},                     \
    {                                                                          \
        "dag", required_argument, NULL, DP_HOPT_DAG                            \
    }

/* getopt_long over argv with opts ("h" the short ones; optind = 1 first),
 * taking the shared options into o on the way (dp_history_opts_take).
 * Returns the code of the next other option, -1 at the end, or -2 after a
 * bad value (message printed). */
int dp_history_opts_next(dp_history_opts *o, const char *cmd, int argc,
                         char **argv, const struct option *opts);

#define DP_HISTORY_HELP_STORE                                                  \
    "  --history PATH            the history store: a SQLite file or\n"        \
    "                            clickhouse://host:8123/db (also --store;\n"   \
    "                            default: history.path (or history.store),\n"  \
    "                            else history.dir/history.db,\n"               \
    "                            from --config FILE or DAGPROF_HISTORY_*;\n"   \
    "                            dagprof-data/history.db)\n"                   \
    "  --config FILE             YAML configuration (history.*, "              \
    "regression.*)\n"
#define DP_HISTORY_HELP_TIME                                                   \
    "  --since WHEN              runs that started at or after WHEN: a\n"      \
    "                            duration back from now (24h, 30d, 90m) or "   \
    "a\n"                                                                      \
    "                            UTC date or time (2026-12-01,\n"              \
    "                            2026-12-01T08:00:00Z)\n"                      \
    "  --until WHEN              runs that started before WHEN (same forms)\n"
#define DP_HISTORY_HELP_OUTPUT                                                 \
    "  --output text|json        a table, or one JSON object per line\n"       \
    "                            (default: text on a terminal, json\n"         \
    "                            otherwise)\n"

/* Opens o's store for reading; prints "dagprof <cmd>: message" and returns
 * NULL when it cannot (the caller exits 1). */
dp_history *dp_history_opts_open(dp_history_opts *o, const char *cmd);

/* Checks that id is a trace id or a prefix of one (8 to 32 hex digits) and
 * writes it in lower case into lower. Returns 0, or prints "dagprof <cmd>:
 * message" and returns 2. */
int dp_history_cli_trace_id(const char *cmd, const char *id, char lower[33]);
/* The stored profile JSON of the one run whose trace id is or starts with
 * lower (as `dagprof show` finds it) into json. Returns 0, or prints
 * "dagprof <cmd>: message" (no such run, several, the store failed; store
 * names the store) and returns 1. */
int dp_history_cli_profile(dp_history *h, const char *store, const char *cmd,
                           const char *lower, dp_buf *json);

/* ------------------------------------------------------------------------ */
/* A text table: cells collected, then printed with aligned columns.        */

typedef struct dp_table {
    char **cells;
    size_t n, cap, cols;
    unsigned right; /* bit i: column i right-aligned */
} dp_table;

void dp_table_init(dp_table *t, size_t cols, unsigned right);
/* Adds one cell (copied); rows fill left to right. 0 or DP_ENOMEM. */
int dp_table_cell(dp_table *t, const char *text);
int dp_table_cellf(dp_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends the table, columns two spaces apart, to out. */
int dp_table_write(const dp_table *t, dp_buf *out);
void dp_table_fini(dp_table *t);

/* Writes b to stdout; returns 0, or 2 with a message naming cmd. */
int dp_history_cli_emit(const dp_buf *b, const char *cmd);

/* ------------------------------------------------------------------------ */
/* A query command (runs, show, trends, regressions): its options, the     */
/* store opened, its answer written.                                        */

typedef struct dp_history_cmd { /* given in this order */
    const char *name;           /* "runs": messages start "dagprof runs: " */
    /* The command's own long options, {NULL} last; the main adds --history
     * (also --store), --output, with filters --since, --until, --dag and
     * --version, and -h, --help. */
    const struct option *own;
    bool filters;
    uint64_t since_back_ns; /* the default --since, back from now; 0: none */
    void (*usage)(FILE *out);
    /* The command's own option c (tried before the shared ones): 1 taken,
     * 0 not its own, 2 a bad value (message printed). */
    int (*option)(void *user, dp_history_opts *o, int c, const char *arg);
    /* Checks the n arguments after the options: 0, or 2 (message
     * printed). */
    int (*operands)(void *user, dp_history_opts *o, int n, char **args);
    /* Reads the open store h into out. Returns 0 (out goes to stdout), a
     * positive exit status (message printed, nothing written) or DP_E*
     * ("dagprof NAME: STORE: error", exit status 1). */
    int (*run)(void *user, dp_history_opts *o, dp_history *h, dp_buf *out);
} dp_history_cmd;

/* The dp_history_cmd of command NAME, whose functions are NAME_usage,
 * NAME_option, NAME_operands and NAME_run. */
#define DP_HISTORY_CMD(NAME, own, filters, since_back_ns)                      \
    {                                                                          \
        (#NAME), (own), (filters), (since_back_ns), NAME##_usage,              \
            NAME##_option, NAME##_operands, NAME##_run                         \
    }

/* The main of a query command: dp_history_opts_init, the options (-h: the
 * usage on stdout, exit status 0; an unknown one: the usage on stderr, 2),
 * the operands, the store opened (1 when it cannot be), cmd->run and its
 * output written. Returns the exit status. */
int dp_history_cmd_main(const dp_history_cmd *cmd, void *user, int argc,
                        char **argv);

#endif /* DP_HISTORY_CLI_H */
