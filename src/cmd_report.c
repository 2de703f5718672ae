/*
 * cmd_report.c - `dagprof report`: profiles trace files offline.
 *
 * Wiring: trace_file (receiver) reads each file in chunks and decodes it
 * into spans, a single processor assembles them into traces; a trace is
 * finalized once its root has arrived and --window has passed without a
 * span of it (window.c), the rest at end of input; each profile is written
 * by the JSON or text exporter to stdout as it is emitted. With --output
 * html the page is streamed the same way: the head first, one run section
 * per profile as it comes, then (for each DAG seen in several runs, or
 * every DAG with --summary) a trends section and the list of all runs
 * (cmd_report_html.c keeps the few numbers per run these need). A
 * malformed line or span is reported on stderr (file, line, span) and
 * skipped; the exit status is then 1. So is a file that cannot be read or
 * holds no span at all ("no spans in FILE").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli_args.h"
#include "cmd_report_html.h"
#include "commands.h"
#include "history_cli.h"
#include "history_runs.h"
#include "input.h"
#include "offline.h"
#include "otlp_decode.h"
#include "processor.h"
#include "profile_json.h"
#include "profile_read.h"
#include "report_html.h"
#include "report_text.h"
#include "summary.h"
#include "trace_file.h"
#include "window.h"

enum output_kind { OUT_JSON, OUT_TEXT, OUT_HTML };

struct report_ctx {
    dp_processor *proc;
    int output;
    int width;
    dp_buf buf;
    uint64_t profiles;
    bool write_failed;
    uint64_t errors;
    int format; /* enum dp_trace_format of trace files */
    dp_window win;
    dp_history_db *store; /* --history PATH without --summary: written */
    uint64_t stored, store_errors;
    dp_report_html *html;   /* --output html */
    bool from_profile_file; /* the profile being rendered was read back */
};

static void report_usage(FILE *out)
{
    fputs(
        "usage: dagprof report [options] FILE... (- reads stdin)\n"
        "\n"
        "Reads OTLP traces (OTLP/JSON as the OpenTelemetry Collector's file\n"
        "exporter writes them, one ExportTraceServiceRequest per line or one\n"
        "pretty-printed document; or OTLP protobuf, length-delimited or one\n"
        "bare message) and prints one profile per trace. A file of JSON\n"
        "profiles (as serve and --output json write them) is rendered as it\n"
        "is, e.g. as the text report with --output text.\n"
        "\n"
        "options:\n"
        "  --format auto|json|proto  input encoding (default auto: '{' or '['\n"
        "                            first means JSON)\n"
        "  --output json|text|html   one JSON profile per line, the text\n"
        "                            report (default: text on a terminal,\n"
        "                            json otherwise), or one self-contained\n"
        "                            HTML page: a section per run (timeline,\n"
        "                            cost and tokens, bottlenecks,\n"
        "                            recommendations), then wall and cost\n"
        "                            trends of each DAG seen in several runs\n"
        "  --width N                 text report width in columns (default:\n"
        "                            the terminal's, else 80; minimum "
        "60)\n" DP_OFFLINE_HELP
        "  --summary                 instead of one profile per trace, one\n"
        "                            summary per dagId: runs; wall p50/p95/\n"
        "                            max; cost mean/p50/p95; tokens mean;\n"
        "                            the bottleneck type detected most often\n"
        "                            (ties: by name); the node with the most\n"
        "                            cost over all runs (ties: by id). FILEs\n"
        "                            may also be JSON profile files, as\n"
        "                            --output json writes them. Percentiles\n"
        "                            are nearest rank: pP of n runs is the\n"
        "                            ceil(P/100 * n)-th smallest value.\n"
        "                            With --output html: the trends of every\n"
        "                            DAG (wall and cost per run, p50/p95)\n"
        "                            and the list of runs, no run sections\n"
        "  --runs-per-day N          with --summary: project daily and 30-day\n"
        "                            cost and tokens at N runs per day (N x\n"
        "                            the p50 and p95 per-run values)\n"
        "  --history, --store PATH   also store every profile in the history\n"
        "                            store PATH (SQLite, created when\n"
        "                            missing; a run already there is\n"
        "                            replaced), for dagprof runs, show,\n"
        "                            trends, regressions. With --summary:\n"
        "                            summarize the runs stored in PATH\n"
        "                            instead of FILEs\n"
        "  --since WHEN, --until WHEN, --dag D\n"
        "                            with --summary --history: only runs\n"
        "                            that started from / before WHEN (24h,\n"
        "                            30d, 2026-12-01, ...) or of that "
        "DAG\n" DP_WINDOW_HELP "  -h, --help                this help\n"
        "\n"
        "Exit status: 0 all input profiled; 1 some input was unreadable,\n"
        "malformed and skipped, or a file held no span, or the history\n"
        "store could not be read or written (messages on stderr); 2 usage\n"
        "error or unreadable pricing.\n",
        out);
}

static int on_span(void *user, const dp_span_in *span)
{
    struct report_ctx *rc = user;
    int err = dp_window_add_span(&rc->win, span);
    return err == DP_ELATE ? 0 : err;
}

static void on_finalized(const uint8_t trace_id[16], void *user)
{
    struct report_ctx *rc = user;
    dp_window_finalized(&rc->win, trace_id);
}

static void on_error(void *user, const char *message)
{
    struct report_ctx *rc = user;
    rc->errors++;
    fprintf(stderr, "dagprof: %s\n", message);
}

static void on_profile(dp_profile *profile, void *user)
{
    struct report_ctx *rc = user;
    int err;
    if (rc->store) {
        if (dp_history_db_insert(rc->store, profile, NULL, 0) == 0)
            rc->stored++;
        else
            rc->store_errors++;
    }
    dp_buf_reset(&rc->buf);
    if (rc->output == OUT_HTML) {
        err = dp_report_html_add(rc->html, &rc->buf, profile,
                                 !rc->from_profile_file);
    } else if (rc->output == OUT_TEXT) {
        err = dp_report_text_write(&rc->buf, profile, rc->width);
        if (!err && rc->profiles > 0)
            fputs("\n", stdout);
    } else {
        err = dp_profile_json_write(&rc->buf, profile);
    }
    dp_profile_free(profile);
    if (err) {
        fprintf(stderr, "dagprof: cannot render profile: %s\n",
                dp_strerror(err));
        rc->write_failed = true;
        return;
    }
    if (rc->buf.len &&
        fwrite(rc->buf.data, 1, rc->buf.len, stdout) != rc->buf.len)
        rc->write_failed = true;
    rc->profiles++;
}

/* One line of a profile file (what serve and report --output json write):
 * rendered as it is, not profiled again. */
static int profile_line(void *user, const char *path, unsigned long lineno,
                        const char *line, size_t n)
{
    struct report_ctx *rc = user;
    dp_profile *p = dp_input_profile(path, lineno, line, n);
    if (!p) {
        rc->errors++;
        return 0;
    }
    rc->from_profile_file = true;
    on_profile(p, rc);
    rc->from_profile_file = false;
    return 0;
}

static void no_spans(struct report_ctx *rc, const char *path);

/* An OTLP trace file: its spans go to the processor through the window. */
static int trace_path(void *user, dp_chunk_in *in, const char *path,
                      const char *name)
{
    struct report_ctx *rc = user;
    dp_decode_ctx ctx = {.sink = on_span,
                         .sink_user = rc,
                         .on_error = on_error,
                         .error_user = rc};
    dp_trace_file_opts opts = {dp_window_on_record, &rc->win, true, 0};
    int err = dp_trace_file_read_in(in, strcmp(path, "-") == 0 ? "stdin" : path,
                                    rc->format, &ctx, &opts);
    dp_window_file_done(&rc->win, dp_chunk_in_pos(in) + dp_chunk_in_avail(in));
    if (err == DP_EIO && rc->errors == 0) {
        fprintf(stderr, "dagprof: %s: %s\n", name, dp_strerror(err));
        rc->errors++;
    }
    if (!err && ctx.spans_accepted + ctx.spans_rejected == 0)
        no_spans(rc, strcmp(name, "<stdin>") == 0 ? "-" : path);
    return err || ctx.spans_rejected ? 1 : 0;
}

/* A file that was read without error but held no span at all (empty,
 * blank, or a few bytes that happen to frame an empty request) is an
 * error: a profile run over it would otherwise print nothing and exit 0. */
static void no_spans(struct report_ctx *rc, const char *path)
{
    struct stat st;
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    rc->errors++;
    if (!is_stdin && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        if (st.st_size == 0)
            fprintf(stderr, "dagprof: no spans in %s (the file is empty)\n",
                    name);
        else
            fprintf(stderr,
                    "dagprof: no spans in %s (%lld byte%s, not an OTLP "
                    "trace request with spans)\n",
                    name, (long long)st.st_size, st.st_size == 1 ? "" : "s");
        return;
    }
    fprintf(stderr, "dagprof: no spans in %s\n", name);
}

static int report_main(const dp_offline *off, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"width", required_argument, NULL, 'w'},
        {"summary", no_argument, NULL, 's'},
        {"runs-per-day", required_argument, NULL, 'r'},
        DP_HOPTS_STORE_FILTERS,
        {"window", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct report_ctx rc;
    int format = DP_FORMAT_AUTO, c, status = 0;
    char *end;
    bool summary = false;
    unsigned long long runs_per_day = 0;
    dp_window_opt window;
    dp_history_opts ho; /* --history and its filters; no config of its own */
    memset(&ho, 0, sizeof(ho));

    memset(&rc, 0, sizeof(rc));
    rc.output = isatty(STDOUT_FILENO) ? OUT_TEXT : OUT_JSON;
    rc.width = 0;
    dp_window_opt_default(&window);
    optind = 1;
    while ((c = dp_history_opts_next(&ho, "report", argc, argv, opts)) >= 0) {
        switch (c) {
        case 'f':
            if ((format = dp_cli_format("report", optarg)) < 0)
                return 2;
            break;
        case 'o':
            if (strcmp(optarg, "json") == 0) {
                rc.output = OUT_JSON;
            } else if (strcmp(optarg, "text") == 0) {
                rc.output = OUT_TEXT;
            } else if (strcmp(optarg, "html") == 0) {
                rc.output = OUT_HTML;
            } else {
                fprintf(stderr,
                        "dagprof report: --output must be json, text "
                        "or html, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'w':
            if (dp_cli_width("report", optarg, &rc.width))
                return 2;
            break;
        case 's':
            summary = true;
            break;
        case 'r':
            errno = 0;
            runs_per_day = strtoull(optarg, &end, 10);
            if (*end || errno || optarg[0] == '-' || runs_per_day == 0 ||
                runs_per_day > 1000000000000ULL) {
                fprintf(stderr,
                        "dagprof report: --runs-per-day must be a "
                        "number from 1 to 10^12, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'W':
            if (dp_cli_window("report", optarg, &window))
                return 2;
            break;
        case 'h':
            report_usage(stdout);
            return 0;
        default:
            report_usage(stderr);
            return 2;
        }
    }
    if (c == -2)
        return 2;
    bool filters =
        ho.filter.dag || ho.filter.since_unix_ns || ho.filter.until_unix_ns;
    if (filters && !(summary && ho.store)) {
        fprintf(stderr, "dagprof report: --since, --until and --dag need "
                        "--summary --history PATH\n");
        return 2;
    }
    if (summary && ho.store) {
        if (optind < argc) {
            fprintf(stderr, "dagprof report: --summary --history reads the "
                            "store, not FILEs\n");
            return 2;
        }
        dp_history *h = dp_history_opts_open(&ho, "report");
        if (!h)
            return 1;
        status = dp_summary_report_history(h, &ho.filter, ho.store,
                                           rc.output == OUT_JSON, runs_per_day);
        dp_history_close(h);
        return status;
    }
    if (optind >= argc) {
        fprintf(stderr, "dagprof report: no input files (use - for stdin)\n");
        report_usage(stderr);
        return 2;
    }
    if (runs_per_day > 0 && !summary) {
        fprintf(stderr, "dagprof report: --runs-per-day needs --summary\n");
        return 2;
    }
    rc.width = dp_cli_text_width(rc.width);

    if (summary && rc.output != OUT_HTML) {
        status =
            dp_summary_report(argv + optind, argc - optind, format, &off->proc,
                              &window, rc.output == OUT_JSON, runs_per_day);
        return status;
    }

    if (ho.store) {
        char err[512];
        rc.store = dp_history_db_open(ho.store, err, sizeof(err));
        if (!rc.store || dp_history_db_begin(rc.store)) {
            fprintf(stderr, "dagprof report: --history: %s\n",
                    rc.store ? "cannot start a transaction" : err);
            dp_history_db_close(rc.store);
            return 1;
        }
    }
    dp_buf_init(&rc.buf);
    if (rc.output == OUT_HTML) {
        rc.html = dp_report_html_create(summary);
        if (!rc.html || dp_report_html_begin(rc.html, &rc.buf) != 0 ||
            fwrite(rc.buf.data, 1, rc.buf.len, stdout) != rc.buf.len) {
            fprintf(stderr, "dagprof report: out of memory\n");
            dp_report_html_destroy(rc.html);
            dp_buf_fini(&rc.buf);
            return 2;
        }
    }
    dp_window_init(&rc.win, &window, "report");
    dp_processor_config pc = off->proc;
    dp_window_processor_config(&rc.win, &pc);
    pc.on_finalized = on_finalized;
    rc.proc = dp_processor_create(&pc, on_profile, &rc);
    if (!rc.proc) {
        fprintf(stderr, "dagprof report: out of memory\n");
        dp_report_html_destroy(rc.html);
        dp_window_fini(&rc.win);
        return 2;
    }
    dp_window_attach(&rc.win, rc.proc);

    rc.format = format;
    for (int i = optind; i < argc; i++)
        if (dp_input_read(argv[i], profile_line, trace_path, &rc))
            status = 1;
    dp_processor_flush(rc.proc, DP_INCOMPLETE_ROOT_MISSING);
    dp_window_report(&rc.win);
    dp_processor_stats st;
    dp_processor_stats_get(rc.proc, &st);
    if (st.traces_not_agent)
        fprintf(stderr,
                "dagprof report: %llu trace(s) had no agent span (node, LLM or "
                "tool call, or agent attribute) and were not profiled; "
                "--profile-all-traces true profiles them\n",
                (unsigned long long)st.traces_not_agent);
    dp_processor_destroy(rc.proc);
    dp_window_fini(&rc.win);
    if (rc.html) {
        dp_buf_reset(&rc.buf);
        if (dp_report_html_end(rc.html, &rc.buf) != 0 ||
            fwrite(rc.buf.data, 1, rc.buf.len, stdout) != rc.buf.len)
            rc.write_failed = true;
        dp_report_html_destroy(rc.html);
    }
    dp_buf_fini(&rc.buf);
    if (rc.store) {
        if (dp_history_db_commit(rc.store))
            rc.store_errors += rc.stored, rc.stored = 0;
        dp_history_db_close(rc.store);
        fprintf(stderr, "dagprof report: %llu run(s) stored in %s\n",
                (unsigned long long)rc.stored, ho.store);
        if (rc.store_errors) {
            fprintf(stderr, "dagprof report: %llu run(s) could not be stored\n",
                    (unsigned long long)rc.store_errors);
            status = 1;
        }
    }
    if (fflush(stdout) != 0 || rc.write_failed) {
        fprintf(stderr, "dagprof report: cannot write output\n");
        return 2;
    }
    if (rc.errors)
        status = 1;
    return status;
}

int dp_cmd_report(int argc, char **argv)
{
    return dp_offline_main("report", argc, argv, report_main);
}
