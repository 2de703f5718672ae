/*
 * cmd_whatif.c - `dagprof whatif`: replays one recorded run under changed
 * strategies and predicts its wall time, critical path, tokens and cost
 * (DESIGN.md "Simulation (what-if)"; the model is processor/replay.h).
 *
 * Wiring: the input is a trace file (decoded by the receiver's trace-file
 * reader and profiled by a processor, every trace finalized at end of
 * input, as `report` does) or a profile file (read back by the exporter's
 * profile reader, replayed without per-call detail). One run is chosen
 * (--trace, or the only one), replayed with nothing changed (the
 * baseline: the run itself), with every change, and with each prefix of
 * the changes (to say which one moved the critical path); or, with
 * --sweep workers=LO..HI, once per worker count. Rendering: whatif_out.c.
 *
 * Exit status: 0 answered; 1 input unreadable, malformed or without the
 * run asked for; 2 usage: bad option, bad change, or a change naming a
 * node, model, tool or dependency the run does not have.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli_args.h"
#include "commands.h"
#include "history_cli.h"
#include "input.h"
#include "offline.h"
#include "otlp_decode.h"
#include "processor.h"
#include "profile_read.h"
#include "trace_file.h"
#include "whatif.h"

#define CMD "dagprof whatif"
#define MAX_CHANGES 64
#define MAX_SWEEP 1024

static void whatif_usage(FILE *out)
{
    fputs(
        "usage: dagprof whatif [options] INPUT CHANGE...\n"
        "       dagprof whatif [options] TRACE_ID CHANGE...\n"
        "\n"
        "Replays one recorded run under changed strategies and predicts its\n"
        "wall time, critical path, tokens and cost: the run's DAG is\n"
        "scheduled again with each node's observed execution time and queue\n"
        "delay unless a change alters them. With no change the replay is\n"
        "the run itself, to the nanosecond.\n"
        "\n"
        "INPUT is an OTLP trace file (JSON or protobuf, as for report) or a\n"
        "file of JSON profiles (as serve and report --output json write\n"
        "them; a profile keeps no per-call usage or tool arguments, so a\n"
        "model swap re-prices each node's token totals and cache needs a\n"
        "trace file); - reads stdin. When no file has that name, INPUT is\n"
        "the TRACE_ID of a run in the history store (8 to 32 hex digits, a\n"
        "prefix only one run has, as `dagprof show` takes it), replayed\n"
        "from its stored profile.\n"
        "\n"
        "changes (several apply together):\n"
        "  workers=N                 at most N leaf nodes run at once\n"
        "                            (default: unlimited, as observed)\n"
        "  no-queue                  every node starts as soon as its\n"
        "                            dependencies end (queueDelay 0)\n"
        "  model A=B                 A's LLM calls re-priced at B (same\n"
        "                            tokens; A also names its dated versions,\n"
        "                            A-20250929); LLM time scaled by B/A\n"
        "                            output tokens per second of LLM time\n"
        "                            (p50 over each model's last 50 runs in\n"
        "                            the history store) when it has both,\n"
        "                            else latency assumed unchanged\n"
        "  cache TOOL                repeated calls of TOOL (or of model\n"
        "                            TOOL) with arguments already seen take\n"
        "                            no time, tokens or cost\n"
        "  drop-dep X->Y             Y no longer waits for X (quote it:\n"
        "                            '>' is a shell redirection)\n"
        "  speedup NODE=F            NODE (every leaf of a group) runs F\n"
        "                            times faster\n"
        "\n"
        "options:\n"
        "  --trace ID                the run to replay, by trace id or\n"
        "                            profileId (needed when INPUT holds\n"
        "                            several)\n"
        "  --output text|json|html   the report (default text), one JSON\n"
        "                            object, or one self-contained HTML page\n"
        "                            (the baseline and predicted timelines\n"
        "                            stacked, as report --output html draws\n"
        "                            a run)\n"
        "  --history, --store PATH   the history store (a SQLite file or\n"
        "                            clickhouse://host:8123/db) of TRACE_ID\n"
        "                            and of model throughput (default:\n"
        "                            history.path, else history.dir/\n"
        "                            history.db, from --config, when it\n"
        "                            exists)\n"
        "  --sweep workers=LO..HI    instead: the wall for each worker count\n"
        "                            from LO to HI (at most 1024 counts),\n"
        "                            with the other changes applied, and\n"
        "                            where more workers stop paying\n"
        "  --format auto|json|proto  trace file encoding (default "
        "auto)\n" DP_OFFLINE_HELP "  -h, --help                this help\n"
        "\n"
        "Exit status: 0 answered; 1 the input is unreadable or malformed or\n"
        "lacks the run; 2 usage error: a bad option or change, or a change\n"
        "naming a node, model, tool or dependency the run does not have.\n",
        out);
}

/* ---- input ------------------------------------------------------------ */

struct runs {
    dp_processor *proc;
    dp_profile **v;
    bool *from_file;
    size_t n, cap;
    int format;
    int errors;
};

static void keep(struct runs *rs, dp_profile *p, bool from_file)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        dp_profile **v = realloc(rs->v, cap * sizeof(*v));
        bool *f = v ? realloc(rs->from_file, cap * sizeof(*f)) : NULL;
        if (v)
            rs->v = v;
        if (!v || !f) {
            dp_profile_free(p);
            rs->errors++;
            return;
        }
        rs->from_file = f;
        rs->cap = cap;
    }
    rs->from_file[rs->n] = from_file;
    rs->v[rs->n++] = p;
}

static void on_profile(dp_profile *p, void *user)
{
    keep(user, p, false);
}

static int on_span(void *user, const dp_span_in *span)
{
    struct runs *rs = user;
    int err = dp_processor_add_span(rs->proc, span, 0);
    return err == DP_ELATE ? 0 : err;
}

static void on_error(void *user, const char *message)
{
    struct runs *rs = user;
    rs->errors++;
    fprintf(stderr, "dagprof: %s\n", message);
}

static int profile_line(void *user, const char *path, unsigned long lineno,
                        const char *line, size_t n)
{
    struct runs *rs = user;
    dp_profile *p = dp_input_profile(path, lineno, line, n);
    if (!p) {
        rs->errors++;
        return 0;
    }
    keep(rs, p, true);
    return 0;
}

static int trace_path(void *user, dp_chunk_in *in, const char *path,
                      const char *name)
{
    struct runs *rs = user;
    dp_decode_ctx ctx = {.sink = on_span,
                         .sink_user = rs,
                         .on_error = on_error,
                         .error_user = rs};
    /* Whole run (no window): one run is replayed. */
    dp_trace_file_opts opts = {NULL, NULL, false, 0};
    int err = dp_trace_file_read_in(in, strcmp(path, "-") == 0 ? "stdin" : path,
                                    rs->format, &ctx, &opts);
    if (err) {
        fprintf(stderr, "dagprof: %s: %s\n", name, dp_strerror(err));
        rs->errors++;
    } else if (ctx.spans_accepted + ctx.spans_rejected == 0) {
        fprintf(stderr, "dagprof: no spans in %s\n", name);
        rs->errors++;
    }
    return 0;
}

/* Loads the run id (a trace id or a prefix of one) from the history
 * store. 0, or the exit status after a message. */
static int from_store(struct runs *rs, const char *store, const char *id,
                      const char **trace)
{
    char lower[33], err[512], msg[256];
    if (!store) {
        fputs(CMD ": out of memory\n", stderr);
        return 1;
    }
    if (dp_history_cli_trace_id("whatif", id, lower))
        return 2;
    dp_history *h = dp_history_open(store, err, sizeof err);
    if (!h) {
        fprintf(stderr, CMD ": %s\n", err);
        return 1;
    }
    dp_buf json;
    dp_buf_init(&json);
    int status = dp_history_cli_profile(h, store, "whatif", lower, &json);
    dp_history_close(h);
    if (!status) {
        dp_profile *p =
            dp_profile_json_read(json.data, json.len, msg, sizeof msg);
        if (!p) {
            fprintf(stderr, CMD ": the stored profile is unreadable: %s\n",
                    msg);
            status = 1;
        } else {
            keep(rs, p, true);
            *trace = NULL; /* the one run loaded */
        }
    }
    dp_buf_fini(&json);
    return status;
}

/* ---- throughput from history ------------------------------------------ */

#define THROUGHPUT_RUNS 50 /* the latest runs of each model */

struct model_match {
    const char *a;
    bool exact;
};

static bool match_model(const char *m, void *user)
{
    const struct model_match *mm = user;
    return dp_change_names_model(mm->a, m, mm->exact);
}

/* Sets each model swap's factor from the store's throughput of A and B
 * (B/A, output tokens per second of LLM time, p50 over each model's
 * latest runs) when it has both. A store that cannot be read is an error
 * when named (--history), else ignored. 0, or the exit status. */
static int throughputs(dp_change *changes, int nc, const char *store,
                       bool named)
{
    struct stat st;
    bool any = false;
    for (int i = 0; i < nc; i++)
        any |= changes[i].kind == DP_CHANGE_MODEL;
    if (!any || !store)
        return 0;
    if (!named && strncmp(store, "clickhouse://", 13) != 0 &&
        stat(strncmp(store, "sqlite:", 7) == 0 ? store + 7 : store, &st) != 0)
        return 0; /* no store at the configured path */
    char err[512];
    dp_history *h = dp_history_open(store, err, sizeof err);
    if (!h) {
        if (!named)
            return 0;
        fprintf(stderr, CMD ": %s\n", err);
        return 1;
    }
    int status = 0;
    for (int i = 0; i < nc && !status; i++) {
        dp_change *c = &changes[i];
        if (c->kind != DP_CHANGE_MODEL)
            continue;
        struct model_match ma = {c->a, c->exact}, mb = {c->b, false};
        size_t na = 0, nb = 0;
        int ea = dp_history_model_throughput(h, c->a, match_model, &ma,
                                             THROUGHPUT_RUNS, &c->tps_a, &na);
        int eb = dp_history_model_throughput(h, c->b, match_model, &mb,
                                             THROUGHPUT_RUNS, &c->tps_b, &nb);
        if ((ea && ea != DP_ENOENT) || (eb && eb != DP_ENOENT)) {
            fprintf(stderr, CMD ": %s: reading model throughput: %s\n", store,
                    dp_strerror(ea ? ea : eb));
            status = 1;
            break;
        }
        c->history_checked = true;
        c->runs_a = (uint32_t)na;
        c->runs_b = (uint32_t)nb;
        if (!ea && !eb && c->tps_a > 0 && c->tps_b > 0)
            c->factor = c->tps_b / c->tps_a;
    }
    dp_history_close(h);
    return status;
}

/* The run asked for: --trace (trace id or profileId, any case), else the
 * only one. Returns its index, or -1 with a message (*status set). */
static long pick(const struct runs *rs, const char *input, const char *want,
                 int *status)
{
    if (want) {
        for (size_t i = 0; i < rs->n; i++)
            if (strcasecmp(rs->v[i]->trace_id_hex, want) == 0 ||
                strcasecmp(rs->v[i]->profile_id, want) == 0)
                return (long)i;
        fprintf(stderr, CMD ": no run with trace id or profileId '%s' in %s",
                want, input);
        *status = 1;
    } else if (rs->n == 1) {
        return 0;
    } else if (rs->n == 0) {
        fprintf(stderr, CMD ": no agent run in %s\n", input);
        *status = 1;
        return -1;
    } else {
        fprintf(stderr, CMD ": %s holds %zu runs; pick one with --trace ID",
                input, rs->n);
        *status = 2;
    }
    fputs(" (runs:", stderr);
    for (size_t i = 0; i < rs->n && i < 10; i++)
        fprintf(stderr, " %s [%s]%s", rs->v[i]->trace_id_hex,
                rs->v[i]->dag_id ? rs->v[i]->dag_id : "",
                i + 1 < rs->n && i < 9 ? "," : "");
    fputs(rs->n > 10 ? " ...)\n" : ")\n", stderr);
    return -1;
}

/* ---- changes ------------------------------------------------------------ */

static bool takes_argument(const char *word)
{
    static const char *const words[] = {"model", "cache", "drop-dep", "speedup",
                                        "workers"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(word, words[i]) == 0)
            return true;
    return false;
}

/* Parses the change words: a keyword alone ("model") takes the next word
 * as its argument. Returns the number of changes or -1 (message). */
static int parse_changes(char **words, int n, dp_change *out)
{
    int nc = 0;
    for (int i = 0; i < n; i++) {
        char spec[1024], err[512];
        if (takes_argument(words[i]) && i + 1 < n) {
            snprintf(spec, sizeof spec, "%s %s", words[i], words[i + 1]);
            i++;
        } else {
            snprintf(spec, sizeof spec, "%s", words[i]);
        }
        if (nc == MAX_CHANGES) {
            fprintf(stderr, CMD ": at most %d changes\n", MAX_CHANGES);
            return -1;
        }
        if (dp_change_parse(spec, &out[nc], err, sizeof err)) {
            fprintf(stderr, CMD ": %s\n", err);
            return -1;
        }
        nc++;
    }
    return nc;
}

static int parse_sweep(const char *s, uint32_t *lo, uint32_t *hi)
{
    const char *p = s;
    char *end;
    if (strncmp(p, "workers=", 8) != 0)
        return -1;
    p += 8;
    if (!isdigit((unsigned char)*p))
        return -1;
    errno = 0;
    unsigned long a = strtoul(p, &end, 10);
    if (errno || strncmp(end, "..", 2) != 0 || !isdigit((unsigned char)end[2]))
        return -1;
    unsigned long b = strtoul(end + 2, &end, 10);
    if (errno || *end || a < 1 || b < a || b > 1000000 || b - a >= MAX_SWEEP)
        return -1;
    *lo = (uint32_t)a;
    *hi = (uint32_t)b;
    return 0;
}

/* ---- the replays --------------------------------------------------------- */

/* Runs the replays; 0, or the exit status after a message. */
static int simulate(dp_whatif *w, dp_replay_ctx *ctx, bool sweep, uint32_t lo,
                    uint32_t hi)
{
    char err[768];
    int rc = dp_replay_run(ctx, NULL, 0, &w->base, err, sizeof err);
    if (!rc && !sweep)
        rc = dp_replay_run(ctx, w->changes, w->n_changes, &w->pred, err,
                           sizeof err);
    if (rc) {
        if (rc != DP_ENOMEM)
            fprintf(stderr, CMD ": %s\n", err);
        else
            fprintf(stderr, CMD ": out of memory\n");
        return rc == DP_ENOMEM || rc == DP_EPARSE ? 1 : 2;
    }
    if (!sweep) {
        w->steps = calloc(w->n_changes + 1, sizeof(dp_replay));
        if (!w->steps)
            return 1;
        for (size_t i = 0; i < w->n_changes; i++)
            if (dp_replay_run(ctx, w->changes, i + 1, &w->steps[i], err,
                              sizeof err)) {
                fprintf(stderr, CMD ": %s\n", err);
                return 1;
            }
        return 0;
    }
    dp_change *all = calloc(w->n_changes + 1, sizeof(dp_change));
    w->sweep = calloc((size_t)(hi - lo) + 1, sizeof(dp_whatif_point));
    if (!all || !w->sweep) {
        free(all);
        return 1;
    }
    memcpy(all, w->changes, w->n_changes * sizeof(dp_change));
    all[w->n_changes].kind = DP_CHANGE_WORKERS;
    for (uint32_t k = lo;; k++) {
        dp_replay r;
        all[w->n_changes].workers = k;
        rc = dp_replay_run(ctx, all, w->n_changes + 1, &r, err, sizeof err);
        if (rc) {
            fprintf(stderr, CMD ": %s\n", err);
            free(all);
            return rc == DP_ENOMEM ? 1 : 2;
        }
        w->sweep[w->n_sweep++] = (dp_whatif_point){
            k, r.wall_ns, r.critical_path_ns, r.peak_concurrency};
        dp_replay_fini(&r);
        if (k == hi)
            break;
    }
    free(all);
    /* The first count from which the wall no longer falls within the
     * range; -1 while it still falls at HI. */
    int64_t last = w->sweep[w->n_sweep - 1].wall_ns;
    w->stops_paying = -1;
    for (size_t i = 0; i < w->n_sweep; i++)
        if (w->sweep[i].wall_ns == last) {
            w->stops_paying = (long)i;
            break;
        }
    if (w->stops_paying == (long)w->n_sweep - 1 && w->n_sweep > 1 &&
        w->sweep[w->n_sweep - 2].wall_ns > last)
        w->stops_paying = -1;
    return 0;
}

static int whatif_main(const dp_offline *off, int argc, char **argv)
{
    static const struct option opts[] = {
        {"trace", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"history", required_argument, NULL, 'H'},
        {"store", required_argument, NULL, 'H'},
        {"sweep", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *trace = NULL;
    int output = 0; /* 0 text, 1 json, 2 html */
    const char *store = NULL;
    char *store_owned = NULL;
    bool sweep = false;
    uint32_t lo = 0, hi = 0;
    int c, status = 0;
    struct runs rs;
    memset(&rs, 0, sizeof rs);
    rs.format = DP_FORMAT_AUTO;

    optind = 1;
    /* GNU getopt moves the change words after the options, in order. */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            trace = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "json") && strcmp(optarg, "text") &&
                strcmp(optarg, "html")) {
                fprintf(stderr,
                        CMD ": --output must be text, json or html, not "
                            "'%s'\n",
                        optarg);
                return 2;
            }
            output = strcmp(optarg, "json") == 0   ? 1
                     : strcmp(optarg, "html") == 0 ? 2
                                                   : 0;
            break;
        case 'H':
            store = optarg;
            break;
        case 's':
            if (parse_sweep(optarg, &lo, &hi)) {
                fprintf(stderr,
                        CMD ": --sweep must be workers=LO..HI with 1 <= LO "
                            "<= HI and at most %d counts, not '%s'\n",
                        MAX_SWEEP, optarg);
                return 2;
            }
            sweep = true;
            break;
        case 'f':
            if ((rs.format = dp_cli_format("whatif", optarg)) < 0)
                return 2;
            break;
        case 'h':
            whatif_usage(stdout);
            return 0;
        default:
            whatif_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, CMD ": no input file (a trace or profile file; - "
                            "reads stdin)\n");
        whatif_usage(stderr);
        return 2;
    }
    const char *input = argv[optind];
    dp_change changes[MAX_CHANGES];
    memset(changes, 0, sizeof changes);
    int nc = parse_changes(argv + optind + 1, argc - optind - 1, changes);
    if (nc < 0)
        return 2;
    if (nc == 0 && !sweep) {
        fprintf(stderr, CMD ": no change given (e.g. workers=2, no-queue, "
                            "model A=B, cache TOOL, drop-dep X->Y, speedup "
                            "NODE=F); see --help\n");
        return 2;
    }
    for (int i = 0; i < nc && sweep; i++)
        if (changes[i].kind == DP_CHANGE_WORKERS) {
            fprintf(stderr, CMD ": --sweep workers=... and the change "
                                "workers=N cannot be combined\n");
            status = 2;
        }

    dp_whatif w;
    memset(&w, 0, sizeof w);
    dp_replay_ctx *ctx = NULL;
    if (status)
        goto done;
    rs.proc = dp_processor_create(&off->proc, on_profile, &rs);
    if (!rs.proc) {
        status = 1;
        goto done;
    }
    /* A trace id in the history store: with --history, or when no file
     * has that name. */
    bool named = store != NULL;
    bool from_history =
        strcmp(input, "-") != 0 && access(input, F_OK) != 0 &&
        (store || (strlen(input) >= 8 && strlen(input) <= 32 &&
                   strspn(input, "0123456789abcdefABCDEF") == strlen(input)));
    if (!store) {
        store_owned = dp_history_cli_path(&off->cfg);
        store = store_owned;
    }
    if (from_history) {
        status = from_store(&rs, store, input, &trace);
        if (status)
            goto done;
    } else if (dp_input_read(input, profile_line, trace_path, &rs)) {
        rs.errors++;
    }
    if (!rs.errors) {
        status = throughputs(changes, nc, store, named);
        if (status)
            goto done;
    }
    dp_processor_flush(rs.proc, DP_INCOMPLETE_ROOT_MISSING);
    if (rs.errors) {
        status = 1;
        goto done;
    }
    long at = pick(&rs, input, trace, &status);
    if (at < 0)
        goto done;
    char label[1024];
    snprintf(label, sizeof label, "%s in the history store %s", input,
             store ? store : "");
    w.input = from_history ? label : input;
    w.p = rs.v[at];
    w.from_file = rs.from_file[at];
    w.from_history = from_history;
    w.changes = changes;
    w.n_changes = (size_t)nc;
    ctx = dp_replay_create(w.p, off->pricing, w.from_file);
    if (!ctx) {
        fprintf(stderr, CMD ": out of memory\n");
        status = 1;
        goto done;
    }
    status = simulate(&w, ctx, sweep, lo, hi);
    if (status)
        goto done;
    dp_buf b;
    dp_buf_init(&b);
    if ((output == 1   ? dp_whatif_json(&b, &w)
         : output == 2 ? dp_whatif_html(&b, &w)
                       : dp_whatif_text(&b, &w)) ||
        fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout)) {
        fprintf(stderr, CMD ": cannot write output\n");
        status = 1;
    }
    dp_buf_fini(&b);
done:
    dp_replay_destroy(ctx);
    dp_replay_fini(&w.base);
    dp_replay_fini(&w.pred);
    for (size_t i = 0; w.steps && i < w.n_changes; i++)
        dp_replay_fini(&w.steps[i]);
    free(w.steps);
    free(w.sweep);
    for (int i = 0; i < nc; i++)
        dp_change_fini(&changes[i]);
    dp_processor_destroy(rs.proc);
    for (size_t i = 0; i < rs.n; i++)
        dp_profile_free(rs.v[i]);
    free(rs.v);
    free(rs.from_file);
    free(store_owned);
    return status;
}

int dp_cmd_whatif(int argc, char **argv)
{
    return dp_offline_main("whatif", argc, argv, whatif_main);
}
