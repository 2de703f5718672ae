/*
 * run_reader.c - the input side of the views across runs: turns profiles
 * (finished dp_profile values, or JSON profile lines read back from a
 * file) into dp_run records, reads files of either kind, and runs
 * `dagprof report --summary`.
 *
 * Flow: dp_run_reader_add_file() looks at the first non-blank line of a
 * file. A JSON profile line means a profile file: each line is parsed with
 * jansson and delivered as a run. Otherwise the file is OTLP and goes
 * through the same path as `dagprof report` (trace_file -> processor), and
 * each finalized profile is reduced to a run and freed at once. The runs
 * go to a callback: the summary collector (summary.c) or the compare
 * command's sides (cmd_compare.c).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "summary.h"
#include "trace_file.h"

/* ------------------------------------------------------------------------ */
/* Runs from profiles                                                        */

void dp_run_from_profile(dp_run *run, dp_run_node *nodes, const dp_profile *p)
{
    memset(run, 0, sizeof(*run));
    run->dag_id = p->dag_id ? p->dag_id : "";
    run->wall_ns = p->wall_ns;
    run->critical_path_ns = p->critical_path_ns;
    run->cost_pusd = p->cost_pusd;
    if (__builtin_add_overflow(p->tokens.input, p->tokens.output, &run->tokens))
        run->tokens = INT64_MAX;
    for (size_t i = 0; i < p->n_bottlenecks; i++)
        if (p->bottlenecks[i].type >= 0 &&
            p->bottlenecks[i].type < DP_BN__COUNT)
            run->bottlenecks[p->bottlenecks[i].type]++;
    for (size_t i = 0; i < p->n_nodes; i++) {
        nodes[i].id = p->nodes[i].id ? p->nodes[i].id : "";
        nodes[i].cost_pusd = p->nodes[i].own_cost_pusd; /* groups: own */
        nodes[i].execution_ns = p->nodes[i].execution_ns;
    }
    run->nodes = p->n_nodes ? nodes : NULL;
    run->n_nodes = p->n_nodes;
}

/* obj.key as a number of milliseconds, converted to integer ns (the JSON
 * carries 3 decimals, so the result is exact to the microsecond). */
static bool get_ms(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    double ms;
    if (!json_is_number(v))
        return false;
    ms = json_number_value(v);
    if (!isfinite(ms) || fabs(ms) > 9.0e12)
        return false;
    *out = (int64_t)llround(ms * 1e6);
    return true;
}

/* obj.key as USD, converted to pico-USD. A double holds a decimal amount
 * with 12 decimals closely enough for llround to recover the exact pico-USD
 * below about $2,000 (error < 2^-52 relative). */
static bool get_usd(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    double usd;
    if (!json_is_number(v))
        return false;
    usd = json_number_value(v);
    if (!isfinite(usd) || fabs(usd) > 9.0e6)
        return false;
    *out = (int64_t)llround(usd * 1e12);
    return true;
}

static int bottleneck_type(const char *name)
{
    for (int t = 0; t < DP_BN__COUNT; t++)
        if (strcmp(dp_bottleneck_type_name(t), name) == 0)
            return t;
    return -1;
}

int dp_run_parse_json(const char *line, size_t len, dp_run_fn fn, void *user,
                      char *err, size_t err_len)
{
    json_error_t je;
    json_t *root, *metrics, *tot, *nodes, *analysis, *bns;
    dp_run run;
    dp_run_node *rn = NULL;
    const char *what = NULL;
    int rc = DP_EPARSE;

    root = json_loadb(line, len, 0, &je);
    if (root == NULL) {
        snprintf(err, err_len, "not JSON: %s (column %d)", je.text, je.column);
        return DP_EPARSE;
    }
    memset(&run, 0, sizeof(run));
    if (!json_is_object(root) || !json_object_get(root, "profileId")) {
        what = "not a profile (no profileId)";
        goto out;
    }
    run.dag_id = json_string_value(json_object_get(root, "dagId"));
    if (run.dag_id == NULL) {
        what = "dagId missing or not a string";
        goto out;
    }
    metrics = json_object_get(root, "metrics");
    if (!get_ms(metrics, "totalDuration", &run.wall_ns)) {
        what = "metrics.totalDuration missing or not a number";
        goto out;
    }
    if (!get_ms(metrics, "criticalPathDuration", &run.critical_path_ns)) {
        what = "metrics.criticalPathDuration missing or not a number";
        goto out;
    }
    tot =
        json_object_get(json_object_get(metrics, "totalTokens"), "totalTokens");
    if (!json_is_integer(tot) && !json_is_null(tot)) {
        what = "metrics.totalTokens.totalTokens missing or not an integer";
        goto out;
    }
    run.tokens = (int64_t)json_integer_value(tot); /* null: none reported */
    if (!get_usd(json_object_get(metrics, "totalCost"), "totalCost",
                 &run.cost_pusd)) {
        what = "metrics.totalCost.totalCost missing or not an amount";
        goto out;
    }

    nodes = json_object_get(root, "nodeMetrics");
    if (nodes != NULL && !json_is_array(nodes)) {
        what = "nodeMetrics is not an array";
        goto out;
    }
    run.n_nodes = json_array_size(nodes);
    if (run.n_nodes > 0) {
        rn = calloc(run.n_nodes, sizeof(*rn));
        if (rn == NULL) {
            rc = DP_ENOMEM;
            goto out;
        }
    }
    /* A group's cost is its subtree's; what it spent itself is its byNode
     * entry (absent: nothing), as dp_run_from_profile counts it. */
    const json_t *by_node =
        json_object_get(json_object_get(metrics, "totalCost"), "byNode");
    for (size_t i = 0; i < run.n_nodes; i++) {
        const json_t *n = json_array_get(nodes, i);
        rn[i].id = json_string_value(json_object_get(n, "nodeId"));
        const json_t *kind = json_object_get(n, "kind");
        bool group = json_is_string(kind) &&
                     strcmp(json_string_value(kind), "group") == 0;
        bool cost_ok = group ? (!json_object_get(by_node, rn[i].id) ||
                                get_usd(by_node, rn[i].id, &rn[i].cost_pusd))
                             : get_usd(n, "cost", &rn[i].cost_pusd);
        if (rn[i].id == NULL ||
            !get_ms(n, "executionTime", &rn[i].execution_ns) || !cost_ok) {
            snprintf(err, err_len,
                     "nodeMetrics[%zu]: nodeId, executionTime or cost "
                     "missing or of the wrong type",
                     i);
            goto out_msg;
        }
    }
    run.nodes = rn;

    analysis = json_object_get(root, "analysis");
    bns = json_object_get(analysis, "bottlenecks");
    if (bns != NULL && !json_is_array(bns)) {
        what = "analysis.bottlenecks is not an array";
        goto out;
    }
    for (size_t i = 0; i < json_array_size(bns); i++) {
        const char *type =
            json_string_value(json_object_get(json_array_get(bns, i), "type"));
        int t = type ? bottleneck_type(type) : -1;
        if (t >= 0)
            run.bottlenecks[t]++;
    }
    rc = fn(user, &run);
out:
    if (what != NULL)
        snprintf(err, err_len, "%s", what);
out_msg:
    free(rn);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The reader                                                                */

struct dp_run_reader {
    int format;
    dp_run_fn fn;
    void *user;
    dp_processor *proc;
    uint64_t runs;
    uint64_t messages; /* decode messages written for the current file */
    int cb_err;        /* first error while delivering a profile */
    dp_run_node *scratch;
    size_t scratch_cap;
    bool parse_failed; /* a malformed profile line in the current file */
    dp_window win;
};

/* Counts the runs the reader delivers, then hands them on. */
static int deliver(void *user, const dp_run *run)
{
    dp_run_reader *r = user;
    r->runs++;
    return r->fn(r->user, run);
}

static void on_profile(dp_profile *p, void *user)
{
    dp_run_reader *r = user;
    dp_run run;

    if (r->cb_err == 0 && p->n_nodes > r->scratch_cap) {
        dp_run_node *s = realloc(r->scratch, p->n_nodes * sizeof(*s));
        if (s == NULL) {
            r->cb_err = DP_ENOMEM;
        } else {
            r->scratch = s;
            r->scratch_cap = p->n_nodes;
        }
    }
    if (r->cb_err == 0) {
        dp_run_from_profile(&run, r->scratch, p);
        r->cb_err = deliver(r, &run);
    }
    dp_profile_free(p);
}

static int on_span(void *user, const dp_span_in *span)
{
    dp_run_reader *r = user;
    int err = dp_window_add_span(&r->win, span);
    return err == DP_ELATE ? 0 : err;
}

static void on_finalized(const uint8_t trace_id[16], void *user)
{
    dp_run_reader *r = user;
    dp_window_finalized(&r->win, trace_id);
}

static void on_decode_error(void *user, const char *message)
{
    dp_run_reader *r = user;
    r->messages++;
    fprintf(stderr, "dagprof: %s\n", message);
}

dp_run_reader *dp_run_reader_create(int format, const dp_processor_config *proc,
                                    const dp_window_opt *window,
                                    const char *cmd, dp_run_fn fn, void *user)
{
    dp_run_reader *r = calloc(1, sizeof(*r));
    dp_window_opt all = {DP_WINDOW_ALL, 0};
    dp_processor_config pc;

    if (r == NULL)
        return NULL;
    r->format = format;
    r->fn = fn;
    r->user = user;
    dp_window_init(&r->win, window ? window : &all, cmd ? cmd : "report");
    if (proc)
        pc = *proc;
    else
        dp_processor_config_init(&pc);
    dp_window_processor_config(&r->win, &pc);
    pc.on_finalized = on_finalized;
    r->proc = dp_processor_create(&pc, on_profile, r);
    if (r->proc == NULL) {
        dp_window_fini(&r->win);
        free(r);
        return NULL;
    }
    dp_window_attach(&r->win, r->proc);
    return r;
}

void dp_run_reader_destroy(dp_run_reader *r)
{
    if (r == NULL)
        return;
    dp_processor_destroy(r->proc);
    dp_window_fini(&r->win);
    free(r->scratch);
    free(r);
}

uint64_t dp_run_reader_runs(const dp_run_reader *r)
{
    return r->runs;
}

int dp_run_reader_finish(dp_run_reader *r)
{
    dp_processor_flush(r->proc, DP_INCOMPLETE_ROOT_MISSING);
    dp_window_report(&r->win);
    return r->cb_err;
}

/* One line of a profile file: its run. */
static int profile_line(void *user, const char *path, unsigned long lineno,
                        const char *line, size_t n)
{
    dp_run_reader *r = user;
    char msg[256];
    int err = dp_run_parse_json(line, n, deliver, r, msg, sizeof(msg));
    if (err == DP_EPARSE) {
        fprintf(stderr, "dagprof: %s:%lu: %s\n", path, lineno, msg);
        r->parse_failed = true;
        return 0;
    }
    return err;
}

static int read_traces(dp_run_reader *r, dp_chunk_in *in, const char *path)
{
    dp_decode_ctx ctx = {.sink = on_span,
                         .sink_user = r,
                         .on_error = on_decode_error,
                         .error_user = r};
    dp_trace_file_opts opts = {dp_window_on_record, &r->win, true, 0};
    int err;

    r->messages = 0;
    err = dp_trace_file_read_in(in, strcmp(path, "-") == 0 ? "stdin" : path,
                                r->format, &ctx, &opts);
    dp_window_file_done(&r->win, dp_chunk_in_pos(in) + dp_chunk_in_avail(in));
    if (err == DP_EIO && r->messages == 0)
        fprintf(stderr, "dagprof: %s: %s\n", path, dp_strerror(err));
    if (r->cb_err)
        return r->cb_err;
    if (err == 0 && ctx.spans_rejected > 0)
        err = DP_EPARSE;
    return err == DP_EINVAL ? DP_EPARSE : err;
}

static int trace_path(void *user, dp_chunk_in *in, const char *path,
                      const char *name)
{
    (void)name;
    return read_traces(user, in, path);
}

int dp_run_reader_add_file(dp_run_reader *r, const char *path)
{
    r->parse_failed = false;
    int err = dp_input_read(path, profile_line, trace_path, r);
    return err ? err : r->parse_failed ? DP_EPARSE : 0;
}

/* ------------------------------------------------------------------------ */
/* dagprof report --summary                                                  */

int dp_summary_report(char **files, int n, int format,
                      const dp_processor_config *proc,
                      const dp_window_opt *window, bool json,
                      uint64_t runs_per_day)
{
    dp_summary *s = dp_summary_create();
    dp_run_reader *r = s ? dp_run_reader_create(format, proc, window, "report",
                                                dp_summary_add_fn, s)
                         : NULL;
    dp_buf out;
    int status = 0, err = 0;

    dp_buf_init(&out);
    if (r == NULL) {
        err = DP_ENOMEM;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        err = dp_run_reader_add_file(r, files[i]);
        if (err == DP_EPARSE || err == DP_EIO) {
            status = 1;
            err = 0;
        } else if (err) {
            goto done;
        }
    }
    err = dp_run_reader_finish(r);
    if (err)
        goto done;
    err = json ? dp_summary_write_json(s, &out, runs_per_day)
               : dp_summary_write_text(s, &out, runs_per_day);
    if (err)
        goto done;
    if ((out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) ||
        fflush(stdout) != 0) {
        fprintf(stderr, "dagprof report: cannot write output\n");
        status = 2;
    }
done:
    if (err) {
        fprintf(stderr, "dagprof report: %s\n", dp_strerror(err));
        status = 2;
    }
    dp_buf_fini(&out);
    dp_run_reader_destroy(r);
    dp_summary_destroy(s);
    return status;
}
