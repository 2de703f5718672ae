/*
 * cmd_show.c - `dagprof show TRACE_ID`: one stored run's profile, as the
 * text report (exporter/report_text.c, the profile read back with
 * exporter/profile_read.c) or as the JSON line that was stored.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands.h"
#include "history_cli.h"
#include "profile_read.h"
#include "report_html.h"
#include "report_text.h"

static void show_usage(FILE *out)
{
    fputs("usage: dagprof show [options] TRACE_ID\n"
          "\n"
          "Prints the stored profile of one run: TRACE_ID is its 32 hex\n"
          "digits, or a prefix of at least 8 that only one run has (as\n"
          "`dagprof runs` lists them).\n"
          "\n"
          "options:\n" DP_HISTORY_HELP_STORE
          "  --output text|json|html   the text report (as dagprof report\n"
          "                            prints it), the JSON profile line as\n"
          "                            it was stored, or one self-contained\n"
          "                            HTML page (as dagprof report --output\n"
          "                            html draws it; default: text on a\n"
          "                            terminal, json otherwise)\n"
          "  --width N                 text report width (default: the\n"
          "                            terminal's, else 80; minimum 60)\n"
          "  -h, --help                this help\n"
          "\n"
          "Exit status: 0 printed; 1 no such run (or the prefix matches\n"
          "several), or the store cannot be read; 2 usage error.\n",
          out);
}

static int width_of_terminal(void)
{
    struct winsize ws;
    const char *cols = getenv("COLUMNS");
    if (cols && atoi(cols) > 0)
        return atoi(cols);
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

int dp_cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"history", required_argument, NULL, DP_HOPT_HISTORY},
        {"store", required_argument, NULL, DP_HOPT_HISTORY},
        {"output", required_argument, NULL, DP_HOPT_OUTPUT},
        {"width", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    dp_history_opts o;
    int c, width = 0, status = 0;
    bool html = false;
    char *end;

    if (dp_history_opts_init(&o, "show", &argc, argv))
        return 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == DP_HOPT_OUTPUT && strcmp(optarg, "html") == 0) {
            html = true;
            o.json = false;
            continue;
        }
        if (c == DP_HOPT_OUTPUT)
            html = false;
        int t = dp_history_opts_take(&o, "show", c, optarg);
        if (t == 2) {
            dp_history_opts_fini(&o);
            return 2;
        }
        if (t == 1)
            continue;
        switch (c) {
        case 'w':
            width = (int)strtol(optarg, &end, 10);
            if (*end || width < 60 || width > 1000) {
                fprintf(stderr,
                        "dagprof show: --width must be a number from 60 to "
                        "1000, not '%s'\n",
                        optarg);
                dp_history_opts_fini(&o);
                return 2;
            }
            break;
        case 'h':
            show_usage(stdout);
            dp_history_opts_fini(&o);
            return 0;
        default:
            show_usage(stderr);
            dp_history_opts_fini(&o);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "dagprof show: need exactly one TRACE_ID\n");
        show_usage(stderr);
        dp_history_opts_fini(&o);
        return 2;
    }
    char lower[33];
    if (dp_history_cli_trace_id("show", argv[optind], lower)) {
        dp_history_opts_fini(&o);
        return 2;
    }
    dp_history *h = dp_history_opts_open(&o, "show");
    if (!h) {
        dp_history_opts_fini(&o);
        return 1;
    }
    dp_buf json, out;
    dp_buf_init(&json);
    dp_buf_init(&out);
    int err = 0;
    if (dp_history_cli_profile(h, o.store, "show", lower, &json)) {
        status = 1;
    } else if (o.json) {
        dp_buf_append(&out, json.data, json.len);
        dp_buf_puts(&out, "\n");
        status = dp_history_cli_emit(&out, "show");
    } else {
        char msg[256];
        dp_profile *p =
            dp_profile_json_read(json.data, json.len, msg, sizeof(msg));
        if (!p) {
            fprintf(stderr,
                    "dagprof show: the stored profile is unreadable: "
                    "%s\n",
                    msg);
            status = 1;
        } else {
            if (html) {
                /* A stored profile has call durations, no start times. */
                dp_html_run_opts ro = {.index = 0, .call_times_known = false};
                err = dp_html_page_begin(&out, "dagprof run");
                if (!err)
                    err = dp_html_run_section(&out, p, &ro);
                if (!err)
                    err = dp_html_page_end(&out);
            } else {
                if (width == 0)
                    width = width_of_terminal();
                err = dp_report_text_write(&out, p, width < 60 ? 60 : width);
            }
            dp_profile_free(p);
            status = err ? 2 : dp_history_cli_emit(&out, "show");
        }
    }
    dp_buf_fini(&json);
    dp_buf_fini(&out);
    dp_history_close(h);
    dp_history_opts_fini(&o);
    return status;
}
