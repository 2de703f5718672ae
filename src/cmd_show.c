/*
 * cmd_show.c - `dagprof show TRACE_ID`: one stored run's profile, as the
 * text report (exporter/report_text.c, the profile read back with
 * exporter/profile_read.c) or as the JSON line that was stored.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
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

typedef struct show_args {
    int width;
    bool html;
    char lower[33]; /* the trace id or prefix, lower case */
} show_args;

static int show_option(void *user, dp_history_opts *o, int c, const char *arg)
{
    show_args *a = user;
    if (c == DP_HOPT_OUTPUT) { /* html here; json and text shared */
        a->html = strcmp(arg, "html") == 0;
        if (a->html)
            o->json = false;
        return a->html;
    }
    if (c == 'w')
        return dp_cli_width("show", arg, &a->width) ? 2 : 1;
    return 0;
}

static int show_operands(void *user, dp_history_opts *o, int n, char **args)
{
    show_args *a = user;
    (void)o;
    if (n != 1) {
        fprintf(stderr, "dagprof show: need exactly one TRACE_ID\n");
        show_usage(stderr);
        return 2;
    }
    return dp_history_cli_trace_id("show", args[0], a->lower);
}

/* The stored profile read back, as the text report or an HTML page. */
static int show_rendered(const show_args *a, const dp_buf *json, dp_buf *out)
{
    char msg[256];
    int err = 0;
    dp_profile *p =
        dp_profile_json_read(json->data, json->len, msg, sizeof(msg));
    if (!p) {
        fprintf(stderr, "dagprof show: the stored profile is unreadable: %s\n",
                msg);
        return 1;
    }
    if (a->html) {
        /* A stored profile has call durations, no start times. */
        dp_html_run_opts ro = {.index = 0, .call_times_known = false};
        err = dp_html_page_begin(out, "dagprof run");
        if (!err)
            err = dp_html_run_section(out, p, &ro);
        if (!err)
            err = dp_html_page_end(out);
    } else {
        err = dp_report_text_write(out, p, dp_cli_text_width(a->width));
    }
    dp_profile_free(p);
    return err ? 2 : 0;
}

static int show_run(void *user, dp_history_opts *o, dp_history *h, dp_buf *out)
{
    show_args *a = user;
    dp_buf json;
    dp_buf_init(&json);
    int status = 1;
    if (dp_history_cli_profile(h, o->store, "show", a->lower, &json) == 0) {
        if (o->json) {
            dp_buf_append(out, json.data, json.len);
            dp_buf_puts(out, "\n");
            status = 0;
        } else {
            status = show_rendered(a, &json, out);
        }
    }
    dp_buf_fini(&json);
    return status;
}

int dp_cmd_show(int argc, char **argv)
{
    show_args a = {.width = 0};
    static const struct option own[] = {{"width", required_argument, NULL, 'w'},
                                        {NULL, 0, NULL, 0}};
    static const dp_history_cmd cmd = DP_HISTORY_CMD(show, own, false, 0);
    return dp_history_cmd_main(&cmd, &a, argc, argv);
}
